/* rpc_failover.c - attempts and failover (rpc_int.h): each send has a
 * deadline; a request whose deadline passes, or whose connection dropped,
 * is sent again to the next endpoint with the others waiting on that
 * socket, and after 2 * n_endpoints attempts it fails. */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "rpc_int.h"

static int rpc_try_send(rpc_t *r, rpc_req *q, size_t i)
{
    if (zmq_send(r->eps[i].sock, q->data, q->len, ZMQ_DONTWAIT) < 0)
        return -1;
    rpc_list_remove(rpc_queue_of(r, q), q, LINK_QUEUE);
    q->ep = (int)i;
    q->next_ep = (int)((i + 1) % r->n);
    rpc_list_push(&r->eps[i].queue, q, LINK_QUEUE);
    return 0;
}

/* One attempt: a fresh deadline, then the first endpoint from q->next_ep that
 * takes the message without blocking; if none does, wait in r->unsent. The
 * request must be in no queue list on entry. */
void rpc_dispatch(rpc_t *r, rpc_req *q, int64_t now)
{
    size_t start = (size_t)q->next_ep;

    q->attempts++;
    q->deadline = now + r->timeout_ms;
    rpc_list_push(&r->by_time, q, LINK_TIME);
    q->ep = -1;
    rpc_list_push(&r->unsent, q, LINK_QUEUE);
    for (size_t k = 0; k < r->n; k++)
        if (rpc_try_send(r, q, (start + k) % r->n) == 0)
            return;
}

/* Out of attempts: keep only the id, in r->failed. */
static void rpc_fail(rpc_t *r, rpc_req *q)
{
    r->last_failure = q->dropped >= q->attempts ? JIJU_ERR_TOO_LARGE : JIJU_ERR_TIMEOUT;
    rpc_table_del(r, q->id);
    rpc_list_remove(&r->by_time, q, LINK_TIME);
    free(q->data);
    q->data = NULL;
    rpc_list_push(&r->failed, q, LINK_QUEUE);
}

/* Re-send q (already out of its queue list) to the next endpoint, or fail it. */
static void rpc_retry(rpc_t *r, rpc_req *q, int64_t now)
{
    if (q->attempts >= (int)(2 * r->n)) {
        rpc_fail(r, q);
        return;
    }
    rpc_list_remove(&r->by_time, q, LINK_TIME);
    rpc_dispatch(r, q, now);
}

static void rpc_bounce_endpoint(rpc_t *r, rpc_ep *e, int64_t now)
{
    rpc_list moved = e->queue;

    /* The queue is taken whole first: retries may send to this endpoint's
     * fresh socket again and must not be bounced twice. */
    memset(&e->queue, 0, sizeof e->queue);
    rpc_socket_renew(r, e);
    while (moved.head) {
        rpc_req *q = moved.head;

        rpc_list_remove(&moved, q, LINK_QUEUE);
        q->ep = -1;
        rpc_retry(r, q, now);
    }
}

/* Handle requests whose deadline passed: their sockets are renewed and every
 * request on those sockets is re-sent elsewhere; expired unsent ones retry. */
void rpc_sweep(rpc_t *r, int64_t now)
{
    int any = 0;

    for (rpc_req *q = r->by_time.head; q && q->deadline <= now; q = q->link[LINK_TIME].next) {
        if (q->ep >= 0)
            r->eps[q->ep].stale = 1;
        any = 1;
    }
    for (size_t i = 0; i < r->n; i++)
        any |= r->eps[i].stale; /* dropped by the monitor */
    if (!any)
        return;
    for (size_t i = 0; i < r->n; i++) {
        if (r->eps[i].stale) {
            r->eps[i].stale = 0;
            rpc_bounce_endpoint(r, &r->eps[i], now);
        }
    }
    while (r->unsent.head && r->unsent.head->deadline <= now) {
        rpc_req *q = r->unsent.head;

        rpc_list_remove(&r->unsent, q, LINK_QUEUE);
        rpc_retry(r, q, now);
    }
}

/* Socket i became writable: hand it waiting requests, each with a deadline
 * counted from now. */
void rpc_flush_unsent(rpc_t *r, size_t i, int64_t now)
{
    while (r->unsent.head) {
        rpc_req *q = r->unsent.head;

        if (rpc_try_send(r, q, i) != 0)
            return;
        rpc_list_remove(&r->by_time, q, LINK_TIME);
        q->deadline = now + r->timeout_ms;
        rpc_list_push(&r->by_time, q, LINK_TIME);
    }
}
