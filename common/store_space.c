/* store_space.c - the disk reserve: a store refuses writes (before
 * RocksDB sees them) while its file system has fewer than min_free bytes. */
#include <sys/statvfs.h>

#include "err.h"
#include "store_int.h"

uint64_t store_free_bytes(const char *dir)
{
    struct statvfs v;

    if (statvfs(dir, &v) != 0)
        return UINT64_MAX; /* cannot tell: let RocksDB try and say */
    return (uint64_t)v.f_bavail * v.f_frsize;
}

void store_set_min_free(store_t *s, uint64_t bytes)
{
    s->min_free = bytes;
}

/* One statvfs (about a microsecond) per call: callers ask once per batch. */
int store_writable(store_t *s)
{
    if (s->min_free == 0)
        return JIJU_OK;
    s->space_free = store_free_bytes(s->dir);
    return s->space_free >= s->min_free ? JIJU_OK : JIJU_ERR_UNAVAILABLE;
}

uint64_t store_space_free(const store_t *s)
{
    return s->space_free;
}
