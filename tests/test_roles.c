/* The roles on deterministic scenarios: every built-in scenario under
 * every scheme with the invariants checked after every event (the driver
 * counts violations), and the outcomes each case must produce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/mgmt.h"
#include "tekho/sim.h"
#include "tekho/tekho.h"
#include "test_util.h"

static int run(const char *scenario, enum tekho_scheme scheme, uint64_t seed, struct tekho_sim_stats *st)
{
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    CHECK_ERR(tekho_sim_scenario(scenario, scheme, seed, &sim, &until), TEKHO_OK);
    if (sim == NULL)
        return 0;
    CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
    tekho_sim_stats(sim, st);
    tekho_sim_free(sim);
    return 1;
}

#define EXPECT(cond, scenario, scheme)                                                                    \
    do {                                                                                                  \
        if (!(cond)) {                                                                                    \
            fprintf(stderr, "FAIL %s:%d: %s / %s: %s\n", __FILE__, __LINE__, scenario,                      \
                    tekho_scheme_name(scheme), #cond);                                                    \
            test_failures++;                                                                              \
        }                                                                                                 \
    } while (0)

static void test_matrix(void)
{
    double p99[TEKHO_SCHEME_COUNT] = {0};
    for (int i = 0; TEKHO_SCENARIOS[i]; i++) {
        const char *sc = TEKHO_SCENARIOS[i];
        for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
            const enum tekho_scheme s = (enum tekho_scheme)k;
            struct tekho_sim_stats st;
            if (!run(sc, s, 1, &st))
                continue;
            /* Invariants, every scenario and scheme. */
            EXPECT(st.n_decreased == 0 && st.m_decreased == 0 && st.stale_count_keys == 0, sc, s);
            EXPECT(st.role_errors == 0 && st.io_errors == 0, sc, s);
            EXPECT(st.pn_reuse == 0 && st.tek_mismatch_after_ho == 0, sc, s);
            if (tekho_scheme_encrypts(s)) {
                /* `none` and `none-late` have no protection at all: they accept replays and forgeries by design. */
                EXPECT(st.replayed_pdus_accepted == 0 && st.forged_pdus_accepted == 0, sc, s);
            }
            if (s == TEKHO_SCHEME_COUNTER && strcmp(sc, "no-capability") != 0)
                EXPECT(st.tek_bytes_over_air == 0, sc, s);
            if (s == TEKHO_SCHEME_BASELINE_UPDATE || s == TEKHO_SCHEME_BASELINE_FULL ||
                s == TEKHO_SCHEME_BASELINE_EARLY || s == TEKHO_SCHEME_BASELINE_CHALLENGE)
                EXPECT(st.tek_bytes_over_air > 0, sc, s);
            /* TEKs on the backbone: reuse's (in HO_Cnf) and baseline-early's (wrapped, in HO_Rsp) only. */
            if (s == TEKHO_SCHEME_REUSE || s == TEKHO_SCHEME_BASELINE_EARLY)
                EXPECT(st.tek_bytes_over_backbone > 0, sc, s);
            else
                EXPECT(st.tek_bytes_over_backbone == 0, sc, s);
            /* Handover signalling is part of all signalling, never all of it (entry is not a handover's). */
            EXPECT(st.ho_air_messages > 0 && st.ho_air_messages < st.air_messages &&
                       st.ho_backbone_messages > 0 && st.ho_backbone_messages < st.backbone_messages,
                   sc, s);
            EXPECT(st.failed == 0, sc, s);
            /* Every handover executed resumed both directions; none is
             * censored but by the end of the run (baseline-full's last
             * ping-pong handover, 1.7 s into a 2 s script, takes 290 ms). */
            const struct tekho_sim_interruption *un = &st.interruption[TEKHO_SIM_UNION];
            EXPECT(st.executed == st.completed && un->n + un->censored_at_end == st.completed, sc, s);
            EXPECT(st.interruption[TEKHO_SIM_UL].censored == st.interruption[TEKHO_SIM_UL].censored_at_end &&
                       st.interruption[TEKHO_SIM_DL].censored == st.interruption[TEKHO_SIM_DL].censored_at_end &&
                       un->censored == un->censored_at_end && un->censored_at_end <= 1,
                   sc, s);
            EXPECT(st.user_pdus_delivered > 0, sc, s);

            if (strcmp(sc, "normal") == 0) {
                EXPECT(st.attempted == 2 && st.completed == 2, sc, s);
                p99[k] = st.interruption[TEKHO_SIM_UNION].p99_ms;
            } else if (strcmp(sc, "ms-ahead") == 0 && s == TEKHO_SCHEME_COUNTER) {
                /* TB = N < TM: the target found the count from UL data. */
                EXPECT(st.self_sync_success == 1 && st.completed == 2, sc, s);
            } else if (strcmp(sc, "replay") == 0) {
                EXPECT(st.completed == 2, sc, s);
                if (!tekho_scheme_encrypts(s))
                    EXPECT(st.replayed_pdus_accepted > 0 && st.forged_pdus_accepted > 0, sc, s);
                else
                    EXPECT(st.pdus_discarded > 100, sc, s);
            } else if (strcmp(sc, "cancel-retry") == 0) {
                EXPECT(st.attempted == 4 && st.cancelled == 2 && st.completed == 2, sc, s);
            } else if (strcmp(sc, "ping-pong") == 0) {
                EXPECT(st.completed == 4, sc, s);
            } else if (strcmp(sc, "no-capability") == 0 && s == TEKHO_SCHEME_COUNTER) {
                /* The target cannot: fallback to the baseline, TEKs cross the air. */
                EXPECT(st.tek_bytes_over_air > 0 && st.completed == 2, sc, s);
            } else if (strcmp(sc, "tek-refresh") == 0) {
                /* TEK0 lives 1 s and TEK1 4 s in a 6 s run: refreshes keep data flowing. */
                EXPECT(st.user_pdus_delivered * 100 > st.user_pdus_offered * 90, sc, s);
            } else if (strcmp(sc, "auth-restart") == 0) {
                EXPECT(st.completed == 3, sc, s);
            }
        }
    }
    /* The headline: counter beats the baseline, which beats re-authentication. */
    CHECK(p99[TEKHO_SCHEME_COUNTER] < p99[TEKHO_SCHEME_BASELINE_UPDATE]);
    CHECK(p99[TEKHO_SCHEME_BASELINE_UPDATE] < p99[TEKHO_SCHEME_BASELINE_FULL]);
    CHECK(p99[TEKHO_SCHEME_COUNTER] <= p99[TEKHO_SCHEME_NONE] + 5.0); /* within one frame of no security */
    /* The floor without early data waits for RNG-RSP, as the baseline does
     * (whose TEKs come in it): later than none, no later than the baseline. */
    CHECK(p99[TEKHO_SCHEME_NONE_LATE] > p99[TEKHO_SCHEME_NONE]);
    CHECK(p99[TEKHO_SCHEME_NONE_LATE] <= p99[TEKHO_SCHEME_BASELINE_UPDATE]);
    /* The conventional schemes in order: TEKs before the MS leaves (as
     * fast as counter), in RNG-RSP, after the SA-TEK 3-way handshake, after
     * re-authentication. */
    CHECK(p99[TEKHO_SCHEME_BASELINE_EARLY] == p99[TEKHO_SCHEME_COUNTER]);
    CHECK(p99[TEKHO_SCHEME_BASELINE_EARLY] < p99[TEKHO_SCHEME_BASELINE_UPDATE]);
    CHECK(p99[TEKHO_SCHEME_BASELINE_UPDATE] < p99[TEKHO_SCHEME_BASELINE_CHALLENGE]);
    CHECK(p99[TEKHO_SCHEME_BASELINE_CHALLENGE] < p99[TEKHO_SCHEME_BASELINE_FULL]);
}

static void test_self_sync_disabled(void)
{
    /* W = 0: no trial decryption; the RNG-REQ's count resynchronises. */
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.n_bs = 3;
    p.self_sync_window = 0;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 200000, TEKHO_OP_TRAFFIC_ON, 0, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 400000, TEKHO_OP_DROP_HO_COMPLETE, 1 + p.timing.max_retries, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 500000, TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 1200000, TEKHO_OP_HANDOVER, 0, 3, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_run(sim, 2000000), TEKHO_OK);
    struct tekho_sim_stats st;
    tekho_sim_stats(sim, &st);
    CHECK(st.self_sync_success == 0 && st.resync_by_rng_req == 1 && st.completed == 2);
    CHECK(st.tek_mismatch_after_ho == 0 && st.pn_reuse == 0);
    /* After the resync both ends hold the TEKs of the MS's count. */
    uint8_t a[2][8], b[2][8];
    CHECK(tekho_ms_tek_fingerprints(tekho_sim_ms(sim, 0), 3, a));
    CHECK(tekho_bs_tek_fingerprints(tekho_sim_bs(sim, 3), 0, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(tekho_ms_count(tekho_sim_ms(sim, 0)) == 2);
    tekho_sim_free(sim);
}

static void test_illegal_messages_change_nothing(void)
{
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_run(sim, 100000), TEKHO_OK);
    struct tekho_ms *ms = tekho_sim_ms(sim, 0);
    CHECK(tekho_ms_state(ms) == TEKHO_MS_OPERATIONAL);
    static struct tekho_actions out;
    /* A handover RNG-RSP while operational, a SBC-RSP after entry, a MOB_BSHO-RSP never asked for. */
    struct tekho_rng_rsp rsp = {.has_ranging_status = true, .ranging_status = TEKHO_RANGING_STATUS_SUCCESS};
    uint8_t msg[64], pdu[128];
    size_t n = 0, pdu_len = 0;
    CHECK_ERR(tekho_rng_rsp_encode(&rsp, msg, sizeof msg, &n), TEKHO_OK);
    CHECK_ERR(tekho_mgmt_frame(tekho_ms_basic_cid(0), true, msg, n, pdu, sizeof pdu, &pdu_len), TEKHO_OK);
    tekho_actions_reset(&out);
    CHECK_ERR(tekho_ms_air(ms, 100000, 1, pdu, pdu_len, &out), TEKHO_ERR_UNEXPECTED_MESSAGE);
    CHECK(out.n == 0 && tekho_ms_state(ms) == TEKHO_MS_OPERATIONAL && tekho_ms_count(ms) == 0);
    struct tekho_sbc sbc = {.mgmt_type = TEKHO_MGMT_SBC_RSP, .has_bw_alloc_support = true};
    CHECK_ERR(tekho_sbc_encode(&sbc, msg, sizeof msg, &n), TEKHO_OK);
    CHECK_ERR(tekho_mgmt_frame(tekho_ms_basic_cid(0), true, msg, n, pdu, sizeof pdu, &pdu_len), TEKHO_OK);
    tekho_actions_reset(&out);
    CHECK_ERR(tekho_ms_air(ms, 100000, 1, pdu, pdu_len, &out), TEKHO_ERR_UNEXPECTED_MESSAGE);
    CHECK(out.n == 0 && tekho_ms_state(ms) == TEKHO_MS_OPERATIONAL);
    /* A cancel with no handover under way. */
    tekho_actions_reset(&out);
    CHECK_ERR(tekho_ms_cancel_handover(ms, 100000, &out), TEKHO_ERR_UNEXPECTED_MESSAGE);
    CHECK(out.n == 0);
    /* The BS: a MOB_HO-IND from an MS it never met (the table's row for an unknown MS). */
    uint8_t bsid[6] = {0, 0, 0, 0, 0, 2};
    struct tekho_mob_ho_ind ind = {.ho_ind_type = TEKHO_MOB_HO_IND_RELEASE, .has_cmac = true};
    memcpy(ind.target_bsid, bsid, 6);
    CHECK_ERR(tekho_mob_ho_ind_encode(&ind, msg, sizeof msg, &n), TEKHO_OK);
    CHECK_ERR(tekho_mgmt_frame(tekho_ms_basic_cid(5), true, msg, n, pdu, sizeof pdu, &pdu_len), TEKHO_OK);
    tekho_actions_reset(&out);
    CHECK_ERR(tekho_bs_air(tekho_sim_bs(sim, 1), 100000, 5, pdu, pdu_len, &out), TEKHO_ERR_UNEXPECTED_MESSAGE);
    CHECK(out.n == 0);
    tekho_sim_free(sim);
}

/* L1: the arena's bytes (messages, some with keys) are wiped at reset. */
static void test_actions_reset_wipes(void)
{
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_run(sim, 100000), TEKHO_OK);
    static struct tekho_actions out;
    const uint8_t bsid[6] = {0, 0, 0, 0, 0, 2};
    tekho_actions_reset(&out);
    CHECK_ERR(tekho_ms_start_handover(tekho_sim_ms(sim, 0), 100000, 2, bsid, &out), TEKHO_OK);
    const size_t used = out.used;
    size_t nonzero = 0;
    for (size_t i = 0; i < used; i++)
        nonzero += out.arena[i] != 0;
    CHECK(used > 0 && nonzero > 0); /* the MOB_MSHO-REQ is there */
    tekho_actions_reset(&out);
    nonzero = 0;
    for (size_t i = 0; i < used; i++)
        nonzero += out.arena[i] != 0;
    CHECK(out.n == 0 && out.used == 0 && nonzero == 0);
    tekho_sim_free(sim);
}

static void test_replayed_stale_rng_req_releases_nothing(void)
{
    /* Profile 4 releases the connection for an RNG-REQ whose count is below
     * N, but only one that is fresh (finding M1): a recorded RNG-REQ of an
     * earlier attempt names another HO_ID, and its CMAC_PN was seen. */
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.attacker = true;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 200000, TEKHO_OP_TRAFFIC_ON, 0, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 500000, TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);   /* count 1, N -> 2 */
    CHECK_ERR(tekho_sim_at(sim, 900000, TEKHO_OP_HANDOVER, 0, 1, 0), TEKHO_OK);   /* back: count 2, N -> 3 */
    CHECK_ERR(tekho_sim_at(sim, 1300000, TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);  /* again to 2: TB = N = 3 */
    /* While node 2 waits (HO_Rsp sent ~1314 ms, the MS syncs ~1337 ms),
     * the attacker replays the count-1 RNG-REQ it recorded. */
    CHECK_ERR(tekho_sim_at(sim, 1318000, TEKHO_OP_REPLAY_RNG_REQ, 0, 2, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_run(sim, 2000000), TEKHO_OK);
    struct tekho_sim_stats st;
    tekho_sim_stats(sim, &st);
    CHECK(st.connections_released == 0);
    CHECK(st.stale_count_keys == 0 && st.replayed_pdus_accepted == 0);
    CHECK(st.completed == 3); /* the replay changed nothing: the third handover completes */
    tekho_sim_free(sim);
}

/* The PN-reuse counter itself can fail: with `reuse` and the TEKs' PN
 * state stripped from HO_Cnf, the target seals DL from PN 0 again under
 * TEKs the serving BS already used, and the checker must see it. */
static void test_pn_reuse_is_detected(void)
{
    for (int fault = 0; fault <= 1; fault++) {
        struct tekho_sim_params p;
        tekho_sim_params_default(&p);
        p.scheme = TEKHO_SCHEME_REUSE;
        struct tekho_sim *sim = NULL;
        CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
        if (sim == NULL)
            return;
        CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, 200000, TEKHO_OP_TRAFFIC_ON, 0, 0, 0), TEKHO_OK);
        if (fault)
            CHECK_ERR(tekho_sim_at(sim, 400000, TEKHO_OP_RESET_PN_IN_HO_CNF, 1, 0, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_at(sim, 500000, TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);
        CHECK_ERR(tekho_sim_run(sim, 1500000), TEKHO_OK);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        CHECK(st.completed == 1);
        CHECK(fault ? st.pn_reuse > 0 : st.pn_reuse == 0);
        tekho_sim_free(sim);
    }
}

/* Air loss on many seeds: every lost message (SBC-RSP, MOB_BSHO-RSP,
 * MOB_HO-IND, RNG-RSP, SA-TEK-Challenge, ...) must be recovered by a
 * retransmission, never by a failed handover or diverged keys. */
static void test_lossy_air_seeds(void)
{
    for (int k = 0; k < TEKHO_SCHEME_COUNT; k++) {
        const enum tekho_scheme s = (enum tekho_scheme)k;
        /* The same script without loss (lossy-air is normal's, lossy). */
        struct tekho_sim_stats clean;
        if (!run("normal", s, 1, &clean))
            continue;
        for (uint64_t seed = 2; seed <= 24; seed++) {
            struct tekho_sim_stats st;
            if (!run("lossy-air", s, seed, &st))
                continue;
            EXPECT(st.completed >= 1 && st.failed == 0, "lossy-air", s);
            EXPECT(st.interruption[TEKHO_SIM_UNION].n + st.interruption[TEKHO_SIM_UNION].censored == st.executed,
                   "lossy-air", s);
            EXPECT(st.interruption[TEKHO_SIM_UNION].n == st.completed, "lossy-air", s);
            EXPECT(st.role_errors == 0 && st.io_errors == 0 && st.tek_mismatch_after_ho == 0, "lossy-air", s);
            EXPECT(st.pn_reuse == 0 && st.n_decreased == 0 && st.m_decreased == 0, "lossy-air", s);
            if (tekho_scheme_encrypts(s))
                EXPECT(st.replayed_pdus_accepted == 0 && st.forged_pdus_accepted == 0, "lossy-air", s);
            /* Data flows after every handover: most of what arrives
             * without loss arrives (each lost message costs a retransmission
             * timer; baseline-full's re-authentication sends the most). */
            EXPECT(st.user_pdus_delivered * 100 > clean.user_pdus_delivered * 65, "lossy-air", s);
        }
    }
}

/* `none` is the floor: loss can only lengthen an interruption. Under air
 * loss its shortest interruption, each way, is never below the shortest
 * without loss (with the old gap measure a DL PDU from the BS the MS had
 * left, taken after the handover, made a 35 ms outage read 15). */
static void test_none_floor_under_loss(void)
{
    struct tekho_sim_stats clean;
    if (!run("normal", TEKHO_SCHEME_NONE, 1, &clean))
        return;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct tekho_sim_stats st;
        if (!run("lossy-air", TEKHO_SCHEME_NONE, seed, &st))
            continue;
        for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
            EXPECT(clean.interruption[d].n > 0, "normal", TEKHO_SCHEME_NONE);
            EXPECT(st.interruption[d].n == 0 || st.interruption[d].min_ms >= clean.interruption[d].min_ms,
                   "lossy-air", TEKHO_SCHEME_NONE);
        }
    }
}

/* The in-memory store: found by MAC, bounded by its capacity; an ADVANCE
 * moves N only up and only under the record's PMK; a NEW_PMK replaces. */
static void test_memory_store(void)
{
    struct tekho_memory_store *mem = NULL;
    CHECK_ERR(tekho_memory_store_new(3, &mem), TEKHO_OK);
    if (mem == NULL)
        return;
    const struct tekho_auth_store st = tekho_memory_store_ops(mem);
    struct tekho_auth_record r = {.kind = TEKHO_RECORD_NEW_PMK, .ms_mac = {2, 0x74, 0x6b, 0, 0, 0}, .n = 1,
                                  .pmk_id = {1}, .msk = {9}};
    tekho_err res[2];
    for (uint8_t i = 1; i <= 3; i++) {
        r.ms_mac[5] = i;
        r.n = (uint16_t)(100 + i);
        CHECK_ERR(st.persist(st.ctx, &r, 1, res), TEKHO_OK);
        CHECK_ERR(res[0], TEKHO_OK);
    }
    r.ms_mac[5] = 4;
    CHECK_ERR(st.persist(st.ctx, &r, 1, res), TEKHO_ERR_CAPACITY);
    struct tekho_auth_record got;
    bool found = true;
    CHECK_ERR(st.load(st.ctx, r.ms_mac, &got, &found), TEKHO_OK);
    CHECK(!found);
    /* Two ADVANCEs in one batch: up under the right PMK; not down, not under another PMK. */
    struct tekho_auth_record adv[2] = {{.kind = TEKHO_RECORD_ADVANCE, .ms_mac = {2, 0x74, 0x6b, 0, 0, 2}, .n = 107,
                                        .pmk_id = {1}},
                                       {.kind = TEKHO_RECORD_ADVANCE, .ms_mac = {2, 0x74, 0x6b, 0, 0, 3}, .n = 50,
                                        .pmk_id = {1}}};
    CHECK_ERR(st.persist(st.ctx, adv, 2, res), TEKHO_OK);
    CHECK_ERR(res[0], TEKHO_OK);
    CHECK_ERR(res[1], TEKHO_ERR_STALE_COUNT);
    adv[0].pmk_id[0] = 2;
    adv[0].n = 200;
    CHECK_ERR(st.persist(st.ctx, adv, 1, res), TEKHO_OK);
    CHECK_ERR(res[0], TEKHO_ERR_STALE_COUNT);
    CHECK_ERR(st.load(st.ctx, adv[0].ms_mac, &got, &found), TEKHO_OK);
    CHECK(found && got.n == 107 && got.msk[0] == 9 && got.kind == TEKHO_RECORD_NEW_PMK);
    CHECK_ERR(st.load(st.ctx, adv[1].ms_mac, &got, &found), TEKHO_OK);
    CHECK(found && got.n == 103);
    tekho_memory_store_erase(mem, adv[1].ms_mac);
    CHECK_ERR(st.load(st.ctx, adv[1].ms_mac, &got, &found), TEKHO_OK);
    CHECK(!found);
    /* The action encoding: a round trip, and what it refuses. */
    uint8_t enc[TEKHO_AUTH_RECORD_LEN];
    r.ms_mac[5] = 7;
    CHECK_ERR(tekho_auth_record_encode(&r, enc), TEKHO_OK);
    CHECK_ERR(tekho_auth_record_decode(enc, sizeof enc, &got), TEKHO_OK);
    CHECK(memcmp(&got.ms_mac, r.ms_mac, 6) == 0 && got.n == r.n && got.msk[0] == 9);
    CHECK_ERR(tekho_auth_record_decode(enc, sizeof enc - 1, &got), TEKHO_ERR_TRUNCATED);
    enc[1] = TEKHO_RECORD_ADVANCE; /* an ADVANCE with key bytes */
    CHECK_ERR(tekho_auth_record_decode(enc, sizeof enc, &got), TEKHO_ERR_BAD_VALUE);
    tekho_auth_record_wipe(&got);
    tekho_memory_store_free(mem);
}

/* Applies the persists in acts to the store at once and reports them;
 * the actions of the reports are left in acts (the last one's). */
static int persist_all(struct tekho_auth *auth, struct tekho_memory_store *mem, struct tekho_actions *acts)
{
    struct tekho_auth_record recs[8];
    uint64_t tokens[8];
    size_t n = 0;
    for (size_t i = 0; i < acts->n && n < 8; i++)
        if (acts->list[i].kind == TEKHO_ACT_PERSIST &&
            tekho_auth_record_decode(acts->list[i].bytes, acts->list[i].len, &recs[n]) == TEKHO_OK)
            tokens[n++] = (uint64_t)acts->list[i].value;
    const struct tekho_auth_store st = tekho_memory_store_ops(mem);
    for (size_t i = 0; i < n; i++) {
        tekho_err res = TEKHO_OK;
        const tekho_err err = st.persist(st.ctx, &recs[i], 1, &res);
        tekho_actions_reset(acts);
        if (tekho_auth_persisted(auth, 0, recs[i].ms_mac, tokens[i], err != TEKHO_OK ? err : res, acts) != TEKHO_OK)
            return -1;
        tekho_auth_record_wipe(&recs[i]);
    }
    return (int)n;
}

static size_t count_kind(const struct tekho_actions *acts, enum tekho_action_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < acts->n; i++)
        n += acts->list[i].kind == kind;
    return n;
}

/* The Authenticator finds an MS by the index its MAC names, and by a scan
 * once an MS with such a MAC was put in another slot. */
static void test_auth_ms_slots(void)
{
    struct tekho_memory_store *mem = NULL;
    CHECK_ERR(tekho_memory_store_new(4, &mem), TEKHO_OK);
    const struct tekho_auth_config cfg = {
        .pmk_lifetime_s = 3600, .max_ms = 2, .max_bs = 2, .store = tekho_memory_store_ops(mem)};
    struct tekho_auth *auth = NULL;
    struct tekho_actions *acts = calloc(1, sizeof *acts);
    CHECK_ERR(tekho_auth_new(&cfg, &auth), TEKHO_OK);
    if (auth == NULL || acts == NULL) {
        free(acts);
        tekho_memory_store_free(mem);
        return;
    }
    uint8_t msk[64] = {1}, mac0[6], mac1[6], other[6] = {0x00, 0x1b, 0x11, 1, 2, 3};
    tekho_ms_mac_of_index(0, mac0);
    tekho_ms_mac_of_index(1, mac1);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 0, mac1, msk, 0, acts), TEKHO_OK); /* MS 1's MAC in slot 0 */
    CHECK(persist_all(auth, mem, acts) == 1);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 1, mac1, msk, 0, acts), TEKHO_OK); /* found in slot 0: no new slot */
    CHECK(persist_all(auth, mem, acts) == 1);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 1, mac0, msk, 0, acts), TEKHO_OK); /* slot 1 is still free */
    CHECK(tekho_auth_count(auth, mac0) == 0); /* not durable yet: no N */
    CHECK(persist_all(auth, mem, acts) == 1);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 0, other, msk, 0, acts), TEKHO_ERR_CAPACITY);
    CHECK(tekho_auth_count(auth, mac1) == 1 && tekho_auth_count(auth, mac0) == 1);
    tekho_actions_reset(acts);
    tekho_auth_free(auth);
    free(acts);
    tekho_memory_store_free(mem);
}

/* A HO_Complete from BS `node` reporting `count` for mac, into acts. */
static tekho_err ho_complete(struct tekho_auth *auth, uint32_t node, const uint8_t mac[6], uint16_t count,
                             uint16_t txn, struct tekho_actions *acts)
{
    return test_bs_to_auth(auth, node, TEKHO_ASNCP_HO_COMPLETE, mac, 0, count, txn, acts);
}

/* Durability as an action: nothing that depends on a new N leaves before
 * the driver reports it durable; a failed persist sends nothing; a
 * restart between the persist and its report forgets it, and N comes
 * back from the store (landed or not). */
static void test_auth_persist(void)
{
    struct tekho_memory_store *mem = NULL;
    CHECK_ERR(tekho_memory_store_new(4, &mem), TEKHO_OK);
    const struct tekho_auth_config cfg = {
        .pmk_lifetime_s = 3600, .max_ms = 2, .max_bs = 2, .store = tekho_memory_store_ops(mem)};
    struct tekho_auth *auth = NULL;
    struct tekho_actions *acts = calloc(1, sizeof *acts);
    CHECK_ERR(tekho_auth_new(&cfg, &auth), TEKHO_OK);
    if (auth == NULL || acts == NULL) {
        free(acts);
        tekho_memory_store_free(mem);
        return;
    }
    const struct tekho_auth_store st = tekho_memory_store_ops(mem);
    uint8_t msk[64] = {7}, mac[6], bsid[6] = {0x42, 0, 0, 0, 0, 1};
    tekho_ms_mac_of_index(0, mac);
    CHECK_ERR(tekho_auth_add_bs(auth, 1, bsid), TEKHO_OK);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 0, mac, msk, 0, acts), TEKHO_OK);
    CHECK(acts->n == 1 && acts->list[0].kind == TEKHO_ACT_PERSIST);
    /* Busy while the EAP result is not durable: nothing goes out. */
    CHECK_ERR(ho_complete(auth, 1, mac, 1, 10, acts), TEKHO_ERR_BUSY);
    CHECK(acts->n == 0);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_add_ms(auth, 0, mac, msk, 0, acts), TEKHO_OK); /* again: the first is forgotten */
    CHECK(persist_all(auth, mem, acts) == 1 && tekho_auth_count(auth, mac) == 1);

    /* HO_Complete for count 1: a persist of N = 2 and nothing else. */
    CHECK_ERR(ho_complete(auth, 1, mac, 1, 11, acts), TEKHO_OK);
    CHECK(acts->n == 1 && acts->list[0].kind == TEKHO_ACT_PERSIST && tekho_auth_count(auth, mac) == 1);
    struct tekho_auth_record rec;
    CHECK_ERR(tekho_auth_record_decode(acts->list[0].bytes, acts->list[0].len, &rec), TEKHO_OK);
    CHECK(rec.kind == TEKHO_RECORD_ADVANCE && rec.n == 2);
    const uint64_t token = (uint64_t)acts->list[0].value;
    /* A failed persist: nothing leaves, N is unknown until loaded again. */
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_persisted(auth, 0, mac, token, TEKHO_ERR_STORE_FULL, acts), TEKHO_OK);
    CHECK(acts->n == 0 && tekho_auth_count(auth, mac) == 0);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_persisted(auth, 0, mac, token + 100, TEKHO_OK, acts), TEKHO_ERR_BAD_VALUE);
    /* The BS retransmits: a new persist; durable, then the count update. */
    CHECK_ERR(ho_complete(auth, 1, mac, 1, 11, acts), TEKHO_OK);
    CHECK(acts->n == 1 && acts->list[0].kind == TEKHO_ACT_PERSIST && tekho_auth_count(auth, mac) == 1);
    CHECK(persist_all(auth, mem, acts) == 1);
    CHECK(count_kind(acts, TEKHO_ACT_EVENT) == 1 && tekho_auth_count(auth, mac) == 2);
    /* A report the store refuses (N already there): nothing leaves. */
    CHECK_ERR(ho_complete(auth, 1, mac, 2, 12, acts), TEKHO_OK);
    const uint64_t t3 = (uint64_t)acts->list[0].value;
    CHECK_ERR(tekho_auth_record_decode(acts->list[0].bytes, acts->list[0].len, &rec), TEKHO_OK);
    tekho_err res = TEKHO_OK;
    rec.n = 9; /* another Authenticator got further: the store holds 9 */
    CHECK_ERR(st.persist(st.ctx, &rec, 1, &res), TEKHO_OK);
    rec.n = 3;
    CHECK_ERR(st.persist(st.ctx, &rec, 1, &res), TEKHO_OK);
    CHECK_ERR(res, TEKHO_ERR_STALE_COUNT);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_persisted(auth, 0, mac, t3, res, acts), TEKHO_OK);
    CHECK(acts->n == 0);
    /* The retransmission finds N = 9 in the store: it only learns it. */
    CHECK_ERR(ho_complete(auth, 1, mac, 2, 12, acts), TEKHO_OK);
    CHECK(acts->n == 1 && acts->list[0].kind == TEKHO_ACT_BACKBONE && tekho_auth_count(auth, mac) == 9);
    /* A restart between a persist and its report: the report is stale,
     * and N is whatever the store holds (here: it landed). */
    CHECK_ERR(ho_complete(auth, 1, mac, 9, 13, acts), TEKHO_OK);
    const uint64_t t4 = (uint64_t)acts->list[0].value;
    CHECK_ERR(tekho_auth_record_decode(acts->list[0].bytes, acts->list[0].len, &rec), TEKHO_OK);
    CHECK_ERR(st.persist(st.ctx, &rec, 1, &res), TEKHO_OK);
    CHECK_ERR(tekho_auth_restart(auth), TEKHO_OK);
    tekho_actions_reset(acts);
    CHECK_ERR(tekho_auth_persisted(auth, 0, mac, t4, TEKHO_OK, acts), TEKHO_OK);
    CHECK(acts->n == 0 && tekho_auth_count(auth, mac) == 0);
    CHECK_ERR(ho_complete(auth, 1, mac, 9, 13, acts), TEKHO_OK);
    CHECK(acts->n == 1 && acts->list[0].kind == TEKHO_ACT_BACKBONE && tekho_auth_count(auth, mac) == 10);
    /* A record under another PMK (or none) after a restart: no count at all. */
    rec.kind = TEKHO_RECORD_NEW_PMK;
    rec.pmk_id[0] ^= 1;
    rec.n = 1;
    CHECK_ERR(st.persist(st.ctx, &rec, 1, &res), TEKHO_OK);
    CHECK_ERR(tekho_auth_restart(auth), TEKHO_OK);
    CHECK_ERR(ho_complete(auth, 1, mac, 10, 14, acts), TEKHO_ERR_STALE_COUNT);
    CHECK(acts->n == 0);
    tekho_auth_record_wipe(&rec);
    tekho_actions_reset(acts);
    tekho_auth_free(auth);
    free(acts);
    tekho_memory_store_free(mem);
}

/* After a handover the MS takes user data only from the BS it is
 * attached to. With its MOB_HO-IND lost, the BS it left does not know and
 * may still send; `none` has no keys to tell the two apart, so the MS must
 * go by the sender: a user PDU from the BS it left is discarded, one from
 * its serving BS delivered. */
static void test_no_data_from_the_bs_left(void)
{
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.scheme = TEKHO_SCHEME_NONE;
    p.n_bs = 3;
    struct tekho_sim *sim = NULL;
    CHECK_ERR(tekho_sim_new(&p, &sim), TEKHO_OK);
    if (sim == NULL)
        return;
    CHECK_ERR(tekho_sim_at(sim, 0, TEKHO_OP_ENTER, 0, 1, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 200000, TEKHO_OP_TRAFFIC_ON, 0, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 500000, TEKHO_OP_HANDOVER, 0, 2, 0), TEKHO_OK);
    /* MOB_BSHO-RSP reaches the MS at 522.5 ms and MOB_HO-IND leaves then: lost. */
    CHECK_ERR(tekho_sim_at(sim, 520000, TEKHO_OP_AIR_LOSS, 1000, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 523000, TEKHO_OP_AIR_LOSS, 0, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_at(sim, 990000, TEKHO_OP_TRAFFIC_OFF, 0, 0, 0), TEKHO_OK);
    CHECK_ERR(tekho_sim_run(sim, 1000000), TEKHO_OK);
    struct tekho_sim_stats before, after;
    tekho_sim_stats(sim, &before);
    CHECK(before.completed == 1 && tekho_ms_serving(tekho_sim_ms(sim, 0)) == 2);
    CHECK(tekho_ms_state(tekho_sim_ms(sim, 0)) == TEKHO_MS_OPERATIONAL);
    /* A fresh DL payload of the MS's (the driver's format: magic, MS, direction, sequence). */
    for (uint32_t from = 1; from <= 2; from++) {
        uint8_t payload[48] = {'T', 'K', 'H', 'O', 0, 0, 0, 0, 1, 0, 0x0F, 0x42, (uint8_t)(0x40 + from)};
        uint8_t pdu[128];
        size_t len = 0;
        CHECK_ERR(tekho_mgmt_frame(tekho_ms_data_cid(0), true, payload, sizeof payload, pdu, sizeof pdu, &len),
                  TEKHO_OK);
        CHECK_ERR(tekho_sim_inject(sim, tekho_sim_now(sim), TEKHO_SIM_AIR_DL, from, 0, pdu, len), TEKHO_OK);
        CHECK_ERR(tekho_sim_run(sim, tekho_sim_now(sim) + 10000), TEKHO_OK);
        tekho_sim_stats(sim, &after);
        if (from == 1) { /* the BS the MS left */
            CHECK(after.user_pdus_delivered == before.user_pdus_delivered);
            CHECK(after.pdus_discarded == before.pdus_discarded + 1);
        } else { /* its serving BS */
            CHECK(after.user_pdus_delivered == before.user_pdus_delivered + 1);
        }
        before = after;
    }
    tekho_sim_free(sim);
}

/* none-late: no user PDU to or from the target before ranging is done,
 * on the air (from the trace) and in the roles; none sends before it. */
static void test_none_late_waits_for_rng_rsp(void)
{
    for (int k = 0; k < 2; k++) {
        const enum tekho_scheme s = k ? TEKHO_SCHEME_NONE_LATE : TEKHO_SCHEME_NONE;
        struct tekho_sim *sim = NULL;
        uint64_t until = 0;
        FILE *t = tmpfile();
        CHECK(t != NULL);
        CHECK_ERR(tekho_sim_scenario("normal", s, 1, &sim, &until), TEKHO_OK);
        if (sim == NULL || t == NULL) {
            tekho_sim_free(sim);
            if (t)
                fclose(t);
            continue;
        }
        tekho_sim_trace(sim, t);
        CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
        tekho_sim_free(sim);
        /* The first handover (to bs2): when each end completed it, and the first data each way. */
        double ms_done = -1, bs_done = -1, first_ul = -1, first_dl = -1;
        char line[256];
        rewind(t);
        while (fgets(line, sizeof line, t)) {
            double at;
            if (sscanf(line, "%lf", &at) != 1)
                continue;
            if (ms_done < 0 && strstr(line, "event ms0 HO_COMPLETED 2"))
                ms_done = at;
            if (bs_done < 0 && strstr(line, "event bs2 HO_COMPLETED 2"))
                bs_done = at;
            if (first_ul < 0 && strstr(line, "air UL ms0 -> bs2 Data"))
                first_ul = at;
            if (first_dl < 0 && strstr(line, "air DL ms0 <- bs2 Data"))
                first_dl = at;
        }
        fclose(t);
        CHECK(ms_done > 0 && bs_done > 0 && first_ul > 0 && first_dl > 0);
        if (s == TEKHO_SCHEME_NONE_LATE) {
            CHECK(first_ul >= ms_done && first_dl >= bs_done);
        } else {
            CHECK(first_ul < ms_done && first_dl < bs_done);
        }
    }
}

/* ---- the baselines, message by message ----------------------------------- */

/* The first handover of the `normal` scenario (MS 0, bs1 -> bs2, from
 * 500 ms), as a line of message names: air management messages with the
 * PKM code spelled out, backbone messages by type, user data left out,
 * up to the target's HO_Complete to the Authenticator. */
struct seq {
    char line[4096];
    bool done;
    /* what some of them carried */
    bool bsho_teks, ho_rsp_teks, ho_cnf_teks, rng_rsp_teks, rng_rsp_tuple, sa_tek_rsp_teks;
    double first_ul_at_target, first_dl_at_target, rng_rsp_at; /* ms, -1: none */
};

static void seq_add(struct seq *q, const char *name)
{
    const size_t n = strlen(q->line);
    snprintf(q->line + n, sizeof q->line - n, "%s%s", n ? " " : "", name);
}

static void seq_tap(void *ctx, struct tekho_sim *sim, uint64_t t, enum tekho_sim_link link, uint32_t from, uint32_t to,
                    const uint8_t *b, size_t len)
{
    (void)sim;
    struct seq *q = ctx;
    const double at = (double)t / 1000.0;
    if (at < 500 || at >= 1200)
        return;
    if (link == TEKHO_SIM_BACKBONE) {
        if (q->done)
            return;
        struct tekho_asncp m;
        if (tekho_asncp_decode(b, len, &m) != TEKHO_OK) {
            seq_add(q, "?");
            return;
        }
        seq_add(q, tekho_asncp_name(m.msg));
        q->ho_rsp_teks |= m.msg == TEKHO_ASNCP_HO_RSP && m.n_sa > 0;
        q->ho_cnf_teks |= m.msg == TEKHO_ASNCP_HO_CNF && m.n_sa > 0;
        q->done = m.msg == TEKHO_ASNCP_HO_COMPLETE && to == TEKHO_NODE_AUTHENTICATOR;
        tekho_asncp_wipe(&m);
        return;
    }
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(b, len, &gmh) != TEKHO_OK)
        return;
    const uint32_t bs = link == TEKHO_SIM_AIR_UL ? to : from;
    if (gmh.cid > TEKHO_MGMT_CID_MAX) {
        if (bs == 2 && link == TEKHO_SIM_AIR_UL && q->first_ul_at_target < 0)
            q->first_ul_at_target = at;
        if (bs == 2 && link == TEKHO_SIM_AIR_DL && q->first_dl_at_target < 0)
            q->first_dl_at_target = at;
        return;
    }
    uint16_t cid;
    const uint8_t *msg;
    size_t n;
    if (q->done || tekho_mgmt_unframe(b, len, &cid, &msg, &n) != TEKHO_OK || n < 2)
        return;
    if (msg[0] == TEKHO_MGMT_PKM_REQ || msg[0] == TEKHO_MGMT_PKM_RSP) {
        struct tekho_pkm m;
        if (tekho_pkm_decode(msg, n, &m) == TEKHO_OK) {
            seq_add(q, tekho_pkm_code_name(m.code) + 6); /* without "PKMv2 " */
            q->sa_tek_rsp_teks |= m.code == TEKHO_PKM_SA_TEK_RESPONSE && m.n_tek_params == 2;
        }
        return;
    }
    seq_add(q, tekho_mgmt_name(msg[0]));
    if (msg[0] == TEKHO_MGMT_MOB_BSHO_RSP) {
        struct tekho_mob_bsho_rsp m;
        q->bsho_teks |= tekho_mob_bsho_rsp_decode(msg, n, &m) == TEKHO_OK && m.has_sa_tek_update;
    } else if (msg[0] == TEKHO_MGMT_RNG_RSP) {
        struct tekho_rng_rsp m;
        if (tekho_rng_rsp_decode(msg, n, &m) == TEKHO_OK) {
            q->rng_rsp_teks |= m.n_sa_tek_updates > 0;
            q->rng_rsp_tuple |= m.has_sa_challenge;
            if (q->rng_rsp_at < 0)
                q->rng_rsp_at = at;
        }
    }
}

/* Runs `normal` under scheme s into *q; the TEKs at both ends must agree
 * after each handover (the driver counts mismatches at each completion)
 * and at the end. */
static void record_handover(enum tekho_scheme s, struct seq *q, struct tekho_sim_stats *st)
{
    memset(q, 0, sizeof *q);
    q->first_ul_at_target = q->first_dl_at_target = q->rng_rsp_at = -1;
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    CHECK_ERR(tekho_sim_scenario("normal", s, 1, &sim, &until), TEKHO_OK);
    if (sim == NULL)
        return;
    tekho_sim_set_tap(sim, seq_tap, q);
    CHECK_ERR(tekho_sim_run(sim, until), TEKHO_OK);
    tekho_sim_stats(sim, st);
    CHECK(st->completed == 2 && st->tek_mismatch_after_ho == 0 && st->pn_reuse == 0);
    const uint32_t node = tekho_ms_serving(tekho_sim_ms(sim, 0));
    uint8_t a[2][8], b[2][8];
    CHECK(node == 3 && tekho_ms_state(tekho_sim_ms(sim, 0)) == TEKHO_MS_OPERATIONAL);
    CHECK(tekho_ms_tek_fingerprints(tekho_sim_ms(sim, 0), node, a));
    CHECK(tekho_bs_tek_fingerprints(tekho_sim_bs(sim, node), 0, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    tekho_sim_free(sim);
}

static void expect_sequence(enum tekho_scheme s, const struct seq *q, const char *want)
{
    if (strcmp(q->line, want) != 0) {
        fprintf(stderr, "FAIL %s: the first handover's messages were\n  %s\nnot\n  %s\n", tekho_scheme_name(s),
                q->line, want);
        test_failures++;
    }
}

#define PREPARE "MOB-MSHO-REQ HO_Req Context_Req Context_Rpt HO_Rsp MOB-BSHO-RSP MOB-HO-IND HO_Cnf HO_Ack RNG-REQ RNG-RSP"

static void test_baseline_sequences(void)
{
    struct seq q;
    struct tekho_sim_stats st;

    /* baseline-early: the target's TEKs in HO_Rsp and MOB_BSHO-RSP, none
     * in HO_Cnf or RNG-RSP; user data at the target before RNG-RSP. */
    record_handover(TEKHO_SCHEME_BASELINE_EARLY, &q, &st);
    expect_sequence(TEKHO_SCHEME_BASELINE_EARLY, &q, PREPARE " HO_Complete");
    CHECK(q.ho_rsp_teks && q.bsho_teks && !q.ho_cnf_teks && !q.rng_rsp_teks && !q.rng_rsp_tuple);
    CHECK(q.first_ul_at_target > 0 && q.first_ul_at_target < q.rng_rsp_at);
    CHECK(q.first_dl_at_target > 0 && q.first_dl_at_target < q.rng_rsp_at);
    CHECK(st.tek_bytes_over_air == 2 * 48 && st.tek_bytes_over_backbone == 2 * 48); /* two TEKs wrapped, 24 B each */

    /* baseline-challenge: RNG-RSP with the SA Challenge Tuple, then
     * SA-TEK-Request and SA-TEK-Response with the TEKs: no
     * SA-TEK-Challenge, no EAP, no Key-Request; data only after. */
    record_handover(TEKHO_SCHEME_BASELINE_CHALLENGE, &q, &st);
    expect_sequence(TEKHO_SCHEME_BASELINE_CHALLENGE, &q, PREPARE " SA TEK Request SA TEK Response HO_Complete");
    CHECK(q.rng_rsp_tuple && !q.rng_rsp_teks && q.sa_tek_rsp_teks && !q.bsho_teks && !q.ho_rsp_teks);
    CHECK(q.first_ul_at_target > q.rng_rsp_at && q.first_dl_at_target > q.rng_rsp_at);
    CHECK(st.tek_bytes_over_air == 2 * 48 && st.tek_bytes_over_backbone == 0);

    /* baseline-full: re-authentication with EAP through the target (four
     * round trips by default, each through the Authenticator), then the
     * SA-TEK 3-way handshake and Key-Request/Reply. */
    record_handover(TEKHO_SCHEME_BASELINE_FULL, &q, &st);
#define EAP_RT " AR_EAP_Transfer EAP-Transfer EAP-Transfer AR_EAP_Transfer"
    expect_sequence(TEKHO_SCHEME_BASELINE_FULL, &q,
                    PREPARE " Context_Req" EAP_RT EAP_RT EAP_RT EAP_RT
                            " Context_Rpt SA TEK Challenge SA TEK Request SA TEK Response Key-Request Key-Reply"
                            " HO_Complete");
#undef EAP_RT
    CHECK(!q.rng_rsp_tuple && !q.rng_rsp_teks && !q.sa_tek_rsp_teks && !q.bsho_teks);
    CHECK(q.first_ul_at_target > q.rng_rsp_at && q.first_dl_at_target > q.rng_rsp_at);

    /* counter, for comparison: no TEK anywhere, the fewest bytes. */
    struct tekho_sim_stats counter;
    record_handover(TEKHO_SCHEME_COUNTER, &q, &counter);
    expect_sequence(TEKHO_SCHEME_COUNTER, &q, PREPARE " HO_Complete");
    CHECK(counter.tek_bytes_over_air == 0 && counter.tek_bytes_over_backbone == 0);
    CHECK(counter.ho_air_messages == st.ho_air_messages - 2 * 13 && counter.ho_air_bytes < st.ho_air_bytes);
}
#undef PREPARE

int main(void)
{
    test_auth_ms_slots();
    test_auth_persist();
    test_matrix();
    test_lossy_air_seeds();
    test_memory_store();
    test_pn_reuse_is_detected();
    test_self_sync_disabled();
    test_illegal_messages_change_nothing();
    test_actions_reset_wipes();
    test_replayed_stale_rng_req_releases_nothing();
    test_no_data_from_the_bs_left();
    test_none_floor_under_loss();
    test_none_late_waits_for_rng_rsp();
    test_baseline_sequences();
    return test_summary("test_roles");
}
