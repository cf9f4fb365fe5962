/* jiju-assessment: the city's evaluation of its clusters. Applies the
 * reports and commands that ingest replicas stream in, and emits rankings,
 * awards, warnings, eliminations, nominations, target progress and overdue
 * reports as one "events" log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "assess_config.h"
#include "assess_rebuild.h"
#include "assess_server.h"
#include "err.h"
#include "log.h"
#include "service.h"

static int load(const char *path, const char *const *over, size_t n, void *cfg, cfg_error *err)
{
    return assess_config_load(path, over, n, cfg, err);
}

/* "--rebuild-from-archive DIR" takes a value, which the common flag parser
 * does not; take it out of argv here. */
static const char *take_rebuild_flag(int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            printf("--rebuild-from-archive DIR: rebuild this (empty) store from an archive's "
                   "store directory (read-only; the archive may run), then exit "
                   "(docs/operations.md)\n");
    for (int i = 1; i + 1 < *argc; i++) {
        if (strcmp(argv[i], "--rebuild-from-archive") != 0)
            continue;
        const char *dir = argv[i + 1];
        memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof *argv);
        *argc -= 2;
        return dir;
    }
    return NULL;
}

static int rebuild(store_t *store, stream_log_t *events, const assess_config *cfg,
                   const char *archive_dir)
{
    assess_rebuild_stats st;
    int rc = assess_rebuild(store, events, cfg, archive_dir, &st);

    if (rc == JIJU_OK)
        log_info("rebuilt",
                 "archive=%s inputs=%llu events_restored=%llu decisions=%llu "
                 "result=identical",
                 archive_dir, (unsigned long long)st.inputs, (unsigned long long)st.events_copied,
                 (unsigned long long)st.decisions);
    else
        log_error("rebuild_failed", "archive=%s reason=\"%s\" inputs=%llu", archive_dir,
                  rc == JIJU_ERR_CONFLICT ? "re-derived decisions differ from the archived ones"
                                          : jiju_err_str(rc),
                  (unsigned long long)st.inputs);
    /* 2: no archive at DIR, the argument is wrong; 1: the rebuild failed */
    return rc == JIJU_OK ? EXIT_SUCCESS : rc == JIJU_ERR_NOT_FOUND ? 2 : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    const char *rebuild_from = take_rebuild_flag(&argc, argv);
    const cfg_spec *specs;
    size_t n_specs = 0;
    service_t srv;
    assess_config cfg;
    stream_log_t *events = NULL;
    assess_t *a = NULL;
    assess_server_t *server = NULL;
    int rc = EXIT_FAILURE;

    specs = assess_config_specs(&n_specs);
    service_help_specs(specs, n_specs);
    if (service_start(&srv, "assessment", argc, argv, NULL, 0, &cfg, load) != 0)
        return srv.exit_code;
    service_limits(&srv, &cfg.shared);
    if (!rebuild_from &&
        service_secure(&srv, cfg.shared.secret_key_file, cfg.shared.keys_file, NULL, 0) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (!rebuild_from && service_metrics(&srv, &cfg.shared) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (service_open_store(&srv, cfg.shared.data_dir, assess_cfs, assess_n_cfs) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (!(events = stream_log_open(srv.store, "events")))
        goto out;
    if (rebuild_from) { /* rebuild the store, then exit: start normally after */
        rc = rebuild(srv.store, events, &cfg, rebuild_from);
        goto out;
    }
    if (!(a = assess_new(srv.store, events, &cfg)) ||
        !(server = assess_server_new(srv.svc, srv.store, events, a, &cfg))) {
        log_error("start_failed", "stream=%s query=%s", cfg.stream_endpoint, cfg.query_endpoint);
        goto out;
    }
    log_info("started", "instance=%s stream=%s query=%s store=%s last_event=%llu",
             cfg.shared.instance, cfg.stream_endpoint, cfg.query_endpoint, cfg.shared.data_dir,
             (unsigned long long)stream_log_last(events));
    rc = service_run(&srv);
out:
    assess_server_destroy(&server);
    assess_destroy(&a);
    stream_log_destroy(&events);
    service_stop(&srv);
    return rc;
}
