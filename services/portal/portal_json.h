/* portal_json.h - the portal's JSON views of the contract's messages, on
 * top of the one protobuf<->JSON codec (common/pbjson.h) and the one
 * CloudEvents rendering of an Envelope. */
#ifndef JIJU_PORTAL_JSON_H
#define JIJU_PORTAL_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "jiju/v1/envelope.pb-c.h"

/* The CloudEvents 1.0 JSON document of env; seq >= 1 adds jijuseq (the
 * subscriber's sequence), 0 leaves it out. NULL on allocation failure. */
json_t *portal_event_json(const Jiju__V1__Envelope *env, uint64_t seq);

/* Lowercase hex of n bytes (n <= 64) into out[2n+1]. */
void portal_hex(const uint8_t *data, size_t n, char *out);

/* base64url without padding of bytes (opaque cursors), into a new json
 * string; and back (JIJU_OK with *out malloc'd, or JIJU_ERR_INVALID). */
json_t *portal_b64url_json(const uint8_t *data, size_t n);
int portal_b64url_decode(const char *text, uint8_t **out, size_t *n);

#endif
