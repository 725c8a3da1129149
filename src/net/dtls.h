/* tekho — the DTLS 1.2 transport of the ASN-CP backbone (internal to the
 * daemons and the tool: tekho_net, not installed; libtekho does not link
 * libssl).
 *
 * One endpoint is one non-blocking UDP socket (IPv4 or IPv6) that serves
 * many peers at once, as DTLS server (nodes that connect to it) and as
 * client (tekho_dtls_connect). It is driven by the caller's event loop and
 * never blocks, sleeps or starts a thread:
 *
 *     poll tekho_dtls_fd(ep) for POLLIN, with a timeout of
 *     tekho_dtls_next_timeout_us(ep); then tekho_dtls_on_readable(ep) when
 *     the socket is readable and tekho_dtls_on_timeout(ep) when the
 *     timeout has passed (calling it early is harmless).
 *
 * On the daemons' loop (src/daemon/loop.h): watch the fd with EPOLLIN
 * (level-triggered or not: on_readable reads until EAGAIN), and after
 * every tekho_dtls_on_readable, tekho_dtls_on_timeout and
 * tekho_dtls_connect re-arm one loop timer at tekho_loop_now_us() +
 * tekho_dtls_next_timeout_us() (none for UINT64_MAX) whose callback calls
 * tekho_dtls_on_timeout; tests/test_dtls.c (test_on_event_loop) does this.
 *
 * What it enforces:
 * - DTLS 1.2 only, mutual authentication, no renegotiation, no session
 *   resumption, one suite per mode: ECDHE-ECDSA-AES128-GCM-SHA256 with
 *   certificates, ECDHE-PSK-CHACHA20-POLY1305 with PSKs (the backbone
 *   carries AK contexts, so a PSK node gets forward secrecy too; OpenSSL
 *   has no ECDHE-PSK AES-GCM suite for DTLS 1.2).
 * - A datagram from an unknown address is answered statelessly: a
 *   ClientHello without a valid cookie gets a HelloVerifyRequest (cookie =
 *   HMAC-SHA256 over the source address under a per-endpoint random secret
 *   renewed every 60 s; the one before stays valid) and nothing is kept.
 *   Only a ClientHello that returns a valid cookie creates a peer, and only
 *   while fewer than max_half_open server-side handshakes are in progress.
 * - Peer identity. Certificates: the peer's chain must end at the
 *   configured CA (that CA only, no system store); its name is the
 *   subject CN, exactly one, 1..TEKHO_DTLS_NAME_MAX characters of
 *   [A-Za-z0-9._-] (creds.h makes the DNS SAN the same name). PSK: the
 *   name is the PSK identity the client sent (same rule), found in the
 *   server's table; the client learns the server's name from its identity
 *   hint, which the handshake's Finished messages authenticate under the
 *   client's key: whoever holds a node's key can claim any name to that
 *   node, so per-node keys name the Authenticator to a BS only while the
 *   Authenticator alone holds the BSs' keys (BS-to-BS links that must name
 *   each other need certificates). tekho_dtls_connect names the peer it
 *   expects, and the handshake fails when the peer's name is another one.
 * - A ClientHello from the address of an established peer is a restarted
 *   node: it goes through the cookie exchange, and once the cookie proves
 *   the address the old association is dropped (on_peer_down, REPLACED)
 *   and the new handshake proceeds (RFC 6347 4.2.8). A copy of the
 *   ClientHello that made the association (same client random) is
 *   dropped. Both ends of a pair connecting to each other at once is not
 *   supported: one end connects.
 * - Nothing from a peer reaches on_data before its handshake has completed
 *   with valid credentials and on_peer_up has been called.
 * - The MTU is explicit (no path-MTU queries): no datagram sent is longer
 *   than cfg->mtu bytes of UDP payload, and a longer one received is
 *   dropped. One message is one application record in one datagram, at
 *   most tekho_dtls_max_payload(ep) = mtu - TEKHO_DTLS_RECORD_OVERHEAD
 *   bytes.
 * - Garbage is dropped and counted, never fatal: datagrams that are not
 *   DTLS, truncated or oversized, malformed records, protected records
 *   shorter than the suite's nonce and tag (OpenSSL 3 would end the
 *   association on one: openssl/openssl#25290, so they never reach it),
 *   and, from an established peer, records that OpenSSL discards without a
 *   trace (a failed MAC, a replay). Where OpenSSL gives no sign, the rule is: a
 *   datagram from an established peer that delivers fewer application
 *   records than it carries, or that delivers nothing, makes no reply and
 *   changes nothing, counts as dropped (a rare legitimate retransmission of
 *   the peer's last handshake flight or a warning alert counts too).
 *
 * Peers are named by a 64-bit id, never 0 and never reused by an
 * endpoint, so a stale id is refused (TEKHO_ERR_NOT_CONNECTED) instead of
 * reaching freed memory.
 *
 * Callbacks run inside tekho_dtls_on_readable and tekho_dtls_on_timeout,
 * and inside tekho_dtls_send when the peer fails there (on_peer_down). They may call tekho_dtls_send, tekho_dtls_close,
 * tekho_dtls_connect, tekho_dtls_peer_name, tekho_dtls_stats and
 * tekho_dtls_max_payload, on any peer including their own; never
 * tekho_dtls_on_readable, tekho_dtls_on_timeout or tekho_dtls_free. The
 * name and message pointers they get are valid during the call only.
 *
 * Time: OpenSSL's DTLS retransmission timers read the system clock, so this
 * module does too (CLOCK_MONOTONIC, for handshake deadlines and the cookie
 * secret); it is the exception to "nothing reads a clock" because it is I/O.
 *
 * An IPv6 endpoint keeps the system's IPV6_V6ONLY default: bound to ::
 * with dual stack, IPv4 peers appear as IPv4-mapped addresses.
 *
 * Files: dtls.c (peers, dispatch, this API), dtls_ssl.c (the OpenSSL
 * side: the BIO, callbacks, credentials), dtls_internal.h. Tested with
 * OpenSSL 3.0 (Debian 12).
 *
 * The key log (cfg->keylog_file) writes NSS key-log lines (CLIENT_RANDOM
 * <client random> <master secret>, hex) so that Wireshark can decrypt the
 * backbone (tls.keylog_file). It holds every session key: for test
 * networks only, off by default. The file is created with mode 0600 and
 * appended one whole line per write; an existing file that others may
 * read or write, or that is not a regular file, is refused. */
#ifndef TEKHO_SRC_NET_DTLS_H
#define TEKHO_SRC_NET_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_DTLS_NAME_MAX 64u        /* longest peer name (CN or PSK identity), without the NUL */
#define TEKHO_DTLS_PSK_MIN 16u         /* shortest PSK accepted, bytes */
#define TEKHO_DTLS_PSK_MAX 64u         /* longest PSK accepted, bytes */
#define TEKHO_DTLS_MTU_DEFAULT 1200u   /* UDP payload bytes per datagram */
#define TEKHO_DTLS_MTU_MIN 512u
#define TEKHO_DTLS_MTU_MAX 16384u
/* Record header (13) + explicit nonce (8, AES-GCM) + tag (16): the most
 * either suite adds to a message. */
#define TEKHO_DTLS_RECORD_OVERHEAD 37u
/* Messages sent to a peer whose handshake is still running are queued (in
 * order, copied, wiped once sent or dropped), at most this many; then
 * tekho_dtls_send says TEKHO_ERR_HANDSHAKE_PENDING. */
#define TEKHO_DTLS_QUEUE_MAX 8u
#define TEKHO_DTLS_HALF_OPEN_DEFAULT 64u
#define TEKHO_DTLS_MAX_PEERS_DEFAULT 1024u
#define TEKHO_DTLS_HANDSHAKE_TIMEOUT_MS_DEFAULT 10000u
#define TEKHO_DTLS_RETRANSMIT_MS_DEFAULT 1000u /* first retransmission; doubles up to 60 s (RFC 6347 4.2.4.1) */

struct tekho_dtls;

enum tekho_dtls_auth {
    TEKHO_DTLS_AUTH_CERT = 1, /* X.509: ca_file, cert_file, key_file */
    TEKHO_DTLS_AUTH_PSK = 2,  /* psk_identity, psk_key; psk_table and/or psk_lookup to accept nodes */
};

/* Why a peer went down (on_peer_down). */
enum tekho_dtls_down {
    TEKHO_DTLS_DOWN_CLOSED = 1,       /* the peer sent close_notify */
    TEKHO_DTLS_DOWN_HANDSHAKE_FAILED, /* credentials refused (either side) or a handshake error */
    TEKHO_DTLS_DOWN_TIMEOUT,          /* the handshake did not complete within handshake_timeout_ms */
    TEKHO_DTLS_DOWN_ERROR,            /* a fatal alert or error on an established session */
    TEKHO_DTLS_DOWN_REPLACED,         /* the peer's address completed a new cookie exchange (a restarted node) */
};

/* A node a PSK server accepts: its identity (its name) and its key. */
struct tekho_dtls_psk_entry {
    const char *identity;
    const uint8_t *key;
    size_t key_len; /* TEKHO_DTLS_PSK_MIN .. TEKHO_DTLS_PSK_MAX */
};

struct tekho_dtls_callbacks {
    void *ctx;
    /* A peer's handshake completed and its credentials are valid: from now
     * on its messages reach on_data. addr is where it sends from. */
    void (*on_peer_up)(void *ctx, uint64_t peer, const char *name, const struct sockaddr *addr, socklen_t addr_len);
    /* One message (one application record) from an authenticated peer. */
    void (*on_data)(void *ctx, uint64_t peer, const char *name, const uint8_t *msg, size_t len);
    /* A peer the caller knows (from on_peer_up or tekho_dtls_connect) is
     * gone; its id is dead. name is the authenticated name, or for a
     * connect that never completed the expected one. Not called for
     * tekho_dtls_close, nor by tekho_dtls_free. */
    void (*on_peer_down)(void *ctx, uint64_t peer, const char *name, enum tekho_dtls_down why);
};

/* Zero-initialise and fill in; 0 / NULL fields take the defaults. The
 * strings and arrays are copied by tekho_dtls_new. */
struct tekho_dtls_config {
    struct sockaddr_storage bind_addr; /* AF_INET or AF_INET6; port 0: any (tekho_dtls_local_addr) */
    socklen_t bind_len;
    enum tekho_dtls_auth auth;
    /* TEKHO_DTLS_AUTH_CERT: PEM files. The key file must be a regular file
     * only its owner may read or write (mode 0600 or 0400). */
    const char *ca_file;
    const char *cert_file; /* this node's certificate (may be followed by intermediates) */
    const char *key_file;
    /* TEKHO_DTLS_AUTH_PSK: this node's identity and key (used to connect,
     * and sent as the identity hint when accepting) ... */
    const char *psk_identity;
    const uint8_t *psk_key;
    size_t psk_key_len;
    /* ... and the nodes it accepts: the table, then psk_lookup for an
     * identity not in it (returns the key length written into key, 0 for
     * an unknown identity; called with psk_lookup_ctx). Neither: this
     * endpoint accepts no PSK node. */
    const struct tekho_dtls_psk_entry *psk_table;
    size_t psk_table_len;
    size_t (*psk_lookup)(void *psk_lookup_ctx, const char *identity, uint8_t key[TEKHO_DTLS_PSK_MAX]);
    void *psk_lookup_ctx;

    size_t mtu;                    /* 0: TEKHO_DTLS_MTU_DEFAULT; MTU_MIN..MTU_MAX */
    unsigned max_half_open;        /* server-side handshakes in progress; 0: TEKHO_DTLS_HALF_OPEN_DEFAULT */
    unsigned max_peers;            /* all peers, any state; 0: TEKHO_DTLS_MAX_PEERS_DEFAULT */
    unsigned handshake_timeout_ms; /* 0: TEKHO_DTLS_HANDSHAKE_TIMEOUT_MS_DEFAULT */
    unsigned retransmit_ms;        /* 0: TEKHO_DTLS_RETRANSMIT_MS_DEFAULT */
    bool client_only;              /* accept no handshake: every ClientHello is dropped as garbage */
    const char *keylog_file;       /* NULL: no key log (the default) */
    struct tekho_dtls_callbacks cb;
};

/* Counters since tekho_dtls_new; each received datagram counts once in
 * datagrams_in and once in exactly one of: garbage_dropped,
 * cookie_exchanges, half_open_dropped, peers_refused, handshakes_started
 * (server side), or a known peer's traffic. */
struct tekho_dtls_stats {
    uint64_t datagrams_in;
    uint64_t datagrams_out;
    uint64_t send_errors;        /* sendto failed (a full socket buffer, no route): the datagram is lost */
    uint64_t cookie_exchanges;   /* HelloVerifyRequests sent: ClientHellos without a valid cookie */
    uint64_t handshakes_started; /* server side: cookie-verified ClientHellos that got a peer */
    uint64_t handshakes_ok;      /* both sides: completed with valid credentials */
    uint64_t handshakes_failed;  /* both sides: wrong CA, bad or unknown PSK, wrong name, errors, timeouts */
    uint64_t handshake_timeouts; /* the part of handshakes_failed that ran out of time */
    uint64_t half_open_dropped;  /* cookie-verified ClientHellos refused: max_half_open reached */
    uint64_t peers_refused;      /* handshakes or connects refused: max_peers reached */
    uint64_t garbage_dropped;    /* see the header comment */
    uint64_t records_in;         /* messages delivered to on_data */
    uint64_t records_out;        /* messages sent */
    uint64_t peers;              /* now: peers in any state (handshaking or up) */
};

/* Opens the socket, loads and checks the credentials. On failure a
 * message (file names, OpenSSL's reason; never key material) goes into
 * msg[0 .. cap), NUL-terminated, when msg is not NULL. */
TEKHO_NODISCARD tekho_err tekho_dtls_new(const struct tekho_dtls_config *cfg, struct tekho_dtls **out, char *msg,
                                         size_t cap);
/* Sends close_notify to every established peer, frees everything, wipes
 * key material. No callbacks. NULL is fine. */
void tekho_dtls_free(struct tekho_dtls *ep);

int tekho_dtls_fd(const struct tekho_dtls *ep);
TEKHO_NODISCARD tekho_err tekho_dtls_local_addr(const struct tekho_dtls *ep, struct sockaddr_storage *addr,
                                                socklen_t *len);
/* The longest message tekho_dtls_send takes: mtu - TEKHO_DTLS_RECORD_OVERHEAD. */
size_t tekho_dtls_max_payload(const struct tekho_dtls *ep);

/* Reads every pending datagram (until EAGAIN) and dispatches it; the
 * callbacks run from here. TEKHO_ERR_SOCKET only when the socket itself
 * fails (not for ICMP errors reported on it); garbage is never an error. */
TEKHO_NODISCARD tekho_err tekho_dtls_on_readable(struct tekho_dtls *ep);

/* Starts a handshake with the node at addr, which must prove the name
 * expected_peer_name. *peer is its id at once; on_peer_up or on_peer_down
 * (HANDSHAKE_FAILED, TIMEOUT) follows. If a peer already has that address:
 * its id when it is (or is being connected as) expected_peer_name, else
 * TEKHO_ERR_PEER_EXISTS. TEKHO_ERR_CAPACITY at max_peers. An IPv4 address
 * on an IPv6 endpoint is used as its IPv4-mapped form. */
TEKHO_NODISCARD tekho_err tekho_dtls_connect(struct tekho_dtls *ep, const struct sockaddr *addr, socklen_t len,
                                             const char *expected_peer_name, uint64_t *peer);

/* One message to an established peer, as one record in one datagram;
 * queued when its handshake is running (TEKHO_DTLS_QUEUE_MAX).
 * TEKHO_ERR_MESSAGE_TOO_LONG over tekho_dtls_max_payload,
 * TEKHO_ERR_NOT_CONNECTED for an id that is not a live peer,
 * TEKHO_ERR_HANDSHAKE_PENDING when the queue is full. A sendto failure is
 * not an error (UDP loses datagrams; stats.send_errors counts it). */
TEKHO_NODISCARD tekho_err tekho_dtls_send(struct tekho_dtls *ep, uint64_t peer, const uint8_t *msg, size_t len);

/* Microseconds until the earliest retransmission or handshake deadline,
 * 0 if one is due, UINT64_MAX if none. */
uint64_t tekho_dtls_next_timeout_us(const struct tekho_dtls *ep);
/* Retransmits what is due and fails the handshakes past their deadline. */
TEKHO_NODISCARD tekho_err tekho_dtls_on_timeout(struct tekho_dtls *ep);

/* Sends close_notify (established peer) and forgets the peer; its id is
 * dead. No on_peer_down. TEKHO_ERR_NOT_CONNECTED for an unknown id. */
TEKHO_NODISCARD tekho_err tekho_dtls_close(struct tekho_dtls *ep, uint64_t peer);

/* The authenticated name of an established peer, NULL otherwise; valid
 * until the peer goes down. */
const char *tekho_dtls_peer_name(const struct tekho_dtls *ep, uint64_t peer);
const struct tekho_dtls_stats *tekho_dtls_stats(const struct tekho_dtls *ep);
/* "closed", "handshake failed", ... in static storage. */
const char *tekho_dtls_down_name(enum tekho_dtls_down why);

#ifdef __cplusplus
}
#endif
#endif
