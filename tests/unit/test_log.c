/* test_log.c - the rate limiter of repeated log lines: LOG_LIMIT_BURST
 * lines of a call site pass in a window, the rest are counted (per site and
 * in all), and log_limited() prints one line per passed call only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static void test_burst_then_counted(void **state)
{
    log_limit l = {0};
    uint64_t before = log_suppressed_total();
    int passed = 0;

    (void)state;
    for (int i = 0; i < 1000; i++)
        passed += log_limit_pass(&l, "stream_bad_frame");
    assert_int_equal(passed, LOG_LIMIT_BURST);
    assert_int_equal(l.suppressed, 1000 - LOG_LIMIT_BURST);
    assert_int_equal(log_suppressed_total() - before, 1000 - LOG_LIMIT_BURST);
}

static void test_sites_are_separate(void **state)
{
    log_limit a = {0}, b = {0};

    (void)state;
    for (int i = 0; i < 50; i++)
        log_limit_pass(&a, "a");
    assert_int_equal(log_limit_pass(&b, "b"), 1);
}

/* log_limited through a real stderr: 10 lines of 500 calls, nothing else. */
static void test_log_limited_prints_the_burst(void **state)
{
    char path[] = "/tmp/jiju-test-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    char line[512];
    int lines = 0;
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    log_init("test", LOG_INFO);
    dup2(fd, 2);
    for (int i = 0; i < 500; i++)
        log_limited(LOG_WARN, "flood", "i=%d", i);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    while (fgets(line, sizeof line, f))
        lines += strstr(line, "event=flood i=") != NULL;
    fclose(f);
    unlink(path);
    assert_int_equal(lines, LOG_LIMIT_BURST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_counted),
        cmocka_unit_test(test_sites_are_separate),
        cmocka_unit_test(test_log_limited_prints_the_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
