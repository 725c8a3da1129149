/* tekho sweep: the emulator's comparison over a grid of parameters. Every
 * point of the grid runs every scheme on the same mobility (the seed fixes
 * it); each (point, scheme) is one CSV row, and each swept parameter gets
 * a plot of p99 interruption (union) against it, the others held at their
 * first value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "report.h"
#include "tekho/sim.h"

/* A parameter the grid can vary, and how it lands in the run's parameters. */
struct sweep_param {
    const char *name;
    const char *label; /* plot axis */
    uint64_t min, max;
    void (*apply)(struct tekho_sim_params *p, uint64_t v);
};

static void set_backbone(struct tekho_sim_params *p, uint64_t v) { p->backbone_latency_us = v; }
static void set_frame(struct tekho_sim_params *p, uint64_t v) { p->frame_us = v; }
static void set_loss(struct tekho_sim_params *p, uint64_t v) { p->air_loss = (double)v / 1000.0; }
static void set_speed(struct tekho_sim_params *p, uint64_t v) { p->radio.speed_kmh = (double)v; }
static void set_window(struct tekho_sim_params *p, uint64_t v) { p->self_sync_window = (unsigned)v; }
static void set_isd(struct tekho_sim_params *p, uint64_t v) { p->radio.isd_m = (double)v; }

static const struct sweep_param PARAMS[] = {
    {"backbone-us", "one-way backbone latency (us)", 0, 1000000, set_backbone},
    {"frame-us", "TDD frame (us)", 1000, 20000, set_frame},
    {"air-loss", "air PDU loss (per mille)", 0, 1000, set_loss},
    {"speed", "MS speed (km/h)", 0, 500, set_speed},
    {"window", "self-sync window W", 0, 16, set_window},
    {"isd", "inter-site distance (m)", 100, 20000, set_isd},
};
#define N_PARAMS (sizeof PARAMS / sizeof PARAMS[0])
#define MAX_AXES 4
#define MAX_VALUES 16
#define MAX_POINTS 256

static const struct cli_cmd SWEEP_CMD = {
    "sweep",
    "PARAM=v1,v2,... [PARAM=...] --report DIR [--topology hex:N] [--ms M] [--duration S]\n"
    "                  [--schemes A,B,...] [--seed N]",
    "Runs the emulator's scheme comparison at every point of the grid the PARAM=values arguments\n"
    "span (up to 4 parameters, 16 values each, 256 points) and writes DIR/sweep.csv, one row per\n"
    "point and scheme, with a p99-against-parameter plot for each swept parameter (gnuplot).\n"
    "PARAM: backbone-us, frame-us, air-loss (per mille), speed (km/h), window, isd (m).\n"
    "Defaults: hex:19, 100 MSs, 60 simulated seconds, every scheme, seed 1.",
    NULL, 0};

struct axis {
    const struct sweep_param *param;
    uint64_t values[MAX_VALUES];
    size_t n;
};

static int parse_axis(const char *arg, struct axis *out)
{
    const char *eq = strchr(arg, '=');
    size_t k = 0;
    while (k < N_PARAMS && (eq == NULL || strlen(PARAMS[k].name) != (size_t)(eq - arg) ||
                            strncmp(arg, PARAMS[k].name, (size_t)(eq - arg)) != 0))
        k++;
    if (k == N_PARAMS)
        return cli_usage_error(&SWEEP_CMD, "unknown parameter in '%s' (backbone-us, frame-us, air-loss, speed, "
                                            "window, isd)", arg);
    out->param = &PARAMS[k];
    out->n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", eq + 1);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v = 0;
        if (out->n == MAX_VALUES)
            return cli_usage_error(&SWEEP_CMD, "%s: at most %d values", out->param->name, MAX_VALUES);
        if (cli_parse_number(tok, &v) != 0 || v < out->param->min || v > out->param->max)
            return cli_usage_error(&SWEEP_CMD, "%s: '%s' is not a number from %llu to %llu", out->param->name, tok,
                                   (unsigned long long)out->param->min, (unsigned long long)out->param->max);
        out->values[out->n++] = v;
    }
    if (out->n == 0)
        return cli_usage_error(&SWEEP_CMD, "%s: no values", out->param->name);
    return -1;
}

static double per_ho(unsigned long bytes, unsigned long handovers)
{
    return handovers ? (double)bytes / (double)handovers : 0;
}

/* One row per (point, scheme); the point's values first. */
static void csv_row(FILE *f, const struct axis *axes, size_t n_axes, const size_t *at, const struct report_run *r)
{
    for (size_t a = 0; a < n_axes; a++)
        fprintf(f, "%llu,", (unsigned long long)axes[a].values[at[a]]);
    const struct tekho_sim_stats *s = &r->st;
    fprintf(f, "%s,%lu,%lu,%lu,%lu,", tekho_scheme_name(r->scheme), s->attempted, s->completed, s->failed,
            s->executed);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const struct tekho_sim_interruption *x = &s->interruption[d];
        fprintf(f, "%zu,%lu,%.3f,%.3f,%.3f,%.3f,%.3f,", x->n, x->censored, x->min_ms, x->p50_ms, x->p99_ms, x->max_ms,
                x->mean_ms);
    }
    const struct tekho_sim_interruption *m = r->m2134;
    fprintf(f, "%.3f,%.3f,%zu,%lu,%.3f,%.3f,%.3f,%s,", m[TEKHO_SIM_UL].p99_ms, m[TEKHO_SIM_DL].p99_ms,
            m[TEKHO_SIM_UNION].n, m[TEKHO_SIM_UNION].censored, m[TEKHO_SIM_UNION].p50_ms, report_m2134_p99(r),
            m[TEKHO_SIM_UNION].max_ms, report_m2134_verdict(r));
    /* Signalling per completed handover: the handovers' own (entry and refresh apart). */
    fprintf(f, "%.2f,%.2f,%.1f,%.1f,%.1f,%.1f,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%.3f\n",
            per_ho(s->ho_air_messages, s->completed), per_ho(s->ho_backbone_messages, s->completed),
            per_ho(s->ho_air_bytes, s->completed), per_ho(s->ho_backbone_bytes, s->completed),
            per_ho(s->tek_bytes_over_air, s->completed), per_ho(s->tek_bytes_over_backbone, s->completed),
            s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_mismatch_after_ho,
            s->connections_released, s->self_sync_success, s->ho_window_lost, r->wall_s);
}

/* p99 against each swept parameter, the other parameters at their first value. */
static void plot_axes(const char *dir, const struct axis *axes, size_t n_axes, const enum tekho_scheme *schemes,
                      size_t n_schemes, const double *p99, const size_t *stride)
{
    for (size_t a = 0; a < n_axes; a++) {
        if (axes[a].n < 2)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%s/sweep_%s.dat", dir, axes[a].param->name);
        FILE *f = fopen(name, "w");
        if (f == NULL)
            continue;
        fprintf(f, "# %s", axes[a].param->name);
        for (size_t k = 0; k < n_schemes; k++)
            fprintf(f, " union_p99_%s", tekho_scheme_name(schemes[k]));
        fprintf(f, "\n");
        for (size_t i = 0; i < axes[a].n; i++) {
            fprintf(f, "%llu", (unsigned long long)axes[a].values[i]);
            for (size_t k = 0; k < n_schemes; k++)
                fprintf(f, " %.3f", p99[(i * stride[a]) * n_schemes + k]);
            fprintf(f, "\n");
        }
        fclose(f);
        char script[4096];
        size_t at = (size_t)snprintf(script, sizeof script,
                                     "set terminal pngcairo size 900,540 noenhanced\nset grid\nset key top left\n"
                                     "set output 'sweep_%s.png'\nset title 'p99 interruption (union) against %s'\n"
                                     "set xlabel '%s'\nset ylabel 'p99 interruption, union (ms)'\nplot ",
                                     axes[a].param->name, axes[a].param->name, axes[a].param->label);
        for (size_t k = 0; k < n_schemes && at < sizeof script; k++)
            at += (size_t)snprintf(script + at, sizeof script - at,
                                   "%s'sweep_%s.dat' using 1:%zu with linespoints lw 2 title '%s'", k ? ", " : "",
                                   axes[a].param->name, k + 2, tekho_scheme_name(schemes[k]));
        if (at < sizeof script - 2)
            strcat(script, "\n");
        (void)report_gnuplot(dir, script);
    }
}

int cmd_sweep(int argc, char **argv)
{
    struct axis axes[MAX_AXES];
    size_t n_axes = 0;
    const char *report = NULL, *topology = "hex:19", *schemes_arg = NULL;
    uint64_t n_ms = 100, duration = 60, seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_usage(&SWEEP_CMD, stdout);
            return CLI_EXIT_OK;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (n_axes == MAX_AXES)
                return cli_usage_error(&SWEEP_CMD, "at most %d parameters", MAX_AXES);
            for (size_t a = 0; a < n_axes; a++)
                if (strncmp(arg, axes[a].param->name, strlen(axes[a].param->name)) == 0 &&
                    arg[strlen(axes[a].param->name)] == '=')
                    return cli_usage_error(&SWEEP_CMD, "%s given twice", axes[a].param->name);
            const int rc = parse_axis(arg, &axes[n_axes]);
            if (rc >= 0)
                return rc;
            n_axes++;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(&SWEEP_CMD, "%s needs a value", arg);
        const char *value = argv[++i];
        uint64_t v = 0;
        if (strcmp(arg, "--report") == 0) {
            report = value;
        } else if (strcmp(arg, "--topology") == 0) {
            topology = value;
        } else if (strcmp(arg, "--schemes") == 0) {
            schemes_arg = value;
        } else if (strcmp(arg, "--ms") == 0 || strcmp(arg, "--duration") == 0 || strcmp(arg, "--seed") == 0) {
            const bool is_seed = strcmp(arg, "--seed") == 0;
            const uint64_t max = strcmp(arg, "--ms") == 0 ? TEKHO_SIM_MAX_MS : is_seed ? UINT64_MAX : 86400;
            if (cli_parse_number(value, &v) != 0 || (!is_seed && (v < 1 || v > max)))
                return cli_usage_error(&SWEEP_CMD, "%s: '%s' is not a number from 1 to %llu", arg, value,
                                       (unsigned long long)max);
            *(strcmp(arg, "--ms") == 0 ? &n_ms : is_seed ? &seed : &duration) = v;
        } else {
            return cli_usage_error(&SWEEP_CMD, "unknown option %s", arg);
        }
    }
    if (n_axes == 0)
        return cli_usage_error(&SWEEP_CMD, "give at least one PARAM=v1,v2,...");
    if (report == NULL)
        return cli_usage_error(&SWEEP_CMD, "--report DIR is required");
    enum tekho_scheme schemes[TEKHO_SCHEME_COUNT];
    size_t n_schemes = 0;
    struct tekho_sim_params base;
    const int rc = emulator_params(&SWEEP_CMD, topology, schemes_arg, (unsigned)n_ms, seed, &base, schemes, &n_schemes);
    if (rc >= 0)
        return rc;
    /* Points in row-major order over the axes: stride[a] points per step of axis a. */
    size_t stride[MAX_AXES], n_points = 1;
    for (size_t a = n_axes; a-- > 0;) {
        stride[a] = n_points;
        n_points *= axes[a].n;
        if (n_points > MAX_POINTS)
            return cli_usage_error(&SWEEP_CMD, "the grid has more than %d points", MAX_POINTS);
    }
    if (mkdir(report, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tekho sweep: cannot create %s: %s\n", report, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/sweep.csv", report);
    FILE *csv = fopen(path, "w");
    double *p99 = calloc(n_points * n_schemes, sizeof *p99);
    if (csv == NULL || p99 == NULL) {
        fprintf(stderr, "tekho sweep: cannot write %s\n", path);
        if (csv)
            fclose(csv);
        free(p99);
        return CLI_EXIT_FAILED;
    }
    for (size_t a = 0; a < n_axes; a++)
        fprintf(csv, "%s,", axes[a].param->name);
    fprintf(csv, "scheme,attempted,completed,failed,executed,");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const char *n = tekho_sim_direction_name((enum tekho_sim_direction)d);
        fprintf(csv, "%s_n,%s_censored,%s_min_ms,%s_p50_ms,%s_p99_ms,%s_max_ms,%s_mean_ms,", n, n, n, n, n, n, n);
    }
    fprintf(csv, "m2134_ul_p99_ms,m2134_dl_p99_ms,m2134_union_n,m2134_union_censored,m2134_union_p50_ms,"
                 "m2134_union_p99_ms,m2134_union_max_ms,m2134_verdict,");
    fprintf(csv, "air_messages_per_ho,backbone_messages_per_ho,air_bytes_per_ho,backbone_bytes_per_ho,"
                 "tek_air_bytes_per_ho,tek_backbone_bytes_per_ho,replayed_accepted,forged_accepted,"
                 "pn_reuse,tek_mismatch,released,self_sync,ho_window_lost,wall_s\n");
    printf("%zu points x %zu schemes, hex:%u, %llu MSs, %llu s each, seed %llu\n\n", n_points, n_schemes, base.n_bs,
           (unsigned long long)n_ms, (unsigned long long)duration, (unsigned long long)seed);
    for (size_t a = 0; a < n_axes; a++)
        printf("%-12s ", axes[a].param->name);
    printf("%-18s %9s %8s %8s %8s %8s %8s %9s %8s\n", "scheme", "handovers", "censored", "un p50", "un p99",
           "M.2134", "verdict", "air B/HO", "insecure");
    tekho_err err = TEKHO_OK;
    for (size_t pt = 0; pt < n_points && err == TEKHO_OK; pt++) {
        struct tekho_sim_params p = base;
        size_t at[MAX_AXES];
        for (size_t a = 0; a < n_axes; a++) {
            at[a] = (pt / stride[a]) % axes[a].n;
            axes[a].param->apply(&p, axes[a].values[at[a]]);
        }
        for (size_t k = 0; k < n_schemes && err == TEKHO_OK; k++) {
            struct report_run run;
            memset(&run, 0, sizeof run);
            p.scheme = schemes[k];
            err = run_scheme(&p, (unsigned)duration, false, &run);
            if (err != TEKHO_OK) {
                report_run_free(&run);
                break;
            }
            csv_row(csv, axes, n_axes, at, &run);
            p99[pt * n_schemes + k] = run.st.interruption[TEKHO_SIM_UNION].p99_ms;
            const struct tekho_sim_stats *s = &run.st;
            for (size_t a = 0; a < n_axes; a++)
                printf("%-12llu ", (unsigned long long)axes[a].values[at[a]]);
            printf("%-18s %9lu %8lu %8.1f %8.1f %8.1f %8s %9.0f %8lu\n", tekho_scheme_name(schemes[k]), s->executed,
                   s->interruption[TEKHO_SIM_UNION].censored, s->interruption[TEKHO_SIM_UNION].p50_ms,
                   s->interruption[TEKHO_SIM_UNION].p99_ms, report_m2134_p99(&run), report_m2134_verdict(&run),
                   per_ho(s->ho_air_bytes, s->completed),
                   s->replayed_pdus_accepted + s->forged_pdus_accepted + s->pn_reuse + s->tek_mismatch_after_ho);
            fflush(stdout);
            report_run_free(&run);
        }
    }
    fclose(csv);
    if (err == TEKHO_OK)
        plot_axes(report, axes, n_axes, schemes, n_schemes, p99, stride);
    free(p99);
    if (err != TEKHO_OK) {
        fprintf(stderr, "tekho sweep: %s\n", tekho_strerror(err));
        return CLI_EXIT_FAILED;
    }
    printf("\nsweep: %s (plots: %s/sweep_PARAM.png)\n", path, report);
    return CLI_EXIT_OK;
}
