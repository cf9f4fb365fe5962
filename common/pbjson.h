/* pbjson.h - JSON <-> protobuf, driven by the protobuf-c descriptors rather
 * than written field by field: the one codec the CLI, the services (webhook
 * bodies) and the portal share.
 *
 * JSON -> message: keys are the .proto field names (snake_case); integers
 * may be JSON integers or decimal strings; enums their names ("LOGISTICS"),
 * numbers, or for Category and Level also the Chinese labels ("现代物流园",
 * "市级") and lower case ("city"); a one-member oneof is set by its member;
 * bytes are base64. Any int64 field named X_fen also accepts X_wan: an
 * amount in 万元 as a decimal string with up to six decimals, converted
 * exactly (money.h). Unknown keys, wrong types and out-of-range numbers are
 * refused with the field's path.
 *
 * message -> JSON: the protobuf JSON mapping with .proto field names
 * (defaults omitted, enums by name, 64-bit integers as JSON integers, bytes
 * base64). */
#ifndef JIJU_PBJSON_H
#define JIJU_PBJSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

typedef struct pbjson_error {
    int line;         /* 1-based, 0 if unknown (the codec never knows it) */
    int column;       /* 1-based (characters), 0 if unknown */
    char path[160];   /* field path, e.g. "[2].revenue_wan"; "" for syntax errors */
    char reason[256]; /* what is wrong */
} pbjson_error;

/* Fill err (NULL ignored): path, reason from fmt; line and column cleared. */
void pbjson_error_set(pbjson_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "line L column C: PATH: REASON" (parts omitted when unknown) into buf.
 * Returns buf. */
const char *pbjson_error_format(const pbjson_error *err, char *buf, size_t cap);

/* Convert obj into a new message of type desc. path prefixes error paths
 * ("" at top level). NULL on error (err filled, without line/column).
 * Caller frees with protobuf_c_message_free_unpacked(msg, NULL). */
ProtobufCMessage *pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                                    const char *path, pbjson_error *err);

/* msg as JSON (the mapping above). NULL on allocation failure. Caller owns
 * the result (json_decref). */
json_t *pbjson_from_message(const ProtobufCMessage *msg);

/* Parse an enum value: its name, case-insensitively, its number, or (for
 * Category and Level) the Chinese label. JIJU_OK or JIJU_ERR_INVALID. */
int pbjson_enum_parse(const ProtobufCEnumDescriptor *desc, const char *text, int *value);

/* The Chinese label of a Category ("现代物流园"), "" for an unknown value. */
const char *pbjson_category_zh(int category);

#endif
