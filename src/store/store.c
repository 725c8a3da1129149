/* The durable stores (include/tekho/store.h): URLs, the key file, the MSK
 * sealed with AES-256-GCM, and the validation of every record written
 * and read; sqlite.c and pg.c hold the databases. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store_internal.h"

struct tekho_store {
    const struct store_backend *be;
    void *impl;
    uint8_t key[TEKHO_STORE_KEY_LEN];
    EVP_CIPHER *gcm;
    char msg[256];
};

void tekho_store_msg(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

void tekho_store_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool tekho_store_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n)
{
    if (hex == NULL || hex_len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* ---- the key file ------------------------------------------------------------------ */

/* 32 bytes, raw or as 64 hex digits (and a newline), from a regular file
 * only its owner may read or write. */
static tekho_err read_key_file(const char *path, uint8_t key[TEKHO_STORE_KEY_LEN], char *msg, size_t cap)
{
    const int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        tekho_store_msg(msg, cap, "key file %s: %s", path, strerror(errno));
        return TEKHO_ERR_STORE_KEY;
    }
    struct stat st;
    uint8_t buf[80];
    ssize_t got = 0;
    tekho_err err = TEKHO_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tekho_store_msg(msg, cap, "key file %s: not a regular file", path);
        err = TEKHO_ERR_STORE_KEY;
    } else if ((st.st_mode & 077) != 0) {
        tekho_store_msg(msg, cap, "key file %s: mode %03o lets others read or write it (chmod 600)", path,
                        (unsigned)(st.st_mode & 0777));
        err = TEKHO_ERR_STORE_KEY;
    } else {
        size_t have = 0;
        while (have < sizeof buf && (got = read(fd, buf + have, sizeof buf - have)) > 0)
            have += (size_t)got;
        if (got < 0) {
            tekho_store_msg(msg, cap, "key file %s: %s", path, strerror(errno));
            err = TEKHO_ERR_STORE_KEY;
        } else if (have == TEKHO_STORE_KEY_LEN) {
            memcpy(key, buf, TEKHO_STORE_KEY_LEN);
        } else {
            size_t len = have;
            while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
            if (!tekho_store_unhex((const char *)buf, len, key, TEKHO_STORE_KEY_LEN)) {
                tekho_store_msg(msg, cap, "key file %s: not 32 bytes, nor 64 hex digits", path);
                err = TEKHO_ERR_STORE_KEY;
            }
        }
    }
    OPENSSL_cleanse(buf, sizeof buf);
    close(fd);
    return err;
}

/* 16 bytes of SHA-256("tekho store key check" | key), in hex. */
static tekho_err key_check(const uint8_t key[TEKHO_STORE_KEY_LEN], char out[STORE_KEY_CHECK_HEX])
{
    static const char label[] = "tekho store key check";
    uint8_t d[32];
    unsigned n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                    EVP_DigestUpdate(ctx, label, sizeof label - 1) &&
                    EVP_DigestUpdate(ctx, key, TEKHO_STORE_KEY_LEN) && EVP_DigestFinal_ex(ctx, d, &n) && n == 32;
    EVP_MD_CTX_free(ctx);
    if (ok)
        tekho_store_hex(d, 16, out);
    OPENSSL_cleanse(d, sizeof d);
    return ok ? TEKHO_OK : TEKHO_ERR_CRYPTO;
}

/* ---- the MSK at rest --------------------------------------------------------------- */

/* Associated data: a label, the MS, its PMK_SN and PMK id. */
static size_t seal_ad(const uint8_t mac[6], uint8_t pmk_sn, const uint8_t pmk_id[TEKHO_PMK_ID_LEN], uint8_t ad[32])
{
    static const char label[] = "tekho-msk-v1";
    size_t n = sizeof label - 1;
    memcpy(ad, label, n);
    memcpy(ad + n, mac, 6);
    n += 6;
    ad[n++] = pmk_sn;
    memcpy(ad + n, pmk_id, TEKHO_PMK_ID_LEN);
    return n + TEKHO_PMK_ID_LEN;
}

static tekho_err gcm(struct tekho_store *s, bool enc, const uint8_t nonce[STORE_NONCE_LEN], const uint8_t *ad,
                     size_t ad_len, const uint8_t *in, uint8_t *out, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = c != NULL && EVP_CipherInit_ex(c, s->gcm, NULL, NULL, NULL, enc) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, STORE_NONCE_LEN, NULL) > 0 &&
              EVP_CipherInit_ex(c, NULL, NULL, s->key, nonce, enc) &&
              EVP_CipherUpdate(c, NULL, &len, ad, (int)ad_len) && EVP_CipherUpdate(c, out, &len, in, 64) &&
              len == 64;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) > 0;
    const bool final = ok && EVP_CipherFinal_ex(c, out + len, &fin) && fin == 0;
    if (ok && final && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) > 0;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return TEKHO_ERR_CRYPTO;
    return final ? TEKHO_OK : TEKHO_ERR_RECORD_CORRUPT; /* decrypting: the tag did not verify */
}

/* A record to write: validated, its MSK sealed (NEW_PMK). */
static tekho_err to_row(struct tekho_store *s, const struct tekho_auth_record *r, struct store_row *row)
{
    if ((r->kind != TEKHO_RECORD_ADVANCE && r->kind != TEKHO_RECORD_NEW_PMK) || r->n == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(row, 0, sizeof *row);
    row->kind = r->kind;
    memcpy(row->mac, r->ms_mac, 6);
    row->pmk_sn = r->pmk_sn;
    memcpy(row->pmk_id, r->pmk_id, TEKHO_PMK_ID_LEN);
    row->n = r->n;
    row->pmk_lifetime_s = r->pmk_lifetime_s;
    if (r->kind == TEKHO_RECORD_ADVANCE)
        return TEKHO_OK;
    uint8_t ad[32];
    const size_t ad_len = seal_ad(r->ms_mac, r->pmk_sn, r->pmk_id, ad);
    if (RAND_bytes(row->nonce, STORE_NONCE_LEN) != 1)
        return TEKHO_ERR_CRYPTO;
    return gcm(s, true, row->nonce, ad, ad_len, r->msk, row->sealed, row->sealed + 64);
}

/* A row read back: every value in range, the MSK opened. */
static tekho_err from_row(struct tekho_store *s, const struct store_row *row, struct tekho_auth_record *r)
{
    if (row->n == 0 || row->n > 0xFFFF || row->pmk_lifetime_s < 0 || row->pmk_lifetime_s > 0xFFFFFFFFll)
        return TEKHO_ERR_RECORD_CORRUPT;
    memset(r, 0, sizeof *r);
    r->kind = TEKHO_RECORD_NEW_PMK;
    memcpy(r->ms_mac, row->mac, 6);
    r->n = (uint16_t)row->n;
    r->pmk_sn = row->pmk_sn;
    memcpy(r->pmk_id, row->pmk_id, TEKHO_PMK_ID_LEN);
    r->pmk_lifetime_s = (uint32_t)row->pmk_lifetime_s;
    uint8_t ad[32], tag[16];
    const size_t ad_len = seal_ad(row->mac, row->pmk_sn, row->pmk_id, ad);
    memcpy(tag, row->sealed + 64, 16);
    const tekho_err err = gcm(s, false, row->nonce, ad, ad_len, row->sealed, r->msk, tag);
    if (err != TEKHO_OK)
        tekho_auth_record_wipe(r);
    return err;
}

/* ---- the API -------------------------------------------------------------------------- */

static tekho_err open_with(const struct store_backend *be, const char *where, const char *key_file,
                           struct tekho_store **out, char *msg, size_t cap)
{
    if (out != NULL)
        *out = NULL;
    if (where == NULL || key_file == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return TEKHO_ERR_NO_MEMORY;
    s->be = be;
    char check[STORE_KEY_CHECK_HEX];
    tekho_err err = read_key_file(key_file, s->key, msg, cap);
    if (err == TEKHO_OK)
        err = key_check(s->key, check);
    if (err == TEKHO_OK && (s->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
        err = TEKHO_ERR_CRYPTO;
    if (err == TEKHO_OK)
        err = be == &tekho_store_sqlite_backend ? tekho_store_sqlite_open(where, check, &s->impl, msg, cap)
                                                : tekho_store_pg_open(where, check, &s->impl, msg, cap);
    if (err != TEKHO_OK) {
        tekho_store_close(s);
        return err;
    }
    *out = s;
    return TEKHO_OK;
}

tekho_err tekho_store_open_verbose(const char *url, const char *key_file, struct tekho_store **out, char *msg,
                                   size_t cap)
{
    tekho_store_msg(msg, cap, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (url == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (strncmp(url, "sqlite:", 7) == 0 && url[7] != '\0')
        return open_with(&tekho_store_sqlite_backend, url + 7, key_file, out, msg, cap);
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 || strchr(url, '=') != NULL)
        return open_with(&tekho_store_pg_backend, url, key_file, out, msg, cap);
    tekho_store_msg(msg, cap, "store URL: sqlite:PATH, postgresql://... or a libpq key=value string");
    return TEKHO_ERR_INVALID_ARGUMENT;
}

tekho_err tekho_store_open(const char *url, const char *key_file, struct tekho_store **out)
{
    return tekho_store_open_verbose(url, key_file, out, NULL, 0);
}

tekho_err tekho_sqlite_store_open(const char *path, const char *key_file, struct tekho_store **out)
{
    return open_with(&tekho_store_sqlite_backend, path, key_file, out, NULL, 0);
}

tekho_err tekho_pg_store_open(const char *conninfo, const char *key_file, struct tekho_store **out)
{
    return open_with(&tekho_store_pg_backend, conninfo, key_file, out, NULL, 0);
}

void tekho_store_close(struct tekho_store *s)
{
    if (s == NULL)
        return;
    if (s->impl != NULL)
        s->be->close(s->impl);
    EVP_CIPHER_free(s->gcm);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

tekho_err tekho_store_load(struct tekho_store *s, const uint8_t mac[6], struct tekho_auth_record *rec, bool *found)
{
    if (s == NULL || mac == NULL || rec == NULL || found == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    s->msg[0] = '\0';
    struct store_row row;
    bool have = false;
    tekho_err err = s->be->load(s->impl, mac, &row, &have, s->msg, sizeof s->msg);
    if (err == TEKHO_OK && have && memcmp(row.mac, mac, 6) != 0)
        err = TEKHO_ERR_RECORD_CORRUPT;
    if (err == TEKHO_OK && have)
        err = from_row(s, &row, rec);
    if (err == TEKHO_ERR_RECORD_CORRUPT && s->msg[0] == '\0')
        tekho_store_msg(s->msg, sizeof s->msg, "the record of %02x:%02x:%02x:%02x:%02x:%02x does not open or validate",
                        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    OPENSSL_cleanse(&row, sizeof row);
    if (err == TEKHO_OK)
        *found = have;
    return err;
}

tekho_err tekho_store_persist(struct tekho_store *s, const struct tekho_auth_record *recs, size_t n,
                              tekho_err *results)
{
    if (s == NULL || (n > 0 && (recs == NULL || results == NULL)))
        return TEKHO_ERR_INVALID_ARGUMENT;
    s->msg[0] = '\0';
    if (n == 0)
        return TEKHO_OK;
    if (n > SIZE_MAX / sizeof(struct store_row))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct store_row *rows = malloc(n * sizeof *rows);
    tekho_err *res = malloc(n * sizeof *res);
    tekho_err err = rows == NULL || res == NULL ? TEKHO_ERR_NO_MEMORY : TEKHO_OK;
    for (size_t i = 0; i < n && err == TEKHO_OK; i++)
        err = to_row(s, &recs[i], &rows[i]);
    if (err == TEKHO_OK)
        err = s->be->persist(s->impl, rows, n, res, s->msg, sizeof s->msg);
    if (err == TEKHO_OK)
        memcpy(results, res, n * sizeof *res);
    if (rows != NULL)
        OPENSSL_cleanse(rows, n * sizeof *rows); /* sealed MSKs: ciphertext, wiped all the same */
    free(rows);
    free(res);
    return err;
}

static tekho_err ops_load(void *ctx, const uint8_t mac[6], struct tekho_auth_record *rec, bool *found)
{
    return tekho_store_load(ctx, mac, rec, found);
}

static tekho_err ops_persist(void *ctx, const struct tekho_auth_record *recs, size_t n, tekho_err *results)
{
    return tekho_store_persist(ctx, recs, n, results);
}

struct tekho_auth_store tekho_store_ops(struct tekho_store *s)
{
    return (struct tekho_auth_store){.ctx = s, .load = ops_load, .persist = ops_persist};
}

const char *tekho_store_last_error(const struct tekho_store *s)
{
    return s != NULL ? s->msg : "";
}

const char *tekho_store_backend(const struct tekho_store *s)
{
    return s != NULL ? s->be->name : "";
}
