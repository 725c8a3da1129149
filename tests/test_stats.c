/* The statistics of tekho sim's replications (src/tools/stats.c): t
 * quantiles, the t interval of a mean, nearest-rank percentiles, and the
 * bootstrap over replications of a pooled percentile. */
#include <math.h>
#include <stdio.h>

#include "stats.h"
#include "test_util.h"

static void test_t(void)
{
    CHECK(fabs(stats_t975(1) - 12.706) < 1e-9);
    CHECK(fabs(stats_t975(9) - 2.262) < 1e-9);
    CHECK(fabs(stats_t975(30) - 2.042) < 1e-9);
    /* Past the table: the expansion, continuous with it and tending to 1.96. */
    CHECK(fabs(stats_t975(31) - 2.040) < 2e-3);
    CHECK(fabs(stats_t975(120) - 1.980) < 2e-3);
    CHECK(fabs(stats_t975(100000) - 1.960) < 1e-3);
    CHECK(isinf(stats_t975(0)));
}

static void test_mean(void)
{
    /* 1..5: mean 3, s = sqrt(2.5), half width t(4) s / sqrt 5 = 2.776 * 0.7071. */
    const double x[] = {1, 2, 3, 4, 5};
    const struct ci95 c = stats_mean_ci(x, 5);
    CHECK(c.valid && fabs(c.value - 3) < 1e-12);
    CHECK(fabs(c.hi - c.value - 2.776 * sqrt(0.5)) < 1e-9 && fabs(c.value - c.lo - 2.776 * sqrt(0.5)) < 1e-9);
    const struct ci95 one = stats_mean_ci(x, 1);
    CHECK(!one.valid && one.value == 1);
}

static void test_percentile(void)
{
    const double s[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(stats_percentile(s, 10, 0.5) == 5);
    CHECK(stats_percentile(s, 10, 0.99) == 10);
    CHECK(stats_percentile(s, 10, 0.01) == 1);
    CHECK(stats_percentile(s, 0, 0.5) == 0);
}

static void test_bootstrap(void)
{
    /* Replications that differ: their medians are 10, 20, 30, 40; the
     * pooled median is 20 (rank 4 of 8). A resample's median is 10 when
     * it holds r0 twice or more (26 %) and 40 when it holds r3 three
     * times or more (5.1 %, above 2.5 %): the interval is [10, 40], from
     * a seed, the same every time. */
    const double r0[] = {10, 10}, r1[] = {20, 20}, r2[] = {30, 30}, r3[] = {40, 40};
    const double *rep[] = {r0, r1, r2, r3};
    const size_t n[] = {2, 2, 2, 2};
    struct ci95 a, b;
    CHECK(stats_pooled_quantile_ci(rep, n, 4, 0.5, 1000, 42, &a));
    CHECK(a.valid && a.value == 20 && a.lo == 10 && a.hi == 40);
    CHECK(stats_pooled_quantile_ci(rep, n, 4, 0.5, 1000, 42, &b));
    CHECK(b.lo == a.lo && b.hi == a.hi);
    /* Replications alike: no spread, a point interval. */
    const double *same[] = {r1, r1, r1};
    CHECK(stats_pooled_quantile_ci(same, n, 3, 0.99, 500, 7, &a));
    CHECK(a.valid && a.value == 20 && a.lo == 20 && a.hi == 20);
    /* One replication: the value, no interval. */
    CHECK(stats_pooled_quantile_ci(rep, n, 1, 0.5, 1000, 42, &a));
    CHECK(!a.valid && a.value == 10);
}

int main(void)
{
    test_t();
    test_mean();
    test_percentile();
    test_bootstrap();
    return test_summary("test_stats");
}
