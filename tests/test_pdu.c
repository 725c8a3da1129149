/* MAC PDU framing and every error path of sealing and opening. */
#include <string.h>

#include "tekho/tekho.h"
#include "test_util.h"

static const uint8_t TEK[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

static void test_check_values(void)
{
    static const uint8_t digits[] = "123456789";
    CHECK(tekho_hcs(digits, 9) == 0xF4);          /* CRC-8/SMBUS check value */
    CHECK(tekho_crc32(digits, 9) == 0xFC891918u);  /* CRC-32/BZIP2 check value */
}

static void test_wireshark_example(void)
{
    /* wireshark.md section 3: an RNG-REQ PDU that Wireshark 4.0.17 decodes
     * with a correct HCS and CRC. Rebuild its header and CRC here. */
    uint8_t pdu[64];
    size_t n = hex_to_bytes("0040260000a5040002060a1b2c3d4e5f050600aabbccddee06010107012a0d020005042cd2a2",
                            pdu, sizeof pdu);
    CHECK(n == 38);
    struct tekho_gmh gmh;
    CHECK_ERR(tekho_gmh_decode(pdu, n, &gmh), TEKHO_OK);
    CHECK(!gmh.ec && gmh.ci && gmh.len == 38 && gmh.cid == 0 && gmh.eks == 0 && gmh.type == 0);
    uint8_t header[6];
    CHECK_ERR(tekho_gmh_encode(&gmh, header), TEKHO_OK);
    CHECK_BYTES(header, pdu, 6);
    uint32_t crc = tekho_crc32(pdu, 34);
    uint8_t crc_be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    CHECK_BYTES(crc_be, pdu + 34, 4);
    /* A plain management PDU is not an encrypted one. */
    struct tekho_pdu_view view;
    CHECK_ERR(tekho_pdu_parse(pdu, n, TEKHO_DIR_UL, &view), TEKHO_ERR_NOT_ENCRYPTED);
}

/* tekho_pdu_put_crc needs room for the CRC: shorter is refused and writes
 * nothing (the buffer sits inside a larger one to catch a write before it). */
static void test_put_crc_bounds(void)
{
    uint8_t area[16], keep[16];
    for (size_t i = 0; i < sizeof area; i++)
        area[i] = (uint8_t)(0xA0 + i);
    memcpy(keep, area, sizeof area);
    uint8_t *b = area + 8;
    for (size_t len = 0; len < TEKHO_CRC_LEN; len++) {
        CHECK_ERR(tekho_pdu_put_crc(b, len), TEKHO_ERR_BUFFER_TOO_SMALL);
        CHECK_BYTES(area, keep, sizeof area);
        CHECK(!tekho_pdu_crc_ok(b, len));
    }
    CHECK_ERR(tekho_pdu_put_crc(NULL, 8), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pdu_put_crc(NULL, 0), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_BYTES(area, keep, sizeof area);
    /* Exactly a CRC: CRC-32/BZIP2 of no bytes is 0. */
    CHECK_ERR(tekho_pdu_put_crc(b, 4), TEKHO_OK);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    CHECK_BYTES(b, zero, 4);
    CHECK(tekho_pdu_crc_ok(b, 4));
    CHECK_BYTES(area, keep, 8);
    /* Eight bytes: the CRC of the first four ("123456789" has a known one). */
    static const uint8_t digits[] = "123456789";
    uint8_t pdu[13];
    memcpy(pdu, digits, 9);
    CHECK_ERR(tekho_pdu_put_crc(pdu, sizeof pdu), TEKHO_OK);
    static const uint8_t check_value[4] = {0xFC, 0x89, 0x19, 0x18}; /* CRC-32/BZIP2 check value */
    CHECK_BYTES(pdu + 9, check_value, 4);
    CHECK_BYTES(pdu, digits, 9);
    CHECK(tekho_pdu_crc_ok(pdu, sizeof pdu));
}

static void test_gmh_fields(void)
{
    const struct tekho_gmh in = {.ec = true, .type = 0x2A, .esf = true, .ci = true, .eks = 3, .len = 2047, .cid = 0xBEEF};
    uint8_t b[6];
    CHECK_ERR(tekho_gmh_encode(&in, b), TEKHO_OK);
    struct tekho_gmh out;
    CHECK_ERR(tekho_gmh_decode(b, 6, &out), TEKHO_OK);
    CHECK(out.ec && out.type == 0x2A && out.esf && out.ci && out.eks == 3 && out.len == 2047 && out.cid == 0xBEEF);
    struct tekho_gmh bad = in;
    bad.type = 64;
    CHECK_ERR(tekho_gmh_encode(&bad, b), TEKHO_ERR_INVALID_ARGUMENT);
    bad = in;
    bad.len = 2048;
    CHECK_ERR(tekho_gmh_encode(&bad, b), TEKHO_ERR_INVALID_ARGUMENT);
    bad = in;
    bad.eks = 4;
    CHECK_ERR(tekho_gmh_encode(&bad, b), TEKHO_ERR_INVALID_ARGUMENT);
}

static size_t seal(struct tekho_pdu_key *key, enum tekho_dir dir, uint32_t pn, bool crc, const uint8_t *payload,
                   size_t len, uint8_t *out)
{
    const struct tekho_pdu_seal_params p = {.dir = dir, .pn = pn, .cid = 0x2b, .eks = 1, .crc = crc};
    size_t out_len = 0;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, len, out, TEKHO_PDU_MAX_LEN, &out_len), TEKHO_OK);
    return out_len;
}

/* Rewrites the HCS (and CRC, if any) after a deliberate header change, so
 * that the change reaches the check under test. */
static void refresh_checks(uint8_t *pdu, size_t len, bool crc)
{
    pdu[5] = tekho_hcs(pdu, 5);
    if (crc)
        CHECK_ERR(tekho_pdu_put_crc(pdu, len), TEKHO_OK);
}

static tekho_err try_open(struct tekho_pdu_key *key, enum tekho_dir dir, const uint8_t *pdu, size_t len)
{
    uint8_t out[TEKHO_PDU_MAX_LEN];
    size_t out_len = 0;
    return tekho_pdu_open(key, dir, pdu, len, out, sizeof out, &out_len, NULL);
}

static void test_open_errors(void)
{
    struct tekho_pdu_key *key = NULL, *other = NULL;
    uint8_t other_tek[16];
    memcpy(other_tek, TEK, 16);
    other_tek[0] ^= 1;
    CHECK_ERR(tekho_pdu_key_new(TEK, &key), TEKHO_OK);
    CHECK_ERR(tekho_pdu_key_new(other_tek, &other), TEKHO_OK);
    const uint8_t payload[] = "counter-based TEKs";
    uint8_t good[TEKHO_PDU_MAX_LEN], pdu[TEKHO_PDU_MAX_LEN + 8];
    for (int crc = 0; crc <= 1; crc++) {
        const size_t n = seal(key, TEKHO_DIR_UL, 7, crc, payload, sizeof payload, good);
        CHECK(n == sizeof payload + TEKHO_PDU_OVERHEAD + (crc ? 4u : 0u));
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, good, n), TEKHO_OK);

        /* truncated: fewer bytes than a header */
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, good, 5), TEKHO_ERR_TRUNCATED);
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, good, 0), TEKHO_ERR_TRUNCATED);
        /* truncated: LEN says more than was received */
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, good, n - 1), TEKHO_ERR_TRUNCATED);
        /* length mismatch: more bytes than LEN */
        memcpy(pdu, good, n);
        pdu[n] = 0;
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n + 1), TEKHO_ERR_LENGTH_MISMATCH);
        /* bad HCS */
        memcpy(pdu, good, n);
        pdu[5] ^= 0x01;
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_HCS);
        memcpy(pdu, good, n);
        pdu[3] ^= 0x01; /* CID changed, HCS not updated */
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_HCS);
        /* HT = 1 is a bandwidth-request header, not a generic one */
        memcpy(pdu, good, n);
        pdu[0] |= 0x80;
        refresh_checks(pdu, n, crc);
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_NOT_GENERIC_HEADER);
        /* EC = 0 */
        memcpy(pdu, good, n);
        pdu[0] &= (uint8_t)~0x40;
        refresh_checks(pdu, n, crc);
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_NOT_ENCRYPTED);
        /* wrong direction bit, both ways */
        CHECK_ERR(try_open(key, TEKHO_DIR_DL, good, n), TEKHO_ERR_WRONG_DIRECTION);
        /* bad ICV: ciphertext, ICV, PN, header (nonce) and key changes */
        const size_t icv_at = n - (crc ? 4u : 0u) - TEKHO_ICV_LEN;
        const size_t at[] = {10, icv_at, icv_at + 7, 6};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            memcpy(pdu, good, n);
            pdu[at[i]] ^= 0x04;
            refresh_checks(pdu, n, crc);
            CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_ICV);
        }
        memcpy(pdu, good, n);
        pdu[4] ^= 0x01; /* CID: the header is bound through the nonce */
        refresh_checks(pdu, n, crc);
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_ICV);
        memcpy(pdu, good, n);
        pdu[1] ^= 0x10; /* EKS */
        refresh_checks(pdu, n, crc);
        CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_ICV);
        CHECK_ERR(try_open(other, TEKHO_DIR_UL, good, n), TEKHO_ERR_BAD_ICV);
        if (crc) {
            /* bad CRC: any bit after the header, or the CRC itself */
            memcpy(pdu, good, n);
            pdu[12] ^= 0x20;
            CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_CRC);
            memcpy(pdu, good, n);
            pdu[n - 1] ^= 0x01;
            CHECK_ERR(try_open(key, TEKHO_DIR_UL, pdu, n), TEKHO_ERR_BAD_CRC);
        }
    }
    /* truncated: a consistent header with no room for PN and ICV */
    for (size_t body = 0; body < TEKHO_PN_LEN + TEKHO_ICV_LEN; body++) {
        memset(pdu, 0, sizeof pdu);
        const struct tekho_gmh gmh = {.ec = true, .len = (uint16_t)(6 + body), .cid = 1};
        CHECK_ERR(tekho_gmh_encode(&gmh, pdu), TEKHO_OK);
        CHECK_ERR(try_open(key, TEKHO_DIR_DL, pdu, 6 + body), TEKHO_ERR_TRUNCATED);
    }
    /* a too-small output buffer is refused before decrypting */
    const size_t n = seal(key, TEKHO_DIR_DL, 1, false, payload, sizeof payload, good);
    uint8_t small[4];
    size_t out_len = 0;
    CHECK_ERR(tekho_pdu_open(key, TEKHO_DIR_DL, good, n, small, sizeof small, &out_len, NULL),
              TEKHO_ERR_BUFFER_TOO_SMALL);
    tekho_pdu_key_free(key);
    tekho_pdu_key_free(other);
}

static void test_seal_errors(void)
{
    struct tekho_pdu_key *key = NULL;
    CHECK_ERR(tekho_pdu_key_new(TEK, &key), TEKHO_OK);
    uint8_t payload[TEKHO_PDU_MAX_LEN] = {0}, out[TEKHO_PDU_MAX_LEN];
    size_t out_len = 0;
    struct tekho_pdu_seal_params p = {.dir = TEKHO_DIR_DL, .pn = 0, .cid = 1};
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, 10, out, sizeof out, &out_len), TEKHO_ERR_PN_INVALID);
    p.pn = TEKHO_PN_COUNTER_MAX + 1;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, 10, out, sizeof out, &out_len), TEKHO_ERR_PN_INVALID);
    p.pn = TEKHO_PN_COUNTER_MAX;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, 10, out, sizeof out, &out_len), TEKHO_OK);
    /* the largest payloads that fit an 11-bit LEN, with and without CRC */
    const size_t max_plain = TEKHO_PDU_MAX_LEN - TEKHO_PDU_OVERHEAD;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, max_plain, out, sizeof out, &out_len), TEKHO_OK);
    CHECK(out_len == TEKHO_PDU_MAX_LEN);
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, max_plain + 1, out, sizeof out, &out_len), TEKHO_ERR_PDU_TOO_LONG);
    p.crc = true;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, max_plain - 4, out, sizeof out, &out_len), TEKHO_OK);
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, max_plain - 3, out, sizeof out, &out_len), TEKHO_ERR_PDU_TOO_LONG);
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, 10, out, 10 + TEKHO_PDU_OVERHEAD + 3, &out_len),
              TEKHO_ERR_BUFFER_TOO_SMALL);
    p.eks = 4;
    CHECK_ERR(tekho_pdu_seal(key, &p, payload, 10, out, sizeof out, &out_len), TEKHO_ERR_INVALID_ARGUMENT);
    p.eks = 0;
    /* An empty payload still carries PN and ICV, and opens to nothing. */
    p.crc = false;
    CHECK_ERR(tekho_pdu_seal(key, &p, NULL, 0, out, sizeof out, &out_len), TEKHO_OK);
    CHECK(out_len == TEKHO_PDU_OVERHEAD);
    uint8_t back[4];
    size_t back_len = 99;
    CHECK_ERR(tekho_pdu_open(key, TEKHO_DIR_DL, out, out_len, back, sizeof back, &back_len, NULL), TEKHO_OK);
    CHECK(back_len == 0);
    tekho_pdu_key_free(key);
}

static void test_direction_bit_on_wire(void)
{
    struct tekho_pdu_key *key = NULL;
    CHECK_ERR(tekho_pdu_key_new(TEK, &key), TEKHO_OK);
    uint8_t pdu[64];
    const uint8_t one = 1;
    seal(key, TEKHO_DIR_UL, 0x01020304, false, &one, 1, pdu);
    /* Little-endian PN with the uplink bit: 04 03 02 81. */
    const uint8_t want_ul[4] = {0x04, 0x03, 0x02, 0x81};
    CHECK_BYTES(pdu + 6, want_ul, 4);
    seal(key, TEKHO_DIR_DL, 0x01020304, false, &one, 1, pdu);
    const uint8_t want_dl[4] = {0x04, 0x03, 0x02, 0x01};
    CHECK_BYTES(pdu + 6, want_dl, 4);
    tekho_pdu_key_free(key);
}

int main(void)
{
    test_check_values();
    test_put_crc_bounds();
    test_wireshark_example();
    test_gmh_fields();
    test_open_errors();
    test_seal_errors();
    test_direction_bit_on_wire();
    return test_summary("test_pdu");
}
