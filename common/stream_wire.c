/* stream_wire.c - the stream's frames to one session, and the cursor and
 * ack keys in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "stream_int.h"

/* What a send's outcome says of the session. */
static int sent(stream_session *s, int rc)
{
    if (rc == JIJU_ERR_ZMQ)
        s->dead = 1; /* EHOSTUNREACH with ROUTER_MANDATORY: the peer is gone */
    if (rc == JIJU_OK)
        s->last_tx = clock_mono_ms();
    return rc;
}

int stream_send(stream_peer_t *p, stream_session *s, const Jiju__V1__StreamFrame *f)
{
    return sent(s, stream_frame_send(p->sock, p->is_server ? s->rid : NULL, s->rid_len, f));
}

int stream_send_record(stream_peer_t *p, stream_session *s, uint64_t seq, const uint8_t *data,
                       size_t len)
{
    return sent(s, stream_frame_send_record(p->sock, p->is_server ? s->rid : NULL, s->rid_len, seq,
                                            data, len));
}

void stream_send_hello(stream_peer_t *p, stream_session *s)
{
    stream_frame b;
    stream_incarnation inc = {0};

    if (s->role == ROLE_PRODUCER && s->log)
        inc = (stream_incarnation){stream_log_store_id(s->log), stream_log_epoch(s->log),
                                   stream_log_first(s->log), stream_log_last(s->log)};
    stream_send(p, s,
                stream_frame_hello(&b, p->self_id, s->role == ROLE_PRODUCER, s->stream,
                                   s->role == ROLE_PRODUCER ? &inc : NULL));
}

void stream_send_resume(stream_peer_t *p, stream_session *s, uint64_t next)
{
    stream_frame b;

    s->last_resume = next;
    s->last_resume_at = clock_mono_ms();
    s->gap_resume = 1; /* the producer restarts its sequence from next */
    stream_send(p, s, stream_frame_resume(&b, next, p->o.credit));
}

void stream_send_ack(stream_peer_t *p, stream_session *s)
{
    stream_frame b;

    if (stream_send(p, s, stream_frame_ack(&b, s->applied)) == JIJU_OK)
        s->need_ack = 0;
}

void stream_send_heartbeat(stream_peer_t *p, stream_session *s)
{
    stream_frame b;
    uint64_t pos = s->role == ROLE_PRODUCER ? (s->log ? stream_log_last(s->log) : 0) : s->applied;

    stream_send(p, s, stream_frame_heartbeat(&b, pos));
}

void stream_send_error(stream_peer_t *p, stream_session *s, const char *code, const char *msg)
{
    stream_frame b;

    stream_send(p, s, stream_frame_error(&b, code, msg));
}

/* ---- cursors and acks ---- */

size_t stream_cursor_key(const char *stream, const char *producer, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%c%s", stream, 0, producer);
    return n < 0 || (size_t)n >= cap ? cap - 1 : (size_t)n;
}

uint64_t stream_read_u64(store_t *store, int cf, const char *key, size_t klen)
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
    size_t klen = stream_cursor_key(stream_name, producer_id, key, sizeof key);

    return stream_read_u64(store, store_cf(store, STORE_CF_CURSOR), key, klen);
}

int stream_cursor_put(store_t *store, store_txn_t *txn, const char *stream_name,
                      const char *producer_id, uint64_t seq)
{
    char key[256];
    size_t klen = stream_cursor_key(stream_name, producer_id, key, sizeof key);
    uint8_t v[8];

    if (strlen(stream_name) + 1 + strlen(producer_id) > klen)
        return JIJU_ERR_INVALID; /* would not fit the key: never write a truncated one */
    store_be64_put(v, seq);
    return store_txn_put(txn, store_cf(store, STORE_CF_CURSOR), key, klen, v, sizeof v);
}

uint64_t stream_acked(store_t *store, const char *log_name, const char *consumer_id)
{
    char key[256];
    size_t klen = stream_cursor_key(log_name, consumer_id, key, sizeof key);

    return stream_read_u64(store, store_cf(store, STORE_CF_ACKS), key, klen);
}

/* Read the cursor through the txn: a batch may hold several records of the
 * same producer, and two sessions of one producer (an old one not yet timed
 * out and its replacement) may deliver the same record. */
uint64_t stream_txn_cursor(stream_peer_t *p, stream_session *s)
{
    char key[256];
    size_t klen = stream_cursor_key(s->stream, s->peer_id, key, sizeof key);
    void *v = NULL;
    size_t vlen = 0;
    uint64_t out = 0;

    if (store_txn_get(p->txn, p->cf_cursor, key, klen, &v, &vlen) == JIJU_OK && vlen == 8)
        out = store_be64_get(v);
    free(v);
    return out;
}
