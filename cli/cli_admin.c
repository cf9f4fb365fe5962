/* cli_admin.c - the city DRC office's commands: cluster register | update |
 * recognise | eliminate and period open | close go to ingest as Commands
 * (the submit path); cluster list, ranking show, targets and ping ask
 * assessment's query endpoint (proto/jiju/v1/query.proto). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "cli_table.h"
#include "clock.h"
#include "err.h"
#include "jiju/v1/query.pb-c.h"
#include "money.h"
#include "pb.h"
#include "pbjson.h"
#include "query_pages.h"
#include "rpc.h"

#define ADMIN_TIMEOUT_MS 5000
#define MAX_INDUSTRIES 8
#define MAX_POSITIONAL 2

typedef struct admin_flags {
    const char *id, *name, *category, *county, *level, *org, *file, *document, *reason;
    const char *industries[MAX_INDUSTRIES];
    size_t n_industries;
    const char *pos[MAX_POSITIONAL]; /* positional arguments after the verb */
    size_t n_pos;
    cli_endpoints ingest, query;
    int timeout_ms;
    int json; /* --json: the reply in the protobuf JSON mapping */
} admin_flags;

static int set_flag(admin_flags *f, int c, const char *arg)
{
    switch (c) {
    case 'i':
        f->id = arg;
        return 0;
    case 'n':
        f->name = arg;
        return 0;
    case 'c':
        f->category = arg;
        return 0;
    case 'C':
        f->county = arg;
        return 0;
    case 'l':
        f->level = arg;
        return 0;
    case 'o':
        f->org = arg;
        return 0;
    case 'f':
        f->file = arg;
        return 0;
    case 'd':
        f->document = arg;
        return 0;
    case 'r':
        f->reason = arg;
        return 0;
    case 'I':
        if (f->n_industries == MAX_INDUSTRIES)
            return -1;
        f->industries[f->n_industries++] = arg;
        return 0;
    case 'e':
        return cli_endpoints_add(&f->ingest, arg) == JIJU_OK ? 0 : -1;
    case 'q':
        return cli_endpoints_add(&f->query, arg) == JIJU_OK ? 0 : -1;
    case 't':
        return (f->timeout_ms = atoi(arg)) > 0 ? 0 : -1;
    case 'j':
        f->json = 1;
        return 0;
    default:
        return -1;
    }
}

/* Parse argv (argv[0] is the verb) into f; endpoints get their defaults. */
static int parse_admin(int argc, char **argv, admin_flags *f)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"category", required_argument, NULL, 'c'},
        {"county", required_argument, NULL, 'C'},
        {"level", required_argument, NULL, 'l'},
        {"industry", required_argument, NULL, 'I'},
        {"org", required_argument, NULL, 'o'},
        {"file", required_argument, NULL, 'f'},
        {"document", required_argument, NULL, 'd'},
        {"reason", required_argument, NULL, 'r'},
        {"endpoint", required_argument, NULL, 'e'},
        {"query", required_argument, NULL, 'q'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int c;

    f->timeout_ms = ADMIN_TIMEOUT_MS;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (set_flag(f, c, optarg) != 0)
            return -1;
    for (; optind < argc; optind++) {
        if (f->n_pos == MAX_POSITIONAL)
            return -1;
        f->pos[f->n_pos++] = argv[optind];
    }
    if (cli_endpoints_default(&f->ingest, "JIJU_INGEST", CLI_DEFAULT_INGEST) != JIJU_OK ||
        cli_endpoints_default(&f->query, "JIJU_ASSESSMENT_QUERY", CLI_DEFAULT_QUERY) != JIJU_OK)
        return -1;
    return 0;
}

static void free_admin(admin_flags *f)
{
    cli_endpoints_clear(&f->ingest);
    cli_endpoints_clear(&f->query);
}

/* ---- usage ---- */

static int cluster_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju cluster register --id ID --name N --category C [--county X] [--level "
            "city|provincial]\n"
            "                             [--industry I]... [--org O]   (or --file cluster.json)\n"
            "       jiju cluster update   (the same flags: replaces name, category, county, "
            "industries, org)\n"
            "       jiju cluster recognise ID --document D\n"
            "       jiju cluster eliminate ID --reason R\n"
            "       jiju cluster list [--json]\n"
            "  register/update/recognise/eliminate go to ingest (--endpoint E, $JIJU_INGEST, %s);\n"
            "  list asks assessment (--query E, $JIJU_ASSESSMENT_QUERY, %s); --timeout-ms MS\n",
            CLI_DEFAULT_INGEST, CLI_DEFAULT_QUERY);
    return cli_usage_rc();
}

static int period_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju period open PERIOD | jiju period close PERIOD\n"
            "  PERIOD: 2023, 2023Q2 or 2023-05; sent to ingest (--endpoint E, $JIJU_INGEST, %s)\n",
            CLI_DEFAULT_INGEST);
    return cli_usage_rc();
}

static int ranking_usage(void)
{
    fprintf(
        cli_usage_out(),
        "usage: jiju ranking show PERIOD [--category C] [--json] [--query E]... [--timeout-ms MS]\n"
        "  the provisional or final ranking of PERIOD from assessment ($JIJU_ASSESSMENT_QUERY, "
        "%s)\n",
        CLI_DEFAULT_QUERY);
    return cli_usage_rc();
}

static int targets_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju targets YEAR [--json] [--query E]... [--timeout-ms MS]\n"
            "  the year's reported totals against the city targets (seed 一.二)\n");
    return cli_usage_rc();
}

static int ping_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju ping [--ingest] ENDPOINT [--timeout-ms T]\n"
            "  health check of a query endpoint (assessment) or, with --ingest,\n"
            "  of an ingest replica's submit endpoint: ok ... or no answer (exit 1)\n");
    return cli_usage_rc();
}

/* ---- commands through ingest ---- */

static void print_command_reply(void *arg, size_t index, const Jiju__V1__SubmitReply *reply)
{
    (void)index;
    if (reply)
        cli_print_reply(stdout, arg, reply);
    else
        printf("%s FAILED no ingest endpoint answered\n", (const char *)arg);
}

static int run_command(const admin_flags *f, Jiju__V1__Command *cmd)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&jiju__v1__command__descriptor, cmd->kind_case);
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT, *reqs[1] = {&req};
    cli_tally tally = {0};
    char id[80];

    snprintf(id, sizeof id, "0:%s", fd ? fd->name : "command");
    req.request_id = id;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = cmd;
    if (cli_submit_run(&f->ingest, reqs, 1, f->timeout_ms, print_command_reply, id + 2, &tally) !=
        JIJU_OK) {
        fprintf(stderr, "jiju: cannot reach ingest at %s\n", f->ingest.list[0]);
        return CLI_EXIT_REFUSED;
    }
    return cli_tally_exit(&tally);
}

/* A Cluster from --file (a Cluster object, or {"cluster": {...}}). */
static Jiju__V1__Cluster *cluster_from_file(const char *path)
{
    pbjson_error jerr;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *obj;
    Jiju__V1__Cluster *c = NULL;
    char buf[400];

    if (!root) {
        fprintf(stderr, "jiju: %s: line %d column %d: %s\n", path, je.line, je.column, je.text);
        return NULL;
    }
    obj = json_object_get(root, "cluster") ? json_object_get(root, "cluster") : root;
    c = (Jiju__V1__Cluster *)pbjson_to_message(&jiju__v1__cluster__descriptor, obj, "", &jerr);
    if (!c)
        fprintf(stderr, "jiju: %s: %s\n", path, pbjson_error_format(&jerr, buf, sizeof buf));
    json_decref(root);
    return c;
}

/* A Cluster from flags; strings point into argv. 0 or -1 (reported). */
static int cluster_from_flags(const admin_flags *f, Jiju__V1__Cluster *c)
{
    int v;

    jiju__v1__cluster__init(c);
    if (!f->id || !f->name || !f->category) {
        fprintf(stderr, "jiju cluster: --id, --name and --category are required (or --file)\n");
        return -1;
    }
    c->id = (char *)f->id;
    c->name = (char *)f->name;
    if (pbjson_enum_parse(&jiju__v1__category__descriptor, f->category, &v) != JIJU_OK) {
        fprintf(stderr, "jiju cluster: unknown category \"%s\"\n", f->category);
        return -1;
    }
    c->category = v;
    if (f->level && pbjson_enum_parse(&jiju__v1__level__descriptor, f->level, &v) != JIJU_OK) {
        fprintf(stderr, "jiju cluster: unknown level \"%s\" (city or provincial)\n", f->level);
        return -1;
    }
    c->level = f->level ? v : JIJU__V1__LEVEL__CITY;
    c->county = (char *)(f->county ? f->county : "");
    c->management_org = (char *)(f->org ? f->org : "");
    c->leading_industries = (char **)f->industries;
    c->n_leading_industries = f->n_industries;
    return 0;
}

/* register and update share everything but the Command member. */
static int cluster_define(const admin_flags *f, int update)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster reg = JIJU__V1__REGISTER_CLUSTER__INIT;
    Jiju__V1__UpdateCluster upd = JIJU__V1__UPDATE_CLUSTER__INIT;
    Jiju__V1__Cluster flags_cluster, *c = &flags_cluster, *owned = NULL;
    int rc;

    if (f->file ? !(c = owned = cluster_from_file(f->file)) : cluster_from_flags(f, c) != 0)
        return CLI_EXIT_USAGE;
    if (update) {
        upd.cluster = c;
        cmd.kind_case = JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER;
        cmd.update_cluster = &upd;
    } else {
        reg.cluster = c;
        cmd.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
        cmd.register_cluster = &reg;
    }
    rc = run_command(f, &cmd);
    if (owned)
        jiju__v1__cluster__free_unpacked(owned, NULL);
    return rc;
}

static int cluster_recognise(const admin_flags *f)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RecordRecognition rr = JIJU__V1__RECORD_RECOGNITION__INIT;

    if (f->n_pos != 1 || !f->document) {
        fprintf(stderr, "usage: jiju cluster recognise ID --document D\n");
        return CLI_EXIT_USAGE;
    }
    rr.cluster_id = (char *)f->pos[0];
    rr.document = (char *)f->document;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION;
    cmd.record_recognition = &rr;
    return run_command(f, &cmd);
}

static int cluster_eliminate(const admin_flags *f)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__EliminateCluster ec = JIJU__V1__ELIMINATE_CLUSTER__INIT;

    if (f->n_pos != 1 || !f->reason) {
        fprintf(stderr, "usage: jiju cluster eliminate ID --reason R\n");
        return CLI_EXIT_USAGE;
    }
    ec.cluster_id = (char *)f->pos[0];
    ec.reason = (char *)f->reason;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER;
    cmd.eliminate_cluster = &ec;
    return run_command(f, &cmd);
}

int cli_period_main(int argc, char **argv)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    admin_flags f = {0};
    int rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || parse_admin(argc - 1, argv + 1, &f) != 0 || f.n_pos != 1) {
        rc = period_usage();
        goto out;
    }
    if (strcmp(argv[1], "open") == 0) {
        op.period = (char *)f.pos[0];
        cmd.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
        cmd.open_period = &op;
    } else if (strcmp(argv[1], "close") == 0) {
        cp.period = (char *)f.pos[0];
        cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
        cmd.close_period = &cp;
    } else {
        fprintf(stderr, "jiju period: unknown verb \"%s\" (open, close)\n", argv[1]);
        rc = period_usage();
        goto out;
    }
    rc = run_command(&f, &cmd);
out:
    free_admin(&f);
    return rc;
}

/* ---- queries to assessment ---- */

/* One page: pack, call with failover, unpack. */
static int query_call(void *arg, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply **out)
{
    uint8_t *buf = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    int rc = pb_pack(&req->base, &buf, &len);

    if (rc == JIJU_OK)
        rc = rpc_call(arg, buf, len, &reply, &rlen);
    if (rc == JIJU_OK && !(*out = jiju__v1__query_reply__unpack(NULL, rlen, reply)))
        rc = JIJU_ERR_CORRUPT;
    free(reply);
    free(buf);
    return rc;
}

/* Ask the query endpoints, every page of a paged answer (query_pages.h);
 * NULL (reported on stderr) if no answer or !ok. Caller frees with
 * jiju__v1__query_reply__free_unpacked. */
Jiju__V1__QueryReply *cli_query(const cli_endpoints *eps, Jiju__V1__QueryRequest *req,
                                int timeout_ms, int quiet)
{
    void *z = zmq_ctx_new();
    int per_try = timeout_ms / (int)(2 * eps->n) > 0 ? timeout_ms / (int)(2 * eps->n) : 1;
    rpc_t *r = z ? rpc_new(z, (const char *const *)eps->list, eps->n, per_try) : NULL;
    Jiju__V1__QueryReply *rep = NULL;
    int rc = JIJU_ERR_NOMEM;

    if (r && cli_curve_rpc(r, CLI_KEY_ASSESSMENT) != 0)
        rc = JIJU_ERR_CONFIG;
    else if (r)
        rc = query_all(query_call, r, req, &rep);
    if (!quiet && rc != JIJU_OK)
        fprintf(stderr, "jiju: no answer from %s: %s\n", eps->list[0], jiju_err_str(rc));
    if (rep && !rep->ok) {
        if (!quiet)
            fprintf(stderr, "jiju: %s refused the query: %s\n", rep->instance, rep->error);
        jiju__v1__query_reply__free_unpacked(rep, NULL);
        rep = NULL;
    }
    rpc_destroy(&r);
    if (z)
        zmq_ctx_term(z);
    return rep;
}

/* --json: msg in the protobuf JSON mapping (field names as in the .proto),
 * one line on stdout. */
static int print_json(const ProtobufCMessage *msg)
{
    json_t *o = pbjson_from_message(msg);
    int rc = o && json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0;

    json_decref(o);
    putchar('\n');
    return rc ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

/* Scores and rates, one way everywhere: millionths rounded half away from
 * zero to exactly two decimals ("96.33", "0.00"; rates as "100.73%"). The
 * exact value is in --json. */
static const char *two_decimals(int64_t micros, char *buf, size_t cap)
{
    uint64_t mag = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    uint64_t hundredths = (mag + 5000) / 10000;

    snprintf(buf, cap, "%s%llu.%02llu", micros < 0 && hundredths ? "-" : "",
             (unsigned long long)(hundredths / 100), (unsigned long long)(hundredths % 100));
    return buf;
}

static const char *level_zh(int level)
{
    return level == JIJU__V1__LEVEL__PROVINCIAL ? "省级" : "市级";
}

static void add_cluster_row(cli_table_t *t, const Jiju__V1__Cluster *c)
{
    char industries[256] = "";
    const char *cells[7];

    for (size_t i = 0; i < c->n_leading_industries; i++)
        snprintf(industries + strlen(industries), sizeof industries - strlen(industries), "%s%s",
                 i ? "、" : "", c->leading_industries[i]);
    cells[0] = c->id;
    cells[1] = c->name;
    cells[2] = pbjson_category_zh(c->category);
    cells[3] = c->county;
    cells[4] = level_zh(c->level);
    cells[5] = c->status == JIJU__V1__CLUSTER_STATUS__ELIMINATED ? "已淘汰" : "在册";
    cells[6] = industries;
    cli_table_add(t, cells);
}

static int cluster_list(const admin_flags *f)
{
    static const char *const headers[] = {"编码", "名称", "类别",    "县区",
                                          "级别", "状态", "主导产业"};
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__ListClusters lc = JIJU__V1__LIST_CLUSTERS__INIT;
    Jiju__V1__QueryReply *rep;
    cli_table_t *t;

    req.request_id = "list";
    req.kind_case = JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS;
    req.list_clusters = &lc;
    if (!(rep = cli_query(&f->query, &req, f->timeout_ms, 0)))
        return CLI_EXIT_REFUSED;
    if (f->json) {
        int rc = print_json(&rep->base);
        jiju__v1__query_reply__free_unpacked(rep, NULL);
        return rc;
    }
    if ((t = cli_table_new(7, headers))) {
        for (size_t i = 0; i < rep->n_clusters; i++)
            add_cluster_row(t, rep->clusters[i]);
        cli_table_print(t, stdout);
        cli_table_destroy(&t);
    }
    printf("clusters=%zu\n", rep->n_clusters);
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return CLI_EXIT_OK;
}

int cli_cluster_main(int argc, char **argv)
{
    admin_flags f = {0};
    const char *verb = argc > 1 ? argv[1] : "";
    int rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || parse_admin(argc - 1, argv + 1, &f) != 0)
        rc = cluster_usage();
    else if (strcmp(verb, "register") == 0 || strcmp(verb, "update") == 0)
        rc = cluster_define(&f, strcmp(verb, "update") == 0);
    else if (strcmp(verb, "list") == 0)
        rc = cluster_list(&f);
    else if (strcmp(verb, "recognise") == 0 || strcmp(verb, "recognize") == 0)
        rc = cluster_recognise(&f);
    else if (strcmp(verb, "eliminate") == 0)
        rc = cluster_eliminate(&f);
    else {
        fprintf(stderr, "jiju cluster: unknown verb \"%s\"\n", verb);
        rc = cluster_usage();
    }
    free_admin(&f);
    return rc;
}

static void rank_change_text(const Jiju__V1__RankEntry *e, char *buf, size_t cap)
{
    if (!e->has_previous)
        snprintf(buf, cap, "新");
    else if (e->rank_change == 0)
        snprintf(buf, cap, "=");
    else
        snprintf(buf, cap, "%+d", e->rank_change);
}

/* A cluster not ranked (the data-availability rule): its status where the
 * rank would be, nothing in the rank columns; the reason follows the table. */
static const char *unranked_text(const Jiju__V1__RankEntry *e)
{
    if (e->status == JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED)
        return "未报送";
    if (e->status == JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA)
        return "数据不足";
    return NULL;
}

static void add_rank_row(cli_table_t *t, const Jiju__V1__RankEntry *e)
{
    char rank[16], crank[16], score[MONEY_WAN_TEXT_CAP], change[16];
    const char *cells[7] = {rank,  e->cluster_id, e->cluster_name, pbjson_category_zh(e->category),
                            crank, score,         change};
    const char *unranked = unranked_text(e);

    if (unranked) {
        const char *row[7] = {
            unranked, e->cluster_id, e->cluster_name, pbjson_category_zh(e->category), "-", "-",
            "-"};
        cli_table_add(t, row);
        return;
    }
    snprintf(rank, sizeof rank, "%u", e->rank);
    snprintf(crank, sizeof crank, "%u", e->category_rank);
    two_decimals(e->score_micros, score, sizeof score);
    rank_change_text(e, change, sizeof change);
    cli_table_add(t, cells);
}

static int ranking_table(const Jiju__V1__QueryReply *rep, const char *period, int category)
{
    static const char *const headers[] = {"排名",     "编码", "名称", "类别",
                                          "类别排名", "得分", "变化"};
    cli_table_t *t = cli_table_new(7, headers);
    size_t shown = 0, unranked = 0;

    if (!t)
        return CLI_EXIT_REFUSED;
    cli_table_align_right(t, 0);
    cli_table_align_right(t, 4);
    cli_table_align_right(t, 5);
    cli_table_align_right(t, 6);
    for (size_t i = 0; i < rep->n_ranking; i++) {
        if (category && (int)rep->ranking[i]->category != category)
            continue;
        add_rank_row(t, rep->ranking[i]);
        shown++;
        unranked += unranked_text(rep->ranking[i]) != NULL;
    }
    printf("%s %s (%s)\n", period, rep->final ? "最终排名" : "暂定排名",
           rep->final ? "final" : "provisional");
    cli_table_print(t, stdout);
    for (size_t i = 0; i < rep->n_ranking; i++)
        if ((!category || (int)rep->ranking[i]->category == category) &&
            unranked_text(rep->ranking[i]))
            printf("%s %s\n", rep->ranking[i]->cluster_id, rep->ranking[i]->status_reason);
    printf("clusters=%zu ranked=%zu not_ranked=%zu\n", shown, shown - unranked, unranked);
    cli_table_destroy(&t);
    return CLI_EXIT_OK;
}

/* --json [--category C]: the reply with only that category's entries (the
 * others moved past n_ranking meanwhile, so that the reply frees whole). */
static int ranking_json(Jiju__V1__QueryReply *rep, int category)
{
    size_t n = rep->n_ranking, kept = 0;
    int rc;

    for (size_t i = 0; category && i < n; i++)
        if ((int)rep->ranking[i]->category == category) {
            Jiju__V1__RankEntry *e = rep->ranking[kept];
            rep->ranking[kept++] = rep->ranking[i];
            rep->ranking[i] = e;
        }
    if (category)
        rep->n_ranking = kept;
    rc = print_json(&rep->base);
    rep->n_ranking = n;
    return rc;
}

int cli_ranking_main(int argc, char **argv)
{
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetRanking gr = JIJU__V1__GET_RANKING__INIT;
    Jiju__V1__QueryReply *rep;
    admin_flags f = {0};
    int category = 0, rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || strcmp(argv[1], "show") != 0 ||
        parse_admin(argc - 1, argv + 1, &f) != 0 || f.n_pos != 1) {
        rc = ranking_usage();
        goto out;
    }
    if (f.category &&
        pbjson_enum_parse(&jiju__v1__category__descriptor, f.category, &category) != JIJU_OK) {
        fprintf(stderr, "jiju ranking: unknown category \"%s\"\n", f.category);
        goto out;
    }
    gr.period = (char *)f.pos[0];
    req.request_id = "ranking";
    req.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING;
    req.get_ranking = &gr;
    rc = CLI_EXIT_REFUSED;
    if ((rep = cli_query(&f.query, &req, f.timeout_ms, 0))) {
        rc = f.json ? ranking_json(rep, category) : ranking_table(rep, gr.period, category);
        jiju__v1__query_reply__free_unpacked(rep, NULL);
    }
out:
    free_admin(&f);
    return rc;
}

/* One line of the targets table: count or fen values, and the percentage. */
static void add_target_row(cli_table_t *t, const char *label, int64_t actual, int64_t target,
                           int64_t pct_micros, int money)
{
    char a[MONEY_WAN_TEXT_CAP], g[MONEY_WAN_TEXT_CAP], p[MONEY_WAN_TEXT_CAP + 1];
    const char *cells[4] = {label, a, g, p};

    if (money) {
        money_fen_to_wan(actual, a, sizeof a);
        money_fen_to_wan(target, g, sizeof g);
    } else {
        snprintf(a, sizeof a, "%lld", (long long)actual);
        snprintf(g, sizeof g, "%lld", (long long)target);
    }
    /* millionths of 1 -> percent: the same digits shifted by two places */
    two_decimals(pct_micros * 100, p, sizeof p - 1);
    strcat(p, "%");
    cli_table_add(t, cells);
}

static void targets_table(const Jiju__V1__TargetProgress *tp, bool frozen)
{
    static const char *const headers[] = {"指标", "实际", "目标", "完成率"};
    cli_table_t *t = cli_table_new(4, headers);

    if (!t)
        return;
    for (size_t c = 1; c < 4; c++)
        cli_table_align_right(t, c);
    add_target_row(t, "集聚区数(个)", tp->active_clusters, tp->target_clusters,
                   tp->clusters_pct_micros, 0);
    add_target_row(t, "营业收入(万元)", tp->revenue_fen, tp->target_revenue_fen,
                   tp->revenue_pct_micros, 1);
    add_target_row(t, "入驻企业(户)", tp->enterprises, tp->target_enterprises,
                   tp->enterprises_pct_micros, 0);
    add_target_row(t, "吸纳就业(人)", tp->employment, tp->target_employment,
                   tp->employment_pct_micros, 0);
    printf("%u 年目标进度 (报告期 %s%s)\n", tp->year, tp->period[0] ? tp->period : "-",
           frozen ? ", 已关闭: 关闭时的数字 (frozen at close)" : "");
    cli_table_print(t, stdout);
    cli_table_destroy(&t);
}

/* A year the city set no targets for is answered with zero targets. */
static int has_targets(const Jiju__V1__TargetProgress *tp)
{
    return tp->target_clusters || tp->target_revenue_fen || tp->target_enterprises ||
           tp->target_employment;
}

int cli_targets_main(int argc, char **argv)
{
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetTargets gt = JIJU__V1__GET_TARGETS__INIT;
    Jiju__V1__QueryReply *rep;
    admin_flags f = {0};
    int rc = CLI_EXIT_USAGE;
    long year;

    if (cli_help || parse_admin(argc, argv, &f) != 0 || f.n_pos != 1 ||
        (year = strtol(f.pos[0], NULL, 10)) < 2000 || year > 2999) {
        rc = targets_usage();
        goto out;
    }
    gt.year = (uint32_t)year;
    req.request_id = "targets";
    req.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_TARGETS;
    req.get_targets = &gt;
    rc = CLI_EXIT_REFUSED;
    if ((rep = cli_query(&f.query, &req, f.timeout_ms, 0))) {
        if (rep->targets && has_targets(rep->targets)) {
            if (f.json)
                rc = print_json(&rep->targets->base);
            else
                targets_table(rep->targets, rep->targets_frozen);
            rc = f.json ? rc : CLI_EXIT_OK;
        } else {
            fprintf(stderr, "jiju targets: no targets are set for %ld (%ld 年没有设定目标)\n", year,
                    year);
        }
        jiju__v1__query_reply__free_unpacked(rep, NULL);
    }
out:
    free_admin(&f);
    return rc;
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
static int ping_ingest(admin_flags *f)
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
    admin_flags f = {0};
    int64_t start;
    int rc = CLI_EXIT_USAGE, ingest = argc > 1 && strcmp(argv[1], "--ingest") == 0;

    if (ingest) { /* the flag comes first: shift it away */
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    if (cli_help || parse_admin(argc, argv, &f) != 0 || f.n_pos != 1) {
        rc = ping_usage();
        goto out;
    }
    if (f.timeout_ms == ADMIN_TIMEOUT_MS)
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
    free_admin(&f);
    return rc;
}
