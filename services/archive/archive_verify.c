/* archive_verify.c - the chain walk behind `jiju archive verify`. */
#include "archive_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_hash.h"
#include "err.h"
#include "jiju/v1/archive.pb-c.h"

const char *archive_verify_status_str(archive_verify_status st)
{
    switch (st) {
    case ARCHIVE_VERIFY_OK:
        return "ok";
    case ARCHIVE_VERIFY_ALTERED:
        return "altered";
    case ARCHIVE_VERIFY_MISSING:
        return "missing";
    case ARCHIVE_VERIFY_REORDERED:
        return "reordered";
    }
    return "unknown";
}

static void av_fail(archive_verify_result *r, archive_verify_status st, uint64_t seq,
                    const char *detail)
{
    r->status = st;
    r->seq = seq;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* Archive sequence written inside the record stored at position seq (0 if
 * absent or undecodable): tells a swap from a lone misplaced record. */
static uint64_t av_seq_at(store_t *s, int cf, uint64_t seq)
{
    Jiju__V1__ArchiveRecord *rec;
    uint8_t key[8];
    void *val = NULL;
    size_t vlen;
    uint64_t found = 0;

    store_be64_put(key, seq);
    if (store_get(s, cf, key, sizeof key, &val, &vlen) != JIJU_OK)
        return 0;
    if ((rec = jiju__v1__archive_record__unpack(NULL, vlen, val)) != NULL) {
        found = rec->archive_seq;
        jiju__v1__archive_record__free_unpacked(rec, NULL);
    }
    free(val);
    return found;
}

/* Check one stored record at position pos against the running chain. Returns
 * 1 if it links (r->head_hash advanced), 0 with r filled otherwise. */
static int av_check(store_t *s, int cf, uint64_t pos, const uint8_t *val, size_t vlen,
                    archive_verify_result *r)
{
    Jiju__V1__ArchiveRecord *rec = jiju__v1__archive_record__unpack(NULL, vlen, val);
    uint8_t h[ARCHIVE_HASH_LEN];
    char why[200];
    int ok = 0;

    if (!rec) {
        av_fail(r, ARCHIVE_VERIFY_ALTERED, pos, "stored record does not decode");
        return 0;
    }
    if (rec->archive_seq != pos) {
        uint64_t back = av_seq_at(s, cf, rec->archive_seq);

        snprintf(why, sizeof why, "position %llu holds record %llu%s", (unsigned long long)pos,
                 (unsigned long long)rec->archive_seq,
                 back == pos ? " (the two were swapped)" : "");
        av_fail(r, ARCHIVE_VERIFY_REORDERED, pos, why);
        r->found_seq = rec->archive_seq;
    } else if (archive_hash(r->head_hash, pos, rec->stream, rec->producer_id, rec->source_seq,
                            rec->envelope.data, rec->envelope.len, h) != JIJU_OK ||
               rec->hash.len != ARCHIVE_HASH_LEN || memcmp(h, rec->hash.data, sizeof h) != 0) {
        av_fail(r, ARCHIVE_VERIFY_ALTERED, pos, "recomputed hash differs from the stored link");
    } else {
        memcpy(r->head_hash, h, sizeof h);
        ok = 1;
    }
    jiju__v1__archive_record__free_unpacked(rec, NULL);
    return ok;
}

/* After the walk: the stored head must name the last record and its hash. */
static void av_head(uint64_t last, const uint8_t head_hash[ARCHIVE_HASH_LEN],
                    archive_verify_result *r)
{
    char why[200];

    if (r->head_seq > last) {
        snprintf(why, sizeof why, "records %llu..%llu absent (head is %llu)",
                 (unsigned long long)last + 1, (unsigned long long)r->head_seq,
                 (unsigned long long)r->head_seq);
        av_fail(r, ARCHIVE_VERIFY_MISSING, last + 1, why);
    } else if (r->head_seq < last) {
        snprintf(why, sizeof why, "record %llu lies beyond the recorded head %llu",
                 (unsigned long long)r->head_seq + 1, (unsigned long long)r->head_seq);
        av_fail(r, ARCHIVE_VERIFY_ALTERED, r->head_seq + 1, why);
    } else if (last > 0 && memcmp(head_hash, r->head_hash, ARCHIVE_HASH_LEN) != 0) {
        av_fail(r, ARCHIVE_VERIFY_ALTERED, last, "last record's hash differs from the head");
    }
}

int archive_verify(store_t *s, archive_verify_result *out)
{
    archive_verify_result r = {0};
    uint8_t head_hash[ARCHIVE_HASH_LEN];
    archive_cfs cfs;
    store_iter_t *it;
    uint64_t expected = 1;
    int rc;

    if ((rc = archive_cfs_resolve(s, &cfs)) != JIJU_OK ||
        (rc = archive_head_read(s, &cfs, &r.head_seq, head_hash)) != JIJU_OK)
        return rc;
    if (!(it = store_iter_new(s, cfs.record)))
        return JIJU_ERR_STORE;
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it), expected++) {
        size_t klen, vlen;
        const uint8_t *key = store_iter_key(it, &klen);
        const uint8_t *val = store_iter_value(it, &vlen);
        uint64_t pos = klen == 8 ? store_be64_get(key) : 0;

        if (pos != expected) {
            char why[120];
            snprintf(why, sizeof why, "record %llu absent (next present: %llu)",
                     (unsigned long long)expected, (unsigned long long)pos);
            av_fail(&r, ARCHIVE_VERIFY_MISSING, expected, why);
            break;
        }
        if (!av_check(s, cfs.record, pos, val, vlen, &r))
            break;
        r.checked++;
    }
    store_iter_destroy(&it);
    if (r.status == ARCHIVE_VERIFY_OK)
        av_head(r.checked, head_hash, &r);
    if (r.status == ARCHIVE_VERIFY_OK)
        snprintf(r.detail, sizeof r.detail, "%llu records, chain intact",
                 (unsigned long long)r.checked);
    *out = r;
    return JIJU_OK;
}
