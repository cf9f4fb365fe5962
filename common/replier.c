/* replier.c - ROUTER request/reply, one frame in, one frame out. */
#include "replier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "zap.h"

#define REPLIER_DRAIN 1000

struct replier {
    svc_t *svc;
    void *sock;
    replier_fn fn;
    void *arg;
};

int replier_read(void *sock, void (*fn)(void *arg, const replier_route *route,
                                        const uint8_t *payload, size_t len),
                 void *arg)
{
    zmq_msg_t parts[3];
    replier_route route;
    const char *user;
    int n = 0, more = 1;

    while (more) { /* [rid] [""]? [payload]; further parts are dropped */
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 3)
            parts[n++] = m;
        else
            zmq_msg_close(&m);
    }
    if (n == 0)
        return -1;
    route.rid_len = zmq_msg_size(&parts[0]) < REPLIER_RID_MAX ? zmq_msg_size(&parts[0])
                                                               : REPLIER_RID_MAX;
    memcpy(route.rid, zmq_msg_data(&parts[0]), route.rid_len);
    route.has_delim = n == 3 && zmq_msg_size(&parts[1]) == 0;
    user = zmq_msg_gets(&parts[n - 1], "User-Id");
    snprintf(route.user_id, sizeof route.user_id, "%s", user ? user : "");
    if (n >= 2)
        fn(arg, &route, zmq_msg_data(&parts[n - 1]), zmq_msg_size(&parts[n - 1]));
    else
        fn(arg, &route, (const uint8_t *)"", 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return 0;
}

void replier_send(void *sock, const replier_route *route, const void *data, size_t len)
{
    zmq_send(sock, route->rid, route->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (route->has_delim)
        zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(sock, len ? data : "", len, ZMQ_DONTWAIT);
}

static void replier_answer(void *arg, const replier_route *route, const uint8_t *req,
                           size_t len)
{
    replier_t *r = arg;
    uint8_t *reply = NULL;
    size_t reply_len = 0;

    if (r->fn(r->arg, req, len, &reply, &reply_len) == 0)
        replier_send(r->sock, route, reply, reply_len);
    free(reply);
}

static void replier_on_readable(svc_t *svc, void *arg)
{
    (void)svc;
    for (int i = 0; i < REPLIER_DRAIN; i++)
        if (replier_read(((replier_t *)arg)->sock, replier_answer, arg) < 0)
            break;
}

replier_t *replier_new(svc_t *svc, const char *endpoint, replier_fn fn, void *arg)
{
    replier_t *r = calloc(1, sizeof *r);
    int zero = 0;

    if (!r)
        return NULL;
    r->svc = svc;
    r->fn = fn;
    r->arg = arg;
    r->sock = svc_socket(svc, ZMQ_ROUTER, SVC_QUERY_HWM);
    if (!r->sock)
        goto out_free;
    zmq_setsockopt(r->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zap_server_bind(svc_zap(svc), r->sock, endpoint) != JIJU_OK ||
        svc_on_readable(svc, r->sock, replier_on_readable, r) != JIJU_OK)
        goto out_free;
    return r;

out_free:
    replier_destroy(&r);
    return NULL;
}

void replier_destroy(replier_t **rp)
{
    replier_t *r = rp ? *rp : NULL;

    if (!r)
        return;
    svc_cancel(r->svc, r);
    if (r->sock)
        zmq_close(r->sock);
    free(r);
    *rp = NULL;
}
