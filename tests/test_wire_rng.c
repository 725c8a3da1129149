/* RNG-REQ / RNG-RSP codecs, the management PDU frame and the CMAC over a
 * message: hand-written bytes, random round trips, every decoder error. */
#include <stdlib.h>
#include <string.h>

#include "tekho/tekho.h"
#include "tekho/mgmt.h"
#include "test_util.h"
#include "wire_random.h"

#define ROUNDS 3000

static void test_wireshark_rng_req(void)
{
    /* wireshark.md section 3: an RNG-REQ that Wireshark 4.0.17 decodes cleanly. */
    struct tekho_rng_req m = {.has_ms_mac = true, .ms_mac = {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f},
                              .has_serving_bsid = true, .serving_bsid = {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee},
                              .has_ranging_purpose = true, .ranging_purpose = TEKHO_RANGING_PURPOSE_HO,
                              .has_ho_id = true, .ho_id = 42, .has_cmac_key_count = true, .cmac_key_count = 5};
    uint8_t msg[64], pdu[80], want[64];
    size_t n = 0, pdu_len = 0;
    CHECK_ERR(tekho_rng_req_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
    size_t want_len = hex_to_bytes("040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005", want, sizeof want);
    CHECK(n == want_len);
    CHECK_BYTES(msg, want, want_len);
    CHECK_ERR(tekho_mgmt_frame(0, true, msg, n, pdu, sizeof pdu, &pdu_len), TEKHO_OK);
    want_len = hex_to_bytes("0040260000a5040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005042cd2a2", want,
                            sizeof want);
    CHECK(pdu_len == want_len);
    CHECK_BYTES(pdu, want, want_len);
    uint16_t cid = 99;
    const uint8_t *body = NULL;
    size_t body_len = 0;
    CHECK_ERR(tekho_mgmt_unframe(pdu, pdu_len, &cid, &body, &body_len), TEKHO_OK);
    CHECK(cid == 0 && body_len == n && body == pdu + 6);
    pdu[pdu_len - 1] ^= 1;
    CHECK_ERR(tekho_mgmt_unframe(pdu, pdu_len, &cid, &body, &body_len), TEKHO_ERR_BAD_CRC);
    pdu[5] ^= 1;
    CHECK_ERR(tekho_mgmt_unframe(pdu, pdu_len, &cid, &body, &body_len), TEKHO_ERR_BAD_HCS);
    CHECK_ERR(tekho_mgmt_unframe(pdu, 3, &cid, &body, &body_len), TEKHO_ERR_TRUNCATED);
}

static void test_rng_rsp_bytes(void)
{
    struct tekho_rng_rsp m;
    memset(&m, 0, sizeof m);
    m.has_ranging_status = true;
    m.ranging_status = TEKHO_RANGING_STATUS_SUCCESS;
    m.has_ho_process_optimization = true;
    m.ho_process_optimization = TEKHO_HO_TEK_COUNTER << TEKHO_HO_OPT_TEK_SHIFT;
    m.has_ho_id = true;
    m.ho_id = 7;
    m.has_cmac = true;
    m.cmac.key_seq = 1;
    m.cmac.cmac_pn = 2;
    uint8_t msg[128], want[128];
    size_t n = 0;
    CHECK_ERR(tekho_rng_rsp_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
    /* type 5 | rsv | 04 01 03 | 15 02 0004 | 16 01 07 | 8d 0d 01 00000002 0000000000000000 */
    size_t want_len = hex_to_bytes("05000401031502000416010" "78d0d01000000020000000000000000", want, sizeof want);
    CHECK(n == want_len);
    CHECK_BYTES(msg, want, want_len);
    struct tekho_rng_rsp back;
    CHECK_ERR(tekho_rng_rsp_decode(msg, n, &back), TEKHO_OK);
    CHECK(back.cmac_offset == n - 15 && back.has_cmac && back.cmac.cmac_pn == 2);
    CHECK(((back.ho_process_optimization & TEKHO_HO_OPT_TEK_MASK) >> TEKHO_HO_OPT_TEK_SHIFT) == TEKHO_HO_TEK_COUNTER);
}

static void random_tek_params(struct rnd *r, struct tekho_tek_params *p)
{
    p->wrapped_tek_len = rnd_bool(r) ? 24 : 16;
    rnd_bytes(r, p->wrapped_tek, p->wrapped_tek_len);
    p->lifetime_s = rnd_u32(r);
    p->key_seq = (uint8_t)rnd_below(r, 4);
}

static void random_cmac(struct rnd *r, bool *has, struct tekho_cmac_tuple *t)
{
    *has = rnd_bool(r);
    t->key_seq = (uint8_t)rnd_below(r, 16);
    t->has_bsid = rnd_bool(r);
    rnd_bytes(r, t->bsid, 6);
    if (!t->has_bsid)
        memset(t->bsid, 0, 6);
    t->cmac_pn = rnd_u32(r);
    rnd_bytes(r, t->value, 8);
}

static void random_rng_req(struct rnd *r, struct tekho_rng_req *m)
{
    memset(m, 0, sizeof *m);
    m->has_ms_mac = true;
    rnd_bytes(r, m->ms_mac, 6);
    if ((m->has_serving_bsid = rnd_bool(r)))
        rnd_bytes(r, m->serving_bsid, 6);
    if ((m->has_ranging_purpose = rnd_bool(r)))
        m->ranging_purpose = (uint8_t)rnd_u32(r);
    if ((m->has_ho_id = rnd_bool(r)))
        m->ho_id = (uint8_t)rnd_u32(r);
    if ((m->has_cmac_key_count = rnd_bool(r)))
        m->cmac_key_count = (uint16_t)rnd_u32(r);
    random_cmac(r, &m->has_cmac, &m->cmac);
}

static void random_rng_rsp(struct rnd *r, struct tekho_rng_rsp *m)
{
    memset(m, 0, sizeof *m);
    m->has_ranging_status = true;
    m->ranging_status = (uint8_t)rnd_u32(r);
    if ((m->has_ms_mac = rnd_bool(r)))
        rnd_bytes(r, m->ms_mac, 6);
    if ((m->has_ho_process_optimization = rnd_bool(r)))
        m->ho_process_optimization = (uint16_t)rnd_u32(r);
    if ((m->has_ho_id = rnd_bool(r)))
        m->ho_id = (uint8_t)rnd_u32(r);
    if ((m->has_sa_challenge = rnd_bool(r))) {
        rnd_bytes(r, m->bs_random, 8);
        rnd_bytes(r, m->akid, 8);
    }
    m->n_sa_tek_updates = rnd_below(r, TEKHO_SA_TEK_UPDATE_MAX + 1);
    for (size_t i = 0; i < m->n_sa_tek_updates; i++) {
        struct tekho_sa_tek_update *u = &m->sa_tek_updates[i];
        u->type = (uint8_t)rnd_u32(r);
        u->new_said = (uint16_t)rnd_u32(r);
        u->old_said = (uint16_t)rnd_u32(r);
        if ((u->has_old_params = rnd_bool(r)))
            random_tek_params(r, &u->old_params);
        random_tek_params(r, &u->new_params);
    }
    random_cmac(r, &m->has_cmac, &m->cmac);
}

/* Every proper prefix of a valid message is refused, and no decoder reads
 * past what it was given (ASan would stop the test). */
static void check_prefixes(const uint8_t *msg, size_t n, int is_req)
{
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, msg, cut);
        struct tekho_rng_req q;
        struct tekho_rng_rsp s;
        tekho_err err = is_req ? tekho_rng_req_decode(copy, cut, &q) : tekho_rng_rsp_decode(copy, cut, &s);
        /* A cut exactly between two optional TLVs is a valid shorter message. */
        if (err == TEKHO_OK) {
            uint8_t again[2048];
            size_t len = 0;
            CHECK((is_req ? tekho_rng_req_encode(&q, again, sizeof again, &len)
                          : tekho_rng_rsp_encode(&s, again, sizeof again, &len)) == TEKHO_OK);
            CHECK(len == cut && memcmp(again, msg, cut) == 0);
        }
        free(copy);
    }
}

static void test_round_trips(void)
{
    struct rnd r = {0x802161u};
    for (int i = 0; i < ROUNDS; i++) {
        struct tekho_rng_req q, q2;
        uint8_t a[2048], b[2048];
        size_t na = 0, nb = 0;
        random_rng_req(&r, &q);
        CHECK_ERR(tekho_rng_req_encode(&q, a, sizeof a, &na), TEKHO_OK);
        CHECK_ERR(tekho_rng_req_decode(a, na, &q2), TEKHO_OK);
        CHECK_ERR(tekho_rng_req_encode(&q2, b, sizeof b, &nb), TEKHO_OK);
        CHECK(na == nb && memcmp(a, b, na) == 0);
        if (i < 200)
            check_prefixes(a, na, 1);

        struct tekho_rng_rsp s, s2;
        random_rng_rsp(&r, &s);
        CHECK_ERR(tekho_rng_rsp_encode(&s, a, sizeof a, &na), TEKHO_OK);
        CHECK_ERR(tekho_rng_rsp_decode(a, na, &s2), TEKHO_OK);
        CHECK_ERR(tekho_rng_rsp_encode(&s2, b, sizeof b, &nb), TEKHO_OK);
        CHECK(na == nb && memcmp(a, b, na) == 0);
        CHECK(s2.n_sa_tek_updates == s.n_sa_tek_updates);
        if (i < 200)
            check_prefixes(a, na, 0);
    }
}

/* decode must fail with want and leave *out untouched */
static void expect_req_error(const char *hex, tekho_err want)
{
    uint8_t in[256];
    size_t n = hex_to_bytes(hex, in, sizeof in);
    struct tekho_rng_req out, pattern;
    memset(&out, 0xA5, sizeof out);
    memcpy(&pattern, &out, sizeof out);
    CHECK_ERR(tekho_rng_req_decode(in, n, &out), want);
    CHECK(memcmp(&out, &pattern, sizeof out) == 0);
}

static void expect_rsp_error(const char *hex, tekho_err want)
{
    uint8_t in[256];
    size_t n = hex_to_bytes(hex, in, sizeof in);
    struct tekho_rng_rsp out, pattern;
    memset(&out, 0x5A, sizeof out);
    memcpy(&pattern, &out, sizeof out);
    CHECK_ERR(tekho_rng_rsp_decode(in, n, &out), want);
    CHECK(memcmp(&out, &pattern, sizeof out) == 0);
}

static void test_decode_errors(void)
{
    expect_req_error("04", TEKHO_ERR_TRUNCATED);
    expect_req_error("0500020600000000000a", TEKHO_ERR_WRONG_MESSAGE);
    expect_req_error("040002", TEKHO_ERR_TRUNCATED);                       /* type without length */
    expect_req_error("04000200", TEKHO_ERR_TLV_ZERO_LENGTH);
    expect_req_error("0400020700000000000a", TEKHO_ERR_TLV_OVERRUN);
    expect_req_error("04000285", TEKHO_ERR_TLV_BAD_LENGTH);                 /* 5-byte length field */
    expect_req_error("04000280", TEKHO_ERR_TLV_BAD_LENGTH);
    expect_req_error("0400028200", TEKHO_ERR_TRUNCATED);                    /* length bytes missing */
    expect_req_error("04000205000000000a", TEKHO_ERR_WRONG_WIDTH);          /* 5-byte MAC */
    expect_req_error("040002060000000000010d03000005", TEKHO_ERR_WRONG_WIDTH); /* 3-byte count */
    expect_req_error("04000206000000000001020600000000000a", TEKHO_ERR_DUPLICATE_TLV);
    expect_req_error("0400060101", TEKHO_ERR_MISSING_TLV);                 /* no MS MAC */
    expect_req_error("04000206000000000001" "8d0d0100000001000000000000000006010a", TEKHO_ERR_CMAC_NOT_LAST);
    expect_req_error("04000206000000000001" "8d0c01000000010000000000000000", TEKHO_ERR_WRONG_WIDTH);
    /* a multi-byte length form is accepted when it is well-formed */
    uint8_t ok[] = {0x04, 0x00, 0x02, 0x81, 0x06, 1, 2, 3, 4, 5, 6};
    struct tekho_rng_req q;
    CHECK_ERR(tekho_rng_req_decode(ok, sizeof ok, &q), TEKHO_OK);
    CHECK(q.ms_mac[5] == 6);

    expect_rsp_error("0500", TEKHO_ERR_MISSING_TLV);                       /* no ranging status */
    expect_rsp_error("050004020003", TEKHO_ERR_WRONG_WIDTH);
    expect_rsp_error("05000401031501ff", TEKHO_ERR_WRONG_WIDTH);            /* HO optimization is 16 bits */
    expect_rsp_error("050004010304010300", TEKHO_ERR_DUPLICATE_TLV);
    expect_rsp_error("050004010304010300", TEKHO_ERR_DUPLICATE_TLV);
    expect_rsp_error("0500040103" "1f0a0108000000000000000000", TEKHO_ERR_MISSING_TLV); /* challenge without AKID */
    expect_rsp_error("0500040103" "26020100", TEKHO_ERR_TLV_ZERO_LENGTH);                /* nested zero length */
    expect_rsp_error("0500040103" "2603010101", TEKHO_ERR_MISSING_TLV);                  /* SA-TEK-Update incomplete */
    expect_rsp_error("0500040103" "260401050101", TEKHO_ERR_TLV_OVERRUN);                /* nested overrun */
}

static void test_cmac_sign_verify(void)
{
    /* The vendor vector's CMAC_KEY_U and AKID sign an RNG-REQ; any change is caught. */
    uint8_t key[16], akid[8];
    hex_to_bytes("f6eed12d93c37271bdb384449cb62467", key, 16);
    hex_to_bytes("3b7e354a44b25806", akid, 8);
    struct tekho_rng_req m = {.has_ms_mac = true, .has_cmac_key_count = true, .cmac_key_count = 1, .has_cmac = true};
    m.cmac.cmac_pn = 3;
    uint8_t msg[64];
    size_t n = 0;
    CHECK_ERR(tekho_rng_req_encode(&m, msg, sizeof msg, &n), TEKHO_OK);
    struct tekho_rng_req d;
    CHECK_ERR(tekho_rng_req_decode(msg, n, &d), TEKHO_OK);
    CHECK_ERR(tekho_mgmt_cmac_sign(msg, n, d.cmac_offset, key, akid, 3, 0x2b), TEKHO_OK);
    uint8_t want[8];
    CHECK_ERR(tekho_cmac_value(key, akid, 3, 0x2b, msg, d.cmac_offset, want), TEKHO_OK);
    CHECK_BYTES(msg + n - 8, want, 8);
    CHECK_ERR(tekho_mgmt_cmac_verify(msg, n, d.cmac_offset, key, akid, 3, 0x2b), TEKHO_OK);
    CHECK_ERR(tekho_mgmt_cmac_verify(msg, n, d.cmac_offset, key, akid, 3, 0x2c), TEKHO_ERR_BAD_CMAC);
    msg[n - 20] ^= 1; /* the count */
    CHECK_ERR(tekho_mgmt_cmac_verify(msg, n, d.cmac_offset, key, akid, 3, 0x2b), TEKHO_ERR_BAD_CMAC);
    CHECK_ERR(tekho_mgmt_cmac_verify(msg, n, 0, key, akid, 3, 0x2b), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_mgmt_cmac_verify(msg, n, n - 3, key, akid, 3, 0x2b), TEKHO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    test_wireshark_rng_req();
    test_rng_rsp_bytes();
    test_round_trips();
    test_decode_errors();
    test_cmac_sign_verify();
    return test_summary("test_wire_rng");
}
