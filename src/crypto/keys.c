/* PKMv2 key hierarchy, IEEE 802.16-2009 7.2.2.2.1-7.2.2.2.9; profile section 2. */
#include "tekho/keys.h"

#include <openssl/crypto.h>
#include <string.h>

#include "aes_block.h"
#include "aes_cmac.h"
#include "kit.h"

static const uint8_t LABEL_AK[] = {'A', 'K'};
static const uint8_t LABEL_CMAC_KEYS_KEK[] = "CMAC_KEYS+KEK";

tekho_err tekho_pmk_from_msk(const uint8_t msk[TEKHO_MSK_LEN], uint8_t pmk[TEKHO_PMK_LEN])
{
    if (msk == NULL || pmk == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    memcpy(pmk, msk + TEKHO_MSK_LEN - TEKHO_PMK_LEN, TEKHO_PMK_LEN);
    return TEKHO_OK;
}

/* AKID, CMAC_PREKEY_U/D and KEK from keys->ak (802.16-2009 7.2.2.2.3, 7.2.2.2.9). */
/* AK = Dot16KDF(PMK, MS MAC | BSID | "AK", 160) */
static tekho_err derive_ak(struct tekho_aes_cmac *cmac, const uint8_t pmk[TEKHO_PMK_LEN],
                           const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                           uint8_t ak[TEKHO_AK_LEN])
{
    const struct tekho_piece ak_astring[] = {
        {ms_mac, TEKHO_MAC_ADDR_LEN}, {bsid, TEKHO_BSID_LEN}, {LABEL_AK, sizeof LABEL_AK}};
    return tekho_dot16kdf_with(cmac, pmk, TEKHO_PMK_LEN, ak_astring, 3, 160, ak);
}

/* AKID = Dot16KDF(AK, PMK_SN | MS MAC | BSID | "AK", 64); PMK_SN is 4 bits. */
static tekho_err derive_akid(struct tekho_aes_cmac *cmac, const uint8_t ak[TEKHO_AK_LEN],
                             const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                             uint8_t pmk_sn, uint8_t akid[8])
{
    const uint8_t sn = (uint8_t)(pmk_sn & 0x0F);
    const struct tekho_piece akid_astring[] = {{&sn, 1},
                                               {ms_mac, TEKHO_MAC_ADDR_LEN},
                                               {bsid, TEKHO_BSID_LEN},
                                               {LABEL_AK, sizeof LABEL_AK}};
    return tekho_dot16kdf_with(cmac, ak, TEKHO_AK_LEN, akid_astring, 4, 64, akid);
}

static tekho_err derive_below_ak(struct tekho_aes_cmac *cmac, const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                 const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn, struct tekho_ak_keys *keys)
{
    tekho_err err = derive_akid(cmac, keys->ak, ms_mac, bsid, pmk_sn, keys->akid);

    /* CMAC_PREKEY_U | CMAC_PREKEY_D | KEK = Dot16KDF(AK, MS MAC | BSID | "CMAC_KEYS+KEK", 384) */
    uint8_t triple[48];
    const struct tekho_piece kek_astring[] = {{ms_mac, TEKHO_MAC_ADDR_LEN},
                                              {bsid, TEKHO_BSID_LEN},
                                              {LABEL_CMAC_KEYS_KEK, sizeof LABEL_CMAC_KEYS_KEK - 1}};
    if (err == TEKHO_OK)
        err = tekho_dot16kdf_with(cmac, keys->ak, TEKHO_AK_LEN, kek_astring, 3, 384, triple);
    if (err == TEKHO_OK) {
        memcpy(keys->cmac_prekey_u, triple, 16);
        memcpy(keys->cmac_prekey_d, triple + 16, 16);
        memcpy(keys->kek, triple + 32, 16);
    }
    OPENSSL_cleanse(triple, sizeof triple);
    return err;
}

/* With keys->ak set (err from getting it): the keys below AK, then all
 * into *out, or *out wiped; keys is wiped either way. */
static tekho_err finish_below_ak(struct tekho_aes_cmac *cmac, tekho_err err, const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                 const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn, struct tekho_ak_keys *keys,
                                 struct tekho_ak_keys *out)
{
    if (err == TEKHO_OK)
        err = derive_below_ak(cmac, ms_mac, bsid, pmk_sn, keys);
    if (err == TEKHO_OK)
        *out = *keys;
    else
        tekho_ak_keys_wipe(out);
    tekho_ak_keys_wipe(keys);
    return err;
}

tekho_err tekho_derive_ak_keys_with(struct tekho_crypto_kit *kit, const uint8_t pmk[TEKHO_PMK_LEN],
                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                                    uint8_t pmk_sn, struct tekho_ak_keys *out)
{
    if (kit == NULL || pmk == NULL || ms_mac == NULL || bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_ak_keys keys;
    memset(&keys, 0, sizeof keys);
    memcpy(keys.pmk, pmk, TEKHO_PMK_LEN);

    tekho_err err = derive_ak(kit->cmac, keys.pmk, ms_mac, bsid, keys.ak);
    err = finish_below_ak(kit->cmac, err, ms_mac, bsid, pmk_sn, &keys, out);
    tekho_aes_cmac_forget(kit->cmac);
    return err;
}

tekho_err tekho_derive_ak_akid_with(struct tekho_crypto_kit *kit, const uint8_t pmk[TEKHO_PMK_LEN],
                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                                    uint8_t pmk_sn, uint8_t ak[TEKHO_AK_LEN], uint8_t akid[8])
{
    if (kit == NULL || pmk == NULL || ms_mac == NULL || bsid == NULL || ak == NULL || akid == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    tekho_err err = derive_ak(kit->cmac, pmk, ms_mac, bsid, ak);
    if (err == TEKHO_OK)
        err = derive_akid(kit->cmac, ak, ms_mac, bsid, pmk_sn, akid);
    tekho_aes_cmac_forget(kit->cmac);
    if (err != TEKHO_OK) {
        OPENSSL_cleanse(ak, TEKHO_AK_LEN);
        OPENSSL_cleanse(akid, 8);
    }
    return err;
}

tekho_err tekho_derive_ak_keys(const uint8_t pmk[TEKHO_PMK_LEN], const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                               const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                               struct tekho_ak_keys *out)
{
    if (pmk == NULL || ms_mac == NULL || bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_crypto_kit *kit = NULL;
    tekho_err err = tekho_crypto_kit_new(&kit);
    if (err == TEKHO_OK)
        err = tekho_derive_ak_keys_with(kit, pmk, ms_mac, bsid, pmk_sn, out);
    tekho_crypto_kit_free(kit);
    return err;
}

tekho_err tekho_derive_from_ak_with(struct tekho_crypto_kit *kit, const uint8_t ak[TEKHO_AK_LEN],
                                    const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                                    uint8_t pmk_sn, struct tekho_ak_keys *out)
{
    if (kit == NULL || ak == NULL || ms_mac == NULL || bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_ak_keys keys;
    memset(&keys, 0, sizeof keys);
    memcpy(keys.ak, ak, TEKHO_AK_LEN);
    const tekho_err err = finish_below_ak(kit->cmac, TEKHO_OK, ms_mac, bsid, pmk_sn, &keys, out);
    tekho_aes_cmac_forget(kit->cmac);
    return err;
}

tekho_err tekho_derive_from_ak(const uint8_t ak[TEKHO_AK_LEN], const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                               const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn, struct tekho_ak_keys *out)
{
    if (ak == NULL || ms_mac == NULL || bsid == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    struct tekho_crypto_kit *kit = NULL;
    tekho_err err = tekho_crypto_kit_new(&kit);
    if (err == TEKHO_OK)
        err = tekho_derive_from_ak_with(kit, ak, ms_mac, bsid, pmk_sn, out);
    tekho_crypto_kit_free(kit);
    return err;
}

tekho_err tekho_derive_from_msk_with(struct tekho_crypto_kit *kit, const uint8_t msk[TEKHO_MSK_LEN],
                                     const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN], const uint8_t bsid[TEKHO_BSID_LEN],
                                     uint8_t pmk_sn, struct tekho_ak_keys *out)
{
    uint8_t pmk[TEKHO_PMK_LEN];
    tekho_err err = tekho_pmk_from_msk(msk, pmk);
    if (err == TEKHO_OK)
        err = tekho_derive_ak_keys_with(kit, pmk, ms_mac, bsid, pmk_sn, out);
    OPENSSL_cleanse(pmk, sizeof pmk);
    return err;
}

tekho_err tekho_derive_from_msk(const uint8_t msk[TEKHO_MSK_LEN], const uint8_t ms_mac[TEKHO_MAC_ADDR_LEN],
                                const uint8_t bsid[TEKHO_BSID_LEN], uint8_t pmk_sn,
                                struct tekho_ak_keys *out)
{
    struct tekho_crypto_kit *kit = NULL;
    tekho_err err = tekho_crypto_kit_new(&kit);
    if (err == TEKHO_OK)
        err = tekho_derive_from_msk_with(kit, msk, ms_mac, bsid, pmk_sn, out);
    tekho_crypto_kit_free(kit);
    return err;
}

/* With kit NULL, one-shot ECB contexts. */
tekho_err tekho_derive_cmac_keys_with(struct tekho_crypto_kit *kit, const struct tekho_ak_keys *ak_keys,
                                      uint16_t cmac_key_count, struct tekho_cmac_keys *out)
{
    if (ak_keys == NULL || out == NULL)
        return TEKHO_ERR_INVALID_ARGUMENT;
    /* One ECB block, not CMAC: 802.16-2009 7.2.2.2.9 as pinned by the vendor vector. */
    uint8_t block[16] = {0};
    block[14] = (uint8_t)(cmac_key_count >> 8);
    block[15] = (uint8_t)cmac_key_count;
    struct tekho_cmac_keys keys;
    tekho_err err = kit ? tekho_aes128_ecb_with(kit->ecb, 1, ak_keys->cmac_prekey_u, block, keys.key_u)
                        : tekho_aes128_ecb(1, ak_keys->cmac_prekey_u, block, keys.key_u);
    if (err == TEKHO_OK)
        err = kit ? tekho_aes128_ecb_with(kit->ecb, 1, ak_keys->cmac_prekey_d, block, keys.key_d)
                  : tekho_aes128_ecb(1, ak_keys->cmac_prekey_d, block, keys.key_d);
    if (err == TEKHO_OK)
        *out = keys;
    else
        tekho_cmac_keys_wipe(out);
    tekho_cmac_keys_wipe(&keys);
    return err;
}

tekho_err tekho_derive_cmac_keys(const struct tekho_ak_keys *ak_keys, uint16_t cmac_key_count,
                                 struct tekho_cmac_keys *out)
{
    return tekho_derive_cmac_keys_with(NULL, ak_keys, cmac_key_count, out);
}

void tekho_ak_keys_wipe(struct tekho_ak_keys *keys)
{
    if (keys != NULL)
        OPENSSL_cleanse(keys, sizeof *keys);
}

void tekho_cmac_keys_wipe(struct tekho_cmac_keys *keys)
{
    if (keys != NULL)
        OPENSSL_cleanse(keys, sizeof *keys);
}
