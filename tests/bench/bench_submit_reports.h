/* bench_submit_reports.h - bench_submit's part "r": real reports (about 250
 * bytes encoded, the ones bench_e2e sends) through the real jiju-ingest,
 * with the real jiju-assessment beside it, and Redis XADD of the same size
 * at the same depth in the same round.
 *
 * Ingest refuses a report for a cluster it does not know, and it learns
 * clusters only from assessment's events; so each round starts a fresh
 * jiju-assessment and a fresh jiju-ingest following it, exactly as
 * bench_e2e starts them (bench_e2e_stack.h: same configs and overrides; the
 * archive and notification are not started, so ingest keeps its records
 * for the archive and retries, as when the archive is down), registers the
 * clusters through ingest, and waits until ingest answers for the last
 * one. Then:
 *
 *   saturation  M reports with at most `window` in flight (256, as Redis):
 *               accepted/s from the first send to the last ACCEPTED; then
 *               assessment's "events" are read from seq 1 until it has
 *               applied all M (ReportAccepted of each). CPU (user+system
 *               from /proc) of ingest and of assessment over that span,
 *               divided by M: µs per report.
 *   latency     M/10 more reports paced at 10% of that accepted/s, each
 *               timed from its send to its ACCEPTED: p50/p99/p999.
 *   redis       redis-server, appendonly yes, appendfsync always;
 *               redis-benchmark XADD of 256 bytes, one connection,
 *               pipeline `window` (bench_baseline.h).
 *
 * The services run at their production log level (info; JIJU_LOG_LEVEL
 * overrides) with stderr in files of a fresh directory, removed after the
 * round unless it failed or BENCH_KEEP is set. */
#ifndef JIJU_BENCH_SUBMIT_REPORTS_H
#define JIJU_BENCH_SUBMIT_REPORTS_H

#include <libgen.h>

#include "bench_baseline.h"
#include "bench_e2e_stack.h"
#include "err.h"
#include "rpc.h"
#include "stream_sub.h"

#define SR_CLUSTERS 200
#define SR_REPORTS 20000
#define SR_REPLY_MS 30000

/* The stack: bench_e2e's (bench_e2e_stack.h), with only assessment and
 * one ingest replica started; the archive's port stays unbound. */
typedef e2e_stack sr_stack;

/* Ingest's stderr (e2e_exec: <dir>/<name>-<service>.log). */
static inline void sr_ingest_log(const sr_stack *st, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s-%d.log", st->dir, e2e_name(SVC_INGEST0), SVC_INGEST0);
}

typedef struct sr_round {
    double acc, cpu_ingest, cpu_assess, redis, lat[3];
    double batch;     /* mean group commit at saturation */
    double commit[3]; /* ingest's synced commit at 10% load, ms: p50 p99 max */
} sr_round;

/* Ingest's group commits logged after byte offset from (its info lines
 * "event=submit_batch n=N ... commit_us=U"): the mean n, and p50, p99 and
 * max of U in ms. */
static inline void sr_batches(const char *path, long from, double *mean, double commit[3])
{
    FILE *f = fopen(path, "r");
    char line[1024];
    double *us = NULL;
    long n = 0, cap = 0, sum = 0, b, u;
    const char *p, *q;

    *mean = 0;
    commit[0] = commit[1] = commit[2] = -1;
    if (!f)
        return;
    fseek(f, from, SEEK_SET);
    while (fgets(line, sizeof line, f)) {
        if (!(p = strstr(line, "event=submit_batch n=")) || sscanf(p + 21, "%ld", &b) != 1 ||
            !(q = strstr(p, "commit_us=")) || sscanf(q + 10, "%ld", &u) != 1)
            continue;
        if (n == cap) {
            double *bigger = realloc(us, (size_t)(cap = cap ? cap * 2 : 1024) * sizeof *us);
            if (!bigger)
                break;
            us = bigger;
        }
        us[n++] = (double)u / 1e3;
        sum += b;
    }
    fclose(f);
    if (n > 0) {
        qsort(us, (size_t)n, sizeof *us, bench_cmp_double);
        *mean = (double)sum / (double)n;
        commit[0] = us[n / 2];
        commit[1] = us[(long)((double)n * 0.99)];
        commit[2] = us[n - 1];
    }
    free(us);
}

static inline pid_t sr_spawn(const e2e_opts *o, const sr_stack *st, int svc)
{
    pid_t pid = fork();

    if (pid == 0)
        e2e_exec(o, st, svc);
    return pid;
}

static inline void sr_stop(sr_stack *st, int keep)
{
    e2e_stack_stop(st, keep);
}

/* One reply within timeout_ms: 1 if ACCEPTED, 0 if another status, 2 if
 * none came in time, -1 on error; *idx is the number after the last '-' of
 * the request id (our index). */
static inline int sr_take(rpc_t *r, int timeout_ms, long *idx)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Jiju__V1__SubmitReply *rep;
    const char *dash;
    int ok, rc = rpc_recv(r, timeout_ms, &buf, &len, NULL);

    if (rc == JIJU_ERR_TIMEOUT && timeout_ms < SR_REPLY_MS)
        return 2;
    if (rc != JIJU_OK)
        return -1;
    rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    free(buf);
    if (!rep)
        return -1;
    ok = rep->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED;
    if (!ok)
        fprintf(stderr, "%s: status %d %s\n", rep->request_id, (int)rep->status,
                rep->n_problems ? rep->problems[0]->code : "");
    dash = strrchr(rep->request_id, '-');
    *idx = dash ? atol(dash + 1) : -1;
    rpc_done(r, rep->request_id);
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return ok;
}

/* Send rs with at most win in flight, paced at rate/s if rate > 0 (the
 * i-th is due at i/rate s); t_send and t_acc (if not NULL) get each
 * request's times. 0 when all were ACCEPTED. */
static inline int sr_drive(rpc_t *r, const e2e_reqs *rs, int win, double rate, double *t_send,
                           double *t_acc)
{
    double t0 = bench_now_ms(), due;
    long sent = 0, done = 0, idx = -1;
    int rc;

    while (done < rs->n) {
        while (sent < rs->n && rpc_pending(r) < (size_t)win &&
               (rate <= 0 || bench_now_ms() >= t0 + 1e3 * (double)sent / rate)) {
            if (t_send)
                t_send[sent] = bench_now_ms();
            if (rpc_send(r, rs->id[sent], rs->buf[sent], rs->len[sent]) != JIJU_OK)
                return -1;
            sent++;
        }
        due = rate > 0 && sent < rs->n ? t0 + 1e3 * (double)sent / rate - bench_now_ms() : -1;
        if (rpc_pending(r) == 0) {
            usleep(due > 1 ? (useconds_t)(due * 1e3) : 50);
            continue;
        }
        /* a reply, or the next send's time (rounded up: never spin) */
        rc = sr_take(r, due >= 0 ? (int)due + 1 : SR_REPLY_MS, &idx);
        if (rc == 2)
            continue;
        if (rc != 1)
            return -1;
        if (t_acc && idx >= 0 && idx < rs->n)
            t_acc[idx] = bench_now_ms();
        done++;
    }
    return 0;
}

/* Until ingest knows the last cluster (hence all: one registry stream). */
static inline int sr_wait_known(rpc_t *r, sr_stack *st)
{
    char cid[32];
    long n = 0;

    cluster_id(cid, sizeof cid, SR_CLUSTERS - 1);
    for (; n < 1200; n++) {
        if (!e2e_probe_unknown(r, n, cid))
            return 0;
        if (e2e_stack_alive(st) != 0)
            return -1;
        usleep(25000);
    }
    return -1;
}

/* Read assessment's events from seq 1 until `want` ReportAccepted of ours
 * (request ids starting with prefix) were applied. 0, or -1 on timeout. */
static inline int sr_wait_applied(void *ctx, const sr_stack *st, const char *prefix, long want)
{
    char e[64];
    stream_sub_t *s;
    long seen = 0;
    double deadline = bench_now_ms() + 180000;

    snprintf(e, sizeof e, "tcp://127.0.0.1:%d", st->port[P_A_STREAM]);
    s = stream_sub_open(ctx, e, "events", "bench-submit", 1, 5000, 200, 2000);
    while (s && seen < want && bench_now_ms() < deadline) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;

        if (stream_sub_next(s, 100, &seq, &data, &len) != JIJU_OK)
            continue;
        if (memmem(data, len, "ReportAccepted", 14) && memmem(data, len, prefix, strlen(prefix)))
            seen++;
        free(data);
        if (seq % 512 == 0)
            stream_sub_ack(s, seq);
    }
    stream_sub_destroy(&s);
    return seen == want ? 0 : -1;
}

static inline int sr_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* p50, p99, p999 of t_acc[i] - t_send[i]. */
static inline void sr_percentiles(const double *t_send, const double *t_acc, long n, double out[3])
{
    double *v = malloc((size_t)n * sizeof *v);
    long m = 0;

    out[0] = out[1] = out[2] = -1;
    for (long i = 0; v && i < n; i++)
        if (t_send[i] > 0 && t_acc[i] > 0)
            v[m++] = t_acc[i] - t_send[i];
    if (m > 0) {
        qsort(v, (size_t)m, sizeof *v, sr_cmp);
        out[0] = v[m / 2];
        out[1] = v[(long)((double)m * 0.99)];
        out[2] = v[(long)((double)m * 0.999)];
    }
    free(v);
}

/* Saturation and latency on a stack whose clusters are known. */
static inline int sr_measure(rpc_t *r, void *ctx, sr_stack *st, long m, int win, sr_round *out)
{
    e2e_reqs sat = {0}, lat = {0};
    long nl = m / 10 > 200 ? m / 10 : 200;
    double t0, t1, ci0, ca0, mean, *ts = NULL, *ta = NULL;
    char log[300];
    long from;
    int rc = -1;

    /* the latency phase's reports follow the saturation's (new months, then
     * higher revisions) */
    if (reqs_reports(&sat, m, SR_CLUSTERS, 0, "sat-") != 0 ||
        reqs_reports(&lat, nl, SR_CLUSTERS, m, "lat-") != 0 ||
        !(ts = calloc((size_t)nl, sizeof *ts)) || !(ta = calloc((size_t)nl, sizeof *ta)))
        goto out;
    sr_ingest_log(st, log, sizeof log);
    from = bench_file_size(log);
    ci0 = e2e_cpu_ms(st->pid[SVC_INGEST0]);
    ca0 = e2e_cpu_ms(st->pid[SVC_ASSESS]);
    t0 = bench_now_ms();
    if (sr_drive(r, &sat, win, 0, NULL, NULL) != 0)
        goto out;
    t1 = bench_now_ms();
    if (sr_wait_applied(ctx, st, "sat-", m) != 0) {
        fprintf(stderr, "assessment did not apply the %ld reports\n", m);
        goto out;
    }
    out->acc = (double)m / ((t1 - t0) / 1e3);
    out->cpu_ingest = (e2e_cpu_ms(st->pid[SVC_INGEST0]) - ci0) * 1e3 / (double)m;
    out->cpu_assess = (e2e_cpu_ms(st->pid[SVC_ASSESS]) - ca0) * 1e3 / (double)m;
    sr_batches(log, from, &out->batch, out->commit);
    from = bench_file_size(log);
    if (sr_drive(r, &lat, win, out->acc * 0.1, ts, ta) != 0)
        goto out;
    sr_percentiles(ts, ta, nl, out->lat);
    sr_batches(log, from, &mean, out->commit);
    rc = 0;
out:
    free(ts);
    free(ta);
    reqs_free(&sat);
    reqs_free(&lat);
    return rc;
}

/* One round: a fresh stack, registrations, the measurement, then Redis. */
static inline int sr_round_run(const e2e_opts *o, long m, int win, sr_round *out)
{
    sr_stack st = {0};
    e2e_reqs reg = {0};
    void *ctx = zmq_ctx_new();
    char e[64];
    rpc_t *r = NULL;
    int rc = -1;

    st.replicas = 1;
    if (bench_mkdtemp(st.dir, sizeof st.dir, "reports") != 0 ||
        bench_free_ports(st.port, N_PORTS) != 0)
        goto out;
    st.pid[SVC_ASSESS] = sr_spawn(o, &st, SVC_ASSESS);
    st.pid[SVC_INGEST0] = sr_spawn(o, &st, SVC_INGEST0);
    snprintf(e, sizeof e, "tcp://127.0.0.1:%d", st.port[P_SUBMIT0]);
    if (st.pid[SVC_ASSESS] <= 0 || st.pid[SVC_INGEST0] <= 0 ||
        !(r = rpc_new(ctx, (const char *[]){e}, 1, SR_REPLY_MS)))
        goto out;
    if (reqs_clusters(&reg, SR_CLUSTERS) != 0 || sr_drive(r, &reg, 256, 0, NULL, NULL) != 0 ||
        sr_wait_known(r, &st) != 0) {
        fprintf(stderr, "the clusters were not registered\n");
        goto out;
    }
    if (sr_measure(r, ctx, &st, m, win, out) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "reports round failed; logs kept in %s\n", st.dir);
    reqs_free(&reg);
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
    sr_stop(&st, rc != 0 || getenv("BENCH_KEEP"));
    if (rc == 0 && getenv("BENCH_KEEP"))
        fprintf(stderr, "logs kept in %s\n", st.dir);
    if (rc == 0)
        out->redis = bench_redis_xadd(st.port[P_REDIS], win);
    return rc;
}

/* The source tree (deploy/config): $BENCH_SRC_DIR (to run another build's
 * binaries with that build's configs), else this file's, as compiled in. */
static inline void sr_src_dir(char *buf, size_t cap)
{
    char here[512];
    const char *env = getenv("BENCH_SRC_DIR");

    snprintf(here, sizeof here, "%s", __FILE__); /* <src>/tests/bench/bench_submit_reports.h */
    snprintf(buf, cap, "%s", env && *env ? env : dirname(dirname(dirname(here))));
}

static inline int sr_run(const char *bindir, int runs, double scale)
{
    sr_round rr[32];
    double acc[32], ci[32], ca[32], rd[32], p50[32], p99[32], p999[32], bt[32], c50[32], c99[32],
        cmax[32];
    long m = (long)(SR_REPORTS * scale);
    e2e_opts o = {0};
    int win = 256;

    if (m < 200)
        m = 200;
    sr_src_dir(o.src, sizeof o.src);
    snprintf(o.bindir, sizeof o.bindir, "%s", bindir);
    for (int k = 0; k < runs && k < 32; k++) {
        memset(&rr[k], 0, sizeof rr[k]);
        if (sr_round_run(&o, m, win, &rr[k]) != 0)
            return -1;
        acc[k] = rr[k].acc;
        ci[k] = rr[k].cpu_ingest;
        ca[k] = rr[k].cpu_assess;
        rd[k] = rr[k].redis;
        p50[k] = rr[k].lat[0];
        p99[k] = rr[k].lat[1];
        p999[k] = rr[k].lat[2];
        bt[k] = rr[k].batch;
        c50[k] = rr[k].commit[0];
        c99[k] = rr[k].commit[1];
        cmax[k] = rr[k].commit[2];
        printf("reports round %d: accepted=%.0f redis=%.0f cpu_us ingest=%.1f assessment=%.1f "
               "batch=%.1f acc_ms p50=%.2f p99=%.2f p999=%.2f commit_ms p50=%.2f p99=%.2f "
               "max=%.2f\n",
               k + 1, acc[k], rd[k], ci[k], ca[k], bt[k], p50[k], p99[k], p999[k], c50[k], c99[k],
               cmax[k]);
        fflush(stdout);
    }
    printf("\nreal reports (%ld per round, %d clusters), window %d, medians of %d rounds\n\n", m,
           SR_CLUSTERS, win, runs);
    printf("| accepted/s | Redis XADD 256 B always /s | accepted / Redis | batch | CPU µs/report "
           "ingest | CPU µs/report assessment | submit->ACCEPTED p50 / p99 / p999 ms at 10%% | "
           "ingest's synced commit p50 / p99 / max ms at 10%% |\n");
    printf("|---:|---:|---:|---:|---:|---:|---|---|\n");
    printf("| %.0f | %.0f | %.2f | %.0f | %.1f | %.1f | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f "
           "|\n",
           bench_median(acc, runs), bench_median(rd, runs),
           bench_median(acc, runs) / bench_median(rd, runs), bench_median(bt, runs),
           bench_median(ci, runs), bench_median(ca, runs), bench_median(p50, runs),
           bench_median(p99, runs), bench_median(p999, runs), bench_median(c50, runs),
           bench_median(c99, runs), bench_median(cmax, runs));
    return 0;
}

#endif
