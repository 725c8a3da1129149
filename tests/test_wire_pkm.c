/* PKMv2 SA-TEK-Challenge / -Request / -Response (IEEE 802.16e-2005
 * 7.2.2.4, 6.3.2.3.9.19-21) and Key-Request / Key-Reply / Key-Reject /
 * TEK-Invalid codec (IEEE 802.16-2009 6.3.2.3.9, 11.9; src/wire/pkm.c). The expected bytes
 * below are written from the layout, not taken from the encoder. */
#include <stdlib.h>
#include <string.h>

#include "tekho/mgmt.h"
#include "test_util.h"
#include "wire_random.h"

/* ---- attribute building blocks, hex ------------------------------------ */
#define KEY_SEQ "0a0102"                       /* Key-Sequence-Number = 2 */
#define SAID "0c020021"                        /* SAID 0x0021 */
#define NONCE "1d08a0a1a2a3a4a5a6a7"           /* Nonce, 8 bytes */
#define CMAC "280c0000002a" "c0c1c2c3c4c5c6c7" /* CMAC_PN 42 | value */
#define ERR6 "100106"                          /* Error-Code 6 */
#define TEK24 "0818" "000102030405060708090a0b0c0d0e0f1011121314151617"
#define TEK16 "0810" "303132333435363738393a3b3c3d3e3f"
#define LIFE "09040000a8c0"                    /* 43200 s */
/* TEK-Parameters: 2+24 + 2+4 + 2+1 = 35 = 0x23; 2+16 + 6 + 3 = 27 = 0x1b */
#define TEKP_OLD "0d23" TEK24 LIFE "0a0100"
#define TEKP_NEW "0d1b" TEK16 "090400015180" "0a0101"
/* SA-TEK handshake attributes */
#define MS_RAND "2108e0e1e2e3e4e5e6e7"         /* MS_Random, 8 bytes */
#define BS_RAND "2208b0b1b2b3b4b5b6b7"         /* BS_Random, 8 bytes */
#define AKID "2d08d0d1d2d3d4d5d6d7"            /* AKID, 8 bytes */
#define AK_LIFE "090400007080"                 /* Key-Lifetime (AK) 28800 s */

#define PATTERN 0xA5

/* Cases run, for the summary line. */
static int n_error_cases, n_truncations;

static tekho_err decode_any(const uint8_t *in, size_t len, void *out)
{
    return tekho_pkm_decode(in, len, out);
}

static tekho_err decode_exact(const uint8_t *in, size_t len, struct tekho_pkm *out)
{
    return test_decode_exact(decode_any, in, len, out);
}

#define EXPECT_DECODE_ERR(h, want)                                                                                   \
    (n_error_cases++, test_expect_decode_err(__LINE__, decode_any, sizeof(struct tekho_pkm), (h), (want)))

static bool tek_params_equal(const struct tekho_tek_params *a, const struct tekho_tek_params *b)
{
    return a->wrapped_tek_len == b->wrapped_tek_len &&
           memcmp(a->wrapped_tek, b->wrapped_tek, a->wrapped_tek_len) == 0 && a->lifetime_s == b->lifetime_s &&
           a->key_seq == b->key_seq;
}

/* Field-wise equality of what travels on the wire (cmac_offset excluded). */
static bool pkm_equal(const struct tekho_pkm *a, const struct tekho_pkm *b)
{
    if (a->mgmt_type != b->mgmt_type || a->code != b->code || a->identifier != b->identifier ||
        a->has_key_seq != b->has_key_seq || a->has_said != b->has_said || a->has_nonce != b->has_nonce ||
        a->has_error_code != b->has_error_code || a->has_cmac_digest != b->has_cmac_digest ||
        a->has_ms_random != b->has_ms_random || a->has_bs_random != b->has_bs_random ||
        a->has_akid != b->has_akid || a->has_key_lifetime != b->has_key_lifetime ||
        a->n_tek_params != b->n_tek_params || a->eap_payload_len != b->eap_payload_len ||
        memcmp(a->eap_payload, b->eap_payload, a->eap_payload_len) != 0)
        return false;
    if (a->has_ms_random && memcmp(a->ms_random, b->ms_random, TEKHO_PKM_RANDOM_LEN) != 0)
        return false;
    if (a->has_bs_random && memcmp(a->bs_random, b->bs_random, TEKHO_PKM_RANDOM_LEN) != 0)
        return false;
    if (a->has_akid && memcmp(a->akid, b->akid, TEKHO_PKM_AKID_LEN) != 0)
        return false;
    if (a->has_key_lifetime && a->key_lifetime_s != b->key_lifetime_s)
        return false;
    if (a->has_key_seq && a->key_seq != b->key_seq)
        return false;
    if (a->has_said && a->said != b->said)
        return false;
    if (a->has_nonce && memcmp(a->nonce, b->nonce, TEKHO_PKM_NONCE_LEN) != 0)
        return false;
    if (a->has_error_code && a->error_code != b->error_code)
        return false;
    if (a->has_cmac_digest && (a->cmac_digest.cmac_pn != b->cmac_digest.cmac_pn ||
                               memcmp(a->cmac_digest.value, b->cmac_digest.value, TEKHO_CMAC_VALUE_LEN) != 0))
        return false;
    for (size_t i = 0; i < a->n_tek_params && i < 2; i++)
        if (!tek_params_equal(&a->tek_params[i], &b->tek_params[i]))
            return false;
    return true;
}

static const uint8_t nonce_a[8] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
static const uint8_t cmac_c[8] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};

static void fill_common(struct tekho_pkm *m, uint8_t mgmt_type, uint8_t code, uint8_t id)
{
    memset(m, 0, sizeof *m);
    m->mgmt_type = mgmt_type;
    m->code = code;
    m->identifier = id;
    m->has_key_seq = true;
    m->key_seq = 2;
    m->has_said = true;
    m->said = 0x0021;
    m->has_cmac_digest = true;
    m->cmac_digest.cmac_pn = 42;
    memcpy(m->cmac_digest.value, cmac_c, 8);
}

static void set_nonce(struct tekho_pkm *m)
{
    m->has_nonce = true;
    memcpy(m->nonce, nonce_a, 8);
}

static const uint8_t ms_random_e[8] = {0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7};
static const uint8_t bs_random_b[8] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7};
static const uint8_t akid_d[8] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7};

/* An SA-TEK message of the given code with its mandatory attributes (no
 * SAID: only the Response may carry one). */
static void fill_sa_tek(struct tekho_pkm *m, uint8_t code, uint8_t id)
{
    fill_common(m, code == TEKHO_PKM_SA_TEK_REQUEST ? TEKHO_MGMT_PKM_REQ : TEKHO_MGMT_PKM_RSP, code, id);
    m->has_said = false;
    m->said = 0;
    m->has_bs_random = true;
    memcpy(m->bs_random, bs_random_b, 8);
    m->has_akid = true;
    memcpy(m->akid, akid_d, 8);
    if (code == TEKHO_PKM_SA_TEK_CHALLENGE) {
        m->has_key_lifetime = true;
        m->key_lifetime_s = 28800;
    } else {
        m->has_ms_random = true;
        memcpy(m->ms_random, ms_random_e, 8);
    }
}

static void fill_tek_pair(struct tekho_pkm *m)
{
    m->n_tek_params = 2;
    for (size_t i = 0; i < 24; i++)
        m->tek_params[0].wrapped_tek[i] = (uint8_t)i;
    m->tek_params[0].wrapped_tek_len = 24;
    m->tek_params[0].lifetime_s = 43200;
    m->tek_params[0].key_seq = 0;
    for (size_t i = 0; i < 16; i++)
        m->tek_params[1].wrapped_tek[i] = (uint8_t)(0x30 + i);
    m->tek_params[1].wrapped_tek_len = 16;
    m->tek_params[1].lifetime_s = 86400;
    m->tek_params[1].key_seq = 1;
}

/* Checks one hand-written message both ways: decode gives m, encode of m
 * gives the bytes, and the CMAC offset points at attribute 40. */
static void check_known_at(int line, const char *h, const struct tekho_pkm *m)
{
    uint8_t want[256], got[256];
    size_t n = test_hex(h, want, sizeof want);
    size_t len = 0;
    tekho_err err = tekho_pkm_encode(m, got, sizeof got, &len);
    if (err != TEKHO_OK || len != n) {
        fprintf(stderr, "FAIL line %d: encode = %d (%s), len %zu want %zu\n", line, err, tekho_strerror(err), len,
                n);
        test_failures++;
    } else {
        CHECK_BYTES(got, want, n);
    }
    struct tekho_pkm d;
    err = decode_exact(want, n, &d);
    if (err != TEKHO_OK) {
        fprintf(stderr, "FAIL line %d: decode = %d (%s)\n", line, err, tekho_strerror(err));
        test_failures++;
        return;
    }
    if (!pkm_equal(&d, m)) {
        fprintf(stderr, "FAIL line %d: decoded fields differ\n", line);
        test_failures++;
    }
    /* The digest attribute is 2 + 12 bytes at the very end. */
    CHECK(d.cmac_offset == n - 14);
    CHECK(want[d.cmac_offset] == TEKHO_PKM_ATTR_CMAC_DIGEST);
    /* Every proper prefix is refused: the digest is mandatory and last. */
    for (size_t cut = 0; cut < n; cut++) {
        struct tekho_pkm o, before;
        memset(&o, PATTERN, sizeof o);
        before = o;
        n_truncations++;
        if (decode_exact(want, cut, &o) == TEKHO_OK) {
            fprintf(stderr, "FAIL line %d: prefix of %zu bytes decoded\n", line, cut);
            test_failures++;
        }
        if (memcmp(&o, &before, sizeof o) != 0) {
            fprintf(stderr, "FAIL line %d: prefix of %zu bytes wrote *out\n", line, cut);
            test_failures++;
        }
    }
}
#define CHECK_KNOWN(h, m) check_known_at(__LINE__, (h), (m))

static void test_known_messages(void)
{
    struct tekho_pkm m;

    fill_common(&m, TEKHO_MGMT_PKM_REQ, TEKHO_PKM_KEY_REQUEST, 5);
    set_nonce(&m);
    CHECK_KNOWN("09" "17" "05" KEY_SEQ SAID NONCE CMAC, &m);

    fill_common(&m, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_KEY_REPLY, 5);
    set_nonce(&m);
    fill_tek_pair(&m);
    CHECK_KNOWN("0a" "18" "05" KEY_SEQ SAID TEKP_OLD TEKP_NEW NONCE CMAC, &m);

    fill_common(&m, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_KEY_REJECT, 7);
    set_nonce(&m);
    m.has_error_code = true;
    m.error_code = 6;
    CHECK_KNOWN("0a" "19" "07" KEY_SEQ SAID ERR6 NONCE CMAC, &m);

    fill_common(&m, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_TEK_INVALID, 8);
    m.has_error_code = true;
    m.error_code = 6;
    CHECK_KNOWN("0a" "1b" "08" KEY_SEQ SAID ERR6 CMAC, &m);

    /* Optional attributes the encoder places in its fixed order: an
     * Error-Code in a Key-Request and a Nonce in TEK-Invalid. */
    fill_common(&m, TEKHO_MGMT_PKM_REQ, TEKHO_PKM_KEY_REQUEST, 0xff);
    set_nonce(&m);
    m.has_error_code = true;
    m.error_code = 6;
    CHECK_KNOWN("09" "17" "ff" KEY_SEQ SAID ERR6 NONCE CMAC, &m);

    fill_common(&m, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_TEK_INVALID, 0);
    set_nonce(&m);
    m.has_error_code = true;
    m.error_code = 6;
    CHECK_KNOWN("0a" "1b" "00" KEY_SEQ SAID ERR6 NONCE CMAC, &m);

    /* The SA-TEK 3-way handshake (7.2.2.4). */
    fill_sa_tek(&m, TEKHO_PKM_SA_TEK_CHALLENGE, 9);
    CHECK_KNOWN("0a" "14" "09" KEY_SEQ BS_RAND AKID AK_LIFE CMAC, &m);

    fill_sa_tek(&m, TEKHO_PKM_SA_TEK_REQUEST, 10);
    CHECK_KNOWN("09" "15" "0a" KEY_SEQ MS_RAND BS_RAND AKID CMAC, &m);

    fill_sa_tek(&m, TEKHO_PKM_SA_TEK_RESPONSE, 10);
    CHECK_KNOWN("0a" "16" "0a" KEY_SEQ MS_RAND BS_RAND AKID CMAC, &m);
    m.has_said = true;
    m.said = 0x0021;
    CHECK_KNOWN("0a" "16" "0a" KEY_SEQ SAID MS_RAND BS_RAND AKID CMAC, &m);
}

/* What a receiver must accept that our encoder never produces. */
static void test_decode_lenient(void)
{
    uint8_t buf[256];
    struct tekho_pkm d;

    /* Attributes in another order, unknown attributes (Display-String 6,
     * type 200) skipped, a long-form length (0x81 0x08) for the nonce, and
     * a CBC-IV (15) inside TEK-Parameters skipped. */
    size_t n = test_hex("0a" "18" "01" "c803ffffff" TEKP_OLD SAID "0603414243"
                   "0d25" "0f08" "0000000000000000" TEK16 "090400015180" "0a0101"
                   "1d8108a0a1a2a3a4a5a6a7" KEY_SEQ CMAC,
                   buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.mgmt_type == TEKHO_MGMT_PKM_RSP && d.code == TEKHO_PKM_KEY_REPLY && d.identifier == 1);
    CHECK(d.has_key_seq && d.key_seq == 2 && d.has_said && d.said == 0x21);
    CHECK(d.n_tek_params == 2 && d.tek_params[0].wrapped_tek_len == 24 && d.tek_params[0].key_seq == 0 &&
          d.tek_params[1].wrapped_tek_len == 16 && d.tek_params[1].lifetime_s == 86400 &&
          d.tek_params[1].key_seq == 1);
    CHECK(d.has_nonce && memcmp(d.nonce, nonce_a, 8) == 0);
    CHECK(!d.has_error_code);
    CHECK(d.has_cmac_digest && d.cmac_digest.cmac_pn == 42 && memcmp(d.cmac_digest.value, cmac_c, 8) == 0);
    CHECK(d.cmac_offset == n - 14);

    /* An SA-TEK-Challenge in the order of 6.3.2.3.9.19 (BS_Random first),
     * with an unknown attribute skipped. */
    n = test_hex("0a" "14" "02" BS_RAND KEY_SEQ AKID "c803ffffff" AK_LIFE CMAC, buf, sizeof buf);
    CHECK_ERR(decode_exact(buf, n, &d), TEKHO_OK);
    CHECK(d.mgmt_type == TEKHO_MGMT_PKM_RSP && d.code == TEKHO_PKM_SA_TEK_CHALLENGE && d.identifier == 2);
    CHECK(d.has_key_seq && d.key_seq == 2 && !d.has_said && !d.has_ms_random && !d.has_nonce);
    CHECK(d.has_bs_random && memcmp(d.bs_random, bs_random_b, 8) == 0);
    CHECK(d.has_akid && memcmp(d.akid, akid_d, 8) == 0);
    CHECK(d.has_key_lifetime && d.key_lifetime_s == 28800);
    CHECK(d.cmac_offset == n - 14);

    /* TEK sub-attributes in any order. */
    struct tekho_tek_params p;
    n = test_hex("0a0103" "09040000000a" TEK16, buf, sizeof buf);
    CHECK_ERR(tekho_tek_params_parse(buf, n, &p), TEKHO_OK);
    CHECK(p.key_seq == 3 && p.lifetime_s == 10 && p.wrapped_tek_len == 16 && p.wrapped_tek[0] == 0x30);
}

static void test_decode_errors(void)
{
    /* Header */
    EXPECT_DECODE_ERR("", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("09", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("0917", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("1a1700", TEKHO_ERR_WRONG_MESSAGE);   /* SBC-REQ */
    EXPECT_DECODE_ERR("05", TEKHO_ERR_WRONG_MESSAGE);
    EXPECT_DECODE_ERR("091300" KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_UNKNOWN_MESSAGE); /* 19 Auth EAP-Transfer */
    EXPECT_DECODE_ERR("091c00", TEKHO_ERR_UNKNOWN_MESSAGE);                          /* 28 Group-Key-Update */
    EXPECT_DECODE_ERR("091400" KEY_SEQ BS_RAND AKID AK_LIFE CMAC, TEKHO_ERR_BAD_VALUE); /* challenge in REQ */
    EXPECT_DECODE_ERR("0a1500" KEY_SEQ MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_BAD_VALUE); /* request in RSP */
    EXPECT_DECODE_ERR("091600" KEY_SEQ MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_BAD_VALUE); /* response in REQ */
    EXPECT_DECODE_ERR("0a1a00", TEKHO_ERR_UNKNOWN_MESSAGE);                          /* 26 SA-Addition */
    EXPECT_DECODE_ERR("0a1700" KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_BAD_VALUE);        /* request in RSP */
    EXPECT_DECODE_ERR("091800" KEY_SEQ SAID TEKP_OLD TEKP_NEW NONCE CMAC, TEKHO_ERR_BAD_VALUE);
    EXPECT_DECODE_ERR("091900" KEY_SEQ SAID ERR6 NONCE CMAC, TEKHO_ERR_BAD_VALUE);
    EXPECT_DECODE_ERR("091b00" KEY_SEQ SAID ERR6 CMAC, TEKHO_ERR_BAD_VALUE);

    /* TLV framing (tekho_tlv_next) */
    EXPECT_DECODE_ERR("091700" "0a", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("091700" "0a82" "00", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("091700" "0a80", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("091700" "0a85" "0000000001", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("091700" "0a00", TEKHO_ERR_TLV_ZERO_LENGTH);
    EXPECT_DECODE_ERR("091700" "0a8100", TEKHO_ERR_TLV_ZERO_LENGTH);
    EXPECT_DECODE_ERR("091700" "0a0201", TEKHO_ERR_TLV_OVERRUN);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE "280d0000002ac0c1c2c3c4c5c6c7", TEKHO_ERR_TLV_OVERRUN);
    /* ... and inside TEK-Parameters */
    EXPECT_DECODE_ERR("0a1800" "0d01" "08", TEKHO_ERR_TRUNCATED);
    EXPECT_DECODE_ERR("0a1800" "0d02" "0800", TEKHO_ERR_TLV_ZERO_LENGTH);
    EXPECT_DECODE_ERR("0a1800" "0d03" "080201", TEKHO_ERR_TLV_OVERRUN);
    EXPECT_DECODE_ERR("0a1800" "0d02" "0880", TEKHO_ERR_TLV_BAD_LENGTH);
    EXPECT_DECODE_ERR("0a1800" "0d00", TEKHO_ERR_TLV_ZERO_LENGTH);

    /* Fixed widths */
    EXPECT_DECODE_ERR("091700" "0a020002" SAID NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ "0c0121" NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ "0c03000021" NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID "1d07a0a1a2a3a4a5a6" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID "1d09a0a1a2a3a4a5a6a7a8" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1900" KEY_SEQ SAID "10020006" NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE "280b0000002ac0c1c2c3c4c5c6", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE "280d0000002ac0c1c2c3c4c5c6c7c8", TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1c" "0811" "303132333435363738393a3b3c3d3e3f40" LIFE "0a0100"
                      TEKP_NEW NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d13" "0808" "3031323334353637" LIFE "0a0100"
                      TEKP_NEW NONCE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1a" TEK16 "0903" "00a8c0" "0a0100" TEKP_NEW NONCE CMAC,
                      TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1c" TEK16 LIFE "0a020000" TEKP_NEW NONCE CMAC,
                      TEKHO_ERR_WRONG_WIDTH);
    /* ... of the SA-TEK attributes */
    EXPECT_DECODE_ERR("091500" KEY_SEQ "2107e0e1e2e3e4e5e6" BS_RAND AKID CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091500" KEY_SEQ "2109e0e1e2e3e4e5e6e7e8" BS_RAND AKID CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND "2207b0b1b2b3b4b5b6" AKID CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ "2207b0b1b2b3b4b5b6" AKID AK_LIFE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND "2d09d0d1d2d3d4d5d6d7d8" AK_LIFE CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ MS_RAND BS_RAND "2d09d0d1d2d3d4d5d6d7d8" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ MS_RAND BS_RAND "2d07d0d1d2d3d4d5d6" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID "0903007080" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID "09050000007080" CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1600" "0a020002" MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_WRONG_WIDTH);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ "0c0121" MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_WRONG_WIDTH);

    /* Values */
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1b" TEK16 LIFE "0a0104" TEKP_NEW NONCE CMAC, TEKHO_ERR_BAD_VALUE);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1b" TEK16 LIFE "0a01ff" TEKP_NEW NONCE CMAC, TEKHO_ERR_BAD_VALUE);

    /* Duplicates and counts */
    EXPECT_DECODE_ERR("091700" KEY_SEQ KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID SAID NONCE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE NONCE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1900" KEY_SEQ SAID ERR6 ERR6 NONCE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d2d" TEK16 TEK16 LIFE "0a0100" TEKP_NEW NONCE CMAC,
                      TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d21" TEK16 LIFE LIFE "0a0100" TEKP_NEW NONCE CMAC,
                      TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d1e" TEK16 LIFE "0a0100" "0a0100" TEKP_NEW NONCE CMAC,
                      TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND BS_RAND AKID BS_RAND CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ MS_RAND BS_RAND AKID AKID CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ SAID MS_RAND BS_RAND SAID AKID CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID AK_LIFE AK_LIFE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND KEY_SEQ AKID AK_LIFE CMAC, TEKHO_ERR_DUPLICATE_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID TEKP_OLD TEKP_NEW TEKP_NEW NONCE CMAC, TEKHO_ERR_TOO_MANY);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID TEKP_OLD TEKP_NEW TEKP_OLD NONCE CMAC, TEKHO_ERR_TOO_MANY);

    /* Mandatory attributes, per code */
    EXPECT_DECODE_ERR("091700", TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091700" SAID NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091700" KEY_SEQ NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID TEKP_OLD NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID TEKP_OLD TEKP_NEW CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1900" KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1900" KEY_SEQ SAID ERR6 CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1b00" KEY_SEQ SAID NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1b00" KEY_SEQ ERR6 CMAC, TEKHO_ERR_MISSING_TLV);
    /* SA-TEK-Challenge: Key-Sequence-Number, BS_Random, AKID, Key-Lifetime, CMAC */
    EXPECT_DECODE_ERR("0a1400", TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1400" BS_RAND AKID AK_LIFE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ AKID AK_LIFE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AK_LIFE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID AK_LIFE, TEKHO_ERR_MISSING_TLV);
    /* ... a TEK-Parameters' lifetime is not the AK lifetime */
    EXPECT_DECODE_ERR("0a1400" KEY_SEQ BS_RAND AKID TEKP_NEW CMAC, TEKHO_ERR_MISSING_TLV);
    /* SA-TEK-Request: MS_Random, BS_Random, Key-Sequence-Number, AKID, CMAC */
    EXPECT_DECODE_ERR("091500", TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ BS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091500" MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND BS_RAND CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("091500" KEY_SEQ MS_RAND BS_RAND AKID, TEKHO_ERR_MISSING_TLV);
    /* SA-TEK-Response: the same; SAID optional */
    EXPECT_DECODE_ERR("0a1600", TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ SAID BS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ SAID MS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1600" SAID MS_RAND BS_RAND AKID CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ SAID MS_RAND BS_RAND CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1600" KEY_SEQ SAID MS_RAND BS_RAND AKID, TEKHO_ERR_MISSING_TLV);
    /* ... inside TEK-Parameters */
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d09" LIFE "0a0100" TEKP_NEW NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d15" TEK16 "0a0100" TEKP_NEW NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d18" TEK16 LIFE TEKP_NEW NONCE CMAC, TEKHO_ERR_MISSING_TLV);
    EXPECT_DECODE_ERR("0a1800" KEY_SEQ SAID "0d03" "0f0100" TEKP_NEW NONCE CMAC, TEKHO_ERR_MISSING_TLV);

    /* CMAC-Digest last */
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID CMAC NONCE, TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE CMAC "c803ffffff", TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE CMAC CMAC, TEKHO_ERR_CMAC_NOT_LAST);
    EXPECT_DECODE_ERR("091700" KEY_SEQ SAID NONCE CMAC "00", TEKHO_ERR_CMAC_NOT_LAST);

    /* Arguments */
    struct tekho_pkm d;
    CHECK_ERR(tekho_pkm_decode(NULL, 3, &d), TEKHO_ERR_INVALID_ARGUMENT);
    const uint8_t b[3] = {9, 23, 0};
    CHECK_ERR(tekho_pkm_decode(b, 3, NULL), TEKHO_ERR_INVALID_ARGUMENT);
}

static void test_tek_params_helpers(void)
{
    uint8_t buf[64];
    struct tekho_wbuf w;
    struct tekho_tek_params p;
    memset(&p, 0, sizeof p);
    for (size_t i = 0; i < 16; i++)
        p.wrapped_tek[i] = (uint8_t)(0x30 + i);
    p.wrapped_tek_len = 16;
    p.lifetime_s = 86400;
    p.key_seq = 1;

    /* Another compound type, as RNG-RSP SA-TEK-Update uses (sub-TLV 5). */
    uint8_t want[64];
    size_t n = test_hex("051b" TEK16 "090400015180" "0a0101", want, sizeof want);
    tekho_wbuf_init(&w, buf, sizeof buf);
    tekho_tek_params_put(&w, 5, &p);
    CHECK_ERR(w.err, TEKHO_OK);
    CHECK(w.len == n);
    CHECK_BYTES(buf, want, n);

    struct tekho_tek_params q, before;
    memset(&q, PATTERN, sizeof q);
    CHECK_ERR(tekho_tek_params_parse(buf + 2, w.len - 2, &q), TEKHO_OK);
    CHECK(tek_params_equal(&p, &q));

    /* Bad values set the buffer's error and write nothing more. */
    struct tekho_tek_params bad = p;
    bad.key_seq = 4;
    tekho_wbuf_init(&w, buf, sizeof buf);
    tekho_tek_params_put(&w, 13, &bad);
    CHECK_ERR(w.err, TEKHO_ERR_BAD_VALUE);
    CHECK(w.len == 0);
    bad = p;
    bad.wrapped_tek_len = 20;
    tekho_wbuf_init(&w, buf, sizeof buf);
    tekho_tek_params_put(&w, 13, &bad);
    CHECK_ERR(w.err, TEKHO_ERR_BAD_VALUE);
    bad.wrapped_tek_len = 0;
    tekho_wbuf_init(&w, buf, sizeof buf);
    tekho_tek_params_put(&w, 13, &bad);
    CHECK_ERR(w.err, TEKHO_ERR_BAD_VALUE);
    tekho_wbuf_init(&w, buf, sizeof buf);
    tekho_tek_params_put(&w, 13, NULL);
    CHECK_ERR(w.err, TEKHO_ERR_INVALID_ARGUMENT);
    /* An earlier error is kept. */
    tekho_wbuf_init(&w, buf, 3);
    tekho_tek_params_put(&w, 13, &p);
    CHECK_ERR(w.err, TEKHO_ERR_BUFFER_TOO_SMALL);
    tekho_tek_params_put(&w, 13, &bad);
    CHECK_ERR(w.err, TEKHO_ERR_BUFFER_TOO_SMALL);

    /* parse leaves *out alone on error */
    memset(&q, PATTERN, sizeof q);
    before = q;
    CHECK_ERR(tekho_tek_params_parse(want + 2, n - 5, &q), TEKHO_ERR_MISSING_TLV);
    CHECK(memcmp(&q, &before, sizeof q) == 0);
    CHECK_ERR(tekho_tek_params_parse(want + 2, n - 3, &q), TEKHO_ERR_TLV_OVERRUN);
    CHECK(memcmp(&q, &before, sizeof q) == 0);
    CHECK_ERR(tekho_tek_params_parse(NULL, 0, &q), TEKHO_ERR_MISSING_TLV);
    CHECK_ERR(tekho_tek_params_parse(NULL, 1, &q), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_tek_params_parse(want, 1, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&q, &before, sizeof q) == 0);
}

static void test_encode_errors(void)
{
    uint8_t buf[256];
    size_t len = 12345;
    struct tekho_pkm m;

    fill_common(&m, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_KEY_REPLY, 1);
    set_nonce(&m);
    fill_tek_pair(&m);
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &len), TEKHO_OK);
    const size_t full = len;

    /* Every short buffer is refused, and nothing is written past it. */
    for (size_t cap = 0; cap < full; cap++) {
        uint8_t *exact = malloc(cap ? cap : 1);
        size_t l = 777;
        CHECK_ERR(tekho_pkm_encode(&m, exact, cap, &l), TEKHO_ERR_BUFFER_TOO_SMALL);
        CHECK(l == 777);
        free(exact);
    }

    struct tekho_pkm b = m;
    b.tek_params[1].key_seq = 4;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    b.tek_params[0].wrapped_tek_len = 20;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    b.n_tek_params = 1;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    b.n_tek_params = 3;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_TOO_MANY);
    b = m;
    b.has_nonce = false;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    b = m;
    b.has_cmac_digest = false;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    b = m;
    b.has_said = false;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    b = m;
    b.has_key_seq = false;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    b = m;
    b.mgmt_type = TEKHO_MGMT_PKM_REQ;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b.mgmt_type = TEKHO_MGMT_SBC_REQ;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
    b = m;
    b.code = 26;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_UNKNOWN_MESSAGE);
    b.code = 19;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_UNKNOWN_MESSAGE);

    /* SA-TEK handshake: each mandatory attribute, and code/type consistency. */
    static const uint8_t sa_tek_codes[] = {TEKHO_PKM_SA_TEK_CHALLENGE, TEKHO_PKM_SA_TEK_REQUEST,
                                           TEKHO_PKM_SA_TEK_RESPONSE};
    for (size_t c = 0; c < sizeof sa_tek_codes; c++) {
        const uint8_t code = sa_tek_codes[c];
        struct tekho_pkm ok;
        fill_sa_tek(&ok, code, 1);
        size_t l = 0;
        CHECK_ERR(tekho_pkm_encode(&ok, buf, sizeof buf, &l), TEKHO_OK);
        b = ok;
        b.has_key_seq = false;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
        b = ok;
        b.has_bs_random = false;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
        b = ok;
        b.has_akid = false;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
        b = ok;
        b.has_cmac_digest = false;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
        b = ok;
        if (code == TEKHO_PKM_SA_TEK_CHALLENGE)
            b.has_key_lifetime = false;
        else
            b.has_ms_random = false;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
        b = ok;
        b.mgmt_type = ok.mgmt_type == TEKHO_MGMT_PKM_REQ ? TEKHO_MGMT_PKM_RSP : TEKHO_MGMT_PKM_REQ;
        CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);
        /* Every short buffer is refused. */
        for (size_t cap = 0; cap < l; cap++) {
            uint8_t *exact = malloc(cap ? cap : 1);
            size_t l2 = 777;
            CHECK_ERR(tekho_pkm_encode(&ok, exact, cap, &l2), TEKHO_ERR_BUFFER_TOO_SMALL);
            CHECK(l2 == 777);
            free(exact);
        }
    }
    /* A Key-Request still needs its SAID. */
    fill_common(&b, TEKHO_MGMT_PKM_REQ, TEKHO_PKM_KEY_REQUEST, 1);
    set_nonce(&b);
    b.has_said = false;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);

    fill_common(&b, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_KEY_REJECT, 1);
    set_nonce(&b);
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    fill_common(&b, TEKHO_MGMT_PKM_RSP, TEKHO_PKM_TEK_INVALID, 1);
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    fill_common(&b, TEKHO_MGMT_PKM_REQ, TEKHO_PKM_KEY_REQUEST, 1);
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_MISSING_TLV);
    set_nonce(&b);
    b.n_tek_params = 3;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_TOO_MANY);
    b.mgmt_type = TEKHO_MGMT_PKM_RSP;
    b.n_tek_params = 0;
    CHECK_ERR(tekho_pkm_encode(&b, buf, sizeof buf, &len), TEKHO_ERR_BAD_VALUE);

    CHECK(len == full); /* untouched by every failure above */
    CHECK_ERR(tekho_pkm_encode(NULL, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pkm_encode(&m, NULL, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, NULL), TEKHO_ERR_INVALID_ARGUMENT);
}

static void random_tek_params(struct rnd *r, struct tekho_tek_params *p)
{
    memset(p, 0, sizeof *p);
    p->wrapped_tek_len = (rnd_u32(r) & 1) ? 24 : 16;
    rnd_bytes(r, p->wrapped_tek, p->wrapped_tek_len);
    p->lifetime_s = (uint32_t)rnd_u32(r);
    p->key_seq = (uint8_t)(rnd_u32(r) & 3);
}

/* A valid message of the given code with random values and a random
 * choice of the attributes that code does not require. */
static void random_sa_tek(struct rnd *r, uint8_t code, struct tekho_pkm *m)
{
    m->has_key_seq = true;
    m->key_seq = (uint8_t)rnd_u32(r);
    m->has_said = code == TEKHO_PKM_SA_TEK_RESPONSE && (rnd_u32(r) & 1);
    if (m->has_said)
        m->said = (uint16_t)rnd_u32(r);
    m->has_ms_random = code != TEKHO_PKM_SA_TEK_CHALLENGE;
    if (m->has_ms_random)
        rnd_bytes(r, m->ms_random, 8);
    m->has_bs_random = true;
    rnd_bytes(r, m->bs_random, 8);
    m->has_akid = true;
    rnd_bytes(r, m->akid, 8);
    m->has_key_lifetime = code == TEKHO_PKM_SA_TEK_CHALLENGE;
    if (m->has_key_lifetime)
        m->key_lifetime_s = (uint32_t)rnd_u32(r);
    m->has_cmac_digest = true;
    m->cmac_digest.cmac_pn = (uint32_t)rnd_u32(r);
    rnd_bytes(r, m->cmac_digest.value, 8);
}

/* An EAP packet (RFC 3748) of a random code, length and content. */
static void random_eap(struct rnd *r, struct tekho_pkm *m)
{
    const uint8_t code = (uint8_t)(1 + rnd_u32(r) % 4);
    const size_t len = code > 2 ? TEKHO_EAP_HEADER_LEN : TEKHO_EAP_HEADER_LEN + 1 + rnd_u32(r) % (TEKHO_PKM_EAP_MAX - 4);
    rnd_bytes(r, m->eap_payload, len);
    m->eap_payload[0] = code;
    m->eap_payload[2] = (uint8_t)(len >> 8);
    m->eap_payload[3] = (uint8_t)len;
    m->eap_payload_len = len;
}

static void random_pkm(struct rnd *r, uint8_t code, struct tekho_pkm *m)
{
    memset(m, 0, sizeof *m);
    m->code = code;
    m->mgmt_type = code == TEKHO_PKM_KEY_REQUEST || code == TEKHO_PKM_SA_TEK_REQUEST ? TEKHO_MGMT_PKM_REQ
                                                                                     : TEKHO_MGMT_PKM_RSP;
    m->identifier = (uint8_t)rnd_u32(r);
    if (code == TEKHO_PKM_EAP_TRANSFER) {
        /* Either way, and the EAP packet the only attribute of its own. */
        m->mgmt_type = (rnd_u32(r) & 1) ? TEKHO_MGMT_PKM_REQ : TEKHO_MGMT_PKM_RSP;
        m->has_key_seq = true;
        m->key_seq = (uint8_t)rnd_u32(r);
        random_eap(r, m);
        m->has_cmac_digest = true;
        m->cmac_digest.cmac_pn = (uint32_t)rnd_u32(r);
        rnd_bytes(r, m->cmac_digest.value, 8);
        return;
    }
    if (code == TEKHO_PKM_SA_TEK_CHALLENGE || code == TEKHO_PKM_SA_TEK_REQUEST ||
        code == TEKHO_PKM_SA_TEK_RESPONSE) {
        random_sa_tek(r, code, m);
        return;
    }
    m->has_key_seq = true;
    m->key_seq = (uint8_t)rnd_u32(r);
    m->has_said = true;
    m->said = (uint16_t)rnd_u32(r);
    m->has_cmac_digest = true;
    m->cmac_digest.cmac_pn = (uint32_t)rnd_u32(r);
    rnd_bytes(r, m->cmac_digest.value, 8);
    m->has_nonce = code != TEKHO_PKM_TEK_INVALID || (rnd_u32(r) & 1);
    if (m->has_nonce)
        rnd_bytes(r, m->nonce, 8);
    m->has_error_code = code == TEKHO_PKM_KEY_REJECT || code == TEKHO_PKM_TEK_INVALID || (rnd_u32(r) & 1);
    if (m->has_error_code)
        m->error_code = (uint8_t)rnd_u32(r);
    m->n_tek_params = code == TEKHO_PKM_KEY_REPLY ? 2 : (size_t)(rnd_u32(r) % 3);
    for (size_t i = 0; i < m->n_tek_params; i++)
        random_tek_params(r, &m->tek_params[i]);
}

static void test_round_trip(void)
{
    static const uint8_t codes[] = {TEKHO_PKM_KEY_REQUEST,      TEKHO_PKM_KEY_REPLY,
                                    TEKHO_PKM_KEY_REJECT,       TEKHO_PKM_TEK_INVALID,
                                    TEKHO_PKM_SA_TEK_CHALLENGE, TEKHO_PKM_SA_TEK_REQUEST,
                                    TEKHO_PKM_SA_TEK_RESPONSE,  TEKHO_PKM_EAP_TRANSFER};
    struct rnd r = {0x9e3779b97f4a7c15u};
    int done = 0;
    for (size_t c = 0; c < sizeof codes; c++) {
        for (int i = 0; i < 2000; i++) {
            struct tekho_pkm m, d, before;
            random_pkm(&r, codes[c], &m);
            uint8_t a[256], b[256];
            size_t alen = 0, blen = 0;
            tekho_err err = tekho_pkm_encode(&m, a, sizeof a, &alen);
            if (err != TEKHO_OK) {
                fprintf(stderr, "FAIL: code %u #%d encode = %s\n", codes[c], i, tekho_strerror(err));
                test_failures++;
                continue;
            }
            err = decode_exact(a, alen, &d);
            if (err != TEKHO_OK) {
                fprintf(stderr, "FAIL: code %u #%d decode = %s\n", codes[c], i, tekho_strerror(err));
                test_failures++;
                continue;
            }
            CHECK(pkm_equal(&m, &d));
            CHECK(d.cmac_offset == alen - 14 && a[d.cmac_offset] == TEKHO_PKM_ATTR_CMAC_DIGEST);
            CHECK_ERR(tekho_pkm_encode(&d, b, sizeof b, &blen), TEKHO_OK);
            CHECK(alen == blen);
            CHECK_BYTES(b, a, alen);
            /* Every truncation fails, reads only what it was given, and
             * leaves *out alone. */
            for (size_t cut = 0; cut < alen; cut++) {
                memset(&d, PATTERN, sizeof d);
                before = d;
                n_truncations++;
                if (decode_exact(a, cut, &d) == TEKHO_OK) {
                    fprintf(stderr, "FAIL: code %u #%d prefix %zu decoded\n", codes[c], i, cut);
                    test_failures++;
                }
                CHECK(memcmp(&d, &before, sizeof d) == 0);
            }
            done++;
        }
    }
    printf("pkm round trip: %d messages\n", done);
}

/* EAP-Transfer: its EAP packet is framed as RFC 3748 frames it, and
 * required. */
static void test_eap_transfer(void)
{
    struct tekho_pkm m;
    memset(&m, 0, sizeof m);
    m.mgmt_type = TEKHO_MGMT_PKM_REQ;
    m.code = TEKHO_PKM_EAP_TRANSFER;
    m.has_key_seq = m.has_cmac_digest = true;
    uint8_t buf[256];
    size_t n = 0;
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_ERR_MISSING_TLV); /* no EAP packet */
    static const uint8_t identity[] = {2, 7, 0, 10, 1, 't', 'e', 'k', 'h', 'o'};
    memcpy(m.eap_payload, identity, sizeof identity);
    m.eap_payload_len = sizeof identity;
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_OK);
    struct tekho_pkm d;
    CHECK_ERR(tekho_pkm_decode(buf, n, &d), TEKHO_OK);
    CHECK(d.mgmt_type == TEKHO_MGMT_PKM_REQ && d.eap_payload_len == sizeof identity &&
          memcmp(d.eap_payload, identity, sizeof identity) == 0);
    m.mgmt_type = TEKHO_MGMT_PKM_RSP; /* from the BS */
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_OK);
    m.eap_payload[3] = 9; /* its Length field says one byte less */
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_ERR_BAD_VALUE);
    m.eap_payload[3] = 10;
    m.eap_payload[0] = 5; /* no such EAP code */
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_ERR_BAD_VALUE);
    /* The same on decode: a packet whose Length is not its own. */
    m.eap_payload[0] = 2;
    CHECK_ERR(tekho_pkm_encode(&m, buf, sizeof buf, &n), TEKHO_OK);
    for (size_t i = 0; i + 3 < n; i++)
        if (buf[i] == TEKHO_PKM_ATTR_EAP_PAYLOAD && buf[i + 1] == sizeof identity && buf[i + 2] == 2)
            buf[i + 5] = 11;
    CHECK_ERR(tekho_pkm_decode(buf, n, &d), TEKHO_ERR_BAD_VALUE);
}

static void test_code_names(void)
{
    CHECK(strcmp(tekho_pkm_code_name(23), "PKMv2 Key-Request") == 0);
    CHECK(strcmp(tekho_pkm_code_name(24), "PKMv2 Key-Reply") == 0);
    CHECK(strcmp(tekho_pkm_code_name(25), "PKMv2 Key-Reject") == 0);
    CHECK(strcmp(tekho_pkm_code_name(27), "PKMv2 TEK-Invalid") == 0);
    /* Wireshark 4.0 wmx.pkm.msg_code spells these with spaces. */
    CHECK(strcmp(tekho_pkm_code_name(20), "PKMv2 SA TEK Challenge") == 0);
    CHECK(strcmp(tekho_pkm_code_name(21), "PKMv2 SA TEK Request") == 0);
    CHECK(strcmp(tekho_pkm_code_name(22), "PKMv2 SA TEK Response") == 0);
    CHECK(strcmp(tekho_pkm_code_name(18), "PKMv2 EAP-Transfer") == 0);
    CHECK(tekho_pkm_code_name(19) == NULL);
    CHECK(tekho_pkm_code_name(26) == NULL);
    CHECK(tekho_pkm_code_name(0) == NULL);
    CHECK(tekho_pkm_code_name(7) == NULL);
}

/* tekho_tlv_walk_init with a header longer than the message: TRUNCATED,
 * and nothing read past the message (the bytes after it hold a valid TLV
 * that a walk over a wrapped-around length would find). */
static void test_tlv_walk_short_message(void)
{
    static const uint8_t buf[] = {0x09, 0x17, 0x0a, 0x01, 0x05};
    static const uint8_t single[] = {0x0a};
    struct tekho_tlv_walk wk;
    struct tekho_tlv t;
    for (size_t len = 0; len < 2; len++) {
        tekho_tlv_walk_init(&wk, buf, len, 2, 0, single, sizeof single);
        CHECK(!tekho_tlv_walk_more(&wk, &t));
        CHECK_ERR(wk.err, TEKHO_ERR_TRUNCATED);
        CHECK(!tekho_tlv_walk_more(&wk, &t)); /* the error stays */
        CHECK_ERR(wk.err, TEKHO_ERR_TRUNCATED);
    }
    /* A message that is all header has no TLVs: a clean end. */
    tekho_tlv_walk_init(&wk, buf, 2, 2, 0, single, sizeof single);
    CHECK(!tekho_tlv_walk_more(&wk, &t));
    CHECK_ERR(wk.err, TEKHO_OK);
    /* The whole message: its one TLV, offset from the message start. */
    tekho_tlv_walk_init(&wk, buf, sizeof buf, 2, 0, single, sizeof single);
    CHECK(tekho_tlv_walk_more(&wk, &t));
    CHECK(t.type == 0x0a && t.len == 1 && t.value == buf + 4 && t.value[0] == 0x05 && t.offset == 2);
    CHECK(!tekho_tlv_walk_more(&wk, &t));
    CHECK_ERR(wk.err, TEKHO_OK);
    /* No message: bytes claimed without a pointer are refused; none is empty. */
    tekho_tlv_walk_init(&wk, NULL, 3, 0, 0, single, sizeof single);
    CHECK(!tekho_tlv_walk_more(&wk, &t));
    CHECK_ERR(wk.err, TEKHO_ERR_INVALID_ARGUMENT);
    tekho_tlv_walk_init(&wk, NULL, 0, 0, 0, single, sizeof single);
    CHECK(!tekho_tlv_walk_more(&wk, &t));
    CHECK_ERR(wk.err, TEKHO_OK);
}

int main(void)
{
    test_tlv_walk_short_message();
    test_known_messages();
    test_decode_lenient();
    test_decode_errors();
    test_tek_params_helpers();
    test_encode_errors();
    test_round_trip();
    test_code_names();
    test_eap_transfer();
    printf("pkm: %d crafted decoder errors, %d truncated decodes\n", n_error_cases, n_truncations);
    return test_summary("test_wire_pkm");
}
