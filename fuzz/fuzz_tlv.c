/* The 802.16 TLV reader on its own: every TLV it returns lies inside the input. */
#include "fuzz_common.h"
#include "tekho/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = fuzz_exact_copy(data, size);
    if (in == NULL)
        return 0;
    struct tekho_tlv_reader r;
    tekho_tlv_reader_init(&r, in, size);
    for (;;) {
        struct tekho_tlv t;
        bool got = false;
        if (tekho_tlv_next(&r, &t, &got) != TEKHO_OK || !got)
            break;
        FUZZ_ASSERT(t.len > 0 && t.value > in && t.value + t.len <= in + size);
    }
    free(in);
    return 0;
}
