/* assess.h - assessment's domain state machine: registry, periods, the
 * highest revision of every report, scoring and rankings, awards,
 * eliminations, nominations, target progress and overdue reports. Every
 * state change and the events it causes go into the caller's txn, so they
 * commit atomically with the stream cursor. */
#ifndef JIJU_ASSESS_H
#define JIJU_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "assess_config.h"
#include "jiju/v1/query.pb-c.h"
#include "store.h"
#include "stream.h"
#include "read_auth.h"

typedef struct assess assess_t;

/* Column families assessment needs besides STORE_STREAM_CFS. */
extern const char *const assess_cfs[];
extern const size_t assess_n_cfs;

/* Load what is needed from store. Caller owns the result. */
assess_t *assess_new(store_t *store, stream_log_t *events, const assess_config *cfg);
void assess_destroy(assess_t **a);

/* stream_apply_fn for records pushed by ingest replicas (an Envelope with a
 * report_accepted or command body). Appends resulting events to `events`
 * inside txn. Non-zero (with nothing written) skips a malformed record. */
int assess_apply(void *assess, const char *producer_id, uint64_t seq, const uint8_t *data,
                 size_t len, store_txn_t *txn);

/* Deadlines (ReportOverdue) and coalesced RankingUpdated; appends into txn. */
int assess_tick(assess_t *a, store_txn_t *txn, int64_t now_ms);
/* The same within a budget: the overdue reports of the open periods, then
 * the rankings, each part stopping after the period whose work took it
 * past budget_us (0: no bound), so each does at least one period; *more
 * (if not NULL) says periods were left, still due for the next call. Set on
 * JIJU_OK. */
int assess_tick_slice(assess_t *a, store_txn_t *txn, int64_t now_ms, int64_t budget_us, bool *more);

/* Rebuild support: take note of an event this assessment emitted before
 * (assess_rebuild copies them back from the archive), so that what time
 * decided is not decided again after a rebuild: a ReportOverdue marks its
 * period's deadline as handled. Other events change nothing. Inside txn. */
int assess_restore_event(assess_t *a, store_txn_t *txn, const uint8_t *data, size_t len);

/* Answer a read-only query as the key k may see it (NULL: everything; a
 * reporter: its own clusters' registry entries and ranking rows, each row
 * keeping its rank); free the reply's contents with assess_reply_free.
 * A refused query is JIJU_OK with ok = 0 and error naming field, rule and
 * value. */
int assess_query_as(assess_t *a, const Jiju__V1__QueryRequest *req, const key_entry *k,
                    Jiju__V1__QueryReply *reply);
int assess_query(assess_t *a, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply *reply);
void assess_reply_free(Jiju__V1__QueryReply *reply);

/* Who may ask what (read_auth.h, docs/operations.md "Who reads what"): 1
 * with the refusal in why when a key of this scope may not ask q at all (a
 * subscriber anything but Ping; a reporter the city's targets, which are
 * the sums of every cluster), else 0. */
int assess_query_refused(const Jiju__V1__QueryRequest *q, read_scope scope, const key_entry *k,
                         char *why, size_t cap);

#endif
