/* test_notify_match.c - filter semantics, the index against brute force, and
 * the default routing table (DESIGN.md "Default routing") as shipped in
 * deploy/config/subscriptions.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify_match.h"
#include "notify_seed.h"
#include "notify_validate.h"

typedef struct routing {
    Jiju__V1__Subscription **subs;
    size_t n;
    notify_match_t *m;
    size_t *out;
} routing;

static int routing_setup(void **state)
{
    routing *r = calloc(1, sizeof *r);
    char err[512];

    assert_non_null(r);
    if (notify_seed_load(JIJU_SRC_DIR "/deploy/config/subscriptions.json", &r->subs, &r->n, err,
                         sizeof err) < 0)
        fail_msg("%s", err);
    for (size_t i = 0; i < r->n; i++)
        if (notify_validate(r->subs[i], err, sizeof err) < 0)
            fail_msg("%s", err);
    r->m = notify_match_new((const Jiju__V1__Subscription *const *)r->subs, r->n);
    r->out = calloc(r->n, sizeof *r->out);
    assert_non_null(r->m);
    *state = r;
    return 0;
}

static int routing_teardown(void **state)
{
    routing *r = *state;

    notify_match_destroy(&r->m);
    assert_null(r->m);
    for (size_t i = 0; i < r->n; i++)
        jiju__v1__subscription__free_unpacked(r->subs[i], NULL);
    free(r->subs);
    free(r->out);
    free(r);
    return 0;
}

/* "a,b,c": the sorted ids the event goes to. */
static void route(routing *r, const char *type, int category, const char *county,
                  const char *cluster, char *buf, size_t cap)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    size_t k, used = 0;
    char *ids[64];

    env.type = (char *)type;
    env.category = (Jiju__V1__Category)category;
    env.county = (char *)county;
    env.subject = (char *)cluster;
    k = notify_match_event(r->m, &env, r->out);
    for (size_t i = 0; i < k; i++)
        ids[i] = r->subs[r->out[i]]->id;
    for (size_t i = 1; i < k; i++) /* insertion sort by id, for stable text */
        for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", ids[i]);
}

#define EXPECT_ROUTE(r, type, cat, county, expected)                                               \
    do {                                                                                           \
        char got[512];                                                                             \
        route(r, type, cat, county, "X-1", got, sizeof got);                                       \
        assert_string_equal(got, expected);                                                        \
    } while (0)

/* One row of the table per category: ReportAccepted in 船营区. */
static void test_categories(void **state)
{
    routing *r = *state;
    const char *t = "jiju.v1.ReportAccepted";

    EXPECT_ROUTE(r, t, 1, "船营区", "county-船营区,fgw,jtj");      /* 现代物流园 */
    EXPECT_ROUTE(r, t, 2, "船营区", "county-船营区,fgw,swj");      /* 商务综合服务区 */
    EXPECT_ROUTE(r, t, 3, "船营区", "county-船营区,fgw,wglj,xcb"); /* 文化创意园 */
    EXPECT_ROUTE(r, t, 4, "船营区", "county-船营区,fgw,kjj");      /* 科技创业园 */
    EXPECT_ROUTE(r, t, 5, "船营区", "county-船营区,fgw,kjj,swj");  /* 电子商务产业园 */
    EXPECT_ROUTE(r, t, 6, "船营区", "county-船营区,fgw,swj");      /* 服务外包基地 */
    EXPECT_ROUTE(r, t, 7, "船营区", "county-船营区,fgw,swj");      /* 产品交易市场 */
    EXPECT_ROUTE(r, t, 8, "船营区", "county-船营区,fgw,wglj");     /* 休闲旅游服务集聚区 */
    EXPECT_ROUTE(r, t, 9, "船营区", "county-船营区,fgw"); /* 综合性生产服务集聚区 */
}

static void test_types(void **state)
{
    routing *r = *state;

    EXPECT_ROUTE(r, "jiju.v1.AwardGranted", 4, "磐石市", "county-磐石市,czj,fgw,kjj");
    EXPECT_ROUTE(r, "jiju.v1.TargetProgress", 0, "", "fgw,tjj");
    EXPECT_ROUTE(r, "jiju.v1.ReportOverdue", 9, "永吉县", "county-永吉县,fgw,tjj");
    EXPECT_ROUTE(r, "jiju.v1.RankingPublished", 0, "", "fgw");
    /* a development zone's 管委会 is among the defaults (seed 四: 开发区管委会) */
    EXPECT_ROUTE(r, "jiju.v1.ClusterRegistered", 1, "高新区", "fgw,jtj,zone-高新区");
    /* a county without a default subscription still reaches the coordinator
     * (notification derives one when a cluster there is registered:
     * test_notify_subs) */
    EXPECT_ROUTE(r, "jiju.v1.ClusterRegistered", 1, "北大湖", "fgw,jtj");
}

/* Every county government of the city has a subscription of its own. */
static void test_counties(void **state)
{
    routing *r = *state;
    const char *counties[] = {"昌邑区", "龙潭区", "船营区", "丰满区", "永吉县",
                              "蛟河市", "桦甸市", "舒兰市", "磐石市"};

    for (size_t i = 0; i < 9; i++) {
        char want[128], got[512];
        snprintf(want, sizeof want, "county-%s,fgw", counties[i]);
        route(r, "jiju.v1.PeriodClosed", 9, counties[i], "", got, sizeof got);
        assert_string_equal(got, want);
    }
}

/* AND across lists, OR within a list and across filters; empty = any. */
static void test_filter_semantics(void **state)
{
    Jiju__V1__Filter f = JIJU__V1__FILTER__INIT;
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    char *types[] = {"jiju.v1.AwardGranted", "jiju.v1.ReportOverdue"}, *counties[] = {"船营区"};
    char *clusters[] = {"A", "B"};
    Jiju__V1__Category cats[] = {JIJU__V1__CATEGORY__LOGISTICS};

    (void)state;
    env.type = "jiju.v1.AwardGranted";
    env.county = "船营区";
    env.subject = "B";
    env.category = JIJU__V1__CATEGORY__LOGISTICS;
    assert_true(notify_filter_matches(&f, &env)); /* empty filter: everything */
    f.n_types = 2;
    f.types = types;
    f.n_counties = 1;
    f.counties = counties;
    f.n_cluster_ids = 2;
    f.cluster_ids = clusters;
    f.n_categories = 1;
    f.categories = cats;
    assert_true(notify_filter_matches(&f, &env));
    env.subject = "C";
    assert_false(notify_filter_matches(&f, &env));
    env.subject = "A";
    env.county = "龙潭区";
    assert_false(notify_filter_matches(&f, &env));
    env.county = "船营区";
    env.category = 0; /* no category never matches a category list */
    assert_false(notify_filter_matches(&f, &env));
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Random subscriptions and events: the index answers as brute force does. */
static void test_index_equals_brute_force(void **state)
{
    static const char *types[] = {"jiju.v1.AwardGranted", "jiju.v1.ReportOverdue",
                                  "jiju.v1.TargetProgress", "jiju.v1.ReportAccepted"};
    static char *counties[] = {"a", "b", "c", "d"}, *clusters[] = {"C1", "C2", "C3", "C4", "C5"};
    enum { NSUB = 300, NEV = 3000 };
    Jiju__V1__Subscription subs[NSUB], *ptrs[NSUB];
    Jiju__V1__Filter filters[NSUB][3], *fptrs[NSUB][3];
    Jiju__V1__Category cats[NSUB][3][2];
    char *tv[NSUB][3][2], *cv[NSUB][3][2], *lv[NSUB][3][2];
    size_t out[NSUB];
    notify_match_t *m;

    (void)state;
    for (size_t i = 0; i < NSUB; i++) {
        jiju__v1__subscription__init(&subs[i]);
        subs[i].n_filters = rnd() % 4; /* 0..3: zero means every event */
        subs[i].filters = fptrs[i];
        for (size_t j = 0; j < subs[i].n_filters; j++) {
            Jiju__V1__Filter *f = &filters[i][j];
            jiju__v1__filter__init(f);
            fptrs[i][j] = f;
            f->n_types = rnd() % 3;
            f->n_categories = rnd() % 3;
            f->n_counties = rnd() % 2;
            f->n_cluster_ids = rnd() % 4 == 0 ? 1 + rnd() % 2 : 0;
            f->types = tv[i][j];
            f->categories = cats[i][j];
            f->counties = cv[i][j];
            f->cluster_ids = lv[i][j];
            for (size_t k = 0; k < 2; k++) {
                tv[i][j][k] = (char *)types[rnd() % 4];
                cats[i][j][k] = (Jiju__V1__Category)(1 + rnd() % 9);
                cv[i][j][k] = counties[rnd() % 4];
                lv[i][j][k] = clusters[rnd() % 5];
            }
        }
        ptrs[i] = (rnd() % 20 == 0) ? NULL : &subs[i]; /* some holes: removed */
    }
    m = notify_match_new((const Jiju__V1__Subscription *const *)ptrs, NSUB);
    assert_non_null(m);
    for (int e = 0; e < NEV; e++) {
        Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
        size_t k, expect = 0;
        env.type = (char *)types[rnd() % 4];
        env.category = (Jiju__V1__Category)(rnd() % 10);
        env.county = counties[rnd() % 4];
        env.subject = clusters[rnd() % 5];
        k = notify_match_event(m, &env, out);
        for (size_t i = 0; i < NSUB; i++) {
            int want = ptrs[i] && notify_subscription_matches(ptrs[i], &env);
            if (want) {
                assert_true(expect < k);
                assert_int_equal(out[expect], i); /* ascending, each once */
                expect++;
            }
        }
        assert_int_equal(k, expect);
    }
    notify_match_destroy(&m);
}

static void test_validate(void **state)
{
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT;
    char err[256];

    (void)state;
    assert_true(notify_id_valid("county-船营区"));
    assert_false(notify_id_valid("a/b"));
    assert_false(notify_id_valid("a b"));
    assert_false(notify_id_valid(""));
    s.id = "bad id";
    assert_int_equal(notify_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "E_SUB_ID"));
}

/* A webhook secret is raw bytes, or whsec_ + base64 as Standard Webhooks
 * issues it; a whsec_ secret that does not decode is refused when added,
 * not discovered at the first POST. */
static void test_validate_secret(void **state)
{
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT;
    Jiju__V1__Webhook w = JIJU__V1__WEBHOOK__INIT;
    char err[256];

    (void)state;
    s.id = "hook";
    s.webhook = &w;
    w.url = "http://127.0.0.1:1/x";
    w.secret = "raw-bytes-are-fine";
    assert_int_equal(notify_validate(&s, err, sizeof err), 0);
    w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert_int_equal(notify_validate(&s, err, sizeof err), 0);
    w.secret = "whsec_not base64!";
    assert_int_equal(notify_validate(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "E_SUB_SECRET"));
    assert_non_null(strstr(err, "base64"));
    w.secret = "whsec_";
    assert_int_equal(notify_validate(&s, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_categories, routing_setup, routing_teardown),
        cmocka_unit_test_setup_teardown(test_types, routing_setup, routing_teardown),
        cmocka_unit_test_setup_teardown(test_counties, routing_setup, routing_teardown),
        cmocka_unit_test(test_filter_semantics),
        cmocka_unit_test(test_index_equals_brute_force),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_validate_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
