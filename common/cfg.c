/* cfg.c - configuration: defaults, then a JSON file, then --set overrides,
 * then the whole-config check; every refusal names file, key and reason. */
#include "cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_DEFAULTS "(defaults)"
#define CFG_SET "--set"
#define CFG_ARGS "(command line)"

/* Where the value being applied comes from: fills err->file on refusal and
 * remembers which specs the file already set (to refuse "a.b" given twice,
 * once flat and once nested, which JSON_REJECT_DUPLICATES cannot see). */
typedef struct cfg_ctx {
    const cfg_spec *specs;
    size_t n;
    void *out;
    const char *file;
    unsigned char *seen; /* n flags, file pass only; NULL otherwise */
    cfg_error *err;
} cfg_ctx;

static int cfg_fail(cfg_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfg_fail(cfg_ctx *c, const char *key, const char *fmt, ...)
{
    va_list ap;

    snprintf(c->err->file, sizeof c->err->file, "%s", c->file);
    snprintf(c->err->key, sizeof c->err->key, "%s", key ? key : "");
    va_start(ap, fmt);
    vsnprintf(c->err->reason, sizeof c->err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

static const cfg_spec *cfg_find(const cfg_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->specs[i].key, key) == 0)
            return &c->specs[i];
    return NULL;
}

/* True if some spec lives below `prefix` ("stream" for "stream.heartbeat_ms"). */
static int cfg_has_children(const cfg_ctx *c, const char *prefix)
{
    size_t len = strlen(prefix);

    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->specs[i].key, prefix, len) == 0 && c->specs[i].key[len] == '.')
            return 1;
    return 0;
}

static int cfg_set_int(cfg_ctx *c, const cfg_spec *s, int64_t v)
{
    if (v < s->min || v > s->max)
        return cfg_fail(c, s->key, "must be between %lld and %lld, got %lld", (long long)s->min,
                        (long long)s->max, (long long)v);
    memcpy((char *)c->out + s->offset, &v, sizeof v);
    return 0;
}

static int cfg_set_string(cfg_ctx *c, const cfg_spec *s, const char *v, size_t len)
{
    char *dst = (char *)c->out + s->offset;

    if (memchr(v, '\0', len) != NULL)
        return cfg_fail(c, s->key, "must not contain a NUL character");
    if (s->max <= 0 || len >= (size_t)s->max)
        return cfg_fail(c, s->key, "too long: %zu bytes, at most %lld", len,
                        (long long)(s->max > 0 ? s->max - 1 : 0));
    memcpy(dst, v, len);
    dst[len] = '\0';
    return 0;
}

/* NULL if text is an endpoint ZeroMQ can parse (cfg.h), else why not. */
static const char *cfg_endpoint_refusal(const char *text)
{
    const char *colon, *port;
    char *end = NULL;
    long n;

    if (!*text || ((!strncmp(text, "ipc://", 6) || !strncmp(text, "inproc://", 9)) &&
                   strchr(text, '/')[2] != '\0'))
        return NULL;
    if (strncmp(text, "tcp://", 6) != 0)
        return "must be tcp://HOST:PORT, ipc://PATH or inproc://NAME";
    colon = strrchr(text + 6, ':');
    if (!colon || colon == text + 6 || strpbrk(text + 6, " \t"))
        return "must be tcp://HOST:PORT (a host, then a port after the last colon)";
    port = colon + 1;
    if (strcmp(port, "*") == 0)
        return NULL;
    n = strspn(port, "0123456789") == strlen(port) && *port ? strtol(port, &end, 10) : 0;
    return n >= 1 && n <= 65535 ? NULL : "the port of tcp://HOST:PORT must be 1-65535 or *";
}

static int cfg_set_endpoint(cfg_ctx *c, const cfg_spec *s, const char *v, size_t len)
{
    const char *why;

    if (cfg_set_string(c, s, v, len) != 0)
        return -1;
    why = cfg_endpoint_refusal((char *)c->out + s->offset);
    return why ? cfg_fail(c, s->key, "%s, got \"%.128s\"", why, (char *)c->out + s->offset) : 0;
}

static void cfg_set_bool(cfg_ctx *c, const cfg_spec *s, int v)
{
    memcpy((char *)c->out + s->offset, &v, sizeof v);
}

/* Hand a subtree (or NULL for the default) to a CFG_JSON spec's callback; a
 * callback that did not name a key is blamed on the spec's own key. */
static int cfg_set_json(cfg_ctx *c, const cfg_spec *s, const json_t *json)
{
    cfg_error sub;

    if (s->parse == NULL)
        return cfg_fail(c, s->key, "no parse callback for a CFG_JSON setting");
    memset(&sub, 0, sizeof sub);
    if (s->parse(json, c->out, &sub) == 0)
        return 0;
    return cfg_fail(c, sub.key[0] ? sub.key : s->key, "%s", sub.reason[0] ? sub.reason : "refused");
}

static const char *cfg_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/* Apply one JSON value to its (non-JSON or JSON) spec. */
static int cfg_apply_json(cfg_ctx *c, const cfg_spec *s, const json_t *v)
{
    switch (s->type) {
    case CFG_INT:
        if (!json_is_integer(v))
            return cfg_fail(c, s->key, "must be an integer, got %s", cfg_json_type_name(v));
        return cfg_set_int(c, s, (int64_t)json_integer_value(v));
    case CFG_STRING:
    case CFG_ENDPOINT:
        if (!json_is_string(v))
            return cfg_fail(c, s->key, "must be a string, got %s", cfg_json_type_name(v));
        if (s->type == CFG_ENDPOINT)
            return cfg_set_endpoint(c, s, json_string_value(v), json_string_length(v));
        return cfg_set_string(c, s, json_string_value(v), json_string_length(v));
    case CFG_BOOL:
        if (!json_is_boolean(v))
            return cfg_fail(c, s->key, "must be true or false, got %s", cfg_json_type_name(v));
        cfg_set_bool(c, s, json_is_true(v));
        return 0;
    case CFG_JSON:
        return cfg_set_json(c, s, v);
    }
    return cfg_fail(c, s->key, "bad spec type %d", (int)s->type);
}

/* Strict decimal: optional '-', digits only, no spaces, no overflow. */
static int cfg_parse_decimal(const char *text, int64_t *out)
{
    const char *p = text[0] == '-' ? text + 1 : text;
    char *end = NULL;
    long long v;

    if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
        return -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int cfg_apply_text_json(cfg_ctx *c, const cfg_spec *s, const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    int rc;

    if (v == NULL)
        return cfg_fail(c, s->key, "invalid JSON at column %d: %s", jerr.column, jerr.text);
    rc = cfg_set_json(c, s, v);
    json_decref(v);
    return rc;
}

/* Apply a value given as text (a default or a --set override). */
static int cfg_apply_text(cfg_ctx *c, const cfg_spec *s, const char *text)
{
    int64_t iv;

    switch (s->type) {
    case CFG_INT:
        if (cfg_parse_decimal(text, &iv) != 0)
            return cfg_fail(c, s->key, "must be a decimal integer, got \"%.64s\"", text);
        return cfg_set_int(c, s, iv);
    case CFG_STRING:
        return cfg_set_string(c, s, text, strlen(text));
    case CFG_ENDPOINT:
        return cfg_set_endpoint(c, s, text, strlen(text));
    case CFG_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return cfg_fail(c, s->key, "must be true or false, got \"%.64s\"", text);
        cfg_set_bool(c, s, strcmp(text, "true") == 0);
        return 0;
    case CFG_JSON:
        return cfg_apply_text_json(c, s, text);
    }
    return cfg_fail(c, s->key, "bad spec type %d", (int)s->type);
}

/* A spec without a default gets zero / "" / false / parse(NULL), unchecked:
 * its bounds are for what an operator writes, not for the absent value. */
static int cfg_apply_defaults(cfg_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const cfg_spec *s = &c->specs[i];
        int rc = 0;

        if (s->type == CFG_JSON)
            rc = s->def ? cfg_apply_text_json(c, s, s->def) : cfg_set_json(c, s, NULL);
        else if (s->def)
            rc = cfg_apply_text(c, s, s->def);
        else if (s->type == CFG_INT)
            memset((char *)c->out + s->offset, 0, sizeof(int64_t));
        else if (s->type == CFG_BOOL)
            cfg_set_bool(c, s, 0);
        else if (s->max > 0)
            ((char *)c->out + s->offset)[0] = '\0';
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int cfg_walk(cfg_ctx *c, const json_t *obj, const char *prefix);

static int cfg_walk_one(cfg_ctx *c, const char *full, const json_t *v)
{
    const cfg_spec *s = cfg_find(c, full);

    if (s != NULL) {
        size_t i = (size_t)(s - c->specs);

        if (c->seen[i])
            return cfg_fail(c, full, "duplicate key");
        c->seen[i] = 1;
        return cfg_apply_json(c, s, v);
    }
    if (json_is_object(v) && cfg_has_children(c, full))
        return cfg_walk(c, v, full);
    return cfg_fail(c, full, "unknown key");
}

static int cfg_walk(cfg_ctx *c, const json_t *obj, const char *prefix)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v)
    {
        char full[sizeof c->err->key];
        int n = snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "." : "", k);

        if (n < 0 || (size_t)n >= sizeof full)
            return cfg_fail(c, full, "unknown key (too long)");
        if (cfg_walk_one(c, full, v) != 0)
            return -1;
    }
    return 0;
}

static int cfg_load_file(cfg_ctx *c, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    int rc;

    if (root == NULL) {
        /* jansson reports a missing file as line -1; the text names it. */
        if (jerr.line < 0)
            return cfg_fail(c, "", "%s", jerr.text);
        return cfg_fail(c, "", "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    }
    if (!json_is_object(root)) {
        rc = cfg_fail(c, "", "top level must be an object, got %s", cfg_json_type_name(root));
        goto out_decref_root;
    }
    c->seen = calloc(c->n ? c->n : 1, 1);
    if (c->seen == NULL) {
        rc = cfg_fail(c, "", "out of memory");
        goto out_decref_root;
    }
    rc = cfg_walk(c, root, "");
    free(c->seen);
    c->seen = NULL;
out_decref_root:
    json_decref(root);
    return rc;
}

static int cfg_apply_override(cfg_ctx *c, const char *ov)
{
    const char *eq = strchr(ov, '=');
    char key[sizeof c->err->key];
    const cfg_spec *s;
    size_t klen;

    if (eq == NULL)
        return cfg_fail(c, ov, "expected key=value");
    klen = (size_t)(eq - ov);
    if (klen == 0 || klen >= sizeof key)
        return cfg_fail(c, ov, "unknown key");
    memcpy(key, ov, klen);
    key[klen] = '\0';
    s = cfg_find(c, key);
    if (s == NULL)
        return cfg_fail(c, key, "unknown key");
    return cfg_apply_text(c, s, eq + 1);
}

int cfg_load(const char *path, const cfg_spec *specs, size_t n, const char *const *overrides,
             size_t n_over, cfg_check_fn check, void *out, cfg_error *err)
{
    cfg_ctx c = {specs, n, out, CFG_DEFAULTS, NULL, err};
    cfg_error sub;

    if (cfg_apply_defaults(&c) != 0)
        return -1;
    if (path != NULL) {
        c.file = path;
        if (cfg_load_file(&c, path) != 0)
            return -1;
    }
    c.file = CFG_SET;
    for (size_t i = 0; i < n_over; i++)
        if (cfg_apply_override(&c, overrides[i]) != 0)
            return -1;
    if (check == NULL)
        return 0;
    memset(&sub, 0, sizeof sub);
    if (check(out, &sub) == 0)
        return 0;
    c.file = path ? path : CFG_DEFAULTS;
    return cfg_fail(&c, sub.key, "%s", sub.reason[0] ? sub.reason : "refused");
}

/* Reason is quoted; quotes and backslashes inside it are escaped so that the
 * line stays one parseable key=value record. */
const char *cfg_error_format(const cfg_error *err, char *buf, size_t cap)
{
    size_t n;

    if (cap == 0)
        return buf;
    n = (size_t)snprintf(buf, cap, "config_error file=%s key=%s reason=\"", err->file,
                         err->key[0] ? err->key : "-");
    if (n >= cap)
        return buf;
    for (const char *p = err->reason; *p && n + 2 < cap; p++) {
        if (*p == '"' || *p == '\\')
            buf[n++] = '\\';
        if (n + 2 < cap)
            buf[n++] = *p == '\n' ? ' ' : *p;
    }
    if (n + 1 < cap)
        buf[n++] = '"';
    buf[n < cap ? n : cap - 1] = '\0';
    return buf;
}

/* Value of "--flag VALUE" or "--flag=VALUE"; NULL if arg is not this flag. */
static const char *cfg_flag_value(int argc, char **argv, int *i, const char *flag, int *missing)
{
    size_t len = strlen(flag);
    const char *arg = argv[*i];

    if (strncmp(arg, flag, len) != 0)
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (arg[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

static int cfg_args_fail(cfg_error *err, const char *arg, const char *reason)
{
    snprintf(err->file, sizeof err->file, "%s", CFG_ARGS);
    snprintf(err->key, sizeof err->key, "%s", arg);
    snprintf(err->reason, sizeof err->reason, "%s", reason);
    return -1;
}

static int cfg_match_extra(const char *arg, const char **extra_flags, size_t n_extra,
                           int *extra_seen)
{
    for (size_t k = 0; k < n_extra; k++) {
        if (strcmp(arg, extra_flags[k]) == 0) {
            extra_seen[k] = 1;
            return 1;
        }
    }
    return 0;
}

int cfg_parse_args(int argc, char **argv, const char **path, const char **overrides, size_t cap,
                   size_t *n_over, const char **extra_flags, size_t n_extra, int *extra_seen,
                   cfg_error *err)
{
    const char *cfg_path = NULL;
    size_t count = 0;

    for (size_t k = 0; k < n_extra; k++)
        extra_seen[k] = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int missing = 0;
        const char *v;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (cfg_match_extra(arg, extra_flags, n_extra, extra_seen))
            continue;
        if ((v = cfg_flag_value(argc, argv, &i, "--config", &missing)) != NULL) {
            if (cfg_path != NULL)
                return cfg_args_fail(err, arg, "--config given twice");
            cfg_path = v;
            continue;
        }
        if (!missing && (v = cfg_flag_value(argc, argv, &i, "--set", &missing)) != NULL) {
            if (count >= cap)
                return cfg_args_fail(err, v, "too many --set overrides");
            if (strchr(v, '=') == NULL)
                return cfg_args_fail(err, v, "--set expects key=value");
            overrides[count++] = v;
            continue;
        }
        return cfg_args_fail(err, arg, missing ? "missing value" : "unknown argument");
    }
    *path = cfg_path;
    *n_over = count;
    return 0;
}

static const char *cfg_type_name(cfg_type t)
{
    switch (t) {
    case CFG_STRING:
        return "string";
    case CFG_INT:
        return "integer";
    case CFG_BOOL:
        return "bool";
    case CFG_JSON:
        return "json";
    case CFG_ENDPOINT:
        return "endpoint";
    }
    return "?";
}

void cfg_print_help(FILE *out, const char *prog, const cfg_spec *specs, size_t n)
{
    fprintf(out, "usage: %s [--config FILE] [--set key=value]... [--help]\n\nsettings:\n", prog);
    for (size_t i = 0; i < n; i++) {
        const cfg_spec *s = &specs[i];

        fprintf(out, "  %-32s %-7s default=%s", s->key, cfg_type_name(s->type),
                s->def ? s->def : "(none)");
        if (s->type == CFG_INT)
            fprintf(out, " range=[%lld,%lld]", (long long)s->min, (long long)s->max);
        fprintf(out, "  %s\n", s->help ? s->help : "");
    }
}
