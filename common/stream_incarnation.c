/* stream_incarnation.c - a consumer's memory of each producer's
 * incarnation (proto/jiju/v1/stream.proto, Hello.store_id and epoch).
 *
 * Beside the cursor "stream\0producer" in STORE_CF_CURSOR, the key
 * "stream\0producer\0incarnation" holds store_id (36 bytes) and be64(epoch)
 * of the producer incarnation this consumer last accepted. A HELLO that
 * contradicts it is refused: applying a second log under the same producer
 * id would make its sequence numbers look like duplicates of the first's,
 * and every record below the cursor would be lost without a word. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stream_int.h"

#define INC_SUFFIX "\0incarnation"
#define INC_SUFFIX_LEN 12
#define INC_VLEN (STREAM_STORE_ID_LEN + 8)

static size_t inc_key(const char *stream, const char *producer, char *out, size_t cap)
{
    size_t n = stream_cursor_key(stream, producer, out, cap - INC_SUFFIX_LEN);

    memcpy(out + n, INC_SUFFIX, INC_SUFFIX_LEN);
    return n + INC_SUFFIX_LEN;
}

int stream_incarnation_held(store_t *store, const char *stream, const char *producer,
                            char id[STREAM_STORE_ID_LEN + 1], uint64_t *epoch)
{
    char key[320];
    size_t klen = inc_key(stream, producer, key, sizeof key);
    void *v = NULL;
    size_t vlen = 0;
    int cf = store_cf(store, STORE_CF_CURSOR), rc = JIJU_ERR_NOT_FOUND;

    if (cf >= 0 && store_get(store, cf, key, klen, &v, &vlen) == JIJU_OK && vlen == INC_VLEN) {
        memcpy(id, v, STREAM_STORE_ID_LEN);
        id[STREAM_STORE_ID_LEN] = '\0';
        *epoch = store_be64_get((uint8_t *)v + STREAM_STORE_ID_LEN);
        rc = JIJU_OK;
    }
    free(v);
    return rc;
}

static int inc_held(stream_peer_t *p, const char *stream, const char *producer,
                    char id[STREAM_STORE_ID_LEN + 1], uint64_t *epoch)
{
    return stream_incarnation_held(p->store, stream, producer, id, epoch) == JIJU_OK;
}

/* Another live session of this producer, of another incarnation or a later
 * epoch, holds the producer id: the newcomer may not take it over. */
static const stream_session *holder(stream_peer_t *p, const stream_session *s,
                                    const Jiju__V1__Hello *h)
{
    for (size_t i = 0; i < p->n_sess; i++) {
        const stream_session *o = p->sess[i];
        if (o != s && !o->dead && o->role == ROLE_CONSUMER && o->state == SESS_ACTIVE &&
            strcmp(o->peer_id, h->peer_id) == 0 && strcmp(o->stream, s->stream) == 0 &&
            (strcmp(o->store_id, h->store_id) != 0 || o->epoch > h->epoch))
            return o;
    }
    return NULL;
}

int stream_incarnation_check(stream_peer_t *p, stream_session *s, const Jiju__V1__Hello *h,
                             const char **code, char *why, size_t cap)
{
    char held[STREAM_STORE_ID_LEN + 1];
    uint64_t epoch = 0, cursor = stream_txn_cursor(p, s);
    int have = inc_held(p, s->stream, h->peer_id, held, &epoch);
    const stream_session *o;

    *code = "E_STREAM_INCARNATION";
    if (!h->store_id || strlen(h->store_id) != STREAM_STORE_ID_LEN) {
        snprintf(why, cap,
                 "producer %s sent no incarnation (store_id); protocol_version %u, "
                 "need %d",
                 h->peer_id, h->protocol_version, STREAM_PROTOCOL_VERSION);
        return JIJU_ERR_INCARNATION;
    }
    if (have && strcmp(held, h->store_id) != 0) {
        snprintf(why, cap,
                 "producer %s has store_id %s, this consumer follows store_id %s: a "
                 "second process with the same instance id, or a replaced store",
                 h->peer_id, h->store_id, held);
        return JIJU_ERR_INCARNATION;
    }
    if (have && h->epoch < epoch) {
        snprintf(why, cap,
                 "producer %s epoch %" PRIu64 " is older than epoch %" PRIu64
                 " already seen: a stale copy of its store",
                 h->peer_id, h->epoch, epoch);
        return JIJU_ERR_INCARNATION;
    }
    if (h->last_seq < cursor) {
        snprintf(why, cap,
                 "producer %s log ends at seq %" PRIu64 ", below seq %" PRIu64
                 " applied here: its log went backwards",
                 h->peer_id, h->last_seq, cursor);
        return JIJU_ERR_INCARNATION;
    }
    if ((o = holder(p, s, h))) {
        snprintf(why, cap, "producer %s is connected as incarnation %s epoch %" PRIu64, h->peer_id,
                 o->store_id, o->epoch);
        return JIJU_ERR_INCARNATION;
    }
    if (cursor + 1 < h->first_seq) {
        *code = "E_STREAM_TRIMMED";
        snprintf(why, cap,
                 "producer %s trimmed seq %" PRIu64 "..%" PRIu64 " that this consumer "
                 "(cursor %" PRIu64 ") has not applied",
                 h->peer_id, cursor + 1, h->first_seq - 1, cursor);
        return JIJU_ERR_TRIMMED;
    }
    snprintf(s->store_id, sizeof s->store_id, "%s", h->store_id);
    s->epoch = h->epoch;
    return JIJU_OK;
}

int stream_incarnation_save(stream_peer_t *p, const stream_session *s)
{
    char key[320], held[STREAM_STORE_ID_LEN + 1];
    uint8_t v[INC_VLEN];
    uint64_t epoch = 0;
    size_t klen = inc_key(s->stream, s->peer_id, key, sizeof key);
    store_txn_t *t;
    int rc;

    if (inc_held(p, s->stream, s->peer_id, held, &epoch) && epoch == s->epoch &&
        strcmp(held, s->store_id) == 0)
        return JIJU_OK;
    if (!(t = store_txn_new(p->store)))
        return JIJU_ERR_NOMEM;
    memcpy(v, s->store_id, STREAM_STORE_ID_LEN);
    store_be64_put(v + STREAM_STORE_ID_LEN, s->epoch);
    rc = store_txn_put(t, p->cf_cursor, key, klen, v, sizeof v);
    if (rc == JIJU_OK)
        rc = store_txn_commit(t, true);
    store_txn_destroy(&t);
    return rc;
}
