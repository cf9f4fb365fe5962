/* bench_stream.c - durable stream throughput against the raw limits of the
 * same machine, in the same run. Not a test: run it by hand.
 *
 *   bench_stream [records (200000)] [record bytes (300)] [runs (5)] [credit]
 *
 * credit is the consumer's window (stream_opts.credit; default: the
 * stream's own default, 1000, which is what every service uses).
 *
 * Jiju: a producer's stream_log holds `records` records (appended before the
 * clock starts), served by stream_serve; a consumer in another thread
 * (own svc, own store, as tests/unit/test_stream.c does) follows it with
 * stream_follow and applies each record by writing it to its own store,
 * group-committed with its cursor and fsynced. The clock runs from
 * stream_follow until the commit that brings the cursor to `records`.
 *
 * Raw baselines, one of each per round, interleaved with the Jiju run:
 *   zmq: a DEALER sends `records` messages of the same size to a ROUTER
 *        over tcp loopback (two contexts, two threads, same HWM).
 *   rocksdb: the same records written as synced WriteBatches of the batch
 *        size the Jiju consumer achieved in that round. */
#include "bench_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <zmq.h>

#include "err.h"
#include "store.h"
#include "stream.h"
#include "svc.h"

#define BENCH_MAX_RUNS 64

typedef struct node {
    char dir[256];
    store_t *store;
    svc_t *svc;
    pthread_t thread;
    int running;
} node;

/* The consumer's view of progress, written on its loop thread. */
typedef struct progress {
    node *n;
    int cf_applied;
    uint64_t want, last_seq, commits;
    double done_ms;
    atomic_int done;
} progress;

static const char *const prod_cfs[] = {STORE_STREAM_CFS};
static const char *const cons_cfs[] = {STORE_STREAM_CFS, "applied"};

static void *node_loop(void *arg)
{
    svc_run(((node *)arg)->svc);
    return NULL;
}

static int node_open(node *n, const char *tag, const char *const *cfs, size_t n_cfs)
{
    if (bench_mkdtemp(n->dir, sizeof n->dir, tag) != 0)
        return -1;
    n->store = store_open(n->dir, cfs, n_cfs, NULL, 0);
    n->svc = svc_new(tag);
    return n->store && n->svc ? 0 : -1;
}

static void node_start(node *n)
{
    n->running = pthread_create(&n->thread, NULL, node_loop, n) == 0;
}

/* Stop the loop first: peers must be destroyed on a quiet svc. */
static void node_stop(node *n)
{
    if (n->running) {
        svc_stop(n->svc);
        pthread_join(n->thread, NULL);
        n->running = 0;
    }
}

static void node_close(node *n)
{
    svc_destroy(&n->svc);
    store_close(&n->store);
    bench_rmrf(n->dir);
}

/* The consumer's effect: keep the record (what archive and notification
 * do), in the txn the stream commits with the cursor. */
static int apply_keep(void *arg, const char *producer, uint64_t seq, const uint8_t *data,
                      size_t len, store_txn_t *txn)
{
    progress *pg = arg;
    uint8_t key[8];

    (void)producer;
    store_be64_put(key, seq);
    pg->last_seq = seq;
    return store_txn_put(txn, pg->cf_applied, key, 8, data, len);
}

static void on_committed(void *arg)
{
    progress *pg = arg;

    pg->commits++;
    if (pg->last_seq >= pg->want && !atomic_load(&pg->done)) {
        pg->done_ms = bench_now_ms();
        atomic_store(&pg->done, 1);
    }
}

static stream_log_t *serve_log(void *arg, const char *stream, const char *consumer,
                               stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    (void)consumer;
    return strcmp(stream, "reports") == 0 ? arg : NULL;
}

/* Fill the producer's log before the clock starts (unsynced chunks, one
 * synced commit at the end: the records are durable when served). */
static int fill_log(node *n, stream_log_t *log, long records, size_t bytes)
{
    store_txn_t *t = store_txn_new(n->store);
    uint8_t *pool = malloc(bytes + 4096);
    int rc = t && pool ? JIJU_OK : JIJU_ERR_NOMEM;

    if (pool)
        bench_fill(pool, bytes + 4096, 7);
    for (long i = 0; i < records && rc == JIJU_OK; i++) {
        rc = stream_log_append(log, t, pool + (i * 61) % 4096, bytes, NULL);
        if (rc == JIJU_OK && (i + 1) % 10000 == 0)
            rc = store_txn_commit(t, false);
    }
    if (rc == JIJU_OK)
        rc = store_txn_commit(t, true);
    store_txn_destroy(&t);
    free(pool);
    return rc;
}

/* Wait for the consumer (up to 120 s). Returns elapsed ms, -1 on timeout. */
static double wait_done(progress *pg, double t0)
{
    while (!atomic_load(&pg->done)) {
        if (bench_now_ms() - t0 > 120000)
            return -1;
        usleep(1000);
    }
    return pg->done_ms - t0;
}

/* One Jiju run: records/s, and the consumer's average commit size. */
static double run_jiju(long records, size_t bytes, int port, uint32_t credit, double *avg_batch)
{
    node prod = {0}, cons = {0};
    stream_opts po = {.self_id = "bench-producer"};
    stream_opts co = {.self_id = "bench-consumer", .credit = credit};
    stream_log_t *log = NULL;
    stream_peer_t *server = NULL, *follower = NULL;
    progress pg = {.n = &cons, .want = (uint64_t)records};
    char ep[64];
    double t0, ms = -1;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (node_open(&prod, "prod", prod_cfs, 3) != 0 || node_open(&cons, "cons", cons_cfs, 4) != 0 ||
        !(log = stream_log_open(prod.store, "reports")) ||
        fill_log(&prod, log, records, bytes) != JIJU_OK ||
        !(server = stream_serve(prod.svc, prod.store, ep, &po, serve_log, NULL, log)))
        goto out;
    node_start(&prod);
    pg.cf_applied = store_cf(cons.store, "applied");
    t0 = bench_now_ms();
    follower = stream_follow(cons.svc, cons.store, ep, "reports", &co, apply_keep, &pg);
    if (!follower)
        goto out;
    stream_on_committed(follower, on_committed, &pg);
    node_start(&cons);
    ms = wait_done(&pg, t0);
    *avg_batch = pg.commits ? (double)records / (double)pg.commits : 0;
out:
    node_stop(&cons);
    node_stop(&prod);
    stream_peer_destroy(&follower);
    stream_peer_destroy(&server);
    stream_log_destroy(&log);
    node_close(&cons);
    node_close(&prod);
    return ms > 0 ? (double)records / (ms / 1e3) : -1;
}

/* ---- raw ZeroMQ: DEALER -> ROUTER, same sizes, same loopback ---- */

typedef struct raw_sink {
    void *ctx;
    const char *ep;
    long want;
    atomic_int bound;
    double done_ms;
} raw_sink;

static void *raw_sink_main(void *arg)
{
    raw_sink *rs = arg;
    void *sock = zmq_socket(rs->ctx, ZMQ_ROUTER);
    int hwm = 200000, zero = 0;
    long got = 0;
    zmq_msg_t m;

    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_bind(sock, rs->ep);
    atomic_store(&rs->bound, 1);
    zmq_msg_init(&m);
    while (got < rs->want && zmq_msg_recv(&m, sock, 0) >= 0)
        if (!zmq_msg_more(&m)) /* [routing id][payload]: count payloads */
            got++;
    rs->done_ms = bench_now_ms();
    zmq_msg_close(&m);
    zmq_close(sock);
    return NULL;
}

static double run_raw_zmq(long records, size_t bytes, int port)
{
    char ep[64];
    raw_sink rs = {.ctx = zmq_ctx_new(), .ep = ep, .want = records};
    void *cctx = zmq_ctx_new(), *sock = zmq_socket(cctx, ZMQ_DEALER);
    uint8_t *pool = malloc(bytes + 4096);
    int hwm = 200000, zero = 0;
    pthread_t th;
    double t0, ms;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    bench_fill(pool, bytes + 4096, 7);
    pthread_create(&th, NULL, raw_sink_main, &rs);
    while (!atomic_load(&rs.bound))
        usleep(100);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    t0 = bench_now_ms();
    zmq_connect(sock, ep);
    for (long i = 0; i < records; i++)
        zmq_send(sock, pool + (i * 61) % 4096, bytes, 0);
    pthread_join(th, NULL);
    ms = rs.done_ms - t0;
    zmq_close(sock);
    zmq_ctx_term(cctx);
    zmq_ctx_term(rs.ctx);
    free(pool);
    return ms > 0 ? (double)records / (ms / 1e3) : -1;
}

/* ---- the report ---- */

static void print_table(long records, size_t bytes, int runs, double *jiju, double *zmqr,
                        double *rdb, double *batch)
{
    double mj = bench_median(jiju, runs), mz = bench_median(zmqr, runs);
    double mr = bench_median(rdb, runs), mb = bench_median(batch, runs);

    printf("\n%ld records of %zu bytes, median of %d runs\n\n", records, bytes, runs);
    printf("| path | records/s (median) | Jiju / raw |\n|---|---:|---:|\n");
    printf("| Jiju stream (serve -> follow, applied + cursor fsynced) | %.0f | - |\n", mj);
    printf("| raw ZeroMQ DEALER -> ROUTER, tcp loopback | %.0f | %.3f |\n", mz, mj / mz);
    printf("| raw RocksDB synced WriteBatch of %.0f records | %.0f | %.3f |\n", mb, mr, mj / mr);
    printf("\nconsumer commit size (records per fsync), median of runs: %.0f\n", mb);
}

int main(int argc, char **argv)
{
    long records = argc > 1 ? atol(argv[1]) : 200000;
    size_t bytes = argc > 2 ? (size_t)atol(argv[2]) : 300;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    uint32_t credit = argc > 4 ? (uint32_t)atol(argv[4]) : 0;
    double jiju[BENCH_MAX_RUNS], zmqr[BENCH_MAX_RUNS], rdb[BENCH_MAX_RUNS], batch[BENCH_MAX_RUNS];

    if (records < 1 || bytes < 1 || runs < 1 || runs > BENCH_MAX_RUNS) {
        fprintf(stderr, "usage: bench_stream [records] [record bytes] [runs <= %d] [credit]\n",
                BENCH_MAX_RUNS);
        return 2;
    }
    printf("run  jiju_rec/s  zmq_rec/s  rocksdb_rec/s  consumer_batch\n");
    for (int r = 0; r < runs; r++) {
        jiju[r] = run_jiju(records, bytes, bench_port(2 * r), credit, &batch[r]);
        zmqr[r] = run_raw_zmq(records, bytes, bench_port(2 * r + 1));
        rdb[r] = bench_raw_rocksdb(records, batch[r] >= 1 ? (long)(batch[r] + 0.5) : 1, bytes);
        printf("%3d  %10.0f  %9.0f  %13.0f  %14.1f\n", r + 1, jiju[r], zmqr[r], rdb[r], batch[r]);
        fflush(stdout);
        if (jiju[r] < 0 || zmqr[r] < 0 || rdb[r] < 0)
            return 1;
    }
    print_table(records, bytes, runs, jiju, zmqr, rdb, batch);
    printf("consumer credit (window): %u\n", credit ? credit : 1000u);
    return 0;
}
