/* ingest_trim.h - retention of ingest's log: records that both assessment
 * and the archive acknowledged may go (issue 6: producers upstream may trim
 * once the archive has acknowledged; the archive keeps everything). */
#ifndef JIJU_INGEST_TRIM_H
#define JIJU_INGEST_TRIM_H

#include "stream.h"
#include "svc.h"

typedef struct ingest_trim ingest_trim_t;

/* Every interval_ms, trim log up to what both peers acknowledged. */
ingest_trim_t *ingest_trim_new(svc_t *svc, store_t *store, stream_log_t *log,
                               stream_peer_t *to_assessment, stream_peer_t *to_archive,
                               int interval_ms);
void ingest_trim_destroy(ingest_trim_t **t);

#endif
