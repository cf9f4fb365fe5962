/* notify_registry.c - county and development-zone subscriptions derived
 * from the registered clusters (see notify_registry.h). */
#include "notify_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"

bool notify_registry_is_zone(const char *suffixes, const char *county)
{
    size_t n = strlen(county);
    const char *p = suffixes ? suffixes : "";

    while (*p) {
        const char *end = strchr(p, ',');
        size_t k = end ? (size_t)(end - p) : strlen(p);
        if (k > 0 && k <= n && memcmp(county + n - k, p, k) == 0)
            return true;
        p += k + (end ? 1 : 0);
    }
    return false;
}

int notify_registry_names(const char *suffixes, const char *county, char *id, size_t idcap,
                          char *desc, size_t desccap)
{
    bool zone = notify_registry_is_zone(suffixes, county);
    int a = snprintf(id, idcap, "%s-%s", zone ? "zone" : "county", county);
    int b = snprintf(desc, desccap, "%s%s (derived from the registry: clusters in %s)", county,
                     zone ? "管委会" : "政府", county);

    return a < 0 || (size_t)a >= idcap || b < 0 || (size_t)b >= desccap ? -1 : 0;
}

static const char *county_of(const Jiju__V1__Envelope *env)
{
    const Jiju__V1__Cluster *c = NULL;

    if (env->body_case == JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED)
        c = env->cluster_registered->cluster;
    else if (env->body_case == JIJU__V1__ENVELOPE__BODY_CLUSTER_UPDATED)
        c = env->cluster_updated->cluster;
    return c && c->county && c->county[0] ? c->county : NULL;
}

int notify_registry_follow(const notify_registry *r, notify_subs_t *subs,
                           const Jiju__V1__Envelope *env, bool *created)
{
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT, *copy;
    Jiju__V1__Filter f = JIJU__V1__FILTER__INIT, *fp = &f;
    const char *county = county_of(env);
    char id[NOTIFY_ID_MAX + 1], desc[256], err[256], *counties[1];
    int rc;

    *created = false;
    if (!r->enabled || !county ||
        notify_registry_names(r->zone_suffixes, county, id, sizeof id, desc, sizeof desc) < 0 ||
        !notify_id_valid(id) || notify_subs_find(subs, id))
        return JIJU_OK;
    counties[0] = (char *)county;
    f.counties = counties;
    f.n_counties = 1;
    s.id = id;
    s.description = desc;
    s.filters = &fp;
    s.n_filters = 1;
    /* notify_subs_put takes ownership of a heap message */
    if (!(copy = (Jiju__V1__Subscription *)pb_copy(&s.base)))
        return JIJU_ERR_NOMEM;
    if ((rc = notify_subs_put(subs, &copy, 1, false, false, err, sizeof err)) != JIJU_OK)
        return rc;
    *created = true;
    return JIJU_OK;
}
