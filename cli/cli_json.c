/* cli_json.c - submission files (`jiju submit FILE.json`) and the place of
 * an error in them. The JSON <-> protobuf codec itself is common/pbjson.c. */
#include "cli_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static void join_path(char *out, size_t cap, const char *path, const char *key)
{
    snprintf(out, cap, "%s%s%s", path, *path ? "." : "", key);
}

Jiju__V1__Report *cli_json_report(const json_t *obj, const char *path, pbjson_error *err)
{
    json_t *inner = json_is_object(obj) ? json_object_get(obj, "report") : NULL;
    char sub[sizeof err->path];

    if (inner && json_object_size(obj) == 1) {
        join_path(sub, sizeof sub, path, "report");
        return (Jiju__V1__Report *)pbjson_to_message(&jiju__v1__report__descriptor, inner, sub,
                                                     err);
    }
    return (Jiju__V1__Report *)pbjson_to_message(&jiju__v1__report__descriptor, obj, path, err);
}

Jiju__V1__Command *cli_json_command(const json_t *obj, const char *path, pbjson_error *err)
{
    const ProtobufCFieldDescriptor *fd;
    ProtobufCMessage *member;
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
        pbjson_error_set(err, sub,
                         "expected one of register_cluster, update_cluster, open_period, "
                         "close_period, record_recognition, eliminate_cluster, "
                         "set_indicator_system");
        return NULL;
    }
    if (!(fields = json_deep_copy(obj)) || !(cmd = malloc(sizeof *cmd))) {
        json_decref(fields);
        pbjson_error_set(err, path, "out of memory");
        return NULL;
    }
    json_object_del(fields, "command");
    jiju__v1__command__init(cmd);
    member = pbjson_to_message(fd->descriptor, fields, path, err);
    json_decref(fields);
    if (!member) {
        free(cmd);
        return NULL;
    }
    /* every member of Command's oneof is a message */
    *(ProtobufCMessage **)((char *)cmd + fd->offset) = member;
    cmd->kind_case = (Jiju__V1__Command__KindCase)fd->id;
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
        p += (size_t)e.position;
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

static void place_error(const char *text, size_t len, int is_array, size_t index, pbjson_error *err)
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

static Jiju__V1__SubmitRequest *request_from(const json_t *item, size_t index, pbjson_error *err)
{
    Jiju__V1__SubmitRequest *req = malloc(sizeof *req);
    const char *label;
    char id[128];

    if (!req) {
        pbjson_error_set(err, "", "out of memory");
        return NULL;
    }
    jiju__v1__submit_request__init(req);
    if (!json_is_object(item)) {
        pbjson_error_set(err, "", "each submission must be an object");
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
        pbjson_error_set(err, "", "out of memory");
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
                            size_t *n, pbjson_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    Jiju__V1__SubmitRequest **out = NULL;
    size_t count, i;
    int is_array, rc = JIJU_ERR_INVALID;

    if (!root) {
        pbjson_error_set(err, "", "%s", je.text);
        err->line = je.line;
        err->column = je.column;
        return JIJU_ERR_INVALID;
    }
    is_array = json_is_array(root);
    count = is_array ? json_array_size(root) : 1;
    if (!is_array && !json_is_object(root)) {
        pbjson_error_set(err, "", "expected an object or an array of objects");
        goto out_root;
    }
    if (count == 0) {
        pbjson_error_set(err, "", "no submissions in the file");
        goto out_root;
    }
    if (!(out = calloc(count, sizeof *out))) {
        pbjson_error_set(err, "", "out of memory");
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
