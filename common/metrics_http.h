/* metrics_http.h - GET /metrics over HTTP (libmicrohttpd), served inside the
 * service's own loop: libmicrohttpd runs without threads of its own, its
 * epoll descriptor sits in the loop's zmq_poll, and each request is answered
 * with metrics_render() in the loop thread, so collectors read the service's
 * state without locks.
 *
 * Settings (every service, service_settings.h): metrics.port (0 = off, the
 * default for a host install and the demo; the compose file turns it on) and
 * metrics.bind (default 127.0.0.1: the figures name producers, consumers and
 * subscribers, so expose them deliberately). */
#ifndef JIJU_METRICS_HTTP_H
#define JIJU_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "svc.h"

typedef struct metrics_http metrics_http_t;

/* Listen on bind:port and serve /metrics in svc's loop; also registers the
 * process collector. Caller owns the result. NULL with the reason in why
 * (bad address, port in use). */
metrics_http_t *metrics_http_start(svc_t *svc, const char *bind, int port, char *why, size_t cap);
/* The port actually bound. */
int metrics_http_port(const metrics_http_t *h);
void metrics_http_stop(metrics_http_t **h);

#endif
