/* cli_table.h - plain-text tables that stay aligned with Chinese text: the
 * width of a cell is its display width (wcwidth of each character after
 * mbstowcs, so 东市场 takes six columns), not its byte count. Needs a UTF-8
 * locale (main() sets LC_ALL to C.UTF-8); text that does not convert counts
 * one column per byte. */
#ifndef JIJU_CLI_TABLE_H
#define JIJU_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_table cli_table_t;

/* A table with n columns and these headers (copied). NULL on failure.
 * Caller owns the result. */
cli_table_t *cli_table_new(size_t n, const char *const *headers);
void cli_table_destroy(cli_table_t **t);

/* Right-align column col (numbers). */
void cli_table_align_right(cli_table_t *t, size_t col);

/* Append a row of n cells (copied; NULL is ""). JIJU_OK or JIJU_ERR_NOMEM. */
int cli_table_add(cli_table_t *t, const char *const *cells);

/* Print the header, a rule, and the rows, columns two spaces apart. */
void cli_table_print(const cli_table_t *t, FILE *out);

#endif
