/* stream_session.c - a stream endpoint's table of sessions: who may open
 * one (a HELLO from a key allowed that role, within the caps per endpoint
 * and per key), finding one by routing id, ending the revoked and reaping
 * the dead, and ending one that is refused. The protocol itself is
 * stream.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "stream_int.h"

stream_session *stream_session_add(stream_peer_t *p)
{
    stream_session *s;

    if (p->n_sess == p->cap_sess) {
        size_t cap = p->cap_sess ? p->cap_sess * 2 : 8;
        stream_session **n = realloc(p->sess, cap * sizeof *n);
        if (!n)
            return NULL;
        p->sess = n;
        p->cap_sess = cap;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->last_rx = s->last_tx = clock_mono_ms();
    p->sess[p->n_sess++] = s;
    return s;
}

stream_session *stream_session_find(stream_peer_t *p, const uint8_t *rid, size_t len)
{
    for (size_t i = 0; i < p->n_sess; i++)
        if (p->sess[i]->rid_len == len && memcmp(p->sess[i]->rid, rid, len) == 0)
            return p->sess[i];
    return NULL;
}

/* Drop sessions marked dead (server side). Never called while the txn holds
 * uncommitted records of a session. */
void stream_sessions_reap(stream_peer_t *p)
{
    size_t j = 0;

    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        if (s->dead && p->is_server) {
            log_limited(LOG_INFO, "stream_session_closed", "endpoint=%s peer=%s stream=%s",
                        p->endpoint, s->peer_id, s->stream);
            free(s);
            continue;
        }
        p->sess[j++] = s;
    }
    p->n_sess = j;
}

/* Answer a routing id that has no session (and gets none). */
void stream_send_error_to(stream_peer_t *p, const uint8_t *rid, size_t rid_len, const char *code,
                          const char *msg)
{
    stream_session tmp = {0};

    memcpy(tmp.rid, rid, rid_len);
    tmp.rid_len = rid_len;
    stream_send_error(p, &tmp, code, msg);
}

/* Room for one more session of key user (NULL: plain)? If not, why. */
static int stream_sessions_room(const stream_peer_t *p, const char *user, char *why, size_t cap)
{
    size_t all = 0, mine = 0;

    for (size_t i = 0; i < p->n_sess; i++) {
        if (p->sess[i]->dead)
            continue;
        all++;
        if (user && strcmp(p->sess[i]->key, user) == 0)
            mine++;
    }
    if (all >= p->o.max_sessions) {
        snprintf(why, cap, "endpoint has %zu sessions, the most it takes", all);
        return 0;
    }
    if (user && mine >= p->o.max_sessions_per_key) {
        snprintf(why, cap, "key %s has %zu sessions, the most one key may open", user, mine);
        return 0;
    }
    return 1;
}

/* A server frame from a routing id without a session must be a HELLO, from
 * a key allowed to open that session, while the endpoint and the key have
 * room for it. */
stream_session *stream_session_admit(stream_peer_t *p, const uint8_t *rid, size_t rid_len,
                                     const Jiju__V1__StreamFrame *f, const char *user)
{
    stream_session *s = stream_session_find(p, rid, rid_len);
    const Jiju__V1__Hello *h;
    char why[256];

    if (s && !(s->dead))
        return s;
    if (f->kind_case != JIJU__V1__STREAM_FRAME__KIND_HELLO) {
        stream_send_error_to(p, rid, rid_len, "E_STREAM_NO_SESSION", "say HELLO first");
        return NULL;
    }
    h = f->hello;
    if (!h->peer_id || !*h->peer_id || !h->stream || !*h->stream ||
        strlen(h->peer_id) >= STREAM_ID_MAX || strlen(h->stream) >= STREAM_NAME_MAX ||
        (h->role != JIJU__V1__STREAM_ROLE__CONSUMER &&
         h->role != JIJU__V1__STREAM_ROLE__PRODUCER) ||
        rid_len > STREAM_RID_MAX || (user && strlen(user) >= KEYS_NAME_MAX)) {
        stream_send_error_to(p, rid, rid_len, "E_STREAM_BAD_FRAME",
                             "HELLO needs peer_id (< 128 bytes), stream (< 64 bytes) and a role");
        return NULL;
    }
    if (!stream_authorize(p, h, user, why, sizeof why)) {
        log_limited(LOG_WARN, "stream_forbidden",
                    "endpoint=%s key=%s peer=%s stream=%s reason=\"%s\"", p->endpoint,
                    user ? user : "-", h->peer_id, h->stream, why);
        stream_send_error_to(p, rid, rid_len, "E_STREAM_FORBIDDEN", why);
        return NULL;
    }
    if (!stream_sessions_room(p, user, why, sizeof why)) {
        log_limited(LOG_WARN, "stream_busy", "endpoint=%s key=%s peer=%s reason=\"%s\"",
                    p->endpoint, user ? user : "-", h->peer_id, why);
        stream_send_error_to(p, rid, rid_len, "E_STREAM_BUSY", why);
        return NULL;
    }
    if (!(s = stream_session_add(p)))
        return NULL;
    memcpy(s->rid, rid, rid_len);
    s->rid_len = rid_len;
    snprintf(s->peer_id, sizeof s->peer_id, "%s", h->peer_id);
    snprintf(s->stream, sizeof s->stream, "%s", h->stream);
    snprintf(s->key, sizeof s->key, "%s", user ? user : "");
    /* our role is the opposite of the peer's */
    s->role = h->role == JIJU__V1__STREAM_ROLE__CONSUMER ? ROLE_PRODUCER : ROLE_CONSUMER;
    log_limited(LOG_INFO, "stream_session_open", "endpoint=%s peer=%s stream=%s key=%s our_role=%s",
                p->endpoint, s->peer_id, s->stream, user ? user : "-",
                s->role == ROLE_PRODUCER ? "producer" : "consumer");
    return s;
}

/* With CURVE, every session's key is asked again at each timer tick: a key
 * removed (or its role changed) on SIGHUP loses its sessions within one
 * heartbeat. */
void stream_sessions_recheck(stream_peer_t *p)
{
    for (size_t i = 0; i < p->n_sess; i++) {
        stream_session *s = p->sess[i];
        Jiju__V1__Hello h = JIJU__V1__HELLO__INIT;
        char why[256];

        if (s->dead || !s->key[0])
            continue;
        h.peer_id = s->peer_id;
        h.stream = s->stream;
        h.role = s->role == ROLE_PRODUCER ? JIJU__V1__STREAM_ROLE__CONSUMER
                                          : JIJU__V1__STREAM_ROLE__PRODUCER;
        if (stream_authorize(p, &h, s->key, why, sizeof why))
            continue;
        log_limited(LOG_WARN, "stream_revoked",
                    "endpoint=%s key=%s peer=%s stream=%s reason=\"%s\"", p->endpoint, s->key,
                    s->peer_id, s->stream, why);
        stream_send_error(p, s, "E_STREAM_REVOKED", why);
        s->dead = 1;
    }
}

/* A session-ending refusal, ours (send: tell the peer with ERROR code) or
 * the peer's. One warning line; a connector refused again for the same
 * reason at each retry logs it once, until a session runs again. */
void stream_session_refuse(stream_peer_t *p, stream_session *s, int err, const char *code,
                           const char *why, int send)
{
    if (p->is_server || p->status != err)
        log_limited(LOG_WARN, "stream_refused",
                    "endpoint=%s peer=%s stream=%s key=%s by=%s code=%s "
                    "reason=\"%s\"",
                    p->endpoint, s->peer_id, s->stream, s->key[0] ? s->key : "-",
                    send ? "us" : "peer", code, why);
    else
        log_debug("stream_refused", "endpoint=%s peer=%s code=%s again=1", p->endpoint, s->peer_id,
                  code);
    if (send)
        stream_send_error(p, s, code, why);
    p->status = err;
    if (p->is_server)
        s->dead = 1;
    else
        s->state = SESS_REFUSED; /* heard nothing more for timeout_ms: start again */
    if (p->refused_fn)
        p->refused_fn(p->refused_arg, err, code, why);
}
