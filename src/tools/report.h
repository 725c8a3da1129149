/* The emulator's report: report.md and index.html with the comparison
 * table, the run's parameters, gnuplot plots and mscgen charts. */
#ifndef TEKHO_TOOLS_REPORT_H
#define TEKHO_TOOLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tekho/sim.h"

/* ITU-R M.2134's intra-frequency handover interruption limit. */
#define M2134_LIMIT_MS 27.5

/* "ul": {...}, "dl": {...}, "union": {...} (the members, not the braces
 * around them), each with n, censored, censored_at_end, min, p50, p99,
 * max, mean. */
void report_interruption_json(FILE *f, const struct tekho_sim_interruption x[TEKHO_SIM_DIRECTIONS]);

/* One scheme: the measured run and, on the same seed, the run under
 * ITU-R M.2134's assumptions (tekho_sim_params_m2134). */
struct report_run {
    enum tekho_scheme scheme;
    struct tekho_sim_stats st;     /* the measured run */
    double *samples;               /* its interruption samples (union), sorted */
    size_t n_samples;
    struct tekho_sim_interruption m2134[TEKHO_SIM_DIRECTIONS]; /* the M.2134 run's interruption */
    double *m2134_samples;         /* its samples (union), sorted; NULL if it was not run */
    size_t n_m2134_samples;
    unsigned long m2134_completed, m2134_events; /* the M.2134 run's work, for the speed figures */
    double wall_s;                 /* both runs */
};

/* p99 and mean interruption (union) of each scheme at each backbone latency. */
struct report_backbone {
    unsigned latency_us;
    double p99_ms[TEKHO_SCHEME_COUNT];
    double mean_ms[TEKHO_SCHEME_COUNT];
};

struct report {
    const char *dir;
    const struct tekho_sim_params *params;
    unsigned duration_s;
    const struct report_run *runs;
    size_t n_runs;
    const struct report_backbone *backbone;
    size_t n_backbone;
    bool pcap;
};

/* One emulator run of p->scheme (in cmd_sim.c), the measured one only;
 * free with report_run_free. A progress bar on stderr if asked. */
tekho_err run_one(const struct tekho_sim_params *p, unsigned duration, bool progress, struct report_run *out);
/* The measured run, then the M.2134 run of the same parameters. */
tekho_err run_scheme(const struct tekho_sim_params *p, unsigned duration, bool progress, struct report_run *out);
void report_run_free(struct report_run *r);
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

/* Runs a gnuplot script in dir (appending it to dir/plots.gp); false if
 * gnuplot is missing or fails. */
bool report_gnuplot(const char *dir, const char *script);

/* Writes everything into r->dir; what an external tool (gnuplot, mscgen)
 * could not draw is said in the report. Returns 0, or -1 if dir cannot be written. */
int report_write(const struct report *r);

#endif
