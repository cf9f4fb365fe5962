/* test_ingest_decode.c - decoding of submissions, hostile bytes included,
 * and the problem list that carries every finding. */
#include "pb.h"
#include "test_ingest_support.h"

static size_t pack_request(const Jiju__V1__Report *r, const char *request_id, uint8_t **buf)
{
    Jiju__V1__SubmitRequest q = JIJU__V1__SUBMIT_REQUEST__INIT;
    size_t n = 0;

    q.request_id = (char *)request_id;
    if (r) {
        q.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
        q.report = (Jiju__V1__Report *)r;
    }
    assert_int_equal(pb_pack(&q.base, buf, &n), JIJU_OK);
    return n;
}

static int decode(fixture *fx, const uint8_t *b, size_t n, Jiju__V1__SubmitRequest **out)
{
    problem_list_free(&fx->p);
    fx->p = problem_list_new();
    assert_non_null(fx->p);
    return ingest_decode(b, n, &fx->lim, out, fx->p);
}

static void test_decode_valid(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    assert_non_null(req);
    assert_int_equal(fx->p->count, 0);
    assert_string_equal(req->report->report_id, "R-2023Q1-001");
    assert_int_equal(req->report->tax_fen, fx->r.tax_fen);
    assert_false(pb_has_unknown_fields(&req->base)); /* so it is not re-packed to check */
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_too_large(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = (void *)1;
    fx->lim.max_message_bytes = n - 1;
    char v[24];
    snprintf(v, sizeof v, "%zu", n);
    expect_error(fx, decode(fx, b, n, &req), "E_TOO_LARGE", "request", v);
    assert_null(req);
    fx->lim.max_message_bytes = n;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_malformed(void **state)
{
    fixture *fx = *state;
    Jiju__V1__SubmitRequest *req = (void *)1;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    expect_error(fx, decode(fx, garbage, sizeof garbage, &req), "E_MALFORMED", "request", "9");
    assert_null(req);
    expect_error(fx, decode(fx, (const uint8_t *)"", 0, &req), "E_MALFORMED", "request", "0");
    assert_null(req);
    expect_error(fx, decode(fx, NULL, 0, &req), "E_MALFORMED", "request", "0");
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    char v[24];
    snprintf(v, sizeof v, "%zu", n - 1);
    expect_error(fx, decode(fx, b, n - 1, &req), "E_MALFORMED", "request", v);
    assert_null(req);
    /* Every prefix: malformed, or (cut just after request_id) empty. */
    for (size_t k = 1; k < n; k++) {
        int rc = decode(fx, b, k, &req);
        assert_int_equal(rc, JIJU_ERR_REJECTED);
        if (req)
            assert_non_null(problem_list_find(fx->p, "E_EMPTY_REQUEST", "request.body"));
        else
            assert_non_null(problem_list_find(fx->p, "E_MALFORMED", "request"));
        jiju__v1__submit_request__free_unpacked(req, NULL);
        req = NULL;
    }
    free(b);
}

/* protobuf-c reads a field number 0 spelt as a two-byte varint (0x80 0x00)
 * as an unknown field, then writes it back as 0x00, which it refuses: ingest
 * would have logged a record nobody can decode (found by fuzz_ingest_submit). */
static void test_decode_refuses_what_does_not_repack(void **state)
{
    fixture *fx = *state;
    Jiju__V1__SubmitRequest *req = (void *)1, *raw;
    /* request_id "r", report { <tag 0 as 0x80 0x00> = varint 3 } */
    static const uint8_t bytes[] = {0x0a, 0x01, 'r', 0x12, 0x03, 0x80, 0x00, 0x03};

    raw = jiju__v1__submit_request__unpack(NULL, sizeof bytes, bytes);
    assert_non_null(raw);                           /* protobuf-c takes it... */
    assert_true(pb_has_unknown_fields(&raw->base)); /* found inside the report */
    assert_int_equal(raw->report->base.n_unknown_fields, 1);
    assert_int_equal(raw->base.n_unknown_fields, 0);
    jiju__v1__submit_request__free_unpacked(raw, NULL);
    expect_error(fx, decode(fx, bytes, sizeof bytes, &req), "E_MALFORMED", "request", "8");
    assert_null(req); /* ...ingest does not */
}

static void test_decode_empty_request(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    size_t n = pack_request(NULL, "q-7", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    expect_error(fx, decode(fx, b, n, &req), "E_EMPTY_REQUEST", "request.body", "");
    assert_non_null(req); /* decoded: the reply can echo request_id */
    assert_string_equal(req->request_id, "q-7");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

static void test_decode_request_id(void **state)
{
    fixture *fx = *state;
    uint8_t *b;
    Jiju__V1__SubmitRequest *req = NULL;
    size_t n = pack_request(&fx->r, "q\xff", &b);
    expect_error(fx, decode(fx, b, n, &req), "E_UTF8", "request_id", "q\\xFF");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
    char *long_id = repeat("q", INGEST_MAX_REQUEST_ID + 1);
    n = pack_request(&fx->r, long_id, &b);
    expect_error(fx, decode(fx, b, n, &req), "E_TOO_LONG", "request_id", "129");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
    free(long_id);
}

/* protobuf-c 1.4.1 unpacks proto3 strings without checking UTF-8: the bytes
 * arrive intact and validation names the field. If a later protobuf-c
 * refuses them at unpack, this test fails and ingest_validate.h must say so. */
static void test_protobuf_c_passes_bad_utf8(void **state)
{
    fixture *fx = *state;
    fx->r.note = "ok\xff";
    uint8_t *b;
    size_t n = pack_request(&fx->r, "q-1", &b);
    Jiju__V1__SubmitRequest *req = NULL;
    assert_int_equal(decode(fx, b, n, &req), JIJU_OK);
    assert_non_null(req);
    assert_string_equal(req->report->note, "ok\xff");
    assert_int_equal(ingest_validate_report(req->report, &fx->view, &fx->lim, NOW, fx->p),
                     JIJU_ERR_REJECTED);
    expect_only(fx, JIJU__V1__SEVERITY__ERROR, "E_UTF8", "report.note", "ok\\xFF");
    jiju__v1__submit_request__free_unpacked(req, NULL);
    free(b);
}

/* Hostile bytes never crash: random buffers and mutations of a valid
 * request, each decoded and, when it decodes, validated. */
static void test_decode_fuzz(void **state)
{
    fixture *fx = *state;
    uint8_t *valid, buf[512];
    size_t n = pack_request(&fx->r, "q-1", &valid);
    assert_true(n <= sizeof buf);
    srand(20231);
    for (int i = 0; i < 20000; i++) {
        size_t len;
        if (i % 2) {
            len = (size_t)rand() % sizeof buf;
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rand();
        } else {
            len = n;
            memcpy(buf, valid, n);
            for (int k = 0; k < 1 + rand() % 4; k++)
                buf[(size_t)rand() % n] = (uint8_t)rand();
        }
        Jiju__V1__SubmitRequest *req = NULL;
        int rc = decode(fx, buf, len, &req);
        assert_true(rc == JIJU_OK || rc == JIJU_ERR_REJECTED);
        assert_true(rc == JIJU_OK ? fx->p->count == 0 : fx->p->count > 0);
        if (req && req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT)
            ingest_validate_report(req->report, &fx->view, &fx->lim, NOW, fx->p);
        else if (req && req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND)
            ingest_validate_command(req->command, &fx->view, fx->p);
        jiju__v1__submit_request__free_unpacked(req, NULL);
    }
    free(valid);
}

/* ---- the problem list ------------------------------------------------- */

static void test_problem_list(void **state)
{
    (void)state;
    problem_list *l = problem_list_new();
    assert_non_null(l);
    for (int i = 0; i < 20; i++) /* past the first growth */
        assert_int_equal(
            problem_add(l, i % 2 ? JIJU__V1__SEVERITY__WARNING : JIJU__V1__SEVERITY__ERROR, "E_X",
                        "f", "v\xff", "值 %d: %s", "value %d: %s", i, "\xfe"),
            JIJU_OK);
    assert_int_equal(l->count, 20);
    assert_int_equal(problem_list_count_errors(l), 10);
    assert_string_equal(l->items[3]->value, "v\\xFF");
    assert_string_equal(l->items[3]->message_zh, "值 3: \\xFE");
    assert_string_equal(l->items[3]->message_en, "value 3: \\xFE");
    assert_int_equal(problem_add(NULL, JIJU__V1__SEVERITY__ERROR, "E", "", "", "x", "x"),
                     JIJU_ERR_INVALID);
    assert_null(problem_list_find(l, "E_NONE", NULL));

    /* Hand the array to a reply, round-trip it, free it the protobuf-c way. */
    Jiju__V1__SubmitReply *reply = malloc(sizeof *reply);
    assert_non_null(reply);
    jiju__v1__submit_reply__init(reply);
    problem_list_take(l, &reply->problems, &reply->n_problems);
    assert_int_equal(l->count, 0);
    assert_int_equal(reply->n_problems, 20);
    uint8_t buf[4096];
    size_t n = jiju__v1__submit_reply__pack(reply, buf);
    Jiju__V1__SubmitReply *back = jiju__v1__submit_reply__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_string_equal(back->problems[19]->message_en, "value 19: \\xFE");
    assert_int_equal(back->problems[19]->severity, JIJU__V1__SEVERITY__WARNING);
    jiju__v1__submit_reply__free_unpacked(back, NULL);
    jiju__v1__submit_reply__free_unpacked(reply, NULL);
    problem_list_free(&l);
    assert_null(l);
    problem_list_free(&l); /* accepts NULL */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_decode_valid),
        T(test_decode_too_large),
        T(test_decode_malformed),
        T(test_decode_refuses_what_does_not_repack),
        T(test_decode_empty_request),
        T(test_decode_request_id),
        T(test_protobuf_c_passes_bad_utf8),
        T(test_decode_fuzz),
        T(test_problem_list),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
