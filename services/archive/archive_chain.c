/* archive_chain.c - archive sequence, SHA-256 chain and the atomic write of
 * one record. */
#include "archive_chain.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "archive_index.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"
#include "metrics.h"
#include "pb.h"

struct archive_chain {
    store_t *store;
    archive_cfs cfs;
    uint64_t head_seq;
    uint8_t head_hash[ARCHIVE_HASH_LEN];
};

int archive_head_read(store_t *s, const archive_cfs *cfs, uint64_t *seq,
                      uint8_t hash[ARCHIVE_HASH_LEN])
{
    void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(s, cfs->meta, ARCHIVE_META_HEAD, strlen(ARCHIVE_META_HEAD), &val, &vlen);

    if (rc == JIJU_ERR_NOT_FOUND) {
        *seq = 0;
        memset(hash, 0, ARCHIVE_HASH_LEN);
        return JIJU_OK;
    }
    if (rc != JIJU_OK)
        return rc;
    if (vlen != 8 + ARCHIVE_HASH_LEN) {
        free(val);
        return JIJU_ERR_CORRUPT;
    }
    *seq = store_be64_get(val);
    memcpy(hash, (uint8_t *)val + 8, ARCHIVE_HASH_LEN);
    free(val);
    return JIJU_OK;
}

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

/* Length-prefixed text, so stream, producer and envelope cannot run into
 * each other and give two different records the same hash input. */
static int archive_hash_text(EVP_MD_CTX *ctx, const char *text)
{
    size_t n = strlen(text);
    uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)n};

    if (n > 0xffff)
        return 0;
    return EVP_DigestUpdate(ctx, len, 2) && EVP_DigestUpdate(ctx, text, n);
}

int archive_hash(const uint8_t prev[ARCHIVE_HASH_LEN], uint64_t seq, const char *stream,
                 const char *producer_id, uint64_t source_seq, const uint8_t *envelope, size_t len,
                 uint8_t out[ARCHIVE_HASH_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t be_seq[8], be_src[8];
    unsigned int outlen = 0;
    int ok;

    if (!ctx)
        return JIJU_ERR_NOMEM;
    store_be64_put(be_seq, seq);
    store_be64_put(be_src, source_seq);
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(ctx, prev, ARCHIVE_HASH_LEN) && EVP_DigestUpdate(ctx, be_seq, 8) &&
         archive_hash_text(ctx, stream) && archive_hash_text(ctx, producer_id) &&
         EVP_DigestUpdate(ctx, be_src, 8) && (len == 0 || EVP_DigestUpdate(ctx, envelope, len)) &&
         EVP_DigestFinal_ex(ctx, out, &outlen) && outlen == ARCHIVE_HASH_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? JIJU_OK : JIJU_ERR_INVALID;
}

/* The record value and the new head, into txn. */
static int archive_put_record(archive_chain_t *c, store_txn_t *txn,
                              const Jiju__V1__ArchiveRecord *rec)
{
    uint8_t key[8], head[8 + ARCHIVE_HASH_LEN];
    int rc;

    store_be64_put(key, rec->archive_seq);
    rc = pb_txn_put(txn, c->cfs.record, key, sizeof key, &rec->base);
    if (rc != JIJU_OK)
        return rc;
    store_be64_put(head, rec->archive_seq);
    memcpy(head + 8, rec->hash.data, ARCHIVE_HASH_LEN);
    return store_txn_put(txn, c->cfs.meta, ARCHIVE_META_HEAD, strlen(ARCHIVE_META_HEAD), head,
                         sizeof head);
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
    if ((rc = archive_put_record(c, txn, &rec)) != JIJU_OK)
        return rc;
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
