/* tekho sweep: the emulator's comparison over a grid of parameters. Every
 * point of the grid runs every scheme on the same mobility (replication r
 * of every scheme at every point runs seed + r, whatever -j and --shard
 * are); each (point, scheme) is one CSV row, and each swept parameter gets
 * a plot of p99 interruption (union) against it, the others held at their
 * first value. Every (point, scheme, replication) is one job of one pool
 * of threads (emulate_grid), the points handed back in grid order, so the
 * output does not depend on -j; --shard I/N runs the I-th of N interleaved
 * slices of the grid, and tekho sweep merge (sweep_merge.c) puts the
 * slices' directories together (sweep.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "sweep.h"
#include "tekho/sim.h"

/* The parameters: the emulator's model parameters (model_params.c),
 * each an axis NAME=v1,v2,... or a fixed --NAME v, as tekho sim takes it. */
#define MAX_AXES SWEEP_MAX_AXES
#define MAX_VALUES SWEEP_MAX_VALUES
#define MAX_POINTS SWEEP_MAX_POINTS

static const struct cli_opt SWEEP_OPTS[] = {
    {.name = "report", .kind = CLI_STR, .arg = "DIR", .required = true,
     .help = "write DIR/sweep.csv, DIR/sweep.manifest, the plots' data and the plots (gnuplot) into DIR,\n"
             "      created with its parents"},
    {.name = "topology", .kind = CLI_STR, .arg = "hex:N", .help = "the grid (default hex:19)"},
    {.name = "schemes", .kind = CLI_STR, .arg = "A,B,...",
     .help = "the schemes compared, comma-separated, each at most once (default: all)"},
    {.name = "ms", .kind = CLI_NUM, .min = 1, .max = TEKHO_SIM_MAX_MS, .help = "MSs (default 100)"},
    {.name = "duration", .kind = CLI_NUM, .min = 1, .max = 86400, .help = "simulated seconds (default 60)"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX,
     .help = "the random seed (default 1); replication r runs seed + r"},
    {.name = "replications", .kind = CLI_NUM, .min = 1, .max = 1000,
     .help = "replications at every point (default 5)"},
    {.name = "jobs", .kind = CLI_NUM, .min = 1, .max = 64, .short_name = 'j', .arg = "J",
     .help = "points and replications run on this many threads (default: the processors online);\n"
             "      the output does not depend on it but for sweep.csv's wall_s"},
    {.name = "shard", .kind = CLI_STR, .arg = "I/N",
     .help = "run the I-th of N slices of the grid (the points p with (p - 1) mod N = I - 1) into DIR:\n"
             "      its rows of sweep.csv and sweep.manifest, no plots; tekho sweep merge puts the N\n"
             "      directories together"},
    {.name = "ideal", .kind = CLI_FLAG, .help = "the deterministic model, no variability (as tekho sim --ideal)"},
    {.name = "crypto-all", .kind = CLI_FLAG, .help = "seal and open every PDU, not only around handovers"},
};
enum { SW_REPORT, SW_TOPOLOGY, SW_SCHEMES, SW_MS, SW_DURATION, SW_SEED, SW_REPLICATIONS, SW_JOBS, SW_SHARD,
       SW_IDEAL, SW_CRYPTO_ALL, SW_N_OPTS };

static const char SWEEP_SYNOPSIS[] =
    "PARAM=v1,v2,... [PARAM=...] --report DIR [--topology hex:N] [--ms M] [--duration S]\n"
    "                   [--schemes A,B,...] [--seed N] [--replications R] [--jobs J] [--shard I/N] [--ideal]\n"
    "                   [--crypto-all] [--PARAM v ...] [--json]\n"
    "       tekho sweep merge DIR... --report OUT [--json]";
static const char SWEEP_DESCRIPTION[] =
    "Runs the emulator's scheme comparison (tekho sim --topology) at every point of the grid the\n"
    "PARAM=v1,v2,... arguments span (up to 4 parameters, 16 values each, 256 points), R replications\n"
    "each (seeds seed .. seed + R - 1), prints tekho sim's table for each point and writes\n"
    "DIR/sweep.csv, one row per point and scheme with 95 % intervals, and a p99-against-parameter plot\n"
    "with error bars for each swept parameter (gnuplot; missing: a warning, no plots). PARAM (an axis,\n"
    "or fixed with --PARAM v) is any option below from --frame-us on, in its unit (percent for rates).\n"
    "--json prints one JSON object: params, axes, and for each point its number and values and each\n"
    "scheme's result as tekho sim --json gives it. Replication r of every scheme runs seed + r at every\n"
    "point, so neither -j nor --shard changes a figure; sweep.csv's wall_s (the runs' thread time) is\n"
    "the only column that differs from one run to the next. DIR/sweep.manifest, written last, names the\n"
    "grid, the shard and its points; tekho sweep merge checks the shards against it and writes the\n"
    "sweep.csv, manifest and plots one unsharded run writes.";

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

static int parse_axis(const struct cli_cmd *cmd, const char *arg, struct sweep_axis *out)
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

/* --shard I/N: 1 <= I <= N <= MAX_POINTS. */
static int parse_shard(const struct cli_cmd *cmd, const char *text, unsigned *index, unsigned *count)
{
    char buf[32];
    uint64_t i = 0, n = 0;
    char *slash = NULL;
    if (snprintf(buf, sizeof buf, "%s", text) < (int)sizeof buf && (slash = strchr(buf, '/')) != NULL) {
        *slash = '\0';
        if (cli_parse_number(buf, &i) == 0 && cli_parse_number(slash + 1, &n) == 0 && i >= 1 && i <= n &&
            n <= MAX_POINTS && strncmp(buf, "0x", 2) != 0 && strncmp(slash + 1, "0x", 2) != 0) {
            *index = (unsigned)i;
            *count = (unsigned)n;
            return -1;
        }
    }
    return cli_usage_error(cmd, "--shard: I/N with 1 <= I <= N <= %d (the I-th of N slices), got '%s'", MAX_POINTS,
                           text);
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
static void csv_row(FILE *f, const struct sweep_grid *g, const size_t *at, const struct report_run *r)
{
    for (size_t a = 0; a < g->n_axes; a++) {
        char v[32];
        model_param_format(v, sizeof v, g->axes[a].values[at[a]]);
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

/* One sweep's points as emulate_grid hands them back: the shard's i-th
 * point is the grid's held[i]. */
struct sweep_run {
    const struct sweep_grid *g;
    const struct tekho_sim_params *base;
    size_t held[MAX_POINTS], n_held;
    FILE *csv;
    bool json;
    uint64_t seed;
    unsigned duration;
};

static void point_params(void *ctx, size_t i, struct tekho_sim_params *p)
{
    const struct sweep_run *run = ctx;
    size_t at[MAX_AXES];
    sweep_point_at(run->g, run->held[i], at);
    *p = *run->base;
    for (size_t x = 0; x < run->g->n_axes; x++)
        run->g->axes[x].param->apply(p, run->g->axes[x].values[at[x]]);
}

/* Point i's table rows or JSON object, and its CSV rows. */
static tekho_err point_done(void *ctx, size_t i, const struct tekho_sim_params *p, struct report_run *runs)
{
    const struct sweep_run *run = ctx;
    const struct sweep_grid *g = run->g;
    size_t at[MAX_AXES];
    sweep_point_at(g, run->held[i], at);
    char values[MAX_AXES][32];
    for (size_t x = 0; x < g->n_axes; x++)
        model_param_format(values[x], sizeof values[x], g->axes[x].values[at[x]]);
    if (run->json) {
        printf("%s{\"point\": %zu, ", i ? ", " : "", run->held[i] + 1);
        for (size_t x = 0; x < g->n_axes; x++)
            printf("\"%s\": %s, ", g->axes[x].param->name, values[x]);
        printf("\"schemes\": {");
    }
    for (size_t k = 0; k < g->n_schemes; k++) {
        csv_row(run->csv, g, at, &runs[k]);
        if (run->json) {
            printf("%s\"%s\": ", k ? ", " : "", tekho_scheme_name(runs[k].scheme));
            sim_result_json(stdout, NULL, run->seed, &runs[k], p, run->duration);
            continue;
        }
        for (size_t x = 0; x < g->n_axes; x++)
            printf("%-12s ", values[x]);
        sim_table_row(stdout, &runs[k]);
    }
    if (run->json)
        printf("}}");
    fflush(stdout);
    return TEKHO_OK;
}

static int sweep(const struct cli_args *a, const struct cli_cmd *cmd);

int cmd_sweep(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "merge") == 0)
        return sweep_merge(argc - 1, argv + 1);
    struct sweep_table t;
    sweep_table(&t);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage(&t.cmd, stdout);
            fputc('\n', stdout);
            sweep_merge_usage(stdout);
            return CLI_EXIT_OK;
        }
    }
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
    struct sweep_grid g;
    memset(&g, 0, sizeof g);
    g.n_axes = a->n_operands;
    for (size_t i = 0; i < g.n_axes; i++) {
        const int rc = parse_axis(cmd, a->operands[i], &g.axes[i]);
        if (rc >= 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (g.axes[j].param == g.axes[i].param)
                return cli_usage_error(cmd, "%s given twice", g.axes[i].param->name);
        if (a->v[SW_N_OPTS + (size_t)(g.axes[i].param - MODEL_PARAMS)].present)
            return cli_usage_error(cmd, "%s is swept and fixed (--%s) at once", g.axes[i].param->name,
                                   g.axes[i].param->name);
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
    unsigned shard = 1, shards = 1;
    int rc;
    if (a->v[SW_SHARD].present && (rc = parse_shard(cmd, (const char *)a->v[SW_SHARD].bytes, &shard, &shards)) >= 0)
        return rc;
    struct tekho_sim_params base;
    rc = emulator_params(cmd, topology, schemes_arg, (unsigned)n_ms, seed, &base, g.schemes, &g.n_schemes);
    if (rc >= 0)
        return rc;
    if (ideal)
        tekho_sim_params_ideal(&base);
    for (size_t k = SW_N_OPTS; k < cmd->n_opts; k++)
        if (a->v[k].present)
            MODEL_PARAMS[k - SW_N_OPTS].apply(&base, a->v[k].real);
    base.radio.crypto_all = a->v[SW_CRYPTO_ALL].present;
    /* Points in row-major order over the axes: stride[a] points per step of axis a. */
    if (!sweep_grid_layout(&g))
        return cli_usage_error(cmd, "the grid has more than %d points", MAX_POINTS);
    sweep_grid_fixed(&g, &base, (unsigned)duration, (size_t)replications, ideal);
    struct sweep_run run = {.g = &g, .base = &base, .json = json, .seed = seed, .duration = (unsigned)duration};
    for (size_t pt = 0; pt < g.n_points; pt++)
        if (sweep_in_shard(pt, shard, shards))
            run.held[run.n_held++] = pt;
    if ((rc = cli_output_dir(cmd, "report", report)) >= 0)
        return rc;
    /* A manifest says sweep.csv is complete: none until it is again. */
    sweep_manifest_remove(report);
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", report);
    if ((run.csv = fopen(path, "w")) == NULL)
        return cli_usage_error(cmd, "--report: cannot write '%s': %s", path, strerror(errno));
    sweep_csv_header(run.csv, &g);
    if (json) {
        printf("{");
        sim_params_json(stdout, &base, (unsigned)duration, (size_t)replications, ideal);
        printf(", \"axes\": [");
        for (size_t x = 0; x < g.n_axes; x++) {
            printf("%s{\"name\": \"%s\", \"values\": [", x ? ", " : "", g.axes[x].param->name);
            for (size_t i = 0; i < g.axes[x].n; i++) {
                char v[32];
                model_param_format(v, sizeof v, g.axes[x].values[i]);
                printf("%s%s", i ? ", " : "", v);
            }
            printf("]}");
        }
        printf("], \"csv\": ");
        cli_json_string(stdout, path);
        printf(", \"shard\": {\"index\": %u, \"count\": %u, \"points\": [", shard, shards);
        for (size_t i = 0; i < run.n_held; i++)
            printf("%s%zu", i ? ", " : "", run.held[i] + 1);
        printf("]}, \"points\": [");
    } else {
        if (shards > 1)
            printf("shard %u/%u: %zu of ", shard, shards, run.n_held);
        printf("%zu points x %zu schemes, hex:%u, %llu MSs, %llu s each, %llu replications (seeds %llu..%llu)%s\n",
               g.n_points, g.n_schemes, base.n_bs, (unsigned long long)n_ms, (unsigned long long)duration,
               (unsigned long long)replications, (unsigned long long)seed,
               (unsigned long long)(seed + replications - 1), ideal ? ", ideal" : "");
        sim_table_legend(stdout);
        for (size_t x = 0; x < g.n_axes; x++)
            printf("%-12s ", g.axes[x].param->name);
        sim_table_heading(stdout);
    }
    fflush(stdout);
    const struct emulate_grid grid = {.n_points = run.n_held, .point = point_params, .done = point_done, .ctx = &run};
    const tekho_err err = emulate_grid(&grid, g.schemes, g.n_schemes, (unsigned)duration, (size_t)replications, jobs,
                                       true, false);
    if (json)
        printf("]%s", err == TEKHO_OK ? "}\n" : "");
    if (json && err != TEKHO_OK) {
        printf(", \"error\": ");
        cli_json_string(stdout, tekho_strerror(err));
        printf("}\n");
    }
    const bool csv_ok = !ferror(run.csv);
    if (fclose(run.csv) != 0 || !csv_ok) {
        fprintf(stderr, "tekho sweep: --report: cannot write '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (err != TEKHO_OK) {
        fprintf(stderr, "tekho sweep: %s\n", tekho_strerror(err));
        return CLI_EXIT_FAILED;
    }
    char why[4400];
    if (sweep_manifest_write(report, &g, shard, shards, why, sizeof why) != 0) {
        fprintf(stderr, "tekho sweep: --report: %s\n", why);
        return CLI_EXIT_FAILED;
    }
    if (shards == 1) {
        /* The plots from sweep.csv as written, as tekho sweep merge draws them. */
        char **rows = calloc(g.n_points * g.n_schemes, sizeof *rows);
        const int read = rows ? sweep_csv_read(report, &g, 1, 1, rows, why, sizeof why) : -1;
        if (read == 0)
            sweep_plots(report, &g, rows, "sweep");
        else
            fprintf(stderr, "tekho sweep: warning: no plots: %s\n", rows ? why : "out of memory");
        for (size_t k = 0; rows != NULL && k < g.n_points * g.n_schemes; k++)
            free(rows[k]);
        free(rows);
    }
    if (!json && shards == 1)
        printf("\nsweep: %s (plots: %s/sweep_PARAM.png)\n", path, report);
    else if (!json)
        printf("\nsweep: %s, shard %u/%u (tekho sweep merge puts the %u directories together, with the plots)\n",
               path, shard, shards, shards);
    return CLI_EXIT_OK;
}
