/* stream_metrics.h - the stream module's figures (stream.c calls these;
 * nobody else does): records and bytes per (stream, producer, consumer),
 * group-commit sizes, and on every scrape each session's producer last seq,
 * consumer cursor and lag. */
#ifndef JIJU_STREAM_METRICS_H
#define JIJU_STREAM_METRICS_H

#include "stream_int.h"

/* A peer's sessions are reported on every scrape while it lives. */
void stream_metrics_track(stream_peer_t *p);
void stream_metrics_untrack(stream_peer_t *p);
/* One record applied (consumer, "in") or sent (producer, "out"). */
void stream_metrics_record(const stream_peer_t *p, const stream_session *s, int out, size_t bytes);
/* n records of that many bytes in all (a producer's pump: the labels are
 * made once per pump, not per record). */
void stream_metrics_records(const stream_peer_t *p, const stream_session *s, int out, size_t n,
                            size_t bytes);
/* One synced commit of n applied records. */
void stream_metrics_commit(const stream_peer_t *p, size_t n);

#endif
