/* test_cli_table.c - tables stay aligned with Chinese text: widths are
 * display columns (wcwidth, common/utf8.h), not bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_table.h"
#include "utf8.h"

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_display_width(""), 0);
    assert_int_equal(utf8_display_width("JL-WL-001"), 9);
    assert_int_equal(utf8_display_width("东市场"), 6);
    assert_int_equal(utf8_display_width("营业收入(万元)"), 14);
    assert_int_equal(utf8_display_width("\xff\xfe"), 2); /* not UTF-8: one per byte */
}

/* Every line has its third column starting at the same display column. */
static void test_columns_align(void **state)
{
    static const char *const headers[] = {"编码", "名称", "得分"};
    static const char *const r1[] = {"JL-JY-001", "东北亚农产品交易集聚区", "87.654321"};
    static const char *const r2[] = {"X", "东市场", "5.00"};
    cli_table_t *t = cli_table_new(3, headers);
    char *buf = NULL, line[256];
    size_t len = 0, first_end = 0, n = 0;
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    assert_non_null(t);
    cli_table_align_right(t, 2);
    assert_int_equal(cli_table_add(t, r1), 0);
    assert_int_equal(cli_table_add(t, r2), 0);
    cli_table_print(t, out);
    fclose(out);
    out = fmemopen(buf, len, "r");
    while (fgets(line, sizeof line, out)) {
        line[strcspn(line, "\n")] = '\0';
        if (n++ == 0)
            first_end = utf8_display_width(line);
        assert_int_equal(utf8_display_width(line), first_end); /* right-aligned last column */
    }
    assert_int_equal(n, 4);
    assert_int_equal(first_end, 9 + 2 + 22 + 2 + 9);
    fclose(out);
    free(buf);
    cli_table_destroy(&t);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_columns_align),
    };
    /* no setlocale: widths are C.UTF-8's whatever the process's locale (a
     * service's is "C"), so the portal's sheets fit Chinese text too */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
