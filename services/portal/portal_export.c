/* portal_export.c - GET /api/v1/export?period=P[&cluster_id=C]: the reports
 * a period counts, as CSV for a spreadsheet (UTF-8 with a BOM, so Excel
 * shows the Chinese headers): for each cluster the highest revision
 * assessment applied (ReportAccepted events in the archive; superseded ones
 * left out), amounts in 万元 with exact decimals, times in the
 * jurisdiction's zone (Asia/Shanghai). Fields are quoted by libcsv. */
#include "portal_api.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "money.h"
#include "period.h"
#include "tz.h"

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

static void write_csv(FILE *f, const export_state *st)
{
    char num[64];

    fputs("\xEF\xBB\xBF", f); /* BOM: spreadsheets read the file as UTF-8 */
    field(f, "集聚区编号", 0);
    field(f, "期次", 0);
    field(f, "版本", 0);
    for (size_t c = 0; c < N_COLUMNS; c++)
        field(f, COLUMNS[c].header, 0);
    field(f, "报表编号", 0);
    field(f, "报送人", 0);
    field(f, "受理时间", 1);
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

enum MHD_Result api_export(portal_req *r)
{
    const char *per = portal_arg(r, "period"), *cluster = portal_arg(r, "cluster_id");
    const char *format = portal_arg(r, "format");
    export_state st = {0};
    char *text = NULL, disposition[128];
    size_t len = 0;
    FILE *f;
    int failed;
    enum MHD_Result ret;

    if (!per || !period_is_valid(per))
        return portal_reply_error(r, 400, "E_PERIOD_SYNTAX",
                                  "period \"%s\" is not 2023, 2023Q2 or 2023-05", per ? per : "");
    if (format && strcmp(format, "csv") != 0)
        return portal_reply_error(r, 400, "E_BAD_PARAMETER", "format \"%s\": only csv", format);
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
    if (!(f = open_memstream(&text, &len))) {
        free(st.rows);
        return portal_reply_error(r, 500, "E_NOMEM", "out of memory");
    }
    write_csv(f, &st);
    fclose(f);
    free(st.rows);
    snprintf(disposition, sizeof disposition, "attachment; filename=\"jiju-%s.csv\"", per);
    ret = portal_reply(
        r, 200, "text/csv; charset=utf-8", text, len,
        (const char *[]){"Content-Disposition", disposition, "Cache-Control", "no-store", NULL});
    free(text);
    return ret;
}
