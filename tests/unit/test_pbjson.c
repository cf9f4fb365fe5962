/* test_pbjson.c - the descriptor-driven JSON <-> protobuf codec
 * (common/pbjson.h): enums, bytes, 64-bit integers, repeated fields, oneofs,
 * 万元 amounts, and errors that name the field's path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "jiju/v1/commands.pb-c.h"
#include "jiju/v1/common.pb-c.h"
#include "jiju/v1/report.pb-c.h"
#include "jiju/v1/stream.pb-c.h"
#include "jiju/v1/subscription.pb-c.h"
#include "pbjson.h"

static ProtobufCMessage *from_text(const ProtobufCMessageDescriptor *d, const char *text,
                                   pbjson_error *err)
{
    json_t *js = json_loads(text, 0, NULL);
    ProtobufCMessage *m;

    assert_non_null(js);
    m = pbjson_to_message(d, js, "", err);
    json_decref(js);
    return m;
}

static void test_enum_parse(void **state)
{
    int v = -1;

    (void)state;
    assert_int_equal(pbjson_enum_parse(&jiju__v1__category__descriptor, "LOGISTICS", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(pbjson_enum_parse(&jiju__v1__category__descriptor, "综合性生产服务集聚区", &v),
                     0);
    assert_int_equal(v, 9);
    assert_int_equal(pbjson_enum_parse(&jiju__v1__category__descriptor, "ecommerce", &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(pbjson_enum_parse(&jiju__v1__level__descriptor, "市级", &v), 0);
    assert_int_equal(v, JIJU__V1__LEVEL__CITY);
    assert_int_equal(pbjson_enum_parse(&jiju__v1__category__descriptor, "物流", &v),
                     JIJU_ERR_INVALID);
    assert_int_equal(pbjson_enum_parse(&jiju__v1__category__descriptor, "42", &v),
                     JIJU_ERR_INVALID);
    assert_string_equal(pbjson_category_zh(3), "文化创意园");
    assert_string_equal(pbjson_category_zh(99), "");
}

static void test_bytes_base64_round_trip(void **state)
{
    Jiju__V1__Record rec = JIJU__V1__RECORD__INIT, *back;
    pbjson_error err;
    uint8_t data[5] = {0, 1, 2, 0xfe, 0xff};
    json_t *js;

    (void)state;
    rec.seq = UINT64_MAX;
    rec.envelope.data = data;
    rec.envelope.len = sizeof data;
    js = pbjson_from_message(&rec.base);
    assert_string_equal(json_string_value(json_object_get(js, "seq")), "18446744073709551615");
    assert_string_equal(json_string_value(json_object_get(js, "envelope")), "AAEC/v8=");
    back = (Jiju__V1__Record *)pbjson_to_message(&jiju__v1__record__descriptor, js, "", &err);
    assert_non_null(back);
    assert_true(back->seq == UINT64_MAX);
    assert_int_equal(back->envelope.len, sizeof data);
    assert_memory_equal(back->envelope.data, data, sizeof data);
    jiju__v1__record__free_unpacked(back, NULL);
    json_decref(js);
}

/* Repeated strings, enums (by name, number or Chinese label) and messages,
 * there and back: the JSON written is what was read, in canonical form. */
static void test_repeated_round_trip(void **state)
{
    const char *text = "{\"id\": \"fgw\", \"filters\": [{\"types\": [\"jiju.v1.AwardGranted\", "
                       "\"TargetProgress\"], \"categories\": [\"LOGISTICS\", 3, \"科技创业园\"]}, "
                       "{\"counties\": [\"船营区\"]}], \"webhook\": {\"url\": \"http://h/x\"}}";
    pbjson_error err;
    Jiju__V1__Subscription *s;
    json_t *js, *f0;
    char *dump;

    (void)state;
    s = (Jiju__V1__Subscription *)from_text(&jiju__v1__subscription__descriptor, text, &err);
    assert_non_null(s);
    assert_int_equal(s->n_filters, 2);
    assert_int_equal(s->filters[0]->n_categories, 3);
    assert_int_equal(s->filters[0]->categories[1], 3);
    assert_int_equal(s->filters[0]->categories[2], JIJU__V1__CATEGORY__TECH_STARTUP);
    assert_string_equal(s->filters[1]->counties[0], "船营区");
    js = pbjson_from_message(&s->base);
    assert_non_null(js);
    f0 = json_array_get(json_object_get(js, "filters"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(f0, "categories"), 2)),
                        "TECH_STARTUP");
    assert_string_equal(json_string_value(json_array_get(json_object_get(f0, "types"), 1)),
                        "TargetProgress");
    assert_null(json_object_get(js, "description")); /* "" is the default: omitted */
    assert_null(json_object_get(js, "created_at_ms"));
    dump = json_dumps(js, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(dump, "\"webhook\":{\"url\":\"http://h/x\"}"));
    free(dump);
    json_decref(js);
    jiju__v1__subscription__free_unpacked(s, NULL);
}

/* Each kind of bad input is refused with the path of the field and a reason
 * naming the rule, and nothing leaks (checked under ASan). */
static void test_errors_name_the_field(void **state)
{
    static const struct {
        const char *text, *path, *reason;
    } cases[] = {
        {"{\"id\": 7}", "id", "expected a string"},
        {"{\"nope\": 1}", "nope", "unknown field of Subscription"},
        {"{\"filters\": {}}", "filters", "expected an array"},
        {"{\"filters\": [{}, {\"categories\": [\"LOGISTICS\", \"物流\"]}]}",
         "filters[1].categories[1]", "not a Category value"},
        {"{\"filters\": [{\"types\": [\"a\", 1]}]}", "filters[0].types[1]", "expected a string"},
        {"{\"webhook\": []}", "webhook", "expected an object (Webhook)"},
        {"{\"created_at_ms\": \"12x\"}", "created_at_ms", "expected an integer"},
        {"{\"created_at_ms\": 1.5}", "created_at_ms", "expected an integer"},
        {"{\"created_wan\": \"1\"}", "created_wan", "unknown field"},
    };
    pbjson_error err;
    char buf[512];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&err, 0, sizeof err);
        if (from_text(&jiju__v1__subscription__descriptor, cases[i].text, &err))
            fail_msg("accepted %s", cases[i].text);
        assert_string_equal(err.path, cases[i].path);
        if (!strstr(err.reason, cases[i].reason))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", cases[i].text, err.reason, cases[i].reason);
        assert_int_equal(err.line, 0);
        pbjson_error_format(&err, buf, sizeof buf);
        assert_non_null(strstr(buf, cases[i].path));
    }
}

/* Integer ranges follow the field's type; 64-bit integers also as strings. */
static void test_integer_ranges(void **state)
{
    pbjson_error err;
    Jiju__V1__Report *r;
    Jiju__V1__Record *rec;

    (void)state;
    r = (Jiju__V1__Report *)from_text(
        &jiju__v1__report__descriptor,
        "{\"revision\": 4294967295, \"tax_fen\": \"-9223372036854775808\"}", &err);
    assert_non_null(r);
    assert_true(r->revision == UINT32_MAX);
    assert_true(r->tax_fen == INT64_MIN);
    jiju__v1__report__free_unpacked(r, NULL);
    assert_null(from_text(&jiju__v1__report__descriptor, "{\"revision\": 4294967296}", &err));
    assert_string_equal(err.path, "revision");
    assert_null(from_text(&jiju__v1__report__descriptor, "{\"revision\": -1}", &err));
    assert_null(
        from_text(&jiju__v1__report__descriptor, "{\"tax_fen\": \"9223372036854775808\"}", &err));
    assert_string_equal(err.path, "tax_fen");
    rec = (Jiju__V1__Record *)from_text(&jiju__v1__record__descriptor,
                                        "{\"seq\": \"18446744073709551615\"}", &err);
    assert_non_null(rec);
    assert_true(rec->seq == UINT64_MAX);
    jiju__v1__record__free_unpacked(rec, NULL);
    assert_null(from_text(&jiju__v1__record__descriptor, "{\"seq\": -1}", &err));
}

/* X_wan sets X_fen exactly; a oneof member set twice (as X_fen and X_wan) is
 * refused. */
static void test_wan_alias_and_oneof(void **state)
{
    pbjson_error err;
    Jiju__V1__Report *r;

    (void)state;
    r = (Jiju__V1__Report *)from_text(&jiju__v1__report__descriptor,
                                      "{\"revenue_wan\": \"0.000001\", \"tax_wan\": 2}", &err);
    assert_non_null(r);
    assert_int_equal(r->revenue_present_case, JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN);
    assert_true(r->revenue_fen == 1);
    assert_true(r->tax_fen == 2000000);
    jiju__v1__report__free_unpacked(r, NULL);
    assert_null(from_text(&jiju__v1__report__descriptor,
                          "{\"revenue_fen\": 1, \"revenue_wan\": \"1\"}", &err));
    assert_string_equal(err.path, "revenue_wan");
    assert_non_null(strstr(err.reason, "only one member of its oneof"));
    assert_null(from_text(&jiju__v1__report__descriptor, "{\"revenue_wan\": 1.5}", &err));
    assert_non_null(strstr(err.reason, "exact, no floating point"));
    assert_null(from_text(&jiju__v1__report__descriptor, "{\"revenue_wan\": \"1.0000001\"}", &err));
    assert_non_null(strstr(err.reason, "1.0000001"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_parse),          cmocka_unit_test(test_bytes_base64_round_trip),
        cmocka_unit_test(test_repeated_round_trip), cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_integer_ranges),      cmocka_unit_test(test_wan_alias_and_oneof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
