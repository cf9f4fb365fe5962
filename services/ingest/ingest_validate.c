/* ingest_validate.c - the checks ingest applies to every request. The codes,
 * fields and rules here are the table in docs/errors.md: change both. */
#include "ingest_validate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "tz.h"
#include "pb.h"
#include "period.h"
#include "utf8.h"

#define SEV_ERROR JIJU__V1__SEVERITY__ERROR
#define SEV_WARNING JIJU__V1__SEVERITY__WARNING

/* Field paths are short; the longest is
 * "command.set_indicator_system.weights[4294967295].indicator". */
#define FIELD_CAP 96
/* Decimal text of any int64 with its sign and NUL. */
#define NUM_CAP 24

ingest_limits ingest_limits_default(void)
{
    ingest_limits l = {
        .max_message_bytes = 65536,
        .min_employees_per_enterprise = 0,
        .max_employees_per_enterprise = 10000,
        .revenue_jump_warn_pct = 300,
        .revenue_drop_warn_pct = 80,
    };
    return l;
}

/* One validation pass: where findings go and the first hard failure
 * (allocation, or a view member's error), after which nothing is added. */
typedef struct vctx {
    problem_list *p;
    const ingest_view *view;
    int err;
} vctx;

__attribute__((format(printf, 6, 8), format(printf, 7, 8))) static void
add(vctx *v, Jiju__V1__Severity sev, const char *code, const char *field, const char *value,
    const char *zh, const char *en, ...)
{
    if (v->err)
        return;
    va_list ap;
    va_start(ap, en);
    int rc = problem_addv(v->p, sev, code, field, value, zh, en, ap);
    va_end(ap);
    if (rc != JIJU_OK)
        v->err = rc;
}

static const char *num(char buf[NUM_CAP], int64_t x)
{
    snprintf(buf, NUM_CAP, "%" PRId64, x);
    return buf;
}

static const char *path(char buf[FIELD_CAP], const char *prefix, const char *leaf)
{
    snprintf(buf, FIELD_CAP, "%s%s", prefix, leaf);
    return buf;
}

typedef enum { TEXT_OK, TEXT_LONG, TEXT_UNUSABLE } text_state;

static text_state check_text(vctx *v, const char *field, const char *s, size_t max, int required);

/* request_id is echoed in the reply, so it follows the replier's rule, in
 * bytes (replier.h), not a length in characters. */
static void check_request_id(vctx *v, const char *id)
{
    char n[NUM_CAP];

    if (check_text(v, "request_id", id, SIZE_MAX, 0) != TEXT_OK ||
        strlen(id) <= INGEST_MAX_REQUEST_ID)
        return;
    num(n, (int64_t)strlen(id));
    add(v, SEV_ERROR, "E_TOO_LONG", "request_id", n, "request_id 最多 %d 字节, 实际 %s 字节",
        "request_id must be at most %d bytes, got %s", INGEST_MAX_REQUEST_ID, n);
}

/* Presence, UTF-8 and length of one string field (length in characters;
 * for length rules the value reported is the length). TEXT_UNUSABLE when
 * missing or not UTF-8: no further rule can be checked on it. */
static text_state check_text(vctx *v, const char *field, const char *s, size_t max, int required)
{
    char n[NUM_CAP];
    size_t chars = 0;
    if (!s || !*s) {
        if (required)
            add(v, SEV_ERROR, "E_REQUIRED", field, "", "缺少必填字段 %s", "%s is required", field);
        return TEXT_UNUSABLE;
    }
    int rc = utf8_chars(s, strlen(s), &chars);
    if (rc == JIJU_ERR_INVALID) {
        add(v, SEV_ERROR, "E_UTF8", field, s, "%s 不是有效的 UTF-8 文本: %s",
            "%s is not valid UTF-8: %s", field, s);
        return TEXT_UNUSABLE;
    }
    if (rc != JIJU_OK) {
        v->err = rc;
        return TEXT_UNUSABLE;
    }
    if (chars > max) {
        num(n, (int64_t)chars);
        add(v, SEV_ERROR, "E_TOO_LONG", field, n, "%s 最多 %zu 个字符, 实际 %s 个",
            "%s must be at most %zu characters, got %s", field, max, n);
        return TEXT_LONG;
    }
    return TEXT_OK;
}

/* A required identifier: printable ASCII, no spaces. 1 if it can be looked
 * up (present, well-formed, not too long), 0 otherwise. */
static int check_id(vctx *v, const char *field, const char *s, size_t max)
{
    text_state st = check_text(v, field, s, max, 1);
    if (st == TEXT_UNUSABLE)
        return 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x21 || *c > 0x7e) {
            add(v, SEV_ERROR, "E_BAD_ID", field, s, "%s 只能由可打印 ASCII 字符组成且不含空格: %s",
                "%s must be printable ASCII without spaces: %s", field, s);
            return 0;
        }
    }
    return st == TEXT_OK;
}

/* A required period string; 1 and *out when it parses. */
static int check_period(vctx *v, const char *field, const char *s, period *out)
{
    if (check_text(v, field, s, SIZE_MAX, 1) == TEXT_UNUSABLE)
        return 0;
    if (period_parse(s, out) != JIJU_OK) {
        add(v, SEV_ERROR, "E_PERIOD_SYNTAX", field, s,
            "%s 应为 2023、2023Q1..2023Q4 或 2023-01..2023-12 (2000-2999 年), 实际为 %s",
            "%s must be 2023, 2023Q1..2023Q4 or 2023-01..2023-12 (years 2000-2999), got %s", field,
            s);
        return 0;
    }
    return 1;
}

/* Status of a cluster from the view: 1 and *st if registered, 0 if not
 * registered, -1 if unknown (no view) or the view failed (v->err set). */
static int lookup_cluster(vctx *v, const char *id, Jiju__V1__ClusterStatus *st)
{
    if (!v->view || !v->view->cluster_status || v->err)
        return -1;
    int rc = v->view->cluster_status(v->view->arg, id, st);
    if (rc == JIJU_OK)
        return 1;
    if (rc == JIJU_ERR_NOT_FOUND)
        return 0;
    v->err = rc;
    return -1;
}

static void unknown_cluster(vctx *v, const char *field, const char *id)
{
    add(v, SEV_ERROR, "E_UNKNOWN_CLUSTER", field, id, "集聚区 %s 未登记",
        "cluster %s is not registered", id);
}

static void eliminated_cluster(vctx *v, const char *field, const char *id)
{
    add(v, SEV_ERROR, "E_CLUSTER_ELIMINATED", field, id, "集聚区 %s 已被淘汰, 不再接受",
        "cluster %s has been eliminated and is no longer accepted", id);
}

/* A registered, active cluster is required (reports, recognitions). */
static void require_active(vctx *v, const char *field, const char *id)
{
    Jiju__V1__ClusterStatus st = JIJU__V1__CLUSTER_STATUS__CLUSTER_STATUS_UNSPECIFIED;
    int found = lookup_cluster(v, id, &st);
    if (found == 0)
        unknown_cluster(v, field, id);
    else if (found == 1 && st == JIJU__V1__CLUSTER_STATUS__ELIMINATED)
        eliminated_cluster(v, field, id);
}

static int finish(vctx *v, size_t errors_before)
{
    if (v->err)
        return v->err;
    return problem_list_count_errors(v->p) > errors_before ? JIJU_ERR_REJECTED : JIJU_OK;
}

/* ---- reports ---------------------------------------------------------- */

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

static void check_presence_and_sign(vctx *v, const indicator in[IND__COUNT])
{
    char n[NUM_CAP];
    for (int i = 0; i < IND__COUNT; i++) {
        const indicator_def *d = &INDICATORS[i];
        if (!in[i].present && d->required)
            add(v, SEV_ERROR, "E_REQUIRED", d->field, "", "缺少必填指标 %s (%s)",
                "%s is required (%s)", d->field, d->zh);
        else if (in[i].present && in[i].value < 0)
            add(v, SEV_ERROR, "E_NEGATIVE", d->field, num(n, in[i].value), "%s 不能为负数: %s",
                "%s must not be negative: %s", d->field, n);
    }
}

static void check_tax(vctx *v, const indicator in[IND__COUNT])
{
    const indicator *tax = &in[IND_TAX], *rev = &in[IND_REVENUE];
    char t[NUM_CAP], r[NUM_CAP];
    if (usable(tax) && usable(rev) && tax->value > rev->value)
        add(v, SEV_ERROR, "E_TAX_ABOVE_REVENUE", INDICATORS[IND_TAX].field, num(t, tax->value),
            "税收 %s 分不能高于营业收入 %s 分", "tax %s fen must not exceed revenue %s fen", t,
            num(r, rev->value));
}

/* employment / enterprises within [min, max], exactly, without overflow:
 * with q = floor(e/n), e < min*n <=> q < min and e > max*n <=> q > max or
 * (q == max and e % n > 0). */
static void check_employees_per_enterprise(vctx *v, const indicator in[IND__COUNT],
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
    num(e, emp->value);
    num(n, ent->value);
    add(v, SEV_ERROR, "E_EMPLOYEES_PER_ENTERPRISE", INDICATORS[IND_EMPLOYMENT].field, e,
        "平均每户企业就业人数 (%s 人 / %s 户) 应在 %" PRId64 " 到 %" PRId64 " 之间",
        "employment per enterprise (%s persons / %s enterprises) must be between %" PRId64
        " and %" PRId64,
        e, n, lim->min_employees_per_enterprise, lim->max_employees_per_enterprise);
}

static void check_zero_enterprises(vctx *v, const indicator in[IND__COUNT])
{
    const indicator *ent = &in[IND_ENTERPRISES], *rev = &in[IND_REVENUE];
    char r[NUM_CAP];
    if (ent->present && ent->value == 0 && usable(rev) && rev->value > 0)
        add(v, SEV_WARNING, "W_ZERO_ENTERPRISES", INDICATORS[IND_ENTERPRISES].field, "0",
            "入驻企业数为 0, 但营业收入为 %s 分", "enterprises is 0 but revenue is %s fen",
            num(r, rev->value));
}

/* Identity of the report: ids, period, revision and free text. *cluster_ok
 * and *period_ok say whether the view may be asked about them. */
static void check_identity(vctx *v, const Jiju__V1__Report *r, int64_t now_ms, int *cluster_ok,
                           period *per, int *period_ok)
{
    check_id(v, "report.report_id", r->report_id, INGEST_MAX_REPORT_ID);
    *cluster_ok = check_id(v, "report.cluster_id", r->cluster_id, INGEST_MAX_CLUSTER_ID);
    *period_ok = check_period(v, "report.period", r->period, per);
    if (*period_ok && now_ms < tz_period_start_ms(per)) { /* the jurisdiction's calendar */
        char now[TZ_TEXT_CAP];
        tz_format_ms(now_ms, now, sizeof now);
        add(v, SEV_ERROR, "E_PERIOD_FUTURE", "report.period", r->period,
            "报告期 %s 尚未开始 (当前时间 %s)", "period %s has not started yet (now %s)", r->period,
            now);
    }
    if (r->revision < 1)
        add(v, SEV_ERROR, "E_REQUIRED", "report.revision", "0",
            "修订号 report.revision 必须至少为 1, 实际为 0",
            "report.revision must be at least 1, got 0");
    check_text(v, "report.submitted_by", r->submitted_by, INGEST_MAX_SUBMITTED_BY, 0);
    check_text(v, "report.note", r->note, INGEST_MAX_NOTE, 0);
}

/* Closing a period twice is refused, saying so: the first close froze the
 * ranking and the targets, a second would only log a command that does
 * nothing. */
static void check_already_closed(vctx *v, const char *period_text)
{
    if (!v->view || !v->view->period_closed || v->err)
        return;
    if (v->view->period_closed(v->view->arg, period_text) == 1)
        add(v, SEV_ERROR, "E_PERIOD_CLOSED", "command.close_period.period", period_text,
            "报告期 %s 已经关闭", "period %s was already closed", period_text);
}

static void check_period_closed(vctx *v, const char *period_text)
{
    if (!v->view || !v->view->period_closed || v->err)
        return;
    if (v->view->period_closed(v->view->arg, period_text) == 1)
        add(v, SEV_ERROR, "E_PERIOD_CLOSED", "report.period", period_text,
            "报告期 %s 已关闭, 不再接受报告", "period %s is closed and accepts no more reports",
            period_text);
}

static void check_revision(vctx *v, const Jiju__V1__Report *r)
{
    if (!v->view || !v->view->last_revision || v->err || r->revision < 1)
        return;
    uint32_t last = v->view->last_revision(v->view->arg, r->cluster_id, r->period);
    char n[NUM_CAP];
    if (r->revision <= last)
        add(v, SEV_ERROR, "E_REVISION_NOT_HIGHER", "report.revision", num(n, r->revision),
            "修订号 %s 必须高于已接受的修订号 %" PRIu32 " (%s, %s)",
            "revision %s must be higher than the accepted revision %" PRIu32 " (%s, %s)", n, last,
            r->cluster_id, r->period);
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
static void check_revenue_change(vctx *v, const Jiju__V1__Report *r, const period *per,
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
    num(a, rev->value);
    num(b, before);
    change_pct(pct, rev->value, before);
    if (now100 > (__int128)before * (100 + lim->revenue_jump_warn_pct))
        add(v, SEV_WARNING, "W_REVENUE_JUMP", "report.revenue_fen", a,
            "营业收入 %s 分比上期 %s 的 %s 分增长 %s%%, 超过 %" PRId64 "%%",
            "revenue %s fen is up on %s (%s fen) by %s%%, more than %" PRId64 "%%", a, pt, b, pct,
            lim->revenue_jump_warn_pct);
    else if (now100 < (__int128)before * (100 - lim->revenue_drop_warn_pct))
        add(v, SEV_WARNING, "W_REVENUE_DROP", "report.revenue_fen", a,
            "营业收入 %s 分比上期 %s 的 %s 分下降 %s%%, 超过 %" PRId64 "%%",
            "revenue %s fen is down on %s (%s fen) by %s%%, more than %" PRId64 "%%", a, pt, b, pct,
            lim->revenue_drop_warn_pct);
}

int ingest_validate_report(const Jiju__V1__Report *r, const ingest_view *view,
                           const ingest_limits *lim, int64_t now_ms, problem_list *p)
{
    if (!r || !p)
        return JIJU_ERR_INVALID;
    ingest_limits defaults = ingest_limits_default();
    vctx v = {p, view, JIJU_OK};
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
        require_active(&v, "report.cluster_id", r->cluster_id);
    if (period_ok)
        check_period_closed(&v, r->period);
    if (cluster_ok && period_ok) {
        check_revision(&v, r);
        check_revenue_change(&v, r, &per, &in[IND_REVENUE], lim);
    }
    return finish(&v, errors_before);
}

/* ---- commands --------------------------------------------------------- */

static const char *const KNOWN_INDICATORS[] = {
    "enterprises", "investment", "output_value", "revenue",
    "tax",         "employment", "contribution", "growth",
};
#define N_KNOWN_INDICATORS (sizeof KNOWN_INDICATORS / sizeof *KNOWN_INDICATORS)

static const char *const NORMALISATIONS[] = {"min_max", "z_score", "target"};

static void check_enum(vctx *v, const char *field, int value, int lo, int hi, int required)
{
    char n[NUM_CAP];
    num(n, value);
    if (value == 0 && required)
        add(v, SEV_ERROR, "E_REQUIRED", field, n, "必须指定 %s (不能为 0/UNSPECIFIED)",
            "%s is required (0/UNSPECIFIED is not a value)", field);
    else if (value < lo || value > hi)
        add(v, SEV_ERROR, "E_BAD_ENUM", field, n, "%s 的取值 %s 不在 %d..%d 之中",
            "%s value %s is not one of %d..%d", field, n, lo, hi);
}

static void check_industries(vctx *v, const char *prefix, const Jiju__V1__Cluster *c)
{
    char f[FIELD_CAP], n[NUM_CAP];
    path(f, prefix, "leading_industries");
    if (c->n_leading_industries < 1 || c->n_leading_industries > INGEST_MAX_INDUSTRIES)
        add(v, SEV_ERROR, "E_LEADING_INDUSTRIES", f, num(n, (int64_t)c->n_leading_industries),
            "主导产业应为 1 到 %d 个, 实际 %s 个",
            "there must be 1 to %d leading industries, got %s", INGEST_MAX_INDUSTRIES, n);
    for (size_t i = 0; i < c->n_leading_industries && i < INGEST_MAX_INDUSTRIES; i++) {
        const char *s = c->leading_industries[i];
        size_t chars = 0;
        snprintf(f, sizeof f, "%sleading_industries[%zu]", prefix, i);
        int rc = *s ? utf8_chars(s, strlen(s), &chars) : JIJU_OK;
        if (rc == JIJU_ERR_INVALID) {
            check_text(v, f, s, INGEST_MAX_INDUSTRY, 1); /* reports E_UTF8 */
            continue;
        }
        if (rc != JIJU_OK) {
            v->err = rc;
            return;
        }
        if (!*s || chars > INGEST_MAX_INDUSTRY)
            add(v, SEV_ERROR, "E_LEADING_INDUSTRIES", f, num(n, (int64_t)chars),
                "每个主导产业名称应为 1 到 %d 个字符, 实际 %s 个",
                "each leading industry must be 1 to %d characters, got %s", INGEST_MAX_INDUSTRY, n);
    }
}

/* The descriptive fields of a cluster; 1 if its id may be looked up. */
static int check_cluster_fields(vctx *v, const char *prefix, const Jiju__V1__Cluster *c)
{
    char f[FIELD_CAP];
    int id_ok = check_id(v, path(f, prefix, "id"), c->id, INGEST_MAX_CLUSTER_ID);
    check_text(v, path(f, prefix, "name"), c->name, INGEST_MAX_CLUSTER_NAME, 1);
    check_enum(v, path(f, prefix, "category"), (int)c->category, JIJU__V1__CATEGORY__LOGISTICS,
               JIJU__V1__CATEGORY__PRODUCTIVE_SERVICES, 1);
    check_text(v, path(f, prefix, "county"), c->county, INGEST_MAX_COUNTY, 1);
    check_enum(v, path(f, prefix, "level"), (int)c->level, JIJU__V1__LEVEL__LEVEL_UNSPECIFIED,
               JIJU__V1__LEVEL__PROVINCIAL, 0);
    check_industries(v, prefix, c);
    check_text(v, path(f, prefix, "management_org"), c->management_org, INGEST_MAX_MANAGEMENT_ORG,
               0);
    return id_ok;
}

static void check_register(vctx *v, const Jiju__V1__RegisterCluster *b)
{
    const char *prefix = "command.register_cluster.cluster.";
    char f[FIELD_CAP];
    Jiju__V1__ClusterStatus st;
    if (!b->cluster) {
        add(v, SEV_ERROR, "E_REQUIRED", "command.register_cluster.cluster", "", "缺少集聚区信息",
            "command.register_cluster.cluster is required");
        return;
    }
    if (!check_cluster_fields(v, prefix, b->cluster) || lookup_cluster(v, b->cluster->id, &st) != 1)
        return;
    /* Registering again with identical fields is a no-op (commands.proto). */
    if (v->view->cluster_same && v->view->cluster_same(v->view->arg, b->cluster) == 1)
        return;
    add(v, SEV_ERROR, "E_CLUSTER_EXISTS", path(f, prefix, "id"), b->cluster->id,
        "集聚区 %s 已登记且信息不同, 请使用 UpdateCluster",
        "cluster %s is already registered with other fields; use UpdateCluster", b->cluster->id);
}

static void check_update(vctx *v, const Jiju__V1__UpdateCluster *b)
{
    const char *prefix = "command.update_cluster.cluster.";
    char f[FIELD_CAP];
    Jiju__V1__ClusterStatus st;
    if (!b->cluster) {
        add(v, SEV_ERROR, "E_REQUIRED", "command.update_cluster.cluster", "", "缺少集聚区信息",
            "command.update_cluster.cluster is required");
        return;
    }
    if (check_cluster_fields(v, prefix, b->cluster) && lookup_cluster(v, b->cluster->id, &st) == 0)
        unknown_cluster(v, path(f, prefix, "id"), b->cluster->id);
}

static void check_recognition(vctx *v, const Jiju__V1__RecordRecognition *b)
{
    const char *field = "command.record_recognition.cluster_id";
    if (check_id(v, field, b->cluster_id, INGEST_MAX_CLUSTER_ID))
        require_active(v, field, b->cluster_id);
    check_text(v, "command.record_recognition.document", b->document, INGEST_MAX_DOCUMENT, 0);
}

static void check_eliminate(vctx *v, const Jiju__V1__EliminateCluster *b)
{
    const char *field = "command.eliminate_cluster.cluster_id";
    Jiju__V1__ClusterStatus st;
    /* Eliminating an eliminated cluster again is harmless (idempotent). */
    if (check_id(v, field, b->cluster_id, INGEST_MAX_CLUSTER_ID) &&
        lookup_cluster(v, b->cluster_id, &st) == 0)
        unknown_cluster(v, field, b->cluster_id);
    check_text(v, "command.eliminate_cluster.reason", b->reason, INGEST_MAX_REASON, 0);
}

static int known_indicator(const char *name)
{
    for (size_t i = 0; i < N_KNOWN_INDICATORS; i++)
        if (strcmp(name, KNOWN_INDICATORS[i]) == 0)
            return 1;
    return 0;
}

static void check_weight(vctx *v, const Jiju__V1__SetIndicatorSystem *b, size_t i)
{
    char f[FIELD_CAP];
    const char *name = b->weights[i]->indicator;
    snprintf(f, sizeof f, "command.set_indicator_system.weights[%zu].indicator", i);
    if (check_text(v, f, name, SIZE_MAX, 1) != TEXT_OK)
        return;
    if (!known_indicator(name)) {
        add(v, SEV_ERROR, "E_UNKNOWN_INDICATOR", f, name,
            "未知指标 %s (可用: enterprises, investment, output_value, revenue, tax, "
            "employment, contribution, growth)",
            "unknown indicator %s (known: enterprises, investment, output_value, revenue, "
            "tax, employment, contribution, growth)",
            name);
        return;
    }
    for (size_t j = 0; j < i; j++)
        if (strcmp(b->weights[j]->indicator, name) == 0) {
            add(v, SEV_ERROR, "E_DUPLICATE_INDICATOR", f, name, "指标 %s 重复出现",
                "indicator %s appears more than once", name);
            return;
        }
}

static void check_indicator_system(vctx *v, const Jiju__V1__SetIndicatorSystem *b)
{
    const char *nf = "command.set_indicator_system.normalisation";
    uint64_t sum = 0;
    char n[NUM_CAP];
    for (size_t i = 0; i < b->n_weights; i++) {
        check_weight(v, b, i);
        sum += b->weights[i]->weight;
    }
    snprintf(n, sizeof n, "%" PRIu64, sum);
    if (sum != 100)
        add(v, SEV_ERROR, "E_WEIGHTS_SUM", "command.set_indicator_system.weights", n,
            "指标权重之和必须为 100, 实际为 %s", "indicator weights must sum to 100, got %s", n);
    if (check_text(v, nf, b->normalisation, SIZE_MAX, 0) != TEXT_OK)
        return; /* empty means min_max; bad UTF-8 already reported */
    for (size_t i = 0; i < sizeof NORMALISATIONS / sizeof *NORMALISATIONS; i++)
        if (strcmp(b->normalisation, NORMALISATIONS[i]) == 0)
            return;
    add(v, SEV_ERROR, "E_BAD_NORMALISATION", nf, b->normalisation,
        "标准化方法 %s 无效 (可用: min_max, z_score, target)",
        "normalisation %s is not one of min_max, z_score, target", b->normalisation);
}

static void empty_request(vctx *v, const char *field)
{
    add(v, SEV_ERROR, "E_EMPTY_REQUEST", field, "", "请求为空: %s 未设置",
        "empty request: %s is not set", field);
}

int ingest_validate_command(const Jiju__V1__Command *c, const ingest_view *view, problem_list *p)
{
    if (!p)
        return JIJU_ERR_INVALID;
    vctx v = {p, view, JIJU_OK};
    size_t errors_before = problem_list_count_errors(p);
    period per;
    /* Every member of the oneof is a message pointer in one union; a case
     * set with a NULL pointer (hand-built messages only) is an empty body. */
    int kind = c && c->register_cluster ? (int)c->kind_case : JIJU__V1__COMMAND__KIND__NOT_SET;
    switch (kind) {
    case JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER:
        check_register(&v, c->register_cluster);
        break;
    case JIJU__V1__COMMAND__KIND_UPDATE_CLUSTER:
        check_update(&v, c->update_cluster);
        break;
    case JIJU__V1__COMMAND__KIND_OPEN_PERIOD:
        check_period(&v, "command.open_period.period", c->open_period->period, &per);
        break;
    case JIJU__V1__COMMAND__KIND_CLOSE_PERIOD:
        if (check_period(&v, "command.close_period.period", c->close_period->period, &per))
            check_already_closed(&v, c->close_period->period);
        break;
    case JIJU__V1__COMMAND__KIND_RECORD_RECOGNITION:
        check_recognition(&v, c->record_recognition);
        break;
    case JIJU__V1__COMMAND__KIND_ELIMINATE_CLUSTER:
        check_eliminate(&v, c->eliminate_cluster);
        break;
    case JIJU__V1__COMMAND__KIND_SET_INDICATOR_SYSTEM:
        check_indicator_system(&v, c->set_indicator_system);
        break;
    default:
        empty_request(&v, "command.kind");
        break;
    }
    return finish(&v, errors_before);
}

/* ---- decoding --------------------------------------------------------- */

/* Does req decode again once packed? protobuf-c keeps fields it does not
 * know and writes them back when ingest re-packs the request for its log,
 * and a few (field number 0 spelt as a two-byte varint) it reads but then
 * writes in a form it refuses: such a request, accepted, would be a record
 * no consumer of the log can decode. Found by tests/fuzz/fuzz_ingest_submit.c.
 * JIJU_OK, JIJU_ERR_CORRUPT, or JIJU_ERR_NOMEM. */
static int repacks(const Jiju__V1__SubmitRequest *req)
{
    Jiju__V1__SubmitRequest *again;
    uint8_t *buf;
    size_t len;

    if (pb_pack(&req->base, &buf, &len) != JIJU_OK)
        return JIJU_ERR_NOMEM;
    again = jiju__v1__submit_request__unpack(NULL, len, buf);
    free(buf);
    if (!again)
        return JIJU_ERR_CORRUPT;
    jiju__v1__submit_request__free_unpacked(again, NULL);
    return JIJU_OK;
}

/* Unpack and check the envelope of a request; NULL when undecodable. */
static Jiju__V1__SubmitRequest *decode(vctx *v, const uint8_t *bytes, size_t len,
                                       const ingest_limits *lim)
{
    char n[NUM_CAP];
    num(n, (int64_t)len);
    if (len > lim->max_message_bytes) {
        add(v, SEV_ERROR, "E_TOO_LARGE", "request", n, "请求大小 %s 字节, 超过上限 %zu 字节",
            "request is %s bytes, more than the limit of %zu", n, lim->max_message_bytes);
        return NULL;
    }
    /* protobuf-c decodes zero bytes as an all-default message; no client
     * sends that on purpose. */
    Jiju__V1__SubmitRequest *req =
        len && bytes ? jiju__v1__submit_request__unpack(NULL, len, bytes) : NULL;
    if (!req) {
        add(v, SEV_ERROR, "E_MALFORMED", "request", n,
            "%s 字节不是有效的 jiju.v1.SubmitRequest 消息",
            "%s bytes are not a valid jiju.v1.SubmitRequest", n);
        return NULL;
    }
    /* only unknown fields can fail to decode once re-packed: most requests
     * have none and skip the encode and decode */
    int rc = pb_has_unknown_fields(&req->base) ? repacks(req) : JIJU_OK;
    if (rc != JIJU_OK) {
        if (rc == JIJU_ERR_NOMEM)
            v->err = JIJU_ERR_NOMEM;
        else
            add(v, SEV_ERROR, "E_MALFORMED", "request", n,
                "%s 字节可以解码, 但重新编码后无法再解码 (含非规范编码的未知字段)",
                "%s bytes decode, but not once encoded again (an unknown field in a "
                "non-canonical encoding)",
                n);
        jiju__v1__submit_request__free_unpacked(req, NULL);
        return NULL;
    }
    check_request_id(v, req->request_id);
    if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY__NOT_SET ||
        (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT && !req->report) ||
        (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND && !req->command))
        empty_request(v, "request.body");
    return req;
}

int ingest_decode(const uint8_t *bytes, size_t len, const ingest_limits *lim,
                  Jiju__V1__SubmitRequest **out, problem_list *p)
{
    if (!out || !p)
        return JIJU_ERR_INVALID;
    ingest_limits defaults = ingest_limits_default();
    vctx v = {p, NULL, JIJU_OK};
    size_t errors_before = problem_list_count_errors(p);
    *out = NULL;
    Jiju__V1__SubmitRequest *req = decode(&v, bytes, len, lim ? lim : &defaults);
    int rc = finish(&v, errors_before);
    if (req && rc == JIJU_ERR_NOMEM)
        jiju__v1__submit_request__free_unpacked(req, NULL);
    else
        *out = req;
    return rc;
}
