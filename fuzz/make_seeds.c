/* Seeds each fuzz target's corpus from the encoders: every sample message
 * (tests/samples.c) goes to the target whose decoder reads it, and each air
 * one in the testbed's air datagrams too (fuzz_air).
 * usage: make_seeds CORPUS_DIR   (writes CORPUS_DIR/<target>/<name>-<n>) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "air.h"
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

/* fuzz_air: every air sample as an UL_PDU and a DL_PDU datagram of the
 * testbed's air link, and one DL_OFFER, UL_DELIVERED and BEACON. */
static int write_air_seeds(const char *dir, const struct sample *s, size_t n)
{
    static const uint8_t payload[TEKHO_AIR_PAYLOAD_LEN] = {'T', 'K', 'H', 'O', 0, 0, 0, 3, 1, 0, 0, 0, 42};
    static const uint8_t zero = 0;
    uint8_t d[TEKHO_AIR_MAX_LEN];
    size_t len = 0, written = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].kind != SAMPLE_AIR)
            continue;
        for (int dl = 0; dl < 2; dl++) {
            const struct tekho_air_msg m = {.type = dl ? TEKHO_AIR_DL_PDU : TEKHO_AIR_UL_PDU, .sender = (uint16_t)dl,
                                            .frame = 1000 + (uint32_t)i, .ms = 3, .body = s[i].pdu,
                                            .body_len = s[i].pdu_len};
            if (tekho_air_encode(&m, d, sizeof d, &len) != TEKHO_OK)
                return 1;
            rc |= write_seed(dir, "air", s[i].name, written++, d, len);
        }
    }
    const struct tekho_air_msg own[3] = {
        {.type = TEKHO_AIR_DL_OFFER, .frame = 7, .ms = 3, .due_us = 123456789, .body = payload,
         .body_len = sizeof payload},
        {.type = TEKHO_AIR_UL_DELIVERED, .sender = 2, .frame = 7, .ms = 3, .body = payload, .body_len = sizeof payload},
        {.type = TEKHO_AIR_BEACON, .sender = 1, .frame = 7, .body = &zero, .body_len = 1},
    };
    for (int k = 0; k < 3; k++) {
        if (tekho_air_encode(&own[k], d, sizeof d, &len) != TEKHO_OK)
            return 1;
        rc |= write_seed(dir, "air", tekho_air_type_name(own[k].type), written++, d, len);
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
    rc |= write_air_seeds(argv[1], s, n);
    return rc;
}
