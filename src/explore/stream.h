/* Internal to the explorer: the decision stream. Every choice is one byte
 * (or two) read from it; generating, the byte is drawn from a seeded
 * generator with the distribution the caller asks for and recorded;
 * replaying, it is read back, and past the end it is 0. Zero is always the
 * benign choice, and a smaller byte a simpler one, so shrinking the bytes
 * shrinks the run. */
#ifndef TEKHO_SRC_EXPLORE_STREAM_H
#define TEKHO_SRC_EXPLORE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sim/sim_random.h"

struct xp_stream {
    bool generate;
    struct sim_rng rng;      /* generating */
    const uint8_t *in;       /* replaying */
    size_t in_len;
    uint8_t *rec;            /* the bytes read so far */
    size_t pos, cap;
    bool oom;                /* recording ran out of memory */
};

void tekho_xs_init_generate(struct xp_stream *s, uint64_t seed);
void tekho_xs_init_replay(struct xp_stream *s, const uint8_t *bytes, size_t len);
void tekho_xs_free(struct xp_stream *s);

/* The next byte: `generated` when generating, else the input's (0 past its end). */
uint8_t tekho_xs_byte(struct xp_stream *s, uint8_t generated);

/* Uniform on [0, n), n <= 256. */
static inline unsigned xs_pick(struct xp_stream *s, unsigned n)
{
    if (n <= 1)
        return 0;
    const uint8_t g = s->generate ? (uint8_t)(sim_rng_next32(&s->rng) % n) : 0;
    return tekho_xs_byte(s, g) % n;
}

/* 0 (benign) but with probability per_mille/1000, then uniform on [1, n). */
static inline unsigned xs_rare(struct xp_stream *s, unsigned n, unsigned per_mille)
{
    if (n <= 1)
        return 0;
    uint8_t g = 0;
    if (s->generate && sim_rng_next32(&s->rng) % 1000 < per_mille)
        g = (uint8_t)(1 + sim_rng_next32(&s->rng) % (n - 1));
    return tekho_xs_byte(s, g) % n;
}

/* By weights (w[0] is the benign choice's), n <= 256. */
static inline unsigned xs_weighted(struct xp_stream *s, const uint16_t *w, unsigned n)
{
    uint8_t g = 0;
    if (s->generate) {
        uint32_t total = 0;
        for (unsigned i = 0; i < n; i++)
            total += w[i];
        uint32_t x = total ? sim_rng_next32(&s->rng) % total : 0;
        unsigned i = 0;
        while (i + 1 < n && x >= w[i])
            x -= w[i++];
        g = (uint8_t)i;
    }
    return tekho_xs_byte(s, g) % n;
}

/* Two bytes, uniform on [0, n), n <= 65536. */
static inline unsigned xs_pick16(struct xp_stream *s, unsigned n)
{
    if (n <= 1)
        return 0;
    const uint32_t g = s->generate ? sim_rng_next32(&s->rng) % n : 0;
    const unsigned hi = tekho_xs_byte(s, (uint8_t)(g >> 8)), lo = tekho_xs_byte(s, (uint8_t)g);
    return (hi << 8 | lo) % n;
}

#endif
