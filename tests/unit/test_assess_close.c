/* test_assess_close.c - assessment's close of a period and what time
 * decides: awards exactly once (close twice, restart and close again),
 * overdue reports at the deadline of an injected clock, warnings and
 * elimination over three periods, nomination runs, rank changes, and a
 * close of 10,000 clusters. Real RocksDB, no sockets, no sleeping. */
#include <time.h>

#include "test_assess_support.h"

#define BODY(x) JIJU__V1__ENVELOPE__BODY_##x
#define Y2022_MS 1640995200000LL /* 2022-01-01T00:00:00Z */
#define Y2023_MS 1672531200000LL
#define Y2024_MS 1704067200000LL
#define DAYS_15 (15 * 86400000LL)
/* Local midnight in Asia/Shanghai (the default time_zone) is 16:00Z the day
 * before: deadlines fall 8 h before the UTC midnights above. */
#define CST_8H (8 * 3600000LL)

static void test_close_twice_and_after_restart_awards_once(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_register(fx, "C", 3, 1);
    fx_report(fx, "RA", "A", "2023", 1, GOOD);
    fx_report(fx, "RB", "B", "2023", 1, STRONG);
    fx_events(fx);
    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_PUBLISHED)), 1);
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 2); /* C did not report */
    e = fx_find(fx, BODY(AWARD_GRANTED), 0);
    assert_string_equal(e->award_granted->award_id, "TOP_RANKED/B/2023");
    assert_int_equal(e->award_granted->amount_fen, 500000 * FEN_PER_YUAN);
    assert_int_equal(e->award_granted->rank, 1);
    assert_string_equal(e->subject, "B");
    assert_string_equal(e->period, "2023");
    e = fx_find(fx, BODY(AWARD_GRANTED), 1);
    assert_string_equal(e->award_granted->award_id, "TOP_RANKED/A/2023");
    assert_int_equal(e->award_granted->amount_fen, 300000 * FEN_PER_YUAN);
    /* the last two events of a close */
    assert_int_equal(fx->ev[fx->n_ev - 1]->body_case, BODY(PERIOD_CLOSED));
    assert_int_equal(fx->ev[fx->n_ev - 2]->body_case, BODY(TARGET_PROGRESS));

    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0); /* idempotent */
    assert_int_equal(fx_events(fx), 0);
    fx_close_store(fx);
    fx_open_store(fx);
    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0);
    assert_int_equal(fx_events(fx), 0);
    /* reopening a closed period does nothing either */
    assert_int_equal(fx_period_cmd(fx, "2023", 0), 0);
    assert_int_equal(fx_events(fx), 0);
    fx_free(&fx);
}

static void test_open_period_deadline(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    assert_int_equal(fx_period_cmd(fx, "2023Q2", 0), 0);
    assert_int_equal(fx_period_cmd(fx, "2023Q2", 0), 0);
    fx_events(fx);
    assert_int_equal(fx->n_ev, 1);
    e = fx_find(fx, BODY(PERIOD_OPENED), 0);
    /* 2023-07-16T00:00:00+08:00: period end + 15 days at Jilin's midnight,
     * not 00:00Z (08:00 in Jilin) */
    assert_int_equal(e->period_opened->deadline_ms, 1688169600000LL + DAYS_15 - CST_8H);
    assert_string_equal(e->period, "2023Q2");
    assert_int_not_equal(fx_period_cmd(fx, "2023Q9", 0), 0);
    assert_int_equal(fx_events(fx), 0);
    fx_free(&fx);
}

static void expect_warning(fixture *fx, size_t k, const char *id, uint32_t consecutive,
                           const char *first_reason)
{
    Jiju__V1__Envelope *e = fx_find(fx, BODY(ELIMINATION_WARNING), k);

    assert_non_null(e);
    assert_string_equal(e->elimination_warning->cluster_id, id);
    assert_int_equal(e->elimination_warning->consecutive, consecutive);
    assert_string_equal(e->elimination_warning->reasons[0], first_reason);
}

/* A reports well throughout; B is poor, then good, then poor again (its run
 * restarts); C never reports: overdue, warned, then eliminated. */
static void test_overdue_and_elimination_over_three_periods(void **state)
{
    fixture *fx = fx_new();
    const int64_t deadline_2021 = Y2022_MS + DAYS_15 - CST_8H; /* 2022-01-16T00:00+08:00 */
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_register(fx, "C", 3, 1);
    fx_period_cmd(fx, "2021", 0);
    fx_report(fx, "A21", "A", "2021", 1, GOOD);
    fx_report(fx, "B21", "B", "2021", 1, POOR);
    fx_events(fx);
    assert_int_equal(fx_tick(fx, deadline_2021 - 1), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_OVERDUE)), 0);
    assert_int_equal(fx_tick(fx, deadline_2021), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_OVERDUE)), 1);
    e = fx_find(fx, BODY(REPORT_OVERDUE), 0);
    assert_string_equal(e->report_overdue->cluster_id, "C");
    assert_int_equal(e->report_overdue->deadline_ms, deadline_2021);
    assert_string_equal(e->subject, "C");
    assert_string_equal(e->cause_producer, "");                   /* caused by time */
    assert_int_equal(fx_tick(fx, deadline_2021 + 1000), JIJU_OK); /* once */
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_OVERDUE)), 0);

    fx_period_cmd(fx, "2021", 1);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 2);
    expect_warning(fx, 0, "B", 1, "enterprises 5 < minimum 10");
    assert_int_equal(fx_find(fx, BODY(ELIMINATION_WARNING), 0)->elimination_warning->n_reasons, 3);
    expect_warning(fx, 1, "C", 1, "no report");
    assert_int_equal(fx_count(fx, BODY(CLUSTER_ELIMINATED)), 0);

    fx_report(fx, "A22", "A", "2022", 1, GOOD);
    fx_report(fx, "B22", "B", "2022", 1, GOOD);
    assert_int_equal(fx_tick(fx, Y2023_MS + DAYS_15), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_OVERDUE)), 1);
    fx_period_cmd(fx, "2022", 1);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 1);
    expect_warning(fx, 0, "C", 2, "no report");
    assert_int_equal(fx_count(fx, BODY(CLUSTER_ELIMINATED)), 1);
    e = fx_find(fx, BODY(CLUSTER_ELIMINATED), 0);
    assert_string_equal(e->cluster_eliminated->cluster_id, "C");
    assert_string_equal(e->cluster_eliminated->period, "2022");
    assert_string_equal(e->cluster_eliminated->reasons[0], "no report");
    e = fx_find(fx, BODY(TARGET_PROGRESS), 0);
    assert_int_equal(e->target_progress->active_clusters, 2);

    fx_report(fx, "A23", "A", "2023", 1, GOOD);
    fx_report(fx, "B23", "B", "2023", 1, POOR);
    fx_report(fx, "C23", "C", "2023", 1, GOOD);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_REJECTED)), 1);
    assert_int_equal(fx_tick(fx, Y2024_MS + DAYS_15), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(REPORT_OVERDUE)), 0); /* C left the active set */
    fx_period_cmd(fx, "2023", 1);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 1);
    expect_warning(fx, 0, "B", 1, "enterprises 5 < minimum 10"); /* the run restarted */
    assert_int_equal(fx_count(fx, BODY(CLUSTER_ELIMINATED)), 0);
    e = fx_find(fx, BODY(RANKING_PUBLISHED), 0);
    assert_int_equal(e->ranking_published->n_entries, 2);
    assert_true(e->ranking_published->entries[0]->has_previous);
    fx_free(&fx);
}

static void test_nomination_once_per_run(void **state)
{
    fixture *fx = fx_new();
    static const char *years[] = {"2021", "2022", "2023"};
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "CITY", 1, JIJU__V1__LEVEL__CITY);
    fx_register(fx, "PROV", 2, JIJU__V1__LEVEL__PROVINCIAL);
    for (int y = 0; y < 3; y++) {
        char rid[32];
        snprintf(rid, sizeof rid, "C%s", years[y]);
        fx_report(fx, rid, "CITY", years[y], 1, STRONG);
        snprintf(rid, sizeof rid, "P%s", years[y]);
        fx_report(fx, rid, "PROV", years[y], 1, STRONG);
        fx_events(fx);
        fx_period_cmd(fx, years[y], 1);
        fx_events(fx);
        /* default: two consecutive qualifying years; provincial ones are not nominated */
        assert_int_equal(fx_count(fx, BODY(NOMINATION_RECOMMENDED)), y == 1);
        if (y == 1) {
            e = fx_find(fx, BODY(NOMINATION_RECOMMENDED), 0);
            assert_string_equal(e->nomination_recommended->cluster_id, "CITY");
            assert_string_equal(e->nomination_recommended->period, "2022");
            assert_int_equal(e->nomination_recommended->consecutive, 2);
        }
    }
    /* quarters keep their own runs */
    fx_report(fx, "Q1", "CITY", "2024Q1", 1, STRONG);
    fx_period_cmd(fx, "2024Q1", 1);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(NOMINATION_RECOMMENDED)), 0);
    fx_free(&fx);
}

/* After a rebuild from the archive, the ReportOverdue events copied back
 * keep the deadline from being handled a second time. */
static void test_restored_overdue_is_not_raised_again(void **state)
{
    fixture *fx[2] = {fx_new(), NULL};
    void *data = NULL;
    size_t len = 0;
    store_txn_t *txn;

    (void)state;
    fx_register(fx[0], "A", 1, 1);
    fx_period_cmd(fx[0], "2023", 0);
    fx_tick(fx[0], Y2024_MS + DAYS_15);
    fx_events(fx[0]);
    assert_int_equal(fx_count(fx[0], BODY(REPORT_OVERDUE)), 1);
    assert_int_equal(stream_log_read(fx[0]->events, stream_log_last(fx[0]->events), &data, &len),
                     JIJU_OK);
    fx[1] = fx_new(); /* the rebuilt store: the same inputs, then the old events */
    fx_register(fx[1], "A", 1, 1);
    fx_period_cmd(fx[1], "2023", 0);
    txn = store_txn_new(fx[1]->store);
    assert_int_equal(assess_restore_event(fx[1]->a, txn, data, len), JIJU_OK);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    free(data);
    fx_events(fx[1]);
    fx_tick(fx[1], Y2024_MS + DAYS_15 + 1000);
    fx_events(fx[1]);
    assert_int_equal(fx_count(fx[1], BODY(REPORT_OVERDUE)), 0);
    fx_free(&fx[1]);
    fx_free(&fx[0]);
}

/* A period closed with nobody reporting: every active cluster is warned. */
static void test_close_unopened_period(void **state)
{
    fixture *fx = fx_new();

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_events(fx);
    assert_int_equal(fx_period_cmd(fx, "2020", 1), 0);
    fx_events(fx);
    assert_int_equal(fx->ev[0]->body_case, BODY(PERIOD_OPENED));
    assert_int_equal(fx->ev[1]->body_case, BODY(RANKING_PUBLISHED));
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 0);
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 1);
    fx_free(&fx);
}

/* Apply records in batches of one txn each, as the stream does. */
static void test_close_10000_clusters(void **state)
{
    enum { N = 10000 };
    fixture *fx = fx_new();
    struct timespec t0, t1;

    (void)state;
    fx_populate(fx, 0, N, "2023");
    fx_events(fx);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fx_events(fx);
    /* one event of 10,000 entries was 2.5 MB, and 100,000 clusters made one
     * of 25 MB, over limits.max_frame_bytes (4 MiB): no consumer could take
     * it. Pages of ranking.page_entries (1,000), in order, well under. */
    assert_int_equal(fx_count(fx, BODY(RANKING_PUBLISHED)), N / 1000);
    for (size_t k = 0, rank = 1; k < N / 1000; k++) {
        Jiju__V1__Envelope *e = fx_find(fx, BODY(RANKING_PUBLISHED), k);
        const Jiju__V1__RankingPublished *rp = e->ranking_published;

        assert_true(jiju__v1__envelope__get_packed_size(e) < 1024 * 1024);
        assert_int_equal(rp->page, k + 1);
        assert_int_equal(rp->pages, N / 1000);
        assert_int_equal(rp->n_entries, 1000);
        for (size_t i = 0; i < rp->n_entries; i++)
            assert_int_equal(rp->entries[i]->rank, rank++);
    }
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 3);
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 0);
    print_message("close of %d clusters: %.0f ms\n", N,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    fx_free(&fx);
}

/* A report holding only enterprises, revenue and employment (3 of 6). */
static int report_three(fixture *fx, const char *rid, const char *cluster, const char *ptext)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report r;

    fx_fill_report(&r, rid, cluster, ptext, 1, STRONG);
    r.tax_present_case = 0;
    r.investment_present_case = 0;
    r.output_value_present_case = 0;
    ra.report = &r;
    ra.ingest_instance = "ingest-1";
    ra.ingest_seq = fx->in_seq + 1;
    env.body_case = BODY(REPORT_ACCEPTED);
    env.report_accepted = &ra;
    return fx_apply(fx, &env);
}

static const Jiju__V1__RankEntry *entry_of(const Jiju__V1__RankingPublished *rp, const char *id)
{
    for (size_t i = 0; i < rp->n_entries; i++)
        if (strcmp(rp->entries[i]->cluster_id, id) == 0)
            return rp->entries[i];
    return NULL;
}

/* The data-availability rule (issue 11.4): no report is 未报送, 3 of 6
 * indicators is 数据不足 under the default 65 %; neither is ranked,
 * rewarded or counted in others' ranks, and both are warned. */
static void test_unreported_not_ranked(void **state)
{
    fixture *fx = fx_new();
    const Jiju__V1__RankingPublished *rp;
    const Jiju__V1__RankEntry *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 1, 1);
    fx_register(fx, "C", 1, 1);
    fx_register(fx, "D", 1, 1);
    fx_report(fx, "A23", "A", "2023", 1, GOOD);
    fx_report(fx, "B23", "B", "2023", 1, STRONG);
    assert_int_equal(report_three(fx, "C23", "C", "2023"), 0); /* STRONG, but 3 of 6 */
    fx_period_cmd(fx, "2023", 1);
    fx_events(fx);
    rp = fx_find(fx, BODY(RANKING_PUBLISHED), 0)->ranking_published;
    assert_int_equal(rp->n_entries, 4); /* every active cluster appears */
    assert_string_equal(rp->entries[0]->cluster_id, "B");
    assert_int_equal(rp->entries[0]->rank, 1);
    assert_int_equal(rp->entries[0]->indicators_reported, 6);
    assert_string_equal(rp->entries[1]->cluster_id, "A");
    assert_int_equal(rp->entries[1]->rank, 2);
    assert_int_equal(rp->entries[1]->category_rank, 2);
    assert_int_equal(rp->entries[1]->status, JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED);
    e = rp->entries[2];
    assert_string_equal(e->cluster_id, "C");
    assert_int_equal(e->status, JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA);
    assert_int_equal(e->rank, 0);
    assert_int_equal(e->category_rank, 0);
    assert_int_equal(e->score_micros, 0);
    assert_int_equal(e->n_contributions, 0);
    assert_int_equal(e->indicators_reported, 3);
    assert_non_null(strstr(e->status_reason, "数据不足"));
    assert_non_null(strstr(e->status_reason, "3/6"));
    e = rp->entries[3];
    assert_string_equal(e->cluster_id, "D");
    assert_int_equal(e->status, JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED);
    assert_non_null(strstr(e->status_reason, "未报送"));
    /* two ranked, two awards: the third amount is not given to C or D */
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 2);
    /* both warned, with the reason (seed 四.十 淘汰不合格; 五.三 reporting) */
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 2);
    assert_string_equal(fx_find(fx, BODY(ELIMINATION_WARNING), 0)->elimination_warning->reasons[0],
                        "insufficient data: 3 of 6 indicators reported (minimum 4)");
    assert_string_equal(fx_find(fx, BODY(ELIMINATION_WARNING), 1)->elimination_warning->reasons[0],
                        "no report");

    /* 2024: D reports, B does not; D has no rank to change from, A does */
    fx_report(fx, "A24", "A", "2024", 1, GOOD);
    fx_report(fx, "C24", "C", "2024", 1, GOOD);
    fx_report(fx, "D24", "D", "2024", 1, GOOD);
    fx_period_cmd(fx, "2024", 1);
    fx_events(fx);
    rp = fx_find(fx, BODY(RANKING_PUBLISHED), 0)->ranking_published;
    assert_int_equal(rp->n_entries, 4);
    e = entry_of(rp, "A");
    assert_int_equal(e->rank, 1);
    assert_true(e->has_previous);
    assert_int_equal(e->rank_change, 1); /* 2 -> 1 among the ranked */
    e = entry_of(rp, "C");
    assert_int_not_equal(e->rank, 0);
    assert_false(e->has_previous); /* not ranked in 2023 */
    assert_false(entry_of(rp, "D")->has_previous);
    e = entry_of(rp, "B");
    assert_int_equal(e->status, JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED);
    assert_int_equal(e->rank_change, 0);
    assert_string_equal(rp->entries[3]->cluster_id, "B");
    fx_free(&fx);
}

/* Rankings in pages of ranking.page_entries, and provisional ones further
 * apart as the period's reports grow (ranking.coalesce_reports). */
static void test_ranking_pages_and_interval(void **state)
{
    fixture *fx = fx_new();
    const int64_t t0 = 1704067200000LL, iv = fx->cfg.ranking_coalesce_ms;
    const char *const ids[] = {"P1", "P2", "P3", "P4", "P5", "P6", "P7"};
    char rid[16];

    (void)state;
    fx->cfg.ranking_page_entries = 3;
    fx->cfg.ranking_coalesce_reports = 4; /* 7 reports: twice the interval */
    for (int i = 0; i < 7; i++)
        fx_register(fx, ids[i], 1 + i % 9, 1);
    assert_int_equal(fx_period_cmd(fx, "2023", 0), 0);
    for (int i = 0; i < 7; i++) {
        figures f = {20 + i, YI_YUAN_FEN * (2 + i), 500 + 10 * i};

        snprintf(rid, sizeof rid, "R%d", i);
        assert_int_equal(fx_report(fx, rid, ids[i], "2023", 1, f), 0);
    }
    fx_events(fx);
    assert_int_equal(fx_tick(fx, t0), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_UPDATED)), 3);
    for (size_t k = 0, rank = 1; k < 3; k++) {
        Jiju__V1__Envelope *e = fx_find(fx, BODY(RANKING_UPDATED), k);

        assert_int_equal(e->ranking_updated->page, k + 1);
        assert_int_equal(e->ranking_updated->pages, 3);
        assert_int_equal(e->ranking_updated->n_entries, k < 2 ? 3 : 1);
        assert_int_equal(e->time_ms, t0);
        for (size_t i = 0; i < e->ranking_updated->n_entries; i++)
            assert_int_equal(e->ranking_updated->entries[i]->rank, rank++);
    }
    /* a revision makes the period dirty; 7 reports / 4 -> 2 intervals */
    assert_int_equal(fx_report(fx, "R0b", "P1", "2023", 2, (figures){90, YI_YUAN_FEN * 9, 900}), 0);
    fx_events(fx);
    assert_int_equal(fx_tick(fx, t0 + iv), JIJU_OK);
    assert_int_equal(fx_events(fx), 0);
    assert_int_equal(fx_tick(fx, t0 + 2 * iv - 1), JIJU_OK);
    assert_int_equal(fx_events(fx), 0);
    assert_int_equal(fx_tick(fx, t0 + 2 * iv), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_UPDATED)), 3);
    assert_string_equal(
        fx_find(fx, BODY(RANKING_UPDATED), 0)->ranking_updated->entries[0]->cluster_id, "P1");
    /* the close: the final ranking in the same pages */
    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_PUBLISHED)), 3);
    for (size_t k = 0; k < 3; k++) {
        const Jiju__V1__RankingPublished *rp =
            fx_find(fx, BODY(RANKING_PUBLISHED), k)->ranking_published;

        assert_int_equal(rp->page, k + 1);
        assert_int_equal(rp->pages, 3);
        assert_int_equal(rp->n_entries, k < 2 ? 3 : 1);
    }
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_twice_and_after_restart_awards_once),
        cmocka_unit_test(test_open_period_deadline),
        cmocka_unit_test(test_overdue_and_elimination_over_three_periods),
        cmocka_unit_test(test_nomination_once_per_run),
        cmocka_unit_test(test_restored_overdue_is_not_raised_again),
        cmocka_unit_test(test_close_unopened_period),
        cmocka_unit_test(test_close_10000_clusters),
        cmocka_unit_test(test_unreported_not_ranked),
        cmocka_unit_test(test_ranking_pages_and_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
