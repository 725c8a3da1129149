/* The emulator's report (issue: the main job). Plots are drawn by gnuplot
 * and message sequence charts by mscgen, both Debian packages; the data
 * behind each plot is written next to it. */
#include "report.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* dir/name into buf; false if it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name)
{
    const int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

static FILE *open_in(const char *dir, const char *name, const char *mode)
{
    char path[4096];
    return join(path, sizeof path, dir, name) ? fopen(path, mode) : NULL;
}

/* An executable called name in a directory of $PATH: the search execvp
 * makes, without starting anything. */
bool report_have_tool(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        char full[4096];
        const int n = len ? snprintf(full, sizeof full, "%.*s/%s", (int)len, p, name)
                          : snprintf(full, sizeof full, "%s", name); /* an empty entry is "." */
        struct stat st;
        if (n > 0 && (size_t)n < sizeof full && stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
            access(full, X_OK) == 0)
            return true;
        if (end == NULL)
            return false;
        p = end;
    }
}

/* Runs argv[0] (found on $PATH) with argv, in dir, with stdin, stdout and
 * stderr on /dev/null, and waits for it: no shell, so neither dir nor any
 * argument is ever parsed as a command. True if it exited with status 0. */
static bool run_tool(const char *dir, char *const argv[])
{
    const pid_t pid = fork(); /* the child never returns and never flushes stdio */
    if (pid < 0)
        return false;
    if (pid == 0) {
        const int null = open("/dev/null", O_RDWR);
        if (chdir(dir) != 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
            dup2(null, STDERR_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool report_gnuplot(const char *dir, const char *script)
{
    if (!report_have_tool("gnuplot"))
        return false;
    FILE *f = open_in(dir, "plots.gp", "a");
    if (f) {
        fputs(script, f);
        fclose(f);
    }
    /* The script goes to gnuplot as a file named on its command line. */
    char path[4096];
    if (!join(path, sizeof path, dir, ".plot-XXXXXX"))
        return false;
    const int fd = mkstemp(path);
    if (fd < 0)
        return false;
    f = fdopen(fd, "w");
    bool ok = f != NULL && fputs(script, f) >= 0;
    if (f == NULL)
        close(fd);
    else if (fclose(f) != 0)
        ok = false;
    if (ok) {
        char *const argv[] = {"gnuplot", strrchr(path, '/') + 1, NULL};
        ok = run_tool(dir, argv);
    }
    unlink(path);
    return ok;
}

static void write_data(const struct report *r)
{
    for (size_t k = 0; k < r->n_runs; k++) {
        char name[64];
        snprintf(name, sizeof name, "cdf_%s.dat", tekho_scheme_name(r->runs[k].scheme));
        FILE *f = open_in(r->dir, name, "w");
        if (f == NULL)
            continue;
        fprintf(f, "# interruption_ms (union) cumulative_fraction (%s)\n", tekho_scheme_name(r->runs[k].scheme));
        for (size_t i = 0; i < r->runs[k].n_samples; i++)
            fprintf(f, "%.3f %.6f\n", r->runs[k].samples[i], (double)(i + 1) / (double)r->runs[k].n_samples);
        fclose(f);
        snprintf(name, sizeof name, "cdf_m2134_%s.dat", tekho_scheme_name(r->runs[k].scheme));
        if ((f = open_in(r->dir, name, "w")) == NULL)
            continue;
        fprintf(f, "# interruption_ms under ITU-R M.2134's assumptions (union) cumulative_fraction (%s)\n",
                tekho_scheme_name(r->runs[k].scheme));
        for (size_t i = 0; i < r->runs[k].n_m2134_samples; i++)
            fprintf(f, "%.3f %.6f\n", r->runs[k].m2134_samples[i],
                    (double)(i + 1) / (double)r->runs[k].n_m2134_samples);
        fclose(f);
    }
    FILE *f = open_in(r->dir, "signalling.dat", "w");
    if (f) {
        fprintf(f, "# scheme, per completed handover (entry and refresh apart): air_bytes backbone_bytes "
                   "tek_bytes_air tek_bytes_backbone air_messages backbone_messages\n");
        for (size_t k = 0; k < r->n_runs; k++) {
            const struct tekho_sim_stats *s = &r->runs[k].st;
            const double ho = s->completed ? (double)s->completed : 1;
            fprintf(f, "%s %.1f %.1f %.1f %.1f %.2f %.2f\n", tekho_scheme_name(r->runs[k].scheme),
                    (double)s->ho_air_bytes / ho, (double)s->ho_backbone_bytes / ho, (double)s->tek_bytes_over_air / ho,
                    (double)s->tek_bytes_over_backbone / ho, (double)s->ho_air_messages / ho,
                    (double)s->ho_backbone_messages / ho);
        }
        fclose(f);
    }
    /* Per latency: for each scheme, DL p50, union p50 and union p99, each value low high. */
    f = open_in(r->dir, "backbone.dat", "w");
    if (f) {
        fprintf(f, "# backbone_us (--backbone-us), then per scheme: dl_p50 lo hi union_p50 lo hi union_p99 lo hi (ms, "
                   "95 %%)\n#");
        for (size_t k = 0; k < r->n_runs; k++)
            fprintf(f, " %s", tekho_scheme_name(r->runs[k].scheme));
        fprintf(f, "\n");
        for (size_t b = 0; b < r->n_backbone; b++) {
            fprintf(f, "%u", r->backbone[b].latency_us);
            for (size_t k = 0; k < r->n_runs; k++) {
                const enum tekho_scheme sc = r->runs[k].scheme;
                const struct ci95 *c[3] = {&r->backbone[b].dl_p50[sc], &r->backbone[b].union_p50[sc],
                                           &r->backbone[b].union_p99[sc]};
                for (int i = 0; i < 3; i++)
                    fprintf(f, " %.3f %.3f %.3f", c[i]->value, c[i]->valid ? c[i]->lo : c[i]->value,
                            c[i]->valid ? c[i]->hi : c[i]->value);
            }
            fprintf(f, "\n");
        }
        fclose(f);
    }
    /* Per scheme: union p50, p99 and M.2134 p99 with their intervals. */
    f = open_in(r->dir, "interruption.dat", "w");
    if (f) {
        fprintf(f, "# scheme union_p50 lo hi union_p99 lo hi m2134_union_p99 lo hi (ms, 95 %%)\n");
        for (size_t k = 0; k < r->n_runs; k++) {
            const struct report_run *x = &r->runs[k];
            const struct ci95 *c[3] = {&x->ci[TEKHO_SIM_UNION].p50, &x->ci[TEKHO_SIM_UNION].p99,
                                       &x->m2134_ci[TEKHO_SIM_UNION].p99};
            fprintf(f, "%s", tekho_scheme_name(x->scheme));
            for (int i = 0; i < 3; i++)
                fprintf(f, " %.3f %.3f %.3f", c[i]->value, c[i]->valid ? c[i]->lo : c[i]->value,
                        c[i]->valid ? c[i]->hi : c[i]->value);
            fprintf(f, "\n");
        }
        fclose(f);
    }
}

static bool draw_plots(const struct report *r)
{
    char script[16384];
    size_t at = 0;
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "set terminal pngcairo size 900,540 noenhanced\nset grid\nset key bottom right\n"
                           "set output 'cdf.png'\n"
                           "set title 'Handover interruption, both directions (union), CDF'\n"
                           "set xlabel 'ms from the MS leaving its serving BS until UL and DL both resumed'\n"
                           "set ylabel 'fraction of the handovers that resumed'\nset yrange [0:1.05]\nset xrange [0:*]\nplot ");
    for (size_t k = 0; k < r->n_runs; k++)
        at += (size_t)snprintf(script + at, sizeof script - at, "%s'cdf_%s.dat' using 1:2 with steps lw 2 title '%s'",
                               k ? ", " : "", tekho_scheme_name(r->runs[k].scheme),
                               tekho_scheme_name(r->runs[k].scheme));
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "\nset output 'm2134.png'\n"
                           "set title 'Handover interruption under ITU-R M.2134 assumptions (union), CDF'\n"
                           "set xlabel 'ms, DL sync, ranging wait and AAA at 0'\n"
                           "set arrow 1 from %.1f,0 to %.1f,1.05 nohead dt 2 lw 2 lc rgb 'red'\n"
                           "set label 1 'M.2134 %.1f ms' at %.1f,0.5 rotate left tc rgb 'red'\nplot ",
                           M2134_LIMIT_MS, M2134_LIMIT_MS, M2134_LIMIT_MS, M2134_LIMIT_MS + 2);
    for (size_t k = 0; k < r->n_runs; k++)
        at += (size_t)snprintf(script + at, sizeof script - at,
                               "%s'cdf_m2134_%s.dat' using 1:2 with steps lw 2 title '%s'", k ? ", " : "",
                               tekho_scheme_name(r->runs[k].scheme), tekho_scheme_name(r->runs[k].scheme));
    /* Against backbone latency, with 95 % intervals: DL p50 (where counter's lead lives) and union p99. */
    static const struct {
        const char *file, *title, *ylabel;
        int column; /* of the scheme's nine */
    } lat[] = {{"backbone_dl.png", "DL interruption, median, against backbone latency (95 % intervals)",
                "DL p50 interruption (ms)", 0},
               {"backbone.png", "Interruption (union), p99, against backbone latency (95 % intervals)",
                "p99 interruption, union (ms)", 6}};
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "\nunset arrow 1\nunset label 1\nset yrange [0:*]\nset xrange [*:*]\nset key top left\n"
                           "set xlabel 'one-way backbone latency, us (--backbone-us)'\n");
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        at += (size_t)snprintf(script + at, sizeof script - at, "set output '%s'\nset title '%s'\nset ylabel '%s'\nplot ",
                               lat[i].file, lat[i].title, lat[i].ylabel);
        for (size_t k = 0; k < r->n_runs; k++) {
            const size_t c = 2 + 9 * k + (size_t)lat[i].column;
            at += (size_t)snprintf(script + at, sizeof script - at,
                                   "%s'backbone.dat' using 1:%zu:%zu:%zu with yerrorlines lw 2 title '%s'",
                                   k ? ", " : "", c, c + 1, c + 2, tekho_scheme_name(r->runs[k].scheme));
        }
        at += (size_t)snprintf(script + at, sizeof script - at, "\n");
    }
    /* Every scheme's union p50, p99 and M.2134 p99 with their intervals. */
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "set output 'interruption.png'\nset title 'Interruption (union) by scheme, 95 %% intervals'\n"
                           "set xlabel ''\nset ylabel 'ms'\nset style data histograms\n"
                           "set style histogram errorbars gap 2 lw 2\nset style fill solid 0.6\nset key top left\n"
                           "plot 'interruption.dat' using 2:3:4:xtic(1) title 'union p50', '' using 5:6:7 title "
                           "'union p99', '' using 8:9:10 title 'M.2134 union p99'\n"
                           "set style histogram clustered\n");
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "set output 'signalling.png'\nset title 'Signalling per handover (entry and refresh apart)'\n"
                           "set style data histograms\nset style histogram clustered\nset style fill solid 0.8\n"
                           "set xlabel ''\nset ylabel 'bytes per handover'\nset key top left\nset xtics rotate by -30\n"
                           "plot 'signalling.dat' using 2:xtic(1) title 'air', '' using 3 title 'backbone', "
                           "'' using 4 title 'TEK material on the air', '' using 5 title 'TEK material on the backbone'\n");
    return report_gnuplot(r->dir, script);
}

/* One handover of a scheme as a message sequence chart, from the trace of
 * the `normal` scenario: from MOB_MSHO-REQ to the count update's ACK. */
static bool draw_msc(const char *dir, enum tekho_scheme scheme)
{
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    if (tekho_sim_scenario("normal", scheme, 1, &sim, &until) != TEKHO_OK)
        return false;
    char trace_name[64], path[4096];
    snprintf(trace_name, sizeof trace_name, "trace_%s.txt", tekho_scheme_name(scheme));
    FILE *trace = join(path, sizeof path, dir, trace_name) ? fopen(path, "w") : NULL;
    if (trace == NULL) {
        tekho_sim_free(sim);
        return false;
    }
    tekho_sim_trace(sim, trace);
    const tekho_err err = tekho_sim_run(sim, until);
    tekho_sim_free(sim);
    fclose(trace);
    if (err != TEKHO_OK || (trace = fopen(path, "r")) == NULL)
        return false;
    char msc_name[64], png_name[64];
    snprintf(msc_name, sizeof msc_name, "msc_%s.msc", tekho_scheme_name(scheme));
    snprintf(png_name, sizeof png_name, "msc_%s.png", tekho_scheme_name(scheme));
    FILE *msc = open_in(dir, msc_name, "w");
    if (msc == NULL) {
        fclose(trace);
        return false;
    }
    fprintf(msc, "msc {\n  hscale=\"1.6\";\n  MS [label=\"MS\"], S [label=\"Serving BS\"], T [label=\"Target BS\"], "
                 "A [label=\"Authenticator\"];\n  |||;\n");
    char line[512];
    bool on = false, ul_data = false, dl_data = false;
    int tail = 0;
    while (fgets(line, sizeof line, trace)) {
        double t;
        char kind[16], a[16], arrow[4], b[16], name[48];
        if (sscanf(line, "%lf %15s", &t, kind) != 2)
            continue;
        if (strcmp(kind, "event") == 0) {
            if (strstr(line, "ms0 HO_STARTED") && !on)
                on = true;
            continue;
        }
        if (!on)
            continue;
        if (strcmp(kind, "air") == 0 &&
            sscanf(line, "%lf air %*s %15s %3s %15s %47s", &t, a, arrow, b, name) == 5) {
            const char *bs = strcmp(b, "bs1") == 0 ? "S" : "T";
            const bool up = strcmp(arrow, "->") == 0;
            if (strcmp(name, "Data") == 0) {
                if (strcmp(bs, "T") != 0 || (up ? ul_data : dl_data) || strstr(line, "LOST"))
                    continue;
                *(up ? &ul_data : &dl_data) = true;
                fprintf(msc, "  %s=>%s [label=\"%s user data (%.1f ms)\", textcolour=\"blue\", linecolour=\"blue\"];\n",
                        up ? "MS" : bs, up ? bs : "MS", up ? "first UL" : "first DL", t);
                continue;
            }
            fprintf(msc, "  %s->%s [label=\"%s\"];\n", up ? "MS" : bs, up ? bs : "MS", name);
        } else if (strcmp(kind, "backbone") == 0 &&
                   sscanf(line, "%lf backbone %15s -> %15s %47s", &t, a, b, name) == 4) {
            const char *from = strcmp(a, "auth0") == 0 ? "A" : strcmp(a, "bs1") == 0 ? "S" : "T";
            const char *to = strcmp(b, "auth0") == 0 ? "A" : strcmp(b, "bs1") == 0 ? "S" : "T";
            fprintf(msc, "  %s->%s [label=\"%s\", linecolour=\"gray\"];\n", from, to, name);
            if (strcmp(name, "CMAC_Key_Count_Update_ACK") == 0 && ++tail >= 2)
                break;
        }
    }
    fprintf(msc, "}\n");
    fclose(msc);
    fclose(trace);
    if (!report_have_tool("mscgen"))
        return false;
    char *const argv[] = {"mscgen", "-T", "png", "-o", png_name, msc_name, NULL};
    return run_tool(dir, argv);
}

void report_ci_json(FILE *f, const struct ci95 *c)
{
    if (c->valid)
        fprintf(f, "[%.3f, %.3f]", c->lo, c->hi);
    else
        fprintf(f, "null");
}

void report_interruption_json(FILE *f, const struct tekho_sim_interruption x[TEKHO_SIM_DIRECTIONS],
                              const struct report_interruption_ci *ci)
{
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        fprintf(f,
                "%s\"%s\": {\"n\": %zu, \"censored\": %lu, \"censored_at_end\": %lu, \"min\": %.3f, \"p50\": %.3f, "
                "\"p99\": %.3f, \"max\": %.3f, \"mean\": %.3f",
                d ? ", " : "", tekho_sim_direction_name((enum tekho_sim_direction)d), x[d].n, x[d].censored,
                x[d].censored_at_end, x[d].min_ms, x[d].p50_ms, x[d].p99_ms, x[d].max_ms, x[d].mean_ms);
        if (ci != NULL) {
            fprintf(f, ", \"p50_ci95\": ");
            report_ci_json(f, &ci[d].p50);
            fprintf(f, ", \"p99_ci95\": ");
            report_ci_json(f, &ci[d].p99);
            fprintf(f, ", \"mean_ci95\": ");
            report_ci_json(f, &ci[d].mean);
        }
        fprintf(f, "}");
    }
}

double report_m2134_p99(const struct report_run *r)
{
    const struct tekho_sim_interruption *u = &r->m2134[TEKHO_SIM_UNION];
    const size_t cut = u->censored - u->censored_at_end, total = u->n + cut;
    if (total == 0 || r->m2134_samples == NULL || r->n_m2134_samples != u->n)
        return 0;
    size_t rank = (size_t)ceil(0.99 * (double)total);
    if (rank < 1)
        rank = 1;
    return rank <= u->n ? r->m2134_samples[rank - 1] : INFINITY;
}

const char *report_m2134_verdict(const struct report_run *r)
{
    const struct tekho_sim_interruption *u = &r->m2134[TEKHO_SIM_UNION];
    if (u->n + (u->censored - u->censored_at_end) == 0 || r->m2134_samples == NULL)
        return "n/a";
    return report_m2134_p99(r) <= M2134_LIMIT_MS ? "within" : "over";
}

/* The comparison table: each column's heading and, in plain words, what
 * it counts; the report defines every column under the table. */
struct column {
    const char *head;
    const char *means;
};
static const struct column COLUMNS[] = {
    {"scheme", "how the TEKs reach the target BS (README, section Roles and scenarios); none and none-late are "
               "the floors without encryption, with and without user data before ranging"},
    {"handovers", "handovers executed, over every replication: the MS left its serving BS (sent MOB_HO-IND); every "
                  "interruption column counts these"},
    {"censored", "of those, the handovers after which user data never resumed in both directions through the target "
                 "(the MS was released, the handover failed, another one began, or the run ended first): counted "
                 "here, not in the percentiles"},
    {"UL p50 ms", "uplink interruption, median: from the instant the MS left its serving BS to the first uplink user "
                  "PDU the target BS delivered"},
    {"DL p50 ms", "downlink interruption, median: from the instant the MS left its serving BS to the first downlink "
                  "user PDU the MS took from the target BS"},
    {"union mean ms", "interruption of both directions (until both had resumed, the later of the two), mean over "
                      "the pooled handovers, and in brackets the 95 % interval: Student's t over the replications' "
                      "means"},
    {"union p50 ms", "the same, median (nearest rank over the pooled handovers), and its 95 % interval: percentile "
                     "bootstrap over the replications (1000 resamples of whole replications)"},
    {"union p99 ms", "the same, 99th percentile, with its bootstrap interval"},
    {"union max ms", "the same, the longest"},
    {"model ms", "the closed-form model of the scheme's timeline without variability (frames, timers, round trips; "
                 "tekho_sim_model): what the run measures, for every handover, with --ideal"},
    {"M.2134 p99 ms", "the union interruption's 99th percentile in second runs of the same seeds under ITU-R "
                      "M.2134's assumptions: DL synchronisation and uplink access done when the handover starts "
                      "(no sync time or preamble search, no wait for the ranging opportunity or contention) and the "
                      "core network (the AAA) in zero time; a handover that never resumed, unless the run's end cut "
                      "it off, counts as longer than any (inf); in parentheses the p99 of the handovers that resumed, "
                      "with its bootstrap interval"},
    {"M.2134 verdict", "that percentile against M.2134's 27.5 ms for intra-frequency handover: within or over; the "
                       "only figure compared with the limit"},
    {"d mean vs counter ms", "the scheme's union mean minus counter's, replication by replication on the same seed "
                             "(common random numbers), averaged, with its t interval: above 0, slower than counter"},
    {"d p99 vs counter ms", "the same for the union p99 of each replication"},
    {"msgs/HO", "signalling messages per completed handover, air and backbone, apart from network entry and TEK "
                "refresh (alike in every scheme): on the air the management messages about an MS from its "
                "MOB_MSHO-REQ until it is operational again (re-authentication and key exchange at the target "
                "included) and any MOB_* message; on the backbone every HO_*, count update and EAP relay message "
                "and the context transfers of an MS in a handover"},
    {"air B/HO", "bytes of those messages on the air per completed handover"},
    {"backbone B/HO", "bytes of those messages on the backbone (ASN-CP) per completed handover"},
    {"TEK air B/HO", "bytes of TEK material (wrapped under a KEK) a handover sends on the air, per completed "
                     "handover; retransmissions not counted"},
    {"TEK bb B/HO", "bytes of TEK material a handover sends on the backbone (reuse: the TEKs themselves; "
                    "baseline-early: wrapped under the target's KEK), per completed handover"},
    {"PDUs lost", "user PDUs offered around handovers (a PDU each way for every frame, from the trigger until two "
                  "frames after both directions resumed) that were not delivered: lost on the air after HARQ, "
                  "dropped at a target that may not send yet, discarded, or never sent"},
    {"replayed", "replayed user PDUs delivered; n/a for none and none-late, which encrypt nothing and so stop no "
                 "replay (the scenarios' attacker shows them delivering every one)"},
    {"forged", "forged user PDUs delivered; n/a where nothing is encrypted"},
    {"PN reuse", "(TEK, PN) pairs sealed twice; n/a where nothing is encrypted"},
    {"TEK mismatch", "handovers after which the MS and its BS held different TEKs; n/a where nothing is encrypted"},
    {"released", "connections given up, counted at the MS and at each BS that gave it up: retransmissions "
                 "exhausted, a handover that failed with no way back, a stale count proven by an RNG-REQ, an MS "
                 "refused at entry; the MS must enter the network again"},
    {"ping-pong", "handovers back to the BS the MS had left less than 1 s before (3GPP TR 36.839's criterion)"},
};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])
#define CELL_LEN 64

/* x to one decimal, with no "-0.0". */
static double tenth(double x)
{
    return fabs(x) < 0.05 ? 0.0 : x;
}

static void ci_cell(char *cell, const struct ci95 *c)
{
    if (c->valid)
        snprintf(cell, CELL_LEN, "%.1f [%.1f, %.1f]", tenth(c->value), tenth(c->lo), tenth(c->hi));
    else
        snprintf(cell, CELL_LEN, "%.1f", tenth(c->value));
}

static void cells_of(const struct report_run *run, char cell[N_COLUMNS][CELL_LEN])
{
    const struct tekho_sim_stats *s = &run->st;
    const struct tekho_sim_interruption *ul = &s->interruption[TEKHO_SIM_UL], *dl = &s->interruption[TEKHO_SIM_DL],
                                        *un = &s->interruption[TEKHO_SIM_UNION];
    const double ho = s->completed ? (double)s->completed : 1;
    size_t c = 0;
    snprintf(cell[c++], CELL_LEN, "%s", tekho_scheme_name(run->scheme));
    snprintf(cell[c++], CELL_LEN, "%lu", s->executed);
    snprintf(cell[c++], CELL_LEN, "%lu", un->censored);
    snprintf(cell[c++], CELL_LEN, "%.1f", ul->p50_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", dl->p50_ms);
    ci_cell(cell[c++], &run->ci[TEKHO_SIM_UNION].mean);
    ci_cell(cell[c++], &run->ci[TEKHO_SIM_UNION].p50);
    ci_cell(cell[c++], &run->ci[TEKHO_SIM_UNION].p99);
    snprintf(cell[c++], CELL_LEN, "%.1f", un->max_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", run->model[TEKHO_SIM_UNION]);
    {
        const struct ci95 *m = &run->m2134_ci[TEKHO_SIM_UNION].p99;
        if (m->valid)
            snprintf(cell[c++], CELL_LEN, "%.1f (%.1f [%.1f, %.1f])", report_m2134_p99(run), m->value, m->lo, m->hi);
        else
            snprintf(cell[c++], CELL_LEN, "%.1f", report_m2134_p99(run));
    }
    snprintf(cell[c++], CELL_LEN, "%s", report_m2134_verdict(run));
    if (run->paired) {
        ci_cell(cell[c++], &run->diff[DIFF_UNION_MEAN]);
        ci_cell(cell[c++], &run->diff[DIFF_UNION_P99]);
    } else {
        snprintf(cell[c++], CELL_LEN, "-");
        snprintf(cell[c++], CELL_LEN, "-");
    }
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)(s->ho_air_messages + s->ho_backbone_messages) / ho);
    snprintf(cell[c++], CELL_LEN, "%.0f", (double)s->ho_air_bytes / ho);
    snprintf(cell[c++], CELL_LEN, "%.0f", (double)s->ho_backbone_bytes / ho);
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)s->tek_bytes_over_air / ho);
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)s->tek_bytes_over_backbone / ho);
    snprintf(cell[c++], CELL_LEN, "%lu", s->ho_window_lost);
    const bool encrypts = tekho_scheme_encrypts(run->scheme);
    const unsigned long security[] = {s->replayed_pdus_accepted, s->forged_pdus_accepted, s->pn_reuse,
                                      s->tek_mismatch_after_ho};
    for (size_t i = 0; i < sizeof security / sizeof security[0]; i++) {
        if (encrypts)
            snprintf(cell[c++], CELL_LEN, "%lu", security[i]);
        else
            snprintf(cell[c++], CELL_LEN, "n/a");
    }
    snprintf(cell[c++], CELL_LEN, "%lu", s->connections_released);
    snprintf(cell[c++], CELL_LEN, "%lu", s->pingpong);
}

static void table_md(FILE *f, const struct report *r)
{
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(f, "| %s ", COLUMNS[c].head);
    fprintf(f, "|\n");
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(f, "|---");
    fprintf(f, "|\n");
    for (size_t k = 0; k < r->n_runs; k++) {
        char cell[N_COLUMNS][CELL_LEN];
        cells_of(&r->runs[k], cell);
        for (size_t c = 0; c < N_COLUMNS; c++)
            fprintf(f, "| %s ", cell[c]);
        fprintf(f, "|\n");
    }
    fprintf(f, "\nWhat the columns count:\n\n");
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(f, "- **%s**: %s.\n", COLUMNS[c].head, COLUMNS[c].means);
}

static void table_html(FILE *f, const struct report *r)
{
    fprintf(f, "<table><tr>");
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(f, "<th title=\"%s\">%s</th>", COLUMNS[c].means, COLUMNS[c].head);
    fprintf(f, "</tr>\n");
    for (size_t k = 0; k < r->n_runs; k++) {
        char cell[N_COLUMNS][CELL_LEN];
        cells_of(&r->runs[k], cell);
        fprintf(f, "<tr>");
        for (size_t c = 0; c < N_COLUMNS; c++)
            fprintf(f, "<td%s>%s</td>", strcmp(cell[c], "over") == 0 ? " class=\"over\"" : "", cell[c]);
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n<dl>");
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(f, "<dt>%s</dt><dd>%s.</dd>", COLUMNS[c].head, COLUMNS[c].means);
    fprintf(f, "</dl>\n");
}

/* The run's parameters: what no option sets, in words; then every model
 * parameter as the command line takes it (its option, value and unit), so
 * the report speaks the command line's units (params_table). */
static void params_text(FILE *f, const struct report *r)
{
    const struct tekho_sim_params *p = r->params;
    const struct tekho_sim_variability *v = &p->var;
    fprintf(f, "%u cells on a hexagonal grid; %u MSs, %s; %u simulated seconds; %zu replication%s (seeds %llu to "
               "%llu). TDD frames with a %.0f %% downlink share; handover on a %.1f dB hysteresis held for the time "
               "to trigger; shadowing %.1f dB (decorrelation %.0f m, %.1f between sites); baseline-full's "
               "re-authentication: %u EAP round trips over the air; VoIP every %.0f ms each way, "
               "and around handovers a PDU each way for every frame (offered 1 us before the frame starts: the packet "
               "interval there is one frame, and no wait for a packet is in the interruption). ",
            p->n_bs, p->n_ms, p->radio.straight_line ? "in straight lines" : "by random waypoint", r->duration_s,
            r->replications, r->replications == 1 ? "" : "s", (unsigned long long)p->seed,
            (unsigned long long)(p->seed + r->replications - 1), p->radio.dl_ratio * 100, p->radio.hysteresis_db,
            p->radio.shadow_sigma_db, p->radio.shadow_corr_m, p->radio.shadow_site_corr, p->timing.eap_round_trips,
            p->radio.voip_interval_ms);
    if (v->enabled)
        fprintf(f, "Variability on (README, section The emulator, gives each value's source or calls it an "
                   "assumption): HARQ on every air PDU, user data and management (the first-transmission error rate "
                   "rising below %.1f dB SINR over %.0f dB; chase combining), SINR from the path loss and shadowing "
                   "of the serving cell and its six neighbours; preamble search of %s; the dedicated ranging "
                   "opportunity missed by an MS synchronised late, then CDMA handover ranging (T3 and a backoff after "
                   "a code that gets no answer); an exponential extra delay on each AAA round trip and an exponential "
                   "processing time for each management message. ",
                v->sinr_min_db, v->bler_span_db, v->preamble_search ? "one frame more per frame not decoded" : "none");
    else
        fprintf(f, "Variability off (--ideal): every step takes a fixed time, and every scheme's interruption is "
                   "its closed-form model's. ");
    fprintf(f, "Downlink that arrives while the MS is away is routed to the target once the serving BS has "
               "released the MS and dropped there until the target may send (counted in PDUs lost), not "
               "forwarded. Every scheme runs on the same seeds with a random source per purpose (mobility, "
               "shadowing, air loss, HARQ, preamble search, ranging, backbone, AAA, processing, keys), so all see "
               "the same moves, radio and losses; each runs a second time under ITU-R M.2134's assumptions (DL "
               "synchronisation and preamble search, the ranging wait and contention, and the AAA at 0) for the "
               "M.2134 columns. Every value an option sets, in the option's unit:\n");
}

static void params_table(FILE *f, const struct report *r, bool html)
{
    fprintf(f, html ? "<table><tr><th>option</th><th>value</th><th>what</th></tr>\n"
                    : "\n| option | value | what |\n|---|---|---|\n");
    for (size_t k = 0; k < N_MODEL_PARAMS; k++) {
        const struct model_param *mp = &MODEL_PARAMS[k];
        char value[32], help[256];
        model_param_format(value, sizeof value, mp->value(r->params));
        /* The help text on one line, without its "(default ...)": the value is beside it. */
        snprintf(help, sizeof help, "%s", mp->help);
        char *paren = strstr(help, " (default");
        if (paren != NULL)
            *paren = '\0';
        for (char *c = help; *c; c++)
            if (*c == '\n')
                *c = ' ';
        fprintf(f, html ? "<tr><td>--%s</td><td>%s</td><td>%s</td></tr>\n" : "| `--%s` | %s | %s |\n", mp->name,
                value, help);
    }
    fprintf(f, html ? "</table>\n" : "\n");
}

/* "X ms [lo, hi]" and whether the interval excludes 0. */
static const char *diff_words(const struct ci95 *d, char *buf, size_t cap)
{
    if (!d->valid) {
        snprintf(buf, cap, "%+.1f ms (one replication: no interval)", tenth(d->value));
        return buf;
    }
    const bool sure = d->lo > 0 || d->hi < 0;
    snprintf(buf, cap, "%+.1f ms [%+.1f, %+.1f]%s", tenth(d->value), tenth(d->lo), tenth(d->hi),
             sure ? "" : ", not distinguishable from 0");
    return buf;
}

static const struct report_run *run_of(const struct report *r, enum tekho_scheme s)
{
    for (size_t k = 0; k < r->n_runs; k++)
        if (r->runs[k].scheme == s)
            return &r->runs[k];
    return NULL;
}

static void mobility_text(FILE *f, const struct report *r, bool html);

/* "p50 X ms, mean Y (model Z)" of scheme s's union interruption, or "not run". */
static const char *union_words(const struct report *r, enum tekho_scheme s, char *buf, size_t cap);

/* Published 802.16e/m handover figures beside this run's (README, The
 * emulator, has the same table with make run's figures). Only figures
 * with a source named precisely; what each measures, so the reader sees
 * which of ours it corresponds to. */
static void published_table(FILE *f, const struct report *r, bool html)
{
    const struct report_run *ctr = run_of(r, TEKHO_SCHEME_COUNTER);
    char ours[2][1024], a[96], b[96], c[96], d[96];
    if (ctr != NULL)
        snprintf(ours[0], sizeof ours[0],
                 "counter under M.2134's assumptions: p99 %.1f ms (%s), p50 %.1f ms; its model (what --ideal "
                 "gives) %.1f ms. Measured from the MS leaving its serving BS to the first user PDU both ways",
                 report_m2134_p99(ctr), report_m2134_verdict(ctr), ctr->m2134_ci[TEKHO_SIM_UNION].p50.value,
                 ctr->m2134_model[TEKHO_SIM_UNION]);
    else
        snprintf(ours[0], sizeof ours[0], "counter not run");
    snprintf(ours[1], sizeof ours[1],
             "data after RNG-RSP: baseline-update %s, baseline-challenge %s, baseline-full (EAP) %s; "
             "data before ranging: counter %s (union, %s)",
             union_words(r, TEKHO_SCHEME_BASELINE_UPDATE, a, sizeof a),
             union_words(r, TEKHO_SCHEME_BASELINE_CHALLENGE, b, sizeof b),
             union_words(r, TEKHO_SCHEME_BASELINE_FULL, c, sizeof c), union_words(r, TEKHO_SCHEME_COUNTER, d, sizeof d),
             r->params->var.enabled ? "with the variability" : "--ideal");
    static const char *const rows[2][4] = {
        {"intra-frequency handover interruption: no user-plane packet with any BS; DL synchronisation and UL "
         "access done before the handover starts, the core network in zero time. A requirement, not a measurement",
         "27.5 ms at most",
         "Report ITU-R M.2134 (2008), Requirements related to technical performance for IMT-Advanced radio "
         "interface(s), section 4.7 Handover; with its definition in 4G Americas' reproduction, Appendix C.1.7, "
         "Table C.5 (the copy read: yumpu.com/en/document/view/3501979, page 149)"},
        {"interruption of an 802.16e hard handover (conventional HHO: user data after network re-entry at the "
         "target; the same slides say optimized HHO may take even longer). A statement, no measured figure",
         "\"Difficulty for meeting HO interruption time below 30 msec\"",
         "IEEE 802.16 TGm contribution C802.16m-08/016r2 (2008), Enhanced Handoff Optimization for IEEE 802.16m "
         "Systems, slides Long HO Interruption Time in Conventional HHO and Problem with Optimized HHO"},
    };
    if (html)
        fprintf(f, "<table><tr><th>what it measures</th><th>published</th><th>source</th><th>this run</th></tr>\n");
    else
        fprintf(f, "| what it measures | published | source | this run |\n|---|---|---|---|\n");
    for (int k = 0; k < 2; k++)
        fprintf(f, html ? "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n" : "| %s | %s | %s | %s |\n",
                rows[k][0], rows[k][1], rows[k][2], ours[k]);
    fprintf(f, html ? "</table>\n<p>" : "\n");
    fprintf(f, "No measured 802.16e/m handover interruption (testbed, operator network or WiMAX Forum evaluation) "
               "with a source we could name precisely was found for this table, so it has none.%s",
            html ? "</p>\n" : "\n\n");
}

/* What the numbers show, from the numbers: the paired differences against
 * counter, the M.2134 verdicts, the backbone trend, what counter keeps
 * besides time, the mobility, the samples. */
static void headline(FILE *f, const struct report *r, bool html)
{
    const char *par = html ? "<p>" : "", *end = html ? "</p>\n" : "\n\n";
    const struct report_run *ctr = run_of(r, TEKHO_SCHEME_COUNTER);
    const struct tekho_sim_params *p = r->params;
    fprintf(f, "%s%s over %zu replication%s of %u s with %u MSs (%s); every interval is 95 %%. ", par,
            p->var.enabled ? "With the variability of a real network" : "Under the deterministic model (--ideal)",
            r->replications, r->replications == 1 ? "" : "s", r->duration_s, p->n_ms,
            "the parameters below");
    if (ctr != NULL) {
        const struct ci95 *m = &ctr->ci[TEKHO_SIM_UNION].mean, *q = &ctr->ci[TEKHO_SIM_UNION].p99;
        fprintf(f, "counter's interruption (both directions) is %.1f ms on average [%.1f, %.1f], p99 %.1f [%.1f, %.1f] "
                   "over %zu handovers that resumed (%lu censored). Each other scheme minus counter, paired by "
                   "seed, mean and p99: ",
                m->value, m->lo, m->hi, q->value, q->lo, q->hi, ctr->st.interruption[TEKHO_SIM_UNION].n,
                ctr->st.interruption[TEKHO_SIM_UNION].censored);
        bool first = true;
        for (size_t k = 0; k < r->n_runs; k++) {
            const struct report_run *x = &r->runs[k];
            if (!x->paired)
                continue;
            char a[96], b[96];
            fprintf(f, "%s%s %s, %s", first ? "" : "; ", tekho_scheme_name(x->scheme),
                    diff_words(&x->diff[DIFF_UNION_MEAN], a, sizeof a), diff_words(&x->diff[DIFF_UNION_P99], b, sizeof b));
            first = false;
        }
        fprintf(f, ". Above 0: slower than counter.%s", end);
        const struct report_run *none = run_of(r, TEKHO_SCHEME_NONE), *late = run_of(r, TEKHO_SCHEME_NONE_LATE),
                                *upd = run_of(r, TEKHO_SCHEME_BASELINE_UPDATE);
        if (none && late && upd) {
            char a[96], b[96], c[96];
            fprintf(f, "%sWhere the time goes: the floor without early data (none-late) is %s behind the floor that "
                       "sends before ranging (none), and baseline-update %s behind counter: the lead is user data "
                       "before ranging, not how the keys are made (counter against none: %s). ",
                    par, diff_words(&late->diff[DIFF_UNION_MEAN], a, sizeof a),
                    diff_words(&upd->diff[DIFF_UNION_MEAN], b, sizeof b),
                    diff_words(&none->diff[DIFF_UNION_MEAN], c, sizeof c));
            fprintf(f, "What counter keeps besides time: no TEK on the air (baseline-update sent %lu bytes of wrapped "
                       "TEKs, counter %lu), %.0f fewer management bytes on the air per handover than baseline-update",
                    upd->st.tek_bytes_over_air, ctr->st.tek_bytes_over_air,
                    (double)upd->st.air_bytes / (upd->st.completed ? (double)upd->st.completed : 1) -
                        (double)ctr->st.air_bytes / (ctr->st.completed ? (double)ctr->st.completed : 1));
            const struct report_run *reuse = run_of(r, TEKHO_SCHEME_REUSE);
            if (reuse)
                fprintf(f, ", and against reuse no TEK on the backbone (%.0f more backbone bytes per handover there) "
                           "and no TEK shared between BSs",
                        (double)reuse->st.backbone_bytes / (reuse->st.completed ? (double)reuse->st.completed : 1) -
                            (double)ctr->st.backbone_bytes / (ctr->st.completed ? (double)ctr->st.completed : 1));
            fprintf(f, ".%s", end);
        }
    }
    fprintf(f, "%sITU-R M.2134 (27.5 ms, p99 of the union under its assumptions): ", par);
    for (size_t k = 0; k < r->n_runs; k++) {
        const struct report_run *x = &r->runs[k];
        const struct ci95 *c = &x->m2134_ci[TEKHO_SIM_UNION].p99;
        fprintf(f, "%s%s %s at %.1f ms", k ? "; " : "", tekho_scheme_name(x->scheme), report_m2134_verdict(x),
                report_m2134_p99(x));
        if (c->valid)
            fprintf(f, " (those that resumed: %.1f [%.1f, %.1f])", c->value, c->lo, c->hi);
    }
    fprintf(f, ". The verdict's p99 counts a handover that never resumed (unless the run's end cut it off) as longer "
               "than any.%s",
            end);
    if (ctr != NULL && r->n_backbone >= 2) {
        const struct report_backbone *lo = &r->backbone[0], *hi = &r->backbone[r->n_backbone - 1];
        const struct report_run *upd = run_of(r, TEKHO_SCHEME_BASELINE_UPDATE);
        if (upd != NULL)
            fprintf(f, "%sAgainst backbone latency (smaller runs, plots below): counter's DL median is %.1f ms at "
                       "--backbone-us %u and %.1f ms at %u, as the target's first DL waits for HO_Cnf or the "
                       "first UL PDU; baseline-update's, which waits for RNG-RSP, is %.1f and %.1f ms: counter's DL "
                       "lead of %.1f ms becomes %.1f ms.%s",
                    par, lo->dl_p50[TEKHO_SCHEME_COUNTER].value, lo->latency_us,
                    hi->dl_p50[TEKHO_SCHEME_COUNTER].value, hi->latency_us,
                    lo->dl_p50[TEKHO_SCHEME_BASELINE_UPDATE].value, hi->dl_p50[TEKHO_SCHEME_BASELINE_UPDATE].value,
                    lo->dl_p50[TEKHO_SCHEME_BASELINE_UPDATE].value - lo->dl_p50[TEKHO_SCHEME_COUNTER].value,
                    hi->dl_p50[TEKHO_SCHEME_BASELINE_UPDATE].value - hi->dl_p50[TEKHO_SCHEME_COUNTER].value, end);
    }
    if (r->n_runs > 0)
        mobility_text(f, r, html);
}

/* The handover rate beside the crossing rate, and why they differ: the
 * shadowing, shown by the same moves without it and by what the
 * handovers did (runs[0]'s scheme). */
static void mobility_text(FILE *f, const struct report *r, bool html)
{
    const char *par = html ? "<p>" : "", *end = html ? "</p>\n" : "\n\n";
    const struct tekho_sim_params *p = r->params;
    const struct tekho_sim_stats *s = &r->runs[0].st;
    const double ms_s = (double)p->n_ms * r->duration_s * (double)r->replications;
    const double ho = (double)s->completed / ms_s, crossings = (double)s->crossings / ms_s;
    fprintf(f, "%sMobility (%s; the same moves for every scheme): %.4f handovers per MS and second against %.4f "
               "cell-boundary crossings measured (the nearest BS changed) and %.4f expected by the fluid-flow "
               "estimate (2/pi) v L / A for this grid and speed (random waypoint crowds the centre, where every "
               "edge is a boundary, so the measured crossings come out above it); %.1f %% of handovers were "
               "ping-pong (back to the BS left within %.0f ms). ",
            par, tekho_scheme_name(r->runs[0].scheme), ho, crossings, report_fluid_flow_rate(p),
            100 * report_share(s->pingpong, s->completed), p->radio.pingpong_ms);
    if (p->radio.shadow_sigma_db <= 0) {
        fprintf(f, "Without shadowing the handovers follow the geometry.%s", end);
        return;
    }
    fprintf(f, "The handovers outnumber the crossings %.1f to 1 because of the shadowing (%.1f dB, decorrelating "
               "over %.0f m, correlated %.1f between sites): ",
            crossings > 0 ? ho / crossings : 0, p->radio.shadow_sigma_db, p->radio.shadow_corr_m,
            p->radio.shadow_site_corr);
    if (r->no_shadowing != NULL) {
        const struct tekho_sim_stats *n = r->no_shadowing;
        fprintf(f, "without it the same moves make %.4f handovers per MS and second (%.2f of the crossings: the "
                   "%.1f dB hysteresis spares an MS that only grazes a boundary), %.1f %% of them leaving the "
                   "nearest BS. ",
                (double)n->completed / ms_s, report_share(n->completed, n->crossings), p->radio.hysteresis_db,
                100 * report_share(n->left_nearest, n->attempted));
    }
    fprintf(f, "With it, near a boundary the shadowing rather than the distance decides which cell is stronger, "
               "and it changes over tens of metres, seconds at %.0f km/h: %.1f %% of the handovers went back to the "
               "BS the MS had left, %.1f %% within 5 s (%.0f m of travel) but only %.1f %% within the %.0f ms of a "
               "ping-pong; %.1f %% left the BS that was the nearest, which geometry alone never does; and MSs were "
               "served by a BS other than the nearest %.1f %% of the time. This is the model at work (its "
               "parameters are below, the README gives their sources), not a miscount: the crossings are the "
               "geometry's, the same with shadowing or without.%s",
            p->radio.speed_kmh, 100 * report_share(s->returns, s->completed),
            100 * report_share(s->returns_5s, s->completed), p->radio.speed_kmh / 3.6 * 5,
            100 * report_share(s->pingpong, s->completed), p->radio.pingpong_ms,
            100 * report_share(s->left_nearest, s->attempted),
            100 * report_share(s->off_nearest, s->served_measurements), end);
}

static const char *union_words(const struct report *r, enum tekho_scheme s, char *buf, size_t cap)
{
    const struct report_run *x = run_of(r, s);
    if (x == NULL)
        snprintf(buf, cap, "not run");
    else
        snprintf(buf, cap, "p50 %.1f ms, mean %.1f (model %.1f)", x->ci[TEKHO_SIM_UNION].p50.value,
                 x->ci[TEKHO_SIM_UNION].mean.value, x->model[TEKHO_SIM_UNION]);
    return buf;
}

/* fopen of dir/name for writing; NULL with why filled in. */
static FILE *create_in(const char *dir, const char *name, char *why, size_t cap)
{
    char path[4096];
    if (!join(path, sizeof path, dir, name)) {
        snprintf(why, cap, "cannot write '%s/%s': path too long", dir, name);
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL)
        snprintf(why, cap, "cannot write '%s': %s", path, strerror(errno));
    return f;
}

/* fclose, and whether everything written reached the file (why filled in if not). */
static bool close_in(FILE *f, const char *dir, const char *name, char *why, size_t cap)
{
    const bool ok = !ferror(f);
    const int e = errno;
    if (fclose(f) != 0 || !ok) {
        snprintf(why, cap, "cannot write '%s/%s': %s", dir, name, strerror(ok ? errno : e));
        return false;
    }
    return true;
}

int report_write(const struct report *r, char *why, size_t cap)
{
    const char *cmd = r->command ? r->command : "sim";
    if (cli_mkdirs(r->dir) != 0) {
        snprintf(why, cap, "cannot create '%s': %s", r->dir, strerror(errno));
        return -1;
    }
    FILE *probe = create_in(r->dir, "plots.gp", why, cap);
    if (probe == NULL)
        return -1;
    fclose(probe);
    write_data(r);
    const bool have_gnuplot = report_have_tool("gnuplot"), have_mscgen = report_have_tool("mscgen");
    const bool plots = draw_plots(r);
    if (!have_gnuplot)
        fprintf(stderr, "tekho %s: warning: gnuplot is not installed: the report has no plots (their data is in "
                        "%s/*.dat; Debian: apt-get install gnuplot-nox)\n",
                cmd, r->dir);
    else if (!plots)
        fprintf(stderr, "tekho %s: warning: gnuplot failed: the report has no plots (see %s/plots.gp)\n", cmd, r->dir);
    bool charts = true;
    for (size_t k = 0; k < r->n_runs; k++)
        charts &= draw_msc(r->dir, r->runs[k].scheme);
    if (!have_mscgen)
        fprintf(stderr, "tekho %s: warning: mscgen is not installed: the report has no message sequence charts "
                        "(their source is in %s/msc_*.msc; Debian: apt-get install mscgen)\n",
                cmd, r->dir);
    else if (!charts)
        fprintf(stderr, "tekho %s: warning: mscgen failed: some message sequence charts are missing\n", cmd);

    FILE *f = create_in(r->dir, "report.md", why, cap);
    if (f == NULL)
        return -1;
    fprintf(f, "# tekho: what counter-based TEK generation buys\n\n");
    headline(f, r, false);
    fprintf(f, "## Parameters\n\n");
    params_text(f, r);
    params_table(f, r, false);
    fprintf(f, "## Comparison\n\n");
    table_md(f, r);
    fprintf(f, "\nThe security cost of a scheme is its interruption and signalling minus those of the floor that "
               "sends user data when it does: `none` for `counter`, `reuse` and `baseline-early` (data before "
               "ranging), `none-late` for `baseline-update`, `baseline-challenge` and `baseline-full` (data after "
               "RNG-RSP). `baseline-full` re-authenticates at every handover: the worst case, not the usual one. "
               "Every interruption is measured from one instant, the MS leaving its serving BS, to the first "
               "user PDU through the target; around a handover a PDU each way is ready for every frame (offered "
               "just before the frame starts), so the figures hold no wait for a packet, only the first PDU's "
               "own air time (to the end of its subframe).\n\n");
    fprintf(f, "## Published figures\n\n");
    published_table(f, r, false);
    if (plots)
        fprintf(f, "![interruption by scheme with intervals](interruption.png)\n\n![CDF of interruption](cdf.png)\n\n"
                   "![CDF under M.2134's assumptions](m2134.png)\n\n"
                   "![DL median against backbone latency](backbone_dl.png)\n\n"
                   "![p99 against backbone latency](backbone.png)\n\n"
                   "![signalling over the run per completed handover](signalling.png)\n\n");
    else
        fprintf(f, "(gnuplot was not available: the plot data is in interruption.dat, cdf_*.dat, backbone.dat and "
                   "signalling.dat.)\n\n");
    fprintf(f, "## One handover of each scheme\n\n");
    for (size_t k = 0; k < r->n_runs; k++) {
        const char *n = tekho_scheme_name(r->runs[k].scheme);
        if (charts)
            fprintf(f, "### %s\n\n![%s](msc_%s.png)\n\n", n, n, n);
        else
            fprintf(f, "### %s\n\nmsc_%s.msc (mscgen was not available to draw it)\n\n", n, n);
    }
    if (r->pcap_dir)
        fprintf(f, "Air and backbone captures of these handovers: %s/SCHEME/air.pcap and backbone.pcap, each with "
                   "decode-args (`tekho decode %s/SCHEME/air.pcap $(cat %s/SCHEME/decode-args)`, Wireshark).\n",
                r->pcap_dir, r->pcap_dir, r->pcap_dir);
    if (!close_in(f, r->dir, "report.md", why, cap))
        return -1;

    f = create_in(r->dir, "index.html", why, cap);
    if (f == NULL)
        return -1;
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tekho report</title>\n"
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
               "td,th{border:1px solid #999;padding:4px 8px;text-align:right}td:first-child{text-align:left}"
               ".over{color:#b00}</style></head><body>\n<h1>tekho: what counter-based TEK generation buys</h1>\n");
    headline(f, r, true);
    fprintf(f, "<h2>Parameters</h2>\n<p>");
    params_text(f, r);
    fprintf(f, "</p>\n");
    params_table(f, r, true);
    table_html(f, r);
    fprintf(f, "<h2>Published figures</h2>\n");
    published_table(f, r, true);
    if (plots)
        fprintf(f, "<p><img src=\"interruption.png\"></p><p><img src=\"cdf.png\"></p><p><img src=\"m2134.png\"></p>"
                   "<p><img src=\"backbone_dl.png\"></p><p><img src=\"backbone.png\"></p>"
                   "<p><img src=\"signalling.png\"></p>\n");
    fprintf(f, "<h2>One handover of each scheme</h2>\n");
    for (size_t k = 0; k < r->n_runs && charts; k++)
        fprintf(f, "<h3>%s</h3><p><img src=\"msc_%s.png\"></p>\n", tekho_scheme_name(r->runs[k].scheme),
                tekho_scheme_name(r->runs[k].scheme));
    fprintf(f, "</body></html>\n");
    return close_in(f, r->dir, "index.html", why, cap) ? 0 : -1;
}
