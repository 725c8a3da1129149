/* MOB_MSHO-REQ (57), MOB_BSHO-RSP (58), MOB_HO-IND (59): the bit-packed
 * handover messages of IEEE 802.16-2009 6.3.2.3. Part of mgmt.h, which
 * includes this file; the conventions of mgmt.h hold (encoded message starts
 * at the type byte, *out written only on success, named errors).
 *
 * Layout implemented, from profile.md section 11. No IEEE table text was
 * available; the profile took these from the NCTUns 6.0 802.16e
 * encoder/parser, cross-checked with the NIST ns-2 and QualNet structs and
 * WiMAX Forum test documents. Bits are packed MSB first with no alignment
 * between fields; widths in bits; [..] = present only under the condition.
 *
 * MOB_MSHO-REQ
 *   Management Message Type             8   57
 *   Report metric                       8   bit0 (LSB) BS CINR mean, bit1 BS
 *                                           RSSI mean, bit2 relative delay,
 *                                           bit3 BS RTD; bits 4-7 reserved
 *   N_New_BS_Index                      8   <= TEKHO_MOB_MAX_BS
 *   [Configuration change count         8]  if N_New_BS_Index != 0
 *   N_New_BS_Index times:
 *     Neighbor BS index                 8
 *     Preamble index                    8
 *     [BS CINR mean                     8]  if report metric bit0
 *     [BS RSSI mean                     8]  if report metric bit1
 *     [Relative delay                   8]  if report metric bit2
 *     Service level prediction          3
 *     Arrival time difference ind.      1
 *     [Arrival time difference          4]  if the indication is 1
 *   N_New_BS_Full                       8   <= TEKHO_MOB_MAX_BS
 *   N_New_BS_Full times:
 *     BSID                             48
 *     Preamble index                    8
 *     [CINR 8] [RSSI 8] [delay 8], service level prediction 3, ATD
 *     indication 1, [ATD 4]                 exactly as in the index entries
 *   N_Current_BSs                       3
 *   Reserved                            1
 *   N_Current_BSs times:
 *     Temp BSID                         4
 *     [BS CINR mean                     8]  if report metric bit0
 *     [BS RSSI mean                     8]  if report metric bit1
 *     [Relative delay                   8]  if report metric bit2
 *     [BS RTD                           8]  if report metric bit3
 *
 * MOB_BSHO-RSP
 *   Management Message Type             8   58
 *   Mode                                3   000 = HO request (the only one supported)
 *   Reserved                            5
 *   HO operation mode                   1   1 = mandatory, 0 = recommended
 *   N_Recommended                       8   <= TEKHO_MOB_MAX_BS
 *   Resource retain flag                1
 *   Reserved                            TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS (6)
 *   N_Recommended times:
 *     BSID                             48
 *     Preamble index                    8
 *     Service level prediction          8
 *     HO_process_optimization           8   bits 1-2: enum tekho_ho_tek_mode
 *     Network assisted HO supported     1
 *     HO_ID included indicator          1
 *     [HO_ID                            8]  if the indicator is 1
 *     HO authorization policy indicator 1
 *     Reserved                            TEKHO_MOB_BSHO_RSP_POLICY_RSV_BITS (5)
 *     [HO authorization policy support  8]  if the indicator is 1
 *   Action time                         8
 *
 * MOB_HO-IND
 *   Management Message Type             8   59
 *   Reserved                            6
 *   Mode                                2   00 = HO (the only one supported)
 *   HO_IND_type                         2   00 serving BS release, 01 HO
 *                                           cancel, 10 HO reject (11 refused)
 *   Ranging parameters valid indication 2
 *   Reserved                            4
 *   [Preamble index                     8]  here if !TEKHO_MOB_HO_IND_PREAMBLE_LAST
 *   [Target BSID                       48]  if HO_IND_type is 00 or 10
 *   [Preamble index                     8]  here if TEKHO_MOB_HO_IND_PREAMBLE_LAST (default)
 *
 * Every message then: zero bits up to the next octet (ignored on decode),
 * then TLVs; unknown TLVs are skipped and the optional CMAC Tuple (TLV 141)
 * must be the last. Reserved bits are sent as 0 and ignored on receipt. */
#ifndef TEKHO_MOB_H
#define TEKHO_MOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/cmac.h"
#include "tekho/error.h"
#include "tekho/mgmt.h" /* struct tekho_sa_tek_update; mgmt.h includes this file at its end */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- layout choices where the sources disagree (profile section 11) ---- */

/* MOB_BSHO-RSP reserved widths: 6 after the resource retain flag and 5
 * after the HO authorization policy indicator, or 7 and 4. Both pairs sum
 * to 11; 6/5 keeps every recommended-BS entry octet-aligned. Set the first,
 * the second follows. */
#ifndef TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS
#define TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS 6
#endif
#define TEKHO_MOB_BSHO_RSP_POLICY_RSV_BITS (11 - TEKHO_MOB_BSHO_RSP_RETAIN_RSV_BITS)

/* MOB_HO-IND preamble index: 1 = after the (conditional) target BSID, as
 * two of the three sources have it; 0 = before it. */
#ifndef TEKHO_MOB_HO_IND_PREAMBLE_LAST
#define TEKHO_MOB_HO_IND_PREAMBLE_LAST 1
#endif

/* ---- limits ------------------------------------------------------------ */

/* Entries a decoder holds per 8-bit count; a larger count is refused
 * (TEKHO_ERR_TOO_MANY on decode, TEKHO_ERR_BAD_VALUE on encode). */
#define TEKHO_MOB_MAX_BS 8
/* N_Current_BSs is 3 bits wide, so its field caps it. */
#define TEKHO_MOB_MAX_CURRENT_BS 7

/* ---- MOB_MSHO-REQ -------------------------------------------------------- */

#define TEKHO_MOB_METRIC_CINR 0x01u
#define TEKHO_MOB_METRIC_RSSI 0x02u
#define TEKHO_MOB_METRIC_REL_DELAY 0x04u
#define TEKHO_MOB_METRIC_RTD 0x08u       /* reported for current BSs only */
#define TEKHO_MOB_METRIC_MASK 0x0Fu

/* A neighbour measurement. Metric fields are on the wire only when
 * report_metric selects them; encode ignores the others, decode zeroes them. */
struct tekho_mob_nbr_report {
    uint8_t preamble_index;
    uint8_t cinr;
    uint8_t rssi;
    uint8_t rel_delay;
    uint8_t service_level_prediction;   /* 3 bits */
    bool has_atd;
    uint8_t atd;                        /* 4 bits: arrival time difference */
};

struct tekho_mob_msho_index_bs {
    uint8_t nbr_index;                  /* into the MOB_NBR-ADV list */
    struct tekho_mob_nbr_report report;
};

struct tekho_mob_msho_full_bs {
    uint8_t bsid[6];
    struct tekho_mob_nbr_report report;
};

struct tekho_mob_msho_current_bs {
    uint8_t temp_bsid;                  /* 4 bits */
    uint8_t cinr;
    uint8_t rssi;
    uint8_t rel_delay;
    uint8_t rtd;
};

struct tekho_mob_msho_req {
    uint8_t report_metric;              /* TEKHO_MOB_METRIC_* */
    uint8_t config_change_count;        /* on the wire only when n_new_bs_index != 0 */
    size_t n_new_bs_index;
    struct tekho_mob_msho_index_bs new_bs_index[TEKHO_MOB_MAX_BS];
    size_t n_new_bs_full;
    struct tekho_mob_msho_full_bs new_bs_full[TEKHO_MOB_MAX_BS];
    size_t n_current_bs;
    struct tekho_mob_msho_current_bs current_bs[TEKHO_MOB_MAX_CURRENT_BS];
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;                 /* decode: where the CMAC TLV starts, 0 without one */
};

/* ---- MOB_BSHO-RSP -------------------------------------------------------- */

#define TEKHO_MOB_BSHO_MODE_HO 0u

/* The TEK mode in HO_process_optimization bits 1-2, with mgmt.h's
 * TEKHO_HO_OPT_TEK_* and enum tekho_ho_tek_mode (shared with RNG-RSP TLV 21,
 * profile section 5). */
#define TEKHO_MOB_HO_OPT_TEK_MODE(hpo) \
    ((enum tekho_ho_tek_mode)(((unsigned)(hpo) & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT))
#define TEKHO_MOB_HO_OPT_WITH_TEK_MODE(hpo, mode)                 \
    ((uint8_t)(((unsigned)(hpo) & ~TEKHO_HO_OPT_TEK_MASK) |       \
               (((unsigned)(mode) << TEKHO_HO_OPT_TEK_SHIFT) & TEKHO_HO_OPT_TEK_MASK)))

struct tekho_mob_bsho_rsp_bs {
    uint8_t bsid[6];
    uint8_t preamble_index;
    uint8_t service_level_prediction;   /* 8 bits here */
    uint8_t ho_process_optimization;    /* bits 1-2: TEKHO_MOB_HO_OPT_TEK_MODE() */
    bool network_assisted_ho;
    bool has_ho_id;
    uint8_t ho_id;
    bool has_ho_auth_policy;
    uint8_t ho_auth_policy;
};

/* [PROFILE] baseline-early: the target's TEKs, wrapped under the target's
 * KEK, in an SA-TEK-Update TLV (profile section 8's encoding) after the
 * bit fields and before the CMAC tuple. 802.16-2009 gives MOB_BSHO-RSP no
 * such TLV: the number is RNG-RSP's (mgmt.h), and Wireshark shows the
 * MOB_* messages by name only. */
#define TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE 38

struct tekho_mob_bsho_rsp {
    uint8_t mode;                       /* TEKHO_MOB_BSHO_MODE_HO; others refused */
    bool ho_operation_mandatory;        /* HO operation mode bit */
    bool resource_retain;
    size_t n_recommended;
    struct tekho_mob_bsho_rsp_bs recommended[TEKHO_MOB_MAX_BS];
    uint8_t action_time;
    bool has_sa_tek_update;             /* TEKHO_MOB_BSHO_RSP_TLV_SA_TEK_UPDATE */
    struct tekho_sa_tek_update sa_tek_update;
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;
};

/* ---- MOB_HO-IND ---------------------------------------------------------- */

#define TEKHO_MOB_HO_IND_MODE_HO 0u

enum tekho_mob_ho_ind_type {
    TEKHO_MOB_HO_IND_RELEASE = 0,       /* 00: serving BS release */
    TEKHO_MOB_HO_IND_CANCEL = 1,        /* 01: HO cancel */
    TEKHO_MOB_HO_IND_REJECT = 2,        /* 10: HO reject */
};

struct tekho_mob_ho_ind {
    uint8_t mode;                       /* TEKHO_MOB_HO_IND_MODE_HO; others refused */
    uint8_t ho_ind_type;                /* enum tekho_mob_ho_ind_type */
    uint8_t ranging_params_valid;       /* 2 bits */
    uint8_t target_bsid[6];             /* on the wire for RELEASE and REJECT only */
    uint8_t preamble_index;
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;
};

/* Encoders and decoders with mgmt.h's conventions (see tekho_rng_req_encode).
 * Encoders refuse a count above its limit, a report metric outside
 * TEKHO_MOB_METRIC_MASK, a mode or HO_IND type not supported, a CMAC key
 * sequence above 15 (bad value). Decoders: truncated (the bits run out),
 * too many (a count above what *out holds), bad value (an unsupported mode
 * or HO_IND type), wrong message, and the TLV errors of mgmt.h. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_msho_req_encode(const struct tekho_mob_msho_req *m, uint8_t *out,
                                                              size_t cap, size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_msho_req_decode(const uint8_t *in, size_t len,
                                                              struct tekho_mob_msho_req *out);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_bsho_rsp_encode(const struct tekho_mob_bsho_rsp *m, uint8_t *out,
                                                              size_t cap, size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_bsho_rsp_decode(const uint8_t *in, size_t len,
                                                              struct tekho_mob_bsho_rsp *out);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_ho_ind_encode(const struct tekho_mob_ho_ind *m, uint8_t *out, size_t cap,
                                                            size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mob_ho_ind_decode(const uint8_t *in, size_t len,
                                                            struct tekho_mob_ho_ind *out);

#ifdef __cplusplus
}
#endif
#endif
