/* The Ethernet/IPv4/UDP parser used when reading backbone captures. */
#include "fuzz_common.h"
#include "tekho/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = fuzz_exact_copy(data, size);
    struct tekho_udp_frame f;
    if (in && tekho_udp_frame_parse(in, size, &f) == TEKHO_OK)
        FUZZ_ASSERT(f.payload >= in && f.payload + f.payload_len <= in + size);
    free(in);
    return 0;
}
