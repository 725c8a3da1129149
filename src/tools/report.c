/* The emulator's report (issue: the main job). Plots are drawn by gnuplot
 * and message sequence charts by mscgen, both Debian packages; the data
 * behind each plot is written next to it. */
#include "report.h"

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
static bool have_tool(const char *name)
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
    if (!have_tool("gnuplot"))
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
    f = open_in(r->dir, "backbone.dat", "w");
    if (f) {
        fprintf(f, "# backbone_latency_ms");
        for (size_t k = 0; k < r->n_runs; k++)
            fprintf(f, " union_p99_%s", tekho_scheme_name(r->runs[k].scheme));
        fprintf(f, "\n");
        for (size_t b = 0; b < r->n_backbone; b++) {
            fprintf(f, "%.1f", r->backbone[b].latency_us / 1000.0);
            for (size_t k = 0; k < r->n_runs; k++)
                fprintf(f, " %.3f", r->backbone[b].p99_ms[r->runs[k].scheme]);
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
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "\nunset arrow 1\nunset label 1\nset yrange [*:*]\nset xrange [*:*]\n"
                           "set output 'backbone.png'\nset title 'p99 interruption (union) against backbone latency'\n"
                           "set xlabel 'one-way backbone latency (ms)'\nset ylabel 'p99 interruption, union (ms)'\n"
                           "set key top left\nplot ");
    for (size_t k = 0; k < r->n_runs; k++)
        at += (size_t)snprintf(script + at, sizeof script - at,
                               "%s'backbone.dat' using 1:%zu with linespoints lw 2 title '%s'", k ? ", " : "", k + 2,
                               tekho_scheme_name(r->runs[k].scheme));
    at += (size_t)snprintf(script + at, sizeof script - at,
                           "\nset output 'signalling.png'\nset title 'Signalling per handover (entry and refresh apart)'\n"
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
    if (!have_tool("mscgen"))
        return false;
    char *const argv[] = {"mscgen", "-T", "png", "-o", png_name, msc_name, NULL};
    return run_tool(dir, argv);
}

static void write_pcaps(const char *dir, enum tekho_scheme scheme)
{
    char name[64], sub[4096];
    snprintf(name, sizeof name, "pcap/%s", tekho_scheme_name(scheme));
    if (!join(sub, sizeof sub, dir, "pcap"))
        return;
    mkdir(sub, 0755);
    if (!join(sub, sizeof sub, dir, name))
        return;
    mkdir(sub, 0755);
    struct tekho_sim *sim = NULL;
    uint64_t until = 0;
    if (tekho_sim_scenario("normal", scheme, 1, &sim, &until) != TEKHO_OK)
        return;
    if (tekho_sim_pcap(sim, sub) == TEKHO_OK && tekho_sim_run(sim, until) != TEKHO_OK)
        fprintf(stderr, "tekho sim: captures of %s incomplete\n", tekho_scheme_name(scheme));
    tekho_sim_free(sim);
}

void report_interruption_json(FILE *f, const struct tekho_sim_interruption x[TEKHO_SIM_DIRECTIONS])
{
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++)
        fprintf(f,
                "%s\"%s\": {\"n\": %zu, \"censored\": %lu, \"censored_at_end\": %lu, \"min\": %.3f, \"p50\": %.3f, "
                "\"p99\": %.3f, \"max\": %.3f, \"mean\": %.3f}",
                d ? ", " : "", tekho_sim_direction_name((enum tekho_sim_direction)d), x[d].n, x[d].censored,
                x[d].censored_at_end, x[d].min_ms, x[d].p50_ms, x[d].p99_ms, x[d].max_ms, x[d].mean_ms);
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
    {"handovers", "handovers executed: the MS left its serving BS (sent MOB_HO-IND); every interruption column counts "
                  "these"},
    {"censored", "of those, the handovers after which user data never resumed in both directions through the target "
                 "(the MS was released, the handover failed, another one began, or the run ended first): counted "
                 "here, not in the percentiles"},
    {"UL p50 ms", "uplink interruption, median: from the instant the MS left its serving BS to the first uplink user "
                  "PDU the target BS delivered"},
    {"UL p99 ms", "the same, 99th percentile (nearest rank, over the handovers in which the uplink resumed)"},
    {"DL p50 ms", "downlink interruption, median: from the instant the MS left its serving BS to the first downlink "
                  "user PDU the MS took from the target BS"},
    {"DL p99 ms", "the same, 99th percentile"},
    {"union p50 ms", "interruption of both directions, median: from the instant the MS left its serving BS until "
                     "both directions had resumed (the later of the two)"},
    {"union p99 ms", "the same, 99th percentile"},
    {"union max ms", "the same, the longest"},
    {"M.2134 p99 ms", "the union interruption's 99th percentile in a second run of the same seed under ITU-R "
                      "M.2134's assumptions: DL synchronisation and uplink access done when the handover starts "
                      "(no sync time, no wait for the ranging opportunity) and the core network (the AAA) in zero "
                      "time; a handover that never resumed, unless the run's end cut it off, counts as longer than "
                      "any (inf)"},
    {"M.2134 verdict", "that percentile against M.2134's 27.5 ms for intra-frequency handover: within or over; the "
                       "only figure compared with the limit"},
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
    {"PDUs lost", "user PDUs offered around handovers (a PDU each way for every frame) that never arrived"},
    {"replayed", "replayed user PDUs delivered (0 unless the scheme has no protection)"},
    {"forged", "forged user PDUs delivered"},
    {"PN reuse", "(TEK, PN) pairs sealed twice"},
    {"TEK mismatch", "handovers after which the MS and its BS held different TEKs"},
    {"released", "connections released"},
};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])
#define CELL_LEN 32

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
    snprintf(cell[c++], CELL_LEN, "%.1f", ul->p99_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", dl->p50_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", dl->p99_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", un->p50_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", un->p99_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", un->max_ms);
    snprintf(cell[c++], CELL_LEN, "%.1f", report_m2134_p99(run));
    snprintf(cell[c++], CELL_LEN, "%s", report_m2134_verdict(run));
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)(s->ho_air_messages + s->ho_backbone_messages) / ho);
    snprintf(cell[c++], CELL_LEN, "%.0f", (double)s->ho_air_bytes / ho);
    snprintf(cell[c++], CELL_LEN, "%.0f", (double)s->ho_backbone_bytes / ho);
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)s->tek_bytes_over_air / ho);
    snprintf(cell[c++], CELL_LEN, "%.1f", (double)s->tek_bytes_over_backbone / ho);
    snprintf(cell[c++], CELL_LEN, "%lu", s->ho_window_lost);
    snprintf(cell[c++], CELL_LEN, "%lu", s->replayed_pdus_accepted);
    snprintf(cell[c++], CELL_LEN, "%lu", s->forged_pdus_accepted);
    snprintf(cell[c++], CELL_LEN, "%lu", s->pn_reuse);
    snprintf(cell[c++], CELL_LEN, "%lu", s->tek_mismatch_after_ho);
    snprintf(cell[c++], CELL_LEN, "%lu", s->connections_released);
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

static void params_text(FILE *f, const struct report *r)
{
    const struct tekho_sim_params *p = r->params;
    fprintf(f, "%u cells on a hexagonal grid %.0f m apart; %u MSs, %s at %.0f km/h; %u simulated seconds; seed %llu. "
               "%.1f ms TDD frames (DL %.0f %%), DL synchronisation %.1f ms, ranging opportunity %.1f ms later; "
               "backbone %.1f ms one way (+ up to %.1f ms jitter), air loss %.1f %%; hysteresis %.1f dB, time to "
               "trigger %.0f ms, shadowing %.1f dB (decorrelation %.0f m); self-sync window %u; baseline-full's "
               "re-authentication: %u EAP round trips over the air, AAA round trip %.0f ms x %u; VoIP every %.0f ms "
               "each way, and around handovers a PDU each way for every frame (offered "
               "1 us before the frame starts: the packet interval there is one frame, and no wait for a packet is in "
               "the interruption). Every scheme runs on the same seed with a random source per purpose (mobility, "
               "shadowing, air loss, backbone, keys), so all see the same moves, radio and losses; each runs a "
               "second time under ITU-R M.2134's assumptions (DL synchronisation, the ranging wait and the AAA at 0) "
               "for the M.2134 columns.\n",
            p->n_bs, p->radio.isd_m, p->n_ms, p->radio.straight_line ? "in straight lines" : "by random waypoint",
            p->radio.speed_kmh, r->duration_s, (unsigned long long)p->seed, p->frame_us / 1000.0,
            p->radio.dl_ratio * 100, p->timing.sync_us / 1000.0, p->timing.ranging_wait_us / 1000.0,
            p->backbone_latency_us / 1000.0, p->backbone_jitter_us / 1000.0, p->air_loss * 100,
            p->radio.hysteresis_db, p->radio.ttt_ms, p->radio.shadow_sigma_db, p->radio.shadow_corr_m,
            p->self_sync_window, p->timing.eap_round_trips, p->timing.aaa_rtt_us / 1000.0,
            p->timing.aaa_round_trips, p->radio.voip_interval_ms);
}

int report_write(const struct report *r)
{
    mkdir(r->dir, 0755);
    FILE *probe = open_in(r->dir, "plots.gp", "w");
    if (probe == NULL)
        return -1;
    fclose(probe);
    write_data(r);
    const bool plots = draw_plots(r);
    bool charts = true;
    for (size_t k = 0; k < r->n_runs; k++) {
        charts &= draw_msc(r->dir, r->runs[k].scheme);
        if (r->pcap)
            write_pcaps(r->dir, r->runs[k].scheme);
    }

    FILE *f = open_in(r->dir, "report.md", "w");
    if (f == NULL)
        return -1;
    fprintf(f, "# tekho: what counter-based TEK generation buys\n\n");
    params_text(f, r);
    fprintf(f, "\n## Comparison\n\n");
    table_md(f, r);
    fprintf(f, "\nThe security cost of a scheme is its interruption and signalling minus those of the floor that "
               "sends user data when it does: `none` for `counter`, `reuse` and `baseline-early` (data before "
               "ranging), `none-late` for `baseline-update`, `baseline-challenge` and `baseline-full` (data after "
               "RNG-RSP). `baseline-full` re-authenticates at every handover: the worst case, not the usual one. "
               "Every interruption is measured from one instant, the MS leaving its serving BS, to the first "
               "user PDU through the target; around a handover a PDU each way is ready for every frame (offered "
               "just before the frame starts), so the figures hold no wait for a packet, only the first PDU's "
               "own air time (to the end of its subframe).\n\n");
    if (plots)
        fprintf(f, "![CDF of interruption](cdf.png)\n\n![CDF under M.2134's assumptions](m2134.png)\n\n"
                   "![p99 against backbone latency](backbone.png)\n\n"
                   "![signalling per handover](signalling.png)\n\n");
    else
        fprintf(f, "(gnuplot was not available: the plot data is in cdf_*.dat, backbone.dat and signalling.dat.)\n\n");
    fprintf(f, "## One handover of each scheme\n\n");
    for (size_t k = 0; k < r->n_runs; k++) {
        const char *n = tekho_scheme_name(r->runs[k].scheme);
        if (charts)
            fprintf(f, "### %s\n\n![%s](msc_%s.png)\n\n", n, n, n);
        else
            fprintf(f, "### %s\n\nmsc_%s.msc (mscgen was not available to draw it)\n\n", n, n);
    }
    if (r->pcap)
        fprintf(f, "Air and backbone captures of these handovers: pcap/SCHEME/air.pcap and backbone.pcap "
                   "(`tekho decode`, Wireshark).\n");
    fclose(f);

    f = open_in(r->dir, "index.html", "w");
    if (f == NULL)
        return -1;
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tekho report</title>\n"
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
               "td,th{border:1px solid #999;padding:4px 8px;text-align:right}td:first-child{text-align:left}"
               ".over{color:#b00}</style></head><body>\n<h1>tekho: what counter-based TEK generation buys</h1>\n<p>");
    params_text(f, r);
    fprintf(f, "</p>\n");
    table_html(f, r);
    if (plots)
        fprintf(f, "<p><img src=\"cdf.png\"></p><p><img src=\"m2134.png\"></p><p><img src=\"backbone.png\"></p>"
                   "<p><img src=\"signalling.png\"></p>\n");
    fprintf(f, "<h2>One handover of each scheme</h2>\n");
    for (size_t k = 0; k < r->n_runs && charts; k++)
        fprintf(f, "<h3>%s</h3><p><img src=\"msc_%s.png\"></p>\n", tekho_scheme_name(r->runs[k].scheme),
                tekho_scheme_name(r->runs[k].scheme));
    fprintf(f, "</body></html>\n");
    fclose(f);
    return 0;
}
