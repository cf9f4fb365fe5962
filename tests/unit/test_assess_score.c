/* test_assess_score.c - the scoring engine against the worked example of
 * docs/assessment.md (every number written out below), ties, missing-value
 * policies, z-score and target normalisation, one cluster, category ranks,
 * 10,000 rows, and the RankEntry helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assess_score.h"
#include "err.h"
#include "pb.h"

#define WAN 1000000LL /* 1 万元 in fen */

/* The default indicator system: 15 10 15 20 15 10 10 5, min-max, zero. */
static assess_score_params default_params(void)
{
    assess_score_params p = {{15, 10, 15, 20, 15, 10, 10, 5}, NORM_MIN_MAX, MISSING_ZERO, {0}};

    for (int i = 0; i < IND__COUNT; i++)
        p.target_values[i] = 1;
    return p;
}

/* enterprises, investment 万元, output 万元, revenue 万元, tax 万元, employment */
static assess_row make_row(const char *id, int cat, int64_t ent, int64_t inv, int64_t out,
                           int64_t rev, int64_t tax, int64_t emp)
{
    assess_row r;

    memset(&r, 0, sizeof r);
    r.cluster_id = id;
    r.category = cat;
    r.value[IND_ENTERPRISES] = ent;
    r.value[IND_INVESTMENT] = inv * WAN;
    r.value[IND_OUTPUT_VALUE] = out * WAN;
    r.value[IND_REVENUE] = rev * WAN;
    r.value[IND_TAX] = tax * WAN;
    r.value[IND_EMPLOYMENT] = emp;
    for (int i = 0; i < ASSESS_N_REPORTED; i++)
        r.present[i] = true;
    return r;
}

static void set_prev_revenue(assess_row *r, int64_t wan)
{
    r->prev[IND_REVENUE] = wan * WAN;
    r->prev_present[IND_REVENUE] = true;
}

/* The worked example of docs/assessment.md, period 2023. */
static void example_rows(assess_row rows[4])
{
    rows[0] = make_row("JL-WL-001", 1, 60, 30000, 80000, 60000, 3000, 2400);
    rows[0].cluster_name = "博宇医药物流园";
    set_prev_revenue(&rows[0], 50000);
    rows[0].has_prev_rank = true;
    rows[0].prev_rank = 2;
    rows[1] = make_row("JL-SW-002", 2, 120, 10000, 40000, 45000, 2500, 3000);
    rows[1].cluster_name = "河南街商务综合服务区";
    set_prev_revenue(&rows[1], 50000);
    rows[1].has_prev_rank = true;
    rows[1].prev_rank = 1;
    rows[2] = make_row("JL-WL-003", 1, 30, 20000, 60000, 30000, 1200, 1200);
    rows[2].cluster_name = "棋盘化工物流集聚区";
    set_prev_revenue(&rows[2], 24000);
    rows[2].has_prev_rank = true;
    rows[2].prev_rank = 3;
    rows[3] = make_row("JL-KJ-004", 4, 45, 5000, 20000, 15000, 800, 900);
    rows[3].cluster_name = "高新区科技创业园";
}

/* Expected, by rank (A, B, C, D): raw, normalised, points per indicator. */
static const int64_t ex_raw[4][IND__COUNT] = {
    {60, 30000 * WAN, 80000 * WAN, 60000 * WAN, 3000 * WAN, 2400, 400000, 200000},
    {120, 10000 * WAN, 40000 * WAN, 45000 * WAN, 2500 * WAN, 3000, 300000, -100000},
    {30, 20000 * WAN, 60000 * WAN, 30000 * WAN, 1200 * WAN, 1200, 200000, 250000},
    {45, 5000 * WAN, 20000 * WAN, 15000 * WAN, 800 * WAN, 900, 100000, 0},
};
static const int64_t ex_norm[4][IND__COUNT] = {
    {333333, 1000000, 1000000, 1000000, 1000000, 714286, 1000000, 857143},
    {1000000, 200000, 333333, 666667, 772727, 1000000, 666667, 0},
    {0, 600000, 666667, 333333, 181818, 142857, 333333, 1000000},
    {166667, 0, 0, 0, 0, 0, 0, 285714},
};
static const int64_t ex_points[4][IND__COUNT] = {
    {4999995, 10000000, 15000000, 20000000, 15000000, 7142860, 10000000, 4285715},
    {15000000, 2000000, 4999995, 13333340, 11590905, 10000000, 6666670, 0},
    {0, 6000000, 10000005, 6666660, 2727270, 1428570, 3333330, 5000000},
    {2500005, 0, 0, 0, 0, 0, 0, 1428570},
};
static const int64_t ex_score[4] = {86428570, 63590910, 35155835, 3928575};
static const char *const ex_id[4] = {"JL-WL-001", "JL-SW-002", "JL-WL-003", "JL-KJ-004"};
static const uint32_t ex_cat_rank[4] = {1, 1, 2, 1};
static const int32_t ex_change[4] = {1, -1, 0, 0};

static void test_worked_example(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];

    example_rows(rows);
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    for (int k = 0; k < 4; k++) {
        int64_t sum = 0;

        assert_string_equal(rows[s[k].row].cluster_id, ex_id[k]);
        assert_int_equal(s[k].rank, k + 1);
        assert_int_equal(s[k].category_rank, ex_cat_rank[k]);
        assert_int_equal(s[k].rank_change, ex_change[k]);
        assert_int_equal(s[k].has_previous, k < 3);
        for (int i = 0; i < IND__COUNT; i++) {
            assert_int_equal(s[k].c[i].raw, ex_raw[k][i]);
            assert_int_equal(s[k].c[i].normalised_micros, ex_norm[k][i]);
            assert_int_equal(s[k].c[i].points_micros, ex_points[k][i]);
            /* Only D's growth is imputed: it has no previous period. */
            assert_int_equal(s[k].c[i].imputed, k == 3 && i == IND_GROWTH);
            sum += s[k].c[i].points_micros;
        }
        assert_int_equal(s[k].score_micros, ex_score[k]);
        assert_int_equal(sum, ex_score[k]);
    }
}

/* Same score: higher revenue first; same revenue too: smaller id first; a
 * missing revenue ranks below any reported one. */
static void test_ties(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];

    memset(p.weights, 0, sizeof p.weights);
    p.weights[IND_ENTERPRISES] = 100;
    rows[0] = make_row("C-3", 1, 50, 1, 1, 100, 1, 1);
    rows[1] = make_row("B-2", 1, 50, 1, 1, 200, 1, 1);
    rows[2] = make_row("A-1", 1, 50, 1, 1, 100, 1, 1);
    rows[3] = make_row("0-0", 1, 50, 1, 1, 0, 1, 1);
    rows[3].present[IND_REVENUE] = false;
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    for (int k = 0; k < 4; k++)
        assert_int_equal(s[k].score_micros, 100000000); /* all equal: full marks */
    assert_string_equal(rows[s[0].row].cluster_id, "B-2");
    assert_string_equal(rows[s[1].row].cluster_id, "A-1");
    assert_string_equal(rows[s[2].row].cluster_id, "C-3");
    assert_string_equal(rows[s[3].row].cluster_id, "0-0");
    assert_int_equal(s[3].c[IND_REVENUE].imputed, true);
    assert_int_equal(s[2].c[IND_REVENUE].imputed, false);
    /* Input order does not matter. */
    {
        assess_row rev[4] = {rows[3], rows[2], rows[1], rows[0]};
        assess_scored t[4];

        assert_int_equal(assess_score_run(&p, rev, 4, t), JIJU_OK);
        for (int k = 0; k < 4; k++)
            assert_string_equal(rev[t[k].row].cluster_id, rows[s[k].row].cluster_id);
    }
}

/* Three reporters and one missed report under policy `m`; returns the
 * missed row's raw values after imputation. */
static void run_missing(assess_missing m, int64_t raw[IND__COUNT], assess_scored *missed)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];

    p.missing = m;
    rows[0] = make_row("R-1", 1, 10, 100, 100, 100, 10, 100);
    rows[1] = make_row("R-2", 1, 20, 200, 200, 200, 20, 200);
    rows[2] = make_row("R-3", 1, 40, 400, 400, 400, 40, 401);
    rows[3] = make_row("M-4", 1, 0, 0, 0, 0, 0, 0);
    memset(rows[3].present, 0, sizeof rows[3].present);
    rows[3].prev[IND_ENTERPRISES] = 33;
    rows[3].prev_present[IND_ENTERPRISES] = true;
    rows[3].prev[IND_CONTRIBUTION] = 123456;
    rows[3].prev_present[IND_CONTRIBUTION] = true;
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    for (int k = 0; k < 4; k++) {
        int missing_row = strcmp(rows[s[k].row].cluster_id, "M-4") == 0;

        for (int i = 0; i < IND__COUNT; i++)
            /* Growth is missing for all: nobody has a previous revenue. */
            assert_int_equal(s[k].c[i].imputed, missing_row || i == IND_GROWTH);
        if (missing_row)
            *missed = s[k];
    }
    for (int i = 0; i < IND__COUNT; i++)
        raw[i] = missed->c[i].raw;
}

static void test_missing_policies(void **state)
{
    int64_t raw[IND__COUNT];
    assess_scored m;

    run_missing(MISSING_ZERO, raw, &m);
    for (int i = 0; i < IND__COUNT; i++)
        assert_int_equal(raw[i], 0);
    assert_int_equal(m.rank, 4);

    run_missing(MISSING_MIN, raw, &m);
    assert_int_equal(raw[IND_ENTERPRISES], 10);
    assert_int_equal(raw[IND_REVENUE], 100 * WAN);
    assert_int_equal(raw[IND_EMPLOYMENT], 100);
    /* contributions of 100/700, 200/700, 400/700 */
    assert_int_equal(raw[IND_CONTRIBUTION], 142857);
    assert_int_equal(raw[IND_GROWTH], 0); /* nobody reported growth */

    run_missing(MISSING_MEAN, raw, &m);
    assert_int_equal(raw[IND_ENTERPRISES], 23);      /* 70/3 = 23.33 */
    assert_int_equal(raw[IND_EMPLOYMENT], 234);      /* 701/3 = 233.67 */
    assert_int_equal(raw[IND_TAX], 23333333);        /* 70 万元 / 3, fen */
    assert_int_equal(raw[IND_CONTRIBUTION], 333333); /* (142857+285714+571429)/3 */

    run_missing(MISSING_PREVIOUS, raw, &m);
    assert_int_equal(raw[IND_ENTERPRISES], 33);
    assert_int_equal(raw[IND_CONTRIBUTION], 123456);
    assert_int_equal(raw[IND_REVENUE], 0); /* unknown previous: zero */
    assert_int_equal(raw[IND_GROWTH], 0);
}

/* z = (n x - S) / sqrt(n Q - S^2): 10, 20, 30 -> -1.224745, 0, 1.224745. */
static void test_z_score(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[3];
    assess_scored s[3];

    p.normalisation = NORM_Z_SCORE;
    memset(p.weights, 0, sizeof p.weights);
    p.weights[IND_ENTERPRISES] = 60;
    p.weights[IND_TAX] = 40;
    rows[0] = make_row("Z-1", 1, 10, 1, 1, 1, 5, 1);
    rows[1] = make_row("Z-2", 1, 20, 1, 1, 1, 5, 1);
    rows[2] = make_row("Z-3", 1, 30, 1, 1, 1, 5, 1);
    assert_int_equal(assess_score_run(&p, rows, 3, s), JIJU_OK);
    assert_string_equal(rows[s[0].row].cluster_id, "Z-3");
    assert_int_equal(s[0].c[IND_ENTERPRISES].normalised_micros, 1224745);
    assert_int_equal(s[1].c[IND_ENTERPRISES].normalised_micros, 0);
    assert_int_equal(s[2].c[IND_ENTERPRISES].normalised_micros, -1224745);
    assert_int_equal(s[0].c[IND_TAX].normalised_micros, 0); /* all equal: z = 0 */
    assert_int_equal(s[0].score_micros, 73484700);
    assert_int_equal(s[2].score_micros, -73484700);
    assert_int_equal(s[1].score_micros, 0);
}

/* x / target capped to [0, 1]. */
static void test_target(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[2];
    assess_scored s[2];

    p.normalisation = NORM_TARGET;
    memset(p.weights, 0, sizeof p.weights);
    p.weights[IND_ENTERPRISES] = 50;
    p.weights[IND_REVENUE] = 30;
    p.weights[IND_GROWTH] = 20;
    p.target_values[IND_ENTERPRISES] = 50;
    p.target_values[IND_REVENUE] = 50000 * WAN;
    p.target_values[IND_GROWTH] = 100000;
    rows[0] = make_row("T-1", 1, 25, 0, 0, 60000, 0, 0);
    set_prev_revenue(&rows[0], 80000); /* growth -25%: floor 0 */
    rows[1] = make_row("T-2", 1, 75, 0, 0, 20000, 0, 0);
    set_prev_revenue(&rows[1], 19000); /* growth 5.2632% */
    assert_int_equal(assess_score_run(&p, rows, 2, s), JIJU_OK);
    /* T-2: 50*1 + 30*0.4 + 20*0.526316 = 72.52632; T-1: 50*0.5 + 30*1 + 0 = 55 */
    assert_string_equal(rows[s[0].row].cluster_id, "T-2");
    assert_int_equal(s[0].c[IND_ENTERPRISES].normalised_micros, 1000000);
    assert_int_equal(s[0].c[IND_REVENUE].normalised_micros, 400000);
    assert_int_equal(s[0].c[IND_GROWTH].raw, 52632);
    assert_int_equal(s[0].c[IND_GROWTH].normalised_micros, 526320);
    assert_int_equal(s[0].score_micros, 50000000 + 12000000 + 10526400);
    assert_int_equal(s[1].c[IND_ENTERPRISES].normalised_micros, 500000);
    assert_int_equal(s[1].c[IND_GROWTH].raw, -250000);
    assert_int_equal(s[1].c[IND_GROWTH].normalised_micros, 0);
    assert_int_equal(s[1].score_micros, 55000000);
}

/* Every division rounds half away from zero. */
static void test_rounding(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];

    p.missing = MISSING_MEAN;
    rows[0] = make_row("H-1", 1, 0, 1, 1, 1, 1, 10);
    rows[1] = make_row("H-2", 1, 1, 1, 1, 1, 1, 11);
    rows[2] = make_row("H-3", 1, 2000000, 1, 1, 1, 1, 1);
    rows[3] = make_row("H-4", 1, 2000000, 1, 1, 1, 1, 1);
    rows[3].present[IND_EMPLOYMENT] = false;
    rows[2].present[IND_EMPLOYMENT] = false;
    /* growth (1999999 - 2000000) / 2000000 = -0.5 millionths: -1 */
    rows[0].value[IND_REVENUE] = 1999999;
    set_prev_revenue(&rows[0], 2);
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    for (int k = 0; k < 4; k++) {
        const char *id = rows[s[k].row].cluster_id;

        if (strcmp(id, "H-2") == 0) /* 1 / 2000000 = 0.5 millionths: 1 */
            assert_int_equal(s[k].c[IND_ENTERPRISES].normalised_micros, 1);
        if (strcmp(id, "H-3") == 0) /* mean of 10 and 11 */
            assert_int_equal(s[k].c[IND_EMPLOYMENT].raw, 11);
        if (strcmp(id, "H-1") == 0)
            assert_int_equal(s[k].c[IND_GROWTH].raw, -1);
    }
}

static void test_single_cluster(void **state)
{
    assess_score_params p = default_params();
    assess_row row = make_row("ONLY", 7, 3, 4, 5, 6, 1, 8);
    assess_scored s;

    assert_int_equal(assess_score_run(&p, &row, 1, &s), JIJU_OK);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.category_rank, 1);
    assert_int_equal(s.score_micros, 100000000);
    assert_int_equal(s.c[IND_CONTRIBUTION].raw, 1000000);
    assert_int_equal(s.c[IND_GROWTH].imputed, true);
    assert_int_equal(s.has_previous, false);
}

static void test_category_rank(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[6];
    assess_scored s[6];
    static const int cats[6] = {3, 1, 3, 9, 1, 3};
    static const uint32_t want[6] = {1, 1, 2, 1, 2, 3}; /* by overall rank */
    char ids[6][8];

    memset(p.weights, 0, sizeof p.weights);
    p.weights[IND_EMPLOYMENT] = 100;
    for (int k = 0; k < 6; k++) {
        snprintf(ids[k], sizeof ids[k], "K-%d", k);
        rows[k] = make_row(ids[k], cats[k], 1, 1, 1, 1, 1, 600 - 100 * k);
    }
    assert_int_equal(assess_score_run(&p, rows, 6, s), JIJU_OK);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(s[k].row, (size_t)k);
        assert_int_equal(s[k].category_rank, want[k]);
    }
}

static void test_many_rows(void **state)
{
    enum { N = 10000 };
    assess_score_params p = default_params();
    assess_row *rows = calloc(N, sizeof *rows);
    assess_scored *s = calloc(N, sizeof *s);
    char(*ids)[16] = calloc(N, sizeof *ids);
    uint32_t per_cat[10] = {0};

    assert_non_null(rows);
    assert_non_null(s);
    assert_non_null(ids);
    memset(p.weights, 0, sizeof p.weights);
    p.weights[IND_ENTERPRISES] = 100;
    for (int k = 0; k < N; k++) {
        snprintf(ids[k], sizeof ids[k], "C%05d", k);
        rows[k] = make_row(ids[k], k % 9 + 1, (k * 7919) % N, 1, 1, 1, 1, 1);
    }
    assert_int_equal(assess_score_run(&p, rows, N, s), JIJU_OK);
    for (int k = 0; k < N; k++) {
        int64_t v = rows[s[k].row].value[IND_ENTERPRISES];

        /* 7919 is prime to 10000: values are a permutation of 0..9999. */
        assert_int_equal(v, N - 1 - k);
        assert_int_equal(s[k].rank, (uint32_t)k + 1);
        assert_int_equal(s[k].score_micros, 100 * ((v * 1000000 + (N - 1) / 2) / (N - 1)));
        assert_int_equal(s[k].category_rank, ++per_cat[rows[s[k].row].category]);
    }
    free(ids);
    free(s);
    free(rows);
}

static void test_invalid(void **state)
{
    assess_score_params p = default_params();
    assess_row row = make_row("X", 1, 1, 1, 1, 1, 1, 1);
    assess_scored s;

    memset(&s, 0x5a, sizeof s);
    p.weights[IND_GROWTH] = 4; /* sum 99 */
    assert_int_equal(assess_score_run(&p, &row, 1, &s), JIJU_ERR_INVALID);
    assert_int_equal(s.rank, 0x5a5a5a5a); /* out untouched */
    p = default_params();
    p.normalisation = NORM_TARGET;
    p.target_values[IND_TAX] = 0;
    assert_int_equal(assess_score_run(&p, &row, 1, &s), JIJU_ERR_INVALID);
    p = default_params();
    row.cluster_id = NULL;
    assert_int_equal(assess_score_run(&p, &row, 1, &s), JIJU_ERR_INVALID);
    assert_int_equal(assess_score_run(&p, NULL, 0, NULL), JIJU_OK);
}

static void test_rank_entries(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];
    Jiju__V1__RankingPublished *msg = malloc(sizeof *msg), *back;
    uint8_t *buf;
    size_t len;

    assert_non_null(msg);
    jiju__v1__ranking_published__init(msg);
    example_rows(rows);
    rows[2].cluster_name = NULL;
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    msg->period = strdup("2023");
    msg->entries = assess_score_entries_new(rows, s, 4);
    assert_non_null(msg->entries);
    msg->n_entries = 4;
    assert_int_equal(pb_pack(&msg->base, &buf, &len), JIJU_OK);
    /* The sender frees what the helper built with free_unpacked. */
    jiju__v1__ranking_published__free_unpacked(msg, NULL);
    back = jiju__v1__ranking_published__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_int_equal(back->n_entries, 4);
    assert_string_equal(back->entries[0]->cluster_id, "JL-WL-001");
    assert_string_equal(back->entries[0]->cluster_name, "博宇医药物流园");
    assert_string_equal(back->entries[2]->cluster_name, "");
    assert_int_equal(back->entries[0]->category, JIJU__V1__CATEGORY__LOGISTICS);
    assert_int_equal(back->entries[0]->rank, 1);
    assert_int_equal(back->entries[1]->score_micros, 63590910);
    assert_int_equal(back->entries[1]->rank_change, -1);
    assert_int_equal(back->entries[3]->has_previous, 0);
    assert_int_equal(back->entries[2]->category_rank, 2);
    assert_int_equal(back->entries[3]->n_contributions, IND__COUNT);
    assert_string_equal(back->entries[3]->contributions[IND_GROWTH]->indicator, "growth");
    assert_int_equal(back->entries[3]->contributions[IND_GROWTH]->imputed, 1);
    assert_int_equal(back->entries[3]->contributions[IND_ENTERPRISES]->points_micros, 2500005);
    assert_int_equal(back->entries[3]->contributions[IND_ENTERPRISES]->raw, 45);
    jiju__v1__ranking_published__free_unpacked(back, NULL);
    free(buf);
}

static void test_entries_destroy(void **state)
{
    assess_score_params p = default_params();
    assess_row rows[4];
    assess_scored s[4];
    Jiju__V1__RankEntry **e;

    example_rows(rows);
    assert_int_equal(assess_score_run(&p, rows, 4, s), JIJU_OK);
    e = assess_score_entries_new(rows, s, 4);
    assert_non_null(e);
    assess_score_entries_destroy(&e, 4);
    assert_null(e);
    assess_score_entries_destroy(&e, 4);
    assess_score_entries_destroy(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),   cmocka_unit_test(test_ties),
        cmocka_unit_test(test_missing_policies), cmocka_unit_test(test_z_score),
        cmocka_unit_test(test_target),           cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_single_cluster),   cmocka_unit_test(test_category_rank),
        cmocka_unit_test(test_many_rows),        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_rank_entries),     cmocka_unit_test(test_entries_destroy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
