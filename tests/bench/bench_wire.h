/* bench_wire.h - what the ingest benchmarks share on the wire side: packing a
 * SubmitRequest, the raw ZeroMQ request/reply echo baseline (the same bytes,
 * the same window, no Jiju in between), free ports for a stack of real
 * services, and a file's size (to read only the log lines a round
 * produced). */
#ifndef JIJU_BENCH_WIRE_H
#define JIJU_BENCH_WIRE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_common.h"
#include "jiju/v1/submit.pb-c.h"

/* Caller frees; NULL on allocation failure. */
static inline uint8_t *bench_pack_submit(Jiju__V1__SubmitRequest *req, size_t *len)
{
    uint8_t *buf;

    *len = jiju__v1__submit_request__get_packed_size(req);
    buf = malloc(*len);
    if (buf)
        jiju__v1__submit_request__pack(req, buf);
    return buf;
}

static inline long bench_file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* 1 if nothing listens on 127.0.0.1:port (we could bind it), 0 if not. */
static inline int bench_port_free(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* n free ports in 10000-20000. The cursor moves on across calls, so a new
 * stack never reuses the previous one's ports (a stale peer cannot answer). */
static inline int bench_free_ports(int *ports, int n)
{
    static int next;
    int found = 0;

    if (!next)
        next = 10000 + (int)((unsigned)getpid() * 7919u % 10000u);
    for (int tries = 0; found < n && tries < 10000; tries++) {
        int p = next;

        next = next + 1 < 20000 ? next + 1 : 10000;
        if (bench_port_free(p))
            ports[found++] = p;
    }
    return found == n ? 0 : -1;
}

static inline void *bench_echo_main(void *sock)
{
    zmq_msg_t m;

    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, sock, 0) >= 0)
        zmq_msg_send(&m, sock, zmq_msg_more(&m) ? ZMQ_SNDMORE : 0);
    zmq_msg_close(&m);
    zmq_close(sock);
    return NULL;
}

/* Pipeline n requests to the echo ROUTER with at most win in flight. */
static inline double bench_echo_client(void *d, uint8_t *const *bufs, const size_t *lens, long n,
                                       int win)
{
    long sent = 0, done = 0;
    char buf[4096];
    double t0 = bench_now_ms();

    while (done < n) {
        while (sent < n && sent - done < win)
            if (zmq_send(d, bufs[sent], lens[sent], 0) >= 0)
                sent++;
        if (zmq_recv(d, buf, sizeof buf, 0) < 0)
            return -1;
        done++;
    }
    return (double)n / ((bench_now_ms() - t0) / 1e3);
}

/* Requests/s of these bytes bounced by a raw ROUTER on ep; -1 on failure. */
static inline double bench_raw_echo(uint8_t *const *bufs, const size_t *lens, long n, int win,
                                    const char *ep)
{
    void *sctx = zmq_ctx_new(), *cctx = zmq_ctx_new();
    void *srv = zmq_socket(sctx, ZMQ_ROUTER), *d = zmq_socket(cctx, ZMQ_DEALER);
    int zero = 0, hwm = 100000;
    pthread_t th;
    double rate = -1;

    zmq_setsockopt(srv, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(srv, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(srv, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(srv, ep) == 0 && pthread_create(&th, NULL, bench_echo_main, srv) == 0) {
        if (zmq_connect(d, ep) == 0)
            rate = bench_echo_client(d, bufs, lens, n, win);
        zmq_close(d);
        zmq_ctx_shutdown(sctx); /* wakes the echo thread with ETERM */
        pthread_join(th, NULL);
    } else {
        zmq_close(srv);
        zmq_close(d);
    }
    zmq_ctx_term(cctx);
    zmq_ctx_term(sctx);
    return rate;
}

#endif
