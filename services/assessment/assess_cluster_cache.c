/* assess_cluster_cache.c - the registry's clusters held in memory, packed,
 * beside the store that stays the truth.
 *
 * Every applied report reads its cluster (status, category and county for
 * the event's routing): a point read through the txn, 4% of assessment's
 * samples at saturation (docs/benchmarks.md "Session 7"), for a record
 * that changes only by a registry command or an elimination.
 *
 * Two tables:
 *  committed  id -> the packed cluster as committed. A put invalidates the
 *             id's entry at once (a later miss reads the store through
 *             its txn and fills it again).
 *  pending    id -> the packed cluster as one txn (at one store_txn_gen)
 *             wrote it: served to that txn only, moved into committed by
 *             the txn's commit hook (store_txn_on_commit). A txn destroyed
 *             without commit drops its hook, and its pending entries are
 *             never served again (another txn or generation finds them
 *             stale and drops them).
 * So the cache never shows one txn another's uncommitted write, nor a
 * write that was never committed; after a restart (or kill -9) it starts
 * empty and fills from the store. Should a second txn write a cluster
 * while another still holds pending writes (assessment never does: each of
 * its txns is filled and committed within one handler of the one loop
 * thread, and a failed commit ends the process), the cache turns itself
 * off for good and every read goes to the store, as before.
 *
 * Bounded: at most ASSESS_CLUSTER_CACHE_BYTES of packed clusters (about
 * 100,000 clusters); beyond it ids are read through. */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "hmap.h"

#define ASSESS_CLUSTER_CACHE_BYTES (32u * 1024 * 1024)

typedef struct cc_slot {
    char *id;     /* owned, NUL terminated */
    uint8_t *buf; /* owned packed cluster; NULL: invalid (read the store) */
    size_t len;
} cc_slot;

typedef struct cc_table {
    hmap_t *index; /* id -> uint32 slot */
    cc_slot *slots;
    size_t n, cap;
} cc_table;

struct assess_cluster_cache {
    cc_table committed, pending;
    store_txn_t *txn; /* whose writes pending holds, at gen */
    uint64_t gen;
    size_t bytes; /* held by committed's buffers */
    bool off;
};

static void table_clear(cc_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->slots[i].id);
        free(t->slots[i].buf);
    }
    t->n = 0;
    if (t->index)
        hmap_clear(t->index);
}

static void table_free(cc_table *t)
{
    table_clear(t);
    free(t->slots);
    hmap_destroy(&t->index);
}

static cc_slot *table_find(const cc_table *t, const char *id)
{
    uint32_t *i = t->index ? hmap_get(t->index, id, strlen(id)) : NULL;

    return i ? &t->slots[*i] : NULL;
}

/* The slot of id, made (invalid) if absent; NULL: no memory. */
static cc_slot *table_slot(cc_table *t, const char *id)
{
    cc_slot *s = table_find(t, id);
    uint32_t i;

    if (s)
        return s;
    if (!t->index && !(t->index = hmap_new(sizeof(uint32_t))))
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        cc_slot *grown = realloc(t->slots, cap * sizeof *grown);
        if (!grown)
            return NULL;
        t->slots = grown;
        t->cap = cap;
    }
    i = (uint32_t)t->n;
    if (!(t->slots[i].id = strdup(id)))
        return NULL;
    if (hmap_put(t->index, id, strlen(id), &i) != JIJU_OK) {
        free(t->slots[i].id);
        return NULL;
    }
    t->slots[i].buf = NULL;
    t->slots[i].len = 0;
    t->n++;
    return &t->slots[i];
}

static void slot_set(cc_slot *s, uint8_t *buf, size_t len)
{
    free(s->buf);
    s->buf = buf;
    s->len = len;
}

static assess_cluster_cache *cache_of(assess_t *a)
{
    if (!a->clusters && !(a->clusters = calloc(1, sizeof *a->clusters)))
        return NULL;
    return a->clusters->off ? NULL : a->clusters;
}

/* Off for good: every read and write goes to the store. */
static void cache_off(assess_cluster_cache *c)
{
    table_free(&c->committed);
    table_free(&c->pending);
    c->bytes = 0;
    c->off = true;
}

/* Does pending belong to txn as it is now? Stale pending entries (a txn
 * destroyed uncommitted, or a generation gone) are dropped. */
static bool pending_for(assess_cluster_cache *c, store_txn_t *txn)
{
    if (c->pending.n == 0)
        return false;
    return c->txn == txn && c->gen == store_txn_gen(txn);
}

/* Committed's entry for id, replacing what it held (buf owned by it after
 * the call, freed if it cannot be kept). */
static void committed_set(assess_cluster_cache *c, const char *id, uint8_t *buf, size_t len)
{
    cc_slot *s = table_find(&c->committed, id);

    if (!s && c->bytes + len > ASSESS_CLUSTER_CACHE_BYTES) {
        free(buf); /* full: read through */
        return;
    }
    if (!s && !(s = table_slot(&c->committed, id))) {
        free(buf);
        cache_off(c); /* no memory: nothing cached can be trusted to be complete */
        return;
    }
    c->bytes -= s->buf ? s->len : 0;
    slot_set(s, buf, len);
    c->bytes += buf ? len : 0;
}

/* store_txn_on_commit: the txn's writes are now the store's. */
static void promote(void *arg)
{
    assess_cluster_cache *c = arg;

    if (c->off)
        return;
    for (size_t i = 0; i < c->pending.n; i++) {
        cc_slot *p = &c->pending.slots[i];
        uint8_t *buf = p->buf;

        p->buf = NULL; /* committed's now (committed_set may free pending) */
        committed_set(c, p->id, buf, p->len);
        if (c->off)
            return;
    }
    table_clear(&c->pending);
    c->txn = NULL;
}

int assess_cluster_cache_get(assess_t *a, store_txn_t *txn, const char *id, uint8_t **buf,
                             size_t *len)
{
    assess_cluster_cache *c = cache_of(a);
    cc_slot *s;

    if (!c)
        return 0;
    if (pending_for(c, txn) && (s = table_find(&c->pending, id))) {
        *buf = s->buf;
        *len = s->len;
        return 1;
    }
    if ((s = table_find(&c->committed, id)) && s->buf) {
        *buf = s->buf;
        *len = s->len;
        return 1;
    }
    return 0;
}

void assess_cluster_cache_fill(assess_t *a, store_txn_t *txn, const char *id, const uint8_t *val,
                               size_t len)
{
    assess_cluster_cache *c = cache_of(a);
    uint8_t *copy;

    /* txn's own write would be in pending; another txn's pending write of
     * id left committed's entry invalid, and its commit sets it */
    if (!c || (pending_for(c, txn) && table_find(&c->pending, id)))
        return;
    if (!(copy = malloc(len ? len : 1)))
        return;
    memcpy(copy, val, len);
    committed_set(c, id, copy, len);
}

void assess_cluster_cache_put(assess_t *a, store_txn_t *txn, const char *id, uint8_t *buf,
                              size_t len)
{
    assess_cluster_cache *c = cache_of(a);
    cc_slot *s;

    if (!c) {
        free(buf);
        return;
    }
    if (c->pending.n > 0 && !pending_for(c, txn)) {
        /* another txn's writes, or those of one destroyed uncommitted: which,
         * cannot be told, so nothing is trusted (see the top) */
        free(buf);
        cache_off(c);
        return;
    }
    if (c->pending.n == 0) {
        c->txn = txn;
        c->gen = store_txn_gen(txn);
        if (store_txn_on_commit(txn, promote, c) != JIJU_OK) {
            free(buf);
            cache_off(c);
            return;
        }
    }
    if ((s = table_find(&c->committed, id)) && s->buf) { /* stale from now on */
        c->bytes -= s->len;
        slot_set(s, NULL, 0);
    }
    if (!(s = table_slot(&c->pending, id))) {
        free(buf);
        cache_off(c);
        return;
    }
    slot_set(s, buf, len);
}

void assess_cluster_cache_free(assess_t *a)
{
    if (!a->clusters)
        return;
    table_free(&a->clusters->committed);
    table_free(&a->clusters->pending);
    free(a->clusters);
    a->clusters = NULL;
}
