/* assess.c - assessment's state machine: the handle, the dispatch of each
 * input record, and the small store helpers the other assess_*.c share.
 * See assess_state.h for the keys and docs/assessment.md "State machine" for
 * the rules. */
#include "assess.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "assess_pages.h"
#include "assess_state.h"
#include "envelope.h"
#include "err.h"
#include "metrics.h"
#include "pb_arena.h"
#include "report_digest.h"

const char *const assess_cfs[] = {
    "assess_clusters", "assess_runs", "assess_reports", "assess_report_ids",
    "assess_periods",  "assess_open", "assess_dirty",   "assess_ranks",
    "assess_awards",   "assess_meta", "assess_frozen",
};
const size_t assess_n_cfs = sizeof assess_cfs / sizeof assess_cfs[0];

assess_t *assess_new(store_t *store, stream_log_t *events, const assess_config *cfg)
{
    assess_t *a;

    if (!store || !events || !cfg)
        return NULL;
    a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->store = store;
    a->events = events;
    a->cfg = cfg;
    for (int i = 0; i < ACF__COUNT; i++) {
        a->cf[i] = store_cf(store, assess_cfs[i]);
        if (a->cf[i] < 0) { /* the store was not opened with assess_cfs */
            free(a);
            return NULL;
        }
    }
    a->ids_scoped = report_ids_scoped(store, a->cf[ACF_REPORT_IDS]);
    if (assess_filters_load(a) != JIJU_OK) {
        free(a);
        return NULL;
    }
    metrics_on_collect(assess_metrics_collect, a);
    return a;
}

void assess_destroy(assess_t **ap)
{
    if (!ap || !*ap)
        return;
    metrics_cancel(*ap);
    assess_period_cache_free(*ap);
    assess_cluster_cache_free(*ap);
    assess_filters_free(*ap);
    assess_pages_destroy(&(*ap)->pages);
    free(*ap);
    *ap = NULL;
}

int assess_emit(assess_t *a, store_txn_t *txn, Jiju__V1__Envelope *env,
                const Jiju__V1__Cluster *subject, const char *ptext)
{
    if (subject) {
        env->subject = subject->id;
        env->category = subject->category;
        env->county = subject->county;
    }
    if (ptext)
        env->period = (char *)ptext;
    int rc = envelope_append(a->events, txn, a->cfg->shared.instance, env, NULL);

    if (rc == JIJU_OK)
        assess_log_event(a, txn, env);
    return rc;
}

size_t assess_pkey(char *key, const char *ptext, const char *id)
{
    return store_key_pair(ptext, id, key, ASSESS_KEY_CAP);
}

static int keys_push(char ***keys, size_t *n, size_t *cap, const char *k, size_t klen)
{
    char *copy;

    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char **bigger = realloc(*keys, c * sizeof *bigger);
        if (!bigger)
            return JIJU_ERR_NOMEM;
        *keys = bigger;
        *cap = c;
    }
    if (!(copy = malloc(klen + 1)))
        return JIJU_ERR_NOMEM;
    memcpy(copy, k, klen);
    copy[klen] = '\0';
    (*keys)[(*n)++] = copy;
    return JIJU_OK;
}

int assess_keys(assess_t *a, store_txn_t *txn, int cf, const char *prefix, size_t plen,
                char ***keys, size_t *n)
{
    store_iter_t *it = store_txn_iter_new(txn, a->cf[cf]);
    char **out = NULL;
    size_t cnt = 0, cap = 0, klen;
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    store_iter_seek(it, prefix, plen);
    for (; store_iter_valid(it); store_iter_next(it)) {
        const char *k = store_iter_key(it, &klen);
        if (klen < plen || memcmp(k, prefix, plen) != 0)
            break;
        if ((rc = keys_push(&out, &cnt, &cap, k, klen)) != JIJU_OK)
            break;
    }
    store_iter_destroy(&it);
    if (rc != JIJU_OK) {
        assess_keys_free(&out, cnt);
        return rc;
    }
    *keys = out;
    *n = cnt;
    return JIJU_OK;
}

void assess_keys_free(char ***keys, size_t n)
{
    if (!keys || !*keys)
        return;
    for (size_t i = 0; i < n; i++)
        free((*keys)[i]);
    free(*keys);
    *keys = NULL;
}

int assess_flag_put(assess_t *a, store_txn_t *txn, int cf, const char *key)
{
    return store_txn_put(txn, a->cf[cf], key, strlen(key), "", 0);
}

int assess_flag_del(assess_t *a, store_txn_t *txn, int cf, const char *key)
{
    if (cf == ACF_DIRTY)
        assess_period_dirty_gone(a, txn, key);
    return store_txn_del(txn, a->cf[cf], key, strlen(key));
}

bool assess_flag_has(assess_t *a, store_txn_t *txn, int cf, const char *key)
{
    void *v = NULL;
    size_t len = 0;

    if (store_txn_get(txn, a->cf[cf], key, strlen(key), &v, &len) != JIJU_OK)
        return false;
    free(v);
    return true;
}

static int apply_period_command(assess_t *a, store_txn_t *txn, const char *text, bool close)
{
    assess_period_state st;
    period p;
    int rc;

    if (!text || period_parse(text, &p) != JIJU_OK)
        return JIJU_ERR_INVALID;
    if (close)
        return assess_period_close(a, txn, text, &p);
    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK)
        return rc;
    return assess_period_open(a, txn, text, &p, &st);
}

static int apply_command(assess_t *a, store_txn_t *txn, const Jiju__V1__Command *cmd,
                         int64_t input_ms)
{
    switch (cmd->kind_case) {
    case JIJU__V1__COMMAND__KIND_OPEN_PERIOD:
        return apply_period_command(a, txn, cmd->open_period->period, false);
    case JIJU__V1__COMMAND__KIND_CLOSE_PERIOD:
        return apply_period_command(a, txn, cmd->close_period->period, true);
    case JIJU__V1__COMMAND__KIND_SET_INDICATOR_SYSTEM:
        return assess_params_apply(a, txn, cmd->set_indicator_system);
    case JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER:
    case JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER:
    case JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION:
    case JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER:
        return assess_registry_apply(a, txn, cmd, input_ms);
    default:
        return JIJU_ERR_INVALID;
    }
}

/* An input record is decoded into a buffer on the stack (pb_arena.h): no
 * malloc and free per string of the report; a larger one spills to malloc. */
#define ASSESS_DECODE_STACK 4096

int assess_apply(void *arg, const char *producer_id, uint64_t seq, const uint8_t *data, size_t len,
                 store_txn_t *txn)
{
    assess_t *a = arg;
    max_align_t room[ASSESS_DECODE_STACK / sizeof(max_align_t)];
    pb_arena arena;
    Jiju__V1__Envelope *env;
    int rc;

    pb_arena_init(&arena, room, sizeof room);
    if (!(env = jiju__v1__envelope__unpack(&arena.alloc, len, data)))
        return JIJU_ERR_CORRUPT;
    if (env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED)
        rc = assess_report_apply(a, txn, env->report_accepted, producer_id, seq);
    else if (env->body_case == JIJU__V1__ENVELOPE__BODY_COMMAND)
        rc = apply_command(a, txn, env->command, env->time_ms);
    else
        rc = JIJU_ERR_INVALID;
    pb_arena_free(&arena, &env->base);
    return rc;
}
