/* assess_registry.c - the cluster registry: register, update, provincial
 * recognition (with the one-time NEW_PROVINCIAL award) and elimination, each
 * with its event. Registering an id again is ignored: ingest refuses it, but
 * two replicas may both have accepted it before either heard of the other. */
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "pb.h"

#define ACTIVE_KEY "active"
#define ID_MAX 64

Jiju__V1__Cluster *assess_cluster_get(assess_t *a, store_txn_t *txn, const char *id)
{
    void *v = NULL;
    uint8_t *held;
    size_t len = 0;
    Jiju__V1__Cluster *c;

    if (!id)
        return NULL;
    if (assess_cluster_cache_get(a, txn, id, &held, &len))
        return jiju__v1__cluster__unpack(NULL, len, held);
    if (store_txn_get(txn, a->cf[ACF_CLUSTERS], id, strlen(id), &v, &len) != JIJU_OK)
        return NULL;
    c = jiju__v1__cluster__unpack(NULL, len, v);
    if (c) /* what could not be decoded is not kept */
        assess_cluster_cache_fill(a, txn, id, v, len);
    free(v);
    return c;
}

int assess_cluster_put(assess_t *a, store_txn_t *txn, const Jiju__V1__Cluster *c)
{
    uint8_t *buf;
    size_t len;
    int rc = pb_pack(&c->base, &buf, &len);

    if (rc != JIJU_OK)
        return rc;
    if ((rc = store_txn_put(txn, a->cf[ACF_CLUSTERS], c->id, strlen(c->id), buf, len)) != JIJU_OK) {
        free(buf);
        return rc;
    }
    assess_cluster_cache_put(a, txn, c->id, buf, len); /* after the put: it takes buf */
    return JIJU_OK;
}

int64_t assess_active_count(assess_t *a, store_txn_t *txn)
{
    void *v = NULL;
    size_t len = 0;
    int64_t n = 0;

    if (store_txn_get(txn, a->cf[ACF_META], ACTIVE_KEY, strlen(ACTIVE_KEY), &v, &len) == JIJU_OK &&
        len == 8)
        n = (int64_t)store_be64_get(v);
    free(v);
    return n;
}

static int active_add(assess_t *a, store_txn_t *txn, int64_t delta)
{
    uint8_t v[8];

    store_be64_put(v, (uint64_t)(assess_active_count(a, txn) + delta));
    return store_txn_put(txn, a->cf[ACF_META], ACTIVE_KEY, strlen(ACTIVE_KEY), v, 8);
}

static int emit_cluster(assess_t *a, store_txn_t *txn, Jiju__V1__Cluster *c, bool registered)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRegistered reg = JIJU__V1__CLUSTER_REGISTERED__INIT;
    Jiju__V1__ClusterUpdated upd = JIJU__V1__CLUSTER_UPDATED__INIT;

    if (registered) {
        reg.cluster = c;
        env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED;
        env.cluster_registered = &reg;
    } else {
        upd.cluster = c;
        env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_UPDATED;
        env.cluster_updated = &upd;
    }
    return assess_emit(a, txn, &env, c, NULL);
}

static int do_register(assess_t *a, store_txn_t *txn, const Jiju__V1__Cluster *in, int64_t input_ms)
{
    Jiju__V1__Cluster *old, c;
    int rc;

    if (!in || !in->id || !in->id[0] || strlen(in->id) > ID_MAX)
        return JIJU_ERR_INVALID;
    if ((old = assess_cluster_get(a, txn, in->id))) {
        jiju__v1__cluster__free_unpacked(old, NULL);
        return JIJU_OK; /* already registered: the first registration stands */
    }
    c = *in; /* shallow: strings borrowed from the command */
    c.status = JIJU__V1__CLUSTER_STATUS__ACTIVE;
    if (c.level == JIJU__V1__LEVEL__LEVEL_UNSPECIFIED)
        c.level = JIJU__V1__LEVEL__CITY;
    c.registered_at_ms = input_ms; /* the input's time, so a replay registers alike */
    if ((rc = assess_cluster_put(a, txn, &c)) != JIJU_OK || (rc = active_add(a, txn, 1)) != JIJU_OK)
        return rc;
    return emit_cluster(a, txn, &c, true);
}

/* Descriptive fields only: status and level change through their commands. */
static int do_update(assess_t *a, store_txn_t *txn, const Jiju__V1__Cluster *in)
{
    Jiju__V1__Cluster *old, c;
    int rc;

    if (!in || !in->id || !(old = assess_cluster_get(a, txn, in->id)))
        return JIJU_ERR_NOT_FOUND;
    c = *old;
    c.name = in->name;
    c.category = in->category;
    c.county = in->county;
    c.n_leading_industries = in->n_leading_industries;
    c.leading_industries = in->leading_industries;
    c.management_org = in->management_org;
    rc = assess_cluster_put(a, txn, &c);
    if (rc == JIJU_OK)
        rc = emit_cluster(a, txn, &c, false);
    jiju__v1__cluster__free_unpacked(old, NULL);
    return rc;
}

static int emit_recognised(assess_t *a, store_txn_t *txn, Jiju__V1__Cluster *c,
                           const char *document)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRecognised cr = JIJU__V1__CLUSTER_RECOGNISED__INIT;

    cr.cluster_id = c->id;
    cr.document = (char *)(document ? document : "");
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_RECOGNISED;
    env.cluster_recognised = &cr;
    return assess_emit(a, txn, &env, c, NULL);
}

/* The first recognition: level PROVINCIAL and ClusterRecognised. The award
 * is granted unless its id exists, so a second recognition grants nothing. */
static int do_recognise(assess_t *a, store_txn_t *txn, const Jiju__V1__RecordRecognition *rr,
                        int64_t input_ms)
{
    Jiju__V1__Cluster *c = assess_cluster_get(a, txn, rr->cluster_id);
    int rc = JIJU_OK;

    if (!c)
        return JIJU_ERR_NOT_FOUND;
    if (c->level != JIJU__V1__LEVEL__PROVINCIAL || c->recognised_at_ms == 0) {
        c->level = JIJU__V1__LEVEL__PROVINCIAL;
        if (c->recognised_at_ms == 0)
            c->recognised_at_ms = input_ms;
        if ((rc = assess_cluster_put(a, txn, c)) == JIJU_OK)
            rc = emit_recognised(a, txn, c, rr->document);
    }
    if (rc == JIJU_OK)
        rc = assess_award_grant(a, txn, JIJU__V1__AWARD_KIND__NEW_PROVINCIAL, c, "",
                                a->cfg->provincial_amount_yuan * 100, 0);
    jiju__v1__cluster__free_unpacked(c, NULL);
    return rc;
}

/* Take the cluster's report out of an open period's sums; its provisional
 * ranking changes either way. */
static int leave_open_period(assess_t *a, store_txn_t *txn, const char *text, const char *id)
{
    Jiju__V1__Report *r = assess_report_get(a, txn, text, id);
    assess_period_state st;
    int rc = JIJU_OK;

    if (r && (rc = assess_period_get(a, txn, text, &st)) == JIJU_OK) {
        assess_period_sums(&st, r, -1);
        rc = assess_period_put(a, txn, text, &st);
    }
    if (r)
        jiju__v1__report__free_unpacked(r, NULL);
    return rc == JIJU_OK ? assess_flag_put(a, txn, ACF_DIRTY, text) : rc;
}

int assess_cluster_eliminate(assess_t *a, store_txn_t *txn, Jiju__V1__Cluster *c, const char *ptext,
                             char **reasons, size_t n_reasons)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterEliminated ce = JIJU__V1__CLUSTER_ELIMINATED__INIT;
    char **open = NULL;
    size_t n_open = 0;
    int rc;

    c->status = JIJU__V1__CLUSTER_STATUS__ELIMINATED;
    if ((rc = assess_cluster_put(a, txn, c)) != JIJU_OK || (rc = active_add(a, txn, -1)) != JIJU_OK)
        return rc;
    if ((rc = assess_keys(a, txn, ACF_OPEN, "", 0, &open, &n_open)) != JIJU_OK)
        return rc;
    for (size_t i = 0; rc == JIJU_OK && i < n_open; i++)
        rc = leave_open_period(a, txn, open[i], c->id);
    assess_keys_free(&open, n_open);
    if (rc != JIJU_OK)
        return rc;
    ce.cluster_id = c->id;
    ce.period = (char *)ptext;
    ce.reasons = reasons;
    ce.n_reasons = n_reasons;
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_ELIMINATED;
    env.cluster_eliminated = &ce;
    return assess_emit(a, txn, &env, c, ptext[0] ? ptext : NULL);
}

static int do_eliminate(assess_t *a, store_txn_t *txn, const Jiju__V1__EliminateCluster *ec)
{
    Jiju__V1__Cluster *c = assess_cluster_get(a, txn, ec->cluster_id);
    char by_decision[] = "by decision", *reason;
    int rc = JIJU_OK;

    if (!c)
        return JIJU_ERR_NOT_FOUND;
    reason = ec->reason && ec->reason[0] ? ec->reason : by_decision;
    if (c->status != JIJU__V1__CLUSTER_STATUS__ELIMINATED)
        rc = assess_cluster_eliminate(a, txn, c, "", &reason, 1);
    jiju__v1__cluster__free_unpacked(c, NULL);
    return rc;
}

int assess_registry_apply(assess_t *a, store_txn_t *txn, const Jiju__V1__Command *cmd,
                          int64_t input_ms)
{
    switch (cmd->kind_case) {
    case JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER:
        return do_register(a, txn, cmd->register_cluster->cluster, input_ms);
    case JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER:
        return do_update(a, txn, cmd->update_cluster->cluster);
    case JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION:
        return do_recognise(a, txn, cmd->record_recognition, input_ms);
    case JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER:
        return do_eliminate(a, txn, cmd->eliminate_cluster);
    default:
        return JIJU_ERR_INVALID;
    }
}
