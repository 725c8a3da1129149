/* The explorer (include/tekho/explore.h): every committed regression case
 * replays to the outcome its header names; a seed gives the same runs
 * every time and a generated run replays from its bytes; and every
 * invariant checker can fire, on synthetic events, so none of them is a
 * check that cannot fail. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/explore.h"
#include "tekho/pdu.h"
#include "samples.h"
#include "test_util.h"

/* ---- (a) regression cases: tests/explore-cases/NAME.case (found/ is not run: those
 * are violations on the code they were found on, for the lead to turn into
 * regression cases once fixed) ---- */

static void test_committed_cases(void)
{
    DIR *d = opendir(TEKHO_EXPLORE_CASES_DIR);
    if (d == NULL)
        return;
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".case") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", TEKHO_EXPLORE_CASES_DIR, e->d_name);
        struct tekho_explore_case c;
        CHECK_ERR(tekho_explore_case_read(path, &c), TEKHO_OK);
        struct tekho_explore_params p;
        tekho_explore_case_params(&c, &p);
        struct tekho_explore_outcome o;
        CHECK_ERR(tekho_explore_replay(&p, c.bytes, c.len, &o, NULL), TEKHO_OK);
        if (o.invariant != c.expect) {
            fprintf(stderr, "FAIL %s: %s, the case expects %s (%s)\n", path, tekho_xp_invariant_name(o.invariant),
                    tekho_xp_invariant_name(c.expect), o.detail);
            test_failures++;
        }
        tekho_explore_case_free(&c);
        n++;
    }
    closedir(d);
    printf("test_explore: %u committed case%s replayed\n", n, n == 1 ? "" : "s");
}

/* ---- (b) determinism ---- */

static void test_same_seed_same_runs(void)
{
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        struct tekho_explore_params p;
        tekho_explore_params_default(&p);
        p.scheme = (enum tekho_scheme)s;
        p.seed = 1000;
        p.runs = 6;
        p.steps = 400;
        p.shrink_attempts = 0;
        p.max_violations = 100;
        struct tekho_explore_result a, b;
        CHECK_ERR(tekho_explore_run(&p, &a), TEKHO_OK);
        CHECK_ERR(tekho_explore_run(&p, &b), TEKHO_OK);
        CHECK(a.events == b.events && a.events > 0);
        CHECK(a.runs == b.runs && a.n_violations == b.n_violations);
        for (size_t i = 0; i < a.n_violations && i < b.n_violations; i++) {
            CHECK(a.violations[i].run == b.violations[i].run);
            CHECK(a.violations[i].outcome.invariant == b.violations[i].outcome.invariant);
            CHECK(a.violations[i].outcome.event == b.violations[i].outcome.event);
            CHECK(a.violations[i].len == b.violations[i].len &&
                  memcmp(a.violations[i].bytes, b.violations[i].bytes, a.violations[i].len) == 0);
        }
        tekho_explore_result_free(&a);
        tekho_explore_result_free(&b);
    }
}

/* A seeded run and the replay of the bytes it read are the same run. */
static void test_generate_then_replay(void)
{
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            struct tekho_explore_params p;
            tekho_explore_params_default(&p);
            p.scheme = (enum tekho_scheme)s;
            p.seed = seed * 77;
            p.steps = 500;
            struct tekho_explore_outcome g, r;
            uint8_t *bytes = NULL;
            size_t len = 0;
            CHECK_ERR(tekho_explore_generate(&p, &g, &bytes, &len), TEKHO_OK);
            CHECK(g.consumed == len);
            CHECK_ERR(tekho_explore_replay(&p, bytes, len, &r, NULL), TEKHO_OK);
            CHECK(r.invariant == g.invariant && r.event == g.event && r.events == g.events);
            CHECK(r.consumed == g.consumed);
            CHECK(strcmp(r.detail, g.detail) == 0);
            free(bytes);
        }
    }
}

/* An empty stream is all benign choices: the schedule stops at once. */
static void test_empty_stream_is_clean(void)
{
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        struct tekho_explore_params p;
        tekho_explore_params_default(&p);
        p.scheme = (enum tekho_scheme)s;
        struct tekho_explore_outcome o;
        CHECK_ERR(tekho_explore_replay(&p, NULL, 0, &o, NULL), TEKHO_OK);
        CHECK(o.invariant == TEKHO_XP_NONE);
        CHECK(o.consumed == 0);
    }
}

/* A short hand-written schedule: MS 0 enters at BS 1 and sends data both
 * ways; nothing goes wrong, and the quiet phase sees data flow. */
static void test_hand_written_schedule(void)
{
    /* The world (11 bytes, all defaults: 2 BSs, 1 MS, so no byte picks the
     * MS), then (action, arguments, delay): enter at BS 1, +76 ms; wait
     * twice; data both ways, 4 each; stop. */
    const uint8_t stream[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              1, 0, 15,    /* enter: bs 1 */
                              11, 15, 11, 15,
                              4, 0, 3, 15, /* data: both ways, 4 */
                              0};
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        struct tekho_explore_params p;
        tekho_explore_params_default(&p);
        p.scheme = (enum tekho_scheme)s;
        struct tekho_explore_outcome o;
        CHECK_ERR(tekho_explore_replay(&p, stream, sizeof stream, &o, NULL), TEKHO_OK);
        if (o.invariant != TEKHO_XP_NONE)
            fprintf(stderr, "FAIL %s: %s: %s\n", tekho_scheme_name(p.scheme), tekho_xp_invariant_name(o.invariant),
                    o.detail);
        CHECK(o.invariant == TEKHO_XP_NONE);
        CHECK(o.events > 100); /* the quiet phase ran and carried data */
    }
}

/* Shrinking keeps the violation and never grows the stream (when the
 * roles still have a violation a few seeds find; otherwise nothing to do). */
static void test_shrink(void)
{
    struct tekho_explore_params p;
    tekho_explore_params_default(&p);
    p.scheme = TEKHO_SCHEME_COUNTER;
    p.seed = 1;
    p.runs = 40;
    p.steps = 400;
    p.shrink_attempts = 150;
    struct tekho_explore_result r;
    CHECK_ERR(tekho_explore_run(&p, &r), TEKHO_OK);
    for (size_t i = 0; i < r.n_violations; i++) {
        const struct tekho_explore_violation *v = &r.violations[i];
        CHECK(v->len <= v->original_len);
        struct tekho_explore_params q = p;
        q.seed = v->run_seed;
        struct tekho_explore_outcome o;
        CHECK_ERR(tekho_explore_replay(&q, v->bytes, v->len, &o, NULL), TEKHO_OK);
        CHECK(o.invariant != TEKHO_XP_NONE && o.invariant == v->outcome.invariant);
    }
    tekho_explore_result_free(&r);
}

static void test_case_file_round_trip(void)
{
    uint8_t bytes[100];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 37);
    const struct tekho_explore_case c = {.scheme = TEKHO_SCHEME_REUSE, .schedule = 1, .run_seed = 123456789012ull,
                                         .steps = 777,
                                         .fixed_bs = 2, .fixed_ms = 1, .faults_off = 9,
                                         .expect = TEKHO_XP_PN_REUSE, .bytes = bytes, .len = sizeof bytes};
    char path[] = "/tmp/tekho-explore-case-XXXXXX";
    const int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_ERR(tekho_explore_case_write(path, &c, "a comment\nover two lines"), TEKHO_OK);
    struct tekho_explore_case back;
    CHECK_ERR(tekho_explore_case_read(path, &back), TEKHO_OK);
    CHECK(back.scheme == c.scheme && back.schedule == 1 && back.run_seed == c.run_seed && back.steps == c.steps);
    CHECK(back.fixed_bs == 2 && back.fixed_ms == 1 && back.faults_off == 9 && back.expect == TEKHO_XP_PN_REUSE);
    CHECK(back.len == sizeof bytes && memcmp(back.bytes, bytes, sizeof bytes) == 0);
    tekho_explore_case_free(&back);
    /* Not a case file. */
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("format 1\nscheme counter\noutcome maybe\nbytes 0\n", f);
        fclose(f);
    }
    CHECK_ERR(tekho_explore_case_read(path, &back), TEKHO_ERR_BAD_VALUE);
    remove(path);
    CHECK_ERR(tekho_explore_case_read(path, &back), TEKHO_ERR_IO);
}

/* ---- (c) every checker fires ---- */

static void test_pn_checker(void)
{
    struct tekho_xp_checker *c = NULL;
    CHECK_ERR(tekho_xp_checker_new(2, &c), TEKHO_OK);
    if (c == NULL)
        return;
    const uint8_t fp[8] = {1, 2, 3, 4, 5, 6, 7, 8}, other[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 1) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 2) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 2) == TEKHO_XP_PN_REUSE); /* the same pair twice */
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 1) == TEKHO_XP_PN_REUSE); /* below the mark, used */
    /* The other direction and another TEK are other pairs. */
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_DL, 2) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, other, TEKHO_DIR_UL, 2) == TEKHO_XP_NONE);
    /* A jump leaves a gap: each PN in it may be used once, in any order. */
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 10) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 5) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 3) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 9) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 5) == TEKHO_XP_PN_REUSE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 10) == TEKHO_XP_PN_REUSE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 4) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 6) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 7) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, 8) == TEKHO_XP_NONE);
    for (uint64_t pn = 1; pn <= 10; pn++)
        CHECK(tekho_xp_check_sealed(c, fp, TEKHO_DIR_UL, pn) == TEKHO_XP_PN_REUSE);
    /* Many TEKs: the table grows and forgets none. */
    for (uint32_t k = 0; k < 1000; k++) {
        uint8_t f[8] = {0};
        memcpy(f, &k, sizeof k);
        f[7] = 0xEE;
        CHECK(tekho_xp_check_sealed(c, f, TEKHO_DIR_DL, 1) == TEKHO_XP_NONE);
    }
    for (uint32_t k = 0; k < 1000; k += 97) {
        uint8_t f[8] = {0};
        memcpy(f, &k, sizeof k);
        f[7] = 0xEE;
        CHECK(tekho_xp_check_sealed(c, f, TEKHO_DIR_DL, 1) == TEKHO_XP_PN_REUSE);
    }
    tekho_xp_checker_free(c);
}

/* (2) Management replays: every CMAC-protected sample is recognised, the
 * ones without a CMAC (initial ranging, EAP transfer) are not, and a copy
 * acted on a second time by the same receiver is a replay. */
static void test_mgmt_checker(void)
{
    static struct sample samples[SAMPLES_MAX];
    const size_t n = samples_build(samples, SAMPLES_MAX);
    CHECK(n > 0);
    struct tekho_xp_checker *c = NULL;
    CHECK_ERR(tekho_xp_checker_new(1, &c), TEKHO_OK);
    if (c == NULL)
        return;
    unsigned authenticated = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sample *s = &samples[i];
        if (s->kind != SAMPLE_AIR || !tekho_xp_mgmt_authenticated(s->pdu, s->pdu_len))
            continue;
        authenticated++;
        CHECK(tekho_xp_check_mgmt_acted(c, 7, s->pdu, s->pdu_len) == TEKHO_XP_NONE);
        CHECK(tekho_xp_check_mgmt_acted(c, 8, s->pdu, s->pdu_len) == TEKHO_XP_NONE); /* another receiver */
        CHECK(tekho_xp_check_mgmt_acted(c, 7, s->pdu, s->pdu_len) == TEKHO_XP_MGMT_REPLAY);
        uint8_t other[sizeof s->pdu];
        memcpy(other, s->pdu, s->pdu_len);
        other[s->pdu_len - 5] ^= 1; /* another CMAC: another message */
        CHECK(tekho_xp_check_mgmt_acted(c, 7, other, s->pdu_len) == TEKHO_XP_NONE);
    }
    /* RNG-REQ (handover), RNG-RSP, MOB_MSHO-REQ, MOB_BSHO-RSP, MOB_HO-IND and
     * the PKM messages with a CMAC-Digest, at least. */
    CHECK(authenticated >= 6);
    uint8_t data[TEKHO_GMH_LEN + 16 + TEKHO_CRC_LEN] = {0};
    const struct tekho_gmh gmh = {.ci = true, .len = sizeof data, .cid = 0x1001};
    CHECK_ERR(tekho_gmh_encode(&gmh, data), TEKHO_OK);
    tekho_pdu_put_crc(data, sizeof data);
    CHECK(!tekho_xp_mgmt_authenticated(data, sizeof data)); /* user data */
    tekho_xp_checker_free(c);
}

static void test_delivery_checker(void)
{
    struct tekho_xp_checker *c = NULL;
    CHECK_ERR(tekho_xp_checker_new(2, &c), TEKHO_OK);
    if (c == NULL)
        return;
    uint8_t p[TEKHO_XP_PAYLOAD_LEN];
    for (uint32_t seq = 0; seq < 200; seq++)
        tekho_xp_note_sent(c, 0, 0, seq);
    tekho_xp_payload(0, 0, 5, p);
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_REPLAY); /* delivered twice */
    tekho_xp_payload(0, 0, 150, p);
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_NONE);
    tekho_xp_payload(0, 0, 4, p); /* late but first: fine */
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_NONE);
    tekho_xp_payload(0, 0, 200, p); /* never sent */
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_FORGED);
    tekho_xp_payload(0, 0, 6, p);
    CHECK(tekho_xp_check_delivered(c, 1, 0, p, sizeof p) == TEKHO_XP_FORGED); /* for another MS */
    CHECK(tekho_xp_check_delivered(c, 0, 1, p, sizeof p) == TEKHO_XP_FORGED); /* the other direction */
    p[30] ^= 1;                                                               /* altered */
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_FORGED);
    p[30] ^= 1;
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p - 1) == TEKHO_XP_FORGED); /* truncated */
    CHECK(tekho_xp_check_delivered(c, 0, 0, p, sizeof p) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_delivered(c, 5, 0, p, sizeof p) == TEKHO_XP_FORGED); /* no such MS */
    tekho_xp_checker_free(c);
}

static void test_count_checkers(void)
{
    struct tekho_xp_checker *c = NULL;
    CHECK_ERR(tekho_xp_checker_new(1, &c), TEKHO_OK);
    if (c == NULL)
        return;
    CHECK(tekho_xp_check_count(c, 0, true, 1) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_count(c, 0, true, 3) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_count(c, 0, true, 0) == TEKHO_XP_NONE); /* not loaded (after a restart) */
    CHECK(tekho_xp_check_count(c, 0, true, 2) == TEKHO_XP_N_DECREASED);
    CHECK(tekho_xp_check_count(c, 0, false, 2) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_count(c, 0, false, 1) == TEKHO_XP_M_DECREASED);
    /* A new PMK starts both again, each side on its own event. */
    tekho_xp_new_pmk(c, 0, true);
    CHECK(tekho_xp_check_count(c, 0, true, 1) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_count(c, 0, false, 0) == TEKHO_XP_M_DECREASED); /* the MS's epoch did not move */
    tekho_xp_new_pmk(c, 0, false);
    CHECK(tekho_xp_check_count(c, 0, false, 0) == TEKHO_XP_NONE);
    /* Up to the limit, never past it (the way to a wrap). */
    CHECK(tekho_xp_check_count(c, 0, false, TEKHO_CMAC_KEY_COUNT_LIMIT) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_count(c, 0, false, TEKHO_CMAC_KEY_COUNT_LIMIT + 1) == TEKHO_XP_M_DECREASED);
    CHECK(tekho_xp_check_count(c, 0, true, TEKHO_CMAC_KEY_COUNT_LIMIT + 1) == TEKHO_XP_N_DECREASED);
    CHECK(tekho_xp_check_keys_installed(2, 3) == TEKHO_XP_STALE_KEYS);
    CHECK(tekho_xp_check_keys_installed(3, 3) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_keys_installed(4, 3) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_keys_installed(2, 0) == TEKHO_XP_NONE); /* N unknown */
    tekho_xp_checker_free(c);
}

/* (7) Data at the target before ranging: only the schemes that wait for RNG-RSP may not. */
static void test_early_data_checker(void)
{
    static const enum tekho_scheme waits[] = {TEKHO_SCHEME_NONE_LATE, TEKHO_SCHEME_BASELINE_UPDATE,
                                              TEKHO_SCHEME_BASELINE_FULL, TEKHO_SCHEME_BASELINE_CHALLENGE};
    static const enum tekho_scheme early[] = {TEKHO_SCHEME_NONE, TEKHO_SCHEME_COUNTER, TEKHO_SCHEME_REUSE,
                                              TEKHO_SCHEME_BASELINE_EARLY};
    _Static_assert(sizeof waits / sizeof waits[0] + sizeof early / sizeof early[0] == TEKHO_SCHEME_COUNT,
                   "every scheme is in one list");
    for (size_t i = 0; i < 4; i++) {
        CHECK(tekho_xp_check_early_data(waits[i], true) == TEKHO_XP_EARLY_DATA);
        CHECK(tekho_xp_check_early_data(waits[i], false) == TEKHO_XP_NONE);
        CHECK(tekho_xp_check_early_data(early[i], true) == TEKHO_XP_NONE);
        CHECK(tekho_xp_check_early_data(early[i], false) == TEKHO_XP_NONE);
        /* The roles agree with the oracle. */
        CHECK(!tekho_scheme_early_data(waits[i]) && tekho_scheme_early_data(early[i]));
    }
    CHECK(strcmp(tekho_xp_invariant_name(TEKHO_XP_EARLY_DATA), "early-data") == 0);
}

static void test_call_checker(void)
{
    struct tekho_actions *a = malloc(sizeof *a);
    if (a == NULL)
        return;
    tekho_actions_reset(a);
    CHECK(tekho_xp_check_call(TEKHO_OK, a, false, false) == TEKHO_XP_NONE);
    CHECK(tekho_xp_check_call(TEKHO_ERR_BAD_CMAC, a, false, false) == TEKHO_XP_NONE);   /* a refusal */
    CHECK(tekho_xp_check_call(TEKHO_ERR_TOO_MANY, a, true, false) == TEKHO_XP_NONE);    /* a decoder's refusal */
    CHECK(tekho_xp_check_call(TEKHO_ERR_CRYPTO, a, false, false) == TEKHO_XP_ROLE_ERROR);
    CHECK(tekho_xp_check_call(TEKHO_ERR_NO_MEMORY, a, false, false) == TEKHO_XP_ROLE_ERROR);
    CHECK(tekho_xp_check_call(TEKHO_ERR_NO_MEMORY, a, false, true) == TEKHO_XP_NONE); /* injected failure */
    CHECK(tekho_xp_check_call(TEKHO_ERR_BUFFER_TOO_SMALL, a, true, false) == TEKHO_XP_ROLE_ERROR);
    CHECK(tekho_xp_check_call(TEKHO_ERR_INVALID_ARGUMENT, a, false, false) == TEKHO_XP_ROLE_ERROR);
    CHECK(tekho_xp_check_call(TEKHO_ERR_INVALID_ARGUMENT, a, true, false) == TEKHO_XP_NONE);
    a->err = TEKHO_ERR_TOO_MANY; /* the actions overflowed */
    CHECK(tekho_xp_check_call(TEKHO_OK, a, false, false) == TEKHO_XP_ROLE_ERROR);
    a->err = TEKHO_OK;
    a->n = TEKHO_ACTIONS_MAX;
    CHECK(tekho_xp_check_call(TEKHO_OK, a, false, false) == TEKHO_XP_STEP_BOUND);
    free(a);
    for (int i = 0; i < TEKHO_XP_COUNT; i++) {
        enum tekho_xp_invariant back;
        CHECK_ERR(tekho_xp_invariant_parse(tekho_xp_invariant_name((enum tekho_xp_invariant)i), &back), TEKHO_OK);
        CHECK(back == (enum tekho_xp_invariant)i);
    }
}

/* Schedule 4 reaches its store faults: persists completed late and
 * failed, restarts that cut persists in flight, and runs of the counter
 * scheme in which N still moved; all without a violation. */
struct store_seen {
    unsigned durable, failed, cut, count_updated;
};

static void store_trace(void *ctx, const char *line)
{
    struct store_seen *seen = ctx;
    seen->durable += strstr(line, "store: persist") != NULL && strstr(line, "durable") != NULL;
    seen->failed += strstr(line, "store: persist") != NULL && strstr(line, "durable") == NULL;
    seen->cut += strstr(line, "restart cut") != NULL;
    seen->count_updated += strstr(line, "COUNT_UPDATED") != NULL;
}

static void test_store_faults_reached(void)
{
    struct store_seen seen = {0};
    struct tekho_explore_params p;
    tekho_explore_params_default(&p);
    p.trace = store_trace;
    p.trace_ctx = &seen;
    unsigned violations = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        p.seed = seed;
        struct tekho_explore_outcome o;
        CHECK_ERR(tekho_explore_generate(&p, &o, NULL, NULL), TEKHO_OK);
        violations += o.invariant != TEKHO_XP_NONE;
    }
    printf("test_explore: schedule 4, 60 runs: %u persists durable, %u failed, %u restarts cut some in flight, "
           "%u count updates\n", seen.durable, seen.failed, seen.cut, seen.count_updated);
    CHECK(violations == 0);
    CHECK(seen.durable > 100 && seen.failed > 5 && seen.cut > 0 && seen.count_updated > 100);
}

int main(void)
{
    test_pn_checker();
    test_delivery_checker();
    test_count_checkers();
    test_early_data_checker();
    test_call_checker();
    test_case_file_round_trip();
    test_empty_stream_is_clean();
    test_hand_written_schedule();
    test_mgmt_checker();
    test_generate_then_replay();
    test_same_seed_same_runs();
    test_shrink();
    test_committed_cases();
    test_store_faults_reached();
    return test_summary("test_explore");
}
