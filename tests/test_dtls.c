/* The DTLS backbone transport (src/net/dtls.h) over real UDP sockets on
 * 127.0.0.1 (and ::1 when the host has it), driven by a small poll loop
 * with a time bound, with credentials made by src/net/creds.h in a
 * temporary directory (TEKHO_TEST_KEEP=1 keeps it):
 *
 *  1. certificates: messages both ways, byte-exact, with the peers' names;
 *     the queue before the handshake; the counters;
 *  2. PSK, from the table and from the lookup callback; on ::1, and a
 *     dual-stack endpoint reaching an IPv4 node;
 *  3. wrong credentials (another CA, a wrong name, a wrong or unknown PSK,
 *     a server claiming another name): no peer up, nothing delivered,
 *     counted on both sides;
 *  4. the stateless cookie exchange (bound to the address) and the cap on
 *     half-open handshakes;
 *  5. 10,000 garbage datagrams from a stranger and 1,500 from the peer's
 *     own address (bit-flipped and replayed copies of its real records,
 *     truncated, oversized): all dropped and counted exactly, the session
 *     keeps working; garbage during a handshake;
 *  6. the key log (its line against the ClientHello's random; tshark
 *     decrypts the capture with it when tshark is installed);
 *  7. close_notify; a restarted node replacing its old association;
 *     retransmission after loss; an explicit MTU; no renegotiation either
 *     way (against plain OpenSSL peers); the configuration errors.
 *
 * A relay (a UDP socket the test forwards through) stands between two
 * endpoints where the test needs to see, drop or forge the peer's
 * datagrams: it is a real socket on the path, not a stand-in for either
 * end. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "creds.h"
#include "dtls.h"
#include "loop.h"
#include "test_util.h"

extern char **environ;

static char dir[256];

/* ---- a node: one endpoint and what its callbacks saw ------------------------------------ */

struct msg {
    uint64_t peer;
    char name[TEKHO_DTLS_NAME_MAX + 1];
    uint8_t *data;
    size_t len;
};

struct node {
    const char *label;
    struct tekho_dtls *ep;
    unsigned ups, downs;
    uint64_t up_peer, down_peer;
    char up_name[TEKHO_DTLS_NAME_MAX + 1], down_name[TEKHO_DTLS_NAME_MAX + 1];
    struct sockaddr_storage up_addr;
    enum tekho_dtls_down down_why;
    struct msg *msgs;
    size_t nmsgs, cap;
    uint64_t up_ids[16];
    unsigned nup_ids;
};

static void on_up(void *ctx, uint64_t peer, const char *name, const struct sockaddr *addr, socklen_t len)
{
    struct node *n = ctx;
    n->ups++;
    n->up_peer = peer;
    if (n->nup_ids < sizeof n->up_ids / sizeof n->up_ids[0])
        n->up_ids[n->nup_ids++] = peer;
    snprintf(n->up_name, sizeof n->up_name, "%s", name);
    memset(&n->up_addr, 0, sizeof n->up_addr);
    if (len <= (socklen_t)sizeof n->up_addr)
        memcpy(&n->up_addr, addr, len);
}

static void on_down(void *ctx, uint64_t peer, const char *name, enum tekho_dtls_down why)
{
    struct node *n = ctx;
    n->downs++;
    n->down_peer = peer;
    n->down_why = why;
    snprintf(n->down_name, sizeof n->down_name, "%s", name);
}

static void on_data(void *ctx, uint64_t peer, const char *name, const uint8_t *data, size_t len)
{
    struct node *n = ctx;
    bool known = false; /* nothing before on_peer_up */
    for (unsigned i = 0; i < n->nup_ids; i++)
        known = known || n->up_ids[i] == peer;
    CHECK(known);
    if (n->nmsgs == n->cap) {
        n->cap = n->cap ? 2 * n->cap : 64;
        n->msgs = realloc(n->msgs, n->cap * sizeof *n->msgs);
        if (n->msgs == NULL)
            abort();
    }
    struct msg *m = &n->msgs[n->nmsgs++];
    m->peer = peer;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->data = malloc(len);
    if (m->data == NULL)
        abort();
    memcpy(m->data, data, len);
    m->len = len;
}

static void node_free(struct node *n)
{
    tekho_dtls_free(n->ep);
    for (size_t i = 0; i < n->nmsgs; i++)
        free(n->msgs[i].data);
    free(n->msgs);
    memset(n, 0, sizeof *n);
}

static void path(char *out, size_t cap, const char *name)
{
    const int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "test_dtls: path %s/%s too long\n", dir, name);
        exit(1);
    }
}

static char paths[8][3][300]; /* ca, cert, key per config, kept alive while the config is used */

/* A config bound to 127.0.0.1:0 (or ::1) with short timers. */
static struct tekho_dtls_config base(struct node *n, int family)
{
    struct tekho_dtls_config c;
    memset(&c, 0, sizeof c);
    if (family == AF_INET6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&c.bind_addr;
        s->sin6_family = AF_INET6;
        s->sin6_addr = in6addr_loopback;
        c.bind_len = sizeof *s;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&c.bind_addr;
        s->sin_family = AF_INET;
        s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        c.bind_len = sizeof *s;
    }
    c.handshake_timeout_ms = 3000;
    c.retransmit_ms = 100;
    c.cb.ctx = n;
    c.cb.on_peer_up = on_up;
    c.cb.on_peer_down = on_down;
    c.cb.on_data = on_data;
    return c;
}

/* Certificates: ca_name's CA (ca1 or ca2) and the node's files. */
static struct tekho_dtls_config cert_cfg(struct node *n, int slot, const char *ca, const char *node)
{
    struct tekho_dtls_config c = base(n, AF_INET);
    char f[64];
    snprintf(f, sizeof f, "%s.pem", ca);
    path(paths[slot][0], sizeof paths[slot][0], f);
    snprintf(f, sizeof f, "%s.pem", node);
    path(paths[slot][1], sizeof paths[slot][1], f);
    snprintf(f, sizeof f, "%s.key", node);
    path(paths[slot][2], sizeof paths[slot][2], f);
    c.auth = TEKHO_DTLS_AUTH_CERT;
    c.ca_file = paths[slot][0];
    c.cert_file = paths[slot][1];
    c.key_file = paths[slot][2];
    return c;
}

static bool node_open(struct node *n, const char *label, const struct tekho_dtls_config *c)
{
    n->label = label;
    char msg[512];
    const tekho_err err = tekho_dtls_new(c, &n->ep, msg, sizeof msg);
    if (err != TEKHO_OK) {
        fprintf(stderr, "FAIL %s: tekho_dtls_new: %s: %s\n", label, tekho_strerror(err), msg);
        test_failures++;
        n->ep = NULL;
        return false;
    }
    return true;
}

static socklen_t addr_of(const struct node *n, struct sockaddr_storage *ss)
{
    socklen_t len = 0;
    CHECK_ERR(tekho_dtls_local_addr(n->ep, ss, &len), TEKHO_OK);
    return len;
}

static const struct tekho_dtls_stats *st(const struct node *n)
{
    return tekho_dtls_stats(n->ep);
}

/* ---- a relay between a client and a server ---------------------------------------------- */

#define REC_MAX 64
struct relay {
    int fd;
    struct sockaddr_storage server, client;
    socklen_t server_len, client_len;
    bool hold;                  /* discard what the client side sends */
    unsigned drop_to_client;    /* discard the next n datagrams from the server */
    unsigned drop_to_server;
    bool record;                /* keep client -> server datagrams */
    uint8_t rec[REC_MAX][1500];
    size_t rec_len[REC_MAX];
    unsigned nrec;
    size_t longest;             /* the longest datagram either way */
    FILE *pcap;                 /* every datagram forwarded, when set */
};

static bool relay_open(struct relay *r, const struct node *server)
{
    memset(r, 0, sizeof *r);
    r->server_len = addr_of(server, &r->server);
    r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(r->fd >= 0 && bind(r->fd, (struct sockaddr *)&a, sizeof a) == 0);
    return r->fd >= 0;
}

static socklen_t relay_addr(const struct relay *r, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof *ss;
    CHECK(getsockname(r->fd, (struct sockaddr *)ss, &len) == 0);
    return len;
}

static void pcap_record(FILE *f, const struct sockaddr_storage *from, const struct sockaddr_storage *to,
                        const uint8_t *b, size_t n);

static void relay_service(struct relay *r)
{
    uint8_t b[2048];
    for (;;) {
        struct sockaddr_storage src;
        socklen_t sl = sizeof src;
        const ssize_t n = recvfrom(r->fd, b, sizeof b, 0, (struct sockaddr *)&src, &sl);
        if (n < 0)
            return;
        const bool from_server = sl == r->server_len && memcmp(&src, &r->server, sl) == 0;
        if ((size_t)n > r->longest)
            r->longest = (size_t)n;
        if (from_server) {
            if (r->drop_to_client > 0) {
                r->drop_to_client--;
                continue;
            }
            if (r->client_len > 0) {
                if (r->pcap != NULL)
                    pcap_record(r->pcap, &r->server, &r->client, b, (size_t)n);
                (void)sendto(r->fd, b, (size_t)n, 0, (struct sockaddr *)&r->client, r->client_len);
            }
            continue;
        }
        if (r->hold)
            continue;
        memcpy(&r->client, &src, sl);
        r->client_len = sl;
        if (r->drop_to_server > 0) {
            r->drop_to_server--;
            continue;
        }
        if (r->record && r->nrec < REC_MAX && (size_t)n <= sizeof r->rec[0]) {
            memcpy(r->rec[r->nrec], b, (size_t)n);
            r->rec_len[r->nrec++] = (size_t)n;
        }
        if (r->pcap != NULL)
            pcap_record(r->pcap, &r->client, &r->server, b, (size_t)n);
        (void)sendto(r->fd, b, (size_t)n, 0, (struct sockaddr *)&r->server, r->server_len);
    }
}

/* ---- the loop -------------------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What pump waits for: each node at least so many ups, downs, messages. */
struct want {
    struct node *n[4];
    unsigned ups[4], downs[4];
    size_t msgs[4];
};

static bool met(const struct want *w)
{
    if (w == NULL)
        return false;
    for (int i = 0; i < 4; i++)
        if (w->n[i] != NULL &&
            (w->n[i]->ups < w->ups[i] || w->n[i]->downs < w->downs[i] || w->n[i]->nmsgs < w->msgs[i]))
            return false;
    return true;
}

/* One turn of the loop: poll up to wait_ms (less when a timer is due),
 * then what is readable, then the timers. */
static void tick(struct node **nodes, int nn, struct relay *r, uint64_t wait_ms)
{
    struct pollfd pf[8];
    int k = 0;
    uint64_t wait_us = wait_ms * 1000u;
    for (int i = 0; i < nn; i++) {
        pf[k++] = (struct pollfd){.fd = tekho_dtls_fd(nodes[i]->ep), .events = POLLIN};
        const uint64_t t = tekho_dtls_next_timeout_us(nodes[i]->ep);
        if (t < wait_us)
            wait_us = t;
    }
    if (r != NULL)
        pf[k++] = (struct pollfd){.fd = r->fd, .events = POLLIN};
    (void)poll(pf, (nfds_t)k, (int)((wait_us + 999) / 1000));
    for (int i = 0; i < nn; i++)
        if (pf[i].revents & POLLIN)
            CHECK_ERR(tekho_dtls_on_readable(nodes[i]->ep), TEKHO_OK);
    if (r != NULL && (pf[nn].revents & POLLIN))
        relay_service(r);
    for (int i = 0; i < nn; i++)
        CHECK_ERR(tekho_dtls_on_timeout(nodes[i]->ep), TEKHO_OK);
}

/* Turns the loop until w is met or ms pass; returns whether w was met (w
 * NULL: runs the full time). */
static bool pump(struct node **nodes, int nn, struct relay *r, unsigned ms, const struct want *w)
{
    const uint64_t end = mono_ms() + ms;
    for (;;) {
        if (met(w))
            return true;
        const uint64_t now = mono_ms();
        if (now >= end)
            return false;
        tick(nodes, nn, r, end - now < 20 ? end - now : 20);
    }
}

static bool wait_readable(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 1;
}

/* One on_readable once the socket has something (a stepwise handshake). */
static void step(struct node *n)
{
    CHECK(wait_readable(tekho_dtls_fd(n->ep), 2000));
    CHECK_ERR(tekho_dtls_on_readable(n->ep), TEKHO_OK);
}

static uint64_t connect_to(struct node *client, const struct sockaddr_storage *to, socklen_t len, const char *name)
{
    uint64_t id = 0;
    CHECK_ERR(tekho_dtls_connect(client->ep, (const struct sockaddr *)to, len, name, &id), TEKHO_OK);
    CHECK(id != 0);
    return id;
}

static uint64_t connect_node(struct node *client, const struct node *server, const char *name)
{
    struct sockaddr_storage ss;
    const socklen_t len = addr_of(server, &ss);
    return connect_to(client, &ss, len, name);
}

static bool msg_is(const struct msg *m, uint64_t peer, const char *name, const uint8_t *b, size_t n)
{
    return m->peer == peer && strcmp(m->name, name) == 0 && m->len == n && memcmp(m->data, b, n) == 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + 31 * i);
}

/* ---- credentials ----------------------------------------------------------------------- */

static mode_t mode_of(const char *name)
{
    char p[300];
    path(p, sizeof p, name);
    struct stat s;
    return stat(p, &s) == 0 ? s.st_mode & 0777 : (mode_t)-1;
}

static void make_node(const char *ca, const char *name)
{
    char cac[300], cak[300], c[300], k[300], f[64];
    snprintf(f, sizeof f, "%s.pem", ca);
    path(cac, sizeof cac, f);
    snprintf(f, sizeof f, "%s.key", ca);
    path(cak, sizeof cak, f);
    snprintf(f, sizeof f, "%s.pem", name);
    path(c, sizeof c, f);
    snprintf(f, sizeof f, "%s.key", name);
    path(k, sizeof k, f);
    char msg[256] = "";
    const tekho_err err = tekho_creds_make_node(cac, cak, name, 0, c, k, msg, sizeof msg);
    if (err != TEKHO_OK)
        fprintf(stderr, "make_node %s: %s\n", name, msg);
    CHECK_ERR(err, TEKHO_OK);
}

static void test_creds(void)
{
    char c[300], k[300], msg[256];
    path(c, sizeof c, "ca1.pem");
    path(k, sizeof k, "ca1.key");
    CHECK_ERR(tekho_creds_make_ca("tekho-test-ca", 30, c, k, msg, sizeof msg), TEKHO_OK);
    path(c, sizeof c, "ca2.pem");
    path(k, sizeof k, "ca2.key");
    CHECK_ERR(tekho_creds_make_ca("other-ca", 0, c, k, msg, sizeof msg), TEKHO_OK);
    make_node("ca1", "authd");
    make_node("ca1", "bs-1");
    make_node("ca1", "bs-2");
    make_node("ca2", "bs-x");
    CHECK(mode_of("ca1.key") == 0600);
    CHECK(mode_of("authd.key") == 0600);
    CHECK(mode_of("ca1.pem") == 0644);
    CHECK(mode_of("bs-1.pem") == 0644);

    CHECK(tekho_creds_name_ok("bs-1"));
    CHECK(tekho_creds_name_ok("a.b_c-D9"));
    CHECK(!tekho_creds_name_ok(""));
    CHECK(!tekho_creds_name_ok("bs 1"));
    CHECK(!tekho_creds_name_ok("bs/1"));
    char longname[TEKHO_DTLS_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(!tekho_creds_name_ok(longname));
    longname[TEKHO_DTLS_NAME_MAX] = '\0';
    CHECK(tekho_creds_name_ok(longname));

    /* A node of ca2 signed with ca1's key; a CA key others may read; a bad name. */
    char cac[300], cak[300];
    path(cac, sizeof cac, "ca2.pem");
    path(cak, sizeof cak, "ca1.key");
    path(c, sizeof c, "n.pem");
    path(k, sizeof k, "n.key");
    CHECK_ERR(tekho_creds_make_node(cac, cak, "n", 0, c, k, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    CHECK(strstr(msg, "is not its key") != NULL);
    path(cac, sizeof cac, "ca1.pem");
    CHECK_ERR(tekho_creds_make_node(cac, cak, "bad name", 0, c, k, msg, sizeof msg), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(chmod(cak, 0640) == 0);
    CHECK_ERR(tekho_creds_make_node(cac, cak, "n", 0, c, k, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    CHECK(strstr(msg, "chmod 600") != NULL);
    CHECK(chmod(cak, 0600) == 0);
    CHECK(access(c, F_OK) != 0 && access(k, F_OK) != 0);
    path(cac, sizeof cac, "missing.pem");
    CHECK_ERR(tekho_creds_make_node(cac, cak, "n", 0, c, k, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    CHECK(strstr(msg, "No such file") != NULL);
    /* Files are written whole: nothing is left of a write into a missing directory. */
    path(c, sizeof c, "no-such-dir/n.pem");
    path(k, sizeof k, "no-such-dir/n.key");
    path(cac, sizeof cac, "ca1.pem");
    CHECK_ERR(tekho_creds_make_node(cac, cak, "n", 0, c, k, msg, sizeof msg), TEKHO_ERR_IO);

    uint8_t a[32], b[32];
    CHECK_ERR(tekho_creds_random_psk(a, sizeof a), TEKHO_OK);
    CHECK_ERR(tekho_creds_random_psk(b, sizeof b), TEKHO_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK_ERR(tekho_creds_random_psk(a, TEKHO_DTLS_PSK_MIN - 1), TEKHO_ERR_INVALID_ARGUMENT);
}

/* ---- 1. certificates -------------------------------------------------------------------- */

static void test_cert_mode(void)
{
    struct node a = {0}, b = {0}, c = {0};
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1"),
                             cc = cert_cfg(&c, 2, "ca1", "bs-2");
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !node_open(&c, "bs-2", &cc))
        goto out;
    const size_t max = tekho_dtls_max_payload(a.ep);
    CHECK(max == TEKHO_DTLS_MTU_DEFAULT - TEKHO_DTLS_RECORD_OVERHEAD);

    const uint64_t to_a = connect_node(&b, &a, "authd");
    /* Queued until the handshake completes, then sent in order. */
    uint8_t q1[5] = {1, 2, 3, 4, 5}, q2[300];
    fill(q2, sizeof q2, 7);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, q1, sizeof q1), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, q2, sizeof q2), TEKHO_OK);
    CHECK(tekho_dtls_peer_name(b.ep, to_a) == NULL); /* not up yet */
    /* The same address and name again: the same peer; another name: refused. */
    struct sockaddr_storage aa;
    const socklen_t aal = addr_of(&a, &aa);
    uint64_t again = 0;
    CHECK_ERR(tekho_dtls_connect(b.ep, (struct sockaddr *)&aa, aal, "authd", &again), TEKHO_OK);
    CHECK(again == to_a);
    CHECK_ERR(tekho_dtls_connect(b.ep, (struct sockaddr *)&aa, aal, "bs-7", &again), TEKHO_ERR_PEER_EXISTS);

    struct node *ab[] = {&a, &b, &c};
    struct want w = {.n = {&a, &b}, .ups = {1, 1}, .msgs = {2, 0}};
    CHECK(pump(ab, 2, NULL, 5000, &w));
    CHECK(a.ups == 1 && b.ups == 1);
    CHECK(strcmp(a.up_name, "bs-1") == 0);
    CHECK(strcmp(b.up_name, "authd") == 0);
    CHECK(b.up_peer == to_a);
    CHECK(memcmp(&b.up_addr, &aa, aal) == 0);
    const uint64_t to_b = a.up_peer;
    CHECK(to_b != 0);
    CHECK(strcmp(tekho_dtls_peer_name(a.ep, to_b), "bs-1") == 0);
    CHECK(strcmp(tekho_dtls_peer_name(b.ep, to_a), "authd") == 0);
    CHECK(a.nmsgs == 2 && msg_is(&a.msgs[0], to_b, "bs-1", q1, sizeof q1) &&
          msg_is(&a.msgs[1], to_b, "bs-1", q2, sizeof q2));

    /* Both ways: 1 byte, 100 bytes, the longest message. */
    static uint8_t big[TEKHO_DTLS_MTU_DEFAULT];
    fill(big, sizeof big, 99);
    const size_t sizes[] = {1, 100, max};
    for (int i = 0; i < 3; i++) {
        CHECK_ERR(tekho_dtls_send(a.ep, to_b, big + i, sizes[i]), TEKHO_OK);
        CHECK_ERR(tekho_dtls_send(b.ep, to_a, big + 2 * i, sizes[i]), TEKHO_OK);
    }
    w = (struct want){.n = {&a, &b}, .msgs = {5, 3}};
    CHECK(pump(ab, 2, NULL, 5000, &w));
    for (int i = 0; i < 3 && b.nmsgs == 3 && a.nmsgs == 5; i++) {
        CHECK(msg_is(&b.msgs[i], to_a, "authd", big + i, sizes[i]));
        CHECK(msg_is(&a.msgs[2 + i], to_b, "bs-1", big + 2 * i, sizes[i]));
    }
    CHECK_ERR(tekho_dtls_send(a.ep, to_b, big, max + 1), TEKHO_ERR_MESSAGE_TOO_LONG);
    CHECK_ERR(tekho_dtls_send(a.ep, to_b + 1000, big, 1), TEKHO_ERR_NOT_CONNECTED);
    CHECK_ERR(tekho_dtls_send(a.ep, to_b, big, 0), TEKHO_ERR_INVALID_ARGUMENT);

    const struct tekho_dtls_stats *sa = st(&a), *sb = st(&b);
    CHECK(sa->handshakes_ok == 1 && sb->handshakes_ok == 1);
    CHECK(sa->handshakes_failed == 0 && sb->handshakes_failed == 0);
    CHECK(sa->cookie_exchanges == 1 && sa->handshakes_started == 1);
    CHECK(sa->peers == 1 && sb->peers == 1);
    CHECK(sa->records_in == 5 && sa->records_out == 3);
    CHECK(sb->records_in == 3 && sb->records_out == 5);
    CHECK(sa->garbage_dropped == 0 && sb->garbage_dropped == 0);
    CHECK(sb->cookie_exchanges == 0 && sb->handshakes_started == 0);

    /* A queue of TEKHO_DTLS_QUEUE_MAX, then TEKHO_ERR_HANDSHAKE_PENDING; all delivered. */
    const uint64_t c_to_a = connect_node(&c, &a, "authd");
    for (unsigned i = 0; i < TEKHO_DTLS_QUEUE_MAX; i++)
        CHECK_ERR(tekho_dtls_send(c.ep, c_to_a, big + i, 10), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(c.ep, c_to_a, big, 10), TEKHO_ERR_HANDSHAKE_PENDING);
    w = (struct want){.n = {&a, &c}, .ups = {2, 1}, .msgs = {5 + TEKHO_DTLS_QUEUE_MAX, 0}};
    CHECK(pump(ab, 3, NULL, 5000, &w));
    CHECK(strcmp(a.up_name, "bs-2") == 0 && a.up_peer != to_b);
    for (unsigned i = 0; i < TEKHO_DTLS_QUEUE_MAX && a.nmsgs == 5 + TEKHO_DTLS_QUEUE_MAX; i++)
        CHECK(msg_is(&a.msgs[5 + i], a.up_peer, "bs-2", big + i, 10));
    CHECK(st(&a)->peers == 2);
out:
    node_free(&a);
    node_free(&b);
    node_free(&c);
}

/* ---- 2. PSK ------------------------------------------------------------------------------ */

static uint8_t psk_a[32], psk_b1[32], psk_b2[32], psk_b9[24];

static size_t lookup(void *ctx, const char *identity, uint8_t key[TEKHO_DTLS_PSK_MAX])
{
    (*(unsigned *)ctx)++;
    if (strcmp(identity, "bs-9") != 0)
        return 0;
    memcpy(key, psk_b9, sizeof psk_b9);
    return sizeof psk_b9;
}

static unsigned lookups;
static const struct tekho_dtls_psk_entry psk_table[] = {
    {"bs-1", psk_b1, sizeof psk_b1},
    {"bs-2", psk_b2, sizeof psk_b2},
};

static struct tekho_dtls_config psk_cfg(struct node *n, int family, const char *identity, const uint8_t *key,
                                        size_t len)
{
    struct tekho_dtls_config c = base(n, family);
    c.auth = TEKHO_DTLS_AUTH_PSK;
    c.psk_identity = identity;
    c.psk_key = key;
    c.psk_key_len = len;
    return c;
}

static struct tekho_dtls_config psk_server_cfg(struct node *n, int family)
{
    struct tekho_dtls_config c = psk_cfg(n, family, "authd", psk_a, sizeof psk_a);
    c.psk_table = psk_table;
    c.psk_table_len = 2;
    c.psk_lookup = lookup;
    c.psk_lookup_ctx = &lookups;
    return c;
}

static void psk_pair(int family)
{
    lookups = 0;
    struct node a = {0}, b = {0}, c = {0};
    struct tekho_dtls_config ca = psk_server_cfg(&a, family), cb = psk_cfg(&b, family, "bs-1", psk_b1, sizeof psk_b1),
                             cc = psk_cfg(&c, family, "bs-9", psk_b9, sizeof psk_b9);
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !node_open(&c, "bs-9", &cc))
        goto out;
    struct node *all[] = {&a, &b, &c};
    const uint64_t to_a = connect_node(&b, &a, "authd");
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(all, 2, NULL, 5000, &w));
    CHECK(strcmp(a.up_name, "bs-1") == 0 && strcmp(b.up_name, "authd") == 0);
    const uint64_t to_b = a.up_peer;
    uint8_t m1[200], m2[1000];
    fill(m1, sizeof m1, 1);
    fill(m2, sizeof m2, 2);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, m1, sizeof m1), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(a.ep, to_b, m2, sizeof m2), TEKHO_OK);
    w = (struct want){.n = {&a, &b}, .msgs = {1, 1}};
    CHECK(pump(all, 2, NULL, 5000, &w));
    CHECK(a.nmsgs == 1 && msg_is(&a.msgs[0], to_b, "bs-1", m1, sizeof m1));
    CHECK(b.nmsgs == 1 && msg_is(&b.msgs[0], to_a, "authd", m2, sizeof m2));
    CHECK(lookups == 0); /* bs-1 is in the table */

    /* An identity only the lookup knows. */
    const uint64_t c_to_a = connect_node(&c, &a, "authd");
    w = (struct want){.n = {&a, &c}, .ups = {2, 1}};
    CHECK(pump(all, 3, NULL, 5000, &w));
    CHECK(strcmp(a.up_name, "bs-9") == 0 && c.up_peer == c_to_a);
    CHECK(lookups == 1);
    CHECK(st(&a)->handshakes_ok == 2 && st(&a)->handshakes_failed == 0 && st(&a)->peers == 2);
    CHECK(st(&b)->handshakes_ok == 1 && st(&b)->records_in == 1 && st(&b)->records_out == 1);
    if (family == AF_INET6) {
        CHECK(a.up_addr.ss_family == AF_INET6);
        CHECK(memcmp(&((struct sockaddr_in6 *)&a.up_addr)->sin6_addr, &in6addr_loopback, 16) == 0);
    }
out:
    node_free(&a);
    node_free(&b);
    node_free(&c);
}

static void test_psk_mode(void)
{
    CHECK_ERR(tekho_creds_random_psk(psk_a, sizeof psk_a), TEKHO_OK);
    CHECK_ERR(tekho_creds_random_psk(psk_b1, sizeof psk_b1), TEKHO_OK);
    CHECK_ERR(tekho_creds_random_psk(psk_b2, sizeof psk_b2), TEKHO_OK);
    CHECK_ERR(tekho_creds_random_psk(psk_b9, sizeof psk_b9), TEKHO_OK);
    psk_pair(AF_INET);
}

static void test_ipv6(void)
{
    const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    const bool have = fd >= 0 && bind(fd, (struct sockaddr *)&s, sizeof s) == 0;
    if (fd >= 0)
        close(fd);
    if (!have) {
        printf("test_dtls: no ::1 on this host, IPv6 part skipped\n");
        return;
    }
    psk_pair(AF_INET6);

    /* A dual-stack endpoint (bound to ::) connecting to an IPv4 address:
     * the IPv4-mapped form, and the IPv4 peer sees it as 127.0.0.1. */
    struct node a = {0}, b = {0};
    struct tekho_dtls_config ca = psk_cfg(&a, AF_INET6, "bs-1", psk_b1, sizeof psk_b1),
                             cb = psk_server_cfg(&b, AF_INET);
    ((struct sockaddr_in6 *)&ca.bind_addr)->sin6_addr = in6addr_any;
    if (node_open(&a, "bs-1", &ca) && node_open(&b, "authd", &cb)) {
        int v6only = 1;
        socklen_t ol = sizeof v6only;
        if (getsockopt(tekho_dtls_fd(a.ep), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol) != 0 || v6only) {
            printf("test_dtls: IPv6 sockets are v6-only here, the dual-stack part skipped\n");
        } else {
            struct node *ab[] = {&a, &b};
            (void)connect_node(&a, &b, "authd");
            struct want w = {.n = {&a, &b}, .ups = {1, 1}};
            CHECK(pump(ab, 2, NULL, 5000, &w));
            const struct sockaddr_in6 *up = (const struct sockaddr_in6 *)&a.up_addr;
            CHECK(up->sin6_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&up->sin6_addr));
            CHECK(b.up_addr.ss_family == AF_INET &&
                  ((struct sockaddr_in *)&b.up_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
            CHECK(strcmp(b.up_name, "bs-1") == 0 && strcmp(a.up_name, "authd") == 0);
        }
    }
    node_free(&a);
    node_free(&b);
}

/* ---- 3. wrong credentials -------------------------------------------------------------- */

/* client connects to server expecting name; the handshake must fail on
 * both sides with nothing delivered. */
static void refused(struct node *server, struct node *client, const char *name, unsigned ms,
                    enum tekho_dtls_down why)
{
    const struct tekho_dtls_stats before = *st(server);
    const unsigned server_ups = server->ups;
    const size_t server_msgs = server->nmsgs;
    const uint64_t id = connect_node(client, server, name);
    uint8_t m[20] = {0};
    CHECK_ERR(tekho_dtls_send(client->ep, id, m, sizeof m), TEKHO_OK); /* queued, never sent */
    struct node *two[] = {server, client};
    struct want w = {.n = {client}, .downs = {1}};
    CHECK(pump(two, 2, NULL, ms, &w));
    /* the server side has given up too (an alert, or its own deadline) */
    for (uint64_t end = mono_ms() + ms; st(server)->handshakes_failed == before.handshakes_failed && mono_ms() < end;)
        pump(two, 2, NULL, 50, NULL);
    CHECK(client->ups == 0 && client->downs == 1 && client->down_peer == id && client->down_why == why);
    CHECK(strcmp(client->down_name, name) == 0);
    CHECK(st(client)->handshakes_failed == 1 && st(client)->handshakes_ok == 0);
    CHECK(st(client)->peers == 0);
    CHECK(server->ups == server_ups && server->nmsgs == server_msgs);
    CHECK(st(server)->handshakes_failed == before.handshakes_failed + 1);
    CHECK(st(server)->handshakes_ok == before.handshakes_ok);
    CHECK(st(server)->records_in == before.records_in);
    CHECK(st(server)->peers == before.peers);
    CHECK_ERR(tekho_dtls_send(client->ep, id, m, sizeof m), TEKHO_ERR_NOT_CONNECTED);
}

static void test_wrong_credentials(void)
{
    struct node a = {0}, x = {0}, b = {0};
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cx = cert_cfg(&x, 1, "ca2", "bs-x"),
                             cb = cert_cfg(&b, 2, "ca1", "bs-1");
    if (!node_open(&a, "authd", &ca) || !node_open(&x, "bs-x", &cx) || !node_open(&b, "bs-1", &cb))
        goto out;
    refused(&a, &x, "authd", 3000, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED); /* another CA */
    refused(&a, &b, "authd2", 3000, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED); /* the right CA, another name */
    node_free(&a);
    node_free(&x);
    node_free(&b);

    /* PSK: a wrong key (the Finished never verifies: the handshake runs out
     * of time), an unknown identity, a server that is not the one expected. */
    uint8_t wrong[32];
    CHECK_ERR(tekho_creds_random_psk(wrong, sizeof wrong), TEKHO_OK);
    struct node s = {0}, p = {0}, q = {0}, r = {0};
    struct tekho_dtls_config cs = psk_server_cfg(&s, AF_INET), cp = psk_cfg(&p, AF_INET, "bs-1", wrong, sizeof wrong),
                             cq = psk_cfg(&q, AF_INET, "bs-unknown", wrong, sizeof wrong),
                             cr = psk_cfg(&r, AF_INET, "bs-2", psk_b2, sizeof psk_b2);
    cs.handshake_timeout_ms = cp.handshake_timeout_ms = 1000;
    if (node_open(&s, "authd", &cs) && node_open(&p, "bs-1", &cp) && node_open(&q, "bs-unknown", &cq) &&
        node_open(&r, "bs-2", &cr)) {
        refused(&s, &p, "authd", 4000, TEKHO_DTLS_DOWN_TIMEOUT);
        CHECK(st(&p)->handshake_timeouts == 1);
        CHECK(st(&s)->handshake_timeouts == 1);
        refused(&s, &q, "authd", 3000, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED);
        refused(&s, &r, "authd-2", 3000, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED);
        CHECK(st(&s)->handshakes_ok == 0 && st(&s)->handshakes_failed == 3);
    }
    node_free(&s);
    node_free(&p);
    node_free(&q);
    node_free(&r);
    return;
out:
    node_free(&a);
    node_free(&x);
    node_free(&b);
}

/* ---- 4. the cookie exchange and the half-open cap -------------------------------------- */

static int udp_socket(struct sockaddr_storage *ss, socklen_t *len)
{
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    *len = sizeof *ss;
    CHECK(getsockname(fd, (struct sockaddr *)ss, len) == 0);
    return fd;
}

static void test_cookie_and_cap(void)
{
    struct node a = {0}, b = {0}, d = {0}, cl[8];
    memset(cl, 0, sizeof cl);
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1"),
                             cd = cert_cfg(&d, 2, "ca1", "bs-2");
    ca.max_half_open = 4;
    ca.handshake_timeout_ms = 800;
    struct sockaddr_storage raw_addr, aa;
    socklen_t raw_len;
    const int raw = udp_socket(&raw_addr, &raw_len);
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !node_open(&d, "bs-2", &cd))
        goto out;
    const socklen_t aal = addr_of(&a, &aa);

    /* A real ClientHello without a cookie, caught on a plain socket, sent
     * 100 times: 100 HelloVerifyRequests back, no state. */
    (void)connect_to(&d, &raw_addr, raw_len, "authd");
    uint8_t hello[1500];
    CHECK(wait_readable(raw, 2000));
    const ssize_t hn = recv(raw, hello, sizeof hello, 0);
    CHECK(hn > 60 && hello[0] == 22 && hello[13] == 1); /* handshake record, client_hello */
    for (int i = 0; i < 100 && hn > 0; i++)
        CHECK(sendto(raw, hello, (size_t)hn, 0, (struct sockaddr *)&aa, aal) == hn);
    CHECK_ERR(tekho_dtls_on_readable(a.ep), TEKHO_OK);
    CHECK(st(&a)->datagrams_in == 100 && st(&a)->cookie_exchanges == 100);
    CHECK(st(&a)->peers == 0 && st(&a)->garbage_dropped == 0 && st(&a)->handshakes_started == 0);
    int hvr = 0;
    uint8_t back[1500];
    for (ssize_t n; (n = recv(raw, back, sizeof back, 0)) > 0;)
        hvr += n > 25 && back[0] == 22 && back[13] == 3; /* hello_verify_request */
    CHECK(hvr == 100);

    /* Step by step with a real client: no peer until the cookie returns. */
    (void)connect_node(&b, &a, "authd");
    step(&a);
    CHECK(st(&a)->cookie_exchanges == 101 && st(&a)->peers == 0);
    step(&b);
    step(&a);
    CHECK(st(&a)->peers == 1 && st(&a)->handshakes_started == 1);
    struct node *ab[] = {&a, &b};
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, NULL, 5000, &w));
    const uint64_t to_b = a.up_peer;

    /* Eight more handshakes from eight ports against a cap of four: the
     * clients are driven only through the cookie exchange. */
    for (int i = 0; i < 8; i++) {
        struct tekho_dtls_config c = cert_cfg(&cl[i], 3, "ca1", "bs-2");
        if (!node_open(&cl[i], "bs-2", &c))
            goto out;
        (void)connect_node(&cl[i], &a, "authd");
    }
    for (uint64_t end = mono_ms() + 3000; st(&a)->cookie_exchanges < 109 && mono_ms() < end;)
        step(&a);
    CHECK(st(&a)->cookie_exchanges == 109);
    for (int i = 0; i < 8; i++)
        step(&cl[i]);
    for (uint64_t end = mono_ms() + 3000;
         st(&a)->handshakes_started + st(&a)->half_open_dropped < 9 && mono_ms() < end;)
        step(&a);
    CHECK(st(&a)->handshakes_started == 5 && st(&a)->half_open_dropped == 4);
    CHECK(st(&a)->peers == 5);

    /* The established peer is served all along. */
    uint8_t m[64];
    fill(m, sizeof m, 3);
    CHECK_ERR(tekho_dtls_send(b.ep, b.up_peer, m, sizeof m), TEKHO_OK);
    w = (struct want){.n = {&a}, .msgs = {1}};
    CHECK(pump(ab, 2, NULL, 3000, &w));
    CHECK(a.nmsgs == 1 && msg_is(&a.msgs[0], to_b, "bs-1", m, sizeof m));

    /* The four half-open handshakes run out of time; the peer stays. */
    pump(ab, 2, NULL, 1200, NULL);
    CHECK(st(&a)->peers == 1 && st(&a)->handshake_timeouts == 4 && st(&a)->handshakes_failed == 4);
    CHECK(a.downs == 0); /* the caller never knew them */
    CHECK_ERR(tekho_dtls_send(b.ep, b.up_peer, m, 10), TEKHO_OK);
    w = (struct want){.n = {&a}, .msgs = {2}};
    CHECK(pump(ab, 2, NULL, 3000, &w));
    CHECK(a.nmsgs == 2 && msg_is(&a.msgs[1], to_b, "bs-1", m, 10));

    /* The cookie is bound to the address. A real client's second
     * ClientHello (relayed by hand through the raw socket) sent from
     * another socket gets another HelloVerifyRequest; from the address the
     * cookie was made for, it makes a peer. */
    struct node e = {0};
    struct tekho_dtls_config ce = cert_cfg(&e, 4, "ca1", "bs-2");
    if (!node_open(&e, "bs-2", &ce))
        goto out;
    (void)connect_to(&e, &raw_addr, raw_len, "authd");
    struct sockaddr_storage ea;
    socklen_t eal = sizeof ea;
    uint8_t ch1[1500], hv[1500], ch2[1500];
    CHECK(wait_readable(raw, 2000));
    const ssize_t n1 = recvfrom(raw, ch1, sizeof ch1, 0, (struct sockaddr *)&ea, &eal);
    CHECK(n1 > 0 && sendto(raw, ch1, (size_t)n1, 0, (struct sockaddr *)&aa, aal) == n1);
    step(&a);
    CHECK(wait_readable(raw, 2000));
    const ssize_t nh = recv(raw, hv, sizeof hv, 0);
    CHECK(nh > 25 && hv[13] == 3 && sendto(raw, hv, (size_t)nh, 0, (struct sockaddr *)&ea, eal) == nh);
    step(&e);
    CHECK(wait_readable(raw, 2000));
    const ssize_t n2 = recv(raw, ch2, sizeof ch2, 0);
    CHECK(n2 > n1 && ch2[0] == 22 && ch2[13] == 1); /* the same ClientHello, with the cookie */
    struct sockaddr_storage oa;
    socklen_t oal;
    const int other = udp_socket(&oa, &oal);
    const struct tekho_dtls_stats pre = *st(&a);
    CHECK(n2 > 0 && sendto(other, ch2, (size_t)n2, 0, (struct sockaddr *)&aa, aal) == n2);
    step(&a);
    CHECK(st(&a)->cookie_exchanges == pre.cookie_exchanges + 1);
    CHECK(st(&a)->handshakes_started == pre.handshakes_started && st(&a)->peers == pre.peers);
    CHECK(wait_readable(other, 2000) && recv(other, hv, sizeof hv, 0) > 25 && hv[13] == 3);
    close(other);
    CHECK(n2 > 0 && sendto(raw, ch2, (size_t)n2, 0, (struct sockaddr *)&aa, aal) == n2);
    step(&a);
    CHECK(st(&a)->cookie_exchanges == pre.cookie_exchanges + 1);
    CHECK(st(&a)->handshakes_started == pre.handshakes_started + 1 && st(&a)->peers == pre.peers + 1);
    CHECK(wait_readable(raw, 2000) && recv(raw, hv, sizeof hv, 0) > 100 && hv[0] == 22 &&
          hv[13] == 2); /* ServerHello */
    node_free(&e);
out:
    if (raw >= 0)
        close(raw);
    for (int i = 0; i < 8; i++)
        node_free(&cl[i]);
    node_free(&a);
    node_free(&b);
    node_free(&d);
}

/* ---- 5. garbage ------------------------------------------------------------------------- */

/* Drains a's socket into the endpoint. */
static void drain(struct node *a)
{
    while (wait_readable(tekho_dtls_fd(a->ep), 0))
        CHECK_ERR(tekho_dtls_on_readable(a->ep), TEKHO_OK);
}

static size_t garbage(uint8_t *b, size_t cap, const struct relay *r, unsigned i, size_t mtu)
{
    const unsigned kind = i % 6;
    const unsigned which = r->nrec > 0 ? (unsigned)(rnd() % r->nrec) : 0;
    size_t n;
    switch (kind) {
    case 0: /* random bytes */
        n = 1 + rnd() % mtu;
        for (size_t j = 0; j < n; j++)
            b[j] = (uint8_t)rnd();
        return n;
    case 1: /* a real record, truncated */
        n = r->rec_len[which];
        memcpy(b, r->rec[which], n);
        return 1 + rnd() % (n - 1);
    case 2: /* oversized */
        n = mtu + 1 + rnd() % 400;
        for (size_t j = 0; j < n && j < cap; j++)
            b[j] = (uint8_t)rnd();
        return n < cap ? n : cap;
    case 3: /* a real record with one bit flipped */
    case 4:
        n = r->rec_len[which];
        memcpy(b, r->rec[which], n);
        b[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
        return n;
    default: /* a DTLS 1.2 application-data header over random bytes */
        n = 13 + 1 + rnd() % 500;
        for (size_t j = 0; j < n; j++)
            b[j] = (uint8_t)rnd();
        b[0] = 23;
        b[1] = 0xfe;
        b[2] = 0xfd;
        b[3] = 0;
        b[4] = 1;
        b[11] = (uint8_t)((n - 13) >> 8);
        b[12] = (uint8_t)(n - 13);
        return n;
    }
}

static void test_garbage(void)
{
    struct node a = {0}, b = {0};
    struct relay r;
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1");
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !relay_open(&r, &a))
        goto out;
    struct node *ab[] = {&a, &b};
    struct sockaddr_storage ra, aa;
    const socklen_t ral = relay_addr(&r, &ra), aal = addr_of(&a, &aa);
    r.record = true;
    const uint64_t to_a = connect_to(&b, &ra, ral, "authd");
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    const uint64_t to_b = a.up_peer;
    /* b's first ClientHello, then twenty real application records of b's. */
    static uint8_t hello[1500];
    const size_t hello_len = r.nrec > 0 ? r.rec_len[0] : 0;
    CHECK(hello_len > 60 && r.rec[0][0] == 22 && r.rec[0][13] == 1);
    memcpy(hello, r.rec[0], hello_len);
    r.nrec = 0;
    uint8_t m[300];
    for (int i = 0; i < 20; i++) {
        fill(m, sizeof m, (uint8_t)i);
        CHECK_ERR(tekho_dtls_send(b.ep, to_a, m, 50 + 10 * (size_t)i), TEKHO_OK);
    }
    w = (struct want){.n = {&a}, .msgs = {20}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    r.record = false;
    CHECK(r.nrec == 20);
    if (r.nrec != 20)
        goto out;

    /* 10,000 from a stranger's socket. */
    struct sockaddr_storage ga;
    socklen_t gal;
    const int g = udp_socket(&ga, &gal);
    const struct tekho_dtls_stats before = *st(&a);
    const size_t mtu = TEKHO_DTLS_MTU_DEFAULT;
    static uint8_t buf[2048];
    for (unsigned i = 0; i < 10000; i++) {
        size_t n = garbage(buf, sizeof buf, &r, i, mtu);
        if (i % 100 == 7 && hello_len > 0) {
            /* A real ClientHello and a filler record that ends exactly at
             * the MTU, then one more record: whole DTLS up to the MTU, so
             * only the length gives it away. */
            memcpy(buf, hello, hello_len);
            const size_t fill_len = mtu - hello_len - 13;
            uint8_t *f = buf + hello_len;
            memset(f, 0, mtu + 30 - hello_len);
            f[0] = 22, f[1] = 0xfe, f[2] = 0xfd, f[11] = (uint8_t)(fill_len >> 8), f[12] = (uint8_t)fill_len;
            f += 13 + fill_len;
            f[0] = 22, f[1] = 0xfe, f[2] = 0xfd, f[12] = 17;
            n = mtu + 30;
        }
        CHECK(sendto(g, buf, n, 0, (struct sockaddr *)&aa, aal) == (ssize_t)n);
        if (i % 32 == 31)
            drain(&a);
    }
    drain(&a);
    close(g);
    const struct tekho_dtls_stats *s = st(&a);
    CHECK(s->datagrams_in - before.datagrams_in == 10000);
    CHECK(s->garbage_dropped - before.garbage_dropped == 10000);
    CHECK(s->cookie_exchanges == before.cookie_exchanges && s->peers == 1);
    CHECK(a.nmsgs == 20 && s->records_in == before.records_in);
    printf("test_dtls: 10000 datagrams from a stranger: %llu dropped\n",
           (unsigned long long)(s->garbage_dropped - before.garbage_dropped));

    /* 1,500 from the peer's own address (through the relay's socket):
     * bit-flipped and exact copies of its records, truncated, oversized,
     * random. OpenSSL drops them silently; each one is counted. */
    const struct tekho_dtls_stats mid = *st(&a);
    unsigned sent = 0;
    for (unsigned i = 0; i < 1500; i++) {
        size_t n;
        if (i < 1000) { /* one bit flipped */
            const unsigned k = (unsigned)(rnd() % r.nrec);
            n = r.rec_len[k];
            memcpy(buf, r.rec[k], n);
            buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
        } else if (i < 1200) { /* replayed */
            n = r.rec_len[i % r.nrec];
            memcpy(buf, r.rec[i % r.nrec], n);
        } else {
            n = garbage(buf, sizeof buf, &r, i, mtu);
        }
        CHECK(sendto(r.fd, buf, n, 0, (struct sockaddr *)&aa, aal) == (ssize_t)n);
        sent++;
        if (i % 32 == 31)
            drain(&a);
    }
    drain(&a);
    s = st(&a);
    CHECK(s->datagrams_in - mid.datagrams_in == sent);
    CHECK(s->garbage_dropped - mid.garbage_dropped == sent);
    CHECK(a.nmsgs == 20 && s->records_in == mid.records_in && s->peers == 1 && a.downs == 0);
    printf("test_dtls: %u datagrams from the peer's address: %llu dropped\n", sent,
           (unsigned long long)(s->garbage_dropped - mid.garbage_dropped));

    /* The session still works both ways. */
    fill(m, sizeof m, 77);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, m, sizeof m), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(a.ep, to_b, m, 33), TEKHO_OK);
    w = (struct want){.n = {&a, &b}, .msgs = {21, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    CHECK(a.nmsgs == 21 && msg_is(&a.msgs[20], to_b, "bs-1", m, sizeof m));
    CHECK(b.nmsgs == 1 && msg_is(&b.msgs[0], to_a, "authd", m, 33));
    /* Everything a delivered is what b sent. */
    for (size_t i = 0; i < 20 && a.nmsgs >= 20; i++) {
        fill(m, sizeof m, (uint8_t)i);
        CHECK(msg_is(&a.msgs[i], to_b, "bs-1", m, 50 + 10 * i));
    }

    /* Garbage from the peer's address during a handshake (10 datagrams
     * before every turn of the loop): the handshake completes. */
    CHECK_ERR(tekho_dtls_close(b.ep, to_a), TEKHO_OK);
    w = (struct want){.n = {&a}, .downs = {1}};
    CHECK(pump(ab, 2, &r, 3000, &w));
    const uint64_t again = connect_to(&b, &ra, ral, "authd");
    unsigned injected = 0;
    for (uint64_t end = mono_ms() + 5000; (a.ups < 2 || b.ups < 2) && mono_ms() < end;) {
        for (unsigned i = 0; i < 10; i++, injected++) {
            const size_t n = garbage(buf, sizeof buf, &r, injected, mtu);
            CHECK(sendto(r.fd, buf, n, 0, (struct sockaddr *)&aa, aal) == (ssize_t)n);
        }
        tick(ab, 2, &r, 0);
    }
    CHECK(a.ups == 2 && b.ups == 2 && b.up_peer == again && strcmp(a.up_name, "bs-1") == 0);
    CHECK(injected >= 30);
    CHECK_ERR(tekho_dtls_send(b.ep, again, m, 99), TEKHO_OK);
    w = (struct want){.n = {&a}, .msgs = {22}};
    CHECK(pump(ab, 2, &r, 3000, &w));
    CHECK(a.nmsgs == 22 && msg_is(&a.msgs[21], a.up_peer, "bs-1", m, 99));
    printf("test_dtls: handshake completed through %u garbage datagrams\n", injected);
out:
    if (r.fd > 0)
        close(r.fd);
    node_free(&a);
    node_free(&b);
}

/* ---- 6. the key log --------------------------------------------------------------------- */

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static unsigned dir_entries(void)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- a pcap of the relay's datagrams, for tshark ---------------------------------------- */

static void put32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f);
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)h[i] << 8 | h[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* LINKTYPE_RAW IPv4/UDP records (the relay runs on 127.0.0.1). */
static void pcap_record(FILE *f, const struct sockaddr_storage *from, const struct sockaddr_storage *to,
                        const uint8_t *b, size_t n)
{
    const struct sockaddr_in *s = (const struct sockaddr_in *)from, *d = (const struct sockaddr_in *)to;
    uint8_t h[28] = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17};
    const size_t total = 28 + n;
    h[2] = (uint8_t)(total >> 8);
    h[3] = (uint8_t)total;
    memcpy(h + 12, &s->sin_addr, 4);
    memcpy(h + 16, &d->sin_addr, 4);
    const uint16_t c = ip_checksum(h, 20);
    h[10] = (uint8_t)(c >> 8);
    h[11] = (uint8_t)c;
    memcpy(h + 20, &s->sin_port, 2);
    memcpy(h + 22, &d->sin_port, 2);
    h[24] = (uint8_t)((8 + n) >> 8);
    h[25] = (uint8_t)(8 + n);
    static uint32_t t;
    put32(f, 1700000000u);
    put32(f, t++);
    put32(f, (uint32_t)total);
    put32(f, (uint32_t)total);
    fwrite(h, 1, sizeof h, f);
    fwrite(b, 1, n, f);
}

/* Runs argv with stdout into out (cap bytes); returns the exit status or -1. */
static int run(char *const argv[], char *out, size_t cap)
{
    char outp[300];
    path(outp, sizeof outp, "tshark.out");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    const int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    FILE *f = fopen(outp, "r");
    size_t n = f != NULL ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f != NULL)
        fclose(f);
    return WEXITSTATUS(status);
}

static bool have_tshark(void)
{
    char out[256];
    char *const argv[] = {"tshark", "--version", NULL};
    return run(argv, out, sizeof out) == 0;
}

static void test_keylog(void)
{
    struct node a = {0}, b = {0};
    struct relay r;
    char keylog[300], envlog[300], pcap[300];
    path(keylog, sizeof keylog, "keys.log");
    path(envlog, sizeof envlog, "sslkeylogfile.log");
    path(pcap, sizeof pcap, "backbone.pcap");
    setenv("SSLKEYLOGFILE", envlog, 1); /* must not matter: only cfg->keylog_file writes keys */
    const unsigned entries = dir_entries();
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1");
    ca.keylog_file = keylog;
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !relay_open(&r, &a))
        goto out;
    CHECK(dir_entries() == entries + 1); /* keys.log, empty so far */
    CHECK(mode_of("keys.log") == 0600);
    r.record = true;
    r.pcap = fopen(pcap, "wb");
    if (r.pcap != NULL) {
        const uint32_t hdr[] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 101 /* LINKTYPE_RAW */};
        fwrite(hdr, sizeof hdr, 1, r.pcap);
    }
    struct node *ab[] = {&a, &b};
    struct sockaddr_storage ra;
    const socklen_t ral = relay_addr(&r, &ra);
    const uint64_t to_a = connect_to(&b, &ra, ral, "authd");
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    static const char secret_msg[] = "tekho-backbone-cleartext-0123456789";
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, (const uint8_t *)secret_msg, sizeof secret_msg - 1), TEKHO_OK);
    w = (struct want){.n = {&a}, .msgs = {1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    if (r.pcap != NULL)
        fclose(r.pcap);
    r.pcap = NULL;

    /* One CLIENT_RANDOM line, for the ClientHello's random (the first
     * datagram b sent; the second ClientHello repeats it). */
    FILE *f = fopen(keylog, "r");
    CHECK(f != NULL);
    char line[512];
    unsigned lines = 0, good = 0;
    char random_hex[65] = "";
    for (unsigned i = 0; i < 32 && r.nrec > 0; i++)
        snprintf(random_hex + 2 * i, 3, "%02x", r.rec[0][13 + 12 + 2 + i]);
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        lines++;
        const size_t n = strlen(line);
        if (n == 14 + 64 + 1 + 96 + 1 && strncmp(line, "CLIENT_RANDOM ", 14) == 0 && is_hex(line + 14, 64) &&
            line[78] == ' ' && is_hex(line + 79, 96) && line[175] == '\n')
            good++;
        CHECK(strncmp(line + 14, random_hex, 64) == 0); /* OpenSSL writes lower case */
    }
    if (f != NULL)
        fclose(f);
    CHECK(lines == 1 && good == 1);
    CHECK(access(envlog, F_OK) != 0);
    CHECK(dir_entries() == entries + 2); /* keys.log and the capture */

    /* Wireshark decrypts the backbone with it. */
    if (!have_tshark()) {
        printf("test_dtls: no tshark, decryption by Wireshark not checked\n");
    } else {
        char opt_keylog[400], opt_port[64], out[4096];
        snprintf(opt_keylog, sizeof opt_keylog, "tls.keylog_file:%s", keylog);
        snprintf(opt_port, sizeof opt_port, "udp.port==%u", (unsigned)ntohs(((struct sockaddr_in *)&ra)->sin_port));
        char dtls_port[80];
        snprintf(dtls_port, sizeof dtls_port, "%s,dtls", opt_port);
        /* the application record's plaintext, in hex: with the key log, and
         * (nothing) without it */
        char *const argv[] = {"tshark", "-n", "-r", pcap, "-o", opt_keylog, "-d", dtls_port, "-Y", "dtls.app_data",
                              "-T", "fields", "-e", "data.data", NULL};
        char *const blind[] = {"tshark", "-n", "-r", pcap, "-d", dtls_port, "-Y", "dtls.app_data",
                               "-T", "fields", "-e", "data.data", NULL};
        char want[2 * sizeof secret_msg + 2];
        for (size_t i = 0; i + 1 < sizeof secret_msg; i++)
            snprintf(want + 2 * i, 3, "%02x", (unsigned char)secret_msg[i]);
        strcat(want, "\n");
        CHECK(run(argv, out, sizeof out) == 0);
        CHECK(strcmp(out, want) == 0);
        if (strcmp(out, want) != 0)
            fprintf(stderr, "tshark printed: %s\nwanted:         %s", out, want);
        CHECK(run(blind, out, sizeof out) == 0);
        CHECK(strcmp(out, "\n") == 0);
        printf("test_dtls: tshark decrypted the backbone record with the key log\n");
    }
out:
    unsetenv("SSLKEYLOGFILE");
    if (r.fd > 0)
        close(r.fd);
    node_free(&a);
    node_free(&b);
}

/* ---- 7. close, restart, loss, configuration ----------------------------------------------- */

static void test_close(void)
{
    struct node a = {0}, b = {0};
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1");
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb))
        goto out;
    struct node *ab[] = {&a, &b};
    uint64_t to_a = connect_node(&b, &a, "authd");
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, NULL, 5000, &w));
    const uint64_t to_b = a.up_peer;
    CHECK_ERR(tekho_dtls_close(b.ep, to_a), TEKHO_OK);
    CHECK(st(&b)->peers == 0 && b.downs == 0);
    uint8_t m[4] = {9, 9, 9, 9};
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, m, sizeof m), TEKHO_ERR_NOT_CONNECTED);
    CHECK_ERR(tekho_dtls_close(b.ep, to_a), TEKHO_ERR_NOT_CONNECTED);
    w = (struct want){.n = {&a}, .downs = {1}};
    CHECK(pump(ab, 2, NULL, 3000, &w));
    CHECK(a.downs == 1 && a.down_peer == to_b && a.down_why == TEKHO_DTLS_DOWN_CLOSED);
    CHECK(strcmp(a.down_name, "bs-1") == 0);
    CHECK(st(&a)->peers == 0 && tekho_dtls_peer_name(a.ep, to_b) == NULL);

    /* Connect again: a new id on both sides; then a goes away. */
    to_a = connect_node(&b, &a, "authd");
    w = (struct want){.n = {&a, &b}, .ups = {2, 2}};
    CHECK(pump(ab, 2, NULL, 5000, &w));
    CHECK(a.up_peer != to_b && b.up_peer == to_a);
    tekho_dtls_free(a.ep);
    a.ep = NULL;
    struct node *bb[] = {&b};
    w = (struct want){.n = {&b}, .downs = {1}};
    CHECK(pump(bb, 1, NULL, 3000, &w));
    CHECK(b.downs == 1 && b.down_peer == to_a && b.down_why == TEKHO_DTLS_DOWN_CLOSED);
    CHECK(strcmp(b.down_name, "authd") == 0 && st(&b)->peers == 0);
out:
    node_free(&a);
    node_free(&b);
}

/* A node that restarts (no close_notify) reconnects from the same
 * address: the cookie proves the address, the old association goes. A copy
 * of the old ClientHello does not. */
static void test_restart(void)
{
    struct node a = {0}, b = {0}, b2 = {0};
    struct relay r;
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1"),
                             cb2 = cert_cfg(&b2, 2, "ca1", "bs-1");
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !node_open(&b2, "bs-1", &cb2) ||
        !relay_open(&r, &a))
        goto out;
    struct sockaddr_storage ra, aa;
    const socklen_t ral = relay_addr(&r, &ra), aal = addr_of(&a, &aa);
    r.record = true;
    (void)connect_to(&b, &ra, ral, "authd");
    struct node *ab[] = {&a, &b}, *ab2[] = {&a, &b2};
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    const uint64_t old = a.up_peer;
    CHECK(r.nrec >= 2 && r.rec[1][0] == 22 && r.rec[1][13] == 1); /* the ClientHello with the cookie */
    const uint64_t g0 = st(&a)->garbage_dropped;
    if (r.nrec >= 2)
        CHECK(sendto(r.fd, r.rec[1], r.rec_len[1], 0, (struct sockaddr *)&aa, aal) == (ssize_t)r.rec_len[1]);
    drain(&a);
    CHECK(st(&a)->garbage_dropped == g0 + 1 && a.downs == 0 && st(&a)->peers == 1);

    /* b dies silently: its close_notify never reaches a. */
    r.hold = true;
    tekho_dtls_free(b.ep);
    b.ep = NULL;
    CHECK(wait_readable(r.fd, 1000));
    relay_service(&r);
    r.hold = false;
    (void)connect_to(&b2, &ra, ral, "authd");
    w = (struct want){.n = {&a, &b2}, .ups = {2, 1}, .downs = {1, 0}};
    CHECK(pump(ab2, 2, &r, 5000, &w));
    CHECK(a.downs == 1 && a.down_peer == old && a.down_why == TEKHO_DTLS_DOWN_REPLACED);
    CHECK(a.ups == 2 && a.up_peer != old && strcmp(a.up_name, "bs-1") == 0);
    CHECK(st(&a)->peers == 1);
    uint8_t m[10] = {1};
    CHECK_ERR(tekho_dtls_send(b2.ep, b2.up_peer, m, sizeof m), TEKHO_OK);
    w = (struct want){.n = {&a}, .msgs = {1}};
    CHECK(pump(ab2, 2, &r, 3000, &w));
    CHECK(a.nmsgs == 1 && a.msgs[0].peer == a.up_peer);
out:
    if (r.fd > 0)
        close(r.fd);
    node_free(&a);
    node_free(&b);
    node_free(&b2);
}

/* An explicit MTU: certificate flights fragmented to it, nothing longer
 * sent either way, the longest message fits. */
static void test_mtu(void)
{
    struct node a = {0}, b = {0};
    struct relay r;
    struct tekho_dtls_config ca = cert_cfg(&a, 0, "ca1", "authd"), cb = cert_cfg(&b, 1, "ca1", "bs-1");
    ca.mtu = cb.mtu = 576;
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !relay_open(&r, &a))
        goto out;
    const size_t max = tekho_dtls_max_payload(a.ep);
    CHECK(max == 576 - TEKHO_DTLS_RECORD_OVERHEAD);
    struct sockaddr_storage ra;
    const socklen_t ral = relay_addr(&r, &ra);
    const uint64_t to_a = connect_to(&b, &ra, ral, "authd");
    struct node *ab[] = {&a, &b};
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    static uint8_t m[576];
    fill(m, sizeof m, 5);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, m, max), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(a.ep, a.up_peer, m, max), TEKHO_OK);
    CHECK_ERR(tekho_dtls_send(b.ep, to_a, m, max + 1), TEKHO_ERR_MESSAGE_TOO_LONG);
    w = (struct want){.n = {&a, &b}, .msgs = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    CHECK(a.nmsgs == 1 && msg_is(&a.msgs[0], a.up_peer, "bs-1", m, max));
    CHECK(b.nmsgs == 1 && msg_is(&b.msgs[0], to_a, "authd", m, max));
    CHECK(r.longest == 576); /* the full-size records, and never more */
    printf("test_dtls: MTU 576: longest datagram %zu bytes\n", r.longest);
out:
    if (r.fd > 0)
        close(r.fd);
    node_free(&a);
    node_free(&b);
}

/* A client that asks to renegotiate (a plain OpenSSL DTLS client: tekho's
 * endpoints never ask) is refused: no second handshake runs. */
static unsigned int reneg_psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                                 unsigned char *psk, unsigned int max_psk_len)
{
    (void)ssl;
    if (hint == NULL || strcmp(hint, "authd") != 0 || max_identity_len < 5 || max_psk_len < sizeof psk_b1)
        return 0;
    memcpy(identity, "bs-1", 5);
    memcpy(psk, psk_b1, sizeof psk_b1);
    return sizeof psk_b1;
}

static void test_no_renegotiation(void)
{
    struct node a = {0};
    struct tekho_dtls_config ca = psk_server_cfg(&a, AF_INET);
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    SSL *ssl = NULL;
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (!node_open(&a, "authd", &ca) || ctx == NULL || fd < 0)
        goto out;
    struct sockaddr_storage aa;
    const socklen_t aal = addr_of(&a, &aa);
    CHECK(connect(fd, (struct sockaddr *)&aa, aal) == 0);
    CHECK(SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1);
    CHECK(SSL_CTX_set_cipher_list(ctx, "ECDHE-PSK-CHACHA20-POLY1305") == 1);
    SSL_CTX_set_psk_client_callback(ctx, reneg_psk_cb);
    ssl = SSL_new(ctx);
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    CHECK(ssl != NULL && bio != NULL);
    if (ssl == NULL || bio == NULL)
        goto out;
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &aa);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_connect_state(ssl);
    struct node *aa1[] = {&a};
    int r = 0;
    for (uint64_t end = mono_ms() + 5000; (r = SSL_do_handshake(ssl)) != 1 && mono_ms() < end;) {
        pump(aa1, 1, NULL, 5, NULL);
        (void)DTLSv1_handle_timeout(ssl);
    }
    CHECK(r == 1 && a.ups == 1 && strcmp(a.up_name, "bs-1") == 0);
    CHECK(SSL_renegotiate(ssl) == 1);
    int e = 0;
    for (uint64_t end = mono_ms() + 3000; mono_ms() < end;) {
        uint8_t buf[64];
        ERR_clear_error();
        r = SSL_read(ssl, buf, sizeof buf); /* drives the renegotiation */
        e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            break;
        pump(aa1, 1, NULL, 5, NULL);
        (void)DTLSv1_handle_timeout(ssl);
    }
    /* the client gives up on a no_renegotiation alert; the endpoint never
     * ran a second handshake */
    CHECK(e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_NO_RENEGOTIATION);
    ERR_clear_error();
    pump(aa1, 1, NULL, 200, NULL);
    CHECK(st(&a)->handshakes_ok == 1 && a.ups == 1 && a.nmsgs == 0);
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    node_free(&a);
}

/* A plain OpenSSL DTLS server (no cookie exchange) that asks tekho's
 * endpoint, its client, to renegotiate: the endpoint answers with a
 * no_renegotiation alert (SSL_OP_NO_RENEGOTIATION; OpenSSL 3 servers
 * refuse clients by default, as the test above shows) and the
 * renegotiation never happens. */
static unsigned int reneg_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    (void)ssl;
    if (strcmp(identity, "bs-1") != 0 || max_psk_len < sizeof psk_b1)
        return 0;
    memcpy(psk, psk_b1, sizeof psk_b1);
    return sizeof psk_b1;
}

static void test_no_renegotiation_as_client(void)
{
    struct node b = {0};
    struct tekho_dtls_config cb = psk_cfg(&b, AF_INET, "bs-1", psk_b1, sizeof psk_b1);
    SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
    SSL *ssl = NULL;
    struct sockaddr_storage sa;
    socklen_t sal = 0;
    const int fd = udp_socket(&sa, &sal);
    if (!node_open(&b, "bs-1", &cb) || ctx == NULL || fd < 0)
        goto out;
    CHECK(SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1);
    CHECK(SSL_CTX_set_cipher_list(ctx, "ECDHE-PSK-CHACHA20-POLY1305") == 1);
    CHECK(SSL_CTX_use_psk_identity_hint(ctx, "authd") == 1);
    SSL_CTX_set_psk_server_callback(ctx, reneg_server_cb);
    ssl = SSL_new(ctx);
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    CHECK(ssl != NULL && bio != NULL);
    if (ssl == NULL || bio == NULL)
        goto out;
    SSL_set_bio(ssl, bio, bio);
    SSL_set_accept_state(ssl);
    (void)connect_to(&b, &sa, sal, "authd");
    struct node *bb[] = {&b};
    int r = 0;
    for (uint64_t end = mono_ms() + 5000; (r = SSL_do_handshake(ssl)) != 1 && mono_ms() < end;)
        pump(bb, 1, NULL, 5, NULL);
    struct want w = {.n = {&b}, .ups = {1}};
    CHECK(r == 1 && pump(bb, 1, NULL, 3000, &w) && strcmp(b.up_name, "authd") == 0);
    CHECK(SSL_renegotiate(ssl) == 1);
    CHECK(SSL_do_handshake(ssl) == 1); /* sends the HelloRequest */
    const uint64_t out0 = st(&b)->datagrams_out;
    for (uint64_t end = mono_ms() + 1000; mono_ms() < end && SSL_renegotiate_pending(ssl);) {
        pump(bb, 1, NULL, 5, NULL);
        uint8_t buf[64];
        ERR_clear_error();
        r = SSL_read(ssl, buf, sizeof buf); /* a ClientHello would renegotiate here */
        const int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            break;
    }
    ERR_clear_error();
    CHECK(SSL_renegotiate_pending(ssl) == 1);   /* never renegotiated */
    CHECK(st(&b)->datagrams_out == out0 + 1); /* the no_renegotiation alert */
    CHECK(st(&b)->handshakes_ok == 1 && b.ups == 1 && b.nmsgs == 0);
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    node_free(&b);
}

/* On the daemons' event loop (src/daemon/loop.h): the endpoint's socket
 * watched level-triggered, one loop timer per endpoint re-armed at
 * now + tekho_dtls_next_timeout_us after every call into it. The relay
 * loses the first HelloVerifyRequest, so the handshake needs the timer. */
struct on_loop;
struct loop_slot {
    struct on_loop *o;
    int i;
};
struct on_loop {
    struct tekho_loop *loop;
    struct node *n[2];
    struct relay *r;
    struct loop_slot slot[2];
    uint64_t timer[2];
    unsigned timeouts;
    size_t want;
};

static void loop_dtls_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx);

static void loop_arm(struct on_loop *o, int i)
{
    tekho_loop_timer_cancel(o->loop, o->timer[i]);
    o->timer[i] = 0;
    const uint64_t t = tekho_dtls_next_timeout_us(o->n[i]->ep);
    if (t != UINT64_MAX)
        CHECK_ERR(tekho_loop_timer_at(o->loop, tekho_loop_now_us(o->loop) + t, loop_dtls_timer, &o->slot[i],
                                      &o->timer[i]),
                  TEKHO_OK);
    if (o->n[0]->nmsgs >= o->want)
        tekho_loop_stop(o->loop);
}

static void loop_dtls_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    (void)late_us;
    struct loop_slot *s = ctx;
    s->o->timer[s->i] = 0;
    s->o->timeouts++;
    CHECK_ERR(tekho_dtls_on_timeout(s->o->n[s->i]->ep), TEKHO_OK);
    loop_arm(s->o, s->i);
}

static void loop_dtls_readable(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct loop_slot *s = ctx;
    CHECK_ERR(tekho_dtls_on_readable(s->o->n[s->i]->ep), TEKHO_OK);
    loop_arm(s->o, s->i);
}

static void loop_relay_readable(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)loop;
    (void)fd;
    (void)events;
    relay_service(ctx);
}

static void loop_deadline(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    *(bool *)ctx = true;
    tekho_loop_stop(loop);
}

static void test_on_event_loop(void)
{
    struct node a = {0}, b = {0};
    struct relay r;
    struct tekho_loop *loop = NULL;
    struct tekho_dtls_config ca = psk_server_cfg(&a, AF_INET),
                             cb = psk_cfg(&b, AF_INET, "bs-1", psk_b1, sizeof psk_b1);
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    if (loop == NULL || !node_open(&a, "authd", &ca) || !node_open(&b, "bs-1", &cb) || !relay_open(&r, &a))
        goto out;
    struct on_loop o = {.loop = loop, .n = {&a, &b}, .r = &r, .want = 3};
    r.drop_to_client = 1;
    for (int i = 0; i < 2; i++) {
        o.slot[i] = (struct loop_slot){&o, i};
        CHECK_ERR(tekho_loop_add_fd(loop, tekho_dtls_fd(o.n[i]->ep), EPOLLIN, loop_dtls_readable, &o.slot[i]),
                  TEKHO_OK);
    }
    CHECK_ERR(tekho_loop_add_fd(loop, r.fd, EPOLLIN, loop_relay_readable, &r), TEKHO_OK);
    struct sockaddr_storage ra;
    const socklen_t ral = relay_addr(&r, &ra);
    const uint64_t to_a = connect_to(&b, &ra, ral, "authd");
    uint8_t m[3][40];
    for (int i = 0; i < 3; i++) {
        fill(m[i], sizeof m[i], (uint8_t)(10 * i));
        CHECK_ERR(tekho_dtls_send(b.ep, to_a, m[i], sizeof m[i]), TEKHO_OK); /* queued */
    }
    loop_arm(&o, 0);
    loop_arm(&o, 1);
    bool late = false;
    uint64_t guard = 0;
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop) + 5000000u, loop_deadline, &late, &guard), TEKHO_OK);
    CHECK_ERR(tekho_loop_run(loop), TEKHO_OK);
    CHECK(!late);
    CHECK(r.drop_to_client == 0 && o.timeouts >= 1); /* the lost HelloVerifyRequest: a retransmission */
    CHECK(a.ups == 1 && b.ups == 1 && a.nmsgs == 3);
    for (int i = 0; i < 3 && a.nmsgs == 3; i++)
        CHECK(msg_is(&a.msgs[i], a.up_peer, "bs-1", m[i], sizeof m[i]));
    printf("test_dtls: on tekho_loop: up and 3 messages after %u timer firings\n", o.timeouts);
    for (int i = 0; i < 2; i++) {
        tekho_loop_timer_cancel(loop, o.timer[i]);
        CHECK_ERR(tekho_loop_del_fd(loop, tekho_dtls_fd(o.n[i]->ep)), TEKHO_OK);
    }
    CHECK_ERR(tekho_loop_del_fd(loop, r.fd), TEKHO_OK);
out:
    if (r.fd > 0)
        close(r.fd);
    tekho_loop_free(loop);
    node_free(&a);
    node_free(&b);
}

/* Lost datagrams: the retransmission timers on the loop recover. */
static void test_retransmit(void)
{
    struct node a = {0}, b = {0};
    struct relay r;
    struct tekho_dtls_config ca = psk_server_cfg(&a, AF_INET),
                             cb = psk_cfg(&b, AF_INET, "bs-2", psk_b2, sizeof psk_b2);
    if (!node_open(&a, "authd", &ca) || !node_open(&b, "bs-2", &cb) || !relay_open(&r, &a))
        goto out;
    r.drop_to_client = 2; /* the HelloVerifyRequest, then the retransmitted one */
    r.drop_to_server = 0;
    struct sockaddr_storage ra;
    const socklen_t ral = relay_addr(&r, &ra);
    (void)connect_to(&b, &ra, ral, "authd");
    struct node *ab[] = {&a, &b};
    const uint64_t t0 = mono_ms();
    struct want w = {.n = {&a, &b}, .ups = {1, 1}};
    CHECK(pump(ab, 2, &r, 5000, &w));
    const uint64_t took = mono_ms() - t0;
    CHECK(r.drop_to_client == 0);
    CHECK(took >= 250); /* 100 ms, then 200 ms */
    CHECK(st(&a)->cookie_exchanges == 3 && st(&b)->handshakes_ok == 1);
    printf("test_dtls: handshake with two datagrams lost: %llu ms\n", (unsigned long long)took);
out:
    if (r.fd > 0)
        close(r.fd);
    node_free(&a);
    node_free(&b);
}

static void test_config_errors(void)
{
    struct node n = {0};
    char msg[512];
    struct tekho_dtls *ep = NULL;
    struct tekho_dtls_config c = cert_cfg(&n, 0, "ca1", "authd");
    c.mtu = 100;
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_INVALID_ARGUMENT);
    c = cert_cfg(&n, 0, "ca1", "authd");
    c.auth = 0;
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_INVALID_ARGUMENT);
    /* a node certificate of another CA */
    c = cert_cfg(&n, 0, "ca1", "bs-x");
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    CHECK(strstr(msg, "does not verify") != NULL);
    /* the key of another node */
    c = cert_cfg(&n, 0, "ca1", "authd");
    c.key_file = paths[1][2];
    path(paths[1][2], sizeof paths[1][2], "bs-1.key");
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    /* a key file others may read */
    c = cert_cfg(&n, 0, "ca1", "authd");
    CHECK(chmod(c.key_file, 0644) == 0);
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    CHECK(strstr(msg, "chmod 600") != NULL);
    CHECK(chmod(c.key_file, 0600) == 0);
    /* missing files */
    c.ca_file = "/nonexistent/ca.pem";
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    /* a key log others may read */
    c = cert_cfg(&n, 0, "ca1", "authd");
    char kl[300];
    path(kl, sizeof kl, "open.log");
    const int fd = open(kl, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0 && fchmod(fd, 0644) == 0);
    if (fd >= 0)
        close(fd);
    c.keylog_file = kl;
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_IO);
    unlink(kl);
    /* PSKs: too short, a bad identity, a bad table entry */
    uint8_t k[8] = {0};
    c = psk_cfg(&n, AF_INET, "bs-1", k, sizeof k);
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    c = psk_cfg(&n, AF_INET, "bs 1", psk_b1, sizeof psk_b1);
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_INVALID_ARGUMENT);
    const struct tekho_dtls_psk_entry bad[] = {{"bs-1", k, sizeof k}};
    c = psk_cfg(&n, AF_INET, "authd", psk_a, sizeof psk_a);
    c.psk_table = bad;
    c.psk_table_len = 1;
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_ERR_CREDENTIALS);
    /* a port in use */
    c = psk_cfg(&n, AF_INET, "authd", psk_a, sizeof psk_a);
    CHECK_ERR(tekho_dtls_new(&c, &ep, msg, sizeof msg), TEKHO_OK);
    struct sockaddr_storage used;
    socklen_t used_len = 0;
    if (ep != NULL)
        CHECK_ERR(tekho_dtls_local_addr(ep, &used, &used_len), TEKHO_OK);
    struct tekho_dtls *ep2 = NULL;
    memcpy(&c.bind_addr, &used, used_len);
    CHECK_ERR(tekho_dtls_new(&c, &ep2, msg, sizeof msg), TEKHO_ERR_SOCKET);
    CHECK(ep2 == NULL);
    /* connect: a bad name, a foreign family */
    uint64_t id = 0;
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT, .sin6_port = htons(9)};
    CHECK_ERR(tekho_dtls_connect(ep, (struct sockaddr *)&used, used_len, "bad name", &id), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_dtls_connect(ep, (struct sockaddr *)&v6, sizeof v6, "authd", &id), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(tekho_dtls_down_name(TEKHO_DTLS_DOWN_REPLACED), "replaced by a new handshake") == 0);
    CHECK(tekho_dtls_next_timeout_us(ep) == UINT64_MAX);
    tekho_dtls_free(ep);
    tekho_dtls_free(NULL);
}

static void rm_dir(void)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tekho-dtls-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_creds();
    if (test_failures == 0) {
        test_cert_mode();
        test_psk_mode();
        test_ipv6();
        test_wrong_credentials();
        test_cookie_and_cap();
        test_garbage();
        test_keylog();
        test_close();
        test_restart();
        test_retransmit();
        test_mtu();
        test_no_renegotiation();
        test_no_renegotiation_as_client();
        test_on_event_loop();
        test_config_errors();
    }
    if (getenv("TEKHO_TEST_KEEP") != NULL) /* the credentials, key log and capture, to look at */
        printf("test_dtls: kept %s\n", dir);
    else
        rm_dir();
    return test_summary("test_dtls");
}
