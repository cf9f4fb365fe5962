/* assess_close.c - the decisions of a period's close (seed 四.十, 五.二): the
 * final ranking (RankingPublished, kept for the next period's rank change),
 * the top-ranked awards, and for every active cluster whether it qualified
 * (EliminationWarning, ClusterEliminated) and whether a city-level cluster
 * meets the provincial thresholds (NominationRecommended).
 *
 * Consecutive counts are kept per cluster and per period kind (years,
 * quarters, months), so closing quarters does not count towards a run of
 * years. O(clusters log clusters) for the ranking, O(clusters) otherwise. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "pb.h"

#define RUNS_VERSION 1
#define RUNS_KINDS 3
#define RUNS_LEN (1 + RUNS_KINDS * 2 * 4)
#define MAX_REASONS 4
#define REASON_CAP 128

typedef struct runs {
    uint32_t unqualified[RUNS_KINDS]; /* consecutive unqualified closes */
    uint32_t nominated[RUNS_KINDS];   /* consecutive closes meeting nomination */
} runs;

static void be32_put(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)(v >> 24);
    o[1] = (uint8_t)(v >> 16);
    o[2] = (uint8_t)(v >> 8);
    o[3] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *i)
{
    return (uint32_t)i[0] << 24 | (uint32_t)i[1] << 16 | (uint32_t)i[2] << 8 | i[3];
}

static int runs_get(assess_t *a, store_txn_t *txn, const char *id, runs *out)
{
    void *v = NULL;
    size_t len = 0;
    const uint8_t *b;
    int rc = store_txn_get(txn, a->cf[ACF_RUNS], id, strlen(id), &v, &len);

    memset(out, 0, sizeof *out);
    if (rc == JIJU_ERR_NOT_FOUND)
        return JIJU_OK;
    if (rc != JIJU_OK)
        return rc;
    b = v;
    if (len != RUNS_LEN || b[0] != RUNS_VERSION) {
        free(v);
        return JIJU_ERR_CORRUPT;
    }
    for (int k = 0; k < RUNS_KINDS; k++) {
        out->unqualified[k] = be32_get(b + 1 + 8 * k);
        out->nominated[k] = be32_get(b + 1 + 8 * k + 4);
    }
    free(v);
    return JIJU_OK;
}

static int runs_put(assess_t *a, store_txn_t *txn, const char *id, const runs *r)
{
    uint8_t b[RUNS_LEN];

    b[0] = RUNS_VERSION;
    for (int k = 0; k < RUNS_KINDS; k++) {
        be32_put(b + 1 + 8 * k, r->unqualified[k]);
        be32_put(b + 1 + 8 * k + 4, r->nominated[k]);
    }
    return store_txn_put(txn, a->cf[ACF_RUNS], id, strlen(id), b, sizeof b);
}

/* RankingPublished (paged), and every entry kept under (period, cluster). */
static int publish(assess_t *a, store_txn_t *txn, const char *text, const assess_rows *r)
{
    Jiju__V1__RankEntry **entries = NULL;
    char key[ASSESS_KEY_CAP];
    int rc = assess_rows_emit(a, txn, text, r, true, 0, &entries);

    for (size_t i = 0; rc == JIJU_OK && i < r->n; i++) {
        size_t klen = assess_pkey(key, text, entries[i]->cluster_id);
        rc = pb_txn_put(txn, a->cf[ACF_RANKS], key, klen, &entries[i]->base);
    }
    assess_score_entries_destroy(&entries, r->n);
    return rc;
}

/* TOP_RANKED for ranks 1..top_n. A cluster that did not report is not
 * rewarded for a score made of imputed values; its amount is not passed on. */
static int award_top(assess_t *a, store_txn_t *txn, const char *text, const assess_rows *r)
{
    size_t top = (size_t)a->cfg->top_n;
    int rc = JIJU_OK;

    if (top > sizeof a->cfg->top_amount_yuan / sizeof a->cfg->top_amount_yuan[0])
        top = sizeof a->cfg->top_amount_yuan / sizeof a->cfg->top_amount_yuan[0];
    for (size_t k = 0; rc == JIJU_OK && k < top && k < r->n_ranked; k++) {
        size_t row = r->scored[k].row;
        if (!r->reports[row])
            continue;
        rc = assess_award_grant(a, txn, JIJU__V1__AWARD_KIND__TOP_RANKED, r->clusters[row], text,
                                a->cfg->top_amount_yuan[k] * 100, r->scored[k].rank);
    }
    return rc;
}

typedef struct verdict {
    char text[MAX_REASONS][REASON_CAP];
    char *reasons[MAX_REASONS];
    size_t n;
} verdict;

static void reason(verdict *v, const char *what, bool present, int64_t value, int64_t min)
{
    if (min <= 0 || (present && value >= min) || v->n == MAX_REASONS)
        return;
    if (present)
        snprintf(v->text[v->n], REASON_CAP, "%s %" PRId64 " < minimum %" PRId64, what, value, min);
    else
        snprintf(v->text[v->n], REASON_CAP, "%s not reported (minimum %" PRId64 ")", what, min);
    v->reasons[v->n] = v->text[v->n];
    v->n++;
}

/* The reasons row is unqualified for (none: qualified). A cluster with no
 * report, or too little reported to be ranked, is unqualified for that
 * (seed 五.三 makes reporting the management organisation's duty): the
 * warning the policy asks for a cluster that does not report. */
static void judge(const assess_config *cfg, const assess_rows *r, size_t i, int64_t score,
                  verdict *v)
{
    const assess_row *row = &r->rows[i];

    v->n = 0;
    if (r->status[i] == JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED) {
        snprintf(v->text[0], REASON_CAP, "no report");
        v->reasons[0] = v->text[0];
        v->n = 1;
        return;
    }
    if (r->status[i] == JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA) {
        snprintf(v->text[v->n], REASON_CAP,
                 "insufficient data: %u of %d indicators reported (minimum %u)", r->n_reported[i],
                 ASSESS_N_REPORTED, assess_avail_needed(cfg->min_reported_pct));
        v->reasons[v->n] = v->text[v->n];
        v->n++;
    }
    reason(v, "enterprises", row->present[IND_ENTERPRISES], row->value[IND_ENTERPRISES],
           cfg->min_enterprises);
    reason(v, "revenue_fen", row->present[IND_REVENUE], row->value[IND_REVENUE],
           cfg->min_revenue_fen);
    reason(v, "employment", row->present[IND_EMPLOYMENT], row->value[IND_EMPLOYMENT],
           cfg->min_employment);
    if (r->status[i] == JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED) /* the others have no score */
        reason(v, "score_micros", true, score, cfg->min_score_micros);
}

static bool meets_nomination(const assess_config *cfg, const assess_row *row)
{
    return row->present[IND_ENTERPRISES] &&
           row->value[IND_ENTERPRISES] >= cfg->nominate_enterprises && row->present[IND_REVENUE] &&
           row->value[IND_REVENUE] >= cfg->nominate_revenue_fen && row->present[IND_EMPLOYMENT] &&
           row->value[IND_EMPLOYMENT] >= cfg->nominate_employment;
}

static int emit_warning(assess_t *a, store_txn_t *txn, const char *text, const Jiju__V1__Cluster *c,
                        verdict *v, uint32_t consecutive)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__EliminationWarning w = JIJU__V1__ELIMINATION_WARNING__INIT;

    w.cluster_id = c->id;
    w.period = (char *)text;
    w.reasons = v->reasons;
    w.n_reasons = v->n;
    w.consecutive = consecutive;
    env.body_case = JIJU__V1__ENVELOPE__BODY_ELIMINATION_WARNING;
    env.elimination_warning = &w;
    return assess_emit(a, txn, &env, c, text);
}

static int emit_nomination(assess_t *a, store_txn_t *txn, const char *text,
                           const Jiju__V1__Cluster *c, uint32_t consecutive)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__NominationRecommended nr = JIJU__V1__NOMINATION_RECOMMENDED__INIT;

    nr.cluster_id = c->id;
    nr.period = (char *)text;
    nr.consecutive = consecutive;
    env.body_case = JIJU__V1__ENVELOPE__BODY_NOMINATION_RECOMMENDED;
    env.nomination_recommended = &nr;
    return assess_emit(a, txn, &env, c, text);
}

/* One cluster's verdict: warning and maybe elimination, or a step towards
 * nomination (recommended once per run, when the run reaches its length). */
static int decide_one(assess_t *a, store_txn_t *txn, const char *text, int kind, assess_rows *r,
                      size_t row, int64_t score)
{
    const assess_config *cfg = a->cfg;
    Jiju__V1__Cluster *c = r->clusters[row];
    verdict v;
    runs rn;
    int rc;

    if ((rc = runs_get(a, txn, c->id, &rn)) != JIJU_OK)
        return rc;
    judge(cfg, r, row, score, &v);
    if (v.n > 0) {
        rn.unqualified[kind]++;
        rn.nominated[kind] = 0;
        if ((rc = runs_put(a, txn, c->id, &rn)) != JIJU_OK ||
            (rc = emit_warning(a, txn, text, c, &v, rn.unqualified[kind])) != JIJU_OK)
            return rc;
        if (cfg->eliminate_after > 0 && rn.unqualified[kind] >= (uint64_t)cfg->eliminate_after)
            rc = assess_cluster_eliminate(a, txn, c, text, v.reasons, v.n);
        return rc;
    }
    rn.unqualified[kind] = 0;
    if (c->level != JIJU__V1__LEVEL__PROVINCIAL && meets_nomination(cfg, &r->rows[row]))
        rn.nominated[kind]++;
    else
        rn.nominated[kind] = 0;
    if ((rc = runs_put(a, txn, c->id, &rn)) != JIJU_OK)
        return rc;
    if (cfg->nominate_after > 0 && rn.nominated[kind] == (uint64_t)cfg->nominate_after)
        rc = emit_nomination(a, txn, text, c, rn.nominated[kind]);
    return rc;
}

static int decide_all(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                      assess_rows *r)
{
    int64_t *score = malloc((r->n ? r->n : 1) * sizeof *score);
    int rc = JIJU_OK;

    if (!score)
        return JIJU_ERR_NOMEM;
    for (size_t k = 0; k < r->n; k++)
        score[r->scored[k].row] = r->scored[k].score_micros;
    /* cluster id order: the same order on every replay */
    for (size_t row = 0; rc == JIJU_OK && row < r->n; row++)
        rc = decide_one(a, txn, text, (int)p->kind - 1, r, row, score[row]);
    free(score);
    return rc;
}

int assess_close_decide(assess_t *a, store_txn_t *txn, const char *text, const period *p)
{
    assess_rows r;
    int rc;

    if ((rc = assess_rows_load(a, txn, text, p, &r)) != JIJU_OK)
        return rc;
    if ((rc = assess_rows_score(a, txn, &r)) == JIJU_OK &&
        (rc = publish(a, txn, text, &r)) == JIJU_OK &&
        (rc = award_top(a, txn, text, &r)) == JIJU_OK)
        rc = decide_all(a, txn, text, p, &r);
    assess_rows_free(&r);
    return rc;
}
