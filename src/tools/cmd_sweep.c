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

static const struct cli_opt SWEEP_OPTS[] = {
    {.name = "report", .kind = CLI_STR, .arg = "DIR", .required = true,
     .help = "write DIR/sweep.csv, the plots' data and the plots (gnuplot) into DIR, created with its parents"},
    {.name = "topology", .kind = CLI_STR, .arg = "hex:N", .help = "the grid (default hex:19)"},
    {.name = "schemes", .kind = CLI_STR, .arg = "A,B,...",
     .help = "the schemes compared, comma-separated, each at most once (default: all)"},
    {.name = "ms", .kind = CLI_NUM, .min = 1, .max = TEKHO_SIM_MAX_MS, .help = "MSs (default 100)"},
    {.name = "duration", .kind = CLI_NUM, .min = 1, .max = 86400, .help = "simulated seconds (default 60)"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX,
     .help = "the random seed (default 1); replication r runs seed + r"},
    {.name = "replications", .kind = CLI_NUM, .min = 1, .max = 1000,
     .help = "replications at every point (default 5)"},
    {.name = "jobs", .kind = CLI_NUM, .min = 1, .max = 64,
     .help = "replications run on this many threads (default: the processors online)"},
    {.name = "ideal", .kind = CLI_FLAG, .help = "the deterministic model, no variability (as tekho sim --ideal)"},
    {.name = "crypto-all", .kind = CLI_FLAG, .help = "seal and open every PDU, not only around handovers"},
};
enum { SW_REPORT, SW_TOPOLOGY, SW_SCHEMES, SW_MS, SW_DURATION, SW_SEED, SW_REPLICATIONS, SW_JOBS, SW_IDEAL,
       SW_CRYPTO_ALL, SW_N_OPTS };

static const char SWEEP_SYNOPSIS[] =
    "PARAM=v1,v2,... [PARAM=...] --report DIR [--topology hex:N] [--ms M] [--duration S]\n"
    "                   [--schemes A,B,...] [--seed N] [--replications R] [--jobs J] [--ideal] [--crypto-all]\n"
    "                   [--PARAM v ...] [--json]";
static const char SWEEP_DESCRIPTION[] =
    "Runs the emulator's scheme comparison (tekho sim --topology) at every point of the grid the\n"
    "PARAM=v1,v2,... arguments span (up to 4 parameters, 16 values each, 256 points), R replications\n"
    "each (seeds seed .. seed + R - 1), prints tekho sim's table for each point and writes\n"
    "DIR/sweep.csv, one row per point and scheme with 95 % intervals, and a p99-against-parameter plot\n"
    "with error bars for each swept parameter (gnuplot; missing: a warning, no plots). PARAM (an axis,\n"
    "or fixed with --PARAM v) is any option below from --frame-us on, in its unit (percent for rates).\n"
    "--json prints one JSON object: params, axes, and for each point its values and each scheme's\n"
    "result as tekho sim --json gives it.";

/* The command's table: its own options, then every model parameter. */
struct sweep_table {
    char schemes_help[768];
    struct cli_opt opts[CLI_MAX_OPTS];
    struct cli_cmd cmd;
};

static void sweep_table(struct sweep_table *t)
{
    size_t n = 0;
    for (size_t k = 0; k < SW_N_OPTS; k++)
        t->opts[n++] = SWEEP_OPTS[k];
    char names[512];
    scheme_list(names, sizeof names, ",");
    snprintf(t->schemes_help, sizeof t->schemes_help, "%s\n      A: %s", SWEEP_OPTS[SW_SCHEMES].help, names);
    t->opts[SW_SCHEMES].help = t->schemes_help;
    n = model_params_opts(t->opts, n, CLI_MAX_OPTS, 0, NULL);
    t->cmd = (struct cli_cmd){.name = "sweep", .synopsis = SWEEP_SYNOPSIS, .description = SWEEP_DESCRIPTION,
                              .opts = t->opts, .n_opts = n, .operands = "PARAM=v1,v2,...", .min_operands = 1,
                              .max_operands = MAX_AXES};
}

struct axis {
    const struct model_param *param;
    double values[MAX_VALUES];
    size_t n;
};

static int parse_axis(const struct cli_cmd *cmd, const char *arg, struct axis *out)
{
    const char *eq = strchr(arg, '=');
    out->param = eq ? model_param_find(arg, (size_t)(eq - arg)) : NULL;
    if (out->param == NULL)
        return cli_usage_error(cmd, "unknown parameter in '%s' (a PARAM=v1,v2,... of the options from --frame-us "
                                    "on)",
                               arg);
    out->n = 0;
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", eq + 1) >= (int)sizeof buf)
        return cli_usage_error(cmd, "%s: too long", out->param->name);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (out->n == MAX_VALUES)
            return cli_usage_error(cmd, "%s: at most %d values", out->param->name, MAX_VALUES);
        if (model_param_parse(out->param, tok, &out->values[out->n]) != 0) {
            char lo[32], hi[32];
            model_param_format(lo, sizeof lo, out->param->min);
            model_param_format(hi, sizeof hi, out->param->max);
            return cli_usage_error(cmd, "%s: '%s' is not %s from %s to %s", out->param->name, tok,
                                   out->param->real ? "a number" : "an integer", lo, hi);
        }
        out->n++;
    }
    if (out->n == 0)
        return cli_usage_error(cmd, "%s: no values", out->param->name);
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
    for (size_t a = 0; a < n_axes; a++) {
        char v[32];
        model_param_format(v, sizeof v, axes[a].values[at[a]]);
        fprintf(f, "%s,", v);
    }
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
    fprintf(f, ",%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n", s->pingpong, s->crossings, s->harq_retransmissions,
            s->harq_lost, s->ranging_contended, s->returns, s->returns_5s, s->left_nearest, s->off_nearest,
            s->served_measurements);
}

/* p99 (union) against each swept parameter, with its interval, the other
 * parameters at their first value. */
static void plot_axes(const char *dir, const struct axis *axes, size_t n_axes, const enum tekho_scheme *schemes,
                      size_t n_schemes, const struct ci95 *p99, const size_t *stride)
{
    bool any = false;
    for (size_t a = 0; a < n_axes; a++)
        any |= axes[a].n >= 2;
    if (any && !report_have_tool("gnuplot"))
        fprintf(stderr, "tekho sweep: warning: gnuplot is not installed: no plots (their data is in %s/sweep_*.dat; "
                        "Debian: apt-get install gnuplot-nox)\n",
                dir);
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
            char v[32];
            model_param_format(v, sizeof v, axes[a].values[i]);
            fprintf(f, "%s", v);
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
        if (report_have_tool("gnuplot") && !report_gnuplot(dir, script))
            fprintf(stderr, "tekho sweep: warning: gnuplot failed on sweep_%s (see %s/plots.gp)\n",
                    axes[a].param->name, dir);
    }
}

static int sweep(const struct cli_args *a, const struct cli_cmd *cmd);

int cmd_sweep(int argc, char **argv)
{
    struct sweep_table t;
    sweep_table(&t);
    struct cli_args a;
    int rc = cli_parse(&t.cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = sweep(&a, &t.cmd);
    cli_args_free(&a);
    return rc;
}

static int sweep(const struct cli_args *a, const struct cli_cmd *cmd)
{
    struct axis axes[MAX_AXES];
    const size_t n_axes = a->n_operands;
    for (size_t i = 0; i < n_axes; i++) {
        const int rc = parse_axis(cmd, a->operands[i], &axes[i]);
        if (rc >= 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (axes[j].param == axes[i].param)
                return cli_usage_error(cmd, "%s given twice", axes[i].param->name);
        if (a->v[SW_N_OPTS + (size_t)(axes[i].param - MODEL_PARAMS)].present)
            return cli_usage_error(cmd, "%s is swept and fixed (--%s) at once", axes[i].param->name,
                                   axes[i].param->name);
    }
    const char *report = (const char *)a->v[SW_REPORT].bytes;
    const char *topology = a->v[SW_TOPOLOGY].present ? (const char *)a->v[SW_TOPOLOGY].bytes : "hex:19";
    const char *schemes_arg = a->v[SW_SCHEMES].present ? (const char *)a->v[SW_SCHEMES].bytes : NULL;
    const uint64_t n_ms = a->v[SW_MS].present ? a->v[SW_MS].num : 100;
    const uint64_t duration = a->v[SW_DURATION].present ? a->v[SW_DURATION].num : 60;
    const uint64_t seed = a->v[SW_SEED].present ? a->v[SW_SEED].num : 1;
    const uint64_t replications = a->v[SW_REPLICATIONS].present ? a->v[SW_REPLICATIONS].num : 5;
    const unsigned jobs = a->v[SW_JOBS].present ? (unsigned)a->v[SW_JOBS].num : emulator_jobs();
    const bool ideal = a->v[SW_IDEAL].present, json = a->json;
    enum tekho_scheme schemes[TEKHO_SCHEME_COUNT];
    size_t n_schemes = 0;
    struct tekho_sim_params base;
    int rc = emulator_params(cmd, topology, schemes_arg, (unsigned)n_ms, seed, &base, schemes, &n_schemes);
    if (rc >= 0)
        return rc;
    if (ideal)
        tekho_sim_params_ideal(&base);
    for (size_t k = SW_N_OPTS; k < cmd->n_opts; k++)
        if (a->v[k].present)
            MODEL_PARAMS[k - SW_N_OPTS].apply(&base, a->v[k].real);
    base.radio.crypto_all = a->v[SW_CRYPTO_ALL].present;
    /* Points in row-major order over the axes: stride[a] points per step of axis a. */
    size_t stride[MAX_AXES], n_points = 1;
    for (size_t x = n_axes; x-- > 0;) {
        stride[x] = n_points;
        n_points *= axes[x].n;
        if (n_points > MAX_POINTS)
            return cli_usage_error(cmd, "the grid has more than %d points", MAX_POINTS);
    }
    if ((rc = cli_output_dir(cmd, "report", report)) >= 0)
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", report);
    FILE *csv = fopen(path, "w");
    struct ci95 *p99 = calloc(n_points * n_schemes, sizeof *p99);
    if (csv == NULL || p99 == NULL) {
        const int rc2 = cli_usage_error(cmd, "--report: cannot write '%s': %s", path,
                                        csv == NULL ? strerror(errno) : "out of memory");
        if (csv)
            fclose(csv);
        free(p99);
        return rc2;
    }
    for (size_t x = 0; x < n_axes; x++)
        fprintf(csv, "%s,", axes[x].param->name);
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
    fprintf(csv, ",pingpong,crossings,harq_retransmissions,harq_lost,ranging_contended,returns,returns_5s,"
                 "left_nearest,off_nearest,served_measurements\n");
    if (json) {
        printf("{");
        sim_params_json(stdout, &base, (unsigned)duration, (size_t)replications, ideal);
        printf(", \"axes\": [");
        for (size_t x = 0; x < n_axes; x++) {
            printf("%s{\"name\": \"%s\", \"values\": [", x ? ", " : "", axes[x].param->name);
            for (size_t i = 0; i < axes[x].n; i++) {
                char v[32];
                model_param_format(v, sizeof v, axes[x].values[i]);
                printf("%s%s", i ? ", " : "", v);
            }
            printf("]}");
        }
        printf("], \"csv\": ");
        cli_json_string(stdout, path);
        printf(", \"points\": [");
    } else {
        printf("%zu points x %zu schemes, hex:%u, %llu MSs, %llu s each, %llu replications (seeds %llu..%llu)%s\n",
               n_points, n_schemes, base.n_bs, (unsigned long long)n_ms, (unsigned long long)duration,
               (unsigned long long)replications, (unsigned long long)seed,
               (unsigned long long)(seed + replications - 1), ideal ? ", ideal" : "");
        sim_table_legend(stdout);
        for (size_t x = 0; x < n_axes; x++)
            printf("%-12s ", axes[x].param->name);
        sim_table_heading(stdout);
    }
    fflush(stdout);
    tekho_err err = TEKHO_OK;
    for (size_t pt = 0; pt < n_points && err == TEKHO_OK; pt++) {
        struct tekho_sim_params p = base;
        size_t at[MAX_AXES];
        for (size_t x = 0; x < n_axes; x++) {
            at[x] = (pt / stride[x]) % axes[x].n;
            axes[x].param->apply(&p, axes[x].values[at[x]]);
        }
        struct report_run runs[TEKHO_SCHEME_COUNT];
        err = emulate_schemes(&p, schemes, n_schemes, (unsigned)duration, (size_t)replications, jobs, true, false,
                              runs);
        if (err == TEKHO_OK && json) {
            printf("%s{", pt ? ", " : "");
            for (size_t x = 0; x < n_axes; x++) {
                char v[32];
                model_param_format(v, sizeof v, axes[x].values[at[x]]);
                printf("\"%s\": %s, ", axes[x].param->name, v);
            }
            printf("\"schemes\": {");
        }
        for (size_t k = 0; k < n_schemes && err == TEKHO_OK; k++) {
            const struct report_run *run = &runs[k];
            csv_row(csv, axes, n_axes, at, run);
            p99[pt * n_schemes + k] = run->ci[TEKHO_SIM_UNION].p99;
            if (json) {
                printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(run->scheme));
                sim_result_json(stdout, NULL, seed, run, &p, (unsigned)duration);
                continue;
            }
            for (size_t x = 0; x < n_axes; x++) {
                char v[32];
                model_param_format(v, sizeof v, axes[x].values[at[x]]);
                printf("%-12s ", v);
            }
            sim_table_row(stdout, run);
        }
        if (err == TEKHO_OK && json)
            printf("}}");
        fflush(stdout);
        for (size_t k = 0; k < n_schemes; k++)
            report_run_free(&runs[k]);
    }
    if (json)
        printf("]%s", err == TEKHO_OK ? "}\n" : "");
    if (json && err != TEKHO_OK) {
        printf(", \"error\": ");
        cli_json_string(stdout, tekho_strerror(err));
        printf("}\n");
    }
    const bool csv_ok = !ferror(csv);
    if (fclose(csv) != 0 || !csv_ok) {
        free(p99);
        fprintf(stderr, "tekho sweep: --report: cannot write '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (err == TEKHO_OK)
        plot_axes(report, axes, n_axes, schemes, n_schemes, p99, stride);
    free(p99);
    if (err != TEKHO_OK) {
        fprintf(stderr, "tekho sweep: %s\n", tekho_strerror(err));
        return CLI_EXIT_FAILED;
    }
    if (!json)
        printf("\nsweep: %s (plots: %s/sweep_PARAM.png)\n", path, report);
    return CLI_EXIT_OK;
}
