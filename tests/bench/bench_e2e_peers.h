/* bench_e2e_peers.h - what bench_e2e runs beside the stack in this process
 * to see reports arrive: the tally of a consumer, the tracking of a
 * phase's reports, the 20 department subscribers, the webhook receiver and
 * the follower of assessment's "events". Private to bench_e2e*.c. */
#ifndef JIJU_BENCH_E2E_PEERS_H
#define JIJU_BENCH_E2E_PEERS_H

#include <pthread.h>
#include <stdatomic.h>

#include "bench_e2e.h"

/* How many of a phase's reports a consumer has, and when the last came. */
typedef struct e2e_tally {
    atomic_long n;
    _Atomic double t_last;
} e2e_tally;

/* The reports of one phase: when each was sent, accepted, seen on
 * assessment's events by the follower (applied), delivered to the first
 * subscriber and to the last. */
typedef struct e2e_track {
    long n;
    double *t_send, *t_acc, *t_app, *t_first, *t_deliv;
    atomic_int *n_deliv;   /* subscribers that have it */
    atomic_char *hooked;   /* its webhook POST came */
    atomic_long hook_dup;  /* POSTs of a report that came before (retries) */
    e2e_tally deliv, hook; /* delivered to all N_SUBS; webhook POSTs */
    char prefix[32];
    /* $BENCH_E2E_TRACE: every record the follower got while tracking,
     * its time, Envelope body case and size (what else shares the path) */
    struct e2e_seen {
        double t;
        int kind, len;
    } * seen;
    long n_seen, cap_seen;
} e2e_track;

/* One of the 20 department subscribers: a store-less consumer thread of
 * its deliveries that acks, as a department system would. */
typedef struct e2e_sub {
    char endpoint[64], id[16];
    e2e_track *volatile track; /* the phase being measured, NULL between */
    atomic_int stop, ready;
    int rc;
    pthread_t th;
} e2e_sub;

/* The webhook receiver (libmicrohttpd), answering every POST 204. */
typedef struct e2e_hook {
    struct MHD_Daemon *d;
    e2e_track *volatile track;
    atomic_long posts; /* every POST answered, tracked or not */
} e2e_hook;

/* ReportAccepted of ours on assessment's "events", followed from seq 1.
 * Runs beside the subscribers. */
typedef struct e2e_follow {
    char endpoint[64];
    e2e_track *volatile track;
    e2e_tally app;
    atomic_int stop, ready;
    pthread_t th;
} e2e_follow;

void e2e_tally_add(e2e_tally *c);

/* The index i of "prefix<i>" in bytes, or -1. */
long e2e_track_index(const e2e_track *t, const void *data, size_t len);
/* n reports with ids prefix + i: 0, or -1 (no memory). */
int e2e_track_init(e2e_track *t, long n, const char *prefix);
void e2e_track_free(e2e_track *t);

/* The N_SUBS subscribers of st's notification: started, stopped, given the
 * phase to track (NULL between phases), and waited for until each follows. */
int e2e_subs_start(e2e_sub *subs, const e2e_stack *st);
void e2e_subs_stop(e2e_sub *subs);
void e2e_subs_track(e2e_sub *subs, e2e_track *t);
int e2e_subs_wait_ready(e2e_sub *subs, e2e_stack *st);

int e2e_hook_start(e2e_hook *h, int port);
void e2e_hook_stop(e2e_hook *h);

/* The follower's thread (pthread_create with an e2e_follow). */
void *e2e_follow_main(void *arg);

#endif
