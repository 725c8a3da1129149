/* tekho sweep's grid, CSV, manifest and plots (sweep.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep.h"
#include "tekho/tekho.h"

#define MANIFEST "sweep.manifest"
#define MANIFEST_HEAD "tekho sweep manifest 1"
/* sweep.csv's size is bounded by the grid (256 points x 8 schemes of well
 * under 1 kB); anything far larger is not one. */
#define CSV_MAX (16u << 20)

static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

bool sweep_grid_layout(struct sweep_grid *g)
{
    g->n_points = 1;
    for (size_t x = g->n_axes; x-- > 0;) {
        g->stride[x] = g->n_points;
        g->n_points *= g->axes[x].n;
        if (g->n_points > SWEEP_MAX_POINTS)
            return false;
    }
    return true;
}

void sweep_point_at(const struct sweep_grid *g, size_t pt, size_t at[SWEEP_MAX_AXES])
{
    for (size_t x = 0; x < g->n_axes; x++)
        at[x] = (pt / g->stride[x]) % g->axes[x].n;
}

bool sweep_in_shard(size_t pt, unsigned index, unsigned count)
{
    return pt % count == index - 1;
}

/* v as the shortest decimal that reads back as exactly v, so a manifest
 * tells apart what the command line did. */
static void exact(char *buf, size_t cap, double v)
{
    if (v == (double)(long long)v) {
        snprintf(buf, cap, "%lld", (long long)v);
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static bool swept(const struct sweep_grid *g, const struct model_param *mp)
{
    for (size_t x = 0; x < g->n_axes; x++)
        if (g->axes[x].param == mp)
            return true;
    return false;
}

void sweep_grid_fixed(struct sweep_grid *g, const struct tekho_sim_params *base, unsigned duration, size_t R,
                      bool ideal)
{
    size_t at = (size_t)snprintf(g->fixed, sizeof g->fixed,
                                 "topology=hex:%u ms=%u duration=%u seed=%llu replications=%zu ideal=%s "
                                 "crypto-all=%s",
                                 base->n_bs, base->n_ms, duration, (unsigned long long)base->seed, R,
                                 ideal ? "yes" : "no", base->radio.crypto_all ? "yes" : "no");
    for (size_t k = 0; k < N_MODEL_PARAMS && at < sizeof g->fixed; k++) {
        if (swept(g, &MODEL_PARAMS[k]))
            continue;
        char v[40];
        exact(v, sizeof v, MODEL_PARAMS[k].value(base));
        at += (size_t)snprintf(g->fixed + at, sizeof g->fixed - at, " %s=%s", MODEL_PARAMS[k].name, v);
    }
}

void sweep_csv_header(FILE *f, const struct sweep_grid *g)
{
    for (size_t x = 0; x < g->n_axes; x++)
        fprintf(f, "%s,", g->axes[x].param->name);
    fprintf(f, "scheme,attempted,completed,failed,executed,");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const char *n = tekho_sim_direction_name((enum tekho_sim_direction)d);
        fprintf(f, "%s_n,%s_censored,%s_min_ms,%s_p50_ms,%s_p99_ms,%s_max_ms,%s_mean_ms,", n, n, n, n, n, n, n);
    }
    fprintf(f, "m2134_ul_p99_ms,m2134_dl_p99_ms,m2134_union_n,m2134_union_censored,m2134_union_p50_ms,"
               "m2134_union_p99_ms,m2134_union_max_ms,m2134_verdict,");
    fprintf(f, "air_messages_per_ho,backbone_messages_per_ho,air_bytes_per_ho,backbone_bytes_per_ho,"
               "tek_air_bytes_per_ho,tek_backbone_bytes_per_ho,replayed_accepted,forged_accepted,"
               "pn_reuse,tek_mismatch,released,self_sync,ho_window_lost,wall_s,");
    fprintf(f, "replications,model_ul_ms,model_dl_ms,model_union_ms,model_m2134_union_ms");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const char *n = tekho_sim_direction_name((enum tekho_sim_direction)d);
        fprintf(f, ",%s_mean_lo,%s_mean_hi,%s_p50_lo,%s_p50_hi,%s_p99_lo,%s_p99_hi", n, n, n, n, n, n);
    }
    fprintf(f, ",m2134_union_p99_lo,m2134_union_p99_hi");
    static const char *const diffs[N_DIFFS] = {"union_mean", "union_p50", "union_p99", "m2134_union_p99"};
    for (int k = 0; k < N_DIFFS; k++)
        fprintf(f, ",d_%s_vs_counter,d_%s_lo,d_%s_hi", diffs[k], diffs[k], diffs[k]);
    fprintf(f, ",pingpong,crossings,harq_retransmissions,harq_lost,ranging_contended,returns,returns_5s,"
               "left_nearest,off_nearest,served_measurements\n");
}

/* The header as a string (malloc'd, with its newline), or NULL. */
static char *csv_header_text(const struct sweep_grid *g)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    sweep_csv_header(f, g);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* "v1,v2,..." as the CSV writes values (display) or exactly (manifest). */
static void axis_values(char *buf, size_t cap, const struct sweep_axis *a, bool exactly)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n && at < cap; i++) {
        char v[40];
        if (exactly)
            exact(v, sizeof v, a->values[i]);
        else
            model_param_format(v, sizeof v, a->values[i]);
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "," : "", v);
    }
}

static bool join(char *buf, size_t cap, const char *dir, const char *name)
{
    const int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

int sweep_manifest_write(const char *dir, const struct sweep_grid *g, unsigned index, unsigned count, char *why,
                         size_t cap)
{
    char path[4200], tmp[4200];
    if (!join(path, sizeof path, dir, MANIFEST) || !join(tmp, sizeof tmp, dir, "." MANIFEST ".XXXXXX")) {
        say(why, cap, "cannot write '%s/%s': %s", dir, MANIFEST, strerror(ENAMETOOLONG));
        return -1;
    }
    const int fd = mkstemp(tmp);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (f == NULL) {
        say(why, cap, "cannot write '%s': %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    fprintf(f, "%s\nversion %s\ngrid %s\nschemes ", MANIFEST_HEAD, TEKHO_VERSION, g->fixed);
    for (size_t k = 0; k < g->n_schemes; k++)
        fprintf(f, "%s%s", k ? "," : "", tekho_scheme_name(g->schemes[k]));
    fprintf(f, "\n");
    for (size_t x = 0; x < g->n_axes; x++) {
        char values[SWEEP_MAX_VALUES * 40];
        axis_values(values, sizeof values, &g->axes[x], true);
        fprintf(f, "axis %s %s\n", g->axes[x].param->name, values);
    }
    fprintf(f, "points %zu\nshard %u/%u\nheld ", g->n_points, index, count);
    size_t held = 0;
    for (size_t pt = 0; pt < g->n_points; pt++)
        if (sweep_in_shard(pt, index, count))
            fprintf(f, "%s%zu", held++ ? "," : "", pt + 1);
    fprintf(f, "%s\n", held ? "" : "none");
    const bool written = !ferror(f);
    if (fclose(f) != 0 || !written || rename(tmp, path) != 0) {
        say(why, cap, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void sweep_manifest_remove(const char *dir)
{
    char path[4200];
    if (join(path, sizeof path, dir, MANIFEST))
        unlink(path);
}

/* A whole unsigned decimal number text[0..): 0, or -1. */
static int whole_number(const char *text, unsigned long long max, unsigned long long *out)
{
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    *out = strtoull(text, &end, 10);
    return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

static int parse_schemes(char *text, struct sweep_grid *g)
{
    g->n_schemes = 0;
    for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int s = 0;
        while (s < TEKHO_SCHEME_COUNT && strcmp(tekho_scheme_name((enum tekho_scheme)s), tok) != 0)
            s++;
        if (s == TEKHO_SCHEME_COUNT || g->n_schemes == TEKHO_SCHEME_COUNT)
            return -1;
        for (size_t k = 0; k < g->n_schemes; k++)
            if (g->schemes[k] == (enum tekho_scheme)s)
                return -1;
        g->schemes[g->n_schemes++] = (enum tekho_scheme)s;
    }
    return g->n_schemes ? 0 : -1;
}

static int parse_axis(char *text, struct sweep_axis *a)
{
    char *space = strchr(text, ' ');
    if (space == NULL)
        return -1;
    *space = '\0';
    a->param = model_param_find(text, strlen(text));
    if (a->param == NULL)
        return -1;
    a->n = 0;
    for (char *save = NULL, *tok = strtok_r(space + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        errno = 0;
        const double v = strtod(tok, &end);
        if (a->n == SWEEP_MAX_VALUES || errno != 0 || end == tok || *end != '\0' || v < a->param->min ||
            v > a->param->max)
            return -1;
        a->values[a->n++] = v;
    }
    return a->n ? 0 : -1;
}

int sweep_manifest_read(const char *dir, struct sweep_manifest *m, char *why, size_t cap)
{
    memset(m, 0, sizeof *m);
    char path[4200];
    if (!join(path, sizeof path, dir, MANIFEST)) {
        say(why, cap, "%s: %s", dir, strerror(ENAMETOOLONG));
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        struct stat st;
        if (errno == ENOENT && stat(dir, &st) != 0)
            say(why, cap, "cannot read '%s': %s", dir, strerror(errno));
        else if (errno == ENOENT)
            say(why, cap, "%s: no %s (not the --report directory of a tekho sweep, or its run did not finish)", dir,
                MANIFEST);
        else
            say(why, cap, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    enum { K_VERSION, K_GRID, K_SCHEMES, K_POINTS, K_SHARD, K_HELD, N_KEYS };
    static const char *const keys[N_KEYS] = {"version", "grid", "schemes", "points", "shard", "held"};
    bool seen[N_KEYS] = {false};
    unsigned long long points = 0;
    char held[SWEEP_MAX_POINTS * 4 + 8] = "";
    char line[4096];
    int rc = 0;
    unsigned n = 0;
    for (; fgets(line, sizeof line, f) != NULL; n++) {
        const size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            rc = -1;
            break;
        }
        line[len - 1] = '\0';
        if (n == 0) {
            if ((rc = strcmp(line, MANIFEST_HEAD) == 0 ? 0 : -1) != 0)
                break;
            continue;
        }
        char *space = strchr(line, ' ');
        if (space == NULL) {
            rc = -1;
            break;
        }
        *space = '\0';
        char *value = space + 1;
        if (strcmp(line, "axis") == 0) {
            if ((rc = m->g.n_axes < SWEEP_MAX_AXES ? parse_axis(value, &m->g.axes[m->g.n_axes++]) : -1) != 0)
                break;
            continue;
        }
        size_t k = 0;
        while (k < N_KEYS && strcmp(line, keys[k]) != 0)
            k++;
        if (k == N_KEYS || seen[k]) {
            rc = -1;
            break;
        }
        seen[k] = true;
        unsigned long long index = 0, count = 0;
        char *slash = NULL;
        switch (k) {
        case K_VERSION:
            rc = snprintf(m->version, sizeof m->version, "%s", value) < (int)sizeof m->version ? 0 : -1;
            break;
        case K_GRID:
            rc = snprintf(m->g.fixed, sizeof m->g.fixed, "%s", value) < (int)sizeof m->g.fixed ? 0 : -1;
            break;
        case K_SCHEMES: rc = parse_schemes(value, &m->g); break;
        case K_POINTS: rc = whole_number(value, SWEEP_MAX_POINTS, &points); break;
        case K_SHARD:
            slash = strchr(value, '/');
            if (slash == NULL) {
                rc = -1;
                break;
            }
            *slash = '\0';
            rc = whole_number(value, SWEEP_MAX_POINTS, &index) == 0 &&
                         whole_number(slash + 1, SWEEP_MAX_POINTS, &count) == 0 && index >= 1 && index <= count
                     ? 0
                     : -1;
            m->index = (unsigned)index;
            m->count = (unsigned)count;
            break;
        default: rc = snprintf(held, sizeof held, "%s", value) < (int)sizeof held ? 0 : -1; break;
        }
        if (rc != 0)
            break;
    }
    const bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        say(why, cap, "cannot read '%s': %s", path, strerror(EIO));
        return -1;
    }
    if (rc != 0) {
        say(why, cap, "%s: line %u: not a manifest this tekho writes", path, n + 1);
        return -1;
    }
    for (size_t k = 0; k < N_KEYS; k++) {
        if (!seen[k]) {
            say(why, cap, "%s: no %s line: not a manifest this tekho writes", path, keys[k]);
            return -1;
        }
    }
    if (m->g.n_axes == 0 || !sweep_grid_layout(&m->g) || m->g.n_points != points) {
        say(why, cap, "%s: its points are not its axes' (%llu): not a manifest this tekho writes", path, points);
        return -1;
    }
    /* held: the shard's points, as the rule gives them. */
    char want[sizeof held];
    size_t at = 0, count = 0;
    for (size_t pt = 0; pt < m->g.n_points && at < sizeof want; pt++)
        if (sweep_in_shard(pt, m->index, m->count))
            at += (size_t)snprintf(want + at, sizeof want - at, "%s%zu", count++ ? "," : "", pt + 1);
    if (count == 0)
        snprintf(want, sizeof want, "none");
    if (strcmp(held, want) != 0) {
        say(why, cap, "%s: held %s, but shard %u/%u of %zu points is %s: not a manifest this tekho writes", path,
            held, m->index, m->count, m->g.n_points, want);
        return -1;
    }
    return 0;
}

/* The first word of a and b (space-separated) that differ, as pointers and
 * lengths; false if they are the same. */
static bool first_difference(const char *a, const char *b, const char **wa, size_t *la, const char **wb,
                             size_t *lb)
{
    for (;;) {
        *la = strcspn(a, " ");
        *lb = strcspn(b, " ");
        *wa = a;
        *wb = b;
        if (*la != *lb || strncmp(a, b, *la) != 0)
            return true;
        if (a[*la] == '\0' && b[*lb] == '\0')
            return false;
        a += *la + (a[*la] == ' ');
        b += *lb + (b[*lb] == ' ');
    }
}

static void axes_text(char *buf, size_t cap, const struct sweep_grid *g)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t x = 0; x < g->n_axes && at < cap; x++) {
        char values[SWEEP_MAX_VALUES * 40];
        axis_values(values, sizeof values, &g->axes[x], false);
        at += (size_t)snprintf(buf + at, cap - at, "%s%s=%s", x ? " " : "", g->axes[x].param->name, values);
    }
}

bool sweep_manifest_same_grid(const struct sweep_manifest *a, const char *dir_a, const struct sweep_manifest *b,
                              const char *dir_b, char *why, size_t cap)
{
    if (strcmp(a->version, b->version) != 0) {
        say(why, cap, "%s was written by tekho %s, %s by tekho %s: merge shards of one version", dir_b, b->version,
            dir_a, a->version);
        return false;
    }
    const char *wa, *wb;
    size_t la, lb;
    if (first_difference(a->g.fixed, b->g.fixed, &wa, &la, &wb, &lb)) {
        say(why, cap, "%s and %s are shards of different grids: %s has %.*s, %s %.*s", dir_a, dir_b, dir_a, (int)la,
            la ? wa : "(nothing)", dir_b, (int)lb, lb ? wb : "(nothing)");
        return false;
    }
    bool same = a->g.n_schemes == b->g.n_schemes &&
                memcmp(a->g.schemes, b->g.schemes, a->g.n_schemes * sizeof a->g.schemes[0]) == 0;
    if (!same) {
        char sa[256] = "", sb[256] = "";
        for (size_t k = 0, at = 0; k < a->g.n_schemes && at < sizeof sa; k++)
            at += (size_t)snprintf(sa + at, sizeof sa - at, "%s%s", k ? "," : "", tekho_scheme_name(a->g.schemes[k]));
        for (size_t k = 0, at = 0; k < b->g.n_schemes && at < sizeof sb; k++)
            at += (size_t)snprintf(sb + at, sizeof sb - at, "%s%s", k ? "," : "", tekho_scheme_name(b->g.schemes[k]));
        say(why, cap, "%s and %s are shards of different grids: %s compares %s, %s %s", dir_a, dir_b, dir_a, sa,
            dir_b, sb);
        return false;
    }
    same = a->g.n_axes == b->g.n_axes;
    for (size_t x = 0; same && x < a->g.n_axes; x++)
        same = a->g.axes[x].param == b->g.axes[x].param && a->g.axes[x].n == b->g.axes[x].n &&
               memcmp(a->g.axes[x].values, b->g.axes[x].values, a->g.axes[x].n * sizeof(double)) == 0;
    if (!same) {
        char xa[1024], xb[1024];
        axes_text(xa, sizeof xa, &a->g);
        axes_text(xb, sizeof xb, &b->g);
        say(why, cap, "%s and %s are shards of different grids: %s sweeps %s, %s %s", dir_a, dir_b, dir_a, xa, dir_b,
            xb);
        return false;
    }
    return true;
}

/* Field k (0-based) of a CSV row: its start and length; false if the row
 * has fewer fields. */
static bool field(const char *row, size_t k, const char **start, size_t *len)
{
    for (size_t i = 0; i < k; i++) {
        row = strchr(row, ',');
        if (row == NULL)
            return false;
        row++;
    }
    *start = row;
    *len = strcspn(row, ",");
    return true;
}

static size_t count_fields(const char *row)
{
    size_t n = 1;
    for (; *row; row++)
        n += *row == ',';
    return n;
}

static bool field_is(const char *row, size_t k, const char *want)
{
    const char *s;
    size_t len;
    return field(row, k, &s, &len) && len == strlen(want) && strncmp(s, want, len) == 0;
}

/* The whole of path (at most CSV_MAX bytes, NUL-terminated, malloc'd), or
 * NULL with why. */
static char *slurp(const char *path, char *why, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        say(why, cap, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t room = 1 << 16, n = 0;
    char *text = malloc(room + 1);
    const char *problem = NULL;
    while (text != NULL && problem == NULL) {
        n += fread(text + n, 1, room - n, f);
        if (ferror(f))
            problem = strerror(EIO);
        else if (n < room)
            break;
        else if (room >= CSV_MAX)
            problem = "too large for a sweep.csv";
        else {
            char *more = realloc(text, 2 * room + 1);
            if (more == NULL)
                free(text);
            text = more;
            room *= 2;
        }
    }
    fclose(f);
    if (text == NULL || problem != NULL) {
        say(why, cap, "cannot read '%s': %s", path, text == NULL ? "out of memory" : problem);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        say(why, cap, "%s: not a sweep.csv (a NUL byte)", path);
        free(text);
        return NULL;
    }
    return text;
}

int sweep_csv_read(const char *dir, const struct sweep_grid *g, unsigned index, unsigned count, char **rows,
                   char *why, size_t cap)
{
    char path[4200];
    if (!join(path, sizeof path, dir, "sweep.csv")) {
        say(why, cap, "%s: %s", dir, strerror(ENAMETOOLONG));
        return -1;
    }
    char *header = csv_header_text(g);
    char *text = header ? slurp(path, why, cap) : NULL;
    if (header == NULL)
        say(why, cap, "out of memory");
    if (text == NULL) {
        free(header);
        return -1;
    }
    int rc = 0;
    const size_t header_len = strlen(header), n_fields = count_fields(header);
    if (strncmp(text, header, header_len) != 0) {
        say(why, cap, "%s: its header is not that of the grid its manifest describes", path);
        rc = -1;
    }
    const char *at = text + header_len;
    size_t line = 2;
    for (size_t pt = 0; rc == 0 && pt < g->n_points; pt++) {
        if (!sweep_in_shard(pt, index, count))
            continue;
        size_t where[SWEEP_MAX_AXES];
        sweep_point_at(g, pt, where);
        for (size_t k = 0; rc == 0 && k < g->n_schemes; k++, line++) {
            const char *nl = strchr(at, '\n');
            if (nl == NULL) {
                say(why, cap, "%s: line %zu: %s", path, line,
                    *at ? "cut short (no newline)" : "missing: the file ends before the shard's last point");
                rc = -1;
                break;
            }
            char *row = strndup(at, (size_t)(nl - at));
            if (row == NULL) {
                say(why, cap, "out of memory");
                rc = -1;
                break;
            }
            rows[pt * g->n_schemes + k] = row;
            at = nl + 1;
            bool ok = count_fields(row) == n_fields && field_is(row, g->n_axes, tekho_scheme_name(g->schemes[k]));
            for (size_t x = 0; ok && x < g->n_axes; x++) {
                char v[32];
                model_param_format(v, sizeof v, g->axes[x].values[where[x]]);
                ok = field_is(row, x, v);
            }
            if (!ok) {
                say(why, cap, "%s: line %zu is not point %zu's row for %s", path, line, pt + 1,
                    tekho_scheme_name(g->schemes[k]));
                rc = -1;
            }
        }
    }
    if (rc == 0 && *at != '\0') {
        say(why, cap, "%s: line %zu: more rows than the shard's points", path, line);
        rc = -1;
    }
    free(header);
    free(text);
    return rc;
}

/* The index of the column called name in g's CSV, or SIZE_MAX. */
static size_t column(const struct sweep_grid *g, const char *name)
{
    char *header = csv_header_text(g);
    size_t k = SIZE_MAX;
    if (header != NULL) {
        header[strcspn(header, "\n")] = '\0';
        const size_t n = count_fields(header);
        for (k = 0; k < n && !field_is(header, k, name); k++)
            ;
        if (k == n)
            k = SIZE_MAX;
    }
    free(header);
    return k;
}

static double number(const char *row, size_t k, bool *present)
{
    const char *s;
    size_t len;
    *present = k != SIZE_MAX && field(row, k, &s, &len) && len > 0;
    return *present ? strtod(s, NULL) : 0;
}

void sweep_plots(const char *dir, const struct sweep_grid *g, char *const *rows, const char *cmd)
{
    bool any = false;
    for (size_t a = 0; a < g->n_axes; a++)
        any |= g->axes[a].n >= 2;
    if (!any)
        return;
    const bool gnuplot = report_have_tool("gnuplot");
    if (!gnuplot)
        fprintf(stderr, "tekho %s: warning: gnuplot is not installed: no plots (their data is in %s/sweep_*.dat; "
                        "Debian: apt-get install gnuplot-nox)\n",
                cmd, dir);
    /* plots.gp: this sweep's scripts alone (report_gnuplot appends). */
    char gp[4200];
    if (join(gp, sizeof gp, dir, "plots.gp"))
        unlink(gp);
    const size_t c_p99 = column(g, "union_p99_ms"), c_lo = column(g, "union_p99_lo"),
                 c_hi = column(g, "union_p99_hi");
    for (size_t a = 0; a < g->n_axes; a++) {
        if (g->axes[a].n < 2)
            continue;
        const char *name = g->axes[a].param->name;
        char path[4200], file[128];
        snprintf(file, sizeof file, "sweep_%s.dat", name);
        FILE *f = join(path, sizeof path, dir, file) ? fopen(path, "w") : NULL;
        if (f == NULL) {
            fprintf(stderr, "tekho %s: warning: cannot write '%s/%s': %s\n", cmd, dir, file, strerror(errno));
            continue;
        }
        fprintf(f, "# %s", name);
        for (size_t k = 0; k < g->n_schemes; k++) {
            const char *n = tekho_scheme_name(g->schemes[k]);
            fprintf(f, " union_p99_%s lo_%s hi_%s", n, n, n);
        }
        fprintf(f, "\n");
        /* Along this axis, the others at their first value. */
        for (size_t i = 0; i < g->axes[a].n; i++) {
            char v[32];
            model_param_format(v, sizeof v, g->axes[a].values[i]);
            fprintf(f, "%s", v);
            for (size_t k = 0; k < g->n_schemes; k++) {
                const char *row = rows[(i * g->stride[a]) * g->n_schemes + k];
                bool has, has_lo, has_hi;
                const double p99 = number(row, c_p99, &has), lo = number(row, c_lo, &has_lo),
                             hi = number(row, c_hi, &has_hi);
                fprintf(f, " %.3f %.3f %.3f", p99, has_lo && has_hi ? lo : p99, has_lo && has_hi ? hi : p99);
            }
            fprintf(f, "\n");
        }
        fclose(f);
        char script[4096];
        size_t at = (size_t)snprintf(script, sizeof script,
                                     "set terminal pngcairo size 900,540 noenhanced\nset grid\nset key top left\n"
                                     "set output 'sweep_%s.png'\nset title 'p99 interruption (union) against %s, "
                                     "95 %% intervals'\n"
                                     "set xlabel '%s'\nset ylabel 'p99 interruption, union (ms)'\nplot ",
                                     name, name, g->axes[a].param->label);
        for (size_t k = 0; k < g->n_schemes && at < sizeof script; k++)
            at += (size_t)snprintf(script + at, sizeof script - at,
                                   "%s'sweep_%s.dat' using 1:%zu:%zu:%zu with yerrorlines lw 2 title '%s'",
                                   k ? ", " : "", name, 3 * k + 2, 3 * k + 3, 3 * k + 4,
                                   tekho_scheme_name(g->schemes[k]));
        if (at < sizeof script - 2)
            strcat(script, "\n");
        if (gnuplot && !report_gnuplot(dir, script))
            fprintf(stderr, "tekho %s: warning: gnuplot failed on sweep_%s (see %s/plots.gp)\n", cmd, name, dir);
    }
}
