#!/usr/bin/python3
"""A department's events over HTTP, on a real stack: the Server-Sent Events
feed is read, the portal is killed (-9) in the middle, events keep coming
while it is down, and the feed resumed with Last-Event-ID on the restarted
portal gives every event exactly once (no gap, no event id twice); without
Last-Event-ID it resumes after the cursor notification stored for the
subscriber; the long-poll form agrees; a newer feed ends an older one."""
import json
import sys
import time

from jiju_harness import Submitter, command_request, wait_until
from portal_harness import PortalStack, check, verdict


class SSE:
    """A Server-Sent Events client on http.client (what any HTTP library does)."""

    def __init__(self, p, user, last_id=None, after=None):
        h = {"Authorization": f"Bearer {p.tokens[user]}", "Accept": "text/event-stream"}
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        self.c = p.conn()
        self.c.timeout = 10
        self.c.request("GET", "/api/v1/events/stream" + (f"?after={after}" if after else ""),
                       headers=h)
        self.r = self.c.getresponse()
        self.status = self.r.status

    def events(self, quiet=2.0, limit=None):
        """(id, type, CloudEvent) until `limit` events or `quiet` seconds with
        keep-alive comments only."""
        out, ev, last = [], {}, time.monotonic()
        while limit is None or len(out) < limit:
            line = self.r.readline()
            if not line:
                break  # the portal ended the response
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                if time.monotonic() - last > quiet:
                    break
                continue
            if line == "":
                if "data" in ev:
                    out.append((int(ev["id"]), ev.get("event"), json.loads(ev["data"])))
                    last = time.monotonic()
                ev = {}
                continue
            k, _, v = line.partition(": ")
            ev[k] = v
        return out

    def close(self):
        self.c.close()


def main():
    p = PortalStack()
    try:
        p.start()
        p.load_demo()
        run(p)
    finally:
        p.cleanup()
    return verdict("feed")


def run(p):
    # ---- a first session reads part of fgw's sequence ----
    s = SSE(p, "fgw")
    check(s.status == 200 and "text/event-stream" in s.r.getheader("Content-Type"), "SSE opens", s.status)
    first = s.events(limit=30)
    ids = [i for i, _, _ in first]
    check(ids == list(range(1, 31)), "the first 30 events of fgw, seq 1..30 in order", ids)
    check(all(e["specversion"] == "1.0" and e["jijuseq"] == str(i) and t == e["type"]
              for i, t, e in first), "each one a CloudEvent whose jijuseq is the SSE id",
          first[:1])
    last = ids[-1]

    # ---- kill -9 the portal mid-feed; events go on while it is down ----
    p.portal.kill9()
    s.close()
    sub = Submitter(p.stack.ingest_eps)
    rep = sub.submit_all([command_request("open_period", period="2024")])
    sub.close()
    check(all(r.status == 1 for r in rep.values()), "2024 opened while the portal is down")
    p.start_portal()

    # ---- resume with Last-Event-ID on the restarted portal ----
    s = SSE(p, "fgw", last_id=last)
    rest = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rest += s.events(quiet=2.0)
        if any(t == "jiju.v1.PeriodOpened" and e["data"].get("period") == "2024" for _, t, e in rest):
            rest += s.events(quiet=1.0)  # whatever came with it
            break
    s.close()
    got = ids + [i for i, _, _ in rest]
    check(got == list(range(1, len(got) + 1)) and len(rest) > 10,
          f"resumed after {last}: seq {last + 1}..{got[-1]}, nothing lost or repeated", got[25:40])
    ce_ids = [e["id"] for _, _, e in first + rest]
    check(len(ce_ids) == len(set(ce_ids)), "no CloudEvent id twice across the restart")
    check(any(t == "jiju.v1.PeriodOpened" and e["data"].get("period") == "2024" for _, t, e in rest),
          "the event made while the portal was down arrived")

    # ---- without Last-Event-ID: after the cursor the feed acknowledged ----
    s = SSE(p, "fgw")
    again = s.events(limit=1)
    s.close()
    check(again and again[0][0] == last + 1,
          f"a feed without Last-Event-ID resumes after notification's stored cursor ({last})",
          again[:1])

    # ---- long-poll agrees ----
    top = got[-1]
    r = p.request("GET", f"/api/v1/events?after={top - 5}&limit=100&wait=2", user="fgw").json()
    check([int(e["jijuseq"]) for e in r["events"]] == list(range(top - 4, top + 1)) and
          r["next_after"] == top, "long-poll after N gives N+1.. and next_after", r)
    t0 = time.monotonic()
    r = p.request("GET", f"/api/v1/events?after={top}&wait=1", user="fgw").json()
    check(r["events"] == [] and r["next_after"] == top and time.monotonic() - t0 >= 0.9,
          "long-poll at the end waits, then answers empty", r)

    # ---- a department reads only its own events ----
    r = p.request("GET", "/api/v1/events?after=0&limit=1000&wait=2", user="czj").json()
    types = {e["type"] for e in r["events"]}
    check(r["subscriber"] == "czj" and types == {"jiju.v1.AwardGranted"},
          "czj (finance) gets only AwardGranted", types)

    # ---- a department system with nothing but an HTTP client, run twice ----
    import os
    import subprocess
    prog = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_department.py")
    cur, out = os.path.join(p.work, "tjj.cursor"), os.path.join(p.work, "tjj.jsonl")
    args = [sys.executable, prog, "--url", p.base_url, "--token", p.tokens["tjj"], "--cursor", cur,
            "--out", out, "--idle", "2"]
    subprocess.run(args, check=True, timeout=60)
    first_run = len(open(out).readlines())
    sub = Submitter(p.stack.ingest_eps)
    sub.submit_all([command_request("open_period", period="2025")])
    sub.close()
    subprocess.run(args, check=True, timeout=60)
    evs = [json.loads(line) for line in open(out)]
    seqs = [int(e["jijuseq"]) for e in evs]
    check(first_run > 0 and len(evs) > first_run and seqs == list(range(1, len(seqs) + 1)) and
          len({e["id"] for e in evs}) == len(evs) and
          {e["type"] for e in evs} <= {"jiju.v1.TargetProgress", "jiju.v1.ReportOverdue"},
          f"tjj followed over plain HTTP in two runs ({first_run} + {len(evs) - first_run} events, "
          "resumed from its cursor file, none twice, only its own types)", (first_run, seqs[:5]))

    # ---- a newer feed ends the older ----
    a = SSE(p, "czj", last_id=0)
    a.events(limit=1)
    b = SSE(p, "czj", last_id=0)
    t0 = time.monotonic()
    tail = a.events(quiet=10)
    check(time.monotonic() - t0 < 8, "the older feed of czj ends when a newer one opens",
          time.monotonic() - t0)
    check(len(b.events(limit=2)) == 2, "the newer feed goes on")
    a.close()
    b.close()
    check(p.portal.alive(), "the portal is still running")


if __name__ == "__main__":
    sys.exit(main())
