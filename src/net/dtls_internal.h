/* Internal to src/net/: the endpoint and peer structures, shared by
 * dtls.c (peers, dispatch, the API of dtls.h) and dtls_ssl.c (the OpenSSL
 * side: the datagram BIO, the callbacks, the context and credentials). */
#ifndef TEKHO_SRC_NET_DTLS_INTERNAL_H
#define TEKHO_SRC_NET_DTLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/ssl.h>

#include "dtls.h"

#define DTLS_COOKIE_LEN 32u
#define DTLS_CLIENT_RANDOM_LEN 32u
#define DTLS_RETRANSMIT_MAX_US (60u * 1000000u) /* the retransmission timer's ceiling (RFC 6347 4.2.4.1) */

/* A peer address as bytes without padding: hashed, compared, and the
 * cookie's input. */
struct dtls_addr_key {
    uint8_t family; /* 4 or 6 */
    uint8_t port[2];
    uint8_t addr[16];
    uint8_t scope[4];
};

/* What one SSL object's BIO reads from and writes to. */
struct dtls_link {
    struct tekho_dtls *ep;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct dtls_addr_key key;
    const uint8_t *in; /* the datagram being dispatched to this SSL, or NULL */
    size_t in_len;
    uint64_t writes;   /* datagrams written by this SSL */
};

enum dtls_peer_state { DTLS_PEER_HANDSHAKING, DTLS_PEER_UP, DTLS_PEER_DEAD };

struct dtls_peer {
    struct dtls_link link;
    uint64_t id;
    SSL *ssl;
    enum dtls_peer_state state;
    bool client;    /* we connected to it */
    bool reported;  /* the caller knows its id: on_peer_down is owed */
    uint64_t deadline_us;
    char name[TEKHO_DTLS_NAME_MAX + 1];     /* authenticated name (valid once up) */
    char expected[TEKHO_DTLS_NAME_MAX + 1]; /* client side: the name it must prove */
    uint8_t client_random[DTLS_CLIENT_RANDOM_LEN]; /* server side, once up */
    unsigned nq;
    uint8_t *q[TEKHO_DTLS_QUEUE_MAX];
    size_t qlen[TEKHO_DTLS_QUEUE_MAX];
    struct dtls_peer *next;      /* ep->peers, every peer until it is reaped */
    struct dtls_peer *addr_next; /* hash chains: live peers only */
    struct dtls_peer *id_next;
};

struct dtls_psk_node {
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
    struct dtls_link listen_link;
    BIO_ADDR *listen_client;

    char psk_identity[TEKHO_DTLS_NAME_MAX + 1];
    uint8_t psk_key[TEKHO_DTLS_PSK_MAX];
    size_t psk_key_len;
    struct dtls_psk_node *psk_table;
    size_t psk_table_len;
    size_t (*psk_lookup)(void *, const char *, uint8_t *);
    void *psk_lookup_ctx;

    uint8_t cookie_secret[2][DTLS_COOKIE_LEN]; /* current, previous */
    uint64_t cookie_secret_at_us;

    int keylog_fd;

    struct dtls_peer *peers;
    struct dtls_peer **by_addr;
    struct dtls_peer **by_id;
    size_t bucket_mask;
    uint64_t hash_seed;
    uint64_t next_id;
    unsigned half_open; /* server-side peers handshaking */
    unsigned dead;      /* peers waiting to be reaped */
    unsigned depth;     /* public calls in progress (callbacks may call back in) */

    uint8_t *rx;    /* one datagram, mtu bytes */
    uint8_t *plain; /* one record's plaintext, SSL3_RT_MAX_PLAIN_LENGTH bytes; wiped after each delivery */
    struct tekho_dtls_stats stats;
};

void tekho_dtls_say(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* OpenSSL's last queued reason into buf; clears the queue. */
const char *tekho_dtls_ossl_reason(char *buf, size_t cap);

static inline uint64_t dtls_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The context: DTLS 1.2 only, the options, the cookie callbacks, the BIO
 * method, then the credentials of cfg and the key log. */
tekho_err tekho_dtls_tls_setup(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap);
/* An SSL object for a peer (or the listener) whose BIO is l. */
SSL *tekho_dtls_new_ssl(struct tekho_dtls *ep, struct dtls_link *l, bool client);
/* A certificate's name: its one subject CN, a valid peer name. */
bool tekho_dtls_cert_name(X509 *cert, char out[TEKHO_DTLS_NAME_MAX + 1]);

#endif
