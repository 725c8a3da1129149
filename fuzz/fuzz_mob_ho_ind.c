#include "fuzz_common.h"
#include "tekho/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_ROUND_TRIP(struct tekho_mob_ho_ind, tekho_mob_ho_ind_decode, tekho_mob_ho_ind_encode, data, size);
    return 0;
}
