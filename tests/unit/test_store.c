/* test_store.c - the RocksDB store: column families, transactions that read
 * their own writes, atomic commit, commit hooks (after and before the write), iteration, reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"

static const char *const cfs[] = {"a", "b"};

static store_t *open_tmp(char *dir)
{
    strcpy(dir, "/tmp/jiju-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return store_open(dir, cfs, 2, NULL, 0);
}

static void test_families_are_separate(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new(s);
    void *v = NULL;
    size_t len;

    (void)state;
    assert_int_equal(store_cf(s, "default"), 0);
    assert_true(store_cf(s, "a") > 0);
    assert_int_equal(store_cf(s, "missing"), -1);
    store_txn_put(t, store_cf(s, "a"), "k", 1, "va", 2);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(store_get(s, store_cf(s, "b"), "k", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    assert_int_equal(store_get(s, store_cf(s, "a"), "k", 1, &v, &len), JIJU_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(v, "va", 2);
    free(v);
    store_txn_destroy(&t);
    assert_null(t);
    store_close(&s);
    assert_null(s);
}

/* The reserve: with more asked free than the file system has, nothing is
 * written (UNAVAILABLE, the txn kept, the reason said); with it back, the
 * same txn commits. */
static void test_reserve_refuses_before_writing(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new(s);
    uint64_t free_now = store_free_bytes(dir);
    void *v = NULL;
    size_t len;

    (void)state;
    assert_true(free_now > 0 && free_now < UINT64_MAX);
    assert_int_equal(store_writable(s), JIJU_OK); /* 0: never refuses */
    store_set_min_free(s, free_now + (1ull << 40));
    assert_int_equal(store_writable(s), JIJU_ERR_UNAVAILABLE);
    assert_true(store_space_free(s) > 0);
    store_txn_put(t, store_cf(s, "a"), "k", 1, "v", 1);
    assert_int_equal(store_txn_commit(t, true), JIJU_ERR_UNAVAILABLE);
    assert_non_null(strstr(store_last_error(s), "kept in reserve"));
    assert_int_equal(store_txn_count(t), 1);
    assert_int_equal(store_get(s, store_cf(s, "a"), "k", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    store_set_min_free(s, 1);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(store_get(s, store_cf(s, "a"), "k", 1, &v, &len), JIJU_OK);
    free(v);
    store_txn_destroy(&t);
    store_close(&s);
}

static int hook_calls;
static void hook(void *arg)
{
    (void)arg;
    hook_calls++;
}

static void test_txn_reads_own_writes_and_is_atomic(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new(s);
    int a = store_cf(s, "a");
    void *v = NULL;
    size_t len;

    (void)state;
    store_txn_put(t, a, "x", 1, "1", 1);
    assert_int_equal(store_txn_get(t, a, "x", 1, &v, &len), JIJU_OK);
    free(v);
    /* not visible outside the txn before commit */
    assert_int_equal(store_get(s, a, "x", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    store_txn_put(t, a, "x", 1, "2", 1);
    store_txn_del(t, a, "gone", 4);
    assert_int_equal(store_txn_count(t), 3);
    store_txn_on_commit(t, hook, NULL);
    store_txn_on_commit(t, hook, NULL); /* same hook once */
    assert_int_equal(hook_calls, 0);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(store_txn_count(t), 0);
    assert_int_equal(store_get(s, a, "x", 1, &v, &len), JIJU_OK);
    assert_memory_equal(v, "2", 1);
    free(v);
    /* a txn dropped without commit leaves nothing */
    store_txn_put(t, a, "y", 1, "1", 1);
    store_txn_destroy(&t);
    assert_int_equal(store_get(s, a, "y", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    store_close(&s);
}

/* A before-commit hook puts the last value of something many writes moved. */
static int pre_calls, pre_fail;
static int pre_hook(void *arg, store_txn_t *t)
{
    char v = (char)('0' + *(int *)arg);

    pre_calls++;
    if (pre_fail)
        return JIJU_ERR_INVALID;
    return store_txn_put(t, 1, "head", 4, &v, 1);
}

static void test_txn_before_commit_puts_in_the_same_write(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new(s);
    int a = store_cf(s, "a"), last = 0;
    void *v = NULL;
    size_t len;

    (void)state;
    assert_int_equal(a, 1);
    for (last = 1; last <= 3; last++) {
        store_txn_put(t, a, "k", 1, "v", 1);
        assert_int_equal(store_txn_before_commit(t, pre_hook, &last), JIJU_OK); /* once */
    }
    last = 7;
    /* a failing hook fails the commit and writes nothing; the txn is kept */
    pre_fail = 1;
    assert_int_equal(store_txn_commit(t, true), JIJU_ERR_INVALID);
    assert_int_equal(store_get(s, a, "k", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    pre_fail = 0;
    pre_calls = 0;
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(pre_calls, 1);
    assert_int_equal(store_get(s, a, "head", 4, &v, &len), JIJU_OK);
    assert_memory_equal(v, "7", 1); /* the value at commit time */
    free(v);
    /* dropped after a successful commit */
    store_txn_put(t, a, "k2", 2, "v", 1);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(pre_calls, 1);
    store_txn_destroy(&t);
    store_close(&s);
}

/* An unindexed txn: the same atomic write, its reads see only the store. */
static void test_unindexed_txn_writes_atomically_reads_committed(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new_unindexed(s);
    int a = store_cf(s, "a"), b = store_cf(s, "b");
    store_iter_t *it;
    void *v = NULL;
    size_t len;

    (void)state;
    store_txn_put(t, a, "x", 1, "1", 1);
    store_txn_put(t, b, "y", 1, "2", 1);
    assert_int_equal(store_txn_count(t), 2);
    /* its own writes are not read back, and not visible before commit */
    assert_int_equal(store_txn_get(t, a, "x", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    assert_int_equal(store_get(s, b, "y", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    store_txn_on_commit(t, hook, NULL);
    hook_calls = 0;
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(store_txn_count(t), 0);
    assert_int_equal(store_txn_get(t, a, "x", 1, &v, &len), JIJU_OK);
    assert_memory_equal(v, "1", 1);
    free(v);
    it = store_txn_iter_new(t, b);
    store_iter_seek_first(it);
    assert_true(store_iter_valid(it));
    store_iter_destroy(&it);
    /* reused: a delete and a put, one write; dropped uncommitted, nothing */
    store_txn_del(t, a, "x", 1);
    store_txn_put(t, a, "z", 1, "3", 1);
    assert_int_equal(store_txn_commit(t, false), JIJU_OK);
    assert_int_equal(store_get(s, a, "x", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    assert_int_equal(store_get(s, a, "z", 1, &v, &len), JIJU_OK);
    free(v);
    store_txn_put(t, a, "w", 1, "4", 1);
    store_txn_destroy(&t);
    assert_int_equal(store_get(s, a, "w", 1, &v, &len), JIJU_ERR_NOT_FOUND);
    store_close(&s);
}

static void test_iteration_and_reopen(void **state)
{
    char dir[64];
    store_t *s = open_tmp(dir);
    store_txn_t *t = store_txn_new(s);
    int b = store_cf(s, "b");
    uint8_t key[8];
    store_iter_t *it;
    size_t klen;
    int n = 0;

    (void)state;
    for (uint64_t i = 1; i <= 100; i++) {
        store_be64_put(key, i * 10);
        store_txn_put(t, b, key, 8, "v", 1);
    }
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
    store_close(&s);

    /* reopen asking for fewer families: the ones on disk still open */
    const char *only_a[] = {"a"};
    s = store_open(dir, only_a, 1, NULL, 0);
    assert_non_null(s);
    b = store_cf(s, "b");
    assert_true(b > 0);
    it = store_iter_new(s, b);
    store_be64_put(key, 55);
    store_iter_seek(it, key, 8);
    assert_true(store_iter_valid(it));
    assert_int_equal(store_be64_get(store_iter_key(it, &klen)), 60);
    store_iter_seek_prev(it, key, 8);
    assert_int_equal(store_be64_get(store_iter_key(it, &klen)), 50);
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it))
        n++;
    assert_int_equal(n, 100);
    store_iter_seek_last(it);
    assert_int_equal(store_be64_get(store_iter_key(it, &klen)), 1000);
    store_iter_destroy(&it);
    store_close(&s);
}

static void test_be64_sorts_numerically(void **state)
{
    uint8_t a[8], b[8];

    (void)state;
    store_be64_put(a, 255);
    store_be64_put(b, 256);
    assert_true(memcmp(a, b, 8) < 0);
    assert_int_equal(store_be64_get(b), 256);
    store_be64_put(a, UINT64_MAX);
    assert_true(store_be64_get(a) == UINT64_MAX);
}

/* The memory budgets given at open are RocksDB's (store_memory): after
 * 8 MB written and read back, the block cache holds at most its 256 KiB
 * (the implicit cache was 8 MiB), memtables are within what the write
 * buffers allow, and with index and filter blocks in the cache the table
 * readers hold next to nothing beside it. */
static void test_memory_budget(void **state)
{
    const char *one[] = {"a"};
    const store_memory mem = {.memtable_bytes = 1 << 20,
                              .memtables_bytes = 2 << 20,
                              .block_cache_bytes = 256 << 10,
                              .index_in_cache = 1,
                              .max_open_files = 64};
    char dir[64] = "/tmp/jiju-store-XXXXXX";
    static uint8_t val[400];
    uint64_t mt, cache, readers;
    store_t *s;
    int a;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_non_null(s = store_open_sized(dir, one, 1, NULL, 0, &mem, NULL, 0));
    a = store_cf(s, "a");
    for (uint64_t i = 0; i < 20000; i += 1000) {
        store_txn_t *t = store_txn_new_unindexed(s);

        for (uint64_t k = i; k < i + 1000; k++) {
            uint8_t key[8];

            store_be64_put(key, k);
            memset(val, (int)(k % 251), sizeof val);
            assert_int_equal(store_txn_put(t, a, key, 8, val, sizeof val), JIJU_OK);
        }
        assert_int_equal(store_txn_commit(t, false), JIJU_OK);
        store_txn_destroy(&t);
    }
    for (uint64_t k = 0; k < 20000; k += 3) {
        uint8_t key[8];
        void *v = NULL;
        size_t vlen = 0;

        store_be64_put(key, k);
        assert_int_equal(store_get(s, a, key, 8, &v, &vlen), JIJU_OK);
        assert_int_equal(vlen, sizeof val);
        assert_int_equal(((uint8_t *)v)[0], k % 251);
        free(v);
    }
    store_memory_usage(s, &mt, &cache, &readers);
    assert_true(cache > 0 && cache <= mem.block_cache_bytes);
    assert_true(mt > 0 && mt <= 3 * mem.memtable_bytes); /* the active one and two being flushed */
    assert_true(readers < 64 * 1024);
    store_close(&s);
    {
        char cmd[96];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families_are_separate),
        cmocka_unit_test(test_txn_reads_own_writes_and_is_atomic),
        cmocka_unit_test(test_txn_before_commit_puts_in_the_same_write),
        cmocka_unit_test(test_unindexed_txn_writes_atomically_reads_committed),
        cmocka_unit_test(test_iteration_and_reopen),
        cmocka_unit_test(test_be64_sorts_numerically),
        cmocka_unit_test(test_reserve_refuses_before_writing),
        cmocka_unit_test(test_memory_budget),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
