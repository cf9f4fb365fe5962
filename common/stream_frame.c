/* stream_frame.c - the stream protocol's frames and its sequencing rule,
 * written once for both consumers: the store-backed endpoints (stream.c)
 * and the store-less subscriber (stream_sub.c). See proto/jiju/v1/stream.proto. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "pb.h"
#include "stream_int.h"

static const Jiju__V1__StreamFrame *frame_of(stream_frame *b, Jiju__V1__StreamFrame__KindCase k)
{
    jiju__v1__stream_frame__init(&b->f);
    b->f.kind_case = k;
    return &b->f;
}

const Jiju__V1__StreamFrame *stream_frame_hello(stream_frame *b, const char *peer_id, int producer,
                                                const char *stream, const stream_incarnation *inc)
{
    Jiju__V1__Hello *h = &b->u.hello;

    jiju__v1__hello__init(h);
    h->peer_id = (char *)peer_id;
    h->role = producer ? JIJU__V1__STREAM_ROLE__PRODUCER : JIJU__V1__STREAM_ROLE__CONSUMER;
    h->stream = (char *)stream;
    h->protocol_version = STREAM_PROTOCOL_VERSION;
    if (inc) {
        h->store_id = (char *)inc->store_id;
        h->epoch = inc->epoch;
        h->first_seq = inc->first_seq;
        h->last_seq = inc->last_seq;
    }
    frame_of(b, JIJU__V1__STREAM_FRAME__KIND_HELLO);
    b->f.hello = h;
    return &b->f;
}

const Jiju__V1__StreamFrame *stream_frame_resume(stream_frame *b, uint64_t next, uint32_t credit)
{
    jiju__v1__resume__init(&b->u.resume);
    b->u.resume.next_seq = next;
    b->u.resume.credit = credit;
    frame_of(b, JIJU__V1__STREAM_FRAME__KIND_RESUME);
    b->f.resume = &b->u.resume;
    return &b->f;
}

const Jiju__V1__StreamFrame *stream_frame_ack(stream_frame *b, uint64_t seq)
{
    jiju__v1__ack__init(&b->u.ack);
    b->u.ack.seq = seq;
    frame_of(b, JIJU__V1__STREAM_FRAME__KIND_ACK);
    b->f.ack = &b->u.ack;
    return &b->f;
}

const Jiju__V1__StreamFrame *stream_frame_heartbeat(stream_frame *b, uint64_t position)
{
    jiju__v1__heartbeat__init(&b->u.heartbeat);
    b->u.heartbeat.position = position;
    frame_of(b, JIJU__V1__STREAM_FRAME__KIND_HEARTBEAT);
    b->f.heartbeat = &b->u.heartbeat;
    return &b->f;
}

const Jiju__V1__StreamFrame *stream_frame_error(stream_frame *b, const char *code, const char *msg)
{
    jiju__v1__stream_error__init(&b->u.error);
    b->u.error.code = (char *)code;
    b->u.error.message = (char *)msg;
    frame_of(b, JIJU__V1__STREAM_FRAME__KIND_ERROR);
    b->f.error = &b->u.error;
    return &b->f;
}

int stream_frame_send(void *sock, const uint8_t *rid, size_t rid_len,
                      const Jiju__V1__StreamFrame *f)
{
    uint8_t *buf;
    size_t len;
    int rc = pb_pack(&f->base, &buf, &len), sent = 0;

    if (rc != JIJU_OK)
        return rc;
    if (!rid || zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        sent = zmq_send(sock, buf, len, ZMQ_DONTWAIT) >= 0;
    if (!sent)
        rc = errno == EAGAIN ? JIJU_ERR_AGAIN : JIJU_ERR_ZMQ;
    free(buf);
    return rc;
}

stream_seq_verdict stream_seq_judge(uint64_t expected, uint64_t seq, uint64_t prev_rx,
                                    int gap_resume)
{
    if (expected == 0 || seq == expected)
        return STREAM_SEQ_APPLY;
    if (seq < expected)
        return STREAM_SEQ_DUP;
    if (gap_resume && seq <= prev_rx)
        return STREAM_SEQ_TRIMMED;
    return STREAM_SEQ_GAP;
}
