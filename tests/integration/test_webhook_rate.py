#!/usr/bin/python3
"""A webhook subscription is delivered at the pace of its receiver, not of
notification's timer (issue 14: bench_e2e saw 81 POSTs/s, one every ~12 ms).

libcurl often reads the answer to a POST while it is still sending it (the
receiver is fast and on the same host); the connection then sits idle in
libcurl's cache, no socket of ours is polled, and the finished POST used to
wait for the next webhook tick. Here the tick is 1 s, so that behaviour
would deliver about one event per second.

Real processes: event_source (a real "events" producer) with 2,000 events,
jiju-notification with one webhook subscription for every event, and an
HTTP/1.1 keep-alive endpoint in this process. Checked: all 2,000 POSTs
arrive within 60 s (>= 33/s, against ~1/s with the old behaviour), each
event once, in the producer's order, never two in flight at once, each
with a valid Standard Webhooks signature. The rate is printed.

usage: test_webhook_rate.py BUILD_DIR
"""
import base64
import hashlib
import hmac
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jiju_harness  # noqa: E402
from notify_cli_check import finish  # noqa: E402

SECRET = "rate-secret-for-the-test"
EVENTS = 2000


class Endpoint(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a department's server would
    lock = threading.Lock()
    ids, bad_sig, busy, overlap = [], 0, 0, 0
    first_at = last_at = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        h = self.headers
        signed = (h["webhook-id"] + "." + h["webhook-timestamp"] + ".").encode() + body
        want = "v1," + base64.b64encode(
            hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
        with Endpoint.lock:
            Endpoint.busy += 1
            Endpoint.overlap = max(Endpoint.overlap, Endpoint.busy)
            Endpoint.ids.append(h["webhook-id"])
            Endpoint.bad_sig += not hmac.compare_digest(want, h["webhook-signature"])
            now = time.monotonic()
            Endpoint.first_at = Endpoint.first_at or now
            Endpoint.last_at = now
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with Endpoint.lock:
            Endpoint.busy -= 1

    def log_message(self, *args):
        pass


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def main():
    bindir = sys.argv[1]
    ports = jiju_harness.PortBlock()
    work = tempfile.mkdtemp(prefix="webhook_rate.")
    src_ep, deliv_ep, admin_ep = ("tcp://127.0.0.1:%d" % ports.take() for _ in range(3))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    cli = os.path.join(bindir, "cli", "jiju")
    procs, ok = [], False

    def start(argv, name):
        log = open(os.path.join(work, name + ".log"), "ab")
        procs.append(subprocess.Popen(argv, stdout=log, stderr=log))

    try:
        start([os.path.join(bindir, "services", "notification", "jiju-notification"),
               "--set", "data_dir=" + os.path.join(work, "notification"),
               "--set", "events.endpoint=" + src_ep, "--set", "deliveries.endpoint=" + deliv_ep,
               "--set", "admin.endpoint=" + admin_ep, "--set", "subscriptions_file=",
               "--set", "routing.follow_registry=false", "--set", "webhook.tick_ms=1000"],
              "notification")
        wait_until(lambda: subprocess.run(
            [cli, "subscription", "list", "--endpoint", admin_ep, "--timeout-ms", "300"],
            capture_output=True).returncode == 0, 20, "notification up")
        url = "http://127.0.0.1:%d/hook" % httpd.server_address[1]
        subprocess.run([cli, "subscription", "add", "hook", "--url", url, "--secret", SECRET,
                        "--endpoint", admin_ep], check=True, capture_output=True, timeout=30)
        start([os.path.join(bindir, "tests", "event_source"), src_ep,
               os.path.join(work, "source"), str(EVENTS), str(EVENTS), "20"], "source")
        try:
            wait_until(lambda: len(Endpoint.ids) >= EVENTS, 60, "%d webhook POSTs" % EVENTS)
        except AssertionError:
            print("only %d of %d POSTs in 60 s" % (len(Endpoint.ids), EVENTS), file=sys.stderr)
            raise
        time.sleep(0.3)  # nothing more may come
        with Endpoint.lock:
            ids = list(Endpoint.ids)
            span = Endpoint.last_at - Endpoint.first_at
        assert ids == ["assessment/%d" % i for i in range(1, EVENTS + 1)], \
            (len(ids), [x for x in ids[:5]])
        assert Endpoint.bad_sig == 0, Endpoint.bad_sig
        assert Endpoint.overlap == 1, "POSTs of one subscription overlapped: %d" % Endpoint.overlap
        print("OK: %d webhook POSTs in order, once, signed, one at a time: %.0f/s "
              "(first to last %.2f s, webhook.tick_ms=1000)" % (EVENTS, (EVENTS - 1) / span, span))
        ok = True
    finally:
        finish(procs, httpd, work, ok)


if __name__ == "__main__":
    main()
