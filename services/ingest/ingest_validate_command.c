/* ingest_validate_command.c - the checks on a command (register, update,
 * recognition, elimination, indicator system). Codes: docs/errors.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ingest_validate_int.h"
#include "utf8.h"

static const char *const KNOWN_INDICATORS[] = {
    "enterprises", "investment", "output_value", "revenue",
    "tax",         "employment", "contribution", "growth",
};
#define N_KNOWN_INDICATORS (sizeof KNOWN_INDICATORS / sizeof *KNOWN_INDICATORS)

static const char *const NORMALISATIONS[] = {"min_max", "z_score", "target"};

static void check_enum(ingest_vctx *v, const char *field, int value, int lo, int hi, int required)
{
    char n[NUM_CAP];
    ingest_vnum(n, value);
    if (value == 0 && required)
        ingest_vadd(v, SEV_ERROR, "E_REQUIRED", field, n, "必须指定 %s (不能为 0/UNSPECIFIED)",
                    "%s is required (0/UNSPECIFIED is not a value)", field);
    else if (value < lo || value > hi)
        ingest_vadd(v, SEV_ERROR, "E_BAD_ENUM", field, n, "%s 的取值 %s 不在 %d..%d 之中",
                    "%s value %s is not one of %d..%d", field, n, lo, hi);
}

static void check_industries(ingest_vctx *v, const char *prefix, const Jiju__V1__Cluster *c)
{
    char f[FIELD_CAP], n[NUM_CAP];
    ingest_vpath(f, prefix, "leading_industries");
    if (c->n_leading_industries < 1 || c->n_leading_industries > INGEST_MAX_INDUSTRIES)
        ingest_vadd(v, SEV_ERROR, "E_LEADING_INDUSTRIES", f,
                    ingest_vnum(n, (int64_t)c->n_leading_industries),
                    "主导产业应为 1 到 %d 个, 实际 %s 个",
                    "there must be 1 to %d leading industries, got %s", INGEST_MAX_INDUSTRIES, n);
    for (size_t i = 0; i < c->n_leading_industries && i < INGEST_MAX_INDUSTRIES; i++) {
        const char *s = c->leading_industries[i];
        size_t chars = 0;
        snprintf(f, sizeof f, "%sleading_industries[%zu]", prefix, i);
        int rc = *s ? utf8_chars(s, strlen(s), &chars) : JIJU_OK;
        if (rc == JIJU_ERR_INVALID) {
            ingest_check_text(v, f, s, INGEST_MAX_INDUSTRY, 1); /* reports E_UTF8 */
            continue;
        }
        if (rc != JIJU_OK) {
            v->err = rc;
            return;
        }
        if (!*s || chars > INGEST_MAX_INDUSTRY)
            ingest_vadd(v, SEV_ERROR, "E_LEADING_INDUSTRIES", f, ingest_vnum(n, (int64_t)chars),
                        "每个主导产业名称应为 1 到 %d 个字符, 实际 %s 个",
                        "each leading industry must be 1 to %d characters, got %s",
                        INGEST_MAX_INDUSTRY, n);
    }
}

/* The descriptive fields of a cluster; 1 if its id may be looked up. */
static int check_cluster_fields(ingest_vctx *v, const char *prefix, const Jiju__V1__Cluster *c)
{
    char f[FIELD_CAP];
    int id_ok = ingest_check_id(v, ingest_vpath(f, prefix, "id"), c->id, INGEST_MAX_CLUSTER_ID);
    ingest_check_text(v, ingest_vpath(f, prefix, "name"), c->name, INGEST_MAX_CLUSTER_NAME, 1);
    check_enum(v, ingest_vpath(f, prefix, "category"), (int)c->category,
               JIJU__V1__CATEGORY__LOGISTICS, JIJU__V1__CATEGORY__PRODUCTIVE_SERVICES, 1);
    ingest_check_text(v, ingest_vpath(f, prefix, "county"), c->county, INGEST_MAX_COUNTY, 1);
    check_enum(v, ingest_vpath(f, prefix, "level"), (int)c->level,
               JIJU__V1__LEVEL__LEVEL_UNSPECIFIED, JIJU__V1__LEVEL__PROVINCIAL, 0);
    check_industries(v, prefix, c);
    ingest_check_text(v, ingest_vpath(f, prefix, "management_org"), c->management_org,
                      INGEST_MAX_MANAGEMENT_ORG, 0);
    return id_ok;
}

static void check_register(ingest_vctx *v, const Jiju__V1__RegisterCluster *b)
{
    const char *prefix = "command.register_cluster.cluster.";
    char f[FIELD_CAP];
    Jiju__V1__ClusterStatus st;
    if (!b->cluster) {
        ingest_vadd(v, SEV_ERROR, "E_REQUIRED", "command.register_cluster.cluster", "",
                    "缺少集聚区信息", "command.register_cluster.cluster is required");
        return;
    }
    if (!check_cluster_fields(v, prefix, b->cluster) ||
        ingest_lookup_cluster(v, b->cluster->id, &st) != 1)
        return;
    /* Registering again with identical fields is a no-op (commands.proto). */
    if (v->view->cluster_same && v->view->cluster_same(v->view->arg, b->cluster) == 1)
        return;
    ingest_vadd(v, SEV_ERROR, "E_CLUSTER_EXISTS", ingest_vpath(f, prefix, "id"), b->cluster->id,
                "集聚区 %s 已登记且信息不同, 请使用 UpdateCluster",
                "cluster %s is already registered with other fields; use UpdateCluster",
                b->cluster->id);
}

static void check_update(ingest_vctx *v, const Jiju__V1__UpdateCluster *b)
{
    const char *prefix = "command.update_cluster.cluster.";
    char f[FIELD_CAP];
    Jiju__V1__ClusterStatus st;
    if (!b->cluster) {
        ingest_vadd(v, SEV_ERROR, "E_REQUIRED", "command.update_cluster.cluster", "",
                    "缺少集聚区信息", "command.update_cluster.cluster is required");
        return;
    }
    if (check_cluster_fields(v, prefix, b->cluster) &&
        ingest_lookup_cluster(v, b->cluster->id, &st) == 0)
        ingest_unknown_cluster(v, ingest_vpath(f, prefix, "id"), b->cluster->id);
}

static void check_recognition(ingest_vctx *v, const Jiju__V1__RecordRecognition *b)
{
    const char *field = "command.record_recognition.cluster_id";
    if (ingest_check_id(v, field, b->cluster_id, INGEST_MAX_CLUSTER_ID))
        ingest_require_active(v, field, b->cluster_id);
    ingest_check_text(v, "command.record_recognition.document", b->document, INGEST_MAX_DOCUMENT,
                      0);
}

static void check_eliminate(ingest_vctx *v, const Jiju__V1__EliminateCluster *b)
{
    const char *field = "command.eliminate_cluster.cluster_id";
    Jiju__V1__ClusterStatus st;
    /* Eliminating an eliminated cluster again is harmless (idempotent). */
    if (ingest_check_id(v, field, b->cluster_id, INGEST_MAX_CLUSTER_ID) &&
        ingest_lookup_cluster(v, b->cluster_id, &st) == 0)
        ingest_unknown_cluster(v, field, b->cluster_id);
    ingest_check_text(v, "command.eliminate_cluster.reason", b->reason, INGEST_MAX_REASON, 0);
}

static int known_indicator(const char *name)
{
    for (size_t i = 0; i < N_KNOWN_INDICATORS; i++)
        if (strcmp(name, KNOWN_INDICATORS[i]) == 0)
            return 1;
    return 0;
}

static void check_weight(ingest_vctx *v, const Jiju__V1__SetIndicatorSystem *b, size_t i)
{
    char f[FIELD_CAP];
    const char *name = b->weights[i]->indicator;
    snprintf(f, sizeof f, "command.set_indicator_system.weights[%zu].indicator", i);
    if (ingest_check_text(v, f, name, SIZE_MAX, 1) != TEXT_OK)
        return;
    if (!known_indicator(name)) {
        ingest_vadd(v, SEV_ERROR, "E_UNKNOWN_INDICATOR", f, name,
                    "未知指标 %s (可用: enterprises, investment, output_value, revenue, tax, "
                    "employment, contribution, growth)",
                    "unknown indicator %s (known: enterprises, investment, output_value, revenue, "
                    "tax, employment, contribution, growth)",
                    name);
        return;
    }
    for (size_t j = 0; j < i; j++)
        if (strcmp(b->weights[j]->indicator, name) == 0) {
            ingest_vadd(v, SEV_ERROR, "E_DUPLICATE_INDICATOR", f, name, "指标 %s 重复出现",
                        "indicator %s appears more than once", name);
            return;
        }
}

static void check_indicator_system(ingest_vctx *v, const Jiju__V1__SetIndicatorSystem *b)
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
        ingest_vadd(v, SEV_ERROR, "E_WEIGHTS_SUM", "command.set_indicator_system.weights", n,
                    "指标权重之和必须为 100, 实际为 %s",
                    "indicator weights must sum to 100, got %s", n);
    if (ingest_check_text(v, nf, b->normalisation, SIZE_MAX, 0) != TEXT_OK)
        return; /* empty means min_max; bad UTF-8 already reported */
    for (size_t i = 0; i < sizeof NORMALISATIONS / sizeof *NORMALISATIONS; i++)
        if (strcmp(b->normalisation, NORMALISATIONS[i]) == 0)
            return;
    ingest_vadd(v, SEV_ERROR, "E_BAD_NORMALISATION", nf, b->normalisation,
                "标准化方法 %s 无效 (可用: min_max, z_score, target)",
                "normalisation %s is not one of min_max, z_score, target", b->normalisation);
}

/* Closing a period twice is refused, saying so: the first close froze the
 * ranking and the targets, a second would only log a command that does
 * nothing. */
static void check_already_closed(ingest_vctx *v, const char *period_text)
{
    if (!v->view || !v->view->period_closed || v->err)
        return;
    if (v->view->period_closed(v->view->arg, period_text) == 1)
        ingest_vadd(v, SEV_ERROR, "E_PERIOD_CLOSED", "command.close_period.period", period_text,
                    "报告期 %s 已经关闭", "period %s was already closed", period_text);
}

int ingest_validate_command(const Jiju__V1__Command *c, const ingest_view *view, problem_list *p)
{
    if (!p)
        return JIJU_ERR_INVALID;
    ingest_vctx v = {p, view, JIJU_OK};
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
        ingest_check_period(&v, "command.open_period.period", c->open_period->period, &per);
        break;
    case JIJU__V1__COMMAND__KIND_CLOSE_PERIOD:
        if (ingest_check_period(&v, "command.close_period.period", c->close_period->period, &per))
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
        ingest_empty_request(&v, "command.kind");
        break;
    }
    return ingest_vfinish(&v, errors_before);
}
