/* assess_state.h - what the parts of assessment's state machine share: the
 * handle, the column families and their keys, the per-period record, and
 * the helpers that read and write them through a txn.
 *
 * Every read goes through the caller's txn (store_txn_get, store_txn_iter_new),
 * so records applied earlier in the same batch are seen. Two caches keep
 * that view: the period states of one txn (assess_period.c) and the
 * clusters (assess_cluster_cache.c), each serving a txn only what that txn
 * would read from the store. Scans run in key order, never in hash order, so the same
 * inputs produce the same events (determinism, issue 6).
 *
 * Keys (all strings are the ids and period texts as sent, no terminator
 * unless shown):
 *   assess_clusters   id                -> packed jiju.v1.Cluster
 *   assess_runs       id                -> assess_runs record (consecutive counts)
 *   assess_reports    period '\0' id    -> packed jiju.v1.Report (highest revision)
 *   assess_report_ids report_id         -> "" (every report id applied or refused)
 *   assess_periods    period            -> assess_period_state record
 *   assess_open       period            -> "" (periods opened and not closed)
 *   assess_dirty      period            -> "" (provisional ranking to send)
 *   assess_ranks      period '\0' id    -> packed jiju.v1.RankEntry (published)
 *   assess_awards     award id          -> packed jiju.v1.AwardGranted
 *   assess_meta       "active"          -> be64 number of active clusters
 *                     "params"          -> the indicator system in force
 *   assess_frozen     period            -> packed jiju.v1.TargetProgress as
 *                                          the close said it (closed periods) */
#ifndef JIJU_ASSESS_STATE_H
#define JIJU_ASSESS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assess.h"
#include "assess_score.h"
#include "jiju/v1/envelope.pb-c.h"
#include "period.h"

enum {
    ACF_CLUSTERS = 0,
    ACF_RUNS,
    ACF_REPORTS,
    ACF_REPORT_IDS,
    ACF_PERIODS,
    ACF_OPEN,
    ACF_DIRTY,
    ACF_RANKS,
    ACF_AWARDS,
    ACF_META,
    ACF_FROZEN,
    ACF__COUNT
};

/* What the close of one period decided, for its period_closed log line
 * (assess_log.c). */
typedef struct assess_close_tally {
    char period[64];
    unsigned ranked, awards, warnings, eliminations, nominations;
} assess_close_tally;

struct assess {
    store_t *store;
    stream_log_t *events;
    const assess_config *cfg;
    int cf[ACF__COUNT];
    int ids_scoped; /* assess_report_ids holds no bare ids (report_ids_scoped) */
    struct assess_period_cache *periods;   /* assess_period.c */
    struct assess_cluster_cache *clusters; /* assess_cluster_cache.c */
    struct assess_pages *pages;            /* rankings held between query pages (assess_query.c) */
    struct bloom *filter[ACF__COUNT];      /* what a family may hold (assess_filter.c) */
    assess_close_tally tally;
};

/* ---- business events in the log and /metrics (assess_log.c) ---- */

/* Log and count one event appended to the events log (assess_emit). */
void assess_log_event(assess_t *a, store_txn_t *txn, const Jiju__V1__Envelope *env);
/* metrics collector: periods by state (arg: the assess_t). */
void assess_metrics_collect(void *arg);

#define ASSESS_KEY_CAP 192 /* period '\0' id: ids are at most 32 bytes, kept generous */
#define ASSESS_DAY_MS 86400000LL

/* ---- periods (assess_period.c) ---- */

typedef struct assess_period_state {
    bool opened, closed, overdue_done;
    int64_t deadline_ms;
    int64_t ranking_sent_ms;                      /* last RankingUpdated, 0 if none */
    int64_t reports;                              /* active clusters with an applied report */
    int64_t revenue_fen, enterprises, employment; /* sums over those reports */
} assess_period_state;

/* The state of period text (all zero and JIJU_OK if never seen). */
int assess_period_get(assess_t *a, store_txn_t *txn, const char *text, assess_period_state *out);
int assess_period_put(assess_t *a, store_txn_t *txn, const char *text,
                      const assess_period_state *st);
/* The period is marked for the next coalesced ranking (its ACF_DIRTY flag),
 * put once per txn however many reports mark it. */
int assess_period_mark_dirty(assess_t *a, store_txn_t *txn, const char *text);
/* The dirty flag of text was deleted in txn (assess_flag_del). */
void assess_period_dirty_gone(assess_t *a, store_txn_t *txn, const char *text);
/* Frees the cache of period states (assess_destroy). */
void assess_period_cache_free(assess_t *a);
/* Open text if it is neither open nor closed: PeriodOpened, st updated and
 * stored. *st must hold the period's current state. */
int assess_period_open(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                       assess_period_state *st);
/* Close text (idempotent): the whole of assess_close.c, then PeriodClosed. */
int assess_period_close(assess_t *a, store_txn_t *txn, const char *text, const period *p);

/* ---- small helpers (assess.c) ---- */

/* Append env to the events log, routed to subject (may be NULL) and period
 * (may be NULL). The caller keeps ownership of env. */
int assess_emit(assess_t *a, store_txn_t *txn, Jiju__V1__Envelope *env,
                const Jiju__V1__Cluster *subject, const char *ptext);
/* key = period '\0' id; returns its length, 0 if it does not fit. */
size_t assess_pkey(char *key, const char *ptext, const char *id);
/* Every key of cf that starts with prefix, in key order, malloc'd and NUL
 * terminated (period texts, ids). Collect before writing: a txn iterator
 * does not survive writes to the txn. */
int assess_keys(assess_t *a, store_txn_t *txn, int cf, const char *prefix, size_t plen,
                char ***keys, size_t *n);
void assess_keys_free(char ***keys, size_t n);
int assess_flag_put(assess_t *a, store_txn_t *txn, int cf, const char *key);
int assess_flag_del(assess_t *a, store_txn_t *txn, int cf, const char *key);
bool assess_flag_has(assess_t *a, store_txn_t *txn, int cf, const char *key);

/* ---- the filters of report ids and reports (assess_filter.c) ---- */

/* Scan assess_report_ids and assess_reports into their filters (assess_new):
 * JIJU_OK, JIJU_ERR_NOMEM or JIJU_ERR_STORE (nothing kept). */
int assess_filters_load(assess_t *a);
void assess_filters_free(assess_t *a);
/* false: no txn has put key to cf since the start and the store held none
 * then, so a read would find nothing. true: read it (and for a family
 * without a filter). */
bool assess_may_hold(const assess_t *a, int cf, const void *key, size_t klen);
/* Every put to a filtered family notes its key first. */
void assess_filter_note(assess_t *a, int cf, const void *key, size_t klen);
/* Bytes of cf's filter (0 without one). */
size_t assess_filter_bytes(const assess_t *a, int cf);

/* ---- registry (assess_registry.c) ---- */

/* The clusters in memory (assess_cluster_cache.c): what assess_cluster_get
 * reads before the store. get: 1 and the packed cluster as txn sees it
 * (valid until the next call on a), or 0 to read the store; fill: what the
 * store gave txn for id; put: txn put buf (taken, malloc'd) for id. */
typedef struct assess_cluster_cache assess_cluster_cache;
int assess_cluster_cache_get(assess_t *a, store_txn_t *txn, const char *id, uint8_t **buf,
                             size_t *len);
void assess_cluster_cache_fill(assess_t *a, store_txn_t *txn, const char *id, const uint8_t *val,
                               size_t len);
void assess_cluster_cache_put(assess_t *a, store_txn_t *txn, const char *id, uint8_t *buf,
                              size_t len);
void assess_cluster_cache_free(assess_t *a);

/* The cluster (caller frees with jiju__v1__cluster__free_unpacked), or NULL
 * when unknown. */
Jiju__V1__Cluster *assess_cluster_get(assess_t *a, store_txn_t *txn, const char *id);
int assess_cluster_put(assess_t *a, store_txn_t *txn, const Jiju__V1__Cluster *c);
int64_t assess_active_count(assess_t *a, store_txn_t *txn);
/* Take c out of the active set: status, count, the sums of every open period,
 * then ClusterEliminated for period ("" when by command) with reasons. */
int assess_cluster_eliminate(assess_t *a, store_txn_t *txn, Jiju__V1__Cluster *c, const char *ptext,
                             char **reasons, size_t n_reasons);
int assess_registry_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__Command *cmd,
                          int64_t input_ms);

/* ---- awards (assess_awards.c) ---- */

/* "NEW_PROVINCIAL/<cluster>" or "TOP_RANKED/<cluster>/<period>". */
int assess_award_id(char *out, size_t cap, Jiju__V1__AwardKind kind, const char *cluster,
                    const char *ptext);
/* Grant unless already granted (or amount_fen <= 0): store and AwardGranted. */
int assess_award_grant(assess_t *a, store_txn_t *txn, Jiju__V1__AwardKind kind,
                       const Jiju__V1__Cluster *c, const char *ptext, int64_t amount_fen,
                       uint32_t rank);

/* ---- reports and targets (assess_reports.c) ---- */

int assess_report_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__ReportAccepted *ra,
                        const char *producer_id, uint64_t seq);
/* The report stored for (period, id), or NULL. */
Jiju__V1__Report *assess_report_get(assess_t *a, store_txn_t *txn, const char *ptext,
                                    const char *id);
/* Add (sign 1) or take away (sign -1) r's figures and count from st. */
void assess_period_sums(assess_period_state *st, const Jiju__V1__Report *r, int sign);
/* Fill tp (strings borrowed from period) for year from st. */
void assess_target_fill(assess_t *a, store_txn_t *txn, int year, const char *ptext,
                        const assess_period_state *st, Jiju__V1__TargetProgress *tp);
/* TargetProgress for the period (city-wide: no subject), at time_ms (0 =
 * now). If freeze, also kept as the period's figures for ever after. */
int assess_emit_targets(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                        const assess_period_state *st, int64_t time_ms, bool freeze);
/* The TargetProgress frozen at the period's close, or NULL (open, never
 * closed, or closed before figures were frozen). Caller frees with
 * jiju__v1__target_progress__free_unpacked. */
Jiju__V1__TargetProgress *assess_frozen_targets(assess_t *a, store_txn_t *txn, const char *text);

/* ---- scoring rows of one period (assess_rows.c) ---- */

typedef struct assess_rows {
    size_t n;
    assess_row *rows;             /* in cluster id order */
    Jiju__V1__Cluster **clusters; /* owned, parallel to rows */
    Jiju__V1__Report **reports;   /* owned, NULL where the cluster did not report */
    /* after assess_rows_score: scored[0..n_ranked-1] the ranked, best first;
     * scored[n_ranked..n-1] the clusters not ranked, in cluster id order,
     * rank 0 (assess_avail.c) */
    assess_scored *scored;
    size_t n_ranked;
    Jiju__V1__RankStatus *status; /* parallel to rows */
    uint32_t *n_reported;         /* parallel to rows: reported indicators, 0..6 */
} assess_rows;

/* The active clusters with their reports for text and the previous period's
 * figures and published ranks. */
int assess_rows_load(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                     assess_rows *out);
/* Apply the data-availability rule, then score the ranked rows (and only
 * them) with the indicator system in force. */
int assess_rows_score(assess_t *a, store_txn_t *txn, assess_rows *r);
void assess_rows_free(assess_rows *r);

/* ---- data availability (assess_avail.c) ---- */

/* Reported indicators needed to be ranked: ceil(min_pct × 6 / 100). */
uint32_t assess_avail_needed(int64_t min_pct);
/* RANKED, NOT_REPORTED (no report) or INSUFFICIENT_DATA for one row;
 * *n_reported = how many of the six reported indicators it holds. */
Jiju__V1__RankStatus assess_avail(const assess_row *row, bool reported, int64_t min_pct,
                                  uint32_t *n_reported);
/* The reason text for people (zh and en), "" for RANKED. */
void assess_avail_reason(Jiju__V1__RankStatus st, uint32_t n_reported, int64_t min_pct, char *buf,
                         size_t cap);
/* One RankEntry per row of a scored r (ranked best first, then the rest
 * with status and reason). NULL on allocation failure or when r->n == 0.
 * Caller owns the result (assess_score_entries_destroy(&v, r->n)). */
Jiju__V1__RankEntry **assess_rows_entries(assess_t *a, const assess_rows *r);
/* The scored r as RankingPublished (published) or RankingUpdated events of
 * period text, at most ranking.page_entries entries each (page 1..pages,
 * one event when r->n <= that, none of a ranking ever above the stream's
 * frame limit). time_ms 0: the envelope's default. If entries_out, the
 * entries are handed over (caller destroys them with r->n). */
int assess_rows_emit(assess_t *a, store_txn_t *txn, const char *text, const assess_rows *r,
                     bool published, int64_t time_ms, Jiju__V1__RankEntry ***entries_out);

/* ---- the indicator system (assess_params.c) ---- */

/* The indicator system in force (the config's until SetIndicatorSystem). */
int assess_params_get(assess_t *a, store_txn_t *txn, assess_score_params *out);
/* SetIndicatorSystem: refused (JIJU_ERR_INVALID, nothing written) unless the
 * indicators are known and the weights sum to 100; IndicatorSystemChanged. */
int assess_params_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__SetIndicatorSystem *s);

/* ---- close: ranking, awards, elimination, nomination (assess_close.c) ---- */

int assess_close_decide(assess_t *a, store_txn_t *txn, const char *text, const period *p);

/* ---- time: overdue reports and provisional rankings (assess_tick.c) ---- */

int assess_ranking_update(assess_t *a, store_txn_t *txn, const char *text, int64_t now_ms);

#endif
