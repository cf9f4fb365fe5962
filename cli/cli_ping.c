/* cli_ping.c - `jiju ping [--ingest] ENDPOINT`: the health check of a query
 * endpoint (assessment) or of an ingest replica's submit endpoint. */
#include <stdio.h>
#include <string.h>

#include "cli_admin.h"
#include "clock.h"
#include "err.h"

static int ping_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju ping [--ingest] ENDPOINT [--timeout-ms T]\n"
            "  health check of a query endpoint (assessment) or, with --ingest,\n"
            "  of an ingest replica's submit endpoint: ok ... or no answer (exit 1)\n");
    return cli_usage_rc();
}

typedef struct pong_seen {
    int ok;
    char instance[128];
} pong_seen;

static void on_pong(void *arg, size_t index, const Jiju__V1__SubmitReply *reply)
{
    pong_seen *p = arg;

    (void)index;
    if (reply && reply->status == JIJU__V1__SUBMIT_STATUS__PONG) {
        p->ok = 1;
        snprintf(p->instance, sizeof p->instance, "%s", reply->instance);
    }
}

/* A SubmitRequest{ping}: answered PONG by the replica's own loop. */
static int ping_ingest(cli_admin_flags *f)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT, *reqs[1] = {&req};
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;
    pong_seen seen = {0};
    cli_tally tally = {0};
    int64_t start = clock_mono_ms();

    cli_endpoints_clear(&f->ingest);
    if (cli_endpoints_add(&f->ingest, f->pos[0]) != JIJU_OK)
        return CLI_EXIT_USAGE;
    req.request_id = "0:ping";
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_PING;
    req.ping = &ping;
    if (cli_submit_run(&f->ingest, reqs, 1, f->timeout_ms, on_pong, &seen, &tally) == JIJU_OK &&
        seen.ok) {
        printf("ok %s instance=%s ms=%lld\n", f->pos[0], seen.instance,
               (long long)(clock_mono_ms() - start));
        return CLI_EXIT_OK;
    }
    printf("no answer from %s within %d ms\n", f->pos[0], f->timeout_ms);
    return CLI_EXIT_REFUSED;
}

int cli_ping_main(int argc, char **argv)
{
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;
    Jiju__V1__QueryReply *rep;
    cli_admin_flags f = {0};
    int64_t start;
    int rc = CLI_EXIT_USAGE, ingest = argc > 1 && strcmp(argv[1], "--ingest") == 0;

    if (ingest) { /* the flag comes first: shift it away */
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    if (cli_help || cli_admin_parse(argc, argv, &f) != 0 || f.n_pos != 1) {
        rc = ping_usage();
        goto out;
    }
    if (f.timeout_ms == CLI_ADMIN_TIMEOUT_MS)
        f.timeout_ms = 2000;
    if (ingest) {
        rc = ping_ingest(&f);
        goto out;
    }
    cli_endpoints_clear(&f.query);
    if (cli_endpoints_add(&f.query, f.pos[0]) != JIJU_OK)
        goto out;
    req.request_id = "ping";
    req.kind_case = JIJU__V1__QUERY_REQUEST__KIND_PING;
    req.ping = &ping;
    start = clock_mono_ms();
    rc = CLI_EXIT_REFUSED;
    if ((rep = cli_query(&f.query, &req, f.timeout_ms, 1))) {
        printf("ok %s instance=%s ms=%lld\n", f.pos[0], rep->instance,
               (long long)(clock_mono_ms() - start));
        jiju__v1__query_reply__free_unpacked(rep, NULL);
        rc = CLI_EXIT_OK;
    } else {
        printf("no answer from %s within %d ms\n", f.pos[0], f.timeout_ms);
    }
out:
    cli_admin_free(&f);
    return rc;
}
