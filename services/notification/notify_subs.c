/* notify_subs.c - the subscription table: load, store, remove, per-subscriber
 * state, and the matching index kept up to date with them. */
#include "notify_subs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "notify_match.h"
#include "notify_shared.h"
#include "pb.h"

struct notify_subs {
    store_t *store;
    notify_shared_t *shared; /* each routed event once; the logs refer to it */
    stream_log_runs_t *runs; /* a subscriber's references of one batch: one key */
    int cf_subs, cf_state, cf_dead, cf_meta;
    notify_sub **slots; /* pointers stay valid: the worker keeps them */
    size_t n, cap;
    notify_match_t *index; /* NULL: rebuild before the next match */
    const Jiju__V1__Subscription **index_subs;
    size_t *pos;
    notify_sub **out;
};

static const char SEEDED_KEY[] = "seeded";

store_t *notify_subs_store(notify_subs_t *t)
{
    return t->store;
}

notify_shared_t *notify_subs_shared(notify_subs_t *t)
{
    return t->shared;
}

size_t notify_subs_slots(const notify_subs_t *t)
{
    return t->n;
}

notify_sub *notify_subs_slot(notify_subs_t *t, size_t i)
{
    return i < t->n ? t->slots[i] : NULL;
}

static notify_sub *slot_by_id(notify_subs_t *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->slots[i]->id, id) == 0)
            return t->slots[i];
    return NULL;
}

notify_sub *notify_subs_find(notify_subs_t *t, const char *id)
{
    notify_sub *s = id ? slot_by_id(t, id) : NULL;

    return s && s->sub ? s : NULL;
}

/* A slot for id (existing or new, with its log open); NULL on failure. */
static notify_sub *slot_get(notify_subs_t *t, const char *id)
{
    char name[NOTIFY_ID_MAX + 8];
    notify_sub *s = slot_by_id(t, id), **grown;

    if (s)
        return s;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        if (!(grown = realloc(t->slots, cap * sizeof *grown)))
            return NULL;
        t->slots = grown;
        t->cap = cap;
    }
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(name, sizeof name, "sub/%s", id);
    if (!(s->log = stream_log_open(t->store, name))) {
        free(s);
        return NULL;
    }
    stream_log_on_resolve(s->log, notify_shared_resolve, t->shared);
    stream_log_set_runs(s->log, t->runs);
    t->slots[t->n++] = s;
    return s;
}

static void index_drop(notify_subs_t *t)
{
    notify_match_destroy(&t->index);
}

/* ---- state ---- */

static void state_from_status(notify_state *st, const Jiju__V1__SubscriptionStatus *p)
{
    memset(st, 0, sizeof *st);
    st->hook_cursor = p->acked_seq;
    st->dropped_total = p->dropped_total;
    st->dropped_first = p->last_dropped_first;
    st->dropped_last = p->last_dropped_last;
    st->dropped_at_ms = p->last_dropped_at_ms;
    st->disabled = p->disabled;
    st->failures = p->consecutive_failures;
    st->attempts = p->attempts;
    st->first_attempt_ms = p->first_attempt_ms;
    st->next_attempt_ms = p->next_attempt_ms;
    st->dead_letters = p->dead_letters;
    snprintf(st->last_error, sizeof st->last_error, "%s", p->last_error ? p->last_error : "");
}

void notify_subs_status(notify_subs_t *t, const notify_sub *s, Jiju__V1__SubscriptionStatus *p)
{
    const notify_state *st = &s->st;

    jiju__v1__subscription_status__init(p);
    p->first_seq = stream_log_first(s->log);
    p->last_seq = stream_log_last(s->log);
    p->acked_seq = s->sub && s->sub->webhook
                       ? st->hook_cursor
                       : stream_acked(t->store, stream_log_name(s->log), s->id);
    p->dropped_total = st->dropped_total;
    p->last_dropped_first = st->dropped_first;
    p->last_dropped_last = st->dropped_last;
    p->last_dropped_at_ms = st->dropped_at_ms;
    p->disabled = st->disabled;
    p->consecutive_failures = st->failures;
    p->dead_letters = st->dead_letters;
    p->last_error = (char *)st->last_error;
    p->attempts = st->attempts;
    p->next_attempt_ms = st->next_attempt_ms;
    p->first_attempt_ms = st->first_attempt_ms;
}

int notify_subs_save_state(notify_subs_t *t, store_txn_t *txn, const notify_sub *s)
{
    Jiju__V1__SubscriptionStatus p;

    notify_subs_status(t, s, &p);
    p.acked_seq = s->st.hook_cursor; /* the persisted field is the webhook cursor */
    p.first_seq = p.last_seq = 0;    /* derived from the log on load */
    return pb_txn_put(txn, t->cf_state, s->id, strlen(s->id), &p.base);
}

static void state_load(notify_subs_t *t, notify_sub *s)
{
    Jiju__V1__SubscriptionStatus *p;
    void *v = NULL;
    size_t vlen = 0;

    memset(&s->st, 0, sizeof s->st);
    if (store_get(t->store, t->cf_state, s->id, strlen(s->id), &v, &vlen) != JIJU_OK)
        return;
    if ((p = jiju__v1__subscription_status__unpack(NULL, vlen, v))) {
        state_from_status(&s->st, p);
        jiju__v1__subscription_status__free_unpacked(p, NULL);
    }
    free(v);
}

/* ---- open / close ---- */

static int subs_load(notify_subs_t *t)
{
    store_iter_t *it = store_iter_new(t->store, t->cf_subs);
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_NOMEM;
    for (store_iter_seek_first(it); store_iter_valid(it) && rc == JIJU_OK; store_iter_next(it)) {
        size_t vlen;
        const void *v = store_iter_value(it, &vlen);
        Jiju__V1__Subscription *sub = jiju__v1__subscription__unpack(NULL, vlen, v);
        notify_sub *s = sub ? slot_get(t, sub->id) : NULL;

        if (!s) {
            rc = sub ? JIJU_ERR_NOMEM : JIJU_ERR_CORRUPT;
            if (sub)
                jiju__v1__subscription__free_unpacked(sub, NULL);
            break;
        }
        s->sub = sub;
        state_load(t, s);
    }
    store_iter_destroy(&it);
    return rc;
}

notify_subs_t *notify_subs_open(store_t *store)
{
    notify_subs_t *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->store = store;
    t->cf_subs = store_cf(store, NOTIFY_CF_SUBS);
    t->cf_state = store_cf(store, NOTIFY_CF_STATE);
    t->cf_dead = store_cf(store, NOTIFY_CF_DEAD);
    t->cf_meta = store_cf(store, NOTIFY_CF_META);
    if (t->cf_subs < 0 || t->cf_state < 0 || t->cf_dead < 0 || t->cf_meta < 0 ||
        !(t->shared = notify_shared_open(store, NOTIFY_SHARED_CACHE_BYTES)) ||
        !(t->runs = stream_log_runs_new(NOTIFY_RUN_MAX)) || subs_load(t) != JIJU_OK)
        notify_subs_destroy(&t);
    return t;
}

void notify_subs_destroy(notify_subs_t **tp)
{
    notify_subs_t *t = tp ? *tp : NULL;

    if (!t)
        return;
    index_drop(t);
    for (size_t i = 0; i < t->n; i++) {
        if (t->slots[i]->sub)
            jiju__v1__subscription__free_unpacked(t->slots[i]->sub, NULL);
        stream_log_destroy(&t->slots[i]->log);
        free(t->slots[i]);
    }
    free(t->slots);
    free(t->index_subs);
    free(t->pos);
    free(t->out);
    notify_shared_destroy(&t->shared);
    stream_log_runs_destroy(&t->runs);
    free(t);
    *tp = NULL;
}

/* ---- matching ---- */

static int index_build(notify_subs_t *t)
{
    size_t n = t->n ? t->n : 1;
    void *a = realloc(t->index_subs, n * sizeof *t->index_subs);

    if (!a)
        return -1;
    t->index_subs = a;
    if (!(a = realloc(t->pos, n * sizeof *t->pos)))
        return -1;
    t->pos = a;
    if (!(a = realloc(t->out, n * sizeof *t->out)))
        return -1;
    t->out = a;
    for (size_t i = 0; i < t->n; i++)
        t->index_subs[i] = t->slots[i]->sub;
    t->index = notify_match_new(t->index_subs, t->n);
    return t->index ? 0 : -1;
}

size_t notify_subs_match(notify_subs_t *t, const Jiju__V1__Envelope *env, notify_sub ***out)
{
    size_t k;

    if (!t->index && index_build(t) < 0)
        return (size_t)-1;
    k = notify_match_event(t->index, env, t->pos);
    for (size_t i = 0; i < k; i++)
        t->out[i] = t->slots[t->pos[i]];
    *out = t->out;
    return k;
}

/* ---- changes ---- */

bool notify_subs_seeded(notify_subs_t *t)
{
    void *v = NULL;
    size_t vlen;
    bool yes =
        store_get(t->store, t->cf_meta, SEEDED_KEY, strlen(SEEDED_KEY), &v, &vlen) == JIJU_OK;

    free(v);
    return yes;
}

static void free_all(Jiju__V1__Subscription **subs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (subs[i]) {
            jiju__v1__subscription__free_unpacked(subs[i], NULL);
            subs[i] = NULL;
        }
}

/* Refuse an invalid one, an existing id (unless replace), a repeated id. */
static int put_check(notify_subs_t *t, Jiju__V1__Subscription **subs, size_t n, bool replace,
                     char *err, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        notify_sub *old;
        if (notify_validate(subs[i], err, cap) < 0)
            return JIJU_ERR_INVALID;
        old = notify_subs_find(t, subs[i]->id);
        if (old && !replace) {
            snprintf(err, cap, "E_SUB_EXISTS: subscription %s exists (use replace)", subs[i]->id);
            return JIJU_ERR_EXISTS;
        }
        subs[i]->created_at_ms = old ? old->sub->created_at_ms : clock_now_ms();
        for (size_t j = 0; j < i; j++)
            if (strcmp(subs[j]->id, subs[i]->id) == 0) {
                snprintf(err, cap, "E_SUB_DUPLICATE: subscription %s given twice", subs[i]->id);
                return JIJU_ERR_EXISTS;
            }
    }
    return JIJU_OK;
}

/* A new subscriber starts after whatever its log already holds (a removed
 * subscription's last record), with a clean state. */
static int put_fresh_state(notify_subs_t *t, store_txn_t *txn, const char *id)
{
    notify_sub *s = slot_get(t, id);

    if (!s)
        return JIJU_ERR_NOMEM;
    if (s->sub)
        return JIJU_OK;
    memset(&s->st, 0, sizeof s->st);
    s->st.hook_cursor = stream_log_last(s->log);
    return notify_subs_save_state(t, txn, s);
}

static int put_write(notify_subs_t *t, Jiju__V1__Subscription **subs, size_t n, bool mark_seeded)
{
    store_txn_t *txn = store_txn_new(t->store);
    int rc = txn ? JIJU_OK : JIJU_ERR_NOMEM;

    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        rc = pb_txn_put(txn, t->cf_subs, subs[i]->id, strlen(subs[i]->id), &subs[i]->base);
        if (rc == JIJU_OK)
            rc = put_fresh_state(t, txn, subs[i]->id);
    }
    if (rc == JIJU_OK && mark_seeded)
        rc = store_txn_put(txn, t->cf_meta, SEEDED_KEY, strlen(SEEDED_KEY), "1", 1);
    if (rc == JIJU_OK)
        rc = store_txn_commit(txn, true);
    store_txn_destroy(&txn);
    return rc;
}

int notify_subs_put(notify_subs_t *t, Jiju__V1__Subscription **subs, size_t n, bool replace,
                    bool mark_seeded, char *err, size_t cap)
{
    int rc = put_check(t, subs, n, replace, err, cap);

    if (rc == JIJU_OK && (rc = put_write(t, subs, n, mark_seeded)) != JIJU_OK)
        snprintf(err, cap, "E_SUB_STORE: %s", jiju_err_str(rc));
    for (size_t i = 0; i < n && rc == JIJU_OK; i++) {
        notify_sub *s = slot_get(t, subs[i]->id);
        if (!s) {
            snprintf(err, cap, "E_SUB_NOMEM: stored but not loaded; restart");
            rc = JIJU_ERR_NOMEM;
            break;
        }
        if (s->sub)
            jiju__v1__subscription__free_unpacked(s->sub, NULL);
        s->sub = subs[i];
        subs[i] = NULL;
    }
    index_drop(t);
    free_all(subs, n);
    return rc;
}

size_t notify_dead_key(const char *id, uint64_t seq, uint8_t *out, size_t cap)
{
    size_t n = strlen(id);

    if (n + 9 > cap)
        return 0;
    memcpy(out, id, n + 1);
    store_be64_put(out + n + 1, seq);
    return n + 9;
}

static int remove_dead(notify_subs_t *t, store_txn_t *txn, const char *id)
{
    uint8_t key[NOTIFY_ID_MAX + 16];
    size_t plen = strlen(id) + 1, klen = notify_dead_key(id, 0, key, sizeof key);
    store_iter_t *it = store_iter_new(t->store, t->cf_dead);
    int rc = it ? JIJU_OK : JIJU_ERR_NOMEM;

    if (!it)
        return rc;
    for (store_iter_seek(it, key, klen); store_iter_valid(it) && rc == JIJU_OK;
         store_iter_next(it)) {
        size_t kl;
        const uint8_t *k = store_iter_key(it, &kl);
        if (kl < plen || memcmp(k, key, plen) != 0)
            break;
        rc = store_txn_del(txn, t->cf_dead, k, kl);
    }
    store_iter_destroy(&it);
    return rc;
}

int notify_subs_remove(notify_subs_t *t, const char *id)
{
    notify_sub *s = notify_subs_find(t, id);
    store_txn_t *txn;
    uint64_t last;
    int rc;

    if (!s)
        return JIJU_ERR_NOT_FOUND;
    if (!(txn = store_txn_new(t->store)))
        return JIJU_ERR_NOMEM;
    last = stream_log_last(s->log);
    rc = store_txn_del(txn, t->cf_subs, id, strlen(id));
    if (rc == JIJU_OK)
        rc = store_txn_del(txn, t->cf_state, id, strlen(id));
    if (rc == JIJU_OK)
        rc = remove_dead(t, txn, id);
    /* all of it: the log's meta keeps its place, so a later subscription
     * with this id continues the sequence, and no reference is left to
     * hold the shared log back */
    if (rc == JIJU_OK && last > 0)
        rc = stream_log_trim(s->log, txn, last);
    if (rc == JIJU_OK)
        rc = store_txn_commit(txn, true);
    store_txn_destroy(&txn);
    if (rc != JIJU_OK)
        return rc;
    jiju__v1__subscription__free_unpacked(s->sub, NULL);
    s->sub = NULL;
    memset(&s->st, 0, sizeof s->st);
    index_drop(t);
    return JIJU_OK;
}
