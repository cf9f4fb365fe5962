/* test_tz.c - the jurisdiction's time zone over the system tz database:
 * period bounds and the reporting deadline at local midnight in
 * Asia/Shanghai (2022's deadline is 2023-01-16T00:00+08:00, not 00:00Z),
 * local text with its offset, a zone with daylight saving, and refusals of
 * names that are not zones. Expected epochs from `TZ=... date -d ... +%s`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "period.h"
#include "tz.h"

#define S(x) (INT64_C(x) * 1000)

static void test_shanghai(void **state)
{
    char err[256], buf[TZ_TEXT_CAP];
    period y2022 = {2022, PERIOD_YEAR, 0}, y2023 = {2023, PERIOD_YEAR, 0};
    period q1 = {2023, PERIOD_QUARTER, 1}, feb24 = {2024, PERIOD_MONTH, 2};

    (void)state;
    assert_int_equal(tz_use("Asia/Shanghai", err, sizeof err), 0);
    assert_string_equal(tz_name(), "Asia/Shanghai");
    assert_int_equal(tz_period_start_ms(&y2023), S(1672502400)); /* 2023-01-01 00:00 +08:00 */
    assert_int_equal(tz_period_end_ms(&y2022), S(1672502400));
    assert_int_equal(tz_period_end_ms(&q1), S(1680278400));    /* 2023-04-01 00:00 +08:00 */
    assert_int_equal(tz_period_end_ms(&feb24), S(1709222400)); /* 2024-03-01: leap year */
    /* seed 五.三: period end + 15 days, at local midnight */
    assert_int_equal(tz_deadline_ms(&y2022, 15), S(1673798400)); /* 2023-01-16 00:00 +08:00 */
    assert_string_equal(tz_format_ms(S(1673798400), buf, sizeof buf), "2023-01-16T00:00:00+08:00");
    assert_string_equal(tz_format_ms(S(1673798400) + 5, buf, sizeof buf),
                        "2023-01-16T00:00:00.005+08:00");
    /* the instant that was 00:00Z, as a person in Jilin reads it */
    assert_string_equal(tz_format_ms(S(1673827200), buf, sizeof buf), "2023-01-16T08:00:00+08:00");
}

/* Days are calendar days: across a daylight-saving change a day is 23 h. */
static void test_dst_zone(void **state)
{
    char err[256], buf[TZ_TEXT_CAP];
    period feb = {2023, PERIOD_MONTH, 2};

    (void)state;
    assert_int_equal(tz_use("America/New_York", err, sizeof err), 0);
    assert_int_equal(tz_deadline_ms(&feb, 11), S(1678597200)); /* 2023-03-12 00:00 EST */
    assert_int_equal(tz_deadline_ms(&feb, 12), S(1678680000)); /* 2023-03-13 00:00 EDT */
    assert_int_equal(tz_deadline_ms(&feb, 12) - tz_deadline_ms(&feb, 11), 23 * 3600000LL);
    assert_string_equal(tz_format_ms(S(1678680000), buf, sizeof buf), "2023-03-13T00:00:00-04:00");
    assert_int_equal(tz_use("UTC", err, sizeof err), 0);
    assert_string_equal(tz_format_ms(S(1673827200), buf, sizeof buf), "2023-01-16T00:00:00Z");
    assert_int_equal(tz_use(TZ_DEFAULT, err, sizeof err), 0);
}

static void test_refused(void **state)
{
    char err[256];

    (void)state;
    assert_int_equal(tz_valid("Asia/Shanghai", err, sizeof err), 0);
    assert_int_equal(tz_valid("Mars/Olympus_Mons", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown time zone \"Mars/Olympus_Mons\""));
    assert_int_equal(tz_valid("../../etc/passwd", err, sizeof err), -1);
    assert_int_equal(tz_valid("/etc/localtime", err, sizeof err), -1);
    assert_int_equal(tz_valid("", err, sizeof err), -1);
    assert_int_equal(tz_valid("+08:00", err, sizeof err), -1); /* offsets are not zones */
    assert_int_equal(tz_use("Nowhere", err, sizeof err), -1);
    assert_string_equal(tz_name(), TZ_DEFAULT); /* unchanged */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shanghai),
        cmocka_unit_test(test_dst_zone),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
