/* bench_e2e.h - what bench_e2e's files share: one phase's figures, a live
 * stack with its subscribers and its measured phases (bench_e2e_live.c),
 * the clock (bench_e2e_clock.c), the configurations; the table driver
 * (bench_e2e.c) and the soak (bench_e2e_soak.c) use them. */
#ifndef JIJU_BENCH_E2E_H
#define JIJU_BENCH_E2E_H

#include "bench_e2e_scrape.h"
#include "bench_e2e_stack.h"

#define E2E_STAGES 3

typedef struct e2e_run {
    double acc, app, arch, deliv, hook;
    long n_want, n_app, n_deliv, n_hook; /* of M, when the round stopped waiting */
    double hook_again;                   /* POSTs of a report posted before: retries */
    double hook_after_ms;                /* the last POST, after the rest was done */
    double cpu_us[4];                /* ingest (all replicas), assessment, archive, notification */
    double lat_acc[3], lat_deliv[3]; /* p50, p99, p999 in ms */
    /* the latency phase by stage, p50/p99/p999 ms: from the send to the
     * follower's ReportAccepted on assessment's events (applied) and to the
     * first subscriber's delivery; and each stage alone, per report:
     * ACCEPTED -> applied, applied -> first subscriber, first -> last */
    double lat_app[3], lat_first[3], stage[E2E_STAGES][3];
    e2e_dec dec; /* where the latency phase's submit->ACCEPTED went */
} e2e_run;

/* One saturation phase: m reports, the g0-th.. of the stack, ids prefix + i. */
typedef struct e2e_phase {
    long m, g0;
    char prefix[32];
    int hook_grace_ms; /* after the rest is done; 0: do not wait for the webhook */
} e2e_phase;

/* A running stack of one configuration with its peers in this process: the
 * clusters registered, the 20 subscribers, the follower and the webhook
 * receiver. */
typedef struct e2e_live e2e_live;

/* Configuration c's stack started and caught up into *l (caller owns it,
 * also on failure: e2e_live_down). 0, or -1. */
int e2e_live_up(e2e_live **l, const e2e_opts *o, int c);
/* Stopped; its directory kept if keep (to read the logs). */
void e2e_live_down(e2e_live **l, int keep);
/* One saturation phase on l (bench_e2e_live.c, phase_saturate). 0, or -1. */
int e2e_live_saturate(e2e_live *l, const e2e_opts *o, int c, e2e_run *run, const e2e_phase *ph);
/* The latency phase of round `round` after a saturation phase: M/10 more
 * reports at 10% of the accepted/s just measured. 0, or -1. */
int e2e_live_latency(e2e_live *l, const e2e_opts *o, int c, e2e_run *run, int round);
/* 0 if every service of l still runs; -1 (said on stderr) otherwise. */
int e2e_live_alive(e2e_live *l);
const e2e_stack *e2e_live_stack(const e2e_live *l);
long e2e_live_hook_posts(e2e_live *l); /* webhook POSTs answered so far */

/* Monotonic ms, less the time the whole process was stopped (SIGSTOP of the
 * run, then SIGCONT): once e2e_pause_watch() has started, a gap of more than
 * E2E_PAUSE_MS between two readings by any thread counts as paused, not as
 * elapsed, and a thread reads the clock every 100 ms so that no gap of a
 * running process comes near it. Without the watch: the monotonic clock. */
#define E2E_PAUSE_MS 2000
double e2e_now_ms(void);
int e2e_pause_watch(void);
double e2e_paused_ms(void); /* in all so far */

/* The configurations (bench_e2e.c's header): clusters and ingest replicas
 * of configuration c, 0 <= c < N_CONF; $BENCH_E2E_CLUSTERS, if set, for
 * the clusters of 2 and 3. */
#define N_CONF 5
long e2e_conf_clusters(int c);
int e2e_conf_replicas(int c);
void e2e_conf_from_env(void);

/* Soak mode (bench_e2e_soak.c): o->reports through configuration c in
 * o->steps phases, a sample of every service's RSS and disk after each. */
#define SOAK_MAX_STEPS 100
int e2e_soak_run(const e2e_opts *o, int c);

#endif
