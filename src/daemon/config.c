/* The daemons' YAML config (config.h): libyaml's document API, then a
 * walk over the nodes that knows every key, and the checks across entries. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "tekho/sim.h"

/* ---- endpoints ---- */

tekho_err tekho_config_endpoint_parse(const char *text, struct tekho_config_endpoint *out)
{
    if (text == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t len = strlen(text);
    if (len == 0 || len >= sizeof out->text)
        return TEKHO_ERR_INVALID_ARGUMENT;
    char host[TEKHO_CONFIG_ADDR_MAX];
    const char *port_text;
    bool v6 = false;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return TEKHO_ERR_INVALID_ARGUMENT;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port_text = close + 2;
        v6 = true;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL || strchr(text, ':') != colon)
            return TEKHO_ERR_INVALID_ARGUMENT; /* an IPv6 address needs its brackets */
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port_text = colon + 1;
    }
    unsigned long port = 0;
    if (port_text[0] == '\0' || strlen(port_text) > 5)
        return TEKHO_ERR_INVALID_ARGUMENT;
    for (const char *p = port_text; *p; p++) {
        if (*p < '0' || *p > '9')
            return TEKHO_ERR_INVALID_ARGUMENT;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port > 65535)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_config_endpoint ep;
    memset(&ep, 0, sizeof ep);
    if (v6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep.addr;
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            return TEKHO_ERR_INVALID_ARGUMENT;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        ep.addr_len = sizeof *sin6;
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ep.addr;
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            return TEKHO_ERR_INVALID_ARGUMENT;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        ep.addr_len = sizeof *sin;
    }
    memcpy(ep.text, text, len + 1);
    ep.port = (uint16_t)port;
    ep.present = true;
    *out = ep;
    return TEKHO_OK;
}

/* ---- the walk ---- */

struct walk {
    yaml_document_t *doc;
    const char *name;          /* the file, for messages */
    const char *dir;           /* relative paths against it; NULL: as they are */
    char *err;
    size_t cap;
    bool failed;
    tekho_err rc;
    struct tekho_config *cfg;
};

static bool fail_at(struct walk *w, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The first error wins; always false. */
static bool fail_at(struct walk *w, unsigned line, unsigned column, const char *fmt, ...)
{
    if (w->failed)
        return false;
    w->failed = true;
    w->rc = TEKHO_ERR_CONFIG;
    if (w->err != NULL && w->cap > 0) {
        const int n = snprintf(w->err, w->cap, "%s:%u:%u: ", w->name, line, column);
        if (n >= 0 && (size_t)n < w->cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(w->err + n, w->cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

#define LINE(n) ((unsigned)(n)->start_mark.line + 1)
#define COL(n) ((unsigned)(n)->start_mark.column + 1)
#define FAIL(w, node, ...) fail_at((w), LINE(node), COL(node), __VA_ARGS__)

static bool no_memory(struct walk *w)
{
    if (!w->failed) {
        w->failed = true;
        w->rc = TEKHO_ERR_NO_MEMORY;
        if (w->err != NULL && w->cap > 0)
            snprintf(w->err, w->cap, "%s: out of memory", w->name);
    }
    return false;
}

static const char *what(const yaml_node_t *n)
{
    if (n == NULL)
        return "nothing";
    switch (n->type) {
    case YAML_SCALAR_NODE: return n->data.scalar.length == 0 ? "nothing" : "a value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* Levenshtein distance between two short keys (SIZE_MAX if long). */
static size_t distance(const char *a, const char *b)
{
    const size_t n = strlen(a), m = strlen(b);
    if (n > 31 || m > 31)
        return SIZE_MAX;
    size_t row[32];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            const size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* Checks mapping n (at `where`: "bs[1]", "" at the top): every key a plain
 * text, one of keys[0 .. nk), none twice. vals[i]: the value of keys[i] or
 * NULL. */
static bool fields(struct walk *w, const yaml_node_t *n, const char *where, const char *const *keys, size_t nk,
                   yaml_node_t **vals)
{
    const char *sep = where[0] ? ": " : "";
    if (n->type != YAML_MAPPING_NODE)
        return FAIL(w, n, "%s%sexpected a mapping (key: value lines), got %s", where, sep, what(n));
    for (size_t i = 0; i < nk; i++)
        vals[i] = NULL;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE)
            return FAIL(w, k ? k : n, "%s%sa key must be a plain word, got %s", where, sep, what(k));
        size_t i = 0;
        while (i < nk && strcmp(keys[i], scalar(k)) != 0)
            i++;
        if (i == nk) {
            const char *near = NULL;
            size_t best = 3;
            for (size_t j = 0; j < nk; j++) {
                const size_t d = distance(scalar(k), keys[j]);
                if (d < best) {
                    best = d;
                    near = keys[j];
                }
            }
            char known[256] = "";
            size_t at = 0;
            for (size_t j = 0; j < nk && at < sizeof known; j++)
                at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", j ? ", " : "", keys[j]);
            if (near != NULL)
                return FAIL(w, k, "%s%sunknown key '%.64s' (did you mean '%s'?)", where, sep, scalar(k), near);
            return FAIL(w, k, "%s%sunknown key '%.64s' (known: %s)", where, sep, scalar(k), known);
        }
        if (vals[i] != NULL)
            return FAIL(w, k, "%s%s'%s' given twice", where, sep, keys[i]);
        vals[i] = yaml_document_get_node(w->doc, p->value);
    }
    return true;
}

/* "where.key" into buf. */
static const char *path_of(char *buf, size_t cap, const char *where, const char *key)
{
    snprintf(buf, cap, "%s%s%s", where, where[0] ? "." : "", key);
    return buf;
}

/* A required value is there (missing: the error at the mapping m). */
static bool required(struct walk *w, const yaml_node_t *m, const yaml_node_t *v, const char *where, const char *key)
{
    if (v != NULL)
        return true;
    if (where[0])
        return FAIL(w, m, "%s: missing '%s'", where, key);
    return FAIL(w, m, "missing '%s'", key);
}

/* A non-empty text value without NUL characters: a borrowed pointer. */
static bool text(struct walk *w, const yaml_node_t *v, const char *key, const char **out)
{
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        return FAIL(w, v, "%s: expected a value, got %s", key, what(v));
    if (strlen(scalar(v)) != v->data.scalar.length)
        return FAIL(w, v, "%s: contains a NUL character", key);
    *out = scalar(v);
    return true;
}

/* Numbers are written unquoted ("3", not '3' or "3"). */
static bool plain(const yaml_node_t *v)
{
    return v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* An unquoted decimal integer in [min, max]. */
static bool integer(struct walk *w, const yaml_node_t *v, const char *key, unsigned long long min,
                    unsigned long long max, unsigned long long *out)
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    bool ok = plain(v) && strlen(s) <= 19;
    unsigned long long x = 0;
    for (const char *p = s; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
        x = x * 10 + (unsigned long long)(*p - '0');
    }
    if (!ok)
        return FAIL(w, v, "%s: expected an integer from %llu to %llu (unquoted), got %s", key, min, max,
                    plain(v) ? "text" : "a quoted value");
    if (x < min || x > max)
        return FAIL(w, v, "%s: %llu is out of range %llu..%llu", key, x, min, max);
    *out = x;
    return true;
}

/* An unquoted finite decimal number (sign, fraction and exponent allowed). */
static bool number(struct walk *w, const yaml_node_t *v, const char *key, double *out)
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    bool ok = plain(v);
    for (const char *p = s; ok && *p; p++)
        ok = strchr("0123456789+-.eE", *p) != NULL;
    char *end = NULL;
    errno = 0;
    const double x = ok ? strtod(s, &end) : 0;
    if (!ok || end == s || *end != '\0' || errno != 0 || !isfinite(x))
        return FAIL(w, v, "%s: expected a number (unquoted, finite), got %s", key, plain(v) ? "text" : "a quoted value");
    *out = x;
    return true;
}

static char *dup_text(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* prefix and file, with dir/ between them unless file is absolute or dir
 * NULL: malloc'd. */
static char *resolve(const char *dir, const char *prefix, const char *file)
{
    const bool join = file[0] != '/' && dir != NULL && dir[0] != '\0';
    const bool slash = join && dir[strlen(dir) - 1] != '/';
    const size_t n = strlen(prefix) + (join ? strlen(dir) + slash : 0) + strlen(file) + 1;
    char *out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s%s%s%s", prefix, join ? dir : "", slash ? "/" : "", file);
    return out;
}

/* A path, resolved against the config's directory. */
static bool path(struct walk *w, const yaml_node_t *v, const char *key, char **out)
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    *out = resolve(w->dir, "", s);
    return *out != NULL || no_memory(w);
}

static bool name(struct walk *w, const yaml_node_t *v, const char *key, char out[TEKHO_CONFIG_NAME_MAX])
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    const size_t n = strlen(s);
    bool ok = n < TEKHO_CONFIG_NAME_MAX;
    for (const char *p = s; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
             *p == '_' || *p == '-';
    if (!ok)
        return FAIL(w, v, "%s: a name is 1 to %d characters of A-Z a-z 0-9 . _ -, got '%.64s%s'", key,
                    TEKHO_CONFIG_NAME_MAX - 1, s, n > 64 ? "..." : "");
    memcpy(out, s, n + 1);
    return true;
}

static bool endpoint(struct walk *w, const yaml_node_t *v, const char *key, struct tekho_config_endpoint *out)
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    if (tekho_config_endpoint_parse(s, out) != TEKHO_OK)
        return FAIL(w, v,
                    "%s: not an address: HOST:PORT with a numeric IPv4 address, or [IPv6]:PORT, port 0 to 65535; "
                    "got '%.64s'",
                    key, s);
    out->line = LINE(v);
    out->column = COL(v);
    return true;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The psk: hex, 16 to 64 bytes. Its value is never quoted in an error. */
static bool psk(struct walk *w, const yaml_node_t *v, const char *key, struct tekho_config_psk *out)
{
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        return FAIL(w, v, "%s: expected hex digits, got %s", key, what(v));
    const char *s = scalar(v);
    const size_t n = v->data.scalar.length;
    bool ok = n % 2 == 0 && strlen(s) == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = hex_digit(s[i]) >= 0;
    if (!ok)
        return FAIL(w, v, "%s: not hex (an even number of hex digits, no separators)", key);
    if (n / 2 < TEKHO_CONFIG_PSK_MIN || n / 2 > TEKHO_CONFIG_PSK_MAX)
        return FAIL(w, v, "%s: must be %d to %d bytes (%d to %d hex digits), got %zu", key, TEKHO_CONFIG_PSK_MIN,
                    TEKHO_CONFIG_PSK_MAX, 2 * TEKHO_CONFIG_PSK_MIN, 2 * TEKHO_CONFIG_PSK_MAX, n / 2);
    for (size_t i = 0; i < n / 2; i++)
        out->bytes[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
    out->len = n / 2;
    return true;
}

/* cert and key in cert mode, psk in psk mode, nothing of the other. */
static bool credentials_of(struct walk *w, const yaml_node_t *m, const char *where, yaml_node_t *cert,
                           yaml_node_t *key, yaml_node_t *psk_node, char **cert_out, char **key_out,
                           struct tekho_config_psk *psk_out)
{
    char k[96];
    if (w->cfg->mode == TEKHO_CONFIG_CERT) {
        if (psk_node != NULL)
            return FAIL(w, psk_node, "%s: psk goes with credentials.mode psk, and the mode is cert", where);
        return required(w, m, cert, where, "cert") && required(w, m, key, where, "key") &&
               path(w, cert, path_of(k, sizeof k, where, "cert"), cert_out) &&
               path(w, key, path_of(k, sizeof k, where, "key"), key_out);
    }
    if (cert != NULL || key != NULL)
        return FAIL(w, cert ? cert : key, "%s: %s goes with credentials.mode cert, and the mode is psk", where,
                    cert ? "cert" : "key");
    return required(w, m, psk_node, where, "psk") && psk(w, psk_node, path_of(k, sizeof k, where, "psk"), psk_out);
}

static bool optional_endpoint(struct walk *w, const yaml_node_t *v, const char *where, const char *key,
                              struct tekho_config_endpoint *out)
{
    char k[96];
    return v == NULL || endpoint(w, v, path_of(k, sizeof k, where, key), out);
}

static bool required_endpoint(struct walk *w, const yaml_node_t *m, const yaml_node_t *v, const char *where,
                              const char *key, struct tekho_config_endpoint *out)
{
    char k[96];
    return required(w, m, v, where, key) && endpoint(w, v, path_of(k, sizeof k, where, key), out);
}

/* ---- sections ---- */

static bool network(struct walk *w, const yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return FAIL(w, n, "network: expected a mapping of tekho sim options (scheme: counter), got %s", what(n));
    const size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    struct tekho_config *cfg = w->cfg;
    if (count > 0 && (cfg->network = calloc(count, sizeof *cfg->network)) == NULL)
        return no_memory(w);
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        const char *ks = NULL, *vs = NULL;
        if (k == NULL || k->type != YAML_SCALAR_NODE || k->data.scalar.length == 0)
            return FAIL(w, k ? k : n, "network: a key must be a plain word (a tekho sim option), got %s", what(k));
        if (!text(w, k, "network", &ks))
            return false;
        char kp[96];
        snprintf(kp, sizeof kp, "network.%.64s", ks);
        if (v == NULL || v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
            return FAIL(w, v ? v : k, "%s: expected a value (as --%.64s takes it), got %s", kp, ks, what(v));
        if (!text(w, v, kp, &vs))
            return false;
        for (size_t i = 0; i < cfg->n_network; i++)
            if (strcmp(cfg->network[i].key, ks) == 0)
                return FAIL(w, k, "network: '%.64s' given twice (the first on line %u)", ks, cfg->network[i].line);
        struct tekho_config_setting *s = &cfg->network[cfg->n_network];
        if ((s->key = dup_text(ks)) == NULL || (s->value = dup_text(vs)) == NULL)
            return no_memory(w);
        cfg->n_network++;
        s->line = LINE(k);
        s->column = COL(k);
        s->value_line = LINE(v);
        s->value_column = COL(v);
    }
    return true;
}

static bool credentials(struct walk *w, const yaml_node_t *n)
{
    static const char *const keys[] = {"mode", "ca"};
    yaml_node_t *v[2];
    if (!fields(w, n, "credentials", keys, 2, v) || !required(w, n, v[0], "credentials", "mode"))
        return false;
    const char *mode = NULL;
    if (!text(w, v[0], "credentials.mode", &mode))
        return false;
    if (strcmp(mode, "cert") == 0)
        w->cfg->mode = TEKHO_CONFIG_CERT;
    else if (strcmp(mode, "psk") == 0)
        w->cfg->mode = TEKHO_CONFIG_PSK;
    else
        return FAIL(w, v[0], "credentials.mode: must be cert or psk, got '%.32s'", mode);
    if (w->cfg->mode == TEKHO_CONFIG_CERT)
        return required(w, n, v[1], "credentials", "ca") && path(w, v[1], "credentials.ca", &w->cfg->ca);
    if (v[1] != NULL)
        return FAIL(w, v[1], "credentials.ca: goes with mode cert, and the mode is psk");
    return true;
}

/* The store's URL: memory, sqlite:PATH (resolved), postgresql:// or
 * postgres:// (kept; never quoted in an error: it may hold a password). */
static bool store(struct walk *w, const yaml_node_t *v, const char *key, char **out)
{
    const char *s = NULL;
    if (!text(w, v, key, &s))
        return false;
    if (strcmp(s, "memory") == 0 || strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0) {
        *out = dup_text(s);
    } else if (strncmp(s, "sqlite:", 7) == 0 && s[7] != '\0') {
        *out = resolve(w->dir, "sqlite:", s + 7);
    } else {
        return FAIL(w, v, "%s: must be memory, sqlite:PATH, postgresql://... or postgres://...", key);
    }
    return *out != NULL || no_memory(w);
}

static bool authd_entry(struct walk *w, const yaml_node_t *n, size_t i)
{
    static const char *const keys[] = {"name", "backbone", "store", "store-key", "cert", "key", "psk", "metrics"};
    enum { NAME, BACKBONE, STORE, STORE_KEY, CERT, KEY, PSK, METRICS, N };
    yaml_node_t *v[N];
    char where[32], k[96];
    snprintf(where, sizeof where, "authd[%zu]", i);
    struct tekho_config_authd *a = &w->cfg->authd[i];
    if (!fields(w, n, where, keys, N, v))
        return false;
    a->line = LINE(n);
    a->column = COL(n);
    if (!required(w, n, v[NAME], where, "name") || !name(w, v[NAME], path_of(k, sizeof k, where, "name"), a->name) ||
        !required_endpoint(w, n, v[BACKBONE], where, "backbone", &a->backbone) ||
        !required(w, n, v[STORE], where, "store") || !store(w, v[STORE], path_of(k, sizeof k, where, "store"), &a->store))
        return false;
    const bool durable = strcmp(a->store, "memory") != 0;
    if (durable && v[STORE_KEY] == NULL)
        return FAIL(w, n, "%s: missing 'store-key' (the key file of a durable store)", where);
    if (!durable && v[STORE_KEY] != NULL)
        return FAIL(w, v[STORE_KEY], "%s: store-key goes with a durable store (sqlite: or postgresql:), not memory",
                    where);
    if (durable && !path(w, v[STORE_KEY], path_of(k, sizeof k, where, "store-key"), &a->store_key))
        return false;
    return credentials_of(w, n, where, v[CERT], v[KEY], v[PSK], &a->cert, &a->key, &a->psk) &&
           optional_endpoint(w, v[METRICS], where, "metrics", &a->metrics);
}

static bool bs_entry(struct walk *w, const yaml_node_t *n, size_t i)
{
    static const char *const keys[] = {"name", "node", "backbone", "air", "position", "cert", "key", "psk", "metrics"};
    enum { NAME, NODE, BACKBONE, AIR, POSITION, CERT, KEY, PSK, METRICS, N };
    yaml_node_t *v[N];
    char where[32], k[96];
    snprintf(where, sizeof where, "bs[%zu]", i);
    struct tekho_config_bs *b = &w->cfg->bs[i];
    if (!fields(w, n, where, keys, N, v))
        return false;
    b->line = LINE(n);
    b->column = COL(n);
    unsigned long long node = 0;
    if (!required(w, n, v[NAME], where, "name") || !name(w, v[NAME], path_of(k, sizeof k, where, "name"), b->name) ||
        !required(w, n, v[NODE], where, "node") ||
        !integer(w, v[NODE], path_of(k, sizeof k, where, "node"), 0, TEKHO_SIM_MAX_BS - 1, &node) ||
        !required_endpoint(w, n, v[BACKBONE], where, "backbone", &b->backbone) ||
        !required_endpoint(w, n, v[AIR], where, "air", &b->air) || !required(w, n, v[POSITION], where, "position"))
        return false;
    b->node = (unsigned)node;
    const yaml_node_t *pos = v[POSITION];
    path_of(k, sizeof k, where, "position");
    if (pos->type != YAML_SEQUENCE_NODE || pos->data.sequence.items.top - pos->data.sequence.items.start != 2)
        return FAIL(w, pos, "%s: expected [x, y] (two numbers, metres), got %s", k,
                    pos->type == YAML_SEQUENCE_NODE ? "another number of items" : what(pos));
    for (int j = 0; j < 2; j++) {
        const yaml_node_t *c = yaml_document_get_node(w->doc, pos->data.sequence.items.start[j]);
        char kj[112];
        snprintf(kj, sizeof kj, "%s[%d]", k, j);
        if (c == NULL || !number(w, c, kj, &b->position[j]))
            return c == NULL ? FAIL(w, pos, "%s: missing", kj) : false;
    }
    return credentials_of(w, n, where, v[CERT], v[KEY], v[PSK], &b->cert, &b->key, &b->psk) &&
           optional_endpoint(w, v[METRICS], where, "metrics", &b->metrics);
}

static bool msd_section(struct walk *w, const yaml_node_t *n)
{
    static const char *const keys[] = {"name", "air", "ms", "metrics"};
    yaml_node_t *v[4];
    struct tekho_config_msd *m = &w->cfg->msd;
    unsigned long long ms = 0;
    if (!fields(w, n, "msd", keys, 4, v) || !required(w, n, v[0], "msd", "name") ||
        !name(w, v[0], "msd.name", m->name) || !required_endpoint(w, n, v[1], "msd", "air", &m->air) ||
        !required(w, n, v[2], "msd", "ms") || !integer(w, v[2], "msd.ms", 1, TEKHO_SIM_MAX_MS, &ms) ||
        !optional_endpoint(w, v[3], "msd", "metrics", &m->metrics))
        return false;
    m->ms = (unsigned)ms;
    m->present = true;
    m->line = LINE(n);
    m->column = COL(n);
    return true;
}

/* A list of mappings, each parsed by entry. */
static bool list(struct walk *w, const yaml_node_t *n, const char *key, size_t elem, void **out, size_t *count,
                 bool (*entry)(struct walk *, const yaml_node_t *, size_t))
{
    if (n->type != YAML_SEQUENCE_NODE)
        return FAIL(w, n, "%s: expected a list of entries ('- name: ...'), got %s", key, what(n));
    const size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len == 0)
        return FAIL(w, n, "%s: the list is empty", key);
    if ((*out = calloc(len, elem)) == NULL)
        return no_memory(w);
    *count = len;
    for (size_t i = 0; i < len; i++) {
        const yaml_node_t *e = yaml_document_get_node(w->doc, n->data.sequence.items.start[i]);
        if (e == NULL || !entry(w, e, i))
            return e == NULL ? FAIL(w, n, "%s[%zu]: missing", key, i) : false;
    }
    return true;
}

/* ---- checks across entries ---- */

struct seen_name {
    const char *name, *where;
    unsigned line, column;
    size_t index;
};

static bool same_addr(const struct tekho_config_endpoint *a, const struct tekho_config_endpoint *b)
{
    return a->present && b->present && a->port != 0 && a->addr_len == b->addr_len &&
           memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

struct ep_ref {
    const struct tekho_config_endpoint *ep;
    const char *section, *key;
    size_t index;   /* SIZE_MAX: msd */
};

static void ep_name(char *buf, size_t cap, const struct ep_ref *r)
{
    if (r->index == SIZE_MAX)
        snprintf(buf, cap, "%s.%s", r->section, r->key);
    else
        snprintf(buf, cap, "%s[%zu].%s", r->section, r->index, r->key);
}

static bool across(struct walk *w)
{
    const struct tekho_config *cfg = w->cfg;
    const size_t n_names = cfg->n_authd + cfg->n_bs + (cfg->msd.present ? 1 : 0);
    struct seen_name *names = calloc(n_names ? n_names : 1, sizeof *names);
    /* UDP (backbone, air) and TCP (metrics) endpoints, each family apart */
    const size_t n_eps = 2 * cfg->n_authd + 3 * cfg->n_bs + 2;
    struct ep_ref *eps = calloc(n_eps, sizeof *eps);
    if (names == NULL || eps == NULL) {
        free(names);
        free(eps);
        return no_memory(w);
    }
    size_t nn = 0, ne = 0;
    for (size_t i = 0; i < cfg->n_authd; i++) {
        const struct tekho_config_authd *a = &cfg->authd[i];
        names[nn++] = (struct seen_name){a->name, "authd", a->line, a->column, i};
        eps[ne++] = (struct ep_ref){&a->backbone, "authd", "backbone", i};
        eps[ne++] = (struct ep_ref){&a->metrics, "authd", "metrics", i};
    }
    for (size_t i = 0; i < cfg->n_bs; i++) {
        const struct tekho_config_bs *b = &cfg->bs[i];
        names[nn++] = (struct seen_name){b->name, "bs", b->line, b->column, i};
        eps[ne++] = (struct ep_ref){&b->backbone, "bs", "backbone", i};
        eps[ne++] = (struct ep_ref){&b->air, "bs", "air", i};
        eps[ne++] = (struct ep_ref){&b->metrics, "bs", "metrics", i};
    }
    if (cfg->msd.present) {
        names[nn++] = (struct seen_name){cfg->msd.name, "msd", cfg->msd.line, cfg->msd.column, SIZE_MAX};
        eps[ne++] = (struct ep_ref){&cfg->msd.air, "msd", "air", SIZE_MAX};
        eps[ne++] = (struct ep_ref){&cfg->msd.metrics, "msd", "metrics", SIZE_MAX};
    }
    bool ok = true;
    for (size_t i = 0; ok && i < nn; i++)
        for (size_t j = 0; ok && j < i; j++)
            if (strcmp(names[i].name, names[j].name) == 0) {
                char here[32], there[32];
                snprintf(here, sizeof here, names[i].index == SIZE_MAX ? "%s" : "%s[%zu]", names[i].where,
                         names[i].index);
                snprintf(there, sizeof there, names[j].index == SIZE_MAX ? "%s" : "%s[%zu]", names[j].where,
                         names[j].index);
                ok = fail_at(w, names[i].line, names[i].column, "%s.name: '%s' is also the name of %s (line %u)", here,
                             names[i].name, there, names[j].line);
            }
    for (size_t i = 0; ok && i < cfg->n_bs; i++)
        for (size_t j = 0; ok && j < i; j++)
            if (cfg->bs[i].node == cfg->bs[j].node)
                ok = fail_at(w, cfg->bs[i].line, cfg->bs[i].column, "bs[%zu].node: %u is also bs[%zu]'s node (line %u)",
                             i, cfg->bs[i].node, j, cfg->bs[j].line);
    for (size_t i = 0; ok && i < ne; i++) {
        const bool tcp_i = strcmp(eps[i].key, "metrics") == 0;
        for (size_t j = 0; ok && j < i; j++) {
            if (tcp_i != (strcmp(eps[j].key, "metrics") == 0) || !same_addr(eps[i].ep, eps[j].ep))
                continue;
            char here[48], there[48];
            ep_name(here, sizeof here, &eps[i]);
            ep_name(there, sizeof there, &eps[j]);
            ok = fail_at(w, eps[i].ep->line, eps[i].ep->column, "%s: %s is also %s (line %u)", here, eps[i].ep->text,
                         there, eps[j].ep->line);
        }
    }
    free(names);
    free(eps);
    return ok;
}

static bool top(struct walk *w, const yaml_node_t *root)
{
    static const char *const keys[] = {"version", "network", "credentials", "authd", "bs", "msd"};
    enum { VERSION, NETWORK, CREDENTIALS, AUTHD, BS, MSD, N };
    yaml_node_t *v[N];
    if (root->type != YAML_MAPPING_NODE)
        return FAIL(w, root, "expected a mapping (version: 1, network:, credentials:, authd:, bs:, msd:), got %s",
                    what(root));
    if (!fields(w, root, "", keys, N, v))
        return false;
    unsigned long long version = 0;
    if (!required(w, root, v[VERSION], "", "version") || !integer(w, v[VERSION], "version", 0, UINT_MAX, &version))
        return false;
    if (version != TEKHO_CONFIG_VERSION)
        return FAIL(w, v[VERSION], "version: %llu is not one this tekho reads (%d)", version, TEKHO_CONFIG_VERSION);
    struct tekho_config *cfg = w->cfg;
    cfg->version = (unsigned)version;
    /* credentials first: the entries' keys depend on the mode */
    if (!required(w, root, v[CREDENTIALS], "", "credentials") || !credentials(w, v[CREDENTIALS]))
        return false;
    if (v[NETWORK] != NULL && !network(w, v[NETWORK]))
        return false;
    if (!required(w, root, v[AUTHD], "", "authd") ||
        !list(w, v[AUTHD], "authd", sizeof *cfg->authd, (void **)&cfg->authd, &cfg->n_authd, authd_entry))
        return false;
    if (!required(w, root, v[BS], "", "bs") ||
        !list(w, v[BS], "bs", sizeof *cfg->bs, (void **)&cfg->bs, &cfg->n_bs, bs_entry))
        return false;
    if (v[MSD] != NULL && !msd_section(w, v[MSD]))
        return false;
    return across(w);
}

/* ---- parse, load, free ---- */

/* Wipes every scalar of the document (the psks among them) before libyaml frees it. */
static void wipe_document(yaml_document_t *doc)
{
    for (yaml_node_t *n = doc->nodes.start; n != NULL && n < doc->nodes.top; n++)
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
            OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
}

/* And the parser's own buffers of the text, and the tokens it still holds. */
static void wipe_parser(yaml_parser_t *p)
{
    for (yaml_token_t *t = p->tokens.head; t != NULL && t < p->tokens.tail; t++)
        if (t->type == YAML_SCALAR_TOKEN && t->data.scalar.value != NULL)
            OPENSSL_cleanse(t->data.scalar.value, t->data.scalar.length);
    if (p->buffer.start != NULL)
        OPENSSL_cleanse(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start != NULL)
        OPENSSL_cleanse(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

void tekho_config_free(struct tekho_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; cfg->network != NULL && i < cfg->n_network; i++) {
        free(cfg->network[i].key);
        free(cfg->network[i].value);
    }
    free(cfg->network);
    for (size_t i = 0; cfg->authd != NULL && i < cfg->n_authd; i++) {
        struct tekho_config_authd *a = &cfg->authd[i];
        free(a->store);
        free(a->store_key);
        free(a->cert);
        free(a->key);
        OPENSSL_cleanse(&a->psk, sizeof a->psk);
    }
    free(cfg->authd);
    for (size_t i = 0; cfg->bs != NULL && i < cfg->n_bs; i++) {
        struct tekho_config_bs *b = &cfg->bs[i];
        free(b->cert);
        free(b->key);
        OPENSSL_cleanse(&b->psk, sizeof b->psk);
    }
    free(cfg->bs);
    free(cfg->ca);
    free(cfg->path);
    free(cfg);
}

tekho_err tekho_config_parse(const char *text, size_t len, const char *name, const char *dir,
                             struct tekho_config **out, char *err, size_t cap)
{
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (out == NULL || (text == NULL && len > 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (name == NULL)
        name = "config";
    struct walk w = {.name = name, .dir = dir, .err = err, .cap = cap, .rc = TEKHO_OK};
    if ((w.cfg = calloc(1, sizeof *w.cfg)) == NULL || (w.cfg->path = dup_text(name)) == NULL) {
        tekho_config_free(w.cfg);
        return TEKHO_ERR_NO_MEMORY;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        tekho_config_free(w.cfg);
        return TEKHO_ERR_NO_MEMORY;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        /* libyaml's messages are fixed texts about the syntax, never the file's contents */
        const yaml_mark_t *m = parser.problem != NULL ? &parser.problem_mark : &parser.mark;
        fail_at(&w, (unsigned)m->line + 1, (unsigned)m->column + 1, "not YAML: %s%s%s",
                parser.problem ? parser.problem : "a syntax error", parser.context ? " " : "",
                parser.context ? parser.context : "");
        if (parser.error == YAML_MEMORY_ERROR)
            w.rc = TEKHO_ERR_NO_MEMORY;
        wipe_parser(&parser);
        yaml_parser_delete(&parser);
        tekho_config_free(w.cfg);
        return w.rc;
    }
    w.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        fail_at(&w, 1, 1, "empty: expected a mapping that starts with version: %d", TEKHO_CONFIG_VERSION);
    } else if (top(&w, root)) {
        /* one document only */
        yaml_document_t more;
        if (!yaml_parser_load(&parser, &more)) {
            fail_at(&w, (unsigned)parser.problem_mark.line + 1, (unsigned)parser.problem_mark.column + 1,
                    "not YAML: %s", parser.problem ? parser.problem : "a syntax error");
        } else {
            const yaml_node_t *r2 = yaml_document_get_root_node(&more);
            if (r2 != NULL)
                FAIL(&w, r2, "a second document: the config is one document");
            wipe_document(&more);
            yaml_document_delete(&more);
        }
    }
    wipe_document(&doc);
    yaml_document_delete(&doc);
    wipe_parser(&parser);
    yaml_parser_delete(&parser);
    if (w.failed) {
        tekho_config_free(w.cfg);
        return w.rc;
    }
    *out = w.cfg;
    return TEKHO_OK;
}

tekho_err tekho_config_load(const char *path, struct tekho_config **out, char *err, size_t cap)
{
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (path == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        const int e = errno;
        if (fd >= 0)
            close(fd);
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s: cannot read: %s", path, strerror(e));
        return TEKHO_ERR_IO;
    }
    if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > TEKHO_CONFIG_MAX_BYTES) {
        close(fd);
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s: %s", path,
                     S_ISREG(st.st_mode) ? "larger than 16 MiB: not a config file" : "not a regular file");
        return TEKHO_ERR_IO;
    }
    const size_t size = (size_t)st.st_size;
    char *text = malloc(size + 1);
    if (text == NULL) {
        close(fd);
        return TEKHO_ERR_NO_MEMORY;
    }
    size_t got = 0;
    int e = 0;
    while (got < size) {
        const ssize_t n = read(fd, text + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    tekho_err rc;
    if (got < size) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s: cannot read: %s", path, strerror(e));
        rc = TEKHO_ERR_IO;
    } else {
        /* relative paths in it are relative to its directory, made absolute */
        char *copy = dup_text(path), *dir = NULL;
        if (copy == NULL) {
            rc = TEKHO_ERR_NO_MEMORY;
        } else {
            char *slash = strrchr(copy, '/');
            if (slash == copy)
                slash[1] = '\0';
            else if (slash != NULL)
                *slash = '\0';
            dir = realpath(slash != NULL ? copy : ".", NULL);
            rc = tekho_config_parse(text, size, path, dir != NULL ? dir : (slash != NULL ? copy : "."), out, err, cap);
        }
        free(dir);
        free(copy);
    }
    OPENSSL_cleanse(text, size + 1);
    free(text);
    return rc;
}

const struct tekho_config_bs *tekho_config_find_bs(const struct tekho_config *cfg, unsigned node)
{
    for (size_t i = 0; cfg != NULL && i < cfg->n_bs; i++)
        if (cfg->bs[i].node == node)
            return &cfg->bs[i];
    return NULL;
}

const struct tekho_config_authd *tekho_config_find_authd(const struct tekho_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->n_authd; i++)
        if (strcmp(cfg->authd[i].name, name) == 0)
            return &cfg->authd[i];
    return NULL;
}

/* ---- the writer ---- */

struct out {
    yaml_emitter_t e;
    bool ok;
};

static void emit(struct out *o, yaml_event_t *ev)
{
    if (o->ok && !yaml_emitter_emit(&o->e, ev))
        o->ok = false;
    else if (!o->ok)
        yaml_event_delete(ev);
}

/* A scalar: plain if it can be (numbers always are), else quoted by libyaml. */
static void emit_scalar(struct out *o, const char *value, bool number_)
{
    yaml_event_t ev;
    if (!o->ok)
        return;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value, (int)strlen(value), 1, !number_,
                                      number_ ? YAML_PLAIN_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)) {
        o->ok = false;
        return;
    }
    emit(o, &ev);
}

static void emit_key(struct out *o, const char *key, const char *value)
{
    if (value == NULL)
        return;
    emit_scalar(o, key, false);
    emit_scalar(o, value, false);
}

static void emit_uint(struct out *o, const char *key, unsigned long long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", v);
    emit_scalar(o, key, false);
    emit_scalar(o, buf, true);
}

static void emit_ep(struct out *o, const char *key, const struct tekho_config_endpoint *ep)
{
    if (ep->present)
        emit_key(o, key, ep->text);
}

static void emit_psk(struct out *o, const struct tekho_config_psk *psk)
{
    if (psk->len == 0)
        return;
    char hex[2 * TEKHO_CONFIG_PSK_MAX + 1];
    for (size_t i = 0; i < psk->len && i < TEKHO_CONFIG_PSK_MAX; i++)
        snprintf(hex + 2 * i, 3, "%02x", psk->bytes[i]);
    emit_key(o, "psk", hex);
    OPENSSL_cleanse(hex, sizeof hex);
}

static void start(struct out *o, bool mapping, bool flow)
{
    yaml_event_t ev;
    int ok = mapping ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                           flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE)
                     : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                            flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (!ok)
        o->ok = false;
    else
        emit(o, &ev);
}

static void end(struct out *o, bool mapping)
{
    yaml_event_t ev;
    if (!(mapping ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev)))
        o->ok = false;
    else
        emit(o, &ev);
}

/* The shortest of %.15g .. %.17g that reads back exactly. */
static void format_double(char *buf, size_t cap, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* What the parser requires, so that what is written reads back. */
static bool writable(const struct tekho_config *cfg)
{
    if (cfg->n_authd == 0 || cfg->n_bs == 0 || cfg->authd == NULL || cfg->bs == NULL ||
        (cfg->n_network > 0 && cfg->network == NULL) || (cfg->mode == TEKHO_CONFIG_CERT && cfg->ca == NULL))
        return false;
    for (size_t i = 0; i < cfg->n_network; i++)
        if (cfg->network[i].key == NULL || cfg->network[i].value == NULL)
            return false;
    const bool cert = cfg->mode == TEKHO_CONFIG_CERT;
    for (size_t i = 0; i < cfg->n_authd; i++) {
        const struct tekho_config_authd *a = &cfg->authd[i];
        if (!a->backbone.present || a->store == NULL || (cert ? a->cert == NULL || a->key == NULL : a->psk.len == 0))
            return false;
    }
    for (size_t i = 0; i < cfg->n_bs; i++) {
        const struct tekho_config_bs *b = &cfg->bs[i];
        if (!b->backbone.present || !b->air.present || (cert ? b->cert == NULL || b->key == NULL : b->psk.len == 0))
            return false;
    }
    return !cfg->msd.present || cfg->msd.air.present;
}

tekho_err tekho_config_write(FILE *f, const struct tekho_config *cfg)
{
    if (f == NULL || cfg == NULL || !writable(cfg))
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct out o = {.ok = true};
    if (!yaml_emitter_initialize(&o.e))
        return TEKHO_ERR_NO_MEMORY;
    yaml_emitter_set_output_file(&o.e, f);
    yaml_emitter_set_unicode(&o.e, 1);
    yaml_emitter_set_width(&o.e, -1);
    fputs("# tekho daemons' network (tekho authd, bsd and msd --config FILE)\n", f);
    yaml_event_t ev;
    if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
        emit(&o, &ev);
    else
        o.ok = false;
    if (yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))
        emit(&o, &ev);
    else
        o.ok = false;
    start(&o, true, false);
    emit_uint(&o, "version", cfg->version ? cfg->version : TEKHO_CONFIG_VERSION);
    if (cfg->n_network > 0) {
        emit_scalar(&o, "network", false);
        start(&o, true, false);
        for (size_t i = 0; i < cfg->n_network; i++)
            emit_key(&o, cfg->network[i].key, cfg->network[i].value);
        end(&o, true);
    }
    emit_scalar(&o, "credentials", false);
    start(&o, true, false);
    emit_key(&o, "mode", cfg->mode == TEKHO_CONFIG_PSK ? "psk" : "cert");
    if (cfg->mode == TEKHO_CONFIG_CERT)
        emit_key(&o, "ca", cfg->ca);
    end(&o, true);
    emit_scalar(&o, "authd", false);
    start(&o, false, false);
    for (size_t i = 0; i < cfg->n_authd; i++) {
        const struct tekho_config_authd *a = &cfg->authd[i];
        start(&o, true, false);
        emit_key(&o, "name", a->name);
        emit_ep(&o, "backbone", &a->backbone);
        emit_key(&o, "store", a->store);
        emit_key(&o, "store-key", a->store_key);
        if (cfg->mode == TEKHO_CONFIG_CERT) {
            emit_key(&o, "cert", a->cert);
            emit_key(&o, "key", a->key);
        } else {
            emit_psk(&o, &a->psk);
        }
        emit_ep(&o, "metrics", &a->metrics);
        end(&o, true);
    }
    end(&o, false);
    emit_scalar(&o, "bs", false);
    start(&o, false, false);
    for (size_t i = 0; i < cfg->n_bs; i++) {
        const struct tekho_config_bs *b = &cfg->bs[i];
        start(&o, true, false);
        emit_key(&o, "name", b->name);
        emit_uint(&o, "node", b->node);
        emit_ep(&o, "backbone", &b->backbone);
        emit_ep(&o, "air", &b->air);
        emit_scalar(&o, "position", false);
        start(&o, false, true);
        for (int j = 0; j < 2; j++) {
            char num[40];
            format_double(num, sizeof num, b->position[j]);
            emit_scalar(&o, num, true);
        }
        end(&o, false);
        if (cfg->mode == TEKHO_CONFIG_CERT) {
            emit_key(&o, "cert", b->cert);
            emit_key(&o, "key", b->key);
        } else {
            emit_psk(&o, &b->psk);
        }
        emit_ep(&o, "metrics", &b->metrics);
        end(&o, true);
    }
    end(&o, false);
    if (cfg->msd.present) {
        emit_scalar(&o, "msd", false);
        start(&o, true, false);
        emit_key(&o, "name", cfg->msd.name);
        emit_ep(&o, "air", &cfg->msd.air);
        emit_uint(&o, "ms", cfg->msd.ms);
        emit_ep(&o, "metrics", &cfg->msd.metrics);
        end(&o, true);
    }
    end(&o, true);
    if (yaml_document_end_event_initialize(&ev, 1))
        emit(&o, &ev);
    else
        o.ok = false;
    if (yaml_stream_end_event_initialize(&ev))
        emit(&o, &ev);
    else
        o.ok = false;
    if (o.ok && !yaml_emitter_flush(&o.e))
        o.ok = false;
    /* the psks went through the emitter's buffer */
    if (o.e.buffer.start != NULL)
        OPENSSL_cleanse(o.e.buffer.start, (size_t)(o.e.buffer.end - o.e.buffer.start));
    if (o.e.raw_buffer.start != NULL)
        OPENSSL_cleanse(o.e.raw_buffer.start, (size_t)(o.e.raw_buffer.end - o.e.raw_buffer.start));
    yaml_emitter_delete(&o.e);
    return o.ok && fflush(f) == 0 && !ferror(f) ? TEKHO_OK : TEKHO_ERR_IO;
}
