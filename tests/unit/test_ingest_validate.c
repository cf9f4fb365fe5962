/* test_ingest_validate.c - every validation code of docs/errors.md for
 * reports and commands, with its exact field and value. (Decoding of hostile
 * bytes and the problem list: test_ingest_decode.c.) */
#include "test_ingest_support.h"

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
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
