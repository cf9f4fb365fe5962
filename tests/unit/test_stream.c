/* test_stream.c - the durable stream: exactly-once application across a
 * duplicated RECORD, a lost ACK, a gap, a reconnect in the middle of a credit
 * window, and a consumer restart. Real RocksDB stores, real ZeroMQ sockets on
 * 127.0.0.1; each service loop runs in its own thread, and the test plays
 * the other side with a raw DEALER where it needs to misbehave on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "jiju/v1/stream.pb-c.h"
#include "store.h"
#include "stream.h"
#include "svc.h"

static const char *const cfs[] = {STORE_STREAM_CFS, "applied"};

typedef struct node {
    char dir[64];
    store_t *store;
    svc_t *svc;
    pthread_t thread;
    int running;
    stream_log_t *log;
    stream_peer_t *peer;
} node;

static void *loop_main(void *arg)
{
    svc_run(((node *)arg)->svc);
    return NULL;
}

static void node_open(node *n, const char *dir)
{
    if (dir)
        snprintf(n->dir, sizeof n->dir, "%s", dir);
    else {
        snprintf(n->dir, sizeof n->dir, "/tmp/jiju-stream-XXXXXX");
        assert_non_null(mkdtemp(n->dir));
    }
    n->store = store_open(n->dir, cfs, 4, NULL, 0);
    assert_non_null(n->store);
    n->svc = svc_new("test");
    assert_non_null(n->svc);
}

static void node_start(node *n)
{
    assert_int_equal(pthread_create(&n->thread, NULL, loop_main, n), 0);
    n->running = 1;
}

static void node_pause(node *n)
{
    if (!n->running)
        return;
    svc_stop(n->svc);
    pthread_join(n->thread, NULL);
    n->running = 0;
}

static void node_close(node *n)
{
    node_pause(n);
    stream_peer_destroy(&n->peer);
    stream_log_destroy(&n->log);
    svc_destroy(&n->svc);
    store_close(&n->store);
}

/* The consumer's effect: count how many times each (producer, seq) was
 * applied. Exactly-once means every count is 1. */
static int apply_count(void *arg, const char *producer, uint64_t seq, const uint8_t *data,
                       size_t len, store_txn_t *txn)
{
    node *n = arg;
    char key[160];
    void *v = NULL;
    size_t vlen = 0;
    uint8_t cnt[8];
    uint64_t c = 0;
    int cf = store_cf(n->store, "applied");
    size_t klen =
        (size_t)snprintf(key, sizeof key, "%s/%020llu", producer, (unsigned long long)seq);

    if (len == 3 && memcmp(data, "bad", 3) == 0)
        return JIJU_ERR_CORRUPT; /* what a consumer says of a garbage record */
    if (store_txn_get(txn, cf, key, klen, &v, &vlen) == JIJU_OK && vlen == 8)
        c = store_be64_get(v);
    free(v);
    store_be64_put(cnt, c + 1);
    return store_txn_put(txn, cf, key, klen, cnt, 8);
}

static uint64_t applied_times(node *n, const char *producer, uint64_t seq)
{
    char key[160];
    void *v = NULL;
    size_t vlen = 0;
    uint64_t c = 0;
    size_t klen =
        (size_t)snprintf(key, sizeof key, "%s/%020llu", producer, (unsigned long long)seq);

    if (store_get(n->store, store_cf(n->store, "applied"), key, klen, &v, &vlen) == JIJU_OK)
        c = store_be64_get(v);
    free(v);
    return c;
}

static void append_records(node *n, uint64_t count)
{
    store_txn_t *txn = store_txn_new(n->store);
    char body[32];

    for (uint64_t i = 0; i < count; i++) {
        int len = snprintf(body, sizeof body, "record-%llu", (unsigned long long)i);
        assert_int_equal(stream_log_append(n->log, txn, body, (size_t)len, NULL), JIJU_OK);
    }
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
}

static int wait_cursor(node *n, const char *stream, const char *producer, uint64_t want)
{
    int64_t deadline = clock_mono_ms() + 20000;

    while (clock_mono_ms() < deadline) {
        if (stream_cursor(n->store, stream, producer) >= want)
            return 1;
        usleep(5000);
    }
    return 0;
}

static stream_log_t *serve_log(void *arg, const char *stream, const char *consumer,
                               stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    (void)consumer;
    return strcmp(stream, "reports") == 0 ? ((node *)arg)->log : NULL;
}

/* Bind a free port; the test connects to what stream_serve actually bound. */
#define ANY_PORT "tcp://127.0.0.1:*"

/* ---- a real producer and a real consumer, consumer restarted ---- */

static void test_follow_and_consumer_restart(void **state)
{
    node prod = {0}, cons = {0};
    stream_opts o = {
        .self_id = "producer-a", .heartbeat_ms = 100, .timeout_ms = 1000, .credit = 100};
    stream_opts oc = {
        .self_id = "consumer-b", .heartbeat_ms = 100, .timeout_ms = 1000, .credit = 100};
    char ep[64], dir[64];

    (void)state;
    node_open(&prod, NULL);
    prod.log = stream_log_open(prod.store, "reports");
    append_records(&prod, 2000);
    prod.peer = stream_serve(prod.svc, prod.store, ANY_PORT, &o, serve_log, NULL, &prod);
    assert_non_null(prod.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(prod.peer));
    node_start(&prod);

    node_open(&cons, NULL);
    cons.peer = stream_follow(cons.svc, cons.store, ep, "reports", &oc, apply_count, &cons);
    assert_non_null(cons.peer);
    node_start(&cons);
    assert_true(wait_cursor(&cons, "reports", "producer-a", 2000));

    /* restart the consumer on the same directory while more records arrive */
    snprintf(dir, sizeof dir, "%s", cons.dir);
    node_close(&cons);
    node_pause(&prod);
    append_records(&prod, 1000);
    node_start(&prod);
    node_open(&cons, dir);
    cons.peer = stream_follow(cons.svc, cons.store, ep, "reports", &oc, apply_count, &cons);
    node_start(&cons);
    assert_true(wait_cursor(&cons, "reports", "producer-a", 3000));
    node_pause(&cons);
    for (uint64_t s = 1; s <= 3000; s++)
        assert_int_equal(applied_times(&cons, "producer-a", s), 1);
    node_close(&cons);
    node_close(&prod);
}

/* ---- raw frames: the test misbehaves on purpose ---- */

static void raw_send(void *sock, const Jiju__V1__StreamFrame *f)
{
    uint8_t buf[1024];
    size_t len = jiju__v1__stream_frame__pack(f, buf);

    assert_true(zmq_send(sock, buf, len, 0) >= 0);
}

#define RAW_STORE_A "11111111-1111-4111-8111-111111111111"
#define RAW_STORE_B "22222222-2222-4222-8222-222222222222"

/* A producer's HELLO carries its incarnation (store_id, epoch, log range). */
static void raw_hello_inc(void *sock, const char *id, Jiju__V1__StreamRole role,
                          const char *store_id, uint64_t epoch, uint64_t first, uint64_t last)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Hello h = JIJU__V1__HELLO__INIT;

    h.peer_id = (char *)id;
    h.role = role;
    h.stream = "reports";
    h.protocol_version = 2;
    if (role == JIJU__V1__STREAM_ROLE__PRODUCER) {
        h.store_id = (char *)store_id;
        h.epoch = epoch;
        h.first_seq = first;
        h.last_seq = last;
    }
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_HELLO;
    f.hello = &h;
    raw_send(sock, &f);
}

static void raw_hello(void *sock, const char *id, Jiju__V1__StreamRole role)
{
    raw_hello_inc(sock, id, role, RAW_STORE_A, 1, 1, 1000);
}

static void raw_record_data(void *sock, uint64_t seq, const char *data)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Record r = JIJU__V1__RECORD__INIT;

    r.seq = seq;
    r.envelope.data = (uint8_t *)data;
    r.envelope.len = strlen(data);
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RECORD;
    f.record = &r;
    raw_send(sock, &f);
}

static void raw_record(void *sock, uint64_t seq)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Record r = JIJU__V1__RECORD__INIT;

    r.seq = seq;
    r.envelope.data = (uint8_t *)"x";
    r.envelope.len = 1;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RECORD;
    f.record = &r;
    raw_send(sock, &f);
}

static void raw_resume(void *sock, uint64_t next, uint32_t credit)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Resume r = JIJU__V1__RESUME__INIT;

    r.next_seq = next;
    r.credit = credit;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RESUME;
    f.resume = &r;
    raw_send(sock, &f);
}

static void raw_ack(void *sock, uint64_t seq)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Ack a = JIJU__V1__ACK__INIT;

    a.seq = seq;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_ACK;
    f.ack = &a;
    raw_send(sock, &f);
}

/* Next frame of the given kind (others, e.g. heartbeats, are skipped), or
 * NULL after timeout_ms. */
static Jiju__V1__StreamFrame *raw_expect(void *sock, int kind, int timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    uint8_t buf[65536];

    while (clock_mono_ms() < deadline) {
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        int n;
        Jiju__V1__StreamFrame *f;

        if (zmq_poll(&it, 1, (long)(deadline - clock_mono_ms())) <= 0)
            continue;
        n = zmq_recv(sock, buf, sizeof buf, 0);
        if (n < 0)
            continue;
        f = jiju__v1__stream_frame__unpack(NULL, (size_t)n, buf);
        if (f && (int)f->kind_case == kind)
            return f;
        if (f)
            jiju__v1__stream_frame__free_unpacked(f, NULL);
    }
    return NULL;
}

static void *raw_dealer(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

static uint64_t expect_ack(void *sock)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_ACK, 5000);
    uint64_t seq;

    assert_non_null(f);
    seq = f->ack->seq;
    jiju__v1__stream_frame__free_unpacked(f, NULL);
    return seq;
}

static uint64_t expect_resume(void *sock)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_RESUME, 5000);
    uint64_t next;

    assert_non_null(f);
    next = f->resume->next_seq;
    jiju__v1__stream_frame__free_unpacked(f, NULL);
    return next;
}

static void test_duplicate_lost_ack_and_gap(void **state)
{
    node cons = {0};
    stream_opts o = {.self_id = "consumer", .heartbeat_ms = 100, .timeout_ms = 3000};
    void *ctx = zmq_ctx_new();
    char ep[64];
    void *s;
    uint64_t acked = 0;

    (void)state;
    node_open(&cons, NULL);
    cons.peer = stream_serve(cons.svc, cons.store, ANY_PORT, &o, NULL, apply_count, &cons);
    assert_non_null(cons.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(cons.peer));
    node_start(&cons);

    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    assert_int_equal(expect_resume(s), 1);
    for (uint64_t i = 1; i <= 5; i++)
        raw_record(s, i);
    while (acked < 5)
        acked = expect_ack(s);
    raw_record(s, 3); /* a duplicated RECORD: acknowledged, not applied again */
    assert_int_equal(expect_ack(s), 5);
    assert_int_equal(applied_times(&cons, "raw-producer", 3), 1);

    /* a lost ACK: the producer never saw "5", reconnects and resends 4..6 */
    zmq_close(s);
    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    assert_int_equal(expect_resume(s), 6); /* the consumer says where it is */
    raw_record(s, 4);
    raw_record(s, 5);
    raw_record(s, 6);
    acked = 0;
    while (acked < 6)
        acked = expect_ack(s);

    /* a gap: 7 and 8 were lost; the consumer asks for 7 again */
    raw_record(s, 9);
    assert_int_equal(expect_resume(s), 7);
    raw_record(s, 7);
    raw_record(s, 8);
    raw_record(s, 9);
    acked = 0;
    while (acked < 9)
        acked = expect_ack(s);
    for (uint64_t i = 1; i <= 9; i++)
        assert_int_equal(applied_times(&cons, "raw-producer", i), 1);

    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&cons);
}

static int count_records(void *sock, int timeout_ms, uint64_t *first, uint64_t *last)
{
    int n = 0;
    Jiju__V1__StreamFrame *f;

    while ((f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_RECORD, timeout_ms))) {
        if (n == 0)
            *first = f->record->seq;
        *last = f->record->seq;
        n++;
        jiju__v1__stream_frame__free_unpacked(f, NULL);
    }
    return n;
}

static void test_credit_window_and_reconnect(void **state)
{
    node prod = {0};
    stream_opts o = {.self_id = "producer", .heartbeat_ms = 100, .timeout_ms = 3000};
    void *ctx = zmq_ctx_new();
    uint64_t first = 0, last = 0;
    char ep[64];
    Jiju__V1__StreamFrame *hello;
    void *s;

    (void)state;
    node_open(&prod, NULL);
    prod.log = stream_log_open(prod.store, "reports");
    append_records(&prod, 100);
    prod.peer = stream_serve(prod.svc, prod.store, ANY_PORT, &o, serve_log, NULL, &prod);
    assert_non_null(prod.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(prod.peer));
    node_start(&prod);

    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-consumer", JIJU__V1__STREAM_ROLE__CONSUMER);
    hello = raw_expect(s, JIJU__V1__STREAM_FRAME__KIND_HELLO, 5000);
    assert_non_null(hello);
    jiju__v1__stream_frame__free_unpacked(hello, NULL);
    raw_resume(s, 1, 10);
    /* no more than the credit window while nothing is acknowledged */
    assert_int_equal(count_records(s, 500, &first, &last), 10);
    assert_int_equal(first, 1);
    assert_int_equal(last, 10);
    raw_ack(s, 5);
    assert_int_equal(count_records(s, 500, &first, &last), 5);
    assert_int_equal(first, 11);
    assert_int_equal(last, 15);

    /* reconnect in the middle of the window: 6..15 were sent, only 5 acked */
    zmq_close(s);
    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-consumer", JIJU__V1__STREAM_ROLE__CONSUMER);
    raw_resume(s, 0, 10); /* 0: "after the last ack you stored for me" */
    assert_int_equal(count_records(s, 500, &first, &last), 10);
    assert_int_equal(first, 6);
    assert_int_equal(last, 15);

    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&prod);
}

static void test_log_survives_reopen(void **state)
{
    node n = {0};
    char dir[64];
    void *data = NULL;
    size_t len = 0;

    (void)state;
    node_open(&n, NULL);
    n.log = stream_log_open(n.store, "reports");
    append_records(&n, 10);
    snprintf(dir, sizeof dir, "%s", n.dir);
    node_close(&n);
    node_open(&n, dir);
    n.log = stream_log_open(n.store, "reports");
    assert_int_equal(stream_log_last(n.log), 10);
    assert_int_equal(stream_log_next(n.log), 11);
    assert_int_equal(stream_log_read(n.log, 10, &data, &len), JIJU_OK);
    assert_memory_equal(data, "record-9", 8);
    free(data);
    /* another log in the same family does not see these records */
    stream_log_t *other = stream_log_open(n.store, "reportsX");
    assert_int_equal(stream_log_last(other), 0);
    stream_log_destroy(&other);
    node_close(&n);
}

static void trim_log(node *n, uint64_t upto);

#define LOG_KEY_TEST_MAX 64

/* Keys of log `name` in n's store, its meta (seq 0) not counted. */
static int log_keys(node *n, const char *name)
{
    store_iter_t *it = store_iter_new(n->store, store_cf(n->store, STORE_CF_LOG));
    size_t plen = strlen(name) + 1, klen;
    uint8_t meta[LOG_KEY_TEST_MAX] = {0};
    int keys = 0;

    memcpy(meta, name, plen);
    for (store_iter_seek(it, name, plen); store_iter_valid(it); store_iter_next(it)) {
        const uint8_t *k = store_iter_key(it, &klen);
        if (klen < plen || memcmp(k, name, plen) != 0)
            break;
        keys += !(klen == plen + 8 && memcmp(k, meta, plen + 8) == 0);
    }
    store_iter_destroy(&it);
    return keys;
}

static void assert_record(stream_log_t *log, uint64_t seq, const char *want)
{
    void *data = NULL;
    size_t len = 0;

    assert_int_equal(stream_log_read(log, seq, &data, &len), JIJU_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    free(data);
}

/* Issue 14: runs. The records one txn appends are one key (at most
 * max_run each); records stored one per key before are served beside
 * them; a trim keeps the run it cuts through and never serves what it
 * trimmed, also after a reopen; a replacement through the iterator writes
 * the run once; another txn's append while a run is open is refused. */
static void test_log_runs(void **state)
{
    node n = {0};
    stream_log_runs_t *runs = stream_log_runs_new(4);
    char dir[64], want[32];
    store_txn_t *txn, *other;
    stream_log_iter_t *it;
    const uint8_t *rec;
    uint64_t seq;
    size_t len;

    (void)state;
    node_open(&n, NULL);
    n.log = stream_log_open(n.store, "sub/a");
    append_records(&n, 2); /* 1, 2: one key each, as before runs */
    assert_int_equal(log_keys(&n, "sub/a"), 2);
    stream_log_set_runs(n.log, runs);
    append_records(&n, 10); /* 3..12: record-0..record-9 in runs of 4, 4, 2 */
    assert_int_equal(log_keys(&n, "sub/a"), 5);
    assert_int_equal(stream_log_last(n.log), 12);
    assert_record(n.log, 1, "record-0");
    assert_record(n.log, 2, "record-1");
    for (uint64_t k = 3; k <= 12; k++) {
        snprintf(want, sizeof want, "record-%llu", (unsigned long long)(k - 3));
        assert_record(n.log, k, want);
    }
    /* 6 (last of the run 3..6) and 7 (first of 7..10) replaced */
    txn = store_txn_new(n.store);
    it = stream_log_iter(n.log, 5);
    for (uint64_t k = 5; k <= 12; k++, stream_log_iter_next(it)) {
        assert_int_equal(stream_log_iter_get(it, &seq, &rec, &len), 0);
        assert_int_equal(seq, k);
        if (k == 6 || k == 7)
            assert_int_equal(
                stream_log_iter_replace(it, txn, k == 6 ? "six" : "seven", k == 6 ? 3 : 5),
                JIJU_OK);
    }
    assert_int_equal(stream_log_iter_get(it, &seq, &rec, &len), -1);
    assert_int_equal(stream_log_iter_finish(it), JIJU_OK);
    stream_log_iter_destroy(&it);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    assert_int_equal(log_keys(&n, "sub/a"), 5);
    assert_record(n.log, 5, "record-2");
    assert_record(n.log, 6, "six");
    assert_record(n.log, 7, "seven");
    assert_record(n.log, 8, "record-5");
    assert_record(n.log, 12, "record-9");

    /* one txn at a time per log */
    txn = store_txn_new(n.store);
    other = store_txn_new(n.store);
    assert_int_equal(stream_log_append(n.log, txn, "x", 1, NULL), JIJU_OK);
    assert_int_equal(stream_log_append(n.log, other, "y", 1, NULL), JIJU_ERR_INVALID);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK); /* 13: alone, one key */
    store_txn_destroy(&txn);
    store_txn_destroy(&other);
    assert_int_equal(log_keys(&n, "sub/a"), 6);
    assert_record(n.log, 13, "x");

    trim_log(&n, 8); /* 1, 2, 3..6 go; 7..10 stays whole, 7 and 8 unserved */
    assert_int_equal(log_keys(&n, "sub/a"), 3);
    assert_int_equal(stream_log_first(n.log), 9);
    void *data = NULL;
    assert_int_equal(stream_log_read(n.log, 8, &data, &len), JIJU_ERR_NOT_FOUND);
    assert_record(n.log, 9, "record-6");
    it = stream_log_iter(n.log, 1);
    assert_int_equal(stream_log_iter_get(it, &seq, &rec, &len), 0);
    assert_int_equal(seq, 9);
    stream_log_iter_destroy(&it);
    snprintf(dir, sizeof dir, "%s", n.dir);
    node_close(&n);
    node_open(&n, dir);
    n.log = stream_log_open(n.store, "sub/a");
    stream_log_set_runs(n.log, runs);
    assert_int_equal(stream_log_first(n.log), 9);
    assert_int_equal(stream_log_last(n.log), 13);
    assert_record(n.log, 9, "record-6");
    trim_log(&n, 13); /* trimmed empty: the sequence goes on */
    assert_int_equal(log_keys(&n, "sub/a"), 0);
    node_close(&n);
    node_open(&n, dir);
    n.log = stream_log_open(n.store, "sub/a");
    assert_int_equal(stream_log_first(n.log), 14);
    assert_int_equal(stream_log_last(n.log), 13);
    node_close(&n);
    stream_log_runs_destroy(&runs);
}

/* ---- trust: incarnations, bounds, garbage, trimming ---- */

/* ERROR frame expected: its code must be `code`. */
static void expect_error(void *sock, const char *code)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_ERROR, 5000);

    assert_non_null(f);
    assert_string_equal(f->error->code, code);
    jiju__v1__stream_frame__free_unpacked(f, NULL);
}

static void trim_log(node *n, uint64_t upto)
{
    store_txn_t *txn = store_txn_new(n->store);

    assert_int_equal(stream_log_trim(n->log, txn, upto), JIJU_OK);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
}

/* Issue 10 #1: a log trimmed empty restarted at seq 1. */
static void test_trimmed_log_never_restarts(void **state)
{
    node n = {0};
    char dir[64], id[STREAM_STORE_ID_LEN + 1];
    uint64_t seq = 0, epoch;
    store_txn_t *txn;

    (void)state;
    node_open(&n, NULL);
    n.log = stream_log_open(n.store, "reports");
    assert_int_equal(strlen(stream_log_store_id(n.log)), STREAM_STORE_ID_LEN);
    snprintf(id, sizeof id, "%s", stream_log_store_id(n.log));
    epoch = stream_log_epoch(n.log);
    append_records(&n, 10);
    trim_log(&n, 10); /* everything acknowledged: trimmed empty */
    snprintf(dir, sizeof dir, "%s", n.dir);
    node_close(&n);
    node_open(&n, dir);
    n.log = stream_log_open(n.store, "reports");
    assert_int_equal(stream_log_last(n.log), 10);
    assert_int_equal(stream_log_first(n.log), 11);
    assert_string_equal(stream_log_store_id(n.log), id); /* the incarnation survives */
    assert_int_equal(stream_log_epoch(n.log), epoch + 1);
    txn = store_txn_new(n.store);
    assert_int_equal(stream_log_append(n.log, txn, "r", 1, &seq), JIJU_OK);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    assert_int_equal(seq, 11);
    node_close(&n);
}

static void trim_log(node *n, uint64_t upto);

/* A producer serving records 1..count, of which 1..trim are trimmed. */
static node *serve_records(node *prod, uint64_t count, uint64_t trim, char *ep, size_t cap)
{
    stream_opts o = {.self_id = "producer", .heartbeat_ms = 100, .timeout_ms = 3000};

    node_open(prod, NULL);
    prod->log = stream_log_open(prod->store, "reports");
    append_records(prod, count);
    if (trim)
        trim_log(prod, trim);
    prod->peer = stream_serve(prod->svc, prod->store, ANY_PORT, &o, serve_log, NULL, prod);
    assert_non_null(prod->peer);
    snprintf(ep, cap, "%s", stream_peer_endpoint(prod->peer));
    node_start(prod);
    return prod;
}

static void *consumer_session(void *ctx, const char *ep, uint64_t from, uint32_t credit)
{
    void *s = raw_dealer(ctx, ep);
    Jiju__V1__StreamFrame *hello;

    raw_hello(s, "raw-consumer", JIJU__V1__STREAM_ROLE__CONSUMER);
    hello = raw_expect(s, JIJU__V1__STREAM_FRAME__KIND_HELLO, 5000);
    assert_non_null(hello);
    assert_int_equal(strlen(hello->hello->store_id), STREAM_STORE_ID_LEN);
    jiju__v1__stream_frame__free_unpacked(hello, NULL);
    raw_resume(s, from, credit);
    return s;
}

static int wait_acked(node *n, uint64_t want)
{
    int64_t deadline = clock_mono_ms() + 5000;

    while (clock_mono_ms() < deadline) {
        if (stream_acked(n->store, "reports", "raw-consumer") == want)
            return 1;
        usleep(5000);
    }
    return 0;
}

/* Issue 10 #6, 11 #2: ACK 10^15, ACK 2^64-1 and RESUME 2^63 are refused and
 * never stored; a RESUME to an earlier seq re-reads without rewinding the
 * stored ack. */
static void test_ack_resume_beyond_log_and_reread(void **state)
{
    node prod = {0};
    void *ctx = zmq_ctx_new();
    uint64_t first = 0, last = 0;
    char ep[64];
    void *s;

    (void)state;
    serve_records(&prod, 10, 0, ep, sizeof ep);
    s = consumer_session(ctx, ep, 1ULL << 63, 100);
    expect_error(s, "E_STREAM_BEYOND_LOG");
    zmq_close(s);
    const uint64_t bad[] = {1000000000000000ULL, UINT64_MAX};
    for (int i = 0; i < 2; i++) {
        s = consumer_session(ctx, ep, 1, 100);
        assert_int_equal(count_records(s, 300, &first, &last), 10);
        raw_ack(s, bad[i]);
        expect_error(s, "E_STREAM_BAD_ACK");
        zmq_close(s);
    }
    usleep(200000);
    assert_int_equal(stream_acked(prod.store, "reports", "raw-consumer"), 0);

    s = consumer_session(ctx, ep, 1, 100);
    assert_int_equal(count_records(s, 300, &first, &last), 10);
    /* a repair RESUME(5) crossed by the ACK of 5..10, applied before it was
     * answered: they were sent on this session, the ACK stands */
    raw_resume(s, 5, 100);
    raw_ack(s, 10);
    assert_true(wait_acked(&prod, 10));
    assert_int_equal(count_records(s, 300, &first, &last), 6); /* 5..10 again */
    assert_int_equal(first, 5);
    zmq_close(s);
    /* re-read from 7: 7..10 come again, the stored ack stays 10 */
    s = consumer_session(ctx, ep, 7, 100);
    assert_int_equal(count_records(s, 300, &first, &last), 4);
    assert_int_equal(first, 7);
    raw_ack(s, 8);
    usleep(300000);
    assert_int_equal(stream_acked(prod.store, "reports", "raw-consumer"), 10);
    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&prod);
}

/* Frames for timeout_ms as a department system handles them: each RECORD
 * counted and answered with ACK `ack` (all it holds, some of it received
 * before this session); an ERROR fails the test. The highest seq seen. */
static uint64_t ack_what_we_hold(void *sock, uint64_t ack, int timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    uint8_t buf[65536];
    uint64_t high = 0;

    while (clock_mono_ms() < deadline) {
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        Jiju__V1__StreamFrame *f;
        int n;

        if (zmq_poll(&it, 1, (long)(deadline - clock_mono_ms())) <= 0)
            continue;
        if ((n = zmq_recv(sock, buf, sizeof buf, 0)) < 0)
            continue;
        f = jiju__v1__stream_frame__unpack(NULL, (size_t)n, buf);
        assert_non_null(f);
        if (f->kind_case == JIJU__V1__STREAM_FRAME__KIND_ERROR)
            fail_msg("refused: %s %s", f->error->code, f->error->message);
        if (f->kind_case == JIJU__V1__STREAM_FRAME__KIND_RECORD) {
            if (f->record->seq > high)
                high = f->record->seq;
            raw_ack(sock, ack);
        }
        jiju__v1__stream_frame__free_unpacked(f, NULL);
    }
    return high;
}

/* Issue 14: a store-less subscriber got 1..30 and acked 3 when its
 * producer restarted; in the new process it asks RESUME 0 (after the
 * stored ack, 3) and acks 30, all it holds, before anything was sent on the
 * new session (it did receive 30, from the process before). That ACK was
 * refused with E_STREAM_BAD_ACK (test_notify_fanout failed so under load).
 * Now it stands for what was sent (never stored beyond it): the records
 * come again within the credit window, are acked again, and the stored ack
 * reaches 30 without an error or a stall, the window (5) smaller than the
 * gap. An ACK beyond the log is still refused. */
static void test_ack_of_records_sent_before_restart(void **state)
{
    node prod = {0};
    stream_opts o = {.self_id = "producer", .heartbeat_ms = 100, .timeout_ms = 3000};
    void *ctx = zmq_ctx_new();
    uint64_t first = 0, last = 0;
    char ep[64], dir[64];
    void *s;

    (void)state;
    serve_records(&prod, 30, 0, ep, sizeof ep);
    s = consumer_session(ctx, ep, 1, 100);
    assert_int_equal(count_records(s, 300, &first, &last), 30);
    raw_ack(s, 3);
    assert_true(wait_acked(&prod, 3));
    zmq_close(s);
    snprintf(dir, sizeof dir, "%s", prod.dir);
    node_close(&prod); /* the restart */
    node_open(&prod, dir);
    prod.log = stream_log_open(prod.store, "reports");
    prod.peer = stream_serve(prod.svc, prod.store, ANY_PORT, &o, serve_log, NULL, &prod);
    assert_non_null(prod.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(prod.peer));
    node_start(&prod);

    s = consumer_session(ctx, ep, 0, 5);
    raw_ack(s, 30); /* crosses the RESUME: nothing sent yet on this session */
    assert_int_equal(ack_what_we_hold(s, 30, 1500), 30);
    assert_true(wait_acked(&prod, 30));
    raw_ack(s, 31); /* beyond the log: nobody can have sent it */
    expect_error(s, "E_STREAM_BAD_ACK");
    usleep(200000);
    assert_int_equal(stream_acked(prod.store, "reports", "raw-consumer"), 30);
    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&prod);
}

static node *serve_consumer(node *cons, char *ep, size_t cap)
{
    stream_opts o = {.self_id = "consumer", .heartbeat_ms = 100, .timeout_ms = 3000};

    cons->peer = stream_serve(cons->svc, cons->store, ANY_PORT, &o, NULL, apply_count, cons);
    assert_non_null(cons->peer);
    snprintf(ep, cap, "%s", stream_peer_endpoint(cons->peer));
    node_start(cons);
    return cons;
}

/* Issue 10 #3: a garbage RECORD at the asked seq never moves the cursor. */
static void test_garbage_record_refused(void **state)
{
    node cons = {0};
    void *ctx = zmq_ctx_new();
    char ep[64];
    void *s;

    (void)state;
    node_open(&cons, NULL);
    serve_consumer(&cons, ep, sizeof ep);
    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    assert_int_equal(expect_resume(s), 1);
    raw_record_data(s, 1, "bad");
    expect_error(s, "E_STREAM_BAD_RECORD");
    zmq_close(s);
    assert_int_equal(stream_cursor(cons.store, "reports", "raw-producer"), 0);
    /* the real record 1 is still wanted, and applied */
    s = raw_dealer(ctx, ep);
    raw_hello(s, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    assert_int_equal(expect_resume(s), 1);
    raw_record(s, 1);
    assert_int_equal(expect_ack(s), 1);
    assert_int_equal(applied_times(&cons, "raw-producer", 1), 1);
    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&cons);
}

static void *producer_session(void *ctx, const char *ep, const char *store_id, uint64_t epoch,
                              uint64_t last)
{
    void *s = raw_dealer(ctx, ep);

    raw_hello_inc(s, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER, store_id, epoch, 1, last);
    return s;
}

/* Issue 10 #1, #2, #3: another store under the same producer id, an older
 * epoch, a log that went backwards, and a second session claiming a
 * connected producer are refused; a restart of the same store is not. */
static void test_incarnation_refused(void **state)
{
    node cons = {0};
    void *ctx = zmq_ctx_new();
    char ep[64], dir[64];
    void *a, *x;
    uint64_t acked = 0;

    (void)state;
    node_open(&cons, NULL);
    serve_consumer(&cons, ep, sizeof ep);
    a = producer_session(ctx, ep, RAW_STORE_A, 2, 100);
    assert_int_equal(expect_resume(a), 1);
    for (uint64_t i = 1; i <= 3; i++)
        raw_record(a, i);
    while (acked < 3)
        acked = expect_ack(a);

    x = producer_session(ctx, ep, RAW_STORE_B, 9, 100); /* same instance id, other store */
    expect_error(x, "E_STREAM_INCARNATION");
    zmq_close(x);
    x = producer_session(ctx, ep, RAW_STORE_A, 1, 100); /* a stale copy */
    expect_error(x, "E_STREAM_INCARNATION");
    zmq_close(x);
    x = producer_session(ctx, ep, RAW_STORE_A, 3, 2); /* went backwards: log ends at 2 */
    expect_error(x, "E_STREAM_INCARNATION");
    zmq_close(x);
    raw_record(a, 4); /* the real producer was not hijacked */
    assert_int_equal(expect_ack(a), 4);
    zmq_close(a);

    /* a restart of the same store (a later epoch) takes over */
    a = producer_session(ctx, ep, RAW_STORE_A, 3, 100);
    assert_int_equal(expect_resume(a), 5);
    zmq_close(a);
    /* the consumer remembers across its own restart */
    snprintf(dir, sizeof dir, "%s", cons.dir);
    node_close(&cons);
    node_open(&cons, dir);
    serve_consumer(&cons, ep, sizeof ep);
    x = producer_session(ctx, ep, RAW_STORE_B, 1, 100);
    expect_error(x, "E_STREAM_INCARNATION");
    zmq_close(x);
    for (uint64_t i = 1; i <= 4; i++)
        assert_int_equal(applied_times(&cons, "raw-producer", i), 1);
    zmq_ctx_term(ctx);
    node_close(&cons);
}

/* Issue 16 #4: log 1..10 trimmed to 5, a fresh stream_follow consumer gets
 * JIJU_ERR_TRIMMED within one heartbeat instead of stalling. A heartbeat of
 * a second (a stall would last the 5 s timeout at least): on a machine
 * loaded by parallel builds, 200 ms was sometimes missed by scheduling alone. */
static void test_trimmed_log_consumer_error(void **state)
{
    node prod = {0}, cons = {0};
    stream_opts oc = {.self_id = "consumer-b", .heartbeat_ms = 1000, .timeout_ms = 5000};
    char ep[64];
    int64_t t0, waited = -1;

    (void)state;
    serve_records(&prod, 10, 4, ep, sizeof ep);
    node_open(&cons, NULL);
    cons.peer = stream_follow(cons.svc, cons.store, ep, "reports", &oc, apply_count, &cons);
    assert_non_null(cons.peer);
    t0 = clock_mono_ms();
    node_start(&cons);
    while (clock_mono_ms() - t0 < 8000) {
        if (stream_peer_status(cons.peer) == JIJU_ERR_TRIMMED) {
            waited = clock_mono_ms() - t0;
            break;
        }
        usleep(2000);
    }
    assert_true(waited >= 0 && waited <= oc.heartbeat_ms);
    assert_int_equal(stream_cursor(cons.store, "reports", "producer"), 0);
    assert_int_equal(applied_times(&cons, "producer", 5), 0);
    node_close(&cons);
    node_close(&prod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_survives_reopen),
        cmocka_unit_test(test_log_runs),
        cmocka_unit_test(test_follow_and_consumer_restart),
        cmocka_unit_test(test_duplicate_lost_ack_and_gap),
        cmocka_unit_test(test_credit_window_and_reconnect),
        cmocka_unit_test(test_trimmed_log_never_restarts),
        cmocka_unit_test(test_ack_resume_beyond_log_and_reread),
        cmocka_unit_test(test_ack_of_records_sent_before_restart),
        cmocka_unit_test(test_garbage_record_refused),
        cmocka_unit_test(test_incarnation_refused),
        cmocka_unit_test(test_trimmed_log_consumer_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
