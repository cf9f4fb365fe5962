/* rpc.c - request/reply client with deadlines and failover (see rpc.h).
 *
 * Every pending request lives in three places: the id table (open
 * addressing, O(1) rpc_done), the deadline list (one timeout for all, so
 * appending at the tail keeps it sorted and expiry only looks at the head),
 * and the queue of the endpoint it was sent on (or the unsent queue), so a
 * socket that is recreated knows exactly which requests to re-send. */
#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"

enum { LINK_TIME = 0, LINK_QUEUE = 1 };

typedef struct rpc_req rpc_req;

typedef struct rpc_link {
    rpc_req *prev, *next;
} rpc_link;

typedef struct rpc_list {
    rpc_req *head, *tail;
    size_t count;
} rpc_list;

struct rpc_req {
    char *id;
    uint8_t *data;
    size_t len;
    int ep;           /* endpoint of the last send; -1 while unsent */
    int next_ep;      /* where the next send starts looking */
    int attempts;     /* sends so far (including the unsent ones) */
    int dropped;      /* attempts whose connection dropped while the reply was due */
    int64_t deadline; /* clock_mono_ms */
    rpc_link link[2]; /* LINK_TIME: r->by_time; LINK_QUEUE: an endpoint's queue,
                         r->unsent or r->failed */
};

typedef struct rpc_ep {
    char *endpoint;
    void *sock;
    void *mon;      /* PAIR: the socket's ZMQ_EVENT_DISCONNECTED (zmq_socket_monitor) */
    rpc_list queue; /* requests last sent on this socket */
    int stale;      /* sweep scratch: recreate this socket */
} rpc_ep;

/* Tombstone of a removed table slot: keeps probe chains intact. */
static rpc_req rpc_tomb;

struct rpc {
    void *ctx;
    rpc_ep *eps;
    size_t n;
    int timeout_ms;
    size_t rr; /* round-robin cursor for sends */
    size_t rd; /* and for reads, so no endpoint starves */
    rpc_req **slots;
    size_t cap, used, tombs; /* cap is a power of two */
    rpc_list by_time, unsent, failed;
    uint64_t call_seq; /* ids for rpc_call */
    int64_t max_reply; /* ZMQ_MAXMSGSIZE of every socket */
    int last_failure;  /* why rpc_call's request failed */
    char curve[3][41]; /* server public, client public, client secret; "" = none */
};

/* ---- intrusive lists ---- */

static void list_push(rpc_list *l, rpc_req *q, int w)
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

static void list_remove(rpc_list *l, rpc_req *q, int w)
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

static rpc_list *rpc_queue_of(rpc_t *r, const rpc_req *q)
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

static int rpc_table_grow(rpc_t *r)
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

static rpc_req *rpc_table_get(const rpc_t *r, const char *id)
{
    int found;
    size_t i = rpc_slot(r, id, &found);

    return found ? r->slots[i] : NULL;
}

/* id must not be present. */
static int rpc_table_put(rpc_t *r, rpc_req *q)
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

static void rpc_table_del(rpc_t *r, const char *id)
{
    int found;
    size_t i = rpc_slot(r, id, &found);

    if (!found)
        return;
    r->slots[i] = &rpc_tomb;
    r->used--;
    r->tombs++;
}

/* ---- sockets ---- */

static void *rpc_socket_open(rpc_t *r, const char *endpoint)
{
    void *s = zmq_socket(r->ctx, ZMQ_DEALER);
    int zero = 0, one = 1;

    if (s == NULL)
        return NULL;
    if (zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &r->max_reply, sizeof r->max_reply) != 0)
        goto out_close;
    if (r->curve[0][0] && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, r->curve[0], 40) != 0 ||
                           zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, r->curve[1], 40) != 0 ||
                           zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, r->curve[2], 40) != 0))
        goto out_close;
    if (zmq_connect(s, endpoint) != 0)
        goto out_close;
    return s;
out_close:
    zmq_close(s);
    return NULL;
}

/* A reply above ZMQ_MAXMSGSIZE is never buffered: libzmq 4.3 closes the
 * connection when its header arrives, and says so only as a disconnect.
 * So the client watches its sockets' disconnects: the requests that were
 * waiting on one are sent again at once (the server lost them with the
 * connection), and one whose every attempt ended so is reported
 * JIJU_ERR_TOO_LARGE rather than waited on. */
static void *rpc_monitor_open(rpc_t *r, void *sock)
{
    static uint64_t seq;
    char name[64];
    void *pair;

    snprintf(name, sizeof name, "inproc://rpc-monitor-%llu",
             (unsigned long long)__atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor(sock, name, ZMQ_EVENT_DISCONNECTED) != 0 ||
        !(pair = zmq_socket(r->ctx, ZMQ_PAIR)))
        return NULL;
    if (zmq_connect(pair, name) != 0) {
        zmq_close(pair);
        return NULL;
    }
    return pair;
}

/* Stop the monitor before closing either end (libzmq 4.3 can leave a new
 * socket's handshake stalled when a monitored socket is closed first). */
static void rpc_ep_close(rpc_ep *e)
{
    if (e->sock && e->mon)
        zmq_socket_monitor(e->sock, NULL, 0);
    if (e->mon)
        zmq_close(e->mon);
    if (e->sock)
        zmq_close(e->sock);
    e->sock = e->mon = NULL;
}

/* Open e's socket and its monitor; -1 (nothing changed) on failure. */
static int rpc_ep_open(rpc_t *r, rpc_ep *e)
{
    void *s = rpc_socket_open(r, e->endpoint), *m = s ? rpc_monitor_open(r, s) : NULL;

    if (!m) {
        if (s)
            zmq_close(s);
        return -1;
    }
    rpc_ep_close(e);
    e->sock = s;
    e->mon = m;
    return 0;
}

/* Replace an endpoint's socket; on failure keep the old one (a late reply on
 * it is then possible, and the caller's rpc_done tolerates unknown ids). */
static void rpc_socket_renew(rpc_t *r, rpc_ep *e)
{
    (void)rpc_ep_open(r, e);
}

/* Disconnects seen by e's monitor: the requests waiting on e are marked
 * and e is renewed at the next sweep. */
static void rpc_monitor_read(rpc_ep *e)
{
    zmq_msg_t ev;

    for (;;) {
        int more;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, e->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        more = zmq_msg_more(&ev);
        if (zmq_msg_size(&ev) >= 2 && e->queue.count > 0) {
            uint16_t id;
            memcpy(&id, zmq_msg_data(&ev), 2);
            if (id == ZMQ_EVENT_DISCONNECTED && !e->stale) {
                for (rpc_req *q = e->queue.head; q; q = q->link[LINK_QUEUE].next)
                    q->dropped++;
                e->stale = 1;
            }
        }
        zmq_msg_close(&ev);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&ev);
            more = zmq_msg_recv(&ev, e->mon, 0) >= 0 && zmq_msg_more(&ev);
            zmq_msg_close(&ev);
        }
    }
}

/* ---- sending ---- */

static int rpc_try_send(rpc_t *r, rpc_req *q, size_t i)
{
    if (zmq_send(r->eps[i].sock, q->data, q->len, ZMQ_DONTWAIT) < 0)
        return -1;
    list_remove(rpc_queue_of(r, q), q, LINK_QUEUE);
    q->ep = (int)i;
    q->next_ep = (int)((i + 1) % r->n);
    list_push(&r->eps[i].queue, q, LINK_QUEUE);
    return 0;
}

/* One attempt: a fresh deadline, then the first endpoint from q->next_ep that
 * takes the message without blocking; if none does, wait in r->unsent. The
 * request must be in no queue list on entry. */
static void rpc_dispatch(rpc_t *r, rpc_req *q, int64_t now)
{
    size_t start = (size_t)q->next_ep;

    q->attempts++;
    q->deadline = now + r->timeout_ms;
    list_push(&r->by_time, q, LINK_TIME);
    q->ep = -1;
    list_push(&r->unsent, q, LINK_QUEUE);
    for (size_t k = 0; k < r->n; k++)
        if (rpc_try_send(r, q, (start + k) % r->n) == 0)
            return;
}

static void rpc_req_free(rpc_req **qp)
{
    if (*qp == NULL)
        return;
    free((*qp)->id);
    free((*qp)->data);
    free(*qp);
    *qp = NULL;
}

/* Out of attempts: keep only the id, in r->failed. */
static void rpc_fail(rpc_t *r, rpc_req *q)
{
    r->last_failure = q->dropped >= q->attempts ? JIJU_ERR_TOO_LARGE : JIJU_ERR_TIMEOUT;
    rpc_table_del(r, q->id);
    list_remove(&r->by_time, q, LINK_TIME);
    free(q->data);
    q->data = NULL;
    list_push(&r->failed, q, LINK_QUEUE);
}

/* Re-send q (already out of its queue list) to the next endpoint, or fail it. */
static void rpc_retry(rpc_t *r, rpc_req *q, int64_t now)
{
    if (q->attempts >= (int)(2 * r->n)) {
        rpc_fail(r, q);
        return;
    }
    list_remove(&r->by_time, q, LINK_TIME);
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

        list_remove(&moved, q, LINK_QUEUE);
        q->ep = -1;
        rpc_retry(r, q, now);
    }
}

/* Handle requests whose deadline passed: their sockets are renewed and every
 * request on those sockets is re-sent elsewhere; expired unsent ones retry. */
static void rpc_sweep(rpc_t *r, int64_t now)
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

        list_remove(&r->unsent, q, LINK_QUEUE);
        rpc_retry(r, q, now);
    }
}

/* Socket i became writable: hand it waiting requests, each with a deadline
 * counted from now. */
static void rpc_flush_unsent(rpc_t *r, size_t i, int64_t now)
{
    while (r->unsent.head) {
        rpc_req *q = r->unsent.head;

        if (rpc_try_send(r, q, i) != 0)
            return;
        list_remove(&r->by_time, q, LINK_TIME);
        q->deadline = now + r->timeout_ms;
        list_push(&r->by_time, q, LINK_TIME);
    }
}

/* ---- public API ---- */

static void rpc_close_all(rpc_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        rpc_ep_close(&r->eps[i]);
}

static int rpc_open_all(rpc_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (rpc_ep_open(r, &r->eps[i]) != 0)
            return -1;
    return 0;
}

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
    if (rpc_open_all(r) != 0 || rpc_table_grow(r) != 0)
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

        list_remove(l, q, LINK_QUEUE);
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
    free(r->slots);
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
    list_remove(&r->by_time, q, LINK_TIME);
    list_remove(rpc_queue_of(r, q), q, LINK_QUEUE);
    rpc_req_free(&q);
    return JIJU_OK;
}

size_t rpc_pending(const rpc_t *r)
{
    return r->used;
}

int rpc_take_failed(rpc_t *r, char *id_buf, size_t cap)
{
    rpc_req *q = r->failed.head;

    if (q == NULL)
        return JIJU_ERR_NOT_FOUND;
    if (strlen(q->id) >= cap)
        return JIJU_ERR_INVALID;
    memcpy(id_buf, q->id, strlen(q->id) + 1);
    list_remove(&r->failed, q, LINK_QUEUE);
    rpc_req_free(&q);
    return JIJU_OK;
}

/* One whole message from socket i, if one is waiting. 0 = got one,
 * JIJU_ERR_AGAIN = none, JIJU_ERR_NOMEM. Multi-part messages are dropped. */
static int rpc_read(rpc_t *r, size_t i, uint8_t **reply, size_t *len)
{
    zmq_msg_t msg;
    int more = 0;
    size_t more_len = sizeof more;
    uint8_t *copy;
    size_t n;

    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, r->eps[i].sock, ZMQ_DONTWAIT) < 0)
        goto out_close_msg;
    zmq_getsockopt(r->eps[i].sock, ZMQ_RCVMORE, &more, &more_len);
    if (more) {
        while (more && zmq_msg_recv(&msg, r->eps[i].sock, ZMQ_DONTWAIT) >= 0)
            zmq_getsockopt(r->eps[i].sock, ZMQ_RCVMORE, &more, &more_len);
        goto out_close_msg;
    }
    n = zmq_msg_size(&msg);
    copy = malloc(n ? n : 1);
    if (copy == NULL) {
        zmq_msg_close(&msg);
        return JIJU_ERR_NOMEM;
    }
    memcpy(copy, zmq_msg_data(&msg), n);
    zmq_msg_close(&msg);
    *reply = copy;
    *len = n;
    return 0;
out_close_msg:
    zmq_msg_close(&msg);
    return JIJU_ERR_AGAIN;
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
             : r->used == 0                  ? JIJU_ERR_NOT_FOUND
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
            list_remove(&r->failed, q, LINK_QUEUE);
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
