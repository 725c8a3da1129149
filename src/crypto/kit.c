#include "kit.h"

#include <stdlib.h>

#include "ccm.h"

tekho_err tekho_crypto_kit_new(struct tekho_crypto_kit **out)
{
    if (out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    *out = NULL;
    struct tekho_crypto_kit *kit = calloc(1, sizeof *kit);
    if (kit == NULL)
        return TEKHO_ERR_NO_MEMORY;
    tekho_err err = tekho_aes_cmac_new(&kit->cmac);
    if (err == TEKHO_OK) {
        kit->ecb = EVP_CIPHER_CTX_new();
        /* The cipher is bound here, once; each block only re-keys. */
        if (kit->ecb == NULL)
            err = TEKHO_ERR_NO_MEMORY;
        else if (!EVP_CipherInit_ex(kit->ecb, EVP_aes_128_ecb(), NULL, NULL, NULL, 1) ||
                 !EVP_CIPHER_CTX_set_padding(kit->ecb, 0))
            err = TEKHO_ERR_CRYPTO;
    }
    if (err == TEKHO_OK) {
        kit->ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
        kit->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
        kit->digest = EVP_MD_CTX_new();
        kit->wrap = EVP_CIPHER_fetch(NULL, "AES-128-WRAP", NULL);
        if (kit->ccm == NULL || kit->sha256 == NULL || kit->digest == NULL || kit->wrap == NULL)
            err = TEKHO_ERR_CRYPTO;
    }
    if (err == TEKHO_OK) {
        static const uint8_t none[16] = {0};
        err = tekho_pdu_key_new_with(kit->ccm, none, &kit->pdu);
        if (err == TEKHO_OK)
            tekho_pdu_key_forget(kit->pdu, none); /* holds no TEK until one is used */
    }
    if (err != TEKHO_OK) {
        tekho_crypto_kit_free(kit);
        return err;
    }
    *out = kit;
    return TEKHO_OK;
}

void tekho_crypto_kit_free(struct tekho_crypto_kit *kit)
{
    if (kit == NULL)
        return;
    tekho_aes_cmac_free(kit->cmac);
    EVP_CIPHER_CTX_free(kit->ecb); /* cleanses the key schedule */
    EVP_CIPHER_free(kit->ccm);
    EVP_MD_free(kit->sha256);
    EVP_MD_CTX_free(kit->digest); /* cleanses the state (a TEK's hash) */
    EVP_CIPHER_free(kit->wrap);
    tekho_pdu_key_free(kit->pdu); /* cleanses the last TEK and its schedules */
    free(kit);
}
