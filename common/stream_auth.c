/* stream_auth.c - who may open a stream session when the endpoint speaks
 * CURVE (DESIGN.md "Security"): the ZAP handler has already let only
 * allow-listed keys connect and named each message's key (User-Id); here the
 * key's role decides. Services push and follow anything (they are ours); a
 * department's subscriber key follows its own deliveries and nothing else,
 * so it can neither read another department's events nor push records. */
#include <stdio.h>
#include <string.h>

#include "stream_int.h"
#include "zap.h"

#define DELIVERIES_STREAM "deliveries"

int stream_authorize(stream_peer_t *p, const Jiju__V1__Hello *h, const char *user, char *why,
                     size_t cap)
{
    const zap_t *z = svc_zap(p->svc);
    const key_entry *k;

    if (!z)
        return 1; /* plain mode: the local demo */
    k = user ? keys_by_name(zap_keys(z), user) : NULL;
    if (!k) {
        snprintf(why, cap, "no allow-listed key on this connection");
        return 0;
    }
    if (k->role == KEY_ROLE_SERVICE)
        return 1;
    if (k->role != KEY_ROLE_SUBSCRIBER) {
        snprintf(why, cap, "key %s has role %s; streams need a service or subscriber key", k->name,
                 key_role_name(k->role));
        return 0;
    }
    if (h->role == JIJU__V1__STREAM_ROLE__CONSUMER && strcmp(h->stream, DELIVERIES_STREAM) == 0 &&
        strcmp(h->peer_id, k->subscriber) == 0)
        return 1;
    snprintf(why, cap, "subscriber key %s may only follow stream %s as %s (asked: %s %s as %s)",
             k->name, DELIVERIES_STREAM, k->subscriber,
             h->role == JIJU__V1__STREAM_ROLE__CONSUMER ? "follow" : "push", h->stream, h->peer_id);
    return 0;
}
