/* The daemons' network: section applied through tekho sim's own option
 * table (src/tools/sim_opts.h, compiled from the tool's sources): the
 * values reach struct tekho_sim_params as `tekho sim --topology` would set
 * them, whatever their order in the file, and a bad one is refused as
 * FILE:LINE:COLUMN: and the command line's own message. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "sim_opts.h"
#include "test_util.h"

#define REST                                                                                                           \
    "credentials:\n  mode: psk\nauthd:\n  - name: a\n    backbone: 127.0.0.1:2231\n    store: memory\n"           \
    "    psk: 000102030405060708090a0b0c0d0e0f\nbs:\n  - name: b\n    node: 0\n    backbone: 127.0.1.1:2231\n"     \
    "    air: 127.0.1.1:4000\n    position: [0, 0]\n    psk: 000102030405060708090a0b0c0d0e0f\n"

static struct tekho_config *parse(const char *network)
{
    char text[4096];
    snprintf(text, sizeof text, "version: 1\nnetwork:\n%s" REST, network);
    struct tekho_config *cfg = NULL;
    char err[512];
    const tekho_err rc = tekho_config_parse(text, strlen(text), "net.yaml", NULL, &cfg, err, sizeof err);
    if (rc != TEKHO_OK)
        fprintf(stderr, "%s\n", err);
    CHECK_ERR(rc, TEKHO_OK);
    return cfg;
}

static void test_values(void)
{
    /* jitter before ideal in the file: ideal still comes first, as on the command line */
    struct tekho_config *cfg = parse("  backbone-jitter-us: 100\n  scheme: baseline-update\n  seed: 0x10\n"
                                     "  air-loss: 0.5\n  backbone-us: 3000\n  ideal: true\n  crypto-all: false\n"
                                     "  speed: 120.5\n  isd: 500\n  t3-us: 100000\n");
    if (cfg == NULL)
        return;
    struct tekho_sim_params p, want;
    char err[512] = "unset";
    CHECK(sim_network_apply(cfg, &p, err, sizeof err) == 0);
    CHECK(err[0] == '\0');
    tekho_sim_params_emulator(&want);
    tekho_sim_params_ideal(&want);
    CHECK(p.scheme == TEKHO_SCHEME_BASELINE_UPDATE);
    CHECK(p.seed == 16);
    CHECK(fabs(p.air_loss - 0.005) < 1e-12);
    CHECK(p.backbone_latency_us == 3000);
    CHECK(p.backbone_jitter_us == 100);
    CHECK(!p.var.enabled && !want.var.enabled);
    CHECK(!p.radio.crypto_all);
    CHECK(p.radio.speed_kmh == 120.5 && p.radio.isd_m == 500);
    CHECK(p.timing.rng_retransmit_us == 100000);
    /* the rest as the emulator's defaults */
    CHECK(p.frame_us == want.frame_us && p.self_sync_window == want.self_sync_window &&
          p.timing.sync_us == want.timing.sync_us && p.n_bs == want.n_bs && p.n_ms == want.n_ms);
    tekho_config_free(cfg);

    /* no network: section: the emulator's defaults exactly */
    const char *bare = "version: 1\n" REST;
    CHECK_ERR(tekho_config_parse(bare, strlen(bare), "net.yaml", NULL, &cfg, err, sizeof err), TEKHO_OK);
    if (cfg != NULL) {
        tekho_sim_params_emulator(&want);
        CHECK(sim_network_apply(cfg, &p, err, sizeof err) == 0);
        CHECK(memcmp(&p, &want, sizeof p) == 0);
        tekho_config_free(cfg);
    }
    cfg = parse("  crypto-all: true\n  ideal: false\n");
    if (cfg != NULL) {
        CHECK(sim_network_apply(cfg, &p, err, sizeof err) == 0);
        CHECK(p.radio.crypto_all && p.var.enabled);
        tekho_config_free(cfg);
    }
}

struct bad {
    const char *network, *want;
};

static void test_bad(void)
{
    char schemes[512], want_scheme[1024];
    scheme_list(schemes, sizeof schemes, "|");
    snprintf(want_scheme, sizeof want_scheme, "net.yaml:3:11: --scheme: must be one of %s, got 'nosuch'", schemes);
    const struct bad cases[] = {
        {"  scheme: nosuch\n", want_scheme},
        {"  seed: 1\n  air-loss: 150\n", "net.yaml:4:13: --air-loss: out of range 0..100: '150'"},
        {"  seed: abc\n", "net.yaml:3:9: --seed: not a number: 'abc'"},
        {"  window: 17\n", "net.yaml:3:11: --window: out of range 0..16: '17'"},
        {"  speed: -5\n", "net.yaml:3:10: --speed: not a decimal number: '-5'"},
        {"  shceme: counter\n", "net.yaml:3:3: unknown option '--shceme'; did you mean --scheme?"},
        {"  frobnicate: 1\n", "net.yaml:3:3: unknown option '--frobnicate'"},
        {"  report: out\n",
         "net.yaml:3:3: --report: not a network parameter (network: takes --scheme, --seed, --ideal, --crypto-all "
         "and the model parameters of tekho sim --help)"},
        {"  ms: 40\n",
         "net.yaml:3:3: --ms: not a network parameter (network: takes --scheme, --seed, --ideal, --crypto-all and "
         "the model parameters of tekho sim --help; the terminals are msd.ms)"},
        {"  ideal: yes\n", "net.yaml:3:10: --ideal: true or false (a flag), got 'yes'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct tekho_config *cfg = parse(cases[k].network);
        if (cfg == NULL)
            continue;
        struct tekho_sim_params p;
        char err[1024];
        CHECK(sim_network_apply(cfg, &p, err, sizeof err) == -1);
        if (strcmp(err, cases[k].want) != 0)
            fprintf(stderr, "case %zu: '%s'\n   want '%s'\n", k, err, cases[k].want);
        CHECK(strcmp(err, cases[k].want) == 0);
        tekho_config_free(cfg);
    }
}

int main(void)
{
    test_values();
    test_bad();
    return test_summary("test_sim_network");
}
