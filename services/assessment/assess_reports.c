/* assess_reports.c - applying an accepted report: the highest revision per
 * (cluster, period) wins whatever the arrival order, and the period's sums
 * are kept up to date incrementally. Target progress (seed 一.二) is a
 * city-wide fact: it is not said per report but coalesced with the
 * provisional ranking (assess_tick.c) and said once more at close, where it
 * is frozen (assess_frozen). O(1) store reads per report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "pb.h"
#include "report_digest.h"

Jiju__V1__Report *assess_report_get(assess_t *a, store_txn_t *txn, const char *ptext,
                                    const char *id)
{
    char key[ASSESS_KEY_CAP];
    size_t klen = assess_pkey(key, ptext, id);
    void *v = NULL;
    size_t len = 0;
    Jiju__V1__Report *r;

    if (!klen || !assess_may_hold(a, ACF_REPORTS, key, klen) || /* certainly none */
        store_txn_get(txn, a->cf[ACF_REPORTS], key, klen, &v, &len) != JIJU_OK)
        return NULL;
    r = jiju__v1__report__unpack(NULL, len, v);
    free(v);
    return r;
}

static int report_put(assess_t *a, store_txn_t *txn, const Jiju__V1__Report *r)
{
    char key[ASSESS_KEY_CAP];
    size_t klen = assess_pkey(key, r->period, r->cluster_id);

    if (!klen)
        return JIJU_ERR_INVALID;
    assess_filter_note(a, ACF_REPORTS, key, klen);
    return pb_txn_put(txn, a->cf[ACF_REPORTS], key, klen, &r->base);
}

void assess_period_sums(assess_period_state *st, const Jiju__V1__Report *r, int sign)
{
    st->reports += sign;
    if (r->revenue_present_case == JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN)
        st->revenue_fen += sign * r->revenue_fen;
    if (r->enterprises_present_case == JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES)
        st->enterprises += sign * r->enterprises;
    if (r->employment_present_case == JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT)
        st->employment += sign * r->employment;
}

/* value / target in millionths, rounded half up; 0 without a target. */
static int64_t pct_micros(int64_t value, int64_t target)
{
    __int128 num;

    if (target <= 0)
        return 0;
    num = (__int128)value * ASSESS_MICROS;
    if (num >= 0)
        return (int64_t)((num + target / 2) / target);
    return -(int64_t)((-num + target / 2) / target);
}

void assess_target_fill(assess_t *a, store_txn_t *txn, int year, const char *ptext,
                        const assess_period_state *st, Jiju__V1__TargetProgress *tp)
{
    const assess_target *t = NULL;
    int64_t active = assess_active_count(a, txn);

    for (int i = 0; i < a->cfg->n_targets; i++)
        if (a->cfg->targets[i].year == year)
            t = &a->cfg->targets[i];
    tp->year = (uint32_t)year;
    tp->period = (char *)ptext;
    tp->active_clusters = (uint32_t)active;
    tp->revenue_fen = st->revenue_fen;
    tp->enterprises = st->enterprises;
    tp->employment = st->employment;
    if (!t)
        return; /* no target set for the year: the figures alone */
    tp->target_clusters = (uint32_t)t->clusters;
    tp->target_revenue_fen = t->revenue_fen;
    tp->target_enterprises = t->enterprises;
    tp->target_employment = t->employment;
    tp->clusters_pct_micros = pct_micros(active, t->clusters);
    tp->revenue_pct_micros = pct_micros(st->revenue_fen, t->revenue_fen);
    tp->enterprises_pct_micros = pct_micros(st->enterprises, t->enterprises);
    tp->employment_pct_micros = pct_micros(st->employment, t->employment);
}

int assess_emit_targets(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                        const assess_period_state *st, int64_t time_ms, bool freeze)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__TargetProgress tp = JIJU__V1__TARGET_PROGRESS__INIT;
    int rc;

    assess_target_fill(a, txn, period_year(p), text, st, &tp);
    env.body_case = JIJU__V1__ENVELOPE__BODY_TARGET_PROGRESS;
    env.target_progress = &tp;
    env.time_ms = time_ms;
    /* no cluster subject, category or county: city totals concern the
     * departments that follow the targets (notification routes by type) */
    if ((rc = assess_emit(a, txn, &env, NULL, text)) != JIJU_OK || !freeze)
        return rc;
    /* what the close said is what GetTargets answers for the period ever after */
    return pb_txn_put(txn, a->cf[ACF_FROZEN], text, strlen(text), &tp.base);
}

Jiju__V1__TargetProgress *assess_frozen_targets(assess_t *a, store_txn_t *txn, const char *text)
{
    Jiju__V1__TargetProgress *tp;
    void *v = NULL;
    size_t len = 0;

    if (store_txn_get(txn, a->cf[ACF_FROZEN], text, strlen(text), &v, &len) != JIJU_OK)
        return NULL;
    tp = jiju__v1__target_progress__unpack(NULL, len, v);
    free(v);
    return tp;
}

static int emit_accepted(assess_t *a, store_txn_t *txn, const Jiju__V1__ReportAccepted *in,
                         const char *producer_id, uint64_t seq, bool superseded,
                         const Jiju__V1__Cluster *c)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = *in; /* report and warnings as ingest accepted them */

    ra.ingest_instance = (char *)producer_id;
    ra.ingest_seq = seq;
    ra.superseded = superseded;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    return assess_emit(a, txn, &env, c, in->report->period);
}

/* A report ingest accepted but assessment cannot apply: the cluster is
 * unknown or eliminated, or the period closed, by the time it arrived
 * (replicas race with the registry they follow). */
static int emit_rejected(assess_t *a, store_txn_t *txn, const Jiju__V1__Report *r,
                         const Jiju__V1__Cluster *c, const char *code)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportRejected rj = JIJU__V1__REPORT_REJECTED__INIT;
    Jiju__V1__Problem pb = JIJU__V1__PROBLEM__INIT, *pbs[1] = {&pb};
    char zh[256], en[256];
    bool period_closed = strcmp(code, "E_PERIOD_CLOSED") == 0;
    bool conflict = strcmp(code, "E_CONFLICT") == 0;

    if (conflict) {
        snprintf(zh, sizeof zh,
                 "报告编号 %s 已以不同内容被采用 (另一 ingest 副本先受理); 本次内容未生效",
                 r->report_id);
        snprintf(en, sizeof en,
                 "report id %s was already applied with different content (another ingest "
                 "replica accepted it first); this content is not applied",
                 r->report_id);
    } else if (period_closed) {
        snprintf(zh, sizeof zh, "报告期 %s 已关闭, 不再接受报告", r->period);
        snprintf(en, sizeof en, "period %s is closed and accepts no more reports", r->period);
    } else if (c) {
        snprintf(zh, sizeof zh, "集聚区 %s 已被淘汰, 不再接受", r->cluster_id);
        snprintf(en, sizeof en, "cluster %s has been eliminated and is no longer accepted",
                 r->cluster_id);
    } else {
        snprintf(zh, sizeof zh, "集聚区 %s 未登记", r->cluster_id);
        snprintf(en, sizeof en, "cluster %s is not registered", r->cluster_id);
    }
    pb.code = (char *)code;
    pb.field = conflict        ? "report.report_id"
               : period_closed ? "report.period"
                               : "report.cluster_id";
    pb.value = conflict ? r->report_id : period_closed ? r->period : r->cluster_id;
    pb.message_zh = zh;
    pb.message_en = en;
    pb.severity = JIJU__V1__SEVERITY__ERROR;
    rj.report = (Jiju__V1__Report *)r;
    rj.problems = pbs;
    rj.n_problems = 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_REJECTED;
    env.report_rejected = &rj;
    if (!c)
        env.subject = r->cluster_id;
    return assess_emit(a, txn, &env, c, r->period);
}

enum { REPORT_NEW, REPORT_SAME, REPORT_OTHER };

/* assess_report_ids through its filter (assess_filter.c): a key never put
 * is not read. */
static int ids_get(assess_t *a, store_txn_t *txn, const void *key, size_t klen, void **v,
                   size_t *len)
{
    if (!assess_may_hold(a, ACF_REPORT_IDS, key, klen))
        return JIJU_ERR_NOT_FOUND;
    return store_txn_get(txn, a->cf[ACF_REPORT_IDS], key, klen, v, len);
}

static int ids_put(assess_t *a, store_txn_t *txn, const void *key, size_t klen, const void *v,
                   size_t len)
{
    assess_filter_note(a, ACF_REPORT_IDS, key, klen);
    return store_txn_put(txn, a->cf[ACF_REPORT_IDS], key, klen, v, len);
}
#define ASSESS_REPORT_KEY_CAP 512

/* Has this report id of its cluster been applied, and with this content?
 * Keys are report_id_key(cluster, id): ids are scoped to their cluster.
 * Each applied id keeps its content digest (stores written before digests
 * were kept hold an empty value: such an id counts as the same report;
 * stores written before ids were scoped hold the bare id, still found). */
static int report_seen(assess_t *a, store_txn_t *txn, const char *key, size_t klen,
                       const Jiju__V1__Report *r, const uint8_t digest[REPORT_DIGEST_LEN])
{
    void *v = NULL;
    size_t len = 0;
    int seen;

    if (ids_get(a, txn, key, klen, &v, &len) != JIJU_OK &&
        (a->ids_scoped || ids_get(a, txn, r->report_id, strlen(r->report_id), &v, &len) != JIJU_OK))
        return REPORT_NEW;
    seen = len == REPORT_DIGEST_LEN && memcmp(v, digest, len) != 0 ? REPORT_OTHER : REPORT_SAME;
    free(v);
    return seen;
}

/* The report replaces old (NULL if none) as the period's latest. */
/* The report replaces old (NULL if none) as the period's latest; the
 * period is marked for the next coalesced ranking and target progress. */
static int report_take(assess_t *a, store_txn_t *txn, const Jiju__V1__Report *r,
                       const Jiju__V1__Report *old, assess_period_state *st)
{
    int rc;

    if (old)
        assess_period_sums(st, old, -1);
    assess_period_sums(st, r, 1);
    if ((rc = report_put(a, txn, r)) != JIJU_OK ||
        (rc = assess_period_put(a, txn, r->period, st)) != JIJU_OK)
        return rc;
    return assess_period_mark_dirty(a, txn, r->period);
}

static bool report_well_formed(const Jiju__V1__Report *r, period *p)
{
    char key[ASSESS_KEY_CAP];

    return r && r->report_id && r->report_id[0] && r->cluster_id && r->cluster_id[0] &&
           r->revision >= 1 && r->period && period_parse(r->period, p) == JIJU_OK &&
           assess_pkey(key, r->period, r->cluster_id) > 0;
}

/* Remember that this content of the id was rejected as a conflict, under
 * the key "<cluster>\0<id>\x01<digest>" beside the applied ids (a report id
 * is printable ASCII, so the two never meet). JIJU_ERR_EXISTS if it was. */
static int note_rejected(assess_t *a, store_txn_t *txn, const char *id, size_t n,
                         const uint8_t digest[REPORT_DIGEST_LEN])
{
    char key[ASSESS_REPORT_KEY_CAP + 1 + REPORT_DIGEST_LEN];
    void *v = NULL;
    size_t len = 0;

    if (n >= ASSESS_REPORT_KEY_CAP)
        return JIJU_ERR_INVALID;
    memcpy(key, id, n);
    key[n] = '\x01';
    memcpy(key + n + 1, digest, REPORT_DIGEST_LEN);
    if (ids_get(a, txn, key, n + 1 + REPORT_DIGEST_LEN, &v, &len) == JIJU_OK) {
        free(v);
        return JIJU_ERR_EXISTS;
    }
    return ids_put(a, txn, key, n + 1 + REPORT_DIGEST_LEN, "", 0);
}

int assess_report_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__ReportAccepted *ra,
                        const char *producer_id, uint64_t seq)
{
    const Jiju__V1__Report *r = ra->report;
    Jiju__V1__Cluster *c = NULL;
    Jiju__V1__Report *old = NULL;
    assess_period_state st;
    uint8_t digest[REPORT_DIGEST_LEN];
    char key[ASSESS_REPORT_KEY_CAP];
    size_t klen;
    period p;
    int rc;

    if (!report_well_formed(r, &p) ||
        !(klen = report_id_key(r->cluster_id, r->report_id, key, sizeof key)))
        return JIJU_ERR_INVALID;
    /* Two replicas may both have accepted one report id before either
     * learned of the other: apply it once. The same content again changes
     * nothing; different content is the CONFLICT ingest would have answered,
     * said now as ReportRejected so the reporter's department hears of it. */
    report_digest(r, digest);
    switch (report_seen(a, txn, key, klen, r, digest)) {
    case REPORT_SAME:
        return JIJU_OK;
    case REPORT_OTHER:
        /* once per content: the losing content may sit in two replicas'
         * logs (a resend after a lost reply), and one conflict is one event */
        if ((rc = note_rejected(a, txn, key, klen, digest)) != JIJU_OK)
            return rc == JIJU_ERR_EXISTS ? JIJU_OK : rc;
        c = assess_cluster_get(a, txn, r->cluster_id);
        rc = emit_rejected(a, txn, r, c, "E_CONFLICT");
        goto out;
    default:
        break;
    }
    if ((rc = assess_period_get(a, txn, r->period, &st)) != JIJU_OK)
        return rc;
    if ((rc = ids_put(a, txn, key, klen, digest, sizeof digest)) != JIJU_OK)
        goto out;
    c = assess_cluster_get(a, txn, r->cluster_id);
    if (!c || c->status == JIJU__V1__CLUSTER_STATUS__ELIMINATED || st.closed) {
        rc = emit_rejected(a, txn, r, c,
                           st.closed ? "E_PERIOD_CLOSED"
                           : c       ? "E_CLUSTER_ELIMINATED"
                                     : "E_UNKNOWN_CLUSTER");
        goto out;
    }
    if ((rc = assess_period_open(a, txn, r->period, &p, &st)) != JIJU_OK)
        goto out;
    old = assess_report_get(a, txn, r->period, r->cluster_id);
    if (old && old->revision >= r->revision) { /* changes nothing, said for the audit trail */
        rc = emit_accepted(a, txn, ra, producer_id, seq, true, c);
        goto out;
    }
    if ((rc = emit_accepted(a, txn, ra, producer_id, seq, false, c)) == JIJU_OK)
        rc = report_take(a, txn, r, old, &st);
out:
    if (old)
        jiju__v1__report__free_unpacked(old, NULL);
    if (c)
        jiju__v1__cluster__free_unpacked(c, NULL);
    return rc;
}
