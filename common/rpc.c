/* rpc.c - request/reply client with deadlines and failover (see rpc.h):
 * creation, options, send, done, receive and the blocking call.
 *
 * Every pending request lives in three places: the id table (hmap.c,
 * O(1) rpc_done), the deadline list (one timeout for all, so
 * appending at the tail keeps it sorted and expiry only looks at the head),
 * and the queue of the endpoint it was sent on (or the unsent queue), so a
 * socket that is recreated knows exactly which requests to re-send. Those
 * are rpc_table.c's; the sockets are rpc_socket.c's, attempts and
 * failover rpc_failover.c's (rpc_int.h). */
#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "rpc_int.h"

rpc_t *rpc_new(void *zmq_ctx, const char *const *endpoints, size_t n, int timeout_ms)
{
    rpc_t *r;

    if (zmq_ctx == NULL || endpoints == NULL || n == 0 || timeout_ms < 1)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->ctx = zmq_ctx;
    r->timeout_ms = timeout_ms;
    r->max_reply = RPC_DEFAULT_MAX_REPLY;
    r->eps = calloc(n, sizeof *r->eps);
    if (r->eps == NULL)
        goto out_destroy;
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->eps[i].endpoint = strdup(endpoints[i]);
        if (r->eps[i].endpoint == NULL)
            goto out_destroy;
    }
    if (rpc_open_all(r) != 0 || !(r->ids = hmap_new(sizeof(rpc_req *))))
        goto out_destroy;
    return r;
out_destroy:
    rpc_destroy(&r);
    return NULL;
}

static void rpc_free_list(rpc_list *l)
{
    while (l->head) {
        rpc_req *q = l->head;

        rpc_list_remove(l, q, LINK_QUEUE);
        rpc_req_free(&q);
    }
}

void rpc_destroy(rpc_t **rp)
{
    rpc_t *r;

    if (rp == NULL || *rp == NULL)
        return;
    r = *rp;
    rpc_close_all(r);
    for (size_t i = 0; i < r->n; i++) {
        rpc_free_list(&r->eps[i].queue);
        free(r->eps[i].endpoint);
    }
    rpc_free_list(&r->unsent);
    rpc_free_list(&r->failed);
    free(r->eps);
    hmap_destroy(&r->ids);
    free(r);
    *rp = NULL;
}

int rpc_set_curve(rpc_t *r, const char *server_public, const char *client_public,
                  const char *client_secret)
{
    const char *keys[3] = {server_public, client_public, client_secret};

    if (rpc_pending(r) != 0)
        return JIJU_ERR_INVALID;
    for (int k = 0; k < 3; k++)
        if (keys[k] == NULL || strlen(keys[k]) != 40)
            return JIJU_ERR_INVALID;
    if (!zmq_has("curve"))
        return JIJU_ERR_ZMQ;
    for (int k = 0; k < 3; k++)
        memcpy(r->curve[k], keys[k], 41);
    rpc_close_all(r);
    return rpc_open_all(r) == 0 ? JIJU_OK : JIJU_ERR_ZMQ;
}

int rpc_set_max_reply(rpc_t *r, int64_t bytes)
{
    if (rpc_pending(r) != 0 || bytes < 1)
        return JIJU_ERR_INVALID;
    r->max_reply = bytes;
    rpc_close_all(r);
    return rpc_open_all(r) == 0 ? JIJU_OK : JIJU_ERR_ZMQ;
}

int rpc_send(rpc_t *r, const char *id, const void *req, size_t len)
{
    rpc_req *q;

    if (id == NULL || (req == NULL && len > 0))
        return JIJU_ERR_INVALID;
    if (rpc_table_get(r, id) != NULL)
        return JIJU_ERR_EXISTS;
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return JIJU_ERR_NOMEM;
    q->id = strdup(id);
    q->data = malloc(len ? len : 1);
    if (q->id == NULL || q->data == NULL || rpc_table_put(r, q) != 0)
        goto out_free_req;
    if (len)
        memcpy(q->data, req, len);
    q->len = len;
    q->next_ep = (int)(r->rr++ % r->n);
    rpc_dispatch(r, q, clock_mono_ms());
    return JIJU_OK;
out_free_req:
    if (q->id && rpc_table_get(r, q->id) == q)
        rpc_table_del(r, q->id);
    rpc_req_free(&q);
    return JIJU_ERR_NOMEM;
}

int rpc_done(rpc_t *r, const char *id)
{
    rpc_req *q = rpc_table_get(r, id);

    if (q == NULL)
        return JIJU_ERR_NOT_FOUND;
    rpc_table_del(r, id);
    rpc_list_remove(&r->by_time, q, LINK_TIME);
    rpc_list_remove(rpc_queue_of(r, q), q, LINK_QUEUE);
    rpc_req_free(&q);
    return JIJU_OK;
}

size_t rpc_pending(const rpc_t *r)
{
    return hmap_count(r->ids);
}

int rpc_take_failed(rpc_t *r, char *id_buf, size_t cap)
{
    rpc_req *q = r->failed.head;

    if (q == NULL)
        return JIJU_ERR_NOT_FOUND;
    if (strlen(q->id) >= cap)
        return JIJU_ERR_INVALID;
    memcpy(id_buf, q->id, strlen(q->id) + 1);
    rpc_list_remove(&r->failed, q, LINK_QUEUE);
    rpc_req_free(&q);
    return JIJU_OK;
}

/* Any waiting reply, trying endpoints in turn so none starves. */
static int rpc_read_any(rpc_t *r, uint8_t **reply, size_t *len, int *endpoint)
{
    for (size_t k = 0; k < r->n; k++) {
        size_t i = (r->rd + k) % r->n;
        int rc = rpc_read(r, i, reply, len);

        if (rc == JIJU_ERR_AGAIN)
            continue;
        r->rd = i + 1;
        if (rc == 0 && endpoint)
            *endpoint = (int)i;
        return rc;
    }
    return JIJU_ERR_AGAIN;
}

/* Poll every socket for input (and output while requests wait unsent) until
 * `until` or the earliest deadline; hand writable sockets the unsent. */
static int rpc_wait(rpc_t *r, int64_t until, zmq_pollitem_t *items)
{
    int64_t now = clock_mono_ms();
    int64_t wake = until;
    short out = r->unsent.head ? ZMQ_POLLOUT : 0;

    if (r->by_time.head && r->by_time.head->deadline < wake)
        wake = r->by_time.head->deadline;
    for (size_t i = 0; i < r->n; i++) {
        items[i] = (zmq_pollitem_t){.socket = r->eps[i].sock, .events = (short)(ZMQ_POLLIN | out)};
        items[r->n + i] = (zmq_pollitem_t){.socket = r->eps[i].mon, .events = ZMQ_POLLIN};
    }
    if (zmq_poll(items, (int)(2 * r->n), wake > now ? (long)(wake - now) : 0) < 0)
        return errno == EINTR ? JIJU_OK : JIJU_ERR_ZMQ;
    now = clock_mono_ms();
    for (size_t i = 0; i < r->n; i++) {
        if (items[r->n + i].revents & ZMQ_POLLIN)
            rpc_monitor_read(&r->eps[i]);
        if (items[i].revents & ZMQ_POLLOUT)
            rpc_flush_unsent(r, i, now);
    }
    return JIJU_OK;
}

int rpc_recv(rpc_t *r, int timeout_ms, uint8_t **reply, size_t *len, int *endpoint)
{
    int64_t until = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t failed_before = r->failed.count;
    zmq_pollitem_t *items = calloc(2 * r->n, sizeof *items);
    int rc;

    if (items == NULL)
        return JIJU_ERR_NOMEM;
    for (;;) {
        int64_t now = clock_mono_ms();

        rc = rpc_read_any(r, reply, len, endpoint);
        if (rc != JIJU_ERR_AGAIN)
            break;
        rpc_sweep(r, now);
        rc = r->failed.count > failed_before ? JIJU_ERR_TIMEOUT
             : hmap_count(r->ids) == 0       ? JIJU_ERR_NOT_FOUND
             : now >= until                  ? JIJU_ERR_TIMEOUT
                                             : JIJU_OK;
        if (rc != JIJU_OK)
            break;
        rc = rpc_wait(r, until, items);
        if (rc != JIJU_OK)
            break;
    }
    free(items);
    return rc;
}

/* Remove a specific failed id (rpc_call's own) from r->failed. */
static int rpc_failed_remove(rpc_t *r, const char *id)
{
    for (rpc_req *q = r->failed.head; q; q = q->link[LINK_QUEUE].next) {
        if (strcmp(q->id, id) == 0) {
            rpc_list_remove(&r->failed, q, LINK_QUEUE);
            rpc_req_free(&q);
            return 1;
        }
    }
    return 0;
}

int rpc_call(rpc_t *r, const void *req, size_t len, uint8_t **reply, size_t *rlen)
{
    char id[48];
    int rc;

    if (rpc_pending(r) != 0)
        return JIJU_ERR_INVALID;
    snprintf(id, sizeof id, "rpc_call/%llu", (unsigned long long)++r->call_seq);
    rc = rpc_send(r, id, req, len);
    if (rc != JIJU_OK)
        return rc;
    for (;;) {
        rc = rpc_recv(r, r->timeout_ms, reply, rlen, NULL);
        if (rc == JIJU_OK) {
            rpc_done(r, id);
            return JIJU_OK;
        }
        if (rpc_failed_remove(r, id))
            return r->last_failure;
        if (rc != JIJU_ERR_TIMEOUT) {
            rpc_done(r, id);
            return rc;
        }
    }
}
