/* Internal: the emulator's state and what its parts call of each other.
 * The driver (sim.c: the clock, the event queue, the roles' actions), the
 * links and the attacker (links.c), the invariant checks and measurements
 * (checks.c), the traffic (traffic.c) and the radio model (radio.c, also
 * the terminal daemon's) each keep to their file. */
#ifndef TEKHO_SRC_SIM_CORE_H
#define TEKHO_SRC_SIM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tekho/capture.h"
#include "tekho/sim.h"
#include "tekho/tekho.h"
#include "event_queue.h"
#include "pn_ledger.h"
#include "radio.h"
#include "sim_external.h"
#include "sim_random.h"

enum ev_kind {
    EV_AIR_TO_BS,   /* a: BS node, b: MS */
    EV_AIR_TO_MS,   /* a: MS, b: BS node */
    EV_BACKBONE,    /* a: to node, b: from node */
    EV_TIMER,       /* a: owner (OWNER_*), b: timer */
    EV_FRAME,       /* a frame starts: measurements (radio mode) */
    EV_OFFER,       /* just before a frame starts: the user PDUs for it */
    EV_PACKET,      /* a: MS: the next VoIP/CBR packet each way */
    EV_SCRIPT,      /* a: op, b, c, d: args */
    EV_SEND_OUT,    /* real links (sim_external.h): a: link (tekho_sim_link), b: from, c: to */
};

enum owner_kind { OWNER_MS, OWNER_BS, OWNER_AUTH };
#define OWNER(kind, id) ((uint32_t)(kind) << 24 | (uint32_t)(id))

static inline void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(sim_rng_next(r) >> 56);
}

#define RECORD_MAX 64

struct recorded {
    size_t n;
    uint8_t *pdu[RECORD_MAX];
    size_t len[RECORD_MAX];
    uint32_t node[RECORD_MAX];
    bool uplink[RECORD_MAX];
};

#define SIM_SEEN_WORDS 8

/* The user payload: "TKHO", the MS, the direction, a sequence number. */
#define PAYLOAD_LEN 48

struct ms_track {
    bool traffic;
    uint32_t seq[2];             /* next payload sequence number per direction (0 = UL, 1 = DL) */
    bool ho_active;              /* from HO_STARTED until measured, cancelled, failed or released */
    /* From HO_STARTED until the MS is operational again (or released): the
     * management messages about it meanwhile are handover signalling. */
    bool ho_signalling;
    uint32_t serving;            /* the BS the network routes the MS's downlink to */
    uint32_t target;
    /* The interruption under measurement (tekho_sim_stats): the MS left
     * its serving BS at t0, and a direction resumed (at resumed_at) with
     * the first user PDU the target delivered in it. */
    bool left;
    uint64_t t0;
    bool resumed[2];
    uint64_t resumed_at[2];
    uint16_t max_m;
    struct recorded *data;       /* user PDUs the attacker saw (made when it first hears one) */
    struct recorded *rng;        /* RNG-REQs the attacker saw */
    /* Replay check on delivery: the highest sequence number per direction
     * and a window of the ones below it already delivered (SIM_SEEN_WORDS
     * words: 512 PDUs, some fifty times the latest a real one arrives,
     * HARQ's 4 retransmissions 2 frames apart). */
    uint32_t top[2];
    uint64_t seen[2][SIM_SEEN_WORDS];
    unsigned long window_offered_mark;
    /* Air loss is drawn per (direction, class: data or management) for
     * the k-th PDU of the class in a frame: the frame last sent in, and k. */
    uint64_t air_frame[2][2];
    uint32_t air_k[2][2];
    /* The variability of this handover: the frame MOB_HO-IND left in
     * (keys its draws), and whether the preamble search ran late (the
     * dedicated ranging opportunity is missed). */
    uint64_t ho_frame;
    uint32_t sync_extra;
    /* Ping-pong: the BS served before the last completed handover, and when that one completed. */
    uint32_t before;
    uint64_t arrived_at;
    /* Traffic (radio mode): inside a handover's window, real PDUs every
     * frame; outside, VoIP/CBR packets modelled from packet_next on. */
    bool in_window;
    uint64_t window_start;
    uint64_t window_end;
    uint64_t packet_next;        /* the next VoIP/CBR packet not yet counted (modelled traffic) */
    /* Real links (sim_external.h): from leaving the serving BS until the
     * handover ends, the network routes DL to the target. */
    bool ext_left;
    uint64_t reenter_after;      /* real links: a released MS enters again, at most once a second */
};

struct tekho_sim {
    struct tekho_sim_params p;
    uint64_t now;
    uint64_t seq;
    struct sim_rng keys;     /* the roles' random source: TEKs, nonces, BS_Random */
    struct sim_rng attacker; /* forged PDUs */
    struct sim_queue queue;
    struct pn_ledger sealed; /* (TEK fingerprint, direction) -> PNs sealed, for the whole run */
    struct tekho_ms **ms;    /* n_ms */
    struct tekho_bs **bs;    /* n_bs + 1, by node */
    struct tekho_auth *auth;
    /* The crypto contexts every MS and BS of the run uses (one thread
     * runs them all): one set, not one per role. */
    struct tekho_crypto_kit *kit;
    struct tekho_memory_store *store;
    /* The Authenticator's persists from the call being applied: the
     * emulator's store is synchronous, each is durable right after it. */
    struct sim_persist {
        struct tekho_auth_record rec;
        uint64_t token;
    } persists[TEKHO_ACTIONS_MAX];
    size_t n_persists;
    struct tekho_neighbour *neighbours;
    struct ms_track *track;
    /* Radio mode: the model, and each MS's state in it (apart from
     * track: measurements touch only this, and a compact array keeps
     * them in cache). */
    struct tekho_radio model;
    struct tekho_radio_ms *radio;
    struct tekho_actions *actions;
    struct tekho_sim_stats st;
    /* Interruption samples (ms) and censored handovers, per direction (tekho_sim_direction). */
    double *samples[TEKHO_SIM_DIRECTIONS];
    size_t n_samples[TEKHO_SIM_DIRECTIONS], cap_samples[TEKHO_SIM_DIRECTIONS];
    unsigned long censored[TEKHO_SIM_DIRECTIONS];
    uint16_t *max_n;
    unsigned drop_ho_complete;
    tekho_sim_tap_fn tap;
    void *tap_ctx;
    unsigned reset_pn_in_ho_cnf;
    FILE *trace;
    struct tekho_capture_writer *cap_air, *cap_backbone;
    bool frames_running;
    tekho_err lost_event; /* an event the queue had no room for: the run is no longer the model's */
    unsigned long random_fail; /* TEKHO_OP_RANDOM_FAIL: draws of the roles' source still to fail */
    uint64_t frame_no;
    /* Drawn in the same order in every scheme's run (air loss, backbone
     * delays and a new link's shadowing are keyed draws: sim_hash). */
    struct sim_rng traffic;      /* entry times, packet phases */
    uint32_t *window;        /* MSs inside a handover window (radio mode) */
    size_t n_window;
    unsigned long window_delivered;
    /* Real links (sim_external.h): ext.air_out ... NULL: the modelled links. */
    const struct tekho_sim_external *ext;
    struct tekho_sim_external ext_copy;
    uint64_t ext_dl_due; /* during tekho_sim_dl_offer_in: the DL subframe the payload was offered for */
    uint64_t ext_delivered_at; /* during tekho_sim_ul_delivered_in: when the BS delivered it (0: now) */
    bool *bs_down;       /* msd: BSs off the air (tekho_sim_bs_lost), by node */
    struct tekho_auth_store auth_store; /* where the Authenticator's persists go */
    bool discard_persists; /* authd recovering: its EAP results are in the store already */
};

/* ---- the driver (sim.c) ---- */
/* Queues an event (a copy of bytes with it); a queue with no room fails the run (tekho_sim_run). */
tekho_err tekho_sim_push(struct tekho_sim *sim, uint64_t t, enum ev_kind kind, uint32_t a, uint32_t b, uint32_t c,
                         const uint8_t *bytes, size_t len, bool injected);
/* Applies the actions a role's call left in sim->actions, then checks what only a role's call can change. */
void tekho_sim_after_role(struct tekho_sim *sim, uint32_t owner, tekho_err err);
/* The SINR of an MS's link to a BS (radio.h); INFINITY outside radio mode. */
double tekho_sim_link_sinr_db(struct tekho_sim *sim, uint32_t ms, uint32_t node);

/* ---- the links and the attacker (links.c) ---- */
/* When an air PDU handed over now arrives: in the next TDD frame, at the end of its subframe. */
uint64_t tekho_sim_air_arrival(const struct tekho_sim *sim, uint64_t t, bool uplink);
void tekho_sim_send_air(struct tekho_sim *sim, bool uplink, uint32_t ms, uint32_t node, const uint8_t *pdu,
                        size_t len);
void tekho_sim_send_backbone(struct tekho_sim *sim, uint32_t from, uint32_t to, const uint8_t *msg, size_t len);
/* Real links, msd: what the air does to a DL PDU arriving for MS ms from
 * BS node: false, lost; else its delay (HARQ, processing) from now. */
bool tekho_sim_air_fate_in(struct tekho_sim *sim, uint32_t ms, uint32_t node, const uint8_t *pdu, size_t len,
                           uint64_t *delay_us);
/* The attacker: count random uplink PDUs for MS ms at BS node. */
void tekho_sim_forge(struct tekho_sim *sim, uint32_t ms, uint32_t node, uint32_t count);
void tekho_sim_free_recorded(struct recorded *r);
/* The block error rate at offset x dB from the point where it is harq_bler (tekho_sim_variability). */
double tekho_sim_bler_at(const struct tekho_sim_variability *v, double x);
/* An exponential draw of the given mean from a hash value. */
double tekho_sim_exp_draw(double mean, uint64_t h);

/* ---- the invariant checks and measurements (checks.c) ---- */
void tekho_sim_payload_for(uint32_t ms, int dir, uint32_t seq, uint8_t out[PAYLOAD_LEN]);
/* A user PDU delivered (dir 0: UL at BS node, 1: DL at the MS): replay and forgery checks, then the interruption. */
void tekho_sim_on_deliver(struct tekho_sim *sim, uint32_t ms, int dir, uint32_t node, const uint8_t *p,
                          size_t len);
/* A role's TEKHO_ACT_EVENT. */
void tekho_sim_on_event(struct tekho_sim *sim, uint32_t owner, const struct tekho_action *a);
/* An MS and its serving BS must hold the same TEKs. */
void tekho_sim_check_keys_match(struct tekho_sim *sim, uint32_t ms);

/* ---- the traffic (traffic.c) ---- */
/* The user PDUs for the next frame. */
void tekho_sim_offer_tick(struct tekho_sim *sim);
/* With crypto_all: MS i's next VoIP/CBR packet each way. */
void tekho_sim_packet(struct tekho_sim *sim, uint32_t i);
/* MS ms enters a handover's traffic window (radio mode). */
void tekho_sim_window_enter(struct tekho_sim *sim, uint32_t ms);
/* Counts (or skips) the modelled packets of MS ms due before upto. */
void tekho_sim_account_packets(struct tekho_sim *sim, uint32_t ms, uint64_t upto, bool count);
/* MS i's packets start at `from` (radio mode), at a random phase of the interval. */
void tekho_sim_traffic_start(struct tekho_sim *sim, uint32_t i, uint64_t from);

#endif
