/* Statistics over the emulator's replications: means with t intervals
 * over replication means, percentiles of the pooled samples with
 * bootstrap intervals that resample whole replications (handovers of one
 * run share its mobility and radio), and paired differences. All pure
 * functions; the bootstrap's draws come from a seed, so a report is
 * reproducible. */
#ifndef TEKHO_TOOLS_STATS_H
#define TEKHO_TOOLS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value and its 95 % confidence interval (valid false: no interval,
 * e.g. from a single replication). */
struct ci95 {
    double value, lo, hi;
    bool valid;
};

/* The 97.5 % quantile of Student's t with df degrees of freedom (df >= 1). */
double stats_t975(unsigned df);

/* Mean of x[0..n) and its t interval (n >= 2 for an interval). */
struct ci95 stats_mean_ci(const double *x, size_t n);

/* Nearest-rank q-quantile of sorted s[0..n) (0 if n is 0). */
double stats_percentile(const double *s, size_t n, double q);

/* The q-quantile of the samples of R replications pooled (each rep[r]
 * sorted, n[r] long), with a percentile-bootstrap interval over
 * `resamples` resamples of the R replications with replacement, drawn
 * from `seed`. Fewer than 2 replications, or no samples: no interval.
 * Returns false if memory ran out (then *out is the point value only). */
bool stats_pooled_quantile_ci(const double *const *rep, const size_t *n, size_t R, double q, unsigned resamples,
                              uint64_t seed, struct ci95 *out);

#endif
