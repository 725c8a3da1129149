/* The testbed's air datagrams (src/daemon/air.h), which the daemons take
 * from anyone: a datagram the decoder accepts is exactly what the encoder
 * writes for what it decoded (the header has no slack: magic, version,
 * reserved and an absent due time are checked, the body is the rest), its
 * fields within their ranges; and a message the encoder accepts decodes to
 * the same fields. The input also serves as a message: its first byte the
 * type, then sender, frame, MS index and due time, the rest the body. */
#include "air.h"
#include "fuzz_common.h"

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && *n > 0; i++, (*p)++, (*n)--)
        v = v << 8 | **p;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = fuzz_exact_copy(data, size);
    if (in == NULL)
        return 0;
    static uint8_t out[TEKHO_AIR_MAX_LEN + 64];
    struct tekho_air_msg m;
    size_t len = 0;
    if (tekho_air_decode(in, size, &m) == TEKHO_OK) {
        FUZZ_ASSERT(size > TEKHO_AIR_HEADER_LEN && size <= TEKHO_AIR_MAX_LEN);
        FUZZ_ASSERT(m.type >= TEKHO_AIR_UL_PDU && m.type <= TEKHO_AIR_BEACON);
        FUZZ_ASSERT(m.body == in + TEKHO_AIR_HEADER_LEN && m.body_len == size - TEKHO_AIR_HEADER_LEN);
        FUZZ_ASSERT(m.due_us == 0 || m.type == TEKHO_AIR_DL_OFFER);
        if (m.type == TEKHO_AIR_DL_OFFER || m.type == TEKHO_AIR_UL_DELIVERED)
            FUZZ_ASSERT(m.body_len == TEKHO_AIR_PAYLOAD_LEN);
        if (m.type == TEKHO_AIR_BEACON)
            FUZZ_ASSERT(m.body_len == 1);
        FUZZ_ASSERT(tekho_air_encode(&m, out, sizeof out, &len) == TEKHO_OK);
        FUZZ_ASSERT(len == size && memcmp(out, in, size) == 0);
        /* one byte short: refused, or (an UL/DL PDU) the same header */
        struct tekho_air_msg shorter;
        if (tekho_air_decode(in, size - 1, &shorter) == TEKHO_OK)
            FUZZ_ASSERT((m.type == TEKHO_AIR_UL_PDU || m.type == TEKHO_AIR_DL_PDU) && shorter.type == m.type &&
                        shorter.body_len == m.body_len - 1);
    }
    /* the input as a message to encode */
    const uint8_t *p = in;
    size_t n = size;
    struct tekho_air_msg e = {.type = (enum tekho_air_type)take(&p, &n, 1)};
    e.sender = (uint16_t)take(&p, &n, 2);
    e.frame = (uint32_t)take(&p, &n, 4);
    e.ms = (uint32_t)take(&p, &n, 4);
    e.due_us = take(&p, &n, 8);
    e.body = p;
    e.body_len = n;
    if (tekho_air_encode(&e, out, sizeof out, &len) == TEKHO_OK) {
        FUZZ_ASSERT(len == TEKHO_AIR_HEADER_LEN + n);
        struct tekho_air_msg d;
        FUZZ_ASSERT(tekho_air_decode(out, len, &d) == TEKHO_OK);
        FUZZ_ASSERT(d.type == e.type && d.sender == e.sender && d.frame == e.frame && d.ms == e.ms &&
                    d.due_us == e.due_us && d.body_len == n && memcmp(d.body, e.body, n) == 0);
    } else {
        FUZZ_ASSERT(e.type < TEKHO_AIR_UL_PDU || e.type > TEKHO_AIR_BEACON || n == 0 || n > TEKHO_AIR_MAX_BODY ||
                    ((e.type == TEKHO_AIR_DL_OFFER || e.type == TEKHO_AIR_UL_DELIVERED) &&
                     n != TEKHO_AIR_PAYLOAD_LEN) ||
                    (e.type == TEKHO_AIR_BEACON && n != 1) || (e.due_us != 0 && e.type != TEKHO_AIR_DL_OFFER));
    }
    free(in);
    return 0;
}
