/* pb_arena.h - decoding a protobuf-c message into a caller's buffer: a bump
 * allocator for protobuf_c_message_unpack, so that decoding a small message
 * read for a few fields (the archive indexes every record by four strings of
 * its envelope) costs no malloc/free per field. What does not fit in the
 * buffer is malloc'd; pb_arena_free releases it. */
#ifndef JIJU_PB_ARENA_H
#define JIJU_PB_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct pb_arena {
    ProtobufCAllocator alloc; /* first: pass &arena->alloc to *_unpack */
    uint8_t *buf;
    size_t cap, used;
} pb_arena;

/* An arena over buf[0..cap) (buf aligned as malloc's, e.g. a max_align_t array). */
void pb_arena_init(pb_arena *a, void *buf, size_t cap);

/* Release a message unpacked with &a->alloc (what overflowed the buffer is
 * freed) and make the whole buffer available again. msg may be NULL. */
void pb_arena_free(pb_arena *a, ProtobufCMessage *msg);

#endif
