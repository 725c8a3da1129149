/* tekho testbed: the daemons on loopback, one command (daemon.h).
 *
 * For each scheme in turn: configs and credentials in a new temporary
 * directory, one authd, N bsd (the emulator's hex layout) and one msd as
 * separate processes of this executable on 127.X.0.0/16 addresses (X from
 * the process id, so two testbeds rarely meet), run for --duration
 * seconds; then every process stopped (SIGTERM), its results read, and the
 * emulator run on the same parameters for comparison. Prints tekho sim's
 * table (with --json its params/schemes objects) plus the emulator's
 * figure beside each, and the processes. */
/* realpath is XSI */
#undef _POSIX_C_SOURCE
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "creds.h"
#include "daemon.h"
#include "radio.h"
#include "report.h"
#include "sim_random.h"
#include "stats.h"
#include "tekho/tekho.h"

extern char **environ;

enum { T_BS, T_MS, T_DURATION, T_SCHEMES, T_SEED, T_BACKBONE_US, T_AIR_LOSS, T_KEYLOG, T_REPORT, T_PSK, T_KEEP,
       T_SETUP, T_AUTHD, T_STORE, T_CHAOS, T_PCAP, T_TRACE, T_N_OPTS };

#define MAX_KILLS 32
#define MAX_AUTHD 8
#define MAX_PROCS (TEKHO_SIM_MAX_BS + MAX_AUTHD + 1 + 2 * MAX_KILLS)

struct child {
    char name[TEKHO_CONFIG_NAME_MAX];
    const char *role; /* authd, bsd, msd */
    pid_t pid;
    int status;
    bool exited;
    bool killed;      /* by the chaos: its results are lost with it */
    unsigned index;   /* authd i, bsd node */
    char log[4200], results[4200];
};

struct bed {
    char dir[4096];
    unsigned n_bs, n_ms, duration;
    uint64_t seed;
    unsigned octet; /* 127.octet.0.0/16 */
    bool psk;
    bool trace;               /* --trace: every process's trace in dir */
    const char *keylog;
    char pcap[4096];          /* --pcap: the msd of each scheme writes into pcap/SCHEME ("": none) */
    unsigned n_authd;
    const char *store;        /* memory, sqlite[:PATH], postgresql://... */
    char pg_schema[64];       /* PostgreSQL: this run's schema ("": none) */
    char pg_url[4400];        /* ... and the URL that puts the daemons in it */
    unsigned kill_authd, kill_bsd;
    uint16_t msd_metrics_port;
    struct child kids[MAX_PROCS];
    size_t n_kids;
};

/* A message into why (cut to cap). */
static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

static void msleep(unsigned ms)
{
    const struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int path_in(char *out, size_t cap, const char *dir, const char *name)
{
    char d[4096];
    memcpy(d, dir, strnlen(dir, sizeof d - 1));
    d[strnlen(dir, sizeof d - 1)] = '\0';
    return snprintf(out, cap, "%s/%s", d, name) < (int)cap ? 0 : -1;
}

/* The network: the config file and the credentials it names. */
static int write_network(struct bed *b, enum tekho_scheme scheme, const struct cli_args *a, char *why, size_t cap)
{
    struct tekho_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.version = TEKHO_CONFIG_VERSION;
    char seed[32], backbone[32], loss[32];
    struct tekho_config_setting net[4];
    size_t n_net = 0;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)b->seed);
    net[n_net++] = (struct tekho_config_setting){.key = "scheme", .value = (char *)tekho_scheme_name(scheme)};
    net[n_net++] = (struct tekho_config_setting){.key = "seed", .value = seed};
    if (a->v[T_BACKBONE_US].present) {
        snprintf(backbone, sizeof backbone, "%llu", (unsigned long long)a->v[T_BACKBONE_US].num);
        net[n_net++] = (struct tekho_config_setting){.key = "backbone-us", .value = backbone};
    }
    if (a->v[T_AIR_LOSS].present) {
        snprintf(loss, sizeof loss, "%g", a->v[T_AIR_LOSS].real);
        net[n_net++] = (struct tekho_config_setting){.key = "air-loss", .value = loss};
    }
    cfg.network = net;
    cfg.n_network = n_net;
    cfg.mode = b->psk ? TEKHO_CONFIG_PSK : TEKHO_CONFIG_CERT;
    char ca[4200], ca_key[4200];
    struct tekho_config_authd authd[MAX_AUTHD];
    memset(authd, 0, sizeof authd);
    char store_url[4400], store_key[4200];
    struct tekho_config_bs *bs = calloc(b->n_bs, sizeof *bs);
    char(*paths)[2][4200] = calloc(b->n_bs + 1 + MAX_AUTHD, sizeof *paths);
    double(*cells)[2] = calloc(b->n_bs, sizeof *cells);
    int rc = -1;
    if (bs == NULL || paths == NULL || cells == NULL) {
        say(why, cap, "out of memory");
        goto out;
    }
    char msg[512] = "";
    if (!b->psk) {
        path_in(ca, sizeof ca, b->dir, "ca.pem");
        path_in(ca_key, sizeof ca_key, b->dir, "ca.key");
        if (tekho_creds_make_ca("tekho-testbed-ca", 0, ca, ca_key, msg, sizeof msg) != TEKHO_OK) {
            say(why, cap, "the CA: %s", msg);
            goto out;
        }
        cfg.ca = ca;
    }
    /* A node's credentials: a certificate the CA signs, or a random PSK. */
    char text[96];
#define NODE_CREDS(name, certp, keyp, pskp, slot)                                                                  \
    do {                                                                                                            \
        if (b->psk) {                                                                                               \
            (pskp)->len = 32;                                                                                       \
            if (tekho_creds_random_psk((pskp)->bytes, (pskp)->len) != TEKHO_OK) {                                   \
                say(why, cap, "a PSK for %s", name);                                                           \
                goto out;                                                                                           \
            }                                                                                                       \
        } else {                                                                                                    \
            snprintf(text, sizeof text, "%.63s.pem", name);                                                         \
            path_in(paths[slot][0], sizeof paths[slot][0], b->dir, text);                                           \
            snprintf(text, sizeof text, "%.63s.key", name);                                                         \
            path_in(paths[slot][1], sizeof paths[slot][1], b->dir, text);                                           \
            if (tekho_creds_make_node(ca, ca_key, name, 0, paths[slot][0], paths[slot][1], msg, sizeof msg) !=      \
                TEKHO_OK) {                                                                                         \
                say(why, cap, "%s's certificate: %s", name, msg);                                              \
                goto out;                                                                                           \
            }                                                                                                       \
            *(certp) = paths[slot][0];                                                                              \
            *(keyp) = paths[slot][1];                                                                               \
        }                                                                                                           \
    } while (0)
    /* The Authenticators' store: one for all of them, and its key. */
    if (strcmp(b->store, "memory") != 0) {
        if (strcmp(b->store, "sqlite") == 0) {
            snprintf(store_url, sizeof store_url, "sqlite:%s/store.db", b->dir);
        } else {
            snprintf(store_url, sizeof store_url, "%s", b->pg_url[0] ? b->pg_url : b->store);
        }
        path_in(store_key, sizeof store_key, b->dir, "store.key");
        uint8_t key[32];
        char hex[65];
        if (tekho_creds_random_psk(key, sizeof key) != TEKHO_OK) {
            say(why, cap, "the store key");
            goto out;
        }
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", key[i]);
        OPENSSL_cleanse(key, sizeof key);
        const int kfd = open(store_key, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const bool kok = kfd >= 0 && write(kfd, hex, 64) == 64;
        OPENSSL_cleanse(hex, sizeof hex);
        if (kfd >= 0)
            close(kfd);
        if (!kok) {
            say(why, cap, "%s: %s", store_key, strerror(errno));
            goto out;
        }
    }
    for (unsigned i = 0; i < b->n_authd; i++) {
        snprintf(authd[i].name, sizeof authd[i].name, "authd-%u", i);
        snprintf(text, sizeof text, "127.%u.0.%u:2231", b->octet, i + 1);
        if (tekho_config_endpoint_parse(text, &authd[i].backbone) != TEKHO_OK)
            goto bad_addr;
        authd[i].store = strcmp(b->store, "memory") == 0 ? "memory" : store_url;
        authd[i].store_key = strcmp(b->store, "memory") == 0 ? NULL : store_key;
        NODE_CREDS(authd[i].name, &authd[i].cert, &authd[i].key, &authd[i].psk, b->n_bs + 1 + i);
    }
    struct tekho_radio_params rp;
    tekho_radio_params_default(&rp);
    tekho_radio_hex_grid(cells, b->n_bs, rp.isd_m);
    for (unsigned k = 0; k < b->n_bs; k++) {
        struct tekho_config_bs *x = &bs[k];
        x->node = k + 1;
        snprintf(x->name, sizeof x->name, "bs-%u", k + 1);
        snprintf(text, sizeof text, "127.%u.%u.%u:2231", b->octet, 1 + (k + 1) / 250, (k + 1) % 250 + 1);
        if (tekho_config_endpoint_parse(text, &x->backbone) != TEKHO_OK)
            goto bad_addr;
        snprintf(text, sizeof text, "127.%u.%u.%u:4000", b->octet, 1 + (k + 1) / 250, (k + 1) % 250 + 1);
        if (tekho_config_endpoint_parse(text, &x->air) != TEKHO_OK)
            goto bad_addr;
        x->position[0] = cells[k][0];
        x->position[1] = cells[k][1];
        NODE_CREDS(x->name, &x->cert, &x->key, &x->psk, k + 1);
    }
#undef NODE_CREDS
    cfg.authd = authd;
    cfg.n_authd = b->n_authd;
    cfg.bs = bs;
    cfg.n_bs = b->n_bs;
    cfg.msd.present = true;
    snprintf(cfg.msd.name, sizeof cfg.msd.name, "msd-0");
    snprintf(text, sizeof text, "127.%u.250.1:4000", b->octet);
    if (tekho_config_endpoint_parse(text, &cfg.msd.air) != TEKHO_OK)
        goto bad_addr;
    cfg.msd.ms = b->n_ms;
    if (b->msd_metrics_port != 0) {
        snprintf(text, sizeof text, "127.%u.250.1:%u", b->octet, (unsigned)b->msd_metrics_port);
        if (tekho_config_endpoint_parse(text, &cfg.msd.metrics) != TEKHO_OK)
            goto bad_addr;
    }
    char path[4200];
    path_in(path, sizeof path, b->dir, "net.yaml");
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL || tekho_config_write(f, &cfg) != TEKHO_OK || fclose(f) != 0) {
        say(why, cap, "%s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
bad_addr:
    say(why, cap, "an address: %s", text);
out:
    OPENSSL_cleanse(authd, sizeof authd);
    if (bs != NULL)
        OPENSSL_cleanse(bs, b->n_bs * sizeof *bs);
    free(bs);
    free(paths);
    free(cells);
    return rc;
}

/* Starts `tekho ROLE ARGS...` with its standard error in DIR/NAME.log. */
static int spawn_child(struct bed *b, const char *role, const char *name, const char *const *extra, char *why,
                       size_t cap)
{
    struct child *c = &b->kids[b->n_kids];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->role = role;
    char file[96];
    snprintf(file, sizeof file, "%s.log", name);
    path_in(c->log, sizeof c->log, b->dir, file);
    snprintf(file, sizeof file, "%s.results", name);
    path_in(c->results, sizeof c->results, b->dir, file);
    char config[4200];
    path_in(config, sizeof config, b->dir, "net.yaml");
    const char *argv[24];
    size_t n = 0;
    argv[n++] = "tekho";
    argv[n++] = role;
    argv[n++] = "--config";
    argv[n++] = config;
    argv[n++] = "--results";
    argv[n++] = c->results;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 20; i++) /* room for --trace and NULL */
        argv[n++] = extra[i];
    char trace[4200];
    if (b->trace) { /* each life its own: NAME.K.trace, K counting the processes started */
        snprintf(file, sizeof file, "%s.%zu.trace", name, b->n_kids);
        path_in(trace, sizeof trace, b->dir, file);
        argv[n++] = "--trace";
        argv[n++] = trace;
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, c->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int e = posix_spawn(&c->pid, "/proc/self/exe", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        say(why, cap, "cannot start tekho %s: %s", role, strerror(e));
        return -1;
    }
    b->n_kids++;
    return 0;
}

/* Whether file holds needle (a log line the process wrote). */
static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static bool reap(struct child *c, bool wait_for)
{
    if (c->exited)
        return true;
    const pid_t r = waitpid(c->pid, &c->status, wait_for ? 0 : WNOHANG);
    if (r == c->pid)
        c->exited = true;
    return c->exited;
}

/* Stops every child still running: SIGTERM, then SIGKILL after 10 s. */
static void stop_all(struct bed *b)
{
    for (size_t i = 0; i < b->n_kids; i++)
        if (!reap(&b->kids[i], false))
            kill(b->kids[i].pid, SIGTERM);
    for (int t = 0; t < 200; t++) {
        bool all = true;
        for (size_t i = 0; i < b->n_kids; i++)
            all = reap(&b->kids[i], false) && all;
        if (all)
            return;
        msleep(50);
    }
    for (size_t i = 0; i < b->n_kids; i++)
        if (!reap(&b->kids[i], false)) {
            kill(b->kids[i].pid, SIGKILL);
            reap(&b->kids[i], true);
        }
}

/* The counters every process keeps of the roles it runs, summed into to
 * (the msd's handovers and interruptions stay as they are). */
static void add_stats(struct tekho_sim_stats *to, const struct tekho_sim_stats *s)
{
#define ADD(f) to->f += s->f
    ADD(replayed_pdus_accepted);
    ADD(forged_pdus_accepted);
    ADD(pn_reuse);
    ADD(tek_bytes_over_air);
    ADD(self_sync_success);
    ADD(resync_by_rng_req);
    ADD(connections_released);
    ADD(pdus_discarded);
    ADD(tek_mismatch_after_ho);
    ADD(air_messages);
    ADD(air_bytes);
    ADD(backbone_messages);
    ADD(backbone_bytes);
    ADD(ho_air_messages);
    ADD(ho_air_bytes);
    ADD(ho_backbone_messages);
    ADD(ho_backbone_bytes);
    ADD(tek_bytes_over_backbone);
    ADD(n_decreased);
    ADD(m_decreased);
    ADD(stale_count_keys);
    ADD(role_errors);
    ADD(io_errors);
    ADD(events);
    ADD(new_pmks);
#undef ADD
}

static void add_counters(struct daemon_counters *to, const struct daemon_counters *c)
{
    const uint64_t *from = (const uint64_t *)c;
    uint64_t *into = (uint64_t *)to;
    for (size_t i = 0; i < sizeof *c / sizeof(uint64_t); i++)
        into[i] += from[i];
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct bed_result {
    enum tekho_scheme scheme;
    struct report_run run;        /* the testbed's, as tekho sim prints one */
    struct daemon_counters c;     /* summed over the processes */
    struct report_run emulator;   /* the emulator on the same parameters */
    double wall_s;
    bool ok;
    char why[512];
    char kept[4096]; /* --keep: the run's directory ("": removed) */
    struct {
        char name[TEKHO_CONFIG_NAME_MAX];
        const char *role;
        int exit;
        bool killed;
    } procs[MAX_PROCS];
    unsigned long authd_kills, bsd_kills, handovers_at_last_kill, handovers_after_last_kill;
    size_t n_procs;
};

/* Starts Authenticator i (again, after a kill: on the same store). */
static int spawn_authd(struct bed *b, unsigned i, char *why, size_t cap)
{
    char name[16];
    snprintf(name, sizeof name, "authd-%u", i);
    char sub[32], state[4200];
    snprintf(sub, sizeof sub, "%s.state", name);
    path_in(state, sizeof state, b->dir, sub);
    const char *extra[7] = {"--name", name, "--state-dir", state, b->keylog ? "--keylog" : NULL, b->keylog, NULL};
    if (spawn_child(b, "authd", name, extra, why, cap) != 0)
        return -1;
    b->kids[b->n_kids - 1].index = i;
    return 0;
}

/* Starts the bsd of node k on its state directory (new at the first start:
 * a BS that can prove it never ran before; there after a kill). */
static int spawn_bsd(struct bed *b, unsigned k, char *why, size_t cap)
{
    char node[12], name[16], sub[32], state[4200];
    snprintf(node, sizeof node, "%u", k);
    snprintf(name, sizeof name, "bs-%u", k);
    snprintf(sub, sizeof sub, "%s.state", name);
    path_in(state, sizeof state, b->dir, sub);
    const char *extra[7] = {"--node", node, "--state-dir", state, b->keylog ? "--keylog" : NULL, b->keylog, NULL};
    if (spawn_child(b, "bsd", name, extra, why, cap) != 0)
        return -1;
    b->kids[b->n_kids - 1].index = k;
    return 0;
}

/* The running process of role and index, or NULL. */
static struct child *find_live(struct bed *b, const char *role, unsigned index)
{
    for (size_t i = b->n_kids; i-- > 0;)
        if (strcmp(b->kids[i].role, role) == 0 && b->kids[i].index == index && !b->kids[i].killed &&
            !reap(&b->kids[i], false))
            return &b->kids[i];
    return NULL;
}

/* The terminals' completed handovers now, from their metrics endpoint
 * (Prometheus text: tekho_handovers{outcome="completed"} N); 0 if it
 * cannot be read. */
static unsigned long msd_handovers(const struct bed *b)
{
    if (b->msd_metrics_port == 0)
        return 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(b->msd_metrics_port)};
    sa.sin_addr.s_addr = htonl(127u << 24 | b->octet << 16 | 250u << 8 | 1u);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    const struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: msd\r\n\r\n";
    char buf[1 << 16];
    size_t got = 0;
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) == 0 && write(fd, req, sizeof req - 1) > 0) {
        ssize_t n;
        while (got + 1 < sizeof buf && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    const char *at = strstr(buf, "tekho_handovers{outcome=\"completed\"} ");
    return at ? strtoul(at + strlen("tekho_handovers{outcome=\"completed\"} "), NULL, 10) : 0;
}

/* A free TCP port on addr (bound, read, closed: the daemon binds it next). */
static uint16_t free_port(unsigned octet)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(127u << 24 | octet << 16 | 250u << 8 | 1u);
    socklen_t len = sizeof sa;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (const struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* PostgreSQL: each run in a schema of its own (created here, dropped
 * after), so that a run starts on an empty store and several runs can
 * share one database; the daemons get it through the URL's
 * options=-csearch_path. */
static int pg_schema(struct bed *b, bool create, char *why, size_t cap)
{
    PGconn *c = PQconnectdb(b->store);
    if (PQstatus(c) != CONNECTION_OK) {
        say(why, cap, "--store: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    char q[160];
    snprintf(q, sizeof q, create ? "CREATE SCHEMA %s" : "DROP SCHEMA IF EXISTS %s CASCADE", b->pg_schema);
    PGresult *r = PQexec(c, q);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        say(why, cap, "--store: %s: %s", q, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The testbed's intervals: a run is one replication, so the handovers
 * are resampled (each its own unit: the bootstrap of stats.h over
 * singletons) and the mean's interval is the t interval over them; an
 * assumption the report states (handovers of one run share its mobility). */
static void intervals(struct report_run *r, double *samples[TEKHO_SIM_DIRECTIONS], const size_t n[TEKHO_SIM_DIRECTIONS],
                      uint64_t seed)
{
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        if (n[d] == 0)
            continue;
        qsort(samples[d], n[d], sizeof(double), cmp_double);
        const double **one = malloc(n[d] * sizeof *one);
        size_t *ones = malloc(n[d] * sizeof *ones);
        if (one != NULL && ones != NULL) {
            for (size_t i = 0; i < n[d]; i++) {
                one[i] = &samples[d][i];
                ones[i] = 1;
            }
            r->ci[d].mean = stats_mean_ci(samples[d], n[d]);
            (void)stats_pooled_quantile_ci(one, ones, n[d], 0.50, 2000, seed, &r->ci[d].p50);
            (void)stats_pooled_quantile_ci(one, ones, n[d], 0.99, 2000, seed + 1, &r->ci[d].p99);
        }
        free(one);
        free(ones);
    }
}

/* One scheme on the testbed. */
static int run_scheme(struct bed *b, enum tekho_scheme scheme, const struct cli_args *a, struct bed_result *out)
{
    out->scheme = scheme;
    out->run.scheme = scheme;
    const char *tmp = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
    if (snprintf(b->dir, sizeof b->dir, "%s/tekho-testbed-XXXXXX", tmp) >= (int)sizeof b->dir) {
        say(out->why, sizeof out->why, "TMPDIR too long");
        return -1;
    }
    if (mkdtemp(b->dir) == NULL) {
        say(out->why, sizeof out->why, "%s: %s", b->dir, strerror(errno));
        return -1;
    }
    b->n_kids = 0;
    b->msd_metrics_port = b->kill_authd + b->kill_bsd > 0 ? free_port(b->octet) : 0;
    b->pg_schema[0] = b->pg_url[0] = '\0';
    if (strncmp(b->store, "postgres", 8) == 0) {
        snprintf(b->pg_schema, sizeof b->pg_schema, "tekho_testbed_%d_%u", (int)getpid(), (unsigned)scheme);
        if (pg_schema(b, true, out->why, sizeof out->why) != 0) {
            b->pg_schema[0] = '\0';
            return -1;
        }
        snprintf(b->pg_url, sizeof b->pg_url, "%s%coptions=-csearch_path%%3D%s", b->store,
                 strchr(b->store, '?') ? '&' : '?', b->pg_schema);
    }
    if (write_network(b, scheme, a, out->why, sizeof out->why) != 0)
        return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < b->n_authd; i++)
        if (spawn_authd(b, i, out->why, sizeof out->why) != 0) {
            stop_all(b);
            return -1;
        }
    for (unsigned k = 1; k <= b->n_bs; k++)
        if (spawn_bsd(b, k, out->why, sizeof out->why) != 0) {
            stop_all(b);
            return -1;
        }
    /* Every BS up with an Authenticator before the terminals enter. */
    bool ready = false;
    for (int t = 0; t < 400 && !ready; t++) {
        ready = true;
        for (size_t i = 0; i < b->n_kids && ready; i++)
            if (strcmp(b->kids[i].role, "bsd") == 0)
                ready = file_has(b->kids[i].log, "\"backbone session up\",\"peer\":\"authd-");
        for (size_t i = 0; i < b->n_kids; i++)
            if (reap(&b->kids[i], false)) {
                say(out->why, sizeof out->why, "%s exited at start (see %s)", b->kids[i].name, b->kids[i].log);
                stop_all(b);
                return -1;
            }
        if (!ready)
            msleep(25);
    }
    if (!ready) {
        say(out->why, sizeof out->why, "the BSs did not reach an Authenticator within 10 s (logs in %s)", b->dir);
        stop_all(b);
        return -1;
    }
    char duration[16];
    snprintf(duration, sizeof duration, "%u", b->duration);
    char pcap[4200];
    if (b->pcap[0] != '\0' && snprintf(pcap, sizeof pcap, "%s/%s", b->pcap, tekho_scheme_name(scheme)) >= (int)sizeof pcap) {
        say(out->why, sizeof out->why, "--pcap: name too long");
        stop_all(b);
        return -1;
    }
    const char *extra[5] = {"--duration", duration, b->pcap[0] ? "--pcap" : NULL, pcap, NULL};
    if (spawn_child(b, "msd", "msd-0", extra, out->why, sizeof out->why) != 0) {
        stop_all(b);
        return -1;
    }
    const size_t msd_at = b->n_kids - 1;
    /* The chaos: kills at random moments between a fifth and three fifths
     * of the run (from the seed), each victim restarted a moment later
     * (an Authenticator on the same store, a BS on its state directory). */
    struct chaos_event {
        uint64_t at_ms;
        bool authd;
        unsigned which;
    } ev[2 * MAX_KILLS];
    size_t n_ev = 0;
    uint64_t x = b->seed * 0x9E3779B97F4A7C15ull + (uint64_t)scheme + 1;
    for (unsigned i = 0; i < b->kill_authd + b->kill_bsd; i++) {
        const uint64_t r = tekho_sim_splitmix(&x);
        ev[n_ev].at_ms = (uint64_t)b->duration * 200 + r % ((uint64_t)b->duration * 400 + 1);
        ev[n_ev].authd = i < b->kill_authd;
        ev[n_ev].which = ev[n_ev].authd ? (unsigned)(r >> 32) % b->n_authd : 1 + (unsigned)(r >> 32) % b->n_bs;
        n_ev++;
    }
    for (size_t i = 1; i < n_ev; i++) /* in time order */
        for (size_t j = i; j > 0 && ev[j].at_ms < ev[j - 1].at_ms; j--) {
            const struct chaos_event swap = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = swap;
        }
    struct timespec m0;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    size_t next_ev = 0;
    struct restart {
        uint64_t at_ms;
        bool authd;
        unsigned which;
    } pending[2 * MAX_KILLS];
    size_t n_pending = 0;
    out->handovers_at_last_kill = 0;
    /* The terminals stop by themselves; a process that dies meanwhile (not killed here) ends the run. */
    for (unsigned t = 0; t < (b->duration + 60) * 20 && !reap(&b->kids[msd_at], false); t++) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        const uint64_t ms = (uint64_t)(now.tv_sec - m0.tv_sec) * 1000 + (uint64_t)((now.tv_nsec - m0.tv_nsec) / 1000000);
        while (next_ev < n_ev && ev[next_ev].at_ms <= ms) {
            const struct chaos_event *e = &ev[next_ev];
            struct child *victim = find_live(b, e->authd ? "authd" : "bsd", e->which);
            if (victim == NULL)
                break; /* still restarting from the last kill: a moment later */
            next_ev++;
            {
                kill(victim->pid, SIGKILL);
                reap(victim, true);
                victim->killed = true;
                if (e->authd)
                    out->authd_kills++;
                else
                    out->bsd_kills++;
                if (next_ev == n_ev)
                    out->handovers_at_last_kill = msd_handovers(b);
                pending[n_pending++] = (struct restart){ms + (e->authd ? 1000 : 2000), e->authd, e->which};
            }
        }
        for (size_t i = 0; i < n_pending;) {
            if (pending[i].at_ms > ms) {
                i++;
                continue;
            }
            const int r = pending[i].authd ? spawn_authd(b, pending[i].which, out->why, sizeof out->why)
                                           : spawn_bsd(b, pending[i].which, out->why, sizeof out->why);
            if (r != 0) {
                stop_all(b);
                return -1;
            }
            pending[i] = pending[--n_pending];
        }
        for (size_t i = 0; i < b->n_kids; i++)
            if (i != msd_at && !b->kids[i].killed && reap(&b->kids[i], false)) {
                say(out->why, sizeof out->why, "%s exited during the run (see %s)", b->kids[i].name,
                    b->kids[i].log);
                stop_all(b);
                return -1;
            }
        msleep(50);
    }
    stop_all(b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* The results: the terminals' measurements, everyone's counters. */
    int rc = 0;
    out->n_procs = b->n_kids;
    for (size_t i = 0; i < b->n_kids; i++) {
        const struct child *c = &b->kids[i];
        snprintf(out->procs[i].name, sizeof out->procs[i].name, "%s", c->name);
        out->procs[i].role = c->role;
        out->procs[i].exit = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
        out->procs[i].killed = c->killed;
        if (c->killed) /* its results died with it; its successor's are the node's */
            continue;
        struct daemon_results r;
        if (daemon_results_read(c->results, &r) != 0) {
            say(out->why, sizeof out->why, "%s left no results (exit %d; see %s)", c->name, out->procs[i].exit,
                     c->log);
            rc = -1;
            continue;
        }
        if (i == msd_at) {
            const struct tekho_sim_stats keep = out->run.st;
            out->run.st = r.st;
            add_stats(&out->run.st, &keep);
            intervals(&out->run, r.samples, r.n, b->seed);
            out->run.n_reps = 1;
            out->run.samples = r.samples[TEKHO_SIM_UNION];
            out->run.n_samples = r.n[TEKHO_SIM_UNION];
            r.samples[TEKHO_SIM_UNION] = NULL;
            r.n[TEKHO_SIM_UNION] = 0;
        } else
            add_stats(&out->run.st, &r.st);
        add_counters(&out->c, &r.c);
        daemon_results_free(&r);
        if (out->procs[i].exit != 0) {
            say(out->why, sizeof out->why, "%s exited with %d (see %s)", c->name, out->procs[i].exit, c->log);
            rc = -1;
        }
    }
    if (b->kill_authd + b->kill_bsd > 0)
        out->handovers_after_last_kill = out->run.st.completed > out->handovers_at_last_kill
                                             ? out->run.st.completed - out->handovers_at_last_kill
                                             : 0;
    out->ok = rc == 0;
    return rc;
}

/* Removes the run's directory (its credentials included), unless kept. */
static void remove_dir(const char *dir)
{
    const char *argv[] = {"rm", "-rf", "--", dir, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "rm", NULL, NULL, (char *const *)argv, environ) == 0)
        waitpid(pid, NULL, 0);
}

static void ci_md(FILE *f, const struct ci95 *c)
{
    if (c->valid)
        fprintf(f, "%.1f [%.1f, %.1f]", c->value, c->lo, c->hi);
    else
        fprintf(f, "%.1f", c->value);
}

/* --report DIR: the emulator's report on the same parameters, and in
 * testbed.md (linked from report.md) the testbed beside it. */
static int write_report(const char *dir, const struct tekho_sim_params *p, const struct bed *b,
                        const struct bed_result *res, size_t n)
{
    struct report_run *runs = calloc(n, sizeof *runs);
    if (runs == NULL)
        return -1;
    for (size_t k = 0; k < n; k++)
        runs[k] = res[k].emulator;
    const struct report r = {.dir = dir, .params = p, .duration_s = b->duration, .replications = 3, .runs = runs,
                             .n_runs = n, .command = "testbed"};
    char why[4200];
    int rc = report_write(&r, why, sizeof why);
    free(runs);
    if (rc != 0) {
        fprintf(stderr, "tekho testbed: --report: %s\n", why);
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/testbed.md", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "tekho testbed: --report: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# The testbed against the emulator\n\n"
               "%u base stations (a `tekho bsd` each, on the emulator's hex layout), %u terminals in one `tekho msd`, "
               "one `tekho authd`, as separate processes on loopback, the backbone in DTLS 1.2 (%s); %u s per scheme, "
               "seed %llu. The testbed's interruptions are measured at the terminals on the real clock (M.2134's "
               "definition: from leaving the serving BS until user data flows again, UL and DL); its intervals "
               "resample the run's handovers (one run); the emulator's (report.md) resample 3 replications.\n\n",
            b->n_bs, b->n_ms, b->psk ? "PSKs" : "ECDSA P-256 certificates", b->duration, (unsigned long long)b->seed);
    fprintf(f, "| scheme | handovers (testbed / emulator) | union p50, ms: testbed | emulator | difference | "
               "union p99, ms: testbed | emulator | insecure | frame timing errors | DTLS handshakes ok / refused |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < n; k++) {
        const struct bed_result *x = &res[k];
        const struct tekho_sim_interruption *tu = &x->run.st.interruption[TEKHO_SIM_UNION],
                                            *eu = &x->emulator.st.interruption[TEKHO_SIM_UNION];
        fprintf(f, "| %s | %lu / %lu | ", tekho_scheme_name(x->scheme), x->run.st.completed,
                x->emulator.st.completed / 3);
        ci_md(f, &x->run.ci[TEKHO_SIM_UNION].p50);
        fprintf(f, " | ");
        ci_md(f, &x->emulator.ci[TEKHO_SIM_UNION].p50);
        fprintf(f, " | %+.1f | ", tu->p50_ms - eu->p50_ms);
        ci_md(f, &x->run.ci[TEKHO_SIM_UNION].p99);
        fprintf(f, " | ");
        ci_md(f, &x->emulator.ci[TEKHO_SIM_UNION].p99);
        fprintf(f, " | %lu | %llu | %llu / %llu |%s\n", report_insecure(&x->run.st),
                (unsigned long long)x->c.frame_timing_errors, (unsigned long long)x->c.dtls_handshakes_ok,
                (unsigned long long)x->c.dtls_handshakes_failed, x->ok ? "" : " (the run failed)");
    }
    const bool ok = fclose(f) == 0;
    snprintf(path, sizeof path, "%s/report.md", dir);
    f = fopen(path, "a");
    if (f != NULL) {
        fprintf(f, "\n## The testbed\n\nThe same parameters on the daemons: [testbed.md](testbed.md).\n");
        fclose(f);
    }
    return ok && f != NULL ? 0 : -1;
}

static const char TESTBED_SYNOPSIS[] =
    "[--bs N] [--ms M] [--duration S] [--schemes A,B,...] [--seed N] [--backbone-us N]\n"
    "                     [--air-loss N] [--psk] [--keylog FILE] [--report DIR] [--keep [--trace]] [--json]\n"
    "                     [--authd K] [--store URL] [--chaos kill-authd=K[,kill-bsd=J]] [--pcap DIR]\n"
    "       tekho testbed --setup DIR [--bs N] [--ms M] [--psk] [--authd K] [--store URL]";

int cmd_testbed(int argc, char **argv)
{
    char schemes_help[1024], names[512];
    scheme_list(names, sizeof names, ",");
    snprintf(schemes_help, sizeof schemes_help, "the schemes run, in turn (default counter,baseline-update)\n      A: %s",
             names);
    const struct cli_opt opts[T_N_OPTS] = {
        [T_BS] = {"bs", CLI_NUM, false, .min = 2, .max = 1000, .help = "base stations, a bsd each (default 7)"},
        [T_MS] = {"ms", CLI_NUM, false, .min = 1, .max = 100000, .help = "terminals, in one msd (default 40)"},
        [T_DURATION] = {"duration", CLI_NUM, false, .min = 1, .max = 86400,
                        .help = "seconds each scheme runs (default 30)"},
        [T_SCHEMES] = {"schemes", CLI_STR, false, .arg = "A,B,...", .help = schemes_help},
        [T_SEED] = {"seed", CLI_NUM, false, .min = 0, .max = UINT64_MAX, .help = "the random seed (default 1)"},
        [T_BACKBONE_US] = {"backbone-us", CLI_NUM, false, .min = 0, .max = 1000000,
                           .help = "one-way backbone latency the daemons add, us (default 2000)"},
        [T_AIR_LOSS] = {"air-loss", CLI_REAL, false, .rmin = 0, .rmax = 100,
                        .help = "air PDUs lost outright, % (default 0)"},
        [T_KEYLOG] = {"keylog", CLI_STR, false, .arg = "FILE",
                      .help = "the backbone's DTLS keys as an NSS key log, for Wireshark (test networks only)"},
        [T_REPORT] = {"report", CLI_STR, false, .arg = "DIR",
                      .help = "the emulator's report for the same parameters and a table of testbed against it"},
        [T_PSK] = {"psk", CLI_FLAG, false, .help = "per-node PSKs on the backbone instead of certificates"},
        [T_KEEP] = {"keep", CLI_FLAG, false, .help = "keep each run's directory (configs, credentials, logs)"},
        [T_TRACE] = {"trace", CLI_FLAG, false,
                     .help = "with --keep: every process's events and messages, and the inputs its roles refused, "
                             "one line each (as tekho sim --trace) into NAME.K.trace in the run's directory (K: "
                             "the K-th process started, so a restarted daemon's lives have a file each)"},
        [T_AUTHD] = {"authd", CLI_NUM, false, .min = 1, .max = MAX_AUTHD,
                     .help = "Authenticators, sharing --store (several need a PostgreSQL store); each BS fails over "
                             "from one to the next (default 1)"},
        [T_STORE] = {"store", CLI_STR, false, .arg = "URL",
                     .help = "the Authenticators' store: memory (default), sqlite (a new file in the run's "
                             "directory), sqlite:PATH, or postgresql://... (each scheme's run in a schema of its "
                             "own, dropped after it)"},
        [T_CHAOS] = {"chaos", CLI_STR, false, .arg = "kill-authd=K[,kill-bsd=J]",
                     .help = "SIGKILL an Authenticator K times (and a BS J times) at random moments of each run, "
                             "each restarted a moment later (on the same store, on its state directory)"},
        [T_SETUP] = {"setup", CLI_STR, false, .arg = "DIR",
                     .help = "only write the network (net.yaml, the CA, every node's credentials) into DIR, for "
                             "running the daemons by hand (on several machines: edit the addresses), print the "
                             "commands that start them, and stop; the first of --schemes is its scheme"},
        [T_PCAP] = {"pcap", CLI_STR, false, .arg = "DIR",
                    .help = "the terminals' air of each scheme's run in DIR/SCHEME (created with its parents): "
                            "air.pcap for tekho analyze and interruptions.tsv, what the msd measured (msd --pcap)"},
    };
    const struct cli_cmd cmd = {
        .name = "testbed", .synopsis = TESTBED_SYNOPSIS,
        .description =
            "The daemons for real, on this machine: for each scheme in turn, configs and credentials (an ECDSA "
            "P-256 CA and a certificate per node, or --psk) in a new temporary directory, one authd, N bsd on "
            "the emulator's hex layout and one msd with M terminals, as separate processes on loopback addresses "
            "(127.X.0.0/16, X from the process id), the backbone in DTLS 1.2. The terminals run --duration "
            "seconds; then every process stops and the results are collected. Prints tekho sim's table for the "
            "testbed (interruptions measured at the terminals on the real clock) and the emulator's p50 on the "
            "same parameters beside it; --json the same params and schemes objects, with emulator and processes.",
        .opts = opts, .n_opts = T_N_OPTS};
    struct cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct bed *bp = NULL;
    bp = calloc(1, sizeof *bp);
    if (bp == NULL) {
        rc = cli_fail(&cmd, a.json, "out of memory");
        goto done;
    }
    bp->n_bs = a.v[T_BS].present ? (unsigned)a.v[T_BS].num : 7;
    bp->n_ms = a.v[T_MS].present ? (unsigned)a.v[T_MS].num : 40;
    bp->duration = a.v[T_DURATION].present ? (unsigned)a.v[T_DURATION].num : 30;
    bp->seed = a.v[T_SEED].present ? a.v[T_SEED].num : 1;
    bp->psk = a.v[T_PSK].present;
    bp->trace = a.v[T_TRACE].present;
    if (bp->trace && !a.v[T_KEEP].present) {
        rc = cli_usage_error(&cmd, "--trace: with --keep (the traces are in the run's directory)");
        goto done;
    }
    bp->keylog = a.v[T_KEYLOG].present ? (const char *)a.v[T_KEYLOG].bytes : NULL;
    bp->octet = 64 + (unsigned)getpid() % 128;
    bp->n_authd = a.v[T_AUTHD].present ? (unsigned)a.v[T_AUTHD].num : 1;
    bp->store = a.v[T_STORE].present ? (const char *)a.v[T_STORE].bytes : "memory";
    if (strcmp(bp->store, "memory") != 0 && strcmp(bp->store, "sqlite") != 0 && strncmp(bp->store, "sqlite:", 7) != 0 &&
        strncmp(bp->store, "postgresql://", 13) != 0 && strncmp(bp->store, "postgres://", 11) != 0) {
        rc = cli_usage_error(&cmd, "--store: memory, sqlite, sqlite:PATH or postgresql://...");
        goto done;
    }
    if (bp->n_authd > 1 && strncmp(bp->store, "postgres", 8) != 0) {
        rc = cli_usage_error(&cmd, "--authd %u: several Authenticators share a PostgreSQL store (--store "
                                   "postgresql://...)", bp->n_authd);
        goto done;
    }
    if (a.v[T_CHAOS].present) {
        const char *c = (const char *)a.v[T_CHAOS].bytes;
        unsigned ka = 0, kb = 0;
        int used = 0;
        if (sscanf(c, "kill-authd=%u%n", &ka, &used) == 1 && c[used] == '\0')
            ;
        else if (sscanf(c, "kill-authd=%u,kill-bsd=%u%n", &ka, &kb, &used) == 2 && c[used] == '\0')
            ;
        else if (sscanf(c, "kill-bsd=%u%n", &kb, &used) == 1 && c[used] == '\0')
            ;
        else {
            rc = cli_usage_error(&cmd, "--chaos: kill-authd=K[,kill-bsd=J] or kill-bsd=J");
            goto done;
        }
        if (ka > MAX_KILLS || kb > MAX_KILLS) {
            rc = cli_usage_error(&cmd, "--chaos: at most %u kills of each", MAX_KILLS);
            goto done;
        }
        bp->kill_authd = ka;
        bp->kill_bsd = kb;
    }
    enum tekho_scheme list[TEKHO_SCHEME_COUNT];
    size_t n = 0;
    const char *given = a.v[T_SCHEMES].present ? (const char *)a.v[T_SCHEMES].bytes : "counter,baseline-update";
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", given);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        enum tekho_scheme s;
        bool dup = false;
        if (tekho_scheme_parse(tok, &s) != TEKHO_OK) {
            rc = cli_usage_error(&cmd, "--schemes: unknown scheme '%s' (one of %s)", tok, names);
            goto done;
        }
        for (size_t k = 0; k < n; k++)
            dup = dup || list[k] == s;
        if (dup || n == TEKHO_SCHEME_COUNT) {
            rc = cli_usage_error(&cmd, "--schemes: '%s' twice", tok);
            goto done;
        }
        list[n++] = s;
    }
    if (a.v[T_REPORT].present && (rc = cli_output_dir(&cmd, "report", (const char *)a.v[T_REPORT].bytes)) >= 0)
        goto done;
    if (bp->keylog != NULL) {
        FILE *probe = NULL;
        if ((rc = cli_output_file(&cmd, "keylog", bp->keylog, &probe)) >= 0)
            goto done;
        fclose(probe);
        chmod(bp->keylog, 0600);
    }
    if (a.v[T_PCAP].present) {
        if (a.v[T_SETUP].present) {
            rc = cli_usage_error(&cmd, "--pcap is for a run, not --setup (give msd --pcap DIR)");
            goto done;
        }
        const char *dir = (const char *)a.v[T_PCAP].bytes;
        if ((rc = cli_output_dir(&cmd, "pcap", dir)) >= 0)
            goto done;
        char *abs = realpath(dir, NULL);
        snprintf(bp->pcap, sizeof bp->pcap, "%s", abs != NULL ? abs : dir);
        free(abs);
        rc = -1;
    }
    if (a.v[T_SETUP].present) {
        const char *dir = (const char *)a.v[T_SETUP].bytes;
        if ((rc = cli_output_dir(&cmd, "setup", dir)) >= 0)
            goto done;
        /* The config names its files by absolute paths: from anywhere. */
        char *abs = realpath(dir, NULL);
        snprintf(bp->dir, sizeof bp->dir, "%s", abs != NULL ? abs : dir);
        free(abs);
        dir = bp->dir;
        char why[512] = "";
        if (write_network(bp, list[0], &a, why, sizeof why) != 0) {
            rc = cli_fail(&cmd, a.json, why);
            goto done;
        }
        printf("# the network is in %s/net.yaml (%s, %u BSs, %u terminals); start, in this order:\n", dir,
               tekho_scheme_name(list[0]), bp->n_bs, bp->n_ms);
        for (unsigned i = 0; i < bp->n_authd; i++)
            printf("tekho authd --config %s/net.yaml --name authd-%u --state-dir %s/authd-%u.state\n", dir, i, dir, i);
        for (unsigned k = 1; k <= bp->n_bs; k++)
            printf("tekho bsd --config %s/net.yaml --node %u --state-dir %s/bs-%u.state\n", dir, k, dir, k);
        printf("tekho msd --config %s/net.yaml\n", dir);
        rc = CLI_EXIT_OK;
        goto done;
    }
    rc = CLI_EXIT_OK;
    struct bed_result *res = calloc(n, sizeof *res);
    if (res == NULL) {
        rc = cli_fail(&cmd, a.json, "out of memory");
        goto done;
    }
    /* The emulator on the same parameters (the daemons' defaults and the options given). */
    struct tekho_sim_params p;
    tekho_sim_params_emulator(&p);
    p.n_bs = bp->n_bs;
    p.n_ms = bp->n_ms;
    p.seed = bp->seed;
    if (a.v[T_BACKBONE_US].present)
        p.backbone_latency_us = a.v[T_BACKBONE_US].num;
    if (a.v[T_AIR_LOSS].present)
        p.air_loss = a.v[T_AIR_LOSS].real / 100;
    for (size_t k = 0; k < n; k++) {
        if (!a.json)
            fprintf(stderr, "tekho testbed: %s: %u bsd, %u terminals, %u s ...\n", tekho_scheme_name(list[k]),
                    bp->n_bs, bp->n_ms, bp->duration);
        if (run_scheme(bp, list[k], &a, &res[k]) != 0) {
            fprintf(stderr, "tekho testbed: %s: %s\n", tekho_scheme_name(list[k]), res[k].why);
            rc = CLI_EXIT_FAILED;
        }
        if (bp->pg_schema[0] != '\0' && !a.v[T_KEEP].present) {
            char why[512];
            if (pg_schema(bp, false, why, sizeof why) != 0)
                fprintf(stderr, "tekho testbed: %s\n", why);
        }
        if (!a.v[T_KEEP].present)
            remove_dir(bp->dir);
        else {
            snprintf(res[k].kept, sizeof res[k].kept, "%s", bp->dir);
            if (!a.json)
                fprintf(stderr, "tekho testbed: %s kept in %s\n", tekho_scheme_name(list[k]), bp->dir);
        }
        struct tekho_sim_params q = p;
        q.scheme = list[k];
        if (emulate_schemes(&q, &list[k], 1, bp->duration, 3, emulator_jobs(), true, false, &res[k].emulator) !=
            TEKHO_OK)
            rc = CLI_EXIT_FAILED;
        memcpy(res[k].run.model, res[k].emulator.model, sizeof res[k].run.model);
    }
    if (a.json) {
        printf("{");
        sim_params_json(stdout, &p, bp->duration, 1, false);
        printf(", \"testbed\": {\"bs\": %u, \"ms\": %u, \"backbone\": \"DTLS 1.2, %s\"}, \"schemes\": {", bp->n_bs, bp->n_ms,
               bp->psk ? "PSK" : "ECDSA P-256 certificates");
        for (size_t k = 0; k < n; k++) {
            printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(res[k].scheme));
            sim_result_json(stdout, NULL, bp->seed, &res[k].run, &p, bp->duration);
        }
        printf("}, \"emulator\": {");
        for (size_t k = 0; k < n; k++) {
            printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(res[k].scheme));
            sim_result_json(stdout, NULL, bp->seed, &res[k].emulator, &p, bp->duration);
        }
        printf("}, \"processes\": {");
        for (size_t k = 0; k < n; k++) {
            const struct bed_result *r = &res[k];
            const struct daemon_counters *c = &r->c;
            printf("%s\"%s\": {\"ok\": %s, \"wall_s\": %.1f, ", k ? ", " : "", tekho_scheme_name(r->scheme),
                   r->ok ? "true" : "false", r->wall_s);
            if (!r->ok) {
                printf("\"error\": ");
                cli_json_string(stdout, r->why);
                printf(", ");
            }
            if (r->kept[0] != '\0') {
                printf("\"kept\": ");
                cli_json_string(stdout, r->kept);
                printf(", ");
            }
            printf("\"air\": {\"in\": %llu, \"out\": %llu, \"dropped\": %llu, \"send_errors\": %llu}, "
                   "\"backbone\": {\"in\": %llu, \"out\": %llu, \"dropped\": %llu, \"unroutable\": %llu}, "
                   "\"dtls\": {\"handshakes_ok\": %llu, \"handshakes_failed\": %llu, \"cookie_exchanges\": %llu, "
                   "\"half_open_dropped\": %llu, \"garbage_dropped\": %llu, \"records_in\": %llu, "
                   "\"records_out\": %llu}, \"frame_timing_errors\": %llu, \"list\": [",
                   (unsigned long long)c->air_in, (unsigned long long)c->air_out, (unsigned long long)c->air_bad,
                   (unsigned long long)c->air_send_errors, (unsigned long long)c->backbone_in,
                   (unsigned long long)c->backbone_out, (unsigned long long)c->backbone_bad,
                   (unsigned long long)c->backbone_unroutable, (unsigned long long)c->dtls_handshakes_ok,
                   (unsigned long long)c->dtls_handshakes_failed, (unsigned long long)c->dtls_cookie_exchanges,
                   (unsigned long long)c->dtls_half_open_dropped, (unsigned long long)c->dtls_garbage_dropped,
                   (unsigned long long)c->dtls_records_in, (unsigned long long)c->dtls_records_out,
                   (unsigned long long)c->frame_timing_errors);
            for (size_t i = 0; i < r->n_procs; i++)
                printf("%s{\"name\": \"%s\", \"role\": \"%s\", \"exit\": %d, \"killed\": %s}", i ? ", " : "",
                       r->procs[i].name, r->procs[i].role, r->procs[i].exit, r->procs[i].killed ? "true" : "false");
            printf("]}");
        }
        printf("}, \"chaos\": {");
        for (size_t k = 0; k < n; k++) {
            const struct bed_result *r = &res[k];
            printf("%s\"%s\": {\"authd_kills\": %lu, \"bsd_kills\": %lu, \"handovers_after_last_kill\": %lu, "
                   "\"reauthentications\": %lu, \"store\": \"%s\", \"authd\": %u}",
                   k ? ", " : "", tekho_scheme_name(r->scheme), r->authd_kills, r->bsd_kills,
                   r->handovers_after_last_kill, r->run.st.new_pmks,
                   strncmp(bp->store, "sqlite", 6) == 0 ? "sqlite" : strcmp(bp->store, "memory") == 0 ? "memory"
                                                                                                   : "postgresql",
                   bp->n_authd);
        }
        printf("}}\n");
    } else {
        printf("testbed: %u bsd (hex layout), %u terminals in one msd, %u s per scheme, backbone in DTLS 1.2 (%s)\n",
               bp->n_bs, bp->n_ms, bp->duration, bp->psk ? "PSK" : "certificates");
        sim_table_heading(stdout);
        for (size_t k = 0; k < n; k++)
            sim_table_row(stdout, &res[k].run);
        if (bp->kill_authd + bp->kill_bsd > 0)
            for (size_t k = 0; k < n; k++)
                printf("chaos (%s): %lu Authenticator and %lu BS kills, %lu handovers after the last, %lu "
                       "re-authentications; insecure %lu, N or M backwards %lu\n",
                       tekho_scheme_name(res[k].scheme), res[k].authd_kills, res[k].bsd_kills,
                       res[k].handovers_after_last_kill, res[k].run.st.new_pmks, report_insecure(&res[k].run.st),
                       res[k].run.st.n_decreased + res[k].run.st.m_decreased);
        printf("\nthe emulator on the same parameters (3 replications): union p50 (testbed - emulator)\n");
        for (size_t k = 0; k < n; k++) {
            const struct bed_result *r = &res[k];
            const double tb = r->run.st.interruption[TEKHO_SIM_UNION].p50_ms,
                         em = r->emulator.st.interruption[TEKHO_SIM_UNION].p50_ms;
            printf("  %-18s testbed %6.1f ms, emulator %6.1f ms (%+.1f); frame timing errors %llu; air datagrams "
                   "dropped %llu; backbone dropped %llu, DTLS handshakes %llu ok / %llu refused\n",
                   tekho_scheme_name(r->scheme), tb, em, tb - em, (unsigned long long)r->c.frame_timing_errors,
                   (unsigned long long)r->c.air_bad, (unsigned long long)r->c.backbone_bad,
                   (unsigned long long)r->c.dtls_handshakes_ok, (unsigned long long)r->c.dtls_handshakes_failed);
        }
    }
    if (a.v[T_REPORT].present && write_report((const char *)a.v[T_REPORT].bytes, &p, bp, res, n) != 0)
        rc = CLI_EXIT_FAILED;
    for (size_t k = 0; k < n; k++) {
        free(res[k].run.samples);
        report_run_free(&res[k].emulator);
    }
    free(res);
done:
    free(bp);
    cli_args_free(&a);
    return rc;
}
