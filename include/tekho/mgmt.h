/* IEEE 802.16 MAC management messages used by handover and key management,
 * each a typed struct with encode and decode (profile sections 4-11,
 * wireshark.md section 8). An encoded message starts at the Management
 * Message Type byte; tekho_mgmt_frame() puts a generic MAC header (and
 * CRC) around it.
 *
 * Decoders take untrusted bytes: they never read past the input, reject
 * with a named error (truncated, zero-length TLV, TLV overruns message,
 * wrong width, duplicate single-instance TLV, missing mandatory TLV, CMAC
 * tuple not last) and write *out only on success. Unknown optional TLVs are
 * skipped. Encoders refuse values outside their fields. */
#ifndef TEKHO_MGMT_H
#define TEKHO_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/cmac.h"
#include "tekho/error.h"
#include "tekho/pdu.h"
#include "tekho/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tekho_mgmt_type {
    TEKHO_MGMT_RNG_REQ = 4,
    TEKHO_MGMT_RNG_RSP = 5,
    TEKHO_MGMT_PKM_REQ = 9,
    TEKHO_MGMT_PKM_RSP = 10,
    TEKHO_MGMT_SBC_REQ = 26,
    TEKHO_MGMT_SBC_RSP = 27,
    TEKHO_MGMT_MOB_MSHO_REQ = 57,
    TEKHO_MGMT_MOB_BSHO_RSP = 58,
    TEKHO_MGMT_MOB_HO_IND = 59,
};

/* The name Wireshark shows for a management message type ("RNG-REQ",
 * "MOB-HO-IND"): every type of IEEE 802.16-2009 Table 38 up to 66, as
 * Wireshark's table names them ("Reserved8" for the unassigned 8, 19 and
 * 20), or NULL for a type above it. */
TEKHO_API const char *tekho_mgmt_name(uint8_t type);

/* ---- The MAC PDUs of a burst (6.3.2.1, 6.3.2.1.2) ---------------------- */

enum tekho_mac_pdu_kind {
    TEKHO_MAC_PDU_GENERIC = 0,  /* generic MAC header (HT = 0) and its payload */
    TEKHO_MAC_PDU_SIGNALLING_1, /* HT = 1, EC = 0: bandwidth request / signalling header type I */
    TEKHO_MAC_PDU_SIGNALLING_2, /* HT = 1, EC = 1: signalling header type II (feedback) */
    TEKHO_MAC_PDU_HARQ_MAP,     /* a HARQ MAP message without MAC header (first 3 bits 111) */
};

struct tekho_mac_pdu {
    enum tekho_mac_pdu_kind kind;
    size_t offset;      /* in the burst */
    size_t len;         /* the whole PDU: LEN for a generic header, 6 for a signalling header */
    bool has_cid;       /* a type II header carries one only with CII = 1 */
    uint16_t cid;
    uint8_t type;       /* type I: the 3-bit type; type II: the feedback type (4 bits), +16 for type 1 */
    struct tekho_gmh gmh; /* generic only */
};

/* The PDU at burst[*at] into *out, *at moved past it, *got true; *got
 * false at the end of the burst or at padding (a first byte 0xFF fills the
 * rest), as Wireshark's wimax_pdu_burst_handler splits a burst. Errors (the
 * rest of the burst cannot be split, *at unchanged): invalid argument
 * (NULL), truncated (fewer than 6 bytes left, a LEN or HARQ MAP length past
 * the burst), bad HCS, length mismatch (a generic LEN below 6). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_burst_next(const uint8_t *burst, size_t len, size_t *at,
                                                     struct tekho_mac_pdu *out, bool *got);
/* Wireshark's name of a signalling header ("BR INCREMENTAL", "CINR
 * Feedback"; static storage), or NULL for another kind. */
TEKHO_API const char *tekho_mac_pdu_name(const struct tekho_mac_pdu *pdu);

/* Common TLV: CMAC Tuple, last in the message (11.1.2.2). */
#define TEKHO_TLV_CMAC_TUPLE 141

/* ---- RNG-REQ (6.3.2.3.5) ---------------------------------------------- */
#define TEKHO_RNG_REQ_TLV_MS_MAC 2
#define TEKHO_RNG_REQ_TLV_SERVING_BSID 5
#define TEKHO_RNG_REQ_TLV_RANGING_PURPOSE 6
#define TEKHO_RNG_REQ_TLV_HO_ID 7
#define TEKHO_RNG_REQ_TLV_CMAC_KEY_COUNT 13
#define TEKHO_RANGING_PURPOSE_HO 0x01

struct tekho_rng_req {
    bool has_ms_mac;           /* mandatory [PROFILE]: the target must know who ranges */
    uint8_t ms_mac[6];
    bool has_serving_bsid;
    uint8_t serving_bsid[6];
    bool has_ranging_purpose;
    uint8_t ranging_purpose;
    bool has_ho_id;
    uint8_t ho_id;
    bool has_cmac_key_count;
    uint16_t cmac_key_count;
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;        /* decode: where the CMAC TLV starts = bytes covered by the CMAC */
};

/* ---- RNG-RSP (6.3.2.3.6) ---------------------------------------------- */
#define TEKHO_RNG_RSP_TLV_RANGING_STATUS 4
#define TEKHO_RNG_RSP_TLV_MS_MAC 8
#define TEKHO_RNG_RSP_TLV_BASIC_CID 9   /* the MS's basic and primary management CIDs */
#define TEKHO_RNG_RSP_TLV_PRIMARY_CID 10
#define TEKHO_RNG_RSP_TLV_HO_PROCESS_OPTIMIZATION 21
#define TEKHO_RNG_RSP_TLV_HO_ID 22
#define TEKHO_RNG_RSP_TLV_SA_CHALLENGE_TUPLE 31
#define TEKHO_SA_CHALLENGE_TLV_BS_RANDOM 1
#define TEKHO_SA_CHALLENGE_TLV_AKID 2
/* [PROFILE] SA-TEK-Update is a top-level RNG-RSP TLV, one per SA, with the
 * number REG-RSP gives it (38, wireshark.md 8). Nested in RNG-RSP's REG-RSP
 * encodings (30) instead, Wireshark 4.0 reads it as a 35-byte integer and
 * raises a Warning; at the top level it shows as an unknown TLV, cleanly. */
#define TEKHO_RNG_RSP_TLV_SA_TEK_UPDATE 38
#define TEKHO_RANGING_STATUS_SUCCESS 3

/* HO Process Optimization bits 1-2 (profile section 5; MOB_BSHO-RSP uses
 * the same codepoints). */
#define TEKHO_HO_OPT_TEK_SHIFT 1
#define TEKHO_HO_OPT_TEK_MASK 0x0006u
enum tekho_ho_tek_mode {
    TEKHO_HO_TEK_REAUTH = 0,     /* 00: re-authentication and SA-TEK 3-way handshake */
    TEKHO_HO_TEK_UPDATE = 1,     /* 01: new TEKs in RNG-RSP SA-TEK-Update */
    TEKHO_HO_TEK_COUNTER = 2,    /* 10: [PROFILE] TEKs generated by counter, no transfer */
    TEKHO_HO_TEK_REUSE = 3,      /* 11: reuse the serving BS's TEKs */
};

/* TEK-Parameters (PKM attribute 13, 11.9.14): the TEK encrypted under the
 * KEK (8: 16 or 24 bytes), its lifetime (9) and sequence number (10). */
#define TEKHO_PKM_ATTR_TEK 8
#define TEKHO_PKM_ATTR_KEY_LIFETIME 9
#define TEKHO_PKM_ATTR_KEY_SEQ 10
#define TEKHO_PKM_ATTR_SAID 12
#define TEKHO_PKM_ATTR_TEK_PARAMETERS 13
#define TEKHO_PKM_ATTR_ERROR_CODE 16
#define TEKHO_PKM_ATTR_EAP_PAYLOAD 28
#define TEKHO_PKM_ATTR_NONCE 29
/* SA-TEK 3-way handshake (IEEE 802.16e-2005 7.2.2.4, 11.9): MS_Random and
 * BS_Random (8 bytes each) and the AKID (8 bytes). Key-Lifetime (9) at the
 * top level of an SA-TEK-Challenge is the AK lifetime. */
#define TEKHO_PKM_ATTR_MS_RANDOM 33
#define TEKHO_PKM_ATTR_BS_RANDOM 34
#define TEKHO_PKM_ATTR_CMAC_DIGEST 40
#define TEKHO_PKM_ATTR_AKID 45
#define TEKHO_PKM_NONCE_LEN 8u
#define TEKHO_PKM_RANDOM_LEN 8u
#define TEKHO_PKM_AKID_LEN 8u
/* An EAP packet (RFC 3748: code, identifier, length, then type and data)
 * in the EAP Payload attribute: at least its 4-byte header, at most this
 * [PROFILE] bound. */
#define TEKHO_EAP_HEADER_LEN 4u
#define TEKHO_PKM_EAP_MAX 128u

struct tekho_tek_params {
    uint8_t wrapped_tek[24];
    size_t wrapped_tek_len;    /* 16 (suite 0x020103) or 24 (0x020104) */
    uint32_t lifetime_s;
    uint8_t key_seq;           /* 0..3 */
};

/* SA-TEK-Update sub-TLVs (profile section 8). */
#define TEKHO_SA_TEK_UPDATE_TLV_TYPE 1
#define TEKHO_SA_TEK_UPDATE_TLV_NEW_SAID 2
#define TEKHO_SA_TEK_UPDATE_TLV_OLD_SAID 3
#define TEKHO_SA_TEK_UPDATE_TLV_OLD_TEK_PARAMS 4
#define TEKHO_SA_TEK_UPDATE_TLV_NEW_TEK_PARAMS 5
#define TEKHO_SA_TEK_UPDATE_MAX 4

struct tekho_sa_tek_update {
    uint8_t type;
    uint16_t new_said;
    uint16_t old_said;
    bool has_old_params;
    struct tekho_tek_params old_params;
    struct tekho_tek_params new_params;   /* mandatory */
};

struct tekho_rng_rsp {
    bool has_ranging_status;   /* mandatory */
    uint8_t ranging_status;
    bool has_ms_mac;
    uint8_t ms_mac[6];
    bool has_basic_cid;
    uint16_t basic_cid;
    bool has_primary_cid;
    uint16_t primary_cid;
    bool has_ho_process_optimization;
    uint16_t ho_process_optimization;
    bool has_ho_id;
    uint8_t ho_id;
    bool has_sa_challenge;
    uint8_t bs_random[8];
    uint8_t akid[8];
    size_t n_sa_tek_updates;
    struct tekho_sa_tek_update sa_tek_updates[TEKHO_SA_TEK_UPDATE_MAX];
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;
};

/* Each message type below has an encoder and a decoder with this file's
 * conventions. encode writes the message (from its type byte) into
 * out[0 .. cap), *out_len its length; a CMAC TLV (has_cmac) is written as
 * the struct holds it, and tekho_mgmt_cmac_sign then fills its value. Its
 * errors: invalid argument (NULL), missing TLV (a mandatory field's has_
 * false), bad value (a value outside its field, too many repeated items),
 * buffer too small. decode reads in[0 .. len) into *out, which holds
 * copies (no pointer into in); its errors are those listed at the top of
 * this file, plus wrong message (a decoder given another message type). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_rng_req_encode(const struct tekho_rng_req *m, uint8_t *out, size_t cap,
                                                         size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_rng_req_decode(const uint8_t *in, size_t len, struct tekho_rng_req *out);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_rng_rsp_encode(const struct tekho_rng_rsp *m, uint8_t *out, size_t cap,
                                                         size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_rng_rsp_decode(const uint8_t *in, size_t len, struct tekho_rng_rsp *out);

/* Encodes a TEK-Parameters compound TLV of the given type into w (errors in
 * w->err) / decodes a TEK-Parameters value (the compound's inside, len
 * bytes) with the decoders' errors. */
TEKHO_API void tekho_tek_params_put(struct tekho_wbuf *w, uint8_t type, const struct tekho_tek_params *p);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_params_parse(const uint8_t *in, size_t len, struct tekho_tek_params *out);
/* The same for one SA-TEK-Update compound TLV (profile section 8): put
 * encodes *u as TLV `type` into w (errors in w->err); parse decodes its
 * inside (in[0 .. len)) into *out. Shared by RNG-RSP and MOB_BSHO-RSP. */
TEKHO_API void tekho_sa_tek_update_put(struct tekho_wbuf *w, uint8_t type, const struct tekho_sa_tek_update *u);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sa_tek_update_parse(const uint8_t *in, size_t len,
                                                              struct tekho_sa_tek_update *out);

/* ---- PKM-REQ / PKM-RSP (6.3.2.3.9) -------------------------------------- */
enum tekho_pkm_code {
    /* Either way (PKM-REQ from the MS, PKM-RSP from the BS). [PROFILE] tekho
     * sends it only in re-authentication, with an AK in place, so it always
     * carries the Key-Sequence-Number and a CMAC-Digest. */
    TEKHO_PKM_EAP_TRANSFER = 18,
    TEKHO_PKM_SA_TEK_CHALLENGE = 20,   /* PKM-RSP */
    TEKHO_PKM_SA_TEK_REQUEST = 21,     /* PKM-REQ */
    TEKHO_PKM_SA_TEK_RESPONSE = 22,    /* PKM-RSP */
    TEKHO_PKM_KEY_REQUEST = 23,
    TEKHO_PKM_KEY_REPLY = 24,
    TEKHO_PKM_KEY_REJECT = 25,
    TEKHO_PKM_TEK_INVALID = 27,
};

/* PKMv2 SA-TEK-Request, Key-Request (PKM-REQ); SA-TEK-Challenge,
 * SA-TEK-Response, Key-Reply, Key-Reject, TEK-Invalid (PKM-RSP);
 * EAP-Transfer (either). */
struct tekho_pkm {
    uint8_t mgmt_type;         /* TEKHO_MGMT_PKM_REQ or TEKHO_MGMT_PKM_RSP, set by decode */
    uint8_t code;
    uint8_t identifier;
    bool has_key_seq;          /* attribute 10: the AK sequence number */
    uint8_t key_seq;
    bool has_said;
    uint16_t said;
    bool has_ms_random;        /* attribute 33: SA-TEK-Request / -Response */
    uint8_t ms_random[TEKHO_PKM_RANDOM_LEN];
    bool has_bs_random;        /* attribute 34: all SA-TEK messages */
    uint8_t bs_random[TEKHO_PKM_RANDOM_LEN];
    bool has_akid;             /* attribute 45: all SA-TEK messages */
    uint8_t akid[TEKHO_PKM_AKID_LEN];
    bool has_key_lifetime;     /* attribute 9: the AK lifetime, SA-TEK-Challenge */
    uint32_t key_lifetime_s;
    size_t n_tek_params;       /* Key-Reply: two, the older then the newer TEK */
    struct tekho_tek_params tek_params[2];
    bool has_nonce;
    uint8_t nonce[TEKHO_PKM_NONCE_LEN];
    bool has_error_code;
    uint8_t error_code;
    size_t eap_payload_len;    /* attribute 28, EAP-Transfer: an EAP packet (0: none) */
    uint8_t eap_payload[TEKHO_PKM_EAP_MAX];
    bool has_cmac_digest;      /* last attribute */
    struct tekho_cmac_digest cmac_digest;
    size_t cmac_offset;
};

/* PKM-REQ and PKM-RSP: mgmt_type says which (encode refuses others with a
 * bad value); the conventions of tekho_rng_req_encode/_decode. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pkm_encode(const struct tekho_pkm *m, uint8_t *out, size_t cap,
                                                     size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pkm_decode(const uint8_t *in, size_t len, struct tekho_pkm *out);
/* "PKMv2 Key-Reply" and so on (static storage), or NULL for a code tekho
 * does not know. */
TEKHO_API const char *tekho_pkm_code_name(uint8_t code);

/* ---- SBC-REQ / SBC-RSP (6.3.2.3.23-24) ----------------------------------- */
#define TEKHO_SBC_TLV_BW_ALLOC_SUPPORT 1
#define TEKHO_SBC_TLV_SECURITY_NEGOTIATION 25
#define TEKHO_SECNEG_TLV_PKM_VERSION 1
#define TEKHO_SECNEG_TLV_AUTH_POLICY 2
#define TEKHO_SECNEG_TLV_MAC_MODE 3
#define TEKHO_SECNEG_TLV_PN_WINDOW_SIZE 4
#define TEKHO_SECNEG_TLV_MAX_SAS 6
/* [PROFILE] private extension, profile section 5: never sent to a peer that
 * did not advertise it. */
#define TEKHO_SECNEG_TLV_TEK_GENERATION 7
#define TEKHO_TEKGEN_SUPPORTED 0x01u
#define TEKHO_TEKGEN_REQUIRED 0x02u   /* SBC-RSP only: required by BS policy */

struct tekho_security_negotiation {
    bool has_pkm_version;
    uint8_t pkm_version;
    bool has_auth_policy;
    uint8_t auth_policy;
    bool has_mac_mode;
    uint8_t mac_mode;
    bool has_pn_window_size;
    uint16_t pn_window_size;
    bool has_max_sas;
    uint8_t max_sas;
    bool has_tek_generation;
    uint8_t tek_generation;
};

struct tekho_sbc {
    uint8_t mgmt_type;         /* TEKHO_MGMT_SBC_REQ or TEKHO_MGMT_SBC_RSP, set by decode */
    bool has_bw_alloc_support;
    uint8_t bw_alloc_support;
    bool has_security_negotiation;
    struct tekho_security_negotiation sec;
    bool has_cmac;
    struct tekho_cmac_tuple cmac;
    size_t cmac_offset;
};

/* SBC-REQ and SBC-RSP: mgmt_type says which; the conventions of
 * tekho_rng_req_encode/_decode. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sbc_encode(const struct tekho_sbc *m, uint8_t *out, size_t cap,
                                                     size_t *out_len);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sbc_decode(const uint8_t *in, size_t len, struct tekho_sbc *out);

/* ---- MOB_MSHO-REQ, MOB_BSHO-RSP, MOB_HO-IND: bit-packed (profile 11) ---- */
#include "tekho/mob.h"

/* ---- CMAC over a message (profile section 7) ---------------------------- */

/* Fills the value of the message's trailing CMAC Tuple (TLV 141) or
 * CMAC-Digest (attribute 40): the CMAC covers msg[0 .. cmac_offset), the
 * value is the last 8 bytes. cmac_offset is what the decoder reports. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mgmt_cmac_sign(uint8_t *msg, size_t len, size_t cmac_offset,
                                                         const uint8_t cmac_key[16], const uint8_t akid[8],
                                                         uint32_t cmac_pn, uint16_t cid);
/* verify recomputes the value over msg[0 .. cmac_offset) and compares it
 * with the message's last 8 bytes in constant time: TEKHO_ERR_BAD_CMAC on
 * a mismatch. Both: invalid argument for NULL, and an error when
 * cmac_offset and len leave no room for a CMAC TLV's value at the end; the
 * CMAC_PN replay check is the caller's (tekho_cmac_pn_check). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mgmt_cmac_verify(const uint8_t *msg, size_t len, size_t cmac_offset,
                                                           const uint8_t cmac_key[16], const uint8_t akid[8],
                                                           uint32_t cmac_pn, uint16_t cid);

/* Reads a CMAC Tuple TLV's value: 13 bytes, or 19 with the BSID; any other
 * size is TEKHO_ERR_WRONG_WIDTH, as for every fixed-size field. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mgmt_read_cmac_tuple(const struct tekho_tlv *t, struct tekho_cmac_tuple *out);

/* ---- management MAC PDUs ----------------------------------------------- */

/* A management MAC PDU: GMH (EC=0, the CID) | msg [| CRC-32 with crc] into
 * out. Errors: invalid argument (NULL, an empty msg), PDU too long (above
 * LEN's 2047 bytes), buffer too small. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mgmt_frame(uint16_t cid, bool crc, const uint8_t *msg, size_t msg_len,
                                                     uint8_t *out, size_t cap, size_t *out_len);
/* Checks header, HCS, LEN and CRC of one plain PDU; *cid is its CID and
 * *msg (pointing into pdu) and *msg_len its payload. Errors: invalid
 * argument (NULL), those of tekho_gmh_decode, truncated or length mismatch
 * (LEN above or below len), bad value (an encrypted PDU, EC=1), truncated
 * (no room for CRC or payload), bad CRC. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_mgmt_unframe(const uint8_t *pdu, size_t len, uint16_t *cid,
                                                       const uint8_t **msg, size_t *msg_len);

#ifdef __cplusplus
}
#endif
#endif
