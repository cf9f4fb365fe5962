/* svc.c - the one poll loop every service runs. */
#include "svc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "metrics.h"

#define SVC_MAX_SOCKS 64
#define SVC_MAX_FDS 160 /* webhook.max_in_flight sockets and libcurl's own */
#define SVC_MAX_TIMERS 16
#define SVC_MAX_HOOKS 16
#define SVC_MAX_RELOADS 4
#define SVC_MAX_MONITORS 16

typedef struct {
    svc_fn fn;
    void *arg;
} svc_cb;

typedef struct {
    int fd, events;
    svc_fd_fn fn;
    void *arg;
} svc_fd;

struct svc {
    char name[32];
    void *zctx;
    void *socks[SVC_MAX_SOCKS];
    svc_cb sock_cb[SVC_MAX_SOCKS];
    int n_socks;
    svc_fd fds[SVC_MAX_FDS];
    int n_fds;
    struct {
        svc_cb cb;
        int interval_ms;
        int64_t next_ms;
    } timers[SVC_MAX_TIMERS];
    int n_timers;
    svc_cb hooks[SVC_MAX_HOOKS];
    int n_hooks;
    svc_cb reloads[SVC_MAX_RELOADS];
    int n_reloads;
    struct zap *zap;
    struct svc_mon {
        void *pair; /* our end of zmq_socket_monitor's pipe */
        char endpoint[128];
    } mons[SVC_MAX_MONITORS];
    int n_mons;
    int64_t max_frame;
    int64_t woke_us; /* when this turn's poll returned */
    metrics_family *turns;
    volatile int stop;
};

static volatile sig_atomic_t svc_signalled, svc_hangup;

static void svc_on_signal(int sig)
{
    if (sig == SIGHUP)
        svc_hangup = 1; /* zmq_poll returns EINTR: the loop sees it at once */
    else
        svc_signalled = 1;
}

svc_t *svc_new(const char *name)
{
    svc_t *svc = calloc(1, sizeof *svc);

    if (!svc)
        return NULL;
    strncpy(svc->name, name, sizeof svc->name - 1);
    svc->max_frame = SVC_DEFAULT_MAX_FRAME;
    svc->turns = metrics_histogram(
        "jiju_loop_turn_seconds",
        "each turn of the service loop, from its wake-up to its next wait: what a request "
        "arriving meanwhile waits behind before it is read",
        metrics_latency_buckets, metrics_n_latency_buckets);
    svc->zctx = zmq_ctx_new();
    if (!svc->zctx) {
        free(svc);
        return NULL;
    }
    return svc;
}

void svc_destroy(svc_t **svcp)
{
    if (!svcp || !*svcp)
        return;
    for (int i = 0; i < (*svcp)->n_mons; i++)
        zmq_close((*svcp)->mons[i].pair);
    zmq_ctx_term((*svcp)->zctx);
    free(*svcp);
    *svcp = NULL;
}

const char *svc_name(const svc_t *svc)
{
    return svc->name;
}

void *svc_zmq(svc_t *svc)
{
    return svc->zctx;
}

void svc_set_max_frame(svc_t *svc, int64_t bytes)
{
    if (bytes > 0)
        svc->max_frame = bytes;
}

int64_t svc_max_frame(const svc_t *svc)
{
    return svc->max_frame;
}

void *svc_socket(svc_t *svc, int type, int hwm)
{
    void *sock = zmq_socket(svc->zctx, type);
    int zero = 0;

    if (!sock)
        return NULL;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &svc->max_frame, sizeof svc->max_frame) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* One monitor message: [u16 event, u32 value] [endpoint]. */
static void svc_on_monitor(svc_t *svc, void *arg)
{
    struct svc_mon *m = arg;
    zmq_msg_t ev, addr;
    uint16_t id;
    uint32_t value;

    (void)svc;
    for (int n = 0; n < 1000; n++) {
        zmq_msg_init(&ev);
        zmq_msg_init(&addr);
        if (zmq_msg_recv(&ev, m->pair, ZMQ_DONTWAIT) < 0 || !zmq_msg_more(&ev) ||
            zmq_msg_recv(&addr, m->pair, 0) < 0 || zmq_msg_size(&ev) < 6) {
            zmq_msg_close(&ev);
            zmq_msg_close(&addr);
            return;
        }
        memcpy(&id, zmq_msg_data(&ev), 2);
        memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
        if (id == ZMQ_EVENT_ACCEPT_FAILED)
            log_limited(LOG_WARN, "socket_event", "endpoint=%s what=accept_failed reason=\"%s\"",
                        m->endpoint, strerror((int)value));
        else if (id == ZMQ_EVENT_DISCONNECTED)
            log_limited(LOG_DEBUG, "socket_event", "endpoint=%s what=disconnected", m->endpoint);
        else
            log_limited(LOG_WARN, "socket_event", "endpoint=%s what=handshake_failed code=%u",
                        m->endpoint, (unsigned)value);
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
    }
}

int svc_monitor(svc_t *svc, void *sock, const char *endpoint)
{
    static int seq;
    struct svc_mon *m;
    char inproc[64];

    if (svc->n_mons >= SVC_MAX_MONITORS)
        return JIJU_ERR_NOMEM;
    m = &svc->mons[svc->n_mons];
    snprintf(inproc, sizeof inproc, "inproc://svc-monitor-%d", seq++);
    snprintf(m->endpoint, sizeof m->endpoint, "%s", endpoint);
    if (zmq_socket_monitor(sock, inproc,
                           ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        !(m->pair = zmq_socket(svc->zctx, ZMQ_PAIR)))
        return JIJU_ERR_ZMQ;
    if (zmq_connect(m->pair, inproc) != 0 || svc_on_readable(svc, m->pair, svc_on_monitor, m)) {
        zmq_close(m->pair);
        return JIJU_ERR_ZMQ;
    }
    svc->n_mons++;
    return JIJU_OK;
}

void svc_set_zap(svc_t *svc, struct zap *zap)
{
    svc->zap = zap;
}

struct zap *svc_zap(svc_t *svc)
{
    return svc ? svc->zap : NULL;
}

int svc_on_readable(svc_t *svc, void *sock, svc_fn fn, void *arg)
{
    if (svc->n_socks >= SVC_MAX_SOCKS)
        return JIJU_ERR_NOMEM;
    svc->socks[svc->n_socks] = sock;
    svc->sock_cb[svc->n_socks] = (svc_cb){fn, arg};
    svc->n_socks++;
    return JIJU_OK;
}

void svc_forget(svc_t *svc, void *sock)
{
    for (int i = 0; i < svc->n_socks; i++) {
        if (svc->socks[i] != sock)
            continue;
        memmove(&svc->socks[i], &svc->socks[i + 1],
                (size_t)(svc->n_socks - i - 1) * sizeof(void *));
        memmove(&svc->sock_cb[i], &svc->sock_cb[i + 1],
                (size_t)(svc->n_socks - i - 1) * sizeof(svc_cb));
        svc->n_socks--;
        return;
    }
}

int svc_on_fd(svc_t *svc, int fd, int events, svc_fd_fn fn, void *arg)
{
    int i = 0;

    while (i < svc->n_fds && svc->fds[i].fd != fd)
        i++;
    if (i == svc->n_fds && svc->n_fds >= SVC_MAX_FDS)
        return JIJU_ERR_NOMEM;
    svc->fds[i] = (svc_fd){fd, events, fn, arg};
    if (i == svc->n_fds)
        svc->n_fds++;
    return JIJU_OK;
}

void svc_forget_fd(svc_t *svc, int fd)
{
    for (int i = 0; i < svc->n_fds; i++)
        if (svc->fds[i].fd == fd) {
            svc->fds[i] = svc->fds[--svc->n_fds];
            return;
        }
}

int svc_every(svc_t *svc, int interval_ms, svc_fn fn, void *arg)
{
    if (svc->n_timers >= SVC_MAX_TIMERS || interval_ms <= 0)
        return JIJU_ERR_INVALID;
    svc->timers[svc->n_timers].cb = (svc_cb){fn, arg};
    svc->timers[svc->n_timers].interval_ms = interval_ms;
    svc->timers[svc->n_timers].next_ms = clock_mono_ms() + interval_ms;
    svc->n_timers++;
    return JIJU_OK;
}

int svc_after_turn(svc_t *svc, svc_fn fn, void *arg)
{
    if (svc->n_hooks >= SVC_MAX_HOOKS)
        return JIJU_ERR_NOMEM;
    svc->hooks[svc->n_hooks++] = (svc_cb){fn, arg};
    return JIJU_OK;
}

int svc_on_reload(svc_t *svc, svc_fn fn, void *arg)
{
    if (svc->n_reloads >= SVC_MAX_RELOADS)
        return JIJU_ERR_NOMEM;
    svc->reloads[svc->n_reloads++] = (svc_cb){fn, arg};
    return JIJU_OK;
}

void svc_cancel(svc_t *svc, void *arg)
{
    int j = 0;

    for (int i = 0; i < svc->n_socks; i++) {
        if (svc->sock_cb[i].arg == arg)
            continue;
        svc->socks[j] = svc->socks[i];
        svc->sock_cb[j++] = svc->sock_cb[i];
    }
    svc->n_socks = j;
    j = 0;
    for (int i = 0; i < svc->n_fds; i++)
        if (svc->fds[i].arg != arg)
            svc->fds[j++] = svc->fds[i];
    svc->n_fds = j;
    j = 0;
    for (int i = 0; i < svc->n_timers; i++)
        if (svc->timers[i].cb.arg != arg)
            svc->timers[j++] = svc->timers[i];
    svc->n_timers = j;
    j = 0;
    for (int i = 0; i < svc->n_hooks; i++)
        if (svc->hooks[i].arg != arg)
            svc->hooks[j++] = svc->hooks[i];
    svc->n_hooks = j;
    j = 0;
    for (int i = 0; i < svc->n_reloads; i++)
        if (svc->reloads[i].arg != arg)
            svc->reloads[j++] = svc->reloads[i];
    svc->n_reloads = j;
}

int64_t svc_woke_us(const svc_t *svc)
{
    return svc->woke_us;
}

void svc_stop(svc_t *svc)
{
    svc->stop = 1;
}

static long svc_poll_timeout(const svc_t *svc, int64_t now)
{
    long timeout = 1000;

    for (int i = 0; i < svc->n_timers; i++) {
        int64_t left = svc->timers[i].next_ms - now;
        if (left < timeout)
            timeout = left < 0 ? 0 : (long)left;
    }
    return timeout;
}

static void svc_run_timers(svc_t *svc)
{
    int64_t now = clock_mono_ms();

    for (int i = 0; i < svc->n_timers; i++) {
        if (now < svc->timers[i].next_ms)
            continue;
        svc->timers[i].next_ms = now + svc->timers[i].interval_ms;
        svc->timers[i].cb.fn(svc, svc->timers[i].cb.arg);
    }
}

/* What the fds of this turn were ready for, in svc.h's terms. */
static int svc_fd_revents(short zmq_revents)
{
    return (zmq_revents & ZMQ_POLLIN ? SVC_FD_IN : 0) |
           (zmq_revents & ZMQ_POLLOUT ? SVC_FD_OUT : 0) |
           (zmq_revents & ZMQ_POLLERR ? SVC_FD_ERR : 0);
}

/* One zmq_poll over the sockets and fds, then their handlers. Handlers may
 * add or forget sockets and fds, so the sets are copied first. */
static int svc_poll_once(svc_t *svc)
{
    zmq_pollitem_t items[SVC_MAX_SOCKS + SVC_MAX_FDS];
    svc_cb cbs[SVC_MAX_SOCKS];
    svc_fd fds[SVC_MAX_FDS];
    int n = svc->n_socks, m = svc->n_fds;

    for (int i = 0; i < n; i++) {
        items[i] = (zmq_pollitem_t){.socket = svc->socks[i], .events = ZMQ_POLLIN};
        cbs[i] = svc->sock_cb[i];
    }
    for (int i = 0; i < m; i++) {
        fds[i] = svc->fds[i];
        items[n + i] =
            (zmq_pollitem_t){.fd = fds[i].fd,
                             .events = (short)((fds[i].events & SVC_FD_IN ? ZMQ_POLLIN : 0) |
                                               (fds[i].events & SVC_FD_OUT ? ZMQ_POLLOUT : 0))};
    }
    if (zmq_poll(items, n + m, svc_poll_timeout(svc, clock_mono_ms())) < 0 && errno != EINTR)
        return JIJU_ERR_ZMQ;
    svc->woke_us = clock_mono_us();
    for (int i = 0; i < n; i++)
        if (items[i].revents & ZMQ_POLLIN)
            cbs[i].fn(svc, cbs[i].arg);
    for (int i = 0; i < m; i++)
        if (items[n + i].revents)
            fds[i].fn(svc, fds[i].fd, svc_fd_revents(items[n + i].revents), fds[i].arg);
    return JIJU_OK;
}

int svc_run(svc_t *svc)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = svc_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    svc->stop = 0; /* a loop may be run again after svc_stop (tests do) */

    while (!svc->stop && !svc_signalled) {
        if (svc_poll_once(svc) != JIJU_OK)
            return JIJU_ERR_ZMQ;
        svc_run_timers(svc);
        for (int i = 0; i < svc->n_hooks; i++)
            svc->hooks[i].fn(svc, svc->hooks[i].arg);
        if (svc_hangup) {
            svc_hangup = 0;
            for (int i = 0; i < svc->n_reloads; i++)
                svc->reloads[i].fn(svc, svc->reloads[i].arg);
        }
        metrics_observe(svc->turns, "", (double)(clock_mono_us() - svc->woke_us) / 1e6);
    }
    return JIJU_OK;
}
