/* store.c - RocksDB behind a small API. The only file that sees rocksdb_*
 * errors: each becomes JIJU_ERR_STORE here. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "metrics.h"

#define STORE_MAX_CFS 32
#define STORE_MAX_HOOKS 16

struct store {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_options_t *opts_unfiltered; /* families named to store_open_unfiltered */
    rocksdb_cache_t *cache;             /* the block cache both share (store_memory) */
    rocksdb_writeoptions_t *wsync;
    rocksdb_writeoptions_t *wnosync;
    rocksdb_readoptions_t *ropts;
    rocksdb_column_family_handle_t *cf[STORE_MAX_CFS];
    char *cf_name[STORE_MAX_CFS];
    int n_cf;
    char *dir;
    char *scratch;        /* a reader's secondary directory (its LOG), removed on close */
    uint64_t min_free;    /* bytes the file system must keep free for us to write */
    uint64_t space_free;  /* seen by the last store_writable() */
    char last_error[256]; /* RocksDB's words for the last failed write */
    _Atomic uint64_t written, synced; /* store_written, store_synced */
};

struct store_txn {
    store_t *s;
    rocksdb_writebatch_wi_t *wb; /* NULL in an unindexed txn, which has plain instead */
    rocksdb_writebatch_t *plain;
    size_t count;
    struct store_hook {
        void (*fn)(void *);
        void *arg;
    } * hooks; /* grows: one txn may append to many logs (notification's fan-out) */
    int n_hooks, cap_hooks;
    struct store_pre_hook {
        int (*fn)(void *, store_txn_t *);
        void *arg;
    } pre[STORE_MAX_HOOKS]; /* store_txn_before_commit: few (one per writer) */
    int n_pre;
    uint64_t gen; /* store_txn_gen: new at creation and after each commit */
};

static _Atomic uint64_t store_txn_gens; /* tests run stores in several threads */

struct store_iter {
    rocksdb_iterator_t *it;
};

static int store_has_name(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* RocksDB must be opened with every family that exists on disk, so the list
 * is the union of what is on disk and what the service asks for. */
static int store_collect_names(store_t *s, const char *dir, const char *const *cfs, size_t n_cfs)
{
    size_t n_disk = 0;
    char *err = NULL;
    char **disk = rocksdb_list_column_families(s->opts, dir, &n_disk, &err);

    free(err); /* absent DB: nothing on disk yet */
    s->cf_name[s->n_cf++] = strdup("default");
    for (size_t i = 0; disk && i < n_disk; i++)
        if (!store_has_name(s->cf_name, s->n_cf, disk[i]) && s->n_cf < STORE_MAX_CFS)
            s->cf_name[s->n_cf++] = strdup(disk[i]);
    if (disk)
        rocksdb_list_column_families_destroy(disk, n_disk);
    for (size_t i = 0; i < n_cfs; i++) {
        if (store_has_name(s->cf_name, s->n_cf, cfs[i]))
            continue;
        if (s->n_cf >= STORE_MAX_CFS)
            return -1;
        s->cf_name[s->n_cf++] = strdup(cfs[i]);
    }
    return 0;
}

/* What RocksDB may put on disk besides the data itself, bounded so that a
 * full disk, or a restart loop on one, cannot be made worse by RocksDB:
 *  - the info LOG: each open renames LOG to LOG.old.<time> and by default
 *    keeps 1000 of them; keep 3 of at most 1 MiB;
 *  - the WAL: a new WAL file is fallocate'd to 1.1 x write_buffer_size (64 MiB
 *    by default: 42 MB of a full disk was one such file); 4 MiB memtables
 *    make that 4.4 MiB, and 32 MiB across all families bounds the memory
 *    they hold (and the preallocation again: RocksDB takes the smaller). */
static void store_bound_files(rocksdb_options_t *o, const store_memory *m)
{
    rocksdb_options_set_keep_log_file_num(o, STORE_INFO_LOGS_KEPT);
    rocksdb_options_set_max_log_file_size(o, STORE_INFO_LOG_BYTES);
    rocksdb_options_set_write_buffer_size(o, m->memtable_bytes);
    rocksdb_options_set_db_write_buffer_size(o, m->memtables_bytes);
    rocksdb_options_set_max_open_files(o, m->max_open_files);
}

/* Point reads that find nothing are most of a service's reads (a new
 * report id, a period not seen yet): without filters each such miss walks
 * the memtable's skip list and every SST file's index. A whole-key Bloom
 * filter in the memtable (2% of its size) and in every SST file (10 bits
 * per key) answers most misses from a few bits. Every family's tables use
 * the store's one block cache (store_memory). */
static void store_table_options(rocksdb_options_t *o, int filtered, rocksdb_cache_t *cache,
                                const store_memory *m)
{
    rocksdb_block_based_table_options_t *t = rocksdb_block_based_options_create();

    rocksdb_block_based_options_set_block_cache(t, cache);
    if (m->index_in_cache) {
        rocksdb_block_based_options_set_cache_index_and_filter_blocks(t, 1);
        rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(t, 1);
        rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(t, 1);
    }
    if (filtered) {
        rocksdb_block_based_options_set_filter_policy(t,
                                                      rocksdb_filterpolicy_create_bloom_full(10));
        rocksdb_block_based_options_set_whole_key_filtering(t, 1);
        rocksdb_options_set_memtable_prefix_bloom_size_ratio(o, 0.02);
        rocksdb_options_set_memtable_whole_key_filtering(o, 1);
    }
    rocksdb_options_set_block_based_table_factory(o, t); /* copies t */
    rocksdb_block_based_options_destroy(t);
}

/* The options a writer opens families with, with or without read filters. */
static rocksdb_options_t *store_writer_options(int filtered, rocksdb_cache_t *cache,
                                               const store_memory *m)
{
    rocksdb_options_t *o = rocksdb_options_create();

    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_set_create_missing_column_families(o, 1);
    rocksdb_options_increase_parallelism(o, 2);
    store_bound_files(o, m);
    store_table_options(o, filtered, cache, m);
    return o;
}

store_t *store_open(const char *dir, const char *const *cfs, size_t n_cfs, char *errbuf,
                    size_t errcap)
{
    return store_open_unfiltered(dir, cfs, n_cfs, NULL, 0, errbuf, errcap);
}

store_t *store_open_unfiltered(const char *dir, const char *const *cfs, size_t n_cfs,
                               const char *const *unfiltered, size_t n_unfiltered, char *errbuf,
                               size_t errcap)
{
    return store_open_sized(dir, cfs, n_cfs, unfiltered, n_unfiltered, NULL, errbuf, errcap);
}

store_t *store_open_sized(const char *dir, const char *const *cfs, size_t n_cfs,
                          const char *const *unfiltered, size_t n_unfiltered,
                          const store_memory *mem, char *errbuf, size_t errcap)
{
    static const store_memory defaults = STORE_MEMORY_DEFAULT;
    const rocksdb_options_t *cf_opts[STORE_MAX_CFS];
    store_t *s = calloc(1, sizeof *s);
    char *err = NULL;

    if (!s)
        return NULL;
    if (!mem)
        mem = &defaults;
    s->dir = strdup(dir);
    s->cache = rocksdb_cache_create_lru(mem->block_cache_bytes);
    s->opts = store_writer_options(1, s->cache, mem);
    s->opts_unfiltered = store_writer_options(0, s->cache, mem);
    if (store_collect_names(s, dir, cfs, n_cfs) != 0) {
        if (errbuf)
            snprintf(errbuf, errcap, "too many column families");
        goto out_free;
    }
    for (int i = 0; i < s->n_cf; i++) {
        cf_opts[i] = s->opts;
        for (size_t j = 0; j < n_unfiltered; j++)
            if (strcmp(s->cf_name[i], unfiltered[j]) == 0)
                cf_opts[i] = s->opts_unfiltered;
    }
    s->db = rocksdb_open_column_families(s->opts, dir, s->n_cf, (const char *const *)s->cf_name,
                                         cf_opts, s->cf, &err);
    if (err) {
        if (errbuf)
            snprintf(errbuf, errcap, "%s", err);
        free(err);
        goto out_free;
    }
    s->wsync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(s->wsync, 1);
    s->wnosync = rocksdb_writeoptions_create();
    s->ropts = rocksdb_readoptions_create();
    return s;

out_free:
    store_close(&s);
    return NULL;
}

/* The families on disk at dir into s (all must be opened by a reader);
 * each of cfs must be among them. 0, or -1 with the reason in errbuf. */
static int store_reader_names(store_t *s, const char *dir, const char *const *cfs, size_t n_cfs,
                              char *errbuf, size_t errcap)
{
    size_t n_disk = 0;
    char *err = NULL;
    char **disk = rocksdb_list_column_families(s->opts, dir, &n_disk, &err);
    int rc = 0;

    if (!disk || err || n_disk == 0) {
        snprintf(errbuf, errcap, "no RocksDB store in %s (%s)", dir,
                 err ? err : "no column families");
        free(err);
        if (disk)
            rocksdb_list_column_families_destroy(disk, n_disk);
        return -1;
    }
    for (size_t i = 0; i < n_disk && s->n_cf < STORE_MAX_CFS; i++)
        s->cf_name[s->n_cf++] = strdup(disk[i]);
    rocksdb_list_column_families_destroy(disk, n_disk);
    for (size_t i = 0; i < n_cfs && rc == 0; i++)
        if (!store_has_name(s->cf_name, s->n_cf, cfs[i])) {
            snprintf(errbuf, errcap, "the store at %s has no column family %s", dir, cfs[i]);
            rc = -1;
        }
    return rc;
}

store_t *store_open_reader(const char *dir, const char *const *cfs, size_t n_cfs, char *errbuf,
                           size_t errcap)
{
    const rocksdb_options_t *cf_opts[STORE_MAX_CFS];
    char scratch[] = "/tmp/jiju-reader-XXXXXX", dummy[8];
    store_t *s = calloc(1, sizeof *s);
    char *err = NULL;

    if (!errbuf) {
        errbuf = dummy;
        errcap = sizeof dummy;
    }
    if (!s)
        return NULL;
    s->dir = strdup(dir);
    s->opts = rocksdb_options_create();
    rocksdb_options_set_max_open_files(s->opts, -1); /* a secondary requires it */
    if (store_reader_names(s, dir, cfs, n_cfs, errbuf, errcap) != 0)
        goto out_free;
    if (!mkdtemp(scratch)) {
        snprintf(errbuf, errcap, "cannot create a scratch directory under /tmp");
        goto out_free;
    }
    s->scratch = strdup(scratch);
    for (int i = 0; i < s->n_cf; i++)
        cf_opts[i] = s->opts;
    s->db = rocksdb_open_as_secondary_column_families(
        s->opts, dir, scratch, s->n_cf, (const char *const *)s->cf_name, cf_opts, s->cf, &err);
    if (err) {
        snprintf(errbuf, errcap, "%s", err);
        free(err);
        goto out_free;
    }
    s->wsync = rocksdb_writeoptions_create();
    s->wnosync = rocksdb_writeoptions_create();
    s->ropts = rocksdb_readoptions_create();
    return s;

out_free:
    store_close(&s);
    return NULL;
}

/* A reader's scratch directory holds only RocksDB's own files, no subdirectories. */
static void store_remove_scratch(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void store_close(store_t **sp)
{
    store_t *s = sp ? *sp : NULL;

    if (!s)
        return;
    for (int i = 0; i < s->n_cf; i++) {
        if (s->cf[i])
            rocksdb_column_family_handle_destroy(s->cf[i]);
        free(s->cf_name[i]);
    }
    if (s->db)
        rocksdb_close(s->db);
    if (s->wsync)
        rocksdb_writeoptions_destroy(s->wsync);
    if (s->wnosync)
        rocksdb_writeoptions_destroy(s->wnosync);
    if (s->ropts)
        rocksdb_readoptions_destroy(s->ropts);
    if (s->opts)
        rocksdb_options_destroy(s->opts);
    if (s->opts_unfiltered)
        rocksdb_options_destroy(s->opts_unfiltered);
    if (s->cache)
        rocksdb_cache_destroy(s->cache);
    if (s->scratch)
        store_remove_scratch(s->scratch);
    free(s->scratch);
    free(s->dir);
    free(s);
    *sp = NULL;
}

/* A RocksDB integer property summed over every family. */
static uint64_t store_property_sum(store_t *s, const char *name)
{
    uint64_t sum = 0;

    for (int i = 0; s->db && i < s->n_cf; i++) {
        uint64_t v = 0;

        if (rocksdb_property_int_cf(s->db, s->cf[i], name, &v) == 0)
            sum += v;
    }
    return sum;
}

void store_memory_usage(store_t *s, uint64_t *memtables, uint64_t *block_cache,
                        uint64_t *table_readers)
{
    *memtables = store_property_sum(s, "rocksdb.cur-size-all-mem-tables");
    *block_cache = s->cache ? (uint64_t)rocksdb_cache_get_usage(s->cache) : 0;
    *table_readers = store_property_sum(s, "rocksdb.estimate-table-readers-mem");
}

int store_cf(const store_t *s, const char *name)
{
    for (int i = 0; i < s->n_cf; i++)
        if (strcmp(s->cf_name[i], name) == 0)
            return i;
    return -1;
}

const char *store_dir(const store_t *s)
{
    return s->dir;
}

static int store_result(char *err, char *val, size_t len, void **out, size_t *outlen)
{
    if (err) {
        free(err);
        free(val);
        return JIJU_ERR_STORE;
    }
    if (!val)
        return JIJU_ERR_NOT_FOUND;
    /* RocksDB's C API hands back malloc'd memory: the caller frees it. */
    *out = val;
    *outlen = len;
    return JIJU_OK;
}

int store_get(store_t *s, int cf, const void *key, size_t klen, void **val, size_t *vlen)
{
    char *err = NULL;
    size_t len = 0;
    char *v;

    if (cf < 0 || cf >= s->n_cf)
        return JIJU_ERR_INVALID;
    v = rocksdb_get_cf(s->db, s->ropts, s->cf[cf], key, klen, &len, &err);
    return store_result(err, v, len, val, vlen);
}

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

uint64_t store_free_bytes(const char *dir)
{
    struct statvfs v;

    if (statvfs(dir, &v) != 0)
        return UINT64_MAX; /* cannot tell: let RocksDB try and say */
    return (uint64_t)v.f_bavail * v.f_frsize;
}

void store_set_min_free(store_t *s, uint64_t bytes)
{
    s->min_free = bytes;
}

/* One statvfs (about a microsecond) per call: callers ask once per batch. */
int store_writable(store_t *s)
{
    if (s->min_free == 0)
        return JIJU_OK;
    s->space_free = store_free_bytes(s->dir);
    return s->space_free >= s->min_free ? JIJU_OK : JIJU_ERR_UNAVAILABLE;
}

uint64_t store_space_free(const store_t *s)
{
    return s->space_free;
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

store_iter_t *store_iter_new(store_t *s, int cf)
{
    store_iter_t *it;

    if (cf < 0 || cf >= s->n_cf)
        return NULL;
    it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[cf]);
    return it;
}

store_iter_t *store_txn_iter_new(store_txn_t *t, int cf)
{
    store_iter_t *it;
    rocksdb_iterator_t *base;

    if (cf < 0 || cf >= t->s->n_cf)
        return NULL;
    if (!t->wb)
        return store_iter_new(t->s, cf);
    it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    base = rocksdb_create_iterator_cf(t->s->db, t->s->ropts, t->s->cf[cf]);
    /* takes ownership of base */
    it->it = rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wb, base, t->s->cf[cf]);
    return it;
}

void store_iter_destroy(store_iter_t **itp)
{
    if (!itp || !*itp)
        return;
    rocksdb_iter_destroy((*itp)->it);
    free(*itp);
    *itp = NULL;
}

void store_iter_seek(store_iter_t *it, const void *key, size_t klen)
{
    rocksdb_iter_seek(it->it, key, klen);
}

void store_iter_seek_prev(store_iter_t *it, const void *key, size_t klen)
{
    rocksdb_iter_seek_for_prev(it->it, key, klen);
}

void store_iter_seek_first(store_iter_t *it)
{
    rocksdb_iter_seek_to_first(it->it);
}

void store_iter_seek_last(store_iter_t *it)
{
    rocksdb_iter_seek_to_last(it->it);
}

bool store_iter_valid(const store_iter_t *it)
{
    return rocksdb_iter_valid(it->it) != 0;
}

void store_iter_next(store_iter_t *it)
{
    rocksdb_iter_next(it->it);
}

void store_iter_prev(store_iter_t *it)
{
    rocksdb_iter_prev(it->it);
}

const void *store_iter_key(const store_iter_t *it, size_t *klen)
{
    return rocksdb_iter_key(it->it, klen);
}

const void *store_iter_value(const store_iter_t *it, size_t *vlen)
{
    return rocksdb_iter_value(it->it, vlen);
}

void store_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t store_be64_get(const uint8_t in[8])
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

size_t store_key_pair(const char *a, const char *b, char *out, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + 1 + lb > cap)
        return 0;
    memcpy(out, a, la);
    out[la] = '\0';
    memcpy(out + la + 1, b, lb);
    return la + 1 + lb;
}
