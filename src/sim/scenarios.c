/* The built-in scenarios of the roles issue, each a short script on two or
 * three base stations and one MS, traffic in every frame both ways. */
#include <string.h>

#include "tekho/sim.h"

const char *const tekho_scenarios[] = {"normal",        "ms-ahead",  "replay",     "cancel-retry", "ping-pong",
                                       "no-capability", "tek-refresh", "lossy-air", "auth-restart", NULL};

#define MS0 0
#define S 1 /* serving BS node */
#define T 2 /* target BS node */
#define T2 3
#define MS_(x) ((uint64_t)(x) * 1000u)

static tekho_err at(struct tekho_sim *sim, uint64_t ms, enum tekho_sim_op op, uint32_t a, uint32_t b, uint32_t c,
                    tekho_err prev)
{
    return prev != TEKHO_OK ? prev : tekho_sim_at(sim, MS_(ms), op, a, b, c);
}

tekho_err tekho_sim_scenario(const char *name, enum tekho_scheme scheme, uint64_t seed, struct tekho_sim **out,
                             uint64_t *until_us)
{
    return tekho_sim_scenario_timing(name, scheme, seed, NULL, out, until_us);
}

tekho_err tekho_sim_scenario_timing(const char *name, enum tekho_scheme scheme, uint64_t seed,
                                    const struct tekho_timing *timing, struct tekho_sim **out, uint64_t *until_us)
{
    if (name == NULL || out == NULL || until_us == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_sim_params p;
    tekho_sim_params_default(&p);
    p.scheme = scheme;
    p.seed = seed;
    p.n_bs = 3;
    if (timing != NULL)
        p.timing = *timing;
    uint64_t end_ms = 2000;
    int which = -1;
    for (int i = 0; TEKHO_SCENARIOS[i]; i++)
        if (strcmp(name, TEKHO_SCENARIOS[i]) == 0)
            which = i;
    if (which < 0)
        return TEKHO_ERR_BAD_VALUE;
    p.attacker = strcmp(name, "replay") == 0;
    if (strcmp(name, "no-capability") == 0)
        p.bs_no_tekgen_mask = 1u << (T - 1); /* the target cannot: fallback */
    if (strcmp(name, "lossy-air") == 0)
        p.air_loss = 0.05;
    if (strcmp(name, "tek-refresh") == 0)
        p.pmk_lifetime_s = 8; /* TEK0 lives 1 s, TEK1 4 s */
    tekho_err err = tekho_sim_new(&p, out);
    if (err != TEKHO_OK)
        return err;
    struct tekho_sim *sim = *out;
    err = at(sim, 0, TEKHO_OP_ENTER, MS0, S, 0, err);
    err = at(sim, 200, TEKHO_OP_TRAFFIC_ON, MS0, 0, 0, err);
    if (strcmp(name, "normal") == 0 || strcmp(name, "no-capability") == 0 || strcmp(name, "lossy-air") == 0 ||
        strcmp(name, "tek-refresh") == 0) {
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 1200, TEKHO_OP_HANDOVER, MS0, T2, 0, err);
        if (strcmp(name, "tek-refresh") == 0)
            end_ms = 6000;
    } else if (strcmp(name, "ms-ahead") == 0) {
        /* The Authenticator misses the first HO_Complete and every
         * retransmission of it (a backbone outage): N lags the MS,
         * so at the next target TB = N < TM; self-sync or RNG-REQ resync. */
        err = at(sim, 400, TEKHO_OP_DROP_HO_COMPLETE, 1 + p.timing.max_retries, 0, 0, err);
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 1200, TEKHO_OP_HANDOVER, MS0, T2, 0, err);
    } else if (strcmp(name, "replay") == 0) {
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        /* Old user PDUs and the MS's RNG-REQs, replayed after the handover
         * to the BS that now serves (and the one before); forged PDUs too. */
        err = at(sim, 1000, TEKHO_OP_REPLAY_DATA, MS0, 0, 0, err);
        err = at(sim, 1050, TEKHO_OP_REPLAY_RNG_REQ, MS0, T, 0, err);
        err = at(sim, 1100, TEKHO_OP_FORGE, MS0, T, 20, err);
        err = at(sim, 1300, TEKHO_OP_HANDOVER, MS0, S, 0, err);
        err = at(sim, 1800, TEKHO_OP_REPLAY_RNG_REQ, MS0, T, 0, err);
        err = at(sim, 1850, TEKHO_OP_REPLAY_DATA, MS0, 0, 0, err);
    } else if (strcmp(name, "cancel-retry") == 0) {
        /* Cancelled while the target prepares (after HO_Req, before MOB_BSHO-RSP). */
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 508, TEKHO_OP_CANCEL, MS0, 0, 0, err);
        err = at(sim, 800, TEKHO_OP_HANDOVER, MS0, T, 0, err);   /* same target: cached context */
        err = at(sim, 1300, TEKHO_OP_HANDOVER, MS0, T2, 0, err);
        err = at(sim, 1308, TEKHO_OP_CANCEL, MS0, 0, 0, err);
        err = at(sim, 1600, TEKHO_OP_HANDOVER, MS0, S, 0, err);  /* another target */
    } else if (strcmp(name, "ping-pong") == 0) {
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 900, TEKHO_OP_HANDOVER, MS0, S, 0, err);
        err = at(sim, 1300, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 1700, TEKHO_OP_HANDOVER, MS0, S, 0, err);
    } else if (strcmp(name, "auth-restart") == 0) {
        err = at(sim, 500, TEKHO_OP_HANDOVER, MS0, T, 0, err);
        err = at(sim, 900, TEKHO_OP_AUTH_RESTART, 0, 0, 0, err);
        err = at(sim, 1200, TEKHO_OP_HANDOVER, MS0, T2, 0, err);
        err = at(sim, 1600, TEKHO_OP_HANDOVER, MS0, S, 0, err);
    }
    if (err != TEKHO_OK) {
        tekho_sim_free(sim);
        *out = NULL;
        return err;
    }
    *until_us = MS_(end_ms);
    return TEKHO_OK;
}
