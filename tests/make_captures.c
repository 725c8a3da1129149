/* Writes the interop captures: DIR/air.pcap and DIR/backbone.pcap with one
 * realistic instance of every message type (tests/samples.c), and
 * DIR/corrupt.pcap with four broken air PDUs, in this order: a bad CMAC
 * (RNG-REQ), a bad ICV (data), a bad HCS, a bad CRC.
 * usage: make_captures DIR */
#include <stdio.h>
#include <string.h>

#include "samples.h"
#include "tekho/capture.h"
#include "tekho/tekho.h"

static int write_all(const char *dir, const char *file, enum tekho_capture_kind kind, const struct sample *s,
                     size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct tekho_capture_writer *w = NULL;
    tekho_err err = tekho_capture_open(path, kind, &w);
    uint64_t t = 1764288000000000u; /* 2025-11-28, 10 ms apart */
    for (size_t i = 0; i < n && err == TEKHO_OK; i++, t += 10000) {
        if ((s[i].kind == SAMPLE_AIR) != (kind == TEKHO_CAPTURE_AIR))
            continue;
        err = kind == TEKHO_CAPTURE_AIR
                  ? tekho_capture_write_air(w, t, s[i].pdu, s[i].pdu_len)
                  : tekho_capture_write_backbone(w, t, s[i].src_node, s[i].dst_node, s[i].pdu, s[i].pdu_len);
    }
    if (err != TEKHO_OK)
        fprintf(stderr, "make_captures: %s: %s (%s)\n", path, tekho_strerror(err), tekho_capture_writer_error(w));
    tekho_err close_err = tekho_capture_close(w);
    return err == TEKHO_OK && close_err == TEKHO_OK ? 0 : 1;
}


static const struct sample *find(const struct sample *s, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return &s[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_captures DIR\n");
        return 2;
    }
    static struct sample s[SAMPLES_MAX];
    const size_t n = samples_build(s, SAMPLES_MAX);
    if (n == 0) {
        fprintf(stderr, "make_captures: building the samples failed\n");
        return 1;
    }
    int rc = write_all(argv[1], "air.pcap", TEKHO_CAPTURE_AIR, s, n) |
             write_all(argv[1], "backbone.pcap", TEKHO_CAPTURE_BACKBONE, s, n);

    static struct sample bad[4];
    const struct sample *rng_req = find(s, n, "RNG-REQ"), *data = find(s, n, "Data");
    if (rng_req == NULL || data == NULL)
        return 1;
    bad[0] = *rng_req;
    bad[0].pdu[bad[0].pdu_len - 5] ^= 0x01; /* last byte of the CMAC value */
    bad[1] = *data;
    bad[1].pdu[12] ^= 0x01; /* ciphertext */
    if (tekho_pdu_put_crc(bad[0].pdu, bad[0].pdu_len) != TEKHO_OK ||
        tekho_pdu_put_crc(bad[1].pdu, bad[1].pdu_len) != TEKHO_OK)
        return 1;
    bad[2] = *rng_req;
    bad[2].pdu[5] ^= 0x01; /* HCS */
    bad[3] = *rng_req;
    bad[3].pdu[bad[3].pdu_len - 1] ^= 0x01; /* CRC */
    rc |= write_all(argv[1], "corrupt.pcap", TEKHO_CAPTURE_AIR, bad, 4);
    return rc;
}
