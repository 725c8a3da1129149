/* Internal: the crypto contexts one role (MS, BS, Authenticator) reuses for
 * every derivation and management-message CMAC. libcrypto fetches the
 * cipher implementation each time a context is set up with a cipher
 * (EVP_aes_128_*() are names, resolved per call); re-keying an existing
 * context does not. At city scale, with 10^4 handovers a second, the
 * fetches and context allocations were most of the run time. */
#ifndef TEKHO_SRC_KIT_H
#define TEKHO_SRC_KIT_H

#include <stdint.h>
#include <openssl/evp.h>

#include "aes_cmac.h"
#include "tekho/cmac.h"
#include "tekho/error.h"
#include "tekho/keys.h"
#include "tekho/tek.h"

struct tekho_crypto_kit {
    struct tekho_aes_cmac *cmac;
    EVP_CIPHER_CTX *ecb; /* AES-128-ECB, no padding: one block at a time */
    EVP_CIPHER *ccm;     /* AES-128-CCM for the TEK contexts the role keys */
    EVP_MD *sha256;      /* TEK fingerprints */
    EVP_MD_CTX *digest;  /* ... computed here */
    EVP_CIPHER *wrap;    /* AES-128-WRAP for TEKs sent under the KEK (the baselines) */
    /* The AES-CCM contexts every TEK context keyed by this kit seals and
     * opens on, re-keyed to the TEK in use (tekho_pdu_key_use): one pair
     * per kit, not one per TEK, whatever the number of MSs. */
    struct tekho_pdu_key *pdu;
};

TEKHO_NODISCARD tekho_err tekho_crypto_kit_new(struct tekho_crypto_kit **out);
/* Wipes and frees. NULL is accepted. */
void tekho_crypto_kit_free(struct tekho_crypto_kit *kit);

/* The public functions of the same names without _with, on the kit's contexts. */
TEKHO_NODISCARD tekho_err tekho_aes128_ecb_with(EVP_CIPHER_CTX *ecb, int encrypt, const uint8_t key[16],
                                                const uint8_t in[16], uint8_t out[16]);
TEKHO_NODISCARD tekho_err tekho_cmac_value_with(struct tekho_aes_cmac *cmac, const uint8_t cmac_key[16],
                                                const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid,
                                                const uint8_t *message, size_t message_len,
                                                uint8_t out[TEKHO_CMAC_VALUE_LEN]);
TEKHO_NODISCARD tekho_err tekho_cmac_verify_with(struct tekho_aes_cmac *cmac, const uint8_t cmac_key[16],
                                                 const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid,
                                                 const uint8_t *message, size_t message_len,
                                                 const uint8_t expected[TEKHO_CMAC_VALUE_LEN]);
TEKHO_NODISCARD tekho_err tekho_mgmt_cmac_sign_with(struct tekho_aes_cmac *cmac, uint8_t *msg, size_t len,
                                                    size_t cmac_offset, const uint8_t cmac_key[16],
                                                    const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid);
TEKHO_NODISCARD tekho_err tekho_mgmt_cmac_verify_with(struct tekho_aes_cmac *cmac, const uint8_t *msg, size_t len,
                                                      size_t cmac_offset, const uint8_t cmac_key[16],
                                                      const uint8_t akid[8], uint32_t cmac_pn, uint16_t cid);
TEKHO_NODISCARD tekho_err tekho_derive_ak_keys_with(struct tekho_crypto_kit *kit, const uint8_t pmk[TEKHO_PMK_LEN],
                                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                    const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                    struct tekho_ak_keys *out);
/* AK and AKID only: what the Authenticator hands a BS (the BS derives the rest). */
TEKHO_NODISCARD tekho_err tekho_derive_ak_akid_with(struct tekho_crypto_kit *kit, const uint8_t pmk[TEKHO_PMK_LEN],
                                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                    const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                    uint8_t ak[TEKHO_AK_LEN], uint8_t akid[8]);
TEKHO_NODISCARD tekho_err tekho_derive_from_ak_with(struct tekho_crypto_kit *kit, const uint8_t ak[TEKHO_AK_LEN],
                                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                    const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                    struct tekho_ak_keys *out);
TEKHO_NODISCARD tekho_err tekho_derive_from_msk_with(struct tekho_crypto_kit *kit, const uint8_t msk[TEKHO_MSK_LEN],
                                                     const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                     const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                     struct tekho_ak_keys *out);
TEKHO_NODISCARD tekho_err tekho_derive_cmac_keys_with(struct tekho_crypto_kit *kit,
                                                      const struct tekho_ak_keys *ak_keys, uint16_t cmac_key_count,
                                                      struct tekho_cmac_keys *out);
TEKHO_NODISCARD tekho_err tekho_tek_wrap_with(struct tekho_crypto_kit *kit, uint32_t suite, const uint8_t kek[16],
                                              const uint8_t tek[16], uint8_t *out, size_t out_cap, size_t *out_len);
TEKHO_NODISCARD tekho_err tekho_tek_unwrap_with(struct tekho_crypto_kit *kit, uint32_t suite, const uint8_t kek[16],
                                                const uint8_t *wrapped, size_t wrapped_len, uint8_t tek[16]);
TEKHO_NODISCARD tekho_err tekho_tek_generate_with(struct tekho_aes_cmac *cmac, const uint8_t kek[TEKHO_TEK_LEN],
                                                  uint16_t cmac_key_count_t, uint16_t said,
                                                  uint8_t tek0[TEKHO_TEK_LEN], uint8_t tek1[TEKHO_TEK_LEN]);
TEKHO_NODISCARD tekho_err tekho_tek_context_init_counter_with(struct tekho_crypto_kit *kit,
                                                              struct tekho_tek_context *ctx,
                                                              const struct tekho_tek_context_params *params,
                                                              const uint8_t kek[TEKHO_TEK_LEN],
                                                              uint16_t cmac_key_count_t);

#endif
