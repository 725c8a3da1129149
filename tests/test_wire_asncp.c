/* The ASN-CP backbone codec: hand-written bytes, random round trips, and
 * every decoder error with the output left untouched. */
#include <stdlib.h>
#include <string.h>

#include "tekho/asncp.h"
#include "tekho/tekho.h"
#include "test_util.h"
#include "wire_random.h"

static void test_bytes(void)
{
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    m.msg = TEKHO_ASNCP_HO_COMPLETE;
    memcpy(m.msid, "\x0a\x1b\x2c\x3d\x4e\x5f", 6);
    m.transaction_id = 0x0102;
    m.has_source_id = m.has_destination_id = true;
    memcpy(m.source_id, "\x00\x00\x00\x00\x00\x07", 6);
    memcpy(m.destination_id, "\x00\x00\x00\x00\x00\x09", 6);
    m.has_ms_id = true;
    memcpy(m.ms_id, m.msid, 6);
    m.has_cmac_key_count = true;
    m.cmac_key_count = 5;
    uint8_t out[256], want[256];
    size_t n = 0;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_OK);
    /* 01 | 02 (T) | 02 HO Control | 4<<5|5 = 0x85 | length 0x0038 | MSID | 00000000 | 0102 | 0000
       0110 0006 000000000007 | 010f 0006 000000000009 | 0066 0006 0a1b2c3d4e5f | 0022 0002 0005 */
    size_t want_len = hex_to_bytes("010202850038" "0a1b2c3d4e5f" "00000000" "0102" "0000"
                                   "01100006000000000007" "010f0006000000000009" "006600060a1b2c3d4e5f"
                                   "002200020005",
                                   want, sizeof want);
    CHECK(n == want_len && n == 0x38);
    CHECK_BYTES(out, want, want_len);
    struct tekho_asncp back;
    CHECK_ERR(tekho_asncp_decode(out, n, &back), TEKHO_OK);
    CHECK(back.msg == TEKHO_ASNCP_HO_COMPLETE && back.cmac_key_count == 5 && back.transaction_id == 0x0102);
    CHECK(strcmp(tekho_asncp_name(back.msg), "HO_Complete") == 0);
    CHECK(strcmp(tekho_asncp_name(TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE_ACK), "CMAC_Key_Count_Update_ACK") == 0);
    CHECK(tekho_asncp_name(TEKHO_ASNCP_MSG_COUNT) == NULL);
}

static void random_tek(struct rnd *r, struct tekho_asncp_tek *t)
{
    /* The TEK itself (reuse, HO_Cnf) or wrapped (baseline-early, HO_Rsp). */
    t->tek_len = rnd_bool(r) ? TEKHO_ASNCP_TEK_LEN : TEKHO_ASNCP_WRAPPED_TEK_LEN;
    rnd_bytes(r, t->tek, t->tek_len);
    t->lifetime_s = rnd_u32(r);
    t->tek_sn = (uint8_t)rnd_u32(r);
    t->pn_counter = rnd_u32(r);
    t->rxpn_counter = rnd_u32(r);
}

static void random_msg(struct rnd *r, struct tekho_asncp *m)
{
    memset(m, 0, sizeof *m);
    m->msg = (enum tekho_asncp_msg)rnd_below(r, TEKHO_ASNCP_MSG_COUNT);
    rnd_bytes(r, m->msid, 6);
    m->transaction_id = (uint16_t)rnd_u32(r);
    if ((m->has_source_id = m->has_destination_id = rnd_bool(r))) {
        rnd_bytes(r, m->source_id, 6);
        rnd_bytes(r, m->destination_id, 6);
    }
    m->has_ms_id = true;
    rnd_bytes(r, m->ms_id, 6);
    if ((m->has_bs_id = rnd_bool(r)))
        rnd_bytes(r, m->bs_id, 6);
    if ((m->has_ho_type = rnd_bool(r) || m->msg == TEKHO_ASNCP_HO_REQ))
        m->ho_type = rnd_below(r, 4);
    if ((m->has_ho_id = rnd_bool(r)))
        m->ho_id = (uint8_t)rnd_u32(r);
    if ((m->has_ho_process_optimization = rnd_bool(r)))
        m->ho_process_optimization = (uint8_t)rnd_u32(r);
    if ((m->has_bs_ho_rsp_code = rnd_bool(r)))
        m->bs_ho_rsp_code = (uint8_t)rnd_u32(r);
    if ((m->has_context_purpose = rnd_bool(r)))
        m->context_purpose = rnd_u32(r);
    if ((m->has_cmac_key_count = rnd_bool(r) || m->msg == TEKHO_ASNCP_HO_COMPLETE ||
                                 m->msg == TEKHO_ASNCP_CMAC_KEY_COUNT_UPDATE))
        m->cmac_key_count = (uint16_t)rnd_u32(r);
    if ((m->has_ak_context = rnd_bool(r) || m->msg == TEKHO_ASNCP_CONTEXT_RPT)) {
        rnd_bytes(r, m->ak_context.ak, 20);
        rnd_bytes(r, m->ak_context.ak_id, 8);
        m->ak_context.ak_lifetime_s = rnd_u32(r);
        m->ak_context.ak_sn = (uint8_t)rnd_u32(r);
        if ((m->ak_context.has_cmac_key_count = rnd_bool(r)))
            m->ak_context.cmac_key_count = (uint16_t)rnd_u32(r);
    }
    m->n_sa = rnd_below(r, TEKHO_ASNCP_SA_MAX + 1);
    for (size_t i = 0; i < m->n_sa; i++) {
        m->sa[i].said = (uint16_t)rnd_u32(r);
        if ((m->sa[i].has_older = rnd_bool(r)))
            random_tek(r, &m->sa[i].older);
        if ((m->sa[i].has_newer = rnd_bool(r)))
            random_tek(r, &m->sa[i].newer);
    }
    if (rnd_bool(r) || m->msg == TEKHO_ASNCP_AR_EAP_TRANSFER) {
        m->eap_payload_len = 1 + rnd_below(r, TEKHO_ASNCP_EAP_MAX);
        rnd_bytes(r, m->eap_payload, m->eap_payload_len);
    }
}

static void test_round_trips(void)
{
    struct rnd r = {0xA5C9u};
    for (int i = 0; i < 5000; i++) {
        struct tekho_asncp m, d;
        uint8_t a[TEKHO_ASNCP_MAX_LEN], b[TEKHO_ASNCP_MAX_LEN];
        size_t na = 0, nb = 0;
        random_msg(&r, &m);
        CHECK_ERR(tekho_asncp_encode(&m, a, sizeof a, &na), TEKHO_OK);
        CHECK_ERR(tekho_asncp_decode(a, na, &d), TEKHO_OK);
        CHECK_ERR(tekho_asncp_encode(&d, b, sizeof b, &nb), TEKHO_OK);
        CHECK(na == nb && memcmp(a, b, na) == 0);
        /* The header alone says what decode says of it. */
        enum tekho_asncp_msg type = TEKHO_ASNCP_MSG_COUNT;
        uint8_t msid[6] = {0};
        CHECK_ERR(tekho_asncp_peek(a, na, &type, msid), TEKHO_OK);
        CHECK(type == d.msg && memcmp(msid, d.msid, 6) == 0);
        if (i < 300) {
            /* Every prefix is refused: the header length no longer matches. */
            for (size_t cut = 0; cut < na; cut++) {
                uint8_t *copy = malloc(cut ? cut : 1);
                memcpy(copy, a, cut);
                CHECK(tekho_asncp_decode(copy, cut, &d) != TEKHO_OK);
                CHECK(tekho_asncp_peek(copy, cut, &type, msid) != TEKHO_OK);
                free(copy);
            }
        }
    }
}

static void expect_error(const char *hex, tekho_err want)
{
    uint8_t in[512];
    size_t n = hex_to_bytes(hex, in, sizeof in);
    struct tekho_asncp out, pattern;
    memset(&out, 0x3C, sizeof out);
    memcpy(&pattern, &out, sizeof out);
    CHECK_ERR(tekho_asncp_decode(in, n, &out), want);
    CHECK(memcmp(&out, &pattern, sizeof out) == 0);
    /* The header alone: refused for what decode refuses in it, else read. */
    enum tekho_asncp_msg type;
    uint8_t msid[6];
    const tekho_err peeked = tekho_asncp_peek(in, n, &type, msid);
    CHECK(peeked == TEKHO_OK || peeked == want);
}

#define HDR(flags, fn, optype, len) "01" flags fn optype len "0a1b2c3d4e5f" "00000000" "0001" "0000"
#define MSID_TLV "006600060a1b2c3d4e5f"

static void test_decode_errors(void)
{
    expect_error("0100", TEKHO_ERR_TRUNCATED);
    expect_error("02000225" "0014" "0a1b2c3d4e5f000000000001" "0000", TEKHO_ERR_BAD_ASNCP_HEADER); /* version 2 */
    expect_error(HDR("00", "02", "25", "0016") "00", TEKHO_ERR_BAD_ASNCP_LENGTH);  /* says 22, bytes 21 */
    expect_error(HDR("00", "02", "25", "0013"), TEKHO_ERR_BAD_ASNCP_LENGTH);       /* says 19, bytes 20 */
    expect_error(HDR("00", "02", "3f", "0014"), TEKHO_ERR_UNKNOWN_MESSAGE);        /* HO Control type 31 */
    expect_error(HDR("00", "07", "21", "0014"), TEKHO_ERR_UNKNOWN_MESSAGE);        /* RRM */
    expect_error(HDR("00", "02", "41", "001e") MSID_TLV, TEKHO_ERR_BAD_ASNCP_HEADER); /* HO_Req as a Response */
    expect_error(HDR("00", "02", "43", "001e") MSID_TLV, TEKHO_ERR_BAD_ASNCP_HEADER); /* HO_Ack op must be 3 */
    expect_error(HDR("00", "02", "63", "0014"), TEKHO_ERR_MISSING_TLV);           /* HO_Ack without MS ID */
    expect_error(HDR("00", "02", "63", "0016") "0066", TEKHO_ERR_TRUNCATED);
    expect_error(HDR("00", "02", "63", "0018") "00660000", TEKHO_ERR_TLV_ZERO_LENGTH);
    expect_error(HDR("00", "02", "63", "001d") "006600060a1b2c3d4e", TEKHO_ERR_TLV_OVERRUN);
    expect_error(HDR("00", "02", "63", "001d") "006600050a1b2c3d4e", TEKHO_ERR_WRONG_WIDTH);
    expect_error(HDR("00", "02", "63", "0028") MSID_TLV MSID_TLV, TEKHO_ERR_DUPLICATE_TLV);
    expect_error(HDR("00", "02", "63", "0025") MSID_TLV "002200030000ff", TEKHO_ERR_WRONG_WIDTH); /* 3-byte count */
    expect_error(HDR("02", "02", "63", "001e") MSID_TLV, TEKHO_ERR_MISSING_TLV);  /* T flag without identifiers */
    expect_error(HDR("00", "02", "63", "0028") MSID_TLV "01100006000000000007", TEKHO_ERR_BAD_ASNCP_HEADER);
    expect_error(HDR("00", "02", "85", "0020") MSID_TLV "0022", TEKHO_ERR_TRUNCATED);
    expect_error(HDR("00", "02", "85", "001e") MSID_TLV, TEKHO_ERR_MISSING_TLV);  /* HO_Complete without count */
    expect_error(HDR("00", "04", "42", "001e") MSID_TLV, TEKHO_ERR_MISSING_TLV);  /* Context_Rpt without AK */
    /* AK Context missing its AK Lifetime */
    expect_error(HDR("00", "04", "42", "004b") MSID_TLV "0006" "0029" "00050014" "0000000000000000000000000000000000000000"
                 "00070008" "0000000000000000" "00090001" "00",
                 TEKHO_ERR_MISSING_TLV);
    /* five SA Descriptors for room for four */
    expect_error(HDR("00", "02", "63", "0050") MSID_TLV "00aa0006" "00a900020001" "00aa0006" "00a900020002"
                 "00aa0006" "00a900020003" "00aa0006" "00a900020004" "00aa0006" "00a900020005",
                 TEKHO_ERR_TOO_MANY);
    /* an unknown TLV is skipped */
    uint8_t ok[64];
    size_t n = hex_to_bytes(HDR("00", "02", "63", "0026") MSID_TLV "7fff0004deadbeef", ok, sizeof ok);
    struct tekho_asncp m;
    CHECK_ERR(tekho_asncp_decode(ok, n, &m), TEKHO_OK);
    CHECK(m.msg == TEKHO_ASNCP_HO_ACK && m.has_ms_id);
    /* AR_EAP_Transfer (Authentication Relay 8, type 2, Indication): the
     * EAP Payload (62) is required, and at most TEKHO_ASNCP_EAP_MAX bytes. */
    expect_error(HDR("00", "08", "82", "001e") MSID_TLV, TEKHO_ERR_MISSING_TLV);
    n = hex_to_bytes(HDR("00", "08", "82", "0027") MSID_TLV "003e0005" "0107000501", ok, sizeof ok);
    CHECK_ERR(tekho_asncp_decode(ok, n, &m), TEKHO_OK);
    CHECK(m.msg == TEKHO_ASNCP_AR_EAP_TRANSFER && m.eap_payload_len == 5 && m.eap_payload[4] == 1);
    CHECK(strcmp(tekho_asncp_name(m.msg), "AR_EAP_Transfer") == 0);
    uint8_t big[200];
    n = hex_to_bytes(HDR("00", "08", "82", "00a3") MSID_TLV "003e0081", big, sizeof big);
    memset(big + n, 0, TEKHO_ASNCP_EAP_MAX + 1);
    n += TEKHO_ASNCP_EAP_MAX + 1;
    struct tekho_asncp out;
    CHECK(n == 0xa3);
    CHECK_ERR(tekho_asncp_decode(big, n, &out), TEKHO_ERR_WRONG_WIDTH);
    /* A TEK of 16 bytes (the TEK) or 24 (wrapped), nothing else. */
    expect_error(HDR("00", "02", "63", "003f") MSID_TLV "00aa001d" "00a900020001" "00700013" "00bb000f"
                 "000000000000000000000000000000",
                 TEKHO_ERR_WRONG_WIDTH);
}

static void test_encode_errors(void)
{
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    uint8_t out[TEKHO_ASNCP_MAX_LEN];
    size_t n;
    m.msg = TEKHO_ASNCP_HO_REQ;
    m.has_ms_id = true;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_MISSING_TLV); /* no HO Type */
    m.has_ho_type = true;
    m.has_source_id = true;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_MISSING_TLV); /* source without destination */
    m.has_source_id = false;
    CHECK_ERR(tekho_asncp_encode(&m, out, 25, &n), TEKHO_ERR_BUFFER_TOO_SMALL);
    m.n_sa = TEKHO_ASNCP_SA_MAX + 1;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_BAD_VALUE);
    m.n_sa = 1;
    m.sa[0].has_older = true;
    m.sa[0].older.tek_len = 20; /* neither the TEK nor it wrapped */
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_BAD_VALUE);
    m.n_sa = 0;
    m.eap_payload_len = TEKHO_ASNCP_EAP_MAX + 1;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_BAD_VALUE);
    m.eap_payload_len = 0;
    m.msg = TEKHO_ASNCP_AR_EAP_TRANSFER;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_MISSING_TLV); /* no EAP payload */
    m.msg = TEKHO_ASNCP_MSG_COUNT;
    CHECK_ERR(tekho_asncp_encode(&m, out, sizeof out, &n), TEKHO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    test_bytes();
    test_round_trips();
    test_decode_errors();
    test_encode_errors();
    return test_summary("test_wire_asncp");
}
