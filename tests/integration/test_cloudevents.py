#!/usr/bin/python3
"""Every event Jiju shows as JSON is a CloudEvent that the official SDKs
accept, checked on a real stack (issue 11, "Not CloudEvents").

1. The npm packages `cloudevents` (the CloudEvents JavaScript SDK) and
   `standardwebhooks` (the Standard Webhooks verifier) are installed into
   BUILD_DIR/npm-conformance from tests/integration/conformance/package.json
   (skipped when already there at those versions).
2. The four services run; two webhook subscriptions point at an HTTP endpoint
   in this process: hook-whsec (every event, a whsec_ secret) and hook-raw
   (--type AwardGranted --type jiju.v1.PeriodClosed: short and full names,
   a raw secret).
3. The demo clusters are registered, 2022 reported through `jiju submit` and
   closed with `jiju period close`: registrations, period, report, target,
   ranking, award and overdue events, city-wide and per cluster.
4. `jiju tail --subscriber fgw` prints every event fgw holds; every line and
   every webhook POST (body and headers) goes to validate_events.js, which
   parses each with the SDK, verifies each signature with the Standard
   Webhooks verifier and checks the attribute naming rule.
5. jijuseq is each subscriber's own sequence, 1, 2, 3, ... in tail and in
   each webhook's POSTs; the same event reads the same in tail and in a
   webhook (all attributes but jijuseq), and its data parses with
   google.protobuf.json_format into the message its type names.
6. `jiju archive query --type AwardGranted` finds what the full name finds,
   and an unknown type is refused with exit 2.

usage: test_cloudevents.py BUILD_DIR
"""
import base64
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jiju_harness as h  # noqa: E402

DATA = os.path.join(HERE, "data")
CONFORMANCE = os.path.join(HERE, "conformance")
WHSEC = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
RAW = "raw-secret-for-the-test"


def npm_install(build):
    """The SDKs under BUILD/npm-conformance, at the versions package.json pins."""
    npm = shutil.which("npm")
    assert npm and shutil.which("node"), "node and npm are needed (deploy/install-deps.sh)"
    d = os.path.join(os.path.abspath(build), "npm-conformance")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(CONFORMANCE, "package.json")) as f:
        want = json.load(f)["dependencies"]

    def have(name):
        try:
            with open(os.path.join(d, "node_modules", name, "package.json")) as f:
                return json.load(f)["version"]
        except OSError:
            return None
    shutil.copy(os.path.join(CONFORMANCE, "package.json"), d)
    if any(have(n) != v for n, v in want.items()):
        t0 = time.monotonic()
        subprocess.run([npm, "install", "--no-package-lock", "--no-audit", "--no-fund",
                        "--loglevel=error"], cwd=d, check=True, timeout=300)
        print(f"npm install: {time.monotonic() - t0:.1f} s", flush=True)
    return d


class Endpoint(http.server.BaseHTTPRequestHandler):
    hits = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with Endpoint.lock:
            Endpoint.hits.append((self.path, headers, body.decode("utf-8")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def cli(stack, *args, check=True, timeout=60):
    env = dict(os.environ, JIJU_INGEST=",".join(stack.ingest_eps),
               JIJU_ASSESSMENT_QUERY=stack.ep["assessment_query"],
               JIJU_ARCHIVE=stack.ep["archive_query"], JIJU_NOTIFY_ADMIN=stack.ep["notify_admin"],
               JIJU_DELIVERIES=stack.ep["deliveries"])
    r = subprocess.run([f"{h.BIN}/cli/jiju", *args], capture_output=True, text=True, env=env,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"jiju {' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def last_seq(stack, sub_id):
    info = json.loads(cli(stack, "subscription", "list", sub_id, "--json").stdout.splitlines()[0])
    return int(info["status"].get("last_seq", 0)), int(info["status"].get("acked_seq", 0))


def settled(stack, ids, quiet_s=1.5, timeout=60):
    """Wait until every subscriber's last_seq stops moving and its webhook,
    if any, has delivered all of it."""
    deadline = time.monotonic() + timeout
    prev = None
    while time.monotonic() < deadline:
        now = {i: last_seq(stack, i) for i in ids}
        hooks_done = all(a == l for i, (l, a) in now.items() if i.startswith("hook-"))
        if now == prev and hooks_done:
            return {i: l for i, (l, _) in now.items()}
        prev = now
        time.sleep(quiet_s)
    raise AssertionError(f"subscribers did not settle: {prev}")


def records(stack, *filters):
    r = cli(stack, "archive", "query", *filters, "--all")
    return int(r.stderr.split("records=")[1].split()[0])


def produce_events(stack):
    cli(stack, "submit", os.path.join(DATA, "demo_clusters.json"))
    probe = h.Submitter(stack.ingest_eps)
    with open(os.path.join(DATA, "demo_clusters.json"), encoding="utf-8") as f:
        ids = [c["cluster"]["id"] for c in json.load(f) if c.get("command") == "register_cluster"]
    probe.wait_registry(ids)  # ingest follows assessment's events
    probe.close()
    cli(stack, "submit", os.path.join(DATA, "demo_reports_2022.json"))
    # every report applied before the close: assessment's ReportAccepted
    # events reach the archive
    h.wait_until(lambda: records(stack, "--type", "jiju.v1.ReportAccepted", "--stream", "events",
                                 "--period", "2022") == 12, 30, step=0.3,
                 what="assessment to apply the 12 reports of 2022")
    cli(stack, "period", "close", "2022")


def compare_tail_and_hooks(lines, hooks):
    """The same event, by id, has the same attributes in tail and webhook."""
    by_id = {}
    for line in lines:
        ev = json.loads(line)
        by_id[ev["id"]] = ev
    same = 0
    for _, _, body in hooks:
        ev = json.loads(body)
        t = by_id.get(ev["id"])
        if t is None:
            continue
        a = {k: v for k, v in t.items() if k != "jijuseq"}
        b = {k: v for k, v in ev.items() if k != "jijuseq"}
        assert a == b, f"tail and webhook differ for {ev['id']}:\n{a}\n{b}"
        same += 1
    return same


def check_data_mapping(lines):
    """data parses with protobuf's own JSON parser (google.protobuf.json_format,
    unknown fields refused) into the message its type names: what a Python or
    Java client does with JsonFormat."""
    from google.protobuf import json_format, symbol_database
    from jiju.v1 import envelope_pb2  # noqa: F401  (registers every message)
    db = symbol_database.Default()
    for line in lines:
        ev = json.loads(line)
        msg = db.GetSymbol(ev["type"])()
        json_format.ParseDict(ev.get("data", {}), msg)
        assert json.loads(json.dumps(ev.get("data", {}))) == ev.get("data", {})
    print(f"data of {len(lines)} events parsed by google.protobuf.json_format", flush=True)


def check_type_names(stack):
    n = [records(stack, "--type", t) for t in ("jiju.v1.AwardGranted", "AwardGranted")]
    assert n[0] > 0 and n[0] == n[1], f"records full={n[0]} short={n[1]}"
    bad = cli(stack, "archive", "query", "--type", "AwardGrantd", check=False)
    assert bad.returncode == 2 and "AwardGrantd" in bad.stderr, bad.stderr
    print(f"archive query --type: AwardGranted and jiju.v1.AwardGranted both records={n[0]}; "
          "an unknown type exits 2", flush=True)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    t0 = time.monotonic()
    npm_dir = npm_install(build)
    stack = h.Stack()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", h.PortBlock().take()), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    ok = False
    try:
        stack.start_all()
        cli(stack, "subscription", "add", "hook-whsec", "--url", url + "/whsec", "--secret", WHSEC)
        cli(stack, "subscription", "add", "hook-raw", "--url", url + "/raw", "--secret", RAW,
            "--type", "AwardGranted", "--type", "jiju.v1.PeriodClosed")
        produce_events(stack)
        seqs = settled(stack, ["fgw", "hook-whsec", "hook-raw"])
        n = seqs["fgw"]
        tail = cli(stack, "tail", "--subscriber", "fgw", "--from", "1", "--count", str(n),
                   "--timeout-ms", "15000")
        lines = [x for x in tail.stdout.splitlines() if x.strip()]
        assert len(lines) == n, f"tail printed {len(lines)} of {n}:\n{tail.stderr}"
        with Endpoint.lock:
            hooks = list(Endpoint.hits)
        raw = [x for x in hooks if x[0] == "/raw"]
        assert len(hooks) == seqs["hook-whsec"] + seqs["hook-raw"], (len(hooks), seqs)
        assert raw and all(json.loads(b)["type"] in ("jiju.v1.AwardGranted", "jiju.v1.PeriodClosed")
                           for _, _, b in raw), "hook-raw got what its short-name filter excludes"
        events = {"tail": lines,
                  "webhooks": [{"secret": WHSEC if p == "/whsec" else RAW,
                                "format": "whsec" if p == "/whsec" else "raw",
                                "headers": hd, "body": b} for p, hd, b in hooks]}
        path = os.path.join(stack.work, "events.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(events, f, ensure_ascii=False)
        r = subprocess.run(["node", os.path.join(CONFORMANCE, "validate_events.js"), path],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, NODE_PATH=os.path.join(npm_dir, "node_modules")))
        print(r.stdout[-6000:] + r.stderr[-2000:], flush=True)
        assert r.returncode == 0, "the CloudEvents SDK or the webhook verifier refused events"
        # jijuseq is each subscriber's own sequence (notification stamps it
        # behind the one stored copy of each event): 1..n for fgw in tail,
        # 1..m in POST order for each webhook subscription
        assert [json.loads(x)["jijuseq"] for x in lines] == [str(i) for i in range(1, n + 1)]
        for p, sub in (("/whsec", "hook-whsec"), ("/raw", "hook-raw")):
            got = [json.loads(b)["jijuseq"] for q, _, b in hooks if q == p]
            assert got == [str(i) for i in range(1, seqs[sub] + 1)], (sub, got)
        same = compare_tail_and_hooks(lines, hooks)
        assert same >= seqs["hook-whsec"], f"only {same} webhook events matched a tail line"
        print(f"tail and webhook agree on {same} events", flush=True)
        check_data_mapping(lines)
        check_type_names(stack)
        ok = True
        print(f"OK: {len(lines)} tail lines and {len(hooks)} webhooks conform "
              f"({time.monotonic() - t0:.1f} s)")
    finally:
        server.shutdown()
        if not ok:
            for name in ("notification", "assessment"):
                print(f"--- {name} log ---\n" + stack.logs(name), file=sys.stderr)
        stack.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
