/* jiju-archive: the append-only, hash-chained history of every accepted
 * input (each ingest replica pushes its "reports" log to our stream
 * endpoint) and every assessment event (we follow assessment's "events"
 * log), with queries on a ROUTER. Logic lives in archive_*.c. */
#include <stdio.h>
#include <stdlib.h>

#include "archive_chain.h"
#include "archive_config.h"
#include "archive_server.h"
#include "archive_store.h"
#include "err.h"
#include "log.h"
#include "service.h"
#include "stream.h"

typedef struct archive_source {
    archive_chain_t *chain;
    const char *stream; /* ARCHIVE_STREAM_REPORTS or ARCHIVE_STREAM_EVENTS */
} archive_source;

/* Every record is archived: a failed append leaves a partial txn, so the only
 * safe answer is to exit before it commits and resume from the cursor. */
static int archive_apply(void *arg, const char *producer_id, uint64_t seq, const uint8_t *data,
                         size_t len, store_txn_t *txn)
{
    archive_source *src = arg;
    uint64_t aseq = 0;
    int rc = archive_chain_append(src->chain, txn, src->stream, producer_id, seq, data, len, &aseq);

    if (rc != JIJU_OK)
        service_store_failed("archive_failed", rc, "stream=%s producer=%s source_seq=%llu",
                             src->stream, producer_id, (unsigned long long)seq);
    log_debug("archived", "seq=%llu stream=%s producer=%s source_seq=%llu bytes=%zu",
              (unsigned long long)aseq, src->stream, producer_id, (unsigned long long)seq, len);
    return 0;
}

static void archive_committed(void *arg)
{
    archive_chain_t *chain = arg;

    log_info("committed", "head=%llu", (unsigned long long)archive_chain_head_seq(chain));
}

int main(int argc, char **argv)
{
    service_t srv;
    archive_config cfg;
    archive_chain_t *chain = NULL;
    archive_source reports = {NULL, ARCHIVE_STREAM_REPORTS}, events = {NULL, ARCHIVE_STREAM_EVENTS};
    stream_peer_t *in = NULL, *ev = NULL;
    archive_server_t *query = NULL;
    stream_opts so;
    int rc = EXIT_FAILURE;

    service_help_specs(archive_config_specs, archive_config_n_specs);
    if (service_start(&srv, "archive", argc, argv, NULL, 0, &cfg, archive_config_load) != 0)
        return srv.exit_code;
    service_limits(&srv, &cfg.shared);
    if (service_secure(
            &srv, cfg.shared.secret_key_file, cfg.shared.keys_file,
            (service_peer_key[]){{"security.assessment_public_key", cfg.assessment_public_key}},
            1) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (service_metrics(&srv, &cfg.shared) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    srv.store_unfiltered = archive_cf_names; /* scanned, or read by a seq that exists */
    srv.store_n_unfiltered = archive_n_cfs;
    if (service_open_store(&srv, cfg.shared.data_dir, archive_cf_names, archive_n_cfs) != 0) {
        rc = srv.exit_code;
        goto out;
    }
    if (!(chain = archive_chain_open(srv.store))) {
        log_error("start_failed", "dir=%s reason=\"archive head does not decode\"",
                  cfg.shared.data_dir);
        goto out;
    }
    reports.chain = events.chain = chain;
    so = (stream_opts){.self_id = cfg.shared.instance,
                       .heartbeat_ms = (int)cfg.shared.heartbeat_ms,
                       .timeout_ms = (int)cfg.shared.timeout_ms,
                       .credit = (uint32_t)cfg.credit,
                       .max_batch = (uint32_t)cfg.max_batch,
                       .server_key = cfg.assessment_public_key,
                       .unindexed = true}; /* appends read nothing back */
    if (!(in = stream_serve(srv.svc, srv.store, cfg.stream_endpoint, &so, NULL, archive_apply,
                            &reports)) ||
        !(ev = stream_follow(srv.svc, srv.store, cfg.events_endpoint, cfg.events_stream, &so,
                             archive_apply, &events)) ||
        !(query =
              archive_server_new(srv.svc, srv.store, cfg.query_endpoint, cfg.shared.instance))) {
        log_error("start_failed", "instance=%s stream=%s events=%s query=%s", cfg.shared.instance,
                  cfg.stream_endpoint, cfg.events_endpoint, cfg.query_endpoint);
        goto out;
    }
    stream_on_committed(in, archive_committed, chain);
    stream_on_committed(ev, archive_committed, chain);
    log_info("started", "instance=%s store=%s head=%llu stream=%s events=%s query=%s",
             cfg.shared.instance, cfg.shared.data_dir,
             (unsigned long long)archive_chain_head_seq(chain), cfg.stream_endpoint,
             cfg.events_endpoint, cfg.query_endpoint);
    rc = service_run(&srv);
out:
    archive_server_destroy(&query);
    stream_peer_destroy(&ev);
    stream_peer_destroy(&in);
    archive_chain_destroy(&chain);
    service_stop(&srv);
    return rc;
}
