/* cli_archive.c - `jiju archive query|export|verify` (usage in cli_archive.h). */
#include "cli_archive.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "archive_reader.h"
#include "cli.h"
#include "cli_xlsx.h"
#include "clock.h"
#include "cloudevent.h"
#include "envelope.h"
#include "err.h"
#include "hex.h"
#include "pb.h"
#include "rpc.h"
#include "tz.h"

#define CA_OK 0
#define CA_REFUSED 1
#define CA_USAGE 2 /* also: the store or the archive cannot be reached at all */
#define CA_MAX_ENDPOINTS 8
#define CA_PAGE 1000

/* Where records come from: the query endpoint, or a store opened offline. */
typedef struct ca_src {
    const char *endpoints[CA_MAX_ENDPOINTS];
    size_t n_endpoints;
    const char *store_dir;
    int timeout_ms;
    store_t *store;
    void *zctx;
    rpc_t *rpc;
} ca_src;

static int ca_src_open(ca_src *src)
{
    char err[512] = "";

    if (src->store_dir) {
        if (!(src->store = archive_reader_open(src->store_dir, err, sizeof err))) {
            fprintf(stderr, "jiju archive: %s\n", err);
            return -1;
        }
        return 0;
    }
    if (src->n_endpoints == 0) {
        const char *env = getenv("JIJU_ARCHIVE");
        src->endpoints[src->n_endpoints++] = env && env[0] ? env : CLI_DEFAULT_ARCHIVE;
    }
    if (!(src->zctx = zmq_ctx_new()) ||
        !(src->rpc = rpc_new(src->zctx, src->endpoints, src->n_endpoints, src->timeout_ms))) {
        fprintf(stderr, "jiju archive: cannot connect to %s\n", src->endpoints[0]);
        return -1;
    }
    return cli_curve_rpc(src->rpc, CLI_KEY_ARCHIVE);
}

static void ca_src_close(ca_src *src)
{
    rpc_destroy(&src->rpc);
    if (src->zctx)
        zmq_ctx_term(src->zctx);
    src->zctx = NULL;
    store_close(&src->store);
}

/* One page: locally, or one request/reply on the query endpoint. Caller
 * frees the reply; NULL (after a message on stderr) if none came. */
static Jiju__V1__ArchiveQueryReply *ca_page(ca_src *src, const Jiju__V1__ArchiveQueryRequest *q)
{
    size_t len, rlen = 0;
    uint8_t *buf, *reply = NULL;
    Jiju__V1__ArchiveQueryReply *r = NULL;
    int rc;

    if (src->store)
        return archive_query_run(src->store, q);
    if (pb_pack(&q->base, &buf, &len) != JIJU_OK)
        return NULL;
    rc = rpc_call(src->rpc, buf, len, &reply, &rlen);
    free(buf);
    if (rc != JIJU_OK) {
        fprintf(stderr, "jiju archive: no answer from the archive: %s\n", jiju_err_str(rc));
        return NULL;
    }
    if (!(r = jiju__v1__archive_query_reply__unpack(NULL, rlen, reply)))
        fprintf(stderr, "jiju archive: the answer does not decode\n");
    free(reply);
    return r;
}

typedef int (*ca_record_fn)(void *arg, const Jiju__V1__ArchiveRecord *rec);

static void ca_reply_free(Jiju__V1__ArchiveQueryReply **r)
{
    if (*r)
        jiju__v1__archive_query_reply__free_unpacked(*r, NULL);
    *r = NULL;
}

/* Every page of q (all = false: the first only), fn for each record. *last
 * (may be NULL) gets the last reply (its next_cursor, head), caller frees. */
static int ca_each(ca_src *src, Jiju__V1__ArchiveQueryRequest *q, bool all, ca_record_fn fn,
                   void *arg, Jiju__V1__ArchiveQueryReply **last)
{
    Jiju__V1__ArchiveQueryReply *r = NULL, *prev = NULL;
    int rc = CA_OK;

    for (;;) {
        r = ca_page(src, q);
        ca_reply_free(&prev); /* q->cursor pointed into it until now */
        if (!r)
            return CA_REFUSED;
        if (!r->ok) {
            fprintf(stderr, "jiju archive: query refused: %s\n", r->error);
            rc = CA_REFUSED;
            break;
        }
        for (size_t i = 0; i < r->n_records && rc == CA_OK; i++)
            rc = fn(arg, r->records[i]);
        if (rc != CA_OK || !all || r->next_cursor.len == 0)
            break;
        q->cursor = r->next_cursor;
        prev = r;
    }
    if (last)
        *last = r;
    else
        ca_reply_free(&r);
    return rc;
}

/* ---- shared flags ---- */

/* ms since the epoch from "1700000000000", "2023-05-01" or
 * "2023-05-01T08:00:00" (local time of JIJU_TIME_ZONE), or
 * "2023-05-01T08:00:00Z" (UTC). 0 on success, -1 if it is none of them. */
static int ca_parse_time(const char *text, int64_t *ms)
{
    struct tm tm;
    const char *end;
    char *num_end;
    long long v = strtoll(text, &num_end, 10);

    if (num_end != text && *num_end == '\0') {
        *ms = v;
        return 0;
    }
    memset(&tm, 0, sizeof tm);
    end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end && end[0] == 'Z' && end[1] == '\0') { /* UTC, said so */
        *ms = (int64_t)timegm(&tm) * 1000;
        return 0;
    }
    if (!end || *end != '\0') {
        memset(&tm, 0, sizeof tm);
        end = strptime(text, "%Y-%m-%d", &tm);
        if (!end || *end != '\0')
            return -1;
    }
    /* no zone written: the jurisdiction's local time (JIJU_TIME_ZONE) */
    tm.tm_isdst = -1;
    *ms = (int64_t)mktime(&tm) * 1000;
    return 0;
}

/* As much of data as fits in cap (2 characters a byte, NUL included). */
static void ca_hex(const uint8_t *data, size_t len, char *out, size_t cap)
{
    hex_encode(data, len < (cap - 1) / 2 ? len : (cap - 1) / 2, out);
}

/* A cursor as this tool prints it (lowercase hex) into bytes; returns the
 * length, or -1. */
static long ca_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    if (n % 2 || n / 2 > cap || hex_decode(hex, n, out, n / 2) != 0)
        return -1;
    return (long)(n / 2);
}

/* --endpoint, --store, --timeout-ms: handled for every subcommand. */
static int ca_src_flag(ca_src *src, int opt, const char *arg)
{
    switch (opt) {
    case 'E':
        if (src->n_endpoints == CA_MAX_ENDPOINTS)
            return -1;
        src->endpoints[src->n_endpoints++] = arg;
        return 0;
    case 'S':
        src->store_dir = arg;
        return 0;
    case 'T':
        src->timeout_ms = atoi(arg);
        return src->timeout_ms > 0 ? 0 : -1;
    }
    return -1;
}

#define CA_SRC_OPTIONS                                                                             \
    {"endpoint", required_argument, NULL, 'E'}, {"store", required_argument, NULL, 'S'},           \
    {                                                                                              \
        "timeout-ms", required_argument, NULL, 'T'                                                 \
    }

/* ---- query ---- */

typedef struct ca_out {
    bool json;
    size_t n;
} ca_out;

static const char *ca_short_type(const char *type)
{
    return strncmp(type, "jiju.v1.", 8) == 0 ? type + 8 : type;
}

static int ca_print_table(ca_out *o, const Jiju__V1__ArchiveRecord *rec,
                          const Jiju__V1__Envelope *env)
{
    char when[TZ_TEXT_CAP] = "-", hash[72], src[96];

    if (o->n++ == 0)
        printf("%-8s  %-29s  %-7s  %-20s  %-22s  %-12s  %-8s  %s\n", "SEQ", "TIME", "STREAM",
               "PRODUCER/SEQ", "TYPE", "SUBJECT", "PERIOD", "HASH");
    if (env)
        tz_format_ms(env->time_ms, when, sizeof when);
    ca_hex(rec->hash.data, rec->hash.len < 8 ? rec->hash.len : 8, hash, sizeof hash);
    snprintf(src, sizeof src, "%s/%" PRIu64, rec->producer_id, rec->source_seq);
    printf("%-8" PRIu64 "  %-29s  %-7s  %-20s  %-22s  %-12s  %-8s  %s\n", rec->archive_seq, when,
           rec->stream, src, env ? ca_short_type(envelope_type(env)) : "(undecodable)",
           env && env->subject[0] ? env->subject : "-", env && env->period[0] ? env->period : "-",
           hash);
    return CA_OK;
}

static int ca_print_json(const Jiju__V1__ArchiveRecord *rec, const Jiju__V1__Envelope *env)
{
    json_t *o = json_object();
    char hash[72];
    char *b64 = malloc(4 * ((rec->envelope.len + 2) / 3) + 1);

    if (!o || !b64) {
        json_decref(o);
        free(b64);
        return CA_REFUSED;
    }
    ca_hex(rec->hash.data, rec->hash.len, hash, sizeof hash);
    EVP_EncodeBlock((unsigned char *)b64, rec->envelope.data, (int)rec->envelope.len);
    json_object_set_new(o, "archive_seq", json_integer((json_int_t)rec->archive_seq));
    json_object_set_new(o, "stream", json_string(rec->stream));
    json_object_set_new(o, "producer_id", json_string(rec->producer_id));
    json_object_set_new(o, "source_seq", json_integer((json_int_t)rec->source_seq));
    json_object_set_new(o, "hash", json_string(hash));
    if (env) /* the event as every other Jiju JSON shows it */
        json_object_set_new(o, "event", cloudevent_json(env));
    /* the byte-exact Envelope: decode it with proto/jiju/v1/envelope.proto */
    json_object_set_new(o, "envelope_base64", json_string(b64));
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
    free(b64);
    return CA_OK;
}

static int ca_print(void *arg, const Jiju__V1__ArchiveRecord *rec)
{
    ca_out *o = arg;
    Jiju__V1__Envelope *env = envelope_decode(rec->envelope.data, rec->envelope.len);
    int rc = o->json ? ca_print_json(rec, env) : ca_print_table(o, rec, env);

    if (o->json)
        o->n++;
    envelope_free(&env);
    return rc;
}

static int ca_query_usage(FILE *out)
{
    fprintf(out, "usage: jiju archive query [--cluster C] [--period P] [--type T] [--report R]\n"
                 "         [--stream reports|events] [--from TIME] [--to TIME] [--newest]\n"
                 "         [--limit N] [--cursor HEX] [--all] [--format table|json]\n"
                 "         [--endpoint E]... [--store DIR] [--timeout-ms MS]\n"
                 "  T: an event type, short or full (AwardGranted, jiju.v1.AwardGranted)\n"
                 "  TIME: ms since the epoch, YYYY-MM-DD[THH:MM:SS] in JIJU_TIME_ZONE\n"
                 "        (default Asia/Shanghai), or YYYY-MM-DDTHH:MM:SSZ (UTC)\n");
    return out == stdout ? CA_OK : CA_USAGE;
}

/* One query flag into q / o; -1 if it is not valid. */
static int ca_query_flag(Jiju__V1__ArchiveQueryRequest *q, ca_out *o, bool *all, uint8_t *cur,
                         int opt, const char *arg)
{
    long n;

    switch (opt) {
    case 'c':
        q->cluster_id = (char *)arg;
        return 0;
    case 'p':
        q->period = (char *)arg;
        return 0;
    case 't':
        if (!(q->type = (char *)envelope_type_full(arg)))
            fprintf(stderr,
                    "jiju archive query: --type \"%s\" is not a Jiju event type "
                    "(e.g. AwardGranted or jiju.v1.AwardGranted)\n",
                    arg);
        return q->type ? 0 : -1;
    case 'r':
        q->report_id = (char *)arg;
        return 0;
    case 's':
        q->stream = (char *)arg;
        return 0;
    case 'f':
        return ca_parse_time(arg, &q->from_time_ms);
    case 'u':
        return ca_parse_time(arg, &q->to_time_ms);
    case 'n':
        q->order = JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST;
        return 0;
    case 'a':
        *all = true;
        return 0;
    case 'l':
        n = atol(arg);
        q->limit = (uint32_t)n;
        return n > 0 && n <= 1000 ? 0 : -1;
    case 'k':
        if ((n = ca_unhex(arg, cur, 512)) < 0)
            return -1;
        q->cursor.data = cur;
        q->cursor.len = (size_t)n;
        return 0;
    case 'F':
        o->json = strcmp(arg, "json") == 0;
        return o->json || strcmp(arg, "table") == 0 ? 0 : -1;
    }
    return -1;
}

static void ca_query_summary(const ca_out *o, const Jiju__V1__ArchiveQueryReply *r)
{
    char hex[1100], head[72];

    if (!r)
        return;
    ca_hex(r->head_hash.data, r->head_hash.len, head, sizeof head);
    fprintf(stderr, "records=%zu head_seq=%" PRIu64 " head_hash=%s", o->n, r->head_seq,
            head[0] ? head : "-");
    if (r->next_cursor.len) {
        ca_hex(r->next_cursor.data, r->next_cursor.len, hex, sizeof hex);
        fprintf(stderr, " next=--cursor %s", hex);
    }
    fputc('\n', stderr);
}

static int ca_query_main(int argc, char **argv)
{
    static const struct option opts[] = {{"cluster", required_argument, NULL, 'c'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"type", required_argument, NULL, 't'},
                                         {"report", required_argument, NULL, 'r'},
                                         {"stream", required_argument, NULL, 's'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 'u'},
                                         {"newest", no_argument, NULL, 'n'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"cursor", required_argument, NULL, 'k'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         CA_SRC_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *last = NULL;
    ca_src src = {.timeout_ms = 10000};
    ca_out o = {0};
    uint8_t cur[512];
    bool all = false;
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h' || opt == '?')
            return ca_query_usage(opt == 'h' ? stdout : stderr);
        if ((strchr("EST", opt) ? ca_src_flag(&src, opt, optarg)
                                : ca_query_flag(&q, &o, &all, cur, opt, optarg)) != 0) {
            fprintf(stderr, "jiju archive query: bad value \"%s\"\n", optarg ? optarg : "");
            return ca_query_usage(stderr);
        }
    }
    if (optind != argc || ca_src_open(&src) != 0)
        return optind != argc ? ca_query_usage(stderr) : CA_USAGE;
    q.request_id = (char *)"jiju-archive-query";
    if (all && q.limit == 0)
        q.limit = CA_PAGE;
    rc = ca_each(&src, &q, all, ca_print, &o, &last);
    fflush(stdout);
    ca_query_summary(&o, last);
    ca_reply_free(&last);
    ca_src_close(&src);
    return rc;
}

/* ---- export ---- */

static int ca_export_add(void *arg, const Jiju__V1__ArchiveRecord *rec)
{
    int rc = archive_export_add(arg, rec);

    if (rc != JIJU_OK)
        fprintf(stderr, "jiju archive export: %s\n", jiju_err_str(rc));
    return rc == JIJU_OK ? CA_OK : CA_REFUSED;
}

/* Names first (every ClusterRegistered / ClusterUpdated), then the period's
 * accepted inputs: each report exactly once, as ingest accepted it. */
static int ca_export_run(ca_src *src, archive_export_t *x, const char *period)
{
    static const char *const name_types[] = {"jiju.v1.ClusterRegistered", "jiju.v1.ClusterUpdated"};
    Jiju__V1__ArchiveQueryRequest q;
    int rc = CA_OK;

    for (size_t i = 0; i < 2 && rc == CA_OK; i++) {
        jiju__v1__archive_query_request__init(&q);
        q.type = (char *)name_types[i];
        q.limit = CA_PAGE;
        rc = ca_each(src, &q, true, ca_export_add, x, NULL);
    }
    if (rc != CA_OK)
        return rc;
    jiju__v1__archive_query_request__init(&q);
    q.period = (char *)period;
    q.type = (char *)"jiju.v1.ReportAccepted";
    q.stream = (char *)"reports";
    q.limit = CA_PAGE;
    return ca_each(src, &q, true, ca_export_add, x, NULL);
}

/* A row of the export into the workbook: the archive's typed cells. */
static int ca_xlsx_row(void *arg, const archive_export_cell *cells, size_t n)
{
    xlsx_cell row[32];

    if (n > 32)
        return JIJU_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        static const xlsx_kind kinds[] = {[ARCHIVE_CELL_TEXT] = XLSX_TEXT,
                                          [ARCHIVE_CELL_INT] = XLSX_INT,
                                          [ARCHIVE_CELL_WAN] = XLSX_WAN,
                                          [ARCHIVE_CELL_TIME] = XLSX_TIME,
                                          [ARCHIVE_CELL_EMPTY] = XLSX_EMPTY};
        row[i] = (xlsx_cell){
            .kind = kinds[cells[i].kind], .text = cells[i].text, .value = cells[i].value};
    }
    return xlsx_writer_row(arg, row, n);
}

static int ca_export_usage(FILE *out)
{
    fprintf(out,
            "usage: jiju archive export --period P [--format csv|xlsx|json] [--all-revisions]\n"
            "         [--output FILE] [--endpoint E]... [--store DIR] [--timeout-ms MS]\n"
            "  csv: UTF-8 with BOM, Chinese headers, money in 万元 (exact)\n"
            "  xlsx: the same columns; money as numbers in 万元, times as Excel dates\n"
            "    (Asia/Shanghai); `jiju import` reads both back\n"
            "  json: one JSON object per line, money in fen\n");
    return out == stdout ? CA_OK : CA_USAGE;
}

static int ca_export_main(int argc, char **argv)
{
    static const struct option opts[] = {{"period", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"all-revisions", no_argument, NULL, 'A'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         CA_SRC_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *period = NULL, *format = "csv", *output = NULL;
    ca_src src = {.timeout_ms = 10000};
    archive_export_t *x = NULL;
    xlsx_writer *xw = NULL;
    bool all_rev = false;
    FILE *out = stdout;
    size_t rows = 0;
    int opt, rc = CA_REFUSED;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h' || opt == '?')
            return ca_export_usage(opt == 'h' ? stdout : stderr);
        if (opt == 'p')
            period = optarg;
        else if (opt == 'F')
            format = optarg;
        else if (opt == 'A')
            all_rev = true;
        else if (opt == 'o')
            output = optarg;
        else if (ca_src_flag(&src, opt, optarg) != 0)
            return ca_export_usage(stderr);
    }
    if (optind != argc || !period ||
        (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "xlsx")))
        return ca_export_usage(stderr);
    if (strcmp(format, "xlsx") == 0 && !(xw = xlsx_writer_new(output, period))) {
        fprintf(stderr, "jiju archive export: cannot write %s\n", output ? output : "a workbook");
        return CA_REFUSED;
    }
    if (output && !xw && !(out = fopen(output, "wb"))) {
        perror(output);
        return CA_REFUSED;
    }
    if (ca_src_open(&src) != 0)
        goto out_close;
    if (xw)
        x = archive_export_new_rows(ca_xlsx_row, xw, period, all_rev);
    else
        x = archive_export_new(out,
                               strcmp(format, "json") ? ARCHIVE_EXPORT_CSV : ARCHIVE_EXPORT_JSON,
                               period, all_rev);
    if (x && (rc = ca_export_run(&src, x, period)) == CA_OK)
        rc = archive_export_finish(x, &rows) == JIJU_OK ? CA_OK : CA_REFUSED;
    if (xw && cli_xlsx_close(&xw, output) != JIJU_OK)
        rc = CA_REFUSED;
    if (rc == CA_OK)
        fprintf(stderr, "exported period=%s rows=%zu format=%s\n", period, rows, format);
    archive_export_destroy(&x);
    ca_src_close(&src);
out_close:
    if (xw) /* not reached the export: nothing worth writing */
        xlsx_writer_close(&xw, NULL, NULL);
    if (out != stdout && fclose(out) != 0)
        rc = CA_REFUSED;
    return rc;
}

/* ---- verify ---- */

static int ca_verify_main(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    ca_src src = {0};
    archive_verify_result r;
    char hash[72];
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if (opt != 'S' || ca_src_flag(&src, opt, optarg) != 0) {
            fprintf(opt == 'h' ? stdout : stderr, "usage: jiju archive verify --store DIR   "
                                                  "(read-only: the archive may be running)\n");
            return opt == 'h' ? CA_OK : CA_USAGE;
        }
    if (optind != argc || !src.store_dir) {
        fprintf(stderr, "usage: jiju archive verify --store DIR\n");
        return CA_USAGE;
    }
    if (ca_src_open(&src) != 0)
        return CA_USAGE; /* nothing was verified: not the verdict of a tampered chain */
    rc = archive_verify(src.store, &r);
    ca_src_close(&src);
    if (rc != JIJU_OK) {
        fprintf(stderr, "jiju archive verify: %s\n", jiju_err_str(rc));
        return CA_REFUSED;
    }
    ca_hex(r.head_hash, sizeof r.head_hash, hash, sizeof hash);
    printf("verify status=%s seq=%" PRIu64 " checked=%" PRIu64 " head_seq=%" PRIu64
           " chain_hash=%s detail=\"%s\"\n",
           archive_verify_status_str(r.status), r.seq, r.checked, r.head_seq, hash, r.detail);
    return r.status == ARCHIVE_VERIFY_OK ? CA_OK : CA_REFUSED;
}

/* ---- dispatch ---- */

int cli_archive_main(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";

    if (cli_help && strcmp(sub, "query") == 0)
        return ca_query_usage(stdout);
    if (cli_help && strcmp(sub, "export") == 0)
        return ca_export_usage(stdout);
    if (cli_help && strcmp(sub, "verify") == 0) {
        printf(
            "usage: jiju archive verify --store DIR   (read-only: the archive may be running)\n");
        return CA_OK;
    }
    if (cli_help)
        sub = "--help";
    if (strcmp(sub, "query") == 0)
        return ca_query_main(argc - 1, argv + 1);
    if (strcmp(sub, "export") == 0)
        return ca_export_main(argc - 1, argv + 1);
    if (strcmp(sub, "verify") == 0)
        return ca_verify_main(argc - 1, argv + 1);
    fprintf(strcmp(sub, "--help") == 0 ? stdout : stderr,
            "usage: jiju archive query|export|verify [ARGS]  (jiju archive SUB --help)\n");
    return strcmp(sub, "--help") == 0 ? CA_OK : CA_USAGE;
}
