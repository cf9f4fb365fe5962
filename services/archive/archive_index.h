/* archive_index.h - the secondary indexes: which values of a record are
 * indexed (taken from its Envelope) and how index keys are laid out (see
 * archive_store.h). Index values longer than ARCHIVE_INDEX_VALUE_MAX bytes are
 * not indexed (ingest never accepts such ids). */
#ifndef JIJU_ARCHIVE_INDEX_H
#define JIJU_ARCHIVE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_store.h"
#include "store.h"

#define ARCHIVE_INDEX_VALUE_MAX 255
/* Longest index key: length byte, value, be64 seq. */
#define ARCHIVE_INDEX_KEY_MAX (1 + ARCHIVE_INDEX_VALUE_MAX + 8)

/* The indexed values of one record ("" when absent). */
typedef struct archive_fields {
    char cluster[ARCHIVE_INDEX_VALUE_MAX + 1];
    char period[ARCHIVE_INDEX_VALUE_MAX + 1];
    char type[ARCHIVE_INDEX_VALUE_MAX + 1];
    char report_id[ARCHIVE_INDEX_VALUE_MAX + 1];
    int64_t time_ms;
    bool has_time; /* the envelope decoded and carried a time */
} archive_fields;

/* Fill *out from envelope bytes: subject / period (falling back to the
 * report's cluster_id / period), CloudEvents type (derived from the body when
 * the type attribute is empty), report id of ReportAccepted/ReportRejected,
 * time_ms. Bytes that do not decode give JIJU_ERR_CORRUPT and an all-empty
 * *out (such a record is still archived, indexed by stream only). */
int archive_fields_from_envelope(const uint8_t *data, size_t len, archive_fields *out);

/* Key for (value, seq) in a prefix index; returns its length, 0 if value is
 * too long. out must hold ARCHIVE_INDEX_KEY_MAX bytes. */
size_t archive_index_key(uint8_t *out, const char *value, uint64_t seq);
/* The prefix shared by every key of value (length byte and value). */
size_t archive_index_prefix(uint8_t *out, const char *value);
/* Key of the time index: be64(time_ms with its sign bit flipped, so negative
 * times sort first) || be64(seq). out holds 16 bytes. */
void archive_index_time_key(uint8_t out[16], int64_t time_ms, uint64_t seq);
/* The archive sequence an index key ends with. */
uint64_t archive_index_key_seq(const uint8_t *key, size_t klen);

/* Write every index entry of record seq into txn. */
int archive_index_put(store_txn_t *txn, const archive_cfs *cfs, const archive_fields *f,
                      const char *stream, uint64_t seq);

#endif
