/* test_rpc.c - rpc client against real ROUTER servers in threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zmq.h>

#include "err.h"
#include "rpc.h"

enum { MODE_ECHO = 0, MODE_SILENT = 1 };

/* A ROUTER on tcp://127.0.0.1:<random> that echoes each payload to its
 * sender, or in MODE_SILENT only counts it. */
typedef struct server {
    void *sock;
    char endpoint[128];
    atomic_int mode;
    atomic_int stop;
    atomic_int received;
    pthread_t thread;
} server;

static void server_handle(server *s)
{
    zmq_msg_t rid, body;

    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, s->sock, 0) < 0 || zmq_msg_recv(&body, s->sock, 0) < 0)
        goto out_close;
    atomic_fetch_add(&s->received, 1);
    if (atomic_load(&s->mode) == MODE_ECHO) {
        zmq_msg_send(&rid, s->sock, ZMQ_SNDMORE);
        zmq_msg_send(&body, s->sock, 0);
    }
out_close:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

static void *server_main(void *arg)
{
    server *s = arg;

    /* The poll timeout only bounds how late the stop flag is seen. */
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};

        if (zmq_poll(&it, 1, 20) > 0)
            server_handle(s);
    }
    zmq_close(s->sock);
    return NULL;
}

static void *bound_router(void *ctx, char *endpoint, size_t cap)
{
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;

    assert_non_null(sock);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_bind(sock, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &cap), 0);
    return sock;
}

static void server_start(void *ctx, server *s, int mode)
{
    memset(s, 0, sizeof *s);
    s->sock = bound_router(ctx, s->endpoint, sizeof s->endpoint);
    atomic_store(&s->mode, mode);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
}

/* An endpoint nobody listens on: bind a port, then let it go. */
static void dead_endpoint(void *ctx, char *endpoint, size_t cap)
{
    void *sock = bound_router(ctx, endpoint, cap);

    zmq_close(sock);
}

static void test_pipelined(void **state)
{
    void *ctx = zmq_ctx_new();
    server a, b;
    const char *eps[2];
    rpc_t *r;
    int answered = 0;

    server_start(ctx, &a, MODE_ECHO);
    server_start(ctx, &b, MODE_ECHO);
    eps[0] = a.endpoint;
    eps[1] = b.endpoint;
    r = rpc_new(ctx, eps, 2, 10000);
    assert_non_null(r);
    for (int i = 0; i < 1000; i++) {
        char id[16];

        snprintf(id, sizeof id, "r%d", i);
        assert_int_equal(rpc_send(r, id, id, strlen(id)), JIJU_OK);
    }
    assert_int_equal(rpc_send(r, "r7", "x", 1), JIJU_ERR_EXISTS);
    assert_int_equal(rpc_pending(r), 1000);
    while (rpc_pending(r) > 0) {
        uint8_t *reply = NULL;
        size_t len = 0;
        int ep = -1;
        char id[16];

        assert_int_equal(rpc_recv(r, 10000, &reply, &len, &ep), JIJU_OK);
        assert_true(len < sizeof id);
        assert_true(ep == 0 || ep == 1);
        memcpy(id, reply, len);
        id[len] = '\0';
        free(reply);
        assert_int_equal(rpc_done(r, id), JIJU_OK);
        answered++;
    }
    assert_int_equal(answered, 1000);
    assert_int_equal(rpc_done(r, "r1"), JIJU_ERR_NOT_FOUND);
    {
        char id[16];
        uint8_t *reply = NULL;
        size_t len = 0;

        assert_int_equal(rpc_take_failed(r, id, sizeof id), JIJU_ERR_NOT_FOUND);
        assert_int_equal(rpc_recv(r, 0, &reply, &len, NULL), JIJU_ERR_NOT_FOUND);
    }
    rpc_destroy(&r);
    assert_null(r);
    server_stop(&a);
    server_stop(&b);
    zmq_ctx_term(ctx);
}

/* Send pairs of requests (one preferring each endpoint) until both
 * endpoints have answered, so both sockets are known to be connected and
 * the round-robin cursor is back at endpoint 0. */
static void warm_up(rpc_t *r)
{
    int seen[2] = {0, 0};

    while (!seen[0] || !seen[1]) {
        assert_int_equal(rpc_send(r, "w0", "w0", 2), JIJU_OK);
        assert_int_equal(rpc_send(r, "w1", "w1", 2), JIJU_OK);
        while (rpc_pending(r) > 0) {
            uint8_t *reply = NULL;
            size_t len = 0;
            int ep = -1;
            char id[3] = {0};

            assert_int_equal(rpc_recv(r, 10000, &reply, &len, &ep), JIJU_OK);
            assert_int_equal(len, 2);
            memcpy(id, reply, 2);
            free(reply);
            assert_int_equal(rpc_done(r, id), JIJU_OK);
            seen[ep] = 1;
        }
    }
}

static void test_failover(void **state)
{
    void *ctx = zmq_ctx_new();
    server a, b;
    const char *eps[2];
    uint8_t *reply = NULL;
    size_t len = 0;
    int ep = -1;
    rpc_t *r;

    server_start(ctx, &a, MODE_ECHO);
    server_start(ctx, &b, MODE_ECHO);
    eps[0] = a.endpoint;
    eps[1] = b.endpoint;
    r = rpc_new(ctx, eps, 2, 300);
    assert_non_null(r);
    warm_up(r);
    atomic_store(&a.mode, MODE_SILENT);
    atomic_store(&a.received, 0);

    assert_int_equal(rpc_send(r, "q", "hello", 5), JIJU_OK);
    assert_int_equal(rpc_recv(r, 10000, &reply, &len, &ep), JIJU_OK);
    assert_int_equal(ep, 1);
    assert_int_equal(len, 5);
    assert_memory_equal(reply, "hello", 5);
    free(reply);
    /* The first endpoint did get it, and did not answer. */
    assert_int_equal(atomic_load(&a.received), 1);
    assert_int_equal(rpc_done(r, "q"), JIJU_OK);

    /* rpc_call fails over the same way, whichever endpoint it starts on. */
    reply = NULL;
    assert_int_equal(rpc_call(r, "again", 5, &reply, &len), JIJU_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(reply, "again", 5);
    free(reply);
    assert_int_equal(rpc_pending(r), 0);

    rpc_destroy(&r);
    server_stop(&a);
    server_stop(&b);
    zmq_ctx_term(ctx);
}

/* Many requests in flight on a silent endpoint: the first timeout renews
 * that socket and moves all of them to the other endpoint; none fails. */
static void test_pipelined_failover(void **state)
{
    void *ctx = zmq_ctx_new();
    server a, b;
    const char *eps[2];
    int answered = 0;
    rpc_t *r;

    server_start(ctx, &a, MODE_ECHO);
    server_start(ctx, &b, MODE_ECHO);
    eps[0] = a.endpoint;
    eps[1] = b.endpoint;
    r = rpc_new(ctx, eps, 2, 500);
    assert_non_null(r);
    warm_up(r);
    atomic_store(&a.mode, MODE_SILENT);
    for (int i = 0; i < 200; i++) {
        char id[16];

        snprintf(id, sizeof id, "p%d", i);
        assert_int_equal(rpc_send(r, id, id, strlen(id)), JIJU_OK);
    }
    while (rpc_pending(r) > 0) {
        uint8_t *reply = NULL;
        size_t len = 0;
        int ep = -1;
        char id[16];

        assert_int_equal(rpc_recv(r, 10000, &reply, &len, &ep), JIJU_OK);
        assert_int_equal(ep, 1);
        assert_true(len < sizeof id);
        memcpy(id, reply, len);
        id[len] = '\0';
        free(reply);
        assert_int_equal(rpc_done(r, id), JIJU_OK);
        answered++;
    }
    assert_int_equal(answered, 200);
    assert_true(atomic_load(&a.received) >= 1);
    rpc_destroy(&r);
    server_stop(&a);
    server_stop(&b);
    zmq_ctx_term(ctx);
}

/* Wait until `id` is reported failed; every rpc_recv must time out. */
static void expect_failed(rpc_t *r, const char *id)
{
    char got[32];
    int rounds = 0;

    while (rpc_take_failed(r, got, sizeof got) == JIJU_ERR_NOT_FOUND) {
        uint8_t *reply = NULL;
        size_t len = 0;

        assert_true(++rounds < 100);
        assert_int_equal(rpc_recv(r, 10000, &reply, &len, NULL), JIJU_ERR_TIMEOUT);
    }
    assert_string_equal(got, id);
    assert_int_equal(rpc_pending(r), 0);
}

static void test_all_silent_fails(void **state)
{
    void *ctx = zmq_ctx_new();
    server a, b;
    const char *eps[2];
    uint8_t *reply = NULL;
    size_t len = 0;
    char small[4], big[16];
    rpc_t *r;

    server_start(ctx, &a, MODE_SILENT);
    server_start(ctx, &b, MODE_SILENT);
    eps[0] = a.endpoint;
    eps[1] = b.endpoint;
    r = rpc_new(ctx, eps, 2, 100);
    assert_non_null(r);
    assert_int_equal(rpc_send(r, "lost-1", "x", 1), JIJU_OK);
    expect_failed(r, "lost-1");
    /* Each endpoint was tried at most twice (a send may wait unsent). */
    assert_true(atomic_load(&a.received) + atomic_load(&b.received) <= 4);

    assert_int_equal(rpc_call(r, "y", 1, &reply, &len), JIJU_ERR_TIMEOUT);
    assert_null(reply);
    assert_int_equal(rpc_take_failed(r, small, sizeof small), JIJU_ERR_NOT_FOUND);

    assert_int_equal(rpc_send(r, "lost-2", "x", 1), JIJU_OK);
    while (rpc_pending(r) > 0)
        assert_int_equal(rpc_recv(r, 10000, &reply, &len, NULL), JIJU_ERR_TIMEOUT);
    /* Too small a buffer pops nothing. */
    assert_int_equal(rpc_take_failed(r, small, sizeof small), JIJU_ERR_INVALID);
    assert_int_equal(rpc_take_failed(r, big, sizeof big), JIJU_OK);
    assert_string_equal(big, "lost-2");
    rpc_destroy(&r);
    server_stop(&a);
    server_stop(&b);
    zmq_ctx_term(ctx);
}

static void test_nothing_listening_fails(void **state)
{
    void *ctx = zmq_ctx_new();
    char e0[128], e1[128];
    const char *eps[2] = {e0, e1};
    rpc_t *r;

    dead_endpoint(ctx, e0, sizeof e0);
    dead_endpoint(ctx, e1, sizeof e1);
    r = rpc_new(ctx, eps, 2, 100);
    assert_non_null(r);
    assert_int_equal(rpc_send(r, "nobody", "x", 1), JIJU_OK);
    expect_failed(r, "nobody");
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
}

/* CURVE: a server that requires it answers a client given the keys. */
static void test_curve(void **state)
{
    void *ctx = zmq_ctx_new();
    char spub[41], ssec[41], cpub[41], csec[41];
    int one = 1;
    uint8_t *reply = NULL;
    size_t len = 0;
    const char *eps[1];
    server s;
    rpc_t *r;

    if (!zmq_has("curve")) {
        zmq_ctx_term(ctx);
        skip();
    }
    assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
    assert_int_equal(zmq_curve_keypair(cpub, csec), 0);
    memset(&s, 0, sizeof s);
    s.sock = zmq_socket(ctx, ZMQ_ROUTER);
    assert_int_equal(zmq_setsockopt(s.sock, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(s.sock, ZMQ_CURVE_SECRETKEY, ssec, 40), 0);
    assert_int_equal(zmq_bind(s.sock, "tcp://127.0.0.1:*"), 0);
    len = sizeof s.endpoint;
    assert_int_equal(zmq_getsockopt(s.sock, ZMQ_LAST_ENDPOINT, s.endpoint, &len), 0);
    assert_int_equal(pthread_create(&s.thread, NULL, server_main, &s), 0);
    eps[0] = s.endpoint;
    r = rpc_new(ctx, eps, 1, 5000);
    assert_non_null(r);
    assert_int_equal(rpc_set_curve(r, spub, cpub, csec), JIJU_OK);
    assert_int_equal(rpc_call(r, "secret", 6, &reply, &len), JIJU_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(reply, "secret", 6);
    free(reply);
    assert_int_equal(atomic_load(&s.received), 1);
    rpc_destroy(&r);
    server_stop(&s);
    zmq_ctx_term(ctx);
}

static void test_bad_arguments(void **state)
{
    void *ctx = zmq_ctx_new();
    const char *bad[] = {"nonsense://x"};
    const char *good[] = {"tcp://127.0.0.1:1"};
    rpc_t *r;

    assert_null(rpc_new(ctx, bad, 1, 100));
    assert_null(rpc_new(ctx, good, 0, 100));
    assert_null(rpc_new(ctx, good, 1, 0));
    r = rpc_new(ctx, good, 1, 100);
    assert_non_null(r);
    assert_int_equal(rpc_set_curve(r, "short", "short", "short"), JIJU_ERR_INVALID);
    assert_int_equal(rpc_done(r, "none"), JIJU_ERR_NOT_FOUND);
    rpc_destroy(&r);
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
}

/* A reply above the client's limit is never taken whole: libzmq drops the
 * connection at its header, the request is tried again, and rpc_call says
 * JIJU_ERR_TOO_LARGE at once instead of waiting out its timeouts. Under the
 * limit, and with a raised limit, the same reply comes. */
static void test_reply_above_the_limit(void **state)
{
    void *ctx = zmq_ctx_new();
    server s;
    size_t big = RPC_DEFAULT_MAX_REPLY + 1, rlen = 0;
    uint8_t *req = malloc(big), *reply = NULL;
    struct timespec t0, t1;
    rpc_t *r;

    (void)state;
    assert_non_null(req);
    memset(req, 'x', big);
    server_start(ctx, &s, MODE_ECHO);
    r = rpc_new(ctx, (const char *[]){s.endpoint}, 1, 5000);
    assert_non_null(r);
    assert_int_equal(rpc_call(r, "hi", 2, &reply, &rlen), JIJU_OK); /* connected */
    free(reply);
    reply = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rpc_call(r, req, big, &reply, &rlen), JIJU_ERR_TOO_LARGE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(reply);
    assert_true(t1.tv_sec - t0.tv_sec < 4); /* not the 2 x 5 s of timeouts */
    assert_int_equal(atomic_load(&s.received), 1 + 2);
    assert_non_null(strstr(jiju_err_str(JIJU_ERR_TOO_LARGE), "limits.max_frame_bytes"));
    /* the same connection still serves what fits */
    assert_int_equal(rpc_call(r, req, big - 2, &reply, &rlen), JIJU_OK);
    assert_int_equal(rlen, big - 2);
    free(reply);
    assert_int_equal(rpc_set_max_reply(r, 2 * (int64_t)big), JIJU_OK);
    assert_int_equal(rpc_call(r, req, big, &reply, &rlen), JIJU_OK);
    assert_int_equal(rlen, big);
    assert_memory_equal(reply, req, big);
    free(reply);
    assert_int_equal(rpc_set_max_reply(r, 0), JIJU_ERR_INVALID);
    rpc_destroy(&r);
    server_stop(&s);
    free(req);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_pipelined_failover),
        cmocka_unit_test(test_all_silent_fails),
        cmocka_unit_test(test_nothing_listening_fails),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_reply_above_the_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
