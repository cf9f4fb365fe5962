/* notify_dead.h - a webhook subscription's dead letters: events its endpoint
 * did not accept within the retry horizon, kept in notification's store
 * (notify_dead, keyed by subscriber id and sequence) until redelivered. */
#ifndef JIJU_NOTIFY_DEAD_H
#define JIJU_NOTIFY_DEAD_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/subscription.pb-c.h"
#include "notify_route.h"
#include "notify_subs.h"

/* Park dl (dl->seq set) for sub inside txn; counts it in sub's state. */
int notify_dead_park(notify_subs_t *t, store_txn_t *txn, notify_sub *sub,
                     const Jiju__V1__DeadLetter *dl);

/* One page of sub's dead letters, oldest first, into a malloc'd array
 * (*out, *n; free each with jiju__v1__dead_letter__free_unpacked and the
 * array with free): those after sequence after (0: from the first), at most
 * limit, their reply bytes (paging_field_bytes) together within budget but
 * at least one. *more: whether another follows. Returns 0 or a jiju_err. */
int notify_dead_page(notify_subs_t *t, const notify_sub *sub, uint64_t after, size_t limit,
                     size_t budget, Jiju__V1__DeadLetter ***out, size_t *n, int *more);

/* Up to limit (0: 1,000) dead letters of sub from the first, unbounded in
 * bytes (tests, tools). */
int notify_dead_list(notify_subs_t *t, const notify_sub *sub, size_t limit,
                     Jiju__V1__DeadLetter ***out, size_t *n);

/* Append every dead letter of sub to its log again (same event ids, new
 * sequences), delete them, enable the endpoint and reset its failure
 * count, in one synced commit. *count gets how many. */
int notify_dead_redeliver(notify_route *r, notify_sub *sub, uint64_t *count);

#endif
