/* stream_log.c - the producer's append-only log (transactional outbox).
 * Keys in STORE_CF_LOG are name '\0' be64(seq), so one column family holds
 * every log of a service and a log is a prefix range.
 *
 * Seq 0 is never a record: its key holds the log's meta, be64(highest seq
 * ever trimmed) be64(epoch), so a log trimmed empty still knows where it
 * stands after a restart (sequence numbers never restart: a consumer would
 * take reused ones for duplicates), and each open is a new epoch of the
 * log's incarnation. The store's id (a random UUID, made once) sits under
 * the key "\0store_id", which no log prefix (a non-empty name) can match. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"

#define STORE_ID_KEY "\0store_id"
#define STORE_ID_KLEN 9

#define LOG_KEY_MAX 256

struct stream_log {
    store_t *store;
    int cf;
    char *name;
    uint8_t prefix[LOG_KEY_MAX];
    size_t plen;
    uint64_t first;   /* lowest retained */
    uint64_t last;    /* highest committed */
    uint64_t next;    /* next to assign (counts uncommitted appends) */
    uint64_t trimmed; /* highest seq ever trimmed (persisted at seq 0) */
    uint64_t epoch;   /* opens of this log, this one included */
    char store_id[STREAM_STORE_ID_LEN + 1];
    stream_resolve_fn resolve; /* stored bytes -> served bytes; NULL: the same */
    void *resolve_arg;
};

static size_t log_key(const stream_log_t *log, uint64_t seq, uint8_t *out)
{
    memcpy(out, log->prefix, log->plen);
    store_be64_put(out + log->plen, seq);
    return log->plen + 8;
}

static int log_key_seq(const stream_log_t *log, const uint8_t *key, size_t klen, uint64_t *seq)
{
    if (klen != log->plen + 8 || memcmp(key, log->prefix, log->plen) != 0)
        return -1;
    *seq = store_be64_get(key + log->plen);
    return 0;
}

static void log_meta_put(uint8_t out[16], uint64_t trimmed, uint64_t epoch)
{
    store_be64_put(out, trimmed);
    store_be64_put(out + 8, epoch);
}

static void log_recover(stream_log_t *log)
{
    uint8_t key[LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);
    const uint8_t *k;
    void *meta = NULL;
    size_t klen, mlen = 0;
    uint64_t seq;

    if (store_get(log->store, log->cf, key, log_key(log, 0, key), &meta, &mlen) == JIJU_OK &&
        mlen == 16) {
        log->trimmed = store_be64_get(meta);
        log->epoch = store_be64_get((uint8_t *)meta + 8);
    }
    free(meta);
    log->last = log->trimmed;
    store_iter_seek_prev(it, key, log_key(log, UINT64_MAX, key));
    if (store_iter_valid(it)) {
        k = store_iter_key(it, &klen);
        if (log_key_seq(log, k, klen, &seq) == 0 && seq > log->last)
            log->last = seq;
    }
    log->first = log->last + 1;
    store_iter_seek(it, key, log_key(log, 1, key));
    if (store_iter_valid(it)) {
        k = store_iter_key(it, &klen);
        if (log_key_seq(log, k, klen, &seq) == 0 && seq > log->trimmed)
            log->first = seq;
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
static int log_new_epoch(stream_log_t *log)
{
    uint8_t key[LOG_KEY_MAX], meta[16];
    store_txn_t *txn = store_txn_new(log->store);
    int rc = txn ? store_id_load(log, txn) : JIJU_ERR_NOMEM;

    log_meta_put(meta, log->trimmed, log->epoch + 1);
    if (rc == JIJU_OK)
        rc = store_txn_put(txn, log->cf, key, log_key(log, 0, key), meta, sizeof meta);
    if (rc == JIJU_OK)
        rc = store_txn_commit(txn, true);
    if (rc == JIJU_OK)
        log->epoch++;
    store_txn_destroy(&txn);
    return rc;
}

stream_log_t *stream_log_open(store_t *store, const char *name)
{
    size_t n = strlen(name);
    stream_log_t *log;

    if (n == 0 || n + 1 + 8 > LOG_KEY_MAX || store_cf(store, STORE_CF_LOG) < 0)
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
    log_recover(log);
    if (!log->name || log_new_epoch(log) != JIJU_OK)
        stream_log_destroy(&log);
    return log;
}

void stream_log_destroy(stream_log_t **logp)
{
    if (!logp || !*logp)
        return;
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

int stream_log_adopt(stream_log_t *log, const char *store_id, uint64_t epoch)
{
    uint8_t key[LOG_KEY_MAX], meta[16];
    store_txn_t *txn;
    int rc;

    if (!store_id || strlen(store_id) != STREAM_STORE_ID_LEN)
        return JIJU_ERR_INVALID;
    if (log->next != 1 || log->trimmed)
        return JIJU_ERR_EXISTS;
    if (!(txn = store_txn_new(log->store)))
        return JIJU_ERR_NOMEM;
    log_meta_put(meta, 0, epoch + 1);
    rc = store_txn_put(txn, log->cf, STORE_ID_KEY, STORE_ID_KLEN, store_id, STREAM_STORE_ID_LEN);
    if (rc == JIJU_OK)
        rc = store_txn_put(txn, log->cf, key, log_key(log, 0, key), meta, sizeof meta);
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
    uint8_t key[LOG_KEY_MAX];
    uint64_t seq = log->next;
    int rc;

    rc = store_txn_put(txn, log->cf, key, log_key(log, seq, key), data, len);
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

int stream_log_read(stream_log_t *log, uint64_t seq, void **data, size_t *len)
{
    uint8_t key[LOG_KEY_MAX];
    const uint8_t *out;
    void *raw = NULL, *copy;
    size_t rlen = 0, olen;
    int rc;

    if (seq == 0 || seq > log->last)
        return JIJU_ERR_NOT_FOUND;
    rc = store_get(log->store, log->cf, key, log_key(log, seq, key), &raw, &rlen);
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

int stream_log_rewrite(stream_log_t *log, store_txn_t *txn, uint64_t seq, const void *data,
                       size_t len)
{
    uint8_t key[LOG_KEY_MAX];

    if (seq < log->first || seq > log->last || seq == 0)
        return JIJU_ERR_NOT_FOUND;
    return store_txn_put(txn, log->cf, key, log_key(log, seq, key), data, len);
}

int stream_log_trim(stream_log_t *log, store_txn_t *txn, uint64_t upto)
{
    uint8_t key[LOG_KEY_MAX], meta[16];
    int rc;

    if (upto > log->last)
        upto = log->last;
    if (upto < log->first)
        return JIJU_OK;
    for (uint64_t s = log->first; s <= upto; s++)
        if ((rc = store_txn_del(txn, log->cf, key, log_key(log, s, key))) != JIJU_OK)
            return rc;
    /* the mark goes with the deletes: a log trimmed empty keeps its place */
    log_meta_put(meta, upto, log->epoch);
    if ((rc = store_txn_put(txn, log->cf, key, log_key(log, 0, key), meta, sizeof meta)) != JIJU_OK)
        return rc;
    log->first = upto + 1;
    if (upto > log->trimmed)
        log->trimmed = upto;
    return JIJU_OK;
}

/* Iteration for senders: the stream module reads ranges with an iterator. */
store_iter_t *stream_log_iter(stream_log_t *log, uint64_t from)
{
    uint8_t key[LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);

    if (it) /* seq 0 is the meta, never a record */
        store_iter_seek(it, key, log_key(log, from ? from : 1, key));
    return it;
}

int stream_log_iter_seq(const stream_log_t *log, store_iter_t *it, uint64_t *seq)
{
    const uint8_t *k;
    size_t klen;

    if (!store_iter_valid(it))
        return -1;
    k = store_iter_key(it, &klen);
    return log_key_seq(log, k, klen, seq);
}
