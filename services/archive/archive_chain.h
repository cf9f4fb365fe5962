/* archive_chain.h - appending records to the archive: each gets the next
 * global archive sequence and its link in the SHA-256 hash chain (formula in
 * proto/jiju/v1/archive.proto), and is written with its index entries into
 * the caller's store_txn; the new chain head is put into the same txn once,
 * as it commits (store_txn_before_commit), so a commit holds whole records
 * and the head that names the last of them.
 *
 * The head (last sequence and hash) is kept in memory and advanced by each
 * append; the caller must commit every txn it appended to, in append order,
 * before appending to another txn (the stream consumer commits each peer's
 * txn before serving the next socket), or drop the chain (and its process)
 * when a commit fails, as stream.h already requires of any log appender. */
#ifndef JIJU_ARCHIVE_CHAIN_H
#define JIJU_ARCHIVE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "archive_hash.h"
#include "archive_store.h"
#include "store.h"

typedef struct archive_chain archive_chain_t;

/* Open the chain of an archive store (reads the head). NULL if the store
 * lacks the archive's families or its head does not decode. Caller owns it. */
archive_chain_t *archive_chain_open(store_t *s);
void archive_chain_destroy(archive_chain_t **c);

/* Sequence of the last appended record (0 if none) and its hash (32 zero
 * bytes if none). */
uint64_t archive_chain_head_seq(const archive_chain_t *c);
const uint8_t *archive_chain_head_hash(const archive_chain_t *c);

/* Append one record inside txn. stream is ARCHIVE_STREAM_REPORTS or
 * ARCHIVE_STREAM_EVENTS; envelope is stored byte-exact. *seq_out (may be
 * NULL) receives its archive sequence. On error nothing in memory changed,
 * but txn may hold part of the record: the caller must discard txn. */
int archive_chain_append(archive_chain_t *c, store_txn_t *txn, const char *stream,
                         const char *producer_id, uint64_t source_seq, const uint8_t *envelope,
                         size_t len, uint64_t *seq_out);

/* Open (creating if missing) an archive store at dir with every family the
 * archive uses. NULL on failure with the reason in errbuf. Caller owns it
 * (store_close). Writes: the archive service and tests; readers use archive_reader_open(). */
store_t *archive_store_open(const char *dir, char *errbuf, size_t errcap);

#endif
