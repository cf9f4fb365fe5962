/* report_digest.h - the identity of a report's content, for telling a
 * repeated report (DUPLICATE: same id, same content) from a conflicting one
 * (CONFLICT: same id, different content). Ingest decides this when a report
 * arrives; assessment decides it again when two ingest replicas both
 * accepted one report id before either learned of the other. */
#ifndef JIJU_REPORT_DIGEST_H
#define JIJU_REPORT_DIGEST_H

#include <stdint.h>

#include "jiju/v1/report.pb-c.h"

#define REPORT_DIGEST_LEN 32

/* SHA-256 of the report packed by protobuf-c, which writes fields in number
 * order: equal reports give equal digests. All zero if memory runs out (two
 * such reports then compare equal: a DUPLICATE, never a false CONFLICT). */
void report_digest(const Jiju__V1__Report *r, uint8_t out[REPORT_DIGEST_LEN]);

#endif
