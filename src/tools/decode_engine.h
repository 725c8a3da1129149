/* The engine of `tekho decode`, shared with `tekho analyze`: each record
 * of a capture decoded (names, fields, CMACs verified and PDUs opened
 * with the keys given) and handed to a sink, one message at a time. */
#ifndef TEKHO_TOOLS_DECODE_ENGINE_H
#define TEKHO_TOOLS_DECODE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "fields.h"
#include "tekho/capture.h"
#include "decode_args.h"
#include "tekho/error.h"

/* Wireshark's wmx.basic_cid_max default: management CIDs up to twice it. */
#define DECODE_BASIC_CID_MAX_DEFAULT 320u

enum decoded_what {
    DECODED_AIR_MGMT,       /* a management message on a management CID */
    DECODED_AIR_DATA,       /* user data: encrypted, or plain on a transport CID */
    DECODED_AIR_SIGNALLING, /* a signalling header or HARQ MAP: no payload */
    DECODED_AIR_BAD,        /* a burst that could not be split further */
    DECODED_BACKBONE,       /* an ASN-CP message */
};

/* One message as decode reports it. Pointers are valid during the sink call. */
struct decoded {
    uint64_t frame;
    uint32_t part;
    uint64_t time_us;
    enum decoded_what what;
    const char *type;         /* "RNG-REQ", "Data", "BR AGGREGATE", "HO_Req" */
    tekho_err err;
    const char *cmac;         /* "ok", "bad", "absent", "unchecked" or NULL (no CMAC to speak of) */
    const char *decrypt;      /* "ok", "bad", "unchecked" or NULL (not encrypted) */
    bool has_cid;
    uint16_t cid;
    /* DECODED_AIR_DATA */
    bool encrypted;
    bool dir_known;           /* from the PN's direction bit, or tekho sim's payload marker */
    bool uplink;
    uint8_t eks;
    uint32_t pn;              /* the 31-bit counter, without the direction bit */
    bool tek_known;           /* the TEK that opened it, as a fingerprint (never the key) */
    uint8_t tek_fp[8];
    uint8_t digest[8];        /* data and management: of the whole PDU, tells a repeat from a reuse */
    /* DECODED_AIR_MGMT with cmac "ok": the CMAC key that verified it, by
     * its AK's AKID and the CMAC_KEY_COUNT (public values, no key) */
    bool cmac_key_known;
    uint8_t cmac_akid[8];
    uint16_t cmac_count;
    /* DECODED_AIR_MGMT: the message from its type byte; DECODED_BACKBONE: the ASN-CP bytes */
    const uint8_t *msg;
    size_t msg_len;
    /* DECODED_BACKBONE */
    const struct tekho_capture_record *rec;
};

typedef void (*decode_sink_fn)(void *ctx, const struct decoded *m, const struct fields *f);

struct keyring;

struct decode_tally {
    unsigned long messages, cmac_ok, cmac_bad, cmac_absent, cmac_unchecked;
    unsigned long decrypt_ok, decrypt_bad, decrypt_unchecked, malformed, errors, records, skipped;
};

struct decoder {
    struct keyring *k;
    bool json;
    uint16_t basic_cid_max;
    struct decode_tally t;
    decode_sink_fn sink;      /* NULL: print each message as decode does */
    void *sink_ctx;
};

/* The key options decode and analyze share (--msk/--msk-file, --ms-mac,
 * --bsid, --ckc, --kek, --tek, --said), for a command's option table. */
#define DECODE_KEY_OPTS_N 7
#define DECODE_KEY_OPTS_INIT                                                                                     \
    {.name = "msk", .kind = CLI_HEX, .secret = true, .min_len = 64, .max_len = 64 * DECODE_MAX_MSKS,            \
     .help = "the MSK, or several written one after another (the MSK of each re-authentication): derive AK,\n" \
             "      KEK and CMAC keys for every BSID given or named in a CMAC tuple"},                           \
        {.name = "ms-mac", .kind = CLI_MAC, .help = "the MS MAC address (with --msk)"},                         \
        {.name = "bsid", .kind = CLI_HEX, .min_len = 6, .max_len = 6 * DECODE_MAX_BSIDS,                       \
         .help = "one BSID, or several written one after another (serving and targets)"},                     \
        {.name = "ckc", .kind = CLI_NUM, .min = 0, .max = 0xFFFF,                                               \
         .help = "a CMAC_KEY_COUNT to try (counts seen in RNG-REQ and ASN-CP are tried too; default 0)"},     \
        {.name = "kek", .kind = CLI_HEX, .secret = true, .min_len = 16, .max_len = 16,                          \
         .help = "a KEK: unwraps delivered TEKs and derives counter-based TEKs"},                              \
        {.name = "tek", .kind = CLI_HEX, .secret = true, .min_len = 16, .max_len = 16,                          \
         .help = "a TEK to open encrypted PDUs with"},                                                          \
    {                                                                                                            \
        .name = "said", .kind = CLI_NUM, .min = 0, .max = 0xFFFF,                                               \
        .help = "SAID for counter-based TEKs (default: the MS's basic CID, from RNG-RSP or its own messages)"  \
    }
/* The options of the input both take: --asncp-port and --basic-cid-max. */
#define DECODE_INPUT_OPTS_N 2
#define DECODE_INPUT_OPTS_INIT                                                                                   \
    {.name = "asncp-port", .kind = CLI_NUM, .min = 1, .max = 0xFFFF,                                             \
     .help = "the UDP port of ASN-CP (default 2231, Wireshark's)"},                                             \
    {                                                                                                            \
        .name = "basic-cid-max", .kind = CLI_NUM, .min = 0, .max = 0x7FFF,                                      \
        .help = "plain PDUs on CIDs up to twice this are management messages, as Wireshark's\n"               \
                "      wmx.basic_cid_max (default 320); so are the CIDs RNG-RSP assigns, 0xFEFF and 0xFFFA up"  \
    }

/* A decoder with an empty keyring (NULL: out of memory). */
struct decoder *decoder_new(bool json);
/* Loads the key options (a->v[first] is --msk, in DECODE_KEY_OPTS_INIT's
 * order) and the input options (a->v[input] is --asncp-port); the ASN-CP
 * port into *asncp_port. Returns -1 to go on, or an exit status after a
 * usage error. */
int decoder_load_options(struct decoder *d, const struct cli_cmd *cmd, const struct cli_args *a, size_t first,
                         size_t input, uint16_t *asncp_port);
/* Decodes one record (the summary counts it). */
void decoder_record(struct decoder *d, const struct tekho_capture_record *rec);
/* Wipes the keys and frees. NULL is accepted. */
void decoder_free(struct decoder *d);

#endif
