/* service.c - the common start and stop of a service process. */
#include "service.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "metrics.h"
#include "service_settings.h"

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

static const cfg_spec *help_specs;
static size_t help_n;

void service_help_specs(const cfg_spec *specs, size_t n)
{
    help_specs = specs;
    help_n = n;
}

int service_start(service_t *s, const char *name, int argc, char **argv, const char **extra_flags,
                  size_t n_extra, void *cfg, service_load_fn load)
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
        char prog[64];

        snprintf(prog, sizeof prog, "jiju-%s", name);
        for (size_t i = 0; i < n_extra; i++)
            printf("extra flag: %s\n", extra_flags[i]);
        cfg_print_help(stdout, prog, help_specs, help_specs ? help_n : 0);
        s->exit_code = 0;
        return -1;
    }
    if (rc != 0 || load(path, overrides, n_over, cfg, &err) != 0) {
        log_error("config_refused", "%s", cfg_error_format(&err, msg, sizeof msg));
        fprintf(stderr, "jiju-%s: %s\n", name, msg);
        return -1;
    }
    s->config_path = path;
    s->svc = svc_new(name);
    if (!s->svc) {
        s->exit_code = EXIT_FAILURE;
        return -1;
    }
    return 0;
}

static int service_refuse(service_t *s, const cfg_error *err)
{
    char msg[1024];

    cfg_error_format(err, msg, sizeof msg);
    log_error("config_refused", "%s", msg);
    fprintf(stderr, "jiju-%s: %s\n", s->name, msg);
    s->exit_code = 2;
    return -1;
}

/* Security is all or nothing: a key pair, an allow-list, and every peer's
 * public key. Returns the setting to blame and the reason, or NULL. */
static const char *service_security_gap(const char *secret_key_file, const char *keys_file,
                                        const service_peer_key *peers, size_t n_peers,
                                        const char **reason)
{
    if (!*secret_key_file) {
        *reason = "required once any security.* setting is given (the key pair of this service)";
        return "security.secret_key_file";
    }
    if (!*keys_file) {
        *reason = "required with security.secret_key_file (the allow-list of client keys)";
        return "security.keys_file";
    }
    for (size_t i = 0; i < n_peers; i++) {
        if (!peers[i].value[0]) {
            *reason = "required with security.secret_key_file (Z85 public key of that service)";
            return peers[i].setting;
        }
        if (!keys_z85_valid(peers[i].value)) {
            *reason = "not a Z85 CURVE public key (40 characters)";
            return peers[i].setting;
        }
    }
    return NULL;
}

int service_secure(service_t *s, const char *secret_key_file, const char *keys_file,
                   const service_peer_key *peers, size_t n_peers)
{
    cfg_error err;
    const char *key, *reason = "";
    int any = secret_key_file[0] || keys_file[0];

    memset(&err, 0, sizeof err);
    for (size_t i = 0; i < n_peers; i++)
        any |= peers[i].value[0] != '\0';
    if (!any) {
        log_warn("security", "mode=plain note=\"plain TCP: local demo only\"");
        return 0;
    }
    if ((key = service_security_gap(secret_key_file, keys_file, peers, n_peers, &reason))) {
        snprintf(err.file, sizeof err.file, "%s", s->config_path ? s->config_path : "(defaults)");
        snprintf(err.key, sizeof err.key, "%s", key);
        snprintf(err.reason, sizeof err.reason, "%s", reason);
        return service_refuse(s, &err);
    }
    if (!(s->zap = zap_new(svc_zmq(s->svc), secret_key_file, keys_file, &err)))
        return service_refuse(s, &err);
    if (zap_attach(s->zap, s->svc) != JIJU_OK) {
        s->exit_code = EXIT_FAILURE;
        return -1;
    }
    log_info("security", "mode=curve public=%s keys=%zu keys_file=%s", zap_public(s->zap),
             keys_count(zap_keys(s->zap)), keys_file);
    return 0;
}

void service_limits(service_t *s, const service_settings *shared)
{
    s->store_min_free_mb = shared->store_min_free_mb;
    s->memory_trim_ms = shared->memory_trim_ms;
    s->store_memory = (store_memory){
        .memtable_bytes = (size_t)shared->store_memtable_mb << 20,
        .memtables_bytes = (size_t)shared->store_memtables_mb << 20,
        .block_cache_bytes = (size_t)shared->store_block_cache_mb << 20,
        .index_in_cache = (int)shared->store_index_in_cache,
        .max_open_files = (int)shared->store_max_open_files,
    };
    svc_set_max_frame(s->svc, shared->max_frame_bytes);
}

#define SERVICE_SPACE_POLL_MS 500

static void service_wait_for_space(const char *dir, uint64_t min_free)
{
    struct timespec pause = {0, SERVICE_SPACE_POLL_MS * 1000000L};
    uint64_t free_bytes = store_free_bytes(dir);
    long waited = 0;

    if (free_bytes >= min_free)
        return;
    log_error("store_full", "dir=%s free_bytes=%llu min_free_bytes=%llu action=wait", dir,
              (unsigned long long)free_bytes, (unsigned long long)min_free);
    while ((free_bytes = store_free_bytes(dir)) < min_free) {
        nanosleep(&pause, NULL);
        waited++;
    }
    log_info("store_space_back", "dir=%s free_bytes=%llu waited_ms=%ld", dir,
             (unsigned long long)free_bytes, waited * SERVICE_SPACE_POLL_MS);
}

int service_metrics(service_t *s, const service_settings *mc)
{
    char why[256] = "";

    if (mc->metrics_port == 0)
        return 0;
    if (!(s->metrics = metrics_http_start(s->svc, mc->metrics_bind, (int)mc->metrics_port, why,
                                          sizeof why))) {
        log_error("bind_failed", "endpoint=http://%s:%lld/metrics key=metrics.port reason=\"%s\"",
                  mc->metrics_bind, (long long)mc->metrics_port, why);
        s->exit_code = 2;
        return -1;
    }
    log_info("metrics", "endpoint=http://%s:%d/metrics", mc->metrics_bind,
             metrics_http_port(s->metrics));
    return 0;
}

/* /metrics: what RocksDB holds for the store against its budget
 * (store.memtables_mb, store.block_cache_mb; the table readers outside the
 * cache are bounded only by store.max_open_files, or by the cache with
 * store.index_in_cache). */
static void service_store_collect(void *arg)
{
    const service_t *s = arg;
    metrics_family *f = metrics_gauge_collected("jiju_store_memory_bytes",
                                                "bytes RocksDB holds for the store, by part");
    uint64_t mem = 0, cache = 0, readers = 0;
    char l[64];

    if (!s->store)
        return;
    store_memory_usage(s->store, &mem, &cache, &readers);
    metrics_set(f, metrics_labels(l, sizeof l, "part", "memtables", NULL), (double)mem);
    metrics_set(f, metrics_labels(l, sizeof l, "part", "block_cache", NULL), (double)cache);
    metrics_set(f, metrics_labels(l, sizeof l, "part", "table_readers", NULL), (double)readers);
}

int service_open_store(service_t *s, const char *dir, const char *const *cfs, size_t n_cfs)
{
    uint64_t min_free = (uint64_t)s->store_min_free_mb * 1024 * 1024;
    const char *all[SERVICE_MAX_CFS] = {STORE_STREAM_CFS};
    size_t n = 3;
    char err[512] = "";

    for (size_t i = 0; i < n_cfs && n < SERVICE_MAX_CFS; i++)
        all[n++] = cfs[i];
    if (mkdir_p(dir) != 0) { /* the directory cannot be: the setting is wrong */
        cfg_error ce;

        memset(&ce, 0, sizeof ce);
        snprintf(ce.file, sizeof ce.file, "%s", s->config_path ? s->config_path : "(defaults)");
        snprintf(ce.key, sizeof ce.key, "data_dir");
        snprintf(ce.reason, sizeof ce.reason, "cannot create %s: %s", dir, strerror(errno));
        return service_refuse(s, &ce);
    }
    service_wait_for_space(dir, min_free);
    s->store =
        store_open_sized(dir, all, n, s->store_unfiltered, s->store_n_unfiltered,
                         s->store_memory.memtable_bytes ? &s->store_memory : NULL, err, sizeof err);
    if (!s->store) { /* e.g. another process holds it: not the setting's fault */
        log_error("store_open_failed", "file=%s key=data_dir dir=%s reason=\"%s\"",
                  s->config_path ? s->config_path : "(defaults)", dir, err);
        fprintf(stderr, "jiju-%s: cannot open the store at %s (data_dir): %s\n", s->name, dir, err);
        s->exit_code = EXIT_FAILURE;
        return -1;
    }
    store_set_min_free(s->store, min_free);
    metrics_on_collect(service_store_collect, s);
    return 0;
}

_Noreturn void service_store_failed(const char *event, int err, const char *fmt, ...)
{
    char detail[512] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    log_error(event, "%s%serr=\"%s\" action=exit", detail, detail[0] ? " " : "", jiju_err_str(err));
    exit(EXIT_FAILURE);
}

int service_trim_memory(void)
{
    return malloc_trim(0);
}

static void service_trim_tick(svc_t *svc, void *arg)
{
    (void)svc;
    (void)arg;
    (void)service_trim_memory();
}

int service_run(service_t *s)
{
    int rc;

    if (s->memory_trim_ms > 0 &&
        svc_every(s->svc, (int)s->memory_trim_ms, service_trim_tick, s) != JIJU_OK)
        return EXIT_FAILURE;
    rc = svc_run(s->svc);

    log_info("stopping", "reason=%s", rc == JIJU_OK ? "signal" : jiju_err_str(rc));
    return rc == JIJU_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

void service_stop(service_t *s)
{
    metrics_http_stop(&s->metrics);
    metrics_cancel(s);
    store_close(&s->store);
    zap_destroy(&s->zap); /* its socket must close before the context ends */
    svc_destroy(&s->svc);
}
