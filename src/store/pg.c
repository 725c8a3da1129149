/* The PostgreSQL store (include/tekho/store.h), shared by several
 * Authenticators: the same schema as SQLite's, migrated under an advisory
 * lock, and a batch as one transaction of one statement per run of records
 * of one kind (arrays unnested on the server: one round trip each, however
 * many records). N moves by UPDATE ... WHERE n < new, which under READ
 * COMMITTED is re-checked on the row a concurrent writer left: of two
 * Authenticators racing to the same N, one updates and one is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "store_internal.h"

struct pg {
    PGconn *conn;
};

static const char *const MIGRATIONS[TEKHO_STORE_SCHEMA_VERSION] = {
    "CREATE TABLE tekho_meta (key text PRIMARY KEY, value text NOT NULL);"
    "INSERT INTO tekho_meta (key, value) VALUES ('application', '" STORE_APPLICATION "');"
    "INSERT INTO tekho_meta (key, value) VALUES ('schema_version', '0');",
    "CREATE TABLE tekho_ms ("
    " mac bytea PRIMARY KEY CHECK (length(mac) = 6),"
    " pmk_sn smallint NOT NULL CHECK (pmk_sn BETWEEN 0 AND 255),"
    " pmk_id bytea NOT NULL CHECK (length(pmk_id) = 8),"
    " n integer NOT NULL CHECK (n BETWEEN 1 AND 65535),"
    " pmk_lifetime_s bigint NOT NULL CHECK (pmk_lifetime_s BETWEEN 0 AND 4294967295),"
    " key_nonce bytea NOT NULL CHECK (length(key_nonce) = 12),"
    " key_sealed bytea NOT NULL CHECK (length(key_sealed) = 80));",
};

/* What a failed command means; msg gets the server's (or libpq's) words. */
static tekho_err pg_err(struct pg *p, const PGresult *res, const char *what, char *msg, size_t cap)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res != NULL && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                                    : PQerrorMessage(p->conn);
    char line[200];
    snprintf(line, sizeof line, "%s", text);
    line[strcspn(line, "\n")] = '\0';
    tekho_store_msg(msg, cap, "postgresql: %s: %s%s%s", what, line, state ? " SQLSTATE " : "", state ? state : "");
    if (PQstatus(p->conn) != CONNECTION_OK || state == NULL)
        return TEKHO_ERR_STORE_UNAVAILABLE; /* connection lost: the fate of a COMMIT is unknown */
    if (strncmp(state, "531", 3) == 0) /* disk_full */
        return TEKHO_ERR_STORE_FULL;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 || strncmp(state, "40", 2) == 0 ||
        strncmp(state, "53", 2) == 0 || strncmp(state, "55", 2) == 0)
        return TEKHO_ERR_STORE_UNAVAILABLE;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0 || strncmp(state, "42", 2) == 0)
        return TEKHO_ERR_STORE_CORRUPT; /* data corrupted, or a schema that is not ours */
    return TEKHO_ERR_IO;
}

/* Runs SQL without parameters, expecting no rows (or tuples, want_rows). */
static tekho_err run(struct pg *p, const char *sql, PGresult **rows, char *msg, size_t cap)
{
    PGresult *res = PQexec(p->conn, sql);
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (rows != NULL)
            *rows = res;
        else
            PQclear(res);
        return TEKHO_OK;
    }
    const tekho_err err = pg_err(p, res, "query", msg, cap);
    PQclear(res);
    return err;
}

static tekho_err meta_get(struct pg *p, const char *key, char *out, size_t out_cap, bool *have, char *msg,
                          size_t cap)
{
    const char *params[1] = {key};
    PGresult *res = PQexecParams(p->conn, "SELECT value FROM tekho_meta WHERE key = $1", 1, NULL, params, NULL,
                                 NULL, 0);
    tekho_err err = TEKHO_OK;
    *have = false;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        err = pg_err(p, res, "reading tekho_meta", msg, cap);
    else if (PQntuples(res) == 1) {
        const char *v = PQgetvalue(res, 0, 0);
        if (strlen(v) >= out_cap) {
            tekho_store_msg(msg, cap, "postgresql: tekho_meta '%s' is too long", key);
            err = TEKHO_ERR_STORE_CORRUPT;
        } else {
            memcpy(out, v, strlen(v) + 1);
            *have = true;
        }
    }
    PQclear(res);
    return err;
}

static tekho_err meta_set(struct pg *p, const char *key, const char *value, char *msg, size_t cap)
{
    const char *params[2] = {key, value};
    PGresult *res = PQexecParams(p->conn,
                                 "INSERT INTO tekho_meta (key, value) VALUES ($1, $2) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 2, NULL, params, NULL, NULL, 0);
    const tekho_err err = PQresultStatus(res) == PGRES_COMMAND_OK ? TEKHO_OK
                                                                   : pg_err(p, res, "writing tekho_meta", msg, cap);
    PQclear(res);
    return err;
}

/* A strict decimal within [lo, hi]. */
static bool parse_int(const char *s, long long lo, long long hi, long long *v)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    const long long x = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

static tekho_err migrate(struct pg *p, const char key_check[STORE_KEY_CHECK_HEX], char *msg, size_t cap)
{
    /* Several Authenticators may open the store at once: one migrates. */
    tekho_err err = run(p, "BEGIN; SELECT pg_advisory_xact_lock(1952803688)", NULL, msg, cap);
    if (err != TEKHO_OK)
        return err;
    PGresult *res = NULL;
    long long version = 0;
    bool have = false;
    char value[80];
    err = run(p, "SELECT to_regclass('tekho_meta') IS NOT NULL", &res, msg, cap);
    const bool has_meta = err == TEKHO_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (err == TEKHO_OK && has_meta) {
        err = meta_get(p, "application", value, sizeof value, &have, msg, cap);
        if (err == TEKHO_OK && (!have || strcmp(value, STORE_APPLICATION) != 0)) {
            tekho_store_msg(msg, cap,
                            "postgresql: this database has a tekho_meta table that does not name a tekho store");
            err = TEKHO_ERR_STORE_CORRUPT;
        }
        if (err == TEKHO_OK)
            err = meta_get(p, "schema_version", value, sizeof value, &have, msg, cap);
        if (err == TEKHO_OK && (!have || !parse_int(value, 0, 1000000, &version))) {
            tekho_store_msg(msg, cap, "postgresql: tekho_meta holds no schema version");
            err = TEKHO_ERR_STORE_CORRUPT;
        }
    }
    if (err == TEKHO_OK && version > TEKHO_STORE_SCHEMA_VERSION) {
        tekho_store_msg(msg, cap, "postgresql: schema version %lld is newer than this tekho's (%d): refused", version,
                        TEKHO_STORE_SCHEMA_VERSION);
        err = TEKHO_ERR_STORE_VERSION;
    }
    for (long long v = version + 1; err == TEKHO_OK && v <= TEKHO_STORE_SCHEMA_VERSION; v++) {
        err = run(p, MIGRATIONS[v - 1], NULL, msg, cap);
        char text[24];
        snprintf(text, sizeof text, "%lld", v);
        if (err == TEKHO_OK)
            err = meta_set(p, "schema_version", text, msg, cap);
    }
    if (err == TEKHO_OK)
        err = meta_get(p, "key_check", value, sizeof value, &have, msg, cap);
    if (err == TEKHO_OK && !have)
        err = meta_set(p, "key_check", key_check, msg, cap);
    else if (err == TEKHO_OK && strcmp(value, key_check) != 0) {
        tekho_store_msg(msg, cap, "postgresql: the key file holds another key than the one this store was made with");
        err = TEKHO_ERR_STORE_KEY;
    }
    if (err == TEKHO_OK)
        err = run(p, "COMMIT", NULL, msg, cap);
    if (err != TEKHO_OK && PQstatus(p->conn) == CONNECTION_OK)
        PQclear(PQexec(p->conn, "ROLLBACK"));
    return err;
}

static void pg_close(void *impl)
{
    struct pg *p = impl;
    if (p == NULL)
        return;
    PQfinish(p->conn);
    free(p);
}

tekho_err tekho_store_pg_open(const char *conninfo, const char key_check[STORE_KEY_CHECK_HEX], void **impl, char *msg,
                              size_t cap)
{
    struct pg *p = calloc(1, sizeof *p);
    if (p == NULL)
        return TEKHO_ERR_NO_MEMORY;
    p->conn = PQconnectdb(conninfo);
    tekho_err err = TEKHO_OK;
    if (p->conn == NULL) {
        err = TEKHO_ERR_NO_MEMORY;
    } else if (PQstatus(p->conn) != CONNECTION_OK) {
        char line[200];
        snprintf(line, sizeof line, "%s", PQerrorMessage(p->conn));
        line[strcspn(line, "\n")] = '\0';
        tekho_store_msg(msg, cap, "postgresql: cannot connect: %s", line);
        err = TEKHO_ERR_STORE_UNAVAILABLE;
    }
    /* A commit is durable (flushed) before it returns. */
    if (err == TEKHO_OK)
        err = run(p, "SET synchronous_commit = on; SET client_min_messages = warning", NULL, msg, cap);
    if (err == TEKHO_OK)
        err = migrate(p, key_check, msg, cap);
    if (err != TEKHO_OK) {
        pg_close(p);
        return err;
    }
    *impl = p;
    return TEKHO_OK;
}

/* A connection lost earlier: one attempt to get it back. */
static tekho_err reconnect(struct pg *p, char *msg, size_t cap)
{
    if (PQstatus(p->conn) == CONNECTION_OK)
        return TEKHO_OK;
    PQreset(p->conn);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        tekho_store_msg(msg, cap, "postgresql: connection lost, and reconnecting failed");
        return TEKHO_ERR_STORE_UNAVAILABLE;
    }
    return run(p, "SET synchronous_commit = on; SET client_min_messages = warning", NULL, msg, cap);
}

static bool col_hex(const PGresult *res, int col, uint8_t *out, size_t n)
{
    const char *v = PQgetvalue(res, 0, col);
    return !PQgetisnull(res, 0, col) && tekho_store_unhex(v, strlen(v), out, n);
}

static tekho_err pg_load_once(struct pg *p, const uint8_t mac[6], struct store_row *row, bool *found, char *msg,
                              size_t cap)
{
    tekho_err err = reconnect(p, msg, cap);
    if (err != TEKHO_OK)
        return err;
    char hex[13];
    tekho_store_hex(mac, 6, hex);
    const char *params[1] = {hex};
    PGresult *res = PQexecParams(p->conn,
                                 "SELECT encode(mac, 'hex'), pmk_sn, encode(pmk_id, 'hex'), n, pmk_lifetime_s, "
                                 "encode(key_nonce, 'hex'), encode(key_sealed, 'hex') FROM tekho_ms "
                                 "WHERE mac = decode($1, 'hex')",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err = pg_err(p, res, "load", msg, cap);
    } else if (PQntuples(res) > 1 || PQnfields(res) != 7) {
        tekho_store_msg(msg, cap, "postgresql: tekho_ms is not the table this tekho made");
        err = TEKHO_ERR_STORE_CORRUPT;
    } else if (PQntuples(res) == 1) {
        memset(row, 0, sizeof *row);
        row->kind = TEKHO_RECORD_NEW_PMK;
        long long sn = -1, n = -1, lifetime = -1;
        const bool ok = col_hex(res, 0, row->mac, 6) && parse_int(PQgetvalue(res, 0, 1), 0, 255, &sn) &&
                        col_hex(res, 2, row->pmk_id, TEKHO_PMK_ID_LEN) &&
                        parse_int(PQgetvalue(res, 0, 3), 1, 0xFFFF, &n) &&
                        parse_int(PQgetvalue(res, 0, 4), 0, 0xFFFFFFFFll, &lifetime) &&
                        col_hex(res, 5, row->nonce, STORE_NONCE_LEN) && col_hex(res, 6, row->sealed, STORE_SEALED_LEN);
        row->pmk_sn = (uint8_t)sn;
        row->n = (uint32_t)n;
        row->pmk_lifetime_s = lifetime;
        if (!ok) {
            tekho_store_msg(msg, cap, "postgresql: a record with a value out of range");
            err = TEKHO_ERR_RECORD_CORRUPT;
        }
        *found = true;
    } else {
        *found = false;
    }
    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        /* The sealed key's hex is ciphertext; libpq's buffer is freed below. */
        char *v = PQgetvalue(res, 0, 6);
        OPENSSL_cleanse(v, strlen(v));
    }
    PQclear(res);
    return err;
}

/* A read is safe to try again: a connection found dead gets one retry. */
static tekho_err pg_load(void *impl, const uint8_t mac[6], struct store_row *row, bool *found, char *msg,
                         size_t cap)
{
    struct pg *p = impl;
    tekho_err err = pg_load_once(p, mac, row, found, msg, cap);
    if (err == TEKHO_ERR_STORE_UNAVAILABLE && PQstatus(p->conn) != CONNECTION_OK)
        err = pg_load_once(p, mac, row, found, msg, cap);
    return err;
}

/* A growing text buffer for array literals; wiped when freed. */
struct text {
    char *b;
    size_t len, cap;
    bool oom;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *b = malloc(cap);
        if (b == NULL) {
            t->oom = true;
            return;
        }
        if (t->b != NULL) {
            memcpy(b, t->b, t->len);
            OPENSSL_cleanse(t->b, t->cap);
            free(t->b);
        }
        t->b = b;
        t->cap = cap;
    }
    memcpy(t->b + t->len, s, n);
    t->len += n;
    t->b[t->len] = '\0';
}

static void put_hex(struct text *t, const uint8_t *b, size_t n)
{
    char hex[2 * STORE_SEALED_LEN + 1];
    tekho_store_hex(b, n, hex);
    put(t, hex, 2 * n);
    OPENSSL_cleanse(hex, sizeof hex);
}

static void put_num(struct text *t, long long v)
{
    char num[24];
    const int n = snprintf(num, sizeof num, "%lld", v);
    put(t, num, (size_t)n);
}

static void text_free(struct text *t)
{
    if (t->b != NULL)
        OPENSSL_cleanse(t->b, t->cap);
    free(t->b);
    memset(t, 0, sizeof *t);
}

/* rows[0 .. n): one kind, each MAC once. One statement. */
static tekho_err run_group(struct pg *p, const struct store_row *rows, size_t n, tekho_err *results, char *msg,
                           size_t cap)
{
    const bool advance = rows[0].kind == TEKHO_RECORD_ADVANCE;
    enum { MAC, SN, ID, N, LIFE, NONCE, SEALED, COLS };
    struct text a[COLS];
    memset(a, 0, sizeof a);
    for (int c = 0; c < COLS; c++)
        put(&a[c], "{", 1);
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? "," : "";
        for (int c = 0; c < COLS; c++)
            put(&a[c], sep, strlen(sep));
        put_hex(&a[MAC], rows[i].mac, 6);
        put_num(&a[SN], rows[i].pmk_sn);
        put_hex(&a[ID], rows[i].pmk_id, TEKHO_PMK_ID_LEN);
        put_num(&a[N], rows[i].n);
        put_num(&a[LIFE], rows[i].pmk_lifetime_s);
        put_hex(&a[NONCE], rows[i].nonce, STORE_NONCE_LEN);
        put_hex(&a[SEALED], rows[i].sealed, STORE_SEALED_LEN);
    }
    bool oom = false;
    for (int c = 0; c < COLS; c++) {
        put(&a[c], "}", 1);
        oom |= a[c].oom;
    }
    tekho_err err = oom ? TEKHO_ERR_NO_MEMORY : TEKHO_OK;
    PGresult *res = NULL;
    if (err == TEKHO_OK && advance) {
        const char *params[3] = {a[MAC].b, a[ID].b, a[N].b};
        res = PQexecParams(p->conn,
                           "UPDATE tekho_ms AS t SET n = v.n "
                           "FROM unnest($1::text[], $2::text[], $3::int[]) AS v(mac, pmk_id, n) "
                           "WHERE t.mac = decode(v.mac, 'hex') AND t.pmk_id = decode(v.pmk_id, 'hex') AND t.n < v.n "
                           "RETURNING encode(t.mac, 'hex')",
                           3, NULL, params, NULL, NULL, 0);
    } else if (err == TEKHO_OK) {
        const char *params[COLS] = {a[MAC].b, a[SN].b, a[ID].b, a[N].b, a[LIFE].b, a[NONCE].b, a[SEALED].b};
        res = PQexecParams(p->conn,
                           "INSERT INTO tekho_ms (mac, pmk_sn, pmk_id, n, pmk_lifetime_s, key_nonce, key_sealed) "
                           "SELECT decode(v.mac, 'hex'), v.sn, decode(v.id, 'hex'), v.n, v.lt, decode(v.nonce, 'hex'), "
                           "decode(v.sealed, 'hex') FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], "
                           "$5::bigint[], $6::text[], $7::text[]) AS v(mac, sn, id, n, lt, nonce, sealed) "
                           "ON CONFLICT (mac) DO UPDATE SET pmk_sn = excluded.pmk_sn, pmk_id = excluded.pmk_id, "
                           "n = excluded.n, pmk_lifetime_s = excluded.pmk_lifetime_s, "
                           "key_nonce = excluded.key_nonce, key_sealed = excluded.key_sealed "
                           "WHERE tekho_ms.pmk_id <> excluded.pmk_id RETURNING encode(tekho_ms.mac, 'hex')",
                           COLS, NULL, params, NULL, NULL, 0);
    }
    for (int c = 0; c < COLS; c++)
        text_free(&a[c]);
    if (err != TEKHO_OK)
        return err;
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK) { /* the rows written: the others were refused */
        for (size_t i = 0; i < n; i++)
            results[i] = TEKHO_ERR_STALE_COUNT;
        for (int r = 0; r < PQntuples(res); r++) {
            uint8_t mac[6];
            const char *v = PQgetvalue(res, r, 0);
            if (!tekho_store_unhex(v, strlen(v), mac, 6))
                continue;
            for (size_t i = 0; i < n; i++)
                if (memcmp(rows[i].mac, mac, 6) == 0)
                    results[i] = TEKHO_OK;
        }
    } else {
        err = pg_err(p, res, advance ? "advance" : "new PMK", msg, cap);
    }
    PQclear(res);
    return err;
}

static tekho_err pg_persist(void *impl, const struct store_row *rows, size_t n, tekho_err *results, char *msg,
                            size_t cap)
{
    struct pg *p = impl;
    tekho_err err = reconnect(p, msg, cap);
    if (err == TEKHO_OK)
        err = run(p, "BEGIN", NULL, msg, cap);
    /* Runs of one kind with each MAC once, in order: an MS's records keep theirs. */
    for (size_t start = 0; start < n && err == TEKHO_OK;) {
        size_t end = start + 1;
        while (end < n && rows[end].kind == rows[start].kind) {
            bool again = false;
            for (size_t j = start; j < end && !again; j++)
                again = memcmp(rows[j].mac, rows[end].mac, 6) == 0;
            if (again)
                break;
            end++;
        }
        err = run_group(p, rows + start, end - start, results + start, msg, cap);
        start = end;
    }
    if (err == TEKHO_OK)
        err = run(p, "COMMIT", NULL, msg, cap);
    if (err != TEKHO_OK && PQstatus(p->conn) == CONNECTION_OK && PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        PQclear(PQexec(p->conn, "ROLLBACK"));
    return err;
}

const struct store_backend tekho_store_pg_backend = {
    .name = "postgresql", .load = pg_load, .persist = pg_persist, .close = pg_close};
