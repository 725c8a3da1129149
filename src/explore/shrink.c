/* Shrinking a decision stream (Hypothesis style): a smaller stream is a
 * simpler run, because past its end every choice is the benign one and a
 * smaller byte a simpler choice. Each pass keeps any change that still
 * violates the same invariant; a kept change also drops whatever the new
 * run no longer reads. */
#include <stdlib.h>
#include <string.h>

#include "tekho/explore.h"

struct shrinker {
    const struct tekho_explore_params *p;
    enum tekho_xp_invariant target;
    uint8_t *cur;
    size_t n;
    uint8_t *cand;
    unsigned tries, max_tries;
    tekho_err err;
};

static bool budget_left(const struct shrinker *s)
{
    if (s->err != TEKHO_OK || s->tries >= s->max_tries)
        return false;
    return s->p->keep_going == NULL || s->p->keep_going(s->p->keep_going_ctx);
}

/* Replays cand[0..len); if it still violates the target, it becomes the
 * current stream (cut to what it read). */
static bool attempt(struct shrinker *s, size_t len)
{
    if (!budget_left(s))
        return false;
    s->tries++;
    struct tekho_explore_outcome o;
    const tekho_err err = tekho_explore_replay(s->p, s->cand, len, &o, NULL);
    if (err != TEKHO_OK) {
        s->err = err;
        return false;
    }
    if (o.invariant != s->target)
        return false;
    const size_t keep = o.consumed < len ? o.consumed : len;
    memcpy(s->cur, s->cand, keep);
    s->n = keep;
    return true;
}

static bool delete_chunks(struct shrinker *s, size_t k)
{
    bool improved = false;
    for (size_t i = 0; i + k <= s->n && budget_left(s);) {
        memcpy(s->cand, s->cur, i);
        memcpy(s->cand + i, s->cur + i + k, s->n - i - k);
        if (attempt(s, s->n - k))
            improved = true; /* the same position now holds the next chunk */
        else
            i += k;
    }
    return improved;
}

static bool zero_chunks(struct shrinker *s, size_t k)
{
    bool improved = false;
    for (size_t i = 0; i < s->n && budget_left(s); i += k) {
        const size_t end = i + k < s->n ? i + k : s->n;
        bool nonzero = false;
        for (size_t j = i; j < end; j++)
            nonzero |= s->cur[j] != 0;
        if (!nonzero)
            continue;
        memcpy(s->cand, s->cur, s->n);
        memset(s->cand + i, 0, end - i);
        improved |= attempt(s, s->n);
    }
    return improved;
}

static bool lower_bytes(struct shrinker *s)
{
    bool improved = false;
    for (size_t i = 0; i < s->n && budget_left(s); i++) {
        if (s->cur[i] == 0)
            continue;
        const uint8_t was = s->cur[i];
        const uint8_t tries[3] = {0, (uint8_t)(was / 2), (uint8_t)(was - 1)};
        for (int t = 0; t < 3 && i < s->n && s->cur[i] == was; t++) {
            if (t > 0 && tries[t] == tries[t - 1])
                continue;
            memcpy(s->cand, s->cur, s->n);
            s->cand[i] = tries[t];
            improved |= attempt(s, s->n);
        }
    }
    return improved;
}

tekho_err tekho_explore_shrink(const struct tekho_explore_params *p, const uint8_t *bytes, size_t len,
                               enum tekho_xp_invariant target, uint8_t **out, size_t *out_len, unsigned *tries)
{
    if (p == NULL || out == NULL || out_len == NULL || (bytes == NULL && len != 0) || target == TEKHO_XP_NONE)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct shrinker s = {.p = p, .target = target, .n = len, .max_tries = p->shrink_attempts};
    s.cur = malloc(len ? len : 1);
    s.cand = malloc(len ? len : 1);
    if (s.cur == NULL || s.cand == NULL) {
        free(s.cur);
        free(s.cand);
        return TEKHO_ERR_NO_MEMORY;
    }
    if (len)
        memcpy(s.cur, bytes, len);
    bool improved = true;
    while (improved && budget_left(&s)) {
        improved = false;
        /* Big deletions first (the tail of a schedule is usually irrelevant),
         * down to single bytes, then zeroed chunks, then smaller bytes. */
        for (size_t k = s.n / 2; k >= 1 && budget_left(&s); k /= 2)
            improved |= delete_chunks(&s, k);
        for (size_t k = 8; k >= 1 && budget_left(&s); k /= 2)
            improved |= zero_chunks(&s, k);
        improved |= lower_bytes(&s);
    }
    free(s.cand);
    if (tries)
        *tries = s.tries;
    if (s.err != TEKHO_OK) {
        free(s.cur);
        return s.err;
    }
    *out = s.cur;
    *out_len = s.n;
    return TEKHO_OK;
}
