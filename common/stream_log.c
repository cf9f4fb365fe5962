/* stream_log.c - the producer's append-only log (transactional outbox).
 * Keys in STORE_CF_LOG are name '\0' be64(seq), so one column family holds
 * every log of a service and a log is a prefix range. */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define LOG_KEY_MAX 256

struct stream_log {
    store_t *store;
    int cf;
    char *name;
    uint8_t prefix[LOG_KEY_MAX];
    size_t plen;
    uint64_t first; /* lowest retained */
    uint64_t last;  /* highest committed */
    uint64_t next;  /* next to assign (counts uncommitted appends) */
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

static void log_recover(stream_log_t *log)
{
    uint8_t key[LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);
    const uint8_t *k;
    size_t klen;
    uint64_t seq;

    log->last = 0;
    store_iter_seek_prev(it, key, log_key(log, UINT64_MAX, key));
    if (store_iter_valid(it)) {
        k = store_iter_key(it, &klen);
        if (log_key_seq(log, k, klen, &seq) == 0)
            log->last = seq;
    }
    log->first = log->last + 1;
    store_iter_seek(it, key, log_key(log, 0, key));
    if (store_iter_valid(it)) {
        k = store_iter_key(it, &klen);
        if (log_key_seq(log, k, klen, &seq) == 0)
            log->first = seq;
    }
    log->next = log->last + 1;
    store_iter_destroy(&it);
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
    memcpy(log->prefix, name, n + 1); /* the '\0' ends the prefix: "sub/a" is not a prefix of "sub/ab" */
    log->plen = n + 1;
    log_recover(log);
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

int stream_log_read(stream_log_t *log, uint64_t seq, void **data, size_t *len)
{
    uint8_t key[LOG_KEY_MAX];

    if (seq == 0 || seq > log->last)
        return JIJU_ERR_NOT_FOUND;
    return store_get(log->store, log->cf, key, log_key(log, seq, key), data, len);
}

int stream_log_trim(stream_log_t *log, store_txn_t *txn, uint64_t upto)
{
    uint8_t key[LOG_KEY_MAX];

    if (upto > log->last)
        upto = log->last;
    for (uint64_t s = log->first; s <= upto; s++) {
        int rc = store_txn_del(txn, log->cf, key, log_key(log, s, key));
        if (rc != JIJU_OK)
            return rc;
    }
    if (upto >= log->first)
        log->first = upto + 1;
    return JIJU_OK;
}

/* Iteration for senders: the stream module reads ranges with an iterator. */
store_iter_t *stream_log_iter(stream_log_t *log, uint64_t from)
{
    uint8_t key[LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);

    if (it)
        store_iter_seek(it, key, log_key(log, from, key));
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
