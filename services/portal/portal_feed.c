/* portal_feed.c - a department's events over HTTP, on top of its durable
 * sequence in notification (the "deliveries" stream, one per subscriber):
 *
 *   GET /api/v1/events/stream   Server-Sent Events; "id:" is the event's
 *                               sequence for this subscriber, so a client
 *                               reconnecting with Last-Event-ID (or
 *                               ?after=N) resumes right after it.
 *   GET /api/v1/events?after=N  long-poll JSON: the events after N, waiting
 *                               up to ?wait= seconds for the first.
 *
 * The portal keeps no cursor: where to resume is what the client says it
 * has (Last-Event-ID / after), and that position is also what the portal
 * acknowledges to notification, which keeps it as the subscriber's stored
 * cursor; a client that says nothing resumes after that stored cursor. So a
 * portal restart loses nothing, and no event is given twice to a client
 * that resumes from its last id. One feed per subscriber at a time: a newer
 * one ends the older (as a newer HELLO does on the ZeroMQ endpoint). */
#include "portal_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cloudevent.h"
#include "envelope.h"
#include "err.h"
#include "keys.h"
#include "log.h"
#include "portal_json.h"
#include "stream_sub.h"

#define FEEDS_MAX 256
#define POLL_LIMIT_MAX 1000
/* After the first record, how long a long-poll waits for the next one before
 * answering: records of a backlog arrive back to back (credit 200). */
#define FOLLOW_MS 20

/* ---- newest feed per subscriber wins ---- */

static pthread_mutex_t feeds_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char id[PORTAL_NAME_MAX];
    uint64_t gen;
} feeds[FEEDS_MAX];

static uint64_t feed_claim(const char *id)
{
    uint64_t gen = 0;
    size_t free_slot = FEEDS_MAX;

    pthread_mutex_lock(&feeds_mu);
    for (size_t i = 0; i < FEEDS_MAX; i++) {
        if (strcmp(feeds[i].id, id) == 0) {
            gen = ++feeds[i].gen;
            break;
        }
        if (!feeds[i].id[0] && free_slot == FEEDS_MAX)
            free_slot = i;
    }
    if (!gen && free_slot < FEEDS_MAX) {
        snprintf(feeds[free_slot].id, sizeof feeds[free_slot].id, "%s", id);
        gen = feeds[free_slot].gen = 1;
    }
    pthread_mutex_unlock(&feeds_mu);
    return gen;
}

static int feed_current(const char *id, uint64_t gen)
{
    int cur = 0;

    pthread_mutex_lock(&feeds_mu);
    for (size_t i = 0; i < FEEDS_MAX; i++)
        if (strcmp(feeds[i].id, id) == 0) {
            cur = feeds[i].gen == gen;
            break;
        }
    pthread_mutex_unlock(&feeds_mu);
    return cur;
}

/* ---- common ---- */

/* Where the client is: Last-Event-ID (what an EventSource sends when it
 * reconnects), else ?after=N; *given 0 when neither is there (then the feed
 * starts after notification's stored cursor). after=0 is "from the first". */
static int resume_point(portal_req *r, uint64_t *after, int *given)
{
    const char *s = portal_header(r, "Last-Event-ID");
    char *end;

    if (!s || !*s)
        s = portal_arg(r, "after");
    *after = 0;
    *given = s && *s;
    if (!*given)
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return -1;
    *after = v;
    return 0;
}

/* The department's own stream session; under CURVE with its own subscriber
 * key (security.subscriber_keys_dir/<id>.key), so notification lets this
 * connection read that subscriber's deliveries and nothing else. NULL with
 * *why set when it cannot be opened. */
static stream_sub_t *open_sub(portal_req *r, uint64_t after, int given, const char **why)
{
    portal_config *c = &r->app->cfg;
    int hb = (int)c->feed_heartbeat_ms;
    char path[512], pub[41], sec[41];
    cfg_error err;
    stream_sub_t *s;

    *why = "cannot open the deliveries stream";
    if (r->app->curve) {
        if (!c->subscriber_keys_dir[0] || strchr(r->who.subscriber, '/') ||
            (size_t)snprintf(path, sizeof path, "%s/%s.key", c->subscriber_keys_dir,
                             r->who.subscriber) >= sizeof path ||
            keys_pair_load(path, "security.subscriber_keys_dir", pub, sec, &err) != 0) {
            *why = "no CURVE key pair for this subscriber in security.subscriber_keys_dir";
            return NULL;
        }
    }
    s = stream_sub_open(r->app->zctx, c->deliveries_endpoint, "deliveries", r->who.subscriber,
                        given ? after + 1 : 0, 200, hb, hb * 5);
    if (s && r->app->curve &&
        stream_sub_set_curve(s, c->notification_public_key, pub, sec) != JIJU_OK)
        stream_sub_destroy(&s);
    explicit_bzero(sec, sizeof sec);
    return s;
}

/* The CloudEvents JSON of one delivered record, or NULL. */
static json_t *event_json(uint64_t seq, const uint8_t *data, size_t len, char type[128])
{
    Jiju__V1__Envelope *env = envelope_decode(data, len);
    json_t *j;

    type[0] = '\0';
    if (!env)
        return NULL;
    snprintf(type, 128, "%s", env->type ? env->type : "");
    j = cloudevent_json(env);
    envelope_free(&env);
    return j;
}

static char *event_text(uint64_t seq, const uint8_t *data, size_t len, char type[128])
{
    json_t *j = event_json(seq, data, len, type);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    return text;
}

/* ---- Server-Sent Events ---- */

typedef struct sse {
    portal_t *app;
    stream_sub_t *sub;
    char subscriber[PORTAL_NAME_MAX];
    uint64_t gen, confirmed, sent;
    char *pending; /* text not yet handed to MHD */
    size_t pending_len, pending_off;
    int64_t last_write;
    int ended;
} sse;

static void sse_queue(sse *f, const char *text)
{
    size_t n = strlen(text);
    char *nb = realloc(f->pending, f->pending_len + n + 1);

    if (!nb)
        return;
    memcpy(nb + f->pending_len, text, n + 1);
    f->pending = nb;
    f->pending_len += n;
}

/* Wait for the next record (or a heartbeat's worth of time) and queue it. */
static void sse_fill(sse *f)
{
    uint64_t seq;
    uint8_t *data;
    size_t len;
    char type[128];
    int rc = stream_sub_next(f->sub, (int)f->app->cfg.feed_heartbeat_ms, &seq, &data, &len);

    if (rc == JIJU_OK) {
        char *text = event_text(seq, data, len, type), head[192];
        free(data);
        if (f->confirmed)
            stream_sub_ack(f->sub, f->confirmed);
        snprintf(head, sizeof head, "id: %llu\nevent: %s\ndata: ", (unsigned long long)seq,
                 type[0] ? type : "message");
        sse_queue(f, head);
        sse_queue(f, text ? text : "{}");
        sse_queue(f, "\n\n");
        free(text);
        f->sent = seq;
        return;
    }
    if (rc == JIJU_ERR_PROTOCOL) {
        char line[384];
        snprintf(line, sizeof line, "event: error\ndata: {\"error\":\"%s\"}\n\n",
                 stream_sub_last_error(f->sub));
        sse_queue(f, line);
        f->ended = 1;
        return;
    }
    if (clock_mono_ms() - f->last_write >= f->app->cfg.feed_heartbeat_ms)
        sse_queue(f, ": keep-alive\n\n");
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse *f = cls;

    while (f->pending_off == f->pending_len) {
        free(f->pending);
        f->pending = NULL;
        f->pending_len = f->pending_off = 0;
        if (f->ended || f->app->stopping || !feed_current(f->subscriber, f->gen))
            return MHD_CONTENT_READER_END_OF_STREAM;
        sse_fill(f);
    }
    size_t n = f->pending_len - f->pending_off;
    if (n > max)
        n = max;
    memcpy(buf, f->pending + f->pending_off, n);
    f->pending_off += n;
    f->last_write = clock_mono_ms();
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    sse *f = cls;

    log_info("feed_closed", "subscriber=%s last_sent=%llu confirmed=%llu", f->subscriber,
             (unsigned long long)f->sent, (unsigned long long)f->confirmed);
    stream_sub_destroy(&f->sub);
    free(f->pending);
    free(f);
}

enum MHD_Result api_events_sse(portal_req *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    uint64_t after;
    int given;
    const char *why;
    sse *f;
    char hello[160];

    if (resume_point(r, &after, &given) != 0)
        return portal_reply_error(r, 400, "E_BAD_PARAMETER",
                                  "Last-Event-ID / after must be an event sequence number");
    if (!(f = calloc(1, sizeof *f)))
        return MHD_NO;
    f->app = r->app;
    f->confirmed = after;
    snprintf(f->subscriber, sizeof f->subscriber, "%s", r->who.subscriber);
    if (!(f->sub = open_sub(r, after, given, &why))) {
        free(f);
        return portal_reply_error(r, 503, "E_FEED", "%s", why);
    }
    f->gen = feed_claim(f->subscriber);
    f->last_write = clock_mono_ms();
    if (given)
        snprintf(hello, sizeof hello, "retry: 3000\n: deliveries of %s after %llu\n\n",
                 f->subscriber, (unsigned long long)after);
    else
        snprintf(hello, sizeof hello, "retry: 3000\n: deliveries of %s after its stored cursor\n\n",
                 f->subscriber);
    sse_queue(f, hello);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, f, sse_free);
    if (!resp) {
        sse_free(f);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: do not buffer the feed */
    log_info("feed_opened", "subscriber=%s user=%s after=%llu", f->subscriber, r->who.name,
             (unsigned long long)after);
    ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- long-poll ---- */

static int parse_small(const char *s, long lo, long hi, long def, long *out)
{
    char *end;
    long v;

    *out = def;
    if (!s || !*s)
        return 0;
    v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

enum MHD_Result api_events_poll(portal_req *r)
{
    uint64_t after, seq, last = 0;
    int given;
    const char *why;
    long limit, wait_s;
    stream_sub_t *sub;
    json_t *list;
    uint64_t gen;
    int64_t deadline;

    if (resume_point(r, &after, &given) != 0 ||
        parse_small(portal_arg(r, "limit"), 1, POLL_LIMIT_MAX, 100, &limit) != 0 ||
        parse_small(portal_arg(r, "wait"), 0, r->app->cfg.feed_max_wait_s, 0, &wait_s) != 0)
        return portal_reply_error(r, 400, "E_BAD_PARAMETER",
                                  "after: a sequence number; limit: 1..%d; wait: 0..%lld seconds",
                                  POLL_LIMIT_MAX, (long long)r->app->cfg.feed_max_wait_s);
    if (!(sub = open_sub(r, after, given, &why)))
        return portal_reply_error(r, 503, "E_FEED", "%s", why);
    gen = feed_claim(r->who.subscriber);
    list = json_array();
    /* The first record may take the whole wait (at least the handshake's
     * time); the rest only what is already there. */
    deadline = clock_mono_ms() + (wait_s ? wait_s * 1000 : 1000);
    while ((long)json_array_size(list) < limit && feed_current(r->who.subscriber, gen)) {
        uint8_t *data;
        size_t len;
        char type[128];
        int64_t left = json_array_size(list) ? FOLLOW_MS : deadline - clock_mono_ms();
        int rc;

        if (left <= 0)
            break;
        rc = stream_sub_next(sub, (int)left, &seq, &data, &len);
        if (rc == JIJU_ERR_PROTOCOL) {
            json_decref(list);
            enum MHD_Result ret = portal_reply_error(r, 409, "E_FEED", "notification refused: %s",
                                                     stream_sub_last_error(sub));
            stream_sub_destroy(&sub);
            return ret;
        }
        if (rc != JIJU_OK)
            break;
        json_t *ev = event_json(seq, data, len, type);
        free(data);
        json_array_append_new(list, ev ? ev : json_object());
        last = seq;
    }
    if (after && last)
        stream_sub_ack(sub, after); /* what the client says it has */
    stream_sub_destroy(&sub);
    return portal_reply_json(r, 200,
                             json_pack("{s:s,s:I,s:o}", "subscriber", r->who.subscriber,
                                       "next_after", (json_int_t)(last ? last : after), "events",
                                       list));
}
