/* The emulator's models, each on its own: the hexagonal grid, the handover
 * trigger, frame timing, air loss, and the interruption measurement (from
 * the MS leaving its serving BS); then every scheme on the same mobility,
 * common random numbers, and the keys a run exports for checking its
 * captures. */
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/sim.h"
#include "tekho/tekho.h"
#include "test_util.h"

static void base(struct tekho_sim_params *p, enum tekho_scheme scheme)
{
    tekho_sim_params_default(p);
    p->scheme = scheme;
    p->n_bs = 7;
    p->n_ms = 20;
    p->seed = 7;
    p->radio.enabled = true;
}

static int run(const struct tekho_sim_params *p, uint64_t seconds, struct tekho_sim_stats *st)
{
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(p, &sim), TEKHO_OK);
    if (sim == NULL)
        return 0;
    CHECK_ERR(tekho_sim_run(sim, seconds * 1000000u), TEKHO_OK);
    tekho_sim_stats(sim, st);
    tekho_sim_free(sim);
    return 1;
}

static void test_grid(void)
{
    struct tekho_sim_params p;
    base(&p, TEKHO_SCHEME_NONE);
    p.n_bs = 19;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    /* Ring 0 is the centre, ring 1 six cells one ISD away, ring 2 twelve
     * cells at ISD*sqrt(3) or 2*ISD. */
    for (uint32_t node = 1; node <= 19; node++) {
        double x, y;
        tekho_sim_cell_position(sim, node, &x, &y);
        const double d = sqrt(x * x + y * y) / p.radio.isd_m;
        if (node == 1)
            CHECK(d < 1e-9);
        else if (node <= 7)
            CHECK(fabs(d - 1) < 1e-9);
        else
            CHECK(fabs(d - sqrt(3)) < 1e-9 || fabs(d - 2) < 1e-9);
    }
    tekho_sim_free(sim);
}

static void test_trigger(void)
{
    struct tekho_sim_params p;
    struct tekho_sim_stats st;
    base(&p, TEKHO_SCHEME_COUNTER);
    /* A hysteresis no neighbour can beat: nobody hands over. */
    p.radio.hysteresis_db = 200;
    if (run(&p, 20, &st))
        CHECK(st.attempted == 0 && st.measurements > 0);
    /* Standing still with no shadowing: nobody hands over either. */
    base(&p, TEKHO_SCHEME_COUNTER);
    p.radio.speed_kmh = 0;
    p.radio.shadow_sigma_db = 0;
    if (run(&p, 20, &st))
        CHECK(st.attempted == 0);
    /* Moving: handovers happen and complete; a longer time to trigger means fewer. */
    base(&p, TEKHO_SCHEME_COUNTER);
    unsigned long quick = 0;
    if (run(&p, 30, &st)) {
        CHECK(st.completed > 10 && st.failed == 0);
        quick = st.attempted;
    }
    p.radio.ttt_ms = 2000;
    if (run(&p, 30, &st))
        CHECK(st.attempted < quick);
}

/* One direction's samples, all equal to `ms`. */
static void expect_all(const struct tekho_sim_interruption *x, double ms)
{
    CHECK(x->n > 0);
    CHECK(fabs(x->min_ms - ms) < 1e-9 && fabs(x->max_ms - ms) < 1e-9 && fabs(x->p50_ms - ms) < 1e-9);
    CHECK(fabs(x->mean_ms - ms) < 1e-9);
    if (fabs(x->max_ms - ms) >= 1e-9 || fabs(x->min_ms - ms) >= 1e-9)
        fprintf(stderr, "  expected %.3f ms, got min %.3f max %.3f\n", ms, x->min_ms, x->max_ms);
}

static void test_interruption_timeline(void)
{
    /* No security, no loss: the interruption is the frame-exact timeline.
     * t0: MOB_BSHO-RSP reaches the MS at the end of a DL subframe
     * (kf + 0.6f) and MOB_HO-IND leaves. UL: synchronised 10 ms later, the
     * next frame carries a PDU, delivered at the end of its UL subframe.
     * DL: the target may send once HO_Cnf came (MOB_HO-IND reaches the
     * serving BS at (k+2)f, the backbone takes 2 to 2.5 ms); the next frame
     * carries the PDU to the end of its DL subframe.
     * f = 5 ms: UL (k+4)f - (kf+3) = 17, DL (k+3)f+3 - (kf+3) = 15.
     * f = 10 ms: UL (k+3)f - (kf+6) = 24, DL (k+3)f+6 - (kf+6) = 30. */
    static const struct {
        uint64_t frame_us;
        double ul, dl;
    } cases[] = {{5000, 17, 15}, {10000, 24, 30}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct tekho_sim_params p;
        struct tekho_sim_stats st;
        base(&p, TEKHO_SCHEME_NONE);
        p.frame_us = cases[c].frame_us;
        if (!run(&p, 30, &st))
            return;
        expect_all(&st.interruption[TEKHO_SIM_UL], cases[c].ul);
        expect_all(&st.interruption[TEKHO_SIM_DL], cases[c].dl);
        expect_all(&st.interruption[TEKHO_SIM_UNION], cases[c].ul > cases[c].dl ? cases[c].ul : cases[c].dl);
        /* Every handover executed is a sample or censored; with no loss only
         * one still under way at the end can be censored. */
        for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
            const struct tekho_sim_interruption *x = &st.interruption[d];
            CHECK(x->n + x->censored == st.executed);
            CHECK(x->censored == x->censored_at_end && x->censored <= 1);
        }
        CHECK(st.executed >= st.completed && st.completed > 10);
    }
}

static void test_m2134(void)
{
    /* The same model with DL sync, the ranging wait and the AAA at 0.
     * none: synchronised at t0 = kf + 3, the next frame carries UL, delivered
     * at (k+2)f: 7 ms; DL still waits for HO_Cnf (or UL data) at the target
     * and leaves in frame k+3: 15 ms. baseline-update: RNG-REQ in frame k+1,
     * RNG-RSP with the TEKs in frame k+3 ((k+3)f + 3: DL 15 ms), UL in frame
     * k+4: (k+5)f - (kf + 3) = 22 ms. */
    static const struct {
        enum tekho_scheme scheme;
        double ul, dl;
    } cases[] = {{TEKHO_SCHEME_NONE, 7, 15}, {TEKHO_SCHEME_COUNTER, 7, 15}, {TEKHO_SCHEME_BASELINE_UPDATE, 22, 15}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct tekho_sim_params p;
        struct tekho_sim_stats measured, m2134;
        base(&p, cases[c].scheme);
        if (!run(&p, 30, &measured))
            return;
        tekho_sim_params_m2134(&p);
        CHECK(p.timing.sync_us == 0 && p.timing.ranging_wait_us == 0 && p.timing.aaa_rtt_us == 0);
        CHECK(p.backbone_latency_us > 0 && p.timing.aaa_round_trips > 0); /* the access network keeps its time */
        if (!run(&p, 30, &m2134))
            return;
        expect_all(&m2134.interruption[TEKHO_SIM_UL], cases[c].ul);
        expect_all(&m2134.interruption[TEKHO_SIM_DL], cases[c].dl);
        expect_all(&m2134.interruption[TEKHO_SIM_UNION], cases[c].ul > cases[c].dl ? cases[c].ul : cases[c].dl);
        CHECK(m2134.interruption[TEKHO_SIM_UNION].p99_ms < measured.interruption[TEKHO_SIM_UNION].p99_ms);
    }
    /* Re-authentication with the AAA in zero time still runs EAP over the
     * air (each round trip air both ways and the backbone to the
     * Authenticator and back, at least 10 ms), SA-TEK 3-way and
     * Key-Request/Reply. */
    struct tekho_sim_params p;
    struct tekho_sim_stats full, no_eap;
    base(&p, TEKHO_SCHEME_BASELINE_FULL);
    tekho_sim_params_m2134(&p);
    CHECK(p.timing.eap_round_trips == 4);
    if (run(&p, 30, &full))
        CHECK(full.interruption[TEKHO_SIM_UNION].p50_ms > 27.5 && full.interruption[TEKHO_SIM_UNION].p50_ms < 200);
    p.timing.eap_round_trips = 0;
    if (run(&p, 30, &no_eap))
        CHECK(no_eap.interruption[TEKHO_SIM_UNION].p50_ms > 27.5 &&
              full.interruption[TEKHO_SIM_UNION].p50_ms >= no_eap.interruption[TEKHO_SIM_UNION].p50_ms + 4 * 10.0);
}

/* The closed-form model (tekho_sim_model) against the emulator with the
 * variability off: every scheme, as measured and under M.2134's
 * assumptions, at frame lengths and backbone latencies where different
 * steps decide (HO_Cnf or the first UL PDU; a tie of HO_Cnf with an UL
 * arrival for reuse at 5 and 20 ms), gives exactly the model's figures
 * each way, for every handover. */
static void test_model(void)
{
    static const struct {
        uint64_t frame_us, backbone_us;
    } cases[] = {{5000, 2000}, {10000, 2000}, {5000, 5000}, {5000, 20000}, {5000, 1000}, {5000, 10000},
                 {5000, 15000}, {10000, 20000}, {2000, 3500}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
            for (int m2134 = 0; m2134 < 2; m2134++) {
                struct tekho_sim_params p;
                struct tekho_sim_stats st;
                base(&p, (enum tekho_scheme)k);
                tekho_sim_params_ideal(&p);
                p.frame_us = cases[c].frame_us;
                p.backbone_latency_us = cases[c].backbone_us;
                if (m2134)
                    tekho_sim_params_m2134(&p);
                double model[TEKHO_SIM_DIRECTIONS];
                CHECK_ERR(tekho_sim_model(&p, p.scheme, model), TEKHO_OK);
                if (!run(&p, 30, &st))
                    return;
                for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
                    const struct tekho_sim_interruption *x = &st.interruption[d];
                    CHECK(x->n > 5);
                    CHECK(fabs(x->p50_ms - model[d]) < 1e-9 && fabs(x->min_ms - model[d]) < 1e-9 &&
                          fabs(x->max_ms - model[d]) < 1e-9);
                    if (fabs(x->p50_ms - model[d]) >= 1e-9 || fabs(x->max_ms - x->min_ms) >= 1e-9)
                        fprintf(stderr, "  %s%s frame %llu backbone %llu %s: model %.3f, measured %.3f..%.3f\n",
                                tekho_scheme_name(p.scheme), m2134 ? " (M.2134)" : "",
                                (unsigned long long)cases[c].frame_us, (unsigned long long)cases[c].backbone_us,
                                tekho_sim_direction_name((enum tekho_sim_direction)d), model[d], x->min_ms, x->max_ms);
                }
            }
        }
    }
    /* The figures the README's table shows. */
    struct tekho_sim_params p;
    double model[TEKHO_SIM_DIRECTIONS];
    base(&p, TEKHO_SCHEME_COUNTER);
    tekho_sim_params_ideal(&p);
    CHECK_ERR(tekho_sim_model(&p, TEKHO_SCHEME_COUNTER, model), TEKHO_OK);
    CHECK(model[TEKHO_SIM_UL] == 17 && model[TEKHO_SIM_DL] == 15 && model[TEKHO_SIM_UNION] == 17);
    CHECK_ERR(tekho_sim_model(&p, TEKHO_SCHEME_BASELINE_FULL, model), TEKHO_OK);
    CHECK(model[TEKHO_SIM_UL] == 287 && model[TEKHO_SIM_DL] == 280);
    CHECK_ERR(tekho_sim_model(NULL, TEKHO_SCHEME_COUNTER, model), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_sim_model(&p, TEKHO_SCHEME_COUNT, model), TEKHO_ERR_INVALID_ARGUMENT);
}

/* HARQ alone (the rest of the variability off): a PDU whose first
 * transmissions fail arrives a multiple of harq_retx_frames frames late,
 * never through a retransmission timer, so every interruption is the
 * model's plus whole frames; some are longer, none shorter. */
static void test_harq(void)
{
    for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
        struct tekho_sim_params p;
        base(&p, (enum tekho_scheme)k);
        tekho_sim_params_ideal(&p);
        tekho_sim_variability_default(&p.var);
        p.var.preamble_search = false;
        p.var.aaa_extra_mean_us = 0;
        p.var.processing_mean_us = 0;
        double model[TEKHO_SIM_DIRECTIONS];
        CHECK_ERR(tekho_sim_model(&p, p.scheme, model), TEKHO_OK);
        struct tekho_sim *sim = NULL;
        CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
        if (sim == NULL)
            return;
        CHECK_ERR(tekho_sim_run(sim, 60000000u), TEKHO_OK);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        CHECK(st.harq_retransmissions > 0);
        /* Each direction on its own grid: its model plus whole frames. */
        for (int d = 0; d < 2; d++) {
            double s[4096];
            const size_t n = tekho_sim_interruptions(sim, (enum tekho_sim_direction)d, s, 4096);
            CHECK(n > 20 && n <= 4096);
            size_t longer = 0, off_grid = 0, shorter = 0;
            for (size_t i = 0; i < n && i < 4096; i++) {
                const double extra = s[i] - model[d], frames = extra / (p.frame_us / 1000.0);
                shorter += extra < -1e-9;
                longer += extra > 1e-9;
                off_grid += fabs(frames - round(frames)) > 1e-9;
            }
            /* Some handover met no retransmission, but for baseline-full:
             * its 18 or so air messages at the cell edge almost never all
             * get through at the first try. */
            CHECK(shorter == 0 && off_grid == 0 && (longer < n || p.scheme == TEKHO_SCHEME_BASELINE_FULL));
            if (shorter || off_grid)
                fprintf(stderr, "  %s %s: %zu of %zu shorter than the model, %zu longer, %zu off the frame grid\n",
                        tekho_scheme_name(p.scheme), tekho_sim_direction_name((enum tekho_sim_direction)d), shorter,
                        n, longer, off_grid);
        }
        CHECK(st.interruption[TEKHO_SIM_UNION].max_ms > model[TEKHO_SIM_UNION]);
        tekho_sim_free(sim);
    }
}

static int by_value(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The full variability: interruptions spread (p50 < p99), the M.2134 run
 * has no preamble search or contention, and two schemes whose handover
 * timelines are the same (none and counter) meet the same draws: the same
 * samples. Their entries differ (counter's has PKMv2's SA-TEK handshake
 * and Key-Request, none's neither), and an MS that enters later may cross
 * a boundary in another state, so the samples are compared as multisets:
 * the draws are continuous, two runs on different seeds share almost
 * none (4 of about 100 on seeds 3 and 4). */
static void test_variability(void)
{
    struct tekho_sim_params p;
    base(&p, TEKHO_SCHEME_NONE);
    tekho_sim_params_emulator(&p);
    p.n_bs = 7;
    p.n_ms = 40;
    p.seed = 3;
    CHECK(p.var.enabled && p.timing.rng_retransmit_us == 200000);
    double a[2048], b[2048];
    size_t n[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        p.scheme = k ? TEKHO_SCHEME_COUNTER : TEKHO_SCHEME_NONE;
        struct tekho_sim *sim = NULL;
        CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
        if (sim == NULL)
            return;
        CHECK_ERR(tekho_sim_run(sim, 60000000u), TEKHO_OK);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        CHECK(st.interruption[TEKHO_SIM_UNION].p50_ms < st.interruption[TEKHO_SIM_UNION].p99_ms);
        CHECK(st.harq_retransmissions > 0 && st.crossings > 0);
        n[k] = tekho_sim_interruptions(sim, TEKHO_SIM_UNION, k ? b : a, 2048);
        tekho_sim_free(sim);
    }
    CHECK(n[0] > 20 && n[0] <= 2048 && n[1] <= 2048 && (n[0] > n[1] ? n[0] - n[1] : n[1] - n[0]) * 50 <= n[0]);
    size_t same = 0;
    if (n[0] <= 2048 && n[1] <= 2048) {
        qsort(a, n[0], sizeof a[0], by_value);
        qsort(b, n[1], sizeof b[0], by_value);
        for (size_t i = 0, j = 0; i < n[0] && j < n[1];) {
            if (a[i] == b[j]) {
                same++;
                i++;
                j++;
            } else if (a[i] < b[j]) {
                i++;
            } else {
                j++;
            }
        }
    }
    /* Not every one: counter's TEK refreshes add management PDUs, which
     * shift the ranks of others in their frames (and so their draws). */
    CHECK(same * 10 >= n[0] * 9);
    if (same * 10 < n[0] * 9)
        fprintf(stderr, "  none and counter: %zu of %zu samples the same\n", same, n[0]);
    struct tekho_sim_params m = p;
    tekho_sim_params_m2134(&m);
    CHECK(!m.var.preamble_search && m.var.aaa_extra_mean_us == 0 && m.var.harq_bler > 0);
}

/* Mobility: layer-3 filtering and site-correlated shadowing cut the
 * handovers (and the ping-pongs) that the same moves make without them;
 * the cell-boundary crossings are the geometry's, the same both ways, and
 * near the fluid-flow estimate (random waypoint crowds the centre, so
 * somewhat above it). */
static void test_mobility(void)
{
    struct tekho_sim_params p;
    struct tekho_sim_stats filtered, raw;
    base(&p, TEKHO_SCHEME_NONE);
    p.n_bs = 19;
    p.n_ms = 60;
    if (!run(&p, 120, &filtered))
        return;
    p.radio.meas_alpha = 1;
    p.radio.shadow_site_corr = 0;
    if (!run(&p, 120, &raw))
        return;
    CHECK(filtered.completed < raw.completed && filtered.pingpong < raw.pingpong);
    CHECK(filtered.crossings == raw.crossings);
    /* (2/pi) v L / A for 19 cells of 1000 m at 50 km/h: 42 shared edges of 577.4 m. */
    const double expected = 2 / 3.141592653589793 * (50 / 3.6) * 42 * (1000 / sqrt(3)) / (19 * sqrt(3) / 2 * 1e6);
    const double measured = (double)filtered.crossings / (60.0 * 120);
    CHECK(measured > 0.8 * expected && measured < 1.6 * expected);
    /* Why the handovers outnumber the crossings: shadowing. It moves the
     * best cell back and forth over seconds, so many handovers go back to
     * the BS just left (most after the 1 s of a ping-pong) and many leave
     * the nearest BS, which geometry alone never does. */
    CHECK(filtered.completed > 2 * filtered.crossings);
    CHECK(filtered.returns * 4 > filtered.completed && filtered.returns_5s > filtered.pingpong);
    CHECK(filtered.returns >= filtered.returns_5s && filtered.returns_5s >= filtered.pingpong);
    CHECK(filtered.left_nearest * 4 > filtered.attempted && filtered.left_nearest <= filtered.attempted);
    CHECK(filtered.off_nearest > 0 && filtered.off_nearest < filtered.served_measurements);
    CHECK(filtered.served_measurements <= filtered.measurements && filtered.served_measurements > 0);
    /* Without shadowing the handovers follow the geometry: no more than the
     * crossings (the hysteresis spares an MS that only grazes a boundary),
     * none leaves the nearest BS, and none returns within 5 s. */
    struct tekho_sim_stats plain;
    base(&p, TEKHO_SCHEME_NONE);
    p.n_bs = 19;
    p.n_ms = 60;
    p.radio.shadow_sigma_db = 0;
    if (!run(&p, 120, &plain))
        return;
    CHECK(plain.crossings == filtered.crossings);
    CHECK(plain.completed <= plain.crossings && plain.completed * 10 >= plain.crossings * 8);
    CHECK(plain.left_nearest == 0 && plain.returns_5s == 0 && plain.pingpong == 0);
    CHECK(plain.off_nearest > 0 && plain.off_nearest * 10 < plain.served_measurements);
    if (plain.completed > plain.crossings || plain.completed * 10 < plain.crossings * 8)
        fprintf(stderr, "  no shadowing: %lu handovers, %lu crossings\n", plain.completed, plain.crossings);
}

/* Straight lines: an MS that leaves the grid turns back at its edge, so
 * every MS stays on the grid and the crossings stay near the fluid-flow
 * estimate (they were five times it when an MS could leave through an
 * outer edge, go on for ever, and zig-zag across a boundary out there). */
static void test_straight_lines(void)
{
    struct tekho_sim_params p;
    base(&p, TEKHO_SCHEME_NONE);
    p.n_bs = 19;
    p.n_ms = 60;
    p.radio.straight_line = true;
    p.radio.shadow_sigma_db = 0;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_run(sim, 300000000u), TEKHO_OK);
    struct tekho_sim_stats st;
    tekho_sim_stats(sim, &st);
    unsigned off_grid = 0;
    for (uint32_t i = 0; i < p.n_ms; i++) {
        double x, y, nearest = 1e300;
        tekho_sim_ms_position(sim, i, &x, &y);
        for (uint32_t c = 1; c <= p.n_bs; c++) {
            double cx, cy;
            tekho_sim_cell_position(sim, c, &cx, &cy);
            nearest = fmin(nearest, hypot(x - cx, y - cy));
        }
        /* A hexagon's corner is isd / sqrt 3 from its centre; a step is 0.7 m. */
        off_grid += nearest > p.radio.isd_m / sqrt(3) + 1;
    }
    tekho_sim_free(sim);
    CHECK(off_grid == 0);
    const double expected = 2 / 3.141592653589793 * (50 / 3.6) * 42 * (1000 / sqrt(3)) / (19 * sqrt(3) / 2 * 1e6);
    const double measured = (double)st.crossings / (60.0 * 300);
    CHECK(measured > 0.7 * expected && measured < 1.5 * expected);
    CHECK(st.completed <= st.crossings && st.completed > 0);
    if (off_grid != 0 || measured >= 1.5 * expected)
        fprintf(stderr, "  straight lines: %u MSs off the grid, %.4f crossings/MS/s (fluid flow %.4f)\n", off_grid,
                measured, expected);
}

static void test_loss(void)
{
    struct tekho_sim_params p;
    struct tekho_sim_stats clean, lossy;
    base(&p, TEKHO_SCHEME_COUNTER);
    if (!run(&p, 30, &clean))
        return;
    p.air_loss = 0.05;
    if (!run(&p, 30, &lossy))
        return;
    /* Lost PDUs show up, retransmission timers keep handovers completing,
     * and the security counters stay clean. */
    CHECK(lossy.executed > 10);
    CHECK(lossy.ho_window_lost > clean.ho_window_lost);
    CHECK(lossy.completed > 0 && lossy.failed * 10 <= lossy.attempted);
    CHECK(lossy.pn_reuse == 0 && lossy.replayed_pdus_accepted == 0 && lossy.tek_mismatch_after_ho == 0);
}

/* `none` is the floor: at 2 % air loss its shortest interruption, each
 * way, is never below the shortest without loss, and loss lengthens some. */
static void test_none_floor_under_loss(void)
{
    struct tekho_sim_params p;
    struct tekho_sim_stats clean, lossy;
    base(&p, TEKHO_SCHEME_NONE);
    p.n_ms = 60;
    if (!run(&p, 60, &clean))
        return;
    p.air_loss = 0.02;
    if (!run(&p, 60, &lossy))
        return;
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        CHECK(clean.interruption[d].n > 100 && lossy.interruption[d].n > 100);
        CHECK(lossy.interruption[d].min_ms >= clean.interruption[d].min_ms);
    }
    CHECK(lossy.interruption[TEKHO_SIM_UNION].max_ms > clean.interruption[TEKHO_SIM_UNION].max_ms);
}

static void test_schemes_on_the_same_mobility(void)
{
    struct tekho_sim_stats st[TEKHO_SCHEME_COUNT];
    for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
        struct tekho_sim_params p;
        base(&p, (enum tekho_scheme)k);
        if (!run(&p, 30, &st[k]))
            return;
        CHECK(st[k].pn_reuse == 0 && st[k].tek_mismatch_after_ho == 0 && st[k].replayed_pdus_accepted == 0 &&
              st[k].forged_pdus_accepted == 0 && st[k].stale_count_keys == 0 && st[k].n_decreased == 0 &&
              st[k].m_decreased == 0 && st[k].role_errors == 0);
    }
    /* The same moves give the same handovers in every scheme. */
    CHECK(st[TEKHO_SCHEME_COUNTER].attempted == st[TEKHO_SCHEME_NONE].attempted);
    CHECK(st[TEKHO_SCHEME_COUNTER].attempted == st[TEKHO_SCHEME_BASELINE_UPDATE].attempted);
    /* The main job's claims: counter within one frame of no security, below
     * the baselines; no TEK on the air. */
    const double counter = st[TEKHO_SCHEME_COUNTER].interruption[TEKHO_SIM_UNION].p99_ms;
    CHECK(counter <= st[TEKHO_SCHEME_NONE].interruption[TEKHO_SIM_UNION].p99_ms + 5.0);
    CHECK(counter < st[TEKHO_SCHEME_BASELINE_UPDATE].interruption[TEKHO_SIM_UNION].p99_ms);
    CHECK(st[TEKHO_SCHEME_BASELINE_UPDATE].interruption[TEKHO_SIM_UNION].p99_ms <
          st[TEKHO_SCHEME_BASELINE_FULL].interruption[TEKHO_SIM_UNION].p99_ms);
    CHECK(st[TEKHO_SCHEME_COUNTER].tek_bytes_over_air == 0 && st[TEKHO_SCHEME_BASELINE_UPDATE].tek_bytes_over_air > 0);
}

/* tekho_sim_ms_msks: the entry MSK, then one per re-authentication (the
 * SHA-512 of the one before, both sides' model of EAP), as far as the MS
 * or the Authenticator got; tekho_bs_bsid gives each BS's BSID. */
static void test_ms_msks(void)
{
    const struct {
        enum tekho_scheme scheme;
        size_t want;
    } cases[] = {{TEKHO_SCHEME_COUNTER, 1}, {TEKHO_SCHEME_BASELINE_FULL, 3}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct tekho_sim *sim = NULL;
        uint64_t until = 0;
        CHECK_ERR(tekho_sim_scenario("normal", cases[c].scheme, 1, &sim, &until), TEKHO_OK);
        if (sim == NULL)
            return;
        CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
        uint8_t msks[4][64], entry[64], mac[6], bsid[6];
        size_t n = 0;
        CHECK_ERR(tekho_sim_ms_msks(sim, 0, msks, 4, &n), TEKHO_OK);
        CHECK(n == cases[c].want);
        CHECK_ERR(tekho_sim_ms_msk(sim, 0, entry), TEKHO_OK);
        CHECK_BYTES(msks[0], entry, 64);
        for (size_t i = 1; i < n && i < 4; i++) {
            uint8_t next[64];
            unsigned len = 0;
            CHECK(EVP_Digest(msks[i - 1], 64, next, &len, EVP_sha512(), NULL) == 1 && len == 64);
            CHECK_BYTES(msks[i], next, 64);
        }
        tekho_ms_mac_of_index(0, mac);
        CHECK(tekho_ms_pmk_generation(tekho_sim_ms(sim, 0)) == cases[c].want - 1);
        CHECK(tekho_auth_pmk_generation(tekho_sim_auth(sim), mac) == cases[c].want - 1);
        /* Fewer slots than MSKs: the first ones, and the total. */
        uint8_t one[1][64];
        CHECK_ERR(tekho_sim_ms_msks(sim, 0, one, 1, &n), TEKHO_OK);
        CHECK(n == cases[c].want);
        CHECK_BYTES(one[0], entry, 64);
        CHECK_ERR(tekho_sim_ms_msks(sim, 0, NULL, 0, &n), TEKHO_OK);
        CHECK(n == cases[c].want);
        CHECK_ERR(tekho_sim_ms_msks(sim, 1, msks, 4, &n), TEKHO_ERR_INVALID_ARGUMENT);
        CHECK_ERR(tekho_sim_ms_msks(sim, 0, msks, 4, NULL), TEKHO_ERR_INVALID_ARGUMENT);
        CHECK_ERR(tekho_sim_ms_msks(sim, 0, NULL, 1, &n), TEKHO_ERR_INVALID_ARGUMENT);
        CHECK_ERR(tekho_sim_ms_msks(NULL, 0, msks, 4, &n), TEKHO_ERR_INVALID_ARGUMENT);
        for (uint32_t node = 1; node <= 3; node++) {
            const uint8_t want[6] = {0, 0, 0, 0, 0, (uint8_t)node};
            tekho_bs_bsid(tekho_sim_bs(sim, node), bsid);
            CHECK_BYTES(bsid, want, 6);
        }
        CHECK(tekho_sim_bs(sim, 4) == NULL);
        tekho_sim_free(sim);
    }
}

/* Common random numbers. The air-loss decisions on user PDUs, from a trace:
 * "time air UL ms0 -> bs2 Data 58B[ LOST]". */
struct air_draw {
    char key[96]; /* time, direction, MS, BS */
    bool lost;
};

static int cmp_draw(const void *x, const void *y)
{
    return strcmp(((const struct air_draw *)x)->key, ((const struct air_draw *)y)->key);
}

static size_t data_draws(FILE *trace, struct air_draw *out, size_t max)
{
    char line[256];
    size_t n = 0;
    rewind(trace);
    while (n < max && fgets(line, sizeof line, trace)) {
        char t[24], dir[4], ms[16], arrow[4], bs[16], name[32];
        if (sscanf(line, "%23s air %3s %15s %3s %15s %31s", t, dir, ms, arrow, bs, name) != 6 ||
            strcmp(name, "Data") != 0)
            continue;
        snprintf(out[n].key, sizeof out[n].key, "%s %s %s %s", t, dir, ms, bs);
        out[n].lost = strstr(line, " LOST") != NULL;
        n++;
    }
    qsort(out, n, sizeof *out, cmp_draw);
    return n;
}

/* Two runs of different schemes on one seed: every user PDU both send in
 * the same frame on the same link meets the same fate. Counts the PDUs
 * both sent and, of those, the lost ones; returns the disagreements. */
static size_t compare_loss(FILE *a, FILE *b, size_t *common, size_t *lost)
{
    enum { MAX = 200000 };
    struct air_draw *da = calloc(MAX, sizeof *da), *db = calloc(MAX, sizeof *db);
    size_t differ = 0;
    *common = *lost = 0;
    if (da == NULL || db == NULL) {
        CHECK(0);
        free(da);
        free(db);
        return 1;
    }
    const size_t na = data_draws(a, da, MAX), nb = data_draws(b, db, MAX);
    CHECK(na < MAX && nb < MAX);
    for (size_t i = 0; i < na; i++) {
        const struct air_draw *o = bsearch(&da[i], db, nb, sizeof *db, cmp_draw);
        if (o == NULL)
            continue;
        (*common)++;
        *lost += da[i].lost;
        differ += da[i].lost != o->lost;
    }
    free(da);
    free(db);
    return differ;
}

static void test_common_random_numbers(void)
{
    /* Scenario mode: 5 % air loss, a scheme that draws no keys against two that do. */
    static const enum tekho_scheme others[] = {TEKHO_SCHEME_COUNTER, TEKHO_SCHEME_BASELINE_FULL};
    for (uint64_t seed = 2; seed <= 4; seed++) {
        FILE *t[3] = {tmpfile(), tmpfile(), tmpfile()};
        const enum tekho_scheme schemes[3] = {TEKHO_SCHEME_NONE, others[0], others[1]};
        for (int k = 0; k < 3; k++) {
            struct tekho_sim *sim = NULL;
            uint64_t until = 0;
            CHECK(t[k] != NULL);
            CHECK_ERR(tekho_sim_scenario("lossy-air", schemes[k], seed, &sim, &until), TEKHO_OK);
            if (sim == NULL || t[k] == NULL)
                continue;
            tekho_sim_trace(sim, t[k]);
            CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
            tekho_sim_free(sim);
        }
        for (int k = 1; k < 3 && t[0] && t[k]; k++) {
            size_t common = 0, lost = 0;
            CHECK(compare_loss(t[0], t[k], &common, &lost) == 0);
            /* Up to 700 PDUs both ways in 1.8 s (fewer where a lost message
             * stalled re-authentication), 5 % of them lost. */
            CHECK(common > 300 && lost > 5 && lost < common / 8);
        }
        for (int k = 0; k < 3; k++)
            if (t[k])
                fclose(t[k]);
    }

    /* The emulator: the same moves, and the same losses on what both send. */
    FILE *t[2] = {tmpfile(), tmpfile()};
    const enum tekho_scheme schemes[2] = {TEKHO_SCHEME_NONE, TEKHO_SCHEME_BASELINE_FULL};
    double pos[2][20][2];
    memset(pos, 0, sizeof pos);
    for (int k = 0; k < 2; k++) {
        struct tekho_sim_params p;
        base(&p, schemes[k]);
        p.air_loss = 0.05;
        struct tekho_sim *sim = NULL;
        CHECK(t[k] != NULL);
        CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
        if (sim == NULL || t[k] == NULL)
            continue;
        tekho_sim_trace(sim, t[k]);
        CHECK_ERR(tekho_sim_run(sim, 20000000), TEKHO_OK);
        for (uint32_t i = 0; i < p.n_ms; i++)
            tekho_sim_ms_position(sim, i, &pos[k][i][0], &pos[k][i][1]);
        tekho_sim_free(sim);
    }
    if (t[0] && t[1]) {
        size_t common = 0, lost = 0;
        CHECK(compare_loss(t[0], t[1], &common, &lost) == 0);
        CHECK(common > 500 && lost > 5);
    }
    CHECK(memcmp(pos[0], pos[1], sizeof pos[0]) == 0);
    CHECK(pos[0][0][0] != 0 || pos[0][0][1] != 0);
    for (int k = 0; k < 2; k++)
        if (t[k])
            fclose(t[k]);
}

int main(void)
{
    test_grid();
    test_trigger();
    test_interruption_timeline();
    test_m2134();
    test_model();
    test_harq();
    test_variability();
    test_mobility();
    test_straight_lines();
    test_loss();
    test_none_floor_under_loss();
    test_schemes_on_the_same_mobility();
    test_common_random_numbers();
    test_ms_msks();
    return test_summary("test_emulator");
}
