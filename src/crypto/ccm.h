/* Internal: AES-128-CCM on a keyed, reusable libcrypto context, so the key
 * schedule is done once per TEK and not once per PDU. */
#ifndef TEKHO_SRC_CCM_H
#define TEKHO_SRC_CCM_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"
#include "tekho/pdu.h"

/* A context for one direction of use (encrypt = 1 seals, 0 opens), with
 * the nonce and tag lengths fixed. NULL on failure. ccm is a fetched
 * AES-128-CCM (one fetch for several contexts) or NULL to fetch here. */
EVP_CIPHER_CTX *tekho_ccm_ctx_new(const EVP_CIPHER *ccm, const uint8_t key[16], size_t nonce_len, size_t tag_len,
                                  int encrypt);

/* key: NULL to keep the context's key, or a new one, set with the nonce
 * in one libcrypto call (a shared context re-keyed per PDU: one call's
 * parameter look-ups less than a re-key and a nonce apart). */
TEKHO_NODISCARD tekho_err tekho_ccm_encrypt(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce,
                                            const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                                            uint8_t *out, uint8_t *tag, size_t tag_len);

/* TEKHO_ERR_BAD_ICV when the tag does not verify; out then holds no
 * plaintext (libcrypto compares in constant time and wipes it). */
TEKHO_NODISCARD tekho_err tekho_ccm_decrypt(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce,
                                            const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                                            uint8_t *out, const uint8_t *tag, size_t tag_len);

/* tekho_pdu_key_new on an AES-128-CCM fetched already (the key takes a
 * reference), or NULL to fetch here. */
TEKHO_NODISCARD tekho_err tekho_pdu_key_new_with(EVP_CIPHER *ccm, const uint8_t tek[16], struct tekho_pdu_key **out);

/* A key shared by many TEKs, one at a time (a crypto kit's): use makes
 * tek the key its next seal or open runs under (each direction's context
 * is re-keyed, not made again, when it is next used); forget wipes it
 * and its key schedules if it holds tek (a TEK being wiped), after which
 * it seals and opens nothing until the next use. */
TEKHO_NODISCARD tekho_err tekho_pdu_key_use(struct tekho_pdu_key *key, const uint8_t tek[16]);
void tekho_pdu_key_forget(struct tekho_pdu_key *key, const uint8_t tek[16]);

#endif
