/* A small writer for decoded fields: one text line (name=value ...) or one
 * JSON object, nested objects and arrays included. */
#ifndef TEKHO_TOOLS_FIELDS_H
#define TEKHO_TOOLS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FIELDS_MAX_DEPTH 8

struct fields {
    bool json;
    char *buf;
    size_t cap, len;
    bool overflow;
    int depth;
    int count[FIELDS_MAX_DEPTH];  /* members written at each level */
    bool is_array[FIELDS_MAX_DEPTH];
};

void fields_init(struct fields *f, bool json, char *buf, size_t cap);
void fields_u(struct fields *f, const char *name, uint64_t v);
void fields_hex(struct fields *f, const char *name, const uint8_t *p, size_t n);
void fields_mac(struct fields *f, const char *name, const uint8_t p[6]);
void fields_str(struct fields *f, const char *name, const char *s);
void fields_bool(struct fields *f, const char *name, bool v);
/* name is ignored inside an array. */
void fields_begin_object(struct fields *f, const char *name);
void fields_end_object(struct fields *f);
void fields_begin_array(struct fields *f, const char *name);
void fields_end_array(struct fields *f);
/* The text so far ("" when it overflowed its buffer: callers size it). */
const char *fields_text(const struct fields *f);

#endif
