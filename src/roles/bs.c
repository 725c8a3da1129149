/* The base station, in both handover roles: serving (entry, initial TEKs,
 * MOB_MSHO-REQ -> HO_Req, MOB_HO-IND -> HO_Cnf) and target (HO_Req ->
 * Context_Req -> HO_Rsp, TEKs at TB = N, UL data before ranging with
 * self-synchronisation, RNG-REQ with the CMAC_KEY_COUNT TLV, HO_Complete),
 * per the seed (section 2) and profile section 4. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "alloc.h"
#include "introspect.h"
#include "tek_cache.h"
#include "../mutation.h"
#include "../crypto/kit.h"

#define RANDOM_SIZE 8

enum bs_role {
    ROLE_FREE,
    ROLE_ENTERING,          /* initial ranging done, capabilities / AK under way */
    ROLE_SERVING,
    ROLE_SOURCE,            /* serving, handover prepared (HO_Req sent) */
    ROLE_TARGET_PREPARING,  /* HO_Req received, Context_Req sent */
    ROLE_TARGET_READY,      /* HO_Rsp sent: waiting for the MS's data and RNG-REQ */
    ROLE_TARGET_REAUTH,     /* baseline-full: re-authentication through the Authenticator */
    ROLE_TARGET_SA_TEK,     /* baseline-full: SA-TEK-Challenge sent */
    ROLE_CACHED,            /* only cached TEK contexts remain (a cancelled handover) */
    ROLE_HANDED_OVER,       /* the MS left: HO_Cnf is sent until the target's HO_Ack */
};

/* ---- which message each per-MS role accepts ------------------------------------ */

/* What a BS takes for an MS, told by the header alone (air: the CID, the
 * management message type and a PKM message's code; backbone: the ASN-CP
 * message type): the legality table's columns. Anything else is never
 * accepted. */
enum bs_input {
    BS_IN_DATA,             /* user data on a transport CID */
    BS_IN_RNG_REQ,          /* initial or handover: told apart by a TLV, so by the handler */
    BS_IN_SBC_REQ,
    BS_IN_KEY_REQUEST,      /* PKM-REQ, by code */
    BS_IN_SA_TEK_REQUEST,
    BS_IN_MSHO_REQ,
    BS_IN_HO_IND,
    BS_IN_EAP_TRANSFER,     /* PKM-REQ, by code */
    BS_IN_BACKBONE,         /* + enum tekho_asncp_msg */
};
#define BS_IN(x) (1u << BS_IN_##x)
#define BS_BB(x) (1u << (BS_IN_BACKBONE + TEKHO_ASNCP_##x))
_Static_assert(BS_IN_BACKBONE + TEKHO_ASNCP_MSG_COUNT <= 32, "one mask holds every input");

/* Per role of the MS's context, the inputs the BS accepts for that MS;
 * ROLE_FREE is the row of an MS the BS holds nothing for. Checked before
 * any message body is decoded, so a handler sees only messages the role
 * can take and keeps only the finer conditions (sender, transaction,
 * identifiers, CMAC). User data is judged by keys, not by role: whatever
 * no key opens is reported discarded. A count update is acknowledged
 * whatever the BS holds. */
static const uint32_t BS_ACCEPTS[] = {
    [ROLE_FREE] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_BB(HO_REQ) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    /* Entering, the SA-TEK-Request answering the entry's challenge proves the PMK. */
    [ROLE_ENTERING] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_IN(SBC_REQ) | BS_IN(SA_TEK_REQUEST) | BS_BB(HO_REQ) |
                      BS_BB(CONTEXT_RPT) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    /* SA-TEK-Request: baseline-challenge's or the entry's, sent again (its handler checks). */
    [ROLE_SERVING] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_IN(SBC_REQ) | BS_IN(KEY_REQUEST) | BS_IN(SA_TEK_REQUEST) |
                     BS_IN(MSHO_REQ) | BS_IN(HO_IND) | BS_BB(HO_REQ) | BS_BB(HO_CNF) | BS_BB(HO_COMPLETE) |
                     BS_BB(CONTEXT_RPT) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_SOURCE] = BS_IN(DATA) | BS_IN(MSHO_REQ) | BS_IN(HO_IND) | BS_BB(HO_REQ) | BS_BB(HO_RSP) | BS_BB(HO_CNF) |
                    BS_BB(HO_COMPLETE) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_TARGET_PREPARING] = BS_IN(DATA) | BS_BB(HO_REQ) | BS_BB(HO_CNF) | BS_BB(CONTEXT_RPT) |
                              BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_TARGET_READY] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_BB(HO_REQ) | BS_BB(HO_CNF) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_TARGET_REAUTH] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_IN(EAP_TRANSFER) | BS_BB(CONTEXT_RPT) |
                           BS_BB(AR_EAP_TRANSFER) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_TARGET_SA_TEK] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_IN(KEY_REQUEST) | BS_IN(SA_TEK_REQUEST) |
                           BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_CACHED] = BS_IN(DATA) | BS_IN(RNG_REQ) | BS_BB(HO_REQ) | BS_BB(CMAC_KEY_COUNT_UPDATE),
    [ROLE_HANDED_OVER] = BS_IN(DATA) | BS_BB(HO_REQ) | BS_BB(HO_ACK) | BS_BB(CMAC_KEY_COUNT_UPDATE),
};
_Static_assert(sizeof BS_ACCEPTS / sizeof BS_ACCEPTS[0] == ROLE_HANDED_OVER + 1, "one row per role");

static bool bs_accepts(enum bs_role role, unsigned in)
{
    return (BS_ACCEPTS[role] >> in) & 1u;
}

/* The column of an air management message (type, and code for PKM), or
 * TEKHO_ERR_UNEXPECTED_MESSAGE for one a BS never takes. */
static tekho_err bs_classify(const uint8_t *msg, size_t len, enum bs_input *in)
{
    switch (msg[0]) {
    case TEKHO_MGMT_RNG_REQ: *in = BS_IN_RNG_REQ; return TEKHO_OK;
    case TEKHO_MGMT_SBC_REQ: *in = BS_IN_SBC_REQ; return TEKHO_OK;
    case TEKHO_MGMT_MOB_MSHO_REQ: *in = BS_IN_MSHO_REQ; return TEKHO_OK;
    case TEKHO_MGMT_MOB_HO_IND: *in = BS_IN_HO_IND; return TEKHO_OK;
    case TEKHO_MGMT_PKM_REQ:
        if (len < 2)
            return TEKHO_ERR_TRUNCATED;
        switch (msg[1]) {
        case TEKHO_PKM_KEY_REQUEST: *in = BS_IN_KEY_REQUEST; return TEKHO_OK;
        case TEKHO_PKM_SA_TEK_REQUEST: *in = BS_IN_SA_TEK_REQUEST; return TEKHO_OK;
        case TEKHO_PKM_EAP_TRANSFER: *in = BS_IN_EAP_TRANSFER; return TEKHO_OK;
        default: return TEKHO_ERR_UNEXPECTED_MESSAGE;
        }
    default: return TEKHO_ERR_UNEXPECTED_MESSAGE;
    }
}

enum { TIMER_RETX = 1, TIMER_CACHE = 2, TIMER_EAP = 3 };
/* A BS timer: the MS index it is for, and what it is. */
#define TIMER_ID(index, kind) ((uint32_t)(index) << 4 | (kind))

/* Which TEKs an MS's context uses now: none, its own (random TEKs of the
 * baseline, or the serving BS's with reuse), or a counter context in the
 * cache (TB is that entry's count). */
#define ACTIVE_NONE (-2)
#define ACTIVE_OWN (-1)

/* The CMAC_PNs accepted under each count of the MS's AK, kept across
 * re-derivations of the link (every Context_Rpt, every RNG-REQ count),
 * so that a recorded RNG-REQ never verifies twice. A full table forgets
 * its lowest count. */
#define CMAC_SEEN_MAX 4
struct cmac_seen {
    bool used;
    uint16_t count;
    struct tekho_cmac_pn_rx rx;
};

/* The PMKs an entry may prove (src/roles/auth.c, ENTRY_STEPS). */
#define ENTRY_OFFERS_MAX 3

/* A BS knows the MS it caches for by its own BSID: one key for every entry. */
static const uint8_t OWN_BSID[6] = {0};

struct bs_ms {
    enum bs_role role;
    uint32_t index;
    uint8_t mac[6];
    bool have_ak;
    uint8_t ak[TEKHO_AK_LEN];
    uint8_t ak_sn;
    uint16_t n;                       /* N as the Authenticator last told us */
    /* The highest count the MS proved under this AK (a verified RNG-REQ, or
     * UL data that opened under its TEKs): its M never goes back, so no
     * count below it is ever used again, whatever N says while it lags. */
    uint16_t proven;
    /* A restarted BS (tekho_bs_config.restarted): the lowest count its
     * earlier life cannot have used under this AK; 0 when that life never
     * knew it (a PMK made after the restart). */
    uint16_t fresh_from;
    /* Target: the lowest count the MS can present here, one above the
     * count of its link with the serving BS (HO_Req): its M is at least
     * that, so an RNG-REQ or UL data under a lower count is from an
     * earlier stay, whatever this BS remembers of it (it may have let the
     * context go, and with it the CMAC_PNs of that count). 0: not told. */
    uint16_t serving_floor;
    struct cmac_link link;
    struct cmac_seen cmac_seen[CMAC_SEEN_MAX];
    bool tekgen;                      /* negotiated with this MS (or requested in HO_Req) */
    bool ms_advertised;
    enum tekho_ho_tek_mode mode;
    int active;                       /* ACTIVE_NONE, ACTIVE_OWN or a cache entry */
    /* Random (baseline) or handed-over (reuse) TEKs, made when first
     * held (counter handovers never need them) and freed when let go. */
    struct tekho_tek_context *own;
    struct tek_cache cache;           /* counter TEKs, the active ones included; entries are made
                                         on first use: most MSs never need one */
    bool confirmed;                   /* a UL PDU verified under these TEKs */
    bool ms_left_serving;             /* HO_Cnf: the MS has left the serving BS */
    bool ho_cnf_done;                 /* this preparation's HO_Cnf was taken (a copy changes nothing) */
    bool tek_invalid_sent;            /* serving with no TEKs: TEK-Invalid asked the MS for new ones */
    uint64_t tek_invalid_at_us;       /* ... last at: asked again after a retransmission time */
    /* The HO_Req this context was last prepared by: a copy of it, or an
     * older one from the same BS, arriving late is no new handover. */
    bool have_ho_req;
    uint32_t ho_req_from;
    uint16_t ho_req_txn;
    uint32_t peer;                    /* source: the target node; target: the serving node */
    uint8_t peer_bsid[6];
    uint8_t ho_id;
    uint16_t transaction;             /* of the handover (HO_Req .. HO_Complete) */
    bool prepared_txn_valid;          /* peer and transaction name a handover this BS asked for */
    uint16_t ctx_txn;                 /* of the Context_Req exchange under way */
    bool ctx_pending;
    unsigned retries;
    uint64_t budget_start_us;
    unsigned budget_used;
    uint8_t bs_random[RANDOM_SIZE];
    bool bs_random_drawn;  /* this challenge's BS_Random is in bs_random */
    bool sa_tek_answered;  /* baseline-challenge: the SA-TEK-Response with these TEKs went out (last_params) */
    uint16_t rng_count;               /* the count the handover RNG-REQ established */
    bool awaiting_update;             /* HO_Complete sent, CMAC_Key_Count_Update not yet seen */
    bool have_bsho;                   /* source: HO_Rsp came, MOB_BSHO-RSP can be (re)sent */
    bool entry_requested;             /* entering: the AK context has been asked for */
    /* The Key-Request last answered (identifier and nonce) and what it
     * got: its retransmission gets the same TEKs again. */
    bool have_last_params;
    uint8_t last_pkm_id;
    uint8_t last_nonce[TEKHO_PKM_NONCE_LEN];
    struct tekho_tek_params last_params[2];
    /* baseline-full: the EAP-Request relayed to the MS, sent again on the
     * air timer until its response comes (the Authenticator's own timer
     * covers the backbone). */
    bool eap_waiting;
    unsigned eap_retries;
    size_t eap_req_len;
    uint8_t eap_req[TEKHO_ASNCP_EAP_MAX];
    /* baseline-early: the target's TEKs wrapped under its KEK, as the target
     * made them (target) or relays them to the MS (serving). */
    bool have_early;
    struct tekho_tek_params early_params[2];
    uint64_t early_at_us; /* serving: when the target's HO_Rsp brought them (their lifetimes count from then) */
    uint64_t entry_deadline_us;       /* entering: given up if not serving by then */
    /* Entering: the AK contexts the Authenticator offered (M2: one per PMK
     * the MS may enter with), kept apart from what the BS holds for the MS
     * until the MS proves one: each offer's SA-TEK-Challenge (under its
     * AK, the CMAC_PNs it sent in offer_tx_pn, one BS_Random for all) is
     * answered by an SA-TEK-Request under the AK the MS holds, fresh from
     * this BS by its BS_Random. The BS then reports which (a Context_Ack
     * naming its AKID, sent again until N comes back). */
    uint8_t n_offers;
    uint8_t offer_sn;
    uint16_t offer_n;
    uint8_t offer_ak[ENTRY_OFFERS_MAX][TEKHO_AK_LEN];
    uint32_t offer_tx_pn[ENTRY_OFFERS_MAX];
    bool entry_proof;                 /* awaiting_update is for the Context_Ack, not an HO_Complete */
    /* The entry's SA-TEK-Response waits for the Authenticator's answer to
     * the proof (its PMK durably taken): the MS commits to the PMK when
     * the response verifies, so it must not leave before. Its
     * SA-TEK-Request's identifier and MS_Random (what the response
     * answers). */
    bool reply_held;
    uint8_t held_pkm_id;
    uint8_t held_ms_random[RANDOM_SIZE];
    /* Entered with this link's AK by an SA-TEK exchange: a copy of its
     * SA-TEK-Request is answered again, and the first Key-Reply brings the
     * MS two new TEKs (it entered with none), never a refresh. */
    bool entry_sa_tek;
};

static struct tekho_tek_context *active_tek(struct bs_ms *m)
{
    return m->active == ACTIVE_OWN ? m->own : m->active >= 0 ? tekho_tek_cache_at(&m->cache, m->active) : NULL;
}

static const struct tekho_tek_context *active_tek_const(const struct bs_ms *m)
{
    return active_tek((struct bs_ms *)m);
}

/* The active TEKs came from CMAC_KEY_COUNT: TB is their count. */
static bool tek_is_counter(const struct bs_ms *m)
{
    return m->active >= 0;
}

static uint16_t active_tb(const struct bs_ms *m)
{
    return m->cache.e[m->active]->count;
}

/* The lowest count this BS may still derive or use for the MS. */
static uint16_t count_floor(const struct bs_ms *m)
{
    const uint16_t f = m->n > m->proven ? m->n : m->proven;
    return f > m->fresh_from ? f : m->fresh_from;
}

static bool early_mode(const struct tekho_bs *bs, const struct bs_ms *m);
static bool challenge_mode(const struct tekho_bs *bs, const struct bs_ms *m);

/* Lets the own TEKs go (wiped, freed); the cache's allocator is the BS's. */
static void own_drop(struct bs_ms *m)
{
    if (m->own == NULL)
        return;
    tekho_tek_context_cleanup(m->own);
    role_free(m->cache.alloc, m->own);
    m->own = NULL;
}

/* Room for own TEKs: TEKHO_ERR_NO_MEMORY, nothing changed, if there is none. */
static tekho_err own_reserve(struct bs_ms *m)
{
    if (m->own == NULL && (m->own = role_calloc(m->cache.alloc, 1, sizeof *m->own)) == NULL)
        return TEKHO_ERR_NO_MEMORY;
    return TEKHO_OK;
}

static void forget_early(struct bs_ms *m)
{
    OPENSSL_cleanse(m->early_params, sizeof m->early_params);
    m->have_early = false;
}

/* A slot of the MS table: the context and its MS's index beside it, so
 * that a probe reads the table alone, never the (scattered) contexts. */
struct bs_slot {
    struct bs_ms *m; /* NULL: empty */
    uint32_t index;
};

struct tekho_bs {
    struct tekho_bs_config cfg;
    struct tekho_crypto_kit *kit;
    struct bs_slot *table;
    size_t cap, count;
    uint8_t next_ho_id;
    uint16_t next_transaction;
};

tekho_err tekho_bs_new(const struct tekho_bs_config *cfg, struct tekho_bs **out)
{
    /* A cache of no TEK context could keep none of those that must come
     * back with their PNs: refused, as is more than the cache holds. */
    if (cfg == NULL || out == NULL || cfg->node == TEKHO_NODE_AUTHENTICATOR || cfg->max_ms == 0 ||
        cfg->random.fill == NULL || cfg->scheme >= TEKHO_SCHEME_COUNT || cfg->max_cached_per_ms == 0 ||
        cfg->max_cached_per_ms > TEK_CACHE_MAX || (cfg->alloc.calloc == NULL) != (cfg->alloc.free == NULL))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_bs *bs = calloc(1, sizeof *bs);
    if (bs == NULL)
        return TEKHO_ERR_NO_MEMORY;
    bs->cfg = *cfg;
    /* Transactions start anywhere: a BS that restarts (and forgets) must not
     * take a recorded answer to one of its earlier requests for a new one. */
    uint8_t start[2];
    tekho_err err = cfg->random.fill(cfg->random.ctx, start, sizeof start);
    bs->next_transaction = (uint16_t)(start[0] << 8 | start[1]);
    /* HO_IDs too: after a restart, a recorded RNG-REQ must not name a new
     * preparation. */
    if (err == TEKHO_OK)
        err = cfg->random.fill(cfg->random.ctx, &bs->next_ho_id, 1);
    if (err == TEKHO_OK)
        err = cfg->kit != NULL ? (bs->kit = cfg->kit, TEKHO_OK) : tekho_crypto_kit_new(&bs->kit);
    if (err != TEKHO_OK) {
        free(bs);
        return err;
    }
    *out = bs;
    return TEKHO_OK;
}

void tekho_bs_bsid(const struct tekho_bs *bs, uint8_t bsid[6])
{
    memcpy(bsid, bs->cfg.bsid, 6);
}

/* ---- the MS table: contexts allocated on demand, found by MS index through
 * an open-addressing table (a BS holds only the MSs it serves, prepares
 * for or caches contexts of; max_ms bounds it). */

static size_t home(const struct tekho_bs *bs, uint32_t index)
{
    return (size_t)(index * 2654435761u) & (bs->cap - 1);
}

static struct bs_ms *find_index(struct tekho_bs *bs, uint32_t index)
{
    if (bs->cap == 0)
        return NULL;
    for (size_t i = home(bs, index);; i = (i + 1) & (bs->cap - 1)) {
        if (bs->table[i].m == NULL)
            return NULL;
        if (bs->table[i].index == index)
            return bs->table[i].m;
    }
}

static const struct bs_ms *find_index_const(const struct tekho_bs *bs, uint32_t index)
{
    return find_index((struct tekho_bs *)bs, index);
}

static struct bs_ms *find_mac(struct tekho_bs *bs, const uint8_t mac[6])
{
    uint32_t index;
    struct bs_ms *m = tekho_ms_index_of_mac(mac, &index) ? find_index(bs, index) : NULL;
    return m && m->role != ROLE_FREE && memcmp(m->mac, mac, 6) == 0 ? m : NULL;
}

static void place(struct bs_slot *table, size_t cap, struct bs_ms *m)
{
    size_t i = (size_t)(m->index * 2654435761u) & (cap - 1);
    while (table[i].m != NULL)
        i = (i + 1) & (cap - 1);
    table[i] = (struct bs_slot){.m = m, .index = m->index};
}

/* The MS's context, or a new one; a full table refuses rather than evicts
 * a live MS. */
static struct bs_ms *take_slot(struct tekho_bs *bs, uint32_t index)
{
    struct bs_ms *m = find_index(bs, index);
    if (m)
        return m;
    if (bs->count >= bs->cfg.max_ms)
        return NULL;
    if ((bs->count + 1) * 4 > bs->cap * 3) {
        const size_t cap = bs->cap ? bs->cap * 2 : 16;
        struct bs_slot *table = role_calloc(&bs->cfg.alloc, cap, sizeof *table);
        if (table == NULL)
            return NULL;
        for (size_t i = 0; i < bs->cap; i++)
            if (bs->table[i].m)
                place(table, cap, bs->table[i].m);
        role_free(&bs->cfg.alloc, bs->table);
        bs->table = table;
        bs->cap = cap;
    }
    m = role_calloc(&bs->cfg.alloc, 1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->index = index;
    m->active = ACTIVE_NONE;
    tekho_tek_cache_init(&m->cache, (unsigned)bs->cfg.max_cached_per_ms, &bs->cfg.alloc);
    place(bs->table, bs->cap, m);
    bs->count++;
    return m;
}

/* An entry's offers are gone (taken, given up, or the MS gone). */
static void clear_offers(struct bs_ms *m)
{
    OPENSSL_cleanse(m->offer_ak, sizeof m->offer_ak);
    memset(m->offer_tx_pn, 0, sizeof m->offer_tx_pn);
    m->n_offers = 0;
}

/* Wipes the secrets of an MS's context: AK, CMAC keys and KEK, TEKs (and
 * the wrapped ones last sent). The rest (counts, PN state, random nonces)
 * is not secret; wiping all of it, ~6 KB, was a visible share of each
 * handover at city scale. */
static void ms_wipe(struct bs_ms *m)
{
    own_drop(m);
    tekho_tek_cache_free(&m->cache);
    m->active = ACTIVE_NONE;
    tekho_cmac_link_wipe(&m->link);
    OPENSSL_cleanse(m->ak, sizeof m->ak);
    clear_offers(m);
    OPENSSL_cleanse(m->last_params, sizeof m->last_params);
    OPENSSL_cleanse(m->early_params, sizeof m->early_params);
    m->have_early = false;
}

/* Wipes an MS's context and gives its memory back. */
static void ms_clear(struct tekho_bs *bs, struct bs_ms *m)
{
    ms_wipe(m);
    /* Backward-shift deletion keeps every probe chain whole. */
    size_t i = home(bs, m->index);
    while (bs->table[i].m != m)
        i = (i + 1) & (bs->cap - 1);
    bs->table[i].m = NULL;
    for (size_t j = (i + 1) & (bs->cap - 1); bs->table[j].m != NULL; j = (j + 1) & (bs->cap - 1)) {
        struct bs_ms *moved = bs->table[j].m;
        bs->table[j].m = NULL;
        place(bs->table, bs->cap, moved);
    }
    bs->count--;
    role_free(&bs->cfg.alloc, m);
}

void tekho_bs_free(struct tekho_bs *bs)
{
    if (bs == NULL)
        return;
    for (size_t i = 0; i < bs->cap; i++) {
        struct bs_ms *m = bs->table[i].m;
        if (m == NULL)
            continue;
        ms_wipe(m);
        role_free(&bs->cfg.alloc, m);
    }
    role_free(&bs->cfg.alloc, bs->table);
    if (bs->cfg.kit == NULL)
        tekho_crypto_kit_free(bs->kit); /* its own, not a shared one */
    free(bs);
}

bool tekho_bs_serves(const struct tekho_bs *bs, uint32_t ms_index)
{
    const struct bs_ms *m = find_index_const(bs, ms_index);
    return m && (m->role == ROLE_SERVING || m->role == ROLE_SOURCE);
}

bool tekho_bs_tek_fingerprints(const struct tekho_bs *bs, uint32_t ms_index, uint8_t fp[2][8])
{
    const struct bs_ms *m = find_index_const(bs, ms_index);
    const struct tekho_tek_context *tek = m ? active_tek_const(m) : NULL;
    if (tek == NULL)
        return false;
    tekho_tek_fingerprints(tek, fp);
    return true;
}

const char *tekho_bs_ms_role_name(const struct tekho_bs *bs, uint32_t ms_index)
{
    static const char *const names[] = {"NONE", "ENTERING", "SERVING", "SOURCE", "TARGET_PREPARING",
                                        "TARGET_READY", "TARGET_REAUTH", "TARGET_SA_TEK", "CACHED", "HANDED_OVER"};
    _Static_assert(sizeof names / sizeof names[0] == ROLE_HANDED_OVER + 1, "one name per role");
    const struct bs_ms *m = find_index_const(bs, ms_index);
    return names[m ? m->role : ROLE_FREE];
}

size_t tekho_bs_cached_contexts(const struct tekho_bs *bs, uint32_t ms_index)
{
    /* The counter contexts held besides the one in use. */
    const struct bs_ms *m = find_index_const(bs, ms_index);
    size_t n = 0;
    for (unsigned i = 0; m && i < m->cache.cap; i++)
        n += tekho_tek_cache_at((struct tek_cache *)&m->cache, (int)i) != NULL && (int)i != m->active;
    return n;
}

/* Drops everything held for an MS (its timers too). */
static void forget(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    const size_t slot = m->index;
    tekho_act_cancel_timer(out, TIMER_ID(slot, TIMER_RETX));
    tekho_act_cancel_timer(out, TIMER_ID(slot, TIMER_CACHE));
    tekho_act_cancel_timer(out, TIMER_ID(slot, TIMER_EAP));
    ms_clear(bs, m);
}



/* ---- TEK contexts ---------------------------------------------------------- */

/* The only derivation of counter TEKs at the BS: the cached context for
 * count with its PNs, or a new one. Never below N (a stale count yields
 * no keys), never past TEKHO_COUNT_LIMIT, never by forgetting a live one. */
static struct tek_derive derive_params(const struct tekho_bs *bs, const struct bs_ms *m, uint64_t now)
{
    /* The KEK was derived from the AK context once, with the CMAC keys.
     * [MODEL] The MS's primary SAID is its basic CID (802.16-2009 7.1.2). */
    return (struct tek_derive){.kit = bs->kit,
                               .kek = m->link.ak.kek,
                               .params = {.said = tekho_ms_basic_cid(m->index), .tx_dir = TEKHO_DIR_DL,
                                          .pmk_lifetime_s = bs->cfg.pmk_lifetime_s, .now_ms = now / 1000,
                                          .pn_window_size = bs->cfg.pn_window}};
}

static tekho_err counter_take(struct tekho_bs *bs, struct bs_ms *m, uint16_t count, uint64_t now, int *index,
                              bool *derived)
{
    if (!m->link.ready)
        return TEKHO_ERR_NO_KEYS;
    const struct tek_derive how = derive_params(bs, m, now);
    return tekho_tek_cache_take(&m->cache, OWN_BSID, count, count_floor(m), m->active, &how, index, derived);
}

/* The MS proved it is at `count`: contexts below can go (but the one in use). */
static void raise_proven(struct bs_ms *m, uint16_t count)
{
    if (count > m->proven)
        m->proven = count;
    tekho_tek_cache_drop_below(&m->cache, count_floor(m), m->active);
}

/* Takes the active TEKs out of use. Counter TEKs stay in the cache until N
 * passes their count (seed: "cache the TEK context (including PNs) ...
 * until CMAC_KEY_COUNT_N has been incremented beyond that value"); random
 * (baseline) TEKs are never derived again: wiped. */
static void deactivate_keeping(struct bs_ms *m, int keep, struct tekho_actions *out)
{
    if (m->active == ACTIVE_OWN)
        own_drop(m);
    else if (m->active >= 0)
        tekho_act_event(out, m->index, TEKHO_EV_CONTEXT_CACHED, active_tb(m), NULL, 0);
    m->active = ACTIVE_NONE;
    m->confirmed = false;
#ifdef TEKHO_MUTATION_EVICT_LIVE_CONTEXT
    tekho_tek_cache_drop_all_but(&m->cache, keep); /* forgets contexts that can come back */
#else
    tekho_tek_cache_drop_below(&m->cache, count_floor(m), keep);
#endif
}

static void deactivate(struct bs_ms *m, struct tekho_actions *out)
{
    deactivate_keeping(m, ACTIVE_NONE, out);
}

static void activate(struct bs_ms *m, int i, bool derived, struct tekho_actions *out);

/* Puts the counter context for `count` in use: the cached one, or a new
 * one. The context it replaces stays cached. */
static tekho_err switch_count(struct tekho_bs *bs, struct bs_ms *m, uint16_t count, uint64_t now,
                              struct tekho_actions *out)
{
    if (tek_is_counter(m) && active_tb(m) == count)
        return TEKHO_OK;
    /* TEKs in use for a count N has passed can never be used again: out of
     * the way first, so that they take no room. */
    if (tek_is_counter(m) && active_tb(m) < count_floor(m))
        deactivate(m, out);
    int i = -1;
    bool derived = false;
    tekho_err err = counter_take(bs, m, count, now, &i, &derived);
    if (err != TEKHO_OK)
        return err;
    activate(m, i, derived, out);
    return TEKHO_OK;
}

/* Puts cache entry i in use (derived: new keys, else cached ones back). */
static void activate(struct bs_ms *m, int i, bool derived, struct tekho_actions *out)
{
    const uint16_t count = m->cache.e[i]->count;
    deactivate_keeping(m, i, out);
    m->active = i;
    if (derived) {
        uint8_t fp[2][8];
        tekho_tek_fingerprints(active_tek(m), fp);
        tekho_act_event(out, m->index, TEKHO_EV_KEYS_INSTALLED, count, &fp[0][0], sizeof fp);
    } else {
        tekho_act_event(out, m->index, TEKHO_EV_CONTEXT_REUSED, count, NULL, 0);
    }
}

/* The BS stops serving or waiting for the MS: what must be kept is kept
 * (ROLE_CACHED), the rest goes. */
static void retire(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    deactivate(m, out);
    const size_t slot = m->index;
    tekho_act_cancel_timer(out, TIMER_ID(slot, TIMER_RETX));
    tekho_act_cancel_timer(out, TIMER_ID(slot, TIMER_CACHE));
    if (!tekho_tek_cache_any(&m->cache)) {
        ms_clear(bs, m);
        return;
    }
    m->role = ROLE_CACHED;
    m->awaiting_update = false;
    m->entry_proof = false;
    m->reply_held = false;
    m->entry_sa_tek = false;
    m->ms_left_serving = false;
    clear_offers(m);
}

/* Remaining seconds of a TEK (for a Key-Reply that sends it again). */
static uint32_t seconds_left(const struct tekho_tek_slot *t, uint64_t now)
{
    const uint64_t now_ms = now / 1000;
    return t->expires_at_ms > now_ms ? (uint32_t)((t->expires_at_ms - now_ms) / 1000) : 0;
}

/* Random TEKs (PKMv2 Key-Reply, SA-TEK-Update), installed here and wrapped
 * for the MS in params: the older TEK first, then the newer.
 *
 * A refresh (TEKs in use) keeps the newer TEK with its PN state as the
 * older one and puts a new TEK with the next key sequence in the older's
 * place (802.16-2009 7.2.2.2.? TEK state machine: two TEKs overlap), so
 * nothing in flight is lost; it happens in the context in use, wherever it
 * lives. Otherwise two new TEKs, EKS 0 and 1, become this BS's own.
 *
 * for_handover: the TEKs cross the air because of a handover (SA-TEK-Update,
 * or Key-Reply after re-authentication at the target): what the
 * tek_bytes_over_air measurement counts. Entry and periodic refresh are
 * the same in every scheme (seed: "left unchanged") and are not counted. */
static tekho_err random_teks(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, bool refresh,
                             struct tekho_tek_params params[2], bool for_handover, struct tekho_actions *out)
{
    if (!m->link.ready)
        return TEKHO_ERR_NO_KEYS;
    struct tekho_tek_context *in_use = refresh ? active_tek(m) : NULL;
    struct tekho_tek_context fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.said = tekho_ms_basic_cid(m->index);
    fresh.tx_dir = TEKHO_DIR_DL;
    fresh.kit = bs->kit;
    if (in_use != NULL) {
        /* Work on a copy of the PN state and keys; committed at the end. */
        fresh.said = in_use->said;
        fresh.cmac_key_count_t = in_use->cmac_key_count_t;
        for (unsigned i = 0; i < 2; i++) {
            const struct tekho_tek_slot *t = &in_use->tek[i];
            if (!t->installed)
                continue;
            tekho_err err = tekho_tek_context_install(&fresh, i, t->key, t->eks, seconds_left(t, now), now / 1000,
                                                      bs->cfg.pn_window);
            if (err != TEKHO_OK) {
                tekho_tek_context_cleanup(&fresh);
                return err;
            }
            fresh.tek[i].expires_at_ms = t->expires_at_ms;
            fresh.tek[i].tx_pn = t->tx_pn;
            err = tekho_pn_window_copy(&fresh.tek[i].rx, &t->rx);
            if (err != TEKHO_OK) {
                tekho_tek_context_cleanup(&fresh);
                return err;
            }
        }
    }
    /* The newer TEK in use (the one that expires last) stays; a new one
     * with the next key sequence takes the other slot. */
    int newer = -1;
    for (int i = 0; in_use != NULL && i < 2; i++)
        if (fresh.tek[i].installed && (newer < 0 || fresh.tek[i].expires_at_ms > fresh.tek[newer].expires_at_ms))
            newer = i;
    const uint32_t lifetimes[2] = {bs->cfg.pmk_lifetime_s / TEKHO_TEK0_LIFETIME_DIVISOR,
                                   bs->cfg.pmk_lifetime_s / TEKHO_TEK1_LIFETIME_DIVISOR};
    tekho_err err = TEKHO_OK;
    for (unsigned k = 0; k < 2 && err == TEKHO_OK; k++) {
        struct tekho_tek_params *pr = &params[k];
        if (newer >= 0 && k == 0) {
            /* The older TEK of the reply: the kept one, sent again. */
            const struct tekho_tek_slot *t = &fresh.tek[newer];
            pr->key_seq = t->eks;
            pr->lifetime_s = seconds_left(t, now);
            err = tekho_tek_wrap_with(bs->kit, TEKHO_SUITE_CCM_KEYWRAP, m->link.ak.kek, t->key, pr->wrapped_tek,
                                      sizeof pr->wrapped_tek, &pr->wrapped_tek_len);
            continue;
        }
        const uint8_t eks = newer >= 0 ? (uint8_t)((fresh.tek[newer].eks + 1) & 3) : (uint8_t)k;
        const uint32_t lifetime = newer >= 0 ? lifetimes[1] : lifetimes[k];
        uint8_t tek[16];
        err = bs->cfg.random.fill(bs->cfg.random.ctx, tek, sizeof tek);
        pr->lifetime_s = lifetime;
        pr->key_seq = eks;
        if (err == TEKHO_OK)
            err = tekho_tek_wrap_with(bs->kit, TEKHO_SUITE_CCM_KEYWRAP, m->link.ak.kek, tek, pr->wrapped_tek,
                                  sizeof pr->wrapped_tek, &pr->wrapped_tek_len);
        if (err == TEKHO_OK)
            err = tekho_tek_context_install(&fresh, eks & 1u, tek, eks, lifetime, now / 1000, bs->cfg.pn_window);
        OPENSSL_cleanse(tek, sizeof tek);
    }
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&fresh);
        return err;
    }
    if (in_use != NULL) {
        tekho_tek_context_move(in_use, &fresh);
    } else {
        if ((err = own_reserve(m)) != TEKHO_OK) {
            tekho_tek_context_cleanup(&fresh);
            return err;
        }
        deactivate(m, out);
        if ((err = own_reserve(m)) != TEKHO_OK) { /* deactivating let the old ones go */
            tekho_tek_context_cleanup(&fresh);
            return err;
        }
        tekho_tek_context_move(m->own, &fresh);
        m->active = ACTIVE_OWN;
    }
    m->tek_invalid_sent = false;
    uint8_t fp[2][8];
    tekho_tek_fingerprints(active_tek(m), fp);
    tekho_act_event(out, m->index, TEKHO_EV_KEYS_INSTALLED, 0, &fp[0][0], sizeof fp);
    if (for_handover)
        tekho_act_event(out, m->index, TEKHO_EV_TEK_BYTES_OVER_AIR,
                        (int64_t)(params[0].wrapped_tek_len + params[1].wrapped_tek_len), NULL, 0);
    return TEKHO_OK;
}

/* ---- CMAC_PN state per count (see struct cmac_seen) ---------------------- */

/* Restores the CMAC_PN state of l's count; false when none is kept (then
 * freshness cannot be judged: a new context, or one forgotten). */
static bool cmac_seen_restore(const struct bs_ms *m, struct cmac_link *l)
{
    for (unsigned i = 0; i < CMAC_SEEN_MAX; i++) {
        if (m->cmac_seen[i].used && m->cmac_seen[i].count == l->count) {
            l->rx = m->cmac_seen[i].rx;
            return true;
        }
    }
    return false;
}

static void cmac_seen_save(struct bs_ms *m, const struct cmac_link *l)
{
    if (!l->ready)
        return;
    int slot = -1;
    for (int i = 0; i < CMAC_SEEN_MAX && slot < 0; i++)
        if (m->cmac_seen[i].used && m->cmac_seen[i].count == l->count)
            slot = i;
    for (int i = 0; i < CMAC_SEEN_MAX && slot < 0; i++)
        if (!m->cmac_seen[i].used)
            slot = i;
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < CMAC_SEEN_MAX; i++)
            if (m->cmac_seen[i].count < m->cmac_seen[slot].count)
                slot = i;
    }
    m->cmac_seen[slot].used = true;
    m->cmac_seen[slot].count = l->count;
    m->cmac_seen[slot].rx = l->rx;
}

/* ---- sending ------------------------------------------------------------------- */

static void send_dl(struct tekho_bs *bs, struct bs_ms *m, uint16_t cid, const uint8_t *msg, size_t len,
                    struct tekho_actions *out)
{
    (void)bs;
    tekho_send_mgmt(out, TEKHO_ACT_AIR_DL, 0, m->index, cid, msg, len);
}

static void asncp_for(const struct tekho_bs *bs, const struct bs_ms *m, enum tekho_asncp_msg type,
                      struct tekho_asncp *out)
{
    tekho_asncp_about(out, type, m->mac, m->transaction);
    out->has_bs_id = true;
    memcpy(out->bs_id, bs->cfg.bsid, 6);
}

/* Context_Req to the Authenticator. Each exchange has a transaction of
 * its own (retransmissions keep it): only the Context_Rpt that answers it
 * is taken, never a late or replayed one of an earlier exchange, whose N
 * may be stale. */
static void send_context_req(struct tekho_bs *bs, struct bs_ms *m, uint32_t purpose, bool again, uint64_t now,
                             struct tekho_actions *out)
{
    if (!again) {
        if (++bs->next_transaction == 0)
            ++bs->next_transaction;
        m->ctx_txn = bs->next_transaction;
    }
    m->ctx_pending = true;
    struct tekho_asncp req;
    tekho_asncp_about(&req, TEKHO_ASNCP_CONTEXT_REQ, m->mac, m->ctx_txn);
    req.has_bs_id = true;
    memcpy(req.bs_id, bs->cfg.bsid, 6);
    req.has_context_purpose = true;
    req.context_purpose = purpose;
    tekho_send_backbone(out, TEKHO_NODE_AUTHENTICATOR, &req);
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.backbone_retransmit_us);
}

/* An entry's Context_Ack: the PMK the MS proved, named by its AKID here. */
static void send_entry_proof(const struct tekho_bs *bs, const struct bs_ms *m, struct tekho_actions *out)
{
    struct tekho_asncp ack;
    asncp_for(bs, m, TEKHO_ASNCP_CONTEXT_ACK, &ack);
    ack.has_ak_id = true;
    memcpy(ack.ak_id, m->link.ak.akid, sizeof ack.ak_id);
    tekho_send_backbone(out, TEKHO_NODE_AUTHENTICATOR, &ack);
}

static tekho_err send_ho_req(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    struct tekho_asncp req;
    asncp_for(bs, m, TEKHO_ASNCP_HO_REQ, &req);
    req.has_source_id = req.has_destination_id = true;
    memcpy(req.source_id, bs->cfg.bsid, 6);
    memcpy(req.destination_id, m->peer_bsid, 6);
    req.has_ho_type = true;
    req.ho_type = TEKHO_ASNCP_HO_TYPE_HHO;
    req.has_ho_process_optimization = true;
    req.ho_process_optimization = (uint8_t)(m->mode << TEKHO_HO_OPT_TEK_SHIFT);
    /* The count of the MS's link here: the target takes none at or below it. */
    req.has_cmac_key_count = m->link.ready;
    req.cmac_key_count = m->link.count;
    tekho_send_backbone(out, m->peer, &req);
    /* The MS hands over before the Authenticator confirmed its entry: the
     * proof goes with every HO_Req (the timer is the HO_Req's now), or the
     * target's context would be of the PMK before it. */
    if (m->entry_proof && m->awaiting_update)
        send_entry_proof(bs, m, out);
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.backbone_retransmit_us);
    return out->err;
}

/* ---- air: management -------------------------------------------------------------- */

static tekho_err on_entry_rng_req(struct tekho_bs *bs, uint64_t now, uint32_t index, const struct tekho_rng_req *r,
                                  struct tekho_actions *out)
{
    /* An initial RNG-REQ is not authenticated: it must name the MS whose
     * allocation it came in, and it never touches what is held for that
     * MS (a recorded one would otherwise wipe its cached TEK contexts). */
    uint32_t named;
    if (!r->has_ms_mac || !tekho_ms_index_of_mac(r->ms_mac, &named) || named != index)
        return TEKHO_ERR_BAD_VALUE;
    struct bs_ms *m = find_index(bs, index);
    if (m && m->role != ROLE_ENTERING && m->role != ROLE_CACHED)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    const bool fresh = m == NULL;
    if (m == NULL && (m = take_slot(bs, index)) == NULL)
        return TEKHO_ERR_CAPACITY;
    if (m->role != ROLE_ENTERING) {
        /* The MS's handover transactions start from the BS's counter (which
         * starts at random): after a restart they do not repeat old ones. */
        m->transaction = ++bs->next_transaction;
        m->entry_requested = false;
        m->sa_tek_answered = false;
        m->retries = 0;
        clear_offers(m);
        /* A new entry, a new BS_Random: no SA-TEK-Request an earlier one
         * (or this BS before a restart) answered proves anything now. */
        m->bs_random_drawn = false;
        m->entry_sa_tek = false;
    }
    m->role = ROLE_ENTERING;
    if (fresh)
        memcpy(m->mac, r->ms_mac, 6);
    /* An entry that does not complete is given up (a replayed RNG-REQ
     * leaves nothing behind for long). */
    m->entry_deadline_us = now + bs->cfg.timing.ho_cache_us;
    tekho_act_timer(out, TIMER_ID(index, TIMER_CACHE), m->entry_deadline_us);
    struct tekho_rng_rsp rsp;
    memset(&rsp, 0, sizeof rsp);
    rsp.has_ranging_status = true;
    rsp.ranging_status = TEKHO_RANGING_STATUS_SUCCESS;
    rsp.has_ms_mac = true;
    memcpy(rsp.ms_mac, r->ms_mac, 6);
    uint8_t msg[128];
    size_t len = 0;
    tekho_err err = tekho_rng_rsp_encode(&rsp, msg, sizeof msg, &len);
    if (err == TEKHO_OK)
        send_dl(bs, m, tekho_ms_basic_cid(index), msg, len, out);
    return err;
}


static tekho_err send_rng_rsp(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, bool success, bool again,
                              struct tekho_actions *out)
{
    struct tekho_rng_rsp rsp;
    memset(&rsp, 0, sizeof rsp);
    rsp.has_ranging_status = true;
    rsp.ranging_status = success ? TEKHO_RANGING_STATUS_SUCCESS : 2 /* abort */;
    rsp.has_ms_mac = true;
    memcpy(rsp.ms_mac, m->mac, 6);
    rsp.has_ho_process_optimization = true;
    rsp.ho_process_optimization = (uint16_t)(m->mode << TEKHO_HO_OPT_TEK_SHIFT);
    rsp.has_ho_id = true;
    rsp.ho_id = m->ho_id;
    if (success && m->mode == TEKHO_HO_TEK_UPDATE) {
        rsp.n_sa_tek_updates = 1;
        struct tekho_sa_tek_update *u = &rsp.sa_tek_updates[0];
        u->type = 0x80;
        u->new_said = u->old_said = tekho_ms_basic_cid(m->index);
        u->has_old_params = true;
        /* A retransmission carries the TEKs already installed. */
        if (!(again && m->have_last_params)) {
            struct tekho_tek_params params[2];
            memset(params, 0, sizeof params);
            tekho_err err = random_teks(bs, m, now, false, params, true, out);
            if (err != TEKHO_OK)
                return err;
            memcpy(m->last_params, params, sizeof params);
            OPENSSL_cleanse(params, sizeof params);
            m->have_last_params = true;
            m->last_pkm_id = 0; /* no Key-Request is answered by these */
            memset(m->last_nonce, 0, sizeof m->last_nonce);
        }
        u->old_params = m->last_params[0];
        u->new_params = m->last_params[1];
    }
    if (success && challenge_mode(bs, m)) {
        /* baseline-challenge: the SA-TEK 3-way handshake starts here. */
        rsp.has_sa_challenge = true;
        memcpy(rsp.bs_random, m->bs_random, RANDOM_SIZE);
        memcpy(rsp.akid, m->link.ak.akid, 8);
    }
    rsp.has_cmac = true;
    rsp.cmac = tekho_cmac_tuple_next(&m->link);
    uint8_t msg[512];
    size_t len = 0;
    tekho_err err = tekho_rng_rsp_encode(&rsp, msg, sizeof msg, &len);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(bs->kit, &m->link, false, tekho_ms_basic_cid(m->index), msg, len, CMAC_TUPLE_TLV_LEN);
    if (err == TEKHO_OK)
        send_dl(bs, m, tekho_ms_basic_cid(m->index), msg, len, out);
    return err;
}

/* Whether the BS that served the MS before still owes this one its HO_Cnf. */
static bool awaiting_ho_cnf(const struct bs_ms *m)
{
    return m->have_ho_req && !m->ho_cnf_done;
}

/* HO_Complete, sent again until it has done its work: the Authenticator
 * gets the count the MS used, so N moves past it (until its
 * CMAC_Key_Count_Update), and the BS that served the MS learns it arrived
 * even if its MOB_HO-IND was lost on the air (until its HO_Cnf: with reuse
 * it carries the TEKs). */
static void send_ho_complete(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    struct tekho_asncp done;
    asncp_for(bs, m, TEKHO_ASNCP_HO_COMPLETE, &done);
    done.has_cmac_key_count = true;
    done.cmac_key_count = m->rng_count;
    if (m->awaiting_update && m->entry_proof) {
        send_entry_proof(bs, m, out);
    } else if (m->awaiting_update) {
        tekho_send_backbone(out, TEKHO_NODE_AUTHENTICATOR, &done);
    }
    if (awaiting_ho_cnf(m))
        tekho_send_backbone(out, m->ho_req_from, &done);
    if (m->awaiting_update || awaiting_ho_cnf(m))
        tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.backbone_retransmit_us);
}

/* Seed section 2 and profile 4, at the target: the RNG-REQ's count c is
 * checked against N (stale: release), proves itself by the CMAC under
 * CMAC keys for c, and replaces TB when they differ (resync). */
static tekho_err on_ho_rng_req(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const struct tekho_rng_req *r,
                               const uint8_t *msg, size_t len, struct tekho_actions *out)
{
    if (!r->has_cmac || !r->has_cmac_key_count)
        return TEKHO_ERR_MISSING_TLV;
    const uint16_t c = r->cmac_key_count;
    /* The HO_ID this BS gave this preparation (MOB_BSHO-RSP): an RNG-REQ of
     * an earlier attempt, whatever its CMAC, names another one. */
    if (!r->has_ho_id || r->ho_id != m->ho_id) {
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -TEKHO_ERR_BAD_VALUE, NULL, 0);
        return out->err;
    }
    if (m->role == ROLE_SERVING || m->role == ROLE_TARGET_REAUTH || m->role == ROLE_TARGET_SA_TEK) {
        /* Ranging is done: only a retransmission of the RNG-REQ that did it
         * (our RNG-RSP was lost) is answered, and it must carry a fresh
         * CMAC_PN under the same keys; a replay is discarded, and never
         * releases a live connection. */
        tekho_err err = c == m->rng_count && m->link.count == c
                            ? tekho_verify_mgmt(bs->kit, &m->link, true, tekho_ms_basic_cid(m->index), msg, len,
                                                r->cmac_offset, &r->cmac)
                            : TEKHO_ERR_STALE_COUNT;
        if (err != TEKHO_OK) {
            tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
            return out->err;
        }
        cmac_seen_save(m, &m->link);
        return send_rng_rsp(bs, m, now, true, true, out);
    }
    if (m->role != ROLE_TARGET_READY)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* Derive on a copy, commit only once everything has succeeded. The
     * CMAC is checked first, with the CMAC_PNs already accepted under that
     * count: an RNG-REQ that does not verify under this BS's AK (one
     * recorded elsewhere), or verified here before, proves nothing and
     * releases nothing. */
    struct cmac_link trial = m->link;
    tekho_err err = TEKHO_OK;
    bool judged = trial.count == c && trial.ready;
    if (!judged) {
        err = tekho_cmac_link_set_count(bs->kit, &trial, c);
        judged = cmac_seen_restore(m, &trial);
    }
    if (err == TEKHO_OK)
        err =
            tekho_verify_mgmt(bs->kit, &trial, true, tekho_ms_basic_cid(m->index), msg, len, r->cmac_offset, &r->cmac);
    if (err == TEKHO_OK)
        cmac_seen_save(m, &trial);
    /* A stale count releases; one far ahead of N cannot be an MS whose
     * HO_Completes were lost, and is refused (the count never nears a wrap). */
    if (err == TEKHO_OK && (c < m->n || c < m->serving_floor))
        err = TEKHO_ERR_STALE_COUNT;
    else if (err == TEKHO_OK && ((unsigned)c - m->n > TEKHO_COUNT_AHEAD_MAX || c > TEKHO_COUNT_LIMIT))
        err = TEKHO_ERR_BAD_VALUE;
    if (err != TEKHO_OK) {
        tekho_cmac_link_wipe(&trial);
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        if (err == TEKHO_ERR_STALE_COUNT && judged) {
            /* Seed: a count found smaller than expected releases the
             * connection; the TEK context and its PNs stay cached. Only
             * for a CMAC_PN known to be fresh: without the state of that
             * count the RNG-REQ may be a replay, and is only discarded
             * (a stale MS gives up by itself). */
            tekho_act_event(out, m->index, TEKHO_EV_RELEASED, -err, NULL, 0);
            retire(bs, m, out);
        }
        return out->err;
    }
    uint8_t bs_random[RANDOM_SIZE];
    if (challenge_mode(bs, m)) {
        /* The tuple's BS_Random, before anything changes: a source that
         * fails leaves the RNG-REQ to be answered when it comes again. */
        err = bs->cfg.random.fill(bs->cfg.random.ctx, bs_random, sizeof bs_random);
        if (err != TEKHO_OK) {
            tekho_cmac_link_wipe(&trial);
            return err;
        }
    }
    raise_proven(m, c);
    if (tek_is_counter(m) && active_tb(m) < c)
        deactivate(m, out); /* the MS is past it: it can never be used again */
    if (m->mode == TEKHO_HO_TEK_COUNTER && !(tek_is_counter(m) && active_tb(m) == c)) {
        err = switch_count(bs, m, c, now, out);
        if (err != TEKHO_OK) {
            /* No room for the MS's count among contexts that must be kept:
             * the handover is refused, nothing is forgotten. */
            tekho_cmac_link_wipe(&trial);
            tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
            return out->err;
        }
        tekho_act_event(out, m->index, TEKHO_EV_RESYNC_RNG_REQ, c, NULL, 0);
    }
    m->link = trial;
    tekho_cmac_link_wipe(&trial);
    m->rng_count = c;
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_CACHE));
    if (challenge_mode(bs, m)) {
        /* baseline-challenge: the SA Challenge Tuple in RNG-RSP; the MS's
         * SA-TEK-Request comes next (it sends it again until answered; this
         * BS waits as long). */
        m->role = ROLE_TARGET_SA_TEK;
        memcpy(m->bs_random, bs_random, RANDOM_SIZE);
        m->bs_random_drawn = true;
        m->sa_tek_answered = false;
        m->retries = 0;
        tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.retransmit_us);
        err = send_rng_rsp(bs, m, now, true, false, out);
        return err == TEKHO_OK ? out->err : err;
    }
    if (m->mode == TEKHO_HO_TEK_REAUTH) {
        m->role = ROLE_TARGET_REAUTH;
        err = send_rng_rsp(bs, m, now, true, false, out);
        if (err == TEKHO_OK)
            send_context_req(bs, m, TEKHO_CONTEXT_FOR_REAUTH, false, now, out);
        return err == TEKHO_OK ? out->err : err;
    }
    m->role = ROLE_SERVING;
    err = send_rng_rsp(bs, m, now, true, false, out);
    if (err != TEKHO_OK)
        return err;
    m->retries = 0;
    m->awaiting_update = true;
    send_ho_complete(bs, m, now, out);
    tekho_act_event(out, m->index, TEKHO_EV_HO_COMPLETED, bs->cfg.node, NULL, 0);
    return out->err;
}

static tekho_err on_rng_req(struct tekho_bs *bs, uint64_t now, uint32_t index, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    struct tekho_rng_req r;
    tekho_err err = tekho_rng_req_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    if (!(r.has_ranging_purpose && (r.ranging_purpose & TEKHO_RANGING_PURPOSE_HO)))
        return on_entry_rng_req(bs, now, index, &r, out);
    struct bs_ms *m = find_index(bs, index);
    if (m == NULL || memcmp(m->mac, r.ms_mac, 6) != 0)
        return TEKHO_ERR_UNKNOWN_PEER;
    return on_ho_rng_req(bs, now, m, &r, msg, len, out);
}

static tekho_err send_sbc_rsp(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out);
static tekho_err send_entry_challenges(struct tekho_bs *bs, struct bs_ms *m, unsigned first_n,
                                       struct tekho_actions *out);

static tekho_err on_sbc_req(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    /* With no encryption the BS serves as soon as it has the AK, so a
     * retransmitted SBC-REQ can find it serving. */
    if (m->role == ROLE_SERVING && !m->entry_requested)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_sbc r;
    tekho_err err = tekho_sbc_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    if (r.mgmt_type != TEKHO_MGMT_SBC_REQ)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    if (m->entry_requested) {
        /* A retransmitted SBC-REQ (or a replayed one: it is not
         * authenticated) changes nothing negotiated: the AK context is on
         * its way, or here, and the same answer goes out again, with the
         * challenges while no PMK is proved (the MS asks again when they
         * were lost: same BS_Random, the next CMAC_PNs). */
        if (m->n_offers == 0 && m->role != ROLE_SERVING)
            return out->err;
        err = send_sbc_rsp(bs, m, out);
        if (err == TEKHO_OK && m->role == ROLE_ENTERING)
            err = send_entry_challenges(bs, m, ENTRY_OFFERS_MAX, out);
        return err == TEKHO_OK ? out->err : err;
    }
    m->ms_advertised = r.has_security_negotiation && r.sec.has_tek_generation &&
                       (r.sec.tek_generation & TEKHO_TEKGEN_SUPPORTED);
    m->tekgen = m->ms_advertised && bs->cfg.tekgen_capable && bs->cfg.scheme == TEKHO_SCHEME_COUNTER;
    /* L5: a BS that requires counter-based TEK generation refuses an MS
     * that cannot do it: the SBC-RSP says so and the entry ends there. */
    if (bs->cfg.tekgen_required && !m->tekgen) {
        const tekho_err sent = send_sbc_rsp(bs, m, out);
        tekho_act_event(out, m->index, TEKHO_EV_RELEASED, -TEKHO_ERR_BAD_VALUE, NULL, 0);
        retire(bs, m, out);
        return sent == TEKHO_OK ? out->err : sent;
    }
    m->entry_requested = true;
    /* Authorization is modelled as done (the EAP result is at the
     * Authenticator): fetch the AK before answering. */
    send_context_req(bs, m, TEKHO_CONTEXT_FOR_ENTRY, false, now, out);
    return out->err;
}

static tekho_err send_sbc_rsp(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    struct tekho_sbc rsp = {.mgmt_type = TEKHO_MGMT_SBC_RSP, .has_security_negotiation = true};
    rsp.sec.has_pkm_version = true;
    rsp.sec.pkm_version = 1;
    rsp.sec.has_pn_window_size = true;
    rsp.sec.pn_window_size = bs->cfg.pn_window ? bs->cfg.pn_window : TEKHO_PN_WINDOW_DEFAULT;
    /* Never to a peer that did not advertise it (profile 5). */
    if (m->ms_advertised) {
        rsp.sec.has_tek_generation = true;
        rsp.sec.tek_generation = (uint8_t)((m->tekgen ? TEKHO_TEKGEN_SUPPORTED : 0) |
                                           (bs->cfg.tekgen_required ? TEKHO_TEKGEN_REQUIRED : 0));
    }
    uint8_t msg[128];
    size_t len = 0;
    tekho_err err = tekho_sbc_encode(&rsp, msg, sizeof msg, &len);
    if (err == TEKHO_OK)
        send_dl(bs, m, tekho_ms_basic_cid(m->index), msg, len, out);
    tekho_act_event(out, m->index, TEKHO_EV_CAPABILITY, m->tekgen, NULL, 0);
    return err;
}

/* A PKM-RSP to the MS: its CMAC-Digest under the link's next CMAC_PN, on
 * the basic CID. The encoded copy is wiped (a Key-Reply carries TEKs). */
static tekho_err send_pkm_rsp_under(struct tekho_bs *bs, struct bs_ms *m, struct cmac_link *link,
                                    struct tekho_pkm *pkm, struct tekho_actions *out)
{
    pkm->cmac_digest.cmac_pn = link->tx_pn;
    uint8_t buf[256];
    size_t n = 0;
    tekho_err err = tekho_pkm_encode(pkm, buf, sizeof buf, &n);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(bs->kit, link, false, tekho_ms_basic_cid(m->index), buf, n, CMAC_DIGEST_TLV_LEN);
    if (err == TEKHO_OK)
        send_dl(bs, m, tekho_ms_basic_cid(m->index), buf, n, out);
    OPENSSL_cleanse(buf, sizeof buf);
    return err;
}

static tekho_err send_pkm_rsp(struct tekho_bs *bs, struct bs_ms *m, struct tekho_pkm *pkm, struct tekho_actions *out)
{
    return send_pkm_rsp_under(bs, m, &m->link, pkm, out);
}

/* This SA-TEK exchange's BS_Random, drawn the first time it is needed: a
 * source that fails then is tried again at the next challenge. */
static tekho_err draw_bs_random(struct tekho_bs *bs, struct bs_ms *m)
{
    if (m->bs_random_drawn)
        return TEKHO_OK;
    const tekho_err err = bs->cfg.random.fill(bs->cfg.random.ctx, m->bs_random, RANDOM_SIZE);
    m->bs_random_drawn = err == TEKHO_OK;
    return err;
}

/* PKMv2 SA-TEK-Challenge (7.2.2.4.3) under the AK named by akid and key_seq,
 * with the exchange's BS_Random; the caller signs it. */
static struct tekho_pkm sa_tek_challenge(const struct tekho_bs *bs, const struct bs_ms *m, uint8_t identifier,
                                         uint8_t key_seq, const uint8_t akid[8])
{
    struct tekho_pkm ch = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_SA_TEK_CHALLENGE,
                           .identifier = identifier, .has_key_seq = true, .key_seq = key_seq, .has_akid = true,
                           .has_bs_random = true, .has_key_lifetime = true, .key_lifetime_s = bs->cfg.pmk_lifetime_s,
                           .has_cmac_digest = true};
    memcpy(ch.akid, akid, 8);
    memcpy(ch.bs_random, m->bs_random, RANDOM_SIZE);
    return ch;
}

/* Entering, PKMv2's SA-TEK-Challenge (802.16-2009 7.2.2.4.3) for each of
 * the first first_n offered AKs: its AKID, this entry's BS_Random (drawn the
 * first time), CMAC'd under that AK's keys for count 0. The MS answers the
 * one of the PMK it holds. With the SBC-RSP goes the first offer's alone
 * (the Authenticator offers first the PMK an MS enters with when nothing
 * was lost); an MS that holds another asks again with its SBC-REQ, and
 * gets them all. A source that fails leaves the entry to that SBC-REQ. */
static tekho_err send_entry_challenges(struct tekho_bs *bs, struct bs_ms *m, unsigned first_n,
                                       struct tekho_actions *out)
{
    tekho_err err = draw_bs_random(bs, m);
    for (unsigned i = 0; i < m->n_offers && i < first_n && err == TEKHO_OK; i++) {
        struct cmac_link l;
        memset(&l, 0, sizeof l);
        err = tekho_cmac_link_from_ak(bs->kit, &l, m->offer_ak[i], m->mac, bs->cfg.bsid, m->offer_sn, 0);
        l.tx_pn = m->offer_tx_pn[i];
        if (err == TEKHO_OK) {
            struct tekho_pkm ch = sa_tek_challenge(bs, m, (uint8_t)(i + 1), m->offer_sn, l.ak.akid);
            err = send_pkm_rsp_under(bs, m, &l, &ch, out);
        }
        m->offer_tx_pn[i] = l.tx_pn;
        tekho_cmac_link_wipe(&l);
    }
    return err == TEKHO_OK ? out->err : err;
}

/* The entry's SA-TEK-Response, once the Authenticator took the PMK the
 * MS proved: both randoms and the AKID, under the AK taken. */
static tekho_err send_entry_response(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    struct tekho_pkm rsp = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_SA_TEK_RESPONSE,
                            .identifier = m->held_pkm_id, .has_key_seq = true, .key_seq = m->ak_sn,
                            .has_ms_random = true, .has_bs_random = true, .has_akid = true,
                            .has_cmac_digest = true};
    memcpy(rsp.ms_random, m->held_ms_random, RANDOM_SIZE);
    memcpy(rsp.bs_random, m->bs_random, RANDOM_SIZE);
    memcpy(rsp.akid, m->link.ak.akid, 8);
    return send_pkm_rsp(bs, m, &rsp, out);
}

static tekho_err send_key_reply(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const struct tekho_pkm *req,
                                bool again, struct tekho_actions *out)
{
    struct tekho_pkm rsp = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_KEY_REPLY,
                            .identifier = req->identifier, .has_key_seq = true, .key_seq = req->key_seq,
                            .has_said = true, .said = req->said, .n_tek_params = 2, .has_nonce = true,
                            .has_cmac_digest = true};
    memcpy(rsp.nonce, req->nonce, sizeof rsp.nonce);
    /* A retransmitted Key-Request (same identifier and nonce) gets the
     * TEKs already installed; what a reply carried is remembered only once
     * it was made. TEKs in use are refreshed (the older replaced, the newer
     * kept), never replaced both at once. */
    tekho_err err = TEKHO_OK;
    if (!again) {
        /* An entry's first reply is not a refresh: the MS entered with
         * no TEKs at all. */
        err = random_teks(bs, m, now, active_tek(m) != NULL && m->role == ROLE_SERVING && !m->entry_sa_tek,
                          rsp.tek_params, m->role == ROLE_TARGET_SA_TEK, out);
        if (err == TEKHO_OK) {
            m->entry_sa_tek = false;
            memcpy(m->last_params, rsp.tek_params, sizeof m->last_params);
            m->last_pkm_id = req->identifier;
            memcpy(m->last_nonce, req->nonce, sizeof m->last_nonce);
            m->have_last_params = true;
        }
    }
    memcpy(rsp.tek_params, m->last_params, sizeof rsp.tek_params);
    if (err == TEKHO_OK)
        err = send_pkm_rsp(bs, m, &rsp, out);
    OPENSSL_cleanse(&rsp, sizeof rsp);
    return err;
}

/* The handover is complete at this target (the TEKs are out): the
 * Authenticator gets the count the MS used, the BS it came from learns
 * it arrived. */
static void target_completed(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    m->retries = 0;
    m->awaiting_update = true;
    send_ho_complete(bs, m, now, out);
    tekho_act_event(out, m->index, TEKHO_EV_HO_COMPLETED, bs->cfg.node, NULL, 0);
}

/* baseline-challenge: the MS's SA-TEK-Request answers RNG-RSP's SA
 * Challenge Tuple (its BS_Random checked by the caller). SA-TEK-Response
 * carries fresh TEKs under this BS's KEK (the SAID and two TEK-Parameters:
 * [PROFILE] the SA-TEK-Update 802.16e puts in SA-TEK-Response, in the
 * attributes a Key-Reply uses); a request sent again gets the same
 * answer. */
static tekho_err answer_tuple(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const struct tekho_pkm *req,
                              struct tekho_actions *out)
{
    struct tekho_pkm rsp = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_SA_TEK_RESPONSE,
                            .identifier = req->identifier, .has_key_seq = true, .key_seq = req->key_seq,
                            .has_ms_random = true, .has_bs_random = true, .has_akid = true, .has_said = true,
                            .said = tekho_ms_basic_cid(m->index), .n_tek_params = 2, .has_cmac_digest = true};
    memcpy(rsp.ms_random, req->ms_random, RANDOM_SIZE);
    memcpy(rsp.bs_random, m->bs_random, RANDOM_SIZE);
    memcpy(rsp.akid, m->link.ak.akid, 8);
    const bool again = m->sa_tek_answered;
    tekho_err err = TEKHO_OK;
    if (!again) {
        err = random_teks(bs, m, now, false, rsp.tek_params, true, out);
        if (err == TEKHO_OK) {
            memcpy(m->last_params, rsp.tek_params, sizeof m->last_params);
            m->last_pkm_id = 0; /* no Key-Request is answered by these */
            memset(m->last_nonce, 0, sizeof m->last_nonce);
            m->have_last_params = true;
        }
    }
    memcpy(rsp.tek_params, m->last_params, sizeof rsp.tek_params);
    if (err == TEKHO_OK)
        err = send_pkm_rsp(bs, m, &rsp, out);
    OPENSSL_cleanse(&rsp, sizeof rsp);
    if (err != TEKHO_OK || again)
        return err == TEKHO_OK ? out->err : err;
    m->sa_tek_answered = true;
    m->role = ROLE_SERVING;
    target_completed(bs, m, now, out);
    return out->err;
}

static tekho_err prove_entry(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                             const struct tekho_pkm *r, struct tekho_actions *out);

static tekho_err on_pkm_req(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    struct tekho_pkm r;
    tekho_err err = tekho_pkm_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    /* The table took one of the two, each in the roles that can. */
    const bool sa_tek_request = r.code == TEKHO_PKM_SA_TEK_REQUEST;
    const bool key_request = !sa_tek_request;
    /* Serving, an SA-TEK-Request is only baseline-challenge's or the
     * entry's, sent again because our SA-TEK-Response was lost (or is
     * held). */
    const bool entry_again = sa_tek_request && m->role == ROLE_SERVING && m->entry_sa_tek;
    if (sa_tek_request && m->role == ROLE_SERVING && !entry_again && !(challenge_mode(bs, m) && m->sa_tek_answered))
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* PKMv2 names the AK it is under by its sequence (7.2.2.2.? Key
     * Sequence Number); a Key-Request asks for the MS's primary SA. */
    const bool entering = m->role == ROLE_ENTERING;
    if (entering && m->n_offers == 0)
        return TEKHO_ERR_UNEXPECTED_MESSAGE; /* before the challenges */
    if (!r.has_key_seq || r.key_seq != (entering ? m->offer_sn : m->ak_sn) ||
        (key_request && (!r.has_said || !r.has_nonce || r.said != tekho_ms_basic_cid(m->index))))
        return TEKHO_ERR_BAD_VALUE;
    /* 7.2.2.4.3: the BS_Random must be the one it challenged with (before
     * anything is taken: entering, nothing but it makes the proof fresh). */
    if (sa_tek_request &&
        (!r.has_bs_random || !r.has_ms_random || !m->bs_random_drawn ||
         CRYPTO_memcmp(r.bs_random, m->bs_random, RANDOM_SIZE) != 0))
        return TEKHO_ERR_BAD_VALUE;
    /* Entering, the SA-TEK-Request proves which offered PMK the MS holds. */
    err = entering ? prove_entry(bs, now, m, msg, len, &r, out)
                   : tekho_verify_pkm(bs->kit, &m->link, true, tekho_ms_basic_cid(m->index), msg, len, r.cmac_offset,
                                      r.cmac_digest.cmac_pn);
    if (err != TEKHO_OK) {
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        return out->err;
    }
    if (sa_tek_request && (entering || entry_again)) {
        /* The entry's SA-TEK-Response (or its copy, for a copy of the
         * request) goes once the Authenticator took the PMK proved. */
        if (entering) {
            m->entry_sa_tek = true;
            m->reply_held = true;
            m->role = ROLE_SERVING;
        }
        m->held_pkm_id = r.identifier;
        memcpy(m->held_ms_random, r.ms_random, RANDOM_SIZE);
        return m->reply_held ? out->err : send_entry_response(bs, m, out);
    }
    if (sa_tek_request) {
        if (challenge_mode(bs, m))
            return answer_tuple(bs, now, m, &r, out);
        /* The challenge timer keeps running until the Key-Request: if this
         * response is lost, the next challenge makes the MS ask again. */
        struct tekho_pkm rsp = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_SA_TEK_RESPONSE,
                                .identifier = r.identifier, .has_key_seq = true, .key_seq = r.key_seq,
                                .has_ms_random = true, .has_bs_random = true, .has_akid = true,
                                .has_cmac_digest = true};
        memcpy(rsp.ms_random, r.ms_random, RANDOM_SIZE);
        memcpy(rsp.bs_random, m->bs_random, RANDOM_SIZE);
        memcpy(rsp.akid, m->link.ak.akid, 8);
        return send_pkm_rsp(bs, m, &rsp, out);
    }
    /* A Key-Request before the entry's SA-TEK-Response went out: the MS
     * cannot have it (nothing but that response lets it ask). */
    if (m->reply_held)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    const bool again = m->have_last_params && r.identifier == m->last_pkm_id &&
                       CRYPTO_memcmp(r.nonce, m->last_nonce, sizeof m->last_nonce) == 0;
    err = send_key_reply(bs, now, m, &r, again, out);
    if (err != TEKHO_OK)
        return err;
    if (m->role == ROLE_TARGET_SA_TEK) {
        /* Baseline-full is complete: the new PMK's count 0 was used. */
        m->rng_count = m->link.count;
        target_completed(bs, m, now, out);
    }
    /* A Key-Request means the SA-TEK-Response got through. */
    m->sa_tek_answered = false;
    m->role = ROLE_SERVING;
    return out->err;
}

/* ---- baseline-full: EAP relayed between the MS and the Authenticator ---- */

/* The EAP-Request in eap_req to the MS in PKMv2 EAP-Transfer, under this
 * BS's CMAC keys for the MS (a fresh CMAC_PN each time). */
static tekho_err send_eap_request(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    struct tekho_pkm eap = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_EAP_TRANSFER,
                            .identifier = m->eap_req[1], .has_key_seq = true, .key_seq = m->ak_sn,
                            .has_cmac_digest = true, .eap_payload_len = m->eap_req_len};
    memcpy(eap.eap_payload, m->eap_req, m->eap_req_len);
    const tekho_err err = send_pkm_rsp(bs, m, &eap, out);
    if (err == TEKHO_OK)
        tekho_act_timer(out, TIMER_ID(m->index, TIMER_EAP), now + bs->cfg.timing.retransmit_us);
    return err;
}

/* An EAP packet from the Authenticator (AR_EAP_Transfer) to the MS in
 * PKMv2 EAP-Transfer (802.16e 7.2.2; NWG Authentication Relay). Only
 * during this stay's re-authentication. */
static tekho_err on_eap_from_auth(struct tekho_bs *bs, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                                  struct tekho_actions *out)
{
    struct bs_ms *m = find_mac(bs, r->ms_id);
    if (m == NULL || from != TEKHO_NODE_AUTHENTICATOR)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (!m->ctx_pending || r->transaction_id != m->ctx_txn || r->eap_payload[0] != 1 ||
        r->eap_payload_len < TEKHO_EAP_HEADER_LEN + 1 ||
        ((size_t)r->eap_payload[2] << 8 | r->eap_payload[3]) != r->eap_payload_len)
        return TEKHO_ERR_BAD_VALUE;
    memcpy(m->eap_req, r->eap_payload, r->eap_payload_len);
    m->eap_req_len = r->eap_payload_len;
    m->eap_waiting = true;
    m->eap_retries = 0;
    const tekho_err err = send_eap_request(bs, m, now, out);
    if (err != TEKHO_OK)
        return err;
    /* The exchange moves: the Context_Req is not sent again while it does. */
    m->retries = 0;
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.backbone_retransmit_us);
    return out->err;
}

/* The MS's EAP-Response (PKMv2 EAP-Transfer, its CMAC checked) to the
 * Authenticator in AR_EAP_Transfer. */
static tekho_err on_eap_from_ms(struct tekho_bs *bs, struct bs_ms *m, const uint8_t *msg, size_t len,
                                struct tekho_actions *out)
{
    struct tekho_pkm r;
    tekho_err err = tekho_pkm_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    if (r.mgmt_type != TEKHO_MGMT_PKM_REQ || r.eap_payload[0] != 2 || !r.has_key_seq || r.key_seq != m->ak_sn ||
        !m->ctx_pending)
        return TEKHO_ERR_BAD_VALUE;
    err = tekho_verify_pkm(bs->kit, &m->link, true, tekho_ms_basic_cid(m->index), msg, len, r.cmac_offset,
                           r.cmac_digest.cmac_pn);
    if (err != TEKHO_OK) {
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        return out->err;
    }
    if (m->eap_waiting && r.eap_payload[1] == m->eap_req[1]) {
        m->eap_waiting = false;
        tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_EAP));
    }
    struct tekho_asncp relay;
    tekho_asncp_about(&relay, TEKHO_ASNCP_AR_EAP_TRANSFER, m->mac, m->ctx_txn);
    memcpy(relay.eap_payload, r.eap_payload, r.eap_payload_len);
    relay.eap_payload_len = r.eap_payload_len;
    tekho_send_backbone(out, TEKHO_NODE_AUTHENTICATOR, &relay);
    return out->err;
}

/* baseline-early: the handover this context prepares (target) or relays
 * (serving) brings the target's TEKs to the MS through the serving BS
 * before it leaves. On the wire it is HO Process Optimization bits 1-2 =
 * 11, which 802.16e reads as "all the TEKs received from the serving BS
 * are reused": here the TEKs the MS received from the serving BS are the
 * target's, in MOB_BSHO-RSP, not the serving BS's own (reuse). */
static bool early_mode(const struct tekho_bs *bs, const struct bs_ms *m)
{
    return bs->cfg.scheme == TEKHO_SCHEME_BASELINE_EARLY && m->mode == TEKHO_HO_TEK_REUSE;
}

/* baseline-challenge: HO Process Optimization 00 (the SA-TEK 3-way
 * handshake) without the re-authentication 00 also asks for: this BS holds
 * a valid AK context from the Authenticator (HO Process Optimization lets
 * the target skip re-authentication), puts the SA Challenge Tuple in
 * RNG-RSP (802.16-2009 RNG-RSP TLV 31) and answers the MS's SA-TEK-Request
 * with SA-TEK-Response carrying its TEKs. */
static bool challenge_mode(const struct tekho_bs *bs, const struct bs_ms *m)
{
    return bs->cfg.scheme == TEKHO_SCHEME_BASELINE_CHALLENGE && m->mode == TEKHO_HO_TEK_REAUTH;
}

static const struct tekho_neighbour *neighbour(const struct tekho_bs *bs, const uint8_t bsid[6])
{
    for (size_t i = 0; i < bs->cfg.n_neighbours; i++)
        if (memcmp(bs->cfg.neighbours[i].bsid, bsid, 6) == 0)
            return &bs->cfg.neighbours[i];
    return NULL;
}

static enum tekho_ho_tek_mode scheme_mode(const struct tekho_bs *bs, const struct bs_ms *m)
{
    switch (bs->cfg.scheme) {
    case TEKHO_SCHEME_COUNTER:
        /* Not negotiated with this MS: the baseline applies (profile 5). */
        return m->tekgen ? TEKHO_HO_TEK_COUNTER : TEKHO_HO_TEK_UPDATE;
    case TEKHO_SCHEME_BASELINE_UPDATE: return TEKHO_HO_TEK_UPDATE;
    case TEKHO_SCHEME_BASELINE_FULL:
    case TEKHO_SCHEME_BASELINE_CHALLENGE: return TEKHO_HO_TEK_REAUTH; /* challenge: without the re-authentication */
    case TEKHO_SCHEME_BASELINE_EARLY: return TEKHO_HO_TEK_REUSE;    /* the target's TEKs, relayed: early_mode */
    case TEKHO_SCHEME_REUSE:
    case TEKHO_SCHEME_NONE:
    case TEKHO_SCHEME_NONE_LATE:
    default: return TEKHO_HO_TEK_REUSE; /* none, none-late: no keys at all, nothing to transfer */
    }
}

static tekho_err send_bsho(struct tekho_bs *bs, struct bs_ms *m, bool refuse, uint64_t now,
                           struct tekho_actions *out);

static tekho_err send_bsho_rsp(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    return send_bsho(bs, m, false, now, out);
}

static tekho_err send_bsho_refusal(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    return send_bsho(bs, m, true, now, out);
}

static tekho_err on_msho_req(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                             struct tekho_actions *out)
{
    const bool again = m->role == ROLE_SOURCE;
    struct tekho_mob_msho_req r;
    tekho_err err = tekho_mob_msho_req_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    if (!r.has_cmac)
        return TEKHO_ERR_MISSING_TLV;
    err = tekho_verify_mgmt(bs->kit, &m->link, true, tekho_ms_basic_cid(m->index), msg, len, r.cmac_offset, &r.cmac);
    if (err != TEKHO_OK) {
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        return out->err;
    }
    if (r.n_new_bs_full == 0)
        return TEKHO_ERR_MISSING_TLV;
    const struct tekho_neighbour *nb = neighbour(bs, r.new_bs_full[0].bsid);
    if (nb == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (again && nb->node == m->peer) {
        /* The MS asks again while the target prepares: the preparation
         * under way answers it; a lost MOB_BSHO-RSP is sent again. */
        if (m->have_bsho)
            send_bsho_rsp(bs, m, now, out);
        return out->err;
    }
    m->have_bsho = false;
    forget_early(m); /* the last preparation's, if any */
    m->role = ROLE_SOURCE;
    m->peer = nb->node;
    memcpy(m->peer_bsid, nb->bsid, 6);
    m->mode = scheme_mode(bs, m);
    m->retries = 0;
    m->transaction++;
    m->prepared_txn_valid = true;
    return send_ho_req(bs, m, now, out);
}

/* HO_Cnf to the target; with reuse it carries the TEKs and their PN
 * state, sent only once this BS has stopped using them. Returns the bytes
 * of TEKs it carried. */
static size_t send_ho_cnf(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    size_t tek_bytes = 0;
    struct tekho_asncp cnf;
    asncp_for(bs, m, TEKHO_ASNCP_HO_CNF, &cnf);
    cnf.has_source_id = cnf.has_destination_id = true;
    memcpy(cnf.source_id, bs->cfg.bsid, 6);
    memcpy(cnf.destination_id, m->peer_bsid, 6);
    const struct tekho_tek_context *tek = active_tek(m);
    /* baseline-early hands over nothing: the target made its own TEKs. */
    if (m->mode == TEKHO_HO_TEK_REUSE && tek != NULL && !early_mode(bs, m)) {
        cnf.n_sa = 1;
        cnf.sa[0].said = tek->said;
        struct tekho_asncp_tek *teks[2] = {&cnf.sa[0].older, &cnf.sa[0].newer};
        for (int i = 0; i < 2; i++) {
            const struct tekho_tek_slot *s = &tek->tek[i];
            if (!s->installed)
                continue;
            *(i ? &cnf.sa[0].has_newer : &cnf.sa[0].has_older) = true;
            memcpy(teks[i]->tek, s->key, 16);
            teks[i]->tek_sn = s->eks;
            teks[i]->lifetime_s = (uint32_t)((s->expires_at_ms > 0 ? s->expires_at_ms : 0) / 1000);
            teks[i]->pn_counter = s->tx_pn;
            teks[i]->rxpn_counter = s->rx.highest;
            tek_bytes += TEKHO_ASNCP_TEK_LEN;
        }
    }
    tekho_send_backbone(out, m->peer, &cnf);
    tekho_asncp_wipe(&cnf);
    return tek_bytes;
}

/* The MS has left this (serving) BS: HO_Cnf tells the target, and with
 * reuse hands it the TEKs and their PN state, which this BS no longer
 * uses; it goes again until the target's HO_Ack. */
static void handed_over(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    const size_t tek_bytes = send_ho_cnf(bs, m, out);
    if (tek_bytes > 0) /* counted once per handover, not per retransmission */
        tekho_act_event(out, m->index, TEKHO_EV_TEK_BYTES_OVER_BACKBONE, (int64_t)tek_bytes, NULL, 0);
    m->role = ROLE_HANDED_OVER;
    m->retries = 0;
    m->confirmed = false;
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_CACHE));
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.backbone_retransmit_us);
}

static tekho_err on_ho_ind(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                           struct tekho_actions *out)
{
    struct tekho_mob_ho_ind r;
    tekho_err err = tekho_mob_ho_ind_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    if (!r.has_cmac)
        return TEKHO_ERR_MISSING_TLV;
    err = tekho_verify_mgmt(bs->kit, &m->link, true, tekho_ms_basic_cid(m->index), msg, len, r.cmac_offset, &r.cmac);
    if (err != TEKHO_OK) {
        tekho_act_event(out, m->index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        return out->err;
    }
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    if (r.ho_ind_type == TEKHO_MOB_HO_IND_CANCEL || r.ho_ind_type == TEKHO_MOB_HO_IND_REJECT) {
        /* Cancel, or the MS rejects what MOB_BSHO-RSP offered: it stays. */
        m->role = ROLE_SERVING;
        return out->err;
    }
    if (r.ho_ind_type != TEKHO_MOB_HO_IND_RELEASE)
        return TEKHO_ERR_BAD_VALUE;
    if (m->role != ROLE_SOURCE || memcmp(r.target_bsid, m->peer_bsid, 6) != 0)
        return TEKHO_ERR_BAD_VALUE;
    /* The serving BS releases the MS at MOB_HO-IND (802.16-2009 6.3.21.2.6). */
    handed_over(bs, m, now, out);
    return out->err;
}

/* ---- air: user data ------------------------------------------------------------------ */

static bool self_sync_budget(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, unsigned tries)
{
    if (now - m->budget_start_us >= 1000000) {
        m->budget_start_us = now;
        m->budget_used = 0;
    }
    if (m->budget_used + tries > bs->cfg.self_sync_budget)
        return false;
    m->budget_used += tries;
    return true;
}

/* Seed, TB < TM: try TB+1 .. TB+W against this PDU's ICV; at most W trial
 * decryptions per PDU and a budget per MS per second. Each trial runs in
 * the cache entry for its count: a context this BS already used there
 * judges by its replay window, so an old PDU cannot move TB, and a new one
 * that fails is still pristine and goes again. */
static tekho_err self_sync(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *pdu, size_t len,
                           uint8_t *payload, size_t cap, size_t *n, struct tekho_actions *out)
{
    const unsigned w = bs->cfg.self_sync_window;
    if (w == 0 || m->mode != TEKHO_HO_TEK_COUNTER || m->role != ROLE_TARGET_READY || !tek_is_counter(m))
        return TEKHO_ERR_BAD_ICV;
    if (!self_sync_budget(bs, m, now, w))
        return TEKHO_ERR_RATE_LIMITED;
    const uint16_t tb = active_tb(m);
    for (unsigned k = 1; k <= w && tb + k <= TEKHO_COUNT_LIMIT; k++) {
        const uint16_t count = (uint16_t)(tb + k);
        if (count < m->serving_floor)
            continue; /* the MS has passed it (HO_Req) */
        int i = tekho_tek_cache_find(&m->cache, OWN_BSID, count);
        const bool derived = i < 0;
        struct tekho_tek_context trial;
        memset(&trial, 0, sizeof trial);
        const struct tek_derive how = derive_params(bs, m, now);
        if (derived && tekho_tek_cache_derive(count, count_floor(m), &how, &trial) != TEKHO_OK)
            continue;
        struct tekho_tek_context *ctx = derived ? &trial : tekho_tek_cache_at(&m->cache, i);
        if (tekho_tek_open(ctx, now / 1000, pdu, len, payload, cap, n, NULL) != TEKHO_OK) {
            tekho_tek_context_cleanup(&trial);
            continue;
        }
        /* The MS is at `count` (only it and this BS hold these TEKs):
         * older contexts go, which makes room for this one. */
        raise_proven(m, count);
        deactivate_keeping(m, i, out);
        tekho_err err = derived ? tekho_tek_cache_put(&m->cache, OWN_BSID, count, ACTIVE_NONE, &trial, &i) : TEKHO_OK;
        tekho_tek_context_cleanup(&trial);
        if (err != TEKHO_OK)
            return err;
        i = tekho_tek_cache_find(&m->cache, OWN_BSID, count);
        if (i < 0)
            return TEKHO_ERR_NO_KEYS;
        activate(m, i, derived, out);
        tekho_act_event(out, m->index, TEKHO_EV_SELF_SYNC, count, NULL, 0);
        return TEKHO_OK;
    }
    return TEKHO_ERR_BAD_ICV;
}

static tekho_err send_tek_invalid(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    struct tekho_pkm inv = {.mgmt_type = TEKHO_MGMT_PKM_RSP, .code = TEKHO_PKM_TEK_INVALID, .identifier = 0,
                            .has_key_seq = true, .key_seq = m->ak_sn, .has_said = true,
                            .said = tekho_ms_basic_cid(m->index), .has_error_code = true,
                            .error_code = 1 /* all (unspecified): the BS holds no TEK for the SA */,
                            .has_cmac_digest = true};
    const tekho_err err = send_pkm_rsp(bs, m, &inv, out);
    return err == TEKHO_OK ? out->err : err;
}

static tekho_err on_data(struct tekho_bs *bs, uint64_t now, uint32_t index, const uint8_t *pdu, size_t len,
                         struct tekho_actions *out)
{
    struct bs_ms *m = find_index(bs, index);
    uint8_t payload[TEKHO_PDU_MAX_LEN];
    size_t n = 0;
    tekho_err err = TEKHO_ERR_NO_KEYS;
    /* At a target before ranging completes, only where the scheme lets
     * data flow early (none-late waits for RNG-RSP). */
    const bool may_receive = m && (m->role == ROLE_SERVING || m->role == ROLE_SOURCE ||
                                   (m->role == ROLE_TARGET_READY && tekho_scheme_early_data(bs->cfg.scheme)));
    if (!may_receive) {
        err = TEKHO_ERR_UNKNOWN_PEER;
    } else if (!tekho_scheme_encrypts(bs->cfg.scheme)) {
        uint16_t cid;
        const uint8_t *body;
        err = tekho_mgmt_unframe(pdu, len, &cid, &body, &n);
        if (err == TEKHO_OK)
            memcpy(payload, body, n);
    } else if (active_tek(m) != NULL) {
        err = tekho_tek_open(active_tek(m), now / 1000, pdu, len, payload, sizeof payload, &n, NULL);
        /* Under TB's TEKs the PDU fails its ICV, or, where a context cached
         * for TB already took PDUs, the replay window refuses its low PN
         * first: either way the MS may be ahead. */
        if (err == TEKHO_ERR_BAD_ICV || err == TEKHO_ERR_PN_REPLAYED || err == TEKHO_ERR_PN_BELOW_WINDOW)
            err = self_sync(bs, now, m, pdu, len, payload, sizeof payload, &n, out);
    }
    if (err != TEKHO_OK) {
        /* TB > TM (a replay or a stale MS) ends here too: self-sync cannot succeed. */
        tekho_act_event(out, index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        /* Serving with no TEKs at all (with reuse, the serving BS had none
         * to hand over): the MS is told its TEKs are invalid and asks for
         * new ones (PKMv2 TEK-Invalid, 802.16-2009 6.3.2.3.9.11). */
        if (m && m->role == ROLE_SERVING && active_tek(m) == NULL && tekho_scheme_encrypts(bs->cfg.scheme) &&
            (!m->tek_invalid_sent || now >= m->tek_invalid_at_us + bs->cfg.timing.retransmit_us) && m->link.ready) {
            /* Again after a while: the MS may not have been able to take
             * it (still ranging, or it was lost). */
            m->tek_invalid_sent = true;
            m->tek_invalid_at_us = now;
            return send_tek_invalid(bs, m, out);
        }
        return out->err;
    }
    m->confirmed = true; /* key confirmation by the first verified PDU */
    tekho_act(out, TEKHO_ACT_DELIVER, bs->cfg.node, index, payload, n);
    return out->err;
}

tekho_err tekho_bs_air(struct tekho_bs *bs, uint64_t now_us, uint32_t ms_index, const uint8_t *pdu, size_t len,
                       struct tekho_actions *out)
{
    if (bs == NULL || pdu == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_gmh gmh;
    tekho_err err = tekho_gmh_decode(pdu, len, &gmh);
    if (err != TEKHO_OK)
        return err;
    /* The row: the role of what this BS holds for the MS, or none. */
    struct bs_ms *m = find_index(bs, ms_index);
    const enum bs_role row = m ? m->role : ROLE_FREE;
    if (gmh.cid > TEKHO_MGMT_CID_MAX)
        return bs_accepts(row, BS_IN_DATA) ? on_data(bs, now_us, ms_index, pdu, len, out)
                                           : TEKHO_ERR_UNEXPECTED_MESSAGE;
    uint16_t cid;
    const uint8_t *msg;
    size_t msg_len;
    err = tekho_mgmt_unframe(pdu, len, &cid, &msg, &msg_len);
    if (err != TEKHO_OK)
        return err;
    /* The legality check: nothing of the body is decoded before it. */
    enum bs_input in;
    err = bs_classify(msg, msg_len, &in);
    if (err != TEKHO_OK)
        return err;
    if (!bs_accepts(row, in))
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    if (in == BS_IN_RNG_REQ)
        return on_rng_req(bs, now_us, ms_index, msg, msg_len, out);
    /* Every other air message needs a context: the table refuses it in row ROLE_FREE. */
    switch (in) {
    case BS_IN_SBC_REQ: return on_sbc_req(bs, now_us, m, msg, msg_len, out);
    case BS_IN_KEY_REQUEST:
    case BS_IN_SA_TEK_REQUEST: return on_pkm_req(bs, now_us, m, msg, msg_len, out);
    case BS_IN_MSHO_REQ: return on_msho_req(bs, now_us, m, msg, msg_len, out);
    case BS_IN_HO_IND: return on_ho_ind(bs, now_us, m, msg, msg_len, out);
    case BS_IN_EAP_TRANSFER: return on_eap_from_ms(bs, m, msg, msg_len, out);
    default: return TEKHO_ERR_UNEXPECTED_MESSAGE;
    }
}

/* ---- backbone ------------------------------------------------------------------------------ */

/* BS HO Response Code: 0 accepts; this BS refuses with 1 when it cannot
 * keep the MS's TEK contexts or its policy forbids the scheme. */
#define HO_RSP_ACCEPT 0u
#define HO_RSP_REFUSE 1u

static void send_ho_rsp(struct tekho_bs *bs, struct bs_ms *m, uint8_t code, uint64_t now, struct tekho_actions *out)
{
    struct tekho_asncp rsp;
    asncp_for(bs, m, TEKHO_ASNCP_HO_RSP, &rsp);
    rsp.has_source_id = rsp.has_destination_id = true;
    memcpy(rsp.source_id, bs->cfg.bsid, 6);
    memcpy(rsp.destination_id, m->peer_bsid, 6);
    rsp.has_ho_process_optimization = true;
    rsp.ho_process_optimization = (uint8_t)(m->mode << TEKHO_HO_OPT_TEK_SHIFT);
    rsp.has_ho_id = true;
    rsp.ho_id = m->ho_id;
    rsp.has_bs_ho_rsp_code = true;
    rsp.bs_ho_rsp_code = code;
    if (code == HO_RSP_ACCEPT && early_mode(bs, m) && m->have_early) {
        /* The target's TEKs, wrapped under its KEK for the MS: the serving
         * BS relays them and cannot read them. */
        rsp.n_sa = 1;
        rsp.sa[0].said = tekho_ms_basic_cid(m->index);
        rsp.sa[0].has_older = rsp.sa[0].has_newer = true;
        struct tekho_asncp_tek *teks[2] = {&rsp.sa[0].older, &rsp.sa[0].newer};
        for (int i = 0; i < 2; i++) {
            const struct tekho_tek_params *p = &m->early_params[i];
            memcpy(teks[i]->tek, p->wrapped_tek, p->wrapped_tek_len);
            teks[i]->tek_len = p->wrapped_tek_len;
            /* What is left of it here: a TEK kept from an earlier
             * preparation must not outlive this BS's copy at the MS. */
            teks[i]->lifetime_s = m->own ? seconds_left(&m->own->tek[p->key_seq & 1u], now) : 0;
            teks[i]->tek_sn = p->key_seq;
        }
    }
    tekho_send_backbone(out, m->peer, &rsp);
    tekho_asncp_wipe(&rsp);
}

/* baseline-early, at the serving BS: the target's wrapped TEKs from its
 * HO_Rsp, every value checked before it is kept (one SA, the MS's, both
 * TEKs wrapped, key sequences of different parity). */
static tekho_err take_early_teks(struct bs_ms *m, const struct tekho_asncp *r, uint64_t now)
{
    if (r->n_sa != 1 || r->sa[0].said != tekho_ms_basic_cid(m->index) || !r->sa[0].has_older || !r->sa[0].has_newer)
        return TEKHO_ERR_MISSING_TLV;
    const struct tekho_asncp_tek *teks[2] = {&r->sa[0].older, &r->sa[0].newer};
    for (int i = 0; i < 2; i++)
        if (teks[i]->tek_len != TEKHO_ASNCP_WRAPPED_TEK_LEN || teks[i]->tek_sn > 3)
            return TEKHO_ERR_BAD_VALUE;
    if (((teks[0]->tek_sn ^ teks[1]->tek_sn) & 1u) == 0)
        return TEKHO_ERR_BAD_VALUE;
    for (int i = 0; i < 2; i++) {
        struct tekho_tek_params *p = &m->early_params[i];
        memcpy(p->wrapped_tek, teks[i]->tek, TEKHO_ASNCP_WRAPPED_TEK_LEN);
        p->wrapped_tek_len = TEKHO_ASNCP_WRAPPED_TEK_LEN;
        p->lifetime_s = teks[i]->lifetime_s;
        p->key_seq = teks[i]->tek_sn;
    }
    m->have_early = true;
    m->early_at_us = now;
    return TEKHO_OK;
}

static tekho_err on_ho_req(struct tekho_bs *bs, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                           struct tekho_actions *out)
{
    uint32_t index;
    if (!tekho_ms_index_of_mac(r->ms_id, &index))
        return TEKHO_ERR_UNKNOWN_PEER;
    /* Only a neighbour BS asks, in its own name. */
    const struct tekho_neighbour *nb = r->has_source_id ? neighbour(bs, r->source_id) : NULL;
    if (nb == NULL || nb->node != from || from == bs->cfg.node)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (r->has_cmac_key_count && r->cmac_key_count > TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_BAD_VALUE;
    struct bs_ms *m = find_index(bs, index);
    if (m && m->have_ho_req && from == m->ho_req_from && (int16_t)(r->transaction_id - m->ho_req_txn) <= 0 &&
        !(m->role == ROLE_TARGET_READY && r->transaction_id == m->ho_req_txn)) {
        /* A late copy of the HO_Req this context was prepared by (or of an
         * older one): the MS came, or the preparation it asked for is under
         * way; nothing changes. */
        return TEKHO_OK;
    }
    if (m && m->role == ROLE_SERVING && m->have_ho_req && from == m->ho_req_from) {
        /* The BS the MS came from asks for it while it is here and has not
         * left (it would have left through us, as source): that request
         * crossed the MS's arrival (the MS cancelled, asked again, and
         * used the first preparation). Nothing changes. */
        return TEKHO_OK;
    }
    if (m && (m->role == ROLE_SERVING || m->role == ROLE_SOURCE) && m->link.ready && r->has_cmac_key_count &&
        r->cmac_key_count < m->link.count) {
        /* A BS whose link to the MS is of a count below ours asks for it:
         * the MS came here from there since (every handover moves the
         * count up), so the request is older than its arrival; one that
         * left us unheard would be asked for at a count above ours.
         * Nothing changes (before, the MS's context here was let go while
         * it stayed: explorer baseline-update, seed 1648). */
        return TEKHO_OK;
    }
    if (m && m->role == ROLE_HANDED_OVER)
        (void)send_ho_cnf(bs, m, out); /* one last time: the MS comes back before the target acknowledged */
    if (m && (m->role == ROLE_SERVING || m->role == ROLE_SOURCE || m->role == ROLE_ENTERING ||
              m->role == ROLE_HANDED_OVER)) {
        /* Another BS hands the MS back to us: it left without our hearing
         * its MOB_HO-IND (lost on the air), or an entry here (never
         * authenticated) is stale or a replay. What we held for it retires. */
        retire(bs, m, out);
        m = find_index(bs, index);
    }
    if (m && m->role == ROLE_TARGET_READY && m->peer == from && m->transaction == r->transaction_id) {
        /* Our HO_Rsp was lost: answer again, change nothing. */
        send_ho_rsp(bs, m, HO_RSP_ACCEPT, now, out);
        return out->err;
    }
    const bool was_target = m != NULL && (m->role == ROLE_TARGET_PREPARING || m->role == ROLE_TARGET_READY);
    if (m == NULL && (m = take_slot(bs, index)) == NULL)
        return TEKHO_ERR_CAPACITY;
    /* baseline-early: a preparation that replaces one still open keeps its
     * TEKs (the MS may act on either MOB_BSHO-RSP, and has used neither: it
     * is still asking); any other starts without. */
    if (!was_target)
        forget_early(m);
    /* A new attempt starts clean; only the TEK contexts carry over. */
    m->confirmed = false;
    m->sa_tek_answered = false;
    m->ms_left_serving = false;
    m->ho_cnf_done = false;
    m->prepared_txn_valid = false;
    m->have_ho_req = true;
    m->ho_req_from = from;
    m->ho_req_txn = r->transaction_id;
    m->budget_start_us = 0;
    m->budget_used = 0;
    m->awaiting_update = false;
    /* Key-Requests answered in an earlier stay are no retransmissions now. */
    m->have_last_params = false;
    OPENSSL_cleanse(m->last_params, sizeof m->last_params);
    memcpy(m->mac, r->ms_id, 6);
    m->role = ROLE_TARGET_PREPARING;
    m->peer = from;
    if (r->has_source_id)
        memcpy(m->peer_bsid, r->source_id, 6);
    m->transaction = r->transaction_id;
    m->serving_floor = r->has_cmac_key_count ? (uint16_t)(r->cmac_key_count + 1u) : 0;
    const enum tekho_ho_tek_mode asked =
        r->has_ho_process_optimization
            ? (enum tekho_ho_tek_mode)((r->ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT)
            : TEKHO_HO_TEK_REAUTH;
    /* Counter only if this BS can too; otherwise the baseline (profile 5). */
    m->mode = asked == TEKHO_HO_TEK_COUNTER && !(bs->cfg.tekgen_capable && bs->cfg.scheme == TEKHO_SCHEME_COUNTER)
                  ? TEKHO_HO_TEK_UPDATE
                  : asked;
    m->tekgen = m->mode == TEKHO_HO_TEK_COUNTER;
    /* A preparation that replaces one still open keeps its HO_ID: a
     * MOB_BSHO-RSP of the earlier one may be what the MS acts on (it
     * cannot tell them apart). Replays of that attempt's RNG-REQ are still
     * refused by their CMAC_PN, kept per count. */
    if (!(was_target && m->ho_id != 0))
        m->ho_id = ++bs->next_ho_id != 0 ? bs->next_ho_id : ++bs->next_ho_id; /* 0: none */
    m->retries = 0;
    if (bs->cfg.tekgen_required && m->mode != TEKHO_HO_TEK_COUNTER) {
        /* L5: this BS serves only MSs with counter-based TEK generation. */
        send_ho_rsp(bs, m, HO_RSP_REFUSE, now, out);
        retire(bs, m, out);
        return out->err;
    }
    /* Seed step (2): the target is pre-populated with the AK context and N. */
    send_context_req(bs, m, TEKHO_CONTEXT_FOR_HANDOVER, false, now, out);
    return out->err;
}

/* The challenge with this SA-TEK exchange's BS_Random, drawn the first time
 * it is sent: a source that fails then is tried again at the retransmission. */
static tekho_err send_sa_tek_challenge_again(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    const tekho_err err = draw_bs_random(bs, m);
    if (err != TEKHO_OK)
        return err;
    struct tekho_pkm ch = sa_tek_challenge(bs, m, 1, m->ak_sn, m->link.ak.akid);
    return send_pkm_rsp(bs, m, &ch, out);
}

static tekho_err send_sa_tek_challenge(struct tekho_bs *bs, struct bs_ms *m, struct tekho_actions *out)
{
    m->bs_random_drawn = false;
    return send_sa_tek_challenge_again(bs, m, out);
}

/* The target holds the AK context (and, with counter, TB): ready for the
 * MS, HO_Rsp to the serving BS. With baseline-early it first makes the
 * TEKs the MS will use here (kept from a preparation this one replaces),
 * wrapped under this BS's KEK, to reach the MS through the serving BS in
 * HO_Rsp and MOB_BSHO-RSP. If the random source fails, nothing changes
 * and the timer tries again. */
/* baseline-early: the TEKs an earlier preparation made can serve this one
 * (the MS may act on either MOB_BSHO-RSP) while both have a TEK refresh's
 * grace time left; else new ones. */
static bool early_teks_kept(const struct tekho_bs *bs, const struct bs_ms *m, uint64_t now)
{
    if (!m->have_early || m->active != ACTIVE_OWN)
        return false;
    for (int i = 0; i < 2; i++)
        if (!m->own->tek[i].installed || m->own->tek[i].expires_at_ms * 1000 <= now + bs->cfg.timing.tek_grace_us)
            return false;
    return true;
}

static tekho_err target_ready(struct tekho_bs *bs, struct bs_ms *m, uint64_t now, struct tekho_actions *out)
{
    if (early_mode(bs, m) && !early_teks_kept(bs, m, now)) {
        struct tekho_tek_params params[2];
        memset(params, 0, sizeof params);
        const tekho_err err = random_teks(bs, m, now, false, params, false, out);
        if (err != TEKHO_OK) {
            tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.retransmit_us);
            return err;
        }
        memcpy(m->early_params, params, sizeof params);
        OPENSSL_cleanse(params, sizeof params);
        m->have_early = true;
    }
    tekho_tek_cache_drop_below(&m->cache, count_floor(m), m->active);
    m->role = ROLE_TARGET_READY;
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_CACHE), now + bs->cfg.timing.ho_cache_us);
    send_ho_rsp(bs, m, HO_RSP_ACCEPT, now, out);
    if (early_mode(bs, m)) /* once per preparation; a copy of HO_Rsp sent again is not counted */
        tekho_act_event(out, m->index, TEKHO_EV_TEK_BYTES_OVER_BACKBONE,
                        (int64_t)(m->early_params[0].wrapped_tek_len + m->early_params[1].wrapped_tek_len), NULL, 0);
    return out->err;
}

/* Takes the entry offer i the MS proved (link: the link that verified
 * it): a new PMK ends every TEK context and CMAC_PN of the old one here,
 * and the Authenticator learns which PMK it was. */
static tekho_err take_entry_offer(struct tekho_bs *bs, struct bs_ms *m, unsigned i, struct cmac_link *link,
                                  uint64_t now, struct tekho_actions *out)
{
    const bool new_ak = !m->have_ak || CRYPTO_memcmp(m->ak, m->offer_ak[i], TEKHO_AK_LEN) != 0;
    if (m->have_ak && new_ak) {
        deactivate(m, out);
        tekho_tek_cache_free(&m->cache);
        memset(m->cmac_seen, 0, sizeof m->cmac_seen);
        m->proven = 0;
        m->fresh_from = 0;
    }
    memcpy(m->ak, m->offer_ak[i], TEKHO_AK_LEN);
    m->ak_sn = m->offer_sn;
    m->have_ak = true;
    m->n = m->offer_n;
    clear_offers(m);
    if (!new_ak)
        cmac_seen_save(m, &m->link); /* the same PMK: its CMAC_PNs go on */
    tekho_cmac_link_wipe(&m->link);
    m->link = *link;
    m->entry_proof = true;
    m->awaiting_update = true;
    m->rng_count = 0;
    m->retries = 0;
    send_ho_complete(bs, m, now, out);
    return out->err;
}

/* Entering: an AK context for one of the PMKs the MS may enter with. The
 * first answers the SBC-REQ; nothing the BS holds for the MS changes
 * until the MS proves one (take_entry_offer). */
static tekho_err on_entry_offer(struct tekho_bs *bs, struct bs_ms *m, const struct tekho_asncp *r,
                                struct tekho_actions *out)
{
    if (!m->entry_requested || r->transaction_id != m->ctx_txn || !r->has_ak_context)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    const struct tekho_asncp_ak_context *ak = &r->ak_context;
    if (m->n_offers > 0 && ak->ak_sn != m->offer_sn)
        return TEKHO_ERR_BAD_VALUE;
    bool known = false;
    for (unsigned i = 0; i < m->n_offers; i++)
        known |= CRYPTO_memcmp(m->offer_ak[i], ak->ak, TEKHO_AK_LEN) == 0;
    if (!known) {
        if (m->n_offers == ENTRY_OFFERS_MAX)
            return TEKHO_ERR_TOO_MANY;
        memcpy(m->offer_ak[m->n_offers++], ak->ak, TEKHO_AK_LEN);
        m->offer_sn = ak->ak_sn;
        m->offer_n = ak->has_cmac_key_count ? ak->cmac_key_count : 0;
    }
    if (!m->ctx_pending)
        return out->err; /* a further offer, or a copy: the SBC-RSP is out */
    m->ctx_pending = false;
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    /* With no encryption too: management messages are CMAC'd under the
     * PMK's keys, so the PMK is proved as with any scheme. */
    tekho_err err = send_sbc_rsp(bs, m, out);
    if (err == TEKHO_OK)
        err = send_entry_challenges(bs, m, 1, out);
    return err == TEKHO_OK ? out->err : err;
}

/* Entering: the MS's SA-TEK-Request (its BS_Random checked by the caller)
 * verified under one of the offers, which is then taken. */
static tekho_err prove_entry(struct tekho_bs *bs, uint64_t now, struct bs_ms *m, const uint8_t *msg, size_t len,
                             const struct tekho_pkm *r, struct tekho_actions *out)
{
    tekho_err err = TEKHO_ERR_UNEXPECTED_MESSAGE;
    for (unsigned i = 0; i < m->n_offers; i++) {
        struct cmac_link l;
        memset(&l, 0, sizeof l);
        err = tekho_cmac_link_from_ak(bs->kit, &l, m->offer_ak[i], m->mac, bs->cfg.bsid, m->offer_sn, 0);
        l.tx_pn = m->offer_tx_pn[i]; /* after its challenges */
        /* The PMK held here already: its CMAC_PNs of count 0 go on. */
        if (err == TEKHO_OK && m->have_ak && CRYPTO_memcmp(m->ak, m->offer_ak[i], TEKHO_AK_LEN) == 0)
            (void)cmac_seen_restore(m, &l);
        if (err == TEKHO_OK)
            err = tekho_verify_pkm(bs->kit, &l, true, tekho_ms_basic_cid(m->index), msg, len, r->cmac_offset,
                                   r->cmac_digest.cmac_pn);
        const bool proved = err == TEKHO_OK;
        if (proved)
            err = take_entry_offer(bs, m, i, &l, now, out);
        tekho_cmac_link_wipe(&l);
        if (proved)
            return err;
    }
    return err;
}

static tekho_err on_context_rpt(struct tekho_bs *bs, uint64_t now, const struct tekho_asncp *r,
                                struct tekho_actions *out)
{
    struct bs_ms *m = find_mac(bs, r->ms_id);
    if (m == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (m->role == ROLE_ENTERING)
        return on_entry_offer(bs, m, r, out);
    if (m->role == ROLE_SERVING) {
        /* Serving: only the Authenticator's answer to the entry's
         * Context_Ack, the AK context the MS proved. */
        if (!m->entry_proof || r->transaction_id != m->transaction || !r->has_ak_context ||
            CRYPTO_memcmp(r->ak_context.ak, m->ak, TEKHO_AK_LEN) != 0)
            return TEKHO_ERR_UNEXPECTED_MESSAGE;
        m->entry_proof = false;
        m->awaiting_update = false;
        if (!awaiting_ho_cnf(m))
            tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
        if (r->ak_context.has_cmac_key_count && r->ak_context.cmac_key_count > m->n)
            m->n = r->ak_context.cmac_key_count;
        if (!m->reply_held)
            return out->err;
        m->reply_held = false;
        return send_entry_response(bs, m, out);
    }
    if (!m->ctx_pending || r->transaction_id != m->ctx_txn || !r->has_ak_context)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    m->ctx_pending = false;
    const struct tekho_asncp_ak_context *ak = &r->ak_context;
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    const bool new_ak = !m->have_ak || CRYPTO_memcmp(m->ak, ak->ak, TEKHO_AK_LEN) != 0;
    if (m->have_ak && new_ak) {
        /* A new AK (a new PMK): every TEK context and CMAC_PN of the old one goes. */
        deactivate(m, out);
        tekho_tek_cache_free(&m->cache);
        memset(m->cmac_seen, 0, sizeof m->cmac_seen);
        m->n = 0;
        m->proven = 0;
        m->fresh_from = 0;
    }
    memcpy(m->ak, ak->ak, TEKHO_AK_LEN);
    m->ak_sn = ak->ak_sn;
    m->have_ak = true;
    /* N never goes back here either (a re-ordered message may be older). */
    const uint16_t n = ak->has_cmac_key_count ? ak->cmac_key_count : 0;
    if (n > m->n || m->role == ROLE_ENTERING || m->role == ROLE_TARGET_REAUTH)
        m->n = n;
    /* An AK a restarted BS first meets at a handover may be one its earlier
     * life used (entry and re-authentication make a new PMK): see
     * tekho_bs_config.restarted. */
    if (new_ak && bs->cfg.restarted && m->role == ROLE_TARGET_PREPARING) {
        const unsigned from = (unsigned)m->n + TEKHO_COUNT_AHEAD_MAX + bs->cfg.self_sync_window + 1;
        /* Past the limit: no count of this PMK is fresh here, ever. */
        m->fresh_from = (uint16_t)(from > TEKHO_COUNT_LIMIT ? TEKHO_COUNT_LIMIT + 1u : from);
    }
#ifdef TEKHO_MUTATION_BS_ADVANCES_N
    if (m->role == ROLE_TARGET_PREPARING)
        m->n = (uint16_t)(m->n + 1); /* the target moves N itself */
#endif
    /* At entry and after re-authentication a fresh PMK means count 0;
     * at handover the CMAC keys follow the count the RNG-REQ proves. */
    const uint16_t count = m->role == ROLE_TARGET_PREPARING ? m->n : 0;
    cmac_seen_save(m, &m->link);
    tekho_err err = tekho_cmac_link_from_ak(bs->kit, &m->link, m->ak, m->mac, bs->cfg.bsid, m->ak_sn, count);
    if (err != TEKHO_OK)
        return err;
    (void)cmac_seen_restore(m, &m->link);
    if (m->role == ROLE_TARGET_REAUTH) {
        m->role = ROLE_TARGET_SA_TEK;
        m->retries = 0;
        m->eap_waiting = false;
        tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_EAP));
        /* 7.2.2.4.3: the challenge is resent until an SA-TEK-Request comes
         * (SAChallengeTimer, SAChallengeMaxResends). */
        tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.retransmit_us);
        return send_sa_tek_challenge(bs, m, out);
    }
    /* Seed step (3): the target computes the TEKs once N is known, TB = N,
     * or takes the context it cached for (MS, N). Where the MS proved a
     * higher count here before (N lags), TB starts there. */
    if (m->mode == TEKHO_HO_TEK_COUNTER && m->n < m->fresh_from) {
        /* Restarted: every count the MS may present (N up to N + the most
         * any BS accepts ahead) may be one whose PNs were lost. */
        m->mode = TEKHO_HO_TEK_UPDATE;
        m->tekgen = false;
    }
    if (m->mode == TEKHO_HO_TEK_COUNTER) {
        err = switch_count(bs, m, count_floor(m), now, out);
        if (err == TEKHO_ERR_CAPACITY || err == TEKHO_ERR_NO_MEMORY || err == TEKHO_ERR_STALE_COUNT) {
            /* H1: no room for TB = N without forgetting a context that can
             * come back (or N at its limit): the handover is refused. */
            send_ho_rsp(bs, m, HO_RSP_REFUSE, now, out);
            retire(bs, m, out);
            return out->err;
        }
        if (err != TEKHO_OK)
            return err;
    }
    m->retries = 0;
    return target_ready(bs, m, now, out);
}

static tekho_err on_ho_rsp(struct tekho_bs *bs, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                           struct tekho_actions *out)
{
    struct bs_ms *m = find_mac(bs, r->ms_id);
    if (m == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    /* Only the target asked, in the transaction it was asked in. */
    if (from != m->peer || r->transaction_id != m->transaction)
        return TEKHO_ERR_UNKNOWN_PEER;
    const enum tekho_ho_tek_mode mode =
        r->has_ho_process_optimization
            ? (enum tekho_ho_tek_mode)((r->ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT)
            : m->mode;
    /* The target may only keep the mode asked for or fall back from
     * counter to the baseline (profile 5). */
    const bool mode_ok = mode == m->mode || (m->mode == TEKHO_HO_TEK_COUNTER && mode == TEKHO_HO_TEK_UPDATE);
    if (!mode_ok)
        return TEKHO_ERR_BAD_VALUE;
    const bool accepted = !(r->has_bs_ho_rsp_code && r->bs_ho_rsp_code != HO_RSP_ACCEPT);
    if (accepted && early_mode(bs, m)) {
        /* baseline-early: the target's TEKs come with its acceptance. */
        const tekho_err err = take_early_teks(m, r, now);
        if (err != TEKHO_OK)
            return err;
    }
    tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    if (r->has_bs_ho_rsp_code && r->bs_ho_rsp_code != HO_RSP_ACCEPT) {
        /* Refused: the MS stays, and learns it from a MOB_BSHO-RSP that
         * recommends no BS. */
        m->role = ROLE_SERVING;
        m->have_bsho = false;
        tekho_act_event(out, m->index, TEKHO_EV_HO_FAILED, m->peer, NULL, 0);
        return send_bsho_refusal(bs, m, now, out);
    }
    m->mode = mode;
    m->ho_id = r->has_ho_id ? r->ho_id : 0;
    m->have_bsho = true;
    /* The MS answers with MOB_HO-IND (release or cancel). If neither ever
     * comes (a cancel lost on the air, the MS gone), this BS serves it
     * again once the target would have let the preparation go. */
    tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now + bs->cfg.timing.ho_cache_us);
    const tekho_err err = send_bsho_rsp(bs, m, now, out);
    if (err == TEKHO_OK && early_mode(bs, m)) /* once per preparation, as baseline-update's RNG-RSP */
        tekho_act_event(out, m->index, TEKHO_EV_TEK_BYTES_OVER_AIR,
                        (int64_t)(m->early_params[0].wrapped_tek_len + m->early_params[1].wrapped_tek_len), NULL, 0);
    return err == TEKHO_OK ? out->err : err;
}

static tekho_err send_bsho(struct tekho_bs *bs, struct bs_ms *m, bool refuse, uint64_t now,
                           struct tekho_actions *out)
{
    struct tekho_mob_bsho_rsp rsp;
    memset(&rsp, 0, sizeof rsp);
    rsp.mode = TEKHO_MOB_BSHO_MODE_HO;
    rsp.n_recommended = refuse ? 0 : 1;
    if (!refuse) {
        memcpy(rsp.recommended[0].bsid, m->peer_bsid, 6);
        rsp.recommended[0].ho_process_optimization = TEKHO_MOB_HO_OPT_WITH_TEK_MODE(0, m->mode);
        rsp.recommended[0].has_ho_id = true;
        rsp.recommended[0].ho_id = m->ho_id;
    }
    if (!refuse && early_mode(bs, m) && m->have_early) {
        /* baseline-early: the target's TEKs, as the target wrapped them. */
        rsp.has_sa_tek_update = true;
        struct tekho_sa_tek_update *u = &rsp.sa_tek_update;
        u->type = 0x80;
        u->new_said = u->old_said = tekho_ms_basic_cid(m->index);
        u->has_old_params = true;
        u->old_params = m->early_params[0];
        u->new_params = m->early_params[1];
        /* Sent again (the MS asked again), they are older by then: what
         * is left of their lifetimes, so that the MS never holds a TEK
         * longer than the target does. */
        const uint64_t aged_s = now > m->early_at_us ? (now - m->early_at_us + 999999u) / 1000000u : 0;
        struct tekho_tek_params *ps[2] = {&u->old_params, &u->new_params};
        for (int i = 0; i < 2; i++)
            ps[i]->lifetime_s = ps[i]->lifetime_s > aged_s ? (uint32_t)(ps[i]->lifetime_s - aged_s) : 0;
    }
    rsp.has_cmac = true;
    rsp.cmac = tekho_cmac_tuple_next(&m->link);
    uint8_t msg[256];
    size_t len = 0;
    tekho_err err = tekho_mob_bsho_rsp_encode(&rsp, msg, sizeof msg, &len);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(bs->kit, &m->link, false, tekho_ms_basic_cid(m->index), msg, len, CMAC_TUPLE_TLV_LEN);
    if (err == TEKHO_OK)
        send_dl(bs, m, tekho_ms_basic_cid(m->index), msg, len, out);
    return err;
}

static void send_ho_ack(const struct bs_ms *m, uint32_t to, uint16_t transaction, struct tekho_actions *out)
{
    struct tekho_asncp ack;
    tekho_asncp_about(&ack, TEKHO_ASNCP_HO_ACK, m->mac, transaction);
    tekho_send_backbone(out, to, &ack);
}

/* HO_Cnf from the serving BS: the MS has left it. With reuse it carries
 * the TEKs and their PN state; every value is checked before use. */
static tekho_err on_ho_cnf(struct tekho_bs *bs, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                           struct tekho_actions *out)
{
    struct bs_ms *m = find_mac(bs, r->ms_id);
    /* It can come after the MS (its MOB_HO-IND lost): with reuse the TEKs
     * are still welcome then. */
    if (m == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    const bool late = m->role == ROLE_SERVING || m->role == ROLE_SOURCE;
    /* Only the serving BS of the handover this BS was prepared for, in its
     * transaction (the MS may have asked to move on since), and once: a
     * copy must not install the TEKs again (their windows would start over). */
    if (!m->have_ho_req || from != m->ho_req_from || r->transaction_id != m->ho_req_txn)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (m->ho_cnf_done) {
        send_ho_ack(m, from, r->transaction_id, out); /* our HO_Ack was lost */
        return out->err;
    }
    if (m->mode != TEKHO_HO_TEK_REUSE || early_mode(bs, m) || r->n_sa == 0 || (late && active_tek(m) != NULL)) {
        /* Nothing to install (or TEKs of its own already, late): taken. */
        m->ms_left_serving = true;
        m->ho_cnf_done = true;
        send_ho_ack(m, from, r->transaction_id, out);
        return out->err;
    }
    /* Reuse: install the serving BS's TEKs with their PN state, so no
     * (TEK, PN) pair is used twice. The SA must be the MS's, each TEK's
     * slot is its EKS parity, and every counter within its range. */
    if (r->sa[0].said != tekho_ms_basic_cid(m->index) || !(r->sa[0].has_older || r->sa[0].has_newer) ||
        (r->sa[0].has_older && r->sa[0].has_newer && ((r->sa[0].older.tek_sn ^ r->sa[0].newer.tek_sn) & 1) == 0))
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_tek_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.said = r->sa[0].said;
    ctx.tx_dir = TEKHO_DIR_DL;
    ctx.kit = bs->kit;
    const struct tekho_asncp_tek *teks[2] = {r->sa[0].has_older ? &r->sa[0].older : NULL,
                                             r->sa[0].has_newer ? &r->sa[0].newer : NULL};
    tekho_err err = TEKHO_OK;
    for (unsigned i = 0; i < 2 && err == TEKHO_OK; i++) {
        const struct tekho_asncp_tek *t = teks[i];
        if (t == NULL)
            continue;
        if (t->tek_len != TEKHO_ASNCP_TEK_LEN || t->tek_sn > 3 || t->pn_counter > TEKHO_PN_COUNTER_MAX ||
            t->rxpn_counter > TEKHO_PN_COUNTER_MAX) {
            err = TEKHO_ERR_BAD_VALUE;
            break;
        }
        const unsigned slot = t->tek_sn & 1u;
        const uint64_t left_s = t->lifetime_s > now / 1000000 ? t->lifetime_s - now / 1000000 : 0;
        err = tekho_tek_context_install(&ctx, slot, t->tek, t->tek_sn, (uint32_t)left_s, now / 1000,
                                        bs->cfg.pn_window);
        if (err == TEKHO_OK) {
            ctx.tek[slot].tx_pn = t->pn_counter;
            /* Only the highest received PN travels: everything inside the
             * window below it must count as seen too, or a PDU the serving
             * BS already delivered could be replayed here. */
            err = tekho_pn_window_seen_through(&ctx.tek[slot].rx, t->rxpn_counter);
        }
    }
    if (err == TEKHO_OK)
        err = own_reserve(m);
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&ctx);
        return err;
    }
    m->ms_left_serving = true;
    m->ho_cnf_done = true;
    send_ho_ack(m, from, r->transaction_id, out);
    deactivate(m, out);
    if ((err = own_reserve(m)) != TEKHO_OK) { /* deactivating let the old ones go */
        tekho_tek_context_cleanup(&ctx);
        return err;
    }
    tekho_tek_context_move(m->own, &ctx);
    m->active = ACTIVE_OWN;
    uint8_t fp[2][8];
    tekho_tek_fingerprints(m->own, fp);
    tekho_act_event(out, m->index, TEKHO_EV_KEYS_INSTALLED, 0, &fp[0][0], sizeof fp);
    return out->err;
}

static tekho_err on_count_update(struct tekho_bs *bs, uint32_t from, const struct tekho_asncp *r,
                                 struct tekho_actions *out)
{
    struct bs_ms *m = find_mac(bs, r->ms_id);
    /* First (m may be freed below): the answer to our HO_Complete, even if N was known already. */
    if (m && m->awaiting_update && !m->entry_proof && m->rng_count < r->cmac_key_count) {
        m->awaiting_update = false;
        /* The retransmission timer is HO_Complete's only while serving: a
         * BS that has handed the MS over since resends HO_Cnf on it. */
        if (m->role == ROLE_SERVING && !awaiting_ho_cnf(m))
            tekho_act_cancel_timer(out, TIMER_ID(m->index, TIMER_RETX));
    }
    if (m && r->cmac_key_count > m->n) {
        /* N moved (and never goes back): contexts for older counts can
         * never be used again. */
        m->n = r->cmac_key_count;
        tekho_tek_cache_drop_below(&m->cache, count_floor(m), m->active);
        /* A prepared target whose TB N has passed: the MS went elsewhere. */
        if (m->role == ROLE_TARGET_READY && tek_is_counter(m) && active_tb(m) < m->n)
            retire(bs, m, out);
        else if (m->role == ROLE_CACHED && !tekho_tek_cache_any(&m->cache))
            forget(bs, m, out);
    }
    struct tekho_asncp ack;
    tekho_asncp_about(&ack, TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK, r->ms_id, r->transaction_id);
    ack.has_cmac_key_count = true;
    ack.cmac_key_count = r->cmac_key_count;
    tekho_send_backbone(out, from, &ack);
    return out->err;
}

tekho_err tekho_bs_backbone(struct tekho_bs *bs, uint64_t now_us, uint32_t from_node, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    if (bs == NULL || msg == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The legality check, on the header alone: the message type, and the
     * role of what this BS holds for the MS the header names. */
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    tekho_err err = tekho_asncp_peek(msg, len, &type, msid);
    if (err != TEKHO_OK)
        return err;
    const struct bs_ms *about = find_mac(bs, msid);
    if (!bs_accepts(about ? about->role : ROLE_FREE, BS_IN_BACKBONE + (unsigned)type))
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_asncp r;
    err = tekho_asncp_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    /* The handlers act for the MS the body names: the one judged above. */
    if (memcmp(r.ms_id, msid, 6) != 0) {
        tekho_asncp_wipe(&r);
        return TEKHO_ERR_BAD_VALUE;
    }
    switch (r.msg) {
    case TEKHO_ASNCP_HO_REQ: err = on_ho_req(bs, now_us, from_node, &r, out); break;
    case TEKHO_ASNCP_HO_RSP: err = on_ho_rsp(bs, now_us, from_node, &r, out); break;
    case TEKHO_ASNCP_HO_CNF: err = on_ho_cnf(bs, now_us, from_node, &r, out); break;
    case TEKHO_ASNCP_CONTEXT_RPT:
        err = from_node == TEKHO_NODE_AUTHENTICATOR ? on_context_rpt(bs, now_us, &r, out) : TEKHO_ERR_UNKNOWN_PEER;
        break;
    case TEKHO_ASNCP_AR_EAP_TRANSFER: err = on_eap_from_auth(bs, now_us, from_node, &r, out); break;
    case TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE:
        err = from_node == TEKHO_NODE_AUTHENTICATOR ? on_count_update(bs, from_node, &r, out)
                                                    : TEKHO_ERR_UNKNOWN_PEER;
        break;
    case TEKHO_ASNCP_HO_COMPLETE: {
        /* From the target of a handover this BS started: the MS is there now. */
        struct bs_ms *m = find_mac(bs, r.ms_id);
        /* Any recent preparation of ours toward that BS counts: after a
         * cancel and a retry the MS may have used the earlier one. */
        const uint16_t behind = (uint16_t)(m ? m->transaction - r.transaction_id : 0);
        if (m && m->peer == from_node && behind < 8 && m->prepared_txn_valid) {
            /* MOB_HO-IND was lost on the air: the target still waits for
             * HO_Cnf (with reuse, for the TEKs). Only for the handover
             * this BS prepared: a late or replayed HO_Complete of an older
             * one (the MS came here from that BS) changes nothing. */
            handed_over(bs, m, now_us, out);
        }
        err = TEKHO_OK;
        break;
    }
    case TEKHO_ASNCP_HO_ACK: {
        /* The target has the HO_Cnf: nothing more to hand over. */
        struct bs_ms *m = find_mac(bs, r.ms_id);
        if (m && m->peer == from_node && r.transaction_id == m->transaction)
            retire(bs, m, out);
        err = TEKHO_OK;
        break;
    }
    default: err = TEKHO_ERR_UNEXPECTED_MESSAGE; break;
    }
    tekho_asncp_wipe(&r);
    return err;
}

tekho_err tekho_bs_timer(struct tekho_bs *bs, uint64_t now_us, uint32_t timer, struct tekho_actions *out)
{
    if (bs == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* Timers are named by MS index: a context gone since just means the
     * timer outlived it. */
    struct bs_ms *m = find_index(bs, timer >> 4);
    if (m == NULL)
        return TEKHO_OK;
    switch (timer & 0xF) {
    case TIMER_RETX:
        if (m->role == ROLE_SERVING && (m->awaiting_update || awaiting_ho_cnf(m))) {
            if (++m->retries > bs->cfg.timing.max_retries) {
                if (m->reply_held) {
                    /* The Authenticator never took the PMK the MS proved
                     * here: it never entered (it will again). */
                    retire(bs, m, out);
                    return out->err;
                }
                m->awaiting_update = false; /* N may lag: targets self-sync or resync */
                m->entry_proof = false;     /* or the Authenticator's next entry offers cover it */
                m->ho_cnf_done = true;      /* what the serving BS had, it has not sent */
                return out->err;
            }
            tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
            send_ho_complete(bs, m, now_us, out);
            return out->err;
        }
        if (m->role == ROLE_HANDED_OVER) {
            if (++m->retries > bs->cfg.timing.max_retries) {
                retire(bs, m, out); /* the target never acknowledged: it has what it will get */
                return out->err;
            }
            tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
            (void)send_ho_cnf(bs, m, out);
            tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now_us + bs->cfg.timing.backbone_retransmit_us);
            return out->err;
        }
        if (m->role == ROLE_TARGET_SA_TEK) {
            if (++m->retries > bs->cfg.timing.max_retries) {
                tekho_act_event(out, m->index, TEKHO_EV_HO_FAILED, bs->cfg.node, NULL, 0);
                tekho_act_event(out, m->index, TEKHO_EV_RELEASED, 0, NULL, 0);
                retire(bs, m, out);
                return out->err;
            }
            tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
            tekho_act_timer(out, TIMER_ID(m->index, TIMER_RETX), now_us + bs->cfg.timing.retransmit_us);
            if (challenge_mode(bs, m))
                return out->err; /* baseline-challenge: the MS sends its SA-TEK-Request again */
            /* The same BS_Random: an SA-TEK-Request to the lost first copy's
             * twin must still verify. */
            return send_sa_tek_challenge_again(bs, m, out);
        }
        if (m->role == ROLE_TARGET_PREPARING && !m->ctx_pending && early_mode(bs, m)) {
            /* baseline-early: the AK is here, the TEKs could not be made. */
            if (++m->retries > bs->cfg.timing.max_retries) {
                send_ho_rsp(bs, m, HO_RSP_REFUSE, now_us, out);
                tekho_act_event(out, m->index, TEKHO_EV_HO_FAILED, bs->cfg.node, NULL, 0);
                retire(bs, m, out);
                return out->err;
            }
            tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
            return target_ready(bs, m, now_us, out);
        }
        if (m->role != ROLE_ENTERING && m->role != ROLE_SOURCE && m->role != ROLE_TARGET_PREPARING &&
            m->role != ROLE_TARGET_REAUTH)
            return TEKHO_OK;
        if (m->role == ROLE_SOURCE && m->have_bsho) {
            /* MOB_BSHO-RSP went out and no MOB_HO-IND ever came: the MS
             * stayed (its cancel was lost) or left unheard. Serve it again;
             * if it is at the target, the target's HO_Complete says so. */
            m->role = ROLE_SERVING;
            m->have_bsho = false;
            tekho_act_event(out, m->index, TEKHO_EV_HO_FAILED, m->peer, NULL, 0);
            return out->err;
        }
        if (++m->retries > bs->cfg.timing.max_retries) {
            tekho_act_event(out, m->index, TEKHO_EV_HO_FAILED, bs->cfg.node, NULL, 0);
            if (m->role == ROLE_SOURCE) {
                m->role = ROLE_SERVING; /* the target never answered: keep serving */
            } else {
                tekho_act_event(out, m->index, TEKHO_EV_RELEASED, 0, NULL, 0);
                retire(bs, m, out);
            }
            return out->err;
        }
        tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
        if (m->role == ROLE_SOURCE)
            return send_ho_req(bs, m, now_us, out);
        send_context_req(bs, m,
                         m->role == ROLE_ENTERING ? TEKHO_CONTEXT_FOR_ENTRY
                         : m->role == ROLE_TARGET_REAUTH ? TEKHO_CONTEXT_FOR_REAUTH
                                                         : TEKHO_CONTEXT_FOR_HANDOVER,
                         true, now_us, out);
        return out->err;
    case TIMER_EAP:
        /* The MS did not answer the EAP-Request: again, on the air timer. */
        if (m->role != ROLE_TARGET_REAUTH || !m->eap_waiting || !m->ctx_pending)
            return TEKHO_OK;
        if (++m->eap_retries > bs->cfg.timing.max_retries) {
            m->eap_waiting = false; /* the Authenticator's timer has the next word */
            return TEKHO_OK;
        }
        tekho_act_event(out, m->index, TEKHO_EV_RETRANSMIT, m->role, NULL, 0);
        return send_eap_request(bs, m, now_us, out);
    case TIMER_CACHE:
        /* The MS never came: keep only the cached TEK context (and its PNs)
         * in case it retries; N's next update will clear it. An entry that
         * never completed goes the same way. */
        if (m->role == ROLE_TARGET_READY || (m->role == ROLE_ENTERING && now_us >= m->entry_deadline_us))
            retire(bs, m, out);
        return out->err;
    default:
        return TEKHO_ERR_BAD_VALUE;
    }
}

tekho_err tekho_bs_send(struct tekho_bs *bs, uint64_t now_us, uint32_t ms_index, const uint8_t *payload, size_t len,
                        struct tekho_actions *out)
{
    if (bs == NULL || out == NULL || (payload == NULL && len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct bs_ms *m = find_index(bs, ms_index);
    /* Expedited downlink at the target before ranging completes: once the
     * MS has left the serving BS (HO_Cnf) or an uplink PDU has confirmed the
     * keys. Keys that turn out not to match cost the MS a discarded PDU,
     * never a (TEK, PN) pair twice. */
    const bool may_send = m && (m->role == ROLE_SERVING || m->role == ROLE_SOURCE ||
                                (m->role == ROLE_TARGET_READY && (m->confirmed || m->ms_left_serving) &&
                                 (m->mode == TEKHO_HO_TEK_COUNTER || m->mode == TEKHO_HO_TEK_REUSE) &&
                                 tekho_scheme_early_data(bs->cfg.scheme)));
    if (!may_send)
        return TEKHO_ERR_NO_KEYS;
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = 0;
    tekho_err err;
    if (!tekho_scheme_encrypts(bs->cfg.scheme)) {
        err = tekho_seal_plain(tekho_ms_data_cid(ms_index), payload, len, pdu, sizeof pdu, &n);
    } else {
        struct tekho_tek_context *tek = active_tek(m);
        if (tek == NULL)
            return TEKHO_ERR_NO_KEYS;
        const int slot = tekho_tek_usable_slot(tek, now_us / 1000);
        if (slot < 0)
            return TEKHO_ERR_NO_KEYS;
        err = tekho_tek_seal(tek, (unsigned)slot, now_us / 1000, tekho_ms_data_cid(ms_index), true, payload, len, pdu,
                             sizeof pdu, &n);
        if (err == TEKHO_OK) {
            uint8_t id[9];
            memcpy(id, tek->tek[slot].key_id, 8);
            id[8] = TEKHO_DIR_DL;
            tekho_act_event(out, ms_index, TEKHO_EV_SEALED, tek->tek[slot].tx_pn, id, sizeof id);
        }
    }
    if (err != TEKHO_OK)
        return err;
    tekho_act(out, TEKHO_ACT_AIR_DL, bs->cfg.node, ms_index, pdu, n);
    return out->err;
}
