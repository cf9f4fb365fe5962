/* test_ingest_validate.c - every validation code of docs/errors.md, with its
 * exact field and value; the problem list; decoding of hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "ingest_validate.h"
#include "problem.h"

#define MS_2023_01_01 INT64_C(1672531200000)
#define MS_2023_07_01 INT64_C(1688169600000)
#define NOW INT64_C(1685577600000) /* 2023-06-01T00:00:00Z: inside 2023Q2 */

/* ---- a fake registry and report index behind an ingest_view ------------ */

typedef struct fake {
    const char *ids[4];
    Jiju__V1__ClusterStatus status[4];
    const char *closed_period;
    uint32_t last_revision;
    int have_previous;
    int64_t previous_revenue;
    char asked_period[16]; /* what previous_revenue was asked for */
    int same;              /* cluster_same answer */
    int fail;              /* cluster_status answers JIJU_ERR_STORE */
} fake;

static int fake_status(void *arg, const char *id, Jiju__V1__ClusterStatus *out)
{
    fake *f = arg;
    if (f->fail)
        return JIJU_ERR_STORE;
    for (int i = 0; i < 4 && f->ids[i]; i++)
        if (strcmp(f->ids[i], id) == 0) {
            *out = f->status[i];
            return JIJU_OK;
        }
    return JIJU_ERR_NOT_FOUND;
}

static int fake_same(void *arg, const Jiju__V1__Cluster *c)
{
    return ((fake *)arg)->same;
}

static int fake_closed(void *arg, const char *period)
{
    fake *f = arg;
    return f->closed_period && strcmp(f->closed_period, period) == 0;
}

static uint32_t fake_last(void *arg, const char *cluster_id, const char *period)
{
    return ((fake *)arg)->last_revision;
}

static int fake_previous(void *arg, const char *cluster_id, const char *period, int64_t *fen)
{
    fake *f = arg;
    strncpy(f->asked_period, period, sizeof f->asked_period - 1);
    if (!f->have_previous)
        return JIJU_ERR_NOT_FOUND;
    *fen = f->previous_revenue;
    return JIJU_OK;
}

typedef struct fixture {
    problem_list *p;
    fake f;
    ingest_view view;
    ingest_limits lim;
    Jiju__V1__Report r;
} fixture;

static void valid_report(Jiju__V1__Report *r)
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

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    fx->f.ids[0] = "JL-WL-001";
    fx->f.status[0] = JIJU__V1__CLUSTER_STATUS__ACTIVE;
    fx->f.ids[1] = "JL-SW-002";
    fx->f.status[1] = JIJU__V1__CLUSTER_STATUS__ELIMINATED;
    fx->view = (ingest_view){&fx->f, fake_status, fake_same, fake_closed, fake_last, fake_previous};
    fx->lim = ingest_limits_default();
    valid_report(&fx->r);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    problem_list_free(&fx->p);
    assert_null(fx->p);
    free(fx);
    return 0;
}

static int run_report(fixture *fx)
{
    return ingest_validate_report(&fx->r, &fx->view, &fx->lim, NOW, fx->p);
}

/* Exactly one finding, with this severity, code, field and value; both
 * messages are non-empty and state the value. */
static void expect_only(fixture *fx, Jiju__V1__Severity sev, const char *code, const char *field,
                        const char *value)
{
    if (fx->p->count != 1) {
        for (size_t i = 0; i < fx->p->count; i++)
            print_message("  got %s %s=%s\n", fx->p->items[i]->code, fx->p->items[i]->field,
                          fx->p->items[i]->value);
        fail_msg("expected only %s on %s, got %zu problems", code, field, fx->p->count);
    }
    const Jiju__V1__Problem *p = fx->p->items[0];
    assert_string_equal(p->code, code);
    assert_string_equal(p->field, field);
    assert_string_equal(p->value, value);
    assert_int_equal(p->severity, sev);
    assert_true(strlen(p->message_zh) > 0 && strlen(p->message_en) > 0);
    if (*value) {
        assert_non_null(strstr(p->message_zh, value));
        assert_non_null(strstr(p->message_en, value));
    }
}

static void expect_error(fixture *fx, int rc, const char *code, const char *field,
                         const char *value)
{
    assert_int_equal(rc, JIJU_ERR_REJECTED);
    expect_only(fx, JIJU__V1__SEVERITY__ERROR, code, field, value);
}

static void reset(fixture *fx)
{
    problem_list_free(&fx->p);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    valid_report(&fx->r);
}

/* ---- reports ---------------------------------------------------------- */

static void test_valid_report(void **state)
{
    fixture *fx = *state;
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
    /* Optional fields may be absent; no view and no limits means defaults. */
    fx->r.submitted_by = "";
    fx->r.note = "";
    fx->r.key_projects_present_case = 0;
    fx->r.platforms_present_case = 0;
    fx->r.attracted_present_case = 0;
    assert_int_equal(ingest_validate_report(&fx->r, NULL, NULL, NOW, fx->p), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
}

static void test_required_ids(void **state)
{
    fixture *fx = *state;
    fx->r.report_id = "";
    expect_error(fx, run_report(fx), "E_REQUIRED", "report.report_id", "");
    reset(fx);
    fx->r.cluster_id = "";
    expect_error(fx, run_report(fx), "E_REQUIRED", "report.cluster_id", "");
    reset(fx);
    fx->r.period = "";
    expect_error(fx, run_report(fx), "E_REQUIRED", "report.period", "");
    reset(fx);
    fx->r.revision = 0;
    expect_error(fx, run_report(fx), "E_REQUIRED", "report.revision", "0");
}

static void test_required_indicators(void **state)
{
    fixture *fx = *state;
    static const char *fields[] = {"report.enterprises",      "report.investment_fen",
                                   "report.output_value_fen", "report.revenue_fen",
                                   "report.tax_fen",          "report.employment"};
    for (int i = 0; i < 6; i++) {
        reset(fx);
        switch (i) {
        case 0:
            fx->r.enterprises_present_case = 0;
            break;
        case 1:
            fx->r.investment_present_case = 0;
            break;
        case 2:
            fx->r.output_value_present_case = 0;
            break;
        case 3:
            fx->r.revenue_present_case = 0;
            break;
        case 4:
            fx->r.tax_present_case = 0;
            break;
        case 5:
            fx->r.employment_present_case = 0;
            break;
        }
        expect_error(fx, run_report(fx), "E_REQUIRED", fields[i], "");
    }
}

static void test_period_syntax(void **state)
{
    fixture *fx = *state;
    fx->r.period = "2023Q5";
    expect_error(fx, run_report(fx), "E_PERIOD_SYNTAX", "report.period", "2023Q5");
    reset(fx);
    fx->r.period = "2023 Q1";
    expect_error(fx, run_report(fx), "E_PERIOD_SYNTAX", "report.period", "2023 Q1");
}

static void test_period_future(void **state)
{
    fixture *fx = *state;
    fx->r.period = "2023Q3";
    expect_error(fx, run_report(fx), "E_PERIOD_FUTURE", "report.period", "2023Q3");
    /* A period in progress is allowed; so is one from its first ms on. */
    reset(fx);
    fx->r.period = "2023Q2";
    assert_int_equal(run_report(fx), JIJU_OK);
    fx->r.period = "2023Q3";
    assert_int_equal(ingest_validate_report(&fx->r, &fx->view, &fx->lim, MS_2023_07_01, fx->p),
                     JIJU_OK);
    assert_int_equal(ingest_validate_report(&fx->r, &fx->view, &fx->lim, MS_2023_07_01 - 1, fx->p),
                     JIJU_ERR_REJECTED);
    reset(fx);
    fx->r.period = "2023";
    assert_int_equal(ingest_validate_report(&fx->r, NULL, NULL, MS_2023_01_01, fx->p), JIJU_OK);
}

static void test_negative_every_field(void **state)
{
    fixture *fx = *state;
    static const char *fields[] = {"report.enterprises",
                                   "report.investment_fen",
                                   "report.output_value_fen",
                                   "report.revenue_fen",
                                   "report.tax_fen",
                                   "report.employment",
                                   "report.key_projects",
                                   "report.public_service_platforms",
                                   "report.attracted_investment_fen"};
    for (int i = 0; i < 9; i++) {
        reset(fx);
        int64_t *v[] = {&fx->r.enterprises,
                        &fx->r.investment_fen,
                        &fx->r.output_value_fen,
                        &fx->r.revenue_fen,
                        &fx->r.tax_fen,
                        &fx->r.employment,
                        &fx->r.key_projects,
                        &fx->r.public_service_platforms,
                        &fx->r.attracted_investment_fen};
        *v[i] = -7;
        expect_error(fx, run_report(fx), "E_NEGATIVE", fields[i], "-7");
    }
    reset(fx);
    fx->r.tax_fen = INT64_MIN;
    expect_error(fx, run_report(fx), "E_NEGATIVE", "report.tax_fen", "-9223372036854775808");
}

static void test_tax_above_revenue(void **state)
{
    fixture *fx = *state;
    fx->r.tax_fen = fx->r.revenue_fen + 1;
    expect_error(fx, run_report(fx), "E_TAX_ABOVE_REVENUE", "report.tax_fen", "300000000001");
    reset(fx);
    fx->r.tax_fen = fx->r.revenue_fen;
    assert_int_equal(run_report(fx), JIJU_OK);
}

static void test_employees_per_enterprise(void **state)
{
    fixture *fx = *state;
    fx->r.enterprises = 2;
    fx->r.employment = 20001; /* 10000.5 per enterprise */
    expect_error(fx, run_report(fx), "E_EMPLOYEES_PER_ENTERPRISE", "report.employment", "20001");
    reset(fx);
    fx->r.enterprises = 2;
    fx->r.employment = 20000;
    assert_int_equal(run_report(fx), JIJU_OK);
    fx->lim.min_employees_per_enterprise = 1;
    fx->r.enterprises = 10;
    fx->r.employment = 9;
    expect_error(fx, run_report(fx), "E_EMPLOYEES_PER_ENTERPRISE", "report.employment", "9");
    reset(fx);
    fx->r.enterprises = 1; /* no overflow on extreme values */
    fx->r.employment = INT64_MAX;
    expect_error(fx, run_report(fx), "E_EMPLOYEES_PER_ENTERPRISE", "report.employment",
                 "9223372036854775807");
    reset(fx);
    fx->r.enterprises = 0; /* skipped: no ratio, but a zero-enterprise warning */
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_string_equal(fx->p->items[0]->code, "W_ZERO_ENTERPRISES");
}

static char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)n] = '\0';
    return s;
}

static void test_too_long(void **state)
{
    fixture *fx = *state;
    char *a65 = repeat("a", 65), *a33 = repeat("a", 33), *zh64 = repeat("税", 64),
         *zh65 = repeat("税", 65), *n513 = repeat("注", 513), *n512 = repeat("注", 512);
    fx->r.report_id = a65;
    expect_error(fx, run_report(fx), "E_TOO_LONG", "report.report_id", "65");
    reset(fx);
    fx->r.cluster_id = a33;
    expect_error(fx, run_report(fx), "E_TOO_LONG", "report.cluster_id", "33");
    reset(fx);
    fx->r.submitted_by = zh65;
    expect_error(fx, run_report(fx), "E_TOO_LONG", "report.submitted_by", "65");
    reset(fx);
    fx->r.note = n513;
    expect_error(fx, run_report(fx), "E_TOO_LONG", "report.note", "513");
    reset(fx);
    fx->r.submitted_by = zh64; /* 192 bytes, 64 characters: fine */
    fx->r.note = n512;
    assert_int_equal(run_report(fx), JIJU_OK);
    free(a65), free(a33), free(zh64), free(zh65), free(n513), free(n512);
}

static void test_bad_id(void **state)
{
    fixture *fx = *state;
    fx->r.report_id = "R 1";
    expect_error(fx, run_report(fx), "E_BAD_ID", "report.report_id", "R 1");
    reset(fx);
    fx->r.report_id = "R\t1";
    expect_error(fx, run_report(fx), "E_BAD_ID", "report.report_id", "R\t1");
    reset(fx);
    fx->r.cluster_id = "物流园";
    expect_error(fx, run_report(fx), "E_BAD_ID", "report.cluster_id", "物流园");
}

static void test_utf8_every_string(void **state)
{
    fixture *fx = *state;
    fx->r.report_id = "R\xff";
    expect_error(fx, run_report(fx), "E_UTF8", "report.report_id", "R\\xFF");
    reset(fx);
    fx->r.cluster_id = "\xc0\xaf"; /* overlong '/' */
    expect_error(fx, run_report(fx), "E_UTF8", "report.cluster_id", "\\xC0\\xAF");
    reset(fx);
    fx->r.period = "2023\xe7\xa8"; /* truncated sequence: UTF-8 before syntax */
    expect_error(fx, run_report(fx), "E_UTF8", "report.period", "2023\\xE7\\xA8");
    reset(fx);
    fx->r.submitted_by = "张\xed\xa0\x80"; /* a UTF-16 surrogate */
    expect_error(fx, run_report(fx), "E_UTF8", "report.submitted_by", "张\\xED\\xA0\\x80");
    reset(fx);
    fx->r.note = "\xf4\x90\x80\x80"; /* above U+10FFFF */
    expect_error(fx, run_report(fx), "E_UTF8", "report.note", "\\xF4\\x90\\x80\\x80");
}

static void test_cluster_registry(void **state)
{
    fixture *fx = *state;
    fx->r.cluster_id = "JL-XX-404";
    expect_error(fx, run_report(fx), "E_UNKNOWN_CLUSTER", "report.cluster_id", "JL-XX-404");
    reset(fx);
    fx->r.cluster_id = "JL-SW-002";
    expect_error(fx, run_report(fx), "E_CLUSTER_ELIMINATED", "report.cluster_id", "JL-SW-002");
}

static void test_period_closed(void **state)
{
    fixture *fx = *state;
    fx->f.closed_period = "2023Q1";
    expect_error(fx, run_report(fx), "E_PERIOD_CLOSED", "report.period", "2023Q1");
}

static void test_revision_not_higher(void **state)
{
    fixture *fx = *state;
    fx->f.last_revision = 2;
    fx->r.revision = 2;
    expect_error(fx, run_report(fx), "E_REVISION_NOT_HIGHER", "report.revision", "2");
    reset(fx);
    fx->r.revision = 3;
    assert_int_equal(run_report(fx), JIJU_OK);
}

static void expect_warning(fixture *fx, const char *code, const char *field, const char *value)
{
    assert_int_equal(run_report(fx), JIJU_OK); /* warnings do not refuse */
    expect_only(fx, JIJU__V1__SEVERITY__WARNING, code, field, value);
    assert_int_equal(problem_list_count_errors(fx->p), 0);
}

static void test_revenue_warnings(void **state)
{
    fixture *fx = *state;
    fx->f.have_previous = 1;
    fx->f.previous_revenue = 1000;
    fx->r.tax_fen = 0;
    fx->r.revenue_fen = 4001; /* +300.1 % */
    expect_warning(fx, "W_REVENUE_JUMP", "report.revenue_fen", "4001");
    assert_non_null(strstr(fx->p->items[0]->message_en, "2022Q4 (1000 fen) by 300.1%"));
    assert_string_equal(fx->f.asked_period, "2022Q4"); /* the period before 2023Q1 */
    reset(fx);
    fx->r.tax_fen = 0;
    fx->r.revenue_fen = 4000; /* exactly +300 %: no warning */
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
    fx->r.revenue_fen = 199; /* -80.1 % */
    expect_warning(fx, "W_REVENUE_DROP", "report.revenue_fen", "199");
    assert_non_null(strstr(fx->p->items[0]->message_zh, "下降 80.1%, 超过 80%"));
    reset(fx);
    fx->r.tax_fen = 0;
    fx->r.revenue_fen = 200; /* exactly -80 % */
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
    fx->f.have_previous = 0; /* unknown previous: nothing to compare */
    fx->r.revenue_fen = 1;
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
}

static void test_zero_enterprises(void **state)
{
    fixture *fx = *state;
    fx->r.enterprises = 0;
    expect_warning(fx, "W_ZERO_ENTERPRISES", "report.enterprises", "0");
    reset(fx);
    fx->r.enterprises = 0;
    fx->r.revenue_fen = 0;
    fx->r.tax_fen = 0;
    assert_int_equal(run_report(fx), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
}

static void test_all_problems_in_one_pass(void **state)
{
    fixture *fx = *state;
    fx->r.report_id = "";
    fx->r.period = "2023-13";
    fx->r.tax_fen = -1;
    fx->r.cluster_id = "JL-SW-002";
    assert_int_equal(run_report(fx), JIJU_ERR_REJECTED);
    assert_int_equal(fx->p->count, 4);
    assert_int_equal(problem_list_count_errors(fx->p), 4);
    assert_non_null(problem_list_find(fx->p, "E_REQUIRED", "report.report_id"));
    assert_non_null(problem_list_find(fx->p, "E_PERIOD_SYNTAX", "report.period"));
    assert_non_null(problem_list_find(fx->p, "E_NEGATIVE", "report.tax_fen"));
    assert_non_null(problem_list_find(fx->p, "E_CLUSTER_ELIMINATED", "report.cluster_id"));
}

static void test_view_failure_propagates(void **state)
{
    fixture *fx = *state;
    fx->f.fail = 1;
    assert_int_equal(run_report(fx), JIJU_ERR_STORE);
}

/* ---- commands --------------------------------------------------------- */

typedef struct cmd {
    Jiju__V1__Command c;
    Jiju__V1__RegisterCluster reg;
    Jiju__V1__Cluster cl;
    char *industries[5];
} cmd;

static void register_cmd(cmd *m, const char *id)
{
    jiju__v1__command__init(&m->c);
    jiju__v1__register_cluster__init(&m->reg);
    jiju__v1__cluster__init(&m->cl);
    m->cl.id = (char *)id;
    m->cl.name = "东北亚农产品交易集聚区";
    m->cl.category = JIJU__V1__CATEGORY__PRODUCT_MARKET;
    m->cl.county = "船营区";
    m->industries[0] = "农产品批发";
    m->industries[1] = "冷链物流";
    m->cl.leading_industries = m->industries;
    m->cl.n_leading_industries = 2;
    m->reg.cluster = &m->cl;
    m->c.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    m->c.register_cluster = &m->reg;
}

static int run_cmd(fixture *fx, const Jiju__V1__Command *c)
{
    problem_list_free(&fx->p);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    return ingest_validate_command(c, &fx->view, fx->p);
}

#define CL "command.register_cluster.cluster."

static void test_command_empty(void **state)
{
    fixture *fx = *state;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    expect_error(fx, run_cmd(fx, &c), "E_EMPTY_REQUEST", "command.kind", "");
    expect_error(fx, run_cmd(fx, NULL), "E_EMPTY_REQUEST", "command.kind", "");
}

static void test_register_cluster(void **state)
{
    fixture *fx = *state;
    cmd m;
    register_cmd(&m, "JL-CS-010");
    assert_int_equal(run_cmd(fx, &m.c), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
    m.cl.id = "JL CS";
    expect_error(fx, run_cmd(fx, &m.c), "E_BAD_ID", CL "id", "JL CS");
    register_cmd(&m, "JL-CS-010");
    m.cl.name = "";
    expect_error(fx, run_cmd(fx, &m.c), "E_REQUIRED", CL "name", "");
    char *long_name = repeat("区", 65);
    m.cl.name = long_name;
    expect_error(fx, run_cmd(fx, &m.c), "E_TOO_LONG", CL "name", "65");
    free(long_name);
    m.cl.name = "\x80";
    expect_error(fx, run_cmd(fx, &m.c), "E_UTF8", CL "name", "\\x80");
    register_cmd(&m, "JL-CS-010");
    m.cl.category = 0;
    expect_error(fx, run_cmd(fx, &m.c), "E_REQUIRED", CL "category", "0");
    m.cl.category = 42;
    expect_error(fx, run_cmd(fx, &m.c), "E_BAD_ENUM", CL "category", "42");
    register_cmd(&m, "JL-CS-010");
    m.cl.level = 7;
    expect_error(fx, run_cmd(fx, &m.c), "E_BAD_ENUM", CL "level", "7");
    register_cmd(&m, "JL-CS-010");
    m.cl.county = "";
    expect_error(fx, run_cmd(fx, &m.c), "E_REQUIRED", CL "county", "");
    m.reg.cluster = NULL;
    expect_error(fx, run_cmd(fx, &m.c), "E_REQUIRED", "command.register_cluster.cluster", "");
}

static void test_leading_industries(void **state)
{
    fixture *fx = *state;
    cmd m;
    register_cmd(&m, "JL-CS-010");
    m.cl.n_leading_industries = 0;
    expect_error(fx, run_cmd(fx, &m.c), "E_LEADING_INDUSTRIES", CL "leading_industries", "0");
    m.industries[2] = "仓储";
    m.industries[3] = "电商";
    m.cl.n_leading_industries = 4;
    expect_error(fx, run_cmd(fx, &m.c), "E_LEADING_INDUSTRIES", CL "leading_industries", "4");
    m.cl.n_leading_industries = 3;
    assert_int_equal(run_cmd(fx, &m.c), JIJU_OK);
    char *long_industry = repeat("业", 33);
    m.industries[1] = long_industry;
    expect_error(fx, run_cmd(fx, &m.c), "E_LEADING_INDUSTRIES", CL "leading_industries[1]", "33");
    free(long_industry);
    m.industries[1] = "";
    expect_error(fx, run_cmd(fx, &m.c), "E_LEADING_INDUSTRIES", CL "leading_industries[1]", "0");
    m.industries[1] = "\xfe";
    expect_error(fx, run_cmd(fx, &m.c), "E_UTF8", CL "leading_industries[1]", "\\xFE");
}

static void test_register_existing(void **state)
{
    fixture *fx = *state;
    cmd m;
    register_cmd(&m, "JL-WL-001");
    expect_error(fx, run_cmd(fx, &m.c), "E_CLUSTER_EXISTS", CL "id", "JL-WL-001");
    fx->f.same = 1; /* identical fields: a no-op, not an error */
    assert_int_equal(run_cmd(fx, &m.c), JIJU_OK);
    assert_int_equal(fx->p->count, 0);
}

static void test_unknown_cluster_commands(void **state)
{
    fixture *fx = *state;
    cmd m;
    register_cmd(&m, "JL-XX-404");
    Jiju__V1__UpdateCluster up = JIJU__V1__UPDATE_CLUSTER__INIT;
    up.cluster = &m.cl;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    c.kind_case = JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER;
    c.update_cluster = &up;
    expect_error(fx, run_cmd(fx, &c), "E_UNKNOWN_CLUSTER", "command.update_cluster.cluster.id",
                 "JL-XX-404");
    m.cl.id = "JL-WL-001";
    assert_int_equal(run_cmd(fx, &c), JIJU_OK);

    Jiju__V1__RecordRecognition rec = JIJU__V1__RECORD_RECOGNITION__INIT;
    rec.cluster_id = "JL-XX-404";
    c.kind_case = JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION;
    c.record_recognition = &rec;
    expect_error(fx, run_cmd(fx, &c), "E_UNKNOWN_CLUSTER", "command.record_recognition.cluster_id",
                 "JL-XX-404");
    rec.cluster_id = "JL-SW-002";
    expect_error(fx, run_cmd(fx, &c), "E_CLUSTER_ELIMINATED",
                 "command.record_recognition.cluster_id", "JL-SW-002");

    Jiju__V1__EliminateCluster el = JIJU__V1__ELIMINATE_CLUSTER__INIT;
    el.cluster_id = "JL-XX-404";
    c.kind_case = JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER;
    c.eliminate_cluster = &el;
    expect_error(fx, run_cmd(fx, &c), "E_UNKNOWN_CLUSTER", "command.eliminate_cluster.cluster_id",
                 "JL-XX-404");
    el.cluster_id = "JL-SW-002"; /* again: idempotent */
    assert_int_equal(run_cmd(fx, &c), JIJU_OK);
}

static void test_period_commands(void **state)
{
    fixture *fx = *state;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    c.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
    c.open_period = &op;
    op.period = "2023-5";
    expect_error(fx, run_cmd(fx, &c), "E_PERIOD_SYNTAX", "command.open_period.period", "2023-5");
    op.period = "2023-05";
    assert_int_equal(run_cmd(fx, &c), JIJU_OK);
    c.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
    c.close_period = &cp;
    expect_error(fx, run_cmd(fx, &c), "E_REQUIRED", "command.close_period.period", "");
    cp.period = "2023Q2";
    assert_int_equal(run_cmd(fx, &c), JIJU_OK);
}

static void test_indicator_system(void **state)
{
    fixture *fx = *state;
    Jiju__V1__IndicatorWeight w[3] = {JIJU__V1__INDICATOR_WEIGHT__INIT,
                                      JIJU__V1__INDICATOR_WEIGHT__INIT,
                                      JIJU__V1__INDICATOR_WEIGHT__INIT};
    Jiju__V1__IndicatorWeight *wp[3] = {&w[0], &w[1], &w[2]};
    Jiju__V1__SetIndicatorSystem s = JIJU__V1__SET_INDICATOR_SYSTEM__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    c.kind_case = JIJU__V1__COMMAND__KIND_SET_INDICATOR_SYSTEM;
    c.set_indicator_system = &s;
    s.weights = wp;
    s.n_weights = 3;
    w[0].indicator = "revenue", w[0].weight = 50;
    w[1].indicator = "tax", w[1].weight = 30;
    w[2].indicator = "employment", w[2].weight = 20;
    assert_int_equal(run_cmd(fx, &c), JIJU_OK); /* empty normalisation = min_max */
    s.normalisation = "z_score";
    assert_int_equal(run_cmd(fx, &c), JIJU_OK);
    s.normalisation = "log";
    expect_error(fx, run_cmd(fx, &c), "E_BAD_NORMALISATION",
                 "command.set_indicator_system.normalisation", "log");
    s.normalisation = "target";
    w[2].weight = 10;
    expect_error(fx, run_cmd(fx, &c), "E_WEIGHTS_SUM", "command.set_indicator_system.weights",
                 "90");
    w[2].weight = UINT32_MAX; /* no wrap-around to 100 */
    expect_error(fx, run_cmd(fx, &c), "E_WEIGHTS_SUM", "command.set_indicator_system.weights",
                 "4294967375");
    w[2].weight = 20;
    w[2].indicator = "profit";
    expect_error(fx, run_cmd(fx, &c), "E_UNKNOWN_INDICATOR",
                 "command.set_indicator_system.weights[2].indicator", "profit");
    w[2].indicator = "tax";
    expect_error(fx, run_cmd(fx, &c), "E_DUPLICATE_INDICATOR",
                 "command.set_indicator_system.weights[2].indicator", "tax");
    s.n_weights = 0;
    expect_error(fx, run_cmd(fx, &c), "E_WEIGHTS_SUM", "command.set_indicator_system.weights", "0");
}

/* ---- decoding --------------------------------------------------------- */

static size_t pack_request(const Jiju__V1__Report *r, const char *request_id, uint8_t **buf)
{
    Jiju__V1__SubmitRequest q = JIJU__V1__SUBMIT_REQUEST__INIT;
    q.request_id = (char *)request_id;
    if (r) {
        q.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
        q.report = (Jiju__V1__Report *)r;
    }
    size_t n = jiju__v1__submit_request__get_packed_size(&q);
    *buf = malloc(n ? n : 1);
    assert_non_null(*buf);
    assert_int_equal(jiju__v1__submit_request__pack(&q, *buf), n);
    return n;
}

static int decode(fixture *fx, const uint8_t *b, size_t n, Jiju__V1__SubmitRequest **out)
{
    problem_list_free(&fx->p);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    return ingest_decode(b, n, &fx->lim, out, fx->p);
}

static void test_decode_valid(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    assert_non_null(req);
    assert_int_equal(fx->p->count, 0);
    assert_string_equal(req->report->report_id, "R-2023Q1-001");
    assert_int_equal(req->report->tax_fen, fx->r.tax_fen);
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_too_large(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = (void *)1;
    fx->lim.max_message_bytes = n - 1;
    char v[24];
    snprintf(v, sizeof v, "%zu", n);
    expect_error(fx, decode(fx, b, n, &req), "E_TOO_LARGE", "request", v);
    assert_null(req);
    fx->lim.max_message_bytes = n;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_malformed(void **state)
{
    fixture *fx = *state;
    Jiju__V1__SubmitRequest *req = (void *)1;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    expect_error(fx, decode(fx, garbage, sizeof garbage, &req), "E_MALFORMED", "request", "9");
    assert_null(req);
    expect_error(fx, decode(fx, (const uint8_t *)"", 0, &req), "E_MALFORMED", "request", "0");
    assert_null(req);
    expect_error(fx, decode(fx, NULL, 0, &req), "E_MALFORMED", "request", "0");
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    char v[24];
    snprintf(v, sizeof v, "%zu", n - 1);
    expect_error(fx, decode(fx, b, n - 1, &req), "E_MALFORMED", "request", v);
    assert_null(req);
    /* Every prefix: malformed, or (cut just after request_id) empty. */
    for (size_t k = 1; k < n; k++) {
        int rc = decode(fx, b, k, &req);
        assert_int_equal(rc, JIJU_ERR_REJECTED);
        if (req)
            assert_non_null(problem_list_find(fx->p, "E_EMPTY_REQUEST", "request.body"));
        else
            assert_non_null(problem_list_find(fx->p, "E_MALFORMED", "request"));
        jiju__v1__submit_request__free_unpacked(req, NULL);
        req = NULL;
    }
    free(b);
}

static void test_decode_empty_request(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(NULL, "q-7", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    expect_error(fx, decode(fx, b, n, &req), "E_EMPTY_REQUEST", "request.body", "");
    assert_non_null(req); /* decoded: the reply can echo request_id */
    assert_string_equal(req->request_id, "q-7");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_request_id(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    Jiju__V1__SubmitRequest *req = NULL;
    size_t n = pack_request(&fx->r, "q\xff", &b);
    expect_error(fx, decode(fx, b, n, &req), "E_UTF8", "request_id", "q\\xFF");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
    char *long_id = repeat("q", INGEST_MAX_REQUEST_ID + 1);
    n = pack_request(&fx->r, long_id, &b);
    expect_error(fx, decode(fx, b, n, &req), "E_TOO_LONG", "request_id", "129");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
    free(long_id);
}

/* protobuf-c 1.4.1 unpacks proto3 strings without checking UTF-8: the bytes
 * arrive intact and validation names the field. If a later protobuf-c
 * refuses them at unpack, this test fails and ingest_validate.h must say so. */
static void test_protobuf_c_passes_bad_utf8(void **state)
{
    fixture *fx = *state;
    fx->r.note = "ok\xff";
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    assert_non_null(req);
    assert_string_equal(req->report->note, "ok\xff");
    assert_int_equal(ingest_validate_report(req->report, &fx->view, &fx->lim, NOW, fx->p),
                     JIJU_ERR_REJECTED);
    expect_only(fx, JIJU__V1__SEVERITY__ERROR, "E_UTF8", "report.note", "ok\\xFF");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

/* Hostile bytes never crash: random buffers and mutations of a valid
 * request, each decoded and, when it decodes, validated. */
static void test_decode_fuzz(void **state)
{
    fixture *fx = *state;
    uint8_t *valid, buf[512];
    size_t n = pack_request(&fx->r, "q-1", &valid);
    assert_true(n <= sizeof buf);
    srand(20231);
    for (int i = 0; i < 20000; i++) {
        size_t len;
        if (i % 2) {
            len = (size_t)rand() % sizeof buf;
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rand();
        } else {
            len = n;
            memcpy(buf, valid, n);
            for (int k = 0; k < 1 + rand() % 4; k++)
                buf[(size_t)rand() % n] = (uint8_t)rand();
        }
        Jiju__V1__SubmitRequest *req = NULL;
        int rc = decode(fx, buf, len, &req);
        assert_true(rc == JIJU_OK || rc == JIJU_ERR_REJECTED);
        assert_true(rc == JIJU_OK ? fx->p->count == 0 : fx->p->count > 0);
        if (req && req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT)
            ingest_validate_report(req->report, &fx->view, &fx->lim, NOW, fx->p);
        else if (req && req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND)
            ingest_validate_command(req->command, &fx->view, fx->p);
        jiju__v1__submit_request__free_unpacked(req, NULL);
    }
    free(valid);
}

/* ---- the problem list ------------------------------------------------- */

static void test_problem_list(void **state)
{
    (void)state;
    problem_list *l = problem_list_new();
    assert_non_null(l);
    for (int i = 0; i < 20; i++) /* past the first growth */
        assert_int_equal(
            problem_add(l, i % 2 ? JIJU__V1__SEVERITY__WARNING : JIJU__V1__SEVERITY__ERROR, "E_X",
                        "f", "v\xff", "值 %d: %s", "value %d: %s", i, "\xfe"),
            JIJU_OK);
    assert_int_equal(l->count, 20);
    assert_int_equal(problem_list_count_errors(l), 10);
    assert_string_equal(l->items[3]->value, "v\\xFF");
    assert_string_equal(l->items[3]->message_zh, "值 3: \\xFE");
    assert_string_equal(l->items[3]->message_en, "value 3: \\xFE");
    assert_int_equal(problem_add(NULL, JIJU__V1__SEVERITY__ERROR, "E", "", "", "x", "x"),
                     JIJU_ERR_INVALID);
    assert_null(problem_list_find(l, "E_NONE", NULL));

    /* Hand the array to a reply, round-trip it, free it the protobuf-c way. */
    Jiju__V1__SubmitReply *reply = malloc(sizeof *reply);
    assert_non_null(reply);
    jiju__v1__submit_reply__init(reply);
    problem_list_take(l, &reply->problems, &reply->n_problems);
    assert_int_equal(l->count, 0);
    assert_int_equal(reply->n_problems, 20);
    uint8_t buf[4096];
    size_t n = jiju__v1__submit_reply__pack(reply, buf);
    Jiju__V1__SubmitReply *back = jiju__v1__submit_reply__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_string_equal(back->problems[19]->message_en, "value 19: \\xFE");
    assert_int_equal(back->problems[19]->severity, JIJU__V1__SEVERITY__WARNING);
    jiju__v1__submit_reply__free_unpacked(back, NULL);
    jiju__v1__submit_reply__free_unpacked(reply, NULL);
    problem_list_free(&l);
    assert_null(l);
    problem_list_free(&l); /* accepts NULL */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_valid_report),
        T(test_required_ids),
        T(test_required_indicators),
        T(test_period_syntax),
        T(test_period_future),
        T(test_negative_every_field),
        T(test_tax_above_revenue),
        T(test_employees_per_enterprise),
        T(test_too_long),
        T(test_bad_id),
        T(test_utf8_every_string),
        T(test_cluster_registry),
        T(test_period_closed),
        T(test_revision_not_higher),
        T(test_revenue_warnings),
        T(test_zero_enterprises),
        T(test_all_problems_in_one_pass),
        T(test_view_failure_propagates),
        T(test_command_empty),
        T(test_register_cluster),
        T(test_leading_industries),
        T(test_register_existing),
        T(test_unknown_cluster_commands),
        T(test_period_commands),
        T(test_indicator_system),
        T(test_decode_valid),
        T(test_decode_too_large),
        T(test_decode_malformed),
        T(test_decode_empty_request),
        T(test_decode_request_id),
        T(test_protobuf_c_passes_bad_utf8),
        T(test_decode_fuzz),
        T(test_problem_list),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
