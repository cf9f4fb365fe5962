/* ingest_validate.c - the checks every kind of request shares, and the
 * limits. The codes, fields and rules are the table in docs/errors.md:
 * change both. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ingest_validate_int.h"
#include "utf8.h"

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

void ingest_vadd(ingest_vctx *v, Jiju__V1__Severity sev, const char *code, const char *field,
                 const char *value, const char *zh, const char *en, ...)
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

const char *ingest_vnum(char buf[NUM_CAP], int64_t x)
{
    snprintf(buf, NUM_CAP, "%" PRId64, x);
    return buf;
}

const char *ingest_vpath(char buf[FIELD_CAP], const char *prefix, const char *leaf)
{
    snprintf(buf, FIELD_CAP, "%s%s", prefix, leaf);
    return buf;
}

/* Presence, UTF-8 and length of one string field (length in characters;
 * for length rules the value reported is the length). TEXT_UNUSABLE when
 * missing or not UTF-8: no further rule can be checked on it. */
ingest_text_state ingest_check_text(ingest_vctx *v, const char *field, const char *s, size_t max,
                                    int required)
{
    char n[NUM_CAP];
    size_t chars = 0;
    if (!s || !*s) {
        if (required)
            ingest_vadd(v, SEV_ERROR, "E_REQUIRED", field, "", "缺少必填字段 %s", "%s is required",
                        field);
        return TEXT_UNUSABLE;
    }
    int rc = utf8_chars(s, strlen(s), &chars);
    if (rc == JIJU_ERR_INVALID) {
        ingest_vadd(v, SEV_ERROR, "E_UTF8", field, s, "%s 不是有效的 UTF-8 文本: %s",
                    "%s is not valid UTF-8: %s", field, s);
        return TEXT_UNUSABLE;
    }
    if (rc != JIJU_OK) {
        v->err = rc;
        return TEXT_UNUSABLE;
    }
    if (chars > max) {
        ingest_vnum(n, (int64_t)chars);
        ingest_vadd(v, SEV_ERROR, "E_TOO_LONG", field, n, "%s 最多 %zu 个字符, 实际 %s 个",
                    "%s must be at most %zu characters, got %s", field, max, n);
        return TEXT_LONG;
    }
    return TEXT_OK;
}

/* A required identifier: printable ASCII, no spaces. 1 if it can be looked
 * up (present, well-formed, not too long), 0 otherwise. */
int ingest_check_id(ingest_vctx *v, const char *field, const char *s, size_t max)
{
    ingest_text_state st = ingest_check_text(v, field, s, max, 1);
    if (st == TEXT_UNUSABLE)
        return 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x21 || *c > 0x7e) {
            ingest_vadd(v, SEV_ERROR, "E_BAD_ID", field, s,
                        "%s 只能由可打印 ASCII 字符组成且不含空格: %s",
                        "%s must be printable ASCII without spaces: %s", field, s);
            return 0;
        }
    }
    return st == TEXT_OK;
}

/* A required period string; 1 and *out when it parses. */
int ingest_check_period(ingest_vctx *v, const char *field, const char *s, period *out)
{
    if (ingest_check_text(v, field, s, SIZE_MAX, 1) == TEXT_UNUSABLE)
        return 0;
    if (period_parse(s, out) != JIJU_OK) {
        ingest_vadd(v, SEV_ERROR, "E_PERIOD_SYNTAX", field, s,
                    "%s 应为 2023、2023Q1..2023Q4 或 2023-01..2023-12 (2000-2999 年), 实际为 %s",
                    "%s must be 2023, 2023Q1..2023Q4 or 2023-01..2023-12 (years 2000-2999), got %s",
                    field, s);
        return 0;
    }
    return 1;
}

/* Status of a cluster from the view: 1 and *st if registered, 0 if not
 * registered, -1 if unknown (no view) or the view failed (v->err set). */
int ingest_lookup_cluster(ingest_vctx *v, const char *id, Jiju__V1__ClusterStatus *st)
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

void ingest_unknown_cluster(ingest_vctx *v, const char *field, const char *id)
{
    ingest_vadd(v, SEV_ERROR, "E_UNKNOWN_CLUSTER", field, id, "集聚区 %s 未登记",
                "cluster %s is not registered", id);
}

void ingest_eliminated_cluster(ingest_vctx *v, const char *field, const char *id)
{
    ingest_vadd(v, SEV_ERROR, "E_CLUSTER_ELIMINATED", field, id, "集聚区 %s 已被淘汰, 不再接受",
                "cluster %s has been eliminated and is no longer accepted", id);
}

/* A registered, active cluster is required (reports, recognitions). */
void ingest_require_active(ingest_vctx *v, const char *field, const char *id)
{
    Jiju__V1__ClusterStatus st = JIJU__V1__CLUSTER_STATUS__CLUSTER_STATUS_UNSPECIFIED;
    int found = ingest_lookup_cluster(v, id, &st);
    if (found == 0)
        ingest_unknown_cluster(v, field, id);
    else if (found == 1 && st == JIJU__V1__CLUSTER_STATUS__ELIMINATED)
        ingest_eliminated_cluster(v, field, id);
}

int ingest_vfinish(ingest_vctx *v, size_t errors_before)
{
    if (v->err)
        return v->err;
    return problem_list_count_errors(v->p) > errors_before ? JIJU_ERR_REJECTED : JIJU_OK;
}

void ingest_empty_request(ingest_vctx *v, const char *field)
{
    ingest_vadd(v, SEV_ERROR, "E_EMPTY_REQUEST", field, "", "请求为空: %s 未设置",
                "empty request: %s is not set", field);
}
