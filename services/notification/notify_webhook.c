/* notify_webhook.c - POSTing events to webhook subscriptions with libcurl's
 * multi interface: attempts, backoff, dead letters, disabling. */
#include "notify_webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cloudevent.h"
#include "envelope.h"
#include "err.h"
#include "notify_dead.h"
#include "notify_sign.h"

#define IDLE_EASY_MAX 16

struct notify_webhook {
    notify_route *route;
    notify_webhook_opts o;
    notify_hook_fn fn;
    void *arg;
    CURLM *multi;
    notify_hook_watch_fn watch; /* NULL: curl_multi_perform at each tick */
    void *watch_arg;
    size_t in_flight;
    int more;     /* collect() stopped at its bound: call again soon */
    uint64_t rnd; /* xorshift state for jitter */
    /* easy handles of finished POSTs, reset and used again: a new handle
     * per POST (curl_easy_init, and its cleanup after) was 2% of
     * notification's samples at one POST per report */
    CURL *idle[IDLE_EASY_MAX];
    size_t n_idle;
};

typedef struct hook_req {
    notify_sub *sub;
    uint64_t seq;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    uint8_t *env; /* the log record, for a dead letter */
    size_t env_len;
    char event_id[256];
    char type[64];
    char errbuf[CURL_ERROR_SIZE];
    /* the outcome, reported once the batch it is in has committed */
    int flags; /* 1: dead-lettered, 2: the endpoint disabled, 4: to report */
    uint32_t attempts;
    int64_t next_attempt_ms;
    char error[160];
} hook_req;

/* The outcomes of one collect() call: one commit for them all (synced if
 * any appended or dead-lettered), then their reports. */
typedef struct hook_batch {
    store_txn_t *txn;
    int sync;
    hook_req **done;
    size_t n, cap;
} hook_batch;

static uint64_t next_rand(notify_webhook_t *w)
{
    w->rnd ^= w->rnd << 13;
    w->rnd ^= w->rnd >> 7;
    w->rnd ^= w->rnd << 17;
    return w->rnd;
}

int64_t notify_webhook_backoff(const notify_webhook_opts *o, uint32_t attempts, uint64_t rnd)
{
    int64_t delay = o->backoff_initial_ms;

    for (uint32_t i = 1; i < attempts && delay < o->backoff_max_ms; i++)
        delay *= 2;
    if (delay > o->backoff_max_ms)
        delay = o->backoff_max_ms;
    /* "equal jitter": never sooner than half the delay, spread over the rest
     * so that endpoints failing together do not retry together */
    return delay / 2 + (int64_t)(rnd % (uint64_t)(delay - delay / 2 + 1));
}

/* A handle for a new POST: an idle one reset to libcurl's defaults (its
 * options are all set again by req_easy), or a new one. */
static CURL *easy_take(notify_webhook_t *w)
{
    CURL *e;

    if (!w->n_idle)
        return curl_easy_init();
    e = w->idle[--w->n_idle];
    curl_easy_reset(e);
    return e;
}

/* r's handle, no longer in the multi handle, kept for the next POST. */
static void easy_give(notify_webhook_t *w, CURL **ep)
{
    if (!*ep)
        return;
    if (w->n_idle < IDLE_EASY_MAX)
        w->idle[w->n_idle++] = *ep;
    else
        curl_easy_cleanup(*ep);
    *ep = NULL;
}

static void req_free(notify_webhook_t *w, hook_req **rp)
{
    hook_req *r = *rp;

    if (!r)
        return;
    easy_give(w, &r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r->env);
    free(r);
    *rp = NULL;
}

static size_t discard_body(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* ---- building a POST ---- */

static int req_headers(hook_req *r, const char *secret)
{
    char line[512], sig[128];
    /* the receiver checks webhook-timestamp against its own wall clock
     * (Standard Webhooks: within 5 minutes), so it is the real time even
     * when JIJU_CLOCK_FILE moves Jiju's clock in a test */
    int64_t ts = (int64_t)time(NULL);
    const char *fixed[] = {"Content-Type: " CLOUDEVENT_CONTENT_TYPE,
                           "Expect:", "User-Agent: jiju-notification"};

    if (notify_sign(secret, r->event_id, ts, r->body, strlen(r->body), sig, sizeof sig) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        struct curl_slist *h = curl_slist_append(r->headers, fixed[i]);
        if (!h)
            return -1;
        r->headers = h;
    }
    for (int i = 0; i < 3; i++) {
        struct curl_slist *h;
        if (i == 0)
            snprintf(line, sizeof line, "webhook-id: %s", r->event_id);
        else if (i == 1)
            snprintf(line, sizeof line, "webhook-timestamp: %lld", (long long)ts);
        else
            snprintf(line, sizeof line, "webhook-signature: %s", sig);
        if (!(h = curl_slist_append(r->headers, line)))
            return -1;
        r->headers = h;
    }
    return 0;
}

static int req_easy(notify_webhook_t *w, hook_req *r, const char *url)
{
    CURL *e = easy_take(w);

    if (!e)
        return -1;
    r->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)w->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    return curl_multi_add_handle(w->multi, e) == CURLM_OK ? 0 : -1;
}

/* The request for sub's next event, or NULL (nothing readable, no memory). */
static hook_req *req_new(notify_webhook_t *w, notify_sub *s)
{
    hook_req *r = calloc(1, sizeof *r);
    Jiju__V1__Envelope *env = NULL;
    void *data = NULL;

    if (!r)
        return NULL;
    r->sub = s;
    r->seq = s->st.hook_cursor + 1;
    if (stream_log_read(s->log, r->seq, &data, &r->env_len) != JIJU_OK)
        goto out_free;
    r->env = data;
    if (!(env = envelope_decode(r->env, r->env_len)))
        goto out_free;
    snprintf(r->event_id, sizeof r->event_id, "%s", env->id);
    snprintf(r->type, sizeof r->type, "%s", env->type);
    r->body = cloudevent_text(env);
    envelope_free(&env);
    if (!r->body || req_headers(r, s->sub->webhook->secret) < 0 ||
        req_easy(w, r, s->sub->webhook->url) < 0)
        goto out_free;
    return r;
out_free:
    req_free(w, &r);
    return NULL;
}

static int due(notify_webhook_t *w, notify_sub *s, int64_t now)
{
    if (!s->sub || !s->sub->webhook || s->st.disabled || s->inflight)
        return 0;
    if (s->st.hook_cursor + 1 < stream_log_first(s->log)) /* trimmed: EventsDropped says so */
        s->st.hook_cursor = stream_log_first(s->log) - 1;
    return s->st.hook_cursor < stream_log_last(s->log) && now >= s->st.next_attempt_ms &&
           w->in_flight < (size_t)w->o.max_in_flight;
}

/* Start the POSTs now due; returns how many started. */
static int start_due(notify_webhook_t *w)
{
    int64_t now = clock_now_ms();
    size_t n = notify_subs_slots(w->route->subs);
    int started = 0;

    for (size_t i = 0; i < n; i++) {
        notify_sub *s = notify_subs_slot(w->route->subs, i);
        hook_req *r;
        if (!due(w, s, now))
            continue;
        if (!(r = req_new(w, s))) {
            s->st.next_attempt_ms = now + w->o.backoff_initial_ms; /* try again later */
            continue;
        }
        if (s->st.first_attempt_ms == 0)
            s->st.first_attempt_ms = now;
        s->inflight = r;
        w->in_flight++;
        started++;
    }
    return started;
}

/* ---- outcomes ---- */

static void outcome_success(notify_sub *s, hook_req *r)
{
    s->st.hook_cursor = r->seq;
    s->st.attempts = 0;
    s->st.failures = 0;
    s->st.first_attempt_ms = s->st.next_attempt_ms = 0;
    s->st.last_error[0] = '\0';
}

/* Park the event as a dead letter inside txn and move on. */
static int outcome_dead(notify_webhook_t *w, store_txn_t *txn, notify_sub *s, hook_req *r,
                        int64_t now)
{
    Jiju__V1__DeadLetter dl = JIJU__V1__DEAD_LETTER__INIT;
    int rc;

    dl.seq = r->seq;
    dl.event_id = r->event_id;
    dl.type = r->type;
    dl.attempts = s->st.attempts;
    dl.last_error = s->st.last_error;
    dl.first_attempt_ms = s->st.first_attempt_ms;
    dl.dead_at_ms = now;
    dl.envelope.data = r->env;
    dl.envelope.len = r->env_len;
    rc = notify_dead_park(w->route->subs, txn, s, &dl);
    s->st.hook_cursor = r->seq;
    s->st.attempts = 0;
    s->st.first_attempt_ms = s->st.next_attempt_ms = 0;
    return rc;
}

static void report(notify_webhook_t *w, notify_hook_outcome what, hook_req *r)
{
    notify_hook_report rep = {
        what, r->sub, r->seq, r->event_id, r->attempts, r->error, r->next_attempt_ms};

    if (w->fn)
        w->fn(w->arg, &rep);
}

/* A failed attempt: retry later, or dead-letter; maybe disable. */
static int outcome_failure(notify_webhook_t *w, store_txn_t *txn, notify_sub *s, hook_req *r,
                           int64_t now, int *flags)
{
    int rc = JIJU_OK;

    s->st.attempts++;
    s->st.failures++;
    if (now - s->st.first_attempt_ms >= w->o.horizon_ms) {
        *flags |= 1;
        rc = outcome_dead(w, txn, s, r, now);
    } else {
        s->st.next_attempt_ms = now + notify_webhook_backoff(&w->o, s->st.attempts, next_rand(w));
    }
    if (rc == JIJU_OK && !s->st.disabled && s->st.failures >= (uint32_t)w->o.disable_after) {
        *flags |= 2;
        s->st.disabled = true;
        rc = notify_route_disabled(w->route, txn, s, s->st.failures);
    }
    return rc;
}

static int batch_keep(hook_batch *b, hook_req *r)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        hook_req **grown = realloc(b->done, cap * sizeof *grown);
        if (!grown)
            return JIJU_ERR_NOMEM;
        b->done = grown;
        b->cap = cap;
    }
    b->done[b->n++] = r;
    return JIJU_OK;
}

/* The outcome of r into b's txn (r then belongs to b). */
static int finish(notify_webhook_t *w, hook_req *r, CURLcode res, hook_batch *b)
{
    notify_sub *s = r->sub;
    long code = 0;
    int rc, flags = 0;
    int64_t now = clock_now_ms();

    r->attempts = s->st.attempts + 1;
    if (s->inflight == r)
        s->inflight = NULL;
    w->in_flight--;
    /* removed, replaced by a ZeroMQ subscription, or moved on by retention */
    if (!s->sub || !s->sub->webhook || s->st.hook_cursor + 1 != r->seq)
        return batch_keep(b, r);
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    if (!b->txn && !(b->txn = store_txn_new(notify_subs_store(w->route->subs))))
        return JIJU_ERR_NOMEM;
    if (res == CURLE_OK && code >= 200 && code < 300) {
        outcome_success(s, r);
        rc = JIJU_OK;
    } else {
        if (res != CURLE_OK)
            snprintf(s->st.last_error, sizeof s->st.last_error, "%.150s",
                     r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
        else
            snprintf(s->st.last_error, sizeof s->st.last_error, "HTTP %ld", code);
        rc = outcome_failure(w, b->txn, s, r, now, &flags);
    }
    if (rc == JIJU_OK)
        rc = notify_subs_save_state(w->route->subs, b->txn, s);
    /* appends (EndpointDisabled) and dead letters are synced; progress alone
     * is not: losing it only repeats a POST with the same webhook-id */
    b->sync |= flags != 0;
    r->flags = flags | 4 | (s->st.attempts ? 8 : 0);
    r->next_attempt_ms = s->st.next_attempt_ms;
    snprintf(r->error, sizeof r->error, "%s", s->st.last_error);
    return rc == JIJU_OK ? batch_keep(b, r) : rc;
}

/* Commit b (if rc is still JIJU_OK), then report its outcomes; frees them. */
static int batch_end(notify_webhook_t *w, hook_batch *b, int rc)
{
    if (rc == JIJU_OK && b->txn && store_txn_count(b->txn))
        rc = store_txn_commit(b->txn, b->sync);
    store_txn_destroy(&b->txn);
    for (size_t i = 0; i < b->n; i++) {
        hook_req *r = b->done[i];
        if (rc == JIJU_OK && (r->flags & 4)) {
            if (r->flags & 1)
                report(w, NOTIFY_HOOK_DEAD, r);
            else
                report(w, r->flags & 8 ? NOTIFY_HOOK_FAILED : NOTIFY_HOOK_DELIVERED, r);
            if (r->flags & 2)
                report(w, NOTIFY_HOOK_DISABLED, r);
        }
        req_free(w, &r);
    }
    free(b->done);
    return rc;
}

/* Let libcurl act: on one socket, or on its timeouts (fd
 * CURL_SOCKET_TIMEOUT); without a watcher, on everything at once. */
static void drive(notify_webhook_t *w, curl_socket_t fd, int ev)
{
    int running = 0;

    if (w->watch)
        curl_multi_socket_action(w->multi, fd, ev, &running);
    else
        curl_multi_perform(w->multi, &running);
}

/* Finish every completed POST into b; returns how many, or -1 with *rc set. */
static int finish_done(notify_webhook_t *w, hook_batch *b, int *rc)
{
    CURLMsg *m;
    int left = 0, n = 0;

    while ((m = curl_multi_info_read(w->multi, &left))) {
        hook_req *r = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        curl_multi_remove_handle(w->multi, m->easy_handle);
        if (*rc == JIJU_OK)
            *rc = finish(w, r, m->data.result, b);
        else
            req_free(w, &r);
        n++;
    }
    return *rc == JIJU_OK ? n : -1;
}

/* Finish every completed POST, start those now due, and again while that
 * did something: a receiver on a fast link answers while libcurl is still
 * in the drive() that sent the request, and with the connection idle in
 * libcurl's cache no socket of ours would wake us for it, so the answer
 * waited for the next tick (webhook.tick_ms: 20 ms per POST, 48/s). At
 * most COLLECT_ROUNDS per call, so the loop's other work is not starved;
 * notify_webhook_pending() then says to call again after the loop turn.
 * The outcomes of the call are committed together (batch_end). */
#define COLLECT_ROUNDS 32
static int collect(notify_webhook_t *w)
{
    hook_batch b = {0};
    int rc = JIJU_OK, rounds = 0, done, started;

    w->more = 0;
    do {
        if ((done = finish_done(w, &b, &rc)) < 0)
            break;
        started = start_due(w);
        if (done || started)
            drive(w, CURL_SOCKET_TIMEOUT, 0); /* new handles start now */
    } while ((done || started) && ++rounds < COLLECT_ROUNDS);
    w->more = rounds == COLLECT_ROUNDS;
    return batch_end(w, &b, rc);
}

int notify_webhook_tick(notify_webhook_t *w)
{
    drive(w, CURL_SOCKET_TIMEOUT, 0);
    return collect(w);
}

int notify_webhook_ready(notify_webhook_t *w, int fd, int events)
{
    int ev = (events & NOTIFY_HOOK_IN ? CURL_CSELECT_IN : 0) |
             (events & NOTIFY_HOOK_OUT ? CURL_CSELECT_OUT : 0) |
             (events & NOTIFY_HOOK_ERR ? CURL_CSELECT_ERR : 0);

    drive(w, fd, ev);
    return collect(w);
}

/* libcurl's CURLMOPT_SOCKETFUNCTION: tell the watcher what to poll. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    notify_webhook_t *w = userp;
    int events = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? NOTIFY_HOOK_IN : 0) |
                 (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? NOTIFY_HOOK_OUT : 0);

    (void)e, (void)socketp;
    w->watch(w->watch_arg, fd, what == CURL_POLL_REMOVE ? 0 : events);
    return 0;
}

void notify_webhook_watch(notify_webhook_t *w, notify_hook_watch_fn fn, void *arg)
{
    w->watch = fn;
    w->watch_arg = arg;
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, fn ? on_socket : NULL);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, fn ? w : NULL);
}

int notify_webhook_pending(const notify_webhook_t *w)
{
    return w->more;
}

size_t notify_webhook_in_flight(const notify_webhook_t *w)
{
    return w->in_flight;
}

notify_webhook_t *notify_webhook_new(notify_route *route, const notify_webhook_opts *opts,
                                     notify_hook_fn fn, void *arg)
{
    notify_webhook_t *w;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(w = calloc(1, sizeof *w)))
        return NULL;
    w->route = route;
    w->o = *opts;
    w->fn = fn;
    w->arg = arg;
    w->rnd = (uint64_t)clock_mono_ms() * 2654435761u ^ (uint64_t)(unsigned)getpid() ^
             0x9e3779b97f4a7c15ull;
    if (!(w->multi = curl_multi_init())) {
        free(w);
        return NULL;
    }
    return w;
}

void notify_webhook_destroy(notify_webhook_t **wp)
{
    notify_webhook_t *w = wp ? *wp : NULL;
    size_t n;

    if (!w)
        return;
    n = notify_subs_slots(w->route->subs);
    for (size_t i = 0; i < n; i++) {
        notify_sub *s = notify_subs_slot(w->route->subs, i);
        hook_req *r = s->inflight;
        if (!r)
            continue;
        curl_multi_remove_handle(w->multi, r->easy);
        req_free(w, &r);
        s->inflight = NULL;
    }
    while (w->n_idle)
        curl_easy_cleanup(w->idle[--w->n_idle]);
    curl_multi_cleanup(w->multi);
    free(w);
    *wp = NULL;
}
