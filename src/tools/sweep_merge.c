/* tekho sweep merge DIR... --report OUT: the shards of one sweep (tekho
 * sweep --shard I/N, each into its own directory, on any machines) put
 * together into the sweep.csv, sweep.manifest and plots one unsharded run
 * writes (sweep.h). It refuses, naming the directories, shards of
 * different grids or versions, of different N, a shard given twice, a
 * missing one, and a sweep.csv that does not hold its shard's rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweep.h"

static const struct cli_opt MERGE_OPTS[] = {
    {.name = "report", .kind = CLI_STR, .arg = "OUT", .required = true,
     .help = "write OUT/sweep.csv, OUT/sweep.manifest, the plots' data and the plots (gnuplot) into OUT,\n"
             "      created with its parents"},
};
enum { MG_REPORT, MG_N_OPTS };

static const struct cli_cmd MERGE_CMD = {
    .name = "sweep merge",
    .synopsis = "DIR... --report OUT [--json]",
    .description =
        "Puts together the directories of the N shards of one sweep (tekho sweep ... --shard I/N --report DIR,\n"
        "I = 1..N, each DIR holding its sweep.csv rows and sweep.manifest): OUT gets the sweep.csv, the\n"
        "sweep.manifest (shard 1/1) and the plots one run without --shard writes, sweep.csv's wall_s\n"
        "column aside. Exit status 1, naming the directories, if they are not the N shards of one grid\n"
        "made by one tekho version, each once (a DIR without a manifest is a run that did not finish).\n"
        "--json prints the grid's axes and schemes, the shards and the CSV's path.",
    .opts = MERGE_OPTS,
    .n_opts = MG_N_OPTS,
    .operands = "DIR...",
    .min_operands = 1,
    .max_operands = SWEEP_MAX_POINTS,
};

void sweep_merge_usage(FILE *to)
{
    cli_usage(&MERGE_CMD, to);
}

static int merge(const struct cli_args *a, char *why, size_t cap);

int sweep_merge(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&MERGE_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *out = (const char *)a.v[MG_REPORT].bytes;
    if ((rc = cli_output_dir(&MERGE_CMD, "report", out)) >= 0) {
        cli_args_free(&a);
        return rc;
    }
    char why[4600];
    rc = merge(&a, why, sizeof why);
    if (rc != CLI_EXIT_OK)
        rc = cli_fail(&MERGE_CMD, a.json, why);
    cli_args_free(&a);
    return rc;
}

/* The manifests checked: one grid, one N, every shard once. by_index[I - 1]
 * is the operand holding shard I. */
static int check_shards(const struct cli_args *a, const struct sweep_manifest *m, size_t *by_index, char *why,
                        size_t cap)
{
    const size_t n = a->n_operands;
    const unsigned count = m[0].count;
    for (size_t d = 1; d < n; d++) {
        if (!sweep_manifest_same_grid(&m[0], a->operands[0], &m[d], a->operands[d], why, cap))
            return -1;
        if (m[d].count != count) {
            snprintf(why, cap, "%s is shard %u/%u, %s shard %u/%u: the shards of one sweep share N", a->operands[0],
                     m[0].index, count, a->operands[d], m[d].index, m[d].count);
            return -1;
        }
    }
    for (unsigned i = 0; i < count; i++)
        by_index[i] = SIZE_MAX;
    for (size_t d = 0; d < n; d++) {
        const unsigned i = m[d].index - 1;
        if (by_index[i] != SIZE_MAX) {
            snprintf(why, cap, "shard %u/%u given twice: %s and %s", m[d].index, count, a->operands[by_index[i]],
                     a->operands[d]);
            return -1;
        }
        by_index[i] = d;
    }
    char missing[1024] = "";
    size_t at = 0, n_missing = 0;
    for (unsigned i = 0; i < count; i++)
        if (by_index[i] == SIZE_MAX && at < sizeof missing)
            at += (size_t)snprintf(missing + at, sizeof missing - at, "%s%u/%u", n_missing++ ? ", " : "", i + 1,
                                   count);
    if (n_missing) {
        snprintf(why, cap, "shard%s %s missing: %zu of the %u shards given", n_missing > 1 ? "s" : "", missing,
                 n, count);
        return -1;
    }
    return 0;
}

static int write_csv(const char *out, const struct sweep_grid *g, char *const *rows, char *why, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", out);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        snprintf(why, cap, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    sweep_csv_header(f, g);
    for (size_t k = 0; k < g->n_points * g->n_schemes; k++)
        fprintf(f, "%s\n", rows[k]);
    const bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        snprintf(why, cap, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int merge(const struct cli_args *a, char *why, size_t cap)
{
    const char *out = (const char *)a->v[MG_REPORT].bytes;
    const size_t n = a->n_operands;
    struct sweep_manifest *m = calloc(n, sizeof *m);
    size_t *by_index = calloc(SWEEP_MAX_POINTS, sizeof *by_index);
    char **rows = NULL;
    int rc = m && by_index ? 0 : -1;
    if (rc != 0)
        snprintf(why, cap, "out of memory");
    for (size_t d = 0; rc == 0 && d < n; d++)
        rc = sweep_manifest_read(a->operands[d], &m[d], why, cap);
    if (rc == 0)
        rc = check_shards(a, m, by_index, why, cap);
    const struct sweep_grid *g = m ? &m[0].g : NULL;
    if (rc == 0 && (rows = calloc(g->n_points * g->n_schemes, sizeof *rows)) == NULL) {
        snprintf(why, cap, "out of memory");
        rc = -1;
    }
    for (size_t d = 0; rc == 0 && d < n; d++)
        rc = sweep_csv_read(a->operands[d], g, m[d].index, m[d].count, rows, why, cap);
    if (rc == 0) {
        /* Everything is read before OUT (which may be one of the DIRs) is written. */
        sweep_manifest_remove(out);
        rc = write_csv(out, g, rows, why, cap);
    }
    if (rc == 0)
        rc = sweep_manifest_write(out, g, 1, 1, why, cap);
    if (rc == 0)
        sweep_plots(out, g, rows, "sweep merge");
    if (rc == 0 && a->json) {
        printf("{\"axes\": [");
        for (size_t x = 0; x < g->n_axes; x++) {
            printf("%s{\"name\": \"%s\", \"values\": [", x ? ", " : "", g->axes[x].param->name);
            for (size_t i = 0; i < g->axes[x].n; i++) {
                char v[32];
                model_param_format(v, sizeof v, g->axes[x].values[i]);
                printf("%s%s", i ? ", " : "", v);
            }
            printf("]}");
        }
        printf("], \"schemes\": [");
        for (size_t k = 0; k < g->n_schemes; k++)
            printf("%s\"%s\"", k ? ", " : "", tekho_scheme_name(g->schemes[k]));
        printf("], \"points\": %zu, \"shards\": [", g->n_points);
        for (unsigned i = 0; i < m[0].count; i++) {
            printf("%s", i ? ", " : "");
            cli_json_string(stdout, a->operands[by_index[i]]);
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/sweep.csv", out);
        printf("], \"csv\": ");
        cli_json_string(stdout, path);
        printf("}\n");
    } else if (rc == 0) {
        printf("%u shards of %zu points x %zu schemes: %s/sweep.csv (plots: %s/sweep_PARAM.png)\n", m[0].count,
               g->n_points, g->n_schemes, out, out);
    }
    for (size_t k = 0; rows != NULL && k < g->n_points * g->n_schemes; k++)
        free(rows[k]);
    free(rows);
    free(by_index);
    free(m);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
