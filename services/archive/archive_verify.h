/* archive_verify.h - recompute the hash chain from the first record and
 * name the first record that was altered, is missing, or sits in another
 * record's place. Reads the store only; run it on a stopped archive's
 * directory (jiju archive verify --store DIR). */
#ifndef JIJU_ARCHIVE_VERIFY_H
#define JIJU_ARCHIVE_VERIFY_H

#include <stdint.h>

#include "archive_store.h"
#include "store.h"

typedef enum {
    ARCHIVE_VERIFY_OK = 0,  /* the chain from 1 to the head is intact */
    ARCHIVE_VERIFY_ALTERED, /* record `seq` does not hash to its stored link, or does not decode */
    ARCHIVE_VERIFY_MISSING, /* record `seq` is absent (a gap, or the tail before the head) */
    ARCHIVE_VERIFY_REORDERED, /* position `seq` holds record `found_seq` */
} archive_verify_status;

typedef struct archive_verify_result {
    archive_verify_status status;
    uint64_t seq;       /* the first bad position (0 when OK) */
    uint64_t found_seq; /* REORDERED: the archive sequence written in the record found there */
    uint64_t checked;   /* records whose link was recomputed and matched */
    uint64_t head_seq;  /* the head recorded in the store */
    uint8_t head_hash[ARCHIVE_HASH_LEN]; /* the recomputed hash of the last good record */
    char detail[256];                    /* one line for people */
} archive_verify_result;

/* Walk the whole chain. Returns JIJU_OK with *out filled (whatever the
 * verdict), or an error when the store cannot be read at all. */
int archive_verify(store_t *s, archive_verify_result *out);

/* "ok", "altered", "missing", "reordered". */
const char *archive_verify_status_str(archive_verify_status st);

#endif
