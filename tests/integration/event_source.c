/* event_source - a real producer of an "events" stream for notification's
 * integration tests while assessment is not in the loop: it owns a RocksDB
 * log, appends synthetic but well-formed events to it (envelope_append, as
 * assessment does) and serves it with stream_serve on a real socket. It is
 * a producer, not a stand-in for notification.
 *
 *   event_source ENDPOINT DIR COUNT [BATCH [INTERVAL_MS [CLUSTERS [RANK_ENTRIES]]]]
 *
 * appends BATCH events every INTERVAL_MS until the log holds COUNT, then
 * keeps serving until SIGTERM. RANK_ENTRIES > 0: every event i = 1 mod 6
 * is a RankingUpdated page of that many entries instead of TargetProgress
 * (assessment's are ~250 bytes an entry, ~250 KB a page). Event i concerns cluster C<k> (k = i mod
 * CLUSTERS), of category 1 + k mod 9 and county COUNTIES[k mod 9]; its type
 * cycles through TYPES. Restarting on the same DIR continues the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "log.h"
#include "store.h"
#include "stream.h"
#include "svc.h"

static const char *const COUNTIES[9] = {"昌邑区", "龙潭区", "船营区", "丰满区", "永吉县",
                                        "蛟河市", "桦甸市", "舒兰市", "磐石市"};

typedef struct {
    stream_log_t *log;
    store_t *store;
    uint64_t count;
    int batch, clusters, rank_entries;
} source;

/* A RankingUpdated page of n entries, appended as event i. */
static int append_ranking(source *src, store_txn_t *txn, Jiju__V1__Envelope *env, int n)
{
    Jiju__V1__RankingUpdated ru = JIJU__V1__RANKING_UPDATED__INIT;
    Jiju__V1__RankEntry *e = calloc((size_t)n, sizeof *e), **ep = calloc((size_t)n, sizeof *ep);
    char(*ids)[16] = calloc((size_t)n, sizeof *ids);
    int rc = -1;

    if (e && ep && ids) {
        for (int k = 0; k < n; k++) {
            jiju__v1__rank_entry__init(&e[k]);
            snprintf(ids[k], sizeof ids[k], "C%05d", k);
            e[k].cluster_id = ids[k];
            e[k].cluster_name = (char *)"吉林市某某现代物流产业园区集群（测试）";
            e[k].category = (Jiju__V1__Category)(1 + k % 9);
            e[k].rank = e[k].category_rank = (uint32_t)k + 1;
            e[k].score_micros = 90000000 - k;
            e[k].status = JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED;
            e[k].status_reason = (char *)"";
            e[k].indicators_reported = 6;
            ep[k] = &e[k];
        }
        ru.period = (char *)"2023";
        ru.n_entries = (size_t)n;
        ru.entries = ep;
        ru.page = ru.pages = 1;
        env->subject = (char *)"";
        env->category = 0;
        env->county = (char *)"";
        env->body_case = JIJU__V1__ENVELOPE__BODY_RANKING_UPDATED;
        env->ranking_updated = &ru;
        rc = envelope_append(src->log, txn, "assessment", env, NULL);
    }
    free(e);
    free(ep);
    free(ids);
    return rc;
}

static stream_log_t *serve_log(void *arg, const char *stream, const char *consumer,
                               stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    (void)consumer;
    return strcmp(stream, "events") == 0 ? ((source *)arg)->log : NULL;
}

/* Build event i (1-based) with one of six body types. */
static int append_event(source *src, store_txn_t *txn, uint64_t i)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__AwardGranted aw = JIJU__V1__AWARD_GRANTED__INIT;
    Jiju__V1__TargetProgress tp = JIJU__V1__TARGET_PROGRESS__INIT;
    Jiju__V1__ReportOverdue ro = JIJU__V1__REPORT_OVERDUE__INIT;
    Jiju__V1__EliminationWarning ew = JIJU__V1__ELIMINATION_WARNING__INIT;
    Jiju__V1__NominationRecommended nr = JIJU__V1__NOMINATION_RECOMMENDED__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;
    char cluster[32], award[64];
    int k = (int)(i % (uint64_t)src->clusters);

    snprintf(cluster, sizeof cluster, "C%03d", k);
    env.subject = cluster;
    env.period = (char *)"2023";
    env.category = (Jiju__V1__Category)(1 + k % 9);
    env.county = (char *)COUNTIES[k % 9];
    switch (i % 6) {
    case 0:
        snprintf(award, sizeof award, "TOP_RANKED/%s/%llu", cluster, (unsigned long long)i);
        aw.award_id = award;
        aw.kind = JIJU__V1__AWARD_KIND__TOP_RANKED;
        aw.cluster_id = cluster;
        aw.period = (char *)"2023";
        aw.amount_fen = 50000000;
        aw.rank = 1;
        env.body_case = JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED;
        env.award_granted = &aw;
        break;
    case 1:
        if (src->rank_entries > 0)
            return append_ranking(src, txn, &env, src->rank_entries);
        tp.year = 2023;
        tp.period = (char *)"2023";
        tp.revenue_fen = (int64_t)i;
        env.subject = (char *)"";
        env.category = 0;
        env.county = (char *)"";
        env.body_case = JIJU__V1__ENVELOPE__BODY_TARGET_PROGRESS;
        env.target_progress = &tp;
        break;
    case 2:
        ro.cluster_id = cluster;
        ro.period = (char *)"2023";
        ro.deadline_ms = 1700000000000LL;
        env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_OVERDUE;
        env.report_overdue = &ro;
        break;
    case 3:
        ew.cluster_id = cluster;
        ew.period = (char *)"2023";
        ew.consecutive = 1;
        env.body_case = JIJU__V1__ENVELOPE__BODY_ELIMINATION_WARNING;
        env.elimination_warning = &ew;
        break;
    case 4:
        nr.cluster_id = cluster;
        nr.period = (char *)"2023";
        nr.consecutive = 2;
        env.body_case = JIJU__V1__ENVELOPE__BODY_NOMINATION_RECOMMENDED;
        env.nomination_recommended = &nr;
        break;
    default:
        pc.period = (char *)"2023";
        env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
        env.period_closed = &pc;
        break;
    }
    return envelope_append(src->log, txn, "assessment", &env, NULL);
}

static void tick(svc_t *svc, void *arg)
{
    source *src = arg;
    store_txn_t *txn;
    uint64_t next = stream_log_next(src->log);

    (void)svc;
    if (next > src->count || !(txn = store_txn_new(src->store)))
        return;
    for (int b = 0; b < src->batch && next <= src->count; b++, next++)
        if (append_event(src, txn, next) != 0)
            exit(EXIT_FAILURE);
    if (store_txn_commit(txn, true) != 0)
        exit(EXIT_FAILURE);
    store_txn_destroy(&txn);
    if (next > src->count)
        log_info("source_complete", "last=%llu", (unsigned long long)stream_log_last(src->log));
}

int main(int argc, char **argv)
{
    const char *cfs[] = {STORE_STREAM_CFS};
    stream_opts so = {.self_id = "assessment", .heartbeat_ms = 500, .timeout_ms = 3000};
    source src = {0};
    char err[256];
    svc_t *svc;
    stream_peer_t *peer;

    if (argc < 4) {
        fprintf(stderr, "usage: event_source ENDPOINT DIR COUNT [BATCH [INTERVAL_MS [CLUSTERS "
                        "[RANK_ENTRIES]]]]\n");
        return 2;
    }
    log_init("event_source", LOG_INFO);
    src.count = strtoull(argv[3], NULL, 10);
    src.batch = argc > 4 ? atoi(argv[4]) : 50;
    int interval = argc > 5 ? atoi(argv[5]) : 10;
    src.clusters = argc > 6 ? atoi(argv[6]) : 30;
    src.rank_entries = argc > 7 ? atoi(argv[7]) : 0;
    if (!(src.store = store_open(argv[2], cfs, 3, err, sizeof err)) ||
        !(src.log = stream_log_open(src.store, "events")) || !(svc = svc_new("event_source"))) {
        fprintf(stderr, "event_source: cannot open %s: %s\n", argv[2], err);
        return 1;
    }
    if (!(peer = stream_serve(svc, src.store, argv[1], &so, serve_log, NULL, &src)) ||
        svc_every(svc, interval > 0 ? interval : 1, tick, &src) != 0) {
        fprintf(stderr, "event_source: cannot serve %s\n", argv[1]);
        return 1;
    }
    log_info("source_started", "endpoint=%s last=%llu target=%llu", argv[1],
             (unsigned long long)stream_log_last(src.log), (unsigned long long)src.count);
    svc_run(svc);
    stream_peer_destroy(&peer);
    stream_log_destroy(&src.log);
    store_close(&src.store);
    svc_destroy(&svc);
    return 0;
}
