/* archive_replay.h - reading archived records back in archive order, for
 * rebuilding assessment from the archive alone (issue 6 item 4).
 *
 * Open the archive's directory with archive_reader_open(), then call
 * archive_replay(store, ARCHIVE_STREAM_REPORTS, 1, fn, arg): fn sees every
 * input that any ingest replica accepted (Envelopes with a report_accepted or
 * command body), with the replica's producer id and its sequence in that
 * replica's log, in the order the archive recorded them. Within one replica
 * that is its log order; across replicas it is the order they reached the
 * archive (assessment's upsert-by-revision does not depend on it). */
#ifndef JIJU_ARCHIVE_REPLAY_H
#define JIJU_ARCHIVE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One archived record as handed to a replay callback; valid during the call. */
typedef struct archive_entry {
    uint64_t archive_seq;
    const char *stream;      /* "reports" or "events" */
    const char *producer_id; /* e.g. "ingest-1" */
    uint64_t source_seq;     /* its sequence in the producer's log */
    const uint8_t *envelope; /* the Envelope bytes, byte-exact */
    size_t len;
} archive_entry;

/* Return 0 to go on; anything else stops the replay and is returned by it. */
typedef int (*archive_replay_fn)(void *arg, const archive_entry *e);

/* Call fn for every record of `stream` ("" or NULL: all records) with archive
 * sequence >= from_seq, oldest first. JIJU_OK at the end,
 * JIJU_ERR_CORRUPT if an indexed record is absent or does not decode, or
 * fn's non-zero result. *last_seq (may be NULL) gets the last archive
 * sequence handed to fn (0 if none), to resume a replay later. */
int archive_replay(store_t *s, const char *stream, uint64_t from_seq, archive_replay_fn fn,
                   void *arg, uint64_t *last_seq);

#endif
