/* Rewrites one of tekho's own captures into another link layer or
 * addressing, record by record, through libpcap, so that tests can check
 * that `tekho decode` reads them all the same (test_captures.sh).
 *
 * usage: rewrite_capture MODE IN.pcap OUT | rewrite_capture insert IN.pcap OUT FRAME HEX
 *        | rewrite_capture record IN.pcap FRAME | rewrite_capture crc HEX
 *   backbone captures (Ethernet | IPv4 10.x | UDP 2231 | ASN-CP):
 *     ipv4     other IPv4 addresses (10.a.b.c becomes 198.18.b.c), checksums redone
 *     ipv6     IPv6 (2001:db8::a:b:c), UDP checksum computed
 *     vlan     an 802.1Q tag (VLAN 100) after the MAC addresses
 *     qinq     two tags, 802.1ad 200 then 802.1Q 100
 *     sll      Linux cooked capture v1 (tcpdump -i any)
 *     sll2     Linux cooked capture v2
 *     raw      raw IP (LINKTYPE_RAW)
 *     port     UDP port 7000 instead of 2231 (for --asncp-port)
 *     mixed    every record preceded by foreign traffic: DNS over UDP, ARP,
 *              a TCP segment, UDP over IPv6, and an IPv4 fragment of port 2231
 *     pcapng   the same frames in a pcapng file
 *   air captures (USER0 bursts):
 *     m2m      Ethernet with the M2M ethertype, one PDU Burst TLV a record
 *   any capture:
 *     insert FRAME HEX   a record with the bytes HEX after record FRAME, at its time
 *   rewrite_capture record IN.pcap FRAME   prints record FRAME's bytes in hex
 *   rewrite_capture crc HEX   prints the MAC PDU HEX with its CRC-32 redone
 *     m2m-frag each burst of 40 bytes or more in three fragments, each in a
 *              frame of its own, after the first one a first fragment with
 *              the same burst number from another sender (never completed);
 *              the shorter bursts two to a frame
 * Exit 0, or 1 with a message. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "tekho/pdu.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAME 70000

struct out {
    pcap_t *pcap;
    pcap_dumper_t *dumper;
    FILE *ng; /* pcapng */
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += get16(p + i);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xFFFFu) + (acc >> 16);
    return (uint16_t)~acc;
}

static void ng_block(FILE *f, uint32_t type, const uint8_t *body, size_t n)
{
    const uint32_t total = (uint32_t)(12 + ((n + 3) & ~(size_t)3));
    static const uint8_t pad[4] = {0};
    fwrite(&type, 4, 1, f);
    fwrite(&total, 4, 1, f);
    fwrite(body, 1, n, f);
    fwrite(pad, 1, ((n + 3) & ~(size_t)3) - n, f);
    fwrite(&total, 4, 1, f);
}

static bool out_open(struct out *o, const char *path, int dlt, bool pcapng)
{
    memset(o, 0, sizeof *o);
    if (pcapng) {
        o->ng = fopen(path, "wb");
        if (o->ng == NULL)
            return false;
        uint8_t shb[16];
        const uint32_t magic = 0x1A2B3C4D;
        memcpy(shb, &magic, 4);
        put16(shb + 4, 0);
        shb[4] = 1; /* version 1.0, host order */
        shb[5] = 0;
        shb[6] = 0;
        shb[7] = 0;
        memset(shb + 8, 0xFF, 8); /* section length unknown */
        ng_block(o->ng, 0x0A0D0D0A, shb, sizeof shb);
        uint8_t idb[8] = {0};
        const uint16_t lt = (uint16_t)dlt;
        const uint32_t snap = 65535;
        memcpy(idb, &lt, 2);
        memcpy(idb + 4, &snap, 4);
        ng_block(o->ng, 1, idb, sizeof idb); /* microseconds: the default resolution */
        return true;
    }
    o->pcap = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_MICRO);
    o->dumper = o->pcap ? pcap_dump_open(o->pcap, path) : NULL;
    return o->dumper != NULL;
}

static void out_write(struct out *o, const struct pcap_pkthdr *h0, const uint8_t *p, size_t n)
{
    if (o->ng) {
        uint8_t *b = malloc(20 + n);
        if (b == NULL)
            exit(1);
        const uint64_t us = (uint64_t)h0->ts.tv_sec * 1000000u + (uint64_t)h0->ts.tv_usec;
        const uint32_t iface = 0, hi = (uint32_t)(us >> 32), lo = (uint32_t)us, len = (uint32_t)n;
        memcpy(b, &iface, 4);
        memcpy(b + 4, &hi, 4);
        memcpy(b + 8, &lo, 4);
        memcpy(b + 12, &len, 4);
        memcpy(b + 16, &len, 4);
        memcpy(b + 20, p, n);
        ng_block(o->ng, 6, b, 20 + n);
        free(b);
        return;
    }
    struct pcap_pkthdr h = *h0;
    h.caplen = h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)o->dumper, &h, p);
}

static void out_close(struct out *o)
{
    if (o->ng)
        fclose(o->ng);
    if (o->dumper)
        pcap_dump_close(o->dumper);
    if (o->pcap)
        pcap_close(o->pcap);
}

/* ---- backbone ---- */

/* The IPv4 packet of an Ethernet frame with its UDP checksum redone. */
static void ipv4_fix(uint8_t *ip)
{
    const size_t ihl = (size_t)(ip[0] & 0x0F) * 4, total = get16(ip + 2);
    put16(ip + 10, 0);
    put16(ip + 10, fold(sum16(ip, ihl, 0)));
    uint8_t *udp = ip + ihl;
    const size_t ulen = total - ihl;
    put16(udp + 6, 0);
    uint16_t ck = fold(sum16(udp, ulen, sum16(ip + 12, 8, 0) + 17 + (uint32_t)ulen));
    put16(udp + 6, ck ? ck : 0xFFFF);
}

/* IPv6 | UDP from an IPv4 | UDP packet; returns its length. */
static size_t to_ipv6(const uint8_t *ip4, uint8_t *out)
{
    const size_t ihl = (size_t)(ip4[0] & 0x0F) * 4, total = get16(ip4 + 2), ulen = total - ihl;
    memset(out, 0, 40);
    out[0] = 0x60;
    put16(out + 4, (uint16_t)ulen);
    out[6] = 17;
    out[7] = 64;
    static const uint8_t prefix[10] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(out + 8, prefix, 10);
    memcpy(out + 8 + 13, ip4 + 13, 3); /* 2001:db8::a:b:c */
    memcpy(out + 24, prefix, 10);
    memcpy(out + 24 + 13, ip4 + 17, 3);
    memcpy(out + 40, ip4 + ihl, ulen);
    uint8_t *udp = out + 40;
    put16(udp + 6, 0);
    uint32_t acc = sum16(out + 8, 32, 0) + 17 + (uint32_t)ulen;
    uint16_t ck = fold(sum16(udp, ulen, acc));
    put16(udp + 6, ck ? ck : 0xFFFF);
    return 40 + ulen;
}

static void foreign(struct out *o, const struct pcap_pkthdr *h, const uint8_t *frame)
{
    uint8_t b[256];
    /* DNS query over UDP 53 from 192.0.2.1 to 192.0.2.53 */
    memcpy(b, frame, 12);
    put16(b + 12, 0x0800);
    uint8_t *ip = b + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, 20 + 8 + 12);
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = 1;
    ip[16] = 192, ip[17] = 0, ip[18] = 2, ip[19] = 53;
    uint8_t *udp = ip + 20;
    put16(udp, 40000);
    put16(udp + 2, 53);
    put16(udp + 4, 8 + 12);
    memset(udp + 8, 0, 12);
    udp[8] = 0x12, udp[9] = 0x34, udp[10] = 0x01, udp[13] = 1;
    ipv4_fix(ip);
    out_write(o, h, b, 14 + 40);
    /* ARP request */
    memcpy(b, frame, 12);
    put16(b + 12, 0x0806);
    memset(b + 14, 0, 28);
    put16(b + 14, 1);
    put16(b + 16, 0x0800);
    b[18] = 6, b[19] = 4;
    put16(b + 20, 1);
    out_write(o, h, b, 14 + 28);
    /* a TCP segment between the same hosts as the ASN-CP, port 2231 */
    memcpy(b, frame, 14 + 20);
    ip = b + 14;
    ip[9] = 6;
    put16(ip + 2, 20 + 20);
    uint8_t *tcp = ip + 20;
    memset(tcp, 0, 20);
    put16(tcp, 2231);
    put16(tcp + 2, 2231);
    tcp[12] = 0x50;
    tcp[13] = 0x10;
    put16(ip + 10, 0);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    out_write(o, h, b, 14 + 40);
    /* UDP over IPv6 to port 5060 */
    memcpy(b, frame, 12);
    put16(b + 12, 0x86DD);
    uint8_t *ip6 = b + 14;
    memset(ip6, 0, 40 + 8 + 4);
    ip6[0] = 0x60;
    put16(ip6 + 4, 12);
    ip6[6] = 17;
    ip6[7] = 1;
    ip6[8] = 0xfe, ip6[9] = 0x80, ip6[23] = 1;
    ip6[24] = 0xff, ip6[25] = 0x02, ip6[39] = 0x0c;
    put16(ip6 + 40, 5060);
    put16(ip6 + 42, 5060);
    put16(ip6 + 44, 12);
    out_write(o, h, b, 14 + 52);
    /* the first fragment of an IPv4 datagram to port 2231 (MF set) */
    const size_t n = 14 + get16(frame + 16);
    if (n <= sizeof b) {
        memcpy(b, frame, n);
        put16(b + 14 + 6, 0x2000);
        put16(b + 14 + 10, 0);
        put16(b + 14 + 10, fold(sum16(b + 14, 20, 0)));
        out_write(o, h, b, n);
    }
}

static int backbone(const char *mode, pcap_t *in, const char *path)
{
    int dlt = DLT_EN10MB;
    if (strcmp(mode, "sll") == 0)
        dlt = DLT_LINUX_SLL;
    else if (strcmp(mode, "sll2") == 0)
        dlt = DLT_LINUX_SLL2;
    else if (strcmp(mode, "raw") == 0)
        dlt = DLT_RAW;
    struct out o;
    if (!out_open(&o, path, dlt, strcmp(mode, "pcapng") == 0)) {
        fprintf(stderr, "rewrite_capture: cannot write %s\n", path);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    static uint8_t f[MAX_FRAME], g[MAX_FRAME];
    while (pcap_next_ex(in, &h, &d) == 1) {
        if (h->caplen < 14 + 20 + 8 || h->caplen > MAX_FRAME - 64 || get16(d + 12) != 0x0800) {
            fprintf(stderr, "rewrite_capture: not an Ethernet/IPv4 record\n");
            return 1;
        }
        memcpy(f, d, h->caplen);
        size_t n = h->caplen;
        uint8_t *ip = f + 14;
        if (strcmp(mode, "ipv4") == 0) {
            ip[12] = 198, ip[13] = 18;
            ip[16] = 198, ip[17] = 18;
            ipv4_fix(ip);
        } else if (strcmp(mode, "port") == 0) {
            uint8_t *udp = ip + (ip[0] & 0x0F) * 4;
            put16(udp, 7000);
            put16(udp + 2, 7000);
            ipv4_fix(ip);
        } else if (strcmp(mode, "ipv6") == 0) {
            memcpy(g, f, 12);
            put16(g + 12, 0x86DD);
            n = 14 + to_ipv6(ip, g + 14);
            memcpy(f, g, n);
        } else if (strcmp(mode, "vlan") == 0 || strcmp(mode, "qinq") == 0) {
            const bool two = strcmp(mode, "qinq") == 0;
            const size_t tags = two ? 8 : 4;
            memcpy(g, f, 12);
            if (two) {
                put16(g + 12, 0x88A8);
                put16(g + 14, 200);
            }
            put16(g + 12 + tags - 4, 0x8100);
            put16(g + 12 + tags - 2, 100);
            memcpy(g + 12 + tags, f + 12, n - 12);
            n += tags;
            memcpy(f, g, n);
        } else if (strcmp(mode, "sll") == 0) {
            memset(g, 0, 16);
            put16(g, 4); /* sent by us */
            put16(g + 2, 1); /* ARPHRD_ETHER */
            put16(g + 4, 6);
            memcpy(g + 6, f + 6, 6);
            put16(g + 14, 0x0800);
            memcpy(g + 16, ip, n - 14);
            n = n - 14 + 16;
            memcpy(f, g, n);
        } else if (strcmp(mode, "sll2") == 0) {
            memset(g, 0, 20);
            put16(g, 0x0800);
            g[7] = 2; /* interface index 2 */
            put16(g + 8, 1);
            g[10] = 4;
            g[11] = 6;
            memcpy(g + 12, f + 6, 6);
            memcpy(g + 20, ip, n - 14);
            n = n - 14 + 20;
            memcpy(f, g, n);
        } else if (strcmp(mode, "raw") == 0) {
            memmove(f, ip, n - 14);
            n -= 14;
        } else if (strcmp(mode, "mixed") == 0) {
            foreign(&o, h, f);
        } else if (strcmp(mode, "pcapng") != 0) {
            fprintf(stderr, "rewrite_capture: unknown mode %s\n", mode);
            return 1;
        }
        out_write(&o, h, f, n);
    }
    out_close(&o);
    return 0;
}

/* ---- air ---- */

/* An M2M frame: Ethernet, sequence, the TLVs given. */
static size_t m2m_frame(uint8_t *b, uint16_t seq, uint16_t count, const uint8_t *tlvs, size_t n)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    put16(b + 12, 0x08F0);
    put16(b + 14, seq);
    put16(b + 16, count);
    memcpy(b + 18, tlvs, n);
    return 18 + n;
}

/* The same from another source address: its fragments are another burst's. */
static size_t m2m_frame_from(uint8_t *b, uint8_t src_last, uint16_t seq, uint16_t count, const uint8_t *tlvs,
                             size_t n)
{
    const size_t len = m2m_frame(b, seq, count, tlvs, n);
    b[11] = src_last;
    return len;
}

/* An 802.16 TLV (1-byte type, 802.16 length encoding) at t; returns its size. */
static size_t tlv(uint8_t *t, uint8_t type, const uint8_t *v, size_t n)
{
    size_t at = 0;
    t[at++] = type;
    if (n < 0x80) {
        t[at++] = (uint8_t)n;
    } else {
        t[at++] = 0x82;
        t[at++] = (uint8_t)(n >> 8);
        t[at++] = (uint8_t)n;
    }
    memcpy(t + at, v, n);
    return at + n;
}

struct pending {
    bool used;
    struct pcap_pkthdr h;
    uint8_t burst[MAX_FRAME];
    size_t len;
};

static int air(const char *mode, pcap_t *in, const char *path)
{
    const bool frag = strcmp(mode, "m2m-frag") == 0;
    if (!frag && strcmp(mode, "m2m") != 0) {
        fprintf(stderr, "rewrite_capture: unknown mode %s for an air capture\n", mode);
        return 1;
    }
    struct out o;
    if (!out_open(&o, path, DLT_EN10MB, false)) {
        fprintf(stderr, "rewrite_capture: cannot write %s\n", path);
        return 1;
    }
    static uint8_t t[MAX_FRAME], b[MAX_FRAME];
    static struct pending held; /* a short burst waiting for a second one */
    struct pcap_pkthdr *h;
    const u_char *d;
    uint16_t seq = 0;
    unsigned burst_number = 0;
    while (pcap_next_ex(in, &h, &d) == 1) {
        if (h->caplen > MAX_FRAME - 64) {
            fprintf(stderr, "rewrite_capture: a record too long\n");
            return 1;
        }
        seq++;
        if (!frag) {
            const size_t n = tlv(t, 9, d, h->caplen);
            out_write(&o, h, b, m2m_frame(b, seq, 1, t, n));
            continue;
        }
        if (h->caplen < 40) {
            if (!held.used) {
                held.used = true;
                held.h = *h;
                memcpy(held.burst, d, h->caplen);
                held.len = h->caplen;
                continue;
            }
            /* two bursts in one frame (the time of the second) */
            size_t n = tlv(t, 9, held.burst, held.len);
            n += tlv(t + n, 9, d, h->caplen);
            held.used = false;
            out_write(&o, h, b, m2m_frame(b, seq, 2, t, n));
            continue;
        }
        if (held.used) { /* flush the short one first, alone */
            const size_t n = tlv(t, 9, held.burst, held.len);
            out_write(&o, &held.h, b, m2m_frame(b, seq, 1, t, n));
            held.used = false;
        }
        /* three fragments: 1 (first), 2 (middle), 3 (last); the middle
         * one of this burst goes after the first of a dummy burst that
         * never completes, so reassembly must key on the burst number. */
        /* Burst numbers are 8 bits: every 256 bursts another sender, as
         * Wireshark takes a number it saw completed for the same burst. */
        const unsigned count = burst_number++;
        const uint8_t bn = (uint8_t)count, src = (uint8_t)(0x10 + count / 256);
        const size_t third = h->caplen / 3;
        const size_t cut[4] = {0, third, 2 * third, h->caplen};
        for (int k = 0; k < 3; k++) {
            uint8_t v;
            size_t n = 0;
            v = bn;
            n += tlv(t + n, 3, &v, 1);
            v = (uint8_t)(k == 0 ? 1 : k == 1 ? 2 : 3);
            n += tlv(t + n, 4, &v, 1);
            v = (uint8_t)(k + 1);
            n += tlv(t + n, 5, &v, 1);
            n += tlv(t + n, 9, d + cut[k], cut[k + 1] - cut[k]);
            out_write(&o, h, b, m2m_frame_from(b, src, seq, 4, t, n));
            if (k == 0) {
                /* a first fragment with the same burst number from another
                 * sender, never completed */
                size_t m = 0;
                v = bn;
                m += tlv(t + m, 3, &v, 1);
                v = 1;
                m += tlv(t + m, 4, &v, 1);
                m += tlv(t + m, 5, &v, 1);
                m += tlv(t + m, 9, d, 8);
                out_write(&o, h, b, m2m_frame_from(b, 0x09, seq, 4, t, m));
            }
        }
    }
    if (held.used) {
        const size_t n = tlv(t, 9, held.burst, held.len);
        out_write(&o, &held.h, b, m2m_frame(b, seq, 1, t, n));
    }
    out_close(&o);
    return 0;
}

/* Copies the capture with one record added after record `after`. */
/* HEX into rec (at most MAX_FRAME bytes): its length, 0 on bad hex. */
static size_t from_hex(const char *hex, uint8_t *rec)
{
    size_t n = 0;
    for (const char *p = hex; p[0] && p[1] && n < MAX_FRAME; p += 2) {
        unsigned v;
        if (sscanf(p, "%2x", &v) != 1) {
            fprintf(stderr, "rewrite_capture: bad hex\n");
            return 0;
        }
        rec[n++] = (uint8_t)v;
    }
    return n;
}

static int insert(pcap_t *in, const char *path, unsigned long after, const char *hex)
{
    static uint8_t rec[MAX_FRAME];
    const size_t n = from_hex(hex, rec);
    if (n == 0)
        return 1;
    struct out o;
    if (!out_open(&o, path, pcap_datalink(in), false)) {
        fprintf(stderr, "rewrite_capture: cannot write %s\n", path);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long frame = 0;
    while (pcap_next_ex(in, &h, &d) == 1) {
        out_write(&o, h, d, h->caplen);
        if (++frame == after)
            out_write(&o, h, rec, n);
    }
    out_close(&o);
    return 0;
}

/* Prints record `want`'s bytes in hex. */
static int print_record(pcap_t *in, unsigned long want)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long frame = 0;
    while (pcap_next_ex(in, &h, &d) == 1) {
        if (++frame != want)
            continue;
        for (size_t i = 0; i < h->caplen; i++)
            printf("%02x", d[i]);
        printf("\n");
        return 0;
    }
    fprintf(stderr, "rewrite_capture: no record %lu\n", want);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "record") == 0) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *in = pcap_open_offline(argv[2], err);
        if (in == NULL) {
            fprintf(stderr, "rewrite_capture: %s\n", err);
            return 1;
        }
        const int rc = print_record(in, strtoul(argv[3], NULL, 10));
        pcap_close(in);
        return rc;
    }
    if (argc == 3 && strcmp(argv[1], "crc") == 0) {
        static uint8_t rec[MAX_FRAME];
        const size_t n = from_hex(argv[2], rec);
        if (tekho_pdu_put_crc(rec, n) != TEKHO_OK) {
            fprintf(stderr, "rewrite_capture: no PDU with a CRC\n");
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            printf("%02x", rec[i]);
        printf("\n");
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "insert") == 0) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *in = pcap_open_offline_with_tstamp_precision(argv[2], PCAP_TSTAMP_PRECISION_MICRO, err);
        if (in == NULL) {
            fprintf(stderr, "rewrite_capture: %s\n", err);
            return 1;
        }
        const int rc = insert(in, argv[3], strtoul(argv[4], NULL, 10), argv[5]);
        pcap_close(in);
        return rc;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: rewrite_capture MODE IN.pcap OUT | rewrite_capture insert IN.pcap OUT FRAME HEX\n");
        return 1;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline_with_tstamp_precision(argv[2], PCAP_TSTAMP_PRECISION_MICRO, err);
    if (in == NULL) {
        fprintf(stderr, "rewrite_capture: %s\n", err);
        return 1;
    }
    const int dlt = pcap_datalink(in);
    int rc = dlt == DLT_USER0 ? air(argv[1], in, argv[3]) : backbone(argv[1], in, argv[3]);
    pcap_close(in);
    return rc;
}
