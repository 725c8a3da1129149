/* The daemons' logs: one JSON object per line, on standard error unless
 * told otherwise,
 *
 *   {"ts":"2026-12-01T05:40:00.123456Z","level":"info","proc":"bsd/bs-3","msg":"handover","ms":17,"late_us":212}
 *
 * ts is UTC (CLOCK_REALTIME) to the microsecond; then level, proc (the
 * process, as tekho_log_init was told) and msg; then the fields in the
 * order given. Strings are escaped as JSON requires (quote, backslash,
 * control characters as \n, \t, ... or \u00XX) and bytes that are not
 * UTF-8 become U+FFFD, so every line is valid JSON whatever a peer sent;
 * a string longer than TEKHO_LOG_STR_MAX bytes is cut there and ends in
 * "...". A double that is not finite is written as null.
 *
 * No key is ever logged: fields are scalars (integers, doubles, booleans)
 * and NUL-terminated text; there is no field type for bytes, no hex dump
 * and no (pointer, length) argument, so key material has no way in short
 * of someone formatting it into a string by hand. Never do that.
 *
 * Each line goes out in one write(2) (atomic on a pipe up to PIPE_BUF, and
 * never interleaved with another thread's stdio). One thread per struct
 * tekho_log. */
#ifndef TEKHO_DAEMON_LOG_H
#define TEKHO_DAEMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/error.h"

enum tekho_log_level { TEKHO_LOG_DEBUG, TEKHO_LOG_INFO, TEKHO_LOG_WARN, TEKHO_LOG_ERROR };

#define TEKHO_LOG_PROC_MAX 96
#define TEKHO_LOG_STR_MAX 4096

struct tekho_log {
    int fd;                        /* where lines go: 2 (stderr) by default */
    enum tekho_log_level min;      /* lines below it are dropped */
    char proc[TEKHO_LOG_PROC_MAX]; /* "bsd/bs-3" */
    char *buf;                     /* the line being built, reused */
    size_t cap;
    uint64_t dropped;              /* lines a write failed to emit whole */
};

enum tekho_log_type { TEKHO_LOG_T_STR, TEKHO_LOG_T_INT, TEKHO_LOG_T_UINT, TEKHO_LOG_T_DOUBLE, TEKHO_LOG_T_BOOL };

/* One field; key is a program constant (snake_case), not data. */
struct tekho_log_field {
    const char *key;
    enum tekho_log_type type;
    union {
        const char *s;     /* NULL is written as null */
        int64_t i;
        uint64_t u;
        double d;
        bool b;
    } v;
};

#define TEKHO_LOG_STR(k, x) ((struct tekho_log_field){.key = (k), .type = TEKHO_LOG_T_STR, .v.s = (x)})
#define TEKHO_LOG_INT(k, x) ((struct tekho_log_field){.key = (k), .type = TEKHO_LOG_T_INT, .v.i = (int64_t)(x)})
#define TEKHO_LOG_UINT(k, x) ((struct tekho_log_field){.key = (k), .type = TEKHO_LOG_T_UINT, .v.u = (uint64_t)(x)})
#define TEKHO_LOG_DOUBLE(k, x) ((struct tekho_log_field){.key = (k), .type = TEKHO_LOG_T_DOUBLE, .v.d = (double)(x)})
#define TEKHO_LOG_BOOL(k, x) ((struct tekho_log_field){.key = (k), .type = TEKHO_LOG_T_BOOL, .v.b = (x)})

/* Writes to fd (2 for standard error) lines at min and above, with proc
 * (cut to TEKHO_LOG_PROC_MAX - 1 bytes). Errors: invalid argument (NULL
 * log or proc, a negative fd). */
TEKHO_NODISCARD tekho_err tekho_log_init(struct tekho_log *log, int fd, const char *proc, enum tekho_log_level min);
/* Frees the line buffer; the fd stays open (it is the caller's). */
void tekho_log_close(struct tekho_log *log);

/* "debug", "info", "warn", "error" into *out. Errors: invalid argument. */
TEKHO_NODISCARD tekho_err tekho_log_level_parse(const char *name, enum tekho_log_level *out);
const char *tekho_log_level_name(enum tekho_log_level level);

/* One line: msg and the n fields (fields may be NULL when n is 0). A line
 * that cannot be written is counted in log->dropped: there is nothing else
 * a daemon could do about a log it cannot write. */
void tekho_log_fields(struct tekho_log *log, enum tekho_log_level level, const char *msg,
                      const struct tekho_log_field *fields, size_t n);
/* One line without fields. */
void tekho_log_msg(struct tekho_log *log, enum tekho_log_level level, const char *msg);

/* TEKHO_LOG(log, TEKHO_LOG_INFO, "handover", TEKHO_LOG_UINT("ms", 17), TEKHO_LOG_STR("outcome", "completed")):
 * one or more fields; tekho_log_msg for none. */
#define TEKHO_LOG(log, level, msg, ...)                                                                               \
    tekho_log_fields((log), (level), (msg), (const struct tekho_log_field[]){__VA_ARGS__},                            \
                     sizeof((const struct tekho_log_field[]){__VA_ARGS__}) / sizeof(struct tekho_log_field))

/* Appends value to buf as a JSON string (quoted, escaped, non-UTF-8 bytes as
 * U+FFFD, at most max input bytes then "..."). Returns the bytes written, or
 * 0 without writing anything if cap is too small (6 * max + 8 is always
 * enough). For other JSON writers of the daemons. */
size_t tekho_log_json_string(char *buf, size_t cap, const char *value, size_t max);

#endif
