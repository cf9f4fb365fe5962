/* notify_dead.c - dead letters: park, list, redeliver. */
#include "notify_dead.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "paging.h"
#include "pb.h"

int notify_dead_park(notify_subs_t *t, store_txn_t *txn, notify_sub *sub,
                     const Jiju__V1__DeadLetter *dl)
{
    uint8_t key[NOTIFY_ID_MAX + 16];
    size_t klen = notify_dead_key(sub->id, dl->seq, key, sizeof key);
    int rc;

    if (!klen)
        return JIJU_ERR_INVALID;
    rc = pb_txn_put(txn, store_cf(notify_subs_store(t), NOTIFY_CF_DEAD), key, klen, &dl->base);
    if (rc == JIJU_OK)
        sub->st.dead_letters++;
    return rc;
}

/* Calls fn(arg, key, klen, dead letter) for each of sub's from sequence
 * from on, oldest first, while fn returns 0 (DEAD_STOP: stop, not an
 * error) and fewer than limit were visited. */
#define DEAD_STOP 1

static int dead_each(notify_subs_t *t, const notify_sub *sub, uint64_t from, size_t limit,
                     int (*fn)(void *arg, const uint8_t *k, size_t kl, Jiju__V1__DeadLetter *dl),
                     void *arg)
{
    store_t *store = notify_subs_store(t);
    uint8_t key[NOTIFY_ID_MAX + 16];
    size_t plen = strlen(sub->id) + 1, klen = notify_dead_key(sub->id, from, key, sizeof key),
           seen = 0;
    store_iter_t *it = store_iter_new(store, store_cf(store, NOTIFY_CF_DEAD));
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    for (store_iter_seek(it, key, klen); store_iter_valid(it) && seen < limit && rc == JIJU_OK;
         store_iter_next(it), seen++) {
        size_t kl, vl;
        const uint8_t *k = store_iter_key(it, &kl);
        const uint8_t *v = store_iter_value(it, &vl);
        Jiju__V1__DeadLetter *dl;

        if (kl < plen || memcmp(k, key, plen) != 0)
            break;
        if (!(dl = jiju__v1__dead_letter__unpack(NULL, vl, v)))
            continue; /* unreadable: leave it for an operator */
        rc = fn(arg, k, kl, dl);
    }
    store_iter_destroy(&it);
    return rc == DEAD_STOP ? JIJU_OK : rc;
}

typedef struct {
    Jiju__V1__DeadLetter **items;
    size_t n, limit, used, budget;
    int more;
} dead_vec;

/* Take dl while the page has room for it (the first always), else stop
 * and say that more follows. */
static int collect(void *arg, const uint8_t *k, size_t kl, Jiju__V1__DeadLetter *dl)
{
    dead_vec *v = arg;
    size_t bytes = paging_field_bytes(jiju__v1__dead_letter__get_packed_size(dl));
    Jiju__V1__DeadLetter **grown;

    (void)k;
    (void)kl;
    if (v->n == v->limit || (v->n && v->used + bytes > v->budget)) {
        jiju__v1__dead_letter__free_unpacked(dl, NULL);
        v->more = 1;
        return DEAD_STOP;
    }
    if (!(grown = realloc(v->items, (v->n + 1) * sizeof *grown))) {
        jiju__v1__dead_letter__free_unpacked(dl, NULL);
        return JIJU_ERR_NOMEM;
    }
    v->items = grown;
    v->items[v->n++] = dl;
    v->used += bytes;
    return 0;
}

int notify_dead_page(notify_subs_t *t, const notify_sub *sub, uint64_t after, size_t limit,
                     size_t budget, Jiju__V1__DeadLetter ***out, size_t *n, int *more)
{
    dead_vec v = {NULL, 0, limit ? limit : 1, 0, budget, 0};
    int rc = after == UINT64_MAX ? JIJU_OK : dead_each(t, sub, after + 1, SIZE_MAX, collect, &v);

    if (rc != JIJU_OK) {
        for (size_t i = 0; i < v.n; i++)
            jiju__v1__dead_letter__free_unpacked(v.items[i], NULL);
        free(v.items);
        return rc;
    }
    *out = v.items;
    *n = v.n;
    *more = v.more;
    return JIJU_OK;
}

int notify_dead_list(notify_subs_t *t, const notify_sub *sub, size_t limit,
                     Jiju__V1__DeadLetter ***out, size_t *n)
{
    int more;

    return notify_dead_page(t, sub, 0, limit ? limit : PAGING_DEFAULT, SIZE_MAX, out, n, &more);
}

typedef struct {
    notify_route *r;
    notify_sub *sub;
    store_txn_t *txn;
    uint64_t count;
} redeliver_ctx;

static int requeue(void *arg, const uint8_t *k, size_t kl, Jiju__V1__DeadLetter *dl)
{
    redeliver_ctx *c = arg;
    store_t *store = notify_subs_store(c->r->subs);
    Jiju__V1__Envelope *env = envelope_decode(dl->envelope.data, dl->envelope.len);
    int rc = env ? notify_route_append(c->sub, c->txn, env) : JIJU_OK;

    if (rc == JIJU_OK)
        rc = store_txn_del(c->txn, store_cf(store, NOTIFY_CF_DEAD), k, kl);
    if (rc == JIJU_OK && env)
        c->count++;
    envelope_free(&env);
    jiju__v1__dead_letter__free_unpacked(dl, NULL);
    return rc;
}

int notify_dead_redeliver(notify_route *r, notify_sub *sub, uint64_t *count)
{
    redeliver_ctx c = {r, sub, store_txn_new(notify_subs_store(r->subs)), 0};
    notify_state saved = sub->st;
    int rc;

    if (!c.txn)
        return JIJU_ERR_NOMEM;
    rc = dead_each(r->subs, sub, 0, SIZE_MAX, requeue, &c);
    sub->st.dead_letters = 0;
    sub->st.disabled = false;
    sub->st.failures = 0;
    sub->st.next_attempt_ms = 0;
    if (rc == JIJU_OK)
        rc = notify_subs_save_state(r->subs, c.txn, sub);
    /* a failed commit after appends is fatal for the service (stream.h) */
    if (rc == JIJU_OK)
        rc = store_txn_commit(c.txn, true);
    store_txn_destroy(&c.txn);
    if (rc != JIJU_OK) {
        sub->st = saved;
        return rc;
    }
    *count = c.count;
    return JIJU_OK;
}
