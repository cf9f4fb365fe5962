/* ingest_submit.h - the submission endpoint (ROUTER) with group commit. */
#ifndef JIJU_INGEST_SUBMIT_H
#define JIJU_INGEST_SUBMIT_H

#include "ingest_config.h"
#include "ingest_state.h"
#include "stream.h"
#include "svc.h"

typedef struct ingest_submit ingest_submit_t;

/* Bind cfg->submit_endpoint and answer SubmitRequests; accepted reports and
 * commands are appended to log. Caller owns the result. */
ingest_submit_t *ingest_submit_new(svc_t *svc, ingest_state_t *state, stream_log_t *log,
                                   store_t *store, const ingest_config *cfg);
void ingest_submit_destroy(ingest_submit_t **is);

#endif
