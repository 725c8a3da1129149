/* TEK transport under the KEK for the baseline (Key-Reply, SA-TEK-Update):
 * IEEE 802.16-2009 7.5.2; profile section 8. */
#ifndef TEKHO_KEYWRAP_H
#define TEKHO_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Crypto suites by the TEK encryption algorithm they name. */
#define TEKHO_SUITE_CCM_KEYWRAP 0x020104u /* RFC 3394 AES key wrap, 24 bytes */
#define TEKHO_SUITE_CCM_ECB 0x020103u     /* AES-128-ECB of the TEK, 16 bytes */
#define TEKHO_WRAPPED_TEK_MAX 24u

/* The wrapped length for a suite in bytes (24 for key wrap, 16 for ECB),
 * or 0 for an unsupported suite. */
TEKHO_API size_t tekho_tek_wrapped_len(uint32_t suite);

/* Encrypts the TEK under the KEK as the suite says (RFC 3394 key wrap or
 * AES-128-ECB) into out; *out_len is tekho_tek_wrapped_len(suite). Errors:
 * invalid argument (NULL), unsupported suite, buffer too small (out_cap
 * below the wrapped length), crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_wrap(uint32_t suite, const uint8_t kek[16], const uint8_t tek[16],
                                                   uint8_t *out, size_t out_cap, size_t *out_len);
/* Decrypts a wrapped TEK into tek (16 bytes, written only on success).
 * TEKHO_ERR_UNWRAP_FAILED when the RFC 3394 integrity check fails. ECB has
 * no integrity check: any 16 bytes unwrap. Other errors: invalid argument
 * (NULL), unsupported suite, truncated or length mismatch (wrapped_len
 * shorter or longer than the suite's), crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_tek_unwrap(uint32_t suite, const uint8_t kek[16], const uint8_t *wrapped,
                                                     size_t wrapped_len, uint8_t tek[16]);

#ifdef __cplusplus
}
#endif
#endif
