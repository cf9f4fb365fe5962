/* notify_cloudevent.c - the CloudEvent of an Envelope; the body's JSON is
 * the shared codec's rendering (pbjson.h), so a department sees the same
 * JSON from `jiju tail` and from its webhook. */
#include "notify_cloudevent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "pbjson.h"

static json_t *json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");

    return j ? j : json_string(""); /* not UTF-8: say nothing rather than fail */
}

static json_t *json_u64(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

char *notify_cloudevent(const Jiju__V1__Envelope *env)
{
    const ProtobufCMessage *body = envelope_body(env);
    json_t *ce = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "specversion", "1.0",
                           "id", json_str(env->id), "source", json_str(env->source), "type",
                           json_str(env->type), "time", json_str(env->time), "subject",
                           json_str(env->subject), "datacontenttype", "application/json",
                           "jijuseq", json_u64(env->seq));
    json_t *data = body ? pbjson_from_message(body) : json_object();
    char *text = NULL;

    if (ce && data && json_object_set_new(ce, "data", data) == 0) {
        data = NULL;
        text = json_dumps(ce, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(data);
    json_decref(ce);
    return text;
}
