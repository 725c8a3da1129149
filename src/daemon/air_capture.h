/* msd --pcap DIR: the terminals' air as tekho analyze reads it.
 *
 * DIR/air.pcap is an air capture as tekho sim --pcap writes one
 * (LINKTYPE_USER0, one MAC PDU a record, include/tekho/capture.h), on the
 * msd's air clock (us since the Unix epoch, src/tools/cmd_daemon.c): every
 * PDU an MS sends at the time it hands it to the air, every PDU that
 * reaches the terminals in the frame its BS sent it in (a frame before it
 * arrived), and each HARQ retransmission as a copy of its PDU
 * harq_retx_frames later (the air's fate is the msd's: sim_external.h).
 * Records come from the driver a little out of order (a DL PDU is
 * written a frame in the past, retransmissions in the future): they wait
 * here, sorted, until no earlier one can come, so the file is in time
 * order.
 *
 * DIR/interruptions.tsv: each interruption the msd measured, one line per
 * handover and direction: the MS's MAC, when it left its serving BS (s,
 * the air clock), ul or dl, and the interruption in ms.
 *
 * DIR/analyze-args: the options analyze needs for the air's model. */
#ifndef TEKHO_DAEMON_AIR_CAPTURE_H
#define TEKHO_DAEMON_AIR_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tekho/error.h"

struct tekho_air_capture;

/* Creates (truncates) DIR/air.pcap, DIR/interruptions.tsv and
 * DIR/analyze-args, one line: analyze_args, the options that tell tekho
 * analyze the air's model (tekho analyze DIR/air.pcap $(cat
 * DIR/analyze-args)); DIR must exist. Errors: invalid argument (NULL, a
 * file that cannot be created: why says which and why), no memory. */
TEKHO_NODISCARD tekho_err tekho_air_capture_open(const char *dir, const char *analyze_args,
                                                 struct tekho_air_capture **out, char *why, size_t cap);
/* One air PDU sent first at first_us, transmissions times retx_us apart
 * (1: no retransmission). Nothing before not_before_us may come after
 * this call: what is earlier than it is written now. A failure (no
 * memory, a write error) is counted (tekho_air_capture_errors). */
void tekho_air_capture_pdu(struct tekho_air_capture *c, uint64_t not_before_us, uint64_t first_us,
                           unsigned transmissions, uint64_t retx_us, const uint8_t *pdu, size_t len);
/* One measured interruption (dir 0 UL, 1 DL). */
void tekho_air_capture_interruption(struct tekho_air_capture *c, const uint8_t mac[6], uint64_t left_us, int dir,
                                    uint64_t at_us);
/* Records or lines lost so far. */
unsigned long tekho_air_capture_errors(const struct tekho_air_capture *c);
/* Writes what waits until until_us (the run stopped: a retransmission
 * due later never went out) and closes both files; invalid argument if
 * anything was lost (why says what). NULL is accepted. */
tekho_err tekho_air_capture_close(struct tekho_air_capture *c, uint64_t until_us, char *why, size_t cap);

#endif
