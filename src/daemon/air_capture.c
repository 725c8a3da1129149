/* air_capture.h */
#include "air_capture.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/capture.h"

struct pending {
    uint64_t t;
    uint64_t seq; /* the order they came in: equal times keep it */
    uint8_t *pdu;
    size_t len;
};

struct tekho_air_capture {
    struct tekho_capture_writer *w;
    FILE *tsv;
    struct pending *q; /* sorted by (t, seq) */
    size_t n, cap;
    uint64_t seq;
    unsigned long errors;
    char first_error[160];
};

static void lost(struct tekho_air_capture *c, const char *what)
{
    if (c->errors++ == 0)
        snprintf(c->first_error, sizeof c->first_error, "%s", what);
}

tekho_err tekho_air_capture_open(const char *dir, const char *analyze_args, struct tekho_air_capture **out,
                                 char *why, size_t cap)
{
    if (dir == NULL || analyze_args == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_air_capture *c = calloc(1, sizeof *c);
    if (c == NULL)
        return TEKHO_ERR_NO_MEMORY;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/air.pcap", dir) >= (int)sizeof path) {
        snprintf(why, cap, "%s: name too long", dir);
        free(c);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    if (tekho_capture_open(path, TEKHO_CAPTURE_AIR, &c->w) != TEKHO_OK) {
        snprintf(why, cap, "%s", c->w != NULL ? tekho_capture_writer_error(c->w) : "out of memory");
        tekho_capture_close(c->w);
        free(c);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    snprintf(path, sizeof path, "%s/analyze-args", dir);
    FILE *args = fopen(path, "w");
    const bool args_ok = args != NULL && fprintf(args, "%s\n", analyze_args) >= 0;
    if (args == NULL || fclose(args) != 0 || !args_ok) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        tekho_capture_close(c->w);
        free(c);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    snprintf(path, sizeof path, "%s/interruptions.tsv", dir);
    c->tsv = fopen(path, "w");
    if (c->tsv == NULL || fputs("# ms\tleft_s\tdir\tinterruption_ms\n", c->tsv) == EOF) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        if (c->tsv != NULL)
            fclose(c->tsv);
        tekho_capture_close(c->w);
        free(c);
        return TEKHO_ERR_INVALID_ARGUMENT;
    }
    *out = c;
    return TEKHO_OK;
}

/* Writes every record earlier than t. */
static void flush_before(struct tekho_air_capture *c, uint64_t t)
{
    size_t k = 0;
    for (; k < c->n && c->q[k].t < t; k++) {
        if (tekho_capture_write_air(c->w, c->q[k].t, c->q[k].pdu, c->q[k].len) != TEKHO_OK)
            lost(c, tekho_capture_writer_error(c->w));
        free(c->q[k].pdu);
    }
    if (k > 0) {
        memmove(c->q, c->q + k, (c->n - k) * sizeof *c->q);
        c->n -= k;
    }
}

static void queue(struct tekho_air_capture *c, uint64_t t, const uint8_t *pdu, size_t len)
{
    if (c->n == c->cap) {
        const size_t cap = c->cap ? 2 * c->cap : 256;
        struct pending *q = realloc(c->q, cap * sizeof *q);
        if (q == NULL) {
            lost(c, "out of memory");
            return;
        }
        c->q = q;
        c->cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (copy == NULL) {
        lost(c, "out of memory");
        return;
    }
    memcpy(copy, pdu, len);
    /* after every record at t or earlier: most come in order, so from the end */
    size_t at = c->n;
    while (at > 0 && c->q[at - 1].t > t)
        at--;
    memmove(c->q + at + 1, c->q + at, (c->n - at) * sizeof *c->q);
    c->q[at] = (struct pending){.t = t, .seq = c->seq++, .pdu = copy, .len = len};
    c->n++;
}

void tekho_air_capture_pdu(struct tekho_air_capture *c, uint64_t not_before_us, uint64_t first_us,
                           unsigned transmissions, uint64_t retx_us, const uint8_t *pdu, size_t len)
{
    if (c == NULL || pdu == NULL || len == 0)
        return;
    flush_before(c, not_before_us);
    for (unsigned k = 0; k < transmissions; k++)
        queue(c, first_us + k * retx_us, pdu, len);
}

void tekho_air_capture_interruption(struct tekho_air_capture *c, const uint8_t mac[6], uint64_t left_us, int dir,
                                    uint64_t at_us)
{
    if (c == NULL)
        return;
    if (fprintf(c->tsv, "%02x:%02x:%02x:%02x:%02x:%02x\t%llu.%06llu\t%s\t%.3f\n", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5], (unsigned long long)(left_us / 1000000), (unsigned long long)(left_us % 1000000),
                dir ? "dl" : "ul", (double)(at_us - left_us) / 1000.0) < 0)
        lost(c, "interruptions.tsv: cannot write");
}

unsigned long tekho_air_capture_errors(const struct tekho_air_capture *c)
{
    return c ? c->errors : 0;
}

tekho_err tekho_air_capture_close(struct tekho_air_capture *c, uint64_t until_us, char *why, size_t cap)
{
    if (c == NULL)
        return TEKHO_OK;
    flush_before(c, until_us < UINT64_MAX ? until_us + 1 : UINT64_MAX);
    for (size_t k = 0; k < c->n; k++)
        free(c->q[k].pdu);
    free(c->q);
    if (tekho_capture_close(c->w) != TEKHO_OK)
        lost(c, "air.pcap: the last write failed");
    if (fclose(c->tsv) != 0)
        lost(c, "interruptions.tsv: the last write failed");
    const unsigned long errors = c->errors;
    if (errors)
        snprintf(why, cap, "%lu records or lines lost, the first: %s", errors, c->first_error);
    free(c);
    return errors ? TEKHO_ERR_INVALID_ARGUMENT : TEKHO_OK;
}
