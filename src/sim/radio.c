/* The radio and mobility model (radio.h). */
#include "radio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATES TEKHO_RADIO_CANDIDATES

/* Axial hex coordinates in spiral order from the centre: ring k has 6k cells. */
void tekho_radio_hex_grid(double (*cells)[2], uint32_t n, double isd)
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
static void neighbours_of(struct tekho_radio *m)
{
    const uint32_t n = m->n_bs;
    for (uint32_t c = 0; c < n; c++) {
        m->neigh[c][0] = c + 1;
        double best_d[CANDIDATES - 1];
        uint32_t best[CANDIDATES - 1] = {0};
        for (int i = 0; i < CANDIDATES - 1; i++)
            best_d[i] = 1e300;
        for (uint32_t o = 0; o < n; o++) {
            if (o == c)
                continue;
            const double dx = m->cells[o][0] - m->cells[c][0], dy = m->cells[o][1] - m->cells[c][1];
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
            m->neigh[c][i + 1] = best[i];
    }
}

/* A point anywhere over the grid: a random cell, uniformly within its disc. */
static void random_point(struct tekho_radio *m, double *x, double *y)
{
    const uint32_t c = (uint32_t)(sim_rng_next(&m->mobility) % m->n_bs);
    const double a = 6.283185307179586 * sim_rng_unit(&m->mobility);
    const double rr = m->p.isd_m / 2 * sqrt(sim_rng_unit(&m->mobility));
    *x = m->cells[c][0] + rr * cos(a);
    *y = m->cells[c][1] + rr * sin(a);
}

static uint32_t nearest_cell(const struct tekho_radio *m, double x, double y)
{
    uint32_t best = 1;
    double best_d = 1e300;
    for (uint32_t c = 0; c < m->n_bs; c++) {
        const double dx = m->cells[c][0] - x, dy = m->cells[c][1] - y, d = dx * dx + dy * dy;
        if (d < best_d) {
            best_d = d;
            best = c + 1;
        }
    }
    return best;
}

static void head_for(struct tekho_radio *m, struct tekho_radio_ms *r)
{
    const double v = m->p.speed_kmh / 3.6;
    if (m->p.straight_line && (r->vx != 0 || r->vy != 0))
        return;
    random_point(m, &r->wx, &r->wy);
    const double dx = r->wx - r->x, dy = r->wy - r->y, d = sqrt(dx * dx + dy * dy) + 1e-9;
    r->vx = v * dx / d;
    r->vy = v * dy / d;
}

/* Received power is 43 dBm transmit, less the macro-cell path loss of
 * 3GPP TR 25.996 (128.1 + 37.6 log10 d[km]), plus shadowing; only
 * differences between cells matter, so the trigger works on the squared
 * distance, m^2, floored at 35 m (37.6 log10 d = 18.8 log10 d^2). */
#define PATH_LOSS_DB_PER_DECADE_OF_D2 18.8
static double distance2(const struct tekho_radio *m, const struct tekho_radio_ms *r, int k)
{
    const uint32_t c = r->cell[k] - 1;
    const double dx = m->cells[c][0] - r->x, dy = m->cells[c][1] - r->y, d2 = dx * dx + dy * dy;
    return d2 < 35.0 * 35.0 ? 35.0 * 35.0 : d2;
}

/* Re-centres the candidates on the serving cell. A link still among them
 * keeps its shadowing (it is the same path); a new link draws its own,
 * keyed by the MS and how many new links it has had: when a handover
 * re-centres differs by scheme, and must shift neither this MS's other
 * draws nor anyone else's. */
static void set_candidates(struct tekho_radio *m, uint32_t ms, struct tekho_radio_ms *r, uint32_t serving)
{
    uint32_t cell[CANDIDATES];
    double shadow[CANDIDATES], filtered[CANDIDATES];
    for (int k = 0; k < CANDIDATES; k++) {
        cell[k] = m->neigh[serving - 1][k];
        int kept = -1;
        for (int j = 0; j < CANDIDATES && kept < 0 && r->around != 0; j++)
            if (r->cell[j] == cell[k] && cell[k] != 0)
                kept = j;
        if (kept >= 0) {
            shadow[k] = r->shadow[kept];
            filtered[k] = r->filtered[kept];
        } else {
            struct sim_rng link;
            tekho_sim_rng_stream(&link, m->seed, SIM_PURPOSE_NEW_LINK, (uint64_t)ms << 32 | r->new_links++);
            shadow[k] = m->shadow_link_sigma_db * sim_normal(&m->normal, &link);
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

tekho_err tekho_radio_init(struct tekho_radio *m, const struct tekho_radio_params *p,
                           const struct tekho_sim_variability *v, uint64_t seed, uint32_t n_bs, uint64_t frame_us,
                           const double (*positions)[2])
{
    memset(m, 0, sizeof *m);
    if (p == NULL || v == NULL || n_bs == 0 || frame_us == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    m->p = *p;
    m->noise_dbm = v->noise_dbm;
    m->interference_load = v->interference_load;
    m->seed = seed;
    m->n_bs = n_bs;
    m->cells = calloc(n_bs, sizeof *m->cells);
    m->neigh = calloc(n_bs, sizeof *m->neigh);
    if (m->cells == NULL || m->neigh == NULL) {
        tekho_radio_free(m);
        return TEKHO_ERR_NO_MEMORY;
    }
    tekho_sim_rng_stream(&m->mobility, seed, SIM_PURPOSE_MOBILITY, 0);
    tekho_sim_rng_stream(&m->shadowing, seed, SIM_PURPOSE_SHADOWING, 0);
    tekho_sim_normal_table_init(&m->normal);
    if (positions != NULL)
        memcpy(m->cells, positions, n_bs * sizeof *m->cells);
    else
        tekho_radio_hex_grid(m->cells, n_bs, p->isd_m);
    const double frames = p->meas_period_ms * 1000.0 / (double)frame_us;
    m->meas_frames = frames < 1.5 ? 1u : (uint32_t)(frames + 0.5);
    m->meas_dt_s = (double)m->meas_frames * (double)frame_us / 1e6;
    const double step_m = p->speed_kmh / 3.6 * m->meas_dt_s;
    m->shadow_rho = p->shadow_corr_m > 0 ? exp(-step_m / p->shadow_corr_m) : 0;
    const double site = p->shadow_site_corr > 0 && p->shadow_site_corr < 1 ? p->shadow_site_corr : 0;
    m->shadow_link_sigma_db = p->shadow_sigma_db * sqrt(1 - site);
    m->shadow_innovation_db = m->shadow_link_sigma_db * sqrt(1 - m->shadow_rho * m->shadow_rho);
    neighbours_of(m);
    return TEKHO_OK;
}

void tekho_radio_free(struct tekho_radio *m)
{
    if (m == NULL)
        return;
    free(m->cells);
    free(m->neigh);
    m->cells = NULL;
    m->neigh = NULL;
}

uint32_t tekho_radio_place(struct tekho_radio *m, uint32_t ms, struct tekho_radio_ms *r)
{
    random_point(m, &r->x, &r->y);
    head_for(m, r);
    const uint32_t cell = nearest_cell(m, r->x, r->y);
    set_candidates(m, ms, r, cell);
    r->nearest = cell;
    return cell;
}

/* A candidate's received power, dBm: 43 dBm less the path loss of 3GPP TR
 * 25.996 (128.1 + 37.6 log10 d[km] = 15.3 + 18.8 log10 d[m]^2), plus its
 * shadowing. */
static double link_dbm(const struct tekho_radio *m, const struct tekho_radio_ms *r, int k)
{
    return 43.0 - (15.3 + PATH_LOSS_DB_PER_DECADE_OF_D2 * sim_log10(distance2(m, r, k))) + r->shadow[k];
}

/* The SINR: the link's power over the other candidates' (the first ring)
 * times the load, plus noise; the same both ways (an assumption: UL
 * interference is not modelled apart). */
double tekho_radio_sinr_db(const struct tekho_radio *m, struct tekho_radio_ms *r, uint32_t node)
{
    int which = -1;
    for (int k = 0; k < CANDIDATES; k++)
        if (r->cell[k] == node && node != 0)
            which = k;
    if (which < 0)
        return INFINITY;
    if (r->sinr_epoch != r->measured + 1) {
        double mw[CANDIDATES], total = exp(m->noise_dbm * 0.2302585092994046);
        for (int k = 0; k < CANDIDATES; k++) {
            mw[k] = r->cell[k] ? exp(link_dbm(m, r, k) * 0.2302585092994046) : 0;
            total += m->interference_load * mw[k];
        }
        for (int k = 0; k < CANDIDATES; k++) {
            const double interference = total - m->interference_load * mw[k];
            r->sinr[k] = r->cell[k] ? (float)(10.0 * sim_log10(mw[k] / interference)) : -INFINITY;
        }
        r->sinr_epoch = r->measured + 1;
    }
    return r->sinr[which];
}

bool tekho_radio_distance2_to(const struct tekho_radio *m, const struct tekho_radio_ms *r, uint32_t node,
                              double *d2)
{
    if (m->cells == NULL || node < 1 || node > m->n_bs)
        return false;
    const double dx = m->cells[node - 1][0] - r->x, dy = m->cells[node - 1][1] - r->y;
    *d2 = dx * dx + dy * dy;
    return true;
}

uint32_t tekho_radio_measure(struct tekho_radio *m, uint32_t ms, struct tekho_radio_ms *r, uint64_t now)
{
    const struct tekho_radio_params *rp = &m->p;
    const double dt = m->meas_dt_s;
    m->measurements++;
    /* Move; at the waypoint (or the edge, going straight) pick a new heading. */
    r->x += r->vx * dt;
    r->y += r->vy * dt;
    const double to_wx = r->wx - r->x, to_wy = r->wy - r->y;
    if (!rp->straight_line && to_wx * r->vx + to_wy * r->vy <= 0)
        head_for(m, r);
    if (rp->straight_line) {
        /* Crossing into another cell is fine; leaving the grid turns it
         * back: farther from every cell than a hexagon's corner (isd /
         * sqrt 3), checked at every step. (Checked only when the nearest
         * cell changed, an MS leaving through an outer edge, where it does
         * not, went on for ever, and then zig-zagged across a boundary
         * outside the grid: crossings five times the fluid-flow rate.) */
        const uint32_t c = nearest_cell(m, r->x, r->y) - 1;
        const double dx = r->x - m->cells[c][0], dy = r->y - m->cells[c][1];
        if (dx * dx + dy * dy > rp->isd_m * rp->isd_m / 3.0) {
            r->vx = -r->vx;
            r->vy = -r->vy;
        }
    }
    /* Shadowing decorrelates with distance (Gudmundson); every MS moves at
     * the same speed, so the step's correlation is computed once. */
    const double rho = m->shadow_rho, innovation = m->shadow_innovation_db;
    for (int k = 0; k < CANDIDATES; k++)
        r->shadow[k] = rho * r->shadow[k] + innovation * sim_normal(&m->normal, &m->shadowing);
    r->measured++;
    const uint32_t serving = r->serving;
    /* Cell-boundary crossings, geometry alone: the nearest BS (among the
     * last nearest and its six neighbours) changed. */
    if (r->nearest != 0) {
        uint32_t near = r->nearest;
        double near_d2 = 1e300;
        for (int k = 0; k < CANDIDATES; k++) {
            const uint32_t c = m->neigh[r->nearest - 1][k];
            if (c == 0)
                continue;
            const double dx = m->cells[c - 1][0] - r->x, dy = m->cells[c - 1][1] - r->y;
            if (dx * dx + dy * dy < near_d2) {
                near_d2 = dx * dx + dy * dy;
                near = c;
            }
        }
        m->crossings += near != r->nearest;
        r->nearest = near;
    }
    if (serving == 0)
        return 0;
    m->served++;
    m->off_nearest += serving != r->nearest;
    if (serving != r->around)
        set_candidates(m, ms, r, serving);
    /* Handover trigger: a neighbour better by the hysteresis for the time
     * to trigger, on layer-3 filtered levels (-18.8 log10 d^2 + shadowing,
     * dB: the rest of the path loss is common to all). */
    const double alpha = rp->meas_alpha > 0 && rp->meas_alpha < 1 ? rp->meas_alpha : 1;
    for (int k = 0; k < CANDIDATES; k++) {
        if (r->cell[k] == 0)
            continue;
        const double level = r->shadow[k] - PATH_LOSS_DB_PER_DECADE_OF_D2 * sim_log10(distance2(m, r, k));
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
        return 0;
    }
    if (r->best != r->cell[best]) {
        r->best = r->cell[best];
        r->best_since = now;
        return 0;
    }
    if ((double)(now - r->best_since) < rp->ttt_ms * 1000.0)
        return 0;
    return r->best;
}
