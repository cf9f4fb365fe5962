/* test_cli_text.c - form bytes to UTF-8: BOMs, GBK as Excel saves it on a
 * Chinese desktop, UTF-16 (Excel's Unicode text), --encoding, and the one
 * error, with its byte offset, for bytes that are none of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_text.h"
#include "err.h"

/* "集聚区编码,报告期,集聚区名称\nJL-SW-001,2023,东市场\n" in GBK */
#define GBK_FORM                                                                                   \
    "\xBC\xAF\xBE\xDB\xC7\xF8\xB1\xE0\xC2\xEB\x2C\xB1\xA8\xB8\xE6\xC6\xDA\x2C\xBC\xAF\xBE\xDB\xC7" \
    "\xF8\xC3\xFB\xB3\xC6\x0A\x4A\x4C\x2D\x53\x57\x2D\x30\x30\x31\x2C\x32\x30\x32\x33\x2C\xB6\xAB" \
    "\xCA\xD0\xB3\xA1\x0A"
#define UTF8_FORM "集聚区编码,报告期,集聚区名称\nJL-SW-001,2023,东市场\n"

static char *conv(const char *in, size_t len, const char *forced, char *enc, int want_rc, char *err,
                  size_t *out_len)
{
    char *out = NULL;
    size_t n = 0;
    int rc = cli_text_to_utf8(in, len, forced, &out, &n, enc, err, 256);

    if (rc != want_rc)
        fail_msg("rc %d, wanted %d (%s)", rc, want_rc, err);
    if (out_len)
        *out_len = n;
    return out;
}

static void test_utf8_with_and_without_bom(void **state)
{
    char enc[CLI_TEXT_ENC_CAP], err[256] = "";
    char *out;
    static const char bom[] = "\xEF\xBB\xBF\"集聚区编码\",x";

    (void)state;
    out = conv(bom, sizeof bom - 1, NULL, enc, JIJU_OK, err, NULL);
    assert_string_equal(out, "\"集聚区编码\",x"); /* the BOM never reaches libcsv */
    assert_string_equal(enc, "UTF-8 BOM");
    free(out);
    out = conv(UTF8_FORM, strlen(UTF8_FORM), NULL, enc, JIJU_OK, err, NULL);
    assert_string_equal(out, UTF8_FORM);
    assert_string_equal(enc, "UTF-8");
    free(out);
}

static void test_gbk(void **state)
{
    char enc[CLI_TEXT_ENC_CAP], err[256] = "", big[4096] = "";
    char *out;

    (void)state;
    /* detected (uchardet) when there is enough text to tell */
    for (int i = 0; i < 20; i++)
        strcat(big, GBK_FORM);
    out = conv(big, strlen(big), NULL, enc, JIJU_OK, err, NULL);
    assert_string_equal(enc, "GB18030");
    assert_memory_equal(out, UTF8_FORM, strlen(UTF8_FORM));
    free(out);
    /* --encoding GBK: no detection */
    out = conv(GBK_FORM, strlen(GBK_FORM), "GBK", enc, JIJU_OK, err, NULL);
    assert_string_equal(out, UTF8_FORM);
    free(out);
}

static void test_utf16(void **state)
{
    /* "报告期\tA\r\n" as UTF-16LE with a BOM, as Excel's Unicode text */
    static const char le[] = "\xFF\xFE\xA5\x62\x4A\x54\x1F\x67\x09\x00\x41\x00\x0D\x00\x0A\x00";
    static const char be[] = "\xFE\xFF\x62\xA5\x54\x4A\x67\x1F\x00\x09\x00\x41";
    char enc[CLI_TEXT_ENC_CAP], err[256] = "";
    size_t n = 0;
    char *out;

    (void)state;
    out = conv(le, sizeof le - 1, NULL, enc, JIJU_OK, err, &n);
    assert_string_equal(enc, "UTF-16LE");
    assert_string_equal(out, "报告期\tA\r\n");
    free(out);
    out = conv(be, sizeof be - 1, NULL, enc, JIJU_OK, err, &n);
    assert_string_equal(out, "报告期\tA");
    free(out);
    /* forced: the BOM is still dropped */
    out = conv(le, sizeof le - 1, "UTF-16", enc, JIJU_OK, err, &n);
    assert_string_equal(out, "报告期\tA\r\n");
    free(out);
    /* without a BOM (not Excel, but other programs): told by its NUL bytes */
    out = conv(le + 2, sizeof le - 3, NULL, enc, JIJU_OK, err, &n);
    assert_string_equal(enc, "UTF-16LE");
    assert_string_equal(out, "报告期\tA\r\n");
    free(out);
    /* an odd byte at the end: cut off, named by offset */
    conv(le, sizeof le - 2, "UTF-16LE", enc, JIJU_ERR_INVALID, err, NULL);
    assert_non_null(strstr(err, "offset 14"));
}

static void test_none_of_them(void **state)
{
    char enc[CLI_TEXT_ENC_CAP], err[256] = "";
    static const char junk[] = "cluster_id,period\nA,2023\xFF\xFE\xFF\x80\x81\n";

    (void)state;
    assert_null(conv(junk, sizeof junk - 1, NULL, enc, JIJU_ERR_INVALID, err, NULL));
    assert_non_null(strstr(err, "offset 24"));
    assert_non_null(strstr(err, "0xFF"));
    /* forced UTF-8 on GBK: named where it breaks */
    assert_null(conv(GBK_FORM, strlen(GBK_FORM), "UTF-8", enc, JIJU_ERR_INVALID, err, NULL));
    assert_non_null(strstr(err, "offset 0"));
    assert_null(conv("a", 1, "NO-SUCH-ENCODING", enc, JIJU_ERR_INVALID, err, NULL));
    assert_non_null(strstr(err, "unknown encoding"));
    /* NUL is not text */
    assert_int_equal(cli_text_utf8_prefix("ab\0c", 4), 2);
    assert_int_equal(cli_text_utf8_prefix("\xC0\xAF", 2), 0);     /* overlong */
    assert_int_equal(cli_text_utf8_prefix("\xED\xA0\x80", 3), 0); /* surrogate */
    assert_int_equal(cli_text_utf8_prefix("东", 3), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_with_and_without_bom),
        cmocka_unit_test(test_gbk),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_none_of_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
