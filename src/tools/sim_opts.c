/* tekho sim's option table (sim_opts.h), and the daemons' network:
 * section applied through it. */
#include "sim_opts.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "report.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define SCN (1u << MODE_SCENARIO)
#define EMU (1u << MODE_EMULATOR)
static const struct cli_mode SIM_MODES[] = {{"scenario", "--scenario"}, {"emulator", "--topology"}};

/* Said when an emulator option comes with --scenario. */
static const char EMU_HINT[] = "a scenario's network, radio and run are fixed (only the roles' timing options, "
                               "--sync-us to --aaa-round-trips, apply to it)";

static const struct cli_opt SIM_OPTS[] = {
    /* choices: filled in by sim_table, from the library's lists */
    {.name = "scenario", .kind = CLI_CHOICE, .arg = "NAME", .modes = SCN,
     .help = "a built-in scenario (below), run under --scheme"},
    {.name = "scheme", .kind = CLI_CHOICE, .arg = "SCHEME", .modes = SCN,
     .hint = "did you mean --schemes? (the emulator compares several: --schemes A,B,...)",
     .help = "how TEKs reach the target BS (below)"},
    {.name = "topology", .kind = CLI_STR, .arg = "hex:N", .modes = EMU,
     .help = "the emulator on N cells of a hexagonal grid, N from 2 to " STR(TEKHO_SIM_MAX_BS)},
    {.name = "schemes", .kind = CLI_STR, .arg = "A,B,...", .modes = EMU,
     .hint = "did you mean --scheme? (a scenario runs one scheme)",
     .help = "the schemes compared, comma-separated, each at most once (default: all)"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX,
     .help = "the random seed (default 1); the emulator's replication r runs seed + r"},
    {.name = "trace", .kind = CLI_STR, .arg = "FILE", .modes = SCN,
     .hint = "the emulator runs thousands of handovers on threads; trace one with --scenario normal --scheme S "
             "--trace FILE",
     .help = "every event and message of the scenario, and each input a role refused with why, one line\n"
             "      each, into FILE (created with its parents; - for standard error)"},
    {.name = "pcap", .kind = CLI_STR, .arg = "DIR",
     .help = "air and backbone captures for tekho decode and Wireshark, in DIR (created with its parents):\n"
             "      with --scenario, DIR/air.pcap, DIR/backbone.pcap, DIR/decode-args and DIR/msk (decode's key\n"
             "      options and the MSKs, mode 0600); with --topology, the same for one handover of each scheme\n"
             "      (scenario normal, seed 1) in DIR/SCHEME/"},
    {.name = "report", .kind = CLI_STR, .arg = "DIR", .modes = EMU,
     .hint = "a scenario prints all it measures; the emulator (--topology) writes reports",
     .help = "write report.md, index.html, plots (gnuplot) and message sequence charts (mscgen) into DIR\n"
             "      (created with its parents; missing plotting tools: a warning, no plots)"},
    {.name = "ms", .kind = CLI_NUM, .min = 1, .max = TEKHO_SIM_MAX_MS, .modes = EMU, .hint = EMU_HINT,
     .help = "MSs (default 300)"},
    {.name = "duration", .kind = CLI_NUM, .min = 1, .max = 86400, .modes = EMU, .hint = EMU_HINT,
     .help = "simulated seconds (default 180)"},
    {.name = "crypto-all", .kind = CLI_FLAG, .modes = EMU, .hint = EMU_HINT,
     .help = "seal and open every PDU, not only around handovers"},
    {.name = "ideal", .kind = CLI_FLAG, .modes = EMU, .hint = EMU_HINT,
     .help = "the deterministic model (no HARQ, preamble search, ranging contention, jitter or random\n"
             "      delays): every scheme's interruption is then its closed-form model_ms"},
    {.name = "replications", .kind = CLI_NUM, .min = 1, .max = 1000, .modes = EMU, .hint = EMU_HINT,
     .help = "independent replications, seeds seed .. seed + R - 1 (default " REPLICATIONS_TEXT ")"},
    {.name = "jobs", .kind = CLI_NUM, .min = 1, .max = 64, .modes = EMU, .hint = EMU_HINT, .short_name = 'j',
     .arg = "J",
     .help = "runs on this many threads (a replication's two runs on two; default: the processors online)"},
};

static const char SIM_SYNOPSIS[] =
    "--scenario NAME --scheme SCHEME [--seed N] [--trace FILE] [--pcap DIR] [--TIMING-PARAMETER N ...]\n"
    "                 [--json]\n"
    "       tekho sim --topology hex:N [--ms M] [--duration S] [--schemes A,B,...] [--report DIR] [--pcap DIR]\n"
    "                 [--seed N] [--replications R] [--jobs J] [--ideal] [--crypto-all] [--MODEL-PARAMETER N ...]\n"
    "                 [--json]";
static const char SIM_DESCRIPTION[] =
    "Scenario mode (--scenario) runs a deterministic handover scenario (virtual clock, modelled air\n"
    "and backbone, an attacker on the air). With --topology it is the emulator: MSs move over a\n"
    "hexagonal grid, hand over on a filtered hysteresis and time to trigger, and every scheme runs on the\n"
    "same mobility, radio and losses, R times (replications) with the variability of a real network\n"
    "(HARQ, preamble search, ranging contention, backhaul, AAA and processing delays; --ideal: none).\n"
    "Both print handovers, the user-plane interruption of each (UL, DL and both, from the MS leaving its\n"
    "serving BS), the same under ITU-R M.2134's assumptions against its 27.5 ms (within or over),\n"
    "security counters and signalling; the emulator adds 95 % intervals, the closed-form model's figure\n"
    "and differences against counter. An option that does not fit the mode is refused. The model\n"
    "parameters (also tekho sweep's) are the options after --jobs; the roles' timing ones (--sync-us to\n"
    "--aaa-round-trips) apply to scenarios too. Percentages are percent (--air-loss 0.5 is 0.5 %).";
static const char SIM_EPILOG[] =
    "scenarios (--scenario):\n"
    "  normal         two handovers, nothing goes wrong\n"
    "  ms-ahead       the Authenticator misses an HO_Complete, so TB = N < TM: self-sync within W, else resync\n"
    "                 from the RNG-REQ\n"
    "  replay         recorded user PDUs and RNG-REQs replayed, forged PDUs injected\n"
    "  cancel-retry   a handover cancelled and retried: cached TEK contexts and their PNs reused\n"
    "  ping-pong      back and forth between two BSs\n"
    "  no-capability  the target cannot generate TEKs: fallback to baseline-update\n"
    "  tek-refresh    short TEK lifetimes: the normal Key-Request refresh\n"
    "  lossy-air      5 % air loss: retransmission timers\n"
    "  auth-restart   the Authenticator restarts: N comes back from its store\n"
    "schemes (--scheme, --schemes): the README, section Roles and scenarios, describes each; none and\n"
    "none-late encrypt nothing (floors to measure against).";

void sim_table(struct sim_table *t)
{
    size_t at = 0;
    t->scenarios[0] = '\0';
    for (size_t i = 0; TEKHO_SCENARIOS[i] != NULL && at < sizeof t->scenarios; i++)
        at += (size_t)snprintf(t->scenarios + at, sizeof t->scenarios - at, "%s%s", i ? "|" : "",
                               TEKHO_SCENARIOS[i]);
    scheme_list(t->schemes, sizeof t->schemes, "|");
    size_t n = 0;
    for (size_t k = 0; k < SIM_N_OPTS; k++)
        t->opts[n++] = SIM_OPTS[k];
    t->opts[SIM_SCENARIO].choices = t->scenarios;
    t->opts[SIM_SCHEME].choices = t->schemes;
    char names[512];
    scheme_list(names, sizeof names, ",");
    snprintf(t->schemes_help, sizeof t->schemes_help, "%s\n      A: %s", SIM_OPTS[SIM_SCHEMES].help, names);
    t->opts[SIM_SCHEMES].help = t->schemes_help;
    n = model_params_opts(t->opts, n, CLI_MAX_OPTS, EMU, EMU_HINT);
    t->cmd = (struct cli_cmd){.name = "sim", .synopsis = SIM_SYNOPSIS, .description = SIM_DESCRIPTION,
                              .opts = t->opts, .n_opts = n, .modes = SIM_MODES, .n_modes = 2, .epilog = SIM_EPILOG};
}

/* Options that describe a run of the emulator, not a network of daemons. */
static const char *const NOT_NETWORK[] = {"scenario", "topology", "schemes", "trace", "pcap", "report", "ms",
                                          "duration", "replications", "jobs"};

int sim_network_apply(const struct tekho_config *cfg, struct tekho_sim_params *p, char *err, size_t cap)
{
    struct sim_table t;
    sim_table(&t);
    const struct cli_cmd *cmd = &t.cmd;
    struct cli_args a;
    memset(&a, 0, sizeof a);
    tekho_sim_params_emulator(p);
    char why[4200] = "";
    int rc = 0;
    const struct tekho_config_setting *bad = NULL;
    bool at_value = false;
    for (size_t i = 0; rc == 0 && i < cfg->n_network; i++) {
        const struct tekho_config_setting *s = &cfg->network[i];
        const size_t k = cli_find_option(cmd, s->key, strlen(s->key));
        bad = s;
        at_value = false;
        rc = -1;
        if (k == cmd->n_opts) {
            const char *near = cli_nearest_option(cmd, s->key, strlen(s->key));
            if (near != NULL && strcmp(near, "json") != 0 && strcmp(near, "help") != 0)
                snprintf(why, sizeof why, "unknown option '--%s'; did you mean --%s?", s->key, near);
            else
                snprintf(why, sizeof why, "unknown option '--%s'", s->key);
            continue;
        }
        const struct cli_opt *o = &cmd->opts[k];
        bool refused = false;
        for (size_t j = 0; j < sizeof NOT_NETWORK / sizeof NOT_NETWORK[0]; j++)
            refused |= strcmp(o->name, NOT_NETWORK[j]) == 0;
        if (refused) {
            snprintf(why, sizeof why,
                     "--%s: not a network parameter (network: takes --scheme, --seed, --ideal, --crypto-all and the "
                     "model parameters of tekho sim --help%s)",
                     o->name, strcmp(o->name, "ms") == 0 ? "; the terminals are msd.ms" : "");
            continue;
        }
        if (a.v[k].present) {
            snprintf(why, sizeof why, "--%s given twice", o->name);
            continue;
        }
        at_value = true;
        if (o->kind == CLI_FLAG) {
            if (strcmp(s->value, "true") == 0) {
                a.v[k].present = true;
            } else if (strcmp(s->value, "false") != 0) {
                snprintf(why, sizeof why, "--%s: true or false (a flag), got '%s'", o->name, s->value);
                continue;
            }
        } else if (cli_parse_value(o, s->value, &a.v[k], why, sizeof why) != 0) {
            continue;
        }
        rc = 0;
    }
    if (rc != 0) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s:%u:%u: %s", cfg->path ? cfg->path : "config", at_value ? bad->value_line : bad->line,
                     at_value ? bad->value_column : bad->column, why);
        cli_args_free(&a);
        return -1;
    }
    /* in emulate()'s order */
    if (a.v[SIM_IDEAL].present)
        tekho_sim_params_ideal(p);
    if (a.v[SIM_SCHEME].present)
        p->scheme = (enum tekho_scheme)a.v[SIM_SCHEME].num;
    if (a.v[SIM_SEED].present)
        p->seed = a.v[SIM_SEED].num;
    p->radio.crypto_all = a.v[SIM_CRYPTO_ALL].present;
    for (size_t k = SIM_N_OPTS; k < cmd->n_opts; k++)
        if (a.v[k].present)
            MODEL_PARAMS[k - SIM_N_OPTS].apply(p, a.v[k].real);
    cli_args_free(&a);
    if (err != NULL && cap > 0)
        err[0] = '\0';
    return 0;
}
