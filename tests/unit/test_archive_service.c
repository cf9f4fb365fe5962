/* test_archive_service.c - the jiju-archive process: an ingest-like producer
 * pushes its "reports" log over a real stream; the archive acknowledges only
 * what it stored; records are queried over the query ROUTER; after kill -9
 * and a restart nothing is lost or stored twice and the chain verifies. */
/* cmocka.h needs these three first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <signal.h>
#include <sys/wait.h>
#include <zmq.h>

#include "archive_query.h"
#include "archive_replay.h"
#include "archive_verify.h"
#include "clock.h"
#include "rpc.h"
#include "stream.h"
#include "svc.h"
#include "test_archive_support.h"

#define PRODUCER "ingest-7"

typedef struct world {
    char arc_dir[64], prod_dir[64];
    char ep_stream[64], ep_query[64], ep_events[64];
    pid_t archive;
    store_t *prod;
    stream_log_t *log;
    uint64_t want_acked;
    int64_t deadline;
    svc_t *svc;
} world;

static void start_archive(world *w)
{
    char db[80], s1[96], s2[96], s3[96];
    pid_t pid;

    snprintf(db, sizeof db, "data_dir=%s/db", w->arc_dir);
    snprintf(s1, sizeof s1, "stream.endpoint=%s", w->ep_stream);
    snprintf(s2, sizeof s2, "query.endpoint=%s", w->ep_query);
    snprintf(s3, sizeof s3, "events.endpoint=%s", w->ep_events);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(JIJU_BIN_DIR "/services/archive/jiju-archive", "jiju-archive", "--set", db, "--set",
              s1, "--set", s2, "--set", s3, "--set", "stream.heartbeat_ms=100", (char *)NULL);
        _exit(127);
    }
    w->archive = pid;
}

static void stop_archive(world *w, int sig)
{
    int status = 0;

    kill(w->archive, sig);
    assert_int_equal(waitpid(w->archive, &status, 0), w->archive);
    w->archive = 0;
}

/* Append n reports to the producer's log (as ingest would). */
static void produce(world *w, int from, int n)
{
    store_txn_t *t = store_txn_new(w->prod);

    for (int i = from; i < from + n; i++) {
        char rid[32], cl[16];
        size_t len;
        uint8_t *env;

        snprintf(rid, sizeof rid, "R-%d", i);
        snprintf(cl, sizeof cl, "C%d", i % 4);
        env = tas_report_env(rid, cl, "2023Q1", 1, 1000000LL * i, 1700000000000LL + i, &len);
        assert_int_equal(stream_log_append(w->log, t, env, len, NULL), JIJU_OK);
        free(env);
    }
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
}

static void until_acked(svc_t *svc, void *arg)
{
    world *w = arg;

    if (stream_acked(w->prod, "reports", "archive") >= w->want_acked ||
        clock_mono_ms() > w->deadline)
        svc_stop(svc);
}

/* Push the log until the archive has acknowledged `want` (or 60 s pass). */
static void push_until(world *w, uint64_t want)
{
    stream_opts so = {.self_id = PRODUCER, .heartbeat_ms = 100, .timeout_ms = 2000};
    stream_peer_t *peer;

    w->svc = svc_new("producer");
    peer = stream_push(w->svc, w->prod, w->ep_stream, "reports", &so, w->log);
    assert_non_null(peer);
    w->want_acked = want;
    w->deadline = clock_mono_ms() + 60000;
    svc_every(w->svc, 20, until_acked, w);
    svc_run(w->svc);
    stream_peer_destroy(&peer);
    svc_destroy(&w->svc);
    assert_int_equal(stream_acked(w->prod, "reports", "archive"), want);
}

/* All records of cluster over the query endpoint, oldest first, pages of 50. */
static size_t query_cluster(world *w, const char *cluster, uint64_t *source_seqs)
{
    const char *eps[1] = {w->ep_query};
    void *zctx = zmq_ctx_new();
    rpc_t *rpc = rpc_new(zctx, eps, 1, 5000);
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    uint8_t req[512], cursor[512];
    size_t n = 0;

    q.cluster_id = (char *)cluster;
    q.limit = 50;
    for (;;) {
        Jiju__V1__ArchiveQueryReply *r;
        uint8_t *rep = NULL;
        size_t rlen = 0, len = jiju__v1__archive_query_request__get_packed_size(&q);

        jiju__v1__archive_query_request__pack(&q, req);
        assert_int_equal(rpc_call(rpc, req, len, &rep, &rlen), JIJU_OK);
        r = jiju__v1__archive_query_reply__unpack(NULL, rlen, rep);
        free(rep);
        assert_non_null(r);
        assert_true(r->ok);
        assert_string_equal(r->instance, "archive");
        for (size_t i = 0; i < r->n_records; i++) {
            assert_string_equal(r->records[i]->producer_id, PRODUCER);
            assert_string_equal(r->records[i]->stream, "reports");
            source_seqs[n++] = r->records[i]->source_seq;
        }
        if (r->next_cursor.len) /* data is NULL when empty */
            memcpy(cursor, r->next_cursor.data, r->next_cursor.len);
        q.cursor.data = cursor;
        q.cursor.len = r->next_cursor.len;
        jiju__v1__archive_query_reply__free_unpacked(r, NULL);
        if (q.cursor.len == 0)
            break;
    }
    rpc_destroy(&rpc);
    zmq_ctx_term(zctx);
    return n;
}

typedef struct seen {
    uint64_t next;
} seen;

static int on_input(void *arg, const archive_entry *e)
{
    seen *s = arg;

    assert_string_equal(e->producer_id, PRODUCER);
    assert_int_equal(e->source_seq, s->next); /* each once, in log order */
    s->next++;
    return 0;
}

static void test_archive_process_end_to_end(void **state)
{
    world w = {0};
    uint64_t seqs[400];
    /* above the kernel's ephemeral range (32768-60999) and apart from the
     * integration harness (10000-20000), so parallel tests do not collide */
    int port = 61000 + (int)(getpid() % 1400) * 3;
    archive_verify_result vr;
    seen s = {1};
    store_t *arc;
    size_t n;

    (void)state;
    strcpy(w.arc_dir, "/tmp/jiju-arcsvc-XXXXXX");
    strcpy(w.prod_dir, "/tmp/jiju-arcprod-XXXXXX");
    assert_non_null(mkdtemp(w.arc_dir));
    assert_non_null(mkdtemp(w.prod_dir));
    snprintf(w.ep_stream, sizeof w.ep_stream, "tcp://127.0.0.1:%d", port);
    snprintf(w.ep_query, sizeof w.ep_query, "tcp://127.0.0.1:%d", port + 1);
    snprintf(w.ep_events, sizeof w.ep_events, "tcp://127.0.0.1:%d", port + 2);
    {
        const char *cfs[] = {STORE_STREAM_CFS};
        w.prod = store_open(w.prod_dir, cfs, 3, NULL, 0);
    }
    assert_non_null(w.prod);
    w.log = stream_log_open(w.prod, "reports");

    start_archive(&w);
    produce(&w, 0, 300);
    push_until(&w, 300);
    n = query_cluster(&w, "C1", seqs);
    assert_int_equal(n, 75);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seqs[i], 4 * i + 2); /* ... at log seq 2, 6, ... */

    stop_archive(&w, SIGKILL); /* then more input, and a restart */
    produce(&w, 300, 100);
    start_archive(&w);
    push_until(&w, 400);
    assert_int_equal(query_cluster(&w, "C3", seqs), 100);
    stop_archive(&w, SIGTERM);

    {
        char db[80];
        snprintf(db, sizeof db, "%s/db", w.arc_dir);
        arc = archive_store_open(db, NULL, 0);
    }
    assert_non_null(arc);
    assert_int_equal(archive_verify(arc, &vr), JIJU_OK);
    assert_int_equal(vr.status, ARCHIVE_VERIFY_OK);
    assert_int_equal(vr.checked, 400);
    assert_int_equal(archive_replay(arc, "reports", 1, on_input, &s, NULL), JIJU_OK);
    assert_int_equal(s.next, 401);
    store_close(&arc);
    stream_log_destroy(&w.log);
    store_close(&w.prod);
    tas_rm_rf(w.arc_dir);
    tas_rm_rf(w.prod_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_process_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
