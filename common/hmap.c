/* hmap.c - open addressing, linear probing, at most half full, deletion by
 * backward shift (no tombstones, so a map that churns does not degrade).
 * Each entry is one malloc: the key, then the value at an offset aligned
 * as malloc's, so a caller may keep a struct there. */
#include "hmap.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define HMAP_MIN_SLOTS 16

typedef struct hmap_slot {
    uint64_t hash; /* 0: empty (hashes are never 0) */
    size_t klen;
    uint8_t *kv; /* key bytes, then the value at value_off(klen) */
} hmap_slot;

struct hmap {
    hmap_slot *slots;
    size_t cap, count, value_size;
};

/* FNV-1a, 64 bits: keys are short ids (a cluster id and a period) that
 * the store already holds, not chosen by an anonymous peer. */
uint64_t hmap_hash(const void *key, size_t klen)
{
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < klen; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static size_t value_off(size_t klen)
{
    size_t a = alignof(max_align_t);

    return (klen + a - 1) / a * a;
}

hmap_t *hmap_new(size_t value_size)
{
    hmap_t *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    m->value_size = value_size;
    m->cap = HMAP_MIN_SLOTS;
    if (!(m->slots = calloc(m->cap, sizeof *m->slots))) {
        free(m);
        return NULL;
    }
    return m;
}

void hmap_clear(hmap_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].kv);
    memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
}

void hmap_destroy(hmap_t **m)
{
    if (!m || !*m)
        return;
    hmap_clear(*m);
    free((*m)->slots);
    free(*m);
    *m = NULL;
}

size_t hmap_count(const hmap_t *m)
{
    return m->count;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const hmap_t *m, uint64_t h, const void *key, size_t klen)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;

    while (m->slots[i].hash && (m->slots[i].hash != h || m->slots[i].klen != klen ||
                                memcmp(m->slots[i].kv, key, klen) != 0))
        i = (i + 1) & mask;
    return i;
}

void *hmap_get(const hmap_t *m, const void *key, size_t klen)
{
    uint64_t h = hmap_hash(key, klen);
    size_t i = find_slot(m, h, key, klen);

    return m->slots[i].hash ? m->slots[i].kv + value_off(klen) : NULL;
}

static int grow(hmap_t *m)
{
    size_t cap = m->cap * 2;
    hmap_slot *old = m->slots, *slots = calloc(cap, sizeof *slots);

    if (!slots)
        return JIJU_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (!old[i].hash)
            continue;
        for (j = (size_t)old[i].hash & (cap - 1); slots[j].hash; j = (j + 1) & (cap - 1))
            ;
        slots[j] = old[i];
    }
    free(old);
    m->slots = slots;
    m->cap = cap;
    return JIJU_OK;
}

int hmap_put(hmap_t *m, const void *key, size_t klen, const void *value)
{
    uint64_t h = hmap_hash(key, klen);
    size_t i = find_slot(m, h, key, klen);
    uint8_t *kv;

    if (!m->slots[i].hash) {
        if ((m->count + 1) * 2 > m->cap) {
            if (grow(m) != JIJU_OK)
                return JIJU_ERR_NOMEM;
            i = find_slot(m, h, key, klen);
        }
        if (!(kv = malloc(value_off(klen) + m->value_size + 1)))
            return JIJU_ERR_NOMEM;
        memcpy(kv, key, klen);
        m->slots[i] = (hmap_slot){.hash = h, .klen = klen, .kv = kv};
        m->count++;
    }
    kv = m->slots[i].kv + value_off(klen);
    if (value)
        memcpy(kv, value, m->value_size);
    else
        memset(kv, 0, m->value_size);
    return JIJU_OK;
}

int hmap_del(hmap_t *m, const void *key, size_t klen)
{
    size_t mask = m->cap - 1, i = find_slot(m, hmap_hash(key, klen), key, klen), j = i;

    if (!m->slots[i].hash)
        return JIJU_ERR_NOT_FOUND;
    free(m->slots[i].kv);
    m->slots[i] = (hmap_slot){0};
    m->count--;
    /* shift back every later entry of the run that may move into the hole:
     * one whose home slot is not cyclically within (i, j] */
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!m->slots[j].hash)
            break;
        home = (size_t)m->slots[j].hash & mask;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        m->slots[i] = m->slots[j];
        m->slots[j] = (hmap_slot){0};
        i = j;
    }
    return JIJU_OK;
}
