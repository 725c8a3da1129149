/* tekho — backbone credentials for the testbed and the tests (internal:
 * tekho_net): an ECDSA P-256 CA, node certificates it signs, random PSKs,
 * all with OpenSSL 3's own APIs (no `openssl` command).
 *
 * A CA certificate: self-signed, subject CN = its name, basicConstraints
 * critical CA:TRUE (path length 0), keyUsage critical keyCertSign and
 * cRLSign. A node certificate: subject CN = the node name, subjectAltName
 * DNS = the node name, basicConstraints critical CA:FALSE, keyUsage
 * critical digitalSignature, extendedKeyUsage serverAuth and clientAuth
 * (a node is DTLS server and client). Both: a random 128-bit serial,
 * valid from now (less five minutes of clock skew) for `days` days,
 * signed with ECDSA-SHA256, subject and authority key identifiers.
 *
 * Names are what src/net/dtls.h accepts as peer names: 1..64 characters
 * of [A-Za-z0-9._-]. Files are written whole or not at all (a temporary
 * file renamed into place): keys with mode 0600, certificates 0644. */
#ifndef TEKHO_SRC_NET_CREDS_H
#define TEKHO_SRC_NET_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_CREDS_DAYS_DEFAULT 30u

/* true when name is a valid peer name (TEKHO_DTLS_NAME_MAX, charset above). */
bool tekho_creds_name_ok(const char *name);

/* A new CA key and self-signed certificate. days 0: TEKHO_CREDS_DAYS_DEFAULT.
 * Errors: TEKHO_ERR_INVALID_ARGUMENT (a bad name), TEKHO_ERR_IO (a file),
 * TEKHO_ERR_CRYPTO; a message in msg[0 .. cap) when msg is not NULL. */
TEKHO_NODISCARD tekho_err tekho_creds_make_ca(const char *ca_name, unsigned days, const char *cert_path,
                                              const char *key_path, char *msg, size_t cap);

/* A new node key and a certificate for it signed by the CA in
 * (ca_cert_path, ca_key_path); the CA key file must pass
 * tekho_creds_check_key_file. TEKHO_ERR_CREDENTIALS when the CA files do
 * not load or do not belong together. */
TEKHO_NODISCARD tekho_err tekho_creds_make_node(const char *ca_cert_path, const char *ca_key_path,
                                                const char *node_name, unsigned days, const char *cert_path,
                                                const char *key_path, char *msg, size_t cap);

/* len random bytes from OpenSSL's private DRBG (RAND_priv_bytes);
 * TEKHO_DTLS_PSK_MIN..TEKHO_DTLS_PSK_MAX. */
TEKHO_NODISCARD tekho_err tekho_creds_random_psk(uint8_t *key, size_t len);

/* A private key file is acceptable when it is a regular file (not a
 * symbolic link) that neither group nor others may read or write.
 * TEKHO_ERR_CREDENTIALS, with the reason in msg, otherwise. */
TEKHO_NODISCARD tekho_err tekho_creds_check_key_file(const char *path, char *msg, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
