/* tekho explore: deterministic simulation testing of the real roles
 * (include/tekho/explore.h), and --replay of a saved case. The library does
 * the runs; this file adds the command line, the output, the case files and
 * a watchdog for a role call that never returns. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tekho/explore.h"

static const struct cli_opt EXPLORE_OPTS[] = {
    /* In enum tekho_scheme's order (the choice's index is the scheme), then all. */
    {.name = "scheme", .kind = CLI_CHOICE, .choices = "none|counter|baseline-update|baseline-full|reuse|none-late|baseline-early|baseline-challenge|all",
     .help = "the TEK scheme the roles run (all: each in turn)"},
    {.name = "seed", .kind = CLI_NUM, .min = 0, .max = UINT64_MAX,
     .help = "run i uses seed+i, so --seed S+i --runs 1 repeats run i alone (default 1)"},
    {.name = "runs", .kind = CLI_NUM, .min = 1, .max = 100000000, .help = "runs per scheme (default 100)"},
    {.name = "steps", .kind = CLI_NUM, .min = 1, .max = 100000000,
     .help = "events of each run's fault phase (default 1000); a quiet phase follows"},
    {.name = "shrink", .kind = CLI_NUM, .min = 0, .max = 1000000,
     .help = "replays spent shrinking each violation (default 2000; 0: none)"},
    {.name = "shrink-seconds", .kind = CLI_NUM, .min = 1, .max = 86400,
     .help = "wall-clock bound on shrinking each violation (default 60)"},
    {.name = "max-violations", .kind = CLI_NUM, .min = 1, .max = 1000000,
     .help = "stop a scheme after this many violations (default 1)"},
    {.name = "faults-off", .kind = CLI_NUM, .min = 0, .max = 127,
     .help = "faults switched off, a bit mask: 1 link, 2 air attacker, 4 Authenticator restarts, 8 BS restarts,\n"
             "      32 backbone attacker (spoofed origins), 64 the Authenticator's store (persists late, failed, cut)"},
    {.name = "watchdog", .kind = CLI_NUM, .min = 1, .max = 3600,
     .help = "seconds without a new event before the run is reported stuck (default 20)"},
    {.name = "trace", .kind = CLI_STR, .arg = "FILE",
     .help = "every event, message and role event into FILE (created with its parents; - for standard\n"
             "      error), as tekho sim --trace; use with --replay"},
    {.name = "high-counts", .kind = CLI_FLAG,
     .help = "every run starts M and N 1 to 12 handovers below the count limit (by default one run in 8 does)"},
    {.name = "save", .kind = CLI_STR, .arg = "DIR",
     .help = "write each violation's shrunk case file into DIR (created with its parents)"},
    {.name = "replay", .kind = CLI_STR, .arg = "FILE", .help = "run a saved case file again"},
};
enum { OPT_SCHEME, OPT_SEED, OPT_RUNS, OPT_STEPS, OPT_SHRINK, OPT_SHRINK_S, OPT_MAX_V, OPT_FAULTS_OFF, OPT_WATCHDOG,
       OPT_TRACE, OPT_HIGH_COUNTS, OPT_SAVE, OPT_REPLAY };

static const struct cli_cmd EXPLORE_CMD = {
    .name = "explore",
    .synopsis = "--scheme S [--seed N] [--runs R] [--steps K] [--save DIR] [--json] [--shrink N] [--faults-off MASK]\n"
    "       [--high-counts]\n"
    "       tekho explore --replay FILE [--trace FILE] [--json]",
    .description = "Runs the MS, BS and Authenticator roles under a deterministic adversarial scheduler: random\n"
    "networks, handovers, cancels, re-entries, user data, loss, duplication, reordering, an attacker\n"
    "replaying, mutating and forging air and backbone messages, Authenticator and BS restarts; every\n"
    "invariant checked after every event. Each violation is shrunk and, with --save, written as a case\n"
    "file that --replay runs again. Exit status: 0 clean, 1 a violation, 2 bad arguments.",
    .opts = EXPLORE_OPTS, .n_opts = sizeof EXPLORE_OPTS / sizeof EXPLORE_OPTS[0]};

/* ---- the watchdog: the one piece of global state, and only in the CLI ---- */

static struct tekho_explore_progress g_progress;
static volatile const char *g_scheme = "";
static uint64_t g_last_beats = UINT64_MAX;

static void put_str(char *buf, size_t *n, size_t cap, const char *s)
{
    while (*s && *n + 1 < cap)
        buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t *n, size_t cap, uint64_t v)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < 24);
    while (k > 0 && *n + 1 < cap)
        buf[(*n)++] = digits[--k];
}

static void on_alarm(int sig)
{
    (void)sig;
    const uint64_t beats = g_progress.beats;
    if (beats != g_last_beats) {
        g_last_beats = beats;
        return;
    }
    /* No event since the last tick: a role call (or the driver) is looping.
     * Only async-signal-safe calls from here. */
    char msg[256];
    size_t n = 0;
    put_str(msg, &n, sizeof msg, "tekho explore: watchdog: no progress: scheme ");
    put_str(msg, &n, sizeof msg, (const char *)g_scheme);
    put_str(msg, &n, sizeof msg, g_progress.phase == 1 ? ", shrinking run " : ", run ");
    put_num(msg, &n, sizeof msg, g_progress.run);
    put_str(msg, &n, sizeof msg, " (--seed ");
    put_num(msg, &n, sizeof msg, g_progress.run_seed);
    put_str(msg, &n, sizeof msg, " --runs 1), stuck in event ");
    put_num(msg, &n, sizeof msg, g_progress.event);
    put_str(msg, &n, sizeof msg, " (invariant step-bound)\n");
    if (write(STDERR_FILENO, msg, n) < 0)
        _exit(CLI_EXIT_FAILED);
    _exit(CLI_EXIT_FAILED);
}

static void watchdog_start(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    const struct itimerval it = {.it_interval = {.tv_sec = seconds}, .it_value = {.tv_sec = seconds}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_stop(void)
{
    const struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
}

/* ---- helpers ---- */

static void trace_line(void *ctx, const char *line)
{
    fprintf(ctx, "%s\n", line);
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

struct deadline {
    double until;
    double budget;
};

static bool before_deadline(void *ctx)
{
    const struct deadline *d = ctx;
    return wall_s() < d->until;
}

/* Restarts the shrinking clock: called before each shrink (the library asks keep_going only while shrinking). */
static bool shrink_clock(void *ctx)
{
    struct deadline *d = ctx;
    if (d->until == 0)
        d->until = wall_s() + d->budget;
    return before_deadline(d);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static int save_case(const char *dir, const struct tekho_explore_params *p, const struct tekho_explore_violation *v,
                     char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s-%s-seed%llu.case", dir, tekho_scheme_name(p->scheme),
             tekho_xp_invariant_name(v->outcome.invariant), (unsigned long long)v->run_seed);
    const struct tekho_explore_case c = {.scheme = p->scheme, .schedule = p->schedule, .run_seed = v->run_seed,
                                         .steps = p->steps,
                                         .fixed_bs = p->fixed_bs, .fixed_ms = p->fixed_ms,
                                         .faults_off = p->faults_off, .expect = v->outcome.invariant,
                                         .bytes = v->bytes, .len = v->len};
    char comment[512];
    snprintf(comment, sizeof comment,
             "%s at event %llu: %s\nfound by: tekho explore --scheme %s --seed %llu --runs 1 --steps %llu%s%.0u\n"
             "shrunk from %zu to %zu bytes in %u replays",
             tekho_xp_invariant_name(v->outcome.invariant), (unsigned long long)v->outcome.event, v->outcome.detail,
             tekho_scheme_name(p->scheme), (unsigned long long)v->run_seed, (unsigned long long)p->steps,
             p->faults_off ? " --faults-off " : "", p->faults_off, v->original_len, v->len, v->shrink_tries);
    return tekho_explore_case_write(path, &c, comment) == TEKHO_OK ? 0 : -1;
}

/* ---- --replay ---- */

static int replay(const char *path, bool json, FILE *trace)
{
    struct tekho_explore_case c;
    const tekho_err err = tekho_explore_case_read(path, &c);
    if (err != TEKHO_OK) {
        char why[600];
        snprintf(why, sizeof why, "%s: %s", path, err == TEKHO_ERR_IO ? strerror(errno) : "not a case file");
        return cli_fail(&EXPLORE_CMD, json, why); /* an input that cannot be read: exit 1, as decode's capture */
    }
    struct tekho_explore_params p;
    tekho_explore_case_params(&c, &p);
    p.progress = &g_progress;
    if (trace) {
        p.trace = trace_line;
        p.trace_ctx = trace;
    }
    g_progress.phase = 2;
    g_progress.run_seed = c.run_seed;
    g_scheme = tekho_scheme_name(c.scheme);
    struct tekho_explore_outcome o;
    const tekho_err rerr = tekho_explore_replay(&p, c.bytes, c.len, &o, NULL);
    if (rerr != TEKHO_OK) {
        tekho_explore_case_free(&c);
        return cli_fail(&EXPLORE_CMD, json, tekho_strerror(rerr));
    }
    const bool as_expected = o.invariant == c.expect;
    if (json) {
        printf("{\"scheme\": \"%s\", \"seed\": %llu, \"runs\": 1, \"events\": %llu, \"expected\": \"%s\", "
               "\"as_expected\": %s, \"violations\": [",
               tekho_scheme_name(c.scheme), (unsigned long long)c.run_seed, (unsigned long long)o.events,
               tekho_xp_invariant_name(c.expect), as_expected ? "true" : "false");
        if (o.invariant != TEKHO_XP_NONE) {
            printf("{\"run\": 0, \"invariant\": \"%s\", \"event\": %llu, \"detail\": ",
                   tekho_xp_invariant_name(o.invariant), (unsigned long long)o.event);
            json_str(stdout, o.detail);
            printf(", \"replay\": ");
            json_str(stdout, path);
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("%s: scheme %s, %zu bytes, %llu events: ", path, tekho_scheme_name(c.scheme), c.len,
               (unsigned long long)o.events);
        if (o.invariant == TEKHO_XP_NONE)
            printf("clean");
        else
            printf("violation %s at event %llu: %s", tekho_xp_invariant_name(o.invariant),
                   (unsigned long long)o.event, o.detail);
        printf(" (the case expects %s%s)\n", c.expect == TEKHO_XP_NONE ? "" : "violation:",
               c.expect == TEKHO_XP_NONE ? "clean" : tekho_xp_invariant_name(c.expect));
    }
    tekho_explore_case_free(&c);
    return o.invariant == TEKHO_XP_NONE ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* ---- exploring ---- */

static int explore(const struct cli_args *args, FILE *trace);

int cmd_explore(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(&EXPLORE_CMD, argc, argv, &a);
    if (rc >= 0)
        return rc;
    /* The command line first: a refused one leaves no file behind. */
    if (!a.v[OPT_REPLAY].present && !a.v[OPT_SCHEME].present) {
        rc = cli_usage_error(&EXPLORE_CMD, "missing --scheme (or --replay FILE)");
        cli_args_free(&a);
        return rc;
    }
    if (a.v[OPT_REPLAY].present &&
        (a.v[OPT_SCHEME].present || a.v[OPT_SEED].present || a.v[OPT_RUNS].present || a.v[OPT_SAVE].present)) {
        rc = cli_usage_error(&EXPLORE_CMD, "--replay takes the scheme and the run from the case file");
        cli_args_free(&a);
        return rc;
    }
    /* --trace FILE, - for standard error, opened before any work. */
    const char *trace_path = a.v[OPT_TRACE].present ? (const char *)a.v[OPT_TRACE].bytes : NULL;
    FILE *trace = trace_path != NULL && strcmp(trace_path, "-") == 0 ? stderr : NULL;
    if (trace_path != NULL && trace == NULL && (rc = cli_output_file(&EXPLORE_CMD, "trace", trace_path, &trace)) >= 0) {
        cli_args_free(&a);
        return rc;
    }
    rc = explore(&a, trace);
    if (trace != NULL && trace != stderr && fclose(trace) != 0 && rc == CLI_EXIT_OK) {
        fprintf(stderr, "tekho explore: --trace: cannot write '%s': %s\n", trace_path, strerror(errno));
        rc = CLI_EXIT_FAILED;
    }
    cli_args_free(&a);
    return rc;
}

static int explore(const struct cli_args *args, FILE *trace)
{
    const struct cli_value *v = args->v;
    const char *save_dir = v[OPT_SAVE].present ? (const char *)v[OPT_SAVE].bytes : NULL;
    const char *replay_path = v[OPT_REPLAY].present ? (const char *)v[OPT_REPLAY].bytes : NULL;
    watchdog_start(v[OPT_WATCHDOG].present ? (unsigned)v[OPT_WATCHDOG].num : 20);
    if (replay_path != NULL) {
        if (v[OPT_SCHEME].present || v[OPT_SEED].present || v[OPT_RUNS].present || save_dir != NULL)
            return cli_usage_error(&EXPLORE_CMD, "--replay takes the scheme and the run from the case file");
        const int r = replay(replay_path, args->json, trace);
        watchdog_stop();
        return r;
    }
    if (!v[OPT_SCHEME].present)
        return cli_usage_error(&EXPLORE_CMD, "missing --scheme (or --replay FILE)");
    if (save_dir != NULL) {
        const int rc = cli_output_dir(&EXPLORE_CMD, "save", save_dir);
        if (rc >= 0)
            return rc;
    }
    struct tekho_explore_params p;
    tekho_explore_params_default(&p);
    p.seed = v[OPT_SEED].present ? v[OPT_SEED].num : 1;
    p.runs = v[OPT_RUNS].present ? (unsigned)v[OPT_RUNS].num : 100;
    if (v[OPT_STEPS].present)
        p.steps = v[OPT_STEPS].num;
    if (v[OPT_SHRINK].present)
        p.shrink_attempts = (unsigned)v[OPT_SHRINK].num;
    if (v[OPT_MAX_V].present)
        p.max_violations = (unsigned)v[OPT_MAX_V].num;
    p.faults_off = v[OPT_FAULTS_OFF].present ? (uint32_t)v[OPT_FAULTS_OFF].num : 0;
    p.high_counts = v[OPT_HIGH_COUNTS].present;
    p.progress = &g_progress;
    if (trace != NULL) {
        p.trace = trace_line;
        p.trace_ctx = trace;
    }
    struct deadline shrink_deadline = {.budget = v[OPT_SHRINK_S].present ? (double)v[OPT_SHRINK_S].num : 60};
    p.keep_going = shrink_clock;
    p.keep_going_ctx = &shrink_deadline;

    const bool all = v[OPT_SCHEME].num == TEKHO_SCHEME_COUNT;
    const enum tekho_scheme first = all ? TEKHO_SCHEME_NONE : (enum tekho_scheme)v[OPT_SCHEME].num;
    const enum tekho_scheme last = all ? (enum tekho_scheme)(TEKHO_SCHEME_COUNT - 1) : first;
    uint64_t total_events = 0;
    unsigned total_runs = 0;
    bool found = false, first_json = true;
    char *json_violations = NULL;
    size_t json_len = 0;
    FILE *jv = args->json ? open_memstream(&json_violations, &json_len) : NULL;
    for (int s = first; s <= (int)last; s++) {
        p.scheme = (enum tekho_scheme)s;
        g_scheme = tekho_scheme_name(p.scheme);
        /* The shrinking clock restarts for every violation: keep_going sets it on first use. */
        struct tekho_explore_result r;
        const double t0 = wall_s();
        shrink_deadline.until = 0;
        tekho_err err = tekho_explore_run(&p, &r);
        const double dt = wall_s() - t0;
        if (err != TEKHO_OK) {
            watchdog_stop();
            if (jv)
                fclose(jv);
            free(json_violations);
            tekho_explore_result_free(&r);
            return cli_fail(&EXPLORE_CMD, args->json, tekho_strerror(err));
        }
        total_events += r.events;
        total_runs += r.runs;
        found |= r.n_violations > 0;
        if (!args->json)
            printf("scheme %-15s %u runs, %llu events, %zu violation%s, %.1f s (%.0f events/s incl. shrinking)\n",
                   tekho_scheme_name(p.scheme), r.runs, (unsigned long long)r.events, r.n_violations,
                   r.n_violations == 1 ? "" : "s", dt, dt > 0 ? (double)r.events / dt : 0);
        for (size_t k = 0; k < r.n_violations; k++) {
            const struct tekho_explore_violation *x = &r.violations[k];
            char path[1024] = "";
            if (save_dir != NULL && save_case(save_dir, &p, x, path, sizeof path) != 0) {
                fprintf(stderr, "tekho explore: cannot write %s\n", path);
                path[0] = '\0';
            }
            if (jv) {
                fprintf(jv, "%s{\"run\": %u, \"run_seed\": %llu, \"scheme\": \"%s\", \"invariant\": \"%s\", "
                            "\"event\": %llu, \"detail\": ",
                        first_json ? "" : ", ", x->run, (unsigned long long)x->run_seed, tekho_scheme_name(p.scheme),
                        tekho_xp_invariant_name(x->outcome.invariant), (unsigned long long)x->outcome.event);
                json_str(jv, x->outcome.detail);
                fprintf(jv, ", \"replay\": ");
                if (path[0])
                    json_str(jv, path);
                else
                    fprintf(jv, "null");
                fprintf(jv, "}");
                first_json = false;
            } else {
                printf("  violation %s: run %u (--seed %llu --runs 1), event %llu: %s; %zu bytes (from %zu)%s%s\n",
                       tekho_xp_invariant_name(x->outcome.invariant), x->run, (unsigned long long)x->run_seed,
                       (unsigned long long)x->outcome.event, x->outcome.detail, x->len, x->original_len,
                       path[0] ? ", saved " : "", path);
            }
        }
        tekho_explore_result_free(&r);
    }
    watchdog_stop();
    if (jv) {
        fclose(jv);
        /* runs: the runs done (a scheme stops at --max-violations). */
        printf("{\"scheme\": \"%s\", \"seed\": %llu, \"runs\": %u, \"events\": %llu, \"violations\": [%s]}\n",
               all ? "all" : tekho_scheme_name(first), (unsigned long long)p.seed, total_runs,
               (unsigned long long)total_events, json_violations ? json_violations : "");
        free(json_violations);
    }
    return found ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
