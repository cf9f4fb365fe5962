/* pb.c - pack a message into its own buffer, copy one onto the heap (pb.h). */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int pb_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1); /* malloc(0) may be NULL */

    if (!buf)
        return JIJU_ERR_NOMEM;
    protobuf_c_message_pack(msg, buf);
    *out = buf;
    *len = n;
    return JIJU_OK;
}

ProtobufCMessage *pb_copy(const ProtobufCMessage *msg)
{
    ProtobufCMessage *copy;
    uint8_t *buf;
    size_t len;

    if (pb_pack(msg, &buf, &len) != JIJU_OK)
        return NULL;
    copy = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

int pb_txn_put(store_txn_t *txn, int cf, const void *key, size_t klen, const ProtobufCMessage *msg)
{
    uint8_t *buf;
    size_t len;
    int rc = pb_pack(msg, &buf, &len);

    if (rc != JIJU_OK)
        return rc;
    rc = store_txn_put(txn, cf, key, klen, buf, len);
    free(buf);
    return rc;
}

/* Is sub-message field f of m present (a oneof member only when chosen)? */
static const ProtobufCMessage *const *pb_field_msgs(const ProtobufCMessage *m,
                                                    const ProtobufCFieldDescriptor *f, size_t *n)
{
    const char *base = (const char *)m;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        *n = *(const size_t *)(base + f->quantifier_offset);
        return *(const ProtobufCMessage *const *const *)(base + f->offset);
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *(const uint32_t *)(base + f->quantifier_offset) != f->id) {
        *n = 0;
        return NULL;
    }
    *n = 1;
    return (const ProtobufCMessage *const *)(base + f->offset);
}

int pb_has_unknown_fields(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d;

    if (!msg)
        return 0;
    if (msg->n_unknown_fields > 0)
        return 1;
    d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const ProtobufCMessage *const *sub;
        size_t n;

        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        sub = pb_field_msgs(msg, f, &n);
        for (size_t k = 0; sub && k < n; k++)
            if (pb_has_unknown_fields(sub[k]))
                return 1;
    }
    return 0;
}

size_t pb_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    for (; v >= 0x80; v >>= 7)
        p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

size_t pb_varint_len(uint64_t v)
{
    size_t n = 1;

    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

/* A varint at *p (before end): its value, *p moved past it; -1 if cut or
 * longer than PB_VARINT_MAX. */
static int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned shift = 0; *p < end && shift < 7 * PB_VARINT_MAX; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Past the value of a field of wire type wt at *p; -1 if malformed. */
static int value_skip(const uint8_t **p, const uint8_t *end, unsigned wt)
{
    uint64_t n;

    switch (wt) {
    case 0: /* varint */
        return varint_get(p, end, &n);
    case 1: /* 64-bit */
        n = 8;
        break;
    case 2: /* length-delimited */
        if (varint_get(p, end, &n) != 0)
            return -1;
        break;
    case 5: /* 32-bit */
        n = 4;
        break;
    default: /* groups (3, 4) and the unused 6, 7 */
        return -1;
    }
    if (n > (uint64_t)(end - *p))
        return -1;
    *p += n;
    return 0;
}

int pb_strip_field(const uint8_t *in, size_t len, uint32_t field, uint8_t *out, size_t *out_len)
{
    const uint8_t *p = in, *end = in + len;
    size_t n = 0;

    while (p < end) {
        const uint8_t *start = p;
        uint64_t tag;

        if (varint_get(&p, end, &tag) != 0 || tag >> 3 == 0 || value_skip(&p, end, tag & 7) != 0)
            return JIJU_ERR_CORRUPT;
        if (tag >> 3 == field)
            continue;
        memcpy(out + n, start, (size_t)(p - start));
        n += (size_t)(p - start);
    }
    *out_len = n;
    return JIJU_OK;
}
