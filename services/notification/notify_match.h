/* notify_match.h - which subscriptions an event goes to.
 *
 * A subscription matches an event when any of its filters does (no filters:
 * every event); a filter matches when each of its non-empty lists holds the
 * event's value (subscription.proto, "Matching").
 *
 * So that an event does not cost O(subscriptions x filters), the index files
 * each filter under ONE value of its most selective non-empty list (cluster
 * ids, else counties, else categories, else types; a filter with none goes
 * to the "every event" list). An event looks up its own cluster, county,
 * category and type, plus that list, and checks only those candidates. */
#ifndef JIJU_NOTIFY_MATCH_H
#define JIJU_NOTIFY_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "jiju/v1/envelope.pb-c.h"
#include "jiju/v1/subscription.pb-c.h"

typedef struct notify_match notify_match_t;

/* Does one filter match env? */
bool notify_filter_matches(const Jiju__V1__Filter *f, const Jiju__V1__Envelope *env);
/* Does the subscription (any filter, or none) match env? */
bool notify_subscription_matches(const Jiju__V1__Subscription *s, const Jiju__V1__Envelope *env);

/* Index n subscriptions; subs[i] may be NULL (a hole, never matched). The
 * index points into subs and must not outlive them. Caller owns the result. */
notify_match_t *notify_match_new(const Jiju__V1__Subscription *const *subs, size_t n);
void notify_match_destroy(notify_match_t **m);

/* Fill out (capacity: the n given to notify_match_new) with the positions of
 * the matching subscriptions, ascending, each once. Returns how many. */
size_t notify_match_event(notify_match_t *m, const Jiju__V1__Envelope *env, size_t *out);

#endif
