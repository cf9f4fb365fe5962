#!/usr/bin/python3
"""The Python department system of docs/subscribing.md against the real
services (ingest, assessment, archive, notification from the build tree):

1. fgw (everything) and county-船营区 (its county only) run
   dept_subscriber.py as separate processes; clusters are registered and
   reports submitted through ingest.
2. fgw's process is killed with SIGKILL; more reports arrive; it restarts
   and resumes after its last processed event: in the end its events are
   numbered 1..N without gap or repeat and include those sent while it was
   down.
3. `jiju subscription add` creates a new filtered subscription (ReportAccepted
   in 龙潭区) that a third process then follows; `jiju subscription list`
   shows the cursors.

usage: python_subscriber_check.py BUILD_DIR
"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jiju_harness as h  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


class Dept:
    """One department system: dept_subscriber.py in its own process."""

    def __init__(self, stack, sub_id):
        self.stack, self.id = stack, sub_id
        w = stack.work
        self.out = os.path.join(w, f"dept-{sub_id}.jsonl")
        self.argv = [PY, os.path.join(HERE, "dept_subscriber.py"),
                     "--endpoint", stack.ep["deliveries"], "--id", sub_id,
                     "--state", os.path.join(w, f"dept-{sub_id}.state"), "--out", self.out,
                     "--proto-dir", os.path.join(w, "py")]
        self.log = os.path.join(w, f"dept-{sub_id}.log")
        self.p = None

    def start(self):
        with open(self.log, "ab") as log:
            self.p = subprocess.Popen(self.argv, stdout=log, stderr=log)

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            self.p.wait(10)

    def events(self):
        return lines(self.out)


def jiju(stack, *args):
    out = subprocess.run([f"{h.BIN}/cli/jiju", "subscription"] + list(args) +
                         ["--endpoint", stack.ep["notify_admin"]],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError(f"jiju subscription {args}: {out.returncode} {out.stderr}")
    return out.stdout


def count(evs, type_, subject=None):
    return sum(1 for e in evs if e["type"] == type_ and (subject is None or e["subject"] == subject))


def check_sequence(evs, who):
    seqs = [e["seq"] for e in evs]
    assert seqs == list(range(1, len(seqs) + 1)), f"{who}: sequence {seqs}"
    ids = [e["id"] for e in evs]
    assert len(ids) == len(set(ids)), f"{who}: repeated event ids"


def main():
    stack = h.Stack()
    depts = []
    ok = False
    try:
        stack.start_all()
        fgw, county = Dept(stack, "fgw"), Dept(stack, "county-船营区")
        depts += [fgw, county]
        fgw.start()
        county.start()
        sub = h.Submitter(stack.ingest_eps)
        sub.submit_all([h.register_request("JL-WL-001", "博宇物流园", category=1, county="船营区"),
                        h.register_request("JL-KJ-001", "科技创业园", category=4, county="龙潭区",
                                           industries=("软件",))])
        h.wait_until(lambda: count(fgw.events(), "jiju.v1.ClusterRegistered") == 2, 30,
                     what="fgw hears both registrations")
        sub.wait_registry(["JL-WL-001", "JL-KJ-001"])  # ingest follows assessment's events
        sub.submit_all([h.report_request("R1", "JL-WL-001", "2023-01"),
                        h.report_request("R2", "JL-KJ-001", "2023-01")])
        h.wait_until(lambda: count(fgw.events(), "jiju.v1.ReportAccepted") >= 2, 30,
                     what="fgw hears two reports")

        fgw.kill9()
        before = len(fgw.events())
        sub.submit_all([h.report_request("R3", "JL-WL-001", "2023-02"),
                        h.report_request("R4", "JL-KJ-001", "2023-02")])
        h.wait_until(lambda: count(county.events(), "jiju.v1.ReportAccepted") >= 2, 30,
                     what="county hears its reports while fgw is down")
        fgw.start()
        h.wait_until(lambda: count(fgw.events(), "jiju.v1.ReportAccepted") >= 4, 30,
                     what="fgw resumes and catches up")
        evs = fgw.events()
        check_sequence(evs, "fgw")
        assert len(evs) > before
        assert count(evs, "jiju.v1.ReportAccepted", "JL-WL-001") >= 2

        cev = county.events()
        check_sequence(cev, "county-船营区")
        assert cev and all(e["county"] == "船营区" for e in cev), cev
        assert count(cev, "jiju.v1.ClusterRegistered", "JL-WL-001") == 1
        assert count(cev, "jiju.v1.ReportAccepted", "JL-KJ-001") == 0

        jiju(stack, "add", "py-longtan", "--description", "龙潭区 reports",
             "--type", "ReportAccepted", "--county", "龙潭区")
        longtan = Dept(stack, "py-longtan")
        depts.append(longtan)
        longtan.start()
        time.sleep(0.5)
        sub.submit_all([h.report_request("R5", "JL-WL-001", "2023-03"),
                        h.report_request("R6", "JL-KJ-001", "2023-03")])
        h.wait_until(lambda: len(longtan.events()) >= 1, 30, what="py-longtan hears R6")
        h.wait_until(lambda: count(fgw.events(), "jiju.v1.ReportAccepted") >= 6, 30,
                     what="fgw hears R5 and R6")
        lev = longtan.events()
        assert [(e["type"], e["subject"]) for e in lev] == \
            [("jiju.v1.ReportAccepted", "JL-KJ-001")], lev

        listing = jiju(stack, "list")
        print(listing)
        assert "py-longtan" in listing and "county-船营区" in listing
        # Events may still be routing (a tick can publish more), so the
        # status and fgw's own count are compared once both have settled.
        seen = {}

        def status_matches():
            seen["info"] = json.loads(jiju(stack, "list", "fgw", "--json").splitlines()[0])
            seen["got"] = len(fgw.events())
            st = seen["info"]["status"]
            return int(st["last_seq"]) == seen["got"] == int(st["acked_seq"])
        h.wait_until(status_matches, 30, what="fgw status last_seq and acked_seq match its deliveries")
        check_sequence(fgw.events(), "fgw")
        sub.close()
        ok = True
        print("OK: Python department systems subscribed, acked, resumed")
    finally:
        for d in depts:
            d.stop()
        if not ok:
            for name in ["notification", "assessment"]:
                if os.path.exists(stack.procs[name].logpath):
                    print(f"--- {name} log ---\n" + stack.logs(name), file=sys.stderr)
            for d in depts:
                if os.path.exists(d.log):
                    print(f"--- {d.id} ---\n" + open(d.log).read()[-2000:], file=sys.stderr)
        stack.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
