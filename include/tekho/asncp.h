/* The WiMAX NWG ASN control plane (R4/R6 backbone, UDP port 2231), R1.0
 * v1.2.1 numbering, as Wireshark's wimaxasncp dissector and dictionary read
 * it (wireshark.md section 5; profile section 10): the handover and context
 * transfer messages a handover needs.
 *
 * Header (20 bytes): version 1 | flags (0x02 T: Source/Destination
 * Identifier TLVs present) | function type | op id (3 bits) << 5 | message
 * type (5 bits) | length u16 (the whole message) | MSID (6) | reserved (4) |
 * transaction id u16 | reserved (2). Then TLVs: type u16 | length u16 |
 * value, no padding; compound TLVs nest the same format. */
#ifndef TEKHO_ASNCP_H
#define TEKHO_ASNCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_ASNCP_PORT 2231u
#define TEKHO_ASNCP_HEADER_LEN 20u
#define TEKHO_ASNCP_VERSION 1u
#define TEKHO_ASNCP_FLAG_T 0x02u
#define TEKHO_ASNCP_MAX_LEN 1400u  /* [PROFILE] one UDP datagram without IP fragmentation */

enum tekho_asncp_function { TEKHO_ASNCP_FN_HO_CONTROL = 2, TEKHO_ASNCP_FN_CONTEXT_TRANSFER = 4,
                            TEKHO_ASNCP_FN_AUTH_RELAY = 8 };
enum tekho_asncp_op { TEKHO_ASNCP_OP_REQUEST = 1, TEKHO_ASNCP_OP_RESPONSE = 2, TEKHO_ASNCP_OP_ACK = 3,
                      TEKHO_ASNCP_OP_INDICATION = 4 };

enum tekho_asncp_msg {
    TEKHO_ASNCP_HO_REQ,
    TEKHO_ASNCP_HO_RSP,
    TEKHO_ASNCP_HO_ACK,
    TEKHO_ASNCP_HO_CNF,
    TEKHO_ASNCP_HO_COMPLETE,
    TEKHO_ASNCP_CONTEXT_REQ,
    TEKHO_ASNCP_CONTEXT_RPT,
    TEKHO_ASNCP_CONTEXT_ACK,
    TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE,
    TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK,
    /* Authentication Relay: an EAP packet between the BS (which carries it
     * on the air in PKMv2 EAP-Transfer) and the Authenticator, either way. */
    TEKHO_ASNCP_AR_EAP_TRANSFER,
    TEKHO_ASNCP_MSG_COUNT
};

/* TLV types (dictionary.xml, R1.0 v1.2.1). */
enum tekho_asncp_tlv {
    TEKHO_ASNCP_TLV_AK = 5,
    TEKHO_ASNCP_TLV_AK_CONTEXT = 6,
    TEKHO_ASNCP_TLV_AK_ID = 7,
    TEKHO_ASNCP_TLV_AK_LIFETIME = 8,
    TEKHO_ASNCP_TLV_AK_SN = 9,
    TEKHO_ASNCP_TLV_BS_ID = 25,
    TEKHO_ASNCP_TLV_CMAC_KEY_COUNT = 34,
    TEKHO_ASNCP_TLV_CONTEXT_PURPOSE = 36,
    TEKHO_ASNCP_TLV_EAP_PAYLOAD = 62,
    TEKHO_ASNCP_TLV_HO_PROCESS_OPTIMIZATION = 78,
    TEKHO_ASNCP_TLV_HO_TYPE = 79,
    TEKHO_ASNCP_TLV_MS_ID = 102,
    TEKHO_ASNCP_TLV_NEWER_TEK_PARAMETERS = 110,
    TEKHO_ASNCP_TLV_OLDER_TEK_PARAMETERS = 112,
    TEKHO_ASNCP_TLV_PN_COUNTER = 136,
    TEKHO_ASNCP_TLV_RXPN_COUNTER = 166,
    TEKHO_ASNCP_TLV_SAID = 169,
    TEKHO_ASNCP_TLV_SA_DESCRIPTOR = 170,
    TEKHO_ASNCP_TLV_TEK = 187,
    TEKHO_ASNCP_TLV_TEK_LIFETIME = 188,
    TEKHO_ASNCP_TLV_TEK_SN = 189,
    TEKHO_ASNCP_TLV_BS_HO_RSP_CODE = 203,
    TEKHO_ASNCP_TLV_HO_ID = 205,
    TEKHO_ASNCP_TLV_DESTINATION_ID = 271,
    TEKHO_ASNCP_TLV_SOURCE_ID = 272,
};

#define TEKHO_ASNCP_HO_TYPE_HHO 0u
#define TEKHO_ASNCP_EAP_MAX 128u   /* [PROFILE], as TEKHO_PKM_EAP_MAX */
#define TEKHO_ASNCP_SA_MAX 4

/* AK Context (TLV 6): what the Authenticator pushes to a (target) BS. */
struct tekho_asncp_ak_context {
    uint8_t ak[20];
    uint8_t ak_id[8];
    uint32_t ak_lifetime_s;
    uint8_t ak_sn;
    bool has_cmac_key_count;
    uint16_t cmac_key_count;
};

/* Older / Newer TEK Parameters: one TEK and its PN state. The TEK itself
 * (16 bytes: the reuse scheme's HO_Cnf), or [PROFILE] wrapped under the
 * target BS's KEK for the MS (24 bytes, AES key wrap: baseline-early's
 * HO_Rsp, which the serving BS relays to the MS without reading it). */
#define TEKHO_ASNCP_TEK_LEN 16u
#define TEKHO_ASNCP_WRAPPED_TEK_LEN 24u
struct tekho_asncp_tek {
    uint8_t tek[TEKHO_ASNCP_WRAPPED_TEK_LEN];
    size_t tek_len;         /* TEKHO_ASNCP_TEK_LEN (0 reads as that) or TEKHO_ASNCP_WRAPPED_TEK_LEN */
    uint32_t lifetime_s;
    uint8_t tek_sn;
    uint32_t pn_counter;
    uint32_t rxpn_counter;
};

/* SA Descriptor (TLV 170) carrying an SA's TEK context between base stations. */
struct tekho_asncp_sa {
    uint16_t said;
    bool has_older;
    struct tekho_asncp_tek older;
    bool has_newer;
    struct tekho_asncp_tek newer;
};

struct tekho_asncp {
    enum tekho_asncp_msg msg;
    uint8_t msid[6];                  /* header MSID */
    uint16_t transaction_id;
    bool has_source_id;               /* Source / Destination Identifier: BS IDs, both or neither (flag T) */
    uint8_t source_id[6];
    bool has_destination_id;
    uint8_t destination_id[6];
    bool has_ms_id;
    uint8_t ms_id[6];
    bool has_bs_id;
    uint8_t bs_id[6];
    bool has_ak_id;                   /* AK ID at the top level: Context_Ack names the AK an entry proved */
    uint8_t ak_id[8];
    bool has_ho_type;
    uint32_t ho_type;
    bool has_ho_id;
    uint8_t ho_id;
    bool has_ho_process_optimization;
    uint8_t ho_process_optimization;  /* bits 1-2: enum tekho_ho_tek_mode */
    bool has_bs_ho_rsp_code;
    uint8_t bs_ho_rsp_code;
    bool has_context_purpose;
    uint32_t context_purpose;
    bool has_cmac_key_count;
    uint16_t cmac_key_count;
    bool has_ak_context;
    struct tekho_asncp_ak_context ak_context;
    size_t n_sa;
    struct tekho_asncp_sa sa[TEKHO_ASNCP_SA_MAX];
    size_t eap_payload_len;           /* AR_EAP_Transfer: an EAP packet (RFC 3748), 1..TEKHO_ASNCP_EAP_MAX bytes */
    uint8_t eap_payload[TEKHO_ASNCP_EAP_MAX];
};

/* The name Wireshark shows ("HO_Req", "CMAC_Key_Count_Update_ACK"), or
 * "unknown" for a value outside the enum. Static storage. */
TEKHO_API const char *tekho_asncp_name(enum tekho_asncp_msg msg);

/* Encodes m, header and TLVs, into out[0 .. cap); *out_len is the whole
 * message's length (at most TEKHO_ASNCP_MAX_LEN fits one datagram).
 * Errors: invalid argument (NULL m or out_len, an unknown m->msg), missing
 * TLV (one the message type requires, or only one of Source and
 * Destination Identifier), bad value (n_sa above TEKHO_ASNCP_SA_MAX, a TEK
 * length other than 16 or 24, an EAP payload longer than its array),
 * buffer too small. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_asncp_encode(const struct tekho_asncp *m, uint8_t *out, size_t cap,
                                                       size_t *out_len);
/* Errors: truncated, bad ASN-CP header (version, function, type or op),
 * bad ASN-CP length (header length vs bytes), zero-length TLV, TLV
 * overruns message, wrong width, duplicate single-instance TLV, missing
 * mandatory TLV, too many SA descriptors. *out is written only on success. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_asncp_decode(const uint8_t *in, size_t len, struct tekho_asncp *out);

/* The header alone, checked as tekho_asncp_decode checks it: the message
 * type and the header MSID, for decisions taken before the body is
 * decoded (which messages a role accepts in its state). Errors: decode's
 * header errors (truncated, bad header, bad length, unknown message). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_asncp_peek(const uint8_t *in, size_t len, enum tekho_asncp_msg *msg,
                                                     uint8_t msid[6]);

/* Wipes the keys an ASN-CP message may carry (AK, TEKs). */
TEKHO_API void tekho_asncp_wipe(struct tekho_asncp *m);

#ifdef __cplusplus
}
#endif
#endif
