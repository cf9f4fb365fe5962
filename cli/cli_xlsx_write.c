/* cli_xlsx_write.c - the blank form as a workbook (common/xlsx_write.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_form.h"
#include "cli_xlsx.h"
#include "err.h"
#include "money.h"

int cli_xlsx_close(xlsx_writer **w, const char *path)
{
    char *bytes = NULL;
    size_t len = 0;
    int rc;

    if (path)
        return xlsx_writer_close(w, NULL, NULL);
    if ((rc = xlsx_writer_close(w, &bytes, &len)) != JIJU_OK)
        return JIJU_ERR_IO;
    if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0)
        rc = JIJU_ERR_IO;
    free(bytes);
    return rc;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The example value as a spreadsheet holds it: amounts and counts as numbers. */
static xlsx_cell example_cell(const char *header, const char *text)
{
    xlsx_cell c = {.kind = XLSX_TEXT, .text = text};
    int64_t v;

    if (!*text)
        c.kind = XLSX_EMPTY;
    else if (ends_with(header, "(万元)") && money_wan_to_fen(text, &v, NULL) == JIJU_OK)
        c = (xlsx_cell){.kind = XLSX_WAN, .value = v};
    else if ((ends_with(header, "(户)") || ends_with(header, "(人)") || ends_with(header, "(个)") ||
              strcmp(header, "版本") == 0) &&
             money_parse_int64(text, &v) == JIJU_OK)
        c = (xlsx_cell){.kind = XLSX_INT, .value = v};
    return c;
}

int cli_xlsx_write_template(const char *path)
{
    xlsx_writer *w = xlsx_writer_new(path, "报表");
    xlsx_cell head[32], example[32];
    static const char *const notes_head[] = {"列", "单位与要求"};
    size_t n = 0;
    int rc = JIJU_OK;

    if (!w)
        return JIJU_ERR_IO;
    for (; n < 32 && cli_form_template_cell(n, 0); n++) {
        head[n] = (xlsx_cell){.kind = XLSX_TEXT, .text = cli_form_template_cell(n, 0)};
        example[n] = example_cell(head[n].text, cli_form_template_cell(n, 1));
    }
    rc = xlsx_writer_row(w, head, n);
    if (rc == JIJU_OK)
        rc = xlsx_writer_row(w, example, n);
    if (rc == JIJU_OK)
        rc = xlsx_writer_sheet(w, "填表说明");
    if (rc == JIJU_OK)
        rc = xlsx_writer_text_row(w, notes_head, 2);
    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        const char *row[2] = {cli_form_template_cell(i, 0), cli_form_template_cell(i, 2)};
        rc = xlsx_writer_text_row(w, row, 2);
    }
    if (cli_xlsx_close(&w, path) != JIJU_OK)
        rc = JIJU_ERR_IO;
    return rc;
}
