/* xlsx_write.c - workbooks written with libxlsxwriter (see xlsx_write.h). */
#include "xlsx_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "err.h"
#include "money.h"
#include "utf8.h"

#define EXACT_DIGITS 15 /* what a double keeps of a decimal */
#define MAX_COLS 64     /* columns whose width is fitted */
#define MIN_WIDTH 8     /* Excel's default is 8.43 */
#define MAX_WIDTH 60    /* a long note wraps rather than pushing the sheet away */

struct xlsx_writer {
    lxw_workbook *wb;
    lxw_worksheet *ws; /* the current sheet */
    lxw_format *bold, *wan, *when, *text, *percent, *micros;
    char *path;  /* where libxlsxwriter writes */
    int is_temp; /* path is our temporary file */
    lxw_row_t row;
    size_t widths[MAX_COLS]; /* display columns of the widest cell, current sheet */
    size_t n_cols;
    int failed;
};

static lxw_format *num_format(lxw_workbook *wb, const char *fmt)
{
    lxw_format *f = workbook_add_format(wb);

    if (f)
        format_set_num_format(f, fmt);
    return f;
}

xlsx_writer *xlsx_writer_new(const char *path, const char *sheet)
{
    xlsx_writer *w = calloc(1, sizeof *w);
    const char *dir = getenv("TMPDIR");
    char tmpl[512];
    int fd;

    if (!w)
        return NULL;
    if (!path) { /* libxlsxwriter (1.1.4) writes files only: go through a private one */
        snprintf(tmpl, sizeof tmpl, "%s/jiju-xlsx-XXXXXX", dir && *dir ? dir : "/tmp");
        if ((fd = mkstemp(tmpl)) < 0)
            goto out_free;
        close(fd);
        w->is_temp = 1;
        path = tmpl;
    }
    if (!(w->path = strdup(path)) || !(w->wb = workbook_new(w->path)))
        goto out_unlink;
    if (!(w->bold = workbook_add_format(w->wb)))
        goto out_close;
    format_set_bold(w->bold);
    w->wan = num_format(w->wb, "0.00####"); /* 2 to 6 decimals, as the CSV writes them */
    w->when = num_format(w->wb, "yyyy-mm-dd hh:mm:ss");
    w->text = num_format(w->wb, "@");
    w->percent = num_format(w->wb, "0.00%");
    w->micros = num_format(w->wb, "0.00####");
    if (!w->wan || !w->when || !w->text || !w->percent || !w->micros ||
        xlsx_writer_sheet(w, sheet) != JIJU_OK)
        goto out_close;
    return w;

out_close:
    workbook_close(w->wb);
out_unlink:
    if (w->is_temp)
        unlink(tmpl);
    free(w->path);
out_free:
    free(w);
    return NULL;
}

/* The current sheet's columns as wide as their widest cell (+2 for the
 * cell's margins), within MIN_WIDTH..MAX_WIDTH. */
static void fit_columns(xlsx_writer *w)
{
    for (size_t c = 0; w->ws && c < w->n_cols; c++) {
        size_t width = w->widths[c] + 2;
        width = width < MIN_WIDTH ? MIN_WIDTH : width > MAX_WIDTH ? MAX_WIDTH : width;
        if (worksheet_set_column(w->ws, (lxw_col_t)c, (lxw_col_t)c, (double)width, NULL))
            w->failed = 1;
    }
}

int xlsx_writer_sheet(xlsx_writer *w, const char *sheet)
{
    lxw_worksheet *ws;

    if (w->failed)
        return JIJU_ERR_IO;
    fit_columns(w);
    if (!(ws = workbook_add_worksheet(w->wb, sheet))) {
        w->failed = 1;
        return JIJU_ERR_IO;
    }
    w->ws = ws;
    w->row = 0;
    w->n_cols = 0;
    memset(w->widths, 0, sizeof w->widths);
    return JIJU_OK;
}

/* Significant digits of decimal text ("0.000001" has 1, "64830.11" 7). */
static size_t significant(const char *s)
{
    size_t n = 0;
    int started = 0;

    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (started)
            n++;
    }
    return n;
}

/* An Excel date has no zone: the local time of the jurisdiction's zone
 * (common/tz.h; the program put it in force at start-up). */
static lxw_datetime local_time(int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    lxw_datetime d;

    localtime_r(&secs, &tm);
    d.year = tm.tm_year + 1900;
    d.month = tm.tm_mon + 1;
    d.day = tm.tm_mday;
    d.hour = tm.tm_hour;
    d.min = tm.tm_min;
    d.sec = tm.tm_sec + (double)(ms - (int64_t)secs * 1000) / 1000.0;
    return d;
}

/* Write one cell; *shown is what a person reads in it, for the width. */
static lxw_error write_cell(xlsx_writer *w, lxw_col_t col, const xlsx_cell *c, lxw_format *head,
                            char *shown, size_t cap)
{
    lxw_datetime d;

    shown[0] = '\0';
    switch (c->kind) {
    case XLSX_INT:
        snprintf(shown, cap, "%lld", (long long)c->value);
        return worksheet_write_number(w->ws, w->row, col, (double)c->value, head);
    case XLSX_WAN:
        money_fen_to_wan(c->value, shown, cap);
        if (significant(shown) > EXACT_DIGITS) /* a double would not keep it: keep the text */
            return worksheet_write_string(w->ws, w->row, col, shown, w->text);
        return worksheet_write_number(w->ws, w->row, col, strtod(shown, NULL), w->wan);
    case XLSX_PERCENT:
        snprintf(shown, cap, "%.2f%%", (double)c->value / 10000.0);
        return worksheet_write_number(w->ws, w->row, col, (double)c->value / 1e6, w->percent);
    case XLSX_MICROS:
        money_millionths_text(c->value, shown, cap);
        return worksheet_write_number(w->ws, w->row, col, strtod(shown, NULL), w->micros);
    case XLSX_TIME:
        snprintf(shown, cap, "2023-01-01 00:00:00");
        d = local_time(c->value);
        return worksheet_write_datetime(w->ws, w->row, col, &d, w->when);
    case XLSX_EMPTY:
        return LXW_NO_ERROR;
    case XLSX_TEXT:
    default:
        /* text stays text: an id such as 2023 or 00123 is not a number */
        snprintf(shown, cap, "%s", c->text ? c->text : "");
        return worksheet_write_string(w->ws, w->row, col, c->text ? c->text : "",
                                      head ? head : w->text);
    }
}

int xlsx_writer_row(xlsx_writer *w, const xlsx_cell *cells, size_t n)
{
    lxw_format *head = w->row == 0 ? w->bold : NULL;
    char shown[256];

    for (size_t i = 0; i < n && !w->failed; i++) {
        if (write_cell(w, (lxw_col_t)i, &cells[i], head, shown, sizeof shown) != LXW_NO_ERROR) {
            w->failed = 1;
            break;
        }
        if (i < MAX_COLS) {
            size_t width = utf8_display_width(shown);
            if (width > w->widths[i])
                w->widths[i] = width;
        }
    }
    if (n > w->n_cols)
        w->n_cols = n < MAX_COLS ? n : MAX_COLS;
    if (w->row == 0)
        worksheet_freeze_panes(w->ws, 1, 0);
    w->row++;
    return w->failed ? JIJU_ERR_IO : JIJU_OK;
}

int xlsx_writer_text_row(xlsx_writer *w, const char *const *cells, size_t n)
{
    xlsx_cell row[MAX_COLS];

    if (n > MAX_COLS)
        return JIJU_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        row[i] = (xlsx_cell){.kind = XLSX_TEXT, .text = cells[i]};
    return xlsx_writer_row(w, row, n);
}

static int read_all(const char *path, char **bytes, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    int rc = JIJU_ERR_IO;

    if (!f)
        return JIJU_ERR_IO;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out_close;
    if (!(buf = malloc((size_t)size + 1))) {
        rc = JIJU_ERR_NOMEM;
        goto out_close;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        goto out_close;
    }
    *bytes = buf;
    *len = (size_t)size;
    rc = JIJU_OK;
out_close:
    fclose(f);
    return rc;
}

int xlsx_writer_close(xlsx_writer **wp, char **bytes, size_t *len)
{
    xlsx_writer *w = *wp;
    int rc;

    if (!w)
        return JIJU_OK;
    fit_columns(w);
    rc = workbook_close(w->wb) == LXW_NO_ERROR && !w->failed ? JIJU_OK : JIJU_ERR_IO;
    if (rc == JIJU_OK && bytes)
        rc = w->is_temp ? read_all(w->path, bytes, len) : JIJU_ERR_INVALID;
    if (w->is_temp)
        unlink(w->path);
    free(w->path);
    free(w);
    *wp = NULL;
    return rc;
}
