/* ingest_config.c - the table of ingest's settings. */
#include "ingest_config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define OFF(f) offsetof(ingest_config, f)
#define STR(k, f, d, h) {k, CFG_STRING, d, 0, sizeof(((ingest_config *)0)->f), OFF(f), NULL, h}
#define INT(k, f, d, lo, hi, h) {k, CFG_INT, d, lo, hi, OFF(f), NULL, h}

const cfg_spec ingest_config_specs[] = {
    STR("instance", instance, "", "replica id, unique per replica (default: host name)"),
    STR("data_dir", data_dir, "/var/lib/jiju/ingest-%s", "store directory; %s = instance id"),
    STR("submit.endpoint", submit_endpoint, "tcp://127.0.0.1:7001", "SubmitRequest ROUTER"),
    STR("assessment.endpoint", assessment_endpoint, "tcp://127.0.0.1:7101",
        "assessment stream endpoint"),
    STR("archive.endpoint", archive_endpoint, "tcp://127.0.0.1:7201", "archive stream endpoint"),
    INT("stream.heartbeat_ms", heartbeat_ms, "1000", 10, 60000, "heartbeat interval"),
    INT("stream.timeout_ms", timeout_ms, "5000", 50, 600000, "peer silence before reconnect"),
    INT("submit.max_batch", max_batch, "2000", 1, 100000, "requests per group commit"),
    {"log.trim_acked", CFG_BOOL, "false", 0, 0, OFF(trim_acked), NULL,
     "delete log records both assessment and archive acknowledged (the archive keeps them)"},
    INT("log.trim_interval_ms", trim_interval_ms, "10000", 100, 86400000,
        "how often the log is trimmed when log.trim_acked is true"),
    INT("limits.max_message_bytes", max_message_bytes, "65536", 256, 16777216,
        "largest SubmitRequest accepted"),
    INT("limits.min_employees_per_enterprise", min_employees_per_enterprise, "0", 0, 1000000,
        "employment/enterprises lower bound"),
    INT("limits.max_employees_per_enterprise", max_employees_per_enterprise, "10000", 1, 10000000,
        "employment/enterprises upper bound"),
    INT("limits.revenue_jump_warn_pct", revenue_jump_warn_pct, "300", 1, 100000,
        "warn when revenue grows more than this % on the previous period"),
    INT("limits.revenue_drop_warn_pct", revenue_drop_warn_pct, "80", 1, 100,
        "warn when revenue falls more than this %"),
    STR("security.secret_key_file", secret_key_file, "",
        "CURVE key pair of this replica (\"\" = plain TCP, local demo only)"),
    STR("security.keys_file", keys_file, "", "allow-list of client public keys and roles"),
    METRICS_CFG_SPECS(ingest_config, metrics),
    STR("security.assessment_public_key", assessment_public_key, "",
        "assessment's public key (Z85)"),
    STR("security.archive_public_key", archive_public_key, "", "archive's public key (Z85)"),
};

const size_t ingest_config_n_specs = sizeof ingest_config_specs / sizeof ingest_config_specs[0];

static int ingest_config_check(void *out, cfg_error *err)
{
    ingest_config *c = out;
    char dir[sizeof c->data_dir];
    const char *mark;

    if (c->min_employees_per_enterprise > c->max_employees_per_enterprise) {
        snprintf(err->key, sizeof err->key, "limits.min_employees_per_enterprise");
        snprintf(err->reason, sizeof err->reason, "must not exceed max_employees_per_enterprise");
        return -1;
    }
    if (!c->instance[0] && gethostname(c->instance, sizeof c->instance - 1) != 0) {
        snprintf(err->key, sizeof err->key, "instance");
        snprintf(err->reason, sizeof err->reason, "empty and the host name is unavailable");
        return -1;
    }
    if ((mark = strstr(c->data_dir, "%s"))) {
        /* one store per replica, named after it, so --scale gives separate stores */
        snprintf(dir, sizeof dir, "%.*s%s%s", (int)(mark - c->data_dir), c->data_dir,
                 c->instance, mark + 2);
        snprintf(c->data_dir, sizeof c->data_dir, "%s", dir);
    }
    return 0;
}

int ingest_config_load(const char *path, const char *const *overrides, size_t n_over,
                       ingest_config *out, cfg_error *err)
{
    memset(out, 0, sizeof *out);
    return cfg_load(path, ingest_config_specs, ingest_config_n_specs, overrides,
                    n_over, ingest_config_check, out, err);
}

ingest_limits ingest_config_limits(const ingest_config *c)
{
    ingest_limits l = ingest_limits_default();

    l.max_message_bytes = (size_t)c->max_message_bytes;
    l.min_employees_per_enterprise = c->min_employees_per_enterprise;
    l.max_employees_per_enterprise = c->max_employees_per_enterprise;
    l.revenue_jump_warn_pct = c->revenue_jump_warn_pct;
    l.revenue_drop_warn_pct = c->revenue_drop_warn_pct;
    return l;
}
