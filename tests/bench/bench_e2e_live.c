/* bench_e2e_live.c - a live stack of one configuration (bench_e2e.h): its
 * services started, the clusters registered, its peers running; ingest
 * driven by one sender thread per replica; the two measured phases
 * (saturation, latency) with their rates, percentiles and CPU. */
#include <pthread.h>
#include <stdatomic.h>

#include "bench_e2e_peers.h"
#include "envelope.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "rpc.h"

#define REPLY_MS 30000
#define SOAK_REPLY_MS 600000 /* a soak may be stopped (SIGSTOP) for minutes, requests in flight */
#define DONE_MS 180000       /* after the last ACCEPTED, at most this for the rest */
#define STALL_MS 15000       /* nothing moved for this long: stop waiting */

/* 4 (200 clusters, 2 replicas) only when asked for: the 1 -> 3 replica curve */
static long conf_clusters[N_CONF] = {200, 200, 2000, 2000, 200}; /* $BENCH_E2E_CLUSTERS: 2, 3 */
static const int conf_replicas[N_CONF] = {1, 3, 1, 3, 2};

/* ---- driving ingest ---- */

/* One sender thread per replica: its share i = k mod R of the requests,
 * at most win in flight, optionally paced at rate/s (0: as fast as it
 * goes). Stamps t_send and t_acc of tracked reports. Its ZeroMQ context's
 * I/O thread is named E2E_DRIVE_IO/ZMQbg/IO/0, so that the sender can read
 * the run-queue waits of both when it ends (sched). */
#define E2E_DRIVE_IO 900
typedef struct e2e_drive {
    char endpoint[64];
    const e2e_reqs *rs;
    e2e_track *track;
    int k, of, win, reply_ms;
    double rate, t_last;
    long accepted, refused;
    e2e_sched sched;
    pthread_t th;
} e2e_drive;

static int drive_take(e2e_drive *d, rpc_t *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Jiju__V1__SubmitReply *rep;
    long i;

    if (rpc_recv(r, d->reply_ms, &buf, &len, NULL) != JIJU_OK)
        return -1;
    rep = jiju__v1__submit_reply__unpack(NULL, len, buf);
    free(buf);
    if (!rep)
        return -1;
    if (rep->status == JIJU__V1__SUBMIT_STATUS__ACCEPTED) {
        d->accepted++;
        if (d->track &&
            (i = e2e_track_index(d->track, rep->request_id, strlen(rep->request_id))) >= 0)
            d->track->t_acc[i] = e2e_now_ms();
    } else if (d->refused++ < 3) {
        fprintf(stderr, "%s: status %d %s\n", rep->request_id, (int)rep->status,
                rep->n_problems ? rep->problems[0]->code : "");
    }
    rpc_done(r, rep->request_id);
    jiju__v1__submit_reply__free_unpacked(rep, NULL);
    return 0;
}

static void *drive_main(void *arg)
{
    e2e_drive *d = arg;
    void *ctx = zmq_ctx_new();
    const char *eps[] = {d->endpoint};
    rpc_t *r = ctx && zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, E2E_DRIVE_IO + d->k) == 0
                   ? rpc_new(ctx, eps, 1, d->reply_ms)
                   : NULL;
    double t0 = e2e_now_ms();
    long mine = 0;
    char io[32];

    pthread_setname_np(pthread_self(), "e2e-drive"); /* for perf sched's trace */

    for (long i = d->k; r && i < d->rs->n; i += d->of) {
        while (rpc_pending(r) >= (size_t)d->win)
            if (drive_take(d, r) != 0)
                goto out;
        if (d->rate > 0) /* paced: the mine-th of this sender is due at mine/rate */
            while (e2e_now_ms() < t0 + 1e3 * (double)mine / d->rate)
                if (rpc_pending(r) > 0 ? drive_take(d, r) != 0 : (usleep(100), 0))
                    goto out;
        if (d->track) /* the request ids are the tracked report ids */
            d->track->t_send[i] = e2e_now_ms();
        if (rpc_send(r, d->rs->id[i], d->rs->buf[i], d->rs->len[i]) != JIJU_OK)
            goto out;
        mine++;
    }
    while (r && rpc_pending(r) > 0)
        if (drive_take(d, r) != 0)
            break;
out:
    d->t_last = e2e_now_ms();
    snprintf(io, sizeof io, "%d/ZMQbg/IO", E2E_DRIVE_IO + d->k);
    e2e_sched_self(&d->sched, io); /* both threads' whole lives: this phase */
    rpc_destroy(&r);
    zmq_ctx_term(ctx);
    return NULL;
}

/* Send rs over the stack's replicas with win in flight in all; 0 when all
 * were ACCEPTED. *t_end: the last reply; *cli (if not NULL): the senders'
 * run-queue waits, with their I/O threads'. */
static int drive(const e2e_stack *st, const e2e_reqs *rs, e2e_track *t, int win, double rate,
                 double *t_end, e2e_sched *cli)
{
    e2e_drive d[MAX_ING];
    long acc = 0;

    for (int k = 0; k < st->replicas; k++) {
        memset(&d[k], 0, sizeof d[k]);
        ep(d[k].endpoint, sizeof d[k].endpoint, st->port[P_SUBMIT0 + k]);
        d[k].rs = rs;
        d[k].track = t;
        d[k].k = k;
        d[k].of = st->replicas;
        d[k].win = win / st->replicas > 0 ? win / st->replicas : 1;
        d[k].reply_ms = st->reply_ms;
        d[k].rate = rate / st->replicas;
        if (pthread_create(&d[k].th, NULL, drive_main, &d[k]) != 0)
            return -1;
    }
    *t_end = 0;
    for (int k = 0; k < st->replicas; k++) {
        pthread_join(d[k].th, NULL);
        acc += d[k].accepted;
        *t_end = d[k].t_last > *t_end ? d[k].t_last : *t_end;
        if (cli)
            e2e_sched_add(cli, &d[k].sched);
    }
    return acc == rs->n ? 0 : -1;
}

/* Until every replica knows the last cluster (hence all of them). */
static int wait_known(e2e_stack *st, void *ctx, long clusters)
{
    char cid[32], e[64];
    int rc = 0;

    cluster_id(cid, sizeof cid, clusters - 1);
    for (int k = 0; k < st->replicas && rc == 0; k++) {
        rpc_t *r;
        long n = 0;

        ep(e, sizeof e, st->port[P_SUBMIT0 + k]);
        r = rpc_new(ctx, (const char *[]){e}, 1, st->reply_ms);
        while (r && e2e_probe_unknown(r, n, cid) && ++n < 1200 && e2e_stack_alive(st) == 0)
            usleep(25000);
        rc = r && n < 1200 ? 0 : -1;
        rpc_destroy(&r);
    }
    return rc;
}

/* ---- the archive: has it got report id both as input and as event? ---- */

static int archived(rpc_t *r, const char *report_id)
{
    Jiju__V1__ArchiveQueryRequest q = JIJU__V1__ARCHIVE_QUERY_REQUEST__INIT;
    Jiju__V1__ArchiveQueryReply *rep;
    uint8_t *req, *buf = NULL;
    size_t len, rlen = 0;
    int in = 0, ev = 0;

    q.request_id = "e2e-arch";
    q.report_id = (char *)report_id;
    q.omit_envelope = 1;
    q.limit = 10;
    len = jiju__v1__archive_query_request__get_packed_size(&q);
    if (!(req = malloc(len)))
        return 0;
    jiju__v1__archive_query_request__pack(&q, req);
    if (rpc_call(r, req, len, &buf, &rlen) == JIJU_OK &&
        (rep = jiju__v1__archive_query_reply__unpack(NULL, rlen, buf))) {
        for (size_t i = 0; i < rep->n_records; i++) {
            in |= strcmp(rep->records[i]->stream, "reports") == 0;
            ev |= strcmp(rep->records[i]->stream, "events") == 0;
        }
        jiju__v1__archive_query_reply__free_unpacked(rep, NULL);
    }
    free(buf);
    free(req);
    return in && ev;
}

/* The archive's progress: each replica's share is archived in order, so its
 * last report found both as input and as event means all of it is. */
typedef struct e2e_arch {
    rpc_t *r;
    const e2e_reqs *rs;
    int replicas, left, done[MAX_ING];
    double t_done; /* 0 until every share is in */
} e2e_arch;

static int arch_open(e2e_arch *a, const e2e_stack *st, void *ctx, const e2e_reqs *rs)
{
    char e[64];

    memset(a, 0, sizeof *a);
    ep(e, sizeof e, st->port[P_B_QUERY]);
    a->rs = rs;
    a->replicas = a->left = st->replicas;
    a->r = rpc_new(ctx, (const char *[]){e}, 1, st->reply_ms);
    return a->r ? 0 : -1;
}

/* Ask once per share not yet in; 1 when all are. */
static int arch_poll(e2e_arch *a)
{
    for (int k = 0; k < a->replicas && a->left > 0; k++) {
        long last = a->rs->n - 1 - ((a->rs->n - 1 - k) % a->replicas);

        if (!a->done[k] && archived(a->r, a->rs->id[last])) {
            a->done[k] = 1;
            if (--a->left == 0)
                a->t_done = e2e_now_ms();
        }
    }
    return a->left == 0;
}

/* n over the time from t0 to its last arrival, and how many arrived. */
static double tally_rate(e2e_tally *c, double t0, long *arrived)
{
    long n = atomic_load(&c->n);
    double t = atomic_load(&c->t_last);

    *arrived = n;
    return n > 0 && t > t0 ? (double)n / ((t - t0) / 1e3) : 0;
}

static long tally_sum(e2e_tally *const *c, int k)
{
    long n = 0;

    for (int i = 0; i < k; i++)
        n += atomic_load(&c[i]->n);
    return n;
}

/* p50, p99, p999 of to[i] - from[i] over the reports that have both. */
static void percentiles(const double *from, const double *to, long n, double out[3])
{
    double *v = malloc((size_t)n * sizeof *v);
    long m = 0;

    out[0] = out[1] = out[2] = -1;
    if (!v)
        return;
    for (long i = 0; i < n; i++)
        if (from[i] > 0 && to[i] > 0)
            v[m++] = to[i] - from[i];
    if (m > 0) {
        qsort(v, (size_t)m, sizeof *v, bench_cmp_double);
        out[0] = v[m / 2];
        out[1] = v[(long)((double)m * 0.99) < m ? (long)((double)m * 0.99) : m - 1];
        out[2] = v[(long)((double)m * 0.999) < m ? (long)((double)m * 0.999) : m - 1];
    }
    free(v);
}

/* CPU of the four services so far, ms: ingest replicas summed. */
static void cpu_now(const e2e_stack *st, double c[4])
{
    c[0] = 0;
    for (int k = 0; k < st->replicas; k++)
        c[0] += e2e_cpu_ms(st->pid[SVC_INGEST0 + k]);
    c[1] = e2e_cpu_ms(st->pid[SVC_ASSESS]);
    c[2] = e2e_cpu_ms(st->pid[SVC_ARCHIVE]);
    c[3] = e2e_cpu_ms(st->pid[SVC_NOTIFY]);
}

/* Saturation: M reports at window; fills acc..hook and cpu_us. Waits for
 * applied, archived and delivered (one clock from the first send), then
 * up to ph->hook_grace_ms more for the webhook; a consumer not done by then is
 * measured over what it got (n_*), it does not lose the round. CPU is read
 * when applied, archived and delivered are done. */
static int phase_saturate(e2e_stack *st, void *ctx, const e2e_opts *o, long clusters, e2e_sub *subs,
                          e2e_follow *f, e2e_hook *h, e2e_run *run, const e2e_phase *ph)
{
    e2e_reqs rs = {0};
    e2e_track t;
    e2e_arch a = {0};
    double t0, t_acc = 0, c0[4], c1[4], t_core = 0, give_up, t_moved;
    long moved = -1;
    int rc = -1, have_cpu = 0;

    memset(&f->app, 0, sizeof f->app);
    if (reqs_reports(&rs, ph->m, clusters, ph->g0, ph->prefix) != 0 ||
        e2e_track_init(&t, ph->m, ph->prefix) != 0 || arch_open(&a, st, ctx, &rs) != 0)
        goto out;
    f->track = h->track = &t;
    e2e_subs_track(subs, &t);
    cpu_now(st, c0);
    t0 = e2e_now_ms();
    if (drive(st, &rs, &t, o->window, 0, &t_acc, NULL) != 0)
        goto out_untrack;
    /* at least 1,000 reports/s for the rest: a soak's large phases too */
    give_up = t_acc + (DONE_MS > (double)ph->m ? DONE_MS : (double)ph->m);
    t_moved = t_acc;
    for (;;) {
        e2e_tally *all[] = {&f->app, &t.deliv, &t.hook};
        long now_moved = tally_sum(all, 3) + (a.replicas - a.left);
        int core = arch_poll(&a) && atomic_load(&f->app.n) == t.n && atomic_load(&t.deliv.n) == t.n;
        double now = e2e_now_ms();

        if (core && !have_cpu) {
            cpu_now(st, c1);
            have_cpu = 1;
            t_core = now;
        }
        if (now_moved != moved) {
            moved = now_moved;
            t_moved = now;
        }
        if ((core && (atomic_load(&t.hook.n) == t.n || now > t_core + ph->hook_grace_ms)) ||
            now > give_up || now > t_moved + STALL_MS || e2e_stack_alive(st) != 0)
            break;
        usleep(2000);
    }
    if (!have_cpu) {
        cpu_now(st, c1);
        fprintf(stderr,
                "saturation: not all done (applied %ld, delivered %ld, archived %d of %d "
                "shares, of %ld); rates over what arrived\n",
                atomic_load(&f->app.n), atomic_load(&t.deliv.n), a.replicas - a.left, a.replicas,
                t.n);
    }
    if (e2e_stack_alive(st) != 0)
        goto out_untrack;
    run->n_want = t.n;
    run->acc = (double)t.n / ((t_acc - t0) / 1e3);
    run->app = tally_rate(&f->app, t0, &run->n_app);
    run->arch = a.t_done > 0 ? (double)t.n / ((a.t_done - t0) / 1e3) : 0;
    run->deliv = tally_rate(&t.deliv, t0, &run->n_deliv);
    run->hook = tally_rate(&t.hook, t0, &run->n_hook);
    run->hook_again = (double)atomic_load(&t.hook_dup);
    run->hook_after_ms = have_cpu && atomic_load(&t.hook.t_last) > t_core
                             ? atomic_load(&t.hook.t_last) - t_core
                             : 0; /* 0: in before the rest was done */
    for (int s = 0; s < 4; s++)
        run->cpu_us[s] = (c1[s] - c0[s]) * 1e3 / (double)t.n;
    rc = 0;
out_untrack:
    e2e_subs_track(subs, NULL);
    f->track = h->track = NULL;
    e2e_track_free(&t);
out:
    rpc_destroy(&a.r);
    reqs_free(&rs);
    return rc;
}

/* $BENCH_E2E_TRACE, if set: a file per latency phase (<value>-c<clusters>-r<replicas>-<round>.csv)
 * with each report's times in ms from the phase's first send: sent,
 * ACCEPTED, applied (the follower), first and last subscriber (0: never). */
static void trace_write(const e2e_stack *st, long clusters, int round, const e2e_track *t)
{
    const char *base = getenv("BENCH_E2E_TRACE");
    char path[600];
    FILE *fp;
    double t0 = t->n > 0 ? t->t_send[0] : 0;

    if (!base || !*base)
        return;
    snprintf(path, sizeof path, "%s-c%ld-r%d-%d.csv", base, clusters, st->replicas, round + 1);
    if (!(fp = fopen(path, "w")))
        return;
    fprintf(fp, "i,sent,accepted,applied,first,last\n");
    for (long i = 0; i < t->n; i++) {
        const double *v[] = {t->t_send, t->t_acc, t->t_app, t->t_first, t->t_deliv};

        fprintf(fp, "%ld", i);
        for (int k = 0; k < 5; k++)
            fprintf(fp, ",%.3f", v[k][i] > 0 ? v[k][i] - t0 : 0);
        fputc('\n', fp);
    }
    fclose(fp);
    snprintf(path, sizeof path, "%s-c%ld-r%d-%d-events.csv", base, clusters, st->replicas,
             round + 1);
    if (!(fp = fopen(path, "w")))
        return;
    fprintf(fp, "t,body_case,bytes\n");
    for (long i = 0; i < t->n_seen; i++)
        fprintf(fp, "%.3f,%d,%d\n", t->seen[i].t - t0, t->seen[i].kind, t->seen[i].len);
    fclose(fp);
}

/* Latency at 10% of the accepted/s just measured: reports M.. of the stack.
 * Percentiles over the reports that arrived within DONE_MS. */
static int phase_latency(e2e_stack *st, const e2e_opts *o, long clusters, e2e_sub *subs,
                         e2e_follow *f, e2e_run *run, int round)
{
    long m = o->reports / 10 > 200 ? o->reports / 10 : 200;
    e2e_reqs rs = {0};
    e2e_track t;
    e2e_snap s0, s1;
    e2e_sched cli = {0};
    char prefix[32];
    double t0, t_end, give_up;
    int rc = -1, scraped;

    snprintf(prefix, sizeof prefix, "l%d-", round);
    if (reqs_reports(&rs, m, clusters, o->reports, prefix) != 0 ||
        e2e_track_init(&t, m, prefix) != 0)
        goto out;
    memset(&f->app, 0, sizeof f->app);
    f->track = &t;
    e2e_subs_track(subs, &t);
    scraped = e2e_snap_take(&s0, st) == 0;
    t0 = e2e_now_ms();
    if (drive(st, &rs, &t, o->window, run->acc * 0.1, &t_end, &cli) != 0)
        goto out_untrack;
    scraped = e2e_snap_take(&s1, st) == 0 && scraped;
    if (!scraped)
        fprintf(stderr, "latency: ingest's /metrics not read; its turns not shown\n");
    e2e_dec_of(&run->dec, &s0, &s1, &cli, t_end - t0);
    give_up = e2e_now_ms() + DONE_MS;
    while (atomic_load(&t.deliv.n) < t.n && e2e_now_ms() < give_up)
        usleep(1000);
    if (atomic_load(&t.deliv.n) < t.n)
        fprintf(stderr, "latency: %ld of %ld delivered to all within %d s\n",
                atomic_load(&t.deliv.n), t.n, DONE_MS / 1000);
    percentiles(t.t_send, t.t_acc, t.n, run->lat_acc);
    percentiles(t.t_send, t.t_app, t.n, run->lat_app);
    percentiles(t.t_send, t.t_first, t.n, run->lat_first);
    percentiles(t.t_send, t.t_deliv, t.n, run->lat_deliv);
    percentiles(t.t_acc, t.t_app, t.n, run->stage[0]);
    percentiles(t.t_app, t.t_first, t.n, run->stage[1]);
    percentiles(t.t_first, t.t_deliv, t.n, run->stage[2]);
    trace_write(st, clusters, round, &t);
    rc = 0;
out_untrack:
    e2e_subs_track(subs, NULL);
    f->track = NULL;
    e2e_track_free(&t);
out:
    reqs_free(&rs);
    return rc;
}

static int setup_stack(e2e_stack *st, void *ctx, long clusters)
{
    e2e_reqs reg = {0};
    e2e_stack one = *st;
    double t_end;
    int ok;

    one.replicas = 1; /* registrations through the first replica */
    ok = reqs_clusters(&reg, clusters) == 0 && drive(&one, &reg, NULL, 256, 0, &t_end, NULL) == 0 &&
         wait_known(st, ctx, clusters) == 0;
    reqs_free(&reg);
    return ok ? 0 : -1;
}

struct e2e_live {
    e2e_stack st;
    e2e_sub subs[N_SUBS];
    e2e_follow f;
    e2e_hook h;
    void *ctx;
};

int e2e_live_up(e2e_live **lp, const e2e_opts *o, int c)
{
    e2e_live *l = *lp = calloc(1, sizeof *l);

    if (!l || !(l->ctx = zmq_ctx_new()) || e2e_stack_start(&l->st, o, conf_replicas[c]) != 0 ||
        e2e_hook_start(&l->h, l->st.port[P_HOOK]) != 0)
        return -1;
    l->st.reply_ms = o->soak ? SOAK_REPLY_MS : REPLY_MS;
    ep(l->f.endpoint, sizeof l->f.endpoint, l->st.port[P_A_STREAM]);
    if (setup_stack(&l->st, l->ctx, conf_clusters[c]) != 0 ||
        e2e_subs_start(l->subs, &l->st) != 0 ||
        pthread_create(&l->f.th, NULL, e2e_follow_main, &l->f) != 0 ||
        e2e_subs_wait_ready(l->subs, &l->st) != 0)
        return -1;
    while (!atomic_load(&l->f.ready))
        usleep(1000);
    return 0;
}

void e2e_live_down(e2e_live **lp, int keep)
{
    e2e_live *l = lp ? *lp : NULL;

    if (!l)
        return;
    atomic_store(&l->f.stop, 1);
    if (l->f.th)
        pthread_join(l->f.th, NULL);
    e2e_subs_stop(l->subs);
    e2e_hook_stop(&l->h);
    if (l->ctx)
        zmq_ctx_term(l->ctx);
    e2e_stack_stop(&l->st, keep);
    free(l);
    *lp = NULL;
}

int e2e_live_saturate(e2e_live *l, const e2e_opts *o, int c, e2e_run *run, const e2e_phase *ph)
{
    return phase_saturate(&l->st, l->ctx, o, conf_clusters[c], l->subs, &l->f, &l->h, run, ph);
}

int e2e_live_latency(e2e_live *l, const e2e_opts *o, int c, e2e_run *run, int round)
{
    return phase_latency(&l->st, o, conf_clusters[c], l->subs, &l->f, run, round);
}

int e2e_live_alive(e2e_live *l)
{
    return e2e_stack_alive(&l->st);
}

const e2e_stack *e2e_live_stack(const e2e_live *l)
{
    return &l->st;
}

long e2e_live_hook_posts(e2e_live *l)
{
    return atomic_load(&l->h.posts);
}

long e2e_conf_clusters(int c)
{
    return conf_clusters[c];
}

int e2e_conf_replicas(int c)
{
    return conf_replicas[c];
}

void e2e_conf_from_env(void)
{
    if (getenv("BENCH_E2E_CLUSTERS") && atol(getenv("BENCH_E2E_CLUSTERS")) > 0)
        conf_clusters[2] = conf_clusters[3] = atol(getenv("BENCH_E2E_CLUSTERS"));
}
