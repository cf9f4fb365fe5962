/* assess_log.c - assessment's business events in the log and in /metrics:
 * one key=value line for each period opened or closed (with its counts),
 * award, elimination warning, elimination and nomination, and a counter per
 * event type. Called by assess_emit for every event appended.
 *
 * Only the live "events" log is told about: a rebuild re-derives decisions
 * into a scratch log to compare them, and those were made (and logged) once
 * already. A line is written when the event is appended, inside the txn:
 * a commit that then fails stops the service, which applies the same input
 * again after the restart, so a line may repeat after a crash, never go
 * missing. */
#include <string.h>

#include "assess_state.h"
#include "log.h"
#include "metrics.h"

/* The short type name of an event (its body field name). */
static const char *event_type(const Jiju__V1__Envelope *env)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&jiju__v1__envelope__descriptor, env->body_case);

    return f ? f->name : "unknown";
}

static void count(const Jiju__V1__Envelope *env)
{
    static metrics_family *f;
    char l[METRICS_LABELS_MAX];

    if (!f)
        f = metrics_counter("jiju_assessment_events_total", "events appended, by type");
    metrics_add(f, metrics_labels(l, sizeof l, "type", event_type(env), NULL), 1);
}

static void closed(assess_t *a, store_txn_t *txn, const char *ptext)
{
    assess_period_state st;
    assess_close_tally *t = &a->tally;
    int same = strcmp(t->period, ptext) == 0;

    if (assess_period_get(a, txn, ptext, &st) != 0)
        memset(&st, 0, sizeof st);
    log_info("period_closed",
             "period=%s reports=%lld ranked=%u awards=%u warnings=%u "
             "eliminations=%u nominations=%u revenue_fen=%lld enterprises=%lld employment=%lld",
             ptext, (long long)st.reports, same ? t->ranked : 0, same ? t->awards : 0,
             same ? t->warnings : 0, same ? t->eliminations : 0, same ? t->nominations : 0,
             (long long)st.revenue_fen, (long long)st.enterprises, (long long)st.employment);
    memset(t, 0, sizeof *t);
}

/* The close of a period emits RankingPublished first, then its decisions,
 * then PeriodClosed: the tally counts them for the closing line. */
static assess_close_tally *tally(assess_t *a, const char *ptext)
{
    if (strcmp(a->tally.period, ptext) != 0) {
        memset(&a->tally, 0, sizeof a->tally);
        snprintf(a->tally.period, sizeof a->tally.period, "%s", ptext);
    }
    return &a->tally;
}

void assess_log_event(assess_t *a, store_txn_t *txn, const Jiju__V1__Envelope *env)
{
    if (strcmp(stream_log_name(a->events), "events") != 0)
        return;
    count(env);
    switch (env->body_case) {
    case JIJU__V1__ENVELOPE__BODY_PERIOD_OPENED:
        log_info("period_opened", "period=%s deadline_ms=%lld", env->period_opened->period,
                 (long long)env->period_opened->deadline_ms);
        break;
    case JIJU__V1__ENVELOPE__BODY_RANKING_PUBLISHED:
        tally(a, env->ranking_published->period)->ranked =
            (unsigned)env->ranking_published->n_entries;
        break;
    case JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED: {
        const Jiju__V1__AwardGranted *g = env->award_granted;
        const ProtobufCEnumValue *k =
            protobuf_c_enum_descriptor_get_value(&jiju__v1__award_kind__descriptor, g->kind);

        tally(a, g->period)->awards++;
        log_info("award_granted", "award=%s kind=%s cluster=%s period=%s rank=%u amount_fen=%lld",
                 g->award_id, k ? k->name : "?", g->cluster_id, g->period[0] ? g->period : "-",
                 g->rank, (long long)g->amount_fen);
        break;
    }
    case JIJU__V1__ENVELOPE__BODY_ELIMINATION_WARNING: {
        const Jiju__V1__EliminationWarning *w = env->elimination_warning;

        tally(a, w->period)->warnings++;
        log_info("elimination_warning", "cluster=%s period=%s consecutive=%u reason=\"%s\"",
                 w->cluster_id, w->period, w->consecutive, w->n_reasons ? w->reasons[0] : "");
        break;
    }
    case JIJU__V1__ENVELOPE__BODY_CLUSTER_ELIMINATED: {
        const Jiju__V1__ClusterEliminated *e = env->cluster_eliminated;

        if (e->period[0])
            tally(a, e->period)->eliminations++;
        log_info("cluster_eliminated", "cluster=%s period=%s reason=\"%s\"", e->cluster_id,
                 e->period[0] ? e->period : "-", e->n_reasons ? e->reasons[0] : "");
        break;
    }
    case JIJU__V1__ENVELOPE__BODY_NOMINATION_RECOMMENDED: {
        const Jiju__V1__NominationRecommended *n = env->nomination_recommended;

        tally(a, n->period)->nominations++;
        log_info("nomination_recommended", "cluster=%s period=%s consecutive=%u", n->cluster_id,
                 n->period, n->consecutive);
        break;
    }
    case JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED:
        closed(a, txn, env->period_closed->period);
        break;
    default:
        break;
    }
}

/* Period states for /metrics: how many periods are open and closed, and
 * the reports counted so far in each open one. */
void assess_metrics_collect(void *arg)
{
    assess_t *a = arg;
    metrics_family *n = metrics_gauge_collected("jiju_assessment_periods", "periods by state");
    metrics_family *r = metrics_gauge_collected("jiju_assessment_open_period_reports",
                                                "active clusters with a report in an open period");
    store_iter_t *it = store_iter_new(a->store, a->cf[ACF_PERIODS]);
    store_txn_t *txn = store_txn_new(a->store);
    double open = 0, closed_n = 0;
    char l[METRICS_LABELS_MAX], text[64];

    if (!it || !txn)
        goto out;
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const char *k = store_iter_key(it, &klen);
        assess_period_state st;

        if (klen >= sizeof text)
            continue;
        memcpy(text, k, klen);
        text[klen] = '\0';
        if (assess_period_get(a, txn, text, &st) != 0)
            continue;
        if (st.closed) {
            closed_n++;
        } else if (st.opened) {
            open++;
            metrics_set(r, metrics_labels(l, sizeof l, "period", text, NULL), (double)st.reports);
        }
    }
    metrics_set(n, "state=\"open\"", open);
    metrics_set(n, "state=\"closed\"", closed_n);
out:
    store_iter_destroy(&it);
    store_txn_destroy(&txn);
}
