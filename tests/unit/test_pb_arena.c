/* test_pb_arena.c - unpacking into a caller's buffer: the message decodes
 * the same as with malloc, what fits stays in the buffer, what does not is
 * malloc'd and freed (ASan checks the freeing), and the buffer is reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jiju/v1/envelope.pb-c.h"
#include "pb.h"
#include "pb_arena.h"

static uint8_t *packed_env(const char *subject, size_t *len)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    uint8_t *out = NULL;

    env.subject = (char *)subject;
    env.period = (char *)"2024Q1";
    env.time_ms = 1700000000000LL;
    assert_int_equal(pb_pack(&env.base, &out, len), 0);
    return out;
}

static int in_buf(const void *p, const void *buf, size_t cap)
{
    return (uintptr_t)p >= (uintptr_t)buf && (uintptr_t)p < (uintptr_t)buf + cap;
}

static void test_fits_in_the_buffer_and_is_reused(void **state)
{
    max_align_t room[512];
    size_t len;
    uint8_t *bytes = packed_env("JL-0042", &len);
    pb_arena a;

    (void)state;
    pb_arena_init(&a, room, sizeof room);
    for (int i = 0; i < 3; i++) {
        Jiju__V1__Envelope *e = jiju__v1__envelope__unpack(&a.alloc, len, bytes);
        assert_non_null(e);
        assert_true(in_buf(e, room, sizeof room));
        assert_true(in_buf(e->subject, room, sizeof room));
        assert_string_equal(e->subject, "JL-0042");
        assert_string_equal(e->period, "2024Q1");
        assert_int_equal(e->time_ms, 1700000000000LL);
        pb_arena_free(&a, &e->base);
        assert_int_equal(a.used, 0);
    }
    free(bytes);
}

static void test_overflow_is_malloced_and_freed(void **state)
{
    max_align_t room[4]; /* smaller than the Envelope struct */
    char big[3000];
    size_t len;
    uint8_t *bytes;
    pb_arena a;
    Jiju__V1__Envelope *e;

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bytes = packed_env(big, &len);
    pb_arena_init(&a, room, sizeof room);
    e = jiju__v1__envelope__unpack(&a.alloc, len, bytes);
    assert_non_null(e);
    assert_false(in_buf(e, room, sizeof room));
    assert_int_equal(strlen(e->subject), sizeof big - 1);
    pb_arena_free(&a, &e->base); /* LeakSanitizer fails the test if anything stays */
    /* undecodable bytes: NULL, nothing held */
    assert_null(jiju__v1__envelope__unpack(&a.alloc, 3, (const uint8_t *)"\xff\xff\xff"));
    pb_arena_free(&a, NULL);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits_in_the_buffer_and_is_reused),
        cmocka_unit_test(test_overflow_is_malloced_and_freed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
