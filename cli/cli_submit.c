/* cli_submit.c - `jiju submit FILE.json`: reports and commands to ingest,
 * pipelined with failover (common/rpc.h), one printed reply each. Also the
 * submission engine the form import and the admin commands use. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "cli_json.h"
#include "err.h"
#include "pb.h"
#include "rpc.h"

#define SUBMIT_WINDOW 256 /* requests in flight */
#define SUBMIT_TIMEOUT_MS 5000

const char *cli_status_name(int status)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&jiju__v1__submit_status__descriptor, status);

    return v ? v->name : "UNKNOWN";
}

void cli_print_reply(FILE *out, const char *label, const Jiju__V1__SubmitReply *r)
{
    fprintf(out, "%s %s", label, cli_status_name(r->status));
    if (r->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED ||
        r->status == JIJU__V1__SUBMIT_STATUS__DUPLICATE)
        fprintf(out, " seq=%llu", (unsigned long long)r->seq);
    fprintf(out, " instance=%s", r->instance);
    /* a DUPLICATE of what another replica accepted: seq is in its log */
    if (r->seq_instance && r->seq_instance[0] && strcmp(r->seq_instance, r->instance) != 0)
        fprintf(out, " seq_instance=%s", r->seq_instance);
    fputc('\n', out);
    for (size_t i = 0; i < r->n_problems; i++) {
        const Jiju__V1__Problem *p = r->problems[i];
        fprintf(out, "  %s %s field=%s value=\"%s\" %s / %s\n",
                p->severity == JIJU__V1__SEVERITY__WARNING ? "WARNING" : "ERROR", p->code, p->field,
                p->value, p->message_zh, p->message_en);
    }
}

int cli_tally_exit(const cli_tally *t)
{
    return t->conflict || t->rejected || t->failed ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
}

static void tally_add(cli_tally *t, const Jiju__V1__SubmitReply *r)
{
    if (!r)
        t->failed++;
    else if (r->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED ||
             r->status == JIJU__V1__SUBMIT_STATUS__VALID)
        t->accepted++; /* VALID: a dry run's "would be accepted" */
    else if (r->status == JIJU__V1__SUBMIT_STATUS__DUPLICATE)
        t->duplicate++;
    else if (r->status == JIJU__V1__SUBMIT_STATUS__CONFLICT)
        t->conflict++;
    else
        t->rejected++;
}

/* The index a request id starts with ("12:R-1" -> 12), or n if none. */
static size_t id_index(const char *id, size_t n)
{
    char *end;
    unsigned long long i;

    errno = 0;
    i = strtoull(id, &end, 10);
    if (errno || end == id || *end != ':' || i >= n)
        return n;
    return (size_t)i;
}

static int send_one(rpc_t *r, const Jiju__V1__SubmitRequest *req)
{
    uint8_t *buf;
    size_t len;
    int rc = pb_pack(&req->base, &buf, &len);

    if (rc != JIJU_OK)
        return rc;
    rc = rpc_send(r, req->request_id, buf, len);
    free(buf);
    return rc;
}

/* Handle one reply frame; stray or stale replies are ignored. */
static void on_reply(rpc_t *r, const uint8_t *buf, size_t len, size_t n, cli_reply_fn fn, void *arg,
                     cli_tally *tally)
{
    Jiju__V1__SubmitReply *rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    size_t idx;

    if (!rep)
        return;
    idx = id_index(rep->request_id, n);
    if (idx < n && rpc_done(r, rep->request_id) == JIJU_OK) {
        tally_add(tally, rep);
        if (fn)
            fn(arg, idx, rep);
    }
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
}

static void take_failed(rpc_t *r, size_t n, cli_reply_fn fn, void *arg, cli_tally *tally)
{
    char id[256];

    while (rpc_take_failed(r, id, sizeof id) == JIJU_OK) {
        size_t idx = id_index(id, n);
        tally_add(tally, NULL);
        if (fn && idx < n)
            fn(arg, idx, NULL);
    }
}

int cli_submit_run(const cli_endpoints *eps, Jiju__V1__SubmitRequest *const *reqs, size_t n,
                   int timeout_ms, cli_reply_fn fn, void *arg, cli_tally *tally)
{
    void *z = zmq_ctx_new();
    rpc_t *r = z ? rpc_new(z, (const char *const *)eps->list, eps->n, timeout_ms) : NULL;
    size_t next = 0;
    int rc = JIJU_OK;

    if (!r) {
        rc = z ? JIJU_ERR_INVALID : JIJU_ERR_ZMQ;
        goto out_ctx;
    }
    if (cli_curve_rpc(r, CLI_KEY_INGEST) != 0) {
        rc = JIJU_ERR_CONFIG;
        goto out_rpc;
    }
    while (rc == JIJU_OK && (next < n || rpc_pending(r) > 0)) {
        uint8_t *buf = NULL;
        size_t len = 0;
        int got;

        while (next < n && rpc_pending(r) < SUBMIT_WINDOW && rc == JIJU_OK)
            rc = send_one(r, reqs[next++]);
        if (rc != JIJU_OK)
            break;
        got = rpc_recv(r, timeout_ms, &buf, &len, NULL);
        if (got == JIJU_OK) {
            on_reply(r, buf, len, n, fn, arg, tally);
            free(buf);
        } else if (got != JIJU_ERR_TIMEOUT && got != JIJU_ERR_NOT_FOUND) {
            rc = got;
        }
        take_failed(r, n, fn, arg, tally);
    }
out_rpc:
    rpc_destroy(&r);
out_ctx:
    if (z)
        zmq_ctx_term(z);
    return rc;
}

/* ---- jiju submit ---- */

typedef struct submit_ctx {
    Jiju__V1__SubmitRequest **reqs;
} submit_ctx;

static void print_submit_reply(void *arg, size_t index, const Jiju__V1__SubmitReply *reply)
{
    submit_ctx *c = arg;
    const char *label = c->reqs[index]->request_id;

    if (reply)
        cli_print_reply(stdout, label, reply);
    else
        printf("%s FAILED no ingest endpoint answered\n", label);
}

static int submit_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju submit FILE.json [--endpoint tcp://HOST:PORT]... "
            "[--timeout-ms MS]\n"
            "  FILE holds a report or command object, or an array of them;\n"
            "  endpoints default to $JIJU_INGEST (comma-separated) or %s\n",
            CLI_DEFAULT_INGEST);
    return cli_usage_rc();
}

int cli_submit_flags(int argc, char **argv, cli_endpoints *eps, int *timeout_ms, const char **file)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *timeout_ms = SUBMIT_TIMEOUT_MS;
    optind = 0;
    while ((c = getopt_long(argc, argv, "e:t:h", opts, NULL)) != -1) {
        if (c == 'e' && cli_endpoints_add(eps, optarg) == JIJU_OK)
            continue;
        if (c == 't' && (*timeout_ms = atoi(optarg)) > 0)
            continue;
        return -1;
    }
    if (optind != argc - 1)
        return -1;
    *file = argv[optind];
    return cli_endpoints_default(eps, "JIJU_INGEST", CLI_DEFAULT_INGEST) == JIJU_OK ? 0 : -1;
}

int cli_submit_main(int argc, char **argv)
{
    cli_endpoints eps = {0};
    pbjson_error jerr;
    submit_ctx ctx = {0};
    cli_tally tally = {0};
    const char *file;
    char *text = NULL, ebuf[512];
    size_t len = 0, n = 0;
    int timeout_ms, rc = CLI_EXIT_USAGE;

    if (cli_help)
        return submit_usage();

    if (cli_submit_flags(argc, argv, &eps, &timeout_ms, &file) != 0) {
        rc = submit_usage();
        goto out;
    }
    if (!(text = cli_read_file(file, &len))) {
        fprintf(stderr, "jiju submit: %s: %s\n", file, strerror(errno));
        goto out;
    }
    if (cli_json_parse_requests(text, len, &ctx.reqs, &n, &jerr) != JIJU_OK) {
        fprintf(stderr, "jiju submit: %s: %s\n", file,
                pbjson_error_format(&jerr, ebuf, sizeof ebuf));
        goto out;
    }
    if (cli_submit_run(&eps, ctx.reqs, n, timeout_ms, print_submit_reply, &ctx, &tally) !=
        JIJU_OK) {
        fprintf(stderr, "jiju submit: cannot reach ingest at %s\n", eps.list[0]);
        rc = CLI_EXIT_REFUSED;
        goto out;
    }
    printf("accepted=%zu duplicate=%zu conflict=%zu rejected=%zu failed=%zu\n", tally.accepted,
           tally.duplicate, tally.conflict, tally.rejected, tally.failed);
    rc = cli_tally_exit(&tally);
out:
    cli_json_requests_free(&ctx.reqs, n);
    free(text);
    cli_endpoints_clear(&eps);
    return rc;
}
