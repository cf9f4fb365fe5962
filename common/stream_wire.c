/* stream_wire.c - the stream's frames on the wire, and the cursor and ack
 * keys in the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "pb.h"
#include "stream_int.h"

int peer_send(stream_peer_t *p, session *s, const Jiju__V1__StreamFrame *f)
{
    uint8_t *buf;
    size_t len;
    int rc = 0;

    if (pb_pack(&f->base, &buf, &len) != JIJU_OK)
        return JIJU_ERR_NOMEM;
    if (p->is_server && zmq_send(p->sock, s->rid, s->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        rc = -1;
    if (rc == 0 && zmq_send(p->sock, buf, len, ZMQ_DONTWAIT) < 0)
        rc = -1;
    free(buf);
    if (rc < 0) {
        if (errno == EAGAIN)
            return JIJU_ERR_AGAIN;
        s->dead = 1; /* EHOSTUNREACH with ROUTER_MANDATORY: the peer is gone */
        return JIJU_ERR_ZMQ;
    }
    s->last_tx = clock_mono_ms();
    return JIJU_OK;
}

void send_hello(stream_peer_t *p, session *s)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Hello h = JIJU__V1__HELLO__INIT;

    h.peer_id = p->self_id;
    h.role = s->role == ROLE_PRODUCER ? JIJU__V1__STREAM_ROLE__PRODUCER
                                      : JIJU__V1__STREAM_ROLE__CONSUMER;
    h.stream = s->stream;
    h.protocol_version = 1;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_HELLO;
    f.hello = &h;
    peer_send(p, s, &f);
}

void send_resume(stream_peer_t *p, session *s, uint64_t next)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Resume r = JIJU__V1__RESUME__INIT;

    r.next_seq = next;
    r.credit = p->o.credit;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_RESUME;
    f.resume = &r;
    s->last_resume = next;
    s->last_resume_at = clock_mono_ms();
    peer_send(p, s, &f);
}

void send_ack(stream_peer_t *p, session *s)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Ack a = JIJU__V1__ACK__INIT;

    a.seq = s->applied;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_ACK;
    f.ack = &a;
    if (peer_send(p, s, &f) == JIJU_OK)
        s->need_ack = 0;
}

void send_heartbeat(stream_peer_t *p, session *s)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__Heartbeat h = JIJU__V1__HEARTBEAT__INIT;

    h.position = s->role == ROLE_PRODUCER ? (s->log ? stream_log_last(s->log) : 0) : s->applied;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT;
    f.heartbeat = &h;
    peer_send(p, s, &f);
}

void send_error(stream_peer_t *p, session *s, const char *code, const char *msg)
{
    Jiju__V1__StreamFrame f = JIJU__V1__STREAM_FRAME__INIT;
    Jiju__V1__StreamError e = JIJU__V1__STREAM_ERROR__INIT;

    e.code = (char *)code;
    e.message = (char *)msg;
    f.kind_case = JIJU__V1__STREAM_FRAME__KIND_ERROR;
    f.error = &e;
    peer_send(p, s, &f);
}

/* ---- cursors and acks ---- */

size_t cursor_key(const char *stream, const char *producer, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%c%s", stream, 0, producer);
    return n < 0 || (size_t)n >= cap ? cap - 1 : (size_t)n;
}

uint64_t read_u64(store_t *store, int cf, const char *key, size_t klen)
{
    void *v = NULL;
    size_t vlen = 0;
    uint64_t out = 0;

    if (cf >= 0 && store_get(store, cf, key, klen, &v, &vlen) == JIJU_OK && vlen == 8)
        out = store_be64_get(v);
    free(v);
    return out;
}

uint64_t stream_cursor(store_t *store, const char *stream_name, const char *producer_id)
{
    char key[256];
    size_t klen = cursor_key(stream_name, producer_id, key, sizeof key);

    return read_u64(store, store_cf(store, STORE_CF_CURSOR), key, klen);
}

int stream_cursor_put(store_t *store, store_txn_t *txn, const char *stream_name,
                      const char *producer_id, uint64_t seq)
{
    char key[256];
    size_t klen = cursor_key(stream_name, producer_id, key, sizeof key);
    uint8_t v[8];

    if (strlen(stream_name) + 1 + strlen(producer_id) > klen)
        return JIJU_ERR_INVALID; /* would not fit the key: never write a truncated one */
    store_be64_put(v, seq);
    return store_txn_put(txn, store_cf(store, STORE_CF_CURSOR), key, klen, v, sizeof v);
}

uint64_t stream_acked(store_t *store, const char *log_name, const char *consumer_id)
{
    char key[256];
    size_t klen = cursor_key(log_name, consumer_id, key, sizeof key);

    return read_u64(store, store_cf(store, STORE_CF_ACKS), key, klen);
}

/* Read the cursor through the txn: a batch may hold several records of the
 * same producer, and two sessions of one producer (an old one not yet timed
 * out and its replacement) may deliver the same record. */
uint64_t txn_cursor(stream_peer_t *p, session *s)
{
    char key[256];
    size_t klen = cursor_key(s->stream, s->peer_id, key, sizeof key);
    void *v = NULL;
    size_t vlen = 0;
    uint64_t out = 0;

    if (store_txn_get(p->txn, p->cf_cursor, key, klen, &v, &vlen) == JIJU_OK && vlen == 8)
        out = store_be64_get(v);
    free(v);
    return out;
}

