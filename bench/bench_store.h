/* tekho bench --store: the store benchmark (bench_store.c). */
#ifndef TEKHO_BENCH_STORE_H
#define TEKHO_BENCH_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct bench_store_params {
    const char *url;       /* sqlite:PATH, postgresql://..., key=value */
    const char *key_file;  /* NULL: a fixed bench key (a store made with another key refuses it) */
    size_t n_ms;           /* MSs */
    size_t batch;          /* records per transaction */
    double seconds;        /* measured time */
};

/* Runs it and prints the figures (JSON: store_updates_per_s,
 * commit_p50_ms, commit_p99_ms); returns the exit status. */
int bench_store(const struct bench_store_params *p, bool json);

#endif
