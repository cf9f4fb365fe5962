/* notify_webhook.h - the webhook delivery worker. It runs in the service's
 * loop and uses libcurl's multi interface, so no POST ever blocks the loop:
 * libcurl's sockets are polled with the loop's own (notify_webhook_watch),
 * so the next event of a subscription is POSTed as soon as the previous
 * answer arrives (also an answer that came while libcurl was still sending:
 * collect() goes round until nothing more finished or started); new events
 * are started after each commit of routed events, and a timer
 * (notify_webhook_tick) starts what became due otherwise (backoff) and
 * drives libcurl's timeouts.
 *
 * Each webhook subscription is delivered in order, one event at a time,
 * from its log (cursor notify_state.hook_cursor, kept in the store). A POST
 * (CloudEvents JSON, Standard Webhooks signature: cloudevent.h,
 * notify_sign.h) that gets a 2xx moves the cursor on. Any other answer, or
 * none within timeout_ms, is a failure: retry after an exponential backoff
 * with jitter, until horizon_ms after the first attempt; then the event is
 * parked as a dead letter (notify_dead.h) and the cursor moves on. After
 * disable_after consecutive failures the endpoint is disabled and
 * EndpointDisabled raised; Redeliver enables it again. Times come from
 * clock_now_ms() (clock.h) so tests can move them. */
#ifndef JIJU_NOTIFY_WEBHOOK_H
#define JIJU_NOTIFY_WEBHOOK_H

#include <stdint.h>

#include "notify_route.h"

typedef struct notify_webhook_opts {
    int64_t timeout_ms;
    int64_t backoff_initial_ms;
    int64_t backoff_max_ms;
    int64_t horizon_ms;
    int64_t disable_after;
    int64_t max_in_flight;
} notify_webhook_opts;

typedef enum {
    NOTIFY_HOOK_DELIVERED = 0,
    NOTIFY_HOOK_FAILED,   /* will be retried at next_attempt_ms */
    NOTIFY_HOOK_DEAD,     /* parked as a dead letter */
    NOTIFY_HOOK_DISABLED, /* the endpoint was disabled */
} notify_hook_outcome;

typedef struct notify_hook_report {
    notify_hook_outcome what;
    const notify_sub *sub;
    uint64_t seq;
    const char *event_id;
    uint32_t attempts; /* attempts made for this event */
    const char *error; /* "" when delivered */
    int64_t next_attempt_ms;
} notify_hook_report;

/* Told about each outcome after it is committed (for the log). */
typedef void (*notify_hook_fn)(void *arg, const notify_hook_report *r);

typedef struct notify_webhook notify_webhook_t;

/* Caller owns the result; NULL on failure (libcurl could not start). */
notify_webhook_t *notify_webhook_new(notify_route *route, const notify_webhook_opts *opts,
                                     notify_hook_fn fn, void *arg);
/* Abandons POSTs in flight (they are retried after a restart). */
void notify_webhook_destroy(notify_webhook_t **w);

/* Collect finished POSTs and start those due. Returns 0, or a jiju_err when
 * a commit failed (fatal for the service: appends may be half-written). */
int notify_webhook_tick(notify_webhook_t *w);

/* Sockets for the caller's poll loop: fn(arg, fd, events) says which of
 * NOTIFY_HOOK_IN|NOTIFY_HOOK_OUT to wait for on fd, 0 to stop watching it;
 * call notify_webhook_ready when fd is ready. Without a watcher (tests),
 * each tick drives every transfer, so deliveries advance once per tick. */
enum { NOTIFY_HOOK_IN = 1, NOTIFY_HOOK_OUT = 2, NOTIFY_HOOK_ERR = 4 };
typedef void (*notify_hook_watch_fn)(void *arg, int fd, int events);
void notify_webhook_watch(notify_webhook_t *w, notify_hook_watch_fn fn, void *arg);

/* fd (one the watcher was told of) is ready for events: let libcurl act,
 * finish what completed, start what is due. Returns as notify_webhook_tick. */
int notify_webhook_ready(notify_webhook_t *w, int fd, int events);

/* 1 when the last tick or ready stopped at its bound with answers perhaps
 * still to collect: call notify_webhook_tick again after this loop turn. */
int notify_webhook_pending(const notify_webhook_t *w);

/* POSTs in flight now. */
size_t notify_webhook_in_flight(const notify_webhook_t *w);

/* The delay before retry number `attempts` (>= 1): initial * 2^(attempts-1)
 * capped at max, then jittered into [delay/2, delay] by rnd. */
int64_t notify_webhook_backoff(const notify_webhook_opts *o, uint32_t attempts, uint64_t rnd);

#endif
