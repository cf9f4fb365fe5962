/* problem.c - the list of validation findings that ingest replies carry. */
#include "problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

problem_list *problem_list_new(void)
{
    return calloc(1, sizeof(problem_list));
}

static void problem_free(Jiju__V1__Problem *p)
{
    if (p)
        jiju__v1__problem__free_unpacked(p, NULL);
}

void problem_list_free(problem_list **list)
{
    if (!list || !*list)
        return;
    for (size_t i = 0; i < (*list)->count; i++)
        problem_free((*list)->items[i]);
    free((*list)->items);
    free(*list);
    *list = NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    /* Formats may embed user text (a value); keep the wire UTF-8. */
    char *clean = utf8_escape(s);
    free(s);
    return clean;
}

static int reserve(problem_list *list)
{
    if (list->count < list->cap)
        return JIJU_OK;
    size_t ncap = list->cap ? list->cap * 2 : 8;
    Jiju__V1__Problem **n = realloc(list->items, ncap * sizeof *n);
    if (!n)
        return JIJU_ERR_NOMEM;
    list->items = n;
    list->cap = ncap;
    return JIJU_OK;
}

int problem_addv(problem_list *list, Jiju__V1__Severity severity, const char *code,
                 const char *field, const char *value, const char *message_zh,
                 const char *message_en, va_list ap)
{
    if (!list || !code || !message_zh || !message_en)
        return JIJU_ERR_INVALID;
    if (reserve(list) != JIJU_OK)
        return JIJU_ERR_NOMEM;
    Jiju__V1__Problem *p = malloc(sizeof *p);
    if (!p)
        return JIJU_ERR_NOMEM;
    jiju__v1__problem__init(p);
    p->severity = severity;
    p->code = utf8_escape(code);
    p->field = utf8_escape(field ? field : "");
    p->value = utf8_escape(value ? value : "");
    va_list ap1, ap2;
    va_copy(ap1, ap);
    va_copy(ap2, ap);
    p->message_zh = vformat(message_zh, ap1);
    p->message_en = vformat(message_en, ap2);
    va_end(ap2);
    va_end(ap1);
    if (!p->code || !p->field || !p->value || !p->message_zh || !p->message_en)
        goto out_free_problem;
    list->items[list->count++] = p;
    return JIJU_OK;
out_free_problem:
    /* free_unpacked skips NULL strings and frees the rest. */
    problem_free(p);
    return JIJU_ERR_NOMEM;
}

int problem_add(problem_list *list, Jiju__V1__Severity severity, const char *code,
                const char *field, const char *value, const char *message_zh,
                const char *message_en, ...)
{
    va_list ap;
    va_start(ap, message_en);
    int rc = problem_addv(list, severity, code, field, value, message_zh, message_en, ap);
    va_end(ap);
    return rc;
}

size_t problem_list_count_errors(const problem_list *list)
{
    size_t n = 0;
    for (size_t i = 0; list && i < list->count; i++)
        n += list->items[i]->severity == JIJU__V1__SEVERITY__ERROR;
    return n;
}

const Jiju__V1__Problem *problem_list_find(const problem_list *list, const char *code,
                                           const char *field)
{
    for (size_t i = 0; list && code && i < list->count; i++) {
        const Jiju__V1__Problem *p = list->items[i];
        if (strcmp(p->code, code) == 0 && (!field || strcmp(p->field, field) == 0))
            return p;
    }
    return NULL;
}

void problem_list_take(problem_list *list, Jiju__V1__Problem ***items, size_t *n)
{
    *items = list->count ? list->items : NULL;
    *n = list->count;
    if (!list->count)
        free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}
