/* IEEE 802.16-2009 11.1 TLV encoding; wire.h. */
#include "tekho/wire.h"

#include <string.h>

void tekho_wbuf_init(struct tekho_wbuf *w, uint8_t *data, size_t cap)
{
    w->data = data;
    w->cap = data ? cap : 0;
    w->len = 0;
    w->err = TEKHO_OK;
}

static uint8_t *reserve(struct tekho_wbuf *w, size_t n)
{
    if (w->err != TEKHO_OK)
        return NULL;
    if (n > w->cap - w->len) {
        w->err = TEKHO_ERR_BUFFER_TOO_SMALL;
        return NULL;
    }
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
}

void tekho_wbuf_u8(struct tekho_wbuf *w, uint8_t v)
{
    uint8_t *p = reserve(w, 1);
    if (p)
        p[0] = v;
}

void tekho_wbuf_u16(struct tekho_wbuf *w, uint16_t v)
{
    uint8_t *p = reserve(w, 2);
    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

void tekho_wbuf_u24(struct tekho_wbuf *w, uint32_t v)
{
    uint8_t *p = reserve(w, 3);
    if (p) {
        p[0] = (uint8_t)(v >> 16);
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
    }
}

void tekho_wbuf_u32(struct tekho_wbuf *w, uint32_t v)
{
    uint8_t *p = reserve(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

void tekho_wbuf_bytes(struct tekho_wbuf *w, const uint8_t *src, size_t n)
{
    uint8_t *p = reserve(w, n);
    if (p && n)
        memcpy(p, src, n);
}

/* Bytes the length field takes for a value of len bytes. */
static size_t length_field_size(size_t len)
{
    if (len < 0x80)
        return 1;
    size_t n = 0;
    for (size_t v = len; v; v >>= 8)
        n++;
    return 1 + n;
}

static void put_length(uint8_t *p, size_t len)
{
    size_t size = length_field_size(len);
    if (size == 1) {
        p[0] = (uint8_t)len;
        return;
    }
    p[0] = (uint8_t)(0x80 | (size - 1));
    for (size_t i = 1; i < size; i++)
        p[i] = (uint8_t)(len >> (8 * (size - 1 - i)));
}

void tekho_wbuf_tlv(struct tekho_wbuf *w, uint8_t type, const uint8_t *value, size_t len)
{
    if (w->err == TEKHO_OK && len == 0)
        w->err = TEKHO_ERR_TLV_ZERO_LENGTH;
    uint8_t *p = reserve(w, 1 + length_field_size(len) + len);
    if (!p)
        return;
    p[0] = type;
    put_length(p + 1, len);
    memcpy(p + 1 + length_field_size(len), value, len);
}

void tekho_wbuf_tlv_u8(struct tekho_wbuf *w, uint8_t type, uint8_t v)
{
    tekho_wbuf_tlv(w, type, &v, 1);
}

void tekho_wbuf_tlv_u16(struct tekho_wbuf *w, uint8_t type, uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    tekho_wbuf_tlv(w, type, b, 2);
}

void tekho_wbuf_tlv_u32(struct tekho_wbuf *w, uint8_t type, uint32_t v)
{
    const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    tekho_wbuf_tlv(w, type, b, 4);
}

size_t tekho_wbuf_tlv_begin(struct tekho_wbuf *w, uint8_t type)
{
    size_t mark = w->len;
    uint8_t *p = reserve(w, 2);
    if (p) {
        p[0] = type;
        p[1] = 0;
    }
    return mark;
}

void tekho_wbuf_tlv_end(struct tekho_wbuf *w, size_t mark)
{
    if (w->err != TEKHO_OK)
        return;
    const size_t value_len = w->len - mark - 2;
    if (value_len == 0) {
        w->err = TEKHO_ERR_TLV_ZERO_LENGTH;
        return;
    }
    const size_t extra = length_field_size(value_len) - 1;
    if (extra && !reserve(w, extra))
        return;
    uint8_t *value = w->data + mark + 2;
    memmove(value + extra, value, value_len);
    put_length(w->data + mark + 1, value_len);
}

void tekho_tlv_reader_init(struct tekho_tlv_reader *r, const uint8_t *data, size_t len)
{
    r->data = data;
    r->len = data ? len : 0;
    r->at = 0;
}

tekho_err tekho_tlv_next(struct tekho_tlv_reader *r, struct tekho_tlv *out, bool *got)
{
    *got = false;
    if (r->at >= r->len)
        return TEKHO_OK;
    const size_t start = r->at;
    const size_t left = r->len - start;
    if (left < 2)
        return TEKHO_ERR_TRUNCATED;
    const uint8_t first = r->data[start + 1];
    size_t len = first;
    size_t header = 2;
    if (first & 0x80) {
        const size_t n = first & 0x7F;
        if (n == 0 || n > 4)
            return TEKHO_ERR_TLV_BAD_LENGTH;
        if (left < 2 + n)
            return TEKHO_ERR_TRUNCATED;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | r->data[start + 2 + i];
        header += n;
    }
    if (len == 0)
        return TEKHO_ERR_TLV_ZERO_LENGTH;
    if (len > left - header)
        return TEKHO_ERR_TLV_OVERRUN;
    out->type = r->data[start];
    out->value = r->data + start + header;
    out->len = len;
    out->offset = start;
    r->at = start + header + len;
    *got = true;
    return TEKHO_OK;
}

tekho_err tekho_tlv_u8(const struct tekho_tlv *t, uint8_t *v)
{
    if (t->len != 1)
        return TEKHO_ERR_WRONG_WIDTH;
    *v = t->value[0];
    return TEKHO_OK;
}

tekho_err tekho_tlv_u16(const struct tekho_tlv *t, uint16_t *v)
{
    if (t->len != 2)
        return TEKHO_ERR_WRONG_WIDTH;
    *v = tekho_be16(t->value);
    return TEKHO_OK;
}

tekho_err tekho_tlv_u32(const struct tekho_tlv *t, uint32_t *v)
{
    if (t->len != 4)
        return TEKHO_ERR_WRONG_WIDTH;
    *v = tekho_be32(t->value);
    return TEKHO_OK;
}

tekho_err tekho_tlv_fixed(const struct tekho_tlv *t, uint8_t *out, size_t n)
{
    if (t->len != n)
        return TEKHO_ERR_WRONG_WIDTH;
    memcpy(out, t->value, n);
    return TEKHO_OK;
}

tekho_err tekho_tlv_seen_once(struct tekho_tlv_seen *seen, uint8_t type)
{
    const uint64_t bit = (uint64_t)1 << (type % 64);
    if (seen->bits[type / 64] & bit)
        return TEKHO_ERR_DUPLICATE_TLV;
    seen->bits[type / 64] |= bit;
    return TEKHO_OK;
}

uint16_t tekho_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t tekho_be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

uint32_t tekho_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void tekho_tlv_walk_init(struct tekho_tlv_walk *wk, const uint8_t *msg, size_t len, size_t header, uint8_t cmac_type,
                         const uint8_t *single, size_t n_single)
{
    memset(wk, 0, sizeof *wk);
    /* A message shorter than its header, or bytes without a pointer, is
     * refused here: the walk then returns nothing and wk->err says why. */
    if (msg == NULL && len != 0)
        wk->err = TEKHO_ERR_INVALID_ARGUMENT;
    else if (header > len)
        wk->err = TEKHO_ERR_TRUNCATED;
    if (wk->err == TEKHO_OK && msg != NULL)
        tekho_tlv_reader_init(&wk->reader, msg + header, len - header);
    else
        tekho_tlv_reader_init(&wk->reader, NULL, 0);
    wk->base = header;
    wk->cmac_type = cmac_type;
    wk->single = single;
    wk->n_single = n_single;
}

static tekho_err walk_next(struct tekho_tlv_walk *wk, struct tekho_tlv *t, bool *got)
{
    *got = false;
    /* Any byte after the CMAC is outside what it covers (profile 7). */
    if (wk->after_cmac && wk->reader.at < wk->reader.len)
        return TEKHO_ERR_CMAC_NOT_LAST;
    tekho_err err = tekho_tlv_next(&wk->reader, t, got);
    if (err != TEKHO_OK || !*got)
        return err;
    if (wk->cmac_type != 0 && t->type == wk->cmac_type)
        wk->after_cmac = true;
    t->offset += wk->base;
    for (size_t i = 0; i < wk->n_single; i++)
        if (wk->single[i] == t->type)
            return tekho_tlv_seen_once(&wk->seen, t->type);
    return TEKHO_OK;
}

bool tekho_tlv_walk_more(struct tekho_tlv_walk *wk, struct tekho_tlv *t)
{
    if (wk->err != TEKHO_OK)
        return false;
    bool got = false;
    wk->err = walk_next(wk, t, &got);
    return wk->err == TEKHO_OK && got;
}
