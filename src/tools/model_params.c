/* The emulator's model parameters that `tekho sim --topology` takes as
 * options and `tekho sweep` both as options and as axes: one table, so
 * the two commands speak one grammar (report.h). Values are integers in
 * the unit the name says; defaults are tekho_sim_params_emulator's. */
#include <string.h>

#include "report.h"

static void set_frame(struct tekho_sim_params *p, uint64_t v) { p->frame_us = v; }
static void set_loss(struct tekho_sim_params *p, uint64_t v) { p->air_loss = (double)v / 1000.0; }
static void set_backbone(struct tekho_sim_params *p, uint64_t v) { p->backbone_latency_us = v; }
static void set_jitter(struct tekho_sim_params *p, uint64_t v) { p->backbone_jitter_us = v; }
static void set_speed(struct tekho_sim_params *p, uint64_t v) { p->radio.speed_kmh = (double)v; }
static void set_isd(struct tekho_sim_params *p, uint64_t v) { p->radio.isd_m = (double)v; }
static void set_window(struct tekho_sim_params *p, uint64_t v) { p->self_sync_window = (unsigned)v; }
static void set_sync(struct tekho_sim_params *p, uint64_t v) { p->timing.sync_us = v; }
static void set_ranging(struct tekho_sim_params *p, uint64_t v) { p->timing.ranging_wait_us = v; }
static void set_t3(struct tekho_sim_params *p, uint64_t v) { p->timing.rng_retransmit_us = v; }
static void set_retx(struct tekho_sim_params *p, uint64_t v) { p->timing.retransmit_us = v; }
static void set_ho_rsp(struct tekho_sim_params *p, uint64_t v) { p->timing.ho_response_us = v; }
static void set_bb_retx(struct tekho_sim_params *p, uint64_t v) { p->timing.backbone_retransmit_us = v; }
static void set_retries(struct tekho_sim_params *p, uint64_t v) { p->timing.max_retries = (unsigned)v; }
static void set_aaa_rtt(struct tekho_sim_params *p, uint64_t v) { p->timing.aaa_rtt_us = v; }
static void set_aaa_n(struct tekho_sim_params *p, uint64_t v) { p->timing.aaa_round_trips = (unsigned)v; }
static void set_aaa_extra(struct tekho_sim_params *p, uint64_t v) { p->var.aaa_extra_mean_us = (double)v; }
static void set_processing(struct tekho_sim_params *p, uint64_t v) { p->var.processing_mean_us = (double)v; }
static void set_bler(struct tekho_sim_params *p, uint64_t v) { p->var.harq_bler = (double)v / 1000.0; }
static void set_harq_frames(struct tekho_sim_params *p, uint64_t v) { p->var.harq_retx_frames = (unsigned)v; }
static void set_harq_max(struct tekho_sim_params *p, uint64_t v) { p->var.harq_max_retx = (unsigned)v; }
static void set_code_fail(struct tekho_sim_params *p, uint64_t v) { p->var.ranging_code_fail = (double)v / 1000.0; }
static void set_backoff(struct tekho_sim_params *p, uint64_t v) { p->var.ranging_backoff_frames = (unsigned)v; }
static void set_load(struct tekho_sim_params *p, uint64_t v) { p->var.interference_load = (double)v / 100.0; }
static void set_ttt(struct tekho_sim_params *p, uint64_t v) { p->radio.ttt_ms = (double)v; }
static void set_alpha(struct tekho_sim_params *p, uint64_t v) { p->radio.meas_alpha = (double)v / 1000.0; }

const struct model_param MODEL_PARAMS[] = {
    {"frame-us", "TDD frame (us)", 1000, 20000, "TDD frame, us (default 5000)", set_frame},
    {"air-loss", "air PDU loss HARQ does not recover (per mille)", 0, 1000,
     "air PDUs lost outright, HARQ or not, per mille (default 0)", set_loss},
    {"backbone-us", "one-way backbone latency (us)", 0, 1000000, "one-way backbone latency, us (default 2000)",
     set_backbone},
    {"backbone-jitter-us", "backbone jitter (us)", 0, 1000000,
     "backbone jitter: uniform 0..N us on each message (default 500; 0 with --ideal)", set_jitter},
    {"speed", "MS speed (km/h)", 0, 500, "MS speed, km/h (default 50)", set_speed},
    {"isd", "inter-site distance (m)", 100, 20000,
     "inter-site distance, m (default 1000; ITU-R M.2135 urban macro: 500)", set_isd},
    {"window", "self-sync window W", 0, 16, "self-sync window W (default 2)", set_window},
    {"sync-us", "DL synchronisation (us)", 0, 1000000,
     "DL synchronisation at the target after MOB_HO-IND, us (default 10000: two frames)", set_sync},
    {"ranging-wait-us", "wait for the ranging opportunity (us)", 0, 1000000,
     "from synchronisation to the dedicated ranging opportunity, us (default 5000)", set_ranging},
    {"t3-us", "T3 (us)", 1000, 10000000, "T3, the wait for RNG-RSP, us (default 200000, 802.16e Table 342)", set_t3},
    {"retransmit-us", "SBC/PKM retransmission timer (us)", 1000, 10000000,
     "SBC and PKM retransmission timer, us (default 50000: a model value)", set_retx},
    {"ho-response-us", "MOB_BSHO-RSP wait (us)", 1000, 10000000,
     "the MS's wait for MOB_BSHO-RSP, us (default 500000)", set_ho_rsp},
    {"backbone-retransmit-us", "backbone retransmission timer (us)", 1000, 10000000,
     "ASN-CP request retransmission timer, us (default 250000)", set_bb_retx},
    {"max-retries", "retries", 0, 16, "retransmissions before giving up (default 3)", set_retries},
    {"aaa-rtt-us", "AAA round trip (us)", 0, 10000000, "one Authenticator-AAA round trip, us (default 40000)",
     set_aaa_rtt},
    {"aaa-round-trips", "AAA round trips", 0, 64, "EAP round trips of a re-authentication (default 4)", set_aaa_n},
    {"aaa-extra-us", "AAA extra delay, mean (us)", 0, 10000000,
     "each AAA round trip's extra delay: exponential of this mean, us (default 10000)", set_aaa_extra},
    {"processing-us", "processing, mean (us)", 0, 1000000,
     "each management message's processing: exponential of this mean, us (default 500)", set_processing},
    {"harq-bler", "HARQ first-transmission BLER (per mille)", 0, 999,
     "HARQ: first-transmission error rate link adaptation aims at, per mille (default 100)", set_bler},
    {"harq-retx-frames", "HARQ retransmission delay (frames)", 1, 16,
     "HARQ: a retransmission this many frames after the failed one (default 2)", set_harq_frames},
    {"harq-max-retx", "HARQ retransmissions", 0, 16, "HARQ: retransmissions before a PDU is lost (default 4)",
     set_harq_max},
    {"ranging-code-fail", "CDMA ranging code failure (per mille)", 0, 999,
     "CDMA handover ranging: a code that gets no answer, per mille (default 100)", set_code_fail},
    {"ranging-backoff", "CDMA ranging backoff window (frames)", 0, 1024,
     "CDMA handover ranging: backoff window after a failed code, frames (default 4)", set_backoff},
    {"load", "interference load (%)", 0, 100, "neighbour cells' load counted as interference, % (default 100)",
     set_load},
    {"ttt", "time to trigger (ms)", 0, 10000, "time to trigger, ms (default 160)", set_ttt},
    {"meas-alpha", "layer-3 filter coefficient (per mille)", 1, 1000,
     "layer-3 filter: weight of each new measurement, per mille (default 250; 1000: none)", set_alpha},
};
const size_t N_MODEL_PARAMS = sizeof MODEL_PARAMS / sizeof MODEL_PARAMS[0];

const struct model_param *model_param_find(const char *name, size_t len)
{
    for (size_t k = 0; k < N_MODEL_PARAMS; k++)
        if (strlen(MODEL_PARAMS[k].name) == len && strncmp(MODEL_PARAMS[k].name, name, len) == 0)
            return &MODEL_PARAMS[k];
    return NULL;
}
