/* tekho: the command-line tool. Each command lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tekho/explore.h"
#include "tekho/tekho.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command COMMANDS[] = {
    {"kdf", cmd_kdf, "Dot16KDF on hex inputs"},
    {"keys", cmd_keys, "the PKMv2 key hierarchy from an MSK"},
    {"tek", cmd_tek, "counter-based TEK0/TEK1 from a KEK"},
    {"pdu", cmd_pdu, "seal or open an AES-CCM MAC PDU (pdu seal | pdu open)"},
    {"tek-wrap", cmd_tek_wrap, "encrypt a TEK under the KEK (baseline Key-Reply)"},
    {"tek-unwrap", cmd_tek_unwrap, "decrypt a TEK encrypted under the KEK"},
    {"decode", cmd_decode, "print every message of an air or backbone capture; verify CMACs, open PDUs"},
    {"analyze", cmd_analyze, "reconstruct the handovers of a capture: interruption, scheme, counts, anomalies"},
    {"sim", cmd_sim, "run a handover scenario under a TEK scheme and measure it"},
    {"sweep", cmd_sweep, "the emulator's comparison over a grid of parameters, as CSV and plots; sweep merge joins shards"},
    {"testbed", cmd_testbed, "the daemons on loopback, one command: each scheme against the emulator"},
    {"authd", cmd_authd, "the Authenticator daemon (ASN-GW): PMKs and counts, the backbone in DTLS"},
    {"bsd", cmd_bsd, "a base station daemon: the air on UDP, the backbone in DTLS"},
    {"msd", cmd_msd, "the terminals daemon: MSs that move, hand over and measure"},
    {"creds", cmd_creds, "the backbone's credentials: a CA, node certificates, PSKs (creds ca | node | psk)"},
    {"explore", cmd_explore, "deterministic simulation testing of the roles: faults, an attacker, invariants"},
    {"bench", cmd_bench, "measure TEK generation and PDU seal/open against OpenSSL"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: tekho COMMAND [options]   (tekho COMMAND --help for its options; each takes its value as\n"
                "       --opt VALUE or --opt=VALUE, and --json prints JSON)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(to, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
}

int main(int argc, char **argv)
{
    if (tekho_build_mutation() != NULL)
        fprintf(stderr, "tekho: MUTATION BUILD (%s): a deliberate defect for testing; do not use\n",
                tekho_build_mutation());
    if (argc < 2) {
        fprintf(stderr, "tekho: missing command (see tekho --help)\n");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tekho %s\n", TEKHO_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 2, argv + 2);
    if (strcmp(argv[1], "results") == 0) /* hidden: for tests (cmd_results.c) */
        return cmd_results(argc - 2, argv + 2);
    fprintf(stderr, "tekho: unknown command '%s' (see tekho --help)\n", argv[1]);
    return CLI_EXIT_USAGE;
}
