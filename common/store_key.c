/* store_key.c - the key encodings services share: big-endian integers
 * (order as numbers) and a NUL-separated pair of strings. */
#include <string.h>

#include "store.h"

void store_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t store_be64_get(const uint8_t in[8])
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

size_t store_key_pair(const char *a, const char *b, char *out, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + 1 + lb > cap)
        return 0;
    memcpy(out, a, la);
    out[la] = '\0';
    memcpy(out + la + 1, b, lb);
    return la + 1 + lb;
}
