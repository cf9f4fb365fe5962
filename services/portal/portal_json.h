/* portal_json.h - base64url (hashes, opaque cursors; hex is common/hex.h) for the
 * portal's JSON; messages are rendered by common/pbjson.h and events by
 * common/cloudevent.h. */
#ifndef JIJU_PORTAL_JSON_H
#define JIJU_PORTAL_JSON_H

#include <jansson.h>
#include <stdint.h>

#include <stddef.h>

/* base64url without padding of bytes (opaque cursors), into a new json
 * string; and back (JIJU_OK with *out malloc'd, or JIJU_ERR_INVALID). */
json_t *portal_b64url_json(const uint8_t *data, size_t n);
int portal_b64url_decode(const char *text, uint8_t **out, size_t *n);

#endif
