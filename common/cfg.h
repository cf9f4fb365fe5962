/* cfg.h - configuration from a JSON file, checked against a table of
 * settings (as Redis config.c's static_configs[]).
 *
 * Each service declares a table of cfg_spec: a dotted key ("awards.top_n"),
 * a type, a default, bounds, and where in the service's config struct the
 * value goes. cfg_load() fills the struct with defaults, reads the file (if
 * any), applies "--set key=value" overrides, and refuses:
 *   - a file that is not valid JSON (file, line, column, reason),
 *   - an unknown key (file, key, "unknown key"),
 *   - a value of the wrong type or out of bounds (file, key, reason),
 * and then runs the spec's optional whole-config check (e.g. weights must sum
 * to 100), which names the key it blames.
 *
 * Subtrees that a table cannot describe (per-year targets, weight maps) use
 * CFG_JSON: the raw jansson value is handed to a parse callback that reports
 * errors with a key path below the spec's key. */
#ifndef JIJU_CFG_H
#define JIJU_CFG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CFG_STRING,   /* char[cap] inline at offset; cap in .max */
    CFG_INT,      /* int64_t at offset, bounds [min, max] */
    CFG_BOOL,     /* int at offset (0/1) */
    CFG_JSON,     /* parse(json, out, err) takes the subtree */
    CFG_ENDPOINT, /* a CFG_STRING that must be a ZeroMQ endpoint: tcp://HOST:PORT (PORT
                   * 1-65535 or *), ipc://PATH or inproc://NAME; "" allowed */
} cfg_type;

typedef struct cfg_error {
    char file[256];
    char key[128];
    char reason[256];
} cfg_error;

/* Parse callback for CFG_JSON: return 0 or fill err->key (full dotted path)
 * and err->reason and return -1. json may be NULL: apply the default. */
typedef int (*cfg_parse_fn)(const json_t *json, void *out, cfg_error *err);

typedef struct cfg_spec {
    const char *key; /* dotted path, e.g. "stream.heartbeat_ms" */
    cfg_type type;
    const char *def;    /* default as text ("5000", "true", "tcp://..."); NULL = "" / 0 */
    int64_t min, max;   /* CFG_INT bounds; CFG_STRING: max = buffer capacity */
    size_t offset;      /* offsetof(config struct, field) */
    cfg_parse_fn parse; /* CFG_JSON only */
    const char *help;   /* one line for --help and docs */
} cfg_spec;

/* Whole-config check after all keys are set; fill err and return -1 to refuse. */
typedef int (*cfg_check_fn)(void *out, cfg_error *err);

/* Load `path` (NULL: defaults only) into `out` following `specs` (n entries),
 * then apply overrides ("key=value" strings, n_over of them), then `check`
 * (may be NULL). Returns 0, or -1 with *err filled.
 *
 * Order: every spec's default first (def text parsed as a --set value would
 * be; def NULL gives 0 / "" / false unchecked, and CFG_JSON's parse(NULL)),
 * then the file, then the overrides, then check. Nested objects name dotted
 * keys; flat "a.b" keys in the file are accepted too, but a key set twice
 * either way is refused. An object or array is only accepted whole by a
 * CFG_JSON spec of that key. Override values: CFG_INT strictly decimal,
 * CFG_BOOL true/false, CFG_STRING verbatim, CFG_JSON as JSON text.
 * err->file is the path, "--set" or "(defaults)"; a check refusal carries the
 * path (or "(defaults)") and the key the check names. */
int cfg_load(const char *path, const cfg_spec *specs, size_t n, const char *const *overrides,
             size_t n_over, cfg_check_fn check, void *out, cfg_error *err);

/* `config_error file=F key=K reason="R"` into buf (truncated to cap); key is
 * "-" when none applies (syntax error, missing file). Returns buf. */
const char *cfg_error_format(const cfg_error *err, char *buf, size_t cap);

/* Parse the common service command line:
 *   --config FILE   --set key=value (repeatable)   --help (or -h)
 * ("--config=FILE" and "--set=key=value" also work) plus the service's own
 * flags without values (extra_flags, e.g. "--rebuild-from-archive"):
 * extra_seen[i] is set to 1 if extra_flags[i] is present, else 0. path and
 * overrides point into argv; overrides is caller-provided with cap entries.
 * *path (NULL if no --config) and *n_over are set only on success.
 * Returns 0, 1 for --help, -1 on a bad or unknown argument (err names it,
 * err->file = "(command line)"). */
int cfg_parse_args(int argc, char **argv, const char **path, const char **overrides, size_t cap,
                   size_t *n_over, const char **extra_flags, size_t n_extra, int *extra_seen,
                   cfg_error *err);

/* Usage line and one line per spec (key, type, default, range, help). */
void cfg_print_help(FILE *out, const char *prog, const cfg_spec *specs, size_t n);

#endif
