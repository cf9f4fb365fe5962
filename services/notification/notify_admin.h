/* notify_admin.h - the admin endpoint: a ROUTER answering SubscriptionRequest
 * with SubscriptionReply (subscription.proto): add, list, remove,
 * dead-letters, redeliver. One frame each way; an empty delimiter frame
 * before the request (REQ clients) is echoed before the reply. */
#ifndef JIJU_NOTIFY_ADMIN_H
#define JIJU_NOTIFY_ADMIN_H

#include "notify_route.h"
#include "svc.h"

typedef struct notify_admin notify_admin_t;

/* Told about every change request after it was handled (for the log):
 * action ("add", "remove", "redeliver"), subscriber id, jiju_err result,
 * and the reply's error text or a detail ("redelivered=3"). */
typedef void (*notify_admin_fn)(void *arg, const char *action, const char *id, int rc,
                                const char *detail);

/* Bind endpoint and serve in svc's loop. Caller owns the result. */
notify_admin_t *notify_admin_new(svc_t *svc, const char *endpoint, notify_route *route,
                                 const char *instance, notify_admin_fn fn, void *arg);
void notify_admin_destroy(notify_admin_t **a);

/* Handle one packed SubscriptionRequest; the packed reply is malloc'd into
 * *reply (caller frees). Exposed for tests. Returns 0 or JIJU_ERR_NOMEM. */
int notify_admin_handle(notify_admin_t *a, const uint8_t *req, size_t len, uint8_t **reply,
                        size_t *rlen);

#endif
