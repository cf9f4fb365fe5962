/* stream_log_layout.c - the stored form of a producer log (stream_log_int.h
 * draws it): the key of one record, of a run and of the meta; a run's
 * value, a varint length and the bytes of each record in turn. Pure
 * encoding and decoding: nothing here touches the store. */
#include <string.h>

#include "stream_log_int.h"

size_t stream_log_key(const stream_log_t *log, uint64_t seq, uint8_t *out)
{
    memcpy(out, log->prefix, log->plen);
    store_be64_put(out + log->plen, seq);
    return log->plen + 8;
}

size_t stream_log_run_key(const stream_log_t *log, uint64_t first, uint64_t last, uint8_t *out)
{
    memcpy(out, log->prefix, log->plen);
    store_be64_put(out + log->plen, first);
    store_be64_put(out + log->plen + 8, last);
    return log->plen + 16;
}

int stream_log_key_span(const stream_log_t *log, const uint8_t *key, size_t klen, uint64_t *first,
                        uint64_t *last)
{
    if (klen < log->plen + 8 || memcmp(key, log->prefix, log->plen) != 0)
        return -1;
    *first = *last = store_be64_get(key + log->plen);
    if (klen == log->plen + 8)
        return 0;
    if (klen != log->plen + 16)
        return -1;
    *last = store_be64_get(key + log->plen + 8);
    return *first > 0 && *last > *first ? 0 : -1;
}

int stream_log_run_entry(const uint8_t *v, size_t vlen, size_t *off, const uint8_t **rec,
                         size_t *rlen)
{
    uint64_t len = 0;
    size_t o = *off;

    for (int shift = 0;; shift += 7) {
        if (o >= vlen || shift > 63)
            return -1;
        len |= (uint64_t)(v[o] & 0x7f) << shift;
        if (!(v[o++] & 0x80))
            break;
    }
    if (len > vlen - o)
        return -1;
    *rec = v + o;
    *rlen = (size_t)len;
    *off = o + (size_t)len;
    return 0;
}

int stream_log_key_record(const uint8_t *val, size_t vlen, uint64_t kfirst, uint64_t klast,
                          uint64_t seq, const uint8_t **rec, size_t *len)
{
    size_t off = 0;

    if (kfirst == klast) {
        *rec = val;
        *len = vlen;
        return 0;
    }
    for (uint64_t s = kfirst; s <= seq; s++)
        if (stream_log_run_entry(val, vlen, &off, rec, len) != 0)
            return -1;
    return 0;
}

void stream_log_meta_put(uint8_t out[16], uint64_t trimmed, uint64_t epoch)
{
    store_be64_put(out, trimmed);
    store_be64_put(out + 8, epoch);
}
