/* TEK encryption under the KEK (IEEE 802.16-2009 7.5.2; profile section 8),
 * on libcrypto's AES key wrap (RFC 3394) and AES-ECB. */
#include "tekho/keywrap.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aes_block.h"
#include "kit.h"

size_t tekho_tek_wrapped_len(uint32_t suite)
{
    switch (suite) {
    case TEKHO_SUITE_CCM_KEYWRAP: return 24;
    case TEKHO_SUITE_CCM_ECB: return 16;
    default: return 0;
    }
}

/* RFC 3394 with its default IV; encrypt = 1 wraps, 0 unwraps. wrap is a
 * fetched AES-128-WRAP, or NULL to have libcrypto resolve it here. */
static tekho_err aes_key_wrap(const EVP_CIPHER *wrap, int encrypt, const uint8_t kek[16], const uint8_t *in,
                              int in_len, uint8_t *out, int expected_len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return TEKHO_ERR_NO_MEMORY;
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    int len = 0;
    tekho_err err = TEKHO_OK;
    if (!EVP_CipherInit_ex(ctx, wrap ? wrap : EVP_aes_128_wrap(), NULL, kek, NULL, encrypt))
        err = TEKHO_ERR_CRYPTO;
    else if (EVP_CipherUpdate(ctx, out, &len, in, in_len) <= 0 || len != expected_len)
        err = encrypt ? TEKHO_ERR_CRYPTO : TEKHO_ERR_UNWRAP_FAILED;
    EVP_CIPHER_CTX_free(ctx);
    return err;
}

tekho_err tekho_tek_wrap_with(struct tekho_crypto_kit *kit, uint32_t suite, const uint8_t kek[16],
                              const uint8_t tek[16], uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (kek == NULL || tek == NULL || out == NULL || out_len == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t len = tekho_tek_wrapped_len(suite);
    if (len == 0)
        return TEKHO_ERR_UNSUPPORTED_SUITE;
    if (out_cap < len)
        return TEKHO_ERR_BUFFER_TOO_SMALL;
    tekho_err err;
    if (suite == TEKHO_SUITE_CCM_KEYWRAP)
        err = aes_key_wrap(kit ? kit->wrap : NULL, 1, kek, tek, 16, out, 24);
    else
        err = kit ? tekho_aes128_ecb_with(kit->ecb, 1, kek, tek, out) : tekho_aes128_ecb(1, kek, tek, out);
    if (err == TEKHO_OK)
        *out_len = len;
    return err;
}

tekho_err tekho_tek_wrap(uint32_t suite, const uint8_t kek[16], const uint8_t tek[16], uint8_t *out,
                         size_t out_cap, size_t *out_len)
{
    return tekho_tek_wrap_with(NULL, suite, kek, tek, out, out_cap, out_len);
}

tekho_err tekho_tek_unwrap_with(struct tekho_crypto_kit *kit, uint32_t suite, const uint8_t kek[16],
                                const uint8_t *wrapped, size_t wrapped_len, uint8_t tek[16])
{
    if (kek == NULL || wrapped == NULL || tek == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t len = tekho_tek_wrapped_len(suite);
    if (len == 0)
        return TEKHO_ERR_UNSUPPORTED_SUITE;
    if (wrapped_len != len)
        return wrapped_len < len ? TEKHO_ERR_TRUNCATED : TEKHO_ERR_LENGTH_MISMATCH;
    uint8_t plain[24];
    tekho_err err;
    if (suite == TEKHO_SUITE_CCM_KEYWRAP)
        err = aes_key_wrap(kit ? kit->wrap : NULL, 0, kek, wrapped, 24, plain, 16);
    else
        err = kit ? tekho_aes128_ecb_with(kit->ecb, 0, kek, wrapped, plain) : tekho_aes128_ecb(0, kek, wrapped, plain);
    if (err == TEKHO_OK)
        for (int i = 0; i < 16; i++)
            tek[i] = plain[i];
    OPENSSL_cleanse(plain, sizeof plain);
    return err;
}

tekho_err tekho_tek_unwrap(uint32_t suite, const uint8_t kek[16], const uint8_t *wrapped, size_t wrapped_len,
                           uint8_t tek[16])
{
    return tekho_tek_unwrap_with(NULL, suite, kek, wrapped, wrapped_len, tek);
}
