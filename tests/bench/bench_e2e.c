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
 *               are (the webhook gets HOOK_GRACE_MS more), or that stops
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
#include "bench_common.h"
#include "bench_wire.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "envelope.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "jiju/v1/subscription.pb-c.h"
#include "rpc.h"
#include "stream_sub.h"

#define MAX_RUNS 16
#define N_CONF 5
#define REPLY_MS 30000
#define SOAK_REPLY_MS 600000 /* a soak may be stopped (SIGSTOP) for minutes, requests in flight */
#define DONE_MS 180000       /* after the last ACCEPTED, at most this for the rest */
#define HOOK_GRACE_MS 5000   /* the webhook's time after the others are done */
#define STALL_MS 15000       /* nothing moved for this long: stop waiting */

/* 4 (200 clusters, 2 replicas) only when asked for: the 1 -> 3 replica curve */
static long conf_clusters[N_CONF] = {200, 200, 2000, 2000, 200}; /* $BENCH_E2E_CLUSTERS: 2, 3 */
static const int conf_replicas[N_CONF] = {1, 3, 1, 3, 2};

/* ---- the clock (bench_e2e.h) ---- */

static _Atomic long long clock_last_us, clock_paused_us;
static atomic_int clock_watched;

double e2e_now_ms(void)
{
    struct timespec ts;
    long long now, last;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (atomic_load(&clock_watched)) {
        last = atomic_load(&clock_last_us); /* only moved forward: each gap counted once */
        while (now > last && !atomic_compare_exchange_weak(&clock_last_us, &last, now))
            ;
        if (now > last && last > 0 && now - last > E2E_PAUSE_MS * 1000LL)
            atomic_fetch_add(&clock_paused_us, now - last);
    }
    return (double)(now - atomic_load(&clock_paused_us)) / 1e3;
}

double e2e_paused_ms(void)
{
    return (double)atomic_load(&clock_paused_us) / 1e3;
}

static void *clock_watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        e2e_now_ms();
        usleep(100000);
    }
    return NULL;
}

int e2e_pause_watch(void)
{
    pthread_t th;

    if (atomic_exchange(&clock_watched, 1))
        return 0;
    e2e_now_ms(); /* the first reading: no gap before it */
    if (pthread_create(&th, NULL, clock_watch_main, NULL) != 0)
        return -1;
    return pthread_detach(th) == 0 ? 0 : -1;
}

/* How many of a phase's reports a consumer has, and when the last came. */
typedef struct e2e_tally {
    atomic_long n;
    _Atomic double t_last;
} e2e_tally;

static void tally_add(e2e_tally *c)
{
    double now = e2e_now_ms();

    atomic_fetch_add(&c->n, 1);
    atomic_store(&c->t_last, now);
}

typedef struct e2e_track {
    long n;
    double *t_send, *t_acc, *t_deliv;
    atomic_int *n_deliv;   /* subscribers that have it */
    e2e_tally deliv, hook; /* delivered to all N_SUBS; webhook POSTs */
    char prefix[32];
} e2e_track;

/* ---- tracking: which report a delivered envelope or webhook body is ---- */

/* The index i of "prefix<i>" in bytes, or -1. Envelopes and webhook bodies
 * carry the report id as plain text; a byte search costs this process far
 * less than decoding, and it shares the two cores with the services. */
static long track_index(const e2e_track *t, const void *data, size_t len)
{
    size_t pl = strlen(t->prefix);
    const char *p = memmem(data, len, t->prefix, pl);
    long i = 0;
    int digits = 0;

    if (!p)
        return -1;
    for (p += pl; p < (const char *)data + len && *p >= '0' && *p <= '9'; p++, digits++)
        i = i * 10 + (*p - '0');
    return digits && i < t->n ? i : -1;
}

static int track_init(e2e_track *t, long n, const char *prefix)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    t->t_send = calloc((size_t)n, sizeof *t->t_send);
    t->t_acc = calloc((size_t)n, sizeof *t->t_acc);
    t->t_deliv = calloc((size_t)n, sizeof *t->t_deliv);
    t->n_deliv = calloc((size_t)n, sizeof *t->n_deliv);
    return t->t_send && t->t_acc && t->t_deliv && t->n_deliv ? 0 : -1;
}

static void track_free(e2e_track *t)
{
    free(t->t_send);
    free(t->t_acc);
    free(t->t_deliv);
    free((void *)t->n_deliv);
    memset(t, 0, sizeof *t);
}

/* A subscriber got report i: the last of the N_SUBS to get it stamps it. */
static void track_delivered(e2e_track *t, long i)
{
    if (atomic_fetch_add(&t->n_deliv[i], 1) + 1 == N_SUBS) {
        t->t_deliv[i] = e2e_now_ms();
        tally_add(&t->deliv);
    }
}

/* ---- the 20 department subscribers ---- */

typedef struct e2e_sub {
    char endpoint[64], id[16];
    e2e_track *volatile track; /* the phase being measured, NULL between */
    atomic_int stop, ready;
    int rc;
    pthread_t th;
} e2e_sub;

static void *sub_main(void *arg)
{
    e2e_sub *s = arg;
    void *ctx = zmq_ctx_new();
    stream_sub_t *ss = stream_sub_open(ctx, s->endpoint, "deliveries", s->id, 1, 0, 200, 2000);

    s->rc = ss ? 0 : -1;
    while (ss && !atomic_load(&s->stop)) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = stream_sub_next(ss, 50, &seq, &data, &len);
        e2e_track *t = s->track;
        long i;

        if (rc == JIJU_ERR_TIMEOUT) {
            atomic_store(&s->ready, 1);
            stream_sub_ack(ss, stream_sub_delivered(ss));
            continue;
        }
        if (rc != JIJU_OK)
            continue;
        if (t && memmem(data, len, "ReportAccepted", 14) && (i = track_index(t, data, len)) >= 0)
            track_delivered(t, i);
        free(data);
        if (seq % 64 == 0)
            stream_sub_ack(ss, seq);
    }
    stream_sub_destroy(&ss);
    zmq_ctx_term(ctx);
    return NULL;
}

static int subs_start(e2e_sub *subs, const e2e_stack *st)
{
    for (int i = 0; i < N_SUBS; i++) {
        memset(&subs[i], 0, sizeof subs[i]);
        ep(subs[i].endpoint, sizeof subs[i].endpoint, st->port[P_N_DELIV]);
        snprintf(subs[i].id, sizeof subs[i].id, "bench-%02d", i);
        if (pthread_create(&subs[i].th, NULL, sub_main, &subs[i]) != 0)
            return -1;
    }
    return 0;
}

static void subs_stop(e2e_sub *subs)
{
    for (int i = 0; i < N_SUBS; i++)
        atomic_store(&subs[i].stop, 1);
    for (int i = 0; i < N_SUBS; i++)
        if (subs[i].th)
            pthread_join(subs[i].th, NULL);
}

static void subs_track(e2e_sub *subs, e2e_track *t)
{
    for (int i = 0; i < N_SUBS; i++)
        subs[i].track = t;
}

/* Until each subscriber has read its backlog (the registrations) once. */
static int subs_wait_ready(e2e_sub *subs, e2e_stack *st)
{
    for (int k = 0; k < 3000; k++) {
        int ready = 0;

        for (int i = 0; i < N_SUBS; i++)
            ready += atomic_load(&subs[i].ready);
        if (ready == N_SUBS)
            return 0;
        if (e2e_stack_alive(st) != 0)
            return -1;
        usleep(10000);
    }
    return -1;
}

/* ---- the webhook receiver ---- */

typedef struct e2e_hook {
    struct MHD_Daemon *d;
    e2e_track *volatile track;
    atomic_long posts; /* every POST answered, tracked or not */
} e2e_hook;

static enum MHD_Result hook_answer(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_len, void **con_cls)
{
    e2e_hook *h = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    e2e_track *t;
    long i;

    (void)url, (void)method, (void)version;
    if (!*con_cls) { /* headers only: the body comes in later calls */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_len) {
        if ((t = h->track) && (i = track_index(t, upload, *upload_len)) >= 0)
            tally_add(&t->hook);
        *upload_len = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&h->posts, 1);
    r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ret;
}

static int hook_start(e2e_hook *h, int port)
{
    memset(h, 0, sizeof *h);
    h->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL,
                         NULL, hook_answer, h, MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
    return h->d ? 0 : -1;
}

static void hook_stop(e2e_hook *h)
{
    if (h->d)
        MHD_stop_daemon(h->d);
    h->d = NULL;
}

/* ---- driving ingest ---- */

/* One sender thread per replica: its share i = k mod R of the requests,
 * at most win in flight, optionally paced at rate/s (0: as fast as it
 * goes). Stamps t_send and t_acc of tracked reports. */
typedef struct e2e_drive {
    char endpoint[64];
    const e2e_reqs *rs;
    e2e_track *track;
    int k, of, win, reply_ms;
    double rate, t_last;
    long accepted, refused;
    pthread_t th;
} e2e_drive;

static int drive_take(e2e_drive *d, rpc_t *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Jiju__V1__SubmitReply *rep;
    long i;

    if (rpc_recv(r, d->reply_ms, &buf, &len, NULL) != JIJU_OK)
        return -1;
    rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    free(buf);
    if (!rep)
        return -1;
    if (rep->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED) {
        d->accepted++;
        if (d->track && (i = track_index(d->track, rep->request_id, strlen(rep->request_id))) >= 0)
            d->track->t_acc[i] = e2e_now_ms();
    } else if (d->refused++ < 3) {
        fprintf(stderr, "%s: status %d %s\n", rep->request_id, (int)rep->status,
                rep->n_problems ? rep->problems[0]->code : "");
    }
    rpc_done(r, rep->request_id);
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return 0;
}

static void *drive_main(void *arg)
{
    e2e_drive *d = arg;
    void *ctx = zmq_ctx_new();
    const char *eps[] = {d->endpoint};
    rpc_t *r = rpc_new(ctx, eps, 1, d->reply_ms);
    double t0 = e2e_now_ms();
    long mine = 0;

    for (long i = d->k; r && i < d->rs->n; i += d->of) {
        while (rpc_pending(r) >= (size_t)d->win)
            if (drive_take(d, r) != 0)
                goto out;
        if (d->rate > 0) /* paced: the mine-th of this sender is due at mine/rate */
            while (e2e_now_ms() < t0 + 1e3 * (double)mine / d->rate)
                if (rpc_pending(r) > 0 ? drive_take(d, r) != 0 : (usleep(100), 0))
                    goto out;
        if (d->track) /* the request ids are the tracked report ids */
            d->track->t_send[i] = e2e_now_ms();
        if (rpc_send(r, d->rs->id[i], d->rs->buf[i], d->rs->len[i]) != JIJU_OK)
            goto out;
        mine++;
    }
    while (r && rpc_pending(r) > 0)
        if (drive_take(d, r) != 0)
            break;
out:
    d->t_last = e2e_now_ms();
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
    return NULL;
}

/* Send rs over the stack's replicas with win in flight in all; 0 when all
 * were ACCEPTED. *t_end: the last reply. */
static int drive(const e2e_stack *st, const e2e_reqs *rs, e2e_track *t, int win, double rate,
                 double *t_end)
{
    e2e_drive d[MAX_ING];
    long acc = 0;

    for (int k = 0; k < st->replicas; k++) {
        memset(&d[k], 0, sizeof d[k]);
        ep(d[k].endpoint, sizeof d[k].endpoint, st->port[P_SUBMIT0 + k]);
        d[k].rs = rs;
        d[k].track = t;
        d[k].k = k;
        d[k].of = st->replicas;
        d[k].win = win / st->replicas > 0 ? win / st->replicas : 1;
        d[k].reply_ms = st->reply_ms;
        d[k].rate = rate / st->replicas;
        if (pthread_create(&d[k].th, NULL, drive_main, &d[k]) != 0)
            return -1;
    }
    *t_end = 0;
    for (int k = 0; k < st->replicas; k++) {
        pthread_join(d[k].th, NULL);
        acc += d[k].accepted;
        *t_end = d[k].t_last > *t_end ? d[k].t_last : *t_end;
    }
    return acc == rs->n ? 0 : -1;
}

/* Until every replica knows the last cluster (hence all of them). */
static int wait_known(e2e_stack *st, void *ctx, long clusters)
{
    char cid[32], e[64];
    int rc = 0;

    cluster_id(cid, sizeof cid, clusters - 1);
    for (int k = 0; k < st->replicas && rc == 0; k++) {
        rpc_t *r;
        long n = 0;

        ep(e, sizeof e, st->port[P_SUBMIT0 + k]);
        r = rpc_new(ctx, (const char *[]){e}, 1, st->reply_ms);
        while (r && e2e_probe_unknown(r, n, cid) && ++n < 1200 && e2e_stack_alive(st) == 0)
            usleep(25000);
        rc = r && n < 1200 ? 0 : -1;
        rpc_destroy(&r);
    }
    return rc;
}

/* ---- the archive: has it got report id both as input and as event? ---- */

static int archived(rpc_t *r, const char *report_id)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *rep;
    uint8_t *req, *buf = NULL;
    size_t len, rlen = 0;
    int in = 0, ev = 0;

    q.request_id = "e2e-arch";
    q.report_id = (char *)report_id;
    q.omit_envelope = 1;
    q.limit = 10;
    len = jiju__v1__archive_query_request__get_packed_size(&q);
    if (!(req = malloc(len)))
        return 0;
    jiju__v1__archive_query_request__pack(&q, req);
    if (rpc_call(r, req, len, &buf, &rlen) == JIJU_OK &&
        (rep = jiju__v1__archive_query_reply__unpack(NULL, rlen, buf))) {
        for (size_t i = 0; i < rep->n_records; i++) {
            in |= strcmp(rep->records[i]->stream, "reports") == 0;
            ev |= strcmp(rep->records[i]->stream, "events") == 0;
        }
        jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
    }
    free(buf);
    free(req);
    return in && ev;
}

/* The archive's progress: each replica's share is archived in order, so its
 * last report found both as input and as event means all of it is. */
typedef struct e2e_arch {
    rpc_t *r;
    const e2e_reqs *rs;
    int replicas, left, done[MAX_ING];
    double t_done; /* 0 until every share is in */
} e2e_arch;

static int arch_open(e2e_arch *a, const e2e_stack *st, void *ctx, const e2e_reqs *rs)
{
    char e[64];

    memset(a, 0, sizeof *a);
    ep(e, sizeof e, st->port[P_B_QUERY]);
    a->rs = rs;
    a->replicas = a->left = st->replicas;
    a->r = rpc_new(ctx, (const char *[]){e}, 1, st->reply_ms);
    return a->r ? 0 : -1;
}

/* Ask once per share not yet in; 1 when all are. */
static int arch_poll(e2e_arch *a)
{
    for (int k = 0; k < a->replicas && a->left > 0; k++) {
        long last = a->rs->n - 1 - ((a->rs->n - 1 - k) % a->replicas);

        if (!a->done[k] && archived(a->r, a->rs->id[last])) {
            a->done[k] = 1;
            if (--a->left == 0)
                a->t_done = e2e_now_ms();
        }
    }
    return a->left == 0;
}

/* ---- one run ---- */

/* ReportAccepted of ours on assessment's "events", followed from seq 1.
 * Runs beside the subscribers. */
typedef struct e2e_follow {
    char endpoint[64];
    e2e_track *volatile track;
    e2e_tally app;
    atomic_int stop, ready;
    pthread_t th;
} e2e_follow;

static void *follow_main(void *arg)
{
    e2e_follow *f = arg;
    void *ctx = zmq_ctx_new();
    stream_sub_t *s = stream_sub_open(ctx, f->endpoint, "events", "bench-e2e", 1, 0, 200, 2000);

    while (s && !atomic_load(&f->stop)) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = stream_sub_next(s, 50, &seq, &data, &len);
        e2e_track *t = f->track;

        if (rc == JIJU_ERR_TIMEOUT) {
            atomic_store(&f->ready, 1);
            stream_sub_ack(s, stream_sub_delivered(s));
            continue;
        }
        if (rc != JIJU_OK)
            continue;
        if (t && memmem(data, len, "ReportAccepted", 14) && track_index(t, data, len) >= 0)
            tally_add(&f->app);
        free(data);
        if (seq % 64 == 0)
            stream_sub_ack(s, seq);
    }
    stream_sub_destroy(&s);
    zmq_ctx_term(ctx);
    return NULL;
}

/* n over the time from t0 to its last arrival, and how many arrived. */
static double tally_rate(e2e_tally *c, double t0, long *arrived)
{
    long n = atomic_load(&c->n);
    double t = atomic_load(&c->t_last);

    *arrived = n;
    return n > 0 && t > t0 ? (double)n / ((t - t0) / 1e3) : 0;
}

static long tally_sum(e2e_tally *const *c, int k)
{
    long n = 0;

    for (int i = 0; i < k; i++)
        n += atomic_load(&c[i]->n);
    return n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* p50, p99, p999 of to[i] - from[i] over the reports that have both. */
static void percentiles(const double *from, const double *to, long n, double out[3])
{
    double *v = malloc((size_t)n * sizeof *v);
    long m = 0;

    out[0] = out[1] = out[2] = -1;
    if (!v)
        return;
    for (long i = 0; i < n; i++)
        if (from[i] > 0 && to[i] > 0)
            v[m++] = to[i] - from[i];
    if (m > 0) {
        qsort(v, (size_t)m, sizeof *v, cmp_d);
        out[0] = v[m / 2];
        out[1] = v[(long)((double)m * 0.99) < m ? (long)((double)m * 0.99) : m - 1];
        out[2] = v[(long)((double)m * 0.999) < m ? (long)((double)m * 0.999) : m - 1];
    }
    free(v);
}

/* CPU of the four services so far, ms: ingest replicas summed. */
static void cpu_now(const e2e_stack *st, double c[4])
{
    c[0] = 0;
    for (int k = 0; k < st->replicas; k++)
        c[0] += e2e_cpu_ms(st->pid[SVC_INGEST0 + k]);
    c[1] = e2e_cpu_ms(st->pid[SVC_ASSESS]);
    c[2] = e2e_cpu_ms(st->pid[SVC_ARCHIVE]);
    c[3] = e2e_cpu_ms(st->pid[SVC_NOTIFY]);
}

/* Saturation: M reports at window; fills acc..hook and cpu_us. Waits for
 * applied, archived and delivered (one clock from the first send), then
 * HOOK_GRACE_MS more for the webhook; a consumer not done by then is
 * measured over what it got (n_*), it does not lose the round. CPU is read
 * when applied, archived and delivered are done. */
static int phase_saturate(e2e_stack *st, void *ctx, const e2e_opts *o, long clusters, e2e_sub *subs,
                          e2e_follow *f, e2e_hook *h, e2e_run *run, const e2e_phase *ph)
{
    e2e_reqs rs = {0};
    e2e_track t;
    e2e_arch a = {0};
    double t0, t_acc = 0, c0[4], c1[4], t_core = 0, give_up, t_moved;
    long moved = -1;
    int rc = -1, have_cpu = 0;

    memset(&f->app, 0, sizeof f->app);
    if (reqs_reports(&rs, ph->m, clusters, ph->g0, ph->prefix) != 0 ||
        track_init(&t, ph->m, ph->prefix) != 0 || arch_open(&a, st, ctx, &rs) != 0)
        goto out;
    f->track = h->track = &t;
    subs_track(subs, &t);
    cpu_now(st, c0);
    t0 = e2e_now_ms();
    if (drive(st, &rs, &t, o->window, 0, &t_acc) != 0)
        goto out_untrack;
    /* at least 1,000 reports/s for the rest: a soak's large phases too */
    give_up = t_acc + (DONE_MS > (double)ph->m ? DONE_MS : (double)ph->m);
    t_moved = t_acc;
    for (;;) {
        e2e_tally *all[] = {&f->app, &t.deliv, &t.hook};
        long now_moved = tally_sum(all, 3) + (a.replicas - a.left);
        int core = arch_poll(&a) && atomic_load(&f->app.n) == t.n && atomic_load(&t.deliv.n) == t.n;
        double now = e2e_now_ms();

        if (core && !have_cpu) {
            cpu_now(st, c1);
            have_cpu = 1;
            t_core = now;
        }
        if (now_moved != moved) {
            moved = now_moved;
            t_moved = now;
        }
        if ((core && (atomic_load(&t.hook.n) == t.n || now > t_core + ph->hook_grace_ms)) ||
            now > give_up || now > t_moved + STALL_MS || e2e_stack_alive(st) != 0)
            break;
        usleep(2000);
    }
    if (!have_cpu) {
        cpu_now(st, c1);
        fprintf(stderr,
                "saturation: not all done (applied %ld, delivered %ld, archived %d of %d "
                "shares, of %ld); rates over what arrived\n",
                atomic_load(&f->app.n), atomic_load(&t.deliv.n), a.replicas - a.left, a.replicas,
                t.n);
    }
    if (e2e_stack_alive(st) != 0)
        goto out_untrack;
    run->n_want = t.n;
    run->acc = (double)t.n / ((t_acc - t0) / 1e3);
    run->app = tally_rate(&f->app, t0, &run->n_app);
    run->arch = a.t_done > 0 ? (double)t.n / ((a.t_done - t0) / 1e3) : 0;
    run->deliv = tally_rate(&t.deliv, t0, &run->n_deliv);
    run->hook = tally_rate(&t.hook, t0, &run->n_hook);
    for (int s = 0; s < 4; s++)
        run->cpu_us[s] = (c1[s] - c0[s]) * 1e3 / (double)t.n;
    rc = 0;
out_untrack:
    subs_track(subs, NULL);
    f->track = h->track = NULL;
    track_free(&t);
out:
    rpc_destroy(&a.r);
    reqs_free(&rs);
    return rc;
}

/* Latency at 10% of the accepted/s just measured: reports M.. of the stack.
 * Percentiles over the reports that arrived within DONE_MS. */
static int phase_latency(e2e_stack *st, const e2e_opts *o, long clusters, e2e_sub *subs,
                         e2e_run *run, int round)
{
    long m = o->reports / 10 > 200 ? o->reports / 10 : 200;
    e2e_reqs rs = {0};
    e2e_track t;
    char prefix[32];
    double t_end, give_up;
    int rc = -1;

    snprintf(prefix, sizeof prefix, "l%d-", round);
    if (reqs_reports(&rs, m, clusters, o->reports, prefix) != 0 || track_init(&t, m, prefix) != 0)
        goto out;
    subs_track(subs, &t);
    if (drive(st, &rs, &t, o->window, run->acc * 0.1, &t_end) != 0)
        goto out_untrack;
    give_up = e2e_now_ms() + DONE_MS;
    while (atomic_load(&t.deliv.n) < t.n && e2e_now_ms() < give_up)
        usleep(1000);
    if (atomic_load(&t.deliv.n) < t.n)
        fprintf(stderr, "latency: %ld of %ld delivered to all within %d s\n",
                atomic_load(&t.deliv.n), t.n, DONE_MS / 1000);
    percentiles(t.t_send, t.t_acc, t.n, run->lat_acc);
    percentiles(t.t_send, t.t_deliv, t.n, run->lat_deliv);
    rc = 0;
out_untrack:
    subs_track(subs, NULL);
    track_free(&t);
out:
    reqs_free(&rs);
    return rc;
}

static int setup_stack(e2e_stack *st, void *ctx, long clusters)
{
    e2e_reqs reg = {0};
    e2e_stack one = *st;
    double t_end;
    int ok;

    one.replicas = 1; /* registrations through the first replica */
    ok = reqs_clusters(&reg, clusters) == 0 && drive(&one, &reg, NULL, 256, 0, &t_end) == 0 &&
         wait_known(st, ctx, clusters) == 0;
    reqs_free(&reg);
    return ok ? 0 : -1;
}

struct e2e_live {
    e2e_stack st;
    e2e_sub subs[N_SUBS];
    e2e_follow f;
    e2e_hook h;
    void *ctx;
};

int e2e_live_up(e2e_live **lp, const e2e_opts *o, int c)
{
    e2e_live *l = *lp = calloc(1, sizeof *l);

    if (!l || !(l->ctx = zmq_ctx_new()) || e2e_stack_start(&l->st, o, conf_replicas[c]) != 0 ||
        hook_start(&l->h, l->st.port[P_HOOK]) != 0)
        return -1;
    l->st.reply_ms = o->soak ? SOAK_REPLY_MS : REPLY_MS;
    ep(l->f.endpoint, sizeof l->f.endpoint, l->st.port[P_A_STREAM]);
    if (setup_stack(&l->st, l->ctx, conf_clusters[c]) != 0 || subs_start(l->subs, &l->st) != 0 ||
        pthread_create(&l->f.th, NULL, follow_main, &l->f) != 0 ||
        subs_wait_ready(l->subs, &l->st) != 0)
        return -1;
    while (!atomic_load(&l->f.ready))
        usleep(1000);
    return 0;
}

void e2e_live_down(e2e_live **lp, int keep)
{
    e2e_live *l = lp ? *lp : NULL;

    if (!l)
        return;
    atomic_store(&l->f.stop, 1);
    if (l->f.th)
        pthread_join(l->f.th, NULL);
    subs_stop(l->subs);
    hook_stop(&l->h);
    if (l->ctx)
        zmq_ctx_term(l->ctx);
    e2e_stack_stop(&l->st, keep);
    free(l);
    *lp = NULL;
}

int e2e_live_saturate(e2e_live *l, const e2e_opts *o, int c, e2e_run *run, const e2e_phase *ph)
{
    return phase_saturate(&l->st, l->ctx, o, conf_clusters[c], l->subs, &l->f, &l->h, run, ph);
}

const e2e_stack *e2e_live_stack(const e2e_live *l)
{
    return &l->st;
}

long e2e_live_hook_posts(e2e_live *l)
{
    return atomic_load(&l->h.posts);
}

long e2e_conf_clusters(int c)
{
    return conf_clusters[c];
}

static int run_stack(const e2e_opts *o, int c, int round, e2e_run *run)
{
    e2e_live *l = NULL;
    e2e_phase ph = {.m = o->reports, .hook_grace_ms = HOOK_GRACE_MS};
    int rc = -1;

    snprintf(ph.prefix, sizeof ph.prefix, "s%d-", round);
    if (e2e_live_up(&l, o, c) != 0 || e2e_live_saturate(l, o, c, run, &ph) != 0 ||
        phase_latency(&l->st, o, conf_clusters[c], l->subs, run, round) != 0 ||
        e2e_stack_alive(&l->st) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "config %d round %d failed; logs kept in %s\n", c, round + 1,
                l ? l->st.dir : "?");
    e2e_live_down(&l, rc != 0);
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
               conf_clusters[c], conf_replicas[c], acc, app, part(res, c, n, 0), arch,
               part(res, c, n, 1), del, part(res, c, n, 2), MED(hook), part(res, c, n, 3),
               e2e / raw, acc / redis, cpu[0], cpu[1], cpu[2], cpu[3],
               cpu[0] + cpu[1] + cpu[2] + cpu[3], MED(lat_acc[0]), MED(lat_acc[1]), MED(lat_acc[2]),
               MED(lat_deliv[0]), MED(lat_deliv[1]), MED(lat_deliv[2]));
    }
    printf("\ne2e = min(archived/s, delivered/s): every report accepted, applied, archived and "
           "delivered to all %d subscribers. webhook/s = the POSTs that arrived (all M, or "
           "those in by %d s after the rest was done) over the time to the last of them.\n",
           N_SUBS, HOOK_GRACE_MS / 1000);
    for (int c = 0; c < N_CONF; c++)
        for (int k = 0; o->on[c] && k < n; k++) {
            const e2e_run *r = &res->run[c][k];

            if (r->n_app < o->reports || r->n_deliv < o->reports || !r->arch ||
                r->n_hook < o->reports)
                printf("* %ld clusters, %d ingest, round %d: rate over what arrived when the round "
                       "stopped waiting: applied %ld, delivered to all %ld, webhook POSTs %ld of "
                       "%ld; archived %s\n",
                       conf_clusters[c], conf_replicas[c], k + 1, r->n_app, r->n_deliv, r->n_hook,
                       o->reports, r->arch ? "all" : "not all (rate 0)");
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
        printf(" [%ld/%d] acc=%.0f app=%.0f arch=%.0f del=%.0f hook=%.0f (%ld of %ld) "
               "cpu=%.0f+%.0f+%.0f+%.0f p99acc=%.2f p99del=%.1f;",
               conf_clusters[c], conf_replicas[c], r->acc, r->app, r->arch, r->deliv, r->hook,
               r->n_hook, r->n_want, r->cpu_us[0], r->cpu_us[1], r->cpu_us[2], r->cpu_us[3],
               r->lat_acc[1], r->lat_deliv[1]);
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
    if (getenv("BENCH_E2E_CLUSTERS") && atol(getenv("BENCH_E2E_CLUSTERS")) > 0)
        conf_clusters[2] = conf_clusters[3] = atol(getenv("BENCH_E2E_CLUSTERS"));
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
    return 0;
}
