/* The testbed's air datagrams (src/daemon/air.h): a datagram of each type
 * byte for byte as the header comment lays it out, decoded back; every
 * header field out of range refused with its error and the output left as
 * it was; bodies of every wrong length; and the encoder refusing what the
 * decoder would refuse (a due time on a type other than DL_OFFER: it wrote
 * one before). fuzz/fuzz_air.c fuzzes the same two functions. */
#include <stdbool.h>
#include <string.h>

#include "air.h"
#include "test_util.h"

static const uint8_t PAYLOAD[TEKHO_AIR_PAYLOAD_LEN] = {'T', 'K', 'H', 'O', 0, 0, 0, 7, 1, 0, 0, 1, 2};

/* Every type once, against bytes written by hand. */
static void test_layout(void)
{
    static const uint8_t pdu[3] = {0xaa, 0xbb, 0xcc};
    uint8_t d[TEKHO_AIR_MAX_LEN];
    size_t len = 0;
    const struct tekho_air_msg ul = {.type = TEKHO_AIR_UL_PDU, .sender = 0, .frame = 0x01020304, .ms = 0x0a0b0c0d,
                                     .body = pdu, .body_len = sizeof pdu};
    CHECK_ERR(tekho_air_encode(&ul, d, sizeof d, &len), TEKHO_OK);
    uint8_t want[TEKHO_AIR_HEADER_LEN + 3];
    CHECK(test_hex("544b0201" "00000000" "01020304" "0a0b0c0d" "0000000000000000" "aabbcc", want, sizeof want) ==
          sizeof want);
    CHECK(len == sizeof want);
    CHECK_BYTES(d, want, sizeof want);

    const struct tekho_air_msg offer = {.type = TEKHO_AIR_DL_OFFER, .frame = 9, .ms = 7,
                                        .due_us = 0x1122334455667788u, .body = PAYLOAD, .body_len = sizeof PAYLOAD};
    CHECK_ERR(tekho_air_encode(&offer, d, sizeof d, &len), TEKHO_OK);
    CHECK(len == TEKHO_AIR_HEADER_LEN + TEKHO_AIR_PAYLOAD_LEN);
    uint8_t head[TEKHO_AIR_HEADER_LEN];
    CHECK(test_hex("544b0203" "00000000" "00000009" "00000007" "1122334455667788", head, sizeof head) == sizeof head);
    CHECK_BYTES(d, head, sizeof head);

    /* each type decodes to what was encoded */
    static const uint8_t zero = 0;
    const struct tekho_air_msg all[] = {
        ul,
        {.type = TEKHO_AIR_DL_PDU, .sender = 3, .frame = 1, .ms = 19, .body = pdu, .body_len = 1},
        offer,
        {.type = TEKHO_AIR_UL_DELIVERED, .sender = 65535, .frame = 0xffffffff, .ms = 0, .body = PAYLOAD,
         .body_len = sizeof PAYLOAD},
        {.type = TEKHO_AIR_BEACON, .sender = 2, .frame = 5, .body = &zero, .body_len = 1},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        struct tekho_air_msg m;
        CHECK_ERR(tekho_air_encode(&all[i], d, sizeof d, &len), TEKHO_OK);
        CHECK_ERR(tekho_air_decode(d, len, &m), TEKHO_OK);
        CHECK(m.type == all[i].type && m.sender == all[i].sender && m.frame == all[i].frame && m.ms == all[i].ms &&
              m.due_us == all[i].due_us && m.body == d + TEKHO_AIR_HEADER_LEN && m.body_len == all[i].body_len &&
              memcmp(m.body, all[i].body, m.body_len) == 0);
    }
    /* the longest body, and one byte more */
    static uint8_t big[TEKHO_AIR_MAX_BODY + 1];
    struct tekho_air_msg m = {.type = TEKHO_AIR_DL_PDU, .sender = 1, .body = big, .body_len = TEKHO_AIR_MAX_BODY};
    CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len), TEKHO_OK);
    CHECK(len == TEKHO_AIR_MAX_LEN);
    CHECK_ERR(tekho_air_encode(&m, d, sizeof d - 1, &len), TEKHO_ERR_BUFFER_TOO_SMALL);
    m.body_len++;
    CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len), TEKHO_ERR_INVALID_ARGUMENT);
}

/* A valid BEACON datagram with one change: refused with want, m untouched. */
static void refused(int line, const uint8_t *d, size_t len, tekho_err want)
{
    struct tekho_air_msg m, before;
    memset(&m, 0x5a, sizeof m);
    memcpy(&before, &m, sizeof m);
    const tekho_err got = tekho_air_decode(d, len, &m);
    if (got != want || memcmp(&m, &before, sizeof m) != 0) {
        fprintf(stderr, "FAIL line %d: %d (%s), want %d (%s), output %s\n", line, got, tekho_strerror(got), want,
                tekho_strerror(want), memcmp(&m, &before, sizeof m) ? "changed" : "untouched");
        test_failures++;
    }
}

static void test_refused(void)
{
    static const uint8_t zero = 0;
    const struct tekho_air_msg beacon = {.type = TEKHO_AIR_BEACON, .sender = 1, .body = &zero, .body_len = 1};
    uint8_t good[TEKHO_AIR_MAX_LEN + 8], d[sizeof good];
    size_t len = 0;
    CHECK_ERR(tekho_air_encode(&beacon, good, sizeof good, &len), TEKHO_OK);
    CHECK(len == TEKHO_AIR_HEADER_LEN + 1);
#define CHANGED(at, value, want)          \
    do {                                  \
        memcpy(d, good, len);             \
        d[at] = (uint8_t)(value);         \
        refused(__LINE__, d, len, want);  \
    } while (0)
    CHANGED(0, 'X', TEKHO_ERR_BAD_VALUE); /* magic */
    CHANGED(1, 'k', TEKHO_ERR_BAD_VALUE);
    CHANGED(2, 0, TEKHO_ERR_BAD_VALUE); /* version */
    CHANGED(2, 1, TEKHO_ERR_BAD_VALUE); /* version 1: frames on each machine's own monotonic clock */
    CHANGED(2, 3, TEKHO_ERR_BAD_VALUE);
    CHANGED(3, 0, TEKHO_ERR_BAD_VALUE); /* type */
    CHANGED(3, 6, TEKHO_ERR_BAD_VALUE);
    CHANGED(3, 255, TEKHO_ERR_BAD_VALUE);
    CHANGED(6, 1, TEKHO_ERR_BAD_VALUE); /* reserved */
    CHANGED(7, 0x80, TEKHO_ERR_BAD_VALUE);
    for (int at = 16; at < 24; at++)
        CHANGED(at, 1, TEKHO_ERR_BAD_VALUE); /* a due time on a BEACON */
    CHANGED(3, TEKHO_AIR_UL_DELIVERED, TEKHO_ERR_LENGTH_MISMATCH); /* a 1-byte payload */
    CHANGED(3, TEKHO_AIR_DL_OFFER, TEKHO_ERR_LENGTH_MISMATCH);
#undef CHANGED
    /* no body, no header */
    for (size_t n = 0; n <= TEKHO_AIR_HEADER_LEN; n++)
        refused(__LINE__, good, n, TEKHO_ERR_TRUNCATED);
    refused(__LINE__, NULL, 30, TEKHO_ERR_INVALID_ARGUMENT);
    /* a BEACON of 2 bytes; payloads of every other length; an over-long PDU */
    memset(d, 0, sizeof d);
    memcpy(d, good, TEKHO_AIR_HEADER_LEN);
    refused(__LINE__, d, TEKHO_AIR_HEADER_LEN + 2, TEKHO_ERR_LENGTH_MISMATCH);
    for (uint8_t t = TEKHO_AIR_DL_OFFER; t <= TEKHO_AIR_UL_DELIVERED; t++) {
        d[3] = t;
        for (size_t n = TEKHO_AIR_HEADER_LEN + 1; n < sizeof d; n++)
            if (n != TEKHO_AIR_HEADER_LEN + TEKHO_AIR_PAYLOAD_LEN)
                refused(__LINE__, d, n, TEKHO_ERR_LENGTH_MISMATCH);
    }
    d[3] = TEKHO_AIR_UL_PDU;
    refused(__LINE__, d, TEKHO_AIR_MAX_LEN + 1, TEKHO_ERR_LENGTH_MISMATCH);
}

/* What the decoder refuses, the encoder refuses to write. */
static void test_encoder_refuses(void)
{
    uint8_t d[TEKHO_AIR_MAX_LEN];
    size_t len = 0;
    static const uint8_t two[2] = {0};
    for (int t = TEKHO_AIR_UL_PDU; t <= TEKHO_AIR_BEACON; t++) {
        const bool payload = t == TEKHO_AIR_DL_OFFER || t == TEKHO_AIR_UL_DELIVERED;
        struct tekho_air_msg m = {.type = (enum tekho_air_type)t, .due_us = 1, .body = payload ? PAYLOAD : two,
                                  .body_len = payload ? TEKHO_AIR_PAYLOAD_LEN : 1};
        CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len), t == TEKHO_AIR_DL_OFFER ? TEKHO_OK
                                                                                    : TEKHO_ERR_INVALID_ARGUMENT);
        m.due_us = 0;
        CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len), TEKHO_OK);
        m.body_len = payload ? 1 : 0;
        CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len), TEKHO_ERR_INVALID_ARGUMENT);
        m.body_len = 2;
        CHECK_ERR(tekho_air_encode(&m, d, sizeof d, &len),
                  t == TEKHO_AIR_UL_PDU || t == TEKHO_AIR_DL_PDU ? TEKHO_OK : TEKHO_ERR_INVALID_ARGUMENT);
    }
    const struct tekho_air_msg bad_type = {.type = (enum tekho_air_type)6, .body = two, .body_len = 1};
    CHECK_ERR(tekho_air_encode(&bad_type, d, sizeof d, &len), TEKHO_ERR_INVALID_ARGUMENT);
    const struct tekho_air_msg no_body = {.type = TEKHO_AIR_UL_PDU, .body_len = 1};
    CHECK_ERR(tekho_air_encode(&no_body, d, sizeof d, &len), TEKHO_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    test_layout();
    test_refused();
    test_encoder_refuses();
    return test_summary("test_air");
}
