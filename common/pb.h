/* pb.h - a protobuf-c message packed into a buffer of its own, the sequence
 * every store write and every reply needs, the store write itself, and a
 * message copied onto the heap. */
#ifndef JIJU_PB_H
#define JIJU_PB_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "store.h"

/* Pack msg into a new malloc'd buffer (never NULL on success, even for an
 * empty message). JIJU_OK with *out (caller frees) and *len, or
 * JIJU_ERR_NOMEM with both untouched. */
int pb_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *len);

/* A heap copy of msg that owns all it holds, whatever msg points into
 * (the stack, a JSON document): packed and unpacked through msg's own
 * descriptor, so it serves any message type. Caller frees it with
 * protobuf_c_message_free_unpacked(copy, NULL). NULL when out of memory. */
ProtobufCMessage *pb_copy(const ProtobufCMessage *msg);

/* Pack msg and put it at key in column family cf inside txn. JIJU_OK or
 * the error of pb_pack or store_txn_put. */
int pb_txn_put(store_txn_t *txn, int cf, const void *key, size_t klen, const ProtobufCMessage *msg);

/* 1 if msg or any message inside it holds unknown fields (bytes of fields
 * this build's .proto does not know), 0 if none: then packing msg writes
 * only known fields, which protobuf-c always reads back. */
int pb_has_unknown_fields(const ProtobufCMessage *msg);

/* v as a protobuf base-128 varint at p (at most PB_VARINT_MAX bytes);
 * returns the bytes written. For framing written by hand where a packed
 * message is not the unit (a log run's record lengths, a one-field stamp
 * appended to a packed record). */
#define PB_VARINT_MAX 10
size_t pb_varint_put(uint8_t *p, uint64_t v);
/* The bytes pb_varint_put writes for v (1..PB_VARINT_MAX). */
size_t pb_varint_len(uint64_t v);

/* The encoding of a message (in, len) without its top-level fields numbered
 * field, copied into out (room for len bytes): the same message with that
 * field cleared, its other bytes as they were, without decoding and packing
 * it again (notification stores each event so, without its seq). JIJU_OK
 * with *out_len, or JIJU_ERR_CORRUPT when in is not a well-formed sequence
 * of fields (groups included: none of Jiju's messages has them). */
int pb_strip_field(const uint8_t *in, size_t len, uint32_t field, uint8_t *out, size_t *out_len);

#endif
