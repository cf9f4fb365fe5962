/* clock.c - wall clock with a file override for tests. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    const char *path = getenv("JIJU_CLOCK_FILE");
    struct timespec ts;

    if (path && *path) {
        FILE *f = fopen(path, "r");
        long long v = 0;
        int ok = f && fscanf(f, "%lld", &v) == 1;

        if (f)
            fclose(f);
        if (ok)
            return (int64_t)v;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *clock_format_ms(int64_t ms, char *buf, size_t cap)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    gmtime_r(&sec, &tm);
    n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", (int)(ms % 1000));
    return buf;
}
