/* tz.c - the jurisdiction's time zone over the C library's tz database
 * reader (see tz.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* tm_gmtoff */
#endif
#include "tz.h"

#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char zone_in_use[128];

static const char *tz_dir(void)
{
    const char *d = getenv("TZDIR");

    return d && *d ? d : "/usr/share/zoneinfo";
}

int tz_valid(const char *zone, char *err, size_t cap)
{
    char path[512], magic[4];
    FILE *f;
    size_t n;

    if (!zone || !*zone || strlen(zone) >= sizeof zone_in_use || zone[0] == '/' || zone[0] == ':' ||
        strstr(zone, "..")) {
        snprintf(err, cap, "\"%s\" is not a time zone name (e.g. Asia/Shanghai)", zone ? zone : "");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", tz_dir(), zone);
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, cap, "unknown time zone \"%s\": no %s (is tzdata installed?)", zone, path);
        return -1;
    }
    n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (n != sizeof magic || memcmp(magic, "TZif", 4) != 0) {
        snprintf(err, cap, "unknown time zone \"%s\": %s is not a tz database file", zone, path);
        return -1;
    }
    return 0;
}

int tz_use(const char *zone, char *err, size_t cap)
{
    if (tz_valid(zone, err, cap) < 0)
        return -1;
    if (setenv("TZ", zone, 1) != 0) {
        snprintf(err, cap, "cannot set TZ");
        return -1;
    }
    tzset();
    snprintf(zone_in_use, sizeof zone_in_use, "%s", zone);
    return 0;
}

int tz_use_setting(const char *key, const char *zone, cfg_error *err)
{
    if (tz_use(zone, err->reason, sizeof err->reason) == 0)
        return 0;
    snprintf(err->key, sizeof err->key, "%s", key);
    return -1;
}

const char *tz_name(void)
{
    return zone_in_use;
}

int64_t tz_midnight_ms(int year, int month, int day)
{
    struct tm tm = {0};

    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_isdst = -1; /* the zone's rule decides */
    return (int64_t)mktime(&tm) * 1000;
}

/* First month (1-based) of p. */
static int first_month(const period *p)
{
    return p->kind == PERIOD_YEAR ? 1 : p->kind == PERIOD_QUARTER ? 3 * p->index - 2 : p->index;
}

static int months(const period *p)
{
    return p->kind == PERIOD_YEAR ? 12 : p->kind == PERIOD_QUARTER ? 3 : 1;
}

int64_t tz_period_start_ms(const period *p)
{
    return tz_midnight_ms(p->year, first_month(p), 1);
}

int64_t tz_period_end_ms(const period *p)
{
    return tz_midnight_ms(p->year, first_month(p) + months(p), 1);
}

int64_t tz_deadline_ms(const period *p, int64_t days)
{
    return tz_midnight_ms(p->year, first_month(p) + months(p), 1 + (int)days);
}

const char *tz_format_ms(int64_t ms, char *buf, size_t cap)
{
    int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - sec * 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    long off;
    size_t n;

    if (!localtime_r(&t, &tm)) {
        snprintf(buf, cap, "%lld", (long long)ms);
        return buf;
    }
    n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        n += (size_t)snprintf(buf + n, cap - n, ".%03d", frac);
    off = tm.tm_gmtoff;
    if (off == 0 && n < cap) {
        snprintf(buf + n, cap - n, "Z");
        return buf;
    }
    snprintf(buf + n, cap - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
             labs(off) % 3600 / 60);
    return buf;
}
