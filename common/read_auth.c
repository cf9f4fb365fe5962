/* read_auth.c - the read policy of the query endpoints (read_auth.h). */
#include "read_auth.h"

#include <stdio.h>
#include <string.h>

read_scope read_auth_scope(const zap_t *z, const char *user, const key_entry **key)
{
    const key_entry *k;

    *key = NULL;
    if (!z)
        return READ_ALL;
    if (!user || !*user || !(k = keys_by_name(zap_keys(z), user)))
        return READ_NONE;
    *key = k;
    switch (k->role) {
    case KEY_ROLE_ADMIN:
    case KEY_ROLE_SERVICE:
        return READ_ALL;
    case KEY_ROLE_REPORTER:
        return READ_CLUSTERS;
    default:
        return READ_NONE;
    }
}

/* "A, B, C" (cut at cap). */
static void read_auth_list(const key_entry *k, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < k->n_clusters && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", k->clusters[i]);
}

const char *read_auth_cluster(const key_entry *k, const char *asked, char *why, size_t cap)
{
    char list[160];

    if (asked && *asked && key_allows_cluster(k, asked))
        return asked;
    if ((!asked || !*asked) && k->n_clusters == 1)
        return k->clusters[0];
    read_auth_list(k, list, sizeof list);
    if (asked && *asked)
        snprintf(why, cap,
                 "E_FORBIDDEN_CLUSTER: key %s (role reporter) may not read cluster %s; its "
                 "clusters: %s",
                 k->name, asked, list);
    else
        snprintf(why, cap,
                 "E_FORBIDDEN_CLUSTER: key %s (role reporter) must name cluster_id: one "
                 "of %s",
                 k->name, list);
    return NULL;
}

const char *read_auth_refusal(const key_entry *k, const char *what, char *why, size_t cap)
{
    const char *hint = !k                             ? "the key is not on the allow-list"
                       : k->role == KEY_ROLE_REPORTER ? "it reads its own clusters only"
                       : k->role == KEY_ROLE_SUBSCRIBER
                           ? "a department reads what its subscription delivers (deliveries)"
                           : "an admin or service key is needed";

    snprintf(why, cap, "E_FORBIDDEN: key %s (role %s) may not read %s: %s", k ? k->name : "-",
             k ? key_role_name(k->role) : "-", what, hint);
    return why;
}
