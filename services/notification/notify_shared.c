/* notify_shared.c - the shared log of routed events and the references to
 * it that subscriber logs hold (see notify_shared.h). */
#include "notify_shared.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "pb.h"

/* The newest shared records, in memory: the subscribers' sessions read an
 * event just after it was routed, 20 of them for each, and a store lookup
 * each would cost more than the copy. A slot is filled at append, before
 * the txn commits: a txn that does not commit ends the service (stream.h),
 * so a slot never holds a record the store lacks.
 *
 * Bounded in bytes, not only in slots: a slot's buffer used to keep the
 * largest record that ever passed through it, so once provisional rankings
 * (tens of kB at 200 clusters) had landed in every slot the cache held
 * 4096 of them: 149 MB of notification's 344 MB heap after 800,000 reports
 * (heaptrack, docs/benchmarks.md "Soak"). Now a buffer is sized to its
 * record (shrunk when it holds less than half) and all buffers together
 * stay within the budget given at open, the oldest records evicted first;
 * a record larger than the budget is read from the store when served. */
#define CACHE_SLOTS 4096
/* Envelope.seq (field 6, varint): its tag. Written by hand, the varint
 * after it: protobuf-c's pack of an Envelope holding only seq walks every
 * field of the descriptor, 3% of notification's samples for 11 bytes. */
#define STAMP_TAG (ENVELOPE_SEQ_FIELD << 3) /* wire type 0: 0x30 */

typedef struct cache_slot {
    uint64_t seq; /* 0: empty */
    uint8_t *buf;
    size_t len, cap;
} cache_slot;

struct notify_shared {
    stream_log_t *log;
    cache_slot *cache;
    size_t cache_bytes, cache_budget; /* held by the slots' buffers; their bound */
    uint8_t *out;                     /* the last resolved record read from the store */
    size_t out_cap;
};

notify_shared_t *notify_shared_open(store_t *store, size_t cache_bytes)
{
    notify_shared_t *sh = calloc(1, sizeof *sh);

    if (!sh)
        return NULL;
    sh->cache_budget = cache_bytes;
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

size_t notify_shared_cache_bytes(const notify_shared_t *sh)
{
    return sh->cache_bytes;
}

/* Room for need more bytes: the oldest records go first (the slots after
 * slot i, the one being filled, in ring order). A record larger than the
 * whole budget evicts nothing. */
static void cache_evict(notify_shared_t *sh, size_t i, size_t need)
{
    if (need > sh->cache_budget)
        return;
    for (size_t k = 1; k < CACHE_SLOTS && need > sh->cache_budget - sh->cache_bytes; k++) {
        cache_slot *e = &sh->cache[(i + k) % CACHE_SLOTS];

        sh->cache_bytes -= e->cap;
        free(e->buf);
        e->buf = NULL;
        e->cap = 0;
        e->seq = 0;
    }
}

/* Slot i's buffer of exactly need bytes (its old one reused if it holds
 * need and less than twice that), within the budget. 0, or -1 with the slot
 * emptied (its record is then read from the store). */
static int cache_fit(notify_shared_t *sh, size_t i, size_t need)
{
    cache_slot *c = &sh->cache[i];

    c->seq = 0;
    if (c->cap >= need && c->cap / 2 < need)
        return 0;
    sh->cache_bytes -= c->cap;
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
    cache_evict(sh, i, need);
    if (need > sh->cache_budget - sh->cache_bytes || !(c->buf = malloc(need)))
        return -1;
    c->cap = need;
    sh->cache_bytes += need;
    return 0;
}

static void cache_put(notify_shared_t *sh, uint64_t sseq, const uint8_t *env, size_t len)
{
    cache_slot *c = &sh->cache[sseq % CACHE_SLOTS];

    if (cache_fit(sh, sseq % CACHE_SLOTS, len + NOTIFY_STAMP_ROOM) != 0)
        return;
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

/* The shared record sseq, with NOTIFY_STAMP_ROOM bytes of room behind it: in its
 * cache slot, or else read from the store into sh->out. */
static int shared_bytes(notify_shared_t *sh, uint64_t sseq, uint8_t **bytes, size_t *len)
{
    cache_slot *c = &sh->cache[sseq % CACHE_SLOTS];
    void *data = NULL;
    size_t dlen = 0;
    int rc;

    if (c->seq == sseq) {
        *bytes = c->buf;
        *len = c->len;
        return JIJU_OK;
    }
    if ((rc = stream_log_read(sh->log, sseq, &data, &dlen)) != JIJU_OK)
        return rc;
    rc = grow(&sh->out, &sh->out_cap, dlen + NOTIFY_STAMP_ROOM);
    if (rc == JIJU_OK) {
        memcpy(sh->out, data, dlen);
        *bytes = sh->out;
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
    uint64_t sseq;
    uint8_t *bytes = NULL;
    size_t n;
    int rc;

    if (!notify_shared_is_ref(rec, len, &sseq)) {
        *out = rec;
        *out_len = len;
        return JIJU_OK;
    }
    if ((rc = shared_bytes(sh, sseq, &bytes, &n)) != JIJU_OK)
        return rc;
    /* the subscriber's seq, as an Envelope of that one field (at most 11
     * bytes), after the shared bytes: parsed as the merge of the two. In a
     * cache slot it goes into the room behind the record (beyond c->len,
     * so the slot's record is unchanged), overwritten by the next. */
    bytes[n++] = STAMP_TAG;
    n += pb_varint_put(bytes + n, seq);
    *out = bytes;
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
