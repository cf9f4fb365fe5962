/* stream.c - the durable stream's endpoints: the handshake, dispatch of
 * each frame to its session's half (stream_producer.c, stream_consumer.c),
 * sockets, heartbeats and timeouts, reconnect. The wire protocol is
 * documented in proto/jiju/v1/stream.proto. */
#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "service.h"
#include "stream_int.h"
#include "stream_metrics.h"
#include "zap.h"

/* ---- HELLO ---- */

/* A peer that reconnects gets a new routing id: its old session is a zombie
 * that would only time out later. */
static void zombies_end(stream_peer_t *p, const stream_session *s)
{
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *o = p->sess[i];
        if (o != s && !o->dead && strcmp(o->peer_id, s->peer_id) == 0 &&
            strcmp(o->stream, s->stream) == 0 && o->role == s->role)
            o->dead = 1;
    }
}

static void server_on_hello(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h)
{
    if (s->role == ROLE_PRODUCER) {
        stream_refusal why = {"E_STREAM_UNKNOWN_STREAM", "no such stream for this consumer"};

        zombies_end(p, s);
        s->log = p->log_fn ? p->log_fn(p->arg, s->stream, s->peer_id, &why) : NULL;
        if (!s->log) {
            stream_send_error(p, s, why.code, why.message);
            s->dead = 1;
            return;
        }
        s->state = SESS_WAIT_RESUME;
        stream_send_hello(p, s);
        return;
    }
    if (!p->apply_fn) {
        stream_send_error(p, s, "E_STREAM_NOT_ACCEPTED", "this endpoint does not accept producers");
        s->dead = 1;
        return;
    }
    /* a producer id is taken over only by its own incarnation, restarted */
    if (!stream_consumer_accept(p, s, h))
        return;
    zombies_end(p, s);
    stream_send_hello(p, s);
    stream_consumer_start(p, s);
}

static void client_on_hello(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h)
{
    if (s->state != SESS_WAIT_HELLO)
        return;
    snprintf(s->peer_id, sizeof s->peer_id, "%s", h->peer_id ? h->peer_id : "");
    if (s->role == ROLE_CONSUMER) {
        if (stream_consumer_accept(p, s, h))
            stream_consumer_start(p, s);
    } else {
        s->state = SESS_WAIT_RESUME;
    }
}

/* ERROR from the peer: the session is over. A connector whose session the
 * binder no longer knows starts again at once; any other refusal waits for
 * the timeout, so a refused connector does not spin. */
static void peer_on_error(stream_peer_t *p, stream_session *s, const Jiju__V1__StreamError *e)
{
    const char *code = e->code ? e->code : "", *msg = e->message ? e->message : "";
    int err = strcmp(code, "E_STREAM_INCARNATION") == 0 ? JIJU_ERR_INCARNATION
              : strcmp(code, "E_STREAM_TRIMMED") == 0   ? JIJU_ERR_TRIMMED
                                                        : JIJU_ERR_PROTOCOL;

    if (p->is_server || strcmp(code, "E_STREAM_NO_SESSION") == 0) {
        log_limited(LOG_WARN, "stream_peer_error", "endpoint=%s peer=%s code=%s", p->endpoint,
                    s->peer_id, code);
        if (p->is_server)
            s->dead = 1;
        else
            p->reconnect = 1;
        return;
    }
    stream_session_refuse(p, s, err, code, msg, 0);
}

/* ---- dispatch ---- */

static void on_frame(stream_peer_t *p, stream_session *s, const Jiju__V1__StreamFrame *f)
{
    s->last_rx = clock_mono_ms();
    switch (f->kind_case) {
    case JIJU__V1__STREAM_FRAME__KIND_HELLO:
        if (p->is_server && s->state != SESS_WAIT_HELLO) /* one HELLO per session */
            stream_session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_FRAME",
                                  "HELLO on a session already open", 1);
        else if (p->is_server)
            server_on_hello(p, s, f->hello);
        else
            client_on_hello(p, s, f->hello);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_RESUME:
        if (s->role == ROLE_PRODUCER && s->log)
            stream_producer_on_resume(p, s, f->resume);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_RECORD:
        if (s->role == ROLE_CONSUMER)
            stream_consumer_on_record(p, s, f->record);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_ACK:
        if (s->role == ROLE_PRODUCER)
            stream_producer_on_ack(p, s, f->ack->seq, 1);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT:
        if (s->role == ROLE_CONSUMER)
            s->peer_position = f->heartbeat->position;
        if (s->role == ROLE_PRODUCER && s->state == SESS_ACTIVE)
            stream_producer_on_ack(p, s, f->heartbeat->position, 0); /* repairs a lost ACK */
        else if (s->role == ROLE_CONSUMER && s->state == SESS_ACTIVE &&
                 f->heartbeat->position > s->pending &&
                 s->last_record_at + p->o.heartbeat_ms < s->last_rx &&
                 s->last_resume_at + p->o.heartbeat_ms < s->last_rx && stream_consumer_writable(p))
            stream_send_resume(p, s,
                               s->pending + 1); /* records lost in a reconnect or a full disk */
        break;
    case JIJU__V1__STREAM_FRAME__KIND_ERROR:
        peer_on_error(p, s, f->error);
        break;
    default:
        break;
    }
}

static int recv_part(void *sock, zmq_msg_t *m)
{
    zmq_msg_init(m);
    if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(m);
        return -1;
    }
    return 0;
}

/* Read one message; returns 0 if one was handled, -1 when drained. */
static int peer_read_one(stream_peer_t *p)
{
    zmq_msg_t rid, body;
    Jiju__V1__StreamFrame *f;
    stream_session *s = NULL;
    int more = 0;

    if (p->is_server) {
        if (recv_part(p->sock, &rid) < 0)
            return -1;
        if (!zmq_msg_more(&rid)) { /* malformed: a single part on a ROUTER */
            zmq_msg_close(&rid);
            return 0;
        }
    }
    if (recv_part(p->sock, &body) < 0) {
        if (p->is_server)
            zmq_msg_close(&rid);
        return -1;
    }
    more = zmq_msg_more(&body);
    while (more) { /* extra parts are not ours: discard */
        zmq_msg_t extra;
        if (recv_part(p->sock, &extra) < 0)
            break;
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    f = jiju__v1__stream_frame__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    if (!f) {
        log_limited(LOG_WARN, "stream_bad_frame", "endpoint=%s bytes=%zu", p->endpoint,
                    zmq_msg_size(&body));
    } else if (p->is_server) {
        s = stream_session_admit(p, zmq_msg_data(&rid), zmq_msg_size(&rid), f,
                                 zmq_msg_gets(&body, "User-Id"));
    } else {
        s = p->n_sess ? p->sess[0] : NULL;
    }
    if (f && s)
        on_frame(p, s, f);
    if (f)
        jiju__v1__stream_frame__free_unpacked(f, NULL);
    if (p->is_server)
        zmq_msg_close(&rid);
    zmq_msg_close(&body);
    return 0;
}

static void peer_after_batch(stream_peer_t *p)
{
    stream_consumer_commit(p);
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->role == ROLE_CONSUMER && s->need_ack && !s->dead)
            stream_send_ack(p, s);
        else if (s->role == ROLE_PRODUCER && !s->dead)
            stream_producer_pump(p, s);
    }
    stream_producer_save_acks(p);
    stream_sessions_reap(p);
}

static void peer_on_readable(svc_t *svc, void *arg)
{
    stream_peer_t *p = arg;
    int64_t until = p->o.turn_budget_us > 0 ? clock_mono_us() + p->o.turn_budget_us : 0;

    (void)svc;
    if (p->apply_fn)
        stream_consumer_writable(p);
    /* level-triggered: frames left unread keep the socket readable, so the
     * next turn goes on where this one stopped */
    for (int i = 0; i < STREAM_DRAIN_MAX; i++)
        if (peer_read_one(p) < 0 || (until && clock_mono_us() >= until))
            break;
    peer_after_batch(p);
}

/* After every loop turn: send what other handlers appended to our logs. */
static void peer_after_turn(svc_t *svc, void *arg)
{
    stream_peer_t *p = arg;

    (void)svc;
    stream_consumer_durable(p, 0); /* another handler's synced commit may have synced ours */
    for (size_t i = 0; i < p->n_sess; i++)
        if (p->sess[i]->role == ROLE_PRODUCER)
            stream_producer_pump(p, p->sess[i]);
}

/* lazy_sync_ms: no commit waits much longer than that for its sync */
static void peer_on_sync_tick(svc_t *svc, void *arg)
{
    (void)svc;
    stream_consumer_durable(arg, 0);
}

/* ---- sockets ---- */

static void *peer_socket(stream_peer_t *p)
{
    int type = p->is_server ? ZMQ_ROUTER : ZMQ_DEALER;
    /* per connection: a window of records (our credit, or the one granted
     * to us, of the same setting) twice over, plus the control frames */
    int one = 1, hwm = (int)(p->o.credit * 2 + 64);
    void *sock = svc_socket(p->svc, type, hwm);

    if (!sock)
        return NULL;
    if (p->is_server) {
        size_t len = sizeof p->endpoint;
        zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        if (zap_server_bind(svc_zap(p->svc), sock, p->endpoint) != JIJU_OK)
            goto out_close;
        /* "tcp://127.0.0.1:*" binds a free port: remember which */
        zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, p->endpoint, &len);
        svc_monitor(p->svc, sock, p->endpoint); /* a log line, not a reason to fail */
    } else if (zap_client_socket(svc_zap(p->svc), sock, p->server_key) != JIJU_OK ||
               zmq_connect(sock, p->endpoint) < 0) {
        goto out_close;
    }
    if (svc_on_readable(p->svc, sock, peer_on_readable, p) != JIJU_OK)
        goto out_close;
    return sock;

out_close:
    zmq_close(sock);
    return NULL;
}

static void client_connect(stream_peer_t *p)
{
    stream_session *s = p->sess[0];

    if (p->sock) {
        svc_forget(p->svc, p->sock);
        zmq_close(p->sock);
    }
    p->sock = peer_socket(p);
    s->state = SESS_WAIT_HELLO;
    s->dead = 0;
    s->last_rx = s->last_tx = clock_mono_ms();
    s->last_resume = 0;
    s->last_rx_seq = 0;
    s->gap_resume = 0;
    s->pending = s->applied;
    p->reconnect = 0;
    if (p->sock)
        stream_send_hello(p, s);
}

static void peer_on_timer(svc_t *svc, void *arg)
{
    stream_peer_t *p = arg;
    int64_t now = clock_mono_ms();

    (void)svc;
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (now - s->last_rx > p->o.timeout_ms) {
            if (p->is_server) {
                s->dead = 1;
            } else {
                p->reconnect = 1;
                if (s->state != SESS_REFUSED) /* a refusal was said already */
                    log_warn("stream_peer_silent", "endpoint=%s peer=%s silent_ms=%lld",
                             p->endpoint, s->peer_id, (long long)(now - s->last_rx));
            }
            continue;
        }
        if (now - s->last_tx >= p->o.heartbeat_ms && !s->dead && s->state != SESS_REFUSED &&
            (s->state != SESS_WAIT_HELLO || p->is_server))
            stream_send_heartbeat(p, s);
    }
    if (p->is_server && svc_zap(p->svc))
        stream_sessions_recheck(p);
    if (!p->is_server && p->reconnect) {
        stream_consumer_commit(p);
        client_connect(p);
    }
    stream_sessions_reap(p);
}

static stream_peer_t *peer_new(svc_t *svc, store_t *store, const char *endpoint,
                               const stream_opts *o, int is_server)
{
    stream_peer_t *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    p->svc = svc;
    p->store = store;
    p->o = *o;
    if (!p->o.heartbeat_ms)
        p->o.heartbeat_ms = 1000;
    if (!p->o.timeout_ms)
        p->o.timeout_ms = 5000;
    if (!p->o.credit)
        p->o.credit = 1000;
    if (!p->o.max_batch)
        p->o.max_batch = 5000;
    if (!p->o.max_sessions)
        p->o.max_sessions = 1024;
    if (!p->o.max_sessions_per_key)
        p->o.max_sessions_per_key = 64;
    snprintf(p->self_id, sizeof p->self_id, "%s", o->self_id ? o->self_id : "anonymous");
    snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
    snprintf(p->server_key, sizeof p->server_key, "%s", o->server_key ? o->server_key : "");
    p->o.server_key = NULL; /* the caller's string need not outlive this call */
    p->is_server = is_server;
    p->cf_cursor = store_cf(store, STORE_CF_CURSOR);
    p->cf_acks = store_cf(store, STORE_CF_ACKS);
    /* cursors enter the txn only as it commits, so a consumer reading
     * nothing else of it needs no index */
    p->txn = o->unindexed ? store_txn_new_unindexed(store) : store_txn_new(store);
    if (p->cf_cursor < 0 || p->cf_acks < 0 || !p->txn ||
        svc_every(svc, p->o.heartbeat_ms / 2 > 0 ? p->o.heartbeat_ms / 2 : 1, peer_on_timer, p) ||
        svc_after_turn(svc, peer_after_turn, p) ||
        (p->o.lazy_sync_ms > 0 &&
         svc_every(svc, p->o.lazy_sync_ms / 2 > 0 ? p->o.lazy_sync_ms / 2 : 1, peer_on_sync_tick,
                   p))) {
        svc_cancel(svc, p);
        store_txn_destroy(&p->txn);
        free(p);
        return NULL;
    }
    stream_metrics_track(p);
    return p;
}

stream_peer_t *stream_serve(svc_t *svc, store_t *store, const char *endpoint,
                            const stream_opts *opts, stream_log_fn log_fn, stream_apply_fn apply_fn,
                            void *arg)
{
    stream_peer_t *p = peer_new(svc, store, endpoint, opts, 1);

    if (!p)
        return NULL;
    p->log_fn = log_fn;
    p->apply_fn = apply_fn;
    p->arg = arg;
    p->sock = peer_socket(p);
    if (!p->sock)
        stream_peer_destroy(&p);
    return p;
}

static stream_peer_t *client_new(svc_t *svc, store_t *store, const char *endpoint,
                                 const char *stream_name, const stream_opts *opts, int role)
{
    stream_peer_t *p = peer_new(svc, store, endpoint, opts, 0);
    stream_session *s;

    if (!p)
        return NULL;
    if (!(s = stream_session_add(p))) {
        stream_peer_destroy(&p);
        return NULL;
    }
    s->role = role;
    snprintf(s->stream, sizeof s->stream, "%s", stream_name);
    snprintf(s->peer_id, sizeof s->peer_id, "%s", "?");
    return p;
}

stream_peer_t *stream_push(svc_t *svc, store_t *store, const char *endpoint,
                           const char *stream_name, const stream_opts *opts, stream_log_t *log)
{
    stream_peer_t *p = client_new(svc, store, endpoint, stream_name, opts, ROLE_PRODUCER);

    if (!p)
        return NULL;
    p->sess[0]->log = log;
    client_connect(p);
    if (!p->sock)
        stream_peer_destroy(&p);
    return p;
}

stream_peer_t *stream_follow(svc_t *svc, store_t *store, const char *endpoint,
                             const char *stream_name, const stream_opts *opts,
                             stream_apply_fn apply_fn, void *arg)
{
    stream_peer_t *p = client_new(svc, store, endpoint, stream_name, opts, ROLE_CONSUMER);

    if (!p)
        return NULL;
    p->apply_fn = apply_fn;
    p->arg = arg;
    client_connect(p);
    if (!p->sock)
        stream_peer_destroy(&p);
    return p;
}

void stream_on_committed(stream_peer_t *peer, stream_committed_fn fn, void *arg)
{
    peer->committed_fn = fn;
    peer->committed_arg = arg;
}

void stream_on_refused(stream_peer_t *peer, stream_refused_fn fn, void *arg)
{
    peer->refused_fn = fn;
    peer->refused_arg = arg;
}

int stream_peer_status(const stream_peer_t *peer)
{
    return peer->status;
}

const char *stream_peer_endpoint(const stream_peer_t *p)
{
    return p->endpoint;
}

uint64_t stream_peer_acked(const stream_peer_t *p)
{
    const stream_session *s = p->n_sess ? p->sess[0] : NULL;

    if (p->is_server || !s || s->role != ROLE_PRODUCER || s->state != SESS_ACTIVE)
        return 0;
    return s->acked;
}

void stream_peer_destroy(stream_peer_t **pp)
{
    stream_peer_t *p = pp ? *pp : NULL;

    if (!p)
        return;
    stream_consumer_commit(p);
    stream_consumer_durable(p, 1);
    stream_metrics_untrack(p);
    svc_cancel(p->svc, p);
    if (p->sock)
        zmq_close(p->sock);
    for (size_t i = 0; i < p->n_sess; i++)
        free(p->sess[i]);
    free(p->sess);
    store_txn_destroy(&p->txn);
    free(p->dirty);
    free(p);
    *pp = NULL;
}
