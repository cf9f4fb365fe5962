/* bench_e2e_peers.c - what bench_e2e runs beside the stack, in this
 * process, to see each report arrive (bench_e2e_peers.h): the 20
 * department subscribers, the webhook receiver, the follower of
 * assessment's events, and the tracking that tells which report a
 * delivered envelope or webhook body is. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bench_e2e_peers.h"
#include "jiju/v1/envelope.pb-c.h"
#include "stream_sub.h"

void e2e_tally_add(e2e_tally *c)
{
    double now = e2e_now_ms();

    atomic_fetch_add(&c->n, 1);
    atomic_store(&c->t_last, now);
}

/* ---- tracking: which report a delivered envelope or webhook body is ---- */

/* The index i of "prefix<i>" in bytes, or -1. Envelopes and webhook bodies
 * carry the report id as plain text; a byte search costs this process far
 * less than decoding, and it shares the two cores with the services. */
long e2e_track_index(const e2e_track *t, const void *data, size_t len)
{
    size_t pl = strlen(t->prefix);
    const char *p = memmem(data, len, t->prefix, pl);
    long i = 0;
    int digits = 0;

    if (!p)
        return -1;
    for (p += pl; p < (const char *)data + len && *p >= '0' && *p <= '9'; p++, digits++)
        i = i * 10 + (*p - '0');
    return digits && i < t->n ? i : -1;
}

int e2e_track_init(e2e_track *t, long n, const char *prefix)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    t->t_send = calloc((size_t)n, sizeof *t->t_send);
    t->t_acc = calloc((size_t)n, sizeof *t->t_acc);
    t->t_app = calloc((size_t)n, sizeof *t->t_app);
    t->t_first = calloc((size_t)n, sizeof *t->t_first);
    t->t_deliv = calloc((size_t)n, sizeof *t->t_deliv);
    t->n_deliv = calloc((size_t)n, sizeof *t->n_deliv);
    t->hooked = calloc((size_t)n, sizeof *t->hooked);
    if (getenv("BENCH_E2E_TRACE") && (t->seen = calloc(200000, sizeof *t->seen)))
        t->cap_seen = 200000;
    return t->t_send && t->t_acc && t->t_app && t->t_first && t->t_deliv && t->n_deliv && t->hooked
               ? 0
               : -1;
}

void e2e_track_free(e2e_track *t)
{
    free(t->t_send);
    free(t->t_acc);
    free(t->t_app);
    free(t->t_first);
    free(t->t_deliv);
    free((void *)t->n_deliv);
    free((void *)t->hooked);
    free(t->seen);
    memset(t, 0, sizeof *t);
}

/* A subscriber got report i: the first of the N_SUBS to get it stamps
 * t_first, the last t_deliv. */
static void e2e_track_delivered(e2e_track *t, long i)
{
    int had = atomic_fetch_add(&t->n_deliv[i], 1);

    if (had == 0)
        t->t_first[i] = e2e_now_ms();
    if (had + 1 == N_SUBS) {
        t->t_deliv[i] = e2e_now_ms();
        e2e_tally_add(&t->deliv);
    }
}

static void *sub_main(void *arg)
{
    e2e_sub *s = arg;
    void *ctx = zmq_ctx_new();
    stream_sub_t *ss = stream_sub_open(ctx, s->endpoint, "deliveries", s->id, 1, 0, 200, 2000);

    s->rc = ss ? 0 : -1;
    while (ss && !atomic_load(&s->stop)) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = stream_sub_next(ss, 50, &seq, &data, &len);
        e2e_track *t = s->track;
        long i;

        if (rc == JIJU_ERR_TIMEOUT) {
            atomic_store(&s->ready, 1);
            stream_sub_ack(ss, stream_sub_delivered(ss));
            continue;
        }
        if (rc != JIJU_OK)
            continue;
        if (t && memmem(data, len, "ReportAccepted", 14) &&
            (i = e2e_track_index(t, data, len)) >= 0)
            e2e_track_delivered(t, i);
        free(data);
        if (seq % 64 == 0)
            stream_sub_ack(ss, seq);
    }
    stream_sub_destroy(&ss);
    zmq_ctx_term(ctx);
    return NULL;
}

int e2e_subs_start(e2e_sub *subs, const e2e_stack *st)
{
    for (int i = 0; i < N_SUBS; i++) {
        memset(&subs[i], 0, sizeof subs[i]);
        ep(subs[i].endpoint, sizeof subs[i].endpoint, st->port[P_N_DELIV]);
        snprintf(subs[i].id, sizeof subs[i].id, "bench-%02d", i);
        if (pthread_create(&subs[i].th, NULL, sub_main, &subs[i]) != 0)
            return -1;
    }
    return 0;
}

void e2e_subs_stop(e2e_sub *subs)
{
    for (int i = 0; i < N_SUBS; i++)
        atomic_store(&subs[i].stop, 1);
    for (int i = 0; i < N_SUBS; i++)
        if (subs[i].th)
            pthread_join(subs[i].th, NULL);
}

void e2e_subs_track(e2e_sub *subs, e2e_track *t)
{
    for (int i = 0; i < N_SUBS; i++)
        subs[i].track = t;
}

/* Until each subscriber has read its backlog (the registrations) once. */
int e2e_subs_wait_ready(e2e_sub *subs, e2e_stack *st)
{
    for (int k = 0; k < 3000; k++) {
        int ready = 0;

        for (int i = 0; i < N_SUBS; i++)
            ready += atomic_load(&subs[i].ready);
        if (ready == N_SUBS)
            return 0;
        if (e2e_stack_alive(st) != 0)
            return -1;
        usleep(10000);
    }
    return -1;
}

static enum MHD_Result hook_answer(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_len, void **con_cls)
{
    e2e_hook *h = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    e2e_track *t;
    long i;

    (void)url, (void)method, (void)version;
    if (!*con_cls) { /* headers only: the body comes in later calls */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_len) {
        if ((t = h->track) && (i = e2e_track_index(t, upload, *upload_len)) >= 0) {
            if (atomic_exchange(&t->hooked[i], 1))
                atomic_fetch_add(&t->hook_dup, 1);
            else
                e2e_tally_add(&t->hook);
        }
        *upload_len = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&h->posts, 1);
    r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ret;
}

int e2e_hook_start(e2e_hook *h, int port)
{
    memset(h, 0, sizeof *h);
    h->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL,
                         NULL, hook_answer, h, MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
    return h->d ? 0 : -1;
}

void e2e_hook_stop(e2e_hook *h)
{
    if (h->d)
        MHD_stop_daemon(h->d);
    h->d = NULL;
}

void *e2e_follow_main(void *arg)
{
    e2e_follow *f = arg;
    void *ctx = zmq_ctx_new();
    stream_sub_t *s = stream_sub_open(ctx, f->endpoint, "events", "bench-e2e", 1, 0, 200, 2000);

    while (s && !atomic_load(&f->stop)) {
        uint64_t seq;
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = stream_sub_next(s, 50, &seq, &data, &len);
        e2e_track *t = f->track;
        long i;

        if (rc == JIJU_ERR_TIMEOUT) {
            atomic_store(&f->ready, 1);
            stream_sub_ack(s, stream_sub_delivered(s));
            continue;
        }
        if (rc != JIJU_OK)
            continue;
        if (t && t->n_seen < t->cap_seen) {
            Jiju__V1__Envelope *env = jiju__v1__envelope__unpack(NULL, len, data);

            t->seen[t->n_seen++] =
                (struct e2e_seen){e2e_now_ms(), env ? (int)env->body_case : -1, (int)len};
            jiju__v1__envelope__free_unpacked(env, NULL);
        }
        if (t && memmem(data, len, "ReportAccepted", 14) &&
            (i = e2e_track_index(t, data, len)) >= 0) {
            t->t_app[i] = e2e_now_ms();
            e2e_tally_add(&f->app);
        }
        free(data);
        if (seq % 64 == 0)
            stream_sub_ack(s, seq);
    }
    stream_sub_destroy(&s);
    zmq_ctx_term(ctx);
    return NULL;
}
