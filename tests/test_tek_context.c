/* The per-SA TEK context at both ends of a link: counter-generated keys,
 * lifetimes, PN counters, the replay window on the real data path, and
 * that a failure changes nothing. */
#include <openssl/evp.h>
#include <string.h>

#include "kit.h"
#include "tekho/tekho.h"
#include "test_util.h"

static const uint8_t KEK[16] = {0xe0, 0x93, 0x89, 0xb8, 0xf3, 0x39, 0x1d, 0xfe,
                                0xc8, 0xa9, 0x9a, 0xf4, 0x1d, 0xa1, 0x47, 0xb9};
#define PMK_LIFETIME_S 3600u
#define T0_MS 1000u

/* The protocol state of a context: keys, EKS, expiry, PN counters and
 * windows. The keyed cipher context is created on first use, a cache, and
 * is left out. */
static int same_state(const struct tekho_tek_context *a, const struct tekho_tek_context *b)
{
    if (a->said != b->said || a->cmac_key_count_t != b->cmac_key_count_t || a->tx_dir != b->tx_dir)
        return 0;
    for (int i = 0; i < 2; i++) {
        const struct tekho_tek_slot *x = &a->tek[i], *y = &b->tek[i];
        if (memcmp(x->key, y->key, sizeof x->key) != 0 || x->eks != y->eks || x->installed != y->installed ||
            x->expires_at_ms != y->expires_at_ms || x->tx_pn != y->tx_pn ||
            memcmp(&x->rx, &y->rx, sizeof x->rx) != 0 || memcmp(x->key_id, y->key_id, sizeof x->key_id) != 0)
            return 0;
    }
    return 1;
}

static void make_pair(struct tekho_tek_context *ms, struct tekho_tek_context *bs, uint16_t ckc_ms, uint16_t ckc_bs)
{
    memset(ms, 0, sizeof *ms);
    memset(bs, 0, sizeof *bs);
    struct tekho_tek_context_params p = {.said = 0x2b, .tx_dir = TEKHO_DIR_UL, .pmk_lifetime_s = PMK_LIFETIME_S,
                                         .now_ms = T0_MS, .pn_window_size = 64};
    CHECK_ERR(tekho_tek_context_init_counter(ms, &p, KEK, ckc_ms), TEKHO_OK);
    p.tx_dir = TEKHO_DIR_DL;
    CHECK_ERR(tekho_tek_context_init_counter(bs, &p, KEK, ckc_bs), TEKHO_OK);
}

static size_t ms_send(struct tekho_tek_context *ms, unsigned slot, uint64_t now, uint8_t *pdu)
{
    static const uint8_t voice[40] = {1, 2, 3};
    size_t n = 0;
    CHECK_ERR(tekho_tek_seal(ms, slot, now, 0x2b, true, voice, sizeof voice, pdu, TEKHO_PDU_MAX_LEN, &n), TEKHO_OK);
    return n;
}

static tekho_err deliver(struct tekho_tek_context *to, uint64_t now, const uint8_t *pdu, size_t n)
{
    uint8_t out[TEKHO_PDU_MAX_LEN];
    size_t out_len = 0;
    return tekho_tek_open(to, now, pdu, n, out, sizeof out, &out_len, NULL);
}

static void test_fresh_context(void)
{
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 1, 1);
    uint8_t tek0[16], tek1[16];
    CHECK_ERR(tekho_tek_generate(KEK, 1, 0x2b, tek0, tek1), TEKHO_OK);
    CHECK_BYTES(ms.tek[0].key, tek0, 16);
    CHECK_BYTES(ms.tek[1].key, tek1, 16);
    CHECK_BYTES(bs.tek[0].key, tek0, 16);
    /* Seed: lifetimes 1/8 and 1/2 of the PMK lifetime; PNs start at 0; EKS 0 and 1. */
    CHECK(ms.tek[0].expires_at_ms == T0_MS + PMK_LIFETIME_S * 1000u / 8);
    CHECK(ms.tek[1].expires_at_ms == T0_MS + PMK_LIFETIME_S * 1000u / 2);
    CHECK(ms.tek[0].tx_pn == 0 && ms.tek[1].tx_pn == 0 && ms.tek[0].rx.highest == 0 && ms.tek[1].rx.highest == 0);
    CHECK(ms.tek[0].eks == 0 && ms.tek[1].eks == 1 && ms.tek[0].rx.size == 64);
    CHECK(ms.cmac_key_count_t == 1 && ms.said == 0x2b);
    /* key_id is SHA-256(TEK)[0..8], whether the context was built with a
     * role's kit (its digest context, reused) or without. */
    uint8_t digest[32];
    unsigned int digest_len = 0;
    CHECK(EVP_Digest(tek0, 16, digest, &digest_len, EVP_sha256(), NULL) && digest_len == 32);
    CHECK_BYTES(ms.tek[0].key_id, digest, 8);
    struct tekho_crypto_kit *kit = NULL;
    CHECK_ERR(tekho_crypto_kit_new(&kit), TEKHO_OK);
    const struct tekho_tek_context_params p = {
        .said = 0x2b, .tx_dir = TEKHO_DIR_UL, .pmk_lifetime_s = PMK_LIFETIME_S, .now_ms = T0_MS};
    for (uint16_t count = 1; count <= 3; count++) {
        struct tekho_tek_context with_kit;
        memset(&with_kit, 0, sizeof with_kit);
        CHECK_ERR(tekho_tek_context_init_counter_with(kit, &with_kit, &p, KEK, count), TEKHO_OK);
        for (int i = 0; i < 2; i++) {
            CHECK(EVP_Digest(with_kit.tek[i].key, 16, digest, &digest_len, EVP_sha256(), NULL));
            CHECK_BYTES(with_kit.tek[i].key_id, digest, 8);
        }
        if (count == 1)
            CHECK_BYTES(with_kit.tek[0].key_id, ms.tek[0].key_id, 8);
        tekho_tek_context_cleanup(&with_kit);
    }
    tekho_crypto_kit_free(kit);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
}

static void test_data_path(void)
{
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 5, 5);
    uint8_t pdu[3][TEKHO_PDU_MAX_LEN];
    size_t n[3];
    for (int i = 0; i < 3; i++)
        n[i] = ms_send(&ms, 0, T0_MS + 1, pdu[i]);
    CHECK(ms.tek[0].tx_pn == 3);
    /* Out of order inside the window, then replays of each. */
    CHECK_ERR(deliver(&bs, T0_MS + 2, pdu[2], n[2]), TEKHO_OK);
    CHECK_ERR(deliver(&bs, T0_MS + 2, pdu[0], n[0]), TEKHO_OK);
    CHECK_ERR(deliver(&bs, T0_MS + 2, pdu[0], n[0]), TEKHO_ERR_PN_REPLAYED);
    CHECK_ERR(deliver(&bs, T0_MS + 2, pdu[2], n[2]), TEKHO_ERR_PN_REPLAYED);

    /* A PDU whose ICV fails does not move the window: the genuine PDU with
     * that PN is still accepted afterwards. */
    uint8_t forged[TEKHO_PDU_MAX_LEN];
    memcpy(forged, pdu[1], n[1]);
    forged[12] ^= 0xFF;
    CHECK_ERR(tekho_pdu_put_crc(forged, n[1]), TEKHO_OK);
    struct tekho_tek_context before;
    memcpy(&before, &bs, sizeof bs);
    CHECK_ERR(deliver(&bs, T0_MS + 2, forged, n[1]), TEKHO_ERR_BAD_ICV);
    CHECK(same_state(&before, &bs));
    CHECK_ERR(deliver(&bs, T0_MS + 2, pdu[1], n[1]), TEKHO_OK);

    /* The BS's own downlink PDU reflected back at it has the wrong direction bit. */
    uint8_t dl[TEKHO_PDU_MAX_LEN];
    size_t dl_len = 0;
    const uint8_t x = 9;
    CHECK_ERR(tekho_tek_seal(&bs, 0, T0_MS + 3, 0x2b, false, &x, 1, dl, sizeof dl, &dl_len), TEKHO_OK);
    CHECK_ERR(deliver(&bs, T0_MS + 3, dl, dl_len), TEKHO_ERR_WRONG_DIRECTION);
    CHECK_ERR(deliver(&ms, T0_MS + 3, dl, dl_len), TEKHO_OK);
    /* TEK1 is selected by EKS 1 and has its own counters. */
    size_t n1 = ms_send(&ms, 1, T0_MS + 4, pdu[0]);
    unsigned slot = 9;
    uint8_t out[TEKHO_PDU_MAX_LEN];
    size_t out_len;
    CHECK_ERR(tekho_tek_open(&bs, T0_MS + 4, pdu[0], n1, out, sizeof out, &out_len, &slot), TEKHO_OK);
    CHECK(slot == 1 && ms.tek[1].tx_pn == 1 && bs.tek[1].rx.highest == 1);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
}

static void test_mis_synchronised_counts(void)
{
    /* Seed, TB < TM: the target's keys differ and the PDU does not verify. */
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 6, 5);
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = ms_send(&ms, 0, T0_MS, pdu);
    struct tekho_tek_context before;
    memcpy(&before, &bs, sizeof bs);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_ERR_BAD_ICV);
    CHECK(same_state(&before, &bs));
    /* Regenerating at the MS's count (self-sync or RNG-REQ resync) opens it. */
    struct tekho_tek_context_params p = {.said = 0x2b, .tx_dir = TEKHO_DIR_DL, .pmk_lifetime_s = PMK_LIFETIME_S,
                                         .now_ms = T0_MS, .pn_window_size = 64};
    CHECK_ERR(tekho_tek_context_init_counter(&bs, &p, KEK, 6), TEKHO_OK);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
}

static void test_lifetime_and_pn_limit(void)
{
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 1, 1);
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = 0;
    const uint8_t x = 1;
    const uint64_t tek0_end = T0_MS + PMK_LIFETIME_S * 1000u / 8;
    /* Still valid one millisecond before expiry, refused at it, both ways. */
    n = ms_send(&ms, 0, tek0_end - 1, pdu);
    CHECK_ERR(deliver(&bs, tek0_end - 1, pdu, n), TEKHO_OK);
    CHECK_ERR(tekho_tek_seal(&ms, 0, tek0_end, 1, false, &x, 1, pdu, sizeof pdu, &n), TEKHO_ERR_TEK_EXPIRED);
    n = ms_send(&ms, 1, tek0_end, pdu); /* TEK1 lives longer */
    CHECK_ERR(deliver(&bs, tek0_end, pdu, n), TEKHO_OK);
    n = ms_send(&ms, 0, tek0_end - 1, pdu);
    CHECK_ERR(deliver(&bs, tek0_end, pdu, n), TEKHO_ERR_TEK_EXPIRED);

    /* The PN counter stops at 0x7FFFFFFF: the last PDU goes out, then nothing. */
    ms.tek[1].tx_pn = TEKHO_PN_COUNTER_MAX - 1;
    CHECK_ERR(tekho_tek_seal(&ms, 1, T0_MS, 1, false, &x, 1, pdu, sizeof pdu, &n), TEKHO_OK);
    CHECK(ms.tek[1].tx_pn == TEKHO_PN_COUNTER_MAX);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    CHECK(bs.tek[1].rx.highest == TEKHO_PN_COUNTER_MAX);
    CHECK_ERR(tekho_tek_seal(&ms, 1, T0_MS, 1, false, &x, 1, pdu, sizeof pdu, &n), TEKHO_ERR_PN_EXHAUSTED);
    CHECK(ms.tek[1].tx_pn == TEKHO_PN_COUNTER_MAX);
    CHECK_ERR(tekho_tek_seal(&ms, 2, T0_MS, 1, false, &x, 1, pdu, sizeof pdu, &n), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
}

static void test_installed_keys_and_failures(void)
{
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 1, 1);
    /* A delivered TEK (baseline) with EKS 2 replaces slot 0 at the BS only:
     * the MS's EKS-0 PDUs still open under the retired TEK0 (in flight at a
     * refresh) until it expires, then name a key the BS no longer uses. */
    uint8_t tek[16] = {7};
    CHECK_ERR(tekho_tek_context_install(&bs, 0, tek, 2, 600, T0_MS, 0), TEKHO_OK);
    CHECK(bs.tek[0].eks == 2 && bs.tek[0].rx.size == TEKHO_PN_WINDOW_DEFAULT && bs.tek[0].tx_pn == 0);
    CHECK(bs.retired != NULL && bs.retired->installed && bs.retired->eks == 0);
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = ms_send(&ms, 0, T0_MS, pdu);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_ERR_PN_REPLAYED);
    const uint64_t tek0_end = T0_MS + PMK_LIFETIME_S * 1000u / TEKHO_TEK0_LIFETIME_DIVISOR;
    n = ms_send(&ms, 0, tek0_end - 1, pdu);
    CHECK_ERR(deliver(&bs, tek0_end, pdu, n), TEKHO_ERR_TEK_EXPIRED);
    /* Installed past its expiry, the replaced TEK is not kept. */
    CHECK_ERR(tekho_tek_context_install(&bs, 1, tek, 3, 600, T0_MS + PMK_LIFETIME_S * 1000u, 0), TEKHO_OK);
    CHECK(bs.retired != NULL && bs.retired->eks == 0);
    /* Invalid arguments leave the context as it was. */
    struct tekho_tek_context before;
    memcpy(&before, &bs, sizeof bs);
    CHECK_ERR(tekho_tek_context_install(&bs, 2, tek, 0, 600, T0_MS, 0), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_tek_context_install(&bs, 0, tek, 4, 600, T0_MS, 0), TEKHO_ERR_INVALID_ARGUMENT);
    struct tekho_tek_context_params p = {.said = 1, .tx_dir = TEKHO_DIR_DL, .pmk_lifetime_s = 60,
                                         .pn_window_size = TEKHO_PN_WINDOW_MAX + 1};
    CHECK_ERR(tekho_tek_context_init_counter(&bs, &p, KEK, 9), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(same_state(&before, &bs));
    /* Cleanup wipes every key byte. */
    tekho_tek_context_cleanup(&bs);
    static const struct tekho_tek_context zero;
    CHECK(memcmp(&bs, &zero, sizeof bs) == 0);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&ms); /* idempotent */
}

/* The KRACK rule in the key layer: a key installed again (a retransmitted
 * or replayed Key-Reply) keeps its PN counter and replay window. */
static void test_reinstall_keeps_pn_state(void)
{
    struct tekho_tek_context ms, bs;
    make_pair(&ms, &bs, 3, 3);
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = ms_send(&ms, 0, T0_MS, pdu);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    CHECK(ms.tek[0].tx_pn == 1 && bs.tek[0].rx.highest == 1);
    struct tekho_tek_context before;
    memcpy(&before, &ms, sizeof ms);
    /* The MS's own TEK0 delivered again: nothing moves. */
    uint8_t key[16];
    memcpy(key, ms.tek[0].key, sizeof key);
    CHECK_ERR(tekho_tek_context_install(&ms, 0, key, 0, 600, T0_MS + 5, 0), TEKHO_OK);
    CHECK(same_state(&before, &ms));
    memcpy(key, bs.tek[0].key, sizeof key);
    CHECK_ERR(tekho_tek_context_install(&bs, 0, key, 0, 600, T0_MS + 5, 0), TEKHO_OK);
    /* ... so the recorded PDU is still a replay, and the next seal moves on. */
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_ERR_PN_REPLAYED);
    n = ms_send(&ms, 0, T0_MS, pdu);
    CHECK(ms.tek[0].tx_pn == 2);
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    /* The same key under another EKS, or another key, is a new install. */
    CHECK_ERR(tekho_tek_context_install(&ms, 0, key, 2, 600, T0_MS, 0), TEKHO_OK);
    CHECK(ms.tek[0].tx_pn == 0 && ms.tek[0].eks == 2);
    OPENSSL_cleanse(key, sizeof key);
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
}

static void test_move_and_pristine(void)
{
    struct tekho_tek_context ms, bs, dst;
    make_pair(&ms, &bs, 4, 4);
    memset(&dst, 0, sizeof dst);
    CHECK(tekho_tek_context_pristine(&ms) && tekho_tek_context_pristine(&bs));
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = ms_send(&ms, 1, T0_MS, pdu);
    CHECK(!tekho_tek_context_pristine(&ms)); /* it sealed */
    CHECK(tekho_tek_context_pristine(&bs));
    CHECK_ERR(deliver(&bs, T0_MS, pdu, n), TEKHO_OK);
    CHECK(!tekho_tek_context_pristine(&bs)); /* it accepted */
    struct tekho_tek_context before;
    memcpy(&before, &bs, sizeof bs);
    tekho_tek_context_move(&dst, &bs);
    static const struct tekho_tek_context zero;
    CHECK(memcmp(&bs, &zero, sizeof bs) == 0);
    CHECK(dst.tek[1].rx.highest == 1 && memcmp(dst.tek[1].key, before.tek[1].key, 16) == 0);
    CHECK_ERR(deliver(&dst, T0_MS, pdu, n), TEKHO_ERR_PN_REPLAYED);
    OPENSSL_cleanse(&before, sizeof before);
    tekho_tek_context_cleanup(&dst);
    tekho_tek_context_cleanup(&ms);
}

static void test_window_seen_through(void)
{
    struct tekho_pn_window w;
    CHECK_ERR(tekho_pn_window_init(&w, 64), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_seen_through(&w, 100), TEKHO_OK);
    for (uint32_t pn = 37; pn <= 100; pn++)
        CHECK_ERR(tekho_pn_window_check(&w, pn), TEKHO_ERR_PN_REPLAYED);
    CHECK_ERR(tekho_pn_window_check(&w, 36), TEKHO_ERR_PN_BELOW_WINDOW);
    /* What comes after is fresh, also out of order within the word. */
    tekho_pn_window_commit(&w, 105);
    CHECK_ERR(tekho_pn_window_check(&w, 101), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_check(&w, 104), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_check(&w, 105), TEKHO_ERR_PN_REPLAYED);
    /* The largest counter is bounded; past it nothing changes. */
    struct tekho_pn_window before = w;
    CHECK_ERR(tekho_pn_window_seen_through(&w, 0xFFFFFFFFu), TEKHO_ERR_PN_INVALID);
    CHECK(memcmp(&before, &w, sizeof w) == 0);
    CHECK_ERR(tekho_pn_window_seen_through(&w, TEKHO_PN_COUNTER_MAX), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_check(&w, TEKHO_PN_COUNTER_MAX), TEKHO_ERR_PN_REPLAYED);
    /* Lower than what is there: nothing moves back. */
    CHECK_ERR(tekho_pn_window_init(&w, 64), TEKHO_OK);
    tekho_pn_window_commit(&w, 500);
    before = w;
    CHECK_ERR(tekho_pn_window_seen_through(&w, 200), TEKHO_OK);
    CHECK(memcmp(&before, &w, sizeof w) == 0);
}

int main(void)
{
    test_reinstall_keeps_pn_state();
    test_move_and_pristine();
    test_window_seen_through();
    test_fresh_context();
    test_data_path();
    test_mis_synchronised_counts();
    test_lifetime_and_pn_limit();
    test_installed_keys_and_failures();
    return test_summary("test_tek_context");
}
