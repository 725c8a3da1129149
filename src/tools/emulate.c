/* The emulator's replications (report.h, emulate_grid and
 * emulate_schemes): every (point, scheme, replication) is a job (two
 * with the M.2134 run: one replication keeps two threads busy), run by
 * worker threads (a struct tekho_sim is one thread's; different ones share
 * nothing), each result in its own slot and every point aggregated alone,
 * so the figures do not depend on the number of jobs. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run: its stats and its samples per direction, sorted. */
static tekho_err run_once(const struct tekho_sim_params *p, unsigned duration, struct tekho_sim_stats *st,
                          double *samples[TEKHO_SIM_DIRECTIONS], size_t n[TEKHO_SIM_DIRECTIONS])
{
    struct tekho_sim *sim = NULL;
    tekho_err err = tekho_sim_new(p, &sim);
    if (err != TEKHO_OK)
        return err;
    err = tekho_sim_run(sim, (uint64_t)duration * 1000000u);
    tekho_sim_stats(sim, st);
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS && err == TEKHO_OK; d++) {
        n[d] = tekho_sim_interruptions(sim, (enum tekho_sim_direction)d, NULL, 0);
        samples[d] = malloc((n[d] ? n[d] : 1) * sizeof *samples[d]);
        if (samples[d] == NULL) {
            err = TEKHO_ERR_NO_MEMORY;
            break;
        }
        tekho_sim_interruptions(sim, (enum tekho_sim_direction)d, samples[d], n[d]);
        qsort(samples[d], n[d], sizeof *samples[d], cmp_double);
    }
    tekho_sim_free(sim);
    return err;
}

/* Sums b's counters into a (the interruption summaries are made later). */
static void add_stats(struct tekho_sim_stats *a, const struct tekho_sim_stats *b)
{
    unsigned long *x = (unsigned long *)a;
    const unsigned long *y = (const unsigned long *)b;
    /* Every member up to `interruption` and after it is an unsigned long. */
    const size_t head = offsetof(struct tekho_sim_stats, interruption) / sizeof(unsigned long);
    for (size_t i = 0; i < head; i++)
        x[i] += y[i];
    const size_t tail_from = (offsetof(struct tekho_sim_stats, interruption) + sizeof a->interruption);
    for (size_t at = tail_from; at + sizeof(unsigned long) <= sizeof *a; at += sizeof(unsigned long))
        *(unsigned long *)((char *)a + at) += *(const unsigned long *)((const char *)b + at);
}

/* Summary of pooled sorted samples s[0..n). */
static void summarise(const double *s, size_t n, struct tekho_sim_interruption *out)
{
    out->n = n;
    out->min_ms = out->p50_ms = out->p99_ms = out->max_ms = out->mean_ms = 0;
    if (n == 0)
        return;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    out->mean_ms = sum / (double)n;
    out->min_ms = s[0];
    out->max_ms = s[n - 1];
    out->p50_ms = stats_percentile(s, n, 0.50);
    out->p99_ms = stats_percentile(s, n, 0.99);
}

/* The replications' samples of one direction pooled and sorted. */
static double *pool_samples(const struct report_run *r, int d, bool m2134, size_t *n)
{
    *n = 0;
    for (size_t k = 0; k < r->n_reps; k++)
        *n += m2134 ? r->reps[k].n_m2134[d] : r->reps[k].n[d];
    double *all = malloc((*n ? *n : 1) * sizeof *all);
    if (all == NULL)
        return NULL;
    size_t at = 0;
    for (size_t k = 0; k < r->n_reps; k++) {
        const size_t m = m2134 ? r->reps[k].n_m2134[d] : r->reps[k].n[d];
        if (m)
            memcpy(all + at, m2134 ? r->reps[k].m2134_samples[d] : r->reps[k].samples[d], m * sizeof *all);
        at += m;
    }
    qsort(all, *n, sizeof *all, cmp_double);
    return all;
}

#define RESAMPLES 1000

/* The intervals of one direction: the mean over the replications' means
 * (t), the percentiles by the bootstrap over replications. */
static bool direction_ci(const struct report_run *r, int d, bool m2134, struct report_interruption_ci *ci)
{
    const double **rep = calloc(r->n_reps, sizeof *rep);
    size_t *n = calloc(r->n_reps, sizeof *n);
    double *means = calloc(r->n_reps, sizeof *means);
    bool ok = rep && n && means;
    size_t with = 0;
    for (size_t k = 0; ok && k < r->n_reps; k++) {
        rep[k] = m2134 ? r->reps[k].m2134_samples[d] : r->reps[k].samples[d];
        n[k] = m2134 ? r->reps[k].n_m2134[d] : r->reps[k].n[d];
        if (n[k]) {
            double sum = 0;
            for (size_t i = 0; i < n[k]; i++)
                sum += rep[k][i];
            means[with++] = sum / (double)n[k];
        }
    }
    if (ok) {
        ci->mean = stats_mean_ci(means, with);
        const uint64_t seed = 0x7465686bu ^ (uint64_t)r->scheme << 8 ^ (uint64_t)d << 4 ^ (uint64_t)m2134;
        ok = stats_pooled_quantile_ci(rep, n, r->n_reps, 0.50, RESAMPLES, seed, &ci->p50) &&
             stats_pooled_quantile_ci(rep, n, r->n_reps, 0.99, RESAMPLES, seed + 1, &ci->p99);
    }
    free(rep);
    free(n);
    free(means);
    return ok;
}

/* A replication's figure for a paired difference. */
static double rep_figure(const struct rep_result *x, int which)
{
    switch (which) {
    case DIFF_UNION_MEAN: {
        double sum = 0;
        for (size_t i = 0; i < x->n[TEKHO_SIM_UNION]; i++)
            sum += x->samples[TEKHO_SIM_UNION][i];
        return x->n[TEKHO_SIM_UNION] ? sum / (double)x->n[TEKHO_SIM_UNION] : 0;
    }
    case DIFF_UNION_P50: return stats_percentile(x->samples[TEKHO_SIM_UNION], x->n[TEKHO_SIM_UNION], 0.50);
    case DIFF_UNION_P99: return stats_percentile(x->samples[TEKHO_SIM_UNION], x->n[TEKHO_SIM_UNION], 0.99);
    default:
        return x->m2134_samples[TEKHO_SIM_UNION]
                   ? stats_percentile(x->m2134_samples[TEKHO_SIM_UNION], x->n_m2134[TEKHO_SIM_UNION], 0.99)
                   : 0;
    }
}

static tekho_err aggregate(const struct tekho_sim_params *p, struct report_run *r, bool m2134)
{
    memset(&r->st, 0, sizeof r->st);
    memset(r->m2134, 0, sizeof r->m2134);
    r->m2134_completed = r->m2134_events = 0;
    r->wall_s = 0;
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct rep_result *x = &r->reps[k];
        add_stats(&r->st, &x->st);
        for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
            r->st.interruption[d].censored += x->st.interruption[d].censored;
            r->st.interruption[d].censored_at_end += x->st.interruption[d].censored_at_end;
            r->m2134[d].censored += x->m2134[d].censored;
            r->m2134[d].censored_at_end += x->m2134[d].censored_at_end;
        }
        r->m2134_completed += x->m2134_completed;
        r->m2134_events += x->m2134_events;
        r->wall_s += x->wall_s + x->m2134_wall_s;
    }
    for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
        for (int m = 0; m < (m2134 ? 2 : 1); m++) {
            size_t n = 0;
            double *all = pool_samples(r, d, m, &n);
            if (all == NULL || !direction_ci(r, d, m, m ? &r->m2134_ci[d] : &r->ci[d])) {
                free(all);
                return TEKHO_ERR_NO_MEMORY;
            }
            summarise(all, n, m ? &r->m2134[d] : &r->st.interruption[d]);
            if (d == TEKHO_SIM_UNION && m) {
                r->m2134_samples = all;
                r->n_m2134_samples = n;
            } else if (d == TEKHO_SIM_UNION) {
                r->samples = all;
                r->n_samples = n;
            } else {
                free(all);
            }
        }
    }
    struct tekho_sim_params q = *p;
    tekho_sim_params_ideal(&q);
    if (tekho_sim_model(&q, r->scheme, r->model) != TEKHO_OK)
        memset(r->model, 0, sizeof r->model);
    tekho_sim_params_m2134(&q);
    if (tekho_sim_model(&q, r->scheme, r->m2134_model) != TEKHO_OK)
        memset(r->m2134_model, 0, sizeof r->m2134_model);
    return TEKHO_OK;
}

static void paired(struct report_run *r, const struct report_run *counter, bool m2134)
{
    double *d = malloc((r->n_reps ? r->n_reps : 1) * sizeof *d);
    r->paired = d != NULL;
    for (int which = 0; d != NULL && which < N_DIFFS; which++) {
        if (which == DIFF_M2134_P99 && !m2134) {
            memset(&r->diff[which], 0, sizeof r->diff[which]);
            continue;
        }
        for (size_t k = 0; k < r->n_reps; k++)
            d[k] = rep_figure(&r->reps[k], which) - rep_figure(&counter->reps[k], which);
        r->diff[which] = stats_mean_ci(d, r->n_reps);
    }
    free(d);
}

/* One point of a grid in the pool: its parameters, every scheme's runs,
 * the jobs of it not finished yet, and whether it has been aggregated. */
struct slot {
    struct tekho_sim_params p;
    struct report_run runs[TEKHO_SCHEME_COUNT];
    size_t left;
    bool ready;
};

/* Every (point, scheme, replication) of a grid is one job, numbered point
 * by point (job = point * n * R + r * n + k); a thread takes the next job
 * as long as its point is less than `window` points ahead of the next one
 * to be handed to the caller, so the threads stay busy across points
 * while memory holds at most `window` points. The thread that finishes a
 * point's last job aggregates it. */
struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const struct emulate_grid *g;
    const enum tekho_scheme *schemes;
    size_t n_schemes, R, per_point, n_jobs, next, done, emitted, window;
    unsigned duration;
    bool m2134, progress;
    struct slot *slots;
    tekho_err err;
};

/* Job `job` of a point: its scheme, its replication, and which of the
 * replication's runs (the measured one, or with m2134 its M.2134 run,
 * each a job, so that one replication keeps two jobs busy). The two write
 * different members of their replication's result. */
static tekho_err run_job(const struct pool *pool, struct slot *slot, size_t job)
{
    const size_t runs = pool->m2134 ? 2 : 1, which = job % runs, k = job / runs % pool->n_schemes,
                 r = job / runs / pool->n_schemes;
    struct rep_result *out = &slot->runs[k].reps[r];
    struct tekho_sim_params q = slot->p;
    q.scheme = pool->schemes[k];
    q.seed = slot->p.seed + r;
    const double t0 = wall_s();
    tekho_err err;
    if (which == 0) {
        err = run_once(&q, pool->duration, &out->st, out->samples, out->n);
        out->wall_s = wall_s() - t0;
    } else {
        tekho_sim_params_m2134(&q);
        struct tekho_sim_stats st;
        err = run_once(&q, pool->duration, &st, out->m2134_samples, out->n_m2134);
        memcpy(out->m2134, st.interruption, sizeof out->m2134);
        out->m2134_completed = st.completed;
        out->m2134_events = st.events;
        out->m2134_wall_s = wall_s() - t0;
    }
    return err;
}

static void progress_line(const struct pool *pool)
{
    const unsigned width = 30, bar = (unsigned)((double)width * (double)pool->done / (double)pool->n_jobs);
    fprintf(stderr, "\r%zu schemes x %zu replications [%.*s%*s] %3zu%%", pool->n_schemes, pool->R, bar,
            "##############################", (int)(width - bar), "", 100 * pool->done / pool->n_jobs);
    if (pool->done == pool->n_jobs)
        fprintf(stderr, "\n");
}

/* Sets up the slot of point pt (under the lock): its parameters and room
 * for every replication. */
static tekho_err open_slot(struct pool *pool, size_t pt)
{
    struct slot *slot = &pool->slots[pt % pool->window];
    memset(slot, 0, sizeof *slot);
    pool->g->point(pool->g->ctx, pt, &slot->p);
    slot->left = pool->per_point;
    for (size_t k = 0; k < pool->n_schemes; k++) {
        slot->runs[k].scheme = pool->schemes[k];
        slot->runs[k].n_reps = pool->R;
        slot->runs[k].reps = calloc(pool->R, sizeof *slot->runs[k].reps);
        if (slot->runs[k].reps == NULL)
            return TEKHO_ERR_NO_MEMORY;
    }
    return TEKHO_OK;
}

static tekho_err aggregate(const struct tekho_sim_params *p, struct report_run *r, bool m2134);
static void paired(struct report_run *r, const struct report_run *counter, bool m2134);

/* A point's figures once all its runs are in: emulate_schemes' aggregation. */
static tekho_err finish_slot(const struct pool *pool, struct slot *slot)
{
    const struct report_run *counter = NULL;
    for (size_t k = 0; k < pool->n_schemes; k++) {
        const tekho_err err = aggregate(&slot->p, &slot->runs[k], pool->m2134);
        if (err != TEKHO_OK)
            return err;
        if (slot->runs[k].scheme == TEKHO_SCHEME_COUNTER)
            counter = &slot->runs[k];
    }
    for (size_t k = 0; counter != NULL && k < pool->n_schemes; k++)
        if (&slot->runs[k] != counter)
            paired(&slot->runs[k], counter, pool->m2134);
    return TEKHO_OK;
}

static void *worker(void *arg)
{
    struct pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    while (pool->err == TEKHO_OK && pool->next < pool->n_jobs) {
        const size_t job = pool->next, pt = job / pool->per_point;
        if (pt >= pool->emitted + pool->window) {
            pthread_cond_wait(&pool->cond, &pool->lock);
            continue;
        }
        pool->next++;
        struct slot *slot = &pool->slots[pt % pool->window];
        if (job % pool->per_point == 0) {
            const tekho_err err = open_slot(pool, pt);
            if (err != TEKHO_OK) {
                pool->err = err;
                break;
            }
        }
        pthread_mutex_unlock(&pool->lock);
        tekho_err err = run_job(pool, slot, job % pool->per_point);
        pthread_mutex_lock(&pool->lock);
        pool->done++;
        if (pool->progress)
            progress_line(pool);
        if (err == TEKHO_OK && --slot->left == 0) {
            pthread_mutex_unlock(&pool->lock);
            err = finish_slot(pool, slot);
            pthread_mutex_lock(&pool->lock);
            slot->ready = err == TEKHO_OK;
        }
        if (err != TEKHO_OK && pool->err == TEKHO_OK)
            pool->err = err;
        pthread_cond_broadcast(&pool->cond);
    }
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

static void free_slot(struct pool *pool, struct slot *slot)
{
    for (size_t k = 0; k < pool->n_schemes; k++)
        report_run_free(&slot->runs[k]);
}

tekho_err emulate_grid(const struct emulate_grid *g, const enum tekho_scheme *schemes, size_t n, unsigned duration,
                       size_t R, unsigned jobs, bool m2134, bool progress)
{
    if (g->n_points == 0)
        return TEKHO_OK;
    if (n == 0 || n > TEKHO_SCHEME_COUNT || R == 0)
        return TEKHO_ERR_INVALID_ARGUMENT;
    const size_t per_point = n * R * (m2134 ? 2 : 1); /* run_job: a replication's runs, each a job */
    struct pool pool = {.g = g, .schemes = schemes, .n_schemes = n, .R = R, .per_point = per_point,
                        .n_jobs = g->n_points * per_point, .duration = duration, .m2134 = m2134,
                        .progress = progress, .err = TEKHO_OK};
    if (jobs < 1)
        jobs = 1;
    if (jobs > 64)
        jobs = 64;
    if (jobs > pool.n_jobs)
        jobs = (unsigned)pool.n_jobs;
    /* Enough points in flight that no thread waits while the oldest point's
     * last replications run, and while the caller takes a finished one. */
    pool.window = jobs / pool.per_point + 2;
    if (pool.window > g->n_points)
        pool.window = g->n_points;
    pool.slots = calloc(pool.window, sizeof *pool.slots);
    if (pool.slots == NULL)
        return TEKHO_ERR_NO_MEMORY;
    if (pthread_mutex_init(&pool.lock, NULL) != 0) {
        free(pool.slots);
        return TEKHO_ERR_NO_MEMORY;
    }
    if (pthread_cond_init(&pool.cond, NULL) != 0) {
        pthread_mutex_destroy(&pool.lock);
        free(pool.slots);
        return TEKHO_ERR_NO_MEMORY;
    }
    pthread_t threads[64];
    unsigned started = 0;
    for (unsigned j = 0; j < jobs; j++)
        if (pthread_create(&threads[started], NULL, worker, &pool) == 0)
            started++;
    if (started == 0) {
        /* No thread at all: this one works, with room for every point. */
        pthread_mutex_lock(&pool.lock);
        pool.window = g->n_points;
        struct slot *all = realloc(pool.slots, pool.window * sizeof *all);
        if (all == NULL)
            pool.err = TEKHO_ERR_NO_MEMORY;
        else
            memset(pool.slots = all, 0, pool.window * sizeof *all);
        pthread_mutex_unlock(&pool.lock);
        if (pool.err == TEKHO_OK)
            (void)worker(&pool);
    }
    /* The points to the caller in order, each as soon as it and every one
     * before it is ready. */
    size_t pt = 0;
    for (; pt < g->n_points; pt++) {
        struct slot *slot = &pool.slots[pt % pool.window];
        pthread_mutex_lock(&pool.lock);
        while (!slot->ready && pool.err == TEKHO_OK)
            pthread_cond_wait(&pool.cond, &pool.lock);
        const bool go = pool.err == TEKHO_OK;
        pthread_mutex_unlock(&pool.lock);
        if (!go)
            break;
        const tekho_err err = g->done(g->ctx, pt, &slot->p, slot->runs);
        free_slot(&pool, slot);
        pthread_mutex_lock(&pool.lock);
        slot->ready = false;
        pool.emitted++;
        if (err != TEKHO_OK && pool.err == TEKHO_OK)
            pool.err = err;
        pthread_cond_broadcast(&pool.cond);
        pthread_mutex_unlock(&pool.lock);
    }
    for (unsigned j = 0; j < started; j++)
        pthread_join(threads[j], NULL);
    /* After an error: the points opened and not handed over. */
    for (; pt < (pool.next + pool.per_point - 1) / pool.per_point; pt++)
        free_slot(&pool, &pool.slots[pt % pool.window]);
    pthread_cond_destroy(&pool.cond);
    pthread_mutex_destroy(&pool.lock);
    free(pool.slots);
    return pool.err;
}

/* emulate_schemes: a grid of one point, whose runs go to the caller. */
struct one_point {
    const struct tekho_sim_params *p;
    struct report_run *runs;
    size_t n;
};

static void one_point_params(void *ctx, size_t pt, struct tekho_sim_params *p)
{
    (void)pt;
    *p = *((const struct one_point *)ctx)->p;
}

static tekho_err one_point_done(void *ctx, size_t pt, const struct tekho_sim_params *p, struct report_run *runs)
{
    (void)pt;
    (void)p;
    struct one_point *one = ctx;
    memcpy(one->runs, runs, one->n * sizeof *runs);
    memset(runs, 0, one->n * sizeof *runs); /* theirs now */
    return TEKHO_OK;
}

tekho_err emulate_schemes(const struct tekho_sim_params *p, const enum tekho_scheme *schemes, size_t n,
                          unsigned duration, size_t R, unsigned jobs, bool m2134, bool progress,
                          struct report_run *runs)
{
    memset(runs, 0, n * sizeof *runs);
    struct one_point one = {.p = p, .runs = runs, .n = n};
    const struct emulate_grid g = {.n_points = 1, .point = one_point_params, .done = one_point_done, .ctx = &one};
    return emulate_grid(&g, schemes, n, duration, R, jobs, m2134, progress);
}

void report_run_free(struct report_run *r)
{
    for (size_t k = 0; r->reps != NULL && k < r->n_reps; k++) {
        for (int d = 0; d < TEKHO_SIM_DIRECTIONS; d++) {
            free(r->reps[k].samples[d]);
            free(r->reps[k].m2134_samples[d]);
        }
    }
    free(r->reps);
    free(r->samples);
    free(r->m2134_samples);
    r->reps = NULL;
    r->samples = r->m2134_samples = NULL;
}

double report_fluid_flow_rate(const struct tekho_sim_params *p)
{
    struct tekho_sim_params q = *p;
    q.n_ms = 1;
    q.radio.enabled = true;
    struct tekho_sim *sim = NULL;
    if (tekho_sim_new(&q, &sim) != TEKHO_OK)
        return 0;
    /* Neighbouring cells share an edge of the hexagon's side, isd / sqrt 3. */
    const double isd = q.radio.isd_m, side = isd / sqrt(3.0);
    double boundary = 0;
    for (uint32_t a = 1; a <= q.n_bs; a++) {
        double ax, ay;
        tekho_sim_cell_position(sim, a, &ax, &ay);
        for (uint32_t b = a + 1; b <= q.n_bs; b++) {
            double bx, by;
            tekho_sim_cell_position(sim, b, &bx, &by);
            if (fabs(hypot(ax - bx, ay - by) - isd) < 1e-6 * isd)
                boundary += side;
        }
    }
    tekho_sim_free(sim);
    const double area = q.n_bs * sqrt(3.0) / 2 * isd * isd;
    return 2.0 / 3.141592653589793 * (q.radio.speed_kmh / 3.6) * boundary / area;
}
