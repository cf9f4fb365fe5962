/* stream.h - the durable sequenced stream (DESIGN.md "the one mechanism").
 *
 * Producer side: a stream_log is an append-only log of byte records in the
 * store's STORE_CF_LOG, under a name ("events", "reports", "sub/fgw"), keyed
 * by big-endian u64 sequence starting at 1. Appends go into the caller's
 * store_txn with the state change that caused them (transactional outbox)
 * and become visible to consumers when that txn commits.
 *
 * Consumer side: records are applied by a callback inside a store_txn; the
 * stream module saves "last applied seq" for that producer in the same txn
 * (STORE_CF_CURSOR), commits it synced (one commit per loop turn for all
 * records received: group commit), and only then ACKs. A record is applied
 * only if its seq is cursor+1, so nothing is applied twice, whatever is
 * replayed.
 *
 * Wire: see proto/jiju/v1/stream.proto (HELLO, RESUME, RECORD, ACK,
 * HEARTBEAT, ERROR). Either end may be producer or consumer; the stable side
 * binds (stream_serve) and the transient side connects (stream_push,
 * stream_follow). A connector that hears nothing for timeout_ms, or gets an
 * ERROR, reconnects with a fresh socket and starts again with HELLO. */
#ifndef JIJU_STREAM_H
#define JIJU_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "svc.h"

/* ---- the producer's log ---- */

typedef struct stream_log stream_log_t;

#define STREAM_STORE_ID_LEN 36 /* a UUID's text */

/* Open the log `name` in store (recovers its last seq, also after it was
 * trimmed empty: sequence numbers never restart) and start a new epoch of
 * its incarnation, synced. NULL on failure. Caller owns it. */
stream_log_t *stream_log_open(store_t *store, const char *name);
void stream_log_destroy(stream_log_t **log);

const char *stream_log_name(const stream_log_t *log);
/* Highest committed sequence (0 if empty). */
uint64_t stream_log_last(const stream_log_t *log);
/* Lowest retained sequence (1 unless trimmed; last+1 if empty). */
uint64_t stream_log_first(const stream_log_t *log);
/* The sequence the next append will take (counts appends not yet committed),
 * so a caller can write it into the record (Envelope.seq) before appending. */
uint64_t stream_log_next(const stream_log_t *log);
/* The log's incarnation, sent in HELLO: the id of its store (made once,
 * with the store's first log) and the epoch (opens of this log so far). */
const char *stream_log_store_id(const stream_log_t *log);
uint64_t stream_log_epoch(const stream_log_t *log);
/* Continue an incarnation in a log rebuilt from elsewhere (assessment's
 * events log restored from the archive): the log's store takes store_id,
 * and the log's epoch becomes epoch + 1, synced, so the consumers that hold
 * (store_id, epoch) follow the rebuilt log as the same producer. Only while
 * the log is empty: JIJU_ERR_EXISTS otherwise, JIJU_ERR_INVALID for an id
 * that is not STREAM_STORE_ID_LEN characters. */
int stream_log_adopt(stream_log_t *log, const char *store_id, uint64_t epoch);

/* Append one record inside txn. It is visible once txn commits. The caller
 * must commit (or exit) every txn it appended to: a txn discarded after an
 * append leaves a gap, so a failed commit is fatal for a service. */
int stream_log_append(stream_log_t *log, store_txn_t *txn, const void *data, size_t len,
                      uint64_t *seq_out);
/* Read record seq as served (malloc'd *data, caller frees).
 * JIJU_ERR_NOT_FOUND if absent or trimmed. */
int stream_log_read(stream_log_t *log, uint64_t seq, void **data, size_t *len);
/* Delete records <= upto inside txn (retention, or after the archive acked). */
int stream_log_trim(stream_log_t *log, store_txn_t *txn, uint64_t upto);

/* Runs: the records one txn appends to a log stored under one key (at most
 * max_run per key), for logs that get many small records per txn
 * (notification's references: one key per subscriber and batch instead of
 * one per event). A log keeps serving the records it stored one per key
 * before. The logs of one stream_log_runs_t share one before-commit hook
 * per txn, which writes their runs; each log takes records from one txn at
 * a time (another txn's append while a run is open: JIJU_ERR_INVALID).
 * Set before the log's first append; the runs object outlives its logs. */
typedef struct stream_log_runs stream_log_runs_t;
stream_log_runs_t *stream_log_runs_new(uint32_t max_run);
void stream_log_runs_destroy(stream_log_runs_t **runs);
void stream_log_set_runs(stream_log_t *log, stream_log_runs_t *runs);

/* A log may store something other than the bytes it serves (notification
 * keeps each event once and a subscriber's log holds a reference to it):
 * fn turns stored record seq (rec, len) into the bytes to serve, *out
 * valid until fn is called again with the same arg; JIJU_OK, or a jiju_err
 * (the record cannot be served). Every reader goes through it: the
 * stream's producer side and stream_log_read. No resolver: served as
 * stored. */
typedef int (*stream_resolve_fn)(void *arg, uint64_t seq, const uint8_t *rec, size_t len,
                                 const uint8_t **out, size_t *out_len);
void stream_log_on_resolve(stream_log_t *log, stream_resolve_fn fn, void *arg);
/* The served form of stored record seq (rec itself without a resolver). */
int stream_log_resolve(stream_log_t *log, uint64_t seq, const uint8_t *rec, size_t len,
                       const uint8_t **out, size_t *out_len);

/* Iterate a log's stored records from seq `from` (or the first retained
 * after it; a snapshot of the store). stream_log_iter_get: 0 with the seq
 * and stored bytes at the iterator (valid until it moves), -1 past the
 * log's end (it may hold records above last that are not committed yet:
 * readers stop at stream_log_last). NULL: no memory. */
typedef struct stream_log_iter stream_log_iter_t;
stream_log_iter_t *stream_log_iter(stream_log_t *log, uint64_t from);
int stream_log_iter_get(stream_log_iter_t *it, uint64_t *seq, const uint8_t **rec, size_t *len);
void stream_log_iter_next(stream_log_iter_t *it);
/* Replace the stored bytes of the record at the iterator inside txn by
 * another form of the same record (one that resolves to the same served
 * bytes, above). A run is written again once, with all its replacements,
 * when the iterator leaves it or at stream_log_iter_finish, which the
 * caller must call before destroying an iterator it replaced through:
 * JIJU_OK, or the first error of the replacements. */
int stream_log_iter_replace(stream_log_iter_t *it, store_txn_t *txn, const void *data, size_t len);
int stream_log_iter_finish(stream_log_iter_t *it);
void stream_log_iter_destroy(stream_log_iter_t **it);

/* ---- endpoints ---- */

typedef struct stream_peer stream_peer_t;

/* Apply one record from producer_id at seq inside txn. Return 0 when applied.
 * Non-zero refuses the record: the cursor does not move, the producer gets
 * ERROR E_STREAM_BAD_RECORD and its session ends (a forged or garbage
 * record never advances a cursor); the callback must not have written to
 * txn then. */
typedef int (*stream_apply_fn)(void *arg, const char *producer_id, uint64_t seq,
                               const uint8_t *data, size_t len, store_txn_t *txn);

/* Why a log_fn refused: the ERROR's code and message, preset to
 * E_STREAM_UNKNOWN_STREAM "no such stream for this consumer"; a log_fn
 * that knows better (notification: no subscription with that id) says so. */
typedef struct stream_refusal {
    char code[48];
    char message[192];
} stream_refusal;

/* Producer side of a bound endpoint: the log to serve to consumer_id asking
 * for `stream`, or NULL to refuse with an ERROR (why, which it may fill). */
typedef stream_log_t *(*stream_log_fn)(void *arg, const char *stream, const char *consumer_id,
                                       stream_refusal *why);

/* Optional: called after each group commit with the txn already committed
 * (e.g. to coalesce work). May be NULL. */
typedef void (*stream_committed_fn)(void *arg);

/* Called when the other end refuses us, or we refuse it, for a reason
 * retrying will not cure: err is JIJU_ERR_INCARNATION (a producer
 * incarnation contradicts the consumer's history), JIJU_ERR_TRIMMED (a
 * consumer needs records the producer trimmed) or JIJU_ERR_PROTOCOL (any
 * other ERROR, e.g. E_STREAM_FORBIDDEN); code is the ERROR code and why its
 * message. A connector keeps retrying after timeout_ms; a service may stop. */
typedef void (*stream_refused_fn)(void *arg, int err, const char *code, const char *why);

typedef struct stream_opts {
    const char *self_id;           /* our peer id in HELLO (instance id); required */
    int heartbeat_ms;              /* default 1000 */
    int timeout_ms;                /* silence before a peer is dead; default 5000 */
    uint32_t credit;               /* window we grant as consumer; default 1000 */
    uint32_t max_batch;            /* records applied per commit; default 5000 */
    uint32_t max_sessions;         /* binder: open sessions at most; default 1024 */
    uint32_t max_sessions_per_key; /* binder with CURVE: per client key; default 64 */
    const char *server_key;        /* connectors, when the loop has CURVE (svc_zap): the
                                      Z85 public key of the endpoint's service */
    bool unindexed;                /* consumer: apply_fn never reads the txn it is given,
                                      so it is a store_txn_new_unindexed (cheaper per put) */
    int lazy_sync_ms;              /* consumer: 0 (default) fsyncs each group commit. > 0:
                                      commits unsynced; they become durable with the store's
                                      next synced write (anyone's: store_synced) or a WAL
                                      sync at most about lazy_sync_ms later, and no ACK or
                                      heartbeat position goes past what is durable. Only
                                      for a consumer whose txns append to no served log
                                      and whose effects nobody outside sees before they
                                      are durable (ingest's registry: docs/architecture.md) */
    int turn_budget_us;            /* 0 (default): a wake-up reads every frame waiting (up
                                      to 20,000). > 0: it stops reading once it has spent
                                      this long (checked after each frame), commits what it
                                      applied and returns to the loop, which serves its other
                                      sockets (ingest's submits first) before the rest is
                                      read in the next turn. What a request arriving during
                                      a long catch-up waits for is then about this long plus
                                      one record, not the whole drain */
} stream_opts;

/* Bind a ROUTER at endpoint. Connecting consumers are served logs from
 * log_fn; connecting producers' records are applied with apply_fn (NULL
 * refuses that role). Caller owns the result.
 *
 * With CURVE (svc_zap) the endpoint is a CURVE server and a HELLO is
 * refused with E_STREAM_FORBIDDEN unless the client's key may open it
 * (stream_auth.c): a service key follows any stream; only an ingest key
 * pushes "reports", as its own instance, and only the assessment key pushes
 * "events"; a subscriber key follows stream "deliveries" as its own
 * subscriber id. Sessions of a key removed on reload end within a
 * heartbeat. */
stream_peer_t *stream_serve(svc_t *svc, store_t *store, const char *endpoint,
                            const stream_opts *opts, stream_log_fn log_fn, stream_apply_fn apply_fn,
                            void *arg);

/* Connect to endpoint and push `log` to it as stream `stream_name`. */
stream_peer_t *stream_push(svc_t *svc, store_t *store, const char *endpoint,
                           const char *stream_name, const stream_opts *opts, stream_log_t *log);

/* Connect to endpoint and consume its stream `stream_name` with apply_fn;
 * the cursor is kept in store under (stream_name, producer id). */
stream_peer_t *stream_follow(svc_t *svc, store_t *store, const char *endpoint,
                             const char *stream_name, const stream_opts *opts,
                             stream_apply_fn apply_fn, void *arg);

/* Run fn(arg) after each commit of applied records on this peer. */
void stream_on_committed(stream_peer_t *peer, stream_committed_fn fn, void *arg);

/* Run fn(arg, ...) at each refusal (see stream_refused_fn). */
void stream_on_refused(stream_peer_t *peer, stream_refused_fn fn, void *arg);

/* JIJU_OK while the peer's session runs (or before any refusal); else the
 * jiju_err of the last refusal: JIJU_ERR_TRIMMED, JIJU_ERR_INCARNATION,
 * JIJU_ERR_PROTOCOL. */
int stream_peer_status(const stream_peer_t *peer);

/* Highest seq a consumer with id consumer_id has acknowledged on the log
 * named log_name (persisted on the producer side; 0 if never). */
uint64_t stream_acked(store_t *store, const char *log_name, const char *consumer_id);

/* For a connector pushing a log (stream_push): the highest seq the consumer
 * at the other end has acknowledged on this connection, or 0 while no
 * consumer is connected. Producers trim their logs up to what every
 * consumer acknowledged. */
uint64_t stream_peer_acked(const stream_peer_t *peer);

/* The endpoint as bound (a "tcp://host:*" endpoint shows its actual port). */
const char *stream_peer_endpoint(const stream_peer_t *peer);

void stream_peer_destroy(stream_peer_t **peer);

/* The producer incarnation a consumer's store holds for (stream_name,
 * producer_id), as stream_log_adopt takes it: JIJU_OK with store_id and
 * *epoch filled, or JIJU_ERR_NOT_FOUND. */
int stream_incarnation_held(store_t *store, const char *stream_name, const char *producer_id,
                            char store_id[STREAM_STORE_ID_LEN + 1], uint64_t *epoch);

/* Last applied seq for (stream_name, producer_id) in a consumer's store. */
uint64_t stream_cursor(store_t *store, const char *stream_name, const char *producer_id);

/* Set that cursor to seq inside txn (of store), as applying records up to
 * seq would: for a consumer rebuilt from elsewhere (assessment from the
 * archive), so the producer resumes after seq. JIJU_OK or the store's error. */
int stream_cursor_put(store_t *store, store_txn_t *txn, const char *stream_name,
                      const char *producer_id, uint64_t seq);

#endif
