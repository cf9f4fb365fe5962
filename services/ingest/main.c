/* jiju-ingest: validates submissions, logs the accepted ones durably, and
 * streams them to assessment and archive. Run as many replicas as needed. */
#include <stdio.h>
#include <stdlib.h>

#include "ingest_config.h"
#include "ingest_state.h"
#include "ingest_submit.h"
#include "ingest_trim.h"
#include "err.h"
#include "log.h"
#include "service.h"

/* Assessment or archive refused this replica's incarnation: another
 * process runs with our instance id, or this store replaced the one that
 * id named. Running on would answer ACCEPTED for reports nobody applies. */
static void refused(void *arg, int err, const char *code, const char *why)
{
    const ingest_config *cfg = arg;

    if (err != JIJU_ERR_INCARNATION)
        return;
    log_error("instance_refused", "instance=%s code=%s reason=\"%s\" action=exit",
              cfg->shared.instance, code, why);
    exit(EXIT_FAILURE);
}

static int load(const char *path, const char *const *over, size_t n, void *cfg, cfg_error *err)
{
    return ingest_config_load(path, over, n, cfg, err);
}

int main(int argc, char **argv)
{
    service_t srv;
    ingest_config cfg;
    stream_log_t *log = NULL;
    ingest_state_t *state = NULL;
    ingest_submit_t *submit = NULL;
    ingest_trim_t *trim = NULL;
    stream_peer_t *to_assessment = NULL, *to_archive = NULL, *registry = NULL;
    stream_opts so, to_a, to_b, reg;
    int rc = EXIT_FAILURE;

    service_help_specs(ingest_config_specs, ingest_config_n_specs);
    if (service_start(&srv, "ingest", argc, argv, NULL, 0, &cfg, load) != 0)
        return srv.exit_code;
    service_limits(&srv, &cfg.shared);
    if (service_secure(
            &srv, cfg.shared.secret_key_file, cfg.shared.keys_file,
            (service_peer_key[]){{"security.assessment_public_key", cfg.assessment_public_key},
                                 {"security.archive_public_key", cfg.archive_public_key}},
            2) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (service_metrics(&srv, &cfg.shared) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (service_open_store(&srv, cfg.shared.data_dir, ingest_cfs, ingest_n_cfs) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    so = (stream_opts){.self_id = cfg.shared.instance,
                       .heartbeat_ms = (int)cfg.shared.heartbeat_ms,
                       .timeout_ms = (int)cfg.shared.timeout_ms};
    to_a = so;
    to_a.server_key = cfg.assessment_public_key;
    to_b = so;
    to_b.server_key = cfg.archive_public_key;
    /* the registry's commits ride on the next submit's fsync (or one of
     * their own within registry.sync_ms), their ACK held back until then:
     * they append to no log, and a report accepted on what they taught is
     * synced after them (docs/architecture.md) */
    reg = to_a;
    reg.lazy_sync_ms = (int)cfg.registry_sync_ms;
    /* a catch-up of many events (or a few large rankings) is applied in
     * slices, the submits read and committed between them */
    reg.turn_budget_us = (int)cfg.registry_turn_budget_us;
    log = stream_log_open(srv.store, "reports");
    if ((state = ingest_state_new(srv.store)))
        ingest_state_set_instance(state, cfg.shared.instance);
    if (!log || !state || !(submit = ingest_submit_new(srv.svc, state, log, srv.store, &cfg)) ||
        !(to_assessment =
              stream_push(srv.svc, srv.store, cfg.assessment_endpoint, "reports", &to_a, log)) ||
        !(to_archive =
              stream_push(srv.svc, srv.store, cfg.archive_endpoint, "reports", &to_b, log)) ||
        !(registry = stream_follow(srv.svc, srv.store, cfg.assessment_endpoint, "events", &reg,
                                   ingest_state_apply_event, state))) {
        log_error("start_failed", "instance=%s submit=%s", cfg.shared.instance,
                  cfg.submit_endpoint);
        goto out;
    }
    stream_on_refused(to_assessment, refused, &cfg);
    stream_on_refused(to_archive, refused, &cfg);
    if (cfg.trim_acked && !(trim = ingest_trim_new(srv.svc, srv.store, log, to_assessment,
                                                   to_archive, (int)cfg.trim_interval_ms)))
        goto out;
    log_info("started", "instance=%s submit=%s store=%s last_seq=%llu", cfg.shared.instance,
             cfg.submit_endpoint, cfg.shared.data_dir, (unsigned long long)stream_log_last(log));
    rc = service_run(&srv);
out:
    ingest_trim_destroy(&trim);
    stream_peer_destroy(&registry);
    stream_peer_destroy(&to_archive);
    stream_peer_destroy(&to_assessment);
    ingest_submit_destroy(&submit);
    ingest_state_destroy(&state);
    stream_log_destroy(&log);
    service_stop(&srv);
    return rc;
}
