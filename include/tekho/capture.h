/* Capture files for Wireshark/tshark (wireshark.md sections 1, 3, 5), read
 * and written through libpcap as classic pcap with microsecond timestamps.
 *
 * Two kinds of file:
 *   air       LINKTYPE_USER0 (147); a record is one or more raw MAC PDUs,
 *             as the wimax_pdu_burst_handler dissector reads them.
 *   backbone  Ethernet (DLT_EN10MB); a record is Ethernet | IPv4 | UDP with
 *             port 2231 carrying one ASN-CP message.
 *
 * Backbone node ids are 24-bit and become the IPv4 address 10.x.y.z
 * (node 0x000001 is 10.0.0.1). Nothing is ever sent on a network: the
 * addresses exist so that tshark and a reader can tell the nodes apart.
 *
 * File and libpcap failures return TEKHO_ERR_INVALID_ARGUMENT, with the
 * libpcap or system text kept in the writer or reader object and returned
 * by tekho_capture_writer_error() / tekho_capture_reader_error(). So that
 * this text exists for a failed open too, the open functions set *out to an
 * object whenever out is non-NULL and memory allows, even on failure: the
 * caller always passes *out to the matching close, whatever was returned.
 * Objects are not thread-safe; use one per thread. A path of "-" is
 * standard output / standard input, as in libpcap. */
#ifndef TEKHO_CAPTURE_H
#define TEKHO_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_CAPTURE_LINKTYPE_AIR 147u       /* LINKTYPE_USER0 / DLT_USER0 */
#define TEKHO_CAPTURE_LINKTYPE_BACKBONE 1u    /* LINKTYPE_ETHERNET / DLT_EN10MB */
#define TEKHO_CAPTURE_SNAPLEN 65535u          /* the largest record written */
#define TEKHO_CAPTURE_UDP_PORT 2231u          /* ASN-CP, wimaxasncp's udp.port */
#define TEKHO_CAPTURE_NODE_MAX 0x00FFFFFFu    /* node ids fill the host part of 10.0.0.0/8 */

/* Ethernet (14) + IPv4 without options (20) + UDP (8). */
#define TEKHO_UDP_FRAME_OVERHEAD 42u
#define TEKHO_UDP_FRAME_MAX_PAYLOAD (TEKHO_CAPTURE_SNAPLEN - TEKHO_UDP_FRAME_OVERHEAD)

/* What a record carries. The writer makes AIR and BACKBONE files; a record
 * read can also be OTHER: traffic that is neither (another protocol or UDP
 * port, an IP fragment, an M2M fragment held for reassembly), skipped. */
enum tekho_capture_kind { TEKHO_CAPTURE_AIR = 0, TEKHO_CAPTURE_BACKBONE = 1, TEKHO_CAPTURE_OTHER = 2 };

/* Link types the reader takes (LINKTYPE_*, as pcap and pcapng files record
 * them; tcpdump.org/linktypes.html). */
#define TEKHO_LINKTYPE_NULL 0u        /* BSD loopback: 4-byte address family, host order */
#define TEKHO_LINKTYPE_ETHERNET 1u    /* Ethernet, 802.1Q/802.1ad tags, the WiMAX M2M ethertype */
#define TEKHO_LINKTYPE_RAW 101u       /* raw IPv4 or IPv6 */
#define TEKHO_LINKTYPE_LOOP 108u      /* OpenBSD loopback: address family, network order */
#define TEKHO_LINKTYPE_LINUX_SLL 113u /* Linux cooked capture v1 (tcpdump -i any) */
#define TEKHO_LINKTYPE_USER0 147u     /* raw MAC PDU bursts (tekho's air captures) */
#define TEKHO_LINKTYPE_IPV4 228u
#define TEKHO_LINKTYPE_IPV6 229u
#define TEKHO_LINKTYPE_LINUX_SLL2 276u /* Linux cooked capture v2 */

/* The WiMAX MAC-to-MAC encapsulation (Wireshark's m2m dissector, what
 * ns-3's WiMAX module writes): Ethernet with this ethertype, then
 * sequence (u16), TLV count (u16) and that many 802.16-encoded TLVs. */
#define TEKHO_M2M_ETHERTYPE 0x08F0u
#define TEKHO_M2M_TLV_BURST_NUMBER 3
#define TEKHO_M2M_TLV_FRAG_TYPE 4
#define TEKHO_M2M_TLV_FRAG_NUMBER 5
#define TEKHO_M2M_TLV_PDU_BURST 9
enum tekho_m2m_frag { TEKHO_M2M_NO_FRAG = 0, TEKHO_M2M_FIRST_FRAG = 1, TEKHO_M2M_MIDDLE_FRAG = 2, TEKHO_M2M_LAST_FRAG = 3 };
#define TEKHO_M2M_MAX_BURSTS 16u

struct tekho_m2m_burst {
    uint8_t burst_number; /* the last Burst Number TLV before it (0 if none) */
    uint8_t frag_type;    /* enum tekho_m2m_frag: the last Fragment Type TLV before it */
    uint8_t frag_number;  /* 1-based, the last Fragment Number TLV before it */
    const uint8_t *data;  /* the PDU Burst TLV's value */
    size_t len;
};

struct tekho_m2m {
    uint16_t seq;
    uint16_t tlv_count;
    size_t n_bursts;
    struct tekho_m2m_burst bursts[TEKHO_M2M_MAX_BURSTS];
};

/* Parses an M2M message (the bytes after the ethertype). Other TLVs (frame
 * number, FCH, CDMA code, PHY attributes...) are skipped. Errors:
 * invalid argument (NULL), truncated (below 4 bytes, or fewer TLVs than the
 * count), the TLV reader's (zero length, bad length, overrun), wrong width
 * (a burst/fragment TLV not 1 byte), bad value (fragment type above 3),
 * too many (more than TEKHO_M2M_MAX_BURSTS PDU bursts). *out only on success. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_m2m_parse(const uint8_t *in, size_t len, struct tekho_m2m *out);

/* What one link-layer frame carries, from tekho_link_parse. */
struct tekho_link_frame {
    enum tekho_capture_kind kind;
    const char *skipped;     /* OTHER: why, in a few words (static storage) */
    bool m2m;                /* AIR: payload is an M2M message (else a USER0 burst) */
    bool has_mac;            /* Ethernet or SLL: the source (and Ethernet destination) MAC */
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint8_t ip_version;      /* 4 or 6 when the frame is IP, else 0 */
    uint8_t src_addr[16];    /* IPv4 in the first 4 bytes */
    uint8_t dst_addr[16];
    uint16_t src_port;       /* UDP */
    uint16_t dst_port;
    const uint8_t *payload;  /* AIR: the burst or M2M message; BACKBONE: the UDP payload */
    size_t payload_len;
};

/* Classifies one frame of the given link type: AIR (USER0, or Ethernet
 * with the M2M ethertype), BACKBONE (UDP with asncp_port at either end,
 * over IPv4 or IPv6, after any VLAN tags, SLL/SLL2 or loopback header) or
 * OTHER with the reason. Bytes after the IP length (Ethernet padding) are
 * ignored; neither checksum is checked (captures taken where the NIC
 * computes them hold unfinished ones). Errors (a frame too damaged to
 * classify): invalid argument (NULL), truncated (fewer bytes than a header
 * needs), length mismatch (an IP or UDP length past the bytes there, or
 * shorter than its header), bad value (an IP version that is neither, an
 * IPv4 IHL below 5, a link type not listed above). *out only on success. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_link_parse(uint32_t linktype, const uint8_t *frame, size_t len,
                                                     uint16_t asncp_port, struct tekho_link_frame *out);

/* ---- Ethernet/IPv4/UDP frames: pure, no allocation, no I/O ---- */

/* What tekho_udp_frame_parse found. payload points into the parsed bytes. */
struct tekho_udp_frame {
    uint32_t src_node;
    uint32_t dst_node;
    uint16_t src_port;
    uint16_t dst_port;
    const uint8_t *payload;
    size_t payload_len;
};

/* Builds 02:74:6b:00:00:01 -> 02:74:6b:00:00:02 | IPv4 10.<src> -> 10.<dst>
 * (DF, TTL 64, header checksum) | UDP 2231 -> 2231 (checksum computed) |
 * payload. Errors: invalid argument (NULL), bad value (node id above
 * TEKHO_CAPTURE_NODE_MAX, payload above TEKHO_UDP_FRAME_MAX_PAYLOAD),
 * buffer too small (out_cap < payload_len + TEKHO_UDP_FRAME_OVERHEAD). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_udp_frame_build(uint32_t src_node, uint32_t dst_node, const uint8_t *payload,
                                                          size_t payload_len, uint8_t *out, size_t out_cap,
                                                          size_t *out_len);

/* Parses untrusted bytes; never reads past frame[len - 1]. Bytes after the
 * IPv4 total length (Ethernet padding) are ignored; the UDP checksum is not
 * checked (captures on a real interface carry offloaded, unfinished ones).
 * Errors, in the order checked:
 *   truncated        fewer bytes than the Ethernet header
 *   bad value        ethertype not IPv4 (no VLAN tags)
 *   truncated        fewer bytes than the IPv4 fixed header
 *   bad value        IP version not 4, IHL < 5
 *   truncated        fewer bytes than the IHL says
 *   bad value        bad header checksum, protocol not UDP, a fragment
 *   length mismatch  IPv4 total length shorter than its header + 8 or past
 *                    the bytes given; UDP length below 8 or past the IPv4
 *                    payload
 *   bad value        neither port 2231, an address outside 10.0.0.0/8
 * *out is written only on success. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_udp_frame_parse(const uint8_t *frame, size_t len,
                                                          struct tekho_udp_frame *out);

/* ---- Writing ---- */

struct tekho_capture_writer;

/* Creates (truncates) path. See the file comment: *out is set even on a
 * file or libpcap failure and must be closed. An unknown kind is a bad value. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_capture_open(const char *path, enum tekho_capture_kind kind,
                                                       struct tekho_capture_writer **out);

/* One air record, written as given (a test may write a bad CRC on purpose).
 * Errors: invalid argument (NULL, len 0, a backbone writer, a failed
 * writer, a write error), bad value (len above TEKHO_CAPTURE_SNAPLEN,
 * time past the 32-bit seconds of classic pcap). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_capture_write_air(struct tekho_capture_writer *w, uint64_t time_us,
                                                            const uint8_t *pdu, size_t len);

/* One backbone record: the ASN-CP bytes (written as given) in a frame from
 * tekho_udp_frame_build. Errors: those of tekho_capture_write_air (an air
 * writer is the invalid argument here) and of tekho_udp_frame_build. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_capture_write_backbone(struct tekho_capture_writer *w, uint64_t time_us,
                                                                 uint32_t src_node, uint32_t dst_node,
                                                                 const uint8_t *asncp, size_t len);

/* Flushes and closes. Returns invalid argument if the final flush failed,
 * the only report of that: check it after writing. A failure that an
 * earlier call already returned is not reported again, so after a failed
 * open the result may be ignored (hence no warn_unused_result). NULL is
 * accepted. */
TEKHO_API tekho_err tekho_capture_close(struct tekho_capture_writer *w);

/* Why the last failure happened ("" if none). Valid until the next call on w. */
TEKHO_API const char *tekho_capture_writer_error(const struct tekho_capture_writer *w);

/* ---- Reading ---- */

struct tekho_capture_reader;

struct tekho_capture_record {
    uint64_t frame;               /* 1-based, as tshark's frame.number */
    uint64_t time_us;
    /* From the record itself (tekho_link_parse); on err, what the file's
     * link type suggests (AIR for USER0, else BACKBONE). */
    enum tekho_capture_kind kind;
    /* TEKHO_OK, or why this record is not a usable one: truncated (the
     * record was cut by the snaplen, or an M2M burst whose fragments are
     * not all there), or a tekho_link_parse / tekho_m2m_parse error. */
    tekho_err err;
    /* air: one MAC PDU burst (an M2M record can hold several: each comes
     * back as a record of its own with the same frame and the next part);
     * backbone: the UDP payload; on err: the whole captured record. Valid
     * until the next tekho_capture_next or close. */
    const uint8_t *data;
    size_t len;
    uint32_t part;                /* the burst's index in its frame, from 0 */
    const char *skipped;          /* OTHER: why (static storage) */
    /* Backbone: the IP addresses and UDP ports (addresses as in
     * struct tekho_link_frame); src_node/dst_node are the host part of
     * 10.0.0.0/8 addresses (tekho's own captures), 0 for any other. */
    uint8_t ip_version;
    uint8_t src_addr[16];
    uint8_t dst_addr[16];
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t src_node;
    uint32_t dst_node;
};

/* Opens a pcap or pcapng file of one of the TEKHO_LINKTYPE_* link types
 * (each record is classified by tekho_link_parse, ASN-CP on UDP port
 * TEKHO_CAPTURE_UDP_PORT unless tekho_capture_reader_set_asncp_port says
 * another); any other link type is a bad value. See the file comment:
 * *out is set even on failure and must be closed. Every reader message
 * starts with the path ("x.pcap: No such file or directory"); another
 * link type is named as the file records it (a raw-IP capture: "link type
 * 101 (LINKTYPE_RAW, Raw IP)", where libpcap would say DLT_RAW, 12 or 14
 * depending on the platform). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_capture_read_open(const char *path, struct tekho_capture_reader **out);

/* The next record into *rec with *got = true, or *got = false at the end.
 * A bad record is not a failure: it comes back with rec->err set and the
 * next call reads on. A damaged file (a record cut short by the end of the
 * file, an impossible record length) is: invalid argument, and every later
 * call fails the same way. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_capture_next(struct tekho_capture_reader *r, struct tekho_capture_record *rec,
                                                       bool *got);

/* The file's kind (AIR for USER0, BACKBONE for every other link type: a
 * record's own kind says what it holds); only meaningful after a
 * successful open. */
TEKHO_API enum tekho_capture_kind tekho_capture_reader_kind(const struct tekho_capture_reader *r);
/* The file's LINKTYPE_* value; only meaningful after a successful open. */
TEKHO_API uint32_t tekho_capture_reader_linktype(const struct tekho_capture_reader *r);
/* The UDP port of ASN-CP from the next record on (default 2231). */
TEKHO_API void tekho_capture_reader_set_asncp_port(struct tekho_capture_reader *r, uint16_t port);

/* NULL is accepted. */
TEKHO_API void tekho_capture_read_close(struct tekho_capture_reader *r);

/* Why the last failure happened ("" if none). Valid until the next call on r. */
TEKHO_API const char *tekho_capture_reader_error(const struct tekho_capture_reader *r);

#ifdef __cplusplus
}
#endif
#endif
