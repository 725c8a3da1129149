/* AES-CMAC comes from libcrypto's CMAC implementation (crypto/cmac/cmac.c),
 * the same code OpenSSL's EVP_MAC "CMAC" provider calls. We call it through
 * CMAC_CTX rather than EVP_MAC because the provider re-creates the whole
 * cipher context on every re-key (cmac_setkey passes the cipher again),
 * which halves the rate of TEK generation, where every pair uses a fresh
 * KEK. CMAC_Init with a NULL cipher re-keys in place; after a forget,
 * which frees the cipher context, the next key binds one to the cipher
 * fetched once (tekho bench: 2.0 M TEK pairs a second, 1.3 M when a
 * forget re-keyed with a constant instead). */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "aes_cmac.h"

#include <openssl/cmac.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct tekho_aes_cmac {
    CMAC_CTX *ctx;
    EVP_CIPHER *cbc; /* AES-128-CBC fetched once: binding a context to it fetches nothing */
    int bound;       /* ctx is bound to cbc (not since a forget) */
    int keyed;
    int fresh;       /* keyed and not yet used: no restart needed */
    uint8_t key[16]; /* the current key: a derivation often keys the same twice in a row */
};

/* Short messages are gathered into one buffer: each CMAC_Update costs a
 * call through the EVP layer, and Dot16KDF inputs come in 3 to 6 pieces. */
#define GATHER_MAX 128u

tekho_err tekho_aes_cmac_new(struct tekho_aes_cmac **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_aes_cmac *cmac = calloc(1, sizeof *cmac);
    if (cmac == NULL)
        return TEKHO_ERR_NO_MEMORY;
    cmac->ctx = CMAC_CTX_new();
    cmac->cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    if (cmac->ctx == NULL || cmac->cbc == NULL) {
        CMAC_CTX_free(cmac->ctx);
        EVP_CIPHER_free(cmac->cbc);
        free(cmac);
        return TEKHO_ERR_NO_MEMORY;
    }
    *out = cmac;
    return TEKHO_OK;
}

void tekho_aes_cmac_free(struct tekho_aes_cmac *cmac)
{
    if (cmac == NULL)
        return;
    CMAC_CTX_free(cmac->ctx); /* cleanses subkeys and the cipher context */
    EVP_CIPHER_free(cmac->cbc);
    OPENSSL_cleanse(cmac->key, sizeof cmac->key);
    free(cmac);
}

tekho_err tekho_aes_cmac_set_key(struct tekho_aes_cmac *cmac, const uint8_t key[16])
{
    if (cmac == NULL || key == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The same key again (AKID then CMAC_PREKEYs and KEK, all under AK):
     * the subkeys stand; the next compute restarts the MAC. */
    if (cmac->keyed && CRYPTO_memcmp(cmac->key, key, 16) == 0)
        return TEKHO_OK;
    /* After a forget the context holds no cipher context: bound again here. */
    if (!CMAC_Init(cmac->ctx, key, 16, cmac->bound ? NULL : cmac->cbc, NULL)) {
        tekho_aes_cmac_forget(cmac);
        return TEKHO_ERR_CRYPTO;
    }
    memcpy(cmac->key, key, 16);
    cmac->bound = 1;
    cmac->keyed = 1;
    cmac->fresh = 1;
    return TEKHO_OK;
}

/* CMAC_CTX_cleanup cleanses the subkeys and the last block and frees the
 * cipher context (the provider cleanses its key schedule as it goes).
 * Re-keying with a constant did the same at the cost of a key schedule,
 * a block and libcrypto's parameter look-ups, after every derivation and
 * every management-message CMAC; the next key now binds a fresh context. */
void tekho_aes_cmac_forget(struct tekho_aes_cmac *cmac)
{
    if (cmac == NULL || (!cmac->keyed && !cmac->bound))
        return;
    cmac->keyed = 0;
    cmac->fresh = 0;
    cmac->bound = 0;
    OPENSSL_cleanse(cmac->key, sizeof cmac->key);
    CMAC_CTX_cleanup(cmac->ctx);
}

tekho_err tekho_aes_cmac_compute(struct tekho_aes_cmac *cmac, const struct tekho_piece *pieces,
                                 size_t n_pieces, uint8_t out[16])
{
    if (cmac == NULL || out == NULL || (pieces == NULL && n_pieces != 0) || !cmac->keyed)
        return TEKHO_ERR_INVALID_ARGUMENT;
    size_t total = 0;
    for (size_t i = 0; i < n_pieces; i++) {
        if (pieces[i].data == NULL && pieces[i].len != 0)
            return TEKHO_ERR_INVALID_ARGUMENT;
        total += pieces[i].len;
    }
    /* All-NULL arguments restart the MAC under the current key. */
    if (!cmac->fresh && !CMAC_Init(cmac->ctx, NULL, 0, NULL, NULL))
        return TEKHO_ERR_CRYPTO;
    cmac->fresh = 0;
    if (total <= GATHER_MAX) {
        uint8_t gathered[GATHER_MAX];
        size_t at = 0;
        for (size_t i = 0; i < n_pieces; i++) {
            if (pieces[i].len)
                memcpy(gathered + at, pieces[i].data, pieces[i].len);
            at += pieces[i].len;
        }
        if (!CMAC_Update(cmac->ctx, gathered, total))
            return TEKHO_ERR_CRYPTO;
    } else {
        for (size_t i = 0; i < n_pieces; i++)
            if (pieces[i].len && !CMAC_Update(cmac->ctx, pieces[i].data, pieces[i].len))
                return TEKHO_ERR_CRYPTO;
    }
    size_t mac_len = 0;
    if (!CMAC_Final(cmac->ctx, out, &mac_len) || mac_len != 16)
        return TEKHO_ERR_CRYPTO;
    return TEKHO_OK;
}
