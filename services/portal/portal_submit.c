/* portal_submit.c - reports and admin commands, submitted through ingest
 * exactly as the `jiju` command does: the answer is ingest's, with every
 * problem it found (HTTP 422), or the portal's own refusal when the user's
 * role does not allow the submission (HTTP 403, the codes ingest gives a
 * CURVE key in the same case, docs/errors.md#authorisation). */
#include "portal_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "pbjson.h"
#include "period.h"
#include "problem.h"

static json_t *problems_json(Jiju__V1__Problem **items, size_t n)
{
    json_t *list = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, pbjson_from_message(&items[i]->base));
    return list;
}

/* An answer made of one problem (the portal's own finding). */
static enum MHD_Result one_problem(portal_req *r, unsigned status, const char *code,
                                   const char *field, const char *value, const char *zh,
                                   const char *en)
{
    json_t *p =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "code", code, "field", field, "value",
                  value ? value : "", "message_zh", zh, "message_en", en, "severity", "ERROR");

    return portal_reply_json(r, status,
                             json_pack("{s:s,s:[o]}", "status", "REJECTED", "problems", p));
}

static enum MHD_Result json_problem(portal_req *r, const pbjson_error *e, const char *prefix)
{
    char field[200], zh[600];

    snprintf(field, sizeof field, "%s%s%s", prefix, e->path[0] && e->path[0] != '[' ? "." : "",
             e->path);
    snprintf(zh, sizeof zh, "字段 %s 无法解析: %s", field, e->reason);
    return one_problem(r, 422, "E_JSON_FIELD", field, "", zh, e->reason);
}

/* Send req to ingest and answer with its reply. */
static enum MHD_Result submit(portal_req *r, Jiju__V1__SubmitRequest *req, const char *what)
{
    Jiju__V1__SubmitReply *rep = NULL;
    unsigned status;
    json_t *out;
    int rc = portal_submit(r->app->backend, req, &rep);

    if (rc != JIJU_OK)
        return portal_backend_error(r, "ingest", rc);
    switch (rep->status) {
    case JIJU__V1__SUBMIT_STATUS__ACCEPTED:
        status = 201;
        break;
    case JIJU__V1__SUBMIT_STATUS__DUPLICATE:
        status = 200;
        break;
    case JIJU__V1__SUBMIT_STATUS__CONFLICT:
        status = 409;
        break;
    default:
        status = 422;
        break;
    }
    out = pbjson_from_message(&rep->base);
    json_object_del(out, "problems");
    json_object_set_new(out, "problems", problems_json(rep->problems, rep->n_problems));
    log_info("submitted", "user=%s what=%s id=%s status=%u instance=%s seq=%llu problems=%zu",
             r->who.name, what, req->request_id, status, rep->instance ? rep->instance : "",
             (unsigned long long)rep->seq, rep->n_problems);
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return portal_reply_json(r, status, out);
}

/* Replace a string field of a message protobuf-c will free: an unset one
 * points at protobuf-c's static empty string, which is not ours to free. */
static void set_string(char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = strdup(value);
}

enum MHD_Result api_submit_report(portal_req *r)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Report *rep;
    pbjson_error err = {0};
    enum MHD_Result ret = MHD_NO;
    char rid[80], zh[300], en[300];
    json_t *body = portal_body_json(r, &ret);

    if (!body)
        return ret;
    rep = (Jiju__V1__Report *)pbjson_to_message(&jiju__v1__report__descriptor, body, "", &err);
    json_decref(body);
    if (!rep)
        return json_problem(r, &err, "report");
    if (!portal_may_report(&r->who, rep->cluster_id)) {
        snprintf(zh, sizeof zh, "用户 %s (角色 %s) 无权报送集聚区 %s 的数据", r->who.name,
                 key_role_name(r->who.role), rep->cluster_id);
        snprintf(en, sizeof en, "user %s (role %s) may not submit reports for cluster %s",
                 r->who.name, key_role_name(r->who.role), rep->cluster_id);
        ret = one_problem(r, 403, "E_FORBIDDEN_CLUSTER", "report.cluster_id", rep->cluster_id, zh,
                          en);
        jiju__v1__report__free_unpacked(rep, NULL);
        return ret;
    }
    /* The reporter is who signed in, whatever the body says: the archive
     * keeps who submitted what. */
    set_string(&rep->submitted_by, r->who.name);
    if (!rep->report_id || !*rep->report_id) {
        char rnd[24];
        portal_random_b64(9, rnd, sizeof rnd);
        snprintf(rid, sizeof rid, "web-%s", rnd);
        set_string(&rep->report_id, rid);
    }
    if (!rep->submitted_by || !rep->report_id) {
        jiju__v1__report__free_unpacked(rep, NULL);
        return portal_reply_error(r, 500, "E_NOMEM", "out of memory");
    }
    req.request_id = rep->report_id;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    req.report = rep;
    ret = submit(r, &req, "report");
    jiju__v1__report__free_unpacked(rep, NULL);
    return ret;
}

static enum MHD_Result submit_command(portal_req *r, Jiju__V1__Command *cmd, const char *what)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    char rid[64], rnd[24];

    portal_random_b64(9, rnd, sizeof rnd);
    snprintf(rid, sizeof rid, "cmd-%s", rnd);
    req.request_id = rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = cmd;
    return submit(r, &req, what);
}

/* {"open_period": {"period": "2024"}}: the Command message's JSON. */
enum MHD_Result api_command(portal_req *r)
{
    Jiju__V1__Command *cmd;
    pbjson_error err = {0};
    enum MHD_Result ret = MHD_NO;
    json_t *body = portal_body_json(r, &ret);

    if (!body)
        return ret;
    cmd = (Jiju__V1__Command *)pbjson_to_message(&jiju__v1__command__descriptor, body, "", &err);
    json_decref(body);
    if (!cmd)
        return json_problem(r, &err, "command");
    if (cmd->kind_case == JIJU__V1__COMMAND__KIND__NOT_SET) {
        jiju__v1__command__free_unpacked(cmd, NULL);
        return one_problem(
            r, 422, "E_COMMAND_EMPTY", "command", "", "命令为空: 需要恰好一种命令",
            "no command member is set (open_period, close_period, register_cluster, ...)");
    }
    ret = submit_command(r, cmd, "command");
    jiju__v1__command__free_unpacked(cmd, NULL);
    return ret;
}

enum MHD_Result api_open_period(portal_req *r)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    enum MHD_Result ret = MHD_NO;
    json_t *body = portal_body_json(r, &ret);
    const char *p;

    if (!body)
        return ret;
    p = json_string_value(json_object_get(body, "period"));
    if (!p || json_object_size(body) != 1) {
        json_decref(body);
        return one_problem(r, 422, "E_JSON_FIELD", "period", "", "需要 {\"period\": \"2024\"}",
                           "the body is {\"period\": \"2024\"}");
    }
    op.period = (char *)p;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
    cmd.open_period = &op;
    ret = submit_command(r, &cmd, "open_period");
    json_decref(body);
    return ret;
}

enum MHD_Result api_close_period(portal_req *r)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    char per[32];
    const char *slash = strchr(r->route_arg, '/');

    if (!slash || strcmp(slash, "/close") != 0 || (size_t)(slash - r->route_arg) >= sizeof per)
        return portal_reply_error(r, 404, "E_NOT_FOUND", "no such resource: %s", r->path);
    memcpy(per, r->route_arg, (size_t)(slash - r->route_arg));
    per[slash - r->route_arg] = 0;
    cp.period = per;
    cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
    cmd.close_period = &cp;
    return submit_command(r, &cmd, "close_period");
}

/* The body is a Cluster: {"id": ..., "name": ..., "category": ...}. */
enum MHD_Result api_register_cluster(portal_req *r)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster rc = JIJU__V1__REGISTER_CLUSTER__INIT;
    pbjson_error err = {0};
    enum MHD_Result ret = MHD_NO;
    json_t *body = portal_body_json(r, &ret);

    if (!body)
        return ret;
    rc.cluster =
        (Jiju__V1__Cluster *)pbjson_to_message(&jiju__v1__cluster__descriptor, body, "", &err);
    json_decref(body);
    if (!rc.cluster)
        return json_problem(r, &err, "command.register_cluster.cluster");
    cmd.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    cmd.register_cluster = &rc;
    ret = submit_command(r, &cmd, "register_cluster");
    jiju__v1__cluster__free_unpacked(rc.cluster, NULL);
    return ret;
}
