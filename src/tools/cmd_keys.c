/* tekho kdf | keys | tek | pdu seal | pdu open | tek-wrap | tek-unwrap */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "tekho/tekho.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

/* The argument tables fix each command's interface; indexes into them are
 * named so the code reads by name. */

static const struct cli_opt KDF_OPTS[] = {
    {.name = "key", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 256,
     .help = "the KDF key; its rightmost 16 bytes are used (16..256 bytes)"},
    {.name = "astring", .kind = CLI_HEX, .required = true, .min_len = 0, .max_len = 4096,
     .help = "the astring, may be empty"},
    {.name = "bits", .kind = CLI_NUM, .required = true, .min = 8, .max = TEKHO_KDF_MAX_BITS,
     .help = "output length in bits, a multiple of 8"},
};
enum { KDF_KEY, KDF_ASTRING, KDF_BITS };
static const struct cli_cmd KDF_CMD = {
    .name = "kdf", .synopsis = "--key HEX --astring HEX --bits N [--json]",
    .description = "Dot16KDF (IEEE 802.16-2009 7.5.4.6.1, CMAC mode): prints the hex result.", .opts = KDF_OPTS,
    .n_opts = N_OPTS(KDF_OPTS)};

int cmd_kdf(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&KDF_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const unsigned bits = (unsigned)a.v[KDF_BITS].num;
    if (bits % 8 != 0) {
        cli_args_free(&a);
        return cli_usage_error(&KDF_CMD, "--bits: must be a multiple of 8, got %u", bits);
    }
    uint8_t out[TEKHO_KDF_MAX_BITS / 8];
    const struct tekho_piece astring = {a.v[KDF_ASTRING].bytes, a.v[KDF_ASTRING].len};
    tekho_err err = tekho_dot16kdf(a.v[KDF_KEY].bytes, a.v[KDF_KEY].len, &astring, 1, bits, out);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "result", out, bits / 8);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&KDF_CMD, a.json, tekho_strerror(err));
    }
    OPENSSL_cleanse(out, sizeof out);
    cli_args_free(&a);
    return rc;
}

static const struct cli_opt KEYS_OPTS[] = {
    {.name = "msk", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 64, .max_len = 64,
     .help = "the 64-byte MSK from EAP"},
    {.name = "ms-mac", .kind = CLI_MAC, .required = true,
     .help = "the MS MAC address (6 bytes)"},
    {.name = "bsid", .kind = CLI_HEX, .required = true, .min_len = 6, .max_len = 6,
     .help = "the BSID (6 bytes)"},
    {.name = "ckc", .kind = CLI_NUM, .min = 0, .max = 0xFFFF,
     .help = "CMAC_KEY_COUNT for CMAC_KEY_U/D (default 0)"},
    {.name = "pmk-sn", .kind = CLI_NUM, .min = 0, .max = 15,
     .help = "PMK sequence number, 4 bits, enters the AKID (default 0)"},
};
enum { KEYS_MSK, KEYS_MS_MAC, KEYS_BSID, KEYS_CKC, KEYS_PMK_SN };
static const struct cli_cmd KEYS_CMD = {
    .name = "keys", .synopsis = "--msk HEX --ms-mac MAC --bsid HEX [--ckc N] [--pmk-sn N] [--json]",
    .description = "The PKMv2 key hierarchy (IEEE 802.16-2009 7.2.2.2): PMK, AK, AKID, CMAC_PREKEY_U/D, KEK and\n"
    "CMAC_KEY_U/D for the given CMAC_KEY_COUNT.",
    .opts = KEYS_OPTS, .n_opts = N_OPTS(KEYS_OPTS)};

int cmd_keys(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&KEYS_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct tekho_ak_keys ak;
    struct tekho_cmac_keys ck;
    tekho_err err = tekho_derive_from_msk(a.v[KEYS_MSK].bytes, a.v[KEYS_MS_MAC].bytes, a.v[KEYS_BSID].bytes,
                                          (uint8_t)a.v[KEYS_PMK_SN].num, &ak);
    if (err == TEKHO_OK)
        err = tekho_derive_cmac_keys(&ak, (uint16_t)a.v[KEYS_CKC].num, &ck);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, false, stdout);
        cli_out_hex(&o, "PMK", ak.pmk, sizeof ak.pmk);
        cli_out_hex(&o, "AK", ak.ak, sizeof ak.ak);
        cli_out_hex(&o, "AKID", ak.akid, sizeof ak.akid);
        cli_out_hex(&o, "CMAC_PREKEY_U", ak.cmac_prekey_u, sizeof ak.cmac_prekey_u);
        cli_out_hex(&o, "CMAC_PREKEY_D", ak.cmac_prekey_d, sizeof ak.cmac_prekey_d);
        cli_out_hex(&o, "KEK", ak.kek, sizeof ak.kek);
        cli_out_hex(&o, "CMAC_KEY_U", ck.key_u, sizeof ck.key_u);
        cli_out_hex(&o, "CMAC_KEY_D", ck.key_d, sizeof ck.key_d);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&KEYS_CMD, a.json, tekho_strerror(err));
    }
    tekho_ak_keys_wipe(&ak);
    tekho_cmac_keys_wipe(&ck);
    cli_args_free(&a);
    return rc;
}

static const struct cli_opt TEK_OPTS[] = {
    {.name = "kek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the KEK (16 bytes)"},
    {.name = "ckc", .kind = CLI_NUM, .required = true, .min = 0, .max = 0xFFFF,
     .help = "CMAC_KEY_COUNT_T"},
    {.name = "said", .kind = CLI_NUM, .required = true, .min = 0, .max = 0xFFFF, .help = "the SAID"},
};
enum { TEK_KEK, TEK_CKC, TEK_SAID };
static const struct cli_cmd TEK_CMD = {
    .name = "tek", .synopsis = "--kek HEX --ckc N --said N [--json]",
    .description = "Counter-based TEK generation for handover:\n"
    "TEKi = Dot16KDF(KEK, u16(CMAC_KEY_COUNT_T) | u16(SAID) | \"TEKi Generation\", 128).",
    .opts = TEK_OPTS, .n_opts = N_OPTS(TEK_OPTS)};

int cmd_tek(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&TEK_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    uint8_t tek[2][TEKHO_TEK_LEN];
    tekho_err err = tekho_tek_generate(a.v[TEK_KEK].bytes, (uint16_t)a.v[TEK_CKC].num,
                                       (uint16_t)a.v[TEK_SAID].num, tek[0], tek[1]);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, false, stdout);
        cli_out_hex(&o, "TEK0", tek[0], TEKHO_TEK_LEN);
        cli_out_hex(&o, "TEK1", tek[1], TEKHO_TEK_LEN);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&TEK_CMD, a.json, tekho_strerror(err));
    }
    OPENSSL_cleanse(tek, sizeof tek);
    cli_args_free(&a);
    return rc;
}

static const struct cli_opt SEAL_OPTS[] = {
    {.name = "tek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the TEK (16 bytes)"},
    {.name = "dir", .kind = CLI_CHOICE, .required = true, .choices = "dl|ul",
     .help = "direction: ul sets the PN's most significant bit"},
    {.name = "pn", .kind = CLI_NUM, .required = true, .min = 1, .max = TEKHO_PN_COUNTER_MAX,
     .help = "the PN counter value, 1..0x7FFFFFFF"},
    {.name = "cid", .kind = CLI_NUM, .required = true, .min = 0, .max = 0xFFFF, .help = "the CID"},
    {.name = "eks", .kind = CLI_NUM, .required = true, .min = 0, .max = 3,
     .help = "the TEK's key sequence number (EKS)"},
    {.name = "crc", .kind = CLI_FLAG, .help = "append a CRC-32 (CI=1)"},
    {.name = "payload", .kind = CLI_HEX, .required = true, .min_len = 0,
     .max_len = TEKHO_PDU_MAX_LEN - TEKHO_PDU_OVERHEAD, .help = "the plaintext payload, may be empty"},
};
enum { SEAL_TEK, SEAL_DIR, SEAL_PN, SEAL_CID, SEAL_EKS, SEAL_CRC, SEAL_PAYLOAD };
static const struct cli_cmd SEAL_CMD = {
    .name = "pdu seal", .synopsis = "--tek HEX --dir ul|dl --pn N --cid N --eks N [--crc] --payload HEX [--json]",
    .description = "Builds an AES-CCM protected MAC PDU: GMH | PN (little-endian) | ciphertext | ICV [| CRC-32].",
    .opts = SEAL_OPTS, .n_opts = N_OPTS(SEAL_OPTS)};

static const struct cli_opt OPEN_OPTS[] = {
    {.name = "tek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the TEK (16 bytes)"},
    {.name = "dir", .kind = CLI_CHOICE, .required = true, .choices = "dl|ul",
     .help = "the direction the PDU travelled"},
    {.name = "pdu", .kind = CLI_HEX, .required = true, .min_len = 0, .max_len = 65536,
     .help = "the whole MAC PDU"},
};
enum { OPEN_TEK, OPEN_DIR, OPEN_PDU };
static const struct cli_cmd OPEN_CMD = {
    .name = "pdu open", .synopsis = "--tek HEX --dir ul|dl --pdu HEX [--json]",
    .description = "Checks and decrypts an AES-CCM protected MAC PDU and prints the plaintext payload. Exits 1\n"
    "with the reason (bad HCS, bad CRC, bad ICV, wrong direction bit, truncated, length mismatch,\n"
    "not encrypted) when the PDU does not open.",
    .opts = OPEN_OPTS, .n_opts = N_OPTS(OPEN_OPTS)};

static int pdu_seal(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&SEAL_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const bool crc = a.v[SEAL_CRC].present;
    if (tekho_pdu_sealed_len(a.v[SEAL_PAYLOAD].len, crc) == 0) {
        cli_args_free(&a);
        return cli_usage_error(&SEAL_CMD, "--payload: too long for an 11-bit LEN (at most %u bytes with --crc)",
                               TEKHO_PDU_MAX_LEN - TEKHO_PDU_OVERHEAD - TEKHO_CRC_LEN);
    }
    struct tekho_pdu_key *key = NULL;
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t pdu_len = 0;
    const struct tekho_pdu_seal_params params = {
        .dir = a.v[SEAL_DIR].num == 1 ? TEKHO_DIR_UL : TEKHO_DIR_DL,
        .pn = (uint32_t)a.v[SEAL_PN].num,
        .cid = (uint16_t)a.v[SEAL_CID].num,
        .eks = (uint8_t)a.v[SEAL_EKS].num,
        .crc = crc,
    };
    tekho_err err = tekho_pdu_key_new(a.v[SEAL_TEK].bytes, &key);
    if (err == TEKHO_OK)
        err = tekho_pdu_seal(key, &params, a.v[SEAL_PAYLOAD].bytes, a.v[SEAL_PAYLOAD].len, pdu, sizeof pdu,
                             &pdu_len);
    tekho_pdu_key_free(key);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "pdu", pdu, pdu_len);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&SEAL_CMD, a.json, tekho_strerror(err));
    }
    cli_args_free(&a);
    return rc;
}

static int pdu_open(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&OPEN_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct tekho_pdu_key *key = NULL;
    uint8_t payload[TEKHO_PDU_MAX_LEN];
    size_t payload_len = 0;
    struct tekho_pdu_view view;
    tekho_err err = tekho_pdu_key_new(a.v[OPEN_TEK].bytes, &key);
    if (err == TEKHO_OK)
        err = tekho_pdu_open(key, a.v[OPEN_DIR].num == 1 ? TEKHO_DIR_UL : TEKHO_DIR_DL,
                             a.v[OPEN_PDU].bytes ? a.v[OPEN_PDU].bytes : payload, a.v[OPEN_PDU].len, payload,
                             sizeof payload, &payload_len, &view);
    tekho_pdu_key_free(key);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "payload", payload, payload_len);
        if (a.json) {
            cli_out_num(&o, "pn", view.pn);
            cli_out_num(&o, "cid", view.gmh.cid);
            cli_out_num(&o, "eks", view.gmh.eks);
            cli_out_bool(&o, "crc", view.gmh.ci);
        }
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&OPEN_CMD, a.json, tekho_strerror(err));
    }
    OPENSSL_cleanse(payload, sizeof payload);
    cli_args_free(&a);
    return rc;
}

int cmd_pdu(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "seal") == 0)
        return pdu_seal(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "open") == 0)
        return pdu_open(argc - 1, argv + 1);
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        cli_usage(&SEAL_CMD, stdout);
        fputc('\n', stdout);
        cli_usage(&OPEN_CMD, stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "tekho pdu: expected 'seal' or 'open' (see tekho pdu --help)\n");
    return CLI_EXIT_USAGE;
}

static const struct cli_opt WRAP_OPTS[] = {
    {.name = "kek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the KEK (16 bytes)"},
    {.name = "tek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the TEK to encrypt (16 bytes)"},
    {.name = "suite", .kind = CLI_NUM, .required = true, .min = 0, .max = 0xFFFFFF,
     .help = "0x020104: RFC 3394 AES key wrap (24 bytes); 0x020103: AES-128-ECB (16 bytes)"},
};
enum { WRAP_KEK, WRAP_TEK, WRAP_SUITE };
static const struct cli_cmd WRAP_CMD = {
    .name = "tek-wrap", .synopsis = "--kek HEX --tek HEX --suite 0x020104|0x020103 [--json]",
    .description = "Encrypts a TEK under the KEK as Key-Reply and SA-TEK-Update carry it (IEEE 802.16-2009 7.5.2).",
    .opts = WRAP_OPTS, .n_opts = N_OPTS(WRAP_OPTS)};

static const struct cli_opt UNWRAP_OPTS[] = {
    {.name = "kek", .kind = CLI_HEX, .secret = true, .required = true, .min_len = 16, .max_len = 16,
     .help = "the KEK (16 bytes)"},
    {.name = "wrapped", .kind = CLI_HEX, .required = true, .min_len = 16, .max_len = 24,
     .help = "the encrypted TEK (24 bytes for 0x020104, 16 for 0x020103)"},
    {.name = "suite", .kind = CLI_NUM, .required = true, .min = 0, .max = 0xFFFFFF,
     .help = "the SA's crypto suite: 0x020104 or 0x020103"},
};
enum { UNWRAP_KEK, UNWRAP_WRAPPED, UNWRAP_SUITE };
static const struct cli_cmd UNWRAP_CMD = {
    .name = "tek-unwrap", .synopsis = "--kek HEX --wrapped HEX --suite 0x020104|0x020103 [--json]",
    .description = "Decrypts a TEK from Key-Reply or SA-TEK-Update. Exits 1 when the key-wrap integrity check fails.",
    .opts = UNWRAP_OPTS, .n_opts = N_OPTS(UNWRAP_OPTS)};

/* The suite is a number; only the two TEK encryption suites are accepted. */
static int check_suite(const struct cli_cmd *cmd, uint64_t suite)
{
    if (tekho_tek_wrapped_len((uint32_t)suite) == 0)
        return cli_usage_error(cmd, "--suite: unsupported 0x%06llx (use 0x020104 or 0x020103)",
                               (unsigned long long)suite);
    return -1;
}

int cmd_tek_wrap(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&WRAP_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    if ((rc = check_suite(&WRAP_CMD, a.v[WRAP_SUITE].num)) >= 0) {
        cli_args_free(&a);
        return rc;
    }
    uint8_t wrapped[TEKHO_WRAPPED_TEK_MAX];
    size_t wrapped_len = 0;
    tekho_err err = tekho_tek_wrap((uint32_t)a.v[WRAP_SUITE].num, a.v[WRAP_KEK].bytes, a.v[WRAP_TEK].bytes,
                                   wrapped, sizeof wrapped, &wrapped_len);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "wrapped", wrapped, wrapped_len);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&WRAP_CMD, a.json, tekho_strerror(err));
    }
    cli_args_free(&a);
    return rc;
}

int cmd_tek_unwrap(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&UNWRAP_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    if ((rc = check_suite(&UNWRAP_CMD, a.v[UNWRAP_SUITE].num)) >= 0) {
        cli_args_free(&a);
        return rc;
    }
    const uint32_t suite = (uint32_t)a.v[UNWRAP_SUITE].num;
    if (a.v[UNWRAP_WRAPPED].len != tekho_tek_wrapped_len(suite)) {
        size_t got = a.v[UNWRAP_WRAPPED].len;
        cli_args_free(&a);
        return cli_usage_error(&UNWRAP_CMD, "--wrapped: must be %zu bytes for suite 0x%06x, got %zu",
                               tekho_tek_wrapped_len(suite), suite, got);
    }
    uint8_t tek[TEKHO_TEK_LEN];
    tekho_err err = tekho_tek_unwrap(suite, a.v[UNWRAP_KEK].bytes, a.v[UNWRAP_WRAPPED].bytes,
                                     a.v[UNWRAP_WRAPPED].len, tek);
    if (err == TEKHO_OK) {
        struct cli_out o;
        cli_out_begin(&o, a.json, true, stdout);
        cli_out_hex(&o, "tek", tek, sizeof tek);
        cli_out_end(&o);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(&UNWRAP_CMD, a.json, tekho_strerror(err));
    }
    OPENSSL_cleanse(tek, sizeof tek);
    cli_args_free(&a);
    return rc;
}
