/* problem.c - the list of validation findings that ingest replies carry. */
#include "problem.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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

/* Append n bytes to the growing buffer *buf of length *len; 0 or -1. */
static int append(char **buf, size_t *len, size_t *cap, const char *bytes, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, bytes, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* Length of the longest valid UTF-8 prefix of s[0..len), using the C
 * library's strict decoder (it refuses overlong forms and surrogates). */
static size_t utf8_valid_prefix(iconv_t cd, const char *s, size_t len)
{
    char *in = (char *)s;
    size_t left = len;
    char out[256];
    iconv(cd, NULL, NULL, NULL, NULL);
    for (;;) {
        char *o = out;
        size_t olen = sizeof out;
        if (iconv(cd, &in, &left, &o, &olen) != (size_t)-1 || errno != E2BIG)
            break;
    }
    return len - left;
}

/* Copy of s with every byte outside valid UTF-8 written as "\xNN";
 * NULL on allocation failure. */
static char *utf8_sanitised(const char *s)
{
    size_t slen = strlen(s), len = 0, cap = 0;
    char *buf = NULL;
    iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
    if (cd == (iconv_t)-1)
        return NULL;
    if (append(&buf, &len, &cap, "", 0) < 0)
        goto out_close;
    while (slen > 0) {
        size_t ok = utf8_valid_prefix(cd, s, slen);
        if (append(&buf, &len, &cap, s, ok) < 0)
            goto out_free_buf;
        s += ok;
        slen -= ok;
        if (slen == 0)
            break;
        char esc[5];
        snprintf(esc, sizeof esc, "\\x%02X", (unsigned char)*s);
        if (append(&buf, &len, &cap, esc, 4) < 0)
            goto out_free_buf;
        s++;
        slen--;
    }
    iconv_close(cd);
    return buf;
out_free_buf:
    free(buf);
out_close:
    iconv_close(cd);
    return NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    /* Formats may embed user text (a value); keep the wire UTF-8. */
    char *clean = utf8_sanitised(s);
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
    p->code = utf8_sanitised(code);
    p->field = utf8_sanitised(field ? field : "");
    p->value = utf8_sanitised(value ? value : "");
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
