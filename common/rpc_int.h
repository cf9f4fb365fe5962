/* rpc_int.h - what the rpc client's files share and nobody else sees: the
 * client, endpoint and request structures and the functions one file
 * offers the others. The files: rpc.c (the client: creation, options,
 * send, done, recv and call), rpc_table.c (where a pending request is
 * kept: the id table and the intrusive lists), rpc_socket.c (an
 * endpoint's DEALER and its disconnect monitor; reading one reply),
 * rpc_failover.c (attempts, deadlines, re-sending elsewhere, failing).
 * Every name here starts with rpc_ and is hidden from anything linking
 * libjiju_common dynamically. */
#ifndef JIJU_RPC_INT_H
#define JIJU_RPC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "rpc.h"

#define RPC_HIDDEN __attribute__((visibility("hidden")))

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

struct rpc {
    void *ctx;
    rpc_ep *eps;
    size_t n;
    int timeout_ms;
    size_t rr;   /* round-robin cursor for sends */
    size_t rd;   /* and for reads, so no endpoint starves */
    hmap_t *ids; /* id -> rpc_req *, every pending request */
    rpc_list by_time, unsent, failed;
    uint64_t call_seq; /* ids for rpc_call */
    int64_t max_reply; /* ZMQ_MAXMSGSIZE of every socket */
    int last_failure;  /* why rpc_call's request failed */
    char curve[3][41]; /* server public, client public, client secret; "" = none */
};

/* rpc_table.c: the lists (w = LINK_TIME or LINK_QUEUE), the queue a request
 * waits in, the id table (put: id not present; JIJU_OK or JIJU_ERR_NOMEM) */
RPC_HIDDEN void rpc_list_push(rpc_list *l, rpc_req *q, int w);
RPC_HIDDEN void rpc_list_remove(rpc_list *l, rpc_req *q, int w);
RPC_HIDDEN rpc_list *rpc_queue_of(rpc_t *r, const rpc_req *q);
RPC_HIDDEN rpc_req *rpc_table_get(const rpc_t *r, const char *id);
RPC_HIDDEN int rpc_table_put(rpc_t *r, rpc_req *q);
RPC_HIDDEN void rpc_table_del(rpc_t *r, const char *id);
RPC_HIDDEN void rpc_req_free(rpc_req **qp);

/* rpc_socket.c: an endpoint's socket and monitor (open: -1 and nothing
 * changed on failure), disconnects, one reply from socket i (0, or
 * JIJU_ERR_AGAIN when none waits, JIJU_ERR_NOMEM) */
RPC_HIDDEN void rpc_ep_close(rpc_ep *e);
RPC_HIDDEN int rpc_ep_open(rpc_t *r, rpc_ep *e);
RPC_HIDDEN void rpc_socket_renew(rpc_t *r, rpc_ep *e);
RPC_HIDDEN void rpc_monitor_read(rpc_ep *e);
RPC_HIDDEN void rpc_close_all(rpc_t *r);
RPC_HIDDEN int rpc_open_all(rpc_t *r);
RPC_HIDDEN int rpc_read(rpc_t *r, size_t i, uint8_t **reply, size_t *len);

/* rpc_failover.c: one attempt of a request in no queue list; expired
 * deadlines and dropped connections; socket i writable */
RPC_HIDDEN void rpc_dispatch(rpc_t *r, rpc_req *q, int64_t now);
RPC_HIDDEN void rpc_sweep(rpc_t *r, int64_t now);
RPC_HIDDEN void rpc_flush_unsent(rpc_t *r, size_t i, int64_t now);

#endif
