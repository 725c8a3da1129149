/* Splitting a burst into MAC PDUs: every PDU inside the burst, each
 * split moves forward, and the splitter's names never fail. */
#include "fuzz_common.h"
#include "tekho/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = fuzz_exact_copy(data, size);
    if (in == NULL)
        return 0;
    size_t at = 0;
    for (;;) {
        struct tekho_mac_pdu p;
        bool got = false;
        const size_t before = at;
        if (tekho_burst_next(in, size, &at, &p, &got) != TEKHO_OK) {
            FUZZ_ASSERT(at == before);
            break;
        }
        if (!got)
            break;
        FUZZ_ASSERT(at > before && at <= size && p.offset == before && p.offset + p.len == at);
        FUZZ_ASSERT(p.kind == TEKHO_MAC_PDU_GENERIC || tekho_mac_pdu_name(&p) != NULL);
    }
    free(in);
    return 0;
}
