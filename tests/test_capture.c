/*
 * Tests for src/capture/pcap.c: the Ethernet/IPv4/UDP framing byte for byte
 * (expected frame computed independently in Python), its parser on every
 * error path, every truncation and 100000 random inputs, and air and
 * backbone captures written and read back through libpcap, including bad
 * records that must be reported while later records still read.
 *
 * usage: test_capture [DIR]   With DIR, the captures are kept there for
 * tests/test_tshark.sh: air.pcap and backbone.pcap must pass
 * scripts/tshark-check.sh, the bad_*.pcap files must fail it.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* libpcap's headers need the BSD u_int types */
#endif

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tekho/capture.h"
#include "tekho/pdu.h"
#include "test_util.h"

static char dir[1024];
static bool keep_files;

static void path_in_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Fixed-seed xorshift32 so failures are reproducible. */
static uint32_t rng_state = 0x2545F491u;

static uint32_t xorshift32(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* ---- Inputs: MAC PDUs and ASN-CP messages ---- */

/* HT=0, EC=0, Type=0, with or without CRC-32, as wireshark.md section 3. */
static size_t mac_pdu(uint8_t *out, size_t cap, uint16_t cid, bool crc, const uint8_t *body, size_t n)
{
    size_t len = TEKHO_GMH_LEN + n + (crc ? TEKHO_CRC_LEN : 0);
    if (len > cap || len > TEKHO_PDU_MAX_LEN)
        return 0;
    struct tekho_gmh gmh = {.ci = crc, .len = (uint16_t)len, .cid = cid};
    if (tekho_gmh_encode(&gmh, out) != TEKHO_OK)
        return 0;
    memcpy(out + TEKHO_GMH_LEN, body, n);
    if (crc) {
        uint32_t c = tekho_crc32(out, TEKHO_GMH_LEN + n);
        out[len - 4] = (uint8_t)(c >> 24);
        out[len - 3] = (uint8_t)(c >> 16);
        out[len - 2] = (uint8_t)(c >> 8);
        out[len - 1] = (uint8_t)c;
    }
    return len;
}

/* wireshark.md section 3: body and the full PDU it must give. */
static const char rng_req_body[] = "040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005";
static const char rng_req_pdu[] = "0040260000a5040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005042cd2a2";
/* Status success (3), MS MAC, HO Process Optimization 0x00ff, HO_ID 42. */
static const char rng_rsp_body[] = "0500040103" "08060a1b2c3d4e5f" "150200ff" "16012a";
/* MOB_HO-IND: Wireshark shows only the name, so the bit-packed body is only bytes here. */
static const char mob_ho_ind_body[] = "3b00002a";
/* RNG-REQ whose HO_ID TLV has length 0: Info "RNG-REQ TLV error", no expert item. */
static const char rng_req_zero_tlv_body[] = "040002060a1b2c3d4e5f0700";

/* ASN-CP, wireshark.md section 5. HO_Req: flags T, HO Control, op
 * Request, type 1, length 64, MSID, TID 1; Source and Destination
 * Identifier (BS IDs), HO Type HHO, MS ID, CMAC_KEY_COUNT 5. */
static const char ho_req[] = "0102022100400a1b2c3d4e5f0000000000010000"
                             "0110000600aabbccddee"
                             "010f000600aabbccdd01"
                             "004f000400000000"
                             "006600060a1b2c3d4e5f"
                             "002200020005";
/* Context_Rpt: Context Transfer, op Response, type 2, TID 2; MS ID and an
 * AK Context (AK, AK ID, AK Lifetime 3600, AK SN 2, CMAC_KEY_COUNT 5). */
static const char context_rpt[] = "0100044200590a1b2c3d4e5f0000000000020000"
                                  "006600060a1b2c3d4e5f"
                                  "00060037"
                                  "00050014000102030405060708090a0b0c0d0e0f10111213"
                                  "00070008a0a1a2a3a4a5a6a7"
                                  "0008000400000e10"
                                  "0009000102"
                                  "002200020005";
/* CMAC_Key_Count_Update: Context Transfer, op Request, type 4, TID 3;
 * MS ID and CMAC_KEY_COUNT 6. */
static const char cmac_kc_update[] = "0100042400240a1b2c3d4e5f0000000000030000"
                                     "006600060a1b2c3d4e5f"
                                     "002200020006";
/* CMAC_KEY_COUNT with length 0: the raw-hex fallback, no expert item. */
static const char cmac_kc_update_zero_tlv[] = "0100042400220a1b2c3d4e5f0000000000030000"
                                              "006600060a1b2c3d4e5f"
                                              "00220000";

/* Python: Ethernet 02746b000001 -> 02746b000002, IPv4 10.0.0.1 -> 10.0.1.2
 * (DF, TTL 64), UDP 2231 -> 2231 with checksum, payload "tekho". */
static const char frame_tekho[] = "02746b00000202746b000001080045000021000040004011"
                                  "25ca0a0000010a00010208b708b7000d8a9574656b686f";

/* ---- Frame build and parse ---- */

static void test_frame_build(void)
{
    uint8_t want[128], got[128];
    size_t want_len = test_hex(frame_tekho, want, sizeof want), got_len = 0;
    CHECK_ERR(tekho_udp_frame_build(1, 0x102, (const uint8_t *)"tekho", 5, got, sizeof got, &got_len), TEKHO_OK);
    CHECK(got_len == want_len);
    CHECK(got_len == TEKHO_UDP_FRAME_OVERHEAD + 5);
    CHECK_BYTES(got, want, want_len);

    struct tekho_udp_frame f;
    CHECK_ERR(tekho_udp_frame_parse(got, got_len, &f), TEKHO_OK);
    CHECK(f.src_node == 1 && f.dst_node == 0x102);
    CHECK(f.src_port == 2231 && f.dst_port == 2231);
    CHECK(f.payload == got + 42 && f.payload_len == 5);

    /* Extremes of the node range and an empty payload. */
    CHECK_ERR(tekho_udp_frame_build(0, TEKHO_CAPTURE_NODE_MAX, NULL, 0, got, sizeof got, &got_len), TEKHO_OK);
    CHECK(got_len == TEKHO_UDP_FRAME_OVERHEAD);
    CHECK_ERR(tekho_udp_frame_parse(got, got_len, &f), TEKHO_OK);
    CHECK(f.src_node == 0 && f.dst_node == TEKHO_CAPTURE_NODE_MAX && f.payload_len == 0);

    CHECK_ERR(tekho_udp_frame_build(TEKHO_CAPTURE_NODE_MAX + 1, 1, got, 1, got, sizeof got, &got_len),
              TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(tekho_udp_frame_build(1, 0xFFFFFFFFu, got, 1, got, sizeof got, &got_len), TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(tekho_udp_frame_build(1, 2, got, 5, got, 46, &got_len), TEKHO_ERR_BUFFER_TOO_SMALL);
    CHECK_ERR(tekho_udp_frame_build(1, 2, NULL, 5, got, sizeof got, &got_len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_udp_frame_build(1, 2, got, 5, NULL, sizeof got, &got_len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_udp_frame_build(1, 2, got, 5, got, sizeof got, NULL), TEKHO_ERR_INVALID_ARGUMENT);

    /* The largest payload fills the snaplen exactly; one more is refused. */
    static uint8_t big_in[TEKHO_UDP_FRAME_MAX_PAYLOAD + 1], big_out[TEKHO_CAPTURE_SNAPLEN + 1];
    memset(big_in, 0xA5, sizeof big_in);
    CHECK_ERR(tekho_udp_frame_build(1, 2, big_in, TEKHO_UDP_FRAME_MAX_PAYLOAD, big_out, sizeof big_out, &got_len),
              TEKHO_OK);
    CHECK(got_len == TEKHO_CAPTURE_SNAPLEN);
    CHECK_ERR(tekho_udp_frame_parse(big_out, got_len, &f), TEKHO_OK);
    CHECK(f.payload_len == TEKHO_UDP_FRAME_MAX_PAYLOAD);
    CHECK_ERR(tekho_udp_frame_build(1, 2, big_in, sizeof big_in, big_out, sizeof big_out, &got_len),
              TEKHO_ERR_BAD_VALUE);
}

static void fix_ip_checksum(uint8_t *frame)
{
    uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    ip[10] = ip[11] = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < ihl; i += 2)
        acc += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (acc >> 16)
        acc = (acc & 0xFFFF) + (acc >> 16);
    ip[10] = (uint8_t)(~acc >> 8);
    ip[11] = (uint8_t)~acc;
}

/* The frame_tekho frame with one field changed: byte at off set to v, and
 * the IP header checksum recomputed unless the checksum is what is tested. */
static tekho_err parse_mutated(size_t off, uint8_t v, bool fix, size_t len_delta)
{
    uint8_t f[128];
    size_t n = test_hex(frame_tekho, f, sizeof f);
    f[off] = v;
    if (fix)
        fix_ip_checksum(f);
    struct tekho_udp_frame out;
    return tekho_udp_frame_parse(f, n - len_delta, &out);
}

static void test_frame_parse_errors(void)
{
    uint8_t f[128];
    size_t n = test_hex(frame_tekho, f, sizeof f);
    struct tekho_udp_frame out;

    CHECK_ERR(parse_mutated(12, 0x86, true, 0), TEKHO_ERR_BAD_VALUE);   /* ethertype 0x86DD */
    CHECK_ERR(parse_mutated(14, 0x65, true, 0), TEKHO_ERR_BAD_VALUE);   /* version 6 */
    CHECK_ERR(parse_mutated(14, 0x44, false, 0), TEKHO_ERR_BAD_VALUE);  /* IHL 4 */
    CHECK_ERR(parse_mutated(14, 0x4F, false, 0), TEKHO_ERR_TRUNCATED);  /* IHL 15: 60 bytes, 47 left */
    CHECK_ERR(parse_mutated(24, 0x00, false, 0), TEKHO_ERR_BAD_VALUE);  /* header checksum */
    CHECK_ERR(parse_mutated(23, 6, true, 0), TEKHO_ERR_BAD_VALUE);      /* TCP */
    CHECK_ERR(parse_mutated(20, 0x20, true, 0), TEKHO_ERR_BAD_VALUE);   /* MF */
    CHECK_ERR(parse_mutated(21, 0x01, true, 0), TEKHO_ERR_BAD_VALUE);   /* fragment offset */
    CHECK_ERR(parse_mutated(17, 27, true, 0), TEKHO_ERR_LENGTH_MISMATCH); /* total length 27 < 28 */
    CHECK_ERR(parse_mutated(17, 34, true, 0), TEKHO_ERR_LENGTH_MISMATCH); /* total length past the bytes */
    CHECK_ERR(parse_mutated(39, 7, true, 0), TEKHO_ERR_LENGTH_MISMATCH);  /* UDP length 7 */
    CHECK_ERR(parse_mutated(39, 14, true, 0), TEKHO_ERR_LENGTH_MISMATCH); /* UDP length past IP payload */
    CHECK_ERR(parse_mutated(35, 0x35, true, 0), TEKHO_OK);                /* one port 2231 is enough */
    CHECK_ERR(parse_mutated(37, 0x35, true, 0), TEKHO_OK);
    f[35] = 0x35;
    f[37] = 0x35; /* both ports 2101 */
    CHECK_ERR(tekho_udp_frame_parse(f, n, &out), TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(parse_mutated(26, 127, true, 0), TEKHO_ERR_BAD_VALUE);     /* source 127.0.0.1 */
    CHECK_ERR(parse_mutated(30, 11, true, 0), TEKHO_ERR_BAD_VALUE);      /* destination 11.0.1.2 */

    /* A UDP length shorter than the IP payload is legal (RFC 768): the
     * payload ends where UDP says, like Ethernet padding after the IP
     * total length. */
    test_hex(frame_tekho, f, sizeof f);
    f[39] = 12;
    CHECK_ERR(tekho_udp_frame_parse(f, n, &out), TEKHO_OK);
    CHECK(out.payload_len == 4);
    uint8_t padded[128];
    test_hex(frame_tekho, padded, sizeof padded);
    memset(padded + n, 0, sizeof padded - n);
    CHECK_ERR(tekho_udp_frame_parse(padded, 60, &out), TEKHO_OK);
    CHECK(out.payload_len == 5 && memcmp(out.payload, "tekho", 5) == 0);

    /* IP options: IHL 6 with a NOP-padded option word. */
    uint8_t opt[132];
    test_hex(frame_tekho, f, sizeof f);
    memcpy(opt, f, 34);
    memset(opt + 34, 0x01, 4);
    memcpy(opt + 38, f + 34, n - 34);
    opt[14] = 0x46;
    opt[17] = (uint8_t)(opt[17] + 4);
    fix_ip_checksum(opt);
    CHECK_ERR(tekho_udp_frame_parse(opt, n + 4, &out), TEKHO_OK);
    CHECK(out.payload == opt + 46 && out.payload_len == 5 && out.src_node == 1 && out.dst_node == 0x102);

    CHECK_ERR(tekho_udp_frame_parse(NULL, 0, &out), TEKHO_ERR_TRUNCATED);
    CHECK_ERR(tekho_udp_frame_parse(NULL, 5, &out), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_udp_frame_parse(f, n, NULL), TEKHO_ERR_INVALID_ARGUMENT);
}

/* Every prefix of a valid frame, each in an exact-size heap block so that
 * ASan sees a read one byte past. */
static void test_frame_truncations(void)
{
    uint8_t f[128];
    size_t n = test_hex(frame_tekho, f, sizeof f);
    for (size_t len = 0; len <= n; len++) {
        uint8_t *p = malloc(len ? len : 1);
        if (p == NULL) {
            CHECK(0);
            return;
        }
        memcpy(p, f, len);
        struct tekho_udp_frame out;
        tekho_err err = tekho_udp_frame_parse(p, len, &out);
        if (len < 34)
            CHECK_ERR(err, TEKHO_ERR_TRUNCATED);
        else if (len < n)
            CHECK_ERR(err, TEKHO_ERR_LENGTH_MISMATCH);
        else
            CHECK_ERR(err, TEKHO_OK);
        free(p);
    }
}

static void check_parse_result(const uint8_t *p, size_t len)
{
    struct tekho_udp_frame out;
    memset(&out, 0xEE, sizeof out);
    tekho_err err = tekho_udp_frame_parse(p, len, &out);
    if (err == TEKHO_OK) {
        CHECK(out.payload >= p + 42 && out.payload + out.payload_len <= p + len);
        CHECK(out.src_port == 2231 || out.dst_port == 2231);
        CHECK(out.src_node <= TEKHO_CAPTURE_NODE_MAX && out.dst_node <= TEKHO_CAPTURE_NODE_MAX);
    } else {
        CHECK(err == TEKHO_ERR_TRUNCATED || err == TEKHO_ERR_BAD_VALUE || err == TEKHO_ERR_LENGTH_MISMATCH);
    }
}

/* Random bytes rarely get past the ethertype, so half the inputs are a
 * valid frame with a few bytes changed and a random length. */
static void test_frame_fuzz(void)
{
    uint8_t f[128];
    size_t n = test_hex(frame_tekho, f, sizeof f);
    int ok = 0;
    for (int i = 0; i < 100000; i++) {
        size_t len;
        uint8_t buf[256];
        if (i & 1) {
            len = xorshift32() % sizeof buf;
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)xorshift32();
        } else {
            memcpy(buf, f, n);
            memset(buf + n, 0, sizeof buf - n);
            int flips = (int)(xorshift32() % 4);
            for (int k = 0; k < flips; k++)
                buf[xorshift32() % n] = (uint8_t)xorshift32();
            if (xorshift32() & 1)
                fix_ip_checksum(buf);
            len = (xorshift32() & 1) ? n : xorshift32() % (n + 20);
        }
        uint8_t *p = malloc(len ? len : 1);
        if (p == NULL) {
            CHECK(0);
            return;
        }
        memcpy(p, buf, len);
        check_parse_result(p, len);
        struct tekho_udp_frame out;
        ok += tekho_udp_frame_parse(p, len, &out) == TEKHO_OK;
        free(p);
    }
    /* Proves the mutated half reaches the end of the parser. */
    CHECK(ok > 1000);
}

/* ---- Captures ---- */

struct air_rec {
    uint64_t time_us;
    uint8_t bytes[256];
    size_t len;
};

struct bb_rec {
    uint64_t time_us;
    uint32_t src, dst;
    uint8_t bytes[256];
    size_t len;
};

static size_t air_records(struct air_rec *r)
{
    uint8_t body[128];
    size_t n, i = 0;

    r[i].time_us = 1000000;
    n = test_hex(rng_req_body, body, sizeof body);
    r[i].len = mac_pdu(r[i].bytes, sizeof r[i].bytes, 0, true, body, n);
    i++;

    r[i].time_us = 1000500;
    n = test_hex(rng_rsp_body, body, sizeof body);
    r[i].len = mac_pdu(r[i].bytes, sizeof r[i].bytes, 0, true, body, n);
    i++;

    /* Two PDUs in one record: Info "RNG-REQ, MOB-HO-IND". */
    r[i].time_us = 1002000;
    n = test_hex(rng_req_body, body, sizeof body);
    r[i].len = mac_pdu(r[i].bytes, sizeof r[i].bytes, 0x0021, true, body, n);
    n = test_hex(mob_ho_ind_body, body, sizeof body);
    r[i].len += mac_pdu(r[i].bytes + r[i].len, sizeof r[i].bytes - r[i].len, 0x0021, true, body, n);
    i++;

    /* Without CRC: only an expert Note, which the checker accepts. */
    r[i].time_us = 4294967295999999u; /* the last classic-pcap microsecond */
    n = test_hex(mob_ho_ind_body, body, sizeof body);
    r[i].len = mac_pdu(r[i].bytes, sizeof r[i].bytes, 0x0021, false, body, n);
    i++;
    return i;
}

static size_t backbone_records(struct bb_rec *r)
{
    size_t i = 0;
    r[i] = (struct bb_rec){.time_us = 2000000, .src = 1, .dst = 2};
    r[i].len = test_hex(ho_req, r[i].bytes, sizeof r[i].bytes);
    i++;
    r[i] = (struct bb_rec){.time_us = 2000100, .src = 3, .dst = 2};
    r[i].len = test_hex(context_rpt, r[i].bytes, sizeof r[i].bytes);
    i++;
    r[i] = (struct bb_rec){.time_us = 2000200, .src = 2, .dst = TEKHO_CAPTURE_NODE_MAX};
    r[i].len = test_hex(cmac_kc_update, r[i].bytes, sizeof r[i].bytes);
    i++;
    return i;
}

static void write_air_file(const char *path, const struct air_rec *r, size_t n)
{
    struct tekho_capture_writer *w = NULL;
    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_AIR, &w), TEKHO_OK);
    for (size_t i = 0; i < n; i++)
        CHECK_ERR(tekho_capture_write_air(w, r[i].time_us, r[i].bytes, r[i].len), TEKHO_OK);
    CHECK_ERR(tekho_capture_close(w), TEKHO_OK);
}

static void write_backbone_file(const char *path, const struct bb_rec *r, size_t n)
{
    struct tekho_capture_writer *w = NULL;
    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_BACKBONE, &w), TEKHO_OK);
    for (size_t i = 0; i < n; i++)
        CHECK_ERR(tekho_capture_write_backbone(w, r[i].time_us, r[i].src, r[i].dst, r[i].bytes, r[i].len),
                  TEKHO_OK);
    CHECK_ERR(tekho_capture_close(w), TEKHO_OK);
}

static void test_air(void)
{
    struct air_rec r[8];
    size_t n = air_records(r);
    uint8_t want[64];
    size_t want_len = test_hex(rng_req_pdu, want, sizeof want);
    CHECK(r[0].len == want_len);
    CHECK_BYTES(r[0].bytes, want, want_len);

    char path[1100];
    path_in_dir(path, sizeof path, "air.pcap");
    write_air_file(path, r, n);

    /* The file itself: classic pcap, microseconds, snaplen, USER0. */
    FILE *f = fopen(path, "rb");
    uint8_t gh[24] = {0};
    CHECK(f != NULL && fread(gh, 1, sizeof gh, f) == sizeof gh);
    if (f != NULL)
        fclose(f);
    uint32_t magic, snaplen, linktype;
    memcpy(&magic, gh, 4);
    memcpy(&snaplen, gh + 16, 4);
    memcpy(&linktype, gh + 20, 4);
    CHECK(magic == 0xa1b2c3d4u && snaplen == 65535 && linktype == 147);

    struct tekho_capture_reader *rd = NULL;
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_OK);
    CHECK(tekho_capture_reader_kind(rd) == TEKHO_CAPTURE_AIR);
    struct tekho_capture_record rec;
    bool got;
    for (size_t i = 0; i < n; i++) {
        CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
        CHECK(got);
        if (!got)
            break;
        CHECK(rec.frame == i + 1);
        CHECK(rec.time_us == r[i].time_us);
        CHECK(rec.kind == TEKHO_CAPTURE_AIR);
        CHECK_ERR(rec.err, TEKHO_OK);
        CHECK(rec.len == r[i].len);
        if (rec.len == r[i].len)
            CHECK_BYTES(rec.data, r[i].bytes, rec.len);
        CHECK(rec.src_node == 0 && rec.dst_node == 0);
    }
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
    CHECK(!got);
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK); /* the end stays the end */
    CHECK(!got);
    tekho_capture_read_close(rd);
    if (!keep_files)
        unlink(path);
}

static void test_backbone(void)
{
    struct bb_rec r[8];
    size_t n = backbone_records(r);
    CHECK(r[0].len == 64 && r[1].len == 89 && r[2].len == 36);

    char path[1100];
    path_in_dir(path, sizeof path, "backbone.pcap");
    write_backbone_file(path, r, n);

    struct tekho_capture_reader *rd = NULL;
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_OK);
    CHECK(tekho_capture_reader_kind(rd) == TEKHO_CAPTURE_BACKBONE);
    struct tekho_capture_record rec;
    bool got;
    for (size_t i = 0; i < n; i++) {
        CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
        CHECK(got);
        if (!got)
            break;
        CHECK(rec.frame == i + 1);
        CHECK(rec.time_us == r[i].time_us);
        CHECK(rec.kind == TEKHO_CAPTURE_BACKBONE);
        CHECK_ERR(rec.err, TEKHO_OK);
        CHECK(rec.src_node == r[i].src && rec.dst_node == r[i].dst);
        CHECK(rec.len == r[i].len);
        if (rec.len == r[i].len)
            CHECK_BYTES(rec.data, r[i].bytes, rec.len);
    }
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
    CHECK(!got);
    tekho_capture_read_close(rd);
    if (!keep_files)
        unlink(path);
}

/* Crafted records go through libpcap directly: the writer only makes good frames. */
static void dump_raw(pcap_dumper_t *d, uint32_t sec, const uint8_t *p, size_t caplen, size_t len)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = sec;
    h.caplen = (bpf_u_int32)caplen;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)d, &h, p);
}

static void test_bad_backbone_records(void)
{
    char path[1100];
    path_in_dir(path, sizeof path, "bad_backbone.pcap");
    uint8_t good[256];
    size_t good_len;
    uint8_t msg[128];
    size_t msg_len = test_hex(cmac_kc_update, msg, sizeof msg);
    CHECK_ERR(tekho_udp_frame_build(4, 5, msg, msg_len, good, sizeof good, &good_len), TEKHO_OK);

    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
    CHECK(d != NULL);
    if (d == NULL) {
        if (p)
            pcap_close(p);
        return;
    }
    uint8_t b[256];
    dump_raw(d, 1, good, good_len, good_len); /* 1: good */
    memcpy(b, good, good_len);
    b[23] = 1; /* 2: ICMP, not UDP */
    fix_ip_checksum(b);
    dump_raw(d, 2, b, good_len, good_len);
    memcpy(b, good, good_len);
    b[35] = b[37] = 0x35; /* 3: UDP 2101 -> 2101 */
    dump_raw(d, 3, b, good_len, good_len);
    dump_raw(d, 4, good, 24, 24); /* 4: a record that ends inside the IP header */
    memcpy(b, good, good_len);
    b[16] = 0x01; /* 5: IP total length 0x0140, past the record */
    fix_ip_checksum(b);
    dump_raw(d, 5, b, good_len, good_len);
    memcpy(b, good, good_len);
    b[12] = 0x08;
    b[13] = 0x06; /* 6: ARP */
    dump_raw(d, 6, b, good_len, good_len);
    dump_raw(d, 7, good, 50, good_len); /* 7: cut by a snaplen */
    dump_raw(d, 8, good, good_len, good_len); /* 8: good again */
    pcap_dump_close(d);
    pcap_close(p);

    /* ICMP, another UDP port and ARP are other traffic, skipped; the
     * others are damaged. */
    static const tekho_err want[] = {TEKHO_OK,        TEKHO_OK,       TEKHO_OK,
                                     TEKHO_ERR_TRUNCATED, TEKHO_ERR_LENGTH_MISMATCH, TEKHO_OK,
                                     TEKHO_ERR_TRUNCATED, TEKHO_OK};
    static const enum tekho_capture_kind want_kind[] = {
        TEKHO_CAPTURE_BACKBONE, TEKHO_CAPTURE_OTHER,    TEKHO_CAPTURE_OTHER,    TEKHO_CAPTURE_BACKBONE,
        TEKHO_CAPTURE_BACKBONE, TEKHO_CAPTURE_OTHER,    TEKHO_CAPTURE_BACKBONE, TEKHO_CAPTURE_BACKBONE};
    static const char *const want_skip[] = {NULL, "IP, not UDP", "UDP, not the ASN-CP port", NULL, NULL, "not IP",
                                            NULL, NULL};
    static const size_t want_raw_len[] = {0, 0, 0, 24, 0, 0, 50, 0};
    struct tekho_capture_reader *rd = NULL;
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_OK);
    struct tekho_capture_record rec;
    bool got;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
        CHECK(got);
        if (!got)
            break;
        CHECK(rec.frame == i + 1 && rec.time_us == (i + 1) * 1000000u);
        CHECK(rec.kind == want_kind[i]);
        CHECK_ERR(rec.err, want[i]);
        CHECK((rec.skipped == NULL) == (want_skip[i] == NULL));
        if (rec.skipped != NULL && want_skip[i] != NULL)
            CHECK(strcmp(rec.skipped, want_skip[i]) == 0);
        if (rec.kind == TEKHO_CAPTURE_OTHER) {
            continue;
        } else if (rec.err == TEKHO_OK) {
            CHECK(rec.src_node == 4 && rec.dst_node == 5 && rec.len == msg_len);
            if (rec.len == msg_len)
                CHECK_BYTES(rec.data, msg, msg_len);
        } else {
            /* The whole captured record, for a diagnostic dump. */
            CHECK(rec.len == (want_raw_len[i] ? want_raw_len[i] : good_len));
            CHECK(rec.src_node == 0 && rec.dst_node == 0);
        }
    }
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
    CHECK(!got);
    tekho_capture_read_close(rd);
    if (!keep_files)
        unlink(path);
}

static void test_writer_errors(void)
{
    char path[1100];
    path_in_dir(path, sizeof path, "no/such/dir/x.pcap");
    struct tekho_capture_writer *w = NULL;
    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_AIR, &w), TEKHO_ERR_IO);
    CHECK(w != NULL);
    CHECK(strstr(tekho_capture_writer_error(w), "No such file") != NULL);
    uint8_t b[4] = {1, 2, 3, 4};
    CHECK_ERR(tekho_capture_write_air(w, 0, b, 4), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_capture_close(w); /* the open already reported the failure */

    path_in_dir(path, sizeof path, "w.pcap");
    CHECK_ERR(tekho_capture_open(path, (enum tekho_capture_kind)7, &w), TEKHO_ERR_BAD_VALUE);
    tekho_capture_close(w);
    CHECK_ERR(tekho_capture_open(NULL, TEKHO_CAPTURE_AIR, &w), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_capture_close(w);
    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_AIR, NULL), TEKHO_ERR_INVALID_ARGUMENT);

    /* Refused records leave the writer usable. */
    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_AIR, &w), TEKHO_OK);
    CHECK(strcmp(tekho_capture_writer_error(w), "") == 0);
    CHECK_ERR(tekho_capture_write_backbone(w, 0, 1, 2, b, 4), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(tekho_capture_writer_error(w), "backbone record on a air") != NULL);
    CHECK_ERR(tekho_capture_write_air(w, 0, NULL, 4), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_capture_write_air(w, 0, b, 0), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_capture_write_air(w, 4294967296000000u, b, 4), TEKHO_ERR_BAD_VALUE);
    static uint8_t big[TEKHO_CAPTURE_SNAPLEN + 1];
    CHECK_ERR(tekho_capture_write_air(w, 0, big, sizeof big), TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(tekho_capture_write_air(w, 0, big, TEKHO_CAPTURE_SNAPLEN), TEKHO_OK);
    CHECK_ERR(tekho_capture_write_air(NULL, 0, b, 4), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_capture_close(w), TEKHO_OK);
    CHECK_ERR(tekho_capture_close(NULL), TEKHO_OK);

    CHECK_ERR(tekho_capture_open(path, TEKHO_CAPTURE_BACKBONE, &w), TEKHO_OK);
    CHECK_ERR(tekho_capture_write_air(w, 0, b, 4), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_capture_write_backbone(w, 0, 1, TEKHO_CAPTURE_NODE_MAX + 1, b, 4), TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(tekho_capture_write_backbone(w, 0, 1, 2, big, TEKHO_UDP_FRAME_MAX_PAYLOAD + 1), TEKHO_ERR_BAD_VALUE);
    CHECK_ERR(tekho_capture_write_backbone(w, 0, 1, 2, big, TEKHO_UDP_FRAME_MAX_PAYLOAD), TEKHO_OK);
    CHECK_ERR(tekho_capture_close(w), TEKHO_OK);

    /* A full device: the failure must surface by the close at the latest. */
    if (access("/dev/full", W_OK) == 0) {
        CHECK_ERR(tekho_capture_open("/dev/full", TEKHO_CAPTURE_AIR, &w), TEKHO_OK);
        tekho_err err = TEKHO_OK;
        for (int i = 0; i < 4 && err == TEKHO_OK; i++)
            err = tekho_capture_write_air(w, 0, big, TEKHO_CAPTURE_SNAPLEN);
        tekho_err close_err = tekho_capture_close(w);
        CHECK(err == TEKHO_ERR_IO || close_err == TEKHO_ERR_IO);
    }
    unlink(path);
}

static void test_reader_errors(void)
{
    char path[1100];
    struct tekho_capture_reader *rd = NULL;
    struct tekho_capture_record rec;
    bool got = true;

    path_in_dir(path, sizeof path, "missing.pcap");
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_ERR_IO);
    CHECK(rd != NULL && strstr(tekho_capture_reader_error(rd), "No such file") != NULL);
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_ERR_IO);
    CHECK(!got);
    tekho_capture_read_close(rd);
    CHECK_ERR(tekho_capture_read_open(NULL, &rd), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_capture_read_close(rd);
    CHECK_ERR(tekho_capture_read_open(path, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_capture_read_close(NULL);

    /* Not a capture at all. */
    path_in_dir(path, sizeof path, "text.pcap");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("this is not a capture file, only some text\n", f);
        fclose(f);
    }
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_ERR_IO);
    CHECK(strlen(tekho_capture_reader_error(rd)) > 0);
    tekho_capture_read_close(rd);

    /* Raw IP is read: LINKTYPE_RAW 101, although libpcap calls it DLT_RAW
     * (12 on Linux, 14 on OpenBSD). */
    path_in_dir(path, sizeof path, "raw.pcap");
    pcap_t *p = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
    CHECK(d != NULL);
    if (d != NULL)
        pcap_dump_close(d);
    if (p != NULL)
        pcap_close(p);
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_OK);
    CHECK(tekho_capture_reader_linktype(rd) == TEKHO_LINKTYPE_RAW);
    tekho_capture_read_close(rd);
    unlink(path);

    /* Another linktype, named as the file records it: LINKTYPE_IEEE802_11 105. */
    path_in_dir(path, sizeof path, "wlan.pcap");
    p = pcap_open_dead(DLT_IEEE802_11, 65535);
    d = p ? pcap_dump_open(p, path) : NULL;
    CHECK(d != NULL);
    if (d != NULL)
        pcap_dump_close(d);
    if (p != NULL)
        pcap_close(p);
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_ERR_BAD_VALUE);
    CHECK(strstr(tekho_capture_reader_error(rd), "wlan.pcap: link type 105 (LINKTYPE_IEEE802_11, 802.11) is not one "
                                                 "tekho reads") != NULL);
    tekho_capture_read_close(rd);
    unlink(path);

    /* A file cut inside its last record: the records before it still read. */
    path_in_dir(path, sizeof path, "text.pcap");
    struct air_rec r[8];
    size_t n = air_records(r);
    write_air_file(path, r, n);
    f = fopen(path, "rb");
    long size = 0;
    if (f != NULL) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
    }
    CHECK(size > 3 && truncate(path, size - 3) == 0);
    CHECK_ERR(tekho_capture_read_open(path, &rd), TEKHO_OK);
    for (size_t i = 0; i + 1 < n; i++) {
        CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_OK);
        CHECK(got && rec.err == TEKHO_OK && rec.len == r[i].len);
    }
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_ERR_IO);
    CHECK(!got);
    CHECK(strstr(tekho_capture_reader_error(rd), "truncated") != NULL);
    CHECK_ERR(tekho_capture_next(rd, &rec, &got), TEKHO_ERR_IO);
    CHECK_ERR(tekho_capture_next(rd, NULL, &got), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_capture_next(rd, &rec, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_capture_read_close(rd);
    CHECK_ERR(tekho_capture_next(NULL, &rec, &got), TEKHO_ERR_INVALID_ARGUMENT);
    unlink(path);
}

/* Captures that tshark-check.sh must reject (kept only with a DIR). */
static void write_bad_captures(void)
{
    char path[1100];
    uint8_t body[128];
    size_t n;
    struct air_rec r;
    r.time_us = 1000000;

    path_in_dir(path, sizeof path, "bad_crc.pcap");
    n = test_hex(rng_req_body, body, sizeof body);
    r.len = mac_pdu(r.bytes, sizeof r.bytes, 0, true, body, n);
    r.bytes[r.len - 1] ^= 0x01;
    write_air_file(path, &r, 1);

    path_in_dir(path, sizeof path, "bad_hcs.pcap");
    r.len = mac_pdu(r.bytes, sizeof r.bytes, 0, true, body, n);
    r.bytes[5] ^= 0xFF;
    write_air_file(path, &r, 1);

    path_in_dir(path, sizeof path, "bad_zero_tlv.pcap");
    n = test_hex(rng_req_zero_tlv_body, body, sizeof body);
    r.len = mac_pdu(r.bytes, sizeof r.bytes, 0, true, body, n);
    write_air_file(path, &r, 1);

    path_in_dir(path, sizeof path, "bad_zero_tlv_backbone.pcap");
    struct bb_rec b = {.time_us = 1000000, .src = 1, .dst = 2};
    b.len = test_hex(cmac_kc_update_zero_tlv, b.bytes, sizeof b.bytes);
    write_backbone_file(path, &b, 1);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
        keep_files = true;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tekho_capture.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
    }

    test_frame_build();
    test_frame_parse_errors();
    test_frame_truncations();
    test_frame_fuzz();
    test_air();
    test_backbone();
    test_bad_backbone_records();
    test_writer_errors();
    test_reader_errors();
    if (keep_files) {
        write_bad_captures();
    } else {
        if (rmdir(dir) != 0) {
            perror(dir);
            test_failures++;
        }
    }
    return test_summary("test_capture");
}
