/* pb_arena.c - a bump allocator for protobuf-c unpacking. */
#include "pb_arena.h"

#include <stdalign.h>
#include <stdlib.h>

static void *pb_arena_alloc(void *data, size_t size)
{
    pb_arena *a = data;
    size_t at = (a->used + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

    if (size <= a->cap && at <= a->cap - size) {
        a->used = at + size;
        return a->buf + at;
    }
    return malloc(size);
}

static void pb_arena_release(void *data, void *p)
{
    pb_arena *a = data;
    uint8_t *b = p;

    if (b && ((uintptr_t)b < (uintptr_t)a->buf || (uintptr_t)b >= (uintptr_t)a->buf + a->cap))
        free(p);
}

void pb_arena_init(pb_arena *a, void *buf, size_t cap)
{
    a->alloc.alloc = pb_arena_alloc;
    a->alloc.free = pb_arena_release;
    a->alloc.allocator_data = a;
    a->buf = buf;
    a->cap = cap;
    a->used = 0;
}

void pb_arena_free(pb_arena *a, ProtobufCMessage *msg)
{
    if (msg)
        protobuf_c_message_free_unpacked(msg, &a->alloc);
    a->used = 0;
}
