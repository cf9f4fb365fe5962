/* utf8.h - is this text well-formed UTF-8, and how many code points: the C
 * library's iconv decides (overlong forms, surrogates and truncated
 * sequences are refused), so no decoder is written here. */
#ifndef JIJU_UTF8_H
#define JIJU_UTF8_H

#include <stddef.h>

/* JIJU_OK with *chars (may be NULL) the number of code points of the len
 * bytes at s, JIJU_ERR_INVALID if they are not well-formed UTF-8 (a NUL
 * byte included), JIJU_ERR_NOMEM. */
int utf8_chars(const char *s, size_t len, size_t *chars);

/* Copy of the NUL-terminated s with every byte outside well-formed UTF-8
 * written as "\xNN", so the result is always valid UTF-8 (proto3 strings,
 * JSON, log lines). NULL on allocation failure. Caller frees. */
char *utf8_escape(const char *s);

/* Display width of UTF-8 text in terminal (and spreadsheet) columns: the C
 * library's wcwidth in the C.UTF-8 locale, whatever the process's locale
 * (a Chinese character takes 2, a combining mark 0). A byte that is not
 * UTF-8 counts 1. Thread-safe. */
size_t utf8_display_width(const char *s);

#endif
