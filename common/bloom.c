/* bloom.c - blocked Bloom filter in layers (bloom.h). */
#include "bloom.h"

#include "hmap.h"

#include <stdint.h>
#include <stdlib.h>

#define BLOOM_BITS_PER_KEY 10
#define BLOOM_PROBES 7      /* 9 bits of the second hash each */
#define BLOOM_BLOCK_WORDS 8 /* 512 bits: one cache line */
#define BLOOM_MAX_LAYERS 24
#define BLOOM_MIN_KEYS 4096

typedef struct bloom_layer {
    uint64_t *words;
    size_t mask; /* blocks - 1, blocks a power of two */
    size_t cap;  /* keys planned */
    size_t n;    /* keys added */
} bloom_layer;

struct bloom {
    bloom_layer layer[BLOOM_MAX_LAYERS];
    int n_layers;
    size_t bytes, max_bytes, count;
    bool saturated;
};

/* hmap's FNV-1a then murmur3's finalizer: the low bits pick the block, the high
 * bits (through a second finalizer) the probes. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_of(const void *key, size_t klen)
{
    return mix(hmap_hash(key, klen));
}

/* Each layer after the first gets 2 bits per key more than the one before,
 * so the layers' false positives add up to about twice the first's. */
static size_t bits_per_key(int layer)
{
    return BLOOM_BITS_PER_KEY + 2 * (size_t)layer;
}

static size_t blocks_for(size_t keys, size_t bits)
{
    size_t want = (keys * bits + 511) / 512, blocks = 1;

    while (blocks < want)
        blocks <<= 1;
    return blocks;
}

/* Append a layer planned for `keys` keys; false when it does not fit
 * (max_bytes, the layer count, memory). */
static bool layer_add(bloom_t *b, size_t keys)
{
    size_t bits = bits_per_key(b->n_layers), blocks = blocks_for(keys, bits);
    size_t bytes = blocks * BLOOM_BLOCK_WORDS * sizeof(uint64_t);
    bloom_layer *l;

    if (b->n_layers == BLOOM_MAX_LAYERS || bytes > b->max_bytes - b->bytes)
        return false;
    l = &b->layer[b->n_layers];
    if (!(l->words = calloc(blocks * BLOOM_BLOCK_WORDS, sizeof(uint64_t))))
        return false;
    l->mask = blocks - 1;
    l->cap = blocks * 512 / bits;
    l->n = 0;
    b->n_layers++;
    b->bytes += bytes;
    return true;
}

static void layers_free(bloom_t *b)
{
    for (int i = 0; i < b->n_layers; i++)
        free(b->layer[i].words);
    b->n_layers = 0;
    b->bytes = 0;
}

bloom_t *bloom_new(size_t expected, size_t max_bytes)
{
    bloom_t *b = calloc(1, sizeof *b);

    if (!b)
        return NULL;
    b->max_bytes = max_bytes;
    if (!layer_add(b, expected < BLOOM_MIN_KEYS ? BLOOM_MIN_KEYS : expected)) {
        free(b);
        return NULL;
    }
    return b;
}

void bloom_destroy(bloom_t **bp)
{
    if (!bp || !*bp)
        return;
    layers_free(*bp);
    free(*bp);
    *bp = NULL;
}

static uint64_t *block_of(const bloom_layer *l, uint64_t h)
{
    return l->words + (size_t)(h & l->mask) * BLOOM_BLOCK_WORDS;
}

void bloom_add(bloom_t *b, const void *key, size_t klen)
{
    uint64_t h = hash_of(key, klen), probes = mix(h ^ 0x9e3779b97f4a7c15ULL), *blk;
    bloom_layer *l;

    if (b->saturated)
        return;
    l = &b->layer[b->n_layers - 1];
    if (l->n >= l->cap) {
        if (!layer_add(b, l->cap * 2)) { /* beyond max_bytes: every key "perhaps" */
            layers_free(b);
            b->saturated = true;
            return;
        }
        l = &b->layer[b->n_layers - 1];
    }
    blk = block_of(l, h);
    for (int i = 0; i < BLOOM_PROBES; i++, probes >>= 9)
        blk[(probes >> 6) & 7] |= 1ULL << (probes & 63);
    l->n++;
    b->count++;
}

bool bloom_may_contain(const bloom_t *b, const void *key, size_t klen)
{
    uint64_t h, probes0;

    if (b->saturated)
        return true;
    h = hash_of(key, klen);
    probes0 = mix(h ^ 0x9e3779b97f4a7c15ULL);
    for (int li = 0; li < b->n_layers; li++) {
        const uint64_t *blk = block_of(&b->layer[li], h);
        uint64_t probes = probes0;
        int i;

        for (i = 0; i < BLOOM_PROBES; i++, probes >>= 9)
            if (!(blk[(probes >> 6) & 7] & (1ULL << (probes & 63))))
                break;
        if (i == BLOOM_PROBES)
            return true;
    }
    return false;
}

size_t bloom_bytes(const bloom_t *b)
{
    return b->bytes;
}

size_t bloom_count(const bloom_t *b)
{
    return b->count;
}

bool bloom_saturated(const bloom_t *b)
{
    return b->saturated;
}
