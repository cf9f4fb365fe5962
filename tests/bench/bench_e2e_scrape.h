/* bench_e2e_scrape.h - where the latency phase's submit->ACCEPTED goes:
 * what ingest's /metrics says of its own turns and fsyncs (histogram
 * deltas over the phase, scraped with libcurl before and after it), and how
 * long each party's threads waited on a run queue for a CPU
 * (/proc/<pid>/task/<tid>/schedstat: ns run, ns waited, time slices).
 * Private to bench_e2e*.c. */
#ifndef JIJU_BENCH_E2E_SCRAPE_H
#define JIJU_BENCH_E2E_SCRAPE_H

#include <sys/types.h>

#include "bench_e2e_stack.h"

/* Ingest's histograms read: the submit turn (a request's own turn, from the
 * wake-up that read it to its reply), every loop turn (what a request can
 * wait behind), the fsync of a synced commit. */
enum { E2E_H_SUBMIT, E2E_H_LOOP, E2E_H_FSYNC, E2E_N_HIST };
#define E2E_HIST_MAX 24

typedef struct e2e_hist {
    int n;                                      /* buckets, the last +Inf */
    double le[E2E_HIST_MAX], cum[E2E_HIST_MAX]; /* bound (s), count at or below */
    double sum;                                 /* s */
} e2e_hist;

/* Who waits for a CPU: ingest's loop thread, its ZeroMQ I/O thread, its
 * other threads (RocksDB's, the reaper); the three services behind it; this
 * process's peers (subscribers, follower, webhook receiver and their I/O
 * threads); the client (the latency phase's sender threads with their
 * ZeroMQ I/O threads, read by each sender when it ends). */
enum { E2E_W_LOOP, E2E_W_IO, E2E_W_REST, E2E_W_BEHIND, E2E_W_PEERS, E2E_W_CLIENT, E2E_N_W };

typedef struct e2e_sched {
    double run_ns, wait_ns, slices;
} e2e_sched;

typedef struct e2e_snap {
    e2e_hist h[E2E_N_HIST]; /* summed over the replicas */
    e2e_sched w[E2E_N_W];   /* E2E_W_CLIENT stays 0: the senders add theirs */
} e2e_snap;

/* What the phase between two snapshots shows, per round. */
typedef struct e2e_dec {
    double turn99, turn_mean, loop99, fsync99; /* ms; -1 when not scraped */
    double requests;                           /* submit turns observed */
    double wait_us[E2E_N_W];                   /* waited for a CPU, µs per request */
    double loop_wait_slice_us;                 /* ingest's loop thread, µs per wake-up */
    double cpu[E2E_N_W];                       /* CPU used, % of one core */
} e2e_dec;

/* Ingest's histograms (every replica of st, by its metrics port) and every
 * party's schedstat into *s: 0, or -1 (a scrape failed: histograms 0). */
int e2e_snap_take(e2e_snap *s, const e2e_stack *st);
/* This thread's schedstat and that of this process's threads whose name
 * starts with io_prefix (its ZeroMQ context's I/O thread), added to *w. */
void e2e_sched_self(e2e_sched *w, const char *io_prefix);
/* *to += *from. */
void e2e_sched_add(e2e_sched *to, const e2e_sched *from);
/* The phase from a to b, ms long, with the client's waits cli. */
void e2e_dec_of(e2e_dec *d, const e2e_snap *a, const e2e_snap *b, const e2e_sched *cli, double ms);
/* The q-quantile (0..1) of b - a, in s, interpolated within its bucket as
 * Prometheus's histogram_quantile does; -1 if empty. */
double e2e_hist_quantile(const e2e_hist *a, const e2e_hist *b, double q);

#endif
