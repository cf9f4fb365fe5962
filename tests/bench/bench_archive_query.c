/* bench_archive_query.c - the first page of one cluster's history on an
 * archive of 1,000,000 records, against a raw RocksDB iterator reading the
 * same number of records, same machine, same run (issue 6: "a few
 * milliseconds"). Not a test: run it by hand.
 *
 *   bench_archive_query [records (1000000)] [page (100)] [runs (201)] [index_in_cache (-)]
 *
 * The archive is built in a temporary directory through archive_chain_append
 * (1,000 records per txn, unsynced but the last), 1,000 clusters interleaved
 * so that one cluster's records are spread over the whole history. The build
 * prints its rate, its CPU per record (the process, RocksDB's flush and
 * compaction threads included) and the store's size on disk. With
 * index_in_cache (0 or 1) the store is then closed and opened again with
 * the default budgets and store.index_in_cache as given (store_memory),
 * and the queries run on that; RocksDB's memory (memtables, block cache,
 * table readers) and the process's VmRSS are printed before and after. */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/proc_rss.h"
#include "../unit/test_archive_support.h"
#include "archive_chain.h"
#include "archive_query.h"
#include "archive_store.h"
#include "err.h"
#include "jiju/v1/envelope.pb-c.h"

#define BENCH_CLUSTERS 1000
/* Records per txn: the service commits one drained socket batch per txn
 * (at most a producer's credit, 1,000). With a WriteBatchWithIndex (before
 * the archive's txns were unindexed) 10,000 records per txn built at 22,600
 * records/s, 1,000 at about three times that: each put searched the index. */
#define BENCH_BATCH 1000

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned long long dir_bytes;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F)
        dir_bytes += (unsigned long long)st->st_size;
    return 0;
}

static void print_memory(store_t *s, const char *when)
{
    uint64_t mt, cache, readers;

    store_memory_usage(s, &mt, &cache, &readers);
    printf("memory %s: memtables_mb=%.1f block_cache_mb=%.1f table_readers_mb=%.1f rss_mb=%.1f\n",
           when, (double)mt / 1e6, (double)cache / 1e6, (double)readers / 1e6,
           (double)proc_self_rss_kb() / 1024);
}

/* The built store closed and opened again as the service would, with
 * store.index_in_cache = in_cache. */
static store_t *reopen(store_t **s, const char *dir, int in_cache)
{
    const char *all[3 + 16] = {STORE_STREAM_CFS};
    store_memory mem = STORE_MEMORY_DEFAULT;

    store_close(s);
    for (size_t i = 0; i < archive_n_cfs && i < 16; i++)
        all[3 + i] = archive_cf_names[i];
    mem.index_in_cache = in_cache;
    return store_open_sized(dir, all, archive_n_cfs + 3, archive_cf_names, archive_n_cfs, &mem,
                            NULL, 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static int build(store_t *s, long records)
{
    archive_chain_t *c = archive_chain_open(s);
    store_txn_t *t = store_txn_new_unindexed(s); /* as the service's (stream_opts.unindexed) */
    static const char *periods[] = {"2022Q1", "2022Q2", "2022Q3", "2022Q4",
                                    "2023Q1", "2023Q2", "2023Q3", "2023Q4"};

    if (!c || !t)
        return -1;
    for (long i = 0; i < records; i++) {
        char rid[32], cl[16];
        size_t len;
        uint8_t *env;

        snprintf(rid, sizeof rid, "R%ld", i);
        snprintf(cl, sizeof cl, "JL-%04ld", i % BENCH_CLUSTERS);
        env = tas_report_env(rid, cl, periods[(i / BENCH_CLUSTERS) % 8], 1, 100000000 + i,
                             1600000000000LL + i * 1000, &len);
        if (archive_chain_append(c, t, "reports", i % 2 ? "ingest-2" : "ingest-1",
                                 (uint64_t)i / 2 + 1, env, len, NULL) != JIJU_OK)
            return -1;
        free(env);
        if ((i + 1) % BENCH_BATCH == 0 && store_txn_commit(t, false) != JIJU_OK)
            return -1;
    }
    if (store_txn_commit(t, true) != JIJU_OK)
        return -1;
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
    return 0;
}

/* One first page of cluster (archive_query_run, decoded records). */
static double time_query(store_t *s, const char *cluster, uint32_t page, int newest)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *r;
    double t0;

    q.cluster_id = (char *)cluster;
    q.limit = page;
    q.order =
        newest ? JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST : JIJU__V1__ARCHIVE_ORDER__OLDEST_FIRST;
    t0 = now_ms();
    r = archive_query_run(s, &q);
    t0 = now_ms() - t0;
    if (!r || !r->ok || r->n_records != page) {
        fprintf(stderr, "bench: query failed\n");
        exit(1);
    }
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    return t0;
}

/* The baseline: a raw iterator seek and `page` consecutive records read. */
static double time_raw(store_t *s, uint64_t start, uint32_t page, volatile size_t *sink)
{
    store_iter_t *it;
    uint8_t key[8];
    double t0 = now_ms();
    uint32_t n = 0;

    it = store_iter_new(s, store_cf(s, ARCHIVE_CF_RECORD));
    store_be64_put(key, start);
    for (store_iter_seek(it, key, 8); store_iter_valid(it) && n < page; store_iter_next(it), n++) {
        size_t kl, vl;
        const uint8_t *v = store_iter_value(it, &vl);
        (void)store_iter_key(it, &kl);
        *sink += vl + v[vl - 1];
    }
    store_iter_destroy(&it);
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    long records = argc > 1 ? atol(argv[1]) : 1000000;
    uint32_t page = argc > 2 ? (uint32_t)atol(argv[2]) : 100;
    int runs = argc > 3 ? atoi(argv[3]) : 201;
    int in_cache = argc > 4 ? atoi(argv[4]) : -1;
    double *a = calloc((size_t)runs, sizeof *a), *b = calloc((size_t)runs, sizeof *b);
    double *c = calloc((size_t)runs, sizeof *c), *raw = calloc((size_t)runs, sizeof *raw);
    volatile size_t sink = 0;
    uint64_t lcg = 12345;
    char dir[64], cl[16];
    double t0, c0, built, cpu;
    store_t *s;

    if (records < BENCH_CLUSTERS * (long)page || runs < 1 || !a || !b || !c || !raw) {
        fprintf(stderr, "usage: bench_archive_query [records >= 1000*page] [page] [runs]\n");
        return 2;
    }
    if (!(s = tas_open_tmp(dir)))
        return 1;
    t0 = now_ms();
    c0 = cpu_ms();
    if (build(s, records) != 0) {
        fprintf(stderr, "bench: build failed\n");
        return 1;
    }
    built = now_ms() - t0;
    cpu = cpu_ms() - c0;
    nftw(dir, add_size, 16, FTW_PHYS);
    printf("built records=%ld clusters=%d ms=%.0f records_per_s=%.0f cpu_us_per_record=%.1f "
           "store_mb=%.0f dir=%s\n",
           records, BENCH_CLUSTERS, built, (double)records / (built / 1e3),
           cpu * 1e3 / (double)records, (double)dir_bytes / 1e6, dir);
    fflush(stdout);
    if (in_cache >= 0) {
        print_memory(s, "after build");
        if (!(s = reopen(&s, dir, in_cache)))
            return 1;
        printf("reopened index_in_cache=%d\n", in_cache);
    }
    for (int i = 0; i < runs; i++) {
        a[i] = time_query(s, "JL-0042", page, 0);
        b[i] = time_query(s, "JL-0042", page, 1);
        snprintf(cl, sizeof cl, "JL-%04d", (i * 37) % BENCH_CLUSTERS);
        c[i] = time_query(s, cl, page, 0);
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        raw[i] = time_raw(s, 1 + (lcg >> 11) % (uint64_t)(records - page), page, &sink);
    }
    {
        double ma = median(a, runs), mb = median(b, runs), mc = median(c, runs);
        double mr = median(raw, runs);
        printf("page=%u runs=%d\n", page, runs);
        printf("query cluster first page, oldest first, same cluster:  median_ms=%.3f\n", ma);
        printf("query cluster first page, newest first, same cluster:  median_ms=%.3f\n", mb);
        printf("query cluster first page, oldest first, other cluster: median_ms=%.3f\n", mc);
        printf("raw iterator seek + %u records:                         median_ms=%.3f\n", page,
               mr);
        printf("ratio query/raw: same=%.1f newest=%.1f other=%.1f\n", ma / mr, mb / mr, mc / mr);
    }
    if (in_cache >= 0)
        print_memory(s, "after queries");
    store_close(&s);
    tas_rm_rf(dir);
    free(a);
    free(b);
    free(c);
    free(raw);
    return sink == 0;
}
