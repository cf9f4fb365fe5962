/* test_cfg.c - cfg_load, cfg_error_format, cfg_parse_args. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

typedef struct tcfg {
    int64_t heartbeat_ms;
    int64_t port;
    char name[8];
    int verbose;
    int64_t weights[3];
    int n_weights;
} tcfg;

/* CFG_JSON: an array of at most 3 integers; NULL means the default {1,1,1}. */
static int parse_weights(const json_t *json, void *out, cfg_error *err)
{
    tcfg *c = out;
    size_t i;
    json_t *v;

    if (json == NULL) {
        c->n_weights = 3;
        c->weights[0] = c->weights[1] = c->weights[2] = 1;
        return 0;
    }
    if (!json_is_array(json) || json_array_size(json) > 3) {
        snprintf(err->key, sizeof err->key, "scoring.weights");
        snprintf(err->reason, sizeof err->reason, "must be an array of at most 3 integers");
        return -1;
    }
    json_array_foreach(json, i, v)
    {
        if (!json_is_integer(v)) {
            snprintf(err->key, sizeof err->key, "scoring.weights.%zu", i);
            snprintf(err->reason, sizeof err->reason, "must be an integer");
            return -1;
        }
        c->weights[i] = json_integer_value(v);
    }
    c->n_weights = (int)json_array_size(json);
    return 0;
}

static const cfg_spec specs[] = {
    {"stream.heartbeat_ms", CFG_INT, "1000", 1, 60000, offsetof(tcfg, heartbeat_ms), NULL, "hb"},
    {"port", CFG_INT, "5555", 1, 65535, offsetof(tcfg, port), NULL, "port"},
    {"name", CFG_STRING, "abc", 0, 8, offsetof(tcfg, name), NULL, "short name"},
    {"verbose", CFG_BOOL, "false", 0, 0, offsetof(tcfg, verbose), NULL, "verbosity"},
    {"scoring.weights", CFG_JSON, NULL, 0, 0, 0, parse_weights, "weights"},
};
#define NSPECS (sizeof specs / sizeof specs[0])

static int check_sum(void *out, cfg_error *err)
{
    tcfg *c = out;
    int64_t sum = 0;

    for (int i = 0; i < c->n_weights; i++)
        sum += c->weights[i];
    if (sum > 100) {
        snprintf(err->key, sizeof err->key, "scoring.weights");
        snprintf(err->reason, sizeof err->reason, "must sum to at most 100, got %lld",
                 (long long)sum);
        return -1;
    }
    return 0;
}

static char tmpdir[64];
static char path[128];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jiju_cfg_XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/c.json", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Load text as the file; returns cfg_load's result. */
static int load_text(const char *text, const char *const *ov, size_t n_ov, tcfg *c, cfg_error *e)
{
    write_file(text);
    memset(c, 0x5a, sizeof *c);
    memset(e, 0, sizeof *e);
    return cfg_load(path, specs, NSPECS, ov, n_ov, check_sum, c, e);
}

static void test_defaults_when_no_path(void **state)
{
    tcfg c;
    cfg_error e;

    memset(&c, 0x5a, sizeof c);
    assert_int_equal(cfg_load(NULL, specs, NSPECS, NULL, 0, check_sum, &c, &e), 0);
    assert_int_equal(c.heartbeat_ms, 1000);
    assert_int_equal(c.port, 5555);
    assert_string_equal(c.name, "abc");
    assert_int_equal(c.verbose, 0);
    assert_int_equal(c.n_weights, 3);
    assert_int_equal(c.weights[2], 1);
}

static void test_nested_file_values(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"stream\":{\"heartbeat_ms\":250},\"name\":\"xy\","
                               "\"verbose\":true,\"scoring\":{\"weights\":[50,30,20]}}",
                               NULL, 0, &c, &e),
                     0);
    assert_int_equal(c.heartbeat_ms, 250);
    assert_int_equal(c.port, 5555);
    assert_string_equal(c.name, "xy");
    assert_int_equal(c.verbose, 1);
    assert_int_equal(c.n_weights, 3);
    assert_int_equal(c.weights[0], 50);
}

static void test_unknown_key(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"stream\":{\"heartbeat\":250}}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.file, path);
    assert_string_equal(e.key, "stream.heartbeat");
    assert_string_equal(e.reason, "unknown key");
    assert_int_equal(load_text("{\"other\":{\"x\":1}}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "other");
    assert_string_equal(e.reason, "unknown key");
    /* A subtree where a leaf is expected is not silently taken. */
    assert_int_equal(load_text("{\"scoring\":3}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "scoring");
}

static void test_wrong_type(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"port\":\"80\"}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "port");
    assert_string_equal(e.reason, "must be an integer, got a string");
    assert_int_equal(load_text("{\"port\":80.0}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.reason, "must be an integer, got a real number");
    assert_int_equal(load_text("{\"verbose\":1}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "verbose");
    assert_int_equal(load_text("{\"name\":[]}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "name");
}

static void test_out_of_range(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"stream\":{\"heartbeat_ms\":0}}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "stream.heartbeat_ms");
    assert_string_equal(e.reason, "must be between 1 and 60000, got 0");
}

static void test_string_too_long(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"name\":\"1234567\"}", NULL, 0, &c, &e), 0);
    assert_string_equal(c.name, "1234567");
    assert_int_equal(load_text("{\"name\":\"12345678\"}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.key, "name");
    assert_non_null(strstr(e.reason, "too long"));
}

static void test_invalid_json_line_column(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\n  \"port\": 80,\n  \"name\": }\n", NULL, 0, &c, &e), -1);
    assert_string_equal(e.file, path);
    assert_non_null(strstr(e.reason, "line 3 column"));
}

static void test_duplicate_key(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"port\":80,\"port\":81}", NULL, 0, &c, &e), -1);
    assert_non_null(strstr(e.reason, "duplicate"));
    /* The same setting written flat and nested is also a duplicate. */
    assert_int_equal(
        load_text("{\"stream.heartbeat_ms\":5,\"stream\":{\"heartbeat_ms\":6}}", NULL, 0, &c, &e),
        -1);
    assert_string_equal(e.key, "stream.heartbeat_ms");
    assert_string_equal(e.reason, "duplicate key");
}

static void test_missing_file(void **state)
{
    tcfg c;
    cfg_error e;
    char missing[160];

    snprintf(missing, sizeof missing, "%s/nope.json", tmpdir);
    assert_int_equal(cfg_load(missing, specs, NSPECS, NULL, 0, NULL, &c, &e), -1);
    assert_string_equal(e.file, missing);
    assert_non_null(strstr(e.reason, "nope.json"));
}

static void test_set_override(void **state)
{
    const char *ov[] = {"port=81", "verbose=true", "scoring.weights=[10,20]", "name=q"};
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"port\":80}", ov, 4, &c, &e), 0);
    assert_int_equal(c.port, 81);
    assert_int_equal(c.verbose, 1);
    assert_int_equal(c.n_weights, 2);
    assert_int_equal(c.weights[1], 20);
    assert_string_equal(c.name, "q");
}

static void test_set_refusals(void **state)
{
    const char *unknown[] = {"stream.nope=1"};
    const char *notdec[] = {"port=0x50"};
    const char *spaced[] = {"port= 80"};
    const char *badbool[] = {"verbose=1"};
    const char *badjson[] = {"scoring.weights=[1,"};
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{}", unknown, 1, &c, &e), -1);
    assert_string_equal(e.file, "--set");
    assert_string_equal(e.key, "stream.nope");
    assert_string_equal(e.reason, "unknown key");
    assert_int_equal(load_text("{}", notdec, 1, &c, &e), -1);
    assert_string_equal(e.key, "port");
    assert_int_equal(load_text("{}", spaced, 1, &c, &e), -1);
    assert_int_equal(load_text("{}", badbool, 1, &c, &e), -1);
    assert_string_equal(e.key, "verbose");
    assert_int_equal(load_text("{}", badjson, 1, &c, &e), -1);
    assert_string_equal(e.key, "scoring.weights");
}

static void test_json_callback_error_key(void **state)
{
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{\"scoring\":{\"weights\":[1,\"x\"]}}", NULL, 0, &c, &e), -1);
    assert_string_equal(e.file, path);
    assert_string_equal(e.key, "scoring.weights.1");
    assert_string_equal(e.reason, "must be an integer");
}

static void test_check_refuses(void **state)
{
    const char *ov[] = {"scoring.weights=[60,60]"};
    tcfg c;
    cfg_error e;

    assert_int_equal(load_text("{}", ov, 1, &c, &e), -1);
    assert_string_equal(e.file, path);
    assert_string_equal(e.key, "scoring.weights");
    assert_string_equal(e.reason, "must sum to at most 100, got 120");
    assert_int_equal(cfg_load(NULL, specs, NSPECS, ov, 1, check_sum, &c, &e), -1);
    assert_string_equal(e.file, "(defaults)");
}

static void test_bad_default_refused(void **state)
{
    const cfg_spec bad[] = {{"port", CFG_INT, "0", 1, 10, offsetof(tcfg, port), NULL, "p"}};
    tcfg c;
    cfg_error e;

    assert_int_equal(cfg_load(NULL, bad, 1, NULL, 0, NULL, &c, &e), -1);
    assert_string_equal(e.file, "(defaults)");
    assert_string_equal(e.key, "port");
}

static void test_error_format(void **state)
{
    cfg_error e = {"a.json", "port", "bad \"x\""};
    char buf[128];
    char small[20];

    assert_string_equal(cfg_error_format(&e, buf, sizeof buf),
                        "config_error file=a.json key=port reason=\"bad \\\"x\\\"\"");
    cfg_error_format(&e, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_parse_args(void **state)
{
    char *argv[] = {"svc",    "--config", "f.json",       "--set",
                    "port=1", "--health", "--set=name=x", NULL};
    const char *extra[] = {"--rebuild-from-archive", "--health"};
    int seen[2] = {7, 7};
    const char *p = NULL;
    const char *ov[4];
    size_t n = 0;
    cfg_error e;

    assert_int_equal(cfg_parse_args(7, argv, &p, ov, 4, &n, extra, 2, seen, &e), 0);
    assert_string_equal(p, "f.json");
    assert_int_equal(n, 2);
    assert_string_equal(ov[0], "port=1");
    assert_string_equal(ov[1], "name=x");
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 1);
}

static void test_parse_args_refusals(void **state)
{
    char *help[] = {"svc", "--set", "a=1", "--help"};
    char *unknown[] = {"svc", "--bogus"};
    char *missing[] = {"svc", "--config"};
    char *toomany[] = {"svc", "--set", "a=1", "--set", "b=2"};
    const char *p = NULL;
    const char *ov[1];
    size_t n = 0;
    cfg_error e;

    assert_int_equal(cfg_parse_args(4, help, &p, ov, 1, &n, NULL, 0, NULL, &e), 1);
    assert_int_equal(cfg_parse_args(2, unknown, &p, ov, 1, &n, NULL, 0, NULL, &e), -1);
    assert_string_equal(e.key, "--bogus");
    assert_string_equal(e.reason, "unknown argument");
    assert_int_equal(cfg_parse_args(2, missing, &p, ov, 1, &n, NULL, 0, NULL, &e), -1);
    assert_string_equal(e.reason, "missing value");
    assert_int_equal(cfg_parse_args(5, toomany, &p, ov, 1, &n, NULL, 0, NULL, &e), -1);
    assert_string_equal(e.key, "b=2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_when_no_path),
        cmocka_unit_test(test_nested_file_values),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_string_too_long),
        cmocka_unit_test(test_invalid_json_line_column),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_set_override),
        cmocka_unit_test(test_set_refusals),
        cmocka_unit_test(test_json_callback_error_key),
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_bad_default_refused),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_parse_args_refusals),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
