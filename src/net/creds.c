/* Backbone credentials: an ECDSA P-256 CA and the node certificates it
 * signs, random PSKs (creds.h). */
#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dtls.h"

#define CLOCK_SKEW_S 300L

static void say(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

/* OpenSSL's first queued reason, for a message; clears the queue. */
static const char *ossl_reason(char *buf, size_t cap)
{
    const unsigned long e = ERR_peek_error();
    if (e == 0)
        snprintf(buf, cap, "no reason given");
    else
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

bool tekho_creds_name_ok(const char *name)
{
    if (name == NULL)
        return false;
    size_t n = 0;
    for (; name[n] != '\0'; n++) {
        const char c = name[n];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok || n >= TEKHO_DTLS_NAME_MAX)
            return false;
    }
    return n > 0;
}

tekho_err tekho_creds_check_key_file(const char *path, char *msg, size_t cap)
{
    if (path == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct stat st;
    if (lstat(path, &st) != 0) {
        say(msg, cap, "key file %s: %s", path, strerror(errno));
        return TEKHO_ERR_CREDENTIALS;
    }
    if (!S_ISREG(st.st_mode)) {
        say(msg, cap, "key file %s: not a regular file", path);
        return TEKHO_ERR_CREDENTIALS;
    }
    if ((st.st_mode & 077) != 0) {
        say(msg, cap, "key file %s: mode %03o lets others read or write it (chmod 600)", path,
            (unsigned)(st.st_mode & 0777));
        return TEKHO_ERR_CREDENTIALS;
    }
    return TEKHO_OK;
}

tekho_err tekho_creds_random_psk(uint8_t *key, size_t len)
{
    if (key == NULL || len < TEKHO_DTLS_PSK_MIN || len > TEKHO_DTLS_PSK_MAX)
        return TEKHO_ERR_INVALID_ARGUMENT;
    return RAND_priv_bytes(key, (int)len) == 1 ? TEKHO_OK : TEKHO_ERR_CRYPTO;
}

/* ---- writing PEM files whole ----------------------------------------------------------- */

enum pem_kind { PEM_CERT, PEM_KEY };

/* Writes the certificate or key into a temporary file next to path, with
 * its final mode, syncs it and renames it into place. */
static tekho_err write_pem(const char *path, enum pem_kind kind, const void *obj, char *msg, size_t cap)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        say(msg, cap, "%s: path too long", path);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    const int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        say(msg, cap, "%s: %s", path, strerror(errno));
        return TEKHO_ERR_IO;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        say(msg, cap, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return TEKHO_ERR_IO;
    }
    bool ok = fchmod(fd, kind == PEM_KEY ? 0600 : 0644) == 0;
    if (ok && kind == PEM_CERT)
        ok = PEM_write_X509(f, (const X509 *)obj) == 1;
    else if (ok)
        ok = PEM_write_PrivateKey(f, (const EVP_PKEY *)obj, NULL, NULL, 0, NULL, NULL) == 1;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fd) == 0 && ok;
    const int saved = errno;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0) {
        say(msg, cap, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return TEKHO_ERR_IO;
    }
    if (!ok) {
        say(msg, cap, "%s: cannot write (%s)", path, strerror(saved));
        ERR_clear_error();
        unlink(tmp);
        return TEKHO_ERR_IO;
    }
    return TEKHO_OK;
}

/* ---- certificates ---------------------------------------------------------------------- */

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for key (subject CN = name), issued by issuer (NULL:
 * self-signed) and signed with issuer_key, valid for days, with a CA's or
 * a node's extensions (creds.h). */
static X509 *new_cert(const char *name, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, unsigned days, bool ca)
{
    X509 *cert = X509_new();
    BIGNUM *serial = BN_new();
    bool ok = cert != NULL && serial != NULL && X509_set_version(cert, X509_VERSION_3) == 1 &&
              BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != NULL &&
              X509_gmtime_adj(X509_getm_notBefore(cert), -CLOCK_SKEW_S) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400L) != NULL &&
              X509_set_pubkey(cert, key) == 1;
    X509_NAME *subject = ok ? X509_get_subject_name(cert) : NULL;
    ok = ok && X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_ASC, (const unsigned char *)name, -1,
                                          -1, 0) == 1;
    ok = ok && X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : subject) == 1;
    X509 *iss = issuer != NULL ? issuer : cert;
    if (ca) {
        ok = ok && add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(cert, iss, NID_subject_key_identifier, "hash") &&
             add_ext(cert, iss, NID_authority_key_identifier, "keyid:always");
    } else {
        char san[8 + TEKHO_DTLS_NAME_MAX];
        snprintf(san, sizeof san, "DNS:%s", name);
        ok = ok && add_ext(cert, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(cert, iss, NID_key_usage, "critical,digitalSignature") &&
             add_ext(cert, iss, NID_ext_key_usage, "serverAuth,clientAuth") &&
             add_ext(cert, iss, NID_subject_alt_name, san) &&
             add_ext(cert, iss, NID_subject_key_identifier, "hash") &&
             add_ext(cert, iss, NID_authority_key_identifier, "keyid:always");
    }
    ok = ok && X509_sign(cert, issuer_key, EVP_sha256()) > 0;
    BN_free(serial);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static EVP_PKEY *new_p256_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

tekho_err tekho_creds_make_ca(const char *ca_name, unsigned days, const char *cert_path, const char *key_path,
                              char *msg, size_t cap)
{
    if (cert_path == NULL || key_path == NULL || !tekho_creds_name_ok(ca_name)) {
        say(msg, cap, "CA name must be 1..%u characters of A-Z a-z 0-9 . _ -", TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (days == 0)
        days = TEKHO_CREDS_DAYS_DEFAULT;
    char why[256];
    EVP_PKEY *key = new_p256_key();
    X509 *cert = key != NULL ? new_cert(ca_name, key, NULL, key, days, true) : NULL;
    tekho_err err = TEKHO_OK;
    if (cert == NULL) {
        say(msg, cap, "CA %s: %s", ca_name, ossl_reason(why, sizeof why));
        err = TEKHO_ERR_CRYPTO;
    }
    if (err == TEKHO_OK)
        err = write_pem(key_path, PEM_KEY, key, msg, cap);
    if (err == TEKHO_OK)
        err = write_pem(cert_path, PEM_CERT, cert, msg, cap);
    X509_free(cert);
    EVP_PKEY_free(key); /* OpenSSL wipes the private key as it frees it */
    return err;
}

/* A PEM certificate or private key from path; NULL with the reason in why. */
static void *read_pem(const char *path, enum pem_kind kind, char *why, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(why, cap, "%s", strerror(errno));
        return NULL;
    }
    void *obj = kind == PEM_CERT ? (void *)PEM_read_X509(f, NULL, NULL, NULL)
                                 : (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (obj == NULL)
        ossl_reason(why, cap);
    return obj;
}

tekho_err tekho_creds_make_node(const char *ca_cert_path, const char *ca_key_path, const char *node_name,
                                unsigned days, const char *cert_path, const char *key_path, char *msg, size_t cap)
{
    if (ca_cert_path == NULL || ca_key_path == NULL || cert_path == NULL || key_path == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if (!tekho_creds_name_ok(node_name)) {
        say(msg, cap, "node name must be 1..%u characters of A-Z a-z 0-9 . _ -", TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (days == 0)
        days = TEKHO_CREDS_DAYS_DEFAULT;
    tekho_err err = tekho_creds_check_key_file(ca_key_path, msg, cap);
    if (err != TEKHO_OK)
        return err;
    char why[256] = "";
    X509 *ca = read_pem(ca_cert_path, PEM_CERT, why, sizeof why);
    EVP_PKEY *ca_key = ca != NULL ? read_pem(ca_key_path, PEM_KEY, why, sizeof why) : NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    if (ca == NULL || ca_key == NULL) {
        say(msg, cap, "CA %s: %s", ca == NULL ? ca_cert_path : ca_key_path, why);
        err = TEKHO_ERR_CREDENTIALS;
    } else if (X509_check_private_key(ca, ca_key) != 1) {
        say(msg, cap, "CA %s: key %s is not its key", ca_cert_path, ca_key_path);
        ERR_clear_error();
        err = TEKHO_ERR_CREDENTIALS;
    } else if ((key = new_p256_key()) == NULL || (cert = new_cert(node_name, key, ca, ca_key, days, false)) == NULL) {
        say(msg, cap, "node %s: %s", node_name, ossl_reason(why, sizeof why));
        err = TEKHO_ERR_CRYPTO;
    }
    if (err == TEKHO_OK)
        err = write_pem(key_path, PEM_KEY, key, msg, cap);
    if (err == TEKHO_OK)
        err = write_pem(cert_path, PEM_CERT, cert, msg, cap);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    return err;
}
