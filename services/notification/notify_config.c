/* notify_config.c - the table of notification's settings. */
#include "notify_config.h"

#include <stdio.h>
#include <string.h>

#define S(k, f, d, h)                                                                              \
    {                                                                                              \
        k, CFG_STRING, d, 0, sizeof(((notify_config *)0)->f), offsetof(notify_config, f), NULL, h  \
    }
#define EP(k, f, d, h)                                                                             \
    {                                                                                              \
        k, CFG_ENDPOINT, d, 0, sizeof(((notify_config *)0)->f), offsetof(notify_config, f), NULL,  \
            h                                                                                      \
    }
#define I(k, f, d, lo, hi, h)                                                                      \
    {                                                                                              \
        k, CFG_INT, d, lo, hi, offsetof(notify_config, f), NULL, h                                 \
    }

const cfg_spec notify_config_specs[] = {
    SERVICE_SETTINGS_SPECS(notify_config, shared, "notification", "data/notification"),
    EP("events.endpoint", events_endpoint, "tcp://127.0.0.1:7101", "assessment's stream endpoint"),
    S("events.stream", events_stream, "events", "stream followed there"),
    EP("deliveries.endpoint", deliveries_endpoint, "tcp://127.0.0.1:7301",
       "ROUTER where subscribers connect (stream \"deliveries\")"),
    EP("admin.endpoint", admin_endpoint, "tcp://127.0.0.1:7302",
       "ROUTER for SubscriptionRequest (jiju subscription ...)"),
    S("subscriptions_file", subscriptions_file, "deploy/config/subscriptions.json",
      "default subscriptions, loaded once on first start (\"\" = none)"),
    S("alert_subscriber", alert_subscriber, "fgw", "also receives every EndpointDisabled"),
    {"routing.follow_registry", CFG_BOOL, "true", 0, 0, offsetof(notify_config, follow_registry),
     NULL, "a subscription per county and development zone named by a registered cluster"},
    S("routing.zone_suffixes", zone_suffixes, "开发区,高新区,经开区,园区,示范区",
      "a county value ending in one of these is a development zone (开发区管委会)"),
    I("stream.credit", credit, "1000", 1, 1000000, "window granted to assessment"),
    I("retention.max_records", retention_max_records, "100000", 0, INT64_MAX,
      "backlog kept per subscriber, in events (0 = unbounded)"),
    I("retention.max_age_ms", retention_max_age_ms, "2592000000", 0, INT64_MAX,
      "backlog kept per subscriber, by event age (0 = unbounded)"),
    I("retention.check_ms", retention_check_ms, "10000", 10, 86400000, "how often retention runs"),
    I("webhook.tick_ms", webhook_tick_ms, "20", 1, 10000, "how often the worker drives libcurl"),
    I("webhook.timeout_ms", webhook_timeout_ms, "10000", 100, 600000, "one POST's timeout"),
    I("webhook.backoff_initial_ms", webhook_backoff_initial_ms, "1000", 1, 86400000,
      "delay before the first retry"),
    I("webhook.backoff_max_ms", webhook_backoff_max_ms, "3600000", 1, 604800000,
      "longest delay between retries"),
    I("webhook.horizon_ms", webhook_horizon_ms, "86400000", 0, 2592000000LL,
      "retry this long after the first attempt, then dead-letter"),
    I("webhook.disable_after", webhook_disable_after, "50", 1, 1000000,
      "consecutive failed attempts that disable an endpoint"),
    I("webhook.max_in_flight", webhook_max_in_flight, "64", 1, 4096, "concurrent POSTs"),
    S("security.assessment_public_key", assessment_public_key, "", "assessment's public key (Z85)"),
};
const size_t notify_config_n_specs = sizeof notify_config_specs / sizeof notify_config_specs[0];

int notify_config_check(void *out, cfg_error *err)
{
    notify_config *c = out;

    if (c->webhook_backoff_max_ms < c->webhook_backoff_initial_ms) {
        snprintf(err->key, sizeof err->key, "webhook.backoff_max_ms");
        snprintf(err->reason, sizeof err->reason, "must be >= webhook.backoff_initial_ms (%lld)",
                 (long long)c->webhook_backoff_initial_ms);
        return -1;
    }
    return service_settings_check(&c->shared, err);
}

int notify_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                       cfg_error *err)
{
    return cfg_load(path, notify_config_specs, notify_config_n_specs, overrides, n_over,
                    notify_config_check, cfg, err);
}
