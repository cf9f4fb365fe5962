/* fuzz_ingest_submit.c - the bytes a reporter sends to ingest: one
 * SubmitRequest frame through ingest_decode and then ingest_validate_report
 * or ingest_validate_command, with a registry replica faked in memory.
 *
 * Promises checked on every input, beyond not crashing:
 *   - decode and validation answer only JIJU_OK, JIJU_ERR_REJECTED or
 *     JIJU_ERR_NOMEM, and JIJU_ERR_REJECTED always with an ERROR problem,
 *     JIJU_OK never with one;
 *   - every problem names its code (E_... as ERROR, W_... as WARNING), its
 *     field, and a message in Chinese and in English;
 *   - a request that decodes re-packs into bytes that decode again: ingest
 *     logs the re-packed structure, never the raw bytes. */
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "ingest_validate.h"
#include "../unit/ingest_sample.h"
#include "pb.h"
#include "problem.h"

/* ---- a registry replica in memory ---- */

static int fake_status(void *arg, const char *id, Jiju__V1__ClusterStatus *out)
{
    (void)arg;
    if (strncmp(id, "JL-", 3) != 0)
        return JIJU_ERR_NOT_FOUND;
    *out = strncmp(id, "JL-X", 4) == 0 ? JIJU__V1__CLUSTER_STATUS__ELIMINATED
                                       : JIJU__V1__CLUSTER_STATUS__ACTIVE;
    return JIJU_OK;
}

static int fake_same(void *arg, const Jiju__V1__Cluster *c)
{
    (void)arg;
    return c->id && strcmp(c->id, "JL-WL-001") == 0;
}

static int fake_closed(void *arg, const char *period)
{
    (void)arg;
    return strncmp(period, "2020", 4) == 0;
}

static uint32_t fake_last(void *arg, const char *cluster_id, const char *period)
{
    (void)arg;
    (void)period;
    return strcmp(cluster_id, "JL-WL-001") == 0 ? 1 : 0;
}

static int fake_previous(void *arg, const char *cluster_id, const char *period, int64_t *fen)
{
    (void)arg;
    (void)period;
    if (strncmp(cluster_id, "JL-", 3) != 0)
        return JIJU_ERR_NOT_FOUND;
    *fen = INT64_C(100000000);
    return JIJU_OK;
}

static const ingest_view VIEW = {NULL,        fake_status, fake_same,
                                 fake_closed, fake_last,   fake_previous};

/* 2024-01-01T00:00:00Z: 2023 is past, 2025 is in the future. */
#define NOW_MS INT64_C(1704067200000)

static void check_problems(const problem_list *p)
{
    for (size_t i = 0; i < p->count; i++) {
        const Jiju__V1__Problem *x = p->items[i];
        bool error = x->severity == JIJU__V1__SEVERITY__ERROR;

        FUZZ_CHECK(x->code && strlen(x->code) > 2);
        FUZZ_CHECK(strncmp(x->code, error ? "E_" : "W_", 2) == 0);
        FUZZ_CHECK(x->field && x->field[0]);
        FUZZ_CHECK(x->value);
        FUZZ_CHECK(x->message_zh && x->message_zh[0] && x->message_en && x->message_en[0]);
    }
}

static void check_outcome(int rc, const problem_list *p)
{
    FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_REJECTED || rc == JIJU_ERR_NOMEM);
    if (rc == JIJU_OK)
        FUZZ_CHECK(problem_list_count_errors(p) == 0);
    if (rc == JIJU_ERR_REJECTED)
        FUZZ_CHECK(problem_list_count_errors(p) > 0);
    check_problems(p);
}

/* What ingest logs decodes again. */
static void check_repack(const Jiju__V1__SubmitRequest *req, const ingest_limits *lim)
{
    Jiju__V1__SubmitRequest *again = NULL;
    problem_list *p = problem_list_new();
    uint8_t *buf = NULL;
    size_t len = 0;

    if (p && pb_pack(&req->base, &buf, &len) == JIJU_OK) {
        /* the re-packed form may only grow past the limit by re-encoding */
        if (len <= lim->max_message_bytes) {
            int rc = ingest_decode(buf, len, lim, &again, p);
            FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_NOMEM);
            FUZZ_CHECK(rc != JIJU_OK || again->body_case == req->body_case);
        }
    }
    if (again)
        jiju__v1__submit_request__free_unpacked(again, NULL);
    problem_list_free(&p);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ingest_limits lim = ingest_limits_default();
    problem_list *p = problem_list_new();
    Jiju__V1__SubmitRequest *req = NULL;
    int rc;

    if (!p)
        return 0;
    rc = ingest_decode(data, size, &lim, &req, p);
    check_outcome(rc, p);
    if (rc == JIJU_OK) {
        FUZZ_CHECK(req && req->body_case != JIJU__V1__SUBMIT_REQUEST__BODY__NOT_SET);
        FUZZ_CHECK(p->count == 0);
        check_repack(req, &lim);
        if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT)
            rc = ingest_validate_report(req->report, &VIEW, &lim, NOW_MS, p);
        else if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND)
            rc = ingest_validate_command(req->command, &VIEW, p);
        check_outcome(rc, p);
    }
    if (req)
        jiju__v1__submit_request__free_unpacked(req, NULL);
    problem_list_free(&p);
    return 0;
}

/* ---- seeds: one valid request of each kind ---- */

#define N_SEEDS 4
static uint8_t *seed_buf[N_SEEDS];
static size_t seed_len[N_SEEDS];

static void seed_pack(int i, const Jiju__V1__SubmitRequest *req)
{
    seed_len[i] = 0;
    if (pb_pack(&req->base, &seed_buf[i], &seed_len[i]) != JIJU_OK)
        seed_buf[i] = NULL;
}

static void seed_command(int i, const char *request_id, Jiju__V1__Command *c)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;

    req.request_id = (char *)request_id;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = c;
    seed_pack(i, &req);
}

static void seed_report(int i)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Report r;

    valid_report(&r);
    r.revision = 2; /* above the faked index's 1 */
    req.request_id = "req-1";
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    req.report = &r;
    seed_pack(i, &req);
}

static void seed_register(int i)
{
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster reg = JIJU__V1__REGISTER_CLUSTER__INIT;
    Jiju__V1__Cluster cl = JIJU__V1__CLUSTER__INIT;
    char *industries[] = {"农产品批发", "冷链物流"};

    cl.id = "JL-SC-002";
    cl.name = "东北亚农产品交易集聚区";
    cl.category = JIJU__V1__CATEGORY__PRODUCT_MARKET;
    cl.county = "船营区";
    cl.leading_industries = industries;
    cl.n_leading_industries = 2;
    reg.cluster = &cl;
    c.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    c.register_cluster = &reg;
    seed_command(i, "req-2", &c);
}

static void seed_close(int i)
{
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__ClosePeriod cp = JIJU__V1__CLOSE_PERIOD__INIT;

    cp.period = "2023";
    c.kind_case = JIJU__V1__COMMAND__KIND_CLOSE_PERIOD;
    c.close_period = &cp;
    seed_command(i, "req-3", &c);
}

static void seed_weights(int i)
{
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__SetIndicatorSystem s = JIJU__V1__SET_INDICATOR_SYSTEM__INIT;
    Jiju__V1__IndicatorWeight w[3] = {JIJU__V1__INDICATOR_WEIGHT__INIT,
                                      JIJU__V1__INDICATOR_WEIGHT__INIT,
                                      JIJU__V1__INDICATOR_WEIGHT__INIT};
    Jiju__V1__IndicatorWeight *ws[3] = {&w[0], &w[1], &w[2]};

    w[0].indicator = "revenue", w[0].weight = 50;
    w[1].indicator = "tax", w[1].weight = 30;
    w[2].indicator = "employment", w[2].weight = 20;
    s.weights = ws;
    s.n_weights = 3;
    s.normalisation = "z_score";
    c.kind_case = JIJU__V1__COMMAND__KIND_SET_INDICATOR_SYSTEM;
    c.set_indicator_system = &s;
    seed_command(i, "req-4", &c);
}

size_t fuzz_seeds(const uint8_t ***data, const size_t **lens)
{
    if (!seed_buf[0]) {
        seed_report(0);
        seed_register(1);
        seed_close(2);
        seed_weights(3);
    }
    *data = (const uint8_t **)seed_buf;
    *lens = seed_len;
    return N_SEEDS;
}
