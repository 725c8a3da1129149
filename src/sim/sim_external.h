/* Internal: the emulator's driver with real links, for the daemons. The
 * same driver, traffic, radio model, checks and measurements as tekho sim,
 * but a process runs only some of the roles (msd: every MS; bsd: one BS;
 * authd: the Authenticator), its clock is the real monotonic clock, and
 * what would cross to a role elsewhere leaves through these callbacks at
 * the time the link model gives:
 *   - the air: frame timing at the sender (an UL PDU at the end of the UL
 *     subframe of the next frame, a DL one at the end of the DL subframe),
 *     and the air's loss, HARQ and processing applied by the terminals'
 *     process in both directions (it knows the radio: on what it sends,
 *     and on what arrives before the MS sees it);
 *   - the backbone: latency, jitter and loss as tekho sim's, then the real
 *     network (DTLS) on top;
 *   - user data: the terminals' process is the traffic source both ways
 *     (a DL payload goes to the BS the network routes to, which seals it)
 *     and the measuring point (a BS reports each UL payload it delivers),
 *     so that every interruption is measured on one clock.
 * Callbacks must not call back into the sim. */
#ifndef TEKHO_SRC_SIM_EXTERNAL_H
#define TEKHO_SRC_SIM_EXTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tekho/sim.h"

struct tekho_sim_external {
    void *ctx;
    bool ms_local;     /* this process runs every MS (msd) */
    uint32_t bs_local; /* the BS node this process runs (bsd); 0: none */
    bool auth_local;   /* this process runs the Authenticator (authd) */
    bool bs_restarted; /* the local BS may have run before (tekho_bs_config.restarted) */
    /* authd: the Authenticator's durable store (tekho/store.h: SQLite,
     * PostgreSQL), written synchronously: what depends on a persist leaves
     * once it is durable. NULL: in memory (lost with the process). With
     * auth_recover the store already holds the network (a restart): the
     * MSs' EAP results are known again but nothing is written for them,
     * and each MS's PMK and N come back from the store when next needed
     * (tekho_auth_recover). */
    const struct tekho_auth_store *auth_store;
    bool auth_recover;
    bool auth_shared_store; /* another authd writes the same store (tekho_auth_config.shared_store) */
    /* An air PDU, now on the air: uplink from MS ms to BS node, or downlink. */
    void (*air_out)(void *ctx, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu, size_t len);
    /* A backbone message from node `from` to node `to` (0: the Authenticator). */
    void (*backbone_out)(void *ctx, uint32_t from, uint32_t to, const uint8_t *msg, size_t len);
    /* msd: MS ms's next DL user payload, for BS node to seal and send in
     * the DL subframe that ends at dl_due_us (or the first after it can). */
    void (*dl_offer)(void *ctx, uint32_t node, uint32_t ms, uint64_t dl_due_us, const uint8_t *payload, size_t len);
    /* bsd: an UL user payload of MS ms that the BS delivered. */
    void (*ul_delivered)(void *ctx, uint32_t ms, uint32_t node, const uint8_t *payload, size_t len);
    /* msd, optional (NULL: none): what an air capture shows. Each air PDU
     * of MS ms, UL as its MS hands it to the air, DL as it arrives from
     * BS node, with the time of its first transmission (UL: now; DL: a
     * frame before it arrived, when the BS sent it) and how many times it
     * was sent: 1, or 1 + its HARQ retransmissions, each retx_us after the
     * last (all of them for a PDU HARQ lost in the end; 1 for one the
     * air lost unseen). */
    void (*air_sent)(void *ctx, bool uplink, uint32_t ms, uint32_t node, uint64_t first_us, unsigned transmissions,
                     uint64_t retx_us, const uint8_t *pdu, size_t len);
    /* msd, optional: a direction of MS ms's handover resumed (dir 0 UL, 1
     * DL): the interruption measured, from left_us (the MS left its
     * serving BS) to at_us, the sample tekho_sim_interruptions holds. */
    void (*resumed)(void *ctx, uint32_t ms, int dir, uint64_t left_us, uint64_t at_us);
};

/* A driver for the roles ext names, on a clock that reads now_us now.
 * positions: the cells (n_bs x, y in m), or NULL for the hex grid. */
tekho_err tekho_sim_new_external(const struct tekho_sim_params *p, const struct tekho_sim_external *ext,
                                 uint64_t now_us, const double (*positions)[2], struct tekho_sim **out);
/* Runs every event due by now_us; the clock then reads now_us. */
tekho_err tekho_sim_advance(struct tekho_sim *sim, uint64_t now_us);
/* The next event's time; false: none. */
bool tekho_sim_next_time(struct tekho_sim *sim, uint64_t *t);

/* Arrivals, at the current time (tekho_sim_advance first). Each checks
 * its indexes: a datagram from the network is untrusted. */
/* An air PDU: uplink at the local BS, or downlink at MS ms (msd: the
 * air's loss, HARQ and processing first). */
tekho_err tekho_sim_air_in(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu,
                           size_t len);
/* A backbone message from `from` to the local role `to`. */
tekho_err tekho_sim_backbone_in(struct tekho_sim *sim, uint32_t from, uint32_t to, const uint8_t *msg, size_t len);
/* bsd: a DL user payload for MS ms to seal and send (tekho_sim_external.dl_offer). */
tekho_err tekho_sim_dl_offer_in(struct tekho_sim *sim, uint32_t ms, uint64_t dl_due_us, const uint8_t *payload,
                                size_t len);
/* msd: an UL user payload BS node delivered (tekho_sim_external.ul_delivered): the checks and the measurement,
 * which ends at delivered_us, when the BS delivered it (not before the MS left nor after now; 0: now): the
 * msd hears of it a little later, the air's timing is the BS's. */
tekho_err tekho_sim_ul_delivered_in(struct tekho_sim *sim, uint32_t ms, uint32_t node, uint64_t delivered_us,
                                    const uint8_t *payload, size_t len);

/* msd: BS node went off the air (its beacons stopped): every MS loses it
 * (tekho_ms_lost_bs), and one that is released re-enters, a frame later,
 * at its best candidate still on the air; no handover goes to it until
 * tekho_sim_bs_back. */
tekho_err tekho_sim_bs_lost(struct tekho_sim *sim, uint32_t node);
tekho_err tekho_sim_bs_back(struct tekho_sim *sim, uint32_t node);

#endif
