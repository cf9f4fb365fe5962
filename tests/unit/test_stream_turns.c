/* test_stream_turns.c - what a consumer does within one turn of its loop,
 * where another handler shares the loop (ingest: its submits and its
 * registry follow of assessment's events):
 *  - stream_opts.turn_budget_us: a wake-up stops reading records once it
 *    has spent its budget, so the loop serves its other sockets before the
 *    rest of a long catch-up;
 *  - lazy_sync_ms: a commit that another writer's synced commit made
 *    durable is told at our next commit, and the WAL sync our newer commit
 *    may need is timed from that commit, so two busy writers in one turn
 *    never wait for a forced WAL sync.
 * A real store and loop in a thread; the test plays the producer with a raw
 * DEALER (test_stream_support.h). */
#include "test_stream_support.h"

#define STORE_C "44444444-4444-4444-8444-444444444444"
#define N_REC 6

static int turns;                  /* loop turns so far (an after-turn hook) */
static int turn_of[N_REC * 8 + 1]; /* the turn in which each seq was applied */

static void count_turn(svc_t *svc, void *arg)
{
    (void)svc;
    (void)arg;
    turns++;
}

/* Each record costs 3 ms of the loop, three times the budget below. */
static int apply_slow(void *arg, const char *producer, uint64_t seq, const uint8_t *data,
                      size_t len, store_txn_t *txn)
{
    int64_t until = clock_mono_us() + 3000;

    while (clock_mono_us() < until)
        ;
    if (seq < sizeof turn_of / sizeof turn_of[0])
        turn_of[seq] = turns;
    return apply_count(arg, producer, seq, data, len, txn);
}

static void *open_session(void *ctx, const char *ep)
{
    void *sock = raw_dealer(ctx, ep);

    raw_hello_inc(sock, "producer", JIJU__V1__STREAM_ROLE__PRODUCER, STORE_C, 1, 1, 100);
    assert_int_equal(expect_resume(sock), 1);
    return sock;
}

/* Records queued before the loop looks: without a budget one wake-up reads
 * all six; with 1 ms each 3 ms record ends its turn. */
static void test_turn_budget_slices_a_catch_up(void **state)
{
    stream_opts o = {
        .self_id = "consumer", .heartbeat_ms = 50, .timeout_ms = 20000, .turn_budget_us = 1000};
    node c = {0};
    void *ctx = zmq_ctx_new(), *sock;

    (void)state;
    node_open(&c, NULL);
    assert_int_equal(svc_after_turn(c.svc, count_turn, NULL), JIJU_OK);
    assert_non_null(c.peer = stream_serve(c.svc, c.store, ANY_PORT, &o, NULL, apply_slow, &c));
    node_start(&c);
    sock = open_session(ctx, stream_peer_endpoint(c.peer));

    node_pause(&c);
    for (uint64_t seq = 1; seq <= N_REC; seq++)
        raw_record(sock, seq);
    usleep(200000); /* all of them in the consumer's queue */
    node_start(&c);
    assert_true(wait_cursor(&c, "reports", "producer", N_REC));
    for (uint64_t seq = 2; seq <= N_REC; seq++)
        assert_true(turn_of[seq] > turn_of[seq - 1]);
    for (uint64_t seq = 1; seq <= N_REC; seq++)
        assert_int_equal(applied_times(&c, "producer", seq), 1);

    zmq_close(sock);
    zmq_ctx_term(ctx);
    node_close(&c);
}

/* Another writer on the same loop, registered first: a synced commit each
 * time it is poked (what ingest's submit batch is to its registry). */
typedef struct writer {
    node *n;
    void *pair;
} writer;

static void on_poke(svc_t *svc, void *arg)
{
    writer *w = arg;
    store_txn_t *t;
    char buf[8];

    (void)svc;
    while (zmq_recv(w->pair, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        assert_non_null(t = store_txn_new_unindexed(w->n->store));
        assert_int_equal(store_txn_put(t, store_cf(w->n->store, "applied"), "w", 1, "1", 1),
                         JIJU_OK);
        assert_int_equal(store_txn_commit(t, true), JIJU_OK);
        store_txn_destroy(&t);
    }
}

/* Each round, in one turn: the writer's synced commit (covering our last
 * commit), then our records, committed unsynced. Before the fix nothing was
 * told until a WAL sync forced lazy_sync_ms (10 s) after the first commit;
 * now each round tells the round before it. */
static void test_lazy_commit_told_after_another_sync(void **state)
{
    stream_opts o = {
        .self_id = "consumer", .heartbeat_ms = 50, .timeout_ms = 60000, .lazy_sync_ms = 10000};
    node c = {0};
    writer w = {.n = &c};
    void *ctx = zmq_ctx_new(), *sock, *poke;
    uint64_t seq = 0;
    int64_t t0;

    (void)state;
    node_open(&c, NULL);
    assert_non_null(w.pair = zmq_socket(svc_zmq(c.svc), ZMQ_PAIR));
    assert_int_equal(zmq_bind(w.pair, "inproc://test-writer"), 0);
    assert_non_null(poke = zmq_socket(svc_zmq(c.svc), ZMQ_PAIR));
    assert_int_equal(zmq_connect(poke, "inproc://test-writer"), 0);
    assert_int_equal(svc_on_readable(c.svc, w.pair, on_poke, &w), JIJU_OK);
    assert_non_null(c.peer = stream_serve(c.svc, c.store, ANY_PORT, &o, NULL, apply_count, &c));
    node_start(&c);
    sock = open_session(ctx, stream_peer_endpoint(c.peer));

    t0 = clock_mono_ms();
    for (int round = 0; round < 4; round++) {
        node_pause(&c);
        assert_int_equal(zmq_send(poke, "p", 1, 0), 1);
        for (int i = 0; i < 5; i++)
            raw_record(sock, ++seq);
        usleep(50000);
        node_start(&c);
        assert_true(wait_cursor(&c, "reports", "producer", seq));
    }
    /* the last round's writer covered round 3 (seq 15): told by round 4 */
    assert_true(told_within(sock, 2000, seq - 5, TOLD_ACK, NULL) >= seq - 5);
    assert_true(clock_mono_ms() - t0 < o.lazy_sync_ms); /* not by a forced sync */

    zmq_close(sock);
    zmq_ctx_term(ctx);
    node_pause(&c);
    svc_forget(c.svc, w.pair);
    zmq_close(w.pair);
    zmq_close(poke);
    node_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn_budget_slices_a_catch_up),
        cmocka_unit_test(test_lazy_commit_told_after_another_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
