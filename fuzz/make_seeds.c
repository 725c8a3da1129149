/* Seeds each fuzz target's corpus from the encoders: every sample message
 * (tests/samples.c) goes to the target whose decoder reads it.
 * usage: make_seeds CORPUS_DIR   (writes CORPUS_DIR/<target>/<name>-<n>) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "samples.h"
#include "tekho/capture.h"
#include "tekho/explore.h"

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

/* fuzz_roles: clean explorer runs on one MS and two BSs, each scheme, as
 * decision streams behind the target's two header bytes (scheme, faults off). */
static int write_roles_seeds(const char *dir)
{
    int rc = 0;
    for (int s = 0; s < TEKHO_SCHEME_COUNT; s++) {
        unsigned written = 0;
        for (uint64_t seed = 1; seed < 200 && written < 4; seed++) {
            struct tekho_explore_params p;
            tekho_explore_params_default(&p);
            p.scheme = (enum tekho_scheme)s;
            p.seed = seed;
            p.fixed_bs = 2;
            p.fixed_ms = 1;
            p.steps = 300;
            p.faults_off = seed % 2 ? 0x28u : 0x2Cu;
            struct tekho_explore_outcome o;
            uint8_t *bytes = NULL;
            size_t len = 0;
            if (tekho_explore_generate(&p, &o, &bytes, &len) != TEKHO_OK)
                return 1;
            if (o.invariant == TEKHO_XP_NONE && len < 4000) {
                uint8_t input[4096];
                input[0] = (uint8_t)s;
                input[1] = (uint8_t)p.faults_off;
                memcpy(input + 2, bytes, len);
                char name[32];
                snprintf(name, sizeof name, "%s-seed%llu", tekho_scheme_name(p.scheme), (unsigned long long)seed);
                rc |= write_seed(dir, "roles", name, written++, input, len + 2);
            }
            free(bytes);
        }
    }
    return rc;
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
    rc |= write_roles_seeds(argv[1]);
    return rc;
}
