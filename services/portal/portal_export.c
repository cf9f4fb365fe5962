/* portal_export.c - GET /api/v1/export?period=P[&cluster_id=C][&format=F]:
 * the reports a period counts, for a spreadsheet: for each cluster the
 * highest revision assessment applied (ReportAccepted events in the archive;
 * superseded ones left out), Chinese headers, amounts in 万元 with exact
 * decimals, times in the jurisdiction's zone (Asia/Shanghai).
 *
 * format=csv (the default): UTF-8 with a BOM, so Excel shows the Chinese
 * headers; fields quoted by libcsv. format=xlsx: an Excel workbook
 * (common/xlsx_write.h) with the same columns on sheet <period> - 万元 as
 * numbers, times as Excel dates - and the period's ranking (assessment's
 * GetRanking, every page) on sheet 排名, scores as numbers and the share of
 * indicators reported as a percentage. */
#include "portal_api.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "money.h"
#include "pbjson.h"
#include "period.h"
#include "portal_backend.h"
#include "tz.h"
#include "xlsx_write.h"

/* The report's indicators, in the order of the columns. */
static const struct {
    const char *field, *header;
    int money;
} COLUMNS[] = {
    {"enterprises", "入驻企业(户)", 0},
    {"investment_fen", "投入(万元)", 1},
    {"output_value_fen", "产值(万元)", 1},
    {"revenue_fen", "营业收入(万元)", 1},
    {"tax_fen", "税收(万元)", 1},
    {"employment", "吸纳就业(人)", 0},
    {"key_projects", "重点项目(个)", 0},
    {"public_service_platforms", "公共服务平台(个)", 0},
    {"attracted_investment_fen", "招商引资(万元)", 1},
};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

typedef struct row {
    char cluster_id[40], period[16], report_id[72], submitted_by[72], time[TZ_TEXT_CAP];
    uint32_t revision;
    int64_t time_ms;
    int present[N_COLUMNS];
    int64_t value[N_COLUMNS];
} row;

typedef struct export_state {
    row *rows;
    size_t n, cap;
} export_state;

/* An indicator of a report: its one-member oneof says whether it is there. */
static int indicator(const Jiju__V1__Report *rep, const char *name, int64_t *v)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(&jiju__v1__report__descriptor, name);
    const char *base = (const char *)rep;

    if (!fd || *(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
        return 0;
    *v = *(const int64_t *)(base + fd->offset);
    return 1;
}

static void fill(row *r, const Jiju__V1__Envelope *env, const Jiju__V1__Report *rep)
{
    memset(r, 0, sizeof *r);
    snprintf(r->cluster_id, sizeof r->cluster_id, "%s", rep->cluster_id);
    snprintf(r->period, sizeof r->period, "%s", rep->period);
    snprintf(r->report_id, sizeof r->report_id, "%s", rep->report_id);
    snprintf(r->submitted_by, sizeof r->submitted_by, "%s", rep->submitted_by);
    tz_format_ms(env->time_ms, r->time, sizeof r->time);
    r->revision = rep->revision;
    r->time_ms = env->time_ms;
    for (size_t c = 0; c < N_COLUMNS; c++)
        r->present[c] = indicator(rep, COLUMNS[c].field, &r->value[c]);
}

/* Keep the highest revision per cluster; the archive walks oldest first, so
 * a later event of the same revision replaces the earlier one. */
static void take(const Jiju__V1__Envelope *env, void *arg)
{
    export_state *st = arg;
    const Jiju__V1__Report *rep;

    if (env->body_case != JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED ||
        !env->report_accepted->report || env->report_accepted->superseded)
        return;
    rep = env->report_accepted->report;
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->rows[i].cluster_id, rep->cluster_id) == 0) {
            if (rep->revision >= st->rows[i].revision)
                fill(&st->rows[i], env, rep);
            return;
        }
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 32;
        row *nr = realloc(st->rows, cap * sizeof *nr);
        if (!nr)
            return;
        st->rows = nr;
        st->cap = cap;
    }
    fill(&st->rows[st->n++], env, rep);
}

static int by_cluster(const void *a, const void *b)
{
    return strcmp(((const row *)a)->cluster_id, ((const row *)b)->cluster_id);
}

/* Append one CSV field (quoted by libcsv) and its separator. */
static void field(FILE *f, const char *text, int last)
{
    csv_fwrite(f, text, strlen(text));
    fputc(last ? '\n' : ',', f);
}

/* The header: HEAD_BEFORE, the indicators, HEAD_AFTER. */
static const char *const HEAD_BEFORE[] = {"集聚区编号", "期次", "版本"};
static const char *const HEAD_AFTER[] = {"报表编号", "报送人", "受理时间"};
#define N_ALL (3 + N_COLUMNS + 3)

static void write_csv(FILE *f, const export_state *st)
{
    char num[64];

    fputs("\xEF\xBB\xBF", f); /* BOM: spreadsheets read the file as UTF-8 */
    for (size_t c = 0; c < 3; c++)
        field(f, HEAD_BEFORE[c], 0);
    for (size_t c = 0; c < N_COLUMNS; c++)
        field(f, COLUMNS[c].header, 0);
    for (size_t c = 0; c < 3; c++)
        field(f, HEAD_AFTER[c], c == 2);
    for (size_t i = 0; i < st->n; i++) {
        const row *r = &st->rows[i];
        field(f, r->cluster_id, 0);
        field(f, r->period, 0);
        snprintf(num, sizeof num, "%u", r->revision);
        field(f, num, 0);
        for (size_t c = 0; c < N_COLUMNS; c++) {
            if (!r->present[c])
                num[0] = '\0';
            else if (COLUMNS[c].money)
                money_fen_to_wan(r->value[c], num, sizeof num);
            else
                snprintf(num, sizeof num, "%lld", (long long)r->value[c]);
            field(f, num, 0);
        }
        field(f, r->report_id, 0);
        field(f, r->submitted_by, 0);
        field(f, r->time, 1);
    }
}

/* The reports' sheet: the CSV's columns, typed. */
static int xlsx_reports(xlsx_writer *w, const export_state *st)
{
    xlsx_cell cells[N_ALL];
    size_t k = 0;
    int rc;

    for (size_t c = 0; c < 3; c++)
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = HEAD_BEFORE[c]};
    for (size_t c = 0; c < N_COLUMNS; c++)
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = COLUMNS[c].header};
    for (size_t c = 0; c < 3; c++)
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = HEAD_AFTER[c]};
    rc = xlsx_writer_row(w, cells, N_ALL);
    for (size_t i = 0; i < st->n && rc == JIJU_OK; i++) {
        const row *r = &st->rows[i];
        k = 0;
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = r->cluster_id};
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = r->period};
        cells[k++] = (xlsx_cell){.kind = XLSX_INT, .value = r->revision};
        for (size_t c = 0; c < N_COLUMNS; c++)
            cells[k++] = (xlsx_cell){.kind = !r->present[c]     ? XLSX_EMPTY
                                             : COLUMNS[c].money ? XLSX_WAN
                                                                : XLSX_INT,
                                     .value = r->value[c]};
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = r->report_id};
        cells[k++] = (xlsx_cell){.kind = XLSX_TEXT, .text = r->submitted_by};
        cells[k++] = (xlsx_cell){.kind = XLSX_TIME, .value = r->time_ms};
        rc = xlsx_writer_row(w, cells, N_ALL);
    }
    return rc;
}

/* RankEntry.indicators_reported counts of the six reported indicators. */
#define RANKED_INDICATORS 6

static const char *status_zh(Jiju__V1__RankStatus s)
{
    switch (s) {
    case JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED:
        return "已排名";
    case JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED:
        return "未报送";
    case JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA:
        return "数据不足";
    default:
        return "";
    }
}

/* One RankEntry as a row; rank, scores and change left empty when not ranked. */
static int xlsx_rank_row(xlsx_writer *w, const Jiju__V1__RankEntry *e)
{
    int ranked = e->rank > 0;
    xlsx_cell cells[] = {
        {.kind = ranked ? XLSX_INT : XLSX_EMPTY, .value = e->rank},
        {.kind = XLSX_TEXT, .text = e->cluster_id},
        {.kind = XLSX_TEXT, .text = e->cluster_name},
        {.kind = XLSX_TEXT, .text = pbjson_category_zh(e->category)},
        {.kind = ranked ? XLSX_MICROS : XLSX_EMPTY, .value = e->score_micros},
        {.kind = ranked ? XLSX_INT : XLSX_EMPTY, .value = e->category_rank},
        {.kind = e->has_previous ? XLSX_INT : XLSX_EMPTY, .value = e->rank_change},
        {.kind = XLSX_TEXT, .text = status_zh(e->status)},
        {.kind = XLSX_INT, .value = e->indicators_reported},
        {.kind = XLSX_PERCENT,
         .value = (int64_t)e->indicators_reported * 1000000 / RANKED_INDICATORS},
        {.kind = XLSX_TEXT, .text = e->status_reason},
    };

    return xlsx_writer_row(w, cells, sizeof cells / sizeof cells[0]);
}

/* The period's ranking on its own sheet (of cluster only, when given). */
static int xlsx_ranking(xlsx_writer *w, const Jiju__V1__QueryReply *rep, const char *cluster)
{
    static const char *const head[] = {"名次",         "集聚区编号", "集聚区名称", "类别",
                                       "得分",         "类别名次",   "名次变化",   "状态",
                                       "报送指标(项)", "指标报送率", "说明"};
    int rc = xlsx_writer_sheet(w, rep->final ? "排名" : "排名(暂定)");

    if (rc == JIJU_OK)
        rc = xlsx_writer_text_row(w, head, sizeof head / sizeof head[0]);
    for (size_t i = 0; i < rep->n_ranking && rc == JIJU_OK; i++)
        if (!cluster || !*cluster || strcmp(rep->ranking[i]->cluster_id, cluster) == 0)
            rc = xlsx_rank_row(w, rep->ranking[i]);
    return rc;
}

/* Every page of the period's ranking; NULL *out after an error was queued. */
static enum MHD_Result fetch_ranking(portal_req *r, const char *per, Jiju__V1__QueryReply **out)
{
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetRanking gr = JIJU__V1__GET_RANKING__INIT;
    enum MHD_Result ret;
    int rc;

    gr.period = (char *)per;
    q.request_id = "export-ranking";
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING;
    q.get_ranking = &gr;
    *out = NULL;
    if ((rc = portal_query_all(r->app->backend, &q, out)) != JIJU_OK) {
        *out = NULL;
        return portal_backend_error(r, "assessment", rc);
    }
    if (!(*out)->ok) {
        ret = portal_reply_error(r, 400, "E_QUERY", "%s", (*out)->error);
        jiju__v1__query_reply__free_unpacked(*out, NULL);
        *out = NULL;
        return ret;
    }
    return MHD_YES;
}

/* The workbook in memory (*bytes, caller frees). JIJU_OK or an error. */
static int write_xlsx(const export_state *st, const Jiju__V1__QueryReply *ranking, const char *per,
                      const char *cluster, char **bytes, size_t *len)
{
    xlsx_writer *w = xlsx_writer_new(NULL, per);
    int rc;

    if (!w)
        return JIJU_ERR_IO;
    rc = xlsx_reports(w, st);
    if (rc == JIJU_OK)
        rc = xlsx_ranking(w, ranking, cluster);
    if (rc != JIJU_OK) {
        xlsx_writer_close(&w, NULL, NULL);
        return rc;
    }
    return xlsx_writer_close(&w, bytes, len);
}

static enum MHD_Result send_file(portal_req *r, const char *per, const char *ext, const char *ctype,
                                 const char *bytes, size_t len)
{
    char disposition[128];

    snprintf(disposition, sizeof disposition, "attachment; filename=\"jiju-%s.%s\"", per, ext);
    return portal_reply(
        r, 200, ctype, bytes, len,
        (const char *[]){"Content-Disposition", disposition, "Cache-Control", "no-store", NULL});
}

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

enum MHD_Result api_export(portal_req *r)
{
    const char *per = portal_arg(r, "period"), *cluster = portal_arg(r, "cluster_id");
    const char *format = portal_arg(r, "format");
    Jiju__V1__QueryReply *ranking = NULL;
    export_state st = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    int failed, xlsx, rc;
    enum MHD_Result ret;

    if (!per || !period_is_valid(per))
        return portal_reply_error(r, 400, "E_PERIOD_SYNTAX",
                                  "period \"%s\" is not 2023, 2023Q2 or 2023-05", per ? per : "");
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
        return portal_reply_error(r, 400, "E_BAD_PARAMETER", "format \"%.32s\": csv or xlsx",
                                  format);
    xlsx = format && strcmp(format, "xlsx") == 0;
    if (r->who.role == KEY_ROLE_REPORTER && (!cluster || !portal_may_report(&r->who, cluster)))
        return portal_reply_error(
            r, 403, "E_FORBIDDEN_CLUSTER",
            "%s (role reporter) may export only with cluster_id set to one of "
            "its own clusters",
            r->who.name);
    ret = portal_archive_each(r, "jiju.v1.ReportAccepted", per, cluster, take, &st, &failed);
    if (failed) {
        free(st.rows);
        return ret;
    }
    qsort(st.rows, st.n, sizeof *st.rows, by_cluster);
    if (xlsx) {
        if ((ret = fetch_ranking(r, per, &ranking)) != MHD_YES || !ranking) {
            free(st.rows);
            return ret;
        }
        rc = write_xlsx(&st, ranking, per, cluster, &text, &len);
        jiju__v1__query_reply__free_unpacked(ranking, NULL);
        free(st.rows);
        if (rc != JIJU_OK)
            return portal_reply_error(r, 500, "E_EXPORT", "the workbook could not be written (%s)",
                                      jiju_err_str(rc));
        ret = send_file(r, per, "xlsx", XLSX_TYPE, text, len);
        free(text);
        return ret;
    }
    if (!(f = open_memstream(&text, &len))) {
        free(st.rows);
        return portal_reply_error(r, 500, "E_NOMEM", "out of memory");
    }
    write_csv(f, &st);
    fclose(f);
    free(st.rows);
    ret = send_file(r, per, "csv", "text/csv; charset=utf-8", text, len);
    free(text);
    return ret;
}
