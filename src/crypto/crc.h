/*
 * tekho internal CRC helpers.
 *
 * Not part of the public API: these are used by the framing code and are
 * kept separate so the hardware-accelerated path can be cross-checked
 * against the portable one in tests.
 */
#ifndef TEKHO_SRC_CRC_H
#define TEKHO_SRC_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * CRC-8/SMBUS: poly 0x07, init 0x00, MSB-first, no final xor.
 * check("123456789") == 0xF4.
 */
uint8_t tekho_crc8_hcs(const uint8_t *data, size_t len);

/*
 * CRC-32/BZIP2: poly 0x04C11DB7, init 0xFFFFFFFF, MSB-first (not
 * reflected), final xor 0xFFFFFFFF. check("123456789") == 0xFC891918.
 * Uses PCLMULQDQ on x86_64 when the CPU supports it.
 */
uint32_t tekho_crc32_bzip2(const uint8_t *data, size_t len);

/* Same result as tekho_crc32_bzip2(), always via the table-driven path. */
uint32_t tekho_crc32_bzip2_portable(const uint8_t *data, size_t len);

/*
 * Streaming form. `state` is the raw shift register, with neither the
 * initial value nor the final xor applied by this function:
 *
 *     uint32_t s = TEKHO_CRC32_BZIP2_INIT;
 *     s = tekho_crc32_bzip2_update(s, part1, len1);
 *     s = tekho_crc32_bzip2_update(s, part2, len2);
 *     crc = s ^ TEKHO_CRC32_BZIP2_XOROUT;
 *
 * gives the same value as tekho_crc32_bzip2() over part1||part2.
 */
#define TEKHO_CRC32_BZIP2_INIT   UINT32_C(0xFFFFFFFF)
#define TEKHO_CRC32_BZIP2_XOROUT UINT32_C(0xFFFFFFFF)
uint32_t tekho_crc32_bzip2_update(uint32_t state, const uint8_t *data,
                                  size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TEKHO_SRC_CRC_H */
