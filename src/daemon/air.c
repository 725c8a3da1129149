/* The testbed's air link datagrams (air.h). */
#include "air.h"

#include <stdbool.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static bool body_ok(enum tekho_air_type t, size_t len)
{
    if (t == TEKHO_AIR_DL_OFFER || t == TEKHO_AIR_UL_DELIVERED)
        return len == TEKHO_AIR_PAYLOAD_LEN;
    if (t == TEKHO_AIR_BEACON)
        return len == 1;
    return len >= 1 && len <= TEKHO_AIR_MAX_BODY;
}

tekho_err tekho_air_encode(const struct tekho_air_msg *m, uint8_t *out, size_t cap, size_t *len)
{
    if (m == NULL || out == NULL || len == NULL || m->type < TEKHO_AIR_UL_PDU || m->type > TEKHO_AIR_BEACON ||
        m->body == NULL || !body_ok(m->type, m->body_len) || (m->due_us != 0 && m->type != TEKHO_AIR_DL_OFFER))
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (cap < TEKHO_AIR_HEADER_LEN + m->body_len)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    out[0] = 'T';
    out[1] = 'K';
    out[2] = TEKHO_AIR_VERSION;
    out[3] = (uint8_t)m->type;
    put16(out + 4, m->sender);
    put16(out + 6, 0);
    put32(out + 8, m->frame);
    put32(out + 12, m->ms);
    put32(out + 16, (uint32_t)(m->due_us >> 32));
    put32(out + 20, (uint32_t)m->due_us);
    memcpy(out + TEKHO_AIR_HEADER_LEN, m->body, m->body_len);
    *len = TEKHO_AIR_HEADER_LEN + m->body_len;
    return TEKHO_OK;
}

tekho_err tekho_air_decode(const uint8_t *d, size_t len, struct tekho_air_msg *m)
{
    if (d == NULL || m == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (len <= TEKHO_AIR_HEADER_LEN)
        return TEKHO_ERR_TRUNCATED;
    if (d[0] != 'T' || d[1] != 'K' || d[2] != TEKHO_AIR_VERSION || get16(d + 6) != 0 || d[3] < TEKHO_AIR_UL_PDU ||
        d[3] > TEKHO_AIR_BEACON)
        return TEKHO_ERR_BAD_VALUE;
    const enum tekho_air_type type = (enum tekho_air_type)d[3];
    const size_t body_len = len - TEKHO_AIR_HEADER_LEN;
    if (!body_ok(type, body_len))
        return TEKHO_ERR_LENGTH_MISMATCH;
    const uint64_t due = (uint64_t)get32(d + 16) << 32 | get32(d + 20);
    if (due != 0 && type != TEKHO_AIR_DL_OFFER)
        return TEKHO_ERR_BAD_VALUE;
    m->type = type;
    m->sender = get16(d + 4);
    m->frame = get32(d + 8);
    m->ms = get32(d + 12);
    m->due_us = due;
    m->body = d + TEKHO_AIR_HEADER_LEN;
    m->body_len = body_len;
    return TEKHO_OK;
}

const char *tekho_air_type_name(enum tekho_air_type t)
{
    switch (t) {
    case TEKHO_AIR_UL_PDU: return "UL_PDU";
    case TEKHO_AIR_DL_PDU: return "DL_PDU";
    case TEKHO_AIR_DL_OFFER: return "DL_OFFER";
    case TEKHO_AIR_UL_DELIVERED: return "UL_DELIVERED";
    case TEKHO_AIR_BEACON: return "BEACON";
    }
    return "?";
}
