/* msd --pcap's writer (src/daemon/air_capture.h): records handed over out
 * of order (a DL PDU a frame in the past, HARQ copies in the future) come
 * out of DIR/air.pcap in time order, each copy retx_us after the last,
 * none written before nothing earlier can come, and none after the time
 * the run stopped; DIR/interruptions.tsv and DIR/analyze-args hold what
 * was measured and the options given. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "air_capture.h"
#include "tekho/capture.h"
#include "test_util.h"

struct rec {
    uint64_t t;
    uint8_t first;
    size_t len;
};

static size_t read_all(const char *path, struct rec *out, size_t cap)
{
    struct tekho_capture_reader *r = NULL;
    size_t n = 0;
    CHECK_ERR(tekho_capture_read_open(path, &r), TEKHO_OK);
    CHECK(tekho_capture_reader_linktype(r) == TEKHO_CAPTURE_LINKTYPE_AIR);
    for (;;) {
        struct tekho_capture_record rec;
        bool got = false;
        CHECK_ERR(tekho_capture_next(r, &rec, &got), TEKHO_OK);
        if (!got)
            break;
        if (n < cap)
            out[n] = (struct rec){.t = rec.time_us, .first = rec.len ? rec.data[0] : 0, .len = rec.len};
        n++;
    }
    tekho_capture_read_close(r);
    return n;
}

static void test_order(const char *dir)
{
    struct tekho_air_capture *c = NULL;
    char why[256] = "";
    CHECK_ERR(tekho_air_capture_open(dir, "--frame-us 5000 --dl-percent 60", &c, why, sizeof why), TEKHO_OK);
    const uint64_t base = 1700000000000000u, f = 5000;
    /* byte 0 names each PDU; 'A' sent twice (a HARQ retransmission 2 frames later) */
    static const uint8_t A[2] = {'A', 1}, B[3] = {'B', 2, 2}, C[1] = {'C'}, D[1] = {'D'}, E[1] = {'E'};
    tekho_air_capture_pdu(c, base - f, base, 2, 2 * f, A, sizeof A);     /* A at base, base + 10 ms */
    tekho_air_capture_pdu(c, base + 3000 - f, base + 3000 - f, 1, 2 * f, B, sizeof B); /* a DL: a frame back */
    tekho_air_capture_pdu(c, base + 4 * f - f, base + 4 * f, 1, 2 * f, C, sizeof C); /* writes A, B, A's copy */
    uint8_t mac[6] = {2, 0x74, 0x6b, 0, 0, 7};
    tekho_air_capture_interruption(c, mac, base + 1500, 0, base + 1500 + 16500);
    tekho_air_capture_interruption(c, mac, base + 1500, 1, base + 1500 + 24000);
    tekho_air_capture_pdu(c, base + 5 * f - f, base + 5 * f, 3, 2 * f, D, sizeof D); /* D, D + 10, D + 20 ms */
    tekho_air_capture_pdu(c, base + 5 * f - f, base + 5 * f + 1, 1, 0, E, sizeof E);
    CHECK(tekho_air_capture_errors(c) == 0);
    /* the run stops at D's second copy: the third never went out */
    CHECK_ERR(tekho_air_capture_close(c, base + 7 * f, why, sizeof why), TEKHO_OK);

    char path[512];
    snprintf(path, sizeof path, "%s/air.pcap", dir);
    struct rec r[16];
    const size_t n = read_all(path, r, 16);
    const struct rec want[] = {{base, 'A', 2},         {base + 3000 - f, 'B', 3}, {base + 2 * f, 'A', 2},
                               {base + 4 * f, 'C', 1}, {base + 5 * f, 'D', 1},    {base + 5 * f + 1, 'E', 1},
                               {base + 7 * f, 'D', 1}};
    CHECK(n == sizeof want / sizeof want[0]);
    /* B's time is before A's: it came later, but in time order it is first */
    const struct rec sorted[] = {want[1], want[0], want[2], want[3], want[4], want[5], want[6]};
    for (size_t i = 0; i < n && i < sizeof sorted / sizeof sorted[0]; i++) {
        CHECK(r[i].t == sorted[i].t);
        CHECK(r[i].first == sorted[i].first);
        CHECK(r[i].len == sorted[i].len);
    }

    snprintf(path, sizeof path, "%s/interruptions.tsv", dir);
    FILE *tsv = fopen(path, "r");
    CHECK(tsv != NULL);
    char text[512] = "";
    const size_t got = tsv ? fread(text, 1, sizeof text - 1, tsv) : 0;
    text[got] = '\0';
    if (tsv)
        fclose(tsv);
    CHECK(strcmp(text, "# ms\tleft_s\tdir\tinterruption_ms\n"
                       "02:74:6b:00:00:07\t1700000000.001500\tul\t16.500\n"
                       "02:74:6b:00:00:07\t1700000000.001500\tdl\t24.000\n") == 0);
    snprintf(path, sizeof path, "%s/analyze-args", dir);
    FILE *args = fopen(path, "r");
    CHECK(args != NULL);
    const size_t got_args = args ? fread(text, 1, sizeof text - 1, args) : 0;
    text[got_args] = '\0';
    if (args)
        fclose(args);
    CHECK(strcmp(text, "--frame-us 5000 --dl-percent 60\n") == 0);
}

/* A directory that is not there: refused, with the reason. */
static void test_refused(const char *dir)
{
    struct tekho_air_capture *c = NULL;
    char why[512] = "", missing[512];
    snprintf(missing, sizeof missing, "%s/no/such/dir", dir);
    CHECK_ERR(tekho_air_capture_open(missing, "", &c, why, sizeof why), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK(strstr(why, "air.pcap") != NULL);
    CHECK_ERR(tekho_air_capture_open(dir, NULL, &c, why, sizeof why), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_air_capture_close(NULL, 0, why, sizeof why), TEKHO_OK);
}

int main(void)
{
    char dir[] = "/tmp/test_air_capture.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_order(dir);
    test_refused(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return test_summary("test_air_capture");
}
