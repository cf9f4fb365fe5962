/* replier.h - a request/reply endpoint inside the service loop: a ZeroMQ
 * ROUTER where each request frame (from a DEALER, or a REQ with its empty
 * delimiter) gets exactly one reply frame from the handler. Used for the
 * query and admin endpoints; the clients are common/rpc.h. */
#ifndef JIJU_REPLIER_H
#define JIJU_REPLIER_H

#include <stddef.h>
#include <stdint.h>

#include "svc.h"

typedef struct replier replier_t;

/* Handle one request; set *reply (malloc'd, the replier frees it) and
 * *reply_len. Return 0 to send it, non-zero to send nothing. */
typedef int (*replier_fn)(void *arg, const uint8_t *req, size_t len, uint8_t **reply,
                          size_t *reply_len);

/* The routing of one request on a ROUTER: who asked, and whether a REQ
 * client put an empty delimiter frame that the reply must repeat. Kept so an
 * endpoint can answer later (ingest answers after its group commit). */
#define REPLIER_RID_MAX 256
#define REPLIER_USER_MAX 64
typedef struct replier_route {
    unsigned char rid[REPLIER_RID_MAX];
    size_t rid_len;
    int has_delim;
    /* With CURVE: the name of the client's key (the ZAP User-Id of the
     * payload frame, zap.h), so the endpoint can check the key's role. ""
     * in plain mode. */
    char user_id[REPLIER_USER_MAX];
} replier_route;

/* Read one request without blocking: fn(arg, route, payload, len) is called
 * with it (payload "" if the message had no payload frame). Returns 0 if a
 * request was read, -1 if none was waiting. */
int replier_read(void *sock, void (*fn)(void *arg, const replier_route *route,
                                        const uint8_t *payload, size_t len),
                 void *arg);

/* Send one reply frame along route (non-blocking; dropped if the peer left). */
void replier_send(void *sock, const replier_route *route, const void *data, size_t len);

/* Bind endpoint (a CURVE server when svc has security: then only
 * allow-listed keys get through) and register with svc. NULL on failure.
 * Caller owns it. */
replier_t *replier_new(svc_t *svc, const char *endpoint, replier_fn fn, void *arg);
void replier_destroy(replier_t **r);

#endif
