/* Seeds each fuzz target's corpus from the encoders: every sample message
 * (tests/samples.c) goes to the target whose decoder reads it.
 * usage: make_seeds CORPUS_DIR   (writes CORPUS_DIR/<target>/<name>-<n>) */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "samples.h"
#include "tekho/capture.h"

static int write_seed(const char *dir, const char *target, const char *name, size_t index, const uint8_t *p,
                      size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, target);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/seed-%s-%zu", dir, target, name, index);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 1;
    const int bad = fwrite(p, 1, n, f) != n;
    return fclose(f) != 0 || bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    static struct sample s[SAMPLES_MAX];
    const size_t n = samples_build(s, SAMPLES_MAX);
    int rc = n == 0;
    for (size_t i = 0; i < n; i++) {
        rc |= write_seed(argv[1], s[i].fuzz_target, s[i].name, i, s[i].msg, s[i].msg_len);
        if (s[i].kind == SAMPLE_AIR) {
            rc |= write_seed(argv[1], "mac_pdu", s[i].name, i, s[i].pdu, s[i].pdu_len);
            /* the TLV part of a management message: after type and a reserved byte */
            if (s[i].msg_len > 2)
                rc |= write_seed(argv[1], "tlv", s[i].name, i, s[i].msg + 2, s[i].msg_len - 2);
        } else {
            uint8_t frame[2048];
            size_t len = 0;
            if (tekho_udp_frame_build(s[i].src_node, s[i].dst_node, s[i].msg, s[i].msg_len, frame, sizeof frame,
                                      &len) == TEKHO_OK)
                rc |= write_seed(argv[1], "udp_frame", s[i].name, i, frame, len);
        }
    }
    return rc;
}
