/* assess_config.c - assessment's settings table (cfg.h), the whole-config
 * check that enforces the seed's caps (五.二), and indicator names.
 *
 * Operators write money in yuan; the struct holds fen where events carry
 * fen. The table therefore loads into a private wrapper that keeps the
 * operator's yuan and enum names, and the check converts them once the
 * whole file and every --set override have been applied. */
#include "assess_config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YUAN_MAX 1000000000000000LL /* 10^15 yuan: fen still fits int64 */
#define N_AMOUNTS (sizeof(((assess_config *)0)->top_amount_yuan) / sizeof(int64_t))

static const char *const indicator_names[IND__COUNT] = {
    [IND_ENTERPRISES] = "enterprises",
    [IND_INVESTMENT] = "investment",
    [IND_OUTPUT_VALUE] = "output_value",
    [IND_REVENUE] = "revenue",
    [IND_TAX] = "tax",
    [IND_EMPLOYMENT] = "employment",
    [IND_CONTRIBUTION] = "contribution",
    [IND_GROWTH] = "growth",
};

/* Whether each indicator is money (yuan in the file, fen in the struct). */
static const int indicator_is_money[IND__COUNT] = {
    [IND_INVESTMENT] = 1,
    [IND_OUTPUT_VALUE] = 1,
    [IND_REVENUE] = 1,
    [IND_TAX] = 1,
};

const char *assess_indicator_name(assess_indicator i)
{
    if ((int)i < 0 || i >= IND__COUNT)
        return "unknown";
    return indicator_names[i];
}

int assess_indicator_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < IND__COUNT; i++)
        if (strcmp(indicator_names[i], name) == 0)
            return i;
    return -1;
}

/* Defaults of the CFG_JSON settings, shared by the table and by the parse
 * callbacks (which cfg.h may hand NULL, meaning "the default"). */
static const char DEF_WEIGHTS[] =
    "{\"enterprises\":15,\"investment\":10,\"output_value\":15,\"revenue\":20,\"tax\":15,"
    "\"employment\":10,\"contribution\":10,\"growth\":5}";
static const char DEF_AMOUNTS[] = "[500000,300000,200000]";
static const char DEF_TARGETS[] =
    "{\"2022\":{\"clusters\":12,\"revenue_yuan\":5000000000,\"enterprises\":500,"
    "\"employment\":18000},"
    "\"2023\":{\"clusters\":13,\"revenue_yuan\":5500000000,\"enterprises\":550,"
    "\"employment\":20000},"
    "\"2024\":{\"clusters\":14,\"revenue_yuan\":6000000000,\"enterprises\":600,"
    "\"employment\":22000}}";

/* What the table loads into; assess_config_load copies .cfg out. */
typedef struct assess_config_raw {
    assess_config cfg;
    char normalisation[16];
    char missing[16];
    int64_t target_in[IND__COUNT]; /* counts, yuan or millionths, as written */
    int64_t min_revenue_yuan;
    int64_t nominate_revenue_yuan;
    size_t n_amounts; /* entries given in awards.top_ranked.amounts_yuan */
} assess_config_raw;

static int refuse(cfg_error *err, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(cfg_error *err, const char *key, const char *fmt, ...)
{
    va_list ap;

    snprintf(err->key, sizeof err->key, "%s", key);
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* Run parse on the default text: what a NULL subtree means (cfg.h). */
static int parse_default(cfg_parse_fn parse, const char *text, void *out, cfg_error *err)
{
    json_t *def = json_loads(text, 0, NULL);
    int rc;

    if (def == NULL)
        return refuse(err, "", "out of memory");
    rc = parse(def, out, err);
    json_decref(def);
    return rc;
}

/* "scoring.weights": {"indicator": points, ...}; an omitted indicator
 * weighs 0, so the map given is the whole indicator system. */
static int parse_weights(const json_t *json, void *out, cfg_error *err)
{
    assess_config_raw *raw = out;
    const char *k;
    json_t *v;
    char key[128];

    if (json == NULL)
        return parse_default(parse_weights, DEF_WEIGHTS, out, err);
    if (!json_is_object(json))
        return refuse(err, "scoring.weights", "must be an object of indicator: weight");
    memset(raw->cfg.weights, 0, sizeof raw->cfg.weights);
    json_object_foreach((json_t *)json, k, v)
    {
        int i = assess_indicator_from_name(k);

        snprintf(key, sizeof key, "scoring.weights.%s", k);
        if (i < 0)
            return refuse(err, key,
                          "unknown indicator \"%s\" (enterprises, investment, output_value, "
                          "revenue, tax, employment, contribution, growth)",
                          k);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
            return refuse(err, key, "must be an integer between 0 and 100");
        raw->cfg.weights[i] = (int64_t)json_integer_value(v);
    }
    return 0;
}

/* "awards.top_ranked.amounts_yuan": [by rank]; caps are checked later so
 * that a --set override is held to them too. */
static int parse_amounts(const json_t *json, void *out, cfg_error *err)
{
    assess_config_raw *raw = out;
    char key[128];
    size_t idx;
    json_t *v;

    if (json == NULL)
        return parse_default(parse_amounts, DEF_AMOUNTS, out, err);
    if (!json_is_array(json))
        return refuse(err, "awards.top_ranked.amounts_yuan", "must be an array of yuan amounts");
    if (json_array_size(json) > N_AMOUNTS)
        return refuse(err, "awards.top_ranked.amounts_yuan", "at most %zu amounts, got %zu",
                      N_AMOUNTS, json_array_size(json));
    memset(raw->cfg.top_amount_yuan, 0, sizeof raw->cfg.top_amount_yuan);
    json_array_foreach(json, idx, v)
    {
        snprintf(key, sizeof key, "awards.top_ranked.amounts_yuan[%zu]", idx);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > YUAN_MAX)
            return refuse(err, key, "must be a non-negative integer number of yuan");
        raw->cfg.top_amount_yuan[idx] = (int64_t)json_integer_value(v);
    }
    raw->n_amounts = json_array_size(json);
    return 0;
}

/* One year of "targets": {"clusters", "revenue_yuan", "enterprises",
 * "employment"}, all required. */
static int parse_target_year(const char *year, const json_t *obj, assess_target *t, cfg_error *err)
{
    static const char *const names[] = {"clusters", "revenue_yuan", "enterprises", "employment"};
    int64_t *dst[] = {&t->clusters, &t->revenue_fen, &t->enterprises, &t->employment};
    const char *k;
    json_t *v;
    char key[128];

    snprintf(key, sizeof key, "targets.%s", year);
    if (!json_is_object(obj))
        return refuse(err, key, "must be an object");
    json_object_foreach((json_t *)obj, k, v)
    {
        size_t i = 0;

        while (i < 4 && strcmp(names[i], k) != 0)
            i++;
        snprintf(key, sizeof key, "targets.%s.%s", year, k);
        if (i == 4)
            return refuse(err, key, "unknown key");
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > YUAN_MAX)
            return refuse(err, key, "must be a non-negative integer");
    }
    for (size_t i = 0; i < 4; i++) {
        json_t *f = json_object_get(obj, names[i]);

        snprintf(key, sizeof key, "targets.%s.%s", year, names[i]);
        if (f == NULL)
            return refuse(err, key, "missing");
        *dst[i] = (int64_t)json_integer_value(f) * (i == 1 ? 100 : 1);
    }
    return 0;
}

static int target_year_cmp(const void *a, const void *b)
{
    const assess_target *x = a, *y = b;

    return (x->year > y->year) - (x->year < y->year);
}

/* "targets": {"2022": {...}, ...}; kept sorted by year. */
static int parse_targets(const json_t *json, void *out, cfg_error *err)
{
    assess_config_raw *raw = out;
    const char *k;
    json_t *v;
    char key[128];
    int n = 0;

    if (json == NULL)
        return parse_default(parse_targets, DEF_TARGETS, out, err);
    if (!json_is_object(json))
        return refuse(err, "targets", "must be an object keyed by year");
    json_object_foreach((json_t *)json, k, v)
    {
        char *end = NULL;
        long year = strtol(k, &end, 10);

        snprintf(key, sizeof key, "targets.%s", k);
        if (strlen(k) != 4 || *end != '\0' || year < 2000 || year > 2999)
            return refuse(err, key, "a year must be four digits between 2000 and 2999");
        if (n == ASSESS_MAX_YEARS)
            return refuse(err, key, "at most %d years", ASSESS_MAX_YEARS);
        raw->cfg.targets[n].year = (int)year;
        if (parse_target_year(k, v, &raw->cfg.targets[n], err) != 0)
            return -1;
        n++;
    }
    qsort(raw->cfg.targets, (size_t)n, sizeof raw->cfg.targets[0], target_year_cmp);
    raw->cfg.n_targets = n;
    return 0;
}

#define RAW(f) offsetof(assess_config_raw, f)
#define CFGF(f) offsetof(assess_config_raw, cfg.f)
#define TV(i) offsetof(assess_config_raw, target_in) + (i) * sizeof(int64_t)

static const cfg_spec assess_specs[] = {
    SERVICE_SETTINGS_SPECS(assess_config_raw, cfg.shared, "assessment", "/var/lib/jiju/assessment"),
    {"stream.endpoint", CFG_ENDPOINT, "tcp://127.0.0.1:7101", 0, 128, CFGF(stream_endpoint), NULL,
     "stream socket: ingest pushes reports, consumers follow events"},
    {"query.endpoint", CFG_ENDPOINT, "tcp://127.0.0.1:7102", 0, 128, CFGF(query_endpoint), NULL,
     "query socket"},
    {"scoring.weights", CFG_JSON, DEF_WEIGHTS, 0, 0, 0, parse_weights,
     "indicator weights in percentage points, sum 100"},
    {"scoring.normalisation", CFG_STRING, "min_max", 0, 16, RAW(normalisation), NULL,
     "min_max, z_score or target"},
    {"scoring.missing", CFG_STRING, "zero", 0, 16, RAW(missing), NULL,
     "missing-value policy: zero, min, mean or previous"},
    {"scoring.target_values.enterprises", CFG_INT, "50", 1, YUAN_MAX, TV(IND_ENTERPRISES), NULL,
     "enterprises worth full marks (target normalisation)"},
    {"scoring.target_values.investment_yuan", CFG_INT, "100000000", 1, YUAN_MAX, TV(IND_INVESTMENT),
     NULL, "investment worth full marks, yuan"},
    {"scoring.target_values.output_value_yuan", CFG_INT, "500000000", 1, YUAN_MAX,
     TV(IND_OUTPUT_VALUE), NULL, "output value worth full marks, yuan"},
    {"scoring.target_values.revenue_yuan", CFG_INT, "500000000", 1, YUAN_MAX, TV(IND_REVENUE), NULL,
     "revenue worth full marks, yuan"},
    {"scoring.target_values.tax_yuan", CFG_INT, "25000000", 1, YUAN_MAX, TV(IND_TAX), NULL,
     "tax worth full marks, yuan"},
    {"scoring.target_values.employment", CFG_INT, "1800", 1, YUAN_MAX, TV(IND_EMPLOYMENT), NULL,
     "jobs worth full marks"},
    {"scoring.target_values.contribution_micros", CFG_INT, "100000", 1, 1000000,
     TV(IND_CONTRIBUTION), NULL, "share of city revenue worth full marks, millionths"},
    {"scoring.target_values.growth_micros", CFG_INT, "100000", 1, YUAN_MAX, TV(IND_GROWTH), NULL,
     "revenue growth worth full marks, millionths"},
    {"awards.top_ranked.count", CFG_INT, "3", 0, (int64_t)N_AMOUNTS, CFGF(top_n), NULL,
     "TOP_RANKED awards per closed period"},
    {"awards.top_ranked.amounts_yuan", CFG_JSON, DEF_AMOUNTS, 0, 0, 0, parse_amounts,
     "TOP_RANKED amount by rank, yuan, each <= 500000 (seed 五.二)"},
    {"awards.new_provincial.amount_yuan", CFG_INT, "1000000", 0, YUAN_MAX,
     CFGF(provincial_amount_yuan), NULL, "NEW_PROVINCIAL amount, yuan, <= 1000000 (seed 五.二)"},
    {"elimination.min_enterprises", CFG_INT, "10", 0, YUAN_MAX, CFGF(min_enterprises), NULL,
     "unqualified below this many enterprises"},
    {"elimination.min_revenue_yuan", CFG_INT, "100000000", 0, YUAN_MAX, RAW(min_revenue_yuan), NULL,
     "unqualified below this annual revenue, yuan"},
    {"elimination.min_employment", CFG_INT, "300", 0, YUAN_MAX, CFGF(min_employment), NULL,
     "unqualified below this many jobs"},
    {"elimination.min_score_micros", CFG_INT, "0", 0, 100000000, CFGF(min_score_micros), NULL,
     "unqualified below this score (0: no floor)"},
    {"elimination.consecutive_periods", CFG_INT, "2", 1, 100, CFGF(eliminate_after), NULL,
     "eliminated after this many consecutive unqualified periods"},
    {"nomination.min_enterprises", CFG_INT, "60", 0, YUAN_MAX, CFGF(nominate_enterprises), NULL,
     "nominated from this many enterprises"},
    {"nomination.min_revenue_yuan", CFG_INT, "800000000", 0, YUAN_MAX, RAW(nominate_revenue_yuan),
     NULL, "nominated from this annual revenue, yuan"},
    {"nomination.min_employment", CFG_INT, "2500", 0, YUAN_MAX, CFGF(nominate_employment), NULL,
     "nominated from this many jobs"},
    {"nomination.consecutive_periods", CFG_INT, "2", 1, 100, CFGF(nominate_after), NULL,
     "nominated after this many consecutive qualifying periods"},
    {"targets", CFG_JSON, DEF_TARGETS, 0, 0, 0, parse_targets, "city targets by year (seed 一.二)"},
    {"reporting.deadline_days", CFG_INT, "15", 0, 366, CFGF(deadline_days), NULL,
     "days after a period's end before ReportOverdue (seed 五.三)"},
    {"ranking.coalesce_ms", CFG_INT, "1000", 0, 3600000, CFGF(ranking_coalesce_ms), NULL,
     "RankingUpdated and TargetProgress at most once per period per this interval"},
    {"ranking.coalesce_reports", CFG_INT, "10000", 1, 100000000, CFGF(ranking_coalesce_reports),
     NULL,
     "the interval is ranking.coalesce_ms times 1 + (the period's reports / this): a ranking "
     "costs O(clusters), so its CPU and bytes per second stay bounded as clusters grow"},
    {"ranking.page_entries", CFG_INT, "1000", 1, 100000, CFGF(ranking_page_entries), NULL,
     "a ranking of more entries goes out as several RankingUpdated/RankingPublished events "
     "(page 1..pages), each well under limits.max_frame_bytes"},
    {"ranking.tick_budget_us", CFG_INT, "2000", 0, 1000000, CFGF(ranking_tick_budget_us), NULL,
     "a tick (overdue reports, then provisional rankings) stops each part after the period "
     "whose work took it past this; the periods left are done at the next tick. 0: all at once"},
    {"ranking.min_reported_pct", CFG_INT, "65", 0, 100, CFGF(min_reported_pct), NULL,
     "ranked only with at least this share (percent) of the six reported indicators"},
};

static int check_weights(const assess_config *c, cfg_error *err)
{
    int64_t sum = 0;

    for (int i = 0; i < IND__COUNT; i++)
        sum += c->weights[i];
    if (sum != 100)
        return refuse(err, "scoring.weights", "weights must sum to 100, got %" PRId64, sum);
    return 0;
}

static int check_awards(const assess_config_raw *raw, cfg_error *err)
{
    char key[128];

    for (size_t i = 0; i < raw->n_amounts; i++) {
        snprintf(key, sizeof key, "awards.top_ranked.amounts_yuan[%zu]", i);
        if (raw->cfg.top_amount_yuan[i] > ASSESS_YUAN_TOP_RANKED_CAP)
            return refuse(err, key, "%" PRId64 " yuan exceeds the cap of %d yuan (seed 五.二)",
                          raw->cfg.top_amount_yuan[i], ASSESS_YUAN_TOP_RANKED_CAP);
    }
    if (raw->cfg.provincial_amount_yuan > ASSESS_YUAN_NEW_PROVINCIAL_CAP)
        return refuse(err, "awards.new_provincial.amount_yuan",
                      "%" PRId64 " yuan exceeds the cap of %d yuan (seed 五.二)",
                      raw->cfg.provincial_amount_yuan, ASSESS_YUAN_NEW_PROVINCIAL_CAP);
    if ((size_t)raw->cfg.top_n > raw->n_amounts)
        return refuse(err, "awards.top_ranked.count",
                      "count %" PRId64 " exceeds the %zu amounts in "
                      "awards.top_ranked.amounts_yuan",
                      raw->cfg.top_n, raw->n_amounts);
    return 0;
}

/* Names to enums: the struct's order of assess_norm / assess_missing. */
static int check_names(assess_config_raw *raw, cfg_error *err)
{
    static const char *const norms[] = {"min_max", "z_score", "target"};
    static const char *const missing[] = {"zero", "min", "mean", "previous"};
    int i;

    for (i = 0; i < 3 && strcmp(norms[i], raw->normalisation) != 0; i++)
        ;
    if (i == 3)
        return refuse(err, "scoring.normalisation",
                      "unknown normalisation \"%s\" (min_max, z_score, target)",
                      raw->normalisation);
    raw->cfg.normalisation = (assess_norm)i;
    for (i = 0; i < 4 && strcmp(missing[i], raw->missing) != 0; i++)
        ;
    if (i == 4)
        return refuse(err, "scoring.missing",
                      "unknown missing-value policy \"%s\" (zero, min, mean, previous)",
                      raw->missing);
    raw->cfg.missing = (assess_missing)i;
    return 0;
}

/* Whole-config check, then yuan to fen for the fields events carry in fen. */
static int assess_config_check(void *out, cfg_error *err)
{
    assess_config_raw *raw = out;

    if (service_settings_check(&raw->cfg.shared, err) != 0 || check_weights(&raw->cfg, err) != 0 ||
        check_awards(raw, err) != 0 || check_names(raw, err) != 0)
        return -1;
    for (int i = 0; i < IND__COUNT; i++)
        raw->cfg.target_values[i] = raw->target_in[i] * (indicator_is_money[i] ? 100 : 1);
    raw->cfg.min_revenue_fen = raw->min_revenue_yuan * 100;
    raw->cfg.nominate_revenue_fen = raw->nominate_revenue_yuan * 100;
    return 0;
}

int assess_config_load(const char *path, const char *const *overrides, size_t n_over,
                       assess_config *out, cfg_error *err)
{
    assess_config_raw *raw = calloc(1, sizeof *raw);
    int rc;

    if (raw == NULL) {
        snprintf(err->file, sizeof err->file, "%s", path ? path : "(defaults)");
        refuse(err, "", "out of memory");
        return -1;
    }
    rc = cfg_load(path, assess_specs, sizeof assess_specs / sizeof assess_specs[0], overrides,
                  n_over, assess_config_check, raw, err);
    if (rc == 0)
        *out = raw->cfg;
    free(raw);
    return rc;
}

const cfg_spec *assess_config_specs(size_t *n)
{
    *n = sizeof assess_specs / sizeof assess_specs[0];
    return assess_specs;
}
