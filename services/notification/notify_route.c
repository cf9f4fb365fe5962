/* notify_route.c - fan-out of events into per-subscriber logs (each event
 * stored once, notify_shared.h). */
#include "notify_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "log.h"
#include "pb.h"

int notify_route_append(notify_sub *sub, store_txn_t *txn, Jiju__V1__Envelope *env)
{
    uint8_t *buf;
    size_t len;
    int rc;

    env->seq = stream_log_next(sub->log);
    if ((rc = pb_pack(&env->base, &buf, &len)) != JIJU_OK)
        return rc;
    rc = stream_log_append(sub->log, txn, buf, len, NULL);
    free(buf);
    return rc;
}

/* The event (data, len as assessment sent it) to the n subscribers in
 * to: once into the shared log, with seq absent (each subscriber's own seq
 * is stamped when served), and a reference into each subscriber's log, all
 * in txn (notify_shared.h). The seq is cut out of the bytes received; env
 * is packed again only if they do not parse as fields (a decode and a pack
 * that gave the same bytes but for the seq were 2% of notification's
 * samples, docs/benchmarks.md "Session 8"). */
static int route_shared(notify_route *r, store_txn_t *txn, Jiju__V1__Envelope *env,
                        const uint8_t *data, size_t len, notify_sub **to, size_t n)
{
    notify_shared_t *sh = notify_subs_shared(r->subs);
    uint8_t ref[NOTIFY_REF_LEN], *buf = malloc(len ? len : 1);
    uint64_t sseq;
    size_t blen;
    int rc;

    if (!buf)
        return JIJU_ERR_NOMEM;
    if (pb_strip_field(data, len, ENVELOPE_SEQ_FIELD, buf, &blen) != JIJU_OK) {
        free(buf);
        env->seq = 0;
        if ((rc = pb_pack(&env->base, &buf, &blen)) != JIJU_OK)
            return rc;
    }
    rc = notify_shared_append(sh, txn, buf, blen, &sseq);
    free(buf);
    notify_shared_ref(sseq, ref);
    for (size_t i = 0; rc == JIJU_OK && i < n; i++)
        rc = stream_log_append(to[i]->log, txn, ref, sizeof ref, NULL);
    return rc;
}

int notify_route_apply(void *arg, const char *producer_id, uint64_t seq, const uint8_t *data,
                       size_t len, store_txn_t *txn)
{
    notify_route *r = arg;
    Jiju__V1__Envelope *env = envelope_decode(data, len);
    notify_sub **to;
    size_t n;
    bool created;
    int rc = JIJU_OK;

    (void)producer_id;
    (void)seq;
    if (!env)
        return JIJU_ERR_CORRUPT;
    if ((rc = notify_registry_follow(&r->registry, r->subs, env, &created)) != JIJU_OK)
        goto out;
    if (created)
        log_info("subscription_derived", "county=%s cause=%s", env->county, env->id);
    n = notify_subs_match(r->subs, env, &to);
    if (n == (size_t)-1)
        rc = JIJU_ERR_NOMEM;
    else if (n > 0)
        rc = route_shared(r, txn, env, data, len, to, n);
    if (rc == JIJU_OK) {
        r->events++;
        r->deliveries += n;
    }
out:
    envelope_free(&env);
    return rc;
}

/* Our own event: CloudEvents attributes set here, body set by the caller.
 * The subscriber id is percent-encoded in the event id: ids travel in the
 * webhook-id header, and a subscriber id may be Chinese ("county-船营区"),
 * which HTTP receivers read as Latin-1, breaking the signature. */
static void own_envelope(notify_route *r, Jiju__V1__Envelope *env, char *id, size_t idcap,
                         char *src, size_t srccap, char *when, const char *type, const char *sub_id,
                         unsigned long long n)
{
    char *esc = curl_easy_escape(NULL, sub_id, 0);

    /* no memory for the escape: the raw id, still unique */
    snprintf(id, idcap, "%s/%s/%s/%llu", r->instance, type, esc ? esc : sub_id, n);
    curl_free(esc);
    snprintf(src, srccap, "/jiju/%s", r->instance);
    env->time_ms = clock_now_ms();
    clock_format_ms(env->time_ms, when, 40);
    env->specversion = (char *)ENVELOPE_SPECVERSION;
    env->id = id;
    env->source = src;
    env->time = when;
}

int notify_route_dropped(notify_route *r, store_txn_t *txn, notify_sub *sub, uint64_t first,
                         uint64_t last)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__EventsDropped d = JIJU__V1__EVENTS_DROPPED__INIT;
    char id[256], src[96], when[40];
    int rc;

    d.subscriber_id = sub->id;
    d.first_seq = first;
    d.last_seq = last;
    env.body_case = JIJU__V1__ENVELOPE__BODY_EVENTS_DROPPED;
    env.events_dropped = &d;
    env.type = (char *)"jiju.v1.EventsDropped";
    /* the range is unique within this subscriber's sequence */
    own_envelope(r, &env, id, sizeof id, src, sizeof src, when, "EventsDropped", sub->id,
                 (unsigned long long)first);
    rc = notify_route_append(sub, txn, &env);
    if (rc != JIJU_OK)
        return rc;
    sub->st.dropped_total += last - first + 1;
    sub->st.dropped_first = first;
    sub->st.dropped_last = last;
    sub->st.dropped_at_ms = env.time_ms;
    return notify_subs_save_state(r->subs, txn, sub);
}

int notify_route_disabled(notify_route *r, store_txn_t *txn, notify_sub *sub, uint32_t failures)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__EndpointDisabled d = JIJU__V1__ENDPOINT_DISABLED__INIT;
    notify_sub *alert = notify_subs_find(r->subs, r->alert_subscriber), **to;
    char id[256], src[96], when[40];
    size_t n;
    int rc = JIJU_OK, alerted = 0;

    d.subscriber_id = sub->id;
    d.url = sub->sub && sub->sub->webhook ? sub->sub->webhook->url : (char *)"";
    d.failures = failures;
    env.body_case = JIJU__V1__ENVELOPE__BODY_ENDPOINT_DISABLED;
    env.endpoint_disabled = &d;
    env.type = (char *)"jiju.v1.EndpointDisabled";
    own_envelope(r, &env, id, sizeof id, src, sizeof src, when, "EndpointDisabled", sub->id,
                 (unsigned long long)clock_now_ms());
    n = notify_subs_match(r->subs, &env, &to);
    if (n == (size_t)-1)
        return JIJU_ERR_NOMEM;
    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        alerted |= to[i] == alert;
        rc = notify_route_append(to[i], txn, &env);
    }
    if (rc == JIJU_OK && alert && !alerted)
        rc = notify_route_append(alert, txn, &env);
    return rc;
}
