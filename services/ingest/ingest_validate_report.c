/* ingest_validate_report.c - the checks on a report: identity, period,
 * indicators, revisions. Codes and rules: docs/errors.md (change both). */
#include <inttypes.h>
#include <stdio.h>

#include "err.h"
#include "ingest_validate_int.h"
#include "period.h"
#include "tz.h"

enum {
    IND_ENTERPRISES,
    IND_INVESTMENT,
    IND_OUTPUT_VALUE,
    IND_REVENUE,
    IND_TAX,
    IND_EMPLOYMENT,
    IND_KEY_PROJECTS,
    IND_PLATFORMS,
    IND_ATTRACTED,
    IND__COUNT
};

typedef struct indicator_def {
    const char *field;
    const char *zh;
    int required; /* the six core indicators of seed 四.十 */
} indicator_def;

static const indicator_def INDICATORS[IND__COUNT] = {
    [IND_ENTERPRISES] = {"report.enterprises", "入驻企业数", 1},
    [IND_INVESTMENT] = {"report.investment_fen", "投入", 1},
    [IND_OUTPUT_VALUE] = {"report.output_value_fen", "产值", 1},
    [IND_REVENUE] = {"report.revenue_fen", "营业收入", 1},
    [IND_TAX] = {"report.tax_fen", "税收", 1},
    [IND_EMPLOYMENT] = {"report.employment", "吸纳就业人数", 1},
    [IND_KEY_PROJECTS] = {"report.key_projects", "重点项目数", 0},
    [IND_PLATFORMS] = {"report.public_service_platforms", "公共服务平台数", 0},
    [IND_ATTRACTED] = {"report.attracted_investment_fen", "招商引资额", 0},
};

typedef struct indicator {
    int present;
    int64_t value;
} indicator;

static void load_indicators(const Jiju__V1__Report *r, indicator in[IND__COUNT])
{
#define LOAD(i, c, f) in[i] = (indicator){r->c != 0, r->c ? r->f : 0}
    LOAD(IND_ENTERPRISES, enterprises_present_case, enterprises);
    LOAD(IND_INVESTMENT, investment_present_case, investment_fen);
    LOAD(IND_OUTPUT_VALUE, output_value_present_case, output_value_fen);
    LOAD(IND_REVENUE, revenue_present_case, revenue_fen);
    LOAD(IND_TAX, tax_present_case, tax_fen);
    LOAD(IND_EMPLOYMENT, employment_present_case, employment);
    LOAD(IND_KEY_PROJECTS, key_projects_present_case, key_projects);
    LOAD(IND_PLATFORMS, platforms_present_case, public_service_platforms);
    LOAD(IND_ATTRACTED, attracted_present_case, attracted_investment_fen);
#undef LOAD
}

/* Present and not negative: the cross-field rules apply only to these. */
static int usable(const indicator *x)
{
    return x->present && x->value >= 0;
}

static void check_presence_and_sign(ingest_vctx *v, const indicator in[IND__COUNT])
{
    char n[NUM_CAP];
    for (int i = 0; i < IND__COUNT; i++) {
        const indicator_def *d = &INDICATORS[i];
        if (!in[i].present && d->required)
            ingest_vadd(v, SEV_ERROR, "E_REQUIRED", d->field, "", "缺少必填指标 %s (%s)",
                        "%s is required (%s)", d->field, d->zh);
        else if (in[i].present && in[i].value < 0)
            ingest_vadd(v, SEV_ERROR, "E_NEGATIVE", d->field, ingest_vnum(n, in[i].value),
                        "%s 不能为负数: %s", "%s must not be negative: %s", d->field, n);
    }
}

static void check_tax(ingest_vctx *v, const indicator in[IND__COUNT])
{
    const indicator *tax = &in[IND_TAX], *rev = &in[IND_REVENUE];
    char t[NUM_CAP], r[NUM_CAP];
    if (usable(tax) && usable(rev) && tax->value > rev->value)
        ingest_vadd(v, SEV_ERROR, "E_TAX_ABOVE_REVENUE", INDICATORS[IND_TAX].field,
                    ingest_vnum(t, tax->value), "税收 %s 分不能高于营业收入 %s 分",
                    "tax %s fen must not exceed revenue %s fen", t, ingest_vnum(r, rev->value));
}

/* employment / enterprises within [min, max], exactly, without overflow:
 * with q = floor(e/n), e < min*n <=> q < min and e > max*n <=> q > max or
 * (q == max and e % n > 0). */
static void check_employees_per_enterprise(ingest_vctx *v, const indicator in[IND__COUNT],
                                           const ingest_limits *lim)
{
    const indicator *ent = &in[IND_ENTERPRISES], *emp = &in[IND_EMPLOYMENT];
    if (!usable(ent) || !usable(emp) || ent->value == 0)
        return;
    int64_t q = emp->value / ent->value, rem = emp->value % ent->value;
    int below = q < lim->min_employees_per_enterprise;
    int above = q > lim->max_employees_per_enterprise ||
                (q == lim->max_employees_per_enterprise && rem > 0);
    if (!below && !above)
        return;
    char e[NUM_CAP], n[NUM_CAP];
    ingest_vnum(e, emp->value);
    ingest_vnum(n, ent->value);
    ingest_vadd(v, SEV_ERROR, "E_EMPLOYEES_PER_ENTERPRISE", INDICATORS[IND_EMPLOYMENT].field, e,
                "平均每户企业就业人数 (%s 人 / %s 户) 应在 %" PRId64 " 到 %" PRId64 " 之间",
                "employment per enterprise (%s persons / %s enterprises) must be between %" PRId64
                " and %" PRId64,
                e, n, lim->min_employees_per_enterprise, lim->max_employees_per_enterprise);
}

static void check_zero_enterprises(ingest_vctx *v, const indicator in[IND__COUNT])
{
    const indicator *ent = &in[IND_ENTERPRISES], *rev = &in[IND_REVENUE];
    char r[NUM_CAP];
    if (ent->present && ent->value == 0 && usable(rev) && rev->value > 0)
        ingest_vadd(v, SEV_WARNING, "W_ZERO_ENTERPRISES", INDICATORS[IND_ENTERPRISES].field, "0",
                    "入驻企业数为 0, 但营业收入为 %s 分", "enterprises is 0 but revenue is %s fen",
                    ingest_vnum(r, rev->value));
}

/* Identity of the report: ids, period, revision and free text. *cluster_ok
 * and *period_ok say whether the view may be asked about them. */
static void check_identity(ingest_vctx *v, const Jiju__V1__Report *r, int64_t now_ms,
                           int *cluster_ok, period *per, int *period_ok)
{
    ingest_check_id(v, "report.report_id", r->report_id, INGEST_MAX_REPORT_ID);
    *cluster_ok = ingest_check_id(v, "report.cluster_id", r->cluster_id, INGEST_MAX_CLUSTER_ID);
    *period_ok = ingest_check_period(v, "report.period", r->period, per);
    if (*period_ok && now_ms < tz_period_start_ms(per)) { /* the jurisdiction's calendar */
        char now[TZ_TEXT_CAP];
        tz_format_ms(now_ms, now, sizeof now);
        ingest_vadd(v, SEV_ERROR, "E_PERIOD_FUTURE", "report.period", r->period,
                    "报告期 %s 尚未开始 (当前时间 %s)", "period %s has not started yet (now %s)",
                    r->period, now);
    }
    if (r->revision < 1)
        ingest_vadd(v, SEV_ERROR, "E_REQUIRED", "report.revision", "0",
                    "修订号 report.revision 必须至少为 1, 实际为 0",
                    "report.revision must be at least 1, got 0");
    ingest_check_text(v, "report.submitted_by", r->submitted_by, INGEST_MAX_SUBMITTED_BY, 0);
    ingest_check_text(v, "report.note", r->note, INGEST_MAX_NOTE, 0);
}

static void check_period_closed(ingest_vctx *v, const char *period_text)
{
    if (!v->view || !v->view->period_closed || v->err)
        return;
    if (v->view->period_closed(v->view->arg, period_text) == 1)
        ingest_vadd(v, SEV_ERROR, "E_PERIOD_CLOSED", "report.period", period_text,
                    "报告期 %s 已关闭, 不再接受报告",
                    "period %s is closed and accepts no more reports", period_text);
}

static void check_revision(ingest_vctx *v, const Jiju__V1__Report *r)
{
    if (!v->view || !v->view->last_revision || v->err || r->revision < 1)
        return;
    uint32_t last = v->view->last_revision(v->view->arg, r->cluster_id, r->period);
    char n[NUM_CAP];
    if (r->revision <= last)
        ingest_vadd(v, SEV_ERROR, "E_REVISION_NOT_HIGHER", "report.revision",
                    ingest_vnum(n, r->revision),
                    "修订号 %s 必须高于已接受的修订号 %" PRIu32 " (%s, %s)",
                    "revision %s must be higher than the accepted revision %" PRIu32 " (%s, %s)", n,
                    last, r->cluster_id, r->period);
}

/* |now - before| as a percentage of before with one decimal, truncated
 * ("300.1"); before > 0. */
static const char *change_pct(char buf[NUM_CAP], int64_t now, int64_t before)
{
    __int128 d = (__int128)now - before;
    int64_t tenths = (int64_t)((d < 0 ? -d : d) * 1000 / before);
    snprintf(buf, NUM_CAP, "%" PRId64 ".%" PRId64, tenths / 10, tenths % 10);
    return buf;
}

/* Revenue against the previous period's accepted revenue. The comparison is
 * exact: revenue*100 against previous*(100 +/- pct), in 128 bits. */
static void check_revenue_change(ingest_vctx *v, const Jiju__V1__Report *r, const period *per,
                                 const indicator *rev, const ingest_limits *lim)
{
    period prev;
    char pt[PERIOD_TEXT_CAP], a[NUM_CAP], b[NUM_CAP], pct[NUM_CAP];
    int64_t before = 0;
    if (!v->view || !v->view->previous_revenue || v->err || !usable(rev) ||
        period_previous(per, &prev) != JIJU_OK)
        return;
    period_format(&prev, pt, sizeof pt);
    int rc = v->view->previous_revenue(v->view->arg, r->cluster_id, pt, &before);
    if (rc != JIJU_OK) {
        if (rc != JIJU_ERR_NOT_FOUND)
            v->err = rc;
        return;
    }
    if (before <= 0) /* a change against zero has no percentage */
        return;
    __int128 now100 = (__int128)rev->value * 100;
    int up = now100 > (__int128)before * (100 + lim->revenue_jump_warn_pct);
    if (!up && now100 >= (__int128)before * (100 - lim->revenue_drop_warn_pct))
        return; /* within the bounds, as most reports: nothing to write out */
    ingest_vnum(a, rev->value);
    ingest_vnum(b, before);
    change_pct(pct, rev->value, before);
    if (up)
        ingest_vadd(v, SEV_WARNING, "W_REVENUE_JUMP", "report.revenue_fen", a,
                    "营业收入 %s 分比上期 %s 的 %s 分增长 %s%%, 超过 %" PRId64 "%%",
                    "revenue %s fen is up on %s (%s fen) by %s%%, more than %" PRId64 "%%", a, pt,
                    b, pct, lim->revenue_jump_warn_pct);
    else
        ingest_vadd(v, SEV_WARNING, "W_REVENUE_DROP", "report.revenue_fen", a,
                    "营业收入 %s 分比上期 %s 的 %s 分下降 %s%%, 超过 %" PRId64 "%%",
                    "revenue %s fen is down on %s (%s fen) by %s%%, more than %" PRId64 "%%", a, pt,
                    b, pct, lim->revenue_drop_warn_pct);
}

int ingest_validate_report(const Jiju__V1__Report *r, const ingest_view *view,
                           const ingest_limits *lim, int64_t now_ms, problem_list *p)
{
    if (!r || !p)
        return JIJU_ERR_INVALID;
    ingest_limits defaults = ingest_limits_default();
    ingest_vctx v = {p, view, JIJU_OK};
    size_t errors_before = problem_list_count_errors(p);
    indicator in[IND__COUNT];
    period per;
    int cluster_ok, period_ok;
    if (!lim)
        lim = &defaults;
    load_indicators(r, in);
    check_identity(&v, r, now_ms, &cluster_ok, &per, &period_ok);
    check_presence_and_sign(&v, in);
    check_tax(&v, in);
    check_employees_per_enterprise(&v, in, lim);
    check_zero_enterprises(&v, in);
    if (cluster_ok)
        ingest_require_active(&v, "report.cluster_id", r->cluster_id);
    if (period_ok)
        check_period_closed(&v, r->period);
    if (cluster_ok && period_ok) {
        check_revision(&v, r);
        check_revenue_change(&v, r, &per, &in[IND_REVENUE], lim);
    }
    return ingest_vfinish(&v, errors_before);
}
