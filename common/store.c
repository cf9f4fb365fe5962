/* store.c - RocksDB behind a small API: opening (writer or secondary
 * reader), the options and memory bounds, closing, point reads. The store's
 * files (store_int.h) are the only ones that see rocksdb_* errors: each
 * becomes JIJU_ERR_STORE there. */
#include <dirent.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store_int.h"

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

uint64_t store_cf_estimate_keys(store_t *s, int cf)
{
    uint64_t v = 0;

    if (!s->db || cf < 0 || cf >= s->n_cf ||
        rocksdb_property_int_cf(s->db, s->cf[cf], "rocksdb.estimate-num-keys", &v) != 0)
        return 0;
    return v;
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

int store_result(char *err, char *val, size_t len, void **out, size_t *outlen)
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
