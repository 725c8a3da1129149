#include "sim_random.h"

#include <math.h>

uint64_t tekho_sim_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

void tekho_sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = tekho_sim_splitmix(&seed);
    r->half = 0;
    r->have_half = false;
}

uint64_t tekho_sim_hash(uint64_t seed, enum sim_purpose purpose, uint64_t a, uint64_t b)
{
    /* Each argument folded into the state, then mixed through the splitmix
     * finaliser, so nearby arguments give unrelated values. */
    uint64_t x = seed;
    uint64_t h = tekho_sim_splitmix(&x);
    x = h ^ ((uint64_t)purpose << 56 | 0x70757270u);
    h = tekho_sim_splitmix(&x);
    x = h ^ a;
    h = tekho_sim_splitmix(&x);
    x = h ^ b;
    return tekho_sim_splitmix(&x);
}

void tekho_sim_rng_stream(struct sim_rng *r, uint64_t seed, enum sim_purpose purpose, uint64_t entity)
{
    tekho_sim_rng_seed(r, tekho_sim_hash(seed, purpose, entity, 0x73747265616du));
}

/* Where the tail starts and the area of each layer, for 128 layers
 * (Marsaglia and Tsang 2000, section 3). */
#define ZIGGURAT_TAIL 3.442619855899
#define ZIGGURAT_AREA 9.91256303526217e-3

void tekho_sim_normal_table_init(struct sim_normal_table *t)
{
    const int top = SIM_ZIGGURAT_LAYERS - 1;
    double x = ZIGGURAT_TAIL, outer = ZIGGURAT_TAIL;
    /* The base layer is a rectangle of width q plus the tail beyond x. */
    const double q = ZIGGURAT_AREA / exp(-0.5 * x * x);
    t->inside[0] = (uint32_t)(x / q * SIM_ZIGGURAT_SCALE);
    t->inside[1] = 0;
    t->width[0] = q / SIM_ZIGGURAT_SCALE;
    t->width[top] = x / SIM_ZIGGURAT_SCALE;
    t->density[0] = 1.0;
    t->density[top] = exp(-0.5 * x * x);
    /* Each layer up has the same area: its edge x solves x (f(x) - f(outer)) = area. */
    for (int i = top - 1; i >= 1; i--) {
        x = sqrt(-2 * log(ZIGGURAT_AREA / x + exp(-0.5 * x * x)));
        t->inside[i + 1] = (uint32_t)(x / outer * SIM_ZIGGURAT_SCALE);
        outer = x;
        t->density[i] = exp(-0.5 * x * x);
        t->width[i] = x / SIM_ZIGGURAT_SCALE;
    }
}

/* Uniform on (0, 1): never 0, so its log is finite. */
static double open_unit(struct sim_rng *r)
{
    return ((double)(sim_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double tekho_sim_normal_slow(const struct sim_normal_table *t, struct sim_rng *r, uint32_t draw)
{
    for (;;) {
        const int32_t abscissa = sim_ziggurat_abscissa(draw);
        const unsigned layer = draw & (SIM_ZIGGURAT_LAYERS - 1);
        const uint32_t magnitude = (uint32_t)(abscissa < 0 ? -abscissa : abscissa);
        const double x = abscissa * t->width[layer];
        if (magnitude < t->inside[layer])
            return x;
        if (layer == 0) {
            /* Beyond the tail start: Marsaglia's exponential rejection (1964). */
            double tx, ty;
            do {
                tx = -log(open_unit(r)) / ZIGGURAT_TAIL;
                ty = -log(open_unit(r));
            } while (ty + ty < tx * tx);
            return abscissa > 0 ? ZIGGURAT_TAIL + tx : -ZIGGURAT_TAIL - tx;
        }
        /* In the wedge between the rectangle and the curve: accept under the curve. */
        const double below = t->density[layer], above = t->density[layer - 1];
        if (below + sim_rng_unit(r) * (above - below) < exp(-0.5 * x * x))
            return x;
        draw = sim_rng_next32(r);
    }
}
