/* flip_capture IN OUT FRAME:OFFSET...: copies the air capture IN to OUT
 * with, in each FRAME given, byte OFFSET of its first MAC PDU changed (the
 * lowest bit flipped; a negative OFFSET counts from the PDU's end, -5 is
 * the byte before a CRC-32) and, when the PDU carries a CRC-32, the CRC made
 * right again: a change only a CMAC or a CCM ICV can catch. For
 * test_decode.sh. Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tekho/capture.h"
#include "tekho/pdu.h"

#define MAX_FLIPS 8

int main(int argc, char **argv)
{
    if (argc < 4 || argc - 3 > MAX_FLIPS) {
        fprintf(stderr, "usage: flip_capture IN OUT FRAME:OFFSET... (at most %d)\n", MAX_FLIPS);
        return 1;
    }
    unsigned long frames[MAX_FLIPS];
    long offsets[MAX_FLIPS];
    const int n = argc - 3;
    for (int i = 0; i < n; i++)
        if (sscanf(argv[3 + i], "%lu:%ld", &frames[i], &offsets[i]) != 2) {
            fprintf(stderr, "flip_capture: not FRAME:OFFSET: %s\n", argv[3 + i]);
            return 1;
        }
    struct tekho_capture_reader *r = NULL;
    struct tekho_capture_writer *w = NULL;
    tekho_err err = tekho_capture_read_open(argv[1], &r);
    if (err == TEKHO_OK && tekho_capture_reader_kind(r) != TEKHO_CAPTURE_AIR)
        err = TEKHO_ERR_BAD_VALUE;
    if (err == TEKHO_OK)
        err = tekho_capture_open(argv[2], TEKHO_CAPTURE_AIR, &w);
    int flipped = 0;
    while (err == TEKHO_OK) {
        struct tekho_capture_record rec;
        bool got = false;
        err = tekho_capture_next(r, &rec, &got);
        if (err != TEKHO_OK || !got)
            break;
        static uint8_t buf[TEKHO_CAPTURE_SNAPLEN];
        memcpy(buf, rec.data, rec.len);
        for (int i = 0; i < n; i++) {
            struct tekho_gmh gmh;
            if (frames[i] != rec.frame)
                continue;
            const long at = tekho_gmh_decode(buf, rec.len, &gmh) == TEKHO_OK && gmh.len <= rec.len
                                ? (offsets[i] < 0 ? (long)gmh.len + offsets[i] : offsets[i])
                                : -1;
            if (at < 0 || at >= (long)gmh.len) {
                fprintf(stderr, "flip_capture: frame %lu has no byte %ld in its first PDU\n", frames[i], offsets[i]);
                err = TEKHO_ERR_BAD_VALUE;
                break;
            }
            buf[at] ^= 0x01;
            if (gmh.ci && tekho_pdu_put_crc(buf, gmh.len) != TEKHO_OK)
                err = TEKHO_ERR_BAD_VALUE;
            flipped++;
        }
        if (err == TEKHO_OK)
            err = tekho_capture_write_air(w, rec.time_us, buf, rec.len);
    }
    const tekho_err cerr = tekho_capture_close(w);
    tekho_capture_read_close(r);
    if (err == TEKHO_OK)
        err = cerr;
    if (err != TEKHO_OK || flipped != n) {
        fprintf(stderr, "flip_capture: %s (%d of %d bytes changed)\n", tekho_strerror(err), flipped, n);
        return 1;
    }
    return 0;
}
