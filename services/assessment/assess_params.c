/* assess_params.c - the indicator system in force. It starts as the loaded
 * configuration's and changes only by SetIndicatorSystem, which is stored,
 * so a restart or a replay scores with the system of its time, whatever the
 * configuration file says now. */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"

#define PARAMS_KEY "params"
#define PARAMS_VERSION 1
#define PARAMS_N (2 * IND__COUNT + 2)
#define PARAMS_LEN (1 + 8 * PARAMS_N)

static const char *const norm_names[] = {"min_max", "z_score", "target"};

int assess_params_get(assess_t *a, store_txn_t *txn, assess_score_params *out)
{
    void *v = NULL;
    size_t len = 0;
    const uint8_t *b;
    int rc = store_txn_get(txn, a->cf[ACF_META], PARAMS_KEY, strlen(PARAMS_KEY), &v, &len);

    if (rc == JIJU_ERR_NOT_FOUND) {
        assess_score_params_from_config(a->cfg, out);
        return JIJU_OK;
    }
    if (rc != JIJU_OK)
        return rc;
    b = v;
    if (len != PARAMS_LEN || b[0] != PARAMS_VERSION) {
        free(v);
        return JIJU_ERR_CORRUPT;
    }
    for (int i = 0; i < IND__COUNT; i++) {
        out->weights[i] = (int64_t)store_be64_get(b + 1 + 8 * i);
        out->target_values[i] = (int64_t)store_be64_get(b + 1 + 8 * (IND__COUNT + i));
    }
    out->normalisation = (assess_norm)store_be64_get(b + 1 + 8 * (2 * IND__COUNT));
    out->missing = (assess_missing)store_be64_get(b + 1 + 8 * (2 * IND__COUNT + 1));
    free(v);
    return JIJU_OK;
}

static int params_put(assess_t *a, store_txn_t *txn, const assess_score_params *p)
{
    uint8_t b[PARAMS_LEN];

    b[0] = PARAMS_VERSION;
    for (int i = 0; i < IND__COUNT; i++) {
        store_be64_put(b + 1 + 8 * i, (uint64_t)p->weights[i]);
        store_be64_put(b + 1 + 8 * (IND__COUNT + i), (uint64_t)p->target_values[i]);
    }
    store_be64_put(b + 1 + 8 * (2 * IND__COUNT), (uint64_t)p->normalisation);
    store_be64_put(b + 1 + 8 * (2 * IND__COUNT + 1), (uint64_t)p->missing);
    return store_txn_put(txn, a->cf[ACF_META], PARAMS_KEY, strlen(PARAMS_KEY), b, sizeof b);
}

/* The command's system over the current one; JIJU_ERR_INVALID if refused. */
static int params_from_command(const Jiju__V1__SetIndicatorSystem *s, assess_score_params *p)
{
    bool seen[IND__COUNT] = {false};
    int64_t sum = 0;
    int norm = -1;

    for (int i = 0; i < 3; i++)
        if (strcmp(s->normalisation ? s->normalisation : "", norm_names[i]) == 0)
            norm = i;
    if (!s->normalisation || !s->normalisation[0])
        norm = NORM_MIN_MAX; /* the contract's default */
    if (norm < 0)
        return JIJU_ERR_INVALID;
    memset(p->weights, 0, sizeof p->weights);
    for (size_t i = 0; i < s->n_weights; i++) {
        int ind = assess_indicator_from_name(s->weights[i]->indicator);
        if (ind < 0 || seen[ind] || s->weights[i]->weight > 100)
            return JIJU_ERR_INVALID;
        seen[ind] = true;
        p->weights[ind] = s->weights[i]->weight;
        sum += s->weights[i]->weight;
    }
    if (sum != 100)
        return JIJU_ERR_INVALID;
    p->normalisation = (assess_norm)norm;
    return JIJU_OK;
}

int assess_params_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__SetIndicatorSystem *s)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__IndicatorSystemChanged isc = JIJU__V1__INDICATOR_SYSTEM_CHANGED__INIT;
    Jiju__V1__IndicatorWeight w[IND__COUNT], *wp[IND__COUNT];
    assess_score_params p;
    int rc;

    if ((rc = assess_params_get(a, txn, &p)) != JIJU_OK)
        return rc;
    if ((rc = params_from_command(s, &p)) != JIJU_OK)
        return rc;
    if ((rc = params_put(a, txn, &p)) != JIJU_OK)
        return rc;
    for (int i = 0; i < IND__COUNT; i++) { /* every indicator, in the fixed order */
        jiju__v1__indicator_weight__init(&w[i]);
        w[i].indicator = (char *)assess_indicator_name((assess_indicator)i);
        w[i].weight = (uint32_t)p.weights[i];
        wp[i] = &w[i];
    }
    isc.weights = wp;
    isc.n_weights = IND__COUNT;
    isc.normalisation = (char *)norm_names[p.normalisation];
    env.body_case = JIJU__V1__ENVELOPE__BODY_INDICATOR_SYSTEM_CHANGED;
    env.indicator_system_changed = &isc;
    return assess_emit(a, txn, &env, NULL, NULL);
}
