/* test_cli_json.c - submission files of `jiju submit`: reports, commands,
 * exact 万元 amounts, error positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_json.h"
#include "err.h"
#include "jiju/v1/stream.pb-c.h"

static int parse(const char *text, Jiju__V1__SubmitRequest ***reqs, size_t *n, pbjson_error *err)
{
    return cli_json_parse_requests(text, strlen(text), reqs, n, err);
}

static void test_report_fields(void **state)
{
    const char *text =
        "{\"report_id\": \"R-1\", \"cluster_id\": \"JL-WL-001\", \"period\": \"2023\",\n"
        " \"revision\": 2, \"enterprises\": 40, \"revenue_wan\": \"1234.56\",\n"
        " \"tax_fen\": \"123456789012\", \"employment\": 0, \"investment_wan\": 3,\n"
        " \"note\": \"东市场 年报\"}";
    Jiju__V1__SubmitRequest **reqs = NULL;
    pbjson_error err;
    Jiju__V1__Report *r;
    size_t n = 0;

    (void)state;
    assert_int_equal(parse(text, &reqs, &n, &err), JIJU_OK);
    assert_int_equal(n, 1);
    assert_string_equal(reqs[0]->request_id, "0:R-1");
    assert_int_equal(reqs[0]->body_case, JIJU__V1__SUBMIT_REQUEST__BODY_REPORT);
    r = reqs[0]->report;
    assert_string_equal(r->cluster_id, "JL-WL-001");
    assert_int_equal(r->revision, 2);
    assert_int_equal(r->enterprises_present_case,
                     JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES);
    assert_int_equal(r->enterprises, 40);
    assert_true(r->revenue_fen == INT64_C(1234560000));
    assert_true(r->tax_fen == INT64_C(123456789012));
    assert_true(r->investment_fen == INT64_C(3000000));
    /* zero is present, not absent */
    assert_int_equal(r->employment_present_case, JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT);
    assert_int_equal(r->output_value_present_case, JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT__NOT_SET);
    assert_string_equal(r->note, "东市场 年报");
    cli_json_requests_free(&reqs, n);
    assert_null(reqs);
}

static void test_report_round_trip(void **state)
{
    const char *text = "{\"report\": {\"report_id\": \"R-9\", \"cluster_id\": \"C\", "
                       "\"period\": \"2023Q2\", \"revision\": 1, \"enterprises\": 7, "
                       "\"output_value_fen\": 5, \"attracted_investment_wan\": \"0.000001\"}}";
    Jiju__V1__SubmitRequest **reqs = NULL;
    Jiju__V1__Report *back;
    pbjson_error err;
    json_t *js;
    uint8_t a[256], b[256];
    size_t n = 0, la, lb;

    (void)state;
    assert_int_equal(parse(text, &reqs, &n, &err), JIJU_OK);
    js = pbjson_from_message(&reqs[0]->report->base);
    assert_non_null(js);
    assert_int_equal(json_integer_value(json_object_get(js, "attracted_investment_fen")), 1);
    assert_null(json_object_get(js, "tax_fen")); /* absent stays absent */
    back = (Jiju__V1__Report *)pbjson_to_message(&jiju__v1__report__descriptor, js, "", &err);
    assert_non_null(back);
    la = jiju__v1__report__pack(reqs[0]->report, a);
    lb = jiju__v1__report__pack(back, b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    jiju__v1__report__free_unpacked(back, NULL);
    json_decref(js);
    cli_json_requests_free(&reqs, n);
}

static void test_commands(void **state)
{
    const char *text =
        "[{\"command\": \"register_cluster\", \"cluster\": {\"id\": \"JL-SW-001\", "
        "\"name\": \"东市场\", \"category\": \"商务综合服务区\", \"county\": \"昌邑区\", "
        "\"level\": \"provincial\", \"leading_industries\": [\"商贸零售\", \"餐饮服务\"], "
        "\"management_org\": \"管理办公室\"}},\n"
        " {\"command\": \"open_period\", \"period\": \"2023\"},\n"
        " {\"command\": \"set_indicator_system\", \"weights\": [{\"indicator\": \"revenue\", "
        "\"weight\": 60}, {\"indicator\": \"tax\", \"weight\": 40}]}]";
    Jiju__V1__SubmitRequest **reqs = NULL;
    const Jiju__V1__Cluster *c;
    pbjson_error err;
    size_t n = 0;

    (void)state;
    assert_int_equal(parse(text, &reqs, &n, &err), JIJU_OK);
    assert_int_equal(n, 3);
    assert_string_equal(reqs[0]->request_id, "0:register_cluster");
    assert_int_equal(reqs[0]->command->kind_case, JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER);
    c = reqs[0]->command->register_cluster->cluster;
    assert_int_equal(c->category, JIJU__V1__CATEGORY__BUSINESS_SERVICES);
    assert_int_equal(c->level, JIJU__V1__LEVEL__PROVINCIAL);
    assert_int_equal(c->n_leading_industries, 2);
    assert_string_equal(c->leading_industries[1], "餐饮服务");
    assert_string_equal(reqs[1]->command->open_period->period, "2023");
    assert_int_equal(reqs[2]->command->set_indicator_system->n_weights, 2);
    assert_int_equal(reqs[2]->command->set_indicator_system->weights[1]->weight, 40);
    cli_json_requests_free(&reqs, n);
}

/* The error names line, column and field, and nothing is allocated. */
static void expect_error(const char *text, int line, int column, const char *path,
                         const char *reason_part)
{
    Jiju__V1__SubmitRequest **reqs = NULL;
    pbjson_error err;
    size_t n = 77;

    assert_int_equal(parse(text, &reqs, &n, &err), JIJU_ERR_INVALID);
    assert_null(reqs);
    assert_int_equal(n, 77);
    if (err.line != line || err.column != column || strcmp(err.path, path) != 0 ||
        !strstr(err.reason, reason_part))
        fail_msg("got %d:%d \"%s\" \"%s\"; want %d:%d \"%s\" ~\"%s\"", err.line, err.column,
                 err.path, err.reason, line, column, path, reason_part);
}

static void test_error_positions(void **state)
{
    char buf[512];
    pbjson_error e = {.line = 3, .column = 7, .path = "[1].tax_wan", .reason = "bad"};

    (void)state;
    /* syntax: jansson's own position */
    expect_error("[{\"report_id\": \"a\"},\n {\"b\": }]", 2, 8, "", "unexpected");
    /* a bad amount in the third item: the line and column of its key */
    expect_error("[\n {\"report_id\": \"a\"},\n {\"report_id\": \"b\"},\n"
                 " {\"report_id\": \"c\",\n  \"tax_wan\": \"1.0000001\"}\n]",
                 5, 3, "[2].tax_wan", "6 decimals");
    expect_error("{\"report_id\": \"a\", \"revnue_fen\": 5}", 1, 20, "revnue_fen", "unknown field");
    expect_error("{\"report_id\": 5}", 1, 2, "report_id", "expected a string");
    expect_error("{\"revision\": -1}", 1, 2, "revision", "integer in range");
    expect_error("{\"revenue_wan\": 1.5}", 1, 2, "revenue_wan", "must be a string");
    expect_error("{\"revenue_fen\": 1, \"revenue_wan\": \"1\"}", 1, 20, "revenue_wan",
                 "only one member");
    expect_error("[{\"command\": \"launch_rocket\"}]", 1, 3, "[0].command", "expected one of");
    expect_error("[{\"command\": \"register_cluster\", \"cluster\": {\"id\": \"X\",\n"
                 " \"category\": \"物流\"}}]",
                 2, 2, "[0].cluster.category", "not a Category");
    expect_error("[{\"report_id\": \"a\", \"report_id\": \"b\"}]", 1, 31, "", "duplicate");
    expect_error("[]", 0, 0, "", "no submissions");
    expect_error("[1]", 1, 2, "[0]", "must be an object");
    expect_error("\"x\"", 1, 3, "", "expected");
    assert_string_equal(pbjson_error_format(&e, buf, sizeof buf),
                        "line 3 column 7: [1].tax_wan: bad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_fields),
        cmocka_unit_test(test_report_round_trip),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_error_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
