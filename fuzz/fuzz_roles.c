/* The roles under the explorer, driven by the fuzzer: the input is the
 * decision stream (include/tekho/explore.h) of one run on one MS and two
 * BSs. Byte 0 picks the scheme, byte 1 the faults switched off
 * (TEKHO_XP_FAULT_*), the rest is the stream; past its end every choice is
 * the benign one. Any invariant violation traps. A trapping input replays
 * with `tekho explore --replay` once written as a case file (scheme, bs 2,
 * ms 1, steps 300, faults-off, and the bytes after the first two). */
#include <stdio.h>

#include "fuzz_common.h"
#include "tekho/explore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct tekho_explore_params p;
    tekho_explore_params_default(&p);
    p.scheme = (enum tekho_scheme)(data[0] % TEKHO_SCHEME_COUNT);
    p.faults_off = data[1] & 0x3Fu;
    p.fixed_bs = 2;
    p.fixed_ms = 1;
    p.steps = 300;
    uint8_t *stream = fuzz_exact_copy(data + 2, size - 2);
    struct tekho_explore_outcome o;
    const tekho_err err = stream ? tekho_explore_replay(&p, stream, size - 2, &o, NULL) : TEKHO_ERR_NO_MEMORY;
    free(stream);
    if (err != TEKHO_OK)
        return 0; /* the driver ran out of memory: not the roles' doing */
    if (o.invariant != TEKHO_XP_NONE) {
        fprintf(stderr, "fuzz_roles: %s (scheme %s) at event %llu: %s\n", tekho_xp_invariant_name(o.invariant),
                tekho_scheme_name(p.scheme), (unsigned long long)o.event, o.detail);
        __builtin_trap();
    }
    return 0;
}
