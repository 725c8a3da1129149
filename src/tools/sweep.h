/* tekho sweep's grid, its CSV, its manifest and its plots, shared by a run
 * (cmd_sweep.c) and by tekho sweep merge (sweep_merge.c), so that merged
 * shards and one unsharded run write the same files by the same code.
 *
 * A sweep's --report directory holds sweep.csv (a header, then one row per
 * point and scheme, points in grid order) and sweep.manifest, written once
 * sweep.csv is complete:
 *
 *     tekho sweep manifest 1
 *     version 0.1.0                       tekho's version
 *     grid topology=hex:7 ms=10 ...       what every point shares: the options
 *                                         and every model parameter not swept
 *     schemes none,counter
 *     axis backbone-us 1000,20000         one line per axis, in grid order
 *     axis window 0,2
 *     points 4                            the grid's points
 *     shard 2/3                           I/N: 1/1 for a whole grid
 *     held 2                              the points in sweep.csv, numbered
 *                                         1..points in grid order ("none")
 *
 * Shard I of N holds the points p (numbered from 1) with (p - 1) mod N =
 * I - 1: interleaved, so each shard gets every axis's values and the shards
 * take about as long whichever parameter makes a point slow. With N = 1
 * (no --shard) the directory also holds the plots, drawn from sweep.csv's
 * rows by sweep_plots; tekho sweep merge writes the same three kinds of
 * files from the shards' rows. */
#ifndef TEKHO_TOOLS_SWEEP_H
#define TEKHO_TOOLS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"
#include "tekho/sim.h"

#define SWEEP_MAX_AXES 4
#define SWEEP_MAX_VALUES 16
#define SWEEP_MAX_POINTS 256

struct sweep_axis {
    const struct model_param *param;
    double values[SWEEP_MAX_VALUES];
    size_t n;
};

struct sweep_grid {
    struct sweep_axis axes[SWEEP_MAX_AXES];
    size_t n_axes;
    enum tekho_scheme schemes[TEKHO_SCHEME_COUNT];
    size_t n_schemes;
    size_t stride[SWEEP_MAX_AXES]; /* points per step of each axis (row-major: the last axis fastest) */
    size_t n_points;
    char fixed[2048];              /* the manifest's grid line, after "grid " */
};

/* Sets g's strides and number of points from its axes; false if the grid
 * has more than SWEEP_MAX_POINTS. */
bool sweep_grid_layout(struct sweep_grid *g);
/* Point pt's (0-based) index into each axis's values. */
void sweep_point_at(const struct sweep_grid *g, size_t pt, size_t at[SWEEP_MAX_AXES]);
/* Whether point pt (0-based) is in shard index of count (1-based). */
bool sweep_in_shard(size_t pt, unsigned index, unsigned count);
/* Fills g->fixed from the parameters every point shares (base, whose
 * swept parameters are ignored) and the run's options. */
void sweep_grid_fixed(struct sweep_grid *g, const struct tekho_sim_params *base, unsigned duration, size_t R,
                      bool ideal);

/* sweep.csv's header line, newline included. */
void sweep_csv_header(FILE *f, const struct sweep_grid *g);

/* DIR/sweep.manifest for shard index/count of g, written to a temporary
 * file and renamed into place; 0, or -1 with why. */
int sweep_manifest_write(const char *dir, const struct sweep_grid *g, unsigned index, unsigned count, char *why,
                         size_t cap);
/* Removes DIR/sweep.manifest if there is one (a run about to rewrite
 * sweep.csv). */
void sweep_manifest_remove(const char *dir);

struct sweep_manifest {
    struct sweep_grid g;
    unsigned index, count;
    char version[64];
};
/* Reads and checks DIR/sweep.manifest; 0, or -1 with why ("DIR: no
 * sweep.manifest: ..."). */
int sweep_manifest_read(const char *dir, struct sweep_manifest *m, char *why, size_t cap);
/* Whether b describes the same grid as a (version, grid line, schemes,
 * axes); if not, why names the first difference, with the directories. */
bool sweep_manifest_same_grid(const struct sweep_manifest *a, const char *dir_a, const struct sweep_manifest *b,
                              const char *dir_b, char *why, size_t cap);

/* Reads DIR/sweep.csv of shard index/count of g and checks it: the header
 * g's, a row for every point of the shard and every scheme, in order, each
 * with the point's values and the scheme, and no other line. Sets
 * rows[pt * n_schemes + k] (the row without its newline, malloc'd) for
 * those points; 0, or -1 with why (the rows set so far are the caller's to
 * free). */
int sweep_csv_read(const char *dir, const struct sweep_grid *g, unsigned index, unsigned count, char **rows,
                   char *why, size_t cap);

/* The union p99 against each swept parameter (DIR/sweep_PARAM.dat, and
 * its plot through gnuplot, whose scripts go to DIR/plots.gp), from the
 * rows of every point; a missing gnuplot is a warning on stderr from
 * "tekho CMD". */
void sweep_plots(const char *dir, const struct sweep_grid *g, char *const *rows, const char *cmd);

/* tekho sweep merge DIR... --report OUT (sweep_merge.c), and its usage
 * (tekho sweep --help prints it after the sweep's own). */
int sweep_merge(int argc, char **argv);
void sweep_merge_usage(FILE *to);

#endif
