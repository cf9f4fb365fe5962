/* cli_query.c - a question to assessment's query endpoint
 * (proto/jiju/v1/query.proto), with failover over the endpoints given and
 * every page of a paged answer (common/query_pages). */
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "cli.h"
#include "err.h"
#include "pb.h"
#include "query_pages.h"
#include "rpc.h"

/* One page: pack, call with failover, unpack. */
static int query_call(void *arg, const Jiju__V1__QueryRequest *req, Jiju__V1__QueryReply **out)
{
    uint8_t *buf = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    int rc = pb_pack(&req->base, &buf, &len);

    if (rc == JIJU_OK)
        rc = rpc_call(arg, buf, len, &reply, &rlen);
    if (rc == JIJU_OK && !(*out = jiju__v1__query_reply__unpack(NULL, rlen, reply)))
        rc = JIJU_ERR_CORRUPT;
    free(reply);
    free(buf);
    return rc;
}

/* Ask the query endpoints, every page of a paged answer (query_pages.h);
 * NULL (reported on stderr) if no answer or !ok. Caller frees with
 * jiju__v1__query_reply__free_unpacked. */
Jiju__V1__QueryReply *cli_query(const cli_endpoints *eps, Jiju__V1__QueryRequest *req,
                                int timeout_ms, int quiet)
{
    void *z = zmq_ctx_new();
    int per_try = timeout_ms / (int)(2 * eps->n) > 0 ? timeout_ms / (int)(2 * eps->n) : 1;
    rpc_t *r = z ? rpc_new(z, (const char *const *)eps->list, eps->n, per_try) : NULL;
    Jiju__V1__QueryReply *rep = NULL;
    int rc = JIJU_ERR_NOMEM;

    if (r && cli_curve_rpc(r, CLI_KEY_ASSESSMENT) != 0)
        rc = JIJU_ERR_CONFIG;
    else if (r)
        rc = query_all(query_call, r, req, &rep);
    if (!quiet && rc != JIJU_OK)
        fprintf(stderr, "jiju: no answer from %s: %s\n", eps->list[0], jiju_err_str(rc));
    if (rep && !rep->ok) {
        if (!quiet)
            fprintf(stderr, "jiju: %s refused the query: %s\n", rep->instance, rep->error);
        jiju__v1__query_reply__free_unpacked(rep, NULL);
        rep = NULL;
    }
    rpc_destroy(&r);
    if (z)
        zmq_ctx_term(z);
    return rep;
}
