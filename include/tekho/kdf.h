/* Dot16KDF, the key derivation function of IEEE 802.16-2009 7.5.4.6.1 (CMAC mode). */
#ifndef TEKHO_KDF_H
#define TEKHO_KDF_H

#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A message given as pieces, so callers never build concatenation buffers
 * (Dot16KDF's input is u32(i) | astring | u32(bits)). */
struct tekho_piece {
    const uint8_t *data;
    size_t len;
};

/* Output length limits: a multiple of 8 bits, at most this many. */
#define TEKHO_KDF_MAX_BITS 4096u

/* Dot16KDF(key, astring, bits): key is at least 16 bytes and its rightmost
 * 16 bytes are used; astring is n_pieces pieces (at most 14) read in order;
 * out receives bits/8 bytes, the rightmost bits of the concatenated
 * AES-CMAC blocks (profile section 1). Errors: invalid argument (NULL, key
 * shorter than 16 bytes, bits 0, not a multiple of 8 or above
 * TEKHO_KDF_MAX_BITS, too many pieces), no memory, crypto; out is wiped on
 * a crypto failure. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_dot16kdf(const uint8_t *key, size_t key_len,
                                                   const struct tekho_piece *astring, size_t n_pieces,
                                                   unsigned bits, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif
