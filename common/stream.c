/* stream.c - the durable stream's endpoints: sessions, the handshake, credit,
 * group commit of applied records with their cursors, heartbeats, reconnect.
 * The wire protocol is documented in proto/jiju/v1/stream.proto. */
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

/* ---- producer side ---- */

static void producer_pump(stream_peer_t *p, stream_session *s)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Record r = JIJU__V1__RECORD__INIT;
    store_iter_t *it;
    uint64_t last = stream_log_last(s->log), seq;
    size_t sent = 0, bytes = 0;

    if (s->state != SESS_ACTIVE || s->dead || s->next_send > last ||
        s->next_send > s->acked + s->credit)
        return;
    it = stream_log_iter(s->log, s->next_send);
    if (!it)
        return;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RECORD;
    f.record = &r;
    while (s->next_send <= last && s->next_send <= s->acked + s->credit &&
           stream_log_iter_seq(s->log, it, &seq) == 0 && seq <= last) {
        size_t vlen, slen;
        const uint8_t *v = store_iter_value(it, &vlen), *served;
        int rc = stream_log_resolve(s->log, seq, v, vlen, &served, &slen);

        if (rc != JIJU_OK) { /* a store fault: nothing else can be sent in order */
            log_limited(LOG_ERROR, "stream_record_unservable",
                        "endpoint=%s peer=%s log=%s seq=%llu reason=\"%s\"", p->endpoint,
                        s->peer_id, stream_log_name(s->log), (unsigned long long)seq,
                        jiju_err_str(rc));
            break;
        }
        r.seq = seq; /* seq > next_send only after trimming */
        r.envelope.data = (uint8_t *)served;
        r.envelope.len = slen;
        if (stream_send(p, s, &f) != JIJU_OK)
            break;
        sent++;
        bytes += slen;
        s->next_send = seq + 1;
        store_iter_next(it);
    }
    store_iter_destroy(&it);
    if (sent)
        stream_metrics_records(p, s, 1, sent, bytes);
}

/* A session-ending refusal, ours (send: tell the peer with ERROR code) or
 * the peer's. One warning line; a connector refused again for the same
 * reason at each retry logs it once, until a session runs again. */
static void session_refuse(stream_peer_t *p, stream_session *s, int err, const char *code,
                           const char *why, int send)
{
    if (p->is_server || p->status != err)
        log_limited(LOG_WARN, "stream_refused",
                    "endpoint=%s peer=%s stream=%s key=%s by=%s code=%s "
                    "reason=\"%s\"",
                    p->endpoint, s->peer_id, s->stream, s->key[0] ? s->key : "-",
                    send ? "us" : "peer", code, why);
    else
        log_debug("stream_refused", "endpoint=%s peer=%s code=%s again=1", p->endpoint, s->peer_id,
                  code);
    if (send)
        stream_send_error(p, s, code, why);
    p->status = err;
    if (p->is_server)
        s->dead = 1;
    else
        s->state = SESS_REFUSED; /* heard nothing more for timeout_ms: start again */
    if (p->refused_fn)
        p->refused_fn(p->refused_arg, err, code, why);
}

static void producer_on_resume(stream_peer_t *p, stream_session *s, const Jiju__V1__Resume *r)
{
    uint64_t next = r->next_seq, last = stream_log_last(s->log);
    uint64_t stored = stream_acked(p->store, stream_log_name(s->log), s->peer_id);
    char why[160];

    if (next == 0) /* an ack stored before acks were checked may lie beyond the log */
        next = (stored < last ? stored : last) + 1;
    /* Beyond the log: nothing there to send, and storing it as an ack would
     * make a later RESUME 0 start past records it never got. */
    if (next > last + 1) {
        snprintf(why, sizeof why, "RESUME next_seq %llu is beyond the log (last seq %llu)",
                 (unsigned long long)next, (unsigned long long)last);
        session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BEYOND_LOG", why, 1);
        return;
    }
    if (next < stream_log_first(s->log))
        next =
            stream_log_first(s->log); /* trimmed: the consumer sees the jump (stream_seq_judge) */
    s->next_send = next;
    s->acked = next - 1;     /* the credit window's base: a re-read from an earlier seq */
    s->acked_saved = stored; /* the stored ack only moves forward */
    s->credit = r->credit ? r->credit : 1;
    s->state = SESS_ACTIVE;
    p->status = JIJU_OK;
    log_limited(LOG_INFO, "stream_resume", "endpoint=%s peer=%s stream=%s from=%llu last=%llu",
                p->endpoint, s->peer_id, s->stream, (unsigned long long)next,
                (unsigned long long)last);
}

/* An ACK up to seq: never beyond what this consumer can have received, the
 * highest RECORD sent on this session (next_send - 1, never beyond the log)
 * or the ack already stored (a consumer re-reading from an earlier seq may
 * repeat it). A heartbeat's position beyond that is ignored, an ACK refused. */
static void producer_on_ack(stream_peer_t *p, stream_session *s, uint64_t seq, int is_ack)
{
    uint64_t limit = s->next_send - 1 > s->acked_saved ? s->next_send - 1 : s->acked_saved;
    char why[160];

    if (s->state != SESS_ACTIVE)
        return;
    if (seq > limit) {
        if (!is_ack)
            return;
        snprintf(why, sizeof why, "ACK seq %llu is beyond the last record sent (%llu)",
                 (unsigned long long)seq, (unsigned long long)limit);
        session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_ACK", why, 1);
        return;
    }
    if (seq > s->acked)
        s->acked = seq;
}

/* Acks are advisory (resume point for store-less subscribers, trimming), so
 * they are written without fsync: losing one means a redelivery with the
 * same envelope id, never a loss. */
static void producer_save_acks(stream_peer_t *p)
{
    store_txn_t *t = NULL;

    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        char key[256];
        uint8_t v[8];
        size_t klen;

        if (s->role != ROLE_PRODUCER || s->acked <= s->acked_saved || s->state != SESS_ACTIVE ||
            s->dead)
            continue;
        if (!t && !(t = store_txn_new(p->store)))
            return;
        klen = stream_cursor_key(stream_log_name(s->log), s->peer_id, key, sizeof key);
        store_be64_put(v, s->acked);
        store_txn_put(t, p->cf_acks, key, klen, v, 8);
        s->acked_saved = s->acked;
    }
    if (!t)
        return;
    /* refused on a full disk: kept in memory, written again after the next
     * ack once space is back */
    if (store_txn_commit(t, false) != JIJU_OK)
        for (size_t i = 0; i < p->n_sess; i++)
            p->sess[i]->acked_saved = 0;
    store_txn_destroy(&t);
}

/* ---- consumer side ---- */

/* The dirty cursor under key, NULL if the open txn has none. */
static stream_dirty_cursor *consumer_dirty(stream_peer_t *p, const char *key, size_t klen)
{
    for (size_t i = 0; i < p->n_dirty; i++)
        if (p->dirty[i].klen == klen && memcmp(p->dirty[i].key, key, klen) == 0)
            return &p->dirty[i];
    return NULL;
}

/* The last seq applied from s's producer, this batch included: two sessions
 * of one producer (a reconnect beside its zombie) share it. */
static uint64_t consumer_cursor(stream_peer_t *p, stream_session *s)
{
    char key[sizeof p->dirty->key];
    size_t klen = stream_cursor_key(s->stream, s->peer_id, key, sizeof key);
    stream_dirty_cursor *d = consumer_dirty(p, key, klen);

    return d ? d->seq : stream_txn_cursor(p, s);
}

/* Record seq of s's producer is applied in the txn; its cursor goes into
 * the txn at commit. */
static int consumer_cursor_set(stream_peer_t *p, stream_session *s, uint64_t seq)
{
    char key[sizeof p->dirty->key];
    size_t klen = stream_cursor_key(s->stream, s->peer_id, key, sizeof key);
    stream_dirty_cursor *d = consumer_dirty(p, key, klen);

    if (!d) {
        if (p->n_dirty == p->cap_dirty) {
            size_t cap = p->cap_dirty ? p->cap_dirty * 2 : 8;
            stream_dirty_cursor *bigger = realloc(p->dirty, cap * sizeof *bigger);
            if (!bigger)
                return JIJU_ERR_NOMEM;
            p->dirty = bigger;
            p->cap_dirty = cap;
        }
        d = &p->dirty[p->n_dirty++];
        memcpy(d->key, key, klen);
        d->klen = klen;
    }
    d->seq = seq;
    return JIJU_OK;
}

static void consumer_commit(stream_peer_t *p)
{
    int rc = JIJU_OK;

    if (p->txn_records == 0)
        return;
    /* the cursors, once per producer, in the same atomic batch as the
     * effects of the records they count */
    for (size_t i = 0; i < p->n_dirty && rc == JIJU_OK; i++) {
        uint8_t v[8];

        store_be64_put(v, p->dirty[i].seq);
        rc = store_txn_put(p->txn, p->cf_cursor, p->dirty[i].key, p->dirty[i].klen, v, 8);
    }
    p->n_dirty = 0;
    if (rc == JIJU_OK)
        rc = store_txn_commit(p->txn, true);

    if (rc != JIJU_OK) /* never retried: service.h */
        service_store_failed("store_commit_failed", rc, "endpoint=%s reason=\"%s\"", p->endpoint,
                             store_last_error(p->store));
    stream_metrics_commit(p, p->txn_records);
    p->txn_records = 0;
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->role == ROLE_CONSUMER && s->pending > s->applied) {
            s->applied = s->pending;
            s->need_ack = 1;
        }
    }
    if (p->committed_fn)
        p->committed_fn(p->committed_arg);
}

/* A consumer whose disk is short of space takes no record (nothing is
 * applied, cursors stay, nothing is acked): the producer keeps them, and the
 * heartbeat repair below asks again once space is back. Asked once per
 * batch of frames (and per heartbeat); one line each way. */
static int consumer_writable(stream_peer_t *p)
{
    int ok = store_writable(p->store) == JIJU_OK;

    if (ok == !p->store_full)
        return ok;
    if (!ok)
        log_error("store_full", "endpoint=%s action=pause_stream free_bytes=%llu", p->endpoint,
                  (unsigned long long)store_space_free(p->store));
    else
        log_info("store_space_back", "endpoint=%s action=resume_stream free_bytes=%llu",
                 p->endpoint, (unsigned long long)store_space_free(p->store));
    p->store_full = !ok;
    return ok;
}

/* Record r of session s, judged by the one sequencing rule. */
static void consumer_on_record(stream_peer_t *p, stream_session *s, const Jiju__V1__Record *r)
{
    uint64_t cur, prev = s->last_rx_seq;
    int64_t now = clock_mono_ms();
    char why[256];
    int rc;

    if (s->state != SESS_ACTIVE || s->dead || p->store_full)
        return;
    s->last_rx_seq = r->seq;
    s->last_record_at = now;
    cur = consumer_cursor(p, s);
    switch (stream_seq_judge(cur + 1, r->seq, prev, s->gap_resume)) {
    case STREAM_SEQ_DUP: /* already applied */
        s->need_ack = 1;
        return;
    case STREAM_SEQ_GAP: /* ask again, once per gap and interval */
        if (!s->gap_resume || s->last_resume_at + p->o.heartbeat_ms < now)
            stream_send_resume(p, s, cur + 1);
        return;
    case STREAM_SEQ_TRIMMED:
        snprintf(why, sizeof why,
                 "producer %s restarted at seq %llu after RESUME %llu: records "
                 "%llu..%llu are trimmed from its log",
                 s->peer_id, (unsigned long long)r->seq, (unsigned long long)(cur + 1),
                 (unsigned long long)(cur + 1), (unsigned long long)(r->seq - 1));
        session_refuse(p, s, JIJU_ERR_TRIMMED, "E_STREAM_TRIMMED", why, 1);
        return;
    case STREAM_SEQ_APPLY:
        break;
    }
    s->gap_resume = 0;
    rc = p->apply_fn(p->arg, s->peer_id, r->seq, r->envelope.data, r->envelope.len, p->txn);
    if (rc != 0) { /* never skipped: a forged or garbage record moves no cursor */
        snprintf(why, sizeof why, "record seq %llu (%zu bytes) refused by the consumer: %s",
                 (unsigned long long)r->seq, r->envelope.len, jiju_err_str(rc));
        session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_RECORD", why, 1);
        return;
    }
    stream_metrics_record(p, s, 0, r->envelope.len);
    if ((rc = consumer_cursor_set(p, s, r->seq)) != JIJU_OK) /* out of memory: as a store failure */
        service_store_failed("store_commit_failed", rc, "endpoint=%s reason=\"cursor\"",
                             p->endpoint);
    s->pending = r->seq;
    if (++p->txn_records >= p->o.max_batch)
        consumer_commit(p);
}

static void consumer_start(stream_peer_t *p, stream_session *s)
{
    s->applied = s->pending = stream_cursor(p->store, s->stream, s->peer_id);
    s->state = SESS_ACTIVE;
    s->last_rx_seq = 0;
    stream_send_resume(p, s, s->applied + 1);
    log_limited(LOG_INFO, "stream_follow",
                "endpoint=%s producer=%s stream=%s from=%llu store_id=%s epoch=%llu", p->endpoint,
                s->peer_id, s->stream, (unsigned long long)(s->applied + 1), s->store_id,
                (unsigned long long)s->epoch);
}

/* Our consumer's check of a producer's HELLO (stream_incarnation.c). */
static int consumer_accept(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h)
{
    const char *code = "E_STREAM_INCARNATION";
    char why[384];
    int rc = stream_incarnation_check(p, s, h, &code, why, sizeof why);

    if (rc == JIJU_OK && (rc = stream_incarnation_save(p, s)) != JIJU_OK)
        snprintf(why, sizeof why, "cannot store the producer's incarnation: %s", jiju_err_str(rc));
    if (rc != JIJU_OK) {
        session_refuse(p, s, rc == JIJU_ERR_TRIMMED ? rc : JIJU_ERR_INCARNATION, code, why, 1);
        return 0;
    }
    p->status = JIJU_OK;
    return 1;
}

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
    if (!consumer_accept(p, s, h))
        return;
    zombies_end(p, s);
    stream_send_hello(p, s);
    consumer_start(p, s);
}

static void client_on_hello(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h)
{
    if (s->state != SESS_WAIT_HELLO)
        return;
    snprintf(s->peer_id, sizeof s->peer_id, "%s", h->peer_id ? h->peer_id : "");
    if (s->role == ROLE_CONSUMER) {
        if (consumer_accept(p, s, h))
            consumer_start(p, s);
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
    session_refuse(p, s, err, code, msg, 0);
}

/* ---- dispatch ---- */

static void on_frame(stream_peer_t *p, stream_session *s, const Jiju__V1__StreamFrame *f)
{
    s->last_rx = clock_mono_ms();
    switch (f->kind_case) {
    case JIJU__V1__STREAM_FRAME__KIND_HELLO:
        if (p->is_server && s->state != SESS_WAIT_HELLO) /* one HELLO per session */
            session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_FRAME",
                           "HELLO on a session already open", 1);
        else if (p->is_server)
            server_on_hello(p, s, f->hello);
        else
            client_on_hello(p, s, f->hello);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_RESUME:
        if (s->role == ROLE_PRODUCER && s->log)
            producer_on_resume(p, s, f->resume);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_RECORD:
        if (s->role == ROLE_CONSUMER)
            consumer_on_record(p, s, f->record);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_ACK:
        if (s->role == ROLE_PRODUCER)
            producer_on_ack(p, s, f->ack->seq, 1);
        break;
    case JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT:
        if (s->role == ROLE_CONSUMER)
            s->peer_position = f->heartbeat->position;
        if (s->role == ROLE_PRODUCER && s->state == SESS_ACTIVE)
            producer_on_ack(p, s, f->heartbeat->position, 0); /* repairs a lost ACK */
        else if (s->role == ROLE_CONSUMER && s->state == SESS_ACTIVE &&
                 f->heartbeat->position > s->pending &&
                 s->last_record_at + p->o.heartbeat_ms < s->last_rx &&
                 s->last_resume_at + p->o.heartbeat_ms < s->last_rx && consumer_writable(p))
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
    consumer_commit(p);
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->role == ROLE_CONSUMER && s->need_ack && !s->dead)
            stream_send_ack(p, s);
        else if (s->role == ROLE_PRODUCER && !s->dead)
            producer_pump(p, s);
    }
    producer_save_acks(p);
    stream_sessions_reap(p);
}

static void peer_on_readable(svc_t *svc, void *arg)
{
    stream_peer_t *p = arg;

    (void)svc;
    if (p->apply_fn)
        consumer_writable(p);
    for (int i = 0; i < STREAM_DRAIN_MAX; i++)
        if (peer_read_one(p) < 0)
            break;
    peer_after_batch(p);
}

/* After every loop turn: send what other handlers appended to our logs. */
static void peer_after_turn(svc_t *svc, void *arg)
{
    stream_peer_t *p = arg;

    (void)svc;
    for (size_t i = 0; i < p->n_sess; i++)
        if (p->sess[i]->role == ROLE_PRODUCER)
            producer_pump(p, p->sess[i]);
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
        consumer_commit(p);
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
        svc_after_turn(svc, peer_after_turn, p)) {
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
    consumer_commit(p);
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
