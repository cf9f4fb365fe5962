/* tz.h - the jurisdiction's time zone (default Asia/Shanghai): where a
 * period begins and ends, when its reporting deadline falls, and how a time
 * is written for people. The wire keeps epoch milliseconds (UTC); only what
 * is computed from the local calendar or shown to a person uses the zone.
 *
 * The zone comes from the system's tz database (Debian's tzdata,
 * /usr/share/zoneinfo or $TZDIR), read by the C library: tz_use sets TZ for
 * the process once at start-up, before any thread, and localtime_r and
 * mktime do the rest. No offset is written down here. */
#ifndef JIJU_TZ_H
#define JIJU_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

struct period; /* period.h */

#define TZ_DEFAULT "Asia/Shanghai"
/* Buffer size for tz_format_ms ("2023-01-16T00:00:00.000+08:00" and NUL). */
#define TZ_TEXT_CAP 40

/* 0 if zone names a zone of the tz database (e.g. "Asia/Shanghai", "UTC"),
 * else -1 with the reason in err. */
int tz_valid(const char *zone, char *err, size_t cap);

/* Use zone for this process (validated as tz_valid). Call at start-up,
 * before threads. 0 or -1 with the reason in err. */
int tz_use(const char *zone, char *err, size_t cap);

/* A service's `key` setting (e.g. "time_zone"): tz_use(zone), or -1 with
 * err->key and err->reason filled for the config refusal (file, key,
 * reason). Config checks call it, so the zone is in force from start-up. */
int tz_use_setting(const char *key, const char *zone, cfg_error *err);

/* The zone in use ("" before tz_use). */
const char *tz_name(void);

/* Epoch ms of local midnight starting day `day` of `month` of `year`;
 * month and day may run past their range (month 13 = January next year,
 * day 32 of January = 1 February), as mktime normalises. */
int64_t tz_midnight_ms(int year, int month, int day);

/* First local millisecond of p, and the first after it. */
int64_t tz_period_start_ms(const struct period *p);
int64_t tz_period_end_ms(const struct period *p);

/* Local midnight `days` calendar days after p's end ("period end + N
 * days", the reporting deadline of seed 五.三). */
int64_t tz_deadline_ms(const struct period *p, int64_t days);

/* RFC 3339 local time with its offset, e.g. "2023-01-16T00:00:00+08:00"
 * (milliseconds shown when not zero), into buf (cap >= TZ_TEXT_CAP). */
const char *tz_format_ms(int64_t ms, char *buf, size_t cap);

#endif
