/* Crash torture of the SQLite store: a writer process advances N for 256 MSs
 * in group commits as fast as it can and reports over a pipe every N it
 * was told is durable (after tekho_store_persist returned); the test kills
 * it with SIGKILL at a random moment, then opens the store itself and
 * checks that no acknowledged N was lost, none went backwards, and every
 * record still decrypts; then starts the writer again on the same file.
 * usage: test_store_torture [KILLS (default 50)] [SEED]
 * (tests/store_torture.sh runs 1000.) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pg_server.h"
#include "tekho/store.h"
#include "tekho/tekho.h"

#define N_MS 256u
#define MAX_BATCH 64u

struct ack {
    uint32_t ms;     /* bit 31: the store refused an update the writer thought new */
    uint32_t n;
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void msk_of(uint32_t ms, uint8_t msk[64])
{
    for (int i = 0; i < 64; i++)
        msk[i] = (uint8_t)(ms * 29 + (uint32_t)i * 3 + 1);
}

static int write_all(int fd, const void *b, size_t n)
{
    const uint8_t *p = b;
    while (n > 0) {
        const ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The writer: never returns. */
static void writer(const char *url, const char *key, int out, uint64_t seed)
{
    struct tekho_store *s = NULL;
    if (tekho_store_open(url, key, &s) != TEKHO_OK)
        _exit(3);
    uint16_t n[N_MS];
    uint8_t pmk_id[N_MS][TEKHO_PMK_ID_LEN];
    for (uint32_t ms = 0; ms < N_MS; ms++) {
        struct tekho_auth_record r;
        bool found = false;
        uint8_t mac[6];
        tekho_ms_mac_of_index(ms, mac);
        if (tekho_store_load(s, mac, &r, &found) != TEKHO_OK)
            _exit(4);
        if (!found) {
            memset(&r, 0, sizeof r);
            r.kind = TEKHO_RECORD_NEW_PMK;
            memcpy(r.ms_mac, mac, 6);
            r.n = 1;
            r.pmk_lifetime_s = 3600;
            msk_of(ms, r.msk);
            tekho_err res = TEKHO_OK;
            if (tekho_pmk_id(r.msk, r.pmk_id) != TEKHO_OK || tekho_store_persist(s, &r, 1, &res) != TEKHO_OK ||
                res != TEKHO_OK)
                _exit(5);
            const struct ack a = {ms, 1};
            if (write_all(out, &a, sizeof a) != 0)
                _exit(6);
        }
        n[ms] = r.n;
        memcpy(pmk_id[ms], r.pmk_id, TEKHO_PMK_ID_LEN);
        tekho_auth_record_wipe(&r);
    }
    for (;;) {
        struct tekho_auth_record recs[MAX_BATCH];
        uint32_t who[MAX_BATCH];
        tekho_err res[MAX_BATCH];
        const uint32_t k = 1 + (uint32_t)(rng_next(&seed) % MAX_BATCH), first = (uint32_t)(rng_next(&seed) % N_MS);
        for (uint32_t i = 0; i < k; i++) {
            const uint32_t ms = (first + i) % N_MS; /* distinct within the batch */
            if (n[ms] >= TEKHO_CMAC_KEY_COUNT_LIMIT)
                _exit(9); /* (not reached: some 10^4 updates per MS in 1000 runs) */
            memset(&recs[i], 0, sizeof recs[i]);
            recs[i].kind = TEKHO_RECORD_ADVANCE;
            tekho_ms_mac_of_index(ms, recs[i].ms_mac);
            memcpy(recs[i].pmk_id, pmk_id[ms], TEKHO_PMK_ID_LEN);
            recs[i].n = (uint16_t)(n[ms] + 1);
            who[i] = ms;
        }
        if (tekho_store_persist(s, recs, k, res) != TEKHO_OK)
            _exit(7);
        struct ack acks[MAX_BATCH];
        for (uint32_t i = 0; i < k; i++) {
            if (res[i] == TEKHO_OK)
                n[who[i]]++;
            acks[i] = (struct ack){res[i] == TEKHO_OK ? who[i] : who[i] | 0x80000000u, n[who[i]]};
        }
        /* Acknowledged only now: the commit returned. */
        if (write_all(out, acks, k * sizeof acks[0]) != 0)
            _exit(8);
    }
}

int main(int argc, char **argv)
{
    const unsigned kills = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 50;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    const uint64_t first_seed = seed;
    char dir[] = "/tmp/tekho-torture-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char key[64], url[96];
    snprintf(key, sizeof key, "%s/key", dir);
    snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
    const int kfd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
    uint8_t kb[32];
    for (int i = 0; i < 32; i++)
        kb[i] = (uint8_t)rng_next(&seed);
    if (kfd < 0 || write_all(kfd, kb, sizeof kb) != 0)
        return 1;
    close(kfd);

    uint32_t acked[N_MS] = {0}, seen[N_MS] = {0};
    unsigned long long writes = 0;
    unsigned lost = 0, backwards = 0, refused = 0, undecryptable = 0, writer_failed = 0, runs = 0;
    for (unsigned k = 0; k < kills; k++) {
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        const uint64_t child_seed = rng_next(&seed);
        const pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            close(fds[0]);
            writer(url, key, fds[1], child_seed);
        }
        close(fds[1]);
        runs++;
        /* A random moment: from the middle of opening to well into the writes. */
        const long us = 500 + (long)(rng_next(&seed) % 40000);
        const struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        /* Everything the writer acknowledged before it died. */
        struct ack buf[256];
        size_t have = 0;
        for (;;) {
            const ssize_t r = read(fds[0], (uint8_t *)buf + have, sizeof buf - have);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            have += (size_t)r;
            const size_t whole = have / sizeof buf[0];
            for (size_t i = 0; i < whole; i++) {
                const uint32_t ms = buf[i].ms & 0x7FFFFFFFu;
                if (ms >= N_MS)
                    continue;
                if (buf[i].ms & 0x80000000u) {
                    refused++;
                    continue;
                }
                writes++;
                if (buf[i].n > acked[ms])
                    acked[ms] = buf[i].n;
            }
            memmove(buf, (uint8_t *)buf + whole * sizeof buf[0], have - whole * sizeof buf[0]);
            have -= whole * sizeof buf[0];
        }
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            writer_failed++;
            fprintf(stderr, "test_store_torture: run %u: the writer exited with %d before the kill\n", k,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        /* After the crash: the store as a restarted Authenticator sees it. */
        struct tekho_store *s = NULL;
        char msg[256];
        const tekho_err err = tekho_store_open_verbose(url, key, &s, msg, sizeof msg);
        if (err != TEKHO_OK) {
            fprintf(stderr, "test_store_torture: run %u: reopening: %s: %s\n", k, tekho_strerror(err), msg);
            lost++;
            continue;
        }
        for (uint32_t ms = 0; ms < N_MS; ms++) {
            uint8_t mac[6], msk[64];
            tekho_ms_mac_of_index(ms, mac);
            struct tekho_auth_record r;
            bool found = false;
            const tekho_err le = tekho_store_load(s, mac, &r, &found);
            msk_of(ms, msk);
            if (le != TEKHO_OK || (found && memcmp(r.msk, msk, 64) != 0)) {
                undecryptable++;
                continue;
            }
            const uint32_t n = found ? r.n : 0;
            if (n < acked[ms]) {
                lost++;
                fprintf(stderr, "test_store_torture: run %u: ms%u: N %u acknowledged, %u stored\n", k, ms,
                        acked[ms], n);
            }
            if (n < seen[ms]) {
                backwards++;
                fprintf(stderr, "test_store_torture: run %u: ms%u: N went back from %u to %u\n", k, ms, seen[ms],
                        n);
            }
            seen[ms] = n;
            tekho_auth_record_wipe(&r);
        }
        tekho_store_close(s);
    }
    char *rm[] = {"rm", "-rf", "--", dir, NULL};
    (void)pg_run(rm, NULL);
    printf("test_store_torture: seed %llu: %u kills (SIGKILL), %llu acknowledged writes, %u lost, %u backwards, "
           "%u refused, %u undecryptable, %u writers that died early\n",
           (unsigned long long)first_seed, runs, writes, lost, backwards, refused, undecryptable, writer_failed);
    return lost || backwards || refused || undecryptable || writer_failed || writes == 0 ? 1 : 0;
}
