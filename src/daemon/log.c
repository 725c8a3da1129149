/* One JSON object per line (log.h). */
#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const LEVELS[] = {"debug", "info", "warn", "error"};

tekho_err tekho_log_init(struct tekho_log *log, int fd, const char *proc, enum tekho_log_level min)
{
    if (log == NULL || proc == NULL || fd < 0 || (unsigned)min > TEKHO_LOG_ERROR)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(log, 0, sizeof *log);
    log->fd = fd;
    log->min = min;
    snprintf(log->proc, sizeof log->proc, "%s", proc);
    return TEKHO_OK;
}

void tekho_log_close(struct tekho_log *log)
{
    if (log == NULL)
        return;
    free(log->buf);
    log->buf = NULL;
    log->cap = 0;
}

tekho_err tekho_log_level_parse(const char *name, enum tekho_log_level *out)
{
    for (size_t k = 0; name != NULL && out != NULL && k < sizeof LEVELS / sizeof LEVELS[0]; k++)
        if (strcmp(name, LEVELS[k]) == 0) {
            *out = (enum tekho_log_level)k;
            return TEKHO_OK;
        }
    return TEKHO_ERR_INVALID_ARGUMENT;
}

const char *tekho_log_level_name(enum tekho_log_level level)
{
    return (unsigned)level <= TEKHO_LOG_ERROR ? LEVELS[level] : "unknown";
}

/* The length of the UTF-8 sequence at s (n bytes left), 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    const unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

size_t tekho_log_json_string(char *buf, size_t cap, const char *value, size_t max)
{
    const unsigned char *s = (const unsigned char *)value;
    const size_t n = strlen(value);
    size_t at = 0, i = 0;
    if (cap < 2)
        return 0;
    buf[at++] = '"';
    while (i < n) {
        const size_t len = utf8_len(s + i, n - i);
        char esc[8];
        const char *out = esc;
        size_t out_len = 0;
        const size_t in_len = len ? len : 1;
        if (i + in_len > max)
            break;
        if (len == 0) {
            out = "\\ufffd";
            out_len = 6;
        } else if (len > 1) {
            out = (const char *)s + i;
            out_len = len;
        } else {
            const unsigned char c = s[i];
            switch (c) {
            case '"': out = "\\\""; out_len = 2; break;
            case '\\': out = "\\\\"; out_len = 2; break;
            case '\b': out = "\\b"; out_len = 2; break;
            case '\f': out = "\\f"; out_len = 2; break;
            case '\n': out = "\\n"; out_len = 2; break;
            case '\r': out = "\\r"; out_len = 2; break;
            case '\t': out = "\\t"; out_len = 2; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    snprintf(esc, sizeof esc, "\\u%04x", c);
                    out_len = 6;
                } else {
                    esc[0] = (char)c;
                    out_len = 1;
                }
            }
        }
        if (cap - at < out_len + 5) /* room for this, "..." and the closing quote */
            return 0;
        memcpy(buf + at, out, out_len);
        at += out_len;
        i += in_len;
    }
    if (i < n) {
        if (cap - at < 4)
            return 0;
        memcpy(buf + at, "...", 3);
        at += 3;
    }
    if (cap - at < 1)
        return 0;
    buf[at++] = '"';
    return at;
}

/* The line being built: grows log->buf. false: out of memory. */
static bool reserve(struct tekho_log *log, size_t at, size_t more)
{
    if (log->cap - at >= more)
        return true;
    size_t cap = log->cap ? log->cap : 512;
    while (cap - at < more)
        cap *= 2;
    char *b = realloc(log->buf, cap);
    if (b == NULL)
        return false;
    log->buf = b;
    log->cap = cap;
    return true;
}

static bool put_raw(struct tekho_log *log, size_t *at, const char *text, size_t len)
{
    if (!reserve(log, *at, len + 1))
        return false;
    memcpy(log->buf + *at, text, len);
    *at += len;
    return true;
}

static bool put_string(struct tekho_log *log, size_t *at, const char *value)
{
    size_t len = strlen(value);
    if (len > TEKHO_LOG_STR_MAX)
        len = TEKHO_LOG_STR_MAX;
    const size_t need = 6 * len + 8;
    if (!reserve(log, *at, need))
        return false;
    *at += tekho_log_json_string(log->buf + *at, need, value, TEKHO_LOG_STR_MAX);
    return true;
}

/* The shortest of %.15g .. %.17g that reads back as v. */
static void format_double(char *buf, size_t cap, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static bool put_field(struct tekho_log *log, size_t *at, const struct tekho_log_field *f)
{
    char num[40];
    if (!put_raw(log, at, ",", 1) || !put_string(log, at, f->key ? f->key : "") || !put_raw(log, at, ":", 1))
        return false;
    switch (f->type) {
    case TEKHO_LOG_T_STR:
        return f->v.s ? put_string(log, at, f->v.s) : put_raw(log, at, "null", 4);
    case TEKHO_LOG_T_INT:
        snprintf(num, sizeof num, "%lld", (long long)f->v.i);
        break;
    case TEKHO_LOG_T_UINT:
        snprintf(num, sizeof num, "%llu", (unsigned long long)f->v.u);
        break;
    case TEKHO_LOG_T_DOUBLE:
        if (!isfinite(f->v.d))
            snprintf(num, sizeof num, "null");
        else
            format_double(num, sizeof num, f->v.d);
        break;
    case TEKHO_LOG_T_BOOL:
        snprintf(num, sizeof num, "%s", f->v.b ? "true" : "false");
        break;
    default:
        snprintf(num, sizeof num, "null");
    }
    return put_raw(log, at, num, strlen(num));
}

static void emit(struct tekho_log *log, size_t len)
{
    size_t done = 0;
    while (done < len) {
        const ssize_t w = write(log->fd, log->buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log->dropped++;
            return;
        }
        done += (size_t)w;
    }
}

void tekho_log_fields(struct tekho_log *log, enum tekho_log_level level, const char *msg,
                      const struct tekho_log_field *fields, size_t n)
{
    if (log == NULL || level < log->min || (unsigned)level > TEKHO_LOG_ERROR)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char head[64];
    const size_t hl = strftime(head, sizeof head, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
    char frac[64];
    snprintf(frac, sizeof frac, ".%06ldZ\",\"level\":\"%s\",\"proc\":", ts.tv_nsec / 1000, LEVELS[level]);
    size_t at = 0;
    bool ok = put_raw(log, &at, head, hl) && put_raw(log, &at, frac, strlen(frac)) &&
              put_string(log, &at, log->proc) && put_raw(log, &at, ",\"msg\":", 7) &&
              put_string(log, &at, msg ? msg : "");
    for (size_t k = 0; ok && k < n; k++)
        ok = put_field(log, &at, &fields[k]);
    ok = ok && put_raw(log, &at, "}\n", 2);
    if (ok)
        emit(log, at);
    else
        log->dropped++;
}

void tekho_log_msg(struct tekho_log *log, enum tekho_log_level level, const char *msg)
{
    tekho_log_fields(log, level, msg, NULL, 0);
}
