/* store.h - a service's RocksDB state: column families, transactions that
 * read their own writes and commit as one atomic, synced WriteBatch, and
 * iterators. RocksDB's char **errptr becomes jiju_err here and nowhere else.
 *
 * Every service opens its store with its own column family names plus
 * STORE_STREAM_CFS (the stream module's log, cursors and acks). */
#ifndef JIJU_STORE_H
#define JIJU_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;
typedef struct store_txn store_txn_t;
typedef struct store_iter store_iter_t;

/* Column families the stream module needs in every store. */
#define STORE_CF_LOG "stream_log"       /* producer log: [prefix] be64 seq -> bytes */
#define STORE_CF_CURSOR "stream_cursor" /* consumer: producer id -> be64 last applied seq */
#define STORE_CF_ACKS "stream_acks"     /* producer: "stream\0consumer" -> be64 last acked seq */
#define STORE_STREAM_CFS STORE_CF_LOG, STORE_CF_CURSOR, STORE_CF_ACKS

/* Bounds on what RocksDB writes besides the data (store.c says why). */
#define STORE_INFO_LOGS_KEPT 3
#define STORE_INFO_LOG_BYTES (1024 * 1024)
#define STORE_MEMTABLE_BYTES (4 * 1024 * 1024)
#define STORE_MEMTABLES_BYTES (32 * 1024 * 1024)
#define STORE_BLOCK_CACHE_BYTES (16 * 1024 * 1024)
#define STORE_MAX_OPEN_FILES 256

/* The memory RocksDB may take for a store, each a stated bound (the
 * settings store.* of every service, docs/operations.md "Memory"):
 *  memtable_bytes    one family's write buffer (also bounds a new WAL
 *                    file's preallocation);
 *  memtables_bytes   all families' write buffers together: beyond it the
 *                    largest is flushed;
 *  block_cache_bytes one LRU cache of uncompressed blocks shared by every
 *                    family of the store (two implicit 8 MiB caches before);
 *  index_in_cache    1: the SST files' index and filter blocks are charged
 *                    to that cache (level 0's pinned, high priority) rather
 *                    than held by each open table beside it, which grows
 *                    with the data (about 1.25 bytes per key of filter and
 *                    one index entry per 4 KiB block); evicted ones are
 *                    read again;
 *  max_open_files    SST files kept open, each with its table reader. */
typedef struct store_memory {
    size_t memtable_bytes, memtables_bytes, block_cache_bytes;
    int index_in_cache, max_open_files;
} store_memory;

#define STORE_MEMORY_DEFAULT                                                                       \
    {                                                                                              \
        STORE_MEMTABLE_BYTES, STORE_MEMTABLES_BYTES, STORE_BLOCK_CACHE_BYTES, 0,                   \
            STORE_MAX_OPEN_FILES                                                                   \
    }

/* Open (creating if missing) the store at dir with the named column families
 * (besides "default"). Missing families are created. On failure returns NULL
 * and, if errbuf, writes RocksDB's reason. Caller owns the result. */
store_t *store_open(const char *dir, const char *const *cfs, size_t n_cfs, char *errbuf,
                    size_t errcap);
/* As store_open, but the families named in unfiltered get no Bloom filter:
 * families that are only scanned, or point-read on keys that exist (the
 * archive's records and indexes), where a filter is only written, at every
 * put and flush (about 1 µs of the archive's ~10 µs per record). */
store_t *store_open_unfiltered(const char *dir, const char *const *cfs, size_t n_cfs,
                               const char *const *unfiltered, size_t n_unfiltered, char *errbuf,
                               size_t errcap);
/* As store_open_unfiltered, within the memory bounds mem (NULL: the
 * defaults, STORE_MEMORY_DEFAULT). */
store_t *store_open_sized(const char *dir, const char *const *cfs, size_t n_cfs,
                          const char *const *unfiltered, size_t n_unfiltered,
                          const store_memory *mem, char *errbuf, size_t errcap);
/* RocksDB's estimate of the keys in family cf ("rocksdb.estimate-num-keys"),
 * 0 if it has none: for sizing what a caller keeps in memory, never exact. */
uint64_t store_cf_estimate_keys(store_t *s, int cf);
/* What RocksDB holds for the store now, in bytes: memtables (all families,
 * "rocksdb.cur-size-all-mem-tables"), the block cache's use, and the table
 * readers outside it ("rocksdb.estimate-table-readers-mem"). */
void store_memory_usage(store_t *s, uint64_t *memtables, uint64_t *block_cache,
                        uint64_t *table_readers);
void store_close(store_t **s);

/* Open the existing store at dir for reading only, as a RocksDB secondary
 * instance: it takes no lock, so it works while the owning process runs
 * (and on a stopped one), and it sees everything the owner committed up to
 * the open. Nothing is created: a missing directory, a directory that holds
 * no store, or a store without one of the named families is refused, with
 * the reason in errbuf. Writes through it fail. Caller owns the result
 * (store_close removes the secondary's scratch directory). */
store_t *store_open_reader(const char *dir, const char *const *cfs, size_t n_cfs, char *errbuf,
                           size_t errcap);
/* Full disk. A store keeps `bytes` free on its file system: while fewer are
 * free, store_writable() says JIJU_ERR_UNAVAILABLE. Services ask it before
 * taking work (a batch of requests, a stream record) and refuse the work
 * instead (E_UNAVAILABLE, nothing written); when space returns they go on by
 * themselves. The reserve covers what one batch, a memtable flush and a new
 * WAL file need, so RocksDB itself never meets ENOSPC. 0 (the default) never
 * refuses. Each call asks the file system (statvfs): call it once per
 * batch, not per item. */
void store_set_min_free(store_t *s, uint64_t bytes);
int store_writable(store_t *s);
/* Free bytes seen by the last store_writable() check. */
uint64_t store_space_free(const store_t *s);
/* Free bytes of the file system holding dir (UINT64_MAX if unknown). */
uint64_t store_free_bytes(const char *dir);
/* Why the last commit failed (RocksDB's text, or the reserve), "" if none. */
const char *store_last_error(const store_t *s);

/* Index of a column family by name, or -1. Index 0 is "default". */
int store_cf(const store_t *s, const char *name);
const char *store_dir(const store_t *s);

/* Point read outside any transaction. On success *val is malloc'd (caller
 * frees) and *vlen set. JIJU_ERR_NOT_FOUND if absent. */
int store_get(store_t *s, int cf, const void *key, size_t klen, void **val, size_t *vlen);

/* A transaction: a WriteBatchWithIndex; reads see its own writes. */
store_txn_t *store_txn_new(store_t *s);
/* A transaction for a writer that never reads its own writes: a plain
 * WriteBatch, without the index store_txn_new keeps of every write (in a
 * profile of the archive, whose appends read nothing back, that index was a
 * third of its CPU per record). Puts, deletes, hooks and commit as above;
 * store_txn_get and store_txn_iter_new on it read the store as committed,
 * without the txn's own writes. */
store_txn_t *store_txn_new_unindexed(store_t *s);
void store_txn_destroy(store_txn_t **txn);
int store_txn_put(store_txn_t *txn, int cf, const void *key, size_t klen, const void *val,
                  size_t vlen);
int store_txn_del(store_txn_t *txn, int cf, const void *key, size_t klen);
int store_txn_get(store_txn_t *txn, int cf, const void *key, size_t klen, void **val, size_t *vlen);
/* Number of puts and deletes so far. */
size_t store_txn_count(const store_txn_t *txn);
/* Run fn(arg) after a successful commit (e.g. make new log records visible).
 * Any number of hooks (one per (fn, arg)); hooks are dropped if the txn is destroyed uncommitted.
 */
int store_txn_on_commit(store_txn_t *txn, void (*fn)(void *arg), void *arg);
/* Run fn(arg, txn) inside store_txn_commit just before the batch is written,
 * so what it puts is part of the same atomic write: state that many appends
 * update but only the last value of which must be stored (the archive's chain
 * head) is written once per txn instead of once per append. One per
 * (fn, arg); kept until a commit succeeds; a failing fn fails the commit with
 * its code, the txn kept. */
int store_txn_before_commit(store_txn_t *txn, int (*fn)(void *arg, store_txn_t *txn), void *arg);
/* A number that identifies this txn's current content: unique among all
 * txns of the process, new after each commit. A cache of what a txn holds
 * (state kept in memory and put into the txn before its commit) is valid
 * while the number is unchanged; a txn destroyed and another allocated at
 * the same address never share one. */
uint64_t store_txn_gen(const store_txn_t *txn);
/* Write the batch atomically; sync=true fsyncs the WAL before returning.
 * The txn is empty afterwards and may be reused. JIJU_ERR_UNAVAILABLE: not
 * written, the disk is short of space (store_writable; the txn is kept).
 * Work must be refused before it is taken, so this is for callers that
 * checked store_writable() and lost a race: most end the process then, as
 * for a failed write, and start again when space is back. JIJU_ERR_STORE: RocksDB
 * failed the write (store_last_error says why), which is never retried: the
 * caller ends the process (a failed fsync may have lost pages, and RocksDB
 * asserts on a WAL writer that failed); the restart resumes from what is
 * durable. */
int store_txn_commit(store_txn_t *txn, bool sync);

/* Durability of unsynced commits. RocksDB writes its WAL in order, and a
 * synced write (or a WAL sync) makes every earlier write durable with it:
 * a writer that need not fsync each commit (a stream consumer whose ACK can
 * wait, stream_opts.lazy_sync_ms) commits unsynced, notes store_written(),
 * and knows its commit durable once store_synced() reaches that number,
 * after any writer's synced commit on the store or its own store_sync().
 *  store_written  the number of the last commit that wrote something (each
 *                 such commit gets the next one);
 *  store_synced   every commit up to this number is durable;
 *  store_sync     sync the WAL now (nothing to do if all is synced):
 *                 JIJU_OK, or JIJU_ERR_STORE (fatal, as a failed commit). */
uint64_t store_written(const store_t *s);
uint64_t store_synced(const store_t *s);
int store_sync(store_t *s);

/* Iterators over one column family (a consistent snapshot of the DB). */
store_iter_t *store_iter_new(store_t *s, int cf);
/* An iterator over the DB with txn's own writes laid over it (puts seen,
 * deletes hidden), for scans that must see earlier records of the same batch.
 * Writing to txn while it is open invalidates it: collect, then write. */
store_iter_t *store_txn_iter_new(store_txn_t *txn, int cf);
void store_iter_destroy(store_iter_t **it);
void store_iter_seek(store_iter_t *it, const void *key, size_t klen);      /* first >= key */
void store_iter_seek_prev(store_iter_t *it, const void *key, size_t klen); /* last <= key */
void store_iter_seek_first(store_iter_t *it);
void store_iter_seek_last(store_iter_t *it);
bool store_iter_valid(const store_iter_t *it);
void store_iter_next(store_iter_t *it);
void store_iter_prev(store_iter_t *it);
const void *store_iter_key(const store_iter_t *it, size_t *klen);
const void *store_iter_value(const store_iter_t *it, size_t *vlen);
/* Why an iterator stopped: JIJU_OK at the end of its keys, JIJU_ERR_STORE
 * if RocksDB failed (a scan that must see every key checks it). */
int store_iter_status(const store_iter_t *it);

/* Big-endian u64 helpers for keys that sort numerically. */
void store_be64_put(uint8_t out[8], uint64_t v);
uint64_t store_be64_get(const uint8_t in[8]);
/* The key of a pair of names, a '\0' b (a holds no NUL, so pairs sort by
 * a, then b): its length, or 0 when it does not fit in cap. */
size_t store_key_pair(const char *a, const char *b, char *out, size_t cap);

#endif
