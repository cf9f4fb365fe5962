/* stream_log_meta.c - what a producer log keeps across restarts: its meta
 * key (the trim mark and the epoch, stream_log_int.h), recovered at open
 * with the log's first and last seq; a new epoch per open; the store's id,
 * made once per store; and continuing an incarnation in a log rebuilt
 * from elsewhere (stream_log_adopt: assessment's events log restored
 * from the archive). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "stream_log_int.h"

#define STORE_ID_KEY "\0store_id"
#define STORE_ID_KLEN 9

void stream_log_recover(stream_log_t *log)
{
    uint8_t key[STREAM_LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);
    const uint8_t *k;
    void *meta = NULL;
    size_t klen, mlen = 0;
    uint64_t seq, kfirst;

    if (store_get(log->store, log->cf, key, stream_log_key(log, 0, key), &meta, &mlen) == JIJU_OK &&
        mlen == 16) {
        log->trimmed = store_be64_get(meta);
        log->epoch = store_be64_get((uint8_t *)meta + 8);
    }
    free(meta);
    log->last = log->trimmed;
    store_iter_seek_prev(it, key, stream_log_key(log, UINT64_MAX, key));
    if (store_iter_valid(it)) {
        k = store_iter_key(it, &klen);
        if (stream_log_key_span(log, k, klen, &kfirst, &seq) == 0 && seq > log->last)
            log->last = seq;
    }
    log->first = log->last + 1;
    /* the first key holding a seq above the trim mark (a run the trim cut
     * through holds records below it) */
    for (store_iter_seek(it, key, stream_log_key(log, 1, key)); store_iter_valid(it);
         store_iter_next(it)) {
        k = store_iter_key(it, &klen);
        if (stream_log_key_span(log, k, klen, &kfirst, &seq) != 0)
            break;
        if (seq > log->trimmed) {
            log->first = kfirst > log->trimmed ? kfirst : log->trimmed + 1;
            break;
        }
    }
    log->next = log->last + 1;
    store_iter_destroy(&it);
}

/* The store's id, made (random, RFC 4122 version 4 layout) the first time a
 * log of this store opens, in txn. */
static int store_id_load(stream_log_t *log, store_txn_t *txn)
{
    void *v = NULL;
    size_t vlen = 0;
    uint8_t b[16];

    if (store_get(log->store, log->cf, STORE_ID_KEY, STORE_ID_KLEN, &v, &vlen) == JIJU_OK &&
        vlen == STREAM_STORE_ID_LEN) {
        memcpy(log->store_id, v, vlen);
        log->store_id[vlen] = '\0';
        free(v);
        return JIJU_OK;
    }
    free(v);
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return JIJU_ERR_IO;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(log->store_id, sizeof log->store_id,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return store_txn_put(txn, log->cf, STORE_ID_KEY, STORE_ID_KLEN, log->store_id,
                         STREAM_STORE_ID_LEN);
}

/* A new epoch, durable before any consumer hears of it. */
int stream_log_new_epoch(stream_log_t *log)
{
    uint8_t key[STREAM_LOG_KEY_MAX], meta[16];
    store_txn_t *txn = store_txn_new(log->store);
    int rc = txn ? store_id_load(log, txn) : JIJU_ERR_NOMEM;

    stream_log_meta_put(meta, log->trimmed, log->epoch + 1);
    if (rc == JIJU_OK)
        rc = store_txn_put(txn, log->cf, key, stream_log_key(log, 0, key), meta, sizeof meta);
    if (rc == JIJU_OK)
        rc = store_txn_commit(txn, true);
    if (rc == JIJU_OK)
        log->epoch++;
    store_txn_destroy(&txn);
    return rc;
}

int stream_log_adopt(stream_log_t *log, const char *store_id, uint64_t epoch)
{
    uint8_t key[STREAM_LOG_KEY_MAX], meta[16];
    store_txn_t *txn;
    int rc;

    if (!store_id || strlen(store_id) != STREAM_STORE_ID_LEN)
        return JIJU_ERR_INVALID;
    if (log->next != 1 || log->trimmed)
        return JIJU_ERR_EXISTS;
    if (!(txn = store_txn_new(log->store)))
        return JIJU_ERR_NOMEM;
    stream_log_meta_put(meta, 0, epoch + 1);
    rc = store_txn_put(txn, log->cf, STORE_ID_KEY, STORE_ID_KLEN, store_id, STREAM_STORE_ID_LEN);
    if (rc == JIJU_OK)
        rc = store_txn_put(txn, log->cf, key, stream_log_key(log, 0, key), meta, sizeof meta);
    if (rc == JIJU_OK)
        rc = store_txn_commit(txn, true);
    store_txn_destroy(&txn);
    if (rc == JIJU_OK) {
        memcpy(log->store_id, store_id, STREAM_STORE_ID_LEN + 1);
        log->epoch = epoch + 1;
    }
    return rc;
}

const char *stream_log_store_id(const stream_log_t *log)
{
    return log->store_id;
}

uint64_t stream_log_epoch(const stream_log_t *log)
{
    return log->epoch;
}
