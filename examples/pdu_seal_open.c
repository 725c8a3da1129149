/* Sealing and opening one AES-CCM protected MAC PDU with a TEK (no TEK
 * context, so no replay window: see tek_context.c for that).
 *
 * The MS seals an uplink PDU with PN 1 under the TEK; the BS parses it
 * (header, HCS, CRC, direction bit), decrypts it and checks the ICV. A
 * flipped ciphertext bit and the wrong direction are refused. Prints what
 * happens and exits 1 unless every step gives what it must. The sealed PDU
 * is the same as
 *   tekho pdu seal --tek 000102030405060708090a0b0c0d0e0f --dir ul --pn 1 \
 *       --cid 0x2b --eks 1 --crc --payload 68656c6c6f2c204253
 * Build against an installed tekho:
 *   cc pdu_seal_open.c $(pkg-config --cflags --libs tekho) */
#include <stdio.h>
#include <string.h>
#include <tekho/tekho.h>

static int failures;

static void expect(const char *what, tekho_err got, tekho_err want)
{
    printf("%s: %s\n", what, tekho_strerror(got));
    if (got != want) {
        fprintf(stderr, "pdu_seal_open: %s gave \"%s\", want \"%s\"\n", what, tekho_strerror(got),
                tekho_strerror(want));
        failures++;
    }
}

int main(void)
{
    static const uint8_t tek[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    static const char payload[] = "hello, BS";
    static const char want_hex[] = "40501f002b00010000806c60fcbc50d54d50c45000b3cabf1bc9f6744681a6";
    const size_t payload_len = strlen(payload);

    /* One key schedule for every PDU under this TEK; freed (and wiped) at the end. */
    struct tekho_pdu_key *key = NULL;
    tekho_err err = tekho_pdu_key_new(tek, &key);
    if (err != TEKHO_OK) {
        fprintf(stderr, "pdu_seal_open: tekho_pdu_key_new: %s\n", tekho_strerror(err));
        return 1;
    }

    /* ---- the MS seals: GMH | PN | CCM(payload) | ICV | CRC-32 ---- */
    const struct tekho_pdu_seal_params params = {
        .dir = TEKHO_DIR_UL, /* sets the PN's top bit: the directions never share a nonce */
        .pn = 1,             /* the MS's first PN under this TEK; never reuse one */
        .cid = 0x2b,
        .eks = 1,
        .type = 0,
        .crc = true,
    };
    uint8_t pdu[TEKHO_PDU_MAX_LEN];
    size_t pdu_len = 0;
    err = tekho_pdu_seal(key, &params, (const uint8_t *)payload, payload_len, pdu, sizeof pdu, &pdu_len);
    expect("seal", err, TEKHO_OK);
    char hex[2 * sizeof pdu + 1] = "";
    for (size_t i = 0; err == TEKHO_OK && i < pdu_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", pdu[i]);
    printf("sealed %zu bytes (payload %zu + %u overhead + CRC): %s\n", pdu_len, payload_len,
           (unsigned)TEKHO_PDU_OVERHEAD, hex);
    if (pdu_len != tekho_pdu_sealed_len(payload_len, true) || strcmp(hex, want_hex) != 0) {
        fprintf(stderr, "pdu_seal_open: sealed PDU differs, want %s\n", want_hex);
        failures++;
    }

    /* ---- the BS opens: everything is checked before a byte is trusted ---- */
    uint8_t plain[TEKHO_PDU_MAX_LEN];
    size_t plain_len = 0;
    struct tekho_pdu_view view;
    err = tekho_pdu_open(key, TEKHO_DIR_UL, pdu, pdu_len, plain, sizeof plain, &plain_len, &view);
    expect("open", err, TEKHO_OK);
    if (err == TEKHO_OK) {
        printf("opened: cid=0x%x eks=%u pn=%u payload=\"%.*s\"\n", view.gmh.cid, view.gmh.eks, view.pn,
               (int)plain_len, (const char *)plain);
        if (plain_len != payload_len || memcmp(plain, payload, payload_len) != 0 || view.pn != 1 ||
            view.gmh.cid != 0x2b || view.gmh.eks != 1) {
            fprintf(stderr, "pdu_seal_open: opened PDU differs from what was sealed\n");
            failures++;
        }
    }

    /* The PDU read as if it were downlink: its PN says uplink. */
    err = tekho_pdu_open(key, TEKHO_DIR_DL, pdu, pdu_len, plain, sizeof plain, &plain_len, &view);
    expect("open as downlink", err, TEKHO_ERR_WRONG_DIRECTION);

    /* A flipped ciphertext bit, with the CRC-32 made right again: the ICV catches it. */
    pdu[TEKHO_GMH_LEN + TEKHO_PN_LEN] ^= 0x01;
    if (tekho_pdu_put_crc(pdu, pdu_len) != TEKHO_OK)
        failures++;
    err = tekho_pdu_open(key, TEKHO_DIR_UL, pdu, pdu_len, plain, sizeof plain, &plain_len, &view);
    expect("open altered", err, TEKHO_ERR_BAD_ICV);

    /* The same without fixing the CRC: refused before any decryption. */
    pdu[pdu_len - 1] ^= 0x01;
    err = tekho_pdu_open(key, TEKHO_DIR_UL, pdu, pdu_len, plain, sizeof plain, &plain_len, &view);
    expect("open with a bad CRC", err, TEKHO_ERR_BAD_CRC);

    tekho_pdu_key_free(key);
    printf("pdu_seal_open: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
