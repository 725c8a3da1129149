/* The daemons' metrics (src/daemon/metrics.h): the exact exposition text
 * of a small registry (HELP/TYPE, labels, cumulative buckets, _sum,
 * _count, +Inf, escaping), the registry's refusals, and the HTTP endpoint
 * on 127.0.0.1:0 inside a real loop: a plain socket client driven by the
 * same loop (no thread, no fork) gets 200 with text/plain; version=0.0.4
 * and exactly the rendered text, 404 elsewhere, 405 for other methods,
 * HEAD without a body; the process has one thread throughout. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "metrics.h"
#include "test_util.h"

static const char WANT[] =
    "# HELP tekho_handovers_total Handovers by outcome.\n"
    "# TYPE tekho_handovers_total counter\n"
    "tekho_handovers_total{outcome=\"completed\"} 3\n"
    "tekho_handovers_total{outcome=\"cancelled\"} 0\n"
    "# HELP tekho_ms_attached Terminals attached.\n"
    "# TYPE tekho_ms_attached gauge\n"
    "tekho_ms_attached 40\n"
    "# HELP tekho_interruption_ms Handover interruption, ms.\n"
    "# TYPE tekho_interruption_ms histogram\n"
    "tekho_interruption_ms_bucket{scheme=\"counter\",le=\"1\"} 2\n"
    "tekho_interruption_ms_bucket{scheme=\"counter\",le=\"2.5\"} 2\n"
    "tekho_interruption_ms_bucket{scheme=\"counter\",le=\"10\"} 4\n"
    "tekho_interruption_ms_bucket{scheme=\"counter\",le=\"+Inf\"} 5\n"
    "tekho_interruption_ms_sum{scheme=\"counter\"} 118.5\n"
    "tekho_interruption_ms_count{scheme=\"counter\"} 5\n"
    "# HELP tekho_frame_late_us Frame timer lateness, us.\n"
    "# TYPE tekho_frame_late_us histogram\n"
    "tekho_frame_late_us_bucket{le=\"100\"} 0\n"
    "tekho_frame_late_us_bucket{le=\"1000\"} 0\n"
    "tekho_frame_late_us_bucket{le=\"+Inf\"} 0\n"
    "tekho_frame_late_us_sum 0\n"
    "tekho_frame_late_us_count 0\n"
    "# HELP tekho_odd Help with a \\\\ backslash\\nand a newline.\n"
    "# TYPE tekho_odd gauge\n"
    "tekho_odd{peer=\"a \\\"quoted\\\" \\\\ name\\n\",site=\"x\"} NaN\n"
    "tekho_odd{peer=\"b\",site=\"x\"} -Inf\n"
    "tekho_odd{peer=\"c\",site=\"x\"} 0.1\n";

struct registry {
    struct tekho_metrics *m;
    struct tekho_metric *completed, *cancelled, *attached, *interruption, *late, *odd[3];
};

static void registry_make(struct registry *r)
{
    memset(r, 0, sizeof *r);
    CHECK_ERR(tekho_metrics_new(&r->m), TEKHO_OK);
    const struct tekho_metric_label done = {"outcome", "completed"}, cancel = {"outcome", "cancelled"};
    CHECK_ERR(tekho_metrics_counter(r->m, "tekho_handovers_total", "Handovers by outcome.", &done, 1, &r->completed),
              TEKHO_OK);
    CHECK_ERR(tekho_metrics_counter(r->m, "tekho_handovers_total", "ignored: the first help is the family's", &cancel,
                                    1, &r->cancelled),
              TEKHO_OK);
    CHECK_ERR(tekho_metrics_gauge(r->m, "tekho_ms_attached", "Terminals attached.", NULL, 0, &r->attached), TEKHO_OK);
    const double bounds[] = {1, 2.5, 10};
    const struct tekho_metric_label scheme = {"scheme", "counter"};
    CHECK_ERR(tekho_metrics_histogram(r->m, "tekho_interruption_ms", "Handover interruption, ms.", &scheme, 1, bounds,
                                      3, &r->interruption),
              TEKHO_OK);
    const double late_bounds[] = {100, 1000};
    CHECK_ERR(tekho_metrics_histogram(r->m, "tekho_frame_late_us", "Frame timer lateness, us.", NULL, 0, late_bounds,
                                      2, &r->late),
              TEKHO_OK);
    const struct tekho_metric_label odd[3][2] = {{{"peer", "a \"quoted\" \\ name\n"}, {"site", "x"}},
                                                 {{"peer", "b"}, {"site", "x"}},
                                                 {{"peer", "c"}, {"site", "x"}}};
    for (int i = 0; i < 3; i++)
        CHECK_ERR(tekho_metrics_gauge(r->m, "tekho_odd", "Help with a \\ backslash\nand a newline.", odd[i], 2,
                                      &r->odd[i]),
                  TEKHO_OK);
    tekho_metric_inc(r->completed);
    tekho_metric_add(r->completed, 2);
    tekho_metric_set(r->attached, 38);
    tekho_metric_gauge_add(r->attached, 2);
    /* 0.5 and 1 (le is inclusive) in le=1; 7 and 10 in le=10; 100 only in +Inf */
    const double obs[] = {0.5, 1, 7, 10, 100};
    for (size_t i = 0; i < 5; i++)
        tekho_metric_observe(r->interruption, obs[i]);
    tekho_metric_observe(r->interruption, NAN); /* ignored */
    tekho_metric_set(r->odd[0], NAN);
    tekho_metric_set(r->odd[1], -INFINITY);
    tekho_metric_set(r->odd[2], 0.1);
    /* updates of the wrong kind do nothing */
    tekho_metric_inc(r->attached);
    tekho_metric_set(r->completed, 99);
    tekho_metric_observe(r->completed, 1);
}

static void test_render(void)
{
    struct registry r;
    registry_make(&r);
    char *text = NULL;
    size_t len = 0;
    CHECK_ERR(tekho_metrics_render(r.m, &text, &len), TEKHO_OK);
    if (text != NULL && strcmp(text, WANT) != 0)
        fprintf(stderr, "rendered:\n%s\nwanted:\n%s\n", text, WANT);
    CHECK(text != NULL && strcmp(text, WANT) == 0);
    CHECK(len == strlen(WANT));
    free(text);
    CHECK(tekho_metric_count(r.completed) == 3);
    CHECK(tekho_metric_count(r.interruption) == 5);
    CHECK(tekho_metric_value(r.interruption) == 118.5);
    CHECK(tekho_metric_value(r.attached) == 40);
    tekho_metrics_free(r.m);
}

static void test_refusals(void)
{
    struct tekho_metrics *m = NULL;
    CHECK_ERR(tekho_metrics_new(&m), TEKHO_OK);
    struct tekho_metric *s = NULL;
    const struct tekho_metric_label a = {"outcome", "x"}, dup[2] = {{"k", "1"}, {"k", "2"}};
    const struct tekho_metric_label le = {"le", "1"}, reserved = {"__name__", "x"}, bad = {"0k", "x"};
    const double bounds[] = {1, 2}, unordered[] = {2, 1}, inf[] = {1, INFINITY};
    CHECK_ERR(tekho_metrics_counter(m, "1abc", "h", NULL, 0, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_counter(m, "a-b", "h", NULL, 0, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_counter(m, "", "h", NULL, 0, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_counter(m, "ok:name_1", "h", &a, 1, &s), TEKHO_OK);
    CHECK_ERR(tekho_metrics_counter(m, "ok:name_1", "h", &a, 1, &s), TEKHO_ERR_INVALID_ARGUMENT); /* same labels */
    CHECK_ERR(tekho_metrics_gauge(m, "ok:name_1", "h", NULL, 0, &s), TEKHO_ERR_INVALID_ARGUMENT);  /* other type */
    CHECK_ERR(tekho_metrics_counter(m, "c", "h", dup, 2, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_counter(m, "c", "h", &reserved, 1, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_counter(m, "c", "h", &bad, 1, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", &le, 1, bounds, 2, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", NULL, 0, unordered, 2, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", NULL, 0, inf, 2, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", NULL, 0, bounds, 0, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", &a, 1, bounds, 2, &s), TEKHO_OK);
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", NULL, 0, bounds, 1, &s), TEKHO_ERR_INVALID_ARGUMENT); /* other bounds */
    CHECK_ERR(tekho_metrics_histogram(m, "h", "h", NULL, 0, bounds, 2, &s), TEKHO_OK);
    /* refused registrations leave nothing behind */
    char *text = NULL;
    CHECK_ERR(tekho_metrics_render(m, &text, NULL), TEKHO_OK);
    CHECK(text != NULL && strstr(text, "# TYPE c ") == NULL && strstr(text, "# TYPE ok:name_1 counter\n") != NULL);
    CHECK(text != NULL && strstr(text, "h_bucket{le=\"+Inf\"} 0\n") != NULL &&
          strstr(text, "h_bucket{outcome=\"x\",le=\"2\"} 0\n") != NULL);
    free(text);
    tekho_metrics_free(m);
}

/* ---- HTTP, a client on the same loop ---- */

struct client {
    int fd;
    const char *req;
    size_t sent;
    char resp[65536];
    size_t got;
    bool done;
};

static void on_client(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    struct client *c = ctx;
    if ((events & EPOLLOUT) && c->sent < strlen(c->req)) {
        const ssize_t n = send(fd, c->req + c->sent, strlen(c->req) - c->sent, MSG_NOSIGNAL);
        if (n > 0)
            c->sent += (size_t)n;
        if (c->sent == strlen(c->req))
            CHECK_ERR(tekho_loop_mod_fd(loop, fd, EPOLLIN), TEKHO_OK);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        const ssize_t n = recv(fd, c->resp + c->got, sizeof c->resp - 1 - c->got, 0);
        if (n > 0) {
            c->got += (size_t)n;
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        c->done = true;
        CHECK_ERR(tekho_loop_del_fd(loop, fd), TEKHO_OK);
        tekho_loop_stop(loop);
    }
}

static void on_timeout(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    (void)ctx;
    tekho_loop_stop(loop);
}

/* Sends req to 127.0.0.1:port from a non-blocking socket the loop drives,
 * reads until the server closes; the response, or NULL. */
static const char *fetch(struct tekho_loop *loop, uint16_t port, const char *req, struct client *c)
{
    memset(c, 0, sizeof *c);
    c->req = req;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(c->fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = connect(c->fd, (const struct sockaddr *)&sin, sizeof sin);
    CHECK(rc == 0 || errno == EINPROGRESS);
    CHECK_ERR(tekho_loop_add_fd(loop, c->fd, EPOLLOUT, on_client, c), TEKHO_OK);
    uint64_t timer = 0;
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop) + 5000000, on_timeout, NULL, &timer), TEKHO_OK);
    CHECK_ERR(tekho_loop_run(loop), TEKHO_OK);
    tekho_loop_timer_cancel(loop, timer);
    if (!c->done) {
        CHECK_ERR(tekho_loop_del_fd(loop, c->fd), TEKHO_OK);
        fprintf(stderr, "no response to %s", req);
    }
    CHECK(c->done);
    close(c->fd);
    c->resp[c->got] = '\0';
    return c->done ? c->resp : NULL;
}

/* The status code, a header's value (into value) and the body of a response. */
static int status_of(const char *resp)
{
    int code = 0;
    return resp && sscanf(resp, "HTTP/1.%*d %d", &code) == 1 ? code : 0;
}

static bool header(const char *resp, const char *name, char *value, size_t cap)
{
    const char *end = strstr(resp, "\r\n\r\n");
    for (const char *p = strstr(resp, "\r\n"); p != NULL && p < end; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        const size_t n = strlen(name);
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(value, cap, "%.*s", (int)(e - v), v);
            return true;
        }
    }
    return false;
}

static const char *body_of(const char *resp)
{
    const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
    return b ? b + 4 : NULL;
}

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void on_scrape(struct tekho_metrics *m, void *ctx)
{
    (void)m;
    struct registry *r = ctx;
    tekho_metric_gauge_add(r->attached, 1); /* visible in this very scrape */
}

static void test_http(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct registry r;
    registry_make(&r);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct tekho_metrics_http *h = NULL;
    CHECK_ERR(tekho_metrics_http_start(loop, r.m, (const struct sockaddr *)&sin, sizeof sin, &h), TEKHO_OK);
    const uint16_t port = tekho_metrics_http_port(h);
    CHECK(port != 0);
    CHECK(threads() == 1);
    static struct client c;

    const char *resp = fetch(loop, port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 200);
    char value[256] = "";
    CHECK(resp && header(resp, "Content-Type", value, sizeof value) &&
          strcmp(value, "text/plain; version=0.0.4") == 0);
    CHECK(resp && header(resp, "Content-Length", value, sizeof value) && (size_t)atol(value) == strlen(WANT));
    if (resp && body_of(resp) && strcmp(body_of(resp), WANT) != 0)
        fprintf(stderr, "body:\n%s", body_of(resp));
    CHECK(body_of(resp) != NULL && strcmp(body_of(resp), WANT) == 0);
    CHECK(tekho_metrics_http_scrapes(h) == 1);

    /* the scrape hook runs before rendering; HTTP/1.0 works too */
    tekho_metrics_on_scrape(r.m, on_scrape, &r);
    resp = fetch(loop, port, "GET /metrics HTTP/1.0\r\n\r\n", &c);
    CHECK(status_of(resp) == 200);
    CHECK(body_of(resp) != NULL && strstr(body_of(resp), "\ntekho_ms_attached 41\n") != NULL);

    resp = fetch(loop, port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 404);
    resp = fetch(loop, port, "GET /metrics/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 404);
    resp = fetch(loop, port, "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
                 &c);
    CHECK(status_of(resp) == 405);
    CHECK(resp && header(resp, "Allow", value, sizeof value) && strcmp(value, "GET, HEAD") == 0);
    resp = fetch(loop, port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 405);
    resp = fetch(loop, port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 200);
    CHECK(body_of(resp) != NULL && body_of(resp)[0] == '\0');
    /* garbage is answered (400) or closed, and the endpoint keeps serving */
    resp = fetch(loop, port, "NONSENSE\r\n\r\n", &c);
    CHECK(resp != NULL);
    resp = fetch(loop, port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &c);
    CHECK(status_of(resp) == 200);
    CHECK(tekho_metrics_http_scrapes(h) == 4); /* the three GETs and the HEAD */
    CHECK(threads() == 1);

    /* the port is taken: a second endpoint on it fails */
    struct tekho_metrics_http *h2 = NULL;
    struct sockaddr_in same = sin;
    same.sin_port = htons(port);
    CHECK_ERR(tekho_metrics_http_start(loop, r.m, (const struct sockaddr *)&same, sizeof same, &h2), TEKHO_ERR_IO);
    CHECK(h2 == NULL);
    struct sockaddr bad = {.sa_family = AF_UNIX};
    CHECK_ERR(tekho_metrics_http_start(loop, r.m, &bad, sizeof bad, &h2), TEKHO_ERR_INVALID_ARGUMENT);

    tekho_metrics_http_stop(h);
    /* stopped: nothing listens any more */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(s >= 0 && connect(s, (const struct sockaddr *)&same, sizeof same) != 0 && errno == ECONNREFUSED);
    close(s);
    tekho_metrics_free(r.m);
    tekho_loop_free(loop);
}

/* IPv6 loopback, where the host has it. */
static void test_http_ipv6(void)
{
    int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    const bool have = probe >= 0 && bind(probe, (const struct sockaddr *)&sin6, sizeof sin6) == 0;
    if (probe >= 0)
        close(probe);
    if (!have) {
        fprintf(stderr, "test_metrics: no IPv6 loopback here, IPv6 endpoint not tested\n");
        return;
    }
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct tekho_metrics *m = NULL;
    CHECK_ERR(tekho_metrics_new(&m), TEKHO_OK);
    struct tekho_metrics_http *h = NULL;
    CHECK_ERR(tekho_metrics_http_start(loop, m, (const struct sockaddr *)&sin6, sizeof sin6, &h), TEKHO_OK);
    CHECK(tekho_metrics_http_port(h) != 0);
    tekho_metrics_http_stop(h);
    tekho_metrics_free(m);
    tekho_loop_free(loop);
}

int main(void)
{
    test_render();
    test_refusals();
    test_http();
    test_http_ipv6();
    return test_summary("test_metrics");
}
