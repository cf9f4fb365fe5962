/* assess_rows.c - the scoring rows of one period: every active cluster, its
 * latest report for the period (if any), its previous period's figures and
 * published rank. Clusters, reports and ranks are all keyed so that one
 * period is a prefix scan in cluster id order, so the rows are built by
 * merging sorted scans: O(clusters + the period's reports). */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"

static int push_cluster(assess_rows *r, size_t *cap, Jiju__V1__Cluster *c)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        Jiju__V1__Cluster **bigger = realloc(r->clusters, nc * sizeof *bigger);
        if (!bigger)
            return JIJU_ERR_NOMEM;
        r->clusters = bigger;
        *cap = nc;
    }
    r->clusters[r->n++] = c;
    return JIJU_OK;
}

static int load_active(assess_t *a, store_txn_t *txn, assess_rows *r)
{
    store_iter_t *it = store_txn_iter_new(txn, a->cf[ACF_CLUSTERS]);
    size_t cap = 0, len;
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    for (store_iter_seek_first(it); rc == JIJU_OK && store_iter_valid(it); store_iter_next(it)) {
        const void *v = store_iter_value(it, &len);
        Jiju__V1__Cluster *c = jiju__v1__cluster__unpack(NULL, len, v);
        if (!c) {
            rc = JIJU_ERR_CORRUPT;
        } else if (c->status == JIJU__V1__CLUSTER_STATUS__ELIMINATED) {
            jiju__v1__cluster__free_unpacked(c, NULL);
        } else if ((rc = push_cluster(r, &cap, c)) != JIJU_OK) {
            jiju__v1__cluster__free_unpacked(c, NULL);
        }
    }
    store_iter_destroy(&it);
    return rc;
}

typedef int (*merge_fn)(assess_rows *r, size_t row, const void *val, size_t len);

/* Walk cf's keys "period\0<id>" alongside the rows (both in id order) and
 * call fn for every id that is an active cluster. */
static int merge(assess_t *a, store_txn_t *txn, int cf, const char *text, assess_rows *r,
                 merge_fn fn)
{
    size_t plen = strlen(text) + 1, klen, vlen, row = 0;
    store_iter_t *it = store_txn_iter_new(txn, a->cf[cf]);
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    store_iter_seek(it, text, plen); /* text's NUL is the separator */
    for (; rc == JIJU_OK && store_iter_valid(it) && row < r->n; store_iter_next(it)) {
        const char *k = store_iter_key(it, &klen);
        int cmp = 1;
        if (klen < plen || memcmp(k, text, plen) != 0)
            break;
        while (row < r->n) {
            const char *id = r->clusters[row]->id;
            size_t idl = strlen(id), n = idl < klen - plen ? idl : klen - plen;
            cmp = memcmp(id, k + plen, n);
            if (cmp == 0)
                cmp = (idl > klen - plen) - (idl < klen - plen);
            if (cmp >= 0)
                break;
            row++;
        }
        if (row < r->n && cmp == 0) {
            const void *v = store_iter_value(it, &vlen); /* before vlen is read */
            rc = fn(r, row, v, vlen);
        }
    }
    store_iter_destroy(&it);
    return rc;
}

/* The six reported figures of a report, with presence. */
static void report_values(const Jiju__V1__Report *rep, int64_t v[ASSESS_N_REPORTED],
                          bool present[ASSESS_N_REPORTED])
{
    present[IND_ENTERPRISES] = rep->enterprises_present_case != 0;
    v[IND_ENTERPRISES] = present[IND_ENTERPRISES] ? rep->enterprises : 0;
    present[IND_INVESTMENT] = rep->investment_present_case != 0;
    v[IND_INVESTMENT] = present[IND_INVESTMENT] ? rep->investment_fen : 0;
    present[IND_OUTPUT_VALUE] = rep->output_value_present_case != 0;
    v[IND_OUTPUT_VALUE] = present[IND_OUTPUT_VALUE] ? rep->output_value_fen : 0;
    present[IND_REVENUE] = rep->revenue_present_case != 0;
    v[IND_REVENUE] = present[IND_REVENUE] ? rep->revenue_fen : 0;
    present[IND_TAX] = rep->tax_present_case != 0;
    v[IND_TAX] = present[IND_TAX] ? rep->tax_fen : 0;
    present[IND_EMPLOYMENT] = rep->employment_present_case != 0;
    v[IND_EMPLOYMENT] = present[IND_EMPLOYMENT] ? rep->employment : 0;
}

static int take_report(assess_rows *r, size_t row, const void *val, size_t len)
{
    Jiju__V1__Report *rep = jiju__v1__report__unpack(NULL, len, val);

    if (!rep)
        return JIJU_ERR_CORRUPT;
    r->reports[row] = rep;
    report_values(rep, r->rows[row].value, r->rows[row].present);
    return JIJU_OK;
}

static int take_prev_report(assess_rows *r, size_t row, const void *val, size_t len)
{
    Jiju__V1__Report *rep = jiju__v1__report__unpack(NULL, len, val);
    int64_t v[ASSESS_N_REPORTED];
    bool present[ASSESS_N_REPORTED];

    if (!rep)
        return JIJU_ERR_CORRUPT;
    report_values(rep, v, present);
    for (int i = 0; i < ASSESS_N_REPORTED; i++) {
        r->rows[row].prev[i] = v[i];
        r->rows[row].prev_present[i] = present[i];
    }
    jiju__v1__report__free_unpacked(rep, NULL);
    return JIJU_OK;
}

/* The previous published rank, and its derived figures where they were not
 * imputed (for the "previous" missing policy). */
static int take_prev_rank(assess_rows *r, size_t row, const void *val, size_t len)
{
    Jiju__V1__RankEntry *e = jiju__v1__rank_entry__unpack(NULL, len, val);
    assess_row *w = &r->rows[row];

    if (!e)
        return JIJU_ERR_CORRUPT;
    /* a cluster not ranked then has no rank to change from */
    w->has_prev_rank = e->status == JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED && e->rank > 0;
    w->prev_rank = e->rank;
    for (size_t i = 0; i < e->n_contributions; i++) {
        const Jiju__V1__Contribution *c = e->contributions[i];
        int ind = assess_indicator_from_name(c->indicator);
        if ((ind == IND_CONTRIBUTION || ind == IND_GROWTH) && !c->imputed) {
            w->prev[ind] = c->raw;
            w->prev_present[ind] = true;
        }
    }
    jiju__v1__rank_entry__free_unpacked(e, NULL);
    return JIJU_OK;
}

static int load_previous(assess_t *a, store_txn_t *txn, const period *p, assess_rows *r)
{
    period prev;
    char text[PERIOD_TEXT_CAP];
    int rc;

    if (period_previous(p, &prev) != JIJU_OK || period_format(&prev, text, sizeof text) != JIJU_OK)
        return JIJU_OK; /* the first period there can be: nothing before it */
    if ((rc = merge(a, txn, ACF_REPORTS, text, r, take_prev_report)) != JIJU_OK)
        return rc;
    return merge(a, txn, ACF_RANKS, text, r, take_prev_rank);
}

int assess_rows_load(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                     assess_rows *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = load_active(a, txn, out)) != JIJU_OK)
        goto out_free;
    out->rows = calloc(out->n ? out->n : 1, sizeof *out->rows);
    out->reports = calloc(out->n ? out->n : 1, sizeof *out->reports);
    if (!out->rows || !out->reports) {
        rc = JIJU_ERR_NOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < out->n; i++) {
        out->rows[i].cluster_id = out->clusters[i]->id;
        out->rows[i].cluster_name = out->clusters[i]->name;
        out->rows[i].category = out->clusters[i]->category;
    }
    if ((rc = merge(a, txn, ACF_REPORTS, text, out, take_report)) != JIJU_OK ||
        (rc = load_previous(a, txn, p, out)) != JIJU_OK)
        goto out_free;
    return JIJU_OK;
out_free:
    assess_rows_free(out);
    return rc;
}

/* Which rows are ranked (assess_avail.c); the ranked ones copied to sub,
 * with map[k] = their row. Returns how many. */
static size_t rows_partition(assess_t *a, assess_rows *r, assess_row *sub, size_t *map)
{
    size_t k = 0;

    for (size_t i = 0; i < r->n; i++) {
        r->status[i] = assess_avail(&r->rows[i], r->reports[i] != NULL, a->cfg->min_reported_pct,
                                    &r->n_reported[i]);
        if (r->status[i] == JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED) {
            sub[k] = r->rows[i];
            map[k++] = i;
        }
    }
    return k;
}

int assess_rows_score(assess_t *a, store_txn_t *txn, assess_rows *r)
{
    assess_score_params params;
    size_t cap = r->n ? r->n : 1, *map = NULL, k, tail;
    assess_row *sub = NULL;
    int rc;

    if ((rc = assess_params_get(a, txn, &params)) != JIJU_OK)
        return rc;
    free(r->scored);
    free(r->status);
    free(r->n_reported);
    r->scored = calloc(cap, sizeof *r->scored);
    r->status = calloc(cap, sizeof *r->status);
    r->n_reported = calloc(cap, sizeof *r->n_reported);
    sub = calloc(cap, sizeof *sub);
    map = calloc(cap, sizeof *map);
    if (!r->scored || !r->status || !r->n_reported || !sub || !map) {
        rc = JIJU_ERR_NOMEM;
        goto out_free;
    }
    /* only the ranked are scored: the others neither take a rank nor move
     * anyone's normalisation, contribution share or rank change */
    k = rows_partition(a, r, sub, map);
    if ((rc = assess_score_run(&params, sub, k, r->scored)) != JIJU_OK)
        goto out_free;
    for (size_t j = 0; j < k; j++)
        r->scored[j].row = map[r->scored[j].row];
    tail = k;
    for (size_t i = 0; i < r->n; i++)
        if (r->status[i] != JIJU__V1__RANK_STATUS__RANK_STATUS_RANKED)
            r->scored[tail++] = (assess_scored){.row = i};
    r->n_ranked = k;
out_free:
    free(map);
    free(sub);
    return rc;
}

/* One page: entries[from, from + n) as the body of one event. */
static int emit_page(assess_t *a, store_txn_t *txn, const char *text, bool published,
                     int64_t time_ms, Jiju__V1__RankEntry **entries, size_t n, uint32_t page,
                     uint32_t pages)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__RankingUpdated ru = JIJU__V1__RANKING_UPDATED__INIT;
    Jiju__V1__RankingPublished rp = JIJU__V1__RANKING_PUBLISHED__INIT;

    if (published) {
        rp.period = (char *)text;
        rp.entries = entries;
        rp.n_entries = n;
        rp.page = page;
        rp.pages = pages;
        env.body_case = JIJU__V1__ENVELOPE__BODY_RANKING_PUBLISHED;
        env.ranking_published = &rp;
    } else {
        ru.period = (char *)text;
        ru.entries = entries;
        ru.n_entries = n;
        ru.page = page;
        ru.pages = pages;
        env.body_case = JIJU__V1__ENVELOPE__BODY_RANKING_UPDATED;
        env.ranking_updated = &ru;
    }
    if (time_ms)
        env.time_ms = time_ms;
    return assess_emit(a, txn, &env, NULL, text);
}

/* Pages because one event holds the whole ranking otherwise: 100,000
 * clusters made a 25 MB RankingPublished, over limits.max_frame_bytes
 * (4 MiB), which every consumer's socket refuses: the events stream
 * stopped there for the archive and notification alike. */
int assess_rows_emit(assess_t *a, store_txn_t *txn, const char *text, const assess_rows *r,
                     bool published, int64_t time_ms, Jiju__V1__RankEntry ***entries_out)
{
    size_t per = a->cfg->ranking_page_entries > 0 ? (size_t)a->cfg->ranking_page_entries : 1000;
    uint32_t pages = r->n ? (uint32_t)((r->n + per - 1) / per) : 1;
    Jiju__V1__RankEntry **entries = NULL;
    int rc = JIJU_OK;

    if (r->n && !(entries = assess_rows_entries(a, r)))
        return JIJU_ERR_NOMEM;
    for (uint32_t pg = 0; rc == JIJU_OK && pg < pages; pg++) {
        size_t from = (size_t)pg * per, n = r->n - from < per ? r->n - from : per;

        rc = emit_page(a, txn, text, published, time_ms, entries ? entries + from : NULL,
                       r->n ? n : 0, pg + 1, pages);
    }
    if (entries_out && rc == JIJU_OK)
        *entries_out = entries;
    else
        assess_score_entries_destroy(&entries, r->n);
    return rc;
}

void assess_rows_free(assess_rows *r)
{
    for (size_t i = 0; r->clusters && i < r->n; i++) {
        jiju__v1__cluster__free_unpacked(r->clusters[i], NULL);
        if (r->reports && r->reports[i])
            jiju__v1__report__free_unpacked(r->reports[i], NULL);
    }
    free(r->clusters);
    free(r->reports);
    free(r->rows);
    free(r->scored);
    free(r->status);
    free(r->n_reported);
    memset(r, 0, sizeof *r);
}
