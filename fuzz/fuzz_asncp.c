#include "fuzz_common.h"
#include "tekho/asncp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_ROUND_TRIP(struct tekho_asncp, tekho_asncp_decode, tekho_asncp_encode, data, size);
    return 0;
}
