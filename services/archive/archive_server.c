/* archive_server.c - the archive's query ROUTER. ZeroMQ errors stay here. */
#include "archive_server.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "archive_query.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "pb.h"
#include "zap.h"

#define ARCHIVE_SERVER_MAX_FRAMES 8

struct archive_server {
    svc_t *svc;
    store_t *store;
    void *sock;
    char *instance;
    unsigned long long answered;
};

/* Receive one multipart message: routing frames then the payload (last).
 * Returns the number of frames (0 when nothing is waiting), -1 on error. */
static int as_recv(void *sock, zmq_msg_t *frames)
{
    int n = 0, more = 1;
    size_t sz = sizeof more;

    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *m = n < ARCHIVE_SERVER_MAX_FRAMES ? &frames[n] : &tmp;

        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0)
            more = 0;
        if (m == &tmp)
            zmq_msg_close(m); /* oversized envelope: drop the extra frames */
        else
            n++;
    }
    return n;
}

static Jiju__V1__ArchiveQueryReply *as_answer(archive_server_t *srv, zmq_msg_t *payload)
{
    Jiju__V1__ArchiveQueryRequest *req =
        jiju__v1__archive_query_request__unpack(NULL, zmq_msg_size(payload), zmq_msg_data(payload));
    Jiju__V1__ArchiveQueryRequest bad = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *reply = archive_query_run(srv->store, req ? req : &bad);

    if (reply && !req) {
        free(reply->error);
        reply->error = strdup("request does not decode as ArchiveQueryRequest");
        reply->ok = 0;
    }
    if (reply) {
        free(reply->instance);
        reply->instance = strdup(srv->instance);
    }
    if (req)
        jiju__v1__archive_query_request__free_unpacked(req, NULL);
    return reply;
}

static void as_send(archive_server_t *srv, zmq_msg_t *frames, int n,
                    const Jiju__V1__ArchiveQueryReply *reply)
{
    uint8_t *buf;
    size_t len;

    if (pb_pack(&reply->base, &buf, &len) != JIJU_OK)
        return;
    for (int i = 0; i < n - 1; i++)
        zmq_send(srv->sock, zmq_msg_data(&frames[i]), zmq_msg_size(&frames[i]), ZMQ_SNDMORE);
    zmq_send(srv->sock, buf, len, 0);
    free(buf);
    srv->answered++;
}

static void as_on_readable(svc_t *svc, void *arg)
{
    archive_server_t *srv = arg;
    zmq_msg_t frames[ARCHIVE_SERVER_MAX_FRAMES];
    int n;

    while ((n = as_recv(srv->sock, frames)) > 0) {
        /* a bare payload has no route back: nothing to answer */
        Jiju__V1__ArchiveQueryReply *reply = n > 1 ? as_answer(srv, &frames[n - 1]) : NULL;

        if (reply) {
            as_send(srv, frames, n, reply);
            jiju__v1__archive_query_reply__free_unpacked(reply, NULL);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
}

archive_server_t *archive_server_new(svc_t *svc, store_t *store, const char *endpoint,
                                     const char *instance)
{
    archive_server_t *srv = calloc(1, sizeof *srv);
    int linger = 0;

    if (!srv)
        return NULL;
    srv->svc = svc;
    srv->store = store;
    if (!(srv->instance = strdup(instance)))
        goto out_free;
    if (!(srv->sock = zmq_socket(svc_zmq(svc), ZMQ_ROUTER)))
        goto out_free;
    zmq_setsockopt(srv->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* readers need any allow-listed key: the ZAP handler lets no other in */
    if (zap_server_bind(svc_zap(svc), srv->sock, endpoint) != JIJU_OK)
        goto out_close;
    if (svc_on_readable(svc, srv->sock, as_on_readable, srv) != 0)
        goto out_close;
    return srv;

out_close:
    zmq_close(srv->sock);
out_free:
    free(srv->instance);
    free(srv);
    return NULL;
}

void archive_server_destroy(archive_server_t **srvp)
{
    archive_server_t *srv = srvp ? *srvp : NULL;

    if (!srv)
        return;
    svc_forget(srv->svc, srv->sock);
    zmq_close(srv->sock);
    free(srv->instance);
    free(srv);
    *srvp = NULL;
}

unsigned long long archive_server_answered(const archive_server_t *srv)
{
    return srv->answered;
}
