/* test_stream_sub.c - the store-less consumer against the real producer side
 * (stream_serve over a stream_log in a RocksDB store, run in a thread). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "store.h"
#include "stream.h"
#include "stream_sub.h"
#include "svc.h"

#define WAIT_MS 10000 /* generous bound for anything that should happen */

typedef struct producer {
    char dir[64];
    char endpoint[128];
    store_t *store;
    stream_log_t *log;
    svc_t *svc;
    stream_peer_t *peer;
    pthread_t thread;
    int running;
} producer;

static stream_log_t *log_for(void *arg, const char *stream, const char *consumer,
                             stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    producer *p = arg;

    (void)consumer;
    return strcmp(stream, "events") == 0 ? p->log : NULL;
}

static void append_n(producer *p, int n)
{
    store_txn_t *t = store_txn_new(p->store);

    assert_non_null(t);
    for (int i = 0; i < n; i++) {
        char rec[32];
        int len =
            snprintf(rec, sizeof rec, "rec-%llu", (unsigned long long)stream_log_next(p->log));
        assert_int_equal(stream_log_append(p->log, t, rec, (size_t)len, NULL), JIJU_OK);
    }
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
}

static void *run_svc(void *arg)
{
    svc_run(arg);
    return NULL;
}

/* Start serving (the log must be filled before: the svc thread owns it). */
static void producer_start(producer *p)
{
    stream_opts o = {.self_id = "prod-1", .heartbeat_ms = 50, .timeout_ms = 2000};

    p->svc = svc_new("test-producer");
    assert_non_null(p->svc);
    p->peer = stream_serve(p->svc, p->store, p->endpoint, &o, log_for, NULL, p);
    assert_non_null(p->peer);
    assert_int_equal(pthread_create(&p->thread, NULL, run_svc, p->svc), 0);
    p->running = 1;
}

static void producer_stop(producer *p)
{
    if (!p->running)
        return;
    svc_stop(p->svc);
    pthread_join(p->thread, NULL);
    stream_peer_destroy(&p->peer);
    svc_destroy(&p->svc);
    p->running = 0;
}

static int setup(void **state)
{
    static const char *cfs[] = {STORE_STREAM_CFS};
    producer *p = calloc(1, sizeof *p);

    snprintf(p->dir, sizeof p->dir, "/tmp/jiju_sub_XXXXXX");
    if (!mkdtemp(p->dir))
        return -1;
    snprintf(p->endpoint, sizeof p->endpoint, "ipc://%s/sock", p->dir);
    p->store = store_open(p->dir, cfs, 3, NULL, 0);
    p->log = p->store ? stream_log_open(p->store, "events") : NULL;
    if (!p->log)
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    producer *p = *state;
    char cmd[128];

    producer_stop(p);
    stream_log_destroy(&p->log);
    store_close(&p->store);
    snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
    if (system(cmd) != 0)
        return -1;
    free(p);
    return 0;
}

/* Receive the next record and check it is rec-<want>. */
static void expect_rec(stream_sub_t *s, uint64_t want)
{
    uint64_t seq = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    char text[32];

    assert_int_equal(stream_sub_next(s, WAIT_MS, &seq, &data, &len), JIJU_OK);
    assert_int_equal(seq, want);
    snprintf(text, sizeof text, "rec-%llu", (unsigned long long)want);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(data, text, len);
    free(data);
}

static void wait_acked(producer *p, const char *consumer, uint64_t want)
{
    int64_t until = clock_mono_ms() + WAIT_MS;

    while (stream_acked(p->store, "events", consumer) != want && clock_mono_ms() < until)
        usleep(10000);
    assert_int_equal(stream_acked(p->store, "events", consumer), want);
}

static void test_in_order_and_resume_after_ack(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    stream_sub_t *s;
    uint64_t seq;
    uint8_t *data = NULL;
    size_t len;

    append_n(p, 10);
    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "events", "c1", 0, 10, 50, 2000);
    assert_non_null(s);
    for (uint64_t i = 1; i <= 6; i++)
        expect_rec(s, i);
    assert_string_equal(stream_sub_producer(s), "prod-1");
    assert_int_equal(stream_sub_ack(s, 7), JIJU_ERR_INVALID); /* not delivered yet */
    assert_int_equal(stream_sub_ack(s, 5), JIJU_OK);
    wait_acked(p, "c1", 5);
    stream_sub_destroy(&s);
    assert_null(s);

    /* from 0 = after the stored ack: 6 again, then on */
    s = stream_sub_open(z, p->endpoint, "events", "c1", 0, 4, 50, 2000);
    for (uint64_t i = 6; i <= 10; i++) {
        expect_rec(s, i);
        assert_int_equal(stream_sub_ack(s, i), JIJU_OK);
    }
    assert_int_equal(stream_sub_next(s, 200, &seq, &data, &len), JIJU_ERR_TIMEOUT);
    assert_null(data);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_credit_window_holds_unacked(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    stream_sub_t *s;
    uint64_t seq;
    uint8_t *data = NULL;
    size_t len;

    append_n(p, 10);
    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "events", "c2", 1, 3, 50, 2000);
    for (uint64_t i = 1; i <= 3; i++)
        expect_rec(s, i);
    /* window of 3, nothing acked: the producer must stop */
    assert_int_equal(stream_sub_next(s, 300, &seq, &data, &len), JIJU_ERR_TIMEOUT);
    assert_int_equal(stream_sub_ack(s, 3), JIJU_OK);
    expect_rec(s, 4);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_explicit_from(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    stream_sub_t *s;

    append_n(p, 5);
    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "events", "c3", 4, 10, 50, 2000);
    expect_rec(s, 4);
    expect_rec(s, 5);
    assert_int_equal(stream_sub_delivered(s), 5);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_trimmed_log_gap_is_accepted(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    store_txn_t *t;
    stream_sub_t *s;

    append_n(p, 10);
    t = store_txn_new(p->store);
    assert_int_equal(stream_log_trim(p->log, t, 4), JIJU_OK);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "events", "c4", 2, 100, 50, 2000);
    for (uint64_t i = 5; i <= 10; i++)
        expect_rec(s, i);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_producer_restart_reconnects(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    stream_sub_t *s;

    append_n(p, 3);
    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "events", "c5", 0, 100, 50, 400);
    for (uint64_t i = 1; i <= 3; i++) {
        expect_rec(s, i);
        assert_int_equal(stream_sub_ack(s, i), JIJU_OK);
    }
    wait_acked(p, "c5", 3);
    producer_stop(p);
    append_n(p, 3); /* while the producer is down */
    producer_start(p);
    for (uint64_t i = 4; i <= 6; i++)
        expect_rec(s, i);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_unknown_stream_is_refused(void **state)
{
    producer *p = *state;
    void *z = zmq_ctx_new();
    stream_sub_t *s;
    uint64_t seq;
    uint8_t *data = NULL;
    size_t len;

    producer_start(p);
    s = stream_sub_open(z, p->endpoint, "nope", "c6", 0, 10, 50, 2000);
    assert_non_null(s);
    assert_int_equal(stream_sub_next(s, WAIT_MS, &seq, &data, &len), JIJU_ERR_PROTOCOL);
    assert_non_null(strstr(stream_sub_last_error(s), "E_STREAM_UNKNOWN_STREAM"));
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
}

static void test_open_refuses_bad_arguments(void **state)
{
    void *z = zmq_ctx_new();

    (void)state;
    assert_null(stream_sub_open(z, "nonsense://x", "events", "c", 0, 0, 0, 0));
    assert_null(stream_sub_open(z, "tcp://127.0.0.1:1", "", "c", 0, 0, 0, 0));
    assert_null(stream_sub_open(z, "tcp://127.0.0.1:1", "events", "", 0, 0, 0, 0));
    assert_null(stream_sub_open(NULL, "tcp://127.0.0.1:1", "events", "c", 0, 0, 0, 0));
    stream_sub_destroy(NULL);
    zmq_ctx_term(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_and_resume_after_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credit_window_holds_unacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explicit_from, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trimmed_log_gap_is_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_restart_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_stream_is_refused, setup, teardown),
        cmocka_unit_test(test_open_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
