/* The in-memory store (include/tekho/roles.h): the semantics every store
 * has (an ADVANCE only moves N up under the PMK its record names; a
 * NEW_PMK replaces the record), without the durability. */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/roles.h"

struct memory_entry {
    bool used;
    struct tekho_auth_record rec;  /* kind NEW_PMK: the PMK context and N */
};

/* Open addressing on the MAC, at most 7/8 full: a lookup is O(1) with
 * 10^4 MSs (a scan per HO_Complete was a tenth of a city-scale run), and
 * the table of a metro run (10^5 MSs, a record each) is 13 MB, not the
 * 26 MB of one kept half full. */
struct tekho_memory_store {
    size_t capacity, used, mask;
    struct memory_entry *e;
};

tekho_err tekho_memory_store_new(size_t capacity, struct tekho_memory_store **out)
{
    if (out == NULL || capacity == 0 || capacity > SIZE_MAX / 4)
        return TEKHO_ERR_INVALID_ARGUMENT;
    size_t slots = 4;
    while (slots * 7 < capacity * 8)
        slots *= 2;
    struct tekho_memory_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->e = calloc(slots, sizeof *s->e)) == NULL) {
        free(s);
        return TEKHO_ERR_NO_MEMORY;
    }
    s->capacity = capacity;
    s->mask = slots - 1;
    *out = s;
    return TEKHO_OK;
}

/* The MAC's slot, or the free slot where it would go. */
static struct memory_entry *mem_slot(struct tekho_memory_store *s, const uint8_t mac[6])
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (int i = 0; i < 6; i++)
        h = (h ^ mac[i]) * 0x100000001b3u;
    for (size_t i = (size_t)h & s->mask;; i = (i + 1) & s->mask)
        if (!s->e[i].used || memcmp(s->e[i].rec.ms_mac, mac, 6) == 0)
            return &s->e[i];
}

void tekho_memory_store_free(struct tekho_memory_store *s)
{
    if (s) {
        OPENSSL_cleanse(s->e, (s->mask + 1) * sizeof *s->e);
        free(s->e);
        free(s);
    }
}

void tekho_memory_store_erase(struct tekho_memory_store *s, const uint8_t mac[6])
{
    struct memory_entry *e = mem_slot(s, mac);
    if (!e->used)
        return;
    /* Backward-shift deletion keeps every probe chain whole. */
    size_t i = (size_t)(e - s->e);
    OPENSSL_cleanse(&s->e[i], sizeof s->e[i]);
    s->e[i].used = false;
    s->used--;
    for (size_t j = (i + 1) & s->mask; s->e[j].used; j = (j + 1) & s->mask) {
        const struct memory_entry moved = s->e[j];
        OPENSSL_cleanse(&s->e[j], sizeof s->e[j]);
        *mem_slot(s, moved.rec.ms_mac) = moved;
    }
}

static tekho_err mem_load(void *ctx, const uint8_t mac[6], struct tekho_auth_record *rec, bool *found)
{
    if (ctx == NULL || mac == NULL || rec == NULL || found == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const struct memory_entry *e = mem_slot(ctx, mac);
    *found = e->used;
    if (e->used)
        *rec = e->rec;
    return TEKHO_OK;
}

static tekho_err mem_persist(void *ctx, const struct tekho_auth_record *recs, size_t n, tekho_err *results)
{
    struct tekho_memory_store *s = ctx;
    if (s == NULL || (n > 0 && (recs == NULL || results == NULL)))
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* As one transaction: room for every new MS first, or nothing. */
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].n == 0 || (recs[i].kind != TEKHO_RECORD_ADVANCE && recs[i].kind != TEKHO_RECORD_NEW_PMK))
            return TEKHO_ERR_BAD_VALUE;
        bool again = false;
        for (size_t j = 0; j < i && !again; j++)
            again = memcmp(recs[j].ms_mac, recs[i].ms_mac, 6) == 0;
        fresh += !again && recs[i].kind == TEKHO_RECORD_NEW_PMK && !mem_slot(s, recs[i].ms_mac)->used;
    }
    if (fresh > s->capacity - s->used)
        return TEKHO_ERR_CAPACITY;
    for (size_t i = 0; i < n; i++) {
        const struct tekho_auth_record *r = &recs[i];
        struct memory_entry *e = mem_slot(s, r->ms_mac);
        if (r->kind == TEKHO_RECORD_NEW_PMK) {
            if (!e->used)
                s->used++;
            e->used = true;
            e->rec = *r;
            results[i] = TEKHO_OK;
        } else if (e->used && CRYPTO_memcmp(e->rec.pmk_id, r->pmk_id, TEKHO_PMK_ID_LEN) == 0 && e->rec.n < r->n) {
            e->rec.n = r->n; /* UPDATE ... SET n = new WHERE pmk_id = ? AND n < new */
            results[i] = TEKHO_OK;
        } else {
            results[i] = TEKHO_ERR_STALE_COUNT;
        }
    }
    return TEKHO_OK;
}

struct tekho_auth_store tekho_memory_store_ops(struct tekho_memory_store *s)
{
    return (struct tekho_auth_store){.ctx = s, .load = mem_load, .persist = mem_persist};
}
