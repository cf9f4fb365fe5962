/* test_stream_log.c - the producer log on a real RocksDB store: records
 * survive a reopen, runs (one key per txn) served beside records stored one
 * per key, trims that cut through a run, replacement through the iterator,
 * and a log trimmed empty that never restarts its sequence. */
#include "test_stream_support.h"

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
    assert_int_equal(test_log_keys(n.store, "sub/a"), 2);
    stream_log_set_runs(n.log, runs);
    append_records(&n, 10); /* 3..12: record-0..record-9 in runs of 4, 4, 2 */
    assert_int_equal(test_log_keys(n.store, "sub/a"), 5);
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
    assert_int_equal(test_log_keys(n.store, "sub/a"), 5);
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
    assert_int_equal(test_log_keys(n.store, "sub/a"), 6);
    assert_record(n.log, 13, "x");

    trim_log(&n, 8); /* 1, 2, 3..6 go; 7..10 stays whole, 7 and 8 unserved */
    assert_int_equal(test_log_keys(n.store, "sub/a"), 3);
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
    assert_int_equal(test_log_keys(n.store, "sub/a"), 0);
    node_close(&n);
    node_open(&n, dir);
    n.log = stream_log_open(n.store, "sub/a");
    assert_int_equal(stream_log_first(n.log), 14);
    assert_int_equal(stream_log_last(n.log), 13);
    node_close(&n);
    stream_log_runs_destroy(&runs);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_survives_reopen),
        cmocka_unit_test(test_log_runs),
        cmocka_unit_test(test_trimmed_log_never_restarts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
