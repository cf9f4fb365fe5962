/* ingest_config.h - ingest's settings (deploy/config/ingest.json). */
#ifndef JIJU_INGEST_CONFIG_H
#define JIJU_INGEST_CONFIG_H

#include <stdint.h>

#include "cfg.h"
#include "ingest_validate.h"
#include "service_settings.h"

typedef struct ingest_config {
    /* instance: stable replica id, "" = the host name; data_dir: "%s" is
     * replaced by the instance id */
    service_settings shared;
    char submit_endpoint[128];       /* ROUTER for SubmitRequest */
    char assessment_endpoint[128];   /* assessment's stream endpoint: push reports, follow events */
    char archive_endpoint[128];      /* archive's stream endpoint: push reports */
    int64_t max_batch;               /* requests per group commit */
    int64_t registry_sync_ms;        /* registry follow's stream_opts.lazy_sync_ms */
    int64_t registry_turn_budget_us; /* registry follow's stream_opts.turn_budget_us */
    int trim_acked;                  /* trim the log once assessment and archive acknowledged */
    int64_t trim_interval_ms;
    int64_t max_message_bytes;
    int64_t min_employees_per_enterprise;
    int64_t max_employees_per_enterprise;
    int64_t revenue_jump_warn_pct;
    int64_t revenue_drop_warn_pct;
    char assessment_public_key[64]; /* Z85, for the stream to assessment */
    char archive_public_key[64];    /* Z85, for the stream to the archive */
} ingest_config;

/* The settings table (for --help and docs). */
extern const cfg_spec ingest_config_specs[];
extern const size_t ingest_config_n_specs;

int ingest_config_load(const char *path, const char *const *overrides, size_t n_over,
                       ingest_config *out, cfg_error *err);
ingest_limits ingest_config_limits(const ingest_config *c);

#endif
