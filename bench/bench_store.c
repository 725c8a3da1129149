/* tekho bench --store URL: durable N updates per second through a store
 * (include/tekho/store.h), with group commit: every transaction advances N
 * for a batch of distinct MSs, as an Authenticator's loop iteration would.
 * Reports the updates made durable per second and the commit latency
 * (one transaction: p50, p99). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bench_store.h"
#include "tekho/store.h"
#include "tekho/tekho.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The bench's own key when none is given: fixed, so a bench store can be
 * measured again; a production store (made with its own key) refuses it. */
static int bench_key(char *path, size_t cap, char *dir, size_t dir_cap)
{
    snprintf(dir, dir_cap, "/tmp/tekho-bench-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, cap, "%s/bench.key", dir);
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* "bench-key-not-for-production----" */
    const int ok = chmod(path, 0600) == 0 &&
                   fputs("62656e63682d6b65792d6e6f742d666f722d70726f64756374696f6e2d2d2d2d\n", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int bench_store(const struct bench_store_params *p, bool json)
{
    char key_path[300], dir[64] = "";
    const char *key = p->key_file;
    if (key == NULL) {
        if (bench_key(key_path, sizeof key_path, dir, sizeof dir) != 0) {
            fprintf(stderr, "tekho bench: cannot write a temporary key file\n");
            return 1;
        }
        key = key_path;
    }
    struct tekho_store *s = NULL;
    char msg[256];
    tekho_err err = tekho_store_open_verbose(p->url, key, &s, msg, sizeof msg);
    if (dir[0] != '\0') {
        unlink(key_path);
        rmdir(dir);
    }
    if (err != TEKHO_OK) {
        fprintf(stderr, "tekho bench: %s: %s%s%s\n", p->url, tekho_strerror(err), msg[0] ? ": " : "", msg);
        return 1;
    }
    const size_t n_ms = p->n_ms, batch = p->batch < n_ms ? p->batch : n_ms;
    struct tekho_auth_record *recs = calloc(batch, sizeof *recs);
    tekho_err *res = calloc(batch, sizeof *res);
    uint16_t *n = calloc(n_ms, sizeof *n);
    uint8_t (*pmk_id)[TEKHO_PMK_ID_LEN] = calloc(n_ms, sizeof *pmk_id);
    size_t cap_lat = 1024, n_lat = 0;
    double *lat = malloc(cap_lat * sizeof *lat);
    int rc = 0;
    if (recs == NULL || res == NULL || n == NULL || pmk_id == NULL || lat == NULL) {
        fprintf(stderr, "tekho bench: out of memory\n");
        rc = 1;
    }
    /* Every MS gets a PMK (N = 1): not measured. */
    for (size_t base = 0; rc == 0 && base < n_ms; base += batch) {
        const size_t k = n_ms - base < batch ? n_ms - base : batch;
        for (size_t i = 0; i < k; i++) {
            struct tekho_auth_record *r = &recs[i];
            memset(r, 0, sizeof *r);
            r->kind = TEKHO_RECORD_NEW_PMK;
            tekho_ms_mac_of_index((uint32_t)(base + i), r->ms_mac);
            r->n = 1;
            r->pmk_lifetime_s = 3600;
            for (int j = 0; j < 64; j++)
                r->msk[j] = (uint8_t)((base + i) * 31 + (size_t)j);
            if (tekho_pmk_id(r->msk, r->pmk_id) != TEKHO_OK)
                rc = 1;
            memcpy(pmk_id[base + i], r->pmk_id, TEKHO_PMK_ID_LEN);
            n[base + i] = 1;
        }
        if (rc == 0 && (err = tekho_store_persist(s, recs, k, res)) != TEKHO_OK) {
            fprintf(stderr, "tekho bench: seeding: %s: %s\n", tekho_strerror(err), tekho_store_last_error(s));
            rc = 1;
        }
        for (size_t i = 0; i < k; i++)
            tekho_auth_record_wipe(&recs[i]);
    }
    /* The measured loop: batches of ADVANCEs over the MSs, round robin. */
    unsigned long long updates = 0, refused = 0, commits = 0;
    size_t next = 0;
    const double start = now_s();
    double elapsed = 0;
    while (rc == 0 && elapsed < p->seconds) {
        for (size_t i = 0; i < batch; i++) {
            const size_t ms = (next + i) % n_ms;
            struct tekho_auth_record *r = &recs[i];
            memset(r, 0, sizeof *r);
            r->kind = TEKHO_RECORD_ADVANCE;
            tekho_ms_mac_of_index((uint32_t)ms, r->ms_mac);
            memcpy(r->pmk_id, pmk_id[ms], TEKHO_PMK_ID_LEN);
            r->n = (uint16_t)(n[ms] + 1);
            r->pmk_lifetime_s = 3600;
        }
        const double t0 = now_s();
        err = tekho_store_persist(s, recs, batch, res);
        const double t1 = now_s();
        if (err != TEKHO_OK) {
            fprintf(stderr, "tekho bench: %s: %s\n", tekho_strerror(err), tekho_store_last_error(s));
            rc = 1;
            break;
        }
        for (size_t i = 0; i < batch; i++) {
            const size_t ms = (next + i) % n_ms;
            if (res[i] == TEKHO_OK && n[ms] < TEKHO_CMAC_KEY_COUNT_LIMIT) {
                n[ms]++;
                updates++;
            } else {
                refused++;
            }
        }
        next = (next + batch) % n_ms;
        commits++;
        if (n_lat == cap_lat) {
            double *more = realloc(lat, 2 * cap_lat * sizeof *lat);
            if (more == NULL) {
                rc = 1;
                break;
            }
            lat = more;
            cap_lat *= 2;
        }
        lat[n_lat++] = (t1 - t0) * 1000.0;
        elapsed = now_s() - start;
    }
    if (rc == 0 && n_lat > 0) {
        qsort(lat, n_lat, sizeof *lat, cmp_double);
        const double p50 = lat[(n_lat - 1) / 2], p99 = lat[(size_t)((double)(n_lat - 1) * 0.99)];
        const double rate = (double)updates / elapsed;
        if (json)
            printf("{\"store\": \"%s\", \"ms\": %zu, \"batch\": %zu, \"seconds\": %.2f, \"commits\": %llu, "
                   "\"updates\": %llu, \"refused\": %llu, \"store_updates_per_s\": %.0f, \"commit_p50_ms\": %.3f, "
                   "\"commit_p99_ms\": %.3f}\n",
                   tekho_store_backend(s), n_ms, batch, elapsed, commits, updates, refused, rate, p50, p99);
        else
            printf("store %s: %zu MSs, batches of %zu, %.1f s\n"
                   "  durable N updates/s   %10.0f  (%llu updates in %llu commits, %llu refused)\n"
                   "  commit latency        p50 %.3f ms, p99 %.3f ms\n",
                   tekho_store_backend(s), n_ms, batch, elapsed, rate, updates, commits, refused, p50, p99);
        if (refused > 0)
            rc = 1; /* every update was new: a refusal is a store that lost one */
    }
    free(lat);
    free(recs);
    free(res);
    free(n);
    free(pmk_id);
    tekho_store_close(s);
    return rc;
}
