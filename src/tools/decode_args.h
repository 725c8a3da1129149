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

/* After a scenario run: writes DIR/msk, every MSK that MS 0 held as one
 * hex string, and DIR/decode-args, one line with the decode options that
 * name it (--msk-file, by absolute path), the MS MAC, every BSID of the
 * run and the SAID; both mode 0600, as the MSKs are secrets. Returns
 * CLI_EXIT_OK, or prints "tekho sim: PATH: reason" and returns
 * CLI_EXIT_FAILED. */
int decode_args_write(struct tekho_sim *sim, const char *dir);

#endif
