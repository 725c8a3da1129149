/* Internal: one AES-128 block encryption/decryption (ECB), via EVP. */
#ifndef TEKHO_SRC_AES_BLOCK_H
#define TEKHO_SRC_AES_BLOCK_H

#include <stdint.h>
#include "tekho/error.h"

TEKHO_NODISCARD tekho_err tekho_aes128_ecb(int encrypt, const uint8_t key[16], const uint8_t in[16],
                                           uint8_t out[16]);

#endif
