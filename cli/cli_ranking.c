/* cli_ranking.c - `jiju ranking show PERIOD`: assessment's provisional or
 * final ranking as a table (clusters not ranked and why after it), or
 * --json, optionally of one category. */
#include <stdio.h>
#include <string.h>

#include "cli_admin.h"
#include "cli_table.h"
#include "err.h"
#include "money.h"
#include "pbjson.h"

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
    cli_two_decimals(e->score_micros, score, sizeof score);
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
    rc = cli_print_json(&rep->base);
    rep->n_ranking = n;
    return rc;
}

int cli_ranking_main(int argc, char **argv)
{
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetRanking gr = JIJU__V1__GET_RANKING__INIT;
    Jiju__V1__QueryReply *rep;
    cli_admin_flags f = {0};
    int category = 0, rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || strcmp(argv[1], "show") != 0 ||
        cli_admin_parse(argc - 1, argv + 1, &f) != 0 || f.n_pos != 1) {
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
    cli_admin_free(&f);
    return rc;
}
