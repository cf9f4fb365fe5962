/* assess_score.h - the composite score of one period (seed 四.十): derive
 * contribution and growth, impute missing values (flagged), normalise each
 * indicator across the period's clusters, weight, add up, and rank overall
 * and within each category with deterministic tie-breaks.
 *
 * Pure and integer-only apart from one square root for z-scores (see
 * docs/assessment.md, which writes the method out with a worked example).
 * O(n log n) in the number of rows. */
#ifndef JIJU_ASSESS_SCORE_H
#define JIJU_ASSESS_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assess_config.h"
#include "jiju/v1/events.pb-c.h"

/* Indicators IND_ENTERPRISES..IND_EMPLOYMENT are reported; IND_CONTRIBUTION
 * and IND_GROWTH are derived from the reported revenue. */
#define ASSESS_N_REPORTED 6
#define ASSESS_MICROS 1000000LL

/* One active cluster in the period. Strings are borrowed, not copied. */
typedef struct assess_row {
    const char *cluster_id;           /* required, unique among rows */
    const char *cluster_name;         /* may be NULL */
    int category;                     /* Jiju__V1__Category value */
    int64_t value[ASSESS_N_REPORTED]; /* counts or fen, by assess_indicator */
    bool present[ASSESS_N_REPORTED];  /* a missed report: all false */
    /* The cluster's previous period: prev[IND_REVENUE] gives growth (when
     * > 0); every prev[i] feeds MISSING_PREVIOUS. Derived indicators use
     * the units of Contribution.raw (millionths). */
    int64_t prev[IND__COUNT];
    bool prev_present[IND__COUNT];
    bool has_prev_rank; /* previous period's overall rank known */
    uint32_t prev_rank;
} assess_row;

/* How to score: a copy of the indicator system, so a SetIndicatorSystem
 * command can change it without touching the loaded configuration. */
typedef struct assess_score_params {
    int64_t weights[IND__COUNT]; /* percentage points, sum 100 */
    assess_norm normalisation;
    assess_missing missing;
    int64_t target_values[IND__COUNT]; /* NORM_TARGET: value worth 100%, > 0 */
} assess_score_params;

/* One indicator's part of a score; points_micros = weight * normalised_micros. */
typedef struct assess_contrib {
    int64_t raw;               /* value scored: reported, derived or imputed */
    int64_t normalised_micros; /* 0..1,000,000 (min-max, target); z * 10^6 (z-score) */
    int64_t points_micros;     /* millionths of a point */
    bool imputed;              /* raw was missing and imputed */
} assess_contrib;

/* One row's result. The contributions' points add up exactly to the score. */
typedef struct assess_scored {
    size_t row;             /* index into the input rows */
    int64_t score_micros;   /* 0..100,000,000 for min-max and target */
    uint32_t rank;          /* 1-based, unique */
    uint32_t category_rank; /* 1-based, unique within the category */
    bool has_previous;      /* rank_change is meaningful */
    int32_t rank_change;    /* prev_rank - rank: positive = moved up */
    assess_contrib c[IND__COUNT];
} assess_scored;

/* The scoring part of a loaded configuration. */
void assess_score_params_from_config(const assess_config *cfg, assess_score_params *out);

/* Score n rows into out[0..n-1], best first (out[k].rank == k + 1). Order:
 * higher score, then higher reported revenue (a missing revenue ranks below
 * any reported one), then the byte-wise smaller cluster id. out is written
 * only on success. Returns JIJU_OK, JIJU_ERR_INVALID (weights not summing to
 * 100, bad target, NULL id, values too large for exact arithmetic) or
 * JIJU_ERR_NOMEM. n == 0 is valid and writes nothing. */
int assess_score_run(const assess_score_params *p, const assess_row *rows, size_t n,
                     assess_scored *out);

/* A RankEntry for one scored row, every field and string malloc'd so that
 * protobuf-c's free_unpacked(msg, NULL) of the entry, or of a RankingUpdated
 * or RankingPublished holding it, frees it. NULL on allocation failure.
 * Caller owns the result. */
Jiju__V1__RankEntry *assess_score_rank_entry_new(const assess_row *row, const assess_scored *s);

/* Entries for a whole result (scored[0..n-1] as returned by assess_score_run,
 * rows as passed to it), best first, for RankingUpdated.entries. NULL on
 * allocation failure (and when n == 0). Caller owns the result: free with
 * assess_score_entries_destroy, or hand it to a message whose free_unpacked
 * frees it. */
Jiju__V1__RankEntry **assess_score_entries_new(const assess_row *rows, const assess_scored *scored,
                                               size_t n);
void assess_score_entries_destroy(Jiju__V1__RankEntry ***entries, size_t n);

#endif
