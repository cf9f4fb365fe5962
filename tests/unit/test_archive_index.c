/* test_archive_index.c - the fields the archive's indexes take from a
 * record (archive_fields_from_envelope, through archive_index_view.proto):
 * the same as the contract's whole Envelope gives, for every kind of
 * record the archive gets. */
/* cmocka.h needs these three first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_index.h"
#include "envelope.h"
#include "err.h"
#include "jiju/v1/envelope.pb-c.h"

#define T0 1700000000000LL

/* The fields as the whole contract Envelope gives them (what
 * archive_fields_from_envelope did before it read a view). */
static int whole_fields(const uint8_t *data, size_t len, archive_fields *out)
{
    Jiju__V1__Envelope *env = jiju__v1__envelope__unpack(NULL, len, data);
    const Jiju__V1__Report *rep = NULL;

    memset(out, 0, sizeof *out);
    if (!env)
        return JIJU_ERR_CORRUPT;
    if (env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED)
        rep = env->report_accepted->report;
    if (env->body_case == JIJU__V1__ENVELOPE__BODY_REPORT_REJECTED)
        rep = env->report_rejected->report;
    snprintf(out->cluster, sizeof out->cluster, "%s", env->subject);
    snprintf(out->period, sizeof out->period, "%s", env->period);
    snprintf(out->type, sizeof out->type, "%s", env->type[0] ? env->type : envelope_type(env));
    if (rep) {
        snprintf(out->report_id, sizeof out->report_id, "%s", rep->report_id);
        if (!out->cluster[0])
            snprintf(out->cluster, sizeof out->cluster, "%s", rep->cluster_id);
        if (!out->period[0])
            snprintf(out->period, sizeof out->period, "%s", rep->period);
    }
    out->time_ms = env->time_ms;
    out->has_time = true;
    jiju__v1__envelope__free_unpacked(env, NULL);
    return JIJU_OK;
}

static void expect_fields_as_whole(const Jiju__V1__Envelope *env)
{
    uint8_t *buf = malloc(jiju__v1__envelope__get_packed_size(env) + 1);
    size_t len = jiju__v1__envelope__pack(env, buf);
    archive_fields got, want;

    assert_int_equal(archive_fields_from_envelope(buf, len, &got), whole_fields(buf, len, &want));
    assert_string_equal(got.cluster, want.cluster);
    assert_string_equal(got.period, want.period);
    assert_string_equal(got.type, want.type);
    assert_string_equal(got.report_id, want.report_id);
    assert_int_equal(got.time_ms, want.time_ms);
    assert_int_equal(got.has_time, want.has_time);
    free(buf);
}

/* The indexes read a record through a view of the envelope
 * (archive_index_view.proto): the same fields as the whole Envelope for
 * every kind of record the archive gets. */
static void test_index_fields_as_whole_envelope(void **state)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__ReportRejected rj = JIJU__V1__REPORT_REJECTED__INIT;
    Jiju__V1__Report rep = JIJU__V1__REPORT__INIT;
    Jiju__V1__RankingUpdated ru = JIJU__V1__RANKING_UPDATED__INIT;
    Jiju__V1__RankEntry e[3], *ep[3];
    Jiju__V1__Command cmd = JIJU__V1__COMMAND__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;
    archive_fields f;
    const uint8_t garbage[] = {0x1a, 0x05, 'a', 'b'}; /* a string cut short */

    (void)state;
    rep.report_id = "R-1";
    rep.cluster_id = "C7";
    rep.period = "2023Q2";
    rep.revision = 2;
    ra.report = &rep;
    ra.ingest_instance = "ingest-1";
    /* assessment's event: every attribute set */
    env.type = "jiju.v1.ReportAccepted";
    env.subject = "C7";
    env.period = "2023Q2";
    env.county = "船营区";
    env.time_ms = T0;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    expect_fields_as_whole(&env);
    /* ingest's input: the routing attributes empty, taken from the report */
    env.subject = "";
    env.period = "";
    expect_fields_as_whole(&env);
    /* no type: the body's (read whole) */
    env.type = "";
    expect_fields_as_whole(&env);
    /* a rejected report */
    rj.report = &rep;
    env.type = "jiju.v1.ReportRejected";
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_REJECTED;
    env.report_rejected = &rj;
    expect_fields_as_whole(&env);
    /* a ranking: its entries never decoded, the same fields */
    for (int i = 0; i < 3; i++) {
        jiju__v1__rank_entry__init(&e[i]);
        e[i].cluster_id = i ? "C2" : "C1";
        e[i].rank = (uint32_t)i + 1;
        ep[i] = &e[i];
    }
    ru.period = "2023Q2";
    ru.entries = ep;
    ru.n_entries = 3;
    env.type = "jiju.v1.RankingUpdated";
    env.subject = "";
    env.period = "2023Q2";
    env.body_case = JIJU__V1__ENVELOPE__BODY_RANKING_UPDATED;
    env.ranking_updated = &ru;
    expect_fields_as_whole(&env);
    env.type = "";
    expect_fields_as_whole(&env);
    /* a command from ingest */
    cp.period = "2023";
    cmd.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
    cmd.close_period = &cp;
    env.type = "jiju.v1.Command";
    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = &cmd;
    expect_fields_as_whole(&env);
    /* undecodable: nothing to index */
    assert_int_equal(archive_fields_from_envelope(garbage, sizeof garbage, &f), JIJU_ERR_CORRUPT);
    assert_string_equal(f.type, "");
    assert_false(f.has_time);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_fields_as_whole_envelope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
