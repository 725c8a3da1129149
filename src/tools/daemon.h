/* The daemons (tekho authd, bsd, msd: cmd_daemon.c) and what tekho
 * testbed reads of them: each runs the emulator's driver with real links
 * (src/sim/sim_external.h) for its roles, on an event loop (loop.h), with
 * the air on UDP (src/daemon/air.h) and the backbone in DTLS
 * (src/net/dtls.h). */
#ifndef TEKHO_TOOLS_DAEMON_H
#define TEKHO_TOOLS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/sim.h"

/* What a daemon counts apart from the driver's stats. */
struct daemon_counters {
    uint64_t air_in, air_out;        /* datagrams */
    uint64_t air_bad;                /* dropped: not ours, of the wrong kind or sender, or refused by the driver */
    uint64_t air_send_errors;
    uint64_t backbone_in, backbone_out;
    uint64_t backbone_bad;           /* dropped: from a peer that is no node, or refused by the driver */
    uint64_t backbone_unroutable;    /* to a node with no session and none to open */
    uint64_t frame_timing_errors;    /* a frame-timed send more than a fifth of a frame late, or an UL PDU from another frame */
    uint64_t dtls_handshakes_ok, dtls_handshakes_failed, dtls_cookie_exchanges, dtls_half_open_dropped;
    uint64_t dtls_garbage_dropped, dtls_records_in, dtls_records_out;
};

/* What a daemon leaves in its --results FILE when it stops (the same
 * executable reads it: tekho testbed): its driver's stats, its counters,
 * and (msd) the interruption samples. */
struct daemon_results {
    struct tekho_sim_stats st;
    struct daemon_counters c;
    double *samples[TEKHO_SIM_DIRECTIONS];
    size_t n[TEKHO_SIM_DIRECTIONS];
};
int daemon_results_write(const char *path, const struct daemon_results *r);
/* 0, or -1 (errno) for a file that is missing, short or of another build. */
int daemon_results_read(const char *path, struct daemon_results *r);
void daemon_results_free(struct daemon_results *r);

#endif
