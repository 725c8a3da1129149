/* Wire-format building blocks shared by every message codec: a bounded
 * output buffer, the IEEE 802.16 TLV encoding (11.1: type u8; length one
 * byte below 0x80, else 0x80|n and n big-endian bytes; a length of 0 is
 * invalid) and fixed-width value readers. Decoders take untrusted bytes:
 * they never read past their input and reject with a named error. */
#ifndef TEKHO_WIRE_H
#define TEKHO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- output ---------------------------------------------------------- */

/* Writes stop at the first overflow: err becomes TEKHO_ERR_BUFFER_TOO_SMALL
 * and later writes do nothing, so an encoder checks err once at the end.
 * The functions of this header check no pointer: the caller passes valid
 * ones (a NULL data with cap 0 is valid). */
struct tekho_wbuf {
    uint8_t *data;
    size_t cap;
    size_t len;
    tekho_err err;
};

/* An empty buffer over data[0 .. cap), which must outlive w. */
TEKHO_API void tekho_wbuf_init(struct tekho_wbuf *w, uint8_t *data, size_t cap);
/* Append one value (big-endian; u24 writes the low 24 bits of v) or n bytes. */
TEKHO_API void tekho_wbuf_u8(struct tekho_wbuf *w, uint8_t v);
TEKHO_API void tekho_wbuf_u16(struct tekho_wbuf *w, uint16_t v);      /* big-endian */
TEKHO_API void tekho_wbuf_u24(struct tekho_wbuf *w, uint32_t v);
TEKHO_API void tekho_wbuf_u32(struct tekho_wbuf *w, uint32_t v);
TEKHO_API void tekho_wbuf_bytes(struct tekho_wbuf *w, const uint8_t *p, size_t n);

/* 802.16 TLVs: type, length, value (the _uN forms: a big-endian value of
 * that width). A zero-length value is refused (TEKHO_ERR_TLV_ZERO_LENGTH,
 * in w->err). */
TEKHO_API void tekho_wbuf_tlv(struct tekho_wbuf *w, uint8_t type, const uint8_t *value, size_t len);
TEKHO_API void tekho_wbuf_tlv_u8(struct tekho_wbuf *w, uint8_t type, uint8_t v);
TEKHO_API void tekho_wbuf_tlv_u16(struct tekho_wbuf *w, uint8_t type, uint16_t v);
TEKHO_API void tekho_wbuf_tlv_u32(struct tekho_wbuf *w, uint8_t type, uint32_t v);
/* Compound TLVs: begin returns a mark; end fixes the length, widening the
 * length field (and moving the value) when it reaches 0x80. Nothing
 * between them is a TLV_ZERO_LENGTH error at end; an overflow anywhere is
 * TEKHO_ERR_BUFFER_TOO_SMALL in w->err. */
TEKHO_API size_t tekho_wbuf_tlv_begin(struct tekho_wbuf *w, uint8_t type);
TEKHO_API void tekho_wbuf_tlv_end(struct tekho_wbuf *w, size_t mark);

/* ---- input ----------------------------------------------------------- */

struct tekho_tlv {
    uint8_t type;
    const uint8_t *value;
    size_t len;
    size_t offset;       /* of the type byte, from the start of the reader */
};

struct tekho_tlv_reader {
    const uint8_t *data;
    size_t len;
    size_t at;
};

/* A reader over data[0 .. len), which must outlive it and the TLVs it returns. */
TEKHO_API void tekho_tlv_reader_init(struct tekho_tlv_reader *r, const uint8_t *data, size_t len);
/* The next TLV into *out (its value points into the reader's data) with
 * *got true; *got is false at the end of the input. Errors:
 * TEKHO_ERR_TRUNCATED (no room for the length), TEKHO_ERR_TLV_BAD_LENGTH,
 * TEKHO_ERR_TLV_ZERO_LENGTH, TEKHO_ERR_TLV_OVERRUN. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_next(struct tekho_tlv_reader *r, struct tekho_tlv *out, bool *got);

/* Fixed-width values (big-endian; fixed copies n bytes to out):
 * TEKHO_ERR_WRONG_WIDTH, *v untouched, unless the TLV has exactly that size. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_u8(const struct tekho_tlv *t, uint8_t *v);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_u16(const struct tekho_tlv *t, uint16_t *v);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_u32(const struct tekho_tlv *t, uint32_t *v);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_fixed(const struct tekho_tlv *t, uint8_t *out, size_t n);

/* Duplicate detection for single-instance TLVs of one message level. */
struct tekho_tlv_seen {
    uint64_t bits[4];
};
/* TEKHO_ERR_DUPLICATE_TLV if type was already marked; marks it otherwise. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tlv_seen_once(struct tekho_tlv_seen *seen, uint8_t type);

/* The walk over a message's TLVs with the rules every management message
 * shares: no duplicate among the message's single-instance types (a table
 * per message; unknown types are skipped, never refused as duplicates),
 * and nothing at all after the CMAC Tuple (TLV 141) or CMAC-Digest
 * (attribute 40). Offsets in the TLVs it returns count from the message
 * start. */
struct tekho_tlv_walk {
    struct tekho_tlv_reader reader;
    struct tekho_tlv_seen seen;
    const uint8_t *single;     /* the single-instance types */
    size_t n_single;
    uint8_t cmac_type;         /* 141, 40, or 0 for none */
    bool after_cmac;
    size_t base;               /* offset of the TLVs within the message */
    tekho_err err;             /* why the walk stopped: TEKHO_OK at the end */
};

/* TLVs start at msg + header. A message shorter than header (len <
 * header) leaves wk->err at TEKHO_ERR_TRUNCATED, and msg NULL with len > 0
 * at TEKHO_ERR_INVALID_ARGUMENT: the walk then returns no TLV. */
TEKHO_API void tekho_tlv_walk_init(struct tekho_tlv_walk *wk, const uint8_t *msg, size_t len, size_t header,
                                   uint8_t cmac_type, const uint8_t *single, size_t n_single);
/* The next TLV into *t; false at the end or on an error, which stays in
 * wk->err: those of tekho_tlv_next, plus TEKHO_ERR_DUPLICATE_TLV and
 * TEKHO_ERR_CMAC_NOT_LAST. So a decoder reads
 *     while (tekho_tlv_walk_more(&wk, &t)) { ... }
 *     if (wk.err != TEKHO_OK) return wk.err; */
TEKHO_API bool tekho_tlv_walk_more(struct tekho_tlv_walk *wk, struct tekho_tlv *t);

/* Big-endian readers over 2, 3 or 4 bytes the caller has bounds-checked. */
TEKHO_API uint16_t tekho_be16(const uint8_t *p);
TEKHO_API uint32_t tekho_be24(const uint8_t *p);
TEKHO_API uint32_t tekho_be32(const uint8_t *p);

#ifdef __cplusplus
}
#endif
#endif
