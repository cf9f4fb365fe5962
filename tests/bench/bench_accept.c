/* bench_accept.c - accepted REPORTS end to end on the real binaries:
 * jiju-assessment, jiju-archive and jiju-ingest started by the benchmark, N
 * clusters registered through ingest, then M reports submitted through
 * common/rpc.h with at most 16 or 256 in flight. Not a test: run it by hand.
 *
 *   bench_accept [build dir] [runs (5)] [reports M (10000)] [clusters N (200)]
 *
 * The build dir (default $JIJU_BIN_DIR, else ".") holds services/<name>/
 * jiju-<name>; configs are $JIJU_SRC_DIR/deploy/config/<name>.json (default:
 * the source tree this file was compiled from), with data_dir and endpoints
 * overridden. Every (round, window) gets a fresh stack: new stores, new ports
 * (free ones in 10000-20000, checked by binding), the clusters registered
 * again, so both windows start from the same state.
 *
 * Two figures per run, on one clock started at the first rpc_send:
 *   accepted  the M-th ACCEPTED reply from ingest (validated against the
 *             registry replica, in ingest's log, fsynced by group commit);
 *   applied   the M-th ReportAccepted of this run seen on assessment's
 *             "events" stream (followed with stream_sub from seq 1 in a
 *             thread): assessment consumed ingest's "reports" stream and
 *             committed the report, its state and its events, fsynced.
 * Report i is for cluster i % N and monthly period 2015-01 + i / N, so every
 * (cluster, period) is distinct, none is in the future, and periods fill one
 * after the other as a backlog of monthly returns would.
 *
 * Raw baselines, interleaved in every round as bench_submit does:
 *   echo     the same request bytes pipelined at the same window to a ROUTER
 *            thread that sends each straight back (the transport's ceiling);
 *   fsync/B  RocksDB, synced WriteBatches of the group-commit size ingest
 *            achieved in that run (read from its event=submit_batch lines at
 *            debug level), records the size of ingest's outbox record. */
#include "bench_common.h"
#include "bench_wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zmq.h>

#include "envelope.h"
#include "err.h"
#include "jiju/v1/submit.pb-c.h"
#include "rpc.h"
#include "store.h"
#include "stream.h"
#include "stream_sub.h"

#define MAX_RUNS 32
#define N_WIN 2
#define MAX_PERIODS 120 /* 2015-01 .. 2024-12: all in the past */
#define REPLY_MS 30000
#define APPLY_MS 120000

static const int windows[N_WIN] = {16, 256};

enum { SVC_ASSESS, SVC_ARCHIVE, SVC_INGEST, N_SVC };
enum { P_SUBMIT, P_A_STREAM, P_A_QUERY, P_B_STREAM, P_B_QUERY, P_ECHO, N_PORTS };
static const char *const svc_names[N_SVC] = {"assessment", "archive", "ingest"};

typedef struct accept_opts {
    char bin[N_SVC][512], cfg[N_SVC][512];
    int runs;
    long reports, clusters;
} accept_opts;

/* One stack of the three services, with its directory and ports. */
typedef struct accept_stack {
    char dir[256];
    pid_t pid[N_SVC];
    int port[N_PORTS];
} accept_stack;

/* Prepared requests: packed bytes and their ids (encoding is not timed). */
typedef struct accept_reqs {
    long n;
    uint8_t **buf;
    size_t *len;
    char (*id)[64];
} accept_reqs;

/* ---- ports and processes ---- */

static void accept_endpoint(char *buf, size_t cap, int port)
{
    snprintf(buf, cap, "tcp://127.0.0.1:%d", port);
}

/* The --set overrides of service s: its data_dir, its endpoints, and the
 * stream timings the brief asks for. Returns the count. */
static int accept_overrides(const accept_stack *st, int s, char ov[8][300])
{
    char e[N_PORTS][64];
    int n = 0;

    for (int i = 0; i < N_PORTS; i++)
        accept_endpoint(e[i], sizeof e[i], st->port[i]);
    snprintf(ov[n++], 300, "data_dir=%s/%s", st->dir, svc_names[s]);
    snprintf(ov[n++], 300, "stream.heartbeat_ms=200");
    snprintf(ov[n++], 300, "stream.timeout_ms=2000");
    if (s == SVC_ASSESS) {
        snprintf(ov[n++], 300, "stream.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 300, "query.endpoint=%s", e[P_A_QUERY]);
    } else if (s == SVC_ARCHIVE) {
        snprintf(ov[n++], 300, "stream.endpoint=%s", e[P_B_STREAM]);
        snprintf(ov[n++], 300, "events.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 300, "query.endpoint=%s", e[P_B_QUERY]);
    } else {
        snprintf(ov[n++], 300, "instance=bench-ingest");
        snprintf(ov[n++], 300, "submit.endpoint=%s", e[P_SUBMIT]);
        snprintf(ov[n++], 300, "assessment.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 300, "archive.endpoint=%s", e[P_B_STREAM]);
    }
    return n;
}

/* In the child: stderr to <dir>/<name>.log, die with the benchmark (so a
 * crashed or killed benchmark leaves no service behind), exec. */
static void accept_exec(const accept_opts *o, const accept_stack *st, int s)
{
    char ov[8][300], log[300];
    const char *argv[24];
    int n = accept_overrides(st, s, ov), a = 0, fd;

    snprintf(log, sizeof log, "%s/%s.log", st->dir, svc_names[s]);
    fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        _exit(127);
    /* ingest at debug adds one event=submit_batch line per group commit */
    if (s == SVC_INGEST)
        setenv("JIJU_LOG_LEVEL", "debug", 1);
    argv[a++] = o->bin[s];
    argv[a++] = "--config";
    argv[a++] = o->cfg[s];
    for (int i = 0; i < n; i++) {
        argv[a++] = "--set";
        argv[a++] = ov[i];
    }
    argv[a] = NULL;
    execv(o->bin[s], (char *const *)argv);
    _exit(127);
}

/* Stop every service that runs (ingest first: it pushes to the others),
 * SIGKILL after 5 s; remove the directory unless keep. */
static void accept_stack_stop(accept_stack *st, int keep)
{
    for (int s = N_SVC - 1; s >= 0; s--) {
        if (st->pid[s] <= 0)
            continue;
        int gone = 0;

        kill(st->pid[s], SIGTERM);
        for (int i = 0; i < 500 && !gone; i++)
            if (!(gone = waitpid(st->pid[s], NULL, WNOHANG) != 0))
                usleep(10000);
        if (!gone) {
            kill(st->pid[s], SIGKILL);
            waitpid(st->pid[s], NULL, 0);
        }
        st->pid[s] = 0;
    }
    if (st->dir[0] && !keep)
        bench_rmrf(st->dir);
}

static int accept_stack_start(accept_stack *st, const accept_opts *o)
{
    memset(st, 0, sizeof *st);
    if (bench_mkdtemp(st->dir, sizeof st->dir, "accept") != 0 ||
        bench_free_ports(st->port, N_PORTS) != 0)
        return -1;
    for (int s = 0; s < N_SVC; s++) {
        st->pid[s] = fork();
        if (st->pid[s] == 0)
            accept_exec(o, st, s);
        if (st->pid[s] < 0)
            return -1;
    }
    return 0;
}

/* 0 while every service runs; otherwise says which one exited. */
static int accept_stack_alive(accept_stack *st)
{
    for (int s = 0; s < N_SVC; s++)
        if (st->pid[s] > 0 && waitpid(st->pid[s], NULL, WNOHANG) == st->pid[s]) {
            fprintf(stderr, "jiju-%s exited; see %s/%s.log\n", svc_names[s], st->dir,
                    svc_names[s]);
            st->pid[s] = 0;
            return -1;
        }
    return 0;
}

static void accept_cluster_id(char *buf, size_t cap, long i)
{
    snprintf(buf, cap, "JL-B%05ld", i);
}

/* Month k after 2015-01, "YYYY-MM". */
static void accept_period(char *buf, size_t cap, long k)
{
    snprintf(buf, cap, "%04ld-%02ld", 2015 + k / 12, k % 12 + 1);
}

static uint8_t *accept_register(const char *rid, const char *cid, long i, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster rc = JIJU__V1__REGISTER_CLUSTER__INIT;
    Jiju__V1__Cluster cl = JIJU__V1__CLUSTER__INIT;
    char *industries[] = {"现代物流"};

    cl.id = (char *)cid;
    cl.name = "基准测试集聚区";
    cl.category = (Jiju__V1__Category)(1 + i % 9); /* the nine categories in turn */
    cl.county = "船营区";
    cl.level = JIJU__V1__LEVEL__CITY;
    cl.leading_industries = industries;
    cl.n_leading_industries = 1;
    cl.management_org = "管委会";
    rc.cluster = &cl;
    c.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    c.register_cluster = &rc;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = &c;
    return bench_pack_submit(&req, len);
}

/* A complete report; figures vary a little with i so that rankings have
 * something to sort. tax_fen is the caller's (above revenue = refused). */
static uint8_t *accept_report(const char *rid, const char *cid, const char *period, long i,
                              int64_t tax_fen, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Report r = JIJU__V1__REPORT__INIT;

    r.report_id = (char *)rid;
    r.cluster_id = (char *)cid;
    r.period = (char *)period;
    r.revision = 1;
    r.submitted_by = "bench";
    r.enterprises_present_case = JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES;
    r.enterprises = 40 + i % 30;
    r.investment_present_case = JIJU__V1__REPORT__INVESTMENT_PRESENT_INVESTMENT_FEN;
    r.investment_fen = 12000000000 + (i % 97) * 10000000;
    r.output_value_present_case = JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN;
    r.output_value_fen = 48000000000 + (i % 89) * 10000000;
    r.revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    r.revenue_fen = 45000000000 + (i % 83) * 10000000;
    r.tax_present_case = JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN;
    r.tax_fen = tax_fen;
    r.employment_present_case = JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT;
    r.employment = 1500 + i % 700;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    req.report = &r;
    return bench_pack_submit(&req, len);
}

static void accept_reqs_free(accept_reqs *rs)
{
    for (long i = 0; rs->buf && i < rs->n; i++)
        free(rs->buf[i]);
    free(rs->buf);
    free(rs->len);
    free(rs->id);
    memset(rs, 0, sizeof *rs);
}

static int accept_reqs_alloc(accept_reqs *rs, long n)
{
    rs->n = n;
    rs->buf = calloc((size_t)n, sizeof *rs->buf);
    rs->len = calloc((size_t)n, sizeof *rs->len);
    rs->id = calloc((size_t)n, sizeof *rs->id);
    return rs->buf && rs->len && rs->id ? 0 : -1;
}

/* register_cluster commands for clusters 0..n-1. */
static int accept_reqs_clusters(accept_reqs *rs, long n)
{
    char cid[32];

    if (accept_reqs_alloc(rs, n) != 0)
        return -1;
    for (long i = 0; i < n; i++) {
        accept_cluster_id(cid, sizeof cid, i);
        snprintf(rs->id[i], sizeof rs->id[i], "reg-%s", cid);
        if (!(rs->buf[i] = accept_register(rs->id[i], cid, i, &rs->len[i])))
            return -1;
    }
    return 0;
}

/* m reports, report i for cluster i % clusters in month i / clusters; ids
 * start with prefix (the follower counts only those). */
static int accept_reqs_reports(accept_reqs *rs, long m, long clusters, const char *prefix)
{
    char cid[32], per[32];

    if (accept_reqs_alloc(rs, m) != 0)
        return -1;
    for (long i = 0; i < m; i++) {
        accept_cluster_id(cid, sizeof cid, i % clusters);
        accept_period(per, sizeof per, i / clusters);
        snprintf(rs->id[i], sizeof rs->id[i], "%s%ld", prefix, i);
        rs->buf[i] = accept_report(rs->id[i], cid, per, i, 2100000000 + (i % 71) * 1000000,
                                   &rs->len[i]);
        if (!rs->buf[i])
            return -1;
    }
    return 0;
}

/* Bytes of the outbox record ingest writes for an accepted report (the
 * Envelope accept_report in ingest_submit.c builds), so that the raw
 * RocksDB baseline writes records of the same size. */
static size_t accept_outbox_bytes(const accept_reqs *rs)
{
    static const char *const cfs[] = {STORE_STREAM_CFS};
    Jiju__V1__SubmitRequest *req = jiju__v1__submit_request__unpack(NULL, rs->len[0], rs->buf[0]);
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    char dir[256];
    store_t *s = NULL;
    stream_log_t *log = NULL;
    store_txn_t *t = NULL;
    void *data = NULL;
    size_t len = 0;

    if (!req)
        return 0;
    ra.report = req->report;
    ra.ingest_instance = "bench-ingest";
    ra.ingest_seq = 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    env.subject = req->report->cluster_id;
    env.period = req->report->period;
    if (bench_mkdtemp(dir, sizeof dir, "env") == 0 && (s = store_open(dir, cfs, 3, NULL, 0)) &&
        (log = stream_log_open(s, "reports")) && (t = store_txn_new(s)) &&
        envelope_append(log, t, "bench-ingest", &env, NULL) == JIJU_OK &&
        store_txn_commit(t, false) == JIJU_OK && stream_log_read(log, 1, &data, &len) == JIJU_OK)
        free(data);
    store_txn_destroy(&t);
    stream_log_destroy(&log);
    store_close(&s);
    bench_rmrf(dir);
    jiju__v1__submit_request__free_unpacked(req, NULL);
    return len;
}

/* ---- ingest through rpc ---- */

/* Consume one reply: 1 if ACCEPTED, 0 if not (said on stderr), -1 on error. */
static int accept_take(rpc_t *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Jiju__V1__SubmitReply *rep;
    int ok;

    if (rpc_recv(r, REPLY_MS, &buf, &len, NULL) != JIJU_OK)
        return -1;
    rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    free(buf);
    if (!rep)
        return -1;
    ok = rep->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED;
    if (!ok)
        fprintf(stderr, "%s: status %d %s\n", rep->request_id, (int)rep->status,
                rep->n_problems ? rep->problems[0]->code : "");
    if (rpc_done(r, rep->request_id) != JIJU_OK)
        ok = -1;
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return ok;
}

/* Send all of rs with at most win in flight; 0 when every one was
 * ACCEPTED, and *t_end is the time of the last reply. */
static int accept_drive(rpc_t *r, const accept_reqs *rs, int win, double *t_end)
{
    long sent = 0, done = 0;

    while (done < rs->n) {
        while (sent < rs->n && rpc_pending(r) < (size_t)win) {
            if (rpc_send(r, rs->id[sent], rs->buf[sent], rs->len[sent]) != JIJU_OK)
                return -1;
            sent++;
        }
        if (accept_take(r) != 1)
            return -1;
        done++;
    }
    *t_end = bench_now_ms();
    return 0;
}

/* 1 if the reply to the probe still says E_UNKNOWN_CLUSTER (or none came),
 * 0 if ingest knows the cluster. */
static int accept_probe_once(rpc_t *r, long k, const char *cid)
{
    char rid[48];
    uint8_t *req, *buf = NULL;
    size_t len, rlen = 0;
    Jiju__V1__SubmitReply *rep = NULL;
    int unknown = 1;

    snprintf(rid, sizeof rid, "probe-%ld", k); /* a new id: no DUPLICATE answer */
    req = accept_report(rid, cid, "2015-01", 0, 900000000000, &len);
    if (req && rpc_call(r, req, len, &buf, &rlen) == JIJU_OK &&
        (rep = jiju__v1__submit_reply__unpack(NULL, rlen, buf))) {
        unknown = 0;
        for (size_t i = 0; i < rep->n_problems; i++)
            unknown |= strcmp(rep->problems[i]->code, "E_UNKNOWN_CLUSTER") == 0;
    }
    if (rep)
        jiju__v1__submit_reply__free_unpacked(rep, NULL);
    free(buf);
    free(req);
    return unknown;
}

/* Wait until ingest's registry replica knows the last cluster, hence all
 * (assessment's events are applied in order). The probe's tax is above its
 * revenue, so it is refused whatever happens: nothing it does reaches
 * assessment or takes a (cluster, period) of the measured reports. */
static int accept_wait_known(rpc_t *r, accept_stack *st, long clusters)
{
    char cid[32];

    accept_cluster_id(cid, sizeof cid, clusters - 1);
    for (long k = 0; k < 600; k++) {
        if (accept_stack_alive(st) != 0)
            return -1;
        if (accept_probe_once(r, k, cid) == 0)
            return 0;
        usleep(50000);
    }
    fprintf(stderr, "ingest did not learn %s within 30 s\n", cid);
    return -1;
}

/* The raw echo baseline on a port of this stack's block. */
static double echo_at(const accept_reqs *rs, int win, int port)
{
    char ep[64];

    accept_endpoint(ep, sizeof ep, port);
    return bench_raw_echo(rs->buf, rs->len, rs->n, win, ep);
}

/* ---- following assessment's "events" ---- */

typedef struct accept_follow {
    char endpoint[64], prefix[32];
    long want, seen;
    atomic_int caught_up, stop;
    double t_done; /* when the want-th ReportAccepted of prefix arrived */
    int rc;
    pthread_t th;
} accept_follow;

/* 1 if the record is a ReportAccepted of one of our reports. */
static int accept_is_ours(const accept_follow *f, const uint8_t *data, size_t len)
{
    Jiju__V1__Envelope *env = envelope_decode(data, len);
    int ours = env && env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED &&
               env->report_accepted->report &&
               strncmp(env->report_accepted->report->report_id, f->prefix, strlen(f->prefix)) == 0;

    envelope_free(&env);
    return ours;
}

/* Read from seq 1 until want of ours were seen; the first silence means
 * the backlog (registrations) is read, which the main thread waits for
 * before it starts the clock. Acks keep the credit window open. */
static void accept_follow_loop(accept_follow *f, stream_sub_t *s)
{
    double give_up = bench_now_ms() + APPLY_MS;

    while (f->seen < f->want && !atomic_load(&f->stop) && bench_now_ms() < give_up) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = stream_sub_next(s, 50, &seq, &data, &len);

        if (rc == JIJU_ERR_TIMEOUT) {
            /* the registrations put records there: silence before the first
             * one is the handshake, not the end of the backlog */
            if (stream_sub_delivered(s) > 0)
                atomic_store(&f->caught_up, 1);
            stream_sub_ack(s, stream_sub_delivered(s));
            continue;
        }
        if (rc != JIJU_OK && rc != JIJU_ERR_PROTOCOL)
            return;
        if (rc == JIJU_OK && accept_is_ours(f, data, len) && ++f->seen == f->want)
            f->t_done = bench_now_ms();
        free(data);
        if (rc == JIJU_OK && seq % 64 == 0)
            stream_sub_ack(s, seq);
    }
    f->rc = f->seen == f->want ? 0 : -1;
}

static void *accept_follow_main(void *arg)
{
    accept_follow *f = arg;
    void *ctx = zmq_ctx_new();
    stream_sub_t *s = stream_sub_open(ctx, f->endpoint, "events", "bench-accept", 1, 0, 200, 2000);

    f->rc = -1;
    if (s)
        accept_follow_loop(f, s);
    atomic_store(&f->caught_up, 1);
    stream_sub_destroy(&s);
    zmq_ctx_term(ctx);
    return NULL;
}

/* Start the follower and wait until it has read the backlog. */
static int accept_follow_start(accept_follow *f, const accept_stack *st, const char *prefix,
                               long want)
{
    memset(f, 0, sizeof *f);
    accept_endpoint(f->endpoint, sizeof f->endpoint, st->port[P_A_STREAM]);
    snprintf(f->prefix, sizeof f->prefix, "%s", prefix);
    f->want = want;
    if (pthread_create(&f->th, NULL, accept_follow_main, f) != 0)
        return -1;
    while (!atomic_load(&f->caught_up))
        usleep(1000);
    return 0;
}

/* ---- one run: a fresh stack, one window ---- */

typedef struct accept_results {
    double acc[N_WIN][MAX_RUNS], app[N_WIN][MAX_RUNS], echo[N_WIN][MAX_RUNS];
    double fsyncb[N_WIN][MAX_RUNS], batch[N_WIN][MAX_RUNS], lag[N_WIN][MAX_RUNS];
    double setup[N_WIN][MAX_RUNS], cpu[N_SVC][N_WIN][MAX_RUNS]; /* ms per 1000 reports */
    long batch_max[N_WIN];
    size_t req_bytes, outbox_bytes;
} accept_results;

/* CPU time (user + system) of a process so far, in ms; 0 if unknown. */
static double accept_cpu_ms(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, stm = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields 14 and 15, counted after the ")" that ends the command name */
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stm) != 2)
        return 0;
    return (double)(ut + stm) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* Start the stack, register the clusters (window 256) and wait until ingest
 * knows them. Returns the rpc client, or NULL. */
static rpc_t *accept_setup(accept_stack *st, const accept_opts *o, void *ctx, double *ms)
{
    char ep[64];
    accept_reqs reg = {0};
    rpc_t *r = NULL;
    double t0 = bench_now_ms(), t_end;
    int ok;

    if (accept_stack_start(st, o) != 0)
        return NULL;
    accept_endpoint(ep, sizeof ep, st->port[P_SUBMIT]);
    if (!(r = rpc_new(ctx, (const char *[]){ep}, 1, REPLY_MS)))
        return NULL;
    ok = accept_reqs_clusters(&reg, o->clusters) == 0 && accept_drive(r, &reg, 256, &t_end) == 0 &&
         accept_wait_known(r, st, o->clusters) == 0;
    accept_reqs_free(&reg);
    if (!ok)
        rpc_destroy(&r);
    *ms = bench_now_ms() - t0;
    return r;
}

/* Submit the reports and follow them into assessment; fills acc, app, lag
 * and batch of [w][k]. */
static int accept_measure(rpc_t *r, const accept_stack *st, const accept_reqs *rs,
                          const char *prefix, accept_results *res, int w, int k)
{
    accept_follow f;
    char log[300];
    double t0, t_acc = 0, cpu0[N_SVC];
    long from;
    int rc;

    snprintf(log, sizeof log, "%s/ingest.log", st->dir);
    if (accept_follow_start(&f, st, prefix, rs->n) != 0)
        return -1;
    from = bench_file_size(log);
    for (int s = 0; s < N_SVC; s++)
        cpu0[s] = accept_cpu_ms(st->pid[s]);
    t0 = bench_now_ms();
    rc = accept_drive(r, rs, windows[w], &t_acc);
    if (rc != 0)
        atomic_store(&f.stop, 1);
    pthread_join(f.th, NULL);
    if (rc != 0 || f.rc != 0)
        return -1;
    res->acc[w][k] = (double)rs->n / ((t_acc - t0) / 1e3);
    res->app[w][k] = (double)rs->n / ((f.t_done - t0) / 1e3);
    res->lag[w][k] = f.t_done - t_acc;
    for (int s = 0; s < N_SVC; s++) /* the follower is done: they are (nearly) idle */
        res->cpu[s][w][k] = (accept_cpu_ms(st->pid[s]) - cpu0[s]) * 1000.0 / (double)rs->n;
    bench_ingest_batches(log, from, &res->batch[w][k], &res->batch_max[w]);
    return 0;
}

/* Window w of round k: the stack (fresh), then with the stack stopped the
 * raw baselines for the same bytes and the batch size it achieved. */
static int accept_run_window(const accept_opts *o, accept_results *res, int w, int k)
{
    accept_stack st = {0};
    accept_reqs rs = {0};
    char prefix[32];
    void *ctx = zmq_ctx_new();
    rpc_t *r = NULL;
    long b;
    int rc = -1;

    snprintf(prefix, sizeof prefix, "b%d-w%d-", k, windows[w]);
    if (accept_reqs_reports(&rs, o->reports, o->clusters, prefix) != 0)
        goto out;
    res->req_bytes = rs.len[0];
    if (!res->outbox_bytes)
        res->outbox_bytes = accept_outbox_bytes(&rs);
    if (!(r = accept_setup(&st, o, ctx, &res->setup[w][k])) ||
        accept_measure(r, &st, &rs, prefix, res, w, k) != 0 || accept_stack_alive(&st) != 0) {
        fprintf(stderr, "round %d window %d failed; services' logs kept in %s\n", k + 1,
                windows[w], st.dir);
        goto out;
    }
    rc = 0;
out:
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
    accept_stack_stop(&st, rc != 0);
    if (rc == 0) {
        res->echo[w][k] = echo_at(&rs, windows[w], st.port[P_ECHO]);
        b = (long)(res->batch[w][k] + 0.5);
        res->fsyncb[w][k] = b > 0 ? bench_raw_rocksdb(o->reports, b, res->outbox_bytes) : -1;
        rc = res->echo[w][k] > 0 && res->fsyncb[w][k] > 0 ? 0 : -1;
    }
    accept_reqs_free(&rs);
    return rc;
}

static int accept_round(const accept_opts *o, accept_results *res, int k)
{
    printf("round %d:", k + 1);
    for (int w = 0; w < N_WIN; w++) {
        if (accept_run_window(o, res, w, k) != 0)
            return -1;
        printf(" w%d acc=%.0f app=%.0f lag=%.0fms echo=%.0f fsync/B=%.0f batch=%.1f setup=%.0fms;",
               windows[w], res->acc[w][k], res->app[w][k], res->lag[w][k], res->echo[w][k],
               res->fsyncb[w][k], res->batch[w][k], res->setup[w][k]);
        printf(" cpu/1000 i=%.0f a=%.0f b=%.0f;", res->cpu[SVC_INGEST][w][k],
               res->cpu[SVC_ASSESS][w][k], res->cpu[SVC_ARCHIVE][w][k]);
        fflush(stdout);
    }
    printf("\n");
    return 0;
}

/* ---- the report ---- */

static void accept_print(const accept_opts *o, const accept_results *res)
{
    int n = o->runs;

    printf("\nmedians of %d rounds; %ld reports over %ld clusters (%ld monthly periods); "
           "request %zu bytes, outbox record %zu bytes\n\n",
           n, o->reports, o->clusters, (o->reports + o->clusters - 1) / o->clusters,
           res->req_bytes, res->outbox_bytes);
    printf("| window | accepted/s | applied/s (end to end) | last apply after last ACCEPTED | "
           "raw echo/s | accepted / echo | batch mean (max) | raw fsync-B/s | "
           "accepted / fsync-B | applied / fsync-B |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int w = 0; w < N_WIN; w++) {
        double ac = bench_median(res->acc[w], n), ap = bench_median(res->app[w], n);
        double ec = bench_median(res->echo[w], n), fb = bench_median(res->fsyncb[w], n);

        printf("| %d | %.0f | %.0f | %.0f ms | %.0f | %.3f | %.1f (%ld) | %.0f | %.3f | %.3f |\n",
               windows[w], ac, ap, bench_median(res->lag[w], n), ec, ac / ec,
               bench_median(res->batch[w], n), res->batch_max[w], fb, ac / fb, ap / fb);
    }
    printf("\nCPU per 1000 reports (ms, median), measured from the first send to the last "
           "ReportAccepted:");
    for (int w = 0; w < N_WIN; w++)
        printf(" window %d: ingest %.0f, assessment %.0f, archive %.0f;", windows[w],
               bench_median(res->cpu[SVC_INGEST][w], n), bench_median(res->cpu[SVC_ASSESS][w], n),
               bench_median(res->cpu[SVC_ARCHIVE][w], n));
    printf("\nsetup per run (start 3 services, register %ld clusters, ingest learns them): "
           "median %.0f ms\n",
           o->clusters, bench_median(res->setup[N_WIN - 1], n));
}

/* The source tree: $JIJU_SRC_DIR, else the one this file was compiled from
 * (CMake passes absolute paths, so __FILE__ ends in tests/bench/...). */
static void accept_src_dir(char *buf, size_t cap)
{
    const char *env = getenv("JIJU_SRC_DIR"), *tail = "/tests/bench/bench_accept.c";
    size_t n = strlen(__FILE__), t = strlen(tail);

    if (env && *env)
        snprintf(buf, cap, "%s", env);
    else if (n > t && strcmp(__FILE__ + n - t, tail) == 0)
        snprintf(buf, cap, "%.*s", (int)(n - t), __FILE__);
    else
        snprintf(buf, cap, ".");
}

static int accept_opts_parse(accept_opts *o, int argc, char **argv)
{
    const char *dir = argc > 1 && *argv[1] ? argv[1] : getenv("JIJU_BIN_DIR");
    char src[400];

    o->runs = argc > 2 ? atoi(argv[2]) : 5;
    o->reports = argc > 3 ? atol(argv[3]) : 10000;
    o->clusters = argc > 4 ? atol(argv[4]) : 200;
    accept_src_dir(src, sizeof src);
    for (int s = 0; s < N_SVC; s++) {
        snprintf(o->bin[s], sizeof o->bin[s], "%s/services/%s/jiju-%s", dir && *dir ? dir : ".",
                 svc_names[s], svc_names[s]);
        snprintf(o->cfg[s], sizeof o->cfg[s], "%s/deploy/config/%s.json", src, svc_names[s]);
        if (access(o->bin[s], X_OK) != 0 || access(o->cfg[s], R_OK) != 0) {
            fprintf(stderr, "%s or %s missing\n", o->bin[s], o->cfg[s]);
            return -1;
        }
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->clusters < 1 || o->clusters > 99999 ||
        o->reports < 1 || (o->reports + o->clusters - 1) / o->clusters > MAX_PERIODS) {
        fprintf(stderr, "runs 1..%d, clusters 1..99999, at most %d periods (reports/clusters)\n",
                MAX_RUNS, MAX_PERIODS);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static accept_results res;
    accept_opts o;

    if (accept_opts_parse(&o, argc, argv) != 0) {
        fprintf(stderr, "usage: bench_accept [build dir (or $JIJU_BIN_DIR)] [runs (5)] "
                        "[reports (10000)] [clusters (200)]\n");
        return 2;
    }
    for (int k = 0; k < o.runs; k++)
        if (accept_round(&o, &res, k) != 0)
            return 1;
    accept_print(&o, &res);
    return 0;
}
