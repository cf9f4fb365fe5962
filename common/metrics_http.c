/* metrics_http.c - libmicrohttpd in external-poll (epoll) mode inside svc. */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"

#define METRICS_HTTP_MAX_CONNECTIONS 16
#define METRICS_HTTP_TIMEOUT_S 10

struct metrics_http {
    svc_t *svc;
    struct MHD_Daemon *d;
    int port;
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *type,
                               void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    enum MHD_Result rc;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
    static int started;
    static const char not_found[] = "not found: GET /metrics\n";
    static const char not_allowed[] = "method not allowed: GET /metrics\n";
    char *text;
    size_t len;

    if (!*state) { /* headers only so far: answer once the request is complete */
        *state = &started;
        return MHD_YES;
    }
    if (*upload_size) { /* a body we do not read */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (void *)not_allowed,
                       sizeof not_allowed - 1, MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") != 0)
        return respond(c, MHD_HTTP_NOT_FOUND, "text/plain", (void *)not_found, sizeof not_found - 1,
                       MHD_RESPMEM_PERSISTENT);
    metrics_add(metrics_counter("jiju_metrics_scrapes_total", "GET /metrics answered"), "", 1);
    if (!(text = metrics_render(&len)))
        return MHD_NO;
    return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
                   MHD_RESPMEM_MUST_FREE);
}

/* Run what is ready; a response that did not fit the socket at once is
 * written on the next readiness or timer. */
static void run(metrics_http_t *h)
{
    MHD_UNSIGNED_LONG_LONG left;

    for (int i = 0; i < 8; i++) {
        MHD_run(h->d);
        if (MHD_get_timeout(h->d, &left) != MHD_YES || left > 0)
            break;
    }
}

/* The listening socket, made here so a refusal names its reason. */
static void on_ready(svc_t *svc, int fd, int revents, void *arg)
{
    (void)svc, (void)fd, (void)revents;
    run(arg);
}

static void on_timer(svc_t *svc, void *arg)
{
    (void)svc;
    run(arg);
}

static int listen_on(const char *bind_addr, int port, char *why, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1, family = strchr(bind_addr, ':') ? AF_INET6 : AF_INET;

    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        sl = sizeof *a;
        if (inet_pton(AF_INET6, bind_addr, &a->sin6_addr) != 1)
            goto bad_address;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        sl = sizeof *a;
        if (inet_pton(AF_INET, bind_addr, &a->sin_addr) != 1)
            goto bad_address;
    }
    if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
        snprintf(why, cap, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
bad_address:
    snprintf(why, cap, "not an IPv4 or IPv6 address: %s", bind_addr);
    return -1;
}

metrics_http_t *metrics_http_start(svc_t *svc, const char *bind_addr, int port, char *why,
                                   size_t cap)
{
    metrics_http_t *h = calloc(1, sizeof *h);
    const union MHD_DaemonInfo *info;
    int fd;

    if (!h) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    h->svc = svc;
    if ((fd = listen_on(bind_addr, port, why, cap)) < 0)
        goto out_free;
    h->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
                            fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_CONNECTIONS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(why, cap, "libmicrohttpd did not start");
        close(fd);
        goto out_free;
    }
    h->port = port;
    if ((info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)))
        h->port = info->port;
    if (!(info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD)) ||
        svc_on_fd(svc, info->epoll_fd, SVC_FD_IN, on_ready, h) != 0 ||
        svc_every(svc, 1000, on_timer, h) != 0 ||
        metrics_on_collect(metrics_process_collect, h) != 0) {
        snprintf(why, cap, "no room in the service loop");
        goto out_stop;
    }
    return h;
out_stop:
    svc_cancel(svc, h);
    metrics_cancel(h);
    MHD_stop_daemon(h->d);
out_free:
    free(h);
    return NULL;
}

int metrics_http_port(const metrics_http_t *h)
{
    return h->port;
}

void metrics_http_stop(metrics_http_t **hp)
{
    metrics_http_t *h = hp ? *hp : NULL;

    if (!h)
        return;
    svc_cancel(h->svc, h);
    metrics_cancel(h);
    MHD_stop_daemon(h->d);
    free(h);
    *hp = NULL;
}
