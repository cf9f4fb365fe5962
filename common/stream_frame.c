/* stream_frame.c - the stream protocol's frames and its sequencing rule,
 * written once for both consumers: the store-backed endpoints (stream.c)
 * and the store-less subscriber (stream_sub.c). See proto/jiju/v1/stream.proto. */
#include <errno.h>
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

/* Send m (after the routing id rid, if any) without blocking; m is
 * closed either way. */
static int msg_send(void *sock, const uint8_t *rid, size_t rid_len, zmq_msg_t *m)
{
    int rc = JIJU_OK, sent = 0;

    if (!rid || zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        sent = zmq_msg_send(m, sock, ZMQ_DONTWAIT) >= 0;
    if (!sent) { /* still ours: zmq_msg_send takes the message only when it succeeds */
        rc = errno == EAGAIN ? JIJU_ERR_AGAIN : JIJU_ERR_ZMQ;
        zmq_msg_close(m);
    }
    return rc;
}

/* Packed straight into the ZeroMQ message that is sent: zmq_send() would
 * copy a packed buffer again into a message of its own, and a RECORD frame
 * is mostly the record's bytes (one per record per consumer; at 20
 * subscribers that copy and its malloc were a tenth of notification's
 * main thread, docs/benchmarks.md "Session 7"). */
int stream_frame_send(void *sock, const uint8_t *rid, size_t rid_len,
                      const Jiju__V1__StreamFrame *f)
{
    zmq_msg_t m;
    size_t len = protobuf_c_message_get_packed_size(&f->base);

    if (zmq_msg_init_size(&m, len) != 0)
        return JIJU_ERR_NOMEM;
    protobuf_c_message_pack(&f->base, zmq_msg_data(&m));
    return msg_send(sock, rid, rid_len, &m);
}

/* A RECORD frame is written by hand: protobuf-c's pack of a StreamFrame
 * holding a Record walks both descriptors and the oneof for three fields
 * (4% of notification's samples: 20 frames per event, docs/benchmarks.md
 * "Session 8"). The bytes are protobuf-c's own (test_stream_producer
 * compares them): field 3 (tag 0x1a) holding the Record, whose seq (tag
 * 0x08) and envelope (tag 0x12) are left out when 0 or empty, as proto3
 * does. */
#define TAG_FRAME_RECORD 0x1a
#define TAG_RECORD_SEQ 0x08
#define TAG_RECORD_ENVELOPE 0x12

int stream_frame_send_record(void *sock, const uint8_t *rid, size_t rid_len, uint64_t seq,
                             const uint8_t *data, size_t len)
{
    zmq_msg_t m;
    size_t inner = (seq ? 1 + pb_varint_len(seq) : 0) + (len ? 1 + pb_varint_len(len) + len : 0);
    uint8_t *p;

    if (zmq_msg_init_size(&m, 1 + pb_varint_len(inner) + inner) != 0)
        return JIJU_ERR_NOMEM;
    p = zmq_msg_data(&m);
    *p++ = TAG_FRAME_RECORD;
    p += pb_varint_put(p, inner);
    if (seq) {
        *p++ = TAG_RECORD_SEQ;
        p += pb_varint_put(p, seq);
    }
    if (len) {
        *p++ = TAG_RECORD_ENVELOPE;
        p += pb_varint_put(p, len);
        memcpy(p, data, len);
    }
    return msg_send(sock, rid, rid_len, &m);
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
