#include "test_util.h"

#include "tekho/tekho.h"

#include <stdlib.h>
#include <string.h>

int test_failures;

void check_bytes_at(const char *file, int line, const char *what, const uint8_t *got,
                    const uint8_t *want, size_t len)
{
    if (memcmp(got, want, len) == 0)
        return;
    fprintf(stderr, "FAIL %s:%d: %s\n  got  ", file, line, what);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%02x", got[i]);
    fprintf(stderr, "\n  want ");
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%02x", want[i]);
    fprintf(stderr, "\n");
    test_failures++;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    if (strcmp(hex, "-") == 0)
        return 0;
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        return (size_t)-1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return (size_t)-1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

int vec_open(struct vec_file *vf, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TEKHO_VECTOR_DIR, name);
    memset(vf, 0, sizeof *vf);
    vf->f = fopen(path, "r");
    if (vf->f == NULL) {
        fprintf(stderr, "FAIL: cannot open %s\n", path);
        test_failures++;
        return -1;
    }
    return 0;
}

int vec_next(struct vec_file *vf, struct vec_line *line)
{
    for (;;) {
        size_t len = 0;
        int c;
        while ((c = fgetc(vf->f)) != EOF && c != '\n') {
            if (len + 2 > vf->cap) {
                vf->cap = vf->cap ? vf->cap * 2 : 4096;
                vf->buf = realloc(vf->buf, vf->cap);
                if (vf->buf == NULL)
                    return 0;
            }
            vf->buf[len++] = (char)c;
        }
        if (c == EOF && len == 0)
            return 0;
        vf->line_no++;
        if (vf->buf == NULL || len == 0 || vf->buf[0] == '#')
            continue;
        vf->buf[len] = '\0';
        line->n_fields = 0;
        line->line_no = vf->line_no;
        for (char *tok = strtok(vf->buf, " \t\r"); tok && line->n_fields < VEC_MAX_FIELDS;
             tok = strtok(NULL, " \t\r"))
            line->field[line->n_fields++] = tok;
        return 1;
    }
}

void vec_close(struct vec_file *vf)
{
    if (vf->f)
        fclose(vf->f);
    free(vf->buf);
}

int test_summary(const char *name)
{
    if (test_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
    const size_t n = hex_to_bytes(hex, out, cap);
    if (n == (size_t)-1) {
        fprintf(stderr, "FAIL: bad hex in test: %s\n", hex);
        test_failures++;
        return 0;
    }
    return n;
}

tekho_err test_decode_exact(test_decoder decode, const uint8_t *in, size_t len, void *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    if (len)
        memcpy(copy, in, len);
    const tekho_err err = decode(len ? copy : NULL, len, out);
    free(copy);
    return err;
}

void test_expect_decode_err(int line, test_decoder decode, size_t out_size, const char *h, tekho_err want)
{
    uint8_t buf[512];
    const size_t n = test_hex(h, buf, sizeof buf);
    uint8_t *out = malloc(out_size), *before = malloc(out_size);
    if (out == NULL || before == NULL)
        abort();
    memset(out, 0xA5, out_size);
    memcpy(before, out, out_size);
    const tekho_err got = test_decode_exact(decode, buf, n, out);
    if (got != want) {
        fprintf(stderr, "FAIL line %d: decode(%s) = %d (%s), want %d (%s)\n", line, h, got,
                tekho_strerror(got), want, tekho_strerror(want));
        test_failures++;
    }
    if (memcmp(out, before, out_size) != 0) {
        fprintf(stderr, "FAIL line %d: decode(%s) wrote *out on error\n", line, h);
        test_failures++;
    }
    free(out);
    free(before);
}

tekho_err test_bs_to_auth(struct tekho_auth *auth, uint32_t node, int msg, const uint8_t mac[6], uint32_t purpose,
                          uint16_t count, uint16_t txn, struct tekho_actions *acts)
{
    struct tekho_asncp m;
    memset(&m, 0, sizeof m);
    m.msg = (enum tekho_asncp_msg)msg;
    memcpy(m.msid, mac, 6);
    m.transaction_id = txn;
    m.has_ms_id = true;
    memcpy(m.ms_id, mac, 6);
    m.has_context_purpose = purpose != 0;
    m.context_purpose = purpose;
    m.has_cmac_key_count = m.msg == TEKHO_ASNCP_HO_COMPLETE;
    m.cmac_key_count = count;
    uint8_t b[TEKHO_ASNCP_MAX_LEN];
    size_t len = 0;
    const tekho_err err = tekho_asncp_encode(&m, b, sizeof b, &len);
    tekho_actions_reset(acts);
    return err != TEKHO_OK ? err : tekho_auth_backbone(auth, 0, node, b, len, acts);
}
