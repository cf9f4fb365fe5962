/* pbjson.c - JSON <-> protobuf by descriptor (pbjson.h). */
#include "pbjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "err.h"
#include "jiju/v1/common.pb-c.h"
#include "money.h"

void pbjson_error_set(pbjson_error *err, const char *path, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    err->line = err->column = 0;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
}

const char *pbjson_error_format(const pbjson_error *err, char *buf, size_t cap)
{
    char where[32] = "";

    if (err->line > 0)
        snprintf(where, sizeof where, "line %d column %d: ", err->line, err->column);
    snprintf(buf, cap, "%s%s%s%s", where, err->path, err->path[0] ? ": " : "", err->reason);
    return buf;
}

/* ---- enums ---- */

static const char *const category_zh[] = {
    "",
    "现代物流园",
    "商务综合服务区",
    "文化创意园",
    "科技创业园",
    "电子商务产业园",
    "服务外包基地",
    "产品交易市场",
    "休闲旅游服务集聚区",
    "综合性生产服务集聚区",
};

const char *pbjson_category_zh(int category)
{
    if (category < 1 || (size_t)category >= sizeof category_zh / sizeof *category_zh)
        return "";
    return category_zh[category];
}

static int enum_zh(const ProtobufCEnumDescriptor *desc, const char *text, int *value)
{
    if (desc == &jiju__v1__category__descriptor) {
        for (size_t i = 1; i < sizeof category_zh / sizeof *category_zh; i++)
            if (strcmp(text, category_zh[i]) == 0) {
                *value = (int)i;
                return JIJU_OK;
            }
    } else if (desc == &jiju__v1__level__descriptor) {
        if (strcmp(text, "市级") == 0) {
            *value = JIJU__V1__LEVEL__CITY;
            return JIJU_OK;
        }
        if (strcmp(text, "省级") == 0) {
            *value = JIJU__V1__LEVEL__PROVINCIAL;
            return JIJU_OK;
        }
    }
    return JIJU_ERR_INVALID;
}

int pbjson_enum_parse(const ProtobufCEnumDescriptor *desc, const char *text, int *value)
{
    int64_t num;

    if (!text || !*text)
        return JIJU_ERR_INVALID;
    for (unsigned i = 0; i < desc->n_values; i++)
        if (strcasecmp(desc->values[i].name, text) == 0) {
            *value = desc->values[i].value;
            return JIJU_OK;
        }
    if (money_parse_int64(text, &num) == JIJU_OK && num >= INT32_MIN && num <= INT32_MAX &&
        protobuf_c_enum_descriptor_get_value(desc, (int)num)) {
        *value = (int)num;
        return JIJU_OK;
    }
    return enum_zh(desc, text, value);
}

/* ---- scalars ---- */

/* A JSON integer, or a decimal string (the protobuf JSON mapping writes
 * 64-bit integers as strings). */
static int json_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && money_parse_int64(json_string_value(v), out) == JIJU_OK)
        return 0;
    return -1;
}

static int json_uint64(const json_t *v, uint64_t *out)
{
    const char *s;
    char *end;

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int set_int(const ProtobufCFieldDescriptor *fd, void *slot, const json_t *v,
                   const char *path, pbjson_error *err)
{
    int64_t i = 0;
    uint64_t u = 0;

    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (json_int(v, &i) || i < INT32_MIN || i > INT32_MAX)
            break;
        *(int32_t *)slot = (int32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (json_int(v, &i) || i < 0 || i > (int64_t)UINT32_MAX)
            break;
        *(uint32_t *)slot = (uint32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (json_uint64(v, &u))
            break;
        *(uint64_t *)slot = u;
        return 0;
    default: /* the 64-bit signed types */
        if (json_int(v, &i))
            break;
        *(int64_t *)slot = i;
        return 0;
    }
    pbjson_error_set(err, path, "expected an integer in range for %s", fd->name);
    return -1;
}

static int set_bytes(void *slot, const json_t *v, const char *path, pbjson_error *err)
{
    ProtobufCBinaryData *bd = slot;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? strlen(s) : 0;
    int out;

    if (!s || n % 4) {
        pbjson_error_set(err, path, "expected base64 text");
        return -1;
    }
    bd->data = malloc(n / 4 * 3 + 1);
    if (!bd->data) {
        pbjson_error_set(err, path, "out of memory");
        return -1;
    }
    out = EVP_DecodeBlock(bd->data, (const unsigned char *)s, (int)n);
    if (out < 0) {
        free(bd->data);
        bd->data = NULL;
        pbjson_error_set(err, path, "expected base64 text");
        return -1;
    }
    /* DecodeBlock counts the padding as zero bytes */
    while (n > 0 && s[n - 1] == '=' && out > 0) {
        n--;
        out--;
    }
    bd->len = (size_t)out;
    return 0;
}

static int set_enum(const ProtobufCFieldDescriptor *fd, void *slot, const json_t *v,
                    const char *path, pbjson_error *err)
{
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    int value;
    int64_t num;

    if (json_is_string(v) && pbjson_enum_parse(ed, json_string_value(v), &value) == JIJU_OK) {
        *(int *)slot = value;
        return 0;
    }
    if (json_is_integer(v) && (num = json_integer_value(v)) >= INT32_MIN && num <= INT32_MAX &&
        protobuf_c_enum_descriptor_get_value(ed, (int)num)) {
        *(int *)slot = (int)num;
        return 0;
    }
    pbjson_error_set(err, path, "not a %s value", ed->short_name);
    return -1;
}

static int set_scalar(const ProtobufCFieldDescriptor *fd, void *slot, const json_t *v,
                      const char *path, pbjson_error *err)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v)) {
            pbjson_error_set(err, path, "expected true or false");
            return -1;
        }
        *(protobuf_c_boolean *)slot = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v)) {
            pbjson_error_set(err, path, "expected a string");
            return -1;
        }
        if (!(*(char **)slot = strdup(json_string_value(v)))) {
            pbjson_error_set(err, path, "out of memory");
            return -1;
        }
        return 0;
    case PROTOBUF_C_TYPE_BYTES:
        return set_bytes(slot, v, path, err);
    case PROTOBUF_C_TYPE_ENUM:
        return set_enum(fd, slot, v, path, err);
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)slot = pbjson_to_message(fd->descriptor, v, path, err);
        return *(ProtobufCMessage **)slot ? 0 : -1;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        pbjson_error_set(err, path, "floating point fields are not part of the Jiju contract");
        return -1;
    default:
        return set_int(fd, slot, v, path, err);
    }
}

/* ---- fields and messages ---- */

/* Bytes one element of a repeated field takes in its C array. */
static size_t slot_size(const ProtobufCFieldDescriptor *fd)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

static int set_repeated(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd, const json_t *v,
                        const char *path, pbjson_error *err)
{
    size_t n = json_array_size(v), sz = slot_size(fd);
    size_t *count = (size_t *)((char *)msg + fd->quantifier_offset);
    char **arr = (char **)((char *)msg + fd->offset);
    char sub[sizeof err->path];

    if (!json_is_array(v)) {
        pbjson_error_set(err, path, "expected an array");
        return -1;
    }
    if (n == 0)
        return 0;
    if (!(*arr = calloc(n, sz))) {
        pbjson_error_set(err, path, "out of memory");
        return -1;
    }
    /* count grows with each converted element, so a failure frees only
     * what was set */
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (set_scalar(fd, *arr + i * sz, json_array_get(v, i), sub, err))
            return -1;
        *count = i + 1;
    }
    return 0;
}

static int set_field(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd, const json_t *v,
                     const char *path, pbjson_error *err)
{
    uint32_t *qcase = (uint32_t *)((char *)msg + fd->quantifier_offset);

    if (fd->label == PROTOBUF_C_LABEL_REPEATED)
        return set_repeated(msg, fd, v, path, err);
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*qcase != 0) {
            pbjson_error_set(err, path, "only one member of its oneof may be set");
            return -1;
        }
    }
    if (set_scalar(fd, (char *)msg + fd->offset, v, path, err))
        return -1;
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *qcase = fd->id;
    else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_STRING &&
             fd->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)((char *)msg + fd->quantifier_offset) = 1;
    return 0;
}

/* "X_wan": an exact 万元 amount for the int64 field "X_fen". */
static int set_wan(ProtobufCMessage *msg, const ProtobufCMessageDescriptor *desc, const char *key,
                   const json_t *v, const char *path, pbjson_error *err)
{
    char name[128];
    size_t klen = strlen(key);
    const ProtobufCFieldDescriptor *fd;
    const char *reason = NULL;
    int64_t fen;
    json_t *as_fen;
    int rc;

    snprintf(name, sizeof name, "%.*s_fen", (int)(klen - 4), key);
    fd = protobuf_c_message_descriptor_get_field_by_name(desc, name);
    if (!fd || fd->type != PROTOBUF_C_TYPE_INT64 || fd->label == PROTOBUF_C_LABEL_REPEATED) {
        pbjson_error_set(err, path, "unknown field");
        return -1;
    }
    if (json_is_integer(v)) {
        fen = json_integer_value(v);
        if (fen > INT64_MAX / MONEY_FEN_PER_WAN || fen < INT64_MIN / MONEY_FEN_PER_WAN) {
            pbjson_error_set(err, path, "amount too large");
            return -1;
        }
        fen *= MONEY_FEN_PER_WAN;
    } else if (!json_is_string(v)) {
        pbjson_error_set(
            err, path,
            "a 万元 amount must be a string such as \"1234.56\" (exact, no floating point)");
        return -1;
    } else if (money_wan_to_fen(json_string_value(v), &fen, &reason) != JIJU_OK) {
        pbjson_error_set(err, path, "%s: \"%s\"", reason, json_string_value(v));
        return -1;
    }
    if (!(as_fen = json_integer(fen))) {
        pbjson_error_set(err, path, "out of memory");
        return -1;
    }
    rc = set_field(msg, fd, as_fen, path, err);
    json_decref(as_fen);
    return rc;
}

static void join_path(char *out, size_t cap, const char *path, const char *key)
{
    snprintf(out, cap, "%s%s%s", path, *path ? "." : "", key);
}

ProtobufCMessage *pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                                    const char *path, pbjson_error *err)
{
    ProtobufCMessage *msg;
    const char *key;
    json_t *v;
    char sub[sizeof err->path];

    if (!json_is_object(obj)) {
        pbjson_error_set(err, path, "expected an object (%s)", desc->short_name);
        return NULL;
    }
    if (!(msg = malloc(desc->sizeof_message))) {
        pbjson_error_set(err, path, "out of memory");
        return NULL;
    }
    protobuf_c_message_init(desc, msg);
    json_object_foreach((json_t *)obj, key, v)
    {
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field_by_name(desc, key);
        size_t klen = strlen(key);
        int rc;

        join_path(sub, sizeof sub, path, key);
        if (fd)
            rc = set_field(msg, fd, v, sub, err);
        else if (klen > 4 && strcmp(key + klen - 4, "_wan") == 0)
            rc = set_wan(msg, desc, key, v, sub, err);
        else {
            pbjson_error_set(err, sub, "unknown field of %s", desc->short_name);
            rc = -1;
        }
        if (rc) {
            protobuf_c_message_free_unpacked(msg, NULL);
            return NULL;
        }
    }
    return msg;
}

/* ---- message -> JSON ---- */

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
                   ? pbjson_from_message(*(ProtobufCMessage *const *)slot)
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
        if (json_array_append_new(a, scalar_json(fd, arr + i * slot_size(fd))) != 0) {
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

json_t *pbjson_from_message(const ProtobufCMessage *msg)
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
