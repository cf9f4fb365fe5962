/* stream_int.h - what the stream module's files share and nobody else
 * sees: the session and endpoint structures and the frame senders. */
#ifndef JIJU_STREAM_INT_H
#define JIJU_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/stream.pb-c.h"
#include "stream.h"

#define ID_MAX 128
#define RID_MAX 256
#define DRAIN_MAX 20000

enum sess_state { SESS_WAIT_HELLO = 0, SESS_WAIT_RESUME, SESS_ACTIVE };
enum sess_role { ROLE_PRODUCER = 1, ROLE_CONSUMER = 2 }; /* OUR role in the session */

typedef struct session {
    uint8_t rid[RID_MAX]; /* ROUTER routing id (server side only) */
    size_t rid_len;
    char peer_id[ID_MAX];
    char stream[64];
    int role;
    int state;
    int dead;
    int64_t last_rx, last_tx;
    /* producer side */
    stream_log_t *log;
    uint64_t next_send, acked, acked_saved;
    uint32_t credit;
    /* consumer side */
    uint64_t applied;    /* committed cursor */
    uint64_t pending;    /* applied in the open txn, not yet committed */
    uint64_t last_resume; /* seq asked for by the last RESUME */
    uint64_t peer_position; /* the producer's last seq, from its heartbeats (metrics) */
    int64_t last_resume_at, last_record_at;
    int need_ack;
} session;

struct stream_peer {
    svc_t *svc;
    store_t *store;
    stream_opts o;
    char self_id[ID_MAX];
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
    session **sess; /* server: many; client: exactly one */
    size_t n_sess, cap_sess;
    store_txn_t *txn;
    size_t txn_records;
    int reconnect; /* client: rebuild the socket at the next timer */
    int store_full; /* consumer: records refused for want of disk space */
};

/* stream_auth.c: may the key named user (ZAP User-Id, NULL in plain mode)
 * open this HELLO's session? 1 yes; 0 no, with the reason in why. */
int stream_authorize(stream_peer_t *p, const Jiju__V1__Hello *h, const char *user, char *why,
                     size_t cap);

/* stream_wire.c: frames and cursors */
int peer_send(stream_peer_t *p, session *s, const Jiju__V1__StreamFrame *f);
void send_hello(stream_peer_t *p, session *s);
void send_resume(stream_peer_t *p, session *s, uint64_t next);
void send_ack(stream_peer_t *p, session *s);
void send_heartbeat(stream_peer_t *p, session *s);
void send_error(stream_peer_t *p, session *s, const char *code, const char *msg);
size_t cursor_key(const char *stream, const char *producer, char *out, size_t cap);
uint64_t read_u64(store_t *store, int cf, const char *key, size_t klen);
uint64_t txn_cursor(stream_peer_t *p, session *s);

#endif
