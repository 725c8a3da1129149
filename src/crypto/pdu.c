/* AES-CCM MAC PDU protection: IEEE 802.16-2009 7.5.1.2.4 (AES-CCM payload
 * format and nonce), 6.3.2.1.1 (generic MAC header); profile section 6. */
#include "tekho/pdu.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ccm.h"
#include "crc.h"

#define CCM_NONCE_LEN 13

/* Each direction's context is keyed on its first use: in a handover
 * window a TEK often only seals or only opens. */
struct tekho_pdu_key {
    uint8_t tek[16];
    EVP_CIPHER *ccm; /* our reference to the fetched AES-128-CCM */
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
    /* A shared key (a crypto kit's, tekho_pdu_key_use): the context of
     * each direction still holds the schedule of an earlier TEK until its
     * next use re-keys it (stale), and no TEK at all while empty. */
    bool stale[2];
    bool empty;
    /* The TEK whose schedule each direction's context holds (while it
     * exists): a TEK wiped while a context still holds it takes that
     * context with it, so no copy outlives the TEK. */
    uint8_t held[2][16];
};

uint8_t tekho_hcs(const uint8_t *data, size_t len)
{
    return tekho_crc8_hcs(data, len);
}

uint32_t tekho_crc32(const uint8_t *data, size_t len)
{
    return tekho_crc32_bzip2(data, len);
}

tekho_err tekho_pdu_put_crc(uint8_t *pdu, size_t len)
{
    if (pdu == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < TEKHO_CRC_LEN)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    tekho_put_u32be(pdu + len - TEKHO_CRC_LEN, tekho_crc32_bzip2(pdu, len - TEKHO_CRC_LEN));
    return TEKHO_OK;
}

bool tekho_pdu_crc_ok(const uint8_t *pdu, size_t len)
{
    return pdu != NULL && len >= TEKHO_CRC_LEN &&
           tekho_crc32_bzip2(pdu, len - TEKHO_CRC_LEN) == tekho_get_u32be(pdu + len - TEKHO_CRC_LEN);
}

tekho_err tekho_gmh_encode(const struct tekho_gmh *gmh, uint8_t out[TEKHO_GMH_LEN])
{
    if (gmh == NULL || out == NULL || gmh->type > 0x3F || gmh->eks > 3 || gmh->len > TEKHO_PDU_MAX_LEN)
        return TEKHO_ERR_INVALID_ARGUMENT;
    out[0] = (uint8_t)((gmh->ec ? 0x40 : 0) | gmh->type);
    out[1] = (uint8_t)((gmh->esf ? 0x80 : 0) | (gmh->ci ? 0x40 : 0) | (gmh->eks << 4) | (gmh->len >> 8));
    out[2] = (uint8_t)gmh->len;
    tekho_put_u16be(out + 3, gmh->cid);
    out[5] = tekho_crc8_hcs(out, 5);
    return TEKHO_OK;
}

tekho_err tekho_gmh_decode(const uint8_t *in, size_t in_len, struct tekho_gmh *out)
{
    if (in == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (in_len < TEKHO_GMH_LEN)
        return TEKHO_ERR_TRUNCATED;
    /* The HCS comes first: a header that fails it says nothing reliable. */
    if (tekho_crc8_hcs(in, 5) != in[5])
        return TEKHO_ERR_BAD_HCS;
    if (in[0] & 0x80)
        return TEKHO_ERR_NOT_GENERIC_HEADER;
    out->ec = (in[0] & 0x40) != 0;
    out->type = in[0] & 0x3F;
    out->esf = (in[1] & 0x80) != 0;
    out->ci = (in[1] & 0x40) != 0;
    out->eks = (in[1] >> 4) & 0x03;
    out->len = (uint16_t)(((in[1] & 0x07) << 8) | in[2]);
    out->cid = tekho_get_u16be(in + 3);
    out->hcs = in[5];
    return TEKHO_OK;
}

tekho_err tekho_pdu_key_new_with(EVP_CIPHER *ccm, const uint8_t tek[16], struct tekho_pdu_key **out)
{
    if (tek == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_pdu_key *key = calloc(1, sizeof *key);
    if (key == NULL)
        return TEKHO_ERR_NO_MEMORY;
    if (ccm != NULL && EVP_CIPHER_up_ref(ccm))
        key->ccm = ccm;
    else
        key->ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
    if (key->ccm == NULL) {
        free(key);
        return TEKHO_ERR_CRYPTO;
    }
    memcpy(key->tek, tek, sizeof key->tek);
    *out = key;
    return TEKHO_OK;
}

tekho_err tekho_pdu_key_new(const uint8_t tek[16], struct tekho_pdu_key **out)
{
    return tekho_pdu_key_new_with(NULL, tek, out);
}

/* The context for one direction of use, made on first use. A context
 * holding an earlier TEK's schedule (stale) is re-keyed by the operation
 * itself: *rekey is then the TEK to give it with the nonce (one libcrypto
 * call: cipher, nonce and tag lengths stay bound), else NULL. */
static EVP_CIPHER_CTX *direction(struct tekho_pdu_key *key, int encrypt, const uint8_t **rekey)
{
    EVP_CIPHER_CTX **ctx = encrypt ? &key->enc : &key->dec;
    *rekey = NULL;
    if (key->empty)
        return NULL;
    if (*ctx == NULL) {
        *ctx = tekho_ccm_ctx_new(key->ccm, key->tek, CCM_NONCE_LEN, TEKHO_ICV_LEN, encrypt);
    } else if (key->stale[encrypt]) {
        *rekey = key->tek;
    } else {
        return *ctx;
    }
    key->stale[encrypt] = false;
    if (*ctx != NULL)
        memcpy(key->held[encrypt != 0], key->tek, sizeof key->held[0]);
    return *ctx;
}

/* A re-key with the nonce that libcrypto refused: what the context holds
 * is unknown, so it goes (free cleanses it) and the next use makes one. */
static void drop_direction(struct tekho_pdu_key *key, int encrypt)
{
    EVP_CIPHER_CTX **ctx = encrypt ? &key->enc : &key->dec;
    EVP_CIPHER_CTX_free(*ctx);
    *ctx = NULL;
    OPENSSL_cleanse(key->held[encrypt != 0], sizeof key->held[0]);
}

tekho_err tekho_pdu_key_use(struct tekho_pdu_key *key, const uint8_t tek[16])
{
    if (key == NULL || tek == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (!key->empty && CRYPTO_memcmp(key->tek, tek, sizeof key->tek) == 0)
        return TEKHO_OK;
    memcpy(key->tek, tek, sizeof key->tek);
    key->stale[0] = key->stale[1] = true;
    key->empty = false;
    return TEKHO_OK;
}

void tekho_pdu_key_forget(struct tekho_pdu_key *key, const uint8_t tek[16])
{
    if (key == NULL || tek == NULL)
        return;
    /* A context still keyed to tek (the key may have moved on since: its
     * schedule stays until that direction's next use) goes with it. */
    EVP_CIPHER_CTX **ctx[2] = {&key->dec, &key->enc};
    for (unsigned d = 0; d < 2; d++)
        if (*ctx[d] != NULL && CRYPTO_memcmp(key->held[d], tek, sizeof key->held[d]) == 0) {
            EVP_CIPHER_CTX_free(*ctx[d]); /* cleanses the key schedule */
            *ctx[d] = NULL;
            OPENSSL_cleanse(key->held[d], sizeof key->held[d]);
        }
    if (!key->empty && CRYPTO_memcmp(key->tek, tek, sizeof key->tek) == 0) {
        OPENSSL_cleanse(key->tek, sizeof key->tek);
        key->empty = true;
        key->stale[0] = key->stale[1] = true;
    }
}

void tekho_pdu_key_free(struct tekho_pdu_key *key)
{
    if (key == NULL)
        return;
    EVP_CIPHER_CTX_free(key->enc); /* cleanses the key schedule */
    EVP_CIPHER_CTX_free(key->dec);
    EVP_CIPHER_free(key->ccm);
    OPENSSL_cleanse(key->tek, sizeof key->tek);
    OPENSSL_cleanse(key->held, sizeof key->held);
    free(key);
}

size_t tekho_pdu_sealed_len(size_t payload_len, bool crc)
{
    size_t max_payload = TEKHO_PDU_MAX_LEN - TEKHO_PDU_OVERHEAD - (crc ? TEKHO_CRC_LEN : 0);
    if (payload_len > max_payload)
        return 0;
    return payload_len + TEKHO_PDU_OVERHEAD + (crc ? TEKHO_CRC_LEN : 0);
}

static void put_pn(uint8_t *p, uint32_t wire_pn)
{
    if (TEKHO_PN_BYTE_ORDER == TEKHO_PN_LITTLE_ENDIAN)
        tekho_put_u32le(p, wire_pn);
    else
        tekho_put_u32be(p, wire_pn);
}

static uint32_t get_pn(const uint8_t *p)
{
    return TEKHO_PN_BYTE_ORDER == TEKHO_PN_LITTLE_ENDIAN ? tekho_get_u32le(p) : tekho_get_u32be(p);
}

/* 7.5.1.2.4.1: nonce = GMH without HCS | 4 reserved zero bytes | PN as carried. */
static void make_nonce(uint8_t nonce[CCM_NONCE_LEN], const uint8_t *gmh, const uint8_t *pn_bytes)
{
    memcpy(nonce, gmh, 5);
    memset(nonce + 5, 0, 4);
    memcpy(nonce + 9, pn_bytes, TEKHO_PN_LEN);
}

tekho_err tekho_pdu_seal(struct tekho_pdu_key *key, const struct tekho_pdu_seal_params *params,
                         const uint8_t *payload, size_t payload_len, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    if (key == NULL || params == NULL || out == NULL || out_len == NULL ||
        (payload == NULL && payload_len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (params->pn == 0 || params->pn > TEKHO_PN_COUNTER_MAX)
        return TEKHO_ERR_PN_INVALID;
    const size_t total = tekho_pdu_sealed_len(payload_len, params->crc);
    if (total == 0)
        return TEKHO_ERR_PDU_TOO_LONG;
    if (out_cap < total)
        return TEKHO_ERR_BUFFER_TOO_SMALL;

    const struct tekho_gmh gmh = {.ec = true,
                                  .type = params->type,
                                  .ci = params->crc,
                                  .eks = params->eks,
                                  .len = (uint16_t)total,
                                  .cid = params->cid};
    tekho_err err = tekho_gmh_encode(&gmh, out);
    if (err != TEKHO_OK)
        return err;
    uint8_t *pn_bytes = out + TEKHO_GMH_LEN;
    put_pn(pn_bytes, params->pn | (params->dir == TEKHO_DIR_UL ? TEKHO_PN_UPLINK_BIT : 0));
    uint8_t nonce[CCM_NONCE_LEN];
    make_nonce(nonce, out, pn_bytes);

    uint8_t *ciphertext = pn_bytes + TEKHO_PN_LEN;
    const uint8_t *rekey = NULL;
    EVP_CIPHER_CTX *enc = direction(key, 1, &rekey);
    if (enc == NULL)
        return TEKHO_ERR_CRYPTO;
    /* No associated data: the header is bound through the nonce. */
    err = tekho_ccm_encrypt(enc, rekey, nonce, NULL, 0, payload, payload_len, ciphertext,
                            ciphertext + payload_len, TEKHO_ICV_LEN);
    if (err != TEKHO_OK && rekey != NULL)
        drop_direction(key, 1);
    if (err != TEKHO_OK) {
        OPENSSL_cleanse(out, total);
        return err;
    }
    if (params->crc && (err = tekho_pdu_put_crc(out, total)) != TEKHO_OK) {
        OPENSSL_cleanse(out, total);
        return err;
    }
    *out_len = total;
    return TEKHO_OK;
}

tekho_err tekho_pdu_parse(const uint8_t *pdu, size_t pdu_len, enum tekho_dir dir, struct tekho_pdu_view *out)
{
    if (pdu == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_gmh gmh;
    tekho_err err = tekho_gmh_decode(pdu, pdu_len, &gmh);
    if (err != TEKHO_OK)
        return err;
    if (gmh.len != pdu_len)
        return gmh.len > pdu_len ? TEKHO_ERR_TRUNCATED : TEKHO_ERR_LENGTH_MISMATCH;
    if (!gmh.ec)
        return TEKHO_ERR_NOT_ENCRYPTED;
    size_t body_end = pdu_len;
    if (gmh.ci) {
        if (pdu_len < TEKHO_GMH_LEN + TEKHO_CRC_LEN)
            return TEKHO_ERR_TRUNCATED;
        if (!tekho_pdu_crc_ok(pdu, pdu_len))
            return TEKHO_ERR_BAD_CRC;
        body_end -= TEKHO_CRC_LEN;
    }
    if (body_end < TEKHO_PDU_OVERHEAD)
        return TEKHO_ERR_TRUNCATED;
    const uint32_t wire_pn = get_pn(pdu + TEKHO_GMH_LEN);
    const bool uplink_bit = (wire_pn & TEKHO_PN_UPLINK_BIT) != 0;
    if (uplink_bit != (dir == TEKHO_DIR_UL))
        return TEKHO_ERR_WRONG_DIRECTION;
    out->gmh = gmh;
    out->pn = wire_pn & TEKHO_PN_COUNTER_MAX;
    out->ciphertext = pdu + TEKHO_GMH_LEN + TEKHO_PN_LEN;
    out->ciphertext_len = body_end - TEKHO_PDU_OVERHEAD;
    out->icv = out->ciphertext + out->ciphertext_len;
    return TEKHO_OK;
}

tekho_err tekho_pdu_decrypt(struct tekho_pdu_key *key, const uint8_t *pdu, const struct tekho_pdu_view *view,
                            uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (key == NULL || pdu == NULL || view == NULL || out_len == NULL || (out == NULL && out_cap != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (out_cap < view->ciphertext_len)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    const uint8_t *rekey = NULL;
    EVP_CIPHER_CTX *dec = direction(key, 0, &rekey);
    if (dec == NULL)
        return TEKHO_ERR_CRYPTO;
    uint8_t nonce[CCM_NONCE_LEN];
    make_nonce(nonce, pdu, pdu + TEKHO_GMH_LEN);
    tekho_err err = tekho_ccm_decrypt(dec, rekey, nonce, NULL, 0, view->ciphertext, view->ciphertext_len, out,
                                      view->icv, TEKHO_ICV_LEN);
    /* A bad ICV is the PDU's fault: the re-key itself went through. */
    if (err == TEKHO_ERR_CRYPTO && rekey != NULL)
        drop_direction(key, 0);
    if (err != TEKHO_OK)
        return err;
    *out_len = view->ciphertext_len;
    return TEKHO_OK;
}

tekho_err tekho_pdu_open(struct tekho_pdu_key *key, enum tekho_dir dir, const uint8_t *pdu, size_t pdu_len,
                         uint8_t *out, size_t out_cap, size_t *out_len, struct tekho_pdu_view *view)
{
    struct tekho_pdu_view local;
    struct tekho_pdu_view *v = view ? view : &local;
    tekho_err err = tekho_pdu_parse(pdu, pdu_len, dir, v);
    if (err != TEKHO_OK)
        return err;
    return tekho_pdu_decrypt(key, pdu, v, out, out_cap, out_len);
}
