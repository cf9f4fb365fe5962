/* service.c - the common start and stop of a service process. */
#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "log.h"

#define SERVICE_MAX_OVERRIDES 64
#define SERVICE_MAX_CFS 32

static int mkdir_p(const char *dir)
{
    char path[512];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path)
        return -1;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int service_start(service_t *s, const char *name, int argc, char **argv,
                  const char **extra_flags, size_t n_extra, void *cfg, service_load_fn load)
{
    const char *overrides[SERVICE_MAX_OVERRIDES];
    const char *path = NULL;
    size_t n_over = 0;
    cfg_error err;
    char msg[1024];
    int rc;

    memset(s, 0, sizeof *s);
    memset(&err, 0, sizeof err);
    s->name = name;
    s->exit_code = 2;
    log_init(name, LOG_INFO);
    if (n_extra > SERVICE_MAX_EXTRA)
        n_extra = SERVICE_MAX_EXTRA;
    rc = cfg_parse_args(argc, argv, &path, overrides, SERVICE_MAX_OVERRIDES, &n_over, extra_flags,
                        n_extra, s->extra_seen, &err);
    if (rc == 1) {
        printf("usage: jiju-%s [--config FILE] [--set key=value]...", name);
        for (size_t i = 0; i < n_extra; i++)
            printf(" [%s]", extra_flags[i]);
        printf("\n");
        s->exit_code = 0;
        return -1;
    }
    if (rc != 0 || load(path, overrides, n_over, cfg, &err) != 0) {
        log_error("config_refused", "%s", cfg_error_format(&err, msg, sizeof msg));
        fprintf(stderr, "jiju-%s: %s\n", name, msg);
        return -1;
    }
    s->svc = svc_new(name);
    if (!s->svc) {
        s->exit_code = EXIT_FAILURE;
        return -1;
    }
    return 0;
}

int service_open_store(service_t *s, const char *dir, const char *const *cfs, size_t n_cfs)
{
    const char *all[SERVICE_MAX_CFS] = {STORE_STREAM_CFS};
    size_t n = 3;
    char err[512] = "";

    for (size_t i = 0; i < n_cfs && n < SERVICE_MAX_CFS; i++)
        all[n++] = cfs[i];
    if (mkdir_p(dir) != 0) {
        log_error("store_open_failed", "dir=%s reason=\"%s\"", dir, strerror(errno));
        return -1;
    }
    s->store = store_open(dir, all, n, err, sizeof err);
    if (!s->store) {
        log_error("store_open_failed", "dir=%s reason=\"%s\"", dir, err);
        return -1;
    }
    return 0;
}

int service_run(service_t *s)
{
    int rc = svc_run(s->svc);

    log_info("stopping", "reason=%s", rc == JIJU_OK ? "signal" : jiju_err_str(rc));
    return rc == JIJU_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

void service_stop(service_t *s)
{
    store_close(&s->store);
    svc_destroy(&s->svc);
}
