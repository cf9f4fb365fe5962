/* notify_cloudevent.h - an Envelope as a CloudEvents 1.0 structured-mode
 * JSON document, for webhooks (subscription.proto, message Webhook).
 *
 * Members: specversion "1.0", id, source, type, time, subject,
 * datacontenttype "application/json", jijuseq (the subscriber's sequence,
 * a decimal string) and data: the body as pbjson_from_message renders it
 * (.proto field names, zero values omitted, enums by name, 64-bit integers
 * as JSON integers, bytes base64). */
#ifndef JIJU_NOTIFY_CLOUDEVENT_H
#define JIJU_NOTIFY_CLOUDEVENT_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "jiju/v1/envelope.pb-c.h"

/* The CloudEvents document of env (compact JSON text, malloc'd, caller
 * frees); NULL on allocation failure. */
char *notify_cloudevent(const Jiju__V1__Envelope *env);

#endif
