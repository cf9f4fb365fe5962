/* service_settings.c - the rules across the settings every service shares. */
#include "service_settings.h"

#include <stdio.h>

int service_settings_check(const service_settings *s, cfg_error *err)
{
    const char *empty = !s->instance[0] ? "instance" : !s->data_dir[0] ? "data_dir" : NULL;

    if (empty) {
        snprintf(err->key, sizeof err->key, "%s", empty);
        snprintf(err->reason, sizeof err->reason, "must not be empty");
        return -1;
    }
    if (s->timeout_ms <= s->heartbeat_ms) {
        snprintf(err->key, sizeof err->key, "stream.timeout_ms");
        snprintf(err->reason, sizeof err->reason,
                 "must be greater than stream.heartbeat_ms (%lld), got %lld: a peer would be "
                 "declared silent between two heartbeats",
                 (long long)s->heartbeat_ms, (long long)s->timeout_ms);
        return -1;
    }
    if (s->store_memtables_mb < s->store_memtable_mb) {
        snprintf(err->key, sizeof err->key, "store.memtables_mb");
        snprintf(err->reason, sizeof err->reason,
                 "must be at least store.memtable_mb (%lld), got %lld: the budget of all write "
                 "buffers below one of them",
                 (long long)s->store_memtable_mb, (long long)s->store_memtables_mb);
        return -1;
    }
    return tz_use_setting("time_zone", s->time_zone, err);
}
