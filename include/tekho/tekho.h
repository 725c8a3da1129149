/* tekho: secure IEEE 802.16 handover with counter-based TEK generation.
 * Umbrella header. */
#ifndef TEKHO_TEKHO_H
#define TEKHO_TEKHO_H

#include "tekho/error.h"
#include "tekho/kdf.h"
#include "tekho/keys.h"
#include "tekho/tek.h"
#include "tekho/pdu.h"
#include "tekho/cmac.h"
#include "tekho/keywrap.h"
#include "tekho/wire.h"
#include "tekho/mgmt.h"
#include "tekho/asncp.h"
#include "tekho/capture.h"
#include "tekho/roles.h"
#include "tekho/sim.h"

#define TEKHO_VERSION "0.1.0"

#endif
