/* ingest_config.c - the table of ingest's settings. */
#include "ingest_config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define OFF(f) offsetof(ingest_config, f)
#define STR(k, f, d, h)                                                                            \
    {                                                                                              \
        k, CFG_STRING, d, 0, sizeof(((ingest_config *)0)->f), OFF(f), NULL, h                      \
    }
#define EP(k, f, d, h)                                                                             \
    {                                                                                              \
        k, CFG_ENDPOINT, d, 0, sizeof(((ingest_config *)0)->f), OFF(f), NULL, h                    \
    }
#define INT(k, f, d, lo, hi, h)                                                                    \
    {                                                                                              \
        k, CFG_INT, d, lo, hi, OFF(f), NULL, h                                                     \
    }

const cfg_spec ingest_config_specs[] = {
    /* instance "" = the host name; "%s" in data_dir = the instance id */
    SERVICE_SETTINGS_SPECS(ingest_config, shared, "", "/var/lib/jiju/ingest-%s"),
    EP("submit.endpoint", submit_endpoint, "tcp://127.0.0.1:7001", "SubmitRequest ROUTER"),
    EP("assessment.endpoint", assessment_endpoint, "tcp://127.0.0.1:7101",
       "assessment stream endpoint"),
    EP("archive.endpoint", archive_endpoint, "tcp://127.0.0.1:7201", "archive stream endpoint"),
    INT("submit.max_batch", max_batch, "2000", 1, 100000, "requests per group commit"),
    INT("registry.sync_ms", registry_sync_ms, "5", 0, 1000,
        "longest a registry event applied waits for a sync before its ACK (0: sync each "
        "commit)"),
    INT("registry.turn_budget_us", registry_turn_budget_us, "500", 0, 1000000,
        "longest ingest applies assessment's events in one loop turn before serving submits "
        "again (0: every event waiting)"),
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
    STR("security.assessment_public_key", assessment_public_key, "",
        "assessment's public key (Z85)"),
    STR("security.archive_public_key", archive_public_key, "", "archive's public key (Z85)"),
};

const size_t ingest_config_n_specs = sizeof ingest_config_specs / sizeof ingest_config_specs[0];

static int ingest_config_check(void *out, cfg_error *err)
{
    ingest_config *c = out;
    service_settings *sh = &c->shared;
    char dir[sizeof sh->data_dir];
    const char *mark;

    if (c->min_employees_per_enterprise > c->max_employees_per_enterprise) {
        snprintf(err->key, sizeof err->key, "limits.min_employees_per_enterprise");
        snprintf(err->reason, sizeof err->reason, "must not exceed max_employees_per_enterprise");
        return -1;
    }
    if (!sh->instance[0] && gethostname(sh->instance, sizeof sh->instance - 1) != 0) {
        snprintf(err->key, sizeof err->key, "instance");
        snprintf(err->reason, sizeof err->reason, "empty and the host name is unavailable");
        return -1;
    }
    if ((mark = strstr(sh->data_dir, "%s"))) {
        /* one store per replica, named after it, so --scale gives separate stores */
        snprintf(dir, sizeof dir, "%.*s%s%s", (int)(mark - sh->data_dir), sh->data_dir,
                 sh->instance, mark + 2);
        snprintf(sh->data_dir, sizeof sh->data_dir, "%s", dir);
    }
    return service_settings_check(sh, err);
}

int ingest_config_load(const char *path, const char *const *overrides, size_t n_over,
                       ingest_config *out, cfg_error *err)
{
    memset(out, 0, sizeof *out);
    return cfg_load(path, ingest_config_specs, ingest_config_n_specs, overrides, n_over,
                    ingest_config_check, out, err);
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
