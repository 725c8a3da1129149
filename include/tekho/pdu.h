/* AES-CCM protected MAC PDUs (IEEE 802.16-2009 6.3.2.1.1, 7.5.1.2.4;
 * profile section 6). */
#ifndef TEKHO_PDU_H
#define TEKHO_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_GMH_LEN 6u
#define TEKHO_PN_LEN 4u
#define TEKHO_ICV_LEN 8u
#define TEKHO_CRC_LEN 4u
/* LEN is an 11-bit field counting the whole PDU. */
#define TEKHO_PDU_MAX_LEN 2047u
/* Bytes an encrypted PDU adds around its plaintext payload (without CRC). */
#define TEKHO_PDU_OVERHEAD (TEKHO_GMH_LEN + TEKHO_PN_LEN + TEKHO_ICV_LEN)

/* Uplink PNs carry the most significant bit so that the two directions
 * never share a CCM nonce under one TEK. */
#define TEKHO_PN_UPLINK_BIT 0x80000000u
#define TEKHO_PN_COUNTER_MAX 0x7FFFFFFFu

/* [PROFILE] The 802.16-2004 text carries the PN little-endian; a later
 * corrigendum draft disputed it. This one switch decides. */
enum tekho_pn_byte_order { TEKHO_PN_LITTLE_ENDIAN, TEKHO_PN_BIG_ENDIAN };
#define TEKHO_PN_BYTE_ORDER TEKHO_PN_LITTLE_ENDIAN

enum tekho_dir { TEKHO_DIR_DL = 0, TEKHO_DIR_UL = 1 };

/* The fields of a generic MAC header (profile section 6). */
struct tekho_gmh {
    bool ec;       /* encryption control */
    uint8_t type;  /* 6 bits */
    bool esf;      /* extended subheader field */
    bool ci;       /* CRC-32 appended */
    uint8_t eks;   /* 2 bits */
    uint16_t len;  /* 11 bits, the whole PDU */
    uint16_t cid;
    uint8_t hcs;
};

/* Encodes 5 header bytes and computes the HCS into the sixth (gmh->hcs is
 * ignored). Errors: invalid argument (NULL, a field wider than its bits). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_gmh_encode(const struct tekho_gmh *gmh, uint8_t out[TEKHO_GMH_LEN]);
/* Decodes and checks the header: the HCS must verify and HT must be 0.
 * Errors: invalid argument (NULL), truncated (in_len below 6), bad HCS,
 * not generic header (HT = 1). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_gmh_decode(const uint8_t *in, size_t in_len, struct tekho_gmh *out);

/* CRC-8 HCS (poly 0x07, init 0) and CRC-32/BZIP2 as the MAC uses them,
 * over data[0 .. len). */
TEKHO_API uint8_t tekho_hcs(const uint8_t *data, size_t len);
TEKHO_API uint32_t tekho_crc32(const uint8_t *data, size_t len);
/* The CRC-32 of a PDU of len bytes: computed over its first len - 4 bytes
 * and stored big-endian in its last 4 (TEKHO_ERR_BUFFER_TOO_SMALL, nothing
 * written, if len < 4; TEKHO_ERR_INVALID_ARGUMENT for NULL); and the check
 * of one (false if len < 4). */
TEKHO_API tekho_err tekho_pdu_put_crc(uint8_t *pdu, size_t len);
TEKHO_API bool tekho_pdu_crc_ok(const uint8_t *pdu, size_t len);

/* A TEK keyed into reusable CCM contexts: no key schedule per PDU. */
struct tekho_pdu_key;

/* Keys the AES-128-CCM contexts with a 16-byte TEK (copied: the caller may
 * wipe its own). Free with tekho_pdu_key_free. Errors: invalid argument
 * (NULL), no memory, crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pdu_key_new(const uint8_t tek[16], struct tekho_pdu_key **out);
/* Frees the contexts and wipes the key schedule. NULL is accepted. */
TEKHO_API void tekho_pdu_key_free(struct tekho_pdu_key *key);

struct tekho_pdu_seal_params {
    enum tekho_dir dir;
    uint32_t pn;    /* the counter, 1 .. TEKHO_PN_COUNTER_MAX; the direction bit is added here */
    uint16_t cid;
    uint8_t eks;    /* 0 .. 3 */
    uint8_t type;   /* GMH type bits, 0 .. 63 */
    bool crc;
};

/* Size in bytes of the sealed PDU for a payload of payload_len bytes, or 0
 * if it would not fit in LEN (TEKHO_PDU_MAX_LEN). */
TEKHO_API size_t tekho_pdu_sealed_len(size_t payload_len, bool crc);

/* Builds GMH | PN | CCM(payload) | ICV [| CRC-32] into out (see
 * tekho_pdu_sealed_len for its size). The caller guarantees that a PN is
 * never sealed twice under one TEK and direction (tekho_tek_seal does).
 * Errors: invalid argument (NULL, EKS or type out of range), PN invalid
 * (0 or above TEKHO_PN_COUNTER_MAX), PDU too long, buffer too small,
 * crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pdu_seal(struct tekho_pdu_key *key,
                                                   const struct tekho_pdu_seal_params *params, const uint8_t *payload,
                                                   size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* What a received encrypted PDU says about itself before its ICV is checked. */
struct tekho_pdu_view {
    struct tekho_gmh gmh;
    uint32_t pn;                /* the counter, direction bit removed */
    const uint8_t *ciphertext;  /* inside the caller's buffer */
    size_t ciphertext_len;      /* the plaintext length, without ICV */
    const uint8_t *icv;
};

/* Checks everything but the ICV, in this order: truncated, header (HT,
 * HCS), LEN against the bytes given, encryption bit, CRC-32, room for PN
 * and ICV, direction bit of the PN (dir: the direction the PDU must have).
 * *out points into pdu. Errors, in that order: truncated, bad HCS, not
 * generic header, length mismatch, not encrypted, bad CRC, truncated,
 * wrong direction; invalid argument for NULL. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pdu_parse(const uint8_t *pdu, size_t pdu_len, enum tekho_dir dir,
                                                    struct tekho_pdu_view *out);

/* Decrypts a parsed PDU (view from tekho_pdu_parse on the same pdu) and
 * verifies its ICV; *out_len is view->ciphertext_len. On a bad ICV out
 * holds no plaintext (libcrypto wipes it). Errors: bad ICV, buffer too
 * small, invalid argument (NULL), crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pdu_decrypt(struct tekho_pdu_key *key, const uint8_t *pdu,
                                                      const struct tekho_pdu_view *view, uint8_t *out,
                                                      size_t out_cap, size_t *out_len);

/* parse then decrypt, with no replay check (the TEK context adds it); the
 * errors of both. view (may be NULL) receives the parsed header. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pdu_open(struct tekho_pdu_key *key, enum tekho_dir dir, const uint8_t *pdu,
                                                   size_t pdu_len, uint8_t *out, size_t out_cap, size_t *out_len,
                                                   struct tekho_pdu_view *view);

#ifdef __cplusplus
}
#endif
#endif
