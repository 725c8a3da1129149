/* The DTLS 1.2 backbone transport (dtls.h): one UDP socket, many peers,
 * an SSL object per peer over a BIO of our own that reads the datagram
 * being dispatched and writes with sendto to the peer's address. Unknown
 * addresses go through one listening SSL object and DTLSv1_listen, which
 * keeps no state until a ClientHello comes back with a valid cookie. */
#include "dtls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "creds.h"

#define CERT_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256"
#define PSK_CIPHERS "ECDHE-PSK-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256"
#define SIGALGS "ECDSA+SHA256"
#define COOKIE_LEN 32u
#define COOKIE_SECRET_LIFETIME_US (60u * 1000000u)
#define RETRANSMIT_MAX_US (60u * 1000000u)
#define PLAIN_MAX SSL3_RT_MAX_PLAIN_LENGTH
#define RECORD_HEADER 13u     /* type, version, epoch, sequence number, length */
#define HANDSHAKE_HEADER 12u  /* type, length, message_seq, fragment offset and length */
#define CLIENT_RANDOM_LEN 32u
#define MAX_CERT_LIST 16384L  /* the peer's chain, bytes: bounds what a half-open peer makes us hold */
#define VERIFY_DEPTH 4

/* A peer address as bytes without padding: hashed, compared, and the
 * cookie's input. */
struct addr_key {
    uint8_t family; /* 4 or 6 */
    uint8_t port[2];
    uint8_t addr[16];
    uint8_t scope[4];
};

/* What one SSL object's BIO reads from and writes to. */
struct link {
    struct tekho_dtls *ep;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct addr_key key;
    const uint8_t *in; /* the datagram being dispatched to this SSL, or NULL */
    size_t in_len;
    uint64_t writes;   /* datagrams written by this SSL */
};

enum peer_state { PEER_HANDSHAKING, PEER_UP, PEER_DEAD };

struct peer {
    struct link link;
    uint64_t id;
    SSL *ssl;
    enum peer_state state;
    bool client;    /* we connected to it */
    bool reported;  /* the caller knows its id: on_peer_down is owed */
    uint64_t deadline_us;
    char name[TEKHO_DTLS_NAME_MAX + 1];     /* authenticated name (valid once up) */
    char expected[TEKHO_DTLS_NAME_MAX + 1]; /* client side: the name it must prove */
    uint8_t client_random[CLIENT_RANDOM_LEN]; /* server side, once up */
    unsigned nq;
    uint8_t *q[TEKHO_DTLS_QUEUE_MAX];
    size_t qlen[TEKHO_DTLS_QUEUE_MAX];
    struct peer *next;      /* ep->peers, every peer until it is reaped */
    struct peer *addr_next; /* hash chains: live peers only */
    struct peer *id_next;
};

struct psk_node {
    char identity[TEKHO_DTLS_NAME_MAX + 1];
    uint8_t key[TEKHO_DTLS_PSK_MAX];
    size_t key_len;
};

struct tekho_dtls {
    int fd;
    int family;
    enum tekho_dtls_auth auth;
    size_t mtu;
    unsigned max_half_open;
    unsigned max_peers;
    uint64_t handshake_timeout_us;
    unsigned retransmit_us;
    bool client_only;
    size_t min_sealed; /* the shortest protected record: explicit nonce and tag of the suite */
    struct tekho_dtls_callbacks cb;

    SSL_CTX *ctx;
    BIO_METHOD *bio_method;
    SSL *listener; /* for unknown addresses; handed to the peer it creates */
    struct link listen_link;
    BIO_ADDR *listen_client;

    char psk_identity[TEKHO_DTLS_NAME_MAX + 1];
    uint8_t psk_key[TEKHO_DTLS_PSK_MAX];
    size_t psk_key_len;
    struct psk_node *psk_table;
    size_t psk_table_len;
    size_t (*psk_lookup)(void *, const char *, uint8_t *);
    void *psk_lookup_ctx;

    uint8_t cookie_secret[2][COOKIE_LEN]; /* current, previous */
    uint64_t cookie_secret_at_us;

    int keylog_fd;

    struct peer *peers;
    struct peer **by_addr;
    struct peer **by_id;
    size_t bucket_mask;
    uint64_t hash_seed;
    uint64_t next_id;
    unsigned half_open; /* server-side peers handshaking */
    unsigned dead;      /* peers waiting to be reaped */
    unsigned depth;     /* public calls in progress (callbacks may call back in) */

    uint8_t *rx;    /* one datagram, mtu bytes */
    uint8_t *plain; /* one record's plaintext, PLAIN_MAX bytes; wiped after each delivery */
    struct tekho_dtls_stats stats;
};

/* ---- small helpers ------------------------------------------------------------------- */

static void say(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

static const char *ossl_reason(char *buf, size_t cap)
{
    const unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, cap, "no reason given");
    else
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool addr_key_of(const struct sockaddr_storage *ss, socklen_t len, struct addr_key *k)
{
    memset(k, 0, sizeof *k);
    if (ss->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        k->family = 4;
        memcpy(k->port, &sin->sin_port, 2);
        memcpy(k->addr, &sin->sin_addr, 4);
        return true;
    }
    if (ss->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        k->family = 6;
        memcpy(k->port, &sin6->sin6_port, 2);
        memcpy(k->addr, &sin6->sin6_addr, 16);
        memcpy(k->scope, &sin6->sin6_scope_id, 4);
        return true;
    }
    return false;
}

/* FNV-1a under a per-endpoint random seed. Chains stay short whatever the
 * addresses: only max_peers peers are ever in the table. */
static size_t addr_bucket(const struct tekho_dtls *ep, const struct addr_key *k)
{
    uint64_t h = 0xcbf29ce484222325u ^ ep->hash_seed;
    const uint8_t *b = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return (size_t)(h ^ (h >> 29)) & ep->bucket_mask;
}

static struct peer *find_by_addr(const struct tekho_dtls *ep, const struct addr_key *k)
{
    for (struct peer *p = ep->by_addr[addr_bucket(ep, k)]; p != NULL; p = p->addr_next)
        if (memcmp(&p->link.key, k, sizeof *k) == 0)
            return p;
    return NULL;
}

static struct peer *find_by_id(const struct tekho_dtls *ep, uint64_t id)
{
    for (struct peer *p = ep->by_id[id & ep->bucket_mask]; p != NULL; p = p->id_next)
        if (p->id == id)
            return p;
    return NULL;
}

static void tables_insert(struct tekho_dtls *ep, struct peer *p)
{
    const size_t a = addr_bucket(ep, &p->link.key), i = p->id & ep->bucket_mask;
    p->addr_next = ep->by_addr[a];
    ep->by_addr[a] = p;
    p->id_next = ep->by_id[i];
    ep->by_id[i] = p;
    p->next = ep->peers;
    ep->peers = p;
    ep->stats.peers++;
}

static void tables_remove(struct tekho_dtls *ep, struct peer *p)
{
    for (struct peer **pp = &ep->by_addr[addr_bucket(ep, &p->link.key)]; *pp != NULL; pp = &(*pp)->addr_next)
        if (*pp == p) {
            *pp = p->addr_next;
            break;
        }
    for (struct peer **pp = &ep->by_id[p->id & ep->bucket_mask]; *pp != NULL; pp = &(*pp)->id_next)
        if (*pp == p) {
            *pp = p->id_next;
            break;
        }
    p->addr_next = p->id_next = NULL;
}

static void queue_wipe(struct peer *p)
{
    for (unsigned i = 0; i < p->nq; i++) {
        OPENSSL_cleanse(p->q[i], p->qlen[i]);
        free(p->q[i]);
        p->q[i] = NULL;
    }
    p->nq = 0;
}

static void peer_free(struct peer *p)
{
    SSL_free(p->ssl); /* and its BIO */
    queue_wipe(p);
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
}

/* The peer is gone: out of the tables at once (its address goes back to
 * the cookie path, its id is dead), freed when the outermost public call
 * returns, so that a callback may close the peer it was called for. */
static void peer_down(struct tekho_dtls *ep, struct peer *p, enum tekho_dtls_down why, bool notify)
{
    if (p->state == PEER_DEAD)
        return;
    if (p->state == PEER_HANDSHAKING && !p->client)
        ep->half_open--;
    tables_remove(ep, p);
    p->state = PEER_DEAD;
    ep->stats.peers--;
    ep->dead++;
    queue_wipe(p);
    if (notify && p->reported && ep->cb.on_peer_down != NULL)
        ep->cb.on_peer_down(ep->cb.ctx, p->id, p->name[0] != '\0' ? p->name : p->expected, why);
}

static void reap(struct tekho_dtls *ep)
{
    for (struct peer **pp = &ep->peers; *pp != NULL;) {
        struct peer *p = *pp;
        if (p->state == PEER_DEAD) {
            *pp = p->next;
            peer_free(p);
        } else {
            pp = &p->next;
        }
    }
    ep->dead = 0;
}

static void enter(struct tekho_dtls *ep)
{
    ep->depth++;
}

static void leave(struct tekho_dtls *ep)
{
    if (--ep->depth == 0 && ep->dead > 0)
        reap(ep);
}

/* ---- the BIO: one datagram in, sendto out ----------------------------------------------- */

static int bio_write(BIO *b, const char *data, int len)
{
    struct link *l = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (l == NULL || len < 0)
        return -1;
    l->writes++;
    ssize_t n;
    do {
        n = sendto(l->ep->fd, data, (size_t)len, 0, (const struct sockaddr *)&l->addr, l->addr_len);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        l->ep->stats.datagrams_out++;
    else
        l->ep->stats.send_errors++;
    /* A datagram that could not leave is lost, as on the wire: DTLS
     * retransmits handshake flights, and the protocol above deals with a
     * lost message. Reporting a retry instead would wedge SSL_write. */
    return len;
}

static int bio_read(BIO *b, char *out, int cap)
{
    struct link *l = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (l == NULL || l->in == NULL || cap < 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    const size_t n = l->in_len < (size_t)cap ? l->in_len : (size_t)cap;
    memcpy(out, l->in, n);
    l->in = NULL;
    l->in_len = 0;
    return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    const struct link *l = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return l != NULL ? (long)l->ep->mtu : 0;
    default: /* GET_MTU_OVERHEAD 0: cfg->mtu is the UDP payload; PENDING 0; GET_PEER unsupported */
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_data(b, NULL);
    BIO_set_init(b, 1);
    return 1;
}

static int bio_destroy(BIO *b)
{
    if (b != NULL)
        BIO_set_data(b, NULL);
    return 1;
}

/* ---- OpenSSL callbacks -------------------------------------------------------------------- */

static struct tekho_dtls *ep_of(const SSL *ssl)
{
    return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

/* First retransmission after retransmit_ms, then doubling to 60 s. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
    const struct tekho_dtls *ep = ep_of(ssl);
    if (timer_us == 0)
        return ep->retransmit_us;
    return timer_us >= RETRANSMIT_MAX_US / 2 ? RETRANSMIT_MAX_US : 2 * timer_us;
}

static void cookie_secret_maybe_renew(struct tekho_dtls *ep)
{
    const uint64_t now = now_us();
    if (now - ep->cookie_secret_at_us < COOKIE_SECRET_LIFETIME_US)
        return;
    uint8_t fresh[COOKIE_LEN];
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return; /* keep the secrets we have */
    memcpy(ep->cookie_secret[1], ep->cookie_secret[0], COOKIE_LEN);
    memcpy(ep->cookie_secret[0], fresh, COOKIE_LEN);
    OPENSSL_cleanse(fresh, sizeof fresh);
    ep->cookie_secret_at_us = now;
}

static bool cookie_of(const uint8_t secret[COOKIE_LEN], const struct addr_key *k, uint8_t out[COOKIE_LEN])
{
    size_t n = 0;
    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, COOKIE_LEN, (const unsigned char *)k, sizeof *k,
                     out, COOKIE_LEN, &n) != NULL &&
           n == COOKIE_LEN;
}

static int cookie_generate_cb(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    const struct link *l = BIO_get_data(SSL_get_rbio(ssl));
    if (l == NULL)
        return 0;
    cookie_secret_maybe_renew(l->ep);
    if (!cookie_of(l->ep->cookie_secret[0], &l->key, cookie))
        return 0;
    *len = COOKIE_LEN;
    return 1;
}

static int cookie_verify_cb(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    const struct link *l = BIO_get_data(SSL_get_rbio(ssl));
    if (l == NULL || len != COOKIE_LEN)
        return 0;
    cookie_secret_maybe_renew(l->ep);
    int ok = 0;
    uint8_t want[COOKIE_LEN];
    for (int i = 0; i < 2 && !ok; i++)
        ok = cookie_of(l->ep->cookie_secret[i], &l->key, want) && CRYPTO_memcmp(want, cookie, COOKIE_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return ok;
}

/* The certificate's name: its one subject CN, a valid peer name. */
static bool cert_name(X509 *cert, char out[TEKHO_DTLS_NAME_MAX + 1])
{
    X509_NAME *subject = X509_get_subject_name(cert);
    const int i = subject != NULL ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (i < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, i) >= 0)
        return false;
    unsigned char *utf8 = NULL;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    bool ok = n > 0 && (unsigned)n <= TEKHO_DTLS_NAME_MAX && memchr(utf8, 0, (size_t)n) == NULL;
    if (ok) {
        memcpy(out, utf8, (size_t)n);
        out[n] = '\0';
        ok = tekho_creds_name_ok(out);
    }
    OPENSSL_free(utf8);
    if (!ok)
        out[0] = '\0';
    return ok;
}

/* Chain checks are OpenSSL's (to the configured CA only); at the leaf the
 * name must be valid and, connecting, the expected one. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct peer *p = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    if (!ok || p == NULL)
        return 0;
    if (X509_STORE_CTX_get_error_depth(xs) != 0)
        return 1;
    char name[TEKHO_DTLS_NAME_MAX + 1];
    if (!cert_name(X509_STORE_CTX_get_current_cert(xs), name)) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (p->client && strcmp(name, p->expected) != 0) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    return 1;
}

/* Client: the server's identity hint is the name it claims; it must be the
 * expected one. Then our identity and key. */
static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                                  unsigned char *psk, unsigned int max_psk_len)
{
    struct peer *p = SSL_get_app_data(ssl);
    const struct tekho_dtls *ep = ep_of(ssl);
    if (p == NULL || !p->client || hint == NULL || strcmp(hint, p->expected) != 0)
        return 0;
    const size_t id_len = strlen(ep->psk_identity);
    if (id_len + 1 > max_identity_len || ep->psk_key_len > max_psk_len)
        return 0;
    memcpy(identity, ep->psk_identity, id_len + 1);
    memcpy(psk, ep->psk_key, ep->psk_key_len);
    return (unsigned int)ep->psk_key_len;
}

/* Server: the client's identity names it; its key from the table, else
 * from psk_lookup. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    const struct peer *p = SSL_get_app_data(ssl);
    const struct tekho_dtls *ep = ep_of(ssl);
    if (p == NULL || p->client || !tekho_creds_name_ok(identity))
        return 0;
    for (size_t i = 0; i < ep->psk_table_len; i++) {
        const struct psk_node *n = &ep->psk_table[i];
        if (strcmp(n->identity, identity) == 0) {
            if (n->key_len > max_psk_len)
                return 0;
            memcpy(psk, n->key, n->key_len);
            return (unsigned int)n->key_len;
        }
    }
    if (ep->psk_lookup == NULL)
        return 0;
    uint8_t key[TEKHO_DTLS_PSK_MAX];
    const size_t n = ep->psk_lookup(ep->psk_lookup_ctx, identity, key);
    unsigned int ret = 0;
    if (n >= TEKHO_DTLS_PSK_MIN && n <= TEKHO_DTLS_PSK_MAX && n <= max_psk_len) {
        memcpy(psk, key, n);
        ret = (unsigned int)n;
    }
    OPENSSL_cleanse(key, sizeof key);
    return ret;
}

/* One NSS key-log line per write(2) on an O_APPEND file. */
static void keylog_cb(const SSL *ssl, const char *line)
{
    const struct tekho_dtls *ep = ep_of(ssl);
    if (ep == NULL || ep->keylog_fd < 0)
        return;
    struct iovec v[2] = {{(void *)(uintptr_t)line, strlen(line)}, {"\n", 1}};
    ssize_t n;
    do {
        n = writev(ep->keylog_fd, v, 2);
    } while (n < 0 && errno == EINTR);
}

/* ---- peers ----------------------------------------------------------------------------- */

static SSL *new_ssl(struct tekho_dtls *ep, struct link *l, bool client)
{
    SSL *ssl = SSL_new(ep->ctx);
    BIO *bio = BIO_new(ep->bio_method);
    if (ssl == NULL || bio == NULL) {
        SSL_free(ssl);
        BIO_free(bio);
        return NULL;
    }
    BIO_set_data(bio, l);
    SSL_set_bio(ssl, bio, bio);
    if (client)
        SSL_set_connect_state(ssl);
    else
        SSL_set_accept_state(ssl);
    DTLS_set_timer_cb(ssl, timer_cb);
    if (DTLS_set_link_mtu(ssl, (long)ep->mtu) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static struct peer *peer_new(struct tekho_dtls *ep, bool client)
{
    struct peer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->id = ++ep->next_id;
    p->client = client;
    p->state = PEER_HANDSHAKING;
    p->deadline_us = now_us() + ep->handshake_timeout_us;
    return p;
}

static void handshake_failed(struct tekho_dtls *ep, struct peer *p, enum tekho_dtls_down why)
{
    ep->stats.handshakes_failed++;
    if (why == TEKHO_DTLS_DOWN_TIMEOUT)
        ep->stats.handshake_timeouts++;
    peer_down(ep, p, why, true);
}

static bool send_record(struct tekho_dtls *ep, struct peer *p, const uint8_t *msg, size_t len)
{
    ERR_clear_error();
    if (SSL_write(p->ssl, msg, (int)len) != (int)len) {
        ERR_clear_error();
        return false;
    }
    ep->stats.records_out++;
    return true;
}

/* The handshake completed: check who it is (the callbacks already refused
 * anything else; this is the last word), then up. */
static void handshake_done(struct tekho_dtls *ep, struct peer *p)
{
    char name[TEKHO_DTLS_NAME_MAX + 1] = "";
    bool ok = SSL_version(p->ssl) == DTLS1_2_VERSION;
    if (ep->auth == TEKHO_DTLS_AUTH_CERT) {
        X509 *cert = SSL_get0_peer_certificate(p->ssl);
        ok = ok && cert != NULL && SSL_get_verify_result(p->ssl) == X509_V_OK && cert_name(cert, name);
    } else if (p->client) {
        snprintf(name, sizeof name, "%s", p->expected); /* psk_client_cb held the hint to it */
    } else {
        const char *id = SSL_get_psk_identity(p->ssl);
        ok = ok && tekho_creds_name_ok(id);
        if (ok)
            snprintf(name, sizeof name, "%s", id);
    }
    ok = ok && (!p->client || strcmp(name, p->expected) == 0);
    if (!ok) {
        ERR_clear_error();
        (void)SSL_shutdown(p->ssl); /* the peer thinks it is up: tell it otherwise */
        ERR_clear_error();
        handshake_failed(ep, p, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED);
        return;
    }
    memcpy(p->name, name, sizeof name);
    if (!p->client) {
        ep->half_open--;
        SSL_get_client_random(p->ssl, p->client_random, CLIENT_RANDOM_LEN);
    }
    p->state = PEER_UP;
    ep->stats.handshakes_ok++;
    for (unsigned i = 0; i < p->nq && p->state == PEER_UP; i++)
        if (!send_record(ep, p, p->q[i], p->qlen[i]))
            peer_down(ep, p, TEKHO_DTLS_DOWN_ERROR, false);
    queue_wipe(p);
    if (p->state != PEER_UP)
        return;
    p->reported = true;
    if (ep->cb.on_peer_up != NULL)
        ep->cb.on_peer_up(ep->cb.ctx, p->id, p->name, (const struct sockaddr *)&p->link.addr, p->link.addr_len);
}

static void handshake_step(struct tekho_dtls *ep, struct peer *p)
{
    ERR_clear_error();
    const int r = SSL_do_handshake(p->ssl);
    if (r == 1) {
        handshake_done(ep, p);
        return;
    }
    const int e = SSL_get_error(p->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return;
    handshake_failed(ep, p, TEKHO_DTLS_DOWN_HANDSHAKE_FAILED);
}

/* Every record OpenSSL has for an established peer; returns how many
 * messages were delivered. */
static unsigned read_records(struct tekho_dtls *ep, struct peer *p)
{
    unsigned got = 0;
    while (p->state == PEER_UP) {
        ERR_clear_error();
        const int r = SSL_read(p->ssl, ep->plain, (int)PLAIN_MAX);
        if (r > 0) {
            got++;
            ep->stats.records_in++;
            if (ep->cb.on_data != NULL)
                ep->cb.on_data(ep->cb.ctx, p->id, p->name, ep->plain, (size_t)r);
            OPENSSL_cleanse(ep->plain, (size_t)r);
            continue;
        }
        const int e = SSL_get_error(p->ssl, r);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        peer_down(ep, p, e == SSL_ERROR_ZERO_RETURN ? TEKHO_DTLS_DOWN_CLOSED : TEKHO_DTLS_DOWN_ERROR, true);
    }
    return got;
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* What the record headers of a datagram say, checked before OpenSSL sees
 * it: every record whole, of a DTLS type and version. */
struct dgram_info {
    bool client_hello;     /* the first record: an initial ClientHello fragment, epoch 0 */
    const uint8_t *random; /* its client random */
    unsigned app_records;
};

static bool parse_records(const uint8_t *b, size_t n, size_t min_sealed, struct dgram_info *info)
{
    memset(info, 0, sizeof *info);
    for (size_t off = 0; off < n;) {
        if (n - off < RECORD_HEADER)
            return false;
        const uint8_t *r = b + off;
        const unsigned type = r[0], epoch = (unsigned)r[3] << 8 | r[4];
        const size_t len = (size_t)r[11] << 8 | r[12];
        if (type < 20 || type > 23 || r[1] != 0xfe || (r[2] != 0xfd && r[2] != 0xff))
            return false; /* change_cipher_spec .. application_data; DTLS 1.2 or 1.0 */
        if (len == 0 || len > n - off - RECORD_HEADER)
            return false;
        /* A protected record too short for the AEAD's nonce and tag is a
         * fatal internal_error in OpenSSL 3, not a silent discard
         * (openssl/openssl#25290): one forged datagram with the peer's
         * source address would end the association. */
        if (epoch != 0 && len < min_sealed)
            return false;
        if (type == 23)
            info->app_records++;
        const uint8_t *h = r + RECORD_HEADER;
        if (off == 0 && type == 22 && epoch == 0 && len >= HANDSHAKE_HEADER + 2 + CLIENT_RANDOM_LEN && h[0] == 1 &&
            h[6] == 0 && h[7] == 0 && h[8] == 0) {
            info->client_hello = true;
            info->random = h + HANDSHAKE_HEADER + 2;
        }
        off += RECORD_HEADER + len;
    }
    return true;
}

/* A datagram from an unknown address (or a ClientHello from a known one):
 * DTLSv1_listen answers without keeping state; a valid cookie makes a
 * server-side peer, within the caps. replace: the established peer at this
 * address, superseded once the cookie proves the address. */
static void cookie_path(struct tekho_dtls *ep, const struct sockaddr_storage *src, socklen_t src_len,
                        const struct addr_key *key, const uint8_t *buf, size_t n, struct peer *replace)
{
    if (ep->listener == NULL && (ep->listener = new_ssl(ep, &ep->listen_link, false)) == NULL) {
        ep->stats.garbage_dropped++; /* out of memory: the client will retransmit */
        return;
    }
    struct link *l = &ep->listen_link;
    memcpy(&l->addr, src, (size_t)src_len);
    l->addr_len = src_len;
    l->key = *key;
    l->in = buf;
    l->in_len = n;
    l->writes = 0;
    ERR_clear_error();
    const int r = DTLSv1_listen(ep->listener, ep->listen_client);
    l->in = NULL;
    l->in_len = 0;
    ERR_clear_error();
    if (r <= 0) {
        if (l->writes > 0)
            ep->stats.cookie_exchanges++;
        else
            ep->stats.garbage_dropped++;
        if (r < 0) { /* start over with a fresh listener */
            SSL_free(ep->listener);
            ep->listener = NULL;
        }
        return;
    }
    SSL *ssl = ep->listener;
    ep->listener = NULL;
    const uint64_t others = ep->stats.peers - (replace != NULL ? 1u : 0u);
    if (ep->half_open >= ep->max_half_open || others >= ep->max_peers) {
        if (ep->half_open >= ep->max_half_open)
            ep->stats.half_open_dropped++;
        else
            ep->stats.peers_refused++;
        SSL_free(ssl);
        return;
    }
    struct peer *p = peer_new(ep, false);
    if (p == NULL) {
        ep->stats.garbage_dropped++;
        SSL_free(ssl);
        return;
    }
    if (replace != NULL)
        peer_down(ep, replace, TEKHO_DTLS_DOWN_REPLACED, true);
    p->link = *l;
    p->link.writes = 0;
    p->ssl = ssl;
    BIO_set_data(SSL_get_rbio(ssl), &p->link);
    SSL_set_app_data(ssl, p);
    tables_insert(ep, p);
    ep->half_open++;
    ep->stats.handshakes_started++;
    handshake_step(ep, p);
}

static void feed_peer(struct tekho_dtls *ep, struct peer *p, const uint8_t *buf, size_t n,
                      const struct dgram_info *info)
{
    const bool was_up = p->state == PEER_UP;
    const uint64_t writes = p->link.writes;
    p->link.in = buf;
    p->link.in_len = n;
    if (p->state == PEER_HANDSHAKING)
        handshake_step(ep, p);
    unsigned got = 0;
    if (p->state == PEER_UP)
        got = read_records(ep, p);
    p->link.in = NULL; /* the peer is not freed before the outermost call returns */
    p->link.in_len = 0;
    /* OpenSSL drops a record that fails its MAC or replays without a
     * word; an established peer's datagram that delivered less than it
     * carried, or left no trace at all, is such a drop. */
    if (was_up && p->state == PEER_UP &&
        (got < info->app_records || (got == 0 && p->link.writes == writes)))
        ep->stats.garbage_dropped++;
}

static void dispatch(struct tekho_dtls *ep, const struct sockaddr_storage *src, socklen_t src_len,
                     const uint8_t *buf, size_t n)
{
    struct addr_key key;
    struct dgram_info info;
    if (!addr_key_of(src, src_len, &key) || !parse_records(buf, n, ep->min_sealed, &info)) {
        ep->stats.garbage_dropped++;
        return;
    }
    struct peer *p = find_by_addr(ep, &key);
    if (p != NULL && info.client_hello) {
        if (p->state == PEER_HANDSHAKING && !p->client) {
            feed_peer(ep, p, buf, n, &info); /* a retransmitted ClientHello */
        } else if (p->state == PEER_UP && !ep->client_only &&
                   (p->client || CRYPTO_memcmp(info.random, p->client_random, CLIENT_RANDOM_LEN) != 0)) {
            cookie_path(ep, src, src_len, &key, buf, n, p); /* a restarted node, if the cookie says so */
        } else {
            /* a copy of the ClientHello that made this association, or
             * both ends connecting to each other at once (unsupported:
             * one end of a pair connects) */
            ep->stats.garbage_dropped++;
        }
        return;
    }
    if (p != NULL) {
        feed_peer(ep, p, buf, n, &info);
        return;
    }
    if (ep->client_only || !info.client_hello) {
        ep->stats.garbage_dropped++;
        return;
    }
    cookie_path(ep, src, src_len, &key, buf, n, NULL);
}

/* ---- the endpoint ---------------------------------------------------------------------- */

static tekho_err load_certificates(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg,
                                   size_t cap)
{
    char why[256];
    if (cfg->ca_file == NULL || cfg->cert_file == NULL || cfg->key_file == NULL) {
        say(msg, cap, "certificate mode needs a CA, a certificate and a key file");
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    tekho_err err = tekho_creds_check_key_file(cfg->key_file, msg, cap);
    if (err != TEKHO_OK)
        return err;
    if (SSL_CTX_load_verify_locations(ep->ctx, cfg->ca_file, NULL) != 1) {
        say(msg, cap, "CA %s: %s", cfg->ca_file, ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    if (SSL_CTX_use_certificate_chain_file(ep->ctx, cfg->cert_file) != 1) {
        say(msg, cap, "certificate %s: %s", cfg->cert_file, ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    if (SSL_CTX_use_PrivateKey_file(ep->ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ep->ctx) != 1) {
        say(msg, cap, "key %s: %s", cfg->key_file, ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    /* Our own certificate: a name peers accept, and a chain to the CA
     * they check it against (an expired or foreign certificate is caught
     * here rather than by every peer). */
    X509 *own = SSL_CTX_get0_certificate(ep->ctx);
    char name[TEKHO_DTLS_NAME_MAX + 1];
    if (own == NULL || !cert_name(own, name)) {
        say(msg, cap, "certificate %s: its subject needs one CN of 1..%u characters of A-Z a-z 0-9 . _ -",
            cfg->cert_file, TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_CREDENTIALS;
    }
    STACK_OF(X509) *chain = NULL;
    X509_STORE_CTX *xs = X509_STORE_CTX_new();
    int ok = xs != NULL && SSL_CTX_get0_chain_certs(ep->ctx, &chain) == 1 &&
             X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(ep->ctx), own, chain) == 1;
    ok = ok && X509_verify_cert(xs) == 1;
    if (!ok) {
        const int e = xs != NULL ? X509_STORE_CTX_get_error(xs) : X509_V_ERR_OUT_OF_MEM;
        say(msg, cap, "certificate %s does not verify against CA %s: %s", cfg->cert_file, cfg->ca_file,
            X509_verify_cert_error_string(e));
        err = TEKHO_ERR_CREDENTIALS;
    }
    X509_STORE_CTX_free(xs);
    ERR_clear_error();
    if (err != TEKHO_OK)
        return err;
    SSL_CTX_set_verify(ep->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_verify_depth(ep->ctx, VERIFY_DEPTH);
    if (SSL_CTX_set_cipher_list(ep->ctx, CERT_CIPHERS) != 1 || SSL_CTX_set1_sigalgs_list(ep->ctx, SIGALGS) != 1 ||
        SSL_CTX_set1_client_sigalgs_list(ep->ctx, SIGALGS) != 1) {
        say(msg, cap, "TLS settings: %s", ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    return TEKHO_OK;
}

static tekho_err load_psk(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap)
{
    char why[256];
    if (!tekho_creds_name_ok(cfg->psk_identity)) {
        say(msg, cap, "PSK identity must be 1..%u characters of A-Z a-z 0-9 . _ -", TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (cfg->psk_key == NULL || cfg->psk_key_len < TEKHO_DTLS_PSK_MIN || cfg->psk_key_len > TEKHO_DTLS_PSK_MAX) {
        say(msg, cap, "PSK of %s: %u to %u bytes", cfg->psk_identity, TEKHO_DTLS_PSK_MIN, TEKHO_DTLS_PSK_MAX);
        return TEKHO_ERR_CREDENTIALS;
    }
    snprintf(ep->psk_identity, sizeof ep->psk_identity, "%s", cfg->psk_identity);
    memcpy(ep->psk_key, cfg->psk_key, cfg->psk_key_len);
    ep->psk_key_len = cfg->psk_key_len;
    if (cfg->psk_table_len > 0) {
        if (cfg->psk_table == NULL)
            return TEKHO_ERR_INVALID_ARGUMENT;
        ep->psk_table = calloc(cfg->psk_table_len, sizeof *ep->psk_table);
        if (ep->psk_table == NULL)
            return TEKHO_ERR_NO_MEMORY;
        ep->psk_table_len = cfg->psk_table_len;
        for (size_t i = 0; i < cfg->psk_table_len; i++) {
            const struct tekho_dtls_psk_entry *e = &cfg->psk_table[i];
            if (!tekho_creds_name_ok(e->identity) || e->key == NULL || e->key_len < TEKHO_DTLS_PSK_MIN ||
                e->key_len > TEKHO_DTLS_PSK_MAX) {
                say(msg, cap, "PSK table entry %zu: identity of 1..%u characters of A-Z a-z 0-9 . _ -, key of %u "
                    "to %u bytes", i, TEKHO_DTLS_NAME_MAX, TEKHO_DTLS_PSK_MIN, TEKHO_DTLS_PSK_MAX);
                return TEKHO_ERR_CREDENTIALS;
            }
            snprintf(ep->psk_table[i].identity, sizeof ep->psk_table[i].identity, "%s", e->identity);
            memcpy(ep->psk_table[i].key, e->key, e->key_len);
            ep->psk_table[i].key_len = e->key_len;
        }
    }
    ep->psk_lookup = cfg->psk_lookup;
    ep->psk_lookup_ctx = cfg->psk_lookup_ctx;
    SSL_CTX_set_psk_client_callback(ep->ctx, psk_client_cb);
    SSL_CTX_set_psk_server_callback(ep->ctx, psk_server_cb);
    if (SSL_CTX_use_psk_identity_hint(ep->ctx, ep->psk_identity) != 1 ||
        SSL_CTX_set_cipher_list(ep->ctx, PSK_CIPHERS) != 1) {
        say(msg, cap, "TLS settings: %s", ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    SSL_CTX_set_verify(ep->ctx, SSL_VERIFY_NONE, NULL);
    return TEKHO_OK;
}

static tekho_err open_keylog(struct tekho_dtls *ep, const char *path, char *msg, size_t cap)
{
    ep->keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (ep->keylog_fd < 0) {
        say(msg, cap, "key log %s: %s", path, strerror(errno));
        return TEKHO_ERR_IO;
    }
    struct stat st;
    if (fstat(ep->keylog_fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        say(msg, cap, "key log %s: not a regular file only its owner may read (chmod 600)", path);
        return TEKHO_ERR_IO;
    }
    SSL_CTX_set_keylog_callback(ep->ctx, keylog_cb);
    return TEKHO_OK;
}

static tekho_err open_socket(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap)
{
    const int family = cfg->bind_addr.ss_family;
    const socklen_t need = family == AF_INET ? (socklen_t)sizeof(struct sockaddr_in)
                                             : (socklen_t)sizeof(struct sockaddr_in6);
    if ((family != AF_INET && family != AF_INET6) || cfg->bind_len < need ||
        cfg->bind_len > (socklen_t)sizeof cfg->bind_addr) {
        say(msg, cap, "bind address: IPv4 or IPv6, with its length");
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    ep->family = family;
    ep->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ep->fd < 0 || bind(ep->fd, (const struct sockaddr *)&cfg->bind_addr, cfg->bind_len) != 0) {
        say(msg, cap, "UDP socket: %s", strerror(errno));
        return TEKHO_ERR_SOCKET;
    }
    return TEKHO_OK;
}

static tekho_err setup_ctx(struct tekho_dtls *ep, char *msg, size_t cap)
{
    char why[256];
    ep->ctx = SSL_CTX_new(DTLS_method());
    if (ep->ctx == NULL || SSL_CTX_set_min_proto_version(ep->ctx, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ep->ctx, DTLS1_2_VERSION) != 1 || SSL_CTX_set_app_data(ep->ctx, ep) != 1 ||
        SSL_CTX_set1_groups_list(ep->ctx, GROUPS) != 1) {
        say(msg, cap, "TLS context: %s", ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    SSL_CTX_set_options(ep->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU | SSL_OP_COOKIE_EXCHANGE |
                                     SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ep->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_max_cert_list(ep->ctx, MAX_CERT_LIST);
    SSL_CTX_set_cookie_generate_cb(ep->ctx, cookie_generate_cb);
    SSL_CTX_set_cookie_verify_cb(ep->ctx, cookie_verify_cb);

    ep->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tekho dtls datagram");
    if (ep->bio_method == NULL || BIO_meth_set_write(ep->bio_method, bio_write) != 1 ||
        BIO_meth_set_read(ep->bio_method, bio_read) != 1 || BIO_meth_set_puts(ep->bio_method, bio_puts) != 1 ||
        BIO_meth_set_ctrl(ep->bio_method, bio_ctrl) != 1 || BIO_meth_set_create(ep->bio_method, bio_create) != 1 ||
        BIO_meth_set_destroy(ep->bio_method, bio_destroy) != 1 || (ep->listen_client = BIO_ADDR_new()) == NULL) {
        say(msg, cap, "BIO: %s", ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    ep->listen_link.ep = ep;
    return TEKHO_OK;
}

tekho_err tekho_dtls_new(const struct tekho_dtls_config *cfg, struct tekho_dtls **out, char *msg, size_t cap)
{
    say(msg, cap, "%s", "");
    if (cfg == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t mtu = cfg->mtu != 0 ? cfg->mtu : TEKHO_DTLS_MTU_DEFAULT;
    if (mtu < TEKHO_DTLS_MTU_MIN || mtu > TEKHO_DTLS_MTU_MAX) {
        say(msg, cap, "MTU %zu: %u to %u bytes", mtu, TEKHO_DTLS_MTU_MIN, TEKHO_DTLS_MTU_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (cfg->auth != TEKHO_DTLS_AUTH_CERT && cfg->auth != TEKHO_DTLS_AUTH_PSK) {
        say(msg, cap, "credentials: certificates or PSK");
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    struct tekho_dtls *ep = calloc(1, sizeof *ep);
    if (ep == NULL)
        return TEKHO_ERR_NO_MEMORY;
    ep->fd = -1;
    ep->keylog_fd = -1;
    ep->auth = cfg->auth;
    ep->min_sealed = cfg->auth == TEKHO_DTLS_AUTH_CERT ? 8u + 16u : 16u; /* AES-GCM; ChaCha20-Poly1305 */
    ep->mtu = mtu;
    ep->max_half_open = cfg->max_half_open != 0 ? cfg->max_half_open : TEKHO_DTLS_HALF_OPEN_DEFAULT;
    ep->max_peers = cfg->max_peers != 0 ? cfg->max_peers : TEKHO_DTLS_MAX_PEERS_DEFAULT;
    ep->handshake_timeout_us =
        (uint64_t)(cfg->handshake_timeout_ms != 0 ? cfg->handshake_timeout_ms : TEKHO_DTLS_HANDSHAKE_TIMEOUT_MS_DEFAULT) *
        1000u;
    const unsigned retransmit_ms = cfg->retransmit_ms != 0 ? cfg->retransmit_ms : TEKHO_DTLS_RETRANSMIT_MS_DEFAULT;
    ep->retransmit_us = retransmit_ms >= RETRANSMIT_MAX_US / 1000u ? RETRANSMIT_MAX_US : retransmit_ms * 1000u;
    ep->client_only = cfg->client_only;
    ep->cb = cfg->cb;

    size_t buckets = 16;
    while (buckets < ep->max_peers && buckets < ((size_t)1 << 20))
        buckets <<= 1;
    ep->bucket_mask = buckets - 1;
    ep->by_addr = calloc(buckets, sizeof *ep->by_addr);
    ep->by_id = calloc(buckets, sizeof *ep->by_id);
    ep->rx = malloc(mtu);
    ep->plain = malloc(PLAIN_MAX);
    tekho_err err = TEKHO_OK;
    if (ep->by_addr == NULL || ep->by_id == NULL || ep->rx == NULL || ep->plain == NULL)
        err = TEKHO_ERR_NO_MEMORY;
    if (err == TEKHO_OK && (RAND_bytes((unsigned char *)&ep->hash_seed, sizeof ep->hash_seed) != 1 ||
                            RAND_bytes(ep->cookie_secret[0], COOKIE_LEN) != 1 ||
                            RAND_bytes(ep->cookie_secret[1], COOKIE_LEN) != 1))
        err = TEKHO_ERR_CRYPTO;
    ep->cookie_secret_at_us = now_us();
    if (err == TEKHO_OK)
        err = setup_ctx(ep, msg, cap);
    if (err == TEKHO_OK)
        err = cfg->auth == TEKHO_DTLS_AUTH_CERT ? load_certificates(ep, cfg, msg, cap) : load_psk(ep, cfg, msg, cap);
    if (err == TEKHO_OK && cfg->keylog_file != NULL)
        err = open_keylog(ep, cfg->keylog_file, msg, cap);
    if (err == TEKHO_OK)
        err = open_socket(ep, cfg, msg, cap);
    if (err != TEKHO_OK) {
        ERR_clear_error();
        tekho_dtls_free(ep);
        return err;
    }
    *out = ep;
    return TEKHO_OK;
}

void tekho_dtls_free(struct tekho_dtls *ep)
{
    if (ep == NULL)
        return;
    for (struct peer *p = ep->peers; p != NULL; p = p->next)
        if (p->state == PEER_UP) {
            ERR_clear_error();
            (void)SSL_shutdown(p->ssl); /* close_notify */
        }
    ERR_clear_error();
    while (ep->peers != NULL) {
        struct peer *p = ep->peers;
        ep->peers = p->next;
        peer_free(p);
    }
    SSL_free(ep->listener);
    SSL_CTX_free(ep->ctx);
    BIO_meth_free(ep->bio_method);
    BIO_ADDR_free(ep->listen_client);
    if (ep->fd >= 0)
        close(ep->fd);
    if (ep->keylog_fd >= 0)
        close(ep->keylog_fd);
    if (ep->psk_table != NULL) {
        OPENSSL_cleanse(ep->psk_table, ep->psk_table_len * sizeof *ep->psk_table);
        free(ep->psk_table);
    }
    if (ep->plain != NULL) {
        OPENSSL_cleanse(ep->plain, PLAIN_MAX);
        free(ep->plain);
    }
    free(ep->rx);
    free(ep->by_addr);
    free(ep->by_id);
    OPENSSL_cleanse(ep, sizeof *ep); /* the PSK and the cookie secrets */
    free(ep);
}

int tekho_dtls_fd(const struct tekho_dtls *ep)
{
    return ep != NULL ? ep->fd : -1;
}

tekho_err tekho_dtls_local_addr(const struct tekho_dtls *ep, struct sockaddr_storage *addr, socklen_t *len)
{
    if (ep == NULL || addr == NULL || len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    socklen_t l = (socklen_t)sizeof *addr;
    if (getsockname(ep->fd, (struct sockaddr *)addr, &l) != 0)
        return TEKHO_ERR_SOCKET;
    *len = l;
    return TEKHO_OK;
}

size_t tekho_dtls_max_payload(const struct tekho_dtls *ep)
{
    return ep != NULL ? ep->mtu - TEKHO_DTLS_RECORD_OVERHEAD : 0;
}

tekho_err tekho_dtls_on_readable(struct tekho_dtls *ep)
{
    if (ep == NULL || ep->depth > 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    enter(ep);
    tekho_err err = TEKHO_OK;
    for (;;) {
        struct sockaddr_storage src;
        struct iovec iov = {ep->rx, ep->mtu};
        struct msghdr m = {0};
        m.msg_name = &src;
        m.msg_namelen = sizeof src;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        const ssize_t n = recvmsg(ep->fd, &m, 0);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
                errno == EHOSTDOWN || errno == ENETDOWN)
                continue; /* an ICMP error for an earlier send */
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                err = TEKHO_ERR_SOCKET;
            break;
        }
        ep->stats.datagrams_in++;
        if (n == 0 || (m.msg_flags & MSG_TRUNC) != 0) {
            ep->stats.garbage_dropped++; /* empty, or longer than the MTU */
            continue;
        }
        dispatch(ep, &src, m.msg_namelen, ep->rx, (size_t)n);
    }
    leave(ep);
    return err;
}

tekho_err tekho_dtls_connect(struct tekho_dtls *ep, const struct sockaddr *addr, socklen_t len,
                             const char *expected_peer_name, uint64_t *peer)
{
    if (ep == NULL || addr == NULL || peer == NULL || !tekho_creds_name_ok(expected_peer_name))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t ss_len;
    if (addr->sa_family == AF_INET && ep->family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)addr;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = sin->sin_port;
        sin6->sin6_addr.s6_addr[10] = 0xff;
        sin6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&sin6->sin6_addr.s6_addr[12], &sin->sin_addr, 4);
        ss_len = (socklen_t)sizeof *sin6;
    } else if (addr->sa_family == ep->family && len <= (socklen_t)sizeof ss) {
        memcpy(&ss, addr, (size_t)len);
        ss_len = len;
    } else {
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    struct addr_key key;
    if (!addr_key_of(&ss, ss_len, &key))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct peer *old = find_by_addr(ep, &key);
    if (old != NULL) {
        const bool same = old->state == PEER_UP ? strcmp(old->name, expected_peer_name) == 0
                                                : old->client && strcmp(old->expected, expected_peer_name) == 0;
        if (!same)
            return TEKHO_ERR_PEER_EXISTS;
        old->reported = true;
        *peer = old->id;
        return TEKHO_OK;
    }
    if (ep->stats.peers >= ep->max_peers) {
        ep->stats.peers_refused++;
        return TEKHO_ERR_CAPACITY;
    }
    struct peer *p = peer_new(ep, true);
    if (p == NULL)
        return TEKHO_ERR_NO_MEMORY;
    snprintf(p->expected, sizeof p->expected, "%s", expected_peer_name);
    p->link.ep = ep;
    memcpy(&p->link.addr, &ss, sizeof ss);
    p->link.addr_len = ss_len;
    p->link.key = key;
    if ((p->ssl = new_ssl(ep, &p->link, true)) == NULL) {
        free(p);
        ERR_clear_error();
        return TEKHO_ERR_CRYPTO;
    }
    SSL_set_app_data(p->ssl, p);
    enter(ep);
    tables_insert(ep, p);
    handshake_step(ep, p); /* the ClientHello; p->reported is false: no callback yet */
    tekho_err err = TEKHO_OK;
    if (p->state == PEER_DEAD) {
        err = TEKHO_ERR_CRYPTO;
    } else {
        p->reported = true;
        *peer = p->id;
    }
    leave(ep);
    return err;
}

tekho_err tekho_dtls_send(struct tekho_dtls *ep, uint64_t id, const uint8_t *msg, size_t len)
{
    if (ep == NULL || msg == NULL || len == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len > tekho_dtls_max_payload(ep))
        return TEKHO_ERR_MESSAGE_TOO_LONG;
    struct peer *p = find_by_id(ep, id);
    if (p == NULL)
        return TEKHO_ERR_NOT_CONNECTED;
    if (p->state == PEER_HANDSHAKING) {
        if (p->nq == TEKHO_DTLS_QUEUE_MAX)
            return TEKHO_ERR_HANDSHAKE_PENDING;
        if ((p->q[p->nq] = malloc(len)) == NULL)
            return TEKHO_ERR_NO_MEMORY;
        memcpy(p->q[p->nq], msg, len);
        p->qlen[p->nq++] = len;
        return TEKHO_OK;
    }
    const long data_mtu = (long)DTLS_get_data_mtu(p->ssl);
    if (data_mtu > 0 && (long)len > data_mtu)
        return TEKHO_ERR_MESSAGE_TOO_LONG;
    if (send_record(ep, p, msg, len))
        return TEKHO_OK;
    enter(ep);
    peer_down(ep, p, TEKHO_DTLS_DOWN_ERROR, true);
    leave(ep);
    return TEKHO_ERR_NOT_CONNECTED;
}

uint64_t tekho_dtls_next_timeout_us(const struct tekho_dtls *ep)
{
    if (ep == NULL)
        return UINT64_MAX;
    uint64_t best = UINT64_MAX;
    const uint64_t now = now_us();
    for (const struct peer *p = ep->peers; p != NULL; p = p->next) {
        if (p->state == PEER_DEAD)
            continue;
        if (p->state == PEER_HANDSHAKING) {
            const uint64_t d = p->deadline_us > now ? p->deadline_us - now : 0;
            best = d < best ? d : best;
        }
        struct timeval tv;
        if (DTLSv1_get_timeout(p->ssl, &tv) == 1) {
            const uint64_t d = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
            best = d < best ? d : best;
        }
    }
    return best;
}

tekho_err tekho_dtls_on_timeout(struct tekho_dtls *ep)
{
    if (ep == NULL || ep->depth > 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    enter(ep);
    const uint64_t now = now_us();
    for (struct peer *p = ep->peers, *next; p != NULL; p = next) {
        next = p->next;
        if (p->state == PEER_DEAD)
            continue;
        if (p->state == PEER_HANDSHAKING && now >= p->deadline_us) {
            handshake_failed(ep, p, TEKHO_DTLS_DOWN_TIMEOUT);
            continue;
        }
        ERR_clear_error();
        const int r = DTLSv1_handle_timeout(p->ssl);
        ERR_clear_error();
        if (r < 0) { /* too many retransmissions */
            if (p->state == PEER_HANDSHAKING)
                handshake_failed(ep, p, TEKHO_DTLS_DOWN_TIMEOUT);
            else
                peer_down(ep, p, TEKHO_DTLS_DOWN_ERROR, true);
        }
    }
    leave(ep);
    return TEKHO_OK;
}

tekho_err tekho_dtls_close(struct tekho_dtls *ep, uint64_t id)
{
    if (ep == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct peer *p = find_by_id(ep, id);
    if (p == NULL)
        return TEKHO_ERR_NOT_CONNECTED;
    enter(ep);
    if (p->state == PEER_UP) {
        ERR_clear_error();
        (void)SSL_shutdown(p->ssl); /* close_notify; we do not wait for the peer's */
        ERR_clear_error();
    }
    peer_down(ep, p, TEKHO_DTLS_DOWN_CLOSED, false);
    leave(ep);
    return TEKHO_OK;
}

const char *tekho_dtls_peer_name(const struct tekho_dtls *ep, uint64_t id)
{
    const struct peer *p = ep != NULL ? find_by_id(ep, id) : NULL;
    return p != NULL && p->state == PEER_UP ? p->name : NULL;
}

const struct tekho_dtls_stats *tekho_dtls_stats(const struct tekho_dtls *ep)
{
    return ep != NULL ? &ep->stats : NULL;
}

const char *tekho_dtls_down_name(enum tekho_dtls_down why)
{
    switch (why) {
    case TEKHO_DTLS_DOWN_CLOSED: return "closed";
    case TEKHO_DTLS_DOWN_HANDSHAKE_FAILED: return "handshake failed";
    case TEKHO_DTLS_DOWN_TIMEOUT: return "handshake timed out";
    case TEKHO_DTLS_DOWN_ERROR: return "error";
    case TEKHO_DTLS_DOWN_REPLACED: return "replaced by a new handshake";
    }
    return "unknown";
}
