/* query_pages.c - every page of a paged request, merged (query_pages.h).
 * The fields are found by name in the messages' descriptors: page_size and
 * page_token in the request's set oneof member, ok, error and
 * next_page_token in the reply, whose repeated entries are merged. */
#include "query_pages.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MEMBER(type, msg, f) ((type *)((uint8_t *)(msg) + (f)->offset))

static const ProtobufCFieldDescriptor *field(const ProtobufCMessage *m, const char *name,
                                             ProtobufCType type)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

    return f && f->type == type && f->label != PROTOBUF_C_LABEL_REPEATED ? f : NULL;
}

/* A reply's string field ("" if it has none). */
static const char *reply_text(const ProtobufCMessage *r, const char *name)
{
    const ProtobufCFieldDescriptor *f = field(r, name, PROTOBUF_C_TYPE_STRING);
    const char *s = f ? *MEMBER(char *, r, f) : NULL;

    return s ? s : "";
}

static int reply_ok(const ProtobufCMessage *r)
{
    const ProtobufCFieldDescriptor *f = field(r, "ok", PROTOBUF_C_TYPE_BOOL);

    return f && *MEMBER(protobuf_c_boolean, r, f);
}

/* The paged part of req: the size and token fields of its set oneof
 * member; 0 if it has none. */
static int paged_fields(ProtobufCMessage *req, uint32_t **size, char ***token)
{
    const ProtobufCMessageDescriptor *d = req->descriptor;

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i], *fs, *ft;
        ProtobufCMessage *sub;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
            *(const uint32_t *)((const uint8_t *)req + f->quantifier_offset) != f->id ||
            !(sub = *MEMBER(ProtobufCMessage *, req, f)))
            continue;
        if (!(fs = field(sub, "page_size", PROTOBUF_C_TYPE_UINT32)) ||
            !(ft = field(sub, "page_token", PROTOBUF_C_TYPE_STRING)))
            return 0;
        *size = MEMBER(uint32_t, sub, fs);
        *token = MEMBER(char *, sub, ft);
        return 1;
    }
    return 0;
}

/* Entries of into, every repeated field together. */
static size_t entries(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    size_t n = 0;

    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED)
            n += *(const size_t *)((const uint8_t *)m + d->fields[i].quantifier_offset);
    return n;
}

int query_pages_merge(ProtobufCMessage *into, ProtobufCMessage **pagep)
{
    ProtobufCMessage *page = *pagep;
    const ProtobufCMessageDescriptor *d = into->descriptor;
    void **grown[64] = {NULL};
    unsigned nf = d->n_fields < 64 ? d->n_fields : 64;

    /* grow every array first, so a failure changes nothing */
    for (unsigned i = 0; i < nf; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t ni, np;
        if (f->label != PROTOBUF_C_LABEL_REPEATED)
            continue;
        ni = *(size_t *)((uint8_t *)into + f->quantifier_offset);
        if ((np = *(size_t *)((uint8_t *)page + f->quantifier_offset)) == 0)
            continue;
        if ((f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) ||
            !(grown[i] = realloc(*MEMBER(void **, into, f), (ni + np) * sizeof(void *)))) {
            for (unsigned k = 0; k < i; k++) /* realloc'd bigger, still into's */
                if (grown[k])
                    *MEMBER(void **, into, &d->fields[k]) = grown[k];
            return JIJU_ERR_NOMEM;
        }
    }
    for (unsigned i = 0; i < nf; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t *ni = (size_t *)((uint8_t *)into + f->quantifier_offset),
               *np = (size_t *)((uint8_t *)page + f->quantifier_offset);
        if (!grown[i])
            continue;
        memcpy(grown[i] + *ni, *MEMBER(void **, page, f), *np * sizeof(void *));
        *MEMBER(void **, into, f) = grown[i];
        *ni += *np;
        *np = 0; /* moved, not freed with the page */
    }
    protobuf_c_message_free_unpacked(page, NULL);
    *pagep = NULL;
    return JIJU_OK;
}

/* Set a reply's next_page_token to "" (freeing the one it had). */
static void token_clear(ProtobufCMessage *r)
{
    const ProtobufCFieldDescriptor *f = field(r, "next_page_token", PROTOBUF_C_TYPE_STRING);
    char **t = f ? MEMBER(char *, r, f) : NULL;

    if (!t)
        return;
    if (*t && *t != protobuf_c_empty_string && *t != f->default_value)
        free(*t);
    *t = (char *)protobuf_c_empty_string;
}

/* One pass from the first page; *out the merged answer or the refusal. */
static int one_pass(query_pages_call_fn call, void *arg, ProtobufCMessage *req, size_t max,
                    uint32_t *size, char **token, ProtobufCMessage **out)
{
    ProtobufCMessage *all = NULL, *page = NULL;
    char *next = NULL;
    int rc = JIJU_OK;

    *size = QUERY_PAGES_SIZE;
    *token = (char *)protobuf_c_empty_string;
    for (;;) {
        const char *pt;
        if ((rc = call(arg, req, &page)) != JIJU_OK)
            break;
        if (!reply_ok(page)) { /* the refusal, not a half answer */
            if (all)
                protobuf_c_message_free_unpacked(all, NULL);
            all = page;
            page = NULL;
            break;
        }
        if (*(pt = reply_text(page, "next_page_token")) && strcmp(pt, *token) == 0) {
            rc = JIJU_ERR_PROTOCOL; /* the same page again, for ever */
            break;
        }
        *token = (char *)protobuf_c_empty_string; /* it may be next, freed here */
        free(next);
        if (*pt && !(next = strdup(pt))) {
            rc = JIJU_ERR_NOMEM;
            break;
        } else if (!*pt) {
            next = NULL;
        }
        if (!all)
            all = page;
        else if ((rc = query_pages_merge(all, &page)) != JIJU_OK)
            break;
        page = NULL;
        if (!next || (max && entries(all) >= max)) {
            token_clear(all);
            break;
        }
        *token = next;
    }
    if (page)
        protobuf_c_message_free_unpacked(page, NULL);
    *token = (char *)protobuf_c_empty_string;
    free(next);
    if (rc != JIJU_OK) {
        if (all)
            protobuf_c_message_free_unpacked(all, NULL);
        return rc;
    }
    *out = all;
    return JIJU_OK;
}

static int is_stale(const ProtobufCMessage *r)
{
    return !reply_ok(r) && strncmp(reply_text(r, "error"), "E_PAGE_STALE", 12) == 0;
}

int query_pages_all(query_pages_call_fn call, void *arg, ProtobufCMessage *req, size_t max,
                    ProtobufCMessage **out)
{
    uint32_t *size, saved_size;
    char **token, *saved_token;
    ProtobufCMessage *r = NULL;
    int rc;

    if (!paged_fields(req, &size, &token))
        return call(arg, req, out);
    saved_size = *size;
    saved_token = *token;
    for (int pass = 0;; pass++) {
        rc = one_pass(call, arg, req, max, size, token, &r);
        if (rc != JIJU_OK || !is_stale(r) || pass == QUERY_PAGES_RESTARTS)
            break;
        protobuf_c_message_free_unpacked(r, NULL);
        r = NULL;
    }
    *size = saved_size;
    *token = saved_token;
    if (rc == JIJU_OK)
        *out = r;
    return rc;
}

/* ---- assessment's queries, typed ---- */

typedef struct {
    query_call_fn call;
    void *arg;
} typed_call;

static int call_typed(void *arg, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    typed_call *t = arg;

    return t->call(t->arg, (const Jiju__V1__QueryRequest *)req, (Jiju__V1__QueryReply **)reply);
}

int query_all(query_call_fn call, void *arg, Jiju__V1__QueryRequest *req,
              Jiju__V1__QueryReply **out)
{
    typed_call t = {call, arg};

    return query_pages_all(call_typed, &t, &req->base, 0, (ProtobufCMessage **)out);
}
