/* notify_seed.c - subscriptions from JSON. The message is built on the
 * stack pointing into the JSON, then packed and unpacked once so that the
 * caller owns an ordinary heap copy freed by free_unpacked. */
#include "notify_seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"

#define SEED_MAX_LIST 1024

typedef struct {
    const char *strs[4][SEED_MAX_LIST];
    Jiju__V1__Category cats[SEED_MAX_LIST];
} seed_lists;

static int bad(char *err, size_t cap, const char *what, const char *detail)
{
    snprintf(err, cap, "%s: %s", what, detail);
    return -1;
}

static int str_list(const json_t *arr, const char *name, const char **out, size_t *n, char *err,
                    size_t cap)
{
    size_t i;
    json_t *v;

    *n = 0;
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > SEED_MAX_LIST)
        return bad(err, cap, name, "must be an array of at most 1024 strings");
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return bad(err, cap, name, "must hold strings");
        out[(*n)++] = json_string_value(v);
    }
    return 0;
}

static int cat_list(const json_t *arr, Jiju__V1__Category *out, size_t *n, char *err, size_t cap)
{
    const ProtobufCEnumValue *ev;
    size_t i;
    json_t *v;

    *n = 0;
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > SEED_MAX_LIST)
        return bad(err, cap, "categories", "must be an array of category names");
    json_array_foreach(arr, i, v)
    {
        ev = json_is_string(v) ? protobuf_c_enum_descriptor_get_value_by_name(
                                     &jiju__v1__category__descriptor, json_string_value(v))
                               : NULL;
        if (!ev || ev->value == 0)
            return bad(err, cap, "categories", "unknown category (use LOGISTICS, ECOMMERCE, ...)");
        out[(*n)++] = (Jiju__V1__Category)ev->value;
    }
    return 0;
}

static int parse_filter(const json_t *o, Jiju__V1__Filter *f, seed_lists *l, char *err, size_t cap)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return bad(err, cap, "filters", "each filter must be an object");
    json_object_foreach((json_t *)o, k, v)
    {
        if (strcmp(k, "types") && strcmp(k, "categories") && strcmp(k, "counties") &&
            strcmp(k, "cluster_ids"))
            return bad(err, cap, k, "unknown filter key");
    }
    if (str_list(json_object_get(o, "types"), "types", l->strs[0], &f->n_types, err, cap) ||
        str_list(json_object_get(o, "counties"), "counties", l->strs[1], &f->n_counties, err,
                 cap) ||
        str_list(json_object_get(o, "cluster_ids"), "cluster_ids", l->strs[2], &f->n_cluster_ids,
                 err, cap) ||
        cat_list(json_object_get(o, "categories"), l->cats, &f->n_categories, err, cap))
        return -1;
    f->types = (char **)l->strs[0];
    f->counties = (char **)l->strs[1];
    f->cluster_ids = (char **)l->strs[2];
    f->categories = l->cats;
    return 0;
}

static const char *opt_str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int check_keys(const json_t *obj, char *err, size_t cap)
{
    static const char *const ok[] = {"id", "description", "filters", "webhook"};
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v)
    {
        size_t i = 0;
        while (i < 4 && strcmp(k, ok[i]) != 0)
            i++;
        if (i == 4)
            return bad(err, cap, k, "unknown key");
    }
    return 0;
}

Jiju__V1__Subscription *notify_seed_parse_one(const json_t *obj, char *err, size_t cap)
{
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT, *out = NULL;
    Jiju__V1__Webhook w = JIJU__V1__WEBHOOK__INIT;
    const json_t *filters = json_object_get(obj, "filters"),
                 *hook = json_object_get(obj, "webhook");
    size_t nf = json_array_size(filters);
    Jiju__V1__Filter *fs = NULL, **fp = NULL;
    seed_lists *lists = NULL;

    if (!json_is_object(obj) || check_keys(obj, err, cap) < 0 || !opt_str(obj, "id")) {
        if (json_is_object(obj) && !opt_str(obj, "id"))
            bad(err, cap, "id", "missing or not a string");
        else if (!json_is_object(obj))
            bad(err, cap, "subscription", "must be an object");
        return NULL;
    }
    s.id = (char *)opt_str(obj, "id");
    s.description = (char *)(opt_str(obj, "description") ? opt_str(obj, "description") : "");
    if ((filters && !json_is_array(filters)) || nf > 64) {
        bad(err, cap, "filters", "must be an array of at most 64 objects");
        return NULL;
    }
    fs = calloc(nf ? nf : 1, sizeof *fs);
    fp = calloc(nf ? nf : 1, sizeof *fp);
    lists = calloc(nf ? nf : 1, sizeof *lists);
    if (!fs || !fp || !lists) {
        bad(err, cap, "subscription", "out of memory");
        goto out_free;
    }
    for (size_t i = 0; i < nf; i++) {
        jiju__v1__filter__init(&fs[i]);
        fp[i] = &fs[i];
        if (parse_filter(json_array_get(filters, i), &fs[i], &lists[i], err, cap) < 0)
            goto out_free;
    }
    s.n_filters = nf;
    s.filters = fp;
    if (hook) {
        if (!json_is_object(hook) || !opt_str(hook, "url") || !opt_str(hook, "secret")) {
            bad(err, cap, "webhook", "must be an object with string url and secret");
            goto out_free;
        }
        w.url = (char *)opt_str(hook, "url");
        w.secret = (char *)opt_str(hook, "secret");
        s.webhook = &w;
    }
    if (!(out = (Jiju__V1__Subscription *)pb_copy(&s.base)))
        bad(err, cap, "subscription", "out of memory");
out_free:
    free(lists);
    free(fp);
    free(fs);
    return out;
}

static int load_array(const json_t *arr, const char *path, Jiju__V1__Subscription **subs, size_t *n,
                      char *err, size_t cap)
{
    char why[256];
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        if (!(subs[i] = notify_seed_parse_one(v, why, sizeof why))) {
            snprintf(err, cap, "%s: subscription #%zu: %s", path, i, why);
            return -1;
        }
        *n = i + 1;
    }
    return 0;
}

int notify_seed_load(const char *path, Jiju__V1__Subscription ***out, size_t *n_out, char *err,
                     size_t cap)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *arr;
    Jiju__V1__Subscription **subs = NULL;
    size_t n = 0;
    int rc = -1;

    if (!root) {
        snprintf(err, cap, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    arr = json_is_object(root) ? json_object_get(root, "subscriptions") : root;
    if (!json_is_array(arr)) {
        snprintf(err, cap, "%s: expected an array of subscriptions", path);
        goto out_root;
    }
    if (!(subs = calloc(json_array_size(arr) + 1, sizeof *subs))) {
        snprintf(err, cap, "%s: out of memory", path);
        goto out_root;
    }
    if (load_array(arr, path, subs, &n, err, cap) < 0) {
        for (size_t i = 0; i < n; i++)
            jiju__v1__subscription__free_unpacked(subs[i], NULL);
        free(subs);
        goto out_root;
    }
    *out = subs;
    *n_out = n;
    rc = 0;
out_root:
    json_decref(root);
    return rc;
}
