/* archive_server.h - the query endpoint: a ZeroMQ ROUTER that answers each
 * ArchiveQueryRequest frame with one ArchiveQueryReply frame (works with
 * DEALER and REQ clients alike), from inside the service loop. */
#ifndef JIJU_ARCHIVE_SERVER_H
#define JIJU_ARCHIVE_SERVER_H

#include "store.h"
#include "svc.h"

typedef struct archive_server archive_server_t;

/* Bind a ROUTER at endpoint and register it with svc. NULL on failure
 * (errno from ZeroMQ describes it). Caller owns the result. */
archive_server_t *archive_server_new(svc_t *svc, store_t *store, const char *endpoint,
                                     const char *instance);
void archive_server_destroy(archive_server_t **srv);

/* Requests answered so far. */
unsigned long long archive_server_answered(const archive_server_t *srv);

#endif
