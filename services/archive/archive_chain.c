/* archive_chain.c - archive sequence, SHA-256 chain and the atomic write of
 * one record. */
#include "archive_chain.h"

#include <stdlib.h>
#include <string.h>

#include "archive_index.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "metrics.h"
#include "pb.h"

#define ARCHIVE_RECORD_STACK 4096

struct archive_chain {
    store_t *store;
    archive_cfs cfs;
    uint64_t head_seq;
    uint8_t head_hash[ARCHIVE_HASH_LEN];
    store_txn_t *open_txn; /* appended to, head not yet put: the only txn appends may go to */
};

/* /metrics: the chain's head, the archive's record count. */
static void chain_collect(void *arg)
{
    const archive_chain_t *c = arg;

    metrics_set(metrics_gauge_collected("jiju_archive_head_seq",
                                        "archive sequence of the chain's head (records stored)"),
                "", (double)c->head_seq);
}

archive_chain_t *archive_chain_open(store_t *s)
{
    archive_chain_t *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->store = s;
    if (archive_cfs_resolve(s, &c->cfs) != JIJU_OK ||
        archive_head_read(s, &c->cfs, &c->head_seq, c->head_hash) != JIJU_OK) {
        free(c);
        return NULL;
    }
    metrics_on_collect(chain_collect, c);
    return c;
}

void archive_chain_destroy(archive_chain_t **c)
{
    if (!c || !*c)
        return;
    metrics_cancel(*c);
    free(*c);
    *c = NULL;
}

uint64_t archive_chain_head_seq(const archive_chain_t *c)
{
    return c->head_seq;
}

const uint8_t *archive_chain_head_hash(const archive_chain_t *c)
{
    return c->head_hash;
}

/* The new head, once per txn (store_txn_before_commit): every append of a
 * txn moves it, only the last value is stored, in the same atomic write as
 * the records. Commits follow appends (archive_chain.h), so the chain's head
 * is the last record of the txn being committed. */
static int archive_put_head(void *arg, store_txn_t *txn)
{
    archive_chain_t *c = arg;
    uint8_t head[8 + ARCHIVE_HASH_LEN];

    c->open_txn = NULL;
    store_be64_put(head, c->head_seq);
    memcpy(head + 8, c->head_hash, ARCHIVE_HASH_LEN);
    return store_txn_put(txn, c->cfs.meta, ARCHIVE_META_HEAD, strlen(ARCHIVE_META_HEAD), head,
                         sizeof head);
}

/* The record value, packed on the stack when it fits (reports are ~250 B). */
static int archive_put_record(archive_chain_t *c, store_txn_t *txn,
                              const Jiju__V1__ArchiveRecord *rec)
{
    uint8_t key[8], buf[ARCHIVE_RECORD_STACK];
    size_t len = jiju__v1__archive_record__get_packed_size(rec);

    store_be64_put(key, rec->archive_seq);
    if (len > sizeof buf)
        return pb_txn_put(txn, c->cfs.record, key, sizeof key, &rec->base);
    jiju__v1__archive_record__pack(rec, buf);
    return store_txn_put(txn, c->cfs.record, key, sizeof key, buf, len);
}

int archive_chain_append(archive_chain_t *c, store_txn_t *txn, const char *stream,
                         const char *producer_id, uint64_t source_seq, const uint8_t *envelope,
                         size_t len, uint64_t *seq_out)
{
    Jiju__V1__ArchiveRecord rec = JIJU__V1__ARCHIVE_RECORD__INIT;
    uint8_t hash[ARCHIVE_HASH_LEN];
    archive_fields f;
    uint64_t seq = c->head_seq + 1;
    int rc;

    if (c->open_txn && c->open_txn != txn)
        return JIJU_ERR_INVALID; /* the other txn's head would name records it does not hold */
    rc = archive_hash(c->head_hash, seq, stream, producer_id, source_seq, envelope, len, hash);
    if (rc != JIJU_OK)
        return rc;
    rec.archive_seq = seq;
    rec.stream = (char *)stream;
    rec.producer_id = (char *)producer_id;
    rec.source_seq = source_seq;
    rec.envelope.data = (uint8_t *)envelope;
    rec.envelope.len = len;
    rec.hash.data = hash;
    rec.hash.len = sizeof hash;
    if ((rc = archive_put_record(c, txn, &rec)) != JIJU_OK ||
        (rc = store_txn_before_commit(txn, archive_put_head, c)) != JIJU_OK)
        return rc;
    c->open_txn = txn;
    /* undecodable bytes are archived too: evidence is kept, unindexed */
    (void)archive_fields_from_envelope(envelope, len, &f);
    if ((rc = archive_index_put(txn, &c->cfs, &f, stream, seq)) != JIJU_OK)
        return rc;
    c->head_seq = seq;
    memcpy(c->head_hash, hash, sizeof hash);
    if (seq_out)
        *seq_out = seq;
    return JIJU_OK;
}

store_t *archive_store_open(const char *dir, char *errbuf, size_t errcap)
{
    const char *all[3 + 16] = {STORE_STREAM_CFS};

    for (size_t i = 0; i < archive_n_cfs && i < 16; i++)
        all[3 + i] = archive_cf_names[i];
    /* as the service opens it (main.c) */
    return store_open_unfiltered(dir, all, archive_n_cfs + 3, archive_cf_names, archive_n_cfs,
                                 errbuf, errcap);
}
