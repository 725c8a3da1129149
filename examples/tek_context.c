/* A TEK context at each end of a link: the counter-based TEK pair both ends
 * derive from the KEK and CMAC_KEY_COUNT (no TEK ever crosses the air),
 * each TEK's transmit PN counter and receive replay window, and lifetimes.
 *
 * The MS seals eight uplink PDUs under TEK0; the BS opens them out of
 * order, refuses a replay and a PDU that fell below its window, then the
 * BS answers on the downlink. At 451 s TEK0 (lifetime PMK/8 = 450 s) has
 * expired and TEK1 (PMK/2) carries the data. Prints each step and exits 1
 * unless each gives what it must.
 * Build against an installed tekho:
 *   cc tek_context.c $(pkg-config --cflags --libs tekho) */
#include <stdio.h>
#include <string.h>
#include <tekho/tekho.h>

static int failures;

static void expect(const char *what, tekho_err got, tekho_err want)
{
    printf("%-28s %s\n", what, tekho_strerror(got));
    if (got != want) {
        fprintf(stderr, "tek_context: %s gave \"%s\", want \"%s\"\n", what, tekho_strerror(got),
                tekho_strerror(want));
        failures++;
    }
}

struct pdu {
    uint8_t b[64];
    size_t len;
};

/* The BS opens one of the MS's PDUs; what opened must be what was sealed. */
static void bs_open(struct tekho_tek_context *bs, uint64_t now_ms, const struct pdu *p, const char *what,
                    tekho_err want, const char *want_payload)
{
    uint8_t plain[64];
    size_t plain_len = 0;
    unsigned slot = 9;
    const tekho_err err = tekho_tek_open(bs, now_ms, p->b, p->len, plain, sizeof plain, &plain_len, &slot);
    expect(what, err, want);
    if (err == TEKHO_OK &&
        (plain_len != strlen(want_payload) || memcmp(plain, want_payload, plain_len) != 0)) {
        fprintf(stderr, "tek_context: %s: payload \"%.*s\", want \"%s\"\n", what, (int)plain_len,
                (const char *)plain, want_payload);
        failures++;
    }
}

int main(void)
{
    /* The KEK both ends derived from the AK (tekho_derive_from_msk at the MS,
     * tekho_derive_from_ak at the BS), here the profile's vendor vector. */
    static const uint8_t kek[16] = {0xe0, 0x93, 0x89, 0xb8, 0xf3, 0x39, 0x1d, 0xfe,
                                    0xc8, 0xa9, 0x9a, 0xf4, 0x1d, 0xa1, 0x47, 0xb9};
    const uint16_t count = 1;  /* CMAC_KEY_COUNT of this handover */
    const uint64_t t0_ms = 0;  /* the caller's clock: milliseconds, any epoch */

    /* Zeroed contexts: cleanup is safe on them whatever happens below. */
    struct tekho_tek_context ms, bs;
    memset(&ms, 0, sizeof ms);
    memset(&bs, 0, sizeof bs);
    struct tekho_tek_context_params p = {
        .said = 0x2b,
        .tx_dir = TEKHO_DIR_UL, /* the MS sends uplink */
        .pmk_lifetime_s = 3600, /* TEK0 lives 450 s, TEK1 1800 s */
        .now_ms = t0_ms,
        .pn_window_size = 4,    /* tiny, to show the window; 0 = TEKHO_PN_WINDOW_DEFAULT */
    };
    tekho_err err = tekho_tek_context_init_counter(&ms, &p, kek, count);
    expect("MS derives TEK0/TEK1", err, TEKHO_OK);
    p.tx_dir = TEKHO_DIR_DL;   /* the BS sends downlink */
    if (err == TEKHO_OK) {
        err = tekho_tek_context_init_counter(&bs, &p, kek, count);
        expect("BS derives TEK0/TEK1", err, TEKHO_OK);
    }
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&ms);
        return 1;
    }
    /* Both ends hold the same keys. key_id, the first 8 bytes of SHA-256 of
     * the TEK, is safe to print: TEK0 is 4b78aa5edd785469c8b38ca170d67376
     * (`tekho tek --kek e09389b8f3391dfec8a99af41da147b9 --ckc 1 --said 0x2b`). */
    char id[17];
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", ms.tek[0].key_id[i]);
    printf("TEK0 id %s, the same at both ends: %s\n", id,
           memcmp(ms.tek[0].key_id, bs.tek[0].key_id, 8) == 0 ? "yes" : "no");
    if (strcmp(id, "30f8814d67c5e89e") != 0 || memcmp(ms.tek[0].key_id, bs.tek[0].key_id, 8) != 0 ||
        memcmp(ms.tek[1].key_id, bs.tek[1].key_id, 8) != 0) {
        fprintf(stderr, "tek_context: TEK0 id %s, want 30f8814d67c5e89e at both ends\n", id);
        failures++;
    }

    /* ---- uplink: the MS seals PNs 1..8 under TEK0 (slot 0) ---- */
    struct pdu ul[9];
    char payload[16];
    for (int pn = 1; pn <= 8; pn++) {
        snprintf(payload, sizeof payload, "ul %d", pn);
        err = tekho_tek_seal(&ms, 0, t0_ms + 10, 0x2b, true, (const uint8_t *)payload, strlen(payload), ul[pn].b,
                             sizeof ul[pn].b, &ul[pn].len);
        if (err != TEKHO_OK)
            expect("MS seals", err, TEKHO_OK);
    }
    printf("MS sealed PNs 1..8, its TEK0 PN counter is at %u\n", ms.tek[0].tx_pn);
    if (ms.tek[0].tx_pn != 8)
        failures++;

    /* ---- the BS opens them as the air delivers them ---- */
    bs_open(&bs, t0_ms + 20, &ul[1], "BS opens PN 1", TEKHO_OK, "ul 1");
    bs_open(&bs, t0_ms + 20, &ul[3], "BS opens PN 3", TEKHO_OK, "ul 3");
    bs_open(&bs, t0_ms + 20, &ul[2], "BS opens PN 2 (late)", TEKHO_OK, "ul 2");
    bs_open(&bs, t0_ms + 20, &ul[3], "BS opens PN 3 again", TEKHO_ERR_PN_REPLAYED, "");
    bs_open(&bs, t0_ms + 20, &ul[8], "BS opens PN 8", TEKHO_OK, "ul 8");
    /* Window 4 below the highest PN 8: 5, 6, 7 are still welcome, 4 is not. */
    bs_open(&bs, t0_ms + 20, &ul[4], "BS opens PN 4 (too late)", TEKHO_ERR_PN_BELOW_WINDOW, "");
    bs_open(&bs, t0_ms + 20, &ul[6], "BS opens PN 6", TEKHO_OK, "ul 6");
    /* A refused PDU changes nothing: PN 5 still opens after the failures above. */
    bs_open(&bs, t0_ms + 20, &ul[5], "BS opens PN 5", TEKHO_OK, "ul 5");

    /* ---- downlink: the BS answers under its own PN counter ---- */
    struct pdu dl;
    err = tekho_tek_seal(&bs, 0, t0_ms + 30, 0x2b, true, (const uint8_t *)"dl 1", 4, dl.b, sizeof dl.b, &dl.len);
    expect("BS seals downlink", err, TEKHO_OK);
    uint8_t plain[64];
    size_t plain_len = 0;
    err = tekho_tek_open(&ms, t0_ms + 30, dl.b, dl.len, plain, sizeof plain, &plain_len, NULL);
    expect("MS opens downlink", err, TEKHO_OK);
    if (err == TEKHO_OK && (plain_len != 4 || memcmp(plain, "dl 1", 4) != 0))
        failures++;
    /* A PDU from the MS fed back to the MS: it is the wrong direction. */
    err = tekho_tek_open(&ms, t0_ms + 30, ul[7].b, ul[7].len, plain, sizeof plain, &plain_len, NULL);
    expect("MS opens its own uplink", err, TEKHO_ERR_WRONG_DIRECTION);

    /* ---- 451 s later: TEK0 has expired, TEK1 (slot 1) goes on ---- */
    const uint64_t later = t0_ms + 451 * 1000;
    struct pdu late;
    err = tekho_tek_seal(&ms, 0, later, 0x2b, true, (const uint8_t *)"x", 1, late.b, sizeof late.b, &late.len);
    expect("MS seals under TEK0", err, TEKHO_ERR_TEK_EXPIRED);
    bs_open(&bs, later, &ul[7], "BS opens PN 7 of TEK0", TEKHO_ERR_TEK_EXPIRED, "");
    err = tekho_tek_seal(&ms, 1, later, 0x2b, true, (const uint8_t *)"ul on TEK1", 10, late.b, sizeof late.b,
                         &late.len);
    expect("MS seals under TEK1", err, TEKHO_OK);
    unsigned slot = 9;
    err = tekho_tek_open(&bs, later, late.b, late.len, plain, sizeof plain, &plain_len, &slot);
    expect("BS opens it", err, TEKHO_OK);
    printf("BS opened it with slot %u (EKS %u)\n", slot, bs.tek[slot < 2 ? slot : 0].eks);
    if (slot != 1)
        failures++;

    /* Wipes the keys and frees the CCM contexts. */
    tekho_tek_context_cleanup(&ms);
    tekho_tek_context_cleanup(&bs);
    printf("tek_context: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
