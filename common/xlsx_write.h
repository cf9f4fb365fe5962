/* xlsx_write.h - a workbook for people who work in Excel (libxlsxwriter),
 * written once for every writer of one: `jiju archive export --format xlsx`
 * and the blank form (cli/), the portal's GET /api/v1/export?format=xlsx.
 *
 * A sheet as a civil servant expects it: the first row is the header (bold,
 * frozen), money in 万元 as numbers with their exact decimals (as text when
 * an amount has more than 15 significant digits, which a double would not
 * keep), percentages as Excel percentages, times as Excel dates in the
 * jurisdiction's zone (common/tz.h, Asia/Shanghai unless configured), text
 * as text (an id such as 00123 stays one), and every column as wide as its
 * widest cell in display columns (a Chinese character takes two). */
#ifndef JIJU_XLSX_WRITE_H
#define JIJU_XLSX_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of cells a sheet is written with. */
typedef enum {
    XLSX_TEXT = 0,
    XLSX_INT,     /* value: the integer */
    XLSX_WAN,     /* value: fen; shown in 万元 */
    XLSX_TIME,    /* value: ms since the epoch; an Excel date in the local zone */
    XLSX_EMPTY,   /* nothing (an absent indicator) */
    XLSX_PERCENT, /* value: millionths of 1 (1,000,000 = 100%); shown as 12.34% */
    XLSX_MICROS   /* value: millionths; shown as a decimal with 2 to 6 places (a score) */
} xlsx_kind;

typedef struct xlsx_cell {
    xlsx_kind kind;
    const char *text; /* TEXT */
    int64_t value;
} xlsx_cell;

typedef struct xlsx_writer xlsx_writer;

/* A workbook whose first sheet is named sheet, written at close to path
 * (NULL: a private temporary file, whose bytes xlsx_writer_close hands
 * back). NULL on failure. */
xlsx_writer *xlsx_writer_new(const char *path, const char *sheet);

/* Rows go from now on to a new sheet of that name; its first row is its
 * header. JIJU_OK or JIJU_ERR_IO. */
int xlsx_writer_sheet(xlsx_writer *w, const char *sheet);

/* Next row of the current sheet. JIJU_OK or JIJU_ERR_IO (then every later
 * call fails too, and close reports it). */
int xlsx_writer_row(xlsx_writer *w, const xlsx_cell *cells, size_t n);

/* A row of text cells (notes, explanations). As xlsx_writer_row. */
int xlsx_writer_text_row(xlsx_writer *w, const char *const *cells, size_t n);

/* Write the workbook and free *w (NULL is fine). With bytes (only for a
 * writer made with path NULL): the file's contents, caller frees, and its
 * length in *len. JIJU_OK, JIJU_ERR_IO, JIJU_ERR_NOMEM. */
int xlsx_writer_close(xlsx_writer **w, char **bytes, size_t *len);

#endif
