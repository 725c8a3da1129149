/* Internal to the stores: what a backend (sqlite.c, pg.c) stores and
 * reads, and the one interface both implement. store.c does the rest:
 * URLs, the key file, sealing the MSK, validating every record. */
#ifndef TEKHO_SRC_STORE_INTERNAL_H
#define TEKHO_SRC_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/store.h"

#define STORE_NONCE_LEN 12u
#define STORE_SEALED_LEN (64u + 16u) /* the MSK and the GCM tag */
/* The key check value: 16 bytes, in hex, in tekho_meta. */
#define STORE_KEY_CHECK_HEX 33u
/* application_id of an SQLite tekho store ("tekh"); the marker in tekho_meta. */
#define STORE_SQLITE_APP_ID 0x74656b68
#define STORE_APPLICATION "tekho-authenticator-store"

/* A record as the database holds it. */
struct store_row {
    enum tekho_record_kind kind;  /* persist: what to do; load: NEW_PMK */
    uint8_t mac[6];
    uint8_t pmk_sn;
    uint8_t pmk_id[TEKHO_PMK_ID_LEN];
    uint32_t n;                   /* loaded as stored, validated by store.c */
    int64_t pmk_lifetime_s;
    uint8_t nonce[STORE_NONCE_LEN];      /* NEW_PMK */
    uint8_t sealed[STORE_SEALED_LEN];
};

struct store_backend {
    const char *name;
    /* *found false when there is no row for mac. */
    tekho_err (*load)(void *impl, const uint8_t mac[6], struct store_row *row, bool *found, char *msg, size_t cap);
    /* One transaction; results[i] TEKHO_OK or TEKHO_ERR_STALE_COUNT. */
    tekho_err (*persist)(void *impl, const struct store_row *rows, size_t n, tekho_err *results, char *msg,
                         size_t cap);
    void (*close)(void *impl);
};

extern const struct store_backend tekho_store_sqlite_backend;
extern const struct store_backend tekho_store_pg_backend;

/* Opens the database, creates or migrates the schema (TEKHO_STORE_SCHEMA_VERSION)
 * and checks (or, new, records) key_check. */
tekho_err tekho_store_sqlite_open(const char *path, const char key_check[STORE_KEY_CHECK_HEX], void **impl, char *msg,
                                  size_t cap);
tekho_err tekho_store_pg_open(const char *conninfo, const char key_check[STORE_KEY_CHECK_HEX], void **impl, char *msg,
                              size_t cap);

/* Lower-case hex of n bytes into out (2n + 1 bytes); and back (exactly
 * 2n hex digits, else false). */
void tekho_store_hex(const uint8_t *b, size_t n, char *out);
bool tekho_store_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n);

/* Writes a printf message into msg (cap bytes). */
void tekho_store_msg(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
