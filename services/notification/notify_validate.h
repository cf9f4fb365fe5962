/* notify_validate.h - checking a subscription before it is stored, so that
 * what the matcher and the webhook worker see is always well-formed. */
#ifndef JIJU_NOTIFY_VALIDATE_H
#define JIJU_NOTIFY_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "jiju/v1/subscription.pb-c.h"

#define NOTIFY_ID_MAX 64 /* bytes of a subscriber id */
#define NOTIFY_MAX_FILTERS 64
#define NOTIFY_MAX_VALUES 1024   /* per list of a filter */
#define NOTIFY_MAX_VALUE_LEN 128 /* bytes of a type, county or cluster id */

/* Is id a valid subscriber id (subscription.proto)? */
bool notify_id_valid(const char *id);

/* Check s; rewrite short type names to full ones (s must have been unpacked
 * with the default allocator, or built with malloc'd strings). Returns 0, or
 * -1 with a reason ("E_SUB_...: ...") in err. */
int notify_validate(Jiju__V1__Subscription *s, char *err, size_t cap);

#endif
