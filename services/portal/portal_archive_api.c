/* portal_archive_api.c - the archive over HTTP: queries with opaque cursors
 * (ArchiveQueryRequest as query parameters) and a verification of the hash
 * chain that recomputes every H(n) with OpenSSL (archive.proto's formula). */
#include "portal_api.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "envelope.h"
#include "err.h"
#include "hex.h"
#include "portal_json.h"

#define VERIFY_MAX 100000

static int is_own_cluster(const portal_principal *p, const char *cluster)
{
    return cluster && *cluster && portal_may_report(p, cluster);
}

static json_t *record_json(const Jiju__V1__ArchiveRecord *rec)
{
    char hash[65] = "";
    json_t *o;

    if (rec->hash.len == 32)
        hex_encode(rec->hash.data, 32, hash);
    o = json_pack("{s:I,s:s,s:s,s:I,s:s}", "archive_seq", (json_int_t)rec->archive_seq, "stream",
                  rec->stream ? rec->stream : "", "producer_id",
                  rec->producer_id ? rec->producer_id : "", "source_seq",
                  (json_int_t)rec->source_seq, "hash", hash);
    if (rec->envelope.len) {
        Jiju__V1__Envelope *env = envelope_decode(rec->envelope.data, rec->envelope.len);
        if (env)
            json_object_set_new(o, "event", cloudevent_json(env));
        envelope_free(&env);
    }
    return o;
}

static int parse_u(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v;

    if (!s || !*s)
        return 0;
    v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

enum MHD_Result api_archive(portal_req *r)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *rep = NULL;
    const char *cursor = portal_arg(r, "cursor"), *order = portal_arg(r, "order"), *bad = NULL;
    long long limit = 100, from = 0, to = 0;
    char head[65] = "";
    uint8_t *cur = NULL;
    size_t cur_len = 0;
    json_t *list;
    int rc;

    q.request_id = "portal";
    q.cluster_id = (char *)(portal_arg(r, "cluster_id") ? portal_arg(r, "cluster_id") : "");
    q.period = (char *)(portal_arg(r, "period") ? portal_arg(r, "period") : "");
    q.type = (char *)(portal_arg(r, "type") ? portal_arg(r, "type") : "");
    q.report_id = (char *)(portal_arg(r, "report_id") ? portal_arg(r, "report_id") : "");
    q.stream = (char *)(portal_arg(r, "stream") ? portal_arg(r, "stream") : "");
    if (parse_u(portal_arg(r, "limit"), 1, 1000, &limit) != 0)
        bad = "limit (1..1000)";
    else if (parse_u(portal_arg(r, "from_time_ms"), 0, INT64_MAX, &from) != 0)
        bad = "from_time_ms (ms since the epoch)";
    else if (parse_u(portal_arg(r, "to_time_ms"), 0, INT64_MAX, &to) != 0)
        bad = "to_time_ms (ms since the epoch)";
    else if (order && strcmp(order, "oldest") != 0 && strcmp(order, "newest") != 0)
        bad = "order (oldest or newest)";
    else if (cursor && *cursor && portal_b64url_decode(cursor, &cur, &cur_len) != JIJU_OK)
        bad = "cursor (next_cursor of the previous page)";
    if (bad)
        return portal_reply_error(r, 400, "E_BAD_PARAMETER", "bad %s", bad);
    if (r->who.role == KEY_ROLE_REPORTER && !is_own_cluster(&r->who, q.cluster_id)) {
        free(cur);
        return portal_reply_error(r, 403, "E_FORBIDDEN_CLUSTER",
                                  "%s (role reporter) may query the archive only with cluster_id "
                                  "set to one of its own clusters",
                                  r->who.name);
    }
    q.limit = (uint32_t)limit;
    q.from_time_ms = from;
    q.to_time_ms = to;
    q.order = order && strcmp(order, "newest") == 0 ? JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST
                                                    : JIJU__V1__ARCHIVE_ORDER__OLDEST_FIRST;
    q.cursor.data = cur;
    q.cursor.len = cur_len;
    rc = portal_archive(r->app->backend, &q, &rep);
    free(cur);
    if (rc != JIJU_OK)
        return portal_backend_error(r, "archive", rc);
    if (!rep->ok) {
        enum MHD_Result ret = portal_reply_error(r, 400, "E_ARCHIVE_QUERY", "%s", rep->error);
        jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
        return ret;
    }
    list = json_array();
    for (size_t i = 0; i < rep->n_records; i++)
        json_array_append_new(list, record_json(rep->records[i]));
    if (rep->head_hash.len == 32)
        hex_encode(rep->head_hash.data, 32, head);
    json_t *out = json_pack("{s:o,s:I,s:s}", "records", list, "head_seq", (json_int_t)rep->head_seq,
                            "head_hash", head);
    json_object_set_new(out, "next_cursor",
                        rep->next_cursor.len
                            ? portal_b64url_json(rep->next_cursor.data, rep->next_cursor.len)
                            : json_null());
    jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
    return portal_reply_json(r, 200, out);
}

/* H(n) = SHA-256(H(n-1) || u64(n) || u16+stream || u16+producer || u64(source_seq) || envelope) */
static void chain_step(const uint8_t prev[32], const Jiju__V1__ArchiveRecord *rec, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t b8[8], b2[2];
    const char *parts[2] = {rec->stream ? rec->stream : "",
                            rec->producer_id ? rec->producer_id : ""};
    unsigned int len = 32;

    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, prev, 32);
    for (int i = 0; i < 8; i++)
        b8[i] = (uint8_t)(rec->archive_seq >> (56 - 8 * i));
    EVP_DigestUpdate(md, b8, 8);
    for (int p = 0; p < 2; p++) {
        size_t n = strlen(parts[p]);
        b2[0] = (uint8_t)(n >> 8);
        b2[1] = (uint8_t)n;
        EVP_DigestUpdate(md, b2, 2);
        EVP_DigestUpdate(md, parts[p], n);
    }
    for (int i = 0; i < 8; i++)
        b8[i] = (uint8_t)(rec->source_seq >> (56 - 8 * i));
    EVP_DigestUpdate(md, b8, 8);
    EVP_DigestUpdate(md, rec->envelope.data, rec->envelope.len);
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

typedef struct verify_state {
    uint8_t h[32];
    uint64_t checked, last_seq, bad_seq;
    uint64_t head_seq;   /* the archive's head when the walk began */
    uint8_t head[32];    /* its head_hash then */
    uint8_t at_head[32]; /* our H(head_seq) */
    const char *why;
} verify_state;

/* One page: recompute each record's hash from its predecessor's. Returns 0
 * to stop (a bad record, or VERIFY_MAX reached). */
static int verify_page(const Jiju__V1__ArchiveQueryReply *rep, void *arg)
{
    verify_state *v = arg;

    if (!v->head_seq && rep->head_hash.len == 32) {
        v->head_seq = rep->head_seq;
        memcpy(v->head, rep->head_hash.data, 32);
    }
    for (size_t i = 0; i < rep->n_records && !v->why; i++) {
        const Jiju__V1__ArchiveRecord *rec = rep->records[i];
        uint8_t h[32];

        if (rec->archive_seq != v->last_seq + 1) {
            v->why = "a sequence number is missing";
            v->bad_seq = v->last_seq + 1;
            break;
        }
        chain_step(v->h, rec, h);
        if (rec->hash.len != 32 || memcmp(h, rec->hash.data, 32) != 0) {
            v->why = "the record's hash is not the one its content and predecessor give";
            v->bad_seq = rec->archive_seq;
            break;
        }
        memcpy(v->h, h, 32);
        if (rec->archive_seq == v->head_seq)
            memcpy(v->at_head, h, 32);
        v->last_seq = rec->archive_seq;
        v->checked++;
    }
    return !v->why && v->checked < VERIFY_MAX;
}

/* Walk the whole archive from 1 and recompute the chain (at most
 * VERIFY_MAX records per request; the answer says where it stopped). */
enum MHD_Result api_archive_verify(portal_req *r)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    verify_state v = {0};
    char hex[65], want[65] = "";
    int complete, failed;
    enum MHD_Result ret;

    q.request_id = "verify";
    q.limit = 1000;
    ret = portal_archive_pages(r, &q, verify_page, &v, &failed);
    if (failed)
        return ret;
    complete = v.last_seq >= v.head_seq;
    hex_encode(complete ? v.at_head : v.h, 32, hex);
    if (v.head_seq)
        hex_encode(v.head, 32, want);
    json_t *out = json_pack("{s:b,s:I,s:I,s:s,s:s,s:b}", "ok", !v.why, "checked",
                            (json_int_t)v.checked, "head_seq", (json_int_t)v.head_seq, "head_hash",
                            want, "computed_hash", hex, "complete", complete);
    if (!v.why && complete && v.head_seq && strcmp(hex, want) != 0) {
        v.why = "the recomputed head hash differs from the archive's head_hash";
        json_object_set_new(out, "ok", json_false());
    }
    if (v.why) {
        json_object_set_new(out, "problem", json_string(v.why));
        json_object_set_new(out, "bad_seq", json_integer((json_int_t)v.bad_seq));
    }
    return portal_reply_json(r, 200, out);
}
