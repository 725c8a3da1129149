/* tekho explore: the real roles under a deterministic, adversarial
 * scheduler (include/tekho/explore.h). One virtual clock, the emulator's
 * event queue (src/sim/event_queue.h), and every choice from the decision
 * stream (stream.h). The roles are called exactly as sim.c calls them:
 * reset the actions, call, check the call, apply its actions. */
#include "tekho/explore.h"
#include "../mutation.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tekho/asncp.h"
#include "tekho/mgmt.h"
#include "tekho/pdu.h"
#include "tekho/tekho.h"
#include "../roles/common.h"
#include "../roles/introspect.h"
#include "../sim/event_queue.h"
#include "stream.h"

#define XP_MAX_BS 5
#define XP_MAX_MS 4
#define XP_REC 32               /* messages the attacker keeps, per kind (air, backbone) */
#define XP_REC_LEN 640
#define FRAME_US 5000u
#define BACKBONE_US_DEFAULT 2000u
#define SETTLE_US 3000000u      /* quiet phase: longest protocol timeout chain (2 s) and some */
#define DATA_DEADLINE_US 1000000u
#define TICK_US 20000u          /* quiet-phase traffic, both ways, per MS */
#define FAULT_PHASE_MAX_US 120000000u
#define EVENTS_PER_SIM_SECOND 100000u
#define STEPS_DEFAULT 1000u
/* The roles' own randomness (TEKs, nonces) is not a choice the explorer
 * makes: one fixed stream per run. */
#define ROLE_SEED 0x74656b686f787000u

enum ev_kind { EV_AIR_TO_BS, EV_AIR_TO_MS, EV_BACKBONE, EV_TIMER, EV_SCRIPT, EV_TICK, EV_CHECK, EV_DEADLINE,
               EV_PINGPONG, EV_PERSISTED };
enum owner_kind { OWNER_MS, OWNER_BS, OWNER_AUTH };
#define OWNER(kind, id) ((uint32_t)(kind) << 24 | (uint32_t)(id))

/* The schedule's actions; 0 ends the schedule. */
enum xp_action {
    A_STOP, A_ENTER, A_HANDOVER, A_CANCEL, A_DATA, A_REPLAY, A_MUTATE, A_FORGE, A_AUTH_RESTART, A_BS_RESTART,
    A_LINK, A_WAIT, A_ALLOC, A_OUTAGE, A_LAG, A_STREAM, A_PINGPONG, A_COUNT
};
/* Per schedule (explore.h, TEKHO_XP_SCHEDULE): schedule 1 never lags;
 * schedule 4 restarts the Authenticator more often (its persists). */
static const uint16_t ACTION_WEIGHTS[TEKHO_XP_SCHEDULE][A_COUNT] = {
    {1, 10, 12, 4, 25, 6, 5, 5, 1, 1, 3, 5, 0, 2, 0, 0, 0},
    {1, 10, 12, 4, 25, 6, 5, 5, 1, 4, 3, 5, 2, 2, 3, 3, 3},
    {1, 10, 12, 4, 25, 6, 5, 5, 1, 4, 3, 5, 2, 2, 3, 3, 3},
    {1, 10, 12, 4, 25, 6, 5, 5, 4, 4, 3, 5, 2, 2, 3, 3, 3},
};
/* Schedule 4: what becomes of a persist (TEKHO_XP_FAULT_STORE). */
enum persist_fate { P_NOW, P_LATE, P_VERY_LATE, P_FAILS, P_FAILS_LANDED, P_FATES };
#define XP_INFLIGHT 64          /* persists in flight (the store's queue) */
static const unsigned LINK_PER_MILLE[4] = {0, 20, 100, 300};

struct xp_rec {
    uint8_t kind;      /* 0 UL air, 1 DL air, 2 backbone */
    uint32_t from, to, ms;
    uint16_t len;
    uint8_t b[XP_REC_LEN];
};

struct xp_world {
    const struct tekho_explore_params *p;
    struct xp_stream *s;
    struct tekho_explore_outcome *out;
    unsigned v;                     /* the schedule (TEKHO_XP_SCHEDULE) */
    enum tekho_scheme scheme;
    unsigned n_bs, n_ms;
    uint64_t steps;
    struct sim_rng role_rng;
    struct tekho_memory_store *store;
    uint16_t first_count;           /* M under a fresh PMK (N starts one above) */
    struct tekho_auth *auth;
    struct tekho_bs *bs[XP_MAX_BS + 1];
    struct tekho_bs_config bcfg[XP_MAX_BS + 1];
    uint32_t bs_gen[XP_MAX_BS + 1];
    bool backbone_attacked;         /* the backbone attacker injected something this run */
    bool spoofed_mgmt;              /* scheme none: the air attacker sent a management message */
    uint64_t auth_outage_until;     /* the Authenticator is cut off from the backbone until then */
    uint64_t lag_until;             /* HO_Completes to the Authenticator are lost until then */
    bool faulted;                   /* any fault reached the roles: a loss, a copy, a delay, an injection, a restart */
    bool released;                  /* some MS was released, or a handover failed */
    /* N as each BS has been told it by the Authenticator (Context_Rpt,
     * CMAC_Key_Count_Update), per MS: keys below it are keys the BS knew
     * to be stale. (N at the Authenticator itself can move while its
     * answer to a BS is on the way: that is no fault of the BS.) */
    uint16_t told_n[XP_MAX_BS + 1][XP_MAX_MS];
    uint8_t told_akid[XP_MAX_BS + 1][XP_MAX_MS][8]; /* the AK (PMK) that N counts under */
    struct tekho_neighbour neigh[XP_MAX_BS];
    struct tekho_ms *ms[XP_MAX_MS];
    uint8_t mac[XP_MAX_MS][6];
    uint32_t left[XP_MAX_MS];       /* the BS each MS last tried to leave (schedule 2: ping-pong) */
    uint32_t target[XP_MAX_MS];     /* the BS each MS last started a handover to */
    unsigned pp_left[XP_MAX_MS];    /* handovers left in an MS's ping-pong burst, between pp[ms][0] and [1] */
    uint32_t pp[XP_MAX_MS][2];
    uint32_t seq[XP_MAX_MS][2];
    struct tekho_xp_checker *ck;
    struct sim_queue q;
    uint64_t seq_no, now, events;
    uint64_t backbone_us;
    struct tekho_actions *acts;
    unsigned link_level;
    bool quiet, finished, done;
    bool streaming;                 /* traffic both ways every TICK_US (the quiet phase; schedule 2 at will) */
    bool tick_armed;
    bool checking_data;
    uint32_t mark[XP_MAX_MS][2];
    bool want[XP_MAX_MS];
    bool settled[XP_MAX_MS];
    bool got[XP_MAX_MS][2];
    uint64_t second, second_events;
    struct xp_rec *air, *bb, *mg;   /* mg: CMAC-protected management messages only (schedule 2) */
    unsigned n_air, n_bb, n_mg, head_air, head_bb, head_mg;
    tekho_err fatal;    /* the driver itself failed (out of memory) */
    /* The Authenticator's persists: those of the call being applied,
     * durable right after it (now), and from schedule 4 those in flight
     * (a FIFO: a store applies them in order), whose completions
     * (EV_PERSISTED) name the Authenticator's life (auth_gen). */
    struct xp_persist {
        struct tekho_auth_record rec;
        uint64_t token;
        uint8_t fate;
    } now_p[TEKHO_ACTIONS_MAX], inflight[XP_INFLIGHT];
    unsigned n_now_p, n_inflight, head_inflight;
    uint32_t auth_gen;
    uint64_t persist_last_t;
    unsigned alloc_fail_in;         /* the n-th role allocation from now fails (0: none) */
    bool alloc_failed;              /* one failed in the role call being checked */
};

/* ---- verdicts ------------------------------------------------------------------- */

static void violation(struct xp_world *w, enum tekho_xp_invariant inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void violation(struct xp_world *w, enum tekho_xp_invariant inv, const char *fmt, ...)
{
    if (w->done || inv == TEKHO_XP_NONE)
        return;
    w->done = true;
    w->out->invariant = inv;
    w->out->event = w->events;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->out->detail, sizeof w->out->detail, fmt, ap);
    va_end(ap);
}

static const char *owner_name(uint32_t owner, char buf[16])
{
    const unsigned id = owner & 0xFFFFFF;
    switch (owner >> 24) {
    case OWNER_MS: snprintf(buf, 16, "ms%u", id); break;
    case OWNER_BS: snprintf(buf, 16, "bs%u", id); break;
    default: snprintf(buf, 16, "auth"); break;
    }
    return buf;
}

static void trace(struct xp_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct xp_world *w, const char *fmt, ...)
{
    if (w->p->trace == NULL)
        return;
    char line[256];
    const int n = snprintf(line, sizeof line, "%10.3f ", (double)w->now / 1000.0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    w->p->trace(w->p->trace_ctx, line);
}

static const char *msg_name(bool air, const uint8_t *b, size_t len)
{
    if (!air) {
        struct tekho_asncp m;
        if (tekho_asncp_decode(b, len, &m) != TEKHO_OK)
            return "ASN-CP?";
        const char *name = tekho_asncp_name(m.msg);
        tekho_asncp_wipe(&m);
        return name;
    }
    struct tekho_gmh gmh;
    if (tekho_gmh_decode(b, len, &gmh) != TEKHO_OK)
        return "PDU?";
    if (gmh.cid > TEKHO_MGMT_CID_MAX)
        return "Data";
    const char *n = len > TEKHO_GMH_LEN ? tekho_mgmt_name(b[TEKHO_GMH_LEN]) : NULL;
    return n ? n : "MGMT?";
}

/* ---- the queue -------------------------------------------------------------------- */

static void push(struct xp_world *w, uint64_t t, enum ev_kind kind, uint32_t a, uint32_t b, uint32_t c,
                 const uint8_t *bytes, size_t len, bool injected)
{
    const struct sim_event ev = {.t = t, .seq = w->seq_no++, .kind = kind, .a = a, .b = b, .c = c,
                                 .injected = injected};
    w->faulted |= injected;
    /* One copy, in the queue, wiped when its event is done (messages carry keys). */
    if (!tekho_sim_queue_push_message(&w->q, &ev, bytes, len))
        w->fatal = TEKHO_ERR_NO_MEMORY;
}

static uint64_t air_arrival(uint64_t t, bool uplink)
{
    return (t / FRAME_US + 1) * FRAME_US + (uplink ? FRAME_US : FRAME_US / 2);
}

static bool faults_on(const struct xp_world *w, uint32_t fault)
{
    return !w->quiet && !(w->p->faults_off & fault);
}

/* ---- what the attacker hears ------------------------------------------------------- */

/* The attacker's three recordings: air, backbone, and (from schedule 2)
 * the air's CMAC-protected management messages, which user data would
 * otherwise push out of the air recording within a second. */
enum rec_kind { REC_AIR, REC_BB, REC_MGMT };

static void ring_put(struct xp_rec *ring, unsigned *head, unsigned *n, uint8_t kind, uint32_t from, uint32_t to,
                     uint32_t ms, const uint8_t *b, size_t len)
{
    struct xp_rec *r = &ring[*head];
    r->kind = kind;
    r->from = from;
    r->to = to;
    r->ms = ms;
    r->len = (uint16_t)len;
    memcpy(r->b, b, len);
    *head = (*head + 1) % XP_REC;
    *n += *n < XP_REC;
}

static void record(struct xp_world *w, uint8_t kind, uint32_t from, uint32_t to, uint32_t ms, const uint8_t *b,
                   size_t len)
{
    if (len > XP_REC_LEN || len == 0)
        return;
    if (kind == 2) {
        ring_put(w->bb, &w->head_bb, &w->n_bb, kind, from, to, ms, b, len);
        return;
    }
    ring_put(w->air, &w->head_air, &w->n_air, kind, from, to, ms, b, len);
    if (w->v >= 2 && tekho_xp_mgmt_authenticated(b, len))
        ring_put(w->mg, &w->head_mg, &w->n_mg, kind, from, to, ms, b, len);
}

/* A recorded message: 0 is the newest. NULL if there is none that old. */
static const struct xp_rec *recorded(const struct xp_world *w, enum rec_kind which, unsigned age)
{
    const unsigned n = which == REC_AIR ? w->n_air : which == REC_BB ? w->n_bb : w->n_mg;
    const unsigned head = which == REC_AIR ? w->head_air : which == REC_BB ? w->head_bb : w->head_mg;
    if (age >= n)
        return NULL;
    const unsigned i = (head + XP_REC - 1 - age) % XP_REC;
    return which == REC_AIR ? &w->air[i] : which == REC_BB ? &w->bb[i] : &w->mg[i];
}

/* ---- links: the faults on one message ------------------------------------------------ */

/* How many copies arrive and how late (0: lost). */
static unsigned link_fault(struct xp_world *w, uint64_t *extra)
{
    *extra = 0;
    if (w->link_level == 0 || !faults_on(w, TEKHO_XP_FAULT_LINK))
        return 1;
    switch (xs_rare(w->s, 5, LINK_PER_MILLE[w->link_level])) {
    case 1: return 0;                                                     /* lost */
    case 2: return 2;                                                     /* duplicated */
    case 3: *extra = (1 + xs_pick(w->s, 8)) * (uint64_t)FRAME_US; return 1; /* delayed */
    case 4: *extra = xs_pick(w->s, 8) * 500u; return 1;                  /* jittered: reordered */
    default: return 1;
    }
}

static void trace_fault(struct xp_world *w, unsigned copies, uint64_t extra)
{
    if (copies != 1 || extra != 0)
        w->faulted = true;
    if (copies != 1 || extra != 0)
        trace(w, "    link: %s", copies == 0 ? "LOST" : copies == 2 ? "DUPLICATED" : "DELAYED");
}

static void send_air(struct xp_world *w, bool uplink, uint32_t ms, uint32_t node, const uint8_t *b, size_t len)
{
    record(w, uplink ? 0 : 1, uplink ? ms : node, uplink ? node : ms, ms, b, len);
    uint64_t extra;
    const unsigned copies = link_fault(w, &extra);
    trace_fault(w, copies, extra);
    const uint64_t t = air_arrival(w->now, uplink) + extra;
    for (unsigned k = 0; k < copies; k++) {
        if (uplink)
            push(w, t + k * FRAME_US, EV_AIR_TO_BS, node, ms, 0, b, len, false);
        else
            push(w, t + k * FRAME_US, EV_AIR_TO_MS, ms, node, 0, b, len, false);
    }
}

static void send_backbone(struct xp_world *w, uint32_t from, uint32_t to, const uint8_t *b, size_t len)
{
    record(w, 2, from, to, 0, b, len);
    uint64_t extra;
    unsigned copies = link_fault(w, &extra);
    if (w->now < w->auth_outage_until && (from == TEKHO_NODE_AUTHENTICATOR || to == TEKHO_NODE_AUTHENTICATOR)) {
        copies = 0; /* an outage: N lags while handovers go on */
        w->faulted = true;
        trace(w, "    outage: LOST");
    }
    if (w->now < w->lag_until && to == TEKHO_NODE_AUTHENTICATOR && copies > 0) {
        struct tekho_asncp m;
        if (tekho_asncp_decode(b, len, &m) == TEKHO_OK && m.msg == TEKHO_ASNCP_HO_COMPLETE) {
            copies = 0; /* N lags while the MS's M moves on, and the MS comes back */
            w->faulted = true;
            trace(w, "    lag: HO_Complete LOST");
        }
        tekho_asncp_wipe(&m);
    }
    trace_fault(w, copies, extra);
    for (unsigned k = 0; k < copies; k++)
        push(w, w->now + w->backbone_us + extra + k * 1000u, EV_BACKBONE, to, from, 0, b, len, false);
}

/* ---- applying a role's actions and checking them ------------------------------------------ */

/* A delivery at MS `ms` (dir 1) or at BS `node` from MS `ms` (dir 0). */
static void on_deliver(struct xp_world *w, uint32_t ms, int dir, uint32_t node, const struct tekho_action *a)
{
    /* (7) Before ranging completed at the target: the MS still
     * synchronising or ranging (delivering what the target sent), or the
     * target BS still waiting for the RNG-REQ. */
    bool before_ranging = false;
    if (dir == 1 && ms < w->n_ms) {
        const enum tekho_ms_state st = tekho_ms_state(w->ms[ms]);
        before_ranging = st == TEKHO_MS_HO_SYNC || st == TEKHO_MS_HO_RANGING;
    } else if (dir == 0 && node >= 1 && node <= w->n_bs) {
        before_ranging = strcmp(tekho_bs_ms_role_name(w->bs[node], ms), "TARGET_READY") == 0;
    }
    if (tekho_xp_check_early_data(w->scheme, before_ranging) != TEKHO_XP_NONE) {
        violation(w, TEKHO_XP_EARLY_DATA, "ms%u %s payload delivered at %s%u before ranging, under %s", ms,
                  dir ? "DL" : "UL", dir ? "ms" : "bs", dir ? ms : node, tekho_scheme_name(w->scheme));
        return;
    }
    if (tekho_scheme_encrypts(w->scheme)) {
        const enum tekho_xp_invariant inv = tekho_xp_check_delivered(w->ck, ms, dir, a->bytes, a->len);
        if (inv != TEKHO_XP_NONE) {
            violation(w, inv, "ms%u %s payload (%zu bytes) %s", ms, dir ? "DL" : "UL", a->len,
                      inv == TEKHO_XP_REPLAY ? "delivered twice" : "never sent by the legitimate sender");
            return;
        }
    }
    if (w->checking_data && ms < w->n_ms && a->len == TEKHO_XP_PAYLOAD_LEN) {
        const uint8_t *p = a->bytes;
        const uint32_t seq = (uint32_t)p[9] << 24 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 8 | p[12];
        if (p[7] == ms && p[8] == dir && seq >= w->mark[ms][dir])
            w->got[ms][dir] = true;
    }
}

static void on_event(struct xp_world *w, uint32_t owner, const struct tekho_action *a)
{
    const unsigned kind = owner >> 24;
    switch ((enum tekho_event)a->code) {
    case TEKHO_EV_SEALED:
        if (tekho_scheme_encrypts(w->scheme) && a->len >= 9) {
            const enum tekho_xp_invariant inv =
                tekho_xp_check_sealed(w->ck, a->bytes, a->bytes[8], (uint64_t)a->value);
            if (inv != TEKHO_XP_NONE) {
                char who[16];
                violation(w, inv, "%s sealed PN %lld twice under one TEK (%s, ms%u)", owner_name(owner, who),
                          (long long)a->value, a->bytes[8] == TEKHO_DIR_UL ? "UL" : "DL", a->ms);
            }
        }
        break;
    case TEKHO_EV_RELEASED:
    case TEKHO_EV_HO_FAILED:
        w->released = true;
        break;
    case TEKHO_EV_KEYS_INSTALLED:
        if (kind == OWNER_BS && a->value > 0 && w->scheme == TEKHO_SCHEME_COUNTER && a->ms < w->n_ms) {
            const uint16_t n = w->told_n[owner & 0xFFFFFF][a->ms];
            if (tekho_xp_check_keys_installed((uint16_t)a->value, n) != TEKHO_XP_NONE)
                violation(w, TEKHO_XP_STALE_KEYS, "bs%u installed TEKs for ms%u at count %lld below N=%u",
                          owner & 0xFFFFFF, a->ms, (long long)a->value, n);
        }
        break;
    case TEKHO_EV_NEW_PMK:
        if (kind != OWNER_BS)
            tekho_xp_new_pmk(w->ck, a->ms, kind == OWNER_AUTH);
        if (kind == OWNER_AUTH && a->ms < w->n_ms) /* counts start again under the new PMK */
            for (unsigned node = 0; node <= XP_MAX_BS; node++)
                w->told_n[node][a->ms] = 0;
        break;
    default: break;
    }
}

/* What the genuine Authenticator tells a BS of N (see told_n). */
static void learn_told_n(struct xp_world *w, uint32_t node, const uint8_t *b, size_t len)
{
    struct tekho_asncp m;
    if (w->scheme != TEKHO_SCHEME_COUNTER || node > XP_MAX_BS || tekho_asncp_decode(b, len, &m) != TEKHO_OK)
        return;
    uint32_t ms = 0;
    bool told = false;
    uint16_t n = 0;
    if (m.msg == TEKHO_ASNCP_CONTEXT_RPT && m.has_ak_context && m.ak_context.has_cmac_key_count) {
        told = true;
        n = m.ak_context.cmac_key_count;
        /* Another AK is another PMK: its counts start again (a count
         * update of the old one may still have come first). */
        if (m.has_ms_id && tekho_ms_index_of_mac(m.ms_id, &ms) && ms < w->n_ms &&
            memcmp(w->told_akid[node][ms], m.ak_context.ak_id, 8) != 0) {
            memcpy(w->told_akid[node][ms], m.ak_context.ak_id, 8);
            w->told_n[node][ms] = 0;
        }
    } else if (m.msg == TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE && m.has_cmac_key_count) {
        told = true;
        n = m.cmac_key_count;
    }
    if (told && m.has_ms_id && tekho_ms_index_of_mac(m.ms_id, &ms) && ms < w->n_ms && n > w->told_n[node][ms])
        w->told_n[node][ms] = n;
    tekho_asncp_wipe(&m);
}

static void bsid_of(uint32_t node, uint8_t bsid[6]);

/* ---- the Authenticator's store ------------------------------------------------------------- */

static struct tekho_auth_store xp_store(const struct xp_world *w)
{
    return tekho_memory_store_ops(w->store);
}

/* Is akid the AK (for bsid) of a PMK one or two steps down the MSK chain
 * from msk? The PMKs an entry may prove, offered before any is durable:
 * none was ever taken, so their first N is fresh (src/roles/auth.c). */
static bool entry_offer_of(const uint8_t msk[64], const uint8_t mac[6], const uint8_t bsid[6], uint8_t pmk_sn,
                           const uint8_t akid[8])
{
    uint8_t next[64];
    memcpy(next, msk, 64);
    bool match = false;
    for (int step = 1; step <= 2 && !match; step++) {
        struct tekho_ak_keys k;
        if (tekho_reauth_next_msk(next, next) != TEKHO_OK ||
            tekho_derive_from_msk(next, mac, bsid, pmk_sn, &k) != TEKHO_OK)
            break;
        match = CRYPTO_memcmp(k.akid, akid, 8) == 0;
        tekho_ak_keys_wipe(&k);
    }
    OPENSSL_cleanse(next, sizeof next);
    return match;
}

/* (7) What the Authenticator sends about N must be durable already: the
 * store holds the PMK a Context_Rpt's AK comes from and an N at least the
 * one sent; or, an entry's offer, a PMK past it whose counts start at the
 * first. */
static void check_durable(struct xp_world *w, uint32_t to, const uint8_t *b, size_t len)
{
    struct tekho_asncp m;
    if (tekho_asncp_decode(b, len, &m) != TEKHO_OK)
        return;
    uint32_t ms = 0;
    const bool rpt = m.msg == TEKHO_ASNCP_CONTEXT_RPT && m.has_ak_context && m.ak_context.has_cmac_key_count;
    const bool upd = m.msg == TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE && m.has_cmac_key_count;
    if ((rpt || upd) && m.has_ms_id && tekho_ms_index_of_mac(m.ms_id, &ms) && ms < w->n_ms) {
        const uint16_t sent = rpt ? m.ak_context.cmac_key_count : m.cmac_key_count;
        const struct tekho_auth_store st = xp_store(w);
        struct tekho_auth_record rec;
        bool found = false;
        memset(&rec, 0, sizeof rec);
        const tekho_err err = st.load(st.ctx, m.ms_id, &rec, &found);
        bool same_ak = true, offer = false;
        if (err == TEKHO_OK && found && rpt) {
            struct tekho_ak_keys k;
            uint8_t bsid[6];
            bsid_of(to, bsid);
            same_ak = tekho_derive_from_msk(rec.msk, m.ms_id, bsid, rec.pmk_sn, &k) == TEKHO_OK &&
                      CRYPTO_memcmp(k.akid, m.ak_context.ak_id, 8) == 0;
            tekho_ak_keys_wipe(&k);
            offer = !same_ak && sent == (uint16_t)(w->first_count + 1u) &&
                    entry_offer_of(rec.msk, m.ms_id, bsid, rec.pmk_sn, m.ak_context.ak_id);
        }
        if (!offer && (err != TEKHO_OK || !found || !same_ak || rec.n < sent))
            violation(w, TEKHO_XP_UNDURABLE, "auth sent %s N=%u for ms%u to bs%u; the store holds %s",
                      rpt ? "a Context_Rpt with" : "a count update,", sent, ms, to,
                      !found ? "no record" : !same_ak ? "another PMK" : "a lower N");
        tekho_auth_record_wipe(&rec);
    }
    tekho_asncp_wipe(&m);
}

/* Writes one persist into the store; its result for the Authenticator. */
static tekho_err store_write(struct xp_world *w, const struct tekho_auth_record *rec)
{
    const struct tekho_auth_store st = xp_store(w);
    tekho_err result = TEKHO_OK;
    const tekho_err err = st.persist(st.ctx, rec, 1, &result);
    return err != TEKHO_OK ? err : result;
}

static void after_role(struct xp_world *w, uint32_t owner, tekho_err err, bool injected, const char *what);

static void report_persisted(struct xp_world *w, const struct xp_persist *p, tekho_err result)
{
    tekho_actions_reset(w->acts);
    const tekho_err err = tekho_auth_persisted(w->auth, w->now, p->rec.ms_mac, p->token, result, w->acts);
    if (w->p->trace)
        trace(w, "    store: persist #%llu of ms%u N=%u %s", (unsigned long long)p->token, p->rec.ms_mac[5],
              p->rec.n, result == TEKHO_OK ? "durable" : tekho_strerror(result));
    after_role(w, OWNER(OWNER_AUTH, 0), err, false, "persisted");
}

/* A TEKHO_ACT_PERSIST: durable right after the call (schedules 1-3, and a
 * persist schedule 4 leaves alone with none in flight), or queued with
 * its fate. */
static void on_persist(struct xp_world *w, const struct tekho_action *a)
{
    struct xp_persist p = {.token = (uint64_t)a->value};
    if (tekho_auth_record_decode(a->bytes, a->len, &p.rec) != TEKHO_OK) {
        violation(w, TEKHO_XP_ROLE_ERROR, "auth asked to persist a record that does not decode");
        return;
    }
    unsigned fate = P_NOW;
    uint64_t delay = 0;
    if (w->v >= 4) {
        fate = xs_rare(w->s, P_FATES, 200);
        const unsigned k = 1 + xs_pick(w->s, 8);
        if (!faults_on(w, TEKHO_XP_FAULT_STORE))
            fate = P_NOW;
        delay = fate == P_LATE ? k * 2000u : fate == P_VERY_LATE ? k * 100000u : 0;
    }
    p.fate = (uint8_t)fate;
    if (fate == P_NOW && w->n_inflight == 0) {
        if (w->n_now_p < TEKHO_ACTIONS_MAX)
            w->now_p[w->n_now_p++] = p;
        else
            w->fatal = TEKHO_ERR_TOO_MANY;
    } else if (w->n_inflight < XP_INFLIGHT) {
        w->faulted |= fate != P_NOW;
        w->inflight[(w->head_inflight + w->n_inflight++) % XP_INFLIGHT] = p;
        uint64_t t = w->now + delay;
        if (t < w->persist_last_t)
            t = w->persist_last_t; /* in order, as a store commits them */
        w->persist_last_t = t;
        push(w, t, EV_PERSISTED, w->auth_gen, 0, 0, NULL, 0, false);
    } else {
        w->fatal = TEKHO_ERR_TOO_MANY;
    }
    tekho_auth_record_wipe(&p.rec);
}

/* The persists of the call just applied: durable now, each reported. */
static void persist_now(struct xp_world *w)
{
    struct xp_persist batch[TEKHO_ACTIONS_MAX];
    const unsigned n = w->n_now_p;
    memcpy(batch, w->now_p, n * sizeof batch[0]);
    OPENSSL_cleanse(w->now_p, n * sizeof batch[0]);
    w->n_now_p = 0;
    for (unsigned i = 0; i < n && !w->done; i++)
        report_persisted(w, &batch[i], store_write(w, &batch[i].rec));
    OPENSSL_cleanse(batch, n * sizeof batch[0]);
}

/* The oldest persist in flight completes (EV_PERSISTED). */
static void persist_done(struct xp_world *w, uint32_t gen)
{
    if (gen != w->auth_gen || w->n_inflight == 0)
        return; /* the Authenticator that asked has restarted since */
    struct xp_persist p = w->inflight[w->head_inflight];
    OPENSSL_cleanse(&w->inflight[w->head_inflight], sizeof p);
    w->head_inflight = (w->head_inflight + 1) % XP_INFLIGHT;
    w->n_inflight--;
    tekho_err result;
    if (p.fate == P_FAILS)
        result = TEKHO_ERR_STORE_FULL; /* not stored */
    else if (p.fate == P_FAILS_LANDED) {
        (void)store_write(w, &p.rec); /* it landed, but the answer was lost: fate unknown */
        result = TEKHO_ERR_STORE_UNAVAILABLE;
    } else
        result = store_write(w, &p.rec);
    report_persisted(w, &p, result);
    tekho_auth_record_wipe(&p.rec);
}

/* An Authenticator restart cuts the persists in flight: the first k of
 * them (the stream's choice) reached the disk, the rest did not, and no
 * completion reaches the new life. */
static void persists_cut(struct xp_world *w)
{
    const unsigned landed = w->n_inflight ? xs_pick(w->s, w->n_inflight + 1) : 0;
    for (unsigned i = 0; i < w->n_inflight; i++) {
        struct xp_persist *p = &w->inflight[(w->head_inflight + i) % XP_INFLIGHT];
        if (i < landed)
            (void)store_write(w, &p->rec);
        OPENSSL_cleanse(p, sizeof *p);
    }
    if (w->n_inflight)
        trace(w, "    store: restart cut %u persists in flight, %u landed", w->n_inflight, landed);
    w->n_inflight = 0;
    w->head_inflight = 0;
    w->auth_gen++;
}

static void apply(struct xp_world *w, uint32_t owner)
{
    const struct tekho_actions *acts = w->acts;
    const unsigned kind = owner >> 24, id = owner & 0xFFFFFF;
    char who[16];
    for (size_t i = 0; i < acts->n && !w->done; i++) {
        const struct tekho_action *a = &acts->list[i];
        switch (a->kind) {
        case TEKHO_ACT_AIR_UL:
            if (kind != OWNER_MS || a->peer < 1 || a->peer > w->n_bs)
                violation(w, TEKHO_XP_ROLE_ERROR, "%s sent an uplink PDU to node %u", owner_name(owner, who), a->peer);
            else
                send_air(w, true, id, a->peer, a->bytes, a->len);
            break;
        case TEKHO_ACT_AIR_DL:
            if (kind != OWNER_BS || a->ms >= w->n_ms)
                violation(w, TEKHO_XP_ROLE_ERROR, "%s sent a downlink PDU to ms%u", owner_name(owner, who), a->ms);
            else
                send_air(w, false, a->ms, id, a->bytes, a->len);
            break;
        case TEKHO_ACT_BACKBONE:
            if (kind == OWNER_MS || a->peer > w->n_bs || (kind == OWNER_BS && a->peer == id))
                violation(w, TEKHO_XP_ROLE_ERROR, "%s sent a backbone message to node %u", owner_name(owner, who),
                          a->peer);
            else {
                if (kind == OWNER_AUTH)
                    check_durable(w, a->peer, a->bytes, a->len);
                send_backbone(w, kind == OWNER_AUTH ? TEKHO_NODE_AUTHENTICATOR : id, a->peer, a->bytes, a->len);
            }
            break;
        case TEKHO_ACT_PERSIST:
            if (kind != OWNER_AUTH)
                violation(w, TEKHO_XP_ROLE_ERROR, "%s asked for a persist", owner_name(owner, who));
            else
                on_persist(w, a);
            break;
        case TEKHO_ACT_TIMER: {
            const uint32_t gen = kind == OWNER_BS ? w->bs_gen[id] : 0;
            const struct sim_event ev = {.t = a->at_us < w->now ? w->now : a->at_us, .seq = w->seq_no++,
                                         .kind = EV_TIMER, .a = owner, .b = a->timer, .c = gen};
            if (!tekho_sim_queue_arm(&w->q, (uint64_t)owner << 32 | a->timer, &ev))
                w->fatal = TEKHO_ERR_NO_MEMORY;
            break;
        }
        case TEKHO_ACT_CANCEL_TIMER: tekho_sim_queue_cancel(&w->q, (uint64_t)owner << 32 | a->timer); break;
        case TEKHO_ACT_DELIVER:
            if (kind == OWNER_BS)
                on_deliver(w, a->ms, 0, id, a);
            else if (kind == OWNER_MS)
                on_deliver(w, id, 1, a->peer, a);
            break;
        case TEKHO_ACT_EVENT:
            if (w->p->trace)
                trace(w, "    %s event %s %lld", owner_name(owner, who), tekho_event_name((enum tekho_event)a->code),
                      (long long)a->value);
            on_event(w, owner, a);
            break;
        }
    }
}

static void check_counts(struct xp_world *w)
{
    for (unsigned i = 0; i < w->n_ms && !w->done; i++) {
        const uint16_t m = tekho_ms_count(w->ms[i]);
        if (tekho_xp_check_count(w->ck, i, false, m) != TEKHO_XP_NONE)
            violation(w, TEKHO_XP_M_DECREASED, "ms%u: M went down or past the limit, to %u", i, m);
        const uint16_t n = tekho_auth_count(w->auth, w->mac[i]);
        if (tekho_xp_check_count(w->ck, i, true, n) != TEKHO_XP_NONE)
            violation(w, TEKHO_XP_N_DECREASED, "auth: N of ms%u went down or past the limit, to %u", i, n);
    }
}

static void after_role(struct xp_world *w, uint32_t owner, tekho_err err, bool injected, const char *what)
{
    const enum tekho_xp_invariant inv = tekho_xp_check_call(err, w->acts, injected, w->alloc_failed);
    w->alloc_failed = false;
    if (inv != TEKHO_XP_NONE) {
        char who[16];
        violation(w, inv, "%s %s: returned '%s', actions.err '%s', %zu actions", owner_name(owner, who), what,
                  tekho_strerror(err), tekho_strerror(w->acts->err), w->acts->n);
    }
    if (w->p->trace && err != TEKHO_OK) {
        char who[16];
        trace(w, "    %s %s: %s", owner_name(owner, who), what, tekho_strerror(err));
    }
    apply(w, owner);
    check_counts(w);
    if (w->n_now_p > 0)
        persist_now(w);
}

/* (2) A role that acted on a CMAC-protected management message (returned
 * OK with actions, none a discard) must never act on a copy of it. */
static void check_mgmt_acted(struct xp_world *w, uint32_t owner, bool authenticated, tekho_err err,
                             const uint8_t *b, size_t len)
{
    if (!authenticated || err != TEKHO_OK || w->acts->n == 0)
        return;
    for (size_t i = 0; i < w->acts->n; i++)
        if (w->acts->list[i].kind == TEKHO_ACT_EVENT && w->acts->list[i].code == TEKHO_EV_PDU_DISCARDED)
            return;
    if (tekho_xp_check_mgmt_acted(w->ck, owner, b, len) != TEKHO_XP_NONE) {
        char who[16];
        violation(w, TEKHO_XP_MGMT_REPLAY, "%s acted on a copy of a %s it had acted on", owner_name(owner, who),
                  msg_name(true, b, len));
    }
}

/* ---- the world ----------------------------------------------------------------------- */

/* The roles' allocator (tekho_allocator): fails the allocation A_ALLOC chose. */
static void *xp_calloc(void *ctx, size_t n, size_t size)
{
    struct xp_world *w = ctx;
    if (w->alloc_fail_in > 0 && --w->alloc_fail_in == 0 && !w->quiet) {
        w->alloc_failed = true;
        w->faulted = true;
        trace(w, "    alloc: FAILED");
        return NULL;
    }
    return calloc(n, size);
}

static void xp_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static tekho_err role_fill(void *ctx, uint8_t *out, size_t n)
{
    struct sim_rng *r = ctx;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(sim_rng_next(r) >> 56);
    return TEKHO_OK;
}

static void bsid_of(uint32_t node, uint8_t bsid[6])
{
    memset(bsid, 0, 6);
    bsid[0] = 0x42;
    bsid[5] = (uint8_t)node;
}

static void msk_of(uint32_t index, uint8_t msk[64])
{
    uint64_t x = ROLE_SEED ^ ((uint64_t)index << 32) ^ 0x4d534b;
    for (int i = 0; i < 64; i += 8) {
        const uint64_t v = tekho_sim_splitmix(&x);
        memcpy(msk + i, &v, 8);
    }
}

static void world_free(struct xp_world *w)
{
    tekho_sim_queue_free(&w->q);
    for (unsigned i = 0; i < XP_MAX_MS; i++)
        tekho_ms_free(w->ms[i]);
    for (unsigned n = 0; n <= XP_MAX_BS; n++)
        tekho_bs_free(w->bs[n]);
    tekho_auth_free(w->auth);
    tekho_memory_store_free(w->store);
    tekho_xp_checker_free(w->ck);
    /* Backbone messages carry AKs and TEKs, PKM-RSPs wrapped TEKs. */
    struct xp_rec *const rings[3] = {w->air, w->bb, w->mg};
    for (unsigned k = 0; k < 3; k++) {
        if (rings[k])
            OPENSSL_cleanse(rings[k], XP_REC * sizeof *rings[k]);
        free(rings[k]);
    }
    OPENSSL_cleanse(w->now_p, sizeof w->now_p);     /* records with MSKs */
    OPENSSL_cleanse(w->inflight, sizeof w->inflight);
    if (w->acts != NULL)
        tekho_actions_reset(w->acts); /* wipes what the last call left */
    free(w->acts);
}

/* The persist of an EAP result at set-up: durable at once, no draw. */
static tekho_err init_persist(struct xp_world *w)
{
    if (w->acts->n != 1 || w->acts->list[0].kind != TEKHO_ACT_PERSIST)
        return TEKHO_ERR_BAD_VALUE;
    struct xp_persist p = {.token = (uint64_t)w->acts->list[0].value};
    tekho_err err = tekho_auth_record_decode(w->acts->list[0].bytes, w->acts->list[0].len, &p.rec);
    if (err == TEKHO_OK) {
        const tekho_err result = store_write(w, &p.rec);
        tekho_actions_reset(w->acts);
        err = tekho_auth_persisted(w->auth, w->now, p.rec.ms_mac, p.token, result, w->acts);
        if (err == TEKHO_OK && (result != TEKHO_OK || w->acts->n != 0))
            err = TEKHO_ERR_BAD_VALUE;
    }
    tekho_auth_record_wipe(&p.rec);
    return err;
}

/* The network and its configuration, from the head of the stream. */
static tekho_err world_init(struct xp_world *w)
{
    struct xp_stream *s = w->s;
    const struct tekho_explore_params *p = w->p;
    w->scheme = p->scheme;
    w->v = p->schedule ? p->schedule : TEKHO_XP_SCHEDULE;
    if (w->v > TEKHO_XP_SCHEDULE)
        return TEKHO_ERR_INVALID_ARGUMENT;
    w->steps = p->steps ? p->steps : STEPS_DEFAULT;
    w->n_bs = p->fixed_bs ? p->fixed_bs : 2 + xs_pick(s, 4);
    w->n_ms = p->fixed_ms ? p->fixed_ms : 1 + xs_pick(s, 4);
    if (w->n_bs < 2 || w->n_bs > XP_MAX_BS || w->n_ms < 1 || w->n_ms > XP_MAX_MS)
        return TEKHO_ERR_INVALID_ARGUMENT;
    static const size_t CACHED[4] = {4, 3, 2, 1};
    static const uint16_t PN_WINDOW[5] = {0, 1, 16, 64, 2048};
    static const uint32_t PMK_LIFETIME[5] = {28800, 8, 16, 40, 80};
    static const unsigned SELF_SYNC[4] = {2, 0, 1, 4};
    static const uint64_t BACKBONE[4] = {BACKBONE_US_DEFAULT, 500, 10000, 50000};
    const size_t max_cached = CACHED[xs_pick(s, 4)];
    const uint16_t pn_window = PN_WINDOW[xs_pick(s, 5)];
    const uint32_t pmk_lifetime = PMK_LIFETIME[xs_pick(s, 5)];
    const unsigned self_sync = SELF_SYNC[xs_pick(s, 4)];
    w->backbone_us = BACKBONE[xs_pick(s, 4)];
    const unsigned bs_no_tekgen = xs_rare(s, 32, 100);
    const bool ms_no_tekgen = xs_rare(s, 2, 50) != 0;
    /* From schedule 3, counts near the limit: M and N start 1 to 12
     * handovers below it (earlier schedules drew 0 here, and draw no more). */
    const bool high = xs_rare(s, 2, w->v < 3 ? 0 : p->high_counts ? 1000 : 125) != 0 && w->v >= 3;
    const unsigned below = w->v >= 3 ? 1 + xs_pick(s, 12) : 0;
    const uint16_t first_count = high ? (uint16_t)(TEKHO_CMAC_KEY_COUNT_LIMIT - below) : 0;
    w->first_count = first_count;
    /* A byte per run kept from schedule 1 (allocation failures are drawn
     * per action, A_ALLOC). */
    (void)xs_rare(s, 2, 0);

    struct tekho_timing timing;
    tekho_timing_default(&timing);
    if (pmk_lifetime < 60)
        timing.tek_grace_us = 200000;
    tekho_sim_rng_seed(&w->role_rng, ROLE_SEED ^ (uint64_t)w->scheme);
    const struct tekho_random random = {.ctx = &w->role_rng, .fill = role_fill};
    w->acts = calloc(1, sizeof *w->acts);
    w->air = calloc(XP_REC, sizeof *w->air);
    w->bb = calloc(XP_REC, sizeof *w->bb);
    w->mg = calloc(XP_REC, sizeof *w->mg);
    if (w->acts == NULL || w->air == NULL || w->bb == NULL || w->mg == NULL)
        return TEKHO_ERR_NO_MEMORY;
    tekho_err err = tekho_xp_checker_new(w->n_ms, &w->ck);
    if (err == TEKHO_OK)
        err = tekho_memory_store_new(w->n_ms, &w->store);
    if (err == TEKHO_OK) {
        const struct tekho_auth_config ac = {.pmk_lifetime_s = pmk_lifetime, .max_ms = w->n_ms, .max_bs = w->n_bs,
                                             .store = tekho_memory_store_ops(w->store), .timing = timing,
                                             .first_count = first_count};
        err = tekho_auth_new(&ac, &w->auth);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= w->n_bs; node++) {
        w->neigh[node - 1].node = node;
        bsid_of(node, w->neigh[node - 1].bsid);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= w->n_bs; node++) {
        struct tekho_bs_config *bc = &w->bcfg[node];
        *bc = (struct tekho_bs_config){.node = node, .scheme = w->scheme,
                                       .tekgen_capable = !(bs_no_tekgen & (1u << (node - 1))),
                                       .self_sync_window = self_sync, .self_sync_budget = 64, .max_ms = w->n_ms,
                                       .max_cached_per_ms = max_cached, .pmk_lifetime_s = pmk_lifetime,
                                       .pn_window = pn_window, .timing = timing, .random = random,
                                       .neighbours = w->neigh, .n_neighbours = w->n_bs,
                                       .alloc = {.ctx = w, .calloc = xp_calloc, .free = xp_free}};
        bsid_of(node, bc->bsid);
        err = tekho_bs_new(bc, &w->bs[node]);
        if (err == TEKHO_OK)
            err = tekho_auth_add_bs(w->auth, node, bc->bsid);
    }
    for (uint32_t i = 0; err == TEKHO_OK && i < w->n_ms; i++) {
        struct tekho_ms_config mc = {.index = i, .pmk_sn = 0, .pmk_lifetime_s = pmk_lifetime, .scheme = w->scheme,
                                     .tekgen_capable = !ms_no_tekgen, .said = tekho_ms_basic_cid(i),
                                     .pn_window = pn_window, .timing = timing, .random = random,
                                     .alloc = {.ctx = w, .calloc = xp_calloc, .free = xp_free},
                                     .first_count = first_count};
        tekho_ms_mac_of_index(i, mc.mac);
        memcpy(w->mac[i], mc.mac, 6);
        msk_of(i, mc.msk);
        err = tekho_ms_new(&mc, &w->ms[i]);
        if (err == TEKHO_OK) {
            /* The EAP result, durable at once (no fault before the schedule). */
            tekho_actions_reset(w->acts);
            err = tekho_auth_add_ms(w->auth, i, mc.mac, mc.msk, 0, w->acts);
            if (err == TEKHO_OK)
                err = init_persist(w);
        }
        OPENSSL_cleanse(mc.msk, sizeof mc.msk);
    }
    return err;
}

/* ---- traffic ----------------------------------------------------------------------------- */

/* The BS the network routes an MS's downlink through: one that serves it. */
static uint32_t dl_node(const struct xp_world *w, uint32_t ms)
{
    const uint32_t s = tekho_ms_serving(w->ms[ms]);
    if (s >= 1 && s <= w->n_bs && tekho_bs_serves(w->bs[s], ms))
        return s;
    /* From schedule 2 the network forwards to the target as soon as the MS
     * has left its serving BS: the target's expedited downlink, before the
     * MS has ranged (the target decides whether it may send). */
    const enum tekho_ms_state st = tekho_ms_state(w->ms[ms]);
    if (w->v >= 2 && (st == TEKHO_MS_HO_SYNC || st == TEKHO_MS_HO_RANGING) && w->target[ms] >= 1 &&
        w->target[ms] <= w->n_bs)
        return w->target[ms];
    for (uint32_t n = 1; n <= w->n_bs; n++)
        if (tekho_bs_serves(w->bs[n], ms))
            return n;
    return 0;
}

static void send_data(struct xp_world *w, uint32_t ms, int dir)
{
    uint8_t payload[TEKHO_XP_PAYLOAD_LEN];
    if (dir == 0) {
        const uint32_t seq = w->seq[ms][0]++;
        tekho_xp_payload(ms, 0, seq, payload);
        tekho_xp_note_sent(w->ck, ms, 0, seq);
        tekho_actions_reset(w->acts);
        const tekho_err err = tekho_ms_send(w->ms[ms], w->now, payload, sizeof payload, w->acts);
        after_role(w, OWNER(OWNER_MS, ms), err, false, "send");
        return;
    }
    const uint32_t node = dl_node(w, ms);
    if (node == 0)
        return;
    const uint32_t seq = w->seq[ms][1]++;
    tekho_xp_payload(ms, 1, seq, payload);
    tekho_xp_note_sent(w->ck, ms, 1, seq);
    tekho_actions_reset(w->acts);
    const tekho_err err = tekho_bs_send(w->bs[node], w->now, ms, payload, sizeof payload, w->acts);
    after_role(w, OWNER(OWNER_BS, node), err, false, "send");
}

static bool ms_active(const struct xp_world *w, uint32_t i)
{
    const enum tekho_ms_state st = tekho_ms_state(w->ms[i]);
    return st != TEKHO_MS_IDLE && st != TEKHO_MS_RELEASED;
}

/* ---- the attacker ---------------------------------------------------------------------------- */

/* Scheme none authenticates nothing: see deadline(). */
static void note_spoofed_mgmt(struct xp_world *w, const uint8_t *b, size_t len)
{
    struct tekho_gmh gmh;
    if (!tekho_scheme_encrypts(w->scheme) && tekho_gmh_decode(b, len, &gmh) == TEKHO_OK && gmh.cid <= TEKHO_MGMT_CID_MAX)
        w->spoofed_mgmt = true;
}

static void inject_air_ul(struct xp_world *w, uint32_t node, uint32_t ms, const uint8_t *b, size_t len)
{
    note_spoofed_mgmt(w, b, len);
    push(w, air_arrival(w->now, true), EV_AIR_TO_BS, node, ms, 0, b, len, true);
}

static void inject_air_dl(struct xp_world *w, uint32_t ms, uint32_t node, const uint8_t *b, size_t len)
{
    note_spoofed_mgmt(w, b, len);
    push(w, air_arrival(w->now, false), EV_AIR_TO_MS, ms, node, 0, b, len, true);
}

static void inject_backbone(struct xp_world *w, uint32_t from, uint32_t to, const uint8_t *b, size_t len)
{
    w->backbone_attacked = true;
    push(w, w->now + w->backbone_us, EV_BACKBONE, to, from, 0, b, len, true);
}

/* Sends a recorded (possibly altered) message where it went, or elsewhere. */
static void inject(struct xp_world *w, const struct xp_rec *r, const uint8_t *b, size_t len, bool redirect)
{
    struct xp_stream *s = w->s;
    if (r->kind == 0) {
        uint32_t node = r->to, ms = r->ms;
        if (redirect) {
            node = 1 + xs_pick(s, w->n_bs);
            ms = xs_pick(s, w->n_ms);
        }
        inject_air_ul(w, node, ms, b, len);
    } else if (r->kind == 1) {
        uint32_t ms = r->to, node = r->from;
        if (redirect) {
            ms = xs_pick(s, w->n_ms);
            node = 1 + xs_pick(s, w->n_bs);
        }
        inject_air_dl(w, ms, node, b, len);
    } else {
        /* The backbone attacker replays genuine messages, to where they
         * went or elsewhere, always from their true origin (see
         * forge_backbone). */
        uint32_t to = r->to;
        if (redirect) {
            (void)xs_pick(s, w->n_bs + 1); /* the origin it once could spoof: the stream keeps its meaning */
            to = xs_pick(s, w->n_bs);
            if (to >= r->from)
                to++;
        }
        inject_backbone(w, r->from, to, b, len);
    }
}

static const struct xp_rec *pick_recorded(struct xp_world *w)
{
    const bool air = xs_pick(w->s, 2) == 0;
    return recorded(w, air ? REC_AIR : REC_BB, xs_pick(w->s, XP_REC));
}

static bool attacker_on(const struct xp_world *w, const struct xp_rec *r)
{
    return faults_on(w, r->kind == 2 ? TEKHO_XP_FAULT_BACKBONE_ATTACKER : TEKHO_XP_FAULT_ATTACKER);
}

static void attack_replay(struct xp_world *w)
{
    /* From schedule 2, half the replays are aimed at a recorded management
     * message: its CMAC_PN, not the data path, must stop it. */
    const bool aimed = w->v >= 2 && xs_pick(w->s, 2) == 0;
    const struct xp_rec *r = aimed ? recorded(w, REC_MGMT, xs_pick(w->s, XP_REC)) : pick_recorded(w);
    const bool redirect = xs_rare(w->s, 2, 250) != 0;
    if (r != NULL && attacker_on(w, r))
        inject(w, r, r->b, r->len, redirect);
}

static void attack_mutate(struct xp_world *w)
{
    struct xp_stream *s = w->s;
    const struct xp_rec *r = pick_recorded(w);
    uint8_t b[XP_REC_LEN + 16];
    size_t len = r ? r->len : 1;
    if (r)
        memcpy(b, r->b, len);
    else
        b[0] = 0;
    const unsigned how = xs_pick(s, 4);
    const unsigned flips = how == 2 ? 1 + xs_pick(s, 4) : 1;
    for (unsigned k = 0; k < flips; k++) {
        const unsigned pos = xs_pick16(s, (unsigned)len), bit = xs_pick(s, 8);
        if (how == 1)
            len = pos; /* truncated */
        else if (how == 3)
            b[pos] = (uint8_t)xs_pick(s, 256); /* a byte replaced */
        else
            b[pos] ^= (uint8_t)(1u << bit);
    }
    /* Air PDUs: mostly with a valid CRC, so the mutation reaches the parsers. */
    const bool fix_crc = xs_pick(s, 4) != 0;
    const bool redirect = xs_rare(s, 2, 100) != 0;
    /* Backbone messages are replayed, never altered (see forge_backbone). */
    if (r == NULL || !attacker_on(w, r) || r->kind == 2)
        return;
    if (fix_crc && len >= TEKHO_GMH_LEN + TEKHO_CRC_LEN)
        tekho_pdu_put_crc(b, len);
    inject(w, r, b, len, redirect);
}

/* A user PDU with the right CID and a random body: PN, payload and ICV an attacker guessed. */
static size_t forged_user_pdu(struct xp_world *w, uint32_t ms, bool uplink, uint8_t *pdu)
{
    uint8_t body[TEKHO_XP_PAYLOAD_LEN + TEKHO_PN_LEN + TEKHO_ICV_LEN];
    (void)role_fill(&w->role_rng, body, sizeof body);
    if (!tekho_scheme_encrypts(w->scheme)) {
        /* In the clear: a payload the legitimate sender never made (the scheme's floor). */
        tekho_xp_payload(ms, uplink ? 0 : 1, 0x7FFFFFFFu, body);
    }
    if (uplink)
        body[3] |= 0x80;
    else
        body[3] &= 0x7F;
    const size_t body_len = !tekho_scheme_encrypts(w->scheme) ? TEKHO_XP_PAYLOAD_LEN : sizeof body;
    const size_t len = TEKHO_GMH_LEN + body_len + TEKHO_CRC_LEN;
    const struct tekho_gmh gmh = {.ec = tekho_scheme_encrypts(w->scheme), .ci = true, .len = (uint16_t)len,
                                  .cid = tekho_ms_data_cid(ms)};
    if (tekho_gmh_encode(&gmh, pdu) != TEKHO_OK)
        return 0;
    memcpy(pdu + TEKHO_GMH_LEN, body, body_len);
    tekho_pdu_put_crc(pdu, len);
    return len;
}

/* Backbone forgery: its decisions are drawn (so the decision stream keeps
 * its meaning) and nothing is sent. Threat model: the backbone runs in
 * mutually authenticated DTLS where deployed, and a node that could alter
 * or spoof backbone messages could hand out AK contexts and reuse TEKs of
 * its choosing: it would hold the keys already, so no invariant could be
 * checked against it. Replays of genuine messages (attack_replay) still
 * reach the roles, to stress their own freshness checks. */
static void forge_backbone(struct xp_world *w)
{
    struct xp_stream *s = w->s;
    (void)recorded(w, REC_BB, xs_pick(s, XP_REC));
    (void)xs_pick(s, 6);         /* which field */
    (void)xs_pick(s, 4);         /* by how much */
    (void)xs_pick(s, w->n_ms);   /* another MS */
    (void)xs_pick(s, w->n_bs + 1); /* a spoofed origin */
    (void)xs_pick(s, w->n_bs);   /* a destination */
}

static void attack_forge(struct xp_world *w)
{
    struct xp_stream *s = w->s;
    const unsigned kind = xs_pick(s, 3);
    if (kind == 2) {
        forge_backbone(w);
        return;
    }
    const uint32_t ms = xs_pick(s, w->n_ms), node = 1 + xs_pick(s, w->n_bs);
    const unsigned count = 1 + xs_pick(s, 4);
    if (!faults_on(w, TEKHO_XP_FAULT_ATTACKER))
        return;
    for (unsigned k = 0; k < count; k++) {
        uint8_t pdu[TEKHO_PDU_MAX_LEN];
        const size_t len = forged_user_pdu(w, ms, kind == 0, pdu);
        if (len == 0)
            return;
        if (kind == 0)
            inject_air_ul(w, node, ms, pdu, len);
        else
            inject_air_dl(w, ms, node, pdu, len);
    }
}

/* ---- restarts ------------------------------------------------------------------------------- */

static void restart_bs(struct xp_world *w, uint32_t node)
{
    /* All its memory is lost; its pending timers die with it (generation). */
    tekho_bs_free(w->bs[node]);
    w->bs[node] = NULL;
    w->bs_gen[node]++;
    memset(w->told_n[node], 0, sizeof w->told_n[node]); /* it remembers nothing it was told */
    w->bcfg[node].restarted = true; /* and knows it may have run before */
    const tekho_err err = tekho_bs_new(&w->bcfg[node], &w->bs[node]);
    if (err != TEKHO_OK) {
        w->fatal = err;
        return;
    }
    w->faulted = true;
    /* Off the air while it restarts: its MSs lose DL synchronisation. */
    for (uint32_t i = 0; i < w->n_ms; i++) {
        tekho_actions_reset(w->acts);
        const tekho_err lost = tekho_ms_lost_bs(w->ms[i], w->now, node, w->acts);
        after_role(w, OWNER(OWNER_MS, i), lost, false, "lost-bs");
    }
}

/* ---- the schedule ----------------------------------------------------------------------------- */

/* An MS in one of two states, where there is one (a handover is asked of an
 * operational MS, an entry of one that is not in the network), else any:
 * the action then tests a refusal. */
static uint32_t pick_ms(struct xp_world *w, enum tekho_ms_state a, enum tekho_ms_state b)
{
    uint32_t eligible[XP_MAX_MS], n = 0;
    for (uint32_t i = 0; i < w->n_ms; i++) {
        const enum tekho_ms_state st = tekho_ms_state(w->ms[i]);
        if (st == a || st == b)
            eligible[n++] = i;
    }
    return n ? eligible[xs_pick(w->s, n)] : xs_pick(w->s, w->n_ms);
}

static void handover_to(struct xp_world *w, uint32_t ms, uint32_t target)
{
    uint8_t bsid[6];
    bsid_of(target, bsid);
    tekho_actions_reset(w->acts);
    const tekho_err err = tekho_ms_start_handover(w->ms[ms], w->now, target, bsid, w->acts);
    if (err == TEKHO_OK)
        w->target[ms] = target;
    after_role(w, OWNER(OWNER_MS, ms), err, false, "handover");
}

/* The next handover of a ping-pong burst (A_PINGPONG): to whichever of
 * the two BSs does not serve the MS, if it is operational at one of them. */
static void ping_pong(struct xp_world *w, uint32_t ms)
{
    if (w->quiet || ms >= w->n_ms || w->pp_left[ms] == 0)
        return;
    w->pp_left[ms]--;
    const uint32_t serving = tekho_ms_serving(w->ms[ms]);
    trace(w, "PING-PONG ms%u (%u left)", ms, w->pp_left[ms]);
    if (tekho_ms_state(w->ms[ms]) == TEKHO_MS_OPERATIONAL && (serving == w->pp[ms][0] || serving == w->pp[ms][1]))
        handover_to(w, ms, serving == w->pp[ms][0] ? w->pp[ms][1] : w->pp[ms][0]);
    const unsigned gap = xs_pick(w->s, 8);
    if (w->pp_left[ms] > 0)
        push(w, w->now + 100000u + gap * 25000u, EV_PINGPONG, ms, 0, 0, NULL, 0, false);
}

/* One tick chain at a time, however often traffic is turned on and off. */
static void arm_tick(struct xp_world *w)
{
    if (w->streaming && !w->tick_armed) {
        push(w, w->now + TICK_US, EV_TICK, 0, 0, 0, NULL, 0, false);
        w->tick_armed = true;
    }
}

static void enter_quiet(struct xp_world *w)
{
    if (w->quiet)
        return;
    w->quiet = true;
    w->link_level = 0;
    w->auth_outage_until = 0;
    w->lag_until = 0;
    w->alloc_fail_in = 0;
    trace(w, "QUIET: faults stop; liveness check in %u ms", SETTLE_US / 1000);
    bool any = false;
    for (uint32_t i = 0; i < w->n_ms; i++)
        any |= tekho_ms_state(w->ms[i]) != TEKHO_MS_IDLE;
    if (!any) {
        w->finished = true; /* nobody ever entered: nothing can be checked */
        return;
    }
    w->streaming = true;
    arm_tick(w);
    push(w, w->now + SETTLE_US, EV_CHECK, 0, 0, 0, NULL, 0, false);
}

static void script(struct xp_world *w)
{
    struct xp_stream *s = w->s;
    if (w->quiet)
        return;
    if (w->events >= w->steps || w->now >= FAULT_PHASE_MAX_US) {
        enter_quiet(w);
        return;
    }
    /* A replayed byte picks action byte % (actions in its schedule). */
    static const unsigned ACTIONS_IN[TEKHO_XP_SCHEDULE] = {A_LAG, A_COUNT, A_COUNT, A_COUNT};
    const enum xp_action act = (enum xp_action)xs_weighted(s, ACTION_WEIGHTS[w->v - 1], ACTIONS_IN[w->v - 1]);
    static const char *const NAMES[A_COUNT] = {"stop", "enter", "handover", "cancel", "data", "replay", "mutate",
                                               "forge", "auth-restart", "bs-restart", "link", "wait", "alloc",
                                               "outage", "lag", "stream", "ping-pong"};
    trace(w, "SCRIPT %s", NAMES[act]);
    tekho_err err;
    switch (act) {
    case A_STOP: enter_quiet(w); return;
    case A_ENTER: {
        const uint32_t ms = pick_ms(w, TEKHO_MS_IDLE, TEKHO_MS_RELEASED), node = 1 + xs_pick(s, w->n_bs);
        uint8_t bsid[6];
        bsid_of(node, bsid);
        tekho_actions_reset(w->acts);
        err = tekho_ms_enter(w->ms[ms], w->now, node, bsid, w->acts);
        after_role(w, OWNER(OWNER_MS, ms), err, false, "enter");
        break;
    }
    case A_HANDOVER: {
        /* To any other BS: a new target, the same one again (a retry) or
         * the one it came from (ping-pong). */
        const uint32_t ms = pick_ms(w, TEKHO_MS_OPERATIONAL, TEKHO_MS_OPERATIONAL);
        const uint32_t serving = tekho_ms_serving(w->ms[ms]);
        uint32_t target = 1 + xs_pick(s, w->n_bs - 1);
        if (serving != 0 && target >= serving)
            target++;
        /* From schedule 2, half the handovers go back where the MS came
         * from: ping-pong, the pattern that brings cached contexts back. */
        if (w->v >= 2 && xs_pick(s, 2) == 0 && w->left[ms] != 0 && w->left[ms] != serving)
            target = w->left[ms];
        if (serving != 0)
            w->left[ms] = serving;
        handover_to(w, ms, target);
        break;
    }
    case A_PINGPONG: {
        /* An MS at a cell edge: 3 to 8 handovers back and forth between
         * its BS and another, 100 to 275 ms apart (EV_PINGPONG). */
        const uint32_t ms = pick_ms(w, TEKHO_MS_OPERATIONAL, TEKHO_MS_OPERATIONAL);
        const uint32_t serving = tekho_ms_serving(w->ms[ms]);
        uint32_t other = 1 + xs_pick(s, w->n_bs - 1);
        if (serving != 0 && other >= serving)
            other++;
        const unsigned k = 3 + xs_pick(s, 6);
        if (serving != 0 && w->pp_left[ms] == 0) {
            w->pp_left[ms] = k;
            w->pp[ms][0] = serving;
            w->pp[ms][1] = other;
            push(w, w->now + 1000u, EV_PINGPONG, ms, 0, 0, NULL, 0, false);
        }
        break;
    }
    case A_CANCEL: {
        const uint32_t ms = pick_ms(w, TEKHO_MS_HO_REQUESTED, TEKHO_MS_HO_REQUESTED);
        tekho_actions_reset(w->acts);
        err = tekho_ms_cancel_handover(w->ms[ms], w->now, w->acts);
        after_role(w, OWNER(OWNER_MS, ms), err, false, "cancel");
        break;
    }
    case A_DATA: {
        const uint32_t ms = xs_pick(s, w->n_ms);
        const unsigned dirs = xs_pick(s, 3), count = 1 + xs_pick(s, 4);
        for (unsigned k = 0; k < count && !w->done; k++) {
            if (dirs != 2)
                send_data(w, ms, 0);
            if (dirs != 1 && !w->done)
                send_data(w, ms, 1);
        }
        break;
    }
    case A_REPLAY: attack_replay(w); break;
    case A_MUTATE: attack_mutate(w); break;
    case A_FORGE: attack_forge(w); break;
    case A_AUTH_RESTART:
        if (faults_on(w, TEKHO_XP_FAULT_AUTH_RESTART)) {
            w->faulted = true;
            if (w->v >= 4)
                persists_cut(w);
            err = tekho_auth_restart(w->auth);
            if (err != TEKHO_OK)
                violation(w, TEKHO_XP_ROLE_ERROR, "auth restart: %s", tekho_strerror(err));
        }
        break;
    case A_BS_RESTART: {
        const uint32_t node = 1 + xs_pick(s, w->n_bs);
        if (faults_on(w, TEKHO_XP_FAULT_BS_RESTART))
            restart_bs(w, node);
        break;
    }
    case A_LINK: {
        const unsigned level = xs_pick(s, 4);
        w->link_level = faults_on(w, TEKHO_XP_FAULT_LINK) ? level : 0;
        break;
    }
    case A_WAIT: break;
    case A_OUTAGE: {
        /* The Authenticator off the backbone for 0.25 to 2 s: its count
         * updates and HO_Complete acknowledgments are lost, N lags. */
        const unsigned quarters = 1 + xs_pick(s, 8);
        if (faults_on(w, TEKHO_XP_FAULT_LINK))
            w->auth_outage_until = w->now + quarters * 250000u;
        break;
    }
    case A_LAG: {
        /* Every HO_Complete to the Authenticator lost for 1 to 8 s, while
         * the rest of the backbone works: handovers complete, N stays, M
         * moves on, and MSs come back to BSs that hold their contexts
         * (the security issue's H1). */
        const unsigned halves = 2 + xs_pick(s, 15);
        if (faults_on(w, TEKHO_XP_FAULT_LINK))
            w->lag_until = w->now + halves * 500000u;
        break;
    }
    case A_STREAM:
        /* Traffic on or off: while on, data flows both ways every tick,
         * through every handover (the target's first PDUs, before the
         * MS has ranged, included). */
        w->streaming = !w->streaming;
        arm_tick(w);
        break;
    case A_ALLOC: {
        /* From schedule 2: one of the next 16 allocations any role makes
         * fails (tekho_allocator). */
        const unsigned k = xs_pick(s, 256);
        if (w->v >= 2 && faults_on(w, TEKHO_XP_FAULT_ALLOC))
            w->alloc_fail_in = 1 + k % 16;
        break;
    }
    case A_COUNT: break;
    }
    const unsigned delay = xs_pick(s, 16);
    push(w, w->now + 1000u + delay * FRAME_US, EV_SCRIPT, 0, 0, 0, NULL, 0, false);
}

/* ---- the quiet phase: liveness ------------------------------------------------------------------ */

static void tick(struct xp_world *w)
{
    w->tick_armed = false;
    if (!w->streaming)
        return; /* turned off: the chain ends */
    for (uint32_t i = 0; i < w->n_ms && !w->done; i++) {
        if (!ms_active(w, i))
            continue;
        send_data(w, i, 0);
        if (!w->done)
            send_data(w, i, 1);
    }
    if (!w->finished)
        arm_tick(w);
}

/* Whether MS i is where the quiet phase must bring it: operational (or
 * refreshing its TEKs), served by the BS it thinks serves it, with the same
 * TEKs. If not, why (for the report). */
static bool ms_settled(const struct xp_world *w, uint32_t i, char *why, size_t cap)
{
    const enum tekho_ms_state st = tekho_ms_state(w->ms[i]);
    const uint32_t node = tekho_ms_serving(w->ms[i]);
    if (st != TEKHO_MS_OPERATIONAL && st != TEKHO_MS_KEY_WAIT) {
        snprintf(why, cap, "ms%u still %s", i, tekho_ms_state_name(st));
        return false;
    }
    if (node < 1 || node > w->n_bs || !tekho_bs_serves(w->bs[node], i)) {
        snprintf(why, cap, "ms%u is %s at bs%u, which does not serve it", i, tekho_ms_state_name(st), node);
        return false;
    }
    if (tekho_scheme_encrypts(w->scheme)) {
        uint8_t a[2][8], b[2][8];
        const bool ms_has = tekho_ms_tek_fingerprints(w->ms[i], node, a);
        const bool bs_has = tekho_bs_tek_fingerprints(w->bs[node], i, b);
        if (!ms_has || !bs_has || CRYPTO_memcmp(a, b, sizeof a) != 0) {
            snprintf(why, cap, "ms%u and its serving bs%u hold different TEKs (%s)", i, node,
                     !ms_has ? "the MS has none" : !bs_has ? "the BS has none" : "fingerprints differ");
            return false;
        }
    }
    return true;
}

/* After the settling time: from now every active MS must, before the
 * deadline, be seen settled (a TEK refresh may be in flight at any one
 * instant) and get fresh user data through both ways. */
static void check_settled(struct xp_world *w)
{
    for (uint32_t i = 0; i < w->n_ms; i++) {
        w->want[i] = ms_active(w, i);
        w->settled[i] = false;
        w->mark[i][0] = w->seq[i][0];
        w->mark[i][1] = w->seq[i][1];
        w->got[i][0] = w->got[i][1] = false;
    }
    w->checking_data = true;
    push(w, w->now + DATA_DEADLINE_US, EV_DEADLINE, 0, 0, 0, NULL, 0, false);
}

static void update_settled(struct xp_world *w)
{
    char why[128];
    for (uint32_t i = 0; i < w->n_ms; i++) {
        /* Released meanwhile (a handover or re-authentication that failed
         * for good): the invariant covers the MSs not released. */
        if (w->want[i] && tekho_ms_state(w->ms[i]) == TEKHO_MS_RELEASED)
            w->want[i] = false;
        if (w->want[i] && !w->settled[i])
            w->settled[i] = ms_settled(w, i, why, sizeof why);
    }
}

static bool all_data_seen(const struct xp_world *w)
{
    for (uint32_t i = 0; i < w->n_ms; i++)
        if (w->want[i] && (!w->settled[i] || !w->got[i][0] || !w->got[i][1]))
            return false;
    return true;
}

/* With nothing lost, late, copied, injected or restarted, no handover may
 * fail and no MS be released: a violation (and the run ends) if one was. */
static bool fault_free_release(struct xp_world *w)
{
    if (w->faulted || !w->released || w->done)
        return false;
    violation(w, TEKHO_XP_LIVENESS, "an MS was released or a handover failed in a run without any fault");
    w->finished = true;
    return true;
}

static void deadline(struct xp_world *w)
{
    update_settled(w);
    /* The backbone runs inside DTLS where the roles are deployed (mutual
     * authentication, replay protection): an attacker there is outside the
     * threat model for availability. Every safety invariant is still
     * checked under it; liveness is not judged after it acted. */
    if (w->backbone_attacked) {
        trace(w, "liveness not judged: the backbone attacker acted in this run");
        w->finished = true;
        return;
    }
    /* Without security nothing tells a genuine management message from a
     * replayed one (an SBC-RSP of another entry, say): the MS can be left
     * believing a BS serves it, and nothing in `none` can tell it
     * otherwise. Availability under an air attacker is not a property of
     * the floor scheme; its safety invariants are still checked. */
    if (w->spoofed_mgmt) {
        trace(w, "liveness not judged: scheme none, and the air attacker sent management messages");
        w->finished = true;
        return;
    }
    if (fault_free_release(w))
        return;
    for (uint32_t i = 0; i < w->n_ms && !w->done; i++) {
        if (!w->want[i])
            continue;
        char why[128];
        if (!w->settled[i] && !ms_settled(w, i, why, sizeof why))
            violation(w, TEKHO_XP_LIVENESS, "%s %.1f s after the faults stopped", why,
                      (double)(SETTLE_US + DATA_DEADLINE_US) / 1e6);
        else if (!w->got[i][0] || !w->got[i][1])
            violation(w, TEKHO_XP_LIVENESS, "ms%u: no %s user data delivered in the %.1f s after settling", i,
                      !w->got[i][0] ? "UL" : "DL", (double)DATA_DEADLINE_US / 1e6);
    }
    w->finished = true;
}

/* ---- the run ------------------------------------------------------------------------------------ */

static void dispatch(struct xp_world *w, const struct sim_event *ev)
{
    tekho_err err;
    const uint8_t *b = sim_event_bytes(ev);
    if (w->p->trace) {
        const char *inj = ev->injected ? " (attacker)" : "";
        switch ((enum ev_kind)ev->kind) {
        case EV_AIR_TO_BS:
            trace(w, "air UL ms%u -> bs%u %s %zuB%s", ev->b, ev->a, msg_name(true, b, ev->len), ev->len, inj);
            break;
        case EV_AIR_TO_MS:
            trace(w, "air DL bs%u -> ms%u %s %zuB%s", ev->b, ev->a, msg_name(true, b, ev->len), ev->len, inj);
            break;
        case EV_BACKBONE:
            trace(w, "backbone node%u -> node%u %s %zuB%s", ev->b, ev->a, msg_name(false, b, ev->len), ev->len, inj);
            break;
        case EV_TIMER: {
            char who[16];
            trace(w, "timer %s #%u%s", owner_name(ev->a, who), ev->b,
                  (ev->a >> 24) == OWNER_BS && ev->c != w->bs_gen[ev->a & 0xFFFFFF] ? " (stale: BS restarted)" : "");
            break;
        }
        default: break;
        }
    }
    switch ((enum ev_kind)ev->kind) {
    case EV_AIR_TO_BS: {
        const bool authenticated = tekho_xp_mgmt_authenticated(b, ev->len);
        tekho_actions_reset(w->acts);
        err = tekho_bs_air(w->bs[ev->a], w->now, ev->b, b, ev->len, w->acts);
        check_mgmt_acted(w, OWNER(OWNER_BS, ev->a), authenticated, err, b, ev->len);
        after_role(w, OWNER(OWNER_BS, ev->a), err, ev->injected, "air");
        break;
    }
    case EV_AIR_TO_MS: {
        /* In initial ranging nothing is authenticated yet (802.16: the
         * RNG-RSP of network entry carries no CMAC; one that does is
         * taken for what it says, as any unauthenticated one is). */
        const bool authenticated = tekho_ms_state(w->ms[ev->a]) != TEKHO_MS_ENTRY_RANGING &&
                                   tekho_xp_mgmt_authenticated(b, ev->len);
        tekho_actions_reset(w->acts);
        err = tekho_ms_air(w->ms[ev->a], w->now, ev->b, b, ev->len, w->acts);
        check_mgmt_acted(w, OWNER(OWNER_MS, ev->a), authenticated, err, b, ev->len);
        after_role(w, OWNER(OWNER_MS, ev->a), err, ev->injected, "air");
        break;
    }
    case EV_BACKBONE:
        tekho_actions_reset(w->acts);
        if (ev->a == TEKHO_NODE_AUTHENTICATOR) {
            err = tekho_auth_backbone(w->auth, w->now, ev->b, b, ev->len, w->acts);
            after_role(w, OWNER(OWNER_AUTH, 0), err, ev->injected, "backbone");
        } else {
            if (ev->b == TEKHO_NODE_AUTHENTICATOR && !ev->injected)
                learn_told_n(w, ev->a, b, ev->len);
            err = tekho_bs_backbone(w->bs[ev->a], w->now, ev->b, b, ev->len, w->acts);
            after_role(w, OWNER(OWNER_BS, ev->a), err, ev->injected, "backbone");
        }
        break;
    case EV_TIMER: {
        const uint32_t owner = ev->a, id = owner & 0xFFFFFF;
        tekho_actions_reset(w->acts);
        switch (owner >> 24) {
        case OWNER_MS: err = tekho_ms_timer(w->ms[id], w->now, ev->b, w->acts); break;
        case OWNER_BS:
            if (ev->c != w->bs_gen[id])
                return; /* set by a BS that has restarted since */
            err = tekho_bs_timer(w->bs[id], w->now, ev->b, w->acts);
            break;
        default: err = tekho_auth_timer(w->auth, w->now, ev->b, w->acts); break;
        }
        after_role(w, owner, err, false, "timer");
        break;
    }
    case EV_SCRIPT: script(w); break;
    case EV_TICK: tick(w); break;
    case EV_CHECK: check_settled(w); break;
    case EV_DEADLINE: deadline(w); break;
    case EV_PINGPONG: ping_pong(w, ev->a); break;
    case EV_PERSISTED: persist_done(w, ev->a); break;
    }
    if (w->checking_data && !w->done) {
        update_settled(w);
        if (all_data_seen(w) && !fault_free_release(w))
            w->finished = true;
    }
}

static void run_world(struct xp_world *w)
{
    struct tekho_explore_progress *prog = w->p->progress;
    /* Every MS starts with a network entry at a BS of the stream's choice,
     * so that every run has handovers to explore. */
    for (uint32_t i = 0; i < w->n_ms && w->fatal == TEKHO_OK; i++) {
        const uint32_t node = 1 + xs_pick(w->s, w->n_bs);
        uint8_t bsid[6];
        bsid_of(node, bsid);
        tekho_actions_reset(w->acts);
        const tekho_err err = tekho_ms_enter(w->ms[i], w->now, node, bsid, w->acts);
        after_role(w, OWNER(OWNER_MS, i), err, false, "enter");
    }
    push(w, 0, EV_SCRIPT, 0, 0, 0, NULL, 0, false);
    /* From schedule 2 traffic flows from the start (A_STREAM turns it off
     * and on): handovers happen under load, as in the emulator. */
    w->streaming = w->v >= 2;
    arm_tick(w);
    struct sim_event ev;
    while (!w->done && !w->finished && w->fatal == TEKHO_OK && tekho_sim_queue_pop(&w->q, &ev)) {
        w->now = ev.t;
        w->events++;
        if (prog) {
            prog->event = w->events;
            prog->beats++;
        }
        const uint64_t second = w->now / 1000000u;
        if (second != w->second) {
            w->second = second;
            w->second_events = 0;
        }
        if (++w->second_events > EVENTS_PER_SIM_SECOND)
            violation(w, TEKHO_XP_STEP_BOUND, "more than %u events in simulated second %llu", EVENTS_PER_SIM_SECOND,
                      (unsigned long long)second);
        else
            dispatch(w, &ev);
        tekho_sim_event_wipe(&ev);
        if (!w->quiet && w->events >= w->steps)
            enter_quiet(w);
    }
}

static tekho_err run_stream(const struct tekho_explore_params *p, struct xp_stream *s,
                            struct tekho_explore_outcome *out)
{
    if (p == NULL || out == NULL || p->scheme >= TEKHO_SCHEME_COUNT)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    struct xp_world *w = calloc(1, sizeof *w);
    if (w == NULL)
        return TEKHO_ERR_NO_MEMORY;
    w->p = p;
    w->s = s;
    w->out = out;
    tekho_err err = world_init(w);
    if (err == TEKHO_OK) {
        run_world(w);
        err = w->fatal;
    }
    out->events = w->events;
    out->consumed = s->generate ? s->pos : (s->pos < s->in_len ? s->pos : s->in_len);
    if (s->oom && err == TEKHO_OK)
        err = TEKHO_ERR_NO_MEMORY;
    world_free(w);
    free(w);
    return err;
}

tekho_err tekho_explore_replay(const struct tekho_explore_params *p, const uint8_t *bytes, size_t len,
                               struct tekho_explore_outcome *out, uint8_t **consumed_out)
{
    if (bytes == NULL && len != 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct xp_stream s;
    tekho_xs_init_replay(&s, bytes, len);
    const tekho_err err = run_stream(p, &s, out);
    if (err == TEKHO_OK && consumed_out != NULL) {
        *consumed_out = malloc(out->consumed ? out->consumed : 1);
        if (*consumed_out == NULL)
            return TEKHO_ERR_NO_MEMORY;
        if (out->consumed)
            memcpy(*consumed_out, bytes, out->consumed);
    }
    return err;
}

tekho_err tekho_explore_generate(const struct tekho_explore_params *p, struct tekho_explore_outcome *out,
                                 uint8_t **bytes, size_t *len)
{
    if (p == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct xp_stream s;
    tekho_xs_init_generate(&s, p->seed);
    const tekho_err err = run_stream(p, &s, out);
    if (err == TEKHO_OK && bytes != NULL && len != NULL) {
        *bytes = s.rec;
        *len = s.pos;
        s.rec = NULL;
    }
    tekho_xs_free(&s);
    return err;
}

void tekho_explore_params_default(struct tekho_explore_params *p)
{
    memset(p, 0, sizeof *p);
    p->scheme = TEKHO_SCHEME_COUNTER;
    p->seed = 1;
    p->runs = 100;
    p->steps = STEPS_DEFAULT;
    p->shrink_attempts = 2000;
    p->max_violations = 1;
}

tekho_err tekho_explore_run(const struct tekho_explore_params *p, struct tekho_explore_result *out)
{
    if (p == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    const unsigned max_v = p->max_violations ? p->max_violations : 1;
    struct tekho_explore_params q = *p;
    tekho_err err = TEKHO_OK;
    for (unsigned i = 0; i < p->runs && err == TEKHO_OK && out->n_violations < max_v; i++) {
        q.seed = p->seed + i;
        if (p->progress) {
            p->progress->run = i;
            p->progress->run_seed = q.seed;
            p->progress->phase = 0;
        }
        struct tekho_explore_outcome o;
        uint8_t *bytes = NULL;
        size_t len = 0;
        err = tekho_explore_generate(&q, &o, &bytes, &len);
        if (err != TEKHO_OK)
            break;
        out->events += o.events;
        out->runs++;
        if (o.invariant == TEKHO_XP_NONE) {
            free(bytes);
            continue;
        }
        struct tekho_explore_violation v = {.run = i, .run_seed = q.seed, .outcome = o, .bytes = bytes,
                                            .len = len, .original_len = len};
        if (p->shrink_attempts > 0) {
            if (p->progress)
                p->progress->phase = 1;
            uint8_t *small = NULL;
            size_t small_len = 0;
            err = tekho_explore_shrink(&q, bytes, len, o.invariant, &small, &small_len, &v.shrink_tries);
            if (err == TEKHO_OK) {
                free(v.bytes);
                v.bytes = small;
                v.len = small_len;
                err = tekho_explore_replay(&q, v.bytes, v.len, &v.outcome, NULL);
            }
        }
        struct tekho_explore_violation *more =
            realloc(out->violations, (out->n_violations + 1) * sizeof *more);
        if (more == NULL) {
            free(v.bytes);
            err = TEKHO_ERR_NO_MEMORY;
            break;
        }
        out->violations = more;
        out->violations[out->n_violations++] = v;
    }
    return err;
}

void tekho_explore_result_free(struct tekho_explore_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_violations; i++)
        free(r->violations[i].bytes);
    free(r->violations);
    memset(r, 0, sizeof *r);
}

const char *tekho_build_mutation(void)
{
#ifdef TEKHO_MUTATION_NAME
    return TEKHO_MUTATION_NAME;
#else
    return NULL;
#endif
}
