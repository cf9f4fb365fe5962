/* test_notify_subs.c - the subscription table in a real store: seeding,
 * persistence across reopen, fan-out sequences, removal, retention raising
 * EventsDropped, and the admin requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify_admin.h"
#include "notify_dead.h"
#include "notify_registry.h"
#include "notify_retention.h"
#include "notify_route.h"
#include "notify_seed.h"
#include "notify_subs.h"
#include "rpc.h"
#include "svc.h"

#define RPC_MAX_FRAME RPC_DEFAULT_MAX_REPLY /* the services' default limits.max_frame_bytes */

typedef struct fx {
    char dir[64];
    store_t *store;
    notify_subs_t *subs;
    notify_route route;
} fx;

static void fx_open(fx *f)
{
    const char *cfs[] = {STORE_STREAM_CFS, NOTIFY_CFS};

    f->store = store_open(f->dir, cfs, 7, NULL, 0);
    assert_non_null(f->store);
    f->subs = notify_subs_open(f->store);
    assert_non_null(f->subs);
    f->route = (notify_route){.subs = f->subs,
                              .instance = "notification",
                              .alert_subscriber = "fgw",
                              .registry = {true, "开发区,高新区,经开区,园区,示范区"}};
}

static void fx_close(fx *f)
{
    notify_subs_destroy(&f->subs);
    assert_null(f->subs);
    store_close(&f->store);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    Jiju__V1__Subscription **subs;
    size_t n;
    char err[256];

    snprintf(f->dir, sizeof f->dir, "/tmp/test_notify_subs.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    fx_open(f);
    assert_false(notify_subs_seeded(f->subs));
    assert_int_equal(notify_seed_load(JIJU_SRC_DIR "/deploy/config/subscriptions.json", &subs, &n,
                                      err, sizeof err),
                     0);
    assert_int_equal(notify_subs_put(f->subs, subs, n, false, true, err, sizeof err), 0);
    free(subs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[128];

    fx_close(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void emit(fx *f, uint64_t n, int category, const char *county, const char *type_body)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportOverdue ro = JIJU__V1__REPORT_OVERDUE__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;
    char id[64];
    uint8_t buf[512];
    store_txn_t *txn = store_txn_new(f->store);

    snprintf(id, sizeof id, "assessment/%llu", (unsigned long long)n);
    env.id = id;
    env.time_ms = 1000 + (int64_t)n;
    env.category = (Jiju__V1__Category)category;
    env.county = (char *)county;
    env.subject = "X-1";
    if (strcmp(type_body, "overdue") == 0) {
        env.type = "jiju.v1.ReportOverdue";
        env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_OVERDUE;
        env.report_overdue = &ro;
    } else {
        env.type = "jiju.v1.PeriodClosed";
        env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
        env.period_closed = &pc;
    }
    jiju__v1__envelope__pack(&env, buf);
    assert_int_equal(notify_route_apply(&f->route, "assessment", n, buf,
                                        jiju__v1__envelope__get_packed_size(&env), txn),
                     0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
}

static Jiju__V1__Envelope *read_env(notify_sub *s, uint64_t seq)
{
    void *data = NULL;
    size_t len = 0;
    Jiju__V1__Envelope *env;

    assert_int_equal(stream_log_read(s->log, seq, &data, &len), 0);
    env = jiju__v1__envelope__unpack(NULL, len, data);
    free(data);
    assert_non_null(env);
    return env;
}

/* A ClusterRegistered in a county or zone nobody subscribed for creates its
 * subscription before it is routed, so the registration itself and every
 * later event of its clusters reach it; an existing one is left alone. */
static void registered(fx *f, uint64_t n, const char *id, const char *county)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRegistered cr = JIJU__V1__CLUSTER_REGISTERED__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT;
    char eid[64];
    uint8_t buf[512];
    store_txn_t *txn = store_txn_new(f->store);

    snprintf(eid, sizeof eid, "assessment/%llu", (unsigned long long)n);
    c.id = (char *)id;
    c.county = (char *)county;
    c.category = 9;
    cr.cluster = &c;
    env.id = eid;
    env.type = "jiju.v1.ClusterRegistered";
    env.subject = (char *)id;
    env.county = (char *)county;
    env.category = 9;
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED;
    env.cluster_registered = &cr;
    jiju__v1__envelope__pack(&env, buf);
    assert_int_equal(notify_route_apply(&f->route, "assessment", n, buf,
                                        jiju__v1__envelope__get_packed_size(&env), txn),
                     0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
}

static void test_follow_registry(void **state)
{
    fx *f = *state;
    notify_sub *zone, *county;
    size_t before = notify_subs_slots(f->subs);
    char id[80], desc[160];

    assert_true(notify_registry_is_zone("开发区,高新区", "吉林经济技术开发区"));
    assert_true(notify_registry_is_zone("开发区,高新区", "高新区"));
    assert_false(notify_registry_is_zone("开发区,高新区", "船营区"));
    assert_false(notify_registry_is_zone("", "高新区"));
    assert_int_equal(notify_registry_names("高新区", "高新区", id, sizeof id, desc, sizeof desc),
                     0);
    assert_string_equal(id, "zone-高新区");
    assert_non_null(strstr(desc, "高新区管委会"));
    /* the seed has 高新区 already: nothing new */
    registered(f, 1, "JL-WB-01", "高新区");
    assert_int_equal(notify_subs_slots(f->subs), before);
    assert_int_equal(stream_log_last(notify_subs_find(f->subs, "zone-高新区")->log), 1);
    /* a zone and a county nobody listed */
    registered(f, 2, "JL-NEW-01", "吉林经济技术开发区");
    registered(f, 3, "JL-NEW-02", "昌邑新城镇");
    zone = notify_subs_find(f->subs, "zone-吉林经济技术开发区");
    county = notify_subs_find(f->subs, "county-昌邑新城镇");
    assert_non_null(zone);
    assert_non_null(county);
    assert_int_equal(notify_subs_slots(f->subs), before + 2);
    assert_int_equal(stream_log_last(zone->log), 1); /* its own registration */
    assert_int_equal(stream_log_last(county->log), 1);
    assert_string_equal(zone->sub->filters[0]->counties[0], "吉林经济技术开发区");
    /* later events of its clusters follow; another county's do not */
    emit(f, 4, 2, "吉林经济技术开发区", "overdue");
    emit(f, 5, 2, "船营区", "overdue");
    assert_int_equal(stream_log_last(zone->log), 2);
    /* a second registration there creates nothing more, also after a restart */
    fx_close(f);
    fx_open(f);
    registered(f, 6, "JL-NEW-03", "吉林经济技术开发区");
    assert_int_equal(notify_subs_slots(f->subs), before + 2);
    assert_int_equal(stream_log_last(notify_subs_find(f->subs, "zone-吉林经济技术开发区")->log), 3);
    /* switched off, the registry is not followed */
    f->route.registry.enabled = false;
    registered(f, 7, "JL-NEW-04", "永吉新区");
    assert_null(notify_subs_find(f->subs, "zone-永吉新区"));
}

/* Each subscriber gets its own gap-free sequence; ids stay those of the event. */
static void test_fanout_sequences(void **state)
{
    fx *f = *state;
    notify_sub *fgw, *tjj, *jtj;
    Jiju__V1__Envelope *env;

    emit(f, 1, 1, "船营区", "closed");  /* fgw, jtj, county */
    emit(f, 2, 2, "龙潭区", "overdue"); /* fgw, swj, tjj, county */
    emit(f, 3, 1, "龙潭区", "overdue"); /* fgw, jtj, tjj, county */
    fgw = notify_subs_find(f->subs, "fgw");
    tjj = notify_subs_find(f->subs, "tjj");
    jtj = notify_subs_find(f->subs, "jtj");
    assert_int_equal(stream_log_last(fgw->log), 3);
    assert_int_equal(stream_log_last(tjj->log), 2);
    assert_int_equal(stream_log_last(jtj->log), 2);
    env = read_env(tjj, 2);
    assert_string_equal(env->id, "assessment/3");
    assert_int_equal(env->seq, 2); /* the subscriber's own sequence */
    jiju__v1__envelope__free_unpacked(env, NULL);
    assert_int_equal(stream_log_last(notify_subs_find(f->subs, "county-龙潭区")->log), 2);
    /* everything survives a restart, and seeding is not repeated */
    fx_close(f);
    fx_open(f);
    assert_true(notify_subs_seeded(f->subs));
    assert_int_equal(stream_log_last(notify_subs_find(f->subs, "tjj")->log), 2);
    emit(f, 4, 2, "龙潭区", "overdue");
    assert_int_equal(stream_log_last(notify_subs_find(f->subs, "tjj")->log), 3);
}

static void dropped_cb(void *arg, const notify_sub *s, uint64_t first, uint64_t last)
{
    uint64_t *seen = arg;

    (void)s;
    seen[0] = first;
    seen[1] = last;
}

/* Retention keeps max_records, counting the EventsDropped record it adds
 * (so the next run does not trim again), and says what it dropped
 * unacknowledged. */
static void test_retention(void **state)
{
    fx *f = *state;
    notify_retention rules = {5, 0};
    uint64_t seen[2] = {0, 0};
    notify_sub *tjj;
    Jiju__V1__Envelope *env;

    for (uint64_t i = 1; i <= 12; i++)
        emit(f, i, 9, "磐石市", "overdue");
    tjj = notify_subs_find(f->subs, "tjj");
    assert_int_equal(stream_log_last(tjj->log), 12);
    assert_int_equal(notify_retention_run(&f->route, &rules, dropped_cb, seen), 0);
    assert_int_equal(stream_log_first(tjj->log), 9);
    assert_int_equal(stream_log_last(tjj->log), 13); /* 4 kept + EventsDropped = 5 */
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 8);
    env = read_env(tjj, 13);
    assert_int_equal(env->body_case, JIJU__V1__ENVELOPE__BODY_EVENTS_DROPPED);
    assert_string_equal(env->events_dropped->subscriber_id, "tjj");
    assert_int_equal(env->events_dropped->first_seq, 1);
    assert_int_equal(env->events_dropped->last_seq, 8);
    jiju__v1__envelope__free_unpacked(env, NULL);
    assert_int_equal(tjj->st.dropped_total, 8);
    /* a second run finds the backlog at the limit and leaves it alone */
    seen[0] = seen[1] = 0;
    assert_int_equal(notify_retention_run(&f->route, &rules, dropped_cb, seen), 0);
    assert_int_equal(stream_log_last(tjj->log), 13);
    assert_int_equal(seen[1], 0);
    /* by age: events older than now - max_age go, the last record stays */
    rules = (notify_retention){0, 1};
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_true(stream_log_first(tjj->log) >= stream_log_last(tjj->log) - 1);
}

static size_t reply_bytes(notify_admin_t *a, Jiju__V1__SubscriptionRequest *q,
                          Jiju__V1__SubscriptionReply **rep)
{
    size_t len = jiju__v1__subscription_request__get_packed_size(q), rlen = 0;
    uint8_t *buf = malloc(len + 1), *reply = NULL;

    jiju__v1__subscription_request__pack(q, buf);
    assert_int_equal(notify_admin_handle(a, buf, len, &reply, &rlen), 0);
    *rep = jiju__v1__subscription_reply__unpack(NULL, rlen, reply);
    assert_non_null(*rep);
    free(buf);
    free(reply);
    return rlen;
}

static Jiju__V1__SubscriptionReply *admin(notify_admin_t *a, Jiju__V1__SubscriptionRequest *q)
{
    Jiju__V1__SubscriptionReply *rep;

    reply_bytes(a, q, &rep);
    return rep;
}

static void test_admin(void **state)
{
    fx *f = *state;
    notify_admin_t *a = notify_admin_new(NULL, NULL, &f->route, "notification", NULL, NULL);
    Jiju__V1__SubscriptionRequest q = JIJU__V1__SUBSCRIPTION_REQUEST__INIT;
    Jiju__V1__AddSubscription add = JIJU__V1__ADD_SUBSCRIPTION__INIT;
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT;
    Jiju__V1__Filter fl = JIJU__V1__FILTER__INIT, *fp = &fl;
    Jiju__V1__ListSubscriptions list = JIJU__V1__LIST_SUBSCRIPTIONS__INIT;
    Jiju__V1__RemoveSubscription rm = JIJU__V1__REMOVE_SUBSCRIPTION__INIT;
    Jiju__V1__SubscriptionReply *rep;
    char *types[] = {"AwardGranted"};

    assert_non_null(a);
    fl.n_types = 1;
    fl.types = types;
    s.id = "audit";
    s.n_filters = 1;
    s.filters = &fp;
    add.subscription = &s;
    q.request_id = "r1";
    q.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_ADD;
    q.add = &add;
    rep = admin(a, &q);
    assert_true(rep->ok);
    assert_string_equal(rep->request_id, "r1");
    assert_int_equal(rep->n_subscriptions, 1);
    assert_string_equal(rep->subscriptions[0]->subscription->filters[0]->types[0],
                        "jiju.v1.AwardGranted"); /* stored in full form */
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    rep = admin(a, &q); /* again without replace: refused */
    assert_false(rep->ok);
    assert_non_null(strstr(rep->error, "E_SUB_EXISTS"));
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);

    q.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST;
    q.list = &list;
    rep = admin(a, &q);
    assert_true(rep->ok);
    assert_int_equal(rep->n_subscriptions, 20); /* 19 defaults (2 开发区) + audit */
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);

    rm.id = "audit";
    q.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_REMOVE;
    q.remove = &rm;
    rep = admin(a, &q);
    assert_true(rep->ok);
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    assert_null(notify_subs_find(f->subs, "audit"));
    rep = admin(a, &q);
    assert_false(rep->ok);
    assert_non_null(strstr(rep->error, "E_SUB_NOT_FOUND"));
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    notify_admin_destroy(&a);
    assert_null(a);
}

/* ---- paging (subscription.proto "Paging") ---- */

/* A webhook subscription "hook" with n dead letters, each carrying an
 * event of body bytes (a ranking page is ~250 KB), seqs 1..n. */
static notify_sub *hook_with_dead(fx *f, int n, size_t body)
{
    Jiju__V1__Subscription *sub = calloc(1, sizeof *sub);
    Jiju__V1__Webhook *wh = calloc(1, sizeof *wh);
    Jiju__V1__DeadLetter dl = JIJU__V1__DEAD_LETTER__INIT;
    uint8_t *env = malloc(body);
    char err[256], id[32];
    store_txn_t *txn;
    notify_sub *s;

    jiju__v1__subscription__init(sub);
    jiju__v1__webhook__init(wh);
    sub->id = strdup("hook");
    wh->url = strdup("http://127.0.0.1:9/jiju");
    wh->secret = strdup("s3cret");
    sub->webhook = wh;
    assert_int_equal(notify_subs_put(f->subs, &sub, 1, false, false, err, sizeof err), 0);
    assert_non_null(s = notify_subs_find(f->subs, "hook"));
    memset(env, 'x', body);
    dl.envelope.data = env;
    dl.envelope.len = body;
    dl.type = "jiju.v1.RankingUpdated";
    dl.last_error = "HTTP 500";
    assert_non_null(txn = store_txn_new(f->store));
    for (int i = 1; i <= n; i++) {
        snprintf(id, sizeof id, "assessment/%d", i);
        dl.seq = (uint64_t)i;
        dl.event_id = id;
        assert_int_equal(notify_dead_park(f->subs, txn, s, &dl), 0);
    }
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
    free(env);
    return s;
}

/* 24 dead letters of 250 KB: one unpaged reply would be 6 MB, above the
 * 4 MiB frame limit (the CLI's rpc refuses it, JIJU_ERR_TOO_LARGE). An old
 * client gets a bounded first page, sees total_size and a token; the pages
 * together are every dead letter once, in order. */
static void test_dead_letter_pages(void **state)
{
    fx *f = *state;
    notify_admin_t *a = notify_admin_new(NULL, NULL, &f->route, "notification", NULL, NULL);
    Jiju__V1__SubscriptionRequest q = JIJU__V1__SUBSCRIPTION_REQUEST__INIT;
    Jiju__V1__ListDeadLetters dead = JIJU__V1__LIST_DEAD_LETTERS__INIT;
    Jiju__V1__SubscriptionReply *rep;
    uint64_t want = 1;
    char tok[256] = "";
    int pages = 0;

    hook_with_dead(f, 24, 250000);
    q.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_DEAD_LETTERS;
    q.dead_letters = &dead;
    dead.id = "hook";
    assert_true(reply_bytes(a, &q, &rep) <= RPC_MAX_FRAME); /* a client from before paging */
    assert_true(rep->ok);
    assert_int_equal(rep->total_size, 24);
    assert_true(rep->n_dead_letters >= 1 && rep->n_dead_letters < 24);
    assert_true(rep->next_page_token[0] != '\0');
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    do {
        dead.page_token = tok;
        assert_true(reply_bytes(a, &q, &rep) <= RPC_MAX_FRAME);
        assert_true(rep->ok);
        for (size_t i = 0; i < rep->n_dead_letters; i++)
            assert_int_equal(rep->dead_letters[i]->seq, want++);
        snprintf(tok, sizeof tok, "%s", rep->next_page_token);
        jiju__v1__subscription_reply__free_unpacked(rep, NULL);
        pages++;
    } while (*tok);
    assert_int_equal(want, 25);
    assert_true(pages >= 2);

    /* the field from before paging: a page of that many, more follow */
    dead.page_token = "";
    dead.limit = 2;
    reply_bytes(a, &q, &rep);
    assert_int_equal(rep->n_dead_letters, 2);
    assert_int_equal(rep->dead_letters[1]->seq, 2);
    snprintf(tok, sizeof tok, "%s", rep->next_page_token);
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    dead.page_token = tok;
    reply_bytes(a, &q, &rep);
    assert_int_equal(rep->dead_letters[0]->seq, 3);
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);

    /* every problem in one reply, naming field, rule and value */
    dead.page_size = 5001;
    dead.page_token = "S1.686f6f6b";
    reply_bytes(a, &q, &rep);
    assert_false(rep->ok);
    assert_string_equal(rep->error,
                        "E_PAGE_SIZE: dead_letters.page_size must be 0 (meaning 1000) to 5000, not "
                        "5001; E_PAGE_TOKEN: dead_letters.page_token \"S1.686f6f6b\" (11 bytes) is "
                        "not a page token of this query: send \"\" for the first page, else the "
                        "reply's next_page_token unchanged");
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    dead.page_size = 0;
    dead.page_token = "D1.667776.3"; /* fgw's */
    reply_bytes(a, &q, &rep);
    assert_false(rep->ok);
    assert_non_null(strstr(rep->error, "E_PAGE_TOKEN: dead_letters.page_token \"D1.667776.3\""));
    assert_non_null(strstr(rep->error, "another subscriber"));
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    notify_admin_destroy(&a);
}

/* Subscriptions page in id order within the frame limit (4 KiB here). */
static void test_subscription_pages(void **state)
{
    fx *f = *state;
    svc_t *svc = svc_new("test");
    notify_admin_t *a;
    Jiju__V1__SubscriptionRequest q = JIJU__V1__SUBSCRIPTION_REQUEST__INIT;
    Jiju__V1__ListSubscriptions list = JIJU__V1__LIST_SUBSCRIPTIONS__INIT;
    Jiju__V1__SubscriptionReply *rep;
    char tok[256] = "", last[80] = "";
    size_t seen = 0, total;
    int pages = 0;

    for (int i = 0; i < 60; i++) { /* 79 in all: more than 4 KiB of them */
        Jiju__V1__Subscription *sub = calloc(1, sizeof *sub);
        char id[32], err[256];
        jiju__v1__subscription__init(sub);
        snprintf(id, sizeof id, "dept-%02d", (i * 37) % 60); /* not added in id order */
        sub->id = strdup(id);
        sub->description = strdup("某部门 (a department of the city)");
        assert_int_equal(notify_subs_put(f->subs, &sub, 1, false, false, err, sizeof err), 0);
    }
    assert_non_null(svc);
    svc_set_max_frame(svc, 4096);
    assert_non_null(a = notify_admin_new(svc, NULL, &f->route, "notification", NULL, NULL));
    q.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST;
    q.list = &list;
    reply_bytes(a, &q, &rep);
    total = rep->total_size;
    assert_int_equal(total, 79); /* the 19 defaults and 60 */
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    do {
        list.page_token = tok;
        assert_true(reply_bytes(a, &q, &rep) <= 4096);
        assert_true(rep->ok);
        for (size_t i = 0; i < rep->n_subscriptions; i++, seen++) {
            const char *id = rep->subscriptions[i]->subscription->id;
            assert_true(strcmp(last, id) < 0); /* in order, none twice */
            snprintf(last, sizeof last, "%s", id);
        }
        snprintf(tok, sizeof tok, "%s", rep->next_page_token);
        jiju__v1__subscription_reply__free_unpacked(rep, NULL);
        pages++;
    } while (*tok);
    assert_int_equal(seen, total);
    assert_true(pages >= 2);

    list.page_size = 3; /* as given */
    list.page_token = "";
    reply_bytes(a, &q, &rep);
    assert_int_equal(rep->n_subscriptions, 3);
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    list.page_token = "S1.zz";
    reply_bytes(a, &q, &rep);
    assert_false(rep->ok);
    assert_non_null(strstr(rep->error, "E_PAGE_TOKEN: list.page_token \"S1.zz\" (5 bytes)"));
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    notify_admin_destroy(&a);
    svc_destroy(&svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fanout_sequences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscription_pages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
