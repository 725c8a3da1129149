/* The cache of counter TEK contexts (tek_cache.h). */
#include "tek_cache.h"
#include "../mutation.h"

#include <stdlib.h>
#include <string.h>

#include "../crypto/kit.h"
#include "alloc.h"

void tekho_tek_cache_init(struct tek_cache *c, unsigned cap, const struct tekho_allocator *alloc)
{
    memset(c->e, 0, sizeof c->e);
    c->cap = cap == 0 ? 1 : cap > TEK_CACHE_MAX ? TEK_CACHE_MAX : cap;
    c->alloc = alloc;
}

void tekho_tek_cache_free(struct tek_cache *c)
{
    for (unsigned i = 0; i < TEK_CACHE_MAX; i++) {
        if (c->e[i] == NULL)
            continue;
        tekho_tek_context_cleanup(&c->e[i]->tek);
        role_free(c->alloc, c->e[i]);
        c->e[i] = NULL;
    }
}

tekho_err tekho_tek_cache_reserve_at(struct tek_cache *c, unsigned i)
{
    if (i >= c->cap)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (c->e[i] == NULL && (c->e[i] = role_calloc(c->alloc, 1, sizeof *c->e[i])) == NULL)
        return TEKHO_ERR_NO_MEMORY;
    return TEKHO_OK;
}

/* Whether entry i is made and in use. */
static bool in_use(const struct tek_cache *c, unsigned i)
{
    return c->e[i] != NULL && c->e[i]->used;
}

int tekho_tek_cache_find(const struct tek_cache *c, const uint8_t bsid[6], uint16_t count)
{
    for (unsigned i = 0; i < c->cap; i++)
        if (in_use(c, i) && c->e[i]->count == count && memcmp(c->e[i]->bsid, bsid, 6) == 0)
            return (int)i;
    return -1;
}

bool tekho_tek_cache_any(const struct tek_cache *c)
{
    for (unsigned i = 0; i < c->cap; i++)
        if (in_use(c, i))
            return true;
    return false;
}

struct tekho_tek_context *tekho_tek_cache_at(struct tek_cache *c, int i)
{
    return i >= 0 && (unsigned)i < c->cap && in_use(c, (unsigned)i) ? &c->e[i]->tek : NULL;
}

/* A free entry, else a pristine one other than protect, else -1. */
static int room(const struct tek_cache *c, int protect)
{
    for (unsigned i = 0; i < c->cap; i++)
        if (!in_use(c, i))
            return (int)i;
#ifdef TEKHO_MUTATION_EVICT_LIVE_CONTEXT
    /* The defect H1 was: when full, the lowest count gives its place,
     * whether or not it has sealed or accepted anything. */
    int lowest = -1;
    for (unsigned i = 0; i < c->cap; i++)
        if ((int)i != protect && (lowest < 0 || c->e[i]->count < c->e[lowest]->count))
            lowest = (int)i;
    if (lowest >= 0)
        return lowest;
#endif
    for (unsigned i = 0; i < c->cap; i++)
        if ((int)i != protect && tekho_tek_context_pristine(&c->e[i]->tek))
            return (int)i;
    return -1;
}

bool tekho_tek_cache_has_room(const struct tek_cache *c, int protect)
{
    return room(c, protect) >= 0;
}

tekho_err tekho_tek_cache_derive(uint16_t count, uint16_t floor, const struct tek_derive *how,
                                 struct tekho_tek_context *out)
{
    if (count < floor || count > TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_STALE_COUNT;
    memset(out, 0, sizeof *out);
    return tekho_tek_context_init_counter_with(how->kit, out, &how->params, how->kek, count);
}

tekho_err tekho_tek_cache_put(struct tek_cache *c, const uint8_t bsid[6], uint16_t count, int protect,
                              struct tekho_tek_context *ctx, int *index)
{
    const int i = room(c, protect);
    if (i < 0)
        return TEKHO_ERR_CAPACITY;
    const tekho_err err = tekho_tek_cache_reserve_at(c, (unsigned)i);
    if (err != TEKHO_OK)
        return err;
    tekho_tek_context_move(&c->e[i]->tek, ctx);
    c->e[i]->used = true;
    c->e[i]->count = count;
    memcpy(c->e[i]->bsid, bsid, 6);
    *index = i;
    return TEKHO_OK;
}

tekho_err tekho_tek_cache_take(struct tek_cache *c, const uint8_t bsid[6], uint16_t count, uint16_t floor, int protect,
                               const struct tek_derive *how, int *index, bool *derived)
{
    *derived = false;
    if (count < floor || count > TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_STALE_COUNT;
    const int found = tekho_tek_cache_find(c, bsid, count);
    if (found >= 0) {
        *index = found;
        return TEKHO_OK;
    }
    if (!tekho_tek_cache_has_room(c, protect))
        return TEKHO_ERR_CAPACITY;
    /* Derived on the side: a failure leaves the cache as it was. */
    struct tekho_tek_context fresh;
    tekho_err err = tekho_tek_cache_derive(count, floor, how, &fresh);
    if (err == TEKHO_OK)
        err = tekho_tek_cache_put(c, bsid, count, protect, &fresh, index);
    tekho_tek_context_cleanup(&fresh);
    *derived = err == TEKHO_OK;
    return err;
}

void tekho_tek_cache_drop(struct tek_cache *c, int i)
{
    if (i < 0 || (unsigned)i >= c->cap || c->e[i] == NULL)
        return;
    tekho_tek_context_cleanup(&c->e[i]->tek);
    role_free(c->alloc, c->e[i]);
    c->e[i] = NULL;
}

void tekho_tek_cache_drop_below(struct tek_cache *c, uint16_t n, int keep)
{
    for (unsigned i = 0; i < c->cap; i++)
        if (in_use(c, i) && c->e[i]->count < n && (int)i != keep)
            tekho_tek_cache_drop(c, (int)i);
}

void tekho_tek_cache_drop_all_but(struct tek_cache *c, int keep)
{
    for (unsigned i = 0; i < c->cap; i++)
        if (in_use(c, i) && (int)i != keep)
            tekho_tek_cache_drop(c, (int)i);
}
