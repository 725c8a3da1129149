/* The emulator's models, each on its own: the hexagonal grid, the handover
 * trigger, frame timing, air loss, and the ITU-R M.2134 interruption
 * measurement; then every scheme on the same mobility; and the keys a run
 * exports for checking its captures. */
#include <math.h>
#include <openssl/evp.h>
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

static void test_frame_timing_and_m2134(void)
{
    /* M.2134 interruption with no security and no loss: the DL sync time
     * plus frame alignment; doubling the frame length stretches it. */
    struct tekho_sim_params p;
    struct tekho_sim_stats st5, st10;
    base(&p, TEKHO_SCHEME_NONE);
    if (!run(&p, 30, &st5))
        return;
    const double sync_ms = (double)p.timing.sync_us / 1000;
    /* A handover still under way when the run stops may have its sample already. */
    CHECK(st5.n_interruptions >= st5.completed && st5.n_interruptions <= st5.attempted && st5.n_interruptions > 0);
    CHECK(st5.interruption_p50_ms >= sync_ms && st5.interruption_max_ms <= sync_ms + 3 * 5.0);
    /* Every sample is a whole number of half frames (DL and UL subframe ends). */
    CHECK(fmod(st5.interruption_p50_ms, 2.5) < 1e-9);
    p.frame_us = 10000;
    if (!run(&p, 30, &st10))
        return;
    CHECK(st10.interruption_p50_ms > st5.interruption_p50_ms);
    CHECK(st10.interruption_max_ms <= sync_ms + 3 * 10.0);
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
    CHECK(lossy.ho_window_lost > clean.ho_window_lost);
    CHECK(lossy.completed > 0 && lossy.failed * 10 <= lossy.attempted);
    CHECK(lossy.pn_reuse == 0 && lossy.replayed_pdus_accepted == 0 && lossy.tek_mismatch_after_ho == 0);
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
    /* The main job's claims: counter within one frame of no security, under
     * the M.2134 limit, below the baselines; no TEK on the air. */
    CHECK(st[TEKHO_SCHEME_COUNTER].interruption_p99_ms <= 27.5);
    CHECK(st[TEKHO_SCHEME_COUNTER].interruption_p99_ms <= st[TEKHO_SCHEME_NONE].interruption_p99_ms + 5.0);
    CHECK(st[TEKHO_SCHEME_COUNTER].interruption_p99_ms < st[TEKHO_SCHEME_BASELINE_UPDATE].interruption_p99_ms);
    CHECK(st[TEKHO_SCHEME_BASELINE_UPDATE].interruption_p99_ms < st[TEKHO_SCHEME_BASELINE_FULL].interruption_p99_ms);
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

int main(void)
{
    test_grid();
    test_trigger();
    test_frame_timing_and_m2134();
    test_loss();
    test_schemes_on_the_same_mobility();
    test_ms_msks();
    return test_summary("test_emulator");
}
