/* rpc.h - request/reply client for Jiju's ROUTER services (ingest's
 * SubmitRequest/SubmitReply, assessment's and archive's queries).
 *
 * One DEALER per endpoint (ZMQ_LINGER 0, ZMQ_IMMEDIATE 1). A request and its
 * reply are each one single-part message of opaque bytes: the server's ROUTER
 * sees [routing id][payload], the DEALER sends just [payload]. This module
 * does not parse protobuf; the caller correlates a reply with its request by
 * an id it chose (the report id, a query id) and calls rpc_done().
 *
 * Failover: each send has a deadline (timeout_ms from rpc_new). A request
 * whose deadline passes is re-sent to the NEXT endpoint; the socket it timed
 * out on is closed and recreated (a DEALER that timed out may still deliver an
 * old reply later, and a fresh socket cannot), and the other requests pending
 * on that socket are re-sent to the next endpoint as well. Servers deduplicate
 * by request id (ingest by report id), so a resend is safe. A request sent
 * 2 * n_endpoints times without an answer is reported failed
 * (rpc_take_failed). If no endpoint is connected a request waits, unsent,
 * until one is (its deadline still runs).
 *
 * Bounding the number of requests in flight is the CALLER's job (e.g. keep
 * at most a few hundred pending: call rpc_recv while rpc_pending() is at the
 * bound). Pending ids are kept in a hash table, so a reply costs O(1) however
 * many requests are pipelined.
 *
 * Replies are bounded: a socket takes no message above max_reply bytes
 * (ZMQ_MAXMSGSIZE, RPC_DEFAULT_MAX_REPLY = the services' default
 * limits.max_frame_bytes), so a server's reply never makes the client
 * allocate more. libzmq drops the connection at such a reply's header; the
 * requests waiting on a dropped connection are re-sent at once (to the next
 * endpoint), and rpc_call reports JIJU_ERR_TOO_LARGE for a request whose
 * every attempt was dropped so, instead of a timeout.
 *
 * Error codes are jiju_err (err.h). Not thread-safe: one rpc_t per thread. */
#ifndef JIJU_RPC_H
#define JIJU_RPC_H

#include <stddef.h>
#include <stdint.h>

typedef struct rpc rpc_t;

/* Connect one DEALER to each of endpoints[0..n-1] in zmq_ctx (not owned).
 * timeout_ms (>= 1) is the wait for a reply per attempt. NULL on failure
 * (bad endpoint, n == 0, no memory). */
rpc_t *rpc_new(void *zmq_ctx, const char *const *endpoints, size_t n, int timeout_ms);

/* Close the sockets and forget pending and failed requests; NULLs *r. */
void rpc_destroy(rpc_t **r);

/* Use ZeroMQ CURVE on every socket (Z85 keys, 40 characters each): the
 * servers' public key and this client's key pair. Only while nothing is
 * pending: the sockets are recreated with the keys. JIJU_ERR_INVALID if keys
 * are malformed or requests are pending, JIJU_ERR_ZMQ if libzmq lacks CURVE
 * or a socket cannot be reopened (then only rpc_destroy is safe). */
int rpc_set_curve(rpc_t *r, const char *server_public, const char *client_public,
                  const char *client_secret);

#define RPC_DEFAULT_MAX_REPLY (4 * 1024 * 1024)

/* The largest reply taken (bytes >= 1), for a deployment whose services
 * run with a larger limits.max_frame_bytes. Only while nothing is pending:
 * the sockets are recreated. JIJU_ERR_INVALID, JIJU_ERR_ZMQ. */
int rpc_set_max_reply(rpc_t *r, int64_t bytes);

/* Send req (len bytes, copied) identified by id (copied; unique among pending
 * requests) to the next endpoint round-robin (the next connected one if that
 * one is not). Returns 0, JIJU_ERR_EXISTS if id is already pending,
 * JIJU_ERR_NOMEM. The request stays pending until rpc_done() or failure. */
int rpc_send(rpc_t *r, const char *id, const void *req, size_t len);

/* Wait up to timeout_ms for any reply and return it: *reply (caller owns,
 * free()), *len and the index of the endpoint that answered (endpoint may be
 * NULL). Meanwhile re-sends requests whose deadline passed. Returns 0;
 * JIJU_ERR_TIMEOUT if no reply came in time, or early as soon as a request
 * has failed (see rpc_take_failed); JIJU_ERR_NOT_FOUND at once if nothing is
 * pending; JIJU_ERR_NOMEM. Multi-part messages break the protocol and are
 * dropped. Outputs are set only on success. */
int rpc_recv(rpc_t *r, int timeout_ms, uint8_t **reply, size_t *len, int *endpoint);

/* The request id has been answered: forget it. JIJU_ERR_NOT_FOUND if it is
 * not pending. Also cancels a request that has not been answered. */
int rpc_done(rpc_t *r, const char *id);

/* Number of requests sent (or waiting to be sent) and not yet done or failed. */
size_t rpc_pending(const rpc_t *r);

/* Pop the oldest failed request id into id_buf. JIJU_ERR_NOT_FOUND if none;
 * JIJU_ERR_INVALID (nothing popped) if it does not fit in cap. */
int rpc_take_failed(rpc_t *r, char *id_buf, size_t cap);

/* One blocking call: send, wait for a reply with failover, return it
 * (*reply caller owns, free()). Only while nothing else is pending
 * (JIJU_ERR_INVALID otherwise), so any reply answers this request.
 * JIJU_ERR_TIMEOUT once every endpoint has been tried twice;
 * JIJU_ERR_TOO_LARGE if every attempt's reply was above max_reply. */
int rpc_call(rpc_t *r, const void *req, size_t len, uint8_t **reply, size_t *rlen);

#endif
