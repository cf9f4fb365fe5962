/* test_assess_filter.c - the filters of report ids and reports
 * (assess_filter.c): after a restart they are rebuilt from the store, so a
 * report id applied before is still the same report (or a conflict) and a
 * previous revision is still found, its figures taken out of the sums; a
 * report applied in a txn that was never committed (kill -9 before the
 * commit) leaves only a false "perhaps" and is applied when it comes again;
 * a bare id of a store written before ids were scoped is still found. Real
 * RocksDB, no sockets. */
#include "test_assess_support.h"

#include "assess_state.h"
#include "report_digest.h"

#define BODY(x) JIJU__V1__ENVELOPE__BODY_##x

static bool id_may(fixture *fx, const char *cluster, const char *id)
{
    char key[128];
    size_t n = report_id_key(cluster, id, key, sizeof key);

    assert_true(n > 0);
    return assess_may_hold(fx->a, ACF_REPORT_IDS, key, n);
}

static bool report_may(fixture *fx, const char *period_text, const char *cluster)
{
    char key[ASSESS_KEY_CAP];
    size_t n = assess_pkey(key, period_text, cluster);

    assert_true(n > 0);
    return assess_may_hold(fx->a, ACF_REPORTS, key, n);
}

static void fx_restart(fixture *fx)
{
    fx_close_store(fx);
    fx_open_store(fx);
}

/* The report applied in txn, which the caller commits or drops. */
static int report_in(fixture *fx, store_txn_t *txn, const char *rid, const char *cluster,
                     uint32_t revision, figures f)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report r;
    uint8_t buf[1024];
    size_t len;

    fx_fill_report(&r, rid, cluster, "2023", revision, f);
    ra.report = &r;
    ra.ingest_instance = "ingest-1";
    ra.ingest_seq = fx->in_seq + 1;
    env.body_case = BODY(REPORT_ACCEPTED);
    env.report_accepted = &ra;
    env.time_ms = 1700000000000LL;
    len = jiju__v1__envelope__get_packed_size(&env);
    assert_true(len <= sizeof buf);
    jiju__v1__envelope__pack(&env, buf);
    return assess_apply(fx->a, "ingest-1", ++fx->in_seq, buf, len, txn);
}

/* The period's revenue as the next tick's TargetProgress says it (an hour
 * after the previous one, past the coalescing interval). */
static int64_t revenue_after_tick(fixture *fx)
{
    static int64_t hours;
    Jiju__V1__Envelope *tp;

    fx_events(fx);
    assert_int_equal(fx_tick(fx, 1704067200000LL + ++hours * 3600000LL), JIJU_OK);
    fx_events(fx);
    assert_non_null(tp = fx_find(fx, BODY(TARGET_PROGRESS), 0));
    return tp->target_progress->revenue_fen;
}

static void test_filters_rebuilt_from_store(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 1, 1);
    assert_false(id_may(fx, "A", "R1")); /* nothing put yet: no read needed */
    assert_false(report_may(fx, "2023", "A"));
    fx_report(fx, "R1", "A", "2023", 1, GOOD);
    fx_report(fx, "R2", "B", "2023", 1, POOR);
    assert_int_equal(revenue_after_tick(fx), GOOD.revenue_fen + POOR.revenue_fen);
    fx_restart(fx); /* the filters start from the store's keys */
    assert_true(id_may(fx, "A", "R1"));
    assert_true(id_may(fx, "B", "R2"));
    assert_true(report_may(fx, "2023", "A"));
    assert_true(report_may(fx, "2023", "B"));
    assert_false(id_may(fx, "A", "NEVER-SENT"));
    /* the same report again (a replay after kill -9): nothing happens */
    fx_report(fx, "R1", "A", "2023", 1, GOOD);
    assert_int_equal(fx_events(fx), 0);
    /* the same id with other content: the conflict, said once */
    fx_report(fx, "R1", "A", "2023", 1, STRONG);
    fx_events(fx);
    assert_non_null(e = fx_find(fx, BODY(REPORT_REJECTED), 0));
    assert_string_equal(e->report_rejected->problems[0]->code, "E_CONFLICT");
    /* a new id of an older revision: the stored revision 1 is found */
    fx_report(fx, "R3", "A", "2023", 1, STRONG);
    fx_events(fx);
    assert_non_null(e = fx_find(fx, BODY(REPORT_ACCEPTED), 0));
    assert_true(e->report_accepted->superseded);
    /* a higher revision replaces it: A's GOOD figures leave the sums */
    fx_report(fx, "R4", "A", "2023", 2, STRONG);
    fx_events(fx);
    assert_non_null(e = fx_find(fx, BODY(REPORT_ACCEPTED), 0));
    assert_false(e->report_accepted->superseded);
    assert_int_equal(revenue_after_tick(fx), STRONG.revenue_fen + POOR.revenue_fen);
    fx_free(&fx);
}

static void test_lost_txn_leaves_a_false_perhaps_only(void **state)
{
    fixture *fx = fx_new();
    store_txn_t *t, *other;
    Jiju__V1__Report *r;
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_events(fx);
    /* applied in t, not committed: t sees its report, another txn does not
     * (the filter says "perhaps" to both, the store answers) */
    t = store_txn_new(fx->store);
    other = store_txn_new(fx->store);
    assert_int_equal(report_in(fx, t, "R1", "A", 2, STRONG), JIJU_OK);
    assert_true(id_may(fx, "A", "R1"));
    assert_true(report_may(fx, "2023", "A"));
    assert_null(assess_report_get(fx->a, other, "2023", "A"));
    assert_non_null(r = assess_report_get(fx->a, t, "2023", "A"));
    jiju__v1__report__free_unpacked(r, NULL);
    store_txn_destroy(&other);
    /* the process dies before t's commit (kill -9): t is lost */
    store_txn_destroy(&t);
    fx_restart(fx);
    assert_false(id_may(fx, "A", "R1")); /* rebuilt from what was committed */
    assert_false(report_may(fx, "2023", "A"));
    /* ingest resends it (its producer log still holds it): applied */
    fx_report(fx, "R1", "A", "2023", 2, STRONG);
    fx_events(fx);
    assert_non_null(e = fx_find(fx, BODY(REPORT_ACCEPTED), 0));
    assert_false(e->report_accepted->superseded);
    assert_int_equal(fx_count(fx, BODY(REPORT_ACCEPTED)), 1);
    assert_int_equal(revenue_after_tick(fx), STRONG.revenue_fen);
    /* and once only, before and after a restart */
    fx_report(fx, "R1", "A", "2023", 2, STRONG);
    assert_int_equal(fx_events(fx), 0);
    fx_restart(fx);
    fx_report(fx, "R1", "A", "2023", 2, STRONG);
    assert_int_equal(fx_events(fx), 0);
    fx_free(&fx);
}

static void test_bare_id_of_an_old_store_is_found(void **state)
{
    fixture *fx = fx_new();
    int cf = store_cf(fx->store, "assess_report_ids");
    store_txn_t *t;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_events(fx);
    /* what a store written before ids were scoped holds: the bare id, no marker */
    t = store_txn_new(fx->store);
    assert_int_equal(store_txn_del(t, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN), JIJU_OK);
    assert_int_equal(store_txn_put(t, cf, "OLD1", 4, "", 0), JIJU_OK);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
    fx_restart(fx);
    assert_true(assess_may_hold(fx->a, ACF_REPORT_IDS, "OLD1", 4));
    fx_report(fx, "OLD1", "A", "2023", 1, GOOD); /* the same report (no digest kept) */
    assert_int_equal(fx_events(fx), 0);
    fx_report(fx, "NEW1", "A", "2023", 1, GOOD);
    fx_events(fx);
    assert_non_null(fx_find(fx, BODY(REPORT_ACCEPTED), 0));
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters_rebuilt_from_store),
        cmocka_unit_test(test_lost_txn_leaves_a_false_perhaps_only),
        cmocka_unit_test(test_bare_id_of_an_old_store_is_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
