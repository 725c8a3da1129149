/* Capture files through libpcap, and the Ethernet/IPv4/UDP framing of
 * backbone records (RFC 791, RFC 768); capture.h. */
/* libpcap's headers use the BSD u_int/u_char types, which glibc hides
 * under a strict -std=c11 -D_POSIX_C_SOURCE build. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "tekho/capture.h"

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto/bytes.h"

#define ETH_HDR_LEN 14u
#define ETHERTYPE_IPV4 0x0800u
#define IPV4_MIN_HDR_LEN 20u
#define IPV4_PROTO_UDP 17u
#define IPV4_FLAG_DF 0x4000u
#define IPV4_FLAG_MF 0x2000u
#define IPV4_FRAG_OFFSET_MASK 0x1FFFu
#define IPV4_TTL 64u
#define UDP_HDR_LEN 8u
#define NODE_NET 0x0A000000u /* 10.0.0.0/8 */
#define NODE_NET_MASK 0xFF000000u
#define USEC_PER_SEC 1000000u

/* Locally administered (bit 1 of the first octet), "tk": never a real NIC. */
static const uint8_t mac_src[6] = {0x02, 0x74, 0x6b, 0x00, 0x00, 0x01};
static const uint8_t mac_dst[6] = {0x02, 0x74, 0x6b, 0x00, 0x00, 0x02};

/* ---- Ethernet/IPv4/UDP ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += tekho_get_u16be(p + i);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xFFFFu) + (acc >> 16);
    return (uint16_t)acc;
}

tekho_err tekho_udp_frame_build(uint32_t src_node, uint32_t dst_node, const uint8_t *payload, size_t payload_len,
                                uint8_t *out, size_t out_cap, size_t *out_len)
{
    if ((payload == NULL && payload_len != 0) || out == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (src_node > TEKHO_CAPTURE_NODE_MAX || dst_node > TEKHO_CAPTURE_NODE_MAX ||
        payload_len > TEKHO_UDP_FRAME_MAX_PAYLOAD)
        return TEKHO_ERR_BAD_VALUE;
    size_t total = TEKHO_UDP_FRAME_OVERHEAD + payload_len;
    if (out_cap < total)
        return TEKHO_ERR_BUFFER_TOO_SMALL;

    uint8_t *eth = out, *ip = out + ETH_HDR_LEN, *udp = ip + IPV4_MIN_HDR_LEN;
    uint16_t udp_len = (uint16_t)(UDP_HDR_LEN + payload_len);
    uint32_t src = NODE_NET | src_node, dst = NODE_NET | dst_node;

    memcpy(eth, mac_dst, 6);
    memcpy(eth + 6, mac_src, 6);
    tekho_put_u16be(eth + 12, ETHERTYPE_IPV4);

    ip[0] = 0x45; /* version 4, IHL 5 */
    ip[1] = 0;
    tekho_put_u16be(ip + 2, (uint16_t)(IPV4_MIN_HDR_LEN + udp_len));
    /* Identification 0 with DF: an atomic datagram (RFC 6864), so every
     * record is byte-for-byte reproducible. */
    tekho_put_u16be(ip + 4, 0);
    tekho_put_u16be(ip + 6, IPV4_FLAG_DF);
    ip[8] = IPV4_TTL;
    ip[9] = IPV4_PROTO_UDP;
    tekho_put_u16be(ip + 10, 0);
    tekho_put_u32be(ip + 12, src);
    tekho_put_u32be(ip + 16, dst);
    tekho_put_u16be(ip + 10, (uint16_t)~fold(sum16(ip, IPV4_MIN_HDR_LEN, 0)));

    tekho_put_u16be(udp, TEKHO_CAPTURE_UDP_PORT);
    tekho_put_u16be(udp + 2, TEKHO_CAPTURE_UDP_PORT);
    tekho_put_u16be(udp + 4, udp_len);
    tekho_put_u16be(udp + 6, 0);
    if (payload_len != 0)
        memcpy(udp + UDP_HDR_LEN, payload, payload_len);

    /* Zero is allowed, but a real checksum lets tshark -o udp.check_checksum
     * vouch for the payload bytes too. */
    uint32_t acc = sum16(ip + 12, 8, 0) + IPV4_PROTO_UDP + udp_len;
    uint16_t ck = (uint16_t)~fold(sum16(udp, udp_len, acc));
    tekho_put_u16be(udp + 6, ck == 0 ? 0xFFFFu : ck);

    *out_len = total;
    return TEKHO_OK;
}

tekho_err tekho_udp_frame_parse(const uint8_t *frame, size_t len, struct tekho_udp_frame *out)
{
    if ((frame == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < ETH_HDR_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (tekho_get_u16be(frame + 12) != ETHERTYPE_IPV4)
        return TEKHO_ERR_BAD_VALUE;

    const uint8_t *ip = frame + ETH_HDR_LEN;
    size_t ip_avail = len - ETH_HDR_LEN;
    if (ip_avail < IPV4_MIN_HDR_LEN)
        return TEKHO_ERR_TRUNCATED;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    if ((ip[0] >> 4) != 4 || ihl < IPV4_MIN_HDR_LEN)
        return TEKHO_ERR_BAD_VALUE;
    if (ip_avail < ihl)
        return TEKHO_ERR_TRUNCATED;
    if (fold(sum16(ip, ihl, 0)) != 0xFFFFu)
        return TEKHO_ERR_BAD_VALUE;
    if (ip[9] != IPV4_PROTO_UDP)
        return TEKHO_ERR_BAD_VALUE;
    /* A fragment's UDP header or payload is elsewhere; no reassembly here. */
    uint16_t frag = tekho_get_u16be(ip + 6);
    if ((frag & IPV4_FLAG_MF) || (frag & IPV4_FRAG_OFFSET_MASK))
        return TEKHO_ERR_BAD_VALUE;

    size_t total = tekho_get_u16be(ip + 2);
    if (total < ihl + UDP_HDR_LEN || total > ip_avail)
        return TEKHO_ERR_LENGTH_MISMATCH;
    const uint8_t *udp = ip + ihl;
    size_t udp_len = tekho_get_u16be(udp + 4);
    if (udp_len < UDP_HDR_LEN || udp_len > total - ihl)
        return TEKHO_ERR_LENGTH_MISMATCH;

    uint16_t sport = tekho_get_u16be(udp), dport = tekho_get_u16be(udp + 2);
    if (sport != TEKHO_CAPTURE_UDP_PORT && dport != TEKHO_CAPTURE_UDP_PORT)
        return TEKHO_ERR_BAD_VALUE;
    uint32_t src = tekho_get_u32be(ip + 12), dst = tekho_get_u32be(ip + 16);
    if ((src & NODE_NET_MASK) != NODE_NET || (dst & NODE_NET_MASK) != NODE_NET)
        return TEKHO_ERR_BAD_VALUE;

    out->src_node = src & TEKHO_CAPTURE_NODE_MAX;
    out->dst_node = dst & TEKHO_CAPTURE_NODE_MAX;
    out->src_port = sport;
    out->dst_port = dport;
    out->payload = udp + UDP_HDR_LEN;
    out->payload_len = udp_len - UDP_HDR_LEN;
    return TEKHO_OK;
}

/* ---- Writer ---- */

struct tekho_capture_writer {
    pcap_t *pcap;
    pcap_dumper_t *dumper;
    enum tekho_capture_kind kind;
    bool failed; /* the file is in an unknown state: refuse further records */
    char errbuf[PCAP_ERRBUF_SIZE];
    uint8_t frame[TEKHO_CAPTURE_SNAPLEN];
};

#if defined(__GNUC__) || defined(__clang__)
#define TEKHO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TEKHO_PRINTF(f, a)
#endif

static void set_error(char *errbuf, const char *fmt, va_list ap) TEKHO_PRINTF(2, 0);
static void set_error(char *errbuf, const char *fmt, va_list ap)
{
    vsnprintf(errbuf, PCAP_ERRBUF_SIZE, fmt, ap);
}

static tekho_err writer_error(struct tekho_capture_writer *w, tekho_err err, bool fatal, const char *fmt, ...)
    TEKHO_PRINTF(4, 5);
static tekho_err writer_error(struct tekho_capture_writer *w, tekho_err err, bool fatal, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(w->errbuf, fmt, ap);
    va_end(ap);
    if (fatal)
        w->failed = true;
    return err;
}

tekho_err tekho_capture_open(const char *path, enum tekho_capture_kind kind, struct tekho_capture_writer **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_capture_writer *w = calloc(1, sizeof *w);
    *out = w;
    if (w == NULL)
        return TEKHO_ERR_NO_MEMORY;
    w->kind = kind;
    if (path == NULL)
        return writer_error(w, TEKHO_ERR_INVALID_ARGUMENT, true, "no path");
    int dlt;
    switch (kind) {
    case TEKHO_CAPTURE_AIR:
        dlt = DLT_USER0;
        break;
    case TEKHO_CAPTURE_BACKBONE:
        dlt = DLT_EN10MB;
        break;
    default:
        return writer_error(w, TEKHO_ERR_BAD_VALUE, true, "unknown capture kind %d", (int)kind);
    }
    w->pcap = pcap_open_dead_with_tstamp_precision(dlt, (int)TEKHO_CAPTURE_SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
    if (w->pcap == NULL)
        return writer_error(w, TEKHO_ERR_IO, true, "pcap_open_dead failed");
    w->dumper = pcap_dump_open(w->pcap, path);
    if (w->dumper == NULL)
        return writer_error(w, TEKHO_ERR_IO, true, "%s", pcap_geterr(w->pcap));
    return TEKHO_OK;
}

static tekho_err write_record(struct tekho_capture_writer *w, uint64_t time_us, const uint8_t *data, size_t len)
{
    /* Classic pcap has 32-bit unsigned seconds. */
    if (time_us / USEC_PER_SEC > UINT32_MAX)
        return writer_error(w, TEKHO_ERR_BAD_VALUE, false, "time %llu us does not fit a pcap timestamp",
                            (unsigned long long)time_us);
    if (len > TEKHO_CAPTURE_SNAPLEN)
        return writer_error(w, TEKHO_ERR_BAD_VALUE, false, "record of %zu bytes exceeds the snaplen %u", len,
                            TEKHO_CAPTURE_SNAPLEN);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(time_us / USEC_PER_SEC);
    h.ts.tv_usec = (suseconds_t)(time_us % USEC_PER_SEC);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)w->dumper, &h, data);
    /* pcap_dump reports nothing itself; the stream's error flag does. */
    if (ferror(pcap_dump_file(w->dumper)))
        return writer_error(w, TEKHO_ERR_IO, true, "write error");
    return TEKHO_OK;
}

static tekho_err writer_usable(struct tekho_capture_writer *w, enum tekho_capture_kind kind)
{
    if (w->failed || w->dumper == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT; /* keeps the first error's text */
    if (w->kind != kind)
        return writer_error(w, TEKHO_ERR_INVALID_ARGUMENT, false, "a %s record on a %s capture",
                            kind == TEKHO_CAPTURE_AIR ? "air" : "backbone",
                            w->kind == TEKHO_CAPTURE_AIR ? "air" : "backbone");
    return TEKHO_OK;
}

tekho_err tekho_capture_write_air(struct tekho_capture_writer *w, uint64_t time_us, const uint8_t *pdu, size_t len)
{
    if (w == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_err err = writer_usable(w, TEKHO_CAPTURE_AIR);
    if (err != TEKHO_OK)
        return err;
    if (pdu == NULL || len == 0)
        return writer_error(w, TEKHO_ERR_INVALID_ARGUMENT, false, "empty air record");
    return write_record(w, time_us, pdu, len);
}

tekho_err tekho_capture_write_backbone(struct tekho_capture_writer *w, uint64_t time_us, uint32_t src_node,
                                       uint32_t dst_node, const uint8_t *asncp, size_t len)
{
    if (w == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_err err = writer_usable(w, TEKHO_CAPTURE_BACKBONE);
    if (err != TEKHO_OK)
        return err;
    size_t frame_len;
    err = tekho_udp_frame_build(src_node, dst_node, asncp, len, w->frame, sizeof w->frame, &frame_len);
    if (err != TEKHO_OK)
        return writer_error(w, err, false, "cannot frame %zu bytes from node %lu to node %lu: %s", len,
                            (unsigned long)src_node, (unsigned long)dst_node, tekho_strerror(err));
    return write_record(w, time_us, w->frame, frame_len);
}

tekho_err tekho_capture_close(struct tekho_capture_writer *w)
{
    if (w == NULL)
        return TEKHO_OK;
    tekho_err err = TEKHO_OK;
    if (w->dumper != NULL) {
        FILE *f = pcap_dump_file(w->dumper);
        if (!w->failed && (pcap_dump_flush(w->dumper) != 0 || ferror(f)))
            err = TEKHO_ERR_IO;
        pcap_dump_close(w->dumper);
    }
    if (w->pcap != NULL)
        pcap_close(w->pcap);
    free(w);
    return err;
}

const char *tekho_capture_writer_error(const struct tekho_capture_writer *w)
{
    return w == NULL ? "no capture writer" : w->errbuf;
}

/* ---- Reader ---- */

#define FRAG_SLOTS 8
#define FRAG_MAX 32 /* fragments of one burst */

/* An M2M burst being reassembled: its fragments by number (Wireshark's
 * m2m keys them by the frame's addresses and the burst number). */
struct frag_slot {
    bool used;
    uint64_t last_used;
    uint8_t src[6], dst[6];
    uint8_t burst_number;
    uint8_t *frag[FRAG_MAX];
    size_t frag_len[FRAG_MAX];
};

struct tekho_capture_reader {
    pcap_t *pcap;
    char *path;    /* for the messages: every one names the file */
    enum tekho_capture_kind kind;
    uint32_t linktype;
    uint16_t asncp_port;
    bool failed; /* libpcap lost its place in the file */
    uint64_t frame;
    char errbuf[PCAP_ERRBUF_SIZE];
    /* The M2M record being handed out burst by burst. */
    bool pending;
    size_t next_part;
    struct tekho_m2m m2m;
    struct tekho_link_frame link;
    struct tekho_capture_record base;
    struct frag_slot slots[FRAG_SLOTS];
    uint64_t slot_clock;
    uint8_t *joined; /* a reassembled burst */
};

static tekho_err reader_error(struct tekho_capture_reader *r, tekho_err err, const char *fmt, ...)
    TEKHO_PRINTF(3, 4);
static tekho_err reader_error(struct tekho_capture_reader *r, tekho_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(r->errbuf, fmt, ap);
    va_end(ap);
    r->failed = true;
    return err;
}

/* The link type the file itself records (LINKTYPE_*, as in the pcap and
 * pcapng headers), which libpcap hands back as a DLT_* value that can
 * differ (LINKTYPE_RAW 101 is DLT_RAW 12, or 14 on some systems). false
 * when it cannot be read again (standard input, a pcapng file whose first
 * interface block is not where expected). */
static bool file_linktype(const char *path, uint32_t *linktype)
{
    if (strcmp(path, "-") == 0)
        return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    uint8_t h[24] = {0};
    bool ok = fread(h, 1, sizeof h, f) == sizeof h;
    const uint32_t magic_be = tekho_get_u32be(h);
    const uint32_t magic_le = tekho_get_u32le(h);
    if (ok && (magic_be == 0xA1B2C3D4u || magic_be == 0xA1B23C4Du)) {
        *linktype = tekho_get_u32be(h + 20) & 0xFFFFu; /* the upper bits carry FCS information */
    } else if (ok && (magic_le == 0xA1B2C3D4u || magic_le == 0xA1B23C4Du)) {
        *linktype = tekho_get_u32le(h + 20) & 0xFFFFu;
    } else if (ok && magic_be == 0x0A0D0D0Au) {
        /* Section Header Block, byte order from its byte-order magic, then
         * the first Interface Description Block: type 1, length, link type. */
        const bool be = tekho_get_u32be(h + 8) == 0x1A2B3C4Du;
        const uint32_t shb_len = be ? tekho_get_u32be(h + 4) : tekho_get_u32le(h + 4);
        uint8_t idb[10];
        ok = fseek(f, (long)shb_len, SEEK_SET) == 0 && fread(idb, 1, sizeof idb, f) == sizeof idb;
        ok = ok && (be ? tekho_get_u32be(idb) : tekho_get_u32le(idb)) == 1;
        if (ok)
            *linktype = be ? tekho_get_u16be(idb + 8) : (uint32_t)idb[8] | (uint32_t)idb[9] << 8;
    } else {
        ok = false;
    }
    fclose(f);
    return ok;
}

/* The LINKTYPE_* of a DLT_* value libpcap reports, for the link types
 * tekho reads (DLT_RAW and DLT_LOOP differ between platforms). */
static bool linktype_of(int dlt, uint32_t *out)
{
    switch (dlt) {
    case DLT_USER0: *out = TEKHO_LINKTYPE_USER0; return true;
    case DLT_EN10MB: *out = TEKHO_LINKTYPE_ETHERNET; return true;
    case DLT_LINUX_SLL: *out = TEKHO_LINKTYPE_LINUX_SLL; return true;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2: *out = TEKHO_LINKTYPE_LINUX_SLL2; return true;
#endif
    case DLT_RAW: *out = TEKHO_LINKTYPE_RAW; return true;
#ifdef DLT_IPV4
    case DLT_IPV4: *out = TEKHO_LINKTYPE_IPV4; return true;
    case DLT_IPV6: *out = TEKHO_LINKTYPE_IPV6; return true;
#endif
    case DLT_NULL: *out = TEKHO_LINKTYPE_NULL; return true;
    case DLT_LOOP: *out = TEKHO_LINKTYPE_LOOP; return true;
    default: return false;
    }
}

tekho_err tekho_capture_read_open(const char *path, struct tekho_capture_reader **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_capture_reader *r = calloc(1, sizeof *r);
    *out = r;
    if (r == NULL)
        return TEKHO_ERR_NO_MEMORY;
    if (path == NULL)
        return reader_error(r, TEKHO_ERR_INVALID_ARGUMENT, "no path");
    const size_t path_len = strlen(path);
    r->path = malloc(path_len + 1);
    if (r->path == NULL)
        return reader_error(r, TEKHO_ERR_NO_MEMORY, "%s: out of memory", path);
    memcpy(r->path, path, path_len + 1);
    /* Micro precision: libpcap converts nanosecond files for us. */
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    r->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, pcap_err);
    if (r->pcap == NULL) {
        /* libpcap names the file for some failures ("x.pcap: No such file
         * or directory") and not for others ("unknown file format"). */
        if (strncmp(pcap_err, path, path_len) == 0 && pcap_err[path_len] == ':')
            return reader_error(r, TEKHO_ERR_IO, "%s", pcap_err);
        return reader_error(r, TEKHO_ERR_IO, "%s: %s", path, pcap_err);
    }
    const int dlt = pcap_datalink(r->pcap);
    r->asncp_port = TEKHO_CAPTURE_UDP_PORT;
    if (!linktype_of(dlt, &r->linktype)) {
        const char *name = pcap_datalink_val_to_name(dlt), *desc = pcap_datalink_val_to_description(dlt);
        uint32_t linktype;
        if (file_linktype(path, &linktype))
            return reader_error(r, TEKHO_ERR_BAD_VALUE,
                                "%s: link type %lu (LINKTYPE_%s, %s) is not one tekho reads (USER0, Ethernet, "
                                "Linux SLL or SLL2, raw IP, loopback)",
                                path, (unsigned long)linktype, name ? name : "?", desc ? desc : "unknown");
        return reader_error(r, TEKHO_ERR_BAD_VALUE,
                            "%s: link type DLT_%s (%d here, %s) is not one tekho reads (USER0, Ethernet, Linux SLL "
                            "or SLL2, raw IP, loopback)",
                            path, name ? name : "?", dlt, desc ? desc : "unknown");
    }
    r->kind = r->linktype == TEKHO_LINKTYPE_USER0 ? TEKHO_CAPTURE_AIR : TEKHO_CAPTURE_BACKBONE;
    return TEKHO_OK;
}

static void slot_clear(struct frag_slot *s)
{
    for (size_t i = 0; i < FRAG_MAX; i++) {
        free(s->frag[i]);
        s->frag[i] = NULL;
        s->frag_len[i] = 0;
    }
    s->used = false;
}

/* One fragment of an M2M burst. Returns the reassembled burst (in
 * r->joined) at a last fragment whose predecessors are all there; at a
 * last fragment with a gap, TEKHO_ERR_TRUNCATED; otherwise *done false. */
static tekho_err add_fragment(struct tekho_capture_reader *r, const struct tekho_m2m_burst *b, bool *done,
                              const uint8_t **data, size_t *len)
{
    *done = false;
    const uint8_t *src = r->link.src_mac, *dst = r->link.dst_mac;
    struct frag_slot *slot = NULL, *oldest = &r->slots[0];
    for (size_t i = 0; i < FRAG_SLOTS && slot == NULL; i++) {
        struct frag_slot *s = &r->slots[i];
        if (s->used && s->burst_number == b->burst_number && memcmp(s->src, src, 6) == 0 &&
            memcmp(s->dst, dst, 6) == 0)
            slot = s;
        if (!s->used || (oldest->used && s->last_used < oldest->last_used))
            oldest = s;
    }
    /* A first fragment starts the burst again (earlier pieces were lost). */
    if (slot != NULL && b->frag_type == TEKHO_M2M_FIRST_FRAG)
        slot_clear(slot);
    if (slot == NULL || !slot->used) {
        slot = slot ? slot : oldest;
        slot_clear(slot);
        slot->used = true;
        memcpy(slot->src, src, 6);
        memcpy(slot->dst, dst, 6);
        slot->burst_number = b->burst_number;
    }
    slot->last_used = ++r->slot_clock;
    const size_t k = b->frag_number ? (size_t)b->frag_number - 1 : 0;
    if (k >= FRAG_MAX) {
        slot_clear(slot);
        return TEKHO_ERR_TOO_MANY;
    }
    free(slot->frag[k]);
    slot->frag[k] = malloc(b->len ? b->len : 1);
    if (slot->frag[k] == NULL) {
        slot_clear(slot);
        return TEKHO_ERR_NO_MEMORY;
    }
    memcpy(slot->frag[k], b->data, b->len);
    slot->frag_len[k] = b->len;
    if (b->frag_type != TEKHO_M2M_LAST_FRAG)
        return TEKHO_OK;
    size_t total = 0;
    for (size_t i = 0; i <= k; i++) {
        if (slot->frag[i] == NULL) {
            slot_clear(slot);
            return TEKHO_ERR_TRUNCATED;
        }
        total += slot->frag_len[i];
    }
    uint8_t *joined = realloc(r->joined, total ? total : 1);
    if (joined == NULL) {
        slot_clear(slot);
        return TEKHO_ERR_NO_MEMORY;
    }
    r->joined = joined;
    size_t at = 0;
    for (size_t i = 0; i <= k; i++) {
        memcpy(joined + at, slot->frag[i], slot->frag_len[i]);
        at += slot->frag_len[i];
    }
    slot_clear(slot);
    *done = true;
    *data = joined;
    *len = total;
    return TEKHO_OK;
}

/* The next burst of the M2M record in hand into *rec. */
static void next_burst(struct tekho_capture_reader *r, struct tekho_capture_record *rec)
{
    *rec = r->base;
    const size_t i = r->next_part++;
    r->pending = r->next_part < r->m2m.n_bursts;
    const struct tekho_m2m_burst *b = &r->m2m.bursts[i];
    rec->part = (uint32_t)i;
    rec->kind = TEKHO_CAPTURE_AIR;
    rec->data = b->data;
    rec->len = b->len;
    if (b->frag_type == TEKHO_M2M_NO_FRAG)
        return;
    bool done = false;
    const uint8_t *data = NULL;
    size_t len = 0;
    rec->err = add_fragment(r, b, &done, &data, &len);
    if (rec->err == TEKHO_OK && done) {
        rec->data = data;
        rec->len = len;
    } else if (rec->err == TEKHO_OK) {
        rec->kind = TEKHO_CAPTURE_OTHER;
        rec->skipped = "M2M fragment (decoded with its last)";
    }
}

static bool in_node_net(const uint8_t a[4])
{
    return (tekho_get_u32be(a) & NODE_NET_MASK) == NODE_NET;
}

tekho_err tekho_capture_next(struct tekho_capture_reader *r, struct tekho_capture_record *rec, bool *got)
{
    if (got != NULL)
        *got = false;
    if (r == NULL || rec == NULL || got == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (r->failed || r->pcap == NULL)
        return TEKHO_ERR_IO; /* a reader that failed keeps failing the same way */
    if (r->pending) {
        next_burst(r, rec);
        *got = true;
        return TEKHO_OK;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(r->pcap, &h, &data);
    if (rc == PCAP_ERROR_BREAK)
        return TEKHO_OK;
    if (rc != 1)
        return reader_error(r, TEKHO_ERR_IO, "%s: %s", r->path, pcap_geterr(r->pcap));

    memset(rec, 0, sizeof *rec);
    rec->frame = ++r->frame;
    /* libpcap sign-extends the 32-bit seconds of classic pcap; the writer
     * (and Wireshark) treat them as unsigned, so undo that. */
    uint64_t sec = h->ts.tv_sec < 0 ? (uint64_t)(uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
    rec->time_us = sec * USEC_PER_SEC + (uint64_t)h->ts.tv_usec;
    rec->kind = r->kind;
    rec->data = data;
    rec->len = h->caplen;
    *got = true;
    if (h->caplen < h->len) {
        rec->err = TEKHO_ERR_TRUNCATED;
        return TEKHO_OK;
    }
    struct tekho_link_frame *f = &r->link;
    rec->err = tekho_link_parse(r->linktype, data, h->caplen, r->asncp_port, f);
    if (rec->err != TEKHO_OK)
        return TEKHO_OK;
    rec->kind = f->kind;
    rec->skipped = f->skipped;
    rec->ip_version = f->ip_version;
    memcpy(rec->src_addr, f->src_addr, sizeof rec->src_addr);
    memcpy(rec->dst_addr, f->dst_addr, sizeof rec->dst_addr);
    rec->src_port = f->src_port;
    rec->dst_port = f->dst_port;
    if (f->kind == TEKHO_CAPTURE_OTHER)
        return TEKHO_OK;
    rec->data = f->payload;
    rec->len = f->payload_len;
    if (f->kind == TEKHO_CAPTURE_BACKBONE) {
        if (f->ip_version == 4 && in_node_net(f->src_addr) && in_node_net(f->dst_addr)) {
            rec->src_node = tekho_get_u32be(f->src_addr) & TEKHO_CAPTURE_NODE_MAX;
            rec->dst_node = tekho_get_u32be(f->dst_addr) & TEKHO_CAPTURE_NODE_MAX;
        }
        return TEKHO_OK;
    }
    if (!f->m2m)
        return TEKHO_OK;
    rec->err = tekho_m2m_parse(f->payload, f->payload_len, &r->m2m);
    if (rec->err != TEKHO_OK) {
        rec->data = data;
        rec->len = h->caplen;
        return TEKHO_OK;
    }
    if (r->m2m.n_bursts == 0) {
        rec->kind = TEKHO_CAPTURE_OTHER;
        rec->skipped = "M2M without a PDU burst";
        return TEKHO_OK;
    }
    r->base = *rec;
    r->next_part = 0;
    next_burst(r, rec);
    return TEKHO_OK;
}

enum tekho_capture_kind tekho_capture_reader_kind(const struct tekho_capture_reader *r)
{
    return r == NULL ? TEKHO_CAPTURE_AIR : r->kind;
}

uint32_t tekho_capture_reader_linktype(const struct tekho_capture_reader *r)
{
    return r == NULL ? TEKHO_LINKTYPE_USER0 : r->linktype;
}

void tekho_capture_reader_set_asncp_port(struct tekho_capture_reader *r, uint16_t port)
{
    if (r != NULL)
        r->asncp_port = port;
}

void tekho_capture_read_close(struct tekho_capture_reader *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < FRAG_SLOTS; i++)
        slot_clear(&r->slots[i]);
    free(r->joined);
    if (r->pcap != NULL)
        pcap_close(r->pcap);
    free(r->path);
    free(r);
}

const char *tekho_capture_reader_error(const struct tekho_capture_reader *r)
{
    return r == NULL ? "no capture reader" : r->errbuf;
}
