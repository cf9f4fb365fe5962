/* notify_retention.c - trimming backlogs, and saying so. */
#include "notify_retention.h"

#include <stdlib.h>

#include "clock.h"
#include "envelope.h"
#include "err.h"

/* Time of record seq, or -1 if unreadable (treated as expired). */
static int64_t record_time(notify_sub *sub, uint64_t seq)
{
    void *data = NULL;
    size_t len = 0;
    Jiju__V1__Envelope *env;
    int64_t t = -1;

    if (stream_log_read(sub->log, seq, &data, &len) != JIJU_OK)
        return -1;
    if ((env = envelope_decode(data, len))) {
        t = env->time_ms;
        envelope_free(&env);
    }
    free(data);
    return t;
}

uint64_t notify_retention_upto(const notify_retention *rules, notify_sub *sub, int64_t now_ms)
{
    uint64_t first = stream_log_first(sub->log), last = stream_log_last(sub->log), upto = 0;

    if (last < 2 || first >= last)
        return 0; /* the last record always stays */
    /* one place is left for the EventsDropped record the trim appends, or
     * that record would push the backlog over again and be trimmed at the
     * next run, and the next, and so on */
    if (rules->max_records > 0 && last - first + 1 > (uint64_t)rules->max_records)
        upto = last - (uint64_t)rules->max_records + 1;
    if (rules->max_age_ms > 0) {
        /* events are roughly in time order: stop at the first young one */
        for (uint64_t s = upto >= first ? upto + 1 : first; s < last; s++) {
            int64_t t = record_time(sub, s);
            if (t >= 0 && t >= now_ms - rules->max_age_ms)
                break;
            upto = s;
        }
    }
    return upto >= last ? last - 1 : upto;
}

typedef struct {
    notify_sub *sub;
    uint64_t first, last;
} drop;

/* Trim one subscriber; records a drop in *d if unacked events went. */
static int trim_one(notify_route *r, store_txn_t *txn, notify_sub *s, uint64_t upto, drop *d)
{
    store_t *store = notify_subs_store(r->subs);
    uint64_t acked =
        s->sub->webhook ? s->st.hook_cursor : stream_acked(store, stream_log_name(s->log), s->id);
    /* everything after the last ack that is no longer retained, including
     * what earlier trims dropped: the newest EventsDropped alone then tells
     * the whole loss, even after older EventsDropped records were trimmed */
    uint64_t lost_from = acked + 1;
    int rc = stream_log_trim(s->log, txn, upto);

    d->sub = NULL;
    if (rc != JIJU_OK || lost_from > upto)
        return rc;
    if (s->sub->webhook) { /* the worker moves on past what is gone */
        s->st.hook_cursor = upto;
        s->st.attempts = 0;
        s->st.first_attempt_ms = s->st.next_attempt_ms = 0;
    }
    *d = (drop){s, lost_from, upto};
    return notify_route_dropped(r, txn, s, lost_from, upto);
}

/* One step of a retention run in a txn of its own, committed (synced)
 * when it wrote anything. A run used to be one txn: every subscriber's
 * trim (one delete per record: with 21 subscribers about 40,000 each per
 * 10 s at 2,000 reports/s), the references made whole and the shared trim
 * together, indexed, then inserted into one memtable at once: 150 MB of
 * notification's 344 MB heap peak after 800,000 reports (heaptrack,
 * docs/benchmarks.md "Soak"). Each step stands alone: a subscriber's trim
 * and its EventsDropped commit together; the shared log is trimmed last,
 * below references already committed; a kill between steps leaves what a
 * shorter run would have. */
typedef int (*step_fn)(notify_route *r, store_txn_t *txn, void *arg);

static int in_own_txn(notify_route *r, step_fn fn, void *arg)
{
    store_txn_t *txn = store_txn_new(notify_subs_store(r->subs));
    int rc = txn ? fn(r, txn, arg) : JIJU_ERR_NOMEM;

    if (rc == JIJU_OK && store_txn_count(txn))
        rc = store_txn_commit(txn, true);
    store_txn_destroy(&txn);
    return rc;
}

typedef struct {
    notify_sub *sub;
    uint64_t upto;
    drop *d;
} trim_step;

static int trim_step_run(notify_route *r, store_txn_t *txn, void *arg)
{
    trim_step *t = arg;

    return trim_one(r, txn, t->sub, t->upto, t->d);
}

typedef struct {
    notify_sub *sub;
    uint64_t keep, *low;
} pin_step;

/* References of one subscriber below keep made whole; its lowest into *low. */
static int pin_step_run(notify_route *r, store_txn_t *txn, void *arg)
{
    pin_step *p = arg;
    uint64_t pin;
    int rc = notify_shared_pin(notify_subs_shared(r->subs), p->sub->log, txn, p->keep,
                               &p->sub->pin_scan, &pin);

    if (rc == JIJU_OK && pin && pin < *p->low)
        *p->low = pin;
    return rc;
}

static int shared_trim_run(notify_route *r, store_txn_t *txn, void *arg)
{
    return notify_shared_trim(notify_subs_shared(r->subs), txn, *(uint64_t *)arg);
}

/* The shared log below every subscriber's oldest reference goes (after
 * the subscriber trims above: their logs' first moved). */
static int trim_shared(notify_route *r, const notify_retention *rules)
{
    notify_shared_t *sh = notify_subs_shared(r->subs);
    uint64_t span = rules->max_records > 0 ? (uint64_t)rules->max_records : NOTIFY_SHARED_SPAN;
    uint64_t last = stream_log_last(notify_shared_log(sh)), low = last + 1, below;
    uint64_t keep = last > span ? last - span + 1 : 0;
    size_t n = notify_subs_slots(r->subs);
    int rc = JIJU_OK;

    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        pin_step p = {notify_subs_slot(r->subs, i), keep, &low};
        rc = in_own_txn(r, pin_step_run, &p);
    }
    below = low - 1;
    return rc == JIJU_OK ? in_own_txn(r, shared_trim_run, &below) : rc;
}

int notify_retention_run(notify_route *r, const notify_retention *rules, notify_dropped_fn fn,
                         void *arg)
{
    size_t n = notify_subs_slots(r->subs), nd = 0;
    drop *drops = calloc(n ? n : 1, sizeof *drops);
    int64_t now = clock_now_ms();
    int rc = drops ? JIJU_OK : JIJU_ERR_NOMEM;

    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        notify_sub *s = notify_subs_slot(r->subs, i);
        trim_step t = {s, 0, &drops[nd]};
        if (!s->sub || !(t.upto = notify_retention_upto(rules, s, now)))
            continue;
        rc = in_own_txn(r, trim_step_run, &t);
        if (drops[nd].sub)
            nd++;
    }
    if (rc == JIJU_OK)
        rc = trim_shared(r, rules);
    for (size_t i = 0; rc == JIJU_OK && fn && i < nd; i++)
        fn(arg, drops[i].sub, drops[i].first, drops[i].last);
    free(drops);
    return rc;
}
