/* clock.h - the time every service uses, injectable for tests.
 *
 * By default the real UTC clock. If the environment variable JIJU_CLOCK_FILE
 * names a file, the time is read from it on every call: it holds ms since the
 * Unix epoch as decimal text. Tests write the file to move time forward, so
 * nothing sleeps to reach a deadline. */
#ifndef JIJU_CLOCK_H
#define JIJU_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch, UTC (possibly injected). */
int64_t clock_now_ms(void);

/* Monotonic milliseconds, never injected (timeouts, heartbeats). */
int64_t clock_mono_ms(void);
/* The same clock in microseconds (time budgets of a loop turn, latency metrics). */
int64_t clock_mono_us(void);

/* RFC 3339 UTC text of ms ("2026-11-26T08:00:00.123Z") into buf (>= 32). */
const char *clock_format_ms(int64_t ms, char *buf, size_t cap);

#endif
