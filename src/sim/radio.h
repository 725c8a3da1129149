/* Internal: the radio and mobility model, shared by the emulator (sim.c)
 * and the terminal daemon (msd): cells on a hexagonal grid (or where a
 * configuration puts them), MSs moving by random waypoint or in straight
 * lines, log-normal shadowing correlated over distance, each MS measuring
 * its serving cell and that cell's six nearest, layer-3 filtering, and the
 * handover trigger (a neighbour better by the hysteresis for the time to
 * trigger). It knows nothing of roles, events or clocks: the caller moves
 * and measures an MS when it likes (every meas_frames frames) and decides
 * what a trigger does. Its draws come from the streams of (seed,
 * purpose) in sim_random.h, so the same seed gives the same moves and
 * radio in every driver. */
#ifndef TEKHO_SRC_SIM_RADIO_H
#define TEKHO_SRC_SIM_RADIO_H

#include <stdbool.h>
#include <stdint.h>

#include "tekho/error.h"
#include "tekho/sim.h"
#include "sim_random.h"

/* The cells an MS measures: its serving cell and that cell's (up to six)
 * nearest, as a neighbour list (MOB_NBR-ADV) would name them. */
#define TEKHO_RADIO_CANDIDATES 7

/* One MS's radio state. Measurements touch only this, 10^4 times a 50 ms
 * period at city scale, so it is compact. */
struct tekho_radio_ms {
    double x, y, vx, vy, wx, wy;       /* position, velocity (m/s), waypoint */
    uint32_t cell[TEKHO_RADIO_CANDIDATES];  /* the candidates: node ids (1-based, 0: none) */
    double shadow[TEKHO_RADIO_CANDIDATES];  /* dB, per candidate */
    uint32_t around;                   /* the cell the candidates surround */
    uint32_t best;                     /* the neighbour that beats the serving BS */
    uint64_t best_since;               /* ... since then (TTT) */
    uint64_t measure_from;             /* no measurements before entry is done */
    uint32_t serving;                  /* the MS's serving BS (tekho_ms_serving), set by the caller */
    uint32_t new_links;                /* links that became candidates so far: keys their shadowing draws */
    double filtered[TEKHO_RADIO_CANDIDATES]; /* layer-3 filtered level, dB (NAN: not measured yet) */
    uint32_t nearest;                  /* the nearest of the candidates, last measurement (crossings) */
    uint32_t measured;                 /* measurements so far: the SINR cache's epoch */
    uint32_t sinr_epoch;               /* sinr[] holds the values of measurement sinr_epoch - 1 */
    float sinr[TEKHO_RADIO_CANDIDATES];     /* dB, per candidate */
};

/* What all MSs share. */
struct tekho_radio {
    struct tekho_radio_params p;
    double noise_dbm, interference_load; /* tekho_sim_variability's, for the SINR */
    uint64_t seed;
    uint32_t n_bs;
    double (*cells)[2];                /* positions of the n_bs cells, m */
    uint32_t (*neigh)[TEKHO_RADIO_CANDIDATES];
    uint32_t meas_frames;              /* the measurement period in frames */
    double meas_dt_s;                  /* the measurement period, s */
    /* Shadowing over one measurement's step: the correlation rho, and
     * sigma sqrt(1 - rho^2), the spread of the new part. */
    double shadow_rho, shadow_innovation_db;
    double shadow_link_sigma_db;       /* a link's own shadowing: sigma sqrt(1 - site correlation) */
    struct sim_rng mobility;           /* positions and waypoints */
    struct sim_rng shadowing;          /* each measurement's shadowing steps */
    struct sim_normal_table normal;
    unsigned long measurements;        /* tekho_sim_stats.measurements */
    unsigned long crossings;           /* tekho_sim_stats.crossings */
    unsigned long served, off_nearest; /* tekho_sim_stats.served_measurements, .off_nearest */
};

/* The n cells of the hexagonal grid of inter-site distance isd, spiralling
 * out from the centre (ring k has 6k cells): where the emulator puts them. */
void tekho_radio_hex_grid(double (*cells)[2], uint32_t n, double isd);

/* Sets up the model for n_bs cells: at `positions` (n_bs x, y pairs, m),
 * or NULL: on the hexagonal grid of p->isd_m, spiralling out from the
 * centre. v gives the noise and interference load of the SINR. */
tekho_err tekho_radio_init(struct tekho_radio *m, const struct tekho_radio_params *p,
                           const struct tekho_sim_variability *v, uint64_t seed, uint32_t n_bs, uint64_t frame_us,
                           const double (*positions)[2]);
void tekho_radio_free(struct tekho_radio *m);

/* Places MS `ms` at a random point of the grid heading for a random
 * waypoint, its candidates around the nearest cell; returns that cell
 * (the one it enters at). */
uint32_t tekho_radio_place(struct tekho_radio *m, uint32_t ms, struct tekho_radio_ms *r);

/* One measurement period of MS `ms` at time now: it moves, its shadowing
 * evolves, crossings are counted, and, if it is served (r->serving), its
 * candidates are measured and filtered. Returns the node a handover
 * should go to now (the trigger held for the time to trigger), else 0.
 * A caller that acts on it (or cannot: the MS is busy) calls
 * tekho_radio_triggered when it started one. */
uint32_t tekho_radio_measure(struct tekho_radio *m, uint32_t ms, struct tekho_radio_ms *r, uint64_t now);
/* A handover started on the trigger: the next needs a new time to trigger. */
static inline void tekho_radio_triggered(struct tekho_radio_ms *r)
{
    r->best = 0;
}

/* The SINR (dB) of the link between the MS and BS node, the same both
 * ways; INFINITY for a node that is not a candidate. Cached for the MS's
 * current measurement. */
double tekho_radio_sinr_db(const struct tekho_radio *m, struct tekho_radio_ms *r, uint32_t node);

/* The squared distance (m^2) from the MS to BS node (1-based); false for no such node. */
bool tekho_radio_distance2_to(const struct tekho_radio *m, const struct tekho_radio_ms *r, uint32_t node,
                              double *d2);

#endif
