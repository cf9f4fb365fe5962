/* problem.h - a growable list of validation findings (jiju.v1.Problem).
 *
 * The list owns every Problem and every string in it. Each Problem and each
 * of its strings is allocated with malloc, exactly as protobuf-c's default
 * allocator would, so the array can be handed to a SubmitReply (problems,
 * n_problems) with problem_list_take and freed later with
 * jiju__v1__submit_reply__free_unpacked(reply, NULL).
 *
 * Every string stored is valid UTF-8, as proto3 requires on the wire: bytes
 * of a value that are not UTF-8 are written as "\xNN". */
#ifndef JIJU_PROBLEM_H
#define JIJU_PROBLEM_H

#include <stdarg.h>
#include <stddef.h>

#include "jiju/v1/common.pb-c.h"

typedef struct problem_list {
    Jiju__V1__Problem **items; /* count entries, in the order added */
    size_t count;
    size_t cap;
} problem_list;

/* An empty list; NULL on allocation failure. Caller owns the result. */
problem_list *problem_list_new(void);

/* Free the list and everything in it; accepts NULL, nulls *list. */
void problem_list_free(problem_list **list);

/* Append one finding. code, field and value are copied (NULL is taken as
 * ""); message_zh and message_en are printf formats that consume the SAME
 * arguments, in the same order and with the same types:
 *
 *   problem_add(l, JIJU__V1__SEVERITY__ERROR, "E_NEGATIVE", "report.tax_fen",
 *               "-5", "税收不能为负数: %s", "tax must not be negative: %s", "-5");
 *
 * JIJU_OK, JIJU_ERR_INVALID (NULL list or code), or JIJU_ERR_NOMEM (the list
 * is unchanged). */
int problem_add(problem_list *list, Jiju__V1__Severity severity, const char *code,
                const char *field, const char *value, const char *message_zh,
                const char *message_en, ...)
    __attribute__((format(printf, 6, 8), format(printf, 7, 8)));

/* problem_add with the format arguments as a va_list; each message formats
 * from its own va_copy, so ap itself is left unread. */
int problem_addv(problem_list *list, Jiju__V1__Severity severity, const char *code,
                 const char *field, const char *value, const char *message_zh,
                 const char *message_en, va_list ap)
    __attribute__((format(printf, 6, 0), format(printf, 7, 0)));

/* Number of findings with severity ERROR (those refuse the input). */
size_t problem_list_count_errors(const problem_list *list);

/* The first finding with this code (and field, unless field is NULL), or
 * NULL. The list keeps ownership. */
const Jiju__V1__Problem *problem_list_find(const problem_list *list, const char *code,
                                           const char *field);

/* Move the array out: *items and *n receive it (NULL and 0 when empty) and the
 * list is left empty. The caller then owns the array, each Problem and its
 * strings (free each with jiju__v1__problem__free_unpacked(p, NULL), then
 * free the array, or let a message's free_unpacked do it). */
void problem_list_take(problem_list *list, Jiju__V1__Problem ***items, size_t *n);

#endif
