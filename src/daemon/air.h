/* The testbed's air link: real MAC PDUs in UDP datagrams between the
 * terminals' process (msd) and the base stations (bsd), like UERANSIM's
 * radio-link simulation: the PDUs are the protocol's bytes, the air's
 * timing, loss and HARQ are the emulator's model (src/sim/sim_external.h),
 * and a small versioned header says what the datagram is. Every field
 * is big-endian:
 *
 *   0  2  magic "TK"
 *   2  1  version (2)
 *   3  1  type (enum tekho_air_type)
 *   4  2  sender: the BS node (1..), 0 for the terminals' process
 *   6  2  reserved, 0
 *   8  4  the sender's frame number when it sent: the air clock / the frame
 *         length, modulo 2^32
 *  12  4  the MS index
 *  16  8  DL_OFFER: the end of the DL subframe the payload was offered for
 *         (us, the air clock); else 0
 *  24     body: a MAC PDU (UL_PDU, DL_PDU), a user payload (DL_OFFER,
 *         UL_DELIVERED: 48 bytes), or one 0 byte (BEACON)
 *
 * The air clock is the time since the Unix epoch in us, as the daemons'
 * drivers run on it (src/tools/cmd_daemon.c): frames and due times mean
 * the same on every machine whose wall clock NTP or PTP keeps within a
 * fraction of a frame. (Version 1 carried the sender's monotonic clock,
 * which only meant anything between processes of one machine.)
 *
 * The air is the attack surface of 802.16: nothing here is authenticated,
 * the roles are what checks. The decoder takes bytes from anyone. The
 * testbed's own datagrams (DL_OFFER, UL_DELIVERED, BEACON: the traffic
 * source, the measuring point, a BS's liveness) are its instrumentation,
 * not MAC messages: a daemon believes them only from the air port of the
 * daemon that sends them (tekho bsd, msd: on_air in cmd_daemon.c). */
#ifndef TEKHO_DAEMON_AIR_H
#define TEKHO_DAEMON_AIR_H

#include <stddef.h>
#include <stdint.h>

#include "tekho/error.h"

#define TEKHO_AIR_VERSION 2
#define TEKHO_AIR_HEADER_LEN 24
#define TEKHO_AIR_MAX_BODY 2047u /* TEKHO_PDU_MAX_LEN */
#define TEKHO_AIR_MAX_LEN (TEKHO_AIR_HEADER_LEN + TEKHO_AIR_MAX_BODY)
#define TEKHO_AIR_PAYLOAD_LEN 48 /* the emulator's user payload */

enum tekho_air_type {
    TEKHO_AIR_UL_PDU = 1,       /* msd -> bsd: an uplink MAC PDU of MS index */
    TEKHO_AIR_DL_PDU = 2,       /* bsd -> msd: a downlink MAC PDU for MS index */
    TEKHO_AIR_DL_OFFER = 3,     /* msd -> bsd: a DL user payload for the BS to seal (the traffic source) */
    TEKHO_AIR_UL_DELIVERED = 4, /* bsd -> msd: an UL user payload the BS delivered (the measuring point) */
    TEKHO_AIR_BEACON = 5,       /* bsd -> msd: every frame, the preamble: the BS is on the air (body: 1 byte, 0) */
};

struct tekho_air_msg {
    enum tekho_air_type type;
    uint16_t sender;
    uint32_t frame;
    uint32_t ms;
    uint64_t due_us;
    const uint8_t *body; /* into the datagram decoded */
    size_t body_len;
};

/* Writes m into out (cap bytes), *len its length: what tekho_air_decode
 * takes. Errors: invalid argument (a type out of range, a body of a length
 * the type does not have, a due time on a type other than DL_OFFER), buffer
 * too small. */
TEKHO_NODISCARD tekho_err tekho_air_encode(const struct tekho_air_msg *m, uint8_t *out, size_t cap, size_t *len);
/* Decodes a datagram; m->body points into it. Errors: truncated (shorter
 * than the header, no body), bad value (magic, version, reserved bits,
 * type), length mismatch (a body too long, a user payload of another
 * length). */
TEKHO_NODISCARD tekho_err tekho_air_decode(const uint8_t *d, size_t len, struct tekho_air_msg *m);
const char *tekho_air_type_name(enum tekho_air_type t);

#endif
