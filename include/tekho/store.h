/* Durable stores for the Authenticator (tekho/roles.h, struct
 * tekho_auth_store): SQLite, the embedded default, and PostgreSQL, shared
 * by several Authenticators. Both hold the same schema and keep the same
 * promises:
 *
 * - One record per MS: MAC, PMK_SN, PMK id (tekho_pmk_id), N, PMK
 *   lifetime, and the MSK encrypted with AES-256-GCM under the store key
 *   (a random 96-bit nonce per record version; associated data: a label,
 *   the MS's MAC, PMK_SN and PMK id, so a ciphertext moved to another MS
 *   or PMK does not open). N, PMK_SN and the PMK id are in the clear: the
 *   database compares them.
 * - N moves only through `UPDATE ... SET n = new WHERE mac = ? AND
 *   pmk_id = ? AND n < new`: never back, never under another PMK, and of
 *   two writers racing to the same N exactly one succeeds; a new PMK
 *   replaces the record only if it is another PMK (an Authenticator that
 *   adds an MS again with a PMK the store holds cannot reset its N).
 * - A batch of records is one transaction (group commit), durable when
 *   tekho_store_persist returns TEKHO_OK (SQLite: WAL, synchronous=FULL;
 *   PostgreSQL: synchronous_commit on).
 * - A record that is missing, does not decrypt or holds a value out of
 *   range is never turned into a default: load says not found or
 *   TEKHO_ERR_RECORD_CORRUPT, and the MS re-authenticates.
 * - The schema is versioned (a tekho_meta table) and migrated forward on
 *   open; a schema from a newer tekho is refused (TEKHO_ERR_STORE_VERSION),
 *   a database that is not a tekho store too (TEKHO_ERR_STORE_CORRUPT).
 *
 * The store key is 32 bytes in a file (raw, or 64 hex digits and an
 * optional newline) that must be a regular file no one but its owner may
 * read or write (mode 0600 or 0400; TEKHO_ERR_STORE_KEY otherwise). A
 * store remembers a check value of its key: another key is refused at
 * open (TEKHO_ERR_STORE_KEY) rather than every record failing later.
 *
 * A store object is used by one thread at a time; nothing here logs. */
#ifndef TEKHO_STORE_H
#define TEKHO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"
#include "tekho/roles.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this tekho writes and reads. */
#define TEKHO_STORE_SCHEMA_VERSION 2
#define TEKHO_STORE_KEY_LEN 32u

struct tekho_store;

/* Opens (and creates or migrates) the store a URL names:
 *   sqlite:PATH            an SQLite file (created if missing)
 *   postgresql://... or postgres://...   a PostgreSQL URI (libpq)
 *   anything with '='      a libpq key=value connection string
 * key_file: the store key (see above). Errors: invalid argument (NULL, an
 * unknown URL form), TEKHO_ERR_STORE_KEY, TEKHO_ERR_STORE_CORRUPT,
 * TEKHO_ERR_STORE_VERSION, TEKHO_ERR_STORE_UNAVAILABLE (cannot open or
 * connect), TEKHO_ERR_STORE_FULL, TEKHO_ERR_IO, no memory, crypto. On
 * error *out is NULL; tekho_store_open_error (below) may still say more. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_store_open(const char *url, const char *key_file, struct tekho_store **out);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sqlite_store_open(const char *path, const char *key_file,
                                                            struct tekho_store **out);
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pg_store_open(const char *conninfo, const char *key_file,
                                                        struct tekho_store **out);
/* The same, with the backend's message about why it failed (no key
 * material, no password) in msg[0 .. cap), NUL-terminated. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_store_open_verbose(const char *url, const char *key_file,
                                                             struct tekho_store **out, char *msg, size_t cap);
/* Closes it and wipes the key; NULL accepted. */
TEKHO_API void tekho_store_close(struct tekho_store *s);

/* The store as the Authenticator's (tekho_auth_config.store) and the
 * driver's: ctx is s; load and persist as below. */
TEKHO_API struct tekho_auth_store tekho_store_ops(struct tekho_store *s);

/* An MS's record as kind TEKHO_RECORD_NEW_PMK with its MSK decrypted
 * (wipe it: tekho_auth_record_wipe); *found false when there is none.
 * Errors: invalid argument, TEKHO_ERR_RECORD_CORRUPT (does not decrypt,
 * a value out of range), TEKHO_ERR_STORE_UNAVAILABLE, TEKHO_ERR_STORE_CORRUPT,
 * TEKHO_ERR_IO. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_store_load(struct tekho_store *s, const uint8_t ms_mac[6],
                                                     struct tekho_auth_record *rec, bool *found);
/* Makes recs[0 .. n) durable in one transaction, in order (the group
 * commit of a loop iteration): results[i] TEKHO_OK or
 * TEKHO_ERR_STALE_COUNT (an ADVANCE refused: another PMK, or N already at
 * or past it; a NEW_PMK refused: that PMK is in the store already, and
 * writing it again would take its N back to the start). Errors (the transaction failed and its fate is unknown to
 * the caller: results untouched): invalid argument (NULL, a record that
 * does not validate), TEKHO_ERR_STORE_FULL, TEKHO_ERR_STORE_UNAVAILABLE
 * (a lost connection: the next call reconnects), TEKHO_ERR_STORE_CORRUPT,
 * TEKHO_ERR_IO, crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_store_persist(struct tekho_store *s, const struct tekho_auth_record *recs,
                                                        size_t n, tekho_err *results);
/* The backend's message for the last error of s (never key material), or
 * "" ; static until the next call on s. */
TEKHO_API const char *tekho_store_last_error(const struct tekho_store *s);
/* "sqlite" or "postgresql". */
TEKHO_API const char *tekho_store_backend(const struct tekho_store *s);

#ifdef __cplusplus
}
#endif
#endif
