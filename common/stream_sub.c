/* stream_sub.c - the store-less blocking stream consumer (see stream_sub.h
 * and proto/jiju/v1/stream.proto). */
#include "stream_sub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "jiju/v1/stream.pb-c.h"
#include "keys.h"
#include "stream_int.h"
#include "zap.h"

enum sub_state { SUB_WAIT_HELLO = 0, SUB_ACTIVE };

struct stream_sub {
    void *zctx;
    void *sock;
    char endpoint[256];
    char stream[64];
    char consumer_id[128];
    char producer[128];
    char last_error[256];
    uint64_t from_seq;    /* asked for at open; 0 = producer's stored ack */
    uint64_t delivered;   /* last seq handed to the caller */
    uint64_t acked;       /* last seq the caller acknowledged */
    uint64_t last_rx_seq; /* last RECORD seq seen on this connection */
    uint32_t credit;
    int heartbeat_ms, timeout_ms;
    int state;
    int gap_resume; /* a RESUME for a gap is outstanding */
    int reconnect;
    int64_t last_rx, last_tx, last_resume_at, last_record_at;
    char curve[3][41]; /* server public, our public, our secret; "" = plain */
};

/* A record handed out by handle_record, owned by the caller of next(). */
typedef struct sub_out {
    uint64_t seq;
    uint8_t *data;
    size_t len;
    int have;
} sub_out;

static int sub_send(stream_sub_t *s, const Jiju__V1__StreamFrame *f)
{
    /* A full pipe drops this frame: heartbeats and RESUMEs are repeated, an
     * ACK is repeated by the next heartbeat's position. */
    int rc = stream_frame_send(s->sock, NULL, 0, f);

    if (rc == JIJU_OK)
        s->last_tx = clock_mono_ms();
    return rc;
}

static void send_hello(stream_sub_t *s)
{
    stream_frame b;

    sub_send(s, stream_frame_hello(&b, s->consumer_id, 0, s->stream, NULL));
}

/* Where to restart: after what the caller acknowledged, so the producer's
 * stored ack never runs ahead of the caller (records delivered but not
 * acked come again and are dropped as duplicates). */
static uint64_t resume_point(const stream_sub_t *s)
{
    return s->acked ? s->acked + 1 : s->from_seq;
}

static void send_resume(stream_sub_t *s)
{
    stream_frame b;

    s->last_resume_at = clock_mono_ms();
    sub_send(s, stream_frame_resume(&b, resume_point(s), s->credit));
}

static void send_ack(stream_sub_t *s)
{
    stream_frame b;

    sub_send(s, stream_frame_ack(&b, s->acked));
}

static void send_heartbeat(stream_sub_t *s)
{
    stream_frame b;

    sub_send(s, stream_frame_heartbeat(&b, s->acked));
}

/* A fresh DEALER: an old one could still deliver frames of the abandoned
 * session. */
static int sub_connect(stream_sub_t *s)
{
    int zero = 0;

    if (s->sock)
        zmq_close(s->sock);
    s->sock = zmq_socket(s->zctx, ZMQ_DEALER);
    if (!s->sock)
        return JIJU_ERR_ZMQ;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
    if ((s->curve[0][0] &&
         zap_curve_client(s->sock, s->curve[0], s->curve[1], s->curve[2]) != JIJU_OK) ||
        zmq_connect(s->sock, s->endpoint) < 0) {
        zmq_close(s->sock);
        s->sock = NULL;
        return JIJU_ERR_ZMQ;
    }
    s->state = SUB_WAIT_HELLO;
    s->reconnect = 0;
    s->gap_resume = 0;
    s->last_rx_seq = 0;
    s->last_rx = s->last_tx = s->last_record_at = clock_mono_ms();
    send_hello(s);
    return JIJU_OK;
}

stream_sub_t *stream_sub_open(void *zctx, const char *endpoint, const char *stream,
                              const char *consumer_id, uint64_t from_seq, uint32_t credit,
                              int heartbeat_ms, int timeout_ms)
{
    stream_sub_t *s;

    if (!zctx || !endpoint || !stream || !consumer_id || !*stream || !*consumer_id ||
        strlen(endpoint) >= sizeof s->endpoint || strlen(stream) >= sizeof s->stream ||
        strlen(consumer_id) >= sizeof s->consumer_id)
        return NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->zctx = zctx;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    snprintf(s->stream, sizeof s->stream, "%s", stream);
    snprintf(s->consumer_id, sizeof s->consumer_id, "%s", consumer_id);
    s->from_seq = from_seq;
    s->credit = credit ? credit : 1000;
    s->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 1000;
    s->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    if (sub_connect(s) != JIJU_OK)
        stream_sub_destroy(&s);
    return s;
}

int stream_sub_set_curve(stream_sub_t *s, const char *server_public, const char *client_public,
                         const char *client_secret)
{
    const char *keys[3] = {server_public, client_public, client_secret};

    for (int k = 0; k < 3; k++)
        if (!keys_z85_valid(keys[k]))
            return JIJU_ERR_INVALID;
    if (!zmq_has("curve"))
        return JIJU_ERR_ZMQ;
    for (int k = 0; k < 3; k++)
        memcpy(s->curve[k], keys[k], 41);
    return sub_connect(s);
}

void stream_sub_destroy(stream_sub_t **sp)
{
    stream_sub_t *s = sp ? *sp : NULL;

    if (!s)
        return;
    if (s->sock) {
        /* let the last ACK leave; a lost one would only mean redelivery */
        int linger = s->heartbeat_ms < 500 ? s->heartbeat_ms : 500;
        zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(s->sock);
    }
    explicit_bzero(s->curve, sizeof s->curve);
    free(s);
    *sp = NULL;
}

uint64_t stream_sub_delivered(const stream_sub_t *s)
{
    return s->delivered;
}

const char *stream_sub_producer(const stream_sub_t *s)
{
    return s->producer;
}

const char *stream_sub_last_error(const stream_sub_t *s)
{
    return s->last_error;
}

int stream_sub_ack(stream_sub_t *s, uint64_t seq)
{
    if (!s || seq > s->delivered)
        return JIJU_ERR_INVALID;
    if (seq <= s->acked)
        return JIJU_OK;
    s->acked = seq;
    if (s->state == SUB_ACTIVE)
        send_ack(s);
    return JIJU_OK;
}

static int deliver(stream_sub_t *s, const Jiju__V1__Record *r, sub_out *out)
{
    uint8_t *copy = malloc(r->envelope.len ? r->envelope.len : 1);

    if (!copy)
        return JIJU_ERR_NOMEM;
    if (r->envelope.len)
        memcpy(copy, r->envelope.data, r->envelope.len);
    s->delivered = r->seq;
    s->gap_resume = 0;
    out->seq = r->seq;
    out->data = copy;
    out->len = r->envelope.len;
    out->have = 1;
    return JIJU_OK;
}

/* The next seq in order, 0 when any will do (nothing delivered yet and the
 * producer chooses where to start). */
static uint64_t expected(const stream_sub_t *s)
{
    return s->delivered ? s->delivered + 1 : s->from_seq;
}

static int on_record(stream_sub_t *s, const Jiju__V1__Record *r, sub_out *out)
{
    uint64_t prev = s->last_rx_seq;
    int64_t now = clock_mono_ms();

    s->last_rx_seq = r->seq;
    s->last_record_at = now;
    if (s->state != SUB_ACTIVE)
        return JIJU_OK;
    switch (stream_seq_judge(expected(s), r->seq, prev, s->gap_resume)) {
    case STREAM_SEQ_APPLY:
        return deliver(s, r, out);
    case STREAM_SEQ_TRIMMED:
        /* store-less: start again at what the producer still holds (a
         * subscriber learns what retention dropped from EventsDropped) */
        return deliver(s, r, out);
    case STREAM_SEQ_GAP:
        if (!s->gap_resume || now - s->last_resume_at > s->heartbeat_ms) {
            send_resume(s);
            s->gap_resume = 1;
        }
        return JIJU_OK;
    case STREAM_SEQ_DUP: /* at or below what was delivered, or below --from */
    default:
        return JIJU_OK;
    }
}

static void on_heartbeat(stream_sub_t *s, uint64_t position)
{
    int64_t now = clock_mono_ms();

    /* Records the producer has but did not send (lost in its restart): ask
     * again, but not while the caller holds unacked ones (credit). */
    if (s->state == SUB_ACTIVE && (s->delivered || s->from_seq) && position > s->delivered &&
        s->delivered == s->acked && now - s->last_record_at > s->heartbeat_ms &&
        now - s->last_resume_at > s->heartbeat_ms)
        send_resume(s);
}

static int on_error(stream_sub_t *s, const Jiju__V1__StreamError *e)
{
    int was_waiting = s->state == SUB_WAIT_HELLO;

    snprintf(s->last_error, sizeof s->last_error, "%s: %s", e->code ? e->code : "",
             e->message ? e->message : "");
    s->reconnect = 1;
    return was_waiting ? JIJU_ERR_PROTOCOL : JIJU_OK;
}

static int on_frame(stream_sub_t *s, const Jiju__V1__StreamFrame *f, sub_out *out)
{
    s->last_rx = clock_mono_ms();
    switch (f->kind_case) {
    case JIJU__V1__STREAM_FRAME__KIND_HELLO:
        snprintf(s->producer, sizeof s->producer, "%s", f->hello->peer_id ? f->hello->peer_id : "");
        s->state = SUB_ACTIVE;
        send_resume(s);
        return JIJU_OK;
    case JIJU__V1__STREAM_FRAME__KIND_RECORD:
        return on_record(s, f->record, out);
    case JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT:
        on_heartbeat(s, f->heartbeat->position);
        return JIJU_OK;
    case JIJU__V1__STREAM_FRAME__KIND_ERROR:
        return on_error(s, f->error);
    default:
        return JIJU_OK; /* RESUME/ACK make no sense to a consumer: ignore */
    }
}

/* Read and handle every queued frame until one record is delivered. */
static int drain(stream_sub_t *s, sub_out *out)
{
    int rc = JIJU_OK;

    while (!out->have && !s->reconnect && rc == JIJU_OK) {
        zmq_msg_t m;
        Jiju__V1__StreamFrame *f;

        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        f = jiju__v1__stream_frame__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        if (f) {
            rc = on_frame(s, f, out);
            jiju__v1__stream_frame__free_unpacked(f, NULL);
        }
        zmq_msg_close(&m);
    }
    return rc;
}

/* Heartbeats and the dead-producer check, once per poll slice. */
static void tick(stream_sub_t *s)
{
    int64_t now = clock_mono_ms();

    if (now - s->last_rx > s->timeout_ms)
        s->reconnect = 1;
    else if (s->state == SUB_ACTIVE && now - s->last_tx >= s->heartbeat_ms)
        send_heartbeat(s);
}

int stream_sub_next(stream_sub_t *s, int timeout_ms, uint64_t *seq, uint8_t **data, size_t *len)
{
    int64_t deadline = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
    sub_out out = {0};
    int rc = JIJU_OK;

    for (;;) {
        zmq_pollitem_t item;
        int64_t wait = s->heartbeat_ms / 2 > 0 ? s->heartbeat_ms / 2 : 1;

        if (s->reconnect && (rc = sub_connect(s)) != JIJU_OK)
            return rc;
        rc = drain(s, &out);
        if (out.have || rc != JIJU_OK)
            break;
        if (s->reconnect)
            continue;
        tick(s);
        if (s->reconnect)
            continue;
        if (deadline >= 0) {
            int64_t left = deadline - clock_mono_ms();
            if (left <= 0)
                return JIJU_ERR_TIMEOUT;
            if (left < wait)
                wait = left;
        }
        item = (zmq_pollitem_t){.socket = s->sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, (long)wait) < 0 && errno != EINTR)
            return JIJU_ERR_ZMQ;
    }
    if (rc != JIJU_OK) {
        free(out.data);
        return rc;
    }
    *seq = out.seq;
    *data = out.data;
    *len = out.len;
    return JIJU_OK;
}
