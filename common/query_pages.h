/* query_pages.h - reading a whole paged answer (proto/jiju/v1/query.proto
 * and subscription.proto, "Paging"): assessment's ListClusters and
 * GetRanking, notification's ListSubscriptions and ListDeadLetters are
 * asked page after page, next_page_token sent back as page_token, until it
 * is empty, and the pages are merged into one reply, so a client that shows
 * everything (the CLI, the portal) sees what one unpaged reply would have
 * held. Written once here for every paged request: the request and reply
 * are read through their protobuf-c descriptors (a request whose set oneof
 * member has page_size and page_token; a reply with ok, error,
 * next_page_token and repeated entries), so a new paged request needs no
 * code here. Any way of making one call will do (the CLI's rpc client, the
 * portal's pool). */
#ifndef JIJU_QUERY_PAGES_H
#define JIJU_QUERY_PAGES_H

#include <stdint.h>

#include "jiju/v1/query.pb-c.h"

/* Pages asked for by query_all: the most the services give in one. */
#define QUERY_PAGES_SIZE 5000
/* A ranking changed between pages and the service no longer holds the one
 * paged (E_PAGE_STALE): start again from the first page, this many times. */
#define QUERY_PAGES_RESTARTS 3

/* One call of any request: *reply (caller frees it with
 * protobuf_c_message_free_unpacked) or a jiju_err. */
typedef int (*query_pages_call_fn)(void *arg, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply);

/* Every page of req (its page_size and page_token are set here; req is
 * left as given), merged: *out holds every repeated entry of every page in
 * order, the first page's other fields (total_size, instance, ...), and
 * next_page_token "". At most max entries (0: all) are read: the pages stop
 * once that many came (the last page is kept whole). A refused page
 * (ok = 0) is *out as the service sent it, for the caller to report (after
 * QUERY_PAGES_RESTARTS restarts for E_PAGE_STALE). A request that is not
 * paged is one call. JIJU_OK, the call's error, JIJU_ERR_PROTOCOL (a token
 * that does not change: the service is broken, we do not loop),
 * JIJU_ERR_NOMEM. */
int query_pages_all(query_pages_call_fn call, void *arg, ProtobufCMessage *req, size_t max,
                    ProtobufCMessage **out);

/* Append page's repeated entries after into's (moved: *page freed and
 * NULLed). JIJU_ERR_NOMEM leaves both as they were. */
int query_pages_merge(ProtobufCMessage *into, ProtobufCMessage **page);

/* assessment's queries, typed. */
typedef int (*query_call_fn)(void *arg, const Jiju__V1__QueryRequest *req,
                             Jiju__V1__QueryReply **reply);
int query_all(query_call_fn call, void *arg, Jiju__V1__QueryRequest *req,
              Jiju__V1__QueryReply **out);

#endif
