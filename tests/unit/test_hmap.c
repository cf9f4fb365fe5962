/* test_hmap.c - the in-memory map: values found, replaced and removed; a
 * map grown far past its first table; and a long random run of puts and
 * deletes (many of them colliding) checked against a plain array after
 * every step, which is what catches a wrong backward shift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hmap.h"

typedef struct rev {
    uint32_t revision;
    int64_t revenue;
} rev;

static void test_put_get_replace_del(void **state)
{
    hmap_t *m = hmap_new(sizeof(rev));
    rev a = {2, 1000}, b = {3, -5}, *got;

    (void)state;
    assert_non_null(m);
    assert_null(hmap_get(m,
                         "JL-1\0"
                         "2024Q1",
                         11));
    assert_int_equal(hmap_put(m,
                              "JL-1\0"
                              "2024Q1",
                              11, &a),
                     JIJU_OK);
    /* the key is the bytes, NUL included: a prefix is another key */
    assert_null(hmap_get(m, "JL-1", 4));
    got = hmap_get(m,
                   "JL-1\0"
                   "2024Q1",
                   11);
    assert_non_null(got);
    assert_int_equal(got->revision, 2);
    assert_int_equal(got->revenue, 1000);
    assert_int_equal(hmap_put(m,
                              "JL-1\0"
                              "2024Q1",
                              11, &b),
                     JIJU_OK);
    assert_int_equal(hmap_count(m), 1);
    got = hmap_get(m,
                   "JL-1\0"
                   "2024Q1",
                   11);
    assert_int_equal(got->revision, 3);
    assert_int_equal(got->revenue, -5);
    got->revision = 4; /* writable in place */
    assert_int_equal(((rev *)hmap_get(m,
                                      "JL-1\0"
                                      "2024Q1",
                                      11))
                         ->revision,
                     4);
    assert_int_equal(hmap_del(m,
                              "JL-1\0"
                              "2024Q1",
                              11),
                     JIJU_OK);
    assert_int_equal(hmap_del(m,
                              "JL-1\0"
                              "2024Q1",
                              11),
                     JIJU_ERR_NOT_FOUND);
    assert_null(hmap_get(m,
                         "JL-1\0"
                         "2024Q1",
                         11));
    assert_int_equal(hmap_count(m), 0);
    hmap_destroy(&m);
    assert_null(m);
    hmap_destroy(&m); /* NULL is fine */
}

static void test_set_and_empty_key(void **state)
{
    hmap_t *s = hmap_new(0);

    (void)state;
    assert_int_equal(hmap_put(s, "2024Q1", 6, NULL), JIJU_OK);
    assert_int_equal(hmap_put(s, "", 0, NULL), JIJU_OK);
    assert_non_null(hmap_get(s, "2024Q1", 6));
    assert_non_null(hmap_get(s, "", 0));
    assert_null(hmap_get(s, "2024Q2", 6));
    hmap_clear(s);
    assert_int_equal(hmap_count(s), 0);
    assert_null(hmap_get(s, "2024Q1", 6));
    hmap_destroy(&s);
}

static void test_grows(void **state)
{
    hmap_t *m = hmap_new(sizeof(uint64_t));
    char key[32];

    (void)state;
    for (uint64_t i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "cluster-%llu", (unsigned long long)i);
        assert_int_equal(hmap_put(m, key, (size_t)n, &i), JIJU_OK);
    }
    assert_int_equal(hmap_count(m), 100000);
    for (uint64_t i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "cluster-%llu", (unsigned long long)i);
        uint64_t *v = hmap_get(m, key, (size_t)n);
        assert_non_null(v);
        assert_int_equal(*v, i);
    }
    hmap_destroy(&m);
}

/* Random puts and deletes over 300 keys, compared with an array after
 * each step (every key looked up), through several growths. */
static void test_random_against_model(void **state)
{
    enum { KEYS = 300, STEPS = 20000 };
    hmap_t *m = hmap_new(sizeof(int));
    int model[KEYS];
    char key[16];
    unsigned seed = 12345;

    (void)state;
    for (int k = 0; k < KEYS; k++)
        model[k] = -1;
    for (int step = 0; step < STEPS; step++) {
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 8) % KEYS;
        int n = snprintf(key, sizeof key, "k%d", k);
        if ((seed >> 4) % 3) {
            assert_int_equal(hmap_put(m, key, (size_t)n, &step), JIJU_OK);
            model[k] = step;
        } else {
            assert_int_equal(hmap_del(m, key, (size_t)n),
                             model[k] >= 0 ? JIJU_OK : JIJU_ERR_NOT_FOUND);
            model[k] = -1;
        }
        if (step % 97 && step != STEPS - 1)
            continue;
        size_t count = 0;
        for (int j = 0; j < KEYS; j++) {
            int jn = snprintf(key, sizeof key, "k%d", j);
            int *v = hmap_get(m, key, (size_t)jn);
            if (model[j] < 0) {
                assert_null(v);
            } else {
                assert_non_null(v);
                assert_int_equal(*v, model[j]);
                count++;
            }
        }
        assert_int_equal(hmap_count(m), count);
    }
    hmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_del),
        cmocka_unit_test(test_set_and_empty_key),
        cmocka_unit_test(test_grows),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
