/* assess_query.c - read-only answers (proto/jiju/v1/query.proto): the
 * registry and a period's ranking (provisional while open, as published once
 * closed), one page each (assess_pages.h), and a year's target progress.
 * Reads use an empty txn or a plain iterator, i.e. the committed state.
 * Error texts are static strings or the pages' buffer (assess_server.c
 * relies on reply.error never being freed). A reporter's key sees its own
 * clusters only: narrowed before paging, so its pages are full. */
#include <stdlib.h>
#include <string.h>

#include "assess_pages.h"
#include "assess_state.h"
#include "clock.h"
#include "err.h"
#include "paging.h"

/* What one page may hold (paging.h). */
static size_t reply_budget(const assess_t *a)
{
    return paging_budget(a->cfg->shared.max_frame_bytes);
}

static int set_token(Jiju__V1__QueryReply *reply, const char *tok)
{
    return (reply->next_page_token = strdup(tok)) ? JIJU_OK : JIJU_ERR_NOMEM;
}

/* Every cluster the key may see, from after `after` ("" = the first), at
 * most size of them within the budget; the token when one more follows. */
static int cluster_page(assess_t *a, const key_entry *k, const char *after, uint32_t size,
                        Jiju__V1__QueryReply *reply)
{
    store_iter_t *it = store_iter_new(a->store, a->cf[ACF_CLUSTERS]);
    size_t len, klen, used = 0, budget = reply_budget(a);
    char last[40] = "", tok[ASSESS_TOKEN_CAP];
    int rc = JIJU_OK, more = 0;

    if (!it || !(reply->clusters = calloc(size, sizeof *reply->clusters))) {
        store_iter_destroy(&it);
        return JIJU_ERR_NOMEM;
    }
    store_iter_seek(it, after, strlen(after));
    for (; store_iter_valid(it); store_iter_next(it)) {
        const char *key = store_iter_key(it, &klen);
        const void *v = store_iter_value(it, &len);
        Jiju__V1__Cluster *c;
        if (*after && klen == strlen(after) && memcmp(key, after, klen) == 0)
            continue;
        if (!(c = jiju__v1__cluster__unpack(NULL, len, v))) {
            rc = JIJU_ERR_CORRUPT;
            break;
        }
        if (k && !key_allows_cluster(k, c->id)) {
            jiju__v1__cluster__free_unpacked(c, NULL);
            continue;
        }
        if (reply->n_clusters == size ||
            (reply->n_clusters && used + paging_field_bytes(len) > budget)) {
            more = 1;
            jiju__v1__cluster__free_unpacked(c, NULL);
            break;
        }
        used += paging_field_bytes(len);
        snprintf(last, sizeof last, "%s", c->id);
        reply->clusters[reply->n_clusters++] = c; /* freed by assess_reply_free */
    }
    store_iter_destroy(&it);
    if (rc == JIJU_OK && more) {
        assess_cluster_token_format(last, tok, sizeof tok);
        rc = set_token(reply, tok);
    }
    return rc;
}

/* total_size of the first page: every cluster the key may see. */
static int cluster_count(assess_t *a, const key_entry *k, uint64_t *n)
{
    store_iter_t *it = store_iter_new(a->store, a->cf[ACF_CLUSTERS]);
    char id[40];
    size_t klen;

    if (!it)
        return JIJU_ERR_NOMEM;
    *n = 0;
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it)) {
        const char *key = store_iter_key(it, &klen);
        snprintf(id, sizeof id, "%.*s", (int)(klen < 39 ? klen : 39), key);
        *n += !k || key_allows_cluster(k, id);
    }
    store_iter_destroy(&it);
    return JIJU_OK;
}

static int list_clusters(assess_t *a, const Jiju__V1__ListClusters *lc, const key_entry *k,
                         Jiju__V1__QueryReply *reply, char *why, size_t cap)
{
    const char *tok = lc && lc->page_token ? lc->page_token : "";
    uint32_t size = assess_page_size(lc ? lc->page_size : 0, "list_clusters.page_size", why, cap);
    char after[40] = "";
    int rc;

    if (*tok && assess_cluster_token_parse(tok, after, sizeof after) != 0)
        paging_token_refusal(why, cap, "list_clusters.page_token", tok, paging_not_issued);
    if (*why)
        return JIJU_OK;
    rc = cluster_page(a, k, after, size, reply);
    if (rc == JIJU_OK && !*tok)
        rc = cluster_count(a, k, &reply->total_size);
    reply->ok = rc == JIJU_OK;
    return rc;
}

/* Ranked by rank, then the clusters not ranked (rank 0) in id order. */
static int rank_cmp(const void *x, const void *y)
{
    const Jiju__V1__RankEntry *a = *(Jiju__V1__RankEntry *const *)x;
    const Jiju__V1__RankEntry *b = *(Jiju__V1__RankEntry *const *)y;
    uint64_t ra = a->rank ? a->rank : UINT64_MAX, rb = b->rank ? b->rank : UINT64_MAX;

    if (ra != rb)
        return (ra > rb) - (ra < rb);
    return strcmp(a->cluster_id, b->cluster_id);
}

/* The published entries, stored in cluster order, best first: one walk
 * of the period's prefix (100,000 point reads were most of a final
 * ranking's first page). */
static int published(assess_t *a, const char *text, Jiju__V1__RankEntry ***out, size_t *n_out)
{
    store_iter_t *it = store_iter_new(a->store, a->cf[ACF_RANKS]);
    size_t plen = strlen(text) + 1, n = 0, cap = 0, klen, len;
    Jiju__V1__RankEntry **v = NULL;
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    for (store_iter_seek(it, text, plen); store_iter_valid(it); store_iter_next(it)) {
        const char *key = store_iter_key(it, &klen);
        const void *val = store_iter_value(it, &len);
        if (klen < plen || memcmp(key, text, plen) != 0)
            break;
        if (n == cap) {
            Jiju__V1__RankEntry **bigger = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
            if (!bigger) {
                rc = JIJU_ERR_NOMEM;
                break;
            }
            v = bigger;
        }
        if (!(v[n] = jiju__v1__rank_entry__unpack(NULL, len, val))) {
            rc = JIJU_ERR_CORRUPT;
            break;
        }
        n++;
    }
    store_iter_destroy(&it);
    if (rc != JIJU_OK) {
        assess_score_entries_destroy(&v, n);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, rank_cmp);
    *out = v;
    *n_out = n;
    return JIJU_OK;
}

static int provisional(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                       Jiju__V1__RankEntry ***out, size_t *n_out)
{
    assess_rows r;
    int rc = assess_rows_load(a, txn, text, p, &r);

    if (rc != JIJU_OK)
        return rc;
    *out = NULL;
    *n_out = 0;
    if ((rc = assess_rows_score(a, txn, &r)) == JIJU_OK && r.n > 0) {
        if ((*out = assess_rows_entries(a, &r)))
            *n_out = r.n;
        else
            rc = JIJU_ERR_NOMEM;
    }
    assess_rows_free(&r);
    return rc;
}

/* The whole ranking of text as it stands, packed. */
static int ranking_now(assess_t *a, store_txn_t *txn, const char *text, const period *p, bool final,
                       assess_snapshot **out)
{
    Jiju__V1__RankEntry **v = NULL;
    size_t n = 0;
    int rc = final ? published(a, text, &v, &n) : provisional(a, txn, text, p, &v, &n);

    if (rc != JIJU_OK)
        return rc;
    *out = assess_snapshot_new(text, final, v, n);
    assess_score_entries_destroy(&v, n);
    return *out ? JIJU_OK : JIJU_ERR_NOMEM;
}

static bool snap_allows(const assess_snapshot *s, size_t i, const key_entry *k)
{
    return !k || key_allows_cluster(k, s->ids + s->id_off[i]);
}

/* The page of s from offset: at most size entries the key may see, within
 * the budget; the token when one more follows. */
static int ranking_page(assess_t *a, const assess_snapshot *s, size_t offset, uint32_t size,
                        const key_entry *k, Jiju__V1__QueryReply *reply)
{
    size_t i = offset, used = 0, budget = reply_budget(a);
    assess_rank_token t = {.final = s->final};
    char tok[ASSESS_TOKEN_CAP];

    if (!(reply->ranking = calloc(size, sizeof *reply->ranking)))
        return JIJU_ERR_NOMEM;
    for (; i < s->n; i++) {
        size_t len = s->off[i + 1] - s->off[i];
        if (!snap_allows(s, i, k))
            continue;
        if (reply->n_ranking == size ||
            (reply->n_ranking && used + paging_field_bytes(len) > budget))
            break;
        if (!(reply->ranking[reply->n_ranking] =
                  jiju__v1__rank_entry__unpack(NULL, len, s->bytes + s->off[i])))
            return JIJU_ERR_CORRUPT;
        reply->n_ranking++;
        used += paging_field_bytes(len);
    }
    if (i >= s->n)
        return JIJU_OK;
    memcpy(t.period, s->period, sizeof t.period);
    memcpy(t.digest, s->digest, sizeof t.digest);
    t.offset = (uint32_t)i;
    assess_rank_token_format(&t, tok, sizeof tok);
    return set_token(reply, tok);
}

/* The ranking the token names (held, or recomputed and the same), or the
 * ranking now (no token); NULL with why set when the token's ranking is
 * gone. *owned: a ranking too large to hold, to destroy after the page. */
static const assess_snapshot *ranking_for(assess_t *a, store_txn_t *txn, const char *text,
                                          const period *p, bool final, const assess_rank_token *t,
                                          assess_snapshot **owned, int *rc, char *why, size_t cap)
{
    int64_t now = clock_mono_ms();
    const assess_snapshot *s;
    assess_snapshot *fresh = NULL;
    char text_why[300];

    if (t && (s = assess_pages_find(a->pages, text, final, t->digest, now)))
        return s;
    if ((*rc = ranking_now(a, txn, text, p, final, &fresh)) != JIJU_OK)
        return NULL;
    if (t && memcmp(fresh->digest, t->digest, sizeof t->digest) != 0) {
        snprintf(text_why, sizeof text_why,
                 "E_PAGE_STALE: get_ranking.page_token: the %s ranking of %s changed since its "
                 "first page was read (reports, registrations or a close came in) and the "
                 "ranking it was of is no longer held; read it again from the first page "
                 "(page_token \"\")",
                 final ? "final" : "provisional", text);
        paging_why_add(why, cap, text_why);
        assess_snapshot_destroy(&fresh);
        return NULL;
    }
    s = assess_pages_keep(a->pages, &fresh, now);
    *owned = fresh;
    return s;
}

/* The token of gr, checked against gr; 1 if there is one. */
static int rank_token(const Jiju__V1__GetRanking *gr, assess_rank_token *t, char *why, size_t cap)
{
    char text[200];

    if (!gr->page_token || !*gr->page_token)
        return 0;
    if (assess_rank_token_parse(gr->page_token, t) != 0) {
        paging_token_refusal(why, cap, "get_ranking.page_token", gr->page_token, paging_not_issued);
    } else if (!gr->period || strcmp(t->period, gr->period) != 0) {
        snprintf(text, sizeof text,
                 "was made for period %s, not %s (a token pages only the query "
                 "that gave it)",
                 t->period, gr->period ? gr->period : "");
        paging_token_refusal(why, cap, "get_ranking.page_token", gr->page_token, text);
    }
    return 1;
}

static int get_ranking(assess_t *a, store_txn_t *txn, const Jiju__V1__GetRanking *gr,
                       const key_entry *k, Jiju__V1__QueryReply *reply, char *why, size_t cap)
{
    uint32_t size = assess_page_size(gr->page_size, "get_ranking.page_size", why, cap);
    assess_snapshot *owned = NULL;
    const assess_snapshot *s;
    assess_period_state st;
    assess_rank_token t;
    period p;
    int has_token, rc = JIJU_OK;

    if (!gr->period || period_parse(gr->period, &p) != JIJU_OK)
        paging_why_add(why, cap,
                       "E_PERIOD_SYNTAX: period must be 2023, 2023Q1..2023Q4 or 2023-01..2023-12");
    has_token = rank_token(gr, &t, why, cap);
    if (*why)
        return JIJU_OK;
    if ((rc = assess_period_get(a, txn, gr->period, &st)) != JIJU_OK)
        return rc;
    if (!st.opened && !st.closed) {
        paging_why_add(why, cap, "E_PERIOD_UNKNOWN: the period was never opened");
        return JIJU_OK;
    }
    if (has_token && t.final != st.closed) {
        if (t.final)
            paging_token_refusal(why, cap, "get_ranking.page_token", gr->page_token,
                                 "names a final ranking, and the period is open");
        else
            paging_why_add(
                why, cap,
                "E_PAGE_STALE: get_ranking.page_token: the period closed since the first "
                "page was read; read its final ranking from the first page (page_token \"\")");
        return JIJU_OK;
    }
    reply->final = st.closed;
    s = ranking_for(a, txn, gr->period, &p, st.closed, has_token ? &t : NULL, &owned, &rc, why,
                    cap);
    if (s && has_token && t.offset > s->n) {
        paging_token_refusal(why, cap, "get_ranking.page_token", gr->page_token,
                             "points past the end of its ranking");
        s = NULL;
    }
    if (s && (rc = ranking_page(a, s, has_token ? t.offset : 0, size, k, reply)) == JIJU_OK &&
        !has_token)
        for (size_t i = 0; i < s->n; i++)
            reply->total_size += snap_allows(s, i, k);
    assess_snapshot_destroy(&owned);
    reply->ok = s && rc == JIJU_OK;
    return rc;
}

/* The year's figures: its annual period when it has one, else its latest
 * period (by period order) that was opened. */
static int get_targets(assess_t *a, store_txn_t *txn, uint32_t year, Jiju__V1__QueryReply *reply)
{
    char ytext[PERIOD_TEXT_CAP], **keys = NULL, *best = NULL;
    period y = {.year = (int)year, .kind = PERIOD_YEAR, .index = 0}, bp = {0}, kp;
    assess_period_state st = {0};
    size_t n = 0;
    int rc;

    if (period_format(&y, ytext, sizeof ytext) != JIJU_OK) {
        reply->error = "E_YEAR: year must be 2000..2999";
        return JIJU_OK;
    }
    if ((rc = assess_keys(a, txn, ACF_PERIODS, ytext, strlen(ytext), &keys, &n)) != JIJU_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (period_parse(keys[i], &kp) != JIJU_OK || kp.year != (int)year)
            continue;
        if (!best || kp.kind == PERIOD_YEAR ||
            (bp.kind != PERIOD_YEAR && period_compare(&kp, &bp) > 0)) {
            best = keys[i];
            bp = kp;
        }
    }
    if (best)
        rc = assess_period_get(a, txn, best, &st);
    /* a closed period answers what its close said, whatever came after */
    if (rc == JIJU_OK && best && st.closed &&
        (reply->targets = assess_frozen_targets(a, txn, best))) {
        reply->targets_frozen = 1;
        reply->ok = 1;
        assess_keys_free(&keys, n);
        return JIJU_OK;
    }
    if (rc == JIJU_OK && (reply->targets = malloc(sizeof *reply->targets)) &&
        !(best = strdup(best ? best : ""))) {
        free(reply->targets);
        reply->targets = NULL;
    }
    if (rc == JIJU_OK && reply->targets) {
        jiju__v1__target_progress__init(reply->targets);
        assess_target_fill(a, txn, (int)year, best, &st, reply->targets);
        reply->ok = 1;
    }
    assess_keys_free(&keys, n);
    return rc != JIJU_OK ? rc : reply->targets ? JIJU_OK : JIJU_ERR_NOMEM;
}

int assess_query_as(assess_t *a, const Jiju__V1__QueryRequest *req, const key_entry *k,
                    Jiju__V1__QueryReply *reply)
{
    store_txn_t *txn;
    size_t cap;
    char *why;
    int rc = JIJU_OK;

    if (!a->pages && !(a->pages = assess_pages_new()))
        return JIJU_ERR_NOMEM;
    if (!(txn = store_txn_new(a->store)))
        return JIJU_ERR_NOMEM;
    why = assess_pages_error(a->pages, &cap);
    reply->ok = 0;
    switch (req->kind_case) {
    case JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS:
        rc = list_clusters(a, req->list_clusters, k, reply, why, cap);
        break;
    case JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING:
        rc = get_ranking(a, txn, req->get_ranking, k, reply, why, cap);
        break;
    case JIJU__V1__QUERY_REQUEST__KIND_GET_TARGETS:
        rc = get_targets(a, txn, req->get_targets->year, reply);
        break;
    case JIJU__V1__QUERY_REQUEST__KIND_PING:
        reply->ok = 1;
        break;
    default:
        reply->error = "E_QUERY_KIND: unknown query";
        break;
    }
    if (*why) {
        reply->ok = 0;
        reply->error = why;
    }
    store_txn_destroy(&txn);
    return rc;
}

int assess_query(assess_t *a, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply *reply)
{
    return assess_query_as(a, req, NULL, reply);
}

void assess_reply_free(Jiju__V1__QueryReply *reply)
{
    if (!reply)
        return;
    for (size_t i = 0; i < reply->n_clusters; i++)
        jiju__v1__cluster__free_unpacked(reply->clusters[i], NULL);
    free(reply->clusters);
    reply->clusters = NULL;
    reply->n_clusters = 0;
    for (size_t i = 0; i < reply->n_ranking; i++)
        jiju__v1__rank_entry__free_unpacked(reply->ranking[i], NULL);
    free(reply->ranking);
    reply->ranking = NULL;
    reply->n_ranking = 0;
    if (reply->next_page_token != protobuf_c_empty_string)
        free(reply->next_page_token); /* set by set_token */
    reply->next_page_token = (char *)protobuf_c_empty_string;
    if (reply->targets && reply->targets_frozen) {
        jiju__v1__target_progress__free_unpacked(reply->targets, NULL);
        reply->targets = NULL;
        reply->targets_frozen = 0;
    } else if (reply->targets) {
        free(reply->targets->period);
        free(reply->targets);
        reply->targets = NULL;
    }
}

int assess_query_refused(const Jiju__V1__QueryRequest *q, read_scope scope, const key_entry *k,
                         char *why, size_t cap)
{
    if (scope == READ_ALL || q->kind_case == JIJU__V1__QUERY_REQUEST__KIND_PING)
        return 0;
    if (scope == READ_NONE) {
        read_auth_refusal(k, "assessment's queries", why, cap);
        return 1;
    }
    if (q->kind_case == JIJU__V1__QUERY_REQUEST__KIND_GET_TARGETS) {
        read_auth_refusal(k, "the city's targets (the sums of every cluster)", why, cap);
        return 1;
    }
    return 0;
}
