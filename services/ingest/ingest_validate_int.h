/* ingest_validate_int.h - what ingest's validator files share and nobody
 * else sees: one validation pass (ingest_vctx), how a finding is added, and
 * the checks every request kind uses (text, identifiers, periods, clusters).
 * The files: ingest_validate.c (these shared checks, the limits),
 * ingest_validate_report.c (reports), ingest_validate_command.c (commands),
 * ingest_validate_decode.c (decoding a SubmitRequest). */
#ifndef JIJU_INGEST_VALIDATE_INT_H
#define JIJU_INGEST_VALIDATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest_validate.h"
#include "period.h"

#define SEV_ERROR JIJU__V1__SEVERITY__ERROR
#define SEV_WARNING JIJU__V1__SEVERITY__WARNING

/* Field paths are short; the longest is
 * "command.set_indicator_system.weights[4294967295].indicator". */
#define FIELD_CAP 96
/* Decimal text of any int64 with its sign and NUL. */
#define NUM_CAP 24

/* One validation pass: where findings go and the first hard failure
 * (allocation, or a view member's error), after which nothing is added. */
typedef struct ingest_vctx {
    problem_list *p;
    const ingest_view *view;
    int err;
} ingest_vctx;

typedef enum { TEXT_OK, TEXT_LONG, TEXT_UNUSABLE } ingest_text_state;

__attribute__((format(printf, 6, 8), format(printf, 7, 8))) void
ingest_vadd(ingest_vctx *v, Jiju__V1__Severity sev, const char *code, const char *field,
            const char *value, const char *zh, const char *en, ...);
const char *ingest_vnum(char buf[NUM_CAP], int64_t x);
const char *ingest_vpath(char buf[FIELD_CAP], const char *prefix, const char *leaf);
ingest_text_state ingest_check_text(ingest_vctx *v, const char *field, const char *s, size_t max,
                                    int required);
int ingest_check_id(ingest_vctx *v, const char *field, const char *s, size_t max);
int ingest_check_period(ingest_vctx *v, const char *field, const char *s, period *out);
int ingest_lookup_cluster(ingest_vctx *v, const char *id, Jiju__V1__ClusterStatus *st);
void ingest_unknown_cluster(ingest_vctx *v, const char *field, const char *id);
void ingest_eliminated_cluster(ingest_vctx *v, const char *field, const char *id);
void ingest_require_active(ingest_vctx *v, const char *field, const char *id);
int ingest_vfinish(ingest_vctx *v, size_t errors_before);
void ingest_empty_request(ingest_vctx *v, const char *field);

#endif
