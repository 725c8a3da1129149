/* The daemons' event loop (src/daemon/loop.h) on real time, real
 * descriptors and real signals: timer order and ties, cancelling and
 * setting timers from callbacks (the firing one included), lateness,
 * descriptor readiness on pipes and socketpairs (removal inside a
 * callback), SIGTERM raised to ourselves through the signalfd, and 10,000
 * timers at once. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "test_util.h"

static void sleep_us(uint64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A safety net: every test stops its loop within this long. */
static void on_deadline(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    *(bool *)ctx = true;
    tekho_loop_stop(loop);
}

static bool run_with_deadline(struct tekho_loop *loop, uint64_t within_us)
{
    bool hit = false;
    uint64_t id = 0;
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop) + within_us, on_deadline, &hit, &id), TEKHO_OK);
    CHECK_ERR(tekho_loop_run(loop), TEKHO_OK);
    tekho_loop_timer_cancel(loop, id);
    return !hit;
}

/* ---- timer order ---- */

struct order {
    int fired[32];
    int n;
    struct tekho_loop *loop;
    int stop_after;
};

struct tagged {
    struct order *o;
    int tag;
};

static void on_tagged(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct tagged *t = ctx;
    t->o->fired[t->o->n++] = t->tag;
    if (t->o->n == t->o->stop_after)
        tekho_loop_stop(loop);
}

static void test_order(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct order o = {.stop_after = 6};
    const uint64_t t0 = tekho_loop_now_us(loop);
    /* set out of order; 4, 5 and 6 share one deadline and keep the order they were set in */
    struct tagged tags[6] = {{&o, 3}, {&o, 1}, {&o, 4}, {&o, 5}, {&o, 2}, {&o, 6}};
    const uint64_t at[6] = {3000, 1000, 4000, 4000, 2000, 4000};
    for (int i = 0; i < 6; i++)
        CHECK_ERR(tekho_loop_timer_at(loop, t0 + at[i], on_tagged, &tags[i], NULL), TEKHO_OK);
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(o.n == 6);
    for (int i = 0; i < o.n; i++)
        CHECK(o.fired[i] == i + 1);
    /* nothing fired before its deadline */
    CHECK(tekho_loop_now_us(loop) >= t0 + 4000);
    struct tekho_loop_stats st;
    tekho_loop_stats(loop, &st);
    CHECK(st.timers_fired == 6);
    CHECK(st.timers_pending == 0);
    tekho_loop_free(loop);
}

/* ---- cancelling and setting from callbacks ---- */

struct cancel_ctx {
    uint64_t self, victim, later;
    bool self_cancel_result, victim_cancel_result;
    int fired_a, fired_victim, fired_later, fired_now;
    uint64_t self_id_seen;
};

static void on_victim(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    (void)late_us;
    ((struct cancel_ctx *)ctx)->fired_victim++;
}

static void on_later(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    ((struct cancel_ctx *)ctx)->fired_later++;
    tekho_loop_stop(loop);
}

static void on_now(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    (void)late_us;
    struct cancel_ctx *c = ctx;
    c->fired_now++;
    /* fires after the callback that set it returned, before later */
    CHECK(c->fired_a == 1 && c->fired_later == 0);
}

static void on_a(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)late_us;
    struct cancel_ctx *c = ctx;
    c->fired_a++;
    c->self_id_seen = id;
    /* the firing timer is no longer pending: cancelling it is a no-op */
    c->self_cancel_result = tekho_loop_timer_cancel(loop, id);
    c->victim_cancel_result = tekho_loop_timer_cancel(loop, c->victim);
    /* a timer for now, from inside a callback: fires in a later round */
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop), on_now, c, NULL), TEKHO_OK);
    CHECK(c->fired_now == 0);
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop) + 3000, on_later, c, &c->later), TEKHO_OK);
    /* the slot a freed: the new ids are not the old ones */
    CHECK(c->later != id && c->later != c->victim);
}

static void test_cancel_in_callbacks(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct cancel_ctx c = {0};
    const uint64_t t0 = tekho_loop_now_us(loop);
    CHECK_ERR(tekho_loop_timer_at(loop, t0 + 1000, on_a, &c, &c.self), TEKHO_OK);
    CHECK_ERR(tekho_loop_timer_at(loop, t0 + 2000, on_victim, &c, &c.victim), TEKHO_OK);
    CHECK(c.self != 0 && c.victim != 0 && c.self != c.victim);
    uint64_t at = 0;
    CHECK(tekho_loop_timer_pending(loop, c.victim, &at) && at == t0 + 2000);
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(c.fired_a == 1 && c.self_id_seen == c.self);
    CHECK(!c.self_cancel_result);
    CHECK(c.victim_cancel_result);
    CHECK(c.fired_victim == 0);
    CHECK(c.fired_now == 1);
    CHECK(c.fired_later == 1);
    CHECK(!tekho_loop_timer_pending(loop, c.victim, NULL));
    /* ids of fired or cancelled timers, and 0, cancel nothing */
    CHECK(!tekho_loop_timer_cancel(loop, c.victim));
    CHECK(!tekho_loop_timer_cancel(loop, c.later));
    CHECK(!tekho_loop_timer_cancel(loop, 0));
    CHECK(!tekho_loop_timer_cancel(loop, UINT64_MAX));
    CHECK_ERR(tekho_loop_timer_at(loop, 0, NULL, NULL, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    tekho_loop_free(loop);
}

/* ---- a timer that sets itself again for now does not starve descriptors ---- */

struct starve {
    int timer_runs, fd_runs;
    int wr;
};

static void on_rearm(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    struct starve *s = ctx;
    if (++s->timer_runs == 3)
        CHECK(write(s->wr, "x", 1) == 1); /* the descriptor is ready from now on */
    if (s->timer_runs < 1000000)
        CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop), on_rearm, s, NULL), TEKHO_OK);
}

static void on_starve_fd(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct starve *s = ctx;
    char b;
    CHECK(read(fd, &b, 1) == 1);
    s->fd_runs++;
    tekho_loop_stop(loop);
}

static void test_no_starvation(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    int p[2];
    CHECK(pipe(p) == 0);
    struct starve s = {.wr = p[1]};
    CHECK_ERR(tekho_loop_add_fd(loop, p[0], EPOLLIN, on_starve_fd, &s), TEKHO_OK);
    CHECK_ERR(tekho_loop_timer_at(loop, tekho_loop_now_us(loop), on_rearm, &s, NULL), TEKHO_OK);
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(s.fd_runs == 1);
    /* the round after the write, or the next */
    CHECK(s.timer_runs >= 3 && s.timer_runs <= 5);
    CHECK_ERR(tekho_loop_del_fd(loop, p[0]), TEKHO_OK);
    close(p[0]);
    close(p[1]);
    tekho_loop_free(loop);
}

/* ---- lateness ---- */

struct late {
    uint64_t late_a, late_b, hook_sum;
    int hook_calls;
};

static void on_late_a(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)loop;
    (void)id;
    ((struct late *)ctx)->late_a = late_us;
    sleep_us(8000); /* a slow handler: the next timer fires late */
}

static void on_late_b(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    ((struct late *)ctx)->late_b = late_us;
    tekho_loop_stop(loop);
}

static void on_lateness(void *ctx, uint64_t at_us, uint64_t late_us)
{
    (void)at_us;
    struct late *l = ctx;
    l->hook_calls++;
    l->hook_sum += late_us;
}

static void test_lateness(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct late l = {0};
    tekho_loop_on_lateness(loop, on_lateness, &l);
    const uint64_t t0 = tekho_loop_now_us(loop);
    CHECK_ERR(tekho_loop_timer_at(loop, t0 + 1000, on_late_a, &l, NULL), TEKHO_OK);
    CHECK_ERR(tekho_loop_timer_at(loop, t0 + 2000, on_late_b, &l, NULL), TEKHO_OK);
    CHECK(run_with_deadline(loop, 1000000));
    /* B was due 1 ms after A, whose handler took 8 ms: at least 7 ms late */
    CHECK(l.late_b >= 7000);
    CHECK(l.hook_calls == 2);
    CHECK(l.hook_sum == l.late_a + l.late_b);
    struct tekho_loop_stats st;
    tekho_loop_stats(loop, &st);
    CHECK(st.late_max_us >= l.late_b);
    CHECK(st.late_total_us >= l.late_a + l.late_b);
    fprintf(stderr, "lateness: on-time timer %llu us late, after an 8 ms handler %llu us\n",
            (unsigned long long)l.late_a, (unsigned long long)l.late_b);
    tekho_loop_free(loop);
}

/* ---- stop ---- */

static void on_stop_first(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    (*(int *)ctx)++;
    tekho_loop_stop(loop);
}

static void test_stop_and_rerun(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    int first = 0, second = 0;
    const uint64_t t0 = tekho_loop_now_us(loop);
    /* both due at once (in the past): the first stops the loop before the second */
    CHECK_ERR(tekho_loop_timer_at(loop, t0 - 10, on_stop_first, &first, NULL), TEKHO_OK);
    CHECK_ERR(tekho_loop_timer_at(loop, t0 - 5, on_stop_first, &second, NULL), TEKHO_OK);
    CHECK_ERR(tekho_loop_run(loop), TEKHO_OK);
    CHECK(first == 1 && second == 0);
    CHECK_ERR(tekho_loop_run(loop), TEKHO_OK);
    CHECK(first == 1 && second == 1);
    tekho_loop_free(loop);
}

/* ---- descriptors ---- */

struct fds {
    char got[2][16];
    int calls[2];
    int fd[2];
    int writable;
};

static void on_readable(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    struct fds *f = ctx;
    const int k = fd == f->fd[0] ? 0 : 1;
    f->calls[k]++;
    CHECK(events & EPOLLIN);
    ssize_t n = read(fd, f->got[k], sizeof f->got[k] - 1);
    CHECK(n > 0);
    if (n > 0)
        f->got[k][n] = '\0';
    /* removes itself, and the other descriptor, which is ready in the same wakeup */
    CHECK_ERR(tekho_loop_del_fd(loop, fd), TEKHO_OK);
    CHECK_ERR(tekho_loop_del_fd(loop, f->fd[1 - k]), TEKHO_OK);
    tekho_loop_stop(loop);
}

static void on_writable(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    struct fds *f = ctx;
    CHECK(events & EPOLLOUT);
    f->writable++;
    CHECK(write(fd, "pong", 4) == 4);
    /* once: from now on only readability */
    CHECK_ERR(tekho_loop_mod_fd(loop, fd, EPOLLIN), TEKHO_OK);
}

static void on_reply(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)fd;
    (void)events;
    (void)ctx;
    tekho_loop_stop(loop);
}

static void test_fds(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    struct fds f = {.fd = {a[0], b[0]}};
    CHECK_ERR(tekho_loop_add_fd(loop, a[0], EPOLLIN, on_readable, &f), TEKHO_OK);
    CHECK_ERR(tekho_loop_add_fd(loop, b[0], EPOLLIN, on_readable, &f), TEKHO_OK);
    CHECK_ERR(tekho_loop_add_fd(loop, a[0], EPOLLIN, on_readable, &f), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_loop_add_fd(loop, -1, EPOLLIN, on_readable, &f), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_loop_add_fd(loop, 1000000, EPOLLIN, on_readable, &f), TEKHO_ERR_IO); /* not open */
    CHECK_ERR(tekho_loop_mod_fd(loop, a[1], EPOLLIN), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_loop_del_fd(loop, a[1]), TEKHO_ERR_INVALID_ARGUMENT);
    /* both ready before the loop waits: one wakeup reports both */
    CHECK(write(a[1], "hello", 5) == 5);
    CHECK(write(b[1], "world", 5) == 5);
    /* whichever is dispatched first removes both; the other gets no callback */
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(f.calls[0] + f.calls[1] == 1);
    CHECK(strcmp(f.calls[0] ? f.got[0] : f.got[1], f.calls[0] ? "hello" : "world") == 0);
    /* both are gone: more data wakes nothing */
    CHECK(write(a[1], "x", 1) == 1);
    CHECK(!run_with_deadline(loop, 20000));
    CHECK(f.calls[0] + f.calls[1] == 1);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);

    /* a socketpair: writable (EPOLLOUT), then mod_fd to EPOLLIN; the peer sees the bytes */
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
    CHECK_ERR(tekho_loop_add_fd(loop, sp[0], EPOLLOUT, on_writable, &f), TEKHO_OK);
    CHECK_ERR(tekho_loop_add_fd(loop, sp[1], EPOLLIN, on_reply, NULL), TEKHO_OK);
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(f.writable == 1);
    char buf[8] = {0};
    CHECK(read(sp[1], buf, sizeof buf) == 4 && memcmp(buf, "pong", 4) == 0);
    CHECK_ERR(tekho_loop_del_fd(loop, sp[0]), TEKHO_OK);
    CHECK_ERR(tekho_loop_del_fd(loop, sp[1]), TEKHO_OK);
    close(sp[0]);
    close(sp[1]);
    tekho_loop_free(loop);
}

/* ---- signals ---- */

struct sig {
    int term, usr1;
};

static void on_signal(struct tekho_loop *loop, int signo, void *ctx)
{
    struct sig *s = ctx;
    if (signo == SIGTERM) {
        s->term++;
        tekho_loop_stop(loop);
    } else if (signo == SIGUSR1) {
        s->usr1++;
    }
}

static void test_signals(void)
{
    sigset_t before, during, after;
    CHECK(pthread_sigmask(SIG_SETMASK, NULL, &before) == 0);
    CHECK(!sigismember(&before, SIGTERM));
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    struct sig s = {0};
    CHECK_ERR(tekho_loop_on_signal(loop, SIGTERM, on_signal, &s), TEKHO_OK);
    CHECK_ERR(tekho_loop_on_signal(loop, SIGUSR1, on_signal, &s), TEKHO_OK);
    CHECK_ERR(tekho_loop_on_signal(loop, SIGKILL, on_signal, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_loop_on_signal(loop, 0, on_signal, &s), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(pthread_sigmask(SIG_SETMASK, NULL, &during) == 0);
    CHECK(sigismember(&during, SIGTERM) && sigismember(&during, SIGUSR1));
    /* blocked: raise leaves them pending, the loop reads them from the signalfd */
    CHECK(raise(SIGUSR1) == 0);
    CHECK(raise(SIGTERM) == 0);
    CHECK(run_with_deadline(loop, 1000000));
    CHECK(s.term == 1);
    CHECK(s.usr1 == 1);
    tekho_loop_free(loop);
    CHECK(pthread_sigmask(SIG_SETMASK, NULL, &after) == 0);
    CHECK(!sigismember(&after, SIGTERM) && !sigismember(&after, SIGUSR1));
}

/* ---- many timers ---- */

#define MANY 10000

struct many {
    uint64_t at[MANY], id[MANY];
    bool cancelled[MANY], fired[MANY];
    uint64_t last_at;
    int order_errors, fired_count, expected;
    struct tekho_loop *loop;
};

static struct many M; /* large: static storage, used by this test only */

static void on_many(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx)
{
    (void)id;
    (void)late_us;
    const size_t i = (size_t)((uint64_t *)ctx - M.at);
    if (M.fired[i] || M.cancelled[i])
        M.order_errors++;
    M.fired[i] = true;
    if (M.at[i] < M.last_at)
        M.order_errors++;
    M.last_at = M.at[i];
    if (tekho_loop_now_us(loop) < M.at[i])
        M.order_errors++; /* early */
    if (++M.fired_count == M.expected)
        tekho_loop_stop(loop);
}

static void test_many_timers(void)
{
    struct tekho_loop *loop = NULL;
    CHECK_ERR(tekho_loop_new(&loop), TEKHO_OK);
    memset(&M, 0, sizeof M);
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    const uint64_t t0 = tekho_loop_now_us(loop) + 5000;
    const uint64_t c0 = tekho_loop_now_us(loop);
    for (size_t i = 0; i < MANY; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        M.at[i] = t0 + x % 100000; /* within 100 ms, many ties at the microsecond */
        CHECK_ERR(tekho_loop_timer_at(loop, M.at[i], on_many, &M.at[i], &M.id[i]), TEKHO_OK);
    }
    /* cancel every third, in an order unrelated to the heap's */
    for (size_t k = 0; k < MANY; k++) {
        const size_t i = (k * 7919) % MANY;
        if (i % 3 == 0) {
            CHECK(tekho_loop_timer_cancel(loop, M.id[i]));
            M.cancelled[i] = true;
        } else {
            M.expected++;
        }
    }
    const uint64_t setup_us = tekho_loop_now_us(loop) - c0;
    struct tekho_loop_stats st;
    tekho_loop_stats(loop, &st);
    CHECK(st.timers_pending == (uint64_t)M.expected);
    CHECK(run_with_deadline(loop, 5000000));
    CHECK(M.fired_count == M.expected);
    CHECK(M.order_errors == 0);
    for (size_t i = 0; i < MANY; i++)
        CHECK(M.fired[i] == !M.cancelled[i]);
    tekho_loop_stats(loop, &st);
    CHECK(st.timers_pending == 0);
    fprintf(stderr, "%d timers set and %d cancelled in %llu us; fired in order, latest %llu us late, %llu wakeups\n",
            MANY, MANY - M.expected, (unsigned long long)setup_us, (unsigned long long)st.late_max_us,
            (unsigned long long)st.wakeups);
    /* and the cost at scale: 200,000 set then cancelled in random order */
    enum { BIG = 200000 };
    uint64_t *ids = malloc(BIG * sizeof *ids);
    CHECK(ids != NULL);
    if (ids != NULL) {
        const uint64_t b0 = tekho_loop_now_us(loop);
        for (size_t i = 0; i < BIG; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            CHECK_ERR(tekho_loop_timer_at(loop, b0 + 1000000 + x % 10000000, on_many, &M.at[0], &ids[i]), TEKHO_OK);
        }
        size_t cancelled = 0;
        for (size_t k = 0; k < BIG; k++)
            cancelled += tekho_loop_timer_cancel(loop, ids[(k * 104729) % BIG]);
        const uint64_t took = tekho_loop_now_us(loop) - b0;
        CHECK(cancelled == BIG);
        fprintf(stderr, "%d timers set and cancelled in %llu us (%.2f us per pair)\n", BIG, (unsigned long long)took,
                (double)took / BIG);
        CHECK(took < 2000000); /* O(log n): well under 10 us a pair, even under a sanitizer */
        free(ids);
    }
    tekho_loop_free(loop);
}

int main(void)
{
    test_order();
    test_cancel_in_callbacks();
    test_no_starvation();
    test_lateness();
    test_stop_and_rerun();
    test_fds();
    test_signals();
    test_many_timers();
    return test_summary("test_loop");
}
