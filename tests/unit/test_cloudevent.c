/* test_cloudevent.c - the one CloudEvents rendering (common/cloudevent.h):
 * every attribute, the naming rule for extensions, no empty attribute, time
 * in RFC 3339 from time_ms, data in the protobuf JSON mapping. The
 * conformance against the official SDK runs in tests/integration/
 * test_cloudevents_conformance.sh on a real stack. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cloudevent.h"
#include "err.h"
#include "jiju/v1/events.pb-c.h"

static const char *const core[] = {"specversion", "id",      "source",          "type",
                                   "time",        "subject", "datacontenttype", "data"};

/* Every member is a core attribute or an extension named [a-z0-9]{1,20},
 * and no string attribute is empty. */
static void assert_conformant_names(const json_t *ce)
{
    regex_t re;
    const char *key;
    json_t *v;

    assert_int_equal(regcomp(&re, "^[a-z0-9]{1,20}$", REG_EXTENDED | REG_NOSUB), 0);
    json_object_foreach((json_t *)ce, key, v)
    {
        int is_core = 0;
        for (size_t i = 0; i < sizeof core / sizeof *core; i++)
            is_core |= strcmp(key, core[i]) == 0;
        if (!is_core && regexec(&re, key, 0, NULL, 0) != 0)
            fail_msg("extension attribute \"%s\" breaks [a-z0-9]{1,20}", key);
        if (json_is_string(v) && json_string_length(v) == 0)
            fail_msg("attribute \"%s\" is present and empty", key);
    }
    regfree(&re);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void test_cluster_event_all_attributes(void **state)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report r = JIJU__V1__REPORT__INIT;
    json_t *js, *data;
    char *line;

    (void)state;
    r.report_id = "R-1";
    r.cluster_id = "JL-SW-001";
    r.revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    r.revenue_fen = INT64_C(9000000000000);
    ra.report = &r;
    ra.ingest_instance = "ingest-1";
    ra.ingest_seq = 42;
    env.id = "assessment/7";
    env.source = "/jiju/assessment";
    env.type = "jiju.v1.ReportAccepted";
    env.time = "stale text: time_ms is what counts";
    env.time_ms = INT64_C(1704441600123); /* 2024-01-05T08:00:00.123Z */
    env.subject = "JL-SW-001";
    env.seq = UINT64_MAX;
    env.period = "2023";
    env.category = JIJU__V1__CATEGORY__BUSINESS_SERVICES;
    env.county = "昌邑区";
    env.cause_producer = "ingest-1";
    env.cause_seq = 42;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    line = cloudevent_text(&env);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    js = json_loads(line, 0, NULL);
    assert_non_null(js);
    assert_conformant_names(js);
    assert_string_equal(str(js, "specversion"), "1.0");
    assert_string_equal(str(js, "id"), "assessment/7");
    assert_string_equal(str(js, "source"), "/jiju/assessment");
    assert_string_equal(str(js, "type"), "jiju.v1.ReportAccepted");
    assert_string_equal(str(js, "time"), "2024-01-05T08:00:00.123Z");
    assert_string_equal(str(js, "subject"), "JL-SW-001");
    assert_string_equal(str(js, "datacontenttype"), "application/json");
    assert_string_equal(str(js, "jijuseq"), "18446744073709551615");
    assert_string_equal(str(js, "jijuperiod"), "2023");
    assert_string_equal(str(js, "jijucategory"), "BUSINESS_SERVICES");
    assert_string_equal(str(js, "jijucounty"), "昌邑区");
    assert_string_equal(str(js, "jijucause"), "ingest-1/42");
    assert_int_equal(json_object_size(js), 13);
    /* the old names are gone */
    assert_null(json_object_get(js, "seq"));
    assert_null(json_object_get(js, "time_ms"));
    assert_null(json_object_get(js, "cause_producer"));
    data = json_object_get(js, "data");
    assert_true(json_integer_value(json_object_get(json_object_get(data, "report"),
                                                   "revenue_fen")) == INT64_C(9000000000000));
    assert_int_equal(json_integer_value(json_object_get(data, "ingest_seq")), 42);
    assert_string_equal(str(data, "ingest_instance"), "ingest-1");
    json_decref(js);
    free(line);
}

/* A city-wide event (PeriodOpened) has no subject, category, county or
 * cause: the attributes are left out, never present and empty. */
static void test_city_wide_event_omits_empty(void **state)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__PeriodOpened po = JIJU__V1__PERIOD_OPENED__INIT;
    json_t *js;

    (void)state;
    po.period = "2024";
    env.id = "assessment/1";
    env.source = "/jiju/assessment";
    env.type = "";    /* derived from the body when absent */
    env.subject = ""; /* what envelope_append stores for "none" */
    env.county = "";
    env.period = "2024";
    env.cause_producer = "";
    env.time_ms = 1000;
    env.seq = 1;
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_OPENED;
    env.period_opened = &po;
    js = cloudevent_json(&env);
    assert_non_null(js);
    assert_conformant_names(js);
    assert_string_equal(str(js, "type"), "jiju.v1.PeriodOpened");
    assert_string_equal(str(js, "time"), "1970-01-01T00:00:01.000Z");
    assert_null(json_object_get(js, "subject"));
    assert_null(json_object_get(js, "jijucategory"));
    assert_null(json_object_get(js, "jijucounty"));
    assert_null(json_object_get(js, "jijucause"));
    assert_string_equal(str(json_object_get(js, "data"), "period"), "2024");
    json_decref(js);
}

/* No body: no data member (the event is still valid); bytes that are not
 * UTF-8 in a corrupt envelope do not make the rendering fail. */
static void test_no_body_and_bad_utf8(void **state)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    json_t *js;

    (void)state;
    env.id = "x/1";
    env.source = "/jiju/x";
    env.type = "jiju.v1.Nothing";
    env.subject = "\xff\xfe";
    env.seq = 3;
    js = cloudevent_json(&env);
    assert_non_null(js);
    assert_null(json_object_get(js, "data"));
    assert_null(json_object_get(js, "time")); /* no time known: none invented */
    assert_string_equal(str(js, "subject"), "");
    assert_string_equal(str(js, "jijuseq"), "3");
    json_decref(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_event_all_attributes),
        cmocka_unit_test(test_city_wide_event_omits_empty),
        cmocka_unit_test(test_no_body_and_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
