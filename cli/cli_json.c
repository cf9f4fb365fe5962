/* cli_json.c - JSON -> protobuf by descriptor, submission files, error
 * positions. The reverse direction is in cli_json_out.c. */
#include "cli_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "cli_money.h"
#include "err.h"

static void set_err(cli_json_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(cli_json_error *err, const char *path, const char *fmt, ...)
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

const char *cli_json_error_format(const cli_json_error *err, char *buf, size_t cap)
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

const char *cli_json_category_zh(int category)
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

int cli_json_enum_parse(const ProtobufCEnumDescriptor *desc, const char *text, int *value)
{
    int64_t num;

    if (!text || !*text)
        return JIJU_ERR_INVALID;
    for (unsigned i = 0; i < desc->n_values; i++)
        if (strcasecmp(desc->values[i].name, text) == 0) {
            *value = desc->values[i].value;
            return JIJU_OK;
        }
    if (cli_parse_int64(text, &num) == JIJU_OK && num >= INT32_MIN && num <= INT32_MAX &&
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
    if (json_is_string(v) && cli_parse_int64(json_string_value(v), out) == JIJU_OK)
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
                   const char *path, cli_json_error *err)
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
    set_err(err, path, "expected an integer in range for %s", fd->name);
    return -1;
}

static int set_bytes(void *slot, const json_t *v, const char *path, cli_json_error *err)
{
    ProtobufCBinaryData *bd = slot;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? strlen(s) : 0;
    int out;

    if (!s || n % 4) {
        set_err(err, path, "expected base64 text");
        return -1;
    }
    bd->data = malloc(n / 4 * 3 + 1);
    if (!bd->data) {
        set_err(err, path, "out of memory");
        return -1;
    }
    out = EVP_DecodeBlock(bd->data, (const unsigned char *)s, (int)n);
    if (out < 0) {
        free(bd->data);
        bd->data = NULL;
        set_err(err, path, "expected base64 text");
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
                    const char *path, cli_json_error *err)
{
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    int value;
    int64_t num;

    if (json_is_string(v) && cli_json_enum_parse(ed, json_string_value(v), &value) == JIJU_OK) {
        *(int *)slot = value;
        return 0;
    }
    if (json_is_integer(v) && (num = json_integer_value(v)) >= INT32_MIN && num <= INT32_MAX &&
        protobuf_c_enum_descriptor_get_value(ed, (int)num)) {
        *(int *)slot = (int)num;
        return 0;
    }
    set_err(err, path, "not a %s value", ed->short_name);
    return -1;
}

static int set_scalar(const ProtobufCFieldDescriptor *fd, void *slot, const json_t *v,
                      const char *path, cli_json_error *err)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v)) {
            set_err(err, path, "expected true or false");
            return -1;
        }
        *(protobuf_c_boolean *)slot = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v)) {
            set_err(err, path, "expected a string");
            return -1;
        }
        if (!(*(char **)slot = strdup(json_string_value(v)))) {
            set_err(err, path, "out of memory");
            return -1;
        }
        return 0;
    case PROTOBUF_C_TYPE_BYTES:
        return set_bytes(slot, v, path, err);
    case PROTOBUF_C_TYPE_ENUM:
        return set_enum(fd, slot, v, path, err);
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)slot = cli_json_to_message(fd->descriptor, v, path, err);
        return *(ProtobufCMessage **)slot ? 0 : -1;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        set_err(err, path, "floating point fields are not part of the Jiju contract");
        return -1;
    default:
        return set_int(fd, slot, v, path, err);
    }
}

/* ---- fields and messages ---- */

size_t cli_json_slot_size(const ProtobufCFieldDescriptor *fd)
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
                        const char *path, cli_json_error *err)
{
    size_t n = json_array_size(v), sz = cli_json_slot_size(fd);
    size_t *count = (size_t *)((char *)msg + fd->quantifier_offset);
    char **arr = (char **)((char *)msg + fd->offset);
    char sub[sizeof err->path];

    if (!json_is_array(v)) {
        set_err(err, path, "expected an array");
        return -1;
    }
    if (n == 0)
        return 0;
    if (!(*arr = calloc(n, sz))) {
        set_err(err, path, "out of memory");
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
                     const char *path, cli_json_error *err)
{
    uint32_t *qcase = (uint32_t *)((char *)msg + fd->quantifier_offset);

    if (fd->label == PROTOBUF_C_LABEL_REPEATED)
        return set_repeated(msg, fd, v, path, err);
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*qcase != 0) {
            set_err(err, path, "only one member of its oneof may be set");
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
                   const json_t *v, const char *path, cli_json_error *err)
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
        set_err(err, path, "unknown field");
        return -1;
    }
    if (json_is_integer(v)) {
        fen = json_integer_value(v);
        if (fen > INT64_MAX / CLI_FEN_PER_WAN || fen < INT64_MIN / CLI_FEN_PER_WAN) {
            set_err(err, path, "amount too large");
            return -1;
        }
        fen *= CLI_FEN_PER_WAN;
    } else if (!json_is_string(v)) {
        set_err(err, path,
                "a 万元 amount must be a string such as \"1234.56\" (exact, no floating point)");
        return -1;
    } else if (cli_wan_to_fen(json_string_value(v), &fen, &reason) != JIJU_OK) {
        set_err(err, path, "%s: \"%s\"", reason, json_string_value(v));
        return -1;
    }
    if (!(as_fen = json_integer(fen))) {
        set_err(err, path, "out of memory");
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

ProtobufCMessage *cli_json_to_message(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                                      const char *path, cli_json_error *err)
{
    ProtobufCMessage *msg;
    const char *key;
    json_t *v;
    char sub[sizeof err->path];

    if (!json_is_object(obj)) {
        set_err(err, path, "expected an object (%s)", desc->short_name);
        return NULL;
    }
    if (!(msg = malloc(desc->sizeof_message))) {
        set_err(err, path, "out of memory");
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
            set_err(err, sub, "unknown field of %s", desc->short_name);
            rc = -1;
        }
        if (rc) {
            protobuf_c_message_free_unpacked(msg, NULL);
            return NULL;
        }
    }
    return msg;
}

Jiju__V1__Report *cli_json_report(const json_t *obj, const char *path, cli_json_error *err)
{
    json_t *inner = json_is_object(obj) ? json_object_get(obj, "report") : NULL;
    char sub[sizeof err->path];

    if (inner && json_object_size(obj) == 1) {
        join_path(sub, sizeof sub, path, "report");
        return (Jiju__V1__Report *)cli_json_to_message(&jiju__v1__report__descriptor, inner, sub,
                                                       err);
    }
    return (Jiju__V1__Report *)cli_json_to_message(&jiju__v1__report__descriptor, obj, path, err);
}

Jiju__V1__Command *cli_json_command(const json_t *obj, const char *path, cli_json_error *err)
{
    const ProtobufCFieldDescriptor *fd;
    Jiju__V1__Command *cmd;
    json_t *fields;
    const char *name;
    char sub[sizeof err->path];

    join_path(sub, sizeof sub, path, "command");
    name = json_string_value(json_object_get(obj, "command"));
    fd = name
             ? protobuf_c_message_descriptor_get_field_by_name(&jiju__v1__command__descriptor, name)
             : NULL;
    if (!fd) {
        set_err(err, sub,
                "expected one of register_cluster, update_cluster, open_period, "
                "close_period, record_recognition, eliminate_cluster, "
                "set_indicator_system");
        return NULL;
    }
    if (!(fields = json_deep_copy(obj)) || !(cmd = malloc(sizeof *cmd))) {
        json_decref(fields);
        set_err(err, path, "out of memory");
        return NULL;
    }
    json_object_del(fields, "command");
    jiju__v1__command__init(cmd);
    if (set_field(&cmd->base, fd, fields, path, err)) {
        jiju__v1__command__free_unpacked(cmd, NULL);
        cmd = NULL;
    }
    json_decref(fields);
    return cmd;
}

/* ---- submission files ---- */

/* Byte offset -> 1-based line and column, the column in characters. */
static void offset_to_pos(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* Offset of item `index` of the top-level array: jansson reports how many
 * bytes one value took (JSON_DISABLE_EOF_CHECK), so only the whitespace and
 * commas between items are skipped here. */
static size_t item_offset(const char *text, size_t len, size_t index)
{
    size_t p = strspn(text, " \t\r\n");

    if (p < len && text[p] == '[')
        p++;
    for (size_t i = 0; p < len; i++) {
        json_error_t e;
        json_t *v;

        while (p < len && strchr(" \t\r\n,", text[p]))
            p++;
        if (i == index)
            return p;
        v = json_loadb(text + p, len - p, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
        if (!v)
            break;
        json_decref(v);
        p += e.position;
    }
    return 0;
}

/* Where a field path points inside the item starting at `start`: the quoted
 * key of each name component in turn ("cluster.name" finds "cluster" and then
 * "name" after it). Good enough to point a person at the line. */
static size_t locate(const char *text, size_t len, size_t start, const char *path)
{
    size_t pos = start;
    const char *p = path;

    while (*p) {
        size_t n = strcspn(p, ".["), qlen;
        char quoted[140];
        const char *hit;

        if (n > 0 && n < sizeof quoted - 2) {
            qlen = (size_t)snprintf(quoted, sizeof quoted, "\"%.*s\"", (int)n, p);
            hit = memmem(text + pos, len - pos, quoted, qlen);
            if (!hit)
                break;
            pos = (size_t)(hit - text);
        }
        p += n;
        p += strcspn(p, ".");
        if (*p == '.')
            p++;
    }
    return pos;
}

static void place_error(const char *text, size_t len, int is_array, size_t index,
                        cli_json_error *err)
{
    size_t start = is_array ? item_offset(text, len, index) : 0;
    char rel[sizeof err->path];

    offset_to_pos(text, locate(text, len, start, err->path), &err->line, &err->column);
    if (is_array) {
        char idx[24];
        size_t room;

        snprintf(rel, sizeof rel, "%s", err->path);
        snprintf(idx, sizeof idx, "[%zu]%s", index, rel[0] ? "." : "");
        room = sizeof err->path - 1 - strlen(idx);
        snprintf(err->path, sizeof err->path, "%s%.*s", idx, (int)room, rel);
    }
}

static Jiju__V1__SubmitRequest *request_from(const json_t *item, size_t index, cli_json_error *err)
{
    Jiju__V1__SubmitRequest *req = malloc(sizeof *req);
    const char *label;
    char id[128];

    if (!req) {
        set_err(err, "", "out of memory");
        return NULL;
    }
    jiju__v1__submit_request__init(req);
    if (!json_is_object(item)) {
        set_err(err, "", "each submission must be an object");
    } else if (json_object_get(item, "command")) {
        if ((req->command = cli_json_command(item, "", err)))
            req->body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    } else if ((req->report = cli_json_report(item, "", err))) {
        req->body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    }
    if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY__NOT_SET) {
        jiju__v1__submit_request__free_unpacked(req, NULL);
        return NULL;
    }
    label = req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT
                ? req->report->report_id
                : json_string_value(json_object_get(item, "command"));
    snprintf(id, sizeof id, "%zu:%s", index, label);
    if (!(req->request_id = strdup(id))) {
        jiju__v1__submit_request__free_unpacked(req, NULL);
        set_err(err, "", "out of memory");
        return NULL;
    }
    return req;
}

void cli_json_requests_free(Jiju__V1__SubmitRequest ***reqs, size_t n)
{
    if (!reqs || !*reqs)
        return;
    for (size_t i = 0; i < n; i++)
        if ((*reqs)[i])
            jiju__v1__submit_request__free_unpacked((*reqs)[i], NULL);
    free(*reqs);
    *reqs = NULL;
}

int cli_json_parse_requests(const char *text, size_t len, Jiju__V1__SubmitRequest ***reqs,
                            size_t *n, cli_json_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    Jiju__V1__SubmitRequest **out = NULL;
    size_t count, i;
    int is_array, rc = JIJU_ERR_INVALID;

    if (!root) {
        set_err(err, "", "%s", je.text);
        err->line = je.line;
        err->column = je.column;
        return JIJU_ERR_INVALID;
    }
    is_array = json_is_array(root);
    count = is_array ? json_array_size(root) : 1;
    if (!is_array && !json_is_object(root)) {
        set_err(err, "", "expected an object or an array of objects");
        goto out_root;
    }
    if (count == 0) {
        set_err(err, "", "no submissions in the file");
        goto out_root;
    }
    if (!(out = calloc(count, sizeof *out))) {
        set_err(err, "", "out of memory");
        rc = JIJU_ERR_NOMEM;
        goto out_root;
    }
    for (i = 0; i < count; i++) {
        out[i] = request_from(is_array ? json_array_get(root, i) : root, i, err);
        if (!out[i]) {
            place_error(text, len, is_array, i, err);
            cli_json_requests_free(&out, i);
            goto out_root;
        }
    }
    *reqs = out;
    *n = count;
    rc = JIJU_OK;
out_root:
    json_decref(root);
    return rc;
}
