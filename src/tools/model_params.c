/* The emulator's model parameters that `tekho sim --topology` takes as
 * options and `tekho sweep` both as options and as axes: one table, so
 * the two commands speak one grammar (report.h). Values are in the unit
 * the help says, the same unit the JSON and the report use: times in us
 * (or ms where the name says), rates and probabilities in percent,
 * integers except where `real` allows decimals; defaults are
 * tekho_sim_params_emulator's. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static void set_frame(struct tekho_sim_params *p, double v) { p->frame_us = (uint64_t)v; }
static void set_loss(struct tekho_sim_params *p, double v) { p->air_loss = v / 100.0; }
static void set_backbone(struct tekho_sim_params *p, double v) { p->backbone_latency_us = (uint64_t)v; }
static void set_jitter(struct tekho_sim_params *p, double v) { p->backbone_jitter_us = (uint64_t)v; }
static void set_speed(struct tekho_sim_params *p, double v) { p->radio.speed_kmh = v; }
static void set_isd(struct tekho_sim_params *p, double v) { p->radio.isd_m = v; }
static void set_window(struct tekho_sim_params *p, double v) { p->self_sync_window = (unsigned)v; }
static void set_sync(struct tekho_sim_params *p, double v) { p->timing.sync_us = (uint64_t)v; }
static void set_ranging(struct tekho_sim_params *p, double v) { p->timing.ranging_wait_us = (uint64_t)v; }
static void set_t3(struct tekho_sim_params *p, double v) { p->timing.rng_retransmit_us = (uint64_t)v; }
static void set_retx(struct tekho_sim_params *p, double v) { p->timing.retransmit_us = (uint64_t)v; }
static void set_ho_rsp(struct tekho_sim_params *p, double v) { p->timing.ho_response_us = (uint64_t)v; }
static void set_bb_retx(struct tekho_sim_params *p, double v) { p->timing.backbone_retransmit_us = (uint64_t)v; }
static void set_retries(struct tekho_sim_params *p, double v) { p->timing.max_retries = (unsigned)v; }
static void set_aaa_rtt(struct tekho_sim_params *p, double v) { p->timing.aaa_rtt_us = (uint64_t)v; }
static void set_aaa_n(struct tekho_sim_params *p, double v) { p->timing.aaa_round_trips = (unsigned)v; }
static void set_aaa_extra(struct tekho_sim_params *p, double v) { p->var.aaa_extra_mean_us = v; }
static void set_processing(struct tekho_sim_params *p, double v) { p->var.processing_mean_us = v; }
static void set_bler(struct tekho_sim_params *p, double v) { p->var.harq_bler = v / 100.0; }
static void set_harq_frames(struct tekho_sim_params *p, double v) { p->var.harq_retx_frames = (unsigned)v; }
static void set_harq_max(struct tekho_sim_params *p, double v) { p->var.harq_max_retx = (unsigned)v; }
static void set_code_fail(struct tekho_sim_params *p, double v) { p->var.ranging_code_fail = v / 100.0; }
static void set_backoff(struct tekho_sim_params *p, double v) { p->var.ranging_backoff_frames = (unsigned)v; }
static void set_load(struct tekho_sim_params *p, double v) { p->var.interference_load = v / 100.0; }
static void set_ttt(struct tekho_sim_params *p, double v) { p->radio.ttt_ms = v; }
static void set_alpha(struct tekho_sim_params *p, double v) { p->radio.meas_alpha = v; }

/* {name, plot label, min, max, real (decimals), timing (struct tekho_timing: a scenario takes it), help, apply} */
const struct model_param MODEL_PARAMS[] = {
    {"frame-us", "TDD frame (us)", 1000, 20000, false, false, "TDD frame, us (default 5000)", set_frame},
    {"air-loss", "air PDU loss HARQ does not recover (%)", 0, 100, true, false,
     "air PDUs lost outright, HARQ or not, % (default 0)", set_loss},
    {"backbone-us", "one-way backbone latency (us)", 0, 1000000, false, false,
     "one-way backbone latency, us (default 2000)", set_backbone},
    {"backbone-jitter-us", "backbone jitter (us)", 0, 1000000, false, false,
     "backbone jitter: uniform 0..N us on each message (default 500; 0 with --ideal)", set_jitter},
    {"speed", "MS speed (km/h)", 0, 500, true, false, "MS speed, km/h (default 50)", set_speed},
    {"isd", "inter-site distance (m)", 100, 20000, true, false,
     "inter-site distance, m (default 1000; ITU-R M.2135 urban macro: 500)", set_isd},
    {"window", "self-sync window W", 0, 16, false, false, "self-sync window W (default 2)", set_window},
    {"sync-us", "DL synchronisation (us)", 0, 1000000, false, true,
     "DL synchronisation at the target after MOB_HO-IND, us (default 10000: two frames)", set_sync},
    {"ranging-wait-us", "wait for the ranging opportunity (us)", 0, 1000000, false, true,
     "from synchronisation to the dedicated ranging opportunity, us (default 5000)", set_ranging},
    {"t3-us", "T3 (us)", 1000, 10000000, false, true,
     "T3, the wait for RNG-RSP, us (default 200000, 802.16e Table 342)", set_t3},
    {"retransmit-us", "SBC/PKM retransmission timer (us)", 1000, 10000000, false, true,
     "SBC and PKM retransmission timer, us (default 50000: a model value)", set_retx},
    {"ho-response-us", "MOB_BSHO-RSP wait (us)", 1000, 10000000, false, true,
     "the MS's wait for MOB_BSHO-RSP, us (default 500000)", set_ho_rsp},
    {"backbone-retransmit-us", "backbone retransmission timer (us)", 1000, 10000000, false, true,
     "ASN-CP request retransmission timer, us (default 250000)", set_bb_retx},
    {"max-retries", "retries", 0, 16, false, true, "retransmissions before giving up (default 3)", set_retries},
    {"aaa-rtt-us", "AAA round trip (us)", 0, 10000000, false, true,
     "one Authenticator-AAA round trip, us (default 40000)", set_aaa_rtt},
    {"aaa-round-trips", "AAA round trips", 0, 64, false, true,
     "EAP round trips of a re-authentication (default 4)", set_aaa_n},
    {"aaa-extra-us", "AAA extra delay, mean (us)", 0, 10000000, false, false,
     "each AAA round trip's extra delay: exponential of this mean, us (default 10000)", set_aaa_extra},
    {"processing-us", "processing, mean (us)", 0, 1000000, false, false,
     "each management message's processing: exponential of this mean, us (default 500)", set_processing},
    {"harq-bler", "HARQ first-transmission BLER (%)", 0, 99.9, true, false,
     "HARQ: first-transmission error rate link adaptation aims at, % (default 10)", set_bler},
    {"harq-retx-frames", "HARQ retransmission delay (frames)", 1, 16, false, false,
     "HARQ: a retransmission this many frames after the failed one (default 2)", set_harq_frames},
    {"harq-max-retx", "HARQ retransmissions", 0, 16, false, false,
     "HARQ: retransmissions before a PDU is lost (default 4)", set_harq_max},
    {"ranging-code-fail", "CDMA ranging code failure (%)", 0, 99.9, true, false,
     "CDMA handover ranging: a code that gets no answer, % (default 10)", set_code_fail},
    {"ranging-backoff", "CDMA ranging backoff window (frames)", 0, 1024, false, false,
     "CDMA handover ranging: backoff window after a failed code, frames (default 4)", set_backoff},
    {"load", "interference load (%)", 0, 100, true, false,
     "neighbour cells' load counted as interference, % (default 100)", set_load},
    {"ttt", "time to trigger (ms)", 0, 10000, false, false, "time to trigger, ms (default 160)", set_ttt},
    {"meas-alpha", "layer-3 filter coefficient", 0.001, 1, true, false,
     "layer-3 filter: weight of each new measurement (default 0.25; 1: no filtering)", set_alpha},
};
const size_t N_MODEL_PARAMS = sizeof MODEL_PARAMS / sizeof MODEL_PARAMS[0];

const struct model_param *model_param_find(const char *name, size_t len)
{
    for (size_t k = 0; k < N_MODEL_PARAMS; k++)
        if (strlen(MODEL_PARAMS[k].name) == len && strncmp(MODEL_PARAMS[k].name, name, len) == 0)
            return &MODEL_PARAMS[k];
    return NULL;
}

void model_param_format(char *buf, size_t cap, double v)
{
    if (v == (double)(long long)v)
        snprintf(buf, cap, "%lld", (long long)v);
    else
        snprintf(buf, cap, "%g", v);
}

int model_param_parse(const struct model_param *mp, const char *text, double *v)
{
    uint64_t n = 0;
    if (mp->real ? cli_parse_real(text, v) != 0 : cli_parse_number(text, &n) != 0)
        return -1;
    if (!mp->real)
        *v = (double)n;
    return *v < mp->min || *v > mp->max ? -1 : 0;
}

size_t model_params_opts(struct cli_opt *opts, size_t n, size_t cap, unsigned other_modes, const char *hint)
{
    for (size_t k = 0; k < N_MODEL_PARAMS && n < cap; k++) {
        const struct model_param *mp = &MODEL_PARAMS[k];
        opts[n++] = (struct cli_opt){.name = mp->name, .kind = mp->real ? CLI_REAL : CLI_NUM,
                                     .min = (uint64_t)mp->min, .max = (uint64_t)mp->max, .rmin = mp->min,
                                     .rmax = mp->max, .help = mp->help, .modes = mp->timing ? 0 : other_modes,
                                     .hint = mp->timing ? NULL : hint};
    }
    return n;
}

void scheme_list(char *buf, size_t cap, const char *sep)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < TEKHO_SCHEME_COUNT && at < cap; k++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", k ? sep : "", tekho_scheme_name((enum tekho_scheme)k));
}

unsigned long report_insecure(const struct tekho_sim_stats *s)
{
    return s->replayed_pdus_accepted + s->forged_pdus_accepted + s->pn_reuse + s->tek_mismatch_after_ho;
}
