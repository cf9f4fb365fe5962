/* service.h - what every service's main() does the same way: parse the
 * command line, load and check the config (refusing with file, key and
 * reason), start logging, open the store, run the loop, clean up. */
#ifndef JIJU_SERVICE_H
#define JIJU_SERVICE_H

#include <stddef.h>

#include "cfg.h"
#include "store.h"
#include "svc.h"

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
} service_t;

/* Parse argv (--config, --set, --help and up to SERVICE_MAX_EXTRA extra
 * flags), load cfg with load(), init logging, create the loop. Returns 0, or
 * -1 with s->exit_code set (0 after --help, 2 for a refused config). */
int service_start(service_t *s, const char *name, int argc, char **argv,
                  const char **extra_flags, size_t n_extra, void *cfg, service_load_fn load);

/* Create dir (and parents) and open the store with cfs + STORE_STREAM_CFS. */
int service_open_store(service_t *s, const char *dir, const char *const *cfs, size_t n_cfs);

/* Run the loop until SIGTERM/SIGINT; returns EXIT_SUCCESS or EXIT_FAILURE. */
int service_run(service_t *s);

/* Close the store and the loop (NULL-safe, idempotent). */
void service_stop(service_t *s);

#endif
