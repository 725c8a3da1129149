/* CMAC Tuple and CMAC-Digest: IEEE 802.16-2009 11.1.2.2 and 11.9.40;
 * profile section 7. */
#include "tekho/cmac.h"

#include <openssl/crypto.h>
#include <string.h>

#include "aes_cmac.h"
#include "kit.h"
#include "bytes.h"

tekho_err tekho_cmac_value_with(struct tekho_aes_cmac *cmac, const uint8_t cmac_key[16], const uint8_t akid[8],
                                uint32_t cmac_pn, uint16_t cid, const uint8_t *message, size_t message_len,
                                uint8_t out[TEKHO_CMAC_VALUE_LEN])
{
    if (cmac == NULL || cmac_key == NULL || akid == NULL || out == NULL || (message == NULL && message_len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint8_t pn_cid_zero[8];
    tekho_put_u32be(pn_cid_zero, cmac_pn);
    tekho_put_u16be(pn_cid_zero + 4, cid);
    tekho_put_u16be(pn_cid_zero + 6, 0);
    const struct tekho_piece msg[] = {{akid, 8}, {pn_cid_zero, 8}, {message, message_len}};
    uint8_t full[16];
    tekho_err err = tekho_aes_cmac_set_key(cmac, cmac_key);
    if (err == TEKHO_OK)
        err = tekho_aes_cmac_compute(cmac, msg, 3, full);
    tekho_aes_cmac_forget(cmac);
    if (err == TEKHO_OK)
        memcpy(out, TEKHO_CMAC_TRUNCATION == TEKHO_CMAC_KEEP_RIGHTMOST ? full + 8 : full,
               TEKHO_CMAC_VALUE_LEN);
    OPENSSL_cleanse(full, sizeof full);
    return err;
}

tekho_err tekho_cmac_value(const uint8_t cmac_key[16], const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid,
                           const uint8_t *message, size_t message_len, uint8_t out[TEKHO_CMAC_VALUE_LEN])
{
    struct tekho_aes_cmac *cmac = NULL;
    tekho_err err = tekho_aes_cmac_new(&cmac);
    if (err == TEKHO_OK)
        err = tekho_cmac_value_with(cmac, cmac_key, akid, cmac_pn, cid, message, message_len, out);
    tekho_aes_cmac_free(cmac);
    return err;
}

tekho_err tekho_cmac_verify_with(struct tekho_aes_cmac *cmac, const uint8_t cmac_key[16], const uint8_t akid[8],
                                 uint32_t cmac_pn, uint16_t cid, const uint8_t *message, size_t message_len,
                                 const uint8_t expected[TEKHO_CMAC_VALUE_LEN])
{
    if (expected == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint8_t computed[TEKHO_CMAC_VALUE_LEN];
    tekho_err err = tekho_cmac_value_with(cmac, cmac_key, akid, cmac_pn, cid, message, message_len, computed);
    if (err == TEKHO_OK && CRYPTO_memcmp(computed, expected, TEKHO_CMAC_VALUE_LEN) != 0)
        err = TEKHO_ERR_BAD_CMAC;
    OPENSSL_cleanse(computed, sizeof computed);
    return err;
}

tekho_err tekho_cmac_verify(const uint8_t cmac_key[16], const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid,
                            const uint8_t *message, size_t message_len, const uint8_t expected[TEKHO_CMAC_VALUE_LEN])
{
    struct tekho_aes_cmac *cmac = NULL;
    tekho_err err = tekho_aes_cmac_new(&cmac);
    if (err == TEKHO_OK)
        err = tekho_cmac_verify_with(cmac, cmac_key, akid, cmac_pn, cid, message, message_len, expected);
    tekho_aes_cmac_free(cmac);
    return err;
}

tekho_err tekho_cmac_tuple_encode(const struct tekho_cmac_tuple *tuple, uint8_t *out, size_t out_cap,
                                  size_t *out_len)
{
    if (tuple == NULL || out == NULL || out_len == NULL || tuple->key_seq > 0x0F)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t len = tuple->has_bsid ? TEKHO_CMAC_TUPLE_LEN_WITH_BSID : TEKHO_CMAC_TUPLE_LEN;
    if (out_cap < len)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    size_t at = 0;
    out[at++] = tuple->key_seq;
    if (tuple->has_bsid) {
        memcpy(out + at, tuple->bsid, 6);
        at += 6;
    }
    tekho_put_u32be(out + at, tuple->cmac_pn);
    memcpy(out + at + 4, tuple->value, TEKHO_CMAC_VALUE_LEN);
    *out_len = len;
    return TEKHO_OK;
}

tekho_err tekho_cmac_tuple_decode(const uint8_t *in, size_t in_len, struct tekho_cmac_tuple *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (in_len != TEKHO_CMAC_TUPLE_LEN && in_len != TEKHO_CMAC_TUPLE_LEN_WITH_BSID)
        return in_len < TEKHO_CMAC_TUPLE_LEN ? TEKHO_ERR_TRUNCATED : TEKHO_ERR_LENGTH_MISMATCH;
    struct tekho_cmac_tuple t;
    memset(&t, 0, sizeof t);
    size_t at = 0;
    t.key_seq = in[at++] & 0x0F;
    t.has_bsid = in_len == TEKHO_CMAC_TUPLE_LEN_WITH_BSID;
    if (t.has_bsid) {
        memcpy(t.bsid, in + at, 6);
        at += 6;
    }
    t.cmac_pn = tekho_get_u32be(in + at);
    memcpy(t.value, in + at + 4, TEKHO_CMAC_VALUE_LEN);
    *out = t;
    return TEKHO_OK;
}

tekho_err tekho_cmac_digest_encode(const struct tekho_cmac_digest *digest, uint8_t out[TEKHO_CMAC_DIGEST_LEN])
{
    if (digest == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_put_u32be(out, digest->cmac_pn);
    memcpy(out + 4, digest->value, TEKHO_CMAC_VALUE_LEN);
    return TEKHO_OK;
}

tekho_err tekho_cmac_digest_decode(const uint8_t *in, size_t in_len, struct tekho_cmac_digest *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (in_len != TEKHO_CMAC_DIGEST_LEN)
        return in_len < TEKHO_CMAC_DIGEST_LEN ? TEKHO_ERR_TRUNCATED : TEKHO_ERR_LENGTH_MISMATCH;
    out->cmac_pn = tekho_get_u32be(in);
    memcpy(out->value, in + 4, TEKHO_CMAC_VALUE_LEN);
    return TEKHO_OK;
}

tekho_err tekho_cmac_pn_check(const struct tekho_cmac_pn_rx *rx, uint32_t cmac_pn)
{
    if (rx == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    return (rx->any && cmac_pn <= rx->last) ? TEKHO_ERR_CMAC_PN_REPLAYED : TEKHO_OK;
}

void tekho_cmac_pn_accept(struct tekho_cmac_pn_rx *rx, uint32_t cmac_pn)
{
    if (rx == NULL || tekho_cmac_pn_check(rx, cmac_pn) != TEKHO_OK)
        return;
    rx->any = true;
    rx->last = cmac_pn;
}
