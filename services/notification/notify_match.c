/* notify_match.c - filter matching and the index that avoids checking every
 * filter of every subscription for each event. */
#include "notify_match.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One filter filed under one key: kind letter + value, e.g. "cJL-WL-001". */
typedef struct {
    char *key;
    uint32_t sub;                   /* position in the subs array */
    const Jiju__V1__Filter *filter; /* NULL: the subscription has no filters */
} match_entry;

struct notify_match {
    const Jiju__V1__Subscription *const *subs;
    size_t n_subs;
    match_entry *entries; /* sorted by key */
    size_t n_entries;
    match_entry *every; /* filters that name no value at all */
    size_t n_every;
    uint32_t *seen; /* per subscription: generation that last matched */
    uint32_t gen;
};

static bool str_in(char **list, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0)
            return true;
    return false;
}

bool notify_filter_matches(const Jiju__V1__Filter *f, const Jiju__V1__Envelope *env)
{
    bool cat = f->n_categories == 0;

    for (size_t i = 0; i < f->n_categories && !cat; i++)
        cat = env->category != JIJU__V1__CATEGORY__CATEGORY_UNSPECIFIED &&
              f->categories[i] == env->category;
    return cat && (f->n_types == 0 || str_in(f->types, f->n_types, env->type ? env->type : "")) &&
           (f->n_counties == 0 ||
            str_in(f->counties, f->n_counties, env->county ? env->county : "")) &&
           (f->n_cluster_ids == 0 ||
            str_in(f->cluster_ids, f->n_cluster_ids, env->subject ? env->subject : ""));
}

bool notify_subscription_matches(const Jiju__V1__Subscription *s, const Jiju__V1__Envelope *env)
{
    if (s->n_filters == 0)
        return true;
    for (size_t i = 0; i < s->n_filters; i++)
        if (notify_filter_matches(s->filters[i], env))
            return true;
    return false;
}

static char *match_key(char kind, const char *value)
{
    size_t n = strlen(value);
    char *k = malloc(n + 2);

    if (k) {
        k[0] = kind;
        memcpy(k + 1, value, n + 1);
    }
    return k;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const match_entry *)a)->key, ((const match_entry *)b)->key);
}

/* The list a filter is filed under, as (kind, values, count). */
static size_t filter_keys(const Jiju__V1__Filter *f, char *kind, char ***vals, char cats[][12])
{
    if (f->n_cluster_ids) {
        *kind = 'c';
        *vals = f->cluster_ids;
        return f->n_cluster_ids;
    }
    if (f->n_counties) {
        *kind = 'n';
        *vals = f->counties;
        return f->n_counties;
    }
    if (f->n_categories) {
        *kind = 'g';
        *vals = NULL;
        for (size_t i = 0; i < f->n_categories && i < 16; i++)
            snprintf(cats[i], 12, "%d", (int)f->categories[i]);
        return f->n_categories < 16 ? f->n_categories : 16;
    }
    *kind = 't';
    *vals = f->types;
    return f->n_types;
}

static int add_entry(match_entry **arr, size_t *n, size_t *cap, match_entry e)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        match_entry *na = realloc(*arr, nc * sizeof *na);
        if (!na)
            return -1;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = e;
    return 0;
}

/* File one filter (or, if f is NULL, a filter-less subscription). */
static int index_filter(notify_match_t *m, size_t *cap, size_t *cap_every, uint32_t sub,
                        const Jiju__V1__Filter *f)
{
    char kind, **vals, cats[16][12];
    size_t nv = f ? filter_keys(f, &kind, &vals, cats) : 0;

    if (nv == 0)
        return add_entry(&m->every, &m->n_every, cap_every, (match_entry){NULL, sub, f});
    for (size_t i = 0; i < nv; i++) {
        /* the category list is long only if a filter repeats itself; more than 16 is refused
         * upstream */
        char *k = match_key(kind, vals ? vals[i] : cats[i]);
        if (!k || add_entry(&m->entries, &m->n_entries, cap, (match_entry){k, sub, f}) < 0) {
            free(k);
            return -1;
        }
    }
    return 0;
}

notify_match_t *notify_match_new(const Jiju__V1__Subscription *const *subs, size_t n)
{
    notify_match_t *m = calloc(1, sizeof *m);
    size_t cap = 0, cap_every = 0;

    if (!m)
        return NULL;
    m->subs = subs;
    m->n_subs = n;
    if (!(m->seen = calloc(n ? n : 1, sizeof *m->seen)))
        goto out_destroy;
    for (size_t i = 0; i < n; i++) {
        const Jiju__V1__Subscription *s = subs[i];
        if (!s)
            continue;
        if (s->n_filters == 0 && index_filter(m, &cap, &cap_every, (uint32_t)i, NULL) < 0)
            goto out_destroy;
        for (size_t j = 0; j < s->n_filters; j++)
            if (index_filter(m, &cap, &cap_every, (uint32_t)i, s->filters[j]) < 0)
                goto out_destroy;
    }
    if (m->n_entries)
        qsort(m->entries, m->n_entries, sizeof *m->entries, entry_cmp);
    return m;
out_destroy:
    notify_match_destroy(&m);
    return NULL;
}

void notify_match_destroy(notify_match_t **mp)
{
    notify_match_t *m;

    if (!mp || !*mp)
        return;
    m = *mp;
    for (size_t i = 0; i < m->n_entries; i++)
        free(m->entries[i].key);
    free(m->entries);
    free(m->every);
    free(m->seen);
    free(m);
    *mp = NULL;
}

/* Check a candidate and record its subscription once per event. */
static void consider(notify_match_t *m, const match_entry *e, const Jiju__V1__Envelope *env,
                     size_t *out, size_t *n_out)
{
    if (m->seen[e->sub] == m->gen)
        return;
    if (e->filter && !notify_filter_matches(e->filter, env))
        return;
    m->seen[e->sub] = m->gen;
    out[(*n_out)++] = e->sub;
}

static void lookup(notify_match_t *m, char kind, const char *value, const Jiju__V1__Envelope *env,
                   size_t *out, size_t *n_out)
{
    char key[160];
    size_t lo = 0, hi = m->n_entries;

    if (!value || !*value || strlen(value) + 2 > sizeof key)
        return;
    key[0] = kind;
    strcpy(key + 1, value);
    while (lo < hi) { /* first entry >= key */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->entries[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < m->n_entries && strcmp(m->entries[lo].key, key) == 0; lo++)
        consider(m, &m->entries[lo], env, out, n_out);
}

static int size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t notify_match_event(notify_match_t *m, const Jiju__V1__Envelope *env, size_t *out)
{
    size_t n_out = 0;
    char cat[12];

    if (++m->gen == 0) { /* wrapped: forget old marks */
        memset(m->seen, 0, (m->n_subs ? m->n_subs : 1) * sizeof *m->seen);
        m->gen = 1;
    }
    for (size_t i = 0; i < m->n_every; i++)
        consider(m, &m->every[i], env, out, &n_out);
    lookup(m, 'c', env->subject, env, out, &n_out);
    lookup(m, 'n', env->county, env, out, &n_out);
    if (env->category != JIJU__V1__CATEGORY__CATEGORY_UNSPECIFIED) {
        snprintf(cat, sizeof cat, "%d", (int)env->category);
        lookup(m, 'g', cat, env, out, &n_out);
    }
    lookup(m, 't', env->type, env, out, &n_out);
    qsort(out, n_out, sizeof *out, size_cmp);
    return n_out;
}
