/* rpc_table.c - where the rpc client keeps a pending request (rpc_int.h):
 * the intrusive lists (the deadline list, an endpoint's queue, the unsent
 * and the failed) and the id table (an hmap from id to request), so
 * rpc_done costs O(1) however many requests are pipelined. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rpc_int.h"

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

/* ---- id table: common/hmap.c, id -> the request ---- */

rpc_req *rpc_table_get(const rpc_t *r, const char *id)
{
    rpc_req *const *v = hmap_get(r->ids, id, strlen(id));

    return v ? *v : NULL;
}

/* id must not be present. */
int rpc_table_put(rpc_t *r, rpc_req *q)
{
    return hmap_put(r->ids, q->id, strlen(q->id), &q);
}

void rpc_table_del(rpc_t *r, const char *id)
{
    (void)hmap_del(r->ids, id, strlen(id)); /* absent: nothing to do */
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
