/* period.c - parsing, formatting and arithmetic of reporting periods. */
#include "period.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

#define MS_PER_DAY INT64_C(86400000)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Value of n decimal digits at s, or -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int index_max(period_kind kind)
{
    switch (kind) {
    case PERIOD_YEAR:
        return 0;
    case PERIOD_QUARTER:
        return 4;
    case PERIOD_MONTH:
        return 12;
    }
    return -1;
}

static int valid(const period *p)
{
    if (!p || p->year < PERIOD_YEAR_MIN || p->year > PERIOD_YEAR_MAX)
        return 0;
    int max = index_max(p->kind);
    if (max < 0)
        return 0;
    if (p->kind == PERIOD_YEAR)
        return p->index == 0;
    return p->index >= 1 && p->index <= max;
}

int period_parse(const char *text, period *out)
{
    if (!text || !out)
        return JIJU_ERR_INVALID;
    size_t len = strnlen(text, PERIOD_TEXT_CAP);
    period p = {0};
    if (len < 4 || (p.year = digits(text, 4)) < 0)
        return JIJU_ERR_INVALID;
    if (len == 4) {
        p.kind = PERIOD_YEAR;
    } else if (len == 6 && text[4] == 'Q') {
        p.kind = PERIOD_QUARTER;
        p.index = digits(text + 5, 1);
    } else if (len == 7 && text[4] == '-') {
        p.kind = PERIOD_MONTH;
        p.index = digits(text + 5, 2);
    } else {
        return JIJU_ERR_INVALID;
    }
    if (!valid(&p))
        return JIJU_ERR_INVALID;
    *out = p;
    return JIJU_OK;
}

int period_is_valid(const char *text)
{
    period p;
    return period_parse(text, &p) == JIJU_OK;
}

int period_format(const period *p, char *buf, size_t cap)
{
    if (!valid(p) || !buf || cap < PERIOD_TEXT_CAP)
        return JIJU_ERR_INVALID;
    switch (p->kind) {
    case PERIOD_YEAR:
        snprintf(buf, cap, "%04d", p->year);
        break;
    case PERIOD_QUARTER:
        snprintf(buf, cap, "%04dQ%d", p->year, p->index);
        break;
    case PERIOD_MONTH:
        snprintf(buf, cap, "%04d-%02d", p->year, p->index);
        break;
    }
    return JIJU_OK;
}

/* Days from 1970-01-01 to y-m-01 in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil, restricted to the years we accept). */
static int64_t days_from_civil(int64_t y, int m)
{
    y -= m <= 2;
    int64_t era = y / 400; /* y >= 1999 here, so no negative rounding */
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* First month (1..12) of p. */
static int first_month(const period *p)
{
    switch (p->kind) {
    case PERIOD_QUARTER:
        return (p->index - 1) * 3 + 1;
    case PERIOD_MONTH:
        return p->index;
    case PERIOD_YEAR:
        break;
    }
    return 1;
}

static int months_in(period_kind kind)
{
    return kind == PERIOD_YEAR ? 12 : kind == PERIOD_QUARTER ? 3 : 1;
}

int64_t period_start_ms(const period *p)
{
    return days_from_civil(p->year, first_month(p)) * MS_PER_DAY;
}

int64_t period_end_ms(const period *p)
{
    int m = first_month(p) - 1 + months_in(p->kind); /* 0-based, may be 12 */
    return days_from_civil(p->year + m / 12, m % 12 + 1) * MS_PER_DAY;
}

/* p shifted by step periods of its kind (step is -1 or +1). */
static int shift(const period *p, int step, period *out)
{
    if (!valid(p) || !out)
        return JIJU_ERR_INVALID;
    period q = *p;
    if (q.kind == PERIOD_YEAR) {
        q.year += step;
    } else {
        int n = index_max(q.kind);
        int i = q.year * n + (q.index - 1) + step;
        q.year = i / n;
        q.index = i % n + 1;
    }
    if (!valid(&q))
        return JIJU_ERR_NOT_FOUND;
    *out = q;
    return JIJU_OK;
}

int period_previous(const period *p, period *out)
{
    return shift(p, -1, out);
}

int period_next(const period *p, period *out)
{
    return shift(p, +1, out);
}

int period_at_ms(period_kind kind, int64_t ms, period *out)
{
    if (!out || index_max(kind) < 0)
        return JIJU_ERR_INVALID;
    period lo = {PERIOD_YEAR_MIN, PERIOD_YEAR, 0};
    period hi = {PERIOD_YEAR_MAX, PERIOD_YEAR, 0};
    if (ms < period_start_ms(&lo) || ms >= period_end_ms(&hi))
        return JIJU_ERR_NOT_FOUND;
    /* Guess the year from the mean Gregorian year, then correct by one. */
    int64_t days = ms / MS_PER_DAY;
    int year = (int)(1970 + days * 400 / 146097);
    while (days_from_civil(year, 1) > days)
        year--;
    while (days_from_civil(year + 1, 1) <= days)
        year++;
    int month = 12;
    while (days_from_civil(year, month) > days)
        month--;
    period p = {year, kind, 0};
    if (kind == PERIOD_QUARTER)
        p.index = (month - 1) / 3 + 1;
    else if (kind == PERIOD_MONTH)
        p.index = month;
    *out = p;
    return JIJU_OK;
}

int period_compare(const period *a, const period *b)
{
    int64_t sa = period_start_ms(a), sb = period_start_ms(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1; /* YEAR < QUARTER < MONTH: longer first */
    return 0;
}

int period_year(const period *p)
{
    return p->year;
}
