/* test_service.c - the service skeleton: the shared settings table and its
 * rules (SERVICE_SETTINGS_SPECS, service_settings_check), endpoint
 * settings, a data_dir that cannot be created (refused naming file and
 * key), and the loop (svc: timers, after-turn hooks, cancel, stop). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"
#include "proc_rss.h"
#include "service.h"
#include "service_settings.h"
#include "svc.h"

/* A service of our own: the shared settings plus one endpoint. */
typedef struct toy_config {
    service_settings shared;
    char query_endpoint[128];
} toy_config;

static const cfg_spec toy_specs[] = {
    SERVICE_SETTINGS_SPECS(toy_config, shared, "toy", "data/toy"),
    {"query.endpoint", CFG_ENDPOINT, "tcp://127.0.0.1:7999", 0, 128,
     offsetof(toy_config, query_endpoint), NULL, "query ROUTER"},
};

static int toy_check(void *out, cfg_error *err)
{
    return service_settings_check(&((toy_config *)out)->shared, err);
}

static int toy_load(const char **over, size_t n, toy_config *c, cfg_error *err)
{
    memset(c, 0, sizeof *c);
    memset(err, 0, sizeof *err);
    return cfg_load(NULL, toy_specs, sizeof toy_specs / sizeof toy_specs[0], over, n, toy_check, c,
                    err);
}

static void test_shared_defaults(void **state)
{
    toy_config c;
    cfg_error err;

    (void)state;
    assert_int_equal(toy_load(NULL, 0, &c, &err), 0);
    assert_string_equal(c.shared.instance, "toy");
    assert_string_equal(c.shared.data_dir, "data/toy");
    assert_int_equal(c.shared.heartbeat_ms, 1000);
    assert_int_equal(c.shared.timeout_ms, 5000);
    assert_string_equal(c.shared.secret_key_file, "");
    assert_string_equal(c.query_endpoint, "tcp://127.0.0.1:7999");
}

/* The store's memory budgets: defaults, and the write buffers' total
 * below one of them refused, naming the key. */
static void test_store_memory_settings(void **state)
{
    const char *low[] = {"store.memtable_mb=8", "store.memtables_mb=4"};
    const char *ok[] = {"store.block_cache_mb=64", "store.index_in_cache=1"};
    toy_config c;
    cfg_error err;

    (void)state;
    assert_int_equal(toy_load(NULL, 0, &c, &err), 0);
    assert_int_equal(c.shared.store_memtable_mb, 4);
    assert_int_equal(c.shared.store_memtables_mb, 32);
    assert_int_equal(c.shared.store_block_cache_mb, 16);
    assert_int_equal(c.shared.store_index_in_cache, 0);
    assert_int_equal(c.shared.store_max_open_files, 256);
    assert_int_equal(toy_load(low, 2, &c, &err), -1);
    assert_string_equal(err.key, "store.memtables_mb");
    assert_non_null(strstr(err.reason, "must be at least store.memtable_mb (8), got 4"));
    assert_int_equal(toy_load(ok, 2, &c, &err), 0);
    assert_int_equal(c.shared.store_block_cache_mb, 64);
}

/* 10.8: a timeout at or below the heartbeat is refused, naming the key. */
static void test_timeout_above_heartbeat(void **state)
{
    const char *eq[] = {"stream.heartbeat_ms=2000", "stream.timeout_ms=2000"};
    const char *ok[] = {"stream.heartbeat_ms=2000", "stream.timeout_ms=2001"};
    const char *bounds[] = {"stream.heartbeat_ms=9"};
    toy_config c;
    cfg_error err;

    (void)state;
    assert_int_equal(toy_load(eq, 2, &c, &err), -1);
    assert_string_equal(err.key, "stream.timeout_ms");
    assert_string_equal(err.file, "(defaults)");
    assert_non_null(
        strstr(err.reason, "must be greater than stream.heartbeat_ms (2000), got 2000"));
    assert_int_equal(toy_load(ok, 2, &c, &err), 0);
    assert_int_equal(toy_load(bounds, 1, &c, &err), -1);
    assert_string_equal(err.key, "stream.heartbeat_ms");
    assert_string_equal(err.reason, "must be between 10 and 600000, got 9");
}

static void test_empty_names(void **state)
{
    const char *no_dir[] = {"data_dir="};
    const char *no_id[] = {"instance="};
    toy_config c;
    cfg_error err;

    (void)state;
    assert_int_equal(toy_load(no_dir, 1, &c, &err), -1);
    assert_string_equal(err.key, "data_dir");
    assert_string_equal(err.reason, "must not be empty");
    assert_int_equal(toy_load(no_id, 1, &c, &err), -1);
    assert_string_equal(err.key, "instance");
}

static void test_endpoints(void **state)
{
    static const struct {
        const char *value;
        const char *reason; /* NULL: accepted */
    } cases[] = {
        {"query.endpoint=tcp://0.0.0.0:7102", NULL},
        {"query.endpoint=tcp://*:7102", NULL},
        {"query.endpoint=tcp://assessment:7101", NULL},
        {"query.endpoint=tcp://[::1]:7102", NULL},
        {"query.endpoint=tcp://127.0.0.1:*", NULL},
        {"query.endpoint=ipc:///run/jiju/q", NULL},
        {"query.endpoint=inproc://q", NULL},
        {"query.endpoint=tcp://127.0.0.1", "a host, then a port"},
        {"query.endpoint=tcp://127.0.0.1:70000", "port of tcp://HOST:PORT must be 1-65535"},
        {"query.endpoint=tcp://127.0.0.1:7x", "port of tcp://HOST:PORT must be 1-65535"},
        {"query.endpoint=tcp://:7102", "a host, then a port"},
        {"query.endpoint=http://127.0.0.1:7102", "must be tcp://HOST:PORT, ipc://PATH"},
        {"query.endpoint=ipc://", "must be tcp://HOST:PORT, ipc://PATH"},
    };
    toy_config c;
    cfg_error err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *over[] = {cases[i].value};
        int rc = toy_load(over, 1, &c, &err);

        if (!cases[i].reason) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_string_equal(err.key, "query.endpoint");
        assert_string_equal(err.file, "--set");
        if (!strstr(err.reason, cases[i].reason))
            fail_msg("%s: reason \"%s\"", cases[i].value, err.reason);
        assert_non_null(strstr(err.reason, strchr(cases[i].value, '=') + 1));
    }
}

static int toy_service_load(const char *path, const char *const *over, size_t n, void *cfg,
                            cfg_error *err)
{
    memset(cfg, 0, sizeof(toy_config));
    return cfg_load(path, toy_specs, sizeof toy_specs / sizeof toy_specs[0], over, n, toy_check,
                    cfg, err);
}

/* A data_dir that cannot be created is a refused setting (exit code 2); a
 * directory that can be is created and opened. */
static void test_data_dir(void **state)
{
    char dir[] = "/tmp/jiju-test-service-XXXXXX", sub[128];
    char *argv[] = {"jiju-toy", "--set", "data_dir=/proc/no/such/dir", NULL};
    service_t s;
    toy_config c;

    (void)state;
    assert_int_equal(service_start(&s, "toy", 3, argv, NULL, 0, &c, toy_service_load), 0);
    assert_string_equal(c.shared.data_dir, "/proc/no/such/dir");
    assert_int_equal(service_open_store(&s, c.shared.data_dir, NULL, 0), -1);
    assert_int_equal(s.exit_code, 2);
    assert_null(s.store);
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    assert_int_equal(service_open_store(&s, sub, NULL, 0), 0);
    assert_non_null(s.store);
    service_stop(&s);
    service_stop(&s); /* idempotent */
    assert_int_equal(system((snprintf(sub, sizeof sub, "rm -rf %s", dir), sub)), 0);
}

/* A start with a refused setting returns -1 and exit code 2. */
static void test_start_refused(void **state)
{
    char *argv[] = {
        "jiju-toy", "--set", "stream.timeout_ms=100", "--set", "stream.heartbeat_ms=100", NULL};
    service_t s;
    toy_config c;

    (void)state;
    assert_int_equal(service_start(&s, "toy", 5, argv, NULL, 0, &c, toy_service_load), -1);
    assert_int_equal(s.exit_code, 2);
    service_stop(&s);
}

typedef struct loop_counts {
    int ticks, turns, cancelled_ticks;
} loop_counts;

static void on_tick(svc_t *svc, void *arg)
{
    loop_counts *n = arg;

    if (++n->ticks == 5)
        svc_stop(svc);
}

static void on_turn(svc_t *svc, void *arg)
{
    (void)svc;
    ((loop_counts *)arg)->turns++;
}

static void on_cancelled(svc_t *svc, void *arg)
{
    (void)svc;
    ((loop_counts *)arg)->cancelled_ticks++;
}

/* The loop: a timer stops it, after-turn hooks run every turn, a cancelled
 * handler never runs, and a loop runs again after a stop. */
static void test_loop(void **state)
{
    svc_t *svc = svc_new("toy");
    loop_counts n = {0}, other = {0};

    (void)state;
    assert_non_null(svc);
    assert_string_equal(svc_name(svc), "toy");
    assert_null(svc_zap(svc)); /* plain mode until zap_attach */
    assert_int_equal(svc_every(svc, 2, on_tick, &n), 0);
    assert_int_equal(svc_after_turn(svc, on_turn, &n), 0);
    assert_int_equal(svc_every(svc, 1, on_cancelled, &other), 0);
    svc_cancel(svc, &other);
    assert_int_equal(svc_run(svc), 0);
    assert_int_equal(n.ticks, 5);
    assert_true(n.turns >= 5);
    assert_int_equal(other.cancelled_ticks, 0);
    n.ticks = 0;
    assert_int_equal(svc_run(svc), 0); /* again, after svc_stop */
    assert_int_equal(n.ticks, 5);
    svc_destroy(&svc);
    assert_null(svc);
    svc_destroy(&svc);
}

/* Freed heap memory goes back to the system: 64 MB in 16 KiB blocks, each
 * followed by a small block still in use (so no free block reaches the
 * top of the heap), freed; resident until service_trim_memory(). In a
 * thread of its own: a fresh malloc arena, where blocks lie in the order
 * they were asked for (the main arena's free blocks from earlier tests
 * would serve the small ones). */
typedef struct trim_run {
    long before, freed, trimmed;
    int released;
} trim_run;

static void *trim_main(void *arg)
{
    enum { N = 4096, BIG = 16 * 1024 };
    static void *big[N], *small[N];
    trim_run *t = arg;

    for (int i = 0; i < N; i++) {
        if (!(big[i] = malloc(BIG)) || !(small[i] = malloc(32)))
            return NULL;
        memset(big[i], 1, BIG);
    }
    t->before = proc_self_rss_kb();
    for (int i = 0; i < N; i++)
        free(big[i]);
    t->freed = proc_self_rss_kb();
    t->released = service_trim_memory();
    t->trimmed = proc_self_rss_kb();
    for (int i = 0; i < N; i++)
        free(small[i]);
    return NULL;
}

static void test_trim_memory(void **state)
{
    trim_run t = {0};
    pthread_t th;

    (void)state;
#ifdef __SANITIZE_ADDRESS__
    /* ASan replaces glibc's malloc: malloc_trim has nothing of it to return */
    skip();
#endif
    assert_int_equal(pthread_create(&th, NULL, trim_main, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(t.before > 0);
    assert_true(t.freed > t.before - 16 * 1024); /* free alone keeps most of it */
    assert_int_equal(t.released, 1);
    assert_true(t.trimmed < t.freed - 48 * 1024); /* the trim returns it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_defaults),
        cmocka_unit_test(test_timeout_above_heartbeat),
        cmocka_unit_test(test_store_memory_settings),
        cmocka_unit_test(test_empty_names),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_data_dir),
        cmocka_unit_test(test_start_refused),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_trim_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
