/* assess_query.c - read-only answers (proto/jiju/v1/query.proto): the
 * registry, a period's ranking (provisional while open, as published once
 * closed) and a year's target progress. Reads use an empty txn, i.e. the
 * committed state. Error texts are static strings (assess_server.c relies on
 * reply.error never being freed). */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"

static int list_clusters(assess_t *a, store_txn_t *txn, Jiju__V1__QueryReply *reply)
{
    store_iter_t *it = store_txn_iter_new(txn, a->cf[ACF_CLUSTERS]);
    Jiju__V1__Cluster **out = NULL;
    size_t n = 0, cap = 0, len;
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it)) {
        const void *v = store_iter_value(it, &len);
        if (n == cap) {
            Jiju__V1__Cluster **bigger = realloc(out, (cap = cap ? cap * 2 : 64) * sizeof *out);
            if (!bigger) {
                rc = JIJU_ERR_NOMEM;
                break;
            }
            out = bigger;
        }
        if (!(out[n] = jiju__v1__cluster__unpack(NULL, len, v))) {
            rc = JIJU_ERR_CORRUPT;
            break;
        }
        n++;
    }
    store_iter_destroy(&it);
    reply->clusters = out;
    reply->n_clusters = n; /* freed by assess_reply_free even on failure */
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

/* The published entries, stored in cluster order, best first. */
static int published(assess_t *a, store_txn_t *txn, const char *text, Jiju__V1__QueryReply *reply)
{
    char **keys = NULL;
    size_t n = 0;
    int rc = assess_keys(a, txn, ACF_RANKS, text, strlen(text) + 1, &keys, &n);

    if (rc != JIJU_OK)
        return rc;
    reply->ranking = calloc(n ? n : 1, sizeof *reply->ranking);
    for (size_t i = 0; reply->ranking && i < n && rc == JIJU_OK; i++) {
        char key[ASSESS_KEY_CAP];
        size_t klen = assess_pkey(key, text, keys[i] + strlen(text) + 1), len = 0;
        void *v = NULL;
        if ((rc = store_txn_get(txn, a->cf[ACF_RANKS], key, klen, &v, &len)) != JIJU_OK)
            break;
        reply->ranking[i] = jiju__v1__rank_entry__unpack(NULL, len, v);
        free(v);
        if (!reply->ranking[i])
            rc = JIJU_ERR_CORRUPT;
        else
            reply->n_ranking = i + 1;
    }
    assess_keys_free(&keys, n);
    if (!reply->ranking)
        return JIJU_ERR_NOMEM;
    if (rc == JIJU_OK)
        qsort(reply->ranking, reply->n_ranking, sizeof *reply->ranking, rank_cmp);
    return rc;
}

static int provisional(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                       Jiju__V1__QueryReply *reply)
{
    assess_rows r;
    int rc = assess_rows_load(a, txn, text, p, &r);

    if (rc != JIJU_OK)
        return rc;
    if ((rc = assess_rows_score(a, txn, &r)) == JIJU_OK && r.n > 0) {
        reply->ranking = assess_rows_entries(a, &r);
        if (reply->ranking)
            reply->n_ranking = r.n;
        else
            rc = JIJU_ERR_NOMEM;
    }
    assess_rows_free(&r);
    return rc;
}

static int get_ranking(assess_t *a, store_txn_t *txn, const char *text, Jiju__V1__QueryReply *reply)
{
    assess_period_state st;
    period p;
    int rc;

    if (!text || period_parse(text, &p) != JIJU_OK) {
        reply->error = "E_PERIOD_SYNTAX: period must be 2023, 2023Q1..2023Q4 or 2023-01..2023-12";
        return JIJU_OK;
    }
    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK)
        return rc;
    if (!st.opened && !st.closed) {
        reply->error = "E_PERIOD_UNKNOWN: the period was never opened";
        return JIJU_OK;
    }
    reply->final = st.closed;
    rc = st.closed ? published(a, txn, text, reply) : provisional(a, txn, text, &p, reply);
    reply->ok = rc == JIJU_OK;
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

int assess_query(assess_t *a, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply *reply)
{
    store_txn_t *txn = store_txn_new(a->store);
    int rc = JIJU_OK;

    if (!txn)
        return JIJU_ERR_NOMEM;
    reply->ok = 0;
    switch (req->kind_case) {
    case JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS:
        rc = list_clusters(a, txn, reply);
        break;
    case JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING:
        rc = get_ranking(a, txn, req->get_ranking->period, reply);
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
    store_txn_destroy(&txn);
    return rc;
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

void assess_query_narrow(Jiju__V1__QueryReply *reply, const key_entry *k)
{
    size_t j = 0;

    for (size_t i = 0; i < reply->n_clusters; i++) {
        if (key_allows_cluster(k, reply->clusters[i]->id))
            reply->clusters[j++] = reply->clusters[i];
        else
            jiju__v1__cluster__free_unpacked(reply->clusters[i], NULL);
    }
    reply->n_clusters = j;
    j = 0;
    for (size_t i = 0; i < reply->n_ranking; i++) {
        if (key_allows_cluster(k, reply->ranking[i]->cluster_id))
            reply->ranking[j++] = reply->ranking[i];
        else
            jiju__v1__rank_entry__free_unpacked(reply->ranking[i], NULL);
    }
    reply->n_ranking = j;
}
