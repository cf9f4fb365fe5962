/* cli_admin.c - what the city DRC office's commands share (cli_admin.h):
 * their flags, a Command sent to ingest as a SubmitRequest (the submit
 * path), a reply as --json prints it and scores as two decimals. */
#include "cli_admin.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "pbjson.h"

static int set_flag(cli_admin_flags *f, int c, const char *arg)
{
    switch (c) {
    case 'i':
        f->id = arg;
        return 0;
    case 'n':
        f->name = arg;
        return 0;
    case 'c':
        f->category = arg;
        return 0;
    case 'C':
        f->county = arg;
        return 0;
    case 'l':
        f->level = arg;
        return 0;
    case 'o':
        f->org = arg;
        return 0;
    case 'f':
        f->file = arg;
        return 0;
    case 'd':
        f->document = arg;
        return 0;
    case 'r':
        f->reason = arg;
        return 0;
    case 'I':
        if (f->n_industries == CLI_ADMIN_MAX_INDUSTRIES)
            return -1;
        f->industries[f->n_industries++] = arg;
        return 0;
    case 'e':
        return cli_endpoints_add(&f->ingest, arg) == JIJU_OK ? 0 : -1;
    case 'q':
        return cli_endpoints_add(&f->query, arg) == JIJU_OK ? 0 : -1;
    case 't':
        return (f->timeout_ms = atoi(arg)) > 0 ? 0 : -1;
    case 'j':
        f->json = 1;
        return 0;
    default:
        return -1;
    }
}

int cli_admin_parse(int argc, char **argv, cli_admin_flags *f)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"category", required_argument, NULL, 'c'},
        {"county", required_argument, NULL, 'C'},
        {"level", required_argument, NULL, 'l'},
        {"industry", required_argument, NULL, 'I'},
        {"org", required_argument, NULL, 'o'},
        {"file", required_argument, NULL, 'f'},
        {"document", required_argument, NULL, 'd'},
        {"reason", required_argument, NULL, 'r'},
        {"endpoint", required_argument, NULL, 'e'},
        {"query", required_argument, NULL, 'q'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int c;

    f->timeout_ms = CLI_ADMIN_TIMEOUT_MS;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (set_flag(f, c, optarg) != 0)
            return -1;
    for (; optind < argc; optind++) {
        if (f->n_pos == CLI_ADMIN_MAX_POSITIONAL)
            return -1;
        f->pos[f->n_pos++] = argv[optind];
    }
    if (cli_endpoints_default(&f->ingest, "JIJU_INGEST", CLI_DEFAULT_INGEST) != JIJU_OK ||
        cli_endpoints_default(&f->query, "JIJU_ASSESSMENT_QUERY", CLI_DEFAULT_QUERY) != JIJU_OK)
        return -1;
    return 0;
}

void cli_admin_free(cli_admin_flags *f)
{
    cli_endpoints_clear(&f->ingest);
    cli_endpoints_clear(&f->query);
}

static void print_command_reply(void *arg, size_t index, const Jiju__V1__SubmitReply *reply)
{
    (void)index;
    if (reply)
        cli_print_reply(stdout, arg, reply);
    else
        printf("%s FAILED no ingest endpoint answered\n", (const char *)arg);
}

int cli_admin_command(const cli_admin_flags *f, Jiju__V1__Command *cmd)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&jiju__v1__command__descriptor, cmd->kind_case);
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT, *reqs[1] = {&req};
    cli_tally tally = {0};
    char id[80];

    snprintf(id, sizeof id, "0:%s", fd ? fd->name : "command");
    req.request_id = id;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = cmd;
    if (cli_submit_run(&f->ingest, reqs, 1, f->timeout_ms, print_command_reply, id + 2, &tally) !=
        JIJU_OK) {
        fprintf(stderr, "jiju: cannot reach ingest at %s\n", f->ingest.list[0]);
        return CLI_EXIT_REFUSED;
    }
    return cli_tally_exit(&tally);
}

int cli_print_json(const ProtobufCMessage *msg)
{
    json_t *o = pbjson_from_message(msg);
    int rc = o && json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0;

    json_decref(o);
    putchar('\n');
    return rc ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

const char *cli_two_decimals(int64_t micros, char *buf, size_t cap)
{
    uint64_t mag = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    uint64_t hundredths = (mag + 5000) / 10000;

    snprintf(buf, cap, "%s%llu.%02llu", micros < 0 && hundredths ? "-" : "",
             (unsigned long long)(hundredths / 100), (unsigned long long)(hundredths % 100));
    return buf;
}
