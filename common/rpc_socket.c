/* rpc_socket.c - an rpc endpoint's DEALER (rpc_int.h): opened with the
 * client's options (CURVE keys, the reply bound), watched by a monitor
 * for disconnects, renewed, and read one reply at a time. ZeroMQ's errors
 * stay here and in rpc.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "rpc_int.h"

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
void rpc_ep_close(rpc_ep *e)
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
int rpc_ep_open(rpc_t *r, rpc_ep *e)
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
void rpc_socket_renew(rpc_t *r, rpc_ep *e)
{
    (void)rpc_ep_open(r, e);
}

/* Disconnects seen by e's monitor: the requests waiting on e are marked
 * and e is renewed at the next sweep. */
void rpc_monitor_read(rpc_ep *e)
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

void rpc_close_all(rpc_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        rpc_ep_close(&r->eps[i]);
}

int rpc_open_all(rpc_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (rpc_ep_open(r, &r->eps[i]) != 0)
            return -1;
    return 0;
}

/* One whole message from socket i, if one is waiting. 0 = got one,
 * JIJU_ERR_AGAIN = none, JIJU_ERR_NOMEM. Multi-part messages are dropped. */
int rpc_read(rpc_t *r, size_t i, uint8_t **reply, size_t *len)
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
