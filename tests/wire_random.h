/* A fixed-seed generator for property tests of the codecs. */
#ifndef TEKHO_TEST_WIRE_RANDOM_H
#define TEKHO_TEST_WIRE_RANDOM_H

#include <stdint.h>
#include <stddef.h>

struct rnd {
    uint64_t s;
};

static inline uint32_t rnd_u32(struct rnd *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 16);
}

static inline uint32_t rnd_below(struct rnd *r, uint32_t n)
{
    return n ? rnd_u32(r) % n : 0;
}

static inline int rnd_bool(struct rnd *r)
{
    return (int)(rnd_u32(r) & 1);
}

static inline void rnd_bytes(struct rnd *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd_u32(r);
}

#endif
