/* test_zap.c - key files, the allow-list, and real CURVE handshakes through
 * the ZAP handler in one process: an allowed key gets through with its name
 * as User-Id, an unknown key gets nothing through; a reload (zap_reload, or
 * SIGHUP in a service loop) changes who gets through. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "keys.h"
#include "svc.h"
#include "zap.h"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

typedef struct pair {
    char pub[41], sec[41];
} pair;

static pair new_pair(void)
{
    pair k;

    assert_int_equal(keys_pair_new(k.pub, k.sec), JIJU_OK);
    return k;
}

/* A keys file with one key of each role; admin, reporter, subscriber and
 * service are a, r, s and v. */
static const char *keys_file(const pair *a, const pair *r, const pair *s, const pair *v)
{
    char text[2048];

    snprintf(text, sizeof text,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"drc-admin\",\"role\":\"admin\"},"
             "{\"public\":\"%s\",\"name\":\"jl-wl-001-org\",\"role\":\"reporter\","
             "\"clusters\":[\"JL-WL-001\",\"JL-WL-002\"]},"
             "{\"public\":\"%s\",\"name\":\"fgw\",\"role\":\"subscriber\",\"subscriber\":\"fgw\"},"
             "{\"public\":\"%s\",\"name\":\"ingest\",\"role\":\"service\"}]}",
             a->pub, r->pub, s->pub, v->pub);
    return write_file("keys.json", text);
}

static void test_keys_load_roles(void **state)
{
    pair a = new_pair(), r = new_pair(), s = new_pair(), v = new_pair();
    cfg_error err = {0};
    keys_t *k = keys_load(keys_file(&a, &r, &s, &v), "security.keys_file", &err);
    uint8_t bin[32];

    (void)state;
    assert_non_null(k);
    assert_int_equal(keys_count(k), 4);
    assert_int_equal(keys_by_name(k, "drc-admin")->role, KEY_ROLE_ADMIN);
    assert_string_equal(keys_by_name(k, "fgw")->subscriber, "fgw");
    assert_true(key_allows_cluster(keys_by_name(k, "jl-wl-001-org"), "JL-WL-002"));
    assert_false(key_allows_cluster(keys_by_name(k, "jl-wl-001-org"), "JL-CY-001"));
    assert_true(key_allows_cluster(keys_by_name(k, "drc-admin"), "JL-CY-001"));
    assert_false(key_allows_cluster(keys_by_name(k, "ingest"), "JL-WL-001"));
    zmq_z85_decode(bin, v.pub);
    assert_string_equal(keys_by_public(k, bin)->name, "ingest");
    assert_null(keys_by_name(k, "nobody"));
    keys_destroy(&k);
    assert_null(k);
    keys_destroy(&k);
}

/* Load text as a keys file and expect a refusal blaming key, with a reason
 * containing `reason`. */
static void expect_refused(const char *text, const char *key, const char *reason)
{
    cfg_error err = {0};
    const char *path = write_file("bad.json", text);
    keys_t *k = keys_load(path, "security.keys_file", &err);

    assert_null(k);
    assert_string_equal(err.file, path);
    assert_string_equal(err.key, key);
    if (!strstr(err.reason, reason))
        fail_msg("reason \"%s\" does not contain \"%s\"", err.reason, reason);
}

static void test_keys_load_refusals(void **state)
{
    pair p = new_pair(), q = new_pair();
    char t[1024];
    cfg_error err = {0};

    (void)state;
    assert_null(keys_load("/nonexistent/keys.json", "security.keys_file", &err));
    assert_string_equal(err.key, "security.keys_file");
    assert_string_equal(err.file, "/nonexistent/keys.json");
    expect_refused("{\"keys\": [", "security.keys_file", "line");
    expect_refused("[]", "-", "JSON object");
    expect_refused("{\"keys\":[{\"public\":\"not-z85\",\"name\":\"x\",\"role\":\"admin\"}]}",
                   "keys[0].public", "Z85");
    /* 40 characters, but '"' and '~' are not in the Z85 alphabet... */
    expect_refused("{\"keys\":[{\"public\":\"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\","
                   "\"name\":\"x\",\"role\":\"admin\"}]}",
                   "keys[0].public", "Z85");
    snprintf(t, sizeof t,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\"},"
             "{\"public\":\"%s\",\"name\":\"b\",\"role\":\"root\"}]}",
             p.pub, q.pub);
    expect_refused(t, "keys[1].role", "unknown role \"root\"");
    snprintf(t, sizeof t, "{\"keys\":[{\"public\":\"%s\",\"name\":\"r\",\"role\":\"reporter\"}]}",
             p.pub);
    expect_refused(t, "keys[0].clusters", "non-empty array");
    snprintf(t, sizeof t, "{\"keys\":[{\"public\":\"%s\",\"name\":\"s\",\"role\":\"subscriber\"}]}",
             p.pub);
    expect_refused(t, "keys[0].subscriber", "missing");
    snprintf(t, sizeof t,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\","
             "\"clusters\":[\"X\"]}]}",
             p.pub);
    expect_refused(t, "keys[0].clusters", "only a reporter");
    snprintf(t, sizeof t,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\"},"
             "{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\"}]}",
             p.pub, q.pub);
    expect_refused(t, "keys[1].name", "already the name of keys[0]");
    snprintf(t, sizeof t,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\"},"
             "{\"public\":\"%s\",\"name\":\"b\",\"role\":\"admin\"}]}",
             p.pub, p.pub);
    expect_refused(t, "keys[1].public", "the same key");
    snprintf(t, sizeof t,
             "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\",\"x\":1}]}", p.pub);
    expect_refused(t, "keys[0].x", "unknown member");
    expect_refused("{\"keys\":[{\"name\":\"a\",\"role\":\"admin\"}]}", "keys[0].public", "missing");
}

/* '{' is a Z85 character (index 79, and a key's first character can be
 * 0..82): a public key starting with it is still a key line, not JSON. About
 * one key in 83 does; this test makes sure of one. */
static void test_pair_files_key_starting_with_brace(void **state)
{
    char t[512], pub[41], sec[41];
    cfg_error err = {0};
    pair p = new_pair();

    (void)state;
    for (int i = 0; i < 100000 && p.pub[0] != '{'; i++)
        p = new_pair();
    assert_int_equal(p.pub[0], '{');
    snprintf(t, sizeof t, "%s\n%s\n", p.pub, p.sec);
    assert_int_equal(keys_pair_load(write_file("brace.key", t), "k", pub, sec, &err), 0);
    assert_string_equal(pub, p.pub);
    assert_string_equal(sec, p.sec);
}

static void test_pair_files(void **state)
{
    pair p = new_pair(), q = new_pair();
    char t[512], pub[41], sec[41];
    cfg_error err = {0};

    (void)state;
    snprintf(t, sizeof t, "# made by a test\n%s\n\n%s\n", p.pub, p.sec);
    assert_int_equal(keys_pair_load(write_file("lines.key", t), "k", pub, sec, &err), 0);
    assert_string_equal(pub, p.pub);
    assert_string_equal(sec, p.sec);
    snprintf(t, sizeof t, "{\"name\":\"x\",\"public\":\"%s\",\"secret\":\"%s\"}\n", q.pub, q.sec);
    assert_int_equal(keys_pair_load(write_file("pair.json", t), "k", pub, sec, &err), 0);
    assert_string_equal(pub, q.pub);
    snprintf(t, sizeof t, "%s\n%s\n", p.pub, q.sec);
    assert_int_equal(
        keys_pair_load(write_file("mixed.key", t), "security.secret_key_file", pub, sec, &err), -1);
    assert_string_equal(err.key, "security.secret_key_file");
    assert_non_null(strstr(err.reason, "does not match"));
    assert_int_equal(keys_pair_load(write_file("one.key", p.pub), "k", pub, sec, &err), -1);
    assert_non_null(strstr(err.reason, "two Z85 lines"));
    assert_int_equal(keys_pair_load("/nonexistent/x.key", "k", pub, sec, &err), -1);
    assert_non_null(strstr(err.reason, "cannot open"));
    assert_true(keys_z85_valid(p.pub));
    assert_false(keys_z85_valid("short"));
}

/* ---- handshakes ---- */

typedef struct rig {
    void *ctx;
    zap_t *zap;
    void *server;
    char endpoint[128];
    pair srv, admin, reporter, subscriber, service;
} rig;

static int rig_setup(void **state)
{
    rig *r = calloc(1, sizeof *r);
    char t[256];
    cfg_error err = {0};
    size_t len = sizeof r->endpoint;

    r->srv = new_pair();
    r->admin = new_pair();
    r->reporter = new_pair();
    r->subscriber = new_pair();
    r->service = new_pair();
    snprintf(t, sizeof t, "%s\n%s\n", r->srv.pub, r->srv.sec);
    r->ctx = zmq_ctx_new();
    r->zap = zap_new(r->ctx, write_file("server.key", t),
                     keys_file(&r->admin, &r->reporter, &r->subscriber, &r->service), &err);
    if (!r->zap)
        fail_msg("zap_new: %s %s %s", err.file, err.key, err.reason);
    assert_string_equal(zap_public(r->zap), r->srv.pub);
    r->server = zmq_socket(r->ctx, ZMQ_ROUTER);
    assert_int_equal(zap_server_socket(r->zap, r->server), JIJU_OK);
    assert_int_equal(zmq_bind(r->server, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt(r->server, ZMQ_LAST_ENDPOINT, r->endpoint, &len);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    rig *r = *state;
    int zero = 0;

    zmq_setsockopt(r->server, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(r->server);
    zap_destroy(&r->zap);
    assert_null(r->zap);
    zmq_ctx_term(r->ctx);
    free(r);
    return 0;
}

/* Connect with key pair k, send "hello", and serve ZAP while waiting up to
 * wait_ms for it to arrive. Returns the User-Id it arrived with (copied into
 * user) or -1 if nothing arrived. */
static int send_and_receive(rig *r, const pair *k, int wait_ms, char *user, size_t cap)
{
    void *c = zmq_socket(r->ctx, ZMQ_DEALER);
    int64_t until = clock_mono_ms() + wait_ms;
    int zero = 0, got = -1;

    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zap_curve_client(c, r->srv.pub, k->pub, k->sec), JIJU_OK);
    assert_int_equal(zmq_connect(c, r->endpoint), 0);
    zmq_send(c, "hello", 5, ZMQ_DONTWAIT);
    while (got < 0 && clock_mono_ms() < until) {
        zmq_pollitem_t items[2] = {{zap_socket(r->zap), 0, ZMQ_POLLIN, 0},
                                   {r->server, 0, ZMQ_POLLIN, 0}};
        zmq_msg_t rid, body;

        zmq_poll(items, 2, 20);
        if (items[0].revents)
            zap_handle(r->zap);
        if (!items[1].revents)
            continue;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&rid, r->server, 0) >= 0 && zmq_msg_recv(&body, r->server, 0) == 5) {
            const key_entry *e = zap_sender(r->zap, &body);
            snprintf(user, cap, "%s", zmq_msg_gets(&body, "User-Id"));
            assert_non_null(e);
            assert_string_equal(e->name, user);
            got = 0;
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    zmq_close(c);
    return got;
}

static void test_handshake_allowed(void **state)
{
    rig *r = *state;
    char user[64] = "";

    assert_int_equal(send_and_receive(r, &r->subscriber, 5000, user, sizeof user), 0);
    assert_string_equal(user, "fgw");
    assert_int_equal(send_and_receive(r, &r->reporter, 5000, user, sizeof user), 0);
    assert_string_equal(user, "jl-wl-001-org");
    assert_int_equal(zap_allowed(r->zap), 2);
    assert_int_equal(zap_refused(r->zap), 0);
}

static void test_handshake_unknown_key_refused(void **state)
{
    rig *r = *state;
    pair stranger = new_pair();
    char user[64] = "";

    assert_int_equal(send_and_receive(r, &stranger, 600, user, sizeof user), -1);
    assert_true(zap_refused(r->zap) >= 1);
    assert_int_equal(zap_allowed(r->zap), 0);
}

static void test_plain_client_refused(void **state)
{
    rig *r = *state;
    void *c = zmq_socket(r->ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_pollitem_t it = {r->server, 0, ZMQ_POLLIN, 0};

    /* no CURVE at all: the mechanisms differ, the handshake fails before
     * ZAP, and nothing arrives */
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(c, r->endpoint);
    zmq_send(c, "hello", 5, ZMQ_DONTWAIT);
    for (int i = 0; i < 20; i++) {
        zap_handle(r->zap);
        assert_int_equal(zmq_poll(&it, 1, 25), 0);
    }
    zmq_close(c);
}

static void test_reload(void **state)
{
    rig *r = *state;
    pair stranger = new_pair();
    char user[64] = "";

    assert_int_equal(send_and_receive(r, &stranger, 600, user, sizeof user), -1);
    /* the allow-list now names the stranger as subscriber fgw instead of
     * the old subscriber key: a reload lets the one in, keeps the other out */
    keys_file(&r->admin, &r->reporter, &stranger, &r->service);
    assert_int_equal(zap_reload(r->zap), JIJU_OK);
    assert_int_equal(send_and_receive(r, &stranger, 5000, user, sizeof user), 0);
    assert_string_equal(user, "fgw");
    assert_int_equal(send_and_receive(r, &r->subscriber, 600, user, sizeof user), -1);
    /* a file that does not load is refused and the list in force stays */
    write_file("keys.json", "{\"keys\": [");
    assert_int_equal(zap_reload(r->zap), JIJU_ERR_CONFIG);
    assert_int_equal(keys_count(zap_keys(r->zap)), 4);
    assert_int_equal(send_and_receive(r, &stranger, 5000, user, sizeof user), 0);
}

typedef struct hup_run {
    zap_t *zap;
    int ticks;
} hup_run;

static void hup_tick(svc_t *svc, void *arg)
{
    hup_run *h = arg;

    if (h->ticks++ == 0) {
        raise(SIGHUP); /* the loop turns it into zap_reload, not an exit */
        return;
    }
    if (keys_count(zap_keys(h->zap)) == 1 || h->ticks > 200)
        svc_stop(svc);
}

static void test_sighup_reloads_in_the_loop(void **state)
{
    pair srv = new_pair(), a = new_pair(), rr = new_pair(), su = new_pair(), v = new_pair();
    svc_t *svc = svc_new("test");
    cfg_error err = {0};
    char t[256], one[256];
    hup_run h = {0};

    (void)state;
    snprintf(t, sizeof t, "%s\n%s\n", srv.pub, srv.sec);
    h.zap = zap_new(svc_zmq(svc), write_file("server.key", t), keys_file(&a, &rr, &su, &v), &err);
    assert_non_null(h.zap);
    assert_int_equal(zap_attach(h.zap, svc), JIJU_OK);
    assert_int_equal(keys_count(zap_keys(h.zap)), 4);
    snprintf(one, sizeof one, "{\"keys\":[{\"public\":\"%s\",\"name\":\"a\",\"role\":\"admin\"}]}",
             a.pub);
    write_file("keys.json", one);
    assert_int_equal(svc_every(svc, 10, hup_tick, &h), JIJU_OK);
    assert_int_equal(svc_run(svc), JIJU_OK);
    assert_int_equal(keys_count(zap_keys(h.zap)), 1);
    zap_destroy(&h.zap);
    svc_destroy(&svc);
}

static void test_plain_mode_is_a_null_zap(void **state)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_ROUTER);

    (void)state;
    assert_int_equal(zap_server_socket(NULL, s), JIJU_OK);
    assert_int_equal(zap_client_socket(NULL, s, NULL), JIJU_OK);
    assert_null(zap_sender(NULL, NULL));
    assert_int_equal(zap_handle(NULL), 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_load_roles),
        cmocka_unit_test(test_keys_load_refusals),
        cmocka_unit_test(test_pair_files),
        cmocka_unit_test(test_pair_files_key_starting_with_brace),
        cmocka_unit_test_setup_teardown(test_handshake_allowed, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_handshake_unknown_key_refused, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_plain_client_refused, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_reload, rig_setup, rig_teardown),
        cmocka_unit_test(test_sighup_reloads_in_the_loop),
        cmocka_unit_test(test_plain_mode_is_a_null_zap),
    };
    int rc;

    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE: nothing to test\n");
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/jiju-test-zap-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (getenv("JIJU_KEEP") == NULL) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return rc;
}
