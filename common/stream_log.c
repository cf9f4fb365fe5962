/* stream_log.c - the producer's append-only log (transactional outbox).
 * Keys in STORE_CF_LOG are name '\0' be64(seq), so one column family holds
 * every log of a service and a log is a prefix range.
 *
 * Seq 0 is never a record: its key holds the log's meta, be64(highest seq
 * ever trimmed) be64(epoch), so a log trimmed empty still knows where it
 * stands after a restart (sequence numbers never restart: a consumer would
 * take reused ones for duplicates), and each open is a new epoch of the
 * log's incarnation. The store's id (a random UUID, made once) sits under
 * the key "\0store_id", which no log prefix (a non-empty name) can match.
 *
 * Runs (stream_log_set_runs): a log that gets many small records per txn
 * (notification's references, one per subscriber and event) keeps the
 * records one txn appends under one key, name '\0' be64(first) be64(last),
 * the value a varint length and the bytes of each record in turn: one
 * memtable insert, WAL entry and compaction entry per run instead of per
 * record. Keys still sort by first seq (a run's key after the single key of
 * its first seq, before that of the next), so a log holds both kinds: the
 * records stored one per key before (or alone in their txn) and runs. A
 * trim keeps a run it cuts through; its records below first are never
 * served and go with the run. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"

#define STORE_ID_KEY "\0store_id"
#define STORE_ID_KLEN 9

#define LOG_KEY_MAX 256

/* The run a log is gathering in an open txn (stream_log_set_runs). */
typedef struct log_run {
    store_txn_t *txn;
    uint64_t gen;   /* store_txn_gen(txn) at its first record */
    uint64_t first; /* seq of its first record */
    uint32_t n;
    uint8_t *buf; /* varint length, bytes; per record */
    size_t len, cap;
} log_run;

/* The logs sharing one before-commit hook per txn (a txn takes few hooks,
 * and notification's apply txn appends to every subscriber's log). */
struct stream_log_runs {
    uint32_t max_run;
    stream_log_t **pending; /* logs with a run in some txn */
    size_t n, cap;
};

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
    stream_log_runs_t *runs; /* NULL: one key per record */
    log_run run;
    struct {             /* the stored key read last (stream_log_read walks */
        uint64_t kfirst; /* a run record by record: the webhook worker) */
        uint64_t klast;  /* 0: none */
        uint8_t *val;
        size_t vlen, cap;
    } rcache;
};

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

static size_t log_key(const stream_log_t *log, uint64_t seq, uint8_t *out)
{
    memcpy(out, log->prefix, log->plen);
    store_be64_put(out + log->plen, seq);
    return log->plen + 8;
}

static size_t run_key(const stream_log_t *log, uint64_t first, uint64_t last, uint8_t *out)
{
    memcpy(out, log->prefix, log->plen);
    store_be64_put(out + log->plen, first);
    store_be64_put(out + log->plen + 8, last);
    return log->plen + 16;
}

/* The seqs a stored key of this log holds: one record (first == last, 0
 * for the meta) or a run. -1 for a key of another log. */
static int log_key_span(const stream_log_t *log, const uint8_t *key, size_t klen, uint64_t *first,
                        uint64_t *last)
{
    if (klen < log->plen + 8 || memcmp(key, log->prefix, log->plen) != 0)
        return -1;
    *first = *last = store_be64_get(key + log->plen);
    if (klen == log->plen + 8)
        return 0;
    if (klen != log->plen + 16)
        return -1;
    *last = store_be64_get(key + log->plen + 8);
    return *first > 0 && *last > *first ? 0 : -1;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    for (; v >= 0x80; v >>= 7)
        p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

/* The entry at *off of a run's value: its record, *off moved past it; -1
 * if the value ends or is malformed there. */
static int run_entry(const uint8_t *v, size_t vlen, size_t *off, const uint8_t **rec, size_t *rlen)
{
    uint64_t len = 0;
    size_t o = *off;

    for (int shift = 0;; shift += 7) {
        if (o >= vlen || shift > 63)
            return -1;
        len |= (uint64_t)(v[o] & 0x7f) << shift;
        if (!(v[o++] & 0x80))
            break;
    }
    if (len > vlen - o)
        return -1;
    *rec = v + o;
    *rlen = (size_t)len;
    *off = o + (size_t)len;
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
    uint64_t seq, kfirst;

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
        if (log_key_span(log, k, klen, &kfirst, &seq) == 0 && seq > log->last)
            log->last = seq;
    }
    log->first = log->last + 1;
    /* the first key holding a seq above the trim mark (a run the trim cut
     * through holds records below it) */
    for (store_iter_seek(it, key, log_key(log, 1, key)); store_iter_valid(it);
         store_iter_next(it)) {
        k = store_iter_key(it, &klen);
        if (log_key_span(log, k, klen, &kfirst, &seq) != 0)
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

static void runs_forget(stream_log_runs_t *runs, const stream_log_t *log)
{
    for (size_t i = 0; i < runs->n; i++)
        if (runs->pending[i] == log) {
            runs->pending[i] = runs->pending[--runs->n];
            return;
        }
}

void stream_log_destroy(stream_log_t **logp)
{
    if (!logp || !*logp)
        return;
    if ((*logp)->runs)
        runs_forget((*logp)->runs, *logp);
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
        runs_forget(log->runs, log);
    log->runs = runs;
}

/* The run into its txn: a lone record as the single key it always had. */
static int run_put(stream_log_t *log, store_txn_t *txn)
{
    log_run *r = &log->run;
    uint8_t key[LOG_KEY_MAX];
    const uint8_t *rec;
    size_t off = 0, rlen;
    int rc;

    if (r->n == 1)
        rc = run_entry(r->buf, r->len, &off, &rec, &rlen) == 0
                 ? store_txn_put(txn, log->cf, key, log_key(log, r->first, key), rec, rlen)
                 : JIJU_ERR_CORRUPT;
    else
        rc = store_txn_put(txn, log->cf, key, run_key(log, r->first, r->first + r->n - 1, key),
                           r->buf, r->len);
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

static int run_add(stream_log_t *log, store_txn_t *txn, uint64_t seq, const void *data, size_t len)
{
    stream_log_runs_t *runs = log->runs;
    log_run *r = &log->run;
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
    r->len += varint_put(r->buf + r->len, len);
    if (len)
        memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->n++;
    return JIJU_OK;
}

int stream_log_append(stream_log_t *log, store_txn_t *txn, const void *data, size_t len,
                      uint64_t *seq_out)
{
    uint8_t key[LOG_KEY_MAX];
    uint64_t seq = log->next;
    int rc;

    if (log->runs)
        rc = run_add(log, txn, seq, data, len);
    else
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

/* Record seq in the value of a stored key holding kfirst..klast. */
static int key_record(const uint8_t *val, size_t vlen, uint64_t kfirst, uint64_t klast,
                      uint64_t seq, const uint8_t **rec, size_t *len)
{
    size_t off = 0;

    if (kfirst == klast) {
        *rec = val;
        *len = vlen;
        return 0;
    }
    for (uint64_t s = kfirst; s <= seq; s++)
        if (run_entry(val, vlen, &off, rec, len) != 0)
            return -1;
    return 0;
}

/* The stored bytes of record seq (malloc'd). A run read is kept (a copy):
 * the next seqs of it are read from memory. */
static int log_get(stream_log_t *log, uint64_t seq, void **data, size_t *len)
{
    uint8_t key[LOG_KEY_MAX];
    stream_log_iter_t *it;
    const uint8_t *rec = NULL;
    int rc = JIJU_ERR_NOT_FOUND;

    if (!log->runs)
        return store_get(log->store, log->cf, key, log_key(log, seq, key), data, len);
    if (!(log->rcache.klast && log->rcache.kfirst <= seq && seq <= log->rcache.klast)) {
        if (!(it = stream_log_iter(log, seq)))
            return JIJU_ERR_NOMEM;
        log->rcache.klast = 0;
        if (it->valid && it->kfirst <= seq && seq <= it->klast) {
            if (log->rcache.cap < it->vlen) {
                uint8_t *b = realloc(log->rcache.val, it->vlen);
                if (b) {
                    log->rcache.val = b;
                    log->rcache.cap = it->vlen;
                }
            }
            if (log->rcache.cap >= it->vlen) {
                if (it->vlen)
                    memcpy(log->rcache.val, it->val, it->vlen);
                log->rcache.vlen = it->vlen;
                log->rcache.kfirst = it->kfirst;
                log->rcache.klast = it->klast;
            }
        }
        stream_log_iter_destroy(&it);
        if (!log->rcache.klast)
            return rc;
    }
    if (key_record(log->rcache.val, log->rcache.vlen, log->rcache.kfirst, log->rcache.klast, seq,
                   &rec, len) != 0)
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
    uint8_t key[LOG_KEY_MAX];
    store_iter_t *it = store_iter_new(log->store, log->cf);
    int rc = it ? JIJU_OK : JIJU_ERR_NOMEM;

    if (it)
        store_iter_seek(it, key, log_key(log, 1, key));
    for (; rc == JIJU_OK && it && store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const uint8_t *k = store_iter_key(it, &klen);
        uint64_t kf, kl;
        if (log_key_span(log, k, klen, &kf, &kl) != 0 || kl > upto)
            break;
        rc = store_txn_del(txn, log->cf, k, klen);
    }
    store_iter_destroy(&it);
    return rc;
}

int stream_log_trim(stream_log_t *log, store_txn_t *txn, uint64_t upto)
{
    uint8_t key[LOG_KEY_MAX], meta[16];
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

/* ---- iteration ---- */

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
        if (log_key_span(it->log, k, klen, &it->kfirst, &it->klast) != 0 || it->kfirst == 0)
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
    if (run_entry(it->val, it->vlen, &it->off, &it->rec, &it->rlen) != 0) {
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
    uint8_t key[LOG_KEY_MAX];
    size_t rest = it->vlen - it->copied;

    if (!it->rebuilding)
        return;
    it->rebuilding = 0;
    if (it->rc != JIJU_OK || (it->rc = iter_grow(it, rest)) != JIJU_OK)
        return;
    memcpy(it->nbuf + it->nlen, it->val + it->copied, rest);
    it->nlen += rest;
    it->rc = store_txn_put(it->txn, it->log->cf, key, run_key(it->log, it->kfirst, it->klast, key),
                           it->nbuf, it->nlen);
}

/* Whether the key at it is this log's and starts at seq. */
static int key_starts(const stream_log_t *log, store_iter_t *it, uint64_t seq)
{
    size_t klen;
    const uint8_t *k = store_iter_key(it, &klen);
    uint64_t kf, kl;

    return log_key_span(log, k, klen, &kf, &kl) == 0 && kf == seq;
}

stream_log_iter_t *stream_log_iter(stream_log_t *log, uint64_t from)
{
    uint8_t key[LOG_KEY_MAX];
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
    store_iter_seek(it->it, key, log_key(log, from, key));
    if (!store_iter_valid(it->it) || !key_starts(log, it->it, from)) {
        const uint8_t *k = NULL;
        store_iter_seek_prev(it->it, key, run_key(log, from, UINT64_MAX, key));
        if (store_iter_valid(it->it))
            k = store_iter_key(it->it, &klen);
        if (!k || log_key_span(log, k, klen, &kf, &kl) != 0 || kf == 0 || kl < from)
            store_iter_seek(it->it, key, log_key(log, from, key));
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
    uint8_t key[LOG_KEY_MAX];
    size_t before;

    if (!it->valid)
        return JIJU_ERR_NOT_FOUND;
    it->log->rcache.klast = 0;   /* it held the form replaced */
    if (it->kfirst == it->klast) /* a record stored alone */
        return store_txn_put(txn, it->log->cf, key, log_key(it->log, it->seq, key), data, len);
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
    it->nlen += varint_put(it->nbuf + it->nlen, len);
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
