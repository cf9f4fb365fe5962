/* cloudevent.c - the CloudEvents 1.0 structured JSON of an Envelope
 * (cloudevent.h). */
#include "cloudevent.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "envelope.h"
#include "pbjson.h"

/* Set key to the string s; an empty s (or NULL) sets nothing, so that no
 * attribute is ever present and empty. 0, or -1 on allocation failure. */
static int set_str(json_t *ce, const char *key, const char *s)
{
    json_t *v;

    if (!s || !*s)
        return 0;
    /* not UTF-8 (a corrupt envelope): say nothing rather than fail */
    if (!(v = json_string(s)) && !(v = json_string("")))
        return -1;
    return json_object_set_new(ce, key, v);
}

static int set_u64(json_t *ce, const char *key, uint64_t v)
{
    char text[24];

    if (v == 0)
        return 0;
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return set_str(ce, key, text);
}

static int set_time(json_t *ce, const Jiju__V1__Envelope *env)
{
    char when[40];

    if (env->time_ms > 0)
        return set_str(ce, "time", clock_format_ms(env->time_ms, when, sizeof when));
    return set_str(ce, "time", env->time);
}

static int set_extensions(json_t *ce, const Jiju__V1__Envelope *env)
{
    const ProtobufCEnumValue *cat =
        env->category
            ? protobuf_c_enum_descriptor_get_value(&jiju__v1__category__descriptor, env->category)
            : NULL;
    char cause[160] = "";

    if (env->cause_producer && env->cause_producer[0])
        snprintf(cause, sizeof cause, "%s/%llu", env->cause_producer,
                 (unsigned long long)env->cause_seq);
    if (set_u64(ce, "jijuseq", env->seq) || set_str(ce, "jijuperiod", env->period) ||
        set_str(ce, "jijucategory", cat ? cat->name : NULL) ||
        set_str(ce, "jijucounty", env->county) || set_str(ce, "jijucause", cause))
        return -1;
    return 0;
}

json_t *cloudevent_json(const Jiju__V1__Envelope *env)
{
    const ProtobufCMessage *body = envelope_body(env);
    json_t *ce = json_object(), *data;

    if (!ce || set_str(ce, "specversion", ENVELOPE_SPECVERSION) || set_str(ce, "id", env->id) ||
        set_str(ce, "source", env->source) ||
        set_str(ce, "type", env->type && *env->type ? env->type : envelope_type(env)) ||
        set_time(ce, env) || set_str(ce, "subject", env->subject) ||
        set_str(ce, "datacontenttype", "application/json") || set_extensions(ce, env))
        goto out_fail;
    if (body && (!(data = pbjson_from_message(body)) || json_object_set_new(ce, "data", data)))
        goto out_fail;
    return ce;
out_fail:
    json_decref(ce);
    return NULL;
}

char *cloudevent_text(const Jiju__V1__Envelope *env)
{
    json_t *ce = cloudevent_json(env);
    char *text = ce ? json_dumps(ce, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(ce);
    return text;
}
