/* assess_period.c - the life of an evaluation period: opened by OpenPeriod
 * or by its first report, closed once by ClosePeriod (a second close emits
 * nothing). The period's record also keeps the running sums of its reports,
 * so target progress never rescans a period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_state.h"
#include "err.h"
#include "tz.h"

#define PERIOD_REC_VERSION 1
#define PERIOD_REC_LEN (2 + 6 * 8)

enum { PF_OPENED = 1, PF_CLOSED = 2, PF_OVERDUE_DONE = 4 };

static void rec_encode(const assess_period_state *st, uint8_t out[PERIOD_REC_LEN])
{
    const int64_t v[6] = {st->deadline_ms, st->ranking_sent_ms, st->reports,
                          st->revenue_fen, st->enterprises,     st->employment};

    out[0] = PERIOD_REC_VERSION;
    out[1] = (uint8_t)((st->opened ? PF_OPENED : 0) | (st->closed ? PF_CLOSED : 0) |
                       (st->overdue_done ? PF_OVERDUE_DONE : 0));
    for (int i = 0; i < 6; i++)
        store_be64_put(out + 2 + 8 * i, (uint64_t)v[i]);
}

static int rec_decode(const uint8_t *in, size_t len, assess_period_state *st)
{
    int64_t v[6];

    if (len != PERIOD_REC_LEN || in[0] != PERIOD_REC_VERSION)
        return JIJU_ERR_CORRUPT;
    for (int i = 0; i < 6; i++)
        v[i] = (int64_t)store_be64_get(in + 2 + 8 * i);
    st->opened = in[1] & PF_OPENED;
    st->closed = in[1] & PF_CLOSED;
    st->overdue_done = in[1] & PF_OVERDUE_DONE;
    st->deadline_ms = v[0];
    st->ranking_sent_ms = v[1];
    st->reports = v[2];
    st->revenue_fen = v[3];
    st->enterprises = v[4];
    st->employment = v[5];
    return JIJU_OK;
}

/* Every report reads its period's state and writes it back (the sums): in
 * a batch of thousands of reports, thousands of reads and puts of a few
 * keys, each indexed in the txn and each inserted into the memtable at
 * commit. The cache keeps the state of the periods one txn touched, as
 * that txn sees it, and puts each changed one into the txn once, just
 * before the commit (store_txn_before_commit): the same atomic write, one
 * put per period. It belongs to one txn at a time (store_txn_gen); other
 * txns read and write through (they never interleave with the consumer's
 * within one of its loop turns). */
#define PERIOD_CACHE_N 64
#define PERIOD_TEXT_MAX 16

typedef struct assess_period_cache {
    store_txn_t *txn;
    uint64_t gen;
    size_t n, n_dirty;
    struct period_entry {
        char text[PERIOD_TEXT_MAX];
        assess_period_state st;
        bool dirty;   /* changed: to be put before the commit */
        bool flagged; /* its ACF_DIRTY flag is put in this txn */
    } e[PERIOD_CACHE_N];
} assess_period_cache;

/* The cache, if it may serve txn (taking it over when it holds nothing
 * another txn still has to write); NULL to read and write through. */
static assess_period_cache *cache_for(assess_t *a, store_txn_t *txn)
{
    assess_period_cache *c = a->periods;

    if (!c && !(c = a->periods = calloc(1, sizeof *c)))
        return NULL;
    if (c->txn == txn && c->gen == store_txn_gen(txn))
        return c;
    if (c->txn != txn && c->n_dirty > 0) /* another txn's, not written yet */
        return NULL;
    c->txn = txn; /* committed, discarded, or clean: start again for txn */
    c->gen = store_txn_gen(txn);
    c->n = c->n_dirty = 0;
    return c;
}

static struct period_entry *cache_find(assess_period_cache *c, const char *text)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->e[i].text, text) == 0)
            return &c->e[i];
    return NULL;
}

static struct period_entry *cache_add(assess_period_cache *c, const char *text,
                                      const assess_period_state *st)
{
    struct period_entry *e;

    if (!c || c->n == PERIOD_CACHE_N || strlen(text) >= PERIOD_TEXT_MAX)
        return NULL;
    e = &c->e[c->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->text, sizeof e->text, "%s", text);
    e->st = *st;
    return e;
}

/* store_txn_before_commit: the changed states into the txn, once each. */
static int cache_flush(void *arg, store_txn_t *txn)
{
    assess_t *a = arg;
    assess_period_cache *c = a->periods;
    uint8_t rec[PERIOD_REC_LEN];
    int rc = JIJU_OK;

    if (!c || c->txn != txn || c->gen != store_txn_gen(txn))
        return JIJU_OK;
    for (size_t i = 0; i < c->n && rc == JIJU_OK; i++) {
        if (!c->e[i].dirty)
            continue;
        rec_encode(&c->e[i].st, rec);
        rc = store_txn_put(txn, a->cf[ACF_PERIODS], c->e[i].text, strlen(c->e[i].text), rec,
                           sizeof rec);
        c->e[i].dirty = false;
    }
    c->n_dirty = 0;
    return rc;
}

static int period_read(assess_t *a, store_txn_t *txn, const char *text, assess_period_state *out)
{
    void *v = NULL;
    size_t len = 0;
    int rc = store_txn_get(txn, a->cf[ACF_PERIODS], text, strlen(text), &v, &len);

    memset(out, 0, sizeof *out);
    if (rc == JIJU_ERR_NOT_FOUND)
        return JIJU_OK;
    if (rc != JIJU_OK)
        return rc;
    rc = rec_decode(v, len, out);
    free(v);
    return rc;
}

int assess_period_get(assess_t *a, store_txn_t *txn, const char *text, assess_period_state *out)
{
    assess_period_cache *c = cache_for(a, txn);
    struct period_entry *e = cache_find(c, text);
    int rc;

    if (e) {
        *out = e->st;
        return JIJU_OK;
    }
    if ((rc = period_read(a, txn, text, out)) == JIJU_OK)
        cache_add(c, text, out);
    return rc;
}

int assess_period_put(assess_t *a, store_txn_t *txn, const char *text,
                      const assess_period_state *st)
{
    assess_period_cache *c = cache_for(a, txn);
    struct period_entry *e = cache_find(c, text);
    uint8_t rec[PERIOD_REC_LEN];

    if (!e)
        e = cache_add(c, text, st);
    if (e && store_txn_before_commit(txn, cache_flush, a) == JIJU_OK) {
        e->st = *st;
        if (!e->dirty)
            c->n_dirty++;
        e->dirty = true;
        return JIJU_OK;
    }
    rec_encode(st, rec); /* not cached: write through */
    return store_txn_put(txn, a->cf[ACF_PERIODS], text, strlen(text), rec, sizeof rec);
}

int assess_period_mark_dirty(assess_t *a, store_txn_t *txn, const char *text)
{
    assess_period_cache *c = cache_for(a, txn);
    struct period_entry *e = cache_find(c, text);
    int rc;

    if (e && e->flagged)
        return JIJU_OK;
    rc = assess_flag_put(a, txn, ACF_DIRTY, text);
    if (rc == JIJU_OK && e)
        e->flagged = true;
    return rc;
}

void assess_period_dirty_gone(assess_t *a, store_txn_t *txn, const char *text)
{
    assess_period_cache *c = a->periods;
    struct period_entry *e =
        c && c->txn == txn && c->gen == store_txn_gen(txn) ? cache_find(c, text) : NULL;

    if (e)
        e->flagged = false;
}

void assess_period_cache_free(assess_t *a)
{
    free(a->periods);
    a->periods = NULL;
}

int assess_period_open(assess_t *a, store_txn_t *txn, const char *text, const period *p,
                       assess_period_state *st)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__PeriodOpened po = JIJU__V1__PERIOD_OPENED__INIT;
    int rc;

    if (st->opened || st->closed)
        return JIJU_OK;
    st->opened = true;
    /* local midnight N calendar days after the period's local end (seed 五.三) */
    st->deadline_ms = tz_deadline_ms(p, a->cfg->deadline_days);
    if ((rc = assess_period_put(a, txn, text, st)) != JIJU_OK ||
        (rc = assess_flag_put(a, txn, ACF_OPEN, text)) != JIJU_OK)
        return rc;
    po.period = (char *)text;
    po.deadline_ms = st->deadline_ms;
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_OPENED;
    env.period_opened = &po;
    return assess_emit(a, txn, &env, NULL, text);
}

static int emit_closed(assess_t *a, store_txn_t *txn, const char *text)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__PeriodClosed pc = JIJU__V1__PERIOD_CLOSED__INIT;

    pc.period = (char *)text;
    env.body_case = JIJU__V1__ENVELOPE__BODY_PERIOD_CLOSED;
    env.period_closed = &pc;
    return assess_emit(a, txn, &env, NULL, text);
}

int assess_period_close(assess_t *a, store_txn_t *txn, const char *text, const period *p)
{
    assess_period_state st;
    int rc;

    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK)
        return rc;
    if (st.closed)
        return JIJU_OK; /* idempotent: the decisions were taken at the first close */
    if ((rc = assess_period_open(a, txn, text, p, &st)) != JIJU_OK)
        return rc;
    /* Closed before deciding: a cluster eliminated below then leaves only
     * the sums of the periods still open, while this period keeps the
     * figures it was assessed on. */
    st.closed = true;
    if ((rc = assess_period_put(a, txn, text, &st)) != JIJU_OK ||
        (rc = assess_flag_del(a, txn, ACF_OPEN, text)) != JIJU_OK ||
        (rc = assess_flag_del(a, txn, ACF_DIRTY, text)) != JIJU_OK)
        return rc;
    if ((rc = assess_close_decide(a, txn, text, p)) != JIJU_OK)
        return rc;
    if ((rc = assess_period_get(a, txn, text, &st)) != JIJU_OK ||
        (rc = assess_emit_targets(a, txn, text, p, &st, 0, true)) != JIJU_OK)
        return rc;
    return emit_closed(a, txn, text);
}
