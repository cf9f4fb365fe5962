/* notify_cloudevent.h - an Envelope as a CloudEvents 1.0 structured-mode
 * JSON document, for webhooks (subscription.proto, message Webhook).
 *
 * data is the body rendered generically from the protobuf-c descriptors:
 * keys are the .proto field names, enums their names, 64-bit integers
 * decimal strings (the proto3 JSON mapping, so JavaScript loses nothing),
 * bytes base64, every field present (zero values included). */
#ifndef JIJU_NOTIFY_CLOUDEVENT_H
#define JIJU_NOTIFY_CLOUDEVENT_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "jiju/v1/envelope.pb-c.h"

/* msg as a JSON object; NULL on allocation failure. Caller owns. */
json_t *notify_json_message(const ProtobufCMessage *msg);

/* The CloudEvents document of env (compact JSON text, malloc'd, caller
 * frees); NULL on allocation failure. */
char *notify_cloudevent(const Jiju__V1__Envelope *env);

#endif
