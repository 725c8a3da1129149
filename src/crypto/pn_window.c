/* PN replay window (IEEE 802.16-2009 7.5.1.2.4: "PN window"; profile
 * section 6). The bitmap layout follows WireGuard's counter.c: a ring of
 * 64-bit words cleared word by word as the highest PN advances. */
#include "tekho/tek.h"
#include "../mutation.h"

#include <stdlib.h>
#include <string.h>

#define WORD_BITS 64u

/* Ring words for a window of `size` PNs: the PNs from highest - size + 1 to
 * highest span at most ceil((size - 1) / 64) + 1 words, which
 * ceil(size / 64) + 1 covers (33 for 2,048, as the fixed ring had). Rounded
 * up to a power of two, so that a word's place is a mask. */
static uint16_t ring_words(uint16_t size)
{
    uint16_t need = (uint16_t)((size + WORD_BITS - 1) / WORD_BITS + 1);
    uint16_t words = 1;
    while (words < need)
        words = (uint16_t)(words * 2);
    return words;
}

static uint64_t *ring(struct tekho_pn_window *w)
{
    return w->words > TEKHO_PN_WINDOW_INLINE_WORDS ? w->ring.heap : w->ring.in;
}

static const uint64_t *ring_c(const struct tekho_pn_window *w)
{
    return w->words > TEKHO_PN_WINDOW_INLINE_WORDS ? w->ring.heap : w->ring.in;
}

tekho_err tekho_pn_window_init(struct tekho_pn_window *w, uint16_t size)
{
    if (w == NULL || size > TEKHO_PN_WINDOW_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(w, 0, sizeof *w);
    const uint16_t window = size ? size : (uint16_t)TEKHO_PN_WINDOW_DEFAULT;
    const uint16_t words = ring_words(window);
    if (words > TEKHO_PN_WINDOW_INLINE_WORDS && (w->ring.heap = calloc(words, sizeof(uint64_t))) == NULL)
        return TEKHO_ERR_NO_MEMORY;
    w->size = window;
    w->words = words;
    return TEKHO_OK;
}

void tekho_pn_window_cleanup(struct tekho_pn_window *w)
{
    if (w == NULL)
        return;
    if (w->words > TEKHO_PN_WINDOW_INLINE_WORDS)
        free(w->ring.heap);
    memset(w, 0, sizeof *w);
}

tekho_err tekho_pn_window_copy(struct tekho_pn_window *dst, const struct tekho_pn_window *src)
{
    if (dst == NULL || src == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (dst == src)
        return TEKHO_OK;
    struct tekho_pn_window fresh = *src;
    if (src->words > TEKHO_PN_WINDOW_INLINE_WORDS) {
        if ((fresh.ring.heap = malloc(src->words * sizeof(uint64_t))) == NULL)
            return TEKHO_ERR_NO_MEMORY;
        memcpy(fresh.ring.heap, src->ring.heap, src->words * sizeof(uint64_t));
    }
    tekho_pn_window_cleanup(dst);
    *dst = fresh;
    return TEKHO_OK;
}

static bool seen_bit(const struct tekho_pn_window *w, uint32_t pn)
{
    return (ring_c(w)[(pn / WORD_BITS) & (w->words - 1u)] >> (pn % WORD_BITS)) & 1u;
}

tekho_err tekho_pn_window_check(const struct tekho_pn_window *w, uint32_t pn)
{
    if (w == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (pn == 0 || pn > TEKHO_PN_COUNTER_MAX)
        return TEKHO_ERR_PN_INVALID;
    if (pn > w->highest)
        return TEKHO_OK;
    if (w->highest - pn >= w->size)
        return TEKHO_ERR_PN_BELOW_WINDOW;
#ifdef TEKHO_MUTATION_NO_REPLAY_WINDOW
    (void)seen_bit;
    return TEKHO_OK;
#else
    return seen_bit(w, pn) ? TEKHO_ERR_PN_REPLAYED : TEKHO_OK;
#endif
}

void tekho_pn_window_commit(struct tekho_pn_window *w, uint32_t pn)
{
    if (tekho_pn_window_check(w, pn) != TEKHO_OK)
        return;
    if (w->words == 0) {
        /* A zeroed window (size 0): only new highs are accepted, no bits kept. */
        w->highest = pn;
        return;
    }
    uint64_t *bits = ring(w);
    const uint32_t mask = w->words - 1u;
    if (pn > w->highest) {
        /* Clear the words the window slides into; a jump of a whole ring
         * or more clears everything. */
        uint32_t from_word = w->highest / WORD_BITS;
        uint32_t to_word = pn / WORD_BITS;
        uint32_t steps = to_word - from_word;
        if (steps > w->words)
            steps = w->words;
        for (uint32_t i = 1; i <= steps; i++)
            bits[(from_word + i) & mask] = 0;
        w->highest = pn;
    }
    bits[(pn / WORD_BITS) & mask] |= (uint64_t)1 << (pn % WORD_BITS);
}

tekho_err tekho_pn_window_seen_through(struct tekho_pn_window *w, uint32_t top)
{
    if (w == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (top > TEKHO_PN_COUNTER_MAX)
        return TEKHO_ERR_PN_INVALID;
    if (top <= w->highest)
        return TEKHO_OK; /* nothing above what the window already covers */
    /* Everything at or below top counts as seen: below the window it is
     * refused anyway, inside it every bit is set. */
    w->highest = top;
    if (w->words == 0)
        return TEKHO_OK;
    uint64_t *bits = ring(w);
    memset(bits, 0xFF, w->words * sizeof(uint64_t));
    /* PNs above top in its own word are still to come (the words past it
     * are cleared as the window slides into them). */
    const unsigned bit = top % WORD_BITS;
    if (bit != WORD_BITS - 1)
        bits[(top / WORD_BITS) & (w->words - 1u)] = ((uint64_t)1 << (bit + 1)) - 1;
    return TEKHO_OK;
}
