/* test_notify_webhook.c - the webhook worker against a real HTTP server in a
 * thread of this test: retries until a 2xx with a valid Svix-style
 * signature (checked here with OpenSSL), dead letters after the horizon and
 * their redelivery, disabling with EndpointDisabled raised to fgw. Time for
 * backoff and horizon is injected through JIJU_CLOCK_FILE (clock.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "clock.h"
#include "notify_dead.h"
#include "notify_route.h"
#include "notify_seed.h"
#include "notify_sign.h"
#include "notify_subs.h"
#include "notify_webhook.h"

#define MAX_HITS 64

/* ---- a tiny HTTP/1.1 server: one request per connection ---- */

typedef struct hit {
    char id[256], ts[32], sig[128], ctype[128];
    char *body;
    int status; /* what we answered */
} hit;

typedef struct http_server {
    int fd, port, stop;
    pthread_t thread;
    pthread_mutex_t mu;
    int fail_first; /* answer 500 to this many requests, then 200 */
    int always_fail;
    hit hits[MAX_HITS];
    int n_hits;
} http_server;

static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    const char *p = strcasestr(head, name);
    size_t n;

    out[0] = '\0';
    if (!p)
        return;
    p += strlen(name);
    while (*p == ' ')
        p++;
    n = strcspn(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void serve_one(http_server *h, int c)
{
    char buf[65536], cl[32];
    size_t used = 0;
    char *end = NULL;
    long len;
    hit *x;
    int status;

    buf[0] = '\0';
    while (used < sizeof buf - 1 && !(end = strstr(buf, "\r\n\r\n"))) {
        ssize_t got = recv(c, buf + used, sizeof buf - 1 - used, 0);
        if (got <= 0)
            return;
        used += (size_t)got;
        buf[used] = '\0';
    }
    if (!end)
        return;
    *end = '\0';
    header_value(buf, "content-length:", cl, sizeof cl);
    len = atol(cl);
    while ((long)(used - (size_t)(end + 4 - buf)) < len) {
        ssize_t got = recv(c, buf + used, sizeof buf - 1 - used, 0);
        if (got <= 0)
            return;
        used += (size_t)got;
    }
    pthread_mutex_lock(&h->mu);
    status = h->always_fail || h->n_hits < h->fail_first ? 500 : 200;
    if (h->n_hits < MAX_HITS) {
        x = &h->hits[h->n_hits++];
        header_value(buf, "webhook-id:", x->id, sizeof x->id);
        header_value(buf, "webhook-timestamp:", x->ts, sizeof x->ts);
        header_value(buf, "webhook-signature:", x->sig, sizeof x->sig);
        header_value(buf, "content-type:", x->ctype, sizeof x->ctype);
        x->body = strndup(end + 4, (size_t)len);
        x->status = status;
    }
    pthread_mutex_unlock(&h->mu);
    snprintf(buf, sizeof buf, "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             status);
    send(c, buf, strlen(buf), MSG_NOSIGNAL);
}

static void *server_main(void *arg)
{
    http_server *h = arg;

    while (!h->stop) {
        struct timeval tv = {10, 0};
        int c = accept(h->fd, NULL, NULL);
        if (c < 0)
            continue;
        /* the listener's 100 ms timeout is for accept; a loaded machine may
         * send the request later than that */
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        serve_one(h, c);
        close(c);
    }
    return NULL;
}

static http_server *server_start(void)
{
    http_server *h = calloc(1, sizeof *h);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    struct timeval tv = {0, 100000};

    assert_non_null(h);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(h->fd >= 0);
    setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* accept wakes up to see stop */
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(h->fd, 16), 0);
    getsockname(h->fd, (struct sockaddr *)&a, &alen);
    h->port = ntohs(a.sin_port);
    pthread_mutex_init(&h->mu, NULL);
    assert_int_equal(pthread_create(&h->thread, NULL, server_main, h), 0);
    return h;
}

static void server_stop(http_server **hp)
{
    http_server *h = *hp;

    h->stop = 1;
    pthread_join(h->thread, NULL);
    close(h->fd);
    for (int i = 0; i < h->n_hits; i++)
        free(h->hits[i].body);
    free(h);
    *hp = NULL;
}

static int hits(http_server *h)
{
    int n;

    pthread_mutex_lock(&h->mu);
    n = h->n_hits;
    pthread_mutex_unlock(&h->mu);
    return n;
}

/* ---- the service side ---- */

typedef struct fixture {
    char dir[64], clock_path[96];
    int64_t now;
    store_t *store;
    notify_subs_t *subs;
    notify_route route;
    notify_webhook_t *w;
    http_server *http;
    notify_hook_report last[8];
    int n_reports, n_disabled, n_dead;
} fixture;

static void set_now(fixture *f, int64_t ms)
{
    FILE *fp = fopen(f->clock_path, "w");

    assert_non_null(fp);
    fprintf(fp, "%lld\n", (long long)ms);
    fclose(fp);
    f->now = ms;
}

static void reported(void *arg, const notify_hook_report *r)
{
    fixture *f = arg;

    f->n_reports++;
    f->n_disabled += r->what == NOTIFY_HOOK_DISABLED;
    f->n_dead += r->what == NOTIFY_HOOK_DEAD;
}

static void add_subs(fixture *f)
{
    Jiju__V1__Subscription *subs[2];
    char url[64], err[256];
    json_t *j;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", f->http->port);
    j = json_pack("{s:s, s:{s:s, s:s}}", "id", "hook", "webhook", "url", url, "secret", "s3cret");
    subs[0] = notify_seed_parse_one(j, err, sizeof err);
    json_decref(j);
    j = json_pack("{s:s}", "id", "fgw");
    subs[1] = notify_seed_parse_one(j, err, sizeof err);
    json_decref(j);
    assert_non_null(subs[0]);
    assert_non_null(subs[1]);
    assert_int_equal(notify_subs_put(f->subs, subs, 2, false, false, err, sizeof err), 0);
}

static fixture *fixture_new(int fail_first, int always_fail, int64_t horizon, int64_t disable_after)
{
    const char *cfs[] = {STORE_STREAM_CFS, NOTIFY_CFS};
    fixture *f = calloc(1, sizeof *f);
    notify_webhook_opts o = {2000, 10, 40, horizon, disable_after, 4};

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_notify_webhook.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->clock_path, sizeof f->clock_path, "%s/clock", f->dir);
    set_now(f, 1700000000000LL);
    setenv("JIJU_CLOCK_FILE", f->clock_path, 1);
    f->store = store_open(f->dir, cfs, 7, NULL, 0);
    assert_non_null(f->store);
    f->subs = notify_subs_open(f->store);
    assert_non_null(f->subs);
    f->route =
        (notify_route){.subs = f->subs, .instance = "notification", .alert_subscriber = "fgw"};
    f->http = server_start();
    f->http->fail_first = fail_first;
    f->http->always_fail = always_fail;
    add_subs(f);
    f->w = notify_webhook_new(&f->route, &o, reported, f);
    assert_non_null(f->w);
    return f;
}

static void fixture_free(fixture **fp)
{
    fixture *f = *fp;
    char cmd[128];

    notify_webhook_destroy(&f->w);
    assert_null(f->w);
    notify_subs_destroy(&f->subs);
    store_close(&f->store);
    server_stop(&f->http);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("JIJU_CLOCK_FILE");
    free(f);
    *fp = NULL;
}

/* An event from "assessment", routed as the service would route it. */
static void emit(fixture *f, uint64_t n)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__AwardGranted aw = JIJU__V1__AWARD_GRANTED__INIT;
    char id[64];
    uint8_t buf[1024];
    store_txn_t *txn = store_txn_new(f->store);

    snprintf(id, sizeof id, "assessment/%llu", (unsigned long long)n);
    env.id = id;
    env.source = "/jiju/assessment";
    env.type = "jiju.v1.AwardGranted";
    env.time = "2023-11-14T22:13:20.000Z";
    env.subject = "JL-WL-001";
    env.category = JIJU__V1__CATEGORY__LOGISTICS;
    env.county = "船营区";
    aw.award_id = "TOP_RANKED/JL-WL-001/2023";
    aw.cluster_id = "JL-WL-001";
    aw.amount_fen = 50000000;
    env.body_case = JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED;
    env.award_granted = &aw;
    jiju__v1__envelope__pack(&env, buf);
    assert_int_equal(notify_route_apply(&f->route, "assessment", n, buf,
                                        jiju__v1__envelope__get_packed_size(&env), txn),
                     0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
}

/* Tick (advancing the injected clock by step_ms) until cond holds; the
 * deadline is on the real monotonic clock. */
#define TICK_UNTIL(f, step_ms, cond)                                                               \
    do {                                                                                           \
        int64_t deadline_ = clock_mono_ms() + 15000;                                               \
        while (!(cond)) {                                                                          \
            assert_true(clock_mono_ms() < deadline_);                                              \
            assert_int_equal(notify_webhook_tick((f)->w), 0);                                      \
            if (notify_webhook_in_flight((f)->w) == 0) /* a POST's real time is not the test's */  \
                set_now((f), (f)->now + (step_ms));                                                \
            usleep(2000);                                                                          \
        }                                                                                          \
    } while (0)

static void check_signature(const hit *x, const char *secret)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char msg[8192], b64[128];
    int n = snprintf(msg, sizeof msg, "%s.%s.%s", x->id, x->ts, x->body);

    assert_true(n > 0 && (size_t)n < sizeof msg);
    assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)n,
                         mac, &maclen));
    EVP_EncodeBlock((unsigned char *)b64, mac, (int)maclen);
    if (strcmp(x->sig + 3, b64) != 0)
        print_message("id=%s ts=%s body=%s sig=%s\n", x->id, x->ts, x->body, x->sig);
    assert_memory_equal(x->sig, "v1,", 3);
    assert_string_equal(x->sig + 3, b64);
}

static notify_sub *hook(fixture *f)
{
    notify_sub *s = notify_subs_find(f->subs, "hook");

    assert_non_null(s);
    return s;
}

/* 500, 500, 500, then 200: the 4th attempt is signed and accepted. */
static void test_retry_then_success(void **state)
{
    fixture *f = fixture_new(3, 0, 3600000, 100);
    json_error_t jerr;
    json_t *ce;

    (void)state;
    emit(f, 1);
    TICK_UNTIL(f, 50, hook(f)->st.hook_cursor == 1);
    assert_int_equal(hits(f->http), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f->http->hits[i].status, i < 3 ? 500 : 200);
        assert_string_equal(f->http->hits[i].id, "assessment/1"); /* same id on every retry */
        check_signature(&f->http->hits[i], "s3cret");
    }
    assert_string_equal(f->http->hits[3].ctype, "application/cloudevents+json");
    ce = json_loads(f->http->hits[3].body, 0, &jerr);
    assert_non_null(ce);
    assert_string_equal(json_string_value(json_object_get(ce, "specversion")), "1.0");
    assert_string_equal(json_string_value(json_object_get(ce, "id")), "assessment/1");
    assert_string_equal(json_string_value(json_object_get(ce, "type")), "jiju.v1.AwardGranted");
    assert_string_equal(json_string_value(json_object_get(ce, "subject")), "JL-WL-001");
    assert_string_equal(json_string_value(json_object_get(ce, "datacontenttype")),
                        "application/json");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ce, "data"), "award_id")),
                        "TOP_RANKED/JL-WL-001/2023");
    json_decref(ce);
    assert_int_equal(hook(f)->st.failures, 0);
    assert_int_equal(hook(f)->st.dead_letters, 0);
    fixture_free(&f);
}

/* Always 500: both events end as dead letters after the horizon; once the
 * endpoint answers 200, redeliver sends each once with its original id. */
static void test_dead_letters_and_redeliver(void **state)
{
    fixture *f = fixture_new(0, 1, 300, 1000);
    Jiju__V1__DeadLetter **dl = NULL;
    size_t n = 0;
    uint64_t again = 0;
    int before;

    (void)state;
    emit(f, 1);
    emit(f, 2);
    TICK_UNTIL(f, 20, hook(f)->st.hook_cursor == 2);
    assert_int_equal(f->n_dead, 2);
    assert_int_equal(hook(f)->st.dead_letters, 2);
    assert_int_equal(notify_dead_list(f->subs, hook(f), 0, &dl, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(dl[0]->event_id, "assessment/1");
    assert_string_equal(dl[1]->event_id, "assessment/2");
    assert_string_equal(dl[0]->last_error, "HTTP 500");
    assert_true(dl[0]->attempts >= 2);
    for (size_t i = 0; i < n; i++)
        jiju__v1__dead_letter__free_unpacked(dl[i], NULL);
    free(dl);

    pthread_mutex_lock(&f->http->mu);
    f->http->always_fail = 0; /* the department fixed its endpoint */
    pthread_mutex_unlock(&f->http->mu);
    before = hits(f->http);
    assert_int_equal(notify_dead_redeliver(&f->route, hook(f), &again), 0);
    assert_int_equal(again, 2);
    TICK_UNTIL(f, 20, hook(f)->st.hook_cursor == 4);
    assert_int_equal(hits(f->http), before + 2); /* each once */
    assert_string_equal(f->http->hits[before].id, "assessment/1");
    assert_string_equal(f->http->hits[before + 1].id, "assessment/2");
    assert_int_equal(f->http->hits[before + 1].status, 200);
    assert_int_equal(notify_dead_list(f->subs, hook(f), 0, &dl, &n), 0);
    assert_int_equal(n, 0);
    free(dl);
    fixture_free(&f);
}

/* Three failures in a row disable the endpoint and tell fgw. */
static void test_disable(void **state)
{
    fixture *f = fixture_new(0, 1, 3600000, 3);
    notify_sub *fgw;
    void *data = NULL;
    size_t len = 0;
    Jiju__V1__Envelope *env;
    int at;

    (void)state;
    emit(f, 1);
    TICK_UNTIL(f, 50, hook(f)->st.disabled);
    assert_int_equal(f->n_disabled, 1);
    assert_int_equal(hits(f->http), 3);
    fgw = notify_subs_find(f->subs, "fgw");
    assert_int_equal(stream_log_last(fgw->log), 2); /* the award, then EndpointDisabled */
    assert_int_equal(stream_log_read(fgw->log, 2, &data, &len), 0);
    env = jiju__v1__envelope__unpack(NULL, len, data);
    assert_non_null(env);
    assert_int_equal(env->body_case, JIJU__V1__ENVELOPE__BODY_ENDPOINT_DISABLED);
    assert_string_equal(env->endpoint_disabled->subscriber_id, "hook");
    assert_int_equal(env->endpoint_disabled->failures, 3);
    assert_string_equal(env->type, "jiju.v1.EndpointDisabled");
    jiju__v1__envelope__free_unpacked(env, NULL);
    free(data);
    /* disabled: no more attempts however long we wait */
    at = hits(f->http);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(notify_webhook_tick(f->w), 0);
        set_now(f, f->now + 1000);
    }
    assert_int_equal(hits(f->http), at);
    fixture_free(&f);
}

/* notification's own events name the subscriber in their id; a webhook
 * subscriber id may be Chinese ("county-船营区"), and the id travels in the
 * webhook-id header, which receivers read as Latin-1 (Node, Python's
 * http.server). So the id is percent-encoded ASCII, header and body agree,
 * and the signature verifies over exactly what was sent. */
static void test_own_event_id_is_ascii(void **state)
{
    fixture *f = fixture_new(0, 0, 3600000, 100);
    Jiju__V1__Subscription *sub;
    store_txn_t *txn;
    char url[64], err[256];
    json_error_t jerr;
    json_t *j, *ce;
    hit *x;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/zh", f->http->port);
    j = json_pack("{s:s, s:{s:s, s:s}}", "id", "county-船营区", "webhook", "url", url, "secret",
                  "s3cret");
    sub = notify_seed_parse_one(j, err, sizeof err);
    json_decref(j);
    assert_non_null(sub);
    assert_int_equal(notify_subs_put(f->subs, &sub, 1, false, false, err, sizeof err), 0);
    assert_null(sub); /* consumed */
    txn = store_txn_new(f->store);
    assert_int_equal(
        notify_route_dropped(&f->route, txn, notify_subs_find(f->subs, "county-船营区"), 1, 3), 0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
    TICK_UNTIL(f, 50, hits(f->http) == 1);
    x = &f->http->hits[0];
    for (const char *p = x->id; *p; p++)
        assert_true((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
    assert_string_equal(x->id, "notification/EventsDropped/county-%E8%88%B9%E8%90%A5%E5%8C%BA/1");
    check_signature(x, "s3cret");
    ce = json_loads(x->body, 0, &jerr);
    assert_non_null(ce);
    assert_string_equal(json_string_value(json_object_get(ce, "id")), x->id);
    assert_string_equal(json_string_value(json_object_get(ce, "type")), "jiju.v1.EventsDropped");
    /* the body still names the subscriber as it is */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ce, "data"), "subscriber_id")),
        "county-船营区");
    json_decref(ce);
    fixture_free(&f);
}

static void test_backoff(void **state)
{
    notify_webhook_opts o = {1000, 100, 1000, 0, 1, 1};

    (void)state;
    for (uint64_t r = 0; r < 200; r += 7) {
        int64_t d1 = notify_webhook_backoff(&o, 1, r), d3 = notify_webhook_backoff(&o, 3, r);
        int64_t d9 = notify_webhook_backoff(&o, 9, r);
        assert_true(d1 >= 50 && d1 <= 100);
        assert_true(d3 >= 200 && d3 <= 400);
        assert_true(d9 >= 500 && d9 <= 1000); /* capped */
    }
}

/* Svix test vector: secret whsec_..., id, timestamp and body from the
 * Standard Webhooks specification's example. */
static void test_sign_whsec(void **state)
{
    char sig[128];
    const char *body = "{\"test\": 2432232314}";

    (void)state;
    assert_int_equal(notify_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
                                 sig, sizeof sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_then_success),
        cmocka_unit_test(test_dead_letters_and_redeliver),
        cmocka_unit_test(test_disable),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_own_event_id_is_ascii),
        cmocka_unit_test(test_sign_whsec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
