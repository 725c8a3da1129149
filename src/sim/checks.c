/* The emulator's invariant checks (replayed and forged PDUs delivered,
 * PN reuse, TEK mismatch, M and N going backwards, keys for a stale count)
 * and measurements (handovers, the interruption of each, per direction,
 * with censoring; the statistics of tekho_sim_stats) (sim_core.h). */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"
#include "sim_internal.h"

static const uint8_t MAGIC[4] = {'T', 'K', 'H', 'O'};


void tekho_sim_payload_for(uint32_t ms, int dir, uint32_t seq, uint8_t out[PAYLOAD_LEN])
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
    /* Real links: an UL payload resumed when its BS delivered it, not
     * when the msd heard of it (tekho_sim_ul_delivered_in). */
    const uint64_t at = sim->ext_delivered_at > tr->t0 && sim->ext_delivered_at < sim->now ? sim->ext_delivered_at
                                                                                              : sim->now;
    tr->resumed[dir] = true;
    tr->resumed_at[dir] = at;
    add_sample(sim, dir, (double)(at - tr->t0) / 1000.0);
    if (sim->ext != NULL && sim->ext->resumed != NULL)
        sim->ext->resumed(sim->ext->ctx, (uint32_t)(tr - sim->track), dir, tr->t0, at);
    if (tr->resumed[1 - dir]) {
        const uint64_t both = tr->resumed_at[0] > tr->resumed_at[1] ? tr->resumed_at[0] : tr->resumed_at[1];
        add_sample(sim, TEKHO_SIM_UNION, (double)(both - tr->t0) / 1000.0);
        tr->left = false;
        tr->ho_active = false;
    }
}

/* A user PDU delivered: the replay and forgery checks, then the interruption. */
void tekho_sim_on_deliver(struct tekho_sim *sim, uint32_t ms, int dir, uint32_t node, const uint8_t *p,
                          size_t len)
{
    uint32_t owner, seq;
    if (len != PAYLOAD_LEN || memcmp(p, MAGIC, 4) != 0 || p[8] != dir ||
        (owner = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]) != ms) {
        sim->st.forged_pdus_accepted++;
        return;
    }
    seq = (uint32_t)p[9] << 24 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 8 | p[12];
    struct ms_track *tr = &sim->track[ms];
    /* Delivered twice, or so far below the newest that it cannot be a
     * late original: a replay got through. */
    const uint32_t window = SIM_SEEN_WORDS * 64;
    uint64_t *seen = tr->seen[dir];
    const bool first = tr->top[dir] == 0 && (seen[0] & 1) == 0;
    if (!first && seq + window <= tr->top[dir]) {
        sim->st.replayed_pdus_accepted++;
        return;
    }
    if (first || seq > tr->top[dir]) {
        const uint32_t from = first ? 0 : tr->top[dir] + 1;
        for (uint32_t s = from; s <= seq && s - from < window; s++)
            seen[(s / 64) % SIM_SEEN_WORDS] &= ~((uint64_t)1 << (s % 64));
        tr->top[dir] = seq;
    } else if (seen[(seq / 64) % SIM_SEEN_WORDS] & ((uint64_t)1 << (seq % 64))) {
        sim->st.replayed_pdus_accepted++;
        return;
    }
    seen[(seq / 64) % SIM_SEEN_WORDS] |= (uint64_t)1 << (seq % 64);
    sim->st.user_pdus_delivered++;
    sim->window_delivered += tr->in_window;
    measure_resumed(sim, tr, dir, node);
}

void tekho_sim_check_keys_match(struct tekho_sim *sim, uint32_t ms)
{
    const uint32_t node = tekho_ms_serving(sim->ms[ms]);
    uint8_t a[2][8], b[2][8];
    if (node == 0 || !tekho_scheme_encrypts(sim->p.scheme) || sim->ms[ms] == NULL || sim->bs[node] == NULL)
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
    double d2 = 0;
    if (tekho_radio_distance2_to(&sim->model, &sim->radio[ms], target, &d2) && d2 > bound_m * bound_m)
        sim->st.early_ul_beyond_bound++;
}

void tekho_sim_on_event(struct tekho_sim *sim, uint32_t owner, const struct tekho_action *a)
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
            tr->ext_left = true;
            left_serving(sim, tr);
            early_ul_bound(sim, a->ms);
        }
        break;
    case TEKHO_EV_HO_COMPLETED:
        if (from_ms) {
            sim->st.completed++;
            const uint32_t to = (uint32_t)a->value;
            /* Back to the BS it left, less than pingpong_ms after arriving where it went. */
            if (tr->before == to && tr->before != 0) {
                const double stayed_us = (double)(sim->now - tr->arrived_at);
                sim->st.returns++;
                sim->st.returns_5s += stayed_us < 5e6;
                sim->st.pingpong += stayed_us < sim->p.radio.pingpong_ms * 1000.0;
            }
            tr->before = tr->serving;
            tr->arrived_at = sim->now;
            tr->serving = to;
            tr->ext_left = false;
            tekho_sim_check_keys_match(sim, a->ms);
        }
        break;
    case TEKHO_EV_HO_CANCELLED:
        if (from_ms) {
            sim->st.cancelled++;
            tr->ho_active = false;
            tr->ext_left = false;
        }
        break;
    case TEKHO_EV_HO_FAILED:
        if (from_ms) {
            sim->st.failed++;
            censor(sim, tr);
            tr->ho_active = false;
            tr->ext_left = false;
        }
        break;
    case TEKHO_EV_SELF_SYNC: sim->st.self_sync_success++; break;
    case TEKHO_EV_RESYNC_RNG_REQ: sim->st.resync_by_rng_req++; break;
    case TEKHO_EV_RELEASED:
        sim->st.connections_released++;
        if (from_ms) {
            censor(sim, tr);
            tr->ho_active = false;
            tr->ext_left = false;
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
        if (!from_ms && a->value > 0 && sim->p.scheme == TEKHO_SCHEME_COUNTER && sim->auth != NULL) {
            uint8_t mac[6];
            tekho_ms_mac_of_index(a->ms, mac);
            if ((uint16_t)a->value < tekho_auth_count(sim->auth, mac))
                sim->st.stale_count_keys++;
        }
        break;
    case TEKHO_EV_NEW_PMK:
        sim->st.new_pmks += (owner >> 24) == OWNER_AUTH;
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
    out->measurements = sim->model.measurements;
    out->crossings = sim->model.crossings;
    out->served_measurements = sim->model.served;
    out->off_nearest = sim->model.off_nearest;
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
