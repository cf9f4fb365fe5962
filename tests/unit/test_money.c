/* test_money.c - exact 万元 <-> fen conversion (common/money.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "money.h"

static void test_wan_to_fen_exact(void **state)
{
    static const struct {
        const char *text;
        int64_t fen;
    } good[] = {
        {"1.23", 1230000},
        {"0.000001", 1},
        {"1", 1000000},
        {"1234.56", 1234560000},
        {"0.5", 500000},
        {"-2.000001", -2000001},
        {"9223372036854.775807", INT64_MAX},
        {"0", 0},
    };
    static const char *const bad[] = {"0.0000001",
                                      "",
                                      "1.",
                                      ".5",
                                      "1,5",
                                      "1e3",
                                      " 1",
                                      "1 ",
                                      "abc",
                                      "--1",
                                      "9223372036854.775808",
                                      "1.2.3",
                                      "+1"};
    const char *reason;
    int64_t fen;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        fen = -42;
        assert_int_equal(money_wan_to_fen(good[i].text, &fen, NULL), JIJU_OK);
        assert_true(fen == good[i].fen);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fen = -42;
        reason = NULL;
        if (money_wan_to_fen(bad[i], &fen, &reason) != JIJU_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(fen == -42);
        assert_non_null(reason);
    }
    assert_int_equal(money_wan_to_fen("0.0000001", &fen, &reason), JIJU_ERR_INVALID);
    assert_non_null(strstr(reason, "6 decimals"));
}

static void test_fen_to_wan_text(void **state)
{
    char buf[MONEY_WAN_TEXT_CAP];

    (void)state;
    assert_string_equal(money_fen_to_wan(1230000, buf, sizeof buf), "1.23");
    assert_string_equal(money_fen_to_wan(1, buf, sizeof buf), "0.000001");
    assert_string_equal(money_fen_to_wan(1000000, buf, sizeof buf), "1.00");
    assert_string_equal(money_fen_to_wan(-5000000, buf, sizeof buf), "-5.00");
    assert_string_equal(money_fen_to_wan(INT64_MIN, buf, sizeof buf), "-9223372036854.775808");
    assert_string_equal(money_millionths_text(87654321, buf, sizeof buf), "87.654321");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wan_to_fen_exact),
        cmocka_unit_test(test_fen_to_wan_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
