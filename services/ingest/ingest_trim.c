/* ingest_trim.c - trimming the outbox once every consumer has it. */
#include "ingest_trim.h"

#include <stdlib.h>

#include "err.h"
#include "log.h"

struct ingest_trim {
    svc_t *svc;
    store_t *store;
    stream_log_t *log;
    stream_peer_t *to_assessment, *to_archive;
};

static void trim_tick(svc_t *svc, void *arg)
{
    ingest_trim_t *t = arg;
    uint64_t a = stream_peer_acked(t->to_assessment), b = stream_peer_acked(t->to_archive);
    uint64_t upto = a < b ? a : b, first = stream_log_first(t->log);
    store_txn_t *txn;

    (void)svc;
    /* 0 means a consumer is not connected now: keep everything until it is */
    if (upto == 0 || upto < first)
        return;
    if (!(txn = store_txn_new(t->store)))
        return;
    if (stream_log_trim(t->log, txn, upto) == JIJU_OK && store_txn_commit(txn, false) == JIJU_OK)
        log_info("log_trimmed",
                 "log=%s from=%llu upto=%llu assessment_acked=%llu "
                 "archive_acked=%llu",
                 stream_log_name(t->log), (unsigned long long)first, (unsigned long long)upto,
                 (unsigned long long)a, (unsigned long long)b);
    store_txn_destroy(&txn);
}

ingest_trim_t *ingest_trim_new(svc_t *svc, store_t *store, stream_log_t *log,
                               stream_peer_t *to_assessment, stream_peer_t *to_archive,
                               int interval_ms)
{
    ingest_trim_t *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    *t = (ingest_trim_t){svc, store, log, to_assessment, to_archive};
    if (svc_every(svc, interval_ms, trim_tick, t) != JIJU_OK) {
        free(t);
        return NULL;
    }
    return t;
}

void ingest_trim_destroy(ingest_trim_t **tp)
{
    if (!tp || !*tp)
        return;
    svc_cancel((*tp)->svc, *tp);
    free(*tp);
    *tp = NULL;
}
