/* bench_common.h - what every benchmark needs the same way: a monotonic
 * clock, the median of several runs, temporary directories, ports, and the
 * raw RocksDB baseline (synced WriteBatch commits of a given size) that
 * Jiju's durable paths are compared against.
 *
 * Header-only (static inline) so each bench_*.c stays one executable. The
 * machine is small and shared: benchmarks interleave Jiju and raw runs in
 * the same round so that noise hits both, and report medians and ratios. */
#ifndef JIJU_BENCH_COMMON_H
#define JIJU_BENCH_COMMON_H

#include <ftw.h>
#include <rocksdb/c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median of v[0..n-1] (sorts a copy; the caller's order is kept). */
static inline double bench_median(const double *v, int n)
{
    double *tmp = n > 0 ? malloc((size_t)n * sizeof *v) : NULL, m;

    if (!tmp)
        return 0;
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, bench_cmp_double);
    m = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
    free(tmp);
    return m;
}

/* A fresh directory under $TMPDIR (default /tmp, i.e. the same disk as a
 * service's data_dir on this machine). Returns 0 or -1. */
static inline int bench_mkdtemp(char *buf, size_t cap, const char *tag)
{
    const char *base = getenv("TMPDIR");

    snprintf(buf, cap, "%s/jiju-bench-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    return mkdtemp(buf) ? 0 : -1;
}

static inline int bench_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void bench_rmrf(const char *dir)
{
    nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Ports unlikely to collide with a parallel test run: derived from the pid,
 * k distinguishes endpoints (and runs) within one benchmark. */
static inline int bench_port(int k)
{
    return 30000 + (getpid() % 2000) * 16 + k % 16;
}

/* Deterministic incompressible-ish bytes (xorshift), so RocksDB's
 * compression does not flatter either side. */
static inline void bench_fill(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

/* The raw RocksDB limit: `records` puts of value_len bytes under big-endian
 * u64 keys, `batch` puts per WriteBatch, every batch written with
 * sync=true (fsync of the WAL), in a fresh DB opened with the options
 * common/store.c uses. Returns records/s, or -1. */
static inline double bench_raw_rocksdb(long records, long batch, size_t value_len)
{
    char dir[256], *err = NULL;
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_writeoptions_t *w = rocksdb_writeoptions_create();
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    uint8_t *val = malloc(value_len + 4096); /* values are windows into it */
    rocksdb_t *db = NULL;
    double t0, ms = -1;

    if (bench_mkdtemp(dir, sizeof dir, "rawdb") != 0 || !val)
        goto out;
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_increase_parallelism(o, 2);
    rocksdb_options_set_max_open_files(o, 256);
    rocksdb_writeoptions_set_sync(w, 1);
    bench_fill(val, value_len + 4096, 42);
    db = rocksdb_open(o, dir, &err);
    if (!db)
        goto out_rm;
    t0 = bench_now_ms();
    for (long i = 0; i < records && !err; i++) {
        uint8_t key[8];

        for (int b = 0; b < 8; b++)
            key[b] = (uint8_t)((uint64_t)(i + 1) >> (56 - 8 * b));
        rocksdb_writebatch_put(wb, (const char *)key, 8, (const char *)val + (i * 61) % 4096,
                               value_len);
        if ((i + 1) % batch == 0 || i + 1 == records) {
            rocksdb_write(db, w, wb, &err);
            rocksdb_writebatch_clear(wb);
        }
    }
    ms = err ? -1 : bench_now_ms() - t0;
    rocksdb_close(db);
out_rm:
    bench_rmrf(dir);
out:
    free(err);
    free(val);
    rocksdb_writebatch_destroy(wb);
    rocksdb_writeoptions_destroy(w);
    rocksdb_options_destroy(o);
    return ms > 0 ? (double)records / (ms / 1e3) : -1;
}

/* Mean group-commit size in ingest's log after byte offset `from` (its
 * debug lines "event=submit_batch n=N"); *max is raised to the largest batch
 * seen, never lowered, so a caller can keep one maximum across rounds. */
static inline void bench_ingest_batches(const char *path, long from, double *mean, long *max)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    long n = 0, sum = 0, b;
    const char *p;

    *mean = 0;
    if (!f)
        return;
    fseek(f, from, SEEK_SET);
    while (fgets(line, sizeof line, f))
        if ((p = strstr(line, "event=submit_batch n=")) && sscanf(p + 21, "%ld", &b) == 1) {
            n++;
            sum += b;
            *max = b > *max ? b : *max;
        }
    fclose(f);
    *mean = n ? (double)sum / (double)n : 0;
}

#endif
