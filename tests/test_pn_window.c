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
    /* The ring is sized for the window: 4 words (256 PNs) inline up to 192,
     * on the heap beyond. A jump of exactly the ring lands on the word of
     * the old PNs, which must be cleared, not inherited. */
    {17, "a jump of exactly a 4-word ring", 128, {{99, OK}, {100, OK}, {357, OK}, {355, OK}, {356, OK}, {357, REPLAY}}},
    {18, "largest inline window", 192, {{1000, OK}, {809, OK}, {808, BELOW}, {809, REPLAY}, {1192, OK}, {1001, OK}, {1000, BELOW}}},
    {19, "smallest window on the heap", 193, {{1000, OK}, {808, OK}, {807, BELOW}, {808, REPLAY}, {1192, OK}, {1000, REPLAY}, {999, BELOW}}},
    {20, "a jump of exactly an 8-word ring", 193, {{99, OK}, {100, OK}, {613, OK}, {611, OK}, {612, OK}, {613, REPLAY}}},
};

/* Two windows hold the same state: fields and ring words (the ring may be
 * on the heap, where comparing the structs compares pointers). */
static const uint64_t *ring_of(const struct tekho_pn_window *w)
{
    return w->words > TEKHO_PN_WINDOW_INLINE_WORDS ? w->ring.heap : w->ring.in;
}

static bool same_window(const struct tekho_pn_window *a, const struct tekho_pn_window *b)
{
    return a->highest == b->highest && a->size == b->size && a->words == b->words &&
           memcmp(ring_of(a), ring_of(b), a->words * sizeof(uint64_t)) == 0;
}

static void run_row(const struct row *r)
{
    struct tekho_pn_window w, before;
    CHECK_ERR(tekho_pn_window_init(&w, r->size), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_init(&before, r->size), TEKHO_OK);
    for (int s = 0; s < MAX_STEPS; s++) {
        const struct step *st = &r->steps[s];
        if (st->pn == 0 && st->want == OK)
            break;
        CHECK_ERR(tekho_pn_window_copy(&before, &w), TEKHO_OK);
        tekho_err got = tekho_pn_window_check(&w, st->pn);
        if (got != st->want) {
            fprintf(stderr, "FAIL row %d (%s) step %d: pn %u gave %s, want %s\n", r->no, r->what, s + 1,
                    (unsigned)st->pn, tekho_strerror(got), tekho_strerror(st->want));
            test_failures++;
        }
        /* check() never changes the window; commit() of a rejected PN is a no-op. */
        CHECK(same_window(&before, &w));
        tekho_pn_window_commit(&w, st->pn);
        if (got != OK)
            CHECK(same_window(&before, &w));
        else
            CHECK(tekho_pn_window_check(&w, st->pn) == REPLAY);
    }
    tekho_pn_window_cleanup(&w);
    tekho_pn_window_cleanup(&before);
}

/* The ring's size follows the window; a copy has a ring of its own. */
static void test_ring_and_copy(void)
{
    static const struct {
        uint16_t size, words;
    } SIZES[] = {{1, 2}, {64, 2}, {65, 4}, {0, 4}, {128, 4}, {192, 4}, {193, 8}, {448, 8}, {449, 16}, {2048, 64}};
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
        struct tekho_pn_window w;
        CHECK_ERR(tekho_pn_window_init(&w, SIZES[i].size), TEKHO_OK);
        CHECK(w.words == SIZES[i].words && w.size == (SIZES[i].size ? SIZES[i].size : TEKHO_PN_WINDOW_DEFAULT));
        tekho_pn_window_cleanup(&w);
        CHECK(w.words == 0 && w.size == 0 && w.highest == 0);
    }
    struct tekho_pn_window big, small, copy;
    memset(&copy, 0, sizeof copy);
    CHECK_ERR(tekho_pn_window_init(&big, 2048), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_init(&small, 64), TEKHO_OK);
    for (uint32_t pn = 1; pn <= 3000; pn += 3)
        tekho_pn_window_commit(&big, pn);
    tekho_pn_window_commit(&small, 7);
    /* Into a zeroed window, then over a small one and a large one again. */
    CHECK_ERR(tekho_pn_window_copy(&copy, &big), TEKHO_OK);
    CHECK(same_window(&copy, &big) && copy.ring.heap != big.ring.heap);
    CHECK(big.highest == 2998);
    tekho_pn_window_commit(&big, 2997); /* the copy does not see it */
    CHECK_ERR(tekho_pn_window_check(&copy, 2997), TEKHO_OK);
    CHECK_ERR(tekho_pn_window_check(&big, 2997), REPLAY);
    CHECK_ERR(tekho_pn_window_copy(&copy, &small), TEKHO_OK);
    CHECK(same_window(&copy, &small));
    CHECK_ERR(tekho_pn_window_check(&copy, 7), REPLAY);
    CHECK_ERR(tekho_pn_window_copy(&copy, &big), TEKHO_OK);
    CHECK(same_window(&copy, &big));
    CHECK_ERR(tekho_pn_window_copy(&copy, &copy), TEKHO_OK);
    CHECK(same_window(&copy, &big));
    CHECK_ERR(tekho_pn_window_copy(NULL, &big), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pn_window_copy(&copy, NULL), TEKHO_ERR_INVALID_ARGUMENT);
    /* Every PN of the large window's span is as it was committed. */
    for (uint32_t pn = 2998 - 2047; pn <= 2998; pn++)
        CHECK_ERR(tekho_pn_window_check(&copy, pn), ((pn - 1) % 3 == 0 || pn == 2997) ? REPLAY : OK);
    CHECK_ERR(tekho_pn_window_check(&copy, 2998 - 2048), BELOW);
    tekho_pn_window_cleanup(&copy);
    tekho_pn_window_cleanup(&big);
    tekho_pn_window_cleanup(&small);
    tekho_pn_window_cleanup(NULL);
}

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        run_row(&ROWS[i]);
    test_ring_and_copy();
    struct tekho_pn_window w;
    CHECK_ERR(tekho_pn_window_init(&w, TEKHO_PN_WINDOW_MAX + 1), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_pn_window_init(&w, TEKHO_PN_WINDOW_MAX), TEKHO_OK);
    tekho_pn_window_cleanup(&w);
    return test_summary("test_pn_window");
}
