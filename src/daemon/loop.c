/* The daemons' event loop (loop.h): epoll, one timerfd at the earliest
 * timer of a binary heap, one signalfd. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64
#define LOOP_NSIG 65 /* signals 1 .. 64 (Linux: 31 standard and the real-time ones) */
#define NO_POS UINT32_MAX

/* A watched descriptor, indexed by fd. gen tells a registration from a
 * later one of the same fd number: an event that epoll reported for an fd
 * a callback removed (and maybe re-added) in the same wakeup is dropped. */
struct fd_slot {
    tekho_loop_fd_fn cb;
    void *ctx;
    uint32_t gen;
    bool used;
};

/* A timer. Slots are reused through a free list; the id is (gen << 32) |
 * slot, gen counting the slot's uses from 1, so an old id never names a
 * later timer (a slot whose gen would wrap is retired, never reused). */
struct timer_slot {
    uint64_t at_us;
    uint64_t seq;          /* order of setting: ties in at_us fire in this order */
    tekho_loop_timer_fn cb;
    void *ctx;
    uint32_t gen;
    uint32_t heap_pos;     /* index into heap, NO_POS when free */
    uint32_t next_free;
};

struct tekho_loop {
    int epfd, tfd, sfd;
    struct fd_slot *fds;
    size_t n_fds;
    struct timer_slot *timers;
    uint32_t n_timers, cap_timers;
    uint32_t free_head;    /* NO_POS: none free */
    uint32_t *heap;        /* slot indices, a min-heap on (at_us, seq) */
    uint32_t heap_len;
    uint64_t seq;
    uint64_t armed_at;     /* the timerfd's deadline, 0: not armed */
    sigset_t sigmask, old_sigmask;
    bool sigmask_saved;
    tekho_loop_signal_fn sig_cb[LOOP_NSIG];
    void *sig_ctx[LOOP_NSIG];
    tekho_loop_lateness_fn late_cb;
    void *late_ctx;
    struct tekho_loop_stats stats;
    bool stopped;
};

uint64_t tekho_loop_now_us(const struct tekho_loop *loop)
{
    (void)loop;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- descriptors ---- */

static struct fd_slot *fd_slot(const struct tekho_loop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->n_fds || !loop->fds[fd].used)
        return NULL;
    return &loop->fds[fd];
}

static uint64_t fd_data(int fd, uint32_t gen)
{
    return (uint64_t)gen << 32 | (uint32_t)fd;
}

tekho_err tekho_loop_add_fd(struct tekho_loop *loop, int fd, uint32_t events, tekho_loop_fd_fn cb, void *ctx)
{
    if (loop == NULL || cb == NULL || fd < 0 || fd_slot(loop, fd) != NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    if ((size_t)fd >= loop->n_fds) {
        size_t n = loop->n_fds ? loop->n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct fd_slot *grown = realloc(loop->fds, n * sizeof *grown);
        if (grown == NULL)
            return TEKHO_ERR_NO_MEMORY;
        memset(grown + loop->n_fds, 0, (n - loop->n_fds) * sizeof *grown);
        loop->fds = grown;
        loop->n_fds = n;
    }
    struct fd_slot *s = &loop->fds[fd];
    const uint32_t gen = s->gen + 1;
    struct epoll_event ev = {.events = events, .data.u64 = fd_data(fd, gen)};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return TEKHO_ERR_IO;
    *s = (struct fd_slot){.cb = cb, .ctx = ctx, .gen = gen, .used = true};
    return TEKHO_OK;
}

tekho_err tekho_loop_mod_fd(struct tekho_loop *loop, int fd, uint32_t events)
{
    struct fd_slot *s = loop ? fd_slot(loop, fd) : NULL;
    if (s == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct epoll_event ev = {.events = events, .data.u64 = fd_data(fd, s->gen)};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? TEKHO_OK : TEKHO_ERR_IO;
}

tekho_err tekho_loop_del_fd(struct tekho_loop *loop, int fd)
{
    struct fd_slot *s = loop ? fd_slot(loop, fd) : NULL;
    if (s == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* The fd may be closed already (then epoll dropped it itself): the slot
     * goes either way. */
    (void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->used = false;
    s->cb = NULL;
    s->ctx = NULL;
    return TEKHO_OK;
}

/* ---- timers ---- */

static bool timer_before(const struct tekho_loop *loop, uint32_t a, uint32_t b)
{
    const struct timer_slot *x = &loop->timers[a], *y = &loop->timers[b];
    return x->at_us < y->at_us || (x->at_us == y->at_us && x->seq < y->seq);
}

static void heap_set(struct tekho_loop *loop, uint32_t pos, uint32_t slot)
{
    loop->heap[pos] = slot;
    loop->timers[slot].heap_pos = pos;
}

static void sift_up(struct tekho_loop *loop, uint32_t pos)
{
    const uint32_t slot = loop->heap[pos];
    while (pos > 0) {
        const uint32_t parent = (pos - 1) / 2;
        if (!timer_before(loop, slot, loop->heap[parent]))
            break;
        heap_set(loop, pos, loop->heap[parent]);
        pos = parent;
    }
    heap_set(loop, pos, slot);
}

static void sift_down(struct tekho_loop *loop, uint32_t pos)
{
    const uint32_t slot = loop->heap[pos];
    for (;;) {
        const uint32_t l = 2 * pos + 1, r = l + 1;
        if (l >= loop->heap_len)
            break;
        uint32_t child = l;
        if (r < loop->heap_len && timer_before(loop, loop->heap[r], loop->heap[l]))
            child = r;
        if (!timer_before(loop, loop->heap[child], slot))
            break;
        heap_set(loop, pos, loop->heap[child]);
        pos = child;
    }
    heap_set(loop, pos, slot);
}

/* Takes the timer at heap position pos out of the heap and frees its slot. */
static void heap_remove(struct tekho_loop *loop, uint32_t pos)
{
    const uint32_t slot = loop->heap[pos];
    const uint32_t last = loop->heap[--loop->heap_len];
    if (pos < loop->heap_len) {
        heap_set(loop, pos, last);
        if (pos > 0 && timer_before(loop, last, loop->heap[(pos - 1) / 2]))
            sift_up(loop, pos);
        else
            sift_down(loop, pos);
    }
    struct timer_slot *t = &loop->timers[slot];
    t->heap_pos = NO_POS;
    t->cb = NULL;
    t->ctx = NULL;
    if (t->gen != UINT32_MAX) { /* else retired: its ids stay unique */
        t->next_free = loop->free_head;
        loop->free_head = slot;
    }
    loop->stats.timers_pending--;
}

tekho_err tekho_loop_timer_at(struct tekho_loop *loop, uint64_t at_us, tekho_loop_timer_fn cb, void *ctx,
                              uint64_t *id)
{
    if (loop == NULL || cb == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    uint32_t slot = loop->free_head;
    if (slot != NO_POS) {
        loop->free_head = loop->timers[slot].next_free;
    } else {
        if (loop->n_timers == loop->cap_timers) {
            if (loop->cap_timers >= UINT32_MAX / 2)
                return TEKHO_ERR_NO_MEMORY;
            const uint32_t cap = loop->cap_timers ? 2 * loop->cap_timers : 256;
            struct timer_slot *t = realloc(loop->timers, (size_t)cap * sizeof *t);
            if (t == NULL)
                return TEKHO_ERR_NO_MEMORY;
            loop->timers = t;
            uint32_t *h = realloc(loop->heap, (size_t)cap * sizeof *h);
            if (h == NULL)
                return TEKHO_ERR_NO_MEMORY;
            loop->heap = h;
            loop->cap_timers = cap;
        }
        slot = loop->n_timers++;
        loop->timers[slot] = (struct timer_slot){.gen = 0, .heap_pos = NO_POS};
    }
    struct timer_slot *t = &loop->timers[slot];
    t->gen++;
    t->at_us = at_us;
    t->seq = loop->seq++;
    t->cb = cb;
    t->ctx = ctx;
    loop->heap[loop->heap_len] = slot;
    t->heap_pos = loop->heap_len++;
    sift_up(loop, t->heap_pos);
    loop->stats.timers_pending++;
    if (id != NULL)
        *id = (uint64_t)t->gen << 32 | slot;
    return TEKHO_OK;
}

/* The slot of a pending timer id, or NULL. */
static const struct timer_slot *pending_timer(const struct tekho_loop *loop, uint64_t id)
{
    const uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (loop == NULL || gen == 0 || slot >= loop->n_timers)
        return NULL;
    const struct timer_slot *t = &loop->timers[slot];
    return t->gen == gen && t->heap_pos != NO_POS ? t : NULL;
}

bool tekho_loop_timer_cancel(struct tekho_loop *loop, uint64_t id)
{
    const struct timer_slot *t = pending_timer(loop, id);
    if (t == NULL)
        return false;
    heap_remove(loop, t->heap_pos);
    return true;
}

bool tekho_loop_timer_pending(const struct tekho_loop *loop, uint64_t id, uint64_t *at_us)
{
    const struct timer_slot *t = pending_timer(loop, id);
    if (t != NULL && at_us != NULL)
        *at_us = t->at_us;
    return t != NULL;
}

void tekho_loop_on_lateness(struct tekho_loop *loop, tekho_loop_lateness_fn fn, void *ctx)
{
    loop->late_cb = fn;
    loop->late_ctx = ctx;
}

/* Fires the timers due now that were set before this round began. */
static void fire_due(struct tekho_loop *loop)
{
    const uint64_t limit = loop->seq;
    while (!loop->stopped && loop->heap_len > 0) {
        const uint32_t slot = loop->heap[0];
        const struct timer_slot *t = &loop->timers[slot];
        const uint64_t now = tekho_loop_now_us(loop);
        if (t->at_us > now || t->seq >= limit)
            break;
        const uint64_t at = t->at_us, id = (uint64_t)t->gen << 32 | slot, late = now - at;
        const tekho_loop_timer_fn cb = t->cb;
        void *const ctx = t->ctx;
        heap_remove(loop, 0); /* first: the callback may set a timer in the same slot, or cancel this id */
        loop->stats.timers_fired++;
        loop->stats.late_total_us += late;
        if (late > loop->stats.late_max_us)
            loop->stats.late_max_us = late;
        if (loop->late_cb != NULL)
            loop->late_cb(loop->late_ctx, at, late);
        cb(loop, id, late, ctx);
    }
}

/* The timerfd fired: drain it; the timers themselves fire in fire_due. */
static void on_timerfd(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)events;
    (void)ctx;
    uint64_t expirations;
    while (read(fd, &expirations, sizeof expirations) == (ssize_t)sizeof expirations)
        ;
    loop->armed_at = 0;
}

/* Arms the timerfd at the earliest timer (or disarms it); the epoll
 * timeout: 0 when a timer is due already, else -1 (the timerfd wakes us). */
static int arm(struct tekho_loop *loop)
{
    if (loop->heap_len == 0) {
        if (loop->armed_at != 0) {
            const struct itimerspec off = {{0, 0}, {0, 0}};
            (void)timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &off, NULL);
            loop->armed_at = 0;
        }
        return -1;
    }
    const uint64_t at = loop->timers[loop->heap[0]].at_us;
    if (at <= tekho_loop_now_us(loop))
        return 0;
    if (at != loop->armed_at) {
        struct itimerspec its = {{0, 0}, {(time_t)(at / 1000000u), (long)(at % 1000000u) * 1000}};
        if (timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
            return 0; /* cannot happen with a valid deadline; poll rather than sleep for ever */
        loop->armed_at = at;
    }
    return -1;
}

/* ---- signals ---- */

static void on_signalfd(struct tekho_loop *loop, int fd, uint32_t events, void *ctx)
{
    (void)events;
    (void)ctx;
    struct signalfd_siginfo si;
    while (!loop->stopped && read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        const int signo = (int)si.ssi_signo;
        if (signo > 0 && signo < LOOP_NSIG && loop->sig_cb[signo] != NULL)
            loop->sig_cb[signo](loop, signo, loop->sig_ctx[signo]);
    }
}

tekho_err tekho_loop_on_signal(struct tekho_loop *loop, int signo, tekho_loop_signal_fn cb, void *ctx)
{
    if (loop == NULL || signo <= 0 || signo >= LOOP_NSIG || signo == SIGKILL || signo == SIGSTOP)
        return TEKHO_ERR_INVALID_ARGUMENT;
    sigset_t one;
    sigemptyset(&one);
    if (sigaddset(&one, signo) != 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    sigset_t old;
    if (pthread_sigmask(SIG_BLOCK, &one, &old) != 0)
        return TEKHO_ERR_IO;
    if (!loop->sigmask_saved) {
        loop->old_sigmask = old;
        loop->sigmask_saved = true;
    }
    sigaddset(&loop->sigmask, signo);
    const int fd = signalfd(loop->sfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return TEKHO_ERR_IO;
    if (loop->sfd < 0) {
        loop->sfd = fd;
        const tekho_err err = tekho_loop_add_fd(loop, fd, EPOLLIN, on_signalfd, NULL);
        if (err != TEKHO_OK)
            return err;
    }
    loop->sig_cb[signo] = cb;
    loop->sig_ctx[signo] = ctx;
    return TEKHO_OK;
}

/* ---- the loop ---- */

tekho_err tekho_loop_new(struct tekho_loop **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL)
        return TEKHO_ERR_NO_MEMORY;
    loop->free_head = NO_POS;
    loop->seq = 1;
    loop->sfd = -1;
    sigemptyset(&loop->sigmask);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    tekho_err err = loop->epfd >= 0 && loop->tfd >= 0 ? TEKHO_OK : TEKHO_ERR_IO;
    if (err == TEKHO_OK)
        err = tekho_loop_add_fd(loop, loop->tfd, EPOLLIN, on_timerfd, NULL);
    if (err != TEKHO_OK) {
        tekho_loop_free(loop);
        return err;
    }
    *out = loop;
    return TEKHO_OK;
}

void tekho_loop_free(struct tekho_loop *loop)
{
    if (loop == NULL)
        return;
    if (loop->sfd >= 0) {
        /* Signals that came since the last wakeup are consumed, not
         * delivered with their default action when unblocked. */
        struct signalfd_siginfo si;
        while (read(loop->sfd, &si, sizeof si) == (ssize_t)sizeof si)
            ;
        close(loop->sfd);
    }
    if (loop->sigmask_saved)
        (void)pthread_sigmask(SIG_SETMASK, &loop->old_sigmask, NULL);
    if (loop->tfd >= 0)
        close(loop->tfd);
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop->fds);
    free(loop->timers);
    free(loop->heap);
    free(loop);
}

void tekho_loop_stop(struct tekho_loop *loop)
{
    loop->stopped = true;
}

tekho_err tekho_loop_run(struct tekho_loop *loop)
{
    if (loop == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    loop->stopped = false;
    struct epoll_event ev[LOOP_MAX_EVENTS];
    while (!loop->stopped) {
        const int timeout = arm(loop);
        const int n = epoll_wait(loop->epfd, ev, LOOP_MAX_EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return TEKHO_ERR_IO;
        }
        loop->stats.wakeups++;
        for (int i = 0; i < n && !loop->stopped; i++) {
            const int fd = (int)(uint32_t)ev[i].data.u64;
            const uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
            const struct fd_slot *s = fd_slot(loop, fd);
            if (s == NULL || s->gen != gen)
                continue; /* removed by an earlier callback of this wakeup */
            s->cb(loop, fd, ev[i].events, s->ctx);
        }
        fire_due(loop);
    }
    return TEKHO_OK;
}

void tekho_loop_stats(const struct tekho_loop *loop, struct tekho_loop_stats *out)
{
    *out = loop->stats;
}
