/* query_pages.h - reading a whole paged answer of assessment's queries
 * (proto/jiju/v1/query.proto "Paging"): ListClusters and GetRanking are
 * asked page after page, next_page_token sent back as page_token, until it
 * is empty, and the pages are merged into one reply, so a client that shows
 * everything (the CLI, the portal) sees what one unpaged reply would have
 * held. Written once here for both; any way of making one call will do
 * (the CLI's rpc client, the portal's pool). */
#ifndef JIJU_QUERY_PAGES_H
#define JIJU_QUERY_PAGES_H

#include <stdint.h>

#include "jiju/v1/query.pb-c.h"

/* Pages asked for by query_all: the most the service gives in one. */
#define QUERY_PAGES_SIZE 5000
/* A ranking changed between pages and the service no longer holds the one
 * paged (E_PAGE_STALE): start again from the first page, this many times. */
#define QUERY_PAGES_RESTARTS 3

/* One call: *reply (caller frees with jiju__v1__query_reply__free_unpacked)
 * or a jiju_err. */
typedef int (*query_call_fn)(void *arg, const Jiju__V1__QueryRequest *req,
                             Jiju__V1__QueryReply **reply);

/* Every page of req (its page_size and page_token are set here; req is
 * left as given), merged: *out holds the clusters or ranking entries of
 * every page in order, total_size, final and instance as the service said
 * them, next_page_token "". A refused page (ok = 0) is *out as the service
 * sent it, for the caller to report (after QUERY_PAGES_RESTARTS restarts
 * for E_PAGE_STALE). A query of another kind is one call. JIJU_OK, the
 * call's error, JIJU_ERR_PROTOCOL (a token that does not change: the
 * service is broken, we do not loop), JIJU_ERR_NOMEM. */
int query_all(query_call_fn call, void *arg, Jiju__V1__QueryRequest *req,
              Jiju__V1__QueryReply **out);

/* Merge page's entries after into's (page's are moved, *page freed and
 * NULLed). JIJU_ERR_NOMEM leaves both as they were. */
int query_pages_merge(Jiju__V1__QueryReply *into, Jiju__V1__QueryReply **page);

#endif
