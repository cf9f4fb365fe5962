/* cli_csv.h - statistics reports from CSV (libcsv), for `jiju import`.
 *
 * The first record is the header: English field names of jiju.v1.Report
 * (report_id, cluster_id, period, revision, enterprises, investment_fen or
 * investment_wan, ...) or the Chinese column names of the statistics form
 * (集聚区编码, 报告期, 版本, 营业收入(万元), 税收(万元), 入驻企业(户), 吸纳就业(人),
 * 投入(万元), 产值(万元), 重点项目(个), 公共服务平台(个), 招商引资(万元), 报告编号,
 * 填报人, 备注; full-width parentheses too). Informational columns
 * (集聚区名称, cluster_name, 序号, 县区, county) are ignored; any other unknown
 * column, a column given twice, or a missing 集聚区编码/cluster_id or
 * 报告期/period refuses the whole file.
 *
 * Rows are CSV records numbered as a spreadsheet shows them: the header is
 * row 1, the first data row is row 2, a record with a quoted line break is
 * still one row; blank lines are skipped and not counted. A row is refused, with every problem
 * named by row, column and reason, for: a bad amount (万元 with more than six decimals, not a
 * number), a bad integer, a bad period, an empty required cell, missing
 * cells or extra cells (wrong field count), bytes that are not UTF-8.
 *
 * A missing report id is derived from cluster, period and revision
 * ("<cluster>-<period>-r<revision>"), so importing the same file again is
 * answered DUPLICATE rather than creating new reports. A missing revision
 * is 1. Empty indicator cells are left absent (ingest decides whether they
 * are required). */
#ifndef JIJU_CLI_CSV_H
#define JIJU_CLI_CSV_H

#include <stddef.h>

#include "jiju/v1/report.pb-c.h"

typedef struct cli_csv_problem {
    size_t row;       /* spreadsheet row (header = 1) */
    char column[64];  /* the column as written in the header ("" if none) */
    char reason[192]; /* what is wrong */
} cli_csv_problem;

typedef struct cli_csv_result {
    Jiju__V1__Report **reports; /* the good rows, in order */
    size_t *report_rows;        /* row of each report */
    size_t n_reports;
    cli_csv_problem *problems; /* every problem of every bad row, in order */
    size_t n_problems;
    size_t rows;     /* data rows read (good + bad) */
    size_t bad_rows; /* data rows refused */
} cli_csv_result;

/* Parse CSV text. JIJU_OK with *out (caller frees with
 * cli_csv_result_free), even if some rows are bad. JIJU_ERR_INVALID when
 * the file as a whole is refused (header, malformed quoting): err says why,
 * naming row and column. JIJU_ERR_NOMEM. */
int cli_csv_parse(const char *text, size_t len, cli_csv_result **out, char *err, size_t errcap);

void cli_csv_result_free(cli_csv_result **r);

#endif
