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
 * Writing (libxlsxwriter): the blank form, and the rows of
 * `jiju archive export --format xlsx` - money in 万元 as numbers with their
 * exact decimals (as text when an amount has more than 15 significant
 * digits, which a double would not keep), acceptance times as Excel dates
 * in the jurisdiction's zone (common/tz.h, default Asia/Shanghai). */
#ifndef JIJU_CLI_XLSX_H
#define JIJU_CLI_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_form.h"

#define CLI_XLSX_MAX_PART (64u << 20) /* uncompressed bytes per part */

/* Whether bytes look like a zip package ("PK\3\4"). */
int cli_xlsx_is_xlsx(const char *bytes, size_t len);

/* Parse an .xlsx held in memory. As cli_csv_parse. */
int cli_xlsx_parse(const char *bytes, size_t len, cli_form_result **out, char *err, size_t errcap);

/* The kinds of cells a sheet is written with. */
typedef enum {
    CLI_XLSX_TEXT = 0,
    CLI_XLSX_INT,  /* value: the integer */
    CLI_XLSX_WAN,  /* value: fen; shown in 万元 */
    CLI_XLSX_TIME, /* value: ms since the epoch; an Excel date in the local zone */
    CLI_XLSX_EMPTY
} cli_xlsx_kind;

typedef struct cli_xlsx_cell {
    cli_xlsx_kind kind;
    const char *text; /* TEXT */
    int64_t value;
} cli_xlsx_cell;

typedef struct cli_xlsx_writer cli_xlsx_writer;

/* A workbook of one sheet named sheet, written at close to path (NULL:
 * standard output, through a temporary file). NULL on failure. */
cli_xlsx_writer *cli_xlsx_writer_new(const char *path, const char *sheet);
/* Next row: the first is the header (bold, frozen). JIJU_OK or JIJU_ERR_IO. */
int cli_xlsx_writer_row(cli_xlsx_writer *w, const cli_xlsx_cell *cells, size_t n);
/* A second sheet of notes (one text cell per column, per row). */
int cli_xlsx_writer_notes(cli_xlsx_writer *w, const char *sheet, const char *const *cells,
                          size_t n);
/* Write the file and free w. JIJU_OK or JIJU_ERR_IO. */
int cli_xlsx_writer_close(cli_xlsx_writer **w);

/* `jiju import --template --format xlsx`: header, example row, and a sheet
 * 填表说明 with each column's unit. path NULL: standard output. */
int cli_xlsx_write_template(const char *path);

#endif
