/* archive_config.c - the table of the archive's settings. */
#include "archive_config.h"

#include <stdio.h>
#include <string.h>

#define S(k, f, d, h)                                                                              \
    {                                                                                              \
        k, CFG_STRING, d, 0, sizeof(((archive_config *)0)->f), offsetof(archive_config, f), NULL,  \
            h                                                                                      \
    }
#define EP(k, f, d, h)                                                                             \
    {                                                                                              \
        k, CFG_ENDPOINT, d, 0, sizeof(((archive_config *)0)->f), offsetof(archive_config, f),      \
            NULL, h                                                                                \
    }
#define I(k, f, d, lo, hi, h)                                                                      \
    {                                                                                              \
        k, CFG_INT, d, lo, hi, offsetof(archive_config, f), NULL, h                                \
    }

const cfg_spec archive_config_specs[] = {
    SERVICE_SETTINGS_SPECS(archive_config, shared, "archive", "data/archive"),
    EP("stream.endpoint", stream_endpoint, "tcp://127.0.0.1:7201",
       "ROUTER where every ingest replica pushes its \"reports\" log"),
    EP("events.endpoint", events_endpoint, "tcp://127.0.0.1:7101", "assessment's stream endpoint"),
    S("events.stream", events_stream, "events", "stream followed there"),
    EP("query.endpoint", query_endpoint, "tcp://127.0.0.1:7202",
       "ROUTER for ArchiveQueryRequest (jiju archive query|export)"),
    I("stream.credit", credit, "1000", 1, 1000000, "window granted to each producer"),
    I("stream.max_batch", max_batch, "5000", 1, 1000000, "records applied per synced commit"),
    S("security.assessment_public_key", assessment_public_key, "", "assessment's public key (Z85)"),
};
const size_t archive_config_n_specs = sizeof archive_config_specs / sizeof archive_config_specs[0];

int archive_config_check(void *out, cfg_error *err)
{
    archive_config *c = out;
    const char *empty = !c->stream_endpoint[0]   ? "stream.endpoint"
                        : !c->events_endpoint[0] ? "events.endpoint"
                        : !c->events_stream[0]   ? "events.stream"
                        : !c->query_endpoint[0]  ? "query.endpoint"
                                                 : NULL;

    if (!empty)
        return service_settings_check(&c->shared, err);
    snprintf(err->key, sizeof err->key, "%s", empty);
    snprintf(err->reason, sizeof err->reason, "must not be empty");
    return -1;
}

int archive_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                        cfg_error *err)
{
    return cfg_load(path, archive_config_specs, archive_config_n_specs, overrides, n_over,
                    archive_config_check, cfg, err);
}
