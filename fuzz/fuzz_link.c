/* The link-layer classifier of capture records (every link type the
 * reader takes, chosen by the first input byte) and the M2M parser. */
#include "fuzz_common.h"
#include "tekho/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t types[] = {TEKHO_LINKTYPE_NULL,      TEKHO_LINKTYPE_ETHERNET, TEKHO_LINKTYPE_RAW,
                                     TEKHO_LINKTYPE_LOOP,      TEKHO_LINKTYPE_LINUX_SLL, TEKHO_LINKTYPE_USER0,
                                     TEKHO_LINKTYPE_IPV4,      TEKHO_LINKTYPE_IPV6,     TEKHO_LINKTYPE_LINUX_SLL2,
                                     105};
    if (size < 1)
        return 0;
    const uint32_t linktype = types[data[0] % (sizeof types / sizeof types[0])];
    uint8_t *in = fuzz_exact_copy(data + 1, size - 1);
    struct tekho_link_frame f;
    if (in && tekho_link_parse(linktype, in, size - 1, 2231, &f) == TEKHO_OK) {
        FUZZ_ASSERT(f.kind == TEKHO_CAPTURE_OTHER || (f.payload >= in && f.payload + f.payload_len <= in + size - 1));
        FUZZ_ASSERT((f.kind == TEKHO_CAPTURE_OTHER) == (f.skipped != NULL));
        struct tekho_m2m m;
        if (f.m2m && tekho_m2m_parse(f.payload, f.payload_len, &m) == TEKHO_OK) {
            FUZZ_ASSERT(m.n_bursts <= TEKHO_M2M_MAX_BURSTS);
            for (size_t i = 0; i < m.n_bursts; i++)
                FUZZ_ASSERT(m.bursts[i].data >= f.payload &&
                            m.bursts[i].data + m.bursts[i].len <= f.payload + f.payload_len);
        }
    }
    free(in);
    return 0;
}
