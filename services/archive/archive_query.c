/* archive_query.c - one page of an archive query. */
#include "archive_query.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_hash.h"
#include "archive_index.h"
#include "archive_store.h"
#include "envelope.h"
#include "err.h"

typedef enum { AQ_PREFIX, AQ_TIME, AQ_RECORD } aq_kind;

/* How one request walks the store. */
typedef struct aq_scan {
    store_t *s;
    archive_cfs cfs;
    const Jiju__V1__ArchiveQueryRequest *req;
    aq_kind kind;
    int cf;                                /* the family walked */
    uint8_t prefix[ARCHIVE_INDEX_KEY_MAX]; /* AQ_PREFIX: length byte and value */
    size_t plen;
    int driver; /* which filter the walk stands for */
    bool newest;
    bool post_filter; /* other filters to check per record */
} aq_scan;

enum { AQ_F_REPORT, AQ_F_CLUSTER, AQ_F_PERIOD, AQ_F_TYPE, AQ_F_STREAM, AQ_F_TIME, AQ_F_NONE };

static const char *aq_filter_value(const Jiju__V1__ArchiveQueryRequest *q, int f)
{
    switch (f) {
    case AQ_F_REPORT:
        return q->report_id;
    case AQ_F_CLUSTER:
        return q->cluster_id;
    case AQ_F_PERIOD:
        return q->period;
    case AQ_F_TYPE: /* short or full name; aq_plan refused any other */
        return q->type && envelope_type_full(q->type) ? envelope_type_full(q->type) : q->type;
    case AQ_F_STREAM:
        return q->stream;
    default:
        return "";
    }
}

static int aq_filter_cf(const archive_cfs *c, int f)
{
    const int cfs[] = {c->report, c->cluster, c->period, c->type, c->stream};

    return cfs[f];
}

static bool aq_has_time(const Jiju__V1__ArchiveQueryRequest *q)
{
    return q->from_time_ms != 0 || q->to_time_ms != 0;
}

/* Pick the driving index: the first filter set, in selectivity order. */
static const char *aq_plan(aq_scan *sc)
{
    const Jiju__V1__ArchiveQueryRequest *q = sc->req;
    int n_set = aq_has_time(q) ? 1 : 0;

    sc->driver = AQ_F_NONE;
    for (int f = AQ_F_REPORT; f <= AQ_F_STREAM; f++) {
        const char *v = aq_filter_value(q, f);

        if (!v || !v[0])
            continue;
        if (strlen(v) > ARCHIVE_INDEX_VALUE_MAX)
            return "filter value longer than 255 bytes";
        n_set++;
        if (sc->driver == AQ_F_NONE)
            sc->driver = f;
    }
    if (q->type && q->type[0] && !envelope_type_full(q->type)) {
        static char why[ARCHIVE_INDEX_VALUE_MAX + 96];
        snprintf(why, sizeof why,
                 "type \"%.255s\" is not a Jiju event type (e.g. AwardGranted or "
                 "jiju.v1.AwardGranted)",
                 q->type);
        return why;
    }
    if (q->to_time_ms != 0 && q->to_time_ms <= q->from_time_ms)
        return "to_time_ms must be after from_time_ms";
    if (sc->driver != AQ_F_NONE) {
        sc->kind = AQ_PREFIX;
        sc->cf = aq_filter_cf(&sc->cfs, sc->driver);
        sc->plen = archive_index_prefix(sc->prefix, aq_filter_value(q, sc->driver));
    } else if (aq_has_time(q)) {
        sc->driver = AQ_F_TIME;
        sc->kind = AQ_TIME;
        sc->cf = sc->cfs.time;
    } else {
        sc->kind = AQ_RECORD;
        sc->cf = sc->cfs.record;
    }
    sc->post_filter = n_set > 1;
    sc->newest = q->order == JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST;
    return NULL;
}

static size_t aq_key_len(const aq_scan *sc)
{
    return sc->kind == AQ_PREFIX ? sc->plen + 8 : sc->kind == AQ_TIME ? 16 : 8;
}

/* Whether an index key belongs to this walk (prefix, time range). */
static bool aq_in_range(const aq_scan *sc, const uint8_t *key, size_t klen)
{
    int64_t t;

    if (klen != aq_key_len(sc))
        return false;
    if (sc->kind == AQ_PREFIX)
        return memcmp(key, sc->prefix, sc->plen) == 0;
    if (sc->kind != AQ_TIME)
        return true;
    t = (int64_t)(store_be64_get(key) ^ (UINT64_C(1) << 63));
    if (sc->req->from_time_ms != 0 && t < sc->req->from_time_ms)
        return false;
    return sc->req->to_time_ms == 0 || t < sc->req->to_time_ms;
}

/* Position on the first entry when there is no cursor. */
static void aq_seek_start(const aq_scan *sc, store_iter_t *it)
{
    const Jiju__V1__ArchiveQueryRequest *q = sc->req;
    uint8_t key[ARCHIVE_INDEX_KEY_MAX];

    if (sc->kind == AQ_PREFIX) {
        memcpy(key, sc->prefix, sc->plen);
        store_be64_put(key + sc->plen, sc->newest ? UINT64_MAX : 0);
        (sc->newest ? store_iter_seek_prev : store_iter_seek)(it, key, sc->plen + 8);
    } else if (sc->kind == AQ_TIME && !sc->newest && q->from_time_ms != 0) {
        archive_index_time_key(key, q->from_time_ms, 0);
        store_iter_seek(it, key, 16);
    } else if (sc->kind == AQ_TIME && sc->newest && q->to_time_ms != 0) {
        archive_index_time_key(key, q->to_time_ms - 1, UINT64_MAX);
        store_iter_seek_prev(it, key, 16);
    } else if (sc->newest) {
        store_iter_seek_last(it);
    } else {
        store_iter_seek_first(it);
    }
}

/* Position just past the cursor (the last key the previous page examined). */
static const char *aq_seek(const aq_scan *sc, store_iter_t *it)
{
    const ProtobufCBinaryData *cur = &sc->req->cursor;
    size_t klen;
    const uint8_t *key;

    if (cur->len == 0) {
        aq_seek_start(sc, it);
        return NULL;
    }
    if (!aq_in_range(sc, cur->data, cur->len))
        return "cursor does not belong to this query";
    (sc->newest ? store_iter_seek_prev : store_iter_seek)(it, cur->data, cur->len);
    key = store_iter_valid(it) ? store_iter_key(it, &klen) : NULL;
    if (key && klen == cur->len && memcmp(key, cur->data, klen) == 0)
        (sc->newest ? store_iter_prev : store_iter_next)(it);
    return NULL;
}

/* The record an index entry points at (NULL if absent: a damaged archive,
 * which verify reports; a query just goes on). */
static Jiju__V1__ArchiveRecord *aq_fetch(const aq_scan *sc, store_iter_t *it)
{
    Jiju__V1__ArchiveRecord *rec;
    const uint8_t *key;
    uint8_t rkey[8];
    void *val = NULL;
    size_t klen, vlen;

    if (sc->kind == AQ_RECORD) {
        const uint8_t *v = store_iter_value(it, &vlen);
        return jiju__v1__archive_record__unpack(NULL, vlen, v);
    }
    key = store_iter_key(it, &klen);
    store_be64_put(rkey, archive_index_key_seq(key, klen));
    if (store_get(sc->s, sc->cfs.record, rkey, sizeof rkey, &val, &vlen) != JIJU_OK)
        return NULL;
    rec = jiju__v1__archive_record__unpack(NULL, vlen, val);
    free(val);
    return rec;
}

static bool aq_eq(const char *want, const char *have)
{
    return !want || !want[0] || strcmp(want, have) == 0;
}

/* The filters other than the driver (all of them, cheaply, for simplicity). */
static bool aq_matches(const aq_scan *sc, const Jiju__V1__ArchiveRecord *rec)
{
    const Jiju__V1__ArchiveQueryRequest *q = sc->req;
    archive_fields f;

    if (!sc->post_filter)
        return true;
    if (!aq_eq(q->stream, rec->stream))
        return false;
    archive_fields_from_envelope(rec->envelope.data, rec->envelope.len, &f);
    if (!aq_eq(q->report_id, f.report_id) || !aq_eq(q->cluster_id, f.cluster) ||
        !aq_eq(q->period, f.period) || !aq_eq(aq_filter_value(q, AQ_F_TYPE), f.type))
        return false;
    if (!aq_has_time(q))
        return true;
    if (!f.has_time || (q->from_time_ms != 0 && f.time_ms < q->from_time_ms))
        return false;
    return q->to_time_ms == 0 || f.time_ms < q->to_time_ms;
}

static void aq_keep(const aq_scan *sc, Jiju__V1__ArchiveRecord *rec)
{
    if (!sc->req->omit_envelope)
        return;
    free(rec->envelope.data);
    rec->envelope.data = NULL;
    rec->envelope.len = 0;
}

static int aq_set_bytes(ProtobufCBinaryData *b, const void *data, size_t len)
{
    if (!(b->data = malloc(len ? len : 1)))
        return JIJU_ERR_NOMEM;
    memcpy(b->data, data, len);
    b->len = len;
    return JIJU_OK;
}

/* Walk from the iterator's position, filling reply->records; set the cursor
 * when entries of this walk remain. */
static int aq_walk(const aq_scan *sc, store_iter_t *it, uint32_t limit, size_t max_bytes,
                   Jiju__V1__ArchiveQueryReply *reply)
{
    uint8_t last[ARCHIVE_INDEX_KEY_MAX];
    size_t last_len = 0, klen, examined = 0, bytes = 0;
    size_t budget = (size_t)limit * ARCHIVE_QUERY_SCAN_PER_RECORD + ARCHIVE_QUERY_SCAN_BASE;
    const uint8_t *key;

    if (!(reply->records = calloc(limit, sizeof *reply->records)))
        return JIJU_ERR_NOMEM;
    while (store_iter_valid(it) && reply->n_records < limit && examined < budget) {
        Jiju__V1__ArchiveRecord *rec;

        key = store_iter_key(it, &klen);
        if (!aq_in_range(sc, key, klen))
            break;
        rec = aq_fetch(sc, it);
        if (rec && aq_matches(sc, rec)) {
            size_t sz;
            aq_keep(sc, rec);
            /* a page stops before the reply would pass the frame limit (a
             * RankingUpdated page of 1,000 entries is about 250 KB): the
             * cursor then points before this record, so it comes next */
            sz = jiju__v1__archive_record__get_packed_size(rec) + 8;
            if (reply->n_records > 0 && bytes + sz > max_bytes) {
                jiju__v1__archive_record__free_unpacked(rec, NULL);
                break;
            }
            bytes += sz;
            reply->records[reply->n_records++] = rec;
        } else if (rec) {
            jiju__v1__archive_record__free_unpacked(rec, NULL);
        }
        examined++;
        memcpy(last, key, klen);
        last_len = klen;
        (sc->newest ? store_iter_prev : store_iter_next)(it);
    }
    if (!store_iter_valid(it) || last_len == 0)
        return JIJU_OK;
    key = store_iter_key(it, &klen);
    if (!aq_in_range(sc, key, klen))
        return JIJU_OK;
    return aq_set_bytes(&reply->next_cursor, last, last_len);
}

static int aq_head(store_t *s, const archive_cfs *cfs, Jiju__V1__ArchiveQueryReply *reply)
{
    uint8_t hash[ARCHIVE_HASH_LEN];
    uint64_t seq = 0;
    int rc = archive_head_read(s, cfs, &seq, hash);

    if (rc != JIJU_OK || seq == 0)
        return rc;
    reply->head_seq = seq;
    return aq_set_bytes(&reply->head_hash, hash, sizeof hash);
}

static Jiju__V1__ArchiveQueryReply *aq_reply_new(const char *request_id)
{
    Jiju__V1__ArchiveQueryReply *r = malloc(sizeof *r);

    if (!r)
        return NULL;
    jiju__v1__archive_query_reply__init(r);
    /* every string owned, so free_unpacked can free it */
    r->request_id = strdup(request_id ? request_id : "");
    r->error = strdup("");
    r->instance = strdup("");
    if (!r->request_id || !r->error || !r->instance) {
        jiju__v1__archive_query_reply__free_unpacked(r, NULL);
        return NULL;
    }
    return r;
}

static Jiju__V1__ArchiveQueryReply *aq_refuse(Jiju__V1__ArchiveQueryReply *r, const char *why)
{
    char *e = strdup(why);

    if (!e) {
        jiju__v1__archive_query_reply__free_unpacked(r, NULL);
        return NULL;
    }
    free(r->error);
    r->error = e;
    r->ok = false;
    return r;
}

Jiju__V1__ArchiveQueryReply *archive_query_refused(const char *request_id, const char *why)
{
    Jiju__V1__ArchiveQueryReply *reply = aq_reply_new(request_id);

    return reply ? aq_refuse(reply, why) : NULL;
}

Jiju__V1__ArchiveQueryReply *archive_query_run(store_t *s, const Jiju__V1__ArchiveQueryRequest *req)
{
    return archive_query_run_max(s, req, ARCHIVE_QUERY_MAX_BYTES);
}

Jiju__V1__ArchiveQueryReply *
archive_query_run_max(store_t *s, const Jiju__V1__ArchiveQueryRequest *req, size_t max_bytes)
{
    Jiju__V1__ArchiveQueryReply *reply = aq_reply_new(req->request_id);
    aq_scan sc = {.s = s, .req = req};
    uint32_t limit = req->limit ? req->limit : ARCHIVE_QUERY_DEFAULT_LIMIT;
    store_iter_t *it = NULL;
    const char *why;
    int rc;

    if (!reply)
        return NULL;
    if (archive_cfs_resolve(s, &sc.cfs) != JIJU_OK)
        return aq_refuse(reply, "not an archive store");
    if ((why = aq_plan(&sc)) != NULL)
        return aq_refuse(reply, why);
    if (limit > ARCHIVE_QUERY_MAX_LIMIT)
        limit = ARCHIVE_QUERY_MAX_LIMIT;
    if (!(it = store_iter_new(s, sc.cf)))
        return aq_refuse(reply, "cannot iterate the store");
    if ((why = aq_seek(&sc, it)) != NULL) {
        store_iter_destroy(&it);
        return aq_refuse(reply, why);
    }
    rc = aq_walk(&sc, it, limit, max_bytes, reply);
    store_iter_destroy(&it);
    if (rc == JIJU_OK)
        rc = aq_head(s, &sc.cfs, reply);
    if (rc != JIJU_OK)
        return aq_refuse(reply, jiju_err_str(rc));
    reply->ok = true;
    return reply;
}
