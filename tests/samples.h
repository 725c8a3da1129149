/* One realistic instance of every message tekho encodes, as a handover
 * would send them (vendor-vector keys, MS 00:1b:11:c9:d5:0c, serving BS
 * 000000000005, target BS 000000000007), with CMACs signed. Used to write
 * the Wireshark interop captures, to test `tekho decode`, and to seed the
 * fuzzers. */
#ifndef TEKHO_TEST_SAMPLES_H
#define TEKHO_TEST_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

enum sample_kind { SAMPLE_AIR, SAMPLE_BACKBONE };

struct sample {
    enum sample_kind kind;
    const char *name;          /* the message name as Wireshark spells it */
    const char *fuzz_target;   /* which fuzz target this message seeds */
    uint8_t msg[1500];         /* the management message / ASN-CP message (no MAC header) */
    size_t msg_len;
    uint8_t pdu[2048];         /* air: the whole MAC PDU; backbone: same as msg */
    size_t pdu_len;
    uint32_t src_node, dst_node; /* backbone endpoints */
};

#define SAMPLES_MAX 32

/* The keys the samples use, for tests that verify them. */
#define SAMPLE_MSK_HEX                                                                                 \
    "3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384"                              \
    "caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94"
#define SAMPLE_MS_MAC_HEX "001b11c9d50c"
#define SAMPLE_SERVING_BSID_HEX "000000000005"
#define SAMPLE_TARGET_BSID_HEX "000000000007"
#define SAMPLE_SAID 0x2b
#define SAMPLE_BASIC_CID 0x2b
#define SAMPLE_DATA_CID 0x1001
#define SAMPLE_HANDOVER_COUNT 1     /* TM = M + 1 = TB = N */

/* Fills out[] and returns how many samples, or 0 on failure. */
size_t samples_build(struct sample *out, size_t max);

#endif
