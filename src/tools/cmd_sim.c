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
#include "tekho/sim.h"

static const struct cli_opt SIM_OPTS[] = {
    {.name = "scenario", .kind = CLI_CHOICE,
     .choices = "normal|ms-ahead|replay|cancel-retry|ping-pong|no-capability|tek-refresh|lossy-air|auth-restart",
     .help = "a built-in scenario (with --scheme)"},
    /* In enum tekho_scheme's order: the choice's index is the scheme. */
    {.name = "scheme", .kind = CLI_CHOICE, .choices = "none|counter|baseline-update|baseline-full|reuse|none-late|baseline-early|baseline-challenge",
     .help = "how TEKs reach the target (scenario mode)"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX, .help = "the random seed (default 1)"},
    {.name = "ms", .kind = CLI_NUM, .min = 1, .max = TEKHO_SIM_MAX_MS, .help = "emulator: MSs (default 300)"},
    {.name = "duration", .kind = CLI_NUM, .min = 1, .max = 86400, .help = "emulator: simulated seconds (default 180)"},
    {.name = "speed", .kind = CLI_NUM, .min = 0, .max = 500, .help = "emulator: MS speed, km/h (default 50)"},
    {.name = "backbone-us", .kind = CLI_NUM, .min = 0, .max = 1000000,
     .help = "emulator: one-way backbone latency, us (default 2000)"},
    {.name = "frame-us", .kind = CLI_NUM, .min = 1000, .max = 20000, .help = "emulator: TDD frame, us (default 5000)"},
    {.name = "air-loss", .kind = CLI_NUM, .min = 0, .max = 1000, .help = "emulator: air PDU loss, per mille"},
    {.name = "window", .kind = CLI_NUM, .min = 0, .max = 16, .help = "self-sync window W (default 2)"},
    {.name = "crypto-all", .kind = CLI_FLAG, .help = "emulator: seal and open every PDU, not only around handovers"},
    {.name = "isd", .kind = CLI_NUM, .min = 100, .max = 20000,
     .help = "emulator: inter-site distance, m (default 1000; ITU-R M.2135 urban macro: 500)"},
};
enum { SIM_SCENARIO, SIM_SCHEME, SIM_SEED, SIM_MS, SIM_DURATION, SIM_SPEED, SIM_BACKBONE, SIM_FRAME, SIM_LOSS,
       SIM_WINDOW, SIM_CRYPTO_ALL, SIM_ISD };

static const struct cli_cmd SIM_CMD = {
    "sim",
    "--scenario NAME --scheme SCHEME [--seed N] [--json] [--trace FILE] [--pcap DIR]\n"
    "       tekho sim --topology hex:N [--ms M] [--duration S] [--schemes A,B,...] [--report DIR] [--seed N]\n"
    "                 [--speed KMH] [--isd M] [--backbone-us N] [--frame-us N] [--air-loss PERMILLE] [--window W]\n"
    "                 [--crypto-all] [--json]",
    "Scenario mode runs a deterministic handover scenario (virtual clock, modelled air and backbone,\n"
    "an attacker on the air). With --topology it is the emulator: MSs move over a hexagonal grid, hand\n"
    "over on a hysteresis and time to trigger, and every scheme runs on the same mobility and traffic.\n"
    "Both print handovers, the user-plane interruption of each (UL, DL and both, from the MS leaving\n"
    "its serving BS), the same under ITU-R M.2134's assumptions against its 27.5 ms, security counters\n"
    "and signalling.",
    SIM_OPTS, sizeof SIM_OPTS / sizeof SIM_OPTS[0]};


static void print_result_json(FILE *f, const char *scenario, uint64_t seed, const struct report_run *r)
{
    const struct tekho_sim_stats *s = &r->st;
    fprintf(f, "{");
    if (scenario)
        fprintf(f, "\"scenario\": \"%s\", ", scenario);
    fprintf(f, "\"scheme\": \"%s\", \"seed\": %llu, ", tekho_scheme_name(r->scheme), (unsigned long long)seed);
    fprintf(f,
            "\"handovers\": {\"attempted\": %lu, \"completed\": %lu, \"cancelled\": %lu, \"failed\": %lu, "
            "\"executed\": %lu}, ",
            s->attempted, s->completed, s->cancelled, s->failed, s->executed);
    fprintf(f, "\"interruption_ms\": {");
    report_interruption_json(f, s->interruption);
    /* The same, under ITU-R M.2134's assumptions: the only figure held
     * against its limit (verdict_p99: the union's, censored handovers
     * counted as longer than any; null when they reach it). */
    fprintf(f, "}, \"m2134_ms\": {");
    report_interruption_json(f, r->m2134);
    const double p99 = report_m2134_p99(r);
    if (isfinite(p99))
        fprintf(f, ", \"verdict_p99\": %.3f", p99);
    else
        fprintf(f, ", \"verdict_p99\": null");
    fprintf(f, ", \"limit\": %.1f, \"verdict\": \"%s\"}, ", M2134_LIMIT_MS, report_m2134_verdict(r));
    fprintf(f,
            "\"security\": {\"replayed_pdus_accepted\": %lu, \"forged_pdus_accepted\": %lu, \"pn_reuse\": %lu, "
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

static void print_text(const char *scenario, uint64_t seed, const struct report_run *r)
{
    const struct tekho_sim_stats *s = &r->st;
    printf("scenario %s, scheme %s, seed %llu\n", scenario, tekho_scheme_name(r->scheme), (unsigned long long)seed);
    printf("  handovers      attempted %lu, completed %lu, cancelled %lu, failed %lu\n", s->attempted, s->completed,
           s->cancelled, s->failed);
    printf("  interruption   from leaving the serving BS, %lu handovers executed:\n", s->executed);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const struct tekho_sim_interruption *x = &s->interruption[d];
        printf("    %-5s        %zu resumed: min %.1f ms, p50 %.1f, p99 %.1f, max %.1f, mean %.1f; %lu censored\n",
               tekho_sim_direction_name((enum tekho_sim_direction)d), x->n, x->min_ms, x->p50_ms, x->p99_ms,
               x->max_ms, x->mean_ms, x->censored);
    }
    const struct tekho_sim_interruption *m = r->m2134;
    printf("  M.2134         the same with DL sync, ranging wait and AAA at 0: UL p99 %.1f ms, DL p99 %.1f, union p99 "
           "%.1f (%lu censored): %s %.1f ms\n",
           m[TEKHO_SIM_UL].p99_ms, m[TEKHO_SIM_DL].p99_ms, m[TEKHO_SIM_UNION].p99_ms, m[TEKHO_SIM_UNION].censored,
           report_m2134_verdict(r), M2134_LIMIT_MS);
    printf("  security       replayed accepted %lu, forged accepted %lu, PN reuse %lu, TEK mismatch %lu\n",
           s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_mismatch_after_ho);
    printf("                 TEK bytes over air %lu, over the backbone %lu, self-sync %lu, RNG-REQ resync %lu, "
           "released %lu, discarded %lu\n",
           s->tek_bytes_over_air, s->tek_bytes_over_backbone, s->self_sync_success, s->resync_by_rng_req,
           s->connections_released, s->pdus_discarded);
    printf("  signalling     air %lu messages / %lu bytes, backbone %lu messages / %lu bytes\n", s->air_messages,
           s->air_bytes, s->backbone_messages, s->backbone_bytes);
    printf("                 of which handovers: air %lu / %lu bytes, backbone %lu / %lu bytes\n", s->ho_air_messages,
           s->ho_air_bytes, s->ho_backbone_messages, s->ho_backbone_bytes);
    printf("  traffic        %lu user PDUs offered, %lu delivered\n", s->user_pdus_offered, s->user_pdus_delivered);
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


static int parse_schemes(const char *list, enum tekho_scheme *out, size_t *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == TEKHO_SCHEME_COUNT || tekho_scheme_parse(tok, &out[*n]) != TEKHO_OK)
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

/* One run; its union samples sorted into *samples (the caller frees). */
static tekho_err run_sim(const struct tekho_sim_params *p, unsigned duration, bool progress, const char *label,
                         struct tekho_sim_stats *st, double **samples, size_t *n_samples, double *wall)
{
    struct tekho_sim *sim = NULL;
    tekho_err err = tekho_sim_new(p, &sim);
    if (err != TEKHO_OK)
        return err;
    const double t0 = wall_s();
    /* In slices, so a terminal gets a progress bar: at most 100 (the end of
     * each checks every MS's keys against its BS's, 10^4 MSs in a city). */
    const unsigned slice = progress && duration > 100 ? (duration + 99) / 100 : progress ? 1 : duration;
    unsigned sec = 0;
    while (err == TEKHO_OK && sec < duration) {
        sec = duration - sec > slice ? sec + slice : duration;
        err = tekho_sim_run(sim, (uint64_t)sec * 1000000u);
        if (progress) {
            const unsigned width = 30, done = (unsigned)((double)width * sec / duration);
            fprintf(stderr, "\r%-24s [%.*s%*s] %3u%%", label, done, "##############################",
                    (int)(width - done), "", 100 * sec / duration);
        }
    }
    if (progress)
        fprintf(stderr, "\n");
    *wall += wall_s() - t0;
    tekho_sim_stats(sim, st);
    *n_samples = tekho_sim_interruptions(sim, TEKHO_SIM_UNION, NULL, 0);
    *samples = malloc((*n_samples ? *n_samples : 1) * sizeof **samples);
    if (*samples == NULL) {
        tekho_sim_free(sim);
        return TEKHO_ERR_NO_MEMORY;
    }
    tekho_sim_interruptions(sim, TEKHO_SIM_UNION, *samples, *n_samples);
    qsort(*samples, *n_samples, sizeof **samples, cmp_double);
    tekho_sim_free(sim);
    return err;
}

tekho_err run_one(const struct tekho_sim_params *p, unsigned duration, bool progress, struct report_run *out)
{
    memset(out, 0, sizeof *out);
    out->scheme = p->scheme;
    return run_sim(p, duration, progress, tekho_scheme_name(p->scheme), &out->st, &out->samples, &out->n_samples,
                   &out->wall_s);
}

tekho_err run_scheme(const struct tekho_sim_params *p, unsigned duration, bool progress, struct report_run *out)
{
    tekho_err err = run_one(p, duration, progress, out);
    if (err != TEKHO_OK)
        return err;
    struct tekho_sim_params q = *p;
    tekho_sim_params_m2134(&q);
    char label[64];
    snprintf(label, sizeof label, "%s (M.2134)", tekho_scheme_name(p->scheme));
    struct tekho_sim_stats st;
    err = run_sim(&q, duration, progress, label, &st, &out->m2134_samples, &out->n_m2134_samples, &out->wall_s);
    memcpy(out->m2134, st.interruption, sizeof out->m2134);
    out->m2134_completed = st.completed;
    out->m2134_events = st.events;
    return err;
}

void report_run_free(struct report_run *r)
{
    free(r->samples);
    free(r->m2134_samples);
    r->samples = r->m2134_samples = NULL;
}

int emulator_params(const struct cli_cmd *cmd, const char *topology, const char *schemes, unsigned n_ms,
                    uint64_t seed, struct tekho_sim_params *p, enum tekho_scheme *list, size_t *n_schemes)
{
    unsigned cells = 0;
    if (sscanf(topology, "hex:%u", &cells) != 1 || cells < 2 || cells > TEKHO_SIM_MAX_BS)
        return cli_usage_error(cmd, "--topology: hex:N with N from 2 to %u, got '%s'", TEKHO_SIM_MAX_BS, topology);
    if (parse_schemes(schemes ? schemes
                              : "none,none-late,counter,baseline-early,baseline-update,baseline-challenge,"
                                "baseline-full,reuse",
                      list, n_schemes) != 0)
        return cli_usage_error(cmd, "--schemes: a comma-separated list of none, none-late, counter, "
                                    "baseline-early, baseline-update, baseline-challenge, baseline-full, reuse");
    tekho_sim_params_default(p);
    p->n_bs = cells;
    p->n_ms = n_ms;
    p->seed = seed;
    p->radio.enabled = true;
    return -1;
}

static int emulate(const char *topology, const char *schemes, const char *report, bool pcap, struct cli_args *a)
{
    enum tekho_scheme list[TEKHO_SCHEME_COUNT];
    size_t n_schemes = 0;
    struct tekho_sim_params p;
    const int rc = emulator_params(&SIM_CMD, topology, schemes, a->v[SIM_MS].present ? (unsigned)a->v[SIM_MS].num : 300,
                                   a->v[SIM_SEED].present ? a->v[SIM_SEED].num : 1, &p, list, &n_schemes);
    if (rc >= 0)
        return rc;
    if (a->v[SIM_SPEED].present)
        p.radio.speed_kmh = (double)a->v[SIM_SPEED].num;
    if (a->v[SIM_ISD].present)
        p.radio.isd_m = (double)a->v[SIM_ISD].num;
    if (a->v[SIM_BACKBONE].present)
        p.backbone_latency_us = a->v[SIM_BACKBONE].num;
    if (a->v[SIM_FRAME].present)
        p.frame_us = a->v[SIM_FRAME].num;
    if (a->v[SIM_LOSS].present)
        p.air_loss = (double)a->v[SIM_LOSS].num / 1000.0;
    if (a->v[SIM_WINDOW].present)
        p.self_sync_window = (unsigned)a->v[SIM_WINDOW].num;
    p.radio.crypto_all = a->v[SIM_CRYPTO_ALL].present;
    const unsigned duration = a->v[SIM_DURATION].present ? (unsigned)a->v[SIM_DURATION].num : 180;
    const bool json = a->json;
    const bool progress = !json && isatty(STDERR_FILENO);

    struct report_run runs[TEKHO_SCHEME_COUNT];
    memset(runs, 0, sizeof runs);
    unsigned long events = 0, handovers = 0;
    double total_wall = 0;
    tekho_err err = TEKHO_OK;
    for (size_t k = 0; k < n_schemes && err == TEKHO_OK; k++) {
        p.scheme = list[k];
        err = run_scheme(&p, duration, progress, &runs[k]);
        events += runs[k].st.events + runs[k].m2134_events; /* both runs: the wall time is theirs */
        handovers += runs[k].st.completed + runs[k].m2134_completed;
        total_wall += runs[k].wall_s;
    }
    /* The report's second plot: p99 against the backbone latency, on a
     * smaller run (at most 100 MSs, 60 s) per latency and scheme. */
    static const unsigned latencies[] = {1000, 5000, 10000, 20000};
    struct report_backbone backbone[sizeof latencies / sizeof latencies[0]];
    memset(backbone, 0, sizeof backbone);
    for (size_t b = 0; report && err == TEKHO_OK && b < sizeof latencies / sizeof latencies[0]; b++) {
        struct tekho_sim_params q = p;
        q.backbone_latency_us = latencies[b];
        q.n_ms = p.n_ms < 100 ? p.n_ms : 100;
        backbone[b].latency_us = latencies[b];
        for (size_t k = 0; k < n_schemes && err == TEKHO_OK; k++) {
            struct report_run one;
            q.scheme = list[k];
            err = run_one(&q, duration < 60 ? duration : 60, false, &one);
            backbone[b].p99_ms[list[k]] = one.st.interruption[TEKHO_SIM_UNION].p99_ms;
            backbone[b].mean_ms[list[k]] = one.st.interruption[TEKHO_SIM_UNION].mean_ms;
            report_run_free(&one);
        }
    }
    if (err == TEKHO_OK && report) {
        const struct report r = {.dir = report, .params = &p, .duration_s = duration, .runs = runs,
                                 .n_runs = n_schemes, .backbone = backbone,
                                 .n_backbone = sizeof latencies / sizeof latencies[0], .pcap = pcap};
        if (report_write(&r) != 0) {
            for (size_t k = 0; k < n_schemes; k++)
                report_run_free(&runs[k]);
            return cli_fail(&SIM_CMD, json, "cannot write the report directory");
        }
    }
    if (err != TEKHO_OK) {
        for (size_t k = 0; k < n_schemes; k++)
            report_run_free(&runs[k]);
        return cli_fail(&SIM_CMD, json, tekho_strerror(err));
    }
    if (json) {
        printf("{\"params\": {\"topology\": \"hex:%u\", \"ms\": %u, \"duration_s\": %u, \"seed\": %llu, "
               "\"speed_kmh\": %.1f, \"frame_us\": %llu, \"backbone_us\": %llu, \"air_loss\": %.4f, \"window\": %u, "
               "\"packet_interval_ms_around_handovers\": %.1f, \"sync_us\": %llu, \"ranging_wait_us\": %llu, "
               "\"aaa_rtt_us\": %llu, \"aaa_round_trips\": %u, "
               "\"m2134_zeroed\": [\"sync_us\", \"ranging_wait_us\", \"aaa_rtt_us\"]}, \"schemes\": {",
               p.n_bs, p.n_ms, duration, (unsigned long long)p.seed, p.radio.speed_kmh,
               (unsigned long long)p.frame_us, (unsigned long long)p.backbone_latency_us, p.air_loss,
               p.self_sync_window, p.frame_us / 1000.0, (unsigned long long)p.timing.sync_us,
               (unsigned long long)p.timing.ranging_wait_us, (unsigned long long)p.timing.aaa_rtt_us,
               p.timing.aaa_round_trips);
        for (size_t k = 0; k < n_schemes; k++) {
            printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(runs[k].scheme));
            print_result_json(stdout, NULL, p.seed, &runs[k]);
        }
        printf("}, \"speed\": {\"handovers_per_wall_s\": %.0f, \"events_per_wall_s\": %.0f, \"peak_rss_mb\": %.1f, "
               "\"wall_s\": %.2f}}\n",
               total_wall > 0 ? handovers / total_wall : 0, total_wall > 0 ? events / total_wall : 0, peak_rss_mb(),
               total_wall);
        for (size_t k = 0; k < n_schemes; k++)
            report_run_free(&runs[k]);
        return CLI_EXIT_OK;
    }
    printf("%u cells, %u MSs at %.0f km/h, %u s simulated, seed %llu\n", p.n_bs, p.n_ms, p.radio.speed_kmh,
           duration, (unsigned long long)p.seed);
    printf("interruption (ms): from the MS leaving its serving BS to the first user PDU through the target, UL,\n"
           "DL and both (union); p50/p99/max over the handovers that resumed, the others censored. M.2134: the\n"
           "union p99 of a second run with DL sync, ranging wait and AAA at 0 (ITU-R M.2134's assumptions), held\n"
           "against %.1f ms\n\n",
           M2134_LIMIT_MS);
    printf("%-18s %9s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %6s %8s %8s %7s %7s %9s %8s %7s\n", "scheme",
           "handovers", "censored", "UL p50", "UL p99", "DL p50", "DL p99", "un p50", "un p99", "un max", "M.2134",
           "verdict", "msg/HO", "air B/HO", "bb B/HO", "TEK air", "TEK bb", "PDUs lost", "insecure", "wall s");
    for (size_t k = 0; k < n_schemes; k++) {
        const struct tekho_sim_stats *s = &runs[k].st;
        const struct tekho_sim_interruption *ul = &s->interruption[TEKHO_SIM_UL], *dl = &s->interruption[TEKHO_SIM_DL],
                                            *un = &s->interruption[TEKHO_SIM_UNION];
        const double ho = s->completed ? (double)s->completed : 1;
        const unsigned long insecure =
            s->replayed_pdus_accepted + s->forged_pdus_accepted + s->pn_reuse + s->tek_mismatch_after_ho;
        printf("%-18s %9lu %8lu %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f %7s %6.1f %8.0f %8.0f %7.1f %7.1f %9lu "
               "%8lu %7.2f\n",
               tekho_scheme_name(runs[k].scheme), s->executed, un->censored, ul->p50_ms, ul->p99_ms, dl->p50_ms,
               dl->p99_ms, un->p50_ms, un->p99_ms, un->max_ms, report_m2134_p99(&runs[k]),
               report_m2134_verdict(&runs[k]), (double)(s->ho_air_messages + s->ho_backbone_messages) / ho,
               (double)s->ho_air_bytes / ho, (double)s->ho_backbone_bytes / ho, (double)s->tek_bytes_over_air / ho,
               (double)s->tek_bytes_over_backbone / ho, s->ho_window_lost, insecure, runs[k].wall_s);
    }
    for (size_t k = 0; k < n_schemes; k++)
        report_run_free(&runs[k]);
    printf("\nemulator: %.0f handovers/s, %.0f events/s of wall time, peak RSS %.0f MB\n",
           total_wall > 0 ? handovers / total_wall : 0, total_wall > 0 ? events / total_wall : 0, peak_rss_mb());
    if (report)
        printf("report: %s/report.md and %s/index.html\n", report, report);
    return CLI_EXIT_OK;
}

int cmd_sim(int argc, char **argv)
{
    /* Paths and lists are not numbers or hex: take them out before parsing. */
    const char *trace_path = NULL, *pcap_dir = NULL, *topology = NULL, *schemes = NULL, *report = NULL;
    static const char *const names[] = {"--trace", "--pcap", "--topology", "--schemes", "--report"};
    const char **slots[] = {&trace_path, &pcap_dir, &topology, &schemes, &report};
    char *rest[64];
    int n_rest = 0;
    bool pcap_flag = false;
    for (int i = 0; i < argc; i++) {
        int k = 0;
        while (k < 5 && strcmp(argv[i], names[k]) != 0)
            k++;
        if (k == 1 && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
            pcap_flag = true; /* emulator mode: --pcap alone puts captures in the report */
        } else if (k < 5 && i + 1 < argc) {
            *slots[k] = argv[++i];
        } else if (k < 5) {
            return cli_usage_error(&SIM_CMD, "%s needs a value", names[k]);
        } else if (n_rest < 64) {
            rest[n_rest++] = argv[i];
        }
    }
    struct cli_args a;
    int rc = cli_parse(&SIM_CMD, n_rest, rest, &a);
    if (rc >= 0)
        return rc;
    if (topology != NULL) {
        if (pcap_dir != NULL) {
            cli_args_free(&a);
            return cli_usage_error(&SIM_CMD, "with --topology, --pcap takes no directory (captures go in --report)");
        }
        if (pcap_flag && report == NULL) {
            cli_args_free(&a);
            return cli_usage_error(&SIM_CMD, "--pcap needs --report DIR");
        }
        rc = emulate(topology, schemes, report, pcap_flag, &a);
        cli_args_free(&a);
        return rc;
    }
    if (!a.v[SIM_SCENARIO].present || !a.v[SIM_SCHEME].present || pcap_flag) {
        cli_args_free(&a);
        return cli_usage_error(&SIM_CMD, "give --scenario and --scheme, or --topology");
    }
    const char *scenario = TEKHO_SCENARIOS[a.v[SIM_SCENARIO].num];
    enum tekho_scheme scheme = (enum tekho_scheme)a.v[SIM_SCHEME].num;
    const uint64_t seed = a.v[SIM_SEED].present ? a.v[SIM_SEED].num : 1;
    const bool json = a.json;
    cli_args_free(&a);

    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    tekho_err err = tekho_sim_scenario(scenario, scheme, seed, &sim, &until);
    if (err != TEKHO_OK)
        return cli_fail(&SIM_CMD, json, tekho_strerror(err));
    FILE *trace = NULL;
    if (trace_path != NULL) {
        trace = fopen(trace_path, "w");
        if (trace == NULL) {
            tekho_sim_free(sim);
            return cli_usage_error(&SIM_CMD, "--trace: cannot write '%s': %s", trace_path, strerror(errno));
        }
        tekho_sim_trace(sim, trace);
    }
    if (pcap_dir != NULL) {
        mkdir(pcap_dir, 0755);
        if (tekho_sim_pcap(sim, pcap_dir) != TEKHO_OK) {
            tekho_sim_free(sim);
            if (trace)
                fclose(trace);
            return cli_usage_error(&SIM_CMD, "--pcap: cannot write captures in '%s'", pcap_dir);
        }
    }
    err = tekho_sim_run(sim, until);
    /* The keys for `tekho decode DIR/air.pcap $(cat DIR/decode-args)`. */
    const int args_rc = err == TEKHO_OK && pcap_dir != NULL ? decode_args_write(sim, pcap_dir) : CLI_EXIT_OK;
    struct report_run r;
    memset(&r, 0, sizeof r);
    r.scheme = scheme;
    tekho_sim_stats(sim, &r.st);
    tekho_sim_free(sim); /* closes the captures */
    if (trace)
        fclose(trace);
    /* The same scenario under ITU-R M.2134's assumptions. */
    struct tekho_sim_params m2134;
    tekho_sim_params_default(&m2134);
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
        return cli_fail(&SIM_CMD, json, tekho_strerror(err));
    }
    if (json) {
        print_result_json(stdout, scenario, seed, &r);
        printf("\n");
    } else {
        print_text(scenario, seed, &r);
    }
    report_run_free(&r);
    return args_rc;
}
