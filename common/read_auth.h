/* read_auth.h - who reads what through the query endpoints (assessment's
 * queries, the archive's), decided once here and applied by each endpoint
 * to its own data; docs/operations.md "Who reads what" has the table.
 *
 *   admin, service   everything
 *   reporter         the clusters on its key only (stream_auth.c and
 *                    ingest_authz.c say what it may push and submit)
 *   subscriber       nothing here: a department reads what its
 *                    subscription delivers (notification's "deliveries")
 *
 * In plain mode (no CURVE: zap NULL) there are no keys, so everyone reads
 * everything; that mode is for a local demo only. */
#ifndef JIJU_READ_AUTH_H
#define JIJU_READ_AUTH_H

#include <stddef.h>

#include "keys.h"
#include "zap.h"

typedef enum {
    READ_ALL,      /* admin and service keys, plain mode */
    READ_CLUSTERS, /* reporter keys: only the clusters of the key */
    READ_NONE,     /* subscriber keys; a name not (or no longer) on the list */
} read_scope;

/* The scope of the key named user (the replier route's ZAP User-Id); *key
 * is set to its entry (NULL in plain mode or when unknown). */
read_scope read_auth_scope(const zap_t *z, const char *user, const key_entry **key);

/* READ_CLUSTERS: the one cluster a request may read. asked is the cluster
 * it names ("" or NULL: none): returned if on the key; with none named, the
 * key's cluster if it has exactly one. Otherwise NULL, with the refusal in
 * why: "E_FORBIDDEN_CLUSTER: key K (role reporter) may not read cluster X;
 * its clusters: A, B" or "... must name cluster_id: one of A, B". */
const char *read_auth_cluster(const key_entry *k, const char *asked, char *why, size_t cap);

/* The refusal of a READ_NONE key asking for what (e.g. "archive queries"),
 * or of a READ_CLUSTERS key asking for data of no single cluster:
 * "E_FORBIDDEN: key K (role R) may not read WHAT: ..." into why. */
const char *read_auth_refusal(const key_entry *k, const char *what, char *why, size_t cap);

#endif
