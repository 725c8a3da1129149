/* Cross-check against an independent implementation: every row of the
 * vector files was produced by tests/vectors/gen_vectors.py with Python's
 * `cryptography` package (see tests/vectors/README.md). */
#include <stdlib.h>
#include <string.h>

#include "tekho/tekho.h"
#include "test_util.h"

#define MAX_BYTES 4096

static uint8_t *field_bytes(const struct vec_line *l, int i, size_t *len)
{
    static uint8_t bufs[VEC_MAX_FIELDS][MAX_BYTES];
    size_t n = hex_to_bytes(l->field[i], bufs[i], MAX_BYTES);
    if (n == (size_t)-1) {
        fprintf(stderr, "FAIL line %d field %d: bad hex\n", l->line_no, i);
        test_failures++;
        n = 0;
    }
    if (len)
        *len = n;
    return bufs[i];
}

static unsigned long field_num(const struct vec_line *l, int i)
{
    return strtoul(l->field[i], NULL, 10);
}

static int rows_checked(const char *file, int rows, int want_at_least)
{
    if (rows < want_at_least) {
        fprintf(stderr, "FAIL %s: only %d rows (want >= %d)\n", file, rows, want_at_least);
        test_failures++;
    }
    return rows;
}

#define ROW_CHECK(l, cond)                                                                    \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "FAIL %s:%d: vector line %d: %s\n", __FILE__, __LINE__, (l)->line_no, \
                    #cond);                                                                   \
            test_failures++;                                                                  \
        }                                                                                     \
    } while (0)

static void check_kdf(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    if (vec_open(&vf, "kdf.txt"))
        return;
    while (vec_next(&vf, &l)) {
        size_t key_len, astring_len, want_len;
        uint8_t *key = field_bytes(&l, 0, &key_len);
        uint8_t *astring = field_bytes(&l, 1, &astring_len);
        unsigned bits = (unsigned)field_num(&l, 2);
        uint8_t *want = field_bytes(&l, 3, &want_len);
        uint8_t got[TEKHO_KDF_MAX_BITS / 8];
        struct tekho_piece piece = {astring, astring_len};
        ROW_CHECK(&l, want_len == bits / 8);
        ROW_CHECK(&l, tekho_dot16kdf(key, key_len, &piece, 1, bits, got) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(got, want, want_len) == 0);
        rows++;
    }
    vec_close(&vf);
    rows_checked("kdf.txt", rows, 1000);
}

static void check_keys(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    if (vec_open(&vf, "keys.txt"))
        return;
    while (vec_next(&vf, &l)) {
        struct tekho_ak_keys ak;
        struct tekho_cmac_keys ck;
        ROW_CHECK(&l, l.n_fields == 13);
        if (l.n_fields != 13)
            continue;
        ROW_CHECK(&l, tekho_derive_from_msk(field_bytes(&l, 0, NULL), field_bytes(&l, 1, NULL),
                                            field_bytes(&l, 2, NULL), (uint8_t)field_num(&l, 4),
                                            &ak) == TEKHO_OK);
        ROW_CHECK(&l, tekho_derive_cmac_keys(&ak, (uint16_t)field_num(&l, 3), &ck) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(ak.pmk, field_bytes(&l, 5, NULL), 20) == 0);
        ROW_CHECK(&l, memcmp(ak.ak, field_bytes(&l, 6, NULL), 20) == 0);
        ROW_CHECK(&l, memcmp(ak.akid, field_bytes(&l, 7, NULL), 8) == 0);
        ROW_CHECK(&l, memcmp(ak.cmac_prekey_u, field_bytes(&l, 8, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(ak.cmac_prekey_d, field_bytes(&l, 9, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(ak.kek, field_bytes(&l, 10, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(ck.key_u, field_bytes(&l, 11, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(ck.key_d, field_bytes(&l, 12, NULL), 16) == 0);
        rows++;
    }
    vec_close(&vf);
    rows_checked("keys.txt", rows, 1000);
}

static void check_tek(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    struct tekho_tek_generator *gen = NULL;
    CHECK_ERR(tekho_tek_generator_new(&gen), TEKHO_OK);
    if (vec_open(&vf, "tek.txt"))
        return;
    while (vec_next(&vf, &l)) {
        uint8_t tek0[16], tek1[16];
        const uint8_t *kek = field_bytes(&l, 0, NULL);
        const uint16_t ckc = (uint16_t)field_num(&l, 1), said = (uint16_t)field_num(&l, 2);
        /* One-shot and reusable generator must agree with the vectors. */
        ROW_CHECK(&l, tekho_tek_generate(kek, ckc, said, tek0, tek1) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(tek0, field_bytes(&l, 3, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(tek1, field_bytes(&l, 4, NULL), 16) == 0);
        memset(tek0, 0, 16);
        ROW_CHECK(&l, tekho_tek_generator_run(gen, kek, ckc, said, tek0, tek1) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(tek0, field_bytes(&l, 3, NULL), 16) == 0);
        ROW_CHECK(&l, memcmp(tek1, field_bytes(&l, 4, NULL), 16) == 0);
        rows++;
    }
    vec_close(&vf);
    tekho_tek_generator_free(gen);
    rows_checked("tek.txt", rows, 1000);
}

static void check_pdu(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    if (vec_open(&vf, "pdu.txt"))
        return;
    while (vec_next(&vf, &l)) {
        size_t payload_len, want_len, got_len = 0, back_len = 0;
        struct tekho_pdu_key *key = NULL;
        ROW_CHECK(&l, tekho_pdu_key_new(field_bytes(&l, 0, NULL), &key) == TEKHO_OK);
        if (key == NULL)
            continue;
        const enum tekho_dir dir = strcmp(l.field[1], "ul") == 0 ? TEKHO_DIR_UL : TEKHO_DIR_DL;
        const struct tekho_pdu_seal_params params = {.dir = dir,
                                                     .pn = (uint32_t)field_num(&l, 2),
                                                     .cid = (uint16_t)field_num(&l, 3),
                                                     .eks = (uint8_t)field_num(&l, 4),
                                                     .crc = field_num(&l, 5) != 0};
        uint8_t *payload = field_bytes(&l, 6, &payload_len);
        uint8_t *want = field_bytes(&l, 7, &want_len);
        uint8_t got[TEKHO_PDU_MAX_LEN], back[TEKHO_PDU_MAX_LEN];
        ROW_CHECK(&l, tekho_pdu_seal(key, &params, payload, payload_len, got, sizeof got, &got_len) == TEKHO_OK);
        ROW_CHECK(&l, got_len == want_len && memcmp(got, want, want_len) == 0);
        struct tekho_pdu_view view;
        ROW_CHECK(&l, tekho_pdu_open(key, dir, want, want_len, back, sizeof back, &back_len, &view) == TEKHO_OK);
        ROW_CHECK(&l, back_len == payload_len && memcmp(back, payload, payload_len) == 0);
        ROW_CHECK(&l, view.pn == params.pn && view.gmh.cid == params.cid && view.gmh.eks == params.eks);
        tekho_pdu_key_free(key);
        rows++;
    }
    vec_close(&vf);
    rows_checked("pdu.txt", rows, 1000);
}

static void check_cmac(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    if (vec_open(&vf, "cmac.txt"))
        return;
    while (vec_next(&vf, &l)) {
        size_t msg_len;
        uint8_t *key = field_bytes(&l, 0, NULL), *akid = field_bytes(&l, 1, NULL);
        uint8_t *msg = field_bytes(&l, 4, &msg_len), *want = field_bytes(&l, 5, NULL);
        const uint32_t pn = (uint32_t)strtoul(l.field[2], NULL, 10);
        const uint16_t cid = (uint16_t)field_num(&l, 3);
        uint8_t got[8];
        ROW_CHECK(&l, tekho_cmac_value(key, akid, pn, cid, msg, msg_len, got) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(got, want, 8) == 0);
        ROW_CHECK(&l, tekho_cmac_verify(key, akid, pn, cid, msg, msg_len, want) == TEKHO_OK);
        rows++;
    }
    vec_close(&vf);
    rows_checked("cmac.txt", rows, 1000);
}

static void check_wrap(void)
{
    struct vec_file vf;
    struct vec_line l;
    int rows = 0;
    if (vec_open(&vf, "wrap.txt"))
        return;
    while (vec_next(&vf, &l)) {
        size_t want_len, got_len = 0;
        const uint32_t suite = (uint32_t)strtoul(l.field[0], NULL, 16);
        uint8_t *kek = field_bytes(&l, 1, NULL), *tek = field_bytes(&l, 2, NULL);
        uint8_t *want = field_bytes(&l, 3, &want_len);
        uint8_t got[24], back[16];
        ROW_CHECK(&l, tekho_tek_wrap(suite, kek, tek, got, sizeof got, &got_len) == TEKHO_OK);
        ROW_CHECK(&l, got_len == want_len && memcmp(got, want, want_len) == 0);
        ROW_CHECK(&l, tekho_tek_unwrap(suite, kek, want, want_len, back) == TEKHO_OK);
        ROW_CHECK(&l, memcmp(back, tek, 16) == 0);
        rows++;
    }
    vec_close(&vf);
    rows_checked("wrap.txt", rows, 1000);
}

int main(void)
{
    check_kdf();
    check_keys();
    check_tek();
    check_pdu();
    check_cmac();
    check_wrap();
    return test_summary("test_crosscheck");
}
