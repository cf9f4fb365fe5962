/* stream_log_run.c - runs (stream_log_set_runs, stream_log_int.h): the
 * records one txn appends to a log gathered in memory and written under
 * one key by a before-commit hook the logs of one stream_log_runs_t share;
 * a run of one record goes in as the single key it always had. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"
#include "stream_log_int.h"

void stream_log_runs_forget(stream_log_runs_t *runs, const stream_log_t *log)
{
    for (size_t i = 0; i < runs->n; i++)
        if (runs->pending[i] == log) {
            runs->pending[i] = runs->pending[--runs->n];
            return;
        }
}

stream_log_runs_t *stream_log_runs_new(uint32_t max_run)
{
    stream_log_runs_t *runs = calloc(1, sizeof *runs);

    if (runs)
        runs->max_run = max_run > 1 ? max_run : 2;
    return runs;
}

void stream_log_runs_destroy(stream_log_runs_t **runsp)
{
    if (!runsp || !*runsp)
        return;
    free((*runsp)->pending);
    free(*runsp);
    *runsp = NULL;
}

void stream_log_set_runs(stream_log_t *log, stream_log_runs_t *runs)
{
    if (log->runs && log->runs != runs)
        stream_log_runs_forget(log->runs, log);
    log->runs = runs;
}

/* The run into its txn: a lone record as the single key it always had. */
static int run_put(stream_log_t *log, store_txn_t *txn)
{
    stream_log_run *r = &log->run;
    uint8_t key[STREAM_LOG_KEY_MAX];
    const uint8_t *rec;
    size_t off = 0, rlen;
    int rc;

    if (r->n == 1)
        rc = stream_log_run_entry(r->buf, r->len, &off, &rec, &rlen) == 0
                 ? store_txn_put(txn, log->cf, key, stream_log_key(log, r->first, key), rec, rlen)
                 : JIJU_ERR_CORRUPT;
    else
        rc = store_txn_put(txn, log->cf, key,
                           stream_log_run_key(log, r->first, r->first + r->n - 1, key), r->buf,
                           r->len);
    r->n = 0;
    r->len = 0;
    r->txn = NULL;
    return rc;
}

/* store_txn_before_commit: every run of this txn into it. */
static int runs_flush(void *arg, store_txn_t *txn)
{
    stream_log_runs_t *runs = arg;
    int rc = JIJU_OK;

    for (size_t i = 0; i < runs->n;) {
        stream_log_t *log = runs->pending[i];
        if (log->run.txn != txn) {
            i++;
            continue;
        }
        if (rc == JIJU_OK)
            rc = run_put(log, txn);
        runs->pending[i] = runs->pending[--runs->n];
    }
    return rc;
}

int stream_log_run_add(stream_log_t *log, store_txn_t *txn, uint64_t seq, const void *data,
                       size_t len)
{
    stream_log_runs_t *runs = log->runs;
    stream_log_run *r = &log->run;
    uint64_t gen = store_txn_gen(txn);
    int rc;

    /* one txn appends to a log at a time: another's open run would be
     * lost (a txn dropped after an append ends the service, stream.h) */
    if (r->n && (r->txn != txn || r->gen != gen))
        return JIJU_ERR_INVALID;
    if (r->n == runs->max_run && (rc = run_put(log, txn)) != JIJU_OK)
        return rc; /* a full run goes into the txn now; the next starts */
    if (r->cap - r->len < len + 10) {
        size_t cap = r->cap ? r->cap : 256;
        uint8_t *b;
        while (cap - r->len < len + 10)
            cap *= 2;
        if (!(b = realloc(r->buf, cap)))
            return JIJU_ERR_NOMEM;
        r->buf = b;
        r->cap = cap;
    }
    if (r->n == 0) {
        int listed = 0;
        for (size_t i = 0; i < runs->n && !listed; i++)
            listed = runs->pending[i] == log;
        if (!listed && runs->n == runs->cap) {
            size_t cap = runs->cap ? runs->cap * 2 : 16;
            stream_log_t **p = realloc(runs->pending, cap * sizeof *p);
            if (!p)
                return JIJU_ERR_NOMEM;
            runs->pending = p;
            runs->cap = cap;
        }
        if ((rc = store_txn_before_commit(txn, runs_flush, runs)) != JIJU_OK)
            return rc;
        if (!listed)
            runs->pending[runs->n++] = log;
        r->txn = txn;
        r->gen = gen;
        r->first = seq;
    }
    r->len += pb_varint_put(r->buf + r->len, len);
    if (len)
        memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->n++;
    return JIJU_OK;
}
