/* cli_form.c - rows of the statistics form -> jiju.v1.Report (see cli_form.h). */
#include "cli_form.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "cli_number.h"
#include "cli_text.h"
#include "err.h"
#include "period.h"

/* Chinese column names of the statistics form -> Report field (or X_wan). */
static const struct {
    const char *zh;
    const char *field;
} zh_columns[] = {
    {"报告编号", "report_id"},
    {"集聚区编码", "cluster_id"},
    {"报告期", "period"},
    {"版本", "revision"},
    {"填报人", "submitted_by"},
    {"备注", "note"},
    {"入驻企业(户)", "enterprises"},
    {"投入(万元)", "investment_wan"},
    {"产值(万元)", "output_value_wan"},
    {"营业收入(万元)", "revenue_wan"},
    {"税收(万元)", "tax_wan"},
    {"吸纳就业(人)", "employment"},
    {"重点项目(个)", "key_projects"},
    {"公共服务平台(个)", "public_service_platforms"},
    {"招商引资(万元)", "attracted_investment_wan"},
};

/* Columns a form carries for people, or that `jiju archive export` adds
 * about an earlier acceptance (which ingest decides anew): not a Report's. */
static const char *const ignored_columns[] = {"序号",       "受理实例",    "受理序号",
                                              "存档序号",   "受理时间",    "ingest_instance",
                                              "ingest_seq", "archive_seq", "time"};
/* (the JSON export's names; its cluster_name is checked like 集聚区名称) */

enum { COL_FIELD, COL_IGNORED, COL_NAME, COL_COUNTY, COL_BLANK };

typedef struct form_col {
    char name[64];                      /* as written (normalised) */
    const ProtobufCFieldDescriptor *fd; /* COL_FIELD only */
    int kind;
    int is_wan;
} form_col;

struct cli_form {
    form_col *cols;
    size_t n_cols;
    size_t row; /* current record */
    size_t cap_reports, cap_problems;
    cli_form_result *res;
    int fatal; /* JIJU_OK or the error that stops the parse */
    char *err;
    size_t errcap;
    char dummy[8];
};

void cli_form_fail(cli_form_t *f, int rc, const char *fmt, ...)
{
    va_list ap;

    if (f->fatal)
        return;
    f->fatal = rc;
    va_start(ap, fmt);
    vsnprintf(f->err, f->errcap, fmt, ap);
    va_end(ap);
}

const char *cli_form_cell_name(size_t col, size_t row, char *buf, size_t cap)
{
    char letters[16];
    size_t n = 0;

    for (size_t c = col; c > 0 && n < sizeof letters; c = (c - 1) / 26)
        letters[n++] = (char)('A' + (c - 1) % 26);
    for (size_t i = 0; i < n / 2; i++) {
        char t = letters[i];
        letters[i] = letters[n - 1 - i];
        letters[n - 1 - i] = t;
    }
    snprintf(buf, cap, "%.*s%zu", (int)n, letters, row);
    return buf;
}

static void add_problem(cli_form_t *f, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_problem(cli_form_t *f, size_t col, const char *fmt, ...)
{
    cli_form_result *r = f->res;
    cli_form_problem *p;
    va_list ap;

    if (r->n_problems == f->cap_problems) {
        size_t cap = f->cap_problems ? f->cap_problems * 2 : 16;
        cli_form_problem *n = realloc(r->problems, cap * sizeof *n);
        if (!n) {
            cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
            return;
        }
        r->problems = n;
        f->cap_problems = cap;
    }
    p = &r->problems[r->n_problems++];
    p->row = f->row;
    p->col = col;
    snprintf(p->column, sizeof p->column, "%s",
             col && col <= f->n_cols ? f->cols[col - 1].name : "");
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

/* ---- header ---- */

/* Trim spaces, drop a stray BOM, and write full-width parentheses as ASCII. */
static void normalise_name(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    if (strncmp(in, "\xEF\xBB\xBF", 3) == 0)
        in += 3;
    in += strspn(in, " \t");
    while (*in && o + 1 < cap) {
        if (strncmp(in, "（", 3) == 0 || strncmp(in, "）", 3) == 0) {
            out[o++] = in[2] == '\x88' ? '(' : ')';
            in += 3;
        } else {
            out[o++] = *in++;
        }
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
        o--;
    out[o] = '\0';
}

/* The kind of a column and, for a Report field, its descriptor; -1 unknown. */
static int column_kind(const char *name, form_col *col)
{
    const char *field = name;
    char base[80];
    size_t n;

    if (!*name) /* a spreadsheet's empty header cell: nothing may be under it */
        return COL_BLANK;
    if (strcmp(name, "集聚区名称") == 0 || strcmp(name, "cluster_name") == 0)
        return COL_NAME;
    if (strcmp(name, "县区") == 0 || strcmp(name, "county") == 0)
        return COL_COUNTY;
    for (size_t i = 0; i < sizeof ignored_columns / sizeof *ignored_columns; i++)
        if (strcmp(name, ignored_columns[i]) == 0)
            return COL_IGNORED;
    for (size_t i = 0; i < sizeof zh_columns / sizeof *zh_columns; i++)
        if (strcmp(name, zh_columns[i].zh) == 0)
            field = zh_columns[i].field;
    n = strlen(field);
    col->is_wan = n > 4 && strcmp(field + n - 4, "_wan") == 0;
    if (col->is_wan)
        snprintf(base, sizeof base, "%.*s_fen", (int)(n - 4), field);
    else
        snprintf(base, sizeof base, "%s", field);
    col->fd = protobuf_c_message_descriptor_get_field_by_name(&jiju__v1__report__descriptor, base);
    if (!col->fd || (col->is_wan && col->fd->type != PROTOBUF_C_TYPE_INT64))
        return -1;
    return COL_FIELD;
}

static int same_column(const form_col *a, const form_col *b)
{
    return a->kind == b->kind && (a->kind != COL_FIELD || a->fd == b->fd) &&
           a->kind != COL_IGNORED && a->kind != COL_BLANK;
}

static void read_header(cli_form_t *f, char *const *cells, size_t n)
{
    char cell[16];
    int have_cluster = 0, have_period = 0;

    if (!(f->cols = calloc(n ? n : 1, sizeof *f->cols)) ||
        !(f->res->col_fields = calloc(n ? n : 1, sizeof *f->res->col_fields))) {
        cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    f->n_cols = f->res->n_cols = n;
    for (size_t i = 0; i < n && !f->fatal; i++) {
        form_col *c = &f->cols[i];

        if (cli_text_utf8_prefix(cells[i], strlen(cells[i])) != strlen(cells[i])) {
            cli_form_fail(f, JIJU_ERR_INVALID, "%s: header is not UTF-8 text",
                          cli_form_cell_name(i + 1, f->row, cell, sizeof cell));
            return;
        }
        normalise_name(cells[i], c->name, sizeof c->name);
        c->kind = column_kind(c->name, c);
        if (c->kind < 0)
            cli_form_fail(f, JIJU_ERR_INVALID, "%s \"%s\": unknown column",
                          cli_form_cell_name(i + 1, f->row, cell, sizeof cell), c->name);
        for (size_t j = 0; c->kind >= 0 && j < i; j++)
            if (same_column(&f->cols[j], c))
                cli_form_fail(f, JIJU_ERR_INVALID, "%s \"%s\": same field as column \"%s\"",
                              cli_form_cell_name(i + 1, f->row, cell, sizeof cell), c->name,
                              f->cols[j].name);
        if (c->kind == COL_FIELD && strcmp(c->fd->name, "cluster_id") == 0)
            have_cluster = 1;
        if (c->kind == COL_FIELD && strcmp(c->fd->name, "period") == 0)
            have_period = 1;
        if (c->kind == COL_FIELD)
            f->res->col_fields[i] = c->fd;
        if (c->kind == COL_NAME)
            f->res->name_col = i + 1;
        if (c->kind == COL_COUNTY)
            f->res->county_col = i + 1;
    }
    if (!have_cluster)
        cli_form_fail(f, JIJU_ERR_INVALID,
                      "row %zu: missing required column 集聚区编码 (cluster_id)", f->row);
    if (!have_period)
        cli_form_fail(f, JIJU_ERR_INVALID, "row %zu: missing required column 报告期 (period)",
                      f->row);
}

/* ---- rows ---- */

static int set_string(char **slot, const char *text)
{
    char *copy = strdup(text);

    if (!copy)
        return -1;
    *slot = copy;
    return 0;
}

static void set_number(cli_form_t *f, Jiju__V1__Report *r, size_t col, const char *text)
{
    const form_col *c = &f->cols[col - 1];
    const ProtobufCFieldDescriptor *fd = c->fd;
    void *slot = (char *)r + fd->offset;
    const char *reason = NULL;
    char plain[128];
    int64_t v = 0;

    if (strlen(text) >= sizeof plain || cli_number_clerk(text, plain, sizeof plain, &reason)) {
        add_problem(f, col, "bad %s \"%s\": %s", c->is_wan ? "amount" : "integer", text,
                    reason ? reason : "too long");
        return;
    }
    if (c->is_wan && money_wan_to_fen(plain, &v, &reason) != JIJU_OK) {
        add_problem(f, col, "bad amount \"%s\": %s", text, reason);
        return;
    }
    if (!c->is_wan && money_parse_int64(plain, &v) != JIJU_OK) {
        add_problem(f, col, "bad integer \"%s\"", text);
        return;
    }
    if (fd->type == PROTOBUF_C_TYPE_UINT32) {
        if (v < 0 || v > (int64_t)UINT32_MAX) {
            add_problem(f, col, "bad number \"%s\": expected 0..4294967295", text);
            return;
        }
        *(uint32_t *)slot = (uint32_t)v;
    } else {
        *(int64_t *)slot = v;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)r + fd->quantifier_offset) = fd->id;
}

/* Convert one non-empty cell into its field; a problem names what is wrong. */
static void set_cell(cli_form_t *f, Jiju__V1__Report *r, size_t col, const char *text)
{
    const ProtobufCFieldDescriptor *fd = f->cols[col - 1].fd;
    char plain[32];

    if (fd->type != PROTOBUF_C_TYPE_STRING) {
        set_number(f, r, col, text);
        return;
    }
    if (strcmp(fd->name, "period") == 0) {
        /* full-width digits are still the period ("２０２３") */
        if (strlen(text) < sizeof plain && cli_number_clerk(text, plain, sizeof plain, NULL) == 0 &&
            period_is_valid(plain))
            text = plain;
        else {
            add_problem(f, col, "bad period \"%s\": expected 2023, 2023Q2 or 2023-05", text);
            return;
        }
    }
    if (set_string((char **)((char *)r + fd->offset), text))
        cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
}

/* Trimmed copy of a cell, or NULL (with a problem) if not UTF-8. */
static char *cell_text(cli_form_t *f, size_t col, const char *p, size_t n)
{
    size_t ok = cli_text_utf8_prefix(p, n);
    char *copy;

    if (ok != n) {
        add_problem(f, col, "not UTF-8 text (byte 0x%02X at offset %zu)", (unsigned char)p[ok], ok);
        return NULL;
    }
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!(copy = strndup(p, n)))
        cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
    return copy;
}

static int is_required(const form_col *c)
{
    return c->kind == COL_FIELD &&
           (strcmp(c->fd->name, "cluster_id") == 0 || strcmp(c->fd->name, "period") == 0);
}

typedef struct form_row {
    Jiju__V1__Report *r;
    char *name, *county;
} form_row;

static void fill_row(cli_form_t *f, form_row *row, char *const *cells, const size_t *lens, size_t n,
                     int sparse)
{
    for (size_t i = 0; i < f->n_cols && !f->fatal; i++) {
        const form_col *c = &f->cols[i];
        char *text = i < n ? cell_text(f, i + 1, cells[i], lens[i]) : strdup("");

        if (!text)
            continue;
        if (*text && c->kind == COL_FIELD)
            set_cell(f, row->r, i + 1, text);
        else if (*text && c->kind == COL_BLANK)
            add_problem(f, i + 1, "a value under an empty header cell: \"%s\"", text);
        else if (!*text && is_required(c) && (i < n || sparse))
            add_problem(f, i + 1, "missing value for required column");
        if (*text && c->kind == COL_NAME && !row->name) {
            row->name = text;
            text = NULL;
        } else if (*text && c->kind == COL_COUNTY && !row->county) {
            row->county = text;
            text = NULL;
        }
        free(text);
    }
    if (n < f->n_cols && !sparse)
        add_problem(f, n + 1, "missing column: the row has %zu fields, the header %zu", n,
                    f->n_cols);
    for (size_t i = f->n_cols; i < n; i++)
        if (!sparse || strspn(cells[i], " \t") != lens[i]) {
            add_problem(f, 0, "wrong field count: the row has %zu fields, the header %zu", n,
                        f->n_cols);
            break;
        }
}

/* A report id derived from what identifies the report, so that importing a
 * file twice gives DUPLICATE, not a second report. */
static int derive_id(Jiju__V1__Report *r)
{
    char id[96];

    if (r->report_id && *r->report_id)
        return 0;
    snprintf(id, sizeof id, "%s-%s-r%u", r->cluster_id, r->period, r->revision);
    return set_string(&r->report_id, id);
}

static int grow_reports(cli_form_t *f)
{
    cli_form_result *res = f->res;
    size_t cap = f->cap_reports ? f->cap_reports * 2 : 64;
    Jiju__V1__Report **nr = realloc(res->reports, cap * sizeof *nr);
    size_t *rows;
    char **names, **counties;

    if (nr)
        res->reports = nr;
    if (!nr || !(rows = realloc(res->report_rows, cap * sizeof *rows)))
        return -1;
    res->report_rows = rows;
    if (!(names = realloc(res->names, cap * sizeof *names)))
        return -1;
    res->names = names;
    if (!(counties = realloc(res->counties, cap * sizeof *counties)))
        return -1;
    res->counties = counties;
    f->cap_reports = cap;
    return 0;
}

static void keep_report(cli_form_t *f, form_row *row)
{
    cli_form_result *res = f->res;

    if (res->n_reports == f->cap_reports && grow_reports(f) != 0) {
        cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    res->report_rows[res->n_reports] = f->row;
    res->names[res->n_reports] = row->name;
    res->counties[res->n_reports] = row->county;
    res->reports[res->n_reports++] = row->r;
    row->r = NULL;
    row->name = row->county = NULL;
}

static int row_is_blank(char *const *cells, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lens[i] && strspn(cells[i], " \t") != lens[i])
            return 0;
    return 1;
}

static void read_row(cli_form_t *f, char *const *cells, const size_t *lens, size_t n, int sparse)
{
    form_row row = {0};
    size_t before = f->res->n_problems;

    f->res->rows++;
    if (!(row.r = malloc(sizeof *row.r))) {
        cli_form_fail(f, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    jiju__v1__report__init(row.r);
    fill_row(f, &row, cells, lens, n, sparse);
    if (row.r->revision == 0)
        row.r->revision = 1;
    if (f->res->n_problems > before)
        f->res->bad_rows++;
    if (!f->fatal && f->res->n_problems == before && derive_id(row.r) == 0)
        keep_report(f, &row);
    if (row.r)
        jiju__v1__report__free_unpacked(row.r, NULL);
    free(row.name);
    free(row.county);
}

cli_form_t *cli_form_new(char *err, size_t errcap)
{
    cli_form_t *f = calloc(1, sizeof *f);

    if (!f)
        return NULL;
    if (!(f->res = calloc(1, sizeof *f->res))) {
        free(f);
        return NULL;
    }
    f->err = err ? err : f->dummy;
    f->errcap = err ? errcap : sizeof f->dummy;
    return f;
}

int cli_form_record(cli_form_t *f, size_t row, char *const *cells, const size_t *lens, size_t n,
                    int sparse)
{
    if (f->fatal)
        return f->fatal;
    f->row = row;
    if (row_is_blank(cells, lens, n))
        return JIJU_OK;
    if (!f->cols)
        read_header(f, cells, n);
    else
        read_row(f, cells, lens, n, sparse);
    return f->fatal;
}

void cli_form_result_free(cli_form_result **rp)
{
    cli_form_result *r = rp ? *rp : NULL;

    if (!r)
        return;
    for (size_t i = 0; i < r->n_reports; i++) {
        jiju__v1__report__free_unpacked(r->reports[i], NULL);
        free(r->names[i]);
        free(r->counties[i]);
    }
    free(r->reports);
    free(r->report_rows);
    free(r->names);
    free(r->counties);
    free(r->problems);
    free(r->col_fields);
    free(r);
    *rp = NULL;
}

int cli_form_finish(cli_form_t **fp, cli_form_result **out)
{
    cli_form_t *f = *fp;
    int rc;

    if (!f->fatal && !f->cols)
        cli_form_fail(f, JIJU_ERR_INVALID, "no header: the file has no row with column names");
    rc = f->fatal;
    if (rc == JIJU_OK)
        *out = f->res;
    else
        cli_form_result_free(&f->res);
    free(f->cols);
    free(f);
    *fp = NULL;
    return rc;
}

/* The blank form of `jiju import --template`: header, example, unit. */
static const char *const template_cells[][3] = {
    {"集聚区编码", "JL-SW-001", "登记的集聚区编码 (必填)"},
    {"集聚区名称", "东市场", "与登记一致 (核对用)"},
    {"县区", "昌邑区", "与登记一致 (核对用)"},
    {"报告期", "2023", "2023、2023Q2 或 2023-05 (必填)"},
    {"版本", "1", "更正时加 1 (默认 1)"},
    {"营业收入(万元)", "64830.11", "万元, 最多 6 位小数"},
    {"税收(万元)", "3889.80", "万元, 最多 6 位小数"},
    {"入驻企业(户)", "72", "户, 整数"},
    {"吸纳就业(人)", "2608", "人, 整数"},
    {"投入(万元)", "13614.32", "万元, 最多 6 位小数"},
    {"产值(万元)", "77796.13", "万元, 最多 6 位小数"},
    {"重点项目(个)", "3", "个, 整数"},
    {"公共服务平台(个)", "3", "个, 整数"},
    {"招商引资(万元)", "7351.73", "万元, 最多 6 位小数"},
    {"填报人", "张丽", "姓名"},
    {"备注", "", "可空"},
};

const char *cli_form_template_cell(size_t col, int what)
{
    if (col >= sizeof template_cells / sizeof *template_cells || what < 0 || what > 2)
        return NULL;
    return template_cells[col][what];
}

int cli_form_result_refuse(cli_form_result *r, size_t i, size_t col, const char *column,
                           const char *reason)
{
    cli_form_problem *grown = realloc(r->problems, (r->n_problems + 1) * sizeof *grown), *p;

    if (!grown)
        return JIJU_ERR_NOMEM;
    r->problems = grown;
    p = &r->problems[r->n_problems++];
    p->row = r->report_rows[i];
    p->col = col;
    snprintf(p->column, sizeof p->column, "%s", column);
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    jiju__v1__report__free_unpacked(r->reports[i], NULL);
    free(r->names[i]);
    free(r->counties[i]);
    r->n_reports--;
    memmove(r->reports + i, r->reports + i + 1, (r->n_reports - i) * sizeof *r->reports);
    memmove(r->report_rows + i, r->report_rows + i + 1,
            (r->n_reports - i) * sizeof *r->report_rows);
    memmove(r->names + i, r->names + i + 1, (r->n_reports - i) * sizeof *r->names);
    memmove(r->counties + i, r->counties + i + 1, (r->n_reports - i) * sizeof *r->counties);
    r->bad_rows++;
    return JIJU_OK;
}

static int problem_cmp(const void *a, const void *b)
{
    const cli_form_problem *x = a, *y = b;

    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

void cli_form_result_sort(cli_form_result *r)
{
    if (r->n_problems > 1)
        qsort(r->problems, r->n_problems, sizeof *r->problems, problem_cmp);
}

size_t cli_form_column_of(const cli_form_result *r, const char *field)
{
    if (strncmp(field, "report.", 7) == 0)
        field += 7;
    for (size_t i = 0; i < r->n_cols; i++)
        if (r->col_fields[i] && strcmp(r->col_fields[i]->name, field) == 0)
            return i + 1;
    return 0;
}
