/* assess_config.h - assessment's settings: the indicator system, award
 * amounts within the policy's caps (seed 五.二), elimination and nomination
 * thresholds (seed 四.十), city targets (seed 一.二) and reporting deadlines
 * (seed 五.三). Defaults come from the seed; deploy/config/assessment.json
 * holds them for operators. A bad file is refused at start with file, key and
 * reason (cfg.h). */
#ifndef JIJU_ASSESS_CONFIG_H
#define JIJU_ASSESS_CONFIG_H

#include <stdint.h>

#include "cfg.h"
#include "service_settings.h"

/* Indicators of seed 四.十, in this fixed order everywhere. */
typedef enum {
    IND_ENTERPRISES = 0, /* 入驻企业 */
    IND_INVESTMENT,      /* 投入 */
    IND_OUTPUT_VALUE,    /* 产值 */
    IND_REVENUE,         /* 营业收入 */
    IND_TAX,             /* 税收 */
    IND_EMPLOYMENT,      /* 就业 */
    IND_CONTRIBUTION,    /* 对地方经济的贡献度: cluster revenue / city total */
    IND_GROWTH,          /* revenue growth on the previous period */
    IND__COUNT
} assess_indicator;

const char *assess_indicator_name(assess_indicator i); /* "enterprises", ... */
int assess_indicator_from_name(const char *name);      /* -1 if unknown */

typedef enum { NORM_MIN_MAX = 0, NORM_Z_SCORE, NORM_TARGET } assess_norm;
typedef enum { MISSING_ZERO = 0, MISSING_MIN, MISSING_MEAN, MISSING_PREVIOUS } assess_missing;

#define ASSESS_MAX_YEARS 16
#define ASSESS_YUAN_TOP_RANKED_CAP 500000      /* seed 五.二: 不超过50万元 */
#define ASSESS_YUAN_NEW_PROVINCIAL_CAP 1000000 /* seed 五.二: 不超过100万元 */

typedef struct assess_target {
    int year;
    int64_t clusters;
    int64_t revenue_fen;
    int64_t enterprises;
    int64_t employment;
} assess_target;

typedef struct assess_config {
    service_settings shared;   /* instance: producer id of assessment's event log */
    char stream_endpoint[128]; /* ROUTER: ingest pushes reports, consumers follow "events" */
    char query_endpoint[128];  /* ROUTER: QueryRequest/QueryReply */

    /* indicator system */
    int64_t weights[IND__COUNT];       /* percentage points, sum 100 */
    assess_norm normalisation;         /* "scoring.normalisation" */
    assess_missing missing;            /* "scoring.missing" */
    int64_t target_values[IND__COUNT]; /* for NORM_TARGET: value scoring 100% */

    /* awards (yuan in config, fen in events) */
    int64_t top_n;                  /* "awards.top_ranked.count", default 3 */
    int64_t top_amount_yuan[10];    /* by rank, each <= 500,000 */
    int64_t provincial_amount_yuan; /* <= 1,000,000 */

    /* elimination (seed 四.十) */
    int64_t min_enterprises;
    int64_t min_revenue_fen;
    int64_t min_employment;
    int64_t min_score_micros; /* score floor, 0 = none */
    int64_t eliminate_after;  /* consecutive unqualified periods, default 2 */

    /* nomination (seed 四.十) */
    int64_t nominate_enterprises;
    int64_t nominate_revenue_fen;
    int64_t nominate_employment;
    int64_t nominate_after; /* consecutive qualifying periods, default 2 */

    /* targets (seed 一.二) */
    assess_target targets[ASSESS_MAX_YEARS];
    int n_targets;

    /* overdue (seed 五.三) */
    int64_t deadline_days;            /* days after period end, default 15 */
    int64_t ranking_coalesce_ms;      /* RankingUpdated at most once per period per this */
    int64_t ranking_coalesce_reports; /* ... times 1 + reports / this: cost per second bounded */
    int64_t ranking_page_entries;     /* entries per RankingUpdated/RankingPublished event */
    int64_t ranking_tick_budget_us;   /* each part of a tick: the rest at the next tick */
    int64_t min_reported_pct;         /* share of the 6 reported indicators to be ranked */
} assess_config;

/* Load path (NULL: defaults) with --set overrides; refuse with err filled. */
int assess_config_load(const char *path, const char *const *overrides, size_t n_over,
                       assess_config *out, cfg_error *err);

/* The settings table, for --help and docs (n set to its length). */
const cfg_spec *assess_config_specs(size_t *n);

#endif
