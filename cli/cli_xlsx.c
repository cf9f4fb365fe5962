/* cli_xlsx.c - .xlsx forms read with libzip + expat (see cli_xlsx.h). */
#include "cli_xlsx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "cli_number.h"
#include "err.h"

#define MAX_COLS 16384   /* Excel's last column, XFD */
#define MAX_ROWS 1048576 /* Excel's last row */
#define NS_SEP '|'

int cli_xlsx_is_xlsx(const char *bytes, size_t len)
{
    return len >= 4 && memcmp(bytes, "PK\x03\x04", 4) == 0;
}

/* ---- the package ---- */

/* The whole uncompressed part `name`, NUL-terminated; NULL if absent (then
 * *missing = 1) or unreadable / too large (err says which). */
static char *read_part(zip_t *z, const char *name, size_t *len, int *missing, char *err,
                       size_t errcap)
{
    zip_int64_t idx = zip_name_locate(z, name, 0);
    zip_stat_t st;
    zip_file_t *f;
    char *buf;
    zip_int64_t got;

    *missing = idx < 0;
    if (idx < 0)
        return NULL;
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        st.size > CLI_XLSX_MAX_PART) {
        snprintf(err, errcap, "%s: larger than %u bytes or unreadable", name, CLI_XLSX_MAX_PART);
        return NULL;
    }
    if (!(buf = malloc((size_t)st.size + 1)) || !(f = zip_fopen_index(z, (zip_uint64_t)idx, 0))) {
        snprintf(err, errcap, "%s: %s", name, buf ? zip_strerror(z) : "out of memory");
        free(buf);
        return NULL;
    }
    got = zip_fread(f, buf, st.size);
    zip_fclose(f);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        snprintf(err, errcap, "%s: damaged (CRC or size does not match)", name);
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = (size_t)got;
    return buf;
}

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, NS_SEP);

    return sep ? sep + 1 : name;
}

static const char *attr(const char **atts, const char *local)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(local_name(atts[i]), local) == 0)
            return atts[i + 1];
    return NULL;
}

/* A growing text buffer (cell values, shared strings). */
typedef struct tbuf {
    char *s;
    size_t n, cap;
    int nomem;
} tbuf;

static void tbuf_add(tbuf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *g;
        while (cap < b->n + n + 1)
            cap *= 2;
        if (!(g = realloc(b->s, cap))) {
            b->nomem = 1;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

/* Run expat over a part with the given handlers; 0, or -1 with err. */
static int parse_xml(const char *name, const char *xml, size_t len, void *ud,
                     XML_StartElementHandler start, XML_EndElementHandler end,
                     XML_CharacterDataHandler text, char *err, size_t errcap)
{
    XML_Parser p = XML_ParserCreateNS("UTF-8", NS_SEP);
    int rc = 0;

    if (!p) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    XML_SetUserData(p, ud);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, text);
    if (XML_Parse(p, xml, (int)len, 1) == XML_STATUS_ERROR) {
        snprintf(err, errcap, "%s: line %lu: %s", name, (unsigned long)XML_GetCurrentLineNumber(p),
                 XML_ErrorString(XML_GetErrorCode(p)));
        rc = -1;
    }
    XML_ParserFree(p);
    return rc;
}

/* ---- workbook.xml and its relationships: where the first sheet is ---- */

typedef struct wb_state {
    char rid[128];    /* r:id of the first <sheet> */
    char target[256]; /* Target of the relationship with that Id */
    int want_rel;
} wb_state;

static void wb_start(void *ud, const char *el, const char **atts)
{
    wb_state *w = ud;
    const char *v;

    if (!w->want_rel && !w->rid[0] && strcmp(local_name(el), "sheet") == 0 &&
        (v = attr(atts, "id")))
        snprintf(w->rid, sizeof w->rid, "%s", v);
    if (w->want_rel && !w->target[0] && strcmp(local_name(el), "Relationship") == 0 &&
        (v = attr(atts, "Id")) && strcmp(v, w->rid) == 0 && (v = attr(atts, "Target")))
        snprintf(w->target, sizeof w->target, "%s", v);
}

static void no_end(void *ud, const char *el)
{
    (void)ud;
    (void)el;
}

static void no_text(void *ud, const char *s, int n)
{
    (void)ud;
    (void)s;
    (void)n;
}

/* The part name of the first worksheet ("xl/worksheets/sheet1.xml"). */
static int first_sheet(zip_t *z, char *part, size_t cap, char *err, size_t errcap)
{
    wb_state w = {0};
    size_t len = 0;
    int missing = 0;
    char *xml = read_part(z, "xl/workbook.xml", &len, &missing, err, errcap);

    if (!xml) {
        if (missing)
            snprintf(err, errcap, "not an Excel workbook: no xl/workbook.xml");
        return -1;
    }
    if (parse_xml("xl/workbook.xml", xml, len, &w, wb_start, no_end, no_text, err, errcap)) {
        free(xml);
        return -1;
    }
    free(xml);
    w.want_rel = 1;
    if ((xml = read_part(z, "xl/_rels/workbook.xml.rels", &len, &missing, err, errcap))) {
        if (parse_xml("xl/_rels/workbook.xml.rels", xml, len, &w, wb_start, no_end, no_text, err,
                      errcap)) {
            free(xml);
            return -1;
        }
        free(xml);
    } else if (!missing) {
        return -1;
    }
    if (!w.target[0]) /* the usual name, when the workbook does not say */
        snprintf(part, cap, "xl/worksheets/sheet1.xml");
    else if (w.target[0] == '/')
        snprintf(part, cap, "%s", w.target + 1);
    else
        snprintf(part, cap, "xl/%s", w.target);
    return 0;
}

/* ---- sharedStrings.xml ---- */

typedef struct sst_state {
    char **strings;
    size_t n, cap;
    tbuf cur;
    int in_si, in_t, in_rph, nomem;
} sst_state;

static void sst_start(void *ud, const char *el, const char **atts)
{
    sst_state *s = ud;
    const char *name = local_name(el);

    (void)atts;
    if (strcmp(name, "si") == 0) {
        s->in_si = 1;
        s->cur.n = 0;
        tbuf_add(&s->cur, "", 0);
    } else if (strcmp(name, "rPh") == 0) {
        s->in_rph = 1; /* phonetic guide (振り仮名): not the cell's text */
    } else if (strcmp(name, "t") == 0) {
        s->in_t = 1;
    }
}

static void sst_end(void *ud, const char *el)
{
    sst_state *s = ud;
    const char *name = local_name(el);

    if (strcmp(name, "t") == 0) {
        s->in_t = 0;
    } else if (strcmp(name, "rPh") == 0) {
        s->in_rph = 0;
    } else if (strcmp(name, "si") == 0 && s->in_si) {
        s->in_si = 0;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            char **g = realloc(s->strings, cap * sizeof *g);
            if (!g) {
                s->nomem = 1;
                return;
            }
            s->strings = g;
            s->cap = cap;
        }
        if (!(s->strings[s->n] = strdup(s->cur.s ? s->cur.s : "")))
            s->nomem = 1;
        else
            s->n++;
    }
}

static void sst_text(void *ud, const char *t, int n)
{
    sst_state *s = ud;

    if (s->in_si && s->in_t && !s->in_rph)
        tbuf_add(&s->cur, t, (size_t)n);
}

static void sst_free(sst_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->cur.s);
}

/* ---- the worksheet ---- */

typedef struct sheet_state {
    cli_form_t *form;
    const sst_state *sst;
    char **cells; /* the row being read, dense: cells[0] is column A */
    size_t *lens;
    size_t n_cells, cap_cells;
    size_t row, last_row, next_col, col;
    char type[16];
    tbuf val;
    int in_row, in_c, in_v, in_is_t, nomem, stop;
    char *err;
    size_t errcap;
} sheet_state;

static void sheet_fail(sheet_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sheet_fail(sheet_state *s, const char *fmt, ...)
{
    va_list ap;
    char why[256];

    if (s->stop)
        return;
    s->stop = 1;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    cli_form_fail(s->form, JIJU_ERR_INVALID, "%s", why);
}

/* "B7" -> column 2 (row ignored: the <row> says it); 0 if not a cell name. */
static size_t ref_col(const char *ref)
{
    size_t col = 0;

    for (; *ref >= 'A' && *ref <= 'Z'; ref++) {
        col = col * 26 + (size_t)(*ref - 'A' + 1);
        if (col > MAX_COLS)
            return 0;
    }
    return *ref >= '1' && *ref <= '9' ? col : 0;
}

static void clear_row(sheet_state *s)
{
    for (size_t i = 0; i < s->n_cells; i++)
        free(s->cells[i]);
    s->n_cells = 0;
}

/* Make cells[0..col) exist (empty where the sheet left cells out). */
static int extend_row(sheet_state *s, size_t col)
{
    if (col > s->cap_cells) {
        size_t cap = s->cap_cells ? s->cap_cells : 32;
        char **c;
        size_t *l;
        while (cap < col)
            cap *= 2;
        if (!(c = realloc(s->cells, cap * sizeof *c)))
            return -1;
        s->cells = c;
        if (!(l = realloc(s->lens, cap * sizeof *l)))
            return -1;
        s->lens = l;
        s->cap_cells = cap;
    }
    while (s->n_cells < col) {
        if (!(s->cells[s->n_cells] = strdup("")))
            return -1;
        s->lens[s->n_cells++] = 0;
    }
    return 0;
}

static void start_row(sheet_state *s, const char **atts)
{
    const char *r = attr(atts, "r");
    char *end;
    unsigned long n = r ? strtoul(r, &end, 10) : s->last_row + 1;

    if ((r && (*end || end == r)) || n == 0 || n > MAX_ROWS || n <= s->last_row) {
        sheet_fail(s, "worksheet: bad row number \"%s\" after row %zu", r ? r : "", s->last_row);
        return;
    }
    s->row = s->last_row = n;
    s->in_row = 1;
    s->next_col = 1;
    clear_row(s);
}

static void start_cell(sheet_state *s, const char **atts)
{
    const char *r = attr(atts, "r"), *t = attr(atts, "t");
    size_t col = r ? ref_col(r) : s->next_col;

    if (!s->in_row || col == 0 || col < s->next_col) {
        sheet_fail(s, "worksheet row %zu: bad cell reference \"%s\"", s->row, r ? r : "");
        return;
    }
    s->col = col;
    s->next_col = col + 1;
    snprintf(s->type, sizeof s->type, "%s", t ? t : "n");
    s->in_c = 1;
    s->val.n = 0;
    tbuf_add(&s->val, "", 0);
}

static void sheet_start(void *ud, const char *el, const char **atts)
{
    sheet_state *s = ud;
    const char *name = local_name(el);

    if (s->stop)
        return;
    if (strcmp(name, "row") == 0)
        start_row(s, atts);
    else if (strcmp(name, "c") == 0)
        start_cell(s, atts);
    else if (s->in_c && strcmp(name, "v") == 0)
        s->in_v = 1;
    else if (s->in_c && strcmp(name, "t") == 0)
        s->in_is_t = 1; /* <is><t> of an inline string (rPh has no <t> of its own here) */
}

/* The text a finished cell stands for, by its type. NULL: refused. */
static char *cell_value(sheet_state *s)
{
    const char *v = s->val.s ? s->val.s : "";
    char plain[64];
    char *end;
    unsigned long idx;

    if (strcmp(s->type, "s") == 0) {
        idx = strtoul(v, &end, 10);
        if (end == v || *end || idx >= s->sst->n) {
            sheet_fail(s, "worksheet row %zu: shared string \"%s\" of %zu", s->row, v, s->sst->n);
            return NULL;
        }
        return strdup(s->sst->strings[idx]);
    }
    if (strcmp(s->type, "b") == 0)
        return strdup(strcmp(v, "1") == 0 ? "1" : "0");
    if (strcmp(s->type, "n") == 0 && *v && cli_number_from_cell(v, plain, sizeof plain) == JIJU_OK)
        return strdup(plain);
    return strdup(v); /* str, inlineStr, e (#N/A...): the text as it is */
}

static void end_cell(sheet_state *s)
{
    char *text;

    s->in_c = s->in_v = s->in_is_t = 0;
    if (!(text = cell_value(s)))
        return;
    if (extend_row(s, s->col) != 0) {
        free(text);
        s->nomem = 1;
        return;
    }
    free(s->cells[s->col - 1]);
    s->cells[s->col - 1] = text;
    s->lens[s->col - 1] = strlen(text);
}

static void sheet_end(void *ud, const char *el)
{
    sheet_state *s = ud;
    const char *name = local_name(el);

    if (s->stop)
        return;
    if (strcmp(name, "v") == 0)
        s->in_v = 0;
    else if (strcmp(name, "t") == 0)
        s->in_is_t = 0;
    else if (strcmp(name, "c") == 0 && s->in_c)
        end_cell(s);
    else if (strcmp(name, "row") == 0 && s->in_row) {
        s->in_row = 0;
        if (cli_form_record(s->form, s->row, s->cells, s->lens, s->n_cells, 1) != JIJU_OK)
            s->stop = 1;
        clear_row(s);
    }
    if (s->nomem || s->val.nomem) {
        cli_form_fail(s->form, JIJU_ERR_NOMEM, "out of memory");
        s->stop = 1;
    }
}

static void sheet_text(void *ud, const char *t, int n)
{
    sheet_state *s = ud;

    if (!s->stop && s->in_c && (s->in_v || s->in_is_t))
        tbuf_add(&s->val, t, (size_t)n);
}

/* ---- the whole file ---- */

static int load_sst(zip_t *z, sst_state *sst, char *err, size_t errcap)
{
    size_t len = 0;
    int missing = 0;
    char *xml = read_part(z, "xl/sharedStrings.xml", &len, &missing, err, errcap);
    int rc;

    if (!xml)
        return missing ? 0 : -1; /* a sheet of numbers only has none */
    rc =
        parse_xml("xl/sharedStrings.xml", xml, len, sst, sst_start, sst_end, sst_text, err, errcap);
    free(xml);
    if (rc == 0 && (sst->nomem || sst->cur.nomem)) {
        snprintf(err, errcap, "out of memory");
        rc = -1;
    }
    return rc;
}

static int read_sheet(zip_t *z, const sst_state *sst, cli_form_t *form, char *err, size_t errcap)
{
    sheet_state s = {.form = form, .sst = sst, .err = err, .errcap = errcap};
    char part[300], xerr[320] = "";
    size_t len = 0;
    int missing = 0, rc = 0;
    char *xml;

    if (first_sheet(z, part, sizeof part, xerr, sizeof xerr) != 0 ||
        !(xml = read_part(z, part, &len, &missing, xerr, sizeof xerr))) {
        cli_form_fail(form, JIJU_ERR_INVALID, "%s",
                      missing ? "not an Excel workbook: its first worksheet is missing" : xerr);
        return -1;
    }
    if (parse_xml(part, xml, len, &s, sheet_start, sheet_end, sheet_text, xerr, sizeof xerr) != 0) {
        cli_form_fail(form, JIJU_ERR_INVALID, "%s", xerr);
        rc = -1;
    }
    free(xml);
    clear_row(&s);
    free(s.cells);
    free(s.lens);
    free(s.val.s);
    return rc;
}

int cli_xlsx_parse(const char *bytes, size_t len, cli_form_result **out, char *err, size_t errcap)
{
    char xerr[320] = "";
    zip_error_t ze;
    zip_source_t *src;
    zip_t *z = NULL;
    sst_state sst = {0};
    cli_form_t *form = cli_form_new(err, errcap);

    if (!form)
        return JIJU_ERR_NOMEM;
    zip_error_init(&ze);
    if (!(src = zip_source_buffer_create(bytes, len, 0, &ze)) ||
        !(z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze))) {
        cli_form_fail(form, JIJU_ERR_INVALID, "not an Excel workbook: %s", zip_error_strerror(&ze));
        if (src)
            zip_source_free(src);
    } else if (load_sst(z, &sst, xerr, sizeof xerr) != 0) {
        cli_form_fail(form, JIJU_ERR_INVALID, "%s", xerr);
    } else {
        read_sheet(z, &sst, form, err, errcap);
    }
    if (z)
        zip_discard(z); /* read only: nothing to write back; frees src */
    zip_error_fini(&ze);
    sst_free(&sst);
    return cli_form_finish(&form, out);
}
