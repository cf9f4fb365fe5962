/* test_bloom.c - the in-memory Bloom filter: never "absent" for a key that
 * was added, also across the layers added as keys outgrow the plan; few
 * false "perhaps" (under 3% at 10 bits per key); an empty filter denies
 * every key; a filter that would pass its bound saturates (every key
 * "perhaps", its bits freed) instead of denying a key it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bloom.h"

#define KEYS 200000

static size_t key_of(char *buf, size_t cap, const char *kind, int i)
{
    return (size_t)snprintf(buf, cap, "C%04d%c%s-%d", i % 1000, '\0', kind, i);
}

/* Keys 0..n-1 of kind into b. */
static void add_keys(bloom_t *b, const char *kind, int n)
{
    char k[64];

    for (int i = 0; i < n; i++)
        bloom_add(b, k, key_of(k, sizeof k, kind, i));
}

/* How many of keys 0..n-1 of kind b says it may hold. */
static size_t may_hold(const bloom_t *b, const char *kind, int n)
{
    char k[64];
    size_t held = 0;

    for (int i = 0; i < n; i++)
        held += bloom_may_contain(b, k, key_of(k, sizeof k, kind, i));
    return held;
}

static void test_no_false_negatives_across_layers(void **state)
{
    bloom_t *b = bloom_new(4096, 64u << 20); /* planned for 4,096: grows by layers */
    size_t fp;

    (void)state;
    assert_non_null(b);
    add_keys(b, "R", KEYS);
    assert_int_equal(bloom_count(b), KEYS);
    assert_false(bloom_saturated(b));
    assert_int_equal(may_hold(b, "R", KEYS), KEYS);
    fp = may_hold(b, "X", KEYS);
    printf("false positives %zu of %d, %zu bytes\n", fp, KEYS, bloom_bytes(b));
    assert_true(fp < KEYS * 3 / 100);
    /* about 10 bits per key, with the doubling of the last layer */
    assert_true(bloom_bytes(b) <= (size_t)KEYS * 10 / 8 * 4);
    bloom_destroy(&b);
    assert_null(b);
    bloom_destroy(&b); /* NULL is fine */
}

static void test_planned_size_holds_few_false_positives(void **state)
{
    bloom_t *b = bloom_new(KEYS, 64u << 20);
    size_t fp;

    (void)state;
    assert_non_null(b);
    add_keys(b, "R", KEYS);
    fp = may_hold(b, "X", KEYS);
    assert_true(fp < KEYS * 2 / 100);
    bloom_destroy(&b);
}

static void test_empty_denies_every_key(void **state)
{
    bloom_t *b = bloom_new(0, 1u << 20);
    char k[64];
    size_t n;

    (void)state;
    assert_non_null(b);
    for (int i = 0; i < 1000; i++) {
        n = key_of(k, sizeof k, "R", i);
        assert_false(bloom_may_contain(b, k, n));
    }
    assert_false(bloom_may_contain(b, "", 0));
    bloom_add(b, "", 0);
    assert_true(bloom_may_contain(b, "", 0));
    bloom_destroy(&b);
}

static void test_bound_saturates_never_denies(void **state)
{
    bloom_t *b = bloom_new(4096, 16384); /* room for the first layer only */

    (void)state;
    assert_non_null(b);
    assert_null(bloom_new(1u << 20, 16384)); /* a plan above the bound is refused */
    add_keys(b, "R", 20000);
    assert_true(bloom_saturated(b));
    assert_int_equal(bloom_bytes(b), 0);
    assert_int_equal(may_hold(b, "R", 20000), 20000);
    assert_int_equal(may_hold(b, "X", 20000), 20000);
    bloom_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_false_negatives_across_layers),
        cmocka_unit_test(test_planned_size_holds_few_false_positives),
        cmocka_unit_test(test_empty_denies_every_key),
        cmocka_unit_test(test_bound_saturates_never_denies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
