/* metrics.h - the process's figures, rendered in the Prometheus text
 * exposition format (version 0.0.4) for GET /metrics (metrics_http.h).
 *
 * One registry per process (a service is one process): any module asks for
 * a family by name and adds to it, without plumbing. Families are counters,
 * gauges or histograms with fixed bucket bounds; each holds series told
 * apart by a label string made with metrics_labels(). Everything runs in the
 * service's one loop thread (the HTTP listener is served in that loop), so
 * nothing here locks.
 *
 * Gauges that describe state the loop already holds (stream cursors,
 * backlogs, the chain head) are not kept up to date on every change: a
 * collector (metrics_on_collect) sets them when a scrape asks. Families made
 * with metrics_gauge_collected() are emptied before the collectors run, so a
 * series whose subject went away (a disconnected peer) disappears.
 *
 * Names follow Prometheus conventions: jiju_<area>_<what>_<unit>, counters
 * end in _total, times in seconds, sizes in bytes. A family holds at most
 * METRICS_MAX_SERIES series: label values come from peers (producer ids,
 * subscriber ids), and a registry must not grow with whatever they send;
 * extra series are dropped and counted in jiju_metrics_series_dropped_total. */
#ifndef JIJU_METRICS_H
#define JIJU_METRICS_H

#include <stddef.h>

#define METRICS_MAX_SERIES 512
#define METRICS_MAX_BUCKETS 24
#define METRICS_LABELS_MAX 512

typedef struct metrics_family metrics_family;

/* Get or create a family. name and help must be static strings. Asking again
 * with the same name returns the same family (NULL if the type differs). */
metrics_family *metrics_counter(const char *name, const char *help);
metrics_family *metrics_gauge(const char *name, const char *help);
metrics_family *metrics_gauge_collected(const char *name, const char *help);
/* bounds: ascending upper bounds (le) without +Inf, at most METRICS_MAX_BUCKETS. */
metrics_family *metrics_histogram(const char *name, const char *help, const double *bounds,
                                  size_t n_bounds);

/* Bucket bounds shared by every service (seconds; records per commit). */
extern const double metrics_latency_buckets[];
extern const size_t metrics_n_latency_buckets;
extern const double metrics_size_buckets[];
extern const size_t metrics_n_size_buckets;

/* Series by label string ("" for none): counters add (v >= 0), gauges set,
 * histograms observe. NULL family: no-op (a family that could not be made). */
void metrics_add(metrics_family *f, const char *labels, double v);
void metrics_set(metrics_family *f, const char *labels, double v);
void metrics_observe(metrics_family *f, const char *labels, double v);
/* The current value of a counter or gauge series (0 if absent), for tests. */
double metrics_value(metrics_family *f, const char *labels);

/* Label string from name/value pairs ending with NULL:
 *   metrics_labels(buf, sizeof buf, "stream", "reports", "code", code, NULL)
 * gives stream="reports",code="E_X", values escaped (\\, \", \n) and cut to
 * 128 bytes each. Returns buf. */
char *metrics_labels(char *buf, size_t cap, ...) __attribute__((sentinel));

/* Collectors run before every render, in registration order. */
typedef void (*metrics_collect_fn)(void *arg);
int metrics_on_collect(metrics_collect_fn fn, void *arg);
/* Forget every collector registered with arg (before freeing arg). */
void metrics_cancel(void *arg);

/* Run the collectors and render every family: a malloc'd, NUL-terminated
 * text (caller frees), its length in *len. NULL when out of memory. */
char *metrics_render(size_t *len);

/* A collector of the process's own figures from /proc/self (Prometheus's
 * standard names): process_resident_memory_bytes, process_open_fds,
 * process_max_fds, process_cpu_seconds_total, process_start_time_seconds,
 * and jiju_process_open_sockets. arg is unused. */
void metrics_process_collect(void *arg);

/* Drop every family and collector (tests; the end of a process). */
void metrics_reset(void);

#endif
