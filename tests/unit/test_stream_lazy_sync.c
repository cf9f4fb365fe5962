/* test_stream_lazy_sync.c - a consumer with stream_opts.lazy_sync_ms
 * commits unsynced and tells the producer nothing (no ACK, no heartbeat
 * position) until its commit is durable: after another writer's synced
 * commit on the store, or its own WAL sync lazy_sync_ms later. A real
 * RocksDB store and a real consumer loop in its own thread; the test plays
 * the producer with a raw DEALER and reads every frame it gets. */
#include "test_stream_support.h"

#define LAZY_MS 2000 /* long, so that a release by another writer's sync is told apart */
#define STORE_C "33333333-3333-4333-8333-333333333333"

static int apply_put(void *arg, const char *producer, uint64_t seq, const uint8_t *data, size_t len,
                     store_txn_t *txn)
{
    node *c = arg;
    char key[64];
    size_t klen =
        (size_t)snprintf(key, sizeof key, "%s/%020llu", producer, (unsigned long long)seq);

    return store_txn_put(txn, store_cf(c->store, "applied"), key, klen, data, len);
}

/* A consumer node serving on a free port, its commits lazily synced. */
static void consumer_start(node *c, char *ep, size_t cap)
{
    stream_opts o = {
        .self_id = "consumer", .heartbeat_ms = 50, .timeout_ms = 20000, .lazy_sync_ms = LAZY_MS};

    node_open(c, NULL);
    c->peer = stream_serve(c->svc, c->store, ANY_PORT, &o, NULL, apply_put, c);
    assert_non_null(c->peer);
    snprintf(ep, cap, "%s", stream_peer_endpoint(c->peer));
    node_start(c);
}

static void send_records(void *sock, uint64_t from, uint64_t to)
{
    for (uint64_t seq = from; seq <= to; seq++)
        raw_record_data(sock, seq, "event");
}

static void wait_committed(node *c, uint64_t seq)
{
    int64_t deadline = clock_mono_ms() + 20000;

    while (stream_cursor(c->store, "reports", "producer") < seq && clock_mono_ms() < deadline)
        usleep(2000);
    assert_int_equal(stream_cursor(c->store, "reports", "producer"), seq);
}

/* store_written / store_synced / store_sync, on their own */
static void test_store_sync_marks(void **state)
{
    char dir[] = "/tmp/jiju-lazy-XXXXXX";
    store_t *s;
    store_txn_t *t;
    uint64_t w;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_non_null(s = store_open(dir, stream_test_cfs, 4, NULL, 0));
    assert_non_null(t = store_txn_new_unindexed(s));
    assert_int_equal(store_txn_put(t, store_cf(s, "applied"), "a", 1, "1", 1), JIJU_OK);
    assert_int_equal(store_txn_commit(t, false), JIJU_OK);
    w = store_written(s);
    assert_true(w > 0);
    assert_true(store_synced(s) < w);                     /* unsynced */
    assert_int_equal(store_txn_commit(t, true), JIJU_OK); /* empty: writes nothing */
    assert_int_equal(store_written(s), w);
    assert_true(store_synced(s) < w);
    assert_int_equal(store_sync(s), JIJU_OK);
    assert_true(store_synced(s) >= w);
    assert_int_equal(store_txn_put(t, store_cf(s, "applied"), "b", 1, "2", 1), JIJU_OK);
    assert_int_equal(store_txn_commit(t, false), JIJU_OK);
    assert_int_equal(store_txn_put(t, store_cf(s, "applied"), "c", 1, "3", 1), JIJU_OK);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK); /* syncs the one before it too */
    assert_int_equal(store_synced(s), store_written(s));
    assert_int_equal(store_written(s), w + 2);
    store_txn_destroy(&t);
    store_close(&s);
}

static void test_ack_waits_for_sync(void **state)
{
    node c = {0};
    void *ctx = zmq_ctx_new(), *sock;
    char ep[64];
    int resumed = 0;
    int64_t t0;
    uint64_t w;
    store_txn_t *other;

    (void)state;
    consumer_start(&c, ep, sizeof ep);
    sock = raw_dealer(ctx, ep);
    raw_hello_inc(sock, "producer", JIJU__V1__STREAM_ROLE__PRODUCER, STORE_C, 1, 1, 100);
    assert_int_equal(told_within(sock, 3000, 1, TOLD_ACK | TOLD_HEARTBEAT, &resumed), 0);
    assert_true(resumed);

    /* 1. applied and committed, not synced: nothing told for a while */
    t0 = clock_mono_ms();
    send_records(sock, 1, 5);
    wait_committed(&c, 5);
    w = store_written(c.store);
    assert_true(store_synced(c.store) < w);
    assert_int_equal(told_within(sock, LAZY_MS / 4, 5, TOLD_ACK | TOLD_HEARTBEAT, NULL), 0);
    /* then its own WAL sync, about LAZY_MS after the commit: ACK 5 */
    assert_int_equal(told_within(sock, LAZY_MS * 3, 5, TOLD_ACK | TOLD_HEARTBEAT, NULL), 5);
    assert_true(clock_mono_ms() - t0 >= LAZY_MS - 50);
    assert_true(store_synced(c.store) >= w);

    /* 2. another writer's synced commit makes ours durable: told at once */
    send_records(sock, 6, 10);
    wait_committed(&c, 10);
    assert_int_equal(told_within(sock, 100, 10, TOLD_ACK | TOLD_HEARTBEAT, NULL), 5);
    assert_non_null(other = store_txn_new_unindexed(c.store));
    assert_int_equal(store_txn_put(other, store_cf(c.store, "applied"), "x", 1, "y", 1), JIJU_OK);
    t0 = clock_mono_ms();
    assert_int_equal(store_txn_commit(other, true), JIJU_OK);
    store_txn_destroy(&other);
    assert_int_equal(told_within(sock, LAZY_MS - 200, 10, TOLD_ACK | TOLD_HEARTBEAT, NULL), 10);
    assert_true(clock_mono_ms() - t0 < LAZY_MS - 200);

    zmq_close(sock);
    zmq_ctx_term(ctx);
    node_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_sync_marks),
        cmocka_unit_test(test_ack_waits_for_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
