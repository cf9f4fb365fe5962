/* bench_e2e_stack.h - bench_e2e's stack of real services and what it sends
 * them: the processes (fresh stores, free ports, the --set overrides, the
 * 20 subscriptions and the webhook written for notification), their CPU
 * time from /proc, and the registrations and reports as packed
 * SubmitRequests. bench_e2e.c measures; this starts and feeds. */
#ifndef JIJU_BENCH_E2E_STACK_H
#define JIJU_BENCH_E2E_STACK_H

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../unit/proc_rss.h"
#include "bench_common.h"
#include "bench_wire.h"
#include "err.h"
#include "rpc.h"

#define MAX_ING 3
#define N_SUBS 20

enum { SVC_ASSESS, SVC_ARCHIVE, SVC_NOTIFY, SVC_INGEST0, N_SVC = SVC_INGEST0 + MAX_ING };
enum {
    P_A_STREAM,
    P_A_QUERY,
    P_B_STREAM,
    P_B_QUERY,
    P_N_DELIV,
    P_N_ADMIN,
    P_HOOK,
    P_RAW,
    P_RAW_ACK,
    P_REDIS,
    P_SUBMIT0,
    P_METRICS0 = P_SUBMIT0 + MAX_ING, /* each replica's /metrics (bench_e2e_scrape.c) */
    N_PORTS = P_METRICS0 + MAX_ING
};

typedef struct e2e_opts {
    char bindir[512], src[512];
    int runs, window;
    long reports;
    int on[8];       /* which configurations run */
    int soak, steps; /* soak mode: the reports in `steps` phases, RSS and disk after each */
} e2e_opts;

/* Per report of a run: times in ms on bench_now_ms()'s clock. */
typedef struct e2e_stack {
    char dir[256];
    pid_t pid[N_SVC];
    int port[N_PORTS], replicas;
    int reply_ms; /* the benchmark's rpc timeout on this stack */
} e2e_stack;

typedef struct e2e_reqs {
    long n;
    uint8_t **buf;
    size_t *len;
    char (*id)[48];
} e2e_reqs;

/* ---- processes ---- */

static inline const char *e2e_name(int s)
{
    return s == SVC_ASSESS    ? "assessment"
           : s == SVC_ARCHIVE ? "archive"
           : s == SVC_NOTIFY  ? "notification"
                              : "ingest";
}

static inline void ep(char *buf, size_t cap, int port)
{
    snprintf(buf, cap, "tcp://127.0.0.1:%d", port);
}

/* The --set overrides of service s; returns their count. */
static inline int e2e_overrides(const e2e_stack *st, int s, char ov[12][400])
{
    char e[N_PORTS][64];
    int n = 0;

    for (int i = 0; i < N_PORTS; i++)
        ep(e[i], sizeof e[i], st->port[i]);
    snprintf(ov[n++], 400, "stream.heartbeat_ms=200");
    snprintf(ov[n++], 400, "stream.timeout_ms=2000");
    if (s == SVC_ASSESS) {
        snprintf(ov[n++], 400, "data_dir=%s/assessment", st->dir);
        snprintf(ov[n++], 400, "stream.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 400, "query.endpoint=%s", e[P_A_QUERY]);
    } else if (s == SVC_ARCHIVE) {
        snprintf(ov[n++], 400, "data_dir=%s/archive", st->dir);
        snprintf(ov[n++], 400, "stream.endpoint=%s", e[P_B_STREAM]);
        snprintf(ov[n++], 400, "events.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 400, "query.endpoint=%s", e[P_B_QUERY]);
    } else if (s == SVC_NOTIFY) {
        snprintf(ov[n++], 400, "data_dir=%s/notification", st->dir);
        snprintf(ov[n++], 400, "events.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 400, "deliveries.endpoint=%s", e[P_N_DELIV]);
        snprintf(ov[n++], 400, "admin.endpoint=%s", e[P_N_ADMIN]);
        snprintf(ov[n++], 400, "subscriptions_file=%s/subscriptions.json", st->dir);
    } else {
        int k = s - SVC_INGEST0;

        snprintf(ov[n++], 400, "data_dir=%s/ingest-%d", st->dir, k + 1);
        snprintf(ov[n++], 400, "instance=bench-ingest-%d", k + 1);
        snprintf(ov[n++], 400, "submit.endpoint=%s", e[P_SUBMIT0 + k]);
        snprintf(ov[n++], 400, "assessment.endpoint=%s", e[P_A_STREAM]);
        snprintf(ov[n++], 400, "archive.endpoint=%s", e[P_B_STREAM]);
        snprintf(ov[n++], 400, "metrics.port=%d", st->port[P_METRICS0 + k]);
    }
    return n;
}

/* The services behind ingest (assessment, archive, notification) run this
 * much nicer than ingest, as deployed: docker-compose.yml gives them
 * cpu_shares 512 against ingest's 1024, and nice 3 is the CFS weight 526
 * against nice 0's 1024. BENCH_NICE_BEHIND=N overrides (0: all equal). */
#define E2E_NICE_BEHIND 3
static inline int e2e_nice_behind(void)
{
    const char *v = getenv("BENCH_NICE_BEHIND");

    return v ? atoi(v) : E2E_NICE_BEHIND;
}

/* In the child: stderr to <dir>/<name>.log, die with the benchmark, exec. */
static inline void e2e_exec(const e2e_opts *o, const e2e_stack *st, int s)
{
    char ov[12][400], log[300], bin[700], cfg[700];
    const char *argv[32];
    int n = e2e_overrides(st, s, ov), a = 0, fd;

    snprintf(log, sizeof log, "%s/%s-%d.log", st->dir, e2e_name(s), s);
    snprintf(bin, sizeof bin, "%s/services/%s/jiju-%s", o->bindir, e2e_name(s), e2e_name(s));
    snprintf(cfg, sizeof cfg, "%s/deploy/config/%s.json", o->src, e2e_name(s));
    fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        _exit(127);
    if (s < SVC_INGEST0 && e2e_nice_behind() != 0 && nice(e2e_nice_behind()) == -1)
        _exit(127);
    /* production log level: info lines are part of what a report costs */
    argv[a++] = bin;
    argv[a++] = "--config";
    argv[a++] = cfg;
    for (int i = 0; i < n; i++) {
        argv[a++] = "--set";
        argv[a++] = ov[i];
    }
    argv[a] = NULL;
    execv(bin, (char *const *)argv);
    _exit(127);
}

static inline void e2e_kill(pid_t *pid)
{
    int gone = 0;

    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    for (int i = 0; i < 500 && !gone; i++)
        if (!(gone = waitpid(*pid, NULL, WNOHANG) != 0))
            usleep(10000);
    if (!gone) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

/* Ingest first (it pushes to the others); the directory goes unless keep. */
static inline void e2e_stack_stop(e2e_stack *st, int keep)
{
    for (int s = N_SVC - 1; s >= 0; s--)
        e2e_kill(&st->pid[s]);
    if (st->dir[0] && !keep)
        bench_rmrf(st->dir);
}

/* 20 subscribers of every event, "bench-00".."bench-19", and "hook" for
 * ReportAccepted to our receiver. */
static inline int e2e_write_subs(const e2e_stack *st)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof path, "%s/subscriptions.json", st->dir);
    if (!(f = fopen(path, "w")))
        return -1;
    fprintf(f, "{\"subscriptions\": [\n");
    for (int i = 0; i < N_SUBS; i++)
        fprintf(f, "  {\"id\": \"bench-%02d\", \"description\": \"部门 %d\"},\n", i, i);
    fprintf(f,
            "  {\"id\": \"hook\", \"description\": \"webhook\", \"filters\": [{\"types\": "
            "[\"jiju.v1.ReportAccepted\"]}], \"webhook\": {\"url\": "
            "\"http://127.0.0.1:%d/hook\", \"secret\": "
            "\"whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA==\"}}\n]}\n",
            st->port[P_HOOK]);
    return fclose(f) == 0 ? 0 : -1;
}

static inline int e2e_stack_start(e2e_stack *st, const e2e_opts *o, int replicas)
{
    memset(st, 0, sizeof *st);
    st->replicas = replicas;
    if (bench_mkdtemp(st->dir, sizeof st->dir, "e2e") != 0 ||
        bench_free_ports(st->port, N_PORTS) != 0 || e2e_write_subs(st) != 0)
        return -1;
    for (int s = 0; s < SVC_INGEST0 + replicas; s++) {
        st->pid[s] = fork();
        if (st->pid[s] == 0)
            e2e_exec(o, st, s);
        if (st->pid[s] < 0)
            return -1;
    }
    return 0;
}

static inline int e2e_stack_alive(e2e_stack *st)
{
    for (int s = 0; s < N_SVC; s++)
        if (st->pid[s] > 0 && waitpid(st->pid[s], NULL, WNOHANG) == st->pid[s]) {
            fprintf(stderr, "jiju-%s exited; see %s/%s-%d.log\n", e2e_name(s), st->dir, e2e_name(s),
                    s);
            st->pid[s] = 0;
            return -1;
        }
    return 0;
}

static long long e2e_du_sum; /* nftw has no user argument */

static inline int e2e_du_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (flag == FTW_F)
        e2e_du_sum += (long long)sb->st_blocks * 512;
    return 0;
}

/* Bytes on disk under dir (allocated blocks, as du). */
static inline long long e2e_du(const char *dir)
{
    e2e_du_sum = 0;
    nftw(dir, e2e_du_one, 16, FTW_PHYS);
    return e2e_du_sum;
}

/* A service's data_dir (the names e2e_overrides gives them). */
static inline void e2e_data_dir(const e2e_stack *st, int s, char *buf, size_t cap)
{
    if (s >= SVC_INGEST0)
        snprintf(buf, cap, "%s/ingest-%d", st->dir, s - SVC_INGEST0 + 1);
    else
        snprintf(buf, cap, "%s/%s", st->dir, e2e_name(s));
}

/* CPU time (user + system) of a process so far, in ms; 0 if unknown. */
static inline double e2e_cpu_ms(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, stm = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (pid <= 0 || !(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stm) != 2)
        return 0;
    return (double)(ut + stm) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- requests ---- */

static inline void cluster_id(char *buf, size_t cap, long i)
{
    snprintf(buf, cap, "JL-B%05ld", i);
}

static inline uint8_t *req_register(const char *rid, const char *cid, long i, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Command c = JIJU__V1__COMMAND__INIT;
    Jiju__V1__RegisterCluster rc = JIJU__V1__REGISTER_CLUSTER__INIT;
    Jiju__V1__Cluster cl = JIJU__V1__CLUSTER__INIT;
    static const char *const counties[] = {"船营区", "昌邑区", "龙潭区", "丰满区"};
    char *industries[] = {"现代物流"};

    cl.id = (char *)cid;
    cl.name = "基准测试集聚区";
    cl.category = (Jiju__V1__Category)(1 + i % 9); /* the nine categories in turn */
    cl.county = (char *)counties[i % 4];
    cl.level = JIJU__V1__LEVEL__CITY;
    cl.leading_industries = industries;
    cl.n_leading_industries = 1;
    cl.management_org = "管委会";
    rc.cluster = &cl;
    c.kind_case = JIJU__V1__COMMAND__KIND_REGISTER_CLUSTER;
    c.register_cluster = &rc;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_COMMAND;
    req.command = &c;
    return bench_pack_submit(&req, len);
}

/* A complete monthly report of about 250 bytes: every indicator, a
 * reporter name and a remark as a statistician would write them. */
static inline uint8_t *req_report(const char *rid, const char *cid, const char *period,
                                  uint32_t revision, long i, int64_t tax_fen, size_t *len)
{
    Jiju__V1__SubmitRequest req = JIJU__V1__SUBMIT_REQUEST__INIT;
    Jiju__V1__Report r = JIJU__V1__REPORT__INIT;

    r.report_id = (char *)rid;
    r.cluster_id = (char *)cid;
    r.period = (char *)period;
    r.revision = revision;
    r.submitted_by = "集聚区统计专员 张伟";
    r.note =
        "本月数据已经管委会审核，含新入驻企业三家；重点项目两个按计划推进，公共服务平台运行正常。";
    r.enterprises_present_case = JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES;
    r.enterprises = 40 + i % 30;
    r.investment_present_case = JIJU__V1__REPORT__INVESTMENT_PRESENT_INVESTMENT_FEN;
    r.investment_fen = 12000000000 + (i % 97) * 10000000;
    r.output_value_present_case = JIJU__V1__REPORT__OUTPUT_VALUE_PRESENT_OUTPUT_VALUE_FEN;
    r.output_value_fen = 48000000000 + (i % 89) * 10000000;
    r.revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    r.revenue_fen = 45000000000 + (i % 83) * 10000000;
    r.tax_present_case = JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN;
    r.tax_fen = tax_fen;
    r.employment_present_case = JIJU__V1__REPORT__EMPLOYMENT_PRESENT_EMPLOYMENT;
    r.employment = 1500 + i % 700;
    r.key_projects_present_case = JIJU__V1__REPORT__KEY_PROJECTS_PRESENT_KEY_PROJECTS;
    r.key_projects = 3 + i % 5;
    r.platforms_present_case = JIJU__V1__REPORT__PLATFORMS_PRESENT_PUBLIC_SERVICE_PLATFORMS;
    r.public_service_platforms = 1 + i % 3;
    r.attracted_present_case = JIJU__V1__REPORT__ATTRACTED_PRESENT_ATTRACTED_INVESTMENT_FEN;
    r.attracted_investment_fen = 3000000000 + (i % 53) * 1000000;
    req.request_id = (char *)rid;
    req.body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
    req.report = &r;
    return bench_pack_submit(&req, len);
}

/* 1 while the reply to a probe (tax above revenue: refused whatever
 * happens) still says E_UNKNOWN_CLUSTER, 0 once this replica knows cid. */
static inline int e2e_probe_unknown(rpc_t *r, long k, const char *cid)
{
    char rid[48];
    uint8_t *req, *buf = NULL;
    size_t len, rlen = 0;
    Jiju__V1__SubmitReply *rep = NULL;
    int unknown = 1;

    snprintf(rid, sizeof rid, "probe-%ld", k);
    req = req_report(rid, cid, "2015-01", 1, 0, 900000000000, &len);
    if (req && rpc_call(r, req, len, &buf, &rlen) == JIJU_OK &&
        (rep = jiju__v1__submit_reply__unpack(NULL, rlen, buf))) {
        unknown = 0;
        for (size_t i = 0; i < rep->n_problems; i++)
            unknown |= strcmp(rep->problems[i]->code, "E_UNKNOWN_CLUSTER") == 0;
    }
    if (rep)
        jiju__v1__submit_reply__free_unpacked(rep, NULL);
    free(buf);
    free(req);
    return unknown;
}

static inline void reqs_free(e2e_reqs *rs)
{
    for (long i = 0; rs->buf && i < rs->n; i++)
        free(rs->buf[i]);
    free(rs->buf);
    free(rs->len);
    free(rs->id);
    memset(rs, 0, sizeof *rs);
}

static inline int reqs_alloc(e2e_reqs *rs, long n)
{
    rs->n = n;
    rs->buf = calloc((size_t)n, sizeof *rs->buf);
    rs->len = calloc((size_t)n, sizeof *rs->len);
    rs->id = calloc((size_t)n, sizeof *rs->id);
    return rs->buf && rs->len && rs->id ? 0 : -1;
}

static inline int reqs_clusters(e2e_reqs *rs, long n)
{
    char cid[32];

    if (reqs_alloc(rs, n) != 0)
        return -1;
    for (long i = 0; i < n; i++) {
        cluster_id(cid, sizeof cid, i);
        snprintf(rs->id[i], sizeof rs->id[i], "reg-%s", cid);
        if (!(rs->buf[i] = req_register(rs->id[i], cid, i, &rs->len[i])))
            return -1;
    }
    return 0;
}

/* The periods reports go to: 120 months, 2015-01 .. 2024-12, all in the
 * past. clusters x E2E_PERIODS is a multiple of 2 and 3 for every cluster
 * count used, so one (cluster, period) always goes to the same replica and
 * its revisions reach that replica in order. */
#define E2E_PERIODS 120

/* m reports, the g0-th to the (g0+m-1)-th of a stack's life: report g is
 * for cluster g % clusters, month (g / clusters) % E2E_PERIODS, revision
 * 1 + g / (clusters x E2E_PERIODS): any number of reports, each a new
 * (cluster, period) or a higher revision of one. Request ids are prefix +
 * i for i < m (the trackers parse i back). */
static inline int reqs_reports(e2e_reqs *rs, long m, long clusters, long g0, const char *prefix)
{
    char cid[32], per[48];

    if (reqs_alloc(rs, m) != 0)
        return -1;
    for (long i = 0; i < m; i++) {
        long g = g0 + i, k = (g / clusters) % E2E_PERIODS;
        uint32_t rev = (uint32_t)(1 + g / (clusters * E2E_PERIODS));

        cluster_id(cid, sizeof cid, g % clusters);
        snprintf(per, sizeof per, "%04ld-%02ld", 2015 + k / 12, k % 12 + 1);
        snprintf(rs->id[i], sizeof rs->id[i], "%s%ld", prefix, i);
        rs->buf[i] =
            req_report(rs->id[i], cid, per, rev, g, 2100000000 + (g % 71) * 1000000, &rs->len[i]);
        if (!rs->buf[i])
            return -1;
    }
    return 0;
}

#endif
