/* assess_server.h - assessment's endpoints: the stream endpoint (ingest
 * replicas push "reports"; notification, archive and ingest follow
 * "events"), the query endpoint, and the tick that raises deadlines and
 * coalesced rankings. */
#ifndef JIJU_ASSESS_SERVER_H
#define JIJU_ASSESS_SERVER_H

#include "assess.h"
#include "assess_config.h"
#include "svc.h"

typedef struct assess_server assess_server_t;

assess_server_t *assess_server_new(svc_t *svc, store_t *store, stream_log_t *events, assess_t *a,
                                   const assess_config *cfg);
void assess_server_destroy(assess_server_t **s);

#endif
