/* Published vectors, each row naming its source: RFC 4493 (AES-CMAC),
 * RFC 3394 section 4.1 (AES key wrap), RFC 3610 section 8 and NIST
 * SP 800-38C appendix C (AES-CCM), and the vendor key-hierarchy vector of
 * profile section 9. */
#include <string.h>

#include "aes_cmac.h"
#include "ccm.h"
#include "kit.h"
#include "tekho/tekho.h"
#include "test_util.h"

struct cmac_row {
    const char *source, *message, *mac;
};

static void test_rfc4493(void)
{
    static const struct cmac_row rows[] = {
        {"RFC 4493 Example 1 (len 0)", "-", "bb1d6929e95937287fa37d129b756746"},
        {"RFC 4493 Example 2 (len 16)", "6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"},
        {"RFC 4493 Example 3 (len 40)",
         "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
         "dfa66747de9ae63030ca32611497c827"},
        {"RFC 4493 Example 4 (len 64)",
         "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411"
         "e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
         "51f0bebf7e3b9d92fc49741779363cfe"},
    };
    uint8_t key[16], msg[64], want[16], got[16];
    test_hex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof key);
    struct tekho_aes_cmac *cmac = NULL;
    CHECK_ERR(tekho_aes_cmac_new(&cmac), TEKHO_OK);
    CHECK_ERR(tekho_aes_cmac_set_key(cmac, key), TEKHO_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = test_hex(rows[i].message, msg, sizeof msg);
        test_hex(rows[i].mac, want, sizeof want);
        /* Whole, and split into uneven pieces: the result must not depend on the split. */
        struct tekho_piece whole = {msg, n};
        CHECK_ERR(tekho_aes_cmac_compute(cmac, &whole, 1, got), TEKHO_OK);
        CHECK_BYTES(got, want, 16);
        struct tekho_piece split[3] = {{msg, n / 3}, {msg + n / 3, n / 2 - n / 3}, {msg + n / 2, n - n / 2}};
        CHECK_ERR(tekho_aes_cmac_compute(cmac, split, 3, got), TEKHO_OK);
        CHECK_BYTES(got, want, 16);
        /* Keying the same key again keeps it (no re-key), another key
         * replaces it, and back again: the vector holds each time. */
        CHECK_ERR(tekho_aes_cmac_set_key(cmac, key), TEKHO_OK);
        CHECK_ERR(tekho_aes_cmac_compute(cmac, &whole, 1, got), TEKHO_OK);
        CHECK_BYTES(got, want, 16);
        uint8_t other[16];
        memcpy(other, key, 16);
        other[15] ^= 1;
        CHECK_ERR(tekho_aes_cmac_set_key(cmac, other), TEKHO_OK);
        CHECK_ERR(tekho_aes_cmac_compute(cmac, &whole, 1, got), TEKHO_OK);
        CHECK(memcmp(got, want, 16) != 0);
        CHECK_ERR(tekho_aes_cmac_set_key(cmac, key), TEKHO_OK);
        CHECK_ERR(tekho_aes_cmac_compute(cmac, &whole, 1, got), TEKHO_OK);
        CHECK_BYTES(got, want, 16);
    }
    tekho_aes_cmac_free(cmac);
}

static void test_rfc3394(void)
{
    /* RFC 3394 section 4.1: wrap 128 bits of key data with a 128-bit KEK. */
    uint8_t kek[16], tek[16], want[24], got[24], back[16];
    size_t len = 0;
    test_hex("000102030405060708090a0b0c0d0e0f", kek, sizeof kek);
    test_hex("00112233445566778899aabbccddeeff", tek, sizeof tek);
    test_hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5", want, sizeof want);
    CHECK_ERR(tekho_tek_wrap(TEKHO_SUITE_CCM_KEYWRAP, kek, tek, got, sizeof got, &len), TEKHO_OK);
    CHECK(len == 24);
    CHECK_BYTES(got, want, 24);
    CHECK_ERR(tekho_tek_unwrap(TEKHO_SUITE_CCM_KEYWRAP, kek, want, 24, back), TEKHO_OK);
    CHECK_BYTES(back, tek, 16);
    /* Any changed bit fails the integrity check. */
    want[23] ^= 0x01;
    CHECK_ERR(tekho_tek_unwrap(TEKHO_SUITE_CCM_KEYWRAP, kek, want, 24, back), TEKHO_ERR_UNWRAP_FAILED);
    CHECK_ERR(tekho_tek_unwrap(TEKHO_SUITE_CCM_KEYWRAP, kek, want, 23, back), TEKHO_ERR_TRUNCATED);
    CHECK_ERR(tekho_tek_wrap(0x010001, kek, tek, got, sizeof got, &len), TEKHO_ERR_UNSUPPORTED_SUITE);
    CHECK_ERR(tekho_tek_wrap(TEKHO_SUITE_CCM_KEYWRAP, kek, tek, got, 23, &len), TEKHO_ERR_BUFFER_TOO_SMALL);
    /* The same on a role's kit (its fetched AES-128-WRAP and its ECB
     * context), twice, so the reused contexts are checked too; and the ECB
     * suite agrees with the one-shot path. */
    struct tekho_crypto_kit *kit = NULL;
    CHECK_ERR(tekho_crypto_kit_new(&kit), TEKHO_OK);
    want[23] ^= 0x01;
    for (int round = 0; round < 2 && kit != NULL; round++) {
        memset(got, 0, sizeof got);
        CHECK_ERR(tekho_tek_wrap_with(kit, TEKHO_SUITE_CCM_KEYWRAP, kek, tek, got, sizeof got, &len), TEKHO_OK);
        CHECK(len == 24);
        CHECK_BYTES(got, want, 24);
        memset(back, 0, sizeof back);
        CHECK_ERR(tekho_tek_unwrap_with(kit, TEKHO_SUITE_CCM_KEYWRAP, kek, want, 24, back), TEKHO_OK);
        CHECK_BYTES(back, tek, 16);
        uint8_t ecb_kit[16], ecb_plain[16];
        CHECK_ERR(tekho_tek_wrap_with(kit, TEKHO_SUITE_CCM_ECB, kek, tek, ecb_kit, sizeof ecb_kit, &len), TEKHO_OK);
        CHECK_ERR(tekho_tek_wrap(TEKHO_SUITE_CCM_ECB, kek, tek, got, sizeof got, &len), TEKHO_OK);
        CHECK_BYTES(ecb_kit, got, 16);
        CHECK_ERR(tekho_tek_unwrap_with(kit, TEKHO_SUITE_CCM_ECB, kek, ecb_kit, 16, ecb_plain), TEKHO_OK);
        CHECK_BYTES(ecb_plain, tek, 16);
    }
    want[23] ^= 0x01;
    CHECK_ERR(tekho_tek_unwrap_with(kit, TEKHO_SUITE_CCM_KEYWRAP, kek, want, 24, back), TEKHO_ERR_UNWRAP_FAILED);
    tekho_crypto_kit_free(kit);
}

struct ccm_row {
    const char *source, *key, *nonce, *aad, *plaintext, *result; /* result = ciphertext | tag */
    size_t tag_len;
};

static void test_ccm(void)
{
    static const struct ccm_row rows[] = {
        {"RFC 3610 Packet Vector #1", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
         "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
         "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0", 8},
        {"RFC 3610 Packet Vector #2", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000004030201a0a1a2a3a4a5",
         "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916", 8},
        {"RFC 3610 Packet Vector #3", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000005040302a0a1a2a3a4a5",
         "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
         "51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da8596574adaa76fbd9fb0c5", 8},
        {"SP 800-38C Example 1", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
         "20212223", "7162015b4dac255d", 4},
        {"SP 800-38C Example 2", "404142434445464748494a4b4c4d4e4f", "1011121314151617",
         "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
         "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd", 6},
        {"SP 800-38C Example 3", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
         "000102030405060708090a0b0c0d0e0f10111213",
         "202122232425262728292a2b2c2d2e2f3031323334353637",
         "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", 8},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct ccm_row *r = &rows[i];
        uint8_t key[16], nonce[13], aad[32], pt[64], want[80], ct[64], tag[16], back[64];
        test_hex(r->key, key, sizeof key);
        size_t nonce_len = test_hex(r->nonce, nonce, sizeof nonce);
        size_t aad_len = test_hex(r->aad, aad, sizeof aad);
        size_t pt_len = test_hex(r->plaintext, pt, sizeof pt);
        size_t want_len = test_hex(r->result, want, sizeof want);
        CHECK(want_len == pt_len + r->tag_len);
        EVP_CIPHER_CTX *enc = tekho_ccm_ctx_new(NULL, key, nonce_len, r->tag_len, 1);
        EVP_CIPHER_CTX *dec = tekho_ccm_ctx_new(NULL, key, nonce_len, r->tag_len, 0);
        CHECK(enc != NULL && dec != NULL);
        /* Twice on the same keyed context: the second run must not depend
         * on the first. Then on contexts keyed with another key, given this
         * one with the nonce (a shared context re-keyed per PDU). */
        static const uint8_t OTHER[16] = {0xFF};
        EVP_CIPHER_CTX *enc_other = tekho_ccm_ctx_new(NULL, OTHER, nonce_len, r->tag_len, 1);
        EVP_CIPHER_CTX *dec_other = tekho_ccm_ctx_new(NULL, OTHER, nonce_len, r->tag_len, 0);
        CHECK(enc_other != NULL && dec_other != NULL);
        for (int round = 0; round < 3 && enc && dec && enc_other && dec_other; round++) {
            EVP_CIPHER_CTX *e = round < 2 ? enc : enc_other, *d = round < 2 ? dec : dec_other;
            const uint8_t *rekey = round == 0 ? NULL : key;
            CHECK_ERR(tekho_ccm_encrypt(e, rekey, nonce, aad, aad_len, pt, pt_len, ct, tag, r->tag_len), TEKHO_OK);
            CHECK_BYTES(ct, want, pt_len);
            CHECK_BYTES(tag, want + pt_len, r->tag_len);
            CHECK_ERR(tekho_ccm_decrypt(d, rekey, nonce, aad, aad_len, want, pt_len, back, want + pt_len, r->tag_len),
                      TEKHO_OK);
            CHECK_BYTES(back, pt, pt_len);
        }
        EVP_CIPHER_CTX_free(enc_other);
        EVP_CIPHER_CTX_free(dec_other);
        /* A flipped ciphertext bit or tag bit is refused. */
        want[0] ^= 0x80;
        CHECK_ERR(tekho_ccm_decrypt(dec, NULL, nonce, aad, aad_len, want, pt_len, back, want + pt_len, r->tag_len),
                  TEKHO_ERR_BAD_ICV);
        want[0] ^= 0x80;
        want[want_len - 1] ^= 0x01;
        CHECK_ERR(tekho_ccm_decrypt(dec, NULL, nonce, aad, aad_len, want, pt_len, back, want + pt_len, r->tag_len),
                  TEKHO_ERR_BAD_ICV);
        EVP_CIPHER_CTX_free(enc);
        EVP_CIPHER_CTX_free(dec);
    }
}

static void test_vendor_hierarchy(void)
{
    /* Profile section 9: a public vendor test file, CMAC_KEY_COUNT 0, PMK_SN 0. */
    uint8_t msk[64], ms_mac[6], bsid[6], want[20];
    test_hex("3d8bfc43c8004afb0ff83b6a30ee7d6cbf93b076b93653e9627fe47aef9cb384"
       "caa55b812aad2d7de554cf9eea8487a0f6f4b35fbddb2f232b771d2f71fdda94",
       msk, sizeof msk);
    test_hex("001b11c9d50c", ms_mac, sizeof ms_mac);
    test_hex("000000000005", bsid, sizeof bsid);
    struct tekho_ak_keys ak;
    struct tekho_cmac_keys ck;
    CHECK_ERR(tekho_derive_from_msk(msk, ms_mac, bsid, 0, &ak), TEKHO_OK);
    CHECK_ERR(tekho_derive_cmac_keys(&ak, 0, &ck), TEKHO_OK);
    test_hex("ea8487a0f6f4b35fbddb2f232b771d2f71fdda94", want, 20);
    CHECK_BYTES(ak.pmk, want, 20);
    test_hex("d7eaa9683c377b76a2385b8454b57ae7c9ad3224", want, 20);
    CHECK_BYTES(ak.ak, want, 20);
    test_hex("3b7e354a44b25806", want, 8);
    CHECK_BYTES(ak.akid, want, 8);
    test_hex("e09389b8f3391dfec8a99af41da147b9", want, 16);
    CHECK_BYTES(ak.kek, want, 16);
    test_hex("f6eed12d93c37271bdb384449cb62467", want, 16);
    CHECK_BYTES(ck.key_u, want, 16);
    test_hex("c0f5e67ca3b7e3c31de4222a25836b2b", want, 16);
    CHECK_BYTES(ck.key_d, want, 16);
    /* The Authenticator's shortcut, AK and AKID only, gives the same. */
    struct tekho_crypto_kit *kit = NULL;
    uint8_t ak_only[20], akid_only[8];
    CHECK_ERR(tekho_crypto_kit_new(&kit), TEKHO_OK);
    CHECK_ERR(tekho_derive_ak_akid_with(kit, ak.pmk, ms_mac, bsid, 0, ak_only, akid_only), TEKHO_OK);
    CHECK_BYTES(ak_only, ak.ak, 20);
    CHECK_BYTES(akid_only, ak.akid, 8);
    tekho_crypto_kit_free(kit);
    /* Wiping leaves no key byte behind. */
    tekho_ak_keys_wipe(&ak);
    static const struct tekho_ak_keys zero;
    CHECK(memcmp(&ak, &zero, sizeof ak) == 0);
}

/* One context re-keyed across many keys, in an order that mixes the same
 * key again (kept, not re-keyed), other keys and repeated MACs: every MAC
 * equals a fresh context's under the same key (the RFC 4493 key is among
 * them, checked against its vector). */
static void test_cmac_key_cache(void)
{
    enum { KEYS = 11, ROUNDS = 600 };
    uint8_t keys[KEYS][16], msg[40], got[16], want[16], rfc_mac[16];
    test_hex("2b7e151628aed2a6abf7158809cf4f3c", keys[0], 16);
    test_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411", msg, sizeof msg);
    test_hex("dfa66747de9ae63030ca32611497c827", rfc_mac, 16);
    for (int k = 1; k < KEYS; k++)
        for (int i = 0; i < 16; i++)
            keys[k][i] = (uint8_t)(k * 37 + i * 11);
    struct tekho_aes_cmac *cached = NULL;
    CHECK_ERR(tekho_aes_cmac_new(&cached), TEKHO_OK);
    uint32_t x = 12345;
    int mismatches = 0;
    for (int round = 0; round < ROUNDS; round++) {
        x = x * 1103515245u + 12345u;
        /* Mostly the first few keys (often the same again), sometimes any. */
        const int k = (x >> 16) % 4 == 0 ? (int)((x >> 8) % KEYS) : (int)((x >> 12) % 5);
        const struct tekho_piece whole = {msg, sizeof msg};
        struct tekho_aes_cmac *fresh = NULL;
        CHECK_ERR(tekho_aes_cmac_new(&fresh), TEKHO_OK);
        if (fresh == NULL || cached == NULL)
            break;
        CHECK_ERR(tekho_aes_cmac_set_key(fresh, keys[k]), TEKHO_OK);
        CHECK_ERR(tekho_aes_cmac_compute(fresh, &whole, 1, want), TEKHO_OK);
        tekho_aes_cmac_free(fresh);
        CHECK_ERR(tekho_aes_cmac_set_key(cached, keys[k]), TEKHO_OK);
        /* once or twice under the same keying */
        for (int twice = 0; twice <= (int)(x & 1); twice++) {
            CHECK_ERR(tekho_aes_cmac_compute(cached, &whole, 1, got), TEKHO_OK);
            mismatches += memcmp(got, want, 16) != 0;
        }
        if (k == 0)
            CHECK_BYTES(want, rfc_mac, 16);
    }
    CHECK(mismatches == 0);
    tekho_aes_cmac_free(cached);
}

static void test_kdf_arguments(void)
{
    uint8_t key[16] = {0}, out[16];
    CHECK_ERR(tekho_dot16kdf(key, 15, NULL, 0, 128, out), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_dot16kdf(key, 16, NULL, 0, 0, out), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_dot16kdf(key, 16, NULL, 0, 12, out), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_dot16kdf(key, 16, NULL, 0, TEKHO_KDF_MAX_BITS + 8, out), TEKHO_ERR_INVALID_ARGUMENT);
    CHECK_ERR(tekho_dot16kdf(key, 16, NULL, 0, 128, out), TEKHO_OK);
}

int main(void)
{
    test_rfc4493();
    test_rfc3394();
    test_ccm();
    test_vendor_hierarchy();
    test_cmac_key_cache();
    test_kdf_arguments();
    return test_summary("test_published_vectors");
}
