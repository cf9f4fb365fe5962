/* notify_config.h - notification's settings: endpoints, where the default
 * subscriptions come from, retention of each subscriber's backlog, and the
 * webhook worker's timing (retry backoff, horizon, disabling). Defaults suit
 * the local demo; deploy/config/notification.json holds them for operators. */
#ifndef JIJU_NOTIFY_CONFIG_H
#define JIJU_NOTIFY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "service_settings.h"

typedef struct notify_config {
    service_settings shared;       /* instance: also the CloudEvents source of our own events */
    char events_endpoint[128];     /* assessment's stream ROUTER we follow */
    char events_stream[64];        /* the stream we follow there ("events") */
    char deliveries_endpoint[128]; /* our ROUTER: subscribers connect here */
    char admin_endpoint[128];      /* our ROUTER: SubscriptionRequest/Reply */
    char subscriptions_file[256];  /* default subscriptions, loaded on first start ("" = none) */
    char alert_subscriber[64];     /* also receives every EndpointDisabled ("fgw") */
    int follow_registry;           /* county/zone subscriptions derived from the registry */
    char zone_suffixes[256];       /* county values ending so are 开发区 (comma-separated) */
    int64_t credit;

    int64_t retention_max_records; /* per subscriber, 0 = unbounded */
    int64_t retention_max_age_ms;  /* per subscriber, by event time, 0 = unbounded */
    int64_t retention_check_ms;    /* how often retention runs */

    int64_t webhook_tick_ms;    /* how often the worker drives libcurl */
    int64_t webhook_timeout_ms; /* one POST's total timeout */
    int64_t webhook_backoff_initial_ms;
    int64_t webhook_backoff_max_ms;
    int64_t webhook_horizon_ms;    /* retry this long after the first attempt, then dead-letter */
    int64_t webhook_disable_after; /* consecutive failed attempts that disable an endpoint */
    int64_t webhook_max_in_flight; /* concurrent POSTs over all endpoints */

    char assessment_public_key[64]; /* Z85, for following assessment's events */
} notify_config;

extern const cfg_spec notify_config_specs[];
extern const size_t notify_config_n_specs;

/* Whole-config check (backoff bounds, horizon). */
int notify_config_check(void *cfg, cfg_error *err);

/* A service_load_fn (service.h): defaults, file, overrides, check. */
int notify_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                       cfg_error *err);

#endif
