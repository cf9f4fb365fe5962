/* test_stream_support.h - what the stream's tests share: a node (a real
 * RocksDB store in a mkdtemp directory and a service loop in its own
 * thread, with a log and a peer), a consumer effect that counts how often
 * each record was applied, and a raw DEALER that plays the other side of a
 * session frame by frame where a test misbehaves on purpose. Included by
 * test_stream_log.c, test_stream_producer.c, test_stream_consumer.c,
 * test_stream_lazy_sync.c, and for test_log_keys by test_notify_shared.c. */
#ifndef JIJU_TEST_STREAM_SUPPORT_H
#define JIJU_TEST_STREAM_SUPPORT_H

#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdint.h>
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

/* Not every test file uses every helper. */
#define TS static __attribute__((unused))

static const char *const stream_test_cfs[] __attribute__((unused)) = {STORE_STREAM_CFS, "applied"};

typedef struct node {
    char dir[64];
    store_t *store;
    svc_t *svc;
    pthread_t thread;
    int running;
    stream_log_t *log;
    stream_peer_t *peer;
} node;

TS void *loop_main(void *arg)
{
    svc_run(((node *)arg)->svc);
    return NULL;
}

TS void node_open(node *n, const char *dir)
{
    if (dir)
        snprintf(n->dir, sizeof n->dir, "%s", dir);
    else {
        snprintf(n->dir, sizeof n->dir, "/tmp/jiju-stream-XXXXXX");
        assert_non_null(mkdtemp(n->dir));
    }
    n->store = store_open(n->dir, stream_test_cfs, 4, NULL, 0);
    assert_non_null(n->store);
    n->svc = svc_new("test");
    assert_non_null(n->svc);
}

TS void node_start(node *n)
{
    assert_int_equal(pthread_create(&n->thread, NULL, loop_main, n), 0);
    n->running = 1;
}

TS void node_pause(node *n)
{
    if (!n->running)
        return;
    svc_stop(n->svc);
    pthread_join(n->thread, NULL);
    n->running = 0;
}

TS void node_close(node *n)
{
    node_pause(n);
    stream_peer_destroy(&n->peer);
    stream_log_destroy(&n->log);
    svc_destroy(&n->svc);
    store_close(&n->store);
}

/* The consumer's effect: count how many times each (producer, seq) was
 * applied. Exactly-once means every count is 1. */
TS int apply_count(void *arg, const char *producer, uint64_t seq, const uint8_t *data, size_t len,
                   store_txn_t *txn)
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

TS uint64_t applied_times(node *n, const char *producer, uint64_t seq)
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

TS void append_records(node *n, uint64_t count)
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

TS int wait_cursor(node *n, const char *stream, const char *producer, uint64_t want)
{
    int64_t deadline = clock_mono_ms() + 20000;

    while (clock_mono_ms() < deadline) {
        if (stream_cursor(n->store, stream, producer) >= want)
            return 1;
        usleep(5000);
    }
    return 0;
}

TS stream_log_t *serve_log(void *arg, const char *stream, const char *consumer, stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    (void)consumer;
    return strcmp(stream, "reports") == 0 ? ((node *)arg)->log : NULL;
}

/* Bind a free port; the test connects to what stream_serve actually bound. */
#define ANY_PORT "tcp://127.0.0.1:*"

TS void trim_log(node *n, uint64_t upto)
{
    store_txn_t *txn = store_txn_new(n->store);

    assert_int_equal(stream_log_trim(n->log, txn, upto), JIJU_OK);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
}

/* A producer serving records 1..count of log "reports", of which 1..trim
 * are trimmed. */
TS node *serve_records(node *prod, uint64_t count, uint64_t trim, char *ep, size_t cap)
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

/* Keys of log `name` in store, its meta (seq 0) not counted: what shows
 * whether records are stored one per key or as runs. */
TS int test_log_keys(store_t *store, const char *name)
{
    store_iter_t *it = store_iter_new(store, store_cf(store, STORE_CF_LOG));
    size_t plen = strlen(name) + 1, klen;
    uint8_t meta[80] = {0};
    int keys = 0;

    assert_true(plen + 8 <= sizeof meta);
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

/* ---- raw frames: the test misbehaves on purpose ---- */

TS void raw_send(void *sock, const Jiju__V1__StreamFrame *f)
{
    uint8_t buf[1024];
    size_t len = jiju__v1__stream_frame__pack(f, buf);

    assert_true(zmq_send(sock, buf, len, 0) >= 0);
}

#define RAW_STORE_A "11111111-1111-4111-8111-111111111111"

#define RAW_STORE_B "22222222-2222-4222-8222-222222222222"

/* A producer's HELLO carries its incarnation (store_id, epoch, log range). */
TS void raw_hello_inc(void *sock, const char *id, Jiju__V1__StreamRole role, const char *store_id,
                      uint64_t epoch, uint64_t first, uint64_t last)
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

TS void raw_hello(void *sock, const char *id, Jiju__V1__StreamRole role)
{
    raw_hello_inc(sock, id, role, RAW_STORE_A, 1, 1, 1000);
}

TS void raw_record_data(void *sock, uint64_t seq, const char *data)
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

TS void raw_record(void *sock, uint64_t seq)
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

TS void raw_resume(void *sock, uint64_t next, uint32_t credit)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Resume r = JIJU__V1__RESUME__INIT;

    r.next_seq = next;
    r.credit = credit;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RESUME;
    f.resume = &r;
    raw_send(sock, &f);
}

TS void raw_ack(void *sock, uint64_t seq)
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
TS Jiju__V1__StreamFrame *raw_expect(void *sock, int kind, int timeout_ms)
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

TS void *raw_dealer(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

TS uint64_t expect_ack(void *sock)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_ACK, 5000);
    uint64_t seq;

    assert_non_null(f);
    seq = f->ack->seq;
    jiju__v1__stream_frame__free_unpacked(f, NULL);
    return seq;
}

TS uint64_t expect_resume(void *sock)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_RESUME, 5000);
    uint64_t next;

    assert_non_null(f);
    next = f->resume->next_seq;
    jiju__v1__stream_frame__free_unpacked(f, NULL);
    return next;
}

/* ERROR frame expected: its code must be `code`. */
TS void expect_error(void *sock, const char *code)
{
    Jiju__V1__StreamFrame *f = raw_expect(sock, JIJU__V1__STREAM_FRAME__KIND_ERROR, 5000);

    assert_non_null(f);
    assert_string_equal(f->error->code, code);
    jiju__v1__stream_frame__free_unpacked(f, NULL);
}

TS int count_records(void *sock, int timeout_ms, uint64_t *first, uint64_t *last)
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

/* What a consumer told on session sock within ms: the highest ACK seq
 * (TOLD_ACK) and/or heartbeat position (TOLD_HEARTBEAT), 0 if none,
 * returning once it reaches want (UINT64_MAX: read for the whole ms);
 * *saw_resume, if given, is set when a RESUME came. */
enum { TOLD_ACK = 1, TOLD_HEARTBEAT = 2 };
TS uint64_t told_within(void *sock, int ms, uint64_t want, int kinds, int *saw_resume)
{
    int64_t deadline = clock_mono_ms() + ms;
    uint64_t told = 0;
    uint8_t buf[4096];

    while (clock_mono_ms() < deadline && told < want) {
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        Jiju__V1__StreamFrame *f;
        int n;

        if (zmq_poll(&it, 1, (long)(deadline - clock_mono_ms())) <= 0 ||
            (n = zmq_recv(sock, buf, sizeof buf, 0)) < 0 ||
            !(f = jiju__v1__stream_frame__unpack(NULL, (size_t)n, buf)))
            continue;
        if ((kinds & TOLD_ACK) && f->kind_case == JIJU__V1__STREAM_FRAME__KIND_ACK &&
            f->ack->seq > told)
            told = f->ack->seq;
        if ((kinds & TOLD_HEARTBEAT) && f->kind_case == JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT &&
            f->heartbeat->position > told)
            told = f->heartbeat->position;
        if (f->kind_case == JIJU__V1__STREAM_FRAME__KIND_RESUME && saw_resume)
            *saw_resume = 1;
        jiju__v1__stream_frame__free_unpacked(f, NULL);
    }
    return told;
}

#endif
