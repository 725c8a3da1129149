/* The deterministic scenario driver (include/tekho/sim.h): one virtual
 * clock, a random source per purpose derived from one seed (common random
 * numbers, sim_random.h), a queue of events (event_queue.h); the roles are
 * called exactly as a daemon would call them, and their actions applied.
 * The links and the attacker are in links.c, the invariant checks and
 * measurements in checks.c, the traffic in traffic.c, the radio and
 * mobility model in radio.c (sim_core.h). */
#include "tekho/sim.h"

#include <math.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/mgmt.h"
#include "tekho/tekho.h"
#include "sim_core.h"
#include "sim_internal.h"
#include "../crypto/kit.h"

/* A role's timers are its own numbers: the queue knows them by owner and number. */
static uint64_t timer_key(uint32_t owner, uint32_t timer)
{
    return (uint64_t)owner << 32 | timer;
}


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
    /* Real links: every process draws its own, as a deployment must (a
     * seeded stream would give two BSs the same TEKs); the emulator's
     * stream makes its runs reproducible. */
    if (sim->ext != NULL)
        return n > INT_MAX || RAND_bytes(out, (int)n) != 1 ? TEKHO_ERR_CRYPTO : TEKHO_OK;
    sim_rng_bytes(&sim->keys, out, n);
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

static void radio_setup(struct tekho_sim *sim);

static tekho_err sim_create(const struct tekho_sim_params *p, const struct tekho_sim_external *ext, uint64_t now,
                            const double (*positions)[2], struct tekho_sim **out)
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
        sim->window = calloc(p->n_ms, sizeof *sim->window);
    }
    if (!sim->actions || !sim->ms || !sim->bs || !sim->neighbours || !sim->track || !sim->radio || !sim->max_n ||
        (p->radio.enabled && !sim->window)) {
        tekho_sim_free(sim);
        return TEKHO_ERR_NO_MEMORY;
    }
    /* A source per purpose: every scheme's run sees the same moves, radio and losses. */
    tekho_sim_rng_stream(&sim->traffic, p->seed, SIM_PURPOSE_TRAFFIC, 0);
    tekho_sim_rng_stream(&sim->keys, p->seed, SIM_PURPOSE_KEYS, 0);
    tekho_sim_rng_stream(&sim->attacker, p->seed, SIM_PURPOSE_ATTACKER, 0);
    sim->p = *p;
    sim->now = now;
    if (ext != NULL) {
        sim->ext_copy = *ext;
        sim->ext = &sim->ext_copy;
    }
    const bool ms_local = ext == NULL || ext->ms_local, auth_local = ext == NULL || ext->auth_local;
    const struct tekho_random random = {.ctx = sim, .fill = role_random};
    tekho_err err = tekho_memory_store_new(p->n_ms, &sim->store);
    if (err == TEKHO_OK)
        err = tekho_crypto_kit_new(&sim->kit);
    struct tekho_auth_config ac = {.pmk_lifetime_s = p->pmk_lifetime_s, .max_ms = p->n_ms, .max_bs = p->n_bs,
                                   .timing = p->timing, .first_count = p->first_count};
    if (err == TEKHO_OK) {
        sim->auth_store = ext != NULL && ext->auth_store != NULL ? *ext->auth_store : tekho_memory_store_ops(sim->store);
        sim->discard_persists = ext != NULL && ext->auth_recover;
    }
    if (err == TEKHO_OK && auth_local) {
        ac.store = sim->auth_store;
        ac.shared_store = ext != NULL && ext->auth_shared_store;
        err = tekho_auth_new(&ac, &sim->auth);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= p->n_bs; node++) {
        sim->neighbours[node - 1].node = node;
        bsid_of(node, sim->neighbours[node - 1].bsid);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= p->n_bs; node++) {
        if (ext != NULL && ext->bs_local != node) {
            if (auth_local) {
                uint8_t bsid[6];
                bsid_of(node, bsid);
                err = tekho_auth_add_bs(sim->auth, node, bsid);
            }
            continue;
        }
        struct tekho_bs_config bc = {.node = node, .scheme = p->scheme,
                                     .tekgen_capable = !(p->bs_no_tekgen_mask & (1u << (node - 1))),
                                     .tekgen_required = (p->bs_tekgen_required_mask >> (node - 1)) & 1u,
                                     .self_sync_window = p->self_sync_window, .self_sync_budget = 64,
                                     .max_ms = p->n_ms,
                                     .max_cached_per_ms = p->bs_cache_per_ms ? p->bs_cache_per_ms : 4,
                                     .pmk_lifetime_s = p->pmk_lifetime_s,
                                     .pn_window = 0, .timing = p->timing, .random = random,
                                     .restarted = ext != NULL && ext->bs_restarted,
                                     .neighbours = sim->neighbours, .n_neighbours = p->n_bs, .kit = sim->kit};
        bsid_of(node, bc.bsid);
        err = tekho_bs_new(&bc, &sim->bs[node]);
        if (err == TEKHO_OK && auth_local)
            err = tekho_auth_add_bs(sim->auth, node, bc.bsid);
    }
    for (uint32_t i = 0; err == TEKHO_OK && i < p->n_ms; i++) {
        struct tekho_ms_config mc = {.index = i, .pmk_sn = 0, .pmk_lifetime_s = p->pmk_lifetime_s,
                                     .scheme = p->scheme, .tekgen_capable = p->ms_tekgen,
                                     .said = tekho_ms_basic_cid(i), .pn_window = 0, .timing = p->timing,
                                     .random = random, .first_count = p->first_count, .kit = sim->kit};
        tekho_ms_mac_of_index(i, mc.mac);
        msk_of(p->seed, i, mc.msk);
        if (ms_local)
            err = tekho_ms_new(&mc, &sim->ms[i]);
        if (err == TEKHO_OK && auth_local) {
            tekho_actions_reset(sim->actions);
            err = tekho_auth_add_ms(sim->auth, i, mc.mac, mc.msk, 0, sim->actions);
            if (err == TEKHO_OK)
                tekho_sim_after_role(sim, OWNER(OWNER_AUTH, 0), err); /* its persist, durable at once */
        }
        OPENSSL_cleanse(mc.msk, sizeof mc.msk);
    }
    if (err == TEKHO_OK && auth_local && sim->discard_persists) {
        sim->discard_persists = false;
        err = tekho_auth_recover(sim->auth); /* every MS's PMK and N from the store, when needed */
    }
    if (err != TEKHO_OK) {
        tekho_sim_free(sim);
        return err;
    }
    if (ext != NULL && ms_local && (sim->bs_down = calloc(p->n_bs + 1, sizeof *sim->bs_down)) == NULL) {
        tekho_sim_free(sim);
        return TEKHO_ERR_NO_MEMORY;
    }
    if (p->radio.enabled && ms_local) {
        err = tekho_radio_init(&sim->model, &p->radio, &p->var, p->seed, p->n_bs, p->frame_us, positions);
        if (err != TEKHO_OK) {
            tekho_sim_free(sim);
            return err;
        }
        radio_setup(sim);
    }
    *out = sim;
    return TEKHO_OK;
}

tekho_err tekho_sim_new(const struct tekho_sim_params *p, struct tekho_sim **out)
{
    return sim_create(p, NULL, 0, NULL, out);
}

tekho_err tekho_sim_new_external(const struct tekho_sim_params *p, const struct tekho_sim_external *ext,
                                 uint64_t now_us, const double (*positions)[2], struct tekho_sim **out)
{
    if (ext == NULL || (ext->bs_local != 0 && (p == NULL || ext->bs_local > p->n_bs)))
        return TEKHO_ERR_INVALID_ARGUMENT;
    return sim_create(p, ext, now_us, positions, out);
}

void tekho_sim_free(struct tekho_sim *sim)
{
    if (sim == NULL)
        return;
    tekho_sim_queue_free(&sim->queue);
    for (uint32_t i = 0; sim->ms && sim->track && i < sim->p.n_ms; i++) {
        tekho_ms_free(sim->ms[i]);
        tekho_sim_free_recorded(sim->track[i].data);
        tekho_sim_free_recorded(sim->track[i].rng);
    }
    for (uint32_t n = 0; sim->bs && n <= sim->p.n_bs; n++)
        tekho_bs_free(sim->bs[n]);
    free(sim->ms);
    free(sim->bs);
    free(sim->neighbours);
    free(sim->track);
    free(sim->radio);
    free(sim->max_n);
    tekho_radio_free(&sim->model);
    free(sim->bs_down);
    free(sim->window);
    tekho_auth_free(sim->auth);
    tekho_crypto_kit_free(sim->kit); /* after every role that used it */
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

tekho_err tekho_sim_push(struct tekho_sim *sim, uint64_t t, enum ev_kind kind, uint32_t a, uint32_t b, uint32_t c,
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
        return tekho_sim_push(sim, at_us, EV_AIR_TO_BS, to, from, 0, bytes, len, true);
    case TEKHO_SIM_AIR_DL:
        if (to >= n_ms || from < 1 || from > n_bs)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return tekho_sim_push(sim, at_us, EV_AIR_TO_MS, to, from, 0, bytes, len, true);
    case TEKHO_SIM_BACKBONE:
        if (from > n_bs || to > n_bs || from == to)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return tekho_sim_push(sim, at_us, EV_BACKBONE, to, from, 0, bytes, len, true);
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
        const double fail = tekho_sim_bler_at(v, tekho_sim_link_sinr_db(sim, id, tr->target) - v->sinr_min_db);
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
            t += (uint64_t)tekho_sim_exp_draw(v->aaa_extra_mean_us,
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
        case TEKHO_ACT_AIR_UL: tekho_sim_send_air(sim, true, owner & 0xFFFFFF, a->peer, a->bytes, a->len); break;
        case TEKHO_ACT_AIR_DL: tekho_sim_send_air(sim, false, a->ms, owner & 0xFFFFFF, a->bytes, a->len); break;
        case TEKHO_ACT_BACKBONE:
            tekho_sim_send_backbone(sim, (owner >> 24) == OWNER_AUTH ? TEKHO_NODE_AUTHENTICATOR : owner & 0xFFFFFF,
                                    a->peer, a->bytes, a->len);
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
            if (at_bs && sim->ext != NULL) { /* the msd measures (sim_external.h) */
                sim->ext->ul_delivered(sim->ext->ctx, a->ms, owner & 0xFFFFFF, a->bytes, a->len);
                break;
            }
            tekho_sim_on_deliver(sim, a->ms, at_bs ? 0 : 1, at_bs ? owner & 0xFFFFFF : a->peer, a->bytes, a->len);
            break;
        }
        case TEKHO_ACT_EVENT: tekho_sim_on_event(sim, owner, a); break;
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
    if (sim->discard_persists) { /* recovering: the store has them (or better ones) */
        OPENSSL_cleanse(batch, n * sizeof batch[0]);
        return;
    }
    const struct tekho_auth_store store = sim->auth_store;
    for (size_t i = 0; i < n; i++) {
        tekho_err result = TEKHO_OK;
        const tekho_err err = store.persist(store.ctx, &batch[i].rec, 1, &result);
        tekho_actions_reset(sim->actions);
        const tekho_err done = tekho_auth_persisted(sim->auth, sim->now, batch[i].rec.ms_mac, batch[i].token,
                                                    err != TEKHO_OK ? err : result, sim->actions);
        tekho_sim_after_role(sim, OWNER(OWNER_AUTH, 0), done);
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

void tekho_sim_after_role(struct tekho_sim *sim, uint32_t owner, tekho_err err)
{
    if (sim->actions->err != TEKHO_OK)
        sim->st.role_errors++;
    /* A refused input (a replay, a stray message) is the role doing its
     * job: only the trace tells it. */
    if (err != TEKHO_OK && sim->trace)
        fprintf(sim->trace, "%10.3f refused %s%u: %s\n", sim->now / 1000.0,
                (owner >> 24) == OWNER_MS ? "ms" : (owner >> 24) == OWNER_BS ? "bs" : "auth", owner & 0xFFFFFF,
                tekho_strerror(err));
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

/* ---- the radio model (radio mode, radio.c) ---- */

double tekho_sim_link_sinr_db(struct tekho_sim *sim, uint32_t ms, uint32_t node)
{
    if (!sim->p.radio.enabled)
        return INFINITY;
    return tekho_radio_sinr_db(&sim->model, &sim->radio[ms], node);
}

/* Real links: a released MS (its BS went off the air, or an entry
 * failed) enters again at its strongest candidate on the air, at most
 * once a second. */
static void reenter(struct tekho_sim *sim, uint32_t ms)
{
    struct ms_track *tr = &sim->track[ms];
    if (sim->now < tr->reenter_after)
        return;
    tr->reenter_after = sim->now + 1000000;
    uint32_t best = 0;
    double best_level = -INFINITY;
    const struct tekho_radio_ms *r = &sim->radio[ms];
    for (int k = 0; k < TEKHO_RADIO_CANDIDATES && sim->p.radio.enabled; k++) {
        const uint32_t c = r->cell[k];
        if (c != 0 && !sim->bs_down[c] && !isnan(r->filtered[k]) && r->filtered[k] > best_level) {
            best_level = r->filtered[k];
            best = c;
        }
    }
    for (uint32_t c = 1; best == 0 && c <= sim->p.n_bs; c++)
        if (!sim->bs_down[c])
            best = c;
    if (best == 0)
        return;
    uint8_t bsid[6];
    bsid_of(best, bsid);
    tr->serving = best;
    tekho_actions_reset(sim->actions);
    const tekho_err err = tekho_ms_enter(sim->ms[ms], sim->now, best, bsid, sim->actions);
    tekho_sim_after_role(sim, OWNER(OWNER_MS, ms), err);
}

/* MS ms measures: a handover when the trigger holds and the MS is free for one. */
static void measure(struct tekho_sim *sim, uint32_t ms)
{
    struct tekho_radio_ms *r = &sim->radio[ms];
    const uint32_t to = tekho_radio_measure(&sim->model, ms, r, sim->now);
    if (sim->ext != NULL && tekho_ms_state(sim->ms[ms]) == TEKHO_MS_RELEASED) {
        reenter(sim, ms);
        return;
    }
    if (to == 0 || tekho_ms_state(sim->ms[ms]) != TEKHO_MS_OPERATIONAL || (sim->bs_down && sim->bs_down[to]))
        return;
    uint8_t bsid[6];
    bsid_of(to, bsid);
    tekho_actions_reset(sim->actions);
    const tekho_err err = tekho_ms_start_handover(sim->ms[ms], sim->now, to, bsid, sim->actions);
    if (err == TEKHO_OK) {
        tekho_sim_window_enter(sim, ms);
        sim->st.left_nearest += r->serving == r->nearest;
    }
    tekho_sim_after_role(sim, OWNER(OWNER_MS, ms), err);
    tekho_radio_triggered(r);
}

static void radio_setup(struct tekho_sim *sim)
{
    for (uint32_t i = 0; i < sim->p.n_ms; i++) {
        struct tekho_radio_ms *r = &sim->radio[i];
        const uint32_t cell = tekho_radio_place(&sim->model, i, r);
        /* Entries spread over the first 200 ms; traffic and measurements follow. */
        const uint64_t at = sim->now + sim_rng_next(&sim->traffic) % 200000;
        if (tekho_sim_at(sim, at, TEKHO_OP_ENTER, i, cell, 0) != TEKHO_OK)
            sim->st.role_errors++;
        r->measure_from = at + 300000;
        tekho_sim_traffic_start(sim, i, at + 300000);
    }
}


void tekho_sim_cell_position(const struct tekho_sim *sim, uint32_t node, double *x, double *y)
{
    *x = *y = 0;
    if (sim->model.cells && node >= 1 && node <= sim->p.n_bs) {
        *x = sim->model.cells[node - 1][0];
        *y = sim->model.cells[node - 1][1];
    }
}

void tekho_sim_ms_position(const struct tekho_sim *sim, uint32_t index, double *x, double *y)
{
    *x = *y = 0;
    if (sim->model.cells && index < sim->p.n_ms) {
        *x = sim->radio[index].x;
        *y = sim->radio[index].y;
    }
}

/* A frame starts. Radio mode: measurements happen at frame boundaries:
 * each frame of the period takes the next even share of the MSs, a
 * contiguous run in index order (no event per measurement: at city scale
 * they were three events in four; a run, not every period-th MS, so the
 * memory is read in sequence). */
static void frame_tick(struct tekho_sim *sim)
{
    if (sim->p.radio.enabled) {
        const uint64_t phase = sim->frame_no % sim->model.meas_frames, n = sim->p.n_ms;
        const uint32_t from = (uint32_t)(phase * n / sim->model.meas_frames),
                       to = (uint32_t)((phase + 1) * n / sim->model.meas_frames);
        for (uint32_t i = from; i < to; i++)
            if (sim->now >= sim->radio[i].measure_from)
                measure(sim, i);
    }
    sim->frame_no++;
    (void)tekho_sim_push(sim, sim->now + sim->p.frame_us, EV_FRAME, 0, 0, 0, NULL, 0, false);
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
        tekho_sim_after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    }
    case TEKHO_OP_HANDOVER: {
        uint8_t bsid[6];
        bsid_of(b, bsid);
        err = tekho_ms_start_handover(sim->ms[a], sim->now, b, bsid, sim->actions);
        tekho_sim_after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    }
    case TEKHO_OP_CANCEL:
        err = tekho_ms_cancel_handover(sim->ms[a], sim->now, sim->actions);
        tekho_sim_after_role(sim, OWNER(OWNER_MS, a), err);
        break;
    case TEKHO_OP_TRAFFIC_ON: sim->track[a].traffic = true; break;
    case TEKHO_OP_TRAFFIC_OFF: sim->track[a].traffic = false; break;
    case TEKHO_OP_REPLAY_DATA: {
        const struct recorded *r = sim->track[a].data;
        for (size_t i = 0; r != NULL && i < r->n; i++) {
            const uint64_t t = tekho_sim_air_arrival(sim, sim->now, r->uplink[i]);
            if (r->uplink[i])
                (void)tekho_sim_push(sim, t, EV_AIR_TO_BS, r->node[i], a, 0, r->pdu[i], r->len[i], true);
            else
                (void)tekho_sim_push(sim, t, EV_AIR_TO_MS, a, r->node[i], 0, r->pdu[i], r->len[i], true);
        }
        break;
    }
    case TEKHO_OP_REPLAY_RNG_REQ: {
        const struct recorded *r = sim->track[a].rng;
        for (size_t i = 0; r != NULL && i < r->n; i++)
            (void)tekho_sim_push(sim, tekho_sim_air_arrival(sim, sim->now, true), EV_AIR_TO_BS, b, a, 0, r->pdu[i],
                                 r->len[i], true);
        break;
    }
    case TEKHO_OP_FORGE: tekho_sim_forge(sim, a, b, c); break;
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
        tekho_sim_after_role(sim, OWNER(OWNER_BS, ev->a), err);
        break;
    case EV_AIR_TO_MS:
        tekho_actions_reset(sim->actions);
        err = tekho_ms_air(sim->ms[ev->a], sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
        tekho_sim_after_role(sim, OWNER(OWNER_MS, ev->a), err);
        break;
    case EV_BACKBONE:
        tekho_actions_reset(sim->actions);
        if (ev->a == TEKHO_NODE_AUTHENTICATOR) {
            err = tekho_auth_backbone(sim->auth, sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);

            tekho_sim_after_role(sim, OWNER(OWNER_AUTH, 0), err);
        } else {
            err = tekho_bs_backbone(sim->bs[ev->a], sim->now, ev->b, sim_event_bytes(ev), ev->len, sim->actions);
            tekho_sim_after_role(sim, OWNER(OWNER_BS, ev->a), err);
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
        tekho_sim_after_role(sim, owner, err);
        break;
    }
    case EV_FRAME: frame_tick(sim); break;
    case EV_OFFER: tekho_sim_offer_tick(sim); break;
    case EV_PACKET: tekho_sim_packet(sim, ev->a); break;
    case EV_SCRIPT: script(sim, ev); break;
    case EV_SEND_OUT: {
        const struct tekho_sim_external *x = sim->ext;
        if (x == NULL)
            break;
        switch ((enum tekho_sim_link)ev->a) {
        case TEKHO_SIM_AIR_UL: x->air_out(x->ctx, true, ev->b, ev->c, sim_event_bytes(ev), ev->len); break;
        case TEKHO_SIM_AIR_DL: x->air_out(x->ctx, false, ev->c, ev->b, sim_event_bytes(ev), ev->len); break;
        case TEKHO_SIM_BACKBONE: x->backbone_out(x->ctx, ev->b, ev->c, sim_event_bytes(ev), ev->len); break;
        }
        break;
    }
    }
}

/* Runs the events due by until_us; the clock then reads until_us. The
 * frames start with the first call: the next frame boundary after now
 * (the emulator's first is at frame_us), the user PDUs 1 us before it;
 * only where the MSs are (real links: the msd). */
static tekho_err advance(struct tekho_sim *sim, uint64_t until_us)
{
    if (!sim->frames_running && (sim->ext == NULL || sim->ext->ms_local)) {
        sim->frames_running = true;
        const uint64_t first = (sim->now / sim->p.frame_us + 1) * sim->p.frame_us;
        if (tekho_sim_push(sim, first - 1, EV_OFFER, 0, 0, 0, NULL, 0, false) != TEKHO_OK ||
            tekho_sim_push(sim, first, EV_FRAME, 0, 0, 0, NULL, 0, false) != TEKHO_OK)
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
    if (until_us > sim->now)
        sim->now = until_us;
    return TEKHO_OK;
}

tekho_err tekho_sim_advance(struct tekho_sim *sim, uint64_t now_us)
{
    return sim == NULL ? TEKHO_ERR_INVALID_ARGUMENT : advance(sim, now_us);
}

bool tekho_sim_next_time(struct tekho_sim *sim, uint64_t *t)
{
    return sim != NULL && tekho_sim_queue_next_time(&sim->queue, t);
}

tekho_err tekho_sim_run(struct tekho_sim *sim, uint64_t until_us)
{
    if (sim == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const tekho_err err = advance(sim, until_us);
    if (err != TEKHO_OK)
        return err;
    sim->now = until_us;
    if (sim->p.radio.enabled)
        for (uint32_t i = 0; i < sim->p.n_ms; i++)
            if (!sim->track[i].in_window)
                tekho_sim_account_packets(sim, i, until_us + 1, true);
    /* Once everything is quiet, an MS and its BS must hold the same TEKs. */
    for (uint32_t i = 0; i < sim->p.n_ms; i++)
        if (sim->ms[i] != NULL && tekho_ms_state(sim->ms[i]) == TEKHO_MS_OPERATIONAL)
            tekho_sim_check_keys_match(sim, i);
    return TEKHO_OK;
}

/* ---- real links (sim_external.h) ---- */

tekho_err tekho_sim_air_in(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu,
                           size_t len)
{
    if (sim == NULL || sim->ext == NULL || (pdu == NULL && len != 0) || len > TEKHO_PDU_MAX_LEN ||
        ms >= sim->p.n_ms || node < 1 || node > sim->p.n_bs)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (uplink) {
        if (node != sim->ext->bs_local)
            return TEKHO_ERR_INVALID_ARGUMENT;
        return tekho_sim_push(sim, sim->now, EV_AIR_TO_BS, node, ms, 0, pdu, len, false);
    }
    if (!sim->ext->ms_local)
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint64_t delay = 0;
    if (!tekho_sim_air_fate_in(sim, ms, node, pdu, len, &delay))
        return TEKHO_OK; /* lost on the air */
    return tekho_sim_push(sim, sim->now + delay, EV_AIR_TO_MS, ms, node, 0, pdu, len, false);
}

tekho_err tekho_sim_backbone_in(struct tekho_sim *sim, uint32_t from, uint32_t to, const uint8_t *msg, size_t len)
{
    if (sim == NULL || sim->ext == NULL || (msg == NULL && len != 0) || len > TEKHO_ASNCP_MAX_LEN ||
        from > sim->p.n_bs || to > sim->p.n_bs || from == to)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (to == TEKHO_NODE_AUTHENTICATOR ? !sim->ext->auth_local : to != sim->ext->bs_local)
        return TEKHO_ERR_INVALID_ARGUMENT;
    return tekho_sim_push(sim, sim->now, EV_BACKBONE, to, from, 0, msg, len, false);
}

tekho_err tekho_sim_dl_offer_in(struct tekho_sim *sim, uint32_t ms, uint64_t dl_due_us, const uint8_t *payload,
                                size_t len)
{
    if (sim == NULL || sim->ext == NULL || sim->ext->bs_local == 0 || ms >= sim->p.n_ms || payload == NULL ||
        len != PAYLOAD_LEN)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const uint32_t node = sim->ext->bs_local;
    sim->ext_dl_due = dl_due_us;
    tekho_actions_reset(sim->actions);
    const tekho_err err = tekho_bs_send(sim->bs[node], sim->now, ms, payload, len, sim->actions);
    tekho_sim_after_role(sim, OWNER(OWNER_BS, node), err);
    sim->ext_dl_due = 0;
    return err;
}

tekho_err tekho_sim_ul_delivered_in(struct tekho_sim *sim, uint32_t ms, uint32_t node, uint64_t delivered_us,
                                    const uint8_t *payload, size_t len)
{
    if (sim == NULL || sim->ext == NULL || !sim->ext->ms_local || ms >= sim->p.n_ms || node < 1 ||
        node > sim->p.n_bs || (payload == NULL && len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    sim->ext_delivered_at = delivered_us;
    tekho_sim_on_deliver(sim, ms, 0, node, payload, len);
    sim->ext_delivered_at = 0;
    return TEKHO_OK;
}

tekho_err tekho_sim_bs_lost(struct tekho_sim *sim, uint32_t node)
{
    if (sim == NULL || sim->bs_down == NULL || node < 1 || node > sim->p.n_bs)
        return TEKHO_ERR_INVALID_ARGUMENT;
    sim->bs_down[node] = true;
    for (uint32_t i = 0; i < sim->p.n_ms; i++) {
        tekho_actions_reset(sim->actions);
        const tekho_err err = tekho_ms_lost_bs(sim->ms[i], sim->now, node, sim->actions);
        tekho_sim_after_role(sim, OWNER(OWNER_MS, i), err);
        if (tekho_ms_state(sim->ms[i]) == TEKHO_MS_RELEASED) {
            sim->track[i].reenter_after = 0;
            reenter(sim, i);
        }
    }
    return TEKHO_OK;
}

tekho_err tekho_sim_bs_back(struct tekho_sim *sim, uint32_t node)
{
    if (sim == NULL || sim->bs_down == NULL || node < 1 || node > sim->p.n_bs)
        return TEKHO_ERR_INVALID_ARGUMENT;
    sim->bs_down[node] = false;
    return TEKHO_OK;
}
