#include "aes_block.h"

#include <openssl/evp.h>

#include "kit.h"

tekho_err tekho_aes128_ecb(int encrypt, const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return TEKHO_ERR_NO_MEMORY;
    int len = 0;
    int ok = EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, encrypt ? 1 : 0) &&
             EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_CipherUpdate(ctx, out, &len, in, 16) &&
             len == 16;
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    return ok ? TEKHO_OK : TEKHO_ERR_CRYPTO;
}

tekho_err tekho_aes128_ecb_with(EVP_CIPHER_CTX *ecb, int encrypt, const uint8_t key[16], const uint8_t in[16],
                                uint8_t out[16])
{
    static const uint8_t CONSTANT[16] = {0};
    int len = 0;
    const bool ok = EVP_CipherInit_ex(ecb, NULL, NULL, key, NULL, encrypt ? 1 : 0) &&
                    EVP_CipherUpdate(ecb, out, &len, in, 16) && len == 16;
    /* Nothing of the key stays in the kit (L1): re-keyed with a constant,
     * or, should that fail, reset (cleansed; later blocks then fail). */
    if (!EVP_CipherInit_ex(ecb, NULL, NULL, CONSTANT, NULL, 1))
        EVP_CIPHER_CTX_reset(ecb);
    return ok ? TEKHO_OK : TEKHO_ERR_CRYPTO;
}
