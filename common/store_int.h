/* store_int.h - what the store module's files share and nobody else sees:
 * the store, txn and iterator structures and the one translation of a
 * RocksDB read's result. The files: store.c (open, close, options, memory,
 * point reads), store_txn.c (batches, hooks, commit, the written/synced
 * marks), store_iter.c (iterators), store_space.c (the disk reserve),
 * store_key.c (key encodings). Every name here starts with store_ and is
 * hidden from anything linking libjiju_common dynamically. */
#ifndef JIJU_STORE_INT_H
#define JIJU_STORE_INT_H

#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_HIDDEN __attribute__((visibility("hidden")))

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

struct store_iter {
    rocksdb_iterator_t *it;
};

/* A RocksDB get's outcome as a jiju_err: JIJU_ERR_STORE on err (val and err
 * freed), JIJU_ERR_NOT_FOUND on no value, else val handed to the caller. */
STORE_HIDDEN int store_result(char *err, char *val, size_t len, void **out, size_t *outlen);

#endif
