/* stream_metrics.c - what an operator watches on a stream: how far each
 * consumer is behind each producer, and how much flows.
 *
 * Labels: stream, producer (the log's owner: an ingest instance, assessment),
 * consumer (who follows it). Both ends report the same figures from where
 * they stand, so Prometheus's job label tells the producer's view (last seq
 * exact, cursor = the consumer's last ACK) from the consumer's (cursor exact,
 * last seq as of the producer's last heartbeat or record). */
#include "stream_metrics.h"

#include "metrics.h"

static void labels3(char *buf, size_t cap, const stream_peer_t *p, const stream_session *s)
{
    int producing = s->role == ROLE_PRODUCER;

    metrics_labels(buf, cap, "stream", s->stream, "producer", producing ? p->self_id : s->peer_id,
                   "consumer", producing ? s->peer_id : p->self_id, NULL);
}

void stream_metrics_record(const stream_peer_t *p, const stream_session *s, int out, size_t bytes)
{
    stream_metrics_records(p, s, out, 1, bytes);
}

void stream_metrics_records(const stream_peer_t *p, const stream_session *s, int out, size_t n,
                            size_t bytes)
{
    static metrics_family *rec[2], *by[2];
    char l[METRICS_LABELS_MAX];

    if (!rec[out]) {
        rec[out] = out ? metrics_counter("jiju_stream_records_sent_total",
                                         "records sent to a consumer (resends included)")
                       : metrics_counter("jiju_stream_records_applied_total",
                                         "records applied from a producer, exactly once each");
        by[out] =
            out ? metrics_counter("jiju_stream_sent_bytes_total", "envelope bytes sent")
                : metrics_counter("jiju_stream_applied_bytes_total", "envelope bytes applied");
    }
    labels3(l, sizeof l, p, s);
    metrics_add(rec[out], l, (double)n);
    metrics_add(by[out], l, (double)bytes);
}

void stream_metrics_commit(const stream_peer_t *p, size_t n)
{
    static metrics_family *h;
    char l[METRICS_LABELS_MAX];

    if (!h)
        h = metrics_histogram("jiju_stream_commit_records",
                              "records applied per synced commit (group commit size)",
                              metrics_size_buckets, metrics_n_size_buckets);
    metrics_observe(h, metrics_labels(l, sizeof l, "endpoint", p->endpoint, NULL), (double)n);
}

static void collect(void *arg)
{
    const stream_peer_t *p = arg;
    metrics_family *last = metrics_gauge_collected(
        "jiju_stream_last_seq", "highest sequence the producer has logged (as known here)");
    metrics_family *cur = metrics_gauge_collected(
        "jiju_stream_cursor_seq", "highest sequence the consumer has applied (as known here)");
    metrics_family *lag =
        metrics_gauge_collected("jiju_stream_lag_records", "records logged but not yet applied");
    char l[METRICS_LABELS_MAX];

    for (size_t i = 0; i < p->n_sess; i++) {
        const stream_session *s = p->sess[i];
        uint64_t top, at;

        if (s->dead || s->state != SESS_ACTIVE)
            continue;
        if (s->role == ROLE_PRODUCER && s->log) {
            top = stream_log_last(s->log);
            at = s->acked;
        } else if (s->role == ROLE_CONSUMER) {
            at = s->applied;
            top = s->peer_position > at ? s->peer_position : at;
        } else {
            continue;
        }
        labels3(l, sizeof l, p, s);
        metrics_set(last, l, (double)top);
        metrics_set(cur, l, (double)at);
        metrics_set(lag, l, top > at ? (double)(top - at) : 0);
    }
}

void stream_metrics_track(stream_peer_t *p)
{
    metrics_on_collect(collect, p);
}

void stream_metrics_untrack(stream_peer_t *p)
{
    metrics_cancel(p);
}
