/* assess_pages.h - paging of the query answers that grow with the number of
 * clusters (ListClusters, GetRanking; proto/jiju/v1/query.proto "Paging"):
 * the page size rule, the page tokens, and the rankings kept between the
 * pages of one reader.
 *
 * Why a ranking is kept: a provisional ranking is computed from the
 * committed state at each query (O(clusters): about 0.5 s at 100,000), and
 * reports keep changing it. Page 1 computes it once; the ranking is then
 * held packed (about 250 bytes an entry) under its SHA-256, which the token
 * carries, so pages 2..n are cut from the very ranking page 1 was of, at
 * O(page) each. A token whose ranking is no longer held (evicted, 60 s
 * unused, a restart) recomputes it: the same digest serves on, another is
 * E_PAGE_STALE. */
#ifndef JIJU_ASSESS_PAGES_H
#define JIJU_ASSESS_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiju/v1/events.pb-c.h"
#include "paging.h"
#include "period.h"

#define ASSESS_PAGE_DEFAULT PAGING_DEFAULT /* page_size 0: every client from before paging */
#define ASSESS_PAGE_MAX PAGING_MAX
#define ASSESS_DIGEST_LEN 16                     /* of SHA-256, in the token */
#define ASSESS_TOKEN_CAP 128                     /* any token this service makes, NUL included */
#define ASSESS_SNAPSHOTS 4                       /* rankings held at once ... */
#define ASSESS_SNAPSHOT_BYTES (64 * 1024 * 1024) /* ... and their bytes together */
#define ASSESS_SNAPSHOT_IDLE_MS 60000            /* dropped after this long unused */

/* paging_size (paging.h): the entries per page, or 0 with the refusal. */
uint32_t assess_page_size(uint32_t page_size, const char *field, char *why, size_t cap);

/* Where the next page of a ranking starts. */
typedef struct assess_rank_token {
    char period[PERIOD_TEXT_CAP];
    bool final;
    uint32_t offset; /* index in the whole ranking (every reader's entries) */
    uint8_t digest[ASSESS_DIGEST_LEN];
} assess_rank_token;

/* "R1.<period>.<F|P>.<offset>.<32 hex digits>" */
void assess_rank_token_format(const assess_rank_token *t, char *buf, size_t cap);
/* 0, or -1 when tok is not a ranking token this service makes. */
int assess_rank_token_parse(const char *tok, assess_rank_token *out);
/* "C1.<the last cluster id of the page, in hex>": the next page starts
 * after that id. */
void assess_cluster_token_format(const char *id, char *buf, size_t cap);
/* 0 with the id (NUL terminated, cap >= 33), or -1. */
int assess_cluster_token_parse(const char *tok, char *id, size_t cap);

/* One ranking, packed: entry i is bytes[off[i] .. off[i+1]), its cluster
 * id ids + id_off[i] (for a reporter's narrowing without decoding). */
typedef struct assess_snapshot {
    char period[PERIOD_TEXT_CAP];
    bool final;
    uint8_t digest[ASSESS_DIGEST_LEN];
    size_t n;
    uint8_t *bytes;
    size_t *off; /* n + 1 */
    char *ids;
    size_t *id_off;
    int64_t used_ms;
} assess_snapshot;

/* Pack entries[0..n-1] (not taken) and digest them with period and final.
 * NULL when out of memory. */
assess_snapshot *assess_snapshot_new(const char *ptext, bool final,
                                     Jiju__V1__RankEntry *const *entries, size_t n);
void assess_snapshot_destroy(assess_snapshot **s);
size_t assess_snapshot_bytes(const assess_snapshot *s);

typedef struct assess_pages assess_pages;

assess_pages *assess_pages_new(void);
void assess_pages_destroy(assess_pages **p);
/* The held ranking of period/final with digest (marked used at now_ms), or
 * NULL. Rankings unused for ASSESS_SNAPSHOT_IDLE_MS are dropped first. */
const assess_snapshot *assess_pages_find(assess_pages *p, const char *ptext, bool final,
                                         const uint8_t *digest, int64_t now_ms);
/* Hold *s, dropping the least recently used rankings until the count and
 * byte bounds hold, and return the ranking to serve: *s itself, or the
 * same ranking held already (*s destroyed). Either way *s is NULLed, except
 * for a ranking above the byte bound on its own: it is not held (every page
 * then recomputes it), *s stays the caller's to destroy after serving. The
 * result stays valid until the next call on p. */
const assess_snapshot *assess_pages_keep(assess_pages *p, assess_snapshot **s, int64_t now_ms);
/* Held rankings and their bytes (tests, metrics). */
size_t assess_pages_held(const assess_pages *p, size_t *bytes);
/* A buffer for the reply's error text, valid until the next query. */
char *assess_pages_error(assess_pages *p, size_t *cap);

#endif
