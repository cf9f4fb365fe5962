/* log.c - key=value line logging. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

log_level log_min_level = LOG_INFO;
static char log_service[32] = "jiju";

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *service, log_level min)
{
    const char *env = getenv("JIJU_LOG_LEVEL");

    snprintf(log_service, sizeof log_service, "%s", service ? service : "jiju");
    log_min_level = min;
    if (env) {
        for (int i = 0; i < 4; i++)
            if (strcasecmp(env, level_names[i]) == 0)
                log_min_level = (log_level)i;
    }
}

static uint64_t log_suppressed_all;

static int64_t log_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int log_limit_pass(log_limit *l, const char *event)
{
    int64_t now = log_now_ms();

    if (l->window_start == 0 || now - l->window_start >= LOG_LIMIT_WINDOW_MS) {
        if (l->suppressed > 0)
            log_emit(LOG_WARN, "log_suppressed", "of=%s count=%llu window_ms=%d", event,
                     (unsigned long long)l->suppressed, LOG_LIMIT_WINDOW_MS);
        l->window_start = now;
        l->in_window = 0;
        l->suppressed = 0;
    }
    if (l->in_window < LOG_LIMIT_BURST) {
        l->in_window++;
        return 1;
    }
    l->suppressed++;
    log_suppressed_all++;
    return 0;
}

uint64_t log_suppressed_total(void)
{
    return log_suppressed_all;
}

void log_emit(log_level level, const char *event, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof line, "ts=%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ level=%s svc=%s event=%s ",
                          ts.tv_nsec / 1000000, level_names[level], log_service, event);
    if (n < sizeof line) {
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
    }
    /* One write per line so lines of concurrent processes do not interleave. */
    fprintf(stderr, "%s\n", line);
}
