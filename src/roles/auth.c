/* The Authenticator: holds each MS's PMK (the EAP result) and N, pushes AK
 * contexts to base stations (seed step 2), moves N when a target reports a
 * completed handover and tells every BS holding a context (profile 4). N
 * survives a restart through the store: every new N and every new PMK is
 * a TEKHO_ACT_PERSIST first, and what depends on it waits in the MS's
 * pending slot until the driver says it is durable (tekho_auth_persisted).
 * The state the Authenticator acts on (msk, n) is always the durable one. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tek_cache.h"
#include "../mutation.h"
#include "../crypto/kit.h"

enum { AUTH_TIMER_AAA = TEKHO_AUTH_TIMER_AAA, AUTH_TIMER_EAP = 2 };
#define AUTH_TIMER(slot, kind) ((uint32_t)(slot) << 4 | (kind))

struct auth_ms {
    bool used;
    uint32_t index;
    uint8_t mac[6];
    uint8_t msk[64];
    uint8_t pmk_sn;
    uint32_t pmk_generation; /* MSKs replaced since tekho_auth_add_ms (re-entry, re-authentication) */
    bool n_loaded;
    bool needs_new_pmk;     /* the store lost N: no count is handed out under this PMK again */
    uint16_t n;
    /* The base stations that got an AK context since N last moved: the
     * ones a CMAC_Key_Count_Update must reach. Beyond AUTH_HOLDERS, or
     * after a restart, it goes to every BS. */
    uint32_t holders[8];
    uint8_t n_holders;
    bool holders_unknown;
    uint32_t reauth_node;   /* a re-authentication under way through this BS */
    /* Has proved the current PMK at an entry (or moved N under it): the
     * entry offers put its successor first (see entry_offers). */
    bool entered;
    uint16_t reauth_txn;
    /* The re-authentication last completed: a late copy of its request
     * gets its AK context again, never a second new PMK. */
    bool reauth_done;
    uint32_t reauth_done_node;
    uint16_t reauth_done_txn;
    /* The EAP exchange of the re-authentication under way (baseline-full):
     * requests sent so far, the one awaiting its response, and how often
     * it went again. */
    unsigned eap_sent;
    uint8_t eap_id;
    bool eap_waiting;
    unsigned eap_retries;
    uint8_t pmk_id[TEKHO_PMK_ID_LEN]; /* of msk: the PMK N counts under */
    /* A persist in flight: what becomes true once it is durable. */
    struct {
        uint64_t token;     /* 0: none */
        enum { PEND_ADVANCE, PEND_ADD, PEND_ENTRY, PEND_REAUTH, PEND_RESTART_CHAIN } what;
        uint16_t n;         /* the new N */
        uint8_t msk[64];    /* the new MSK (all but ADVANCE) */
        uint8_t pmk_id[TEKHO_PMK_ID_LEN];
        uint32_t from;      /* the BS that asked (REAUTH), proved (ENTRY) or reported (ADVANCE) */
        uint16_t txn;
        unsigned steps;     /* ENTRY: how far down the MSK chain the proved PMK is */
    } pending;
};

struct auth_bs {
    bool used;
    uint32_t node;
    uint8_t bsid[6];
};

#define AUTH_HOLDERS 8

struct tekho_auth {
    struct tekho_auth_config cfg;
    struct tekho_crypto_kit *kit;
    struct auth_ms *ms;
    struct auth_bs *bs;
    /* MSs whose MAC names an index (the driver's MACs) but which sit in
     * another slot; while there are none, the named slot is the only place
     * to look. */
    size_t misplaced;
    uint64_t last_token;    /* persist tokens: 1, 2, ... never reused */
    /* A new process on a store that holds the network (tekho_auth_recover):
     * each MS's PMK context comes from its record, not from an EAP result
     * in memory (the last one may be newer than the one added). */
    bool adopt;
};

#define AUTH_MAX_BS 4096

/* ---- which message the Authenticator accepts ------------------------------------ */

/* Its rows: an MS it holds no EAP result for, and one it does. The columns
 * are the ASN-CP message types, told by the header alone; checked before
 * the body is decoded. */
enum auth_row { AUTH_ROW_UNKNOWN_MS, AUTH_ROW_KNOWN_MS };
#define AUTH_IN(x) (1u << TEKHO_ASNCP_##x)
static const uint32_t AUTH_ACCEPTS[] = {
    [AUTH_ROW_UNKNOWN_MS] = 0,
    [AUTH_ROW_KNOWN_MS] = AUTH_IN(CONTEXT_REQ) | AUTH_IN(HO_COMPLETE) | AUTH_IN(CONTEXT_ACK) |
                          AUTH_IN(CMAC_KEY_COUNT_UPDATE_ACK) | AUTH_IN(AR_EAP_TRANSFER),
};
_Static_assert(TEKHO_ASNCP_MSG_COUNT <= 32, "one mask holds every message type");

/* N under a fresh PMK: one above the MS's first M (profile 4). */
static uint16_t first_n(const struct tekho_auth *a)
{
    return (uint16_t)(a->cfg.first_count + 1u);
}

tekho_err tekho_auth_new(const struct tekho_auth_config *cfg, struct tekho_auth **out)
{
    if (cfg == NULL || out == NULL || cfg->max_ms == 0 || cfg->max_bs == 0 || cfg->max_bs > AUTH_MAX_BS ||
        cfg->store.load == NULL || cfg->first_count >= TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return TEKHO_ERR_NO_MEMORY;
    a->ms = calloc(cfg->max_ms, sizeof *a->ms);
    a->bs = calloc(cfg->max_bs, sizeof *a->bs);
    tekho_err err = a->ms == NULL || a->bs == NULL ? TEKHO_ERR_NO_MEMORY : tekho_crypto_kit_new(&a->kit);
    if (err != TEKHO_OK) {
        tekho_auth_free(a);
        return err;
    }
    a->cfg = *cfg;
    *out = a;
    return TEKHO_OK;
}

void tekho_auth_free(struct tekho_auth *a)
{
    if (a == NULL)
        return;
    if (a->ms)
        OPENSSL_cleanse(a->ms, a->cfg.max_ms * sizeof *a->ms);
    free(a->ms);
    free(a->bs);
    tekho_crypto_kit_free(a->kit);
    free(a);
}

static struct auth_ms *find_ms(const struct tekho_auth *a, const uint8_t mac[6])
{
    /* The driver's MACs name their MS index: one look. Others: a scan. */
    uint32_t index;
    const bool named = tekho_ms_index_of_mac(mac, &index) && index < a->cfg.max_ms;
    if (named && a->ms[index].used && memcmp(a->ms[index].mac, mac, 6) == 0)
        return &a->ms[index];
    if (named && a->misplaced == 0)
        return NULL;
    for (size_t i = 0; i < a->cfg.max_ms; i++)
        if (a->ms[i].used && memcmp(a->ms[i].mac, mac, 6) == 0)
            return &a->ms[i];
    return NULL;
}

static int find_bs(const struct tekho_auth *a, uint32_t node)
{
    for (size_t i = 0; i < a->cfg.max_bs; i++)
        if (a->bs[i].used && a->bs[i].node == node)
            return (int)i;
    return -1;
}

/* Appends the TEKHO_ACT_PERSIST of a record and makes it the MS's pending one. */
static void persist(struct tekho_auth *a, struct auth_ms *m, const struct tekho_auth_record *r,
                    struct tekho_actions *out)
{
    uint8_t enc[TEKHO_AUTH_RECORD_LEN];
    if (tekho_auth_record_encode(r, enc) != TEKHO_OK) {
        out->err = TEKHO_ERR_BAD_VALUE; /* a record the role built itself: a bug */
        return;
    }
    const size_t before = out->n;
    tekho_act(out, TEKHO_ACT_PERSIST, 0, m->index, enc, sizeof enc);
    OPENSSL_cleanse(enc, sizeof enc);
    if (out->n == before)
        return; /* out->err says why */
    m->pending.token = ++a->last_token;
    out->list[out->n - 1].value = (int64_t)m->pending.token;
}

/* Persists a new PMK context for m (msk, N = first): what = why. */
static tekho_err persist_new_pmk(struct tekho_auth *a, struct auth_ms *m, const uint8_t msk[64], int what,
                                 uint32_t from, uint16_t txn, struct tekho_actions *out)
{
    struct tekho_auth_record r = {.kind = TEKHO_RECORD_NEW_PMK, .n = first_n(a), .pmk_sn = m->pmk_sn,
                                  .pmk_lifetime_s = a->cfg.pmk_lifetime_s};
    memcpy(r.ms_mac, m->mac, 6);
    memcpy(r.msk, msk, 64);
    tekho_err err = tekho_pmk_id(msk, r.pmk_id);
    if (err == TEKHO_OK) {
        memcpy(m->pending.msk, msk, 64);
        memcpy(m->pending.pmk_id, r.pmk_id, TEKHO_PMK_ID_LEN);
        m->pending.what = what;
        m->pending.n = r.n;
        m->pending.from = from;
        m->pending.txn = txn;
        persist(a, m, &r, out);
        err = out->err;
    }
    tekho_auth_record_wipe(&r);
    if (err != TEKHO_OK) {
        OPENSSL_cleanse(&m->pending, sizeof m->pending);
        m->pending.token = 0;
    }
    return err;
}

tekho_err tekho_auth_add_ms(struct tekho_auth *a, uint32_t ms_index, const uint8_t mac[6], const uint8_t msk[64],
                            uint8_t pmk_sn, struct tekho_actions *out)
{
    if (a == NULL || mac == NULL || msk == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct auth_ms *m = find_ms(a, mac);
    if (m == NULL && ms_index < a->cfg.max_ms && !a->ms[ms_index].used)
        m = &a->ms[ms_index];
    for (size_t i = 0; m == NULL && i < a->cfg.max_ms; i++)
        if (!a->ms[i].used)
            m = &a->ms[i];
    if (m == NULL)
        return TEKHO_ERR_CAPACITY;
    uint32_t named;
    if (!m->used && tekho_ms_index_of_mac(mac, &named) && named < a->cfg.max_ms && m != &a->ms[named])
        a->misplaced++;
    OPENSSL_cleanse(m, sizeof *m);
    memset(m, 0, sizeof *m);
    m->used = true;
    m->index = ms_index;
    memcpy(m->mac, mac, 6);
    m->pmk_sn = pmk_sn;
    /* Until the PMK context is durable the MS holds none: no count under
     * it can leave (n stays 0, needs_new_pmk until persisted). */
    m->n_loaded = true;
    m->needs_new_pmk = true;
    /* A new PMK: M = 0 at the MS, N = 1 here (profile 4), once durable. */
    return persist_new_pmk(a, m, msk, PEND_ADD, 0, 0, out);
}

tekho_err tekho_auth_add_bs(struct tekho_auth *a, uint32_t node, const uint8_t bsid[6])
{
    if (a == NULL || bsid == NULL || node == TEKHO_NODE_AUTHENTICATOR)
        return TEKHO_ERR_INVALID_ARGUMENT;
    int slot = find_bs(a, node);
    for (size_t i = 0; slot < 0 && i < a->cfg.max_bs; i++)
        if (!a->bs[i].used)
            slot = (int)i;
    if (slot < 0)
        return TEKHO_ERR_CAPACITY;
    a->bs[slot].used = true;
    a->bs[slot].node = node;
    memcpy(a->bs[slot].bsid, bsid, 6);
    return TEKHO_OK;
}

/* N as the store has it: after a restart (or a persist whose fate is
 * unknown) nothing else is trusted, and on a shared store nothing held
 * here at all. A missing or unreadable record, or one under another PMK
 * than the one held here (unless the store is shared: then the other
 * Authenticator took it), fails closed: any N guessed now could be one
 * already used under this PMK, so none is handed out until a new PMK
 * (network entry) starts the counts again. */
static tekho_err load_n(struct tekho_auth *a, struct auth_ms *m)
{
    /* Shared: another Authenticator may have moved N or the PMK since. */
    if (m->n_loaded && !(a->cfg.shared_store && m->pending.token == 0))
        return TEKHO_OK;
    bool found = false;
    struct tekho_auth_record r;
    memset(&r, 0, sizeof r);
    tekho_err err = a->cfg.store.load(a->cfg.store.ctx, m->mac, &r, &found);
    if (err == TEKHO_ERR_RECORD_CORRUPT) {
        found = false;
        err = TEKHO_OK;
    }
    const bool other_pmk = found && CRYPTO_memcmp(r.pmk_id, m->pmk_id, TEKHO_PMK_ID_LEN) != 0;
    if ((a->adopt || (a->cfg.shared_store && other_pmk)) && found && r.n >= 1 && r.n <= TEKHO_COUNT_LIMIT) {
        /* Recovering, or another Authenticator on the store took a new
         * PMK: the record is the PMK the MS holds (its last durable EAP
         * result). */
        uint8_t id[TEKHO_PMK_ID_LEN];
        if (tekho_pmk_id(r.msk, id) == TEKHO_OK && CRYPTO_memcmp(id, r.pmk_id, TEKHO_PMK_ID_LEN) == 0) {
            memcpy(m->msk, r.msk, 64);
            memcpy(m->pmk_id, r.pmk_id, TEKHO_PMK_ID_LEN);
            m->pmk_sn = r.pmk_sn;
            /* Entered under it for certain once N moved past its first
             * value (a handover); else perhaps not yet: a first entry
             * then keeps this PMK (another Authenticator on a shared
             * store added the MS and it has not entered). */
            m->entered = true; /* unknown: never offered again at an entry (M2) */
            /* Who holds contexts under it only the store's writer knew:
             * the holders this one knew were under another PMK (whatever
             * the two N are), so count updates go to every BS. */
            m->n_holders = 0;
            m->holders_unknown = true;
        }
        OPENSSL_cleanse(id, sizeof id);
    }
    const bool same_pmk = found && r.n >= 1 && r.n <= TEKHO_COUNT_LIMIT &&
                          CRYPTO_memcmp(r.pmk_id, m->pmk_id, TEKHO_PMK_ID_LEN) == 0;
    const uint16_t n = r.n;
    tekho_auth_record_wipe(&r);
    if (err != TEKHO_OK)
        return err;
    if (same_pmk && m->n_loaded && n != m->n) {
        /* Moved by another Authenticator: it knows who holds contexts. */
        m->holders_unknown = true;
        if (n > first_n(a))
            m->entered = true;
    }
    m->n = same_pmk ? n : 0;
    m->needs_new_pmk = !same_pmk;
#ifdef TEKHO_MUTATION_AUTH_FORGETS_N
    m->n = first_n(a); /* fails open: counts start again under the same PMK */
    m->needs_new_pmk = false;
#endif
    m->n_loaded = true;
    return TEKHO_OK;
}

uint16_t tekho_auth_count(const struct tekho_auth *a, const uint8_t mac[6])
{
    const struct auth_ms *m = find_ms(a, mac);
    return m && m->n_loaded ? m->n : 0;
}

uint32_t tekho_auth_pmk_generation(const struct tekho_auth *a, const uint8_t mac[6])
{
    const struct auth_ms *m = find_ms(a, mac);
    return m ? m->pmk_generation : 0;
}

tekho_err tekho_auth_recover(struct tekho_auth *a)
{
    const tekho_err err = tekho_auth_restart(a);
    if (err == TEKHO_OK)
        a->adopt = true;
    return err;
}

tekho_err tekho_auth_restart(struct tekho_auth *a)
{
    if (a == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The EAP results stay (the AAA server has them); N comes back from
     * the store. Who holds a context is lost, so count updates go to
     * every base station until it is known again. */
    for (size_t i = 0; i < a->cfg.max_ms; i++) {
        struct auth_ms *m = &a->ms[i];
        m->n_loaded = false;
        m->n = 0;
        m->n_holders = 0;
        m->holders_unknown = true;
        m->reauth_node = 0;
        m->eap_waiting = false;
        /* A persist in flight may have landed or not: the store tells. */
        OPENSSL_cleanse(&m->pending, sizeof m->pending);
        m->pending.token = 0;
    }
    return TEKHO_OK;
}

/* The AK and AKID of the PMK of msk, for the BS in bs_slot. */
static tekho_err ak_for(struct tekho_auth *a, const struct auth_ms *m, const uint8_t msk[64], int bs_slot,
                        uint8_t ak[TEKHO_AK_LEN], uint8_t akid[8])
{
    uint8_t pmk[TEKHO_PMK_LEN];
    tekho_err err = tekho_pmk_from_msk(msk, pmk);
    if (err == TEKHO_OK)
        err = tekho_derive_ak_akid_with(a->kit, pmk, m->mac, a->bs[bs_slot].bsid, m->pmk_sn, ak, akid);
    OPENSSL_cleanse(pmk, sizeof pmk);
    return err;
}

/* A Context_Rpt with the AK context of msk's PMK at count n. */
static tekho_err send_ak_context(struct tekho_auth *a, struct auth_ms *m, const uint8_t msk[64], uint16_t n,
                                 int bs_slot, uint16_t txn, struct tekho_actions *out)
{
    uint8_t ak[TEKHO_AK_LEN], akid[8];
    tekho_err err = ak_for(a, m, msk, bs_slot, ak, akid);
    if (err == TEKHO_OK)
    if (err != TEKHO_OK)
        return err;
    struct tekho_asncp rpt;
    tekho_asncp_about(&rpt, TEKHO_ASNCP_CONTEXT_RPT, m->mac, txn);
    rpt.has_ak_context = true;
    memcpy(rpt.ak_context.ak, ak, TEKHO_AK_LEN);
    memcpy(rpt.ak_context.ak_id, akid, 8);
    OPENSSL_cleanse(ak, sizeof ak);
    rpt.ak_context.ak_lifetime_s = a->cfg.pmk_lifetime_s;
    rpt.ak_context.ak_sn = m->pmk_sn;
    rpt.ak_context.has_cmac_key_count = true;
    rpt.ak_context.cmac_key_count = n;
    bool known = false;
    for (size_t i = 0; i < m->n_holders; i++)
        known |= m->holders[i] == a->bs[bs_slot].node;
    if (!known && m->n_holders < AUTH_HOLDERS)
        m->holders[m->n_holders++] = a->bs[bs_slot].node;
    else if (!known)
        m->holders_unknown = true;
    tekho_send_backbone(out, a->bs[bs_slot].node, &rpt);
    tekho_asncp_wipe(&rpt);
    return out->err;
}

/* The AK context N counts under. */
static tekho_err send_context_rpt(struct tekho_auth *a, struct auth_ms *m, int bs_slot, uint16_t txn,
                                  struct tekho_actions *out)
{
    return send_ak_context(a, m, m->msk, m->n, bs_slot, txn, out);
}

/* CMAC_Key_Count_Update with N to one BS. */
static void send_count_update(const struct auth_ms *m, uint32_t to, uint16_t txn, struct tekho_actions *out)
{
    struct tekho_asncp upd;
    tekho_asncp_about(&upd, TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE, m->mac, txn);
    upd.has_cmac_key_count = true;
    upd.cmac_key_count = m->n;
    tekho_send_backbone(out, to, &upd);
}

/* ---- network entry (M2) ----------------------------------------------------------
 *
 * Entry brings a new PMK (the EAP result, modelled as the next MSK of the
 * chain at both ends), but nothing the entry BS hears before the MS's first
 * CMAC-verified message is authenticated: an initial RNG-REQ and SBC-REQ
 * anyone can send. So an entry changes nothing here. The entry BS gets an
 * AK context for every PMK the MS may enter with (ENTRY_STEPS of the chain,
 * from the one N counts under: that one itself only while no count under it
 * was used), and the Authenticator takes the one the MS proved, named by
 * its AKID in the BS's Context_Ack after the MS's SA-TEK-Request (to that
 * BS's challenge) verified, and only once durable. Handover contexts stay
 * under the proved PMK meanwhile.
 * Two steps ahead: an MS that took a PMK whose proof was lost (its entry BS
 * failed before the Context_Ack got through) still finds its next one. */
#define ENTRY_STEPS 3u

/* The MSK `step` steps down the chain from m->msk. */
static tekho_err entry_msk(const struct auth_ms *m, unsigned step, uint8_t msk[64])
{
    memcpy(msk, m->msk, 64);
    tekho_err err = TEKHO_OK;
    for (unsigned i = 0; i < step && err == TEKHO_OK; i++) {
        uint8_t next[64];
        err = tekho_reauth_next_msk(msk, next);
        memcpy(msk, next, 64);
        OPENSSL_cleanse(next, sizeof next);
    }
    if (err != TEKHO_OK)
        OPENSSL_cleanse(msk, 64);
    return err;
}

/* May the MS enter with the PMK N counts under? Only before it proved it
 * at an entry: not once a count under it was used (or the store lost N),
 * its counts would repeat, nor once an entry BS verified an SA-TEK-Request
 * under it, which a new entry's fresh CMAC_PN window would take again. */
static bool entry_may_keep(const struct tekho_auth *a, const struct auth_ms *m)
{
    return !m->entered && !m->needs_new_pmk && m->n == first_n(a);
}

static tekho_err send_entry_offers(struct tekho_auth *a, struct auth_ms *m, int bs_slot, uint16_t txn,
                                   struct tekho_actions *out)
{
    /* The likeliest first (with no encryption the BS takes the first
     * that arrives): a PMK already proved is followed by its successor. */
    static const unsigned ENTERED[ENTRY_STEPS] = {1, 2, 0}, FRESH[ENTRY_STEPS] = {0, 1, 2};
    const unsigned *order = m->entered ? ENTERED : FRESH;
    tekho_err err = TEKHO_OK;
    for (unsigned i = 0; i < ENTRY_STEPS && err == TEKHO_OK; i++) {
        if (order[i] == 0 && !entry_may_keep(a, m))
            continue;
        uint8_t msk[64];
        err = entry_msk(m, order[i], msk);
        if (err == TEKHO_OK)
            err = send_ak_context(a, m, msk, first_n(a), bs_slot, txn, out);
        OPENSSL_cleanse(msk, sizeof msk);
    }
    return err;
}

/* Context_Ack from the entry BS: the MS proved the PMK whose AK has this
 * AKID there. Taken (durable first), then confirmed with its AK context
 * (a Context_Rpt of the Context_Ack's transaction). */
static tekho_err on_entry_proof(struct tekho_auth *a, uint32_t from, const struct tekho_asncp *r,
                                struct tekho_actions *out)
{
    struct auth_ms *m = find_ms(a, r->ms_id);
    const int bs_slot = find_bs(a, from);
    if (m == NULL || bs_slot < 0)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (!r->has_ak_id)
        return TEKHO_ERR_MISSING_TLV;
    if (m->pending.token != 0)
        return TEKHO_ERR_BUSY; /* the BS sends it again */
    tekho_err err = load_n(a, m);
    if (err != TEKHO_OK)
        return err;
    unsigned step = ENTRY_STEPS;
    uint8_t msk[64], ak[TEKHO_AK_LEN], akid[8];
    for (unsigned i = 0; i < ENTRY_STEPS && step == ENTRY_STEPS && err == TEKHO_OK; i++) {
        err = entry_msk(m, i, msk);
        if (err == TEKHO_OK)
            err = ak_for(a, m, msk, bs_slot, ak, akid);
        if (err == TEKHO_OK && CRYPTO_memcmp(akid, r->ak_id, sizeof akid) == 0)
            step = i;
        else
            OPENSSL_cleanse(msk, sizeof msk);
    }
    OPENSSL_cleanse(ak, sizeof ak);
    if (err == TEKHO_OK && step == ENTRY_STEPS)
        err = TEKHO_ERR_BAD_VALUE; /* no PMK this MS may hold: nothing changes */
    if (err == TEKHO_OK && step > 0) {
        err = persist_new_pmk(a, m, msk, PEND_ENTRY, from, r->transaction_id, out);
        if (err == TEKHO_OK)
            m->pending.steps = step;
    } else if (err == TEKHO_OK) {
        /* The PMK N counts under (or a copy of a proof already taken):
         * its context confirms it. */
        if (m->needs_new_pmk)
            err = TEKHO_ERR_STALE_COUNT;
        else {
            m->entered = true;
            err = send_context_rpt(a, m, bs_slot, r->transaction_id, out);
        }
    }
    OPENSSL_cleanse(msk, sizeof msk);
    return err;
}

/* ---- the EAP exchange of a re-authentication (baseline-full) ---------------
 *
 * EAP (RFC 3748) between the MS and the AAA server, the Authenticator its
 * pass-through: timing.eap_round_trips request/response pairs cross the
 * backbone to the target (AR_EAP_Transfer) and the air (PKMv2
 * EAP-Transfer), and timing.aaa_round_trips AAA round trips of
 * timing.aaa_rtt_us each follow the responses, one after each of the last
 * ones (the identity response first goes to no AAA when there are fewer;
 * more go after the last response). Then the new MSK is the AAA's answer.
 * [MODEL] The EAP method is not run: the requests are an EAP-Request/
 * Identity, then EAP-TTLS requests without TLS data, and the MSK the
 * exchange yields is reauth_next_msk's, as the MS's. The Authenticator
 * sends a request again (backbone_retransmit_us, max_retries times) until
 * its response comes; then it gives up and the target's Context_Req,
 * sent again, starts over. */

static uint64_t eap_aaa_after(const struct tekho_auth *a, unsigned k)
{
    const unsigned e = a->cfg.timing.eap_round_trips, aaa = a->cfg.timing.aaa_round_trips;
    const unsigned n = aaa <= e ? (k + aaa > e ? 1u : 0u) : (k == e ? aaa - e + 1u : 1u);
    return (uint64_t)n * a->cfg.timing.aaa_rtt_us;
}

static void eap_send_request(struct tekho_auth *a, struct auth_ms *m, uint64_t now, struct tekho_actions *out)
{
    struct tekho_asncp req;
    tekho_asncp_about(&req, TEKHO_ASNCP_AR_EAP_TRANSFER, m->mac, m->reauth_txn);
    req.eap_payload[0] = 1; /* Request */
    req.eap_payload[1] = m->eap_id;
    req.eap_payload[2] = 0;
    if (m->eap_sent == 1) {
        req.eap_payload[4] = 1; /* Identity */
        req.eap_payload_len = 5;
    } else {
        req.eap_payload[4] = 21;                          /* EAP-TTLS */
        req.eap_payload[5] = m->eap_sent == 2 ? 0x20 : 0; /* Start, then no TLS data */
        req.eap_payload_len = 6;
    }
    req.eap_payload[3] = (uint8_t)req.eap_payload_len;
    tekho_send_backbone(out, m->reauth_node, &req);
    tekho_act_timer(out, AUTH_TIMER((size_t)(m - a->ms), AUTH_TIMER_EAP), now + a->cfg.timing.backbone_retransmit_us);
}

static void eap_next(struct tekho_auth *a, struct auth_ms *m, uint64_t now, struct tekho_actions *out)
{
    m->eap_sent++;
    m->eap_id++;
    m->eap_waiting = true;
    m->eap_retries = 0;
    eap_send_request(a, m, now, out);
}

static tekho_err eap_start(struct tekho_auth *a, struct auth_ms *m, uint64_t now, struct tekho_actions *out)
{
    m->eap_sent = 0;
    m->eap_waiting = false;
    if (a->cfg.timing.eap_round_trips == 0) {
        /* No EAP on the air: the AAA round trips stand for the exchange. */
        const uint64_t aaa = a->cfg.timing.aaa_rtt_us * a->cfg.timing.aaa_round_trips;
        tekho_act_timer(out, AUTH_TIMER((size_t)(m - a->ms), AUTH_TIMER_AAA), now + aaa);
        return out->err;
    }
    eap_next(a, m, now, out);
    return out->err;
}

/* An EAP-Response the target relayed: the one awaited (this exchange's
 * BS and transaction, the request's identifier), else refused. */
static tekho_err on_eap_response(struct tekho_auth *a, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                                 struct tekho_actions *out)
{
    struct auth_ms *m = find_ms(a, r->ms_id);
    if (m == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (m->reauth_node == 0 || !m->eap_waiting || from != m->reauth_node || r->transaction_id != m->reauth_txn)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    if (r->eap_payload_len < TEKHO_EAP_HEADER_LEN + 1 || r->eap_payload[0] != 2 || r->eap_payload[1] != m->eap_id ||
        ((size_t)r->eap_payload[2] << 8 | r->eap_payload[3]) != r->eap_payload_len)
        return TEKHO_ERR_BAD_VALUE;
    m->eap_waiting = false;
    const size_t slot = (size_t)(m - a->ms);
    tekho_act_cancel_timer(out, AUTH_TIMER(slot, AUTH_TIMER_EAP));
    const uint64_t aaa = eap_aaa_after(a, m->eap_sent);
    if (aaa > 0 || m->eap_sent == a->cfg.timing.eap_round_trips) {
        /* The AAA server answers after its round trips (at the last
         * response: with the MSK). */
        tekho_act_timer(out, AUTH_TIMER(slot, AUTH_TIMER_AAA), now + aaa);
        return out->err;
    }
    eap_next(a, m, now, out);
    return out->err;
}

/* Takes the new PMK a durable persist carried: N = first under it. */
static void commit_new_pmk(struct auth_ms *m, struct tekho_actions *out)
{
    memcpy(m->msk, m->pending.msk, 64);
    memcpy(m->pmk_id, m->pending.pmk_id, TEKHO_PMK_ID_LEN);
    m->n = m->pending.n;
    m->n_loaded = true;
    m->needs_new_pmk = false;
    m->n_holders = 0;
    if (m->pending.what != PEND_ADD) {
        m->pmk_generation += m->pending.what == PEND_ENTRY ? m->pending.steps : 1u;
        tekho_act_event(out, m->index, TEKHO_EV_NEW_PMK, 1, NULL, 0);
    }
}

static tekho_err on_context_req(struct tekho_auth *a, uint64_t now, uint32_t from, const struct tekho_asncp *r,
                                struct tekho_actions *out)
{
    struct auth_ms *m = find_ms(a, r->ms_id);
    const int bs_slot = find_bs(a, from);
    if (m == NULL || bs_slot < 0)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (m->pending.token != 0)
        return TEKHO_ERR_BUSY; /* the BS retransmits; the answer may depend on what is being persisted */
    tekho_err err = load_n(a, m);
    if (err != TEKHO_OK)
        return err;
    /* Entry: the PMKs the MS may prove, nothing taken yet (M2). Unless
     * the store lost N (or holds another PMK): then no count of this PMK
     * may be used again and the chain moves on first, durably, as it would
     * after the MS's proof; the offers start from there. */
    if (r->has_context_purpose && (r->context_purpose & TEKHO_CONTEXT_FOR_ENTRY)) {
        if (!m->needs_new_pmk)
            return send_entry_offers(a, m, bs_slot, r->transaction_id, out);
        uint8_t next[64];
        err = entry_msk(m, 1, next);
        if (err == TEKHO_OK)
            err = persist_new_pmk(a, m, next, PEND_RESTART_CHAIN, from, r->transaction_id, out);
        OPENSSL_cleanse(next, sizeof next);
        return err;
    }
    /* Without a durable N no handover context goes out (M7). */
    if (m->needs_new_pmk && !(r->has_context_purpose && (r->context_purpose & TEKHO_CONTEXT_FOR_REAUTH)))
        return TEKHO_ERR_STALE_COUNT;
    if (r->has_context_purpose && (r->context_purpose & TEKHO_CONTEXT_FOR_REAUTH)) {
        if (m->reauth_node != 0)
            return TEKHO_OK; /* a retransmission: the AAA exchange is already under way */
        if (m->reauth_done && from == m->reauth_done_node && r->transaction_id == m->reauth_done_txn) {
            /* Its answer was lost: the same AK context again, if N is
             * still known durable under that PMK. Not after a restart
             * that found another PMK or none in the store (or a persist
             * whose fate is unknown): N would be 0, counts would start
             * again under a PMK they were used under. */
            if (m->needs_new_pmk)
                return TEKHO_ERR_STALE_COUNT;
            return send_context_rpt(a, m, bs_slot, r->transaction_id, out);
        }
        m->reauth_node = from;
        m->reauth_txn = r->transaction_id;
        return eap_start(a, m, now, out);
    }
    return send_context_rpt(a, m, bs_slot, r->transaction_id, out);
}

static tekho_err advance_durable(struct tekho_auth *a, struct auth_ms *m, struct tekho_actions *out);

static tekho_err on_ho_complete(struct tekho_auth *a, uint32_t from, const struct tekho_asncp *r,
                                struct tekho_actions *out)
{
    struct auth_ms *m = find_ms(a, r->ms_id);
    if (m == NULL)
        return TEKHO_ERR_UNKNOWN_PEER;
    if (m->pending.token != 0)
        return TEKHO_ERR_BUSY; /* the BS retransmits; by then N is durable (or known not to be) */
    tekho_err err = load_n(a, m);
    if (err != TEKHO_OK)
        return err;
    if (m->needs_new_pmk)
        return TEKHO_ERR_STALE_COUNT;
    /* Only the Authenticator moves N, and never back (profile 4), and
     * never past the count limit (L4: the 16-bit count must not wrap). */
#ifdef TEKHO_MUTATION_COUNT_PAST_LIMIT
    if (!r->has_cmac_key_count) /* N follows the count past the limit, to a wrap */
#else
    if (!r->has_cmac_key_count || r->cmac_key_count >= TEKHO_COUNT_LIMIT)
#endif
        return TEKHO_ERR_BAD_VALUE;
    const uint16_t next = (uint16_t)(r->cmac_key_count + 1);
#ifdef TEKHO_MUTATION_ACCEPT_STALE_COUNT
    if (next == m->n) { /* a report below N (late, or replayed) moves N back to it */
#else
    if (next <= m->n) {
#endif
        /* Already counted (a retransmission whose update was lost, or a count
         * a re-authentication overtook): the reporter still needs N to stop
         * retransmitting; nobody else does. N is durable already. */
        send_count_update(m, from, r->transaction_id, out);
        return out->err;
    }
#ifdef TEKHO_MUTATION_ACCEPT_STALE_COUNT
    if (next < m->n) {
        /* The defect: a report below N (late, or replayed) moves N back to
         * it, taken for durable (the store's WHERE n < new would refuse it). */
        m->pending.what = PEND_ADVANCE;
        m->pending.n = next;
        m->pending.from = from;
        m->pending.txn = r->transaction_id;
        err = advance_durable(a, m, out);
        memset(&m->pending, 0, sizeof m->pending);
        return err;
    }
#endif
    /* N moves only once it is durable: the count update waits for
     * tekho_auth_persisted. */
    struct tekho_auth_record rec = {.kind = TEKHO_RECORD_ADVANCE, .n = next, .pmk_sn = m->pmk_sn,
                                    .pmk_lifetime_s = a->cfg.pmk_lifetime_s};
    memcpy(rec.ms_mac, m->mac, 6);
    memcpy(rec.pmk_id, m->pmk_id, TEKHO_PMK_ID_LEN);
    m->pending.what = PEND_ADVANCE;
    m->pending.n = next;
    m->pending.from = from;
    m->pending.txn = r->transaction_id;
    persist(a, m, &rec, out);
    if (out->err != TEKHO_OK)
        m->pending.token = 0;
    return out->err;
}

/* HO_Complete's second half, N durable: every holder of a context learns it. */
static tekho_err advance_durable(struct tekho_auth *a, struct auth_ms *m, struct tekho_actions *out)
{
    const uint16_t next = m->pending.n;
    const uint32_t from = m->pending.from;
    m->n = next;
    m->entered = true; /* a count under this PMK was used: the MS holds it */
    tekho_act_event(out, m->index, TEKHO_EV_COUNT_UPDATED, next, NULL, 0);
    struct tekho_asncp upd;
    tekho_asncp_about(&upd, TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE, m->mac, m->pending.txn);
    upd.has_cmac_key_count = true;
    upd.cmac_key_count = next;
    if (m->holders_unknown) {
        for (size_t i = 0; i < a->cfg.max_bs; i++)
            if (a->bs[i].used)
                tekho_send_backbone(out, a->bs[i].node, &upd);
    } else {
        for (size_t i = 0; i < m->n_holders; i++)
            tekho_send_backbone(out, m->holders[i], &upd);
    }
    /* Every other holder drops its contexts below the new N, so from here
     * only the reporting BS may hold one. */
    m->holders[0] = from;
    m->n_holders = 1;
    m->holders_unknown = false;
    return out->err;
}

tekho_err tekho_auth_persisted(struct tekho_auth *a, uint64_t now_us, const uint8_t ms_mac[6], uint64_t token,
                               tekho_err result, struct tekho_actions *out)
{
    (void)now_us;
    if (a == NULL || ms_mac == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (token == 0 || token > a->last_token)
        return TEKHO_ERR_BAD_VALUE;
    struct auth_ms *m = find_ms(a, ms_mac);
    if (m == NULL || m->pending.token != token)
        return TEKHO_OK; /* forgotten since (a restart, a new EAP result): its fate is the store's to tell */
    tekho_err err = TEKHO_OK;
#ifdef TEKHO_MUTATION_PERSIST_FAILURE_IGNORED
    (void)result;
    if (false) { /* a failed persist is taken as durable: N leaves without being stored */
#else
    if (result != TEKHO_OK) {
#endif
        /* Nothing that depended on it leaves. Whether it landed is not
         * known: N comes from the store again when next needed. A refused
         * EAP result is still the PMK the MS was given (the store may
         * hold it already: another Authenticator's add on a shared store),
         * never a PMK of nothing. */
        if (m->pending.what == PEND_ADD) {
            memcpy(m->msk, m->pending.msk, 64);
            memcpy(m->pmk_id, m->pending.pmk_id, TEKHO_PMK_ID_LEN);
        }
        if (m->pending.what == PEND_REAUTH)
            m->reauth_node = 0; /* the BS retries its Context_Req: the AAA exchange starts again */
        m->n_loaded = false;
        m->n = 0;
    } else if (m->pending.what == PEND_ADVANCE) {
        err = advance_durable(a, m, out);
    } else {
        commit_new_pmk(m, out);
        const int bs_slot = find_bs(a, m->pending.from);
        if (m->pending.what == PEND_ENTRY) {
            m->entered = true;
            if (bs_slot >= 0)
                err = send_context_rpt(a, m, bs_slot, m->pending.txn, out);
        } else if (m->pending.what == PEND_RESTART_CHAIN) {
            m->entered = false; /* the MS enters with this one next */
            if (bs_slot >= 0)
                err = send_entry_offers(a, m, bs_slot, m->pending.txn, out);
        } else if (m->pending.what == PEND_REAUTH) {
            m->reauth_node = 0;
            m->reauth_done = true;
            m->reauth_done_node = m->pending.from;
            m->reauth_done_txn = m->pending.txn;
            if (bs_slot >= 0)
                err = send_context_rpt(a, m, bs_slot, m->pending.txn, out);
        }
    }
    OPENSSL_cleanse(&m->pending, sizeof m->pending);
    m->pending.token = 0;
    return err;
}

tekho_err tekho_auth_backbone(struct tekho_auth *a, uint64_t now_us, uint32_t from_node, const uint8_t *msg,
                              size_t len, struct tekho_actions *out)
{
    if (a == NULL || msg == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The legality check, on the header alone: the message type, for an MS
     * this Authenticator knows or not. */
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    tekho_err err = tekho_asncp_peek(msg, len, &type, msid);
    if (err != TEKHO_OK)
        return err;
    const enum auth_row row = find_ms(a, msid) != NULL ? AUTH_ROW_KNOWN_MS : AUTH_ROW_UNKNOWN_MS;
    if (((AUTH_ACCEPTS[row] >> type) & 1u) == 0)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_asncp r;
    err = tekho_asncp_decode(msg, len, &r);
    if (err != TEKHO_OK)
        return err;
    /* The handlers act for the MS the body names: the one judged above. */
    if (memcmp(r.ms_id, msid, 6) != 0)
        err = TEKHO_ERR_BAD_VALUE;
    else if (find_bs(a, from_node) < 0)
        err = TEKHO_ERR_UNKNOWN_PEER;
    else if (r.msg == TEKHO_ASNCP_CONTEXT_REQ)
        err = on_context_req(a, now_us, from_node, &r, out);
    else if (r.msg == TEKHO_ASNCP_HO_COMPLETE)
        err = on_ho_complete(a, from_node, &r, out);
    else if (r.msg == TEKHO_ASNCP_AR_EAP_TRANSFER)
        err = on_eap_response(a, now_us, from_node, &r, out);
    else if (r.msg == TEKHO_ASNCP_CONTEXT_ACK)
        err = on_entry_proof(a, from_node, &r, out);
    else
        err = TEKHO_OK; /* the acknowledgements: nothing to do */
    tekho_asncp_wipe(&r);
    return err;
}

tekho_err tekho_auth_timer(struct tekho_auth *a, uint64_t now_us, uint32_t timer, struct tekho_actions *out)
{
    if (a == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t slot = timer >> 4;
    if (slot >= a->cfg.max_ms || ((timer & 0xF) != AUTH_TIMER_AAA && (timer & 0xF) != AUTH_TIMER_EAP))
        return TEKHO_ERR_BAD_VALUE;
    struct auth_ms *m = &a->ms[slot];
    if (!m->used || m->reauth_node == 0)
        return TEKHO_OK;
    if ((timer & 0xF) == AUTH_TIMER_EAP) {
        if (!m->eap_waiting)
            return TEKHO_OK;
        if (++m->eap_retries > a->cfg.timing.max_retries) {
            /* Given up: the target's Context_Req, sent again, starts over. */
            m->eap_waiting = false;
            m->reauth_node = 0;
            return TEKHO_OK;
        }
        eap_send_request(a, m, now_us, out);
        return out->err;
    }
    if (m->eap_waiting)
        return TEKHO_OK; /* an AAA answer of an exchange given up and started again */
    if (m->eap_sent < a->cfg.timing.eap_round_trips) {
        eap_next(a, m, now_us, out); /* the AAA server's next EAP-Request */
        return out->err;
    }
    if (m->pending.token != 0) {
        /* A count being persisted: the new PMK waits its turn. */
        tekho_act_timer(out, timer, now_us + (a->cfg.timing.aaa_rtt_us ? a->cfg.timing.aaa_rtt_us : 1000u));
        return out->err;
    }
    /* The AAA exchange is over: a new MSK, so a new PMK: N = 1 (profile 4),
     * taken with the MSK once both are durable (tekho_auth_persisted then
     * answers the BS). */
    uint8_t next[64];
    tekho_err err = tekho_reauth_next_msk(m->msk, next);
    const int bs_slot = find_bs(a, m->reauth_node);
    const uint32_t node = a->bs[bs_slot >= 0 ? bs_slot : 0].node;
    if (err == TEKHO_OK)
        err = persist_new_pmk(a, m, next, PEND_REAUTH, node, m->reauth_txn, out);
    OPENSSL_cleanse(next, sizeof next);
    if (err != TEKHO_OK)
        m->reauth_node = 0; /* the BS retries its Context_Req; the MSK stays as it was */
    return err;
}
