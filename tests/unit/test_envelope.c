/* test_envelope.c - the body of an envelope and the one resolver of event
 * type names (common/envelope.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "envelope.h"
#include "jiju/v1/events.pb-c.h"

static void test_type_full(void **state)
{
    (void)state;
    assert_string_equal(envelope_type_full("AwardGranted"), "jiju.v1.AwardGranted");
    assert_string_equal(envelope_type_full("jiju.v1.AwardGranted"), "jiju.v1.AwardGranted");
    assert_string_equal(envelope_type_full("jiju.v1.EventsDropped"), "jiju.v1.EventsDropped");
    assert_string_equal(envelope_type_full("Command"), "jiju.v1.Command");
    assert_null(envelope_type_full("Award"));
    assert_null(envelope_type_full("awardgranted"));    /* type names are case-sensitive */
    assert_null(envelope_type_full("jiju.v1.Cluster")); /* a message, not an event body */
    assert_null(envelope_type_full("v1.AwardGranted"));
    assert_null(envelope_type_full(""));
    assert_null(envelope_type_full(NULL));
}

static void test_body_and_type(void **state)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__AwardGranted ag = JIJU__V1__AWARD_GRANTED__INIT;

    (void)state;
    assert_null(envelope_body(&env));
    assert_string_equal(envelope_type(&env), "");
    env.body_case = JIJU__V1__ENVELOPE__BODY_AWARD_GRANTED;
    assert_null(envelope_body(&env)); /* case set, member NULL */
    env.award_granted = &ag;
    assert_ptr_equal(envelope_body(&env), &ag.base);
    assert_string_equal(envelope_type(&env), "jiju.v1.AwardGranted");
    assert_null(envelope_body(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_full),
        cmocka_unit_test(test_body_and_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
