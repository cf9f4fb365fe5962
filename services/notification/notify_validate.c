/* notify_validate.c - subscription checks and type-name normalisation. */
#include "notify_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "notify_sign.h"

bool notify_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > NOTIFY_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        /* no spaces or control bytes; '/' would nest log names */
        if (c <= 0x20 || c == 0x7f || c == '/' || c == '\\')
            return false;
    }
    return true;
}

static int fail(char *err, size_t cap, const char *code, const char *what, const char *value)
{
    snprintf(err, cap, "%s: %s%s%s", code, what, value ? " " : "", value ? value : "");
    return -1;
}

static int check_strings(char **v, size_t n, const char *what, char *err, size_t cap)
{
    if (n > NOTIFY_MAX_VALUES)
        return fail(err, cap, "E_SUB_TOO_MANY", what, NULL);
    for (size_t i = 0; i < n; i++)
        if (!v[i] || !*v[i] || strlen(v[i]) > NOTIFY_MAX_VALUE_LEN)
            return fail(err, cap, "E_SUB_FILTER", what, "value empty or too long");
    return 0;
}

static int check_filter(Jiju__V1__Filter *f, char *err, size_t cap)
{
    if (check_strings(f->types, f->n_types, "types", err, cap) ||
        check_strings(f->counties, f->n_counties, "counties", err, cap) ||
        check_strings(f->cluster_ids, f->n_cluster_ids, "cluster_ids", err, cap))
        return -1;
    for (size_t i = 0; i < f->n_types; i++) {
        const char *full = envelope_type_full(f->types[i]);
        char *dup;
        if (!full)
            return fail(err, cap, "E_SUB_TYPE", "unknown event type", f->types[i]);
        if (strcmp(full, f->types[i]) == 0)
            continue;
        if (!(dup = strdup(full)))
            return fail(err, cap, "E_SUB_NOMEM", "out of memory", NULL);
        free(f->types[i]);
        f->types[i] = dup;
    }
    if (f->n_categories > 16)
        return fail(err, cap, "E_SUB_TOO_MANY", "categories", NULL);
    for (size_t i = 0; i < f->n_categories; i++)
        if (!protobuf_c_enum_descriptor_get_value(&jiju__v1__category__descriptor,
                                                  (int)f->categories[i]) ||
            f->categories[i] == JIJU__V1__CATEGORY__CATEGORY_UNSPECIFIED)
            return fail(err, cap, "E_SUB_CATEGORY", "unknown category", NULL);
    return 0;
}

static int check_webhook(const Jiju__V1__Webhook *w, char *err, size_t cap)
{
    const char *url = w->url ? w->url : "";
    char sig[128];

    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > 1024 || strpbrk(url, " \r\n\t"))
        return fail(err, cap, "E_SUB_URL", "webhook url must be http:// or https://", url);
    if (!w->secret || !*w->secret || strlen(w->secret) > 256)
        return fail(err, cap, "E_SUB_SECRET", "webhook secret must be 1..256 bytes", NULL);
    if (notify_sign(w->secret, "check", 0, "", 0, sig, sizeof sig) < 0)
        return fail(err, cap, "E_SUB_SECRET",
                    "a whsec_ secret must be whsec_ followed by base64, as Standard Webhooks "
                    "issues them",
                    NULL);
    return 0;
}

int notify_validate(Jiju__V1__Subscription *s, char *err, size_t cap)
{
    if (!notify_id_valid(s->id))
        return fail(err, cap, "E_SUB_ID",
                    "subscriber id must be 1..64 bytes without spaces, '/' or '\\'", s->id);
    if (s->description && strlen(s->description) > 256)
        return fail(err, cap, "E_SUB_DESCRIPTION", "description longer than 256 bytes", NULL);
    if (s->n_filters > NOTIFY_MAX_FILTERS)
        return fail(err, cap, "E_SUB_TOO_MANY", "filters", NULL);
    for (size_t i = 0; i < s->n_filters; i++)
        if (!s->filters[i] || check_filter(s->filters[i], err, cap) < 0)
            return -1;
    if (s->webhook && check_webhook(s->webhook, err, cap) < 0)
        return -1;
    return 0;
}
