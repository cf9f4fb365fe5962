/* cli_targets.c - `jiju targets YEAR`: the year's reported totals against
 * the city targets (seed 一.二), in 万元 and percentages, or --json. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_admin.h"
#include "cli_table.h"
#include "money.h"

static int targets_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju targets YEAR [--json] [--query E]... [--timeout-ms MS]\n"
            "  the year's reported totals against the city targets (seed 一.二)\n");
    return cli_usage_rc();
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
    cli_two_decimals(pct_micros * 100, p, sizeof p - 1);
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
    cli_admin_flags f = {0};
    int rc = CLI_EXIT_USAGE;
    long year;

    if (cli_help || cli_admin_parse(argc, argv, &f) != 0 || f.n_pos != 1 ||
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
                rc = cli_print_json(&rep->targets->base);
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
    cli_admin_free(&f);
    return rc;
}
