/* AES-CMAC comes from libcrypto's CMAC implementation (crypto/cmac/cmac.c),
 * the same code OpenSSL's EVP_MAC "CMAC" provider calls. We call it through
 * CMAC_CTX rather than EVP_MAC because the provider re-creates the whole
 * cipher context on every re-key (cmac_setkey passes the cipher again),
 * which halves the rate of TEK generation, where every pair uses a fresh
 * KEK. CMAC_Init with a NULL cipher re-keys in place. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "aes_cmac.h"

#include <openssl/cmac.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The last few keys stay keyed, each in its own context: a role's
 * handovers come back to the same keys (the PMK, the serving link's
 * CMAC_KEY_U and _D, first met as the target's), and keying a context is
 * most of the cost of a short CMAC. Evicted keys are overwritten by the
 * next key; all are wiped when the context is freed. */
#define KEYED_SLOTS 8

struct keyed {
    CMAC_CTX *ctx;
    uint8_t key[16];
    int fresh;          /* keyed and not yet used: no restart needed */
    uint64_t last_used;
};

struct tekho_aes_cmac {
    struct keyed slot[KEYED_SLOTS];
    unsigned n_slots;   /* slots with a context (made on first need) */
    int current;        /* the slot set_key chose; -1: none */
    uint64_t clock;
};

/* Short messages are gathered into one buffer: each CMAC_Update costs a
 * call through the EVP layer, and Dot16KDF inputs come in 3 to 6 pieces. */
#define GATHER_MAX 128u

/* A context with the cipher bound once; later keys re-key it in place. */
static CMAC_CTX *bound_context(void)
{
    CMAC_CTX *ctx = CMAC_CTX_new();
    if (ctx != NULL && !CMAC_Init(ctx, NULL, 0, EVP_aes_128_cbc(), NULL)) {
        CMAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

tekho_err tekho_aes_cmac_new(struct tekho_aes_cmac **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_aes_cmac *cmac = calloc(1, sizeof *cmac);
    if (cmac == NULL)
        return TEKHO_ERR_NO_MEMORY;
    cmac->current = -1;
    cmac->slot[0].ctx = bound_context();
    if (cmac->slot[0].ctx == NULL) {
        free(cmac);
        return TEKHO_ERR_CRYPTO;
    }
    cmac->n_slots = 1;
    *out = cmac;
    return TEKHO_OK;
}

void tekho_aes_cmac_free(struct tekho_aes_cmac *cmac)
{
    if (cmac == NULL)
        return;
    for (unsigned i = 0; i < cmac->n_slots; i++)
        CMAC_CTX_free(cmac->slot[i].ctx); /* cleanses subkeys and the cipher context */
    OPENSSL_cleanse(cmac, sizeof *cmac);
    free(cmac);
}

tekho_err tekho_aes_cmac_set_key(struct tekho_aes_cmac *cmac, const uint8_t key[16])
{
    if (cmac == NULL || key == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* A key still keyed (AKID, then CMAC_PREKEYs and KEK, all under AK;
     * or one from a recent handover): its subkeys stand, and the next
     * compute restarts the MAC. Which slot matches is not secret; the key
     * bytes are compared in constant time. */
    int pick = -1;
    for (unsigned i = 0; i < cmac->n_slots; i++)
        if (cmac->slot[i].last_used != 0 && CRYPTO_memcmp(cmac->slot[i].key, key, 16) == 0)
            pick = (int)i;
    if (pick < 0) {
        /* A new key: a slot never used, a new one, or the least recently used. */
        if (cmac->n_slots < KEYED_SLOTS && cmac->slot[cmac->n_slots - 1].last_used != 0) {
            cmac->slot[cmac->n_slots].ctx = bound_context();
            if (cmac->slot[cmac->n_slots].ctx != NULL)
                cmac->n_slots++;
        }
        pick = 0;
        for (unsigned i = 1; i < cmac->n_slots; i++)
            if (cmac->slot[i].last_used < cmac->slot[pick].last_used)
                pick = (int)i;
        struct keyed *k = &cmac->slot[pick];
        k->last_used = 0;
        if (!CMAC_Init(k->ctx, key, 16, NULL, NULL)) {
            OPENSSL_cleanse(k->key, sizeof k->key);
            cmac->current = -1;
            return TEKHO_ERR_CRYPTO;
        }
        memcpy(k->key, key, 16);
        k->fresh = 1;
    }
    cmac->current = pick;
    cmac->slot[pick].last_used = ++cmac->clock;
    return TEKHO_OK;
}

tekho_err tekho_aes_cmac_compute(struct tekho_aes_cmac *cmac, const struct tekho_piece *pieces,
                                 size_t n_pieces, uint8_t out[16])
{
    if (cmac == NULL || out == NULL || (pieces == NULL && n_pieces != 0) || cmac->current < 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct keyed *k = &cmac->slot[cmac->current];
    size_t total = 0;
    for (size_t i = 0; i < n_pieces; i++) {
        if (pieces[i].data == NULL && pieces[i].len != 0)
            return TEKHO_ERR_INVALID_ARGUMENT;
        total += pieces[i].len;
    }
    /* All-NULL arguments restart the MAC under the current key. */
    if (!k->fresh && !CMAC_Init(k->ctx, NULL, 0, NULL, NULL))
        return TEKHO_ERR_CRYPTO;
    k->fresh = 0;
    if (total <= GATHER_MAX) {
        uint8_t gathered[GATHER_MAX];
        size_t at = 0;
        for (size_t i = 0; i < n_pieces; i++) {
            if (pieces[i].len)
                memcpy(gathered + at, pieces[i].data, pieces[i].len);
            at += pieces[i].len;
        }
        if (!CMAC_Update(k->ctx, gathered, total))
            return TEKHO_ERR_CRYPTO;
    } else {
        for (size_t i = 0; i < n_pieces; i++)
            if (pieces[i].len && !CMAC_Update(k->ctx, pieces[i].data, pieces[i].len))
                return TEKHO_ERR_CRYPTO;
    }
    size_t mac_len = 0;
    if (!CMAC_Final(k->ctx, out, &mac_len) || mac_len != 16)
        return TEKHO_ERR_CRYPTO;
    return TEKHO_OK;
}
