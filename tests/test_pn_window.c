/* The PN replay window as a numbered table of edge cases (the habit of
 * WireGuard's selftest/counter.c). Each row starts from a fresh window of
 * the given size and feeds PNs in order; an accepted PN is committed, as a
 * receiver does once the PDU's ICV has verified. */
#include <string.h>

#include "tekho/tek.h"
#include "test_util.h"

#define MAX_STEPS 8
#define OK TEKHO_OK
#define REPLAY TEKHO_ERR_PN_REPLAYED
#define BELOW TEKHO_ERR_PN_BELOW_WINDOW
#define INVALID TEKHO_ERR_PN_INVALID

struct step {
    uint32_t pn;
    tekho_err want;
};

struct row {
    int no;
    const char *what;
    uint16_t size;
    struct step steps[MAX_STEPS]; /* ends at the first pn 0 with want OK */
};

static const struct row ROWS[] = {
    {1, "first PN is accepted", 128, {{1, OK}}},
    {2, "duplicate of the highest", 128, {{1, OK}, {1, REPLAY}}},
    {3, "PN 0 is never valid (counters start at 1)", 128, {{0, INVALID}}},
    {4, "a PN with the direction bit is not a counter", 128, {{0x80000001u, INVALID}}},
    {5, "in order", 128, {{1, OK}, {2, OK}, {3, OK}, {4, OK}}},
    {6, "out of order inside the window, then a duplicate", 128, {{5, OK}, {3, OK}, {4, OK}, {3, REPLAY}, {5, REPLAY}}},
    {7, "just inside and just below the window", 128, {{200, OK}, {73, OK}, {72, BELOW}, {73, REPLAY}}},
    {8, "slide: the old edge falls out", 128, {{1, OK}, {129, OK}, {1, BELOW}, {2, OK}, {2, REPLAY}}},
    {9, "far ahead to the counter limit", 128,
     {{1, OK}, {0x7FFFFFFFu, OK}, {0x7FFFFFFFu, REPLAY}, {0x7FFFFFFFu - 127, OK}, {0x7FFFFFFFu - 128, BELOW}, {1, BELOW}}},
    {10, "a jump of exactly the ring size does not inherit stale bits", 128,
     {{99, OK}, {100, OK}, {4196, OK}, {4195, OK}, {4196, REPLAY}}},
    {11, "a jump of many rings clears everything", 2048, {{7, OK}, {7 + 3 * 4096, OK}, {7 + 2 * 4096 + 4090, OK}}},
    {12, "window of one: only new highs", 1, {{5, OK}, {4, BELOW}, {5, REPLAY}, {6, OK}}},
    {13, "largest window", 2048, {{3000, OK}, {953, OK}, {952, BELOW}, {953, REPLAY}}},
    {14, "word boundaries", 128, {{63, OK}, {64, OK}, {65, OK}, {127, OK}, {128, OK}, {64, REPLAY}, {66, OK}}},
    {15, "size 0 means the default window", 0, {{500, OK}, {500 - TEKHO_PN_WINDOW_DEFAULT + 1, OK}, {500 - TEKHO_PN_WINDOW_DEFAULT, BELOW}}},
    {16, "a rejected PN leaves the window as it was", 128, {{10, OK}, {10, REPLAY}, {11, OK}, {9, OK}}},
};

static void run_row(const struct row *r)
{
    struct tekho_pn_window w;
    CHECK_ERR(tekho_pn_window_init(&w, r->size), TEKHO_OK);
    for (int s = 0; s < MAX_STEPS; s++) {
        const struct step *st = &r->steps[s];
        if (st->pn == 0 && st->want == OK)
            break;
        struct tekho_pn_window before;
        memcpy(&before, &w, sizeof w);
        tekho_err got = tekho_pn_window_check(&w, st->pn);
        if (got != st->want) {
            fprintf(stderr, "FAIL row %d (%s) step %d: pn %u gave %s, want %s\n", r->no, r->what, s + 1,
                    (unsigned)st->pn, tekho_strerror(got), tekho_strerror(st->want));
            test_failures++;
        }
        /* check() never changes the window; commit() of a rejected PN is a no-op. */
        CHECK(memcmp(&before, &w, sizeof w) == 0);
        tekho_pn_window_commit(&w, st->pn);
        if (got != OK)
            CHECK(memcmp(&before, &w, sizeof w) == 0);
        else
            CHECK(tekho_pn_window_check(&w, st->pn) == REPLAY);
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        run_row(&ROWS[i]);
    struct tekho_pn_window w;
    CHECK_ERR(tekho_pn_window_init(&w, TEKHO_PN_WINDOW_MAX + 1), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pn_window_init(&w, TEKHO_PN_WINDOW_MAX), TEKHO_OK);
    return test_summary("test_pn_window");
}
