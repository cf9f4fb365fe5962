/* fuzz_cli_json.c - the JSON files reporters write for `jiju submit`:
 * cli_json_parse_requests on any text (jansson parses; the conversion to
 * SubmitRequests, money in 万元 and enum names are Jiju's own).
 *
 * Promises checked on every input, beyond not crashing:
 *   - JIJU_OK gives at least one request, each with a request id and a body;
 *     JIJU_ERR_INVALID gives a reason (and nothing to free);
 *   - every request it makes packs into bytes that ingest decodes: what the
 *     CLI accepts, the wire carries. */
#include <string.h>

#include "cli_json.h"
#include "err.h"
#include "fuzz.h"
#include "ingest_validate.h"
#include "pb.h"
#include "problem.h"

static void check_wire(const Jiju__V1__SubmitRequest *req)
{
    ingest_limits lim = ingest_limits_default();
    Jiju__V1__SubmitRequest *back = NULL;
    problem_list *p = problem_list_new();
    uint8_t *buf = NULL;
    size_t len = 0;

    if (p && pb_pack(&req->base, &buf, &len) == JIJU_OK) {
        int rc;

        lim.max_message_bytes = len + 1; /* the size limit is not what is tested here */
        rc = ingest_decode(buf, len, &lim, &back, p);
        /* E_UTF8 and E_TOO_LONG on request_id are ingest's to refuse: text
         * the CLI took from a file is passed on as written */
        FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_NOMEM ||
                   (rc == JIJU_ERR_REJECTED && back && !problem_list_find(p, "E_MALFORMED", NULL)));
    }
    if (back)
        jiju__v1__submit_request__free_unpacked(back, NULL);
    problem_list_free(&p);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Jiju__V1__SubmitRequest **reqs = NULL;
    pbjson_error err;
    size_t n = 0;
    int rc;

    memset(&err, 0, sizeof err);
    rc = cli_json_parse_requests((const char *)data, size, &reqs, &n, &err);
    FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_INVALID || rc == JIJU_ERR_NOMEM);
    if (rc == JIJU_ERR_INVALID)
        FUZZ_CHECK(err.reason[0] != '\0');
    if (rc != JIJU_OK)
        return 0;
    FUZZ_CHECK(n >= 1 && reqs);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(reqs[i]->request_id && reqs[i]->request_id[0]);
        FUZZ_CHECK(reqs[i]->body_case != JIJU__V1__SUBMIT_REQUEST__BODY__NOT_SET);
        check_wire(reqs[i]);
    }
    cli_json_requests_free(&reqs, n);
    return 0;
}
