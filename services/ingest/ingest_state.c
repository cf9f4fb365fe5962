/* ingest_state.c - accepted-report index and registry replica of one ingest
 * replica.
 *
 * What validation asks about every report (the cluster's status, whether
 * the period is closed, the last revision and revenue of the cluster's
 * period) is held in memory, loaded from the store at start-up and written
 * through: each change is put into the caller's txn and applied to memory
 * at once. That is what reading through the txn gave, because every txn of
 * ingest is built and committed within one handler of the one loop thread
 * (the submit batch in the replier's after_drain, the events batch in the
 * stream's), so at most one txn holds uncommitted changes at any time,
 * and a commit that fails ends the process (service_store_failed): memory
 * never holds what the store will not. After kill -9 the store holds
 * exactly what was committed, and memory is loaded from it again.
 *
 * Report ids are not held (they grow with every report): they are read
 * through the txn, a miss costing a Bloom filter probe (store.c). */
#include "ingest_state.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "hmap.h"
#include "ingest_events.pb-c.h"
#include "pb.h"
#include "pb_arena.h"
#include "period.h"
#include "report_digest.h"

#define INGEST_DECODE_STACK 4096 /* an event decoded on the stack (pb_arena.h) */

const char *const ingest_cfs[] = {"ingest_reports", "ingest_clusters", "ingest_periods",
                                  "ingest_revisions"};
const size_t ingest_n_cfs = sizeof ingest_cfs / sizeof ingest_cfs[0];

/* A (cluster, period)'s highest accepted revision and its revenue, and
 * where the store holds it: `at` of its key in ingest_revisions (below), 0
 * for an entry under the older key, the pair itself. */
typedef struct ingest_rev {
    uint32_t revision;
    int64_t revenue_fen;
    uint64_t at;
} ingest_rev;

/* ingest_revisions is written with every accepted report and read only at
 * start-up, in full, into memory. So an entry's key need not be the pair it
 * is about: a new (cluster, period) gets the next number, key "\0" be64(at),
 * value be32 revision, be64 revenue fen, then the pair. Its keys come in
 * order, each insert into the memtable lands after the last, where
 * RocksDB's skip list finds its place at once; keyed by the pair (a random
 * key per report) its skip list searched its levels for each, about 2 µs
 * of ingest's ~30 µs of CPU per report (docs/benchmarks.md, "Session 7").
 * A higher revision of a pair already held replaces its entry under the
 * same key, so the family keeps one entry per pair, as before. Entries of
 * stores written before are keyed by the pair (cluster ids are never
 * empty, so their first byte is not 0) with a value of 12 bytes; they are
 * loaded and replaced in that form. */
#define INGEST_REV_AT_KLEN 9
#define INGEST_REV_VALUE 12

struct ingest_state {
    store_t *store;
    int cf_reports, cf_clusters, cf_periods, cf_revisions;
    int scoped_only;   /* cf_reports holds no bare ids (report_ids_scoped) */
    char instance[64]; /* this replica's id ("" unknown) */
    hmap_t *status;    /* cluster id -> Jiju__V1__ClusterStatus (int32_t) */
    hmap_t *closed;    /* period text -> (set): closed periods */
    hmap_t *revisions; /* cluster '\0' period -> ingest_rev */
    uint64_t next_at;  /* the next ingest_revisions key number (ingest_rev.at) */
    /* report key -> ingest_known_report: the ids put into a txn that is not
     * committed yet, so a txn without an index (ingest_submit.c) finds a
     * report id accepted earlier in its own batch; emptied by the commit */
    hmap_t *pending;
};

typedef struct {
    ingest_state_t *st;
    store_txn_t *txn;
} view_ctx;

/* One view context per thread of control: ingest is single-threaded and a
 * view lives only during one validation call. */
static view_ctx current_view;

/* ---- memory, loaded from the store ---- */

static int set_status(ingest_state_t *st, const char *id, Jiju__V1__ClusterStatus status)
{
    int32_t v = (int32_t)status;

    return hmap_put(st->status, id, strlen(id), &v);
}

/* revisions value: be32 revision, be64 revenue fen (as two's complement),
 * then the pair for an entry keyed by its number */
static int decode_rev(const uint8_t *b, size_t len, ingest_rev *out)
{
    if (len < INGEST_REV_VALUE)
        return JIJU_ERR_CORRUPT;
    out->revision = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    out->revenue_fen = (int64_t)store_be64_get(b + 4);
    out->at = 0;
    return JIJU_OK;
}

static void encode_rev(uint8_t *v, uint32_t revision, int64_t revenue_fen)
{
    v[0] = (uint8_t)(revision >> 24);
    v[1] = (uint8_t)(revision >> 16);
    v[2] = (uint8_t)(revision >> 8);
    v[3] = (uint8_t)revision;
    store_be64_put(v + 4, (uint64_t)revenue_fen);
}

static size_t rev_at_key(uint64_t at, uint8_t key[INGEST_REV_AT_KLEN])
{
    key[0] = 0;
    store_be64_put(key + 1, at);
    return INGEST_REV_AT_KLEN;
}

/* One family into memory: each (key, value) handed to fn. */
static int load_cf(ingest_state_t *st, int cf,
                   int (*fn)(ingest_state_t *st, const void *k, size_t klen, const void *v,
                             size_t vlen))
{
    store_iter_t *it = store_iter_new(st->store, cf);
    int rc = it ? JIJU_OK : JIJU_ERR_NOMEM;

    for (store_iter_seek_first(it); rc == JIJU_OK && it && store_iter_valid(it);
         store_iter_next(it)) {
        size_t klen, vlen;
        const void *k = store_iter_key(it, &klen), *v = store_iter_value(it, &vlen);
        rc = fn(st, k, klen, v, vlen);
    }
    store_iter_destroy(&it);
    return rc;
}

static int load_cluster(ingest_state_t *st, const void *k, size_t klen, const void *v, size_t vlen)
{
    Jiju__V1__Cluster *c = jiju__v1__cluster__unpack(NULL, vlen, v);
    int32_t status;

    if (!c)
        return JIJU_ERR_CORRUPT;
    status = (int32_t)c->status;
    jiju__v1__cluster__free_unpacked(c, NULL);
    return hmap_put(st->status, k, klen, &status);
}

static int load_period(ingest_state_t *st, const void *k, size_t klen, const void *v, size_t vlen)
{
    (void)v;
    (void)vlen;
    return hmap_put(st->closed, k, klen, NULL);
}

/* An entry of either form (above); should a pair have two, the higher
 * revision is the one held. */
static int load_revision(ingest_state_t *st, const void *k, size_t klen, const void *v, size_t vlen)
{
    const uint8_t *key = k;
    const ingest_rev *held;
    ingest_rev r;
    int rc = decode_rev(v, vlen, &r);

    if (rc != JIJU_OK)
        return rc;
    if (klen > 0 && key[0] == 0) { /* keyed by its number: the pair is in the value */
        if (klen != INGEST_REV_AT_KLEN || vlen == INGEST_REV_VALUE)
            return JIJU_ERR_CORRUPT;
        r.at = store_be64_get(key + 1);
        if (r.at >= st->next_at)
            st->next_at = r.at + 1;
        k = (const uint8_t *)v + INGEST_REV_VALUE;
        klen = vlen - INGEST_REV_VALUE;
    } else if (vlen != INGEST_REV_VALUE) {
        return JIJU_ERR_CORRUPT;
    }
    if ((held = hmap_get(st->revisions, k, klen)) && held->revision >= r.revision)
        return JIJU_OK;
    return hmap_put(st->revisions, k, klen, &r);
}

ingest_state_t *ingest_state_new(store_t *store)
{
    ingest_state_t *st = calloc(1, sizeof *st);

    if (!st)
        return NULL;
    st->store = store;
    st->cf_reports = store_cf(store, "ingest_reports");
    st->cf_clusters = store_cf(store, "ingest_clusters");
    st->cf_periods = store_cf(store, "ingest_periods");
    st->cf_revisions = store_cf(store, "ingest_revisions");
    st->status = hmap_new(sizeof(int32_t));
    st->closed = hmap_new(0);
    st->revisions = hmap_new(sizeof(ingest_rev));
    st->pending = hmap_new(sizeof(ingest_known_report));
    st->next_at = 1;
    if (st->cf_reports < 0 || st->cf_clusters < 0 || st->cf_periods < 0 || st->cf_revisions < 0 ||
        !st->status || !st->closed || !st->revisions || !st->pending ||
        load_cf(st, st->cf_clusters, load_cluster) != JIJU_OK ||
        load_cf(st, st->cf_periods, load_period) != JIJU_OK ||
        load_cf(st, st->cf_revisions, load_revision) != JIJU_OK) {
        ingest_state_destroy(&st);
        return NULL;
    }
    st->scoped_only = report_ids_scoped(store, st->cf_reports);
    return st;
}

void ingest_state_set_instance(ingest_state_t *st, const char *instance)
{
    snprintf(st->instance, sizeof st->instance, "%s", instance ? instance : "");
}

void ingest_state_destroy(ingest_state_t **st)
{
    if (!st || !*st)
        return;
    hmap_destroy(&(*st)->status);
    hmap_destroy(&(*st)->closed);
    hmap_destroy(&(*st)->revisions);
    hmap_destroy(&(*st)->pending);
    free(*st);
    *st = NULL;
}

/* ---- the validation view ---- */

static int view_cluster_status(void *arg, const char *id, Jiju__V1__ClusterStatus *out)
{
    view_ctx *v = arg;
    const int32_t *status = hmap_get(v->st->status, id, strlen(id));

    if (!status)
        return JIJU_ERR_NOT_FOUND;
    *out = (Jiju__V1__ClusterStatus)*status;
    return JIJU_OK;
}

static int strs_equal(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

static int view_cluster_same(void *arg, const Jiju__V1__Cluster *want)
{
    view_ctx *v = arg;
    void *val = NULL;
    size_t len = 0;
    Jiju__V1__Cluster *c;
    int same;

    if (store_txn_get(v->txn, v->st->cf_clusters, want->id, strlen(want->id), &val, &len) !=
        JIJU_OK)
        return 0;
    c = jiju__v1__cluster__unpack(NULL, len, val);
    free(val);
    if (!c)
        return 0;
    same = strcmp(c->name, want->name) == 0 && c->category == want->category &&
           strcmp(c->county, want->county) == 0 &&
           strcmp(c->management_org, want->management_org) == 0 &&
           strs_equal(c->leading_industries, c->n_leading_industries, want->leading_industries,
                      want->n_leading_industries);
    jiju__v1__cluster__free_unpacked(c, NULL);
    return same;
}

static int view_period_closed(void *arg, const char *p)
{
    view_ctx *v = arg;

    return hmap_get(v->st->closed, p, strlen(p)) != NULL;
}

static const ingest_rev *find_revision(ingest_state_t *st, const char *cluster, const char *p)
{
    char key[256];
    size_t klen = store_key_pair(cluster, p, key, sizeof key);

    return klen ? hmap_get(st->revisions, key, klen) : NULL;
}

static int read_revision(view_ctx *v, const char *cluster, const char *p, uint32_t *rev,
                         int64_t *revenue)
{
    const ingest_rev *r = find_revision(v->st, cluster, p);

    if (!r)
        return JIJU_ERR_NOT_FOUND;
    *rev = r->revision;
    *revenue = r->revenue_fen;
    return JIJU_OK;
}

static uint32_t view_last_revision(void *arg, const char *cluster, const char *p)
{
    uint32_t rev = 0;
    int64_t revenue;

    return read_revision(arg, cluster, p, &rev, &revenue) == JIJU_OK ? rev : 0;
}

static int view_previous_revenue(void *arg, const char *cluster, const char *p, int64_t *fen)
{
    uint32_t rev;

    return read_revision(arg, cluster, p, &rev, fen);
}

ingest_view ingest_state_view(ingest_state_t *st, store_txn_t *txn)
{
    ingest_view v = {0};

    current_view.st = st;
    current_view.txn = txn;
    v.arg = &current_view;
    v.cluster_status = view_cluster_status;
    v.cluster_same = view_cluster_same;
    v.period_closed = view_period_closed;
    v.last_revision = view_last_revision;
    v.previous_revenue = view_previous_revenue;
    return v;
}

/* ---- accepted reports ---- */

/* The index's key: report_id_key(cluster, id) (report_digest.h). Its
 * value: seq (8 bytes, big-endian), digest (32), then the instance that
 * logged it, if not this replica (stores written before replicas kept it
 * end after the digest). Stores written before ids were scoped to their
 * cluster hold the bare id: such an entry is still found, for any cluster. */
int ingest_state_find_report(ingest_state_t *st, store_txn_t *txn, const char *cluster_id,
                             const char *report_id, ingest_known_report *out)
{
    char key[INGEST_REPORT_KEY_MAX];
    size_t klen = report_id_key(cluster_id, report_id, key, sizeof key);
    void *val = NULL;
    size_t len = 0;
    const ingest_known_report *mine;
    int rc;

    if (!klen)
        return JIJU_ERR_INVALID;
    if ((mine = hmap_get(st->pending, key, klen))) {
        *out = *mine;
        return JIJU_OK;
    }
    rc = store_txn_get(txn, st->cf_reports, key, klen, &val, &len);
    if (rc == JIJU_ERR_NOT_FOUND && !st->scoped_only)
        rc = store_txn_get(txn, st->cf_reports, report_id, strlen(report_id), &val, &len);
    if (rc != JIJU_OK)
        return rc;
    if (len < 40 || len - 40 >= sizeof out->instance) {
        free(val);
        return JIJU_ERR_CORRUPT;
    }
    out->seq = store_be64_get(val);
    memcpy(out->digest, (uint8_t *)val + 8, 32);
    memcpy(out->instance, (uint8_t *)val + 40, len - 40);
    out->instance[len - 40] = '\0';
    free(val);
    return JIJU_OK;
}

/* The highest revision of the report's (cluster, period), written through:
 * a new pair under the next number, a higher revision under the key of the
 * entry it replaces (an older store's pair key stays one). */
static int put_revision(ingest_state_t *st, store_txn_t *txn, const Jiju__V1__Report *r)
{
    char pair[256];
    size_t plen = store_key_pair(r->cluster_id, r->period, pair, sizeof pair);
    uint8_t v[INGEST_REV_VALUE + sizeof pair], at_key[INGEST_REV_AT_KLEN];
    const ingest_rev *old = plen ? hmap_get(st->revisions, pair, plen) : NULL;
    ingest_rev now = {r->revision,
                      r->revenue_present_case == JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN
                          ? r->revenue_fen
                          : 0,
                      0};
    int rc;

    if (!plen)
        return JIJU_ERR_INVALID;
    if (old && old->revision >= r->revision)
        return JIJU_OK; /* keep the highest revision only */
    encode_rev(v, now.revision, now.revenue_fen);
    if (old && old->at == 0) { /* an older store's entry, keyed by the pair */
        rc = store_txn_put(txn, st->cf_revisions, pair, plen, v, INGEST_REV_VALUE);
    } else {
        now.at = old ? old->at : st->next_at++;
        memcpy(v + INGEST_REV_VALUE, pair, plen);
        rc = store_txn_put(txn, st->cf_revisions, at_key, rev_at_key(now.at, at_key), v,
                           INGEST_REV_VALUE + plen);
    }
    return rc != JIJU_OK ? rc : hmap_put(st->revisions, pair, plen, &now);
}

static void pending_clear(void *arg)
{
    ingest_state_t *st = arg;

    hmap_clear(st->pending);
}

static int put_report_id(ingest_state_t *st, store_txn_t *txn, const Jiju__V1__Report *r,
                         uint64_t seq, const uint8_t digest[32], const char *instance)
{
    uint8_t v[40 + sizeof((ingest_known_report *)0)->instance];
    char key[INGEST_REPORT_KEY_MAX];
    size_t klen = report_id_key(r->cluster_id, r->report_id, key, sizeof key);
    size_t n = instance ? strlen(instance) : 0;
    ingest_known_report known = {.seq = seq};
    int rc;

    if (n >= sizeof v - 40 || !klen)
        return JIJU_ERR_INVALID;
    store_be64_put(v, seq);
    memcpy(v + 8, digest, 32);
    if (n)
        memcpy(v + 40, instance, n);
    if ((rc = store_txn_put(txn, st->cf_reports, key, klen, v, 40 + n)) != JIJU_OK)
        return rc;
    memcpy(known.digest, digest, 32);
    memcpy(known.instance, instance ? instance : "", n + 1);
    if ((rc = hmap_put(st->pending, key, klen, &known)) != JIJU_OK)
        return rc;
    return store_txn_on_commit(txn, pending_clear, st);
}

int ingest_state_accept_report(ingest_state_t *st, store_txn_t *txn, const Jiju__V1__Report *r,
                               uint64_t seq, const uint8_t digest[32])
{
    int rc = put_report_id(st, txn, r, seq, digest, NULL);

    return rc != JIJU_OK ? rc : put_revision(st, txn, r);
}

/* ---- the registry replica ---- */

static int put_cluster(ingest_state_t *st, store_txn_t *txn, const Jiju__V1__Cluster *c)
{
    int rc = pb_txn_put(txn, st->cf_clusters, c->id, strlen(c->id), &c->base);

    return rc != JIJU_OK ? rc : set_status(st, c->id, c->status);
}

static int put_closed(ingest_state_t *st, store_txn_t *txn, const char *p)
{
    int rc = store_txn_put(txn, st->cf_periods, p, strlen(p), "1", 1);

    return rc != JIJU_OK ? rc : hmap_put(st->closed, p, strlen(p), NULL);
}

static int mark_eliminated(ingest_state_t *st, store_txn_t *txn, const char *id)
{
    void *val = NULL;
    size_t len = 0;
    Jiju__V1__Cluster *c;
    int rc;

    if (store_txn_get(txn, st->cf_clusters, id, strlen(id), &val, &len) != JIJU_OK)
        return JIJU_OK;
    c = jiju__v1__cluster__unpack(NULL, len, val);
    free(val);
    if (!c)
        return JIJU_OK;
    c->status = JIJU__V1__CLUSTER_STATUS__ELIMINATED;
    rc = put_cluster(st, txn, c);
    jiju__v1__cluster__free_unpacked(c, NULL);
    return rc;
}

/* A ReportAccepted of a report another replica logged (or of one logged here
 * before this replica knew its instance id): learn its id, with the content
 * assessment applied, and its revision. The report is decoded only here. */
static int learn_report(ingest_state_t *st, store_txn_t *txn,
                        const Jiju__Ingest__ReportAcceptedView *ra, pb_arena *arena)
{
    Jiju__V1__Report *r;
    ingest_known_report known;
    uint8_t digest[32];
    int rc = JIJU_OK;

    if (ra->report.len == 0) /* no report, or an empty one: no id to learn */
        return JIJU_OK;
    if (!(r = jiju__v1__report__unpack(&arena->alloc, ra->report.len, ra->report.data)))
        return JIJU_ERR_CORRUPT;
    if (r->report_id[0] && r->cluster_id[0]) {
        report_digest(r, digest);
        if (ingest_state_find_report(st, txn, r->cluster_id, r->report_id, &known) != JIJU_OK ||
            memcmp(known.digest, digest, sizeof digest) != 0)
            rc = put_report_id(st, txn, r, ra->ingest_seq, digest, ra->ingest_instance);
        if (rc == JIJU_OK && !ra->superseded)
            rc = put_revision(st, txn, r);
    }
    protobuf_c_message_free_unpacked(&r->base, &arena->alloc);
    return rc;
}

int ingest_state_apply_event(void *arg, const char *producer_id, uint64_t seq, const uint8_t *data,
                             size_t len, store_txn_t *txn)
{
    ingest_state_t *st = arg;
    max_align_t room[INGEST_DECODE_STACK / sizeof(max_align_t)];
    pb_arena arena;
    Jiju__Ingest__EventView *ev;
    const Jiju__Ingest__ReportAcceptedView *ra;
    int rc = JIJU_OK;

    (void)producer_id;
    (void)seq;
    pb_arena_init(&arena, room, sizeof room); /* no malloc per string of the event */
    /* the private view of the envelope (ingest_events.proto): only the
     * bodies below are decoded, a ReportAccepted's report not even then */
    if (!(ev = jiju__ingest__event_view__unpack(&arena.alloc, len, data)))
        return JIJU_ERR_CORRUPT;
    switch (ev->body_case) {
    case JIJU__INGEST__EVENT_VIEW__BODY_CLUSTER_REGISTERED:
        if (ev->cluster_registered->cluster)
            rc = put_cluster(st, txn, ev->cluster_registered->cluster);
        break;
    case JIJU__INGEST__EVENT_VIEW__BODY_CLUSTER_UPDATED:
        if (ev->cluster_updated->cluster)
            rc = put_cluster(st, txn, ev->cluster_updated->cluster);
        break;
    case JIJU__INGEST__EVENT_VIEW__BODY_CLUSTER_ELIMINATED:
        rc = mark_eliminated(st, txn, ev->cluster_eliminated->cluster_id);
        break;
    case JIJU__INGEST__EVENT_VIEW__BODY_PERIOD_CLOSED:
        rc = put_closed(st, txn, ev->period_closed->period);
        break;
    case JIJU__INGEST__EVENT_VIEW__BODY_REPORT_ACCEPTED:
        /* The content assessment applied for this id, whichever replica
         * accepted it: learn ids other replicas accepted, so a resubmission
         * here is answered DUPLICATE; and when this replica accepted other
         * content for the same id first (assessment rejected it with
         * E_CONFLICT), take the applied content, so that a resubmission of
         * the rejected one is answered CONFLICT, not DUPLICATE. */
        ra = ev->report_accepted;
        /* Our own record, applied: what assessment applied is what this
         * replica logged at that seq, indexed (id, digest, revision) in the
         * same txn as the record. Nothing to learn: the report is not even
         * decoded. */
        if (st->instance[0] && strcmp(ra->ingest_instance, st->instance) == 0)
            break;
        rc = learn_report(st, txn, ra, &arena);
        break;
    default:
        break;
    }
    pb_arena_free(&arena, &ev->base);
    return rc == JIJU_OK ? 0 : rc;
}
