/* envelope.c - CloudEvents attributes and the outbox append. */
#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "pb.h"

static char cause_producer[128];
static uint64_t cause_seq;

void envelope_set_cause(const char *producer, uint64_t seq)
{
    snprintf(cause_producer, sizeof cause_producer, "%s", producer ? producer : "");
    cause_seq = producer ? seq : 0;
}

const ProtobufCMessage *envelope_body(const Jiju__V1__Envelope *env)
{
    const ProtobufCFieldDescriptor *f;

    if (!env || env->body_case == JIJU__V1__ENVELOPE__BODY__NOT_SET)
        return NULL;
    f = protobuf_c_message_descriptor_get_field(&jiju__v1__envelope__descriptor,
                                                (unsigned)env->body_case);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return *(ProtobufCMessage *const *)((const char *)env + f->offset);
}

const char *envelope_type(const Jiju__V1__Envelope *env)
{
    static char buf[64];
    const ProtobufCMessage *body = envelope_body(env);

    if (!body)
        return "";
    /* descriptor name is "jiju.v1.RankingPublished": exactly the CloudEvents type */
    snprintf(buf, sizeof buf, "%s", body->descriptor->name);
    return buf;
}

const char *envelope_type_full(const char *name)
{
    const ProtobufCMessageDescriptor *env = &jiju__v1__envelope__descriptor;

    if (!name || !*name)
        return NULL;
    for (unsigned i = 0; i < env->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &env->fields[i];
        const ProtobufCMessageDescriptor *d = f->descriptor;

        if (f->type != PROTOBUF_C_TYPE_MESSAGE || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue; /* only the members of the body oneof are event types */
        if (strcmp(d->name, name) == 0 || strcmp(d->short_name, name) == 0)
            return d->name;
    }
    return NULL;
}

int envelope_append(stream_log_t *log, store_txn_t *txn, const char *source,
                    Jiju__V1__Envelope *env, uint64_t *seq_out)
{
    char id[96], src[80], when[40], type[64];
    uint8_t *buf;
    char *saved_cause;
    size_t len;
    int rc;

    env->seq = stream_log_next(log);
    snprintf(id, sizeof id, "%s/%llu", source, (unsigned long long)env->seq);
    snprintf(src, sizeof src, "/jiju/%s", source);
    snprintf(type, sizeof type, "%s", envelope_type(env));
    if (env->time_ms == 0)
        env->time_ms = clock_now_ms();
    clock_format_ms(env->time_ms, when, sizeof when);
    env->specversion = (char *)ENVELOPE_SPECVERSION;
    env->id = id;
    env->source = src;
    env->type = type;
    env->time = when;
    if (!env->subject)
        env->subject = (char *)"";
    if (!env->period)
        env->period = (char *)"";
    if (!env->county)
        env->county = (char *)"";
    saved_cause = env->cause_producer;
    if (cause_producer[0] && (!env->cause_producer || !env->cause_producer[0])) {
        env->cause_producer = cause_producer;
        env->cause_seq = cause_seq;
    }

    rc = pb_pack(&env->base, &buf, &len);
    if (rc != JIJU_OK)
        goto out_unset;
    rc = stream_log_append(log, txn, buf, len, seq_out);
    free(buf);
out_unset:
    /* the strings live on this stack frame: do not leave them in env */
    env->id = env->source = env->type = env->time = (char *)"";
    env->cause_producer = saved_cause; /* never leave our static in a caller's message */
    return rc;
}

Jiju__V1__Envelope *envelope_decode(const uint8_t *data, size_t len)
{
    return jiju__v1__envelope__unpack(NULL, len, data);
}

void envelope_free(Jiju__V1__Envelope **env)
{
    if (!env || !*env)
        return;
    jiju__v1__envelope__free_unpacked(*env, NULL);
    *env = NULL;
}
