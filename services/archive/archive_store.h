/* archive_store.h - the archive's RocksDB layout: the records, the head of
 * the hash chain, and one column family per secondary index.
 *
 *   arc_record   be64 archive_seq                 -> packed jiju.v1.ArchiveRecord
 *   arc_meta     "head"                           -> be64 head_seq || 32-byte head hash
 *   arc_cluster  u8 len || cluster_id || be64 seq -> ""
 *   arc_period   u8 len || period     || be64 seq -> ""
 *   arc_type     u8 len || type       || be64 seq -> ""
 *   arc_report   u8 len || report_id  || be64 seq -> ""
 *   arc_stream   u8 len || stream     || be64 seq -> ""
 *   arc_time     be64 (time_ms ^ sign) || be64 seq -> ""
 *
 * plus STORE_STREAM_CFS (the cursors of the streams the archive follows).
 * Every index key ends with the archive sequence, so within one value the
 * index is in archive order, and a page is one seek plus a short scan. */
#ifndef JIJU_ARCHIVE_STORE_H
#define JIJU_ARCHIVE_STORE_H

#include <stddef.h>

#include "store.h"

#define ARCHIVE_CF_RECORD "arc_record"
#define ARCHIVE_CF_META "arc_meta"
#define ARCHIVE_CF_CLUSTER "arc_cluster"
#define ARCHIVE_CF_PERIOD "arc_period"
#define ARCHIVE_CF_TYPE "arc_type"
#define ARCHIVE_CF_REPORT "arc_report"
#define ARCHIVE_CF_STREAM "arc_stream"
#define ARCHIVE_CF_TIME "arc_time"

#define ARCHIVE_HASH_LEN 32
#define ARCHIVE_META_HEAD "head"

/* Stream names the archive records come from. */
#define ARCHIVE_STREAM_REPORTS "reports"
#define ARCHIVE_STREAM_EVENTS "events"

/* The archive's own families (without STORE_STREAM_CFS), for
 * service_open_store(). */
extern const char *const archive_cf_names[];
extern const size_t archive_n_cfs;

/* Column family indexes of an open archive store. */
typedef struct archive_cfs {
    int record, meta, cluster, period, type, report, stream, time;
} archive_cfs;

/* Resolve every family; JIJU_ERR_STORE if one is missing (not an archive
 * store). out is set only on success. */
int archive_cfs_resolve(const store_t *s, archive_cfs *out);

#endif
