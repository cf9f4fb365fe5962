/* store_txn.c - a store transaction: the batch (indexed, so reads see
 * their own writes, or plain), the hooks run before and after a commit,
 * the commit itself, and the written/synced marks with store_sync. */
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "metrics.h"
#include "store_int.h"

static _Atomic uint64_t store_txn_gens; /* tests run stores in several threads */

store_txn_t *store_txn_new(store_t *s)
{
    store_txn_t *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->s = s;
    /* overwrite_keys=1: the index keeps the latest write per key, which is
     * what reading our own writes needs. */
    t->wb = rocksdb_writebatch_wi_create(0, 1);
    t->gen = atomic_fetch_add(&store_txn_gens, 1) + 1;
    return t;
}

uint64_t store_txn_gen(const store_txn_t *t)
{
    return t->gen;
}

store_txn_t *store_txn_new_unindexed(store_t *s)
{
    store_txn_t *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->s = s;
    t->plain = rocksdb_writebatch_create();
    t->gen = atomic_fetch_add(&store_txn_gens, 1) + 1;
    return t;
}

void store_txn_destroy(store_txn_t **tp)
{
    if (!tp || !*tp)
        return;
    if ((*tp)->wb)
        rocksdb_writebatch_wi_destroy((*tp)->wb);
    else
        rocksdb_writebatch_destroy((*tp)->plain);
    free((*tp)->hooks);
    free(*tp);
    *tp = NULL;
}

int store_txn_put(store_txn_t *t, int cf, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
    if (cf < 0 || cf >= t->s->n_cf)
        return JIJU_ERR_INVALID;
    if (t->wb)
        rocksdb_writebatch_wi_put_cf(t->wb, t->s->cf[cf], key, klen, val, vlen);
    else
        rocksdb_writebatch_put_cf(t->plain, t->s->cf[cf], key, klen, val, vlen);
    t->count++;
    return JIJU_OK;
}

int store_txn_del(store_txn_t *t, int cf, const void *key, size_t klen)
{
    if (cf < 0 || cf >= t->s->n_cf)
        return JIJU_ERR_INVALID;
    if (t->wb)
        rocksdb_writebatch_wi_delete_cf(t->wb, t->s->cf[cf], key, klen);
    else
        rocksdb_writebatch_delete_cf(t->plain, t->s->cf[cf], key, klen);
    t->count++;
    return JIJU_OK;
}

int store_txn_get(store_txn_t *t, int cf, const void *key, size_t klen, void **val, size_t *vlen)
{
    char *err = NULL;
    size_t len = 0;
    char *v;

    if (cf < 0 || cf >= t->s->n_cf)
        return JIJU_ERR_INVALID;
    if (!t->wb)
        return store_get(t->s, cf, key, klen, val, vlen);
    v = rocksdb_writebatch_wi_get_from_batch_and_db_cf(t->wb, t->s->db, t->s->ropts, t->s->cf[cf],
                                                       key, klen, &len, &err);
    return store_result(err, v, len, val, vlen);
}

size_t store_txn_count(const store_txn_t *t)
{
    return t->count;
}

int store_txn_on_commit(store_txn_t *t, void (*fn)(void *), void *arg)
{
    for (int i = 0; i < t->n_hooks; i++)
        if (t->hooks[i].fn == fn && t->hooks[i].arg == arg)
            return JIJU_OK;
    if (t->n_hooks == t->cap_hooks) {
        int cap = t->cap_hooks ? t->cap_hooks * 2 : STORE_MAX_HOOKS;
        struct store_hook *h = realloc(t->hooks, (size_t)cap * sizeof *h);
        if (!h)
            return JIJU_ERR_NOMEM;
        t->hooks = h;
        t->cap_hooks = cap;
    }
    t->hooks[t->n_hooks].fn = fn;
    t->hooks[t->n_hooks].arg = arg;
    t->n_hooks++;
    return JIJU_OK;
}

int store_txn_before_commit(store_txn_t *t, int (*fn)(void *, store_txn_t *), void *arg)
{
    for (int i = 0; i < t->n_pre; i++)
        if (t->pre[i].fn == fn && t->pre[i].arg == arg)
            return JIJU_OK;
    if (t->n_pre == STORE_MAX_HOOKS)
        return JIJU_ERR_NOMEM;
    t->pre[t->n_pre].fn = fn;
    t->pre[t->n_pre].arg = arg;
    t->n_pre++;
    return JIJU_OK;
}

const char *store_last_error(const store_t *s)
{
    return s->last_error;
}

/* Synced commits: how long the WAL fsync takes and how many writes share it
 * (group commit), the figures that say whether the disk keeps up. */
static void store_commit_metrics(const struct timespec *t0, size_t writes)
{
    static metrics_family *lat, *size;
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!lat) {
        lat = metrics_histogram("jiju_store_fsync_seconds",
                                "time of one synced (fsync'ed) store commit",
                                metrics_latency_buckets, metrics_n_latency_buckets);
        size = metrics_histogram("jiju_store_commit_writes", "writes per synced store commit",
                                 metrics_size_buckets, metrics_n_size_buckets);
    }
    metrics_observe(lat, "",
                    (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
    metrics_observe(size, "", (double)writes);
}

/* Commits up to n are durable (never lowered: syncs of several threads
 * may finish out of order). */
static void store_synced_to(store_t *s, uint64_t n)
{
    uint64_t cur = atomic_load(&s->synced);

    while (cur < n && !atomic_compare_exchange_weak(&s->synced, &cur, n))
        ;
}

uint64_t store_written(const store_t *s)
{
    return atomic_load(&s->written);
}

uint64_t store_synced(const store_t *s)
{
    return atomic_load(&s->synced);
}

int store_sync(store_t *s)
{
    uint64_t upto = atomic_load(&s->written);
    char *err = NULL;

    if (atomic_load(&s->synced) >= upto)
        return JIJU_OK;
    rocksdb_flush_wal(s->db, 1, &err); /* FlushWAL(sync): SyncWAL, every live WAL file */
    if (err) {
        snprintf(s->last_error, sizeof s->last_error, "%s", err);
        free(err);
        return JIJU_ERR_STORE;
    }
    store_synced_to(s, upto);
    return JIJU_OK;
}

int store_txn_commit(store_txn_t *t, bool sync)
{
    char *err = NULL;
    int n_hooks = t->n_hooks, rc;
    uint64_t before, mine;
    struct timespec t0;

    for (int i = 0; i < t->n_pre; i++)
        if ((rc = t->pre[i].fn(t->pre[i].arg, t)) != JIJU_OK)
            return rc;
    if (t->count > 0) {
        /* Refused before the write, the txn intact: on a disk that is full
         * RocksDB's failed WAL write would be fatal (it asserts). */
        if (store_writable(t->s) != JIJU_OK) {
            snprintf(t->s->last_error, sizeof t->s->last_error,
                     "%llu bytes free, fewer than the %llu bytes kept in reserve",
                     (unsigned long long)t->s->space_free, (unsigned long long)t->s->min_free);
            return JIJU_ERR_UNAVAILABLE;
        }
        /* what a synced write makes durable: every write finished before it */
        before = atomic_load(&t->s->written);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (t->wb)
            rocksdb_write_writebatch_wi(t->s->db, sync ? t->s->wsync : t->s->wnosync, t->wb, &err);
        else
            rocksdb_write(t->s->db, sync ? t->s->wsync : t->s->wnosync, t->plain, &err);
        if (err) {
            snprintf(t->s->last_error, sizeof t->s->last_error, "%s", err);
            free(err);
            return JIJU_ERR_STORE;
        }
        mine = atomic_fetch_add(&t->s->written, 1) + 1;
        if (sync) { /* and itself, unless another thread's write took a number between */
            store_synced_to(t->s, mine == before + 1 ? mine : before);
            store_commit_metrics(&t0, t->count);
        }
    }
    if (t->wb)
        rocksdb_writebatch_wi_clear(t->wb);
    else
        rocksdb_writebatch_clear(t->plain);
    t->count = 0;
    t->n_hooks = 0;
    t->n_pre = 0;
    t->gen = atomic_fetch_add(&store_txn_gens, 1) + 1;
    for (int i = 0; i < n_hooks; i++)
        t->hooks[i].fn(t->hooks[i].arg);
    return JIJU_OK;
}
