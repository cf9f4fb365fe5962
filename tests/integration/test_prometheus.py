#!/usr/bin/python3
"""test_prometheus - issue 13 item 2: a real Prometheus scrapes every service
of a running stack, and what it stores matches what the test did.

1. deploy/prometheus/rules.yml passes `promtool check rules` and the unit
   tests of rules_test.yml; deploy/prometheus/prometheus.yml passes
   `promtool check config`.
2. A stack of the real services (two ingest replicas) with GET /metrics on
   127.0.0.1, a webhook subscriber whose endpoint always answers 500, and
   Debian's Prometheus (127.0.0.1 only, scraping every second, the alert
   rules loaded, ended by `timeout` whatever happens to this script).
3. The test registers clusters, submits N reports (and D exact resends, K
   conflicting resends, R reports with a bad period), closes the period, and
   then asks Prometheus's HTTP query API, until the figures match or 40 s
   pass: accepted = N, duplicate = D, conflict = K, rejected{E_PERIOD_SYNTAX}
   = R; every target up; assessment's and the archive's cursors on the
   reports stream = what the ingest replicas logged, lag 0; awards counted =
   AwardGranted events on assessment's stream; the archive's head = its
   query reply's head_seq; the webhook's dead letters = the awards, and the
   JijuWebhookDeadLetters alert firing; a subscriber's backlog falls to 0
   once it has read its log; fsync histograms and process figures present.
4. The archive is killed: Prometheus sees up == 0 for it.

JIJU_METRICS_SAMPLE=FILE writes the text of one scrape of every service
there (docs/metrics-sample.txt was made so).
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

T0 = time.monotonic()
RULES = os.path.join(h.SRC, "deploy", "prometheus")
N, D, K, R = 300, 20, 3, 5


def say(msg):
    print(f"[{time.monotonic() - T0:5.1f}s] {msg}", flush=True)


def check_rules():
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: deploy/install-deps.sh installs Debian's prometheus"
    for args in (["check", "rules", "rules.yml"], ["test", "rules", "rules_test.yml"],
                 ["check", "config", "prometheus.yml"]):
        r = subprocess.run([promtool] + args, cwd=RULES, capture_output=True, text=True)
        assert r.returncode == 0, f"promtool {' '.join(args)}:\n{r.stdout}{r.stderr}"
    say("promtool: rules.yml checked, rules_test.yml passes, prometheus.yml checked")


class Refuse(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint that always fails."""
    hits = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Refuse.hits += 1
        self.send_response(500)
        self.end_headers()

    def log_message(self, *a):
        pass


class Prom:
    def __init__(self, work, port, targets):
        self.url = f"http://127.0.0.1:{port}"
        cfg = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
               "rule_files": [os.path.join(RULES, "rules.yml")],
               "scrape_configs": [{"job_name": job, "static_configs": [{"targets": t}]}
                                  for job, t in targets.items()]}
        path = os.path.join(work, "prometheus.yml")
        with open(path, "w") as f:
            json.dump(cfg, f)  # JSON is YAML
        self.log = open(os.path.join(work, "prometheus.log"), "ab")
        # `timeout` ends it even if this script is killed before its finally
        self.p = subprocess.Popen(
            ["timeout", "-s", "KILL", "300", shutil.which("prometheus"), f"--config.file={path}",
             f"--storage.tsdb.path={work}/tsdb", f"--web.listen-address=127.0.0.1:{port}",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=self.log, stderr=self.log)
        h.wait_until(self.ready, 30, what="Prometheus ready")

    def ready(self):
        try:
            return urllib.request.urlopen(self.url + "/-/ready", timeout=1).status == 200
        except OSError:
            return False

    def api(self, path, **params):
        q = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{q}", timeout=5) as r:
            doc = json.load(r)
        assert doc["status"] == "success", doc
        return doc["data"]

    def query(self, expr):
        """{frozenset(labels.items()): value} of an instant query."""
        return {frozenset(s["metric"].items()): float(s["value"][1])
                for s in self.api("query", query=expr)["result"]}

    def scalar(self, expr):
        r = self.query(expr)
        return next(iter(r.values())) if len(r) == 1 else None

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.log.close()


def eventually(prom, expr, want, what, timeout=40):
    """Wait until the instant query `expr` gives the single value `want`."""
    got = []

    def ok():
        got[:] = [prom.scalar(expr)]
        return got[0] == want
    try:
        h.wait_until(ok, timeout, step=0.5, what=what)
    except AssertionError:
        raise AssertionError(f"{what}: {expr} = {got[0]}, want {want}") from None
    say(f"{what}: {expr} = {want:g}")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        return r.read().decode()


def scrape_ready(port):
    """True once /metrics answers; False while the port is not bound yet
    (a service on a loaded machine may take a moment to listen, or to
    answer its first scrape within the 5 s timeout)."""
    try:
        return scrape(port) is not None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def submit_everything(stack):
    from jiju.v1 import submit_pb2
    clusters = [f"JL-PM-{i:03d}" for i in range(6)]
    sub = h.Submitter(stack.ingest_eps, window=200)
    regs = sub.submit_all(h.register_request(c, f"集聚区{c}", category=1 + i % 9)
                          for i, c in enumerate(clusters))
    assert all(r.status == submit_pb2.ACCEPTED for r in regs.values()), regs
    sub.wait_registry(clusters)
    reqs = [h.report_request(f"P-{k:04d}", clusters[k % len(clusters)], "2023",
                             revision=1 + k // len(clusters), revenue_fen=10**9 + 10**6 * k)
            for k in range(N)]
    replies = sub.submit_all(reqs)
    accepted = sum(1 for r in reqs if replies[r.request_id].status == submit_pb2.ACCEPTED)
    assert accepted == N, f"{accepted} of {N} accepted"
    # Resent to the replica that accepted it (another replica learns of it only
    # once assessment applied it): the same content is DUPLICATE, other
    # content under the same id CONFLICT; a bad period is REJECTED.
    def at(r, k):
        return r, int(replies[reqs[k].request_id].instance.rsplit("-", 1)[1]) - 1
    resent = [at(reqs[k], k) for k in range(D)]
    out = sub.submit_all(resent)
    assert all(out[r.request_id].status == submit_pb2.DUPLICATE for r, _ in resent), out
    clash = []
    for k in range(D, D + K):
        r = h.report_request(f"P-{k:04d}", clusters[k % len(clusters)], "2023",
                             revision=1 + k // len(clusters), revenue_fen=7)
        r.request_id = f"clash-{k}"
        clash.append(at(r, k))
    out = sub.submit_all(clash)
    assert all(out[r.request_id].status == submit_pb2.CONFLICT for r, _ in clash), out
    bad = [h.report_request(f"BAD-{k}", clusters[0], "20X3") for k in range(R)]
    out = sub.submit_all(bad)
    assert all(out[r.request_id].status == submit_pb2.REJECTED and
               out[r.request_id].problems[0].code == "E_PERIOD_SYNTAX" for r in bad), out
    close = [h.command_request("close_period", period="2023")]
    out = sub.submit_all(close)
    assert out[close[0].request_id].status == submit_pb2.ACCEPTED, out[close[0].request_id]
    sub.close()
    # every record an ingest replica logged: registrations, reports, the close
    return len(clusters) + N + 1


def main():
    check_rules()
    stack = h.Stack(ingest_replicas=2, metrics=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    stack.procs["notification"].argv += [
        "--set", "webhook.backoff_initial_ms=20", "--set", "webhook.backoff_max_ms=50",
        "--set", "webhook.horizon_ms=200", "--set", "webhook.tick_ms=10"]
    prom = None
    try:
        stack.start_all()
        ports = stack.metrics_port
        for name, port in ports.items():
            h.wait_until(lambda p=port: scrape_ready(p), 20, what=f"{name} /metrics")
        jiju = os.path.join(h.BIN, "cli", "jiju")
        subprocess.run([jiju, "subscription", "add", "hook", "--url",
                        f"http://127.0.0.1:{httpd.server_address[1]}/hook", "--secret",
                        "s3cr3t-s3cr3t-s3cr3t", "--type", "AwardGranted", "--endpoint",
                        stack.ep["notify_admin"]], check=True, capture_output=True, timeout=30)
        targets = {"jiju-assessment": [f"127.0.0.1:{ports['assessment']}"],
                   "jiju-archive": [f"127.0.0.1:{ports['archive']}"],
                   "jiju-notification": [f"127.0.0.1:{ports['notification']}"],
                   "jiju-ingest": [f"127.0.0.1:{ports[n]}" for n in ports if n.startswith("ingest")]}
        prom = Prom(stack.work, stack.base + 18, targets)
        say(f"Prometheus {prom.url} scraping {sum(len(t) for t in targets.values())} targets")
        logged = submit_everything(stack)
        say(f"{N} reports accepted, {D} duplicates, {K} conflicts, {R} rejected; period closed")

        # what assessment emitted, from its own stream
        tail = h.StreamTail(stack.ep["assessment_stream"], "events", "pm-check")
        types = {}

        def closed():
            for _, env in tail.poll(100):
                t = env.WhichOneof("body")
                types[t] = types.get(t, 0) + 1
            return types.get("period_closed")
        h.wait_until(closed, 60, what="PeriodClosed on assessment's stream")
        tail.close()
        awards = types.get("award_granted", 0)
        assert awards > 0, types

        eventually(prom, 'count(up{job=~"jiju-.*"} == 1)', 5, "every target up")
        ing = 'sum(jiju_ingest_requests_total{job="jiju-ingest",kind="report",status="%s"%s})'
        eventually(prom, ing % ("accepted", ""), N, "reports accepted")
        eventually(prom, ing % ("duplicate", ""), D, "duplicates")
        eventually(prom, ing % ("conflict", ""), K, "conflicts")
        eventually(prom, ing % ("rejected", ',code="E_PERIOD_SYNTAX"'), R, "rejected by code")
        eventually(prom, 'sum(jiju_stream_last_seq{job="jiju-ingest",stream="reports",'
                   'consumer="assessment"})', logged, "records logged by the ingest replicas")
        for consumer in ("assessment", "archive"):
            eventually(prom, f'sum(jiju_stream_cursor_seq{{job="jiju-{consumer}",'
                       f'stream="reports",consumer="{consumer}"}})', logged,
                       f"{consumer}'s cursors on the reports stream")
            eventually(prom, f'sum(jiju_stream_records_applied_total{{job="jiju-{consumer}",'
                       f'stream="reports"}})', logged, f"records {consumer} applied")
        eventually(prom, 'max(jiju_stream_lag_records)', 0, "no lag anywhere")
        eventually(prom, 'jiju_assessment_events_total{type="award_granted"}', awards,
                   "awards counted")
        eventually(prom, 'jiju_assessment_events_total{type="period_closed"}', 1, "closes counted")
        eventually(prom, 'jiju_assessment_periods{state="closed"}', 1, "periods closed")
        events_last = prom.scalar('jiju_stream_last_seq{job="jiju-assessment",stream="events",'
                                  'consumer="archive"}')
        assert events_last and events_last >= sum(types.values()), (events_last, types)
        eventually(prom, 'jiju_archive_head_seq', logged + events_last, "archive head")
        from jiju.v1 import archive_pb2
        rep = archive_pb2.ArchiveQueryReply()
        rep.ParseFromString(h.request(stack.ep["archive_query"], archive_pb2.ArchiveQueryRequest(
            request_id="pm", limit=1).SerializeToString()))
        assert rep.head_seq == logged + events_last, (rep.head_seq, logged, events_last)
        eventually(prom, 'jiju_notification_dead_letters_total{subscriber="hook"}', awards,
                   "webhook dead letters")
        eventually(prom, 'jiju_notification_webhook_attempts_total{subscriber="hook",'
                   'outcome="dead_letter"}', awards, "attempts ending in a dead letter")
        assert Refuse.hits >= awards, Refuse.hits
        eventually(prom, 'count(ALERTS{alertname="JijuWebhookDeadLetters",alertstate="firing",'
                   'subscriber="hook"})', 1, "the dead-letter alert firing")
        rules = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
        assert len(rules) == 5 and all(r["health"] == "ok" for r in rules), rules

        fgw_last = prom.scalar('jiju_notification_subscriber_last_seq{subscriber="fgw"}')
        assert fgw_last and fgw_last > logged, fgw_last
        eventually(prom, 'jiju_notification_backlog_events{subscriber="fgw"}', fgw_last,
                   "fgw's backlog before it reads")
        fgw = h.StreamTail(stack.ep["deliveries"], "deliveries", "fgw")
        got = []
        h.wait_until(lambda: got.extend(fgw.poll(100)) or len(got) >= fgw_last, 30,
                     what="fgw reads its whole log")
        eventually(prom, 'jiju_notification_backlog_events{subscriber="fgw"}', 0,
                   "fgw's backlog once read")
        fgw.close()

        for job in targets:
            eventually(prom, f'count(process_resident_memory_bytes{{job="{job}"}} > 1000000)',
                       len(targets[job]), f"{job} RSS reported")
        # the queries of docs/operations.md "Reading CPU and memory together"
        per = "sum by (job, instance) "
        cpu_q = per + '(rate(process_cpu_seconds_total{job=~"jiju-.*"}[30s]))'
        h.wait_until(lambda: len(prom.query(cpu_q)) == 5, 30, step=0.5,
                     what="a CPU rate for every target (two samples of each)")
        cpu = prom.query(cpu_q)
        assert all(v >= 0 for v in cpu.values()), cpu
        rocks = prom.query(per + '(jiju_store_memory_bytes{job=~"jiju-.*"})')
        outside = prom.query('process_resident_memory_bytes{job=~"jiju-.*"} - on (job, instance) ' +
                             per + '(jiju_store_memory_bytes)')
        assert len(rocks) == 5 and all(v > 0 for v in rocks.values()), rocks
        assert len(outside) == 5 and all(v > 0 for v in outside.values()), outside
        for key in sorted(rocks, key=lambda k: dict(k)["job"]):
            say(f"{dict(key)['job']} {dict(key)['instance']}: CPU {cpu[key]:.3f} s/s, RocksDB "
                f"{rocks[key] / 2**20:.1f} MiB, the rest of RSS {outside[key] / 2**20:.1f} MiB")
        eventually(prom, 'count(jiju_store_fsync_seconds_count > 0)', 5, "fsync timed everywhere")
        p99 = prom.scalar('histogram_quantile(0.99, sum by (le) '
                          '(jiju_store_fsync_seconds_bucket{job="jiju-ingest"}))')
        assert p99 is not None and 0 < p99 <= 2.5, p99
        n = prom.scalar('sum(jiju_store_fsync_seconds_count{job="jiju-ingest"})')
        say(f"ingest: {n:g} synced commits, fsync p99 {p99 * 1000:.2f} ms (histogram_quantile)")
        sample = os.environ.get("JIJU_METRICS_SAMPLE")
        if sample:
            with open(sample, "w") as f:
                for name, port in ports.items():
                    f.write(f"# ---- {name}: GET http://127.0.0.1:{port}/metrics\n")
                    f.write(scrape(port))

        # item 3: one log line per business event, key=value
        log = open(stack.procs["assessment"].logpath, errors="replace").read()
        lines = {t: log.count(f" event={t} ") for t in
                 ("period_opened", "award_granted", "elimination_warning", "cluster_eliminated",
                  "nomination_recommended", "period_closed")}
        want = {t: types.get(t, 0) for t in lines}
        assert lines == want, f"log lines {lines} != events {want}"
        closing = (f"event=period_closed period=2023 reports=6 ranked=6 awards={awards} "
                   f"warnings={want['elimination_warning']} "
                   f"eliminations={want['cluster_eliminated']} "
                   f"nominations={want['nomination_recommended']} ")
        assert closing in log, f"no line with {closing!r}"
        say(f"assessment logged one line per business event: {lines}")

        stack.procs["archive"].kill9()
        eventually(prom, 'up{job="jiju-archive"}', 0, "the killed archive seen down")
        say("PASS")
    except Exception:
        for name in stack.procs:
            print(f"---- {name}\n{stack.logs(name, 1500)}")
        if prom:
            prom.log.flush()
            print(open(os.path.join(stack.work, "prometheus.log"), errors="replace").read()[-2000:])
        raise
    finally:
        if prom:
            prom.stop()
        httpd.shutdown()
        stack.cleanup()


if __name__ == "__main__":
    main()
