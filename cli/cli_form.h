/* cli_form.h - the statistics form (报表) as rows of cells -> jiju.v1.Report,
 * whatever file it came in (cli_csv.h for CSV text, cli_xlsx.h for Excel).
 *
 * The first non-blank record is the header: English field names of
 * jiju.v1.Report (report_id, cluster_id, period, revision, enterprises,
 * investment_fen or investment_wan, ...) or the Chinese column names of the
 * statistics form (集聚区编码, 报告期, 版本, 营业收入(万元), 税收(万元),
 * 入驻企业(户), 吸纳就业(人), 投入(万元), 产值(万元), 重点项目(个),
 * 公共服务平台(个), 招商引资(万元), 报告编号, 填报人, 备注; full-width
 * parentheses too). 集聚区名称 / cluster_name and 县区 / county are kept to be
 * checked against the registry (cli_registry.h); 序号 and the columns that
 * `jiju archive export` adds about an earlier acceptance (受理实例, 受理序号,
 * 存档序号, 受理时间) are ignored; any other column, a column given twice, or
 * a missing 集聚区编码 or 报告期 refuses the whole file.
 *
 * Rows carry the number a spreadsheet shows (the caller counts them: blank
 * lines are rows too); blank rows make no report and no problem. A row is
 * refused, every problem named by cell (row and column), for: a bad amount
 * (万元 with more than six decimals, not a number), a bad integer, a bad
 * period, an empty required cell, missing or extra cells, bytes that are not
 * UTF-8. Numbers may use full-width digits and thousands separators
 * (cli_number.h).
 *
 * A missing report id is derived from cluster, period and revision
 * ("<cluster>-<period>-r<revision>"), so importing the same file again is
 * answered DUPLICATE; a missing revision is 1; empty indicator cells stay
 * absent (ingest decides whether they are required). */
#ifndef JIJU_CLI_FORM_H
#define JIJU_CLI_FORM_H

#include <stddef.h>

#include "jiju/v1/report.pb-c.h"

typedef struct cli_form_problem {
    size_t row;       /* spreadsheet row */
    size_t col;       /* spreadsheet column, 1 = A; 0: the row as a whole */
    char column[64];  /* the column as written in the header ("" if none) */
    char reason[192]; /* what is wrong */
} cli_form_problem;

typedef struct cli_form_result {
    Jiju__V1__Report **reports; /* the good rows, in order */
    size_t *report_rows;        /* row of each report */
    char **names;               /* 集聚区名称 of each report, NULL if none given */
    char **counties;            /* 县区 of each report, NULL if none given */
    size_t n_reports;
    cli_form_problem *problems; /* every problem of every bad row, in order */
    size_t n_problems;
    size_t rows;                 /* data rows read (good + bad), blank rows not counted */
    size_t bad_rows;             /* data rows refused */
    size_t name_col, county_col; /* their columns (1 = A), 0 if absent */
    const ProtobufCFieldDescriptor **col_fields; /* Report field of each column, or NULL */
    size_t n_cols;
} cli_form_result;

typedef struct cli_form cli_form_t;

/* errcap bytes at err receive why a whole file is refused. NULL on
 * allocation failure. */
cli_form_t *cli_form_new(char *err, size_t errcap);

/* One record of cells[0..n) (each NUL-terminated, lens without the NUL) at
 * spreadsheet row `row`. sparse: cells past the end are empty (an .xlsx
 * leaves out trailing empty cells), else a short row is a problem. JIJU_OK,
 * or the error that refuses the whole file (err says why). */
int cli_form_record(cli_form_t *f, size_t row, char *const *cells, const size_t *lens, size_t n,
                    int sparse);

/* Refuse the whole file with the reason given (the first call wins). */
void cli_form_fail(cli_form_t *f, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* End: JIJU_OK with *out (caller frees with cli_form_result_free), even if
 * some rows are bad; else the error that refused the file. Frees *f. */
int cli_form_finish(cli_form_t **f, cli_form_result **out);

void cli_form_result_free(cli_form_result **r);

/* Refuse the report at index i after the fact (a check beyond the form
 * itself, such as the registry's): it leaves reports, its row counts as bad,
 * and the problem is named at column col of its row. JIJU_OK or
 * JIJU_ERR_NOMEM. */
int cli_form_result_refuse(cli_form_result *r, size_t i, size_t col, const char *column,
                           const char *reason);

/* The column (1 = A) that holds a problem's field ("report.tax_fen"), 0 if
 * the form has none: ingest's problems are then named by cell too. */
size_t cli_form_column_of(const cli_form_result *r, const char *field);

/* Problems in the order a reader scans the sheet: by row, then column. */
void cli_form_result_sort(cli_form_result *r);

/* "B7": spreadsheet cell name of column col (1 = A) and row. */
const char *cli_form_cell_name(size_t col, size_t row, char *buf, size_t cap);

/* The blank form: its header cells in order, and one example row
 * (cli_form_template_cell(i, 0) the header, (i, 1) the example, (i, 2) the
 * unit). Returns NULL past the last column. */
const char *cli_form_template_cell(size_t col, int what);

#endif
