/* archive_reader.h - the archive store read from outside the archive
 * process: `jiju archive verify|query|export --store DIR` and
 * `jiju-assessment --rebuild-from-archive DIR`. The one header they include
 * (replay, query, verify, export), and the one library they link
 * (jiju_archive_reader), never the archive service itself.
 *
 * The store is opened read-only as a RocksDB secondary (store_open_reader):
 * no lock is taken, so this works while the archive runs, and it sees what
 * the archive committed up to the open. Nothing is ever created. */
#ifndef JIJU_ARCHIVE_READER_H
#define JIJU_ARCHIVE_READER_H

#include <stddef.h>

#include "archive_export.h"
#include "archive_query.h"
#include "archive_replay.h"
#include "archive_store.h"
#include "archive_verify.h"
#include "store.h"

/* Open the archive store at dir for reading. NULL, with a reason for
 * people in errbuf, when dir does not exist, is not a directory, holds no
 * RocksDB store, or holds a store that is not an archive's. Caller owns
 * the result (store_close). */
store_t *archive_reader_open(const char *dir, char *errbuf, size_t errcap);

#endif
