/* assess_avail.c - the data-availability rule of the ranking (issue 11.4):
 * composite indicators are computed only for units with enough data, as
 * composite-indicator practice does (OECD/JRC Handbook on Constructing
 * Composite Indicators, 2008: imputation fills gaps, it does not stand in
 * for a unit that did not report). A cluster with no accepted report for
 * the period is 未报送; one whose report holds fewer than
 * ranking.min_reported_pct of the six reported indicators is 数据不足.
 * Neither is scored, ranked, rewarded, or counted in anyone's rank, rank
 * change, category rank, normalisation or contribution share; both appear
 * in the ranking after the ranked clusters, with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"

uint32_t assess_avail_needed(int64_t min_pct)
{
    /* ceil(min_pct × 6 / 100): 65 % of six indicators is 3.9, so four */
    return (uint32_t)((min_pct * ASSESS_N_REPORTED + 99) / 100);
}

Jiju__V1__RankStatus assess_avail(const assess_row *row, bool reported, int64_t min_pct,
                                  uint32_t *n_reported)
{
    uint32_t n = 0;

    for (int i = 0; i < ASSESS_N_REPORTED; i++)
        n += row->present[i] ? 1 : 0;
    *n_reported = reported ? n : 0;
    if (!reported)
        return JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED;
    return n < assess_avail_needed(min_pct) ? JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA
                                            : JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED;
}

void assess_avail_reason(Jiju__V1__RankStatus st, uint32_t n_reported, int64_t min_pct, char *buf,
                         size_t cap)
{
    if (st == JIJU__V1__RANK_STATUS__RANK_STATUS_NOT_REPORTED)
        snprintf(buf, cap, "未报送: 本期无已受理的报告 (no accepted report for the period)");
    else if (st == JIJU__V1__RANK_STATUS__RANK_STATUS_INSUFFICIENT_DATA)
        snprintf(buf, cap,
                 "数据不足: 报送 %u/%d 项指标, 至少需 %u 项 (%u of %d indicators reported, "
                 "at least %u needed: ranking.min_reported_pct %lld)",
                 n_reported, ASSESS_N_REPORTED, assess_avail_needed(min_pct), n_reported,
                 ASSESS_N_REPORTED, assess_avail_needed(min_pct), (long long)min_pct);
    else
        buf[0] = '\0';
}

/* An entry for a cluster that is not ranked: everything malloc'd, so that
 * free_unpacked(NULL) of it (or of a ranking holding it) frees it. */
static Jiju__V1__RankEntry *unranked_entry_new(const assess_rows *r, size_t row, int64_t min_pct)
{
    Jiju__V1__RankEntry *e = malloc(sizeof *e);
    char reason[256];

    if (!e)
        return NULL;
    jiju__v1__rank_entry__init(e);
    assess_avail_reason(r->status[row], r->n_reported[row], min_pct, reason, sizeof reason);
    e->cluster_id = strdup(r->rows[row].cluster_id);
    e->cluster_name = strdup(r->rows[row].cluster_name ? r->rows[row].cluster_name : "");
    e->status_reason = strdup(reason);
    if (!e->cluster_id || !e->cluster_name || !e->status_reason) {
        free(e->cluster_id);
        free(e->cluster_name);
        free(e->status_reason);
        free(e);
        return NULL;
    }
    e->category = (Jiju__V1__Category)r->rows[row].category;
    e->status = r->status[row];
    e->indicators_reported = r->n_reported[row];
    return e;
}

Jiju__V1__RankEntry **assess_rows_entries(assess_t *a, const assess_rows *r)
{
    Jiju__V1__RankEntry **v = r->n ? calloc(r->n, sizeof *v) : NULL;

    if (!v)
        return NULL;
    for (size_t j = 0; j < r->n; j++) {
        const assess_scored *s = &r->scored[j];
        v[j] = j < r->n_ranked ? assess_score_rank_entry_new(&r->rows[s->row], s)
                               : unranked_entry_new(r, s->row, a->cfg->min_reported_pct);
        if (!v[j]) {
            assess_score_entries_destroy(&v, j);
            return NULL;
        }
        if (j < r->n_ranked)
            v[j]->indicators_reported = r->n_reported[s->row];
    }
    return v;
}
