/* The daemons' event loop: one per process, one thread, no thread per
 * socket. Real monotonic time in, timers out, as the sans-I/O roles expect.
 *
 * epoll waits on the caller's descriptors, one timerfd and one signalfd:
 * - the timerfd is armed (TFD_TIMER_ABSTIME, CLOCK_MONOTONIC) at the
 *   earliest of the loop's timers, which live in a binary heap: inserting
 *   and cancelling are O(log n), so tens of thousands of role timers (an
 *   msd of 1,000 terminals) cost little;
 * - the signals asked for are blocked (pthread_sigmask) and read from the
 *   signalfd, so a signal is an ordinary event and no handler runs inside
 *   an arbitrary function.
 *
 * Time is tekho_loop_now_us: CLOCK_MONOTONIC in microseconds, the clock
 * the roles' now_us and at_us are on. Timers with the same deadline fire in
 * the order they were set. A timer fires once; each firing reports how
 * late it was (the BS's 5 ms frame-timing error counter is built on it).
 *
 * Callbacks may add, change and cancel timers and descriptors, the one
 * firing included, and may call tekho_loop_stop. A descriptor removed by a
 * callback gets no further callback from the same wakeup; a timer set by a
 * callback for a time already past fires in a later round, after the
 * descriptors that are ready, so a timer that keeps setting itself for
 * "now" cannot starve them.
 *
 * Internal to the daemons (libtekho_daemon, not installed); errors are
 * tekho_err: invalid argument, no memory, I/O (a system call failed, errno
 * kept). Not thread-safe: one loop, one thread. */
#ifndef TEKHO_DAEMON_LOOP_H
#define TEKHO_DAEMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "tekho/error.h"

struct tekho_loop;

/* fd is ready: events is what epoll reported (EPOLLIN, EPOLLOUT, EPOLLERR,
 * EPOLLHUP ...). */
typedef void (*tekho_loop_fd_fn)(struct tekho_loop *loop, int fd, uint32_t events, void *ctx);
/* Timer id is due; late_us is how long after its deadline it fired (now -
 * at_us, 0 if on time). */
typedef void (*tekho_loop_timer_fn)(struct tekho_loop *loop, uint64_t id, uint64_t late_us, void *ctx);
typedef void (*tekho_loop_signal_fn)(struct tekho_loop *loop, int signo, void *ctx);
/* Called for every timer that fires, before its callback: a loop-wide
 * observer of lateness (a metrics histogram). */
typedef void (*tekho_loop_lateness_fn)(void *ctx, uint64_t at_us, uint64_t late_us);

/* The loop's counters since tekho_loop_new. */
struct tekho_loop_stats {
    uint64_t timers_fired;
    uint64_t timers_pending;     /* set and neither fired nor cancelled */
    uint64_t late_max_us;        /* the latest firing */
    uint64_t late_total_us;      /* sum over every firing: the mean is late_total_us / timers_fired */
    uint64_t wakeups;            /* epoll_wait returns */
};

TEKHO_NODISCARD tekho_err tekho_loop_new(struct tekho_loop **out);
/* Closes the loop's own descriptors (epoll, timerfd, signalfd), not the
 * caller's; unblocks the signals tekho_loop_on_signal blocked. NULL: nothing. */
void tekho_loop_free(struct tekho_loop *loop);

/* CLOCK_MONOTONIC in microseconds, read now. */
uint64_t tekho_loop_now_us(const struct tekho_loop *loop);

/* Watches fd (the caller's, still theirs to close: del_fd first) for
 * events (EPOLLIN, EPOLLOUT, ...; level-triggered unless EPOLLET is
 * given). Errors: invalid argument (NULL cb, a negative fd, an fd already
 * watched), I/O (epoll_ctl refused it: a regular file, a closed fd). */
TEKHO_NODISCARD tekho_err tekho_loop_add_fd(struct tekho_loop *loop, int fd, uint32_t events, tekho_loop_fd_fn cb,
                                            void *ctx);
/* Changes the events of a watched fd. Errors: invalid argument (not watched), I/O. */
TEKHO_NODISCARD tekho_err tekho_loop_mod_fd(struct tekho_loop *loop, int fd, uint32_t events);
/* Stops watching fd (before the caller closes it). Errors: invalid argument (not watched). */
TEKHO_NODISCARD tekho_err tekho_loop_del_fd(struct tekho_loop *loop, int fd);

/* A timer at at_us (tekho_loop_now_us's clock; a time already past fires
 * at once). *id (may be NULL) names it for tekho_loop_timer_cancel; ids are
 * never 0 and never reused by this loop. Errors: invalid argument (NULL
 * cb), no memory. */
TEKHO_NODISCARD tekho_err tekho_loop_timer_at(struct tekho_loop *loop, uint64_t at_us, tekho_loop_timer_fn cb,
                                              void *ctx, uint64_t *id);
/* Cancels a pending timer: true if it was pending, false if id fired
 * already, was cancelled or never existed (0 included): cancelling is
 * always safe. */
bool tekho_loop_timer_cancel(struct tekho_loop *loop, uint64_t id);
/* The deadline of a pending timer into *at_us; false if it is not pending. */
bool tekho_loop_timer_pending(const struct tekho_loop *loop, uint64_t id, uint64_t *at_us);

/* Blocks signo in this thread and calls cb when it arrives (several
 * arrivals between two wakeups may be one call, as with any signal).
 * cb NULL: no callback, the signal stays blocked (ignored). Errors: invalid
 * argument (signo not a signal, or SIGKILL/SIGSTOP), I/O. */
TEKHO_NODISCARD tekho_err tekho_loop_on_signal(struct tekho_loop *loop, int signo, tekho_loop_signal_fn cb,
                                               void *ctx);

/* Every timer firing is also reported to fn (NULL: none). */
void tekho_loop_on_lateness(struct tekho_loop *loop, tekho_loop_lateness_fn fn, void *ctx);

/* Runs until tekho_loop_stop: TEKHO_OK then. Errors: I/O (epoll_wait or a
 * read of the loop's own descriptors failed). A loop may run again after
 * it stopped. */
TEKHO_NODISCARD tekho_err tekho_loop_run(struct tekho_loop *loop);
/* Makes tekho_loop_run return once the callback running now returns;
 * nothing else of that wakeup is dispatched. */
void tekho_loop_stop(struct tekho_loop *loop);

void tekho_loop_stats(const struct tekho_loop *loop, struct tekho_loop_stats *out);

#endif
