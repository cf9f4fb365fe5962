/* cli_admin.h - what the city DRC office's commands share: cluster
 * register | update | recognise | eliminate and period open | close go to
 * ingest as Commands (the submit path); cluster list, ranking show, targets
 * and ping ask assessment's query endpoint (proto/jiju/v1/query.proto,
 * cli_query). One file per command: cli_cluster.c, cli_period.c,
 * cli_ranking.c, cli_targets.c, cli_ping.c. */
#ifndef JIJU_CLI_ADMIN_H
#define JIJU_CLI_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "jiju/v1/commands.pb-c.h"

#define CLI_ADMIN_TIMEOUT_MS 5000
#define CLI_ADMIN_MAX_INDUSTRIES 8
#define CLI_ADMIN_MAX_POSITIONAL 2

typedef struct cli_admin_flags {
    const char *id, *name, *category, *county, *level, *org, *file, *document, *reason;
    const char *industries[CLI_ADMIN_MAX_INDUSTRIES];
    size_t n_industries;
    const char *pos[CLI_ADMIN_MAX_POSITIONAL]; /* positional arguments after the verb */
    size_t n_pos;
    cli_endpoints ingest, query;
    int timeout_ms;
    int json; /* --json: the reply in the protobuf JSON mapping */
} cli_admin_flags;

/* Parse argv (argv[0] is the verb) into f; endpoints get their defaults.
 * 0, or -1 (the caller prints its usage). cli_admin_free after either. */
int cli_admin_parse(int argc, char **argv, cli_admin_flags *f);
void cli_admin_free(cli_admin_flags *f);

/* Send cmd to ingest and print the reply: the exit status. */
int cli_admin_command(const cli_admin_flags *f, Jiju__V1__Command *cmd);

/* --json: msg in the protobuf JSON mapping (field names as in the .proto),
 * one line on stdout. The exit status. */
int cli_print_json(const ProtobufCMessage *msg);

/* Scores and rates, one way everywhere: millionths rounded half away from
 * zero to exactly two decimals ("96.33", "0.00"; rates as "100.73%"). The
 * exact value is in --json. Returns buf. */
const char *cli_two_decimals(int64_t micros, char *buf, size_t cap);

#endif
