/* test_notify_shared.c - each routed event stored once (notify_shared.h), in
 * a real store: what subscriber logs hold and serve, a store written whole
 * by the previous version served over a real socket after the upgrade,
 * trimming the shared log and replacing old references, and kill -9 of a
 * process with routed events not yet committed. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "err.h"
#include "notify_retention.h"
#include "notify_route.h"
#include "notify_seed.h"
#include "notify_shared.h"
#include "notify_subs.h"
#include "pb.h"
#include "stream_sub.h"
#include "svc.h"
#include "test_stream_support.h"

#define N_ALL 5 /* subscribers of every event: all-0 .. all-4 */

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
    f->route = (notify_route){.subs = f->subs, .instance = "notification"};
}

static void fx_close(fx *f)
{
    notify_subs_destroy(&f->subs);
    store_close(&f->store);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    Jiju__V1__Subscription **subs;
    char path[128], err[256];
    size_t n;
    FILE *fp;

    snprintf(f->dir, sizeof f->dir, "/tmp/test_notify_shared.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(path, sizeof path, "%s/subs.json", f->dir);
    assert_non_null(fp = fopen(path, "w"));
    fprintf(fp, "{\"subscriptions\": [");
    for (int i = 0; i < N_ALL; i++)
        fprintf(fp, "{\"id\": \"all-%d\"},", i);
    fprintf(fp, "{\"id\": \"rare\", \"filters\": [{\"cluster_ids\": [\"R-1\"]}]}]}");
    assert_int_equal(fclose(fp), 0);
    fx_open(f);
    assert_int_equal(notify_seed_load(path, &subs, &n, err, sizeof err), 0);
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

/* Event n as assessment sends it (its own seq n set), concerning subject. */
static size_t event(uint64_t n, const char *subject, uint8_t *buf)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;
    char id[64];

    snprintf(id, sizeof id, "assessment/%llu", (unsigned long long)n);
    env.id = id;
    env.seq = n;
    env.time_ms = 1000 + (int64_t)n;
    env.subject = (char *)subject;
    env.type = "jiju.v1.PeriodClosed";
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
    env.period_closed = &pc;
    return jiju__v1__envelope__pack(&env, buf);
}

/* Route events from..to (every 10th concerns R-1), uncommitted in txn. */
static void route(fx *f, store_txn_t *txn, uint64_t from, uint64_t to)
{
    uint8_t buf[512];

    for (uint64_t n = from; n <= to; n++) {
        size_t len = event(n, n % 10 == 0 ? "R-1" : "X-1", buf);
        assert_int_equal(notify_route_apply(&f->route, "assessment", n, buf, len, txn), 0);
    }
}

static void emit(fx *f, uint64_t from, uint64_t to)
{
    store_txn_t *txn = store_txn_new(f->store);

    route(f, txn, from, to);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
}

static notify_sub *sub(fx *f, const char *id)
{
    notify_sub *s = notify_subs_find(f->subs, id);

    assert_non_null(s);
    return s;
}

/* Record seq of s as served: an Envelope with seq = seq and the given id. */
static void assert_served(notify_sub *s, uint64_t seq, uint64_t event_n)
{
    void *data = NULL;
    size_t len = 0;
    Jiju__V1__Envelope *env;
    char id[64];

    assert_int_equal(stream_log_read(s->log, seq, &data, &len), JIJU_OK);
    assert_non_null(env = jiju__v1__envelope__unpack(NULL, len, data));
    snprintf(id, sizeof id, "assessment/%llu", (unsigned long long)event_n);
    assert_int_equal(env->seq, seq);
    assert_string_equal(env->id, id);
    jiju__v1__envelope__free_unpacked(env, NULL);
    free(data);
}

/* The stored bytes of record seq of log (not resolved). */
static size_t stored(store_t *store, stream_log_t *log, uint64_t seq, uint8_t *out, size_t cap)
{
    stream_log_iter_t *it = stream_log_iter(log, seq);
    uint64_t at;
    size_t vlen = 0;
    const uint8_t *v;

    assert_non_null(it);
    assert_int_equal(stream_log_iter_get(it, &at, &v, &vlen), 0);
    assert_int_equal(at, seq);
    assert_true(vlen <= cap);
    memcpy(out, v, vlen);
    stream_log_iter_destroy(&it);
    (void)store;
    return vlen;
}

/* One shared record per event; 9-byte references in the subscriber logs;
 * each served with its subscriber's own seq, exactly once in the bytes. */
static void test_stored_once(void **state)
{
    fx *f = *state;
    stream_log_t *shared = notify_shared_log(notify_subs_shared(f->subs));
    uint8_t raw[1024];
    size_t len;
    uint64_t sseq;
    Jiju__V1__Envelope *env;
    void *served = NULL;
    size_t slen;

    emit(f, 1, 100);
    assert_int_equal(stream_log_last(shared), 100);
    for (int i = 0; i < N_ALL; i++) {
        char id[16];
        snprintf(id, sizeof id, "all-%d", i);
        assert_int_equal(stream_log_last(sub(f, id)->log), 100);
        for (uint64_t k = 1; k <= 100; k++) {
            len = stored(f->store, sub(f, id)->log, k, raw, sizeof raw);
            assert_int_equal(len, NOTIFY_REF_LEN);
            assert_true(notify_shared_is_ref(raw, len, &sseq));
            assert_int_equal(sseq, k);
            assert_served(sub(f, id), k, k);
        }
    }
    /* rare: events 10, 20, ... as its 1, 2, ..., referring to the same copies */
    assert_int_equal(stream_log_last(sub(f, "rare")->log), 10);
    for (uint64_t k = 1; k <= 10; k++)
        assert_served(sub(f, "rare"), k, k * 10);
    /* the shared copy has no seq; the served one has the subscriber's once */
    len = stored(f->store, shared, 30, raw, sizeof raw);
    assert_non_null(env = jiju__v1__envelope__unpack(NULL, len, raw));
    assert_int_equal(env->seq, 0);
    jiju__v1__envelope__free_unpacked(env, NULL);
    assert_int_equal(stream_log_read(sub(f, "rare")->log, 3, &served, &slen), 0);
    assert_int_equal(slen, len + 2); /* tag 0x30, varint 3 */
    assert_memory_equal(served, raw, len);
    assert_int_equal(((uint8_t *)served)[len], 0x30);
    free(served);
    /* after a restart: the same */
    fx_close(f);
    fx_open(f);
    assert_served(sub(f, "all-3"), 77, 77);
    assert_served(sub(f, "rare"), 7, 70);
    emit(f, 101, 110);
    assert_served(sub(f, "rare"), 11, 110);
    assert_int_equal(stream_log_last(notify_shared_log(notify_subs_shared(f->subs))), 110);
}

/* ---- the previous version's store: whole copies, served over a socket ---- */

/* What notify_route_append wrote for every subscriber before the shared log. */
static void legacy_append(fx *f, const char *id, uint64_t n, uint8_t **copy, size_t *clen)
{
    notify_sub *s = sub(f, id);
    uint8_t buf[512];
    size_t len = event(n, "X-1", buf);
    Jiju__V1__Envelope *env = jiju__v1__envelope__unpack(NULL, len, buf);
    store_txn_t *txn = store_txn_new(f->store);

    env->seq = stream_log_next(s->log);
    assert_int_equal(pb_pack(&env->base, copy, clen), 0);
    assert_int_equal(stream_log_append(s->log, txn, *copy, *clen, NULL), 0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
    jiju__v1__envelope__free_unpacked(env, NULL);
}

typedef struct server {
    fx *f;
    svc_t *svc;
    stream_peer_t *peer;
    pthread_t thread;
} server;

static stream_log_t *deliveries(void *arg, const char *stream, const char *consumer,
                                stream_refusal *why)
{
    server *sv = arg;
    notify_sub *s = notify_subs_find(sv->f->subs, consumer);

    (void)why;
    return strcmp(stream, "deliveries") == 0 && s ? s->log : NULL;
}

static void *run_svc(void *arg)
{
    svc_run(arg);
    return NULL;
}

static void test_legacy_store_served(void **state)
{
    fx *f = *state;
    uint8_t *legacy[5];
    size_t llen[5];
    stream_opts o = {.self_id = "notification", .heartbeat_ms = 50, .timeout_ms = 2000};
    server sv = {.f = f};
    void *zctx = zmq_ctx_new();
    stream_sub_t *c;
    char ep[64];

    for (uint64_t n = 1; n <= 5; n++)
        legacy_append(f, "all-0", n, &legacy[n - 1], &llen[n - 1]);
    fx_close(f); /* the upgrade: the new version opens that store */
    fx_open(f);
    emit(f, 6, 8); /* all-0's 6..8: references */
    assert_non_null(sv.svc = svc_new("test-deliveries"));
    sv.peer = stream_serve(sv.svc, f->store, "tcp://127.0.0.1:*", &o, deliveries, NULL, &sv);
    assert_non_null(sv.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(sv.peer));
    assert_int_equal(pthread_create(&sv.thread, NULL, run_svc, sv.svc), 0);
    assert_non_null(c = stream_sub_open(zctx, ep, "deliveries", "all-0", 1, 100, 50, 2000));
    for (uint64_t k = 1; k <= 8; k++) {
        uint64_t seq;
        uint8_t *data;
        size_t len;
        Jiju__V1__Envelope *env;
        char id[64];

        assert_int_equal(stream_sub_next(c, 10000, &seq, &data, &len), JIJU_OK);
        assert_int_equal(seq, k);
        if (k <= 5) { /* the stored bytes, unchanged */
            assert_int_equal(len, llen[k - 1]);
            assert_memory_equal(data, legacy[k - 1], len);
        }
        assert_non_null(env = jiju__v1__envelope__unpack(NULL, len, data));
        snprintf(id, sizeof id, "assessment/%llu", (unsigned long long)k);
        assert_int_equal(env->seq, k);
        assert_string_equal(env->id, id);
        jiju__v1__envelope__free_unpacked(env, NULL);
        free(data);
    }
    stream_sub_destroy(&c);
    svc_stop(sv.svc);
    pthread_join(sv.thread, NULL);
    stream_peer_destroy(&sv.peer);
    svc_destroy(&sv.svc);
    zmq_ctx_term(zctx);
    for (int i = 0; i < 5; i++)
        free(legacy[i]);
    /* whole records pin nothing: retention may trim the shared log below
     * all-0's first reference only */
    notify_retention rules = {0, 0};
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_int_equal(stream_log_first(notify_shared_log(notify_subs_shared(f->subs))), 1);
}

/* ---- trimming ---- */

static void served_copy(notify_sub *s, uint64_t seq, uint8_t **out, size_t *len)
{
    void *d = NULL;

    assert_int_equal(stream_log_read(s->log, seq, &d, len), 0);
    *out = d;
}

static void test_trim_and_whole_copies(void **state)
{
    fx *f = *state;
    stream_log_t *shared = notify_shared_log(notify_subs_shared(f->subs));
    notify_retention rules = {20, 0};
    uint8_t *before[10], raw[1024];
    size_t blen[10];
    uint64_t sseq;
    char err[256];

    emit(f, 1, 100);
    for (uint64_t k = 1; k <= 10; k++)
        served_copy(sub(f, "rare"), k, &before[k - 1], &blen[k - 1]);
    /* every all-N keeps 82..100 and the EventsDropped appended as 101; rare
     * keeps all 10, but those that refer further back than 20 shared
     * records (below 81) become whole */
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_int_equal(stream_log_first(sub(f, "all-2")->log), 82);
    assert_int_equal(stream_log_last(sub(f, "all-2")->log), 101);
    assert_int_equal(stream_log_first(shared), 82);
    for (uint64_t k = 1; k <= 10; k++) {
        uint8_t *now;
        size_t nlen, slen = stored(f->store, sub(f, "rare")->log, k, raw, sizeof raw);
        /* rare's 9 and 10 (events 90, 100) still refer */
        assert_int_equal(notify_shared_is_ref(raw, slen, &sseq), k >= 9);
        served_copy(sub(f, "rare"), k, &now, &nlen);
        assert_int_equal(nlen, blen[k - 1]);
        assert_memory_equal(now, before[k - 1], nlen); /* served exactly as before */
        free(now);
        free(before[k - 1]);
    }
    for (uint64_t k = 82; k <= 100; k++)
        assert_served(sub(f, "all-4"), k, k);
    /* the same after a restart, and trimming again finds nothing more */
    fx_close(f);
    fx_open(f);
    shared = notify_shared_log(notify_subs_shared(f->subs));
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_int_equal(stream_log_first(shared), 82);
    assert_served(sub(f, "rare"), 1, 10);
    assert_served(sub(f, "rare"), 10, 100);
    /* removing every subscriber but rare: only its references hold */
    for (int i = 0; i < N_ALL; i++) {
        char id[16];
        snprintf(id, sizeof id, "all-%d", i);
        assert_int_equal(notify_subs_remove(f->subs, id), 0);
    }
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_int_equal(stream_log_first(shared), 90);
    assert_served(sub(f, "rare"), 9, 90);
    /* a removed id added again continues its sequence */
    {
        Jiju__V1__Subscription **subs;
        size_t n;
        char path[128];
        FILE *fp;
        snprintf(path, sizeof path, "%s/again.json", f->dir);
        assert_non_null(fp = fopen(path, "w"));
        fprintf(fp, "{\"subscriptions\": [{\"id\": \"all-0\"}]}");
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(notify_seed_load(path, &subs, &n, err, sizeof err), 0);
        assert_int_equal(notify_subs_put(f->subs, subs, n, false, false, err, sizeof err), 0);
        free(subs);
    }
    emit(f, 101, 101);
    assert_int_equal(stream_log_first(sub(f, "all-0")->log), 102);
    assert_served(sub(f, "all-0"), 102, 101);
}

/* ---- runs, and the stores of sessions 3 and 4 beside them ---- */

/* Keys of subscriber id's log (its meta, seq 0, not counted). */
static int sub_keys(fx *f, const char *id)
{
    char name[64];

    snprintf(name, sizeof name, "sub/%s", id);
    return test_log_keys(f->store, name);
}

/* A record as the code before runs stored it: name '\0' be64(seq) -> the
 * bytes, one key per record (written into the closed store directly, as
 * that code left it on disk). */
static void old_put(store_t *store, const char *name, uint64_t seq, const void *v, size_t len)
{
    uint8_t key[80];
    size_t plen = strlen(name) + 1;
    store_txn_t *txn = store_txn_new(store);

    memcpy(key, name, plen);
    store_be64_put(key + plen, seq);
    assert_int_equal(store_txn_put(txn, store_cf(store, STORE_CF_LOG), key, plen + 8, v, len), 0);
    assert_int_equal(store_txn_commit(txn, true), 0);
    store_txn_destroy(&txn);
}

/* Event n with seq 0, as the shared log holds it. */
static size_t shared_event(uint64_t n, const char *subject, uint8_t *buf)
{
    Jiju__V1__Envelope *env;
    size_t len = event(n, subject, buf);

    assert_non_null(env = jiju__v1__envelope__unpack(NULL, len, buf));
    env->seq = 0;
    len = jiju__v1__envelope__pack(env, buf);
    jiju__v1__envelope__free_unpacked(env, NULL);
    return len;
}

/* Records from..to of subscriber id served over a real socket (stream_sub
 * from `from`): each an Envelope with seq = its record seq and the id of
 * event want[k - from] (0: an EventsDropped). */
static void served_over_socket(fx *f, const char *id, uint64_t from, uint64_t to,
                               const uint64_t *want)
{
    stream_opts o = {.self_id = "notification", .heartbeat_ms = 50, .timeout_ms = 2000};
    server sv = {.f = f};
    void *zctx = zmq_ctx_new();
    stream_sub_t *c;
    char ep[64];

    assert_non_null(sv.svc = svc_new("test-deliveries"));
    sv.peer = stream_serve(sv.svc, f->store, "tcp://127.0.0.1:*", &o, deliveries, NULL, &sv);
    assert_non_null(sv.peer);
    snprintf(ep, sizeof ep, "%s", stream_peer_endpoint(sv.peer));
    assert_int_equal(pthread_create(&sv.thread, NULL, run_svc, sv.svc), 0);
    assert_non_null(c = stream_sub_open(zctx, ep, "deliveries", id, from, 100, 50, 2000));
    for (uint64_t k = from; k <= to; k++) {
        uint64_t seq;
        uint8_t *data;
        size_t len;
        Jiju__V1__Envelope *env;
        char eid[64];

        assert_int_equal(stream_sub_next(c, 10000, &seq, &data, &len), JIJU_OK);
        assert_int_equal(seq, k);
        assert_non_null(env = jiju__v1__envelope__unpack(NULL, len, data));
        assert_int_equal(env->seq, k);
        if (want[k - from]) {
            snprintf(eid, sizeof eid, "assessment/%llu", (unsigned long long)want[k - from]);
            assert_string_equal(env->id, eid);
        } else
            assert_int_equal(env->body_case, JIJU__V1__ENVELOPE__BODY_EVENTS_DROPPED);
        jiju__v1__envelope__free_unpacked(env, NULL);
        free(data);
    }
    stream_sub_destroy(&c);
    svc_stop(sv.svc);
    pthread_join(sv.thread, NULL);
    stream_peer_destroy(&sv.peer);
    svc_destroy(&sv.svc);
    zmq_ctx_term(zctx);
}

/* Issue 14: a subscriber's references of one apply batch are one key. A
 * store written before: all-0's 1..3 whole copies (session 3), 4..6 one
 * 9-byte reference per key (session 4) to shared 2..4, rare's 1 a
 * reference to shared 1; after the upgrade 7..9 come as one run. All
 * served with their own seq over a socket; retention trims through the old
 * keys (EventsDropped), the shared log below the oldest reference left;
 * rare's old reference, fallen behind, becomes whole; the same after a
 * restart. */
static void test_runs_and_old_stores(void **state)
{
    fx *f = *state;
    uint8_t buf[512], ref[NOTIFY_REF_LEN], *before;
    size_t len, blen;
    uint64_t sseq;
    const char *cfs[] = {STORE_STREAM_CFS, NOTIFY_CFS};
    store_t *old;

    fx_close(f);
    assert_non_null(old = store_open(f->dir, cfs, 7, NULL, 0));
    len = shared_event(10, "R-1", buf);
    old_put(old, NOTIFY_SHARED_LOG, 1, buf, len);
    notify_shared_ref(1, ref);
    old_put(old, "sub/rare", 1, ref, sizeof ref);
    for (uint64_t n = 1; n <= 3; n++) {
        len = event(n, "X-1", buf); /* whole, its seq n = all-0's seq */
        old_put(old, "sub/all-0", n, buf, len);
        len = shared_event(n + 3, "X-1", buf);
        old_put(old, NOTIFY_SHARED_LOG, n + 1, buf, len);
        notify_shared_ref(n + 1, ref);
        old_put(old, "sub/all-0", n + 3, ref, sizeof ref);
    }
    store_close(&old);

    fx_open(f); /* the upgrade */
    assert_int_equal(stream_log_last(sub(f, "all-0")->log), 6);
    assert_int_equal(stream_log_last(notify_shared_log(notify_subs_shared(f->subs))), 4);
    emit(f, 11, 13); /* one txn: all-0's 7..9, one key */
    assert_int_equal(sub_keys(f, "all-0"), 7);
    assert_int_equal(sub_keys(f, "all-1"), 1);
    emit(f, 14, 14);
    emit(f, 15, 15); /* two more txns: two more keys */
    assert_int_equal(sub_keys(f, "all-0"), 9);
    const uint64_t all0[] = {1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15};
    served_over_socket(f, "all-0", 1, 11, all0);
    served_copy(sub(f, "rare"), 1, &before, &blen);

    /* 8 kept of all-0's 11 (one place for the EventsDropped): 1..4 go */
    notify_retention rules = {8, 0};
    assert_int_equal(notify_retention_run(&f->route, &rules, NULL, NULL), 0);
    assert_int_equal(stream_log_first(sub(f, "all-0")->log), 5);
    assert_int_equal(stream_log_last(sub(f, "all-0")->log), 12);
    /* the shared log: rare's reference to 1 fell more than 8 behind the
     * newest (9) and became whole; all-0's 5 refers to shared 3 */
    len = stored(f->store, sub(f, "rare")->log, 1, buf, sizeof buf);
    assert_false(notify_shared_is_ref(buf, len, &sseq));
    assert_int_equal(len, blen);
    assert_memory_equal(buf, before, blen);
    free(before);
    assert_int_equal(stream_log_first(notify_shared_log(notify_subs_shared(f->subs))), 3);
    const uint64_t kept[] = {5, 6, 11, 12, 13, 14, 15, 0};
    served_over_socket(f, "all-0", 5, 12, kept);
    fx_close(f);
    fx_open(f);
    assert_int_equal(stream_log_first(sub(f, "all-0")->log), 5);
    served_over_socket(f, "all-0", 5, 12, kept);
    assert_served(sub(f, "rare"), 1, 10);
    emit(f, 20, 20);
    assert_served(sub(f, "rare"), 2, 20);
}

/* ---- kill -9 with routed events in the open txn ---- */

static void test_kill_before_commit(void **state)
{
    fx *f = *state;
    pid_t pid;
    int status;

    fx_close(f);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* a notification: 10 routed and committed, 5 more pending */
        store_txn_t *txn;
        fx_open(f);
        emit(f, 1, 10);
        txn = store_txn_new(f->store);
        route(f, txn, 11, 15); /* shared records and references, not committed */
        raise(SIGKILL);
        _exit(1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    fx_open(f);
    /* neither the shared records nor the references of 11..15 */
    assert_int_equal(stream_log_last(notify_shared_log(notify_subs_shared(f->subs))), 10);
    assert_int_equal(stream_log_last(sub(f, "all-1")->log), 10);
    assert_int_equal(stream_log_last(sub(f, "rare")->log), 1);
    /* routed again after the restart: the same sequences, each event once */
    emit(f, 11, 20);
    for (uint64_t k = 1; k <= 20; k++)
        assert_served(sub(f, "all-1"), k, k);
    assert_served(sub(f, "rare"), 2, 20);
    assert_int_equal(stream_log_last(sub(f, "rare")->log), 2);
}

/* The cache of the newest shared records stays within its byte budget
 * whatever passes through it, and serves every record, cached or not: it
 * used to keep in each of its 4096 slots the largest record that ever
 * went there (149 MB after 800,000 reports with provisional rankings). */
static void test_cache_bounded(void **state)
{
    fx *f = *state;
    const char *cfs[] = {STORE_STREAM_CFS, NOTIFY_CFS};
    enum { BIG = 64 * 1024, N_BIG = 40, SMALL = 100, N_SMALL = 4096, BUDGET = 1024 * 1024 };
    static uint8_t rec[BIG];
    notify_shared_t *sh;
    store_txn_t *txn;
    uint64_t sseq, first = 0;

    fx_close(f); /* a store of our own: one writer of the shared log */
    assert_non_null(f->store = store_open(f->dir, cfs, 7, NULL, 0));
    assert_non_null(sh = notify_shared_open(f->store, BUDGET));
    assert_non_null(txn = store_txn_new(f->store));
    for (int i = 0; i < N_BIG + N_SMALL; i++) {
        memset(rec, 'a' + i % 26, sizeof rec);
        assert_int_equal(notify_shared_append(sh, txn, rec, i < N_BIG ? BIG : SMALL, &sseq),
                         JIJU_OK);
        first = first ? first : sseq;
        assert_true(notify_shared_cache_bytes(sh) <= BUDGET);
        if (i % 10 == 9)
            assert_int_equal(store_txn_commit(txn, false), JIJU_OK);
    }
    assert_int_equal(store_txn_commit(txn, true), JIJU_OK);
    /* the small ones evicted the big and took every slot: each buffer is its
     * record's size and the room for the seq */
    assert_int_equal(notify_shared_cache_bytes(sh), (size_t)N_SMALL * (SMALL + NOTIFY_STAMP_ROOM));
    for (int i = 0; i < N_BIG + N_SMALL; i += 7) { /* the big ones from the store */
        uint8_t ref[NOTIFY_REF_LEN];
        const uint8_t *out;
        size_t len, want = i < N_BIG ? BIG : SMALL;

        notify_shared_ref(first + (uint64_t)i, ref);
        assert_int_equal(notify_shared_resolve(sh, 5, ref, sizeof ref, &out, &len), JIJU_OK);
        assert_true(len > want && len <= want + 11); /* the bytes, then seq 5 */
        memset(rec, 'a' + i % 26, want);
        assert_memory_equal(out, rec, want);
    }
    /* the seq behind the bytes is what protobuf-c writes for Envelope.seq,
     * of any width */
    for (uint64_t seq = 1; seq != 0 && seq < UINT64_MAX / 2; seq = seq * 131 + 7) {
        Jiju__V1__Envelope stamp = JIJU__V1__ENVELOPE__INIT;
        uint8_t ref[NOTIFY_REF_LEN], want[16];
        const uint8_t *out;
        size_t len, n;

        stamp.seq = seq;
        n = jiju__v1__envelope__pack(&stamp, want);
        notify_shared_ref(first + N_BIG + N_SMALL - 1, ref); /* cached */
        assert_int_equal(notify_shared_resolve(sh, seq, ref, sizeof ref, &out, &len), JIJU_OK);
        assert_int_equal(len, SMALL + n);
        assert_memory_equal(out + SMALL, want, n);
    }
    store_txn_destroy(&txn);
    notify_shared_destroy(&sh);
    store_close(&f->store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_store_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trim_and_whole_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_before_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_and_old_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
