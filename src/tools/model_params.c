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

/* set_NAME and get_NAME of each parameter: the command line's unit is
 * SCALE times the library's (percent against a fraction: 100). */
#define PARAM_FIELD(fn, field, type, scale)                                                                           \
    static void set_##fn(struct tekho_sim_params *p, double v) { p->field = (type)(v / (scale)); }                    \
    static double get_##fn(const struct tekho_sim_params *p) { return (double)p->field * (scale); }
PARAM_FIELD(frame, frame_us, uint64_t, 1)
PARAM_FIELD(loss, air_loss, double, 100)
PARAM_FIELD(backbone, backbone_latency_us, uint64_t, 1)
PARAM_FIELD(jitter, backbone_jitter_us, uint64_t, 1)
PARAM_FIELD(speed, radio.speed_kmh, double, 1)
PARAM_FIELD(isd, radio.isd_m, double, 1)
PARAM_FIELD(window, self_sync_window, unsigned, 1)
PARAM_FIELD(sync, timing.sync_us, uint64_t, 1)
PARAM_FIELD(ranging, timing.ranging_wait_us, uint64_t, 1)
PARAM_FIELD(t3, timing.rng_retransmit_us, uint64_t, 1)
PARAM_FIELD(retx, timing.retransmit_us, uint64_t, 1)
PARAM_FIELD(ho_rsp, timing.ho_response_us, uint64_t, 1)
PARAM_FIELD(bb_retx, timing.backbone_retransmit_us, uint64_t, 1)
PARAM_FIELD(retries, timing.max_retries, unsigned, 1)
PARAM_FIELD(aaa_rtt, timing.aaa_rtt_us, uint64_t, 1)
PARAM_FIELD(aaa_n, timing.aaa_round_trips, unsigned, 1)
PARAM_FIELD(eap_n, timing.eap_round_trips, unsigned, 1)
PARAM_FIELD(aaa_extra, var.aaa_extra_mean_us, double, 1)
PARAM_FIELD(processing, var.processing_mean_us, double, 1)
PARAM_FIELD(bler, var.harq_bler, double, 100)
PARAM_FIELD(harq_frames, var.harq_retx_frames, unsigned, 1)
PARAM_FIELD(harq_max, var.harq_max_retx, unsigned, 1)
PARAM_FIELD(code_fail, var.ranging_code_fail, double, 100)
PARAM_FIELD(backoff, var.ranging_backoff_frames, unsigned, 1)
PARAM_FIELD(load, var.interference_load, double, 100)
PARAM_FIELD(ttt, radio.ttt_ms, double, 1)
PARAM_FIELD(alpha, radio.meas_alpha, double, 1)
PARAM_FIELD(hysteresis, radio.hysteresis_db, double, 1)
PARAM_FIELD(shadow, radio.shadow_sigma_db, double, 1)
PARAM_FIELD(shadow_corr, radio.shadow_corr_m, double, 1)

/* {name, plot label, min, max, real (decimals), timing (struct tekho_timing: a scenario takes it), help, apply,
 *  value} */
const struct model_param MODEL_PARAMS[] = {
    {"frame-us", "TDD frame (us)", 1000, 20000, false, false, "TDD frame, us (default 5000)", set_frame, get_frame},
    {"air-loss", "air PDU loss HARQ does not recover (%)", 0, 100, true, false,
     "air PDUs lost outright, HARQ or not, % (default 0)", set_loss, get_loss},
    {"backbone-us", "one-way backbone latency (us)", 0, 1000000, false, false,
     "one-way backbone latency, us (default 2000)", set_backbone, get_backbone},
    {"backbone-jitter-us", "backbone jitter (us)", 0, 1000000, false, false,
     "backbone jitter: uniform 0..N us on each message (default 500; 0 with --ideal)", set_jitter, get_jitter},
    {"speed", "MS speed (km/h)", 0, 500, true, false, "MS speed, km/h (default 50)", set_speed, get_speed},
    {"isd", "inter-site distance (m)", 100, 20000, true, false,
     "inter-site distance, m (default 1000; ITU-R M.2135 urban macro: 500)", set_isd, get_isd},
    {"window", "self-sync window W", 0, 16, false, false, "self-sync window W (default 2)", set_window, get_window},
    {"sync-us", "DL synchronisation (us)", 0, 1000000, false, true,
     "DL synchronisation at the target after MOB_HO-IND, us (default 10000: two frames)", set_sync, get_sync},
    {"ranging-wait-us", "wait for the ranging opportunity (us)", 0, 1000000, false, true,
     "from synchronisation to the dedicated ranging opportunity, us (default 5000)", set_ranging, get_ranging},
    {"t3-us", "T3 (us)", 1000, 10000000, false, true,
     "T3, the wait for RNG-RSP, us (default 200000, 802.16e Table 342)", set_t3, get_t3},
    {"retransmit-us", "SBC/PKM retransmission timer (us)", 1000, 10000000, false, true,
     "SBC and PKM retransmission timer, us (default 50000: a model value)", set_retx, get_retx},
    {"ho-response-us", "MOB_BSHO-RSP wait (us)", 1000, 10000000, false, true,
     "the MS's wait for MOB_BSHO-RSP, us (default 500000)", set_ho_rsp, get_ho_rsp},
    {"backbone-retransmit-us", "backbone retransmission timer (us)", 1000, 10000000, false, true,
     "ASN-CP request retransmission timer, us (default 250000)", set_bb_retx, get_bb_retx},
    {"max-retries", "retries", 0, 16, false, true, "retransmissions before giving up (default 3)", set_retries, get_retries},
    {"aaa-rtt-us", "AAA round trip (us)", 0, 10000000, false, true,
     "one Authenticator-AAA round trip, us (default 40000)", set_aaa_rtt, get_aaa_rtt},
    {"aaa-round-trips", "AAA round trips", 0, 64, false, true,
     "Authenticator-AAA round trips of a re-authentication (default 4)", set_aaa_n, get_aaa_n},
    {"eap-round-trips", "EAP round trips", 0, 64, false, true,
     "EAP request/response pairs a re-authentication carries over the air and the backbone, baseline-full "
     "(default 4; 0: the AAA round trips alone)",
     set_eap_n, get_eap_n},
    {"aaa-extra-us", "AAA extra delay, mean (us)", 0, 10000000, false, false,
     "each AAA round trip's extra delay: exponential of this mean, us (default 10000)", set_aaa_extra, get_aaa_extra},
    {"processing-us", "processing, mean (us)", 0, 1000000, false, false,
     "each management message's processing: exponential of this mean, us (default 500)", set_processing, get_processing},
    {"harq-bler", "HARQ first-transmission BLER (%)", 0, 99.9, true, false,
     "HARQ: first-transmission error rate link adaptation aims at, % (default 10)", set_bler, get_bler},
    {"harq-retx-frames", "HARQ retransmission delay (frames)", 1, 16, false, false,
     "HARQ: a retransmission this many frames after the failed one (default 2)", set_harq_frames, get_harq_frames},
    {"harq-max-retx", "HARQ retransmissions", 0, 16, false, false,
     "HARQ: retransmissions before a PDU is lost (default 4)", set_harq_max, get_harq_max},
    {"ranging-code-fail", "CDMA ranging code failure (%)", 0, 99.9, true, false,
     "CDMA handover ranging: a code that gets no answer, % (default 10)", set_code_fail, get_code_fail},
    {"ranging-backoff", "CDMA ranging backoff window (frames)", 0, 1024, false, false,
     "CDMA handover ranging: backoff window after a failed code, frames (default 4)", set_backoff, get_backoff},
    {"load", "interference load (%)", 0, 100, true, false,
     "neighbour cells' load counted as interference, % (default 100)", set_load, get_load},
    {"ttt", "time to trigger (ms)", 0, 10000, false, false, "time to trigger, ms (default 160)", set_ttt, get_ttt},
    {"meas-alpha", "layer-3 filter coefficient", 0.001, 1, true, false,
     "layer-3 filter: weight of each new measurement (default 0.25; 1: no filtering)", set_alpha, get_alpha},
    {"hysteresis-db", "handover hysteresis (dB)", 0, 40, true, false,
     "handover hysteresis: a neighbour must beat the serving BS by this, dB (default 3)", set_hysteresis,
     get_hysteresis},
    {"shadow-db", "shadowing sigma (dB)", 0, 20, true, false,
     "log-normal shadowing: standard deviation, dB (default 6; 0: none)", set_shadow, get_shadow},
    {"shadow-corr-m", "shadowing decorrelation distance (m)", 1, 100000, true, false,
     "shadowing: decorrelation distance (Gudmundson), m (default 50)", set_shadow_corr, get_shadow_corr},
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

double report_share(unsigned long part, unsigned long whole)
{
    return whole ? (double)part / (double)whole : 0;
}

unsigned long report_insecure(const struct tekho_sim_stats *s)
{
    return s->replayed_pdus_accepted + s->forged_pdus_accepted + s->pn_reuse + s->tek_mismatch_after_ho;
}
