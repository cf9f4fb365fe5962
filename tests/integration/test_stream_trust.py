#!/usr/bin/python3
"""The durable stream trusts no one it need not (issue 10 #1-#3, #6, #8;
issue 11 #2), on the real services over real sockets. Each check first
does what broke before, then shows it changed nothing:

plain mode
  * a forged HELLO as ingest-1 (no incarnation, or another store's) is
    refused with E_STREAM_INCARNATION, and 5 garbage RECORDs at the seq
    assessment wants skip nothing (before: stream_record_skipped=5 and 5
    real reports gone); a forged new producer's garbage RECORD is refused
    with E_STREAM_BAD_RECORD;
  * a second ingest with the same instance id (its own data_dir) exits at
    start with event=instance_refused (before: both ran, 20 of 40 lost);
  * RESUME 2^63, ACK 10^15 and ACK 2^64-1 are refused and never stored: a
    later RESUME 0 still starts at seq 1;
  * a subscriber that acked 1..10 and re-reads from 7 gets 7.. again, and
    its stored ack stays 10 (before: rewound to 6; retention then deleted 7
    and queued EventsDropped 7-7);
CURVE
  * notification's and archive's service keys cannot produce on
    assessment's stream (E_STREAM_FORBIDDEN; before: notification's key
    pushed a report and a command that were applied);
  * a subscriber key removed on SIGHUP loses its open session within a
    heartbeat (E_STREAM_REVOKED; before: 15 more deliveries).

usage: test_stream_trust.py BUILD_DIR
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

HEARTBEAT_MS = 200  # the harness runs every service with stream.heartbeat_ms=200


class Raw:
    """A raw DEALER speaking stream frames, to misbehave on purpose."""

    def __init__(self, endpoint, curve=None):
        self.s = zmq.Context.instance().socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        h.set_curve(self.s, curve)
        self.s.connect(endpoint)

    def send(self, **kw):
        from jiju.v1 import stream_pb2
        self.s.send(stream_pb2.StreamFrame(**kw).SerializeToString())

    def hello(self, peer_id, producer, stream, **inc):
        from jiju.v1 import stream_pb2
        self.send(hello=stream_pb2.Hello(
            peer_id=peer_id, role=stream_pb2.PRODUCER if producer else stream_pb2.CONSUMER,
            stream=stream, protocol_version=2, **inc))

    def resume(self, next_seq, credit=100):
        from jiju.v1 import stream_pb2
        self.send(resume=stream_pb2.Resume(next_seq=next_seq, credit=credit))

    def ack(self, seq):
        from jiju.v1 import stream_pb2
        self.send(ack=stream_pb2.Ack(seq=seq))

    def record(self, seq, data):
        from jiju.v1 import stream_pb2
        self.send(record=stream_pb2.Record(seq=seq, envelope=data))

    def expect(self, kind, timeout=5.0):
        """The next frame of `kind` (others skipped), or None in time."""
        from jiju.v1 import stream_pb2
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.s.poll(max(1, int((end - time.monotonic()) * 1000))):
                continue
            f = stream_pb2.StreamFrame()
            f.ParseFromString(self.s.recv())
            if f.WhichOneof("kind") == kind:
                return f
        return None

    def error_code(self, timeout=5.0):
        f = self.expect("error", timeout)
        return f.error.code if f else None

    def records(self, n, timeout=5.0):
        out = []
        while len(out) < n:
            f = self.expect("record", timeout)
            if not f:
                break
            out.append(f.record.seq)
        return out

    def close(self):
        self.s.close()


def consumer(endpoint, peer_id, stream, next_seq, curve=None):
    r = Raw(endpoint, curve)
    r.hello(peer_id, False, stream)
    assert r.expect("hello"), f"{stream}: no HELLO from the producer"
    r.resume(next_seq)
    return r


def reports_applied(stack, ids, timeout=60):
    """Wait until assessment's events hold a ReportAccepted for every id."""
    tail = h.StreamTail(stack.ep["assessment_stream"], "events", f"it-{uuid.uuid4().hex[:8]}")
    seen = set()

    def done():
        for _, env in tail.poll(100):
            if env.WhichOneof("body") == "report_accepted":
                seen.add(env.report_accepted.report.report_id)
        return set(ids) <= seen
    try:
        h.wait_until(done, timeout, what=f"assessment to apply {sorted(set(ids) - seen)[:5]}")
    finally:
        tail.close()


def submit_reports(sub, prefix, clusters, period):
    reqs = [h.report_request(f"{prefix}-{c}", c, period) for c in clusters]
    replies = sub.submit_all(reqs)
    assert all(replies[r.request_id].status == 1 for r in reqs), replies
    return [r.report.report_id for r in reqs]


def setup(stack, sub, clusters):
    regs = sub.submit_all(h.register_request(c, f"集聚区{c}") for c in clusters)
    assert all(r.status == 1 for r in regs.values()), regs
    sub.wait_registry(clusters)


# ---- plain ----

def check_forged_producer(stack, sub, clusters):
    ep = stack.ep["assessment_stream"]
    r = Raw(ep)
    r.hello("ingest-1", True, "reports")  # no incarnation at all
    assert r.error_code() == "E_STREAM_INCARNATION"
    r.close()
    r = Raw(ep)
    r.hello("ingest-1", True, "reports", store_id=str(uuid.uuid4()), epoch=99, first_seq=1,
            last_seq=10**6)
    assert r.error_code() == "E_STREAM_INCARNATION"
    for seq in range(1, 200):  # garbage at any seq assessment might want next
        r.record(seq, b"\x08\x96\x01garbage")
    r.close()
    r = Raw(ep)  # a producer id nobody holds: its garbage is refused, not skipped
    r.hello("ingest-9", True, "reports", store_id=str(uuid.uuid4()), epoch=1, first_seq=1,
            last_seq=5)
    assert r.expect("resume"), "a fresh producer id gets RESUME"
    r.record(1, b"\xff\xff garbage")
    assert r.error_code() == "E_STREAM_BAD_RECORD"
    r.close()
    ids = submit_reports(sub, "FORGED-AFTER", clusters, "2023")
    reports_applied(stack, ids)
    log = stack.logs("assessment", 10**7)
    assert "stream_record_skipped" not in log, "a record was skipped"
    assert "event=stream_refused" in log and "code=E_STREAM_INCARNATION" in log
    print(f"forged HELLO as ingest-1 refused (E_STREAM_INCARNATION), 199 garbage RECORDs and a "
          f"forged producer's (E_STREAM_BAD_RECORD) changed nothing: the next {len(ids)} real "
          f"reports applied", flush=True)


def check_same_id_replica(stack, sub, clusters):
    real = stack.procs["ingest-1"]
    argv = [a for a in real.argv]
    for i, a in enumerate(argv):
        if a.startswith("data_dir="):
            argv[i] = f"data_dir={stack.work}/ingest-1-twin"
        elif a.startswith("submit.endpoint="):
            argv[i] = f"submit.endpoint=tcp://127.0.0.1:{stack.base + 15}"
    twin = h.Proc("ingest-1-twin", argv, os.path.join(stack.work, "ingest-1-twin.log"), stack.env)
    t0 = time.monotonic()
    twin.start()
    try:
        twin.p.wait(20)
    except subprocess.TimeoutExpired:
        twin.kill9()
        raise AssertionError("a second ingest-1 kept running")
    took = time.monotonic() - t0
    text = open(twin.logpath, errors="replace").read()
    assert twin.p.returncode != 0 and "event=instance_refused" in text, text[-2000:]
    assert real.alive(), "the real ingest-1 died"
    ids = submit_reports(sub, "AFTER-TWIN", clusters, "2022")
    reports_applied(stack, ids)
    print(f"a second ingest-1 (own data_dir) exited {twin.p.returncode} after {took:.2f}s with "
          f"event=instance_refused; the real one goes on", flush=True)


def check_ack_resume_beyond_log(stack):
    ep = stack.ep["assessment_stream"]
    r = consumer(ep, "it-evil", "events", 2**63)
    assert r.error_code() == "E_STREAM_BEYOND_LOG"
    r.close()
    for bad in (10**15, 2**64 - 1):
        r = consumer(ep, "it-evil", "events", 1)
        assert r.records(3), "no records"
        r.ack(bad)
        assert r.error_code() == "E_STREAM_BAD_ACK", bad
        r.close()
    time.sleep(0.3)
    r = consumer(ep, "it-evil", "events", 0)  # "after my stored ack": nothing was stored
    got = r.records(1)
    r.close()
    assert got == [1], got
    print("RESUME 2^63, ACK 10^15, ACK 2^64-1 refused; RESUME 0 still starts at seq 1", flush=True)


def check_reread_keeps_ack(stack):
    ep = stack.ep["deliveries"]
    r = consumer(ep, "fgw", "deliveries", 1)
    got = r.records(10)
    assert got == list(range(1, 11)), got
    r.ack(10)
    time.sleep(0.5)
    r.close()
    r = consumer(ep, "fgw", "deliveries", 7)  # re-read
    got = r.records(4)
    assert got == [7, 8, 9, 10], got
    r.ack(8)
    time.sleep(0.5)
    r.close()
    r = consumer(ep, "fgw", "deliveries", 0)
    got = r.records(1)
    r.close()
    assert got == [11], f"stored ack rewound: RESUME 0 starts at {got}"
    tail = h.StreamTail(ep, "deliveries", "fgw", from_seq=1)
    kinds = set()
    end = time.monotonic() + 2
    while time.monotonic() < end:
        kinds |= {env.WhichOneof("body") for _, env in tail.poll(100)}
    tail.close()
    assert "events_dropped" not in kinds, kinds
    print("fgw acked 1..10, re-read from 7: stored ack stays 10, nothing dropped", flush=True)


def plain():
    stack = h.Stack()
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=50)
        clusters = [f"ST{i:02d}" for i in range(6)]
        setup(stack, sub, clusters)
        reports_applied(stack, submit_reports(sub, "BASE", clusters, "2024"))
        check_forged_producer(stack, sub, clusters)
        check_same_id_replica(stack, sub, clusters)
        check_ack_resume_beyond_log(stack)
        check_reread_keeps_ack(stack)
        for p in stack.procs.values():
            assert p.alive(), f"{p.name} died"
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()


# ---- CURVE ----

ADMIN, FGW = h.client_keys(), h.client_keys()
CLIENTS = [{"public": ADMIN[0], "name": "drc-admin", "role": "admin"},
           {"public": FGW[0], "name": "fgw", "role": "subscriber", "subscriber": "fgw"}]


def service_curve(stack, server, key_name):
    with open(os.path.join(stack.work, "keys", f"{key_name}.key")) as f:
        pair = json.load(f)
    return (stack.public[server], pair["public"], pair["secret"])


def check_service_keys_only_follow(stack):
    ep = stack.ep["assessment_stream"]
    for key, peer, stream in (("notification", "ingest-1", "reports"),
                              ("notification", "assessment", "events"),
                              ("archive", "ingest-1", "reports"),
                              ("ingest", "archive", "reports")):
        r = Raw(ep, service_curve(stack, "assessment", key))
        r.hello(peer, True, stream, store_id=str(uuid.uuid4()), epoch=1, first_seq=1, last_seq=1)
        code = r.error_code()
        r.close()
        assert code == "E_STREAM_FORBIDDEN", (key, peer, stream, code)
    print("notification's, archive's (and ingest's, as another instance) service keys may not "
          "produce on assessment: E_STREAM_FORBIDDEN", flush=True)


def check_revocation(stack, sub, clusters):
    ep = stack.ep["deliveries"]
    curve = (stack.public["notification"], FGW[0], FGW[1])
    r = consumer(ep, "fgw", "deliveries", 1, curve)
    assert r.records(3), "fgw gets its deliveries"
    with open(stack.keys_file) as f:
        doc = json.load(f)
    doc["keys"] = [k for k in doc["keys"] if k["name"] != "fgw"]
    with open(stack.keys_file, "w") as f:
        json.dump(doc, f)
    while r.expect("record", 0.3):
        pass  # drain what is in flight
    t0 = time.monotonic()
    stack.procs["notification"].p.send_signal(signal.SIGHUP)
    f = r.expect("error", 5)
    took = time.monotonic() - t0
    assert f and f.error.code == "E_STREAM_REVOKED", f
    submit_reports(sub, "AFTER-REVOKE", clusters, "2023")
    late = r.expect("record", 1.5)
    assert late is None, f"a removed key still got seq {late.record.seq}"
    r.hello("fgw", False, "deliveries")
    assert r.error_code() == "E_STREAM_FORBIDDEN"
    r.close()
    assert took <= 1.0, f"revocation took {took:.3f}s"
    print(f"fgw's key removed on SIGHUP: its open session ended {took * 1000:.0f} ms later "
          f"(heartbeat {HEARTBEAT_MS} ms), no delivery after", flush=True)


def curve():
    stack = h.Stack(security=CLIENTS)
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=50,
                          curve=(stack.public["ingest"], ADMIN[0], ADMIN[1]))
        clusters = [f"SC{i:02d}" for i in range(4)]
        setup(stack, sub, clusters)
        submit_reports(sub, "BASE", clusters, "2024")
        check_service_keys_only_follow(stack)
        check_revocation(stack, sub, clusters)
        for p in stack.procs.values():
            assert p.alive(), f"{p.name} died"
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()


def main():
    plain()
    curve()
    print("PASS")


if __name__ == "__main__":
    main()
