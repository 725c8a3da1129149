/* The deterministic scenario driver: a virtual clock, modelled air and
 * backbone links (latency, loss), random sources derived from one seed
 * (one per purpose, so every scheme meets the same radio and losses),
 * traffic that offers a user PDU for every frame in each direction, an
 * active attacker on the air, and the measurements: handovers, the
 * user-plane interruption of each (UL, DL, both), security counters,
 * signalling. Every invariant is checked after every event.
 *
 * The MSs' MSKs are made from the seed: a simulation is a model, never a
 * place for real keys. A struct tekho_sim is used by one thread at a time;
 * different ones are independent. */
#ifndef TEKHO_SIM_H
#define TEKHO_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "tekho/error.h"
#include "tekho/roles.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TEKHO_SIM_MAX_BS 4096
#define TEKHO_SIM_MAX_MS 1000000

/* The radio and traffic model of the emulator (the main job). Off, the
 * driver runs scripted scenarios; on, MSs move over a hexagonal grid and
 * hand over when a neighbour beats the serving BS. */
struct tekho_radio_params {
    bool enabled;
    double isd_m;                   /* inter-site distance */
    double speed_kmh;
    bool straight_line;             /* else random waypoint */
    double hysteresis_db;
    double ttt_ms;                  /* time to trigger */
    double meas_period_ms;
    double shadow_sigma_db;         /* log-normal shadowing */
    double shadow_corr_m;           /* its decorrelation distance (Gudmundson) */
    double dl_ratio;                /* DL share of the TDD frame */
    double voip_interval_ms;        /* a packet each way this often; 0: none */
    double cbr_interval_ms;         /* constant bit rate packets each way; 0: none */
    bool crypto_all;                /* seal/open every PDU, not only those around handovers */
    /* Layer-3 filtering of each candidate's level before the trigger:
     * F = (1 - a) F + a M at every measurement (802.16-2009 8.4.11.3's
     * exponential averaging of RSSI and CINR reports; 1: none). */
    double meas_alpha;
    /* Correlation of the shadowing of one MS's links to different sites
     * (ITU-R M.2135: 0.5). The common part cancels out of every margin and
     * SINR, so only each link's own part, sigma sqrt(1 - rho), is drawn. */
    double shadow_site_corr;
    double pingpong_ms;             /* a handover back to the BS left less than this after arriving: ping-pong */
    /* User data before ranging (none, counter, reuse) goes out on the
     * target's timing as the MS's DL synchronisation gives it, without the
     * round-trip correction ranging would bring: it lands within the cyclic
     * prefix only while 2 d / c + delay spread <= the prefix. Handovers
     * farther than that bound from the target are counted
     * (stats.early_ul_beyond_bound), not otherwise modelled. */
    double cp_us;                   /* cyclic prefix: 1/8 of a 91.4 us symbol (10 MHz, 1024 FFT) */
    double delay_spread_us;         /* max excess delay: 2.51 us (ITU-R M.1225 Vehicular A) */
};
/* Fills *r with the emulator's defaults, radio off: ISD 1000 m, 50 km/h
 * random waypoint, 3 dB hysteresis, 160 ms TTT, 50 ms measurements, 6 dB
 * shadowing over 50 m, 60 % DL, VoIP every 20 ms; layer-3 filter 0.25,
 * site correlation 0.5, ping-pong within 1 s, 11.43 us cyclic prefix and
 * 2.51 us delay spread. */
TEKHO_API void tekho_radio_params_default(struct tekho_radio_params *r);

/* The variability a real 802.16 network has: the emulator's default
 * (tekho_sim_params_emulator). Off (enabled false: tekho_sim_params_default,
 * `--ideal`), every step of a handover takes a fixed time and
 * tekho_sim_model gives each scheme's interruption exactly. Each draw is
 * keyed by what it is about (sim_random.h), so schemes that do the same
 * thing at the same time meet the same draw. Every value's source (a
 * clause, a profile value, or "assumption") is in the README, section The
 * emulator. */
struct tekho_sim_variability {
    bool enabled;
    /* HARQ on every air PDU, user data and management alike: a first
     * transmission fails with the link's block error rate, a failed one
     * is sent again harq_retx_frames later, decoded at the combined SINR
     * (chase combining: + 10 log10(k + 1) dB at the k-th retransmission),
     * up to harq_max_retx times; then it is lost, and the roles' timers
     * recover it. */
    double harq_bler;               /* first-transmission error rate link adaptation aims at: 0.1 */
    unsigned harq_retx_frames;      /* 2: the ACK in the next frame, the retransmission in the one after */
    unsigned harq_max_retx;         /* 4 */
    /* The block error rate of a link whose SINR is x dB:
     * 1 / (1 + (1 - b) / b exp(ln 81 (x - x0) / span)), b = harq_bler,
     * x0 = sinr_min_db: link adaptation holds b down to the most robust
     * burst profile's threshold x0, below it errors rise to 0.9 over span
     * dB. SINR: the link's received power over the first ring's (the
     * serving cell and its six neighbours) times interference_load, plus
     * noise; uplink as downlink (an assumption). */
    double sinr_min_db;             /* -2.8: QPSK 1/2 (5 dB, 802.16 receiver SNR assumptions) with repetition 6 */
    double bler_span_db;            /* 2 */
    double interference_load;       /* 1: full load */
    double noise_dbm;               /* -97: -174 dBm/Hz over 10 MHz, 7 dB noise figure */
    /* DL synchronisation: timing.sync_us, then a frame more for every
     * frame whose preamble and DL-MAP the MS fails to decode (the target
     * link's error rate with no HARQ), at most sync_max_frames. */
    bool preamble_search;
    unsigned sync_max_frames;       /* 40 */
    /* Handover ranging: the target's dedicated (fast ranging) opportunity
     * is timing.ranging_wait_us after the nominal synchronisation; an MS
     * synchronised later missed it and contends with a CDMA handover
     * ranging code in the next opportunity (one a frame): a code that gets
     * no answer (collision, not detected) waits T3 (timing.rng_retransmit_us)
     * and a backoff of 0 .. ranging_backoff_frames - 1 opportunities; an
     * answered one brings the RNG-REQ's allocation a frame later. */
    double ranging_code_fail;       /* 0.1 */
    unsigned ranging_backoff_frames;/* 4 */
    unsigned ranging_max_codes;     /* 16 */
    /* Delays: each AAA round trip is timing.aaa_rtt_us plus an exponential
     * draw of this mean; each management message (air and backbone) waits
     * an exponential draw of processing_mean_us at its receiver. Backbone
     * jitter: tekho_sim_params.backbone_jitter_us (uniform). */
    double aaa_extra_mean_us;       /* 10000 */
    double processing_mean_us;      /* 500 */
};
/* Fills *v with the emulator's variability, on. */
TEKHO_API void tekho_sim_variability_default(struct tekho_sim_variability *v);

struct tekho_sim_params {
    enum tekho_scheme scheme;
    uint64_t seed;
    unsigned n_bs;
    unsigned n_ms;
    uint64_t frame_us;              /* OFDMA TDD frame, 5 ms */
    double air_loss;                /* probability an air PDU is lost */
    uint64_t backbone_latency_us;
    uint64_t backbone_jitter_us;
    double backbone_loss;
    unsigned self_sync_window;      /* W; 0 disables self-sync */
    bool ms_tekgen;                 /* MSs advertise counter-based TEK generation */
    uint32_t bs_no_tekgen_mask;     /* bit n: BS node n+1 cannot do it */
    uint32_t bs_tekgen_required_mask; /* bit n: BS node n+1 serves only MSs that do it */
    uint16_t first_count;           /* M under a fresh PMK (tekho_ms_config.first_count; 0 in 802.16) */
    uint32_t pmk_lifetime_s;
    bool attacker;                  /* record air PDUs for the attacker's replays */
    unsigned bs_cache_per_ms;       /* TEK contexts a BS keeps per MS, 1 .. 4; 0: 4 */
    struct tekho_timing timing;
    struct tekho_radio_params radio;
    struct tekho_sim_variability var;
};
/* Fills *p with the defaults: counter scheme, seed 1, 2 BSs, 1 MS, 5 ms
 * frames, no air loss, 2 ms +- 0.5 ms backbone, W = 2, capable MSs and
 * BSs, an 8 h PMK, tekho_timing_default and tekho_radio_params_default. */
TEKHO_API void tekho_sim_params_default(struct tekho_sim_params *p);
/* The emulator's defaults (tekho sim --topology): tekho_sim_params_default
 * with the radio on, T3 at its standard 200 ms and the variability on
 * (tekho_sim_variability_default). */
TEKHO_API void tekho_sim_params_emulator(struct tekho_sim_params *p);
/* The deterministic model (`--ideal`): variability off and no backbone
 * jitter; each scheme's interruption is then tekho_sim_model's. */
TEKHO_API void tekho_sim_params_ideal(struct tekho_sim_params *p);
/* The closed-form model of a scheme's handover timeline under p with the
 * variability off: the interruption (ms) each way and both (out, by
 * tekho_sim_direction) as frames, timers and round trips add up: MOB_HO-IND
 * leaves at the end of a DL subframe (t0), goes out in the next frame;
 * synchronisation, the ranging opportunity, RNG-REQ/RSP, the backbone
 * (HO_Cnf, the Authenticator and the AAA for baseline-full), the SA-TEK
 * exchange and Key-Request/Reply; and the first user PDU each way, offered
 * just before every frame, arrives at the end of its subframe. The
 * emulator with tekho_sim_params_ideal measures exactly these figures
 * (test_emulator). Errors: invalid argument (NULL, frame_us 0, an unknown
 * scheme). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_model(const struct tekho_sim_params *p, enum tekho_scheme scheme,
                                                    double out_ms[3]);
/* ITU-R M.2134's assumptions for the handover interruption time:
 * downlink synchronisation is achieved and uplink access procedures are
 * complete when the handover starts, and interactions with the core
 * network (entities beyond the radio access network) take zero time. The
 * same model with those steps set to zero: DL synchronisation
 * (timing.sync_us), the wait for the target's ranging opportunity
 * (timing.ranging_wait_us) and the AAA round trips (timing.aaa_rtt_us; the
 * AAA is in the core network). Messages between the MS and the BSs
 * (RNG-REQ/RSP included) and the backbone inside the access network (BSs,
 * Authenticator) keep their time. */
TEKHO_API void tekho_sim_params_m2134(struct tekho_sim_params *p);

/* Scripted operations, scheduled at a virtual time. */
enum tekho_sim_op {
    TEKHO_OP_ENTER,          /* a: MS, b: BS node */
    TEKHO_OP_HANDOVER,       /* a: MS, b: target node */
    TEKHO_OP_CANCEL,         /* a: MS */
    TEKHO_OP_TRAFFIC_ON,     /* a: MS */
    TEKHO_OP_TRAFFIC_OFF,    /* a: MS */
    TEKHO_OP_REPLAY_DATA,    /* a: MS: the attacker replays every user PDU it recorded for it, both ways */
    TEKHO_OP_REPLAY_RNG_REQ, /* a: MS, b: BS node: replays the MS's recorded RNG-REQs to that BS */
    TEKHO_OP_FORGE,          /* a: MS, b: BS node, c: count of forged UL PDUs */
    TEKHO_OP_AUTH_RESTART,
    TEKHO_OP_DROP_HO_COMPLETE,  /* the backbone loses the next HO_Completes to the Authenticator (a: how many) */
    TEKHO_OP_AIR_LOSS,       /* a: per-mille loss from now */
    /* A fault for testing the checker: the next HO_Cnfs (a: how many) lose
     * their TEKs' PN state on the backbone, so a `reuse` target seals DL
     * from PN 0 again under TEKs the serving BS already used. */
    TEKHO_OP_RESET_PN_IN_HO_CNF,
    /* The Authenticator's store loses the record of MS a (a disk that lost
     * it), and the Authenticator restarts. */
    TEKHO_OP_STORE_LOSE,
    /* The roles' random source fails its next a draws (TEKHO_ERR_CRYPTO),
     * as RAND_bytes can: each role refuses what needed the bytes. */
    TEKHO_OP_RANDOM_FAIL,
};

/* The user-plane interruption of a handover is measured from one instant,
 * t0: the MS leaves its serving BS (MOB_HO-IND sent: from then on it
 * exchanges no user data with it). UL: t0 to the first UL user PDU the
 * target delivers; DL: t0 to the first DL user PDU the MS takes from the
 * target; union: t0 to when both have resumed (the larger). Around a
 * handover a PDU each way is ready for every frame (offered just before
 * the frame starts), so no wait for a packet is in the gap; the first
 * PDU's own air time (to the end of its subframe) is. A handover that
 * left and never resumed a direction (the MS released, the handover
 * failed, another began, the run ended) is censored in it, not a sample. */
enum tekho_sim_direction { TEKHO_SIM_UL, TEKHO_SIM_DL, TEKHO_SIM_UNION };
#define TEKHO_SIM_DIRECTIONS 3
TEKHO_API const char *tekho_sim_direction_name(enum tekho_sim_direction d); /* "ul", "dl", "union" */

struct tekho_sim_interruption {
    size_t n;                       /* handovers in which it resumed: the samples */
    unsigned long censored;         /* handovers that left and never resumed it */
    unsigned long censored_at_end;  /* ... of which still under way when the run stopped */
    double min_ms, p50_ms, p99_ms, max_ms, mean_ms; /* over the n samples (nearest rank); 0 if none */
};

/* Every member but interruption is an unsigned long (tools sum them). */
struct tekho_sim_stats {
    unsigned long attempted, completed, cancelled, failed;
    unsigned long executed;         /* handovers in which the MS left its serving BS: n + censored of each direction */
    struct tekho_sim_interruption interruption[TEKHO_SIM_DIRECTIONS];
    unsigned long replayed_pdus_accepted, forged_pdus_accepted, pn_reuse, tek_bytes_over_air;
    unsigned long self_sync_success, resync_by_rng_req, connections_released, pdus_discarded;
    unsigned long tek_mismatch_after_ho;
    unsigned long air_messages, air_bytes, backbone_messages, backbone_bytes;
    /* What handovers add to that, apart from network entry and TEK refresh
     * (alike in every scheme): air management messages about an MS from its
     * MOB_MSHO-REQ until it is operational again, and any MOB_* message;
     * backbone HO_*, count update and EAP relay messages, and the context
     * transfers of an MS in a handover. And the TEK material handovers put
     * on the backbone (wrapped or not), as tek_bytes_over_air on the air:
     * once per handover, retransmissions not counted. */
    unsigned long ho_air_messages, ho_air_bytes, ho_backbone_messages, ho_backbone_bytes;
    unsigned long tek_bytes_over_backbone;
    unsigned long user_pdus_delivered, user_pdus_offered;
    unsigned long ho_window_offered, ho_window_lost;   /* user PDUs offered around handovers, and lost */
    unsigned long modelled_pdus;                        /* VoIP/CBR PDUs outside handovers, counted only */
    unsigned long measurements;
    /* The variability (tekho_sim_variability) and mobility */
    unsigned long harq_retransmissions;  /* air PDUs sent again by HARQ (each retransmission) */
    unsigned long harq_lost;             /* air PDUs lost after every HARQ retransmission */
    unsigned long sync_extra_frames;     /* frames of preamble search past timing.sync_us, all handovers */
    unsigned long ranging_contended;     /* handovers whose MS missed the dedicated ranging opportunity */
    unsigned long ranging_codes_failed;  /* CDMA ranging codes that got no answer */
    unsigned long pingpong;              /* handovers back to the BS left less than pingpong_ms before */
    unsigned long crossings;             /* cell-boundary crossings: the nearest BS changed (radio mode) */
    /* Why handovers outnumber crossings (radio mode; README, The emulator):
     * shadowing moves the best cell back and forth over seconds, not the
     * 1 s of a ping-pong. */
    unsigned long returns;               /* completed handovers back to the BS left, however long after */
    unsigned long returns_5s;            /* ... less than 5 s after arriving where it went */
    unsigned long left_nearest;          /* handovers started while the serving BS was the nearest */
    unsigned long served_measurements;   /* measurements of an MS that had a serving BS */
    unsigned long off_nearest;           /* ... whose serving BS was not the nearest */
    unsigned long early_ul_beyond_bound; /* handovers that left farther from the target than the UL timing bound */
    /* invariants that must never fail */
    unsigned long n_decreased, m_decreased, stale_count_keys, role_errors, io_errors;
    unsigned long events;
    unsigned long new_pmks;  /* PMKs the Authenticator replaced: re-entries and re-authentications */
};

/* A network of p->n_bs BSs (nodes 1..n_bs), p->n_ms MSs (0..n_ms - 1) and
 * the Authenticator at time 0, nothing scheduled (radio mode: the MSs
 * placed and moving). p is copied. Errors: invalid argument (NULL, n_bs or
 * n_ms 0 or above TEKHO_SIM_MAX_BS / TEKHO_SIM_MAX_MS, frame_us 0, an
 * unknown scheme), no memory, and the roles' tekho_*_new errors.
 * tekho_sim_free frees it with its roles (which wipe their keys) and
 * closes its captures; NULL is accepted. */
struct tekho_sim;
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_new(const struct tekho_sim_params *p, struct tekho_sim **out);
TEKHO_API void tekho_sim_free(struct tekho_sim *sim);
/* Schedules a scripted operation (enum tekho_sim_op: what a, b, c mean) at
 * virtual time at_us. Errors: invalid argument (NULL sim, an MS index or
 * BS node out of range, an air loss above 1000 per mille), no memory. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_at(struct tekho_sim *sim, uint64_t at_us, enum tekho_sim_op op,
                                                 uint32_t a, uint32_t b, uint32_t c);
/* The links, as a tap and an attacker see them. */
enum tekho_sim_link {
    TEKHO_SIM_AIR_UL,    /* from: MS index, to: BS node */
    TEKHO_SIM_AIR_DL,    /* from: BS node, to: MS index */
    TEKHO_SIM_BACKBONE,  /* from, to: nodes (TEKHO_NODE_AUTHENTICATOR or a BS) */
};
/* Called for every message sent, lost or not, before it is delivered;
 * bytes are valid during the call only. tekho_sim_set_tap installs fn
 * (NULL: none) and ctx, replacing any earlier tap. */
typedef void (*tekho_sim_tap_fn)(void *ctx, struct tekho_sim *sim, uint64_t t_us, enum tekho_sim_link link,
                                 uint32_t from, uint32_t to, const uint8_t *bytes, size_t len);
TEKHO_API void tekho_sim_set_tap(struct tekho_sim *sim, tekho_sim_tap_fn fn, void *ctx);
/* Delivers bytes at at_us (not before the current time) as if they came
 * on that link from `from`: what an attacker who records and replays,
 * alters or forges messages can do. Counted as injected, not as traffic.
 * bytes are copied. Errors: invalid argument (NULL sim or bytes with len
 * above 0, at_us in the past, an index or node out of range for the
 * link, a backbone message to its sender), no memory. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_inject(struct tekho_sim *sim, uint64_t at_us, enum tekho_sim_link link,
                                                     uint32_t from, uint32_t to, const uint8_t *bytes, size_t len);
/* The current virtual time. */
TEKHO_API uint64_t tekho_sim_now(const struct tekho_sim *sim);

/* Every event and message in time order, one line each, written to `to`
 * as the run goes (NULL: none); the caller keeps `to` open while it runs
 * and closes it. */
TEKHO_API void tekho_sim_trace(struct tekho_sim *sim, FILE *to);
/* Air and backbone captures (tekho decode / Wireshark) from now on:
 * DIR/air.pcap and DIR/backbone.pcap, created or truncated; DIR must
 * exist. Closed by tekho_sim_free. Errors: those of tekho_capture_open
 * (invalid argument when a file cannot be created). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_pcap(struct tekho_sim *sim, const char *dir);
/* Runs every event up to virtual time until_us (inclusive), then sets the
 * clock to until_us; may be called again with a later time to go on. A
 * role's refusal is counted, never returned. Errors: invalid argument
 * (NULL); TEKHO_ERR_NO_MEMORY: an event the run made could not be queued,
 * and the run stops there (its results would no longer be the model's). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_run(struct tekho_sim *sim, uint64_t until_us);
/* The counters so far, with the interruption statistics computed now (all
 * 0 if there are none, or if memory for sorting them runs out). */
TEKHO_API void tekho_sim_stats(const struct tekho_sim *sim, struct tekho_sim_stats *out);
/* The interruption samples (ms) of one direction, in the order they were
 * measured: up to max copied, the total returned. */
TEKHO_API size_t tekho_sim_interruptions(const struct tekho_sim *sim, enum tekho_sim_direction d, double *out,
                                         size_t max);

/* Radio mode: where BS `node` stands, in metres (0, 0 outside radio mode
 * or for a node out of range). */
TEKHO_API void tekho_sim_cell_position(const struct tekho_sim *sim, uint32_t node, double *x, double *y);
/* Radio mode: where MS `index` is now (0, 0 outside radio mode). */
TEKHO_API void tekho_sim_ms_position(const struct tekho_sim *sim, uint32_t index, double *x, double *y);

/* Read access for tests: the roles the simulation owns (NULL for an
 * index or node out of range); valid until tekho_sim_free. */
TEKHO_API struct tekho_ms *tekho_sim_ms(struct tekho_sim *sim, uint32_t index);
TEKHO_API struct tekho_bs *tekho_sim_bs(struct tekho_sim *sim, uint32_t node);
TEKHO_API struct tekho_auth *tekho_sim_auth(struct tekho_sim *sim);
/* The MSK the run gave MS `index` at network entry (a secret: the caller
 * wipes it), so that its captures can be checked with keys. Invalid
 * argument for an index the run does not have. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_ms_msk(const struct tekho_sim *sim, uint32_t index, uint8_t msk[64]);
/* Every MSK MS `index` has held so far, in order: the one of its network
 * entry (tekho_sim_ms_msk), then the one of each re-authentication or
 * re-entry after a release, as far as either the MS or the Authenticator
 * got (tekho_ms_pmk_generation, tekho_auth_pmk_generation). Copies up to
 * max into msks (secrets: the caller wipes them) and sets *n to how many
 * there are. Errors: invalid argument (NULL sim or n, NULL msks with max
 * above 0, an index the run does not have), crypto. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_ms_msks(struct tekho_sim *sim, uint32_t index, uint8_t msks[][64],
                                                      size_t max, size_t *n);

/* The built-in scenarios' names, NULL-terminated: normal, ms-ahead,
 * replay, cancel-retry, ping-pong, no-capability, tek-refresh, lossy-air,
 * auth-restart. TEKHO_SCENARIOS is the same array (the library exports
 * only tekho_ names). */
extern TEKHO_API const char *const tekho_scenarios[];
#define TEKHO_SCENARIOS tekho_scenarios
/* A new simulation set up for a scenario (3 BSs, 1 MS, its script
 * scheduled) to run with tekho_sim_run up to *until_us, when it ends.
 * Free it with tekho_sim_free. Errors: invalid argument (NULL), bad value
 * (not one of tekho_scenarios), and those of tekho_sim_new and
 * tekho_sim_at. */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_scenario(const char *name, enum tekho_scheme scheme, uint64_t seed,
                                                       struct tekho_sim **out, uint64_t *until_us);
/* The same with the roles' timing given (NULL: tekho_timing_default). */
TEKHO_API TEKHO_NODISCARD tekho_err tekho_sim_scenario_timing(const char *name, enum tekho_scheme scheme,
                                                              uint64_t seed, const struct tekho_timing *timing,
                                                              struct tekho_sim **out, uint64_t *until_us);

#ifdef __cplusplus
}
#endif
#endif
