/* assess_tick.c - what time decides: ReportOverdue at each open period's
 * deadline (seed 五.三), once per period and so once per (cluster, period),
 * and the provisional RankingUpdated and TargetProgress of each period whose
 * reports changed, at most once per period per ranking_interval(). now_ms is the caller's
 * (clock_now_ms, injectable), and also the events' time, so a test with a
 * fixed clock gets the same bytes every run. */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "clock.h"
#include "envelope.h"
#include "err.h"

static int emit_overdue(assess_t *a, store_txn_t *txn, const char *text, const Jiju__V1__Cluster *c,
                        int64_t deadline_ms, int64_t now_ms)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportOverdue ro = JIJU__V1__REPORT_OVERDUE__INIT;

    ro.cluster_id = c->id;
    ro.period = (char *)text;
    ro.deadline_ms = deadline_ms;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_OVERDUE;
    env.report_overdue = &ro;
    env.time_ms = now_ms;
    return assess_emit(a, txn, &env, c, text);
}

/* Every active cluster without an accepted report for the period. */
static int overdue(assess_t *a, store_txn_t *txn, const char *text, assess_period_state *st,
                   int64_t now_ms)
{
    assess_rows r;
    period p;
    int rc;

    if (period_parse(text, &p) != JIJU_OK)
        return JIJU_ERR_CORRUPT;
    if ((rc = assess_rows_load(a, txn, text, &p, &r)) != JIJU_OK)
        return rc;
    for (size_t i = 0; rc == JIJU_OK && i < r.n; i++)
        if (!r.reports[i])
            rc = emit_overdue(a, txn, text, r.clusters[i], st->deadline_ms, now_ms);
    assess_rows_free(&r);
    if (rc != JIJU_OK)
        return rc;
    st->overdue_done = true;
    return assess_period_put(a, txn, text, st);
}

/* The interval between two provisional rankings of a period with st's
 * reports: ranking.coalesce_ms, times 1 + reports / ranking.coalesce_reports.
 * A ranking costs O(clusters) CPU and bytes (about 250 bytes an entry), so a
 * fixed interval made its cost per second grow with the clusters: 0.5 s of
 * CPU and 25 MB of events every second at 100,000. Growing the interval
 * with the reports keeps the cost per second about that of
 * ranking.coalesce_reports clusters once a second, whatever the count. From
 * the stored report count, so it is the same on every replay. */
static int64_t ranking_interval(const assess_t *a, const assess_period_state *st)
{
    int64_t per = a->cfg->ranking_coalesce_reports > 0 ? a->cfg->ranking_coalesce_reports : 1;

    return a->cfg->ranking_coalesce_ms * (1 + (st->reports > 0 ? st->reports : 0) / per);
}

int assess_ranking_update(assess_t *a, store_txn_t *txn, const char *text, int64_t now_ms)
{
    assess_period_state st;
    assess_rows r;
    period p;
    int rc;

    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK)
        return rc;
    if (st.closed || period_parse(text, &p) != JIJU_OK)
        return assess_flag_del(a, txn, ACF_DIRTY, text); /* published instead */
    if (st.ranking_sent_ms != 0 && now_ms - st.ranking_sent_ms < ranking_interval(a, &st))
        return JIJU_OK; /* stays dirty for a later tick */
    if ((rc = assess_rows_load(a, txn, text, &p, &r)) != JIJU_OK)
        return rc;
    if ((rc = assess_rows_score(a, txn, &r)) == JIJU_OK)
        rc = assess_rows_emit(a, txn, text, &r, false, now_ms, NULL);
    assess_rows_free(&r);
    if (rc != JIJU_OK)
        return rc;
    /* the city's target progress changes with the same reports: said with
     * the ranking, so at most once per period per interval too */
    if ((rc = assess_emit_targets(a, txn, text, &p, &st, now_ms, false)) != JIJU_OK)
        return rc;
    st.ranking_sent_ms = now_ms;
    if ((rc = assess_period_put(a, txn, text, &st)) != JIJU_OK)
        return rc;
    return assess_flag_del(a, txn, ACF_DIRTY, text);
}

/* Past the budget once a period's work wrote something (so each part of
 * a tick does at least one period's work, and what it has not done stays
 * due for a later tick). */
static bool tick_spent(const store_txn_t *txn, size_t before, int64_t t0_us, int64_t budget_us)
{
    return budget_us > 0 && store_txn_count(txn) > before && clock_mono_us() - t0_us >= budget_us;
}

typedef int (*tick_part_fn)(assess_t *a, store_txn_t *txn, const char *text, int64_t now_ms);

/* The period's ReportOverdue, if its deadline has passed and they were not
 * said yet. */
static int overdue_due(assess_t *a, store_txn_t *txn, const char *text, int64_t now_ms)
{
    assess_period_state st;
    int rc;

    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK)
        return rc;
    if (!st.overdue_done && !st.closed && now_ms >= st.deadline_ms)
        rc = overdue(a, txn, text, &st, now_ms);
    return rc;
}

/* One part of a tick: fn for each period flagged in cf, in key order, until
 * one takes it past budget_us (0: no bound); *left says periods were left. */
static int tick_part(assess_t *a, store_txn_t *txn, int cf, tick_part_fn fn, int64_t now_ms,
                     int64_t budget_us, bool *left)
{
    char **keys = NULL;
    size_t n = 0, i;
    int64_t t0 = clock_mono_us();
    bool spent = false;
    int rc;

    if ((rc = assess_keys(a, txn, cf, "", 0, &keys, &n)) != JIJU_OK)
        return rc;
    for (i = 0; rc == JIJU_OK && i < n && !spent; i++) {
        size_t before = store_txn_count(txn);
        rc = fn(a, txn, keys[i], now_ms);
        spent = tick_spent(txn, before, t0, budget_us);
    }
    *left = spent && i < n;
    assess_keys_free(&keys, n);
    return rc;
}

int assess_tick_slice(assess_t *a, store_txn_t *txn, int64_t now_ms, int64_t budget_us, bool *more)
{
    bool overdue_left = false, ranking_left = false;
    int rc;

    /* the rankings have a budget of their own: a tick of many overdue
     * periods still ranks one */
    if ((rc = tick_part(a, txn, ACF_OPEN, overdue_due, now_ms, budget_us, &overdue_left)) ==
            JIJU_OK &&
        (rc = tick_part(a, txn, ACF_DIRTY, assess_ranking_update, now_ms, budget_us,
                        &ranking_left)) == JIJU_OK &&
        more)
        *more = overdue_left || ranking_left;
    return rc;
}

int assess_tick(assess_t *a, store_txn_t *txn, int64_t now_ms)
{
    return assess_tick_slice(a, txn, now_ms, 0, NULL);
}

int assess_restore_event(assess_t *a, store_txn_t *txn, const uint8_t *data, size_t len)
{
    Jiju__V1__Envelope *env = envelope_decode(data, len);
    assess_period_state st;
    const char *text;
    int rc = JIJU_OK;

    if (!env)
        return JIJU_ERR_CORRUPT;
    if (env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_OVERDUE) {
        text = env->report_overdue->period;
        rc = assess_period_get(a, txn, text, &st);
        if (rc == JIJU_OK && st.opened && !st.overdue_done) {
            st.overdue_done = true;
            rc = assess_period_put(a, txn, text, &st);
        }
    }
    envelope_free(&env);
    return rc;
}
