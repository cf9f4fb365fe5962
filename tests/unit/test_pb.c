/* test_pb.c - pb.c: a message packed into a buffer of its own (an empty
 * one too), and pb_copy: a heap copy through the message's own descriptor
 * that equals the original and shares nothing with what it pointed into
 * (ASan checks the freeing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_empty),
        cmocka_unit_test(test_copy_owns_everything),
        cmocka_unit_test(test_copy_of_copy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
