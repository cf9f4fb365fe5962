/* notify_dead.c - dead letters: park, list, redeliver. */
#include "notify_dead.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
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

/* Calls fn(arg, key, klen, dead letter) for each of sub's, oldest first,
 * while fn returns 0 and fewer than limit were visited. */
static int dead_each(notify_subs_t *t, const notify_sub *sub, size_t limit,
                     int (*fn)(void *arg, const uint8_t *k, size_t kl, Jiju__V1__DeadLetter *dl),
                     void *arg)
{
    store_t *store = notify_subs_store(t);
    uint8_t key[NOTIFY_ID_MAX + 16];
    size_t plen = strlen(sub->id) + 1, klen = notify_dead_key(sub->id, 0, key, sizeof key),
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
    return rc;
}

typedef struct {
    Jiju__V1__DeadLetter **items;
    size_t n;
} dead_vec;

static int collect(void *arg, const uint8_t *k, size_t kl, Jiju__V1__DeadLetter *dl)
{
    dead_vec *v = arg;
    Jiju__V1__DeadLetter **grown = realloc(v->items, (v->n + 1) * sizeof *grown);

    (void)k;
    (void)kl;
    if (!grown) {
        jiju__v1__dead_letter__free_unpacked(dl, NULL);
        return JIJU_ERR_NOMEM;
    }
    v->items = grown;
    v->items[v->n++] = dl;
    return 0;
}

int notify_dead_list(notify_subs_t *t, const notify_sub *sub, size_t limit,
                     Jiju__V1__DeadLetter ***out, size_t *n)
{
    dead_vec v = {NULL, 0};
    int rc = dead_each(t, sub, limit ? limit : 1000, collect, &v);

    if (rc != JIJU_OK) {
        for (size_t i = 0; i < v.n; i++)
            jiju__v1__dead_letter__free_unpacked(v.items[i], NULL);
        free(v.items);
        return rc;
    }
    *out = v.items;
    *n = v.n;
    return JIJU_OK;
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
    rc = dead_each(r->subs, sub, SIZE_MAX, requeue, &c);
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
