/* json_check: is standard input valid JSON (RFC 8259)? For the command
 * line tests, which must not depend on python or jq being installed.
 * usage: json_check        one JSON value (surrounding whitespace allowed)
 *        json_check -l     JSON Lines: every non-empty line one JSON value
 *        json_check -p PATH...  one JSON value, then each PATH's value as
 *                          it is written, one a line: PATH is object keys
 *                          and array indices (from 0) joined by '.'
 *                          (points.0.schemes.counter.handovers.executed)
 * Exit 0 if valid (and every PATH found); 1 with the offset and what was
 * expected, or the PATH not found, on stderr. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len, at;
    const char *error;
    int depth;
};

static void ws(struct parser *p)
{
    while (p->at < p->len && strchr(" \t\r\n", p->s[p->at]) != NULL && p->s[p->at] != '\0')
        p->at++;
}

static bool fail(struct parser *p, const char *what)
{
    if (p->error == NULL)
        p->error = what;
    return false;
}

static bool lit(struct parser *p, const char *word)
{
    const size_t n = strlen(word);
    if (p->len - p->at < n || memcmp(p->s + p->at, word, n) != 0)
        return fail(p, "a value");
    p->at += n;
    return true;
}

static bool hex4(struct parser *p)
{
    for (int i = 0; i < 4; i++, p->at++)
        if (p->at >= p->len || strchr("0123456789abcdefABCDEF", p->s[p->at]) == NULL || p->s[p->at] == '\0')
            return fail(p, "four hex digits after \\u");
    return true;
}

static bool string(struct parser *p)
{
    if (p->at >= p->len || p->s[p->at] != '"')
        return fail(p, "a string");
    p->at++;
    while (p->at < p->len) {
        const unsigned char c = (unsigned char)p->s[p->at++];
        if (c == '"')
            return true;
        if (c < 0x20)
            return fail(p, "no control character in a string");
        if (c == '\\') {
            if (p->at >= p->len)
                break;
            const char e = p->s[p->at++];
            if (e == 'u') {
                if (!hex4(p))
                    return false;
            } else if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
                return fail(p, "a valid escape");
            }
        }
    }
    return fail(p, "the end of a string");
}

static bool digits(struct parser *p)
{
    const size_t start = p->at;
    while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
        p->at++;
    return p->at > start;
}

static bool number(struct parser *p)
{
    if (p->at < p->len && p->s[p->at] == '-')
        p->at++;
    if (p->at < p->len && p->s[p->at] == '0')
        p->at++;
    else if (!digits(p))
        return fail(p, "a number");
    if (p->at < p->len && p->s[p->at] == '.') {
        p->at++;
        if (!digits(p))
            return fail(p, "digits after '.'");
    }
    if (p->at < p->len && (p->s[p->at] == 'e' || p->s[p->at] == 'E')) {
        p->at++;
        if (p->at < p->len && (p->s[p->at] == '+' || p->s[p->at] == '-'))
            p->at++;
        if (!digits(p))
            return fail(p, "exponent digits");
    }
    return true;
}

static bool value(struct parser *p);

static bool members(struct parser *p, char close, bool object)
{
    p->at++;
    if (++p->depth > 512)
        return fail(p, "less nesting");
    ws(p);
    if (p->at < p->len && p->s[p->at] == close) {
        p->at++;
        p->depth--;
        return true;
    }
    for (;;) {
        ws(p);
        if (object) {
            if (!string(p))
                return false;
            ws(p);
            if (p->at >= p->len || p->s[p->at] != ':')
                return fail(p, "':'");
            p->at++;
        }
        if (!value(p))
            return false;
        ws(p);
        if (p->at < p->len && p->s[p->at] == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->len && p->s[p->at] == close) {
            p->at++;
            p->depth--;
            return true;
        }
        return fail(p, object ? "',' or '}'" : "',' or ']'");
    }
}

static bool value(struct parser *p)
{
    ws(p);
    if (p->at >= p->len)
        return fail(p, "a value");
    switch (p->s[p->at]) {
    case '{': return members(p, '}', true);
    case '[': return members(p, ']', false);
    case '"': return string(p);
    case 't': return lit(p, "true");
    case 'f': return lit(p, "false");
    case 'n': return lit(p, "null");
    default: return number(p);
    }
}

/* The value at path in the valid document s[0..len): its start and end. */
static bool find(const char *s, size_t len, const char *path, size_t *start, size_t *end)
{
    struct parser p = {.s = s, .len = len};
    ws(&p);
    while (*path) {
        const size_t seg = strcspn(path, ".");
        if (p.at < len && s[p.at] == '{') {
            p.at++;
            for (;;) {
                ws(&p);
                if (p.at >= len || s[p.at] != '"')
                    return false;
                const size_t key = p.at + 1;
                if (!string(&p))
                    return false;
                const bool match = p.at - 1 - key == seg && memcmp(s + key, path, seg) == 0;
                ws(&p);
                p.at++; /* ':' */
                ws(&p);
                if (match)
                    break;
                if (!value(&p))
                    return false;
                ws(&p);
                if (p.at >= len || s[p.at] != ',')
                    return false;
                p.at++;
            }
        } else if (p.at < len && s[p.at] == '[') {
            char *stop = NULL;
            const unsigned long index = strtoul(path, &stop, 10);
            if (stop != path + seg)
                return false;
            p.at++;
            for (unsigned long i = 0; i < index; i++) {
                ws(&p);
                if (p.at >= len || s[p.at] == ']' || !value(&p))
                    return false;
                ws(&p);
                if (p.at >= len || s[p.at] != ',')
                    return false;
                p.at++;
            }
            ws(&p);
            if (p.at >= len || s[p.at] == ']')
                return false;
        } else {
            return false;
        }
        path += seg + (path[seg] == '.');
    }
    *start = p.at;
    if (!value(&p))
        return false;
    *end = p.at;
    return true;
}

/* One JSON value and nothing after it but whitespace. */
static bool document(const char *s, size_t len, size_t *where, const char **what)
{
    struct parser p = {.s = s, .len = len};
    bool ok = value(&p);
    if (ok) {
        ws(&p);
        ok = p.at == p.len || fail(&p, "the end of the input");
    }
    *where = p.at;
    *what = p.error;
    return ok;
}

int main(int argc, char **argv)
{
    const bool lines = argc == 2 && strcmp(argv[1], "-l") == 0;
    const bool paths = argc >= 3 && strcmp(argv[1], "-p") == 0;
    if ((argc > 2 && !paths) || (argc == 2 && !lines)) {
        fprintf(stderr, "usage: json_check [-l | -p PATH...] < input\n");
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (size_t got; buf != NULL && (got = fread(buf + len, 1, cap - len, stdin)) > 0;) {
        len += got;
        if (len == cap) {
            char *more = realloc(buf, cap *= 2);
            if (more == NULL)
                free(buf);
            buf = more;
        }
    }
    if (buf == NULL) {
        fprintf(stderr, "json_check: out of memory\n");
        return 2;
    }
    size_t where = 0, n = 0;
    const char *what = NULL;
    bool ok = true;
    if (!lines) {
        ok = document(buf, len, &where, &what);
    } else {
        for (size_t start = 0, line = 1; ok && start < len; line++) {
            const char *nl = memchr(buf + start, '\n', len - start);
            const size_t end = nl ? (size_t)(nl - buf) : len;
            size_t i = start;
            while (i < end && strchr(" \t\r", buf[i]) != NULL)
                i++;
            if (i < end) {
                n++;
                ok = document(buf + start, end - start, &where, &what);
                if (!ok)
                    where += start, fprintf(stderr, "json_check: line %zu: ", line);
            }
            start = end + 1;
        }
        if (ok && n == 0)
            ok = false, what = "at least one line";
    }
    if (!ok)
        fprintf(stderr, "json_check: at byte %zu: expected %s\n", where, what ? what : "valid JSON");
    for (int i = 2; ok && paths && i < argc; i++) {
        size_t start = 0, end = 0;
        ok = find(buf, len, argv[i], &start, &end);
        if (ok)
            printf("%.*s\n", (int)(end - start), buf + start);
        else
            fprintf(stderr, "json_check: no %s\n", argv[i]);
    }
    free(buf);
    return ok ? 0 : 1;
}
