/* rpc_table.c - where the rpc client keeps a pending request (rpc_int.h):
 * the intrusive lists (the deadline list, an endpoint's queue, the unsent
 * and the failed) and the id table, open addressing with tombstones, so
 * rpc_done costs O(1) however many requests are pipelined. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rpc_int.h"

/* Tombstone of a removed table slot: keeps probe chains intact. */
static rpc_req rpc_tomb;

/* ---- intrusive lists ---- */

void rpc_list_push(rpc_list *l, rpc_req *q, int w)
{
    q->link[w].prev = l->tail;
    q->link[w].next = NULL;
    if (l->tail)
        l->tail->link[w].next = q;
    else
        l->head = q;
    l->tail = q;
    l->count++;
}

void rpc_list_remove(rpc_list *l, rpc_req *q, int w)
{
    if (q->link[w].prev)
        q->link[w].prev->link[w].next = q->link[w].next;
    else
        l->head = q->link[w].next;
    if (q->link[w].next)
        q->link[w].next->link[w].prev = q->link[w].prev;
    else
        l->tail = q->link[w].prev;
    q->link[w].prev = q->link[w].next = NULL;
    l->count--;
}

rpc_list *rpc_queue_of(rpc_t *r, const rpc_req *q)
{
    return q->ep >= 0 ? &r->eps[q->ep].queue : &r->unsent;
}

/* ---- id table ---- */

static uint64_t rpc_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Slot holding id, or the empty slot where a probe for it ends. */
static size_t rpc_slot(const rpc_t *r, const char *id, int *found)
{
    size_t mask = r->cap - 1;
    size_t i = (size_t)rpc_hash(id) & mask;
    size_t first_tomb = r->cap;

    for (;; i = (i + 1) & mask) {
        rpc_req *q = r->slots[i];

        if (q == NULL) {
            *found = 0;
            return first_tomb < r->cap ? first_tomb : i;
        }
        if (q == &rpc_tomb) {
            if (first_tomb == r->cap)
                first_tomb = i;
        } else if (strcmp(q->id, id) == 0) {
            *found = 1;
            return i;
        }
    }
}

int rpc_table_grow(rpc_t *r)
{
    size_t cap = 64;
    rpc_req **old = r->slots;
    size_t old_cap = r->cap;

    while ((r->used + 1) * 2 > cap)
        cap *= 2;
    r->slots = calloc(cap, sizeof *r->slots);
    if (r->slots == NULL) {
        r->slots = old;
        return JIJU_ERR_NOMEM;
    }
    r->cap = cap;
    r->tombs = 0;
    for (size_t i = 0; i < old_cap; i++) {
        int found;

        if (old[i] != NULL && old[i] != &rpc_tomb)
            r->slots[rpc_slot(r, old[i]->id, &found)] = old[i];
    }
    free(old);
    return 0;
}

rpc_req *rpc_table_get(const rpc_t *r, const char *id)
{
    int found;
    size_t i = rpc_slot(r, id, &found);

    return found ? r->slots[i] : NULL;
}

/* id must not be present. */
int rpc_table_put(rpc_t *r, rpc_req *q)
{
    int found;
    size_t i;

    if ((r->used + r->tombs + 1) * 4 > r->cap * 3 && rpc_table_grow(r) != 0)
        return JIJU_ERR_NOMEM;
    i = rpc_slot(r, q->id, &found);
    if (r->slots[i] == &rpc_tomb)
        r->tombs--;
    r->slots[i] = q;
    r->used++;
    return 0;
}

void rpc_table_del(rpc_t *r, const char *id)
{
    int found;
    size_t i = rpc_slot(r, id, &found);

    if (!found)
        return;
    r->slots[i] = &rpc_tomb;
    r->used--;
    r->tombs++;
}

void rpc_req_free(rpc_req **qp)
{
    if (*qp == NULL)
        return;
    free((*qp)->id);
    free((*qp)->data);
    free(*qp);
    *qp = NULL;
}
