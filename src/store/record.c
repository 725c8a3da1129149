/* The Authenticator's durable record (include/tekho/roles.h): its encoding
 * in a TEKHO_ACT_PERSIST action, and the PMK identifier records are keyed
 * under. Layout, TEKHO_AUTH_RECORD_LEN bytes, big-endian:
 *   0 version (1)  1 kind  2..7 MS MAC  8..9 N  10 PMK_SN  11..18 PMK id
 *   19..22 PMK lifetime (s)  23 has-MSK (0/1)  24..87 MSK (zero without) */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "tekho/keys.h"
#include "tekho/roles.h"

#define RECORD_VERSION 1u

tekho_err tekho_auth_record_encode(const struct tekho_auth_record *r, uint8_t out[TEKHO_AUTH_RECORD_LEN])
{
    if (r == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if ((r->kind != TEKHO_RECORD_ADVANCE && r->kind != TEKHO_RECORD_NEW_PMK) || r->n == 0)
        return TEKHO_ERR_BAD_VALUE;
    memset(out, 0, TEKHO_AUTH_RECORD_LEN);
    out[0] = RECORD_VERSION;
    out[1] = (uint8_t)r->kind;
    memcpy(out + 2, r->ms_mac, 6);
    out[8] = (uint8_t)(r->n >> 8);
    out[9] = (uint8_t)r->n;
    out[10] = r->pmk_sn;
    memcpy(out + 11, r->pmk_id, TEKHO_PMK_ID_LEN);
    out[19] = (uint8_t)(r->pmk_lifetime_s >> 24);
    out[20] = (uint8_t)(r->pmk_lifetime_s >> 16);
    out[21] = (uint8_t)(r->pmk_lifetime_s >> 8);
    out[22] = (uint8_t)r->pmk_lifetime_s;
    if (r->kind == TEKHO_RECORD_NEW_PMK) {
        out[23] = 1;
        memcpy(out + 24, r->msk, 64);
    }
    return TEKHO_OK;
}

tekho_err tekho_auth_record_decode(const uint8_t *b, size_t len, struct tekho_auth_record *out)
{
    if (b == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < TEKHO_AUTH_RECORD_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (len > TEKHO_AUTH_RECORD_LEN)
        return TEKHO_ERR_LENGTH_MISMATCH;
    const uint16_t n = (uint16_t)(b[8] << 8 | b[9]);
    const bool has_msk = b[23] == 1;
    if (b[0] != RECORD_VERSION || (b[1] != TEKHO_RECORD_ADVANCE && b[1] != TEKHO_RECORD_NEW_PMK) || n == 0 ||
        b[23] > 1 || has_msk != (b[1] == TEKHO_RECORD_NEW_PMK))
        return TEKHO_ERR_BAD_VALUE;
    if (!has_msk)
        for (size_t i = 24; i < TEKHO_AUTH_RECORD_LEN; i++)
            if (b[i] != 0)
                return TEKHO_ERR_BAD_VALUE;
    memset(out, 0, sizeof *out);
    out->kind = (enum tekho_record_kind)b[1];
    memcpy(out->ms_mac, b + 2, 6);
    out->n = n;
    out->pmk_sn = b[10];
    memcpy(out->pmk_id, b + 11, TEKHO_PMK_ID_LEN);
    out->pmk_lifetime_s = (uint32_t)b[19] << 24 | (uint32_t)b[20] << 16 | (uint32_t)b[21] << 8 | b[22];
    if (has_msk)
        memcpy(out->msk, b + 24, 64);
    return TEKHO_OK;
}

void tekho_auth_record_wipe(struct tekho_auth_record *r)
{
    if (r != NULL)
        OPENSSL_cleanse(r, sizeof *r);
}

tekho_err tekho_pmk_id(const uint8_t msk[64], uint8_t id[TEKHO_PMK_ID_LEN])
{
    if (msk == NULL || id == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    static const char label[] = "tekho PMK id";
    uint8_t pmk[TEKHO_PMK_LEN], d[32];
    tekho_err err = tekho_pmk_from_msk(msk, pmk);
    EVP_MD_CTX *ctx = err == TEKHO_OK ? EVP_MD_CTX_new() : NULL;
    unsigned n = 0;
    if (err == TEKHO_OK && !(ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                             EVP_DigestUpdate(ctx, label, sizeof label - 1) &&
                             EVP_DigestUpdate(ctx, pmk, sizeof pmk) && EVP_DigestFinal_ex(ctx, d, &n) && n == 32))
        err = TEKHO_ERR_CRYPTO;
    if (err == TEKHO_OK)
        memcpy(id, d, TEKHO_PMK_ID_LEN);
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(pmk, sizeof pmk);
    OPENSSL_cleanse(d, sizeof d);
    return err;
}
