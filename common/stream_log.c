/* stream_log.c - the producer's append-only log (transactional outbox):
 * open, append inside the caller's txn, read, trim, resolve. Its stored
 * form, runs, the iterator and recovery have files of their own; the
 * layout they share is drawn in stream_log_int.h. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stream_log_int.h"

stream_log_t *stream_log_open(store_t *store, const char *name)
{
    size_t n = strlen(name);
    stream_log_t *log;

    if (n == 0 || n + 1 + 8 > STREAM_LOG_KEY_MAX || store_cf(store, STORE_CF_LOG) < 0)
        return NULL;
    log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->store = store;
    log->cf = store_cf(store, STORE_CF_LOG);
    log->name = strdup(name);
    memcpy(log->prefix, name,
           n + 1); /* the '\0' ends the prefix: "sub/a" is not a prefix of "sub/ab" */
    log->plen = n + 1;
    stream_log_recover(log);
    if (!log->name || stream_log_new_epoch(log) != JIJU_OK)
        stream_log_destroy(&log);
    return log;
}

void stream_log_destroy(stream_log_t **logp)
{
    if (!logp || !*logp)
        return;
    if ((*logp)->runs)
        stream_log_runs_forget((*logp)->runs, *logp);
    free((*logp)->run.buf);
    free((*logp)->rcache.val);
    free((*logp)->name);
    free(*logp);
    *logp = NULL;
}

const char *stream_log_name(const stream_log_t *log)
{
    return log->name;
}

uint64_t stream_log_last(const stream_log_t *log)
{
    return log->last;
}

uint64_t stream_log_first(const stream_log_t *log)
{
    return log->first;
}

uint64_t stream_log_next(const stream_log_t *log)
{
    return log->next;
}

/* After commit: everything appended so far is durable and may be sent. */
static void log_committed(void *arg)
{
    stream_log_t *log = arg;

    log->last = log->next - 1;
    if (log->first > log->last + 1 || log->first == 0)
        log->first = log->last + 1;
}

int stream_log_append(stream_log_t *log, store_txn_t *txn, const void *data, size_t len,
                      uint64_t *seq_out)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    uint64_t seq = log->next;
    int rc;

    if (log->runs)
        rc = stream_log_run_add(log, txn, seq, data, len);
    else
        rc = store_txn_put(txn, log->cf, key, stream_log_key(log, seq, key), data, len);
    if (rc != JIJU_OK)
        return rc;
    rc = store_txn_on_commit(txn, log_committed, log);
    if (rc != JIJU_OK)
        return rc;
    log->next = seq + 1;
    if (log->first > seq)
        log->first = seq; /* first record of an empty log */
    if (seq_out)
        *seq_out = seq;
    return JIJU_OK;
}

void stream_log_on_resolve(stream_log_t *log, stream_resolve_fn fn, void *arg)
{
    log->resolve = fn;
    log->resolve_arg = arg;
}

int stream_log_resolve(stream_log_t *log, uint64_t seq, const uint8_t *rec, size_t len,
                       const uint8_t **out, size_t *out_len)
{
    if (!log->resolve) {
        *out = rec;
        *out_len = len;
        return JIJU_OK;
    }
    return log->resolve(log->resolve_arg, seq, rec, len, out, out_len);
}

/* log->rcache: a copy of the stored key holding seq (klast 0 if none). */
static int rcache_fill(stream_log_t *log, uint64_t seq)
{
    stream_log_iter_t *it = stream_log_iter(log, seq);
    const uint8_t *val;
    uint64_t kf, kl;
    size_t vlen;

    if (!it)
        return JIJU_ERR_NOMEM;
    log->rcache.klast = 0;
    if (stream_log_iter_key(it, &kf, &kl, &val, &vlen) == 0 && kf <= seq && seq <= kl) {
        if (log->rcache.cap < vlen) {
            uint8_t *b = realloc(log->rcache.val, vlen);
            if (b) {
                log->rcache.val = b;
                log->rcache.cap = vlen;
            }
        }
        if (log->rcache.cap >= vlen) {
            if (vlen)
                memcpy(log->rcache.val, val, vlen);
            log->rcache.vlen = vlen;
            log->rcache.kfirst = kf;
            log->rcache.klast = kl;
        }
    }
    stream_log_iter_destroy(&it);
    return log->rcache.klast ? JIJU_OK : JIJU_ERR_NOT_FOUND;
}

/* The stored bytes of record seq (malloc'd). A run read is kept (a copy):
 * the next seqs of it are read from memory. */
static int log_get(stream_log_t *log, uint64_t seq, void **data, size_t *len)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    const uint8_t *rec = NULL;
    int rc;

    if (!log->runs)
        return store_get(log->store, log->cf, key, stream_log_key(log, seq, key), data, len);
    if (!(log->rcache.klast && log->rcache.kfirst <= seq && seq <= log->rcache.klast) &&
        (rc = rcache_fill(log, seq)) != JIJU_OK)
        return rc;
    if (stream_log_key_record(log->rcache.val, log->rcache.vlen, log->rcache.kfirst,
                              log->rcache.klast, seq, &rec, len) != 0)
        return JIJU_ERR_CORRUPT;
    rc = (*data = malloc(*len ? *len : 1)) ? JIJU_OK : JIJU_ERR_NOMEM;
    if (rc == JIJU_OK && *len)
        memcpy(*data, rec, *len);
    return rc;
}

int stream_log_read(stream_log_t *log, uint64_t seq, void **data, size_t *len)
{
    const uint8_t *out;
    void *raw = NULL, *copy;
    size_t rlen = 0, olen;
    int rc;

    if (seq == 0 || seq > log->last || seq < log->first)
        return JIJU_ERR_NOT_FOUND;
    rc = log_get(log, seq, &raw, &rlen);
    if (rc != JIJU_OK || !log->resolve) {
        if (rc == JIJU_OK) {
            *data = raw;
            *len = rlen;
        }
        return rc;
    }
    rc = log->resolve(log->resolve_arg, seq, raw, rlen, &out, &olen);
    copy = rc == JIJU_OK ? malloc(olen ? olen : 1) : NULL;
    if (rc == JIJU_OK && !copy)
        rc = JIJU_ERR_NOMEM;
    if (copy) {
        memcpy(copy, out, olen);
        *data = copy;
        *len = olen;
    }
    free(raw);
    return rc;
}

/* A log with runs: delete the keys whose records are all <= upto; a run
 * that goes on above upto stays whole (its records <= upto are below
 * first from now on: never served). */
static int trim_keys(stream_log_t *log, store_txn_t *txn, uint64_t upto)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);
    int rc = it ? JIJU_OK : JIJU_ERR_NOMEM;

    if (it)
        store_iter_seek(it, key, stream_log_key(log, 1, key));
    for (; rc == JIJU_OK && it && store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const uint8_t *k = store_iter_key(it, &klen);
        uint64_t kf, kl;
        if (stream_log_key_span(log, k, klen, &kf, &kl) != 0 || kl > upto)
            break;
        rc = store_txn_del(txn, log->cf, k, klen);
    }
    store_iter_destroy(&it);
    return rc;
}

int stream_log_trim(stream_log_t *log, store_txn_t *txn, uint64_t upto)
{
    uint8_t key[STREAM_LOG_KEY_MAX], meta[16];
    int rc;

    if (upto > log->last)
        upto = log->last;
    if (upto < log->first)
        return JIJU_OK;
    if (log->runs) {
        log->rcache.klast = 0;
        if ((rc = trim_keys(log, txn, upto)) != JIJU_OK)
            return rc;
    } else
        for (uint64_t s = log->first; s <= upto; s++)
            if ((rc = store_txn_del(txn, log->cf, key, stream_log_key(log, s, key))) != JIJU_OK)
                return rc;
    /* the mark goes with the deletes: a log trimmed empty keeps its place */
    stream_log_meta_put(meta, upto, log->epoch);
    if ((rc = store_txn_put(txn, log->cf, key, stream_log_key(log, 0, key), meta, sizeof meta)) !=
        JIJU_OK)
        return rc;
    log->first = upto + 1;
    if (upto > log->trimmed)
        log->trimmed = upto;
    return JIJU_OK;
}
