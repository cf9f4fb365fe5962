/* envelope.h - building, appending and reading jiju.v1.Envelope, the
 * CloudEvents-attributed wrapper of every stream record. */
#ifndef JIJU_ENVELOPE_H
#define JIJU_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/envelope.pb-c.h"
#include "store.h"
#include "stream.h"

/* The CloudEvents specification version every envelope carries. */
#define ENVELOPE_SPECVERSION "1.0"
/* Envelope.seq's field number (envelope.proto), for code that reads or
 * writes it in the encoded bytes (notification's shared records and their
 * seq stamp). */
#define ENVELOPE_SEQ_FIELD 6

/* The body: the set member of the envelope's oneof, or NULL when none is
 * set. Borrowed from env. */
const ProtobufCMessage *envelope_body(const Jiju__V1__Envelope *env);

/* CloudEvents type of the body, e.g. "jiju.v1.RankingPublished"; "" if none. */
const char *envelope_type(const Jiju__V1__Envelope *env);

/* An event type as a person gives it, short ("AwardGranted") or full
 * ("jiju.v1.AwardGranted"), as the full CloudEvents type; NULL if it names
 * no member of the Envelope's body oneof. The one resolver of type names
 * (CLI options, subscription filters, archive queries). Static storage. */
const char *envelope_type_full(const char *name);

/* Set specversion, seq (the log's next), id ("<source>/<seq>"), source
 * ("/jiju/<source>"), type (from the body), time and time_ms (clock_now_ms)
 * unless time_ms is already set, then pack and append to log inside txn. Subject, period,
 * category and county are the caller's. *seq_out may be NULL. The caller
 * keeps ownership of env. */
int envelope_append(stream_log_t *log, store_txn_t *txn, const char *source,
                    Jiju__V1__Envelope *env, uint64_t *seq_out);

/* Every envelope appended until the next call carries this cause
 * (cause_producer, cause_seq): the input being applied. NULL clears it.
 * Services are single-threaded; the cause is process state on purpose, so
 * that code deep in a state machine need not thread it through. */
void envelope_set_cause(const char *producer, uint64_t seq);

/* Decode bytes (NULL on malformed input; caller frees with envelope_free). */
Jiju__V1__Envelope *envelope_decode(const uint8_t *data, size_t len);
void envelope_free(Jiju__V1__Envelope **env);

#endif
