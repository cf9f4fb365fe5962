/* test_ingest_support.h - the fixture the ingest validation tests share: a
 * fake registry and report index behind an ingest_view, a valid report, and
 * assertions on the problem list. */
#ifndef JIJU_TEST_INGEST_SUPPORT_H
#define JIJU_TEST_INGEST_SUPPORT_H

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
#include "ingest_sample.h"

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

static inline int fake_status(void *arg, const char *id, Jiju__V1__ClusterStatus *out)
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

static inline int fake_same(void *arg, const Jiju__V1__Cluster *c)
{
    return ((fake *)arg)->same;
}

static inline int fake_closed(void *arg, const char *period)
{
    fake *f = arg;
    return f->closed_period && strcmp(f->closed_period, period) == 0;
}

static inline uint32_t fake_last(void *arg, const char *cluster_id, const char *period)
{
    return ((fake *)arg)->last_revision;
}

static inline int fake_previous(void *arg, const char *cluster_id, const char *period, int64_t *fen)
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

static inline int setup(void **state)
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

static inline int teardown(void **state)
{
    fixture *fx = *state;
    problem_list_free(&fx->p);
    assert_null(fx->p);
    free(fx);
    return 0;
}

static inline int run_report(fixture *fx)
{
    return ingest_validate_report(&fx->r, &fx->view, &fx->lim, NOW, fx->p);
}

/* Exactly one finding, with this severity, code, field and value; both
 * messages are non-empty and state the value. */
static inline void expect_only(fixture *fx, Jiju__V1__Severity sev, const char *code,
                               const char *field, const char *value)
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

static inline void expect_error(fixture *fx, int rc, const char *code, const char *field,
                                const char *value)
{
    assert_int_equal(rc, JIJU_ERR_REJECTED);
    expect_only(fx, JIJU__V1__SEVERITY__ERROR, code, field, value);
}

static inline void reset(fixture *fx)
{
    problem_list_free(&fx->p);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    valid_report(&fx->r);
}

/* ---- reports ---------------------------------------------------------- */

static inline char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)n] = '\0';
    return s;
}

#endif
