/* cli_json.h - submission files for `jiju submit`, read with the shared
 * JSON <-> protobuf codec (common/pbjson.h, which says how fields, enums,
 * bytes and 万元 amounts are written).
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
#include "jiju/v1/report.pb-c.h"
#include "jiju/v1/submit.pb-c.h"
#include "pbjson.h"

/* A Report from an object (bare or {"report": {...}}); caller frees with
 * jiju__v1__report__free_unpacked(r, NULL). NULL on error. */
Jiju__V1__Report *cli_json_report(const json_t *obj, const char *path, pbjson_error *err);

/* A Command from {"command": "NAME", ...member fields}; caller frees with
 * jiju__v1__command__free_unpacked(c, NULL). NULL on error. */
Jiju__V1__Command *cli_json_command(const json_t *obj, const char *path, pbjson_error *err);

/* Parse submission text (one object or an array) into SubmitRequests, with
 * request_id "<index>:<report_id or command name>". JIJU_OK with *reqs
 * (caller frees with cli_json_requests_free) and *n; JIJU_ERR_INVALID with err
 * (positions included) and nothing allocated; JIJU_ERR_NOMEM. */
int cli_json_parse_requests(const char *text, size_t len, Jiju__V1__SubmitRequest ***reqs,
                            size_t *n, pbjson_error *err);
void cli_json_requests_free(Jiju__V1__SubmitRequest ***reqs, size_t n);

#endif
