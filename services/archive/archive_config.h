/* archive_config.h - the archive's settings: where it keeps its store, the
 * endpoint every ingest replica pushes its "reports" log to, assessment's
 * endpoint whose "events" log it follows, and its query endpoint. Defaults
 * suit the local demo; deploy/config/archive.json holds them for operators. */
#ifndef JIJU_ARCHIVE_CONFIG_H
#define JIJU_ARCHIVE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "service_settings.h"

typedef struct archive_config {
    service_settings shared;
    char stream_endpoint[128]; /* our ROUTER: ingest replicas push "reports" here */
    char events_endpoint[128]; /* assessment's stream ROUTER we follow */
    char events_stream[64];    /* the stream followed there ("events") */
    char query_endpoint[128];  /* our ROUTER: ArchiveQueryRequest/Reply */
    int64_t credit;
    int64_t max_batch;
    char assessment_public_key[64]; /* Z85, for following assessment's events */
} archive_config;

extern const cfg_spec archive_config_specs[];
extern const size_t archive_config_n_specs;

/* Whole-config check (no empty names or endpoints). */
int archive_config_check(void *cfg, cfg_error *err);

/* Defaults, then path (NULL: none), then overrides, then the check
 * (a service_load_fn for service_start). 0, or -1 with err filled. */
int archive_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                        cfg_error *err);

#endif
