/* archive_export.c - rows of the statistics bureau's export, CSV (libcsv
 * quoting) or JSON lines (jansson). */
#include "archive_export.h"

#include <csv.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "tz.h"

enum { AX_COUNT, AX_MONEY };

/* The indicators (seed 四.十), in the bureau's column order. */
static const struct {
    const char *header; /* CSV */
    const char *key;    /* JSON */
    int kind;
} ax_ind[] = {
    {"营业收入(万元)", "revenue_fen", AX_MONEY},
    {"税收(万元)", "tax_fen", AX_MONEY},
    {"入驻企业(户)", "enterprises", AX_COUNT},
    {"吸纳就业(人)", "employment", AX_COUNT},
    {"投入(万元)", "investment_fen", AX_MONEY},
    {"产值(万元)", "output_value_fen", AX_MONEY},
    {"重点项目(个)", "key_projects", AX_COUNT},
    {"公共服务平台(个)", "public_service_platforms", AX_COUNT},
    {"招商引资(万元)", "attracted_investment_fen", AX_MONEY},
};
#define AX_N_IND (sizeof ax_ind / sizeof ax_ind[0])

typedef struct ax_row {
    char *cluster, *period, *report_id, *submitted_by, *note, *producer;
    uint32_t revision;
    int64_t v[AX_N_IND];
    bool has[AX_N_IND];
    uint64_t source_seq, archive_seq;
    int64_t time_ms;
} ax_row;

typedef struct ax_name {
    char *cluster, *name;
    uint64_t archive_seq;
} ax_name;

struct archive_export {
    FILE *out;
    archive_export_row_fn row_fn;
    void *row_arg;
    archive_export_format fmt;
    char *period;
    bool all_revisions;
    ax_row *rows;
    size_t n_rows, cap_rows;
    ax_name *names;
    size_t n_names, cap_names;
    bool names_sorted;
    size_t written;
};

const char *archive_fen_to_wan(int64_t fen, char *buf, size_t cap)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    char frac[8];
    int digits = 6;

    snprintf(frac, sizeof frac, "%06" PRIu64, mag % 1000000);
    while (digits > 2 && frac[digits - 1] == '0')
        digits--;
    snprintf(buf, cap, "%s%" PRIu64 ".%.*s", fen < 0 ? "-" : "", mag / 1000000, digits, frac);
    return buf;
}

static void ax_row_free(ax_row *r)
{
    free(r->cluster);
    free(r->period);
    free(r->report_id);
    free(r->submitted_by);
    free(r->note);
    free(r->producer);
}

void archive_export_destroy(archive_export_t **xp)
{
    archive_export_t *x = xp ? *xp : NULL;

    if (!x)
        return;
    for (size_t i = 0; i < x->n_rows; i++)
        ax_row_free(&x->rows[i]);
    for (size_t i = 0; i < x->n_names; i++) {
        free(x->names[i].cluster);
        free(x->names[i].name);
    }
    free(x->rows);
    free(x->names);
    free(x->period);
    free(x);
    *xp = NULL;
}

/* One CSV field, quoted by libcsv, with its separator. */
static void ax_csv_field(FILE *out, const char *text, bool last)
{
    csv_fwrite(out, text, strlen(text));
    fputs(last ? "\r\n" : ",", out);
}

static const char *const ax_head_before[] = {"集聚区编码", "报告期", "版本"};
/* 备注 too: every field `jiju import` reads is exported, so an export imports
 * again unchanged (docs/cli.md "Round trip") */
static const char *const ax_head_after[] = {"集聚区名称", "报告编号", "填报人",   "备注",
                                            "受理实例",   "受理序号", "存档序号", "受理时间"};
#define AX_N_AFTER (sizeof ax_head_after / sizeof ax_head_after[0])

#define AX_N_COLS (3 + AX_N_IND + AX_N_AFTER)

static int ax_emit(archive_export_t *x, const archive_export_cell *cells)
{
    if (x->fmt == ARCHIVE_EXPORT_ROWS)
        return x->row_fn(x->row_arg, cells, AX_N_COLS);
    for (size_t i = 0; i < AX_N_COLS; i++)
        ax_csv_field(x->out, cells[i].text, i + 1 == AX_N_COLS);
    return ferror(x->out) ? JIJU_ERR_IO : JIJU_OK;
}

static int ax_header(archive_export_t *x)
{
    archive_export_cell cells[AX_N_COLS];
    size_t n = 0;

    for (size_t i = 0; i < 3; i++)
        cells[n++] = (archive_export_cell){.text = ax_head_before[i]};
    for (size_t i = 0; i < AX_N_IND; i++)
        cells[n++] = (archive_export_cell){.text = ax_ind[i].header};
    for (size_t i = 0; i < AX_N_AFTER; i++)
        cells[n++] = (archive_export_cell){.text = ax_head_after[i]};
    if (x->fmt == ARCHIVE_EXPORT_CSV)
        fputs("\xEF\xBB\xBF", x->out); /* UTF-8 BOM: spreadsheets then read the Chinese right */
    return ax_emit(x, cells);
}

archive_export_t *archive_export_new(FILE *out, archive_export_format fmt, const char *period,
                                     bool all_revisions)
{
    archive_export_t *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    if (!(x->period = strdup(period ? period : ""))) {
        free(x);
        return NULL;
    }
    x->out = out;
    x->fmt = fmt;
    x->all_revisions = all_revisions;
    if (fmt == ARCHIVE_EXPORT_CSV)
        ax_header(x);
    return x;
}

archive_export_t *archive_export_new_rows(archive_export_row_fn fn, void *arg, const char *period,
                                          bool all_revisions)
{
    archive_export_t *x = archive_export_new(NULL, ARCHIVE_EXPORT_ROWS, period, all_revisions);

    if (!x)
        return NULL;
    x->row_fn = fn;
    x->row_arg = arg;
    if (ax_header(x) != JIJU_OK)
        archive_export_destroy(&x);
    return x;
}

static int ax_add_name(archive_export_t *x, const Jiju__V1__Cluster *c, uint64_t seq)
{
    ax_name *n;

    if (!c || !c->id || !c->name)
        return JIJU_OK;
    if (x->n_names == x->cap_names) {
        size_t cap = x->cap_names ? 2 * x->cap_names : 64;
        ax_name *grown = realloc(x->names, cap * sizeof *grown);
        if (!grown)
            return JIJU_ERR_NOMEM;
        x->names = grown;
        x->cap_names = cap;
    }
    n = &x->names[x->n_names];
    n->cluster = strdup(c->id);
    n->name = strdup(c->name);
    n->archive_seq = seq;
    if (!n->cluster || !n->name) {
        free(n->cluster);
        free(n->name);
        return JIJU_ERR_NOMEM;
    }
    x->n_names++;
    x->names_sorted = false;
    return JIJU_OK;
}

static int ax_name_cmp(const void *a, const void *b)
{
    const ax_name *x = a, *y = b;
    int c = strcmp(x->cluster, y->cluster);

    return c ? c : (x->archive_seq < y->archive_seq ? -1 : x->archive_seq > y->archive_seq);
}

/* The latest name archived for a cluster ("" if none). */
static const char *ax_name_of(archive_export_t *x, const char *cluster)
{
    size_t lo = 0, hi = x->n_names;

    if (!x->names_sorted) {
        qsort(x->names, x->n_names, sizeof *x->names, ax_name_cmp);
        x->names_sorted = true;
    }
    while (lo < hi) { /* first entry > cluster: the one before is its latest */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(x->names[mid].cluster, cluster) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && strcmp(x->names[lo - 1].cluster, cluster) == 0 ? x->names[lo - 1].name : "";
}

/* The indicators of a Report, in ax_ind order. */
static void ax_values(const Jiju__V1__Report *p, ax_row *r)
{
    const struct {
        bool has;
        int64_t v;
    } in[AX_N_IND] = {
        {p->revenue_present_case == JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN, p->revenue_fen},
        {p->tax_present_case == JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN, p->tax_fen},
        {p->enterprises_present_case == JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES,
         p->enterprises},
        {p->employment_present_case == JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT,
         p->employment},
        {p->investment_present_case == JIJU__V1__REPORT__INVESTMENT_PRESENT_INVESTMENT_FEN,
         p->investment_fen},
        {p->output_value_present_case == JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN,
         p->output_value_fen},
        {p->key_projects_present_case == JIJU__V1__REPORT__KEY_PROJECTS_PRESENT_KEY_PROJECTS,
         p->key_projects},
        {p->platforms_present_case == JIJU__V1__REPORT__PLATFORMS_PRESENT_PUBLIC_SERVICE_PLATFORMS,
         p->public_service_platforms},
        {p->attracted_present_case == JIJU__V1__REPORT__ATTRACTED_PRESENT_ATTRACTED_INVESTMENT_FEN,
         p->attracted_investment_fen},
    };

    for (size_t i = 0; i < AX_N_IND; i++) {
        r->has[i] = in[i].has;
        r->v[i] = in[i].has ? in[i].v : 0;
    }
}

static int ax_row_from(const Jiju__V1__ArchiveRecord *rec, const Jiju__V1__Envelope *env,
                       const Jiju__V1__Report *p, ax_row *r)
{
    memset(r, 0, sizeof *r);
    r->cluster = strdup(p->cluster_id);
    r->period = strdup(p->period);
    r->report_id = strdup(p->report_id);
    r->submitted_by = strdup(p->submitted_by);
    r->note = strdup(p->note);
    r->producer = strdup(rec->producer_id);
    if (!r->cluster || !r->period || !r->report_id || !r->submitted_by || !r->note ||
        !r->producer) {
        ax_row_free(r);
        return JIJU_ERR_NOMEM;
    }
    r->revision = p->revision;
    ax_values(p, r);
    r->source_seq = rec->source_seq;
    r->archive_seq = rec->archive_seq;
    r->time_ms = env->time_ms;
    return JIJU_OK;
}

static int ax_write_cells(archive_export_t *x, const ax_row *r)
{
    char rev[16], vals[AX_N_IND][40], when[40], src[24], seq[24];
    archive_export_cell cells[AX_N_COLS];
    size_t n = 0;

    snprintf(rev, sizeof rev, "%u", r->revision);
    cells[n++] = (archive_export_cell){.text = r->cluster};
    cells[n++] = (archive_export_cell){.text = r->period};
    cells[n++] = (archive_export_cell){.kind = ARCHIVE_CELL_INT, .text = rev, .value = r->revision};
    for (size_t i = 0; i < AX_N_IND; i++) {
        vals[i][0] = '\0'; /* absent: empty cell, never a made-up zero */
        if (r->has[i] && ax_ind[i].kind == AX_MONEY)
            archive_fen_to_wan(r->v[i], vals[i], sizeof vals[i]);
        else if (r->has[i])
            snprintf(vals[i], sizeof vals[i], "%" PRId64, r->v[i]);
        cells[n++] = (archive_export_cell){.kind = !r->has[i]                   ? ARCHIVE_CELL_EMPTY
                                                   : ax_ind[i].kind == AX_MONEY ? ARCHIVE_CELL_WAN
                                                                                : ARCHIVE_CELL_INT,
                                           .text = vals[i],
                                           .value = r->v[i]};
    }
    snprintf(src, sizeof src, "%" PRIu64, r->source_seq);
    snprintf(seq, sizeof seq, "%" PRIu64, r->archive_seq);
    tz_format_ms(r->time_ms, when, sizeof when); /* for people: the jurisdiction's zone */
    cells[n++] = (archive_export_cell){.text = ax_name_of(x, r->cluster)};
    cells[n++] = (archive_export_cell){.text = r->report_id};
    cells[n++] = (archive_export_cell){.text = r->submitted_by};
    cells[n++] = (archive_export_cell){.text = r->note};
    cells[n++] = (archive_export_cell){.text = r->producer};
    cells[n++] = (archive_export_cell){
        .kind = ARCHIVE_CELL_INT, .text = src, .value = (int64_t)r->source_seq};
    cells[n++] = (archive_export_cell){
        .kind = ARCHIVE_CELL_INT, .text = seq, .value = (int64_t)r->archive_seq};
    cells[n++] =
        (archive_export_cell){.kind = ARCHIVE_CELL_TIME, .text = when, .value = r->time_ms};
    return ax_emit(x, cells);
}

static int ax_write_json(archive_export_t *x, const ax_row *r)
{
    json_t *o = json_object();
    char when[40];
    int rc;

    if (!o)
        return JIJU_ERR_NOMEM;
    json_object_set_new(o, "cluster_id", json_string(r->cluster));
    json_object_set_new(o, "cluster_name", json_string(ax_name_of(x, r->cluster)));
    json_object_set_new(o, "period", json_string(r->period));
    json_object_set_new(o, "revision", json_integer(r->revision));
    json_object_set_new(o, "report_id", json_string(r->report_id));
    for (size_t i = 0; i < AX_N_IND; i++)
        json_object_set_new(o, ax_ind[i].key, r->has[i] ? json_integer(r->v[i]) : json_null());
    json_object_set_new(o, "submitted_by", json_string(r->submitted_by));
    json_object_set_new(o, "note", json_string(r->note));
    json_object_set_new(o, "ingest_instance", json_string(r->producer));
    json_object_set_new(o, "ingest_seq", json_integer((json_int_t)r->source_seq));
    json_object_set_new(o, "archive_seq", json_integer((json_int_t)r->archive_seq));
    json_object_set_new(o, "time", json_string(tz_format_ms(r->time_ms, when, sizeof when)));
    rc = json_dumpf(o, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 ? JIJU_OK : JIJU_ERR_IO;
    fputc('\n', x->out);
    json_decref(o);
    return rc;
}

static int ax_write(archive_export_t *x, const ax_row *r)
{
    x->written++;
    if (x->fmt == ARCHIVE_EXPORT_JSON)
        return ax_write_json(x, r);
    return ax_write_cells(x, r);
}

static int ax_keep(archive_export_t *x, const ax_row *r)
{
    if (x->n_rows == x->cap_rows) {
        size_t cap = x->cap_rows ? 2 * x->cap_rows : 64;
        ax_row *grown = realloc(x->rows, cap * sizeof *grown);
        if (!grown)
            return JIJU_ERR_NOMEM;
        x->rows = grown;
        x->cap_rows = cap;
    }
    x->rows[x->n_rows++] = *r;
    return JIJU_OK;
}

static int ax_add_report(archive_export_t *x, const Jiju__V1__ArchiveRecord *rec,
                         const Jiju__V1__Envelope *env, const Jiju__V1__Report *p)
{
    ax_row r;
    int rc;

    if (!p || strcmp(p->period, x->period) != 0)
        return JIJU_OK;
    if ((rc = ax_row_from(rec, env, p, &r)) != JIJU_OK)
        return rc;
    if (x->all_revisions) {
        rc = ax_write(x, &r);
        ax_row_free(&r);
        return rc;
    }
    if ((rc = ax_keep(x, &r)) != JIJU_OK)
        ax_row_free(&r);
    return rc;
}

int archive_export_add(archive_export_t *x, const Jiju__V1__ArchiveRecord *rec)
{
    Jiju__V1__Envelope *env = envelope_decode(rec->envelope.data, rec->envelope.len);
    int rc = JIJU_OK;

    if (!env)
        return JIJU_OK; /* not an envelope: makes no row */
    if (env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED && env->report_accepted)
        rc = ax_add_report(x, rec, env, env->report_accepted->report);
    else if (env->body_case == JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED &&
             env->cluster_registered)
        rc = ax_add_name(x, env->cluster_registered->cluster, rec->archive_seq);
    else if (env->body_case == JIJU__V1__ENVELOPE__BODY_CLUSTER_UPDATED && env->cluster_updated)
        rc = ax_add_name(x, env->cluster_updated->cluster, rec->archive_seq);
    envelope_free(&env);
    return rc;
}

/* Cluster ascending, then the row that wins: highest revision, latest seq. */
static int ax_row_cmp(const void *a, const void *b)
{
    const ax_row *x = a, *y = b;
    int c = strcmp(x->cluster, y->cluster);

    if (c)
        return c;
    if (x->revision != y->revision)
        return x->revision > y->revision ? -1 : 1;
    return x->archive_seq > y->archive_seq ? -1 : x->archive_seq < y->archive_seq;
}

int archive_export_finish(archive_export_t *x, size_t *rows)
{
    int rc = JIJU_OK;

    if (x->n_rows) /* qsort with a NULL array is undefined even for 0 rows */
        qsort(x->rows, x->n_rows, sizeof *x->rows, ax_row_cmp);
    for (size_t i = 0; i < x->n_rows && rc == JIJU_OK; i++)
        if (i == 0 || strcmp(x->rows[i].cluster, x->rows[i - 1].cluster) != 0)
            rc = ax_write(x, &x->rows[i]);
    if (x->out && fflush(x->out) != 0 && rc == JIJU_OK)
        rc = JIJU_ERR_IO;
    if (rows)
        *rows = x->written;
    return rc;
}
