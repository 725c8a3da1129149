/* Internal: the emulator's random streams and the arithmetic of its radio
 * model. At city scale (10^4 MSs, a measurement each every 50 ms) the
 * normal draws for shadowing and the log10 of path loss were over a third
 * of the run time, so both have fast paths here: the ziggurat for normals
 * (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
 * Variables", J. Stat. Software 5(8), 2000) and a series for log10. They
 * are deterministic: a seed gives the same run on every machine. */
#ifndef TEKHO_SRC_SIM_RANDOM_H
#define TEKHO_SRC_SIM_RANDOM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* xoshiro256** (Blackman and Vigna), seeded by splitmix64. */
struct sim_rng {
    uint64_t s[4];
    uint32_t half;  /* the unused half of the last 64-bit draw, for sim_rng_next32 */
    bool have_half;
};

void tekho_sim_rng_seed(struct sim_rng *r, uint64_t seed);
/* splitmix64: the next of a sequence of well-mixed values from one 64-bit state. */
uint64_t tekho_sim_splitmix(uint64_t *x);

/* Common random numbers: every purpose the emulator draws for has its own
 * source, derived from (seed, purpose[, entity]), so that the runs of two
 * schemes on one seed see the same moves, the same radio conditions and
 * the same losses, whatever else each scheme draws. Purposes whose draws
 * each scheme makes in the same order (mobility, shadowing, traffic) are
 * streams; those whose draws depend on what a scheme sends (air loss,
 * backbone delay and loss, a new link's shadowing) are keyed by what a
 * draw is about (the MS, the link, the frame, ...), so a scheme that
 * sends the same thing at the same time gets the same draw. */
enum sim_purpose {
    SIM_PURPOSE_MOBILITY = 1,  /* positions, waypoints */
    SIM_PURPOSE_SHADOWING,     /* the correlated shadowing of every candidate link, every measurement */
    SIM_PURPOSE_NEW_LINK,      /* the shadowing of a link that becomes a candidate: per MS, the n-th such link */
    SIM_PURPOSE_TRAFFIC,       /* entry times, packet phases */
    SIM_PURPOSE_AIR_LOSS,      /* per (MS, BS, direction, frame, class, k-th PDU of the class in that frame) */
    SIM_PURPOSE_BACKBONE,      /* delay and loss: per (link, MS, message type, send time) */
    SIM_PURPOSE_KEYS,          /* TEKs, nonces, BS_Random: the roles' random source */
    SIM_PURPOSE_ATTACKER,      /* forged PDUs */
    SIM_PURPOSE_HARQ,          /* HARQ: per air PDU (the air loss key) and attempt */
    SIM_PURPOSE_RANGING,       /* CDMA handover ranging: per (MS, target, frame of MOB_HO-IND, attempt) */
    SIM_PURPOSE_SYNC,          /* preamble search: per (MS, target, frame of MOB_HO-IND, frame searched) */
    SIM_PURPOSE_AAA,           /* AAA round trips: per (Authenticator slot, time, round trip) */
    SIM_PURPOSE_PROCESSING,    /* a management message's processing at its receiver: its loss key */
};

/* A well-mixed 64-bit value of (seed, purpose, a, b): a pure function, the
 * same in every run that asks for the same arguments. */
uint64_t tekho_sim_hash(uint64_t seed, enum sim_purpose purpose, uint64_t a, uint64_t b);
/* Seeds r as the stream of (seed, purpose, entity). */
void tekho_sim_rng_stream(struct sim_rng *r, uint64_t seed, enum sim_purpose purpose, uint64_t entity);
/* Uniform on [0, 1) from a hash value, 53 bits. */
static inline double sim_unit_of(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

static inline uint64_t sim_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
    const uint64_t result = sim_rotl(r->s[1] * 5, 7) * 9;
    const uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = sim_rotl(r->s[3], 45);
    return result;
}

/* 32 random bits: each 64-bit draw serves two calls. */
static inline uint32_t sim_rng_next32(struct sim_rng *r)
{
    if (r->have_half) {
        r->have_half = false;
        return r->half;
    }
    const uint64_t x = sim_rng_next(r);
    r->half = (uint32_t)(x >> 32);
    r->have_half = true;
    return (uint32_t)x;
}

/* Uniform on [0, 1), 53 bits. */
static inline double sim_rng_unit(struct sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* The ziggurat's 128 layers for the standard normal: a draw lands inside
 * its layer's rectangle (no function evaluation) about 98.8% of the time.
 * A draw is 32 bits: 7 pick the layer, 25 a signed abscissa (2^-24 of
 * the layer's width, far finer than any dB the model resolves), so one
 * 64-bit random number makes two normals. */
#define SIM_ZIGGURAT_LAYERS 128
#define SIM_ZIGGURAT_SCALE 16777216.0 /* 2^24: the abscissa's magnitude range */
struct sim_normal_table {
    uint32_t inside[SIM_ZIGGURAT_LAYERS]; /* |abscissa| below this: accept at once */
    double width[SIM_ZIGGURAT_LAYERS];    /* abscissa to x */
    double density[SIM_ZIGGURAT_LAYERS];  /* exp(-x^2/2) at each layer's edge */
};

void tekho_sim_normal_table_init(struct sim_normal_table *t);
/* The rare rest of a draw (wedges and tail); `draw` was rejected by the fast path. */
double tekho_sim_normal_slow(const struct sim_normal_table *t, struct sim_rng *r, uint32_t draw);

/* The signed abscissa of a 32-bit draw: its top 25 bits, uniform on [-2^24, 2^24). */
static inline int32_t sim_ziggurat_abscissa(uint32_t draw)
{
    return (int32_t)(draw >> 7) - (int32_t)16777216;
}

/* A standard normal draw. */
static inline double sim_normal(const struct sim_normal_table *t, struct sim_rng *r)
{
    const uint32_t draw = sim_rng_next32(r);
    const int32_t x = sim_ziggurat_abscissa(draw);
    const unsigned layer = draw & (SIM_ZIGGURAT_LAYERS - 1);
    const uint32_t magnitude = (uint32_t)(x < 0 ? -x : x);
    if (magnitude < t->inside[layer])
        return x * t->width[layer];
    return tekho_sim_normal_slow(t, r, draw);
}

/* log10(x) for normal, finite x > 0, within 1e-11 absolute: the binary
 * exponent, and ln of the mantissa (folded into [1/sqrt 2, sqrt 2]) by
 * the atanh series 2(t + t^3/3 + ... + t^11/11), t = (m-1)/(m+1), whose
 * first omitted term is below 2e-11 there. libm's log10 was 15% of a
 * city run. */
static inline double sim_log10(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint64_t mantissa = bits & 0x000FFFFFFFFFFFFFu;
    /* Folded without a branch (which direction it goes is a coin toss):
     * a mantissa above sqrt 2's halves m, exactly, by one less in the
     * exponent field. */
    const uint64_t above = mantissa > 0x6A09E667F3BCDu; /* m > 1.4142135623730951 (its mantissa) */
    const int exponent = (int)((bits >> 52) & 0x7FF) - 1023 + (int)above;
    bits = mantissa | (0x3FF0000000000000u - (above << 52));
    double m;
    memcpy(&m, &bits, sizeof m);
    const double t = (m - 1) / (m + 1), t2 = t * t;
    const double ln_m =
        2 * t * (1 + t2 * (1 / 3.0 + t2 * (1 / 5.0 + t2 * (1 / 7.0 + t2 * (1 / 9.0 + t2 * (1 / 11.0))))));
    return (exponent * 0.6931471805599453 + ln_m) * 0.4342944819032518;
}

#endif
