/* CMAC on management messages: the CMAC Tuple (TLV 141) and the PKM
 * CMAC-Digest attribute (40). IEEE 802.16-2009 11.1.2.2, 11.9.40;
 * profile section 7. Only the values are here; wire/ puts the TLV around. */
#ifndef TEKHO_CMAC_H
#define TEKHO_CMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_CMAC_VALUE_LEN 8u
#define TEKHO_CMAC_TUPLE_LEN 13u           /* key seq | CMAC_PN | value */
#define TEKHO_CMAC_TUPLE_LEN_WITH_BSID 19u /* key seq | BSID | CMAC_PN | value */
#define TEKHO_CMAC_DIGEST_LEN 12u          /* CMAC_PN | value */

/* [PROFILE] Which 64 of the 128 CMAC bits are kept. The standard's
 * Truncate keeps the rightmost; RFC 4493 and one 802.16 patent keep the
 * leftmost. One switch decides. */
enum tekho_cmac_truncation { TEKHO_CMAC_KEEP_RIGHTMOST, TEKHO_CMAC_KEEP_LEFTMOST };
#define TEKHO_CMAC_TRUNCATION TEKHO_CMAC_KEEP_RIGHTMOST

/* CMAC value = Truncate(AES-CMAC(cmac_key, AKID | u32(CMAC_PN) | u16(CID) |
 * u16(0) | message), 64); message runs from the management message type
 * byte to just before the CMAC TLV. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_value(const uint8_t cmac_key[16], const uint8_t akid[8],
                                                     uint32_t cmac_pn, uint16_t cid, const uint8_t *message,
                                                     size_t message_len, uint8_t out[TEKHO_CMAC_VALUE_LEN]);

/* Recomputes and compares in constant time: TEKHO_ERR_BAD_CMAC on mismatch. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_verify(const uint8_t cmac_key[16], const uint8_t akid[8],
                                                      uint32_t cmac_pn, uint16_t cid, const uint8_t *message,
                                                      size_t message_len, const uint8_t expected[TEKHO_CMAC_VALUE_LEN]);

/* The value of a CMAC Tuple TLV. */
struct tekho_cmac_tuple {
    uint8_t key_seq;        /* 4 bits */
    bool has_bsid;
    uint8_t bsid[6];
    uint32_t cmac_pn;
    uint8_t value[TEKHO_CMAC_VALUE_LEN];
};

/* Writes the tuple's value: 13 bytes, or 19 with has_bsid (*out_len says
 * which). Errors: invalid argument (NULL, key_seq above 15), buffer too
 * small (out_cap below that length). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_tuple_encode(const struct tekho_cmac_tuple *tuple, uint8_t *out,
                                                            size_t out_cap, size_t *out_len);
/* Reads a CMAC Tuple value of exactly 13 or 19 bytes (has_bsid tells
 * which); key_seq keeps the low 4 bits. Errors: invalid argument (NULL),
 * truncated (fewer than 13 bytes), length mismatch (any other length). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_tuple_decode(const uint8_t *in, size_t in_len,
                                                            struct tekho_cmac_tuple *out);

/* The value of a CMAC-Digest attribute. */
struct tekho_cmac_digest {
    uint32_t cmac_pn;
    uint8_t value[TEKHO_CMAC_VALUE_LEN];
};

/* Writes CMAC_PN (big-endian) and the value: 12 bytes. Errors: invalid
 * argument (NULL). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_digest_encode(const struct tekho_cmac_digest *digest,
                                                             uint8_t out[TEKHO_CMAC_DIGEST_LEN]);
/* Reads a CMAC-Digest value of exactly 12 bytes. Errors: invalid argument
 * (NULL), truncated (shorter), length mismatch (longer). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_digest_decode(const uint8_t *in, size_t in_len,
                                                             struct tekho_cmac_digest *out);

/* Receiver side of CMAC_PN_U / CMAC_PN_D: each message's PN must be above
 * the last accepted one. Reset when new CMAC keys are derived. */
struct tekho_cmac_pn_rx {
    bool any;
    uint32_t last;
};
/* TEKHO_ERR_CMAC_PN_REPLAYED unless cmac_pn is above the last accepted one
 * (anything goes before the first); never changes rx. Invalid argument for
 * a NULL rx. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_cmac_pn_check(const struct tekho_cmac_pn_rx *rx, uint32_t cmac_pn);
/* Records cmac_pn as the last accepted, once the message's CMAC verified;
 * a PN that tekho_cmac_pn_check refuses (or a NULL rx) changes nothing. */
TEKHO_API void tekho_cmac_pn_accept(struct tekho_cmac_pn_rx *rx, uint32_t cmac_pn);

#ifdef __cplusplus
}
#endif
#endif
