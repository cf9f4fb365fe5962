/* notify_retention.h - bounding each subscriber's backlog on disk.
 *
 * A subscriber's log keeps at most max_records events and none older than
 * max_age_ms (by the event's time), but always its last record, so that its
 * sequence continues after a restart. Trimming that removes events the
 * subscriber has not acknowledged (ZeroMQ: its ACK; webhook: delivered or
 * dead-lettered) appends EventsDropped to its log.
 *
 * Then the shared log (notify_shared.h) is trimmed below the oldest record
 * any subscriber log still refers to. References to shared records more
 * than max_records (NOTIFY_SHARED_SPAN when max_records is 0) behind the
 * newest are first replaced by the whole record: a subscriber that matches
 * seldom keeps its few old events whole instead of holding every other
 * event in the shared log. */
#ifndef JIJU_NOTIFY_RETENTION_H
#define JIJU_NOTIFY_RETENTION_H

#include <stdint.h>

#include "notify_route.h"

#define NOTIFY_SHARED_SPAN 100000

typedef struct notify_retention {
    int64_t max_records; /* 0 = unbounded */
    int64_t max_age_ms;  /* 0 = unbounded */
} notify_retention;

/* Called after the commit for each subscriber that lost unacknowledged
 * events [first, last]. */
typedef void (*notify_dropped_fn)(void *arg, const notify_sub *sub, uint64_t first, uint64_t last);

/* The highest sequence below which sub's log may be trimmed under rules,
 * at time now_ms (0 = nothing to trim). */
uint64_t notify_retention_upto(const notify_retention *rules, notify_sub *sub, int64_t now_ms);

/* Apply the rules to every subscriber in one synced commit. Returns 0 or a
 * jiju_err (a failed commit after appends is fatal for the service). */
int notify_retention_run(notify_route *r, const notify_retention *rules, notify_dropped_fn fn,
                         void *arg);

#endif
