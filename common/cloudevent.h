/* cloudevent.h - an Envelope as a CloudEvents 1.0 event in the structured
 * JSON format: the one rendering of a Jiju event as JSON, used by `jiju
 * tail`, webhook bodies, `jiju archive query --format json` and the portal.
 * docs/subscribing.md ("The event as JSON") is the contract for consumers.
 *
 * Members, in this order; the ones marked "omitted" are left out when empty:
 *   specversion      "1.0"
 *   id               Envelope.id, e.g. "assessment/1207"
 *   source           Envelope.source, e.g. "/jiju/assessment"
 *   type             Envelope.type, e.g. "jiju.v1.AwardGranted"
 *   time             RFC 3339 UTC with milliseconds, from Envelope.time_ms
 *   subject          the cluster id concerned (omitted for city-wide events)
 *   datacontenttype  "application/json"
 *   jijuseq          Envelope.seq as a decimal string (a uint64 does not fit
 *                    the CloudEvents Integer type)
 *   jijuperiod       the period concerned (omitted)
 *   jijucategory     the subject cluster's Category by name (omitted)
 *   jijucounty       the subject cluster's county (omitted)
 *   jijucause        "<ingest replica>/<seq>": the CloudEvents id of the input
 *                    record that caused the event (omitted)
 *   data             the body (the Envelope's oneof member) in the protobuf
 *                    JSON mapping with the .proto field names (pbjson.h);
 *                    omitted when the envelope has no body
 * Every extension attribute name matches [a-z0-9]{1,20} as the specification
 * requires. */
#ifndef JIJU_CLOUDEVENT_H
#define JIJU_CLOUDEVENT_H

#include <jansson.h>

#include "jiju/v1/envelope.pb-c.h"

/* The media type of one structured-mode event (webhook Content-Type). */
#define CLOUDEVENT_CONTENT_TYPE "application/cloudevents+json"

/* env as a CloudEvent object. Caller owns it (json_decref); NULL on
 * allocation failure. Strings that are not UTF-8 are rendered as "". */
json_t *cloudevent_json(const Jiju__V1__Envelope *env);

/* The same as one line of compact JSON without a newline, malloc'd, caller
 * frees; NULL on allocation failure. */
char *cloudevent_text(const Jiju__V1__Envelope *env);

#endif
