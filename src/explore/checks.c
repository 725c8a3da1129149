/* The explorer's invariant checkers (include/tekho/explore.h), apart from
 * the driver so tests can feed them synthetic events and see each fire. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tekho/explore.h"
#include "tekho/mgmt.h"
#include "tekho/mob.h"
#include "tekho/pdu.h"
#include "../sim/pn_ledger.h"

static const char *const INVARIANT_NAMES[TEKHO_XP_COUNT] = {
    "none", "pn-reuse", "replay-delivered", "forged-delivered", "n-decreased", "m-decreased",
    "stale-keys", "role-error", "step-bound", "liveness", "mgmt-replay", "early-data", "undurable-sent"};

const char *tekho_xp_invariant_name(enum tekho_xp_invariant inv)
{
    return (unsigned)inv < TEKHO_XP_COUNT ? INVARIANT_NAMES[inv] : "?";
}

tekho_err tekho_xp_invariant_parse(const char *name, enum tekho_xp_invariant *out)
{
    if (name == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < TEKHO_XP_COUNT; i++)
        if (strcmp(name, INVARIANT_NAMES[i]) == 0) {
            *out = (enum tekho_xp_invariant)i;
            return TEKHO_OK;
        }
    return TEKHO_ERR_BAD_VALUE;
}

/* ---- (1) PN reuse: the emulator's exact ledger (src/sim/pn_ledger.h), per
 * (TEK fingerprint, direction), for the whole run. */

struct delivered {
    uint32_t sent;       /* sequence numbers below this were made by the legitimate sender */
    uint64_t *bits;      /* delivered, by sequence number */
    size_t words;
};

struct ms_counts {
    uint32_t epoch[2];   /* [0] MS, [1] Authenticator */
    uint16_t max[2];
    bool have[2];
};

struct tekho_xp_checker {
    unsigned n_ms;
    struct pn_ledger sealed;
    struct delivered (*dlv)[2];
    struct ms_counts *counts;
    uint64_t *mgmt;      /* fingerprints of management messages acted on (open addressing, 0 free) */
    size_t cap_mgmt, n_mgmt;
};

tekho_err tekho_xp_checker_new(unsigned n_ms, struct tekho_xp_checker **out)
{
    if (out == NULL || n_ms == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_xp_checker *c = calloc(1, sizeof *c);
    if (c == NULL)
        return TEKHO_ERR_NO_MEMORY;
    c->n_ms = n_ms;
    c->dlv = calloc(n_ms, sizeof *c->dlv);
    c->counts = calloc(n_ms, sizeof *c->counts);
    if (c->dlv == NULL || c->counts == NULL) {
        tekho_xp_checker_free(c);
        return TEKHO_ERR_NO_MEMORY;
    }
    *out = c;
    return TEKHO_OK;
}

void tekho_xp_checker_free(struct tekho_xp_checker *c)
{
    if (c == NULL)
        return;
    tekho_pn_ledger_free(&c->sealed);
    for (unsigned i = 0; c->dlv && i < c->n_ms; i++) {
        free(c->dlv[i][0].bits);
        free(c->dlv[i][1].bits);
    }
    free(c->dlv);
    free(c->counts);
    free(c->mgmt);
    free(c);
}

enum tekho_xp_invariant tekho_xp_check_sealed(struct tekho_xp_checker *c, const uint8_t fp[8], uint8_t dir,
                                              uint64_t pn)
{
    bool reused = false;
    /* A seal the ledger cannot record (no memory) counts as a reuse: the
     * run has to prove there was none. */
    if (tekho_pn_ledger_note(&c->sealed, fp, dir, pn, &reused) != TEKHO_OK)
        return TEKHO_XP_PN_REUSE;
    return reused ? TEKHO_XP_PN_REUSE : TEKHO_XP_NONE;
}

/* ---- (2) user payloads: (magic, ms, dir, seq) -------------------------------------- */

static const uint8_t MAGIC[4] = {'T', 'K', 'X', 'P'};

void tekho_xp_payload(uint32_t ms, int dir, uint32_t seq, uint8_t out[TEKHO_XP_PAYLOAD_LEN])
{
    memset(out, 0, TEKHO_XP_PAYLOAD_LEN);
    memcpy(out, MAGIC, 4);
    out[4] = (uint8_t)(ms >> 24);
    out[5] = (uint8_t)(ms >> 16);
    out[6] = (uint8_t)(ms >> 8);
    out[7] = (uint8_t)ms;
    out[8] = (uint8_t)dir;
    out[9] = (uint8_t)(seq >> 24);
    out[10] = (uint8_t)(seq >> 16);
    out[11] = (uint8_t)(seq >> 8);
    out[12] = (uint8_t)seq;
    /* The rest is a function of the header: a payload altered in flight is not one we made. */
    for (unsigned i = 13; i < TEKHO_XP_PAYLOAD_LEN; i++)
        out[i] = (uint8_t)(out[i - 13] * 31u + i);
}

void tekho_xp_note_sent(struct tekho_xp_checker *c, uint32_t ms, int dir, uint32_t seq)
{
    if (ms < c->n_ms && (dir == 0 || dir == 1) && seq + 1 > c->dlv[ms][dir].sent)
        c->dlv[ms][dir].sent = seq + 1;
}

enum tekho_xp_invariant tekho_xp_check_delivered(struct tekho_xp_checker *c, uint32_t ms, int dir,
                                                 const uint8_t *payload, size_t len)
{
    if (ms >= c->n_ms || (dir != 0 && dir != 1) || len != TEKHO_XP_PAYLOAD_LEN || payload == NULL)
        return TEKHO_XP_FORGED;
    const uint32_t owner = (uint32_t)payload[4] << 24 | (uint32_t)payload[5] << 16 | (uint32_t)payload[6] << 8 |
                           payload[7];
    const uint32_t seq = (uint32_t)payload[9] << 24 | (uint32_t)payload[10] << 16 | (uint32_t)payload[11] << 8 |
                         payload[12];
    uint8_t expect[TEKHO_XP_PAYLOAD_LEN];
    tekho_xp_payload(owner, payload[8], seq, expect);
    struct delivered *d = &c->dlv[ms][dir];
    if (memcmp(expect, payload, sizeof expect) != 0 || owner != ms || payload[8] != dir || seq >= d->sent)
        return TEKHO_XP_FORGED;
    const size_t word = seq / 64;
    if (word >= d->words) {
        size_t words = d->words ? d->words : 4;
        while (words <= word)
            words *= 2;
        uint64_t *bits = realloc(d->bits, words * sizeof *bits);
        if (bits == NULL)
            return TEKHO_XP_NONE;
        memset(bits + d->words, 0, (words - d->words) * sizeof *bits);
        d->bits = bits;
        d->words = words;
    }
    const uint64_t bit = (uint64_t)1 << (seq % 64);
    if (d->bits[word] & bit)
        return TEKHO_XP_REPLAY;
    d->bits[word] |= bit;
    return TEKHO_XP_NONE;
}

/* ---- (3) counts ---------------------------------------------------------------------- */

void tekho_xp_new_pmk(struct tekho_xp_checker *c, uint32_t ms, bool at_auth)
{
    if (ms >= c->n_ms)
        return;
    struct ms_counts *k = &c->counts[ms];
    k->epoch[at_auth]++;
    k->have[at_auth] = false;
    k->max[at_auth] = 0;
}

enum tekho_xp_invariant tekho_xp_check_count(struct tekho_xp_checker *c, uint32_t ms, bool at_auth, uint16_t count)
{
    if (ms >= c->n_ms || (at_auth && count == 0))
        return TEKHO_XP_NONE;
    struct ms_counts *k = &c->counts[ms];
    /* Past the limit is on the way to a wrap, where counts go back. */
    if ((k->have[at_auth] && count < k->max[at_auth]) || count > TEKHO_CMAC_KEY_COUNT_LIMIT)
        return at_auth ? TEKHO_XP_N_DECREASED : TEKHO_XP_M_DECREASED;
    k->have[at_auth] = true;
    k->max[at_auth] = count;
    return TEKHO_XP_NONE;
}

/* ---- (4) and (5) ---------------------------------------------------------------------- */

enum tekho_xp_invariant tekho_xp_check_keys_installed(uint16_t count, uint16_t n)
{
    return n != 0 && count < n ? TEKHO_XP_STALE_KEYS : TEKHO_XP_NONE;
}

/* ---- (7) ------------------------------------------------------------------------------------- */

enum tekho_xp_invariant tekho_xp_check_early_data(enum tekho_scheme scheme, bool before_ranging)
{
    const bool waits = scheme == TEKHO_SCHEME_NONE_LATE || scheme == TEKHO_SCHEME_BASELINE_UPDATE ||
                       scheme == TEKHO_SCHEME_BASELINE_FULL || scheme == TEKHO_SCHEME_BASELINE_CHALLENGE;
    return waits && before_ranging ? TEKHO_XP_EARLY_DATA : TEKHO_XP_NONE;
}

bool tekho_xp_error_is_internal(tekho_err err, bool injected)
{
    switch (err) {
    case TEKHO_ERR_CRYPTO:            /* libcrypto failed under the role */
    case TEKHO_ERR_NO_MEMORY:         /* (the caller excuses it when it injected the failure) */
    case TEKHO_ERR_BUFFER_TOO_SMALL:  /* the role's own encoding did not fit its own buffer */
    case TEKHO_ERR_IO:
        return true;
    case TEKHO_ERR_INVALID_ARGUMENT:
        /* The driver always passes valid arguments, so from its own calls
         * this is the role misusing an internal function; for bytes an
         * attacker made it is a refusal with an imprecise name. */
        return !injected;
    default:
        /* Decoder and protocol refusals (bad CMAC, unexpected message,
         * stale count, TOO_MANY items in a message, ...): the role doing its job. */
        return false;
    }
}

#define XP_MAX_ACTIONS_PER_CALL 48

enum tekho_xp_invariant tekho_xp_check_call(tekho_err ret, const struct tekho_actions *a, bool injected,
                                            bool alloc_failure_injected)
{
    if (a != NULL && a->err != TEKHO_OK)
        return TEKHO_XP_ROLE_ERROR;
    if (a != NULL && a->n > XP_MAX_ACTIONS_PER_CALL)
        return TEKHO_XP_STEP_BOUND;
    if (ret == TEKHO_ERR_NO_MEMORY && alloc_failure_injected)
        return TEKHO_XP_NONE;
    return tekho_xp_error_is_internal(ret, injected) ? TEKHO_XP_ROLE_ERROR : TEKHO_XP_NONE;
}

/* ---- (2) management replays: a CMAC-protected management message is
 * acted on once. Every one carries a CMAC_PN its receiver must never
 * accept twice (802.16-2009 6.3.2.3.9.4: a CMAC_PN is used once per key),
 * so a byte-identical copy that makes a role act again is a replay the
 * role let through. Messages without a CMAC (initial ranging, EAP
 * transfer) may be acted on again: they carry nothing to judge
 * freshness by. */

bool tekho_xp_mgmt_authenticated(const uint8_t *pdu, size_t len)
{
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(pdu, len, &gmh) != TEKHO_OK || gmh.cid > TEKHO_MGMT_CID_MAX || gmh.ec ||
        gmh.len != len || len < TEKHO_GMH_LEN + 1 + (gmh.ci ? TEKHO_CRC_LEN : 0))
        return false;
    const uint8_t *m = pdu + TEKHO_GMH_LEN;
    const size_t n = len - TEKHO_GMH_LEN - (gmh.ci ? TEKHO_CRC_LEN : 0);
    bool cmac = false;
    union {
        struct tekho_rng_req rng_req;
        struct tekho_rng_rsp rng_rsp;
        struct tekho_pkm pkm;
        struct tekho_sbc sbc;
        struct tekho_mob_msho_req msho;
        struct tekho_mob_bsho_rsp bsho;
        struct tekho_mob_ho_ind ind;
    } u;
    switch (m[0]) {
    case TEKHO_MGMT_RNG_REQ: cmac = tekho_rng_req_decode(m, n, &u.rng_req) == TEKHO_OK && u.rng_req.has_cmac; break;
    case TEKHO_MGMT_RNG_RSP: cmac = tekho_rng_rsp_decode(m, n, &u.rng_rsp) == TEKHO_OK && u.rng_rsp.has_cmac; break;
    case TEKHO_MGMT_PKM_REQ:
    case TEKHO_MGMT_PKM_RSP: cmac = tekho_pkm_decode(m, n, &u.pkm) == TEKHO_OK && u.pkm.has_cmac_digest; break;
    case TEKHO_MGMT_SBC_REQ:
    case TEKHO_MGMT_SBC_RSP: cmac = tekho_sbc_decode(m, n, &u.sbc) == TEKHO_OK && u.sbc.has_cmac; break;
    case TEKHO_MGMT_MOB_MSHO_REQ: cmac = tekho_mob_msho_req_decode(m, n, &u.msho) == TEKHO_OK && u.msho.has_cmac; break;
    case TEKHO_MGMT_MOB_BSHO_RSP: cmac = tekho_mob_bsho_rsp_decode(m, n, &u.bsho) == TEKHO_OK && u.bsho.has_cmac; break;
    case TEKHO_MGMT_MOB_HO_IND: cmac = tekho_mob_ho_ind_decode(m, n, &u.ind) == TEKHO_OK && u.ind.has_cmac; break;
    default: break;
    }
    OPENSSL_cleanse(&u, sizeof u); /* a PKM-RSP holds wrapped keys */
    return cmac;
}

static uint64_t mgmt_fingerprint(uint32_t receiver, const uint8_t *pdu, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
    for (unsigned i = 0; i < 4; i++)
        h = (h ^ (uint8_t)(receiver >> (8 * i))) * 0x100000001b3u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ pdu[i]) * 0x100000001b3u;
    return h ? h : 1;
}

enum tekho_xp_invariant tekho_xp_check_mgmt_acted(struct tekho_xp_checker *c, uint32_t receiver, const uint8_t *pdu,
                                                  size_t len)
{
    if ((c->n_mgmt + 1) * 2 > c->cap_mgmt) {
        const size_t cap = c->cap_mgmt ? c->cap_mgmt * 2 : 256;
        uint64_t *big = calloc(cap, sizeof *big);
        if (big == NULL)
            return TEKHO_XP_NONE; /* unchecked, never a false alarm */
        for (size_t i = 0; i < c->cap_mgmt; i++) {
            if (c->mgmt[i] == 0)
                continue;
            size_t j = (size_t)c->mgmt[i] & (cap - 1);
            while (big[j] != 0)
                j = (j + 1) & (cap - 1);
            big[j] = c->mgmt[i];
        }
        free(c->mgmt);
        c->mgmt = big;
        c->cap_mgmt = cap;
    }
    const uint64_t h = mgmt_fingerprint(receiver, pdu, len);
    size_t j = (size_t)h & (c->cap_mgmt - 1);
    while (c->mgmt[j] != 0) {
        if (c->mgmt[j] == h)
            return TEKHO_XP_MGMT_REPLAY;
        j = (j + 1) & (c->cap_mgmt - 1);
    }
    c->mgmt[j] = h;
    c->n_mgmt++;
    return TEKHO_XP_NONE;
}
