/* Prometheus text exposition 0.0.4 and GET /metrics through libmicrohttpd
 * inside the loop (metrics.h). */
#include "metrics.h"

#include <math.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };
static const char *const KIND_NAMES[] = {"counter", "gauge", "histogram"};

struct tekho_metric {
    enum kind kind;
    char *labels;          /* rendered: name="value",name="value" (escaped), "" when none */
    uint64_t count;        /* counter value; histogram observations */
    double value;          /* gauge value; histogram sum */
    uint64_t *buckets;     /* histogram: per bucket (not cumulative), n_bounds + 1 with +Inf */
    const struct family *family;
};

struct family {
    char *name, *help;
    enum kind kind;
    double *bounds;
    size_t n_bounds;
    struct tekho_metric **series;
    size_t n_series, cap_series;
};

struct tekho_metrics {
    struct family **families;
    size_t n_families, cap_families;
    tekho_metrics_scrape_fn on_scrape;
    void *scrape_ctx;
};

tekho_err tekho_metrics_new(struct tekho_metrics **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? TEKHO_OK : TEKHO_ERR_NO_MEMORY;
}

static void series_free(struct tekho_metric *s)
{
    if (s == NULL)
        return;
    free(s->labels);
    free(s->buckets);
    free(s);
}

static void family_free(struct family *f)
{
    if (f == NULL)
        return;
    for (size_t k = 0; k < f->n_series; k++)
        series_free(f->series[k]);
    free(f->series);
    free(f->name);
    free(f->help);
    free(f->bounds);
    free(f);
}

void tekho_metrics_free(struct tekho_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t k = 0; k < m->n_families; k++)
        family_free(m->families[k]);
    free(m->families);
    free(m);
}

void tekho_metrics_on_scrape(struct tekho_metrics *m, tekho_metrics_scrape_fn fn, void *ctx)
{
    m->on_scrape = fn;
    m->scrape_ctx = ctx;
}

/* ---- text building ---- */

struct text {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->cap - t->len < n + 1) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap - t->len < n + 1)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (b == NULL) {
            t->failed = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* s with backslash and newline escaped, and the double quote too if quote. */
static void put_escaped(struct text *t, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(t, "\\\\");
        else if (*s == '\n')
            puts_(t, "\\n");
        else if (quote && *s == '"')
            puts_(t, "\\\"");
        else
            put(t, s, 1);
    }
}

/* The shortest of %.15g .. %.17g that reads back as v; NaN, +Inf, -Inf. */
static void put_double(struct text *t, double v)
{
    char buf[40];
    if (isnan(v)) {
        puts_(t, "NaN");
        return;
    }
    if (isinf(v)) {
        puts_(t, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    puts_(t, buf);
}

static void put_u64(struct text *t, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    puts_(t, buf);
}

/* ---- registration ---- */

static bool valid_name(const char *s, bool colon)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        const char c = *p;
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
        if (!alpha && !(p > s && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static struct family *find_family(const struct tekho_metrics *m, const char *name)
{
    for (size_t k = 0; k < m->n_families; k++)
        if (strcmp(m->families[k]->name, name) == 0)
            return m->families[k];
    return NULL;
}

static char *dup_str(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static tekho_err add_series(struct tekho_metrics *m, enum kind kind, const char *name, const char *help,
                            const struct tekho_metric_label *labels, size_t n, const double *bounds, size_t n_bounds,
                            struct tekho_metric **out)
{
    if (m == NULL || out == NULL || !valid_name(name, true) || help == NULL || (n > 0 && labels == NULL))
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!valid_name(labels[i].name, false) || strncmp(labels[i].name, "__", 2) == 0 || labels[i].value == NULL ||
            (kind == KIND_HISTOGRAM && strcmp(labels[i].name, "le") == 0))
            return TEKHO_ERR_INVALID_ARGUMENT;
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i].name, labels[j].name) == 0)
                return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (kind == KIND_HISTOGRAM) {
        if (bounds == NULL || n_bounds == 0)
            return TEKHO_ERR_INVALID_ARGUMENT;
        for (size_t i = 0; i < n_bounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
                return TEKHO_ERR_INVALID_ARGUMENT;
    }
    /* the labels as rendered: the series' identity within its family */
    struct text lt = {0};
    puts_(&lt, "");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            puts_(&lt, ",");
        puts_(&lt, labels[i].name);
        puts_(&lt, "=\"");
        put_escaped(&lt, labels[i].value, true);
        puts_(&lt, "\"");
    }
    if (lt.failed)
        return TEKHO_ERR_NO_MEMORY;
    struct family *f = find_family(m, name);
    tekho_err err = TEKHO_OK;
    if (f != NULL) {
        if (f->kind != kind ||
            (kind == KIND_HISTOGRAM &&
             (f->n_bounds != n_bounds || memcmp(f->bounds, bounds, n_bounds * sizeof *bounds) != 0)))
            err = TEKHO_ERR_INVALID_ARGUMENT;
        for (size_t k = 0; err == TEKHO_OK && k < f->n_series; k++)
            if (strcmp(f->series[k]->labels, lt.buf) == 0)
                err = TEKHO_ERR_INVALID_ARGUMENT;
        if (err != TEKHO_OK) {
            free(lt.buf);
            return err;
        }
    }
    struct tekho_metric *s = calloc(1, sizeof *s);
    if (s == NULL) {
        free(lt.buf);
        return TEKHO_ERR_NO_MEMORY;
    }
    s->kind = kind;
    s->labels = lt.buf;
    if (kind == KIND_HISTOGRAM && (s->buckets = calloc(n_bounds + 1, sizeof *s->buckets)) == NULL) {
        series_free(s);
        return TEKHO_ERR_NO_MEMORY;
    }
    bool new_family = false;
    if (f == NULL) {
        if (m->n_families == m->cap_families) {
            const size_t cap = m->cap_families ? 2 * m->cap_families : 16;
            struct family **fs = realloc(m->families, cap * sizeof *fs);
            if (fs == NULL) {
                series_free(s);
                return TEKHO_ERR_NO_MEMORY;
            }
            m->families = fs;
            m->cap_families = cap;
        }
        f = calloc(1, sizeof *f);
        if (f == NULL || (f->name = dup_str(name)) == NULL || (f->help = dup_str(help)) == NULL ||
            (kind == KIND_HISTOGRAM && (f->bounds = malloc(n_bounds * sizeof *f->bounds)) == NULL)) {
            family_free(f);
            series_free(s);
            return TEKHO_ERR_NO_MEMORY;
        }
        f->kind = kind;
        if (kind == KIND_HISTOGRAM) {
            memcpy(f->bounds, bounds, n_bounds * sizeof *bounds);
            f->n_bounds = n_bounds;
        }
        new_family = true;
    }
    if (f->n_series == f->cap_series) {
        const size_t cap = f->cap_series ? 2 * f->cap_series : 4;
        struct tekho_metric **ss = realloc(f->series, cap * sizeof *ss);
        if (ss == NULL) {
            if (new_family)
                family_free(f);
            series_free(s);
            return TEKHO_ERR_NO_MEMORY;
        }
        f->series = ss;
        f->cap_series = cap;
    }
    s->family = f;
    f->series[f->n_series++] = s;
    if (new_family)
        m->families[m->n_families++] = f;
    *out = s;
    return TEKHO_OK;
}

tekho_err tekho_metrics_counter(struct tekho_metrics *m, const char *name, const char *help,
                                const struct tekho_metric_label *labels, size_t n, struct tekho_metric **out)
{
    return add_series(m, KIND_COUNTER, name, help, labels, n, NULL, 0, out);
}

tekho_err tekho_metrics_gauge(struct tekho_metrics *m, const char *name, const char *help,
                              const struct tekho_metric_label *labels, size_t n, struct tekho_metric **out)
{
    return add_series(m, KIND_GAUGE, name, help, labels, n, NULL, 0, out);
}

tekho_err tekho_metrics_histogram(struct tekho_metrics *m, const char *name, const char *help,
                                  const struct tekho_metric_label *labels, size_t n, const double *bounds,
                                  size_t n_bounds, struct tekho_metric **out)
{
    return add_series(m, KIND_HISTOGRAM, name, help, labels, n, bounds, n_bounds, out);
}

/* ---- updates ---- */

void tekho_metric_inc(struct tekho_metric *c)
{
    tekho_metric_add(c, 1);
}

void tekho_metric_add(struct tekho_metric *c, uint64_t n)
{
    if (c != NULL && c->kind == KIND_COUNTER)
        c->count += n;
}

void tekho_metric_set(struct tekho_metric *g, double v)
{
    if (g != NULL && g->kind == KIND_GAUGE)
        g->value = v;
}

void tekho_metric_gauge_add(struct tekho_metric *g, double v)
{
    if (g != NULL && g->kind == KIND_GAUGE)
        g->value += v;
}

void tekho_metric_observe(struct tekho_metric *h, double v)
{
    if (h == NULL || h->kind != KIND_HISTOGRAM || isnan(v))
        return;
    /* the first bucket whose bound is >= v: binary search */
    const double *b = h->family->bounds;
    size_t lo = 0, hi = h->family->n_bounds; /* answer in [lo, hi]; hi: +Inf */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (v <= b[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    h->buckets[lo]++;
    h->count++;
    h->value += v;
}

uint64_t tekho_metric_count(const struct tekho_metric *s)
{
    if (s == NULL)
        return 0;
    if (s->kind == KIND_GAUGE)
        return s->value > 0 && s->value < 18446744073709551616.0 ? (uint64_t)s->value : 0;
    return s->count;
}

double tekho_metric_value(const struct tekho_metric *s)
{
    if (s == NULL)
        return 0;
    return s->kind == KIND_COUNTER ? (double)s->count : s->value;
}

/* ---- rendering ---- */

/* name{labels} or name{labels,extra} or name, then a space. */
static void put_series_name(struct text *t, const char *name, const char *suffix, const char *labels,
                            const char *extra)
{
    puts_(t, name);
    puts_(t, suffix);
    const bool any = labels[0] != '\0' || extra != NULL;
    if (any) {
        puts_(t, "{");
        puts_(t, labels);
        if (extra != NULL) {
            if (labels[0] != '\0')
                puts_(t, ",");
            puts_(t, extra);
        }
        puts_(t, "}");
    }
    puts_(t, " ");
}

tekho_err tekho_metrics_render(const struct tekho_metrics *m, char **out, size_t *len)
{
    if (m == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct text t = {0};
    puts_(&t, "");
    for (size_t k = 0; k < m->n_families; k++) {
        const struct family *f = m->families[k];
        puts_(&t, "# HELP ");
        puts_(&t, f->name);
        puts_(&t, " ");
        put_escaped(&t, f->help, false);
        puts_(&t, "\n# TYPE ");
        puts_(&t, f->name);
        puts_(&t, " ");
        puts_(&t, KIND_NAMES[f->kind]);
        puts_(&t, "\n");
        for (size_t j = 0; j < f->n_series; j++) {
            const struct tekho_metric *s = f->series[j];
            if (f->kind == KIND_COUNTER) {
                put_series_name(&t, f->name, "", s->labels, NULL);
                put_u64(&t, s->count);
            } else if (f->kind == KIND_GAUGE) {
                put_series_name(&t, f->name, "", s->labels, NULL);
                put_double(&t, s->value);
            } else {
                uint64_t cumulative = 0;
                for (size_t b = 0; b <= f->n_bounds; b++) {
                    cumulative += s->buckets[b];
                    struct text le = {0};
                    puts_(&le, "le=\"");
                    if (b < f->n_bounds)
                        put_double(&le, f->bounds[b]);
                    else
                        puts_(&le, "+Inf");
                    puts_(&le, "\"");
                    if (le.failed)
                        t.failed = true;
                    else
                        put_series_name(&t, f->name, "_bucket", s->labels, le.buf);
                    free(le.buf);
                    put_u64(&t, cumulative);
                    puts_(&t, "\n");
                }
                put_series_name(&t, f->name, "_sum", s->labels, NULL);
                put_double(&t, s->value);
                puts_(&t, "\n");
                put_series_name(&t, f->name, "_count", s->labels, NULL);
                put_u64(&t, s->count);
            }
            puts_(&t, "\n");
        }
    }
    if (t.failed) {
        free(t.buf);
        return TEKHO_ERR_NO_MEMORY;
    }
    *out = t.buf;
    if (len != NULL)
        *len = t.len;
    return TEKHO_OK;
}

/* ---- HTTP ---- */

struct tekho_metrics_http {
    struct tekho_loop *loop;
    struct tekho_metrics *m;
    struct MHD_Daemon *d;
    int epfd;
    bool watching;
    uint64_t timer;        /* 0: none */
    uint16_t port;
    uint64_t scrapes;
};

static const char CONTENT_TYPE[] = "text/plain; version=0.0.4";

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, void *body, size_t len,
                               MHD_ContentReaderFreeCallback free_body, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free_body);
    if (r == NULL) {
        if (free_body != NULL)
            free_body(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                                 status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain");
    if (ok == MHD_YES && allow != NULL)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)req_cls;
    struct tekho_metrics_http *h = cls;
    static const char not_found[] = "not found: the metrics are at /metrics\n";
    static const char not_allowed[] = "method not allowed: GET /metrics\n";
    /* A body, if any, is not read: the answer does not depend on it. */
    *upload_data_size = 0;
    if (strcmp(url, "/metrics") != 0)
        return respond(c, MHD_HTTP_NOT_FOUND, (void *)(uintptr_t)not_found, sizeof not_found - 1, NULL, NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, (void *)(uintptr_t)not_allowed, sizeof not_allowed - 1, NULL,
                       "GET, HEAD"); /* no free callback: MHD only reads a body it does not own */
    if (h->m->on_scrape != NULL)
        h->m->on_scrape(h->m, h->m->scrape_ctx);
    char *text = NULL;
    size_t len = 0;
    if (tekho_metrics_render(h->m, &text, &len) != TEKHO_OK)
        return MHD_NO; /* out of memory: the connection is closed */
    h->scrapes++;
    return respond(c, MHD_HTTP_OK, text, len, free, NULL);
}

static void schedule(struct tekho_metrics_http *h);

static void on_mhd_timer(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    (void)late_us;
    struct tekho_metrics_http *h = ctx;
    h->timer = 0;
    (void)MHD_run(h->d);
    schedule(h);
}

static void on_mhd_fd(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct tekho_metrics_http *h = ctx;
    (void)MHD_run(h->d);
    schedule(h);
}

/* MHD's next deadline (connection timeouts, or 0: work it has already
 * taken in and not finished) as a loop timer. */
static void schedule(struct tekho_metrics_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    const bool want = MHD_get_timeout(h->d, &ms) == MHD_YES;
    const uint64_t at = want ? tekho_loop_now_us(h->loop) + (uint64_t)ms * 1000u : 0;
    uint64_t current = 0;
    if (h->timer != 0 && tekho_loop_timer_pending(h->loop, h->timer, &current) && want && current <= at)
        return; /* already due no later */
    if (h->timer != 0)
        tekho_loop_timer_cancel(h->loop, h->timer);
    h->timer = 0;
    if (want && tekho_loop_timer_at(h->loop, at, on_mhd_timer, h, &h->timer) != TEKHO_OK)
        h->timer = 0; /* out of memory: the next request's readiness runs MHD again */
}

tekho_err tekho_metrics_http_start(struct tekho_loop *loop, struct tekho_metrics *m, const struct sockaddr *addr,
                                   socklen_t addr_len, struct tekho_metrics_http **out)
{
    if (loop == NULL || m == NULL || addr == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    unsigned flags = MHD_USE_EPOLL; /* no internal thread: MHD_run from the loop */
    uint16_t port;
    if (addr->sa_family == AF_INET && addr_len >= sizeof(struct sockaddr_in)) {
        port = ntohs(((const struct sockaddr_in *)(const void *)addr)->sin_port);
    } else if (addr->sa_family == AF_INET6 && addr_len >= sizeof(struct sockaddr_in6)) {
        port = ntohs(((const struct sockaddr_in6 *)(const void *)addr)->sin6_port);
        flags |= MHD_USE_IPv6;
    } else {
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    struct tekho_metrics_http *h = calloc(1, sizeof *h);
    if (h == NULL)
        return TEKHO_ERR_NO_MEMORY;
    h->loop = loop;
    h->m = m;
    h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    if (h->d == NULL) {
        free(h);
        return TEKHO_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    tekho_err err = info != NULL && bound != NULL ? TEKHO_OK : TEKHO_ERR_IO;
    if (err == TEKHO_OK) {
        h->epfd = info->epoll_fd;
        h->port = bound->port;
        err = tekho_loop_add_fd(loop, h->epfd, EPOLLIN, on_mhd_fd, h);
    }
    if (err != TEKHO_OK) {
        MHD_stop_daemon(h->d);
        free(h);
        return err;
    }
    h->watching = true;
    schedule(h);
    *out = h;
    return TEKHO_OK;
}

uint16_t tekho_metrics_http_port(const struct tekho_metrics_http *h)
{
    return h ? h->port : 0;
}

uint64_t tekho_metrics_http_scrapes(const struct tekho_metrics_http *h)
{
    return h ? h->scrapes : 0;
}

void tekho_metrics_http_stop(struct tekho_metrics_http *h)
{
    if (h == NULL)
        return;
    if (h->timer != 0)
        tekho_loop_timer_cancel(h->loop, h->timer);
    if (h->watching) {
        const tekho_err err = tekho_loop_del_fd(h->loop, h->epfd); /* cannot fail: it is watched */
        (void)err;
    }
    MHD_stop_daemon(h->d);
    free(h);
}
