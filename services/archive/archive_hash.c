/* archive_hash.c - the hash chain as a reader sees it: the link formula
 * (proto/jiju/v1/archive.proto) and the stored head. */
#include "archive_hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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

/* SHA-256 as fetched once, and one digest context per thread, reset per
 * link: EVP_sha256() in EVP_DigestInit_ex looks the algorithm up again on
 * every call (EVP_MD_fetch was two thirds of the hashing in a profile of
 * the chain's append). Both live until the process ends. */
static EVP_MD_CTX *archive_hash_ctx(void)
{
    static _Thread_local EVP_MD_CTX *ctx;
    static _Thread_local EVP_MD *md;

    if (!md && !(md = EVP_MD_fetch(NULL, "SHA256", NULL)))
        return NULL;
    if (!ctx && !(ctx = EVP_MD_CTX_new()))
        return NULL;
    return EVP_DigestInit_ex2(ctx, md, NULL) ? ctx : NULL;
}

int archive_hash(const uint8_t prev[ARCHIVE_HASH_LEN], uint64_t seq, const char *stream,
                 const char *producer_id, uint64_t source_seq, const uint8_t *envelope, size_t len,
                 uint8_t out[ARCHIVE_HASH_LEN])
{
    EVP_MD_CTX *ctx = archive_hash_ctx();
    uint8_t be_seq[8], be_src[8];
    unsigned int outlen = 0;
    int ok;

    if (!ctx)
        return JIJU_ERR_NOMEM;
    store_be64_put(be_seq, seq);
    store_be64_put(be_src, source_seq);
    ok = EVP_DigestUpdate(ctx, prev, ARCHIVE_HASH_LEN) && EVP_DigestUpdate(ctx, be_seq, 8) &&
         archive_hash_text(ctx, stream) && archive_hash_text(ctx, producer_id) &&
         EVP_DigestUpdate(ctx, be_src, 8) && (len == 0 || EVP_DigestUpdate(ctx, envelope, len)) &&
         EVP_DigestFinal_ex(ctx, out, &outlen) && outlen == ARCHIVE_HASH_LEN;
    return ok ? JIJU_OK : JIJU_ERR_INVALID;
}
