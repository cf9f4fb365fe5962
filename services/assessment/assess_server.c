/* assess_server.c - wiring assessment's state machine to the stream, the
 * query endpoint and the clock. */
#include "assess_server.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "jiju/v1/query.pb-c.h"
#include "log.h"
#include "pb.h"
#include "read_auth.h"
#include "replier.h"
#include "service.h"

#define TICK_MS 200

struct assess_server {
    svc_t *svc;
    store_t *store;
    stream_log_t *events;
    assess_t *a;
    const assess_config *cfg;
    stream_peer_t *stream;
    replier_t *query;
    store_txn_t *tick_txn;
};

/* Every consumer of this endpoint follows the one "events" log. */
static stream_log_t *serve_events(void *arg, const char *stream, const char *consumer,
                                  stream_refusal *why)
{
    (void)why; /* the default refusal says it */
    assess_server_t *s = arg;

    (void)consumer;
    return strcmp(stream, "events") == 0 ? s->events : NULL;
}

static int apply_record(void *arg, const char *producer, uint64_t seq, const uint8_t *data,
                        size_t len, store_txn_t *txn)
{
    assess_server_t *s = arg;
    int rc;

    envelope_set_cause(producer, seq);
    rc = assess_apply(s->a, producer, seq, data, len, txn);
    envelope_set_cause(NULL, 0);
    return rc;
}

static int on_query(void *arg, const replier_route *route, const uint8_t *req, size_t len,
                    uint8_t **out, size_t *out_len)
{
    assess_server_t *s = arg;
    Jiju__V1__QueryRequest *q = jiju__v1__query_request__unpack(NULL, len, req);
    Jiju__V1__QueryReply reply = JIJU__V1__QUERY_REPLY__INIT;
    char refusal[256];
    const key_entry *k;
    read_scope scope = read_auth_scope(svc_zap(s->svc), route->user_id, &k);
    int rc;

    if (!q) {
        reply.ok = 0;
        reply.error = "E_MALFORMED: not a jiju.v1.QueryRequest";
    } else if (replier_request_id_refusal(q->request_id, refusal, sizeof refusal)) {
        reply.ok = 0;
        reply.error = refusal;
    } else if (assess_query_refused(q, scope, k, refusal, sizeof refusal)) {
        reply.ok = 0;
        reply.error = refusal;
    } else if (assess_query_as(s->a, q, scope == READ_CLUSTERS ? k : NULL, &reply) != JIJU_OK &&
               !reply.error) {
        reply.ok = 0;
        reply.error = "E_QUERY_FAILED";
    }
    reply.request_id = (char *)replier_request_id_echo(q ? q->request_id : NULL);
    reply.instance = (char *)s->cfg->shared.instance;
    rc = pb_pack(&reply.base, out, out_len);
    if (q) {
        assess_reply_free(&reply);
        jiju__v1__query_request__free_unpacked(q, NULL);
    }
    return rc == JIJU_OK ? REPLIER_SEND : REPLIER_DROP;
}

/* Within ranking.tick_budget_us, what is left at the next tick: the tick
 * runs in the loop, and every report read behind it waited for all of it
 * (a tick that ranked the four periods the 10% phase of bench_e2e touches
 * took 25-30 ms at 200 clusters, one that ranked 2,000 clusters and said
 * 1,800 periods overdue 96 ms); its events then went to notification and
 * its 20 subscribers in one burst ahead of those reports (docs/benchmarks.md
 * "Session 8"). Spread over ticks, a period's ranking may come a tick or a
 * few later than its interval allows: ranking.coalesce_ms is a minimum. */
static void on_tick(svc_t *svc, void *arg)
{
    assess_server_t *s = arg;
    int rc;

    (void)svc;
    if (store_writable(s->store) != JIJU_OK) /* the next tick after space is back does it */
        return;
    if (assess_tick_slice(s->a, s->tick_txn, clock_now_ms(), s->cfg->ranking_tick_budget_us,
                          NULL) != JIJU_OK)
        log_warn("tick_failed", "instance=%s", s->cfg->shared.instance);
    if (store_txn_count(s->tick_txn) > 0 && (rc = store_txn_commit(s->tick_txn, true)) != JIJU_OK)
        service_store_failed("store_commit_failed", rc, "where=tick reason=\"%s\"",
                             store_last_error(s->store));
}

assess_server_t *assess_server_new(svc_t *svc, store_t *store, stream_log_t *events, assess_t *a,
                                   const assess_config *cfg)
{
    assess_server_t *s = calloc(1, sizeof *s);
    stream_opts so = {.self_id = cfg->shared.instance,
                      .heartbeat_ms = (int)cfg->shared.heartbeat_ms,
                      .timeout_ms = (int)cfg->shared.timeout_ms};

    if (!s)
        return NULL;
    s->svc = svc;
    s->store = store;
    s->events = events;
    s->a = a;
    s->cfg = cfg;
    s->tick_txn = store_txn_new(store);
    s->stream = stream_serve(svc, store, cfg->stream_endpoint, &so, serve_events, apply_record, s);
    s->query = replier_new(svc, cfg->query_endpoint, NULL, on_query, s);
    if (!s->tick_txn || !s->stream || !s->query || svc_every(svc, TICK_MS, on_tick, s) != 0) {
        assess_server_destroy(&s);
        return NULL;
    }
    on_tick(svc, s); /* deadlines that passed while we were down */
    return s;
}

void assess_server_destroy(assess_server_t **sp)
{
    assess_server_t *s = sp ? *sp : NULL;

    if (!s)
        return;
    svc_cancel(s->svc, s);
    stream_peer_destroy(&s->stream);
    replier_destroy(&s->query);
    store_txn_destroy(&s->tick_txn);
    free(s);
    *sp = NULL;
}
