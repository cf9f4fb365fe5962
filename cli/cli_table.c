/* cli_table.c - aligned text tables by display width (see cli_table.h). */
#include "cli_table.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

struct cli_table {
    size_t n_cols;
    char **cells; /* row-major, row 0 is the header */
    size_t n_rows, cap_rows;
    int *right;
};

cli_table_t *cli_table_new(size_t n, const char *const *headers)
{
    cli_table_t *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->n_cols = n;
    if (!(t->right = calloc(n ? n : 1, sizeof *t->right)) || cli_table_add(t, headers) != JIJU_OK)
        cli_table_destroy(&t);
    return t;
}

void cli_table_destroy(cli_table_t **tp)
{
    cli_table_t *t = tp ? *tp : NULL;

    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t);
    *tp = NULL;
}

void cli_table_align_right(cli_table_t *t, size_t col)
{
    if (col < t->n_cols)
        t->right[col] = 1;
}

int cli_table_add(cli_table_t *t, const char *const *cells)
{
    char **row;

    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **n = realloc(t->cells, cap * t->n_cols * sizeof *n);
        if (!n)
            return JIJU_ERR_NOMEM;
        t->cells = n;
        t->cap_rows = cap;
    }
    row = t->cells + t->n_rows * t->n_cols;
    for (size_t c = 0; c < t->n_cols; c++) {
        if (!(row[c] = strdup(cells[c] ? cells[c] : ""))) {
            while (c-- > 0)
                free(row[c]);
            return JIJU_ERR_NOMEM;
        }
    }
    t->n_rows++;
    return JIJU_OK;
}

static void pad(FILE *out, size_t n, int ch)
{
    while (n-- > 0)
        fputc(ch, out);
}

static void print_row(const cli_table_t *t, FILE *out, size_t r, const size_t *widths)
{
    for (size_t c = 0; c < t->n_cols; c++) {
        const char *cell = t->cells[r * t->n_cols + c];
        size_t gap = widths[c] - utf8_display_width(cell);
        int last = c + 1 == t->n_cols;

        if (t->right[c])
            pad(out, gap, ' ');
        fputs(cell, out);
        if (!t->right[c] && !last)
            pad(out, gap, ' ');
        if (!last)
            fputs("  ", out);
    }
    fputc('\n', out);
}

void cli_table_print(const cli_table_t *t, FILE *out)
{
    size_t *widths = calloc(t->n_cols ? t->n_cols : 1, sizeof *widths);

    if (!widths)
        return;
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++) {
            size_t w = utf8_display_width(t->cells[r * t->n_cols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    print_row(t, out, 0, widths);
    for (size_t c = 0; c < t->n_cols; c++) {
        pad(out, widths[c], '-');
        if (c + 1 < t->n_cols)
            fputs("  ", out);
    }
    fputc('\n', out);
    for (size_t r = 1; r < t->n_rows; r++)
        print_row(t, out, r, widths);
    free(widths);
}
