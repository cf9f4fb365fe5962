/* test_stream_producer.c - the producer half of a session against a raw
 * consumer: the credit window and a reconnect in the middle of it, ACKs and
 * RESUMEs beyond the log refused and never stored, a re-read that does not
 * rewind the stored ack, the ACK of records sent before a restart, and
 * RECORD frames byte for byte as protobuf-c packs them. */
#include "test_stream_support.h"

static void test_credit_window_and_reconnect(void **state)
{
    node prod = {0};
    void *ctx = zmq_ctx_new();
    uint64_t first = 0, last = 0;
    char ep[64];
    Jiju__V1__StreamFrame *hello;
    void *s;

    (void)state;
    serve_records(&prod, 100, 0, ep, sizeof ep);
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

/* A RESUME says where to send from, not what is durable (an ACK does): a
 * consumer asks again past records it applied into its open txn (a gap, or
 * the heartbeat repair) before it commits them. Taken as an ack, the
 * producer stored it and ingest trimmed its log up to it; a consumer killed
 * before its commit then restarted below the producer's first seq and was
 * refused with E_STREAM_TRIMMED: the records were lost to it. */
static void test_resume_is_not_an_ack(void **state)
{
    node prod = {0};
    void *ctx = zmq_ctx_new();
    uint64_t first = 0, last = 0;
    char ep[64];
    void *s;

    (void)state;
    serve_records(&prod, 20, 0, ep, sizeof ep);
    s = consumer_session(ctx, ep, 1, 100);
    assert_int_equal(count_records(s, 300, &first, &last), 20);
    raw_resume(s, 11, 100); /* 1..10 applied, not yet committed: 11.. again */
    assert_int_equal(count_records(s, 300, &first, &last), 10);
    assert_int_equal(first, 11);
    usleep(300000);
    assert_int_equal(stream_acked(prod.store, "reports", "raw-consumer"), 0);
    raw_ack(s, 10); /* committed: now it is durable */
    assert_true(wait_acked(&prod, 10));
    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&prod);
}

/* RECORD frames are written by hand (stream_frame_send_record): each must
 * be the bytes protobuf-c packs for the same frame, for seqs and record
 * lengths on both sides of every varint width they reach (1..3 bytes of
 * seq, 1..3 of length), and an empty record. */
static size_t record_len_at(uint64_t seq)
{
    switch (seq) {
    case 1:
        return 0;
    case 2:
        return 127;
    case 127:
        return 128;
    case 128:
        return 16383;
    case 129:
        return 16384;
    case 16383:
        return 70000;
    case 16384:
        return 1;
    default:
        return seq % 7 + 1;
    }
}

static void append_sized(node *n, uint64_t count)
{
    store_txn_t *txn = store_txn_new(n->store);
    uint8_t *body = malloc(70000);

    assert_non_null(body);
    for (uint64_t seq = 1; seq <= count; seq++) {
        size_t len = record_len_at(seq);
        for (size_t i = 0; i < len; i++)
            body[i] = (uint8_t)(seq + i);
        assert_int_equal(stream_log_append(n->log, txn, body, len, NULL), JIJU_OK);
    }
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    free(body);
}

/* The next RECORD's raw bytes checked against protobuf-c's pack of what
 * they decode to and against the record appended at that seq; its seq. */
static uint64_t expect_exact_record(void *s)
{
    int64_t deadline = clock_mono_ms() + 5000;

    while (clock_mono_ms() < deadline) {
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        zmq_msg_t m;
        Jiju__V1__StreamFrame *f;
        uint8_t *again;
        size_t n;
        uint64_t seq;

        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, s, 0) >= 0);
        n = zmq_msg_size(&m);
        f = jiju__v1__stream_frame__unpack(NULL, n, zmq_msg_data(&m));
        assert_non_null(f);
        if (f->kind_case != JIJU__V1__STREAM_FRAME__KIND_RECORD) {
            jiju__v1__stream_frame__free_unpacked(f, NULL);
            zmq_msg_close(&m);
            continue;
        }
        seq = f->record->seq;
        assert_int_equal(f->record->envelope.len, record_len_at(seq));
        for (size_t i = 0; i < f->record->envelope.len; i++)
            assert_int_equal(f->record->envelope.data[i], (uint8_t)(seq + i));
        assert_int_equal(jiju__v1__stream_frame__get_packed_size(f), n);
        again = malloc(n);
        assert_non_null(again);
        jiju__v1__stream_frame__pack(f, again);
        assert_memory_equal(again, zmq_msg_data(&m), n);
        free(again);
        jiju__v1__stream_frame__free_unpacked(f, NULL);
        zmq_msg_close(&m);
        return seq;
    }
    fail_msg("no RECORD within 5 s");
    return 0;
}

static void test_record_frames_as_protobuf_packs_them(void **state)
{
    node prod = {0};
    stream_opts o = {.self_id = "producer", .heartbeat_ms = 100, .timeout_ms = 3000};
    void *ctx = zmq_ctx_new(), *s;
    const uint64_t from[] = {1, 16380};
    const uint32_t credit[] = {140, 8};

    (void)state;
    node_open(&prod, NULL);
    prod.log = stream_log_open(prod.store, "reports");
    append_sized(&prod, 16400);
    prod.peer = stream_serve(prod.svc, prod.store, ANY_PORT, &o, serve_log, NULL, &prod);
    assert_non_null(prod.peer);
    node_start(&prod);
    s = raw_dealer(ctx, stream_peer_endpoint(prod.peer));
    raw_hello(s, "raw-consumer", JIJU__V1__STREAM_ROLE__CONSUMER);
    for (size_t k = 0; k < 2; k++) {
        raw_resume(s, from[k], credit[k]);
        for (uint64_t seq = from[k]; seq < from[k] + credit[k]; seq++)
            assert_int_equal(expect_exact_record(s), seq);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    node_close(&prod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_window_and_reconnect),
        cmocka_unit_test(test_ack_resume_beyond_log_and_reread),
        cmocka_unit_test(test_ack_of_records_sent_before_restart),
        cmocka_unit_test(test_resume_is_not_an_ack),
        cmocka_unit_test(test_record_frames_as_protobuf_packs_them),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
