/* stream_auth.c - who may open a stream session when the endpoint speaks
 * CURVE (DESIGN.md "Security"): the ZAP handler has already let only
 * allow-listed keys connect and named each message's key (User-Id); here the
 * key's role, and for a service key its name, decides.
 *
 *   - Following (HELLO as consumer): any service key, any stream; a
 *     subscriber key only stream "deliveries" as its own subscriber id.
 *   - Producing (HELLO as producer): stream "reports" only with an ingest
 *     key and only as that key's own instance; stream "events" only with
 *     the assessment key. Notification and archive keys only follow.
 *
 * A service key is named for its service ("ingest", "assessment",
 * "archive", "notification"; deploy/keys-init.sh and the test harness name
 * them so). An ingest key named "ingest" is shared by the replicas and may
 * produce as any replica instance ("ingest", "ingest-N", "NODE-ingest-N",
 * what docker-entrypoint.sh makes); a key named "ingest-N" (one per replica)
 * produces as instance "ingest-N" alone. */
#include <stdio.h>
#include <string.h>

#include "stream_int.h"
#include "zap.h"

#define DELIVERIES_STREAM "deliveries"
#define INGEST "ingest"

/* The key is the service's (named `service` or `service-...`). */
static int key_is(const key_entry *k, const char *service)
{
    size_t n = strlen(service);

    return strncmp(k->name, service, n) == 0 && (k->name[n] == '\0' || k->name[n] == '-');
}

/* May ingest key k produce as instance `id`? */
static int ingest_instance_ok(const key_entry *k, const char *id)
{
    const char *at;

    if (strcmp(k->name, INGEST) != 0)
        return strcmp(id, k->name) == 0; /* a replica's own key */
    if (strcmp(id, INGEST) == 0 || strncmp(id, INGEST "-", 7) == 0)
        return 1;
    at = strstr(id, "-" INGEST "-"); /* a swarm node's slot: NODE-ingest-N */
    return at && at != id;
}

static int producer_ok(const key_entry *k, const Jiju__V1__Hello *h, char *why, size_t cap)
{
    if (strcmp(h->stream, "reports") == 0 && key_is(k, INGEST) && ingest_instance_ok(k, h->peer_id))
        return 1;
    if (strcmp(h->stream, "events") == 0 && key_is(k, "assessment"))
        return 1;
    snprintf(why, cap,
             "service key %s may not produce stream %s as %s (reports: an ingest key "
             "as its own instance; events: the assessment key)",
             k->name, h->stream, h->peer_id);
    return 0;
}

int stream_authorize(stream_peer_t *p, const Jiju__V1__Hello *h, const char *user, char *why,
                     size_t cap)
{
    const zap_t *z = svc_zap(p->svc);
    const key_entry *k;
    int follows = h->role == JIJU__V1__STREAM_ROLE__CONSUMER;

    if (!z)
        return 1; /* plain mode: the local demo */
    k = user ? keys_by_name(zap_keys(z), user) : NULL;
    if (!k) {
        snprintf(why, cap, "no allow-listed key on this connection");
        return 0;
    }
    if (k->role == KEY_ROLE_SERVICE)
        return follows ? 1 : producer_ok(k, h, why, cap);
    if (k->role != KEY_ROLE_SUBSCRIBER) {
        snprintf(why, cap, "key %s has role %s; streams need a service or subscriber key", k->name,
                 key_role_name(k->role));
        return 0;
    }
    if (follows && strcmp(h->stream, DELIVERIES_STREAM) == 0 &&
        strcmp(h->peer_id, k->subscriber) == 0)
        return 1;
    snprintf(why, cap, "subscriber key %s may only follow stream %s as %s (asked: %s %s as %s)",
             k->name, DELIVERIES_STREAM, k->subscriber, follows ? "follow" : "push", h->stream,
             h->peer_id);
    return 0;
}
