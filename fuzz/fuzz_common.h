/* Shared by the fuzz targets: a decoder that accepts an input must produce
 * a message whose encoding decodes to the same encoding again
 * (decode -> encode -> decode -> encode is a fixed point). */
#ifndef TEKHO_FUZZ_COMMON_H
#define TEKHO_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)        \
    do {                         \
        if (!(cond))             \
            __builtin_trap();    \
    } while (0)

/* Copies the input to a heap block of exactly its size, so ASan catches
 * any read past the end. */
static inline uint8_t *fuzz_exact_copy(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

/* For a codec with struct type T: decode the input; if accepted, encode it,
 * decode that and encode again; the two encodings must be identical. */
#define FUZZ_ROUND_TRIP(T, decode, encode, data, size)                                   \
    do {                                                                                 \
        uint8_t *in_ = fuzz_exact_copy((data), (size));                                  \
        T m1_, m2_;                                                                      \
        if (in_ && decode(in_, (size), &m1_) == TEKHO_OK) {                              \
            static uint8_t a_[4096], b_[4096];                                           \
            size_t na_ = 0, nb_ = 0;                                                     \
            FUZZ_ASSERT(encode(&m1_, a_, sizeof a_, &na_) == TEKHO_OK);                  \
            FUZZ_ASSERT(decode(a_, na_, &m2_) == TEKHO_OK);                              \
            FUZZ_ASSERT(encode(&m2_, b_, sizeof b_, &nb_) == TEKHO_OK);                  \
            FUZZ_ASSERT(na_ == nb_ && memcmp(a_, b_, na_) == 0);                         \
        }                                                                                \
        free(in_);                                                                       \
    } while (0)

#endif
