/* What a captured frame carries, whatever its link layer: an 802.16 MAC
 * PDU burst (USER0, or Ethernet with the M2M ethertype), an ASN-CP
 * datagram (UDP over IPv4/IPv6 over Ethernet, 802.1Q, SLL, SLL2, loopback
 * or raw IP), or something else to skip; capture.h. Pure: no allocation,
 * no I/O, never a read past frame[len - 1]. */
#include <string.h>

#include "tekho/capture.h"
#include "tekho/wire.h"

#include "../crypto/bytes.h"

#define ETH_HDR_LEN 14u
#define SLL_HDR_LEN 16u
#define SLL2_HDR_LEN 20u
#define NULL_HDR_LEN 4u
#define VLAN_TAG_LEN 4u
#define MAX_VLAN_TAGS 4
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88A8u
#define ETHERTYPE_QINQ_OLD 0x9100u
#define IPV4_MIN_HDR_LEN 20u
#define IPV6_HDR_LEN 40u
#define IP_PROTO_UDP 17u
#define IPV6_HOP_BY_HOP 0u
#define IPV6_ROUTING 43u
#define IPV6_FRAGMENT 44u
#define IPV6_AH 51u
#define IPV6_DEST_OPTS 60u
#define MAX_IPV6_EXTENSIONS 8
#define UDP_HDR_LEN 8u

/* ---- M2M --------------------------------------------------------------- */

tekho_err tekho_m2m_parse(const uint8_t *in, size_t len, struct tekho_m2m *out)
{
    if ((in == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len < 4)
        return TEKHO_ERR_TRUNCATED;
    struct tekho_m2m m;
    memset(&m, 0, sizeof m);
    m.seq = tekho_get_u16be(in);
    m.tlv_count = tekho_get_u16be(in + 2);
    struct tekho_tlv_reader r;
    tekho_tlv_reader_init(&r, in + 4, len - 4);
    uint8_t burst_number = 0, frag_type = TEKHO_M2M_NO_FRAG, frag_number = 0;
    /* Wireshark reads exactly tlv_count TLVs; bytes after them are ignored. */
    for (unsigned i = 0; i < m.tlv_count; i++) {
        struct tekho_tlv t;
        bool got = false;
        tekho_err err = tekho_tlv_next(&r, &t, &got);
        if (err != TEKHO_OK)
            return err;
        if (!got)
            return TEKHO_ERR_TRUNCATED;
        switch (t.type) {
        case TEKHO_M2M_TLV_BURST_NUMBER:
            err = tekho_tlv_u8(&t, &burst_number);
            break;
        case TEKHO_M2M_TLV_FRAG_TYPE:
            err = tekho_tlv_u8(&t, &frag_type);
            if (err == TEKHO_OK && frag_type > TEKHO_M2M_LAST_FRAG)
                err = TEKHO_ERR_BAD_VALUE;
            break;
        case TEKHO_M2M_TLV_FRAG_NUMBER:
            err = tekho_tlv_u8(&t, &frag_number);
            break;
        case TEKHO_M2M_TLV_PDU_BURST:
            if (m.n_bursts == TEKHO_M2M_MAX_BURSTS)
                return TEKHO_ERR_TOO_MANY;
            m.bursts[m.n_bursts++] = (struct tekho_m2m_burst){.burst_number = burst_number,
                                                              .frag_type = frag_type,
                                                              .frag_number = frag_number,
                                                              .data = t.value,
                                                              .len = t.len};
            break;
        default:
            break; /* frame number, FCH, CDMA code, feedback, PHY attributes: not ours */
        }
        if (err != TEKHO_OK)
            return err;
    }
    *out = m;
    return TEKHO_OK;
}

/* ---- IP and UDP -------------------------------------------------------- */

static tekho_err skip(struct tekho_link_frame *f, const char *why)
{
    f->kind = TEKHO_CAPTURE_OTHER;
    f->skipped = why;
    return TEKHO_OK;
}

static tekho_err udp(struct tekho_link_frame *f, const uint8_t *p, size_t avail, uint16_t port)
{
    if (avail < UDP_HDR_LEN)
        return TEKHO_ERR_TRUNCATED;
    const size_t udp_len = tekho_get_u16be(p + 4);
    /* 0: a jumbogram's UDP length (RFC 2675); take what the IP layer gave. */
    const size_t n = udp_len == 0 && f->ip_version == 6 ? avail : udp_len;
    if (n < UDP_HDR_LEN || n > avail)
        return TEKHO_ERR_LENGTH_MISMATCH;
    f->src_port = tekho_get_u16be(p);
    f->dst_port = tekho_get_u16be(p + 2);
    if (f->src_port != port && f->dst_port != port)
        return skip(f, "UDP, not the ASN-CP port");
    f->kind = TEKHO_CAPTURE_BACKBONE;
    f->payload = p + UDP_HDR_LEN;
    f->payload_len = n - UDP_HDR_LEN;
    return TEKHO_OK;
}

static tekho_err ipv4(struct tekho_link_frame *f, const uint8_t *p, size_t avail, uint16_t port)
{
    if (avail < IPV4_MIN_HDR_LEN)
        return TEKHO_ERR_TRUNCATED;
    const size_t ihl = (size_t)(p[0] & 0x0F) * 4;
    if ((p[0] >> 4) != 4 || ihl < IPV4_MIN_HDR_LEN)
        return TEKHO_ERR_BAD_VALUE;
    if (avail < ihl)
        return TEKHO_ERR_TRUNCATED;
    const size_t total = tekho_get_u16be(p + 2);
    if (total < ihl || total > avail)
        return TEKHO_ERR_LENGTH_MISMATCH;
    f->ip_version = 4;
    memcpy(f->src_addr, p + 12, 4);
    memcpy(f->dst_addr, p + 16, 4);
    const uint16_t frag = tekho_get_u16be(p + 6);
    if (frag & 0x3FFFu) /* MF or an offset: the UDP header or payload is elsewhere */
        return skip(f, "IP fragment");
    if (p[9] != IP_PROTO_UDP)
        return skip(f, "IP, not UDP");
    return udp(f, p + ihl, total - ihl, port);
}

static tekho_err ipv6(struct tekho_link_frame *f, const uint8_t *p, size_t avail, uint16_t port)
{
    if (avail < IPV6_HDR_LEN)
        return TEKHO_ERR_TRUNCATED;
    if ((p[0] >> 4) != 6)
        return TEKHO_ERR_BAD_VALUE;
    const size_t payload = tekho_get_u16be(p + 4);
    if (payload > avail - IPV6_HDR_LEN)
        return TEKHO_ERR_LENGTH_MISMATCH;
    f->ip_version = 6;
    memcpy(f->src_addr, p + 8, 16);
    memcpy(f->dst_addr, p + 24, 16);
    if (payload == 0)
        return skip(f, "IPv6 jumbogram or no payload");
    uint8_t next = p[6];
    const uint8_t *q = p + IPV6_HDR_LEN;
    size_t left = payload;
    for (int i = 0; i <= MAX_IPV6_EXTENSIONS; i++) {
        if (next == IP_PROTO_UDP)
            return udp(f, q, left, port);
        if (next == IPV6_FRAGMENT)
            return skip(f, "IP fragment");
        if (next != IPV6_HOP_BY_HOP && next != IPV6_ROUTING && next != IPV6_DEST_OPTS && next != IPV6_AH)
            return skip(f, "IP, not UDP");
        if (left < 2)
            return TEKHO_ERR_TRUNCATED;
        const size_t ext = next == IPV6_AH ? ((size_t)q[1] + 2) * 4 : ((size_t)q[1] + 1) * 8;
        if (ext > left)
            return TEKHO_ERR_LENGTH_MISMATCH;
        next = q[0];
        q += ext;
        left -= ext;
    }
    return skip(f, "IPv6, too many extension headers");
}

static tekho_err ip_any(struct tekho_link_frame *f, const uint8_t *p, size_t avail, uint16_t port)
{
    if (avail < 1)
        return TEKHO_ERR_TRUNCATED;
    switch (p[0] >> 4) {
    case 4: return ipv4(f, p, avail, port);
    case 6: return ipv6(f, p, avail, port);
    default: return TEKHO_ERR_BAD_VALUE;
    }
}

/* The protocol after an Ethernet-style type field (after VLAN tags). */
static tekho_err by_ethertype(struct tekho_link_frame *f, uint16_t type, const uint8_t *p, size_t avail,
                              uint16_t port)
{
    for (int i = 0; i < MAX_VLAN_TAGS && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
                                           type == ETHERTYPE_QINQ_OLD);
         i++) {
        if (avail < VLAN_TAG_LEN)
            return TEKHO_ERR_TRUNCATED;
        type = tekho_get_u16be(p + 2);
        p += VLAN_TAG_LEN;
        avail -= VLAN_TAG_LEN;
    }
    switch (type) {
    case ETHERTYPE_IPV4: return ipv4(f, p, avail, port);
    case ETHERTYPE_IPV6: return ipv6(f, p, avail, port);
    case TEKHO_M2M_ETHERTYPE:
        f->kind = TEKHO_CAPTURE_AIR;
        f->m2m = true;
        f->payload = p;
        f->payload_len = avail;
        return TEKHO_OK;
    default: return skip(f, type < 0x0600u ? "802.3 length field, not IP" : "not IP");
    }
}

/* BSD loopback's address family: AF_INET is 2 everywhere, AF_INET6 is
 * 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
static tekho_err by_family(struct tekho_link_frame *f, uint32_t family, const uint8_t *p, size_t avail, uint16_t port)
{
    switch (family) {
    case 2: return ipv4(f, p, avail, port);
    case 10:
    case 24:
    case 28:
    case 30: return ipv6(f, p, avail, port);
    default: return skip(f, "not IP");
    }
}

tekho_err tekho_link_parse(uint32_t linktype, const uint8_t *frame, size_t len, uint16_t asncp_port,
                           struct tekho_link_frame *out)
{
    if ((frame == NULL && len != 0) || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_link_frame f;
    memset(&f, 0, sizeof f);
    tekho_err err;
    switch (linktype) {
    case TEKHO_LINKTYPE_USER0:
        f.kind = TEKHO_CAPTURE_AIR;
        f.payload = frame;
        f.payload_len = len;
        err = TEKHO_OK;
        break;
    case TEKHO_LINKTYPE_ETHERNET:
        if (len < ETH_HDR_LEN) {
            err = TEKHO_ERR_TRUNCATED;
            break;
        }
        f.has_mac = true;
        memcpy(f.dst_mac, frame, 6);
        memcpy(f.src_mac, frame + 6, 6);
        err = by_ethertype(&f, tekho_get_u16be(frame + 12), frame + ETH_HDR_LEN, len - ETH_HDR_LEN, asncp_port);
        break;
    case TEKHO_LINKTYPE_LINUX_SLL:
        /* packet type, ARPHRD type, address length, address (8), protocol */
        if (len < SLL_HDR_LEN) {
            err = TEKHO_ERR_TRUNCATED;
            break;
        }
        f.has_mac = tekho_get_u16be(frame + 4) == 6;
        if (f.has_mac)
            memcpy(f.src_mac, frame + 6, 6);
        err = by_ethertype(&f, tekho_get_u16be(frame + 14), frame + SLL_HDR_LEN, len - SLL_HDR_LEN, asncp_port);
        break;
    case TEKHO_LINKTYPE_LINUX_SLL2:
        /* protocol, reserved, interface index, ARPHRD type, packet type,
         * address length, address (8) */
        if (len < SLL2_HDR_LEN) {
            err = TEKHO_ERR_TRUNCATED;
            break;
        }
        f.has_mac = frame[11] == 6;
        if (f.has_mac)
            memcpy(f.src_mac, frame + 12, 6);
        err = by_ethertype(&f, tekho_get_u16be(frame), frame + SLL2_HDR_LEN, len - SLL2_HDR_LEN, asncp_port);
        break;
    case TEKHO_LINKTYPE_RAW:
        err = ip_any(&f, frame, len, asncp_port);
        break;
    case TEKHO_LINKTYPE_IPV4:
        err = ipv4(&f, frame, len, asncp_port);
        break;
    case TEKHO_LINKTYPE_IPV6:
        err = ipv6(&f, frame, len, asncp_port);
        break;
    case TEKHO_LINKTYPE_NULL:
    case TEKHO_LINKTYPE_LOOP: {
        if (len < NULL_HDR_LEN) {
            err = TEKHO_ERR_TRUNCATED;
            break;
        }
        /* NULL is in the writer's byte order: take whichever reading is small. */
        uint32_t family = tekho_get_u32be(frame);
        if (linktype == TEKHO_LINKTYPE_NULL && family > 0xFFFFu)
            family = tekho_get_u32le(frame);
        err = by_family(&f, family, frame + NULL_HDR_LEN, len - NULL_HDR_LEN, asncp_port);
        break;
    }
    default:
        err = TEKHO_ERR_BAD_VALUE;
        break;
    }
    if (err == TEKHO_OK)
        *out = f;
    return err;
}
