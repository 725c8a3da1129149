/*
 * Tests for src/crypto/crc.c: check values, vectors from an independent
 * implementation, and fast path == portable path over many lengths and
 * misalignments.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"

static int failures;

#define CHECK_EQ(what, got, want)                                          \
    do {                                                                   \
        unsigned long g_ = (unsigned long)(got);                           \
        unsigned long w_ = (unsigned long)(want);                          \
        if (g_ != w_) {                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: got 0x%08lX, want 0x%08lX\n", \
                    __FILE__, __LINE__, (what), g_, w_);                   \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* Fixed-seed xorshift32 so failures are reproducible. */
static uint32_t rng_state = 0x9E3779B9u;

static uint32_t xorshift32(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

#define BIG 65537
static uint8_t buf[BIG + 64];

static void fill_pattern(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31u + 7u);
}

static void test_check_values(void)
{
    static const uint8_t check[] = "123456789";

    CHECK_EQ("crc8 check", tekho_crc8_hcs(check, 9), 0xF4);
    CHECK_EQ("crc32 check", tekho_crc32_bzip2(check, 9), 0xFC891918u);
    CHECK_EQ("crc32 portable check", tekho_crc32_bzip2_portable(check, 9),
             0xFC891918u);
    CHECK_EQ("crc8 empty", tekho_crc8_hcs(NULL, 0), 0x00);
    CHECK_EQ("crc32 empty", tekho_crc32_bzip2(NULL, 0), 0x00000000u);
    CHECK_EQ("crc32 portable empty", tekho_crc32_bzip2_portable(NULL, 0),
             0x00000000u);
}

/*
 * Expected values below were computed offline with a separate Python
 * bit-at-a-time implementation of CRC-32/BZIP2 and CRC-8/SMBUS (python3
 * has no CRC-32/BZIP2 builtin), not with the code under test.
 */
static void test_known_vectors(void)
{
    static const struct {
        const char *s;
        uint32_t crc32;
        uint8_t crc8;
    } strs[] = {
        { "a", 0x19939B6Bu, 0x20 },
        { "The quick brown fox jumps over the lazy dog", 0x459DEE61u, 0xC1 },
    };
    /* Data is fill_pattern(): byte i = (i * 31 + 7) mod 256. */
    static const struct {
        size_t n;
        uint32_t crc32;
        uint8_t crc8;
    } pats[] = {
        { 1, 0xAFB0104Eu, 0x15 },     { 15, 0x960C035Bu, 0xE2 },
        { 16, 0xB5FCCB36u, 0xA6 },    { 63, 0x3ED668A1u, 0x4F },
        { 64, 0x58049767u, 0xBB },    { 65, 0xA832A168u, 0x73 },
        { 127, 0xA79F3E64u, 0x79 },   { 128, 0x4B0C096Fu, 0x77 },
        { 255, 0xA38E612Au, 0xF3 },   { 1518, 0xEECE5AB8u, 0xEE },
        { 4096, 0x9B431222u, 0xD2 },  { 65537, 0x606EB20Au, 0x38 },
    };
    size_t i;

    for (i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const uint8_t *d = (const uint8_t *)strs[i].s;
        size_t n = strlen(strs[i].s);
        CHECK_EQ(strs[i].s, tekho_crc32_bzip2(d, n), strs[i].crc32);
        CHECK_EQ(strs[i].s, tekho_crc32_bzip2_portable(d, n), strs[i].crc32);
        CHECK_EQ(strs[i].s, tekho_crc8_hcs(d, n), strs[i].crc8);
    }

    fill_pattern(buf, BIG);
    for (i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "pattern len %zu", pats[i].n);
        CHECK_EQ(what, tekho_crc32_bzip2(buf, pats[i].n), pats[i].crc32);
        CHECK_EQ(what, tekho_crc32_bzip2_portable(buf, pats[i].n),
                 pats[i].crc32);
        CHECK_EQ(what, tekho_crc8_hcs(buf, pats[i].n), pats[i].crc8);
    }

    /* All-zero and all-one inputs catch init/xorout mistakes. */
    memset(buf, 0x00, 1518);
    CHECK_EQ("zeros 64", tekho_crc32_bzip2(buf, 64), 0x6CC6B1AEu);
    CHECK_EQ("zeros 1518", tekho_crc32_bzip2(buf, 1518), 0xEAE7F5FEu);
    memset(buf, 0xFF, 1518);
    CHECK_EQ("ones 64", tekho_crc32_bzip2(buf, 64), 0x5DE186F0u);
    CHECK_EQ("ones 1518", tekho_crc32_bzip2(buf, 1518), 0x0DB806B9u);
}

static void test_fast_vs_portable(void)
{
    static const size_t offsets[] = { 0, 1, 2, 3, 5, 7, 8, 13, 15, 16, 31 };
    size_t i, off, n;

    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)xorshift32();

    for (off = 0; off < sizeof offsets / sizeof offsets[0]; off++) {
        const uint8_t *d = buf + offsets[off];
        for (n = 0; n <= 2048; n++) {
            uint32_t fast = tekho_crc32_bzip2(d, n);
            uint32_t port = tekho_crc32_bzip2_portable(d, n);
            if (fast != port) {
                fprintf(stderr,
                        "FAIL fast/portable mismatch: offset %zu len %zu: "
                        "0x%08lX vs 0x%08lX\n",
                        offsets[off], n, (unsigned long)fast,
                        (unsigned long)port);
                failures++;
                return;
            }
        }
    }
    CHECK_EQ("fast vs portable 65537",
             tekho_crc32_bzip2(buf + 3, BIG),
             tekho_crc32_bzip2_portable(buf + 3, BIG));
}

static void test_streaming(void)
{
    static const size_t splits[] = { 0, 1, 7, 63, 64, 65, 200, 1000, 2047 };
    const size_t n = 2048;
    uint32_t want = tekho_crc32_bzip2(buf, n);
    size_t i, j;

    for (i = 0; i < sizeof splits / sizeof splits[0]; i++) {
        uint32_t s = TEKHO_CRC32_BZIP2_INIT;
        s = tekho_crc32_bzip2_update(s, buf, splits[i]);
        s = tekho_crc32_bzip2_update(s, buf + splits[i], n - splits[i]);
        CHECK_EQ("streaming split", s ^ TEKHO_CRC32_BZIP2_XOROUT, want);
    }

    /* Irregular chunk sizes mixing the short and the folding paths. */
    {
        uint32_t s = TEKHO_CRC32_BZIP2_INIT;
        for (i = 0, j = 0; i < n; i += j) {
            j = 1 + xorshift32() % 300;
            if (j > n - i)
                j = n - i;
            s = tekho_crc32_bzip2_update(s, buf + i, j);
        }
        CHECK_EQ("streaming random chunks", s ^ TEKHO_CRC32_BZIP2_XOROUT,
                 want);
    }
}

int main(void)
{
    test_check_values();
    test_known_vectors();
    test_fast_vs_portable();
    test_streaming();
    if (failures) {
        fprintf(stderr, "test_crc: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_crc: all passed\n");
    return 0;
}
