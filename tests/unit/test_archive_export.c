/* test_archive_export.c - the statistics bureau's export (CSV with Chinese
 * headers and a BOM, exact 万元; JSON lines in fen), and `jiju archive`
 * export / query / verify run offline on a store directory. */
/* cmocka.h needs these three first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <sys/stat.h>

#include "archive_export.h"
#include "tz.h"
#include "cli_archive.h"
#include "pb.h"
#include "test_archive_support.h"

static void test_fen_to_wan_is_exact(void **state)
{
    char b[40];

    (void)state;
    assert_string_equal(archive_fen_to_wan(123456789, b, sizeof b), "123.456789");
    assert_string_equal(archive_fen_to_wan(5000000, b, sizeof b), "5.00");
    assert_string_equal(archive_fen_to_wan(1, b, sizeof b), "0.000001");
    assert_string_equal(archive_fen_to_wan(-1, b, sizeof b), "-0.000001");
    assert_string_equal(archive_fen_to_wan(0, b, sizeof b), "0.00");
    assert_string_equal(archive_fen_to_wan(1234500000, b, sizeof b), "1234.50");
    assert_string_equal(archive_fen_to_wan(INT64_MAX, b, sizeof b), "9223372036854.775807");
    assert_string_equal(archive_fen_to_wan(INT64_MIN, b, sizeof b), "-9223372036854.775808");
}

/* An ArchiveRecord around envelope bytes (the export reads only these). */
static Jiju__V1__ArchiveRecord rec_of(uint64_t seq, uint8_t *env, size_t len)
{
    Jiju__V1__ArchiveRecord r = JIJU__V1__ARCHIVE_RECORD__INIT;

    r.archive_seq = seq;
    r.stream = (char *)"reports";
    r.producer_id = (char *)"ingest-1";
    r.source_seq = seq * 10;
    r.envelope.data = env;
    r.envelope.len = len;
    return r;
}

static uint8_t *registered_env(const char *id, const char *name, size_t *len)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ClusterRegistered cr = JIJU__V1__CLUSTER_REGISTERED__INIT;
    Jiju__V1__Cluster c = JIJU__V1__CLUSTER__INIT;
    uint8_t *buf;

    c.id = (char *)id;
    c.name = (char *)name;
    cr.cluster = &c;
    env.body_case = JIJU__V1__ENVELOPE__BODY_CLUSTER_REGISTERED;
    env.cluster_registered = &cr;
    assert_int_equal(pb_pack(&env.base, &buf, len), JIJU_OK);
    return buf;
}

/* Feed: names, then B rev 1, A rev 2, A rev 1 (late), B of another period. */
static char *run_export(archive_export_format fmt, bool all, size_t *rows)
{
    struct {
        const char *rid, *cl, *period;
        uint32_t rev;
        int64_t fen;
    } in[] = {{"b1", "JL-B", "2023Q1", 1, 250000000},
              {"a2", "JL-A", "2023Q1", 2, 123456789},
              {"a1", "JL-A", "2023Q1", 1, 5000000},
              {"b9", "JL-B", "2023Q2", 1, 1}};
    char *text = NULL;
    size_t tlen = 0, len;
    FILE *out = open_memstream(&text, &tlen);
    archive_export_t *x = archive_export_new(out, fmt, "2023Q1", all);
    uint8_t *env = registered_env("JL-A", "吉林物流园", &len);
    Jiju__V1__ArchiveRecord r = rec_of(1, env, len);

    assert_int_equal(archive_export_add(x, &r), JIJU_OK);
    free(env);
    for (size_t i = 0; i < 4; i++) {
        env = tas_report_env(in[i].rid, in[i].cl, in[i].period, in[i].rev, in[i].fen,
                             1700000000000LL, &len);
        r = rec_of(2 + i, env, len);
        assert_int_equal(archive_export_add(x, &r), JIJU_OK);
        free(env);
    }
    assert_int_equal(archive_export_finish(x, rows), JIJU_OK);
    archive_export_destroy(&x);
    fclose(out);
    return text;
}

static void test_csv_bom_headers_latest_revision(void **state)
{
    size_t rows;
    char err[256];
    char *csv;

    /* times for people are in the jurisdiction's zone (the CLI's default) */
    assert_int_equal(tz_use("Asia/Shanghai", err, sizeof err), 0);
    csv = run_export(ARCHIVE_EXPORT_CSV, false, &rows);
    const char *head =
        "\xEF\xBB\xBF\"集聚区编码\",\"报告期\",\"版本\",\"营业收入(万元)\",\"税收(万元)\","
        "\"入驻企业(户)\",\"吸纳就业(人)\",\"投入(万元)\",\"产值(万元)\"";

    (void)state;
    assert_int_equal(rows, 2);
    assert_memory_equal(csv, head, strlen(head));
    /* JL-A's highest revision (2), exact 万元, named; empty cells when absent */
    assert_non_null(strstr(csv,
                           "\r\n\"JL-A\",\"2023Q1\",\"2\",\"123.456789\",\"12.345678\",\"42\",\"\","
                           "\"\",\"\",\"\",\"\",\"\",\"吉林物流园\",\"a2\""));
    assert_non_null(strstr(csv, "\r\n\"JL-B\",\"2023Q1\",\"1\",\"250.00\",\"25.00\",\"42\""));
    assert_null(strstr(csv, "\"a1\""));
    assert_null(strstr(csv, "\"b9\""));
    assert_true(strstr(csv, "JL-A") < strstr(csv, "JL-B")); /* sorted by cluster */
    /* 1700000000000 ms = 2023-11-14T22:13:20Z, as read in Jilin */
    assert_non_null(strstr(csv, "\"2023-11-15T06:13:20+08:00\""));
    free(csv);
}

static void test_json_lines_all_revisions(void **state)
{
    size_t rows;
    char *text = run_export(ARCHIVE_EXPORT_JSON, true, &rows);
    char *line = text, *nl;
    int n = 0;

    (void)state;
    assert_int_equal(rows, 3);
    while ((nl = strchr(line, '\n')) != NULL) {
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)(nl - line), 0, &err);

        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "period")), "2023Q1");
        assert_true(json_is_null(json_object_get(o, "employment")));
        if (n == 1) { /* fed order: b1, a2, a1 */
            assert_string_equal(json_string_value(json_object_get(o, "report_id")), "a2");
            assert_int_equal(json_integer_value(json_object_get(o, "revenue_fen")), 123456789);
            assert_string_equal(json_string_value(json_object_get(o, "cluster_name")),
                                "吉林物流园");
        }
        json_decref(o);
        n++;
        line = nl + 1;
    }
    assert_int_equal(n, 3);
    free(text);
}

static int cli(int argc, const char **argv)
{
    return cli_archive_main(argc, (char **)argv);
}

/* A stopped archive: a registration and three reports, chained. */
static void make_store(char dir[64])
{
    store_t *s = tas_open_tmp(dir);
    archive_chain_t *c = archive_chain_open(s);
    store_txn_t *t = store_txn_new(s);
    size_t len;
    uint8_t *env = registered_env("JL-A", "吉林物流园", &len);

    archive_chain_append(c, t, "events", "assessment", 1, env, len, NULL);
    free(env);
    for (int i = 0; i < 3; i++) {
        char rid[8];
        snprintf(rid, sizeof rid, "r%d", i);
        env = tas_report_env(rid, i == 2 ? "JL-B" : "JL-A", "2023Q1", (uint32_t)i + 1,
                             1000000LL * (i + 1), 1700000000000LL, &len);
        archive_chain_append(c, t, "reports", "ingest-1", (uint64_t)i + 1, env, len, NULL);
        free(env);
    }
    assert_int_equal(store_txn_commit(t, true), JIJU_OK);
    store_txn_destroy(&t);
    archive_chain_destroy(&c);
    store_close(&s);
}

static void test_cli_offline_export_query_verify(void **state)
{
    char dir[64], out[96], buf[4096] = "";
    FILE *f;
    size_t n;

    (void)state;
    make_store(dir);
    snprintf(out, sizeof out, "%s/out.csv", dir);
    {
        const char *a[] = {"archive", "export", "--period", "2023Q1",
                           "--store", dir,      "--output", out};
        assert_int_equal(cli(8, a), 0);
    }
    f = fopen(out, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_memory_equal(buf, "\xEF\xBB\xBF\"集聚区编码\"", 3 + 17);
    assert_non_null(strstr(buf, "\"JL-A\",\"2023Q1\",\"2\",\"2.00\""));
    assert_non_null(strstr(buf, "\"JL-B\",\"2023Q1\",\"3\",\"3.00\""));
    {
        const char *a[] = {"archive", "verify", "--store", dir};
        assert_int_equal(cli(4, a), 0);
    }
    {
        const char *a[] = {"archive", "query",    "--store",  dir,   "--cluster",
                           "JL-A",    "--newest", "--format", "json"};
        assert_int_equal(cli(9, a), 0);
    }
    {
        const char *a[] = {"archive", "query", "--store", dir, "--limit", "0"};
        assert_int_equal(cli(6, a), 2);
    }
    { /* the store held open read-write, as by a running archive (RocksDB's
       * LOCK taken): verify and query still work, read-only */
        store_t *live = archive_store_open(dir, NULL, 0);
        const char *a[] = {"archive", "verify", "--store", dir};
        const char *q[] = {"archive", "query", "--store", dir, "--cluster", "JL-A"};

        assert_non_null(live);
        assert_int_equal(cli(4, a), 0);
        assert_int_equal(cli(6, q), 0);
        store_close(&live);
    }
    { /* a record changed in RocksDB: verify fails with status 1, also while
       * the store is held open by its writer */
        store_t *s = archive_store_open(dir, NULL, 0);
        store_txn_t *t = store_txn_new(s);
        uint8_t key[8];
        const char *a[] = {"archive", "verify", "--store", dir};

        store_be64_put(key, 3);
        store_txn_put(t, store_cf(s, ARCHIVE_CF_RECORD), key, 8, "\x08\x03", 2);
        assert_int_equal(store_txn_commit(t, true), JIJU_OK);
        store_txn_destroy(&t);
        assert_int_equal(cli(4, a), 1);
        store_close(&s);
        assert_int_equal(cli(4, a), 1);
    }
    { /* no store there: refused with exit status 2, and nothing is created */
        char missing[512], empty[512];
        const char *a[] = {"archive", "verify", "--store", missing};
        const char *b[] = {"archive", "verify", "--store", empty};
        struct stat st;

        snprintf(missing, sizeof missing, "%s/typo", dir);
        assert_int_equal(cli(4, a), 2);
        assert_int_not_equal(stat(missing, &st), 0);
        snprintf(empty, sizeof empty, "%s/empty", dir);
        assert_int_equal(mkdir(empty, 0700), 0);
        assert_int_equal(cli(4, b), 2);
        assert_int_not_equal(stat(strcat(empty, "/CURRENT"), &st), 0);
    }
    tas_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fen_to_wan_is_exact),
        cmocka_unit_test(test_csv_bom_headers_latest_revision),
        cmocka_unit_test(test_json_lines_all_revisions),
        cmocka_unit_test(test_cli_offline_export_query_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
