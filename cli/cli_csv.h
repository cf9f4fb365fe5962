/* cli_csv.h - the statistics form as CSV text (libcsv), for `jiju import`.
 *
 * The text is UTF-8 (cli_text.h converts what a spreadsheet saved). Fields
 * are separated by commas, or by tabs when the first line has more tabs
 * than commas (Excel's "Unicode 文本"). Rows are numbered as a spreadsheet
 * shows them: the first line is row 1, every line break outside quotes
 * starts a new row (blank lines too, CRLF counting once), a record with a
 * quoted line break is one row. What the rows mean: cli_form.h. */
#ifndef JIJU_CLI_CSV_H
#define JIJU_CLI_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "cli_form.h"

/* Parse CSV text. JIJU_OK with *out (caller frees with
 * cli_form_result_free), even if some rows are bad. JIJU_ERR_INVALID when
 * the file as a whole is refused (header, malformed quoting): err says why,
 * naming the cell or row. JIJU_ERR_NOMEM. */
int cli_csv_parse(const char *text, size_t len, cli_form_result **out, char *err, size_t errcap);

/* `jiju import --template`: the blank form as CSV (UTF-8 with a BOM, as a
 * spreadsheet expects): the header and one example row; the units are in
 * the column names. JIJU_OK or JIJU_ERR_IO. */
int cli_csv_write_template(FILE *out);

#endif
