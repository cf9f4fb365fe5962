/* notify_route.h - fan-out: each event from assessment that matches any
 * subscriber is appended, in the stream module's apply txn, once to the
 * shared log and as a reference to the log of every subscriber it matches
 * (notify_shared.h); each subscriber is served the same Envelope (same id,
 * source, type, time, body) with seq set to its own sequence. A
 * subscriber's log on disk is its backlog: a slow or absent subscriber
 * delays no one.
 *
 * Notification's own events (EventsDropped, EndpointDisabled, redelivered
 * dead letters) concern one subscriber or few, and are appended whole
 * (notify_route_append), with ids of the form
 * "<instance>/<Type>/<subscriber>/<n>". */
#ifndef JIJU_NOTIFY_ROUTE_H
#define JIJU_NOTIFY_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/envelope.pb-c.h"
#include "notify_registry.h"
#include "notify_subs.h"
#include "store.h"

typedef struct notify_route {
    notify_subs_t *subs;
    const char *instance;         /* CloudEvents source of our own events: "/jiju/<instance>" */
    const char *alert_subscriber; /* always receives EndpointDisabled */
    notify_registry registry;     /* county and zone subscriptions follow the registry */
    uint64_t events;              /* events routed since start */
    uint64_t deliveries;          /* references appended to subscriber logs since start */
} notify_route;

/* stream_apply_fn: route one record of assessment's events log (after
 * notify_registry_follow has made the subscription of a newly named county
 * or zone). Returns
 * non-zero (skip) for bytes that are not an Envelope; JIJU_ERR_* if an
 * append failed (the stream module then skips; the service must stop). */
int notify_route_apply(void *route, const char *producer_id, uint64_t seq, const uint8_t *data,
                       size_t len, store_txn_t *txn);

/* Append env whole to sub's log inside txn with seq set to the log's next
 * (env->seq is changed; everything else is kept). */
int notify_route_append(notify_sub *sub, store_txn_t *txn, Jiju__V1__Envelope *env);

/* Raise EventsDropped for sub: records [first, last] of its log were trimmed
 * before being acknowledged. Appended to sub's own log; state updated. */
int notify_route_dropped(notify_route *r, store_txn_t *txn, notify_sub *sub, uint64_t first,
                         uint64_t last);

/* Raise EndpointDisabled for sub: appended to the alert subscriber and to
 * every subscriber whose filters take it. */
int notify_route_disabled(notify_route *r, store_txn_t *txn, notify_sub *sub, uint32_t failures);

#endif
