/* ingest_validate_decode.c - a SubmitRequest decoded and its envelope
 * checked (size, protobuf, re-packing, request_id, an empty body). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ingest_validate_int.h"
#include "pb.h"

/* request_id is echoed in the reply, so it follows the replier's rule, in
 * bytes (replier.h), not a length in characters. */
static void check_request_id(ingest_vctx *v, const char *id)
{
    char n[NUM_CAP];

    if (ingest_check_text(v, "request_id", id, SIZE_MAX, 0) != TEXT_OK ||
        strlen(id) <= INGEST_MAX_REQUEST_ID)
        return;
    ingest_vnum(n, (int64_t)strlen(id));
    ingest_vadd(v, SEV_ERROR, "E_TOO_LONG", "request_id", n,
                "request_id 最多 %d 字节, 实际 %s 字节",
                "request_id must be at most %d bytes, got %s", INGEST_MAX_REQUEST_ID, n);
}

/* Does req decode again once packed? protobuf-c keeps fields it does not
 * know and writes them back when ingest re-packs the request for its log,
 * and a few (field number 0 spelt as a two-byte varint) it reads but then
 * writes in a form it refuses: such a request, accepted, would be a record
 * no consumer of the log can decode. Found by tests/fuzz/fuzz_ingest_submit.c.
 * JIJU_OK, JIJU_ERR_CORRUPT, or JIJU_ERR_NOMEM. */
static int repacks(const Jiju__V1__SubmitRequest *req)
{
    Jiju__V1__SubmitRequest *again;
    uint8_t *buf;
    size_t len;

    if (pb_pack(&req->base, &buf, &len) != JIJU_OK)
        return JIJU_ERR_NOMEM;
    again = jiju__v1__submit_request__unpack(NULL, len, buf);
    free(buf);
    if (!again)
        return JIJU_ERR_CORRUPT;
    jiju__v1__submit_request__free_unpacked(again, NULL);
    return JIJU_OK;
}

/* Unpack and check the envelope of a request; NULL when undecodable. */
static Jiju__V1__SubmitRequest *decode(ingest_vctx *v, const uint8_t *bytes, size_t len,
                                       const ingest_limits *lim)
{
    char n[NUM_CAP];
    ingest_vnum(n, (int64_t)len);
    if (len > lim->max_message_bytes) {
        ingest_vadd(v, SEV_ERROR, "E_TOO_LARGE", "request", n,
                    "请求大小 %s 字节, 超过上限 %zu 字节",
                    "request is %s bytes, more than the limit of %zu", n, lim->max_message_bytes);
        return NULL;
    }
    /* protobuf-c decodes zero bytes as an all-default message; no client
     * sends that on purpose. */
    Jiju__V1__SubmitRequest *req =
        len && bytes ? jiju__v1__submit_request__unpack(NULL, len, bytes) : NULL;
    if (!req) {
        ingest_vadd(v, SEV_ERROR, "E_MALFORMED", "request", n,
                    "%s 字节不是有效的 jiju.v1.SubmitRequest 消息",
                    "%s bytes are not a valid jiju.v1.SubmitRequest", n);
        return NULL;
    }
    /* only unknown fields can fail to decode once re-packed: most requests
     * have none and skip the encode and decode */
    int rc = pb_has_unknown_fields(&req->base) ? repacks(req) : JIJU_OK;
    if (rc != JIJU_OK) {
        if (rc == JIJU_ERR_NOMEM)
            v->err = JIJU_ERR_NOMEM;
        else
            ingest_vadd(v, SEV_ERROR, "E_MALFORMED", "request", n,
                        "%s 字节可以解码, 但重新编码后无法再解码 (含非规范编码的未知字段)",
                        "%s bytes decode, but not once encoded again (an unknown field in a "
                        "non-canonical encoding)",
                        n);
        jiju__v1__submit_request__free_unpacked(req, NULL);
        return NULL;
    }
    check_request_id(v, req->request_id);
    if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY__NOT_SET ||
        (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT && !req->report) ||
        (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND && !req->command))
        ingest_empty_request(v, "request.body");
    return req;
}

int ingest_decode(const uint8_t *bytes, size_t len, const ingest_limits *lim,
                  Jiju__V1__SubmitRequest **out, problem_list *p)
{
    if (!out || !p)
        return JIJU_ERR_INVALID;
    ingest_limits defaults = ingest_limits_default();
    ingest_vctx v = {p, NULL, JIJU_OK};
    size_t errors_before = problem_list_count_errors(p);
    *out = NULL;
    Jiju__V1__SubmitRequest *req = decode(&v, bytes, len, lim ? lim : &defaults);
    int rc = ingest_vfinish(&v, errors_before);
    if (req && rc == JIJU_ERR_NOMEM)
        jiju__v1__submit_request__free_unpacked(req, NULL);
    else
        *out = req;
    return rc;
}
