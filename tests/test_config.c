/* The daemons' YAML config (src/daemon/config.h): a good file read with
 * every value checked (relative paths resolved against its directory),
 * written back by tekho_config_write and read again to the same config in
 * cert and psk mode, bad files each refused with the expected
 * FILE:LINE:COLUMN message naming the key, and no psk (nor a store URL)
 * ever in an error text. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test_util.h"

static const char GOOD[] =
    "# a small network\n"
    "version: 1\n"
    "network:\n"
    "  scheme: counter\n"
    "  seed: 7\n"
    "  air-loss: 0.5\n"
    "  ideal: true\n"
    "credentials:\n"
    "  mode: cert\n"
    "  ca: pki/ca.pem\n"
    "authd:\n"
    "  - name: authd-0\n"
    "    backbone: 127.0.0.1:2231\n"
    "    store: sqlite:state/authd.db\n"
    "    store-key: /etc/tekho/store.key\n"
    "    cert: pki/authd-0.pem\n"
    "    key: pki/authd-0.key\n"
    "    metrics: 127.0.0.1:9100\n"
    "  - name: authd-1\n"
    "    backbone: '[::1]:2232'\n"
    "    store: memory\n"
    "    cert: /abs/authd-1.pem\n"
    "    key: pki/authd-1.key\n"
    "bs:\n"
    "  - name: bs-0\n"
    "    node: 0\n"
    "    backbone: 127.0.1.1:2231\n"
    "    air: 127.0.1.1:4000\n"
    "    position: [0.0, 0.0]\n"
    "    cert: pki/bs-0.pem\n"
    "    key: pki/bs-0.key\n"
    "    metrics: 127.0.1.1:9101\n"
    "  - name: bs-1\n"
    "    node: 4095\n"
    "    backbone: 127.0.1.2:2231\n"
    "    air: 127.0.1.2:4000\n"
    "    position: [866.0254037844386, -500]\n"
    "    cert: pki/bs-1.pem\n"
    "    key: pki/bs-1.key\n"
    "msd:\n"
    "  name: msd-0\n"
    "  air: 127.0.2.1:0\n"
    "  ms: 40\n"
    "  metrics: 127.0.2.1:9102\n";

static char *tmpdir(void)
{
    char *d = strdup("/tmp/tekho_config.XXXXXX");
    if (d == NULL || mkdtemp(d) == NULL) {
        CHECK(false);
        free(d);
        return NULL;
    }
    return d;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

static bool streq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool ep_eq(const struct tekho_config_endpoint *a, const struct tekho_config_endpoint *b)
{
    return a->present == b->present &&
           (!a->present || (strcmp(a->text, b->text) == 0 && a->port == b->port && a->addr_len == b->addr_len &&
                            memcmp(&a->addr, &b->addr, a->addr_len) == 0));
}

static bool psk_eq(const struct tekho_config_psk *a, const struct tekho_config_psk *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Every member but the file name and the places (lines move when written back). */
static bool config_eq(const struct tekho_config *a, const struct tekho_config *b)
{
    bool ok = a->version == b->version && a->n_network == b->n_network && a->mode == b->mode && streq(a->ca, b->ca) &&
              a->n_authd == b->n_authd && a->n_bs == b->n_bs && a->msd.present == b->msd.present;
    for (size_t i = 0; ok && i < a->n_network; i++)
        ok = streq(a->network[i].key, b->network[i].key) && streq(a->network[i].value, b->network[i].value);
    for (size_t i = 0; ok && i < a->n_authd; i++) {
        const struct tekho_config_authd *x = &a->authd[i], *y = &b->authd[i];
        ok = streq(x->name, y->name) && ep_eq(&x->backbone, &y->backbone) && ep_eq(&x->metrics, &y->metrics) &&
             streq(x->store, y->store) && streq(x->store_key, y->store_key) && streq(x->cert, y->cert) &&
             streq(x->key, y->key) && psk_eq(&x->psk, &y->psk);
    }
    for (size_t i = 0; ok && i < a->n_bs; i++) {
        const struct tekho_config_bs *x = &a->bs[i], *y = &b->bs[i];
        ok = streq(x->name, y->name) && x->node == y->node && ep_eq(&x->backbone, &y->backbone) &&
             ep_eq(&x->air, &y->air) && ep_eq(&x->metrics, &y->metrics) && x->position[0] == y->position[0] &&
             x->position[1] == y->position[1] && streq(x->cert, y->cert) && streq(x->key, y->key) &&
             psk_eq(&x->psk, &y->psk);
    }
    if (ok && a->msd.present)
        ok = streq(a->msd.name, b->msd.name) && ep_eq(&a->msd.air, &b->msd.air) &&
             ep_eq(&a->msd.metrics, &b->msd.metrics) && a->msd.ms == b->msd.ms;
    return ok;
}

/* Writes cfg into dir/name with tekho_config_write and reads it back. */
static struct tekho_config *round_trip(const struct tekho_config *cfg, const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return NULL;
    CHECK_ERR(tekho_config_write(f, cfg), TEKHO_OK);
    fclose(f);
    struct tekho_config *back = NULL;
    char err[512];
    const tekho_err rc = tekho_config_load(path, &back, err, sizeof err);
    if (rc != TEKHO_OK)
        fprintf(stderr, "reading back %s: %s\n", path, err);
    CHECK_ERR(rc, TEKHO_OK);
    return back;
}

static void test_good(void)
{
    char *dir = tmpdir(), *dir2 = tmpdir();
    if (dir == NULL || dir2 == NULL)
        return;
    char path[PATH_MAX], want[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/net.yaml", dir);
    write_file(path, GOOD);
    struct tekho_config *cfg = NULL;
    char err[512] = "unset";
    const tekho_err rc = tekho_config_load(path, &cfg, err, sizeof err);
    if (rc != TEKHO_OK)
        fprintf(stderr, "%s\n", err);
    CHECK_ERR(rc, TEKHO_OK);
    CHECK(err[0] == '\0');
    if (cfg == NULL)
        return;
    char real[PATH_MAX];
    CHECK(realpath(dir, real) != NULL);
    CHECK(cfg->version == 1);
    CHECK(cfg->n_network == 4);
    static const char *const nk[] = {"scheme", "seed", "air-loss", "ideal"}, *const nv[] = {"counter", "7", "0.5", "true"};
    for (size_t i = 0; i < 4 && i < cfg->n_network; i++) {
        CHECK(strcmp(cfg->network[i].key, nk[i]) == 0);
        CHECK(strcmp(cfg->network[i].value, nv[i]) == 0);
        CHECK(cfg->network[i].line == 4 + i && cfg->network[i].column == 3);
        CHECK(cfg->network[i].value_line == 4 + i && cfg->network[i].value_column == 5 + strlen(nk[i]));
    }
    CHECK(cfg->mode == TEKHO_CONFIG_CERT);
    snprintf(want, sizeof want, "%s/pki/ca.pem", real);
    CHECK(streq(cfg->ca, want));
    CHECK(cfg->n_authd == 2 && cfg->n_bs == 2 && cfg->msd.present);
    if (cfg->n_authd == 2 && cfg->n_bs == 2) {
        const struct tekho_config_authd *a = &cfg->authd[0], *a1 = &cfg->authd[1];
        CHECK(strcmp(a->name, "authd-0") == 0);
        CHECK(a->backbone.present && strcmp(a->backbone.text, "127.0.0.1:2231") == 0 && a->backbone.port == 2231);
        CHECK(a->backbone.addr.ss_family == AF_INET && a->backbone.addr_len == sizeof(struct sockaddr_in));
        snprintf(want, sizeof want, "sqlite:%s/state/authd.db", real);
        CHECK(streq(a->store, want));
        CHECK(streq(a->store_key, "/etc/tekho/store.key"));
        snprintf(want, sizeof want, "%s/pki/authd-0.key", real);
        CHECK(streq(a->key, want));
        CHECK(a->metrics.present && a->metrics.port == 9100);
        CHECK(a->backbone.line == 13 && a->backbone.column == 15 && a->metrics.line == 18 && a->metrics.column == 14);
        CHECK(a->line == 12 && a->column == 5);
        CHECK(a->psk.len == 0);
        CHECK(a1->backbone.addr.ss_family == AF_INET6 && a1->backbone.port == 2232);
        CHECK(streq(a1->store, "memory") && a1->store_key == NULL);
        CHECK(streq(a1->cert, "/abs/authd-1.pem"));
        CHECK(!a1->metrics.present);
        const struct tekho_config_bs *b = &cfg->bs[1];
        CHECK(strcmp(b->name, "bs-1") == 0 && b->node == 4095);
        CHECK(b->position[0] == 866.0254037844386 && b->position[1] == -500);
        CHECK(b->air.port == 4000 && !b->metrics.present);
        CHECK(tekho_config_find_bs(cfg, 4095) == b && tekho_config_find_bs(cfg, 1) == NULL);
        CHECK(tekho_config_find_authd(cfg, "authd-1") == a1 && tekho_config_find_authd(cfg, "x") == NULL);
    }
    CHECK(strcmp(cfg->msd.name, "msd-0") == 0 && cfg->msd.ms == 40 && cfg->msd.air.port == 0);

    /* written and read back, from another directory: the same config */
    struct tekho_config *back = round_trip(cfg, dir2, "written.yaml");
    CHECK(back != NULL && config_eq(cfg, back));
    /* and the writer's output is stable */
    struct tekho_config *again = back ? round_trip(back, dir2, "again.yaml") : NULL;
    CHECK(again != NULL && config_eq(back, again));
    tekho_config_free(again);
    tekho_config_free(back);

    /* psk mode */
    struct tekho_config psk = *cfg;
    struct tekho_config_authd authd = cfg->authd[0];
    struct tekho_config_bs bs = cfg->bs[0];
    authd.cert = authd.key = bs.cert = bs.key = NULL;
    for (size_t i = 0; i < 32; i++)
        authd.psk.bytes[i] = (uint8_t)(0xa0 + i);
    authd.psk.len = 32;
    for (size_t i = 0; i < 16; i++)
        bs.psk.bytes[i] = (uint8_t)i;
    bs.psk.len = 16;
    psk.mode = TEKHO_CONFIG_PSK;
    psk.ca = NULL;
    psk.authd = &authd;
    psk.n_authd = 1;
    psk.bs = &bs;
    psk.n_bs = 1;
    psk.msd.present = false;
    psk.n_network = 0;
    back = round_trip(&psk, dir2, "psk.yaml");
    CHECK(back != NULL && config_eq(&psk, back));
    CHECK(back != NULL && back->mode == TEKHO_CONFIG_PSK && back->authd[0].psk.len == 32 &&
          back->authd[0].cert == NULL && back->ca == NULL);
    tekho_config_free(back);
    /* a config the parser would refuse is not written */
    bs.psk.len = 0;
    FILE *null = fopen("/dev/null", "w");
    CHECK_ERR(tekho_config_write(null, &psk), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_config_write(null, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    fclose(null);
    /* a write that fails says so */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        CHECK_ERR(tekho_config_write(full, cfg), TEKHO_ERR_IO);
        fclose(full);
    }
    tekho_config_free(cfg);

    /* the file itself cannot be read */
    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    CHECK_ERR(tekho_config_load(path, &cfg, err, sizeof err), TEKHO_ERR_IO);
    CHECK(cfg == NULL && strstr(err, "missing.yaml: cannot read: No such file or directory") != NULL);
    CHECK_ERR(tekho_config_load(dir, &cfg, err, sizeof err), TEKHO_ERR_IO);
    CHECK(strstr(err, "not a regular file") != NULL);

    char cmd[PATH_MAX * 2 + 32];
    snprintf(cmd, sizeof cmd, "%s/net.yaml", dir);
    unlink(cmd);
    for (const char *n = "written.yaml\0again.yaml\0psk.yaml\0"; *n; n += strlen(n) + 1) {
        snprintf(cmd, sizeof cmd, "%s/%s", dir2, n);
        unlink(cmd);
    }
    rmdir(dir);
    rmdir(dir2);
    free(dir);
    free(dir2);
}

/* ---- bad files ---- */

#define PSK_HEX "5ec2e7a1b2c3d4e5f60718293a4b5c6d"
#define HEAD "version: 1\ncredentials:\n  mode: cert\n  ca: ca.pem\n"
#define PSK_HEAD "version: 1\ncredentials:\n  mode: psk\n"
#define AUTHD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    cert: a.pem\n    key: a.key\n"
#define PSK_AUTHD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    psk: " PSK_HEX "\n"
#define BS                                                                                                             \
    "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n    position: [0, 0]\n"  \
    "    cert: b.pem\n    key: b.key\n"
#define PSK_BS                                                                                                         \
    "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n    position: [0, 0]\n"  \
    "    psk: " PSK_HEX "\n"

struct bad {
    const char *text;
    const char *want; /* the whole message */
};

static const struct bad BAD[] = {
    /* 1 unknown top-level key, with a hint */
    {HEAD AUTHD BS "netwrok:\n  seed: 1\n", "bad.yaml:19:1: unknown key 'netwrok' (did you mean 'network'?)"},
    /* 2 unknown key in an entry */
    {HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    stroe: memory\n" BS,
     "bad.yaml:8:5: authd[0]: unknown key 'stroe' (did you mean 'store'?)"},
    /* 3 wrong type: a list where a number goes */
    {HEAD AUTHD "bs:\n  - name: b\n    node: [1]\n", "bad.yaml:13:11: bs[0].node: expected a value, got a list"},
    /* 4 a quoted number */
    {HEAD AUTHD "bs:\n  - name: b\n    node: '1'\n",
     "bad.yaml:13:11: bs[0].node: expected an integer from 0 to 4095 (unquoted), got a quoted value"},
    /* 5 out of range */
    {HEAD AUTHD "bs:\n  - name: b\n    node: 4096\n", "bad.yaml:13:11: bs[0].node: 4096 is out of range 0..4095"},
    /* 6 an address that does not parse */
    {HEAD "authd:\n  - name: a\n    backbone: localhost:2231\n" BS,
     "bad.yaml:7:15: authd[0].backbone: not an address: HOST:PORT with a numeric IPv4 address, or [IPv6]:PORT, "
     "port 0 to 65535; got 'localhost:2231'"},
    /* 7 IPv6 without brackets */
    {HEAD "authd:\n  - name: a\n    backbone: ::1:2231\n" BS,
     "bad.yaml:7:15: authd[0].backbone: not an address: HOST:PORT with a numeric IPv4 address, or [IPv6]:PORT, "
     "port 0 to 65535; got '::1:2231'"},
    /* 8 a name twice */
    {HEAD AUTHD "bs:\n  - name: a\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n"
                "    position: [0, 0]\n    cert: b.pem\n    key: b.key\n",
     "bad.yaml:12:5: bs[0].name: 'a' is also the name of authd[0] (line 6)"},
    /* 9 a node twice */
    {HEAD AUTHD BS "  - name: c\n    node: 1\n    backbone: 127.0.1.3:2231\n    air: 127.0.1.3:4000\n"
                   "    position: [1, 1]\n    cert: c.pem\n    key: c.key\n",
     "bad.yaml:19:5: bs[1].node: 1 is also bs[0]'s node (line 12)"},
    /* 10 cert without key */
    {HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    cert: a.pem\n" BS,
     "bad.yaml:6:5: authd[0]: missing 'key'"},
    /* 11 cert mode without ca */
    {"version: 1\ncredentials:\n  mode: cert\n" AUTHD BS, "bad.yaml:3:3: credentials: missing 'ca'"},
    /* 12 a psk in cert mode (never quoted) */
    {HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    psk: " PSK_HEX "\n" BS,
     "bad.yaml:9:10: authd[0]: psk goes with credentials.mode psk, and the mode is cert"},
    /* 13 a psk too short */
    {PSK_HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    psk: 5ec2e7a1b2c3d4e5\n" PSK_BS,
     "bad.yaml:8:10: authd[0].psk: must be 16 to 64 bytes (32 to 128 hex digits), got 8"},
    /* 14 a psk that is not hex */
    {PSK_HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    psk: " PSK_HEX "zz\n" PSK_BS,
     "bad.yaml:8:10: authd[0].psk: not hex (an even number of hex digits, no separators)"},
    /* 15 an odd number of hex digits */
    {PSK_HEAD PSK_AUTHD "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n"
                        "    position: [0, 0]\n    psk: " PSK_HEX "5\n",
     "bad.yaml:15:10: bs[0].psk: not hex (an even number of hex digits, no separators)"},
    /* 16 cert in psk mode */
    {PSK_HEAD PSK_AUTHD "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n"
                        "    position: [0, 0]\n    cert: b.pem\n    psk: " PSK_HEX "\n",
     "bad.yaml:15:11: bs[0]: cert goes with credentials.mode cert, and the mode is psk"},
    /* 17 a position of three numbers */
    {HEAD AUTHD "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n"
                "    position: [0, 0, 0]\n",
     "bad.yaml:16:15: bs[0].position: expected [x, y] (two numbers, metres), got another number of items"},
    /* 18 a coordinate that is not a number */
    {HEAD AUTHD "bs:\n  - name: b\n    node: 1\n    backbone: 127.0.1.1:2231\n    air: 127.0.1.1:4000\n"
                "    position: [0, north]\n",
     "bad.yaml:16:19: bs[0].position[1]: expected a number (unquoted, finite), got text"},
    /* 19 a YAML syntax error */
    {HEAD "authd:\n  - name: a\n   backbone: 127.0.0.1:2231\n",
     "bad.yaml:7:4: not YAML: did not find expected '-' indicator while parsing a block collection"},
    /* 20 another version */
    {"version: 2\n", "bad.yaml:1:10: version: 2 is not one this tekho reads (1)"},
    /* 21 a store URL that is not one (never quoted: it may hold a password) */
    {HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: postgres:user:s3cret@db\n" BS,
     "bad.yaml:8:12: authd[0].store: must be memory, sqlite:PATH, postgresql://... or postgres://..."},
    /* 22 a durable store without its key */
    {HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: sqlite:a.db\n    cert: a.pem\n    key: a.key\n" BS,
     "bad.yaml:6:5: authd[0]: missing 'store-key' (the key file of a durable store)"},
    /* 23 a key twice */
    {HEAD AUTHD BS "msd:\n  name: m\n  air: 127.0.2.1:0\n  ms: 40\n  ms: 41\n", "bad.yaml:23:3: msd: 'ms' given twice"},
    /* 24 an address:port twice (UDP) */
    {HEAD AUTHD BS "msd:\n  name: m\n  air: 127.0.1.1:4000\n  ms: 1\n",
     "bad.yaml:21:8: msd.air: 127.0.1.1:4000 is also bs[0].air (line 15)"},
    /* 25 a network value that is a mapping */
    {HEAD AUTHD BS "network:\n  seed:\n    x: 1\n",
     "bad.yaml:21:5: network.seed: expected a value (as --seed takes it), got a mapping"},
    /* 26 a network key twice */
    {HEAD AUTHD BS "network:\n  seed: 1\n  seed: 2\n", "bad.yaml:21:3: network: 'seed' given twice (the first on line 20)"},
    /* 27 a bad name */
    {HEAD "authd:\n  - name: a b\n" BS,
     "bad.yaml:6:11: authd[0].name: a name is 1 to 63 characters of A-Z a-z 0-9 . _ -, got 'a b'"},
    /* 28 no bs */
    {HEAD AUTHD, "bad.yaml:1:1: missing 'bs'"},
    /* 29 an empty list */
    {HEAD AUTHD "bs: []\n", "bad.yaml:11:5: bs: the list is empty"},
    /* 30 empty */
    {"# nothing\n", "bad.yaml:1:1: empty: expected a mapping that starts with version: 1"},
    /* 31 not a mapping */
    {"- a\n- b\n", "bad.yaml:1:1: expected a mapping (version: 1, network:, credentials:, authd:, bs:, msd:), got a list"},
    /* 32 two documents */
    {HEAD AUTHD BS "---\nversion: 1\n", "bad.yaml:20:1: a second document: the config is one document"},
    /* 33 msd with ms 0 */
    {HEAD AUTHD BS "msd:\n  name: m\n  air: 127.0.2.1:0\n  ms: 0\n",
     "bad.yaml:22:7: msd.ms: 0 is out of range 1..1000000"},
    /* 34 a port past 65535 */
    {HEAD AUTHD BS "msd:\n  name: m\n  air: 127.0.2.1:65536\n  ms: 1\n",
     "bad.yaml:21:8: msd.air: not an address: HOST:PORT with a numeric IPv4 address, or [IPv6]:PORT, port 0 to 65535; "
     "got '127.0.2.1:65536'"},
    /* 35 a psk that is a list (psk mode, entry) */
    {PSK_HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    psk: [" PSK_HEX "]\n" PSK_BS,
     "bad.yaml:8:10: authd[0].psk: expected hex digits, got a list"},
    /* 36 psk mode, ca given */
    {"version: 1\ncredentials:\n  mode: psk\n  ca: ca.pem\n" PSK_AUTHD PSK_BS,
     "bad.yaml:4:7: credentials.ca: goes with mode cert, and the mode is psk"},
    /* 37 a psk under a misspelt key: the key is named, never the value */
    {PSK_HEAD "authd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n    pks: " PSK_HEX "\n" PSK_BS,
     "bad.yaml:8:5: authd[0]: unknown key 'pks' (did you mean 'psk'?)"},
};

static void test_bad(void)
{
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        struct tekho_config *cfg = (struct tekho_config *)&cfg; /* must come back NULL */
        char err[512];
        memset(err, 'x', sizeof err);
        const tekho_err rc = tekho_config_parse(BAD[k].text, strlen(BAD[k].text), "bad.yaml", "/etc/tekho", &cfg, err,
                                                sizeof err);
        if (rc != TEKHO_ERR_CONFIG || strcmp(err, BAD[k].want) != 0)
            fprintf(stderr, "bad file %zu: %d, '%s'\n  want '%s'\n", k + 1, rc, err, BAD[k].want);
        CHECK_ERR(rc, TEKHO_ERR_CONFIG);
        CHECK(strcmp(err, BAD[k].want) == 0);
        CHECK(cfg == NULL);
        /* no psk, nor any part of one, and no store password in any message */
        CHECK(strstr(err, "5ec2e7a1") == NULL && strstr(err, "b2c3d4e5") == NULL && strstr(err, "3a4b5c6d") == NULL);
        CHECK(strstr(err, "s3cret") == NULL);
        /* a short buffer gets a cut, terminated message */
        char small[16];
        cfg = NULL;
        CHECK_ERR(tekho_config_parse(BAD[k].text, strlen(BAD[k].text), "bad.yaml", NULL, &cfg, small, sizeof small),
                  TEKHO_ERR_CONFIG);
        CHECK(memchr(small, '\0', sizeof small) != NULL && strncmp(small, BAD[k].want, strlen(small)) == 0);
    }
    /* the valid psk-mode file of the bad cases' pieces parses (the cases fail for their own reason) */
    const char *ok = PSK_HEAD PSK_AUTHD PSK_BS;
    struct tekho_config *cfg = NULL;
    char err[512];
    CHECK_ERR(tekho_config_parse(ok, strlen(ok), "ok.yaml", NULL, &cfg, err, sizeof err), TEKHO_OK);
    CHECK(cfg != NULL && cfg->authd[0].psk.len == 16 && cfg->authd[0].psk.bytes[0] == 0x5e &&
          cfg->authd[0].psk.bytes[15] == 0x6d);
    tekho_config_free(cfg);
    const char *ok_cert = HEAD AUTHD BS;
    CHECK_ERR(tekho_config_parse(ok_cert, strlen(ok_cert), "ok.yaml", NULL, &cfg, err, sizeof err), TEKHO_OK);
    CHECK(cfg != NULL && streq(cfg->ca, "ca.pem")); /* dir NULL: paths as written */
    tekho_config_free(cfg);
    /* a NUL inside a value */
    static const char nul[] = HEAD AUTHD "bs:\n  - name: \"b\\0c\"\n";
    CHECK_ERR(tekho_config_parse(nul, sizeof nul - 1, "bad.yaml", NULL, &cfg, err, sizeof err), TEKHO_ERR_CONFIG);
    if (strcmp(err, "bad.yaml:12:11: bs[0].name: contains a NUL character") != 0)
        fprintf(stderr, "NUL: %s\n", err);
    CHECK(strcmp(err, "bad.yaml:12:11: bs[0].name: contains a NUL character") == 0);
}

static void test_endpoints(void)
{
    static const char *const good[] = {"127.0.0.1:0", "0.0.0.0:65535", "[::1]:2231", "[::]:1", "[fe80::1]:80",
                                       "10.1.2.3:00080"};
    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:", ":80", "[::1]", "[::1]2231", "::1:2231",
                                      "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3:80", "host:80", "[1.2.3.4]:80",
                                      "1.2.3.4:8 0", "1.2.3.4:123456", ""};
    struct tekho_config_endpoint ep;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_ERR(tekho_config_endpoint_parse(good[i], &ep), TEKHO_OK);
        CHECK(ep.present && strcmp(ep.text, good[i]) == 0);
    }
    CHECK_ERR(tekho_config_endpoint_parse("[::1]:2231", &ep), TEKHO_OK);
    CHECK(ep.port == 2231 && ep.addr.ss_family == AF_INET6 && ep.addr_len == sizeof(struct sockaddr_in6));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tekho_config_endpoint_parse(bad[i], &ep) == TEKHO_OK)
            fprintf(stderr, "endpoint '%s' accepted\n", bad[i]);
        CHECK_ERR(tekho_config_endpoint_parse(bad[i], &ep), TEKHO_ERR_INVALID_ARGUMENT);
    }
}

int main(void)
{
    test_good();
    test_bad();
    test_endpoints();
    return test_summary("test_config");
}
