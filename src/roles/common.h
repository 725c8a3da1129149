/* Internal to the roles: appending actions, framing and signing management
 * messages, TEK fingerprints, timer ids. */
#ifndef TEKHO_SRC_ROLES_COMMON_H
#define TEKHO_SRC_ROLES_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "tekho/asncp.h"
#include "tekho/mgmt.h"
#include "tekho/roles.h"
#include "tekho/tekho.h"

/* Appends one action; bytes (if any) are copied into the arena. */
void tekho_act(struct tekho_actions *out, enum tekho_action_kind kind, uint32_t peer, uint32_t ms, const uint8_t *bytes,
               size_t len);
void tekho_act_timer(struct tekho_actions *out, uint32_t timer, uint64_t at_us);
void tekho_act_cancel_timer(struct tekho_actions *out, uint32_t timer);
void tekho_act_event(struct tekho_actions *out, uint32_t ms, enum tekho_event code, int64_t value, const uint8_t *bytes,
                     size_t len);

/* Keys for CMAC on one link (one AK, one CMAC_KEY_COUNT) with the PN state
 * of both directions (profile section 7). */
struct tekho_crypto_kit;

struct cmac_link {
    bool ready;
    uint16_t count;
    uint8_t key_seq;             /* AK sequence number, 4 bits: the CMAC tuple's key sequence */
    uint8_t bsid[6];             /* the BS whose AK this is */
    struct tekho_ak_keys ak;
    struct tekho_cmac_keys keys;
    uint32_t tx_pn;              /* next CMAC_PN to send */
    struct tekho_cmac_pn_rx rx;  /* last CMAC_PN accepted */
};

/* The functions below take the calling role's crypto kit (src/crypto/kit.h). */

/* Derives AK etc. from the MSK for (ms, bsid) and CMAC keys for count. */
TEKHO_NODISCARD tekho_err tekho_cmac_link_from_msk(struct tekho_crypto_kit *kit, struct cmac_link *l,
                                                   const uint8_t msk[64], const uint8_t ms_mac[6],
                                                   const uint8_t bsid[6], uint8_t pmk_sn, uint16_t count);
/* The same from an AK delivered in an AK context. */
TEKHO_NODISCARD tekho_err tekho_cmac_link_from_ak(struct tekho_crypto_kit *kit, struct cmac_link *l,
                                                  const uint8_t ak[20], const uint8_t ms_mac[6], const uint8_t bsid[6],
                                                  uint8_t ak_sn, uint16_t count);
/* New CMAC keys for another count on the same AK; CMAC_PNs restart. */
TEKHO_NODISCARD tekho_err tekho_cmac_link_set_count(struct tekho_crypto_kit *kit, struct cmac_link *l, uint16_t count);
void tekho_cmac_link_wipe(struct cmac_link *l);

/* Signs a just-encoded message in place (uplink: CMAC_KEY_U) with the
 * link's next CMAC_PN; trailer_len is the CMAC TLV's whole size. */
TEKHO_NODISCARD tekho_err tekho_sign_mgmt(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink, uint16_t cid,
                                          uint8_t *msg, size_t len, size_t trailer_len);
/* Verifies a received message's CMAC tuple: its key sequence must be the
 * link's AK sequence number and a BSID, when present, the link's BS
 * (TEKHO_ERR_BAD_KEY_SEQ, TEKHO_ERR_WRONG_BSID), then its CMAC_PN and CMAC;
 * commits the PN only on success. */
TEKHO_NODISCARD tekho_err tekho_verify_mgmt(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink,
                                            uint16_t cid, const uint8_t *msg, size_t len, size_t cmac_offset,
                                            const struct tekho_cmac_tuple *tuple);
/* The same for a PKM message's CMAC-Digest (CMAC_PN and value; the
 * handler checks the message's Key Sequence Number attribute). */
TEKHO_NODISCARD tekho_err tekho_verify_pkm(struct tekho_crypto_kit *kit, struct cmac_link *l, bool uplink, uint16_t cid,
                                           const uint8_t *msg, size_t len, size_t cmac_offset, uint32_t cmac_pn);
/* The CMAC tuple the link signs its next message with (key sequence and
 * CMAC_PN; the value is filled by sign_mgmt). */
struct tekho_cmac_tuple tekho_cmac_tuple_next(const struct cmac_link *l);

/* Starts an ASN-CP message about one MS: zeroed, its type, the MSID and
 * MS ID of the MS, the transaction. */
void tekho_asncp_about(struct tekho_asncp *msg, enum tekho_asncp_msg type, const uint8_t ms_mac[6],
                       uint16_t transaction);

/* Encodes an ASN-CP message into the arena as one backbone action (on
 * failure, out->err says why). */
void tekho_send_backbone(struct tekho_actions *out, uint32_t to, const struct tekho_asncp *msg);

/* Frames a management message on the basic CID (with CRC) into the arena
 * as one air action. */
void tekho_send_mgmt(struct tekho_actions *out, enum tekho_action_kind kind, uint32_t peer, uint32_t ms, uint16_t cid,
                     const uint8_t *msg, size_t len);

/* The CMAC TLV sizes encoders write last. */
#define CMAC_TUPLE_TLV_LEN (2u + TEKHO_CMAC_TUPLE_LEN)
#define CMAC_DIGEST_TLV_LEN (2u + TEKHO_CMAC_DIGEST_LEN)

/* First 8 bytes of SHA-256 of each TEK: lets the driver compare keys
 * without ever holding or printing them. */
void tekho_tek_fingerprints(const struct tekho_tek_context *ctx, uint8_t fp[2][8]);

/* [MODEL] Re-authentication (baseline-full) yields a new MSK; MS and
 * Authenticator derive the same one, SHA-512 of the old, standing in for
 * the EAP method's result. Into next (may be msk) only on success: a
 * failure leaves both sides on the old PMK, never one of them. */
TEKHO_NODISCARD tekho_err tekho_reauth_next_msk(const uint8_t msk[64], uint8_t next[64]);

/* The first TEK slot that can still seal (installed, unexpired, PNs left), or -1. */
int tekho_tek_usable_slot(const struct tekho_tek_context *ctx, uint64_t now_ms);

/* A plain (unencrypted) user PDU for the `none` scheme: GMH EC=0 + payload + CRC. */
TEKHO_NODISCARD tekho_err tekho_seal_plain(uint16_t cid, const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                                           size_t *out_len);

#endif
