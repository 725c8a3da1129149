/* tekho authd, tekho bsd, tekho msd: the roles as daemons (daemon.h).
 *
 * Each process is the emulator's driver with real links
 * (src/sim/sim_external.h) for its own roles, on one event loop
 * (src/daemon/loop.h): the driver's next event is a loop timer; a datagram
 * in is handed to the driver at the time it arrives; what the driver sends
 * leaves at the time its link model gives. The air is UDP
 * (src/daemon/air.h) between the msd and each bsd; the backbone is ASN-CP
 * in DTLS 1.2 (src/net/dtls.h) between the bsds and the authd, and
 * between bsds; a peer's node is the name its credentials prove, never
 * what a message says. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "air.h"
#include "air_capture.h"
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "dtls.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "sim_external.h"
#include "sim_opts.h"
#include "tekho/asncp.h"
#include "tekho/store.h"
#include "tekho/tekho.h"

enum proc_kind { PROC_AUTHD, PROC_BSD, PROC_MSD };

struct proc {
    enum proc_kind kind;
    char name[TEKHO_CONFIG_NAME_MAX];
    struct tekho_config *cfg;
    struct tekho_sim_params params;
    uint32_t node;                   /* bsd: its node; authd: 0 */
    struct tekho_loop *loop;
    /* The driver's clock is the air clock: the loop's (CLOCK_MONOTONIC)
     * plus this, CLOCK_REALTIME - CLOCK_MONOTONIC at start, in us. */
    uint64_t air_offset;
    struct tekho_sim *sim;
    uint64_t sim_timer, sim_timer_at;
    struct tekho_log log;
    /* the air (bsd, msd) */
    int air_fd;
    /* the backbone (bsd, authd): each node's session (index: node, 0 the Authenticator) */
    struct tekho_dtls *dtls;
    uint64_t *peer_of;
    uint64_t dtls_timer;
    uint64_t reconnect_timer;
    const struct tekho_config_authd *authd;
    size_t authd_at;                 /* bsd: the Authenticator it uses now (failover: the next one) */
    uint64_t awaiting_since;         /* bsd: a Context_Req to it unanswered since (0: none) */
    /* authd: its durable store (NULL: memory) */
    struct tekho_store *store;
    struct tekho_auth_store store_ops;
    /* observability */
    struct tekho_metrics *metrics;
    struct tekho_metrics_http *http;
    struct tekho_metric *m_handovers[4], *m_interruption, *m_security[4], *m_air[3], *m_backbone[3], *m_dtls[4],
        *m_frame_errors;
    size_t samples_seen;
    struct daemon_counters c;
    const char *results;
    /* msd: when each BS's beacon last came (0: never), to see one go off the air */
    uint64_t *beacon_at;
    bool *down;
    /* msd --pcap: the air capture and the interruptions measured */
    struct tekho_air_capture *capture;
    bool stopping;
    bool ready;                      /* READY=1 sent (notify.h) */
    tekho_err failed;
};

/* ---- results ---- */

#define RESULTS_MAGIC "tekho-results-1"

int daemon_results_write(const char *path, const struct daemon_results *r)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return -1;
    const uint32_t sizes[2] = {(uint32_t)sizeof r->st, (uint32_t)sizeof r->c};
    bool ok = fwrite(RESULTS_MAGIC, sizeof RESULTS_MAGIC, 1, f) == 1 && fwrite(sizes, sizeof sizes, 1, f) == 1 &&
              fwrite(&r->st, sizeof r->st, 1, f) == 1 && fwrite(&r->c, sizeof r->c, 1, f) == 1;
    for (int d = 0; ok && d < TEKHO_SIM_DIRECTIONS; d++) {
        const uint64_t n = r->n[d];
        ok = fwrite(&n, sizeof n, 1, f) == 1 && (n == 0 || fwrite(r->samples[d], sizeof(double), n, f) == n);
    }
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (fclose(f) != 0 || !ok) {
        unlink(tmp);
        return -1;
    }
    return rename(tmp, path);
}

int daemon_results_read(const char *path, struct daemon_results *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char magic[sizeof RESULTS_MAGIC];
    uint32_t sizes[2];
    bool ok = fread(magic, sizeof magic, 1, f) == 1 && memcmp(magic, RESULTS_MAGIC, sizeof magic) == 0 &&
              fread(sizes, sizeof sizes, 1, f) == 1 && sizes[0] == sizeof r->st && sizes[1] == sizeof r->c &&
              fread(&r->st, sizeof r->st, 1, f) == 1 && fread(&r->c, sizeof r->c, 1, f) == 1;
    for (int d = 0; ok && d < TEKHO_SIM_DIRECTIONS; d++) {
        uint64_t n = 0;
        ok = fread(&n, sizeof n, 1, f) == 1 && n < (1u << 28);
        if (ok && n > 0) {
            r->samples[d] = malloc((size_t)n * sizeof(double));
            ok = r->samples[d] != NULL && fread(r->samples[d], sizeof(double), (size_t)n, f) == n;
        }
        r->n[d] = (size_t)n;
    }
    fclose(f);
    if (!ok) {
        daemon_results_free(r);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

void daemon_results_free(struct daemon_results *r)
{
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        free(r->samples[d]);
        r->samples[d] = NULL;
        r->n[d] = 0;
    }
}

/* ---- the driver on the loop ---- */

static void schedule(struct proc *p);

static void fail(struct proc *p, tekho_err err, const char *what)
{
    if (p->failed == TEKHO_OK) {
        p->failed = err;
        TEKHO_LOG(&p->log, TEKHO_LOG_ERROR, what, TEKHO_LOG_STR("error", tekho_strerror(err)));
    }
    tekho_loop_stop(p->loop);
}

/* ---- the service manager (systemd Type=notify: notify.h) ---- */

/* state to $NOTIFY_SOCKET; a failure is logged, never fatal (the unit's
 * start timeout is systemd's answer to a daemon it never hears from). */
static void notify(struct proc *p, const char *state)
{
    const tekho_err err = tekho_notify(state);
    if (err != TEKHO_OK)
        TEKHO_LOG(&p->log, TEKHO_LOG_WARN, "cannot notify the service manager",
                  TEKHO_LOG_STR("socket", getenv("NOTIFY_SOCKET")),
                  TEKHO_LOG_STR("error", err == TEKHO_ERR_IO ? strerror(errno) : tekho_strerror(err)));
}

/* Serving: sockets bound, metrics up, and for a bsd its session to the
 * Authenticator up. Once per life; status says what it serves. */
static void ready(struct proc *p, const char *status)
{
    if (p->ready)
        return;
    p->ready = true;
    char state[512];
    snprintf(state, sizeof state, "READY=1\nSTATUS=%s", status);
    notify(p, state);
    TEKHO_LOG(&p->log, TEKHO_LOG_INFO, "ready", TEKHO_LOG_STR("status", status));
}

/* ---- the air clock ----
 *
 * 802.16 BSs keep their frames in step (GPS), and the terminals' frames
 * follow them. Here every daemon's driver runs on the air clock: the time
 * since the Unix epoch in us, read as the loop's CLOCK_MONOTONIC plus
 * CLOCK_REALTIME's offset from it at start (so a step of the wall clock
 * later moves nothing). Daemons on machines whose clocks NTP or PTP keep
 * within a fraction of a frame share frame boundaries, frame numbers and
 * DL offers' due times (air.h), whatever their monotonic clocks read; on
 * one machine it changes nothing. */
static uint64_t air_offset_now(const struct tekho_loop *loop)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    const uint64_t real = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
                   mono = tekho_loop_now_us(loop);
    return real > mono ? real - mono : 0;
}

static uint64_t air_now(const struct proc *p)
{
    return tekho_loop_now_us(p->loop) + p->air_offset;
}

/* Runs the driver's events due by now. */
static void pump(struct proc *p)
{
    const tekho_err err = tekho_sim_advance(p->sim, air_now(p));
    if (err != TEKHO_OK)
        fail(p, err, "the driver stopped");
}

static void on_sim_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    struct proc *p = ctx;
    p->sim_timer = 0;
    /* A frame-timed send more than a fifth of a frame late missed its subframe. */
    if (late_us * 5 > p->params.frame_us) {
        p->c.frame_timing_errors++;
        tekho_metric_inc(p->m_frame_errors);
    }
    pump(p);
    schedule(p);
}

static void on_dtls_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx);

/* The loop's timers: the driver's next event, DTLS's next retransmission. */
static void schedule(struct proc *p)
{
    uint64_t t;
    if (tekho_sim_next_time(p->sim, &t)) {
        if (p->sim_timer == 0 || t != p->sim_timer_at) {
            tekho_loop_timer_cancel(p->loop, p->sim_timer);
            p->sim_timer = 0;
            if (tekho_loop_timer_at(p->loop, t > p->air_offset ? t - p->air_offset : 0, on_sim_timer, p,
                                    &p->sim_timer) != TEKHO_OK)
                fail(p, TEKHO_ERR_NO_MEMORY, "cannot set a timer");
            p->sim_timer_at = t;
        }
    }
    if (p->dtls != NULL) {
        const uint64_t in = tekho_dtls_next_timeout_us(p->dtls);
        tekho_loop_timer_cancel(p->loop, p->dtls_timer);
        p->dtls_timer = 0;
        if (in != UINT64_MAX &&
            tekho_loop_timer_at(p->loop, tekho_loop_now_us(p->loop) + in, on_dtls_timer, p, &p->dtls_timer) !=
                TEKHO_OK)
            fail(p, TEKHO_ERR_NO_MEMORY, "cannot set a timer");
    }
}

/* ---- the air ---- */

static const struct sockaddr *bs_air(const struct proc *p, uint32_t node, socklen_t *len)
{
    const struct tekho_config_bs *b = tekho_config_find_bs(p->cfg, node);
    if (b == NULL)
        return NULL;
    *len = b->air.addr_len;
    return (const struct sockaddr *)&b->air.addr;
}

static void air_send(struct proc *p, const struct sockaddr *to, socklen_t to_len, const struct tekho_air_msg *m)
{
    uint8_t d[TEKHO_AIR_MAX_LEN];
    size_t len = 0;
    if (to == NULL || tekho_air_encode(m, d, sizeof d, &len) != TEKHO_OK) {
        p->c.air_bad++;
        return;
    }
    if (sendto(p->air_fd, d, len, 0, to, to_len) < 0)
        p->c.air_send_errors++;
    else
        p->c.air_out++;
    tekho_metric_inc(p->m_air[1]);
}

/* The air clock's frame number (air.h: modulo 2^32). */
static uint32_t frame_now(const struct proc *p)
{
    return (uint32_t)(air_now(p) / p->params.frame_us);
}

static void x_air_out(void *ctx, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu, size_t len)
{
    struct proc *p = ctx;
    const struct tekho_air_msg m = {.type = uplink ? TEKHO_AIR_UL_PDU : TEKHO_AIR_DL_PDU,
                                    .sender = (uint16_t)(uplink ? 0 : node), .frame = frame_now(p), .ms = ms,
                                    .body = pdu, .body_len = len};
    socklen_t to_len = 0;
    const struct sockaddr *to = uplink ? bs_air(p, node, &to_len) : (const struct sockaddr *)&p->cfg->msd.air.addr;
    if (!uplink)
        to_len = p->cfg->msd.air.addr_len;
    air_send(p, to, to_len, &m);
}

static void x_dl_offer(void *ctx, uint32_t node, uint32_t ms, uint64_t due, const uint8_t *payload, size_t len)
{
    struct proc *p = ctx;
    const struct tekho_air_msg m = {.type = TEKHO_AIR_DL_OFFER, .frame = frame_now(p), .ms = ms, .due_us = due,
                                    .body = payload, .body_len = len};
    socklen_t to_len = 0;
    const struct sockaddr *to = bs_air(p, node, &to_len);
    air_send(p, to, to_len, &m);
}

static void x_ul_delivered(void *ctx, uint32_t ms, uint32_t node, const uint8_t *payload, size_t len)
{
    struct proc *p = ctx;
    const struct tekho_air_msg m = {.type = TEKHO_AIR_UL_DELIVERED, .sender = (uint16_t)node,
                                    .frame = frame_now(p), .ms = ms, .body = payload, .body_len = len};
    air_send(p, (const struct sockaddr *)&p->cfg->msd.air.addr, p->cfg->msd.air.addr_len, &m);
}

/* msd --pcap (air_capture.h): every record from now on is at least a
 * frame before the driver's clock. */
static void x_air_sent(void *ctx, bool uplink, uint32_t ms, uint32_t node, uint64_t first_us, unsigned transmissions,
                       uint64_t retx_us, const uint8_t *pdu, size_t len)
{
    struct proc *p = ctx;
    (void)uplink;
    (void)ms;
    (void)node;
    const uint64_t now = tekho_sim_now(p->sim), f = p->params.frame_us;
    tekho_air_capture_pdu(p->capture, now > f ? now - f : 0, first_us, transmissions, retx_us, pdu, len);
}

static void x_resumed(void *ctx, uint32_t ms, int dir, uint64_t left_us, uint64_t at_us)
{
    struct proc *p = ctx;
    uint8_t mac[6];
    tekho_ms_mac_of_index(ms, mac);
    tekho_air_capture_interruption(p->capture, mac, left_us, dir, at_us);
}

/* Whether a datagram came from endpoint e (an IPv4 one also as the
 * IPv4-mapped address a dual-stack socket reports). */
static bool from_endpoint(const struct sockaddr_storage *from, const struct tekho_config_endpoint *e)
{
    const struct sockaddr_in6 *a6 = (const void *)from;
    if (from->ss_family == AF_INET6 && e->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *b6 = (const void *)&e->addr;
        return a6->sin6_port == b6->sin6_port && memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof a6->sin6_addr) == 0;
    }
    const struct sockaddr_in *a = (const void *)from, *b = (const void *)&e->addr;
    if (e->addr.ss_family != AF_INET)
        return false;
    if (from->ss_family == AF_INET)
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    return from->ss_family == AF_INET6 && a6->sin6_port == b->sin_port && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) &&
           memcmp(&a6->sin6_addr.s6_addr[12], &b->sin_addr, 4) == 0;
}

/* Whether a datagram came from the air port of BS node. */
static bool from_air_of(const struct proc *p, const struct sockaddr_storage *from, uint32_t node)
{
    const struct tekho_config_bs *b = tekho_config_find_bs(p->cfg, node);
    return b != NULL && from_endpoint(from, &b->air);
}

/* An UL payload a BS delivered in its frame `frame` (modulo 2^32): an UL
 * PDU arrives at the end of the UL subframe, the start of the frame the
 * BS delivers it in, so that start is when it resumed a handover's UL
 * (the air clock; the UL_DELIVERED datagram comes a moment later). 0 (the
 * msd's now) for a frame not within a second before now. */
static uint64_t delivered_at(const struct proc *p, uint32_t frame)
{
    const uint64_t f = p->params.frame_us, now = air_now(p), nf = now / f;
    const uint32_t behind = (uint32_t)nf - frame;
    return behind * f <= 1000000 ? (nf - behind) * f : 0;
}

/* The air's MAC PDUs come from anyone (the roles check them, as on a real
 * air); the testbed's own datagrams only from the daemon that sends them:
 * DL_OFFER from the msd, UL_DELIVERED and BEACON from the BS they name.
 * Anything else is dropped and counted (air_bad). */
static void on_air(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)loop;
    (void)events;
    struct proc *p = ctx;
    uint8_t d[TEKHO_AIR_MAX_LEN + 1];
    for (int budget = 0; budget < 4096; budget++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        memset(&from, 0, sizeof from);
        const ssize_t n = recvfrom(fd, d, sizeof d, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0)
            break;
        p->c.air_in++;
        tekho_metric_inc(p->m_air[0]);
        struct tekho_air_msg m = {0};
        tekho_err err = tekho_air_decode(d, (size_t)n, &m);
        bool offered = false;
        if (err == TEKHO_OK) {
            pump(p);
            if (p->kind == PROC_BSD && m.type == TEKHO_AIR_UL_PDU && m.sender == 0) {
                err = tekho_sim_air_in(p->sim, true, m.ms, p->node, m.body, m.body_len);
                /* a PDU refused says nothing of the timing; frames modulo 2^32 */
                const int32_t off = (int32_t)(m.frame - frame_now(p));
                if (err == TEKHO_OK && (off < -1 || off > 1)) {
                    p->c.frame_timing_errors++;
                    tekho_metric_inc(p->m_frame_errors);
                }
            } else if (p->kind == PROC_BSD && m.type == TEKHO_AIR_DL_OFFER && m.sender == 0 &&
                       from_endpoint(&from, &p->cfg->msd.air)) {
                offered = true;
                err = tekho_sim_dl_offer_in(p->sim, m.ms, m.due_us, m.body, m.body_len);
            } else if (p->kind == PROC_MSD && m.type == TEKHO_AIR_DL_PDU)
                err = tekho_sim_air_in(p->sim, false, m.ms, m.sender, m.body, m.body_len);
            else if (p->kind == PROC_MSD && m.type == TEKHO_AIR_UL_DELIVERED && from_air_of(p, &from, m.sender))
                err = tekho_sim_ul_delivered_in(p->sim, m.ms, m.sender, delivered_at(p, m.frame), m.body,
                                                m.body_len);
            else if (p->kind == PROC_MSD && m.type == TEKHO_AIR_BEACON && m.sender >= 1 &&
                     m.sender <= p->params.n_bs && from_air_of(p, &from, m.sender)) {
                p->beacon_at[m.sender] = tekho_loop_now_us(p->loop);
                if (p->down[m.sender]) {
                    p->down[m.sender] = false;
                    err = tekho_sim_bs_back(p->sim, m.sender);
                    TEKHO_LOG(&p->log, TEKHO_LOG_INFO, "a BS is on the air again", TEKHO_LOG_UINT("node", m.sender));
                }
            }
            else
                err = TEKHO_ERR_UNEXPECTED_MESSAGE;
        }
        /* A BS that refuses to seal an offered payload (no keys for the MS
         * yet) is the driver's business, as in the emulator; anything
         * else refused is a bad datagram. */
        if (err != TEKHO_OK && !(offered && err != TEKHO_ERR_INVALID_ARGUMENT)) {
            p->c.air_bad++;
            tekho_metric_inc(p->m_air[2]);
        }
    }
    pump(p);
    schedule(p);
}

/* bsd: the preamble of every frame, which the terminals watch. */
static void on_beacon(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct proc *p = ctx;
    static const uint8_t zero = 0;
    const struct tekho_air_msg m = {.type = TEKHO_AIR_BEACON, .sender = (uint16_t)p->node, .frame = frame_now(p),
                                    .body = &zero, .body_len = 1};
    air_send(p, (const struct sockaddr *)&p->cfg->msd.air.addr, p->cfg->msd.air.addr_len, &m);
    /* at the air clock's next frame boundary */
    const uint64_t f = p->params.frame_us;
    if (tekho_loop_timer_at(loop, (air_now(p) / f + 1) * f - p->air_offset, on_beacon, p, NULL) != TEKHO_OK)
        fail(p, TEKHO_ERR_NO_MEMORY, "cannot set a timer");
}

/* msd: a BS whose beacons stopped for 20 frames is off the air (802.16:
 * DL synchronisation lost); its terminals re-enter elsewhere. */
#define BEACON_LOST_FRAMES 20
static void on_liveness(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct proc *p = ctx;
    const uint64_t now = tekho_loop_now_us(loop), limit = BEACON_LOST_FRAMES * p->params.frame_us;
    for (uint32_t n = 1; n <= p->params.n_bs; n++) {
        if (p->down[n] || p->beacon_at[n] == 0 || now - p->beacon_at[n] < limit)
            continue;
        p->down[n] = true;
        struct tekho_sim_stats s;
        tekho_sim_stats(p->sim, &s);
        TEKHO_LOG(&p->log, TEKHO_LOG_WARN, "a BS went off the air", TEKHO_LOG_UINT("node", n),
                  TEKHO_LOG_UINT("handovers_so_far", s.completed));
        pump(p);
        if (tekho_sim_bs_lost(p->sim, n) != TEKHO_OK)
            fail(p, TEKHO_ERR_INVALID_ARGUMENT, "cannot mark a BS lost");
    }
    pump(p);
    schedule(p);
    if (tekho_loop_timer_at(loop, now + 4 * p->params.frame_us, on_liveness, p, NULL) != TEKHO_OK)
        fail(p, TEKHO_ERR_NO_MEMORY, "cannot set a timer");
}

/* ---- the backbone ---- */

/* The node a peer's proven name is: 0 the Authenticator, a BS's node, or -1. */
static long node_of_name(const struct proc *p, const char *name)
{
    for (size_t i = 0; i < p->cfg->n_authd; i++)
        if (strcmp(p->cfg->authd[i].name, name) == 0)
            return 0;
    for (size_t i = 0; i < p->cfg->n_bs; i++)
        if (strcmp(p->cfg->bs[i].name, name) == 0)
            return (long)p->cfg->bs[i].node;
    return -1;
}

static void x_backbone_out(void *ctx, uint32_t from, uint32_t to, const uint8_t *msg, size_t len)
{
    struct proc *p = ctx;
    (void)from;
    if (to > p->params.n_bs) {
        p->c.backbone_unroutable++;
        return;
    }
    if (p->peer_of[to] == 0 && p->kind == PROC_BSD) {
        /* A BS opens the sessions it needs: to another BS on demand (the Authenticator's at start). */
        const struct tekho_config_bs *b = to ? tekho_config_find_bs(p->cfg, to) : NULL;
        if (b != NULL && tekho_dtls_connect(p->dtls, (const struct sockaddr *)&b->backbone.addr,
                                            b->backbone.addr_len, b->name, &p->peer_of[to]) != TEKHO_OK)
            p->peer_of[to] = 0;
    }
    if (p->peer_of[to] == 0 || tekho_dtls_send(p->dtls, p->peer_of[to], msg, len) != TEKHO_OK) {
        p->c.backbone_unroutable++;
        return;
    }
    /* A BS watches its Authenticator answer: a Context_Req always gets one. */
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    if (to == TEKHO_NODE_AUTHENTICATOR && p->awaiting_since == 0 &&
        tekho_asncp_peek(msg, len, &type, msid) == TEKHO_OK && type == TEKHO_ASNCP_CONTEXT_REQ)
        p->awaiting_since = tekho_loop_now_us(p->loop);
    p->c.backbone_out++;
    tekho_metric_inc(p->m_backbone[1]);
}

static void on_peer_up(void *ctx, uint64_t peer, const char *name, const struct sockaddr *addr, socklen_t len)
{
    (void)addr;
    (void)len;
    struct proc *p = ctx;
    const long node = node_of_name(p, name);
    /* Who may talk to whom: an Authenticator to BSs, a BS to anyone. */
    if (node < 0 || (p->kind == PROC_AUTHD && node == 0)) {
        TEKHO_LOG(&p->log, TEKHO_LOG_WARN, "a peer that is no node of this network", TEKHO_LOG_STR("peer", name));
        const tekho_err closed = tekho_dtls_close(p->dtls, peer); /* NOT_CONNECTED: it went already */
        (void)closed;
        p->c.backbone_bad++;
        return;
    }
    p->peer_of[node] = peer;
    TEKHO_LOG(&p->log, TEKHO_LOG_INFO, "backbone session up", TEKHO_LOG_STR("peer", name), TEKHO_LOG_UINT("node", node));
    if (p->kind == PROC_BSD && node == 0) {
        char state[200];
        snprintf(state, sizeof state, "STATUS=serving: backbone session to %s up", name);
        if (p->ready)
            notify(p, state);
        else
            ready(p, state + strlen("STATUS="));
    }
}

static void on_peer_down(void *ctx, uint64_t peer, const char *name, enum tekho_dtls_down why)
{
    struct proc *p = ctx;
    /* The Authenticator's session went (or never came): the next one. (A
     * session an Authenticator's new handshake replaced is no failure: its
     * restart, the new session follows.) */
    if (p->kind == PROC_BSD && why != TEKHO_DTLS_DOWN_REPLACED &&
        (p->peer_of[0] == peer || node_of_name(p, name) == 0) && p->cfg->n_authd > 0) {
        p->peer_of[0] = 0;
        p->awaiting_since = 0;
        p->authd_at = (p->authd_at + 1) % p->cfg->n_authd;
        p->authd = &p->cfg->authd[p->authd_at];
    }
    for (uint32_t n = 0; n <= p->params.n_bs; n++)
        if (p->peer_of[n] == peer)
            p->peer_of[n] = 0;
    TEKHO_LOG(&p->log, TEKHO_LOG_INFO, "backbone session down", TEKHO_LOG_STR("peer", name),
                                                TEKHO_LOG_STR("why", tekho_dtls_down_name(why)));
    if (p->kind == PROC_BSD && p->ready && !p->stopping && node_of_name(p, name) == 0) {
        char state[200];
        snprintf(state, sizeof state, "STATUS=no backbone session to %s (%s): reconnecting", name,
                 tekho_dtls_down_name(why));
        notify(p, state);
    }
}

static void on_data(void *ctx, uint64_t peer, const char *name, const uint8_t *msg, size_t len)
{
    struct proc *p = ctx;
    const long node = node_of_name(p, name);
    p->c.backbone_in++;
    tekho_metric_inc(p->m_backbone[0]);
    if (node < 0 || p->peer_of[node] != peer) {
        p->c.backbone_bad++;
        tekho_metric_inc(p->m_backbone[2]);
        return;
    }
    if (node == 0)
        p->awaiting_since = 0;
    pump(p);
    if (tekho_sim_backbone_in(p->sim, (uint32_t)node, p->node, msg, len) != TEKHO_OK) {
        p->c.backbone_bad++;
        tekho_metric_inc(p->m_backbone[2]);
    }
}

static void on_dtls_readable(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct proc *p = ctx;
    if (tekho_dtls_on_readable(p->dtls) != TEKHO_OK)
        fail(p, TEKHO_ERR_IO, "the backbone socket failed");
    pump(p);
    schedule(p);
}

static void on_dtls_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    (void)late_us;
    struct proc *p = ctx;
    p->dtls_timer = 0;
    if (tekho_dtls_on_timeout(p->dtls) != TEKHO_OK)
        fail(p, TEKHO_ERR_IO, "the backbone socket failed");
    pump(p);
    schedule(p);
}

/* A BS keeps a session to an Authenticator: opened at start, and when it
 * went (closed, failed) or fell silent (a Context_Req unanswered for
 * AUTHD_SILENT_US: a crashed Authenticator sends no close_notify) again,
 * to the next of the config's Authenticators (the same one if it is the
 * only one: restarted on its store, it answers a new handshake). */
#define AUTHD_SILENT_US 1500000
static void on_reconnect(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct proc *p = ctx;
    const uint64_t now = tekho_loop_now_us(loop);
    if (p->peer_of[0] != 0 && p->awaiting_since != 0 && now - p->awaiting_since > AUTHD_SILENT_US) {
        TEKHO_LOG(&p->log, TEKHO_LOG_WARN, "the Authenticator fell silent: failing over",
                  TEKHO_LOG_STR("authd", p->authd->name));
        const tekho_err closed = tekho_dtls_close(p->dtls, p->peer_of[0]);
        (void)closed;
        p->peer_of[0] = 0;
        p->awaiting_since = 0;
        p->authd_at = (p->authd_at + 1) % p->cfg->n_authd;
        p->authd = &p->cfg->authd[p->authd_at];
    }
    if (p->peer_of[0] == 0 && p->authd != NULL &&
        tekho_dtls_connect(p->dtls, (const struct sockaddr *)&p->authd->backbone.addr, p->authd->backbone.addr_len,
                           p->authd->name, &p->peer_of[0]) != TEKHO_OK)
        p->peer_of[0] = 0;
    if (tekho_loop_timer_at(loop, now + 250000, on_reconnect, p, &p->reconnect_timer) != TEKHO_OK)
        fail(p, TEKHO_ERR_NO_MEMORY, "cannot set a timer");
    schedule(p);
}

/* ---- metrics ---- */

static void on_scrape(struct tekho_metrics *m, void *ctx)
{
    (void)m;
    struct proc *p = ctx;
    struct tekho_sim_stats s;
    tekho_sim_stats(p->sim, &s);
    const unsigned long outcomes[4] = {s.completed, s.cancelled, s.failed, s.attempted};
    for (int i = 0; i < 4; i++)
        tekho_metric_set(p->m_handovers[i], (double)outcomes[i]);
    const unsigned long security[4] = {s.pn_reuse, s.replayed_pdus_accepted, s.forged_pdus_accepted,
                                       s.tek_mismatch_after_ho + s.m_decreased + s.n_decreased + s.stale_count_keys};
    for (int i = 0; i < 4; i++)
        tekho_metric_set(p->m_security[i], (double)security[i]);
    /* The interruptions measured since the last scrape join the histogram. */
    const size_t n = tekho_sim_interruptions(p->sim, TEKHO_SIM_UNION, NULL, 0);
    if (n > p->samples_seen) {
        double *all = malloc(n * sizeof *all);
        if (all != NULL) {
            (void)tekho_sim_interruptions(p->sim, TEKHO_SIM_UNION, all, n);
            for (size_t i = p->samples_seen; i < n; i++)
                tekho_metric_observe(p->m_interruption, all[i]);
            p->samples_seen = n;
            free(all);
        }
    }
    if (p->dtls != NULL) {
        const struct tekho_dtls_stats *d = tekho_dtls_stats(p->dtls);
        tekho_metric_set(p->m_dtls[0], (double)d->handshakes_ok);
        tekho_metric_set(p->m_dtls[1], (double)d->handshakes_failed);
        tekho_metric_set(p->m_dtls[2], (double)d->half_open_dropped);
        tekho_metric_set(p->m_dtls[3], (double)d->garbage_dropped);
    }
}

static tekho_err metrics_setup(struct proc *p, const struct tekho_config_endpoint *at)
{
    tekho_err err = tekho_metrics_new(&p->metrics);
    static const char *const outcomes[4] = {"completed", "cancelled", "failed", "attempted"};
    for (int i = 0; err == TEKHO_OK && i < 4; i++)
        err = tekho_metrics_gauge(p->metrics, "tekho_handovers", "Handovers by outcome (attempted: all started).",
                                  (struct tekho_metric_label[]){{"outcome", outcomes[i]}}, 1, &p->m_handovers[i]);
    static const double bounds[] = {5, 10, 15, 20, 25, 27.5, 30, 40, 50, 75, 100, 200, 500, 1000};
    if (err == TEKHO_OK)
        err = tekho_metrics_histogram(p->metrics, "tekho_interruption_ms",
                                      "User-plane interruption of each handover, UL and DL (M.2134's definition).",
                                      NULL, 0, bounds, sizeof bounds / sizeof bounds[0], &p->m_interruption);
    static const char *const sec[4] = {"pn_reuse", "replayed_accepted", "forged_accepted", "key_state"};
    for (int i = 0; err == TEKHO_OK && i < 4; i++)
        err = tekho_metrics_gauge(p->metrics, "tekho_security_violations",
                                  "Security invariant violations seen here (all must stay 0).",
                                  (struct tekho_metric_label[]){{"kind", sec[i]}}, 1, &p->m_security[i]);
    static const char *const dirs[3] = {"in", "out", "dropped"};
    for (int i = 0; err == TEKHO_OK && i < 3; i++)
        err = tekho_metrics_counter(p->metrics, "tekho_air_datagrams_total", "Air link datagrams.",
                                    (struct tekho_metric_label[]){{"dir", dirs[i]}}, 1, &p->m_air[i]);
    for (int i = 0; err == TEKHO_OK && i < 3; i++)
        err = tekho_metrics_counter(p->metrics, "tekho_backbone_messages_total", "Backbone (ASN-CP) messages.",
                                    (struct tekho_metric_label[]){{"dir", dirs[i]}}, 1, &p->m_backbone[i]);
    static const char *const dtls[4] = {"ok", "failed", "half_open_dropped", "garbage_dropped"};
    for (int i = 0; err == TEKHO_OK && i < 4; i++)
        err = tekho_metrics_gauge(p->metrics, "tekho_dtls_handshakes",
                                  "Backbone DTLS: handshakes completed and refused, datagrams dropped.",
                                  (struct tekho_metric_label[]){{"result", dtls[i]}}, 1, &p->m_dtls[i]);
    if (err == TEKHO_OK)
        err = tekho_metrics_counter(p->metrics, "tekho_frame_timing_errors_total",
                                    "Frame-timed sends a fifth of a frame late, UL PDUs from another frame.", NULL,
                                    0, &p->m_frame_errors);
    if (err != TEKHO_OK)
        return err;
    tekho_metrics_on_scrape(p->metrics, on_scrape, p);
    if (at == NULL || !at->present)
        return TEKHO_OK;
    return tekho_metrics_http_start(p->loop, p->metrics, (const struct sockaddr *)&at->addr, at->addr_len,
                                    &p->http);
}

/* ---- start and stop ---- */

static void on_signal(struct tekho_loop *loop, int signo, void *ctx)
{
    struct proc *p = ctx;
    TEKHO_LOG(&p->log, TEKHO_LOG_INFO, "stopping", TEKHO_LOG_INT("signal", signo));
    p->stopping = true;
    tekho_loop_stop(loop);
}

static void on_stop_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct proc *p = ctx;
    p->stopping = true;
    tekho_loop_stop(loop);
}

static int open_air(struct proc *p, const struct tekho_config_endpoint *at, char *why, size_t cap)
{
    p->air_fd = socket(at->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int big = 4 << 20;
    if (p->air_fd < 0 || setsockopt(p->air_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big) != 0 ||
        bind(p->air_fd, (const struct sockaddr *)&at->addr, at->addr_len) != 0) {
        snprintf(why, cap, "air %s: %s", at->text, strerror(errno));
        return -1;
    }
    if (tekho_loop_add_fd(p->loop, p->air_fd, EPOLLIN, on_air, p) != TEKHO_OK) {
        snprintf(why, cap, "air %s: cannot watch it", at->text);
        return -1;
    }
    return 0;
}

static int open_backbone(struct proc *p, const struct tekho_config_endpoint *at, const char *cert, const char *key,
                         const struct tekho_config_psk *psk, const char *keylog, char *why, size_t cap)
{
    struct tekho_dtls_config dc;
    memset(&dc, 0, sizeof dc);
    memcpy(&dc.bind_addr, &at->addr, at->addr_len);
    dc.bind_len = at->addr_len;
    /* PSK mode: every node's key, by its name. */
    struct tekho_dtls_psk_entry table[TEKHO_SIM_MAX_BS + 8];
    size_t n = 0;
    if (p->cfg->mode == TEKHO_CONFIG_CERT) {
        dc.auth = TEKHO_DTLS_AUTH_CERT;
        dc.ca_file = p->cfg->ca;
        dc.cert_file = cert;
        dc.key_file = key;
    } else {
        dc.auth = TEKHO_DTLS_AUTH_PSK;
        dc.psk_identity = p->name;
        dc.psk_key = psk->bytes;
        dc.psk_key_len = psk->len;
        for (size_t i = 0; i < p->cfg->n_authd && n < sizeof table / sizeof table[0]; i++)
            table[n++] = (struct tekho_dtls_psk_entry){p->cfg->authd[i].name, p->cfg->authd[i].psk.bytes,
                                                       p->cfg->authd[i].psk.len};
        for (size_t i = 0; i < p->cfg->n_bs && n < sizeof table / sizeof table[0]; i++)
            table[n++] = (struct tekho_dtls_psk_entry){p->cfg->bs[i].name, p->cfg->bs[i].psk.bytes,
                                                       p->cfg->bs[i].psk.len};
        dc.psk_table = table;
        dc.psk_table_len = n;
    }
    dc.keylog_file = keylog;
    /* A failed handshake is a dead peer to fail over from: soon. */
    dc.handshake_timeout_ms = 3000;
    dc.cb = (struct tekho_dtls_callbacks){.ctx = p, .on_peer_up = on_peer_up, .on_data = on_data,
                                          .on_peer_down = on_peer_down};
    char msg[512] = "";
    const tekho_err err = tekho_dtls_new(&dc, &p->dtls, msg, sizeof msg);
    if (err != TEKHO_OK) {
        snprintf(why, cap, "backbone %s: %s", at->text, msg[0] ? msg : tekho_strerror(err));
        return -1;
    }
    if (tekho_loop_add_fd(p->loop, tekho_dtls_fd(p->dtls), EPOLLIN, on_dtls_readable, p) != TEKHO_OK) {
        snprintf(why, cap, "backbone %s: cannot watch it", at->text);
        return -1;
    }
    return 0;
}

/* The emulator's parameters from the config's network: section (tekho
 * sim's own options), its cells and its terminals. */
static int network_params(struct proc *p, char *why, size_t cap)
{
    if (sim_network_apply(p->cfg, &p->params, why, cap) != 0)
        return -1;
    p->params.n_bs = (unsigned)p->cfg->n_bs;
    p->params.n_ms = p->cfg->msd.present ? p->cfg->msd.ms : 1;
    for (unsigned node = 1; node <= p->params.n_bs; node++)
        if (tekho_config_find_bs(p->cfg, node) == NULL) {
            snprintf(why, cap, "%s: the BSs' nodes must be 1 to %u, each once (node %u is missing)", p->cfg->path,
                     p->params.n_bs, node);
            return -1;
        }
    return 0;
}

static void proc_free(struct proc *p)
{
    char ignored[8];
    (void)tekho_air_capture_close(p->capture, 0, ignored, sizeof ignored); /* a run that never started */
    if (p->http != NULL)
        tekho_metrics_http_stop(p->http);
    tekho_metrics_free(p->metrics);
    tekho_dtls_free(p->dtls); /* close_notify to every peer */
    tekho_store_close(p->store);
    if (p->air_fd >= 0)
        close(p->air_fd);
    tekho_sim_free(p->sim);
    tekho_loop_free(p->loop);
    free(p->peer_of);
    free(p->beacon_at);
    free(p->down);
    tekho_config_free(p->cfg);
    tekho_log_close(&p->log);
}

static int write_results(struct proc *p)
{
    if (p->results == NULL)
        return 0;
    struct daemon_results r;
    memset(&r, 0, sizeof r);
    tekho_sim_stats(p->sim, &r.st);
    r.c = p->c;
    if (p->dtls != NULL) {
        const struct tekho_dtls_stats *d = tekho_dtls_stats(p->dtls);
        r.c.dtls_handshakes_ok = d->handshakes_ok;
        r.c.dtls_handshakes_failed = d->handshakes_failed;
        r.c.dtls_cookie_exchanges = d->cookie_exchanges;
        r.c.dtls_half_open_dropped = d->half_open_dropped;
        r.c.dtls_garbage_dropped = d->garbage_dropped;
        r.c.dtls_records_in = d->records_in;
        r.c.dtls_records_out = d->records_out;
    }
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        r.n[d] = tekho_sim_interruptions(p->sim, (enum tekho_sim_direction)d, NULL, 0);
        r.samples[d] = r.n[d] ? malloc(r.n[d] * sizeof(double)) : NULL;
        if (r.n[d] && r.samples[d] == NULL)
            r.n[d] = 0;
        else
            (void)tekho_sim_interruptions(p->sim, (enum tekho_sim_direction)d, r.samples[d], r.n[d]);
    }
    const int rc = daemon_results_write(p->results, &r);
    if (rc != 0)
        TEKHO_LOG(&p->log, TEKHO_LOG_ERROR, "cannot write the results", TEKHO_LOG_STR("path", p->results),
                                                    TEKHO_LOG_STR("error", strerror(errno)));
    daemon_results_free(&r);
    return rc;
}

/* The options every daemon takes. */
enum { D_CONFIG, D_NODE, D_MS, D_NAME, D_DURATION, D_RESULTS, D_KEYLOG, D_METRICS, D_LOG_LEVEL, D_STATE_DIR,
       D_TRACE, D_PCAP, D_N_OPTS };

/* bsd --state-dir: a BS can prove it never ran before only by the absence
 * of its boot record; without one it counts as restarted
 * (tekho_bs_config.restarted). The record is durable before it serves. */
static int boot_record(const char *dir, bool *restarted, char *why, size_t cap)
{
    *restarted = true;
    if (dir == NULL)
        return 0;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/boot", dir) >= (int)sizeof path || cli_mkdirs(dir) != 0) {
        snprintf(why, cap, "--state-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    *restarted = access(path, F_OK) == 0;
    const int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool ok = fd >= 0 && fsync(fd) == 0 && dfd >= 0 && fsync(dfd) == 0;
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (!ok) {
        snprintf(why, cap, "--state-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int run_daemon(enum proc_kind kind, int argc, char **argv)
{
    static const char *const names[3] = {"authd", "bsd", "msd"};
    static const char *const synopses[3] = {
        "--config FILE [--name NAME] [--duration S] [--results FILE] [--keylog FILE] [--metrics ADDR:PORT]\n"
        "           [--log-level L] [--trace FILE]",
        "--config FILE --node N [--state-dir DIR] [--duration S] [--results FILE] [--keylog FILE]\n"
        "           [--metrics ADDR:PORT] [--log-level L] [--trace FILE]",
        "--config FILE [--ms M] [--duration S] [--results FILE] [--metrics ADDR:PORT] [--log-level L] [--trace FILE]\n"
        "           [--pcap DIR]",
    };
    static const char *const descriptions[3] = {
        "The Authenticator (ASN-GW) of the network FILE describes: it holds each MS's PMK and count N, and "
        "serves the BSs over the backbone (ASN-CP in DTLS 1.2, mutual authentication: certificates from the "
        "config's CA, or per-node PSKs). A node without valid credentials gets nothing. Runs until SIGTERM.",
        "Base station N of the network FILE describes: its MSs over the air (UDP datagrams carrying MAC PDUs, "
        "5 ms frames on the real clock) and the other nodes over the backbone (ASN-CP in DTLS 1.2).",
        "The terminals of the network FILE describes, each its own MS role, in one process: they move and "
        "measure with the emulator's radio and mobility model (the BSs where the config puts them), hand over "
        "on its trigger, carry user data both ways and measure each handover's interruption.",
    };
    const struct cli_opt opts[D_N_OPTS] = {
        [D_CONFIG] = {"config", CLI_STR, true, .arg = "FILE", .help = "the network (YAML, see the README)"},
        [D_NODE] = {"node", CLI_NUM, kind == PROC_BSD, .min = 1, .max = TEKHO_SIM_MAX_BS,
                    .help = "bsd: the BS's node in the config"},
        [D_MS] = {"ms", CLI_NUM, false, .min = 1, .max = TEKHO_SIM_MAX_MS,
                  .help = "msd: terminals (default: the config's msd.ms, which the Authenticator provisions)"},
        [D_NAME] = {"name", CLI_STR, false, .arg = "NAME", .help = "authd: which of the config's (default: the first)"},
        [D_DURATION] = {"duration", CLI_NUM, false, .min = 0, .max = 86400 * 365,
                        .help = "stop after S seconds (default 0: at SIGTERM)"},
        [D_RESULTS] = {"results", CLI_STR, false, .arg = "FILE",
                       .help = "write the run's counters and samples here when stopping (tekho testbed reads it)"},
        [D_KEYLOG] = {"keylog", CLI_STR, false, .arg = "FILE",
                      .help = "NSS key log of the backbone's DTLS sessions, for Wireshark (test networks only)"},
        [D_METRICS] = {"metrics", CLI_STR, false, .arg = "ADDR:PORT",
                       .help = "Prometheus metrics on http://ADDR:PORT/metrics (default: the config's)"},
        [D_LOG_LEVEL] = {"log-level", CLI_CHOICE, false, .choices = "debug|info|warn|error",
                         .help = "the least important log line written (default info)"},
        [D_TRACE] = {"trace", CLI_STR, false, .arg = "FILE",
                     .help = "every event and message of this process's roles, and each input they refused, one "
                             "line each (as tekho sim --trace)"},
        [D_STATE_DIR] = {"state-dir", CLI_STR, false, .arg = "DIR",
                         .help = "bsd, and authd with the memory store: where its boot record is; without it (or "
                                 "with one there) it counts as restarted: a bsd takes no count an earlier life may "
                                 "have used, an authd hands out no count until a new PMK"},
        [D_PCAP] = {"pcap", CLI_STR, false, .arg = "DIR",
                    .help = "msd: the terminals' air PDUs into DIR/air.pcap (as tekho sim --pcap writes it, on the "
                            "air clock, HARQ retransmissions as copies: tekho analyze reads it) and each "
                            "interruption measured into DIR/interruptions.tsv (DIR created with its parents)"},
    };
    const struct cli_cmd cmd = {.name = names[kind], .synopsis = synopses[kind], .description = descriptions[kind],
                                .opts = opts, .n_opts = D_N_OPTS};
    struct cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct proc p;
    memset(&p, 0, sizeof p);
    FILE *trace = NULL;
    bool authd_restarted = false;
    p.kind = kind;
    p.air_fd = -1;
    char why[1024] = "";
    tekho_err err = tekho_config_load((const char *)a.v[D_CONFIG].bytes, &p.cfg, why, sizeof why);
    if (err != TEKHO_OK) {
        rc = cli_usage_error(&cmd, "%s", why[0] ? why : tekho_strerror(err));
        goto done;
    }
    if ((kind != PROC_BSD && a.v[D_NODE].present) || (kind != PROC_MSD && a.v[D_MS].present) ||
        (kind != PROC_AUTHD && a.v[D_NAME].present) || (kind == PROC_MSD && a.v[D_KEYLOG].present) ||
        (kind == PROC_MSD && a.v[D_STATE_DIR].present) || (kind != PROC_MSD && a.v[D_PCAP].present)) {
        rc = cli_usage_error(&cmd, "--node is bsd's, --state-dir bsd's and authd's, --ms and --pcap msd's, --name "
                                   "authd's; msd has no backbone (--keylog)");
        goto done;
    }
    if (network_params(&p, why, sizeof why) != 0) {
        rc = cli_usage_error(&cmd, "%s", why);
        goto done;
    }
    const struct tekho_config_endpoint *metrics_at = NULL;
    struct tekho_sim_external ext = {.ctx = &p, .air_out = x_air_out, .backbone_out = x_backbone_out,
                                     .dl_offer = x_dl_offer, .ul_delivered = x_ul_delivered};
    const struct tekho_config_bs *bs = NULL;
    if (kind == PROC_AUTHD) {
        for (size_t i = 0; i < p.cfg->n_authd && p.authd == NULL; i++)
            if (!a.v[D_NAME].present || strcmp(p.cfg->authd[i].name, (const char *)a.v[D_NAME].bytes) == 0)
                p.authd = &p.cfg->authd[i];
        if (p.authd == NULL) {
            rc = cli_usage_error(&cmd, "%s: no Authenticator %s", p.cfg->path,
                                 a.v[D_NAME].present ? (const char *)a.v[D_NAME].bytes : "at all");
            goto done;
        }
        snprintf(p.name, sizeof p.name, "%s", p.authd->name);
        metrics_at = &p.authd->metrics;
        ext.auth_local = true;
        /* Its own boot record: whether this Authenticator ran before (a
         * store may hold the network because another one shares it). */
        if (boot_record(a.v[D_STATE_DIR].present ? (const char *)a.v[D_STATE_DIR].bytes : NULL, &authd_restarted, why,
                        sizeof why) != 0) {
            rc = cli_usage_error(&cmd, "%s", why);
            goto done;
        }
        if (p.authd->store != NULL && strcmp(p.authd->store, "memory") != 0) {
            char msg[512] = "";
            err = tekho_store_open_verbose(p.authd->store, p.authd->store_key, &p.store, msg, sizeof msg);
            if (err != TEKHO_OK) {
                /* the URL may hold a password: the store's kind and the reason only */
                snprintf(why, sizeof why, "the store (%s): %s%s%s", strncmp(p.authd->store, "sqlite:", 7) == 0
                                                                       ? "sqlite" : "postgresql",
                         tekho_strerror(err), msg[0] ? ": " : "", msg);
                rc = cli_fail(&cmd, false, why);
                goto done;
            }
            p.store_ops = tekho_store_ops(p.store);
            ext.auth_store = &p.store_ops;
            /* A store that holds the network already: a restart, recovered from it. */
            uint8_t mac[6];
            struct tekho_auth_record rec;
            bool found = false;
            tekho_ms_mac_of_index(0, mac);
            memset(&rec, 0, sizeof rec);
            err = tekho_store_load(p.store, mac, &rec, &found);
            tekho_auth_record_wipe(&rec);
            ext.auth_recover = found || err == TEKHO_ERR_RECORD_CORRUPT;
            /* Another authd of the network on the same store: a hot standby. */
            for (size_t i = 0; i < p.cfg->n_authd; i++)
                if (&p.cfg->authd[i] != p.authd && p.cfg->authd[i].store != NULL &&
                    strcmp(p.cfg->authd[i].store, p.authd->store) == 0)
                    ext.auth_shared_store = true;
        } else {
            /* In memory: what it handed out died with its last life, if it
             * had one. Restarted (its boot record there, or none to tell),
             * it hands out no count under any PMK it held: every MS needs
             * a new PMK first (tekho_auth_recover on an empty store). */
            ext.auth_recover = authd_restarted;
        }
    } else if (kind == PROC_BSD) {
        p.node = (uint32_t)a.v[D_NODE].num;
        bs = tekho_config_find_bs(p.cfg, p.node);
        if (bs == NULL || p.cfg->n_authd == 0 || !p.cfg->msd.present) {
            rc = cli_usage_error(&cmd, "%s: %s", p.cfg->path,
                                 bs == NULL ? "no BS with that --node" : "a BS needs an authd and an msd entry");
            goto done;
        }
        p.authd = &p.cfg->authd[0];
        snprintf(p.name, sizeof p.name, "%s", bs->name);
        metrics_at = &bs->metrics;
        ext.bs_local = p.node;
        if (boot_record(a.v[D_STATE_DIR].present ? (const char *)a.v[D_STATE_DIR].bytes : NULL, &ext.bs_restarted,
                        why, sizeof why) != 0) {
            rc = cli_usage_error(&cmd, "%s", why);
            goto done;
        }
    } else {
        if (!p.cfg->msd.present) {
            rc = cli_usage_error(&cmd, "%s: no msd entry", p.cfg->path);
            goto done;
        }
        if (a.v[D_MS].present) {
            if (a.v[D_MS].num > p.params.n_ms) {
                rc = cli_usage_error(&cmd, "--ms %llu: the config provisions %u terminals",
                                     (unsigned long long)a.v[D_MS].num, p.params.n_ms);
                goto done;
            }
            p.params.n_ms = (unsigned)a.v[D_MS].num;
        }
        snprintf(p.name, sizeof p.name, "%s", p.cfg->msd.name);
        metrics_at = &p.cfg->msd.metrics;
        ext.ms_local = true;
        if (a.v[D_PCAP].present) {
            const char *dir = (const char *)a.v[D_PCAP].bytes;
            if (cli_mkdirs(dir) != 0) {
                snprintf(why, sizeof why, "--pcap %s: %s", dir, strerror(errno));
                rc = cli_fail(&cmd, false, why);
                goto done;
            }
            /* What analyze must know of the air: the frame, its DL share,
             * and whether management messages take time at the MS. */
            char args[96], msg[512] = "";
            snprintf(args, sizeof args, "--frame-us %llu --dl-percent %u%s", (unsigned long long)p.params.frame_us,
                     p.params.radio.enabled ? (unsigned)lround(p.params.radio.dl_ratio * 100) : 50u,
                     p.params.var.enabled && p.params.var.processing_mean_us > 0 ? " --mgmt-processing" : "");
            err = tekho_air_capture_open(dir, args, &p.capture, msg, sizeof msg);
            if (err != TEKHO_OK) {
                snprintf(why, sizeof why, "--pcap: %s", msg[0] ? msg : tekho_strerror(err));
                rc = cli_fail(&cmd, false, why);
                goto done;
            }
            ext.air_sent = x_air_sent;
            ext.resumed = x_resumed;
        }
    }
    struct tekho_config_endpoint metrics_opt;
    if (a.v[D_METRICS].present) {
        if (tekho_config_endpoint_parse((const char *)a.v[D_METRICS].bytes, &metrics_opt) != TEKHO_OK) {
            rc = cli_usage_error(&cmd, "--metrics: not ADDR:PORT with a numeric address");
            goto done;
        }
        metrics_at = &metrics_opt;
    }
    char proc_name[TEKHO_LOG_PROC_MAX];
    snprintf(proc_name, sizeof proc_name, "%s/%s", names[kind], p.name);
    if (tekho_log_init(&p.log, 2, proc_name,
                       a.v[D_LOG_LEVEL].present ? (enum tekho_log_level)a.v[D_LOG_LEVEL].num : TEKHO_LOG_INFO) !=
        TEKHO_OK) {
        rc = CLI_EXIT_FAILED;
        goto done;
    }
    p.results = a.v[D_RESULTS].present ? (const char *)a.v[D_RESULTS].bytes : NULL;
    p.peer_of = calloc(p.params.n_bs + 1, sizeof *p.peer_of);
    p.beacon_at = calloc(p.params.n_bs + 1, sizeof *p.beacon_at);
    p.down = calloc(p.params.n_bs + 1, sizeof *p.down);
    if (p.peer_of == NULL || p.beacon_at == NULL || p.down == NULL || tekho_loop_new(&p.loop) != TEKHO_OK) {
        rc = cli_fail(&cmd, false, "out of memory");
        goto done;
    }
    p.air_offset = air_offset_now(p.loop);
    /* Where the cells are: the config's, for the terminals' radio model. */
    double(*cells)[2] = calloc(p.params.n_bs, sizeof *cells);
    for (uint32_t n = 1; cells != NULL && n <= p.params.n_bs; n++) {
        const struct tekho_config_bs *b = tekho_config_find_bs(p.cfg, n);
        cells[n - 1][0] = b->position[0];
        cells[n - 1][1] = b->position[1];
    }
    err = cells == NULL ? TEKHO_ERR_NO_MEMORY
                        : tekho_sim_new_external(&p.params, &ext, air_now(&p),
                                                 (const double(*)[2])cells, &p.sim);
    free(cells);
    if (err != TEKHO_OK) {
        rc = cli_fail(&cmd, false, tekho_strerror(err));
        goto done;
    }
    if (a.v[D_TRACE].present) {
        if ((rc = cli_output_file(&cmd, "trace", (const char *)a.v[D_TRACE].bytes, &trace)) >= 0)
            goto done;
        rc = CLI_EXIT_OK;
        setvbuf(trace, NULL, _IOLBF, 0);
        tekho_sim_trace(p.sim, trace);
    }
    const char *keylog = a.v[D_KEYLOG].present ? (const char *)a.v[D_KEYLOG].bytes : NULL;
    if ((kind == PROC_BSD && open_air(&p, &bs->air, why, sizeof why) != 0) ||
        (kind == PROC_MSD && open_air(&p, &p.cfg->msd.air, why, sizeof why) != 0) ||
        (kind == PROC_BSD &&
         open_backbone(&p, &bs->backbone, bs->cert, bs->key, &bs->psk, keylog, why, sizeof why) != 0) ||
        (kind == PROC_AUTHD && open_backbone(&p, &p.authd->backbone, p.authd->cert, p.authd->key, &p.authd->psk,
                                             keylog, why, sizeof why) != 0)) {
        rc = cli_fail(&cmd, false, why);
        goto done;
    }
    err = metrics_setup(&p, metrics_at);
    if (err != TEKHO_OK) {
        snprintf(why, sizeof why, "metrics %s: %s", metrics_at && metrics_at->present ? metrics_at->text : "",
                 tekho_strerror(err));
        rc = cli_fail(&cmd, false, why);
        goto done;
    }
    if (tekho_loop_on_signal(p.loop, SIGTERM, on_signal, &p) != TEKHO_OK ||
        tekho_loop_on_signal(p.loop, SIGINT, on_signal, &p) != TEKHO_OK ||
        tekho_loop_on_signal(p.loop, SIGPIPE, NULL, NULL) != TEKHO_OK ||
        (a.v[D_DURATION].num > 0 &&
         tekho_loop_timer_at(p.loop, tekho_loop_now_us(p.loop) + a.v[D_DURATION].num * 1000000, on_stop_timer, &p,
                             NULL) != TEKHO_OK)) {
        rc = cli_fail(&cmd, false, "cannot set up the loop");
        goto done;
    }
    if (kind == PROC_BSD) {
        on_reconnect(p.loop, 0, 0, &p);
        on_beacon(p.loop, 0, 0, &p);
    }
    /* A restarted Authenticator opens a session to every BS at once: a BS
     * still holds its earlier life's (a killed process sends no
     * close_notify), and the new handshake from the same address replaces
     * it (RFC 6347 4.2.8) instead of the BS waiting to find it silent. */
    for (size_t i = 0; kind == PROC_AUTHD && authd_restarted && i < p.cfg->n_bs; i++) {
        const struct tekho_config_bs *b = &p.cfg->bs[i];
        if (b->node <= p.params.n_bs &&
            tekho_dtls_connect(p.dtls, (const struct sockaddr *)&b->backbone.addr, b->backbone.addr_len, b->name,
                               &p.peer_of[b->node]) != TEKHO_OK)
            p.peer_of[b->node] = 0;
    }
    if (kind == PROC_MSD)
        on_liveness(p.loop, 0, 0, &p);
    TEKHO_LOG(&p.log, TEKHO_LOG_INFO, "started", TEKHO_LOG_STR("scheme", tekho_scheme_name(p.params.scheme)),
              TEKHO_LOG_UINT("bs", p.params.n_bs), TEKHO_LOG_UINT("ms", p.params.n_ms),
              TEKHO_LOG_BOOL("restarted", ext.bs_restarted || ext.auth_recover),
              TEKHO_LOG_STR("store", p.store ? (strncmp(p.authd->store, "sqlite:", 7) == 0 ? "sqlite" : "postgresql")
                                             : "memory"),
              TEKHO_LOG_UINT("metrics_port", p.http ? tekho_metrics_http_port(p.http) : 0));
    /* The Authenticator and the terminals serve from here; a BS once its
     * session to the Authenticator is up (on_peer_up). */
    char status[200];
    if (kind == PROC_AUTHD)
        snprintf(status, sizeof status, "serving: backbone on %s, %u BSs", p.authd->backbone.text, p.params.n_bs);
    else if (kind == PROC_MSD)
        snprintf(status, sizeof status, "serving: %u terminals, %u BSs", p.params.n_ms, p.params.n_bs);
    else
        snprintf(status, sizeof status, "connecting to %s", p.authd->name);
    if (kind == PROC_BSD) {
        char state[220];
        snprintf(state, sizeof state, "STATUS=%s", status);
        notify(&p, state);
    } else {
        ready(&p, status);
    }
    pump(&p);
    schedule(&p);
    err = tekho_loop_run(p.loop);
    if (err != TEKHO_OK)
        fail(&p, err, "the event loop failed");
    notify(&p, "STOPPING=1\nSTATUS=stopping");
    /* Pending work finished: what is due now is sent; then the results,
     * and the DTLS sessions closed (proc_free). */
    pump(&p);
    const int wr = write_results(&p);
    int cr = 0;
    if (p.capture != NULL) {
        char msg[512] = "";
        if (tekho_air_capture_close(p.capture, tekho_sim_now(p.sim), msg, sizeof msg) != TEKHO_OK) {
            TEKHO_LOG(&p.log, TEKHO_LOG_ERROR, "the capture is incomplete", TEKHO_LOG_STR("error", msg));
            cr = -1;
        }
        p.capture = NULL;
    }
    struct tekho_sim_stats s;
    tekho_sim_stats(p.sim, &s);
    const struct tekho_dtls_stats *ds = p.dtls ? tekho_dtls_stats(p.dtls) : NULL;
    TEKHO_LOG(&p.log, TEKHO_LOG_INFO, "stopped", TEKHO_LOG_UINT("handovers", s.completed),
              TEKHO_LOG_UINT("insecure", s.pn_reuse + s.replayed_pdus_accepted + s.forged_pdus_accepted +
                                             s.tek_mismatch_after_ho + s.m_decreased + s.n_decreased +
                                             s.stale_count_keys),
              TEKHO_LOG_UINT("air_in", p.c.air_in), TEKHO_LOG_UINT("air_dropped", p.c.air_bad),
              TEKHO_LOG_UINT("backbone_in", p.c.backbone_in), TEKHO_LOG_UINT("backbone_out", p.c.backbone_out),
              TEKHO_LOG_UINT("dtls_handshakes_ok", ds ? ds->handshakes_ok : 0),
              TEKHO_LOG_UINT("dtls_handshakes_failed", ds ? ds->handshakes_failed : 0),
              TEKHO_LOG_UINT("frame_timing_errors", p.c.frame_timing_errors));
    rc = p.failed != TEKHO_OK || wr != 0 || cr != 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
done:
    proc_free(&p);
    if (trace != NULL)
        fclose(trace);
    cli_args_free(&a);
    return rc;
}

int cmd_authd(int argc, char **argv)
{
    return run_daemon(PROC_AUTHD, argc, argv);
}

int cmd_bsd(int argc, char **argv)
{
    return run_daemon(PROC_BSD, argc, argv);
}

int cmd_msd(int argc, char **argv)
{
    return run_daemon(PROC_MSD, argc, argv);
}
