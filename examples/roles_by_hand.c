/* Driving the protocol roles by hand: one MS, two base stations and the
 * Authenticator, with a twenty-line event loop standing in for the radio,
 * the backbone and the clock.
 *
 * The roles are sans-I/O (tekho/roles.h): each call takes one input (a
 * received PDU or ASN-CP message, a timer that fired, data to send) and the
 * current time, and appends ACTIONS to a struct tekho_actions the caller
 * owns: PDUs to put on the air, messages for the backbone, timers to
 * (re)arm or cancel, user data delivered, events, and (the Authenticator)
 * records to make durable before what depends on them may leave. This
 * program is the driver: it queues what the roles send, delivers it after
 * a fixed latency, fires timers in time order, writes persists to a store
 * at once and reports them, and prints what happens.
 *
 * The MS enters the network at BS 1 (ranging, capability exchange, TEKs),
 * exchanges data, hands over to BS 2 with counter-based TEKs (no TEK on
 * the air), and exchanges data there. Exits 1 unless each step ends as it
 * must.
 * Build against an installed tekho:
 *   cc roles_by_hand.c $(pkg-config --cflags --libs tekho) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tekho/tekho.h>

#define AIR_LATENCY_US 1000u      /* a PDU reaches the other end in the same frame */
#define BACKBONE_LATENCY_US 2000u
#define MAX_EVENTS 256
#define N_BS 2

/* Who an event is for. */
enum role_kind { ROLE_MS, ROLE_BS, ROLE_AUTH };

struct event {
    bool used;
    uint64_t at_us;
    uint64_t seq;              /* ties in time go in the order queued */
    enum role_kind to_kind;
    uint32_t to;               /* BS node (ROLE_BS) */
    bool is_timer;
    uint32_t timer;            /* timer id (is_timer) */
    uint32_t from;             /* air: MS index at a BS, BS node at the MS; backbone: node */
    bool backbone;
    uint8_t bytes[TEKHO_ASNCP_MAX_LEN > TEKHO_PDU_MAX_LEN ? TEKHO_ASNCP_MAX_LEN : TEKHO_PDU_MAX_LEN];
    size_t len;
};

struct net {
    uint64_t now_us;
    uint64_t seq;
    struct event ev[MAX_EVENTS];
    struct tekho_actions *acts;  /* ~17 KB: reset before each role call */
    struct tekho_ms *ms;
    struct tekho_bs *bs[N_BS + 1]; /* by node, 1..N_BS */
    struct tekho_auth *auth;
    struct tekho_memory_store *store; /* where the Authenticator's records go */
    int failures;
    unsigned delivered_at_bs, delivered_at_ms;
    int64_t tek_bytes_over_air;
};

/* Deterministic bytes, so that this program prints the same every run. A
 * real driver passes a cryptographically secure source (getrandom(2),
 * RAND_bytes): TEKs, nonces and BS_Random come from here. A source that
 * fails returns an error (RAND_bytes != 1: TEKHO_ERR_CRYPTO); the role
 * then refuses what needed the bytes and changes nothing. */
static tekho_err fill(void *ctx, uint8_t *out, size_t n)
{
    uint64_t *s = ctx;
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005u + 1442695040888963407u;
        out[i] = (uint8_t)(*s >> 56);
    }
    return TEKHO_OK;
}

static void bsid_of(uint32_t node, uint8_t bsid[6])
{
    memset(bsid, 0, 6);
    bsid[5] = (uint8_t)node;
}

static struct event *new_event(struct net *n, uint64_t at_us)
{
    for (size_t i = 0; i < MAX_EVENTS; i++) {
        if (!n->ev[i].used) {
            memset(&n->ev[i], 0, sizeof n->ev[i]);
            n->ev[i].used = true;
            n->ev[i].at_us = at_us;
            n->ev[i].seq = n->seq++;
            return &n->ev[i];
        }
    }
    fprintf(stderr, "roles_by_hand: event queue full\n");
    n->failures++;
    return NULL;
}

static void queue_message(struct net *n, uint64_t latency, enum role_kind to_kind, uint32_t to, uint32_t from,
                          bool backbone, const uint8_t *bytes, size_t len)
{
    struct event *e = new_event(n, n->now_us + latency);
    if (e == NULL || len > sizeof e->bytes)
        return;
    e->to_kind = to_kind;
    e->to = to;
    e->from = from;
    e->backbone = backbone;
    memcpy(e->bytes, bytes, len);
    e->len = len;
}

/* One pending timer per (role, id): arming again moves it, cancel removes it. */
static struct event *find_timer(struct net *n, enum role_kind kind, uint32_t node, uint32_t timer)
{
    for (size_t i = 0; i < MAX_EVENTS; i++) {
        struct event *e = &n->ev[i];
        if (e->used && e->is_timer && e->to_kind == kind && e->to == node && e->timer == timer)
            return e;
    }
    return NULL;
}

static const char *role_name(enum role_kind kind, uint32_t node, char buf[16])
{
    if (kind == ROLE_MS)
        return "MS";
    if (kind == ROLE_AUTH)
        return "Authenticator";
    snprintf(buf, 16, "BS %" PRIu32, node);
    return buf;
}

/* Carries out what a role asked for. node: the BS's node (ROLE_BS). */
static void apply(struct net *n, enum role_kind kind, uint32_t node, tekho_err ret)
{
    char buf[16];
    const char *who = role_name(kind, node, buf);
    const struct tekho_actions *a = n->acts;
    if (ret != TEKHO_OK || a->err != TEKHO_OK) {
        /* Nothing on this network is lost, forged or replayed: no refusals. */
        fprintf(stderr, "roles_by_hand: %s: %s (actions: %s)\n", who, tekho_strerror(ret), tekho_strerror(a->err));
        n->failures++;
    }
    /* The Authenticator's persists: made durable after the other actions. */
    struct tekho_auth_record recs[4];
    uint64_t tokens[4];
    size_t n_recs = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct tekho_action *x = &a->list[i];
        const uint32_t me = kind == ROLE_BS ? node : TEKHO_NODE_AUTHENTICATOR;
        switch (x->kind) {
        case TEKHO_ACT_PERSIST: /* a record (N, or a new PMK context) to make durable first */
            if (n_recs < 4 && tekho_auth_record_decode(x->bytes, x->len, &recs[n_recs]) == TEKHO_OK)
                tokens[n_recs++] = (uint64_t)x->value;
            else
                n->failures++;
            break;
        case TEKHO_ACT_AIR_UL: /* the MS to BS x->peer; the BS learns whose allocation it was: MS 0 */
            queue_message(n, AIR_LATENCY_US, ROLE_BS, x->peer, 0, false, x->bytes, x->len);
            break;
        case TEKHO_ACT_AIR_DL: /* BS `node` to MS x->ms */
            queue_message(n, AIR_LATENCY_US, ROLE_MS, 0, node, false, x->bytes, x->len);
            break;
        case TEKHO_ACT_BACKBONE:
            queue_message(n, BACKBONE_LATENCY_US, x->peer == TEKHO_NODE_AUTHENTICATOR ? ROLE_AUTH : ROLE_BS,
                          x->peer, me, true, x->bytes, x->len);
            break;
        case TEKHO_ACT_TIMER: {
            struct event *e = find_timer(n, kind, node, x->timer);
            if (e != NULL)
                e->at_us = x->at_us;
            else if ((e = new_event(n, x->at_us)) != NULL) {
                e->is_timer = true;
                e->to_kind = kind;
                e->to = node;
                e->timer = x->timer;
            }
            break;
        }
        case TEKHO_ACT_CANCEL_TIMER: {
            struct event *e = find_timer(n, kind, node, x->timer);
            if (e != NULL)
                e->used = false;
            break;
        }
        case TEKHO_ACT_DELIVER:
            printf("%8.3f ms  %s delivers \"%.*s\"\n", n->now_us / 1000.0, who, (int)x->len, (const char *)x->bytes);
            if (kind == ROLE_BS)
                n->delivered_at_bs++;
            else
                n->delivered_at_ms++;
            break;
        case TEKHO_ACT_EVENT:
            if (x->code == TEKHO_EV_TEK_BYTES_OVER_AIR)
                n->tek_bytes_over_air += x->value;
            if (x->code == TEKHO_EV_SEALED) /* one per user PDU: too many to print */
                break;
            printf("%8.3f ms  %s: %s %" PRId64 "\n", n->now_us / 1000.0, who,
                   tekho_event_name((enum tekho_event)x->code), x->value);
            break;
        }
    }
    /* The store here is memory, so durable at once; a real one (tekho/store.h)
     * commits a loop iteration's persists in one transaction, then reports
     * each. Only then does the Authenticator send what waited for them. */
    const struct tekho_auth_store store = tekho_memory_store_ops(n->store);
    for (size_t i = 0; i < n_recs; i++) {
        tekho_err result = TEKHO_OK;
        const tekho_err err = store.persist(store.ctx, &recs[i], 1, &result);
        printf("%8.3f ms  store: N = %u for the MS is durable\n", n->now_us / 1000.0, (unsigned)recs[i].n);
        tekho_actions_reset(n->acts);
        const tekho_err done = tekho_auth_persisted(n->auth, n->now_us, recs[i].ms_mac, tokens[i],
                                                    err != TEKHO_OK ? err : result, n->acts);
        tekho_auth_record_wipe(&recs[i]);
        apply(n, ROLE_AUTH, 0, done);
    }
}

/* Delivers every event due up to until_us, in time order. */
static void run_until(struct net *n, uint64_t until_us)
{
    for (;;) {
        struct event *next = NULL;
        for (size_t i = 0; i < MAX_EVENTS; i++) {
            struct event *e = &n->ev[i];
            if (e->used && e->at_us <= until_us &&
                (next == NULL || e->at_us < next->at_us || (e->at_us == next->at_us && e->seq < next->seq)))
                next = e;
        }
        if (next == NULL)
            break;
        struct event e = *next; /* the role may queue new events into this slot */
        next->used = false;
        if (e.at_us > n->now_us)
            n->now_us = e.at_us;
        tekho_actions_reset(n->acts);
        tekho_err err;
        if (e.is_timer) {
            switch (e.to_kind) {
            case ROLE_MS: err = tekho_ms_timer(n->ms, n->now_us, e.timer, n->acts); break;
            case ROLE_BS: err = tekho_bs_timer(n->bs[e.to], n->now_us, e.timer, n->acts); break;
            default: err = tekho_auth_timer(n->auth, n->now_us, e.timer, n->acts); break;
            }
        } else if (e.to_kind == ROLE_MS) {
            err = tekho_ms_air(n->ms, n->now_us, e.from, e.bytes, e.len, n->acts);
        } else if (e.to_kind == ROLE_AUTH) {
            err = tekho_auth_backbone(n->auth, n->now_us, e.from, e.bytes, e.len, n->acts);
        } else if (e.backbone) {
            err = tekho_bs_backbone(n->bs[e.to], n->now_us, e.from, e.bytes, e.len, n->acts);
        } else {
            err = tekho_bs_air(n->bs[e.to], n->now_us, e.from, e.bytes, e.len, n->acts);
        }
        apply(n, e.to_kind, e.to, err);
    }
    if (until_us > n->now_us)
        n->now_us = until_us;
}

static void check(struct net *n, bool ok, const char *what)
{
    printf("%8.3f ms  check: %s: %s\n", n->now_us / 1000.0, what, ok ? "yes" : "NO");
    if (!ok)
        n->failures++;
}

/* The MS and BS `node` hold the same TEKs (compared by fingerprint). */
static bool same_teks(const struct net *n, uint32_t node)
{
    uint8_t a[2][8], b[2][8];
    return tekho_ms_tek_fingerprints(n->ms, node, a) && tekho_bs_tek_fingerprints(n->bs[node], 0, b) &&
           memcmp(a, b, sizeof a) == 0;
}

static int setup(struct net *n, uint64_t *seed, struct tekho_neighbour neighbours[N_BS])
{
    static const uint8_t msk[64] = {
        0x3d, 0x8b, 0xfc, 0x43, 0xc8, 0x00, 0x4a, 0xfb, 0x0f, 0xf8, 0x3b, 0x6a, 0x30, 0xee, 0x7d, 0x6c,
        0xbf, 0x93, 0xb0, 0x76, 0xb9, 0x36, 0x53, 0xe9, 0x62, 0x7f, 0xe4, 0x7a, 0xef, 0x9c, 0xb3, 0x84,
        0xca, 0xa5, 0x5b, 0x81, 0x2a, 0xad, 0x2d, 0x7d, 0xe5, 0x54, 0xcf, 0x9e, 0xea, 0x84, 0x87, 0xa0,
        0xf6, 0xf4, 0xb3, 0x5f, 0xbd, 0xdb, 0x2f, 0x23, 0x2b, 0x77, 0x1d, 0x2f, 0x71, 0xfd, 0xda, 0x94};
    const struct tekho_random random = {.ctx = seed, .fill = fill};
    struct tekho_timing timing;
    tekho_timing_default(&timing);

    /* The Authenticator keeps N (CMAC_KEY_COUNT) per MS in a store that
     * must survive its restarts; an in-memory one here. */
    tekho_err err = tekho_memory_store_new(4, &n->store);
    if (err == TEKHO_OK) {
        const struct tekho_auth_config ac = {.pmk_lifetime_s = 3600, .max_ms = 4, .max_bs = N_BS,
                                             .store = tekho_memory_store_ops(n->store), .timing = timing};
        err = tekho_auth_new(&ac, &n->auth);
    }
    for (uint32_t node = 1; node <= N_BS; node++) {
        neighbours[node - 1].node = node;
        bsid_of(node, neighbours[node - 1].bsid);
    }
    for (uint32_t node = 1; err == TEKHO_OK && node <= N_BS; node++) {
        struct tekho_bs_config bc = {.node = node, .scheme = TEKHO_SCHEME_COUNTER, .tekgen_capable = true,
                                     .self_sync_window = 2, .self_sync_budget = 64, .max_ms = 4,
                                     .max_cached_per_ms = 4, .pmk_lifetime_s = 3600, .timing = timing,
                                     .random = random, .neighbours = neighbours, .n_neighbours = N_BS};
        bsid_of(node, bc.bsid);
        err = tekho_bs_new(&bc, &n->bs[node]);
        if (err == TEKHO_OK)
            err = tekho_auth_add_bs(n->auth, node, bc.bsid);
    }
    if (err == TEKHO_OK) {
        struct tekho_ms_config mc = {.index = 0, .pmk_lifetime_s = 3600, .scheme = TEKHO_SCHEME_COUNTER,
                                     .tekgen_capable = true, .said = tekho_ms_basic_cid(0), .timing = timing,
                                     .random = random};
        tekho_ms_mac_of_index(0, mc.mac);
        memcpy(mc.msk, msk, sizeof msk);
        err = tekho_ms_new(&mc, &n->ms);
        /* EAP authenticated the MS: the Authenticator learns its MSK,
         * and asks for the new PMK context to be made durable. */
        if (err == TEKHO_OK) {
            tekho_actions_reset(n->acts);
            err = tekho_auth_add_ms(n->auth, 0, mc.mac, mc.msk, mc.pmk_sn, n->acts);
            if (err == TEKHO_OK)
                apply(n, ROLE_AUTH, 0, err);
        }
    }
    if (err != TEKHO_OK)
        fprintf(stderr, "roles_by_hand: setup: %s\n", tekho_strerror(err));
    return err == TEKHO_OK;
}

int main(void)
{
    static struct net n; /* large (the event payloads): not on the stack */
    uint64_t seed = 1;
    struct tekho_neighbour neighbours[N_BS]; /* must outlive the BSs */
    n.acts = malloc(sizeof *n.acts);
    if (n.acts == NULL || !setup(&n, &seed, neighbours)) {
        n.failures++;
        goto out;
    }
    uint8_t bsid[6];

    /* ---- network entry at BS 1 ---- */
    printf("%8.3f ms  MS enters at BS 1\n", n.now_us / 1000.0);
    bsid_of(1, bsid);
    tekho_actions_reset(n.acts);
    apply(&n, ROLE_MS, 0, tekho_ms_enter(n.ms, n.now_us, 1, bsid, n.acts));
    run_until(&n, 200000);
    check(&n, tekho_ms_state(n.ms) == TEKHO_MS_OPERATIONAL && tekho_ms_serving(n.ms) == 1,
          "MS operational at BS 1");
    check(&n, same_teks(&n, 1), "MS and BS 1 hold the same TEKs");

    /* ---- user data both ways ---- */
    tekho_actions_reset(n.acts);
    apply(&n, ROLE_MS, 0, tekho_ms_send(n.ms, n.now_us, (const uint8_t *)"hello BS 1", 10, n.acts));
    tekho_actions_reset(n.acts);
    apply(&n, ROLE_BS, 1, tekho_bs_send(n.bs[1], n.now_us, 0, (const uint8_t *)"hello MS", 8, n.acts));
    run_until(&n, 300000);
    check(&n, n.delivered_at_bs == 1 && n.delivered_at_ms == 1, "one PDU delivered each way");

    /* ---- handover to BS 2 ---- */
    printf("%8.3f ms  MS hands over to BS 2\n", n.now_us / 1000.0);
    bsid_of(2, bsid);
    tekho_actions_reset(n.acts);
    apply(&n, ROLE_MS, 0, tekho_ms_start_handover(n.ms, n.now_us, 2, bsid, n.acts));
    run_until(&n, 1000000);
    uint8_t mac[6];
    tekho_ms_mac_of_index(0, mac);
    check(&n, tekho_ms_state(n.ms) == TEKHO_MS_OPERATIONAL && tekho_ms_serving(n.ms) == 2,
          "MS operational at BS 2");
    check(&n, tekho_ms_count(n.ms) == 1 && tekho_auth_count(n.auth, mac) == 2,
          "MS's count M = 1, the Authenticator's N = 2");
    check(&n, same_teks(&n, 2), "MS and BS 2 hold the same TEKs");
    check(&n, n.tek_bytes_over_air == 0, "no TEK crossed the air");

    tekho_actions_reset(n.acts);
    apply(&n, ROLE_MS, 0, tekho_ms_send(n.ms, n.now_us, (const uint8_t *)"hello BS 2", 10, n.acts));
    run_until(&n, 1100000);
    check(&n, n.delivered_at_bs == 2, "uplink delivered at BS 2");

out:
    tekho_ms_free(n.ms);
    for (uint32_t node = 1; node <= N_BS; node++)
        tekho_bs_free(n.bs[node]);
    tekho_auth_free(n.auth);
    tekho_memory_store_free(n.store);
    free(n.acts);
    printf("roles_by_hand: %s\n", n.failures == 0 ? "ok" : "FAILED");
    return n.failures == 0 ? 0 : 1;
}
