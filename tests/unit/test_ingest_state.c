/* test_ingest_state.c - what one ingest replica knows, on a real RocksDB
 * store: the reports it accepted, and what it learns from assessment's
 * events (the registry, closed periods, and report ids other replicas
 * accepted, with the content assessment applied). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "err.h"
#include "ingest_sample.h"
#include "ingest_events.pb-c.h"
#include "ingest_state.h"
#include "pb.h"
#include "report_digest.h"
#include "store.h"

typedef struct fixture {
    char dir[64];
    store_t *store;
    ingest_state_t *st;
    store_txn_t *txn;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);

    snprintf(fx->dir, sizeof fx->dir, "/tmp/jiju-test-ingest-state-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->store = store_open(fx->dir, ingest_cfs, ingest_n_cfs, NULL, 0);
    assert_non_null(fx->store);
    fx->st = ingest_state_new(fx->store);
    assert_non_null(fx->st);
    fx->txn = store_txn_new(fx->store);
    assert_non_null(fx->txn);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];

    store_txn_destroy(&fx->txn);
    ingest_state_destroy(&fx->st);
    assert_null(fx->st);
    store_close(&fx->store);
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* Apply one of assessment's events, as the stream would hand it over. */
static void apply(fixture *fx, Jiju__V1__Envelope *env)
{
    static uint64_t seq;
    uint8_t *buf;
    size_t len;

    assert_int_equal(pb_pack(&env->base, &buf, &len), JIJU_OK);
    assert_int_equal(ingest_state_apply_event(fx->st, "assessment", ++seq, buf, len, fx->txn), 0);
    free(buf);
}

static void report_accepted(fixture *fx, const Jiju__V1__Report *r, const char *instance,
                            uint64_t ingest_seq, int superseded)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;

    ra.report = (Jiju__V1__Report *)r;
    ra.ingest_instance = (char *)instance;
    ra.ingest_seq = ingest_seq;
    ra.superseded = superseded;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    apply(fx, &env);
}

static void test_accepted_here(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Report r;
    uint8_t d[32];
    ingest_known_report k;
    ingest_view v;

    valid_report(&r);
    report_digest(&r, d);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_ERR_NOT_FOUND);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, &r, 7, d), JIJU_OK);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 7);
    assert_memory_equal(k.digest, d, 32);
    assert_string_equal(k.instance, ""); /* this replica */
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 1);
    /* assessment's event for the same content changes nothing */
    report_accepted(fx, &r, "ingest-1", 7, 0);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 7);
    assert_string_equal(k.instance, "");
    /* nor does it once the state knows it is ingest-1 (then it reads nothing) */
    ingest_state_set_instance(fx->st, "ingest-1");
    report_accepted(fx, &r, "ingest-1", 7, 0);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 7);
    assert_string_equal(k.instance, "");
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 1);
    /* and it all survives a commit and a reopened store */
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    store_txn_destroy(&fx->txn);
    ingest_state_destroy(&fx->st);
    store_close(&fx->store);
    fx->store = store_open(fx->dir, ingest_cfs, ingest_n_cfs, NULL, 0);
    fx->st = ingest_state_new(fx->store);
    fx->txn = store_txn_new(fx->store);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 7);
}

static void test_learned_from_another_replica(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Report r;
    uint8_t d[32];
    ingest_known_report k;

    valid_report(&r);
    r.revision = 3;
    report_digest(&r, d);
    report_accepted(fx, &r, "ingest-2", 41, 0);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 41);
    assert_string_equal(k.instance, "ingest-2");
    assert_memory_equal(k.digest, d, 32);
    ingest_view v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 3);
    /* a superseded report's id is learned, its revision is not the latest */
    r.report_id = "R-OLD";
    r.revision = 2;
    report_accepted(fx, &r, "ingest-3", 5, 1);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, "R-OLD", &k), JIJU_OK);
    assert_string_equal(k.instance, "ingest-3");
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 3);
}

/* Two replicas accepted one id with different content before either knew;
 * assessment applied the other replica's: the index takes the applied one. */
static void test_applied_content_wins(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Report mine, theirs;
    uint8_t dm[32], dt[32];
    ingest_known_report k;

    valid_report(&mine);
    valid_report(&theirs);
    theirs.revenue_fen += 100;
    report_digest(&mine, dm);
    report_digest(&theirs, dt);
    assert_memory_not_equal(dm, dt, 32);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, &mine, 9, dm), JIJU_OK);
    report_accepted(fx, &theirs, "ingest-2", 12, 0);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, mine.cluster_id, mine.report_id, &k),
                     JIJU_OK);
    assert_memory_equal(k.digest, dt, 32);
    assert_int_equal(k.seq, 12);
    assert_string_equal(k.instance, "ingest-2");
}

static void test_registry_and_periods(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRegistered reg = JIJU__V1__CLUSTER_REGISTERED__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT;
    Jiju__V1__ClusterEliminated el = JIJU__V1__CLUSTER_ELIMINATED__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;
    Jiju__V1__ClusterStatus status;
    ingest_view v = ingest_state_view(fx->st, fx->txn);

    assert_int_equal(v.cluster_status(v.arg, "JL-WL-001", &status), JIJU_ERR_NOT_FOUND);
    c.id = "JL-WL-001";
    c.name = "博宇物流园";
    c.status = JIJU__V1__CLUSTER_STATUS__ACTIVE;
    reg.cluster = &c;
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED;
    env.cluster_registered = &reg;
    apply(fx, &env);
    assert_int_equal(v.cluster_status(v.arg, "JL-WL-001", &status), JIJU_OK);
    assert_int_equal(status, JIJU__V1__CLUSTER_STATUS__ACTIVE);
    el.cluster_id = "JL-WL-001";
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_ELIMINATED;
    env.cluster_eliminated = &el;
    apply(fx, &env);
    assert_int_equal(v.cluster_status(v.arg, "JL-WL-001", &status), JIJU_OK);
    assert_int_equal(status, JIJU__V1__CLUSTER_STATUS__ELIMINATED);
    assert_int_equal(v.period_closed(v.arg, "2023"), 0);
    pc.period = "2023";
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
    env.period_closed = &pc;
    apply(fx, &env);
    assert_int_equal(v.period_closed(v.arg, "2023"), 1);
}

static void test_undecodable_event(void **state)
{
    fixture *fx = *state;
    static const uint8_t junk[] = {0xff, 0xff, 0xff};

    assert_int_equal(ingest_state_apply_event(fx->st, "assessment", 1, junk, sizeof junk, fx->txn),
                     JIJU_ERR_CORRUPT);
}

/* The event as it is packed, handed over as the stream would: 0 or the error. */
static int apply_bytes(fixture *fx, const uint8_t *buf, size_t len)
{
    static uint64_t seq;

    return ingest_state_apply_event(fx->st, "assessment", ++seq, buf, len, fx->txn);
}

/* Ingest reads the events through its own view of the envelope
 * (ingest_events.proto): an envelope with every attribute assessment sets,
 * a ReportAccepted with warnings, is read as the contract's; the report
 * learned has the digest of the report packed, re-packed from its bytes. */
static void test_event_view_reads_the_contract(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__RankingUpdated ru = JIJU__V1__RANKING_UPDATED__INIT;
    Jiju__V1__RankEntry e = JIJU__V1__RANK_ENTRY__INIT, *entries[] = {&e};
    Jiju__V1__Problem w = JIJU__V1__PROBLEM__INIT, *warnings[] = {&w};
    Jiju__V1__Report r;
    uint8_t d[32];
    ingest_known_report k;
    ingest_view v;

    ingest_state_set_instance(fx->st, "ingest-1");
    valid_report(&r);
    r.revision = 2;
    report_digest(&r, d);
    env.id = "assessment/17";
    env.source = "/jiju/assessment";
    env.type = "jiju.v1.ReportAccepted";
    env.time = "2026-12-02T06:00:00Z";
    env.subject = r.cluster_id;
    env.seq = 17;
    env.time_ms = 1796191200000;
    env.period = r.period;
    env.category = JIJU__V1__CATEGORY__LOGISTICS;
    env.county = "朝阳区";
    env.cause_producer = "ingest-2";
    env.cause_seq = 8;
    env.specversion = "1.0";
    w.code = "W_REVENUE_JUMP";
    w.field = "report.revenue_fen";
    w.severity = JIJU__V1__SEVERITY__WARNING;
    ra.report = &r;
    ra.ingest_instance = "ingest-2";
    ra.ingest_seq = 8;
    ra.warnings = warnings;
    ra.n_warnings = 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    apply(fx, &env);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 8);
    assert_string_equal(k.instance, "ingest-2");
    assert_memory_equal(k.digest, d, 32);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 2);
    /* a body ingest does not read (a ranking page) changes nothing */
    e.cluster_id = r.cluster_id;
    e.cluster_name = "博宇物流园";
    e.rank = 1;
    ru.period = r.period;
    ru.entries = entries;
    ru.n_entries = 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_RANKING_UPDATED;
    env.ranking_updated = &ru;
    apply(fx, &env);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, r.period), 2);
}

/* Assessment's event with the report's bytes as given (the view packs what
 * the contract's encoder could not: a report that does not decode). */
static int apply_report_bytes(fixture *fx, const char *instance, const uint8_t *report, size_t n)
{
    Jiju__Ingest__EventView ev = JIJU__INGEST__EVENT_VIEW__INIT;
    Jiju__Ingest__ReportAcceptedView ra = JIJU__INGEST__REPORT_ACCEPTED_VIEW__INIT;
    uint8_t *buf;
    size_t len;
    int rc;

    ra.report.data = (uint8_t *)report;
    ra.report.len = n;
    ra.ingest_instance = (char *)instance;
    ra.ingest_seq = 3;
    ev.body_case = JIJU__INGEST__EVENT_VIEW__BODY_REPORT_ACCEPTED;
    ev.report_accepted = &ra;
    assert_int_equal(pb_pack(&ev.base, &buf, &len), JIJU_OK);
    rc = apply_bytes(fx, buf, len);
    free(buf);
    return rc;
}

/* Malformed bytes: an envelope cut short is refused (the stream ends the
 * session, no cursor moves); a report that does not decode is refused when
 * it must be read (another replica's), and not read at all when it is this
 * replica's own record (nothing is learned from those). */
static void test_event_view_malformed(void **state)
{
    fixture *fx = *state;
    static const uint8_t junk[] = {0x0a, 0x7f, 0x01}; /* a string longer than its bytes */
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report r;
    ingest_known_report k;
    uint8_t *buf;
    size_t len;

    ingest_state_set_instance(fx->st, "ingest-1");
    valid_report(&r);
    ra.report = &r;
    ra.ingest_instance = "ingest-2";
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    assert_int_equal(pb_pack(&env.base, &buf, &len), JIJU_OK);
    for (size_t cut = 1; cut < len; cut++) /* the body is the only field: any cut is in it */
        assert_int_equal(apply_bytes(fx, buf, cut), JIJU_ERR_CORRUPT);
    free(buf);
    assert_int_equal(apply_report_bytes(fx, "ingest-2", junk, sizeof junk), JIJU_ERR_CORRUPT);
    assert_int_equal(apply_report_bytes(fx, "ingest-1", junk, sizeof junk), 0);
    assert_int_equal(apply_report_bytes(fx, "ingest-2", NULL, 0), 0); /* no report: nothing */
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_ERR_NOT_FOUND);
}

/* Reopen the fixture's store (and the state over it). */
static void reopen(fixture *fx)
{
    store_txn_destroy(&fx->txn);
    ingest_state_destroy(&fx->st);
    store_close(&fx->store);
    fx->store = store_open(fx->dir, ingest_cfs, ingest_n_cfs, NULL, 0);
    assert_non_null(fx->store);
    fx->st = ingest_state_new(fx->store);
    fx->txn = store_txn_new(fx->store);
    assert_non_null(fx->st);
}

/* A fresh store is marked as holding scoped ids only (one lookup per new
 * report); a store written before ids were scoped (a bare id, no marker)
 * is not, and its bare ids are still found. */
static void test_bare_ids_of_old_stores(void **state)
{
    fixture *fx = *state;
    int cf = store_cf(fx->store, "ingest_reports");
    Jiju__V1__Report r;
    uint8_t v[40] = {0, 0, 0, 0, 0, 0, 0, 9};
    ingest_known_report k;
    void *val = NULL;
    size_t len = 0;

    valid_report(&r);
    assert_int_equal(report_ids_scoped(fx->store, cf), 1);
    assert_int_equal(
        store_get(fx->store, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN, &val, &len),
        JIJU_OK);
    free(val);
    /* the old store: the marker gone, a bare id in its place */
    assert_int_equal(store_txn_del(fx->txn, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN),
                     JIJU_OK);
    assert_int_equal(store_txn_put(fx->txn, cf, r.report_id, strlen(r.report_id), v, sizeof v),
                     JIJU_OK);
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    reopen(fx);
    assert_int_equal(report_ids_scoped(fx->store, cf), 0); /* not empty: not marked */
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 9);
    /* a marked store does not look for the bare id */
    assert_int_equal(
        store_txn_put(fx->txn, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN, "", 0), JIJU_OK);
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    reopen(fx);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_ERR_NOT_FOUND);
}

/* What validation asks is held in memory (ingest_state.c), written through:
 * a reopened store gives it all back as committed (the registry, an
 * elimination, a closed period, the highest revision and its revenue), and
 * nothing of a txn that was never committed, as after kill -9. */
static void test_memory_is_the_store(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRegistered reg = JIJU__V1__CLUSTER_REGISTERED__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT, c2 = JIJU__V1__CLUSTER__INIT;
    Jiju__V1__ClusterEliminated el = JIJU__V1__CLUSTER_ELIMINATED__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;
    Jiju__V1__ClusterStatus status;
    Jiju__V1__Report r;
    uint8_t d[32];
    int64_t fen = 0;
    ingest_view v;

    c.id = "JL-WL-001";
    c.status = JIJU__V1__CLUSTER_STATUS__ACTIVE;
    c2.id = "JL-WL-002";
    c2.status = JIJU__V1__CLUSTER_STATUS__ACTIVE;
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED;
    env.cluster_registered = &reg;
    reg.cluster = &c;
    apply(fx, &env);
    reg.cluster = &c2;
    apply(fx, &env);
    el.cluster_id = "JL-WL-002"; /* eliminated in the same txn as registered */
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_ELIMINATED;
    env.cluster_eliminated = &el;
    apply(fx, &env);
    pc.period = "2022";
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
    env.period_closed = &pc;
    apply(fx, &env);
    valid_report(&r);
    r.revision = 3;
    report_digest(&r, d);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, &r, 1, d), JIJU_OK);
    r.report_id = "R-OLD"; /* a lower revision accepted later keeps the higher */
    r.revision = 2;
    r.revenue_fen = 5;
    report_digest(&r, d);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, &r, 2, d), JIJU_OK);
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    /* then a txn that never commits: a closed period and a new revision */
    pc.period = "2023";
    apply(fx, &env);
    r.report_id = "R-NEW";
    r.revision = 4;
    report_digest(&r, d);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, &r, 3, d), JIJU_OK);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.period_closed(v.arg, "2023"), 1); /* seen within its txn */
    assert_int_equal(v.last_revision(v.arg, "JL-WL-001", "2023Q1"), 4);
    reopen(fx);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.cluster_status(v.arg, "JL-WL-001", &status), JIJU_OK);
    assert_int_equal(status, JIJU__V1__CLUSTER_STATUS__ACTIVE);
    assert_int_equal(v.cluster_status(v.arg, "JL-WL-002", &status), JIJU_OK);
    assert_int_equal(status, JIJU__V1__CLUSTER_STATUS__ELIMINATED);
    assert_int_equal(v.cluster_status(v.arg, "JL-WL-003", &status), JIJU_ERR_NOT_FOUND);
    assert_int_equal(v.period_closed(v.arg, "2022"), 1);
    assert_int_equal(v.period_closed(v.arg, "2023"), 0);
    assert_int_equal(v.last_revision(v.arg, "JL-WL-001", "2023Q1"), 3);
    assert_int_equal(v.previous_revenue(v.arg, "JL-WL-001", "2023Q1", &fen), JIJU_OK);
    assert_int_equal(fen, INT64_C(300000000000));
    assert_int_equal(v.previous_revenue(v.arg, "JL-WL-001", "2022Q4", &fen), JIJU_ERR_NOT_FOUND);
    assert_int_equal(v.last_revision(v.arg, "JL-WL-002", "2023Q1"), 0);
}

/* The keys of ingest_revisions as committed, in order: how many, and how
 * many of them are numbered ("\0" be64) rather than the pair itself. */
static size_t revision_keys(fixture *fx, size_t *numbered, uint64_t *last)
{
    store_iter_t *it = store_iter_new(fx->store, store_cf(fx->store, "ingest_revisions"));
    size_t n = 0;

    *numbered = 0;
    *last = 0;
    assert_non_null(it);
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const uint8_t *k = store_iter_key(it, &klen);
        n++;
        if (klen == 9 && k[0] == 0) {
            uint64_t at = store_be64_get(k + 1);
            assert_true(at > *last); /* numbered in the order accepted */
            *last = at;
            (*numbered)++;
        }
    }
    store_iter_destroy(&it);
    return n;
}

static void accept(fixture *fx, Jiju__V1__Report *r, const char *period, uint32_t rev,
                   int64_t revenue)
{
    uint8_t d[32];

    r->period = (char *)period;
    r->revision = rev;
    r->revenue_fen = revenue;
    report_digest(r, d);
    assert_int_equal(ingest_state_accept_report(fx->st, fx->txn, r, rev, d), JIJU_OK);
}

/* ingest_revisions is keyed by number in the order pairs are first
 * accepted (ingest_state.c): a higher revision replaces its pair's entry
 * (one entry per pair, as before), a lower one writes nothing, and after a
 * reopen every pair has its highest revision and revenue, and a new pair
 * gets the next number. */
static void test_revisions_keyed_in_order(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Report r;
    size_t numbered;
    uint64_t last;
    int64_t fen = 0;
    ingest_view v;

    valid_report(&r);
    accept(fx, &r, "2023Q1", 1, 100);
    accept(fx, &r, "2023Q2", 1, 200);
    accept(fx, &r, "2023Q3", 1, 300);
    accept(fx, &r, "2023Q2", 4, 250); /* replaces Q2's entry */
    accept(fx, &r, "2023Q2", 2, 999); /* lower: nothing */
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    assert_int_equal(revision_keys(fx, &numbered, &last), 3);
    assert_int_equal(numbered, 3);
    assert_int_equal(last, 3);
    reopen(fx);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, "2023Q1"), 1);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, "2023Q2"), 4);
    assert_int_equal(v.previous_revenue(v.arg, r.cluster_id, "2023Q2", &fen), JIJU_OK);
    assert_int_equal(fen, 250);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, "2023Q3"), 1);
    accept(fx, &r, "2023Q4", 1, 400);
    accept(fx, &r, "2023Q1", 2, 150); /* replaced under its number after the reopen */
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    assert_int_equal(revision_keys(fx, &numbered, &last), 4);
    assert_int_equal(last, 4);
    reopen(fx);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, "2023Q1"), 2);
    assert_int_equal(v.previous_revenue(v.arg, r.cluster_id, "2023Q1", &fen), JIJU_OK);
    assert_int_equal(fen, 150);
    assert_int_equal(v.last_revision(v.arg, r.cluster_id, "2023Q4"), 1);
}

/* A store written before: its entries keyed by the pair, 12-byte values,
 * are loaded, and replaced in that form; new pairs are numbered beside them. */
static void test_revisions_of_older_stores(void **state)
{
    fixture *fx = *state;
    int cf = store_cf(fx->store, "ingest_revisions");
    uint8_t old[12] = {0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 77};
    char pair[64];
    size_t plen = store_key_pair("JL-WL-001", "2023Q1", pair, sizeof pair), numbered;
    uint64_t last;
    int64_t fen = 0;
    Jiju__V1__Report r;
    ingest_view v;

    assert_int_equal(store_txn_put(fx->txn, cf, pair, plen, old, sizeof old), JIJU_OK);
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    reopen(fx);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, "JL-WL-001", "2023Q1"), 3);
    assert_int_equal(v.previous_revenue(v.arg, "JL-WL-001", "2023Q1", &fen), JIJU_OK);
    assert_int_equal(fen, 77);
    valid_report(&r);
    accept(fx, &r, "2023Q1", 2, 1);   /* lower than the old entry's: nothing */
    accept(fx, &r, "2023Q1", 5, 500); /* under the pair, as it was */
    accept(fx, &r, "2023Q2", 1, 600); /* a new pair: numbered */
    assert_int_equal(store_txn_commit(fx->txn, true), JIJU_OK);
    assert_int_equal(revision_keys(fx, &numbered, &last), 2);
    assert_int_equal(numbered, 1);
    reopen(fx);
    v = ingest_state_view(fx->st, fx->txn);
    assert_int_equal(v.last_revision(v.arg, "JL-WL-001", "2023Q1"), 5);
    assert_int_equal(v.previous_revenue(v.arg, "JL-WL-001", "2023Q1", &fen), JIJU_OK);
    assert_int_equal(fen, 500);
    assert_int_equal(v.last_revision(v.arg, "JL-WL-001", "2023Q2"), 1);
}

/* ingest's submit txn keeps no index of its writes (ingest_submit.c): a
 * report id accepted earlier in the same batch is still found, with its
 * seq and digest, before and after the commit. */
static void test_found_within_an_unindexed_batch(void **state)
{
    fixture *fx = *state;
    store_txn_t *txn = store_txn_new_unindexed(fx->store);
    Jiju__V1__Report r;
    uint8_t d[32];
    ingest_known_report k;

    valid_report(&r);
    report_digest(&r, d);
    assert_int_equal(ingest_state_find_report(fx->st, txn, r.cluster_id, r.report_id, &k),
                     JIJU_ERR_NOT_FOUND);
    assert_int_equal(ingest_state_accept_report(fx->st, txn, &r, 5, d), JIJU_OK);
    assert_int_equal(ingest_state_find_report(fx->st, txn, r.cluster_id, r.report_id, &k), JIJU_OK);
    assert_int_equal(k.seq, 5);
    assert_memory_equal(k.digest, d, 32);
    assert_string_equal(k.instance, "");
    /* the same id in another cluster is another report */
    assert_int_equal(ingest_state_find_report(fx->st, txn, "JL-WL-009", r.report_id, &k),
                     JIJU_ERR_NOT_FOUND);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    assert_int_equal(ingest_state_find_report(fx->st, txn, r.cluster_id, r.report_id, &k), JIJU_OK);
    assert_int_equal(k.seq, 5);
    store_txn_destroy(&txn);
    reopen(fx);
    assert_int_equal(ingest_state_find_report(fx->st, fx->txn, r.cluster_id, r.report_id, &k),
                     JIJU_OK);
    assert_int_equal(k.seq, 5);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_accepted_here),
        T(test_learned_from_another_replica),
        T(test_applied_content_wins),
        T(test_registry_and_periods),
        T(test_undecodable_event),
        T(test_bare_ids_of_old_stores),
        T(test_memory_is_the_store),
        T(test_found_within_an_unindexed_batch),
        T(test_event_view_reads_the_contract),
        T(test_event_view_malformed),
        T(test_revisions_keyed_in_order),
        T(test_revisions_of_older_stores),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
