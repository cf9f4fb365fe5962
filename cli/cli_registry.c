/* cli_registry.c - 集聚区名称 / 县区 of a form against ListClusters. */
#include "cli_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int by_id(const void *a, const void *b)
{
    const Jiju__V1__Cluster *const *x = a, *const *y = b;

    return strcmp((*x)->id, (*y)->id);
}

static const Jiju__V1__Cluster *find(Jiju__V1__Cluster **sorted, size_t n, const char *id)
{
    Jiju__V1__Cluster key = {.id = (char *)id}, *kp = &key, **hit;

    hit = n ? bsearch(&kp, sorted, n, sizeof *sorted, by_id) : NULL;
    return hit ? *hit : NULL;
}

/* The reason a row disagrees, or 0 if it agrees. */
static int disagrees(const cli_form_result *res, size_t i, const Jiju__V1__Cluster *c, size_t *col,
                     const char **column, char *why, size_t cap)
{
    const char *id = res->reports[i]->cluster_id;

    if (res->names[i] && strcmp(res->names[i], c->name) != 0) {
        *col = res->name_col;
        *column = "集聚区名称";
        snprintf(why, cap, "\"%s\" is not the registered name of %s: \"%s\"", res->names[i], id,
                 c->name);
        return 1;
    }
    if (res->counties[i] && strcmp(res->counties[i], c->county) != 0) {
        *col = res->county_col;
        *column = "县区";
        snprintf(why, cap, "\"%s\" is not the registered county of %s: \"%s\"", res->counties[i],
                 id, c->county);
        return 1;
    }
    return 0;
}

int cli_registry_check_reply(cli_form_result *res, const Jiju__V1__QueryReply *reply)
{
    size_t n = reply->n_clusters;
    Jiju__V1__Cluster **sorted = malloc((n ? n : 1) * sizeof *sorted);
    int rc = JIJU_OK;

    if (!sorted)
        return JIJU_ERR_NOMEM;
    memcpy(sorted, reply->clusters, n * sizeof *sorted);
    if (n > 1)
        qsort(sorted, n, sizeof *sorted, by_id);
    for (size_t i = 0; i < res->n_reports && rc == JIJU_OK;) {
        const Jiju__V1__Cluster *c = find(sorted, n, res->reports[i]->cluster_id);
        const char *column = "";
        char why[192];
        size_t col = 0;

        if (c && disagrees(res, i, c, &col, &column, why, sizeof why))
            rc = cli_form_result_refuse(res, i, col, column, why); /* i now names the next */
        else
            i++;
    }
    free(sorted);
    return rc;
}

int cli_registry_check(cli_form_result *res, const cli_endpoints *query, int timeout_ms)
{
    Jiju__V1__QueryRequest req = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__ListClusters lc = JIJU__V1__LIST_CLUSTERS__INIT;
    Jiju__V1__QueryReply *rep;
    int rc;

    if (!res->name_col && !res->county_col)
        return JIJU_OK;
    req.request_id = "import-registry";
    req.kind_case = JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS;
    req.list_clusters = &lc;
    if (!(rep = cli_query(query, &req, timeout_ms, 0))) {
        fprintf(stderr,
                "jiju import: cannot check 集聚区名称/县区 against the registry: no "
                "answer from assessment at %s (--query E, $JIJU_ASSESSMENT_QUERY)\n",
                query->list[0]);
        return JIJU_ERR_TIMEOUT;
    }
    rc = cli_registry_check_reply(res, rep);
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return rc;
}
