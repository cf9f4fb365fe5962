/* paging.c - page sizes, page budgets, refusals and key tokens (paging.h).
 * Tokens are ASCII only, so they travel unchanged in URLs and JSON. */
#include "paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "utf8.h"

uint32_t paging_size(uint32_t page_size, const char *field, char *why, size_t cap)
{
    if (page_size == 0)
        return PAGING_DEFAULT;
    if (page_size <= PAGING_MAX)
        return page_size;
    snprintf(why, cap, "E_PAGE_SIZE: %s must be 0 (meaning %d) to %d, not %u", field,
             PAGING_DEFAULT, PAGING_MAX, page_size);
    return 0;
}

size_t paging_budget(int64_t max_frame_bytes)
{
    size_t max = max_frame_bytes > 0 ? (size_t)max_frame_bytes : (size_t)4 << 20;

    return max > (64u << 10) ? max - (16u << 10) : max / 2;
}

size_t paging_field_bytes(size_t len)
{
    size_t n = 2;

    for (size_t v = len; v >= 0x80; v >>= 7)
        n++;
    return n + len;
}

void paging_why_add(char *why, size_t cap, const char *text)
{
    size_t used = strlen(why);

    if (used + 3 < cap)
        snprintf(why + used, cap - used, "%s%s", used ? "; " : "", text);
}

void paging_token_refusal(char *why, size_t cap, const char *field, const char *tok,
                          const char *rule)
{
    char *esc = utf8_escape(tok), shown[80], text[400];
    size_t len = esc ? strlen(esc) : 0;

    snprintf(shown, sizeof shown, "%.64s%s", esc ? esc : "", len > 64 ? "..." : "");
    snprintf(text, sizeof text, "E_PAGE_TOKEN: %s \"%s\" (%zu bytes) %s", field, shown, strlen(tok),
             rule);
    free(esc);
    paging_why_add(why, cap, text);
}

const char *const paging_not_issued =
    "is not a page token of this query: send \"\" for the first page, else the reply's "
    "next_page_token unchanged";

void paging_key_token_format(const char *prefix, const void *key, size_t n, char *buf, size_t cap)
{
    char hex[2 * PAGING_KEY_MAX + 1];

    hex_encode(key, n > PAGING_KEY_MAX ? PAGING_KEY_MAX : n, hex);
    snprintf(buf, cap, "%s%s", prefix, hex);
}

int paging_key_token_parse(const char *prefix, const char *tok, char *key, size_t cap)
{
    size_t plen = strlen(prefix), len;

    if (!tok || strncmp(tok, prefix, plen) != 0)
        return -1;
    len = strlen(tok + plen);
    if (len == 0 || len % 2 || len / 2 > PAGING_KEY_MAX || len / 2 >= cap ||
        hex_decode(tok + plen, len, (uint8_t *)key, len / 2) != 0 || memchr(key, '\0', len / 2))
        return -1;
    key[len / 2] = '\0';
    return (int)(len / 2);
}
