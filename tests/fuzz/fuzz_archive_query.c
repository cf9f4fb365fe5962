/* fuzz_archive_query.c - what auditors send to the archive's published
 * query port: any bytes as an ArchiveQueryRequest, run against a real
 * archive store of 300 records (reports and ranking events over several
 * clusters, periods and times).
 *
 * Promises checked on every request that decodes, beyond not crashing:
 *   - a reply always comes (ok, or refused with a reason);
 *   - an ok reply holds at most the page asked for (limit 0: 100, at most
 *     1000), in the order asked, every record matching the stream filter;
 *   - its cursor, given back with the same request, is accepted. */
#include <stdbool.h>
#include <string.h>

#include "archive_query.h"
#include "fuzz.h"
#include "../unit/test_archive_support.h"

#define N_RECORDS 300

static store_t *store;
static char dir[64];

static void cleanup(void)
{
    store_close(&store);
    tas_rm_rf(dir);
}

static void build_archive(void)
{
    static const char *clusters[] = {"C1", "C2", "JL-WL-001"};
    static const char *periods[] = {"2022", "2023", "2023Q2"};
    archive_chain_t *c;
    store_txn_t *t;
    char id[32];

    if (!(store = tas_open_tmp(dir))) {
        perror("fuzz: archive store");
        exit(2);
    }
    atexit(cleanup);
    c = archive_chain_open(store);
    t = store_txn_new(store);
    for (int i = 0; i < N_RECORDS; i++) {
        size_t len;
        uint64_t seq;
        int64_t ms = INT64_C(1672531200000) + (int64_t)i * 3600000;
        uint8_t *env;

        snprintf(id, sizeof id, "R%03d", i);
        env = i % 10 == 9 ? tas_ranking_env(periods[i % 3], ms, &len)
                          : tas_report_env(id, clusters[i % 3], periods[i % 3],
                                           (uint32_t)(1 + i % 2), INT64_C(100000) * i, ms, &len);
        if (!c || !t || !env ||
            archive_chain_append(c, t, i % 10 == 9 ? "events" : "reports",
                                 i % 10 == 9 ? "assessment" : "ingest-1", (uint64_t)i + 1, env, len,
                                 &seq) != 0) {
            fprintf(stderr, "fuzz: cannot build the archive\n");
            exit(2);
        }
        free(env);
    }
    if (store_txn_commit(t, true) != JIJU_OK)
        exit(2);
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
}

static void check_reply(const Jiju__V1__ArchiveQueryRequest *q,
                        const Jiju__V1__ArchiveQueryReply *r)
{
    size_t limit = q->limit == 0                        ? ARCHIVE_QUERY_DEFAULT_LIMIT
                   : q->limit > ARCHIVE_QUERY_MAX_LIMIT ? ARCHIVE_QUERY_MAX_LIMIT
                                                        : q->limit;

    FUZZ_CHECK(r != NULL);
    if (!r->ok) {
        FUZZ_CHECK(r->error && r->error[0]);
        return;
    }
    FUZZ_CHECK(r->n_records <= limit);
    for (size_t i = 0; i < r->n_records; i++) {
        const Jiju__V1__ArchiveRecord *x = r->records[i];
        FUZZ_CHECK(x->archive_seq >= 1 && x->archive_seq <= N_RECORDS);
        FUZZ_CHECK(!q->stream[0] || strcmp(q->stream, x->stream) == 0);
        FUZZ_CHECK(x->hash.len == 32);
        if (i)
            FUZZ_CHECK(q->order == JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST
                           ? x->archive_seq < r->records[i - 1]->archive_seq
                           : x->archive_seq > r->records[i - 1]->archive_seq);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Jiju__V1__ArchiveQueryRequest *q;
    Jiju__V1__ArchiveQueryReply *r, *next;

    if (!store)
        build_archive();
    if (!(q = jiju__v1__archive_query_request__unpack(NULL, size, data)))
        return 0; /* the server answers undecodable bytes before the store */
    r = archive_query_run(store, q);
    check_reply(q, r);
    if (r && r->ok && r->next_cursor.len) {
        ProtobufCBinaryData mine = q->cursor;
        q->cursor = r->next_cursor; /* borrowed from r for the second page */
        next = archive_query_run(store, q);
        check_reply(q, next);
        FUZZ_CHECK(next->ok);
        q->cursor = mine;
        jiju__v1__archive_query_reply__free_unpacked(next, NULL);
    }
    if (r)
        jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    jiju__v1__archive_query_request__free_unpacked(q, NULL);
    return 0;
}

/* ---- seeds: a request per filter, and one in reverse order ---- */

#define N_SEEDS 6
static uint8_t *seed_buf[N_SEEDS];
static size_t seed_len[N_SEEDS];

size_t fuzz_seeds(const uint8_t ***data, const size_t **lens)
{
    static bool made;

    for (int i = 0; i < N_SEEDS && !made; i++) {
        Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
        q.request_id = "q";
        q.limit = 20;
        switch (i) {
        case 0:
            q.cluster_id = "C1";
            break;
        case 1:
            q.period = "2023";
            q.order = JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST;
            break;
        case 2:
            q.type = "jiju.v1.ReportAccepted";
            q.stream = "reports";
            break;
        case 3:
            q.report_id = "R010";
            break;
        case 4:
            q.from_time_ms = INT64_C(1672531200000);
            q.to_time_ms = INT64_C(1673000000000);
            break;
        default:
            q.stream = "events";
            q.omit_envelope = 1;
            q.limit = 0;
            break;
        }
        seed_len[i] = jiju__v1__archive_query_request__get_packed_size(&q);
        seed_buf[i] = malloc(seed_len[i] ? seed_len[i] : 1);
        jiju__v1__archive_query_request__pack(&q, seed_buf[i]);
    }
    made = true;
    *data = (const uint8_t **)seed_buf;
    *lens = seed_len;
    return N_SEEDS;
}
