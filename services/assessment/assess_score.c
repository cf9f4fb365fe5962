/* assess_score.c - composite score and ranking of one period.
 *
 * Steps (docs/assessment.md writes them out with numbers):
 *   1. derive contribution and growth from the reported revenue;
 *   2. impute every missing value by the policy and flag it;
 *   3. normalise each indicator across the rows (min-max, z-score, target);
 *   4. points = weight * normalised; score = sum of points (exact);
 *   5. rank: higher score, higher reported revenue, smaller cluster id.
 * Integer arithmetic with 128-bit intermediates throughout; the z-score's
 * square root is the one double, rounded once with llround. */
#include "assess_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

__extension__ typedef __int128 i128;

/* Scratch for one run: values and their reported-ness, row-major. */
typedef struct score_work {
    const assess_score_params *p;
    const assess_row *rows;
    size_t n;
    int64_t *val;  /* n * IND__COUNT: the value scored */
    bool *have;    /* n * IND__COUNT: reported or derived, not imputed */
    int64_t *norm; /* n * IND__COUNT: normalised micros */
} score_work;

#define AT(r, i) ((r) * (size_t)IND__COUNT + (size_t)(i))

/* num / den rounded half away from zero; den > 0. */
static i128 div_round(i128 num, i128 den)
{
    i128 q = num / den, rem = num % den;

    if (rem < 0)
        rem = -rem;
    if (2 * rem >= den)
        q += num < 0 ? -1 : 1;
    return q;
}

static int narrow(i128 v, int64_t *out)
{
    if (v > INT64_MAX || v < INT64_MIN)
        return JIJU_ERR_INVALID;
    *out = (int64_t)v;
    return JIJU_OK;
}

static int check_params(const assess_score_params *p)
{
    int64_t sum = 0;

    for (int i = 0; i < IND__COUNT; i++) {
        if (p->weights[i] < 0 || p->weights[i] > 100)
            return JIJU_ERR_INVALID;
        if (p->normalisation == NORM_TARGET && p->target_values[i] <= 0)
            return JIJU_ERR_INVALID;
        sum += p->weights[i];
    }
    if (sum != 100)
        return JIJU_ERR_INVALID;
    if (p->normalisation != NORM_MIN_MAX && p->normalisation != NORM_Z_SCORE &&
        p->normalisation != NORM_TARGET)
        return JIJU_ERR_INVALID;
    if (p->missing != MISSING_ZERO && p->missing != MISSING_MIN && p->missing != MISSING_MEAN &&
        p->missing != MISSING_PREVIOUS)
        return JIJU_ERR_INVALID;
    return JIJU_OK;
}

/* Step 1: copy the reported values, then derive contribution (revenue over
 * the sum of all reported revenue) and growth (on a previous revenue > 0). */
static int score_derive(score_work *w)
{
    i128 total = 0;

    for (size_t r = 0; r < w->n; r++) {
        const assess_row *row = &w->rows[r];

        if (row->cluster_id == NULL)
            return JIJU_ERR_INVALID;
        for (int i = 0; i < ASSESS_N_REPORTED; i++) {
            w->have[AT(r, i)] = row->present[i];
            w->val[AT(r, i)] = row->present[i] ? row->value[i] : 0;
        }
        if (row->present[IND_REVENUE])
            total += row->value[IND_REVENUE];
    }
    for (size_t r = 0; r < w->n; r++) {
        const assess_row *row = &w->rows[r];
        i128 rev = row->value[IND_REVENUE], prev = row->prev[IND_REVENUE];

        if (!row->present[IND_REVENUE])
            continue;
        w->have[AT(r, IND_CONTRIBUTION)] = true;
        if (total > 0 && narrow(div_round(rev * ASSESS_MICROS, total),
                                &w->val[AT(r, IND_CONTRIBUTION)]) != JIJU_OK)
            return JIJU_ERR_INVALID;
        if (!row->prev_present[IND_REVENUE] || prev <= 0)
            continue;
        w->have[AT(r, IND_GROWTH)] = true;
        if (narrow(div_round((rev - prev) * ASSESS_MICROS, prev), &w->val[AT(r, IND_GROWTH)]) !=
            JIJU_OK)
            return JIJU_ERR_INVALID;
    }
    return JIJU_OK;
}

/* Step 2 for one indicator: the policy's value for every missing entry.
 * min and mean are over the reported values; with none reported, zero. */
static void score_impute_one(score_work *w, int i)
{
    i128 sum = 0;
    int64_t mn = 0, fill = 0;
    size_t k = 0;

    for (size_t r = 0; r < w->n; r++) {
        int64_t v = w->val[AT(r, i)];

        if (!w->have[AT(r, i)])
            continue;
        mn = (k == 0 || v < mn) ? v : mn;
        sum += v;
        k++;
    }
    if (k == w->n)
        return;
    if (w->p->missing == MISSING_MIN)
        fill = k ? mn : 0;
    else if (w->p->missing == MISSING_MEAN)
        fill = k ? (int64_t)div_round(sum, (i128)k) : 0;
    for (size_t r = 0; r < w->n; r++) {
        const assess_row *row = &w->rows[r];

        if (w->have[AT(r, i)])
            continue;
        if (w->p->missing == MISSING_PREVIOUS)
            fill = row->prev_present[i] ? row->prev[i] : 0;
        w->val[AT(r, i)] = fill;
    }
}

/* Step 3, min-max: (x - min) / (max - min); all equal: everyone full marks. */
static void score_norm_min_max(score_work *w, int i)
{
    int64_t mn = w->val[AT(0, i)], mx = mn;

    for (size_t r = 1; r < w->n; r++) {
        int64_t v = w->val[AT(r, i)];

        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    for (size_t r = 0; r < w->n; r++) {
        i128 span = (i128)mx - mn, off = (i128)w->val[AT(r, i)] - mn;

        w->norm[AT(r, i)] =
            span == 0 ? ASSESS_MICROS : (int64_t)div_round(off * ASSESS_MICROS, span);
    }
}

/* Step 3, target: x / target capped to [0, 1]. */
static void score_norm_target(score_work *w, int i)
{
    i128 t = w->p->target_values[i];

    for (size_t r = 0; r < w->n; r++) {
        i128 q = div_round((i128)w->val[AT(r, i)] * ASSESS_MICROS, t);

        w->norm[AT(r, i)] = q < 0 ? 0 : q > ASSESS_MICROS ? ASSESS_MICROS : (int64_t)q;
    }
}

/* Step 3, z-score with the population standard deviation, from exact sums:
 * z = (n*x - S) / sqrt(n*Q - S^2). Numerator and radicand are exact
 * integers; the one division and square root are IEEE doubles, rounded once
 * (llround), so every IEEE 754 platform gets the same micros. Everyone
 * equal: z = 0. */
static int score_norm_z(score_work *w, int i)
{
    i128 s = 0, q = 0, nq, s2, d;

    for (size_t r = 0; r < w->n; r++) {
        i128 v = w->val[AT(r, i)];

        s += v;
        if (__builtin_add_overflow(q, v * v, &q))
            return JIJU_ERR_INVALID;
    }
    if (__builtin_mul_overflow(q, (i128)w->n, &nq) || __builtin_mul_overflow(s, s, &s2))
        return JIJU_ERR_INVALID;
    d = nq - s2;
    for (size_t r = 0; r < w->n; r++) {
        i128 num = (i128)w->n * w->val[AT(r, i)] - s;
        double z = d > 0 ? (double)num / sqrt((double)d) : 0.0;

        w->norm[AT(r, i)] = (int64_t)llround(z * (double)ASSESS_MICROS);
    }
    return JIJU_OK;
}

static int score_normalise(score_work *w)
{
    for (int i = 0; i < IND__COUNT; i++) {
        score_impute_one(w, i);
        if (w->p->normalisation == NORM_MIN_MAX)
            score_norm_min_max(w, i);
        else if (w->p->normalisation == NORM_TARGET)
            score_norm_target(w, i);
        else if (score_norm_z(w, i) != JIJU_OK)
            return JIJU_ERR_INVALID;
    }
    return JIJU_OK;
}

/* Step 4 for one row: points and score; the score is their exact sum. */
static void score_row(const score_work *w, size_t r, assess_scored *s)
{
    memset(s, 0, sizeof *s);
    s->row = r;
    for (int i = 0; i < IND__COUNT; i++) {
        assess_contrib *c = &s->c[i];

        c->raw = w->val[AT(r, i)];
        c->imputed = !w->have[AT(r, i)];
        c->normalised_micros = w->norm[AT(r, i)];
        c->points_micros = w->p->weights[i] * c->normalised_micros;
        s->score_micros += c->points_micros;
    }
}

/* Step 5: sort keys, copied out of the rows so the comparators need no
 * context (qsort_r is not C11). */
typedef struct rank_key {
    int64_t score;
    int64_t revenue;
    bool has_revenue;
    int category;
    uint32_t rank;
    const char *id;
    size_t pos; /* index into the unsorted results */
} rank_key;

/* Higher score, then higher reported revenue (missing ranks lowest), then
 * the byte-wise smaller id; input position only if ids repeat. */
static int rank_cmp(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;
    int c;

    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->has_revenue != y->has_revenue)
        return x->has_revenue ? -1 : 1;
    if (x->revenue != y->revenue)
        return x->revenue > y->revenue ? -1 : 1;
    c = strcmp(x->id, y->id);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int category_cmp(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;

    if (x->category != y->category)
        return x->category < y->category ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Rank tmp (in row order) and write it to out best first. */
static int score_rank(const assess_row *rows, const assess_scored *tmp, size_t n,
                      assess_scored *out)
{
    rank_key *k = calloc(n, sizeof *k);
    uint32_t in_cat = 0;

    if (k == NULL)
        return JIJU_ERR_NOMEM;
    for (size_t r = 0; r < n; r++) {
        bool has = rows[r].present[IND_REVENUE];

        k[r] = (rank_key){tmp[r].score_micros,
                          has ? rows[r].value[IND_REVENUE] : 0,
                          has,
                          rows[r].category,
                          0,
                          rows[r].cluster_id,
                          r};
    }
    qsort(k, n, sizeof *k, rank_cmp);
    for (size_t j = 0; j < n; j++) {
        const assess_row *row = &rows[k[j].pos];

        k[j].rank = (uint32_t)(j + 1);
        out[j] = tmp[k[j].pos];
        out[j].rank = k[j].rank;
        out[j].has_previous = row->has_prev_rank;
        out[j].rank_change = row->has_prev_rank ? (int32_t)row->prev_rank - (int32_t)k[j].rank : 0;
    }
    qsort(k, n, sizeof *k, category_cmp);
    for (size_t j = 0; j < n; j++) {
        in_cat = (j > 0 && k[j].category == k[j - 1].category) ? in_cat + 1 : 1;
        out[k[j].rank - 1].category_rank = in_cat;
    }
    free(k);
    return JIJU_OK;
}

static int score_compute(score_work *w, assess_scored *tmp, assess_scored *ranked)
{
    int rc = score_derive(w);

    if (rc == JIJU_OK)
        rc = score_normalise(w);
    if (rc != JIJU_OK)
        return rc;
    for (size_t r = 0; r < w->n; r++)
        score_row(w, r, &tmp[r]);
    return score_rank(w->rows, tmp, w->n, ranked);
}

int assess_score_run(const assess_score_params *p, const assess_row *rows, size_t n,
                     assess_scored *out)
{
    score_work w = {p, rows, n, NULL, NULL, NULL};
    assess_scored *tmp = NULL, *ranked = NULL;
    int rc;

    if (p == NULL || (n > 0 && (rows == NULL || out == NULL)) || n > UINT32_MAX)
        return JIJU_ERR_INVALID;
    rc = check_params(p);
    if (rc != JIJU_OK || n == 0)
        return rc;
    rc = JIJU_ERR_NOMEM;
    w.val = calloc(n * IND__COUNT, sizeof *w.val);
    w.have = calloc(n * IND__COUNT, sizeof *w.have);
    w.norm = calloc(n * IND__COUNT, sizeof *w.norm);
    tmp = calloc(n, sizeof *tmp);
    ranked = calloc(n, sizeof *ranked);
    if (w.val == NULL || w.have == NULL || w.norm == NULL || tmp == NULL || ranked == NULL)
        goto out_free;
    rc = score_compute(&w, tmp, ranked);
    if (rc == JIJU_OK)
        memcpy(out, ranked, n * sizeof *out);
out_free:
    free(ranked);
    free(tmp);
    free(w.norm);
    free(w.have);
    free(w.val);
    return rc;
}

void assess_score_params_from_config(const assess_config *cfg, assess_score_params *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->weights, cfg->weights, sizeof out->weights);
    out->normalisation = cfg->normalisation;
    out->missing = cfg->missing;
    memcpy(out->target_values, cfg->target_values, sizeof out->target_values);
}

/* --- RankEntry: everything malloc'd, so free_unpacked(NULL) frees it --- */

static Jiju__V1__Contribution *contribution_new(int i, const assess_contrib *c)
{
    Jiju__V1__Contribution *m = malloc(sizeof *m);

    if (m == NULL)
        return NULL;
    jiju__v1__contribution__init(m);
    m->indicator = strdup(assess_indicator_name((assess_indicator)i));
    if (m->indicator == NULL) {
        free(m);
        return NULL;
    }
    m->raw = c->raw;
    m->normalised_micros = c->normalised_micros;
    m->points_micros = c->points_micros;
    m->imputed = c->imputed;
    return m;
}

static int rank_entry_fill(Jiju__V1__RankEntry *e, const assess_row *row, const assess_scored *s)
{
    e->cluster_id = strdup(row->cluster_id);
    e->cluster_name = strdup(row->cluster_name ? row->cluster_name : "");
    e->contributions = calloc(IND__COUNT, sizeof *e->contributions);
    if (e->cluster_id == NULL || e->cluster_name == NULL || e->contributions == NULL)
        return -1;
    for (int i = 0; i < IND__COUNT; i++) {
        e->contributions[i] = contribution_new(i, &s->c[i]);
        if (e->contributions[i] == NULL)
            return -1;
        e->n_contributions++;
    }
    e->category = (Jiju__V1__Category)row->category;
    e->rank = s->rank;
    e->category_rank = s->category_rank;
    e->score_micros = s->score_micros;
    e->rank_change = s->rank_change;
    e->has_previous = s->has_previous;
    return 0;
}

Jiju__V1__RankEntry *assess_score_rank_entry_new(const assess_row *row, const assess_scored *s)
{
    Jiju__V1__RankEntry *e = malloc(sizeof *e);

    if (e == NULL)
        return NULL;
    jiju__v1__rank_entry__init(e);
    /* Strings start as the shared empty string; free_unpacked must never see
     * it, so fill replaces both before anything can fail half-way. */
    e->cluster_id = NULL;
    e->cluster_name = NULL;
    if (rank_entry_fill(e, row, s) != 0) {
        jiju__v1__rank_entry__free_unpacked(e, NULL);
        return NULL;
    }
    return e;
}

Jiju__V1__RankEntry **assess_score_entries_new(const assess_row *rows, const assess_scored *scored,
                                               size_t n)
{
    Jiju__V1__RankEntry **v = n ? calloc(n, sizeof *v) : NULL;

    if (v == NULL)
        return NULL;
    for (size_t j = 0; j < n; j++) {
        v[j] = assess_score_rank_entry_new(&rows[scored[j].row], &scored[j]);
        if (v[j] == NULL) {
            assess_score_entries_destroy(&v, j);
            return NULL;
        }
    }
    return v;
}

void assess_score_entries_destroy(Jiju__V1__RankEntry ***entries, size_t n)
{
    if (entries == NULL || *entries == NULL)
        return;
    for (size_t j = 0; j < n; j++)
        jiju__v1__rank_entry__free_unpacked((*entries)[j], NULL);
    free(*entries);
    *entries = NULL;
}
