/* ingest_state.h - what one ingest replica knows: the reports it accepted
 * (for DUPLICATE/CONFLICT), and its replica of assessment's registry and
 * periods (followed through assessment's "events" stream), so that unknown
 * clusters and closed periods are refused synchronously. */
#ifndef JIJU_INGEST_STATE_H
#define JIJU_INGEST_STATE_H

#include <stdint.h>

#include "ingest_validate.h"
#include "store.h"

extern const char *const ingest_cfs[];
extern const size_t ingest_n_cfs;

typedef struct ingest_state ingest_state_t;

ingest_state_t *ingest_state_new(store_t *store);
void ingest_state_destroy(ingest_state_t **st);
/* This replica's instance id: assessment's ReportAccepted of a record this
 * replica logged then costs nothing (ingest_state_apply_event). */
void ingest_state_set_instance(ingest_state_t *st, const char *instance);

/* The validation view, reading through txn (sees the batch being built). */
ingest_view ingest_state_view(ingest_state_t *st, store_txn_t *txn);

/* What the index knows of a report id: where it was logged (seq in the log
 * of instance; "" = this replica) and the digest of its content. Once
 * assessment's ReportAccepted for the id arrives, that is the content
 * assessment applied, whichever replica accepted it: two replicas may both
 * have accepted the id with different content before either knew. */
typedef struct ingest_known_report {
    uint64_t seq;
    uint8_t digest[32];
    char instance[64];
} ingest_known_report;

/* Report ids are scoped to their cluster (report_id_key). */
#define INGEST_REPORT_KEY_MAX 512

/* Report id of cluster_id seen before: JIJU_OK with *out filled, or
 * JIJU_ERR_NOT_FOUND. */
int ingest_state_find_report(ingest_state_t *st, store_txn_t *txn, const char *cluster_id,
                             const char *report_id, ingest_known_report *out);
/* Remember an accepted report (id, seq, digest, revision, revenue) in txn. */
int ingest_state_accept_report(ingest_state_t *st, store_txn_t *txn, const Jiju__V1__Report *r,
                               uint64_t seq, const uint8_t digest[32]);

/* stream_apply_fn for assessment's "events": keeps the registry replica. */
int ingest_state_apply_event(void *st, const char *producer_id, uint64_t seq, const uint8_t *data,
                             size_t len, store_txn_t *txn);

#endif
