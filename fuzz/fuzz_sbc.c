#include "fuzz_common.h"
#include "tekho/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_ROUND_TRIP(struct tekho_sbc, tekho_sbc_decode, tekho_sbc_encode, data, size);
    return 0;
}
