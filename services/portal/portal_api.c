/* portal_api.c - read-only JSON API: clusters, rankings, targets, periods,
 * and the decisions the archive holds (awards, warnings, eliminations,
 * nominations, overdue reports). Every answer is asked of assessment or the
 * archive at the time of the request. */
#include "portal_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "pbjson.h"
#include "period.h"
#include "portal_json.h"

#define ARCHIVE_PAGE 1000
#define DECISIONS_MAX 5000

enum MHD_Result portal_backend_error(portal_req *r, const char *service, int rc)
{
    if (rc == JIJU_ERR_TOO_LARGE) /* the service answered: more than this portal takes */
        return portal_reply_error(
            r, 502, "E_UPSTREAM",
            "%s's reply is larger than rpc.max_reply_bytes (%lld bytes), the largest this portal "
            "takes: raise the setting (docs/operations.md)",
            service, (long long)r->app->cfg.rpc_max_reply_bytes);
    return portal_reply_error(r, rc == JIJU_ERR_TIMEOUT ? 504 : 502, "E_UPSTREAM",
                              "%s did not answer (%s)", service, jiju_err_str(rc));
}

/* One call (or every page, when all) and its refusal as a 400. */
static enum MHD_Result ask_as(portal_req *r, Jiju__V1__QueryRequest *q, int all,
                              Jiju__V1__QueryReply **out)
{
    int rc =
        all ? portal_query_all(r->app->backend, q, out) : portal_query(r->app->backend, q, out);

    if (rc != JIJU_OK)
        return portal_backend_error(r, "assessment", rc);
    if (!(*out)->ok) {
        enum MHD_Result ret = portal_reply_error(r, 400, "E_QUERY", "%s", (*out)->error);
        jiju__v1__query_reply__free_unpacked(*out, NULL);
        *out = NULL;
        return ret;
    }
    return MHD_YES;
}

static enum MHD_Result ask(portal_req *r, Jiju__V1__QueryRequest *q, Jiju__V1__QueryReply **out)
{
    return ask_as(r, q, 0, out);
}

/* ?page_size=&page_token=: one page of the service's (the HTTP client
 * pages); neither: every page, merged (the whole list, as before paging).
 * 1 for one page, 0 for all, -1 after a 400 was queued. */
static int page_args(portal_req *r, uint32_t *size, char **token, enum MHD_Result *ret)
{
    const char *s = portal_arg(r, "page_size"), *t = portal_arg(r, "page_token");
    char *end;
    unsigned long v;

    if (!s && !t)
        return 0;
    v = s && *s ? strtoul(s, &end, 10) : 0;
    if (s && (!*s || *end || *s == '-' || v > UINT32_MAX)) {
        *ret = portal_reply_error(
            r, 400, "E_PAGE_SIZE",
            "page_size \"%.32s\" is not a number (0 means 1000; at most 5000)", s);
        return -1;
    }
    *size = (uint32_t)v;
    *token = (char *)(t ? t : "");
    return 1;
}

/* The paging fields of a one-page answer. */
static void page_json(json_t *o, int one, const Jiju__V1__QueryReply *rep)
{
    if (!one)
        return;
    json_object_set_new(o, "next_page_token",
                        rep->next_page_token && *rep->next_page_token
                            ? json_string(rep->next_page_token)
                            : json_null());
    json_object_set_new(o, "total_size", json_integer((json_int_t)rep->total_size));
}

enum MHD_Result api_clusters(portal_req *r)
{
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__ListClusters lc = JIJU__V1__LIST_CLUSTERS__INIT;
    Jiju__V1__QueryReply *rep = NULL;
    enum MHD_Result ret = MHD_YES;
    int one = page_args(r, &lc.page_size, &lc.page_token, &ret);
    json_t *list, *o;

    if (one < 0)
        return ret;
    q.request_id = "clusters";
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS;
    q.list_clusters = &lc;
    if ((ret = ask_as(r, &q, !one, &rep)) != MHD_YES || !rep)
        return ret;
    list = json_array();
    for (size_t i = 0; i < rep->n_clusters; i++) {
        json_t *c = pbjson_from_message(&rep->clusters[i]->base);
        json_object_set_new(c, "category_zh",
                            json_string(pbjson_category_zh(rep->clusters[i]->category)));
        json_array_append_new(list, c);
    }
    o = json_pack("{s:o}", "clusters", list);
    page_json(o, one, rep);
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return portal_reply_json(r, 200, o);
}

enum MHD_Result api_ranking(portal_req *r)
{
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetRanking gr = JIJU__V1__GET_RANKING__INIT;
    Jiju__V1__QueryReply *rep = NULL;
    enum MHD_Result ret = MHD_YES;
    int one;
    json_t *list, *o;

    if (!period_is_valid(r->route_arg))
        return portal_reply_error(r, 400, "E_PERIOD_SYNTAX",
                                  "period \"%s\" is not 2023, 2023Q2 or 2023-05", r->route_arg);
    if ((one = page_args(r, &gr.page_size, &gr.page_token, &ret)) < 0)
        return ret;
    gr.period = (char *)r->route_arg;
    q.request_id = "ranking";
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING;
    q.get_ranking = &gr;
    if ((ret = ask_as(r, &q, !one, &rep)) != MHD_YES || !rep)
        return ret;
    list = json_array();
    for (size_t i = 0; i < rep->n_ranking; i++) {
        json_t *e = pbjson_from_message(&rep->ranking[i]->base);
        json_object_set_new(e, "category_zh",
                            json_string(pbjson_category_zh(rep->ranking[i]->category)));
        json_array_append_new(list, e);
    }
    o = json_pack("{s:s,s:b,s:s,s:o}", "period", r->route_arg, "final", rep->final, "status",
                  rep->final ? "final" : "provisional", "entries", list);
    page_json(o, one, rep);
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return portal_reply_json(r, 200, o);
}

enum MHD_Result api_targets(portal_req *r)
{
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__GetTargets gt = JIJU__V1__GET_TARGETS__INIT;
    Jiju__V1__QueryReply *rep = NULL;
    enum MHD_Result ret;
    char *end;
    long year = strtol(r->route_arg, &end, 10);

    if (!*r->route_arg || *end || year < 2000 || year > 2100)
        return portal_reply_error(r, 400, "E_YEAR", "year \"%s\" is not a year (2000..2100)",
                                  r->route_arg);
    gt.year = (uint32_t)year;
    q.request_id = "targets";
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_TARGETS;
    q.get_targets = &gt;
    if ((ret = ask(r, &q, &rep)) != MHD_YES || !rep)
        return ret;
    ret = portal_reply_json(r, 200,
                            rep->targets ? pbjson_from_message(&rep->targets->base)
                                         : json_pack("{s:i}", "year", (int)year));
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return ret;
}

/* ---- decisions from the archive ---- */

enum MHD_Result portal_archive_pages(portal_req *r, Jiju__V1__ArchiveQueryRequest *q,
                                     portal_page_fn fn, void *arg, int *failed)
{
    uint8_t *cursor = NULL;
    size_t cursor_len = 0;
    enum MHD_Result ret = MHD_YES;

    *failed = 0;
    do {
        Jiju__V1__ArchiveQueryReply *rep = NULL;
        int rc;

        q->cursor.data = cursor;
        q->cursor.len = cursor_len;
        rc = portal_archive(r->app->backend, q, &rep);
        free(cursor);
        cursor = NULL;
        cursor_len = 0;
        q->cursor.data = NULL;
        q->cursor.len = 0;
        if (rc != JIJU_OK) {
            *failed = 1;
            return portal_backend_error(r, "archive", rc);
        }
        if (!rep->ok) {
            *failed = 1;
            ret = portal_reply_error(r, 502, "E_ARCHIVE_QUERY", "%s", rep->error);
            jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
            return ret;
        }
        if (fn(rep, arg) && rep->next_cursor.len && (cursor = malloc(rep->next_cursor.len))) {
            memcpy(cursor, rep->next_cursor.data, rep->next_cursor.len);
            cursor_len = rep->next_cursor.len;
        }
        jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
    } while (cursor);
    return ret;
}

typedef void (*env_fn)(const Jiju__V1__Envelope *env, void *arg);

typedef struct each_state {
    env_fn fn;
    void *arg;
    size_t seen;
} each_state;

static int each_page(const Jiju__V1__ArchiveQueryReply *rep, void *arg)
{
    each_state *st = arg;

    for (size_t i = 0; i < rep->n_records && st->seen < DECISIONS_MAX; i++, st->seen++) {
        Jiju__V1__Envelope *env =
            envelope_decode(rep->records[i]->envelope.data, rep->records[i]->envelope.len);
        if (env)
            st->fn(env, st->arg);
        envelope_free(&env);
    }
    return st->seen < DECISIONS_MAX;
}

enum MHD_Result portal_archive_each(portal_req *r, const char *type, const char *per,
                                    const char *cluster, env_fn fn, void *arg, int *failed)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    each_state st = {fn, arg, 0};

    q.request_id = "portal";
    q.type = (char *)type;
    q.stream = "events";
    q.period = (char *)(per ? per : "");
    q.cluster_id = (char *)(cluster ? cluster : "");
    q.limit = ARCHIVE_PAGE;
    return portal_archive_pages(r, &q, each_page, &st, failed);
}

static void add_decision(const Jiju__V1__Envelope *env, void *arg)
{
    const ProtobufCMessage *body = envelope_body(env);
    json_t *o = body ? pbjson_from_message(body) : json_object();

    json_object_set_new(o, "time", json_string(env->time));
    json_object_set_new(o, "event_id", json_string(env->id));
    if (env->subject && *env->subject)
        json_object_set_new(o, "subject", json_string(env->subject));
    json_array_append_new(arg, o);
}

static enum MHD_Result decisions(portal_req *r, const char *type, const char *key)
{
    const char *per = portal_arg(r, "period"), *cluster = portal_arg(r, "cluster_id");
    json_t *list = json_array();
    int failed;
    enum MHD_Result ret;

    if (per && *per && !period_is_valid(per)) {
        json_decref(list);
        return portal_reply_error(r, 400, "E_PERIOD_SYNTAX",
                                  "period \"%s\" is not 2023, 2023Q2 or 2023-05", per);
    }
    ret = portal_archive_each(r, type, per, cluster, add_decision, list, &failed);
    if (failed) {
        json_decref(list);
        return ret;
    }
    return portal_reply_json(r, 200, json_pack("{s:o}", key, list));
}

enum MHD_Result api_awards(portal_req *r)
{
    return decisions(r, "jiju.v1.AwardGranted", "awards");
}

enum MHD_Result api_warnings(portal_req *r)
{
    return decisions(r, "jiju.v1.EliminationWarning", "warnings");
}

enum MHD_Result api_eliminations(portal_req *r)
{
    return decisions(r, "jiju.v1.ClusterEliminated", "eliminations");
}

enum MHD_Result api_nominations(portal_req *r)
{
    return decisions(r, "jiju.v1.NominationRecommended", "nominations");
}

enum MHD_Result api_overdue(portal_req *r)
{
    return decisions(r, "jiju.v1.ReportOverdue", "overdue");
}

/* ---- periods: opened and closed, from the archive's events ---- */

static json_t *period_entry(json_t *map, const char *per)
{
    json_t *e = json_object_get(map, per);

    if (!e) {
        e = json_pack("{s:s,s:s}", "period", per, "status", "open");
        json_object_set_new(map, per, e);
    }
    return e;
}

static void add_opened(const Jiju__V1__Envelope *env, void *arg)
{
    if (env->body_case != JIJU__V1__ENVELOPE__BODY_PERIOD_OPENED || !env->period_opened->period)
        return;
    json_t *e = period_entry(arg, env->period_opened->period);
    json_object_set_new(e, "opened_at", json_string(env->time));
    if (env->period_opened->deadline_ms)
        json_object_set_new(e, "deadline_ms", json_integer(env->period_opened->deadline_ms));
}

static void add_closed(const Jiju__V1__Envelope *env, void *arg)
{
    if (env->body_case != JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED || !env->period_closed->period)
        return;
    json_t *e = period_entry(arg, env->period_closed->period);
    json_object_set_new(e, "status", json_string("closed"));
    json_object_set_new(e, "closed_at", json_string(env->time));
}

static int by_period(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "period")),
                  json_string_value(json_object_get(*(json_t *const *)b, "period")));
}

static void sort_periods(json_t *list)
{
    size_t n = json_array_size(list);
    json_t **items = malloc((n ? n : 1) * sizeof *items);

    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, by_period);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
}

enum MHD_Result api_periods(portal_req *r)
{
    json_t *map = json_object(), *list = json_array(), *v;
    const char *k;
    int failed;
    enum MHD_Result ret =
        portal_archive_each(r, "jiju.v1.PeriodOpened", NULL, NULL, add_opened, map, &failed);

    if (!failed)
        ret = portal_archive_each(r, "jiju.v1.PeriodClosed", NULL, NULL, add_closed, map, &failed);
    if (failed) {
        json_decref(map);
        json_decref(list);
        return ret;
    }
    json_object_foreach(map, k, v) json_array_append(list, v);
    json_decref(map);
    sort_periods(list);
    return portal_reply_json(r, 200, json_pack("{s:o}", "periods", list));
}
