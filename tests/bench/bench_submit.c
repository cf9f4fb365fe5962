/* bench_submit.c - submission to the real jiju-ingest binary through
 * common/rpc.h, pipelined with windows 1, 16 and 256, against the raw
 * limits of the same machine in the same run. Not a test: run it by hand.
 *
 *   bench_submit [path/to/jiju-ingest] [runs (5)] [scale (1.0)] [parts (c)]
 *
 * Without an argument the binary is $JIJU_BIN_DIR/services/ingest/jiju-ingest.
 * `scale` multiplies the number of requests per measurement (for a quick try).
 * `parts`: c = the commands and rejected reports below (ingest alone);
 * r = real reports through ingest with the real jiju-assessment beside it,
 * against Redis at the same depth (bench_submit_reports.h; jiju-assessment
 * is found beside jiju-ingest, in ../assessment/).
 *
 * Ingest alone knows no cluster (it learns them from assessment's events),
 * so two honest workloads:
 *   rejected  complete reports for an unregistered cluster: decode, full
 *             validation, E_UNKNOWN_CLUSTER reply; nothing is written, no fsync.
 *   accepted  open_period commands with distinct request ids: validated,
 *             appended to the outbox log and fsynced by group commit before
 *             ACCEPTED is sent (ACCEPTED means on disk).
 * Ingest runs with JIJU_LOG_LEVEL=debug and its stderr in a file, so the
 * group-commit sizes are read from its event=submit_batch n=... lines (its
 * default info level already writes one line per request).
 *
 * Raw baselines, interleaved with the Jiju runs in every round:
 *   echo     a DEALER pipelining the same request bytes, same windows, to a
 *            ROUTER thread that sends each message straight back.
 *   fsync/1  RocksDB, one synced WriteBatch per record (one fsync per
 *            report: what group commit avoids).
 *   fsync/B  RocksDB, synced WriteBatches of the batch size ingest achieved
 *            at window 256 (the disk's limit for that batching). */
#include "bench_common.h"
#include "bench_submit_reports.h"
#include "bench_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zmq.h>

#include "envelope.h"
#include "err.h"
#include "jiju/v1/submit.pb-c.h"
#include "rpc.h"
#include "store.h"
#include "stream.h"

#define MAX_RUNS 32
#define N_WIN 3
enum { KIND_REJECTED = 0, KIND_ACCEPTED = 1 };

static const int windows[N_WIN] = {1, 16, 256};
/* requests per measurement, per window (before scale) */
static const long n_rejected[N_WIN] = {5000, 20000, 50000};
static const long n_accepted[N_WIN] = {1000, 5000, 20000};
#define N_FSYNC1 1000

typedef struct ingest_proc {
    pid_t pid;
    char dir[256], log[300], endpoint[64];
} ingest_proc;

/* A set of prepared requests: packed bytes and their ids. */
typedef struct reqset {
    long n;
    uint8_t **buf;
    size_t *len;
    char (*id)[48];
} reqset;

/* ---- the ingest process ---- */

/* $BENCH_INGEST_SET: more settings for ingest, "key=value key=value" (at
 * most 8), so that one build compares settings in interleaved rounds, e.g.
 * BENCH_INGEST_SET=registry.sync_ms=0 against the default. */
#define MAX_EXTRA_SET 8

static void ingest_exec(const char *bin, const ingest_proc *ip, int port)
{
    char a[5][300], extra[512];
    const char *argv[1 + 2 * (5 + MAX_EXTRA_SET) + 1];
    const char *set = getenv("BENCH_INGEST_SET");
    int fd = open(ip->log, O_WRONLY | O_CREAT | O_TRUNC, 0644), n = 0, k = 0;

    if (fd < 0 || dup2(fd, 2) < 0)
        _exit(127);
    snprintf(a[0], sizeof a[0], "instance=bench-ingest");
    snprintf(a[1], sizeof a[1], "data_dir=%s/data", ip->dir);
    snprintf(a[2], sizeof a[2], "submit.endpoint=%s", ip->endpoint);
    /* nobody listens there: ingest keeps retrying in the background */
    snprintf(a[3], sizeof a[3], "assessment.endpoint=tcp://127.0.0.1:%d", port + 1);
    snprintf(a[4], sizeof a[4], "archive.endpoint=tcp://127.0.0.1:%d", port + 2);
    /* debug adds one line per batch to the one per request of info */
    setenv("JIJU_LOG_LEVEL",
           getenv("BENCH_INGEST_LOG_LEVEL") ? getenv("BENCH_INGEST_LOG_LEVEL") : "debug", 1);
    argv[n++] = bin;
    for (int i = 0; i < 5; i++) {
        argv[n++] = "--set";
        argv[n++] = a[i];
    }
    snprintf(extra, sizeof extra, "%s", set ? set : "");
    for (char *save = NULL, *kv = strtok_r(extra, " ", &save); kv && k < MAX_EXTRA_SET;
         kv = strtok_r(NULL, " ", &save), k++) {
        argv[n++] = "--set";
        argv[n++] = kv;
    }
    argv[n] = NULL;
    execv(bin, (char *const *)argv);
    _exit(127);
}

static int ingest_start(ingest_proc *ip, const char *bin, int port)
{
    if (bench_mkdtemp(ip->dir, sizeof ip->dir, "ingest") != 0)
        return -1;
    snprintf(ip->log, sizeof ip->log, "%s/ingest.log", ip->dir);
    snprintf(ip->endpoint, sizeof ip->endpoint, "tcp://127.0.0.1:%d", port);
    ip->pid = fork();
    if (ip->pid == 0)
        ingest_exec(bin, ip, port);
    return ip->pid > 0 ? 0 : -1;
}

/* Stop ingest; its directory (and log) is kept when keep is set. */
static void ingest_stop(ingest_proc *ip, int keep)
{
    if (ip->pid > 0) {
        kill(ip->pid, SIGTERM);
        waitpid(ip->pid, NULL, 0);
        ip->pid = 0;
    }
    if (!keep)
        bench_rmrf(ip->dir);
}

/* A complete, plausible report for cluster JL-BENCH, which nobody registered. */
static uint8_t *make_report(const char *rid, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Report r = JIJU__V1__REPORT__INIT;

    r.report_id = (char *)rid;
    r.cluster_id = "JL-BENCH";
    r.period = "2023Q2";
    r.revision = 1;
    r.submitted_by = "bench";
    r.enterprises_present_case = JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES;
    r.enterprises = 52;
    r.investment_present_case = JIJU__V1__REPORT__INVESTMENT_PRESENT_INVESTMENT_FEN;
    r.investment_fen = 120000000000;
    r.output_value_present_case = JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN;
    r.output_value_fen = 480000000000;
    r.revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    r.revenue_fen = 450000000000;
    r.tax_present_case = JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN;
    r.tax_fen = 21000000000;
    r.employment_present_case = JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT;
    r.employment = 1800;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    req.report = &r;
    return bench_pack_submit(&req, len);
}

static uint8_t *make_open_period(const char *rid, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;

    op.period = "2023Q2";
    c.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
    c.open_period = &op;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = &c;
    return bench_pack_submit(&req, len);
}

/* Bytes of the outbox record ingest writes for one open_period command
 * (the Envelope envelope_append builds), so the raw RocksDB baseline
 * writes records of the same size. */
static size_t outbox_bytes(void)
{
    static const char *const cfs[] = {STORE_STREAM_CFS};
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    char dir[256];
    store_t *s = NULL;
    stream_log_t *log = NULL;
    store_txn_t *t = NULL;
    void *data = NULL;
    size_t len = 0;

    op.period = "2023Q2";
    c.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
    c.open_period = &op;
    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = &c;
    if (bench_mkdtemp(dir, sizeof dir, "env") == 0 && (s = store_open(dir, cfs, 3, NULL, 0)) &&
        (log = stream_log_open(s, "reports")) && (t = store_txn_new(s)) &&
        envelope_append(log, t, "bench-ingest", &env, NULL) == JIJU_OK &&
        store_txn_commit(t, false) == JIJU_OK && stream_log_read(log, 1, &data, &len) == JIJU_OK)
        free(data);
    store_txn_destroy(&t);
    stream_log_destroy(&log);
    store_close(&s);
    bench_rmrf(dir);
    return len ? len : 128;
}

static void reqset_free(reqset *rs)
{
    for (long i = 0; i < rs->n; i++)
        free(rs->buf[i]);
    free(rs->buf);
    free(rs->len);
    free(rs->id);
    memset(rs, 0, sizeof *rs);
}

/* Prepare n requests before the clock starts (client encoding is not timed). */
static int reqset_make(reqset *rs, int kind, int round, int win, long n)
{
    rs->n = n;
    rs->buf = calloc((size_t)n, sizeof *rs->buf);
    rs->len = calloc((size_t)n, sizeof *rs->len);
    rs->id = calloc((size_t)n, sizeof *rs->id);
    if (!rs->buf || !rs->len || !rs->id)
        return -1;
    for (long i = 0; i < n; i++) {
        snprintf(rs->id[i], sizeof rs->id[i], "b%d-%c%d-%ld", round, kind ? 'a' : 'r', win, i);
        rs->buf[i] = kind == KIND_ACCEPTED ? make_open_period(rs->id[i], &rs->len[i])
                                           : make_report(rs->id[i], &rs->len[i]);
        if (!rs->buf[i])
            return -1;
    }
    return 0;
}

/* ---- Jiju: pipelined through rpc ---- */

/* Consume one reply: 1 if it had the expected status, 0 if not, -1 on error. */
static int take_reply(rpc_t *r, int want_status)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Jiju__V1__SubmitReply *rep;
    int ok;

    if (rpc_recv(r, 10000, &buf, &len, NULL) != JIJU_OK)
        return -1;
    rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    free(buf);
    if (!rep)
        return -1;
    ok = (int)rep->status == want_status;
    if (rpc_done(r, rep->request_id) != JIJU_OK)
        ok = -1;
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return ok;
}

/* Requests/s with at most `win` in flight; -1 on failure or a wrong status. */
static double drive_rpc(rpc_t *r, const reqset *rs, int win, int want_status)
{
    long sent = 0, done = 0;
    double t0 = bench_now_ms();

    while (done < rs->n) {
        while (sent < rs->n && rpc_pending(r) < (size_t)win) {
            if (rpc_send(r, rs->id[sent], rs->buf[sent], rs->len[sent]) != JIJU_OK)
                return -1;
            sent++;
        }
        if (take_reply(r, want_status) != 1)
            return -1;
        done++;
    }
    return (double)rs->n / ((bench_now_ms() - t0) / 1e3);
}

static int wait_ready(rpc_t *r)
{
    uint8_t *req, *rep = NULL;
    size_t len, rlen;
    int rc = -1;

    req = make_report("bench-ready", &len);
    for (int i = 0; i < 100 && rc != 0 && req; i++) {
        if (rpc_call(r, req, len, &rep, &rlen) == JIJU_OK)
            rc = 0;
        free(rep);
        rep = NULL;
    }
    free(req);
    return rc;
}

/* The raw echo baseline: the same request bytes, the same window. */
static double echo_at(const reqset *rs, int win, int port)
{
    char ep[64];

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    return bench_raw_echo(rs->buf, rs->len, rs->n, win, ep);
}

/* ---- one round ---- */

typedef struct results {
    double rej[N_WIN][MAX_RUNS], echo[N_WIN][MAX_RUNS], acc[N_WIN][MAX_RUNS];
    double batch[N_WIN][MAX_RUNS], fsync1[MAX_RUNS], fsyncb[MAX_RUNS];
    long batch_max[N_WIN];
    size_t req_bytes, cmd_bytes, outbox_bytes;
} results;

static long scaled(long n, double scale)
{
    long v = (long)((double)n * scale);

    return v < 10 ? 10 : v;
}

/* Window w of round k: rejected, echo of the same bytes, accepted. */
static int round_window(rpc_t *r, const ingest_proc *ip, results *res, int k, int w, double sc)
{
    reqset rej = {0}, acc = {0};
    long from;
    int rc = -1;

    if (reqset_make(&rej, KIND_REJECTED, k, windows[w], scaled(n_rejected[w], sc)) != 0 ||
        reqset_make(&acc, KIND_ACCEPTED, k, windows[w], scaled(n_accepted[w], sc)) != 0)
        goto out;
    res->req_bytes = rej.len[0];
    res->cmd_bytes = acc.len[0];
    res->rej[w][k] = drive_rpc(r, &rej, windows[w], JIJU__V1__SUBMIT_STATUS__REJECTED);
    res->echo[w][k] = echo_at(&rej, windows[w], bench_port(8 + (k * N_WIN + w) % 8));
    from = bench_file_size(ip->log);
    res->acc[w][k] = drive_rpc(r, &acc, windows[w], JIJU__V1__SUBMIT_STATUS__ACCEPTED);
    bench_ingest_batches(ip->log, from, &res->batch[w][k], &res->batch_max[w]);
    if (res->rej[w][k] > 0 && res->echo[w][k] > 0 && res->acc[w][k] > 0)
        rc = 0;
out:
    reqset_free(&rej);
    reqset_free(&acc);
    return rc;
}

static int run_round(rpc_t *r, const ingest_proc *ip, results *res, int k, double sc)
{
    long b;

    for (int w = 0; w < N_WIN; w++)
        if (round_window(r, ip, res, k, w, sc) != 0)
            return -1;
    res->fsync1[k] = bench_raw_rocksdb(scaled(N_FSYNC1, sc), 1, res->outbox_bytes);
    /* batch sizes are known only with ingest at debug level */
    b = (long)(res->batch[N_WIN - 1][k] + 0.5);
    res->fsyncb[k] =
        b > 0 ? bench_raw_rocksdb(scaled(n_accepted[N_WIN - 1], sc), b, res->outbox_bytes) : 0;
    printf("round %d:", k + 1);
    for (int w = 0; w < N_WIN; w++)
        printf(" w%d rej=%.0f echo=%.0f acc=%.0f batch=%.1f;", windows[w], res->rej[w][k],
               res->echo[w][k], res->acc[w][k], res->batch[w][k]);
    printf(" fsync/1=%.0f fsync/B=%.0f\n", res->fsync1[k], res->fsyncb[k]);
    fflush(stdout);
    return res->fsync1[k] > 0 && res->fsyncb[k] >= 0 ? 0 : -1;
}

/* ---- the report ---- */

static void print_tables(const results *res, int runs)
{
    double f1 = bench_median(res->fsync1, runs), fb = bench_median(res->fsyncb, runs);
    double b256 = bench_median(res->batch[N_WIN - 1], runs);

    printf("\nmedians of %d rounds; request %zu bytes (report), %zu bytes (command)\n\n", runs,
           res->req_bytes, res->cmd_bytes);
    printf("| window | rejected/s | raw echo/s | rejected / echo | accepted/s | "
           "accepted / echo | accepted / fsync-1 | batch mean (max) |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int w = 0; w < N_WIN; w++) {
        double rj = bench_median(res->rej[w], runs), ec = bench_median(res->echo[w], runs);
        double ac = bench_median(res->acc[w], runs), bt = bench_median(res->batch[w], runs);

        printf("| %d | %.0f | %.0f | %.3f | %.0f | %.3f | %.2f | %.1f (%ld) |\n", windows[w], rj,
               ec, rj / ec, ac, ac / ec, ac / f1, bt, res->batch_max[w]);
    }
    printf("\nraw RocksDB, %zu-byte records: one synced commit per record %.0f/s\n",
           res->outbox_bytes, f1);
    if (b256 > 0)
        printf("raw RocksDB, synced batches of %.0f (ingest's median batch at window 256): "
               "%.0f/s; accepted at window 256 / that = %.3f\n",
               b256, fb, bench_median(res->acc[N_WIN - 1], runs) / fb);
    else
        printf("batch sizes unknown (ingest's log level is not debug)\n");
}

int main(int argc, char **argv)
{
    static results res;
    char path[512];
    const char *bin = argc > 1 ? argv[1] : NULL, *dir = getenv("JIJU_BIN_DIR");
    int runs = argc > 2 ? atoi(argv[2]) : 5, port = bench_port(0), rc = 1;
    double scale = argc > 3 ? atof(argv[3]) : 1.0;
    const char *parts = argc > 4 ? argv[4] : "c";
    ingest_proc ip = {0};
    void *ctx = zmq_ctx_new();
    rpc_t *r = NULL;

    if (!bin || !*bin) {
        snprintf(path, sizeof path, "%s/services/ingest/jiju-ingest", dir ? dir : ".");
        bin = path;
    }
    if (runs < 1 || runs > MAX_RUNS || scale <= 0 || access(bin, X_OK) != 0) {
        fprintf(stderr,
                "usage: bench_submit [path/to/jiju-ingest] [runs <= %d] [scale] [parts (c)]\n"
                "(or set JIJU_BIN_DIR to the build dir); %s not executable\n",
                MAX_RUNS, bin);
        return 2;
    }
    if (strchr(parts, 'r')) { /* the build dir: two levels above jiju-ingest */
        char bindir[512];

        snprintf(bindir, sizeof bindir, "%s", bin);
        if (sr_run(dirname(dirname(dirname(bindir))), runs, scale) != 0)
            return 1;
        if (!strchr(parts, 'c'))
            return 0;
    }
    if (ingest_start(&ip, bin, port) != 0 ||
        !(r = rpc_new(ctx, (const char *[]){ip.endpoint}, 1, 10000)))
        goto out;
    res.outbox_bytes = outbox_bytes();
    if (wait_ready(r) != 0) {
        fprintf(stderr, "ingest did not answer; see %s\n", ip.log);
        goto out;
    }
    for (int k = 0; k < runs; k++)
        if (run_round(r, &ip, &res, k, scale) != 0) {
            fprintf(stderr, "round %d failed; see %s\n", k + 1, ip.log);
            goto out;
        }
    print_tables(&res, runs);
    rc = 0;
out:
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
    ingest_stop(&ip, rc != 0);
    return rc;
}
