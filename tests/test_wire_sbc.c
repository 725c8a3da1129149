/* SBC-REQ / SBC-RSP codec with Security Negotiation Parameters and the
 * profile's TEK generation sub-TLV (IEEE 802.16-2009 6.3.2.3.23-24, 11.8;
 * profile section 5; src/wire/sbc.c). The expected bytes below are
 * written from the layout, not taken from the encoder. */
#include <stdlib.h>
#include <string.h>

#include "tekho/mgmt.h"
#include "test_util.h"
#include "wire_random.h"

#define BW "010102"                                 /* BW allocation support */
/* Security Negotiation: 4 one-byte sub-TLVs (12) + PN window (4) + TEK gen (3) = 19 */
#define SECNEG_REQ "1913" "010102" "020102" "030120" "04020080" "060104" "070101"
#define SECNEG_RSP "1907" "04020100" "070103"
#define CMAC_VALUE "c0c1c2c3c4c5c6c7"
#define TUPLE13 "8d0d" "05" "0000002a" CMAC_VALUE
#define TUPLE19 "8d13" "03" "000000000005" "00000007" CMAC_VALUE

#define PATTERN 0xA5

static int n_error_cases, n_truncations;

static tekho_err decode_any(const uint8_t *in, size_t len, void *out)
{
    return tekho_sbc_decode(in, len, out);
}

static tekho_err decode_exact(const uint8_t *in, size_t len, struct tekho_sbc *out)
{
    return test_decode_exact(decode_any, in, len, out);
}

#define EXPECT_DECODE_ERR(h, want)                                                                                   \
    (n_error_cases++, test_expect_decode_err(__LINE__, decode_any, sizeof(struct tekho_sbc), (h), (want)))

static bool sec_equal(const struct tekho_security_negotiation *a, const struct tekho_security_negotiation *b)
{
    return a->has_pkm_version == b->has_pkm_version && (!a->has_pkm_version || a->pkm_version == b->pkm_version) &&
           a->has_auth_policy == b->has_auth_policy && (!a->has_auth_policy || a->auth_policy == b->auth_policy) &&
           a->has_mac_mode == b->has_mac_mode && (!a->has_mac_mode || a->mac_mode == b->mac_mode) &&
           a->has_pn_window_size == b->has_pn_window_size &&
           (!a->has_pn_window_size || a->pn_window_size == b->pn_window_size) &&
           a->has_max_sas == b->has_max_sas && (!a->has_max_sas || a->max_sas == b->max_sas) &&
           a->has_tek_generation == b->has_tek_generation &&
           (!a->has_tek_generation || a->tek_generation == b->tek_generation);
}

/* Field-wise equality of what travels on the wire (cmac_offset excluded). */
static bool sbc_equal(const struct tekho_sbc *a, const struct tekho_sbc *b)
{
    if (a->mgmt_type != b->mgmt_type || a->has_bw_alloc_support != b->has_bw_alloc_support ||
        a->has_security_negotiation != b->has_security_negotiation || a->has_cmac != b->has_cmac)
        return false;
    if (a->has_bw_alloc_support && a->bw_alloc_support != b->bw_alloc_support)
        return false;
    if (a->has_security_negotiation && !sec_equal(&a->sec, &b->sec))
        return false;
    if (a->has_cmac) {
        if (a->cmac.key_seq != b->cmac.key_seq || a->cmac.has_bsid != b->cmac.has_bsid ||
            a->cmac.cmac_pn != b->cmac.cmac_pn || memcmp(a->cmac.value, b->cmac.value, 8) != 0)
            return false;
        if (a->cmac.has_bsid && memcmp(a->cmac.bsid, b->cmac.bsid, 6) != 0)
            return false;
    }
    return true;
}

static const uint8_t cmac_c[8] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};

/* Offsets where a top-level TLV starts (plus the end): a prefix cut there
 * is itself a well-formed SBC with fewer TLVs, since SBC has no mandatory
 * TLV. */
static bool at_tlv_boundary(const uint8_t *msg, size_t len, size_t cut)
{
    if (cut == 1)
        return true;
    struct tekho_tlv_reader r;
    tekho_tlv_reader_init(&r, msg + 1, len - 1);
    for (;;) {
        struct tekho_tlv t;
        bool got;
        if (tekho_tlv_next(&r, &t, &got) != TEKHO_OK || !got)
            return false;
        if (1 + r.at == cut)
            return true;
    }
}

/* Every prefix of a valid encoding: inside a TLV it must fail and leave
 * *out alone; at a TLV boundary it decodes (to a message without the cut
 * TLVs). ASan checks that no prefix is read past its end. */
static void check_truncations(int line, const uint8_t *msg, size_t len)
{
    for (size_t cut = 0; cut < len; cut++) {
        struct tekho_sbc o, before;
        memset(&o, PATTERN, sizeof o);
        before = o;
        n_truncations++;
        tekho_err err = decode_exact(msg, cut, &o);
        if (cut > 0 && at_tlv_boundary(msg, len, cut)) {
            if (err != TEKHO_OK) {
                fprintf(stderr, "FAIL line %d: prefix %zu at a TLV boundary = %s\n", line, cut,
                        tekho_strerror(err));
                test_failures++;
            }
            continue;
        }
        if (err == TEKHO_OK) {
            fprintf(stderr, "FAIL line %d: prefix of %zu bytes decoded\n", line, cut);
            test_failures++;
        }
        if (memcmp(&o, &before, sizeof o) != 0) {
            fprintf(stderr, "FAIL line %d: prefix of %zu bytes wrote *out\n", line, cut);
            test_failures++;
        }
    }
}

static void check_known_at(int line, const char *h, const struct tekho_sbc *m, size_t want_cmac_offset)
{
    uint8_t want[256], got[256];
    size_t n = test_hex(h, want, sizeof want);
    size_t len = 0;
    tekho_err err = tekho_sbc_encode(m, got, sizeof got, &len);
    if (err != TEKHO_OK || len != n) {
        fprintf(stderr, "FAIL line %d: encode = %d (%s), len %zu want %zu\n", line, err, tekho_strerror(err), len,
                n);
        test_failures++;
    } else {
        CHECK_BYTES(got, want, n);
    }
    struct tekho_sbc d;
    err = decode_exact(want, n, &d);
    if (err != TEKHO_OK) {
        fprintf(stderr, "FAIL line %d: decode = %d (%s)\n", line, err, tekho_strerror(err));
        test_failures++;
        return;
    }
    if (!sbc_equal(&d, m)) {
        fprintf(stderr, "FAIL line %d: decoded fields differ\n", line);
        test_failures++;
    }
    if (m->has_cmac && (d.cmac_offset != want_cmac_offset || want[d.cmac_offset] != TEKHO_TLV_CMAC_TUPLE)) {
        fprintf(stderr, "FAIL line %d: cmac_offset %zu, want %zu\n", line, d.cmac_offset, want_cmac_offset);
        test_failures++;
    }
    check_truncations(line, want, n);
}
#define CHECK_KNOWN(h, m, off) check_known_at(__LINE__, (h), (m), (off))

static void test_known_messages(void)
{
    struct tekho_sbc m;

    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_REQ;
    m.has_bw_alloc_support = true;
    m.bw_alloc_support = 2;
    m.has_security_negotiation = true;
    m.sec.has_pkm_version = true;
    m.sec.pkm_version = 2;
    m.sec.has_auth_policy = true;
    m.sec.auth_policy = 2;
    m.sec.has_mac_mode = true;
    m.sec.mac_mode = 0x20;
    m.sec.has_pn_window_size = true;
    m.sec.pn_window_size = 128;
    m.sec.has_max_sas = true;
    m.sec.max_sas = 4;
    m.sec.has_tek_generation = true;
    m.sec.tek_generation = TEKHO_TEKGEN_SUPPORTED;
    CHECK_KNOWN("1a" BW SECNEG_REQ, &m, 0);

    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_RSP;
    m.has_bw_alloc_support = true;
    m.bw_alloc_support = 2;
    m.has_security_negotiation = true;
    m.sec.has_pn_window_size = true;
    m.sec.pn_window_size = 256;
    m.sec.has_tek_generation = true;
    m.sec.tek_generation = TEKHO_TEKGEN_SUPPORTED | TEKHO_TEKGEN_REQUIRED;
    m.has_cmac = true;
    m.cmac.key_seq = 5;
    m.cmac.cmac_pn = 42;
    memcpy(m.cmac.value, cmac_c, 8);
    CHECK_KNOWN("1b" BW SECNEG_RSP TUPLE13, &m, 13);

    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_RSP;
    m.has_cmac = true;
    m.cmac.key_seq = 3;
    m.cmac.has_bsid = true;
    const uint8_t bsid[6] = {0, 0, 0, 0, 0, 5};
    memcpy(m.cmac.bsid, bsid, 6);
    m.cmac.cmac_pn = 7;
    memcpy(m.cmac.value, cmac_c, 8);
    CHECK_KNOWN("1b" TUPLE19, &m, 1);

    /* A bare SBC-REQ: no TLV is mandatory. */
    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_REQ;
    CHECK_KNOWN("1a", &m, 0);

    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_REQ;
    m.has_security_negotiation = true;
    m.sec.has_tek_generation = true;
    m.sec.tek_generation = 0;
    CHECK_KNOWN("1a" "1903" "070100", &m, 0);
}

static void test_decode_lenient(void)
{
    uint8_t buf[256];
    struct tekho_sbc d;

    /* Unknown SBC TLVs (2 transition gaps, 3 max Tx power, 200) and PKM
     * flow control (sub-TLV 5) are skipped; a long-form length is read. */
    size_t n = test_hex("1a" "02021010" "030480808080" "1981" "0a" "050101" "070101" "04020040" "c801ff" BW, buf,
                   sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.mgmt_type == TEKHO_MGMT_SBC_REQ && d.has_bw_alloc_support && d.bw_alloc_support == 2);
    CHECK(d.has_security_negotiation && d.sec.has_tek_generation && d.sec.tek_generation == 1);
    CHECK(d.sec.has_pn_window_size && d.sec.pn_window_size == 0x40);
    CHECK(!d.sec.has_pkm_version && !d.sec.has_auth_policy && !d.sec.has_mac_mode && !d.sec.has_max_sas);
    CHECK(!d.has_cmac);

    /* Reserved TEK generation bits are ignored. */
    n = test_hex("1b" "1903" "0701ff", buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.sec.tek_generation == (TEKHO_TEKGEN_SUPPORTED | TEKHO_TEKGEN_REQUIRED));
    n = test_hex("1a" "1903" "0701fd", buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.sec.tek_generation == TEKHO_TEKGEN_SUPPORTED);

    /* A Security Negotiation TLV holding only sub-TLVs tekho skips reads
     * as absent, so it re-encodes as absent (11.1 has no zero-length TLV);
     * found by fuzz_sbc. */
    n = test_hex("1a" "1903" "050101", buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(!d.has_security_negotiation && !d.sec.has_pn_window_size && !d.sec.has_tek_generation);
    uint8_t out[64];
    size_t len;
    CHECK_ERR(tekho_sbc_encode(&d, out, sizeof out, &len), TEKHO_OK);
    CHECK(len == 1 && out[0] == 0x1a);

    /* The tuple's 4 reserved bits are ignored. */
    n = test_hex("1b" "8d0d" "f5" "0000002a" CMAC_VALUE, buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.has_cmac && d.cmac.key_seq == 5 && d.cmac.cmac_pn == 42 && d.cmac_offset == 1);
}

static void test_decode_errors(void)
{
    EXPECT_DECODE_ERR("", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("09", TEKHO_ERR_WRONG_MESSAGE);
    EXPECT_DECODE_ERR("1c" BW, TEKHO_ERR_WRONG_MESSAGE);
    EXPECT_DECODE_ERR("04" "00" BW, TEKHO_ERR_WRONG_MESSAGE);

    /* TLV framing, top level */
    EXPECT_DECODE_ERR("1a01", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("1a0182", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("1a0180", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("1a0185", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("1a0100", TEKHO_ERR_TLV_ZERO_LENGTH);
    EXPECT_DECODE_ERR("1a010201", TEKHO_ERR_TLV_OVERRUN);
    EXPECT_DECODE_ERR("1b" BW "8d0d05", TEKHO_ERR_TLV_OVERRUN);
    /* ... inside Security Negotiation */
    EXPECT_DECODE_ERR("1a" "1901" "07", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("1a" "1902" "0700", TEKHO_ERR_TLV_ZERO_LENGTH);
    EXPECT_DECODE_ERR("1a" "1903" "070201", TEKHO_ERR_TLV_OVERRUN);
    EXPECT_DECODE_ERR("1a" "1902" "0780", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("1a" "1900", TEKHO_ERR_TLV_ZERO_LENGTH);

    /* Fixed widths */
    EXPECT_DECODE_ERR("1a" "01020002", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1904" "01020002", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1904" "02020002", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1904" "03020020", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1903" "040180", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1905" "0403000080", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1904" "06020004", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1a" "1904" "07020001", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1b" "8d01" "05", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1b" "8d0c" "0000002a" CMAC_VALUE, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1b" "8d0e" "05" "0000002a" CMAC_VALUE "00", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1b" "8d12" "03" "0000000005" "00000007" CMAC_VALUE, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("1b" "8d14" "03" "000000000005" "00000007" CMAC_VALUE "00", TEKHO_ERR_WRONG_WIDTH);

    /* Values: "required" is the BS's to say, so not in SBC-REQ. */
    EXPECT_DECODE_ERR("1a" "1903" "070102", TEKHO_ERR_BAD_VALUE);
    EXPECT_DECODE_ERR("1a" "1903" "070103", TEKHO_ERR_BAD_VALUE);
    EXPECT_DECODE_ERR("1a" "1903" "0701fe", TEKHO_ERR_BAD_VALUE);

    /* Duplicates */
    EXPECT_DECODE_ERR("1a" BW BW, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1903070101" BW "1903070101", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1906" "010102" "010102", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1906" "020102" "020102", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1906" "030120" "030120", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1908" "04020080" "04020080", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1906" "060104" "060104", TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("1a" "1906" "070101" "070100", TEKHO_ERR_DUPLICATE_TLV);

    /* CMAC Tuple last */
    EXPECT_DECODE_ERR("1b" TUPLE13 BW, TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("1b" TUPLE13 "00", TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("1b" TUPLE13 TUPLE13, TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("1a" BW TUPLE19 SECNEG_REQ, TEKHO_ERR_CMAC_NOT_LAST);

    struct tekho_sbc d;
    CHECK_ERR(tekho_sbc_decode(NULL, 1, &d), TEKHO_ERR_INVALID_ARGUMENT);
    const uint8_t b[1] = {26};
    CHECK_ERR(tekho_sbc_decode(b, 1, NULL), TEKHO_ERR_INVALID_ARGUMENT);
}

static void random_sbc(struct rnd *r, struct tekho_sbc *m)
{
    memset(m, 0, sizeof *m);
    m->mgmt_type = (rnd_u32(r) & 1) ? TEKHO_MGMT_SBC_RSP : TEKHO_MGMT_SBC_REQ;
    if ((m->has_bw_alloc_support = rnd_u32(r) & 1))
        m->bw_alloc_support = (uint8_t)rnd_u32(r);
    if ((m->has_security_negotiation = rnd_u32(r) & 1)) {
        struct tekho_security_negotiation *s = &m->sec;
        do {
            if ((s->has_pkm_version = rnd_u32(r) & 1))
                s->pkm_version = (uint8_t)rnd_u32(r);
            if ((s->has_auth_policy = rnd_u32(r) & 1))
                s->auth_policy = (uint8_t)rnd_u32(r);
            if ((s->has_mac_mode = rnd_u32(r) & 1))
                s->mac_mode = (uint8_t)rnd_u32(r);
            if ((s->has_pn_window_size = rnd_u32(r) & 1))
                s->pn_window_size = (uint16_t)rnd_u32(r);
            if ((s->has_max_sas = rnd_u32(r) & 1))
                s->max_sas = (uint8_t)rnd_u32(r);
            if ((s->has_tek_generation = rnd_u32(r) & 1))
                s->tek_generation = (uint8_t)(rnd_u32(r) & (m->mgmt_type == TEKHO_MGMT_SBC_RSP ? 3 : 1));
        } while (!s->has_pkm_version && !s->has_auth_policy && !s->has_mac_mode && !s->has_pn_window_size &&
                 !s->has_max_sas && !s->has_tek_generation);
    }
    if ((m->has_cmac = rnd_u32(r) & 1)) {
        m->cmac.key_seq = (uint8_t)(rnd_u32(r) & 0x0F);
        if ((m->cmac.has_bsid = rnd_u32(r) & 1))
            for (int i = 0; i < 6; i++)
                m->cmac.bsid[i] = (uint8_t)rnd_u32(r);
        m->cmac.cmac_pn = (uint32_t)rnd_u32(r);
        for (int i = 0; i < 8; i++)
            m->cmac.value[i] = (uint8_t)rnd_u32(r);
    }
}

static void test_round_trip(void)
{
    struct rnd r = {0x2545f4914f6cdd1du};
    int done = 0, with_tekgen = 0, with_cmac = 0;
    for (int i = 0; i < 4000; i++) {
        struct tekho_sbc m, d;
        random_sbc(&r, &m);
        uint8_t a[128], b[128];
        size_t alen = 0, blen = 0;
        tekho_err err = tekho_sbc_encode(&m, a, sizeof a, &alen);
        if (err != TEKHO_OK) {
            fprintf(stderr, "FAIL: #%d encode = %s\n", i, tekho_strerror(err));
            test_failures++;
            continue;
        }
        err = decode_exact(a, alen, &d);
        if (err != TEKHO_OK) {
            fprintf(stderr, "FAIL: #%d decode = %s\n", i, tekho_strerror(err));
            test_failures++;
            continue;
        }
        CHECK(sbc_equal(&m, &d));
        if (m.has_cmac) {
            CHECK(d.cmac_offset == alen - 2 - (m.cmac.has_bsid ? 19 : 13));
            CHECK(a[d.cmac_offset] == TEKHO_TLV_CMAC_TUPLE);
            with_cmac++;
        }
        with_tekgen += m.has_security_negotiation && m.sec.has_tek_generation;
        CHECK_ERR(tekho_sbc_encode(&d, b, sizeof b, &blen), TEKHO_OK);
        CHECK(alen == blen);
        CHECK_BYTES(b, a, alen);
        check_truncations(__LINE__, a, alen);
        done++;
    }
    printf("sbc round trip: %d messages (%d with TEK generation, %d with a CMAC tuple)\n", done, with_tekgen,
           with_cmac);
}

static void test_encode_errors(void)
{
    uint8_t buf[128];
    size_t len = 999;
    struct tekho_sbc m;
    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_SBC_RSP;
    m.has_bw_alloc_support = true;
    m.has_security_negotiation = true;
    m.sec.has_pn_window_size = true;
    m.sec.pn_window_size = 64;
    m.sec.has_tek_generation = true;
    m.sec.tek_generation = 3;
    m.has_cmac = true;
    m.cmac.has_bsid = true;
    CHECK_ERR(tekho_sbc_encode(&m, buf, sizeof buf, &len), TEKHO_OK);
    const size_t full = len;
    for (size_t cap = 0; cap < full; cap++) {
        uint8_t *exact = malloc(cap ? cap : 1);
        size_t l = 777;
        CHECK_ERR(tekho_sbc_encode(&m, exact, cap, &l), TEKHO_ERR_BUFFER_TOO_SMALL);
        CHECK(l == 777);
        free(exact);
    }

    struct tekho_sbc b = m;
    b.mgmt_type = TEKHO_MGMT_SBC_REQ;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b.sec.tek_generation = TEKHO_TEKGEN_REQUIRED;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b.sec.tek_generation = 1;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_OK);
    b = m;
    b.sec.tek_generation = 0x04;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b.sec.tek_generation = 0x81;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    b.mgmt_type = TEKHO_MGMT_PKM_RSP;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    b.cmac.key_seq = 16;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    memset(&b.sec, 0, sizeof b.sec);
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_TLV_ZERO_LENGTH);

    len = 999;
    CHECK_ERR(tekho_sbc_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_TLV_ZERO_LENGTH);
    CHECK(len == 999);
    CHECK_ERR(tekho_sbc_encode(NULL, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_sbc_encode(&m, NULL, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_sbc_encode(&m, buf, sizeof buf, NULL), TEKHO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    test_known_messages();
    test_decode_lenient();
    test_decode_errors();
    test_round_trip();
    test_encode_errors();
    printf("sbc: %d crafted decoder errors, %d truncated decodes\n", n_error_cases, n_truncations);
    return test_summary("test_wire_sbc");
}
