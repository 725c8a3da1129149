/* Internal: parts of the emulator (sim.c) that tests reach directly. */
#ifndef TEKHO_SRC_SIM_INTERNAL_H
#define TEKHO_SRC_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tekho/sim.h"

/* The PN-reuse check the driver makes on each TEKHO_EV_SEALED of MS `ms`:
 * id is the event's bytes (a TEK fingerprint, then the direction), pn its
 * value, at the emulator's current time. A reuse counts in stats.pn_reuse. */
void sim_check_sealed(struct tekho_sim *sim, uint32_t ms, const uint8_t *id, size_t id_len, uint64_t pn);

#endif
