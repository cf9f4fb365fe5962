/* portal_backend.c - pools of rpc clients, one pool per service. */
#include "portal_backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keys.h"
#include "pb.h"
#include "query_pages.h"
#include "rpc.h"

#define POOL_MAX 64
#define MAX_ENDPOINTS 16

typedef struct pool {
    pthread_mutex_t mu;
    void *zctx;
    char *eps[MAX_ENDPOINTS];
    size_t n_eps;
    int timeout_ms;
    int64_t max_reply; /* rpc.max_reply_bytes */
    rpc_t *idle[POOL_MAX];
    size_t n_idle;
    char curve[3][41]; /* server public, client public, client secret; "" = plain */
} pool;

struct portal_backend {
    pool ingest, assessment, archive;
};

static int pool_init(pool *p, void *zctx, const char *endpoints, int timeout_ms, int64_t max_reply)
{
    char *copy = strdup(endpoints), *save = NULL, *tok;

    pthread_mutex_init(&p->mu, NULL);
    p->zctx = zctx;
    p->timeout_ms = timeout_ms;
    p->max_reply = max_reply;
    if (!copy)
        return -1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (p->n_eps == MAX_ENDPOINTS || !(p->eps[p->n_eps] = strdup(tok))) {
            free(copy);
            return -1;
        }
        p->n_eps++;
    }
    free(copy);
    return p->n_eps ? 0 : -1;
}

static void pool_fini(pool *p)
{
    explicit_bzero(p->curve, sizeof p->curve);
    for (size_t i = 0; i < p->n_idle; i++)
        rpc_destroy(&p->idle[i]);
    for (size_t i = 0; i < p->n_eps; i++)
        free(p->eps[i]);
    pthread_mutex_destroy(&p->mu);
}

static rpc_t *pool_take(pool *p)
{
    rpc_t *r = NULL;

    pthread_mutex_lock(&p->mu);
    if (p->n_idle)
        r = p->idle[--p->n_idle];
    pthread_mutex_unlock(&p->mu);
    if (r)
        return r;
    r = rpc_new(p->zctx, (const char *const *)p->eps, p->n_eps, p->timeout_ms);
    if (r && rpc_set_max_reply(r, p->max_reply) != JIJU_OK)
        rpc_destroy(&r);
    if (r && p->curve[0][0] && rpc_set_curve(r, p->curve[0], p->curve[1], p->curve[2]) != 0)
        rpc_destroy(&r);
    return r;
}

static void pool_give(pool *p, rpc_t **r)
{
    pthread_mutex_lock(&p->mu);
    if (p->n_idle < POOL_MAX) {
        p->idle[p->n_idle++] = *r;
        *r = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    rpc_destroy(r);
}

portal_backend_t *portal_backend_new(void *zctx, const char *ingest_endpoints,
                                     const char *assessment_endpoint, const char *archive_endpoint,
                                     int timeout_ms, int64_t max_reply)
{
    portal_backend_t *b = calloc(1, sizeof *b);

    if (!b)
        return NULL;
    if (pool_init(&b->ingest, zctx, ingest_endpoints, timeout_ms, max_reply) != 0 ||
        pool_init(&b->assessment, zctx, assessment_endpoint, timeout_ms, max_reply) != 0 ||
        pool_init(&b->archive, zctx, archive_endpoint, timeout_ms, max_reply) != 0)
        portal_backend_destroy(&b);
    return b;
}

void portal_backend_destroy(portal_backend_t **bp)
{
    portal_backend_t *b = bp ? *bp : NULL;

    if (!b)
        return;
    pool_fini(&b->ingest);
    pool_fini(&b->assessment);
    pool_fini(&b->archive);
    free(b);
    *bp = NULL;
}

int portal_backend_set_curve(portal_backend_t *b, const char *ingest_public,
                             const char *assessment_public, const char *archive_public,
                             const char *client_public, const char *client_secret)
{
    pool *pools[3] = {&b->ingest, &b->assessment, &b->archive};
    const char *servers[3] = {ingest_public, assessment_public, archive_public};

    if (!keys_z85_valid(client_public) || !keys_z85_valid(client_secret))
        return JIJU_ERR_INVALID;
    for (int i = 0; i < 3; i++) {
        if (!keys_z85_valid(servers[i]))
            return JIJU_ERR_INVALID;
        snprintf(pools[i]->curve[0], 41, "%s", servers[i]);
        snprintf(pools[i]->curve[1], 41, "%s", client_public);
        snprintf(pools[i]->curve[2], 41, "%s", client_secret);
    }
    return JIJU_OK;
}

/* Pack req, call on a pooled client, return the reply bytes. */
static int call(pool *p, const ProtobufCMessage *req, uint8_t **out, size_t *olen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rpc_t *r;
    int rc;

    if ((rc = pb_pack(req, &buf, &len)) != JIJU_OK)
        return rc;
    if (!(r = pool_take(p))) {
        free(buf);
        return JIJU_ERR_NOMEM;
    }
    rc = rpc_call(r, buf, len, out, olen);
    free(buf);
    if (rc == JIJU_OK)
        pool_give(p, &r);
    else
        rpc_destroy(&r);
    return rc;
}

#define CALL(pool_, req_, type_, reply_)                                                           \
    do {                                                                                           \
        uint8_t *data = NULL;                                                                      \
        size_t dlen = 0;                                                                           \
        int rc_ = call(pool_, &(req_)->base, &data, &dlen);                                        \
        if (rc_ != JIJU_OK)                                                                        \
            return rc_;                                                                            \
        *(reply_) = type_##__unpack(NULL, dlen, data);                                             \
        free(data);                                                                                \
        return *(reply_) ? JIJU_OK : JIJU_ERR_CORRUPT;                                             \
    } while (0)

int portal_submit(portal_backend_t *b, const Jiju__V1__SubmitRequest *req,
                  Jiju__V1__SubmitReply **reply)
{
    CALL(&b->ingest, req, jiju__v1__submit_reply, reply);
}

int portal_query(portal_backend_t *b, const Jiju__V1__QueryRequest *req,
                 Jiju__V1__QueryReply **reply)
{
    CALL(&b->assessment, req, jiju__v1__query_reply, reply);
}

int portal_archive(portal_backend_t *b, const Jiju__V1__ArchiveQueryRequest *req,
                   Jiju__V1__ArchiveQueryReply **reply)
{
    CALL(&b->archive, req, jiju__v1__archive_query_reply, reply);
}

static int query_one(void *b, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply **reply)
{
    return portal_query(b, req, reply);
}

int portal_query_all(portal_backend_t *b, Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply **reply)
{
    return query_all(query_one, b, req, reply);
}
