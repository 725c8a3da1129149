/* L1: a role's crypto kit (src/crypto/kit.h) holds no key between
 * operations, and forgetting changes no result. */
#include <openssl/evp.h>
#include <string.h>

#include "aes_block.h"
#include "aes_cmac.h"
#include "ccm.h"
#include "kit.h"
#include "tekho/tekho.h"
#include "test_util.h"

static const uint8_t K1[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                               0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t ZERO[16];

static void test_ecb_forgets(struct tekho_crypto_kit *kit)
{
    const uint8_t in[16] = {1, 2, 3};
    uint8_t with_kit[16], one_shot[16], after[16], under_zero[16];
    CHECK_ERR(tekho_aes128_ecb_with(kit->ecb, 1, K1, in, with_kit), TEKHO_OK);
    CHECK_ERR(tekho_aes128_ecb(1, K1, in, one_shot), TEKHO_OK);
    CHECK(memcmp(with_kit, one_shot, 16) == 0);
    /* What the context encrypts now, with no key given: the constant's. */
    int len = 0;
    CHECK(EVP_CipherUpdate(kit->ecb, after, &len, in, 16) && len == 16);
    CHECK_ERR(tekho_aes128_ecb(1, ZERO, in, under_zero), TEKHO_OK);
    CHECK(memcmp(after, under_zero, 16) == 0 && memcmp(after, with_kit, 16) != 0);
}

static void test_cmac_forgets(struct tekho_crypto_kit *kit)
{
    const uint8_t akid[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    const uint8_t msg[40] = {0x34, 1, 2};
    uint8_t a[TEKHO_CMAC_VALUE_LEN], b[TEKHO_CMAC_VALUE_LEN], ref[TEKHO_CMAC_VALUE_LEN];
    CHECK_ERR(tekho_cmac_value_with(kit->cmac, K1, akid, 7, 0x2b, msg, sizeof msg, a), TEKHO_OK);
    CHECK_ERR(tekho_cmac_value(K1, akid, 7, 0x2b, msg, sizeof msg, ref), TEKHO_OK);
    CHECK(memcmp(a, ref, sizeof a) == 0);
    /* Nothing keyed is left: a MAC needs a key again. */
    uint8_t full[16];
    const struct tekho_piece piece = {msg, sizeof msg};
    CHECK_ERR(tekho_aes_cmac_compute(kit->cmac, &piece, 1, full), TEKHO_ERR_INVALID_ARGUMENT);
    /* The same key twice in a row (the path that used to skip the re-key). */
    CHECK_ERR(tekho_cmac_value_with(kit->cmac, K1, akid, 7, 0x2b, msg, sizeof msg, b), TEKHO_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* TEK generation and key derivation through the kit equal the one-shot functions. */
    uint8_t t0[16], t1[16], r0[16], r1[16];
    CHECK_ERR(tekho_tek_generate_with(kit->cmac, K1, 5, 0x2b, t0, t1), TEKHO_OK);
    CHECK_ERR(tekho_aes_cmac_compute(kit->cmac, &piece, 1, full), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_tek_generate(K1, 5, 0x2b, r0, r1), TEKHO_OK);
    CHECK(memcmp(t0, r0, 16) == 0 && memcmp(t1, r1, 16) == 0);
    uint8_t pmk[TEKHO_PMK_LEN] = {1}, mac[6] = {0, 0x1b, 0x11, 1, 2, 3}, bsid[6] = {0, 0, 0, 0, 0, 5};
    struct tekho_ak_keys with_kit, one_shot;
    CHECK_ERR(tekho_derive_ak_keys_with(kit, pmk, mac, bsid, 1, &with_kit), TEKHO_OK);
    CHECK_ERR(tekho_aes_cmac_compute(kit->cmac, &piece, 1, full), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_derive_ak_keys(pmk, mac, bsid, 1, &one_shot), TEKHO_OK);
    CHECK(memcmp(&with_kit, &one_shot, sizeof with_kit) == 0);
    tekho_ak_keys_wipe(&with_kit);
    tekho_ak_keys_wipe(&one_shot);
}

/* The kit's one pair of CCM contexts, re-keyed from TEK to TEK (each
 * re-key given to libcrypto with the PDU's nonce): every seal and open is
 * what a key of the TEK's own gives, whatever TEK the context held. */
static void test_shared_ccm_rekeys(struct tekho_crypto_kit *kit)
{
    static const uint8_t TEK_A[16] = {0xA0, 1, 2, 3}, TEK_B[16] = {0xB0, 4, 5, 6};
    const uint8_t *teks[] = {TEK_A, TEK_B, TEK_B, TEK_A, TEK_B, TEK_A};
    struct tekho_pdu_key *own[2] = {NULL, NULL};
    CHECK_ERR(tekho_pdu_key_new(TEK_A, &own[0]), TEKHO_OK);
    CHECK_ERR(tekho_pdu_key_new(TEK_B, &own[1]), TEKHO_OK);
    const uint8_t payload[40] = {0x45, 0, 0, 40};
    for (size_t i = 0; i < sizeof teks / sizeof teks[0] && own[0] && own[1]; i++) {
        struct tekho_pdu_key *ref = own[teks[i] == TEK_B];
        const struct tekho_pdu_seal_params sp = {.dir = TEKHO_DIR_DL, .pn = (uint32_t)i + 1, .cid = 0x2b01, .eks = 1};
        uint8_t shared[128], alone[128], back[64];
        size_t shared_len = 0, alone_len = 0, back_len = 0;
        CHECK_ERR(tekho_pdu_key_use(kit->pdu, teks[i]), TEKHO_OK);
        CHECK_ERR(tekho_pdu_seal(kit->pdu, &sp, payload, sizeof payload, shared, sizeof shared, &shared_len), TEKHO_OK);
        CHECK_ERR(tekho_pdu_seal(ref, &sp, payload, sizeof payload, alone, sizeof alone, &alone_len), TEKHO_OK);
        CHECK(shared_len == alone_len && memcmp(shared, alone, alone_len) == 0);
        /* Opened on the shared context, after the other TEK had it. */
        CHECK_ERR(tekho_pdu_key_use(kit->pdu, teks[i] == TEK_A ? TEK_B : TEK_A), TEKHO_OK);
        CHECK_ERR(tekho_pdu_open(kit->pdu, TEKHO_DIR_DL, alone, alone_len, back, sizeof back, &back_len, NULL),
                  TEKHO_ERR_BAD_ICV);
        CHECK_ERR(tekho_pdu_key_use(kit->pdu, teks[i]), TEKHO_OK);
        CHECK_ERR(tekho_pdu_open(kit->pdu, TEKHO_DIR_DL, alone, alone_len, back, sizeof back, &back_len, NULL),
                  TEKHO_OK);
        CHECK(back_len == sizeof payload && memcmp(back, payload, sizeof payload) == 0);
    }
    tekho_pdu_key_forget(kit->pdu, TEK_A);
    tekho_pdu_key_forget(kit->pdu, TEK_B);
    tekho_pdu_key_free(own[0]);
    tekho_pdu_key_free(own[1]);
}

int main(void)
{
    struct tekho_crypto_kit *kit = NULL;
    CHECK_ERR(tekho_crypto_kit_new(&kit), TEKHO_OK);
    if (kit != NULL) {
        test_ecb_forgets(kit);
        test_cmac_forgets(kit);
        test_shared_ccm_rekeys(kit);
        tekho_crypto_kit_free(kit);
    }
    return test_summary("test_kit");
}
