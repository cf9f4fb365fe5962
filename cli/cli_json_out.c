/* cli_json_out.c - the one-line form of a stream record for `jiju tail`.
 * Declared in cli_json.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "envelope.h"

char *cli_json_envelope_line(const Jiju__V1__Envelope *env)
{
    const ProtobufCEnumValue *cat =
        protobuf_c_enum_descriptor_get_value(&jiju__v1__category__descriptor, env->category);
    const ProtobufCMessage *body = envelope_body(env);
    json_t *line;
    char *text;

    line = json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:I, s:I, s:s?, s:s, s:s?, s:o?}", "specversion",
        "1.0", "id", env->id, "source", env->source, "type", env->type, "time", env->time,
        "subject", env->subject, "datacontenttype", "application/json", "seq", (json_int_t)env->seq,
        "time_ms", (json_int_t)env->time_ms, "period", env->period, "category",
        cat && env->category ? cat->name : "", "county", env->county, "data",
        body ? pbjson_from_message(body) : json_object());
    if (!line)
        return NULL;
    text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    return text;
}
