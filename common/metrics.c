/* metrics.c - the registry and the text exposition format. */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_FAMILIES 128
#define METRICS_MAX_COLLECTORS 32

enum metrics_type { M_COUNTER, M_GAUGE, M_HISTOGRAM };

typedef struct series {
    char *labels;
    double value;   /* counter, gauge; histogram: sum */
    double count;   /* histogram */
    double *bucket; /* histogram: per bound, not cumulative */
} series;

struct metrics_family {
    const char *name, *help;
    enum metrics_type type;
    int collected; /* emptied before the collectors run */
    double bounds[METRICS_MAX_BUCKETS];
    size_t n_bounds;
    series *s;
    size_t n, cap;
};

static struct {
    metrics_family *f[METRICS_MAX_FAMILIES];
    size_t n;
    struct {
        metrics_collect_fn fn;
        void *arg;
    } c[METRICS_MAX_COLLECTORS];
    size_t n_c;
    double dropped;
} reg;

const double metrics_latency_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
const size_t metrics_n_latency_buckets =
    sizeof metrics_latency_buckets / sizeof metrics_latency_buckets[0];
const double metrics_size_buckets[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
const size_t metrics_n_size_buckets = sizeof metrics_size_buckets / sizeof metrics_size_buckets[0];

static metrics_family *family(const char *name, const char *help, enum metrics_type type,
                              int collected)
{
    metrics_family *f;

    for (size_t i = 0; i < reg.n; i++)
        if (strcmp(reg.f[i]->name, name) == 0)
            return reg.f[i]->type == type ? reg.f[i] : NULL;
    if (reg.n >= METRICS_MAX_FAMILIES || !(f = calloc(1, sizeof *f)))
        return NULL;
    f->name = name;
    f->help = help;
    f->type = type;
    f->collected = collected;
    reg.f[reg.n++] = f;
    return f;
}

metrics_family *metrics_counter(const char *name, const char *help)
{
    return family(name, help, M_COUNTER, 0);
}

metrics_family *metrics_gauge(const char *name, const char *help)
{
    return family(name, help, M_GAUGE, 0);
}

metrics_family *metrics_gauge_collected(const char *name, const char *help)
{
    return family(name, help, M_GAUGE, 1);
}

metrics_family *metrics_histogram(const char *name, const char *help, const double *bounds,
                                  size_t n_bounds)
{
    metrics_family *f;

    if (n_bounds > METRICS_MAX_BUCKETS)
        return NULL;
    f = family(name, help, M_HISTOGRAM, 0);
    if (f && f->n_bounds == 0 && f->n == 0) {
        memcpy(f->bounds, bounds, n_bounds * sizeof *bounds);
        f->n_bounds = n_bounds;
    }
    return f;
}

/* The series with these labels, made if absent (NULL past the cap). */
static series *series_get(metrics_family *f, const char *labels)
{
    series *s;

    labels = labels ? labels : "";
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->s[i].labels, labels) == 0)
            return &f->s[i];
    if (f->n >= METRICS_MAX_SERIES) {
        reg.dropped++;
        return NULL;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        series *grown = realloc(f->s, cap * sizeof *grown);

        if (!grown)
            return NULL;
        f->s = grown;
        f->cap = cap;
    }
    s = &f->s[f->n];
    memset(s, 0, sizeof *s);
    if (!(s->labels = strdup(labels)))
        return NULL;
    if (f->type == M_HISTOGRAM && !(s->bucket = calloc(f->n_bounds + 1, sizeof *s->bucket))) {
        free(s->labels);
        return NULL;
    }
    f->n++;
    return s;
}

void metrics_add(metrics_family *f, const char *labels, double v)
{
    series *s;

    if (f && f->type == M_COUNTER && v >= 0 && (s = series_get(f, labels)))
        s->value += v;
}

void metrics_set(metrics_family *f, const char *labels, double v)
{
    series *s;

    if (f && f->type == M_GAUGE && (s = series_get(f, labels)))
        s->value = v;
}

void metrics_observe(metrics_family *f, const char *labels, double v)
{
    series *s;
    size_t b = 0;

    if (!f || f->type != M_HISTOGRAM || !(s = series_get(f, labels)))
        return;
    while (b < f->n_bounds && v > f->bounds[b])
        b++;
    s->bucket[b]++;
    s->count++;
    s->value += v;
}

double metrics_value(metrics_family *f, const char *labels)
{
    if (!f)
        return 0;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->s[i].labels, labels ? labels : "") == 0)
            return f->s[i].value;
    return 0;
}

char *metrics_labels(char *buf, size_t cap, ...)
{
    va_list ap;
    const char *k, *v;
    size_t n = 0;

    if (cap == 0)
        return buf;
    buf[0] = '\0';
    va_start(ap, cap);
    while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *))) {
        int w = snprintf(buf + n, cap - n, "%s%s=\"", n ? "," : "", k);

        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
        for (size_t i = 0; v[i] && i < 128 && n + 3 < cap; i++) {
            char c = v[i];

            if (c == '\\' || c == '"' || c == '\n') {
                buf[n++] = '\\';
                c = c == '\n' ? 'n' : c;
            }
            buf[n++] = c;
        }
        if (n + 2 > cap)
            break;
        buf[n++] = '"';
        buf[n] = '\0';
    }
    va_end(ap);
    return buf;
}

int metrics_on_collect(metrics_collect_fn fn, void *arg)
{
    if (reg.n_c >= METRICS_MAX_COLLECTORS)
        return -1;
    reg.c[reg.n_c].fn = fn;
    reg.c[reg.n_c].arg = arg;
    reg.n_c++;
    return 0;
}

void metrics_cancel(void *arg)
{
    size_t j = 0;

    for (size_t i = 0; i < reg.n_c; i++)
        if (reg.c[i].arg != arg)
            reg.c[j++] = reg.c[i];
    reg.n_c = j;
}

static void family_clear(metrics_family *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->s[i].labels);
        free(f->s[i].bucket);
    }
    f->n = 0;
}

/* ---- rendering ---- */

typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} buf_t;

static void put(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        w = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)w < b->cap - b->len) {
            b->len += (size_t)w;
            return;
        }
        char *grown = realloc(b->p, 2 * b->cap + (size_t)w);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->p = grown;
        b->cap = 2 * b->cap + (size_t)w;
    }
}

/* A sample value: integers without a fraction, the rest exactly (%.17g). */
static void put_value(buf_t *b, double v)
{
    if (isnan(v))
        put(b, "NaN\n");
    else if (isinf(v))
        put(b, v > 0 ? "+Inf\n" : "-Inf\n");
    else if (v == floor(v) && fabs(v) < 1e15)
        put(b, "%.0f\n", v);
    else {
        char t[32];

        snprintf(t, sizeof t, "%.15g", v); /* the shortest text that reads back exactly */
        if (strtod(t, NULL) != v)
            snprintf(t, sizeof t, "%.17g", v);
        put(b, "%s\n", t);
    }
}

static void put_sample(buf_t *b, const char *name, const char *suffix, const char *labels,
                       const char *extra, double v)
{
    int any = labels[0] || extra[0];

    put(b, "%s%s%s%s%s%s%s ", name, suffix, any ? "{" : "", labels,
        labels[0] && extra[0] ? "," : "", extra, any ? "}" : "");
    put_value(b, v);
}

static void render_family(buf_t *b, const metrics_family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};

    put(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->type]);
    for (size_t i = 0; i < f->n; i++) {
        const series *s = &f->s[i];
        char le[48];
        double cum = 0;

        if (f->type != M_HISTOGRAM) {
            put_sample(b, f->name, "", s->labels, "", s->value);
            continue;
        }
        for (size_t k = 0; k < f->n_bounds; k++) {
            cum += s->bucket[k];
            snprintf(le, sizeof le, "le=\"%.15g\"", f->bounds[k]);
            put_sample(b, f->name, "_bucket", s->labels, le, cum);
        }
        put_sample(b, f->name, "_bucket", s->labels, "le=\"+Inf\"", s->count);
        put_sample(b, f->name, "_sum", s->labels, "", s->value);
        put_sample(b, f->name, "_count", s->labels, "", s->count);
    }
}

char *metrics_render(size_t *len)
{
    buf_t b = {malloc(16384), 0, 16384, 0};
    metrics_family *dropped =
        metrics_counter("jiju_metrics_series_dropped_total",
                        "series not recorded because their family had reached its cap");

    if (!b.p)
        return NULL;
    b.p[0] = '\0';
    for (size_t i = 0; i < reg.n; i++)
        if (reg.f[i]->collected)
            family_clear(reg.f[i]);
    for (size_t i = 0; i < reg.n_c; i++)
        reg.c[i].fn(reg.c[i].arg);
    if (dropped) {
        series *s = series_get(dropped, "");
        if (s)
            s->value = reg.dropped;
    }
    for (size_t i = 0; i < reg.n; i++)
        render_family(&b, reg.f[i]);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

void metrics_reset(void)
{
    for (size_t i = 0; i < reg.n; i++) {
        family_clear(reg.f[i]);
        free(reg.f[i]->s);
        free(reg.f[i]);
    }
    memset(&reg, 0, sizeof reg);
}
