/* Internal to the library and its tests: what the tests look at inside
 * the roles beyond the public queries. */
#ifndef TEKHO_SRC_ROLES_INTROSPECT_H
#define TEKHO_SRC_ROLES_INTROSPECT_H

#include <stdint.h>

#include "tekho/roles.h"

/* The role of what the BS holds for MS ms_index, the row of its legality
 * table ("SERVING", "TARGET_READY", ...; "NONE" when it holds nothing):
 * lets a test drive a BS into each role and see that it stays there. */
const char *tekho_bs_ms_role_name(const struct tekho_bs *bs, uint32_t ms_index);

#endif
