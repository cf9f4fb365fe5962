/* cli.h - the subcommands of `jiju` and what they share: endpoint lists and
 * the pipelined submission of SubmitRequests to ingest through common/rpc.
 *
 * Every *_main takes the subcommand's own argv (argv[0] is the subcommand
 * name) and returns the process exit status: 0 success, 1 something was
 * refused or failed, 2 usage or input error. */
#ifndef JIJU_CLI_H
#define JIJU_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "jiju/v1/query.pb-c.h"
#include "jiju/v1/submit.pb-c.h"
#include "rpc.h"
#include "stream_sub.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_REFUSED 1
#define CLI_EXIT_USAGE 2

#define CLI_DEFAULT_INGEST "tcp://127.0.0.1:7001"
#define CLI_DEFAULT_QUERY "tcp://127.0.0.1:7102"
#define CLI_DEFAULT_DELIVERIES "tcp://127.0.0.1:7301"
#define CLI_MAX_ENDPOINTS 16

int cli_submit_main(int argc, char **argv);
int cli_import_main(int argc, char **argv);
int cli_tail_main(int argc, char **argv);
int cli_cluster_main(int argc, char **argv);
int cli_period_main(int argc, char **argv);
int cli_ranking_main(int argc, char **argv);
int cli_targets_main(int argc, char **argv);
int cli_ping_main(int argc, char **argv);
int cli_keygen_main(int argc, char **argv);

/* Set by main.c when a command's arguments hold --help or -h: the command
 * prints its usage to standard output and exits 0 (and does nothing else). */
extern int cli_help;
/* --max-reply-bytes N among any command's arguments: the largest reply the
 * command's rpc clients take from a service (cli_curve_rpc applies it);
 * 0 = RPC_DEFAULT_MAX_REPLY (4 MiB). */
#define CLI_MAX_REPLY_MIN 4096
#define CLI_MAX_REPLY_MAX 1073741824
extern long long cli_max_reply;
/* Where a usage text goes (stdout when asked for with --help, else
 * stderr) and the exit status that follows it (0, else CLI_EXIT_USAGE). */
FILE *cli_usage_out(void);
int cli_usage_rc(void);

/* A list of endpoints from repeated flags, each possibly "a,b,c". */
typedef struct cli_endpoints {
    char *list[CLI_MAX_ENDPOINTS];
    size_t n;
} cli_endpoints;

/* Add the comma-separated endpoints of text. JIJU_OK, JIJU_ERR_INVALID (too
 * many or empty), JIJU_ERR_NOMEM. */
int cli_endpoints_add(cli_endpoints *e, const char *text);
/* If none was given: from the environment variable env (if set), else def. */
int cli_endpoints_default(cli_endpoints *e, const char *env, const char *def);
void cli_endpoints_clear(cli_endpoints *e);

/* CURVE for the CLI's connections (docs/operations.md "Security"): the key
 * pair file in $JIJU_CLIENT_KEY_FILE, and the server's public key in the
 * service's own variable (CLI_KEY_INGEST, ...) or else $JIJU_SERVER_KEY.
 * Without JIJU_CLIENT_KEY_FILE the connection is plain (local demo). */
#define CLI_KEY_INGEST "JIJU_INGEST_SERVER_KEY"
#define CLI_KEY_ASSESSMENT "JIJU_ASSESSMENT_SERVER_KEY"
#define CLI_KEY_ARCHIVE "JIJU_ARCHIVE_SERVER_KEY"
#define CLI_KEY_NOTIFICATION "JIJU_NOTIFICATION_SERVER_KEY"

typedef struct cli_curve {
    int on; /* 0: plain */
    char server[41], pub[41], sec[41];
} cli_curve;

/* Read the keys for a server whose key variable is server_env. 0 (c->on
 * tells whether CURVE is wanted), or -1 after saying why on stderr. */
int cli_curve_from_env(cli_curve *c, const char *server_env);
/* cli_curve_from_env, then rpc_set_curve / stream_sub_set_curve when on;
 * for an rpc client also the reply limit (--max-reply-bytes). 0, or -1
 * after saying why on stderr. */
int cli_curve_rpc(rpc_t *r, const char *server_env);
int cli_curve_sub(stream_sub_t *s, const char *server_env);

/* Outcome counts of a submission run. */
typedef struct cli_tally {
    size_t accepted, duplicate, conflict, rejected, failed;
} cli_tally;

/* Called once per request: reply is NULL when no endpoint answered. */
typedef void (*cli_reply_fn)(void *arg, size_t index, const Jiju__V1__SubmitReply *reply);

/* Send reqs[0..n-1] to the ingest endpoints, pipelined (a bounded window in
 * flight), spread round-robin with failover (common/rpc.h), and call fn for
 * each answer. Every request_id must start with "<index>:" (as
 * cli_json_parse_requests and the CSV import make them). timeout_ms is the
 * wait per attempt. JIJU_OK once every request is answered or failed (see
 * tally), else a jiju_err. */
int cli_submit_run(const cli_endpoints *eps, Jiju__V1__SubmitRequest *const *reqs, size_t n,
                   int timeout_ms, cli_reply_fn fn, void *arg, cli_tally *tally);

/* The flags of submit and import: one FILE, --endpoint E (repeatable,
 * default $JIJU_INGEST or CLI_DEFAULT_INGEST), --timeout-ms MS. 0 or -1. */
int cli_submit_flags(int argc, char **argv, cli_endpoints *eps, int *timeout_ms, const char **file);

/* "LABEL STATUS seq=N instance=I" and one indented line per problem (severity,
 * code, field, value, message zh / en). */
void cli_print_reply(FILE *out, const char *label, const Jiju__V1__SubmitReply *reply);

/* Name of a SubmitStatus ("ACCEPTED", ...). */
const char *cli_status_name(int status);

/* Exit status for a tally: 0 if everything was accepted or duplicate. */
int cli_tally_exit(const cli_tally *t);

/* Ask assessment's query endpoints (failover over eps, timeout_ms in all).
 * NULL if no answer or the reply is not ok, said on stderr unless quiet.
 * Caller frees with jiju__v1__query_reply__free_unpacked. */
Jiju__V1__QueryReply *cli_query(const cli_endpoints *eps, Jiju__V1__QueryRequest *req,
                                int timeout_ms, int quiet);

/* Read a whole file (NUL-terminated, *len without it). NULL on failure with
 * errno set. Caller frees. */
char *cli_read_file(const char *path, size_t *len);

#endif
