/* test_archive.c - the archive: hash chain, verification of altered, missing
 * and swapped records (changed directly in RocksDB), queries over every
 * index in both directions with pagination, and the replay used to rebuild. */
/* cmocka.h needs these three first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <openssl/evp.h>

#include "archive_index.h"
#include "archive_query.h"
#include "archive_replay.h"
#include "archive_verify.h"
#include "envelope.h"
#include "jiju/v1/archive.pb-c.h"
#include "pb.h"
#include "test_archive_support.h"

#define N_RECORDS 200
#define T0 1700000000000LL

/* What the fixture put at each archive sequence (index seq - 1). */
typedef struct meta {
    char stream[16], producer[16], cluster[8], period[8], type[40], report_id[16];
    uint64_t source_seq;
    int64_t time_ms;
} meta;

typedef struct fixture {
    char dir[64];
    store_t *s;
    meta m[N_RECORDS];
} fixture;

static void fx_record(meta *m, int i, uint64_t *src_seq)
{
    memset(m, 0, sizeof *m);
    m->time_ms = T0 + i * 1000LL - (i % 3) * 1500LL; /* not monotonic in seq */
    if (i % 4 == 3) {
        strcpy(m->stream, ARCHIVE_STREAM_EVENTS);
        strcpy(m->producer, "assessment");
        strcpy(m->type, "jiju.v1.RankingUpdated");
        strcpy(m->period, i % 2 ? "2023" : "2024");
        m->source_seq = ++src_seq[2];
        return;
    }
    strcpy(m->stream, ARCHIVE_STREAM_REPORTS);
    strcpy(m->producer, i % 2 ? "ingest-2" : "ingest-1");
    m->source_seq = ++src_seq[i % 2];
    snprintf(m->cluster, sizeof m->cluster, "C%d", i % 5);
    strcpy(m->period, i % 2 ? "2023" : "2024");
    strcpy(m->type, "jiju.v1.ReportAccepted");
    snprintf(m->report_id, sizeof m->report_id, "R%d", i);
}

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    archive_chain_t *c;
    store_txn_t *t;
    uint64_t src[3] = {0, 0, 0}, seq;

    fx->s = tas_open_tmp(fx->dir);
    assert_non_null(fx->s);
    c = archive_chain_open(fx->s);
    t = store_txn_new(fx->s);
    for (int i = 0; i < N_RECORDS; i++) {
        meta *m = &fx->m[i];
        size_t len;
        uint8_t *env;

        fx_record(m, i, src);
        env = m->cluster[0] ? tas_report_env(m->report_id, m->cluster, m->period, 1, 1000000LL * i,
                                             m->time_ms, &len)
                            : tas_ranking_env(m->period, m->time_ms, &len);
        assert_int_equal(
            archive_chain_append(c, t, m->stream, m->producer, m->source_seq, env, len, &seq),
            JIJU_OK);
        assert_int_equal(seq, (uint64_t)i + 1);
        free(env);
        if (i % 50 == 49)
            assert_int_equal(store_txn_commit(t, false), JIJU_OK);
    }
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;

    store_close(&fx->s);
    tas_rm_rf(fx->dir);
    free(fx);
    return 0;
}

/* ---- direct changes to the stored records ---- */

static void fx_put_raw(store_t *s, uint64_t seq, const void *val, size_t len)
{
    store_txn_t *t = store_txn_new(s);
    uint8_t key[8];

    store_be64_put(key, seq);
    if (val)
        assert_int_equal(store_txn_put(t, store_cf(s, ARCHIVE_CF_RECORD), key, 8, val, len), 0);
    else
        assert_int_equal(store_txn_del(t, store_cf(s, ARCHIVE_CF_RECORD), key, 8), 0);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
}

static Jiju__V1__ArchiveRecord *fx_get(store_t *s, uint64_t seq)
{
    Jiju__V1__ArchiveRecord *rec;
    uint8_t key[8];
    void *val;
    size_t len;

    store_be64_put(key, seq);
    assert_int_equal(store_get(s, store_cf(s, ARCHIVE_CF_RECORD), key, 8, &val, &len), JIJU_OK);
    rec = jiju__v1__archive_record__unpack(NULL, len, val);
    free(val);
    assert_non_null(rec);
    return rec;
}

static void fx_put_rec(store_t *s, uint64_t seq, const Jiju__V1__ArchiveRecord *rec)
{
    uint8_t *buf;
    size_t len;

    assert_int_equal(pb_pack(&rec->base, &buf, &len), JIJU_OK);
    fx_put_raw(s, seq, buf, len);
    free(buf);
}

/* Replace the revenue inside record seq's envelope; if rehash, also forge its
 * own link from the stored previous hash (a careful forger). */
static void fx_alter_revenue(store_t *s, uint64_t seq, int rehash)
{
    Jiju__V1__ArchiveRecord *rec = fx_get(s, seq), *prev = fx_get(s, seq - 1);
    Jiju__V1__Envelope *env =
        jiju__v1__envelope__unpack(NULL, rec->envelope.len, rec->envelope.data);
    uint8_t *buf;
    size_t len;

    assert_non_null(env);
    assert_non_null(env->report_accepted);
    env->report_accepted->report->revenue_fen += 100; /* one yuan more */
    assert_int_equal(pb_pack(&env->base, &buf, &len), JIJU_OK);
    free(rec->envelope.data);
    rec->envelope.data = buf;
    rec->envelope.len = len;
    if (rehash)
        assert_int_equal(archive_hash(prev->hash.data, seq, rec->stream, rec->producer_id,
                                      rec->source_seq, buf, len, rec->hash.data),
                         JIJU_OK);
    fx_put_rec(s, seq, rec);
    jiju__v1__envelope__free_unpacked(env, NULL);
    jiju__v1__archive_record__free_unpacked(rec, NULL);
    jiju__v1__archive_record__free_unpacked(prev, NULL);
}

static archive_verify_result fx_verify(store_t *s)
{
    archive_verify_result r;

    assert_int_equal(archive_verify(s, &r), JIJU_OK);
    return r;
}

/* ---- the chain and verify ---- */

static void test_chain_intact_and_formula(void **state)
{
    fixture *fx = *state;
    archive_verify_result r = fx_verify(fx->s);
    Jiju__V1__ArchiveRecord *rec = fx_get(fx->s, 1);
    uint8_t zero[32] = {0}, h[32], pre[8] = {0, 0, 0, 0, 0, 0, 0, 1}, src[8] = {0};
    uint8_t l_stream[2] = {0, 7}, l_prod[2] = {0, 8};
    unsigned int hl = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    assert_int_equal(r.status, ARCHIVE_VERIFY_OK);
    assert_int_equal(r.checked, N_RECORDS);
    assert_int_equal(r.head_seq, N_RECORDS);
    /* the formula documented in archive.proto, written out independently */
    src[7] = 1;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, zero, 32);
    EVP_DigestUpdate(ctx, pre, 8);
    EVP_DigestUpdate(ctx, l_stream, 2);
    EVP_DigestUpdate(ctx, "reports", 7);
    EVP_DigestUpdate(ctx, l_prod, 2);
    EVP_DigestUpdate(ctx, "ingest-1", 8);
    EVP_DigestUpdate(ctx, src, 8);
    EVP_DigestUpdate(ctx, rec->envelope.data, rec->envelope.len);
    EVP_DigestFinal_ex(ctx, h, &hl);
    EVP_MD_CTX_free(ctx);
    assert_int_equal(rec->hash.len, 32);
    assert_memory_equal(rec->hash.data, h, 32);
    jiju__v1__archive_record__free_unpacked(rec, NULL);
}

static void test_verify_names_altered(void **state)
{
    fixture *fx = *state;
    archive_verify_result r;

    fx_alter_revenue(fx->s, 57, 0);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_ALTERED);
    assert_int_equal(r.seq, 57);
    assert_int_equal(r.checked, 56);
}

static void test_verify_names_forged_link_by_next(void **state)
{
    fixture *fx = *state;
    archive_verify_result r;

    /* record 57 re-hashed consistently: its successor no longer links */
    fx_alter_revenue(fx->s, 57, 1);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_ALTERED);
    assert_int_equal(r.seq, 58);
}

static void test_verify_names_undecodable(void **state)
{
    fixture *fx = *state;
    archive_verify_result r;

    fx_put_raw(fx->s, 12, "\xff\xff\xff", 3);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_ALTERED);
    assert_int_equal(r.seq, 12);
}

static void test_verify_names_missing(void **state)
{
    fixture *fx = *state;
    archive_verify_result r;

    fx_put_raw(fx->s, 80, NULL, 0);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_MISSING);
    assert_int_equal(r.seq, 80);
}

static void test_verify_names_missing_first_and_tail(void **state)
{
    fixture *fx = *state;
    archive_verify_result r;

    fx_put_raw(fx->s, N_RECORDS, NULL, 0);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_MISSING);
    assert_int_equal(r.seq, N_RECORDS);
    fx_put_raw(fx->s, 1, NULL, 0);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_MISSING);
    assert_int_equal(r.seq, 1);
}

static void test_verify_names_swapped(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveRecord *a = fx_get(fx->s, 100), *b = fx_get(fx->s, 131);
    archive_verify_result r;

    fx_put_rec(fx->s, 100, b);
    fx_put_rec(fx->s, 131, a);
    r = fx_verify(fx->s);
    assert_int_equal(r.status, ARCHIVE_VERIFY_REORDERED);
    assert_int_equal(r.seq, 100);
    assert_int_equal(r.found_seq, 131);
    assert_non_null(strstr(r.detail, "swapped"));
    jiju__v1__archive_record__free_unpacked(a, NULL);
    jiju__v1__archive_record__free_unpacked(b, NULL);
}

static void test_reopen_continues_chain(void **state)
{
    fixture *fx = *state;
    archive_chain_t *c;
    store_txn_t *t;
    uint8_t *env;
    size_t len;
    uint64_t seq = 0;

    store_close(&fx->s);
    fx->s = archive_store_open(fx->dir, NULL, 0);
    assert_non_null(fx->s);
    c = archive_chain_open(fx->s);
    assert_int_equal(archive_chain_head_seq(c), N_RECORDS);
    t = store_txn_new(fx->s);
    env = tas_report_env("R-late", "C1", "2024", 2, 5, T0, &len);
    assert_int_equal(archive_chain_append(c, t, "reports", "ingest-3", 1, env, len, &seq), 0);
    assert_int_equal(seq, N_RECORDS + 1);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(fx_verify(fx->s).status, ARCHIVE_VERIFY_OK);
    assert_int_equal(fx_verify(fx->s).checked, N_RECORDS + 1);
    free(env);
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
}

/* The head is put once per txn, as it commits, naming the txn's last record;
 * appends go to another txn only once the open one committed (its head
 * would otherwise name records it does not hold). */
static void test_head_put_as_txn_commits(void **state)
{
    fixture *fx = *state;
    archive_chain_t *c = archive_chain_open(fx->s);
    store_txn_t *t = store_txn_new(fx->s), *u = store_txn_new(fx->s);
    uint8_t hash[ARCHIVE_HASH_LEN];
    uint64_t head = 0;
    archive_cfs cfs;
    uint8_t *env;
    size_t len;

    assert_int_equal(archive_cfs_resolve(fx->s, &cfs), JIJU_OK);
    env = tas_report_env("R-txn", "C1", "2024", 1, 5, T0, &len);
    for (uint64_t i = 1; i <= 3; i++)
        assert_int_equal(archive_chain_append(c, t, "reports", "ingest-1", 900 + i, env, len, NULL),
                         JIJU_OK);
    assert_int_equal(archive_head_read(fx->s, &cfs, &head, hash), JIJU_OK);
    assert_int_equal(head, N_RECORDS); /* nothing of t is stored yet */
    assert_int_equal(archive_chain_append(c, u, "events", "assessment", 1, env, len, NULL),
                     JIJU_ERR_INVALID);
    assert_int_equal(archive_chain_head_seq(c), N_RECORDS + 3); /* the refusal moved nothing */
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    assert_int_equal(archive_head_read(fx->s, &cfs, &head, hash), JIJU_OK);
    assert_int_equal(head, N_RECORDS + 3);
    assert_memory_equal(hash, archive_chain_head_hash(c), ARCHIVE_HASH_LEN);
    assert_int_equal(archive_chain_append(c, u, "events", "assessment", 1, env, len, NULL),
                     JIJU_OK);
    assert_int_equal(store_txn_commit(u, true), JIJU_OK);
    assert_int_equal(fx_verify(fx->s).status, ARCHIVE_VERIFY_OK);
    assert_int_equal(fx_verify(fx->s).checked, N_RECORDS + 4);
    free(env);
    store_txn_destroy(&t);
    store_txn_destroy(&u);
    archive_chain_destroy(&c);
}

/* ---- queries ---- */

static int fx_eq(const char *want, const char *have)
{
    return !want || !want[0] || strcmp(want, have) == 0;
}

static int fx_matches(const meta *m, const Jiju__V1__ArchiveQueryRequest *q)
{
    return fx_eq(q->stream, m->stream) && fx_eq(q->cluster_id, m->cluster) &&
           fx_eq(q->period, m->period) && fx_eq(q->type, m->type) &&
           fx_eq(q->report_id, m->report_id) &&
           (q->from_time_ms == 0 || m->time_ms >= q->from_time_ms) &&
           (q->to_time_ms == 0 || m->time_ms < q->to_time_ms);
}

static const fixture *fx_sorting;

static int fx_by_time(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    int64_t tx = fx_sorting->m[x - 1].time_ms, ty = fx_sorting->m[y - 1].time_ms;

    return tx != ty ? (tx < ty ? -1 : 1) : (x < y ? -1 : x > y);
}

static int fx_only_time(const Jiju__V1__ArchiveQueryRequest *q)
{
    return (q->from_time_ms || q->to_time_ms) && !q->stream[0] && !q->cluster_id[0] &&
           !q->period[0] && !q->type[0] && !q->report_id[0];
}

/* Expected archive sequences in the order asked, from the fixture's list:
 * archive order, or (time, seq) when a time range is the only filter. */
static size_t fx_expected(const fixture *fx, const Jiju__V1__ArchiveQueryRequest *q, uint64_t *out)
{
    size_t n = 0;

    for (int i = 0; i < N_RECORDS; i++)
        if (fx_matches(&fx->m[i], q))
            out[n++] = (uint64_t)i + 1;
    fx_sorting = fx;
    if (fx_only_time(q))
        qsort(out, n, sizeof out[0], fx_by_time);
    if (q->order == JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST)
        for (size_t i = 0; i < n / 2; i++) {
            uint64_t t = out[i];
            out[i] = out[n - 1 - i];
            out[n - 1 - i] = t;
        }
    return n;
}

/* Follow cursors to the end; every page holds at most limit records. */
static size_t fx_query_all(const fixture *fx, Jiju__V1__ArchiveQueryRequest *q, uint64_t *out,
                           size_t *pages)
{
    size_t n = 0;
    uint8_t cursor[512];

    q->cursor.len = 0;
    *pages = 0;
    for (;;) {
        Jiju__V1__ArchiveQueryReply *r = archive_query_run(fx->s, q);

        assert_non_null(r);
        assert_true(r->ok);
        assert_true(r->n_records <= (q->limit ? q->limit : 100));
        assert_int_equal(r->head_seq, N_RECORDS);
        for (size_t i = 0; i < r->n_records; i++) {
            assert_true(n < N_RECORDS);
            out[n++] = r->records[i]->archive_seq;
        }
        (*pages)++;
        if (r->next_cursor.len == 0) {
            jiju__v1__archive_query_reply__free_unpacked(r, NULL);
            return n;
        }
        assert_true(r->next_cursor.len <= sizeof cursor);
        memcpy(cursor, r->next_cursor.data, r->next_cursor.len);
        q->cursor.data = cursor;
        q->cursor.len = r->next_cursor.len;
        jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    }
}

static void fx_check_query(const fixture *fx, Jiju__V1__ArchiveQueryRequest *q)
{
    uint64_t want[N_RECORDS], got[N_RECORDS];
    size_t n_want, n_got, pages;

    for (int order = 0; order < 2; order++) {
        q->order =
            order ? JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST : JIJU__V1__ARCHIVE_ORDER__OLDEST_FIRST;
        n_want = fx_expected(fx, q, want);
        n_got = fx_query_all(fx, q, got, &pages);
        assert_int_equal(n_got, n_want);
        if (n_want)
            assert_memory_equal(got, want, n_want * sizeof want[0]);
    }
}

static void test_query_pagination_both_directions(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    uint64_t got[N_RECORDS];
    size_t pages;

    q.cluster_id = (char *)"C2";
    q.limit = 7;
    fx_check_query(fx, &q);
    /* C2 holds 30 reports: 5 pages of 7 (the last one short), no empty page */
    q.order = JIJU__V1__ARCHIVE_ORDER__NEWEST_FIRST;
    assert_int_equal(fx_query_all(fx, &q, got, &pages), 30);
    assert_int_equal(pages, 5);
    assert_int_equal(got[0], 198);
    q.cluster_id = (char *)"";
    q.limit = 13; /* the whole archive through the record family */
    fx_check_query(fx, &q);
    q.limit = N_RECORDS; /* exactly one page, no cursor */
    q.order = JIJU__V1__ARCHIVE_ORDER__OLDEST_FIRST;
    assert_int_equal(fx_query_all(fx, &q, got, &pages), N_RECORDS);
    assert_int_equal(pages, 1);
}

static void test_query_every_index(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;

    q.limit = 9;
    q.period = (char *)"2023";
    fx_check_query(fx, &q);
    q.period = (char *)"";
    q.type = (char *)"jiju.v1.RankingUpdated";
    fx_check_query(fx, &q);
    q.type = (char *)"";
    q.report_id = (char *)"R42";
    fx_check_query(fx, &q);
    q.report_id = (char *)"";
    q.stream = (char *)"events";
    fx_check_query(fx, &q);
    q.stream = (char *)"";
    q.from_time_ms = T0 + 20000;
    q.to_time_ms = T0 + 90000;
    fx_check_query(fx, &q);
    q.from_time_ms = 0; /* open lower bound */
    fx_check_query(fx, &q);
    q.to_time_ms = 0;
    q.from_time_ms = T0 + 150000; /* open upper bound */
    fx_check_query(fx, &q);
    /* combined: the cluster index drives, the rest is checked per record */
    q.cluster_id = (char *)"C3";
    q.period = (char *)"2024";
    q.stream = (char *)"reports";
    q.from_time_ms = T0 + 30000;
    q.to_time_ms = T0 + 170000;
    fx_check_query(fx, &q);
    q.cluster_id = (char *)"nobody";
    fx_check_query(fx, &q);
}

static void test_query_returns_records_byte_exact(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *r;
    Jiju__V1__ArchiveRecord *direct = fx_get(fx->s, 43);

    q.report_id = (char *)"R42";
    q.request_id = (char *)"q-1";
    r = archive_query_run(fx->s, &q);
    assert_true(r->ok);
    assert_string_equal(r->request_id, "q-1");
    assert_int_equal(r->n_records, 1);
    assert_int_equal(r->records[0]->archive_seq, 43);
    assert_string_equal(r->records[0]->producer_id, fx->m[42].producer);
    assert_int_equal(r->records[0]->source_seq, fx->m[42].source_seq);
    assert_int_equal(r->records[0]->envelope.len, direct->envelope.len);
    assert_memory_equal(r->records[0]->envelope.data, direct->envelope.data, direct->envelope.len);
    assert_int_equal(r->head_hash.len, 32);
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    q.omit_envelope = 1;
    r = archive_query_run(fx->s, &q);
    assert_int_equal(r->records[0]->envelope.len, 0);
    assert_int_equal(r->records[0]->hash.len, 32);
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    jiju__v1__archive_record__free_unpacked(direct, NULL);
}

/* A page stops before its records pass max_bytes (the frame limit) and
 * the cursor carries on from the first record left out: every record
 * once, in order, at least one a page. */
static void test_query_pages_bounded_by_bytes(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    uint8_t cursor[512];
    uint64_t next = 1;
    size_t sizes[2] = {1, 3 * 1024};

    for (int k = 0; k < 2; k++) {
        size_t pages = 0, max = sizes[k];
        next = 1;
        q.limit = 1000;
        q.cursor.len = 0;
        for (;;) {
            Jiju__V1__ArchiveQueryReply *r = archive_query_run_max(fx->s, &q, max);
            size_t bytes = 0;
            assert_true(r->ok);
            assert_true(r->n_records >= 1);
            for (size_t i = 0; i < r->n_records; i++) {
                assert_int_equal(r->records[i]->archive_seq, next++);
                bytes += jiju__v1__archive_record__get_packed_size(r->records[i]) + 8;
            }
            assert_true(r->n_records == 1 || bytes <= max);
            pages++;
            if (r->next_cursor.len == 0) {
                jiju__v1__archive_query_reply__free_unpacked(r, NULL);
                break;
            }
            memcpy(cursor, r->next_cursor.data, r->next_cursor.len);
            q.cursor.data = cursor;
            q.cursor.len = r->next_cursor.len;
            jiju__v1__archive_query_reply__free_unpacked(r, NULL);
        }
        assert_int_equal(next, N_RECORDS + 1);
        if (k == 0)
            assert_int_equal(pages, N_RECORDS); /* one record a page */
        else
            assert_true(pages > 1 && pages < N_RECORDS);
    }
}

static void test_query_refuses_bad_requests(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *r;
    uint8_t other[9] = {1, 'X', 0, 0, 0, 0, 0, 0, 5};

    q.cluster_id = (char *)"C1";
    q.cursor.data = other; /* a cursor of cluster "X" */
    q.cursor.len = sizeof other;
    r = archive_query_run(fx->s, &q);
    assert_false(r->ok);
    assert_non_null(strstr(r->error, "cursor"));
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    q.cursor.len = 0;
    q.from_time_ms = 10;
    q.to_time_ms = 5;
    r = archive_query_run(fx->s, &q);
    assert_false(r->ok);
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
}

/* A scan that finds few matches stops at its budget and hands back a cursor. */
static void test_query_budget_bounds_work(void **state)
{
    fixture *fx = *state;
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    archive_chain_t *c = archive_chain_open(fx->s);
    store_txn_t *t = store_txn_new(fx->s);
    Jiju__V1__ArchiveQueryReply *r;
    uint8_t *env;
    size_t len;

    /* 1100 events of 2025, the only report of 2025 comes last */
    for (int i = 0; i < 1100; i++) {
        env = tas_ranking_env("2025", T0, &len);
        archive_chain_append(c, t, "events", "assessment", (uint64_t)(1000 + i), env, len, NULL);
        free(env);
    }
    env = tas_report_env("R-2025", "C9", "2025", 1, 1, T0, &len);
    archive_chain_append(c, t, "reports", "ingest-1", 999, env, len, NULL);
    free(env);
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    q.period = (char *)"2025";
    q.type = (char *)"jiju.v1.ReportAccepted";
    q.limit = 1;
    r = archive_query_run(fx->s, &q); /* budget 20 + 1000 < 1101 entries */
    assert_true(r->ok);
    assert_int_equal(r->n_records, 0);
    assert_true(r->next_cursor.len > 0);
    q.cursor = r->next_cursor;
    {
        Jiju__V1__ArchiveQueryReply *r2 = archive_query_run(fx->s, &q);
        assert_int_equal(r2->n_records, 1);
        assert_int_equal(r2->records[0]->archive_seq, N_RECORDS + 1101);
        jiju__v1__archive_query_reply__free_unpacked(r2, NULL);
    }
    jiju__v1__archive_query_reply__free_unpacked(r, NULL);
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
}

/* ---- replay for rebuild ---- */

typedef struct replay_log {
    const fixture *fx;
    size_t n;
    uint64_t last;
    int stop_at;
} replay_log;

static int on_replay(void *arg, const archive_entry *e)
{
    replay_log *l = arg;
    const meta *m = &l->fx->m[e->archive_seq - 1];
    archive_fields f;

    assert_true(e->archive_seq > l->last); /* archive order */
    l->last = e->archive_seq;
    assert_string_equal(e->stream, m->stream);
    assert_string_equal(e->producer_id, m->producer);
    assert_int_equal(e->source_seq, m->source_seq);
    assert_int_equal(archive_fields_from_envelope(e->envelope, e->len, &f), JIJU_OK);
    assert_string_equal(f.report_id, m->report_id);
    l->n++;
    return (int)l->n == l->stop_at ? 77 : 0;
}

static void test_replay_inputs_in_archive_order(void **state)
{
    fixture *fx = *state;
    replay_log l = {fx, 0, 0, -1};
    uint64_t last = 0;

    assert_int_equal(archive_replay(fx->s, ARCHIVE_STREAM_REPORTS, 1, on_replay, &l, &last), 0);
    assert_int_equal(l.n, 150); /* every record but the 50 events */
    assert_int_equal(last, N_RECORDS - 1);
    l = (replay_log){fx, 0, 100, -1}; /* resume after 100 */
    assert_int_equal(archive_replay(fx->s, ARCHIVE_STREAM_REPORTS, 101, on_replay, &l, NULL), 0);
    assert_int_equal(l.n, 75);
    l = (replay_log){fx, 0, 0, 3}; /* the callback stops it */
    assert_int_equal(archive_replay(fx->s, ARCHIVE_STREAM_REPORTS, 1, on_replay, &l, &last), 77);
    assert_int_equal(last, 3);
    l = (replay_log){fx, 0, 0, -1}; /* every stream */
    assert_int_equal(archive_replay(fx->s, NULL, 1, on_replay, &l, NULL), 0);
    assert_int_equal(l.n, N_RECORDS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_chain_intact_and_formula),
        T(test_verify_names_altered),
        T(test_verify_names_forged_link_by_next),
        T(test_verify_names_undecodable),
        T(test_verify_names_missing),
        T(test_verify_names_missing_first_and_tail),
        T(test_verify_names_swapped),
        T(test_reopen_continues_chain),
        T(test_head_put_as_txn_commits),
        T(test_query_pagination_both_directions),
        T(test_query_every_index),
        T(test_query_returns_records_byte_exact),
        T(test_query_refuses_bad_requests),
        T(test_query_pages_bounded_by_bytes),
        T(test_query_budget_bounds_work),
        T(test_replay_inputs_in_archive_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
