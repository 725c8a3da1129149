/* The daemons' metrics: a registry of counters, gauges and histograms,
 * rendered in the Prometheus text exposition format 0.0.4, and an HTTP
 * endpoint serving it (GET /metrics) from libmicrohttpd run inside the
 * process's own event loop (loop.h): no thread of its own.
 *
 * A family is a name with one HELP text and one TYPE; its series differ by
 * their labels (outcome="completed", outcome="cancelled"). Rendered in the
 * order registered:
 *
 *   # HELP tekho_handovers_total Handovers by outcome.
 *   # TYPE tekho_handovers_total counter
 *   tekho_handovers_total{outcome="completed"} 12
 *   tekho_handovers_total{outcome="cancelled"} 1
 *   # HELP tekho_interruption_ms Handover interruption.
 *   # TYPE tekho_interruption_ms histogram
 *   tekho_interruption_ms_bucket{le="10"} 3
 *   tekho_interruption_ms_bucket{le="50"} 12
 *   tekho_interruption_ms_bucket{le="+Inf"} 12
 *   tekho_interruption_ms_sum 187.5
 *   tekho_interruption_ms_count 12
 *
 * Buckets are cumulative (le: less than or equal). Counters are exact
 * integers; gauges, sums and bounds are doubles written in the shortest
 * form that reads back exactly (NaN, +Inf, -Inf as Prometheus spells them).
 * HELP text escapes backslash and newline; label values backslash, double
 * quote and newline.
 *
 * Updating a series is a few instructions and never fails (the pointer is
 * the registry's and lives as long as it). One thread: the loop's. */
#ifndef TEKHO_DAEMON_METRICS_H
#define TEKHO_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "tekho/error.h"

struct tekho_metrics;
struct tekho_metric;

struct tekho_metric_label {
    const char *name;   /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"; not "le" on a histogram */
    const char *value;  /* any UTF-8 text */
};

TEKHO_NODISCARD tekho_err tekho_metrics_new(struct tekho_metrics **out);
/* Frees the registry and every series (their pointers die with it). */
void tekho_metrics_free(struct tekho_metrics *m);

/* Registers a series of family name ([a-zA-Z_:][a-zA-Z0-9_:]*) with the
 * given labels (n may be 0, labels then NULL). The first series of a name
 * sets its help and type; later ones must be of the same type (histograms:
 * the same bounds) and have other label values. Everything is copied.
 * *out is the series to update. Errors: invalid argument (a bad name or
 * label name, another type, the same labels twice, bounds not finite and
 * strictly increasing or none), no memory. */
TEKHO_NODISCARD tekho_err tekho_metrics_counter(struct tekho_metrics *m, const char *name, const char *help,
                                                const struct tekho_metric_label *labels, size_t n,
                                                struct tekho_metric **out);
TEKHO_NODISCARD tekho_err tekho_metrics_gauge(struct tekho_metrics *m, const char *name, const char *help,
                                              const struct tekho_metric_label *labels, size_t n,
                                              struct tekho_metric **out);
/* bounds: the buckets' upper bounds (le), n_bounds of them; +Inf is added. */
TEKHO_NODISCARD tekho_err tekho_metrics_histogram(struct tekho_metrics *m, const char *name, const char *help,
                                                  const struct tekho_metric_label *labels, size_t n,
                                                  const double *bounds, size_t n_bounds, struct tekho_metric **out);

/* Counter: += 1, += n. (On a series of another type: nothing.) */
void tekho_metric_inc(struct tekho_metric *c);
void tekho_metric_add(struct tekho_metric *c, uint64_t n);
/* Gauge: = v, += v. */
void tekho_metric_set(struct tekho_metric *g, double v);
void tekho_metric_gauge_add(struct tekho_metric *g, double v);
/* Histogram: one observation (NaN: ignored). */
void tekho_metric_observe(struct tekho_metric *h, double v);
/* A counter's value, a histogram's count; a gauge's value truncated. */
uint64_t tekho_metric_count(const struct tekho_metric *s);
/* A gauge's value, a histogram's sum, a counter's value. */
double tekho_metric_value(const struct tekho_metric *s);

/* The exposition text, NUL-terminated, in *out (malloc'd: the caller frees
 * it) and its length in *len (may be NULL). Errors: no memory. */
TEKHO_NODISCARD tekho_err tekho_metrics_render(const struct tekho_metrics *m, char **out, size_t *len);

/* Called by the HTTP endpoint before each scrape is rendered (to refresh
 * gauges that are cheaper to compute on demand); fn NULL: none. */
typedef void (*tekho_metrics_scrape_fn)(struct tekho_metrics *m, void *ctx);
void tekho_metrics_on_scrape(struct tekho_metrics *m, tekho_metrics_scrape_fn fn, void *ctx);

/* ---- the HTTP endpoint ---- */

struct tekho_metrics_http;

/* Listens on addr (IPv4 or IPv6; port 0: one the system picks, see
 * tekho_metrics_http_port) and serves, from loop's callbacks only:
 *   GET or HEAD /metrics  200, Content-Type: text/plain; version=0.0.4
 *   another method        405 (Allow: GET, HEAD)
 *   another path          404
 * libmicrohttpd runs without a thread of its own (MHD_USE_EPOLL): its epoll
 * descriptor is watched by the loop, MHD_run runs when it is readable, and
 * MHD_get_timeout becomes a loop timer. At most 32 connections, each closed
 * after 10 s idle. m and loop must outlive the endpoint. Errors: invalid
 * argument (NULL, an address family other than AF_INET/AF_INET6), I/O
 * (cannot listen: the address is in use or not local), no memory. */
TEKHO_NODISCARD tekho_err tekho_metrics_http_start(struct tekho_loop *loop, struct tekho_metrics *m,
                                                   const struct sockaddr *addr, socklen_t addr_len,
                                                   struct tekho_metrics_http **out);
/* The port it listens on (the one picked when started with port 0). */
uint16_t tekho_metrics_http_port(const struct tekho_metrics_http *h);
/* Scrapes answered with 200 since it started. */
uint64_t tekho_metrics_http_scrapes(const struct tekho_metrics_http *h);
/* Closes every connection and the listening socket, and leaves the loop.
 * NULL: nothing. */
void tekho_metrics_http_stop(struct tekho_metrics_http *h);

#endif
