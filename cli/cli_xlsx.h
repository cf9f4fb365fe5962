/* cli_xlsx.h - the statistics form as an Excel workbook (.xlsx).
 *
 * Reading: libzip opens the package, expat parses the first worksheet (as
 * xl/workbook.xml and its relationships name it) and the shared strings.
 * Rows are the sheet's own row numbers (the r attribute), cells its column
 * letters, so problems are named exactly as Excel shows them. Numeric cells
 * are taken as decimal text rounded to Excel's 15 significant digits
 * (cli_number.h), never through a double; shared, inline and formula-result
 * strings as text. What the rows mean: cli_form.h. A package or part that is
 * not what an .xlsx holds, or any part larger than CLI_XLSX_MAX_PART, refuses
 * the whole file.
 *
 * Writing: the blank form, with common/xlsx_write.h (the one writer of
 * workbooks, which `jiju archive export --format xlsx` and the portal's
 * export use too). */
#ifndef JIJU_CLI_XLSX_H
#define JIJU_CLI_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_form.h"
#include "xlsx_write.h"

#define CLI_XLSX_MAX_PART (64u << 20) /* uncompressed bytes per part */

/* Whether bytes look like a zip package ("PK\3\4"). */
int cli_xlsx_is_xlsx(const char *bytes, size_t len);

/* Parse an .xlsx held in memory. As cli_csv_parse. */
int cli_xlsx_parse(const char *bytes, size_t len, cli_form_result **out, char *err, size_t errcap);

/* Close a workbook made with xlsx_writer_new(path, ...): with path NULL its
 * bytes go to standard output. JIJU_OK or JIJU_ERR_IO. */
int cli_xlsx_close(xlsx_writer **w, const char *path);

/* `jiju import --template --format xlsx`: header, example row, and a sheet
 * 填表说明 with each column's unit. path NULL: standard output. */
int cli_xlsx_write_template(const char *path);

#endif
