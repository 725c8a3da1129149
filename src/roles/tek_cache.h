/* TEK contexts generated from CMAC_KEY_COUNT that can come back, shared by
 * the MS (one per target BS and TM) and the BS (one per TB). Seed: "the
 * T-BS should cache the TEK context (including PNs) associated with the
 * value of CMAC_KEY_COUNT_TB until CMAC_KEY_COUNT_N has been incremented
 * beyond that value. Likewise, the MS should cache all TEK contexts
 * associated with a value of CMAC_KEY_COUNT_TM until it increments
 * CMAC_KEY_COUNT_M."
 *
 * Counter TEKs are a function of (KEK, count, SAID): a context forgotten
 * and derived again would start its PNs at 0 under keys already used. So
 * this is the only place the roles derive counter TEKs, it refuses a count
 * below the floor it is given, and it never evicts a context that has
 * sealed or accepted a PDU; with no room, the caller refuses what needed
 * one. A pristine context (nothing sealed or accepted) may make room:
 * deriving it again gives exactly its state. */
#ifndef TEKHO_SRC_ROLES_TEK_CACHE_H
#define TEKHO_SRC_ROLES_TEK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "tekho/roles.h"
#include "tekho/tek.h"

struct tekho_crypto_kit;

/* The highest CMAC_KEY_COUNT a role uses under one PMK (roles.h). */
#define TEKHO_COUNT_LIMIT TEKHO_CMAC_KEY_COUNT_LIMIT
/* [MODEL] How far ahead of N a count proved in an RNG-REQ may be: N lags
 * the MS only by handovers whose HO_Complete never reached the
 * Authenticator. */
#define TEKHO_COUNT_AHEAD_MAX 64u

#define TEK_CACHE_MAX 4

struct tek_cache_entry {
    bool used;
    uint16_t count;
    uint8_t bsid[6];          /* the BS the context is with (the MS caches per target) */
    struct tekho_tek_context tek;
};

struct tek_cache {
    /* Up to cap entries, each made when it is first put in use and freed
     * when dropped: most MSs never need one, and few need more than two. */
    struct tek_cache_entry *e[TEK_CACHE_MAX];
    unsigned cap;
    const struct tekho_allocator *alloc; /* the role's (tekho_allocator), alive as long as the cache */
};

/* cap 1 .. TEK_CACHE_MAX; nothing is allocated yet. */
void tekho_tek_cache_init(struct tek_cache *c, unsigned cap, const struct tekho_allocator *alloc);
/* Makes entry i (below cap) if it is not made yet: TEKHO_ERR_NO_MEMORY if it cannot be. */
TEKHO_NODISCARD tekho_err tekho_tek_cache_reserve_at(struct tek_cache *c, unsigned i);
/* Entry i, made (whether used or not), or NULL. */
static inline struct tek_cache_entry *tekho_tek_cache_entry(const struct tek_cache *c, int i)
{
    return i >= 0 && (unsigned)i < c->cap ? c->e[i] : NULL;
}
/* Wipes every context and frees the entries. */
void tekho_tek_cache_free(struct tek_cache *c);

/* The entry for (bsid, count), or -1. */
int tekho_tek_cache_find(const struct tek_cache *c, const uint8_t bsid[6], uint16_t count);
bool tekho_tek_cache_any(const struct tek_cache *c);
struct tekho_tek_context *tekho_tek_cache_at(struct tek_cache *c, int i);

/* What tek_cache_take needs to derive a context. */
struct tek_derive {
    struct tekho_crypto_kit *kit;
    const uint8_t *kek;       /* 16 bytes */
    struct tekho_tek_context_params params;
};

/* The context for (bsid, count): the cached one with its PNs, or a new
 * one derived into a free entry (a pristine entry other than `protect`
 * gives its place if none is free). TEKHO_ERR_STALE_COUNT for a count
 * below floor or above TEKHO_COUNT_LIMIT, TEKHO_ERR_CAPACITY when every
 * entry holds a live context, TEKHO_ERR_NO_MEMORY. *derived says whether
 * it is new. Nothing changes on failure. */
TEKHO_NODISCARD tekho_err tekho_tek_cache_take(struct tek_cache *c, const uint8_t bsid[6], uint16_t count,
                                               uint16_t floor, int protect, const struct tek_derive *how, int *index,
                                               bool *derived);

/* A context for count derived on the side (a trial: self-synchronisation
 * tries counts against a PDU before any is kept), with the same checks as
 * tek_cache_take. */
TEKHO_NODISCARD tekho_err tekho_tek_cache_derive(uint16_t count, uint16_t floor, const struct tek_derive *how,
                                                 struct tekho_tek_context *out);
/* Keeps a context from tek_cache_derive for (bsid, count) (moved in);
 * TEKHO_ERR_CAPACITY or TEKHO_ERR_NO_MEMORY with *ctx untouched. */
TEKHO_NODISCARD tekho_err tekho_tek_cache_put(struct tek_cache *c, const uint8_t bsid[6], uint16_t count, int protect,
                                              struct tekho_tek_context *ctx, int *index);

/* Whether tek_cache_take could place a new context now. */
bool tekho_tek_cache_has_room(const struct tek_cache *c, int protect);

/* Forgets entry i (wiped). */
void tekho_tek_cache_drop(struct tek_cache *c, int i);
/* Forgets every entry whose count is below n, except `keep`; the count
 * moved past them, so they can never be derived or used again. */
void tekho_tek_cache_drop_below(struct tek_cache *c, uint16_t n, int keep);
/* Forgets every entry except `keep`. */
void tekho_tek_cache_drop_all_but(struct tek_cache *c, int keep);

#endif
