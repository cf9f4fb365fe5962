/* archive_server.c - the archive's query endpoint on the common replier. */
#include "archive_server.h"

#include <stdlib.h>
#include <string.h>

#include "archive_query.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "pb.h"
#include "read_auth.h"
#include "replier.h"

struct archive_server {
    svc_t *svc;
    store_t *store;
    replier_t *replier;
    char *instance;
};

/* Who may read what (read_auth.h): a reporter's request is narrowed to its
 * cluster (scoped: a copy of req naming it), a subscriber's refused. NULL,
 * or the refusal. */
static const char *as_scope(archive_server_t *srv, const replier_route *route,
                            const Jiju__V1__ArchiveQueryRequest *req,
                            Jiju__V1__ArchiveQueryRequest *scoped, char *why, size_t cap)
{
    const key_entry *k;
    const char *cluster;

    *scoped = *req;
    switch (read_auth_scope(svc_zap(srv->svc), route->user_id, &k)) {
    case READ_ALL:
        return NULL;
    case READ_CLUSTERS:
        if (!(cluster = read_auth_cluster(k, req->cluster_id, why, cap)))
            return why;
        scoped->cluster_id = (char *)cluster;
        return NULL;
    default:
        return read_auth_refusal(k, "the archive", why, cap);
    }
}

/* A reply stays under this process's frame limit, less room for the
 * other fields (request_id, head_hash, cursor, instance: under 1 KiB). */
static size_t as_page_bytes(archive_server_t *srv)
{
    int64_t max = svc_max_frame(srv->svc);

    return max > 128 * 1024 ? (size_t)max - 64 * 1024 : (size_t)max / 2;
}

static Jiju__V1__ArchiveQueryReply *as_answer(archive_server_t *srv, const replier_route *route,
                                              const uint8_t *data, size_t len)
{
    Jiju__V1__ArchiveQueryRequest *req = jiju__v1__archive_query_request__unpack(NULL, len, data);
    Jiju__V1__ArchiveQueryRequest scoped;
    char refusal[256];
    const char *why = !req ? "E_MALFORMED: request does not decode as ArchiveQueryRequest"
                           : replier_request_id_refusal(req->request_id, refusal, sizeof refusal);
    Jiju__V1__ArchiveQueryReply *reply;

    if (!why)
        why = as_scope(srv, route, req, &scoped, refusal, sizeof refusal);
    /* a refusal reads nothing (and still names the request it answers) */
    reply = why ? archive_query_refused(replier_request_id_echo(req ? req->request_id : NULL), why)
                : archive_query_run_max(srv->store, &scoped, as_page_bytes(srv));
    if (reply) {
        free(reply->instance);
        reply->instance = strdup(srv->instance);
    }
    if (req)
        jiju__v1__archive_query_request__free_unpacked(req, NULL);
    return reply;
}

static int as_on_request(void *arg, const replier_route *route, const uint8_t *data, size_t len,
                         uint8_t **out, size_t *out_len)
{
    Jiju__V1__ArchiveQueryReply *reply = as_answer(arg, route, data, len);
    int rc;
    if (!reply)
        return REPLIER_DROP;
    rc = pb_pack(&reply->base, out, out_len);
    jiju__v1__archive_query_reply__free_unpacked(reply, NULL);
    return rc == JIJU_OK ? REPLIER_SEND : REPLIER_DROP;
}

archive_server_t *archive_server_new(svc_t *svc, store_t *store, const char *endpoint,
                                     const char *instance)
{
    archive_server_t *srv = calloc(1, sizeof *srv);

    if (!srv)
        return NULL;
    srv->svc = svc;
    srv->store = store;
    if (!(srv->instance = strdup(instance)) ||
        !(srv->replier = replier_new(svc, endpoint, NULL, as_on_request, srv)))
        archive_server_destroy(&srv);
    return srv;
}

void archive_server_destroy(archive_server_t **srvp)
{
    archive_server_t *srv = srvp ? *srvp : NULL;

    if (!srv)
        return;
    replier_destroy(&srv->replier);
    free(srv->instance);
    free(srv);
    *srvp = NULL;
}

unsigned long long archive_server_answered(const archive_server_t *srv)
{
    return replier_answered(srv->replier);
}
