/* The deterministic scenario driver (include/tekho/sim.h). One virtual
 * clock, a random source per purpose derived from one seed (common random
 * numbers, sim_random.h), a queue of events (event_queue.h); the roles are
 * called exactly as a daemon would call them. */
#include "tekho/sim.h"

#include <math.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/mgmt.h"
#include "tekho/tekho.h"
#include "event_queue.h"
#include "pn_ledger.h"
#include "sim_internal.h"
#include "sim_random.h"

/* ---- random (the streams are in sim_random.h) ----------------------------------- */

static void rng_bytes(struct sim_rng *r, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(sim_rng_next(r) >> 56);
}

/* ---- events ------------------------------------------------------------------------ */

enum ev_kind {
    EV_AIR_TO_BS,   /* a: BS node, b: MS */
    EV_AIR_TO_MS,   /* a: MS, b: BS node */
    EV_BACKBONE,    /* a: to node, b: from node */
    EV_TIMER,       /* a: owner (OWNER_*), b: timer */
    EV_FRAME,       /* a frame starts: measurements (radio mode) */
    EV_OFFER,       /* just before a frame starts: the user PDUs for it */
    EV_PACKET,      /* a: MS: the next VoIP/CBR packet each way */
    EV_SCRIPT,      /* a: op, b, c, d: args */
};

enum owner_kind { OWNER_MS, OWNER_BS, OWNER_AUTH };
#define OWNER(kind, id) ((uint32_t)(kind) << 24 | (uint32_t)(id))

/* A role's timers are its own numbers: the queue knows them by owner and number. */
static uint64_t timer_key(uint32_t owner, uint32_t timer)
{
    return (uint64_t)owner << 32 | timer;
}

/* ---- the simulation ------------------------------------------------------------------ */

#define RECORD_MAX 64

struct recorded {
    size_t n;
    uint8_t *pdu[RECORD_MAX];
    size_t len[RECORD_MAX];
    uint32_t node[RECORD_MAX];
    bool uplink[RECORD_MAX];
};

/* Radio state of an MS (radio mode). */
#define CANDIDATES 7
struct ms_radio {
    double x, y, vx, vy, wx, wy;       /* position, velocity (m/s), waypoint */
    uint32_t cell[CANDIDATES];         /* serving cell's neighbourhood: node ids */
    double shadow[CANDIDATES];         /* dB, per candidate */
    uint32_t around;                   /* the cell the candidates surround */
    uint32_t best;                     /* the neighbour that beats the serving BS */
    uint64_t window_start;
    uint64_t best_since;               /* ... since then (TTT) */
    bool in_window;                    /* inside a handover's traffic window */
    uint64_t window_end;
    uint64_t packet_next;              /* the next VoIP/CBR packet not yet counted (modelled traffic) */
    uint64_t measure_from;             /* no measurements before entry is done */
    uint32_t serving;                  /* tekho_ms_serving, as of the MS's last input */
    uint32_t new_links;                /* links that became candidates so far: keys their shadowing draws */
    double filtered[CANDIDATES];       /* layer-3 filtered level, dB (NAN: not measured yet) */
    uint32_t nearest;                  /* the nearest of the candidates, last measurement (crossings) */
    uint32_t measured;                 /* measurements so far: the SINR cache's epoch */
    uint32_t sinr_epoch;               /* sinr[] holds the values of measurement sinr_epoch - 1 */
    float sinr[CANDIDATES];            /* dB, per candidate */
};

struct ms_track {
    bool traffic;
    uint32_t seq[2];             /* next payload sequence number per direction (0 = UL, 1 = DL) */
    bool ho_active;              /* from HO_STARTED until measured, cancelled, failed or released */
    /* From HO_STARTED until the MS is operational again (or released): the
     * management messages about it meanwhile are handover signalling. */
    bool ho_signalling;
    uint32_t serving;            /* the BS the network routes the MS's downlink to */
    uint32_t target;
    /* The interruption under measurement (tekho_sim_stats): the MS left
     * its serving BS at t0, and a direction resumed (at resumed_at) with
     * the first user PDU the target delivered in it. */
    bool left;
    uint64_t t0;
    bool resumed[2];
    uint64_t resumed_at[2];
    uint16_t max_m;
    struct recorded *data;       /* user PDUs the attacker saw (made when it first hears one) */
    struct recorded *rng;        /* RNG-REQs the attacker saw */
    /* Replay check on delivery: the highest sequence number per direction
     * and a window of the ones below it already delivered. */
    uint32_t top[2];
    uint64_t seen[2][16];
    unsigned long window_offered_mark;
    /* Air loss is drawn per (direction, class: data or management) for
     * the k-th PDU of the class in a frame: the frame last sent in, and k. */
    uint64_t air_frame[2][2];
    uint32_t air_k[2][2];
    /* The variability of this handover: the frame MOB_HO-IND left in
     * (keys its draws), and whether the preamble search ran late (the
     * dedicated ranging opportunity is missed). */
    uint64_t ho_frame;
    uint32_t sync_extra;
    /* Ping-pong: the BS served before the last completed handover, and when that one completed. */
    uint32_t before;
    uint64_t arrived_at;
};

struct tekho_sim {
    struct tekho_sim_params p;
    uint64_t now;
    uint64_t seq;
    struct sim_rng keys;     /* the roles' random source: TEKs, nonces, BS_Random */
    struct sim_rng attacker; /* forged PDUs */
    struct sim_queue queue;
    struct pn_ledger sealed; /* (TEK fingerprint, direction) -> PNs sealed, for the whole run */
    struct tekho_ms **ms;    /* n_ms */
    struct tekho_bs **bs;    /* n_bs + 1, by node */
    struct tekho_auth *auth;
    struct tekho_memory_store *store;
    /* The Authenticator's persists from the call being applied: the
     * emulator's store is synchronous, each is durable right after it. */
    struct sim_persist {
        struct tekho_auth_record rec;
        uint64_t token;
    } persists[TEKHO_ACTIONS_MAX];
    size_t n_persists;
    struct tekho_neighbour *neighbours;
    struct ms_track *track;
    /* Apart from track: measurements touch only this, 10^4 times a 50 ms
     * period, and a compact array keeps them in cache. */
    struct ms_radio *radio;
    struct tekho_actions *actions;
    struct tekho_sim_stats st;
    /* Interruption samples (ms) and censored handovers, per direction (tekho_sim_direction). */
    double *samples[TEKHO_SIM_DIRECTIONS];
    size_t n_samples[TEKHO_SIM_DIRECTIONS], cap_samples[TEKHO_SIM_DIRECTIONS];
    unsigned long censored[TEKHO_SIM_DIRECTIONS];
    uint16_t *max_n;
    unsigned drop_ho_complete;
    tekho_sim_tap_fn tap;
    void *tap_ctx;
    unsigned reset_pn_in_ho_cnf;
    FILE *trace;
    struct tekho_capture_writer *cap_air, *cap_backbone;
    bool frames_running;
    tekho_err lost_event; /* an event the queue had no room for: the run is no longer the model's */
    unsigned long random_fail; /* TEKHO_OP_RANDOM_FAIL: draws of the roles' source still to fail */
    uint64_t frame_no;
    uint32_t meas_frames;    /* the measurement period in frames (radio mode) */
    double meas_dt_s;        /* the measurement period, s */
    /* Shadowing over one measurement's step: the correlation rho, and
     * sigma sqrt(1 - rho^2), the spread of the new part. */
    double shadow_rho, shadow_innovation_db;
    double shadow_link_sigma_db; /* a link's own shadowing: sigma sqrt(1 - site correlation) */
    /* Drawn in the same order in every scheme's run (air loss, backbone
     * delays and a new link's shadowing are keyed draws: sim_hash). */
    struct sim_rng mobility;     /* positions and waypoints */
    struct sim_rng shadowing;    /* each measurement's shadowing steps */
    struct sim_rng traffic;      /* entry times, packet phases */
    struct sim_normal_table normal;
    double (*cells)[2];      /* positions of the n_bs cells */
    uint32_t (*neigh)[CANDIDATES];
    uint32_t *window;        /* MSs inside a handover window (radio mode) */
    size_t n_window;
    unsigned long window_delivered;
};

static void radio_setup(struct tekho_sim *sim);
static double link_sinr_db(struct tekho_sim *sim, uint32_t ms, uint32_t node);
static double bler_at(const struct tekho_sim_variability *v, double x);
static double exp_draw(double mean, uint64_t h);

void tekho_sim_params_default(struct tekho_sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->scheme = TEKHO_SCHEME_COUNTER;
    p->seed = 1;
    p->n_bs = 2;
    p->n_ms = 1;
    p->frame_us = 5000;
    p->backbone_latency_us = 2000;
    p->backbone_jitter_us = 500;
    p->self_sync_window = 2;
    p->ms_tekgen = true;
    p->pmk_lifetime_s = 28800;
    tekho_timing_default(&p->timing);
    tekho_radio_params_default(&p->radio);
}

void tekho_sim_params_m2134(struct tekho_sim_params *p)
{
    p->timing.sync_us = 0;
    p->timing.ranging_wait_us = 0;
    p->timing.aaa_rtt_us = 0;
    /* ... and what varies in them: the preamble search (and so the missed
     * ranging opportunities it causes) and the AAA's delays. */
    p->var.preamble_search = false;
    p->var.aaa_extra_mean_us = 0;
}

void tekho_sim_variability_default(struct tekho_sim_variability *v)
{
    memset(v, 0, sizeof *v);
    v->enabled = true;
    v->harq_bler = 0.1;
    v->harq_retx_frames = 2;
    v->harq_max_retx = 4;
    v->sinr_min_db = -2.8;
    v->bler_span_db = 2;
    v->interference_load = 1;
    v->noise_dbm = -97;
    v->preamble_search = true;
    v->sync_max_frames = 40;
    v->ranging_code_fail = 0.1;
    v->ranging_backoff_frames = 4;
    v->ranging_max_codes = 16;
    v->aaa_extra_mean_us = 10000;
    v->processing_mean_us = 500;
}

void tekho_sim_params_emulator(struct tekho_sim_params *p)
{
    tekho_sim_params_default(p);
    p->radio.enabled = true;
    p->timing.rng_retransmit_us = 200000; /* T3: 802.16e-2005 Table 342, default and maximum */
    tekho_sim_variability_default(&p->var);
}

void tekho_sim_params_ideal(struct tekho_sim_params *p)
{
    p->var.enabled = false;
    p->backbone_jitter_us = 0;
}

void tekho_radio_params_default(struct tekho_radio_params *r)
{
    memset(r, 0, sizeof *r);
    r->isd_m = 1000;
    r->speed_kmh = 50;
    r->hysteresis_db = 3;
    r->ttt_ms = 160;
    r->meas_period_ms = 50;
    r->shadow_sigma_db = 6;
    r->shadow_corr_m = 50;
    r->dl_ratio = 0.6;
    r->voip_interval_ms = 20;
    r->meas_alpha = 0.25;
    r->shadow_site_corr = 0.5;
    r->pingpong_ms = 1000;
    r->cp_us = 91.428571 / 8;
    r->delay_spread_us = 2.51;
}

/* The roles' random source (TEKs, nonces, BS_Random, transaction starts). */
static tekho_err role_random(void *ctx, uint8_t *out, size_t n)
{
    struct tekho_sim *sim = ctx;
    if (sim->random_fail != 0) {
        sim->random_fail--;
        return TEKHO_ERR_CRYPTO;
    }
    rng_bytes(&sim->keys, out, n);
    return TEKHO_OK;
}

static void bsid_of(uint32_t node, uint8_t bsid[6])
{
    memset(bsid, 0, 6);
    bsid[4] = (uint8_t)(node >> 8);
    bsid[5] = (uint8_t)node;
}

static void msk_of(uint64_t seed, uint32_t index, uint8_t msk[64])
{
    uint64_t x = seed ^ ((uint64_t)index << 32) ^ 0x4d534b;
    for (int i = 0; i < 64; i += 8) {
        uint64_t v = tekho_sim_splitmix(&x);
        memcpy(msk + i, &v, 8);
    }
}

static void after_role(struct tekho_sim *sim, uint32_t owner, tekho_err err);

tekho_err tekho_sim_new(const struct tekho_sim_params *p, struct tekho_sim **out)
{
    if (p == NULL || out == NULL || p->n_bs == 0 || p->n_bs > TEKHO_SIM_MAX_BS || p->n_ms == 0 ||
        p->n_ms > TEKHO_SIM_MAX_MS || p->frame_us == 0 || p->scheme >= TEKHO_SCHEME_COUNT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_sim *sim = calloc(1, sizeof *sim);
    if (sim == NULL)
        return TEKHO_ERR_NO_MEMORY;
    sim->p = *p;
    sim->actions = calloc(1, sizeof *sim->actions);
    sim->ms = calloc(p->n_ms, sizeof *sim->ms);
    sim->bs = calloc(p->n_bs + 1, sizeof *sim->bs);
    sim->neighbours = calloc(p->n_bs, sizeof *sim->neighbours);
    sim->track = calloc(p->n_ms, sizeof *sim->track);
    sim->radio = calloc(p->n_ms, sizeof *sim->radio);
    sim->max_n = calloc(p->n_ms, sizeof *sim->max_n);
    if (p->radio.enabled) {
        sim->cells = calloc(p->n_bs, sizeof *sim->cells);
        sim->neigh = calloc(p->n_bs, sizeof *sim->neigh);
        sim->window = calloc(p->n_ms, sizeof *sim->window);
    }
    if (!sim->actions || !sim->ms || !sim->bs || !sim->neighbours || !sim->track || !sim->radio || !sim->max_n ||
        (p->radio.enabled && (!sim->cells || !sim->neigh || !sim->window))) {
        tekho_sim_free(sim);
        return TEKHO_ERR_NO_MEMORY;
    }
    /* A source per purpose: every scheme's run sees the same moves, radio and losses. */
    tekho_sim_rng_stream(&sim->mobility, p->seed, SIM_PURPOSE_MOBILITY, 0);
    tekho_sim_rng_stream(&sim->shadowing, p->seed, SIM_PURPOSE_SHADOWING, 0);
    tekho_sim_rng_stream(&sim->traffic, p->seed, SIM_PURPOSE_TRAFFIC, 0);
    tekho_sim_rng_stream(&sim->keys, p->seed, SIM_PURPOSE_KEYS, 0);
    tekho_sim_rng_stream(&sim->attacker, p->seed, SIM_PURPOSE_ATTACKER, 0);
    tekho_sim_normal_table_init(&sim->normal);
    sim->p = *p;
    const struct tekho_random random = {.ctx = sim, .fill = role_random};
    tekho_err err = tekho_memory_store_new(p->n_ms, &sim->store);
    struct tekho_auth_config ac = {.pmk_lifetime_s = p->pmk_lifetime_s, .max_ms = p->n_ms, .max_bs = p->n_bs,
                                   .timing = p->timing, .first_count = p->first_count};
    if (err == TEKHO_OK) {
        ac.store = tekho_memory_store_ops(sim->store);
        err = tekho_auth_new(&ac, &sim->auth);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= p->n_bs; node++) {
        sim->neighbours[node - 1].node = node;
        bsid_of(node, sim->neighbours[node - 1].bsid);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= p->n_bs; node++) {
        struct tekho_bs_config bc = {.node = node, .scheme = p->scheme,
                                     .tekgen_capable = !(p->bs_no_tekgen_mask & (1u << (node - 1))),
                                     .tekgen_required = (p->bs_tekgen_required_mask >> (node - 1)) & 1u,
                                     .self_sync_window = p->self_sync_window, .self_sync_budget = 64,
                                     .max_ms = p->n_ms,
                                     .max_cached_per_ms = p->bs_cache_per_ms ? p->bs_cache_per_ms : 4,
                                     .pmk_lifetime_s = p->pmk_lifetime_s,
                                     .pn_window = 0, .timing = p->timing, .random = random,
                                     .neighbours = sim->neighbours, .n_neighbours = p->n_bs};
        bsid_of(node, bc.bsid);
        err = tekho_bs_new(&bc, &sim->bs[node]);
        if (err == TEKHO_OK)
            err = tekho_auth_add_bs(sim->auth, node, bc.bsid);
    }
    for (uint32_t i = 0; err == TEKHO_OK && i < p->n_ms; i++) {
        struct tekho_ms_config mc = {.index = i, .pmk_sn = 0, .pmk_lifetime_s = p->pmk_lifetime_s,
                                     .scheme = p->scheme, .tekgen_capable = p->ms_tekgen,
                                     .said = tekho_ms_basic_cid(i), .pn_window = 0, .timing = p->timing,
                                     .random = random, .first_count = p->first_count};
        tekho_ms_mac_of_index(i, mc.mac);
        msk_of(p->seed, i, mc.msk);
        err = tekho_ms_new(&mc, &sim->ms[i]);
        if (err == TEKHO_OK) {
            tekho_actions_reset(sim->actions);
            err = tekho_auth_add_ms(sim->auth, i, mc.mac, mc.msk, 0, sim->actions);
            if (err == TEKHO_OK)
                after_role(sim, OWNER(OWNER_AUTH, 0), err); /* its persist, durable at once */
        }
        OPENSSL_cleanse(mc.msk, sizeof mc.msk);
    }
    if (err != TEKHO_OK) {
        tekho_sim_free(sim);
        return err;
    }
    if (p->radio.enabled)
        radio_setup(sim);
    *out = sim;
    return TEKHO_OK;
}

static void free_recorded(struct recorded *r)
{
    for (size_t i = 0; r != NULL && i < r->n; i++)
        free(r->pdu[i]);
    free(r);
}

void tekho_sim_free(struct tekho_sim *sim)
{
    if (sim == NULL)
        return;
    tekho_sim_queue_free(&sim->queue);
    for (uint32_t i = 0; sim->ms && sim->track && i < sim->p.n_ms; i++) {
        tekho_ms_free(sim->ms[i]);
        free_recorded(sim->track[i].data);
        free_recorded(sim->track[i].rng);
    }
    for (uint32_t n = 0; sim->bs && n <= sim->p.n_bs; n++)
        tekho_bs_free(sim->bs[n]);
    free(sim->ms);
    free(sim->bs);
    free(sim->neighbours);
    free(sim->track);
    free(sim->radio);
    free(sim->max_n);
    free(sim->cells);
    free(sim->neigh);
    free(sim->window);
    tekho_auth_free(sim->auth);
    tekho_memory_store_free(sim->store);
    tekho_pn_ledger_free(&sim->sealed);
    tekho_capture_close(sim->cap_air);
    tekho_capture_close(sim->cap_backbone);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++)
        free(sim->samples[d]);
    if (sim->actions != NULL)
        OPENSSL_clear_free(sim->actions, sizeof *sim->actions);
    free(sim);
}

struct tekho_ms *tekho_sim_ms(struct tekho_sim *sim, uint32_t index)
{
    return index < sim->p.n_ms ? sim->ms[index] : NULL;
}

struct tekho_bs *tekho_sim_bs(struct tekho_sim *sim, uint32_t node)
{
    return node >= 1 && node <= sim->p.n_bs ? sim->bs[node] : NULL;
}

tekho_err tekho_sim_ms_msk(const struct tekho_sim *sim, uint32_t index, uint8_t msk[64])
{
    if (sim == NULL || msk == NULL || index >= sim->p.n_ms)
        return TEKHO_ERR_INVALID_ARGUMENT;
    msk_of(sim->p.seed, index, msk);
    return TEKHO_OK;
}

struct tekho_auth *tekho_sim_auth(struct tekho_sim *sim)
{
    return sim->auth;
}

void tekho_sim_trace(struct tekho_sim *sim, FILE *to)
{
    sim->trace = to;
}

tekho_err tekho_sim_pcap(struct tekho_sim *sim, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/air.pcap", dir);
    tekho_err err = tekho_capture_open(path, TEKHO_CAPTURE_AIR, &sim->cap_air);
    if (err == TEKHO_OK) {
        snprintf(path, sizeof path, "%s/backbone.pcap", dir);
        err = tekho_capture_open(path, TEKHO_CAPTURE_BACKBONE, &sim->cap_backbone);
    }
    return err;
}

static tekho_err push(struct tekho_sim *sim, uint64_t t, enum ev_kind kind, uint32_t a, uint32_t b, uint32_t c,
                      const uint8_t *bytes, size_t len, bool injected)
{
    const struct sim_event head = {.t = t, .seq = sim->seq++, .kind = kind, .a = a, .b = b, .c = c,
                                   .injected = injected};
    if (tekho_sim_queue_push_message(&sim->queue, &head, bytes, len))
        return TEKHO_OK;
    /* Callers inside the run go on; tekho_sim_run reports it (L9). */
    sim->lost_event = TEKHO_ERR_NO_MEMORY;
    return TEKHO_ERR_NO_MEMORY;
}

void tekho_sim_set_tap(struct tekho_sim *sim, tekho_sim_tap_fn fn, void *ctx)
{
    sim->tap = fn;
    sim->tap_ctx = ctx;
}

uint64_t tekho_sim_now(const struct tekho_sim *sim)
{
    return sim->now;
}

tekho_err tekho_sim_inject(struct tekho_sim *sim, uint64_t at_us, enum tekho_sim_link link, uint32_t from,
                           uint32_t to, const uint8_t *bytes, size_t len)
{
    if (sim == NULL || (bytes == NULL && len != 0) || at_us < sim->now)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const uint32_t n_bs = sim->p.n_bs, n_ms = sim->p.n_ms;
    switch (link) {
    case TEKHO_SIM_AIR_UL:
        if (from >= n_ms || to < 1 || to > n_bs)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return push(sim, at_us, EV_AIR_TO_BS, to, from, 0, bytes, len, true);
    case TEKHO_SIM_AIR_DL:
        if (to >= n_ms || from < 1 || from > n_bs)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return push(sim, at_us, EV_AIR_TO_MS, to, from, 0, bytes, len, true);
    case TEKHO_SIM_BACKBONE:
        if (from > n_bs || to > n_bs || from == to)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return push(sim, at_us, EV_BACKBONE, to, from, 0, bytes, len, true);
    }
    return TEKHO_ERR_INVALID_ARGUMENT;
}

tekho_err tekho_sim_at(struct tekho_sim *sim, uint64_t at_us, enum tekho_sim_op op, uint32_t a, uint32_t b,
                       uint32_t c)
{
    if (sim == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* Every index is checked here, once, so the run can trust them. */
    const bool needs_ms = op != TEKHO_OP_AUTH_RESTART && op != TEKHO_OP_DROP_HO_COMPLETE && op != TEKHO_OP_AIR_LOSS &&
                          op != TEKHO_OP_RESET_PN_IN_HO_CNF && op != TEKHO_OP_RANDOM_FAIL;
    const bool needs_bs = op == TEKHO_OP_ENTER || op == TEKHO_OP_HANDOVER || op == TEKHO_OP_REPLAY_RNG_REQ ||
                          op == TEKHO_OP_FORGE;
    if (op > TEKHO_OP_RANDOM_FAIL || (needs_ms && a >= sim->p.n_ms) || (needs_bs && (b < 1 || b > sim->p.n_bs)) ||
        (op == TEKHO_OP_AIR_LOSS && a > 1000))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct sim_event ev = {.t = at_us, .seq = sim->seq++, .kind = EV_SCRIPT, .a = op, .b = a, .c = b, .d = c};
    return tekho_sim_queue_push(&sim->queue, &ev) ? TEKHO_OK : TEKHO_ERR_NO_MEMORY;
}

/* ---- links ----------------------------------------------------------------------------------- */

/* Air PDUs go out in the next TDD frame: downlink by the end of its DL
 * subframe, uplink by the end of its UL subframe. */
static uint64_t air_arrival(const struct tekho_sim *sim, uint64_t t, bool uplink)
{
    const uint64_t f = sim->p.frame_us;
    const double dl = sim->p.radio.enabled ? sim->p.radio.dl_ratio : 0.5;
    return (t / f + 1) * f + (uplink ? f : (uint64_t)((double)f * dl));
}

static const char *pdu_name(const uint8_t *pdu, size_t len)
{
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(pdu, len, &gmh) != TEKHO_OK)
        return "?";
    if (gmh.cid > TEKHO_MGMT_CID_MAX)
        return "Data";
    /* PKM messages by their code: the trace and the report's charts tell
     * an SA-TEK-Response from a Key-Reply. */
    if (len > TEKHO_GMH_LEN + 1 &&
        (pdu[TEKHO_GMH_LEN] == TEKHO_MGMT_PKM_REQ || pdu[TEKHO_GMH_LEN] == TEKHO_MGMT_PKM_RSP)) {
        switch (pdu[TEKHO_GMH_LEN + 1]) {
        case TEKHO_PKM_EAP_TRANSFER: return "PKMv2-EAP-Transfer";
        case TEKHO_PKM_SA_TEK_CHALLENGE: return "PKMv2-SA-TEK-Challenge";
        case TEKHO_PKM_SA_TEK_REQUEST: return "PKMv2-SA-TEK-Request";
        case TEKHO_PKM_SA_TEK_RESPONSE: return "PKMv2-SA-TEK-Response";
        case TEKHO_PKM_KEY_REQUEST: return "PKMv2-Key-Request";
        case TEKHO_PKM_KEY_REPLY: return "PKMv2-Key-Reply";
        case TEKHO_PKM_TEK_INVALID: return "PKMv2-TEK-Invalid";
        default: break;
        }
    }
    const char *n = len > TEKHO_GMH_LEN ? tekho_mgmt_name(pdu[TEKHO_GMH_LEN]) : NULL;
    return n ? n : "MGMT";
}

static bool is_mgmt(const uint8_t *pdu, size_t len)
{
    struct tekho_gmh gmh;
    return tekho_gmh_decode(pdu, len, &gmh) == TEKHO_OK && gmh.cid <= TEKHO_MGMT_CID_MAX;
}

static void record(struct recorded **where, const uint8_t *pdu, size_t len, uint32_t node, bool uplink)
{
    if (*where == NULL && (*where = calloc(1, sizeof **where)) == NULL)
        return;
    struct recorded *r = *where;
    if (r->n == RECORD_MAX) {
        free(r->pdu[0]);
        memmove(r->pdu, r->pdu + 1, (RECORD_MAX - 1) * sizeof r->pdu[0]);
        memmove(r->len, r->len + 1, (RECORD_MAX - 1) * sizeof r->len[0]);
        memmove(r->node, r->node + 1, (RECORD_MAX - 1) * sizeof r->node[0]);
        memmove(r->uplink, r->uplink + 1, (RECORD_MAX - 1) * sizeof r->uplink[0]);
        r->n--;
    }
    uint8_t *copy = malloc(len);
    if (copy == NULL)
        return;
    memcpy(copy, pdu, len);
    r->pdu[r->n] = copy;
    r->len[r->n] = len;
    r->node[r->n] = node;
    r->uplink[r->n] = uplink;
    r->n++;
}

/* What the air does with a PDU sent now: -1, lost; else the frames by
 * which HARQ delayed it (0: the first transmission got through). Keyed
 * draws of (MS, BS, direction, the frame it goes out in, data or
 * management, its rank among the MS's PDUs of that class and direction in
 * the frame), so every scheme that sends there and then meets the same
 * channel: first air_loss (a loss HARQ does not see: the scenarios' and
 * --air-loss), then each HARQ attempt (tekho_sim_variability). */
static int air_fate(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, bool mgmt, uint64_t *key_a,
                    uint64_t *key_b)
{
    struct ms_track *tr = &sim->track[ms];
    const uint64_t frame = sim->now / sim->p.frame_us + 1; /* as air_arrival */
    const int d = uplink, c = mgmt;
    if (tr->air_frame[d][c] != frame) {
        tr->air_frame[d][c] = frame;
        tr->air_k[d][c] = 0;
    }
    const uint64_t k = tr->air_k[d][c]++;
    const uint64_t a = (uint64_t)ms << 32 | node;
    const uint64_t b = frame << 16 | (uint64_t)d << 15 | (uint64_t)c << 14 | (k & 0x3FFFu);
    *key_a = a;
    *key_b = b;
    if (sim->p.air_loss > 0 && sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_AIR_LOSS, a, b)) < sim->p.air_loss)
        return -1;
    const struct tekho_sim_variability *v = &sim->p.var;
    if (!v->enabled || !(v->harq_bler > 0))
        return 0;
    const double sinr = link_sinr_db(sim, ms, node);
    const double below = sinr < v->sinr_min_db ? sinr - v->sinr_min_db : 0;
    for (unsigned j = 0; j <= v->harq_max_retx; j++) {
        /* Chase combining: the j-th retransmission is decoded at the SINR of j + 1 copies. */
        const double gain = j ? 10.0 * sim_log10((double)(j + 1)) : 0;
        if (sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_HARQ, a, b | (uint64_t)j << 58)) >=
            bler_at(v, below + gain))
            return (int)(j * v->harq_retx_frames);
        if (j < v->harq_max_retx)
            sim->st.harq_retransmissions++;
    }
    sim->st.harq_lost++;
    return -1;
}

/* A management message's processing at its receiver (variability):
 * an exponential draw keyed like the message's loss. */
static uint64_t processing_us(const struct tekho_sim *sim, uint64_t key_a, uint64_t key_b)
{
    const struct tekho_sim_variability *v = &sim->p.var;
    if (!v->enabled || !(v->processing_mean_us > 0))
        return 0;
    return (uint64_t)exp_draw(v->processing_mean_us, tekho_sim_hash(sim->p.seed, SIM_PURPOSE_PROCESSING, key_a, key_b));
}

/* Signalling a handover causes, apart from network entry and TEK refresh
 * (which every scheme does alike): on the air, every management message
 * about an MS between its MOB_MSHO-REQ and its being operational again
 * (re-authentication and key exchange at the target included), and any
 * MOB_* message; on the backbone, every HO_* message, count update and EAP
 * relay, and the context transfers of an MS in a handover. */
static bool air_ho_signalling(const struct tekho_sim *sim, uint32_t ms, const uint8_t *pdu, size_t len)
{
    if (sim->track[ms].ho_signalling)
        return true;
    const uint8_t type = len > TEKHO_GMH_LEN ? pdu[TEKHO_GMH_LEN] : 0;
    return type == TEKHO_MGMT_MOB_MSHO_REQ || type == TEKHO_MGMT_MOB_BSHO_RSP || type == TEKHO_MGMT_MOB_HO_IND;
}

static bool backbone_ho_signalling(const struct tekho_sim *sim, const uint8_t *msg, size_t len)
{
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    uint32_t ms = 0;
    if (tekho_asncp_peek(msg, len, &type, msid) != TEKHO_OK)
        return false;
    switch (type) {
    case TEKHO_ASNCP_CONTEXT_REQ:
    case TEKHO_ASNCP_CONTEXT_RPT:
    case TEKHO_ASNCP_CONTEXT_ACK:
        return tekho_ms_index_of_mac(msid, &ms) && ms < sim->p.n_ms && sim->track[ms].ho_signalling;
    default: return true; /* HO_*, CMAC_Key_Count_Update(_ACK), AR_EAP_Transfer */
    }
}

static void send_air(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu, size_t len)
{
    /* Named only for those who look: the attacker and the trace. */
    const char *name = sim->p.attacker || sim->trace ? pdu_name(pdu, len) : "";
    const bool mgmt = is_mgmt(pdu, len);
    if (mgmt) {
        sim->st.air_messages++;
        sim->st.air_bytes += len;
        if (air_ho_signalling(sim, ms, pdu, len)) {
            sim->st.ho_air_messages++;
            sim->st.ho_air_bytes += len;
        }
    }
    /* The attacker on the air hears everything. */
    struct ms_track *tr = &sim->track[ms];
    if (sim->p.attacker && strcmp(name, "Data") == 0)
        record(&tr->data, pdu, len, node, uplink);
    else if (sim->p.attacker && strcmp(name, "RNG-REQ") == 0)
        record(&tr->rng, pdu, len, node, uplink);
    if (sim->cap_air && tekho_capture_write_air(sim->cap_air, sim->now, pdu, len) != TEKHO_OK)
        sim->st.io_errors++;
    if (sim->tap)
        sim->tap(sim->tap_ctx, sim, sim->now, uplink ? TEKHO_SIM_AIR_UL : TEKHO_SIM_AIR_DL, uplink ? ms : node,
                 uplink ? node : ms, pdu, len);
    uint64_t key_a = 0, key_b = 0;
    const int harq_frames = air_fate(sim, uplink, ms, node, mgmt, &key_a, &key_b);
    const bool lost = harq_frames < 0;
    if (sim->trace)
        fprintf(sim->trace, "%10.3f air %s ms%u %s bs%u %s %zuB%s\n", sim->now / 1000.0, uplink ? "UL" : "DL", ms,
                uplink ? "->" : "<-", node, name, len, lost ? " LOST" : harq_frames > 0 ? " HARQ" : "");
    if (lost)
        return;
    const uint64_t t = air_arrival(sim, sim->now, uplink) + (uint64_t)harq_frames * sim->p.frame_us +
                       (mgmt ? processing_us(sim, key_a, key_b) : 0);
    if (uplink)
        (void)push(sim, t, EV_AIR_TO_BS, node, ms, 0, pdu, len, false);
    else
        (void)push(sim, t, EV_AIR_TO_MS, ms, node, 0, pdu, len, false);
}

static void send_backbone(struct tekho_sim *sim, uint32_t from, uint32_t to, const uint8_t *msg, size_t len)
{
    sim->st.backbone_messages++;
    sim->st.backbone_bytes += len;
    if (backbone_ho_signalling(sim, msg, len)) {
        sim->st.ho_backbone_messages++;
        sim->st.ho_backbone_bytes += len;
    }
    /* Decoded only when something here needs the message: a trace, or a fault to inject. */
    struct tekho_asncp m;
    const bool decoded = (sim->trace || sim->drop_ho_complete || sim->reset_pn_in_ho_cnf) &&
                         tekho_asncp_decode(msg, len, &m) == TEKHO_OK;
    const char *name = decoded ? tekho_asncp_name(m.msg) : "ASN-CP?";
    /* Delay and loss are keyed draws of (link, MS, message type, send
     * time): the same message at the same time meets the same backbone in
     * every scheme's run. */
    uint64_t key_a = (uint64_t)from << 48 | (uint64_t)to << 32 | 0xFFFFFFFFu, key_b = sim->now << 8;
    if (sim->p.backbone_loss > 0 || sim->p.backbone_jitter_us || sim->p.var.enabled) {
        enum tekho_asncp_msg type;
        uint8_t msid[6];
        uint32_t about = 0;
        if (tekho_asncp_peek(msg, len, &type, msid) == TEKHO_OK) {
            key_b |= (uint64_t)type & 0xFFu;
            if (tekho_ms_index_of_mac(msid, &about))
                key_a = (uint64_t)from << 48 | (uint64_t)to << 32 | about;
        }
    }
    bool lost = sim->p.backbone_loss > 0 &&
                sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_BACKBONE, key_a, key_b)) < sim->p.backbone_loss;
    if (!lost && sim->drop_ho_complete && to == TEKHO_NODE_AUTHENTICATOR && decoded &&
        m.msg == TEKHO_ASNCP_HO_COMPLETE) {
        sim->drop_ho_complete--;
        lost = true;
    }
    uint8_t faulty[TEKHO_ASNCP_MAX_LEN];
    size_t faulty_len = 0;
    if (sim->reset_pn_in_ho_cnf && decoded && m.msg == TEKHO_ASNCP_HO_CNF && m.n_sa > 0) {
        m.sa[0].older.pn_counter = m.sa[0].newer.pn_counter = 0;
        m.sa[0].older.rxpn_counter = m.sa[0].newer.rxpn_counter = 0;
        if (tekho_asncp_encode(&m, faulty, sizeof faulty, &faulty_len) == TEKHO_OK) {
            sim->reset_pn_in_ho_cnf--;
            msg = faulty;
            len = faulty_len;
        }
    }
    if (decoded)
        tekho_asncp_wipe(&m);
    if (sim->tap)
        sim->tap(sim->tap_ctx, sim, sim->now, TEKHO_SIM_BACKBONE, from, to, msg, len);
    if (sim->cap_backbone &&
        tekho_capture_write_backbone(sim->cap_backbone, sim->now, from + 1, to + 1, msg, len) != TEKHO_OK)
        sim->st.io_errors++;
    if (sim->trace)
        fprintf(sim->trace, "%10.3f backbone %s%u -> %s%u %s %zuB%s\n", sim->now / 1000.0, from ? "bs" : "auth",
                from, to ? "bs" : "auth", to, name, len, lost ? " LOST" : "");
    if (!lost) {
        const uint64_t jitter = sim->p.backbone_jitter_us ? tekho_sim_hash(sim->p.seed, SIM_PURPOSE_BACKBONE, key_a,
                                                                           key_b | (uint64_t)1 << 63) %
                                                                (sim->p.backbone_jitter_us + 1)
                                                          : 0;
        const uint64_t processing = processing_us(sim, key_a, key_b | (uint64_t)1 << 62);
        (void)push(sim, sim->now + sim->p.backbone_latency_us + jitter + processing, EV_BACKBONE, to, from, 0, msg,
                   len, false);
    }
    OPENSSL_cleanse(faulty, faulty_len); /* it carries TEKs */
}

/* ---- measurements ----------------------------------------------------------------------------- */

#define PAYLOAD_LEN 48
static const uint8_t MAGIC[4] = {'T', 'K', 'H', 'O'};

static void payload_for(uint32_t ms, int dir, uint32_t seq, uint8_t out[PAYLOAD_LEN])
{
    memset(out, 0, PAYLOAD_LEN);
    memcpy(out, MAGIC, 4);
    out[4] = (uint8_t)(ms >> 24);
    out[5] = (uint8_t)(ms >> 16);
    out[6] = (uint8_t)(ms >> 8);
    out[7] = (uint8_t)ms;
    out[8] = (uint8_t)dir;
    out[9] = (uint8_t)(seq >> 24);
    out[10] = (uint8_t)(seq >> 16);
    out[11] = (uint8_t)(seq >> 8);
    out[12] = (uint8_t)seq;
}

static void add_sample(struct tekho_sim *sim, int d, double ms)
{
    if (sim->n_samples[d] == sim->cap_samples[d]) {
        size_t cap = sim->cap_samples[d] ? sim->cap_samples[d] * 2 : 64;
        double *s = realloc(sim->samples[d], cap * sizeof *s);
        if (s == NULL) {
            sim->st.io_errors++; /* a sample lost: the statistics would be wrong */
            return;
        }
        sim->samples[d] = s;
        sim->cap_samples[d] = cap;
    }
    sim->samples[d][sim->n_samples[d]++] = ms;
}

/* The interruption under measurement ends without resuming: each
 * direction that did not resume, and so the union, is censored. */
static void censor(struct tekho_sim *sim, struct ms_track *tr)
{
    if (!tr->left)
        return;
    for (int d = 0; d < 2; d++)
        sim->censored[d] += !tr->resumed[d];
    sim->censored[TEKHO_SIM_UNION]++;
    tr->left = false;
}

/* The MS left its serving BS: t0 of this handover's interruption. */
static void left_serving(struct tekho_sim *sim, struct ms_track *tr)
{
    censor(sim, tr); /* the last one never resumed (a new handover cannot begin before, but be sure) */
    sim->st.executed++;
    tr->left = true;
    tr->t0 = sim->now;
    tr->resumed[0] = tr->resumed[1] = false;
}

/* A user PDU delivered in direction dir (0 UL at the BS, 1 DL at the MS)
 * through `node`: the first through the target since t0 ends that
 * direction's interruption. */
static void measure_resumed(struct tekho_sim *sim, struct ms_track *tr, int dir, uint32_t node)
{
    if (!tr->left || node != tr->target || tr->resumed[dir])
        return;
    tr->resumed[dir] = true;
    tr->resumed_at[dir] = sim->now;
    add_sample(sim, dir, (double)(sim->now - tr->t0) / 1000.0);
    if (tr->resumed[1 - dir]) {
        const uint64_t both = tr->resumed_at[0] > tr->resumed_at[1] ? tr->resumed_at[0] : tr->resumed_at[1];
        add_sample(sim, TEKHO_SIM_UNION, (double)(both - tr->t0) / 1000.0);
        tr->left = false;
        tr->ho_active = false;
    }
}

/* A user PDU delivered: the replay and forgery checks, then the interruption. */
static void on_deliver(struct tekho_sim *sim, uint32_t ms, int dir, uint32_t node, const uint8_t *p, size_t len,
                       bool injected)
{
    uint32_t owner, seq;
    if (len != PAYLOAD_LEN || memcmp(p, MAGIC, 4) != 0 || p[8] != dir ||
        (owner = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]) != ms) {
        sim->st.forged_pdus_accepted++;
        return;
    }
    seq = (uint32_t)p[9] << 24 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 8 | p[12];
    (void)injected;
    struct ms_track *tr = &sim->track[ms];
    /* Delivered twice, or so far below the newest that it cannot be a
     * late original: a replay got through. */
    const uint32_t window = 16 * 64;
    uint64_t *seen = tr->seen[dir];
    const bool first = tr->top[dir] == 0 && (seen[0] & 1) == 0;
    if (!first && seq + window <= tr->top[dir]) {
        sim->st.replayed_pdus_accepted++;
        return;
    }
    if (first || seq > tr->top[dir]) {
        const uint32_t from = first ? 0 : tr->top[dir] + 1;
        for (uint32_t s = from; s <= seq && s - from < window; s++)
            seen[(s / 64) % 16] &= ~((uint64_t)1 << (s % 64));
        tr->top[dir] = seq;
    } else if (seen[(seq / 64) % 16] & ((uint64_t)1 << (seq % 64))) {
        sim->st.replayed_pdus_accepted++;
        return;
    }
    seen[(seq / 64) % 16] |= (uint64_t)1 << (seq % 64);
    sim->st.user_pdus_delivered++;
    sim->window_delivered += sim->radio[ms].in_window;
    measure_resumed(sim, tr, dir, node);
}

static void check_keys_match(struct tekho_sim *sim, uint32_t ms)
{
    const uint32_t node = tekho_ms_serving(sim->ms[ms]);
    uint8_t a[2][8], b[2][8];
    if (node == 0 || !tekho_scheme_encrypts(sim->p.scheme))
        return;
    const bool ms_has = tekho_ms_tek_fingerprints(sim->ms[ms], node, a);
    const bool bs_has = tekho_bs_tek_fingerprints(sim->bs[node], ms, b);
    if (ms_has && bs_has && memcmp(a, b, sizeof a) != 0)
        sim->st.tek_mismatch_after_ho++;
}

/* The PN-reuse check: exact for the whole run (pn_ledger.h). A seal the
 * ledger could not record (out of memory, a PN no TEK has) counts as a
 * reuse: the counter has to show there was none. */
void tekho_sim_check_sealed(struct tekho_sim *sim, uint32_t ms, const uint8_t *id, size_t id_len, uint64_t pn)
{
    (void)ms; /* a fingerprint names its TEK in every MS's traffic */
    uint8_t fp_dir[9] = {0};
    memcpy(fp_dir, id, id_len < sizeof fp_dir ? id_len : sizeof fp_dir);
    bool reused = false;
    if (tekho_pn_ledger_note(&sim->sealed, fp_dir, fp_dir[8], pn, &reused) != TEKHO_OK || reused)
        sim->st.pn_reuse++;
}

/* User data before ranging is timed by DL synchronisation alone: it lands
 * in the target's cyclic prefix only within c (prefix - delay spread) / 2
 * of it (tekho_radio_params.cp_us). Counts the handovers that left farther. */
static void early_ul_bound(struct tekho_sim *sim, uint32_t ms)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    const uint32_t target = sim->track[ms].target;
    if (!rp->enabled || target < 1 || target > sim->p.n_bs || !tekho_scheme_early_data(sim->p.scheme))
        return;
    const double bound_m = 299792458.0 * (rp->cp_us - rp->delay_spread_us) * 1e-6 / 2;
    const double dx = sim->cells[target - 1][0] - sim->radio[ms].x, dy = sim->cells[target - 1][1] - sim->radio[ms].y;
    if (dx * dx + dy * dy > bound_m * bound_m)
        sim->st.early_ul_beyond_bound++;
}

static void on_event(struct tekho_sim *sim, uint32_t owner, const struct tekho_action *a)
{
    const bool from_ms = (owner >> 24) == OWNER_MS;
    struct ms_track *tr = &sim->track[a->ms < sim->p.n_ms ? a->ms : 0];
    switch ((enum tekho_event)a->code) {
    case TEKHO_EV_SEALED: tekho_sim_check_sealed(sim, a->ms, a->bytes, a->len, (uint64_t)a->value); break;
    case TEKHO_EV_HO_STARTED:
        if (from_ms) {
            sim->st.attempted++;
            censor(sim, tr); /* the last handover never resumed a direction before this one began */
            tr->ho_active = true;
            tr->ho_signalling = true;
            tr->target = (uint32_t)a->value;
        }
        break;
    case TEKHO_EV_HO_LEFT:
        if (from_ms) {
            left_serving(sim, tr);
            early_ul_bound(sim, a->ms);
        }
        break;
    case TEKHO_EV_HO_COMPLETED:
        if (from_ms) {
            sim->st.completed++;
            const uint32_t to = (uint32_t)a->value;
            /* Back to the BS it left, less than pingpong_ms after arriving where it went. */
            if (tr->before == to && tr->before != 0 &&
                (double)(sim->now - tr->arrived_at) < sim->p.radio.pingpong_ms * 1000.0)
                sim->st.pingpong++;
            tr->before = tr->serving;
            tr->arrived_at = sim->now;
            tr->serving = to;
            check_keys_match(sim, a->ms);
        }
        break;
    case TEKHO_EV_HO_CANCELLED:
        if (from_ms) {
            sim->st.cancelled++;
            tr->ho_active = false;
        }
        break;
    case TEKHO_EV_HO_FAILED:
        if (from_ms) {
            sim->st.failed++;
            censor(sim, tr);
            tr->ho_active = false;
        }
        break;
    case TEKHO_EV_SELF_SYNC: sim->st.self_sync_success++; break;
    case TEKHO_EV_RESYNC_RNG_REQ: sim->st.resync_by_rng_req++; break;
    case TEKHO_EV_RELEASED:
        sim->st.connections_released++;
        if (from_ms) {
            censor(sim, tr);
            tr->ho_active = false;
        }
        break;
    case TEKHO_EV_PDU_DISCARDED: sim->st.pdus_discarded++; break;
    case TEKHO_EV_TEK_BYTES_OVER_AIR:
        /* Counted once, at the sender of the TEKs (the BS). */
        if (!from_ms)
            sim->st.tek_bytes_over_air += (unsigned long)a->value;
        break;
    case TEKHO_EV_TEK_BYTES_OVER_BACKBONE:
        if (!from_ms)
            sim->st.tek_bytes_over_backbone += (unsigned long)a->value;
        break;
    case TEKHO_EV_KEYS_INSTALLED:
        /* A stale count never yields keys: a counter context below N is a violation. */
        if (!from_ms && a->value > 0 && sim->p.scheme == TEKHO_SCHEME_COUNTER) {
            uint8_t mac[6];
            tekho_ms_mac_of_index(a->ms, mac);
            if ((uint16_t)a->value < tekho_auth_count(sim->auth, mac))
                sim->st.stale_count_keys++;
        }
        break;
    case TEKHO_EV_NEW_PMK:
        /* A new PMK starts M and N again: the monotonic checks restart. */
        if (a->ms < sim->p.n_ms) {
            if (from_ms)
                tr->max_m = 0;
            else
                sim->max_n[a->ms] = (uint16_t)a->value;
        }
        break;
    case TEKHO_EV_COUNT_UPDATED:
        if (a->ms < sim->p.n_ms) {
            if ((uint16_t)a->value < sim->max_n[a->ms])
                sim->st.n_decreased++;
            sim->max_n[a->ms] = (uint16_t)a->value;
        }
        break;
    default: break;
    }
    if (sim->trace)
        fprintf(sim->trace, "%10.3f event %s%u %s %lld\n", sim->now / 1000.0,
                from_ms ? "ms" : ((owner >> 24) == OWNER_BS ? "bs" : "auth"), owner & 0xFFFFFF,
                tekho_event_name((enum tekho_event)a->code), (long long)a->value);
}

/* The physical layer and the core network time some of the roles' timers
 * (roles.h): with the variability on, the preamble search, the ranging
 * opportunity (dedicated, or CDMA contention) and the AAA's round trips
 * are drawn here, keyed by what they are about. */
static uint64_t timer_at(struct tekho_sim *sim, uint32_t owner, uint32_t timer, uint64_t at)
{
    const struct tekho_sim_variability *v = &sim->p.var;
    const uint64_t f = sim->p.frame_us;
    const uint32_t id = owner & 0xFFFFFF;
    if ((owner >> 24) == OWNER_MS && timer == TEKHO_MS_TIMER_SYNC) {
        /* Armed at MOB_HO-IND: the frames whose preamble and DL-MAP fail to decode add up. */
        struct ms_track *tr = &sim->track[id];
        tr->ho_frame = sim->now / f;
        tr->sync_extra = 0;
        if (!v->preamble_search)
            return at;
        const double fail = bler_at(v, link_sinr_db(sim, id, tr->target) - v->sinr_min_db);
        const uint64_t key = (uint64_t)id << 32 | tr->target;
        while (tr->sync_extra < v->sync_max_frames &&
               sim_unit_of(tekho_sim_hash(sim->p.seed, SIM_PURPOSE_SYNC, key, tr->ho_frame << 8 | tr->sync_extra)) <
                   fail)
            tr->sync_extra++;
        sim->st.sync_extra_frames += tr->sync_extra;
        return at + tr->sync_extra * f;
    }
    if ((owner >> 24) == OWNER_MS && timer == TEKHO_MS_TIMER_RANGING) {
        /* Synchronised: in time for the dedicated opportunity, or late and contending. */
        struct ms_track *tr = &sim->track[id];
        if (tr->sync_extra == 0)
            return at;
        sim->st.ranging_contended++;
        const uint64_t key = (uint64_t)id << 32 | tr->target;
        uint64_t t = at;
        for (unsigned j = 0; j + 1 < v->ranging_max_codes; j++) {
            const uint64_t h = tekho_sim_hash(sim->p.seed, SIM_PURPOSE_RANGING, key, tr->ho_frame << 8 | j);
            if (!(sim_unit_of(h) < v->ranging_code_fail))
                break;
            sim->st.ranging_codes_failed++;
            const uint64_t backoff = v->ranging_backoff_frames ? (h >> 7) % v->ranging_backoff_frames : 0;
            t += sim->p.timing.rng_retransmit_us + backoff * f;
        }
        return t + f; /* the code answered, the RNG-REQ goes in the allocation a frame later */
    }
    if ((owner >> 24) == OWNER_AUTH && TEKHO_AUTH_TIMER_KIND(timer) == TEKHO_AUTH_TIMER_AAA) {
        /* The role asked for as many AAA round trips as the exchange needs
         * at this point (all of them at once, or a share after each EAP
         * response, baseline-full): each one gets its random extra. */
        const uint64_t asked = at > sim->now ? at - sim->now : 0;
        const uint64_t n = sim->p.timing.aaa_rtt_us ? asked / sim->p.timing.aaa_rtt_us : 0;
        uint64_t t = at;
        for (uint64_t i = 0; i < n; i++)
            t += (uint64_t)exp_draw(v->aaa_extra_mean_us,
                                    tekho_sim_hash(sim->p.seed, SIM_PURPOSE_AAA, timer, sim->now << 8 | i));
        return t;
    }
    return at;
}

static void apply(struct tekho_sim *sim, uint32_t owner, struct tekho_actions *acts)
{
    for (size_t i = 0; i < acts->n; i++) {
        const struct tekho_action *a = &acts->list[i];
        switch (a->kind) {
        case TEKHO_ACT_AIR_UL: send_air(sim, true, owner & 0xFFFFFF, a->peer, a->bytes, a->len); break;
        case TEKHO_ACT_AIR_DL: send_air(sim, false, a->ms, owner & 0xFFFFFF, a->bytes, a->len); break;
        case TEKHO_ACT_BACKBONE:
            send_backbone(sim, (owner >> 24) == OWNER_AUTH ? TEKHO_NODE_AUTHENTICATOR : owner & 0xFFFFFF, a->peer,
                                a->bytes, a->len);
            break;
        case TEKHO_ACT_TIMER: {
            const uint64_t at = sim->p.var.enabled ? timer_at(sim, owner, a->timer, a->at_us) : a->at_us;
            const struct sim_event ev = {.t = at, .seq = sim->seq++, .kind = EV_TIMER, .a = owner, .b = a->timer};
            if (!tekho_sim_queue_arm(&sim->queue, timer_key(owner, a->timer), &ev))
                sim->st.role_errors++;
            break;
        }
        case TEKHO_ACT_CANCEL_TIMER: tekho_sim_queue_cancel(&sim->queue, timer_key(owner, a->timer)); break;
        case TEKHO_ACT_DELIVER: {
            const bool at_bs = (owner >> 24) == OWNER_BS;
            on_deliver(sim, a->ms, at_bs ? 0 : 1, at_bs ? owner & 0xFFFFFF : a->peer, a->bytes, a->len, false);
            break;
        }
        case TEKHO_ACT_EVENT: on_event(sim, owner, a); break;
        case TEKHO_ACT_PERSIST:
            if (sim->n_persists < TEKHO_ACTIONS_MAX &&
                tekho_auth_record_decode(a->bytes, a->len, &sim->persists[sim->n_persists].rec) == TEKHO_OK)
                sim->persists[sim->n_persists++].token = (uint64_t)a->value;
            else
                sim->st.role_errors++;
            break;
        }
    }
}

/* The persists of the call just applied, durable at once (the memory
 * store), each reported to the Authenticator as a call of its own. */
static void persist_now(struct tekho_sim *sim)
{
    struct sim_persist batch[TEKHO_ACTIONS_MAX];
    const size_t n = sim->n_persists;
    memcpy(batch, sim->persists, n * sizeof batch[0]);
    OPENSSL_cleanse(sim->persists, n * sizeof batch[0]);
    sim->n_persists = 0;
    const struct tekho_auth_store store = tekho_memory_store_ops(sim->store);
    for (size_t i = 0; i < n; i++) {
        tekho_err result = TEKHO_OK;
        const tekho_err err = store.persist(store.ctx, &batch[i].rec, 1, &result);
        tekho_actions_reset(sim->actions);
        const tekho_err done = tekho_auth_persisted(sim->auth, sim->now, batch[i].rec.ms_mac, batch[i].token,
                                                    err != TEKHO_OK ? err : result, sim->actions);
        after_role(sim, OWNER(OWNER_AUTH, 0), done);
    }
    OPENSSL_cleanse(batch, n * sizeof batch[0]);
}

void tekho_sim_actions_done(struct tekho_actions *a)
{
    if (a->used > 0)
        OPENSSL_cleanse(a->arena, a->used < sizeof a->arena ? a->used : sizeof a->arena);
    tekho_actions_reset(a);
}

void tekho_sim_set_queue_room(struct tekho_sim *sim, size_t room)
{
    sim->queue.limit = room == SIZE_MAX ? 0 : sim->queue.n + sim->queue.n_far + room;
}

const struct tekho_actions *tekho_sim_actions(const struct tekho_sim *sim)
{
    return sim->actions;
}

static void after_role(struct tekho_sim *sim, uint32_t owner, tekho_err err)
{
    if (sim->actions->err != TEKHO_OK)
        sim->st.role_errors++;
    (void)err; /* a refused input (a replay, a stray message) is the role doing its job */
    apply(sim, owner, sim->actions);
    /* Applied: what the arena holds is queued (or dropped) now, and it
     * holds backbone messages with AKs and Key-Replies with TEKs. */
    tekho_sim_actions_done(sim->actions);
    if (sim->n_persists > 0)
        persist_now(sim);
    /* Only an MS changes its own M. */
    if ((owner >> 24) == OWNER_MS) {
        const uint32_t i = owner & 0xFFFFFF;
        const uint16_t m = tekho_ms_count(sim->ms[i]);
        if (m < sim->track[i].max_m)
            sim->st.m_decreased++;
        if (m > sim->track[i].max_m)
            sim->track[i].max_m = m;
        /* Every MS input passes here: keep measurements off the MS's state. */
        sim->radio[i].serving = tekho_ms_serving(sim->ms[i]);
        const enum tekho_ms_state st = tekho_ms_state(sim->ms[i]);
        if (st == TEKHO_MS_OPERATIONAL || st == TEKHO_MS_RELEASED || st == TEKHO_MS_IDLE)
            sim->track[i].ho_signalling = false; /* what it sent on the way counted already */
    }
}


/* ---- the radio model (radio mode) ---------------------------------------------------------- */

/* Axial hex coordinates in spiral order from the centre: ring k has 6k cells. */
static void hex_grid(double (*cells)[2], uint32_t n, double isd)
{
    static const int dirs[6][2] = {{1, 0}, {0, 1}, {-1, 1}, {-1, 0}, {0, -1}, {1, -1}};
    uint32_t k = 0;
    if (n == 0)
        return;
    cells[k][0] = cells[k][1] = 0;
    k++;
    for (int ring = 1; k < n; ring++) {
        int q = dirs[4][0] * ring, r = dirs[4][1] * ring; /* start: ring steps "down-left" */
        for (int side = 0; side < 6 && k < n; side++) {
            for (int step = 0; step < ring && k < n; step++) {
                cells[k][0] = isd * ((double)q + (double)r / 2.0);
                cells[k][1] = isd * ((double)r * 0.8660254037844386);
                k++;
                q += dirs[side][0];
                r += dirs[side][1];
            }
        }
    }
}

/* The serving cell and its (up to six) nearest cells: the only ones an MS
 * measures, as a neighbour list (MOB_NBR-ADV) would name them. */
static void neighbours_of(struct tekho_sim *sim)
{
    const uint32_t n = sim->p.n_bs;
    for (uint32_t c = 0; c < n; c++) {
        sim->neigh[c][0] = c + 1;
        double best_d[CANDIDATES - 1];
        uint32_t best[CANDIDATES - 1] = {0};
        for (int i = 0; i < CANDIDATES - 1; i++)
            best_d[i] = 1e300;
        for (uint32_t o = 0; o < n; o++) {
            if (o == c)
                continue;
            const double dx = sim->cells[o][0] - sim->cells[c][0], dy = sim->cells[o][1] - sim->cells[c][1];
            double d = dx * dx + dy * dy;
            uint32_t node = o + 1;
            for (int i = 0; i < CANDIDATES - 1; i++) {
                if (d < best_d[i]) {
                    const double td = best_d[i];
                    const uint32_t tn = best[i];
                    best_d[i] = d;
                    best[i] = node;
                    d = td;
                    node = tn;
                }
            }
        }
        for (int i = 0; i < CANDIDATES - 1; i++)
            sim->neigh[c][i + 1] = best[i];
    }
}

/* A point anywhere over the grid: a random cell, uniformly within its disc. */
static void random_point(struct tekho_sim *sim, double *x, double *y)
{
    const uint32_t c = (uint32_t)(sim_rng_next(&sim->mobility) % sim->p.n_bs);
    const double a = 6.283185307179586 * sim_rng_unit(&sim->mobility);
    const double rr = sim->p.radio.isd_m / 2 * sqrt(sim_rng_unit(&sim->mobility));
    *x = sim->cells[c][0] + rr * cos(a);
    *y = sim->cells[c][1] + rr * sin(a);
}

static uint32_t nearest_cell(const struct tekho_sim *sim, double x, double y)
{
    uint32_t best = 1;
    double best_d = 1e300;
    for (uint32_t c = 0; c < sim->p.n_bs; c++) {
        const double dx = sim->cells[c][0] - x, dy = sim->cells[c][1] - y, d = dx * dx + dy * dy;
        if (d < best_d) {
            best_d = d;
            best = c + 1;
        }
    }
    return best;
}

static void head_for(struct tekho_sim *sim, struct ms_radio *r)
{
    const double v = sim->p.radio.speed_kmh / 3.6;
    if (sim->p.radio.straight_line && (r->vx != 0 || r->vy != 0))
        return;
    random_point(sim, &r->wx, &r->wy);
    const double dx = r->wx - r->x, dy = r->wy - r->y, d = sqrt(dx * dx + dy * dy) + 1e-9;
    r->vx = v * dx / d;
    r->vy = v * dy / d;
}

/* Received power is 43 dBm transmit, less the macro-cell path loss of
 * 3GPP TR 25.996 (128.1 + 37.6 log10 d[km]), plus shadowing; only
 * differences between cells matter, so the trigger works on the squared
 * distance, m^2, floored at 35 m (37.6 log10 d = 18.8 log10 d^2). */
#define PATH_LOSS_DB_PER_DECADE_OF_D2 18.8
static double distance2(const struct tekho_sim *sim, const struct ms_radio *r, int k)
{
    const uint32_t c = r->cell[k] - 1;
    const double dx = sim->cells[c][0] - r->x, dy = sim->cells[c][1] - r->y, d2 = dx * dx + dy * dy;
    return d2 < 35.0 * 35.0 ? 35.0 * 35.0 : d2;
}

/* Re-centres the candidates on the serving cell. A link still among them
 * keeps its shadowing (it is the same path); a new link draws its own,
 * keyed by the MS and how many new links it has had: when a handover
 * re-centres differs by scheme, and must shift neither this MS's other
 * draws nor anyone else's. */
static void set_candidates(struct tekho_sim *sim, uint32_t ms, uint32_t serving)
{
    struct ms_radio *r = &sim->radio[ms];
    uint32_t cell[CANDIDATES];
    double shadow[CANDIDATES], filtered[CANDIDATES];
    for (int k = 0; k < CANDIDATES; k++) {
        cell[k] = sim->neigh[serving - 1][k];
        int kept = -1;
        for (int j = 0; j < CANDIDATES && kept < 0 && r->around != 0; j++)
            if (r->cell[j] == cell[k] && cell[k] != 0)
                kept = j;
        if (kept >= 0) {
            shadow[k] = r->shadow[kept];
            filtered[k] = r->filtered[kept];
        } else {
            struct sim_rng link;
            tekho_sim_rng_stream(&link, sim->p.seed, SIM_PURPOSE_NEW_LINK, (uint64_t)ms << 32 | r->new_links++);
            shadow[k] = sim->shadow_link_sigma_db * sim_normal(&sim->normal, &link);
            filtered[k] = NAN; /* its filter starts at its first measurement */
        }
    }
    memcpy(r->cell, cell, sizeof cell);
    memcpy(r->shadow, shadow, sizeof shadow);
    memcpy(r->filtered, filtered, sizeof filtered);
    r->around = serving;
    r->best = 0;
    r->sinr_epoch = 0; /* other candidates: other interferers */
}

/* ---- the link model (variability) ------------------------------------------------------- */

/* A candidate's received power, dBm: 43 dBm less the path loss of 3GPP TR
 * 25.996 (128.1 + 37.6 log10 d[km] = 15.3 + 18.8 log10 d[m]^2), plus its
 * shadowing. */
static double link_dbm(const struct tekho_sim *sim, const struct ms_radio *r, int k)
{
    return 43.0 - (15.3 + PATH_LOSS_DB_PER_DECADE_OF_D2 * sim_log10(distance2(sim, r, k))) + r->shadow[k];
}

/* The SINR (dB) of the link between MS ms and BS node: its power over the
 * other candidates' (the first ring) times the load, plus noise; the
 * same both ways (an assumption: UL interference is not modelled apart).
 * Cached for the MS's current measurement. Outside radio mode, or for a
 * node that is not a candidate: INFINITY (link adaptation holds its aim). */
static double link_sinr_db(struct tekho_sim *sim, uint32_t ms, uint32_t node)
{
    if (!sim->p.radio.enabled)
        return INFINITY;
    struct ms_radio *r = &sim->radio[ms];
    int which = -1;
    for (int k = 0; k < CANDIDATES; k++)
        if (r->cell[k] == node && node != 0)
            which = k;
    if (which < 0)
        return INFINITY;
    if (r->sinr_epoch != r->measured + 1) {
        const struct tekho_sim_variability *v = &sim->p.var;
        double mw[CANDIDATES], total = exp(v->noise_dbm * 0.2302585092994046);
        for (int k = 0; k < CANDIDATES; k++) {
            mw[k] = r->cell[k] ? exp(link_dbm(sim, r, k) * 0.2302585092994046) : 0;
            total += v->interference_load * mw[k];
        }
        for (int k = 0; k < CANDIDATES; k++) {
            const double interference = total - v->interference_load * mw[k];
            r->sinr[k] = r->cell[k] ? (float)(10.0 * sim_log10(mw[k] / interference)) : -INFINITY;
        }
        r->sinr_epoch = r->measured + 1;
    }
    return r->sinr[which];
}

/* The block error rate at offset x dB from the point where it is
 * harq_bler (tekho_sim_variability). */
static double bler_at(const struct tekho_sim_variability *v, double x)
{
    if (x == INFINITY)
        return 0;
    const double slope = 4.394449154672439 / v->bler_span_db; /* ln 81 */
    return 1.0 / (1.0 + (1.0 - v->harq_bler) / v->harq_bler * exp(slope * x));
}

/* An exponential draw of the given mean from a hash value. */
static double exp_draw(double mean, uint64_t h)
{
    return mean > 0 ? -mean * log(1.0 - sim_unit_of(h)) : 0;
}

/* VoIP if it is set, else CBR; 0: no packet traffic. */
static uint64_t packet_interval_us(const struct tekho_radio_params *rp)
{
    return (uint64_t)((rp->voip_interval_ms > 0 ? rp->voip_interval_ms : rp->cbr_interval_ms) * 1000);
}

/* Outside handover windows, VoIP/CBR packets are modelled, not sealed: at
 * city scale they would be most of the events, so they are not events at
 * all. The packets due before `upto` (every interval from packet_next) are
 * counted when a window opens and when a run stops, and skipped when a
 * window closes (the frame ticks carried real PDUs meanwhile). */
static void account_packets(struct tekho_sim *sim, struct ms_radio *r, uint64_t upto, bool count)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    const uint64_t interval = packet_interval_us(rp);
    if (rp->crypto_all || interval == 0 || r->packet_next == 0 || upto <= r->packet_next)
        return;
    const uint64_t due = (upto - r->packet_next + interval - 1) / interval;
    if (count)
        sim->st.modelled_pdus += 2 * due;
    r->packet_next += due * interval;
}

static void window_enter(struct tekho_sim *sim, uint32_t ms)
{
    struct ms_radio *r = &sim->radio[ms];
    if (r->in_window)
        return;
    account_packets(sim, r, sim->now, true);
    r->in_window = true;
    r->window_end = 0;
    r->window_start = sim->now;
    sim->window[sim->n_window++] = ms;
}

static void measure(struct tekho_sim *sim, uint32_t ms)
{
    struct ms_radio *r = &sim->radio[ms];
    const struct tekho_radio_params *rp = &sim->p.radio;
    const double dt = sim->meas_dt_s;
    sim->st.measurements++;
    /* Move; at the waypoint (or the edge, going straight) pick a new heading. */
    r->x += r->vx * dt;
    r->y += r->vy * dt;
    const double to_wx = r->wx - r->x, to_wy = r->wy - r->y;
    if (!rp->straight_line && to_wx * r->vx + to_wy * r->vy <= 0)
        head_for(sim, r);
    if (rp->straight_line && nearest_cell(sim, r->x, r->y) != nearest_cell(sim, r->x - r->vx * dt, r->y - r->vy * dt)) {
        /* crossing into another cell is fine; leaving the grid reflects */
        const double ex = r->x, ey = r->y;
        uint32_t c = nearest_cell(sim, ex, ey) - 1;
        const double dx = ex - sim->cells[c][0], dy = ey - sim->cells[c][1];
        if (dx * dx + dy * dy > rp->isd_m * rp->isd_m) {
            r->vx = -r->vx;
            r->vy = -r->vy;
        }
    }
    /* Shadowing decorrelates with distance (Gudmundson); every MS moves at
     * the same speed, so the step's correlation is computed once. */
    const double rho = sim->shadow_rho, innovation = sim->shadow_innovation_db;
    for (int k = 0; k < CANDIDATES; k++)
        r->shadow[k] = rho * r->shadow[k] + innovation * sim_normal(&sim->normal, &sim->shadowing);
    r->measured++;
    const uint32_t serving = r->serving;
    /* Cell-boundary crossings, geometry alone: the nearest BS (among the
     * last nearest and its six neighbours) changed. */
    if (r->nearest != 0) {
        uint32_t near = r->nearest;
        double near_d2 = 1e300;
        for (int k = 0; k < CANDIDATES; k++) {
            const uint32_t c = sim->neigh[r->nearest - 1][k];
            if (c == 0)
                continue;
            const double dx = sim->cells[c - 1][0] - r->x, dy = sim->cells[c - 1][1] - r->y;
            if (dx * dx + dy * dy < near_d2) {
                near_d2 = dx * dx + dy * dy;
                near = c;
            }
        }
        sim->st.crossings += near != r->nearest;
        r->nearest = near;
    }
    if (serving == 0)
        return;
    if (serving != r->around)
        set_candidates(sim, ms, serving);
    /* Handover trigger: a neighbour better by the hysteresis for the time
     * to trigger, on layer-3 filtered levels (-18.8 log10 d^2 + shadowing,
     * dB: the rest of the path loss is common to all). */
    const double alpha = rp->meas_alpha > 0 && rp->meas_alpha < 1 ? rp->meas_alpha : 1;
    for (int k = 0; k < CANDIDATES; k++) {
        if (r->cell[k] == 0)
            continue;
        const double level = r->shadow[k] - PATH_LOSS_DB_PER_DECADE_OF_D2 * sim_log10(distance2(sim, r, k));
        r->filtered[k] = isnan(r->filtered[k]) ? level : (1 - alpha) * r->filtered[k] + alpha * level;
    }
    int best = -1;
    double best_margin = rp->hysteresis_db;
    for (int k = 1; k < CANDIDATES; k++) {
        if (r->cell[k] == 0)
            continue;
        const double margin = r->filtered[k] - r->filtered[0];
        if (margin > best_margin) {
            best_margin = margin;
            best = k;
        }
    }
    if (best < 0) {
        r->best = 0;
        return;
    }
    if (r->best != r->cell[best]) {
        r->best = r->cell[best];
        r->best_since = sim->now;
        return;
    }
    if ((double)(sim->now - r->best_since) < rp->ttt_ms * 1000.0 || tekho_ms_state(sim->ms[ms]) != TEKHO_MS_OPERATIONAL)
        return;
    uint8_t bsid[6];
    bsid_of(r->best, bsid);
    tekho_actions_reset(sim->actions);
    const tekho_err err = tekho_ms_start_handover(sim->ms[ms], sim->now, r->best, bsid, sim->actions);
    if (err == TEKHO_OK)
        window_enter(sim, ms);
    after_role(sim, OWNER(OWNER_MS, ms), err);
    r->best = 0;
}

static void radio_setup(struct tekho_sim *sim)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    hex_grid(sim->cells, sim->p.n_bs, rp->isd_m);
    const double frames = rp->meas_period_ms * 1000.0 / (double)sim->p.frame_us;
    sim->meas_frames = frames < 1.5 ? 1u : (uint32_t)(frames + 0.5);
    sim->meas_dt_s = (double)sim->meas_frames * (double)sim->p.frame_us / 1e6;
    const double step_m = rp->speed_kmh / 3.6 * sim->meas_dt_s;
    sim->shadow_rho = rp->shadow_corr_m > 0 ? exp(-step_m / rp->shadow_corr_m) : 0;
    const double site = rp->shadow_site_corr > 0 && rp->shadow_site_corr < 1 ? rp->shadow_site_corr : 0;
    sim->shadow_link_sigma_db = rp->shadow_sigma_db * sqrt(1 - site);
    sim->shadow_innovation_db = sim->shadow_link_sigma_db * sqrt(1 - sim->shadow_rho * sim->shadow_rho);
    neighbours_of(sim);
    for (uint32_t i = 0; i < sim->p.n_ms; i++) {
        struct ms_radio *r = &sim->radio[i];
        random_point(sim, &r->x, &r->y);
        head_for(sim, r);
        const uint32_t cell = nearest_cell(sim, r->x, r->y);
        set_candidates(sim, i, cell);
        r->nearest = cell;
        /* Entries spread over the first 200 ms; traffic and measurements follow. */
        const uint64_t at = sim_rng_next(&sim->traffic) % 200000;
        if (tekho_sim_at(sim, at, TEKHO_OP_ENTER, i, cell, 0) != TEKHO_OK)
            sim->st.role_errors++;
        r->measure_from = at + 300000;
        const uint64_t interval = packet_interval_us(rp);
        if (interval > 0) {
            const uint64_t first = at + 300000 + sim_rng_next(&sim->traffic) % interval;
            if (rp->crypto_all)
                (void)push(sim, first, EV_PACKET, i, 0, 0, NULL, 0, false);
            else
                r->packet_next = first;
        }
    }
}

void tekho_sim_cell_position(const struct tekho_sim *sim, uint32_t node, double *x, double *y)
{
    *x = *y = 0;
    if (sim->cells && node >= 1 && node <= sim->p.n_bs) {
        *x = sim->cells[node - 1][0];
        *y = sim->cells[node - 1][1];
    }
}

void tekho_sim_ms_position(const struct tekho_sim *sim, uint32_t index, double *x, double *y)
{
    *x = *y = 0;
    if (sim->cells && index < sim->p.n_ms) {
        *x = sim->radio[index].x;
        *y = sim->radio[index].y;
    }
}

/* ---- traffic and the script ---------------------------------------------------------------------- */

/* The network routes downlink to the serving BS, and during a handover
 * (once it serves no more) to the target. */
static uint32_t dl_source(struct tekho_sim *sim, uint32_t ms)
{
    const struct ms_track *tr = &sim->track[ms];
    if (tr->serving && tekho_bs_serves(sim->bs[tr->serving], ms))
        return tr->serving;
    return tr->ho_active ? tr->target : 0;
}

/* One user PDU each way through the roles: real seal and open. */
static void send_user(struct tekho_sim *sim, uint32_t i, bool in_window)
{
    struct ms_track *tr = &sim->track[i];
    uint8_t p[PAYLOAD_LEN];
    payload_for(i, 0, tr->seq[0], p);
    tekho_actions_reset(sim->actions);
    tekho_err err = tekho_ms_send(sim->ms[i], sim->now, p, sizeof p, sim->actions);
    sim->st.user_pdus_offered++;
    sim->st.ho_window_offered += in_window;
    if (err == TEKHO_OK)
        tr->seq[0]++;
    after_role(sim, OWNER(OWNER_MS, i), err);
    const uint32_t node = dl_source(sim, i);
    sim->st.user_pdus_offered++;
    sim->st.ho_window_offered += in_window;
    if (node == 0)
        return;
    payload_for(i, 1, tr->seq[1], p);
    tekho_actions_reset(sim->actions);
    err = tekho_bs_send(sim->bs[node], sim->now, i, p, sizeof p, sim->actions);
    if (err == TEKHO_OK)
        tr->seq[1]++;
    after_role(sim, OWNER(OWNER_BS, node), err);
}

/* A frame starts. Radio mode: measurements happen at frame boundaries:
 * each frame of the period takes the next even share of the MSs, a
 * contiguous run in index order (no event per measurement: at city scale
 * they were three events in four; a run, not every period-th MS, so the
 * memory is read in sequence). */
static void frame_tick(struct tekho_sim *sim)
{
    if (sim->p.radio.enabled) {
        const uint64_t phase = sim->frame_no % sim->meas_frames, n = sim->p.n_ms;
        const uint32_t from = (uint32_t)(phase * n / sim->meas_frames),
                       to = (uint32_t)((phase + 1) * n / sim->meas_frames);
        for (uint32_t i = from; i < to; i++)
            if (sim->now >= sim->radio[i].measure_from)
                measure(sim, i);
    }
    sim->frame_no++;
    (void)push(sim, sim->now + sim->p.frame_us, EV_FRAME, 0, 0, 0, NULL, 0, false);
}

/* The user PDUs for the next frame, offered 1 us before it starts: while a
 * handover is under way (scenario mode: while an MS's traffic is on) a PDU
 * each way is ready for every frame, the densest traffic the frame
 * structure carries (a PDU handed to the air goes out in the next frame:
 * air_arrival). Offered at the last instant that still makes the frame,
 * the first PDU a link can carry after any event goes out in the first
 * frame it could, so no wait for a packet (no packet interval) is in the
 * interruption. */
static void offer_tick(struct tekho_sim *sim)
{
    if (!sim->p.radio.enabled) {
        for (uint32_t i = 0; i < sim->p.n_ms; i++)
            if (sim->track[i].traffic)
                send_user(sim, i, false);
    } else {
        for (size_t k = 0; k < sim->n_window;) {
            const uint32_t i = sim->window[k];
            struct ms_track *tr = &sim->track[i];
            struct ms_radio *r = &sim->radio[i];
            send_user(sim, i, true);
            /* The window closes two frames after the interruption was
             * measured (or the handover ended otherwise), at most 3 s. */
            if (!tr->ho_active && r->window_end == 0)
                r->window_end = sim->now + 2 * sim->p.frame_us;
            if ((r->window_end && sim->now >= r->window_end) || sim->now - r->window_start > 3000000) {
                r->in_window = false;
                account_packets(sim, r, sim->now, false);
                sim->window[k] = sim->window[--sim->n_window];
                continue;
            }
            k++;
        }
    }
    (void)push(sim, sim->now + sim->p.frame_us, EV_OFFER, 0, 0, 0, NULL, 0, false);
}

/* With crypto_all, VoIP/CBR packets outside handovers are sealed and opened
 * for real (otherwise account_packets counts them). */
static void packet(struct tekho_sim *sim, uint32_t i)
{
    const struct tekho_radio_params *rp = &sim->p.radio;
    if (!sim->radio[i].in_window)
        send_user(sim, i, false);
    (void)push(sim, sim->now + packet_interval_us(rp), EV_PACKET, i, 0, 0, NULL, 0, false);
}

static void forge(struct tekho_sim *sim, uint32_t ms, uint32_t node, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        uint8_t body[PAYLOAD_LEN + TEKHO_PN_LEN + TEKHO_ICV_LEN];
        rng_bytes(&sim->attacker, body, sizeof body);
        /* A plausible uplink PDU: right CID, EKS 0, the uplink PN bit. */
        body[3] |= 0x80;
        uint8_t pdu[TEKHO_PDU_MAX_LEN];
        const size_t len = TEKHO_GMH_LEN + sizeof body + TEKHO_CRC_LEN;
        const struct tekho_gmh gmh = {.ec = tekho_scheme_encrypts(sim->p.scheme), .ci = true, .len = (uint16_t)len,
                                      .cid = tekho_ms_data_cid(ms)};
        if (tekho_gmh_encode(&gmh, pdu) != TEKHO_OK)
            return;
        memcpy(pdu + TEKHO_GMH_LEN, body, sizeof body);
        tekho_pdu_put_crc(pdu, len);
        (void)push(sim, air_arrival(sim, sim->now, true), EV_AIR_TO_BS, node, ms, 0, pdu, len, true);
    }
}

static void script(struct tekho_sim *sim, const struct sim_event *ev)
{
    const uint32_t a = ev->b, b = ev->c, c = ev->d;
    tekho_err err = TEKHO_OK;
    tekho_actions_reset(sim->actions);
    switch ((enum tekho_sim_op)ev->a) {
    case TEKHO_OP_ENTER: {
        uint8_t bsid[6];
        bsid_of(b, bsid);
        sim->track[a].serving = b;
        err = tekho_ms_enter(sim->ms[a], sim->now, b, bsid, sim->actions);
        after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    }
    case TEKHO_OP_HANDOVER: {
        uint8_t bsid[6];
        bsid_of(b, bsid);
        err = tekho_ms_start_handover(sim->ms[a], sim->now, b, bsid, sim->actions);
        after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    }
    case TEKHO_OP_CANCEL:
        err = tekho_ms_cancel_handover(sim->ms[a], sim->now, sim->actions);
        after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    case TEKHO_OP_TRAFFIC_ON: sim->track[a].traffic = true; break;
    case TEKHO_OP_TRAFFIC_OFF: sim->track[a].traffic = false; break;
    case TEKHO_OP_REPLAY_DATA: {
        const struct recorded *r = sim->track[a].data;
        for (size_t i = 0; r != NULL && i < r->n; i++) {
            const uint64_t t = air_arrival(sim, sim->now, r->uplink[i]);
            if (r->uplink[i])
                (void)push(sim, t, EV_AIR_TO_BS, r->node[i], a, 0, r->pdu[i], r->len[i], true);
            else
                (void)push(sim, t, EV_AIR_TO_MS, a, r->node[i], 0, r->pdu[i], r->len[i], true);
        }
        break;
    }
    case TEKHO_OP_REPLAY_RNG_REQ: {
        const struct recorded *r = sim->track[a].rng;
        for (size_t i = 0; r != NULL && i < r->n; i++)
            (void)push(sim, air_arrival(sim, sim->now, true), EV_AIR_TO_BS, b, a, 0, r->pdu[i], r->len[i], true);
        break;
    }
    case TEKHO_OP_FORGE: forge(sim, a, b, c); break;
    case TEKHO_OP_STORE_LOSE:
    case TEKHO_OP_AUTH_RESTART:
        if ((enum tekho_sim_op)ev->a == TEKHO_OP_STORE_LOSE) {
            uint8_t mac[6];
            tekho_ms_mac_of_index(a, mac);
            tekho_memory_store_erase(sim->store, mac);
        }
        if (tekho_auth_restart(sim->auth) != TEKHO_OK)
            sim->st.role_errors++;
        if (sim->trace)
            fprintf(sim->trace, "%10.3f auth RESTART\n", sim->now / 1000.0);
        break;
    case TEKHO_OP_DROP_HO_COMPLETE: sim->drop_ho_complete += a; break;
    case TEKHO_OP_RESET_PN_IN_HO_CNF: sim->reset_pn_in_ho_cnf += a; break;
    case TEKHO_OP_AIR_LOSS: sim->p.air_loss = a / 1000.0; break;
    case TEKHO_OP_RANDOM_FAIL: sim->random_fail += a; break;
    }
}

static void dispatch(struct tekho_sim *sim, struct sim_event *ev)
{
    tekho_err err;
    switch (ev->kind) {
    case EV_AIR_TO_BS:
        tekho_actions_reset(sim->actions);
        err = tekho_bs_air(sim->bs[ev->a], sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
        after_role(sim, OWNER(OWNER_BS, ev->a), err);
        break;
    case EV_AIR_TO_MS:
        tekho_actions_reset(sim->actions);
        err = tekho_ms_air(sim->ms[ev->a], sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
        after_role(sim, OWNER(OWNER_MS, ev->a), err);
        break;
    case EV_BACKBONE:
        tekho_actions_reset(sim->actions);
        if (ev->a == TEKHO_NODE_AUTHENTICATOR) {
            err = tekho_auth_backbone(sim->auth, sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
            after_role(sim, OWNER(OWNER_AUTH, 0), err);
        } else {
            err = tekho_bs_backbone(sim->bs[ev->a], sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
            after_role(sim, OWNER(OWNER_BS, ev->a), err);
        }
        break;
    case EV_TIMER: {
        tekho_actions_reset(sim->actions);
        const uint32_t owner = ev->a, id = owner & 0xFFFFFF;
        switch (owner >> 24) {
        case OWNER_MS: err = tekho_ms_timer(sim->ms[id], sim->now, ev->b, sim->actions); break;
        case OWNER_BS: err = tekho_bs_timer(sim->bs[id], sim->now, ev->b, sim->actions); break;
        default: err = tekho_auth_timer(sim->auth, sim->now, ev->b, sim->actions); break;
        }
        after_role(sim, owner, err);
        break;
    }
    case EV_FRAME: frame_tick(sim); break;
    case EV_OFFER: offer_tick(sim); break;
    case EV_PACKET: packet(sim, ev->a); break;
    case EV_SCRIPT: script(sim, ev); break;
    }
}

tekho_err tekho_sim_run(struct tekho_sim *sim, uint64_t until_us)
{
    if (sim == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (!sim->frames_running) {
        sim->frames_running = true;
        if (push(sim, sim->p.frame_us - 1, EV_OFFER, 0, 0, 0, NULL, 0, false) != TEKHO_OK ||
            push(sim, sim->p.frame_us, EV_FRAME, 0, 0, 0, NULL, 0, false) != TEKHO_OK)
            return TEKHO_ERR_NO_MEMORY;
    }
    uint64_t next;
    while (tekho_sim_queue_next_time(&sim->queue, &next) && next <= until_us) {
        struct sim_event ev;
        (void)tekho_sim_queue_pop(&sim->queue, &ev);
        sim->now = ev.t;
        sim->st.events++;
        dispatch(sim, &ev);
        tekho_sim_event_wipe(&ev);
        if (sim->lost_event != TEKHO_OK)
            return sim->lost_event;
    }
    sim->now = until_us;
    if (sim->p.radio.enabled)
        for (uint32_t i = 0; i < sim->p.n_ms; i++)
            if (!sim->radio[i].in_window)
                account_packets(sim, &sim->radio[i], until_us + 1, true);
    /* Once everything is quiet, an MS and its BS must hold the same TEKs. */
    for (uint32_t i = 0; i < sim->p.n_ms; i++)
        if (tekho_ms_state(sim->ms[i]) == TEKHO_MS_OPERATIONAL)
            check_keys_match(sim, i);
    return TEKHO_OK;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double percentile(const double *s, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return s[rank - 1];
}

const char *tekho_sim_direction_name(enum tekho_sim_direction d)
{
    static const char *const names[TEKHO_SIM_DIRECTIONS] = {"ul", "dl", "union"};
    return (unsigned)d < TEKHO_SIM_DIRECTIONS ? names[d] : "?";
}

static void summarise(const double *samples, size_t n, struct tekho_sim_interruption *out, unsigned long *io_errors)
{
    out->n = n;
    if (n == 0)
        return;
    double *s = malloc(n * sizeof *s);
    if (s == NULL) {
        (*io_errors)++;
        return;
    }
    memcpy(s, samples, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    out->mean_ms = sum / (double)n;
    out->min_ms = s[0];
    out->p50_ms = percentile(s, n, 0.50);
    out->p99_ms = percentile(s, n, 0.99);
    out->max_ms = s[n - 1];
    free(s);
}

void tekho_sim_stats(const struct tekho_sim *sim, struct tekho_sim_stats *out)
{
    *out = sim->st;
    out->ho_window_lost = sim->st.ho_window_offered > sim->window_delivered
                              ? sim->st.ho_window_offered - sim->window_delivered
                              : 0;
    memset(out->interruption, 0, sizeof out->interruption);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        summarise(sim->samples[d], sim->n_samples[d], &out->interruption[d], &out->io_errors);
        out->interruption[d].censored = sim->censored[d];
    }
    /* Handovers still under way when the run stopped are censored too. */
    for (uint32_t i = 0; i < sim->p.n_ms; i++) {
        const struct ms_track *tr = &sim->track[i];
        if (!tr->left)
            continue;
        for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
            const bool open = d == TEKHO_SIM_UNION || !tr->resumed[d];
            out->interruption[d].censored += open;
            out->interruption[d].censored_at_end += open;
        }
    }
}

size_t tekho_sim_interruptions(const struct tekho_sim *sim, enum tekho_sim_direction d, double *out, size_t max)
{
    if ((unsigned)d >= TEKHO_SIM_DIRECTIONS)
        return 0;
    const size_t n = sim->n_samples[d] < max ? sim->n_samples[d] : max;
    if (out != NULL && n != 0)
        memcpy(out, sim->samples[d], n * sizeof *out);
    return sim->n_samples[d];
}
