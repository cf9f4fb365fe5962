/* notify_seed.h - subscriptions written as JSON (deploy/config/
 * subscriptions.json, loaded once on first start), parsed with jansson:
 *
 *   [ { "id": "jtj", "description": "市交通局",
 *       "filters": [ { "categories": ["LOGISTICS"] } ] },
 *     { "id": "hook", "webhook": { "url": "https://...", "secret": "..." },
 *       "filters": [ { "types": ["AwardGranted"], "counties": ["船营区"],
 *                      "cluster_ids": ["JL-WL-001"] } ] } ]
 *
 * Categories are the enum names of common.proto (LOGISTICS, ...). The
 * file may also be an object {"subscriptions": [...]}. */
#ifndef JIJU_NOTIFY_SEED_H
#define JIJU_NOTIFY_SEED_H

#include <stddef.h>
#include <jansson.h>

#include "jiju/v1/subscription.pb-c.h"

/* One subscription from a JSON object (not yet validated: see
 * notify_validate). Caller owns the result (free with
 * jiju__v1__subscription__free_unpacked(s, NULL)). NULL with a reason. */
Jiju__V1__Subscription *notify_seed_parse_one(const json_t *obj, char *err, size_t cap);

/* Every subscription of the file at path into a malloc'd array (*out, *n;
 * free each and the array). Returns 0, or -1 with a reason naming the file
 * and the entry. */
int notify_seed_load(const char *path, Jiju__V1__Subscription ***out, size_t *n, char *err,
                     size_t cap);

#endif
