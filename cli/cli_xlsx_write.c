/* cli_xlsx_write.c - .xlsx sheets written with libxlsxwriter (see cli_xlsx.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "cli_form.h"
#include "money.h"
#include "cli_xlsx.h"
#include "err.h"

#define EXACT_DIGITS 15 /* what a double keeps of a decimal */

struct cli_xlsx_writer {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *wan, *when, *text;
    char *path;    /* where libxlsxwriter writes */
    int to_stdout; /* then path is a temporary file copied out at close */
    lxw_row_t row;
    lxw_worksheet *notes;
    lxw_row_t notes_row;
    int failed;
};

cli_xlsx_writer *cli_xlsx_writer_new(const char *path, const char *sheet)
{
    cli_xlsx_writer *w = calloc(1, sizeof *w);
    char tmpl[] = "/tmp/jiju-xlsx-XXXXXX";
    int fd;

    if (!w)
        return NULL;
    if (!path) { /* libxlsxwriter writes files only: go through a private one */
        if ((fd = mkstemp(tmpl)) < 0) {
            free(w);
            return NULL;
        }
        close(fd);
        w->to_stdout = 1;
        path = tmpl;
    }
    if (!(w->path = strdup(path)) || !(w->wb = workbook_new(w->path)) ||
        !(w->ws = workbook_add_worksheet(w->wb, sheet))) {
        if (w->to_stdout)
            unlink(tmpl);
        free(w->path);
        free(w);
        return NULL;
    }
    w->bold = workbook_add_format(w->wb);
    format_set_bold(w->bold);
    w->wan = workbook_add_format(w->wb);
    format_set_num_format(w->wan, "0.00####"); /* 2 to 6 decimals, as the CSV writes them */
    w->when = workbook_add_format(w->wb);
    format_set_num_format(w->when, "yyyy-mm-dd hh:mm:ss");
    w->text = workbook_add_format(w->wb);
    format_set_num_format(w->text, "@");
    return w;
}

/* Significant digits of decimal text ("0.000001" has 1, "64830.11" 7). */
static size_t significant(const char *s)
{
    size_t n = 0, zeros = 0;
    int started = 0;

    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (started)
            n++;
    }
    (void)zeros;
    return n;
}

/* An Excel date has no zone: the local time of the jurisdiction's zone
 * (common/tz.h; main.c put it in force), as every time shown to people. */
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

static lxw_error write_cell(cli_xlsx_writer *w, lxw_col_t col, const cli_xlsx_cell *c,
                            lxw_format *head)
{
    char buf[MONEY_WAN_TEXT_CAP];
    lxw_datetime d;

    switch (c->kind) {
    case CLI_XLSX_INT:
        return worksheet_write_number(w->ws, w->row, col, (double)c->value, head);
    case CLI_XLSX_WAN:
        money_fen_to_wan(c->value, buf, sizeof buf);
        if (significant(buf) > EXACT_DIGITS) /* a double would not keep it: keep the text */
            return worksheet_write_string(w->ws, w->row, col, buf, w->text);
        return worksheet_write_number(w->ws, w->row, col, strtod(buf, NULL), w->wan);
    case CLI_XLSX_TIME:
        d = local_time(c->value);
        return worksheet_write_datetime(w->ws, w->row, col, &d, w->when);
    case CLI_XLSX_EMPTY:
        return LXW_NO_ERROR;
    case CLI_XLSX_TEXT:
    default:
        /* text stays text: an id such as 2023 or 00123 is not a number */
        return worksheet_write_string(w->ws, w->row, col, c->text ? c->text : "",
                                      head ? head : w->text);
    }
}

int cli_xlsx_writer_row(cli_xlsx_writer *w, const cli_xlsx_cell *cells, size_t n)
{
    lxw_format *head = w->row == 0 ? w->bold : NULL;

    for (size_t i = 0; i < n && !w->failed; i++)
        if (write_cell(w, (lxw_col_t)i, &cells[i], head) != LXW_NO_ERROR)
            w->failed = 1;
    if (w->row == 0) {
        worksheet_freeze_panes(w->ws, 1, 0);
        worksheet_set_column(w->ws, 0, (lxw_col_t)(n ? n - 1 : 0), 14, NULL);
    }
    w->row++;
    return w->failed ? JIJU_ERR_IO : JIJU_OK;
}

int cli_xlsx_writer_notes(cli_xlsx_writer *w, const char *sheet, const char *const *cells, size_t n)
{
    if (!w->notes && !(w->notes = workbook_add_worksheet(w->wb, sheet)))
        return JIJU_ERR_IO;
    for (size_t i = 0; i < n; i++)
        if (worksheet_write_string(w->notes, w->notes_row, (lxw_col_t)i, cells[i],
                                   w->notes_row ? NULL : w->bold))
            return JIJU_ERR_IO;
    if (w->notes_row++ == 0)
        worksheet_set_column(w->notes, 0, (lxw_col_t)(n ? n - 1 : 0), 28, NULL);
    return JIJU_OK;
}

static int copy_out(const char *path)
{
    FILE *in = fopen(path, "rb");
    char buf[65536];
    size_t n;
    int rc = JIJU_OK;

    if (!in)
        return JIJU_ERR_IO;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, stdout) != n)
            rc = JIJU_ERR_IO;
    if (ferror(in) || fflush(stdout) != 0)
        rc = JIJU_ERR_IO;
    fclose(in);
    return rc;
}

int cli_xlsx_writer_close(cli_xlsx_writer **wp)
{
    cli_xlsx_writer *w = *wp;
    int rc;

    if (!w)
        return JIJU_OK;
    rc = workbook_close(w->wb) == LXW_NO_ERROR && !w->failed ? JIJU_OK : JIJU_ERR_IO;
    if (w->to_stdout) {
        if (rc == JIJU_OK)
            rc = copy_out(w->path);
        unlink(w->path);
    }
    free(w->path);
    free(w);
    *wp = NULL;
    return rc;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The example value as a spreadsheet holds it: amounts and counts as numbers. */
static cli_xlsx_cell example_cell(const char *header, const char *text)
{
    cli_xlsx_cell c = {.kind = CLI_XLSX_TEXT, .text = text};
    int64_t v;

    if (!*text)
        c.kind = CLI_XLSX_EMPTY;
    else if (ends_with(header, "(万元)") && money_wan_to_fen(text, &v, NULL) == JIJU_OK)
        c = (cli_xlsx_cell){.kind = CLI_XLSX_WAN, .value = v};
    else if ((ends_with(header, "(户)") || ends_with(header, "(人)") || ends_with(header, "(个)") ||
              strcmp(header, "版本") == 0) &&
             money_parse_int64(text, &v) == JIJU_OK)
        c = (cli_xlsx_cell){.kind = CLI_XLSX_INT, .value = v};
    return c;
}

int cli_xlsx_write_template(const char *path)
{
    cli_xlsx_writer *w = cli_xlsx_writer_new(path, "报表");
    cli_xlsx_cell head[32], example[32];
    static const char *const notes_head[] = {"列", "单位与要求"};
    size_t n = 0;
    int rc = JIJU_OK;

    if (!w)
        return JIJU_ERR_IO;
    for (; n < 32 && cli_form_template_cell(n, 0); n++) {
        head[n] = (cli_xlsx_cell){.kind = CLI_XLSX_TEXT, .text = cli_form_template_cell(n, 0)};
        example[n] = example_cell(head[n].text, cli_form_template_cell(n, 1));
    }
    rc = cli_xlsx_writer_row(w, head, n);
    if (rc == JIJU_OK)
        rc = cli_xlsx_writer_row(w, example, n);
    if (rc == JIJU_OK)
        rc = cli_xlsx_writer_notes(w, "填表说明", notes_head, 2);
    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        const char *row[2] = {cli_form_template_cell(i, 0), cli_form_template_cell(i, 2)};
        rc = cli_xlsx_writer_notes(w, "填表说明", row, 2);
    }
    if (cli_xlsx_writer_close(&w) != JIJU_OK)
        rc = JIJU_ERR_IO;
    return rc;
}
