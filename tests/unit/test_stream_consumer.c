/* test_stream_consumer.c - the consumer half: exactly-once application
 * across a duplicated RECORD, a lost ACK, a gap and a consumer restart; a
 * garbage RECORD refused; producer incarnations checked (another store, an
 * older epoch, a log gone backwards); a trimmed log reported at once. Real
 * producers where the test plays fair, a raw DEALER where it does not. */
#include "test_stream_support.h"

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

/* A producer reconnects while the consumer is stalled (its timeout, with
 * its window of records sent and unacked), and the consumer reads records
 * of the old session and the new HELLO in one batch. The new session must
 * start from the cursor those records moved (uncommitted yet), not from the
 * stored one: else it asks for them again, takes them as duplicates and
 * acks the stored cursor forever, and a producer whose window they filled
 * never sends another (integration_test_ingest_scale under ASan: assessment
 * asked an ingest replica for record 458 every 300 ms for 5 minutes). */
static void test_reconnect_within_a_batch(void **state)
{
    node cons = {0};
    void *ctx = zmq_ctx_new();
    char ep[64];
    void *a, *b;
    uint64_t acked = 0, next;

    (void)state;
    node_open(&cons, NULL);
    serve_consumer(&cons, ep, sizeof ep);
    a = raw_dealer(ctx, ep);
    raw_hello(a, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    assert_int_equal(expect_resume(a), 1);
    for (uint64_t i = 1; i <= 3; i++)
        raw_record(a, i);
    while (acked < 3)
        acked = expect_ack(a);

    node_pause(&cons); /* stalled: the old session's window, then the new HELLO, queue up */
    for (uint64_t i = 4; i <= 13; i++)
        raw_record(a, i);
    usleep(100 * 1000);
    b = raw_dealer(ctx, ep);
    raw_hello(b, "raw-producer", JIJU__V1__STREAM_ROLE__PRODUCER);
    usleep(200 * 1000);
    node_start(&cons);

    next = expect_resume(b);
    for (uint64_t i = next; i <= 4; i++) /* the window a real producer has left: no new record */
        raw_record(b, i);
    assert_true(told_within(b, 1000, UINT64_MAX, TOLD_ACK | TOLD_HEARTBEAT, NULL) >= 4);
    for (uint64_t i = 1; i <= 4; i++)
        assert_int_equal(applied_times(&cons, "raw-producer", i), 1);
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
    node_close(&cons);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follow_and_consumer_restart),
        cmocka_unit_test(test_duplicate_lost_ack_and_gap),
        cmocka_unit_test(test_garbage_record_refused),
        cmocka_unit_test(test_incarnation_refused),
        cmocka_unit_test(test_trimmed_log_consumer_error),
        cmocka_unit_test(test_reconnect_within_a_batch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
