/* notify_registry.h - subscriptions that follow the registry. The policy
 * makes each 县(市)区政府 and 开发区管委会 responsible for the clusters in
 * its area (seed 四, "以下均需各相关县<市>区政府及开发区管委会负责"), so
 * every county or development zone that a registered cluster names gets a
 * subscription of its own, filtered on that county, the moment the first
 * ClusterRegistered (or ClusterUpdated) naming it is routed: nobody edits a
 * file when a cluster in a new area is registered.
 *
 * A development zone is a county value ending in one of the configured
 * suffixes (routing.zone_suffixes, default 开发区,高新区,经开区,园区,示范区):
 * its subscription is "zone-<name>" (<name>管委会), any other is
 * "county-<name>" (<name>政府), the ids deploy/config/subscriptions.json
 * uses. An existing subscription of that id is left as it is. */
#ifndef JIJU_NOTIFY_REGISTRY_H
#define JIJU_NOTIFY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "jiju/v1/envelope.pb-c.h"
#include "notify_subs.h"

typedef struct notify_registry {
    bool enabled;              /* routing.follow_registry */
    const char *zone_suffixes; /* comma-separated, UTF-8 */
} notify_registry;

/* Whether county names a development zone under suffixes. */
bool notify_registry_is_zone(const char *suffixes, const char *county);

/* The derived subscription's id and description for county; 0, or -1 if
 * they do not fit (the id is then not derived). */
int notify_registry_names(const char *suffixes, const char *county, char *id, size_t idcap,
                          char *desc, size_t desccap);

/* If env registers or updates a cluster whose county has no subscription of
 * its derived id, create it (a synced commit of its own, before env is
 * routed, so env reaches it too; a crash in between is repaired by the
 * replay, which finds it). *created is set to whether one was. */
int notify_registry_follow(const notify_registry *r, notify_subs_t *subs,
                           const Jiju__V1__Envelope *env, bool *created);

#endif
