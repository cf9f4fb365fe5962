/* test_replier.c - the common replier in a real svc loop over a real
 * ZeroMQ socket: immediate and deferred replies, REQ delimiters, the drain
 * limit, after_drain once per wake-up, and the request_id rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "replier.h"
#include "svc.h"

#define EP "inproc://test-replier"
#define MAX_HELD 16

typedef struct fixture {
    svc_t *svc;
    replier_t *r;
    void *dealer, *req;
    replier_route held[MAX_HELD]; /* deferred requests, answered in after_drain */
    size_t n_held;
    size_t drains, biggest_drain, seen;
    char user_ids[64];
    int ticks, want, got;
    char replies[32][64];
} fixture;

/* "defer..." is answered after the drain; anything else at once, as "re:<payload>". */
static int handler(void *arg, const replier_route *route, const uint8_t *req, size_t len,
                   uint8_t **reply, size_t *reply_len)
{
    fixture *f = arg;

    f->seen++;
    snprintf(f->user_ids, sizeof f->user_ids, "%s", route->user_id);
    if (len >= 5 && memcmp(req, "defer", 5) == 0) {
        assert_true(f->n_held < MAX_HELD);
        f->held[f->n_held++] = *route;
        return REPLIER_DEFER;
    }
    if (len == 4 && memcmp(req, "drop", 4) == 0)
        return REPLIER_DROP;
    *reply = malloc(len + 3);
    memcpy(*reply, "re:", 3);
    memcpy(*reply + 3, req, len);
    *reply_len = len + 3;
    return REPLIER_SEND;
}

static void drained(void *arg, replier_t *r)
{
    fixture *f = arg;
    char text[64];

    f->drains++;
    if (f->n_held > f->biggest_drain)
        f->biggest_drain = f->n_held;
    for (size_t i = 0; i < f->n_held; i++) {
        int n = snprintf(text, sizeof text, "late:%zu/%zu", i + 1, f->n_held);
        replier_reply(r, &f->held[i], text, (size_t)n);
    }
    f->n_held = 0;
}

/* Collect what the clients got; stop when every reply came (or after 2 s). */
static void client_tick(svc_t *svc, void *arg)
{
    fixture *f = arg;
    void *socks[2] = {f->dealer, f->req};

    for (int s = 0; s < 2; s++) {
        char buf[64];
        int n;

        while (f->got < 32 && (n = zmq_recv(socks[s], buf, sizeof buf - 1, ZMQ_DONTWAIT)) >= 0) {
            buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = '\0';
            snprintf(f->replies[f->got++], sizeof f->replies[0], "%s", buf);
        }
    }
    if (f->got >= f->want || ++f->ticks > 400)
        svc_stop(svc);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    replier_opts opts = {.max_drain = 2, .after_drain = drained};
    int zero = 0;

    assert_non_null(f);
    assert_non_null(f->svc = svc_new("test"));
    assert_non_null(f->r = replier_new(f->svc, EP, &opts, handler, f));
    f->dealer = zmq_socket(svc_zmq(f->svc), ZMQ_DEALER);
    f->req = zmq_socket(svc_zmq(f->svc), ZMQ_REQ);
    zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(f->req, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(f->dealer, EP), 0);
    assert_int_equal(zmq_connect(f->req, EP), 0);
    assert_int_equal(svc_every(f->svc, 5, client_tick, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    zmq_close(f->dealer);
    zmq_close(f->req);
    replier_destroy(&f->r);
    assert_null(f->r);
    replier_destroy(&f->r); /* NULL-safe */
    svc_destroy(&f->svc);
    free(f);
    return 0;
}

static int has_reply(const fixture *f, const char *text)
{
    for (int i = 0; i < f->got; i++)
        if (strcmp(f->replies[i], text) == 0)
            return 1;
    return 0;
}

static void test_immediate_and_req(void **state)
{
    fixture *f = *state;

    zmq_send(f->dealer, "a", 1, 0);
    zmq_send(f->dealer, "drop", 4, 0); /* no reply at all */
    zmq_send(f->dealer, "b", 1, 0);
    zmq_send(f->req, "via-req", 7, 0); /* REQ: the delimiter goes back too */
    f->want = 3;
    assert_int_equal(svc_run(f->svc), 0);
    assert_int_equal(f->got, 3);
    assert_true(has_reply(f, "re:a"));
    assert_true(has_reply(f, "re:b"));
    assert_true(has_reply(f, "re:via-req"));
    assert_int_equal(f->seen, 4);
    assert_int_equal(replier_answered(f->r), 3);
    assert_string_equal(f->user_ids, ""); /* plain mode: no User-Id */
}

/* Five deferred requests and max_drain 2: they are read two at a time,
 * after_drain runs once per wake-up and answers each batch after it. */
static void test_deferred_batches(void **state)
{
    fixture *f = *state;
    char req[16];

    for (int i = 0; i < 5; i++) {
        int n = snprintf(req, sizeof req, "defer-%d", i);
        zmq_send(f->dealer, req, (size_t)n, 0);
    }
    f->want = 5;
    assert_int_equal(svc_run(f->svc), 0);
    assert_int_equal(f->got, 5);
    assert_int_equal(f->seen, 5);
    assert_int_equal(f->biggest_drain, 2); /* never more than max_drain per wake-up */
    assert_true(f->drains >= 3);
    assert_true(has_reply(f, "late:2/2"));
    assert_true(has_reply(f, "late:1/1") || has_reply(f, "late:1/2"));
    assert_int_equal(replier_answered(f->r), 5);
}

static void test_request_id_rule(void **state)
{
    char id[200], buf[256];
    const char *why;

    (void)state;
    assert_true(replier_request_id_ok(NULL));
    assert_true(replier_request_id_ok(""));
    memset(id, 'x', 128);
    id[128] = '\0';
    assert_true(replier_request_id_ok(id));
    assert_ptr_equal(replier_request_id_echo(id), id);
    assert_null(replier_request_id_refusal(id, buf, sizeof buf));
    assert_true(replier_request_id_ok("请求-1")); /* UTF-8 beyond ASCII is fine */

    id[128] = 'x';
    id[129] = '\0';
    assert_false(replier_request_id_ok(id));
    assert_string_equal(replier_request_id_echo(id), "");
    why = replier_request_id_refusal(id, buf, sizeof buf);
    assert_non_null(why);
    assert_non_null(strstr(why, "E_REQUEST_ID: request_id must be at most 128 bytes"));
    assert_non_null(strstr(why, "got 129 bytes \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\""));

    assert_false(replier_request_id_ok("ok\xff"));
    assert_false(replier_request_id_ok("\xc0\xaf"));     /* overlong '/' */
    assert_false(replier_request_id_ok("\xed\xa0\x80")); /* a UTF-16 surrogate */
    why = replier_request_id_refusal("ok\xff", buf, sizeof buf);
    assert_non_null(why);
    assert_non_null(strstr(why, "got 3 bytes that are not UTF-8 \"ok\\xFF\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_immediate_and_req, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_batches, setup, teardown),
        cmocka_unit_test(test_request_id_rule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
