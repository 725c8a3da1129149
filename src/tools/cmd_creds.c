/* tekho creds ca | node | psk: the backbone's credentials for a network of
 * daemons (src/net/creds.h: an ECDSA P-256 CA, node certificates it signs,
 * random PSKs; OpenSSL 3's own APIs, no `openssl` command). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "creds.h"
#include "tekho/tekho.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define CREDS_CA_DAYS 3650u
#define CREDS_NODE_DAYS 365u
#define CREDS_DAYS_MAX 36500u
#define CREDS_PSK_BYTES 32u

static const struct cli_opt CA_OPTS[] = {
    {.name = "name", .kind = CLI_STR, .required = true, .arg = "NAME",
     .help = "the CA's name (its certificate's CN): 1 to 64 of A-Z a-z 0-9 . _ -"},
    {.name = "out", .kind = CLI_STR, .required = true, .arg = "DIR",
     .help = "where DIR/ca.pem (the certificate every node gets) and DIR/ca.key (the CA's key, mode 0600: keep "
             "it off the network's machines) go; created with its parents"},
    {.name = "days", .kind = CLI_NUM, .min = 1, .max = CREDS_DAYS_MAX, .help = "validity (default 3650)"},
    {.name = "force", .kind = CLI_FLAG, .help = "replace files already there (default: refuse)"},
};
enum { CA_NAME, CA_OUT, CA_DAYS, CA_FORCE };
static const struct cli_cmd CA_CMD = {
    .name = "creds ca", .synopsis = "--name NAME --out DIR [--days N] [--force] [--json]",
    .description = "A new certificate authority for the backbone (cert mode): an ECDSA P-256 key and a self-signed "
                   "certificate (CA:TRUE, path length 0, keyCertSign), written whole or not at all. Prints the "
                   "paths written.",
    .opts = CA_OPTS, .n_opts = N_OPTS(CA_OPTS)};

static const struct cli_opt NODE_OPTS[] = {
    {.name = "ca", .kind = CLI_STR, .required = true, .arg = "FILE", .help = "the CA's certificate (ca.pem)"},
    {.name = "ca-key", .kind = CLI_STR, .required = true, .arg = "FILE",
     .help = "the CA's key (ca.key): a regular file only its owner may read"},
    {.name = "name", .kind = CLI_STR, .required = true, .arg = "NAME",
     .help = "the node's name as the config gives it (authd-0, bs-1): the certificate's CN and DNS name, which "
             "the peers check"},
    {.name = "out", .kind = CLI_STR, .required = true, .arg = "DIR",
     .help = "where DIR/NAME.pem and DIR/NAME.key (mode 0600) go; created with its parents"},
    {.name = "days", .kind = CLI_NUM, .min = 1, .max = CREDS_DAYS_MAX, .help = "validity (default 365)"},
    {.name = "force", .kind = CLI_FLAG, .help = "replace files already there (default: refuse)"},
};
enum { NODE_CA, NODE_CA_KEY, NODE_NAME, NODE_OUT, NODE_DAYS, NODE_FORCE };
static const struct cli_cmd NODE_CMD = {
    .name = "creds node",
    .synopsis = "--ca FILE --ca-key FILE --name NAME --out DIR [--days N] [--force] [--json]",
    .description = "A node's backbone credentials (cert mode): a new ECDSA P-256 key and a certificate the CA "
                   "signs (CA:FALSE, digitalSignature, serverAuth and clientAuth: a node is DTLS server and "
                   "client), for the node the config names NAME. Prints the paths written.",
    .opts = NODE_OPTS, .n_opts = N_OPTS(NODE_OPTS)};

static const struct cli_opt PSK_OPTS[] = {
    {.name = "bytes", .kind = CLI_NUM, .min = 16, .max = 64, .help = "its length in bytes (default 32)"},
};
enum { PSK_BYTES };
static const struct cli_cmd PSK_CMD = {
    .name = "creds psk", .synopsis = "[--bytes N] [--json]",
    .description = "A random PSK for one node (psk mode) from OpenSSL's private DRBG, in hex as the config's "
                   "psk: key takes it. It goes to standard output only: paste it into the config, which only the "
                   "daemons' user may read.",
    .opts = PSK_OPTS, .n_opts = N_OPTS(PSK_OPTS)};

/* DIR/FILE into out; -1 when it does not fit. */
static int join(char *out, size_t cap, const char *dir, const char *file)
{
    const size_t n = strlen(dir);
    const char *sep = n > 0 && dir[n - 1] == '/' ? "" : "/";
    const int w = snprintf(out, cap, "%s%s%s", dir, sep, file);
    return w >= 0 && (size_t)w < cap ? 0 : -1;
}

/* The output files: DIR created and writable, and (without --force) none
 * of them there already. -1 to go on, else the exit status. */
static int check_outputs(const struct cli_cmd *cmd, const char *dir, const char *const paths[2], bool force)
{
    int rc = cli_output_dir(cmd, "out", dir);
    if (rc >= 0)
        return rc;
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (!force && lstat(paths[i], &st) == 0)
            return cli_usage_error(cmd, "--out: '%s' is there already (--force replaces it)", paths[i]);
    }
    return -1;
}

static void print_paths(bool json, const char *cert, const char *key)
{
    struct cli_out o;
    cli_out_begin(&o, json, false, stdout);
    cli_out_str(&o, "cert", cert);
    cli_out_str(&o, "key", key);
    cli_out_end(&o);
}

static int creds_ca(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&CA_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *name = (const char *)a.v[CA_NAME].bytes, *dir = (const char *)a.v[CA_OUT].bytes;
    char cert[4200], key[4200], msg[512] = "";
    if (!tekho_creds_name_ok(name)) {
        rc = cli_usage_error(&CA_CMD, "--name: '%s': 1 to 64 of A-Z a-z 0-9 . _ -", name);
    } else if (join(cert, sizeof cert, dir, "ca.pem") != 0 || join(key, sizeof key, dir, "ca.key") != 0) {
        rc = cli_usage_error(&CA_CMD, "--out: cannot write in '%s': %s", dir, strerror(ENAMETOOLONG));
    } else if ((rc = check_outputs(&CA_CMD, dir, (const char *const[2]){cert, key}, a.v[CA_FORCE].present)) < 0) {
        const unsigned days = a.v[CA_DAYS].present ? (unsigned)a.v[CA_DAYS].num : CREDS_CA_DAYS;
        if (tekho_creds_make_ca(name, days, cert, key, msg, sizeof msg) == TEKHO_OK) {
            print_paths(a.json, cert, key);
            rc = CLI_EXIT_OK;
        } else {
            rc = cli_fail(&CA_CMD, a.json, msg[0] ? msg : "cannot make the CA");
        }
    }
    cli_args_free(&a);
    return rc;
}

static int creds_node(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&NODE_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *name = (const char *)a.v[NODE_NAME].bytes, *dir = (const char *)a.v[NODE_OUT].bytes;
    char cert[4200], key[4200], file[96], msg[512] = "";
    if (!tekho_creds_name_ok(name)) {
        rc = cli_usage_error(&NODE_CMD, "--name: '%s': 1 to 64 of A-Z a-z 0-9 . _ -", name);
        goto done;
    }
    snprintf(file, sizeof file, "%s.pem", name);
    const int j = join(cert, sizeof cert, dir, file);
    snprintf(file, sizeof file, "%s.key", name);
    if (j != 0 || join(key, sizeof key, dir, file) != 0) {
        rc = cli_usage_error(&NODE_CMD, "--out: cannot write in '%s': %s", dir, strerror(ENAMETOOLONG));
        goto done;
    }
    /* The CA's files are inputs: one that cannot be read is a usage error
     * naming it, found before anything is written. */
    const char *ca = (const char *)a.v[NODE_CA].bytes, *ca_key = (const char *)a.v[NODE_CA_KEY].bytes;
    FILE *f = fopen(ca, "r");
    if (f == NULL) {
        rc = cli_usage_error(&NODE_CMD, "--ca: cannot read '%s': %s", ca, strerror(errno));
        goto done;
    }
    fclose(f);
    if (tekho_creds_check_key_file(ca_key, msg, sizeof msg) != TEKHO_OK) {
        rc = cli_usage_error(&NODE_CMD, "--ca-key: %s", msg);
        goto done;
    }
    if ((rc = check_outputs(&NODE_CMD, dir, (const char *const[2]){cert, key}, a.v[NODE_FORCE].present)) >= 0)
        goto done;
    const unsigned days = a.v[NODE_DAYS].present ? (unsigned)a.v[NODE_DAYS].num : CREDS_NODE_DAYS;
    if (tekho_creds_make_node(ca, ca_key, name, days, cert, key, msg, sizeof msg) == TEKHO_OK) {
        print_paths(a.json, cert, key);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&NODE_CMD, a.json, msg[0] ? msg : "cannot make the node's credentials");
    }
done:
    cli_args_free(&a);
    return rc;
}

static int creds_psk(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&PSK_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    uint8_t psk[64];
    const size_t len = a.v[PSK_BYTES].present ? (size_t)a.v[PSK_BYTES].num : CREDS_PSK_BYTES;
    if (tekho_creds_random_psk(psk, len) == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "psk", psk, len);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&PSK_CMD, a.json, "no random bytes");
    }
    OPENSSL_cleanse(psk, sizeof psk);
    cli_args_free(&a);
    return rc;
}

int cmd_creds(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "ca") == 0)
        return creds_ca(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "node") == 0)
        return creds_node(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "psk") == 0)
        return creds_psk(argc - 1, argv + 1);
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        cli_usage(&CA_CMD, stdout);
        fputc('\n', stdout);
        cli_usage(&NODE_CMD, stdout);
        fputc('\n', stdout);
        cli_usage(&PSK_CMD, stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "tekho creds: expected 'ca', 'node' or 'psk' (see tekho creds --help)\n");
    return CLI_EXIT_USAGE;
}
