/* paging.h - the serving half of paged answers (proto/jiju/v1/query.proto
 * "Paging", subscription.proto "Paging"): the page size rule, how many
 * bytes a page may hold under limits.max_frame_bytes, the refusal texts
 * (E_PAGE_SIZE, E_PAGE_TOKEN naming field, rule and value) and the "after
 * this key" tokens. Written once for every service that pages (assessment,
 * notification); the reading half, for clients, is query_pages.h. */
#ifndef JIJU_PAGING_H
#define JIJU_PAGING_H

#include <stddef.h>
#include <stdint.h>

#define PAGING_DEFAULT 1000 /* page_size 0: every client from before paging */
#define PAGING_MAX 5000
#define PAGING_TOKEN_CAP 160 /* any token made here, NUL included */
#define PAGING_KEY_MAX 64    /* key bytes a key token carries */

/* The entries per page for page_size; 0 and writes the refusal (naming
 * field, rule and value) into why when it is above PAGING_MAX. */
uint32_t paging_size(uint32_t page_size, const char *field, char *why, size_t cap);

/* Bytes the entries of one page may take in a reply: the frame limit
 * (max_frame_bytes <= 0: the 4 MiB default) less room for the reply's other
 * fields (request_id, error, instance, token: well under 16 KiB). */
size_t paging_budget(int64_t max_frame_bytes);

/* Bytes a repeated message field of len bytes adds to a reply (tag,
 * length, body). */
size_t paging_field_bytes(size_t len);

/* Append "; " and text to why (all problems in one reply). */
void paging_why_add(char *why, size_t cap, const char *text);

/* Append the E_PAGE_TOKEN refusal of tok in field (the token escaped, at
 * most 64 bytes of it shown) with the rule it breaks. */
void paging_token_refusal(char *why, size_t cap, const char *field, const char *tok,
                          const char *rule);

/* The rule for a token that this service never made. */
extern const char *const paging_not_issued;

/* "<prefix><key in lowercase hex>": the next page starts after key
 * (n <= PAGING_KEY_MAX bytes, else cut there). */
void paging_key_token_format(const char *prefix, const void *key, size_t n, char *buf, size_t cap);
/* The key of a token made by paging_key_token_format with prefix (1 to
 * PAGING_KEY_MAX bytes, no NUL), NUL terminated in key[cap]; its length,
 * or -1 when tok is not one. */
int paging_key_token_parse(const char *prefix, const char *tok, char *key, size_t cap);

#endif
