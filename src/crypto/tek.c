/* Counter-based TEK generation (seed, proposed 7.2.2.2.6.1; profile
 * section 3) and the per-SA TEK context. */
#include "tekho/tek.h"
#include "../mutation.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "aes_cmac.h"
#include "bytes.h"
#include "ccm.h"
#include "kit.h"

struct tekho_tek_generator {
    struct tekho_aes_cmac *cmac;
};

/* The 15 ASCII bytes of each label, without a terminator. */
static const uint8_t LABEL_TEK0[15] = "TEK0 Generation";
static const uint8_t LABEL_TEK1[15] = "TEK1 Generation";

tekho_err tekho_tek_generator_new(struct tekho_tek_generator **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_tek_generator *gen = calloc(1, sizeof *gen);
    if (gen == NULL)
        return TEKHO_ERR_NO_MEMORY;
    tekho_err err = tekho_aes_cmac_new(&gen->cmac);
    if (err != TEKHO_OK) {
        free(gen);
        return err;
    }
    *out = gen;
    return TEKHO_OK;
}

void tekho_tek_generator_free(struct tekho_tek_generator *gen)
{
    if (gen == NULL)
        return;
    tekho_aes_cmac_free(gen->cmac);
    free(gen);
}

tekho_err tekho_tek_generator_run(struct tekho_tek_generator *gen, const uint8_t kek[TEKHO_TEK_LEN],
                                  uint16_t cmac_key_count_t, uint16_t said, uint8_t tek0[TEKHO_TEK_LEN],
                                  uint8_t tek1[TEKHO_TEK_LEN])
{
    if (gen == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    return tekho_tek_generate_with(gen->cmac, kek, cmac_key_count_t, said, tek0, tek1);
}

tekho_err tekho_tek_generate_with(struct tekho_aes_cmac *cmac, const uint8_t kek[TEKHO_TEK_LEN],
                                  uint16_t cmac_key_count_t, uint16_t said, uint8_t tek0[TEKHO_TEK_LEN],
                                  uint8_t tek1[TEKHO_TEK_LEN])
{
    if (cmac == NULL || kek == NULL || tek0 == NULL || tek1 == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* A 128-bit Dot16KDF output is the single CMAC block with counter 0,
     * untruncated, so both TEKs share one key schedule. */
    static const uint8_t counter0[4] = {0, 0, 0, 0};
    static const uint8_t bits128[4] = {0, 0, 0, 128};
    uint8_t count_said[4];
    tekho_put_u16be(count_said, cmac_key_count_t);
    tekho_put_u16be(count_said + 2, said);
    struct tekho_piece msg[] = {
        {counter0, 4}, {count_said, 4}, {LABEL_TEK0, sizeof LABEL_TEK0}, {bits128, 4}};
    tekho_err err = tekho_aes_cmac_set_key(cmac, kek);
    if (err == TEKHO_OK)
        err = tekho_aes_cmac_compute(cmac, msg, 4, tek0);
    msg[2].data = LABEL_TEK1;
    if (err == TEKHO_OK)
        err = tekho_aes_cmac_compute(cmac, msg, 4, tek1);
    tekho_aes_cmac_forget(cmac); /* the KEK's schedule, and TEK1 as the last MAC */
    if (err != TEKHO_OK) {
        OPENSSL_cleanse(tek0, TEKHO_TEK_LEN);
        OPENSSL_cleanse(tek1, TEKHO_TEK_LEN);
    }
    return err;
}

tekho_err tekho_tek_generate(const uint8_t kek[TEKHO_TEK_LEN], uint16_t cmac_key_count_t, uint16_t said,
                             uint8_t tek0[TEKHO_TEK_LEN], uint8_t tek1[TEKHO_TEK_LEN])
{
    struct tekho_tek_generator *gen = NULL;
    tekho_err err = tekho_tek_generator_new(&gen);
    if (err == TEKHO_OK)
        err = tekho_tek_generator_run(gen, kek, cmac_key_count_t, said, tek0, tek1);
    tekho_tek_generator_free(gen);
    return err;
}

/* Only the TEK is secret (key_id is a fingerprint, the PN state public),
 * and a slot never installed holds none: wiping whole slots and contexts,
 * several times per handover, was a visible share of a city run. */
static void slot_cleanup(struct tekho_crypto_kit *kit, struct tekho_tek_slot *slot)
{
    if (!slot->installed && slot->ccm == NULL && slot->rx.words <= TEKHO_PN_WINDOW_INLINE_WORDS)
        return;
    if (kit != NULL && slot->installed)
        tekho_pdu_key_forget(kit->pdu, slot->key); /* the kit's contexts may hold this TEK */
    tekho_pdu_key_free(slot->ccm); /* cleanses the key schedules */
    tekho_pn_window_cleanup(&slot->rx);
    OPENSSL_cleanse(slot->key, sizeof slot->key);
    memset(slot, 0, sizeof *slot);
}

/* SHA-256 of the TEK, on the kit's digest context when there is one. */
static bool fingerprint(struct tekho_crypto_kit *kit, const uint8_t key[TEKHO_TEK_LEN], uint8_t digest[32])
{
    unsigned int digest_len = 0;
    if (kit == NULL)
        return EVP_Digest(key, TEKHO_TEK_LEN, digest, &digest_len, EVP_sha256(), NULL) && digest_len == 32;
    return EVP_DigestInit_ex2(kit->digest, kit->sha256, NULL) && EVP_DigestUpdate(kit->digest, key, TEKHO_TEK_LEN) &&
           EVP_DigestFinal_ex(kit->digest, digest, &digest_len) && digest_len == 32;
}

static tekho_err slot_install(struct tekho_crypto_kit *kit, struct tekho_tek_slot *slot,
                              const uint8_t key[TEKHO_TEK_LEN], uint8_t eks, uint64_t expires_at_ms,
                              uint16_t pn_window_size)
{
    struct tekho_tek_slot fresh;
    memset(&fresh, 0, sizeof fresh);
    tekho_err err = tekho_pn_window_init(&fresh.rx, pn_window_size);
    uint8_t digest[32];
    if (err == TEKHO_OK && !fingerprint(kit, key, digest)) {
        tekho_pn_window_cleanup(&fresh.rx);
        err = TEKHO_ERR_CRYPTO;
    }
    if (err != TEKHO_OK)
        return err;
    memcpy(fresh.key_id, digest, sizeof fresh.key_id);
    memcpy(fresh.key, key, TEKHO_TEK_LEN);
    fresh.eks = eks;
    fresh.installed = true;
    fresh.expires_at_ms = expires_at_ms;
    /* Seed: PN0, PN1, RxPN0 and RxPN1 start at 0 for fresh TEKs. */
    fresh.tx_pn = 0;
    slot_cleanup(kit, slot);
    *slot = fresh;
    OPENSSL_cleanse(fresh.key, sizeof fresh.key);
    return TEKHO_OK;
}

tekho_err tekho_tek_context_install(struct tekho_tek_context *ctx, unsigned slot,
                                    const uint8_t key[TEKHO_TEK_LEN], uint8_t eks, uint32_t lifetime_s,
                                    uint64_t now_ms, uint16_t pn_window_size)
{
    if (ctx == NULL || key == NULL || slot > 1 || eks > 3 || pn_window_size > TEKHO_PN_WINDOW_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* wpa_supplicant after KRACK: a key already installed here is not
     * installed again, so its PN counter and replay window go on; a
     * retransmitted or replayed delivery can never rewind them. */
    struct tekho_tek_slot *cur = &ctx->tek[slot];
#ifndef TEKHO_MUTATION_REINSTALL_RESETS_PN
    if (cur->installed && cur->eks == eks && CRYPTO_memcmp(cur->key, key, TEKHO_TEK_LEN) == 0)
        return TEKHO_OK;
#endif
    struct tekho_tek_slot next;
    memset(&next, 0, sizeof next);
    tekho_err err = slot_install(ctx->kit, &next, key, eks, now_ms + (uint64_t)lifetime_s * 1000u, pn_window_size);
    if (err != TEKHO_OK)
        return err;
    if (cur->installed && now_ms < cur->expires_at_ms && cur->eks != eks) {
        /* Still good for what is in flight: kept for receiving only. */
        if (ctx->retired == NULL && (ctx->retired = calloc(1, sizeof *ctx->retired)) == NULL) {
            slot_cleanup(ctx->kit, &next);
            return TEKHO_ERR_NO_MEMORY;
        }
        slot_cleanup(ctx->kit, ctx->retired);
        *ctx->retired = *cur;
        OPENSSL_cleanse(cur->key, sizeof cur->key);
        memset(cur, 0, sizeof *cur);
    } else {
        slot_cleanup(ctx->kit, cur);
    }
    *cur = next;
    OPENSSL_cleanse(next.key, sizeof next.key);
    return TEKHO_OK;
}

tekho_err tekho_tek_context_init_counter(struct tekho_tek_context *ctx,
                                         const struct tekho_tek_context_params *params,
                                         const uint8_t kek[TEKHO_TEK_LEN], uint16_t cmac_key_count_t)
{
    return tekho_tek_context_init_counter_with(NULL, ctx, params, kek, cmac_key_count_t);
}

/* With kit NULL, a one-shot CMAC context. */
tekho_err tekho_tek_context_init_counter_with(struct tekho_crypto_kit *kit, struct tekho_tek_context *ctx,
                                              const struct tekho_tek_context_params *params,
                                              const uint8_t kek[TEKHO_TEK_LEN], uint16_t cmac_key_count_t)
{
    if (ctx == NULL || params == NULL || kek == NULL || params->pn_window_size > TEKHO_PN_WINDOW_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint8_t keys[2][TEKHO_TEK_LEN];
    tekho_err err = kit ? tekho_tek_generate_with(kit->cmac, kek, cmac_key_count_t, params->said, keys[0], keys[1])
                        : tekho_tek_generate(kek, cmac_key_count_t, params->said, keys[0], keys[1]);
    /* Build into a copy and commit at the end: a failure leaves ctx as it was. */
    struct tekho_tek_context fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.said = params->said;
    fresh.cmac_key_count_t = cmac_key_count_t;
    fresh.tx_dir = params->tx_dir;
    fresh.kit = kit;
    const uint32_t lifetimes_s[2] = {params->pmk_lifetime_s / TEKHO_TEK0_LIFETIME_DIVISOR,
                                     params->pmk_lifetime_s / TEKHO_TEK1_LIFETIME_DIVISOR};
    for (unsigned i = 0; i < 2 && err == TEKHO_OK; i++)
        err = tekho_tek_context_install(&fresh, i, keys[i], (uint8_t)i, lifetimes_s[i], params->now_ms,
                                        params->pn_window_size);
    OPENSSL_cleanse(keys, sizeof keys);
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&fresh);
        return err;
    }
    tekho_tek_context_cleanup(ctx);
    *ctx = fresh;
    tekho_tek_context_forget_moved(&fresh);
    return TEKHO_OK;
}

void tekho_tek_context_cleanup(struct tekho_tek_context *ctx)
{
    if (ctx == NULL)
        return;
    slot_cleanup(ctx->kit, &ctx->tek[0]);
    slot_cleanup(ctx->kit, &ctx->tek[1]);
    if (ctx->retired != NULL) {
        slot_cleanup(ctx->kit, ctx->retired);
        free(ctx->retired);
        ctx->retired = NULL;
    }
    ctx->said = 0;
    ctx->cmac_key_count_t = 0;
    ctx->tx_dir = TEKHO_DIR_DL;
    ctx->kit = NULL;
}

void tekho_tek_context_move(struct tekho_tek_context *dst, struct tekho_tek_context *src)
{
    if (dst == NULL || src == NULL || dst == src)
        return;
    tekho_tek_context_cleanup(dst);
    *dst = *src;
    tekho_tek_context_forget_moved(src);
}

bool tekho_tek_context_pristine(const struct tekho_tek_context *ctx)
{
    for (unsigned i = 0; i < 2; i++)
        if (ctx->tek[i].installed && (ctx->tek[i].tx_pn != 0 || ctx->tek[i].rx.highest != 0))
            return false;
    return ctx->retired == NULL || !ctx->retired->installed;
}

void tekho_tek_context_forget_moved(struct tekho_tek_context *ctx)
{
    if (ctx == NULL)
        return;
    OPENSSL_cleanse(ctx->tek[0].key, sizeof ctx->tek[0].key);
    OPENSSL_cleanse(ctx->tek[1].key, sizeof ctx->tek[1].key);
    /* retired is the new owner's now (a pointer: nothing of it is here). */
    memset(ctx, 0, sizeof *ctx);
}

/* The slot's CCM key, made on first use. */
static tekho_err slot_ccm(const struct tekho_tek_context *ctx, struct tekho_tek_slot *tek, struct tekho_pdu_key **key)
{
    if (ctx->kit != NULL && tek->ccm == NULL) {
        /* The kit's contexts, re-keyed to this TEK. */
        *key = ctx->kit->pdu;
        return tekho_pdu_key_use(*key, tek->key);
    }
    tekho_err err = tek->ccm ? TEKHO_OK : tekho_pdu_key_new_with(NULL, tek->key, &tek->ccm);
    *key = tek->ccm;
    return err;
}

tekho_err tekho_tek_seal(struct tekho_tek_context *ctx, unsigned slot, uint64_t now_ms, uint16_t cid, bool crc,
                         const uint8_t *payload, size_t payload_len, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    if (ctx == NULL || slot > 1 || !ctx->tek[slot].installed)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_tek_slot *tek = &ctx->tek[slot];
    if (now_ms >= tek->expires_at_ms)
        return TEKHO_ERR_TEK_EXPIRED;
    /* A (TEK, PN) pair never repeats: at the limit a new TEK is needed. */
    if (tek->tx_pn >= TEKHO_PN_COUNTER_MAX)
        return TEKHO_ERR_PN_EXHAUSTED;
    const struct tekho_pdu_seal_params params = {
        .dir = ctx->tx_dir, .pn = tek->tx_pn + 1, .cid = cid, .eks = tek->eks, .crc = crc};
    struct tekho_pdu_key *key = NULL;
    tekho_err err = slot_ccm(ctx, tek, &key);
    if (err == TEKHO_OK)
        err = tekho_pdu_seal(key, &params, payload, payload_len, out, out_cap, out_len);
    if (err == TEKHO_OK)
        tek->tx_pn = params.pn;
    return err;
}

tekho_err tekho_tek_open(struct tekho_tek_context *ctx, uint64_t now_ms, const uint8_t *pdu, size_t pdu_len,
                         uint8_t *out, size_t out_cap, size_t *out_len, unsigned *slot_used)
{
    if (ctx == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const enum tekho_dir rx_dir = ctx->tx_dir == TEKHO_DIR_UL ? TEKHO_DIR_DL : TEKHO_DIR_UL;
    struct tekho_pdu_view view;
    tekho_err err = tekho_pdu_parse(pdu, pdu_len, rx_dir, &view);
    if (err != TEKHO_OK)
        return err;
    unsigned slot = 0;
    while (slot < 2 && !(ctx->tek[slot].installed && ctx->tek[slot].eks == view.gmh.eks))
        slot++;
    if (slot == 2 && !(ctx->retired != NULL && ctx->retired->installed && ctx->retired->eks == view.gmh.eks))
        return TEKHO_ERR_UNKNOWN_EKS;
    struct tekho_tek_slot *tek = slot < 2 ? &ctx->tek[slot] : ctx->retired;
    if (now_ms >= tek->expires_at_ms)
        return TEKHO_ERR_TEK_EXPIRED;
    err = tekho_pn_window_check(&tek->rx, view.pn);
    struct tekho_pdu_key *key = NULL;
    if (err == TEKHO_OK)
        err = slot_ccm(ctx, tek, &key);
    if (err == TEKHO_OK)
        err = tekho_pdu_decrypt(key, pdu, &view, out, out_cap, out_len);
    if (err != TEKHO_OK)
        return err;
    tekho_pn_window_commit(&tek->rx, view.pn);
    if (slot_used != NULL)
        *slot_used = slot;
    return TEKHO_OK;
}
