/* ingest_submit.c - SubmitRequest in, SubmitReply out, with group commit:
 * every request read in one loop turn is validated into ONE txn, the txn is
 * committed with fsync once, and only then are the replies sent (a Ping's
 * at once: it needs no commit). ACCEPTED therefore always means "on disk",
 * at the cost of one fsync per batch instead of one per report. */
#include "ingest_submit.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "ingest_authz.h"
#include "log.h"
#include "metrics.h"
#include "pb.h"
#include "problem.h"
#include "replier.h"
#include "service.h"
#include "report_digest.h"
#include "zap.h"

typedef struct pending_reply {
    replier_route route; /* answered after the batch's fsync */
    Jiju__V1__SubmitReply reply;
    char request_id[INGEST_MAX_REQUEST_ID + 1];
    char seq_instance[64]; /* whose log seq is in ("" until known) */
    const char *kind;      /* report, command, malformed, forbidden (metrics) */
    int answered;          /* sent already (a Ping is answered as it is read) */
} pending_reply;

struct ingest_submit {
    svc_t *svc;
    replier_t *replier;
    store_t *store;
    int unavailable; /* this drain is refused: the disk is short of space */
    uint64_t refused_full;
    ingest_state_t *state;
    stream_log_t *log;
    store_txn_t *txn;
    const ingest_config *cfg;
    ingest_limits limits;
    pending_reply *batch;
    size_t n_batch;
    uint64_t accepted, rejected, duplicates;
    struct {
        uint64_t accepted, rejected, duplicates;
    } logged; /* the totals at the last batch line */
};

static void reply_set_problems(pending_reply *pr, problem_list *pl)
{
    problem_list_take(pl, &pr->reply.problems, &pr->reply.n_problems);
}

/* One line per refused request at info: what, which, and the first problem
 * code (nowhere else on the server says why a request was refused). An
 * accepted or duplicate request is a debug line only: its batch's info line
 * counts it (on_drained), its record is in the log with its seq, and
 * jiju_ingest_requests_total counts it by kind and status; at info a line
 * per accepted report was about a tenth of ingest's CPU per report. */
static const char *const status_names[] = {"unspecified", "accepted", "duplicate", "conflict",
                                           "rejected",    "pong",     "valid",     "unavailable"};
#define N_STATUS (sizeof status_names / sizeof status_names[0])

static void log_outcome(const pending_reply *pr, const char *what, const char *id)
{
    const char *status = pr->reply.status < N_STATUS ? status_names[pr->reply.status] : "?";

    if (strcmp(what, "malformed") == 0) { /* anyone can send these at will */
        log_limited(LOG_INFO, "submit", "kind=malformed id=- status=rejected first=%s",
                    pr->reply.n_problems ? pr->reply.problems[0]->code : "-");
        return;
    }
    if (pr->reply.status == JIJU__V1__SUBMIT_STATUS__ACCEPTED ||
        pr->reply.status == JIJU__V1__SUBMIT_STATUS__DUPLICATE)
        log_debug("submit", "kind=%s id=%s status=%s seq=%llu warnings=%zu", what, id, status,
                  (unsigned long long)pr->reply.seq, pr->reply.n_problems);
    else
        log_info("submit", "kind=%s id=%s status=%s problems=%zu first=%s field=%s", what, id,
                 status, pr->reply.n_problems,
                 pr->reply.n_problems ? pr->reply.problems[0]->code : "-",
                 pr->reply.n_problems ? pr->reply.problems[0]->field : "-");
}

static void reject(pending_reply *pr, Jiju__V1__SubmitStatus status, problem_list *pl)
{
    pr->reply.status = status;
    reply_set_problems(pr, pl);
}

/* Log the accepted report or command in the outbox (the "reports" log that
 * assessment and archive consume), and index it. */
static int accept_report(ingest_submit_t *is, pending_reply *pr, Jiju__V1__Report *r,
                         const uint8_t digest[32], problem_list *pl)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    uint64_t seq = stream_log_next(is->log);
    int rc;

    ra.report = r;
    ra.ingest_instance = (char *)is->cfg->shared.instance;
    ra.ingest_seq = seq;
    problem_list_take(pl, &ra.warnings, &ra.n_warnings);
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    env.subject = r->cluster_id;
    env.period = r->period;
    rc = envelope_append(is->log, is->txn, is->cfg->shared.instance, &env, &seq);
    if (rc == JIJU_OK)
        rc = ingest_state_accept_report(is->state, is->txn, r, seq, digest);
    pr->reply.status = JIJU__V1__SUBMIT_STATUS__ACCEPTED;
    pr->reply.seq = seq;
    /* the warnings travel with the report and are echoed to the reporter */
    pr->reply.problems = ra.warnings;
    pr->reply.n_problems = ra.n_warnings;
    return rc;
}

static void handle_report(ingest_submit_t *is, pending_reply *pr, Jiju__V1__Report *r,
                          int validate_only, problem_list *pl)
{
    ingest_view view = ingest_state_view(is->state, is->txn);
    uint8_t digest[32];
    ingest_known_report known;
    int rc;

    if (r->report_id && *r->report_id && r->cluster_id &&
        ingest_state_find_report(is->state, is->txn, r->cluster_id, r->report_id, &known) ==
            JIJU_OK) {
        report_digest(r, digest);
        if (memcmp(digest, known.digest, 32) == 0) {
            pr->reply.status = JIJU__V1__SUBMIT_STATUS__DUPLICATE;
            pr->reply.seq = known.seq;
            snprintf(pr->seq_instance, sizeof pr->seq_instance, "%s",
                     known.instance[0] ? known.instance : is->cfg->shared.instance);
            is->duplicates++;
            return;
        }
        problem_add(pl, JIJU__V1__SEVERITY__ERROR, "E_CONFLICT", "report.report_id", r->report_id,
                    "集聚区 %s 的报告编号 %s 已以不同内容提交",
                    "cluster %s: report id %s was already accepted with different content",
                    r->cluster_id, r->report_id);
        reject(pr, JIJU__V1__SUBMIT_STATUS__CONFLICT, pl);
        is->rejected++;
        return;
    }
    ingest_validate_report(r, &view, &is->limits, clock_now_ms(), pl);
    if (problem_list_count_errors(pl) > 0) {
        reject(pr, JIJU__V1__SUBMIT_STATUS__REJECTED, pl);
        is->rejected++;
        return;
    }
    if (validate_only) { /* a dry run: the same rules, nothing written */
        reject(pr, JIJU__V1__SUBMIT_STATUS__VALID, pl);
        return;
    }
    report_digest(r, digest);
    if ((rc = accept_report(is, pr, r, digest, pl)) != JIJU_OK)
        service_store_failed("store_failed", rc, "report_id=%s", r->report_id);
    is->accepted++;
}

static void handle_command(ingest_submit_t *is, pending_reply *pr, Jiju__V1__Command *c,
                           int validate_only, problem_list *pl)
{
    ingest_view view = ingest_state_view(is->state, is->txn);
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    uint64_t seq;
    int rc;

    ingest_validate_command(c, &view, pl);
    if (problem_list_count_errors(pl) > 0) {
        reject(pr, JIJU__V1__SUBMIT_STATUS__REJECTED, pl);
        is->rejected++;
        return;
    }
    if (validate_only) {
        reject(pr, JIJU__V1__SUBMIT_STATUS__VALID, pl);
        return;
    }
    env.body_case = JIJU__V1__ENVELOPE__BODY_COMMAND;
    env.command = c;
    if ((rc = envelope_append(is->log, is->txn, is->cfg->shared.instance, &env, &seq)) != JIJU_OK)
        service_store_failed("store_failed", rc, "command=%d", (int)c->kind_case);
    pr->reply.status = JIJU__V1__SUBMIT_STATUS__ACCEPTED;
    pr->reply.seq = seq;
    is->accepted++;
}

/* With CURVE, the role of the sender's key (route->user_id) decides first. */
static int forbidden(ingest_submit_t *is, pending_reply *pr, const Jiju__V1__SubmitRequest *req,
                     problem_list *pl)
{
    const zap_t *z = svc_zap(is->svc);

    if (!z || ingest_authorize(keys_by_name(zap_keys(z), pr->route.user_id), pr->route.user_id, req,
                               pl) == 0)
        return 0;
    reject(pr, JIJU__V1__SUBMIT_STATUS__REJECTED, pl);
    is->rejected++;
    return 1;
}

/* The disk is short of space: UNAVAILABLE, nothing validated or stored. */
static void refuse_unavailable(ingest_submit_t *is, pending_reply *pr, problem_list *pl)
{
    char freeb[32];

    snprintf(freeb, sizeof freeb, "%llu", (unsigned long long)store_space_free(is->store));
    problem_add(pl, JIJU__V1__SEVERITY__ERROR, "E_UNAVAILABLE", "request", freeb,
                "服务磁盘空间不足 (剩余 %s 字节), 未保存任何内容, 请稍后重新提交",
                "the service's disk is short of space (%s bytes free): nothing was stored, "
                "submit again later",
                freeb);
    reject(pr, JIJU__V1__SUBMIT_STATUS__UNAVAILABLE, pl);
    is->refused_full++;
}

/* Log the turn from full to writable and back, once each way. */
static void note_space(ingest_submit_t *is, int unavailable)
{
    if (unavailable == is->unavailable)
        return;
    if (unavailable)
        log_error("store_full", "action=refuse_submits free_bytes=%llu min_free_mb=%lld",
                  (unsigned long long)store_space_free(is->store),
                  (long long)is->cfg->shared.store_min_free_mb);
    else
        log_info("store_space_back", "action=accept_submits free_bytes=%llu refused=%llu",
                 (unsigned long long)store_space_free(is->store),
                 (unsigned long long)is->refused_full);
    is->unavailable = unavailable;
}

/* The request_id echoed: only one that follows the replier's rule. */
static void set_request_id(pending_reply *pr, const char *id)
{
    snprintf(pr->request_id, sizeof pr->request_id, "%s", replier_request_id_echo(id));
}

static void handle_request(ingest_submit_t *is, pending_reply *pr, const uint8_t *data, size_t len)
{
    Jiju__V1__SubmitRequest *req = NULL;
    problem_list *pl = problem_list_new();

    if (!pl)
        return;
    if (ingest_decode(data, len, &is->limits, &req, pl) != JIJU_OK || !req) {
        if (req) /* decoded but refused: still echo its id */
            set_request_id(pr, req->request_id);
        reject(pr, JIJU__V1__SUBMIT_STATUS__REJECTED, pl);
        is->rejected++;
        pr->kind = "malformed";
        log_outcome(pr, "malformed", "-");
    } else if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_PING) {
        set_request_id(pr, req->request_id); /* any allow-listed key may ask */
        pr->kind = "ping";
        pr->reply.status = JIJU__V1__SUBMIT_STATUS__PONG;
    } else if (forbidden(is, pr, req, pl)) {
        set_request_id(pr, req->request_id);
        pr->kind = "forbidden";
        log_limited(LOG_INFO, "submit", "kind=forbidden id=%s key=%s status=rejected first=%s",
                    pr->request_id, pr->route.user_id[0] ? pr->route.user_id : "-",
                    pr->reply.n_problems ? pr->reply.problems[0]->code : "-");
    } else if (is->unavailable) {
        pr->kind = req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT ? "report" : "command";
        set_request_id(pr, req->request_id);
        refuse_unavailable(is, pr, pl);
    } else if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT) {
        set_request_id(pr, req->request_id);
        pr->kind = "report";
        handle_report(is, pr, req->report, req->validate_only, pl);
        log_outcome(pr, "report", req->report->report_id);
    } else {
        set_request_id(pr, req->request_id);
        pr->kind = "command";
        handle_command(is, pr, req->command, req->validate_only, pl);
        log_outcome(pr, "command", pr->request_id);
    }
    /* the reply owns its problems; the request is no longer needed once its
     * record is packed into the txn */
    if (req)
        jiju__v1__submit_request__free_unpacked(req, NULL);
    problem_list_free(&pl);
}

/* Counted when answered, after the batch's fsync: "accepted" is on disk. */
static void count_outcome(const pending_reply *pr)
{
    static metrics_family *f;
    char l[METRICS_LABELS_MAX];

    if (!f)
        f = metrics_counter("jiju_ingest_requests_total",
                            "SubmitRequests answered, by kind, status and first problem code");
    metrics_labels(l, sizeof l, "kind", pr->kind ? pr->kind : "unknown", "status",
                   pr->reply.status < N_STATUS ? status_names[pr->reply.status] : "unknown", "code",
                   (pr->reply.status == JIJU__V1__SUBMIT_STATUS__CONFLICT ||
                    pr->reply.status == JIJU__V1__SUBMIT_STATUS__REJECTED) &&
                           pr->reply.n_problems
                       ? pr->reply.problems[0]->code
                       : "",
                   NULL);
    metrics_add(f, l, 1);
}

static void send_reply(ingest_submit_t *is, pending_reply *pr)
{
    size_t len;
    uint8_t *buf;

    if (pr->answered)
        return;
    pr->answered = 1;
    count_outcome(pr);
    pr->reply.request_id = pr->request_id;
    pr->reply.instance = (char *)is->cfg->shared.instance;
    if (pr->reply.status == JIJU__V1__SUBMIT_STATUS__ACCEPTED)
        pr->reply.seq_instance = (char *)is->cfg->shared.instance;
    else if (pr->seq_instance[0])
        pr->reply.seq_instance = pr->seq_instance;
    if (pb_pack(&pr->reply.base, &buf, &len) == JIJU_OK) {
        replier_reply(is->replier, &pr->route, buf, len);
        free(buf);
    }
    for (size_t i = 0; i < pr->reply.n_problems; i++)
        protobuf_c_message_free_unpacked(&pr->reply.problems[i]->base, NULL);
    free(pr->reply.problems);
}

/* Every request of a wake-up but a Ping is answered after the batch's one
 * fsync. */
static int on_request(void *arg, const replier_route *route, const uint8_t *data, size_t len,
                      uint8_t **reply, size_t *reply_len)
{
    ingest_submit_t *is = arg;
    pending_reply *pr;

    (void)reply;
    (void)reply_len;
    if (is->n_batch == 0) /* once per drain: may this batch write? */
        note_space(is, store_writable(is->store) != JIJU_OK);
    pr = &is->batch[is->n_batch++];
    memset(pr, 0, sizeof *pr);
    jiju__v1__submit_reply__init(&pr->reply);
    pr->route = *route;
    handle_request(is, pr, data, len);
    /* A Ping needs no commit: answered now, not after the drain. Deferred,
     * a liveness probe waited for up to submit.max_batch requests (2,000
     * of a flood's garbage) to be read, refused and answered first. */
    if (pr->reply.status == JIJU__V1__SUBMIT_STATUS__PONG)
        send_reply(is, pr);
    return REPLIER_DEFER;
}

/* The group commit: one synced write for the whole drain, then the replies. */
#define SUBMIT_BATCH_FMT                                                                           \
    "n=%zu accepted=%llu duplicate=%llu rejected=%llu last_seq=%llu commit_us=%lld"
#define SUBMIT_BATCH_ARGS(is, t0)                                                                  \
    (is)->n_batch, (unsigned long long)((is)->accepted - (is)->logged.accepted),                   \
        (unsigned long long)((is)->duplicates - (is)->logged.duplicates),                          \
        (unsigned long long)((is)->rejected - (is)->logged.rejected),                              \
        (unsigned long long)stream_log_last((is)->log), (long long)(t0)

static void on_drained(void *arg, replier_t *r)
{
    static metrics_family *batch_sizes, *in_turn;
    ingest_submit_t *is = arg;
    int64_t t0 = clock_mono_us(), woke = svc_woke_us(is->svc);
    double answered;
    int rc;

    (void)r;
    if (!batch_sizes)
        batch_sizes = metrics_histogram("jiju_ingest_commit_requests",
                                        "SubmitRequests answered per synced commit (group commit)",
                                        metrics_size_buckets, metrics_n_size_buckets);
    if (!in_turn)
        in_turn = metrics_histogram(
            "jiju_ingest_submit_turn_seconds",
            "each SubmitRequest from the wake-up of the loop turn that read it to its reply "
            "(its batch's drain, synced commit and replies; the wait before the wake-up is "
            "jiju_loop_turn_seconds)",
            metrics_latency_buckets, metrics_n_latency_buckets);
    if ((rc = store_txn_commit(is->txn, true)) != JIJU_OK)
        service_store_failed("store_commit_failed", rc, "batch=%zu reason=\"%s\"", is->n_batch,
                             store_last_error(is->store));
    t0 = clock_mono_us() - t0;
    if (is->n_batch)
        metrics_observe(batch_sizes, "", (double)is->n_batch);
    for (size_t i = 0; i < is->n_batch; i++)
        send_reply(is, &is->batch[i]);
    answered = (double)(clock_mono_us() - woke) / 1e6;
    for (size_t i = 0; i < is->n_batch; i++)
        metrics_observe(in_turn, "", answered);
    /* One line per group commit: what the batch did and what its fsync cost.
     * A batch of nothing but rejections wrote nothing and needed no fsync, so
     * a peer can send them as fast as it likes (a flood of garbage): those
     * lines are rate-limited like the per-request lines they summarise. */
    if (is->accepted != is->logged.accepted || is->duplicates != is->logged.duplicates)
        log_info("submit_batch", SUBMIT_BATCH_FMT, SUBMIT_BATCH_ARGS(is, t0));
    else
        log_limited(LOG_INFO, "submit_batch", SUBMIT_BATCH_FMT, SUBMIT_BATCH_ARGS(is, t0));
    is->logged.accepted = is->accepted;
    is->logged.duplicates = is->duplicates;
    is->logged.rejected = is->rejected;
    is->n_batch = 0;
}

ingest_submit_t *ingest_submit_new(svc_t *svc, ingest_state_t *state, stream_log_t *log,
                                   store_t *store, const ingest_config *cfg)
{
    ingest_submit_t *is = calloc(1, sizeof *is);
    /* two batches per connection: a client pipelines, the group commit drains */
    replier_opts opts = {.max_drain = (int)cfg->max_batch,
                         .hwm = cfg->max_batch * 2 > SVC_QUERY_HWM ? (int)cfg->max_batch * 2
                                                                   : SVC_QUERY_HWM,
                         .after_drain = on_drained};

    if (!is)
        return NULL;
    is->svc = svc;
    is->state = state;
    is->log = log;
    is->cfg = cfg;
    is->limits = ingest_config_limits(cfg);
    is->store = store;
    /* no index of its writes: nothing reads them back through the txn (the
     * registry is in memory, a report id of this batch is found in
     * ingest_state's pending map), and keeping the index cost a tenth of
     * ingest's CPU per report */
    is->txn = store_txn_new_unindexed(store);
    is->batch = calloc((size_t)cfg->max_batch, sizeof *is->batch);
    if (!is->txn || !is->batch ||
        !(is->replier = replier_new(svc, cfg->submit_endpoint, &opts, on_request, is)))
        ingest_submit_destroy(&is);
    return is;
}

void ingest_submit_destroy(ingest_submit_t **isp)
{
    ingest_submit_t *is = isp ? *isp : NULL;

    if (!is)
        return;
    replier_destroy(&is->replier);
    store_txn_destroy(&is->txn);
    free(is->batch);
    free(is);
    *isp = NULL;
}
