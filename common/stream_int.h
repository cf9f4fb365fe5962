/* stream_int.h - what the stream module's files share and nobody else
 * sees: the session and endpoint structures, the frame senders, the
 * sequencing rule and the incarnation check. Every name here starts with
 * stream_ and is hidden from anything linking libjiju_common dynamically. */
#ifndef JIJU_STREAM_INT_H
#define JIJU_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/stream.pb-c.h"
#include "keys.h"
#include "stream.h"

#define STREAM_HIDDEN __attribute__((visibility("hidden")))

#define STREAM_ID_MAX 128
#define STREAM_NAME_MAX 64
#define STREAM_RID_MAX 256
#define STREAM_DRAIN_MAX 20000
#define STREAM_PROTOCOL_VERSION 2

enum stream_sess_state {
    SESS_WAIT_HELLO = 0,
    SESS_WAIT_RESUME,
    SESS_ACTIVE,
    SESS_REFUSED, /* client: we refused the producer, or it refused us; wait for the timeout */
};
enum stream_sess_role { ROLE_PRODUCER = 1, ROLE_CONSUMER = 2 }; /* OUR role in the session */

typedef struct stream_session {
    uint8_t rid[STREAM_RID_MAX]; /* ROUTER routing id (server side only) */
    size_t rid_len;
    char peer_id[STREAM_ID_MAX];
    char stream[STREAM_NAME_MAX];
    char key[KEYS_NAME_MAX]; /* server with CURVE: the ZAP User-Id that opened it */
    int role;
    int state;
    int dead;
    int64_t last_rx, last_tx;
    /* producer side */
    stream_log_t *log;
    uint64_t next_send, acked, acked_saved; /* acked: durable at the consumer (its ACKs) */
    uint64_t base;     /* the credit window's base: the last RESUME's next - 1, or a later ACK */
    uint64_t max_sent; /* highest RECORD sent on this session, whatever RESUMEs came since */
    uint32_t credit;
    /* consumer side */
    uint64_t applied;       /* durable cursor: what ACKs and heartbeats say */
    uint64_t committed;     /* committed cursor (above applied while not yet synced) */
    uint64_t pending;       /* applied in the open txn, not yet committed */
    uint64_t last_resume;   /* seq asked for by the last RESUME */
    uint64_t last_rx_seq;   /* seq of the last RECORD received on this session */
    int gap_resume;         /* a RESUME for a gap is outstanding */
    uint64_t peer_position; /* the producer's last seq, from its heartbeats (metrics) */
    int64_t last_resume_at, last_record_at;
    int need_ack;
    char store_id[STREAM_STORE_ID_LEN + 1]; /* the producer's incarnation */
    uint64_t epoch;
} stream_session;

/* Consumer: a producer's cursor as applied in the open txn, written into
 * it once per batch (at commit) instead of once per record. */
typedef struct stream_dirty_cursor {
    char key[STREAM_NAME_MAX + 1 + STREAM_ID_MAX];
    size_t klen;
    uint64_t seq;
} stream_dirty_cursor;

struct stream_peer {
    svc_t *svc;
    store_t *store;
    stream_opts o;
    char self_id[STREAM_ID_MAX];
    char endpoint[256];
    char server_key[41]; /* client with CURVE: the server's public key */
    int is_server;
    void *sock;
    int cf_cursor, cf_acks;
    stream_log_fn log_fn;
    stream_apply_fn apply_fn;
    void *arg;
    stream_committed_fn committed_fn;
    void *committed_arg;
    stream_refused_fn refused_fn;
    void *refused_arg;
    int status;            /* jiju_err of the last refusal, JIJU_OK once a session runs */
    stream_session **sess; /* server: many; client: exactly one */
    size_t n_sess, cap_sess;
    store_txn_t *txn;
    size_t txn_records;
    stream_dirty_cursor *dirty; /* one per producer with records in txn */
    size_t n_dirty, cap_dirty;
    int reconnect;  /* client: rebuild the socket at the next timer */
    int store_full; /* consumer: records refused for want of disk space */
    /* consumer with lazy_sync_ms: store_written() at the last unsynced
     * commit not yet known durable (0: none), and when the first came */
    uint64_t unsynced;
    int64_t unsynced_at;
};

/* stream_auth.c: may the key named user (ZAP User-Id, NULL in plain mode)
 * open this HELLO's session? 1 yes; 0 no, with the reason in why. Asked at
 * HELLO and again at every timer tick, so a key removed on reload loses its
 * sessions within one heartbeat. */
STREAM_HIDDEN int stream_authorize(stream_peer_t *p, const Jiju__V1__Hello *h, const char *user,
                                   char *why, size_t cap);

/* stream_frame.c: the frames, built once for both consumers (stream.c's
 * endpoints and stream_sub.c). A frame buffer holds a StreamFrame and its
 * one member. */
typedef struct stream_frame {
    Jiju__V1__StreamFrame f;
    union {
        Jiju__V1__Hello hello;
        Jiju__V1__Resume resume;
        Jiju__V1__Ack ack;
        Jiju__V1__Heartbeat heartbeat;
        Jiju__V1__StreamError error;
    } u;
} stream_frame;

typedef struct stream_incarnation {
    const char *store_id;
    uint64_t epoch, first_seq, last_seq;
} stream_incarnation;

/* inc: the producer's incarnation (NULL for a consumer's HELLO). */
STREAM_HIDDEN const Jiju__V1__StreamFrame *stream_frame_hello(stream_frame *b, const char *peer_id,
                                                              int producer, const char *stream,
                                                              const stream_incarnation *inc);
STREAM_HIDDEN const Jiju__V1__StreamFrame *stream_frame_resume(stream_frame *b, uint64_t next,
                                                               uint32_t credit);
STREAM_HIDDEN const Jiju__V1__StreamFrame *stream_frame_ack(stream_frame *b, uint64_t seq);
STREAM_HIDDEN const Jiju__V1__StreamFrame *stream_frame_heartbeat(stream_frame *b,
                                                                  uint64_t position);
STREAM_HIDDEN const Jiju__V1__StreamFrame *stream_frame_error(stream_frame *b, const char *code,
                                                              const char *msg);
/* Pack f and send it without blocking (after the routing id rid, if any).
 * JIJU_OK, JIJU_ERR_AGAIN (pipe full: dropped), JIJU_ERR_ZMQ (peer gone
 * with ROUTER_MANDATORY), JIJU_ERR_NOMEM. */
STREAM_HIDDEN int stream_frame_send(void *sock, const uint8_t *rid, size_t rid_len,
                                    const Jiju__V1__StreamFrame *f);
/* The same for a RECORD frame of (seq, the record's bytes), the bytes
 * protobuf-c would pack, without building the frame. */
STREAM_HIDDEN int stream_frame_send_record(void *sock, const uint8_t *rid, size_t rid_len,
                                           uint64_t seq, const uint8_t *data, size_t len);

/* The sequencing rule, once for every consumer: what to do with RECORD seq
 * when `expected` is the next one wanted (0: any), prev_rx the seq of the
 * RECORD before it on this connection, and gap_resume whether a RESUME for
 * a gap is outstanding. After such a RESUME the producer restarts its
 * sequence; one that restarts above `expected` has trimmed what lies
 * between. */
typedef enum {
    STREAM_SEQ_APPLY = 0, /* the next one: apply it */
    STREAM_SEQ_DUP,       /* at or below what was applied: ignore (and ack) */
    STREAM_SEQ_GAP,       /* beyond the next one: RESUME(expected) */
    STREAM_SEQ_TRIMMED,   /* the producer cannot go lower: records are trimmed */
} stream_seq_verdict;
STREAM_HIDDEN stream_seq_verdict stream_seq_judge(uint64_t expected, uint64_t seq, uint64_t prev_rx,
                                                  int gap_resume);

/* stream_wire.c: frames to a session, cursors and acks in the store */
STREAM_HIDDEN int stream_send(stream_peer_t *p, stream_session *s, const Jiju__V1__StreamFrame *f);
STREAM_HIDDEN int stream_send_record(stream_peer_t *p, stream_session *s, uint64_t seq,
                                     const uint8_t *data, size_t len);
STREAM_HIDDEN void stream_send_hello(stream_peer_t *p, stream_session *s);
STREAM_HIDDEN void stream_send_resume(stream_peer_t *p, stream_session *s, uint64_t next);
STREAM_HIDDEN void stream_send_ack(stream_peer_t *p, stream_session *s);
STREAM_HIDDEN void stream_send_heartbeat(stream_peer_t *p, stream_session *s);
STREAM_HIDDEN void stream_send_error(stream_peer_t *p, stream_session *s, const char *code,
                                     const char *msg);
STREAM_HIDDEN size_t stream_cursor_key(const char *stream, const char *producer, char *out,
                                       size_t cap);
STREAM_HIDDEN uint64_t stream_read_u64(store_t *store, int cf, const char *key, size_t klen);
STREAM_HIDDEN uint64_t stream_txn_cursor(stream_peer_t *p, stream_session *s);

/* stream_incarnation.c: the consumer's check of a producer's HELLO against
 * the incarnation and cursor it holds for that producer id (see
 * stream.proto). JIJU_OK, or JIJU_ERR_INCARNATION / JIJU_ERR_TRIMMED with
 * the ERROR code and the reason filled. On JIJU_OK the session holds the
 * incarnation; stream_incarnation_save makes it durable (synced). */
STREAM_HIDDEN int stream_incarnation_check(stream_peer_t *p, stream_session *s,
                                           const Jiju__V1__Hello *h, const char **code, char *why,
                                           size_t cap);
STREAM_HIDDEN int stream_incarnation_save(stream_peer_t *p, const stream_session *s);

/* stream_session.c: the session table. */
STREAM_HIDDEN stream_session *stream_session_add(stream_peer_t *p);
STREAM_HIDDEN stream_session *stream_session_find(stream_peer_t *p, const uint8_t *rid, size_t len);
STREAM_HIDDEN void stream_sessions_reap(stream_peer_t *p);
/* Answer a routing id that has no session (and gets none). */
STREAM_HIDDEN void stream_send_error_to(stream_peer_t *p, const uint8_t *rid, size_t rid_len,
                                        const char *code, const char *msg);
/* The session of a server frame's routing id, opened if the frame is an
 * admissible HELLO; NULL (the peer told why) otherwise. */
STREAM_HIDDEN stream_session *stream_session_admit(stream_peer_t *p, const uint8_t *rid,
                                                   size_t rid_len, const Jiju__V1__StreamFrame *f,
                                                   const char *user);
STREAM_HIDDEN void stream_sessions_recheck(stream_peer_t *p);
/* End session s for err: ours (send: tell the peer with ERROR code) or the
 * peer's refusal. */
STREAM_HIDDEN void stream_session_refuse(stream_peer_t *p, stream_session *s, int err,
                                         const char *code, const char *why, int send);

/* stream_producer.c: the producer half of a session */
STREAM_HIDDEN void stream_producer_pump(stream_peer_t *p, stream_session *s);
STREAM_HIDDEN void stream_producer_on_resume(stream_peer_t *p, stream_session *s,
                                             const Jiju__V1__Resume *r);
/* is_ack: an ACK (refused beyond the last record sent) or a heartbeat's
 * position (ignored beyond it) */
STREAM_HIDDEN void stream_producer_on_ack(stream_peer_t *p, stream_session *s, uint64_t seq,
                                          int is_ack);
STREAM_HIDDEN void stream_producer_save_acks(stream_peer_t *p);

/* stream_consumer.c: the consumer half of a session */
STREAM_HIDDEN void stream_consumer_on_record(stream_peer_t *p, stream_session *s,
                                             const Jiju__V1__Record *r);
/* Commit the open txn's records with their cursors (nothing if empty). */
STREAM_HIDDEN void stream_consumer_commit(stream_peer_t *p);
/* lazy_sync_ms: ACK what became durable (force: sync the WAL first if
 * anything is not; else only once the store's own syncs reached it, or
 * lazy_sync_ms after the first unsynced commit). */
STREAM_HIDDEN void stream_consumer_durable(stream_peer_t *p, int force);
/* 1 if the store has room to apply records; logs each change once. */
STREAM_HIDDEN int stream_consumer_writable(stream_peer_t *p);
/* A producer's HELLO accepted (1), or the session refused (0). */
STREAM_HIDDEN int stream_consumer_accept(stream_peer_t *p, stream_session *s,
                                         const Jiju__V1__Hello *h);
STREAM_HIDDEN void stream_consumer_start(stream_peer_t *p, stream_session *s);

#endif
