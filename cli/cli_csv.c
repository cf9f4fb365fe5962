/* cli_csv.c - CSV records -> form rows with libcsv (see cli_csv.h). */
#include "cli_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "err.h"

typedef struct csv_state {
    cli_form_t *form;
    char **cells;
    size_t *lens;
    size_t n_cells, cap_cells;
    size_t row;   /* spreadsheet row of the record being read */
    int last_end; /* what ended the previous record ('\r', '\n', -1) */
    int nomem;
} csv_state;

static void on_field(void *s, size_t len, void *data)
{
    csv_state *st = data;

    if (st->nomem)
        return;
    if (st->n_cells == st->cap_cells) {
        size_t cap = st->cap_cells ? st->cap_cells * 2 : 32;
        char **c = realloc(st->cells, cap * sizeof *c);
        size_t *l = c ? realloc(st->lens, cap * sizeof *l) : NULL;
        if (c)
            st->cells = c;
        if (!l) {
            st->nomem = 1;
            return;
        }
        st->lens = l;
        st->cap_cells = cap;
    }
    if (!(st->cells[st->n_cells] = malloc(len + 1))) {
        st->nomem = 1;
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

/* With CSV_REPALL_NL libcsv reports every line break: an empty record after
 * '\r' that ends in '\n' is the second half of a CRLF, not a row. */
static void on_record(int c, void *data)
{
    csv_state *st = data;
    int crlf_half = st->n_cells == 0 && c == '\n' && st->last_end == '\r';

    st->last_end = c;
    if (crlf_half)
        return;
    st->row++;
    if (!st->nomem)
        cli_form_record(st->form, st->row, st->cells, st->lens, st->n_cells, 0);
    clear_cells(st);
}

/* Tabs when the first line has more of them than commas. */
static unsigned char pick_delimiter(const char *text, size_t len)
{
    size_t tabs = 0, commas = 0;

    for (size_t i = 0; i < len && text[i] != '\n' && text[i] != '\r'; i++) {
        tabs += text[i] == '\t';
        commas += text[i] == ',';
    }
    return tabs > commas ? CSV_TAB : CSV_COMMA;
}

int cli_csv_parse(const char *text, size_t len, cli_form_result **out, char *err, size_t errcap)
{
    csv_state st = {.last_end = -1};
    struct csv_parser p;
    int rc;

    if (!(st.form = cli_form_new(err, errcap)))
        return JIJU_ERR_NOMEM;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        cli_form_fail(st.form, JIJU_ERR_NOMEM, "out of memory");
    } else {
        csv_set_delim(&p, pick_delimiter(text, len));
        if (csv_parse(&p, text, len, on_field, on_record, &st) != len ||
            csv_fini(&p, on_field, on_record, &st) != 0)
            cli_form_fail(st.form, JIJU_ERR_INVALID,
                          "row %zu: %s (a quote inside a field must be doubled)", st.row + 1,
                          csv_strerror(csv_error(&p)));
        csv_free(&p);
    }
    if (st.nomem)
        cli_form_fail(st.form, JIJU_ERR_NOMEM, "out of memory");
    clear_cells(&st);
    free(st.cells);
    free(st.lens);
    rc = cli_form_finish(&st.form, out);
    return rc;
}

int cli_csv_write_template(FILE *out)
{
    fputs("\xEF\xBB\xBF", out);
    for (int what = 0; what < 2; what++)
        for (size_t i = 0; cli_form_template_cell(i, what); i++) {
            const char *text = cli_form_template_cell(i, what);
            csv_fwrite(out, text, strlen(text));
            fputs(cli_form_template_cell(i + 1, what) ? "," : "\r\n", out);
        }
    return fflush(out) == 0 && !ferror(out) ? JIJU_OK : JIJU_ERR_IO;
}
