/* test_ingest_submit.c - ingest's submit endpoint on a real socket and a
 * real RocksDB store: a wake-up's requests are answered after ONE synced
 * commit (every ACCEPTED record is already readable by another process
 * when its reply arrives), in order, each with its request_id; a Ping gets
 * PONG, malformed bytes E_MALFORMED, an id that may not be echoed "". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "ingest_config.h"
#include "ingest_state.h"
#include "ingest_submit.h"
#include "log.h"
#include "jiju/v1/submit.pb-c.h"
#include "pb.h"
#include "store.h"
#include "stream.h"
#include "svc.h"

#define EP "inproc://test-ingest-submit"
#define N_OPEN 5
#define MAX_REPLIES 48

typedef struct fixture {
    char dir[256];
    ingest_config cfg;
    svc_t *svc;
    store_t *store;
    stream_log_t *log;
    ingest_state_t *state;
    ingest_submit_t *sub;
    void *client;
    Jiju__V1__SubmitReply *replies[MAX_REPLIES];
    uint64_t durable_at_reply[MAX_REPLIES]; /* last seq another process could read then */
    int got, want, ticks;
    int garbage; /* undecodable frames still to send, one per client tick */
} fixture;

/* The last seq of the "reports" log as a second process sees it now. */
static uint64_t durable_last(const char *dir)
{
    const char *cfs[] = {STORE_CF_LOG};
    store_t *r = store_open_reader(dir, cfs, 1, NULL, 0);
    store_iter_t *it;
    uint64_t last = 0;
    char prefix[] = "reports";

    assert_non_null(r);
    it = store_iter_new(r, store_cf(r, STORE_CF_LOG));
    for (store_iter_seek(it, prefix, sizeof prefix); store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const uint8_t *k = store_iter_key(it, &klen);

        if (klen != sizeof prefix + 8 || memcmp(k, prefix, sizeof prefix) != 0)
            break;
        last = store_be64_get(k + sizeof prefix);
    }
    store_iter_destroy(&it);
    store_close(&r);
    return last;
}

static void client_tick(svc_t *svc, void *arg)
{
    fixture *f = arg;
    zmq_msg_t m;

    if (f->garbage > 0 && zmq_send(f->client, "\x0a\xff\xff\xff\xff\x0f", 6, 0) == 6)
        f->garbage--;
    zmq_msg_init(&m);
    while (f->got < MAX_REPLIES && zmq_msg_recv(&m, f->client, ZMQ_DONTWAIT) >= 0) {
        f->replies[f->got] =
            jiju__v1__submit_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        assert_non_null(f->replies[f->got]);
        f->durable_at_reply[f->got] = durable_last(f->dir);
        f->got++;
    }
    zmq_msg_close(&m);
    if (f->got >= f->want || ++f->ticks > 500)
        svc_stop(svc);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char dir_set[300];
    const char *over[] = {"instance=t-1", dir_set, "submit.endpoint=" EP};
    cfg_error err;
    char why[256];
    int zero = 0;

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/jiju-test-submit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(dir_set, sizeof dir_set, "data_dir=%s/s", f->dir);
    assert_int_equal(ingest_config_load(NULL, over, 3, &f->cfg, &err), 0);
    {
        const char *all[16] = {STORE_STREAM_CFS};
        size_t n = 3;

        for (size_t i = 0; i < ingest_n_cfs && n < 16; i++)
            all[n++] = ingest_cfs[i];
        f->store = store_open(f->cfg.shared.data_dir, all, n, why, sizeof why);
    }
    assert_non_null(f->store);
    snprintf(f->dir, sizeof f->dir, "%s", f->cfg.shared.data_dir);
    assert_non_null(f->svc = svc_new("ingest"));
    assert_non_null(f->log = stream_log_open(f->store, "reports"));
    assert_non_null(f->state = ingest_state_new(f->store));
    assert_non_null(f->sub = ingest_submit_new(f->svc, f->state, f->log, f->store, &f->cfg));
    f->client = zmq_socket(svc_zmq(f->svc), ZMQ_DEALER);
    zmq_setsockopt(f->client, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(f->client, EP), 0);
    assert_int_equal(svc_every(f->svc, 2, client_tick, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    for (int i = 0; i < f->got; i++)
        jiju__v1__submit_reply__free_unpacked(f->replies[i], NULL);
    zmq_close(f->client);
    ingest_submit_destroy(&f->sub);
    ingest_state_destroy(&f->state);
    stream_log_destroy(&f->log);
    svc_destroy(&f->svc);
    store_close(&f->store);
    snprintf(cmd, sizeof cmd, "rm -rf %.*s", (int)(strlen(f->dir) - 2), f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void send_req(fixture *f, const Jiju__V1__SubmitRequest *req)
{
    uint8_t *buf;
    size_t len;

    assert_int_equal(pb_pack(&req->base, &buf, &len), 0);
    assert_int_equal(zmq_send(f->client, buf, len, 0), (int)len);
    free(buf);
}

static void send_open(fixture *f, const char *id, const char *period)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;

    op.period = (char *)period;
    c.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
    c.open_period = &op;
    req.request_id = (char *)id;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = &c;
    send_req(f, &req);
}

/* Five commands sent before the loop runs are one wake-up: one commit,
 * then five ACCEPTED replies in order, each already durable. */
static void test_group_commit(void **state)
{
    fixture *f = *state;
    char id[16];

    for (int i = 0; i < N_OPEN; i++) {
        snprintf(id, sizeof id, "open-%d", i);
        send_open(f, id, i % 2 ? "2023" : "2024");
    }
    f->want = N_OPEN;
    assert_int_equal(svc_run(f->svc), 0);
    assert_int_equal(f->got, N_OPEN);
    for (int i = 0; i < N_OPEN; i++) {
        snprintf(id, sizeof id, "open-%d", i);
        assert_string_equal(f->replies[i]->request_id, id);
        assert_int_equal(f->replies[i]->status, JIJU__V1__SUBMIT_STATUS__ACCEPTED);
        assert_int_equal(f->replies[i]->seq, (uint64_t)i + 1);
        assert_string_equal(f->replies[i]->instance, "t-1");
        /* ACCEPTED only once on disk: the whole batch was, before any reply */
        assert_int_equal(f->durable_at_reply[i], N_OPEN);
    }
    assert_int_equal(stream_log_last(f->log), N_OPEN);
}

/* A Ping read in the same wake-up as five commands is answered at once,
 * before their commit: it waits for none of the batch (under a flood, a
 * PONG held for the drain waited behind 2,000 requests of garbage). */
static void test_ping_not_held_for_the_batch(void **state)
{
    fixture *f = *state;
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;
    char id[16];

    for (int i = 0; i < N_OPEN; i++) {
        snprintf(id, sizeof id, "open-%d", i);
        send_open(f, id, i % 2 ? "2023" : "2024");
    }
    req.request_id = (char *)"p-1";
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_PING;
    req.ping = &ping;
    send_req(f, &req);
    f->want = N_OPEN + 1;
    assert_int_equal(svc_run(f->svc), 0);
    assert_int_equal(f->got, N_OPEN + 1);
    assert_int_equal(f->replies[0]->status, JIJU__V1__SUBMIT_STATUS__PONG);
    assert_string_equal(f->replies[0]->request_id, "p-1");
    for (int i = 1; i <= N_OPEN; i++) {
        snprintf(id, sizeof id, "open-%d", i - 1);
        assert_string_equal(f->replies[i]->request_id, id);
        assert_int_equal(f->replies[i]->status, JIJU__V1__SUBMIT_STATUS__ACCEPTED);
        assert_int_equal(f->durable_at_reply[i], N_OPEN);
    }
}

/* A Ping, malformed bytes and an id that may not be echoed. */
static void test_ping_malformed_request_id(void **state)
{
    fixture *f = *state;
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;
    char long_id[200];

    req.request_id = (char *)"p-1";
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_PING;
    req.ping = &ping;
    send_req(f, &req);
    zmq_send(f->client, "\x0a\xff\xff\xff\xff\x0f", 6, 0);
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    req.request_id = long_id;
    send_req(f, &req);
    f->want = 3;
    assert_int_equal(svc_run(f->svc), 0);
    assert_int_equal(f->got, 3);
    assert_int_equal(f->replies[0]->status, JIJU__V1__SUBMIT_STATUS__PONG);
    assert_string_equal(f->replies[0]->request_id, "p-1");
    assert_int_equal(f->replies[1]->status, JIJU__V1__SUBMIT_STATUS__REJECTED);
    assert_string_equal(f->replies[1]->problems[0]->code, "E_MALFORMED");
    assert_int_equal(f->replies[2]->status, JIJU__V1__SUBMIT_STATUS__REJECTED);
    assert_string_equal(f->replies[2]->request_id, ""); /* 199 bytes: never echoed */
    assert_string_equal(f->replies[2]->problems[0]->code, "E_TOO_LONG");
    assert_string_equal(f->replies[2]->problems[0]->field, "request_id");
    assert_int_equal(stream_log_last(f->log), 0); /* nothing was logged */
}

/* Lines of stderr while the loop runs that hold `what`. */
static int run_counting_lines(fixture *f, const char *what)
{
    char path[] = "/tmp/jiju-test-submit-log-XXXXXX", line[1024];
    int fd = mkstemp(path), saved = dup(2), lines = 0;
    FILE *fp;

    assert_true(fd >= 0);
    fflush(stderr);
    dup2(fd, 2);
    assert_int_equal(svc_run(f->svc), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_non_null(fp = fdopen(fd, "r"));
    rewind(fp);
    while (fgets(line, sizeof line, fp))
        lines += strstr(line, what) != NULL;
    fclose(fp);
    unlink(path);
    return lines;
}

/* Drains that held nothing but refused garbage wrote nothing and needed no
 * commit, so a flooder sends them as fast as it likes: their submit_batch
 * lines are rate-limited (test_flood saw ingest's log grow by 2.4-11 MB a
 * minute, a line per such drain). A batch that wrote something still has
 * its line, after the limit was reached. */
static void test_refused_drains_rate_limited(void **state)
{
    fixture *f = *state;
    char id[16];
    int lines;

    log_init("ingest", LOG_INFO);
    f->garbage = 30; /* one per client tick: about a drain each */
    f->want = 30;
    lines = run_counting_lines(f, "event=submit_batch ");
    assert_int_equal(f->got, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(f->replies[i]->status, JIJU__V1__SUBMIT_STATUS__REJECTED);
    assert_true(lines <= LOG_LIMIT_BURST);
    for (int i = 0; i < N_OPEN; i++) {
        snprintf(id, sizeof id, "open-%d", i);
        send_open(f, id, "2024");
    }
    f->want = 30 + N_OPEN;
    f->ticks = 0;
    assert_int_equal(run_counting_lines(f, "event=submit_batch n=5 accepted=5 "), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_malformed_request_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_not_held_for_the_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_drains_rate_limited, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
