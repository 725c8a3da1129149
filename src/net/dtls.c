/* The DTLS 1.2 backbone transport (dtls.h): the peers (two hash tables,
 * by address and by id), the dispatch of each datagram (a known peer's SSL
 * object, or the listening SSL object and DTLSv1_listen, which keeps no
 * state until a ClientHello comes back with a valid cookie), timers and the
 * API. The OpenSSL side (BIO, callbacks, credentials) is dtls_ssl.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "creds.h"
#include "dtls_internal.h"

#define PLAIN_MAX SSL3_RT_MAX_PLAIN_LENGTH
#define RECORD_HEADER 13u    /* type, version, epoch, sequence number, length */
#define HANDSHAKE_HEADER 12u /* type, length, message_seq, fragment offset and length */

static bool addr_key_of(const struct sockaddr_storage *ss, socklen_t len, struct dtls_addr_key *k)
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
static size_t addr_bucket(const struct tekho_dtls *ep, const struct dtls_addr_key *k)
{
    uint64_t h = 0xcbf29ce484222325u ^ ep->hash_seed;
    const uint8_t *b = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return (size_t)(h ^ (h >> 29)) & ep->bucket_mask;
}

static struct dtls_peer *find_by_addr(const struct tekho_dtls *ep, const struct dtls_addr_key *k)
{
    for (struct dtls_peer *p = ep->by_addr[addr_bucket(ep, k)]; p != NULL; p = p->addr_next)
        if (memcmp(&p->link.key, k, sizeof *k) == 0)
            return p;
    return NULL;
}

static struct dtls_peer *find_by_id(const struct tekho_dtls *ep, uint64_t id)
{
    for (struct dtls_peer *p = ep->by_id[id & ep->bucket_mask]; p != NULL; p = p->id_next)
        if (p->id == id)
            return p;
    return NULL;
}

static void tables_insert(struct tekho_dtls *ep, struct dtls_peer *p)
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

static void tables_remove(struct tekho_dtls *ep, struct dtls_peer *p)
{
    for (struct dtls_peer **pp = &ep->by_addr[addr_bucket(ep, &p->link.key)]; *pp != NULL; pp = &(*pp)->addr_next)
        if (*pp == p) {
            *pp = p->addr_next;
            break;
        }
    for (struct dtls_peer **pp = &ep->by_id[p->id & ep->bucket_mask]; *pp != NULL; pp = &(*pp)->id_next)
        if (*pp == p) {
            *pp = p->id_next;
            break;
        }
    p->addr_next = p->id_next = NULL;
}

static void queue_wipe(struct dtls_peer *p)
{
    for (unsigned i = 0; i < p->nq; i++) {
        OPENSSL_cleanse(p->q[i], p->qlen[i]);
        free(p->q[i]);
        p->q[i] = NULL;
    }
    p->nq = 0;
}

static void peer_free(struct dtls_peer *p)
{
    SSL_free(p->ssl); /* and its BIO */
    queue_wipe(p);
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
}

/* The peer is gone: out of the tables at once (its address goes back to
 * the cookie path, its id is dead), freed when the outermost public call
 * returns, so that a callback may close the peer it was called for. */
static void peer_down(struct tekho_dtls *ep, struct dtls_peer *p, enum tekho_dtls_down why, bool notify)
{
    if (p->state == DTLS_PEER_DEAD)
        return;
    if (p->state == DTLS_PEER_HANDSHAKING && !p->client)
        ep->half_open--;
    tables_remove(ep, p);
    p->state = DTLS_PEER_DEAD;
    ep->stats.peers--;
    ep->dead++;
    queue_wipe(p);
    if (notify && p->reported && ep->cb.on_peer_down != NULL)
        ep->cb.on_peer_down(ep->cb.ctx, p->id, p->name[0] != '\0' ? p->name : p->expected, why);
}

static void reap(struct tekho_dtls *ep)
{
    for (struct dtls_peer **pp = &ep->peers; *pp != NULL;) {
        struct dtls_peer *p = *pp;
        if (p->state == DTLS_PEER_DEAD) {
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

/* ---- peers ----------------------------------------------------------------------------- */

static struct dtls_peer *peer_new(struct tekho_dtls *ep, bool client)
{
    struct dtls_peer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->id = ++ep->next_id;
    p->client = client;
    p->state = DTLS_PEER_HANDSHAKING;
    p->deadline_us = dtls_now_us() + ep->handshake_timeout_us;
    return p;
}

static void handshake_failed(struct tekho_dtls *ep, struct dtls_peer *p, enum tekho_dtls_down why)
{
    ep->stats.handshakes_failed++;
    if (why == TEKHO_DTLS_DOWN_TIMEOUT)
        ep->stats.handshake_timeouts++;
    peer_down(ep, p, why, true);
}

static bool send_record(struct tekho_dtls *ep, struct dtls_peer *p, const uint8_t *msg, size_t len)
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
static void handshake_done(struct tekho_dtls *ep, struct dtls_peer *p)
{
    char name[TEKHO_DTLS_NAME_MAX + 1] = "";
    bool ok = SSL_version(p->ssl) == DTLS1_2_VERSION;
    if (ep->auth == TEKHO_DTLS_AUTH_CERT) {
        X509 *cert = SSL_get0_peer_certificate(p->ssl);
        ok = ok && cert != NULL && SSL_get_verify_result(p->ssl) == X509_V_OK && tekho_dtls_cert_name(cert, name);
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
        SSL_get_client_random(p->ssl, p->client_random, DTLS_CLIENT_RANDOM_LEN);
    }
    p->state = DTLS_PEER_UP;
    ep->stats.handshakes_ok++;
    for (unsigned i = 0; i < p->nq && p->state == DTLS_PEER_UP; i++)
        if (!send_record(ep, p, p->q[i], p->qlen[i]))
            peer_down(ep, p, TEKHO_DTLS_DOWN_ERROR, true); /* owed to a client peer's caller */
    queue_wipe(p);
    if (p->state != DTLS_PEER_UP)
        return;
    p->reported = true;
    if (ep->cb.on_peer_up != NULL)
        ep->cb.on_peer_up(ep->cb.ctx, p->id, p->name, (const struct sockaddr *)&p->link.addr, p->link.addr_len);
}

static void handshake_step(struct tekho_dtls *ep, struct dtls_peer *p)
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
static unsigned read_records(struct tekho_dtls *ep, struct dtls_peer *p)
{
    unsigned got = 0;
    while (p->state == DTLS_PEER_UP) {
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
        if (off == 0 && type == 22 && epoch == 0 && len >= HANDSHAKE_HEADER + 2 + DTLS_CLIENT_RANDOM_LEN &&
            h[0] == 1 && h[6] == 0 && h[7] == 0 && h[8] == 0) {
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
                        const struct dtls_addr_key *key, const uint8_t *buf, size_t n, struct dtls_peer *replace)
{
    if (ep->listener == NULL && (ep->listener = tekho_dtls_new_ssl(ep, &ep->listen_link, false)) == NULL) {
        ep->stats.garbage_dropped++; /* out of memory: the client will retransmit */
        return;
    }
    struct dtls_link *l = &ep->listen_link;
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
    struct dtls_peer *p = peer_new(ep, false);
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

static void feed_peer(struct tekho_dtls *ep, struct dtls_peer *p, const uint8_t *buf, size_t n,
                      const struct dgram_info *info)
{
    const bool was_up = p->state == DTLS_PEER_UP;
    const uint64_t writes = p->link.writes;
    p->link.in = buf;
    p->link.in_len = n;
    if (p->state == DTLS_PEER_HANDSHAKING)
        handshake_step(ep, p);
    unsigned got = 0;
    if (p->state == DTLS_PEER_UP)
        got = read_records(ep, p);
    p->link.in = NULL; /* the peer is not freed before the outermost call returns */
    p->link.in_len = 0;
    /* OpenSSL drops a record that fails its MAC or replays without a
     * word; an established peer's datagram that delivered less than it
     * carried, or left no trace at all, is such a drop. */
    if (was_up && p->state == DTLS_PEER_UP &&
        (got < info->app_records || (got == 0 && p->link.writes == writes)))
        ep->stats.garbage_dropped++;
}

static void dispatch(struct tekho_dtls *ep, const struct sockaddr_storage *src, socklen_t src_len,
                     const uint8_t *buf, size_t n)
{
    struct dtls_addr_key key;
    struct dgram_info info;
    if (!addr_key_of(src, src_len, &key) || !parse_records(buf, n, ep->min_sealed, &info)) {
        ep->stats.garbage_dropped++;
        return;
    }
    struct dtls_peer *p = find_by_addr(ep, &key);
    if (p != NULL && info.client_hello) {
        if (p->state == DTLS_PEER_HANDSHAKING && !p->client) {
            feed_peer(ep, p, buf, n, &info); /* a retransmitted ClientHello */
        } else if (p->state == DTLS_PEER_UP && !ep->client_only &&
                   (p->client || CRYPTO_memcmp(info.random, p->client_random, DTLS_CLIENT_RANDOM_LEN) != 0)) {
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

static tekho_err open_socket(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap)
{
    const int family = cfg->bind_addr.ss_family;
    const socklen_t need = family == AF_INET ? (socklen_t)sizeof(struct sockaddr_in)
                                             : (socklen_t)sizeof(struct sockaddr_in6);
    if ((family != AF_INET && family != AF_INET6) || cfg->bind_len < need ||
        cfg->bind_len > (socklen_t)sizeof cfg->bind_addr) {
        tekho_dtls_say(msg, cap, "bind address: IPv4 or IPv6, with its length");
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    ep->family = family;
    ep->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ep->fd < 0 || bind(ep->fd, (const struct sockaddr *)&cfg->bind_addr, cfg->bind_len) != 0) {
        tekho_dtls_say(msg, cap, "UDP socket: %s", strerror(errno));
        return TEKHO_ERR_SOCKET;
    }
    return TEKHO_OK;
}

tekho_err tekho_dtls_new(const struct tekho_dtls_config *cfg, struct tekho_dtls **out, char *msg, size_t cap)
{
    tekho_dtls_say(msg, cap, "%s", "");
    if (cfg == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t mtu = cfg->mtu != 0 ? cfg->mtu : TEKHO_DTLS_MTU_DEFAULT;
    if (mtu < TEKHO_DTLS_MTU_MIN || mtu > TEKHO_DTLS_MTU_MAX) {
        tekho_dtls_say(msg, cap, "MTU %zu: %u to %u bytes", mtu, TEKHO_DTLS_MTU_MIN, TEKHO_DTLS_MTU_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (cfg->auth != TEKHO_DTLS_AUTH_CERT && cfg->auth != TEKHO_DTLS_AUTH_PSK) {
        tekho_dtls_say(msg, cap, "credentials: certificates or PSK");
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
    const unsigned timeout_ms =
        cfg->handshake_timeout_ms != 0 ? cfg->handshake_timeout_ms : TEKHO_DTLS_HANDSHAKE_TIMEOUT_MS_DEFAULT;
    ep->handshake_timeout_us = (uint64_t)timeout_ms * 1000u;
    const unsigned retransmit_ms = cfg->retransmit_ms != 0 ? cfg->retransmit_ms : TEKHO_DTLS_RETRANSMIT_MS_DEFAULT;
    ep->retransmit_us =
        retransmit_ms >= DTLS_RETRANSMIT_MAX_US / 1000u ? DTLS_RETRANSMIT_MAX_US : retransmit_ms * 1000u;
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
                            RAND_bytes(ep->cookie_secret[0], DTLS_COOKIE_LEN) != 1 ||
                            RAND_bytes(ep->cookie_secret[1], DTLS_COOKIE_LEN) != 1))
        err = TEKHO_ERR_CRYPTO;
    ep->cookie_secret_at_us = dtls_now_us();
    if (err == TEKHO_OK)
        err = tekho_dtls_tls_setup(ep, cfg, msg, cap);
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
    for (struct dtls_peer *p = ep->peers; p != NULL; p = p->next)
        if (p->state == DTLS_PEER_UP) {
            ERR_clear_error();
            (void)SSL_shutdown(p->ssl); /* close_notify */
        }
    ERR_clear_error();
    while (ep->peers != NULL) {
        struct dtls_peer *p = ep->peers;
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
    struct dtls_addr_key key;
    if (!addr_key_of(&ss, ss_len, &key))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct dtls_peer *old = find_by_addr(ep, &key);
    if (old != NULL) {
        const bool same = old->state == DTLS_PEER_UP ? strcmp(old->name, expected_peer_name) == 0
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
    struct dtls_peer *p = peer_new(ep, true);
    if (p == NULL)
        return TEKHO_ERR_NO_MEMORY;
    snprintf(p->expected, sizeof p->expected, "%s", expected_peer_name);
    p->link.ep = ep;
    memcpy(&p->link.addr, &ss, sizeof ss);
    p->link.addr_len = ss_len;
    p->link.key = key;
    if ((p->ssl = tekho_dtls_new_ssl(ep, &p->link, true)) == NULL) {
        free(p);
        ERR_clear_error();
        return TEKHO_ERR_CRYPTO;
    }
    SSL_set_app_data(p->ssl, p);
    enter(ep);
    tables_insert(ep, p);
    handshake_step(ep, p); /* the ClientHello; p->reported is false: no callback yet */
    tekho_err err = TEKHO_OK;
    if (p->state == DTLS_PEER_DEAD) {
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
    struct dtls_peer *p = find_by_id(ep, id);
    if (p == NULL)
        return TEKHO_ERR_NOT_CONNECTED;
    if (p->state == DTLS_PEER_HANDSHAKING) {
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
    const uint64_t now = dtls_now_us();
    for (const struct dtls_peer *p = ep->peers; p != NULL; p = p->next) {
        if (p->state == DTLS_PEER_DEAD)
            continue;
        if (p->state == DTLS_PEER_HANDSHAKING) {
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
    const uint64_t now = dtls_now_us();
    for (struct dtls_peer *p = ep->peers, *next; p != NULL; p = next) {
        next = p->next;
        if (p->state == DTLS_PEER_DEAD)
            continue;
        if (p->state == DTLS_PEER_HANDSHAKING && now >= p->deadline_us) {
            handshake_failed(ep, p, TEKHO_DTLS_DOWN_TIMEOUT);
            continue;
        }
        ERR_clear_error();
        const int r = DTLSv1_handle_timeout(p->ssl);
        ERR_clear_error();
        if (r < 0) { /* too many retransmissions */
            if (p->state == DTLS_PEER_HANDSHAKING)
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
    struct dtls_peer *p = find_by_id(ep, id);
    if (p == NULL)
        return TEKHO_ERR_NOT_CONNECTED;
    enter(ep);
    if (p->state == DTLS_PEER_UP) {
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
    const struct dtls_peer *p = ep != NULL ? find_by_id(ep, id) : NULL;
    return p != NULL && p->state == DTLS_PEER_UP ? p->name : NULL;
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
