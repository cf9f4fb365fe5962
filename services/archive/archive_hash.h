/* archive_hash.h - the link of each record in the archive's SHA-256 hash
 * chain (formula in proto/jiju/v1/archive.proto) and the head stored with
 * the chain: what appending (archive_chain.h) and verifying
 * (archive_verify.h) both compute. */
#ifndef JIJU_ARCHIVE_HASH_H
#define JIJU_ARCHIVE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "archive_store.h"
#include "store.h"

/* H(seq) from H(seq-1) = prev and the record's parts, into out. */
int archive_hash(const uint8_t prev[ARCHIVE_HASH_LEN], uint64_t seq, const char *stream,
                 const char *producer_id, uint64_t source_seq, const uint8_t *envelope, size_t len,
                 uint8_t out[ARCHIVE_HASH_LEN]);

/* Read the head stored in the meta family: *seq and hash (32 zero bytes and
 * 0 if the archive is empty). JIJU_ERR_CORRUPT if it does not decode. */
int archive_head_read(store_t *s, const archive_cfs *cfs, uint64_t *seq,
                      uint8_t hash[ARCHIVE_HASH_LEN]);

#endif
