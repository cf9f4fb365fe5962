/* query_pages.c - every page of a paged query, merged (query_pages.h). */
#include "query_pages.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Append n pointers of from after the *n_into of *into (realloc'd). */
static int move_ptrs(void ***into, size_t *n_into, void **from, size_t n)
{
    void **bigger;

    if (n == 0)
        return JIJU_OK;
    if (!(bigger = realloc(*into, (*n_into + n) * sizeof *bigger)))
        return JIJU_ERR_NOMEM;
    memcpy(bigger + *n_into, from, n * sizeof *from);
    *into = bigger;
    *n_into += n;
    return JIJU_OK;
}

int query_pages_merge(Jiju__V1__QueryReply *into, Jiju__V1__QueryReply **pagep)
{
    Jiju__V1__QueryReply *page = *pagep;
    size_t nc = into->n_clusters;

    if (move_ptrs((void ***)&into->clusters, &into->n_clusters, (void **)page->clusters,
                  page->n_clusters) != JIJU_OK)
        return JIJU_ERR_NOMEM;
    if (move_ptrs((void ***)&into->ranking, &into->n_ranking, (void **)page->ranking,
                  page->n_ranking) != JIJU_OK) {
        into->n_clusters = nc; /* the pointers stay page's */
        return JIJU_ERR_NOMEM;
    }
    page->n_clusters = page->n_ranking = 0; /* moved, not freed with the page */
    into->final = page->final;
    jiju__v1__query_reply__free_unpacked(page, NULL);
    *pagep = NULL;
    return JIJU_OK;
}

/* The paged part of req: its size and token fields, NULL if not paged. */
static int paged_fields(Jiju__V1__QueryRequest *req, uint32_t **size, char ***token)
{
    if (req->kind_case == JIJU__V1__QUERY_REQUEST__KIND_LIST_CLUSTERS && req->list_clusters) {
        *size = &req->list_clusters->page_size;
        *token = &req->list_clusters->page_token;
        return 1;
    }
    if (req->kind_case == JIJU__V1__QUERY_REQUEST__KIND_GET_RANKING && req->get_ranking) {
        *size = &req->get_ranking->page_size;
        *token = &req->get_ranking->page_token;
        return 1;
    }
    return 0;
}

static int is_stale(const Jiju__V1__QueryReply *r)
{
    return !r->ok && r->error && strncmp(r->error, "E_PAGE_STALE", 12) == 0;
}

/* One pass from the first page; *out the merged answer or the refusal. */
static int one_pass(query_call_fn call, void *arg, Jiju__V1__QueryRequest *req, uint32_t *size,
                    char **token, Jiju__V1__QueryReply **out)
{
    Jiju__V1__QueryReply *all = NULL, *page = NULL;
    char *next = NULL;
    int rc = JIJU_OK;

    *size = QUERY_PAGES_SIZE;
    *token = (char *)protobuf_c_empty_string;
    for (;;) {
        if ((rc = call(arg, req, &page)) != JIJU_OK)
            break;
        if (!page->ok) { /* the refusal, not a half answer */
            jiju__v1__query_reply__free_unpacked(all, NULL);
            all = page;
            break;
        }
        if (page->next_page_token && *page->next_page_token) {
            if (strcmp(page->next_page_token, *token) == 0) {
                rc = JIJU_ERR_PROTOCOL; /* the same page again, for ever */
                break;
            }
            *token = (char *)protobuf_c_empty_string; /* before next goes */
            free(next);
            if (!(next = strdup(page->next_page_token))) {
                rc = JIJU_ERR_NOMEM;
                break;
            }
        } else {
            free(next);
            next = NULL;
        }
        if (!all) {
            all = page;
        } else if ((rc = query_pages_merge(all, &page)) != JIJU_OK) {
            break;
        }
        page = NULL;
        if (!next) {
            if (all->next_page_token != protobuf_c_empty_string)
                free(all->next_page_token); /* the first page's */
            all->next_page_token = (char *)protobuf_c_empty_string;
            break;
        }
        *token = next;
    }
    jiju__v1__query_reply__free_unpacked(page, NULL);
    *token = (char *)protobuf_c_empty_string;
    free(next);
    if (rc != JIJU_OK) {
        jiju__v1__query_reply__free_unpacked(all, NULL);
        return rc;
    }
    *out = all;
    return JIJU_OK;
}

int query_all(query_call_fn call, void *arg, Jiju__V1__QueryRequest *req,
              Jiju__V1__QueryReply **out)
{
    uint32_t *size, saved_size;
    char **token, *saved_token;
    Jiju__V1__QueryReply *r = NULL;
    int rc;

    if (!paged_fields(req, &size, &token))
        return call(arg, req, out);
    saved_size = *size;
    saved_token = *token;
    for (int pass = 0;; pass++) {
        rc = one_pass(call, arg, req, size, token, &r);
        if (rc != JIJU_OK || !is_stale(r) || pass == QUERY_PAGES_RESTARTS)
            break;
        jiju__v1__query_reply__free_unpacked(r, NULL);
        r = NULL;
    }
    *size = saved_size;
    *token = saved_token;
    if (rc == JIJU_OK)
        *out = r;
    return rc;
}
