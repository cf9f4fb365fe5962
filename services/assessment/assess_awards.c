/* assess_awards.c - awards of seed 五.二, each issued exactly once: the award
 * id is derived from (kind, cluster, period) and stored with the grant in the
 * same txn, so a replay, a restart or a second close finds it and grants
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "pb.h"

int assess_award_id(char *out, size_t cap, Jiju__V1__AwardKind kind, const char *cluster,
                    const char *ptext)
{
    int n;

    if (kind == JIJU__V1__AWARD_KIND__NEW_PROVINCIAL)
        n = snprintf(out, cap, "NEW_PROVINCIAL/%s", cluster);
    else
        n = snprintf(out, cap, "TOP_RANKED/%s/%s", cluster, ptext);
    return n < 0 || (size_t)n >= cap ? JIJU_ERR_INVALID : JIJU_OK;
}

int assess_award_grant(assess_t *a, store_txn_t *txn, Jiju__V1__AwardKind kind,
                       const Jiju__V1__Cluster *c, const char *ptext, int64_t amount_fen,
                       uint32_t rank)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__AwardGranted ag = JIJU__V1__AWARD_GRANTED__INIT;
    char id[ASSESS_KEY_CAP];
    int rc;

    if (amount_fen <= 0) /* an award configured at 0 is no award */
        return JIJU_OK;
    if ((rc = assess_award_id(id, sizeof id, kind, c->id, ptext)) != JIJU_OK)
        return rc;
    if (assess_flag_has(a, txn, ACF_AWARDS, id))
        return JIJU_OK;
    ag.award_id = id;
    ag.kind = kind;
    ag.cluster_id = c->id;
    ag.period = (char *)ptext;
    ag.amount_fen = amount_fen;
    ag.rank = rank;
    rc = pb_txn_put(txn, a->cf[ACF_AWARDS], id, strlen(id), &ag.base);
    if (rc != JIJU_OK)
        return rc;
    env.body_case = JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED;
    env.award_granted = &ag;
    return assess_emit(a, txn, &env, c, ptext[0] ? ptext : NULL);
}
