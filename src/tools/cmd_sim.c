/* tekho sim: a built-in scenario under one scheme, with its measurements. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tekho/sim.h"

static const struct cli_opt SIM_OPTS[] = {
    {.name = "scenario", .kind = CLI_CHOICE, .required = true,
     .choices = "normal|ms-ahead|replay|cancel-retry|ping-pong|no-capability|tek-refresh|lossy-air|auth-restart",
     .help = "the built-in scenario"},
    {.name = "scheme", .kind = CLI_CHOICE, .required = true,
     .choices = "none|counter|baseline-update|baseline-full|reuse", .help = "how TEKs reach the target"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX, .help = "the random seed (default 1)"},
    {.name = "trace", .kind = CLI_HEX, .help = "(path) every event and message in time order"},
    {.name = "pcap", .kind = CLI_HEX, .help = "(directory) air.pcap and backbone.pcap"},
};
enum { SIM_SCENARIO, SIM_SCHEME, SIM_SEED, SIM_TRACE, SIM_PCAP };

static const struct cli_cmd SIM_CMD = {
    "sim", "--scenario NAME --scheme SCHEME [--seed N] [--json] [--trace FILE] [--pcap DIR]",
    "Runs a deterministic handover scenario (virtual clock, modelled air and backbone, an attacker on\n"
    "the air) and prints handovers, interruption (ITU-R M.2134), security counters and signalling.",
    SIM_OPTS, sizeof SIM_OPTS / sizeof SIM_OPTS[0]};

static void print_json(const char *scenario, const char *scheme, uint64_t seed, const struct tekho_sim_stats *s)
{
    printf("{\"scenario\": \"%s\", \"scheme\": \"%s\", \"seed\": %llu, ", scenario, scheme, (unsigned long long)seed);
    printf("\"handovers\": {\"attempted\": %lu, \"completed\": %lu, \"cancelled\": %lu, \"failed\": %lu}, ",
           s->attempted, s->completed, s->cancelled, s->failed);
    printf("\"interruption_ms\": {\"count\": %zu, \"mean\": %.3f, \"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, "
           "\"ul_max\": %.3f, \"dl_max\": %.3f}, ",
           s->n_interruptions, s->interruption_mean_ms, s->interruption_p50_ms, s->interruption_p99_ms,
           s->interruption_max_ms, s->interruption_ul_max_ms, s->interruption_dl_max_ms);
    printf("\"security\": {\"replayed_pdus_accepted\": %lu, \"forged_pdus_accepted\": %lu, \"pn_reuse\": %lu, "
           "\"tek_bytes_over_air\": %lu, \"self_sync_success\": %lu, \"resync_by_rng_req\": %lu, "
           "\"connections_released\": %lu, \"pdus_discarded\": %lu, \"tek_mismatch_after_ho\": %lu}, ",
           s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_bytes_over_air,
           s->self_sync_success, s->resync_by_rng_req, s->connections_released, s->pdus_discarded,
           s->tek_mismatch_after_ho);
    printf("\"signalling\": {\"air_messages\": %lu, \"air_bytes\": %lu, \"backbone_messages\": %lu, "
           "\"backbone_bytes\": %lu}, ",
           s->air_messages, s->air_bytes, s->backbone_messages, s->backbone_bytes);
    printf("\"traffic\": {\"offered\": %lu, \"delivered\": %lu}, ", s->user_pdus_offered, s->user_pdus_delivered);
    printf("\"invariants\": {\"n_decreased\": %lu, \"m_decreased\": %lu, \"stale_count_keys\": %lu}, "
           "\"events\": %lu}\n",
           s->n_decreased, s->m_decreased, s->stale_count_keys, s->events);
}

static void print_text(const char *scenario, const char *scheme, uint64_t seed, const struct tekho_sim_stats *s)
{
    printf("scenario %s, scheme %s, seed %llu\n", scenario, scheme, (unsigned long long)seed);
    printf("  handovers      attempted %lu, completed %lu, cancelled %lu, failed %lu\n", s->attempted, s->completed,
           s->cancelled, s->failed);
    printf("  interruption   %zu samples: mean %.1f ms, p50 %.1f, p99 %.1f, max %.1f (UL max %.1f, DL max %.1f)\n",
           s->n_interruptions, s->interruption_mean_ms, s->interruption_p50_ms, s->interruption_p99_ms,
           s->interruption_max_ms, s->interruption_ul_max_ms, s->interruption_dl_max_ms);
    printf("  security       replayed accepted %lu, forged accepted %lu, PN reuse %lu, TEK mismatch %lu\n",
           s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_mismatch_after_ho);
    printf("                 TEK bytes over air %lu, self-sync %lu, RNG-REQ resync %lu, released %lu, discarded %lu\n",
           s->tek_bytes_over_air, s->self_sync_success, s->resync_by_rng_req, s->connections_released,
           s->pdus_discarded);
    printf("  signalling     air %lu messages / %lu bytes, backbone %lu messages / %lu bytes\n", s->air_messages,
           s->air_bytes, s->backbone_messages, s->backbone_bytes);
    printf("  traffic        %lu user PDUs offered, %lu delivered\n", s->user_pdus_offered, s->user_pdus_delivered);
}

int cmd_sim(int argc, char **argv)
{
    /* --trace and --pcap take paths, not hex: pull them out before parsing. */
    const char *trace_path = NULL, *pcap_dir = NULL;
    char *rest[64];
    int n_rest = 0;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--trace") == 0 || strcmp(argv[i], "--pcap") == 0) && i + 1 < argc) {
            *(argv[i][2] == 't' ? &trace_path : &pcap_dir) = argv[i + 1];
            i++;
        } else if (n_rest < 64) {
            rest[n_rest++] = argv[i];
        }
    }
    struct cli_args a;
    int rc = cli_parse(&SIM_CMD, n_rest, rest, &a);
    if (rc >= 0)
        return rc;
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
    struct tekho_sim_stats st;
    tekho_sim_stats(sim, &st);
    tekho_sim_free(sim); /* closes the captures */
    if (trace)
        fclose(trace);
    if (err != TEKHO_OK)
        return cli_fail(&SIM_CMD, json, tekho_strerror(err));
    if (json)
        print_json(scenario, tekho_scheme_name(scheme), seed, &st);
    else
        print_text(scenario, tekho_scheme_name(scheme), seed, &st);
    return CLI_EXIT_OK;
}
