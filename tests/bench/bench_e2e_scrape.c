/* bench_e2e_scrape.c - ingest's histograms from its /metrics and every
 * party's run-queue waits from schedstat, around the latency phase
 * (bench_e2e_scrape.h). */
#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "bench_e2e_scrape.h"

static const char *const hist_names[E2E_N_HIST] = {
    "jiju_ingest_submit_turn_seconds", "jiju_loop_turn_seconds", "jiju_store_fsync_seconds"};

/* ---- /metrics ---- */

typedef struct body {
    char *p;
    size_t n, cap;
} body;

static size_t body_put(char *data, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t n = size * nmemb;

    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);

        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

/* GET http://127.0.0.1:port/metrics; caller frees. NULL on failure. */
static char *metrics_get(int port)
{
    CURL *c = curl_easy_init();
    body b = {0};
    char url[64];
    CURLcode rc;

    if (!c)
        return NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_put);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || !b.p) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The buckets and sum of histogram name in a rendered text, added to *h
 * (the replicas' histograms have the same bounds). A sample line is
 * `name_bucket{le="0.001"} 12` or `name_sum 0.25`. */
static void hist_parse(e2e_hist *h, const char *text, const char *name)
{
    size_t nl = strlen(name);
    int k = 0;

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *le, *val = strchr(p, ' ');

        if (strncmp(p, name, nl) != 0 || !val)
            continue;
        if (strncmp(p + nl, "_sum", 4) == 0)
            h->sum += strtod(val, NULL);
        if (strncmp(p + nl, "_bucket{", 8) != 0 || k >= E2E_HIST_MAX ||
            !(le = strstr(p, "le=\"")) || le > val)
            continue;
        h->le[k] = strncmp(le + 4, "+Inf", 4) == 0 ? INFINITY : strtod(le + 4, NULL);
        h->cum[k++] += strtod(val, NULL);
    }
    if (k > h->n)
        h->n = k;
}

double e2e_hist_quantile(const e2e_hist *a, const e2e_hist *b, double q)
{
    double total, rank, below = 0, lo = 0;

    if (b->n == 0 || (total = b->cum[b->n - 1] - (a->n ? a->cum[b->n - 1] : 0)) <= 0)
        return -1;
    rank = q * total;
    for (int k = 0; k < b->n; k++) {
        double at = b->cum[k] - (a->n ? a->cum[k] : 0);

        if (at >= rank) {
            if (isinf(b->le[k])) /* in +Inf: the highest finite bound, as Prometheus */
                return lo;
            return lo + (b->le[k] - lo) * (at > below ? (rank - below) / (at - below) : 1);
        }
        below = at;
        lo = b->le[k];
    }
    return lo;
}

/* ---- schedstat ---- */

static int sched_read(const char *path, e2e_sched *w)
{
    FILE *f = fopen(path, "r");
    unsigned long long run, wait, slices;
    int ok;

    if (!f)
        return -1;
    ok = fscanf(f, "%llu %llu %llu", &run, &wait, &slices) == 3;
    fclose(f);
    if (!ok)
        return -1;
    w->run_ns += (double)run;
    w->wait_ns += (double)wait;
    w->slices += (double)slices;
    return 0;
}

static void comm_read(const char *task, char *buf, size_t cap)
{
    char path[380];
    FILE *f;

    snprintf(path, sizeof path, "%s/comm", task);
    buf[0] = 0;
    if ((f = fopen(path, "r"))) {
        if (!fgets(buf, (int)cap, f))
            buf[0] = 0;
        fclose(f);
    }
}

/* Every thread under dir (/proc/<pid>/task): the thread main_tid into
 * *main, threads whose name holds io_name (a ZeroMQ context's I/O threads)
 * into *io, the others into *rest; a NULL sink leaves them out. */
static void sched_tasks(const char *dir, int main_tid, const char *io_name, e2e_sched *main,
                        e2e_sched *io, e2e_sched *rest)
{
    char task[340], path[360], comm[64];
    struct dirent *e;
    DIR *d;

    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        e2e_sched *w;

        if (e->d_name[0] == '.')
            continue;
        snprintf(task, sizeof task, "%s/%s", dir, e->d_name);
        comm_read(task, comm, sizeof comm);
        w = atoi(e->d_name) == main_tid ? main : strstr(comm, io_name) ? io : rest;
        snprintf(path, sizeof path, "%s/schedstat", task);
        if (w)
            sched_read(path, w);
    }
    closedir(d);
}

/* Every thread of pid: into w[main_w] (the thread pid itself), w[io_w]
 * (ZeroMQ I/O threads) or w[rest_w]. */
static void sched_process(pid_t pid, e2e_sched *w, int main_w, int io_w, int rest_w)
{
    char dir[64];

    if (pid <= 0)
        return;
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    sched_tasks(dir, (int)pid, "ZMQbg/IO", &w[main_w], &w[io_w], &w[rest_w]);
}

void e2e_sched_self(e2e_sched *w, const char *io_prefix)
{
    sched_tasks("/proc/self/task", (int)gettid(), io_prefix, w, w, NULL);
}

void e2e_sched_add(e2e_sched *to, const e2e_sched *from)
{
    to->run_ns += from->run_ns;
    to->wait_ns += from->wait_ns;
    to->slices += from->slices;
}

int e2e_snap_take(e2e_snap *s, const e2e_stack *st)
{
    int rc = 0;

    memset(s, 0, sizeof *s);
    for (int k = 0; k < st->replicas; k++) {
        char *text = metrics_get(st->port[P_METRICS0 + k]);

        if (!text) {
            rc = -1;
            continue;
        }
        for (int h = 0; h < E2E_N_HIST; h++)
            hist_parse(&s->h[h], text, hist_names[h]);
        free(text);
    }
    if (rc != 0)
        memset(s->h, 0, sizeof s->h);
    for (int k = 0; k < st->replicas; k++)
        sched_process(st->pid[SVC_INGEST0 + k], s->w, E2E_W_LOOP, E2E_W_IO, E2E_W_REST);
    for (int v = SVC_ASSESS; v < SVC_INGEST0; v++)
        sched_process(st->pid[v], s->w, E2E_W_BEHIND, E2E_W_BEHIND, E2E_W_BEHIND);
    sched_process(getpid(), s->w, E2E_W_PEERS, E2E_W_PEERS, E2E_W_PEERS);
    return rc;
}

/* p99 of b - a in ms; -1 when nothing was observed (or not scraped). */
static double p99_ms(const e2e_hist *a, const e2e_hist *b)
{
    double q = e2e_hist_quantile(a, b, 0.99);

    return q < 0 ? -1 : q * 1e3;
}

void e2e_dec_of(e2e_dec *d, const e2e_snap *a, const e2e_snap *b, const e2e_sched *cli, double ms)
{
    const e2e_hist *sa = &a->h[E2E_H_SUBMIT], *sb = &b->h[E2E_H_SUBMIT];
    double n;

    memset(d, 0, sizeof *d);
    d->turn99 = p99_ms(sa, sb);
    d->loop99 = p99_ms(&a->h[E2E_H_LOOP], &b->h[E2E_H_LOOP]);
    d->fsync99 = p99_ms(&a->h[E2E_H_FSYNC], &b->h[E2E_H_FSYNC]);
    n = sb->n ? sb->cum[sb->n - 1] - (sa->n ? sa->cum[sb->n - 1] : 0) : 0;
    d->requests = n;
    d->turn_mean = n > 0 ? (sb->sum - sa->sum) / n * 1e3 : -1;
    for (int w = 0; w < E2E_N_W; w++) {
        e2e_sched x = w == E2E_W_CLIENT ? *cli : b->w[w];

        if (w != E2E_W_CLIENT) {
            x.run_ns -= a->w[w].run_ns;
            x.wait_ns -= a->w[w].wait_ns;
            x.slices -= a->w[w].slices;
        }
        d->wait_us[w] = n > 0 ? x.wait_ns / 1e3 / n : -1;
        d->cpu[w] = ms > 0 ? x.run_ns / 1e6 / ms * 100 : -1;
        if (w == E2E_W_LOOP)
            d->loop_wait_slice_us = x.slices > 0 ? x.wait_ns / 1e3 / x.slices : -1;
    }
}
