/* Internal: a reusable AES-128-CMAC context on OpenSSL libcrypto. */
#ifndef TEKHO_SRC_AES_CMAC_H
#define TEKHO_SRC_AES_CMAC_H

#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"
#include "tekho/kdf.h"

struct tekho_aes_cmac;

TEKHO_NODISCARD tekho_err tekho_aes_cmac_new(struct tekho_aes_cmac **out);
/* Frees and wipes the key schedule and subkeys. NULL is accepted. */
void tekho_aes_cmac_free(struct tekho_aes_cmac *cmac);
TEKHO_NODISCARD tekho_err tekho_aes_cmac_set_key(struct tekho_aes_cmac *cmac, const uint8_t key[16]);
/* Leaves nothing of the last key in the context: the subkeys and the
 * chaining state (the last MAC) are cleansed, the cipher context with its
 * key schedule is freed (cleansed by the provider), and the copy of the
 * key is wiped. Every operation of the crypto kit ends with it (L1): a key
 * is in the kit only while it is used. */
void tekho_aes_cmac_forget(struct tekho_aes_cmac *cmac);
/* Full 16-byte AES-CMAC (RFC 4493) of the concatenated pieces under the current key. */
TEKHO_NODISCARD tekho_err tekho_aes_cmac_compute(struct tekho_aes_cmac *cmac,
                                                 const struct tekho_piece *pieces, size_t n_pieces,
                                                 uint8_t out[16]);

/* Dot16KDF on an existing CMAC context (keyed here with the rightmost 16 key bytes). */
TEKHO_NODISCARD tekho_err tekho_dot16kdf_with(struct tekho_aes_cmac *cmac,
                                              const uint8_t *key, size_t key_len,
                                              const struct tekho_piece *astring, size_t n_pieces,
                                              unsigned bits, uint8_t *out);

#endif
