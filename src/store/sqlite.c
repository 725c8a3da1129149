/* The SQLite store (include/tekho/store.h): one file, WAL, synchronous=FULL,
 * every batch one IMMEDIATE transaction. An SQLite tekho store carries
 * application_id 'tekh' and a tekho_meta table (the schema version, the
 * application marker, the key check value). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

struct sq {
    sqlite3 *db;
    sqlite3_stmt *load, *advance, *upsert, *begin, *commit, *rollback;
};

/* The schema, one step per version: step i takes a store from version i - 1
 * to i, in the same transaction as the version it writes. */
static const char *const MIGRATIONS[TEKHO_STORE_SCHEMA_VERSION] = {
    /* 1: the version table, with what names this database a tekho store */
    "CREATE TABLE tekho_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "INSERT INTO tekho_meta (key, value) VALUES ('application', '" STORE_APPLICATION "');"
    "INSERT INTO tekho_meta (key, value) VALUES ('schema_version', '0');",
    /* 2: one record per MS; the CHECKs hold what every reader validates again */
    "CREATE TABLE tekho_ms ("
    " mac BLOB PRIMARY KEY CHECK (typeof(mac) = 'blob' AND length(mac) = 6),"
    " pmk_sn INTEGER NOT NULL CHECK (pmk_sn BETWEEN 0 AND 255),"
    " pmk_id BLOB NOT NULL CHECK (typeof(pmk_id) = 'blob' AND length(pmk_id) = 8),"
    " n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 65535),"
    " pmk_lifetime_s INTEGER NOT NULL CHECK (pmk_lifetime_s BETWEEN 0 AND 4294967295),"
    " key_nonce BLOB NOT NULL CHECK (typeof(key_nonce) = 'blob' AND length(key_nonce) = 12),"
    " key_sealed BLOB NOT NULL CHECK (typeof(key_sealed) = 'blob' AND length(key_sealed) = 80)"
    ") WITHOUT ROWID;",
};

static tekho_err sq_err(sqlite3 *db, int rc, const char *what, char *msg, size_t cap)
{
    tekho_store_msg(msg, cap, "sqlite: %s: %s", what, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (rc & 0xFF) {
    case SQLITE_FULL: return TEKHO_ERR_STORE_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return TEKHO_ERR_STORE_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH: return TEKHO_ERR_STORE_UNAVAILABLE;
    case SQLITE_NOMEM: return TEKHO_ERR_NO_MEMORY;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: return TEKHO_ERR_INVALID_ARGUMENT;
    default: return TEKHO_ERR_IO;
    }
}

/* Runs SQL without results. */
static tekho_err exec(sqlite3 *db, const char *sql, const char *what, char *msg, size_t cap)
{
    const int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TEKHO_OK : sq_err(db, rc, what, msg, cap);
}

/* One integer from a one-row query; *have false when it returns no row. */
static tekho_err query_int(sqlite3 *db, const char *sql, int64_t *v, bool *have, char *msg, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_err(db, rc, sql, msg, cap);
    rc = sqlite3_step(st);
    *have = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TEKHO_OK : sq_err(db, rc, sql, msg, cap);
}

/* One text value of tekho_meta into out (cap bytes); *have false when absent. */
static tekho_err meta_get(sqlite3 *db, const char *key, char *out, size_t out_cap, bool *have, char *msg,
                          size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT value FROM tekho_meta WHERE key = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_err(db, rc, "reading tekho_meta", msg, cap);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *have = false;
    tekho_err err = TEKHO_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        const int len = sqlite3_column_bytes(st, 0);
        if (sqlite3_column_type(st, 0) != SQLITE_TEXT || v == NULL || len < 0 || (size_t)len >= out_cap) {
            tekho_store_msg(msg, cap, "sqlite: tekho_meta '%s' is not a short text", key);
            err = TEKHO_ERR_STORE_CORRUPT;
        } else {
            memcpy(out, v, (size_t)len);
            out[len] = '\0';
            *have = true;
        }
    } else if (rc != SQLITE_DONE) {
        err = sq_err(db, rc, "reading tekho_meta", msg, cap);
    }
    sqlite3_finalize(st);
    return err;
}

static tekho_err meta_set(sqlite3 *db, const char *key, const char *value, char *msg, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO tekho_meta (key, value) VALUES (?1, ?2) "
                                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TEKHO_OK : sq_err(db, rc, "writing tekho_meta", msg, cap);
}

/* A strict decimal, 0 .. 1000000. */
static bool parse_version(const char *s, int64_t *v)
{
    int64_t x = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > 100000)
            return false;
        x = x * 10 + (*s - '0');
    }
    *v = x;
    return true;
}

/* Whether the file is a tekho store, a new database, or something else. */
static tekho_err check_identity(sqlite3 *db, bool *fresh, char *msg, size_t cap)
{
    int64_t app = 0, objects = 0;
    bool have = false;
    tekho_err err = query_int(db, "PRAGMA application_id", &app, &have, msg, cap);
    if (err == TEKHO_ERR_STORE_CORRUPT)
        tekho_store_msg(msg, cap, "sqlite: not an SQLite database (a corrupt or foreign file)");
    if (err == TEKHO_OK)
        err = query_int(db, "SELECT count(*) FROM sqlite_master", &objects, &have, msg, cap);
    if (err != TEKHO_OK)
        return err;
    *fresh = app == 0 && objects == 0;
    if (!*fresh && app != STORE_SQLITE_APP_ID) {
        tekho_store_msg(msg, cap, "sqlite: a database of another application (application_id %lld, %lld objects)",
                        (long long)app, (long long)objects);
        return TEKHO_ERR_STORE_CORRUPT;
    }
    return TEKHO_OK;
}

/* Brings the schema to TEKHO_STORE_SCHEMA_VERSION and checks the key, in one transaction. */
static tekho_err migrate(sqlite3 *db, bool fresh, const char key_check[STORE_KEY_CHECK_HEX], char *msg, size_t cap)
{
    tekho_err err = exec(db, "BEGIN IMMEDIATE", "begin", msg, cap);
    if (err != TEKHO_OK)
        return err;
    int64_t version = 0, has_meta = 0;
    bool have = false;
    char value[80];
    if (fresh)
        err = exec(db, "PRAGMA application_id = 1952803688", "application_id", msg, cap); /* STORE_SQLITE_APP_ID */
    if (err == TEKHO_OK)
        err = query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tekho_meta'",
                        &has_meta, &have, msg, cap);
    if (err == TEKHO_OK && has_meta) {
        err = meta_get(db, "schema_version", value, sizeof value, &have, msg, cap);
        if (err == TEKHO_OK && (!have || !parse_version(value, &version))) {
            tekho_store_msg(msg, cap, "sqlite: tekho_meta holds no schema version");
            err = TEKHO_ERR_STORE_CORRUPT;
        }
        if (err == TEKHO_OK)
            err = meta_get(db, "application", value, sizeof value, &have, msg, cap);
        if (err == TEKHO_OK && (!have || strcmp(value, STORE_APPLICATION) != 0)) {
            tekho_store_msg(msg, cap, "sqlite: tekho_meta does not name a tekho store");
            err = TEKHO_ERR_STORE_CORRUPT;
        }
    } else if (err == TEKHO_OK && !fresh) {
        /* application_id says tekho, but not even the first step was made. */
        version = 0;
    }
    if (err == TEKHO_OK && version > TEKHO_STORE_SCHEMA_VERSION) {
        tekho_store_msg(msg, cap, "sqlite: schema version %lld is newer than this tekho's (%d): refused",
                        (long long)version, TEKHO_STORE_SCHEMA_VERSION);
        err = TEKHO_ERR_STORE_VERSION;
    }
    for (int64_t v = version + 1; err == TEKHO_OK && v <= TEKHO_STORE_SCHEMA_VERSION; v++) {
        err = exec(db, MIGRATIONS[v - 1], "migration", msg, cap);
        char text[24];
        snprintf(text, sizeof text, "%lld", (long long)v);
        if (err == TEKHO_OK)
            err = meta_set(db, "schema_version", text, msg, cap);
    }
    if (err == TEKHO_OK)
        err = meta_get(db, "key_check", value, sizeof value, &have, msg, cap);
    if (err == TEKHO_OK && !have)
        err = meta_set(db, "key_check", key_check, msg, cap);
    else if (err == TEKHO_OK && strcmp(value, key_check) != 0) {
        tekho_store_msg(msg, cap, "sqlite: the key file holds another key than the one this store was made with");
        err = TEKHO_ERR_STORE_KEY;
    }
    if (err == TEKHO_OK)
        err = exec(db, "COMMIT", "commit", msg, cap);
    if (err != TEKHO_OK)
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static void sq_close(void *impl)
{
    struct sq *q = impl;
    if (q == NULL)
        return;
    sqlite3_finalize(q->load);
    sqlite3_finalize(q->advance);
    sqlite3_finalize(q->upsert);
    sqlite3_finalize(q->begin);
    sqlite3_finalize(q->commit);
    sqlite3_finalize(q->rollback);
    sqlite3_close(q->db);
    free(q);
}

static tekho_err prepare(struct sq *q, const char *sql, sqlite3_stmt **st, char *msg, size_t cap)
{
    const int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? TEKHO_OK : sq_err(q->db, rc, "prepare", msg, cap);
}

tekho_err tekho_store_sqlite_open(const char *path, const char key_check[STORE_KEY_CHECK_HEX], void **impl, char *msg,
                                  size_t cap)
{
    struct sq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return TEKHO_ERR_NO_MEMORY;
    int rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    tekho_err err = TEKHO_OK;
    if (rc != SQLITE_OK) {
        err = sq_err(q->db, rc, path, msg, cap);
        if (err == TEKHO_ERR_IO)
            err = TEKHO_ERR_STORE_UNAVAILABLE;
    }
    bool fresh = false;
    if (err == TEKHO_OK) {
        sqlite3_extended_result_codes(q->db, 1);
        sqlite3_busy_timeout(q->db, 5000);
        err = check_identity(q->db, &fresh, msg, cap);
    }
    /* WAL, and every commit synced before it returns. */
    char mode[16] = "";
    if (err == TEKHO_OK) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
            err = sq_err(q->db, rc, "journal_mode", msg, cap);
        else if (strcmp(mode, "wal") != 0) {
            tekho_store_msg(msg, cap, "sqlite: %s cannot use WAL (journal mode %s)", path, mode);
            err = TEKHO_ERR_STORE_UNAVAILABLE;
        }
    }
    if (err == TEKHO_OK)
        err = exec(q->db, "PRAGMA synchronous = FULL", "synchronous", msg, cap);
    int64_t sync = 0;
    bool have = false;
    if (err == TEKHO_OK)
        err = query_int(q->db, "PRAGMA synchronous", &sync, &have, msg, cap);
    if (err == TEKHO_OK && sync != 2) {
        tekho_store_msg(msg, cap, "sqlite: synchronous is %lld, not FULL", (long long)sync);
        err = TEKHO_ERR_STORE_UNAVAILABLE;
    }
    if (err == TEKHO_OK)
        err = migrate(q->db, fresh, key_check, msg, cap);
    if (err == TEKHO_OK)
        err = prepare(q,
                      "SELECT mac, pmk_sn, pmk_id, n, pmk_lifetime_s, key_nonce, key_sealed FROM tekho_ms "
                      "WHERE mac = ?1",
                      &q->load, msg, cap);
    if (err == TEKHO_OK) /* N only up, only under the PMK the record names */
        err = prepare(q, "UPDATE tekho_ms SET n = ?1 WHERE mac = ?2 AND pmk_id = ?3 AND n < ?1", &q->advance, msg,
                      cap);
    if (err == TEKHO_OK)
        err = prepare(q,
                      "INSERT INTO tekho_ms (mac, pmk_sn, pmk_id, n, pmk_lifetime_s, key_nonce, key_sealed) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (mac) DO UPDATE SET "
                      "pmk_sn = excluded.pmk_sn, pmk_id = excluded.pmk_id, n = excluded.n, "
                      "pmk_lifetime_s = excluded.pmk_lifetime_s, key_nonce = excluded.key_nonce, "
                      "key_sealed = excluded.key_sealed WHERE tekho_ms.pmk_id <> excluded.pmk_id",
                      &q->upsert, msg, cap);
    if (err == TEKHO_OK)
        err = prepare(q, "BEGIN IMMEDIATE", &q->begin, msg, cap);
    if (err == TEKHO_OK)
        err = prepare(q, "COMMIT", &q->commit, msg, cap);
    if (err == TEKHO_OK)
        err = prepare(q, "ROLLBACK", &q->rollback, msg, cap);
    if (err != TEKHO_OK) {
        sq_close(q);
        return err;
    }
    *impl = q;
    return TEKHO_OK;
}

/* A blob column of exactly n bytes into out. */
static bool column_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB)
        return false;
    const void *b = sqlite3_column_blob(st, col);
    if (b == NULL || sqlite3_column_bytes(st, col) != (int)n)
        return false;
    memcpy(out, b, n);
    return true;
}

static tekho_err sq_load(void *impl, const uint8_t mac[6], struct store_row *row, bool *found, char *msg,
                         size_t cap)
{
    struct sq *q = impl;
    sqlite3_stmt *st = q->load;
    sqlite3_bind_blob(st, 1, mac, 6, SQLITE_STATIC);
    const int rc = sqlite3_step(st);
    tekho_err err = TEKHO_OK;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        memset(row, 0, sizeof *row);
        row->kind = TEKHO_RECORD_NEW_PMK;
        const int64_t sn = sqlite3_column_int64(st, 1);
        const int64_t n = sqlite3_column_int64(st, 3);
        const bool ok = column_blob(st, 0, row->mac, 6) && sqlite3_column_type(st, 1) == SQLITE_INTEGER &&
                        sn >= 0 && sn <= 255 && column_blob(st, 2, row->pmk_id, TEKHO_PMK_ID_LEN) &&
                        sqlite3_column_type(st, 3) == SQLITE_INTEGER && n >= 1 && n <= 0xFFFF &&
                        sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
                        column_blob(st, 5, row->nonce, STORE_NONCE_LEN) &&
                        column_blob(st, 6, row->sealed, STORE_SEALED_LEN);
        row->pmk_sn = (uint8_t)sn;
        row->n = (uint32_t)n;
        row->pmk_lifetime_s = sqlite3_column_int64(st, 4);
        if (!ok) {
            tekho_store_msg(msg, cap, "sqlite: a record with a value out of range or of the wrong type");
            err = TEKHO_ERR_RECORD_CORRUPT;
        }
    } else if (rc != SQLITE_DONE) {
        err = sq_err(q->db, rc, "load", msg, cap);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static tekho_err step_done(struct sq *q, sqlite3_stmt *st, const char *what, char *msg, size_t cap)
{
    const int rc = sqlite3_step(st);
    const tekho_err err = rc == SQLITE_DONE ? TEKHO_OK : sq_err(q->db, rc, what, msg, cap);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* the statement keeps no pointer to a sealed key */
    return err;
}

static tekho_err sq_persist(void *impl, const struct store_row *rows, size_t n, tekho_err *results, char *msg,
                            size_t cap)
{
    struct sq *q = impl;
    tekho_err err = step_done(q, q->begin, "begin", msg, cap);
    for (size_t i = 0; i < n && err == TEKHO_OK; i++) {
        const struct store_row *r = &rows[i];
        if (r->kind == TEKHO_RECORD_ADVANCE) {
            sqlite3_bind_int64(q->advance, 1, r->n);
            sqlite3_bind_blob(q->advance, 2, r->mac, 6, SQLITE_STATIC);
            sqlite3_bind_blob(q->advance, 3, r->pmk_id, TEKHO_PMK_ID_LEN, SQLITE_STATIC);
            err = step_done(q, q->advance, "advance", msg, cap);
            results[i] = sqlite3_changes(q->db) == 1 ? TEKHO_OK : TEKHO_ERR_STALE_COUNT;
        } else {
            sqlite3_bind_blob(q->upsert, 1, r->mac, 6, SQLITE_STATIC);
            sqlite3_bind_int64(q->upsert, 2, r->pmk_sn);
            sqlite3_bind_blob(q->upsert, 3, r->pmk_id, TEKHO_PMK_ID_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(q->upsert, 4, r->n);
            sqlite3_bind_int64(q->upsert, 5, r->pmk_lifetime_s);
            sqlite3_bind_blob(q->upsert, 6, r->nonce, STORE_NONCE_LEN, SQLITE_STATIC);
            sqlite3_bind_blob(q->upsert, 7, r->sealed, STORE_SEALED_LEN, SQLITE_STATIC);
            err = step_done(q, q->upsert, "new PMK", msg, cap);
            /* A PMK the store holds already is never written again (its N
             * would go back to where it started). */
            results[i] = sqlite3_changes(q->db) == 1 ? TEKHO_OK : TEKHO_ERR_STALE_COUNT;
        }
    }
    if (err == TEKHO_OK)
        err = step_done(q, q->commit, "commit", msg, cap);
    if (err != TEKHO_OK && !sqlite3_get_autocommit(q->db))
        (void)step_done(q, q->rollback, "rollback", NULL, 0);
    return err;
}

const struct store_backend tekho_store_sqlite_backend = {
    .name = "sqlite", .load = sq_load, .persist = sq_persist, .close = sq_close};
