/* stream_sub.h - a blocking consumer of a durable stream, without a store:
 * for the `jiju` command, tests and benchmarks.
 *
 * It speaks the protocol of proto/jiju/v1/stream.proto as the connecting
 * CONSUMER (a DEALER): HELLO, then RESUME after the producer's HELLO, then
 * RECORDs in order, ACKs when the caller says so, HEARTBEATs both ways.
 * It keeps no cursor on disk: the producer remembers the last ACK per
 * consumer id, so from_seq 0 ("after the last ack the producer stored")
 * resumes where the previous run stopped.
 *
 * stream_sub_next() delivers each sequence once, in order: duplicates at or
 * below what was delivered are dropped; a gap (a seq beyond the next one
 * expected) is answered with RESUME of the expected seq, and accepted only
 * when the producer, having restarted from that RESUME, still cannot go
 * lower (its log was trimmed). A producer silent for timeout_ms, or one that
 * sends ERROR, is dropped: a fresh DEALER says HELLO again and resumes after
 * the last delivered seq.
 *
 * Not thread-safe: one stream_sub_t per thread. */
#ifndef JIJU_STREAM_SUB_H
#define JIJU_STREAM_SUB_H

#include <stddef.h>
#include <stdint.h>

typedef struct stream_sub stream_sub_t;

/* Connect to endpoint (not blocking: the handshake happens in
 * stream_sub_next) as consumer_id asking for stream. from_seq is the first
 * seq wanted, 0 for "after the last ACK the producer stored". credit is the
 * window (0: 1000), heartbeat_ms the keep-alive interval (0: 1000),
 * timeout_ms the silence after which the producer counts as gone (0: 5000).
 * zctx is a ZeroMQ context the caller owns and keeps alive. NULL on failure
 * (bad endpoint, empty ids, no memory). Caller owns the result. */
stream_sub_t *stream_sub_open(void *zctx, const char *endpoint, const char *stream,
                              const char *consumer_id, uint64_t from_seq, uint32_t credit,
                              int heartbeat_ms, int timeout_ms);

/* Speak CURVE to the producer (Z85 keys, 40 characters each): its service's
 * public key and our key pair. Reconnects at once with a fresh socket and a
 * new HELLO. JIJU_ERR_INVALID if a key is malformed, JIJU_ERR_ZMQ if libzmq
 * lacks CURVE or the socket cannot be reopened. */
int stream_sub_set_curve(stream_sub_t *s, const char *server_public, const char *client_public,
                         const char *client_secret);

/* Wait up to timeout_ms (negative: forever) for the next record. On success
 * *seq, *data (the serialized Envelope; caller owns, free()) and *len are
 * set. JIJU_ERR_TIMEOUT when nothing came in time; JIJU_ERR_PROTOCOL when
 * the producer refused the handshake with an ERROR (see
 * stream_sub_last_error; the next call tries again); JIJU_ERR_NOMEM,
 * JIJU_ERR_ZMQ. Outputs are set only on success. */
int stream_sub_next(stream_sub_t *s, int timeout_ms, uint64_t *seq, uint8_t **data, size_t *len);

/* Tell the producer that every record up to seq is processed. seq must not
 * exceed the last delivered one (JIJU_ERR_INVALID). Acks below the last one
 * are ignored. */
int stream_sub_ack(stream_sub_t *s, uint64_t seq);

/* The last delivered seq (0 before the first) and the producer's id ("" before
 * its HELLO). */
uint64_t stream_sub_delivered(const stream_sub_t *s);
const char *stream_sub_producer(const stream_sub_t *s);

/* "CODE: message" of the last ERROR frame received, "" if none. */
const char *stream_sub_last_error(const stream_sub_t *s);

/* Close the socket, giving a last ACK up to min(heartbeat_ms, 500) ms to
 * leave (the zmq context's termination waits that long at most); the
 * producer keeps the stored ack. Accepts NULL, nulls *s. */
void stream_sub_destroy(stream_sub_t **s);

#endif
