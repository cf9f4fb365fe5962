/* archive_replay.c - archived records in archive order, from the stream
 * index (or the records themselves when every stream is wanted). */
#include "archive_replay.h"

#include <stdlib.h>
#include <string.h>

#include "archive_index.h"
#include "archive_store.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"

static int ar_deliver(const uint8_t *val, size_t vlen, archive_replay_fn fn, void *arg,
                      uint64_t *last)
{
    Jiju__V1__ArchiveRecord *rec = jiju__v1__archive_record__unpack(NULL, vlen, val);
    archive_entry e;
    int rc;

    if (!rec)
        return JIJU_ERR_CORRUPT;
    e.archive_seq = rec->archive_seq;
    e.stream = rec->stream;
    e.producer_id = rec->producer_id;
    e.source_seq = rec->source_seq;
    e.envelope = rec->envelope.data;
    e.len = rec->envelope.len;
    rc = fn(arg, &e);
    *last = rec->archive_seq;
    jiju__v1__archive_record__free_unpacked(rec, NULL);
    return rc;
}

/* Every record, straight from the record family. */
static int ar_all(store_t *s, const archive_cfs *cfs, uint64_t from, archive_replay_fn fn,
                  void *arg, uint64_t *last)
{
    store_iter_t *it = store_iter_new(s, cfs->record);
    uint8_t key[8];
    int rc = JIJU_OK;

    if (!it)
        return JIJU_ERR_STORE;
    store_be64_put(key, from);
    for (store_iter_seek(it, key, sizeof key); rc == JIJU_OK && store_iter_valid(it);
         store_iter_next(it)) {
        size_t vlen;
        const uint8_t *val = store_iter_value(it, &vlen);

        rc = ar_deliver(val, vlen, fn, arg, last);
    }
    store_iter_destroy(&it);
    return rc;
}

/* One stream's records, through its index. */
static int ar_stream(store_t *s, const archive_cfs *cfs, const char *stream, uint64_t from,
                     archive_replay_fn fn, void *arg, uint64_t *last)
{
    uint8_t key[ARCHIVE_INDEX_KEY_MAX], rkey[8];
    size_t plen = archive_index_prefix(key, stream), klen, vlen;
    store_iter_t *it;
    int rc = JIJU_OK;

    if (plen == 0)
        return JIJU_ERR_INVALID;
    if (!(it = store_iter_new(s, cfs->stream)))
        return JIJU_ERR_STORE;
    store_be64_put(key + plen, from);
    for (store_iter_seek(it, key, plen + 8); rc == JIJU_OK && store_iter_valid(it);
         store_iter_next(it)) {
        const uint8_t *k = store_iter_key(it, &klen);
        void *val = NULL;

        if (klen != plen + 8 || memcmp(k, key, plen) != 0)
            break;
        memcpy(rkey, k + plen, 8);
        if (store_get(s, cfs->record, rkey, sizeof rkey, &val, &vlen) != JIJU_OK) {
            rc = JIJU_ERR_CORRUPT;
            break;
        }
        rc = ar_deliver(val, vlen, fn, arg, last);
        free(val);
    }
    store_iter_destroy(&it);
    return rc;
}

int archive_replay(store_t *s, const char *stream, uint64_t from_seq, archive_replay_fn fn,
                   void *arg, uint64_t *last_seq)
{
    archive_cfs cfs;
    uint64_t last = 0;
    int rc;

    if ((rc = archive_cfs_resolve(s, &cfs)) != JIJU_OK)
        return rc;
    if (from_seq == 0)
        from_seq = 1;
    if (!stream || !stream[0])
        rc = ar_all(s, &cfs, from_seq, fn, arg, &last);
    else
        rc = ar_stream(s, &cfs, stream, from_seq, fn, arg, &last);
    if (last_seq)
        *last_seq = last;
    return rc;
}
