#include "fields.h"

#include <stdarg.h>
#include <string.h>

void fields_init(struct fields *f, bool json, char *buf, size_t cap)
{
    memset(f, 0, sizeof *f);
    f->json = json;
    f->buf = buf;
    f->cap = cap;
    if (cap)
        buf[0] = '\0';
}

static void put(struct fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct fields *f, const char *fmt, ...)
{
    if (f->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->buf + f->len, f->cap - f->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= f->cap - f->len) {
        f->overflow = true;
        f->buf[f->len] = '\0';
        return;
    }
    f->len += (size_t)n;
}

static void member(struct fields *f, const char *name)
{
    const bool in_array = f->is_array[f->depth];
    if (f->count[f->depth]++)
        put(f, f->json ? ", " : " ");
    if (in_array)
        return;
    if (f->json)
        put(f, "\"%s\": ", name);
    else
        put(f, "%s=", name);
}

void fields_u(struct fields *f, const char *name, uint64_t v)
{
    member(f, name);
    put(f, "%llu", (unsigned long long)v);
}

void fields_hex(struct fields *f, const char *name, const uint8_t *p, size_t n)
{
    member(f, name);
    if (f->json)
        put(f, "\"");
    for (size_t i = 0; i < n; i++)
        put(f, "%02x", p[i]);
    if (f->json)
        put(f, "\"");
}

void fields_mac(struct fields *f, const char *name, const uint8_t p[6])
{
    member(f, name);
    put(f, f->json ? "\"%02x:%02x:%02x:%02x:%02x:%02x\"" : "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3],
        p[4], p[5]);
}

void fields_str(struct fields *f, const char *name, const char *s)
{
    member(f, name);
    if (!f->json) {
        put(f, "%s", s);
        return;
    }
    put(f, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            put(f, "\\%c", *c);
        else if ((unsigned char)*c < 0x20)
            put(f, "\\u%04x", (unsigned char)*c);
        else
            put(f, "%c", *c);
    }
    put(f, "\"");
}

void fields_bool(struct fields *f, const char *name, bool v)
{
    member(f, name);
    put(f, "%s", v ? "true" : "false");
}

static void open_level(struct fields *f, const char *name, bool array)
{
    member(f, name);
    put(f, array ? "[" : (f->json ? "{" : "{"));
    if (f->depth + 1 < FIELDS_MAX_DEPTH) {
        f->depth++;
        f->count[f->depth] = 0;
        f->is_array[f->depth] = array;
    } else {
        f->overflow = true;
    }
}

void fields_begin_object(struct fields *f, const char *name)
{
    open_level(f, name, false);
}

void fields_begin_array(struct fields *f, const char *name)
{
    open_level(f, name, true);
}

void fields_end_object(struct fields *f)
{
    put(f, "}");
    if (f->depth > 0)
        f->depth--;
}

void fields_end_array(struct fields *f)
{
    put(f, "]");
    if (f->depth > 0)
        f->depth--;
}

const char *fields_text(const struct fields *f)
{
    return f->overflow ? "" : f->buf;
}
