/* test_assess.c - assessment's state machine, reports and registry: the
 * highest revision wins in any order, duplicates change nothing, target
 * progress figures, the registry's events and NEW_PROVINCIAL once ever,
 * coalesced provisional rankings, queries, a batch of records in one txn,
 * and byte-identical events from identical inputs. Real RocksDB, no sockets. */
#include "test_assess_support.h"

#include "assess_state.h" /* assess_cluster_get */

#define BODY(x) JIJU__V1__ENVELOPE__BODY_##x

static void test_highest_revision_wins_in_any_order(void **state)
{
    static const int orders[2][2] = {{1, 2}, {2, 1}};

    (void)state;
    for (int o = 0; o < 2; o++) {
        fixture *fx = fx_new();
        assert_int_equal(fx_register(fx, "A", 1, 1), 0);
        for (int k = 0; k < 2; k++) {
            int rev = orders[o][k];
            char rid[16];
            figures f = {10 * rev, rev * YI_YUAN_FEN, 100 * rev};
            snprintf(rid, sizeof rid, "R%d", rev);
            assert_int_equal(fx_report(fx, rid, "A", "2023", (uint32_t)rev, f), 0);
        }
        fx_events(fx);
        assert_int_equal(fx_count(fx, BODY(REPORT_ACCEPTED)), 2);
        Jiju__V1__Envelope *second = fx_find(fx, BODY(REPORT_ACCEPTED), 1);
        /* rev 1 after rev 2 is superseded and changes nothing */
        assert_int_equal(second->report_accepted->superseded, o == 1);
        assert_string_equal(second->subject, "A");
        assert_string_equal(second->period, "2023");
        assert_int_equal(second->category, 1);
        assert_string_equal(second->county, "船营区");
        assert_string_equal(second->report_accepted->ingest_instance, "ingest-1");
        assert_int_equal(second->report_accepted->ingest_seq, 3);
        /* target progress is not said per report: once, at the next tick,
         * with the latest revision only and no cluster subject */
        assert_int_equal(fx_count(fx, BODY(TARGET_PROGRESS)), 0);
        assert_int_equal(fx_count(fx, BODY(PERIOD_OPENED)), 1); /* opened by the first report */
        assert_int_equal(fx_tick(fx, 1704067200000LL), JIJU_OK);
        fx_events(fx);
        assert_int_equal(fx_count(fx, BODY(TARGET_PROGRESS)), 1);
        Jiju__V1__Envelope *tp = fx_find(fx, BODY(TARGET_PROGRESS), 0);
        assert_string_equal(tp->subject, "");
        assert_string_equal(tp->county, "");
        assert_int_equal(tp->category, 0);
        assert_string_equal(tp->period, "2023");
        assert_int_equal(tp->target_progress->revenue_fen, 2 * YI_YUAN_FEN);
        assert_int_equal(tp->target_progress->enterprises, 20);
        assert_int_equal(tp->target_progress->employment, 200);
        fx_free(&fx);
    }
}

static void test_duplicate_report_id_changes_nothing(void **state)
{
    fixture *fx = fx_new();

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_report(fx, "R1", "A", "2023", 1, GOOD);
    fx_events(fx);
    /* a second replica accepted the same report before it heard of the first */
    assert_int_equal(fx_report(fx, "R1", "A", "2023", 1, GOOD), 0);
    assert_int_equal(fx_events(fx), 0);
    fx_free(&fx);
}

static void test_same_report_id_other_content_is_a_conflict(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_report(fx, "R1", "A", "2023", 1, GOOD);
    fx_events(fx);
    /* two replicas each accepted R1, with different figures: the first one
     * applied stands, the other is rejected as ingest would have */
    assert_int_equal(fx_report(fx, "R1", "A", "2023", 1, STRONG), 0);
    assert_int_equal(fx_events(fx), 1); /* no ReportAccepted, no TargetProgress */
    e = fx_find(fx, BODY(REPORT_REJECTED), 0);
    assert_non_null(e);
    assert_string_equal(e->subject, "A");
    assert_int_equal(e->report_rejected->n_problems, 1);
    assert_string_equal(e->report_rejected->problems[0]->code, "E_CONFLICT");
    assert_string_equal(e->report_rejected->problems[0]->field, "report.report_id");
    assert_string_equal(e->report_rejected->problems[0]->value, "R1");
    /* the losing content again (logged by a second replica after a resend)
     * is one conflict, said once; the first content again is a duplicate */
    assert_int_equal(fx_report(fx, "R1", "A", "2023", 1, STRONG), 0);
    assert_int_equal(fx_events(fx), 0);
    assert_int_equal(fx_report(fx, "R1", "A", "2023", 1, GOOD), 0);
    assert_int_equal(fx_events(fx), 0);
    /* a third content is a conflict of its own */
    assert_int_equal(fx_report(fx, "R1", "A", "2023", 1, POOR), 0);
    assert_int_equal(fx_events(fx), 1);
    fx_free(&fx);
}

static void test_reports_not_applicable_are_rejected(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_eliminate(fx, "B");
    fx_period_cmd(fx, "2022", 1);
    fx_events(fx);
    fx_report(fx, "R1", "NOPE", "2023", 1, GOOD);
    fx_report(fx, "R2", "B", "2023", 1, GOOD);
    fx_report(fx, "R3", "A", "2022", 1, GOOD);
    assert_int_equal(fx_events(fx), 3);
    static const char *codes[] = {"E_UNKNOWN_CLUSTER", "E_CLUSTER_ELIMINATED", "E_PERIOD_CLOSED"};
    for (size_t i = 0; i < 3; i++) {
        e = fx_find(fx, BODY(REPORT_REJECTED), i);
        assert_non_null(e);
        assert_string_equal(e->report_rejected->problems[0]->code, codes[i]);
    }
    /* a malformed record is skipped with nothing written */
    assert_int_not_equal(fx_report(fx, "R4", "A", "2023Q5", 1, GOOD), 0);
    assert_int_equal(fx_events(fx), 0);
    fx_free(&fx);
}

static void test_target_progress_numbers(void **state)
{
    fixture *fx = fx_new();
    const Jiju__V1__TargetProgress *tp;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_report(fx, "RA", "A", "2023", 1, (figures){300, 30 * YI_YUAN_FEN, 12000});
    fx_report(fx, "RB", "B", "2023", 1, (figures){150, 20 * YI_YUAN_FEN, 4000});
    fx_tick(fx, 1704067200000LL);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(TARGET_PROGRESS)), 1); /* coalesced: one for both */
    tp = fx_find(fx, BODY(TARGET_PROGRESS), 0)->target_progress;
    /* seed 一.二, 2023: 13 clusters, 55 亿元, 550 enterprises, 20,000 jobs */
    assert_int_equal(tp->year, 2023);
    assert_string_equal(tp->period, "2023");
    assert_int_equal(tp->active_clusters, 2);
    assert_int_equal(tp->target_clusters, 13);
    assert_int_equal(tp->clusters_pct_micros, 153846); /* 2/13 */
    assert_int_equal(tp->revenue_fen, 50 * YI_YUAN_FEN);
    assert_int_equal(tp->target_revenue_fen, 55 * YI_YUAN_FEN);
    assert_int_equal(tp->revenue_pct_micros, 909091); /* 50/55 */
    assert_int_equal(tp->enterprises, 450);
    assert_int_equal(tp->enterprises_pct_micros, 818182); /* 450/550 */
    assert_int_equal(tp->employment, 16000);
    assert_int_equal(tp->employment_pct_micros, 800000);
    /* a correction replaces B's figures in the sums */
    fx_report(fx, "RB2", "B", "2023", 2, (figures){250, 25 * YI_YUAN_FEN, 8000});
    fx_events(fx);
    fx_tick(fx, 1704067200000LL + 500); /* within the interval: held */
    assert_int_equal(fx_events(fx), 0);
    fx_tick(fx, 1704067200000LL + 1000);
    fx_events(fx);
    tp = fx_find(fx, BODY(TARGET_PROGRESS), 0)->target_progress;
    assert_int_equal(tp->revenue_pct_micros, 1000000);
    assert_int_equal(tp->enterprises_pct_micros, 1000000);
    assert_int_equal(tp->employment_pct_micros, 1000000);
    /* eliminating B takes its figures out of the open period */
    fx_eliminate(fx, "B");
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetTargets gt = JIJU__V1__GET_TARGETS__INIT;
    Jiju__V1__QueryReply reply = JIJU__V1__QUERY_REPLY__INIT;
    gt.year = 2023;
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_TARGETS;
    q.get_targets = &gt;
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_true(reply.ok);
    assert_int_equal(reply.targets->active_clusters, 1);
    assert_int_equal(reply.targets->revenue_fen, 30 * YI_YUAN_FEN);
    assert_string_equal(reply.targets->period, "2023");
    assess_reply_free(&reply);
    assert_null(reply.targets);
    fx_free(&fx);
}

static void test_registry_events(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    assert_int_equal(fx_register(fx, "A", 3, 0), 0);
    assert_int_equal(fx_register(fx, "A", 4, 1), 0); /* again: ignored */
    fx_events(fx);
    assert_int_equal(fx->n_ev, 1);
    e = fx_find(fx, BODY(CLUSTER_REGISTERED), 0);
    assert_int_equal(e->cluster_registered->cluster->status, JIJU__V1__CLUSTER_STATUS__ACTIVE);
    assert_int_equal(e->cluster_registered->cluster->level, JIJU__V1__LEVEL__CITY);
    assert_int_equal(e->cluster_registered->cluster->category, 3);
    assert_int_not_equal(e->cluster_registered->cluster->registered_at_ms, 0);

    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__UpdateCluster uc = JIJU__V1__UPDATE_CLUSTER__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT;
    c.id = "A";
    c.name = "新名称";
    c.category = 5;
    c.county = "昌邑区";
    c.level = JIJU__V1__LEVEL__PROVINCIAL; /* not changed by an update */
    uc.cluster = &c;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER;
    cmd.update_cluster = &uc;
    assert_int_equal(fx_command(fx, &cmd), 0);
    fx_events(fx);
    e = fx_find(fx, BODY(CLUSTER_UPDATED), 0);
    assert_non_null(e);
    assert_string_equal(e->cluster_updated->cluster->name, "新名称");
    assert_string_equal(e->county, "昌邑区");
    assert_int_equal(e->cluster_updated->cluster->level, JIJU__V1__LEVEL__CITY);
    c.id = "NOPE";
    assert_int_not_equal(fx_command(fx, &cmd), 0);
    assert_int_equal(fx_events(fx), 0);

    assert_int_equal(fx_eliminate(fx, "A"), 0);
    assert_int_equal(fx_eliminate(fx, "A"), 0); /* already: nothing */
    fx_events(fx);
    assert_int_equal(fx->n_ev, 1);
    e = fx_find(fx, BODY(CLUSTER_ELIMINATED), 0);
    assert_string_equal(e->cluster_eliminated->reasons[0], "merged");
    assert_string_equal(e->cluster_eliminated->period, "");
    fx_free(&fx);
}

static void test_new_provincial_once_ever(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_events(fx);
    assert_int_equal(fx_recognise(fx, "A"), 0);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(CLUSTER_RECOGNISED)), 1);
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 1);
    e = fx_find(fx, BODY(AWARD_GRANTED), 0);
    assert_string_equal(e->award_granted->award_id, "NEW_PROVINCIAL/A");
    assert_int_equal(e->award_granted->kind, JIJU__V1__AWARD_KIND__NEW_PROVINCIAL);
    assert_int_equal(e->award_granted->amount_fen, 1000000LL * FEN_PER_YUAN);
    assert_string_equal(e->award_granted->period, "");
    assert_string_equal(e->subject, "A");
    assert_int_equal(fx_recognise(fx, "A"), 0);
    assert_int_equal(fx_events(fx), 0);
    /* nor after a restart */
    fx_close_store(fx);
    fx_open_store(fx);
    assert_int_equal(fx_recognise(fx, "A"), 0);
    assert_int_equal(fx_events(fx), 0);
    assert_int_not_equal(fx_recognise(fx, "NOPE"), 0);
    fx_free(&fx);
}

static void test_ranking_updated_is_coalesced(void **state)
{
    fixture *fx = fx_new();
    const int64_t t0 = 1704067200000LL; /* 2024-01-01, before 2023's deadline */
    Jiju__V1__Envelope *e;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_report(fx, "RA", "A", "2023", 1, GOOD);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_UPDATED)), 0); /* only on a tick */
    assert_int_equal(fx_tick(fx, t0), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx->n_ev, 2); /* the ranking and the city's target progress */
    assert_int_equal(fx_count(fx, BODY(TARGET_PROGRESS)), 1);
    assert_int_equal(fx_find(fx, BODY(TARGET_PROGRESS), 0)->time_ms, t0);
    e = fx_find(fx, BODY(RANKING_UPDATED), 0);
    assert_string_equal(e->ranking_updated->period, "2023");
    assert_int_equal(e->ranking_updated->n_entries, 2);
    assert_string_equal(e->ranking_updated->entries[0]->cluster_id, "A");
    assert_int_equal(e->time_ms, t0);
    assert_int_equal(fx_tick(fx, t0 + 10), JIJU_OK); /* nothing new */
    assert_int_equal(fx_events(fx), 0);
    fx_report(fx, "RB", "B", "2023", 1, STRONG);
    fx_report(fx, "RB2", "B", "2023", 2, STRONG);
    fx_events(fx);
    assert_int_equal(fx_tick(fx, t0 + 999), JIJU_OK); /* within the coalescing interval */
    assert_int_equal(fx_events(fx), 0);
    assert_int_equal(fx_tick(fx, t0 + 1000), JIJU_OK);
    fx_events(fx);
    assert_int_equal(fx->n_ev, 2);
    e = fx_find(fx, BODY(RANKING_UPDATED), 0);
    assert_string_equal(e->ranking_updated->entries[0]->cluster_id, "B");
    fx_free(&fx);
}

/* A tick within a budget (ranking.tick_budget_us): each part does at least
 * one period and leaves the rest due for the next tick, none lost, none
 * twice. */
static void test_tick_within_budget(void **state)
{
    fixture *fx = fx_new();
    const int64_t t0 = 1704067200000LL;
    size_t ranked = 0, calls = 0;
    bool more = true;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 2, 1);
    fx_report(fx, "R22", "A", "2022", 1, GOOD);
    fx_report(fx, "R23", "A", "2023", 1, GOOD);
    fx_events(fx);
    while (more && calls++ < 10) {
        store_txn_t *txn = store_txn_new(fx->store);

        more = false;
        assert_int_equal(assess_tick_slice(fx->a, txn, t0, 1, &more), JIJU_OK);
        assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
        store_txn_destroy(&txn);
        fx_events(fx);
        assert_true(fx_count(fx, BODY(RANKING_UPDATED)) <= 1); /* one period a call */
        if (calls == 1)
            assert_true(more); /* two periods were due */
        ranked += fx_count(fx, BODY(RANKING_UPDATED));
    }
    assert_false(more);
    assert_int_equal(ranked, 2);
    assert_int_equal(fx_tick(fx, t0 + 5000), JIJU_OK); /* nothing left, nothing again */
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(RANKING_UPDATED)), 0);
    fx_free(&fx);
}

static void test_queries(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__QueryReply reply = JIJU__V1__QUERY_REPLY__INIT;
    Jiju__V1__ListClusters lc = JIJU__V1__LIST_CLUSTERS__INIT;
    Jiju__V1__GetRanking gr = JIJU__V1__GET_RANKING__INIT;
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;

    (void)state;
    fx_register(fx, "B", 1, 1);
    fx_register(fx, "A", 2, 1);
    fx_report(fx, "RA", "A", "2023", 1, GOOD);
    fx_report(fx, "RB", "B", "2023", 1, STRONG);
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS;
    q.list_clusters = &lc;
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_true(reply.ok);
    assert_int_equal(reply.n_clusters, 2);
    assert_string_equal(reply.clusters[0]->id, "A");
    assess_reply_free(&reply);

    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING;
    q.get_ranking = &gr;
    gr.period = "2023";
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_true(reply.ok);
    assert_false(reply.final);
    assert_int_equal(reply.n_ranking, 2);
    assert_string_equal(reply.ranking[0]->cluster_id, "B");
    assess_reply_free(&reply);

    fx_period_cmd(fx, "2023", 1);
    fx_events(fx);
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_true(reply.final);
    assert_int_equal(reply.n_ranking, 2);
    /* exactly as published */
    Jiju__V1__Envelope *e = fx_find(fx, BODY(RANKING_PUBLISHED), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(reply.ranking[i]->cluster_id,
                            e->ranking_published->entries[i]->cluster_id);
        assert_int_equal(reply.ranking[i]->score_micros,
                         e->ranking_published->entries[i]->score_micros);
        assert_int_equal(reply.ranking[i]->rank, i + 1);
    }
    assess_reply_free(&reply);

    gr.period = "2019";
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_false(reply.ok);
    assert_non_null(strstr(reply.error, "E_PERIOD_UNKNOWN"));
    gr.period = "2019Q7";
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_non_null(strstr(reply.error, "E_PERIOD_SYNTAX"));
    reply.error = NULL;

    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_PING;
    q.ping = &ping;
    assert_int_equal(assess_query(fx->a, &q, &reply), JIJU_OK);
    assert_true(reply.ok);
    fx_free(&fx);
}

/* The stream may apply several records in one txn before it commits: a
 * close must see reports of the same batch. */
static void test_batch_in_one_txn(void **state)
{
    fixture *fx = fx_new();
    store_txn_t *txn = store_txn_new(fx->store);
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT, *e;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    Jiju__V1__Report r;
    uint8_t buf[4][512];
    size_t len[4];
    static const char *ids[] = {"A", "B", "C"};

    (void)state;
    for (int i = 0; i < 3; i++)
        fx_register(fx, ids[i], 1, 1);
    fx_events(fx);
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    ra.report = &r;
    for (int i = 0; i < 3; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "R%d", i);
        fx_fill_report(&r, rid, ids[i], "2023", 1, i == 1 ? STRONG : GOOD);
        len[i] = jiju__v1__envelope__pack(&env, buf[i]);
    }
    cp.period = "2023";
    cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
    cmd.close_period = &cp;
    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = &cmd;
    len[3] = jiju__v1__envelope__pack(&env, buf[3]);
    for (int i = 0; i < 4; i++)
        assert_int_equal(assess_apply(fx->a, "ingest-1", (uint64_t)(10 + i), buf[i], len[i], txn),
                         0);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    fx_events(fx);
    e = fx_find(fx, BODY(RANKING_PUBLISHED), 0);
    assert_non_null(e);
    assert_int_equal(e->ranking_published->n_entries, 3);
    assert_string_equal(e->ranking_published->entries[0]->cluster_id, "B");
    assert_int_equal(fx_count(fx, BODY(ELIMINATION_WARNING)), 0); /* all three reported */
    assert_int_equal(fx_count(fx, BODY(AWARD_GRANTED)), 3);
    fx_free(&fx);
}

/* One fixed sequence of inputs and ticks. */
static void scenario(fixture *fx)
{
    fx_register(fx, "JL-WL-001", 1, 1);
    fx_register(fx, "JL-SW-002", 2, 1);
    fx_register(fx, "JL-KJ-003", 4, 1);
    fx_register(fx, "JL-DS-004", 5, 1);
    fx_report(fx, "R1", "JL-WL-001", "2022", 1, GOOD);
    fx_report(fx, "R2", "JL-SW-002", "2022", 1, STRONG);
    fx_report(fx, "R3", "JL-KJ-003", "2022", 1, POOR);
    fx_tick(fx, 1704067200000LL);
    fx_period_cmd(fx, "2022", 1);
    fx_recognise(fx, "JL-SW-002");
    fx_report(fx, "R4", "JL-WL-001", "2023", 1, STRONG);
    fx_report(fx, "R5", "JL-SW-002", "2023", 1, GOOD);
    fx_report(fx, "R6", "JL-SW-002", "2023", 2, STRONG);
    fx_tick(fx, 1706745600000LL); /* past 2023's deadline */
    fx_period_cmd(fx, "2023", 1);
    fx_period_cmd(fx, "2023", 1);
}

static void test_same_inputs_same_event_bytes(void **state)
{
    fixture *fx[2];

    (void)state;
    for (int i = 0; i < 2; i++) {
        fx[i] = fx_new();
        scenario(fx[i]);
    }
    assert_true(stream_log_last(fx[0]->events) > 20);
    assert_int_equal(stream_log_last(fx[0]->events), stream_log_last(fx[1]->events));
    for (uint64_t s = 1; s <= stream_log_last(fx[0]->events); s++) {
        void *d[2];
        size_t l[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(stream_log_read(fx[i]->events, s, &d[i], &l[i]), JIJU_OK);
        assert_int_equal(l[0], l[1]);
        assert_memory_equal(d[0], d[1], l[0]);
        free(d[0]);
        free(d[1]);
    }
    for (int i = 0; i < 2; i++)
        fx_free(&fx[i]);
}

static void test_txn_iterator_sees_own_writes(void **state)
{
    fixture *fx = fx_new();
    int cf = store_cf(fx->store, "assess_meta");
    store_txn_t *txn = store_txn_new(fx->store);
    store_iter_t *it;
    const char *k;
    size_t klen;

    (void)state;
    store_txn_put(txn, cf, "b", 1, "1", 1);
    store_txn_put(txn, cf, "d", 1, "1", 1);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_put(txn, cf, "a", 1, "1", 1);
    store_txn_put(txn, cf, "c", 1, "1", 1);
    store_txn_del(txn, cf, "d", 1);
    it = store_txn_iter_new(txn, cf);
    assert_non_null(it);
    store_iter_seek_first(it);
    for (const char *want = "abc"; *want; want++) {
        assert_true(store_iter_valid(it));
        k = store_iter_key(it, &klen);
        assert_int_equal(klen, 1);
        assert_int_equal(k[0], *want);
        store_iter_next(it);
    }
    assert_false(store_iter_valid(it));
    store_iter_destroy(&it);
    store_txn_destroy(&txn);
    fx_free(&fx);
}

/* Eliminate id inside txn, as the consumer applies a record before its
 * commit. */
static int eliminate_in(fixture *fx, store_txn_t *txn, const char *id)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__EliminateCluster ec = JIJU__V1__ELIMINATE_CLUSTER__INIT;
    uint8_t buf[512];
    size_t len;

    ec.cluster_id = (char *)id;
    ec.reason = "merged";
    cmd.kind_case = JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER;
    cmd.eliminate_cluster = &ec;
    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = &cmd;
    len = jiju__v1__envelope__pack(&env, buf);
    return assess_apply(fx->a, "ingest-1", ++fx->in_seq, buf, len, txn);
}

/* The one event of the last report: accepted, or rejected with code. */
static void expect_report(fixture *fx, const char *code)
{
    Jiju__V1__Envelope *e;

    fx_events(fx);
    if (!code) {
        assert_non_null(fx_find(fx, BODY(REPORT_ACCEPTED), 0));
        assert_null(fx_find(fx, BODY(REPORT_REJECTED), 0));
        return;
    }
    assert_non_null(e = fx_find(fx, BODY(REPORT_REJECTED), 0));
    assert_string_equal(e->report_rejected->problems[0]->code, code);
}

static void expect_status(fixture *fx, store_txn_t *txn, const char *id,
                          Jiju__V1__ClusterStatus want)
{
    Jiju__V1__Cluster *c = assess_cluster_get(fx->a, txn, id);

    assert_non_null(c);
    assert_int_equal(c->status, want);
    jiju__v1__cluster__free_unpacked(c, NULL);
}

/* The clusters held in memory (assess_cluster_cache.c) serve a txn what
 * the store would: never another txn's uncommitted write, never a write
 * that was not committed, the committed one after the commit and after a
 * restart. */
static void test_cluster_cache_serves_only_committed(void **state)
{
    fixture *fx = fx_new();
    store_txn_t *t1, *t2;

    (void)state;
    fx_register(fx, "A", 1, 1);
    fx_register(fx, "B", 1, 1);
    fx_report(fx, "RA1", "A", "2023", 1, GOOD); /* A and B now in memory */
    fx_report(fx, "RB1", "B", "2023", 1, GOOD);
    fx_events(fx);
    /* A eliminated in t1, not committed yet: t1 reads its write, another
     * txn (a query's) what is committed */
    t1 = store_txn_new(fx->store);
    t2 = store_txn_new(fx->store);
    assert_int_equal(eliminate_in(fx, t1, "A"), 0);
    expect_status(fx, t2, "A", JIJU__V1__CLUSTER_STATUS__ACTIVE);
    expect_status(fx, t1, "A", JIJU__V1__CLUSTER_STATUS__ELIMINATED);
    expect_status(fx, t2, "A", JIJU__V1__CLUSTER_STATUS__ACTIVE);
    store_txn_destroy(&t2);
    /* committed: eliminated for every txn from now on */
    assert_int_equal(store_txn_commit(t1, true), JIJU_OK);
    store_txn_destroy(&t1);
    fx_report(fx, "RA3", "A", "2023", 3, GOOD);
    expect_report(fx, "E_CLUSTER_ELIMINATED");
    /* and after a restart, from the store */
    fx_close_store(fx);
    fx_open_store(fx);
    fx_report(fx, "RA4", "A", "2023", 4, GOOD);
    expect_report(fx, "E_CLUSTER_ELIMINATED");
    fx_report(fx, "RB2", "B", "2023", 2, GOOD);
    expect_report(fx, NULL);
    /* B eliminated in a txn that is lost (kill -9 before its commit; the
     * events log allows no txn to be dropped otherwise): B is active */
    t2 = store_txn_new(fx->store);
    assert_int_equal(eliminate_in(fx, t2, "B"), 0);
    expect_status(fx, t2, "B", JIJU__V1__CLUSTER_STATUS__ELIMINATED);
    store_txn_destroy(&t2);
    fx_close_store(fx);
    fx_open_store(fx);
    fx_report(fx, "RB3", "B", "2023", 3, GOOD);
    expect_report(fx, NULL);
    /* applied again (the record replayed after the restart): once */
    assert_int_equal(fx_eliminate(fx, "B"), 0);
    fx_events(fx);
    assert_int_equal(fx_count(fx, BODY(CLUSTER_ELIMINATED)), 1);
    fx_report(fx, "RB4", "B", "2023", 4, GOOD);
    expect_report(fx, "E_CLUSTER_ELIMINATED");
    fx_close_store(fx);
    fx_open_store(fx);
    fx_report(fx, "RB5", "B", "2023", 5, GOOD);
    expect_report(fx, "E_CLUSTER_ELIMINATED");
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highest_revision_wins_in_any_order),
        cmocka_unit_test(test_duplicate_report_id_changes_nothing),
        cmocka_unit_test(test_same_report_id_other_content_is_a_conflict),
        cmocka_unit_test(test_reports_not_applicable_are_rejected),
        cmocka_unit_test(test_target_progress_numbers),
        cmocka_unit_test(test_registry_events),
        cmocka_unit_test(test_new_provincial_once_ever),
        cmocka_unit_test(test_ranking_updated_is_coalesced),
        cmocka_unit_test(test_tick_within_budget),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_batch_in_one_txn),
        cmocka_unit_test(test_same_inputs_same_event_bytes),
        cmocka_unit_test(test_txn_iterator_sees_own_writes),
        cmocka_unit_test(test_cluster_cache_serves_only_committed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
