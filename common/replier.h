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

/* Bind endpoint and register with svc. NULL on failure. Caller owns it. */
replier_t *replier_new(svc_t *svc, const char *endpoint, replier_fn fn, void *arg);
void replier_destroy(replier_t **r);

#endif
