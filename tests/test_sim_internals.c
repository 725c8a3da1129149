/* The emulator's internals: its random streams and radio arithmetic
 * (src/sim/sim_random.h), the ziggurat's normals against the normal
 * distribution and the series log10 against libm's; its event queue
 * (src/sim/event_queue.h) against a plain list. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event_queue.h"
#include "pn_ledger.h"
#include "sim_internal.h"
#include "sim_random.h"
#include "tekho/pdu.h"
#include "tekho/sim.h"
#include "test_util.h"

/* The standard normal CDF. */
static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void test_normal_distribution(void)
{
    struct sim_normal_table table;
    tekho_sim_normal_table_init(&table);
    /* The table's own geometry: layer edges fall from the tail start to 0,
     * and the densities rise to 1 at the top. */
    CHECK(fabs(table.width[SIM_ZIGGURAT_LAYERS - 1] * SIM_ZIGGURAT_SCALE - 3.442619855899) < 1e-9);
    CHECK(table.density[0] == 1.0);
    for (int i = 1; i < SIM_ZIGGURAT_LAYERS; i++)
        CHECK(table.density[i] < table.density[i - 1]);

    struct sim_rng rng;
    tekho_sim_rng_seed(&rng, 42);
    enum { N = 2000000 };
    /* Counts in bins of the CDF at these cut points, against Phi: a chi^2
     * test with 11 degrees of freedom, plus the far tails and the moments. */
    static const double cuts[] = {-3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0};
    enum { BINS = sizeof cuts / sizeof cuts[0] + 1 };
    unsigned long count[BINS] = {0};
    unsigned long beyond_4 = 0;
    double sum = 0, sum2 = 0, sum4 = 0;
    for (int n = 0; n < N; n++) {
        const double x = sim_normal(&table, &rng);
        sum += x;
        sum2 += x * x;
        sum4 += x * x * x * x;
        beyond_4 += fabs(x) > 4.0;
        int b = 0;
        while (b < BINS - 1 && x >= cuts[b])
            b++;
        count[b]++;
    }
    double chi2 = 0;
    for (int b = 0; b < BINS; b++) {
        const double lo = b == 0 ? 0 : phi(cuts[b - 1]), hi = b == BINS - 1 ? 1 : phi(cuts[b]);
        const double expected = N * (hi - lo);
        chi2 += (count[b] - expected) * (count[b] - expected) / expected;
    }
    /* 11 degrees of freedom: P(chi2 > 31.3) = 0.001. */
    CHECK(chi2 < 31.3);
    const double mean = sum / N, var = sum2 / N - mean * mean, kurtosis = sum4 / N / (var * var);
    CHECK(fabs(mean) < 0.004);       /* 5.6 standard errors of the mean */
    CHECK(fabs(var - 1) < 0.006);    /* about 6 standard errors */
    CHECK(fabs(kurtosis - 3) < 0.03);
    /* P(|x| > 4) = 6.3e-5: about 127 of 2e6; the tail code must produce them. */
    CHECK(beyond_4 > 80 && beyond_4 < 180);
    fprintf(stderr, "normal: chi2 %.1f mean %.5f var %.5f kurtosis %.4f beyond 4: %lu\n", chi2, mean, var,
            kurtosis, beyond_4);

    /* A seed gives the same stream. */
    struct sim_rng a, b;
    tekho_sim_rng_seed(&a, 7);
    tekho_sim_rng_seed(&b, 7);
    for (int n = 0; n < 1000; n++)
        CHECK(sim_normal(&table, &a) == sim_normal(&table, &b));
}

static void test_log10(void)
{
    /* Every decade the radio model meets (squared distances in km^2, from
     * 35 m to hundreds of km) and more, at exact powers of ten and between. */
    double worst = 0;
    for (double x = 1e-6; x < 1e9; x *= 1.0009765625) {
        const double err = fabs(sim_log10(x) - log10(x));
        if (err > worst)
            worst = err;
    }
    CHECK(worst < 1e-11);
    for (int e = -6; e <= 9; e++)
        CHECK(fabs(sim_log10(pow(10, e)) - e) < 1e-11);
    CHECK(sim_log10(1.0) == 0.0);
    /* Either side of the fold at sqrt 2, in several binades. */
    for (int e = -20; e <= 40; e += 3) {
        const double at = ldexp(1.4142135623730951, e);
        const double near[] = {nextafter(at, 0), at, nextafter(at, INFINITY), ldexp(1.0, e), ldexp(1.0, e + 1)};
        for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
            CHECK(fabs(sim_log10(near[i]) - log10(near[i])) < 1e-11);
    }
    fprintf(stderr, "log10: worst error %.3g\n", worst);
}

/* The reference: every pending event in a list, the earliest found by a scan. */
struct reference_event {
    uint64_t t, seq, key;
    bool is_timer;
    uint32_t a;
};

static size_t reference_earliest(const struct reference_event *list, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (list[i].t < list[best].t || (list[i].t == list[best].t && list[i].seq < list[best].seq))
            best = i;
    return best;
}

static void test_event_queue(void)
{
    enum { STEPS = 200000, KEYS = 3000, MAX_PENDING = 4096 };
    static struct reference_event list[MAX_PENDING];
    size_t n = 0;
    /* A short horizon step, and times both near and far past it, so
     * events cross between the heap and the far list all the time. */
    /* Compacted whenever it drained to a quarter of the slots handed out
     * (from 256 on): the order must not notice. */
    struct sim_queue queue = {.horizon_step = 16, .compact_from = 256};
    struct sim_rng rng;
    tekho_sim_rng_seed(&rng, 9);
    uint64_t now = 0, seq = 0;
    unsigned long pops = 0, rearms = 0, cancels = 0;
    size_t most_far = 0;
    for (int step = 0; step < STEPS; step++) {
        /* 0-1 push, 2-3 arm, 4 cancel, 5 and up pop: the first half fills
         * the queue (and grows the timer map), the second churns it. */
        const unsigned op = (unsigned)(sim_rng_next(&rng) % (step < STEPS / 2 ? 6 : 9));
        /* Times collide often, so the sequence number decides the order;
         * one in four is far off. */
        const uint64_t spread = sim_rng_next(&rng) % 4 == 0 ? 4096 : 64;
        const uint64_t t = now + sim_rng_next(&rng) % spread;
        const uint64_t key = sim_rng_next(&rng) % KEYS;
        const uint32_t tag = (uint32_t)step;
        if (op <= 1 && n < MAX_PENDING) {
            /* a plain event, with bytes the queue must own and free */
            struct sim_event ev = {.t = t, .seq = seq, .a = tag, .len = 3};
            ev.bytes = malloc(3);
            CHECK(ev.bytes != NULL && tekho_sim_queue_push(&queue, &ev));
            list[n++] = (struct reference_event){.t = t, .seq = seq++, .a = tag};
        } else if (op <= 3 && n < MAX_PENDING) {
            const struct sim_event ev = {.t = t, .seq = seq, .a = tag, .b = (uint32_t)key};
            CHECK(tekho_sim_queue_arm(&queue, key, &ev));
            size_t i = 0;
            while (i < n && !(list[i].is_timer && list[i].key == key))
                i++;
            rearms += i < n;
            if (i == n)
                n++;
            list[i] = (struct reference_event){.t = t, .seq = seq++, .key = key, .is_timer = true, .a = tag};
        } else if (op == 4) {
            tekho_sim_queue_cancel(&queue, key);
            for (size_t i = 0; i < n; i++)
                if (list[i].is_timer && list[i].key == key) {
                    list[i] = list[--n];
                    cancels++;
                    break;
                }
        } else {
            struct sim_event got;
            const bool popped = tekho_sim_queue_pop(&queue, &got);
            CHECK(popped == (n > 0));
            if (!popped || n == 0)
                continue;
            const size_t want = reference_earliest(list, n);
            CHECK(got.t == list[want].t && got.seq == list[want].seq && got.a == list[want].a &&
                  got.is_timer == list[want].is_timer);
            CHECK(!got.is_timer || got.timer_key == list[want].key);
            free(got.bytes);
            now = got.t;
            list[want] = list[--n];
            pops++;
        }
        CHECK(tekho_sim_queue_len(&queue) == n);
        if (queue.n_far > most_far)
            most_far = queue.n_far;
    }
    const unsigned long compacted_checked = queue.compactions; /* under the reference's eye */
    /* What is left comes out in order, and the timer map empties with it. */
    struct sim_event got;
    uint64_t last_t = 0;
    while (tekho_sim_queue_pop(&queue, &got)) {
        CHECK(got.t >= last_t);
        last_t = got.t;
        free(got.bytes);
    }
    CHECK(queue.n_timers == 0);
    CHECK(pops > STEPS / 4 && rearms > 1000 && cancels > 1000 && most_far > 100 && compacted_checked > 0);
    fprintf(stderr, "queue: %lu pops, %lu re-arms, %lu cancels, %lu compactions (%lu before the drain)\n", pops,
            rearms, cancels, queue.compactions, compacted_checked);
    /* The queue frees what is still pending (ASan reports a leak otherwise). */
    struct sim_event left = {.t = 1, .len = 5};
    left.bytes = malloc(5);
    CHECK(tekho_sim_queue_push(&queue, &left));
    const struct sim_event timer = {.t = 2};
    CHECK(tekho_sim_queue_arm(&queue, 77, &timer));
    tekho_sim_queue_free(&queue);
    CHECK(tekho_sim_queue_len(&queue) == 0 && queue.slab == NULL);
}

/* The ledger against a plain bitmap of every (TEK, direction, PN) sealed:
 * PNs mostly rising by one, jumps up (skips), and PNs below the mark, in
 * skips and not. */
static void test_pn_ledger_exact(void)
{
    enum { KEYS = 6, PNS = 4096, STEPS = 60000 };
    static uint8_t sealed[KEYS][2][PNS];
    memset(sealed, 0, sizeof sealed);
    uint32_t top[KEYS][2] = {{0}};
    struct pn_ledger l = {0};
    struct sim_rng rng;
    tekho_sim_rng_seed(&rng, 10);
    unsigned long reuses = 0, fills = 0, skips = 0;
    for (int step = 0; step < STEPS; step++) {
        const unsigned k = (unsigned)(sim_rng_next(&rng) % KEYS), d = (unsigned)(sim_rng_next(&rng) % 2);
        uint8_t fp[8];
        memset(fp, 0, sizeof fp);
        fp[0] = (uint8_t)(0x40 + k); /* fingerprints that differ in one byte */
        const unsigned op = (unsigned)(sim_rng_next(&rng) % 10);
        uint32_t pn;
        if (op < 6 || top[k][d] == 0)
            pn = top[k][d] + 1;
        else if (op < 8)
            pn = top[k][d] + 2 + (uint32_t)(sim_rng_next(&rng) % 20);
        else
            pn = 1 + (uint32_t)(sim_rng_next(&rng) % top[k][d]);
        if (pn >= PNS)
            continue;
        bool reused = true;
        CHECK_ERR(tekho_pn_ledger_note(&l, fp, d ? TEKHO_DIR_UL : TEKHO_DIR_DL, pn, &reused), TEKHO_OK);
        CHECK(reused == (sealed[k][d][pn] != 0));
        reuses += reused;
        fills += !reused && pn < top[k][d];
        skips += pn > top[k][d] + 1;
        sealed[k][d][pn] = 1;
        if (pn > top[k][d])
            top[k][d] = pn;
    }
    CHECK(reuses > 1000 && fills > 1000 && skips > 1000 && l.ranges_dropped == 0);
    CHECK(l.n == KEYS * 2);
    tekho_pn_ledger_free(&l);

    /* Many TEKs, each sealed once at PN 1..3: all remembered, in 16-byte entries. */
    enum { MANY = 100000 };
    for (uint32_t i = 0; i < MANY; i++) {
        uint8_t fp[8] = {0};
        memcpy(fp, &i, sizeof i);
        for (uint32_t pn = 1; pn <= 3; pn++) {
            bool reused = true;
            CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_DL, pn, &reused), TEKHO_OK);
            CHECK(!reused);
        }
    }
    unsigned long again = 0;
    for (uint32_t i = 0; i < MANY; i++) {
        uint8_t fp[8] = {0};
        memcpy(fp, &i, sizeof i);
        bool reused = false;
        CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_DL, 2, &reused), TEKHO_OK);
        again += reused;
    }
    CHECK(again == MANY && l.n == MANY);
    CHECK(sizeof(struct pn_entry) == 16);
    CHECK(tekho_pn_ledger_bytes(&l) <= (size_t)MANY * 43);
    fprintf(stderr, "pn ledger: %d TEKs in %zu bytes\n", MANY, tekho_pn_ledger_bytes(&l));
    tekho_pn_ledger_free(&l);

    /* Past PN_LEDGER_GAPS_MAX skips on one TEK the lowest are taken as
     * sealed: reported if sealed, never missed. */
    const uint8_t fp[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bool reused = true;
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, 4, &reused), TEKHO_OK); /* skips 1..3 */
    for (uint32_t pn = 6; pn <= 4 + 2 * (PN_LEDGER_GAPS_MAX + 9); pn += 2)  /* skips 5, 7, ... */
        CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, pn, &reused), TEKHO_OK);
    CHECK(l.ranges_dropped == 10 && !reused);
    /* Dropped: 1..3, 5, ..., 21; kept from 23. */
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, 2, &reused), TEKHO_OK);
    CHECK(reused);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, 21, &reused), TEKHO_OK);
    CHECK(reused);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, 23, &reused), TEKHO_OK);
    CHECK(!reused);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, 23, &reused), TEKHO_OK);
    CHECK(reused);
    /* Splitting the lowest range of a full list drops it whole. */
    const uint8_t fp2[8] = {9, 2, 3, 4, 5, 6, 7, 8};
    const unsigned long dropped = l.ranges_dropped;
    CHECK_ERR(tekho_pn_ledger_note(&l, fp2, TEKHO_DIR_DL, 5, &reused), TEKHO_OK); /* skips 1..4 */
    for (uint32_t pn = 7; pn <= 5 + 2 * (PN_LEDGER_GAPS_MAX - 1); pn += 2)  /* skips 6, 8, ... */
        CHECK_ERR(tekho_pn_ledger_note(&l, fp2, TEKHO_DIR_DL, pn, &reused), TEKHO_OK);
    CHECK(l.ranges_dropped == dropped);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp2, TEKHO_DIR_DL, 2, &reused), TEKHO_OK);
    CHECK(!reused && l.ranges_dropped == dropped + 1);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp2, TEKHO_DIR_DL, 3, &reused), TEKHO_OK);
    CHECK(reused);
    CHECK_ERR(tekho_pn_ledger_note(&l, fp2, TEKHO_DIR_DL, 6, &reused), TEKHO_OK);
    CHECK(!reused);
    /* No PN above 32 bits is ever sealed. */
    CHECK_ERR(tekho_pn_ledger_note(&l, fp, TEKHO_DIR_UL, (uint64_t)1 << 32, &reused), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_pn_ledger_free(&l);
    CHECK(l.slots == NULL && l.n == 0);
}

/* Whether some slot's inline bytes (every slot ever used) hold the n bytes at `needle`. A slot's
 * bytes past what was ever written are whatever malloc handed out, so the
 * needle is several bytes long: a single byte value could be there by
 * chance (it was, under ctest, once the heap's layout changed). */
static bool slab_holds_seq(const struct sim_queue *q, const uint8_t *needle, size_t n)
{
    for (uint32_t i = 0; i < q->slab_used; i++)
        for (size_t k = 0; k + n <= SIM_EVENT_INLINE; k++)
            if (memcmp(q->slab[i].inline_bytes + k, needle, n) == 0)
                return true;
    return false;
}

/* Eight bytes of one value in a row: what a message filled with it leaves. */
static bool slab_holds(const struct sim_queue *q, uint8_t byte)
{
    uint8_t run[8];
    memset(run, byte, sizeof run);
    return slab_holds_seq(q, run, sizeof run);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* L1: messages carry keys; the queue keeps no copy of one once its event
 * is popped, re-armed or cancelled, and sim_event_wipe clears the caller's. */
static void test_event_queue_wipes(void)
{
    struct sim_queue q = {0};
    struct sim_event ev = {.t = 1, .seq = 1, .len = SIM_EVENT_INLINE};
    memset(ev.inline_bytes, 0xA5, ev.len);
    CHECK(tekho_sim_queue_push(&q, &ev));
    CHECK(slab_holds(&q, 0xA5)); /* the check can see a copy */
    struct sim_event got;
    CHECK(tekho_sim_queue_pop(&q, &got));
    CHECK(got.len == SIM_EVENT_INLINE && got.bytes == NULL && got.inline_bytes[SIM_EVENT_INLINE - 1] == 0xA5);
    CHECK(!slab_holds(&q, 0xA5));
    tekho_sim_event_wipe(&got);
    CHECK(got.len == 0 && all_zero(got.inline_bytes, sizeof got.inline_bytes));

    /* A timer's message, re-armed with another, then cancelled. */
    struct sim_event timer = {.t = 5, .seq = 2, .len = 50};
    memset(timer.inline_bytes, 0xB6, timer.len);
    CHECK(tekho_sim_queue_arm(&q, 7, &timer));
    struct sim_event rearm = {.t = 6, .seq = 3, .len = 10};
    memset(rearm.inline_bytes, 0xC7, rearm.len);
    CHECK(tekho_sim_queue_arm(&q, 7, &rearm));
    CHECK(!slab_holds(&q, 0xB6) && slab_holds(&q, 0xC7));
    tekho_sim_queue_cancel(&q, 7);
    CHECK(!slab_holds(&q, 0xC7) && tekho_sim_queue_len(&q) == 0);

    /* A long message lives outside the event: the caller gets it, the slot forgets it. */
    struct sim_event big = {.t = 9, .seq = 4, .len = SIM_EVENT_INLINE + 40};
    big.bytes = malloc(big.len);
    CHECK(big.bytes != NULL);
    if (big.bytes != NULL) {
        memset(big.bytes, 0xD8, big.len);
        uint8_t *const where = big.bytes;
        CHECK(tekho_sim_queue_push(&q, &big));
        CHECK(tekho_sim_queue_pop(&q, &got));
        CHECK(got.bytes == where && got.len == big.len && q.slab[0].bytes == NULL && q.slab[0].len == 0);
        tekho_sim_event_wipe(&got);
        CHECK(got.bytes == NULL && got.len == 0);
    }
    /* A message pushed from the caller's bytes, inline and not. */
    uint8_t msg[SIM_EVENT_INLINE + 1];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    struct sim_event head = {.t = 20, .seq = 5, .kind = 3, .a = 1, .b = 2, .c = 3, .d = 4, .injected = true};
    CHECK(tekho_sim_queue_push_message(&q, &head, msg, SIM_EVENT_INLINE));
    head.seq++;
    CHECK(tekho_sim_queue_push_message(&q, &head, msg, sizeof msg));
    head.seq++;
    CHECK(tekho_sim_queue_push_message(&q, &head, NULL, 0));
    for (int k = 0; k < 3; k++) {
        CHECK(tekho_sim_queue_pop(&q, &got));
        const size_t want = k == 0 ? SIM_EVENT_INLINE : k == 1 ? sizeof msg : 0;
        CHECK(got.t == 20 && got.seq == 5u + (unsigned)k && got.kind == 3 && got.a == 1 && got.b == 2 && got.c == 3 && got.d == 4 && got.injected &&
              !got.is_timer && got.len == want && (got.bytes != NULL) == (k == 1));
        CHECK(want == 0 || memcmp(sim_event_bytes(&got), msg, want) == 0);
        tekho_sim_event_wipe(&got);
    }
    CHECK(tekho_sim_queue_len(&q) == 0 && !slab_holds_seq(&q, msg + 5, 8));
    tekho_sim_queue_free(&q);
}

/* L1: the driver wipes the actions arena once it has applied a role's
 * actions: after a run with handovers (backbone messages with AKs, user
 * PDUs) nothing is left in it. */
static void test_sim_actions_wiped(void)
{
    for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
        struct tekho_sim *sim = NULL;
        uint64_t until = 0;
        CHECK_ERR(tekho_sim_scenario("normal", (enum tekho_scheme)k, 1, &sim, &until), TEKHO_OK);
        if (sim == NULL)
            return;
        CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        CHECK(st.completed == 2 && st.backbone_messages > 0 && st.user_pdus_delivered > 0);
        const struct tekho_actions *a = tekho_sim_actions(sim);
        CHECK(a->used == 0 && all_zero(a->arena, sizeof a->arena));
        tekho_sim_free(sim);
    }
    /* The helper itself. */
    static struct tekho_actions acts;
    memset(acts.arena, 0x5A, 300);
    acts.used = 200;
    acts.n = 3;
    tekho_sim_actions_done(&acts);
    CHECK(acts.used == 0 && acts.n == 0 && all_zero(acts.arena, 200) && acts.arena[200] == 0x5A);
}

/* L9: an event the run cannot queue stops the run with an error. Before,
 * every push inside the run ignored a failure: the scenario went on
 * without the message or timer and reported results of another model. */
static void test_lost_event_stops_the_run(void)
{
    const size_t rooms[] = {0, 1, SIZE_MAX};
    for (size_t k = 0; k < sizeof rooms / sizeof rooms[0]; k++) {
        const size_t room = rooms[k];
        struct tekho_sim *sim = NULL;
        uint64_t until = 0;
        CHECK_ERR(tekho_sim_scenario("normal", TEKHO_SCHEME_COUNTER, 1, &sim, &until), TEKHO_OK);
        if (sim == NULL)
            return;
        tekho_sim_set_queue_room(sim, room);
        const tekho_err err = tekho_sim_run(sim, until);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        if (room == SIZE_MAX) {
            CHECK_ERR(err, TEKHO_OK);
            CHECK(st.completed == 2);
        } else {
            CHECK_ERR(err, TEKHO_ERR_NO_MEMORY);
            CHECK(st.completed < 2 && tekho_sim_now(sim) < until);
        }
        tekho_sim_free(sim);
    }
}

static unsigned long pn_reuse_of(struct tekho_sim *sim)
{
    struct tekho_sim_stats st;
    tekho_sim_stats(sim, &st);
    return st.pn_reuse;
}

/* L10: the PN-reuse check is exact for the whole run. A TEK not sealed
 * with for more than 240 simulated seconds (two of the generations the
 * check once kept) while the network stays busy, then sealed with again
 * under a PN it already used, is a reuse; a PN skipped below the mark is
 * not, once. */
static void test_pn_reuse_whole_run(void)
{
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.n_ms = 2;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    /* TEK fingerprints (8 bytes) and the direction, as TEKHO_EV_SEALED carries them. */
    const uint8_t a_dl[9] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, TEKHO_DIR_DL};
    const uint8_t a_ul[9] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, TEKHO_DIR_UL};
    const uint8_t b_dl[9] = {0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, TEKHO_DIR_DL};
    const uint8_t c_dl[9] = {0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, TEKHO_DIR_DL};
    /* MS 0 seals PNs 1..100 under A, jumps to 110 (101..109 skipped, as
     * by a context handed over with a margin), then moves on to B. */
    for (uint64_t pn = 1; pn <= 100; pn++)
        tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, pn);
    tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, 110);
    for (uint64_t pn = 1; pn <= 10; pn++)
        tekho_sim_check_sealed(sim, 0, b_dl, sizeof b_dl, pn);
    /* 300 s in which MS 1 seals under its own TEK every 10 s, A never. */
    uint64_t c_pn = 1;
    for (uint64_t t = 10; t <= 300; t += 10) {
        CHECK_ERR(tekho_sim_run(sim, t * 1000000u), TEKHO_OK);
        tekho_sim_check_sealed(sim, 1, c_dl, sizeof c_dl, c_pn++);
    }
    CHECK(tekho_sim_now(sim) == 300000000u);
    CHECK(pn_reuse_of(sim) == 0);
    /* A comes back at PN 50 (a context derived again from PN 0, say). */
    tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, 50);
    CHECK(pn_reuse_of(sim) == 1);
    /* A skipped PN is sealed once without complaint, a second time is a reuse. */
    tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, 105);
    CHECK(pn_reuse_of(sim) == 1);
    tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, 105);
    CHECK(pn_reuse_of(sim) == 2);
    /* Above the mark is fine; the other direction of A is another pair. */
    tekho_sim_check_sealed(sim, 0, a_dl, sizeof a_dl, 111);
    tekho_sim_check_sealed(sim, 0, a_ul, sizeof a_ul, 50);
    CHECK(pn_reuse_of(sim) == 2);
    /* B, C: their marks stood all along. */
    tekho_sim_check_sealed(sim, 0, b_dl, sizeof b_dl, 10);
    tekho_sim_check_sealed(sim, 1, c_dl, sizeof c_dl, c_pn - 1);
    CHECK(pn_reuse_of(sim) == 4);
    tekho_sim_free(sim);
}

int main(void)
{
    test_normal_distribution();
    test_log10();
    test_event_queue();
    test_event_queue_wipes();
    test_sim_actions_wiped();
    test_pn_ledger_exact();
    test_pn_reuse_whole_run();
    test_lost_event_stops_the_run();
    return test_summary("test_sim_internals");
}
