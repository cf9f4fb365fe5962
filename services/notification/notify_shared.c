/* notify_shared.c - the shared log of routed events and the references to
 * it that subscriber logs hold (see notify_shared.h). */
#include "notify_shared.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jiju/v1/envelope.pb-c.h"

/* The newest shared records, in memory: the subscribers' sessions read an
 * event just after it was routed, 20 of them for each, and a store lookup
 * each would cost more than the copy. A slot is filled at append, before
 * the txn commits: a txn that does not commit ends the service (stream.h),
 * so a slot never holds a record the store lacks. */
#define CACHE_SLOTS 4096

typedef struct cache_slot {
    uint64_t seq; /* 0: empty */
    uint8_t *buf;
    size_t len, cap;
} cache_slot;

struct notify_shared {
    stream_log_t *log;
    cache_slot *cache;
    uint8_t *out; /* the last resolved record */
    size_t out_cap;
};

notify_shared_t *notify_shared_open(store_t *store)
{
    notify_shared_t *sh = calloc(1, sizeof *sh);

    if (!sh)
        return NULL;
    sh->cache = calloc(CACHE_SLOTS, sizeof *sh->cache);
    sh->log = stream_log_open(store, NOTIFY_SHARED_LOG);
    if (!sh->cache || !sh->log)
        notify_shared_destroy(&sh);
    return sh;
}

void notify_shared_destroy(notify_shared_t **shp)
{
    notify_shared_t *sh = shp ? *shp : NULL;

    if (!sh)
        return;
    for (size_t i = 0; sh->cache && i < CACHE_SLOTS; i++)
        free(sh->cache[i].buf);
    free(sh->cache);
    free(sh->out);
    stream_log_destroy(&sh->log);
    free(sh);
    *shp = NULL;
}

stream_log_t *notify_shared_log(notify_shared_t *sh)
{
    return sh->log;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    uint8_t *b;

    if (need <= *cap)
        return JIJU_OK;
    if (!(b = realloc(*buf, need)))
        return JIJU_ERR_NOMEM;
    *buf = b;
    *cap = need;
    return JIJU_OK;
}

static void cache_put(notify_shared_t *sh, uint64_t sseq, const uint8_t *env, size_t len)
{
    cache_slot *c = &sh->cache[sseq % CACHE_SLOTS];

    if (grow(&c->buf, &c->cap, len ? len : 1) != JIJU_OK) {
        c->seq = 0; /* no memory: read from the store instead */
        return;
    }
    memcpy(c->buf, env, len);
    c->len = len;
    c->seq = sseq;
}

int notify_shared_append(notify_shared_t *sh, store_txn_t *txn, const uint8_t *env, size_t len,
                         uint64_t *sseq)
{
    int rc = stream_log_append(sh->log, txn, env, len, sseq);

    if (rc == JIJU_OK)
        cache_put(sh, *sseq, env, len);
    return rc;
}

void notify_shared_ref(uint64_t sseq, uint8_t out[NOTIFY_REF_LEN])
{
    out[0] = 0x00;
    store_be64_put(out + 1, sseq);
}

int notify_shared_is_ref(const uint8_t *rec, size_t len, uint64_t *sseq)
{
    if (len != NOTIFY_REF_LEN || rec[0] != 0x00)
        return 0;
    *sseq = store_be64_get(rec + 1);
    return 1;
}

/* The shared record sseq into sh->out (then room for the seq behind it). */
static int shared_bytes(notify_shared_t *sh, uint64_t sseq, size_t *len)
{
    cache_slot *c = &sh->cache[sseq % CACHE_SLOTS];
    void *data = NULL;
    size_t dlen = 0;
    int rc;

    if (c->seq == sseq) {
        if ((rc = grow(&sh->out, &sh->out_cap, c->len + 16)) != JIJU_OK)
            return rc;
        memcpy(sh->out, c->buf, c->len);
        *len = c->len;
        return JIJU_OK;
    }
    if ((rc = stream_log_read(sh->log, sseq, &data, &dlen)) != JIJU_OK)
        return rc;
    rc = grow(&sh->out, &sh->out_cap, dlen + 16);
    if (rc == JIJU_OK) {
        memcpy(sh->out, data, dlen);
        *len = dlen;
        cache_put(sh, sseq, data, dlen); /* the other subscribers catching up read it too */
    }
    free(data);
    return rc;
}

int notify_shared_resolve(void *arg, uint64_t seq, const uint8_t *rec, size_t len,
                          const uint8_t **out, size_t *out_len)
{
    notify_shared_t *sh = arg;
    Jiju__V1__Envelope stamp = JIJU__V1__ENVELOPE__INIT;
    uint64_t sseq;
    size_t n;
    int rc;

    if (!notify_shared_is_ref(rec, len, &sseq)) {
        *out = rec;
        *out_len = len;
        return JIJU_OK;
    }
    if ((rc = shared_bytes(sh, sseq, &n)) != JIJU_OK)
        return rc;
    /* the subscriber's seq, as an Envelope of that one field (at most 11
     * bytes), after the shared bytes: parsed as the merge of the two */
    stamp.seq = seq;
    n += jiju__v1__envelope__pack(&stamp, sh->out + n);
    *out = sh->out;
    *out_len = n;
    return JIJU_OK;
}

int notify_shared_pin(notify_shared_t *sh, stream_log_t *log, store_txn_t *txn, uint64_t keep_from,
                      uint64_t *scan_from, uint64_t *pin)
{
    uint64_t from = stream_log_first(log), last = stream_log_last(log), seq, sseq;
    stream_log_iter_t *it;
    const uint8_t *v;
    size_t vlen;
    int rc = JIJU_OK;

    *pin = 0;
    if (*scan_from > from)
        from = *scan_from;
    if (from > last)
        return JIJU_OK;
    if (!(it = stream_log_iter(log, from)))
        return JIJU_ERR_NOMEM;
    for (; rc == JIJU_OK && stream_log_iter_get(it, &seq, &v, &vlen) == 0 && seq <= last;
         stream_log_iter_next(it)) {
        size_t olen;
        const uint8_t *whole;

        *scan_from = seq + 1;
        if (!notify_shared_is_ref(v, vlen, &sseq))
            continue;
        if (sseq >= keep_from) {
            *pin = sseq;
            *scan_from = seq;
            break;
        }
        rc = notify_shared_resolve(sh, seq, v, vlen, &whole, &olen);
        if (rc == JIJU_OK) /* a run is written again once, when left */
            rc = stream_log_iter_replace(it, txn, whole, olen);
    }
    if (rc == JIJU_OK)
        rc = stream_log_iter_finish(it);
    stream_log_iter_destroy(&it);
    return rc;
}

int notify_shared_trim(notify_shared_t *sh, store_txn_t *txn, uint64_t upto)
{
    return stream_log_trim(sh->log, txn, upto);
}
