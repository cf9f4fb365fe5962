/* test_assess_pages.c - the paged answers of ListClusters and GetRanking
 * (proto/jiju/v1/query.proto "Paging"): the page size rule and the tokens;
 * every cluster once, in id order, over pages of any size; a ranking paged
 * while reports keep changing it comes whole from the ranking of its first
 * page; a token whose ranking is gone is served if unchanged and refused
 * E_PAGE_STALE if not; a closed period's tokens survive a restart; no page
 * above the frame limit; a reporter's pages hold its own rows only; bad
 * sizes and tokens refused with field, rule and value, all in one reply.
 * Real RocksDB, no sockets. */
#include "assess_pages.h"
#include "assess_score.h"
#include "test_assess_support.h"

#define BODY(x) JIJU__V1__ENVELOPE__BODY_##x
#define N 2345

typedef struct pager {
    Jiju__V1__QueryRequest q;
    Jiju__V1__ListClusters lc;
    Jiju__V1__GetRanking gr;
    char token[ASSESS_TOKEN_CAP];
} pager;

static void pager_init(pager *p, const char *ptext, uint32_t page_size)
{
    jiju__v1__query_request__init(&p->q);
    jiju__v1__list_clusters__init(&p->lc);
    jiju__v1__get_ranking__init(&p->gr);
    p->token[0] = '\0';
    if (ptext) {
        p->q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING;
        p->q.get_ranking = &p->gr;
        p->gr.period = (char *)ptext;
        p->gr.page_size = page_size;
        p->gr.page_token = p->token;
    } else {
        p->q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS;
        p->q.list_clusters = &p->lc;
        p->lc.page_size = page_size;
        p->lc.page_token = p->token;
    }
}

/* One page into reply (ok asserted); the next token kept; 1 if more. */
static int pager_next(fixture *fx, pager *p, const key_entry *k, Jiju__V1__QueryReply *reply)
{
    jiju__v1__query_reply__init(reply);
    assert_int_equal(assess_query_as(fx->a, &p->q, k, reply), JIJU_OK);
    if (!reply->ok)
        fail_msg("refused: %s", reply->error);
    assert_true(strlen(reply->next_page_token) < sizeof p->token);
    strcpy(p->token, reply->next_page_token);
    return p->token[0] != '\0';
}

/* The refusal of one query, copied. */
static void refused(fixture *fx, pager *p, char *why, size_t cap)
{
    Jiju__V1__QueryReply reply = JIJU__V1__QUERY_REPLY__INIT;

    assert_int_equal(assess_query(fx->a, &p->q, &reply), JIJU_OK);
    assert_false(reply.ok);
    assert_int_equal(reply.n_ranking + reply.n_clusters, 0);
    snprintf(why, cap, "%s", reply.error);
    assess_reply_free(&reply);
}

static void test_page_size_and_tokens(void **state)
{
    assess_rank_token t = {.period = "2024Q2", .final = true, .offset = 1000}, back;
    char why[256] = "", tok[ASSESS_TOKEN_CAP], id[40];
    static const char *const bad[] = {"",
                                      "R1",
                                      "R1.2024Q2.F.1000",
                                      "R1.2024Q9.F.1000.00112233445566778899aabbccddeeff",
                                      "R1.2024Q2.X.1000.00112233445566778899aabbccddeeff",
                                      "R1.2024Q2.F.01000.00112233445566778899aabbccddeeff",
                                      "R1.2024Q2.F.-1.00112233445566778899aabbccddeeff",
                                      "R1.2024Q2.F.99999999999.00112233445566778899aabbccddeeff",
                                      "R1.2024Q2.F.1000.00112233445566778899AABBCCDDEEFF",
                                      "R1.2024Q2.F.1000.00112233445566778899aabbccddeeff00",
                                      "C1.4330"};

    (void)state;
    assert_int_equal(assess_page_size(0, "f", why, sizeof why), ASSESS_PAGE_DEFAULT);
    assert_int_equal(assess_page_size(1, "f", why, sizeof why), 1);
    assert_int_equal(assess_page_size(ASSESS_PAGE_MAX, "f", why, sizeof why), ASSESS_PAGE_MAX);
    assert_string_equal(why, "");
    assert_int_equal(assess_page_size(5001, "get_ranking.page_size", why, sizeof why), 0);
    assert_string_equal(why, "E_PAGE_SIZE: get_ranking.page_size must be 0 (meaning 1000) to "
                             "5000, not 5001");

    for (int i = 0; i < 16; i++)
        t.digest[i] = (uint8_t)(i * 17);
    assess_rank_token_format(&t, tok, sizeof tok);
    assert_string_equal(tok, "R1.2024Q2.F.1000.00112233445566778899aabbccddeeff");
    assert_int_equal(assess_rank_token_parse(tok, &back), 0);
    assert_memory_equal(&back, &t, sizeof t);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (assess_rank_token_parse(bad[i], &back) == 0)
            fail_msg("took \"%s\"", bad[i]);

    assess_cluster_token_format("JL-WL-001", tok, sizeof tok);
    assert_string_equal(tok, "C1.4a4c2d574c2d303031");
    assert_int_equal(assess_cluster_token_parse(tok, id, sizeof id), 0);
    assert_string_equal(id, "JL-WL-001");
    assert_int_equal(assess_cluster_token_parse("C1.", id, sizeof id), -1);
    assert_int_equal(assess_cluster_token_parse("C1.4a4", id, sizeof id), -1);
    assert_int_equal(assess_cluster_token_parse("C1.4a00", id, sizeof id), -1); /* NUL */
    assert_int_equal(assess_cluster_token_parse(t.period, id, sizeof id), -1);
}

static assess_snapshot *snapshot_of(const char *ptext, size_t n, const char *name)
{
    Jiju__V1__RankEntry **v = calloc(n, sizeof *v);
    assess_snapshot *s;
    char id[32];

    for (size_t i = 0; i < n; i++) {
        v[i] = malloc(sizeof *v[i]);
        jiju__v1__rank_entry__init(v[i]);
        snprintf(id, sizeof id, "C%05zu", i);
        v[i]->cluster_id = strdup(id);
        v[i]->cluster_name = strdup(name);
        v[i]->rank = (uint32_t)i + 1;
    }
    s = assess_snapshot_new(ptext, false, v, n);
    assert_non_null(s);
    assess_score_entries_destroy(&v, n);
    return s;
}

static void test_rankings_held_within_bounds(void **state)
{
    assess_pages *p = assess_pages_new();
    assess_snapshot *s, *t;
    const assess_snapshot *kept;
    uint8_t digest0[ASSESS_DIGEST_LEN];
    size_t bytes;
    char name[16];

    (void)state;
    for (int i = 0; i < ASSESS_SNAPSHOTS + 2; i++) {
        snprintf(name, sizeof name, "n%d", i);
        s = snapshot_of("2024", 10, name);
        if (i == 0)
            memcpy(digest0, s->digest, sizeof digest0);
        assert_non_null(kept = assess_pages_keep(p, &s, 1000 + i));
        assert_null(s);
    }
    /* at most ASSESS_SNAPSHOTS, the least recently used gone */
    assert_int_equal(assess_pages_held(p, &bytes), ASSESS_SNAPSHOTS);
    assert_null(assess_pages_find(p, "2024", false, digest0, 2000));
    /* the same ranking again is the one held */
    s = snapshot_of("2024", 10, "n5");
    t = snapshot_of("2024", 10, "n5");
    assert_memory_equal(s->digest, t->digest, ASSESS_DIGEST_LEN);
    kept = assess_pages_find(p, "2024", false, s->digest, 2000);
    assert_non_null(kept);
    assert_ptr_equal(assess_pages_keep(p, &s, 2001), kept);
    assert_null(s);
    assert_null(assess_pages_find(p, "2023", false, t->digest, 2002)); /* another period */
    assert_null(assess_pages_find(p, "2024", true, t->digest, 2002));  /* final */
    /* unused for ASSESS_SNAPSHOT_IDLE_MS: dropped */
    assert_null(assess_pages_find(p, "2024", false, t->digest, 2001 + ASSESS_SNAPSHOT_IDLE_MS));
    assert_int_equal(assess_pages_held(p, &bytes), 0);
    assert_int_equal(bytes, 0);
    assess_snapshot_destroy(&t);
    /* above the byte bound alone: served by the caller, not held */
    s = snapshot_of("2024", ASSESS_SNAPSHOT_BYTES / 16, "x");
    assert_true(assess_snapshot_bytes(s) > ASSESS_SNAPSHOT_BYTES);
    assert_ptr_equal(assess_pages_keep(p, &s, 5000), s);
    assert_int_equal(assess_pages_held(p, NULL), 0);
    assess_snapshot_destroy(&s);
    assess_pages_destroy(&p);
    assert_null(p);
}

static void test_clusters_paged(void **state)
{
    static const uint32_t sizes[] = {0, 1000, 700, 5000};
    fixture *fx = fx_new();
    Jiju__V1__QueryReply reply;
    char last[16], why[1024];
    pager p;

    (void)state;
    fx_populate(fx, 0, N, NULL);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        uint32_t per = sizes[k] ? sizes[k] : 1000;
        size_t seen = 0, pages = 0;
        int more;
        pager_init(&p, NULL, sizes[k]);
        last[0] = '\0';
        do {
            more = pager_next(fx, &p, NULL, &reply);
            assert_int_equal(reply.total_size, pages == 0 ? N : 0); /* first page only */
            assert_int_equal(reply.n_clusters, more ? per : N - seen);
            for (size_t i = 0; i < reply.n_clusters; i++, seen++) {
                char want[16];
                snprintf(want, sizeof want, "C%05zu", seen);
                assert_string_equal(reply.clusters[i]->id, want); /* once each, in order */
                assert_true(strcmp(reply.clusters[i]->id, last) > 0);
                snprintf(last, sizeof last, "%s", reply.clusters[i]->id);
            }
            assess_reply_free(&reply);
            pages++;
        } while (more);
        assert_int_equal(seen, N);
        assert_int_equal(pages, (N + per - 1) / per);
    }
    /* a cluster registered while paging comes if its id is past the page */
    pager_init(&p, NULL, 1000);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assess_reply_free(&reply);
    fx_populate(fx, N, 1, NULL);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assess_reply_free(&reply);
    assert_false(pager_next(fx, &p, NULL, &reply));
    assert_int_equal(reply.n_clusters, N + 1 - 2000);
    assert_string_equal(reply.clusters[reply.n_clusters - 1]->id, "C02345");
    assess_reply_free(&reply);

    /* refused, every problem in one reply, the value named */
    pager_init(&p, NULL, 5001);
    strcpy(p.token, "R1.2024.P.0.00");
    refused(fx, &p, why, sizeof why);
    assert_string_equal(
        why, "E_PAGE_SIZE: list_clusters.page_size must be 0 (meaning 1000) to 5000, not "
             "5001; E_PAGE_TOKEN: list_clusters.page_token \"R1.2024.P.0.00\" (14 "
             "bytes) is not a page token of this query: send \"\" for the first page, "
             "else the reply's next_page_token unchanged");
    pager_init(&p, NULL, 0);
    strcpy(p.token, "C1.\xff\xfe");
    refused(fx, &p, why, sizeof why);
    if (!strstr(why, "\"C1.\\xFF\\xFE\" (5 bytes)")) /* escaped: valid UTF-8 */
        fail_msg("%s", why);
    fx_free(&fx);
}

/* Every entry of a ranking, page by page, as packed bytes (to compare). */
static size_t read_ranking(fixture *fx, const char *ptext, uint32_t size, char **all, size_t *bytes,
                           size_t *pages)
{
    Jiju__V1__QueryReply reply;
    size_t n = 0, cap = 0, len = 0;
    pager p;
    int more;

    pager_init(&p, ptext, size);
    *all = NULL;
    *pages = 0;
    do {
        more = pager_next(fx, &p, NULL, &reply);
        assert_true(jiju__v1__query_reply__get_packed_size(&reply) <
                    (size_t)fx->cfg.shared.max_frame_bytes);
        for (size_t i = 0; i < reply.n_ranking; i++, n++) {
            size_t sz = jiju__v1__rank_entry__get_packed_size(reply.ranking[i]);
            if (len + sz + 1 > cap)
                *all = realloc(*all, cap = 2 * (len + sz + 1));
            len += jiju__v1__rank_entry__pack(reply.ranking[i], (uint8_t *)*all + len);
            if (reply.ranking[i]->rank)
                assert_int_equal(reply.ranking[i]->rank, n + 1);
        }
        assess_reply_free(&reply);
        ++*pages;
    } while (more);
    *bytes = len;
    return n;
}

static void test_ranking_paged_stays_one_ranking(void **state)
{
    fixture *fx = fx_new();
    Jiju__V1__QueryReply reply;
    char *whole, *paged, why[1024], token[ASSESS_TOKEN_CAP];
    size_t pages, wlen, plen;
    pager p;
    figures strong = {90, 900 * YI_YUAN_FEN, 5000};

    (void)state;
    fx_populate(fx, 0, N, "2023");
    assert_int_equal(read_ranking(fx, "2023", 5000, &whole, &wlen, &pages), N);
    assert_int_equal(pages, 1);
    assert_int_equal(read_ranking(fx, "2023", 0, &paged, &plen, &pages), N);
    assert_int_equal(pages, 3);
    assert_int_equal(plen, wlen);
    assert_memory_equal(whole, paged, wlen); /* the same entries, the same order */
    free(paged);

    /* a report that changes the ranking lands between page 1 and page 2:
     * every page is of page 1's ranking, and a new read sees the change */
    pager_init(&p, "2023", 1000);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assert_int_equal(reply.total_size, N);
    assert_string_not_equal(reply.ranking[0]->cluster_id, "C00007");
    assess_reply_free(&reply);
    assert_int_equal(fx_report(fx, "R00007-2", "C00007", "2023", 2, strong), 0);
    fx_events(fx);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assert_int_equal(reply.total_size, 0);
    for (size_t i = 0; i < reply.n_ranking; i++)
        assert_int_equal(reply.ranking[i]->rank ? reply.ranking[i]->rank : 1001 + i, 1001 + i);
    assess_reply_free(&reply);
    strcpy(token, p.token);
    assert_false(pager_next(fx, &p, NULL, &reply));
    assess_reply_free(&reply);
    pager_init(&p, "2023", 1);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assert_string_equal(reply.ranking[0]->cluster_id, "C00007");
    assess_reply_free(&reply);

    /* the ranking of that token gone (a restart): it changed, so refused */
    fx_close_store(fx);
    fx_open_store(fx);
    pager_init(&p, "2023", 1000);
    strcpy(p.token, token);
    refused(fx, &p, why, sizeof why);
    assert_non_null(strstr(why, "E_PAGE_STALE: get_ranking.page_token: the provisional ranking of "
                                "2023 changed since its first page was read"));
    /* one for another period, or a final token of an open period */
    p.gr.period = "2022";
    refused(fx, &p, why, sizeof why);
    assert_non_null(strstr(why, "was made for period 2023, not 2022"));
    p.gr.period = "2023";
    token[strlen("R1.2023.")] = 'F';
    strcpy(p.token, token);
    refused(fx, &p, why, sizeof why);
    assert_non_null(strstr(why, "names a final ranking, and the period is open"));

    /* unchanged since: a token survives the restart; closing ends it */
    pager_init(&p, "2023", 1000);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assess_reply_free(&reply);
    strcpy(token, p.token);
    fx_close_store(fx);
    fx_open_store(fx);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assert_int_equal(reply.n_ranking, 1000);
    assess_reply_free(&reply);
    assert_int_equal(fx_period_cmd(fx, "2023", 1), 0);
    fx_events(fx);
    pager_init(&p, "2023", 1000);
    strcpy(p.token, token);
    refused(fx, &p, why, sizeof why);
    assert_non_null(strstr(why, "E_PAGE_STALE: get_ranking.page_token: the period closed"));

    /* final: paged the same as whole, tokens valid across a restart */
    free(whole);
    assert_int_equal(read_ranking(fx, "2023", 5000, &whole, &wlen, &pages), N);
    pager_init(&p, "2023", 2000);
    assert_true(pager_next(fx, &p, NULL, &reply));
    assert_true(reply.final);
    assess_reply_free(&reply);
    fx_close_store(fx);
    fx_open_store(fx);
    assert_false(pager_next(fx, &p, NULL, &reply));
    assert_int_equal(reply.n_ranking, N - 2000);
    assess_reply_free(&reply);
    free(whole);
    fx_free(&fx);
}

/* limits.max_frame_bytes made small: pages stop short of it, and together
 * they are still the whole ranking, in order. A reporter sees its own. */
static void test_pages_under_the_frame_limit(void **state)
{
    fixture *fx = fx_new();
    char *mine[] = {"C00003", "C02000"}, *all;
    key_entry k;
    Jiju__V1__QueryReply reply;
    size_t pages, len;
    pager p;

    (void)state;
    fx_populate(fx, 0, N, "2023");
    fx->cfg.shared.max_frame_bytes = 100 * 1024;
    assert_int_equal(read_ranking(fx, "2023", 5000, &all, &len, &pages), N);
    assert_true(pages >= 5); /* about 200 bytes an entry: ~400 a page */
    free(all);

    memset(&k, 0, sizeof k);
    strcpy(k.name, "c-org");
    k.role = KEY_ROLE_REPORTER;
    k.clusters = mine;
    k.n_clusters = 2;
    pager_init(&p, "2023", 1);
    assert_true(pager_next(fx, &p, &k, &reply));
    assert_int_equal(reply.total_size, 2);
    assert_int_equal(reply.n_ranking, 1);
    const char *first = reply.ranking[0]->cluster_id;
    assert_true(strcmp(first, "C00003") == 0 || strcmp(first, "C02000") == 0);
    assess_reply_free(&reply);
    assert_false(pager_next(fx, &p, &k, &reply)); /* the last of its own: no token */
    assert_int_equal(reply.n_ranking, 1);
    assess_reply_free(&reply);
    pager_init(&p, NULL, 0);
    assert_false(pager_next(fx, &p, &k, &reply));
    assert_int_equal(reply.total_size, 2);
    assert_int_equal(reply.n_clusters, 2);
    assert_string_equal(reply.clusters[1]->id, "C02000");
    assess_reply_free(&reply);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_size_and_tokens),
        cmocka_unit_test(test_rankings_held_within_bounds),
        cmocka_unit_test(test_clusters_paged),
        cmocka_unit_test(test_ranking_paged_stays_one_ranking),
        cmocka_unit_test(test_pages_under_the_frame_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
