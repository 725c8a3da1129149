/* tekho sim: a built-in scenario under one scheme; or, with --topology,
 * the emulator: every scheme on the same mobility and traffic, compared. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "decode_args.h"
#include "report.h"
#include "sim_opts.h"
#include "tekho/sim.h"

static void model_json(FILE *f, const double m[TEKHO_SIM_DIRECTIONS])
{
    fprintf(f, "{\"ul\": %.3f, \"dl\": %.3f, \"union\": %.3f}", m[TEKHO_SIM_UL], m[TEKHO_SIM_DL],
            m[TEKHO_SIM_UNION]);
}

void sim_result_json(FILE *f, const char *scenario, uint64_t seed, const struct report_run *r,
                     const struct tekho_sim_params *p, unsigned duration)
{
    const struct tekho_sim_stats *s = &r->st;
    const bool emulator = r->n_reps > 0;
    fprintf(f, "{");
    if (scenario)
        fprintf(f, "\"scenario\": \"%s\", ", scenario);
    fprintf(f, "\"scheme\": \"%s\", \"seed\": %llu, ", tekho_scheme_name(r->scheme), (unsigned long long)seed);
    if (emulator)
        fprintf(f, "\"replications\": %zu, ", r->n_reps);
    fprintf(f,
            "\"handovers\": {\"attempted\": %lu, \"completed\": %lu, \"cancelled\": %lu, \"failed\": %lu, "
            "\"executed\": %lu}, ",
            s->attempted, s->completed, s->cancelled, s->failed, s->executed);
    fprintf(f, "\"interruption_ms\": {");
    report_interruption_json(f, s->interruption, emulator ? r->ci : NULL);
    fprintf(f, "}, ");
    if (emulator) {
        fprintf(f, "\"model_ms\": ");
        model_json(f, r->model);
        fprintf(f, ", ");
    }
    /* The same, under ITU-R M.2134's assumptions: the only figure held
     * against its limit (verdict_p99: the union's, censored handovers
     * counted as longer than any; null when they reach it). */
    fprintf(f, "\"m2134_ms\": {");
    report_interruption_json(f, r->m2134, emulator ? r->m2134_ci : NULL);
    const double p99 = report_m2134_p99(r);
    if (isfinite(p99))
        fprintf(f, ", \"verdict_p99\": %.3f", p99);
    else
        fprintf(f, ", \"verdict_p99\": null");
    fprintf(f, ", \"limit\": %.1f, \"verdict\": \"%s\"", M2134_LIMIT_MS, report_m2134_verdict(r));
    if (emulator) {
        fprintf(f, ", \"model\": ");
        model_json(f, r->m2134_model);
    }
    fprintf(f, "}, ");
    if (emulator && r->paired) {
        static const char *const names[N_DIFFS] = {"union_mean_ms", "union_p50_ms", "union_p99_ms",
                                                   "m2134_union_p99_ms"};
        fprintf(f, "\"paired_vs_counter\": {");
        for (int k = 0; k < N_DIFFS; k++) {
            fprintf(f, "%s\"%s\": {\"diff\": %.3f, \"ci95\": ", k ? ", " : "", names[k], r->diff[k].value);
            report_ci_json(f, &r->diff[k]);
            fprintf(f, "}");
        }
        fprintf(f, "}, ");
    }
    if (emulator) {
        const double ms_s = (double)p->n_ms * duration * (double)r->n_reps;
        fprintf(f,
                "\"mobility\": {\"handovers_per_ms_s\": %.5f, \"crossings_per_ms_s\": %.5f, "
                "\"fluid_flow_per_ms_s\": %.5f, \"pingpong\": %lu, \"pingpong_rate\": %.4f, \"returns\": %lu, "
                "\"returns_rate\": %.4f, \"returns_5s\": %lu, \"returns_5s_rate\": %.4f, \"left_nearest\": %lu, "
                "\"left_nearest_rate\": %.4f, \"time_off_nearest\": %.4f}, ",
                (double)s->completed / ms_s, (double)s->crossings / ms_s, report_fluid_flow_rate(p), s->pingpong,
                report_share(s->pingpong, s->completed), s->returns, report_share(s->returns, s->completed),
                s->returns_5s, report_share(s->returns_5s, s->completed), s->left_nearest,
                report_share(s->left_nearest, s->attempted), report_share(s->off_nearest, s->served_measurements));
        fprintf(f,
                "\"variability\": {\"harq_retransmissions\": %lu, \"harq_lost\": %lu, \"sync_extra_frames\": %lu, "
                "\"ranging_contended\": %lu, \"ranging_codes_failed\": %lu, \"early_ul_beyond_bound\": %lu}, ",
                s->harq_retransmissions, s->harq_lost, s->sync_extra_frames, s->ranging_contended,
                s->ranging_codes_failed, s->early_ul_beyond_bound);
    }
    fprintf(f, "\"security\": {\"encrypted\": %s, \"insecure\": %lu, ",
            tekho_scheme_encrypts(r->scheme) ? "true" : "false", report_insecure(s));
    fprintf(f,
            "\"replayed_pdus_accepted\": %lu, \"forged_pdus_accepted\": %lu, \"pn_reuse\": %lu, "
            "\"tek_bytes_over_air\": %lu, \"tek_bytes_over_backbone\": %lu, \"self_sync_success\": %lu, "
            "\"resync_by_rng_req\": %lu, \"connections_released\": %lu, \"pdus_discarded\": %lu, "
            "\"tek_mismatch_after_ho\": %lu}, ",
            s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_bytes_over_air,
            s->tek_bytes_over_backbone, s->self_sync_success, s->resync_by_rng_req, s->connections_released,
            s->pdus_discarded, s->tek_mismatch_after_ho);
    /* Per handover: over the completed ones (0 with none). */
    const double ho = s->completed ? (double)s->completed : 0;
#define PER_HO(x) (ho > 0 ? (double)(x) / ho : 0.0)
    fprintf(f,
            "\"signalling\": {\"air_messages\": %lu, \"air_bytes\": %lu, \"backbone_messages\": %lu, "
            "\"backbone_bytes\": %lu, \"handover\": {\"air_messages\": %lu, \"air_bytes\": %lu, "
            "\"backbone_messages\": %lu, \"backbone_bytes\": %lu}, \"per_handover\": {\"air_messages\": %.2f, "
            "\"air_bytes\": %.1f, \"backbone_messages\": %.2f, \"backbone_bytes\": %.1f, "
            "\"tek_bytes_over_air\": %.1f, \"tek_bytes_over_backbone\": %.1f}}, ",
            s->air_messages, s->air_bytes, s->backbone_messages, s->backbone_bytes, s->ho_air_messages,
            s->ho_air_bytes, s->ho_backbone_messages, s->ho_backbone_bytes, PER_HO(s->ho_air_messages),
            PER_HO(s->ho_air_bytes), PER_HO(s->ho_backbone_messages), PER_HO(s->ho_backbone_bytes),
            PER_HO(s->tek_bytes_over_air), PER_HO(s->tek_bytes_over_backbone));
#undef PER_HO
    fprintf(f,
            "\"traffic\": {\"offered\": %lu, \"delivered\": %lu, \"ho_window_offered\": %lu, \"ho_window_lost\": %lu, "
            "\"modelled\": %lu}, ",
            s->user_pdus_offered, s->user_pdus_delivered, s->ho_window_offered, s->ho_window_lost, s->modelled_pdus);
    fprintf(f, "\"invariants\": {\"n_decreased\": %lu, \"m_decreased\": %lu, \"stale_count_keys\": %lu}, "
               "\"events\": %lu}",
            s->n_decreased, s->m_decreased, s->stale_count_keys, s->events);
}

/* One interruption line, with the JSON's names. */
static void interruption_text(const char *dir, const struct tekho_sim_interruption *x)
{
    printf("  %-14s n %zu, censored %lu, censored_at_end %lu, min %.1f, p50 %.1f, p99 %.1f, max %.1f, mean %.1f\n",
           dir, x->n, x->censored, x->censored_at_end, x->min_ms, x->p50_ms, x->p99_ms, x->max_ms, x->mean_ms);
}

/* The scenario's result as text: the JSON's groups and names, in its order. */
static void print_text(const char *scenario, uint64_t seed, const struct report_run *r)
{
    const struct tekho_sim_stats *s = &r->st;
    printf("scenario %s, scheme %s, seed %llu\n", scenario, tekho_scheme_name(r->scheme), (unsigned long long)seed);
    printf("handovers        attempted %lu, completed %lu, cancelled %lu, failed %lu, executed %lu\n", s->attempted,
           s->completed, s->cancelled, s->failed, s->executed);
    printf("interruption_ms  from the MS leaving its serving BS to the first user PDU through the target:\n");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++)
        interruption_text(tekho_sim_direction_name((enum tekho_sim_direction)d), &s->interruption[d]);
    printf("m2134_ms         the same under ITU-R M.2134's assumptions (DL sync, ranging wait and AAA at 0):\n");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++)
        interruption_text(tekho_sim_direction_name((enum tekho_sim_direction)d), &r->m2134[d]);
    printf("  verdict_p99 %.1f, limit %.1f, verdict %s\n", report_m2134_p99(r), M2134_LIMIT_MS,
           report_m2134_verdict(r));
    printf("security         encrypted %s, insecure %lu (replayed_pdus_accepted %lu, forged_pdus_accepted %lu, "
           "pn_reuse %lu,\n"
           "                 tek_mismatch_after_ho %lu), tek_bytes_over_air %lu, tek_bytes_over_backbone %lu,\n"
           "                 self_sync_success %lu, resync_by_rng_req %lu, connections_released %lu, pdus_discarded %lu\n",
           tekho_scheme_encrypts(r->scheme) ? "true" : "false", report_insecure(s), s->replayed_pdus_accepted,
           s->forged_pdus_accepted, s->pn_reuse, s->tek_mismatch_after_ho, s->tek_bytes_over_air,
           s->tek_bytes_over_backbone, s->self_sync_success, s->resync_by_rng_req, s->connections_released,
           s->pdus_discarded);
    printf("signalling       air_messages %lu, air_bytes %lu, backbone_messages %lu, backbone_bytes %lu (the run)\n",
           s->air_messages, s->air_bytes, s->backbone_messages, s->backbone_bytes);
    printf("  handover       air_messages %lu, air_bytes %lu, backbone_messages %lu, backbone_bytes %lu (what "
           "handovers add)\n",
           s->ho_air_messages, s->ho_air_bytes, s->ho_backbone_messages, s->ho_backbone_bytes);
    const double ho = s->completed ? (double)s->completed : 0;
#define PER_HO(x) (ho > 0 ? (double)(x) / ho : 0.0)
    printf("  per_handover   air_messages %.2f, air_bytes %.1f, backbone_messages %.2f, backbone_bytes %.1f,\n"
           "                 tek_bytes_over_air %.1f, tek_bytes_over_backbone %.1f (per completed handover)\n",
           PER_HO(s->ho_air_messages), PER_HO(s->ho_air_bytes), PER_HO(s->ho_backbone_messages),
           PER_HO(s->ho_backbone_bytes), PER_HO(s->tek_bytes_over_air), PER_HO(s->tek_bytes_over_backbone));
#undef PER_HO
    printf("traffic          offered %lu, delivered %lu, ho_window_offered %lu, ho_window_lost %lu, modelled %lu\n",
           s->user_pdus_offered, s->user_pdus_delivered, s->ho_window_offered, s->ho_window_lost, s->modelled_pdus);
    printf("invariants       n_decreased %lu, m_decreased %lu, stale_count_keys %lu\n", s->n_decreased, s->m_decreased,
           s->stale_count_keys);
    printf("events           %lu\n", s->events);
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}


/* A comma-separated list of scheme names, each at most once. */
static int parse_schemes(const char *list, enum tekho_scheme *out, size_t *n)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return -1;
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == TEKHO_SCHEME_COUNT || tekho_scheme_parse(tok, &out[*n]) != TEKHO_OK)
            return -1;
        for (size_t k = 0; k < *n; k++)
            if (out[k] == out[*n])
                return -1;
        (*n)++;
    }
    return *n ? 0 : -1;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int emulator_params(const struct cli_cmd *cmd, const char *topology, const char *schemes, unsigned n_ms,
                    uint64_t seed, struct tekho_sim_params *p, enum tekho_scheme *list, size_t *n_schemes)
{
    uint64_t cells = 0;
    if (strncmp(topology, "hex:", 4) != 0 || cli_parse_number(topology + 4, &cells) != 0 || cells < 2 ||
        cells > TEKHO_SIM_MAX_BS)
        return cli_usage_error(cmd, "--topology: hex:N with N from 2 to %u, got '%s'", TEKHO_SIM_MAX_BS, topology);
    if (parse_schemes(schemes ? schemes
                              : "none,none-late,counter,baseline-early,baseline-update,baseline-challenge,"
                                "baseline-full,reuse",
                      list, n_schemes) != 0) {
        char names[512];
        scheme_list(names, sizeof names, ", ");
        return cli_usage_error(cmd, "--schemes: a comma-separated list of %s, each at most once; got '%s'", names,
                               schemes);
    }
    tekho_sim_params_emulator(p);
    p->n_bs = (unsigned)cells;
    p->n_ms = n_ms;
    p->seed = seed;
    return -1;
}

unsigned emulator_jobs(void)
{
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > 64 ? 64u : (unsigned)n;
}

/* "v [lo, hi]" or "v" alone when there is no interval. */
static void with_ci(char *buf, size_t cap, const struct ci95 *c)
{
    if (c->valid)
        snprintf(buf, cap, "%.1f [%.1f,%.1f]", fabs(c->value) < 0.05 ? 0.0 : c->value, fabs(c->lo) < 0.05 ? 0.0 : c->lo,
                 fabs(c->hi) < 0.05 ? 0.0 : c->hi);
    else
        snprintf(buf, cap, "%.1f", c->value);
}

void sim_params_json(FILE *f, const struct tekho_sim_params *p, unsigned duration, size_t R, bool ideal)
{
    fprintf(f,
            "\"params\": {\"topology\": \"hex:%u\", \"ms\": %u, \"duration_s\": %u, \"seed\": %llu, "
            "\"replications\": %zu, \"seeds\": [%llu, %llu], \"ideal\": %s, \"speed_kmh\": %.1f, \"isd_m\": %.0f, "
            "\"frame_us\": %llu, \"backbone_us\": %llu, \"backbone_jitter_us\": %llu, \"air_loss_pct\": %.3f, "
            "\"window\": %u, \"packet_interval_ms_around_handovers\": %.1f, \"sync_us\": %llu, "
            "\"ranging_wait_us\": %llu, \"t3_us\": %llu, \"retransmit_us\": %llu, \"aaa_rtt_us\": %llu, "
            "\"aaa_round_trips\": %u, ",
            p->n_bs, p->n_ms, duration, (unsigned long long)p->seed, R, (unsigned long long)p->seed,
            (unsigned long long)(p->seed + R - 1), ideal ? "true" : "false", p->radio.speed_kmh, p->radio.isd_m,
            (unsigned long long)p->frame_us, (unsigned long long)p->backbone_latency_us,
            (unsigned long long)p->backbone_jitter_us, p->air_loss * 100, p->self_sync_window, p->frame_us / 1000.0,
            (unsigned long long)p->timing.sync_us, (unsigned long long)p->timing.ranging_wait_us,
            (unsigned long long)p->timing.rng_retransmit_us, (unsigned long long)p->timing.retransmit_us,
            (unsigned long long)p->timing.aaa_rtt_us, p->timing.aaa_round_trips);
    const struct tekho_sim_variability *v = &p->var;
    fprintf(f,
            "\"variability\": {\"enabled\": %s, \"harq_bler_pct\": %.3f, \"harq_retx_frames\": %u, "
            "\"harq_max_retx\": %u, \"sinr_min_db\": %.1f, \"bler_span_db\": %.1f, \"load_pct\": %.3f, "
            "\"noise_dbm\": %.1f, \"preamble_search\": %s, \"ranging_code_fail_pct\": %.3f, "
            "\"ranging_backoff_frames\": %u, \"aaa_extra_mean_us\": %.0f, \"processing_mean_us\": %.0f}, ",
            v->enabled ? "true" : "false", v->harq_bler * 100, v->harq_retx_frames, v->harq_max_retx,
            v->sinr_min_db, v->bler_span_db, v->interference_load * 100, v->noise_dbm,
            v->preamble_search ? "true" : "false", v->ranging_code_fail * 100, v->ranging_backoff_frames, v->aaa_extra_mean_us, v->processing_mean_us);
    const double bound = 299792458.0 * (p->radio.cp_us - p->radio.delay_spread_us) * 1e-6 / 2;
    fprintf(f,
            "\"mobility\": {\"meas_alpha\": %.3f, \"hysteresis_db\": %.1f, \"ttt_ms\": %.0f, "
            "\"shadow_sigma_db\": %.1f, \"shadow_corr_m\": %.0f, \"shadow_site_corr\": %.2f, "
            "\"pingpong_ms\": %.0f}, \"early_ul_bound_m\": %.0f, "
            "\"dl_during_outage\": \"routed to the target once the serving BS released the MS; dropped there until "
            "the target may send (counted in ho_window_lost), not forwarded\", "
            "\"m2134_zeroed\": [\"sync_us\", \"preamble_search\", \"ranging_wait_us\", \"aaa_rtt_us\", "
            "\"aaa_extra_mean_us\"]}",
            p->radio.meas_alpha, p->radio.hysteresis_db, p->radio.ttt_ms, p->radio.shadow_sigma_db,
            p->radio.shadow_corr_m, p->radio.shadow_site_corr, p->radio.pingpong_ms, bound);
}

/* The table's legend, its heading and one row (tekho sim and tekho sweep print the same). */
void sim_table_legend(FILE *f)
{
    fprintf(f,
            "interruption (ms): from the MS leaving its serving BS to the first user PDU through the target, UL,\n"
            "DL and both (union), over the handovers of every replication that resumed (the others censored);\n"
            "[95 %% interval]: mean over replication means (t), percentiles by the bootstrap over replications.\n"
            "model: the closed-form timeline without variability. M.2134 p99: union p99 of a second run with DL\n"
            "sync, ranging wait and AAA at 0, held against %.1f ms (verdict within or over). d p99 vs ctr: union\n"
            "p99 minus counter's, paired by seed. Per completed handover, what handovers add (network entry and\n"
            "TEK refresh apart): msg/HO management messages on the air and ASN-CP messages on the backbone,\n"
            "air B/HO and bb B/HO their bytes, TEK air and TEK bb bytes of TEK material on each. insecure:\n"
            "replayed or forged user PDUs delivered, (TEK, PN) pairs sealed twice and TEK mismatches after\n"
            "handovers; n/a where the scheme encrypts nothing.\n\n",
            M2134_LIMIT_MS);
}

void sim_table_heading(FILE *f)
{
    fprintf(f, "%-18s %9s %8s %6s %6s %18s %18s %18s %6s %10s %7s %18s %6s %8s %8s %7s %7s %8s\n", "scheme",
            "handovers", "censored", "UL p50", "DL p50", "union mean", "union p50", "union p99", "model", "M.2134 p99",
            "verdict", "d p99 vs ctr", "msg/HO", "air B/HO", "bb B/HO", "TEK air", "TEK bb", "insecure");
}

void sim_table_row(FILE *f, const struct report_run *r)
{
    const struct tekho_sim_stats *s = &r->st;
    const double ho = s->completed ? (double)s->completed : 1;
    char mean[40], p50[40], p99[40], m2134[40], diff[40], insecure[24];
    with_ci(mean, sizeof mean, &r->ci[TEKHO_SIM_UNION].mean);
    with_ci(p50, sizeof p50, &r->ci[TEKHO_SIM_UNION].p50);
    with_ci(p99, sizeof p99, &r->ci[TEKHO_SIM_UNION].p99);
    snprintf(m2134, sizeof m2134, "%.1f", report_m2134_p99(r)); /* the verdict's (JSON: the resumed ones' interval) */
    if (r->paired)
        with_ci(diff, sizeof diff, &r->diff[DIFF_UNION_P99]);
    else
        snprintf(diff, sizeof diff, "-");
    if (tekho_scheme_encrypts(r->scheme))
        snprintf(insecure, sizeof insecure, "%lu", report_insecure(s));
    else
        snprintf(insecure, sizeof insecure, "n/a");
    fprintf(f, "%-18s %9lu %8lu %6.1f %6.1f %18s %18s %18s %6.1f %10s %7s %18s %6.1f %8.0f %8.0f %7.1f %7.1f %8s\n",
            tekho_scheme_name(r->scheme), s->executed, s->interruption[TEKHO_SIM_UNION].censored,
            s->interruption[TEKHO_SIM_UL].p50_ms, s->interruption[TEKHO_SIM_DL].p50_ms, mean, p50, p99,
            r->model[TEKHO_SIM_UNION], m2134, report_m2134_verdict(r), diff,
            (double)(s->ho_air_messages + s->ho_backbone_messages) / ho, (double)s->ho_air_bytes / ho,
            (double)s->ho_backbone_bytes / ho, (double)s->tek_bytes_over_air / ho,
            (double)s->tek_bytes_over_backbone / ho, insecure);
}

/* The value of a CLI_STR option, or NULL. */
static const char *str_opt(const struct cli_args *a, size_t k)
{
    return a->v[k].present ? (const char *)a->v[k].bytes : NULL;
}

/* One handover of scheme (scenario normal, seed 1) captured into
 * dir/SCHEME, with decode-args and msk. CLI_EXIT_OK, or CLI_EXIT_FAILED
 * after a message naming the path. */
static int capture_scheme(const char *dir, enum tekho_scheme scheme)
{
    char sub[4096];
    if (snprintf(sub, sizeof sub, "%s/%s", dir, tekho_scheme_name(scheme)) >= (int)sizeof sub) {
        fprintf(stderr, "tekho sim: --pcap: '%s': path too long\n", dir);
        return CLI_EXIT_FAILED;
    }
    if (cli_mkdirs(sub) != 0) {
        fprintf(stderr, "tekho sim: --pcap: cannot create '%s': %s\n", sub, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    tekho_err err = tekho_sim_scenario("normal", scheme, 1, &sim, &until);
    if (err == TEKHO_OK)
        err = tekho_sim_pcap(sim, sub);
    if (err == TEKHO_OK)
        err = tekho_sim_run(sim, until);
    int rc = CLI_EXIT_FAILED;
    if (err == TEKHO_OK)
        rc = decode_args_write(sim, sub);
    else
        fprintf(stderr, "tekho sim: --pcap: captures in '%s': %s\n", sub, tekho_strerror(err));
    tekho_sim_free(sim);
    return rc;
}

static int emulate(const struct cli_args *a, const struct cli_cmd *cmd)
{
    const char *report = str_opt(a, SIM_REPORT), *pcap = str_opt(a, SIM_PCAP);
    enum tekho_scheme list[TEKHO_SCHEME_COUNT];
    size_t n_schemes = 0;
    struct tekho_sim_params p;
    int rc = emulator_params(cmd, str_opt(a, SIM_TOPOLOGY), str_opt(a, SIM_SCHEMES),
                             a->v[SIM_MS].present ? (unsigned)a->v[SIM_MS].num : 300,
                             a->v[SIM_SEED].present ? a->v[SIM_SEED].num : 1, &p, list, &n_schemes);
    if (rc >= 0)
        return rc;
    const bool ideal = a->v[SIM_IDEAL].present;
    if (ideal)
        tekho_sim_params_ideal(&p);
    for (size_t k = SIM_N_OPTS; k < cmd->n_opts; k++)
        if (a->v[k].present)
            MODEL_PARAMS[k - SIM_N_OPTS].apply(&p, a->v[k].real);
    p.radio.crypto_all = a->v[SIM_CRYPTO_ALL].present;
    const unsigned duration = a->v[SIM_DURATION].present ? (unsigned)a->v[SIM_DURATION].num : 180;
    const size_t R = a->v[SIM_REPLICATIONS].present ? (size_t)a->v[SIM_REPLICATIONS].num : REPLICATIONS_DEFAULT;
    const unsigned jobs = a->v[SIM_JOBS].present ? (unsigned)a->v[SIM_JOBS].num : emulator_jobs();
    const bool json = a->json;
    const bool progress = !json && isatty(STDERR_FILENO);
    /* Where the outputs go, before any run. */
    if (report != NULL && (rc = cli_output_dir(cmd, "report", report)) >= 0)
        return rc;
    if (pcap != NULL && (rc = cli_output_dir(cmd, "pcap", pcap)) >= 0)
        return rc;

    struct report_run runs[TEKHO_SCHEME_COUNT];
    memset(runs, 0, sizeof runs);
    const double started = wall_s();
    tekho_err err = emulate_schemes(&p, list, n_schemes, duration, R, jobs, true, progress, runs);
    unsigned long events = 0, handovers = 0;
    double total_wall = 0;
    /* Every run's work: a replication's measured run and its M.2134 run
     * (each a job); total_wall is the threads' time over them all. */
    const size_t runs_done = n_schemes * R * 2;
    for (size_t k = 0; k < n_schemes; k++) {
        events += runs[k].st.events + runs[k].m2134_events;
        handovers += runs[k].st.completed + runs[k].m2134_completed;
        total_wall += runs[k].wall_s;
    }
    const double elapsed = wall_s() - started;
    if (err != TEKHO_OK) {
        for (size_t k = 0; k < n_schemes; k++)
            report_run_free(&runs[k]);
        return cli_fail(cmd, json, tekho_strerror(err));
    }
    /* The results first: whatever happens to the report and the captures, they are out. */
    if (json) {
        printf("{");
        sim_params_json(stdout, &p, duration, R, ideal);
        printf(", \"schemes\": {");
        for (size_t k = 0; k < n_schemes; k++) {
            printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(runs[k].scheme));
            sim_result_json(stdout, NULL, p.seed, &runs[k], &p, duration);
        }
        printf("}, \"speed\": {\"handovers\": %lu, \"runs\": %zu, \"handovers_per_elapsed_s\": %.0f, "
               "\"handovers_per_thread_s\": %.0f, \"events_per_thread_s\": %.0f, \"peak_rss_mb\": %.1f, "
               "\"thread_s\": %.2f, \"elapsed_s\": %.2f, \"jobs\": %u}}\n",
               handovers, runs_done, elapsed > 0 ? handovers / elapsed : 0, total_wall > 0 ? handovers / total_wall : 0,
               total_wall > 0 ? events / total_wall : 0, peak_rss_mb(), total_wall, elapsed, jobs);
    } else {
        const double ms_s = (double)p.n_ms * duration * (double)R;
        printf("%u cells, %u MSs at %.0f km/h, %u s simulated, %zu replication%s (seeds %llu..%llu), %s\n", p.n_bs,
               p.n_ms, p.radio.speed_kmh, duration, R, R == 1 ? "" : "s", (unsigned long long)p.seed,
               (unsigned long long)(p.seed + R - 1), ideal ? "ideal (no variability)" : "with variability");
        sim_table_legend(stdout);
        sim_table_heading(stdout);
        for (size_t k = 0; k < n_schemes; k++)
            sim_table_row(stdout, &runs[k]);
        const struct tekho_sim_stats *s0 = &runs[0].st;
        printf("\nmobility (%s): %.4f handovers per MS-second, %.4f cell-boundary crossings (the nearest BS changed),\n"
               "%.4f expected by the fluid-flow model; ping-pong %lu (%.1f %% of handovers, back within %.0f ms)\n",
               tekho_scheme_name(runs[0].scheme), (double)s0->completed / ms_s, (double)s0->crossings / ms_s,
               report_fluid_flow_rate(&p), s0->pingpong, 100 * report_share(s0->pingpong, s0->completed),
               p.radio.pingpong_ms);
        printf("handovers: %.1f %% went back to the BS left (%.1f %% within 5 s), %.1f %% left the nearest BS; MSs were\n"
               "served by a BS other than the nearest %.1f %% of the time\n",
               100 * report_share(s0->returns, s0->completed), 100 * report_share(s0->returns_5s, s0->completed),
               100 * report_share(s0->left_nearest, s0->attempted),
               100 * report_share(s0->off_nearest, s0->served_measurements));
        printf("emulator: %lu handovers in %zu runs, %.0f per second elapsed and %.0f per second of thread time;\n"
               "%.0f events per second of thread time; %.1f s elapsed on %u job%s, peak RSS %.0f MB\n",
               handovers, runs_done, elapsed > 0 ? handovers / elapsed : 0, total_wall > 0 ? handovers / total_wall : 0,
               total_wall > 0 ? events / total_wall : 0, elapsed, jobs, jobs == 1 ? "" : "s", peak_rss_mb());
    }
    fflush(stdout);
    int status = CLI_EXIT_OK;
    for (size_t k = 0; pcap != NULL && k < n_schemes; k++)
        if (capture_scheme(pcap, list[k]) != CLI_EXIT_OK)
            status = CLI_EXIT_FAILED;
    if (pcap != NULL && !json && status == CLI_EXIT_OK)
        printf("captures: %s/SCHEME/air.pcap and backbone.pcap (tekho decode %s/SCHEME/air.pcap $(cat "
               "%s/SCHEME/decode-args))\n",
               pcap, pcap, pcap);
    /* The report's backbone plots: every scheme at each latency, on a
     * smaller run (at most 100 MSs, 60 s), as many replications. */
    static const unsigned latencies[] = {1000, 5000, 10000, 20000, 40000};
    enum { N_LATENCIES = sizeof latencies / sizeof latencies[0] };
    struct report_backbone backbone[N_LATENCIES];
    memset(backbone, 0, sizeof backbone);
    for (size_t b = 0; report && err == TEKHO_OK && b < N_LATENCIES; b++) {
        struct tekho_sim_params q = p;
        q.backbone_latency_us = latencies[b];
        q.n_ms = p.n_ms < 100 ? p.n_ms : 100;
        backbone[b].latency_us = latencies[b];
        struct report_run sweep[TEKHO_SCHEME_COUNT];
        err = emulate_schemes(&q, list, n_schemes, duration < 60 ? duration : 60, R, jobs, false, false, sweep);
        for (size_t k = 0; k < n_schemes; k++) {
            if (err == TEKHO_OK) {
                backbone[b].dl_p50[list[k]] = sweep[k].ci[TEKHO_SIM_DL].p50;
                backbone[b].union_p50[list[k]] = sweep[k].ci[TEKHO_SIM_UNION].p50;
                backbone[b].union_p99[list[k]] = sweep[k].ci[TEKHO_SIM_UNION].p99;
            }
            report_run_free(&sweep[k]);
        }
    }
    /* The report's mobility reference: the first scheme on the same seeds
     * and moves with shadowing off, what geometry alone hands over. */
    struct report_run plain;
    memset(&plain, 0, sizeof plain);
    if (report != NULL && err == TEKHO_OK) {
        struct tekho_sim_params q = p;
        q.radio.shadow_sigma_db = 0;
        err = emulate_schemes(&q, list, 1, duration, R, jobs, false, false, &plain);
    }
    if (report != NULL && err != TEKHO_OK) {
        fprintf(stderr, "tekho sim: --report: the backbone or mobility runs failed: %s\n", tekho_strerror(err));
        status = CLI_EXIT_FAILED;
    } else if (report != NULL) {
        const struct report r = {.dir = report, .params = &p, .duration_s = duration, .replications = R,
                                 .runs = runs, .n_runs = n_schemes, .backbone = backbone, .n_backbone = N_LATENCIES,
                                 .pcap_dir = pcap, .command = "sim", .no_shadowing = &plain.st};
        char why[4200];
        if (report_write(&r, why, sizeof why) != 0) {
            fprintf(stderr, "tekho sim: --report: %s\n", why);
            status = CLI_EXIT_FAILED;
        } else if (!json) {
            printf("report: %s/report.md and %s/index.html\n", report, report);
        }
    }
    report_run_free(&plain);
    for (size_t k = 0; k < n_schemes; k++)
        report_run_free(&runs[k]);
    return status;
}

/* A built-in scenario under one scheme, then again under ITU-R M.2134's assumptions. */
static int scenario(const struct cli_args *a, const struct cli_cmd *cmd)
{
    if (!a->v[SIM_SCHEME].present)
        return cli_usage_error(cmd, "missing --scheme (with --scenario)");
    const char *scenario = TEKHO_SCENARIOS[a->v[SIM_SCENARIO].num];
    const enum tekho_scheme scheme = (enum tekho_scheme)a->v[SIM_SCHEME].num;
    const uint64_t seed = a->v[SIM_SEED].present ? a->v[SIM_SEED].num : 1;
    const bool json = a->json;
    const char *trace_path = str_opt(a, SIM_TRACE), *pcap_dir = str_opt(a, SIM_PCAP);
    /* The roles' timing, with the options given (cli_check_mode let only timing ones through). */
    struct tekho_sim_params tp;
    tekho_sim_params_default(&tp);
    for (size_t k = SIM_N_OPTS; k < cmd->n_opts; k++)
        if (a->v[k].present)
            MODEL_PARAMS[k - SIM_N_OPTS].apply(&tp, a->v[k].real);
    FILE *trace = trace_path != NULL && strcmp(trace_path, "-") == 0 ? stderr : NULL;
    int rc = trace_path != NULL && trace == NULL ? cli_output_file(cmd, "trace", trace_path, &trace) : -1;
    if (rc < 0 && pcap_dir != NULL)
        rc = cli_output_dir(cmd, "pcap", pcap_dir);
    if (rc >= 0) {
        if (trace && trace != stderr)
            fclose(trace);
        return rc;
    }
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    tekho_err err = tekho_sim_scenario_timing(scenario, scheme, seed, &tp.timing, &sim, &until);
    if (err == TEKHO_OK && trace != NULL)
        tekho_sim_trace(sim, trace);
    if (err == TEKHO_OK && pcap_dir != NULL && tekho_sim_pcap(sim, pcap_dir) != TEKHO_OK) {
        tekho_sim_free(sim);
        if (trace && trace != stderr)
            fclose(trace);
        fprintf(stderr, "tekho sim: --pcap: cannot write captures in '%s'\n", pcap_dir);
        return CLI_EXIT_FAILED;
    }
    if (err == TEKHO_OK)
        err = tekho_sim_run(sim, until);
    /* The keys for `tekho decode DIR/air.pcap $(cat DIR/decode-args)`. */
    const int args_rc = err == TEKHO_OK && pcap_dir != NULL ? decode_args_write(sim, pcap_dir) : CLI_EXIT_OK;
    struct report_run r;
    memset(&r, 0, sizeof r);
    r.scheme = scheme;
    if (sim != NULL)
        tekho_sim_stats(sim, &r.st);
    tekho_sim_free(sim); /* closes the captures */
    if (trace && trace != stderr && fclose(trace) != 0 && err == TEKHO_OK) {
        fprintf(stderr, "tekho sim: --trace: cannot write '%s': %s\n", trace_path, strerror(errno));
        err = TEKHO_ERR_IO;
    }
    /* The same scenario under ITU-R M.2134's assumptions. */
    struct tekho_sim_params m2134 = tp;
    tekho_sim_params_m2134(&m2134);
    if (err == TEKHO_OK)
        err = tekho_sim_scenario_timing(scenario, scheme, seed, &m2134.timing, &sim, &until);
    if (err == TEKHO_OK) {
        err = tekho_sim_run(sim, until);
        struct tekho_sim_stats st;
        tekho_sim_stats(sim, &st);
        memcpy(r.m2134, st.interruption, sizeof r.m2134);
        r.n_m2134_samples = tekho_sim_interruptions(sim, TEKHO_SIM_UNION, NULL, 0);
        r.m2134_samples = malloc((r.n_m2134_samples ? r.n_m2134_samples : 1) * sizeof *r.m2134_samples);
        if (r.m2134_samples == NULL)
            err = TEKHO_ERR_NO_MEMORY;
        else
            tekho_sim_interruptions(sim, TEKHO_SIM_UNION, r.m2134_samples, r.n_m2134_samples);
        if (r.m2134_samples != NULL)
            qsort(r.m2134_samples, r.n_m2134_samples, sizeof *r.m2134_samples, cmp_double);
        tekho_sim_free(sim);
    }
    if (err != TEKHO_OK) {
        report_run_free(&r);
        return cli_fail(cmd, json, tekho_strerror(err));
    }
    if (json) {
        sim_result_json(stdout, scenario, seed, &r, NULL, 0);
        printf("\n");
    } else {
        print_text(scenario, seed, &r);
    }
    report_run_free(&r);
    return args_rc;
}

int cmd_sim(int argc, char **argv)
{
    struct sim_table t;
    sim_table(&t);
    struct cli_args a;
    int rc = cli_parse(&t.cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const bool scen = a.v[SIM_SCENARIO].present, emu = a.v[SIM_TOPOLOGY].present;
    if (scen && emu)
        rc = cli_usage_error(&t.cmd, "give --scenario NAME (one scenario) or --topology hex:N (the emulator), not both");
    else if (!scen && !emu)
        rc = cli_usage_error(&t.cmd, "give --scenario NAME --scheme SCHEME, or --topology hex:N");
    else
        rc = cli_check_mode(&t.cmd, &a, scen ? MODE_SCENARIO : MODE_EMULATOR);
    if (rc < 0)
        rc = scen ? scenario(&a, &t.cmd) : emulate(&a, &t.cmd);
    cli_args_free(&a);
    return rc;
}
