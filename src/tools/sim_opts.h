/* tekho sim's option table, shared by the command (cmd_sim.c) and the
 * daemons, whose config file's network: section takes the same options by
 * their long names (src/daemon/config.h), so a value means one thing and is
 * refused with one message wherever it is given. */
#ifndef TEKHO_TOOLS_SIM_OPTS_H
#define TEKHO_TOOLS_SIM_OPTS_H

#include <stddef.h>

#include "cli.h"
#include "tekho/sim.h"

struct tekho_config;

/* Replications for `make run` (hex:19, 300 MSs, 180 s): README, section
 * The emulator, says why this many. The text is the option's help's. */
#define REPLICATIONS_DEFAULT 10
#define REPLICATIONS_TEXT "10"

enum { MODE_SCENARIO, MODE_EMULATOR };

/* The command's own options, in table order; the model parameters
 * (MODEL_PARAMS, report.h) follow from SIM_N_OPTS on. */
enum { SIM_SCENARIO, SIM_SCHEME, SIM_TOPOLOGY, SIM_SCHEMES, SIM_SEED, SIM_TRACE, SIM_PCAP, SIM_REPORT, SIM_MS,
       SIM_DURATION, SIM_CRYPTO_ALL, SIM_IDEAL, SIM_REPLICATIONS, SIM_JOBS, SIM_N_OPTS };

/* The command's table: its own options (with the library's scenario and
 * scheme lists as choices), then every model parameter. */
struct sim_table {
    char scenarios[512], schemes[512], schemes_help[768];
    struct cli_opt opts[CLI_MAX_OPTS];
    struct cli_cmd cmd;
};
void sim_table(struct sim_table *t);

/* The network: section of a daemons' config (cfg->network, in file order)
 * applied to *p through tekho sim's table: *p starts as
 * tekho_sim_params_emulator's defaults (the terminal daemon runs the
 * emulator's radio and mobility model), then, whatever the order in the
 * file, as `tekho sim --topology` does: --ideal (tekho_sim_params_ideal),
 * --scheme, --seed, --crypto-all, then each model parameter. A flag takes
 * true or false. n_bs and n_ms are left to the caller (the config's bs
 * list and msd.ms).
 *
 * Refused with err "FILE:LINE:COLUMN: MESSAGE" (cut to cap), MESSAGE being
 * the command line's own ("--air-loss: out of range 0..100: '150'",
 * "unknown option '--shceme'; did you mean --scheme?"), the place the key's
 * for a key and the value's for a value: options that describe a run of the
 * emulator rather than a network (--scenario, --topology, --schemes,
 * --trace, --pcap, --report, --ms, --duration, --replications, --jobs).
 * Returns 0, or -1. */
int sim_network_apply(const struct tekho_config *cfg, struct tekho_sim_params *p, char *err, size_t cap);

#endif
