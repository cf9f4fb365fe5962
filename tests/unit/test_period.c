/* test_period.c - the period helper: parsing, formatting, boundaries, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "period.h"

/* 2023-01-01T00:00:00Z and friends, computed independently (date -u +%s). */
#define MS_2000_01_01 INT64_C(946684800000)
#define MS_2023_01_01 INT64_C(1672531200000)
#define MS_2023_02_01 INT64_C(1675209600000)
#define MS_2023_03_01 INT64_C(1677628800000)
#define MS_2023_04_01 INT64_C(1680307200000)
#define MS_2023_12_01 INT64_C(1701388800000)
#define MS_2024_01_01 INT64_C(1704067200000)
#define MS_2024_02_01 INT64_C(1706745600000)
#define MS_2024_03_01 INT64_C(1709251200000)
#define MS_3000_01_01 INT64_C(32503680000000)

static void test_parse_valid(void **state)
{
    (void)state;
    period p;
    assert_int_equal(period_parse("2023", &p), JIJU_OK);
    assert_int_equal(p.year, 2023);
    assert_int_equal(p.kind, PERIOD_YEAR);
    assert_int_equal(p.index, 0);
    assert_int_equal(period_parse("2023Q4", &p), JIJU_OK);
    assert_int_equal(p.kind, PERIOD_QUARTER);
    assert_int_equal(p.index, 4);
    assert_int_equal(period_parse("2023-12", &p), JIJU_OK);
    assert_int_equal(p.kind, PERIOD_MONTH);
    assert_int_equal(p.index, 12);
    assert_int_equal(period_parse("2000-01", &p), JIJU_OK);
    assert_int_equal(p.year, 2000);
    assert_int_equal(period_parse("2999Q1", &p), JIJU_OK);
    assert_int_equal(period_year(&p), 2999);
}

static void test_parse_strict(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",         "202",      "20234",   "1999",    "3000",       "0023",    " 2023",
        "2023 ",    "2023q1",   "2023Q0",  "2023Q5",  "2023Q",      "2023Q12", "2023-1",
        "2023-00",  "2023-13",  "2023-1a", "2023/01", "2023-01-01", "+023",    "2023M01",
        "2023-001", "２０２３", "2023\n",  "2023Q1x", "abcd",
    };
    period p = {1, PERIOD_YEAR, 0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (period_parse(bad[i], &p) != JIJU_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_false(period_is_valid(bad[i]));
    }
    assert_int_equal(p.year, 1); /* untouched on failure */
    assert_int_equal(period_parse(NULL, &p), JIJU_ERR_INVALID);
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    static const char *good[] = {"2023",    "2023Q1",  "2023Q4", "2023-01",
                                 "2023-09", "2023-12", "2000",   "2999-12"};
    char buf[PERIOD_TEXT_CAP];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        period p;
        assert_int_equal(period_parse(good[i], &p), JIJU_OK);
        assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_OK);
        assert_string_equal(buf, good[i]);
    }
    period p = {2023, PERIOD_MONTH, 13};
    assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_ERR_INVALID);
    p.index = 5;
    assert_int_equal(period_format(&p, buf, 4), JIJU_ERR_INVALID);
}

static int64_t start_of(const char *text)
{
    period p;
    assert_int_equal(period_parse(text, &p), JIJU_OK);
    return period_start_ms(&p);
}

static int64_t end_of(const char *text)
{
    period p;
    assert_int_equal(period_parse(text, &p), JIJU_OK);
    return period_end_ms(&p);
}

static void test_bounds(void **state)
{
    (void)state;
    assert_int_equal(start_of("2023"), MS_2023_01_01);
    assert_int_equal(end_of("2023"), MS_2024_01_01);
    assert_int_equal(start_of("2023Q1"), MS_2023_01_01);
    assert_int_equal(end_of("2023Q1"), MS_2023_04_01);
    assert_int_equal(start_of("2023Q4"), INT64_C(1696118400000)); /* 2023-10-01 */
    assert_int_equal(end_of("2023Q4"), MS_2024_01_01);
    assert_int_equal(start_of("2023-02"), MS_2023_02_01);
    assert_int_equal(end_of("2023-02"), MS_2023_03_01); /* 28 days */
    assert_int_equal(end_of("2024-02"), MS_2024_03_01); /* leap year: 29 days */
    assert_int_equal(end_of("2024-02") - start_of("2024-02"), INT64_C(29) * 86400000);
    assert_int_equal(start_of("2023-12"), MS_2023_12_01);
    assert_int_equal(end_of("2023-12"), MS_2024_01_01);
    assert_int_equal(start_of("2024-02"), MS_2024_02_01);
    assert_int_equal(start_of("2000"), MS_2000_01_01);
    assert_int_equal(end_of("2999"), MS_3000_01_01);
    assert_int_equal(end_of("2999-12"), MS_3000_01_01);
}

static void expect_previous(const char *from, const char *to)
{
    period p, q;
    char buf[PERIOD_TEXT_CAP];
    assert_int_equal(period_parse(from, &p), JIJU_OK);
    assert_int_equal(period_previous(&p, &q), JIJU_OK);
    assert_int_equal(period_format(&q, buf, sizeof buf), JIJU_OK);
    assert_string_equal(buf, to);
    assert_int_equal(period_next(&q, &p), JIJU_OK);
    assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_OK);
    assert_string_equal(buf, from);
}

static void test_previous_next(void **state)
{
    (void)state;
    expect_previous("2023", "2022");
    expect_previous("2023Q1", "2022Q4");
    expect_previous("2023Q3", "2023Q2");
    expect_previous("2023-01", "2022-12");
    expect_previous("2023-07", "2023-06");
    period p, q = {2500, PERIOD_YEAR, 0};
    assert_int_equal(period_parse("2000Q1", &p), JIJU_OK);
    assert_int_equal(period_previous(&p, &q), JIJU_ERR_NOT_FOUND);
    assert_int_equal(q.year, 2500); /* untouched */
    assert_int_equal(period_parse("2999-12", &p), JIJU_OK);
    assert_int_equal(period_next(&p, &q), JIJU_ERR_NOT_FOUND);
    p.index = 0;
    assert_int_equal(period_previous(&p, &q), JIJU_ERR_INVALID);
}

static void test_at_ms(void **state)
{
    (void)state;
    period p;
    char buf[PERIOD_TEXT_CAP];
    assert_int_equal(period_at_ms(PERIOD_MONTH, MS_2023_03_01 - 1, &p), JIJU_OK);
    assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_OK);
    assert_string_equal(buf, "2023-02");
    assert_int_equal(period_at_ms(PERIOD_QUARTER, MS_2023_04_01, &p), JIJU_OK);
    assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_OK);
    assert_string_equal(buf, "2023Q2");
    assert_int_equal(period_at_ms(PERIOD_YEAR, MS_2024_01_01 - 1, &p), JIJU_OK);
    assert_int_equal(period_format(&p, buf, sizeof buf), JIJU_OK);
    assert_string_equal(buf, "2023");
    assert_int_equal(period_at_ms(PERIOD_MONTH, MS_2000_01_01, &p), JIJU_OK);
    assert_int_equal(period_at_ms(PERIOD_MONTH, MS_2000_01_01 - 1, &p), JIJU_ERR_NOT_FOUND);
    assert_int_equal(period_at_ms(PERIOD_MONTH, MS_3000_01_01, &p), JIJU_ERR_NOT_FOUND);
    assert_int_equal(period_at_ms(PERIOD_MONTH, MS_3000_01_01 - 1, &p), JIJU_OK);
    assert_int_equal(p.year, 2999);
    assert_int_equal(p.index, 12);
    /* Every month start maps back to its own month over the whole range. */
    period m = {2000, PERIOD_MONTH, 1};
    int n = 0;
    do {
        assert_int_equal(period_at_ms(PERIOD_MONTH, period_start_ms(&m), &p), JIJU_OK);
        assert_int_equal(period_compare(&p, &m), 0);
        assert_int_equal(period_at_ms(PERIOD_MONTH, period_end_ms(&m) - 1, &p), JIJU_OK);
        assert_int_equal(period_compare(&p, &m), 0);
        n++;
    } while (period_next(&m, &m) == JIJU_OK);
    assert_int_equal(n, 1000 * 12);
}

static int cmp(const char *a, const char *b)
{
    period pa, pb;
    assert_int_equal(period_parse(a, &pa), JIJU_OK);
    assert_int_equal(period_parse(b, &pb), JIJU_OK);
    return period_compare(&pa, &pb);
}

static void test_compare(void **state)
{
    (void)state;
    assert_true(cmp("2022", "2023") < 0);
    assert_true(cmp("2023", "2022") > 0);
    assert_int_equal(cmp("2023Q2", "2023Q2"), 0);
    assert_true(cmp("2023Q1", "2023Q2") < 0);
    assert_true(cmp("2022-12", "2023Q1") < 0);
    assert_true(cmp("2023", "2023Q1") < 0);
    assert_true(cmp("2023Q1", "2023-01") < 0);
    assert_true(cmp("2023-02", "2023Q1") > 0);
    assert_true(cmp("2023-12", "2024") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),      cmocka_unit_test(test_parse_strict),
        cmocka_unit_test(test_format_roundtrip), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_previous_next),    cmocka_unit_test(test_at_ms),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
