#!/usr/bin/python3
"""notify_fanout - notification under load, with real processes and sockets.

A real producer (event_source, serving an "events" log like assessment's)
emits 5,000 events; notification follows it with 100 subscriptions of
different filters (seeded from a generated subscriptions file); 100
department subscribers (dept_subscriber.Subscriber, in this process) consume
their deliveries. 10 of them stop for a while and come back; notification is
killed with SIGKILL during delivery and restarted. At the end every
subscriber must hold exactly the events its filters match, in the
producer's order, each once; every event received twice (an ACK lost in the
kill) must carry the same id under the same sequence.

    notify_fanout.py BUILD_DIR [--subscribers N] [--events N] [--no-kill]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("JIJU_SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import dept_subscriber  # noqa: E402

COUNTIES = ["昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"]
TYPES = ["jiju.v1.AwardGranted", "jiju.v1.TargetProgress", "jiju.v1.ReportOverdue",
         "jiju.v1.EliminationWarning", "jiju.v1.NominationRecommended", "jiju.v1.PeriodClosed"]
CATEGORIES = ["LOGISTICS", "BUSINESS_SERVICES", "CULTURAL_CREATIVE", "TECH_STARTUP", "ECOMMERCE",
              "SERVICE_OUTSOURCING", "PRODUCT_MARKET", "LEISURE_TOURISM", "PRODUCTIVE_SERVICES"]


_ports = None


def free_port():
    """A port from a block claimed against other tests running in parallel."""
    global _ports
    if _ports is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import jiju_harness
        _ports = jiju_harness.PortBlock()
    return _ports.take()


def make_filters(i, rnd):
    """Subscriber i's filters: a mix of every kind, some empty (everything)."""
    kind = i % 6
    if kind == 0:
        return [] if i % 12 == 0 else [{"types": rnd.sample(TYPES, 2)}]
    if kind == 1:
        return [{"categories": rnd.sample(CATEGORIES, 1 + i % 3)}]
    if kind == 2:
        return [{"counties": [COUNTIES[i % 9]]}]
    if kind == 3:
        return [{"cluster_ids": ["C%03d" % ((i + k) % 40) for k in range(3)]}]
    if kind == 4:
        return [{"types": [TYPES[i % 6]], "counties": rnd.sample(COUNTIES, 3)}]
    return [{"categories": [CATEGORIES[i % 9]]}, {"types": [TYPES[(i + 1) % 6]]}]


def matches(filters, ev):
    """subscription.proto "Matching", written again from the contract."""
    if not filters:
        return True
    for f in filters:
        ok = (not f.get("types") or ev["type"] in f["types"]) and \
             (not f.get("categories") or (ev["category"] != 0 and
                                          CATEGORIES[ev["category"] - 1] in f["categories"])) and \
             (not f.get("counties") or ev["county"] in f["counties"]) and \
             (not f.get("cluster_ids") or ev["subject"] in f["cluster_ids"])
        if ok:
            return True
    return False


class Stack:
    def __init__(self, bindir, work, n_events):
        self.bindir, self.work, self.n_events = bindir, work, n_events
        self.src_ep = "tcp://127.0.0.1:%d" % free_port()
        self.deliv_ep = "tcp://127.0.0.1:%d" % free_port()
        self.admin_ep = "tcp://127.0.0.1:%d" % free_port()
        self.source = self.notif = None

    def start_source(self, batch=20, interval_ms=20):
        log = open(os.path.join(self.work, "source.log"), "ab")
        self.source = subprocess.Popen(
            [os.path.join(self.bindir, "tests", "event_source"), self.src_ep,
             os.path.join(self.work, "source"), str(self.n_events), str(batch), str(interval_ms),
             "40"], stdout=log, stderr=log)

    def start_notification(self, subs_file):
        log = open(os.path.join(self.work, "notification.log"), "ab")
        self.notif = subprocess.Popen(
            [os.path.join(self.bindir, "services", "notification", "jiju-notification"),
             "--set", "data_dir=" + os.path.join(self.work, "notification"),
             "--set", "events.endpoint=" + self.src_ep,
             "--set", "deliveries.endpoint=" + self.deliv_ep,
             "--set", "admin.endpoint=" + self.admin_ep,
             "--set", "subscriptions_file=" + subs_file,
             "--set", "stream.heartbeat_ms=300", "--set", "stream.timeout_ms=2000"],
            stdout=log, stderr=log)

    def kill_all(self):
        for p in (self.notif, self.source):
            if p and p.poll() is None:
                p.kill()
                p.wait()


def drive(subs, seconds_or_cond, poller_tick=0.05):
    """Run the subscribers' loop until cond() or the deadline."""
    deadline = time.monotonic() + (seconds_or_cond if isinstance(seconds_or_cond, (int, float))
                                   else 120)
    cond = seconds_or_cond if callable(seconds_or_cond) else (lambda: False)
    poller = zmq.Poller()
    last_timer = 0.0
    while time.monotonic() < deadline and not cond():
        socks = {s.sock: s for s in subs}
        for sock in socks:
            poller.register(sock, zmq.POLLIN)
        ready = dict(poller.poll(int(poller_tick * 1000)))
        for sock, s in socks.items():
            poller.unregister(sock)
            if sock in ready:
                s.on_readable()
        if time.monotonic() - last_timer >= 0.2:
            last_timer = time.monotonic()
            for s in subs:
                s.on_timer()
    return cond()


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bindir")
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--no-kill", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="notify_fanout.")
    stack = Stack(args.bindir, work, args.events)
    ok = False
    try:
        ok = run(args, work, stack)
    finally:
        stack.kill_all()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept for inspection: " + work, file=sys.stderr)
    sys.exit(0 if ok else 1)


def run(args, work, stack):
    pydir = os.path.join(work, "py")
    os.makedirs(pydir)
    protos = [os.path.join(SRC, "proto", "jiju", "v1", p)
              for p in sorted(os.listdir(os.path.join(SRC, "proto", "jiju", "v1")))]
    subprocess.check_call(["protoc", "-I", os.path.join(SRC, "proto"), "--python_out", pydir] +
                          protos)
    pb = dept_subscriber.import_protos(pydir)
    rnd = random.Random(20231114)
    specs = [{"id": "d%03d" % i, "filters": make_filters(i, rnd)} for i in range(args.subscribers)]
    subs_file = os.path.join(work, "subscriptions.json")
    with open(subs_file, "w") as f:
        json.dump({"subscriptions": specs}, f, ensure_ascii=False)

    ctx = zmq.Context()

    def sub(spec):
        sid = spec["id"]
        s = dept_subscriber.Subscriber(ctx, stack.deliv_ep, sid, os.path.join(work, sid + ".st"),
                                       os.path.join(work, sid + ".jsonl"), pb, credit=100,
                                       heartbeat_s=0.3, timeout_s=2.0,
                                       raw_path=os.path.join(work, sid + ".raw"), fsync=False,
                                       resume_from_ack=int(sid[1:]) % 2 == 1)
        s.connect()
        return s

    stack.start_source()
    stack.start_notification(subs_file)
    checker = dept_subscriber.Subscriber(ctx, stack.src_ep, "checker",
                                         os.path.join(work, "checker.st"),
                                         os.path.join(work, "checker.jsonl"), pb, stream="events",
                                         heartbeat_s=0.3, timeout_s=2.0, fsync=False)
    checker.connect()
    live = [sub(s) for s in specs]
    stopped_ids = [s["id"] for s in specs[5:15]]  # ten of them go away for a while

    drive(live + [checker], lambda: checker.applied >= args.events // 5)
    for s in [x for x in live if x.sub_id in stopped_ids]:
        s.close()
    live = [x for x in live if x.sub_id not in stopped_ids]
    print("stopped 10 subscribers at event %d" % checker.applied, file=sys.stderr)

    drive(live + [checker], lambda: checker.applied >= args.events // 2)
    if not args.no_kill:
        stack.notif.send_signal(signal.SIGKILL)
        stack.notif.wait()
        print("notification killed at event %d" % checker.applied, file=sys.stderr)
        drive(live + [checker], 0.5)
        stack.start_notification(subs_file)

    drive(live + [checker], lambda: checker.applied >= args.events)
    live += [sub(s) for s in specs if s["id"] in stopped_ids]
    print("restarted the 10", file=sys.stderr)

    events = read_lines(os.path.join(work, "checker.jsonl"))
    if len(events) != args.events:
        print("FAIL: checker saw %d of %d events" % (len(events), args.events), file=sys.stderr)
        return False
    expected = {s["id"]: [e["id"] for e in events if matches(s["filters"], e)] for s in specs}
    by_id = {s.sub_id: s for s in live}

    def all_done():
        return all(by_id[sid].applied >= len(expected[sid]) for sid in expected)

    drive(live + [checker], all_done)
    for s in live + [checker]:
        s.close()
    return verify(work, specs, expected)


def verify(work, specs, expected):
    ok, total, dups = True, 0, 0
    for spec in specs:
        sid = spec["id"]
        got = [e["id"] for e in read_lines(os.path.join(work, sid + ".jsonl"))]
        seqs = [e["seq"] for e in read_lines(os.path.join(work, sid + ".jsonl"))]
        total += len(got)
        if got != expected[sid] or seqs != list(range(1, len(got) + 1)):
            ok = False
            print("FAIL %s: got %d events, expected %d; first difference at %s" % (
                sid, len(got), len(expected[sid]),
                next((i for i, (a, b) in enumerate(zip(got, expected[sid])) if a != b),
                     min(len(got), len(expected[sid])))), file=sys.stderr)
        first_id = {}
        with open(os.path.join(work, sid + ".raw")) as f:
            for line in f:
                seq, eid = line.split()
                if seq in first_id:
                    dups += 1
                    if first_id[seq] != eid:
                        ok = False
                        print("FAIL %s: seq %s came as %s and as %s" % (sid, seq, first_id[seq],
                                                                          eid), file=sys.stderr)
                first_id.setdefault(seq, eid)
    print("%s: %d subscribers, %d deliveries, %d redelivered duplicates (same id)" % (
        "OK" if ok else "FAIL", len(specs), total, dups), file=sys.stderr)
    return ok


if __name__ == "__main__":
    main()
