/* The daemons' config: one YAML file describing the network (emulator
 * parameters, credentials, the Authenticators, the BSs and the terminal
 * daemon), read with libyaml. Every daemon of a network reads the same
 * file and picks its own entry (tekho authd --config FILE, tekho bsd
 * --config FILE --node N, tekho msd --config FILE --ms M).
 *
 *   version: 1
 *   network:                  # tekho sim's long options without --, in order
 *     scheme: counter
 *     seed: 1
 *   credentials:
 *     mode: cert              # cert | psk
 *     ca: ca.pem              # cert mode
 *   authd:                    # a list (several Authenticators may share a store)
 *     - name: authd-0
 *       backbone: 127.0.0.1:2231      # numeric host:port, IPv6 as [::1]:2231
 *       store: memory                 # memory | sqlite:PATH | postgresql://...
 *       store-key: store.key          # the store's key file: with sqlite and postgresql
 *       cert: authd-0.pem             # cert mode: cert and key
 *       key: authd-0.key
 *       psk: 00112233...              # psk mode: hex, 16 to 64 bytes; never logged
 *       metrics: 127.0.0.1:9100       # optional
 *   bs:
 *     - name: bs-1
 *       node: 1                       # the roles' numbering: the daemons need 1 .. N, each once
 *       backbone: 127.0.1.1:2231
 *       air: 127.0.1.1:4000
 *       position: [0.0, 0.0]          # metres
 *       cert: bs-0.pem                # cert mode (psk: in psk mode)
 *       key: bs-0.key
 *       metrics: 127.0.1.1:9101       # optional
 *   msd:                      # optional
 *     name: msd-0
 *     air: 127.0.2.1:0
 *     ms: 40
 *     metrics: 127.0.2.1:9102         # optional
 *
 * Paths (ca, cert, key, store-key, sqlite:PATH) are relative to the config
 * file's directory and come out absolute. Any error names the place and
 * the key: "net.yaml:12:15: bs[1].air: not an address: HOST:PORT with a
 * numeric IPv4 address, or [IPv6]:PORT", "net.yaml:7:5: authd[0]: unknown
 * key 'stroe' (did you mean 'store'?)"; an error never quotes a psk or a
 * store URL (it may hold a password).
 *
 * Checked here: the types and keys above, every key known, no key twice,
 * names ([A-Za-z0-9._-], 1 to 63 characters) unique over the whole file,
 * node numbers unique, addresses that parse and no UDP (backbone, air) or
 * TCP (metrics) address:port given twice (port 0 aside), the psk's hex and
 * length, cert and key (and ca) in cert mode and psk in psk mode, and
 * nothing of the other mode. The network: section is kept as written, as
 * (key, value) pairs, for the tool to apply through tekho sim's own
 * option table (src/tools/sim_opts.h).
 *
 * Internal to the daemons (not installed). The psk bytes are wiped by
 * tekho_config_free, and the parser's copies of the file's text too. */
#ifndef TEKHO_DAEMON_CONFIG_H
#define TEKHO_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tekho/error.h"

#define TEKHO_CONFIG_VERSION 1
#define TEKHO_CONFIG_NAME_MAX 64 /* with the NUL */
#define TEKHO_CONFIG_ADDR_MAX 64 /* "[ffff:...]:65535" with the NUL */
#define TEKHO_CONFIG_PSK_MIN 16
#define TEKHO_CONFIG_PSK_MAX 64
#define TEKHO_CONFIG_MAX_BYTES (16u << 20) /* a bigger file is refused */

/* host:port, numeric: "127.0.0.1:2231", "[::1]:2231". */
struct tekho_config_endpoint {
    bool present;
    char text[TEKHO_CONFIG_ADDR_MAX];  /* as written */
    struct sockaddr_storage addr;      /* AF_INET or AF_INET6, the port in it */
    socklen_t addr_len;
    uint16_t port;
    unsigned line, column;             /* where the file gives it (0 when not from a file) */
};

/* One line of network:, in file order. line and column (from 1) are the
 * key's; value_line and value_column the value's. */
struct tekho_config_setting {
    char *key, *value;
    unsigned line, column, value_line, value_column;
};

enum tekho_config_mode { TEKHO_CONFIG_CERT, TEKHO_CONFIG_PSK };

struct tekho_config_psk {
    uint8_t bytes[TEKHO_CONFIG_PSK_MAX];
    size_t len;                        /* 0: none (cert mode) */
};

struct tekho_config_authd {
    char name[TEKHO_CONFIG_NAME_MAX];
    struct tekho_config_endpoint backbone, metrics; /* metrics optional */
    char *store;                       /* "memory", "sqlite:/abs/path", "postgresql://..." or "postgres://..." */
    char *store_key;                   /* sqlite and postgresql: the key file; NULL with memory */
    char *cert, *key;                  /* cert mode; NULL in psk mode */
    struct tekho_config_psk psk;       /* psk mode */
    unsigned line, column;             /* where the entry starts */
};

struct tekho_config_bs {
    char name[TEKHO_CONFIG_NAME_MAX];
    unsigned node;                     /* 0 .. TEKHO_SIM_MAX_BS - 1 */
    struct tekho_config_endpoint backbone, air, metrics;
    double position[2];                /* x, y in metres */
    char *cert, *key;
    struct tekho_config_psk psk;
    unsigned line, column;
};

struct tekho_config_msd {
    bool present;
    char name[TEKHO_CONFIG_NAME_MAX];
    struct tekho_config_endpoint air, metrics;
    unsigned ms;                       /* terminals: 1 .. TEKHO_SIM_MAX_MS */
    unsigned line, column;
};

struct tekho_config {
    char *path;                        /* the file as named, for messages ("net.yaml") */
    unsigned version;
    struct tekho_config_setting *network;
    size_t n_network;
    enum tekho_config_mode mode;
    char *ca;                          /* cert mode */
    struct tekho_config_authd *authd;
    size_t n_authd;
    struct tekho_config_bs *bs;
    size_t n_bs;
    struct tekho_config_msd msd;
};

/* Reads and checks the file at path. On success *out is the config
 * (tekho_config_free). Errors: TEKHO_ERR_IO (cannot read it, or bigger
 * than TEKHO_CONFIG_MAX_BYTES), TEKHO_ERR_CONFIG (it does not parse or
 * check), no memory; err (cap bytes, may be NULL) then says where and why,
 * "PATH:LINE:COLUMN: KEY: what is wrong", NUL-terminated. */
TEKHO_NODISCARD tekho_err tekho_config_load(const char *path, struct tekho_config **out, char *err, size_t cap);
/* The same on text[0 .. len) in memory: name is the file name messages
 * give, dir the directory relative paths are resolved against (NULL:
 * the current directory). */
TEKHO_NODISCARD tekho_err tekho_config_parse(const char *text, size_t len, const char *name, const char *dir,
                                             struct tekho_config **out, char *err, size_t cap);
/* Frees what the parser allocated and wipes the psks. NULL: nothing. A
 * config built by hand for tekho_config_write is the caller's to free. */
void tekho_config_free(struct tekho_config *cfg);

/* Writes cfg as YAML the parser reads back to the same config (paths as
 * they are in cfg: write absolute ones, or ones relative to where the file
 * goes). cfg->path is not used. Errors: invalid argument (NULL, a required
 * member missing), TEKHO_ERR_IO (the write failed). */
TEKHO_NODISCARD tekho_err tekho_config_write(FILE *f, const struct tekho_config *cfg);

/* Parses "127.0.0.1:2231" or "[::1]:2231" (numeric hosts only, port 0 ..
 * 65535) into *out (present set). Errors: invalid argument. */
TEKHO_NODISCARD tekho_err tekho_config_endpoint_parse(const char *text, struct tekho_config_endpoint *out);

/* The entry of BS node, of the Authenticator named name; NULL if none. */
const struct tekho_config_bs *tekho_config_find_bs(const struct tekho_config *cfg, unsigned node);
const struct tekho_config_authd *tekho_config_find_authd(const struct tekho_config *cfg, const char *name);

#endif
