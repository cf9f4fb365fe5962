#!/usr/bin/python3
"""Paged ListDeadLetters (proto/jiju/v1/subscription.proto "Paging") on a
real jiju-notification, read whole by the `jiju` command (common/
query_pages): a webhook for RankingUpdated whose endpoint answers 500 gets
60 ranking pages of ~200 KB each parked as dead letters, 12 MB in all, so
one unpaged reply would pass the 4 MiB frame limit and the CLI could not
take it (JIJU_ERR_TOO_LARGE). Real processes: event_source (a real
"events" producer), jiju-notification, an HTTP endpoint in this process.

usage: test_notify_pages.py BUILD_DIR
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from notify_cli_check import SRC, Endpoint, finish, free_port, wait_until  # noqa: E402

RANKINGS = 60  # events 1 mod 6 of 360
ENTRIES = 3000  # ~200 KB a page (assessment's are ~250 KB)


def main():
    bindir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JIJU_BIN_DIR", "build")
    work = tempfile.mkdtemp(prefix="notify_pages.")
    src_ep, deliv_ep, admin_ep = ("tcp://127.0.0.1:%d" % free_port() for _ in range(3))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    procs, ok = [], False

    def start(argv, name):
        log = open(os.path.join(work, name + ".log"), "ab")
        procs.append(subprocess.Popen(argv, stdout=log, stderr=log))

    def jiju(*args, check=True):
        # a page of 4 MiB takes a while under the sanitizers on a loaded machine
        r = subprocess.run([os.path.join(bindir, "cli", "jiju"), "subscription"] + list(args) +
                           ["--endpoint", admin_ep, "--timeout-ms", "30000"],
                           capture_output=True, text=True, timeout=240)
        assert not check or r.returncode == 0, (args, r.returncode, r.stderr)
        return r.stdout

    def status():
        return json.loads(jiju("list", "hook", "--json"))["status"]

    try:
        start([os.path.join(bindir, "services", "notification", "jiju-notification"),
               "--set", "data_dir=" + os.path.join(work, "notification"),
               "--set", "events.endpoint=" + src_ep, "--set", "deliveries.endpoint=" + deliv_ep,
               "--set", "admin.endpoint=" + admin_ep,
               "--set", "subscriptions_file=" + os.path.join(SRC, "deploy/config/subscriptions.json"),
               # the first failure parks the event: no retries, never disabled
               "--set", "webhook.horizon_ms=0", "--set", "webhook.disable_after=1000000",
               "--set", "webhook.tick_ms=5"], "notification")
        wait_until(lambda: subprocess.run(
            [os.path.join(bindir, "cli", "jiju"), "subscription", "list", "--endpoint", admin_ep,
             "--timeout-ms", "300"], capture_output=True).returncode == 0, 20, "notification up")
        url = "http://127.0.0.1:%d/jiju" % httpd.server_address[1]
        jiju("add", "hook", "--url", url, "--secret", "s3cret-for-test", "--type", "RankingUpdated")
        start([os.path.join(bindir, "tests", "event_source"), src_ep,
               os.path.join(work, "source"), str(6 * RANKINGS), "30", "20", "30", str(ENTRIES)],
              "source")
        wait_until(lambda: int(status().get("dead_letters", 0)) == RANKINGS, 120,
                   "%d dead letters" % RANKINGS)

        out = jiju("dead-letters", "hook", "--json")  # every page, merged
        letters = [json.loads(x) for x in out.splitlines()]
        assert len(out) > 3 * (4 << 20), len(out)  # JSON; the protobuf is ~12 MB
        assert [int(d["seq"]) for d in letters] == list(range(1, RANKINGS + 1)), \
            [d["seq"] for d in letters]
        assert all(d["type"] == "jiju.v1.RankingUpdated" and d["last_error"] == "HTTP 500"
                   for d in letters)
        assert len({d["event_id"] for d in letters}) == RANKINGS
        text = jiju("dead-letters", "hook")
        assert text.endswith("%d dead letters\n" % RANKINGS), text[-200:]
        text = jiju("dead-letters", "hook", "--limit", "3")
        assert text.count("seq=") == 3 and text.endswith(
            "3 of %d dead letters (the oldest)\n" % RANKINGS), text
        # every subscription, in id order, through the same pages
        subs = [json.loads(x)["subscription"]["id"] for x in jiju("list", "--json").splitlines()]
        assert subs == sorted(subs) and "hook" in subs and len(subs) == 20, subs

        assert "%d dead letters queued again" % RANKINGS in jiju("redeliver", "hook")
        print("OK: %d dead letters (%d bytes of JSON) read in pages by the CLI" %
              (len(letters), len(out)))
        ok = True
    finally:
        finish(procs, httpd, work, ok)


if __name__ == "__main__":
    main()
