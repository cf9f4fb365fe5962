/* period.h - reporting periods: "2023" (year), "2023Q1".."2023Q4" (quarter),
 * "2023-01".."2023-12" (month), years 2000..2999, all in UTC.
 *
 * Parsing is strict: no spaces, no lower-case 'q', two-digit months, nothing
 * after the period. A period covers [period_start_ms, period_end_ms): the end
 * is the first millisecond of the next period of the same kind. */
#ifndef JIJU_PERIOD_H
#define JIJU_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#define PERIOD_YEAR_MIN 2000
#define PERIOD_YEAR_MAX 2999
/* Buffer size that holds any formatted period with its NUL ("2023-05"). */
#define PERIOD_TEXT_CAP 8

typedef enum period_kind {
    PERIOD_YEAR = 1, /* index is 0 */
    PERIOD_QUARTER,  /* index is 1..4 */
    PERIOD_MONTH,    /* index is 1..12 */
} period_kind;

typedef struct period {
    int year; /* 2000..2999 */
    period_kind kind;
    int index; /* 0 for a year, quarter 1..4, month 1..12 */
} period;

/* Parse text into *out. JIJU_OK, or JIJU_ERR_INVALID (out untouched). */
int period_parse(const char *text, period *out);

/* 1 if text is a valid period, 0 otherwise. */
int period_is_valid(const char *text);

/* Write the canonical text of p into buf (cap >= PERIOD_TEXT_CAP).
 * JIJU_OK, or JIJU_ERR_INVALID for an out-of-range p or a short buffer. */
int period_format(const period *p, char *buf, size_t cap);

/* First millisecond of p, UTC (ms since the Unix epoch). p must be valid. */
int64_t period_start_ms(const period *p);

/* First millisecond after p (start of the next period of the same kind). */
int64_t period_end_ms(const period *p);

/* The period of the same kind just before p (2023 -> 2022, 2023Q1 ->
 * 2022Q4, 2023-01 -> 2022-12). JIJU_ERR_NOT_FOUND when it would fall
 * before PERIOD_YEAR_MIN, JIJU_ERR_INVALID for an invalid p. */
int period_previous(const period *p, period *out);

/* The period of the same kind just after p; JIJU_ERR_NOT_FOUND past
 * PERIOD_YEAR_MAX. */
int period_next(const period *p, period *out);

/* The period of the given kind that contains ms (UTC). JIJU_ERR_NOT_FOUND
 * when ms falls outside years 2000..2999. */
int period_at_ms(period_kind kind, int64_t ms, period *out);

/* Order by start; periods that start together order longer first
 * (2023 < 2023Q1 < 2023-01). Returns <0, 0 or >0. */
int period_compare(const period *a, const period *b);

/* The calendar year p belongs to. */
int period_year(const period *p);

#endif
