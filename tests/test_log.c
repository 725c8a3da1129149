/* The daemons' JSON logs (src/daemon/log.h): every line read back from a
 * pipe is parsed by a strict JSON parser here (RFC 8259: no control
 * characters in strings, valid UTF-8, escapes decoded), and the decoded
 * values are compared with what was logged: escaping of quotes,
 * backslashes and control characters, non-UTF-8 bytes as U+FFFD (overlong
 * forms, surrogates, code points past U+10FFFF), long strings cut, typed
 * fields, the level filter and the timestamp's form. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "test_util.h"

/* ---- a strict parser for one flat JSON object ---- */

#define MAX_MEMBERS 16

struct member {
    char key[64];
    char type;          /* 's' string, 'n' number, 't' true, 'f' false, 'z' null */
    char *str;          /* decoded string (UTF-8), or the number's text */
};

struct object {
    struct member m[MAX_MEMBERS];
    int n;
};

struct jp {
    const char *s;
    size_t at, len;
};

static void put_utf8(char **out, unsigned cp)
{
    char *o = *out;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *out = o;
}

/* A valid UTF-8 sequence at s? Its length, else 0 (the checker's own
 * rules, written apart from log.c's). */
static size_t valid_utf8(const unsigned char *s, size_t n)
{
    unsigned cp;
    size_t len;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static char *parse_string(struct jp *p)
{
    if (p->at >= p->len || p->s[p->at] != '"')
        return NULL;
    p->at++;
    char *out = malloc(p->len + 1), *o = out;
    if (out == NULL)
        return NULL;
    while (p->at < p->len) {
        const unsigned char c = (unsigned char)p->s[p->at];
        if (c == '"') {
            p->at++;
            *o = '\0';
            return out;
        }
        if (c < 0x20)
            break;
        if (c == '\\') {
            if (++p->at >= p->len)
                break;
            const char e = p->s[p->at++];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *hit = strchr(from, e);
            if (e != 'u' && hit != NULL && e != '\0') {
                *o++ = to[hit - from];
                continue;
            }
            if (e != 'u' || p->len - p->at < 4)
                break;
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                const char h = p->s[p->at++];
                const char *digits = "0123456789abcdef", *d = strchr(digits, h);
                const char *D = strchr("0123456789ABCDEF", h);
                if (h == '\0' || (d == NULL && D == NULL))
                    goto bad;
                cp = cp << 4 | (unsigned)(d ? d - digits : D - "0123456789ABCDEF");
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                goto bad; /* log.c never writes surrogates */
            put_utf8(&o, cp);
            continue;
        }
        const size_t len = valid_utf8((const unsigned char *)p->s + p->at, p->len - p->at);
        if (len == 0)
            break;
        memcpy(o, p->s + p->at, len);
        o += len;
        p->at += len;
    }
bad:
    free(out);
    return NULL;
}

static bool parse_number(struct jp *p, struct member *m)
{
    const size_t start = p->at;
    if (p->at < p->len && p->s[p->at] == '-')
        p->at++;
    if (p->at >= p->len)
        return false;
    if (p->s[p->at] == '0') {
        p->at++;
    } else if (p->s[p->at] >= '1' && p->s[p->at] <= '9') {
        while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
            p->at++;
    } else {
        return false;
    }
    if (p->at < p->len && p->s[p->at] == '.') {
        p->at++;
        const size_t d = p->at;
        while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
            p->at++;
        if (p->at == d)
            return false;
    }
    if (p->at < p->len && (p->s[p->at] == 'e' || p->s[p->at] == 'E')) {
        p->at++;
        if (p->at < p->len && (p->s[p->at] == '+' || p->s[p->at] == '-'))
            p->at++;
        const size_t d = p->at;
        while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
            p->at++;
        if (p->at == d)
            return false;
    }
    m->type = 'n';
    m->str = malloc(p->at - start + 1);
    if (m->str == NULL)
        return false;
    memcpy(m->str, p->s + start, p->at - start);
    m->str[p->at - start] = '\0';
    return true;
}

static void object_free(struct object *o)
{
    for (int i = 0; i < o->n; i++)
        free(o->m[i].str);
    o->n = 0;
}

/* One line (without its newline): exactly one object, no whitespace (log.c
 * writes none), members in order. */
static bool parse_object(const char *line, size_t len, struct object *o)
{
    struct jp p = {line, 0, len};
    o->n = 0;
    if (len < 2 || line[0] != '{')
        return false;
    p.at = 1;
    for (;;) {
        if (o->n == MAX_MEMBERS)
            goto bad;
        struct member *m = &o->m[o->n];
        memset(m, 0, sizeof *m);
        char *key = parse_string(&p);
        if (key == NULL || strlen(key) >= sizeof m->key) {
            free(key);
            goto bad;
        }
        strcpy(m->key, key);
        free(key);
        if (p.at >= p.len || line[p.at++] != ':')
            goto bad;
        if (p.at < p.len && line[p.at] == '"') {
            m->type = 's';
            if ((m->str = parse_string(&p)) == NULL)
                goto bad;
        } else if (p.len - p.at >= 4 && memcmp(line + p.at, "true", 4) == 0) {
            m->type = 't';
            p.at += 4;
        } else if (p.len - p.at >= 5 && memcmp(line + p.at, "false", 5) == 0) {
            m->type = 'f';
            p.at += 5;
        } else if (p.len - p.at >= 4 && memcmp(line + p.at, "null", 4) == 0) {
            m->type = 'z';
            p.at += 4;
        } else if (!parse_number(&p, m)) {
            goto bad;
        }
        o->n++;
        if (p.at >= p.len)
            goto bad;
        const char c = line[p.at++];
        if (c == '}')
            return p.at == p.len;
        if (c != ',')
            goto bad;
    }
bad:
    object_free(o);
    return false;
}

static const struct member *member(const struct object *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->m[i].key, key) == 0)
            return &o->m[i];
    return NULL;
}

/* ---- reading what was logged ---- */

struct capture {
    int rd;
    struct tekho_log log;
    char buf[65536];
    size_t len;
};

static void capture_open(struct capture *c, enum tekho_log_level min)
{
    int p[2];
    CHECK(pipe(p) == 0);
    c->rd = p[0];
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    CHECK_ERR(tekho_log_init(&c->log, p[1], "bsd/bs-3", min), TEKHO_OK);
    c->len = 0;
}

/* Everything written so far. */
static const char *capture_read(struct capture *c)
{
    for (;;) {
        const ssize_t n = read(c->rd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (n <= 0)
            break;
        c->len += (size_t)n;
    }
    c->buf[c->len] = '\0';
    return c->buf;
}

static void capture_close(struct capture *c)
{
    close(c->log.fd);
    close(c->rd);
    tekho_log_close(&c->log);
}

/* The one line logged since the last call, parsed. */
static bool one_line(struct capture *c, struct object *o)
{
    c->len = 0;
    const char *text = capture_read(c);
    const char *nl = strchr(text, '\n');
    CHECK(nl != NULL && nl[1] == '\0');
    if (nl == NULL || nl[1] != '\0')
        return false;
    const bool ok = parse_object(text, (size_t)(nl - text), o);
    if (!ok)
        fprintf(stderr, "not strict JSON: %s", text);
    CHECK(ok);
    return ok;
}

/* ---- the tests ---- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void test_line(void)
{
    struct capture c;
    capture_open(&c, TEKHO_LOG_DEBUG);
    const time_t before = time(NULL);
    TEKHO_LOG(&c.log, TEKHO_LOG_INFO, "handover", TEKHO_LOG_UINT("ms", 17), TEKHO_LOG_STR("outcome", "completed"),
              TEKHO_LOG_INT("delta", -3), TEKHO_LOG_DOUBLE("interruption_ms", 12.5), TEKHO_LOG_BOOL("early", true),
              TEKHO_LOG_BOOL("resync", false), TEKHO_LOG_STR("note", NULL),
              TEKHO_LOG_UINT("big", UINT64_MAX), TEKHO_LOG_INT("small", INT64_MIN));
    struct object o;
    if (one_line(&c, &o)) {
        static const char *const keys[] = {"ts", "level", "proc", "msg", "ms", "outcome", "delta",
                                           "interruption_ms", "early", "resync", "note", "big", "small"};
        static const char types[] = "ssssnsnntfznn";
        CHECK(o.n == 13);
        for (int i = 0; i < o.n && i < 13; i++) {
            CHECK(strcmp(o.m[i].key, keys[i]) == 0);
            CHECK(o.m[i].type == types[i]);
        }
        CHECK(strcmp(member(&o, "level")->str, "info") == 0);
        CHECK(strcmp(member(&o, "proc")->str, "bsd/bs-3") == 0);
        CHECK(strcmp(member(&o, "msg")->str, "handover") == 0);
        CHECK(strcmp(member(&o, "ms")->str, "17") == 0);
        CHECK(strcmp(member(&o, "outcome")->str, "completed") == 0);
        CHECK(strcmp(member(&o, "delta")->str, "-3") == 0);
        CHECK(strcmp(member(&o, "interruption_ms")->str, "12.5") == 0);
        CHECK(strcmp(member(&o, "big")->str, "18446744073709551615") == 0);
        CHECK(strcmp(member(&o, "small")->str, "-9223372036854775808") == 0);
        /* 2026-12-01T05:40:00.123456Z: UTC, microseconds */
        const char *ts = member(&o, "ts")->str;
        CHECK(strlen(ts) == 27);
        CHECK(digits(ts, 4) && ts[4] == '-' && digits(ts + 5, 2) && ts[7] == '-' && digits(ts + 8, 2) &&
              ts[10] == 'T' && digits(ts + 11, 2) && ts[13] == ':' && digits(ts + 14, 2) && ts[16] == ':' &&
              digits(ts + 17, 2) && ts[19] == '.' && digits(ts + 20, 6) && ts[26] == 'Z');
        struct tm tm;
        gmtime_r(&before, &tm);
        char day[16];
        strftime(day, sizeof day, "%Y-%m-%dT", &tm);
        const time_t after = time(NULL);
        struct tm tm2;
        gmtime_r(&after, &tm2);
        char day2[16];
        strftime(day2, sizeof day2, "%Y-%m-%dT", &tm2);
        CHECK(strncmp(ts, day, 11) == 0 || strncmp(ts, day2, 11) == 0);
        object_free(&o);
    }
    /* the exact text, timestamp aside */
    tekho_log_msg(&c.log, TEKHO_LOG_WARN, "plain");
    c.len = 0;
    const char *text = capture_read(&c);
    CHECK(strncmp(text, "{\"ts\":\"", 7) == 0);
    CHECK(strlen(text) > 34 && strcmp(text + 34, "\",\"level\":\"warn\",\"proc\":\"bsd/bs-3\",\"msg\":\"plain\"}\n") == 0);
    capture_close(&c);
}

struct escape_case {
    const char *in, *want;
};

static void test_escaping(void)
{
    static const struct escape_case cases[] = {
        {"quote \" backslash \\ slash /", "quote \" backslash \\ slash /"},
        {"nl\ncr\rtab\tbs\bff\f", "nl\ncr\rtab\tbs\bff\f"},
        {"ctl \x01\x1f del \x7f", "ctl \x01\x1f del \x7f"},
        {"utf-8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa1", "utf-8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa1"},
        /* not UTF-8: each bad byte one U+FFFD */
        {"ff \xff!", "ff \xef\xbf\xbd!"},
        {"lone lead \xc3!", "lone lead \xef\xbf\xbd!"},
        {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
        {"overlong3 \xe0\x80\xaf", "overlong3 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"past max \xf4\x90\x80\x80", "past max \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"cut at end \xe2\x82", "cut at end \xef\xbf\xbd\xef\xbf\xbd"},
        {"", ""},
    };
    struct capture c;
    capture_open(&c, TEKHO_LOG_DEBUG);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        /* in the message, a field's value and a field's key alike */
        TEKHO_LOG(&c.log, TEKHO_LOG_ERROR, cases[k].in, TEKHO_LOG_STR("peer_said", cases[k].in),
                  TEKHO_LOG_UINT(cases[k].in, k));
        struct object o;
        if (!one_line(&c, &o))
            continue;
        CHECK(o.n == 6);
        if (o.n == 6) {
            if (strcmp(o.m[3].str, cases[k].want) != 0)
                fprintf(stderr, "case %zu: got '%s'\n", k, o.m[3].str);
            CHECK(strcmp(o.m[3].str, cases[k].want) == 0);
            CHECK(strcmp(o.m[4].str, cases[k].want) == 0);
            CHECK(strcmp(o.m[5].key, cases[k].want) == 0);
        }
        object_free(&o);
    }
    /* no raw control character or invalid byte reaches the line (the parser would refuse) and the
     * control characters are written as the short escapes or \u00XX */
    TEKHO_LOG(&c.log, TEKHO_LOG_INFO, "x", TEKHO_LOG_STR("v", "\x01\n\x7f\"\\"));
    c.len = 0;
    const char *text = capture_read(&c);
    CHECK(strstr(text, "\"v\":\"\\u0001\\n\\u007f\\\"\\\\\"}") != NULL);
    capture_close(&c);
}

static void test_long_and_proc(void)
{
    struct capture c;
    char proc[300];
    memset(proc, 'p', sizeof proc - 1);
    proc[sizeof proc - 1] = '\0';
    int p[2];
    CHECK(pipe(p) == 0);
    c.rd = p[0];
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    CHECK_ERR(tekho_log_init(&c.log, p[1], proc, TEKHO_LOG_INFO), TEKHO_OK);
    size_t n = 10000;
    char *big = malloc(n + 1);
    CHECK(big != NULL);
    if (big == NULL)
        return;
    memset(big, 'a', n);
    big[n] = '\0';
    /* a multi-byte character across the cut is not split */
    memcpy(big + TEKHO_LOG_STR_MAX - 1, "\xc3\xa9", 2);
    TEKHO_LOG(&c.log, TEKHO_LOG_INFO, "long", TEKHO_LOG_STR("v", big));
    struct object o;
    if (one_line(&c, &o)) {
        const char *v = member(&o, "v")->str;
        CHECK(strlen(v) == TEKHO_LOG_STR_MAX - 1 + 3);
        CHECK(strncmp(v, big, TEKHO_LOG_STR_MAX - 1) == 0);
        CHECK(strcmp(v + TEKHO_LOG_STR_MAX - 1, "...") == 0);
        CHECK(strlen(member(&o, "proc")->str) == TEKHO_LOG_PROC_MAX - 1);
        object_free(&o);
    }
    free(big);
    capture_close(&c);
}

static void test_numbers(void)
{
    struct capture c;
    capture_open(&c, TEKHO_LOG_DEBUG);
    TEKHO_LOG(&c.log, TEKHO_LOG_DEBUG, "numbers", TEKHO_LOG_DOUBLE("tenth", 0.1), TEKHO_LOG_DOUBLE("third", 1.0 / 3),
              TEKHO_LOG_DOUBLE("huge", 1e300), TEKHO_LOG_DOUBLE("nan", NAN), TEKHO_LOG_DOUBLE("inf", -INFINITY),
              TEKHO_LOG_DOUBLE("zero", 0.0), TEKHO_LOG_DOUBLE("neg", -2.25));
    struct object o;
    if (one_line(&c, &o)) {
        CHECK(strcmp(member(&o, "tenth")->str, "0.1") == 0);
        CHECK(strtod(member(&o, "third")->str, NULL) == 1.0 / 3);
        CHECK(strcmp(member(&o, "huge")->str, "1e+300") == 0);
        CHECK(member(&o, "nan")->type == 'z');
        CHECK(member(&o, "inf")->type == 'z');
        CHECK(strcmp(member(&o, "zero")->str, "0") == 0);
        CHECK(strcmp(member(&o, "neg")->str, "-2.25") == 0);
        object_free(&o);
    }
    capture_close(&c);
}

static void test_levels(void)
{
    struct capture c;
    capture_open(&c, TEKHO_LOG_WARN);
    tekho_log_msg(&c.log, TEKHO_LOG_DEBUG, "d");
    tekho_log_msg(&c.log, TEKHO_LOG_INFO, "i");
    tekho_log_msg(&c.log, TEKHO_LOG_WARN, "w");
    tekho_log_msg(&c.log, TEKHO_LOG_ERROR, "e");
    c.len = 0;
    const char *text = capture_read(&c);
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 2);
    CHECK(strstr(text, "\"msg\":\"w\"") != NULL && strstr(text, "\"msg\":\"e\"") != NULL);
    CHECK(strstr(text, "\"msg\":\"i\"") == NULL && strstr(text, "\"msg\":\"d\"") == NULL);
    CHECK(strstr(text, "\"level\":\"warn\"") != NULL && strstr(text, "\"level\":\"error\"") != NULL);
    capture_close(&c);

    enum tekho_log_level l = TEKHO_LOG_ERROR;
    CHECK_ERR(tekho_log_level_parse("debug", &l), TEKHO_OK);
    CHECK(l == TEKHO_LOG_DEBUG);
    CHECK_ERR(tekho_log_level_parse("warn", &l), TEKHO_OK);
    CHECK(l == TEKHO_LOG_WARN);
    CHECK_ERR(tekho_log_level_parse("warning", &l), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(tekho_log_level_name(TEKHO_LOG_ERROR), "error") == 0);
    struct tekho_log log;
    CHECK_ERR(tekho_log_init(&log, -1, "x", TEKHO_LOG_INFO), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_log_init(&log, 2, NULL, TEKHO_LOG_INFO), TEKHO_ERR_INVALID_ARGUMENT);
}

/* The lower-level writer: a buffer too small writes nothing. */
static void test_json_string(void)
{
    char buf[64];
    CHECK(tekho_log_json_string(buf, sizeof buf, "a\"b", 100) == 6 && memcmp(buf, "\"a\\\"b\"", 6) == 0);
    CHECK(tekho_log_json_string(buf, 4, "abcdef", 100) == 0);
    CHECK(tekho_log_json_string(buf, sizeof buf, "abcdef", 3) == 8 && memcmp(buf, "\"abc...\"", 8) == 0);
    const char *worst = "\x01\x01\x01\x01";
    CHECK(tekho_log_json_string(buf, 6 * 4 + 8, worst, 4) == 26);
}

int main(void)
{
    test_line();
    test_escaping();
    test_long_and_proc();
    test_numbers();
    test_levels();
    test_json_string();
    return test_summary("test_log");
}
