/* test_assess_config.c - assessment's settings: seed defaults, the shipped
 * deploy/config/assessment.json, and refusals that name file, key and
 * reason (weights not summing to 100, awards above the seed's caps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "assess_config.h"

#define DEPLOY_FILE JIJU_SRC_DIR "/deploy/config/assessment.json"

/* Write text to a fresh temporary file; path into buf. */
static const char *write_tmp(char *buf, size_t cap, const char *text)
{
    int fd;
    FILE *f;

    snprintf(buf, cap, "/tmp/test_assess_config_XXXXXX");
    fd = mkstemp(buf);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return buf;
}

/* Load `text` from a file; expect a refusal naming key and reason. */
static void expect_refused(const char *text, const char *key, const char *reason)
{
    char path[64];
    assess_config c;
    cfg_error e;

    memset(&e, 0, sizeof e);
    write_tmp(path, sizeof path, text);
    assert_int_equal(assess_config_load(path, NULL, 0, &c, &e), -1);
    assert_string_equal(e.file, path);
    assert_string_equal(e.key, key);
    if (reason)
        assert_string_equal(e.reason, reason);
    unlink(path);
}

static void check_defaults(const assess_config *c)
{
    static const int64_t w[IND__COUNT] = {15, 10, 15, 20, 15, 10, 10, 5};
    static const int64_t t[IND__COUNT] = {50,           10000000000LL, 50000000000LL, 50000000000LL,
                                          2500000000LL, 1800,          100000,        100000};

    assert_string_equal(c->shared.instance, "assessment");
    assert_string_equal(c->shared.data_dir, "/var/lib/jiju/assessment");
    assert_string_equal(c->shared.time_zone, "Asia/Shanghai");
    assert_int_equal(c->min_reported_pct, 65);
    assert_string_equal(c->stream_endpoint, "tcp://127.0.0.1:7101");
    assert_string_equal(c->query_endpoint, "tcp://127.0.0.1:7102");
    assert_int_equal(c->shared.heartbeat_ms, 1000);
    assert_int_equal(c->shared.timeout_ms, 5000);
    assert_memory_equal(c->weights, w, sizeof w);
    assert_memory_equal(c->target_values, t, sizeof t);
    assert_int_equal(c->normalisation, NORM_MIN_MAX);
    assert_int_equal(c->missing, MISSING_ZERO);
    assert_int_equal(c->top_n, 3);
    assert_int_equal(c->top_amount_yuan[0], 500000);
    assert_int_equal(c->top_amount_yuan[1], 300000);
    assert_int_equal(c->top_amount_yuan[2], 200000);
    assert_int_equal(c->provincial_amount_yuan, 1000000);
    assert_int_equal(c->min_enterprises, 10);
    assert_int_equal(c->min_revenue_fen, 10000000000LL); /* 1 亿元 */
    assert_int_equal(c->min_employment, 300);
    assert_int_equal(c->min_score_micros, 0);
    assert_int_equal(c->eliminate_after, 2);
    assert_int_equal(c->nominate_enterprises, 60);
    assert_int_equal(c->nominate_revenue_fen, 80000000000LL); /* 8 亿元 */
    assert_int_equal(c->nominate_employment, 2500);
    assert_int_equal(c->nominate_after, 2);
    assert_int_equal(c->deadline_days, 15);
    assert_int_equal(c->ranking_coalesce_ms, 1000);
}

static void check_seed_targets(const assess_config *c)
{
    assert_int_equal(c->n_targets, 3);
    assert_int_equal(c->targets[0].year, 2022);
    assert_int_equal(c->targets[0].clusters, 12);
    assert_int_equal(c->targets[0].revenue_fen, 500000000000LL); /* 50 亿元 */
    assert_int_equal(c->targets[0].enterprises, 500);
    assert_int_equal(c->targets[0].employment, 18000);
    assert_int_equal(c->targets[1].year, 2023);
    assert_int_equal(c->targets[1].clusters, 13);
    assert_int_equal(c->targets[1].revenue_fen, 550000000000LL);
    assert_int_equal(c->targets[1].enterprises, 550);
    assert_int_equal(c->targets[1].employment, 20000);
    assert_int_equal(c->targets[2].year, 2024);
    assert_int_equal(c->targets[2].clusters, 14);
    assert_int_equal(c->targets[2].revenue_fen, 600000000000LL);
    assert_int_equal(c->targets[2].enterprises, 600);
    assert_int_equal(c->targets[2].employment, 22000);
}

static void test_defaults(void **state)
{
    assess_config c;
    cfg_error e;

    assert_int_equal(assess_config_load(NULL, NULL, 0, &c, &e), 0);
    check_defaults(&c);
    check_seed_targets(&c);
}

/* The file operators start from loads unchanged and says the same. */
static void test_deploy_file(void **state)
{
    assess_config c;
    cfg_error e;

    memset(&e, 0, sizeof e);
    if (assess_config_load(DEPLOY_FILE, NULL, 0, &c, &e) != 0)
        fail_msg("%s: key=%s reason=%s", e.file, e.key, e.reason);
    check_defaults(&c);
    check_seed_targets(&c);
}

static void test_weights_refused(void **state)
{
    expect_refused("{\"scoring\":{\"weights\":{\"enterprises\":15,\"investment\":10,"
                   "\"output_value\":15,\"revenue\":20,\"tax\":15,\"employment\":10,"
                   "\"contribution\":10,\"growth\":4}}}",
                   "scoring.weights", "weights must sum to 100, got 99");
    expect_refused("{\"scoring\":{\"weights\":{\"revenue\":90,\"beauty\":10}}}",
                   "scoring.weights.beauty", NULL);
    expect_refused("{\"scoring\":{\"weights\":{\"revenue\":101}}}", "scoring.weights.revenue",
                   "must be an integer between 0 and 100");
    expect_refused("{\"scoring\":{\"weights\":[100]}}", "scoring.weights", NULL);
}

/* A partial map is the whole system: omitted indicators weigh 0. */
static void test_weights_partial(void **state)
{
    const char *ov[] = {"scoring.weights={\"revenue\":60,\"growth\":40}",
                        "scoring.normalisation=z_score", "scoring.missing=previous"};
    assess_config c;
    cfg_error e;

    assert_int_equal(assess_config_load(NULL, ov, 3, &c, &e), 0);
    for (int i = 0; i < IND__COUNT; i++)
        assert_int_equal(c.weights[i], i == IND_REVENUE ? 60 : i == IND_GROWTH ? 40 : 0);
    assert_int_equal(c.normalisation, NORM_Z_SCORE);
    assert_int_equal(c.missing, MISSING_PREVIOUS);
}

static void test_award_caps(void **state)
{
    const char *ov[] = {"awards.top_ranked.amounts_yuan=[500000,600000,1]"};
    assess_config c;
    cfg_error e;

    expect_refused("{\"awards\":{\"top_ranked\":{\"amounts_yuan\":[600000,300000,200000]}}}",
                   "awards.top_ranked.amounts_yuan[0]",
                   "600000 yuan exceeds the cap of 500000 yuan (seed 五.二)");
    expect_refused("{\"awards\":{\"new_provincial\":{\"amount_yuan\":1000001}}}",
                   "awards.new_provincial.amount_yuan",
                   "1000001 yuan exceeds the cap of 1000000 yuan (seed 五.二)");
    expect_refused("{\"awards\":{\"top_ranked\":{\"count\":4}}}", "awards.top_ranked.count",
                   "count 4 exceeds the 3 amounts in awards.top_ranked.amounts_yuan");
    expect_refused("{\"awards\":{\"top_ranked\":{\"amounts_yuan\":[1,\"2\"]}}}",
                   "awards.top_ranked.amounts_yuan[1]", NULL);
    /* Overrides are held to the caps too. */
    memset(&e, 0, sizeof e);
    assert_int_equal(assess_config_load(NULL, ov, 1, &c, &e), -1);
    assert_string_equal(e.key, "awards.top_ranked.amounts_yuan[1]");
    assert_string_equal(e.reason, "600000 yuan exceeds the cap of 500000 yuan (seed 五.二)");
}

/* At the caps exactly, with fewer awards than amounts: accepted. */
static void test_award_at_caps(void **state)
{
    char path[64];
    assess_config c;
    cfg_error e;

    write_tmp(path, sizeof path,
              "{\"awards\":{\"top_ranked\":{\"count\":1,\"amounts_yuan\":[500000,500000]},"
              "\"new_provincial\":{\"amount_yuan\":1000000}}}");
    assert_int_equal(assess_config_load(path, NULL, 0, &c, &e), 0);
    assert_int_equal(c.top_n, 1);
    assert_int_equal(c.top_amount_yuan[1], 500000);
    assert_int_equal(c.top_amount_yuan[2], 0);
    assert_int_equal(c.provincial_amount_yuan, 1000000);
    unlink(path);
}

static void test_other_refusals(void **state)
{
    expect_refused("{\"scoring\":{\"normalisation\":\"rank\"}}", "scoring.normalisation",
                   "unknown normalisation \"rank\" (min_max, z_score, target)");
    expect_refused("{\"scoring\":{\"missing\":\"drop\"}}", "scoring.missing", NULL);
    expect_refused("{\"targets\":{\"22\":{}}}", "targets.22", NULL);
    expect_refused("{\"targets\":{\"2025\":{\"clusters\":15,\"revenue_yuan\":1,"
                   "\"enterprises\":1}}}",
                   "targets.2025.employment", "missing");
    expect_refused("{\"targets\":{\"2025\":{\"clusters\":15,\"revenue_yuan\":1,"
                   "\"enterprises\":1,\"employment\":1,\"jobs\":2}}}",
                   "targets.2025.jobs", "unknown key");
    expect_refused("{\"elimination\":{\"consecutive_periods\":0}}",
                   "elimination.consecutive_periods", NULL);
    expect_refused("{\"scoring\":{\"target_values\":{\"tax_yuan\":0}}}",
                   "scoring.target_values.tax_yuan", NULL);
    expect_refused("{\"ranking\":{\"coalesce\":5}}", "ranking.coalesce", "unknown key");
    expect_refused("{\"ranking\":{\"min_reported_pct\":101}}", "ranking.min_reported_pct", NULL);
    /* the zone must be one of the tz database: no offsets, no paths */
    expect_refused("{\"time_zone\":\"Mars/Olympus_Mons\"}", "time_zone", NULL);
    expect_refused("{\"time_zone\":\"+08:00\"}", "time_zone", NULL);
}

/* A file's targets replace the defaults and come out sorted by year. */
static void test_targets_file(void **state)
{
    char path[64];
    assess_config c;
    cfg_error e;

    write_tmp(path, sizeof path,
              "{\"targets\":{\"2026\":{\"clusters\":16,\"revenue_yuan\":7000000000,"
              "\"enterprises\":700,\"employment\":25000},"
              "\"2025\":{\"clusters\":15,\"revenue_yuan\":6500000000,\"enterprises\":650,"
              "\"employment\":24000}},"
              "\"elimination\":{\"min_revenue_yuan\":123}}");
    assert_int_equal(assess_config_load(path, NULL, 0, &c, &e), 0);
    assert_int_equal(c.n_targets, 2);
    assert_int_equal(c.targets[0].year, 2025);
    assert_int_equal(c.targets[0].revenue_fen, 650000000000LL);
    assert_int_equal(c.targets[1].year, 2026);
    assert_int_equal(c.targets[1].clusters, 16);
    assert_int_equal(c.min_revenue_fen, 12300);
    unlink(path);
}

static void test_indicator_names(void **state)
{
    static const char *const names[IND__COUNT] = {"enterprises",  "investment", "output_value",
                                                  "revenue",      "tax",        "employment",
                                                  "contribution", "growth"};

    for (int i = 0; i < IND__COUNT; i++) {
        assert_string_equal(assess_indicator_name((assess_indicator)i), names[i]);
        assert_int_equal(assess_indicator_from_name(names[i]), i);
    }
    assert_int_equal(assess_indicator_from_name("Revenue"), -1);
    assert_int_equal(assess_indicator_from_name(NULL), -1);
    assert_string_equal(assess_indicator_name(IND__COUNT), "unknown");
}

static void test_specs_listed(void **state)
{
    size_t n = 0;
    const cfg_spec *s = assess_config_specs(&n);

    assert_true(n > 20);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(s[i].key);
        assert_non_null(s[i].help);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_deploy_file),
        cmocka_unit_test(test_weights_refused), cmocka_unit_test(test_weights_partial),
        cmocka_unit_test(test_award_caps),      cmocka_unit_test(test_award_at_caps),
        cmocka_unit_test(test_other_refusals),  cmocka_unit_test(test_targets_file),
        cmocka_unit_test(test_indicator_names), cmocka_unit_test(test_specs_listed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
