/* cli_cluster.c - `jiju cluster`: register | update | recognise |
 * eliminate go to ingest as Commands; list asks assessment and prints the
 * registry as a table (or --json). */
#include <stdio.h>
#include <string.h>

#include "cli_admin.h"
#include "cli_table.h"
#include "err.h"
#include "pbjson.h"

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
static int cluster_from_flags(const cli_admin_flags *f, Jiju__V1__Cluster *c)
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
static int cluster_define(const cli_admin_flags *f, int update)
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
    rc = cli_admin_command(f, &cmd);
    if (owned)
        jiju__v1__cluster__free_unpacked(owned, NULL);
    return rc;
}

static int cluster_recognise(const cli_admin_flags *f)
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
    return cli_admin_command(f, &cmd);
}

static int cluster_eliminate(const cli_admin_flags *f)
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
    return cli_admin_command(f, &cmd);
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

static int cluster_list(const cli_admin_flags *f)
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
        int rc = cli_print_json(&rep->base);
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
    cli_admin_flags f = {0};
    const char *verb = argc > 1 ? argv[1] : "";
    int rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || cli_admin_parse(argc - 1, argv + 1, &f) != 0)
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
    cli_admin_free(&f);
    return rc;
}
