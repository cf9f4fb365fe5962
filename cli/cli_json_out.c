/* cli_json_out.c - protobuf -> JSON by descriptor (the protobuf JSON
 * mapping with .proto field names), and the one-line form of a stream
 * record for `jiju tail`. Declared in cli_json.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli_json.h"

static json_t *bytes_json(const ProtobufCBinaryData *bd)
{
    char *b64 = malloc(bd->len / 3 * 4 + 8);
    json_t *v;

    if (!b64)
        return NULL;
    EVP_EncodeBlock((unsigned char *)b64, bd->data, (int)bd->len);
    v = json_string(b64);
    free(b64);
    return v;
}

static json_t *enum_json(const ProtobufCFieldDescriptor *fd, int value)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, value);

    return ev ? json_string(ev->name) : json_integer(value);
}

static json_t *scalar_json(const ProtobufCFieldDescriptor *fd, const void *slot)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)slot);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)slot);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)slot;
        char text[24];
        if (u <= (uint64_t)INT64_MAX)
            return json_integer((json_int_t)u);
        snprintf(text, sizeof text, "%llu", (unsigned long long)u);
        return json_string(text);
    }
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)slot);
    case PROTOBUF_C_TYPE_ENUM:
        return enum_json(fd, *(const int *)slot);
    case PROTOBUF_C_TYPE_STRING:
        return json_string(*(char *const *)slot ? *(char *const *)slot : "");
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_json(slot);
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)slot
                   ? cli_json_from_message(*(ProtobufCMessage *const *)slot)
                   : json_object();
    default: /* float, double: not in the contract */
        return json_null();
    }
}

/* proto3 omits a singular field at its default value. */
static int is_default(const ProtobufCFieldDescriptor *fd, const void *slot)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)slot;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)slot == NULL;
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)slot)->len == 0;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)slot;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)slot == 0;
    default:
        return *(const uint32_t *)slot == 0;
    }
}

static json_t *repeated_json(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    size_t n = *(const size_t *)((const char *)msg + fd->quantifier_offset);
    const char *arr = *(char *const *)((const char *)msg + fd->offset);
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, scalar_json(fd, arr + i * cli_json_slot_size(fd))) != 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* The field's JSON value, or NULL when it is to be left out. */
static json_t *field_json(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                          int *failed)
{
    const void *slot = (const char *)msg + fd->offset;
    json_t *v;

    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        if (*(const size_t *)((const char *)msg + fd->quantifier_offset) == 0)
            return NULL;
        v = repeated_json(msg, fd);
    } else if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*(const uint32_t *)((const char *)msg + fd->quantifier_offset) != fd->id)
            return NULL;
        v = scalar_json(fd, slot);
    } else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_STRING &&
               fd->type != PROTOBUF_C_TYPE_MESSAGE) {
        if (!*(const protobuf_c_boolean *)((const char *)msg + fd->quantifier_offset))
            return NULL;
        v = scalar_json(fd, slot);
    } else {
        if (fd->label != PROTOBUF_C_LABEL_REQUIRED && is_default(fd, slot))
            return NULL;
        v = scalar_json(fd, slot);
    }
    if (!v)
        *failed = 1;
    return v;
}

json_t *cli_json_from_message(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    json_t *obj = json_object();
    int failed = 0;

    for (unsigned i = 0; obj && i < desc->n_fields && !failed; i++) {
        json_t *v = field_json(msg, &desc->fields[i], &failed);
        if (v && json_object_set_new(obj, desc->fields[i].name, v) != 0)
            failed = 1;
    }
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The body of the envelope (the set oneof member), or an empty object. */
static json_t *body_json(const Jiju__V1__Envelope *env)
{
    const ProtobufCFieldDescriptor *fd;

    if (env->body_case == JIJU__V1__ENVELOPE__BODY__NOT_SET)
        return json_object();
    fd = protobuf_c_message_descriptor_get_field(&jiju__v1__envelope__descriptor,
                                                 (unsigned)env->body_case);
    if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE)
        return json_object();
    return scalar_json(fd, (const char *)env + fd->offset);
}

char *cli_json_envelope_line(const Jiju__V1__Envelope *env)
{
    const ProtobufCEnumValue *cat =
        protobuf_c_enum_descriptor_get_value(&jiju__v1__category__descriptor, env->category);
    json_t *line;
    char *text;

    line = json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:I, s:I, s:s?, s:s, s:s?, s:o?}", "specversion",
        "1.0", "id", env->id, "source", env->source, "type", env->type, "time", env->time,
        "subject", env->subject, "datacontenttype", "application/json", "seq", (json_int_t)env->seq,
        "time_ms", (json_int_t)env->time_ms, "period", env->period, "category",
        cat && env->category ? cat->name : "", "county", env->county, "data", body_json(env));
    if (!line)
        return NULL;
    text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    return text;
}
