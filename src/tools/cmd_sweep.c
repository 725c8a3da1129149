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

/* The parameters: the emulator's model parameters (model_params.c),
 * each an axis NAME=v1,v2,... or a fixed --NAME v, as tekho sim takes it. */
#define MAX_AXES 4
#define MAX_VALUES 16
#define MAX_POINTS 256

static const struct cli_cmd SWEEP_CMD = {
    "sweep",
    "PARAM=v1,v2,... [PARAM=...] --report DIR [--topology hex:N] [--ms M] [--duration S]\n"
    "                  [--schemes A,B,...] [--seed N] [--replications R] [--jobs J] [--ideal] [--PARAM v ...]",
    "Runs the emulator's scheme comparison at every point of the grid the PARAM=values arguments\n"
    "span (up to 4 parameters, 16 values each, 256 points), R replications each (seeds seed ..\n"
    "seed + R - 1), and writes DIR/sweep.csv, one row per point and scheme with 95 % intervals, with a\n"
    "p99-against-parameter plot with error bars for each swept parameter (gnuplot). A parameter not\n"
    "swept may be fixed with --PARAM v. PARAM: any model parameter of tekho sim (tekho sim --help:\n"
    "frame-us, air-loss, backbone-us, backbone-jitter-us, speed, isd, window, sync-us, ranging-wait-us,\n"
    "t3-us, retransmit-us, ho-response-us, backbone-retransmit-us, max-retries, aaa-rtt-us,\n"
    "aaa-round-trips, aaa-extra-us, processing-us, harq-bler, harq-retx-frames, harq-max-retx,\n"
    "ranging-code-fail, ranging-backoff, load, ttt, meas-alpha). Defaults: hex:19, 100 MSs, 60\n"
    "simulated seconds, every scheme, seed 1, 5 replications, the variability on.",
    NULL, 0};

struct axis {
    const struct model_param *param;
    uint64_t values[MAX_VALUES];
    size_t n;
};

static int parse_axis(const char *arg, struct axis *out)
{
    const char *eq = strchr(arg, '=');
    out->param = eq ? model_param_find(arg, (size_t)(eq - arg)) : NULL;
    if (out->param == NULL)
        return cli_usage_error(&SWEEP_CMD, "unknown parameter in '%s' (see tekho sweep --help)", arg);
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

static void csv_ci(FILE *f, const struct ci95 *c)
{
    if (c->valid)
        fprintf(f, ",%.3f,%.3f", c->lo, c->hi);
    else
        fprintf(f, ",,");
}

/* One row per (point, scheme); the point's values first, the intervals last. */
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
    fprintf(f, "%.2f,%.2f,%.1f,%.1f,%.1f,%.1f,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%.3f",
            per_ho(s->ho_air_messages, s->completed), per_ho(s->ho_backbone_messages, s->completed),
            per_ho(s->ho_air_bytes, s->completed), per_ho(s->ho_backbone_bytes, s->completed),
            per_ho(s->tek_bytes_over_air, s->completed), per_ho(s->tek_bytes_over_backbone, s->completed),
            s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse, s->tek_mismatch_after_ho,
            s->connections_released, s->self_sync_success, s->ho_window_lost, r->wall_s);
    /* Replications, the model, the intervals, the paired differences. */
    fprintf(f, ",%zu,%.3f,%.3f,%.3f,%.3f", r->n_reps, r->model[TEKHO_SIM_UL], r->model[TEKHO_SIM_DL],
            r->model[TEKHO_SIM_UNION], r->m2134_model[TEKHO_SIM_UNION]);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        csv_ci(f, &r->ci[d].mean);
        csv_ci(f, &r->ci[d].p50);
        csv_ci(f, &r->ci[d].p99);
    }
    csv_ci(f, &r->m2134_ci[TEKHO_SIM_UNION].p99);
    for (int k = 0; k < N_DIFFS; k++) {
        if (r->paired)
            fprintf(f, ",%.3f", r->diff[k].value);
        else
            fprintf(f, ",");
        if (r->paired)
            csv_ci(f, &r->diff[k]);
        else
            fprintf(f, ",,");
    }
    fprintf(f, ",%lu,%lu,%lu,%lu,%lu\n", s->pingpong, s->crossings, s->harq_retransmissions, s->harq_lost,
            s->ranging_contended);
}

/* p99 (union) against each swept parameter, with its interval, the other
 * parameters at their first value. */
static void plot_axes(const char *dir, const struct axis *axes, size_t n_axes, const enum tekho_scheme *schemes,
                      size_t n_schemes, const struct ci95 *p99, const size_t *stride)
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
        for (size_t k = 0; k < n_schemes; k++) {
            const char *n = tekho_scheme_name(schemes[k]);
            fprintf(f, " union_p99_%s lo_%s hi_%s", n, n, n);
        }
        fprintf(f, "\n");
        for (size_t i = 0; i < axes[a].n; i++) {
            fprintf(f, "%llu", (unsigned long long)axes[a].values[i]);
            for (size_t k = 0; k < n_schemes; k++) {
                const struct ci95 *c = &p99[(i * stride[a]) * n_schemes + k];
                fprintf(f, " %.3f %.3f %.3f", c->value, c->valid ? c->lo : c->value, c->valid ? c->hi : c->value);
            }
            fprintf(f, "\n");
        }
        fclose(f);
        char script[4096];
        size_t at = (size_t)snprintf(script, sizeof script,
                                     "set terminal pngcairo size 900,540 noenhanced\nset grid\nset key top left\n"
                                     "set output 'sweep_%s.png'\nset title 'p99 interruption (union) against %s, "
                                     "95 %% intervals'\n"
                                     "set xlabel '%s'\nset ylabel 'p99 interruption, union (ms)'\nplot ",
                                     axes[a].param->name, axes[a].param->name, axes[a].param->label);
        for (size_t k = 0; k < n_schemes && at < sizeof script; k++)
            at += (size_t)snprintf(script + at, sizeof script - at,
                                   "%s'sweep_%s.dat' using 1:%zu:%zu:%zu with yerrorlines lw 2 title '%s'",
                                   k ? ", " : "", axes[a].param->name, 3 * k + 2, 3 * k + 3, 3 * k + 4,
                                   tekho_scheme_name(schemes[k]));
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
    uint64_t n_ms = 100, duration = 60, seed = 1, replications = 5, jobs = emulator_jobs();
    bool ideal = false;
    const struct model_param *fixed[64];
    uint64_t fixed_value[64];
    size_t n_fixed = 0;
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
        if (strcmp(arg, "--ideal") == 0) {
            ideal = true;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(&SWEEP_CMD, "%s needs a value", arg);
        const char *value = argv[++i];
        uint64_t v = 0;
        const struct model_param *mp = model_param_find(arg + 2, strlen(arg + 2));
        if (strcmp(arg, "--report") == 0) {
            report = value;
        } else if (strcmp(arg, "--topology") == 0) {
            topology = value;
        } else if (strcmp(arg, "--schemes") == 0) {
            schemes_arg = value;
        } else if (mp != NULL) {
            if (cli_parse_number(value, &v) != 0 || v < mp->min || v > mp->max)
                return cli_usage_error(&SWEEP_CMD, "%s: '%s' is not a number from %llu to %llu", arg, value,
                                       (unsigned long long)mp->min, (unsigned long long)mp->max);
            if (n_fixed == sizeof fixed / sizeof fixed[0])
                return cli_usage_error(&SWEEP_CMD, "too many options");
            fixed[n_fixed] = mp;
            fixed_value[n_fixed++] = v;
        } else if (strcmp(arg, "--ms") == 0 || strcmp(arg, "--duration") == 0 || strcmp(arg, "--seed") == 0 ||
                   strcmp(arg, "--replications") == 0 || strcmp(arg, "--jobs") == 0) {
            const bool is_seed = strcmp(arg, "--seed") == 0;
            const uint64_t max = strcmp(arg, "--ms") == 0             ? TEKHO_SIM_MAX_MS
                                 : is_seed                            ? UINT64_MAX
                                 : strcmp(arg, "--replications") == 0 ? 1000
                                 : strcmp(arg, "--jobs") == 0         ? 64
                                                                      : 86400;
            if (cli_parse_number(value, &v) != 0 || (!is_seed && (v < 1 || v > max)))
                return cli_usage_error(&SWEEP_CMD, "%s: '%s' is not a number from 1 to %llu", arg, value,
                                       (unsigned long long)max);
            *(strcmp(arg, "--ms") == 0             ? &n_ms
              : is_seed                            ? &seed
              : strcmp(arg, "--replications") == 0 ? &replications
              : strcmp(arg, "--jobs") == 0         ? &jobs
                                                   : &duration) = v;
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
    if (ideal)
        tekho_sim_params_ideal(&base);
    for (size_t k = 0; k < n_fixed; k++)
        fixed[k]->apply(&base, fixed_value[k]);
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
    struct ci95 *p99 = calloc(n_points * n_schemes, sizeof *p99);
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
                 "pn_reuse,tek_mismatch,released,self_sync,ho_window_lost,wall_s,");
    fprintf(csv, "replications,model_ul_ms,model_dl_ms,model_union_ms,model_m2134_union_ms");
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        const char *n = tekho_sim_direction_name((enum tekho_sim_direction)d);
        fprintf(csv, ",%s_mean_lo,%s_mean_hi,%s_p50_lo,%s_p50_hi,%s_p99_lo,%s_p99_hi", n, n, n, n, n, n);
    }
    fprintf(csv, ",m2134_union_p99_lo,m2134_union_p99_hi");
    static const char *const diffs[N_DIFFS] = {"union_mean", "union_p50", "union_p99", "m2134_union_p99"};
    for (int k = 0; k < N_DIFFS; k++)
        fprintf(csv, ",d_%s_vs_counter,d_%s_lo,d_%s_hi", diffs[k], diffs[k], diffs[k]);
    fprintf(csv, ",pingpong,crossings,harq_retransmissions,harq_lost,ranging_contended\n");
    printf("%zu points x %zu schemes, hex:%u, %llu MSs, %llu s each, %llu replications (seeds %llu..%llu)%s\n\n",
           n_points, n_schemes, base.n_bs, (unsigned long long)n_ms, (unsigned long long)duration,
           (unsigned long long)replications, (unsigned long long)seed,
           (unsigned long long)(seed + replications - 1), ideal ? ", ideal" : "");
    for (size_t a = 0; a < n_axes; a++)
        printf("%-12s ", axes[a].param->name);
    printf("%-18s %9s %8s %8s %18s %7s %8s %8s %9s %8s\n", "scheme", "handovers", "censored", "un p50", "un p99",
           "model", "M.2134", "verdict", "air B/HO", "insecure");
    tekho_err err = TEKHO_OK;
    for (size_t pt = 0; pt < n_points && err == TEKHO_OK; pt++) {
        struct tekho_sim_params p = base;
        size_t at[MAX_AXES];
        for (size_t a = 0; a < n_axes; a++) {
            at[a] = (pt / stride[a]) % axes[a].n;
            axes[a].param->apply(&p, axes[a].values[at[a]]);
        }
        struct report_run runs[TEKHO_SCHEME_COUNT];
        err = emulate_schemes(&p, schemes, n_schemes, (unsigned)duration, (size_t)replications, (unsigned)jobs, true,
                              false, runs);
        for (size_t k = 0; k < n_schemes && err == TEKHO_OK; k++) {
            const struct report_run *run = &runs[k];
            csv_row(csv, axes, n_axes, at, run);
            p99[pt * n_schemes + k] = run->ci[TEKHO_SIM_UNION].p99;
            const struct tekho_sim_stats *s = &run->st;
            char p99_text[48];
            if (run->ci[TEKHO_SIM_UNION].p99.valid)
                snprintf(p99_text, sizeof p99_text, "%.1f [%.1f,%.1f]", s->interruption[TEKHO_SIM_UNION].p99_ms,
                         run->ci[TEKHO_SIM_UNION].p99.lo, run->ci[TEKHO_SIM_UNION].p99.hi);
            else
                snprintf(p99_text, sizeof p99_text, "%.1f", s->interruption[TEKHO_SIM_UNION].p99_ms);
            for (size_t a = 0; a < n_axes; a++)
                printf("%-12llu ", (unsigned long long)axes[a].values[at[a]]);
            printf("%-18s %9lu %8lu %8.1f %18s %7.1f %8.1f %8s %9.0f %8lu\n", tekho_scheme_name(schemes[k]),
                   s->executed, s->interruption[TEKHO_SIM_UNION].censored, s->interruption[TEKHO_SIM_UNION].p50_ms,
                   p99_text, run->model[TEKHO_SIM_UNION], report_m2134_p99(run), report_m2134_verdict(run),
                   per_ho(s->ho_air_bytes, s->completed),
                   s->replayed_pdus_accepted + s->forged_pdus_accepted + s->pn_reuse + s->tek_mismatch_after_ho);
            fflush(stdout);
        }
        for (size_t k = 0; k < n_schemes; k++)
            report_run_free(&runs[k]);
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
