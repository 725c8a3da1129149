/* Internal: parts of the emulator (src/sim/) that tests reach directly. */
#ifndef TEKHO_SRC_SIM_INTERNAL_H
#define TEKHO_SRC_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tekho/roles.h"
#include "tekho/sim.h"

/* The PN-reuse check the driver makes on each TEKHO_EV_SEALED of MS `ms`:
 * id is the event's bytes (a TEK fingerprint, then the direction), pn its
 * value, at the emulator's current time. A reuse counts in stats.pn_reuse. */
void tekho_sim_check_sealed(struct tekho_sim *sim, uint32_t ms, const uint8_t *id, size_t id_len, uint64_t pn);

/* After the driver has applied a role's actions: wipes the arena bytes
 * they used (messages carry AKs and TEKs), then resets them. */
void tekho_sim_actions_done(struct tekho_actions *a);
/* The actions the driver hands the roles (tests look at what is left in them). */
const struct tekho_actions *tekho_sim_actions(const struct tekho_sim *sim);
/* Bounds the events pending at once to those pending now and `room` more
 * (SIZE_MAX: no bound), so that a test can see what the driver does when
 * one cannot be queued. */
void tekho_sim_set_queue_room(struct tekho_sim *sim, size_t room);

#endif
