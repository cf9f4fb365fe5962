/* bloom.h - a Bloom filter in memory over byte-string keys: a key is
 * "certainly absent" or "perhaps present". What a service keeps beside its
 * store so that the point read of a key that is not there (most reads of
 * keys new by construction, such as report ids) costs no read at all; the
 * store stays the truth, a "perhaps" is answered by reading it.
 *
 * Keys are only added, never removed (a deleted key stays "perhaps": a
 * read, as without the filter), so adding a key that is then never
 * committed is harmless. Blocked: each key sets 7 bits in one 64-byte
 * block, 10 bits per key planned (about 1% false positives). When the
 * keys outgrow the plan, a layer of twice the keys, 2 bits per key more,
 * is added (a query looks at each layer's block); a filter that would pass max_bytes drops its
 * layers and answers "perhaps" for every key from then on (saturated).
 * Not thread-safe. */
#ifndef JIJU_BLOOM_H
#define JIJU_BLOOM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bloom bloom_t;

/* A filter planned for `expected` keys (at least a few thousand), never
 * holding more than max_bytes of bits. NULL: out of memory or expected's
 * plan alone above max_bytes. */
bloom_t *bloom_new(size_t expected, size_t max_bytes);
void bloom_destroy(bloom_t **b);

/* Add key. If the filter cannot grow (max_bytes, memory) it saturates. */
void bloom_add(bloom_t *b, const void *key, size_t klen);
/* false: key was never added. true: it may have been. */
bool bloom_may_contain(const bloom_t *b, const void *key, size_t klen);

size_t bloom_bytes(const bloom_t *b); /* bits held, in bytes */
size_t bloom_count(const bloom_t *b); /* keys added */
bool bloom_saturated(const bloom_t *b);

#endif
