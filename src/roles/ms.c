/* The terminal (MS): network entry, MS-initiated handover and the TEKs at
 * the target under each scheme. States follow IEEE 802.16-2009 6.3.21 and
 * the seed's steps; the legal messages per state are a table (MS_ACCEPTS),
 * checked before any body is decoded, so anything else is refused and
 * changes nothing. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tek_cache.h"
#include "../mutation.h"
#include "../crypto/kit.h"

enum { MS_TIMER_RETX = 1, MS_TIMER_SYNC = TEKHO_MS_TIMER_SYNC, MS_TIMER_RANGING = TEKHO_MS_TIMER_RANGING,
       MS_TIMER_REFRESH = 4 };

/* [MODEL] The suite every SA of the MS negotiates: AES-CCM with TEKs
 * under AES key wrap (7.5.2). A wrapped TEK is unwrapped by it, never by a
 * suite guessed from the field's length. */
#define MS_TEK_SUITE TEKHO_SUITE_CCM_KEYWRAP
/* The farthest an entry tries past the last PMK taken: reached only after
 * that many SA-TEK-Responses in a row were lost with their PMK taken. */
#define MS_ENTRY_REACH 8u
/* The downlink CMAC_PNs an entry attempt accepted, kept per candidate
 * and entry BS for the attempts after it (the oldest goes first): 16
 * bytes each, in every MS of a metro-sized run. */
#define MS_ENTRY_RX_MAX 8u
_Static_assert(MS_ENTRY_REACH < 256u, "an entry step fits entry_rx's byte");

struct entry_rx {
    struct tekho_cmac_pn_rx rx;
    uint8_t bsid[6];
    uint8_t step;
    bool used;
};

struct tekho_ms {
    struct tekho_ms_config cfg;
    struct tekho_crypto_kit *kit;
    enum tekho_ms_state state;
    uint16_t m;                     /* count of the last successful entry */
    bool tekgen_negotiated;

    uint32_t serving;               /* node, 0 = none */
    uint8_t serving_bsid[6];
    struct cmac_link serving_link;
    struct tekho_tek_context tek;   /* with the serving BS */
    bool have_tek;

    uint32_t target;
    uint8_t target_bsid[6];
    struct cmac_link target_link;
    uint16_t tm;
    enum tekho_ho_tek_mode mode;
    uint8_t ho_id;
    bool synced;
    int target_tek;                 /* index into cache, or -1 */
    enum tekho_ho_tek_mode bsho_mode; /* the TEK mode MOB_BSHO-RSP announced */

    /* Counter contexts generated for targets at TM (seed: "the MS should
     * cache all TEK contexts associated with a value of CMAC_KEY_COUNT_TM
     * until it increments CMAC_KEY_COUNTM"); with reuse, the serving TEKs
     * travelling with the MS. */
    struct tek_cache cache;
    bool entered;                   /* has entered the network with the current PMK */
    uint32_t pmk_generation;        /* MSKs replaced since tekho_ms_new (re-entry, re-authentication) */
    /* Re-entry's new MSK (cfg.msk) stays a candidate until the
     * SA-TEK-Response (CMAC-verified under it, answering our request to
     * the entry BS's challenge) shows the BS verified our SA-TEK-Request
     * under it and the Authenticator took it (M2: never on the
     * unauthenticated SBC-REQ alone). An attempt that never got that far
     * tries the same candidate again, its CMAC_PNs going on from
     * candidate_tx_pn and entry_rx; the Authenticator offers the entry BS
     * the PMKs up to two steps past its own, so a proof lost on the
     * backbone does not leave the two ends apart. */
    bool candidate;
    /* The last PMK the network took (base_msk, base_generation): entries
     * try the PMKs after it (base itself first before a first entry). The
     * Authenticator offers one and two steps past the PMK it holds, and it
     * may have taken any candidate tried since base (a proof whose
     * Key-Reply was lost), so the tries walk down from one past the
     * farthest tried (reach) to one step, and again: one walk always holds
     * a PMK offered, and each lost Key-Reply widens the next by at most
     * one (to MS_ENTRY_REACH steps). Each candidate's CMAC_PNs go on from
     * where its last attempt left off. */
    uint8_t base_msk[64];
    uint32_t base_generation;
    unsigned entry_next;  /* steps past base of the next attempt */
    unsigned entry_reach; /* the farthest step tried since base */
    unsigned entry_step;  /* the step of the candidate in use */
    uint32_t candidate_tx_pn[MS_ENTRY_REACH + 1];
    /* ... and its downlink's: a challenge an earlier attempt answered,
     * replayed at a later one with the same candidate at the same BS, is
     * refused, not answered again. */
    struct entry_rx entry_rx[MS_ENTRY_RX_MAX];
    uint8_t entry_rx_next;
    unsigned retries;
    uint8_t pkm_identifier;
    uint8_t pkm_nonce[TEKHO_PKM_NONCE_LEN]; /* of the Key-Request in flight, kept for its retransmissions */
    /* baseline-challenge, and every entry: the SA-TEK-Request in flight
     * (the RNG-RSP's or the challenge's BS_Random, our MS_Random), sent
     * again until the SA-TEK-Response. Entering, sa_answered says one was
     * sent (before it, the MS asks for the challenge with its SBC-REQ). */
    uint8_t sa_bs_random[TEKHO_PKM_RANDOM_LEN];
    uint8_t sa_ms_random[TEKHO_PKM_RANDOM_LEN];
    uint8_t sa_identifier;
    bool sa_answered;
#ifdef TEKHO_MUTATION_MS_REDERIVE_ON_RETRY
    bool cancelled_since_m;
#endif
};

/* ---- which message each state accepts ------------------------------------------ */

/* What the MS takes from the air, told by the header alone (the CID, the
 * management message type and a PKM message's code): the legality
 * table's columns. Anything else is never accepted. */
enum ms_input {
    MS_IN_DATA,             /* user data on the MS's transport CID */
    MS_IN_RNG_RSP,
    MS_IN_SBC_RSP,
    MS_IN_KEY_REPLY,        /* PKM-RSP, by code */
    MS_IN_TEK_INVALID,
    MS_IN_SA_TEK_CHALLENGE,
    MS_IN_SA_TEK_RESPONSE,
    MS_IN_BSHO_RSP,
    MS_IN_EAP_TRANSFER,
};
#define MS_IN(x) (1u << MS_IN_##x)

/* Per state, the inputs it accepts; checked before any message body is
 * decoded, so a handler sees only messages its state can take and keeps
 * only the finer conditions (sender, identifiers, CMAC). User data is
 * judged by keys, not by state: wherever the MS is connected it is opened
 * or reported discarded. */
static const uint32_t MS_ACCEPTS[] = {
    [TEKHO_MS_IDLE] = 0,
    [TEKHO_MS_ENTRY_RANGING] = MS_IN(DATA) | MS_IN(RNG_RSP),
    [TEKHO_MS_SBC_WAIT] = MS_IN(DATA) | MS_IN(SBC_RSP),
    [TEKHO_MS_KEY_WAIT] = MS_IN(DATA) | MS_IN(KEY_REPLY),
    [TEKHO_MS_OPERATIONAL] = MS_IN(DATA) | MS_IN(TEK_INVALID),
    [TEKHO_MS_HO_REQUESTED] = MS_IN(DATA) | MS_IN(BSHO_RSP),
    [TEKHO_MS_HO_SYNC] = MS_IN(DATA),
    [TEKHO_MS_HO_RANGING] = MS_IN(DATA) | MS_IN(RNG_RSP),
    [TEKHO_MS_REAUTH] = MS_IN(DATA) | MS_IN(SA_TEK_CHALLENGE) | MS_IN(EAP_TRANSFER),
    [TEKHO_MS_SA_TEK] = MS_IN(DATA) | MS_IN(SA_TEK_CHALLENGE) | MS_IN(SA_TEK_RESPONSE),
    [TEKHO_MS_RELEASED] = 0,
};
_Static_assert(sizeof MS_ACCEPTS / sizeof MS_ACCEPTS[0] == TEKHO_MS_RELEASED + 1, "one row per MS state");

static bool ms_accepts(enum tekho_ms_state s, enum ms_input in)
{
    return (MS_ACCEPTS[s] >> in) & 1u;
}

/* The column of a management message (type, and code for PKM), or
 * TEKHO_ERR_UNEXPECTED_MESSAGE for one the MS never takes. */
static tekho_err ms_classify(const uint8_t *msg, size_t len, enum ms_input *in)
{
    switch (msg[0]) {
    case TEKHO_MGMT_RNG_RSP: *in = MS_IN_RNG_RSP; return TEKHO_OK;
    case TEKHO_MGMT_SBC_RSP: *in = MS_IN_SBC_RSP; return TEKHO_OK;
    case TEKHO_MGMT_MOB_BSHO_RSP: *in = MS_IN_BSHO_RSP; return TEKHO_OK;
    case TEKHO_MGMT_PKM_RSP:
        if (len < 2)
            return TEKHO_ERR_TRUNCATED;
        switch (msg[1]) {
        case TEKHO_PKM_KEY_REPLY: *in = MS_IN_KEY_REPLY; return TEKHO_OK;
        case TEKHO_PKM_TEK_INVALID: *in = MS_IN_TEK_INVALID; return TEKHO_OK;
        case TEKHO_PKM_SA_TEK_CHALLENGE: *in = MS_IN_SA_TEK_CHALLENGE; return TEKHO_OK;
        case TEKHO_PKM_SA_TEK_RESPONSE: *in = MS_IN_SA_TEK_RESPONSE; return TEKHO_OK;
        case TEKHO_PKM_EAP_TRANSFER: *in = MS_IN_EAP_TRANSFER; return TEKHO_OK;
        default: return TEKHO_ERR_UNEXPECTED_MESSAGE;
        }
    default: return TEKHO_ERR_UNEXPECTED_MESSAGE;
    }
}

const char *tekho_ms_state_name(enum tekho_ms_state s)
{
    static const char *const names[] = {"IDLE", "ENTRY_RANGING", "SBC_WAIT", "KEY_WAIT", "OPERATIONAL",
                                        "HO_REQUESTED", "HO_SYNC", "HO_RANGING", "REAUTH", "SA_TEK", "RELEASED"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* A new base: the next entry tries its successor (base itself before a
 * first entry), nothing tried past it yet. */
static void entry_walk_reset(struct tekho_ms *ms)
{
    ms->entry_next = ms->entered ? 1u : 0u;
    ms->entry_reach = 0;
    ms->entry_step = 0;
    memset(ms->candidate_tx_pn, 0, sizeof ms->candidate_tx_pn);
    memset(ms->entry_rx, 0, sizeof ms->entry_rx);
    ms->entry_rx_next = 0;
}

tekho_err tekho_ms_new(const struct tekho_ms_config *cfg, struct tekho_ms **out)
{
    if (cfg == NULL || out == NULL || cfg->scheme >= TEKHO_SCHEME_COUNT || cfg->random.fill == NULL ||
        (cfg->alloc.calloc == NULL) != (cfg->alloc.free == NULL) || cfg->first_count >= TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_ms *ms = calloc(1, sizeof *ms);
    if (ms == NULL)
        return TEKHO_ERR_NO_MEMORY;
    ms->cfg = *cfg;
    memcpy(ms->base_msk, cfg->msk, 64);
    entry_walk_reset(ms);
    ms->target_tek = -1;
    tekho_tek_cache_init(&ms->cache, TEK_CACHE_MAX, &ms->cfg.alloc);
    ms->kit = cfg->kit;
    tekho_err err = ms->kit != NULL ? TEKHO_OK : tekho_crypto_kit_new(&ms->kit);
    if (err != TEKHO_OK) {
        free(ms);
        return err;
    }
    *out = ms;
    return TEKHO_OK;
}

void tekho_ms_free(struct tekho_ms *ms)
{
    if (ms == NULL)
        return;
    tekho_tek_context_cleanup(&ms->tek);
    tekho_tek_cache_free(&ms->cache);
    if (ms->cfg.kit == NULL)
        tekho_crypto_kit_free(ms->kit); /* its own, not a shared one */
    OPENSSL_cleanse(ms, sizeof *ms);
    free(ms);
}

enum tekho_ms_state tekho_ms_state(const struct tekho_ms *ms)
{
    return ms->state;
}

uint16_t tekho_ms_count(const struct tekho_ms *ms)
{
    return ms->m;
}

uint32_t tekho_ms_pmk_generation(const struct tekho_ms *ms)
{
    return ms->pmk_generation;
}

uint32_t tekho_ms_serving(const struct tekho_ms *ms)
{
    return ms->state == TEKHO_MS_RELEASED ? 0 : ms->serving;
}

bool tekho_ms_tek_fingerprints(const struct tekho_ms *ms, uint32_t node, uint8_t fp[2][8])
{
    if (node == ms->serving && ms->have_tek) {
        tekho_tek_fingerprints(&ms->tek, fp);
        return true;
    }
    if (node == ms->target && ms->target_tek >= 0) {
        tekho_tek_fingerprints(tekho_tek_cache_at((struct tek_cache *)&ms->cache, ms->target_tek), fp);
        return true;
    }
    return false;
}

static bool counter_mode(const struct tekho_ms *ms)
{
    return ms->cfg.scheme == TEKHO_SCHEME_COUNTER && ms->tekgen_negotiated;
}

/* baseline-early: HO Process Optimization 11 ("all the TEKs received from
 * the serving BS are reused", 802.16e as Wireshark reads it), where the
 * TEKs received from the serving BS are the target's, in MOB_BSHO-RSP. */
static bool early_mode(const struct tekho_ms *ms, enum tekho_ho_tek_mode mode)
{
    return ms->cfg.scheme == TEKHO_SCHEME_BASELINE_EARLY && mode == TEKHO_HO_TEK_REUSE;
}

/* baseline-challenge: HO Process Optimization 00 (SA-TEK 3-way handshake)
 * without the re-authentication that 00 also asks for: the target holds a
 * valid AK context (HO Process Optimization lets it skip re-authentication)
 * and starts the 3-way handshake from RNG-RSP's SA Challenge Tuple. */
static bool challenge_mode(const struct tekho_ms *ms)
{
    return ms->cfg.scheme == TEKHO_SCHEME_BASELINE_CHALLENGE && ms->mode == TEKHO_HO_TEK_REAUTH;
}

static void drop_cache(struct tekho_ms *ms);

/* The accepted CMAC_PNs kept for candidate `step` at the entry BS bsid, or NULL. */
static struct entry_rx *entry_rx_find(struct tekho_ms *ms, unsigned step, const uint8_t bsid[6])
{
    for (unsigned i = 0; i < MS_ENTRY_RX_MAX; i++)
        if (ms->entry_rx[i].used && ms->entry_rx[i].step == (uint8_t)step &&
            memcmp(ms->entry_rx[i].bsid, bsid, 6) == 0)
            return &ms->entry_rx[i];
    return NULL;
}

/* An entry attempt ends (given up, or another begins): the CMAC_PNs its
 * candidate's link sent and accepted stay for the next attempt with it. */
static void candidate_save(struct tekho_ms *ms)
{
    if (!ms->candidate || !ms->serving_link.ready)
        return;
    if (ms->serving_link.tx_pn > ms->candidate_tx_pn[ms->entry_step])
        ms->candidate_tx_pn[ms->entry_step] = ms->serving_link.tx_pn;
    if (!ms->serving_link.rx.any)
        return;
    struct entry_rx *slot = entry_rx_find(ms, ms->entry_step, ms->serving_bsid);
    if (slot == NULL) {
        slot = &ms->entry_rx[ms->entry_rx_next];
        ms->entry_rx_next = (uint8_t)((ms->entry_rx_next + 1u) % MS_ENTRY_RX_MAX);
    }
    slot->used = true;
    slot->step = (uint8_t)ms->entry_step;
    memcpy(slot->bsid, ms->serving_bsid, 6);
    slot->rx = ms->serving_link.rx;
}

/* The connection is gone: nothing of it may stay in memory. */
static void released(struct tekho_ms *ms)
{
    candidate_save(ms);
    ms->state = TEKHO_MS_RELEASED;
    tekho_tek_context_cleanup(&ms->tek);
    ms->have_tek = false;
    drop_cache(ms);
    tekho_cmac_link_wipe(&ms->serving_link);
    tekho_cmac_link_wipe(&ms->target_link);
}

static void drop_cache(struct tekho_ms *ms)
{
    tekho_tek_cache_drop_all_but(&ms->cache, -1);
    ms->target_tek = -1;
}

/* ---- requests, sent first and on every retransmission with a fresh CMAC_PN */

static void send_ul(struct tekho_ms *ms, struct tekho_actions *out, uint32_t node, const uint8_t *msg, size_t len)
{
    tekho_send_mgmt(out, TEKHO_ACT_AIR_UL, node, ms->cfg.index, tekho_ms_basic_cid(ms->cfg.index), msg, len);
}

static tekho_err send_request(struct tekho_ms *ms, uint64_t now, struct tekho_actions *out)
{
    uint8_t msg[512];
    size_t len = 0;
    tekho_err err = TEKHO_OK;
    uint32_t to = ms->serving;
    switch (ms->state) {
    case TEKHO_MS_ENTRY_RANGING: {
        struct tekho_rng_req m = {.has_ms_mac = true, .has_ranging_purpose = true, .ranging_purpose = 0};
        memcpy(m.ms_mac, ms->cfg.mac, 6);
        err = tekho_rng_req_encode(&m, msg, sizeof msg, &len);
        break;
    }
    case TEKHO_MS_SA_TEK: /* entering, no challenge yet: the SBC-REQ again asks for it */
    case TEKHO_MS_SBC_WAIT: {
        if (ms->state == TEKHO_MS_SA_TEK && (!ms->candidate || ms->sa_answered))
            return TEKHO_OK;
        struct tekho_sbc m = {.mgmt_type = TEKHO_MGMT_SBC_REQ, .has_security_negotiation = true};
        m.sec.has_pkm_version = true;
        m.sec.pkm_version = 1; /* PKMv2 */
        m.sec.has_pn_window_size = true;
        m.sec.pn_window_size = ms->cfg.pn_window ? ms->cfg.pn_window : TEKHO_PN_WINDOW_DEFAULT;
        /* Our private extension goes only where it can mean something (profile 5). */
        if (ms->cfg.scheme == TEKHO_SCHEME_COUNTER && ms->cfg.tekgen_capable) {
            m.sec.has_tek_generation = true;
            m.sec.tek_generation = TEKHO_TEKGEN_SUPPORTED;
        }
        err = tekho_sbc_encode(&m, msg, sizeof msg, &len);
        break;
    }
    case TEKHO_MS_KEY_WAIT: {
        /* A retransmission keeps the identifier: the BS answers it with the same TEKs. */
        /* ... and the nonce: the BS tells a retransmission by both. */
        struct tekho_pkm m = {.mgmt_type = TEKHO_MGMT_PKM_REQ, .code = TEKHO_PKM_KEY_REQUEST,
                              .identifier = ms->pkm_identifier, .has_key_seq = true, .key_seq = ms->cfg.pmk_sn,
                              .has_said = true, .said = ms->cfg.said, .has_nonce = true, .has_cmac_digest = true};
        memcpy(m.nonce, ms->pkm_nonce, sizeof m.nonce);
        m.cmac_digest.cmac_pn = ms->serving_link.tx_pn;
        err = tekho_pkm_encode(&m, msg, sizeof msg, &len);
        if (err == TEKHO_OK)
            err = tekho_sign_mgmt(ms->kit, &ms->serving_link, true, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                                  CMAC_DIGEST_TLV_LEN);
        break;
    }
    case TEKHO_MS_HO_REQUESTED: {
        struct tekho_mob_msho_req m;
        memset(&m, 0, sizeof m);
        m.report_metric = TEKHO_MOB_METRIC_CINR;
        m.n_new_bs_full = 1;
        memcpy(m.new_bs_full[0].bsid, ms->target_bsid, 6);
        m.has_cmac = true;
        m.cmac = tekho_cmac_tuple_next(&ms->serving_link);
        err = tekho_mob_msho_req_encode(&m, msg, sizeof msg, &len);
        if (err == TEKHO_OK)
            err = tekho_sign_mgmt(ms->kit, &ms->serving_link, true, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                                  CMAC_TUPLE_TLV_LEN);
        break;
    }
    case TEKHO_MS_HO_RANGING: {
        /* 802.16-2009 7.2.2.2.9.1: the MS proves the count it derived its
         * CMAC keys from (TM) in the RNG-REQ, CMAC'd under those keys. */
        struct tekho_rng_req m = {.has_ms_mac = true, .has_serving_bsid = true, .has_ranging_purpose = true,
                                  .ranging_purpose = TEKHO_RANGING_PURPOSE_HO, .has_ho_id = true, .ho_id = ms->ho_id,
                                  .has_cmac_key_count = true, .cmac_key_count = ms->tm, .has_cmac = true};
        memcpy(m.ms_mac, ms->cfg.mac, 6);
        memcpy(m.serving_bsid, ms->serving_bsid, 6);
        m.cmac = tekho_cmac_tuple_next(&ms->target_link);
        err = tekho_rng_req_encode(&m, msg, sizeof msg, &len);
        if (err == TEKHO_OK)
            err = tekho_sign_mgmt(ms->kit, &ms->target_link, true, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                                  CMAC_TUPLE_TLV_LEN);
        to = ms->target;
        break;
    }
    default:
        return TEKHO_OK;
    }
    if (err != TEKHO_OK)
        return err;
    send_ul(ms, out, to, msg, len);
    /* MOB_BSHO-RSP waits on the backbone (HO_Req, the AK context,
     * HO_Rsp): its timer is the handover response time, not the air's; an
     * RNG-REQ waits T3. */
    const struct tekho_timing *t = &ms->cfg.timing;
    const bool ranging = ms->state == TEKHO_MS_ENTRY_RANGING || ms->state == TEKHO_MS_HO_RANGING;
    tekho_act_timer(out, MS_TIMER_RETX,
                    now + (ms->state == TEKHO_MS_HO_REQUESTED ? t->ho_response_us
                           : ranging                          ? t->rng_retransmit_us
                                                              : t->retransmit_us));
    return out->err;
}

static tekho_err begin_request(struct tekho_ms *ms, enum tekho_ms_state state, uint64_t now, struct tekho_actions *out)
{
    if (state == TEKHO_MS_KEY_WAIT) {
        uint8_t nonce[sizeof ms->pkm_nonce];
        const tekho_err err = ms->cfg.random.fill(ms->cfg.random.ctx, nonce, sizeof nonce);
        if (err != TEKHO_OK) {
            /* No nonce, no request: the state stays and a timer comes back
             * to it (a retransmission whose answer brings us here again,
             * or the refresh), so a source that recovers is not a wedge. */
            tekho_act_timer(out, ms->state == TEKHO_MS_OPERATIONAL ? MS_TIMER_REFRESH : MS_TIMER_RETX,
                            now + ms->cfg.timing.retransmit_us);
            return err;
        }
        ms->pkm_identifier++;
        memcpy(ms->pkm_nonce, nonce, sizeof nonce);
    }
    ms->state = state;
    ms->retries = 0;
    return send_request(ms, now, out);
}

/* ---- entry ------------------------------------------------------------------ */

tekho_err tekho_ms_enter(struct tekho_ms *ms, uint64_t now_us, uint32_t bs_node, const uint8_t bsid[6],
                         struct tekho_actions *out)
{
    if (ms == NULL || bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (ms->state != TEKHO_MS_IDLE && ms->state != TEKHO_MS_RELEASED)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* Entry comes with a fresh PMK: M = 0, and CMAC keys at the entry BS
     * use count 0 (profile 4). After a release the old PMK must not come
     * back (its counts, CMAC_PNs and TEKs would repeat): re-entry
     * re-authenticates, modelled as the next MSK at both ends. */
    candidate_save(ms);
    const unsigned step = ms->entry_next;
    uint8_t msk[64];
    memcpy(msk, ms->base_msk, 64);
    for (unsigned i = 0; i < step; i++) {
        tekho_err err = tekho_reauth_next_msk(msk, msk);
        if (err != TEKHO_OK) {
            OPENSSL_cleanse(msk, sizeof msk);
            return err;
        }
    }
    memcpy(ms->cfg.msk, msk, 64);
    OPENSSL_cleanse(msk, sizeof msk);
    const uint32_t tx_pn = ms->candidate_tx_pn[step];
    ms->candidate = true;
    ms->entry_step = step;
    if (step > ms->entry_reach)
        ms->entry_reach = step;
    ms->entry_next = step > 1 ? step - 1
                              : (ms->entry_reach < MS_ENTRY_REACH ? ms->entry_reach + 1 : MS_ENTRY_REACH);
    if (ms->pmk_generation != ms->base_generation + step || step > 0)
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_NEW_PMK, 0, NULL, 0);
    ms->pmk_generation = ms->base_generation + step;
    ms->m = ms->cfg.first_count;
    ms->serving = bs_node;
    memcpy(ms->serving_bsid, bsid, 6);
    tekho_tek_context_cleanup(&ms->tek);
    ms->have_tek = false;
    drop_cache(ms);
    tekho_err err =
        tekho_cmac_link_from_msk(ms->kit, &ms->serving_link, ms->cfg.msk, ms->cfg.mac, bsid, ms->cfg.pmk_sn, 0);
    if (err != TEKHO_OK)
        return err;
    ms->serving_link.tx_pn = tx_pn;
    const struct entry_rx *kept = entry_rx_find(ms, step, bsid);
    if (kept != NULL)
        ms->serving_link.rx = kept->rx;
    return begin_request(ms, TEKHO_MS_ENTRY_RANGING, now_us, out);
}

/* Installs delivered TEKs (Key-Reply, SA-TEK-Update) into ctx, each in
 * the slot of its EKS parity, on a copy committed only if all succeed. A
 * TEK already installed there keeps its PN counter and window (the key
 * layer's KRACK rule): a retransmitted or replayed reply, or a refresh
 * that sends the kept TEK again, never rewinds them. */
static tekho_err install_delivered(struct tekho_ms *ms, struct tekho_tek_context *ctx, const uint8_t kek[16],
                                   const struct tekho_tek_params *params, size_t n, uint64_t now,
                                   struct tekho_actions *out)
{
    if (n != 2 || ((params[0].key_seq ^ params[1].key_seq) & 1u) == 0)
        return TEKHO_ERR_BAD_VALUE;
    struct tekho_tek_context fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.said = ms->cfg.said;
    fresh.tx_dir = TEKHO_DIR_UL;
    fresh.kit = ms->kit;
    tekho_err err = TEKHO_OK;
    for (unsigned i = 0; i < 2 && err == TEKHO_OK; i++) {
        /* What the context holds now is the starting point: its keys and PN state. */
        const struct tekho_tek_slot *t = &ctx->tek[i];
#ifdef TEKHO_MUTATION_REINSTALL_RESETS_PN
        if (t->installed)
            continue;
#endif
        if (!t->installed)
            continue;
        err = tekho_tek_context_install(&fresh, i, t->key, t->eks, 0, 0, ms->cfg.pn_window);
        if (err == TEKHO_OK) {
            fresh.tek[i].expires_at_ms = t->expires_at_ms;
            fresh.tek[i].tx_pn = t->tx_pn;
            err = tekho_pn_window_copy(&fresh.tek[i].rx, &t->rx);
        }
    }
    for (size_t i = 0; i < n && err == TEKHO_OK; i++) {
        uint8_t tek[16];
        err = params[i].key_seq > 3 ? TEKHO_ERR_BAD_VALUE
                                    : tekho_tek_unwrap_with(ms->kit, MS_TEK_SUITE, kek, params[i].wrapped_tek,
                                                            params[i].wrapped_tek_len, tek);
        if (err == TEKHO_OK)
            err = tekho_tek_context_install(&fresh, params[i].key_seq & 1u, tek, params[i].key_seq,
                                            params[i].lifetime_s, now, ms->cfg.pn_window);
        OPENSSL_cleanse(tek, sizeof tek);
    }
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&fresh);
        return err;
    }
    tekho_tek_context_move(ctx, &fresh);
    uint8_t fp[2][8];
    tekho_tek_fingerprints(ctx, fp);
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_KEYS_INSTALLED, 0, &fp[0][0], sizeof fp);
    return TEKHO_OK;
}

/* ---- handover ----------------------------------------------------------------- */

/* Seed step (1): before access to the target the MS computes its TEKs with
 * TM = M + 1, or takes the cached context for (target, TM) with its PNs. */
static tekho_err prepare_counter_teks(struct tekho_ms *ms, uint64_t now, struct tekho_actions *out)
{
    const struct tek_derive how = {.kit = ms->kit,
                                   .kek = ms->target_link.ak.kek,
                                   .params = {.said = ms->cfg.said, .tx_dir = TEKHO_DIR_UL,
                                              .pmk_lifetime_s = ms->cfg.pmk_lifetime_s, .now_ms = now / 1000,
                                              .pn_window_size = ms->cfg.pn_window}};
    int slot = -1;
    bool derived = false;
    tekho_err err =
        tekho_tek_cache_take(&ms->cache, ms->target_bsid, ms->tm, (uint16_t)(ms->m + 1), -1, &how, &slot, &derived);
    if (err != TEKHO_OK)
        return err;
    ms->target_tek = slot;
    if (!derived) {
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_CONTEXT_REUSED, ms->tm, NULL, 0);
        return TEKHO_OK;
    }
    uint8_t fp[2][8];
    tekho_tek_fingerprints(tekho_tek_cache_at(&ms->cache, slot), fp);
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_KEYS_INSTALLED, ms->tm, &fp[0][0], sizeof fp);
    return TEKHO_OK;
}

tekho_err tekho_ms_start_handover(struct tekho_ms *ms, uint64_t now_us, uint32_t target_node,
                                  const uint8_t target_bsid[6], struct tekho_actions *out)
{
    if (ms == NULL || target_bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (ms->state != TEKHO_MS_OPERATIONAL || target_node == ms->serving)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* The count never wraps under one PMK: at the limit only a new PMK
     * (network entry) lets the MS move on. */
#ifndef TEKHO_MUTATION_COUNT_PAST_LIMIT
    if (ms->m >= TEKHO_COUNT_LIMIT)
        return TEKHO_ERR_STALE_COUNT;
#endif
    ms->target = target_node;
    memcpy(ms->target_bsid, target_bsid, 6);
    ms->tm = (uint16_t)(ms->m + 1);
#ifdef TEKHO_MUTATION_MS_REDERIVE_ON_RETRY
    /* A retry after a cancel derives for the count already in use. */
    if (ms->cancelled_since_m)
        ms->tm = ms->m;
#endif
    ms->synced = false;
    ms->target_tek = -1;
    /* The MS holds the PMK, so it derives the target's AK and CMAC keys
     * for TM itself (802.16-2009 7.2.2.2.9.1). */
    tekho_err err = tekho_cmac_link_from_msk(ms->kit, &ms->target_link, ms->cfg.msk, ms->cfg.mac, target_bsid,
                                             ms->cfg.pmk_sn, ms->tm);
    if (err == TEKHO_OK && counter_mode(ms))
        err = prepare_counter_teks(ms, now_us, out);
    if (err != TEKHO_OK)
        return err;
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_STARTED, target_node, NULL, 0);
    return begin_request(ms, TEKHO_MS_HO_REQUESTED, now_us, out);
}

static tekho_err send_ho_ind(struct tekho_ms *ms, uint8_t type, struct tekho_actions *out)
{
    struct tekho_mob_ho_ind m;
    memset(&m, 0, sizeof m);
    m.ho_ind_type = type;
    memcpy(m.target_bsid, ms->target_bsid, 6);
    m.has_cmac = true;
    m.cmac = tekho_cmac_tuple_next(&ms->serving_link);
    uint8_t msg[64];
    size_t len = 0;
    tekho_err err = tekho_mob_ho_ind_encode(&m, msg, sizeof msg, &len);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(ms->kit, &ms->serving_link, true, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                              CMAC_TUPLE_TLV_LEN);
    if (err == TEKHO_OK)
        send_ul(ms, out, ms->serving, msg, len);
    return err;
}

tekho_err tekho_ms_lost_bs(struct tekho_ms *ms, uint64_t now_us, uint32_t node, struct tekho_actions *out)
{
    (void)now_us;
    if (ms == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (node == 0 || ms->state == TEKHO_MS_IDLE || ms->state == TEKHO_MS_RELEASED)
        return TEKHO_OK;
    const bool left = ms->state == TEKHO_MS_HO_SYNC || ms->state == TEKHO_MS_HO_RANGING;
    if (ms->state == TEKHO_MS_HO_REQUESTED && node == ms->target) {
        ms->state = TEKHO_MS_OPERATIONAL;
        ms->target_tek = -1;
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, node, NULL, 0);
        ms->target = 0;
        return out->err;
    }
    if (node != ms->serving && !(left && node == ms->target))
        return TEKHO_OK;
    const uint32_t target = ms->target;
    released(ms);
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    tekho_act_cancel_timer(out, MS_TIMER_SYNC);
    tekho_act_cancel_timer(out, MS_TIMER_RANGING);
    tekho_act_cancel_timer(out, MS_TIMER_REFRESH);
    if (left)
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, target, NULL, 0);
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_RELEASED, 0, NULL, 0);
    return out->err;
}

tekho_err tekho_ms_cancel_handover(struct tekho_ms *ms, uint64_t now_us, struct tekho_actions *out)
{
    (void)now_us;
    if (ms == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (ms->state != TEKHO_MS_HO_REQUESTED)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    tekho_err err = send_ho_ind(ms, TEKHO_MOB_HO_IND_CANCEL, out);
    if (err != TEKHO_OK)
        return err;
#ifdef TEKHO_MUTATION_MS_REDERIVE_ON_RETRY
    ms->cancelled_since_m = true;
#endif
    /* M does not move: the target's context stays cached for a retry. */
    ms->state = TEKHO_MS_OPERATIONAL;
    ms->target_tek = -1;
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_CANCELLED, ms->target, NULL, 0);
    ms->target = 0; /* set again by the next handover: nothing under way */
    return out->err;
}

/* The handover is complete: the target serves, M = TM. */
static void complete_handover(struct tekho_ms *ms, struct tekho_actions *out)
{
#ifdef TEKHO_MUTATION_MS_REDERIVE_ON_RETRY
    ms->cancelled_since_m = false;
#endif
    ms->m = ms->tm;
    ms->serving = ms->target;
    memcpy(ms->serving_bsid, ms->target_bsid, 6);
    ms->serving_link = ms->target_link;
    tekho_cmac_link_wipe(&ms->target_link);
    if (ms->target_tek >= 0) {
        tekho_tek_context_move(&ms->tek, tekho_tek_cache_at(&ms->cache, ms->target_tek));
        tekho_tek_cache_drop(&ms->cache, ms->target_tek);
        ms->have_tek = true;
    }
    /* M moved: every cached context belongs to an older count. */
    drop_cache(ms);
    ms->target = 0;
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_COMPLETED, ms->serving, NULL, 0);
}

/* ---- received management messages ---------------------------------------------- */

/* Re-authentication and the SA-TEK exchange are the network's to drive;
 * the MS gives up (and is released) when they stall: the AAA round trips
 * plus a handover response time, max_retries times. */
static void arm_reauth_timer(struct tekho_ms *ms, uint64_t now, struct tekho_actions *out)
{
    const struct tekho_timing *t = &ms->cfg.timing;
    tekho_act_timer(out, MS_TIMER_RETX, now + t->aaa_rtt_us * t->aaa_round_trips + t->ho_response_us);
}

/* Arms the refresh of the serving TEKs: a grace time before the older expires. */
static void arm_refresh(struct tekho_ms *ms, struct tekho_actions *out)
{
    uint64_t first = UINT64_MAX;
    for (int i = 0; i < 2; i++)
        if (ms->tek.tek[i].installed && ms->tek.tek[i].expires_at_ms < first)
            first = ms->tek.tek[i].expires_at_ms;
    if (!ms->have_tek || first == UINT64_MAX)
        return;
    const uint64_t at_us = first * 1000;
    tekho_act_timer(out, MS_TIMER_REFRESH,
                    at_us > ms->cfg.timing.tek_grace_us ? at_us - ms->cfg.timing.tek_grace_us : 0);
}

/* New TEKs installed from a reply that ends the exchange: operational, no
 * more retransmissions, the next refresh armed. */
static tekho_err keys_in_place(struct tekho_ms *ms, struct tekho_actions *out)
{
    ms->have_tek = true;
    ms->state = TEKHO_MS_OPERATIONAL;
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    arm_refresh(ms, out);
    return out->err;
}

static tekho_err send_tuple_answer(struct tekho_ms *ms, uint64_t now, struct tekho_actions *out);

static tekho_err on_rng_rsp(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    struct tekho_rng_rsp m;
    tekho_err err = tekho_rng_rsp_decode(msg, len, &m);
    if (err != TEKHO_OK)
        return err;
    if (ms->state == TEKHO_MS_ENTRY_RANGING) {
        if (from != ms->serving)
            return TEKHO_ERR_UNEXPECTED_MESSAGE;
        if (m.ranging_status != TEKHO_RANGING_STATUS_SUCCESS)
            return TEKHO_ERR_BAD_VALUE;
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        return begin_request(ms, TEKHO_MS_SBC_WAIT, now, out);
    }
    /* HO_RANGING (the table takes RNG-RSP in no other state). */
    if (from != ms->target)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* A handover RNG-RSP must be CMAC'd under the target's keys for TM. */
    if (!m.has_cmac)
        return TEKHO_ERR_MISSING_TLV;
    const enum tekho_ho_tek_mode mode = (enum tekho_ho_tek_mode)((m.ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >>
                                                                 TEKHO_HO_OPT_TEK_SHIFT);
    /* The TEK mode was agreed in MOB_BSHO-RSP; an RNG-RSP with another one
     * would leave the MS with TEKs the target does not use, or none. */
    if (m.ranging_status == TEKHO_RANGING_STATUS_SUCCESS && (!m.has_ho_process_optimization || mode != ms->mode))
        return TEKHO_ERR_BAD_VALUE;
    /* Only baseline-challenge's RNG-RSP starts the SA-TEK 3-way handshake,
     * and it names the target's AK (the one the MS derived for TM). */
    const bool tuple = m.ranging_status == TEKHO_RANGING_STATUS_SUCCESS && mode == TEKHO_HO_TEK_REAUTH &&
                       challenge_mode(ms);
    if (m.has_sa_challenge != tuple ||
        (tuple && CRYPTO_memcmp(m.akid, ms->target_link.ak.akid, TEKHO_PKM_AKID_LEN) != 0))
        return TEKHO_ERR_BAD_VALUE;
    err = tekho_verify_mgmt(ms->kit, &ms->target_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                            m.cmac_offset, &m.cmac);
    if (err != TEKHO_OK)
        return err;
    if (m.ranging_status != TEKHO_RANGING_STATUS_SUCCESS) {
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        released(ms);
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_RELEASED, -TEKHO_ERR_STALE_COUNT, NULL, 0);
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, from, NULL, 0);
        return out->err;
    }
    if (mode == TEKHO_HO_TEK_UPDATE) {
        /* Baseline: random TEKs from the target under its KEK. */
        /* One SA-TEK-Update per SA: its older TEK (old TEK-Parameters) and
         * its newer one (new TEK-Parameters). */
        if (m.n_sa_tek_updates == 0 || !m.sa_tek_updates[0].has_old_params)
            return TEKHO_ERR_MISSING_TLV;
        const struct tekho_tek_params params[2] = {m.sa_tek_updates[0].old_params, m.sa_tek_updates[0].new_params};
        const size_t n = 2;
        struct tekho_tek_context fresh;
        memset(&fresh, 0, sizeof fresh);
        err = install_delivered(ms, &fresh, ms->target_link.ak.kek, params, n, now / 1000, out);
        if (err != TEKHO_OK)
            return err;
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        tekho_tek_context_cleanup(&ms->tek);
        ms->tek = fresh;
        tekho_tek_context_forget_moved(&fresh);
        ms->target_tek = -1;
        complete_handover(ms, out);
        ms->have_tek = true;
        ms->state = TEKHO_MS_OPERATIONAL;
        arm_refresh(ms, out);
        return out->err;
    }
    if (tuple) {
        /* baseline-challenge: no re-authentication; the 3-way handshake at once. */
        uint8_t ms_random[TEKHO_PKM_RANDOM_LEN];
        err = ms->cfg.random.fill(ms->cfg.random.ctx, ms_random, sizeof ms_random);
        if (err != TEKHO_OK)
            return err; /* nothing changed: the RNG-REQ goes again, and its answer brings this back */
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        complete_handover(ms, out);
        tekho_tek_context_cleanup(&ms->tek);
        ms->have_tek = false;
        memcpy(ms->sa_bs_random, m.bs_random, sizeof ms->sa_bs_random);
        memcpy(ms->sa_ms_random, ms_random, sizeof ms->sa_ms_random);
        ms->sa_identifier = 0;
        ms->retries = 0;
        return send_tuple_answer(ms, now, out);
    }
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    if (mode == TEKHO_HO_TEK_REAUTH) {
        /* Baseline-full: the target now runs re-authentication and the
         * SA-TEK 3-way handshake; the MS waits for the SA-TEK-Challenge. */
        complete_handover(ms, out);
        tekho_tek_context_cleanup(&ms->tek);
        ms->have_tek = false;
        ms->state = TEKHO_MS_REAUTH;
        ms->retries = 0;
        arm_reauth_timer(ms, now, out);
        return out->err;
    }
    /* Counter or reuse: the TEKs in use since synchronisation stay. With
     * counter, CMAC_KEY_COUNT_T is now the established TM = TB. */
    complete_handover(ms, out);
    ms->state = TEKHO_MS_OPERATIONAL;
    arm_refresh(ms, out);
    return out->err;
}

/* The entry's PMK is the network's too (the SA-TEK-Response to our
 * request verified under it; a Key-Reply after it changes nothing): a
 * later entry starts from its successor, and this one is never entered
 * with again. */
static void pmk_taken(struct tekho_ms *ms)
{
    if (ms->candidate) {
        memcpy(ms->base_msk, ms->cfg.msk, 64);
        ms->base_generation = ms->pmk_generation;
    }
    ms->candidate = false;
    ms->entered = true;
    entry_walk_reset(ms);
}

static tekho_err on_sbc_rsp(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    if (from != ms->serving)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_sbc m;
    tekho_err err = tekho_sbc_decode(msg, len, &m);
    if (err != TEKHO_OK)
        return err;
    if (m.mgmt_type != TEKHO_MGMT_SBC_RSP)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    /* Both sides must advertise support (profile 5). */
    ms->tekgen_negotiated = ms->cfg.scheme == TEKHO_SCHEME_COUNTER && ms->cfg.tekgen_capable &&
                            m.has_security_negotiation && m.sec.has_tek_generation &&
                            (m.sec.tek_generation & TEKHO_TEKGEN_SUPPORTED);
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_CAPABILITY, ms->tekgen_negotiated, NULL, 0);
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    /* PKMv2's SA-TEK 3-way handshake proves the PMK (7.2.2.4.3): the BS
     * challenges under each AK it was offered, the MS answers the one of
     * its own, and the BS's fresh BS_Random in it makes the proof good at
     * this BS, now, only. */
    ms->state = TEKHO_MS_SA_TEK;
    ms->retries = 0;
    ms->sa_answered = false;
    tekho_act_timer(out, MS_TIMER_RETX, now + ms->cfg.timing.retransmit_us);
    return out->err;
}

/* The SA-TEK-Request answering BS_Random (a challenge's, or RNG-RSP's SA
 * Challenge Tuple's) with ms_random, drawn by the caller before it changed
 * anything, so that a source that fails leaves the challenge to be
 * answered when it comes again. */
static tekho_err send_sa_tek_request(struct tekho_ms *ms, uint8_t identifier, const uint8_t bs_random[8],
                                     const uint8_t ms_random[8], struct tekho_actions *out)
{
    struct tekho_pkm req = {.mgmt_type = TEKHO_MGMT_PKM_REQ, .code = TEKHO_PKM_SA_TEK_REQUEST,
                            .identifier = identifier, .has_key_seq = true, .key_seq = ms->cfg.pmk_sn,
                            .has_ms_random = true, .has_bs_random = true, .has_akid = true,
                            .has_cmac_digest = true};
    memcpy(req.ms_random, ms_random, sizeof req.ms_random);
    memcpy(req.bs_random, bs_random, sizeof req.bs_random);
    memcpy(req.akid, ms->serving_link.ak.akid, 8);
    req.cmac_digest.cmac_pn = ms->serving_link.tx_pn;
    uint8_t buf[256];
    size_t n = 0;
    tekho_err err = tekho_pkm_encode(&req, buf, sizeof buf, &n);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(ms->kit, &ms->serving_link, true, tekho_ms_basic_cid(ms->cfg.index), buf, n,
                              CMAC_DIGEST_TLV_LEN);
    if (err == TEKHO_OK)
        send_ul(ms, out, ms->serving, buf, n);
    ms->state = TEKHO_MS_SA_TEK;
    return err == TEKHO_OK ? out->err : err;
}

/* baseline-challenge: RNG-RSP carried the SA Challenge Tuple (802.16-2009
 * RNG-RSP TLV 31: BS_Random, AKID): the MS answers with SA-TEK-Request at
 * once, and sends it again on its timer until the SA-TEK-Response. */
static tekho_err send_tuple_answer(struct tekho_ms *ms, uint64_t now, struct tekho_actions *out)
{
    const tekho_err err = send_sa_tek_request(ms, ms->sa_identifier, ms->sa_bs_random, ms->sa_ms_random, out);
    tekho_act_timer(out, MS_TIMER_RETX, now + ms->cfg.timing.retransmit_us);
    return err == TEKHO_OK ? out->err : err;
}

/* Entering (SA_TEK with a candidate PMK): the challenge under the
 * candidate's AK (its AKID; those under the other offers are not ours) is
 * answered, the same BS_Random with the same MS_Random; the response to
 * our request shows the Authenticator took the PMK, and TEKs are asked
 * for. */
static tekho_err on_entry_sa_tek(struct tekho_ms *ms, uint64_t now, const struct tekho_pkm *m, const uint8_t *msg,
                                 size_t len, struct tekho_actions *out)
{
    if (!m->has_akid || CRYPTO_memcmp(m->akid, ms->serving_link.ak.akid, 8) != 0 || !m->has_bs_random ||
        !m->has_key_seq || m->key_seq != ms->cfg.pmk_sn)
        return TEKHO_ERR_BAD_VALUE;
    const bool challenge = m->code == TEKHO_PKM_SA_TEK_CHALLENGE;
    if (!challenge &&
        (!ms->sa_answered || !m->has_ms_random ||
         CRYPTO_memcmp(m->ms_random, ms->sa_ms_random, sizeof ms->sa_ms_random) != 0 ||
         CRYPTO_memcmp(m->bs_random, ms->sa_bs_random, sizeof ms->sa_bs_random) != 0))
        return TEKHO_ERR_BAD_VALUE;
    uint8_t ms_random[TEKHO_PKM_RANDOM_LEN] = {0};
    const bool same = ms->sa_answered && CRYPTO_memcmp(m->bs_random, ms->sa_bs_random, sizeof ms_random) == 0;
    tekho_err err = TEKHO_OK;
    if (challenge && !same)
        err = ms->cfg.random.fill(ms->cfg.random.ctx, ms_random, sizeof ms_random);
    if (err == TEKHO_OK)
        err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                               m->cmac_offset, m->cmac_digest.cmac_pn);
    if (err != TEKHO_OK)
        return err;
    if (!challenge) {
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        pmk_taken(ms); /* the BS verified our request under it, and the Authenticator took it */
        if (!tekho_scheme_encrypts(ms->cfg.scheme)) {
            ms->state = TEKHO_MS_OPERATIONAL; /* no TEKs to ask for */
            return out->err;
        }
        return begin_request(ms, TEKHO_MS_KEY_WAIT, now, out);
    }
    if (!same) {
        memcpy(ms->sa_bs_random, m->bs_random, sizeof ms->sa_bs_random);
        memcpy(ms->sa_ms_random, ms_random, sizeof ms->sa_ms_random);
        ms->sa_identifier = m->identifier;
        ms->sa_answered = true;
        ms->retries = 0;
    }
    return send_tuple_answer(ms, now, out);
}

/* Baseline-full, 802.16e 7.2.2.4: after re-authentication the target
 * proves the new AK with SA-TEK-Challenge; the MS answers SA-TEK-Request
 * and, on SA-TEK-Response, asks for TEKs (Key-Request). */
static tekho_err on_sa_tek(struct tekho_ms *ms, uint64_t now, const struct tekho_pkm *m, const uint8_t *msg,
                           size_t len, struct tekho_actions *out)
{
    if (ms->state == TEKHO_MS_SA_TEK && ms->candidate)
        return on_entry_sa_tek(ms, now, m, msg, len, out);
    if (m->code == TEKHO_PKM_SA_TEK_CHALLENGE && ms->state == TEKHO_MS_REAUTH) {
        /* The EAP exchange (modelled) produced a new MSK: a new PMK, M = 0. */
        uint8_t msk[64], ms_random[8];
        struct cmac_link link;
        memset(&link, 0, sizeof link);
        tekho_err err = ms->cfg.random.fill(ms->cfg.random.ctx, ms_random, sizeof ms_random);
        if (err != TEKHO_OK)
            return err;
        err = tekho_reauth_next_msk(ms->cfg.msk, msk);
        if (err == TEKHO_OK)
            err = tekho_cmac_link_from_msk(ms->kit, &link, msk, ms->cfg.mac, ms->serving_bsid, ms->cfg.pmk_sn, 0);
        if (err == TEKHO_OK)
            err = tekho_verify_pkm(ms->kit, &link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len, m->cmac_offset,
                                   m->cmac_digest.cmac_pn);
        if (err == TEKHO_OK && (!m->has_akid || CRYPTO_memcmp(m->akid, link.ak.akid, 8) != 0))
            err = TEKHO_ERR_BAD_VALUE;
        if (err != TEKHO_OK) {
            OPENSSL_cleanse(msk, sizeof msk);
            tekho_cmac_link_wipe(&link);
            return err;
        }
        memcpy(ms->cfg.msk, msk, 64);
        OPENSSL_cleanse(msk, sizeof msk);
        ms->pmk_generation++;
        memcpy(ms->base_msk, ms->cfg.msk, 64); /* the AAA's: taken at both ends */
        ms->base_generation = ms->pmk_generation;
        entry_walk_reset(ms);
        ms->serving_link = link;
        tekho_cmac_link_wipe(&link);
        ms->m = ms->cfg.first_count;
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_NEW_PMK, 0, NULL, 0);
        return send_sa_tek_request(ms, m->identifier, m->bs_random, ms_random, out);
    }
    if (m->code == TEKHO_PKM_SA_TEK_CHALLENGE) {
        /* baseline-challenge has no SA-TEK-Challenge (its tuple came in RNG-RSP). */
        if (challenge_mode(ms))
            return TEKHO_ERR_UNEXPECTED_MESSAGE;
        /* In SA_TEK: the BS resent its challenge, our SA-TEK-Request was
         * lost. The new PMK is already in place, so it is answered under it. */
        uint8_t ms_random[8];
        tekho_err err = ms->cfg.random.fill(ms->cfg.random.ctx, ms_random, sizeof ms_random);
        if (err == TEKHO_OK)
            err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                                   m->cmac_offset, m->cmac_digest.cmac_pn);
        return err == TEKHO_OK ? send_sa_tek_request(ms, m->identifier, m->bs_random, ms_random, out) : err;
    }
    /* SA-TEK-Response, taken only in SA_TEK. */
    if (challenge_mode(ms)) {
        /* baseline-challenge: it answers our request (both randoms) for
         * the MS's primary SA, and carries the target's TEKs under its KEK
         * (802.16e: the BS includes SA-TEK-Update in SA-TEK-Response). */
        if (!m->has_ms_random || !m->has_bs_random || !m->has_said || m->said != ms->cfg.said ||
            m->n_tek_params != 2 || !m->has_key_seq || m->key_seq != ms->cfg.pmk_sn ||
            CRYPTO_memcmp(m->ms_random, ms->sa_ms_random, sizeof ms->sa_ms_random) != 0 ||
            CRYPTO_memcmp(m->bs_random, ms->sa_bs_random, sizeof ms->sa_bs_random) != 0)
            return TEKHO_ERR_BAD_VALUE;
    }
    tekho_err err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                                     m->cmac_offset, m->cmac_digest.cmac_pn);
    if (err != TEKHO_OK)
        return err;
    if (!challenge_mode(ms))
        return begin_request(ms, TEKHO_MS_KEY_WAIT, now, out);
    err = install_delivered(ms, &ms->tek, ms->serving_link.ak.kek, m->tek_params, m->n_tek_params, now / 1000, out);
    if (err != TEKHO_OK)
        return err;
    return keys_in_place(ms, out);
}

/* Baseline-full, re-authentication at the target (802.16e 7.2.2: EAP in
 * PKMv2 EAP-Transfer; [PROFILE] with the AK in place, under its CMAC). The
 * EAP method is modelled, not run: the MS answers each EAP-Request with an
 * EAP-Response of its type (Identity: "tekho"; any other: a one-byte
 * acknowledgement, as an EAP-TTLS peer acknowledges a fragment), so the
 * round trips and bytes are the exchange's, its cryptography is not. A
 * request sent again gets the same answer. The new MSK is taken when the
 * SA-TEK-Challenge under it proves the exchange succeeded. */
static tekho_err on_eap_transfer(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *msg, size_t len,
                                 struct tekho_actions *out)
{
    if (from != ms->serving)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_pkm m;
    tekho_err err = tekho_pkm_decode(msg, len, &m);
    if (err != TEKHO_OK)
        return err;
    /* An EAP-Request (the decoder checked the packet's framing) under our AK. */
    if (m.mgmt_type != TEKHO_MGMT_PKM_RSP || m.eap_payload[0] != 1 || !m.has_key_seq || m.key_seq != ms->cfg.pmk_sn)
        return TEKHO_ERR_BAD_VALUE;
    err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                           m.cmac_offset, m.cmac_digest.cmac_pn);
    if (err != TEKHO_OK)
        return err;
    static const uint8_t identity[] = {'t', 'e', 'k', 'h', 'o'};
    const uint8_t type = m.eap_payload[4];
    struct tekho_pkm rsp = {.mgmt_type = TEKHO_MGMT_PKM_REQ, .code = TEKHO_PKM_EAP_TRANSFER,
                            .identifier = m.identifier, .has_key_seq = true, .key_seq = ms->cfg.pmk_sn,
                            .has_cmac_digest = true};
    const size_t n = TEKHO_EAP_HEADER_LEN + 1 + (type == 1 ? sizeof identity : 1);
    rsp.eap_payload[0] = 2; /* Response */
    rsp.eap_payload[1] = m.eap_payload[1];
    rsp.eap_payload[2] = 0;
    rsp.eap_payload[3] = (uint8_t)n;
    rsp.eap_payload[4] = type;
    if (type == 1)
        memcpy(rsp.eap_payload + 5, identity, sizeof identity);
    else
        rsp.eap_payload[5] = 0; /* flags: an acknowledgement, no data */
    rsp.eap_payload_len = n;
    rsp.cmac_digest.cmac_pn = ms->serving_link.tx_pn;
    uint8_t buf[256];
    size_t blen = 0;
    err = tekho_pkm_encode(&rsp, buf, sizeof buf, &blen);
    if (err == TEKHO_OK)
        err = tekho_sign_mgmt(ms->kit, &ms->serving_link, true, tekho_ms_basic_cid(ms->cfg.index), buf, blen,
                              CMAC_DIGEST_TLV_LEN);
    if (err != TEKHO_OK)
        return err;
    send_ul(ms, out, ms->serving, buf, blen);
    /* The exchange moves: the MS waits as long again. */
    ms->retries = 0;
    arm_reauth_timer(ms, now, out);
    return out->err;
}

static tekho_err on_pkm_rsp(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *msg, size_t len,
                            struct tekho_actions *out)
{
    struct tekho_pkm m;
    tekho_err err = tekho_pkm_decode(msg, len, &m);
    if (err != TEKHO_OK)
        return err;
    if (from != ms->serving)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    if (m.code == TEKHO_PKM_SA_TEK_CHALLENGE || m.code == TEKHO_PKM_SA_TEK_RESPONSE)
        return on_sa_tek(ms, now, &m, msg, len, out);
    if (m.code == TEKHO_PKM_TEK_INVALID) {
        /* The serving BS holds no TEKs for us: ask for new ones. */
        if (!m.has_said || m.said != ms->cfg.said || !m.has_key_seq || m.key_seq != ms->cfg.pmk_sn)
            return TEKHO_ERR_UNEXPECTED_MESSAGE;
        err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                               m.cmac_offset, m.cmac_digest.cmac_pn);
        if (err != TEKHO_OK)
            return err;
        return begin_request(ms, TEKHO_MS_KEY_WAIT, now, out);
    }
    /* A Key-Reply (taken only in KEY_WAIT) answers the request in flight
     * (its identifier and nonce) for this SA under this AK (its key
     * sequence); anything else is old. */
    if (m.identifier != ms->pkm_identifier || !m.has_nonce ||
        CRYPTO_memcmp(m.nonce, ms->pkm_nonce, sizeof ms->pkm_nonce) != 0 || !m.has_key_seq ||
        m.key_seq != ms->cfg.pmk_sn || !m.has_said || m.said != ms->cfg.said)
        return TEKHO_ERR_BAD_VALUE;
    err = tekho_verify_pkm(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                           m.cmac_offset, m.cmac_digest.cmac_pn);
    if (err == TEKHO_OK)
        pmk_taken(ms); /* the BS verified our Key-Request under it: the network has it */
    if (err == TEKHO_OK)
        err = install_delivered(ms, &ms->tek, ms->serving_link.ak.kek, m.tek_params, m.n_tek_params, now / 1000, out);
    if (err != TEKHO_OK)
        return err;
    return keys_in_place(ms, out);
}

static tekho_err on_bsho_rsp(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *msg, size_t len,
                             struct tekho_actions *out)
{
    if (from != ms->serving)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_mob_bsho_rsp m;
    tekho_err err = tekho_mob_bsho_rsp_decode(msg, len, &m);
    if (err != TEKHO_OK)
        return err;
    if (!m.has_cmac)
        return TEKHO_ERR_MISSING_TLV;
    err = tekho_verify_mgmt(ms->kit, &ms->serving_link, false, tekho_ms_basic_cid(ms->cfg.index), msg, len,
                            m.cmac_offset, &m.cmac);
    if (err != TEKHO_OK)
        return err;
    size_t i = 0;
    while (i < m.n_recommended && memcmp(m.recommended[i].bsid, ms->target_bsid, 6) != 0)
        i++;
    if (i == m.n_recommended && m.n_recommended != 0)
        return TEKHO_ERR_BAD_VALUE; /* another target's: an answer to an earlier request, late */
    if (i == m.n_recommended) {
        /* The serving BS recommends no BS at all (the target refused, or
         * could not be prepared): the MS stays, now rather than after
         * every retransmission of its request has gone unanswered. */
        ms->state = TEKHO_MS_OPERATIONAL;
        ms->target_tek = -1;
        tekho_act_cancel_timer(out, MS_TIMER_RETX);
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, ms->target, NULL, 0);
        ms->target = 0;
        return out->err;
    }
    enum tekho_ho_tek_mode mode = TEKHO_MOB_HO_OPT_TEK_MODE(m.recommended[i].ho_process_optimization);
    /* A counter recommendation the MS did not negotiate falls back. */
    if (mode == TEKHO_HO_TEK_COUNTER && !counter_mode(ms))
        mode = TEKHO_HO_TEK_UPDATE;
    /* baseline-early: the target's TEKs come here, wrapped under the
     * target's KEK (which the MS derives from its PMK); no other scheme
     * takes TEKs from the serving BS. Checked before anything changes. */
    const bool early = early_mode(ms, mode);
    if (early != m.has_sa_tek_update)
        return early ? TEKHO_ERR_MISSING_TLV : TEKHO_ERR_BAD_VALUE;
    if (early && (!m.sa_tek_update.has_old_params || m.sa_tek_update.new_said != ms->cfg.said))
        return TEKHO_ERR_BAD_VALUE;
    ms->mode = mode;
    ms->ho_id = m.recommended[i].has_ho_id ? m.recommended[i].ho_id : 0;
    if (ms->mode != TEKHO_HO_TEK_COUNTER)
        ms->target_tek = -1;
    /* Room for the TEKs used at the target first: MOB_HO-IND cannot be
     * taken back. With reuse the serving TEKs travel with the MS, PN state
     * included; the cache entry that holds them is this handover's (no
     * other is needed). */
    struct tekho_tek_context fresh;
    memset(&fresh, 0, sizeof fresh);
    if (ms->mode == TEKHO_HO_TEK_REUSE) {
        drop_cache(ms);
        err = tekho_tek_cache_reserve_at(&ms->cache, 0);
        if (err != TEKHO_OK)
            return err;
    }
    if (early) {
        const struct tekho_sa_tek_update *u = &m.sa_tek_update;
        const struct tekho_tek_params params[2] = {u->old_params, u->new_params};
        err = install_delivered(ms, &fresh, ms->target_link.ak.kek, params, 2, now / 1000, out);
        if (err != TEKHO_OK)
            return err;
    }
    err = send_ho_ind(ms, TEKHO_MOB_HO_IND_RELEASE, out);
    if (err != TEKHO_OK) {
        tekho_tek_context_cleanup(&fresh);
        return err;
    }
    /* The serving BS releases the MS at MOB_HO-IND: from here until the
     * target delivers, no user data flows (the interruption). */
    if (ms->mode == TEKHO_HO_TEK_REUSE) {
        struct tek_cache_entry *e = ms->cache.e[0];
        e->used = true;
        e->count = ms->tm;
        memcpy(e->bsid, ms->target_bsid, 6);
        tekho_tek_context_move(&e->tek, early ? &fresh : &ms->tek);
        ms->target_tek = 0;
    }
    tekho_tek_context_cleanup(&ms->tek);
    ms->have_tek = false;
    ms->state = TEKHO_MS_HO_SYNC;
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_LEFT, ms->serving, NULL, 0);
    tekho_act_cancel_timer(out, MS_TIMER_RETX);
    tekho_act_timer(out, MS_TIMER_SYNC, now + ms->cfg.timing.sync_us);
    return out->err;
}

static tekho_err on_data(struct tekho_ms *ms, uint64_t now, uint32_t from, const uint8_t *pdu, size_t len,
                         struct tekho_actions *out)
{
    uint8_t payload[TEKHO_PDU_MAX_LEN];
    size_t n = 0;
    tekho_err err;
    /* User data comes from the BS the MS is attached to: its serving BS
     * until MOB_HO-IND has left, then the target once synchronised; from
     * no other BS, keys or not (scheme none has none to tell them apart:
     * a BS the MS left, that missed its MOB_HO-IND and still sends, is not
     * heard either). */
    const bool ho = ms->state == TEKHO_MS_HO_SYNC || ms->state == TEKHO_MS_HO_RANGING;
    const bool from_serving = from == ms->serving && !ho;
    const bool from_target = from == ms->target && ho && ms->synced;
    if (!from_serving && !from_target) {
        err = TEKHO_ERR_NO_KEYS;
    } else if (from_target && !tekho_scheme_early_data(ms->cfg.scheme)) {
        err = TEKHO_ERR_NO_KEYS; /* none-late: nothing from the target before RNG-RSP */
    } else if (!tekho_scheme_encrypts(ms->cfg.scheme)) {
        uint16_t cid;
        const uint8_t *body;
        err = tekho_mgmt_unframe(pdu, len, &cid, &body, &n);
        if (err == TEKHO_OK)
            memcpy(payload, body, n);
    } else {
        struct tekho_tek_context *ctx = NULL;
        if (from_serving && ms->have_tek)
            ctx = &ms->tek;
        else if (from_target && ms->target_tek >= 0)
            ctx = tekho_tek_cache_at(&ms->cache, ms->target_tek);
        err = ctx ? tekho_tek_open(ctx, now / 1000, pdu, len, payload, sizeof payload, &n, NULL) : TEKHO_ERR_NO_KEYS;
    }
    if (err != TEKHO_OK) {
        /* Seed, footnote: the MS can do nothing but discard data that does not decrypt. */
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_PDU_DISCARDED, -err, NULL, 0);
        return out->err;
    }
    tekho_act(out, TEKHO_ACT_DELIVER, from, ms->cfg.index, payload, n);
    return out->err;
}

tekho_err tekho_ms_air(struct tekho_ms *ms, uint64_t now_us, uint32_t from_node, const uint8_t *pdu, size_t len,
                       struct tekho_actions *out)
{
    if (ms == NULL || pdu == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* A state that accepts nothing (idle, released) does not even parse. */
    if (MS_ACCEPTS[ms->state] == 0)
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    struct tekho_gmh gmh;
    tekho_err err = tekho_gmh_decode(pdu, len, &gmh);
    if (err != TEKHO_OK)
        return err;
    if (gmh.cid == tekho_ms_data_cid(ms->cfg.index))
        return ms_accepts(ms->state, MS_IN_DATA) ? on_data(ms, now_us, from_node, pdu, len, out)
                                                 : TEKHO_ERR_UNEXPECTED_MESSAGE;
    if (gmh.cid != tekho_ms_basic_cid(ms->cfg.index))
        return TEKHO_ERR_UNKNOWN_PEER;
    uint16_t cid;
    const uint8_t *msg;
    size_t msg_len;
    err = tekho_mgmt_unframe(pdu, len, &cid, &msg, &msg_len);
    if (err != TEKHO_OK)
        return err;
    /* The legality check: nothing of the body is decoded before it. */
    enum ms_input in;
    err = ms_classify(msg, msg_len, &in);
    if (err != TEKHO_OK)
        return err;
    if (!ms_accepts(ms->state, in))
        return TEKHO_ERR_UNEXPECTED_MESSAGE;
    switch (in) {
    case MS_IN_RNG_RSP: return on_rng_rsp(ms, now_us, from_node, msg, msg_len, out);
    case MS_IN_SBC_RSP: return on_sbc_rsp(ms, now_us, from_node, msg, msg_len, out);
    case MS_IN_BSHO_RSP: return on_bsho_rsp(ms, now_us, from_node, msg, msg_len, out);
    case MS_IN_KEY_REPLY:
    case MS_IN_TEK_INVALID:
    case MS_IN_SA_TEK_CHALLENGE:
    case MS_IN_SA_TEK_RESPONSE: return on_pkm_rsp(ms, now_us, from_node, msg, msg_len, out);
    case MS_IN_EAP_TRANSFER: return on_eap_transfer(ms, now_us, from_node, msg, msg_len, out);
    case MS_IN_DATA: break; /* on its own CID, above */
    }
    return TEKHO_ERR_UNEXPECTED_MESSAGE;
}

tekho_err tekho_ms_timer(struct tekho_ms *ms, uint64_t now_us, uint32_t timer, struct tekho_actions *out)
{
    if (ms == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (timer == MS_TIMER_SYNC) {
        if (ms->state != TEKHO_MS_HO_SYNC)
            return TEKHO_OK;
        /* Synchronised to the target: with counter or reuse, data may flow
         * before ranging completes (expedited HO, seed section 2); the
         * RNG-REQ waits for the target's fast-ranging opportunity. */
        ms->synced = true;
        tekho_act_timer(out, MS_TIMER_RANGING, now_us + ms->cfg.timing.ranging_wait_us);
        return out->err;
    }
    if (timer == MS_TIMER_RANGING) {
        if (ms->state != TEKHO_MS_HO_SYNC)
            return TEKHO_OK;
        return begin_request(ms, TEKHO_MS_HO_RANGING, now_us, out);
    }
    if (timer == MS_TIMER_REFRESH) {
        /* The normal TEK refresh, unchanged by the seed: PKMv2 Key-Request
         * to the serving BS before the older TEK expires. */
        if (ms->state != TEKHO_MS_OPERATIONAL || !ms->have_tek)
            return TEKHO_OK;
        return begin_request(ms, TEKHO_MS_KEY_WAIT, now_us, out);
    }
    if (timer != MS_TIMER_RETX)
        return TEKHO_ERR_BAD_VALUE;
    if (ms->state != TEKHO_MS_ENTRY_RANGING && ms->state != TEKHO_MS_SBC_WAIT && ms->state != TEKHO_MS_KEY_WAIT &&
        ms->state != TEKHO_MS_HO_REQUESTED && ms->state != TEKHO_MS_HO_RANGING && ms->state != TEKHO_MS_REAUTH &&
        ms->state != TEKHO_MS_SA_TEK)
        return TEKHO_OK;
    if (++ms->retries > ms->cfg.timing.max_retries) {
        if (ms->state == TEKHO_MS_HO_REQUESTED) {
            /* The serving BS never answered: stay, as after a cancel. */
            ms->state = TEKHO_MS_OPERATIONAL;
            tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, ms->target, NULL, 0);
            ms->target = 0;
            return out->err;
        }
        /* A handover failed only if the MS had left for its target: an
         * entry or a TEK refresh given up is a release alone. */
        const bool handing_over = ms->state == TEKHO_MS_HO_RANGING || ms->state == TEKHO_MS_REAUTH ||
                                  (ms->state == TEKHO_MS_SA_TEK && !ms->candidate) ||
                                  (ms->state == TEKHO_MS_KEY_WAIT && ms->target != 0 && !ms->candidate);
        released(ms);
        if (handing_over)
            tekho_act_event(out, ms->cfg.index, TEKHO_EV_HO_FAILED, ms->target, NULL, 0);
        tekho_act_event(out, ms->cfg.index, TEKHO_EV_RELEASED, 0, NULL, 0);
        return out->err;
    }
    tekho_act_event(out, ms->cfg.index, TEKHO_EV_RETRANSMIT, ms->state, NULL, 0);
    if (ms->state == TEKHO_MS_SA_TEK && ms->candidate && !ms->sa_answered)
        return send_request(ms, now_us, out); /* entering, no challenge came: the SBC-REQ again */
    if (ms->state == TEKHO_MS_SA_TEK && (challenge_mode(ms) || ms->candidate))
        return send_tuple_answer(ms, now_us, out); /* baseline-challenge and entry: the MS drives the 3-way handshake */
    if (ms->state == TEKHO_MS_REAUTH || ms->state == TEKHO_MS_SA_TEK) {
        arm_reauth_timer(ms, now_us, out); /* nothing to send: the BS drives these */
        return out->err;
    }
    return send_request(ms, now_us, out);
}

tekho_err tekho_ms_send(struct tekho_ms *ms, uint64_t now_us, const uint8_t *payload, size_t len,
                        struct tekho_actions *out)
{
    if (ms == NULL || out == NULL || (payload == NULL && len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint32_t to = 0;
    struct tekho_tek_context *ctx = NULL;
    const bool ho = ms->state == TEKHO_MS_HO_SYNC || ms->state == TEKHO_MS_HO_RANGING;
    if (ms->state == TEKHO_MS_OPERATIONAL || ms->state == TEKHO_MS_HO_REQUESTED ||
        (ms->state == TEKHO_MS_KEY_WAIT && ms->have_tek)) {
        to = ms->serving;
        ctx = ms->have_tek ? &ms->tek : NULL;
    } else if (ho && ms->synced && tekho_scheme_early_data(ms->cfg.scheme)) {
        to = ms->target;
        ctx = ms->target_tek >= 0 ? tekho_tek_cache_at(&ms->cache, ms->target_tek) : NULL;
    }
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t n = 0;
    tekho_err err;
    if (!tekho_scheme_encrypts(ms->cfg.scheme)) {
        /* The floors: the same procedure, no protection; data flows once
         * synchronised (none) or once RNG-RSP came (none-late). */
        if (to == 0)
            return TEKHO_ERR_NO_KEYS;
        err = tekho_seal_plain(tekho_ms_data_cid(ms->cfg.index), payload, len, pdu, sizeof pdu, &n);
    } else {
        if (to == 0 || ctx == NULL)
            return TEKHO_ERR_NO_KEYS;
        const int slot = tekho_tek_usable_slot(ctx, now_us / 1000);
        if (slot < 0) {
            /* Both TEKs expired or out of PNs: a new TEK is needed now
             * (profile 6: at 0x7FFFFFFF a TEK seals nothing more). */
            if (ms->state == TEKHO_MS_OPERATIONAL && ctx == &ms->tek) {
                tekho_err err2 = begin_request(ms, TEKHO_MS_KEY_WAIT, now_us, out);
                if (err2 != TEKHO_OK)
                    return err2;
            }
            return TEKHO_ERR_NO_KEYS;
        }
        err = tekho_tek_seal(ctx, (unsigned)slot, now_us / 1000, tekho_ms_data_cid(ms->cfg.index), true, payload, len,
                             pdu, sizeof pdu, &n);
        if (err == TEKHO_OK) {
            uint8_t id[9];
            memcpy(id, ctx->tek[slot].key_id, 8);
            id[8] = TEKHO_DIR_UL;
            tekho_act_event(out, ms->cfg.index, TEKHO_EV_SEALED, ctx->tek[slot].tx_pn, id, sizeof id);
        }
    }
    if (err != TEKHO_OK)
        return err;
    tekho_act(out, TEKHO_ACT_AIR_UL, to, ms->cfg.index, pdu, n);
    return out->err;
}
