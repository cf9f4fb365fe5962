/* main.c - `jiju`: dispatch to the subcommands (cli.h). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_archive.h"
#include "cli_subscription.h"
#include "tz.h"

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cli_cmd;

static const cli_cmd commands[] = {
    {"submit", cli_submit_main, "submit FILE.json: reports and commands to ingest"},
    {"import", cli_import_main, "import FILE.csv: statistics reports from a CSV form"},
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
    fprintf(out, "usage: jiju COMMAND [ARGS]   (jiju COMMAND --help for details)\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "times are shown in JIJU_TIME_ZONE (a tz database zone, default %s)\n",
            TZ_DEFAULT);
    return out == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const char *zone;
    char err[256];

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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "jiju: unknown command \"%s\"\n", argv[1]);
    return usage(stderr);
}
