/* daemon_fuzz: bad input at running daemons (issue 12), for
 * tests/test_daemon_fuzz.sh.
 *
 *   daemon_fuzz --config NET.yaml --targets LIST --seed S --count N --seconds T
 *               [--half-open K] [--scrape ADDR:PORT]
 *   daemon_fuzz --config NET.yaml --targets bsd-air --seed S --entry-attack
 *
 * Sends at most N datagrams in at most T seconds (paced evenly over nine
 * tenths of T) at the ports of the network the config describes, LIST
 * naming which (comma-separated): authd (its backbone port), bsd-air,
 * bsd-backbone (every BS's), msd-air, or all. Every address must be a
 * loopback one (127.0.0.0/8, ::1): nothing is sent anywhere else. What it
 * sends, by category (a seed makes the same choices; frame numbers and due
 * times come from the clock, replays partly from what the daemons answer):
 *
 *   air ports
 *     random         random bytes, 0..2100 long (1 in 100 of them 65000)
 *     air-header     a valid-looking air header (air.h) with a field out of
 *                    range: magic, version, reserved, type, MS index (n_ms
 *                    .. huge), sender (0, n_bs + 1 .. huge), a body of the
 *                    wrong length for its type, a due time on a type that
 *                    has none, or a frame number anywhere
 *     air-truncated  a valid-looking datagram cut short
 *     air-bitflip    a valid-looking datagram with 1..4 bits flipped
 *     air-mac-pdu    UL_PDU / DL_PDU datagrams carrying real MAC PDUs of the
 *                    network's MSs (1 in 8 with an MS index beyond them):
 *                    every management message tests/samples.c
 *                    builds, re-framed on the MS's basic CID with its MAC
 *                    address and the network's BSIDs (CMACs under other
 *                    keys), data PDUs sealed under random TEKs on its
 *                    transport CID, valid headers over random bodies
 *     air-forged     the testbed's own datagrams, forged: DL_OFFER with a
 *                    due time now, in the past and far in the future,
 *                    UL_DELIVERED with a user payload of an MS (its magic,
 *                    index and direction; sequence numbers near and far),
 *                    BEACON of a real BS
 *     oversized      a valid header over a body longer than 2047, or 65000
 *   backbone ports
 *     random         as above
 *     dtls-record    DTLS-looking records: content types 20..25, versions
 *                    0xfefd, 0xfeff and random, epochs 0, 1 and random,
 *                    lengths larger than the datagram, several records in a
 *                    datagram, protected records shorter than a nonce and tag
 *     dtls-fragment  handshake records: ClientHello fragments (offsets,
 *                    lengths, message_seq), other handshake types, ASN-CP
 *                    messages (tests/samples.c) as handshake or
 *                    application records
 *     client-hello   whole ClientHellos without a cookie and with a random
 *                    one, each from one of 64 source ports
 *     oversized      DTLS-looking datagrams longer than the MTU (1200), 65000
 *   both
 *     replay         an exact copy of a valid-looking datagram sent before,
 *                    or of a datagram a daemon sent back (HelloVerifyRequests,
 *                    alerts), from another source port
 *     replay-mutated such a copy, truncated, bit-flipped, or with a byte
 *                    changed, inserted or removed
 *   and, at each backbone port, K times (--half-open, default 8) from a
 *   port of its own, the cookie exchange done right: a ClientHello, the
 *   daemon's HelloVerifyRequest, the ClientHello with that cookie; once
 *   the daemon answers with its flight (a half-open handshake), handshake
 *   garbage from that port until the end (half-open).
 *
 * It prints one line per target, "target NAME ADDR sent N must_drop M":
 * what it sent there, and how many of
 * them the daemon must drop and count (air: air_bad; backbone:
 * dtls_garbage_dropped + dtls_cookie_exchanges): everything but air
 * datagrams that the daemon hands to its roles (an UL_PDU of an MS of the
 * network at a bsd, a DL_PDU of an MS from a BS of the network at the msd:
 * there the roles check) and what the half-open ports send. Then the
 * handshakes it left half-open at each backbone port (the daemon must fail
 * each: dtls_handshakes_failed). With --scrape ADDR:PORT (the msd's
 * metrics), the handovers completed when it started and when it
 * stopped.
 *
 * --entry-attack sends nothing of the above: at every bsd's air port, for
 * every MS of the network, an initial RNG-REQ naming it and then an SBC-REQ
 * on its basic CID, the first two messages of a network entry, neither
 * authenticated. tekho's roles model the entry's EAP as done, so the BS
 * fetches the entry's AK contexts; before issue 9's M2 the Authenticator
 * took the MS's next PMK then, and the MS, still under its old one, failed
 * its next handover and re-entered (120 datagrams: 50 PMKs taken, 57
 * handovers failed in the next 22 s of a 3-BS, 20-MS network that fails
 * none without them). Now nothing is taken without the MS's Key-Request
 * (test_daemon_fuzz's entry run asserts it).
 *
 * Exit 0 when it sent what it could, 2 for a bad argument, 1 for a failure. */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "air.h"
#include "config.h"
#include "samples.h"
#include "tekho/mgmt.h"
#include "tekho/pdu.h"
#include "tekho/roles.h"

/* ---- bytes and time ---------------------------------------------------------------- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    put16(p + 1, v);
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the daemons' clock (src/daemon/loop.c) */
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(uint64_t us)
{
    const struct timespec ts = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000L};
    nanosleep(&ts, NULL);
}

/* ---- what it sends --------------------------------------------------------------------- */

enum cat {
    C_RANDOM,
    C_AIR_HEADER,
    C_AIR_TRUNCATED,
    C_AIR_BITFLIP,
    C_AIR_MAC,
    C_AIR_FORGED,
    C_DTLS_RECORD,
    C_DTLS_FRAGMENT,
    C_DTLS_HELLO,
    C_OVERSIZED,
    C_REPLAY,
    C_REPLAY_MUTATED,
    C_HALF_OPEN,
    C_N
};
static const char *const CAT_NAME[C_N] = {
    "random",       "air-header",    "air-truncated", "air-bitflip", "air-mac-pdu", "air-forged",     "dtls-record",
    "dtls-fragment", "client-hello", "oversized",     "replay",      "replay-mutated", "half-open",
};

enum kind { K_BSD_AIR, K_MSD_AIR, K_BACKBONE };

#define HALF_OPEN_MAX 64

struct target {
    char name[96];
    char text[TEKHO_CONFIG_ADDR_MAX]; /* its address as the config writes it */
    enum kind kind;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t sent[C_N];
    uint64_t total, must_drop;
    /* backbone: the ports of its half-open handshakes */
    int half_fd[HALF_OPEN_MAX];
    unsigned n_half;
};

/* Datagrams sent before (valid-looking ones) or received, for replays. */
#define RING 512
#define DGRAM_MAX 65000
struct ring {
    uint8_t *d[RING];
    size_t len[RING];
    size_t n;
};

struct fuzz {
    uint64_t rng; /* splitmix64 state: the seed */
    struct tekho_config *cfg;
    unsigned n_bs, n_ms;
    uint64_t frame_us;
    struct target *t;
    size_t n_t;
    int pool4[64], pool6[64];
    struct ring air_ring, dtls_ring;
    struct sample samples[SAMPLES_MAX];
    size_t n_samples;
    struct tekho_pdu_key *keys[4];
    uint8_t buf[DGRAM_MAX];
};

/* ---- random ---------------------------------------------------------------------------- */

/* splitmix64 */
static uint64_t rnd(struct fuzz *z)
{
    uint64_t x = (z->rng += 0x9e3779b97f4a7c15u);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* 0 .. n - 1 */
static uint32_t below(struct fuzz *z, uint32_t n)
{
    return n ? (uint32_t)(rnd(z) % n) : 0;
}

static void fill(struct fuzz *z, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd(z);
}

static bool loopback(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)a;
        return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)a;
        static const uint8_t one[16] = {[15] = 1};
        return memcmp(&s->sin6_addr, one, 16) == 0;
    }
    return false;
}

static void ring_put(struct fuzz *z, struct ring *r, const uint8_t *d, size_t len)
{
    if (len == 0 || len > DGRAM_MAX)
        return;
    const size_t i = r->n < RING ? r->n++ : below(z, RING);
    uint8_t *p = realloc(r->d[i], len);
    if (p == NULL)
        return;
    memcpy(p, d, len);
    r->d[i] = p;
    r->len[i] = len;
}

static void ring_free(struct ring *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->d[i]);
}

/* A copy changed one way: truncated, bits flipped, a byte set, a byte
 * inserted or removed. */
static size_t mutate(struct fuzz *z, uint8_t *b, size_t n, size_t cap)
{
    if (n == 0)
        return 0;
    switch (below(z, 5)) {
    case 0: return below(z, (uint32_t)n);
    case 1:
        for (unsigned k = 1 + below(z, 4); k > 0; k--)
            b[below(z, (uint32_t)n)] ^= (uint8_t)(1u << below(z, 8));
        return n;
    case 2: b[below(z, (uint32_t)n)] = (uint8_t)rnd(z); return n;
    case 3:
        if (n < cap) {
            const size_t at = below(z, (uint32_t)n + 1);
            memmove(b + at + 1, b + at, n - at);
            b[at] = (uint8_t)rnd(z);
            return n + 1;
        }
        return n;
    default: {
        const size_t at = below(z, (uint32_t)n);
        memmove(b + at, b + at + 1, n - at - 1);
        return n - 1;
    }
    }
}

/* ---- air ------------------------------------------------------------------------------- */

static uint32_t frame_now(const struct fuzz *z)
{
    return (uint32_t)(now_us() / z->frame_us);
}

/* An MS index: mostly one of the network's. */
static uint32_t some_ms(struct fuzz *z)
{
    return below(z, 8) ? below(z, z->n_ms) : (below(z, 2) ? z->n_ms + below(z, 4) : (uint32_t)rnd(z));
}

static void replace_all(uint8_t *p, size_t n, const uint8_t *from, const uint8_t *to, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, from, k) == 0)
            memcpy(p + i, to, k);
}

/* The first two messages of an MS's network entry, neither authenticated
 * (802.16 ranging and capabilities): an initial RNG-REQ naming MS ms, or
 * (sbc) the samples' SBC-REQ, each on its basic CID. */
static size_t entry_pdu(const struct fuzz *z, uint32_t ms, bool sbc, uint8_t *out, size_t cap)
{
    uint8_t msg[256];
    size_t len = 0, n = 0;
    if (sbc) {
        for (size_t i = 0; i < z->n_samples && n == 0; i++)
            if (strcmp(z->samples[i].name, "SBC-REQ") == 0) {
                n = z->samples[i].msg_len;
                memcpy(msg, z->samples[i].msg, n);
            }
    } else {
        struct tekho_rng_req r = {.has_ms_mac = true};
        tekho_ms_mac_of_index(ms, r.ms_mac);
        if (tekho_rng_req_encode(&r, msg, sizeof msg, &n) != TEKHO_OK)
            n = 0;
    }
    if (n == 0 || tekho_mgmt_frame(tekho_ms_basic_cid(ms), false, msg, n, out, cap, &len) != TEKHO_OK)
        return 0;
    return len;
}

/* A real MAC PDU about MS ms, for the air in direction ul; its length. */
static size_t mac_pdu(struct fuzz *z, uint32_t ms, bool ul, uint8_t *out, size_t cap)
{
    size_t len = 0;
    const unsigned what = below(z, 10);
    if (what < 5 && z->n_samples > 0) {
        /* a management message of the samples, about this MS, on this network */
        const struct sample *s = &z->samples[below(z, (uint32_t)z->n_samples)];
        if (s->kind != SAMPLE_AIR)
            s = &z->samples[0];
        uint8_t msg[1500], mac[6], sample_mac[6] = {0x00, 0x1b, 0x11, 0xc9, 0xd5, 0x0c};
        uint8_t bsid5[6] = {0, 0, 0, 0, 0, 5}, bsid7[6] = {0, 0, 0, 0, 0, 7};
        uint8_t serving[6] = {0}, target[6] = {0};
        serving[5] = (uint8_t)(1 + below(z, z->n_bs));
        target[5] = (uint8_t)(1 + below(z, z->n_bs));
        memcpy(msg, s->msg, s->msg_len);
        tekho_ms_mac_of_index(ms, mac);
        replace_all(msg, s->msg_len, sample_mac, mac, 6);
        replace_all(msg, s->msg_len, bsid5, serving, 6);
        replace_all(msg, s->msg_len, bsid7, target, 6);
        if (below(z, 4) == 0 && s->msg_len > 2) /* and one byte changed */
            msg[1 + below(z, (uint32_t)s->msg_len - 1)] = (uint8_t)rnd(z);
        if (tekho_mgmt_frame(tekho_ms_basic_cid(ms), below(z, 2), msg, s->msg_len, out, cap, &len) != TEKHO_OK)
            return 0;
        return len;
    }
    if (what < 8) {
        /* user data sealed under a TEK that is not the MS's */
        uint8_t p[48] = {'T', 'K', 'H', 'O'};
        put32(p + 4, ms);
        p[8] = ul ? 0 : 1;
        put32(p + 9, below(z, 4) ? below(z, 4096) : (uint32_t)rnd(z));
        const uint32_t pn = below(z, 2) ? 1 + below(z, 64) : 1 + below(z, TEKHO_PN_COUNTER_MAX);
        const struct tekho_pdu_seal_params sp = {.dir = ul ? TEKHO_DIR_UL : TEKHO_DIR_DL, .pn = pn,
                                                 .cid = below(z, 8) ? tekho_ms_data_cid(ms) : (uint16_t)rnd(z),
                                                 .eks = (uint8_t)below(z, 4), .type = 0, .crc = below(z, 2)};
        if (tekho_pdu_seal(z->keys[below(z, 4)], &sp, p, sizeof p, out, cap, &len) != TEKHO_OK)
            return 0;
        return len;
    }
    /* a generic MAC header with a valid HCS over random bytes */
    len = TEKHO_GMH_LEN + below(z, 200);
    const struct tekho_gmh h = {.ec = below(z, 2), .type = (uint8_t)below(z, 64), .esf = below(z, 4) == 0,
                                .ci = below(z, 2), .eks = (uint8_t)below(z, 4), .len = (uint16_t)len,
                                .cid = below(z, 2) ? tekho_ms_basic_cid(ms) : tekho_ms_data_cid(ms)};
    if (tekho_gmh_encode(&h, out) != TEKHO_OK)
        return 0;
    fill(z, out + TEKHO_GMH_LEN, len - TEKHO_GMH_LEN);
    return len;
}

/* A valid air datagram of this type (what the testbed's daemons send). */
static size_t air_valid(struct fuzz *z, enum tekho_air_type type, uint8_t *out, size_t cap)
{
    uint8_t body[TEKHO_AIR_MAX_BODY];
    struct tekho_air_msg m = {.type = type, .frame = frame_now(z), .ms = below(z, z->n_ms), .body = body};
    if (type == TEKHO_AIR_UL_PDU || type == TEKHO_AIR_DL_PDU)
        m.ms = some_ms(z);
    switch (type) {
    case TEKHO_AIR_UL_PDU:
    case TEKHO_AIR_DL_PDU:
        m.sender = type == TEKHO_AIR_UL_PDU ? 0 : (uint16_t)(1 + below(z, z->n_bs));
        m.body_len = mac_pdu(z, m.ms, type == TEKHO_AIR_UL_PDU, body, sizeof body);
        if (m.body_len == 0) {
            body[0] = 0;
            m.body_len = 1;
        }
        break;
    case TEKHO_AIR_DL_OFFER:
    case TEKHO_AIR_UL_DELIVERED:
        memset(body, 0, TEKHO_AIR_PAYLOAD_LEN);
        memcpy(body, "TKHO", 4);
        put32(body + 4, m.ms);
        body[8] = type == TEKHO_AIR_DL_OFFER ? 1 : 0;
        put32(body + 9, below(z, 2) ? below(z, 64) : below(z, 4) ? below(z, 100000) : (uint32_t)rnd(z));
        m.body_len = TEKHO_AIR_PAYLOAD_LEN;
        if (type == TEKHO_AIR_DL_OFFER) {
            const uint64_t now = now_us();
            const unsigned when = below(z, 4);
            m.due_us = when == 0 ? now + z->frame_us : when == 1 ? now - (1 + below(z, 10000)) * z->frame_us
                     : when == 2 ? now + (uint64_t)(1 + below(z, 1000000)) * 1000000u
                                 : 1 + (rnd(z) >> 1);
        } else {
            m.sender = (uint16_t)(1 + below(z, z->n_bs));
        }
        break;
    case TEKHO_AIR_BEACON:
        body[0] = 0;
        m.body_len = 1;
        m.sender = (uint16_t)(1 + below(z, z->n_bs));
        break;
    }
    size_t len = 0;
    return tekho_air_encode(&m, out, cap, &len) == TEKHO_OK ? len : 0;
}

static enum tekho_air_type some_type(struct fuzz *z)
{
    return (enum tekho_air_type)(TEKHO_AIR_UL_PDU + below(z, 5));
}

/* One valid header field out of range (or a body of the wrong length). */
static size_t air_header(struct fuzz *z, uint8_t *out, size_t cap)
{
    size_t n = air_valid(z, some_type(z), out, cap);
    if (n == 0)
        return 0;
    switch (below(z, 9)) {
    case 0: out[below(z, 2)] ^= (uint8_t)(1 + below(z, 255)); break;          /* magic */
    case 1: out[2] = (uint8_t)(below(z, 2) ? 0 : 2 + below(z, 254)); break;  /* version */
    case 2: out[3] = (uint8_t)(below(z, 2) ? 0 : 6 + below(z, 250)); break;  /* type */
    case 3: put16(out + 6, 1 + below(z, 0xffff)); break;                   /* reserved */
    case 4: put32(out + 12, z->n_ms + (below(z, 2) ? below(z, 16) : (uint32_t)rnd(z) >> 1)); break; /* MS index */
    case 5: put16(out + 4, below(z, 3) == 0 ? 0 : z->n_bs + 1 + below(z, 0xffff - z->n_bs)); break; /* sender */
    case 6: /* a due time on a type without one */
        if (out[3] != TEKHO_AIR_DL_OFFER)
            put32(out + 16 + 4 * below(z, 2), 1 + below(z, 0xfffffffe));
        else
            out[3] = TEKHO_AIR_UL_DELIVERED;
        break;
    case 7: /* a body of the wrong length for its type */
        if (out[3] == TEKHO_AIR_UL_PDU || out[3] == TEKHO_AIR_DL_PDU)
            return TEKHO_AIR_HEADER_LEN; /* none */
        if (n < cap)
            out[n] = (uint8_t)rnd(z);
        return below(z, 2) && n < cap ? n + 1 : n - 1 - below(z, (uint32_t)(n - TEKHO_AIR_HEADER_LEN - 1) + 1);
    default: /* frame numbers anywhere */
        put32(out + 8, (uint32_t)rnd(z));
        break;
    }
    return n;
}

/* ---- DTLS ------------------------------------------------------------------------------ */

static size_t record(uint8_t *out, uint8_t type, uint16_t version, uint16_t epoch, uint64_t seq, size_t len)
{
    out[0] = type;
    put16(out + 1, version);
    put16(out + 3, epoch);
    put16(out + 5, (uint32_t)(seq >> 32));
    put32(out + 7, (uint32_t)seq);
    put16(out + 11, (uint32_t)len);
    return 13;
}

/* A whole DTLS 1.2 ClientHello (as OpenSSL's client sends one) with this
 * random and cookie: the record, the handshake header, the body. */
static size_t client_hello(uint8_t *out, const uint8_t random[32], const uint8_t *cookie, size_t cookie_len,
                           uint16_t msg_seq)
{
    static const uint8_t suites[] = {0xc0, 0x2b, 0xcc, 0xac};
    static const uint8_t ext[] = {
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17,             /* supported_groups */
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                                     /* ec_point_formats */
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, /* signature_algorithms */
        0x00, 0x17, 0x00, 0x00,                                                 /* extended_master_secret */
        0xff, 0x01, 0x00, 0x01, 0x00,                                           /* renegotiation_info */
    };
    uint8_t *b = out + 13 + 12, *p = b;
    put16(p, 0xfefd), p += 2;
    memcpy(p, random, 32), p += 32;
    *p++ = 0; /* session id */
    *p++ = (uint8_t)cookie_len;
    if (cookie_len > 0)
        memcpy(p, cookie, cookie_len), p += cookie_len;
    put16(p, sizeof suites), p += 2;
    memcpy(p, suites, sizeof suites), p += sizeof suites;
    *p++ = 1;
    *p++ = 0;
    put16(p, sizeof ext), p += 2;
    memcpy(p, ext, sizeof ext), p += sizeof ext;
    const size_t body = (size_t)(p - b);
    uint8_t *h = out + 13;
    h[0] = 1;
    put24(h + 1, (uint32_t)body);
    put16(h + 4, msg_seq);
    put24(h + 6, 0);
    put24(h + 9, (uint32_t)body);
    record(out, 22, 0xfeff, 0, msg_seq, 12 + body);
    return 13 + 12 + body;
}

static uint16_t some_version(struct fuzz *z)
{
    const unsigned v = below(z, 4);
    return v == 0 ? 0xfefd : v == 1 ? 0xfeff : v == 2 ? (uint16_t)(0xfe00 | below(z, 256)) : (uint16_t)rnd(z);
}

static size_t dtls_record(struct fuzz *z, uint8_t *out, size_t cap)
{
    (void)z;
    size_t n = 0;
    for (unsigned k = below(z, 4) ? 1 : 2 + below(z, 3); k > 0 && n + 13 + 600 < cap; k--) {
        const uint8_t type = (uint8_t)(20 + below(z, 6));
        const uint16_t epoch = below(z, 3) == 0 ? 0 : below(z, 2) ? 1 : (uint16_t)rnd(z);
        const unsigned shape = below(z, 4);
        size_t body = shape == 0 ? below(z, 24) : 1 + below(z, 500); /* shape 0: shorter than a nonce and tag */
        size_t claimed = body;
        if (shape == 1)
            claimed = body + 1 + below(z, 2000); /* longer than the datagram */
        if (shape == 2)
            claimed = 0;
        record(out + n, type, some_version(z), epoch, rnd(z) & 0xffffffffffffu, claimed);
        fill(z, out + n + 13, body);
        if (type == 21 && body >= 2) { /* an alert that looks like one */
            out[n + 13] = (uint8_t)(1 + below(z, 2));
            out[n + 14] = (uint8_t)below(z, 120);
        }
        n += 13 + body;
    }
    return n;
}

static size_t dtls_fragment(struct fuzz *z, uint8_t *out, size_t cap)
{
    uint8_t random[32];
    fill(z, random, sizeof random);
    uint8_t cookie[32];
    fill(z, cookie, sizeof cookie);
    const unsigned what = below(z, 4);
    if (what == 0) {
        /* a ClientHello whose handshake header lies: offsets, lengths, sequence */
        size_t n = client_hello(out, random, cookie, below(z, 2) ? 0 : 1 + below(z, 32), (uint16_t)below(z, 3));
        uint8_t *h = out + 13;
        switch (below(z, 5)) {
        case 0: put24(h + 6, 1 + below(z, 300)); break;                   /* fragment offset */
        case 1: put24(h + 9, below(z, 2000)); break;                      /* fragment length */
        case 2: put24(h + 1, below(z, 0xffffff)); break;                  /* message length */
        case 3: put16(h + 4, (uint16_t)rnd(z)); break;                  /* message_seq */
        default: n = 13 + 12 + below(z, (uint32_t)(n - 25)); put16(out + 11, (uint32_t)(n - 13)); break; /* cut */
        }
        return n;
    }
    if (what == 1) {
        /* another handshake message, random body */
        const size_t body = below(z, 400);
        uint8_t *h = out + 13;
        static const uint8_t types[] = {0, 2, 3, 4, 11, 12, 13, 14, 15, 16, 20, 255};
        h[0] = types[below(z, sizeof types)];
        put24(h + 1, (uint32_t)body);
        put16(h + 4, (uint16_t)below(z, 8));
        put24(h + 6, 0);
        put24(h + 9, (uint32_t)body);
        fill(z, h + 12, body);
        record(out, 22, some_version(z), below(z, 2) ? 0 : 1, below(z, 16), 12 + body);
        return 13 + 12 + body;
    }
    /* an ASN-CP message in the clear, as a handshake or application record */
    const struct sample *s = NULL;
    for (unsigned tries = 0; tries < 64 && (s == NULL || s->kind != SAMPLE_BACKBONE); tries++)
        s = &z->samples[below(z, (uint32_t)z->n_samples)];
    if (s == NULL || s->kind != SAMPLE_BACKBONE || 13 + s->msg_len > cap)
        return 0;
    record(out, what == 2 ? 22 : 23, 0xfefd, what == 2 ? 0 : 1, below(z, 64), s->msg_len);
    memcpy(out + 13, s->msg, s->msg_len);
    return 13 + s->msg_len;
}

static int pool_fd(struct fuzz *z, const struct sockaddr_storage *to)
{
    int *pool = to->ss_family == AF_INET ? z->pool4 : z->pool6;
    const unsigned i = below(z, 64);
    if (pool[i] >= 0)
        return pool[i];
    const int fd = socket(to->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = to->ss_family;
    socklen_t len = (socklen_t)(to->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    if (to->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)&any)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)(void *)&any)->sin6_addr = in6addr_loopback;
    if (bind(fd, (struct sockaddr *)&any, len) != 0) {
        close(fd);
        return -1;
    }
    pool[i] = fd;
    return fd;
}

/* What the daemons sent back to the pool (HelloVerifyRequests, alerts):
 * kept for replays. */
static void drain_pool(struct fuzz *z)
{
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < 64; i++) {
            const int fd = f == 0 ? z->pool4[i] : z->pool6[i];
            if (fd < 0)
                continue;
            for (int k = 0; k < 16; k++) {
                const ssize_t n = recv(fd, z->buf, 2048, MSG_DONTWAIT);
                if (n <= 0)
                    break;
                ring_put(z, &z->dtls_ring, z->buf, (size_t)n);
            }
        }
}

/* Waits up to ms for a datagram on fd; its length, or 0. */
static size_t recv_wait(int fd, uint8_t *b, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    const uint64_t until = now_us() + (uint64_t)ms * 1000u;
    for (;;) {
        const uint64_t now = now_us();
        if (now >= until || poll(&p, 1, (int)((until - now) / 1000u) + 1) <= 0)
            return 0;
        const ssize_t n = recv(fd, b, cap, MSG_DONTWAIT);
        if (n > 0)
            return (size_t)n;
    }
}

/* The cookie exchange done right from a port of its own; true when the
 * daemon went on with the handshake (its ServerHello came). */
static bool half_open(struct fuzz *z, struct target *t)
{
    const int fd = socket(t->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    uint8_t random[32], out[600], in[4096];
    fill(z, random, sizeof random);
    size_t n = client_hello(out, random, NULL, 0, 0);
    bool ok = false;
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) == 0 && send(fd, out, n, 0) == (ssize_t)n) {
        const size_t got = recv_wait(fd, in, sizeof in, 1000);
        /* record(13) | handshake header(12), type 3 | version(2) cookie_len(1) cookie */
        if (got >= 13 + 12 + 3 && in[0] == 22 && in[13] == 3 && got >= 13 + 12 + 3 + (size_t)in[13 + 12 + 2]) {
            const size_t clen = in[13 + 12 + 2];
            uint8_t cookie[255];
            memcpy(cookie, in + 13 + 12 + 3, clen);
            n = client_hello(out, random, cookie, clen, 1);
            if (send(fd, out, n, 0) == (ssize_t)n) {
                const size_t flight = recv_wait(fd, in, sizeof in, 1000);
                ok = flight >= 13 + 12 && in[0] == 22 && in[13] == 2; /* ServerHello */
            }
        }
    }
    t->sent[C_HALF_OPEN] += 2;
    t->total += 2;
    if (!ok) {
        close(fd);
        return false;
    }
    t->half_fd[t->n_half++] = fd;
    return true;
}

/* ---- one datagram ---------------------------------------------------------------------- */

/* Whether the daemon behind t must drop this datagram (and count it),
 * with this network's rules (src/tools/cmd_daemon.c, on_air): only an
 * UL_PDU of one of its MSs at a bsd and a DL_PDU of one of its MSs from
 * one of its BSs at the msd reach the roles; the testbed's own datagrams
 * (DL_OFFER, UL_DELIVERED, BEACON) count only from the daemon that sends
 * them, never from here. */
static bool must_drop(const struct fuzz *z, const struct target *t, const uint8_t *d, size_t n)
{
    if (t->kind == K_BACKBONE)
        return true;
    struct tekho_air_msg m;
    if (n > TEKHO_AIR_MAX_LEN || tekho_air_decode(d, n, &m) != TEKHO_OK || m.ms >= z->n_ms)
        return true;
    if (t->kind == K_BSD_AIR)
        return !(m.type == TEKHO_AIR_UL_PDU && m.sender == 0);
    return !(m.type == TEKHO_AIR_DL_PDU && m.sender >= 1 && m.sender <= z->n_bs);
}

static void send_one(struct fuzz *z, struct target *t)
{
    uint8_t *b = z->buf;
    const size_t cap = sizeof z->buf;
    size_t n = 0;
    enum cat c;
    const bool air = t->kind != K_BACKBONE;
    struct ring *ring = air ? &z->air_ring : &z->dtls_ring;
    bool keep = false; /* valid-looking: for replays */
    /* the half-open ports send handshake garbage now and then */
    if (!air && t->n_half > 0 && below(z, 50) == 0) {
        n = dtls_fragment(z, b, 2048);
        const int fd = t->half_fd[below(z, t->n_half)];
        if (n > 0 && send(fd, b, n, MSG_DONTWAIT) >= 0) {
            t->sent[C_HALF_OPEN]++;
            t->total++;
        }
        return;
    }
    const unsigned r = below(z, 100);
    if (air) {
        c = r < 14 ? C_RANDOM : r < 32 ? C_AIR_HEADER : r < 42 ? C_AIR_TRUNCATED : r < 56 ? C_AIR_BITFLIP
          : r < 78 ? C_AIR_MAC : r < 86 ? C_AIR_FORGED : r < 87 ? C_OVERSIZED : r < 94 ? C_REPLAY : C_REPLAY_MUTATED;
    } else {
        c = r < 15 ? C_RANDOM : r < 43 ? C_DTLS_RECORD : r < 58 ? C_DTLS_FRAGMENT : r < 80 ? C_DTLS_HELLO
          : r < 84 ? C_OVERSIZED : r < 92 ? C_REPLAY : C_REPLAY_MUTATED;
    }
    if ((c == C_REPLAY || c == C_REPLAY_MUTATED) && ring->n == 0)
        c = C_RANDOM;
    switch (c) {
    case C_RANDOM:
        n = below(z, 100) == 0 ? 65000 : below(z, 2101);
        fill(z, b, n);
        break;
    case C_AIR_HEADER: n = air_header(z, b, cap); break;
    case C_AIR_TRUNCATED:
        n = air_valid(z, some_type(z), b, cap);
        ring_put(z, ring, b, n);
        n = n ? below(z, (uint32_t)n) : 0;
        break;
    case C_AIR_BITFLIP:
        n = air_valid(z, some_type(z), b, cap);
        ring_put(z, ring, b, n);
        for (unsigned k = 1 + below(z, 4); n > 0 && k > 0; k--)
            b[below(z, (uint32_t)n)] ^= (uint8_t)(1u << below(z, 8));
        break;
    case C_AIR_MAC:
        n = air_valid(z, below(z, 2) ? TEKHO_AIR_UL_PDU : TEKHO_AIR_DL_PDU, b, cap);
        keep = true;
        break;
    case C_AIR_FORGED: {
        const unsigned k = below(z, 3);
        n = air_valid(z, k == 0 ? TEKHO_AIR_DL_OFFER : k == 1 ? TEKHO_AIR_UL_DELIVERED : TEKHO_AIR_BEACON, b, cap);
        keep = true;
        break;
    }
    case C_OVERSIZED:
        if (air) {
            n = air_valid(z, TEKHO_AIR_UL_PDU, b, cap);
            const size_t want = below(z, 4) == 0 ? 65000 : TEKHO_AIR_MAX_LEN + 1 + below(z, 100);
            if (n > 0) {
                fill(z, b + n, want - n);
                n = want;
            }
        } else {
            n = below(z, 4) == 0 ? 65000 : 1201 + below(z, 900);
            const size_t inner = n - 13 > 0xffff ? 0xffff : n - 13;
            record(b, (uint8_t)(20 + below(z, 4)), 0xfefd, (uint16_t)below(z, 2), below(z, 100), inner);
            fill(z, b + 13, n - 13);
        }
        break;
    case C_DTLS_RECORD: n = dtls_record(z, b, 4096); keep = true; break;
    case C_DTLS_FRAGMENT: n = dtls_fragment(z, b, 4096); keep = true; break;
    case C_DTLS_HELLO: {
        uint8_t random[32], cookie[32];
        fill(z, random, sizeof random);
        fill(z, cookie, sizeof cookie);
        n = client_hello(b, random, cookie, below(z, 2) ? 0 : 1 + below(z, 32), (uint16_t)below(z, 2));
        keep = true;
        break;
    }
    case C_REPLAY:
    case C_REPLAY_MUTATED: {
        const size_t i = below(z, (uint32_t)ring->n);
        n = ring->len[i];
        memcpy(b, ring->d[i], n);
        if (c == C_REPLAY_MUTATED)
            n = mutate(z, b, n, cap);
        break;
    }
    case C_HALF_OPEN:
    case C_N: return;
    }
    const int fd = pool_fd(z, &t->addr);
    if (fd < 0)
        return;
    if (sendto(fd, b, n, 0, (const struct sockaddr *)&t->addr, t->addr_len) < 0 && errno != EAGAIN &&
        errno != ECONNREFUSED)
        return;
    t->sent[c]++;
    t->total++;
    t->must_drop += must_drop(z, t, b, n);
    if (keep)
        ring_put(z, ring, b, n);
}

/* --entry-attack: at every bsd, for every MS, an initial RNG-REQ and then an
 * SBC-REQ (the entry of tekho's roles, in which authorization is modelled as
 * done: the BS fetches the entry's AK contexts). Returns how many datagrams
 * it sent. */
static uint64_t entry_attack(struct fuzz *z)
{
    uint64_t sent = 0;
    uint8_t pdu[512], d[600];
    for (uint32_t ms = 0; ms < z->n_ms; ms++)
        for (int step = 0; step < 2; step++) {
            for (size_t i = 0; i < z->n_t; i++) {
                struct target *t = &z->t[i];
                if (t->kind != K_BSD_AIR)
                    continue;
                const struct tekho_air_msg m = {.type = TEKHO_AIR_UL_PDU, .frame = frame_now(z), .ms = ms, .body = pdu,
                                                .body_len = entry_pdu(z, ms, step == 1, pdu, sizeof pdu)};
                size_t n = 0;
                const int fd = pool_fd(z, &t->addr);
                if (m.body_len == 0 || tekho_air_encode(&m, d, sizeof d, &n) != TEKHO_OK || fd < 0 ||
                    sendto(fd, d, n, 0, (const struct sockaddr *)&t->addr, t->addr_len) < 0)
                    continue;
                t->sent[C_AIR_MAC]++;
                t->total++;
                sent++;
            }
            sleep_us(20000); /* the RNG-RSP, before the SBC-REQ */
        }
    return sent;
}

/* ---- the msd's metrics ----------------------------------------------------------------- */

/* tekho_handovers{outcome="completed"} from http://ADDR:PORT/metrics; -1 when it cannot. */
static long scrape(const char *at)
{
    struct tekho_config_endpoint e;
    if (tekho_config_endpoint_parse(at, &e) != TEKHO_OK || !loopback(&e.addr))
        return -1;
    const int fd = socket(e.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static char resp[1 << 20];
    size_t got = 0;
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: tekho\r\n\r\n";
    if (connect(fd, (const struct sockaddr *)&e.addr, e.addr_len) == 0 &&
        send(fd, req, sizeof req - 1, 0) == (ssize_t)(sizeof req - 1)) {
        ssize_t r;
        while (got < sizeof resp - 1 && (r = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0)
            got += (size_t)r;
    }
    close(fd);
    resp[got] = '\0';
    const char *key = "tekho_handovers{outcome=\"completed\"} ";
    const char *p = strstr(resp, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- main ------------------------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr, "usage: daemon_fuzz --config NET.yaml --targets all|authd,bsd-air,bsd-backbone,msd-air "
                    "--seed S (--count N --seconds T [--half-open K] | --entry-attack) [--scrape ADDR:PORT]\n");
    return 2;
}

static bool add_target(struct fuzz *z, const char *name, enum kind kind, const struct tekho_config_endpoint *e)
{
    if (!e->present)
        return true;
    if (!loopback(&e->addr)) {
        fprintf(stderr, "daemon_fuzz: %s %s is not a loopback address: refused\n", name, e->text);
        return false;
    }
    struct target *t = &z->t[z->n_t++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->text, sizeof t->text, "%s", e->text);
    t->kind = kind;
    memcpy(&t->addr, &e->addr, e->addr_len);
    t->addr_len = e->addr_len;
    return true;
}

int main(int argc, char **argv)
{
    const char *config = NULL, *targets = NULL, *scrape_at = NULL;
    unsigned long long seed = 0, count = 0, seconds = 0, half = 8;
    bool have_seed = false, attack = false;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(argv[i], "--entry-attack") == 0) {
            attack = true;
            continue;
        }
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--config") == 0)
            config = v;
        else if (strcmp(argv[i], "--targets") == 0)
            targets = v;
        else if (strcmp(argv[i], "--scrape") == 0)
            scrape_at = v;
        else if (strcmp(argv[i], "--seed") == 0 && (seed = strtoull(v, &end, 0), *end == '\0'))
            have_seed = true;
        else if (strcmp(argv[i], "--count") == 0 && (count = strtoull(v, &end, 0), *end == '\0'))
            ;
        else if (strcmp(argv[i], "--seconds") == 0 && (seconds = strtoull(v, &end, 0), *end == '\0'))
            ;
        else if (strcmp(argv[i], "--half-open") == 0 && (half = strtoull(v, &end, 0), *end == '\0') &&
                 half <= HALF_OPEN_MAX)
            ;
        else
            return usage();
        i++;
    }
    if (config == NULL || targets == NULL || !have_seed ||
        (!attack && (count == 0 || seconds == 0 || seconds > 3600)))
        return usage();
    static struct fuzz z;
    char why[1024] = "";
    if (tekho_config_load(config, &z.cfg, why, sizeof why) != TEKHO_OK) {
        fprintf(stderr, "daemon_fuzz: %s\n", why);
        return 2;
    }
    z.n_bs = (unsigned)z.cfg->n_bs;
    z.n_ms = z.cfg->msd.present ? z.cfg->msd.ms : 1;
    z.frame_us = 5000; /* tekho sim's --frame-us default; the testbed's config keeps it */
    z.rng = seed;
    for (int i = 0; i < 64; i++)
        z.pool4[i] = z.pool6[i] = -1;
    z.t = calloc(2 * z.cfg->n_bs + z.cfg->n_authd + 1, sizeof *z.t);
    if (z.t == NULL)
        return 1;
    const bool all = strcmp(targets, "all") == 0;
    char list[256];
    snprintf(list, sizeof list, ",%s,", targets);
#define WANT(x) (all || strstr(list, "," x ",") != NULL)
    bool ok = true;
    for (char *p = list + 1; *p; p = strchr(p, ',') + 1) {
        const size_t k = strcspn(p, ",");
        if (k > 0 && !all && strncmp(p, "authd,", 6) != 0 && strncmp(p, "bsd-air,", 8) != 0 &&
            strncmp(p, "bsd-backbone,", 13) != 0 && strncmp(p, "msd-air,", 8) != 0) {
            fprintf(stderr, "daemon_fuzz: --targets: %.*s?\n", (int)k, p);
            return usage();
        }
    }
    char name[96];
    for (size_t i = 0; ok && WANT("authd") && i < z.cfg->n_authd; i++) {
        snprintf(name, sizeof name, "%s.backbone", z.cfg->authd[i].name);
        ok = add_target(&z, name, K_BACKBONE, &z.cfg->authd[i].backbone);
    }
    for (size_t i = 0; ok && i < z.cfg->n_bs; i++) {
        snprintf(name, sizeof name, "%s.air", z.cfg->bs[i].name);
        if (WANT("bsd-air"))
            ok = add_target(&z, name, K_BSD_AIR, &z.cfg->bs[i].air);
        snprintf(name, sizeof name, "%s.backbone", z.cfg->bs[i].name);
        if (ok && WANT("bsd-backbone"))
            ok = add_target(&z, name, K_BACKBONE, &z.cfg->bs[i].backbone);
    }
    snprintf(name, sizeof name, "%s.air", z.cfg->msd.name);
    if (ok && WANT("msd-air") && z.cfg->msd.present)
        ok = add_target(&z, name, K_MSD_AIR, &z.cfg->msd.air);
#undef WANT
    if (!ok || z.n_t == 0) {
        if (ok)
            fprintf(stderr, "daemon_fuzz: no target\n");
        return 2;
    }
    z.n_samples = samples_build(z.samples, SAMPLES_MAX);
    for (int i = 0; i < 4; i++) {
        uint8_t tek[16];
        fill(&z, tek, sizeof tek); /* a TEK no MS has */
        const tekho_err err = tekho_pdu_key_new(tek, &z.keys[i]);
        OPENSSL_cleanse(tek, sizeof tek);
        if (err != TEKHO_OK)
            return 1;
    }
    if (z.n_samples == 0) {
        fprintf(stderr, "daemon_fuzz: the samples failed\n");
        return 1;
    }

    if (attack) {
        printf("entry-attack %llu datagrams\n", (unsigned long long)entry_attack(&z));
        count = 0;
        half = 0;
    }
    const long ho_start = scrape_at ? scrape(scrape_at) : -1;
    if (scrape_at)
        printf("scrape start completed %ld\n", ho_start);
    /* The half-open handshakes first, while the daemons wait for them. */
    for (size_t i = 0; i < z.n_t; i++)
        for (unsigned k = 0; z.t[i].kind == K_BACKBONE && k < half; k++)
            if (!half_open(&z, &z.t[i]))
                break; /* not answering (yet): no second second of waiting */
    const uint64_t t0 = now_us(), pace = seconds * 900000u, stop = t0 + seconds * 1000000u;
    uint64_t sent = 0;
    while (sent < count) {
        const uint64_t now = now_us();
        if (now >= stop)
            break;
        const uint64_t due = now - t0 >= pace ? count : count * (now - t0) / pace;
        if (sent >= due) {
            drain_pool(&z);
            sleep_us(1000);
            continue;
        }
        for (; sent < due && sent < count; sent++)
            send_one(&z, &z.t[below(&z, (uint32_t)z.n_t)]);
    }
    drain_pool(&z);
    const double took = (double)(now_us() - t0) / 1e6;
    const long ho_end = scrape_at ? scrape(scrape_at) : -1;

    uint64_t total = 0, per_cat[C_N] = {0};
    for (size_t i = 0; i < z.n_t; i++) {
        const struct target *t = &z.t[i];
        printf("target %s %s sent %llu must_drop %llu\n", t->name, t->text, (unsigned long long)t->total,
               (unsigned long long)t->must_drop);
        total += t->total;
        for (int c = 0; c < C_N; c++)
            per_cat[c] += t->sent[c];
        if (t->kind == K_BACKBONE)
            printf("half-open %s %u\n", t->name, t->n_half);
    }
    printf("categories");
    for (int c = 0; c < C_N; c++)
        if (per_cat[c])
            printf(" %s %llu", CAT_NAME[c], (unsigned long long)per_cat[c]);
    printf("\n");
    if (scrape_at)
        printf("scrape end completed %ld\n", ho_end);
    printf("total %llu datagrams in %.1f s, seed %llu\n", (unsigned long long)total, took, seed);

    for (size_t i = 0; i < z.n_t; i++)
        for (unsigned k = 0; k < z.t[i].n_half; k++)
            close(z.t[i].half_fd[k]);
    for (int i = 0; i < 64; i++) {
        if (z.pool4[i] >= 0)
            close(z.pool4[i]);
        if (z.pool6[i] >= 0)
            close(z.pool6[i]);
    }
    for (int i = 0; i < 4; i++)
        tekho_pdu_key_free(z.keys[i]);
    ring_free(&z.air_ring);
    ring_free(&z.dtls_ring);
    free(z.t);
    tekho_config_free(z.cfg);
    return 0;
}
