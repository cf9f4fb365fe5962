/* ingest_validate.h - everything ingest checks before it accepts a report or
 * a command. Pure functions: no I/O, no logging, no clock; the registry and
 * the accepted-report index are reached through an ingest_view.
 *
 * Every finding goes into a problem_list with a stable code (docs/errors.md),
 * the field path, the offending value as text and a message in Chinese and
 * English. Validation never stops at the first problem: one call reports all.
 *
 * Order of use in ingest: ingest_decode, then the DUPLICATE/CONFLICT check by
 * report_id, then ingest_validate_report or ingest_validate_command. (A
 * resubmission of an accepted report would otherwise meet
 * E_REVISION_NOT_HIGHER.)
 *
 * UTF-8: protobuf-c 1.4.1 does NOT check UTF-8 when it unpacks proto3 string
 * fields (tested in tests/unit/test_ingest_validate.c), so the validators
 * check every string themselves and report E_UTF8 with the exact field.
 * protobuf-c also cuts a C string at an embedded NUL byte: what is validated
 * is the string up to the NUL, so ingest must log the message it re-packs
 * from the decoded structure, never the raw bytes it received. */
#ifndef JIJU_INGEST_VALIDATE_H
#define JIJU_INGEST_VALIDATE_H

#include "replier.h"
#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/submit.pb-c.h"
#include "problem.h"

typedef struct ingest_limits {
    size_t max_message_bytes;             /* larger requests: E_TOO_LARGE */
    int64_t min_employees_per_enterprise; /* employment/enterprises below: error */
    int64_t max_employees_per_enterprise; /* ... above: error */
    int64_t revenue_jump_warn_pct;        /* W_REVENUE_JUMP above +this % */
    int64_t revenue_drop_warn_pct;        /* W_REVENUE_DROP below -this % */
} ingest_limits;

/* 65536 bytes, 0..10000 employees per enterprise, +300 %, -80 %. */
ingest_limits ingest_limits_default(void);

/* Read-only questions validation asks of ingest's registry replica and its
 * accepted-report index. A NULL view or a NULL member means "unknown": that
 * check is skipped. A member that answers with any other error than those
 * listed makes the validator stop and return that error. */
typedef struct ingest_view {
    void *arg;
    /* Status of a registered cluster: JIJU_OK, or JIJU_ERR_NOT_FOUND. */
    int (*cluster_status)(void *arg, const char *cluster_id, Jiju__V1__ClusterStatus *out);
    /* 1 if cluster c is registered with exactly the descriptive fields of c
     * (so registering it again is a no-op), 0 otherwise. */
    int (*cluster_same)(void *arg, const Jiju__V1__Cluster *c);
    /* 1 if the period (canonical text) is closed, 0 if not. */
    int (*period_closed)(void *arg, const char *period);
    /* Highest accepted revision for (cluster, period); 0 if none. */
    uint32_t (*last_revision)(void *arg, const char *cluster_id, const char *period);
    /* Accepted revenue_fen of the cluster for exactly this period (the
     * validator passes the period BEFORE the report's, from
     * period_previous): JIJU_OK and *fen, or JIJU_ERR_NOT_FOUND. */
    int (*previous_revenue)(void *arg, const char *cluster_id, const char *period, int64_t *fen);
} ingest_view;

/* Decode one request frame. On JIJU_OK *out is a request with a body and no
 * problem was added. On JIJU_ERR_REJECTED problems were added (E_TOO_LARGE,
 * E_MALFORMED, E_EMPTY_REQUEST, or E_UTF8/E_TOO_LONG on request_id); *out is
 * still set when the bytes decoded, so the reply can echo request_id, and is
 * NULL otherwise. JIJU_ERR_NOMEM: *out is NULL. lim may be NULL (defaults).
 * Caller owns *out: jiju__v1__submit_request__free_unpacked(*out, NULL). */
int ingest_decode(const uint8_t *bytes, size_t len, const ingest_limits *lim,
                  Jiju__V1__SubmitRequest **out, problem_list *p);

/* Check a report against every rule (docs/errors.md). now_ms is the time of
 * receipt: a period that starts after now_ms is E_PERIOD_FUTURE, a period in
 * progress (start <= now_ms) is accepted so that preliminary figures can be
 * filed and corrected later with a higher revision. Returns JIJU_OK when no
 * ERROR was added (warnings may have been), JIJU_ERR_REJECTED when at least
 * one was, JIJU_ERR_NOMEM, or the error of a view member. */
int ingest_validate_report(const Jiju__V1__Report *r, const ingest_view *view,
                           const ingest_limits *lim, int64_t now_ms, problem_list *p);

/* Check an administrative command. Same return values. */
int ingest_validate_command(const Jiju__V1__Command *c, const ingest_view *view, problem_list *p);

/* Limits on strings, in characters (code points), shared with docs/errors.md. */
#define INGEST_MAX_REQUEST_ID REPLIER_REQUEST_ID_MAX /* bytes, as every reply echoes it */
#define INGEST_MAX_REPORT_ID 64
#define INGEST_MAX_CLUSTER_ID 32
#define INGEST_MAX_SUBMITTED_BY 64
#define INGEST_MAX_NOTE 512
#define INGEST_MAX_CLUSTER_NAME 64
#define INGEST_MAX_COUNTY 32
#define INGEST_MAX_MANAGEMENT_ORG 128
#define INGEST_MAX_INDUSTRY 32
#define INGEST_MAX_INDUSTRIES 3
#define INGEST_MAX_DOCUMENT 256
#define INGEST_MAX_REASON 512

#endif
