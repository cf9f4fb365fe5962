/* notify_subs.h - the subscriptions notification keeps in its store, and the
 * delivery state of each subscriber.
 *
 * Every subscriber has its own log "sub/<id>" (stream.h) holding the events
 * that matched it, numbered 1, 2, 3, ... for that subscriber alone: each as
 * a reference to the one copy in the shared log (notify_shared.h), which
 * the log resolves whenever it is read. The log stays open while the
 * service runs, even after the subscription is removed, because the stream
 * module's sessions keep pointers to it.
 *
 * Column families (besides STORE_STREAM_CFS):
 *   notify_subs   id -> Subscription
 *   notify_state  id -> SubscriptionStatus (dropped counts, webhook progress)
 *   notify_dead   id '\0' be64(seq) -> DeadLetter
 *   notify_meta   "seeded" -> "1" once the default subscriptions were loaded */
#ifndef JIJU_NOTIFY_SUBS_H
#define JIJU_NOTIFY_SUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/envelope.pb-c.h"
#include "jiju/v1/subscription.pb-c.h"
#include "notify_shared.h"
#include "notify_validate.h"
#include "store.h"
#include "stream.h"

#define NOTIFY_CF_SUBS "notify_subs"
#define NOTIFY_CF_STATE "notify_state"
#define NOTIFY_CF_DEAD "notify_dead"
#define NOTIFY_CF_META "notify_meta"
#define NOTIFY_CFS NOTIFY_CF_SUBS, NOTIFY_CF_STATE, NOTIFY_CF_DEAD, NOTIFY_CF_META

/* Persisted per subscriber (as a SubscriptionStatus). */
typedef struct notify_state {
    uint64_t hook_cursor; /* webhook: last seq delivered or dead-lettered */
    uint64_t dropped_total;
    uint64_t dropped_first, dropped_last;
    int64_t dropped_at_ms;
    bool disabled;     /* webhook endpoint disabled */
    uint32_t failures; /* consecutive failed attempts */
    uint32_t attempts; /* attempts for the event at hook_cursor + 1 */
    int64_t first_attempt_ms, next_attempt_ms;
    uint64_t dead_letters; /* entries in notify_dead */
    char last_error[160];
} notify_state;

typedef struct notify_sub {
    char id[NOTIFY_ID_MAX + 1];
    Jiju__V1__Subscription *sub; /* owned; NULL once removed */
    stream_log_t *log;           /* "sub/<id>" */
    notify_state st;
    void *inflight;    /* the webhook worker's request, or NULL */
    uint64_t pin_scan; /* retention: notify_shared_pin's scan_from for this log */
} notify_sub;

typedef struct notify_subs notify_subs_t;

/* Load every subscription and its state from store, open their logs.
 * Caller owns the result. NULL on failure. */
notify_subs_t *notify_subs_open(store_t *store);
void notify_subs_destroy(notify_subs_t **t);

store_t *notify_subs_store(notify_subs_t *t);
/* The shared log of routed events the subscriber logs refer to. */
notify_shared_t *notify_subs_shared(notify_subs_t *t);
/* Slots, including removed ones (sub == NULL); positions never change. */
size_t notify_subs_slots(const notify_subs_t *t);
notify_sub *notify_subs_slot(notify_subs_t *t, size_t i);
/* The subscriber with this id, or NULL (also when removed). */
notify_sub *notify_subs_find(notify_subs_t *t, const char *id);

/* The subscribers env goes to; *out points into the table's scratch space,
 * valid until the next call or change. Returns how many. */
size_t notify_subs_match(notify_subs_t *t, const Jiju__V1__Envelope *env, notify_sub ***out);

/* Validate and store subs[0..n-1] in one synced commit (taking ownership:
 * every subs[i] is consumed and set to NULL, even on failure). An existing id
 * is refused unless replace; replacing keeps log, cursor and state. If
 * mark_seeded, the "seeded" flag is written in the same commit. Returns 0, or
 * a jiju_err with a reason in err. */
int notify_subs_put(notify_subs_t *t, Jiju__V1__Subscription **subs, size_t n, bool replace,
                    bool mark_seeded, char *err, size_t cap);
/* Remove: the subscription, its state and dead letters are deleted and its
 * backlog trimmed, all of it (the log's meta keeps the sequence, so a later
 * subscription with the same id continues it). JIJU_ERR_NOT_FOUND if
 * absent. */
int notify_subs_remove(notify_subs_t *t, const char *id);
/* Whether the default subscriptions were loaded once already. */
bool notify_subs_seeded(notify_subs_t *t);

/* Write s->st into txn. */
int notify_subs_save_state(notify_subs_t *t, store_txn_t *txn, const notify_sub *s);
/* Fill a SubscriptionStatus (strings point into s) for replies. */
void notify_subs_status(notify_subs_t *t, const notify_sub *s, Jiju__V1__SubscriptionStatus *out);

/* Dead-letter keys: id '\0' be64(seq); returns the length. */
size_t notify_dead_key(const char *id, uint64_t seq, uint8_t *out, size_t cap);

#endif
