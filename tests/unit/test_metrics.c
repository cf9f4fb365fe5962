/* test_metrics.c - the registry, the text exposition format, and GET
 * /metrics served by libmicrohttpd inside a real svc loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_http.h"
#include "svc.h"

static int teardown(void **state)
{
    (void)state;
    metrics_reset();
    return 0;
}

static void test_counter_gauge_text(void **state)
{
    metrics_family *c = metrics_counter("jiju_test_total", "things counted");
    metrics_family *g = metrics_gauge("jiju_test_bytes", "a size");
    char *text;
    size_t len;

    (void)state;
    metrics_add(c, "kind=\"a\"", 2);
    metrics_add(c, "kind=\"a\"", 3);
    metrics_add(c, "kind=\"a\"", -1); /* a counter never goes down */
    metrics_add(c, "kind=\"b\"", 1);
    metrics_set(g, "", 1.5);
    metrics_set(g, "", 0.25);
    assert_ptr_equal(metrics_counter("jiju_test_total", "x"), c);
    assert_null(metrics_gauge("jiju_test_total", "x")); /* same name, other type */
    text = metrics_render(&len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "# HELP jiju_test_total things counted\n"
                                 "# TYPE jiju_test_total counter\n"
                                 "jiju_test_total{kind=\"a\"} 5\n"
                                 "jiju_test_total{kind=\"b\"} 1\n"
                                 "# HELP jiju_test_bytes a size\n"
                                 "# TYPE jiju_test_bytes gauge\n"
                                 "jiju_test_bytes 0.25\n"));
    free(text);
}

static void test_histogram_cumulative(void **state)
{
    static const double b[] = {0.1, 1, 10};
    metrics_family *h = metrics_histogram("jiju_test_seconds", "durations", b, 3);
    char *text;
    size_t len;

    (void)state;
    metrics_observe(h, "", 0.05);
    metrics_observe(h, "", 0.1); /* le is inclusive */
    metrics_observe(h, "", 5);
    metrics_observe(h, "", 50);
    text = metrics_render(&len);
    assert_non_null(strstr(text, "# TYPE jiju_test_seconds histogram\n"
                                 "jiju_test_seconds_bucket{le=\"0.1\"} 2\n"
                                 "jiju_test_seconds_bucket{le=\"1\"} 2\n"
                                 "jiju_test_seconds_bucket{le=\"10\"} 3\n"
                                 "jiju_test_seconds_bucket{le=\"+Inf\"} 4\n"
                                 "jiju_test_seconds_sum 55.15\n"
                                 "jiju_test_seconds_count 4\n"));
    free(text);
}

static void test_labels_escaped_and_capped(void **state)
{
    char l[METRICS_LABELS_MAX], big[300];
    metrics_family *c = metrics_counter("jiju_test_peers_total", "per peer");
    char *text;
    size_t len;

    (void)state;
    metrics_labels(l, sizeof l, "peer", "a\"b\\c\nd", "x", "y", NULL);
    assert_string_equal(l, "peer=\"a\\\"b\\\\c\\nd\",x=\"y\"");
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    metrics_labels(l, sizeof l, "peer", big, NULL);
    assert_int_equal(strlen(l), strlen("peer=\"\"") + 128); /* values cut to 128 bytes */
    for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
        char id[32];

        snprintf(id, sizeof id, "p%d", i);
        metrics_add(c, metrics_labels(l, sizeof l, "peer", id, NULL), 1);
    }
    text = metrics_render(&len);
    assert_non_null(strstr(text, "jiju_metrics_series_dropped_total 10\n"));
    assert_null(strstr(text, "peer=\"p512\""));
    free(text);
}

static int collect_calls;
static void collect(void *arg)
{
    metrics_family *g = metrics_gauge_collected("jiju_test_lag", "collected");

    collect_calls++;
    if (arg) /* the subject exists only while arg says so */
        metrics_set(g, "peer=\"p\"", 7);
}

static void test_collected_gauges_vanish(void **state)
{
    static int present = 1;
    char *text;
    size_t len;

    (void)state;
    metrics_on_collect(collect, &present);
    text = metrics_render(&len);
    assert_non_null(strstr(text, "jiju_test_lag{peer=\"p\"} 7\n"));
    free(text);
    metrics_cancel(&present);
    metrics_on_collect(collect, NULL);
    text = metrics_render(&len);
    assert_null(strstr(text, "jiju_test_lag{peer=\"p\"}"));
    free(text);
    assert_int_equal(collect_calls, 2);
}

/* ---- GET /metrics through a real socket, served by the svc loop ---- */

struct client {
    int port;
    const char *req;
    char reply[65536];
    svc_t *svc;
};

static size_t http_get(int port, const char *req, char *out, size_t cap)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t n = 0;
    ssize_t r;

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return 0;
    }
    if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        return 0;
    }
    while (n + 1 < cap && (r = read(fd, out + n, cap - n - 1)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fd);
    return n;
}

static void *client_main(void *arg)
{
    struct client *c = arg;

    http_get(c->port, c->req, c->reply, sizeof c->reply);
    svc_stop(c->svc);
    return NULL;
}

static void test_http_in_loop(void **state)
{
    svc_t *svc = svc_new("test");
    char why[256] = "";
    metrics_http_t *h, *again;
    struct client c, d;
    pthread_t t;

    (void)state;
    metrics_add(metrics_counter("jiju_test_http_total", "served"), "", 42);
    h = metrics_http_start(svc, "127.0.0.1", 0, why, sizeof why);
    assert_non_null(h);
    assert_true(metrics_http_port(h) > 0);
    /* the same port again is refused with the kernel's reason */
    again = metrics_http_start(svc, "127.0.0.1", metrics_http_port(h), why, sizeof why);
    assert_null(again);
    assert_non_null(strstr(why, "Address already in use"));
    assert_null(metrics_http_start(svc, "not-an-address", 0, why, sizeof why));
    assert_non_null(strstr(why, "not an IPv4 or IPv6 address"));
    memset(&c, 0, sizeof c);
    c.port = metrics_http_port(h);
    c.svc = svc;
    c.req = "GET /metrics HTTP/1.0\r\n\r\n";
    pthread_create(&t, NULL, client_main, &c);
    svc_run(svc);
    pthread_join(t, NULL);
    assert_non_null(strstr(c.reply, " 200 OK\r\n"));
    assert_non_null(strstr(c.reply, "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(c.reply, "jiju_test_http_total 42\n"));
    assert_non_null(strstr(c.reply, "process_resident_memory_bytes "));
    assert_non_null(strstr(c.reply, "process_open_fds "));
    /* every loop observes its turns (what a request waits behind) */
    assert_non_null(strstr(c.reply, "jiju_loop_turn_seconds_count "));
    /* anything but GET /metrics: 404, and the loop goes on */
    memset(&d, 0, sizeof d);
    d.port = c.port;
    d.svc = svc;
    d.req = "GET /admin HTTP/1.0\r\n\r\n";
    pthread_create(&t, NULL, client_main, &d);
    svc_run(svc);
    pthread_join(t, NULL);
    assert_non_null(strstr(d.reply, " 404 "));
    metrics_http_stop(&h);
    assert_null(h);
    svc_destroy(&svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_counter_gauge_text, teardown),
        cmocka_unit_test_teardown(test_histogram_cumulative, teardown),
        cmocka_unit_test_teardown(test_labels_escaped_and_capped, teardown),
        cmocka_unit_test_teardown(test_collected_gauges_vanish, teardown),
        cmocka_unit_test_teardown(test_http_in_loop, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
