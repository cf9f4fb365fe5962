/* portal_backend.h - the portal as a client of the four services over their
 * ZeroMQ contracts: SubmitRequest to ingest, QueryRequest to assessment,
 * ArchiveQueryRequest to the archive (proto/jiju/v1/).
 *
 * Each service has a pool of rpc clients (rpc.h): an HTTP thread takes one,
 * makes one blocking call with failover, and gives it back, so a client is
 * used by one thread at a time and the sockets stay connected between
 * requests. A client whose call failed is closed, not pooled again. */
#ifndef JIJU_PORTAL_BACKEND_H
#define JIJU_PORTAL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/archive.pb-c.h"
#include "jiju/v1/query.pb-c.h"
#include "jiju/v1/submit.pb-c.h"

typedef struct portal_backend portal_backend_t;

/* zctx is borrowed and outlives the backend. ingest_endpoints is comma
 * separated. max_reply: the largest reply taken (rpc_set_max_reply; a
 * larger one fails the call with JIJU_ERR_TOO_LARGE). NULL on a bad
 * endpoint list or no memory. */
portal_backend_t *portal_backend_new(void *zctx, const char *ingest_endpoints,
                                     const char *assessment_endpoint, const char *archive_endpoint,
                                     int timeout_ms, int64_t max_reply);
void portal_backend_destroy(portal_backend_t **b);

/* Speak CURVE to the services: their public keys and the portal's key
 * pair (Z85). Before the first call. JIJU_ERR_INVALID for a bad key. */
int portal_backend_set_curve(portal_backend_t *b, const char *ingest_public,
                             const char *assessment_public, const char *archive_public,
                             const char *client_public, const char *client_secret);

/* One call each; *reply is caller-owned (free with the message's
 * free_unpacked). JIJU_OK, JIJU_ERR_TIMEOUT (no service answered),
 * JIJU_ERR_TOO_LARGE (every reply was above max_reply),
 * JIJU_ERR_CORRUPT (reply does not decode), JIJU_ERR_NOMEM. */
int portal_submit(portal_backend_t *b, const Jiju__V1__SubmitRequest *req,
                  Jiju__V1__SubmitReply **reply);
int portal_query(portal_backend_t *b, const Jiju__V1__QueryRequest *req,
                 Jiju__V1__QueryReply **reply);
/* Every page of a paged query (ListClusters, GetRanking), merged
 * (query_pages.h); other queries as portal_query. */
int portal_query_all(portal_backend_t *b, Jiju__V1__QueryRequest *req,
                     Jiju__V1__QueryReply **reply);
int portal_archive(portal_backend_t *b, const Jiju__V1__ArchiveQueryRequest *req,
                   Jiju__V1__ArchiveQueryReply **reply);

#endif
