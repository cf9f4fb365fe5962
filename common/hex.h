/* hex.h - bytes as lowercase hex text and back: page tokens, archive
 * hashes and cursors, token digests. Written once for common/, the
 * services and the CLI. */
#ifndef JIJU_HEX_H
#define JIJU_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of b[0..n-1] into out (2n + 1 bytes, NUL terminated). */
void hex_encode(const uint8_t *b, size_t n, char *out);

/* Exactly 2n lowercase hex digits at s (len bytes) into b; 0, or -1 when
 * len is not 2n or a character is not a lowercase hex digit. */
int hex_decode(const char *s, size_t len, uint8_t *b, size_t n);

#endif
