/* bench_baseline.h - the limits Jiju's end-to-end path is compared with,
 * in the same round: the raw pipeline (ZeroMQ PUSH -> a thread that drains
 * up to 1,000 messages, writes them as one synced RocksDB WriteBatch and
 * acks the count) and Redis XADD with appendfsync always (Debian's
 * redis-server and redis-benchmark). Header-only, as bench_common.h. */
#ifndef JIJU_BENCH_BASELINE_H
#define JIJU_BENCH_BASELINE_H

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bench_common.h"
#include "bench_wire.h"

#define RAW_N 200000
#define RAW_BYTES 256

/* ---- the raw pipeline: PUSH -> batch of <= 1000 -> synced WriteBatch -> ack ---- */

typedef struct raw_sink {
    void *ctx;
    char in[64], ack[64];
    int rc;
} raw_sink;

static inline void *raw_sink_main(void *arg)
{
    raw_sink *k = arg;
    void *pull = zmq_socket(k->ctx, ZMQ_PULL), *push = zmq_socket(k->ctx, ZMQ_PUSH);
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_writeoptions_t *w = rocksdb_writeoptions_create();
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    char dir[256], *err = NULL, buf[RAW_BYTES + 64];
    rocksdb_t *db = NULL;
    uint64_t seq = 0;
    int hwm = 100000;

    k->rc = -1;
    zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_increase_parallelism(o, 2);
    rocksdb_writeoptions_set_sync(w, 1);
    if (bench_mkdtemp(dir, sizeof dir, "raw") != 0 || zmq_bind(pull, k->in) != 0 ||
        zmq_connect(push, k->ack) != 0 || !(db = rocksdb_open(o, dir, &err)))
        goto out;
    while (seq < RAW_N) {
        uint32_t n = 0;
        int len = zmq_recv(pull, buf, sizeof buf, 0);

        while (len >= 0) {
            uint8_t key[8];

            seq++;
            for (int b = 0; b < 8; b++)
                key[b] = (uint8_t)(seq >> (56 - 8 * b));
            rocksdb_writebatch_put(wb, (const char *)key, 8, buf, (size_t)len);
            if (++n == 1000)
                break;
            len = zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT);
        }
        rocksdb_write(db, w, wb, &err);
        rocksdb_writebatch_clear(wb);
        if (err || zmq_send(push, &n, sizeof n, 0) < 0)
            goto out;
    }
    k->rc = 0;
out:
    if (db)
        rocksdb_close(db);
    bench_rmrf(dir);
    free(err);
    rocksdb_writebatch_destroy(wb);
    rocksdb_writeoptions_destroy(w);
    rocksdb_options_destroy(o);
    zmq_close(pull);
    zmq_close(push);
    return NULL;
}

/* Messages/s through the raw pipeline with win in flight; -1 on failure. */
static inline double bench_raw_pipeline(int port_in, int port_ack, int win)
{
    raw_sink k = {.ctx = zmq_ctx_new()};
    void *push, *pull;
    uint8_t msg[RAW_BYTES];
    long sent = 0, acked = 0;
    double t0, rate = -1;
    pthread_t th;
    int hwm = 100000;

    snprintf(k.in, sizeof k.in, "tcp://127.0.0.1:%d", port_in);
    snprintf(k.ack, sizeof k.ack, "tcp://127.0.0.1:%d", port_ack);
    pull = zmq_socket(k.ctx, ZMQ_PULL);
    push = zmq_socket(k.ctx, ZMQ_PUSH);
    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    bench_fill(msg, sizeof msg, 7);
    if (zmq_bind(pull, k.ack) != 0 || pthread_create(&th, NULL, raw_sink_main, &k) != 0)
        goto out;
    zmq_connect(push, k.in);
    t0 = bench_now_ms();
    while (acked < RAW_N) {
        uint32_t n;

        while (sent < RAW_N && sent - acked < win && zmq_send(push, msg, sizeof msg, 0) >= 0)
            sent++;
        if (zmq_recv(pull, &n, sizeof n, 0) != sizeof n)
            break;
        acked += n;
    }
    rate = acked == RAW_N ? RAW_N / ((bench_now_ms() - t0) / 1e3) : -1;
    pthread_join(th, NULL);
    rate = k.rc == 0 ? rate : -1;
out:
    zmq_close(pull);
    zmq_close(push);
    zmq_ctx_term(k.ctx);
    return rate;
}

/* ---- Redis, appendfsync always ---- */

static inline double bench_redis_xadd(int port, int win)
{
    char dir[256], cmd[1024], line[512], ports[16], payload[RAW_BYTES + 1];
    double rate = -1;
    pid_t pid;
    FILE *p;

    if (bench_mkdtemp(dir, sizeof dir, "redis") != 0)
        return -1;
    snprintf(ports, sizeof ports, "%d", port);
    if ((pid = fork()) == 0) {
        int fd = open("/dev/null", O_WRONLY);

        dup2(fd, 1);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execlp("redis-server", "redis-server", "--port", ports, "--bind", "127.0.0.1", "--dir", dir,
               "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode",
               "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && bench_port_free(port); i++)
        usleep(10000);
    memset(payload, 'x', RAW_BYTES);
    payload[RAW_BYTES] = 0;
    snprintf(cmd, sizeof cmd,
             "redis-benchmark -h 127.0.0.1 -p %d -c 1 -P %d -n %d -q XADD bench '*' f %s 2>&1",
             port, win, RAW_N, payload);
    if ((p = popen(cmd, "r"))) {
        while (fgets(line, sizeof line, p)) {
            char *r = strstr(line, " requests per second");

            /* -q prints "XADD ...: 123456.78 requests per second, p50=..."
             * after carriage-return progress lines */
            if (r) {
                *r = 0;
                r = strrchr(line, ' ');
                rate = r ? atof(r + 1) : -1;
            }
        }
        pclose(p);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    bench_rmrf(dir);
    return rate;
}

#endif
