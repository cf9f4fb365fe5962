/* notify_app.h - the notification service put together: the events it
 * follows, the fan-out into subscriber logs, the deliveries endpoint, the
 * admin endpoint, retention and the webhook worker, with their logging. */
#ifndef JIJU_NOTIFY_APP_H
#define JIJU_NOTIFY_APP_H

#include <stdint.h>

#include "notify_admin.h"
#include "notify_config.h"
#include "notify_retention.h"
#include "notify_route.h"
#include "notify_subs.h"
#include "notify_webhook.h"
#include "service.h"
#include "stream.h"

extern const char *const notify_cfs[];
extern const size_t notify_n_cfs;

typedef struct notify_app {
    notify_config cfg;
    service_t srv;
    notify_subs_t *subs;
    notify_route route;
    notify_retention rules;
    notify_webhook_t *hooks;
    uint64_t logged_events;
    stream_peer_t *deliveries, *events;
    notify_admin_t *admin;
} notify_app;

/* Seed the default subscriptions on first start, then start every
 * endpoint and timer. 0, or -1 (logged). */
int notify_app_start(notify_app *app);
/* Stop what notify_app_start started (safe after a partial start). */
void notify_app_stop(notify_app *app);

#endif
