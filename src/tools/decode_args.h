/* DIR/decode-args: what `tekho sim --pcap DIR` leaves so that its
 * captures can be checked with keys, `tekho decode DIR/air.pcap
 * $(cat DIR/decode-args)`. */
#ifndef TEKHO_TOOLS_DECODE_ARGS_H
#define TEKHO_TOOLS_DECODE_ARGS_H

#include "tekho/sim.h"

/* The most MSKs (the entry one, then one per re-authentication) and BSIDs
 * `tekho decode` takes. */
#define DECODE_MAX_MSKS 32
#define DECODE_MAX_BSIDS 16

#endif
