/* replier.h - THE request/reply endpoint of every service, inside its loop:
 * a ZeroMQ ROUTER where each request frame (from a DEALER, or a REQ with its
 * empty delimiter) gets exactly one reply frame. Assessment's queries, the
 * archive's queries, notification's admin port and ingest's submit port all
 * use it; the clients are common/rpc.h.
 *
 * The handler sees who asked (the route, with the ZAP User-Id of the
 * caller's key under CURVE) and either answers at once or defers: ingest
 * keeps the route of every request of a batch, commits the batch with fsync
 * in after_drain, and only then answers each with replier_reply(), so
 * ACCEPTED is never sent before the record is on disk.
 *
 * A request_id is echoed only when replier_request_id_ok(): at most
 * REPLIER_REQUEST_ID_MAX bytes of well-formed UTF-8. Anything else is
 * refused with replier_request_id_refusal()'s reason, never echoed, so a
 * reply never carries unbounded or unparseable bytes back. */
#ifndef JIJU_REPLIER_H
#define JIJU_REPLIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc.h"

typedef struct replier replier_t;

/* The routing of one request on the ROUTER: who asked, and whether a REQ
 * client put an empty delimiter frame that the reply must repeat. A copy
 * is enough to answer later (REPLIER_DEFER). */
#define REPLIER_RID_MAX 256
#define REPLIER_USER_MAX 64
typedef struct replier_route {
    unsigned char rid[REPLIER_RID_MAX];
    size_t rid_len;
    int has_delim;
    /* With CURVE: the name of the client's key (the ZAP User-Id of the
     * payload frame, zap.h), so the handler can check the key's role. ""
     * in plain mode. */
    char user_id[REPLIER_USER_MAX];
} replier_route;

/* What a handler did with a request. */
enum {
    REPLIER_SEND = 0, /* *reply (malloc'd, the replier frees it) goes back now */
    REPLIER_DEFER,    /* the handler kept *route and calls replier_reply() later */
    REPLIER_DROP,     /* nothing is sent (out of memory) */
};

/* Handle one request (payload "" if the message had none). */
typedef int (*replier_fn)(void *arg, const replier_route *route, const uint8_t *req, size_t len,
                          uint8_t **reply, size_t *reply_len);

typedef struct replier_opts {
    int max_drain; /* requests read per wake-up; 0 = 1000 */
    int hwm;       /* send and receive high-water marks per connection; 0 = SVC_QUERY_HWM */
    /* Called after each wake-up that read at least one request (ingest's
     * group commit, then its deferred replies); may be NULL. */
    void (*after_drain)(void *arg, replier_t *r);
} replier_opts;

/* Bind endpoint (a CURVE server when svc has security: then only
 * allow-listed keys get through) and register with svc. opts may be NULL.
 * NULL on failure. Caller owns it. */
replier_t *replier_new(svc_t *svc, const char *endpoint, const replier_opts *opts, replier_fn fn,
                       void *arg);
void replier_destroy(replier_t **r);

/* Send one reply frame along route (non-blocking; dropped if the peer left). */
void replier_reply(replier_t *r, const replier_route *route, const void *data, size_t len);

/* Requests answered so far (sent replies). */
unsigned long long replier_answered(const replier_t *r);

#define REPLIER_REQUEST_ID_MAX 128 /* bytes */

/* May id (NULL = "") be echoed: at most REPLIER_REQUEST_ID_MAX bytes of
 * well-formed UTF-8? */
bool replier_request_id_ok(const char *id);

/* id if it may be echoed, else "". */
const char *replier_request_id_echo(const char *id);

/* NULL if id may be echoed; else writes into buf and returns it a reason
 * naming the field, the rule and the value, e.g.
 * `E_REQUEST_ID: request_id must be at most 128 bytes of UTF-8, got 300 bytes "abc..."`
 * (non-UTF-8 bytes of the value shown as \xNN, at most 32 bytes of it). */
const char *replier_request_id_refusal(const char *id, char *buf, size_t cap);

#endif
