/* archive_export.h - the statistics bureau's export of one period's accepted
 * reports (seed 五.三): CSV with Chinese headers, UTF-8 with a BOM so that a
 * spreadsheet opens it correctly, money in 万元 with exact decimals; or JSON
 * lines with money in fen.
 *
 * Feed it archived records (any order, any type: only ReportAccepted bodies
 * make rows; ClusterRegistered / ClusterUpdated bodies give cluster names, so
 * feed those first). By default one row per cluster: its highest revision
 * (ties: the later archive sequence), written sorted by cluster id at
 * finish; with all_revisions every accepted revision, written as fed. */
#ifndef JIJU_ARCHIVE_EXPORT_H
#define JIJU_ARCHIVE_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jiju/v1/archive.pb-c.h"

typedef enum {
    ARCHIVE_EXPORT_CSV = 0,
    ARCHIVE_EXPORT_JSON,
    ARCHIVE_EXPORT_ROWS
} archive_export_format;

typedef struct archive_export archive_export_t;

/* A cell of the CSV form, typed, for writers of other formats (the CLI's
 * .xlsx): text is always what the CSV holds. */
typedef enum {
    ARCHIVE_CELL_TEXT = 0,
    ARCHIVE_CELL_INT,  /* value: the integer */
    ARCHIVE_CELL_WAN,  /* value: fen (text: 万元) */
    ARCHIVE_CELL_TIME, /* value: ms since the epoch */
    ARCHIVE_CELL_EMPTY /* an absent indicator */
} archive_cell_kind;

typedef struct archive_export_cell {
    archive_cell_kind kind;
    const char *text;
    int64_t value;
} archive_export_cell;

/* Called with the header (all TEXT) first, then once per row. JIJU_OK or an
 * error that stops the export. */
typedef int (*archive_export_row_fn)(void *arg, const archive_export_cell *cells, size_t n);

/* As archive_export_new, the rows (with the same columns as the CSV) going
 * to fn instead of a file. */
archive_export_t *archive_export_new_rows(archive_export_row_fn fn, void *arg, const char *period,
                                          bool all_revisions);

/* Writes to out (not owned); CSV gets its BOM and header line at once.
 * Only reports of `period` make rows. NULL on allocation failure. */
archive_export_t *archive_export_new(FILE *out, archive_export_format fmt, const char *period,
                                     bool all_revisions);
void archive_export_destroy(archive_export_t **x);

/* Take one archived record into account. JIJU_OK (also when it makes no
 * row), JIJU_ERR_NOMEM, JIJU_ERR_IO. */
int archive_export_add(archive_export_t *x, const Jiju__V1__ArchiveRecord *rec);

/* Write what is held (latest revisions) and flush. Rows written in total go
 * to *rows (may be NULL). */
int archive_export_finish(archive_export_t *x, size_t *rows);

/* fen as 万元 (1 万元 = 1,000,000 fen), exact, at least two decimals:
 * 123456789 -> "123.456789", 5000000 -> "5.00", -1 -> "-0.000001". */
const char *archive_fen_to_wan(int64_t fen, char *buf, size_t cap);

#endif
