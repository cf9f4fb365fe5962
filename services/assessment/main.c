/* jiju-assessment: the city's evaluation of its clusters. Applies the
 * reports and commands that ingest replicas stream in, and emits rankings,
 * awards, warnings, eliminations, nominations, target progress and overdue
 * reports as one "events" log. */
#include <stdlib.h>

#include "assess.h"
#include "assess_config.h"
#include "assess_server.h"
#include "log.h"
#include "service.h"

static int load(const char *path, const char *const *over, size_t n, void *cfg, cfg_error *err)
{
    return assess_config_load(path, over, n, cfg, err);
}

int main(int argc, char **argv)
{
    service_t srv;
    assess_config cfg;
    stream_log_t *events = NULL;
    assess_t *a = NULL;
    assess_server_t *server = NULL;
    int rc = EXIT_FAILURE;

    if (service_start(&srv, "assessment", argc, argv, NULL, 0, &cfg, load) != 0)
        return srv.exit_code;
    if (service_open_store(&srv, cfg.data_dir, assess_cfs, assess_n_cfs) != 0)
        goto out;
    if (!(events = stream_log_open(srv.store, "events")) ||
        !(a = assess_new(srv.store, events, &cfg)) ||
        !(server = assess_server_new(srv.svc, srv.store, events, a, &cfg))) {
        log_error("start_failed", "stream=%s query=%s", cfg.stream_endpoint, cfg.query_endpoint);
        goto out;
    }
    log_info("started", "instance=%s stream=%s query=%s store=%s last_event=%llu", cfg.instance,
             cfg.stream_endpoint, cfg.query_endpoint, cfg.data_dir,
             (unsigned long long)stream_log_last(events));
    rc = service_run(&srv);
out:
    assess_server_destroy(&server);
    assess_destroy(&a);
    stream_log_destroy(&events);
    service_stop(&srv);
    return rc;
}
