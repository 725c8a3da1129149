/* Small helpers shared by the C tests: checks that count failures, hex
 * conversion, and a reader for the committed vector files. */
#ifndef TEKHO_TEST_UTIL_H
#define TEKHO_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tekho/error.h"

extern int test_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
            test_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_ERR(expr, want)                                                    \
    do {                                                                         \
        int got_ = (int)(expr);                                                  \
        if (got_ != (int)(want)) {                                               \
            fprintf(stderr, "FAIL %s:%d: %s = %d (%s), want %d (%s)\n", __FILE__, \
                    __LINE__, #expr, got_, tekho_strerror((tekho_err)got_),      \
                    (int)(want), tekho_strerror((tekho_err)(want)));             \
            test_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_BYTES(got, want, len)                                              \
    check_bytes_at(__FILE__, __LINE__, #got, (got), (want), (len))

void check_bytes_at(const char *file, int line, const char *what, const uint8_t *got,
                    const uint8_t *want, size_t len);

/* Decodes hex ('-' means empty) into out; returns the byte count, or
 * (size_t)-1 if it does not fit or is not hex. */
size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap);
/* A decoder under test, its output type hidden: each test wraps its own
 * typed decoder in one of these. */
typedef tekho_err (*test_decoder)(const uint8_t *in, size_t len, void *out);
/* Decodes from an exact-size heap copy so that ASan sees any read past the
 * input; returns the decoder's error. */
tekho_err test_decode_exact(test_decoder decode, const uint8_t *in, size_t len, void *out);
/* Decodes the hex h and wants error want, with the out_size bytes of the
 * output left as they were (a decoder changes nothing when it rejects). */
void test_expect_decode_err(int line, test_decoder decode, size_t out_size, const char *h, tekho_err want);

/* hex_to_bytes for a test's own literals: bad hex counts as a failure
 * (and is printed), and gives 0 bytes. */
size_t test_hex(const char *hex, uint8_t *out, size_t cap);

/* Vector files: '#' comments, then space-separated fields per line. */
#define VEC_MAX_FIELDS 16
struct vec_line {
    char *field[VEC_MAX_FIELDS];
    int n_fields;
    int line_no;
};
struct vec_file {
    FILE *f;
    char *buf;
    size_t cap;
    int line_no;
};
int vec_open(struct vec_file *vf, const char *name); /* name relative to TEKHO_VECTOR_DIR */
int vec_next(struct vec_file *vf, struct vec_line *line); /* 1 = got a line, 0 = end */
void vec_close(struct vec_file *vf);

int test_summary(const char *name);

/* A backbone message from BS node to the Authenticator about the MS of
 * mac, transaction txn: a Context_Req for purpose (0: none) or a
 * HO_Complete reporting count. Its actions in acts (reset first). */
struct tekho_auth;
struct tekho_actions;
tekho_err test_bs_to_auth(struct tekho_auth *auth, uint32_t node, int msg, const uint8_t mac[6], uint32_t purpose,
                          uint16_t count, uint16_t txn, struct tekho_actions *acts);

#endif
