/* stream_log_int.h - what the producer log's files share and nobody else
 * sees: the log's structure and the stored layout every file of it reads.
 *
 *   stream_log.c         the log: open, append, read, trim, resolve
 *   stream_log_layout.c  its stored form: keys (one record, a run, the
 *                        meta) and a run's value, encoded and decoded
 *   stream_log_run.c     gathering the records one txn appends into a run
 *   stream_log_iter.c    the iterator over both layouts, with replacement
 *   stream_log_meta.c    what a log keeps across restarts: recovery at
 *                        open, the trim mark, the epoch, the store's id
 *
 * Keys in STORE_CF_LOG are name '\0' be64(seq), so one column family holds
 * every log of a service and a log is a prefix range.
 *
 * Seq 0 is never a record: its key holds the log's meta, be64(highest seq
 * ever trimmed) be64(epoch), so a log trimmed empty still knows where it
 * stands after a restart (sequence numbers never restart: a consumer would
 * take reused ones for duplicates), and each open is a new epoch of the
 * log's incarnation. The store's id (a random UUID, made once) sits under
 * the key "\0store_id", which no log prefix (a non-empty name) can match.
 *
 * Runs (stream_log_set_runs): a log that gets many small records per txn
 * (notification's references, one per subscriber and event) keeps the
 * records one txn appends under one key, name '\0' be64(first) be64(last),
 * the value a varint length and the bytes of each record in turn: one
 * memtable insert, WAL entry and compaction entry per run instead of per
 * record. Keys still sort by first seq (a run's key after the single key of
 * its first seq, before that of the next), so a log holds both kinds: the
 * records stored one per key before (or alone in their txn) and runs. A
 * trim keeps a run it cuts through; its records below first are never
 * served and go with the run. */
#ifndef JIJU_STREAM_LOG_INT_H
#define JIJU_STREAM_LOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"
#include "stream_int.h"

#define STREAM_LOG_KEY_MAX 256

/* The run a log is gathering in an open txn (stream_log_set_runs). */
typedef struct stream_log_run {
    store_txn_t *txn;
    uint64_t gen;   /* store_txn_gen(txn) at its first record */
    uint64_t first; /* seq of its first record */
    uint32_t n;
    uint8_t *buf; /* varint length, bytes; per record */
    size_t len, cap;
} stream_log_run;

/* The logs sharing one before-commit hook per txn (a txn takes few hooks,
 * and notification's apply txn appends to every subscriber's log). */
struct stream_log_runs {
    uint32_t max_run;
    stream_log_t **pending; /* logs with a run in some txn */
    size_t n, cap;
};

struct stream_log {
    store_t *store;
    int cf;
    char *name;
    uint8_t prefix[STREAM_LOG_KEY_MAX];
    size_t plen;
    uint64_t first;   /* lowest retained */
    uint64_t last;    /* highest committed */
    uint64_t next;    /* next to assign (counts uncommitted appends) */
    uint64_t trimmed; /* highest seq ever trimmed (persisted at seq 0) */
    uint64_t epoch;   /* opens of this log, this one included */
    char store_id[STREAM_STORE_ID_LEN + 1];
    stream_resolve_fn resolve; /* stored bytes -> served bytes; NULL: the same */
    void *resolve_arg;
    stream_log_runs_t *runs; /* NULL: one key per record */
    stream_log_run run;
    struct {             /* the stored key read last (stream_log_read walks */
        uint64_t kfirst; /* a run record by record: the webhook worker) */
        uint64_t klast;  /* 0: none */
        uint8_t *val;
        size_t vlen, cap;
    } rcache;
};

/* stream_log_layout.c: the stored form. Keys are written into out, which
 * holds STREAM_LOG_KEY_MAX bytes; the length is returned. */
STREAM_HIDDEN size_t stream_log_key(const stream_log_t *log, uint64_t seq, uint8_t *out);
STREAM_HIDDEN size_t stream_log_run_key(const stream_log_t *log, uint64_t first, uint64_t last,
                                        uint8_t *out);
/* The seqs a stored key of this log holds: one record (first == last, 0
 * for the meta) or a run. -1 for a key of another log. */
STREAM_HIDDEN int stream_log_key_span(const stream_log_t *log, const uint8_t *key, size_t klen,
                                      uint64_t *first, uint64_t *last);
/* The entry at *off of a run's value: its record, *off moved past it; -1
 * if the value ends or is malformed there. */
STREAM_HIDDEN int stream_log_run_entry(const uint8_t *v, size_t vlen, size_t *off,
                                       const uint8_t **rec, size_t *rlen);
/* Record seq in the value of a stored key holding kfirst..klast. */
STREAM_HIDDEN int stream_log_key_record(const uint8_t *val, size_t vlen, uint64_t kfirst,
                                        uint64_t klast, uint64_t seq, const uint8_t **rec,
                                        size_t *len);
/* The meta's value: be64(trimmed) be64(epoch). */
STREAM_HIDDEN void stream_log_meta_put(uint8_t out[16], uint64_t trimmed, uint64_t epoch);

/* stream_log_meta.c: at open, first, last, next and the trim mark from the
 * store; then a new epoch, durable (synced) before any consumer hears of
 * it, with the store's id made in the same txn if it had none. */
STREAM_HIDDEN void stream_log_recover(stream_log_t *log);
STREAM_HIDDEN int stream_log_new_epoch(stream_log_t *log);

/* stream_log_run.c: record seq into the run the log gathers in txn (the
 * run goes into txn before it commits). */
STREAM_HIDDEN int stream_log_run_add(stream_log_t *log, store_txn_t *txn, uint64_t seq,
                                     const void *data, size_t len);
/* log leaves the runs' pending list (it is destroyed, or changes runs). */
STREAM_HIDDEN void stream_log_runs_forget(stream_log_runs_t *runs, const stream_log_t *log);

/* stream_log_iter.c: the stored key at the iterator, its span and value
 * (valid until it moves); -1 past the log's end. */
STREAM_HIDDEN int stream_log_iter_key(const stream_log_iter_t *it, uint64_t *kfirst,
                                      uint64_t *klast, const uint8_t **val, size_t *vlen);

#endif
