/* cli_csv.c - CSV rows -> jiju.v1.Report with libcsv (see cli_csv.h). */
#include "cli_csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "err.h"
#include "money.h"
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

/* Columns a form may carry for people; not part of a Report. */
static const char *const ignored_columns[] = {"集聚区名称", "cluster_name", "序号", "县区",
                                              "county"};

typedef struct csv_col {
    char name[64];                      /* as written (normalised) */
    const ProtobufCFieldDescriptor *fd; /* NULL: ignored column */
    int is_wan;
} csv_col;

typedef struct csv_state {
    char **cells;
    size_t *lens;
    size_t n_cells, cap_cells;
    csv_col *cols;
    size_t n_cols;
    size_t row; /* current record, header = 1 */
    size_t cap_reports, cap_problems;
    cli_csv_result *res;
    int fatal; /* JIJU_OK or the error that stops the parse */
    char *err;
    size_t errcap;
} csv_state;

static void fail(csv_state *st, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(csv_state *st, int rc, const char *fmt, ...)
{
    va_list ap;

    if (st->fatal)
        return;
    st->fatal = rc;
    va_start(ap, fmt);
    vsnprintf(st->err, st->errcap, fmt, ap);
    va_end(ap);
}

static void add_problem(csv_state *st, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_problem(csv_state *st, const char *column, const char *fmt, ...)
{
    cli_csv_result *r = st->res;
    cli_csv_problem *p;
    va_list ap;

    if (r->n_problems == st->cap_problems) {
        size_t cap = st->cap_problems ? st->cap_problems * 2 : 16;
        cli_csv_problem *n = realloc(r->problems, cap * sizeof *n);
        if (!n) {
            fail(st, JIJU_ERR_NOMEM, "out of memory");
            return;
        }
        r->problems = n;
        st->cap_problems = cap;
    }
    p = &r->problems[r->n_problems++];
    p->row = st->row;
    snprintf(p->column, sizeof p->column, "%s", column ? column : "");
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

/* ---- header ---- */

/* Trim spaces, drop a UTF-8 BOM, and write full-width parentheses as ASCII. */
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

/* The Report field a column name stands for; 0 found, 1 ignored, -1 unknown. */
static int column_field(const char *name, csv_col *col)
{
    const char *field = name;
    char base[80];
    size_t n;

    for (size_t i = 0; i < sizeof ignored_columns / sizeof *ignored_columns; i++)
        if (strcmp(name, ignored_columns[i]) == 0)
            return 1;
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
    return 0;
}

static void read_header(csv_state *st)
{
    int have_cluster = 0, have_period = 0;

    if (!(st->cols = calloc(st->n_cells ? st->n_cells : 1, sizeof *st->cols))) {
        fail(st, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    st->n_cols = st->n_cells;
    for (size_t i = 0; i < st->n_cells && !st->fatal; i++) {
        csv_col *c = &st->cols[i];
        int kind;

        normalise_name(st->cells[i], c->name, sizeof c->name);
        kind = column_field(c->name, c);
        if (kind < 0)
            fail(st, JIJU_ERR_INVALID, "row 1 column %zu \"%s\": unknown column", i + 1, c->name);
        for (size_t j = 0; kind == 0 && j < i; j++)
            if (st->cols[j].fd == c->fd)
                fail(st, JIJU_ERR_INVALID, "row 1 column %zu \"%s\": same field as column \"%s\"",
                     i + 1, c->name, st->cols[j].name);
        if (kind == 0 && strcmp(c->fd->name, "cluster_id") == 0)
            have_cluster = 1;
        if (kind == 0 && strcmp(c->fd->name, "period") == 0)
            have_period = 1;
    }
    if (!have_cluster)
        fail(st, JIJU_ERR_INVALID, "row 1: missing required column 集聚区编码 (cluster_id)");
    if (!have_period)
        fail(st, JIJU_ERR_INVALID, "row 1: missing required column 报告期 (period)");
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

/* Convert one non-empty cell into its field; a problem names what is wrong. */
static void set_cell(csv_state *st, Jiju__V1__Report *r, const csv_col *c, const char *text)
{
    const ProtobufCFieldDescriptor *fd = c->fd;
    void *slot = (char *)r + fd->offset;
    const char *reason = NULL;
    int64_t v = 0;

    if (fd->type == PROTOBUF_C_TYPE_STRING) {
        if (strcmp(fd->name, "period") == 0 && !period_is_valid(text))
            add_problem(st, c->name, "bad period \"%s\": expected 2023, 2023Q2 or 2023-05", text);
        else if (set_string(slot, text))
            fail(st, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    if (c->is_wan && money_wan_to_fen(text, &v, &reason) != JIJU_OK) {
        add_problem(st, c->name, "bad amount \"%s\": %s", text, reason);
        return;
    }
    if (!c->is_wan && money_parse_int64(text, &v) != JIJU_OK) {
        add_problem(st, c->name, "bad integer \"%s\"", text);
        return;
    }
    if (fd->type == PROTOBUF_C_TYPE_UINT32) {
        if (v < 0 || v > (int64_t)UINT32_MAX) {
            add_problem(st, c->name, "bad number \"%s\": expected 0..4294967295", text);
            return;
        }
        *(uint32_t *)slot = (uint32_t)v;
    } else {
        *(int64_t *)slot = v;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)r + fd->quantifier_offset) = fd->id;
}

/* Trimmed copy of a cell in buf, or NULL (with a problem) if not UTF-8. */
static const char *cell_text(csv_state *st, size_t i, char **owned)
{
    json_t *utf8 = json_stringn(st->cells[i], st->lens[i]); /* NULL unless valid UTF-8 */
    const char *p = st->cells[i];
    size_t n = st->lens[i];

    if (!utf8 || memchr(p, '\0', n)) {
        size_t bad = 0;
        while (bad < n && (unsigned char)p[bad] < 0x80 && p[bad])
            bad++;
        add_problem(st, st->cols[i].name, "not UTF-8 text (byte 0x%02X at offset %zu)",
                    bad < n ? (unsigned char)p[bad] : 0, bad);
        json_decref(utf8);
        return NULL;
    }
    json_decref(utf8);
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!(*owned = strndup(p, n)))
        fail(st, JIJU_ERR_NOMEM, "out of memory");
    return *owned;
}

static int is_required(const csv_col *c)
{
    return c->fd && (strcmp(c->fd->name, "cluster_id") == 0 || strcmp(c->fd->name, "period") == 0);
}

static void fill_row(csv_state *st, Jiju__V1__Report *r)
{
    size_t n = st->n_cells < st->n_cols ? st->n_cells : st->n_cols;

    for (size_t i = 0; i < n && !st->fatal; i++) {
        const csv_col *c = &st->cols[i];
        char *owned = NULL;
        const char *text = cell_text(st, i, &owned);

        if (text && c->fd && *text)
            set_cell(st, r, c, text);
        else if (text && !*text && is_required(c))
            add_problem(st, c->name, "missing value for required column");
        free(owned);
    }
    if (st->n_cells < st->n_cols)
        add_problem(st, st->cols[st->n_cells].name,
                    "missing column: the row has %zu fields, the header %zu", st->n_cells,
                    st->n_cols);
    else if (st->n_cells > st->n_cols)
        add_problem(st, "", "wrong field count: the row has %zu fields, the header %zu",
                    st->n_cells, st->n_cols);
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

static void keep_report(csv_state *st, Jiju__V1__Report *r)
{
    cli_csv_result *res = st->res;

    if (res->n_reports == st->cap_reports) {
        size_t cap = st->cap_reports ? st->cap_reports * 2 : 64;
        Jiju__V1__Report **nr = realloc(res->reports, cap * sizeof *nr);
        size_t *rows = nr ? realloc(res->report_rows, cap * sizeof *rows) : NULL;
        if (nr)
            res->reports = nr;
        if (!rows) {
            jiju__v1__report__free_unpacked(r, NULL);
            fail(st, JIJU_ERR_NOMEM, "out of memory");
            return;
        }
        res->report_rows = rows;
        st->cap_reports = cap;
    }
    res->report_rows[res->n_reports] = st->row;
    res->reports[res->n_reports++] = r;
}

static int row_is_blank(const csv_state *st)
{
    for (size_t i = 0; i < st->n_cells; i++)
        if (st->lens[i] && strspn(st->cells[i], " \t") != st->lens[i])
            return 0;
    return 1;
}

static void read_row(csv_state *st)
{
    Jiju__V1__Report *r;
    size_t before = st->res->n_problems;

    if (row_is_blank(st))
        return;
    st->res->rows++;
    if (!(r = malloc(sizeof *r))) {
        fail(st, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    jiju__v1__report__init(r);
    fill_row(st, r);
    if (r->revision == 0)
        r->revision = 1;
    if (st->fatal || st->res->n_problems > before || derive_id(r)) {
        if (st->res->n_problems > before)
            st->res->bad_rows++;
        jiju__v1__report__free_unpacked(r, NULL);
        return;
    }
    keep_report(st, r);
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data)
{
    csv_state *st = data;

    if (st->fatal)
        return;
    if (st->n_cells == st->cap_cells) {
        size_t cap = st->cap_cells ? st->cap_cells * 2 : 32;
        char **c = realloc(st->cells, cap * sizeof *c);
        size_t *l = c ? realloc(st->lens, cap * sizeof *l) : NULL;
        if (c)
            st->cells = c;
        if (!l) {
            fail(st, JIJU_ERR_NOMEM, "out of memory");
            return;
        }
        st->lens = l;
        st->cap_cells = cap;
    }
    /* with CSV_APPEND_NULL the field is NUL-terminated; keep the length too */
    if (!(st->cells[st->n_cells] = malloc(len + 1))) {
        fail(st, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    memcpy(st->cells[st->n_cells], s ? s : "", len);
    st->cells[st->n_cells][len] = '\0';
    st->lens[st->n_cells++] = len;
}

static void clear_cells(csv_state *st)
{
    for (size_t i = 0; i < st->n_cells; i++)
        free(st->cells[i]);
    st->n_cells = 0;
}

static void on_record(int c, void *data)
{
    csv_state *st = data;

    (void)c;
    if (!st->fatal) {
        st->row++;
        if (!st->cols)
            read_header(st);
        else
            read_row(st);
    }
    clear_cells(st);
}

void cli_csv_result_free(cli_csv_result **rp)
{
    cli_csv_result *r = rp ? *rp : NULL;

    if (!r)
        return;
    for (size_t i = 0; i < r->n_reports; i++)
        jiju__v1__report__free_unpacked(r->reports[i], NULL);
    free(r->reports);
    free(r->report_rows);
    free(r->problems);
    free(r);
    *rp = NULL;
}

static void run_parser(csv_state *st, const char *text, size_t len)
{
    struct csv_parser p;

    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fail(st, JIJU_ERR_NOMEM, "out of memory");
        return;
    }
    if (csv_parse(&p, text, len, on_field, on_record, st) != len ||
        csv_fini(&p, on_field, on_record, st) != 0)
        fail(st, JIJU_ERR_INVALID, "row %zu: %s", st->row + 1, csv_strerror(csv_error(&p)));
    csv_free(&p);
}

int cli_csv_parse(const char *text, size_t len, cli_csv_result **out, char *err, size_t errcap)
{
    char dummy[8];
    csv_state st = {.err = err ? err : dummy, .errcap = err ? errcap : sizeof dummy};

    if (!(st.res = calloc(1, sizeof *st.res)))
        return JIJU_ERR_NOMEM;
    run_parser(&st, text, len);
    if (!st.fatal && !st.cols)
        fail(&st, JIJU_ERR_INVALID, "row 1: no header");
    clear_cells(&st);
    free(st.cells);
    free(st.lens);
    free(st.cols);
    if (st.fatal) {
        cli_csv_result_free(&st.res);
        return st.fatal;
    }
    *out = st.res;
    return JIJU_OK;
}
