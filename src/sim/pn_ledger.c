#include "pn_ledger.h"

#include <stdlib.h>
#include <string.h>

#include "tekho/pdu.h"

/* Fingerprints are SHA-256 bytes, but tests (and a broken role) may give
 * any: one multiplication spreads them, its high bits pick the home slot. */
static size_t home(const struct pn_ledger *l, uint64_t fp, uint32_t ul)
{
    return (size_t)(((fp ^ (uint64_t)ul) * 0x9E3779B97F4A7C15u) >> l->shift);
}

static bool grow(struct pn_ledger *l)
{
    const size_t cap = l->cap ? l->cap * 2 : 1024;
    unsigned log2 = 0;
    while (((size_t)1 << log2) < cap)
        log2++;
    struct pn_ledger big = *l;
    big.cap = cap;
    big.shift = 64 - log2;
    big.slots = calloc(cap, sizeof *big.slots);
    if (big.slots == NULL)
        return false;
    for (size_t i = 0; i < l->cap; i++) {
        const struct pn_entry *e = &l->slots[i];
        if (!(e->meta & PN_ENTRY_USED))
            continue;
        size_t j = home(&big, e->fp, e->meta & PN_ENTRY_UL);
        while (big.slots[j].meta & PN_ENTRY_USED)
            j = (j + 1) & (cap - 1);
        big.slots[j] = *e;
    }
    free(l->slots);
    *l = big;
    return true;
}

/* The entry of (fp, ul), made (top 0, no gaps) if new; NULL: out of memory. */
static struct pn_entry *entry(struct pn_ledger *l, uint64_t fp, uint32_t ul)
{
    if ((l->n + 1) * 4 > l->cap * 3 && !grow(l))
        return NULL;
    size_t j = home(l, fp, ul);
    while (l->slots[j].meta & PN_ENTRY_USED) {
        if (l->slots[j].fp == fp && (l->slots[j].meta & PN_ENTRY_UL) == ul)
            return &l->slots[j];
        j = (j + 1) & (l->cap - 1);
    }
    l->slots[j] = (struct pn_entry){.fp = fp, .top = 0, .meta = PN_ENTRY_USED | ul};
    l->n++;
    return &l->slots[j];
}

/* The entry's gap list, made empty if it has none; NULL: out of memory. */
static struct pn_gaps *gaps_of(struct pn_ledger *l, struct pn_entry *e)
{
    uint32_t id = e->meta & PN_ENTRY_GAPS;
    if (id != 0)
        return &l->gaps[id - 1];
    if (l->n_free_gaps > 0) {
        id = l->free_gaps[--l->n_free_gaps] + 1;
    } else {
        if (l->n_gaps == PN_ENTRY_GAPS)
            return NULL;
        if (l->n_gaps == l->cap_gaps) {
            const uint32_t cap = l->cap_gaps ? l->cap_gaps * 2 : 16;
            struct pn_gaps *g = realloc(l->gaps, cap * sizeof *g);
            if (g == NULL)
                return NULL;
            l->gaps = g;
            uint32_t *f = realloc(l->free_gaps, cap * sizeof *f);
            if (f == NULL)
                return NULL;
            l->free_gaps = f;
            l->cap_gaps = cap;
        }
        id = ++l->n_gaps;
    }
    l->gaps[id - 1] = (struct pn_gaps){0};
    e->meta = (e->meta & ~PN_ENTRY_GAPS) | id;
    return &l->gaps[id - 1];
}

static void drop_gaps_if_empty(struct pn_ledger *l, struct pn_entry *e)
{
    const uint32_t id = e->meta & PN_ENTRY_GAPS;
    if (id == 0 || l->gaps[id - 1].n > 0)
        return;
    free(l->gaps[id - 1].r);
    l->gaps[id - 1] = (struct pn_gaps){0};
    l->free_gaps[l->n_free_gaps++] = id - 1;
    e->meta &= ~PN_ENTRY_GAPS;
}

/* At PN_LEDGER_GAPS_MAX ranges the lowest goes: its PNs then count as sealed. */
static void drop_lowest_if_full(struct pn_ledger *l, struct pn_gaps *g)
{
    if (g->n < PN_LEDGER_GAPS_MAX)
        return;
    memmove(g->r, g->r + 1, (g->n - 1) * sizeof *g->r);
    g->n--;
    l->ranges_dropped++;
}

/* A free range at position at (0..n), the ones from at on moved up. False:
 * out of memory, nothing changed. */
static bool insert_range(struct pn_gaps *g, uint32_t at)
{
    if (g->n == g->cap) {
        const uint32_t cap = g->cap ? g->cap * 2 : 2;
        struct pn_range *r = realloc(g->r, cap * sizeof *r);
        if (r == NULL)
            return false;
        g->r = r;
        g->cap = cap;
    }
    memmove(g->r + at + 1, g->r + at, (g->n - at) * sizeof *g->r);
    g->n++;
    return true;
}

tekho_err tekho_pn_ledger_note(struct pn_ledger *l, const uint8_t fp[8], uint8_t dir, uint64_t pn_in, bool *reused)
{
    if (l == NULL || fp == NULL || reused == NULL || pn_in > UINT32_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *reused = false;
    const uint32_t pn = (uint32_t)pn_in;
    uint64_t key;
    memcpy(&key, fp, 8);
    struct pn_entry *e = entry(l, key, dir != TEKHO_DIR_DL ? PN_ENTRY_UL : 0);
    if (e == NULL)
        return TEKHO_ERR_NO_MEMORY;
    if (pn > e->top) {
        if (pn > e->top + 1) {
            /* PNs skipped: above every range there is. */
            struct pn_gaps *g = gaps_of(l, e);
            if (g == NULL)
                return TEKHO_ERR_NO_MEMORY;
            drop_lowest_if_full(l, g);
            if (!insert_range(g, g->n)) {
                drop_gaps_if_empty(l, e);
                return TEKHO_ERR_NO_MEMORY;
            }
            g->r[g->n - 1] = (struct pn_range){e->top + 1, pn - 1};
        }
        e->top = pn;
        return TEKHO_OK;
    }
    /* At or below the mark: sealed before, unless inside a skipped range. */
    const uint32_t id = e->meta & PN_ENTRY_GAPS;
    struct pn_gaps *g = id ? &l->gaps[id - 1] : NULL;
    uint32_t lo = 0, hi = g ? g->n : 0; /* the first range with hi >= pn */
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (g->r[mid].hi < pn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (g == NULL || lo == g->n || g->r[lo].lo > pn) {
        *reused = true;
        return TEKHO_OK;
    }
    struct pn_range *r = &g->r[lo];
    if (r->lo == r->hi) {
        memmove(r, r + 1, (g->n - lo - 1) * sizeof *r);
        g->n--;
        drop_gaps_if_empty(l, e);
    } else if (pn == r->lo) {
        r->lo++;
    } else if (pn == r->hi) {
        r->hi--;
    } else {
        /* Split: [lo, pn - 1] stays, [pn + 1, hi] follows it. */
        const struct pn_range upper = {pn + 1, r->hi};
        if (g->n >= PN_LEDGER_GAPS_MAX) {
            drop_lowest_if_full(l, g);
            if (lo == 0)
                return TEKHO_OK; /* the range dropped was this one: all of it counts as sealed */
            lo--;
        }
        if (!insert_range(g, lo + 1))
            return TEKHO_ERR_NO_MEMORY; /* nothing changed: pn is still unsealed */
        g->r[lo].hi = pn - 1;
        g->r[lo + 1] = upper;
    }
    return TEKHO_OK;
}

size_t tekho_pn_ledger_bytes(const struct pn_ledger *l)
{
    size_t bytes = l->cap * sizeof *l->slots + l->cap_gaps * (sizeof *l->gaps + sizeof *l->free_gaps);
    for (uint32_t i = 0; i < l->n_gaps; i++)
        bytes += l->gaps[i].cap * sizeof *l->gaps[i].r;
    return bytes;
}

void tekho_pn_ledger_free(struct pn_ledger *l)
{
    if (l == NULL)
        return;
    for (uint32_t i = 0; i < l->n_gaps; i++)
        free(l->gaps[i].r);
    free(l->gaps);
    free(l->free_gaps);
    free(l->slots);
    memset(l, 0, sizeof *l);
}
