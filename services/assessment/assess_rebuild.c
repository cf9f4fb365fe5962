/* assess_rebuild.c - rebuild an empty assessment store from the archive
 * alone (issue 6 item 4, docs/operations.md "disaster recovery").
 *
 * 1. Every archived input (the "reports" stream: reports and commands that
 *    ingest replicas accepted) is applied again with assess_apply, in the
 *    order assessment originally applied them: each archived event names
 *    its cause (Envelope.cause_producer/cause_seq), so the archived events
 *    give that order; inputs that caused no archived event follow in archive
 *    order. (Archive order alone would not do: two replicas' records reach
 *    the archive and assessment interleaved differently, and a report
 *    before or after a ClosePeriod is a different outcome.) The events that
 *    produces go to a scratch log, never to the "events" log that
 *    subscribers follow, so nothing is sent twice. Each replica's cursor is
 *    set, in the same txn, to the last sequence replayed, so when the
 *    service starts, ingest replicas resend only what the archive never saw.
 * 2. The events assessment had emitted before the disaster are copied,
 *    byte-exact and with their original sequences, from the archive into the
 *    "events" log. Consumers (notification, archive, ingest) whose cursors
 *    are at or below the archived head therefore see the same log as
 *    before, and carry on after it.
 * 3. The scratch log is compared with the archived events: the award,
 *    elimination, nomination and ranking decisions must be identical; a
 *    difference is reported (and the rebuild refused) rather than hidden. */
#include "assess_rebuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_reader.h"
#include "envelope.h"
#include "err.h"
#include "log.h"

#define REBUILD_BATCH 2000
#define SCRATCH_LOG "rebuild-scratch"
#define REPLAY_STOP (-1) /* stops archive_replay after one record; not a jiju_err */

typedef struct rebuild_ctx {
    store_t *store;
    assess_t *a;
    stream_log_t *events;
    store_txn_t *txn;
    size_t in_txn;
    uint64_t inputs, copied;
    assess_rebuild_stats *stats;
} rebuild_ctx;

static int flush(rebuild_ctx *c)
{
    if (c->in_txn == 0)
        return JIJU_OK;
    c->in_txn = 0;
    return store_txn_commit(c->txn, true);
}

static int apply_input(rebuild_ctx *c, const archive_entry *e)
{
    int rc;

    envelope_set_cause(e->producer_id, e->source_seq);
    rc = assess_apply(c->a, e->producer_id, e->source_seq, e->envelope, e->len, c->txn);
    envelope_set_cause(NULL, 0);
    if (rc != 0)
        log_warn("rebuild_input_skipped", "archive_seq=%llu producer=%s seq=%llu",
                 (unsigned long long)e->archive_seq, e->producer_id,
                 (unsigned long long)e->source_seq);
    if ((rc = stream_cursor_put(c->store, c->txn, ARCHIVE_STREAM_REPORTS, e->producer_id,
                                e->source_seq)) != JIJU_OK)
        return rc;
    c->inputs++;
    return ++c->in_txn >= REBUILD_BATCH ? flush(c) : JIJU_OK;
}

/* ---- the original order of application, from the archived events ---- */

typedef struct input_ref {
    char producer[64];
    uint64_t seq;
    uint64_t archive_seq; /* 0 until found among the inputs */
    int applied;
} input_ref;

typedef struct order_ctx {
    input_ref *refs; /* in original order of application */
    size_t n, cap;
} order_ctx;

static int ref_cmp(const void *a, const void *b)
{
    const input_ref *x = *(input_ref *const *)a, *y = *(input_ref *const *)b;
    int c = strcmp(x->producer, y->producer);

    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int collect_cause(void *arg, const archive_entry *e)
{
    order_ctx *o = arg;
    Jiju__V1__Envelope *env = envelope_decode(e->envelope, e->len);
    int rc = JIJU_OK;

    if (!env)
        return JIJU_ERR_CORRUPT;
    /* one input's events are contiguous: comparing with the last is enough */
    if (env->cause_producer[0] && !(o->n && o->refs[o->n - 1].seq == env->cause_seq &&
                                    strcmp(o->refs[o->n - 1].producer, env->cause_producer) == 0)) {
        if (o->n == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 1024;
            input_ref *r = realloc(o->refs, cap * sizeof *r);
            if (!r) {
                rc = JIJU_ERR_NOMEM;
                goto out;
            }
            o->refs = r;
            o->cap = cap;
        }
        memset(&o->refs[o->n], 0, sizeof o->refs[0]);
        snprintf(o->refs[o->n].producer, sizeof o->refs[0].producer, "%s", env->cause_producer);
        o->refs[o->n].seq = env->cause_seq;
        o->n++;
    }
out:
    envelope_free(&env);
    return rc;
}

typedef struct locate_ctx {
    input_ref **sorted;
    size_t n;
} locate_ctx;

static input_ref *find_ref(locate_ctx *l, const char *producer, uint64_t seq)
{
    input_ref key, *kp = &key, **hit;

    snprintf(key.producer, sizeof key.producer, "%s", producer);
    key.seq = seq;
    hit = bsearch(&kp, l->sorted, l->n, sizeof *l->sorted, ref_cmp);
    return hit ? *hit : NULL;
}

static int locate_input(void *arg, const archive_entry *e)
{
    input_ref *r = find_ref(arg, e->producer_id, e->source_seq);

    if (r && !r->archive_seq)
        r->archive_seq = e->archive_seq;
    return JIJU_OK;
}

typedef struct one_ctx {
    rebuild_ctx *c;
    input_ref *ref;
    int done;
} one_ctx;

static int apply_one(void *arg, const archive_entry *e)
{
    one_ctx *one = arg;
    int rc = apply_input(one->c, e);

    one->done = 1;
    return rc == JIJU_OK ? REPLAY_STOP : rc;
}

typedef struct rest_ctx {
    rebuild_ctx *c;
    locate_ctx *l;
} rest_ctx;

static int apply_rest(void *arg, const archive_entry *e)
{
    rest_ctx *r = arg;
    input_ref *ref = find_ref(r->l, e->producer_id, e->source_seq);

    if (ref && ref->applied)
        return JIJU_OK;
    return apply_input(r->c, e);
}

/* Apply every archived input in its original order, then the rest. */
static int replay_inputs(rebuild_ctx *c, store_t *arch)
{
    order_ctx o = {0};
    locate_ctx l = {0};
    rest_ctx rest = {c, &l};
    int rc = archive_replay(arch, ARCHIVE_STREAM_EVENTS, 1, collect_cause, &o, NULL);

    if (rc != JIJU_OK)
        goto out;
    l.sorted = malloc((o.n ? o.n : 1) * sizeof *l.sorted);
    if (!l.sorted) {
        rc = JIJU_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < o.n; i++)
        l.sorted[i] = &o.refs[i];
    l.n = o.n;
    qsort(l.sorted, l.n, sizeof *l.sorted, ref_cmp);
    rc = archive_replay(arch, ARCHIVE_STREAM_REPORTS, 1, locate_input, &l, NULL);
    for (size_t i = 0; rc == JIJU_OK && i < o.n; i++) {
        one_ctx one = {c, &o.refs[i], 0};
        if (!o.refs[i].archive_seq || o.refs[i].applied)
            continue; /* an input the archive never got, or seen already */
        rc = archive_replay(arch, ARCHIVE_STREAM_REPORTS, o.refs[i].archive_seq, apply_one, &one,
                            NULL);
        if (rc == REPLAY_STOP)
            rc = JIJU_OK;
        o.refs[i].applied = one.done;
    }
    if (rc == JIJU_OK)
        rc = archive_replay(arch, ARCHIVE_STREAM_REPORTS, 1, apply_rest, &rest, NULL);
    if (rc == JIJU_OK)
        rc = flush(c);
out:
    free(l.sorted);
    free(o.refs);
    return rc;
}

/* Copy assessment's archived events back into its "events" log. */
static int copy_event(void *arg, const archive_entry *e)
{
    rebuild_ctx *c = arg;
    uint64_t seq;
    int rc;

    if (e->source_seq != stream_log_next(c->events)) {
        log_error("rebuild_event_gap", "expected=%llu archived=%llu archive_seq=%llu",
                  (unsigned long long)stream_log_next(c->events), (unsigned long long)e->source_seq,
                  (unsigned long long)e->archive_seq);
        return JIJU_ERR_CORRUPT;
    }
    rc = stream_log_append(c->events, c->txn, e->envelope, e->len, &seq);
    /* what the event said happened (e.g. a ReportOverdue raised) must not be
     * raised again by the rebuilt state machine */
    if (rc == JIJU_OK)
        rc = assess_restore_event(c->a, c->txn, e->envelope, e->len);
    if (rc != JIJU_OK)
        return rc;
    c->copied++;
    return ++c->in_txn >= REBUILD_BATCH ? flush(c) : JIJU_OK;
}

/* A decision's identity: for awards the award id, for the others type,
 * cluster and period. Rankings compare by period and the ordered list of
 * (cluster, rank, score). */
static int decision_key(const Jiju__V1__Envelope *env, char *out, size_t cap)
{
    switch (env->body_case) {
    case JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED:
        snprintf(out, cap, "award %s %lld", env->award_granted->award_id,
                 (long long)env->award_granted->amount_fen);
        return 1;
    case JIJU__V1__ENVELOPE__BODY_CLUSTER_ELIMINATED:
        snprintf(out, cap, "eliminated %s %s", env->cluster_eliminated->cluster_id,
                 env->cluster_eliminated->period);
        return 1;
    case JIJU__V1__ENVELOPE__BODY_ELIMINATION_WARNING:
        snprintf(out, cap, "warning %s %s", env->elimination_warning->cluster_id,
                 env->elimination_warning->period);
        return 1;
    case JIJU__V1__ENVELOPE__BODY_NOMINATION_RECOMMENDED:
        snprintf(out, cap, "nomination %s %s", env->nomination_recommended->cluster_id,
                 env->nomination_recommended->period);
        return 1;
    case JIJU__V1__ENVELOPE__BODY_RANKING_PUBLISHED: {
        const Jiju__V1__RankingPublished *rp = env->ranking_published;
        size_t n = (size_t)snprintf(out, cap, "ranking %s", rp->period);
        for (size_t i = 0; i < rp->n_entries && n < cap; i++)
            n += (size_t)snprintf(out + n, cap - n, " %s:%u:%lld", rp->entries[i]->cluster_id,
                                  rp->entries[i]->rank, (long long)rp->entries[i]->score_micros);
        return 1;
    }
    default:
        return 0;
    }
}

/* Append every decision of log (seq 1..last) to one newline-joined string. */
static char *decisions_of(stream_log_t *log)
{
    size_t cap = 4096, len = 0;
    char *all = malloc(cap), key[65536];

    if (!all)
        return NULL;
    all[0] = '\0';
    for (uint64_t s = stream_log_first(log); s <= stream_log_last(log); s++) {
        void *data = NULL;
        size_t dlen = 0, klen;
        Jiju__V1__Envelope *env;

        if (stream_log_read(log, s, &data, &dlen) != JIJU_OK)
            continue;
        env = envelope_decode(data, dlen);
        free(data);
        if (env && decision_key(env, key, sizeof key)) {
            klen = strlen(key);
            if (len + klen + 2 > cap) {
                char *bigger = realloc(all, (cap = (len + klen + 2) * 2));
                if (!bigger)
                    break;
                all = bigger;
            }
            memcpy(all + len, key, klen);
            len += klen;
            all[len++] = '\n';
            all[len] = '\0';
        }
        envelope_free(&env);
    }
    return all;
}

static int compare_decisions(stream_log_t *scratch, stream_log_t *events, assess_rebuild_stats *st)
{
    char *rebuilt = decisions_of(scratch), *original = decisions_of(events);
    int same;

    if (!rebuilt || !original) {
        free(rebuilt);
        free(original);
        return JIJU_ERR_NOMEM;
    }
    /* The archive may end before the last decisions of the replayed inputs
     * were archived: the original must be a prefix of the rebuilt. */
    same = strncmp(rebuilt, original, strlen(original)) == 0;
    for (const char *p = rebuilt; *p; p++)
        st->decisions += *p == '\n';
    free(rebuilt);
    free(original);
    return same ? JIJU_OK : JIJU_ERR_CONFLICT;
}

/* The rebuilt events log is the same log its consumers follow: it takes
 * the incarnation the archive (one of them) holds for assessment's events,
 * so notification, ingest and the archive accept it (stream.proto). Without
 * one (an archive that never followed events) it stays a new incarnation,
 * and consumers that followed the lost store refuse it: said here. */
static int adopt_incarnation(stream_log_t *events, store_t *arch, const assess_config *cfg)
{
    char id[STREAM_STORE_ID_LEN + 1];
    uint64_t epoch = 0;
    int rc;

    if (stream_incarnation_held(arch, "events", cfg->shared.instance, id, &epoch) != JIJU_OK) {
        log_warn("rebuild_new_incarnation",
                 "producer=%s store_id=%s reason=\"the archive holds "
                 "no incarnation of this producer's events; consumers that followed the lost "
                 "store refuse the rebuilt one (E_STREAM_INCARNATION)\"",
                 cfg->shared.instance, stream_log_store_id(events));
        return JIJU_OK;
    }
    if ((rc = stream_log_adopt(events, id, epoch)) != JIJU_OK) {
        log_error("rebuild_refused", "reason=\"cannot adopt incarnation %s: %s\"", id,
                  jiju_err_str(rc));
        return rc;
    }
    log_info("rebuild_incarnation", "producer=%s store_id=%s epoch=%llu", cfg->shared.instance, id,
             (unsigned long long)stream_log_epoch(events));
    return JIJU_OK;
}

int assess_rebuild(store_t *store, stream_log_t *events, const assess_config *cfg,
                   const char *archive_dir, assess_rebuild_stats *stats)
{
    rebuild_ctx c = {0};
    stream_log_t *scratch = NULL;
    store_t *arch = NULL;
    char err[512] = "";
    int rc = JIJU_ERR_INVALID;

    memset(stats, 0, sizeof *stats);
    if (stream_log_last(events) != 0) {
        log_error("rebuild_refused", "reason=\"the assessment store is not empty\"");
        return JIJU_ERR_EXISTS;
    }
    if (!(arch = archive_reader_open(archive_dir, err, sizeof err))) {
        log_error("rebuild_refused", "archive=%s reason=\"%s\"", archive_dir, err);
        fprintf(stderr, "jiju-assessment: --rebuild-from-archive %s: %s\n", archive_dir, err);
        return JIJU_ERR_NOT_FOUND;
    }
    if ((rc = adopt_incarnation(events, arch, cfg)) != JIJU_OK)
        goto out;
    rc = JIJU_ERR_INVALID;
    scratch = stream_log_open(store, SCRATCH_LOG);
    c.store = store;
    c.events = events;
    c.stats = stats;
    c.txn = store_txn_new(store);
    c.a = scratch ? assess_new(store, scratch, cfg) : NULL;
    if (!scratch || !c.txn || !c.a)
        goto out;
    rc = replay_inputs(&c, arch);
    /* only assessment's own events go back into its log */
    if (rc == JIJU_OK)
        rc = archive_replay(arch, ARCHIVE_STREAM_EVENTS, 1, copy_event, &c, NULL);
    if (rc == JIJU_OK)
        rc = flush(&c);
    stats->inputs = c.inputs;
    stats->events_copied = c.copied;
    if (rc == JIJU_OK)
        rc = compare_decisions(scratch, events, stats);
out:
    assess_destroy(&c.a);
    store_txn_destroy(&c.txn);
    stream_log_destroy(&scratch);
    store_close(&arch);
    return rc;
}
