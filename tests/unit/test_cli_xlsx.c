/* test_cli_xlsx.c - .xlsx forms: what libxlsxwriter writes reads back cell
 * for cell (numbers with exact decimals, text ids, dates ignored), the
 * blank template imports, sheets as other programs write them (inline
 * strings, rows with gaps, Excel's 17-digit numbers, namespace prefixes),
 * and packages that are not workbooks are refused whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zip.h>

#include "cli.h"
#include "cli_number.h"
#include "cli_xlsx.h"
#include "err.h"

static char *slurp(const char *path, size_t *len)
{
    char *b = cli_read_file(path, len);

    assert_non_null(b);
    return b;
}

static cli_form_result *parse_file(const char *path, int want_rc, char *err)
{
    size_t len = 0;
    char *bytes = slurp(path, &len);
    cli_form_result *res = NULL;
    int rc = cli_xlsx_parse(bytes, len, &res, err, 256);

    free(bytes);
    if (rc != want_rc)
        fail_msg("rc %d, wanted %d: %s", rc, want_rc, err);
    return res;
}

static void test_written_reads_back(void **state)
{
    char path[] = "/tmp/test-cli-xlsx-XXXXXX";
    int fd = mkstemp(path);
    xlsx_writer *w;
    xlsx_cell head[] = {{.text = "集聚区编码"},   {.text = "报告期"},   {.text = "营业收入(万元)"},
                        {.text = "吸纳就业(人)"}, {.text = "受理时间"}, {.text = "备注"},
                        {.text = "税收(万元)"}};
    xlsx_cell row[] = {{.text = "JL-SW-001"},
                       {.text = "2023"},
                       {.kind = XLSX_WAN, .value = 64830110000},
                       {.kind = XLSX_INT, .value = 2608},
                       {.kind = XLSX_TIME, .value = 1704441600000},
                       {.kind = XLSX_EMPTY},
                       /* 16 significant digits: kept as text, exactly */
                       {.kind = XLSX_WAN, .value = INT64_C(1234567890123456)}};
    cli_form_result *res;
    char err[256] = "";

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_non_null(w = xlsx_writer_new(path, "报表"));
    assert_int_equal(xlsx_writer_row(w, head, 7), JIJU_OK);
    assert_int_equal(xlsx_writer_row(w, row, 7), JIJU_OK);
    row[2].value = 1; /* 0.000001 万元: one fen */
    row[0].text = "JL-SW-002";
    assert_int_equal(xlsx_writer_row(w, row, 7), JIJU_OK);
    assert_int_equal(xlsx_writer_close(&w, NULL, NULL), JIJU_OK);
    res = parse_file(path, JIJU_OK, err);
    assert_int_equal(res->rows, 2);
    assert_int_equal(res->n_reports, 2);
    assert_string_equal(res->reports[0]->period, "2023");
    assert_true(res->reports[0]->revenue_fen == 64830110000);
    assert_true(res->reports[0]->employment == 2608);
    assert_true(res->reports[0]->tax_fen == INT64_C(1234567890123456));
    assert_string_equal(res->reports[0]->note, ""); /* protobuf-c's empty default */
    assert_true(res->reports[1]->revenue_fen == 1);
    assert_int_equal(res->report_rows[1], 3);
    cli_form_result_free(&res);
    unlink(path);
}

/* A workbook made in memory (the portal's export): bytes handed back, the
 * temporary file gone; a second sheet and percentages do not disturb the
 * first sheet the reader takes. */
static void test_in_memory(void **state)
{
    xlsx_writer *w;
    xlsx_cell head[] = {{.text = "集聚区编码"}, {.text = "报告期"}, {.text = "营业收入(万元)"}};
    xlsx_cell row[] = {
        {.text = "JL-SW-001"}, {.text = "2023"}, {.kind = XLSX_WAN, .value = 5000000}};
    xlsx_cell rank[] = {{.kind = XLSX_PERCENT, .value = 833333},
                        {.kind = XLSX_MICROS, .value = 87654321}};
    cli_form_result *res = NULL;
    char *bytes = NULL, err[256] = "";
    size_t len = 0;

    (void)state;
    assert_non_null(w = xlsx_writer_new(NULL, "2023"));
    assert_int_equal(xlsx_writer_row(w, head, 3), JIJU_OK);
    assert_int_equal(xlsx_writer_row(w, row, 3), JIJU_OK);
    assert_int_equal(xlsx_writer_sheet(w, "排名"), JIJU_OK);
    assert_int_equal(xlsx_writer_text_row(w, (const char *const[]){"指标报送率", "得分"}, 2),
                     JIJU_OK);
    assert_int_equal(xlsx_writer_row(w, rank, 2), JIJU_OK);
    assert_int_equal(xlsx_writer_close(&w, &bytes, &len), JIJU_OK);
    assert_null(w);
    assert_true(len > 1000 && cli_xlsx_is_xlsx(bytes, len));
    assert_int_equal(cli_xlsx_parse(bytes, len, &res, err, sizeof err), JIJU_OK);
    assert_int_equal(res->n_reports, 1);
    assert_true(res->reports[0]->revenue_fen == 5000000);
    cli_form_result_free(&res);
    free(bytes);
    /* bytes only from a writer of its own temporary file */
    assert_int_equal(xlsx_writer_close(&w, &bytes, &len), JIJU_OK); /* NULL: nothing */
}

static void test_template_imports(void **state)
{
    char path[] = "/tmp/test-cli-xlsx-XXXXXX";
    int fd = mkstemp(path);
    cli_form_result *res;
    char err[256] = "";

    (void)state;
    close(fd);
    assert_int_equal(cli_xlsx_write_template(path), JIJU_OK);
    res = parse_file(path, JIJU_OK, err);
    assert_int_equal(res->n_reports, 1);
    assert_string_equal(res->reports[0]->cluster_id, "JL-SW-001");
    assert_string_equal(res->names[0], "东市场");
    assert_string_equal(res->counties[0], "昌邑区");
    assert_true(res->reports[0]->revenue_fen == 64830110000);
    cli_form_result_free(&res);
    unlink(path);
}

/* A package with the given parts (name, content pairs, NULL-terminated). */
static void make_zip(const char *path, const char *const *parts)
{
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);

    assert_non_null(z);
    for (size_t i = 0; parts[i]; i += 2) {
        zip_source_t *s = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
        assert_true(zip_file_add(z, parts[i], s, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
}

#define WB                                                                                         \
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "               \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"             \
    "<sheets><sheet name=\"A\" sheetId=\"1\" r:id=\"rId7\"/></sheets></workbook>"
#define RELS                                                                                       \
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"       \
    "<Relationship Id=\"rId7\" Type=\"x\" Target=\"worksheets/data.xml\"/></Relationships>"

static void test_other_writers(void **state)
{
    /* prefixed elements, inline strings, a phonetic run, gaps, 17 digits */
    static const char *const parts[] = {
        "xl/workbook.xml",
        WB,
        "xl/_rels/workbook.xml.rels",
        RELS,
        "xl/sharedStrings.xml",
        "<x:sst xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:si><x:t>集聚区编码</x:t></x:si><x:si><x:r><x:t>报告</x:t></x:r><x:r><x:t>期</x:t></x:r>"
        "<x:rPh><x:t>ほうこく</x:t></x:rPh></x:si></x:sst>",
        "xl/worksheets/data.xml",
        "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:sheetData><x:row r=\"2\"><x:c r=\"A2\" t=\"s\"><x:v>0</x:v></x:c>"
        "<x:c r=\"B2\" t=\"s\"><x:v>1</x:v></x:c><x:c r=\"D2\" t=\"inlineStr\"><x:is><x:t>营业收入"
        "(万元)</x:t></x:is></x:c></x:row>"
        "<x:row r=\"5\"><x:c r=\"A5\" t=\"str\"><x:v>JL-A</x:v></x:c><x:c r=\"B5\"><x:v>2023</x:v>"
        "</x:c><x:c r=\"D5\"><x:v>8422.4300000000003</x:v></x:c></x:row>"
        "<x:row r=\"9\"><x:c r=\"A9\" t=\"str\"><x:v>JL-B</x:v></x:c><x:c r=\"B9\"><x:v>2023</x:v>"
        "</x:c><x:c r=\"D9\"><x:v>1.0000001</x:v></x:c><x:c r=\"F9\" t=\"str\"><x:v>x</x:v></x:c>"
        "</x:row></x:sheetData></x:worksheet>",
        NULL};
    char path[] = "/tmp/test-cli-xlsx-XXXXXX";
    int fd = mkstemp(path);
    cli_form_result *res;
    char err[256] = "";

    (void)state;
    close(fd);
    make_zip(path, parts);
    res = parse_file(path, JIJU_OK, err);
    assert_int_equal(res->rows, 2);
    assert_int_equal(res->n_reports, 1);
    assert_int_equal(res->report_rows[0], 5);
    assert_true(res->reports[0]->revenue_fen == 8422430000);
    /* row 9: 1.0000001 is finer than a fen (15 digits keep it); F9 is past the header */
    assert_int_equal(res->n_problems, 2);
    assert_non_null(strstr(res->problems[0].reason, "finer than 1 fen"));
    assert_int_equal(res->problems[0].row, 9);
    assert_int_equal(res->problems[0].col, 4);
    cli_form_result_free(&res);
    unlink(path);
}

static void test_refused(void **state)
{
    static const char *const no_wb[] = {"a.txt", "x", NULL};
    static const char *const bad_xml[] = {
        "xl/workbook.xml",  WB,  "xl/_rels/workbook.xml.rels", RELS, "xl/worksheets/data.xml",
        "<worksheet><row>", NULL};
    static const char *const bad_sst[] = {
        "xl/workbook.xml",
        WB,
        "xl/_rels/workbook.xml.rels",
        RELS,
        "xl/worksheets/data.xml",
        "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>3</v></c></row></sheetData>"
        "</worksheet>",
        NULL};
    char path[] = "/tmp/test-cli-xlsx-XXXXXX";
    int fd = mkstemp(path);
    cli_form_result *res = NULL;
    char err[256] = "";

    (void)state;
    close(fd);
    make_zip(path, no_wb);
    parse_file(path, JIJU_ERR_INVALID, err);
    assert_non_null(strstr(err, "xl/workbook.xml"));
    make_zip(path, bad_xml);
    parse_file(path, JIJU_ERR_INVALID, err);
    assert_non_null(strstr(err, "xl/worksheets/data.xml: line 1"));
    make_zip(path, bad_sst);
    parse_file(path, JIJU_ERR_INVALID, err);
    assert_non_null(strstr(err, "shared string"));
    assert_int_equal(cli_xlsx_parse("PK\x03\x04junk", 8, &res, err, sizeof err), JIJU_ERR_INVALID);
    assert_null(res);
    unlink(path);
}

static void test_cell_numbers(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(cli_number_from_cell("8422.4300000000003", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "8422.43");
    assert_int_equal(cli_number_from_cell("1.5E-3", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "0.0015");
    assert_int_equal(cli_number_from_cell("2023", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "2023");
    assert_int_equal(cli_number_from_cell("-0.99999999999999994", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "-1");
    assert_int_equal(cli_number_from_cell("1E+3", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "1000");
    assert_int_equal(cli_number_from_cell("0", out, sizeof out), JIJU_OK);
    assert_string_equal(out, "0");
    assert_int_equal(cli_number_from_cell("x", out, sizeof out), JIJU_ERR_INVALID);
    assert_int_equal(cli_number_from_cell("+", out, sizeof out), JIJU_ERR_INVALID);
    assert_int_equal(cli_number_from_cell("1.2.3", out, sizeof out), JIJU_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_reads_back), cmocka_unit_test(test_template_imports),
        cmocka_unit_test(test_other_writers),      cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cell_numbers),       cmocka_unit_test(test_in_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
