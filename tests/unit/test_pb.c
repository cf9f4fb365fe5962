/* test_pb.c - pb.c: a message packed into a buffer of its own (an empty
 * one too), and pb_copy: a heap copy through the message's own descriptor
 * that equals the original and shares nothing with what it pointed into
 * (ASan checks the freeing), and pb_strip_field against protobuf-c's pack
 * of the message without the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "jiju/v1/envelope.pb-c.h"
#include "jiju/v1/subscription.pb-c.h"
#include "pb.h"

/* Equal messages pack to equal bytes (the same fields in the same order). */
static void assert_same_bytes(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    uint8_t *pa, *pb;
    size_t la, lb;

    assert_int_equal(pb_pack(a, &pa, &la), 0);
    assert_int_equal(pb_pack(b, &pb, &lb), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
}

static void test_pack_empty(void **state)
{
    Jiju__V1__Filter f = JIJU__V1__FILTER__INIT;
    uint8_t *buf = NULL;
    size_t len = 99;

    (void)state;
    assert_int_equal(pb_pack(&f.base, &buf, &len), 0);
    assert_non_null(buf); /* freeable, though nothing is in it */
    assert_int_equal(len, 0);
    free(buf);
}

/* A subscription built on the stack from buffers that are then scribbled
 * over (as notify_seed's points into a JSON document that is freed): the
 * copy keeps every field, repeated and nested, as it was. */
static void test_copy_owns_everything(void **state)
{
    char id[] = "dept-a", desc[] = "县区 A", county[] = "海淀区", url[] = "https://a.example/hook";
    char *counties[] = {county};
    Jiju__V1__Filter f = JIJU__V1__FILTER__INIT, *fp = &f;
    Jiju__V1__Webhook w = JIJU__V1__WEBHOOK__INIT;
    Jiju__V1__Subscription s = JIJU__V1__SUBSCRIPTION__INIT, *copy;

    (void)state;
    f.counties = counties;
    f.n_counties = 1;
    w.url = url;
    s.id = id;
    s.description = desc;
    s.filters = &fp;
    s.n_filters = 1;
    s.webhook = &w;
    copy = (Jiju__V1__Subscription *)pb_copy(&s.base);
    assert_non_null(copy);
    assert_ptr_equal(copy->base.descriptor, &jiju__v1__subscription__descriptor);
    assert_same_bytes(&s.base, &copy->base);
    memset(id, 'x', sizeof id - 1);
    memset(county, 'x', sizeof county - 1);
    memset(url, 'x', sizeof url - 1);
    assert_string_equal(copy->id, "dept-a");
    assert_string_equal(copy->description, "县区 A");
    assert_int_equal(copy->n_filters, 1);
    assert_int_equal(copy->filters[0]->n_counties, 1);
    assert_string_equal(copy->filters[0]->counties[0], "海淀区");
    assert_non_null(copy->webhook);
    assert_string_equal(copy->webhook->url, "https://a.example/hook");
    protobuf_c_message_free_unpacked(&copy->base, NULL);
}

/* Any message type: the copy of a copy is the same again. */
static void test_copy_of_copy(void **state)
{
    Jiju__V1__Filter f = JIJU__V1__FILTER__INIT;
    char *counties[] = {(char *)"朝阳区", (char *)"东城区"};
    ProtobufCMessage *a, *b;

    (void)state;
    f.counties = counties;
    f.n_counties = 2;
    assert_non_null(a = pb_copy(&f.base));
    assert_non_null(b = pb_copy(a));
    assert_ptr_equal(b->descriptor, &jiju__v1__filter__descriptor);
    assert_same_bytes(&f.base, b);
    protobuf_c_message_free_unpacked(a, NULL);
    protobuf_c_message_free_unpacked(b, NULL);
}

/* Cutting Envelope.seq out of the bytes gives protobuf-c's pack of the
 * envelope with seq 0, for seqs of every width, with a body whose own
 * field 6 stays; other wire types pass whole; malformed input is refused. */
static void test_strip_field(void **state)
{
    const uint64_t seqs[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report rep = JIJU__V1__REPORT__INIT;
    uint8_t in[512], want[512], out[512];
    size_t n, wn, on;

    (void)state;
    env.id = "assessment/7";
    env.source = "/jiju/assessment";
    env.type = "jiju.v1.ReportAccepted";
    env.time_ms = 1764672000123;
    env.period = "2026-11";
    rep.report_id = "r-1";
    rep.note = "nested field 6, kept";
    ra.report = &rep;
    ra.ingest_instance = "ingest-1";
    ra.ingest_seq = 99;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        env.seq = seqs[i];
        assert_true(jiju__v1__envelope__get_packed_size(&env) <= sizeof in);
        n = jiju__v1__envelope__pack(&env, in);
        env.seq = 0;
        wn = jiju__v1__envelope__pack(&env, want);
        assert_int_equal(pb_strip_field(in, n, 6, out, &on), JIJU_OK);
        assert_int_equal(on, wn);
        assert_memory_equal(out, want, wn);
    }
    /* fixed64 (1), a seq (6, varint), fixed32 (5): only the seq goes */
    {
        const uint8_t mixed[] = {0x09, 1,    2,    3, 4,  5,  6,  7,    8,   0x30,
                                 0x96, 0x01, 0x15, 9, 10, 11, 12, 0x30, 0x00};
        const uint8_t kept[] = {0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 9, 10, 11, 12};
        assert_int_equal(pb_strip_field(mixed, sizeof mixed, 6, out, &on), JIJU_OK);
        assert_int_equal(on, sizeof kept);
        assert_memory_equal(out, kept, sizeof kept);
    }
    {
        const uint8_t cut_len[] = {0x12, 0x05, 'a'}, tag0[] = {0x00, 0x01}, group[] = {0x0b},
                      cut_varint[] = {0x30, 0x80}, cut_fixed[] = {0x0d, 1, 2},
                      long_varint[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
        assert_int_equal(pb_strip_field(cut_len, sizeof cut_len, 6, out, &on), JIJU_ERR_CORRUPT);
        assert_int_equal(pb_strip_field(tag0, sizeof tag0, 6, out, &on), JIJU_ERR_CORRUPT);
        assert_int_equal(pb_strip_field(group, sizeof group, 6, out, &on), JIJU_ERR_CORRUPT);
        assert_int_equal(pb_strip_field(cut_varint, sizeof cut_varint, 6, out, &on),
                         JIJU_ERR_CORRUPT);
        assert_int_equal(pb_strip_field(cut_fixed, sizeof cut_fixed, 6, out, &on),
                         JIJU_ERR_CORRUPT);
        assert_int_equal(pb_strip_field(long_varint, sizeof long_varint, 6, out, &on),
                         JIJU_ERR_CORRUPT);
    }
    assert_int_equal(pb_strip_field(in, 0, 6, out, &on), JIJU_OK);
    assert_int_equal(on, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_empty),
        cmocka_unit_test(test_copy_owns_everything),
        cmocka_unit_test(test_copy_of_copy),
        cmocka_unit_test(test_strip_field),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
