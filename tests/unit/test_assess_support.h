/* test_assess_support.h - a real assessment state machine on a RocksDB store
 * in a mkdtemp directory, an injected clock, builders for the inputs ingest
 * would stream (commands and accepted reports) and a reader of the events
 * that come out. Included by the test_assess*.c of the state machine. */
#ifndef JIJU_TEST_ASSESS_SUPPORT_H
#define JIJU_TEST_ASSESS_SUPPORT_H

#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "envelope.h"
#include "err.h"

#define FEN_PER_YUAN 100LL
#define YI_YUAN_FEN (100000000LL * FEN_PER_YUAN) /* 1 亿元 */

/* Not every test file uses every helper. */
#define FX static __attribute__((unused))

typedef struct fixture {
    char dir[64];
    char clock_path[96];
    store_t *store;
    stream_log_t *events;
    assess_t *a;
    assess_config cfg;
    uint64_t in_seq;  /* the simulated ingest replica's sequence */
    uint64_t read_to; /* events already returned by fx_events */
    Jiju__V1__Envelope **ev;
    size_t n_ev;
} fixture;

FX void fx_set_clock(fixture *fx, int64_t ms)
{
    FILE *f = fopen(fx->clock_path, "w");

    assert_non_null(f);
    fprintf(f, "%lld\n", (long long)ms);
    fclose(f);
}

FX void fx_open_store(fixture *fx)
{
    const char *cfs[32];
    size_t n = 0;
    const char *stream_cfs[] = {STORE_STREAM_CFS};

    for (size_t i = 0; i < 3; i++)
        cfs[n++] = stream_cfs[i];
    for (size_t i = 0; i < assess_n_cfs; i++)
        cfs[n++] = assess_cfs[i];
    fx->store = store_open(fx->dir, cfs, n, NULL, 0);
    assert_non_null(fx->store);
    fx->events = stream_log_open(fx->store, "events");
    assert_non_null(fx->events);
    fx->a = assess_new(fx->store, fx->events, &fx->cfg);
    assert_non_null(fx->a);
}

FX void fx_close_store(fixture *fx)
{
    assess_destroy(&fx->a);
    assert_null(fx->a);
    stream_log_destroy(&fx->events);
    store_close(&fx->store);
}

FX void fx_free_events(fixture *fx)
{
    for (size_t i = 0; i < fx->n_ev; i++)
        envelope_free(&fx->ev[i]);
    free(fx->ev);
    fx->ev = NULL;
    fx->n_ev = 0;
}

FX fixture *fx_new(void)
{
    fixture *fx = calloc(1, sizeof *fx);
    cfg_error err;

    assert_non_null(fx);
    strcpy(fx->dir, "/tmp/jiju-assess-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->clock_path, sizeof fx->clock_path, "%s.clock", fx->dir);
    setenv("JIJU_CLOCK_FILE", fx->clock_path, 1);
    fx_set_clock(fx, 1704067200000LL); /* 2024-01-01T00:00:00Z */
    assert_int_equal(assess_config_load(NULL, NULL, 0, &fx->cfg, &err), 0);
    snprintf(fx->cfg.shared.instance, sizeof fx->cfg.shared.instance, "assessment");
    fx_open_store(fx);
    return fx;
}

FX void fx_free(fixture **fxp)
{
    fixture *fx = *fxp;
    char cmd[256];

    fx_close_store(fx);
    fx_free_events(fx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", fx->dir, fx->clock_path);
    assert_int_equal(system(cmd), 0);
    unsetenv("JIJU_CLOCK_FILE");
    free(fx);
    *fxp = NULL;
}

/* Pack env as ingest would have logged it and apply it in its own txn. */
FX int fx_apply(fixture *fx, Jiju__V1__Envelope *env)
{
    size_t len = jiju__v1__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len ? len : 1);
    store_txn_t *txn = store_txn_new(fx->store);
    int rc;

    assert_non_null(buf);
    jiju__v1__envelope__pack(env, buf);
    rc = assess_apply(fx->a, "ingest-1", ++fx->in_seq, buf, len, txn);
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    free(buf);
    return rc;
}

FX int fx_tick(fixture *fx, int64_t now_ms)
{
    store_txn_t *txn = store_txn_new(fx->store);
    int rc = assess_tick(fx->a, txn, now_ms);

    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
    return rc;
}

/* The events appended since the last call (fx->ev, fx->n_ev). */
FX size_t fx_events(fixture *fx)
{
    fx_free_events(fx);
    for (uint64_t s = fx->read_to + 1; s <= stream_log_last(fx->events); s++) {
        void *data = NULL;
        size_t len = 0;
        assert_int_equal(stream_log_read(fx->events, s, &data, &len), JIJU_OK);
        fx->ev = realloc(fx->ev, (fx->n_ev + 1) * sizeof *fx->ev);
        assert_non_null(fx->ev);
        fx->ev[fx->n_ev] = envelope_decode(data, len);
        assert_non_null(fx->ev[fx->n_ev]);
        assert_int_equal(fx->ev[fx->n_ev]->seq, s);
        fx->n_ev++;
        free(data);
    }
    fx->read_to = stream_log_last(fx->events);
    return fx->n_ev;
}

/* How many of the last fx_events are of body kind `body`. */
FX size_t fx_count(const fixture *fx, Jiju__V1__Envelope__BodyCase body)
{
    size_t n = 0;

    for (size_t i = 0; i < fx->n_ev; i++)
        n += fx->ev[i]->body_case == body;
    return n;
}

/* The k-th (0-based) of the last fx_events of kind body, or NULL. */
FX Jiju__V1__Envelope *fx_find(const fixture *fx, Jiju__V1__Envelope__BodyCase body, size_t k)
{
    for (size_t i = 0; i < fx->n_ev; i++)
        if (fx->ev[i]->body_case == body && k-- == 0)
            return fx->ev[i];
    return NULL;
}

/* ---- inputs ---- */

FX int fx_command(fixture *fx, Jiju__V1__Command *cmd)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;

    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = cmd;
    env.time_ms = 1700000000000LL + (int64_t)fx->in_seq; /* ingest's time of acceptance */
    return fx_apply(fx, &env);
}

FX int fx_register(fixture *fx, const char *id, int category, int level)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster rc = JIJU__V1__REGISTER_CLUSTER__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT;
    char *industries[] = {"物流"};

    c.id = (char *)id;
    c.name = "测试集聚区";
    c.category = category;
    c.county = "船营区";
    c.level = level;
    c.leading_industries = industries;
    c.n_leading_industries = 1;
    c.management_org = "管委会";
    rc.cluster = &c;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    cmd.register_cluster = &rc;
    return fx_command(fx, &cmd);
}

FX int fx_period_cmd(fixture *fx, const char *period_text, int close)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;

    if (close) {
        cp.period = (char *)period_text;
        cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
        cmd.close_period = &cp;
    } else {
        op.period = (char *)period_text;
        cmd.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
        cmd.open_period = &op;
    }
    return fx_command(fx, &cmd);
}

FX int fx_recognise(fixture *fx, const char *id)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RecordRecognition rr = JIJU__V1__RECORD_RECOGNITION__INIT;

    rr.cluster_id = (char *)id;
    rr.document = "吉省服办〔2024〕1号";
    cmd.kind_case = JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION;
    cmd.record_recognition = &rr;
    return fx_command(fx, &cmd);
}

FX int fx_eliminate(fixture *fx, const char *id)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__EliminateCluster ec = JIJU__V1__ELIMINATE_CLUSTER__INIT;

    ec.cluster_id = (char *)id;
    ec.reason = "merged";
    cmd.kind_case = JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER;
    cmd.eliminate_cluster = &ec;
    return fx_command(fx, &cmd);
}

/* The figures of one report; revenue in fen. */
typedef struct figures {
    int64_t enterprises, revenue_fen, employment;
} figures;

FX void fx_fill_report(Jiju__V1__Report *r, const char *report_id, const char *cluster,
                       const char *period_text, uint32_t revision, figures f)
{
    jiju__v1__report__init(r);
    r->report_id = (char *)report_id;
    r->cluster_id = (char *)cluster;
    r->period = (char *)period_text;
    r->revision = revision;
    r->enterprises_present_case = JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES;
    r->enterprises = f.enterprises;
    r->revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    r->revenue_fen = f.revenue_fen;
    r->tax_present_case = JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN;
    r->tax_fen = f.revenue_fen / 20;
    r->investment_present_case = JIJU__V1__REPORT__INVESTMENT_PRESENT_INVESTMENT_FEN;
    r->investment_fen = f.revenue_fen / 4;
    r->output_value_present_case = JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN;
    r->output_value_fen = f.revenue_fen * 2;
    r->employment_present_case = JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT;
    r->employment = f.employment;
}

FX int fx_report(fixture *fx, const char *report_id, const char *cluster, const char *period_text,
                 uint32_t revision, figures f)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report r;

    fx_fill_report(&r, report_id, cluster, period_text, revision, f);
    ra.report = &r;
    ra.ingest_instance = "ingest-1";
    ra.ingest_seq = fx->in_seq + 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    env.time_ms = 1700000000000LL + (int64_t)fx->in_seq;
    return fx_apply(fx, &env);
}

/* A cluster well above the default minimums (seed-scaled, docs/assessment.md). */
FX const figures GOOD = {50, 5 * YI_YUAN_FEN, 2000};
/* Below every default minimum (10 enterprises, 1 亿元, 300 jobs). */
FX const figures POOR = {5, YI_YUAN_FEN / 2, 100};
/* Above the default nomination thresholds (60, 8 亿元, 2,500). */
FX const figures STRONG = {80, 10 * YI_YUAN_FEN, 3000};

/* Apply envs[0..n-1] in one txn, one synced commit (thousands of clusters
 * in a second). */
FX void fx_apply_batch(fixture *fx, Jiju__V1__Envelope **envs, size_t n)
{
    store_txn_t *txn = store_txn_new(fx->store);

    for (size_t i = 0; i < n; i++) {
        uint8_t buf[1024];
        size_t len = jiju__v1__envelope__pack(envs[i], buf);
        assert_true(len < sizeof buf);
        assert_int_equal(assess_apply(fx->a, "ingest-1", ++fx->in_seq, buf, len, txn), 0);
    }
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    store_txn_destroy(&txn);
}

/* Clusters C<from>..C<from+n-1> (C%05d), and (if ptext) a report of each
 * for that period, in batches of one txn: thousands in a second. */
FX void fx_populate(fixture *fx, int from, int n, const char *ptext)
{
    enum { BATCH = 500 };
    Jiju__V1__Envelope env[BATCH], *envs[BATCH];
    Jiju__V1__Command cmd[BATCH];
    Jiju__V1__RegisterCluster reg[BATCH];
    Jiju__V1__Cluster cl[BATCH];
    Jiju__V1__ReportAccepted ra[BATCH];
    Jiju__V1__Report rep[BATCH];
    char ids[BATCH][16], rids[BATCH][16];

    for (int pass = 0; pass < (ptext ? 2 : 1); pass++)
        for (int b = from; b < from + n; b += BATCH) {
            int m = from + n - b < BATCH ? from + n - b : BATCH;
            for (int i = 0; i < m; i++) {
                jiju__v1__envelope__init(&env[i]);
                envs[i] = &env[i];
                snprintf(ids[i], sizeof ids[i], "C%05d", b + i);
                if (pass == 0) {
                    jiju__v1__command__init(&cmd[i]);
                    jiju__v1__register_cluster__init(&reg[i]);
                    jiju__v1__cluster__init(&cl[i]);
                    cl[i].id = ids[i];
                    cl[i].name = "集聚区";
                    cl[i].category = 1 + (b + i) % 9;
                    reg[i].cluster = &cl[i];
                    cmd[i].kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
                    cmd[i].register_cluster = &reg[i];
                    env[i].body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
                    env[i].command = &cmd[i];
                } else {
                    figures f = {20 + (b + i) % 50, YI_YUAN_FEN + (b + i) * 1000000LL,
                                 400 + (b + i) % 900};
                    snprintf(rids[i], sizeof rids[i], "R%05d", b + i);
                    fx_fill_report(&rep[i], rids[i], ids[i], ptext, 1, f);
                    jiju__v1__report_accepted__init(&ra[i]);
                    ra[i].report = &rep[i];
                    env[i].body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
                    env[i].report_accepted = &ra[i];
                }
            }
            fx_apply_batch(fx, envs, (size_t)m);
        }
    fx_events(fx);
}

#endif
