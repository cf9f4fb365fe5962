/* report_digest.h - the identity of a report's content, for telling a
 * repeated report (DUPLICATE: same id, same content) from a conflicting one
 * (CONFLICT: same id, different content). Ingest decides this when a report
 * arrives; assessment decides it again when two ingest replicas both
 * accepted one report id before either learned of the other. */
#ifndef JIJU_REPORT_DIGEST_H
#define JIJU_REPORT_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/report.pb-c.h"
#include "store.h"

#define REPORT_DIGEST_LEN 32

/* SHA-256 of the report packed by protobuf-c, which writes fields in number
 * order: equal reports give equal digests. All zero if memory runs out (two
 * such reports then compare equal: a DUPLICATE, never a false CONFLICT). */
void report_digest(const Jiju__V1__Report *r, uint8_t out[REPORT_DIGEST_LEN]);

/* A report id names a report within its cluster (docs/errors.md, E_CONFLICT):
 * R-2020 of cluster A and R-2020 of cluster B are two reports, so that no
 * reporter can take another cluster's ids. Every index of report ids (ingest,
 * assessment) is keyed by cluster_id '\0' report_id: both are printable
 * ASCII, so the '\0' cannot occur in either, and keys written before ids
 * were scoped (the bare report id) never equal a scoped one. Writes the key
 * into out and returns its length, or 0 if it does not fit in cap. */
size_t report_id_key(const char *cluster_id, const char *report_id, char *out, size_t cap);

/* Does column family cf of s, an index of report ids, hold scoped keys
 * only? Then a lookup that misses the scoped key need not try the bare id
 * too (two point reads per new report instead of one). A family is known
 * to be so once it carries the marker REPORT_IDS_SCOPED_KEY, a key no id
 * can equal (it starts with '\0'); an empty family is marked here (one
 * synced write). 1 if scoped only, 0 if it may hold bare ids (a store
 * written before ids were scoped, or the marker could not be written). */
#define REPORT_IDS_SCOPED_KEY "\0ids_scoped"
#define REPORT_IDS_SCOPED_KLEN 11
int report_ids_scoped(store_t *s, int cf);

#endif
