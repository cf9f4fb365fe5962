/* archive_query.h - answering an ArchiveQueryRequest from the store: walk
 * the index of the most selective filter (report_id, cluster_id, period,
 * type, stream, time range; the record family when there is none), check
 * the other filters on each record met, stop at `limit` records or at the
 * scan budget, and hand back a cursor to continue. Works the same inside the
 * service (query socket) and offline on a stopped archive's directory. */
#ifndef JIJU_ARCHIVE_QUERY_H
#define JIJU_ARCHIVE_QUERY_H

#include <stdint.h>

#include "jiju/v1/archive.pb-c.h"
#include "store.h"

#define ARCHIVE_QUERY_DEFAULT_LIMIT 100
#define ARCHIVE_QUERY_MAX_LIMIT 1000
/* Index entries examined per request: ARCHIVE_QUERY_SCAN_PER_RECORD per
 * record asked, plus ARCHIVE_QUERY_SCAN_BASE, so a request's work is bounded
 * whatever its filters. */
#define ARCHIVE_QUERY_SCAN_PER_RECORD 20
#define ARCHIVE_QUERY_SCAN_BASE 1000

/* The records of one page together, at most (the default
 * limits.max_frame_bytes, 4 MiB, less room for the reply's other fields). A
 * page holds at least one record whatever its size (a record is at most a
 * frame). */
#define ARCHIVE_QUERY_MAX_BYTES ((size_t)4 * 1024 * 1024 - 64 * 1024)

/* Run req against store s (pages of at most ARCHIVE_QUERY_MAX_BYTES). Returns a reply (ok=false
 * with a reason for a refused request), or NULL when out of memory. Caller owns the reply and frees
 * it with jiju__v1__archive_query_reply__free_unpacked(reply, NULL). request_id is copied; instance
 * is left "" for the caller to set. */
Jiju__V1__ArchiveQueryReply *archive_query_run(store_t *s,
                                               const Jiju__V1__ArchiveQueryRequest *req);

/* The same with the records of a page at most max_bytes together (the
 * service's own frame limit less room for the other fields). */
Jiju__V1__ArchiveQueryReply *
archive_query_run_max(store_t *s, const Jiju__V1__ArchiveQueryRequest *req, size_t max_bytes);

/* The reply to a request refused before it ran (it does not decode, its
 * request_id may not be echoed, the key may not read it): ok=false, error
 * why, no records, nothing read from the store. NULL when out of memory. */
Jiju__V1__ArchiveQueryReply *archive_query_refused(const char *request_id, const char *why);

#endif
