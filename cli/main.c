/* main.c - `jiju`: dispatch to the subcommands (cli.h). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_archive.h"
#include "cli_subscription.h"
#include "tz.h"

#ifndef JIJU_VERSION
#define JIJU_VERSION "unknown"
#endif

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cli_cmd;

static const cli_cmd commands[] = {
    {"submit", cli_submit_main, "submit FILE.json: reports and commands to ingest"},
    {"import", cli_import_main,
     "import FILE.csv|FILE.xlsx: a statistics form (--dry-run, --template)"},
    {"tail", cli_tail_main, "tail --subscriber ID: print delivered events as JSON lines"},
    {"cluster", cli_cluster_main, "cluster register|update|list|recognise|eliminate"},
    {"period", cli_period_main, "period open|close PERIOD"},
    {"ranking", cli_ranking_main, "ranking show PERIOD [--category C]"},
    {"targets", cli_targets_main, "targets YEAR: progress towards the city targets"},
    {"ping", cli_ping_main, "ping ENDPOINT: health check of a query endpoint"},
    {"archive", cli_archive_main, "archive query|export|verify: the tamper-evident history"},
    {"subscription", cli_subscription_main, "subscription add|list|remove|...: deliveries"},
    {"keygen", cli_keygen_main, "keygen [--name N] [--out FILE]: a CURVE key pair (Z85)"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: jiju COMMAND [ARGS]   (jiju COMMAND --help for details)\n"
                 "       jiju --version\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "times are shown in JIJU_TIME_ZONE (a tz database zone, default %s)\n",
            TZ_DEFAULT);
    fprintf(out,
            "--max-reply-bytes N (any command): the largest reply taken from a service\n"
            "  (default 4194304; %d..%d)\n",
            CLI_MAX_REPLY_MIN, CLI_MAX_REPLY_MAX);
    return out == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* --max-reply-bytes N (or =N): a number of bytes within the bounds, else
 * -1 after saying why. */
static int max_reply_arg(const char *v)
{
    char *end;
    long long n = strtoll(v ? v : "", &end, 10);

    if (!v || !*v || *end || n < CLI_MAX_REPLY_MIN || n > CLI_MAX_REPLY_MAX) {
        fprintf(stderr, "jiju: --max-reply-bytes \"%s\": a number of bytes from %d to %d\n",
                v ? v : "", CLI_MAX_REPLY_MIN, CLI_MAX_REPLY_MAX);
        return -1;
    }
    cli_max_reply = n;
    return 0;
}

/* Options of every command, anywhere among its arguments (up to a "--"),
 * taken out of argv: --help or -h asks for its usage (cli_help);
 * --max-reply-bytes N bounds the replies of its services (cli_max_reply).
 * The arguments left, or -1 after a bad value. */
static int take_globals(int argc, char **argv)
{
    static const char opt[] = "--max-reply-bytes";
    int n = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            cli_help = 1;
        else if (strcmp(argv[i], opt) == 0) {
            if (max_reply_arg(i + 1 < argc ? argv[++i] : NULL) != 0)
                return -1;
        } else if (strncmp(argv[i], opt, sizeof opt - 1) == 0 && argv[i][sizeof opt - 1] == '=') {
            if (max_reply_arg(argv[i] + sizeof opt) != 0)
                return -1;
        } else
            argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    const char *zone;
    char err[256];
    const char *name;

    /* display widths of Chinese text (wcwidth) need a UTF-8 locale */
    setlocale(LC_ALL, "C.UTF-8");
    /* every time a person reads (tables, exports, --since) is in the
     * jurisdiction's zone; the wire keeps epoch ms */
    zone = getenv("JIJU_TIME_ZONE");
    if (tz_use(zone && *zone ? zone : TZ_DEFAULT, err, sizeof err) != 0) {
        fprintf(stderr, "jiju: JIJU_TIME_ZONE: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("jiju %s\n", JIJU_VERSION);
        return CLI_EXIT_OK;
    }
    name = argv[1];
    if (strcmp(name, "help") == 0 && argc > 2) { /* jiju help COMMAND */
        name = argv[2];
        argv++;
        argc--;
        cli_help = 1;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0) {
            int n = take_globals(argc - 2, argv + 2);
            if (n < 0)
                return CLI_EXIT_USAGE;
            return commands[i].fn(1 + n, argv + 1);
        }
    fprintf(stderr, "jiju: unknown command \"%s\"\n", name);
    return usage(stderr);
}
