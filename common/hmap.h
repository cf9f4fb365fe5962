/* hmap.h - a hash map in memory from byte-string keys to values of one
 * fixed size: what a service keeps of its store to answer a per-request
 * question without a point read (ingest's registry replica), the rpc
 * client's pending requests by id. Open addressing with linear probing; a
 * key and its value live in one allocation owned by the map. Not
 * thread-safe. Iteration order is the slots' order, so a caller that must
 * be deterministic sorts or uses the store. */
#ifndef JIJU_HMAP_H
#define JIJU_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap hmap_t;

/* A map whose values are value_size bytes (0: a set). NULL: out of memory. */
hmap_t *hmap_new(size_t value_size);
void hmap_destroy(hmap_t **m);

/* The value stored under key, writable in place until the next hmap_put or
 * hmap_del; NULL if absent. (A set's present key gives a non-NULL pointer
 * to no bytes.) */
void *hmap_get(const hmap_t *m, const void *key, size_t klen);
/* Insert or replace key's value (value_size bytes copied; NULL = zeros).
 * JIJU_OK or JIJU_ERR_NOMEM (the map unchanged). */
int hmap_put(hmap_t *m, const void *key, size_t klen, const void *value);
/* Remove key: JIJU_OK, or JIJU_ERR_NOT_FOUND. */
int hmap_del(hmap_t *m, const void *key, size_t klen);
/* Remove every key (the table keeps its size). */
void hmap_clear(hmap_t *m);
size_t hmap_count(const hmap_t *m);

/* The map's hash of a key (FNV-1a, 64 bits, never 0), for other in-memory
 * tables of the same keys (bloom.c). */
uint64_t hmap_hash(const void *key, size_t klen);

#endif
