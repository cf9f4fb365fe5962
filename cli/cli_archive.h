/* cli_archive.h - `jiju archive query|export|verify`: read the archive over
 * its query endpoint (default $JIJU_ARCHIVE or tcp://127.0.0.1:7202) or
 * offline from a stopped archive's store directory (--store DIR).
 *
 *   jiju archive query  [--cluster C] [--period P] [--type T] [--report R]
 *                       [--stream reports|events] [--from TIME] [--to TIME]
 *                       [--newest] [--limit N] [--cursor HEX] [--all]
 *                       [--format table|json]
 *   jiju archive export --period P [--format csv|json] [--all-revisions]
 *                       [--output FILE]
 *   jiju archive verify --store DIR
 *
 * TIME is ms since the Unix epoch, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"
 * (UTC). Exit status: 0 success (verify: chain intact), 1 refused or chain
 * broken, 2 usage or input error. */
#ifndef JIJU_CLI_ARCHIVE_H
#define JIJU_CLI_ARCHIVE_H

#define CLI_DEFAULT_ARCHIVE "tcp://127.0.0.1:7202"

/* argv[0] is "archive", argv[1] the subcommand. */
int cli_archive_main(int argc, char **argv);

#endif
