/* Dot16KDF, IEEE 802.16-2009 7.5.4.6.1 (CMAC mode); profile section 1. */
#include "tekho/kdf.h"

#include <openssl/crypto.h>
#include <string.h>

#include "aes_cmac.h"
#include "bytes.h"

/* The astring may be split in pieces; two more carry the block counter and
 * the output length. */
#define KDF_MAX_PIECES 16u

tekho_err tekho_dot16kdf_with(struct tekho_aes_cmac *cmac, const uint8_t *key, size_t key_len,
                              const struct tekho_piece *astring, size_t n_pieces, unsigned bits,
                              uint8_t *out)
{
    if (cmac == NULL || key == NULL || key_len < 16 || out == NULL || bits == 0 || bits % 8 != 0 ||
        bits > TEKHO_KDF_MAX_BITS || n_pieces > KDF_MAX_PIECES - 2 ||
        (astring == NULL && n_pieces != 0))
        return TEKHO_ERR_INVALID_ARGUMENT;

    /* Truncate(key, 128) keeps the rightmost 128 bits (profile 1, [VEC]). */
    tekho_err err = tekho_aes_cmac_set_key(cmac, key + key_len - 16);
    if (err != TEKHO_OK)
        return err;

    uint8_t counter_be[4];
    uint8_t bits_be[4];
    tekho_put_u32be(bits_be, bits);
    struct tekho_piece msg[KDF_MAX_PIECES];
    msg[0] = (struct tekho_piece){counter_be, 4};
    for (size_t i = 0; i < n_pieces; i++)
        msg[1 + i] = astring[i];
    msg[1 + n_pieces] = (struct tekho_piece){bits_be, 4};

    const unsigned out_len = bits / 8;
    const unsigned blocks = (bits + 127) / 128;
    /* Truncate(result, bits) keeps the rightmost bits: the first
     * (blocks*16 - out_len) bytes of the first block are dropped. */
    size_t skip = (size_t)blocks * 16 - out_len;
    size_t written = 0;
    uint8_t block[16];
    for (unsigned i = 0; i < blocks; i++) {
        tekho_put_u32be(counter_be, i);
        err = tekho_aes_cmac_compute(cmac, msg, n_pieces + 2, block);
        if (err != TEKHO_OK)
            break;
        size_t from = skip > 16 ? 16 : skip;
        skip -= from;
        memcpy(out + written, block + from, 16 - from);
        written += 16 - from;
    }
    OPENSSL_cleanse(block, sizeof block);
    if (err != TEKHO_OK)
        OPENSSL_cleanse(out, out_len);
    return err;
}

tekho_err tekho_dot16kdf(const uint8_t *key, size_t key_len, const struct tekho_piece *astring,
                         size_t n_pieces, unsigned bits, uint8_t *out)
{
    struct tekho_aes_cmac *cmac = NULL;
    tekho_err err = tekho_aes_cmac_new(&cmac);
    if (err != TEKHO_OK)
        return err;
    err = tekho_dot16kdf_with(cmac, key, key_len, astring, n_pieces, bits, out);
    tekho_aes_cmac_free(cmac);
    return err;
}
