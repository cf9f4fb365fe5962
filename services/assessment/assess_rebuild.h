/* assess_rebuild.h - disaster recovery: rebuild an empty assessment store
 * from a (stopped) archive's store directory. See assess_rebuild.c. */
#ifndef JIJU_ASSESS_REBUILD_H
#define JIJU_ASSESS_REBUILD_H

#include <stdint.h>

#include "assess.h"

typedef struct assess_rebuild_stats {
    uint64_t inputs;        /* archived inputs applied */
    uint64_t events_copied; /* archived events restored into the "events" log */
    uint64_t decisions;     /* awards, warnings, eliminations, nominations, rankings re-derived */
} assess_rebuild_stats;

/* Rebuild into store (whose "events" log must be empty) from the archive
 * store at archive_dir. JIJU_OK when the re-derived decisions match the
 * archived ones; JIJU_ERR_CONFLICT if they differ (the store then holds the
 * rebuilt state, for inspection; it should not be put into service);
 * JIJU_ERR_NOT_FOUND if archive_dir holds no archive store (nothing written). */
int assess_rebuild(store_t *store, stream_log_t *events, const assess_config *cfg,
                   const char *archive_dir, assess_rebuild_stats *stats);

#endif
