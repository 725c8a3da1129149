/* Explorer case files: `key value` header lines, then the decision stream
 * in hex, 32 bytes a line. Text, so a committed case diffs and reads well. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/explore.h"

void tekho_explore_case_params(const struct tekho_explore_case *c, struct tekho_explore_params *p)
{
    tekho_explore_params_default(p);
    p->scheme = c->scheme;
    p->seed = c->run_seed;
    p->runs = 1;
    p->steps = c->steps;
    p->fixed_bs = c->fixed_bs;
    p->fixed_ms = c->fixed_ms;
    p->faults_off = c->faults_off;
    p->schedule = c->schedule;
}

tekho_err tekho_explore_case_write(const char *path, const struct tekho_explore_case *c, const char *comment)
{
    if (path == NULL || c == NULL || (c->bytes == NULL && c->len != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return TEKHO_ERR_IO;
    fprintf(f, "# tekho explore case: tekho explore --replay FILE\n");
    if (comment != NULL) {
        /* One comment line per line of the text. */
        const char *p = comment;
        while (*p) {
            const char *nl = strchr(p, '\n');
            const int n = nl ? (int)(nl - p) : (int)strlen(p);
            fprintf(f, "# %.*s\n", n, p);
            p += n + (nl != NULL);
        }
    }
    fprintf(f, "format %u\nscheme %s\nseed %llu\nsteps %llu\nbs %u\nms %u\nfaults-off %u\n",
            c->schedule ? c->schedule : TEKHO_XP_SCHEDULE, tekho_scheme_name(c->scheme),
            (unsigned long long)c->run_seed, (unsigned long long)c->steps, c->fixed_bs, c->fixed_ms, c->faults_off);
    if (c->expect == TEKHO_XP_NONE)
        fprintf(f, "outcome clean\n");
    else
        fprintf(f, "outcome violation:%s\n", tekho_xp_invariant_name(c->expect));
    fprintf(f, "bytes %zu\n", c->len);
    for (size_t i = 0; i < c->len; i++)
        fprintf(f, "%02x%s", c->bytes[i], (i % 32 == 31 || i + 1 == c->len) ? "\n" : "");
    const int bad = ferror(f);
    return fclose(f) != 0 || bad ? TEKHO_ERR_IO : TEKHO_OK;
}

static int nibble(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

#define CASE_MAX_BYTES (64u << 20)

tekho_err tekho_explore_case_read(const char *path, struct tekho_explore_case *c)
{
    if (path == NULL || c == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memset(c, 0, sizeof *c);
    c->schedule = 1; /* a file without a format line predates the others */
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return TEKHO_ERR_IO;
    char line[512];
    bool have_scheme = false, have_outcome = false, have_bytes = false;
    size_t want = 0;
    tekho_err err = TEKHO_OK;
    while (err == TEKHO_OK && !have_bytes && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char key[32], value[256];
        if (sscanf(line, "%31s %255s", key, value) != 2) {
            err = TEKHO_ERR_BAD_VALUE;
            break;
        }
        char *end = NULL;
        errno = 0;
        const unsigned long long num = strtoull(value, &end, 10);
        const bool is_num = errno == 0 && end && *end == '\0';
        if (strcmp(key, "format") == 0) {
            if (!is_num || num < 1 || num > TEKHO_XP_SCHEDULE)
                err = TEKHO_ERR_BAD_VALUE;
            else
                c->schedule = (unsigned)num;
        } else if (strcmp(key, "scheme") == 0) {
            err = tekho_scheme_parse(value, &c->scheme);
            have_scheme = err == TEKHO_OK;
        } else if (strcmp(key, "outcome") == 0) {
            have_outcome = true;
            if (strcmp(value, "clean") == 0)
                c->expect = TEKHO_XP_NONE;
            else if (strncmp(value, "violation:", 10) == 0)
                err = tekho_xp_invariant_parse(value + 10, &c->expect);
            else
                err = TEKHO_ERR_BAD_VALUE;
        } else if (!is_num) {
            err = TEKHO_ERR_BAD_VALUE;
        } else if (strcmp(key, "seed") == 0) {
            c->run_seed = num;
        } else if (strcmp(key, "steps") == 0) {
            c->steps = num;
        } else if (strcmp(key, "bs") == 0) {
            c->fixed_bs = (unsigned)num;
        } else if (strcmp(key, "ms") == 0) {
            c->fixed_ms = (unsigned)num;
        } else if (strcmp(key, "faults-off") == 0) {
            c->faults_off = (uint32_t)num;
        } else if (strcmp(key, "bytes") == 0) {
            if (num > CASE_MAX_BYTES)
                err = TEKHO_ERR_BAD_VALUE;
            want = (size_t)num;
            have_bytes = true;
        } else {
            err = TEKHO_ERR_BAD_VALUE;
        }
    }
    if (err == TEKHO_OK && (!have_scheme || !have_outcome || !have_bytes))
        err = TEKHO_ERR_BAD_VALUE;
    if (err == TEKHO_OK) {
        c->bytes = malloc(want ? want : 1);
        if (c->bytes == NULL)
            err = TEKHO_ERR_NO_MEMORY;
    }
    int hi = -1, ch;
    while (err == TEKHO_OK && (ch = fgetc(f)) != EOF) {
        if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t')
            continue;
        const int v = nibble(ch);
        if (v < 0 || (hi < 0 && c->len == want)) {
            err = TEKHO_ERR_BAD_VALUE;
        } else if (hi < 0) {
            hi = v;
        } else {
            c->bytes[c->len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (err == TEKHO_OK && (hi >= 0 || c->len != want))
        err = TEKHO_ERR_BAD_VALUE;
    if (ferror(f) && err == TEKHO_OK)
        err = TEKHO_ERR_IO;
    fclose(f);
    if (err != TEKHO_OK)
        tekho_explore_case_free(c);
    return err;
}

void tekho_explore_case_free(struct tekho_explore_case *c)
{
    if (c == NULL)
        return;
    free(c->bytes);
    c->bytes = NULL;
    c->len = 0;
}
