#include "fuzz_common.h"
#include "tekho/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_ROUND_TRIP(struct tekho_pkm, tekho_pkm_decode, tekho_pkm_encode, data, size);
    return 0;
}
