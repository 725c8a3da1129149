/* Internal: the PNs sealed under every TEK of a run, per direction, exactly
 * and for the whole run (the emulator's PN-reuse check).
 *
 * A TEK is named by its fingerprint (the first 8 bytes of SHA-256 of the
 * key, as TEKHO_EV_SEALED carries it), never by the key. Per (fingerprint,
 * direction) the ledger keeps the highest PN sealed and the ranges of PNs
 * skipped below it, so the PNs sealed are exactly 1..top less the ranges: a
 * PN below the mark is fine once, when it fills a skip (a context handed
 * over with a margin), and any PN sealed a second time is a reuse, however
 * long the TEK was idle in between. Nothing is forgotten: counter TEKs are
 * derived again from (KEK, count, SAID) at any time, and one that comes
 * back must go on from its PNs.
 *
 * Memory: 16 bytes an entry in an open-addressing table kept at most 3/4
 * full, so 21 to 43 bytes per TEK and direction that ever sealed (a city
 * hour is millions of them), and 8 bytes per skipped range, only for TEKs
 * with skips (PNs of one context rise by one: there are only as many
 * ranges as jumps). Past PN_LEDGER_GAPS_MAX ranges on one TEK the lowest
 * is dropped, as if sealed: a later PN in it is then reported as a reuse
 * (never the other way round). */
#ifndef TEKHO_SRC_PN_LEDGER_H
#define TEKHO_SRC_PN_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/error.h"

#define PN_LEDGER_GAPS_MAX 4096u

struct pn_entry {
    uint64_t fp;   /* the fingerprint's 8 bytes, in host order */
    uint32_t top;  /* the highest PN sealed (0: none yet) */
    uint32_t meta; /* PN_ENTRY_USED, PN_ENTRY_UL, and in the low 30 bits 1 + its gap list, or 0 */
};
#define PN_ENTRY_USED 0x80000000u
#define PN_ENTRY_UL 0x40000000u
#define PN_ENTRY_GAPS 0x3FFFFFFFu

struct pn_range {
    uint32_t lo, hi; /* inclusive */
};

struct pn_gaps {
    struct pn_range *r; /* ascending, disjoint */
    uint32_t n, cap;
};

/* Zero-initialised is empty. */
struct pn_ledger {
    struct pn_entry *slots;
    size_t cap, n;        /* cap: a power of two, or 0 */
    unsigned shift;       /* 64 - log2(cap) */
    struct pn_gaps *gaps; /* gap lists, by index */
    uint32_t n_gaps, cap_gaps;
    uint32_t *free_gaps;  /* indices of emptied lists, for reuse */
    uint32_t n_free_gaps;
    unsigned long ranges_dropped; /* past PN_LEDGER_GAPS_MAX (see above) */
};

/* Records that PN pn was sealed under (fp, dir); *reused says whether it
 * had been already. TEKHO_ERR_NO_MEMORY: nothing recorded, *reused false;
 * TEKHO_ERR_INVALID_ARGUMENT: a PN above 32 bits (none is ever sealed). */
TEKHO_NODISCARD tekho_err tekho_pn_ledger_note(struct pn_ledger *l, const uint8_t fp[8], uint8_t dir, uint64_t pn,
                                               bool *reused);
/* Bytes the ledger holds (its table and gap lists). */
size_t tekho_pn_ledger_bytes(const struct pn_ledger *l);
void tekho_pn_ledger_free(struct pn_ledger *l);

#endif
