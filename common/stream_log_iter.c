/* stream_log_iter.c - the iterator over a log's stored records: one key
 * after another (a record stored alone, or a run), each record of a run in
 * turn, whichever layout wrote it (stream_log_int.h); with the replacement
 * of records in place, a run rebuilt once when the iterator leaves it. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"
#include "stream_log_int.h"

/* An iterator over a log's records (stored bytes), one key after another,
 * each record of a run in turn; with the replacements of
 * stream_log_iter_replace for the key it is in. */
struct stream_log_iter {
    stream_log_t *log;
    store_iter_t *it;
    int valid;
    uint64_t seq, kfirst, klast; /* the record; the span of its stored key */
    const uint8_t *val;          /* the key's value */
    size_t vlen, ent, off;       /* the record's entry in it: start, end */
    const uint8_t *rec;
    size_t rlen;
    store_txn_t *txn; /* replacements in this key: the rebuilt value */
    uint8_t *nbuf;
    size_t nlen, ncap, copied;
    int rebuilding, rc;
};

/* The record at it->off of the key the store iterator is at (the key's
 * first record when it->off is 0); it->valid 0 past the log's keys. */
static void iter_load(stream_log_iter_t *it, int new_key)
{
    if (new_key) {
        size_t klen;
        const uint8_t *k;
        it->valid = 0;
        if (!store_iter_valid(it->it))
            return;
        k = store_iter_key(it->it, &klen);
        if (stream_log_key_span(it->log, k, klen, &it->kfirst, &it->klast) != 0 || it->kfirst == 0)
            return;
        it->val = store_iter_value(it->it, &it->vlen);
        it->seq = it->kfirst;
        it->ent = it->off = 0;
        if (it->kfirst == it->klast) { /* one record, stored as is */
            it->rec = it->val;
            it->rlen = it->vlen;
            it->off = it->vlen;
            it->valid = 1;
            return;
        }
    }
    it->ent = it->off;
    if (stream_log_run_entry(it->val, it->vlen, &it->off, &it->rec, &it->rlen) != 0) {
        it->valid = 0;
        it->rc = JIJU_ERR_CORRUPT; /* a malformed run ends the iteration */
        return;
    }
    it->valid = 1;
}

static int iter_grow(stream_log_iter_t *it, size_t more)
{
    uint8_t *b;
    size_t cap = it->ncap ? it->ncap : 256;

    if (it->ncap - it->nlen >= more)
        return JIJU_OK;
    while (cap - it->nlen < more)
        cap *= 2;
    if (!(b = realloc(it->nbuf, cap)))
        return JIJU_ERR_NOMEM;
    it->nbuf = b;
    it->ncap = cap;
    return JIJU_OK;
}

/* Leaving a key: the run rebuilt with its replacements into the txn. */
static void iter_key_done(stream_log_iter_t *it)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    size_t rest = it->vlen - it->copied;

    if (!it->rebuilding)
        return;
    it->rebuilding = 0;
    if (it->rc != JIJU_OK || (it->rc = iter_grow(it, rest)) != JIJU_OK)
        return;
    memcpy(it->nbuf + it->nlen, it->val + it->copied, rest);
    it->nlen += rest;
    it->rc =
        store_txn_put(it->txn, it->log->cf, key,
                      stream_log_run_key(it->log, it->kfirst, it->klast, key), it->nbuf, it->nlen);
}

/* Whether the key at it is this log's and starts at seq. */
static int key_starts(const stream_log_t *log, store_iter_t *it, uint64_t seq)
{
    size_t klen;
    const uint8_t *k = store_iter_key(it, &klen);
    uint64_t kf, kl;

    return stream_log_key_span(log, k, klen, &kf, &kl) == 0 && kf == seq;
}

stream_log_iter_t *stream_log_iter(stream_log_t *log, uint64_t from)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    stream_log_iter_t *it = calloc(1, sizeof *it);
    uint64_t kf, kl;
    size_t klen;

    if (!it || !(it->it = store_iter_new(log->store, log->cf))) {
        free(it);
        return NULL;
    }
    it->log = log;
    if (from < log->first)
        from = log->first; /* below it: trimmed, also inside a run kept by a trim */
    if (from == 0)
        from = 1; /* seq 0 is the meta, never a record */
    /* the key holding from: mostly one that starts there (a sender caught
     * up reads the newest run from its start); else the last key at or
     * before (from, max), if it reaches from (SeekForPrev costs more: it
     * was 11% of notification's samples as the first try); else the first
     * key after from */
    store_iter_seek(it->it, key, stream_log_key(log, from, key));
    if (!store_iter_valid(it->it) || !key_starts(log, it->it, from)) {
        const uint8_t *k = NULL;
        store_iter_seek_prev(it->it, key, stream_log_run_key(log, from, UINT64_MAX, key));
        if (store_iter_valid(it->it))
            k = store_iter_key(it->it, &klen);
        if (!k || stream_log_key_span(log, k, klen, &kf, &kl) != 0 || kf == 0 || kl < from)
            store_iter_seek(it->it, key, stream_log_key(log, from, key));
    }
    iter_load(it, 1);
    while (it->valid && it->seq < from)
        stream_log_iter_next(it);
    return it;
}

int stream_log_iter_get(stream_log_iter_t *it, uint64_t *seq, const uint8_t **rec, size_t *len)
{
    if (!it->valid)
        return -1;
    *seq = it->seq;
    *rec = it->rec;
    *len = it->rlen;
    return 0;
}

void stream_log_iter_next(stream_log_iter_t *it)
{
    if (!it->valid)
        return;
    if (it->seq < it->klast) {
        it->seq++;
        iter_load(it, 0);
        return;
    }
    iter_key_done(it);
    store_iter_next(it->it);
    iter_load(it, 1);
}

int stream_log_iter_replace(stream_log_iter_t *it, store_txn_t *txn, const void *data, size_t len)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    size_t before;

    if (!it->valid)
        return JIJU_ERR_NOT_FOUND;
    it->log->rcache.klast = 0;   /* it held the form replaced */
    if (it->kfirst == it->klast) /* a record stored alone */
        return store_txn_put(txn, it->log->cf, key, stream_log_key(it->log, it->seq, key), data,
                             len);
    if (!it->rebuilding) {
        it->rebuilding = 1;
        it->txn = txn;
        it->nlen = it->copied = 0;
    }
    before = it->ent - it->copied;
    if ((it->rc = iter_grow(it, before + len + 10)) != JIJU_OK)
        return it->rc;
    memcpy(it->nbuf + it->nlen, it->val + it->copied, before);
    it->nlen += before;
    it->nlen += pb_varint_put(it->nbuf + it->nlen, len);
    if (len)
        memcpy(it->nbuf + it->nlen, data, len);
    it->nlen += len;
    it->copied = it->off;
    return JIJU_OK;
}

int stream_log_iter_finish(stream_log_iter_t *it)
{
    iter_key_done(it);
    return it->rc;
}

void stream_log_iter_destroy(stream_log_iter_t **itp)
{
    stream_log_iter_t *it = itp ? *itp : NULL;

    if (!it)
        return;
    store_iter_destroy(&it->it);
    free(it->nbuf);
    free(it);
    *itp = NULL;
}

int stream_log_iter_key(const stream_log_iter_t *it, uint64_t *kfirst, uint64_t *klast,
                        const uint8_t **val, size_t *vlen)
{
    if (!it->valid)
        return -1;
    *kfirst = it->kfirst;
    *klast = it->klast;
    *val = it->val;
    *vlen = it->vlen;
    return 0;
}
