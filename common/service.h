/* service.h - what every service's main() does the same way: parse the
 * command line, load and check the config (refusing with file, key and
 * reason), start logging, open the store, run the loop, clean up. */
#ifndef JIJU_SERVICE_H
#define JIJU_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "metrics_http.h"
#include "service_settings.h"
#include "store.h"
#include "svc.h"
#include "zap.h"

#define SERVICE_MAX_EXTRA 4

/* A service's config loader (path may be NULL: defaults). */
typedef int (*service_load_fn)(const char *path, const char *const *overrides, size_t n_over,
                               void *cfg, cfg_error *err);

typedef struct service {
    const char *name;
    svc_t *svc;
    store_t *store;
    int exit_code;                       /* what main returns when start fails */
    int extra_seen[SERVICE_MAX_EXTRA];   /* flags from service_start's extra list */
    const char *config_path;             /* --config, NULL for defaults only */
    zap_t *zap;                          /* CURVE security, NULL in plain mode */
    int64_t store_min_free_mb;           /* store.min_free_mb: set before service_open_store */
    store_memory store_memory;           /* store.*_mb and the rest: set there too */
    int64_t memory_trim_ms;              /* memory.trim_ms (service_trim_memory) */
    const char *const *store_unfiltered; /* families without read filters
                                            (store_open_unfiltered): set before it too */
    size_t store_n_unfiltered;
    metrics_http_t *metrics; /* GET /metrics, NULL when metrics.port is 0 */
} service_t;

/* A setting naming the public key of a service we connect to, e.g.
 * {"security.assessment_public_key", cfg.assessment_public_key}. */
typedef struct service_peer_key {
    const char *setting;
    const char *value;
} service_peer_key;

/* The settings table --help prints (call before service_start). */
void service_help_specs(const cfg_spec *specs, size_t n);

/* Parse argv (--config, --set, --help and up to SERVICE_MAX_EXTRA extra
 * flags), load cfg with load(), init logging, create the loop. Returns 0, or
 * -1 with s->exit_code set (0 after --help, 2 for a refused config). */
int service_start(service_t *s, const char *name, int argc, char **argv, const char **extra_flags,
                  size_t n_extra, void *cfg, service_load_fn load);

/* After service_start, before any socket: plain mode when no security
 * setting is given (one warning line says so), else CURVE with the key pair
 * in secret_key_file, the allow-list in keys_file and a ZAP handler in the
 * loop; then every peer key is required and must be valid Z85. Returns 0,
 * or -1 with s->exit_code 2 after logging the refusal (file, key, reason). */
int service_secure(service_t *s, const char *secret_key_file, const char *keys_file,
                   const service_peer_key *peers, size_t n_peers);

/* After service_start: serve GET /metrics on metrics.bind:metrics.port of the
 * shared settings (nothing when the port is 0). Returns 0, or -1 with s->exit_code 2 after logging
 * bind_failed with the address and reason. */
int service_metrics(service_t *s, const service_settings *shared);

/* After service_start: the store's reserve (store.min_free_mb) and the
 * largest message any socket of the loop takes (limits.max_frame_bytes). */
void service_limits(service_t *s, const service_settings *shared);
/* Freed heap memory back to the system (malloc_trim), every
 * memory.trim_ms while the service runs: glibc keeps what was freed in
 * its arenas, and a service's peaks (memtables flushed, block cache
 * churn, large batches) left 45-73% of what it had taken from the system
 * free but resident (malloc_info of the 4 services after 1,800,000
 * reports; one malloc_trim(0) took notification from 187 to 120 MB).
 * Returns 1 if memory was released. */
int service_trim_memory(void);

/* Create dir (and parents) and open the store with cfs + STORE_STREAM_CFS,
 * keeping s->store_min_free_mb free (store_set_min_free). While the disk has
 * less than that free, it waits (one log line when it starts waiting, one
 * when space returns) instead of opening: an open on a full disk fails
 * after leaving new files behind, and a restart loop would eat any space
 * that is freed. */
int service_open_store(service_t *s, const char *dir, const char *const *cfs, size_t n_cfs);

/* THE policy when a store write or its fsync fails: one error line
 * (`event=EVENT <detail> err="..." action=exit`), then exit(EXIT_FAILURE).
 * Never retried: after a failed fsync the page cache may have dropped the
 * dirty pages (PostgreSQL's fsync lesson), and a txn that failed half-way
 * must not commit. On restart everything resumes from durable cursors. */
_Noreturn void service_store_failed(const char *event, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run the loop until SIGTERM/SIGINT; returns EXIT_SUCCESS or EXIT_FAILURE. */
int service_run(service_t *s);

/* Close the store, the security and the loop (NULL-safe, idempotent). */
void service_stop(service_t *s);

#endif
