/* test_read_auth.c - who reads what through the query endpoints: plain mode
 * reads all; a reporter is narrowed to its one cluster, must name one of
 * several, is refused another's with the key, the cluster and its own
 * clusters named; the refusals of the other roles say what to do. (The
 * role of a real key under CURVE is checked end to end by
 * tests/integration/test_scoping.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "read_auth.h"

static key_entry reporter(char **clusters, size_t n)
{
    key_entry k;

    memset(&k, 0, sizeof k);
    strcpy(k.name, "sc-001-org");
    k.role = KEY_ROLE_REPORTER;
    k.clusters = clusters;
    k.n_clusters = n;
    return k;
}

static void test_plain_reads_all(void **state)
{
    const key_entry *k = (const key_entry *)1;

    (void)state;
    assert_int_equal(read_auth_scope(NULL, "anyone", &k), READ_ALL);
    assert_null(k);
}

static void test_reporter_one_cluster(void **state)
{
    char *cl[] = {"SC-001"};
    key_entry k = reporter(cl, 1);
    char why[256] = "";

    (void)state;
    assert_string_equal(read_auth_cluster(&k, "", why, sizeof why), "SC-001");
    assert_string_equal(read_auth_cluster(&k, NULL, why, sizeof why), "SC-001");
    assert_string_equal(read_auth_cluster(&k, "SC-001", why, sizeof why), "SC-001");
    assert_null(read_auth_cluster(&k, "SC-002", why, sizeof why));
    assert_string_equal(why, "E_FORBIDDEN_CLUSTER: key sc-001-org (role reporter) may not read "
                             "cluster SC-002; its clusters: SC-001");
}

static void test_reporter_several_clusters(void **state)
{
    char *cl[] = {"SC-001", "SC-003"};
    key_entry k = reporter(cl, 2);
    char why[256] = "";

    (void)state;
    assert_null(read_auth_cluster(&k, "", why, sizeof why));
    assert_string_equal(why, "E_FORBIDDEN_CLUSTER: key sc-001-org (role reporter) must name "
                             "cluster_id: one of SC-001, SC-003");
    assert_string_equal(read_auth_cluster(&k, "SC-003", why, sizeof why), "SC-003");
}

static void test_refusals_name_key_role_and_way(void **state)
{
    key_entry sub;
    char why[256];

    (void)state;
    memset(&sub, 0, sizeof sub);
    strcpy(sub.name, "fgw");
    sub.role = KEY_ROLE_SUBSCRIBER;
    read_auth_refusal(&sub, "the archive", why, sizeof why);
    assert_string_equal(why, "E_FORBIDDEN: key fgw (role subscriber) may not read the archive: a "
                             "department reads what its subscription delivers (deliveries)");
    read_auth_refusal(NULL, "the archive", why, sizeof why);
    assert_string_equal(why, "E_FORBIDDEN: key - (role -) may not read the archive: the key is "
                             "not on the allow-list");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_reads_all),
        cmocka_unit_test(test_reporter_one_cluster),
        cmocka_unit_test(test_reporter_several_clusters),
        cmocka_unit_test(test_refusals_name_key_role_and_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
