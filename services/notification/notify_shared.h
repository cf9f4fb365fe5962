/* notify_shared.h - each routed event stored once, however many subscribers
 * it goes to (issue 14: 20 whole copies per event, written, flushed and
 * compacted, made notification the bound of the whole pipeline).
 *
 * The shared log "fanout" (a stream_log in notification's store) holds each
 * event that matched at least one subscriber, once: the Envelope as
 * assessment sent it with seq 0, so seq is absent from the encoding. A
 * subscriber's log "sub/<id>" keeps its own contiguous sequence (its acks,
 * trims, retention, EventsDropped ranges, webhook cursor and dead letters
 * are all in that sequence, as before) but holds per event a reference of
 * NOTIFY_REF_LEN bytes: 0x00 then be64(shared seq), appended in the same
 * txn as the shared record and the stream cursor, so a kill -9 keeps all
 * three or none.
 *
 * No Envelope encoding starts with 0x00 (a tag of field number 0 is invalid
 * in protobuf), so a reference is never taken for a record stored whole:
 * records written whole by the previous version (with their seq set) and
 * notification's own events (EventsDropped, EndpointDisabled, redelivered
 * dead letters, which concern one subscriber) are served as stored, so a
 * store from before the change needs no migration.
 *
 * Serving a reference (notify_shared_resolve, the logs' stream_resolve_fn):
 * the shared bytes followed by the encoding of an Envelope holding only seq
 * = the subscriber's seq (tag 0x30, varint). The shared bytes hold no seq,
 * so the result is a valid Envelope with exactly one seq field, the
 * subscriber's, after fields numbered above it: protobuf parsers accept
 * fields in any order (it is also how concatenated messages merge). One
 * copy and 2..11 bytes per delivery, instead of a decode and a pack.
 *
 * Trimming: a shared record goes when no retained subscriber record refers
 * to it (notify_shared_pin per subscriber, then notify_shared_trim). So
 * that a subscriber that matches seldom does not hold the shared log back
 * for ever (its newest record is always retained), references to shared
 * records older than a bound are replaced by the whole record first: the
 * shared log then holds at most that many events besides what it must. */
#ifndef JIJU_NOTIFY_SHARED_H
#define JIJU_NOTIFY_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "stream.h"

#define NOTIFY_SHARED_LOG "fanout"
#define NOTIFY_REF_LEN 9
/* A subscriber log keeps the references (and anything else) one txn
 * appends as runs of at most this many records per key (stream.h "Runs"):
 * one key per subscriber and apply batch instead of one per event. */
#define NOTIFY_RUN_MAX 1024

typedef struct notify_shared notify_shared_t;

/* The bytes the in-memory copies of the newest shared records may take in
 * all (notify_shared.c): with 20 subscribers each routed event is served
 * 20 times just after it was stored. */
#define NOTIFY_SHARED_CACHE_BYTES (16 * 1024 * 1024)
/* Room kept behind each cached record for the subscriber's seq (an
 * Envelope of that one field: tag and varint, at most 11 bytes), stamped
 * there when it is served, so a delivery from the cache copies nothing
 * (the copy of the record was 6% of notification's samples, 20 per event).
 * Counted in the cache's bytes. */
#define NOTIFY_STAMP_ROOM 16

/* Open the shared log in store, newest records cached in at most
 * cache_bytes. Caller owns the result; NULL on failure. */
notify_shared_t *notify_shared_open(store_t *store, size_t cache_bytes);
/* Bytes the cache holds now (at most cache_bytes of the open). */
size_t notify_shared_cache_bytes(const notify_shared_t *sh);
void notify_shared_destroy(notify_shared_t **sh);

stream_log_t *notify_shared_log(notify_shared_t *sh);

/* Append one event (an Envelope encoded with seq 0) inside txn; *sseq is
 * its shared seq, for the references. */
int notify_shared_append(notify_shared_t *sh, store_txn_t *txn, const uint8_t *env, size_t len,
                         uint64_t *sseq);

/* The reference to shared record sseq. */
void notify_shared_ref(uint64_t sseq, uint8_t out[NOTIFY_REF_LEN]);
/* 1 and *sseq if rec is a reference, else 0. */
int notify_shared_is_ref(const uint8_t *rec, size_t len, uint64_t *sseq);

/* stream_resolve_fn for the subscriber logs (arg: the notify_shared_t):
 * a reference becomes the shared record with seq stamped; anything else is
 * served as stored. JIJU_ERR_NOT_FOUND for a reference to a trimmed shared
 * record (never, by the trimming rule above). *out may point into the
 * cache of newest records: valid until the next resolve or append on sh
 * (stream.h's "until fn is called again", and no append in between: the
 * producer sends, stream_log_read and notify_shared_pin copy at once). */
int notify_shared_resolve(void *sh, uint64_t seq, const uint8_t *rec, size_t len,
                          const uint8_t **out, size_t *out_len);

/* The lowest shared seq that log's retained records refer to (*pin, 0 if
 * none). References to shared records below keep_from are first replaced
 * inside txn by the whole record they resolve to. *scan_from (0 at first,
 * kept by the caller per log) remembers where the first reference was, so
 * whole records before it are not read again. JIJU_OK or a store error. */
int notify_shared_pin(notify_shared_t *sh, stream_log_t *log, store_txn_t *txn, uint64_t keep_from,
                      uint64_t *scan_from, uint64_t *pin);

/* Delete shared records <= upto inside txn. */
int notify_shared_trim(notify_shared_t *sh, store_txn_t *txn, uint64_t upto);

#endif
