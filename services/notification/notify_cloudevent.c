/* notify_cloudevent.c - protobuf-c message to JSON, and the CloudEvent. */
#include "notify_cloudevent.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static json_t *json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");

    return j ? j : json_string(""); /* not UTF-8: say nothing rather than fail */
}

static json_t *json_u64(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

static json_t *json_i64(int64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return json_string(buf);
}

static json_t *json_bytes(const ProtobufCBinaryData *b)
{
    char *buf = malloc(4 * ((b->len + 2) / 3) + 1);
    json_t *j;

    if (!buf)
        return NULL;
    EVP_EncodeBlock((unsigned char *)buf, b->data, (int)b->len);
    j = json_string(buf);
    free(buf);
    return j;
}

/* One value of field f stored at p. */
static json_t *json_value(const ProtobufCFieldDescriptor *f, const void *p)
{
    const ProtobufCEnumValue *ev;

    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_i64(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_u64(*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
        return ev ? json_string(ev->name) : json_integer(*(const int *)p);
    case PROTOBUF_C_TYPE_STRING:
        return json_str(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES:
        return json_bytes(p);
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p ? notify_json_message(*(ProtobufCMessage *const *)p)
                                             : json_null();
    }
    return json_null();
}

static size_t field_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

static json_t *json_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)msg;
    json_t *arr;

    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return json_value(f, base + f->offset);
    if (!(arr = json_array()))
        return NULL;
    for (size_t i = 0, n = *(const size_t *)(base + f->quantifier_offset); i < n; i++) {
        const char *items = *(char *const *)(base + f->offset);
        if (json_array_append_new(arr, json_value(f, items + i * field_size(f))) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *notify_json_message(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    json_t *obj = json_object();

    for (unsigned i = 0; obj && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)msg;
        json_t *v;

        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof is set */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED &&
            !*(ProtobufCMessage *const *)(base + f->offset))
            continue; /* unset message */
        v = json_field(msg, f);
        if (!v || json_object_set_new(obj, f->name, v) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

/* The body member of the envelope's oneof, or NULL. */
static const ProtobufCMessage *envelope_body(const Jiju__V1__Envelope *env)
{
    const ProtobufCFieldDescriptor *f;

    if (env->body_case == JIJU__V1__ENVELOPE__BODY__NOT_SET)
        return NULL;
    f = protobuf_c_message_descriptor_get_field(&jiju__v1__envelope__descriptor,
                                                (unsigned)env->body_case);
    return f ? *(ProtobufCMessage *const *)((const char *)env + f->offset) : NULL;
}

char *notify_cloudevent(const Jiju__V1__Envelope *env)
{
    const ProtobufCMessage *body = envelope_body(env);
    json_t *ce = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "specversion", "1.0",
                           "id", json_str(env->id), "source", json_str(env->source), "type",
                           json_str(env->type), "time", json_str(env->time), "subject",
                           json_str(env->subject), "datacontenttype", "application/json",
                           "jijuseq", json_u64(env->seq));
    json_t *data = body ? notify_json_message(body) : json_object();
    char *text = NULL;

    if (ce && data && json_object_set_new(ce, "data", data) == 0) {
        data = NULL;
        text = json_dumps(ce, JSON_COMPACT);
    }
    json_decref(data);
    json_decref(ce);
    return text;
}
