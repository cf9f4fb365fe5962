/* ingest_sample.h - one valid report, every indicator set, as a cluster
 * management organisation files it: the starting point of the ingest
 * validation tests (test_ingest_support.h) and of the seeds of
 * tests/fuzz/fuzz_ingest_submit.c. Needs nothing but the generated code. */
#ifndef JIJU_INGEST_SAMPLE_H
#define JIJU_INGEST_SAMPLE_H

#include <stdint.h>

#include "jiju/v1/report.pb-c.h"

static inline void valid_report(Jiju__V1__Report *r)
{
    jiju__v1__report__init(r);
    r->report_id = "R-2023Q1-001";
    r->cluster_id = "JL-WL-001";
    r->period = "2023Q1";
    r->revision = 1;
    r->submitted_by = "张三";
    r->note = "一季度统计";
#define SET(c, k, f, v) (r->c = JIJU__V1__REPORT__##k, r->f = (v))
    SET(enterprises_present_case, ENTERPRISES_PRESENT_ENTERPRISES, enterprises, 50);
    SET(investment_present_case, INVESTMENT_PRESENT_INVESTMENT_FEN, investment_fen,
        INT64_C(100000000000));
    SET(output_value_present_case, OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN, output_value_fen,
        INT64_C(500000000000));
    SET(revenue_present_case, REVENUE_PRESENT_REVENUE_FEN, revenue_fen, INT64_C(300000000000));
    SET(tax_present_case, TAX_PRESENT_TAX_FEN, tax_fen, INT64_C(10000000000));
    SET(employment_present_case, EMPLOYMENT_PRESENT_EMPLOYMENT, employment, 2000);
    SET(key_projects_present_case, KEY_PROJECTS_PRESENT_KEY_PROJECTS, key_projects, 3);
    SET(platforms_present_case, PLATFORMS_PRESENT_PUBLIC_SERVICE_PLATFORMS,
        public_service_platforms, 1);
    SET(attracted_present_case, ATTRACTED_PRESENT_ATTRACTED_INVESTMENT_FEN,
        attracted_investment_fen, INT64_C(2000000000));
#undef SET
}

#endif
