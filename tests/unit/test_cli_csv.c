/* test_cli_csv.c - CSV import: the 25-row sample (20 good rows, 4 refused
 * at parse level, 1 left for ingest), Chinese and English headers, exact
 * 万元, header refusals, row problems named by row and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_csv.h"
#include "err.h"

static cli_form_result *parse_ok(const char *text)
{
    cli_form_result *res = NULL;
    char err[256] = "";

    if (cli_csv_parse(text, strlen(text), &res, err, sizeof err) != JIJU_OK)
        fail_msg("refused: %s", err);
    return res;
}

static void parse_refused(const char *text, const char *err_part)
{
    cli_form_result *res = NULL;
    char err[256] = "";

    assert_int_equal(cli_csv_parse(text, strlen(text), &res, err, sizeof err), JIJU_ERR_INVALID);
    assert_null(res);
    if (!strstr(err, err_part))
        fail_msg("error \"%s\" lacks \"%s\"", err, err_part);
}

static const cli_form_problem *problem_at(const cli_form_result *res, size_t row)
{
    for (size_t i = 0; i < res->n_problems; i++)
        if (res->problems[i].row == row)
            return &res->problems[i];
    return NULL;
}

static void expect_problem(const cli_form_result *res, size_t row, const char *column,
                           const char *reason_part)
{
    const cli_form_problem *p = problem_at(res, row);

    if (!p)
        fail_msg("no problem at row %zu", row);
    assert_string_equal(p->column, column);
    if (!strstr(p->reason, reason_part))
        fail_msg("row %zu: \"%s\" lacks \"%s\"", row, p->reason, reason_part);
}

static void test_import_25(void **state)
{
    size_t len = 0;
    char *text = cli_read_file(JIJU_SRC_DIR "/tests/integration/data/import_25.csv", &len);
    cli_form_result *res = NULL;
    char err[256];

    (void)state;
    assert_non_null(text);
    assert_int_equal(cli_csv_parse(text, len, &res, err, sizeof err), JIJU_OK);
    assert_int_equal(res->rows, 25);
    /* 20 good rows plus the unknown cluster, which only ingest can refuse */
    assert_int_equal(res->n_reports, 21);
    assert_int_equal(res->bad_rows, 4);
    assert_int_equal(res->n_problems, 4);
    expect_problem(res, 6, "营业收入(万元)", "bad amount");
    expect_problem(res, 15, "报告期", "bad period");
    expect_problem(res, 20, "公共服务平台(个)", "missing column");
    expect_problem(res, 25, "填报人", "not UTF-8");
    /* the first good row, converted exactly */
    assert_int_equal(res->report_rows[0], 2);
    assert_string_equal(res->reports[0]->report_id, "JL-WL-001-2022-r1");
    assert_string_equal(res->reports[0]->cluster_id, "JL-WL-001");
    assert_true(res->reports[0]->revenue_fen == INT64_C(52639600000));
    assert_true(res->reports[0]->tax_fen == INT64_C(2105580000));
    assert_int_equal(res->reports[0]->enterprises, 52);
    assert_int_equal(res->reports[0]->employment, 1876);
    assert_string_equal(res->reports[0]->submitted_by, "统计员");
    for (size_t i = 0; i < res->n_reports; i++)
        assert_null(problem_at(res, res->report_rows[i]));
    cli_form_result_free(&res);
    assert_null(res);
    free(text);
}

static void test_english_header(void **state)
{
    size_t len = 0;
    char *text = cli_read_file(JIJU_SRC_DIR "/tests/integration/data/reports_en.csv", &len);
    cli_form_result *res = NULL;

    (void)state;
    assert_non_null(text);
    assert_int_equal(cli_csv_parse(text, len, &res, NULL, 0), JIJU_OK);
    assert_int_equal(res->n_reports, 3);
    assert_int_equal(res->n_problems, 0);
    assert_int_equal(res->reports[0]->revision, 2);
    assert_string_equal(res->reports[0]->report_id, "JL-WL-001-2023-r2");
    assert_true(res->reports[0]->investment_fen == INT64_C(7956390000));
    assert_true(res->reports[0]->output_value_fen == INT64_C(62590290000));
    assert_string_equal(res->reports[0]->note, "corrected, revision 2");
    cli_form_result_free(&res);
    free(text);
}

static void test_wan_exactness(void **state)
{
    cli_form_result *res = parse_ok("cluster_id,period,revenue_wan,tax_wan\n"
                                    "A,2023,0.000001,1.23\n"
                                    "B,2023,0.0000001,1\n"
                                    "C,2023-05,92233720368.547758,0\n");

    (void)state;
    assert_int_equal(res->n_reports, 2);
    assert_true(res->reports[0]->revenue_fen == 1);
    assert_true(res->reports[0]->tax_fen == 1230000);
    assert_true(res->reports[1]->revenue_fen == INT64_C(92233720368547758));
    assert_int_equal(res->reports[1]->revision, 1);
    assert_string_equal(res->reports[1]->report_id, "C-2023-05-r1");
    expect_problem(res, 3, "revenue_wan", "6 decimals");
    cli_form_result_free(&res);
}

static void test_chinese_header_variants(void **state)
{
    /* BOM, full-width parentheses, ignored 序号/集聚区名称, a quoted line
     * break, blank lines, spaces around cells */
    cli_form_result *res =
        parse_ok("\xEF\xBB\xBF序号,集聚区编码,集聚区名称,报告期,版本,营业收入（万元）,备注\n"
                 "1, JL-SW-001 ,东市场,2023Q4,3,12.5,\"第一行\n第二行\"\n"
                 "\n"
                 "2,JL-SW-002,河南街,2023,1,,\n");

    (void)state;
    assert_int_equal(res->rows, 2);
    assert_int_equal(res->n_reports, 2);
    assert_string_equal(res->reports[0]->cluster_id, "JL-SW-001");
    assert_string_equal(res->reports[0]->period, "2023Q4");
    assert_int_equal(res->reports[0]->revision, 3);
    assert_true(res->reports[0]->revenue_fen == 12500000);
    assert_string_equal(res->reports[0]->note, "第一行\n第二行");
    /* as a spreadsheet shows it: the quoted break stays in row 2, the blank
     * line is row 3 */
    assert_int_equal(res->report_rows[1], 4);
    assert_int_equal(res->reports[1]->revenue_present_case,
                     JIJU__V1__REPORT__REVENUE_PRESENT__NOT_SET);
    cli_form_result_free(&res);
}

static void test_rows_as_a_spreadsheet_numbers_them(void **state)
{
    /* CRLF counts once, blank lines (LF, CRLF, spaces) are rows */
    cli_form_result *res = parse_ok("cluster_id,period,enterprises\r\n"
                                    "A,2023,1\r\n"
                                    "\r\n"
                                    "  ,  ,\r\n"
                                    "B,2023,x\r\n"
                                    "\n"
                                    "C,2023,3");

    (void)state;
    assert_int_equal(res->rows, 3);
    assert_int_equal(res->report_rows[0], 2);
    assert_int_equal(res->report_rows[1], 7);
    expect_problem(res, 5, "enterprises", "bad integer");
    assert_int_equal(res->problems[0].col, 3);
    cli_form_result_free(&res);
}

static void test_clerk_numbers(void **state)
{
    /* thousands separators and full-width digits, as Excel and an IME write them */
    cli_form_result *res = parse_ok("集聚区编码,报告期,营业收入(万元),吸纳就业(人)\n"
                                    "A,2023,\"8,422.43\",\"1,024\"\n"
                                    "B,２０２３,８４２２．４３,２６０８\n"
                                    "C,2023,\"84,22.43\",1\n"
                                    "D,2023,\"1,234,567.000001\",\"12,345,678\"\n");

    (void)state;
    assert_int_equal(res->n_reports, 3);
    assert_true(res->reports[0]->revenue_fen == 8422430000);
    assert_true(res->reports[0]->employment == 1024);
    assert_string_equal(res->reports[1]->period, "2023");
    assert_true(res->reports[1]->revenue_fen == 8422430000);
    assert_true(res->reports[1]->employment == 2608);
    expect_problem(res, 4, "营业收入(万元)", "thousands separators");
    assert_true(res->reports[2]->revenue_fen == 1234567000001);
    assert_true(res->reports[2]->employment == 12345678);
    cli_form_result_free(&res);
}

static void test_export_columns_and_tabs(void **state)
{
    /* what `jiju archive export` writes, tab-separated as Excel's Unicode text */
    cli_form_result *res = parse_ok(
        "集聚区编码\t报告期\t版本\t营业收入(万元)\t集聚区名称\t报告编号\t填报人\t受理实例\t"
        "受理序号\t存档序号\t受理时间\n"
        "JL-SW-001\t2023\t2\t1.50\t东市场\tR-1\t张丽\tingest-1\t7\t19\t"
        "2024-01-05T08:00:00.000Z\n");
    char cell[16];

    (void)state;
    assert_int_equal(res->n_reports, 1);
    assert_string_equal(res->reports[0]->report_id, "R-1");
    assert_int_equal(res->reports[0]->revision, 2);
    assert_string_equal(res->names[0], "东市场");
    assert_null(res->counties[0]);
    assert_int_equal(res->name_col, 5);
    assert_string_equal(cli_form_cell_name(5, 7, cell, sizeof cell), "E7");
    assert_string_equal(cli_form_cell_name(28, 1, cell, sizeof cell), "AB1");
    assert_string_equal(cli_form_cell_name(16384, 2, cell, sizeof cell), "XFD2");
    cli_form_result_free(&res);
}

static void test_row_problems(void **state)
{
    cli_form_result *res = parse_ok("cluster_id,period,enterprises,revision\n"
                                    "A,2023,12x,1\n"
                                    ",2023,1,1\n"
                                    "A,2023,1,1,extra\n"
                                    "A,23,1,1\n"
                                    "A,2023,1,-1\n"
                                    "A,2023,1,1\n");

    (void)state;
    assert_int_equal(res->rows, 6);
    assert_int_equal(res->n_reports, 1);
    assert_int_equal(res->report_rows[0], 7);
    assert_int_equal(res->bad_rows, 5);
    expect_problem(res, 2, "enterprises", "bad integer");
    expect_problem(res, 3, "cluster_id", "missing value");
    expect_problem(res, 4, "", "wrong field count");
    expect_problem(res, 5, "period", "bad period");
    expect_problem(res, 6, "revision", "bad number");
    cli_form_result_free(&res);
}

static void test_header_refused(void **state)
{
    (void)state;
    parse_refused("集聚区编码,营业收入(万元)\nA,1\n", "报告期");
    parse_refused("period,revenue_wan\n2023,1\n", "集聚区编码");
    parse_refused("cluster_id,period,revnue_wan\nA,2023,1\n", "unknown column");
    parse_refused("cluster_id,period,revenue_fen,营业收入(万元)\nA,2023,1,1\n", "same field");
    parse_refused("cluster_id,period,note_wan\nA,2023,1\n", "unknown column");
    parse_refused("", "no header");
    parse_refused("cluster_id,period\n\"A,2023\n", "row 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_25),
        cmocka_unit_test(test_english_header),
        cmocka_unit_test(test_wan_exactness),
        cmocka_unit_test(test_chinese_header_variants),
        cmocka_unit_test(test_row_problems),
        cmocka_unit_test(test_header_refused),
        cmocka_unit_test(test_rows_as_a_spreadsheet_numbers_them),
        cmocka_unit_test(test_clerk_numbers),
        cmocka_unit_test(test_export_columns_and_tabs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
