/* replier.c - ROUTER request/reply, one frame in, one frame out, answered
 * at once or deferred. ZeroMQ's errors stay here. */
#include "replier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "utf8.h"
#include "zap.h"

#define REPLIER_DRAIN 1000
#define REPLIER_SHOW_MAX 32 /* bytes of a refused request_id shown in the refusal */

struct replier {
    svc_t *svc;
    void *sock;
    replier_fn fn;
    void *arg;
    replier_opts opts;
    unsigned long long answered;
};

/* Read one request without blocking into route and its payload frame.
 * Returns the number of frames kept (0: nothing waiting). A request is
 * [rid] [""]? [payload]; further parts are read and dropped. */
static int replier_recv(void *sock, zmq_msg_t parts[3], replier_route *route)
{
    const char *user;
    int n = 0, more = 1;

    while (more) {
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
        return 0;
    route->rid_len =
        zmq_msg_size(&parts[0]) < REPLIER_RID_MAX ? zmq_msg_size(&parts[0]) : REPLIER_RID_MAX;
    memcpy(route->rid, zmq_msg_data(&parts[0]), route->rid_len);
    route->has_delim = n == 3 && zmq_msg_size(&parts[1]) == 0;
    user = zmq_msg_gets(&parts[n - 1], "User-Id");
    snprintf(route->user_id, sizeof route->user_id, "%s", user ? user : "");
    return n;
}

void replier_reply(replier_t *r, const replier_route *route, const void *data, size_t len)
{
    if (zmq_send(r->sock, route->rid, route->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return; /* the peer left (or its queue is full): nobody to answer */
    if (route->has_delim)
        zmq_send(r->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (zmq_send(r->sock, len ? data : "", len, ZMQ_DONTWAIT) >= 0)
        r->answered++;
}

/* One request: read it, hand it to the handler, answer unless deferred.
 * Returns 0 if a request was read, -1 if none was waiting. */
static int replier_one(replier_t *r)
{
    zmq_msg_t parts[3];
    replier_route route;
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    int n = replier_recv(r->sock, parts, &route), rc;

    if (n == 0)
        return -1;
    if (n >= 2)
        rc = r->fn(r->arg, &route, zmq_msg_data(&parts[n - 1]), zmq_msg_size(&parts[n - 1]), &reply,
                   &reply_len);
    else
        rc = r->fn(r->arg, &route, (const uint8_t *)"", 0, &reply, &reply_len);
    if (rc == REPLIER_SEND)
        replier_reply(r, &route, reply, reply_len);
    free(reply);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return 0;
}

static void replier_on_readable(svc_t *svc, void *arg)
{
    replier_t *r = arg;
    int n = 0;

    (void)svc;
    while (n < r->opts.max_drain && replier_one(r) == 0)
        n++;
    if (n > 0 && r->opts.after_drain)
        r->opts.after_drain(r->arg, r);
}

replier_t *replier_new(svc_t *svc, const char *endpoint, const replier_opts *opts, replier_fn fn,
                       void *arg)
{
    replier_t *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->svc = svc;
    r->fn = fn;
    r->arg = arg;
    if (opts)
        r->opts = *opts;
    if (r->opts.max_drain <= 0)
        r->opts.max_drain = REPLIER_DRAIN;
    /* bounded: max_frame_bytes per message, hwm messages per connection */
    r->sock = svc_socket(svc, ZMQ_ROUTER, r->opts.hwm > 0 ? r->opts.hwm : SVC_QUERY_HWM);
    if (!r->sock)
        goto out_free;
    if (zap_server_bind(svc_zap(svc), r->sock, endpoint) != JIJU_OK ||
        svc_on_readable(svc, r->sock, replier_on_readable, r) != JIJU_OK)
        goto out_free;
    svc_monitor(svc, r->sock, endpoint); /* a log line, not a reason to fail */
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

unsigned long long replier_answered(const replier_t *r)
{
    return r->answered;
}

bool replier_request_id_ok(const char *id)
{
    size_t len = id ? strlen(id) : 0;

    return len <= REPLIER_REQUEST_ID_MAX && (len == 0 || utf8_chars(id, len, NULL) == JIJU_OK);
}

const char *replier_request_id_echo(const char *id)
{
    return id && replier_request_id_ok(id) ? id : "";
}

const char *replier_request_id_refusal(const char *id, char *buf, size_t cap)
{
    char head[REPLIER_SHOW_MAX + 1];
    size_t len;
    char *shown;
    int utf8;

    if (replier_request_id_ok(id))
        return NULL;
    len = strlen(id);
    snprintf(head, sizeof head, "%s", id);
    shown = utf8_escape(head);
    utf8 = utf8_chars(id, len, NULL) == JIJU_OK;
    snprintf(buf, cap,
             "E_REQUEST_ID: request_id must be at most %d bytes of UTF-8, got %zu bytes%s \"%s%s\"",
             REPLIER_REQUEST_ID_MAX, len, utf8 ? "" : " that are not UTF-8", shown ? shown : "",
             len > REPLIER_SHOW_MAX ? "..." : "");
    free(shown);
    return buf;
}
