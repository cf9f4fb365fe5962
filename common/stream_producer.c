/* stream_producer.c - the producer half of a stream session: sending the
 * log's records within the consumer's credit, RESUME (where to start
 * again), ACKs (how far the consumer has applied) and storing them.
 * The wire protocol is documented in proto/jiju/v1/stream.proto. */
#include "stream.h"

#include <stdio.h>

#include "err.h"
#include "log.h"
#include "stream_int.h"
#include "stream_metrics.h"

void stream_producer_pump(stream_peer_t *p, stream_session *s)
{
    stream_log_iter_t *it;
    uint64_t last = stream_log_last(s->log), seq;
    size_t sent = 0, bytes = 0, vlen;
    const uint8_t *v;

    if (s->state != SESS_ACTIVE || s->dead || s->next_send > last ||
        s->next_send > s->base + s->credit)
        return;
    it = stream_log_iter(s->log, s->next_send);
    if (!it)
        return;
    while (s->next_send <= last && s->next_send <= s->base + s->credit &&
           stream_log_iter_get(it, &seq, &v, &vlen) == 0 && seq <= last) {
        size_t slen;
        const uint8_t *served;
        int rc = stream_log_resolve(s->log, seq, v, vlen, &served, &slen);

        if (rc != JIJU_OK) { /* a store fault: nothing else can be sent in order */
            log_limited(LOG_ERROR, "stream_record_unservable",
                        "endpoint=%s peer=%s log=%s seq=%llu reason=\"%s\"", p->endpoint,
                        s->peer_id, stream_log_name(s->log), (unsigned long long)seq,
                        jiju_err_str(rc));
            break;
        }
        /* seq > next_send only after trimming */
        if (stream_send_record(p, s, seq, served, slen) != JIJU_OK)
            break;
        sent++;
        bytes += slen;
        s->next_send = seq + 1;
        if (seq > s->max_sent)
            s->max_sent = seq;
        stream_log_iter_next(it);
    }
    stream_log_iter_destroy(&it);
    if (sent)
        stream_metrics_records(p, s, 1, sent, bytes);
}

void stream_producer_on_resume(stream_peer_t *p, stream_session *s, const Jiju__V1__Resume *r)
{
    uint64_t next = r->next_seq, last = stream_log_last(s->log);
    uint64_t stored = stream_acked(p->store, stream_log_name(s->log), s->peer_id);
    char why[160];

    if (next == 0) /* an ack stored before acks were checked may lie beyond the log */
        next = (stored < last ? stored : last) + 1;
    /* Beyond the log: nothing there to send, and storing it as an ack would
     * make a later RESUME 0 start past records it never got. */
    if (next > last + 1) {
        snprintf(why, sizeof why, "RESUME next_seq %llu is beyond the log (last seq %llu)",
                 (unsigned long long)next, (unsigned long long)last);
        stream_session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BEYOND_LOG", why, 1);
        return;
    }
    if (next < stream_log_first(s->log))
        next =
            stream_log_first(s->log); /* trimmed: the consumer sees the jump (stream_seq_judge) */
    s->next_send = next;
    s->base = next - 1; /* the credit window's base: a re-read from an earlier seq */
    /* but no ack: a consumer asks again past records it applied into its
     * open txn (a gap, the heartbeat repair) before it commits them, and
     * what is acked is stored and trimmed (ingest_trim.c). A RESUME only
     * lowers it (a consumer starting again below what it acked). */
    if (s->acked > next - 1)
        s->acked = next - 1;
    s->acked_saved = stored; /* the stored ack only moves forward */
    s->credit = r->credit ? r->credit : 1;
    s->state = SESS_ACTIVE;
    p->status = JIJU_OK;
    log_limited(LOG_INFO, "stream_resume", "endpoint=%s peer=%s stream=%s from=%llu last=%llu",
                p->endpoint, s->peer_id, s->stream, (unsigned long long)next,
                (unsigned long long)last);
}

/* An ACK up to seq counts up to what this consumer can have received on
 * this session: the highest RECORD sent on it (a consumer that asked again
 * with RESUME may still apply and ack records of before it: they were
 * sent) or the ack already stored (a consumer re-reading from an earlier
 * seq may repeat it). Beyond that but within the log, the consumer acks
 * records an earlier session or process of ours sent it (a store-less
 * subscriber acking, right after our restart, all it holds before our
 * answer to its RESUME 0 from the stored ack): it stands for what was sent
 * here, never stored beyond it; the rest comes again and is acked again
 * (issue 14: it was refused with E_STREAM_BAD_ACK, the subscriber
 * reconnected and did the same). Beyond the log nobody sent it: a
 * heartbeat's position is ignored, an ACK refused. */
void stream_producer_on_ack(stream_peer_t *p, stream_session *s, uint64_t seq, int is_ack)
{
    uint64_t sent = s->max_sent > s->next_send - 1 ? s->max_sent : s->next_send - 1;
    uint64_t limit = sent > s->acked_saved ? sent : s->acked_saved;
    uint64_t last = stream_log_last(s->log);
    char why[160];

    if (s->state != SESS_ACTIVE)
        return;
    if (seq > last && seq > limit) {
        if (!is_ack)
            return;
        snprintf(why, sizeof why, "ACK seq %llu is beyond the log (last seq %llu)",
                 (unsigned long long)seq, (unsigned long long)last);
        stream_session_refuse(p, s, JIJU_ERR_PROTOCOL, "E_STREAM_BAD_ACK", why, 1);
        return;
    }
    if (seq > limit)
        seq = limit;
    if (seq > s->acked)
        s->acked = seq;
    if (seq > s->base)
        s->base = seq;
}

/* Acks are advisory (resume point for store-less subscribers, trimming), so
 * they are written without fsync: losing one means a redelivery with the
 * same envelope id, never a loss. */
void stream_producer_save_acks(stream_peer_t *p)
{
    store_txn_t *t = NULL;

    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        char key[256];
        uint8_t v[8];
        size_t klen;

        if (s->role != ROLE_PRODUCER || s->acked <= s->acked_saved || s->state != SESS_ACTIVE ||
            s->dead)
            continue;
        if (!t && !(t = store_txn_new(p->store)))
            return;
        klen = stream_cursor_key(stream_log_name(s->log), s->peer_id, key, sizeof key);
        store_be64_put(v, s->acked);
        store_txn_put(t, p->cf_acks, key, klen, v, 8);
        s->acked_saved = s->acked;
    }
    if (!t)
        return;
    /* refused on a full disk: kept in memory, written again after the next
     * ack once space is back */
    if (store_txn_commit(t, false) != JIJU_OK)
        for (size_t i = 0; i < p->n_sess; i++)
            p->sess[i]->acked_saved = 0;
    store_txn_destroy(&t);
}
