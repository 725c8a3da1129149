/* The PKMv2 key hierarchy for EAP-based authorization
 * (IEEE 802.16-2009 7.2.2.2; profile section 2). */
#ifndef TEKHO_KEYS_H
#define TEKHO_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "tekho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_MSK_LEN 64u
#define TEKHO_PMK_LEN 20u
#define TEKHO_AK_LEN 20u
#define TEKHO_AKID_LEN 8u
#define TEKHO_KEY128_LEN 16u
#define TEKHO_MAC_ADDR_LEN 6u
#define TEKHO_BSID_LEN 6u

/* Everything derived from one AK (one MS, one BS, one PMK). The CMAC keys
 * themselves depend on CMAC_KEY_COUNT and are derived separately. */
struct tekho_ak_keys {
    uint8_t pmk[TEKHO_PMK_LEN];
    uint8_t ak[TEKHO_AK_LEN];
    uint8_t akid[TEKHO_AKID_LEN];
    uint8_t cmac_prekey_u[TEKHO_KEY128_LEN];
    uint8_t cmac_prekey_d[TEKHO_KEY128_LEN];
    uint8_t kek[TEKHO_KEY128_LEN];
};

struct tekho_cmac_keys {
    uint8_t key_u[TEKHO_KEY128_LEN];
    uint8_t key_d[TEKHO_KEY128_LEN];
};

/* PMK = Truncate(MSK, 160): the last 20 bytes of the 64-byte MSK. Errors:
 * invalid argument (NULL). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_pmk_from_msk(const uint8_t msk[TEKHO_MSK_LEN],
                                                       uint8_t pmk[TEKHO_PMK_LEN]);

/* AK, AKID, CMAC_PREKEY_U/D and KEK from a PMK for one (MS, BS) pair.
 * Only the low 4 bits of pmk_sn enter the AKID. On error *out is wiped. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_derive_ak_keys(const uint8_t pmk[TEKHO_PMK_LEN],
                                                         const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                         const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                         struct tekho_ak_keys *out);

/* What a base station derives from an AK it received in an AK context (it
 * never sees the PMK): AKID, CMAC_PREKEY_U/D and KEK. out->pmk is zeroed. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_derive_from_ak(const uint8_t ak[TEKHO_AK_LEN],
                                                         const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                         const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                         struct tekho_ak_keys *out);

/* The whole hierarchy from the MSK: PMK first, then tekho_derive_ak_keys. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_derive_from_msk(const uint8_t msk[TEKHO_MSK_LEN],
                                                          const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                                          const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                                          struct tekho_ak_keys *out);

/* CMAC_KEY_U/D = AES-128-ECB(CMAC_PREKEY_U/D, 14 zero bytes | u16(count)).
 * Errors: invalid argument (NULL), crypto (libcrypto failed). The derive
 * functions above fail the same ways, and also with no memory. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_derive_cmac_keys(const struct tekho_ak_keys *ak_keys,
                                                           uint16_t cmac_key_count,
                                                           struct tekho_cmac_keys *out);

/* Overwrite every key in *keys with zeros in a way the compiler cannot
 * drop (OPENSSL_cleanse). NULL is accepted. */
TEKHO_API void tekho_ak_keys_wipe(struct tekho_ak_keys *keys);
TEKHO_API void tekho_cmac_keys_wipe(struct tekho_cmac_keys *keys);

#ifdef __cplusplus
}
#endif
#endif
