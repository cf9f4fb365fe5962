/* log.h - one line per event, key=value pairs, to stderr.
 *
 *   log_info("report_accepted", "seq=%llu cluster=%s", seq, id);
 * prints
 *   ts=2026-11-26T08:00:00.123Z level=info svc=ingest event=report_accepted seq=42 cluster=X
 *
 * The level is checked before formatting (as Redis serverLog does). Library
 * code returns errors and does not log; services log at the edge. */
#ifndef JIJU_LOG_H
#define JIJU_LOG_H

#include <stdint.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

extern log_level log_min_level;

/* Set the service name printed as svc= and the minimum level.
 * JIJU_LOG_LEVEL=debug|info|warn|error in the environment overrides min. */
void log_init(const char *service, log_level min);

void log_emit(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_at(lvl, event, ...)                                                                    \
    do {                                                                                           \
        if ((lvl) >= log_min_level)                                                                \
            log_emit((lvl), (event), __VA_ARGS__);                                                 \
    } while (0)

/* Rate-limited lines, for events a peer can repeat at will (a bad frame, a
 * HELLO, a refused key): at most LOG_LIMIT_BURST lines per call site in
 * each LOG_LIMIT_WINDOW_MS; the first line after a window in which lines
 * were dropped is preceded by one
 *   event=log_suppressed of=<event> count=<dropped> window_ms=<window>
 * so nothing is silently lost from the count. State is per call site. */
#define LOG_LIMIT_BURST 10
#define LOG_LIMIT_WINDOW_MS 10000
typedef struct log_limit {
    int64_t window_start;
    uint32_t in_window;
    uint64_t suppressed;
} log_limit;
/* 1: emit this line (after reporting what was suppressed); 0: drop it. */
int log_limit_pass(log_limit *l, const char *event);
uint64_t log_suppressed_total(void);
#define log_limited(lvl, event, ...)                                                               \
    do {                                                                                           \
        static log_limit log_limit_site_;                                                          \
        if ((lvl) >= log_min_level && log_limit_pass(&log_limit_site_, (event)))                   \
            log_emit((lvl), (event), __VA_ARGS__);                                                 \
    } while (0)

#define log_debug(event, ...) log_at(LOG_DEBUG, event, __VA_ARGS__)
#define log_info(event, ...) log_at(LOG_INFO, event, __VA_ARGS__)
#define log_warn(event, ...) log_at(LOG_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_at(LOG_ERROR, event, __VA_ARGS__)

#endif
