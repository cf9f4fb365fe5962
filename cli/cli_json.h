/* cli_json.h - JSON <-> protobuf for the `jiju` command, driven by the
 * protobuf-c descriptors rather than written field by field.
 *
 * JSON -> message: keys are the .proto field names (snake_case); integers
 * may be JSON integers or decimal strings; enums their names ("LOGISTICS"),
 * numbers, or for Category and Level also the Chinese labels ("现代物流园",
 * "市级") and lower case ("city"); a one-member oneof is set by its member;
 * bytes are base64. Any int64 field named X_fen also accepts X_wan: an
 * amount in 万元 as a decimal string with up to six decimals, converted
 * exactly (cli_money.h). Unknown keys, wrong types and out-of-range numbers
 * are refused with the field's path.
 *
 * Submission files (`jiju submit FILE.json`) hold one object or an array of
 * them. An object with a "command" key is a Command: its value names the
 * Command member ("register_cluster", "open_period", ...) and the other keys
 * are that member's fields. {"report": {...}} or a bare object is a Report.
 *
 * Errors name line and column (for syntax errors the exact place; for a bad
 * field the place of its key in the file) and the field path. */
#ifndef JIJU_CLI_JSON_H
#define JIJU_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "jiju/v1/commands.pb-c.h"
#include "jiju/v1/envelope.pb-c.h"
#include "jiju/v1/report.pb-c.h"
#include "jiju/v1/submit.pb-c.h"

typedef struct cli_json_error {
    int line;         /* 1-based, 0 if unknown */
    int column;       /* 1-based (characters), 0 if unknown */
    char path[160];   /* field path, e.g. "[2].revenue_wan"; "" for syntax errors */
    char reason[256]; /* what is wrong */
} cli_json_error;

/* "LINE:COL: PATH: REASON" (parts omitted when unknown) into buf. Returns buf. */
const char *cli_json_error_format(const cli_json_error *err, char *buf, size_t cap);

/* Convert obj into a new message of type desc. path prefixes error paths
 * ("" at top level). NULL on error (err filled, without line/column).
 * Caller frees with protobuf_c_message_free_unpacked(msg, NULL). */
ProtobufCMessage *cli_json_to_message(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                                      const char *path, cli_json_error *err);

/* A Report from an object (bare or {"report": {...}}); caller frees with
 * jiju__v1__report__free_unpacked(r, NULL). NULL on error. */
Jiju__V1__Report *cli_json_report(const json_t *obj, const char *path, cli_json_error *err);

/* A Command from {"command": "NAME", ...member fields}; caller frees with
 * jiju__v1__command__free_unpacked(c, NULL). NULL on error. */
Jiju__V1__Command *cli_json_command(const json_t *obj, const char *path, cli_json_error *err);

/* Parse submission text (one object or an array) into SubmitRequests, with
 * request_id "<index>:<report_id or command name>". JIJU_OK with *reqs
 * (caller frees with cli_json_requests_free) and *n; JIJU_ERR_INVALID with err
 * (positions included) and nothing allocated; JIJU_ERR_NOMEM. */
int cli_json_parse_requests(const char *text, size_t len, Jiju__V1__SubmitRequest ***reqs,
                            size_t *n, cli_json_error *err);
void cli_json_requests_free(Jiju__V1__SubmitRequest ***reqs, size_t n);

/* Parse an enum value: its name, case-insensitively, its number, or (for
 * Category and Level) the Chinese label. JIJU_OK or JIJU_ERR_INVALID. */
int cli_json_enum_parse(const ProtobufCEnumDescriptor *desc, const char *text, int *value);

/* The Chinese label of a Category ("现代物流园"), "" for an unknown value. */
const char *cli_json_category_zh(int category);

/* msg as JSON, following the protobuf JSON mapping (field names as in the
 * .proto, defaults omitted, enums by name, 64-bit integers as JSON integers,
 * bytes base64). NULL on allocation failure. Caller owns (json_decref). */
json_t *cli_json_from_message(const ProtobufCMessage *msg);

/* One line of JSON for a stream record: the CloudEvents attributes
 * (specversion, id, source, type, time, subject, datacontenttype) plus seq,
 * time_ms, period, category, county, and "data" holding the body. malloc'd,
 * no newline; caller frees. NULL on allocation failure. */
char *cli_json_envelope_line(const Jiju__V1__Envelope *env);

/* Bytes one element of a repeated field takes in its C array (shared by the
 * JSON reader and writer). */
size_t cli_json_slot_size(const ProtobufCFieldDescriptor *fd);

#endif
