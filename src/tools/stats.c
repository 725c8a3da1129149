/* Statistics over replications (stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double stats_t975(unsigned df)
{
    static const double table[31] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                     2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                                     2.074,  2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df == 0)
        return INFINITY;
    if (df <= 30)
        return table[df];
    /* Cornish-Fisher expansion about the normal quantile: within 1e-3 from 30 on. */
    const double z = 1.959963984540054, n = (double)df;
    return z + (z * z * z + z) / (4 * n) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

struct ci95 stats_mean_ci(const double *x, size_t n)
{
    struct ci95 c = {0};
    if (n == 0)
        return c;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    c.value = c.lo = c.hi = sum / (double)n;
    if (n < 2)
        return c;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - c.value) * (x[i] - c.value);
    const double half = stats_t975((unsigned)(n - 1)) * sqrt(ss / (double)(n - 1) / (double)n);
    c.lo = c.value - half;
    c.hi = c.value + half;
    c.valid = true;
    return c;
}

double stats_percentile(const double *s, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return s[rank - 1];
}

/* How many of sorted s[0..n) are <= x. */
static size_t count_le(const double *s, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (s[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The nearest-rank q-quantile of the multiset in which replication r
 * appears weight[r] times, found among the pooled values all[0..N). */
static double weighted_quantile(const double *const *rep, const size_t *n, const unsigned *weight, size_t R,
                                const double *all, size_t N, double q)
{
    size_t total = 0;
    for (size_t r = 0; r < R; r++)
        total += weight[r] * n[r];
    if (total == 0)
        return 0;
    size_t rank = (size_t)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    /* The smallest pooled value with at least `rank` of the multiset at or below it. */
    size_t lo = 0, hi = N - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        size_t below = 0;
        for (size_t r = 0; r < R; r++)
            if (weight[r])
                below += weight[r] * count_le(rep[r], n[r], all[mid]);
        if (below >= rank)
            hi = mid;
        else
            lo = mid + 1;
    }
    return all[lo];
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

bool stats_pooled_quantile_ci(const double *const *rep, const size_t *n, size_t R, double q, unsigned resamples,
                              uint64_t seed, struct ci95 *out)
{
    memset(out, 0, sizeof *out);
    size_t N = 0;
    for (size_t r = 0; r < R; r++)
        N += n[r];
    if (N == 0)
        return true;
    double *all = malloc(N * sizeof *all);
    unsigned *weight = calloc(R, sizeof *weight);
    double *boot = resamples ? malloc(resamples * sizeof *boot) : NULL;
    if (all == NULL || weight == NULL || (resamples && boot == NULL)) {
        free(all);
        free(weight);
        free(boot);
        return false;
    }
    size_t at = 0;
    for (size_t r = 0; r < R; r++) {
        memcpy(all + at, rep[r], n[r] * sizeof *all);
        at += n[r];
    }
    qsort(all, N, sizeof *all, cmp_double);
    out->value = out->lo = out->hi = stats_percentile(all, N, q);
    if (R >= 2 && resamples > 0) {
        uint64_t state = seed;
        for (unsigned b = 0; b < resamples; b++) {
            memset(weight, 0, R * sizeof *weight);
            for (size_t r = 0; r < R; r++)
                weight[splitmix(&state) % R]++;
            boot[b] = weighted_quantile(rep, n, weight, R, all, N, q);
        }
        qsort(boot, resamples, sizeof *boot, cmp_double);
        out->lo = stats_percentile(boot, resamples, 0.025);
        out->hi = stats_percentile(boot, resamples, 0.975);
        out->valid = true;
    }
    free(all);
    free(weight);
    free(boot);
    return true;
}
