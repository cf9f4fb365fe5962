/* cli_period.c - `jiju period open | close PERIOD`: a Command to ingest. */
#include <stdio.h>
#include <string.h>

#include "cli_admin.h"

static int period_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju period open PERIOD | jiju period close PERIOD\n"
            "  PERIOD: 2023, 2023Q2 or 2023-05; sent to ingest (--endpoint E, $JIJU_INGEST, %s)\n",
            CLI_DEFAULT_INGEST);
    return cli_usage_rc();
}

int cli_period_main(int argc, char **argv)
{
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__OpenPeriod op = JIJU__V1__OPEN_PERIOD__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    cli_admin_flags f = {0};
    int rc = CLI_EXIT_USAGE;

    if (cli_help || argc < 2 || cli_admin_parse(argc - 1, argv + 1, &f) != 0 || f.n_pos != 1) {
        rc = period_usage();
        goto out;
    }
    if (strcmp(argv[1], "open") == 0) {
        op.period = (char *)f.pos[0];
        cmd.kind_case = JIJU__V1__COMMAND__KIND_OPEN_PERIOD;
        cmd.open_period = &op;
    } else if (strcmp(argv[1], "close") == 0) {
        cp.period = (char *)f.pos[0];
        cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
        cmd.close_period = &cp;
    } else {
        fprintf(stderr, "jiju period: unknown verb \"%s\" (open, close)\n", argv[1]);
        rc = period_usage();
        goto out;
    }
    rc = cli_admin_command(&f, &cmd);
out:
    cli_admin_free(&f);
    return rc;
}
