/* PN replay window (IEEE 802.16-2009 7.5.1.2.4: "PN window"; profile
 * section 6). The bitmap layout follows WireGuard's counter.c: a ring of
 * 64-bit words cleared word by word as the highest PN advances. */
#include "tekho/tek.h"
#include "../mutation.h"

#include <string.h>

#define WORDS (sizeof(((struct tekho_pn_window *)0)->seen) / sizeof(uint64_t))
#define WORD_BITS 64u

tekho_err tekho_pn_window_init(struct tekho_pn_window *w, uint16_t size)
{
    if (w == NULL || size > TEKHO_PN_WINDOW_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(w, 0, sizeof *w);
    w->size = size ? size : TEKHO_PN_WINDOW_DEFAULT;
    return TEKHO_OK;
}

static bool seen_bit(const struct tekho_pn_window *w, uint32_t pn)
{
    return (w->seen[(pn / WORD_BITS) % WORDS] >> (pn % WORD_BITS)) & 1u;
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
    if (pn > w->highest) {
        /* Clear the words the window slides into; a jump of a whole ring
         * or more clears everything. */
        uint32_t from_word = w->highest / WORD_BITS;
        uint32_t to_word = pn / WORD_BITS;
        uint32_t steps = to_word - from_word;
        if (steps > WORDS)
            steps = WORDS;
        for (uint32_t i = 1; i <= steps; i++)
            w->seen[(from_word + i) % WORDS] = 0;
        w->highest = pn;
    }
    w->seen[(pn / WORD_BITS) % WORDS] |= (uint64_t)1 << (pn % WORD_BITS);
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
    memset(w->seen, 0xFF, sizeof w->seen);
    /* PNs above top in its own word are still to come (the words past it
     * are cleared as the window slides into them). */
    const unsigned bit = top % WORD_BITS;
    if (bit != WORD_BITS - 1)
        w->seen[(top / WORD_BITS) % WORDS] = ((uint64_t)1 << (bit + 1)) - 1;
    return TEKHO_OK;
}
