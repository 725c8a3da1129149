/* The OpenSSL side of the DTLS transport (dtls.h): the BIO that lets one
 * UDP socket serve every peer (it reads the datagram being dispatched and
 * writes with sendto to the peer's address), the callbacks (retransmission
 * timer, cookies, certificate names, PSKs, key log), and the context with
 * its credentials. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "creds.h"
#include "dtls_internal.h"

#define CERT_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256"
#define PSK_CIPHERS "ECDHE-PSK-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256"
#define SIGALGS "ECDSA+SHA256"
#define COOKIE_SECRET_LIFETIME_US (60u * 1000000u)
#define MAX_CERT_LIST 16384L /* the peer's chain, bytes: bounds what a half-open peer makes us hold */
#define VERIFY_DEPTH 4

/* ---- messages ---------------------------------------------------------------------- */

void tekho_dtls_say(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

const char *tekho_dtls_ossl_reason(char *buf, size_t cap)
{
    const unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, cap, "no reason given");
    else
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

/* ---- the BIO: one datagram in, sendto out ----------------------------------------------- */

static int bio_write(BIO *b, const char *data, int len)
{
    struct dtls_link *l = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (l == NULL || len < 0)
        return -1;
    l->writes++;
    ssize_t n;
    do {
        n = sendto(l->ep->fd, data, (size_t)len, 0, (const struct sockaddr *)&l->addr, l->addr_len);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        l->ep->stats.datagrams_out++;
    else
        l->ep->stats.send_errors++;
    /* A datagram that could not leave is lost, as on the wire: DTLS
     * retransmits handshake flights, and the protocol above deals with a
     * lost message. Reporting a retry instead would wedge SSL_write. */
    return len;
}

static int bio_read(BIO *b, char *out, int cap)
{
    struct dtls_link *l = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (l == NULL || l->in == NULL || cap < 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    const size_t n = l->in_len < (size_t)cap ? l->in_len : (size_t)cap;
    memcpy(out, l->in, n);
    l->in = NULL;
    l->in_len = 0;
    return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    const struct dtls_link *l = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return l != NULL ? (long)l->ep->mtu : 0;
    default: /* GET_MTU_OVERHEAD 0: cfg->mtu is the UDP payload; PENDING 0; GET_PEER unsupported */
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_data(b, NULL);
    BIO_set_init(b, 1);
    return 1;
}

static int bio_destroy(BIO *b)
{
    if (b != NULL)
        BIO_set_data(b, NULL);
    return 1;
}

/* ---- OpenSSL callbacks -------------------------------------------------------------------- */

static struct tekho_dtls *ep_of(const SSL *ssl)
{
    return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

/* First retransmission after retransmit_ms, then doubling to 60 s. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
    const struct tekho_dtls *ep = ep_of(ssl);
    if (timer_us == 0)
        return ep->retransmit_us;
    return timer_us >= DTLS_RETRANSMIT_MAX_US / 2 ? DTLS_RETRANSMIT_MAX_US : 2 * timer_us;
}

static void cookie_secret_maybe_renew(struct tekho_dtls *ep)
{
    const uint64_t now = dtls_now_us();
    if (now - ep->cookie_secret_at_us < COOKIE_SECRET_LIFETIME_US)
        return;
    uint8_t fresh[DTLS_COOKIE_LEN];
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return; /* keep the secrets we have */
    memcpy(ep->cookie_secret[1], ep->cookie_secret[0], DTLS_COOKIE_LEN);
    memcpy(ep->cookie_secret[0], fresh, DTLS_COOKIE_LEN);
    OPENSSL_cleanse(fresh, sizeof fresh);
    ep->cookie_secret_at_us = now;
}

static bool cookie_of(const uint8_t secret[DTLS_COOKIE_LEN], const struct dtls_addr_key *k,
                      uint8_t out[DTLS_COOKIE_LEN])
{
    size_t n = 0;
    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, DTLS_COOKIE_LEN, (const unsigned char *)k, sizeof *k,
                     out, DTLS_COOKIE_LEN, &n) != NULL &&
           n == DTLS_COOKIE_LEN;
}

static int cookie_generate_cb(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    const struct dtls_link *l = BIO_get_data(SSL_get_rbio(ssl));
    if (l == NULL)
        return 0;
    cookie_secret_maybe_renew(l->ep);
    if (!cookie_of(l->ep->cookie_secret[0], &l->key, cookie))
        return 0;
    *len = DTLS_COOKIE_LEN;
    return 1;
}

static int cookie_verify_cb(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    const struct dtls_link *l = BIO_get_data(SSL_get_rbio(ssl));
    if (l == NULL || len != DTLS_COOKIE_LEN)
        return 0;
    cookie_secret_maybe_renew(l->ep);
    int ok = 0;
    uint8_t want[DTLS_COOKIE_LEN];
    for (int i = 0; i < 2 && !ok; i++)
        ok = cookie_of(l->ep->cookie_secret[i], &l->key, want) && CRYPTO_memcmp(want, cookie, DTLS_COOKIE_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return ok;
}

bool tekho_dtls_cert_name(X509 *cert, char out[TEKHO_DTLS_NAME_MAX + 1])
{
    X509_NAME *subject = X509_get_subject_name(cert);
    const int i = subject != NULL ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (i < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, i) >= 0)
        return false;
    unsigned char *utf8 = NULL;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    bool ok = n > 0 && (unsigned)n <= TEKHO_DTLS_NAME_MAX && memchr(utf8, 0, (size_t)n) == NULL;
    if (ok) {
        memcpy(out, utf8, (size_t)n);
        out[n] = '\0';
        ok = tekho_creds_name_ok(out);
    }
    OPENSSL_free(utf8);
    if (!ok)
        out[0] = '\0';
    return ok;
}

/* Chain checks are OpenSSL's (to the configured CA only); at the leaf the
 * name must be valid and, connecting, the expected one. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct dtls_peer *p = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    if (!ok || p == NULL)
        return 0;
    if (X509_STORE_CTX_get_error_depth(xs) != 0)
        return 1;
    char name[TEKHO_DTLS_NAME_MAX + 1];
    if (!tekho_dtls_cert_name(X509_STORE_CTX_get_current_cert(xs), name)) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (p->client && strcmp(name, p->expected) != 0) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    return 1;
}

/* Client: the server's identity hint is the name it claims; it must be the
 * expected one. Then our identity and key. */
static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                                  unsigned char *psk, unsigned int max_psk_len)
{
    struct dtls_peer *p = SSL_get_app_data(ssl);
    const struct tekho_dtls *ep = ep_of(ssl);
    if (p == NULL || !p->client || hint == NULL || strcmp(hint, p->expected) != 0)
        return 0;
    const size_t id_len = strlen(ep->psk_identity);
    if (id_len + 1 > max_identity_len || ep->psk_key_len > max_psk_len)
        return 0;
    memcpy(identity, ep->psk_identity, id_len + 1);
    memcpy(psk, ep->psk_key, ep->psk_key_len);
    return (unsigned int)ep->psk_key_len;
}

/* Server: the client's identity names it; its key from the table, else
 * from psk_lookup. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    const struct dtls_peer *p = SSL_get_app_data(ssl);
    const struct tekho_dtls *ep = ep_of(ssl);
    if (p == NULL || p->client || !tekho_creds_name_ok(identity))
        return 0;
    for (size_t i = 0; i < ep->psk_table_len; i++) {
        const struct dtls_psk_node *n = &ep->psk_table[i];
        if (strcmp(n->identity, identity) == 0) {
            if (n->key_len > max_psk_len)
                return 0;
            memcpy(psk, n->key, n->key_len);
            return (unsigned int)n->key_len;
        }
    }
    if (ep->psk_lookup == NULL)
        return 0;
    uint8_t key[TEKHO_DTLS_PSK_MAX];
    const size_t n = ep->psk_lookup(ep->psk_lookup_ctx, identity, key);
    unsigned int ret = 0;
    if (n >= TEKHO_DTLS_PSK_MIN && n <= TEKHO_DTLS_PSK_MAX && n <= max_psk_len) {
        memcpy(psk, key, n);
        ret = (unsigned int)n;
    }
    OPENSSL_cleanse(key, sizeof key);
    return ret;
}

/* One NSS key-log line per write(2) on an O_APPEND file. */
static void keylog_cb(const SSL *ssl, const char *line)
{
    const struct tekho_dtls *ep = ep_of(ssl);
    if (ep == NULL || ep->keylog_fd < 0)
        return;
    struct iovec v[2] = {{(void *)(uintptr_t)line, strlen(line)}, {"\n", 1}};
    ssize_t n;
    do {
        n = writev(ep->keylog_fd, v, 2);
    } while (n < 0 && errno == EINTR);
}

/* ---- the context ---------------------------------------------------------------------- */

SSL *tekho_dtls_new_ssl(struct tekho_dtls *ep, struct dtls_link *l, bool client)
{
    SSL *ssl = SSL_new(ep->ctx);
    BIO *bio = BIO_new(ep->bio_method);
    if (ssl == NULL || bio == NULL) {
        SSL_free(ssl);
        BIO_free(bio);
        return NULL;
    }
    BIO_set_data(bio, l);
    SSL_set_bio(ssl, bio, bio);
    if (client)
        SSL_set_connect_state(ssl);
    else
        SSL_set_accept_state(ssl);
    DTLS_set_timer_cb(ssl, timer_cb);
    if (DTLS_set_link_mtu(ssl, (long)ep->mtu) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static tekho_err load_certificates(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg,
                                   size_t cap)
{
    char why[256];
    if (cfg->ca_file == NULL || cfg->cert_file == NULL || cfg->key_file == NULL) {
        tekho_dtls_say(msg, cap, "certificate mode needs a CA, a certificate and a key file");
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    tekho_err err = tekho_creds_check_key_file(cfg->key_file, msg, cap);
    if (err != TEKHO_OK)
        return err;
    if (SSL_CTX_load_verify_locations(ep->ctx, cfg->ca_file, NULL) != 1) {
        tekho_dtls_say(msg, cap, "CA %s: %s", cfg->ca_file, tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    if (SSL_CTX_use_certificate_chain_file(ep->ctx, cfg->cert_file) != 1) {
        tekho_dtls_say(msg, cap, "certificate %s: %s", cfg->cert_file, tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    if (SSL_CTX_use_PrivateKey_file(ep->ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ep->ctx) != 1) {
        tekho_dtls_say(msg, cap, "key %s: %s", cfg->key_file, tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CREDENTIALS;
    }
    /* Our own certificate: a name peers accept, and a chain to the CA
     * they check it against (an expired or foreign certificate is caught
     * here rather than by every peer). */
    X509 *own = SSL_CTX_get0_certificate(ep->ctx);
    char name[TEKHO_DTLS_NAME_MAX + 1];
    if (own == NULL || !tekho_dtls_cert_name(own, name)) {
        tekho_dtls_say(msg, cap, "certificate %s: its subject needs one CN of 1..%u characters of A-Z a-z 0-9 . _ -",
            cfg->cert_file, TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_CREDENTIALS;
    }
    STACK_OF(X509) *chain = NULL;
    X509_STORE_CTX *xs = X509_STORE_CTX_new();
    int ok = xs != NULL && SSL_CTX_get0_chain_certs(ep->ctx, &chain) == 1 &&
             X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(ep->ctx), own, chain) == 1;
    ok = ok && X509_verify_cert(xs) == 1;
    if (!ok) {
        const int e = xs != NULL ? X509_STORE_CTX_get_error(xs) : X509_V_ERR_OUT_OF_MEM;
        tekho_dtls_say(msg, cap, "certificate %s does not verify against CA %s: %s", cfg->cert_file, cfg->ca_file,
            X509_verify_cert_error_string(e));
        err = TEKHO_ERR_CREDENTIALS;
    }
    X509_STORE_CTX_free(xs);
    ERR_clear_error();
    if (err != TEKHO_OK)
        return err;
    SSL_CTX_set_verify(ep->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_verify_depth(ep->ctx, VERIFY_DEPTH);
    if (SSL_CTX_set_cipher_list(ep->ctx, CERT_CIPHERS) != 1 || SSL_CTX_set1_sigalgs_list(ep->ctx, SIGALGS) != 1 ||
        SSL_CTX_set1_client_sigalgs_list(ep->ctx, SIGALGS) != 1) {
        tekho_dtls_say(msg, cap, "TLS settings: %s", tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    return TEKHO_OK;
}

static tekho_err load_psk(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap)
{
    char why[256];
    if (!tekho_creds_name_ok(cfg->psk_identity)) {
        tekho_dtls_say(msg, cap, "PSK identity must be 1..%u characters of A-Z a-z 0-9 . _ -", TEKHO_DTLS_NAME_MAX);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (cfg->psk_key == NULL || cfg->psk_key_len < TEKHO_DTLS_PSK_MIN || cfg->psk_key_len > TEKHO_DTLS_PSK_MAX) {
        tekho_dtls_say(msg, cap, "PSK of %s: %u to %u bytes", cfg->psk_identity, TEKHO_DTLS_PSK_MIN,
                       TEKHO_DTLS_PSK_MAX);
        return TEKHO_ERR_CREDENTIALS;
    }
    snprintf(ep->psk_identity, sizeof ep->psk_identity, "%s", cfg->psk_identity);
    memcpy(ep->psk_key, cfg->psk_key, cfg->psk_key_len);
    ep->psk_key_len = cfg->psk_key_len;
    if (cfg->psk_table_len > 0) {
        if (cfg->psk_table == NULL)
            return TEKHO_ERR_INVALID_ARGUMENT;
        ep->psk_table = calloc(cfg->psk_table_len, sizeof *ep->psk_table);
        if (ep->psk_table == NULL)
            return TEKHO_ERR_NO_MEMORY;
        ep->psk_table_len = cfg->psk_table_len;
        for (size_t i = 0; i < cfg->psk_table_len; i++) {
            const struct tekho_dtls_psk_entry *e = &cfg->psk_table[i];
            if (!tekho_creds_name_ok(e->identity) || e->key == NULL || e->key_len < TEKHO_DTLS_PSK_MIN ||
                e->key_len > TEKHO_DTLS_PSK_MAX) {
                tekho_dtls_say(msg, cap,
                               "PSK table entry %zu: identity of 1..%u characters of A-Z a-z 0-9 . _ -, "
                               "key of %u to %u bytes",
                               i, TEKHO_DTLS_NAME_MAX, TEKHO_DTLS_PSK_MIN, TEKHO_DTLS_PSK_MAX);
                return TEKHO_ERR_CREDENTIALS;
            }
            snprintf(ep->psk_table[i].identity, sizeof ep->psk_table[i].identity, "%s", e->identity);
            memcpy(ep->psk_table[i].key, e->key, e->key_len);
            ep->psk_table[i].key_len = e->key_len;
        }
    }
    ep->psk_lookup = cfg->psk_lookup;
    ep->psk_lookup_ctx = cfg->psk_lookup_ctx;
    SSL_CTX_set_psk_client_callback(ep->ctx, psk_client_cb);
    SSL_CTX_set_psk_server_callback(ep->ctx, psk_server_cb);
    if (SSL_CTX_use_psk_identity_hint(ep->ctx, ep->psk_identity) != 1 ||
        SSL_CTX_set_cipher_list(ep->ctx, PSK_CIPHERS) != 1) {
        tekho_dtls_say(msg, cap, "TLS settings: %s", tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    SSL_CTX_set_verify(ep->ctx, SSL_VERIFY_NONE, NULL);
    return TEKHO_OK;
}

static tekho_err open_keylog(struct tekho_dtls *ep, const char *path, char *msg, size_t cap)
{
    ep->keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (ep->keylog_fd < 0) {
        tekho_dtls_say(msg, cap, "key log %s: %s", path, strerror(errno));
        return TEKHO_ERR_IO;
    }
    struct stat st;
    if (fstat(ep->keylog_fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        tekho_dtls_say(msg, cap, "key log %s: not a regular file only its owner may read (chmod 600)", path);
        return TEKHO_ERR_IO;
    }
    SSL_CTX_set_keylog_callback(ep->ctx, keylog_cb);
    return TEKHO_OK;
}

static tekho_err setup_ctx(struct tekho_dtls *ep, char *msg, size_t cap)
{
    char why[256];
    ep->ctx = SSL_CTX_new(DTLS_method());
    if (ep->ctx == NULL || SSL_CTX_set_min_proto_version(ep->ctx, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ep->ctx, DTLS1_2_VERSION) != 1 || SSL_CTX_set_app_data(ep->ctx, ep) != 1 ||
        SSL_CTX_set1_groups_list(ep->ctx, GROUPS) != 1) {
        tekho_dtls_say(msg, cap, "TLS context: %s", tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    SSL_CTX_set_options(ep->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU | SSL_OP_COOKIE_EXCHANGE |
                                     SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ep->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_max_cert_list(ep->ctx, MAX_CERT_LIST);
    SSL_CTX_set_cookie_generate_cb(ep->ctx, cookie_generate_cb);
    SSL_CTX_set_cookie_verify_cb(ep->ctx, cookie_verify_cb);

    ep->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tekho dtls datagram");
    if (ep->bio_method == NULL || BIO_meth_set_write(ep->bio_method, bio_write) != 1 ||
        BIO_meth_set_read(ep->bio_method, bio_read) != 1 || BIO_meth_set_puts(ep->bio_method, bio_puts) != 1 ||
        BIO_meth_set_ctrl(ep->bio_method, bio_ctrl) != 1 || BIO_meth_set_create(ep->bio_method, bio_create) != 1 ||
        BIO_meth_set_destroy(ep->bio_method, bio_destroy) != 1 || (ep->listen_client = BIO_ADDR_new()) == NULL) {
        tekho_dtls_say(msg, cap, "BIO: %s", tekho_dtls_ossl_reason(why, sizeof why));
        return TEKHO_ERR_CRYPTO;
    }
    ep->listen_link.ep = ep;
    return TEKHO_OK;
}

tekho_err tekho_dtls_tls_setup(struct tekho_dtls *ep, const struct tekho_dtls_config *cfg, char *msg, size_t cap)
{
    tekho_err err = setup_ctx(ep, msg, cap);
    if (err == TEKHO_OK)
        err = cfg->auth == TEKHO_DTLS_AUTH_CERT ? load_certificates(ep, cfg, msg, cap) : load_psk(ep, cfg, msg, cap);
    if (err == TEKHO_OK && cfg->keylog_file != NULL)
        err = open_keylog(ep, cfg->keylog_file, msg, cap);
    return err;
}
