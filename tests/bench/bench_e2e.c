/* bench_e2e.c - every report through all four services, side by side with
 * the raw ZeroMQ+RocksDB pipeline and Redis in the same run. Not a test: run
 * it by hand (docs/benchmarks.md, "End to end").
 *
 *   bench_e2e [build dir] [runs (3)] [reports M (20000)] [window (256)] [configs (0123)]
 *
 * configs picks which of the configurations below run (digits 0-3, and 4
 * for 200 clusters through 2 replicas,
 * e.g. "0" for 200 clusters through one replica only: for profiling).
 *
 * Each configuration (200 and 2,000 clusters, 1 and 3 ingest replicas) gets
 * a fresh stack per round: jiju-assessment, jiju-archive, jiju-notification
 * and R jiju-ingest started by the benchmark with fresh stores and free
 * ports; the clusters are registered through ingest; notification is given
 * 20 department subscriptions (every event, each followed by a store-less
 * consumer thread here that acks, as a department system would) and one
 * webhook subscription for ReportAccepted (answered by a libmicrohttpd
 * receiver in this process). Then:
 *
 *   saturation  M reports (about 250 bytes encoded) pipelined with at most
 *               `window` in flight in all, split over the R replicas. One
 *               clock, started at the first send; each rate is M divided by
 *               the time until: the M-th ACCEPTED (accepted/s); the M-th
 *               ReportAccepted on assessment's "events" stream, followed
 *               here from seq 1 (applied/s); the last report of each
 *               replica found in the archive both as input and as event
 *               (archived/s); the M-th report delivered to every one of
 *               the 20 subscribers (delivered/s); the M-th webhook POST
 *               (webhook/s). A consumer that is not done when the others
 *               are (the webhook gets up to HOOK_WAIT_MS more: its one
 *               POST in flight is slower than delivery, and the table
 *               says how long after the rest it took), or that stops
 *               moving for STALL_MS, or not done within DONE_MS, does not
 *               cost the round: its rate is what arrived divided by the
 *               time of the last arrival, and the table marks it with *
 *               and says how many of M arrived.
 *   latency     L = M/10 more reports sent at 10% of the accepted/s just
 *               measured, each timed from its send to its ACCEPTED and to
 *               its delivery to the last of the 20 subscribers:
 *               p50/p99/p999.
 *   CPU         user+system time of each service (/proc/<pid>/stat) over
 *               the saturation phase, divided by M: µs per report.
 *
 * Baselines, in the same round with the stack stopped:
 *   raw         ZeroMQ PUSH -> a thread that drains up to 1,000 messages,
 *               writes them as one synced RocksDB WriteBatch, and acks the
 *               count back over PUSH; 256-byte messages, `window` in flight.
 *   redis       redis-server (Debian's) with appendonly yes, appendfsync
 *               always; redis-benchmark XADD of 256 bytes, one connection,
 *               pipeline `window`.
 *
 * Soak mode (bench_e2e [build dir] soak [reports] [steps] [configs]):
 * bench_e2e_soak.c.
 *
 * Reports: report g of a stack is for cluster g % clusters, one of 120
 * months, revision 1 + g / (clusters x 120) (bench_e2e_stack.h), so M is
 * not bounded by the number of periods.
 *
 * Medians of rounds; ratios to the raw limit and to Redis. */
#include "bench_baseline.h"
#include "bench_e2e.h"

#include <signal.h>

#define MAX_RUNS 16
#define HOOK_WAIT_MS 60000 /* the webhook's time at most after the others are done */

static int run_stack(const e2e_opts *o, int c, int round, e2e_run *run)
{
    e2e_live *l = NULL;
    e2e_phase ph = {.m = o->reports, .hook_grace_ms = HOOK_WAIT_MS};
    int rc = -1;

    snprintf(ph.prefix, sizeof ph.prefix, "s%d-", round);
    if (e2e_live_up(&l, o, c) != 0 || e2e_live_saturate(l, o, c, run, &ph) != 0 ||
        e2e_live_latency(l, o, c, run, round) != 0 || e2e_live_alive(l) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "config %d round %d failed; logs kept in %s\n", c, round + 1,
                l ? e2e_live_stack(l)->dir : "?");
    if (rc == 0 && getenv("BENCH_E2E_KEEP")) /* the services' logs, to read */
        fprintf(stderr, "config %d round %d: logs kept in %s\n", c, round + 1,
                e2e_live_stack(l)->dir);
    e2e_live_down(&l, rc != 0 || getenv("BENCH_E2E_KEEP"));
    return rc;
}

/* ---- the report ---- */

typedef struct e2e_results {
    e2e_run run[N_CONF][MAX_RUNS];
    double raw[MAX_RUNS], redis[MAX_RUNS];
} e2e_results;

#define MED(field)                                                                                 \
    ({                                                                                             \
        double v_[MAX_RUNS];                                                                       \
        for (int k_ = 0; k_ < n; k_++)                                                             \
            v_[k_] = res->run[c][k_].field;                                                        \
        bench_median(v_, n);                                                                       \
    })

/* "*" when some round of configuration c did not get all M for figure
 * w (0 applied, 1 archived, 2 delivered, 3 webhook). */
static const char *part(const e2e_results *res, int c, int n, int w)
{
    for (int k = 0; k < n; k++) {
        const e2e_run *r = &res->run[c][k];
        long want = r->n_want;

        if ((w == 0 && r->n_app < want) || (w == 1 && !r->arch) || (w == 2 && r->n_deliv < want) ||
            (w == 3 && r->n_hook < want))
            return "*";
    }
    return "";
}

/* Beside the table's p99 submit->ACCEPTED: what ingest's own figures and
 * the run-queue waits say of the same latency phase (bench_e2e_scrape.h). */
static void print_decomposition(const e2e_opts *o, const e2e_results *res)
{
    int n = o->runs;

    printf("\nsubmit->ACCEPTED at 10%% load, where it goes (medians of rounds): ingest's "
           "histograms over the phase (p99 interpolated in buckets of 1, 2.5, 5, 10 ms); time "
           "waited on a run queue for a CPU (schedstat), per request; CPU used in the phase, "
           "%% of one core\n\n");
    printf("| clusters | ingest | client p99 ms | ingest submit turn p99 / mean ms | loop turn "
           "p99 ms | fsync p99 ms | waited for a CPU µs/request: ingest loop, ingest I/O, "
           "ingest rest, client sender + I/O | ingest loop µs/wake-up | CPU %%: ingest, behind "
           "(3), peers, client |\n");
    printf("|---:|---:|---:|---|---:|---:|---|---:|---|\n");
    for (int c = 0; c < N_CONF; c++) {
        if (!o->on[c])
            continue;
        printf("| %ld | %d | %.2f | %.2f / %.2f | %.2f | %.2f | %.0f, %.0f, %.0f, %.0f | %.0f | "
               "%.0f, %.0f, %.0f, %.0f |\n",
               e2e_conf_clusters(c), e2e_conf_replicas(c), MED(lat_acc[1]), MED(dec.turn99),
               MED(dec.turn_mean), MED(dec.loop99), MED(dec.fsync99), MED(dec.wait_us[E2E_W_LOOP]),
               MED(dec.wait_us[E2E_W_IO]), MED(dec.wait_us[E2E_W_REST]),
               MED(dec.wait_us[E2E_W_CLIENT]), MED(dec.loop_wait_slice_us),
               MED(dec.cpu[E2E_W_LOOP]) + MED(dec.cpu[E2E_W_IO]) + MED(dec.cpu[E2E_W_REST]),
               MED(dec.cpu[E2E_W_BEHIND]), MED(dec.cpu[E2E_W_PEERS]), MED(dec.cpu[E2E_W_CLIENT]));
    }
}

static void print_results(const e2e_opts *o, const e2e_results *res, size_t req_bytes)
{
    int n = o->runs;
    double raw = bench_median(res->raw, n), redis = bench_median(res->redis, n);

    printf("\nmedians of %d rounds; %ld reports per run (request %zu bytes), window %d, "
           "%d subscribers + 1 webhook\n",
           n, o->reports, req_bytes, o->window, N_SUBS);
    printf("raw ZeroMQ PUSH -> batch <= 1000 -> synced RocksDB WriteBatch -> ack (%d B): %.0f/s; "
           "Redis XADD %d B, appendfsync always, pipeline %d: %.0f/s\n\n",
           RAW_BYTES, raw, RAW_BYTES, o->window, redis);
    printf("| clusters | ingest | accepted/s | applied/s | archived/s | delivered/s (x%d) | "
           "webhook/s | e2e / raw | accepted / Redis | CPU µs/report: ingest, assess, archive, "
           "notify = total | submit->ACCEPTED p50/p99/p999 ms | submit->delivered p50/p99/p999 "
           "ms |\n",
           N_SUBS);
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n");
    for (int c = 0; c < N_CONF; c++) {
        if (!o->on[c])
            continue;
        double acc = MED(acc), app = MED(app), arch = MED(arch), del = MED(deliv);
        double e2e = del < arch ? del : arch, cpu[4];

        cpu[0] = MED(cpu_us[0]);
        cpu[1] = MED(cpu_us[1]);
        cpu[2] = MED(cpu_us[2]);
        cpu[3] = MED(cpu_us[3]);
        printf("| %ld | %d | %.0f | %.0f%s | %.0f%s | %.0f%s | %.0f%s | %.3f | %.2f | %.0f, %.0f, "
               "%.0f, %.0f = %.0f | %.2f / %.2f / %.2f | %.1f / %.1f / %.1f |\n",
               e2e_conf_clusters(c), e2e_conf_replicas(c), acc, app, part(res, c, n, 0), arch,
               part(res, c, n, 1), del, part(res, c, n, 2), MED(hook), part(res, c, n, 3),
               e2e / raw, acc / redis, cpu[0], cpu[1], cpu[2], cpu[3],
               cpu[0] + cpu[1] + cpu[2] + cpu[3], MED(lat_acc[0]), MED(lat_acc[1]), MED(lat_acc[2]),
               MED(lat_deliv[0]), MED(lat_deliv[1]), MED(lat_deliv[2]));
    }
    print_decomposition(o, res);
    printf("\ne2e = min(archived/s, delivered/s): every report accepted, applied, archived and "
           "delivered to all %d subscribers. webhook/s = the POSTs that arrived (all M, or "
           "those in by %d s after the rest was done) over the time to the last of them.\n",
           N_SUBS, HOOK_WAIT_MS / 1000);
    for (int c = 0; c < N_CONF; c++)
        if (o->on[c])
            printf("webhook, %ld clusters, %d ingest: the last POST a median %.1f s after the rest "
                   "was done; %.0f POSTs of a report posted before (retries)\n",
                   e2e_conf_clusters(c), e2e_conf_replicas(c), MED(hook_after_ms) / 1e3,
                   MED(hook_again));
    for (int c = 0; c < N_CONF; c++)
        for (int k = 0; o->on[c] && k < n; k++) {
            const e2e_run *r = &res->run[c][k];

            if (r->n_app < o->reports || r->n_deliv < o->reports || !r->arch ||
                r->n_hook < o->reports)
                printf("* %ld clusters, %d ingest, round %d: rate over what arrived when the round "
                       "stopped waiting: applied %ld, delivered to all %ld, webhook POSTs %ld of "
                       "%ld; archived %s\n",
                       e2e_conf_clusters(c), e2e_conf_replicas(c), k + 1, r->n_app, r->n_deliv,
                       r->n_hook, o->reports, r->arch ? "all" : "not all (rate 0)");
        }
}

/* Where submit->delivered goes at 10% load: medians of the rounds' p50
 * and p99 to each point of the path, and of each stage alone. */
static void print_stages(const e2e_opts *o, const e2e_results *res)
{
    int n = o->runs;

    printf("\nlatency phase by stage, medians of the rounds' p50 / p99 ms: from the send to "
           "ACCEPTED, to the ReportAccepted on assessment's events (applied), to the first and the "
           "last of the %d subscribers; and each stage alone\n\n",
           N_SUBS);
    printf("| clusters | ingest | ->ACCEPTED | ->applied | ->first | ->last | ACCEPTED->applied | "
           "applied->first | first->last |\n|---:|---:|---|---|---|---|---|---|---|\n");
    for (int c = 0; c < N_CONF; c++) {
        if (!o->on[c])
            continue;
        printf("| %ld | %d | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | "
               "%.1f / %.1f | %.1f / %.1f |\n",
               e2e_conf_clusters(c), e2e_conf_replicas(c), MED(lat_acc[0]), MED(lat_acc[1]),
               MED(lat_app[0]), MED(lat_app[1]), MED(lat_first[0]), MED(lat_first[1]),
               MED(lat_deliv[0]), MED(lat_deliv[1]), MED(stage[0][0]), MED(stage[0][1]),
               MED(stage[1][0]), MED(stage[1][1]), MED(stage[2][0]), MED(stage[2][1]));
    }
}

static int one_round(const e2e_opts *o, e2e_results *res, int k)
{
    int ports[4];

    printf("round %d:", k + 1);
    for (int c = 0; c < N_CONF; c++) {
        e2e_run *r = &res->run[c][k];

        if (!o->on[c])
            continue;
        if (run_stack(o, c, k, r) != 0)
            return -1;
        printf(" [%ld/%d] acc=%.0f app=%.0f arch=%.0f del=%.0f hook=%.0f (%ld of %ld, last "
               "%.1f s after the rest, %.0f again) cpu=%.0f+%.0f+%.0f+%.0f p99acc=%.2f p99del=%.1f "
               "(p99 stages %.1f %.1f %.1f) turn99=%.2f loop99=%.2f fsync99=%.2f "
               "rq_us=%.0f+%.0f+%.0f;",
               e2e_conf_clusters(c), e2e_conf_replicas(c), r->acc, r->app, r->arch, r->deliv,
               r->hook, r->n_hook, r->n_want, r->hook_after_ms / 1e3, r->hook_again, r->cpu_us[0],
               r->cpu_us[1], r->cpu_us[2], r->cpu_us[3], r->lat_acc[1], r->lat_deliv[1],
               r->stage[0][1], r->stage[1][1], r->stage[2][1], r->dec.turn99, r->dec.loop99,
               r->dec.fsync99, r->dec.wait_us[E2E_W_LOOP], r->dec.wait_us[E2E_W_IO],
               r->dec.wait_us[E2E_W_CLIENT]);
        fflush(stdout);
    }
    if (bench_free_ports(ports, 3) != 0)
        return -1;
    res->raw[k] = bench_raw_pipeline(ports[0], ports[1], o->window);
    res->redis[k] = bench_redis_xadd(ports[2], o->window);
    printf(" raw=%.0f redis=%.0f\n", res->raw[k], res->redis[k]);
    return res->raw[k] > 0 && res->redis[k] > 0 ? 0 : -1;
}

/* The source tree: $JIJU_SRC_DIR, else the one this file was compiled from. */
static void src_dir(char *buf, size_t cap)
{
    const char *env = getenv("JIJU_SRC_DIR"), *tail = "/tests/bench/bench_e2e.c";
    size_t n = strlen(__FILE__), t = strlen(tail);

    if (env && *env)
        snprintf(buf, cap, "%s", env);
    else if (n > t && strcmp(__FILE__ + n - t, tail) == 0)
        snprintf(buf, cap, "%.*s", (int)(n - t), __FILE__);
    else
        snprintf(buf, cap, ".");
}

static int opts_parse(e2e_opts *o, int argc, char **argv)
{
    const char *dir = argc > 1 && *argv[1] ? argv[1] : getenv("JIJU_BIN_DIR");

    memset(o, 0, sizeof *o);
    e2e_conf_from_env();
    snprintf(o->bindir, sizeof o->bindir, "%s", dir && *dir ? dir : ".");
    src_dir(o->src, sizeof o->src);
    o->window = 256;
    if (argc > 2 && strcmp(argv[2], "soak") == 0) { /* [dir] soak [reports] [steps] [configs] */
        o->soak = o->runs = 1;
        o->reports = argc > 3 ? atol(argv[3]) : 200000;
        o->steps = argc > 4 ? atoi(argv[4]) : 20;
        if (o->steps < 1 || o->steps > SOAK_MAX_STEPS || o->reports / o->steps < 200) {
            fprintf(stderr, "soak: steps 1..%d, at least 200 reports a step\n", SOAK_MAX_STEPS);
            return -1;
        }
    } else {
        o->runs = argc > 2 ? atoi(argv[2]) : 3;
        o->reports = argc > 3 ? atol(argv[3]) : 20000;
        o->window = argc > 4 ? atoi(argv[4]) : 256;
    }
    for (const char *p = argc > 5 ? argv[5] : o->soak ? "0" : "0123"; *p; p++)
        if (*p >= '0' && *p < '0' + N_CONF)
            o->on[*p - '0'] = 1;
    if (o->runs < 1 || o->runs > MAX_RUNS || o->reports < 200 || o->window < MAX_ING) {
        fprintf(stderr, "runs 1..%d, reports >= 200, window >= %d\n", MAX_RUNS, MAX_ING);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static e2e_results res;
    e2e_opts o;
    size_t req_bytes = 0;
    uint8_t *b;

    signal(SIGPIPE, SIG_IGN);
    if (opts_parse(&o, argc, argv) != 0) {
        fprintf(stderr, "usage: bench_e2e [build dir (or $JIJU_BIN_DIR)] [runs (3)] "
                        "[reports (20000)] [window (256)] [configs (0123)]\n"
                        "       bench_e2e [build dir] soak [reports (200000)] [steps (20)] "
                        "[configs (0)]\n");
        return 2;
    }
    if (o.soak) {
        for (int c = 0; c < N_CONF; c++)
            if (o.on[c] && e2e_soak_run(&o, c) != 0)
                return 1;
        return 0;
    }
    if ((b = req_report("s0-19999", "JL-B00199", "2015-01", 1, 1, 2100000000, &req_bytes)))
        free(b);
    for (int k = 0; k < o.runs; k++)
        if (one_round(&o, &res, k) != 0)
            return 1;
    print_results(&o, &res, req_bytes);
    print_stages(&o, &res);
    return 0;
}
