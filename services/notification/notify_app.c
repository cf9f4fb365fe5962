/* notify_app.c - the notification service put together (see notify_app.h). */
#include "notify_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "metrics.h"
#include "notify_metrics.h"
#include "notify_seed.h"
#include "service.h"

const char *const notify_cfs[] = {NOTIFY_CFS};
const size_t notify_n_cfs = sizeof notify_cfs / sizeof notify_cfs[0];

/* The deliveries endpoint serves each subscriber its own log; a refusal
 * tells the department's developer what is wrong, not just "no stream". */
static stream_log_t *deliveries_log(void *arg, const char *stream, const char *consumer_id,
                                    stream_refusal *why)
{
    notify_app *app = arg;
    notify_sub *s = notify_subs_find(app->subs, consumer_id);
    const char *reason = strcmp(stream, "deliveries") != 0 ? "unknown_stream"
                         : !s                              ? "unknown_subscriber"
                         : s->sub->webhook                 ? "webhook_subscription"
                                                           : NULL;

    if (!reason)
        return s->log;
    log_limited(LOG_WARN, "subscriber_refused", "subscriber=%s stream=%s reason=%s", consumer_id,
                stream, reason);
    if (strcmp(reason, "unknown_stream") == 0) {
        snprintf(why->message, sizeof why->message,
                 "notification serves stream \"deliveries\", not \"%.60s\"", stream);
    } else if (strcmp(reason, "unknown_subscriber") == 0) {
        snprintf(why->code, sizeof why->code, "E_STREAM_UNKNOWN_SUBSCRIBER");
        snprintf(why->message, sizeof why->message,
                 "no subscription \"%.64s\": HELLO's peer_id must be a subscriber id "
                 "(jiju subscription list)",
                 consumer_id);
    } else {
        snprintf(why->code, sizeof why->code, "E_STREAM_WEBHOOK_SUBSCRIBER");
        snprintf(why->message, sizeof why->message,
                 "subscription \"%.64s\" delivers by webhook, not over ZeroMQ", consumer_id);
    }
    return NULL;
}

/* A record that is not an Envelope is skipped (and logged by the stream
 * module); any other failure may have left appends in the txn: exit before
 * it commits and resume from the cursor. */
static int route_apply(void *arg, const char *producer_id, uint64_t seq, const uint8_t *data,
                       size_t len, store_txn_t *txn)
{
    int rc = notify_route_apply(arg, producer_id, seq, data, len, txn);

    if (rc != JIJU_OK && rc != JIJU_ERR_CORRUPT) {
        service_store_failed("route_failed", rc, "producer=%s seq=%llu", producer_id,
                             (unsigned long long)seq);
    }
    return rc;
}

static void dropped(void *arg, const notify_sub *s, uint64_t first, uint64_t last)
{
    (void)arg;
    log_warn("events_dropped", "subscriber=%s first_seq=%llu last_seq=%llu count=%llu total=%llu",
             s->id, (unsigned long long)first, (unsigned long long)last,
             (unsigned long long)(last - first + 1), (unsigned long long)s->st.dropped_total);
}

static void retention_tick(svc_t *svc, void *arg)
{
    notify_app *app = arg;
    int rc;

    if (store_writable(app->srv.store) != JIJU_OK) /* trimming writes too: after space is back */
        return;
    rc = notify_retention_run(&app->route, &app->rules, dropped, app);
    if (rc != JIJU_OK) /* appends may be half-written: resume from disk */
        service_store_failed("retention_failed", rc, "where=%s", "retention");
    (void)svc;
}

static void webhook_reported(void *arg, const notify_hook_report *r)
{
    static const char *const what[] = {"webhook_delivered", "webhook_failed", "webhook_dead_letter",
                                       "endpoint_disabled"};

    (void)arg;
    notify_metrics_webhook(r);
    log_at(r->what == NOTIFY_HOOK_DELIVERED ? LOG_DEBUG : LOG_WARN, what[r->what],
           "subscriber=%s seq=%llu id=%s attempts=%u error=\"%s\" next_attempt_ms=%lld", r->sub->id,
           (unsigned long long)r->seq, r->event_id, r->attempts, r->error,
           (long long)r->next_attempt_ms);
}

static void webhook_tick(svc_t *svc, void *arg)
{
    notify_app *app = arg;
    int rc;

    if (store_writable(app->srv.store) != JIJU_OK) /* each attempt is recorded: wait for space */
        return;
    rc = notify_webhook_tick(app->hooks);
    if (rc != JIJU_OK)
        service_store_failed("webhook_commit_failed", rc, "where=%s", "webhook_tick");
    (void)svc;
}

/* After each commit of routed events: log the count, and start the POSTs
 * of what just became deliverable now rather than at the next tick. */
static void routed(void *arg)
{
    notify_app *app = arg;

    log_info("events_routed", "events=%llu deliveries=%llu new_events=%llu",
             (unsigned long long)app->route.events, (unsigned long long)app->route.deliveries,
             (unsigned long long)(app->route.events - app->logged_events));
    app->logged_events = app->route.events;
    webhook_tick(app->srv.svc, app);
}

/* The worker stopped at its bound with answers perhaps waiting: go on
 * after this turn (the loop's sockets had theirs in between). */
static void webhook_again(svc_t *svc, void *arg)
{
    notify_app *app = arg;

    if (app->hooks && notify_webhook_pending(app->hooks))
        webhook_tick(svc, app);
}

/* libcurl's sockets in the service's poll: a webhook's next event goes out
 * as soon as the previous answer is in, not at the next tick. */
static void webhook_ready(svc_t *svc, int fd, int revents, void *arg)
{
    notify_app *app = arg;
    int rc = notify_webhook_ready(app->hooks, fd,
                                  (revents & SVC_FD_IN ? NOTIFY_HOOK_IN : 0) |
                                      (revents & SVC_FD_OUT ? NOTIFY_HOOK_OUT : 0) |
                                      (revents & SVC_FD_ERR ? NOTIFY_HOOK_ERR : 0));

    if (rc != JIJU_OK)
        service_store_failed("webhook_commit_failed", rc, "where=%s", "webhook_ready");
    (void)svc;
}

static void webhook_watch(void *arg, int fd, int events)
{
    notify_app *app = arg;

    if (!events)
        svc_forget_fd(app->srv.svc, fd);
    else if (svc_on_fd(app->srv.svc, fd,
                       (events & NOTIFY_HOOK_IN ? SVC_FD_IN : 0) |
                           (events & NOTIFY_HOOK_OUT ? SVC_FD_OUT : 0),
                       webhook_ready, app) != JIJU_OK)
        log_warn("webhook_socket_unwatched", "fd=%d reason=\"too many sockets\"", fd);
}

static void admin_changed(void *arg, const char *action, const char *id, int rc, const char *detail)
{
    (void)arg;
    if (rc == JIJU_OK)
        log_info("subscription_changed", "action=%s subscriber=%s detail=\"%s\"", action, id,
                 detail);
    else
        log_warn("subscription_refused", "action=%s subscriber=%s reason=\"%s\"", action, id,
                 detail);
    if (rc == JIJU_ERR_STORE)
        service_store_failed("store_failed", rc, "subscriber=%s", id);
}

/* On first start only: the default subscriptions. */
static int seed(notify_app *app)
{
    Jiju__V1__Subscription **subs = NULL;
    size_t n = 0;
    char err[512];
    int rc;

    if (!app->cfg.subscriptions_file[0] || notify_subs_seeded(app->subs))
        return 0;
    if (notify_seed_load(app->cfg.subscriptions_file, &subs, &n, err, sizeof err) < 0) {
        log_error("seed_failed", "file=%s reason=\"%s\"", app->cfg.subscriptions_file, err);
        return -1;
    }
    rc = notify_subs_put(app->subs, subs, n, false, true, err, sizeof err);
    free(subs);
    if (rc != JIJU_OK) {
        log_error("seed_failed", "file=%s reason=\"%s\"", app->cfg.subscriptions_file, err);
        return -1;
    }
    log_info("subscriptions_seeded", "file=%s count=%zu", app->cfg.subscriptions_file, n);
    return 0;
}

static int start(notify_app *app)
{
    notify_config *c = &app->cfg;
    stream_opts so = {.self_id = c->shared.instance,
                      .heartbeat_ms = (int)c->shared.heartbeat_ms,
                      .timeout_ms = (int)c->shared.timeout_ms,
                      .credit = (uint32_t)c->credit,
                      .server_key = c->assessment_public_key};

    app->route = (notify_route){.subs = app->subs,
                                .instance = c->shared.instance,
                                .alert_subscriber = c->alert_subscriber,
                                .registry = {c->follow_registry != 0, c->zone_suffixes}};
    app->rules = (notify_retention){c->retention_max_records, c->retention_max_age_ms};
    app->hooks = notify_webhook_new(
        &app->route,
        &(notify_webhook_opts){c->webhook_timeout_ms, c->webhook_backoff_initial_ms,
                               c->webhook_backoff_max_ms, c->webhook_horizon_ms,
                               c->webhook_disable_after, c->webhook_max_in_flight},
        webhook_reported, app);
    app->deliveries = stream_serve(app->srv.svc, app->srv.store, c->deliveries_endpoint, &so,
                                   deliveries_log, NULL, app);
    /* the fan-out only appends: no index over its ~22 puts per event */
    so.unindexed = true;
    app->events = stream_follow(app->srv.svc, app->srv.store, c->events_endpoint, c->events_stream,
                                &so, route_apply, &app->route);
    app->admin = notify_admin_new(app->srv.svc, c->admin_endpoint, &app->route, c->shared.instance,
                                  admin_changed, app);
    if (!app->deliveries || !app->events || !app->admin || !app->hooks ||
        svc_every(app->srv.svc, (int)c->retention_check_ms, retention_tick, app) != JIJU_OK ||
        svc_every(app->srv.svc, (int)c->webhook_tick_ms, webhook_tick, app) != JIJU_OK ||
        svc_after_turn(app->srv.svc, webhook_again, app) != JIJU_OK) {
        log_error("start_failed", "deliveries=%s events=%s admin=%s", c->deliveries_endpoint,
                  c->events_endpoint, c->admin_endpoint);
        return -1;
    }
    stream_on_committed(app->events, routed, app);
    notify_webhook_watch(app->hooks, webhook_watch, app);
    metrics_on_collect(notify_metrics_collect, app->subs);
    return 0;
}

int notify_app_start(notify_app *app)
{
    if (!(app->subs = notify_subs_open(app->srv.store))) {
        log_error("start_failed", "dir=%s reason=\"subscriptions do not load\"",
                  app->cfg.shared.data_dir);
        return -1;
    }
    if (seed(app) < 0 || start(app) < 0)
        return -1;
    log_info("started", "instance=%s store=%s subscribers=%zu events=%s deliveries=%s admin=%s",
             app->cfg.shared.instance, app->cfg.shared.data_dir, notify_subs_slots(app->subs),
             app->cfg.events_endpoint, app->cfg.deliveries_endpoint, app->cfg.admin_endpoint);
    return 0;
}

void notify_app_stop(notify_app *app)
{
    metrics_cancel(app->subs);
    notify_webhook_destroy(&app->hooks);
    notify_admin_destroy(&app->admin);
    stream_peer_destroy(&app->events);
    stream_peer_destroy(&app->deliveries);
    notify_subs_destroy(&app->subs);
}
