/* The emulator's report: report.md and index.html with the comparison
 * table, the run's parameters, gnuplot plots and mscgen charts. */
#ifndef TEKHO_TOOLS_REPORT_H
#define TEKHO_TOOLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "stats.h"
#include "tekho/sim.h"

/* A model parameter `tekho sim --topology` takes as --NAME N and `tekho
 * sweep` as --NAME N or as an axis NAME=v1,v2 (model_params.c). */
struct model_param {
    const char *name;
    const char *label; /* plot axis */
    double min, max;
    bool real;         /* takes decimals; else an integer */
    bool timing;       /* a struct tekho_timing member: a scenario (tekho sim --scenario) takes it too */
    const char *help;
    void (*apply)(struct tekho_sim_params *p, double v);
    double (*value)(const struct tekho_sim_params *p); /* in the command line's unit */
};
extern const struct model_param MODEL_PARAMS[];
extern const size_t N_MODEL_PARAMS;
/* The parameter called name[0..len), or NULL. */
const struct model_param *model_param_find(const char *name, size_t len);
/* A value as the command line takes it ("1000", "0.25"). */
void model_param_format(char *buf, size_t cap, double v);
/* text as mp's value: 0, or -1 if it is not one (not a number, decimals
 * where an integer is due, out of range). */
int model_param_parse(const struct model_param *mp, const char *text, double *v);
/* Appends every model parameter to opts[n..cap) as an option (a timing
 * one in every mode, the others in other_modes with hint); the new n. */
struct cli_opt;
size_t model_params_opts(struct cli_opt *opts, size_t n, size_t cap, unsigned other_modes, const char *hint);

/* ITU-R M.2134's intra-frequency handover interruption limit. */
#define M2134_LIMIT_MS 27.5

/* An interruption's mean, p50 and p99 with their 95 % intervals. */
struct report_interruption_ci {
    struct ci95 mean, p50, p99;
};

/* "ul": {...}, "dl": {...}, "union": {...} (the members, not the braces
 * around them), each with n, censored, censored_at_end, min, p50, p99,
 * max, mean; with ci (not NULL) also p50_ci95, p99_ci95 and mean_ci95,
 * [low, high] or null. */
void report_interruption_json(FILE *f, const struct tekho_sim_interruption x[TEKHO_SIM_DIRECTIONS],
                              const struct report_interruption_ci *ci);
void report_ci_json(FILE *f, const struct ci95 *c); /* [low, high] or null */

/* One replication of one scheme: the measured run and, on the same seed,
 * the run under ITU-R M.2134's assumptions (tekho_sim_params_m2134). */
struct rep_result {
    struct tekho_sim_stats st;
    double *samples[TEKHO_SIM_DIRECTIONS];       /* sorted */
    size_t n[TEKHO_SIM_DIRECTIONS];
    struct tekho_sim_interruption m2134[TEKHO_SIM_DIRECTIONS];
    double *m2134_samples[TEKHO_SIM_DIRECTIONS]; /* sorted; NULL if not run */
    size_t n_m2134[TEKHO_SIM_DIRECTIONS];
    unsigned long m2134_completed, m2134_events;
    /* The thread time of each run (the M.2134 run is a job of its own:
     * the two of a replication run at once on two jobs). */
    double wall_s, m2134_wall_s;
};

/* Paired differences against counter (same seeds: common random numbers). */
enum { DIFF_UNION_MEAN, DIFF_UNION_P50, DIFF_UNION_P99, DIFF_M2134_P99, N_DIFFS };

/* One scheme over every replication (seeds seed .. seed + R - 1): the
 * counters summed, the interruptions over the pooled samples, and the
 * intervals. */
struct report_run {
    enum tekho_scheme scheme;
    struct tekho_sim_stats st;     /* the measured runs */
    double *samples;               /* their interruption samples (union), pooled and sorted */
    size_t n_samples;
    struct tekho_sim_interruption m2134[TEKHO_SIM_DIRECTIONS]; /* the M.2134 runs' interruption */
    double *m2134_samples;         /* their samples (union), pooled and sorted; NULL if not run */
    size_t n_m2134_samples;
    unsigned long m2134_completed, m2134_events; /* the M.2134 runs' work, for the speed figures */
    double wall_s;                 /* every run */
    size_t n_reps;
    struct rep_result *reps;
    struct report_interruption_ci ci[TEKHO_SIM_DIRECTIONS], m2134_ci[TEKHO_SIM_DIRECTIONS];
    double model[TEKHO_SIM_DIRECTIONS], m2134_model[TEKHO_SIM_DIRECTIONS]; /* tekho_sim_model, nominal */
    bool paired;                   /* diff holds this scheme minus counter */
    struct ci95 diff[N_DIFFS];
};

/* Every scheme at each backbone latency: DL p50, union p50 and p99. */
struct report_backbone {
    unsigned latency_us;
    struct ci95 dl_p50[TEKHO_SCHEME_COUNT], union_p50[TEKHO_SCHEME_COUNT], union_p99[TEKHO_SCHEME_COUNT];
};

struct report {
    const char *dir;
    const char *command;    /* "sim": warnings name it */
    const struct tekho_sim_params *params;
    unsigned duration_s;
    size_t replications;
    const struct report_run *runs;
    size_t n_runs;
    const struct report_backbone *backbone;
    size_t n_backbone;
    const char *pcap_dir;   /* where tekho sim --pcap put one handover of each scheme, or NULL */
    /* runs[0]'s scheme on the same seeds and moves with shadowing off
     * (summed over the replications): the handovers geometry alone makes;
     * NULL if not run. */
    const struct tekho_sim_stats *no_shadowing;
};

/* Runs each of the n schemes R times (seeds p->seed + r), on `jobs`
 * threads, each replication the measured run and (with m2134) the run
 * under M.2134's assumptions; then pools, sums and computes the
 * intervals, and the differences against counter if it is among them.
 * runs[k] is schemes[k]'s (free each with report_run_free). A progress
 * line on stderr if asked. Errors: no memory, and the runs'. */
tekho_err emulate_schemes(const struct tekho_sim_params *p, const enum tekho_scheme *schemes, size_t n,
                          unsigned duration, size_t R, unsigned jobs, bool m2134, bool progress,
                          struct report_run *runs);
void report_run_free(struct report_run *r);
/* emulate_schemes' work at each of n_points points of a grid, every
 * (point, scheme, replication) one job of one pool of `jobs` threads, so
 * the threads stay busy from one point to the next (tekho sweep). point()
 * gives point i's parameters (its seed is the replications' first, as p's
 * in emulate_schemes); done() receives point i's parameters and runs, on
 * the calling thread, in the order 0, 1, 2, ... as soon as that point and
 * every one before it are finished, while the threads go on with the next
 * ones (a few points at most are held); the runs are freed when it
 * returns, unless it moved them out (zeroing runs[k]). An error of done()
 * stops the grid and is returned. The figures are those emulate_schemes
 * gives each point alone, whatever `jobs` is. */
struct emulate_grid {
    size_t n_points;
    void (*point)(void *ctx, size_t i, struct tekho_sim_params *p);
    tekho_err (*done)(void *ctx, size_t i, const struct tekho_sim_params *p, struct report_run *runs);
    void *ctx;
};
tekho_err emulate_grid(const struct emulate_grid *g, const enum tekho_scheme *schemes, size_t n, unsigned duration,
                       size_t R, unsigned jobs, bool m2134, bool progress);
/* The cell-boundary crossings per MS per second a fluid-flow model
 * expects for p's grid and speed: (2 / pi) v L / A, L the length of the
 * boundaries between the grid's cells, A its area (MSs spread evenly and
 * moving in every direction alike). */
double report_fluid_flow_rate(const struct tekho_sim_params *p);
/* The M.2134 verdict of a run_scheme result: "within" if the 99th
 * percentile of the M.2134 interruption (union) is at most M2134_LIMIT_MS,
 * a handover that never resumed (other than one the run's end cut off)
 * counting as longer than any; else "over"; "n/a" with no handover. */
const char *report_m2134_verdict(const struct report_run *r);
/* That 99th percentile, ms (INFINITY when censored handovers reach it). */
double report_m2134_p99(const struct report_run *r);
/* The emulator's parameters for --topology hex:N and --schemes A,B (NULL:
 * all), for cmd (whose name a usage error carries). Returns -1 to go on,
 * or the exit status after a one-line usage error. */
struct cli_cmd;
int emulator_params(const struct cli_cmd *cmd, const char *topology, const char *schemes, unsigned n_ms,
                    uint64_t seed, struct tekho_sim_params *p, enum tekho_scheme *list, size_t *n_schemes);
/* The default number of threads for replications: the processors online. */
unsigned emulator_jobs(void);

/* Runs a gnuplot script in dir (appending it to dir/plots.gp); false if
 * gnuplot is missing or fails. */
bool report_gnuplot(const char *dir, const char *script);
/* Whether an executable called name is on $PATH. */
bool report_have_tool(const char *name);

/* Writes everything into r->dir; what an external tool (gnuplot, mscgen)
 * is missing for or could not draw is said in the report and, as a
 * warning, on stderr ("tekho COMMAND: ..."). Returns 0, or -1 with why
 * ("cannot write 'DIR/report.md': No space left on device") if a file
 * cannot be written. */
int report_write(const struct report *r, char *why, size_t cap);

/* Replayed or forged user PDUs delivered, (TEK, PN) pairs sealed twice and
 * handovers after which MS and BS held different TEKs: the failures of a
 * scheme's protection (meaningless for one that encrypts nothing). */
unsigned long report_insecure(const struct tekho_sim_stats *s);
/* part / whole, 0 when whole is 0. */
double report_share(unsigned long part, unsigned long whole);
/* The scheme names, in enum tekho_scheme's order, joined by sep. */
void scheme_list(char *buf, size_t cap, const char *sep);

/* tekho sim's outputs, which tekho sweep prints too (cmd_sim.c): a
 * scheme's result as JSON (scenario: NULL for the emulator; p and
 * duration: the emulator's), the emulator's parameters as a "params"
 * member, and the comparison table's legend, heading and rows. */
void sim_result_json(FILE *f, const char *scenario, uint64_t seed, const struct report_run *r,
                     const struct tekho_sim_params *p, unsigned duration);
void sim_params_json(FILE *f, const struct tekho_sim_params *p, unsigned duration, size_t R, bool ideal);
void sim_table_legend(FILE *f);
void sim_table_heading(FILE *f);
void sim_table_row(FILE *f, const struct report_run *r);

#endif
