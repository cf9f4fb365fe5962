/* stream_consumer.c - the consumer half of a stream session: each RECORD
 * judged by the one sequencing rule, applied into the open txn, and
 * committed in groups with the cursors that count them (one atomic, synced
 * batch); the check of a producer's HELLO; pausing on a full disk.
 * The wire protocol is documented in proto/jiju/v1/stream.proto. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "service.h"
#include "stream_int.h"
#include "stream_metrics.h"

/* The dirty cursor under key, NULL if the open txn has none. */
static stream_dirty_cursor *consumer_dirty(stream_peer_t *p, const char *key, size_t klen)
{
    for (size_t i = 0; i < p->n_dirty; i++)
        if (p->dirty[i].klen == klen && memcmp(p->dirty[i].key, key, klen) == 0)
            return &p->dirty[i];
    return NULL;
}

/* The last seq applied from s's producer, this batch included: two sessions
 * of one producer (a reconnect beside its zombie) share it. */
static uint64_t consumer_cursor(stream_peer_t *p, stream_session *s)
{
    char key[sizeof p->dirty->key];
    size_t klen = stream_cursor_key(s->stream, s->peer_id, key, sizeof key);
    stream_dirty_cursor *d = consumer_dirty(p, key, klen);

    return d ? d->seq : stream_txn_cursor(p, s);
}

/* Record seq of s's producer is applied in the txn; its cursor goes into
 * the txn at commit. */
static int consumer_cursor_set(stream_peer_t *p, stream_session *s, uint64_t seq)
{
    char key[sizeof p->dirty->key];
    size_t klen = stream_cursor_key(s->stream, s->peer_id, key, sizeof key);
    stream_dirty_cursor *d = consumer_dirty(p, key, klen);

    if (!d) {
        if (p->n_dirty == p->cap_dirty) {
            size_t cap = p->cap_dirty ? p->cap_dirty * 2 : 8;
            stream_dirty_cursor *bigger = realloc(p->dirty, cap * sizeof *bigger);
            if (!bigger)
                return JIJU_ERR_NOMEM;
            p->dirty = bigger;
            p->cap_dirty = cap;
        }
        d = &p->dirty[p->n_dirty++];
        memcpy(d->key, key, klen);
        d->klen = klen;
    }
    d->seq = seq;
    return JIJU_OK;
}

void stream_consumer_commit(stream_peer_t *p)
{
    bool lazy = p->o.lazy_sync_ms > 0;
    int rc = JIJU_OK;

    if (p->txn_records == 0)
        return;
    /* what another writer's sync covered since our last commit (ingest's
     * submit commit, earlier in this turn) is told now, so the WAL sync this
     * commit may need is timed from this commit, not from one already
     * durable: else, with both writers busy, every lazy_sync_ms the loop
     * would stop for a WAL sync nobody needed */
    if (lazy)
        stream_consumer_durable(p, 0);
    /* the cursors, once per producer, in the same atomic batch as the
     * effects of the records they count */
    for (size_t i = 0; i < p->n_dirty && rc == JIJU_OK; i++) {
        uint8_t v[8];

        store_be64_put(v, p->dirty[i].seq);
        rc = store_txn_put(p->txn, p->cf_cursor, p->dirty[i].key, p->dirty[i].klen, v, 8);
    }
    p->n_dirty = 0;
    if (rc == JIJU_OK)
        rc = store_txn_commit(p->txn, !lazy);

    if (rc != JIJU_OK) /* never retried: service.h */
        service_store_failed("store_commit_failed", rc, "endpoint=%s reason=\"%s\"", p->endpoint,
                             store_last_error(p->store));
    stream_metrics_commit(p, p->txn_records);
    p->txn_records = 0;
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->role != ROLE_CONSUMER || s->pending <= s->committed)
            continue;
        s->committed = s->pending;
        if (!lazy) { /* synced: durable now */
            s->applied = s->committed;
            s->need_ack = 1;
        }
    }
    if (lazy) { /* durable with the store's next sync: stream_consumer_durable */
        p->unsynced = store_written(p->store);
        if (!p->unsynced_at)
            p->unsynced_at = clock_mono_ms();
    }
    if (p->committed_fn)
        p->committed_fn(p->committed_arg);
}

void stream_consumer_durable(stream_peer_t *p, int force)
{
    int rc;

    if (!p->unsynced)
        return;
    if (store_synced(p->store) < p->unsynced) {
        if (!force && clock_mono_ms() - p->unsynced_at < p->o.lazy_sync_ms)
            return; /* another writer's synced commit may come first */
        if ((rc = store_sync(p->store)) != JIJU_OK) /* never retried: service.h */
            service_store_failed("store_sync_failed", rc, "endpoint=%s reason=\"%s\"", p->endpoint,
                                 store_last_error(p->store));
    }
    p->unsynced = 0;
    p->unsynced_at = 0;
    /* only now may the producer hear of these records: it trims what all
     * its consumers acked */
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->role != ROLE_CONSUMER || s->committed <= s->applied)
            continue;
        s->applied = s->committed;
        s->need_ack = 1;
        if (s->state == SESS_ACTIVE && !s->dead)
            stream_send_ack(p, s);
    }
}

/* A consumer whose disk is short of space takes no record (nothing is
 * applied, cursors stay, nothing is acked): the producer keeps them, and the
 * heartbeat repair below asks again once space is back. Asked once per
 * batch of frames (and per heartbeat); one line each way. */
int stream_consumer_writable(stream_peer_t *p)
{
    int ok = store_writable(p->store) == JIJU_OK;

    if (ok == !p->store_full)
        return ok;
    if (!ok)
        log_error("store_full", "endpoint=%s action=pause_stream free_bytes=%llu", p->endpoint,
                  (unsigned long long)store_space_free(p->store));
    else
        log_info("store_space_back", "endpoint=%s action=resume_stream free_bytes=%llu",
                 p->endpoint, (unsigned long long)store_space_free(p->store));
    p->store_full = !ok;
    return ok;
}

/* Record r of session s, judged by the one sequencing rule. */
void stream_consumer_on_record(stream_peer_t *p, stream_session *s, const Jiju__V1__Record *r)
{
    uint64_t cur, prev = s->last_rx_seq;
    int64_t now = clock_mono_ms();
    char why[256];
    int rc;

    if (s->state != SESS_ACTIVE || s->dead || p->store_full)
        return;
    s->last_rx_seq = r->seq;
    s->last_record_at = now;
    cur = consumer_cursor(p, s);
    switch (stream_seq_judge(cur + 1, r->seq, prev, s->gap_resume)) {
    case STREAM_SEQ_DUP: /* already applied */
        s->need_ack = 1;
        return;
    case STREAM_SEQ_GAP: /* ask again, once per gap and interval */
        if (!s->gap_resume || s->last_resume_at + p->o.heartbeat_ms < now)
            stream_send_resume(p, s, cur + 1);
        return;
    case STREAM_SEQ_TRIMMED:
        snprintf(why, sizeof why,
                 "producer %s restarted at seq %llu after RESUME %llu: records "
                 "%llu..%llu are trimmed from its log",
                 s->peer_id, (unsigned long long)r->seq, (unsigned long long)(cur + 1),
                 (unsigned long long)(cur + 1), (unsigned long long)(r->seq - 1));
        stream_session_refuse(p, s, JIJU_ERR_TRIMMED, "E_STREAM_TRIMMED", why, 1);
        return;
    case STREAM_SEQ_APPLY:
        break;
    }
    s->gap_resume = 0;
    rc = p->apply_fn(p->arg, s->peer_id, r->seq, r->envelope.data, r->envelope.len, p->txn);
    if (rc != 0) { /* never skipped: a forged or garbage record moves no cursor */
        snprintf(why, sizeof why, "record seq %llu (%zu bytes) refused by the consumer: %s",
                 (unsigned long long)r->seq, r->envelope.len, jiju_err_str(rc));
        stream_session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_RECORD", why, 1);
        return;
    }
    stream_metrics_record(p, s, 0, r->envelope.len);
    if ((rc = consumer_cursor_set(p, s, r->seq)) != JIJU_OK) /* out of memory: as a store failure */
        service_store_failed("store_commit_failed", rc, "endpoint=%s reason=\"cursor\"",
                             p->endpoint);
    s->pending = r->seq;
    if (++p->txn_records >= p->o.max_batch)
        stream_consumer_commit(p);
}

void stream_consumer_start(stream_peer_t *p, stream_session *s)
{
    stream_consumer_durable(p, 1); /* the stored cursor, told the producer, must be durable */
    s->applied = s->committed = s->pending = stream_cursor(p->store, s->stream, s->peer_id);
    s->state = SESS_ACTIVE;
    s->last_rx_seq = 0;
    stream_send_resume(p, s, s->applied + 1);
    log_limited(LOG_INFO, "stream_follow",
                "endpoint=%s producer=%s stream=%s from=%llu store_id=%s epoch=%llu", p->endpoint,
                s->peer_id, s->stream, (unsigned long long)(s->applied + 1), s->store_id,
                (unsigned long long)s->epoch);
}

/* Our consumer's check of a producer's HELLO (stream_incarnation.c). */
int stream_consumer_accept(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h)
{
    const char *code = "E_STREAM_INCARNATION";
    char why[384];
    int rc = stream_incarnation_check(p, s, h, &code, why, sizeof why);

    if (rc == JIJU_OK && (rc = stream_incarnation_save(p, s)) != JIJU_OK)
        snprintf(why, sizeof why, "cannot store the producer's incarnation: %s", jiju_err_str(rc));
    if (rc != JIJU_OK) {
        stream_session_refuse(p, s, rc == JIJU_ERR_TRIMMED ? rc : JIJU_ERR_INCARNATION, code, why,
                              1);
        return 0;
    }
    p->status = JIJU_OK;
    return 1;
}
