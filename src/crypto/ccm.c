#include "ccm.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

EVP_CIPHER_CTX *tekho_ccm_ctx_new(const EVP_CIPHER *ccm, const uint8_t key[16], size_t nonce_len, size_t tag_len,
                                  int encrypt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return NULL;
    if (!EVP_CipherInit_ex(ctx, ccm ? ccm : EVP_aes_128_ccm(), NULL, NULL, NULL, encrypt) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len, NULL) <= 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, NULL) <= 0 ||
        !EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, encrypt)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* CCM must be told the message length before any AAD or data. libcrypto
 * wants a non-NULL data pointer even for an empty message. */
static int ccm_begin(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aad_len, size_t len)
{
    int out_len = 0;
    if (len > INT_MAX || aad_len > INT_MAX)
        return 0;
    if (!EVP_CipherUpdate(ctx, NULL, &out_len, NULL, (int)len))
        return 0;
    return aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &out_len, aad, (int)aad_len);
}

tekho_err tekho_ccm_encrypt(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                            size_t tag_len)
{
    static const uint8_t empty[1];
    int out_len = 0;
    /* The tag as a parameter, not through EVP_CIPHER_CTX_ctrl: in OpenSSL
     * 3 a ctrl is translated into this same parameter, at a cost that
     * shows on every small PDU. */
    OSSL_PARAM get_tag[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, tag_len),
                            OSSL_PARAM_construct_end()};
    int ok = EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) && ccm_begin(ctx, aad, aad_len, len) &&
             EVP_EncryptUpdate(ctx, len ? out : tag, &out_len, len ? in : empty, (int)len) &&
             EVP_EncryptFinal_ex(ctx, tag, &out_len) && EVP_CIPHER_CTX_get_params(ctx, get_tag) > 0;
    return ok ? TEKHO_OK : TEKHO_ERR_CRYPTO;
}

tekho_err tekho_ccm_decrypt(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag,
                            size_t tag_len)
{
    static const uint8_t empty[1];
    uint8_t scratch[1];
    int out_len = 0;
    OSSL_PARAM set_tag[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, tag_len),
                            OSSL_PARAM_construct_end()};
    if (!EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) || EVP_CIPHER_CTX_set_params(ctx, set_tag) <= 0 ||
        !ccm_begin(ctx, aad, aad_len, len))
        return TEKHO_ERR_CRYPTO;
    if (!EVP_DecryptUpdate(ctx, len ? out : scratch, &out_len, len ? in : empty, (int)len))
        return TEKHO_ERR_BAD_ICV;
    return TEKHO_OK;
}
