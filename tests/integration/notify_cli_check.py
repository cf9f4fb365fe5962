#!/usr/bin/python3
"""Webhooks, dead letters, redelivery and retention through the `jiju`
command, with real processes: event_source (a real "events" producer),
jiju-notification, an HTTP endpoint in this process (python http.server)
and dept_subscriber.

1. `jiju subscription add hook --url ... --secret ...` for AwardGranted of
   cluster C000; the endpoint answers 500, so after the horizon both events
   are dead letters (`jiju subscription dead-letters hook`).
2. The endpoint is fixed; `jiju subscription redeliver hook` sends each dead
   letter once, with its original webhook-id and a valid signature.
3. czj never connects; retention (max 20 records) drops most of its backlog;
   `jiju subscription list czj` shows DROPPED, and when czj's system connects
   it gets the retained events and EventsDropped saying what was lost.

usage: notify_cli_check.py BUILD_DIR
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("JIJU_SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SECRET = "s3cret-for-test"


_ports = None


def free_port():
    """A port from a block claimed against other tests running in parallel."""
    global _ports
    if _ports is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import jiju_harness
        _ports = jiju_harness.PortBlock()
    return _ports.take()


class Endpoint(http.server.BaseHTTPRequestHandler):
    fail = True
    hits = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with Endpoint.lock:
            status = 500 if Endpoint.fail else 200
            Endpoint.hits.append((dict(self.headers), body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def signature_ok(headers, body):
    signed = (headers["webhook-id"] + "." + headers["webhook-timestamp"] + ".").encode() + body
    want = "v1," + base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(want, headers["webhook-signature"])


def main():
    bindir = sys.argv[1]
    work = tempfile.mkdtemp(prefix="notify_cli.")
    src_ep, deliv_ep, admin_ep = ("tcp://127.0.0.1:%d" % free_port() for _ in range(3))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    procs, ok = [], False

    def start(argv, name):
        log = open(os.path.join(work, name + ".log"), "ab")
        procs.append(subprocess.Popen(argv, stdout=log, stderr=log))
        return procs[-1]

    def jiju(*args):
        r = subprocess.run([os.path.join(bindir, "cli", "jiju"), "subscription"] + list(args) +
                           ["--endpoint", admin_ep], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (args, r.returncode, r.stderr)
        return r.stdout

    try:
        start([os.path.join(bindir, "services", "notification", "jiju-notification"),
               "--set", "data_dir=" + os.path.join(work, "notification"),
               "--set", "events.endpoint=" + src_ep, "--set", "deliveries.endpoint=" + deliv_ep,
               "--set", "admin.endpoint=" + admin_ep,
               "--set", "subscriptions_file=" + os.path.join(SRC, "deploy/config/subscriptions.json"),
               "--set", "retention.max_records=20", "--set", "retention.check_ms=100",
               "--set", "webhook.backoff_initial_ms=20", "--set", "webhook.backoff_max_ms=80",
               "--set", "webhook.horizon_ms=400", "--set", "webhook.tick_ms=10",
               "--set", "stream.heartbeat_ms=300", "--set", "stream.timeout_ms=2000"],
              "notification")
        url = "http://127.0.0.1:%d/jiju" % httpd.server_address[1]
        wait_until(lambda: subprocess.run(
            [os.path.join(bindir, "cli", "jiju"), "subscription", "list", "--endpoint", admin_ep,
             "--timeout-ms", "300"], capture_output=True).returncode == 0, 20, "notification up")
        out = jiju("add", "hook", "--url", url, "--secret", SECRET, "--type", "AwardGranted",
                   "--cluster", "C000")
        assert "hook" in out and SECRET not in out, out
        # 240 events; AwardGranted of C000 are events 120 and 240
        start([os.path.join(bindir, "tests", "event_source"), src_ep,
               os.path.join(work, "source"), "240", "40", "20", "40"], "source")

        def dead():
            return [json.loads(x) for x in jiju("dead-letters", "hook", "--json").splitlines()]
        wait_until(lambda: len(dead()) == 2, 60, "two dead letters")
        letters = dead()
        assert [d["event_id"] for d in letters] == ["assessment/120", "assessment/240"], letters
        assert letters[0]["last_error"] == "HTTP 500"
        failed = len(Endpoint.hits)
        assert failed >= 4, failed  # retried before giving up

        with Endpoint.lock:
            Endpoint.fail = False
        assert "2 dead letters queued again" in jiju("redeliver", "hook")
        wait_until(lambda: sum(1 for h in Endpoint.hits if h[2] == 200) == 2, 30, "redelivery")
        time.sleep(0.5)  # nothing more may come
        good = [h for h in Endpoint.hits if h[2] == 200]
        assert len(good) == 2 and len(Endpoint.hits) == failed + 2, len(Endpoint.hits)
        assert [h[0]["webhook-id"] for h in good] == ["assessment/120", "assessment/240"]
        for headers, body, _ in Endpoint.hits:
            assert signature_ok(headers, body), headers
            ce = json.loads(body)
            assert ce["specversion"] == "1.0" and ce["type"] == "jiju.v1.AwardGranted", ce
            assert ce["data"]["cluster_id"] == "C000", ce
        assert dead() == []

        # retention: czj had 40 AwardGranted, at most 20 kept
        wait_until(lambda: "DROPPED" in jiju("list", "czj"), 30, "czj's drop shown")
        print(jiju("list", "czj"))
        st = json.loads(jiju("list", "czj", "--json"))["status"]
        pydir = os.path.join(work, "py")
        os.makedirs(pydir)
        subprocess.check_call(["protoc", "-I", os.path.join(SRC, "proto"), "--python_out", pydir] +
                              [os.path.join(SRC, "proto/jiju/v1", p)
                               for p in os.listdir(os.path.join(SRC, "proto/jiju/v1"))])
        czj_out = os.path.join(work, "czj.jsonl")
        subprocess.run([PY, os.path.join(HERE, "dept_subscriber.py"), "--endpoint", deliv_ep,
                        "--id", "czj", "--state", os.path.join(work, "czj.state"), "--out",
                        czj_out, "--proto-dir", pydir, "--idle-exit", "2"], timeout=60, check=True)
        got = [json.loads(x) for x in open(czj_out, encoding="utf-8")]
        drops = [g for g in got if "dropped" in g]
        assert drops and got[0]["seq"] > 1, got[:3]
        assert drops[0]["type"] == "jiju.v1.EventsDropped" and drops[0]["dropped"][0] == 1, drops
        assert int(st["dropped_total"]) >= 20, st
        print("OK: webhook dead letters redelivered once, retention drop shown and delivered")
        ok = True
    finally:
        finish(procs, httpd, work, ok)


def finish(procs, httpd, work, ok):
    """Stop the processes and the endpoint; keep work only if the test failed; exit."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    httpd.shutdown()
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept for inspection: " + work, file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
