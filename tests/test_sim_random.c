/* The emulator's random streams and radio arithmetic (src/sim/sim_random.h):
 * the ziggurat's normals against the normal distribution, the series log10
 * against libm's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_random.h"
#include "test_util.h"

/* The standard normal CDF. */
static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void test_normal_distribution(void)
{
    struct sim_normal_table table;
    sim_normal_table_init(&table);
    /* The table's own geometry: layer edges fall from the tail start to 0,
     * and the densities rise to 1 at the top. */
    CHECK(fabs(table.width[SIM_ZIGGURAT_LAYERS - 1] * 2147483648.0 - 3.442619855899) < 1e-9);
    CHECK(table.density[0] == 1.0);
    for (int i = 1; i < SIM_ZIGGURAT_LAYERS; i++)
        CHECK(table.density[i] < table.density[i - 1]);

    struct sim_rng rng;
    sim_rng_seed(&rng, 42);
    enum { N = 2000000 };
    /* Counts in bins of the CDF at these cut points, against Phi: a chi^2
     * test with 11 degrees of freedom, plus the far tails and the moments. */
    static const double cuts[] = {-3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0};
    enum { BINS = sizeof cuts / sizeof cuts[0] + 1 };
    unsigned long count[BINS] = {0};
    unsigned long beyond_4 = 0;
    double sum = 0, sum2 = 0, sum4 = 0;
    for (int n = 0; n < N; n++) {
        const double x = sim_normal(&table, &rng);
        sum += x;
        sum2 += x * x;
        sum4 += x * x * x * x;
        beyond_4 += fabs(x) > 4.0;
        int b = 0;
        while (b < BINS - 1 && x >= cuts[b])
            b++;
        count[b]++;
    }
    double chi2 = 0;
    for (int b = 0; b < BINS; b++) {
        const double lo = b == 0 ? 0 : phi(cuts[b - 1]), hi = b == BINS - 1 ? 1 : phi(cuts[b]);
        const double expected = N * (hi - lo);
        chi2 += (count[b] - expected) * (count[b] - expected) / expected;
    }
    /* 11 degrees of freedom: P(chi2 > 31.3) = 0.001. */
    CHECK(chi2 < 31.3);
    const double mean = sum / N, var = sum2 / N - mean * mean, kurtosis = sum4 / N / (var * var);
    CHECK(fabs(mean) < 0.004);       /* 5.6 standard errors of the mean */
    CHECK(fabs(var - 1) < 0.006);    /* about 6 standard errors */
    CHECK(fabs(kurtosis - 3) < 0.03);
    /* P(|x| > 4) = 6.3e-5: about 127 of 2e6; the tail code must produce them. */
    CHECK(beyond_4 > 80 && beyond_4 < 180);
    fprintf(stderr, "normal: chi2 %.1f mean %.5f var %.5f kurtosis %.4f beyond 4: %lu\n", chi2, mean, var,
            kurtosis, beyond_4);

    /* A seed gives the same stream. */
    struct sim_rng a, b;
    sim_rng_seed(&a, 7);
    sim_rng_seed(&b, 7);
    for (int n = 0; n < 1000; n++)
        CHECK(sim_normal(&table, &a) == sim_normal(&table, &b));
}

static void test_log10(void)
{
    /* Every decade the radio model meets (squared distances in km^2, from
     * 35 m to hundreds of km) and more, at exact powers of ten and between. */
    double worst = 0;
    for (double x = 1e-6; x < 1e9; x *= 1.0009765625) {
        const double err = fabs(sim_log10(x) - log10(x));
        if (err > worst)
            worst = err;
    }
    CHECK(worst < 1e-11);
    for (int e = -6; e <= 9; e++)
        CHECK(fabs(sim_log10(pow(10, e)) - e) < 1e-11);
    CHECK(sim_log10(1.0) == 0.0);
    fprintf(stderr, "log10: worst error %.3g\n", worst);
}

int main(void)
{
    test_normal_distribution();
    test_log10();
    return test_summary("test_sim_random");
}
