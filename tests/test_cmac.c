/* CMAC tuple and CMAC-Digest: values, encodings, verification and CMAC_PN replay. */
#include <string.h>

#include "tekho/tekho.h"
#include "test_util.h"

static void test_verify(void)
{
    /* CMAC_KEY_U and AKID of the vendor vector (profile section 9). */
    uint8_t key[16], akid[8], value[8];
    hex_to_bytes("f6eed12d93c37271bdb384449cb62467", key, 16);
    hex_to_bytes("3b7e354a44b25806", akid, 8);
    uint8_t msg[] = {0x04, 0x00, 0x0d, 0x02, 0x00, 0x01}; /* RNG-REQ | rsv | CMAC_KEY_COUNT 1 */
    CHECK_ERR(tekho_cmac_value(key, akid, 7, 0x2b, msg, sizeof msg, value), TEKHO_OK);
    CHECK_ERR(tekho_cmac_verify(key, akid, 7, 0x2b, msg, sizeof msg, value), TEKHO_OK);
    /* Everything covered changes the value: PN, CID, message, AKID, key. */
    CHECK_ERR(tekho_cmac_verify(key, akid, 8, 0x2b, msg, sizeof msg, value), TEKHO_ERR_BAD_CMAC);
    CHECK_ERR(tekho_cmac_verify(key, akid, 7, 0x2c, msg, sizeof msg, value), TEKHO_ERR_BAD_CMAC);
    msg[5] = 2;
    CHECK_ERR(tekho_cmac_verify(key, akid, 7, 0x2b, msg, sizeof msg, value), TEKHO_ERR_BAD_CMAC);
    msg[5] = 1;
    akid[0] ^= 1;
    CHECK_ERR(tekho_cmac_verify(key, akid, 7, 0x2b, msg, sizeof msg, value), TEKHO_ERR_BAD_CMAC);
    akid[0] ^= 1;
    key[15] ^= 1;
    CHECK_ERR(tekho_cmac_verify(key, akid, 7, 0x2b, msg, sizeof msg, value), TEKHO_ERR_BAD_CMAC);
}

static void test_tuple(void)
{
    struct tekho_cmac_tuple t = {.key_seq = 5, .cmac_pn = 0x01020304, .value = {1, 2, 3, 4, 5, 6, 7, 8}};
    uint8_t buf[32];
    size_t len = 0;
    CHECK_ERR(tekho_cmac_tuple_encode(&t, buf, sizeof buf, &len), TEKHO_OK);
    const uint8_t want13[] = {0x05, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(len == 13);
    CHECK_BYTES(buf, want13, 13);
    struct tekho_cmac_tuple back;
    CHECK_ERR(tekho_cmac_tuple_decode(buf, len, &back), TEKHO_OK);
    CHECK(back.key_seq == 5 && !back.has_bsid && back.cmac_pn == 0x01020304 && memcmp(back.value, t.value, 8) == 0);
    t.has_bsid = true;
    memcpy(t.bsid, "\x00\x00\x00\x00\x00\x05", 6);
    CHECK_ERR(tekho_cmac_tuple_encode(&t, buf, sizeof buf, &len), TEKHO_OK);
    CHECK(len == 19 && buf[6] == 0x05 && buf[7] == 1);
    CHECK_ERR(tekho_cmac_tuple_decode(buf, len, &back), TEKHO_OK);
    CHECK(back.has_bsid && back.bsid[5] == 5 && back.cmac_pn == 0x01020304);
    CHECK_ERR(tekho_cmac_tuple_encode(&t, buf, 18, &len), TEKHO_ERR_BUFFER_TOO_SMALL);
    t.key_seq = 16;
    CHECK_ERR(tekho_cmac_tuple_encode(&t, buf, sizeof buf, &len), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_cmac_tuple_decode(buf, 12, &back), TEKHO_ERR_TRUNCATED);
    CHECK_ERR(tekho_cmac_tuple_decode(buf, 14, &back), TEKHO_ERR_LENGTH_MISMATCH);
    CHECK_ERR(tekho_cmac_tuple_decode(buf, 20, &back), TEKHO_ERR_LENGTH_MISMATCH);
}

static void test_digest_and_pn(void)
{
    struct tekho_cmac_digest d = {.cmac_pn = 0xA0B0C0D0, .value = {9, 9, 9, 9, 9, 9, 9, 1}};
    uint8_t buf[12];
    CHECK_ERR(tekho_cmac_digest_encode(&d, buf), TEKHO_OK);
    CHECK(buf[0] == 0xA0 && buf[3] == 0xD0 && buf[11] == 1);
    struct tekho_cmac_digest back;
    CHECK_ERR(tekho_cmac_digest_decode(buf, 12, &back), TEKHO_OK);
    CHECK(back.cmac_pn == d.cmac_pn && memcmp(back.value, d.value, 8) == 0);
    CHECK_ERR(tekho_cmac_digest_decode(buf, 11, &back), TEKHO_ERR_TRUNCATED);
    CHECK_ERR(tekho_cmac_digest_decode(buf, 13, &back), TEKHO_ERR_LENGTH_MISMATCH);

    struct tekho_cmac_pn_rx rx = {0};
    CHECK_ERR(tekho_cmac_pn_check(&rx, 0), TEKHO_OK); /* the first message may carry PN 0 */
    tekho_cmac_pn_accept(&rx, 0);
    CHECK_ERR(tekho_cmac_pn_check(&rx, 0), TEKHO_ERR_CMAC_PN_REPLAYED);
    CHECK_ERR(tekho_cmac_pn_check(&rx, 1), TEKHO_OK);
    tekho_cmac_pn_accept(&rx, 10);
    CHECK_ERR(tekho_cmac_pn_check(&rx, 9), TEKHO_ERR_CMAC_PN_REPLAYED);
    tekho_cmac_pn_accept(&rx, 9); /* a refused PN does not move the counter */
    CHECK(rx.last == 10);
}

int main(void)
{
    test_verify();
    test_tuple();
    test_digest_and_pn();
    return test_summary("test_cmac");
}
