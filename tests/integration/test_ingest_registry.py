#!/usr/bin/python3
"""What an ingest replica knows to validate a report, on real processes:
the registry, eliminations, closed periods, the last revision and revenue
of each cluster's period. Ingest holds these in memory, written through to
its store (services/ingest/ingest_state.c), so this checks what that must
keep: a replica learns what another replica accepted and what assessment
decided only from assessment's events, and after kill -9 (its log trimmed
as acknowledged) a replica answers from what it loaded from its store, not
from a replay: its events cursor is past those events.

Every question is a dry run (validate_only), so asking writes nothing.

usage: test_ingest_registry.py BUILD_DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

REV_FEN = 100_000_000


def dry(ep, req):
    """The dry run's (status, codes) from replica endpoint ep."""
    from jiju.v1 import submit_pb2
    req.validate_only = True
    raw = h.request(ep, req.SerializeToString(), wait_ms=5000)
    assert raw is not None, f"no reply from {ep}"
    r = submit_pb2.SubmitReply()
    r.ParseFromString(raw)
    return r.status, {p.code for p in r.problems}


def expect(ep, what, req, code, timeout=30):
    """Wait until replica ep's dry run of req names code (learned from the
    events stream; at once when timeout is 0)."""
    seen = []

    def has():
        got = dry(ep, req)
        seen[:] = [got]
        return code in got[1]
    if timeout == 0:
        assert has(), f"{ep}: {what}: expected {code}, got {seen}"
        return
    h.wait_until(has, timeout, step=0.1, what=f"{ep}: {what} ({code}; last {seen})")


def same_batch(ep):
    """One report, then again, then with other content, sent back to back
    on one socket: read in one drain, they are one batch (one txn, which
    keeps no index of its writes): ACCEPTED, DUPLICATE of the same seq,
    CONFLICT."""
    import zmq
    from jiju.v1 import submit_pb2
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ep)
    reqs = [h.report_request("RG-B-2023-1", "RG-B", "2023", 1, REV_FEN),
            h.report_request("RG-B-2023-1", "RG-B", "2023", 1, REV_FEN),
            h.report_request("RG-B-2023-1", "RG-B", "2023", 1, REV_FEN * 2)]
    for i, req in enumerate(reqs):
        req.request_id = f"batch-{i}"
    for r in reqs:
        s.send(r.SerializeToString())
    got = {}
    while len(got) < 3:
        assert s.poll(5000), f"replies so far: {got}"
        r = submit_pb2.SubmitReply()
        r.ParseFromString(s.recv())
        got[r.request_id] = r
    s.close()
    assert got["batch-0"].status == 1, got
    assert got["batch-1"].status == 2 and got["batch-1"].seq == got["batch-0"].seq, got
    assert got["batch-2"].status == 3, got
    assert [p.code for p in got["batch-2"].problems] == ["E_CONFLICT"], got


def questions():
    """(what, request, the code that answers it)."""
    return [
        ("a revision another replica accepted",
         h.report_request("q-rev", "RG-A", "2023", 2, REV_FEN), "E_REVISION_NOT_HIGHER"),
        ("the revenue of the previous period",
         h.report_request("q-jump", "RG-A", "2024", 1, REV_FEN * 10), "W_REVENUE_JUMP"),
        ("a closed period",
         h.report_request("q-closed", "RG-B", "2022", 1, REV_FEN), "E_PERIOD_CLOSED"),
        ("an eliminated cluster",
         h.report_request("q-elim", "RG-C", "2023", 1, REV_FEN), "E_CLUSTER_ELIMINATED"),
        ("an unknown cluster",
         h.report_request("q-unknown", "RG-Z", "2023", 1, REV_FEN), "E_UNKNOWN_CLUSTER"),
    ]


def main():
    stack = h.Stack(ingest_replicas=2, ingest_args=[
        "--set", "log.trim_acked=true", "--set", "log.trim_interval_ms=200"])
    ok = False
    try:
        stack.start_all()
        one, two = stack.ingest_eps
        sub1 = h.Submitter([one], window=50)
        sub2 = h.Submitter([two], window=50)
        clusters = ["RG-A", "RG-B", "RG-C"]
        regs = sub1.submit_all(h.register_request(c, f"登记{c}") for c in clusters)
        assert all(r.status == 1 for r in regs.values()), regs
        sub1.wait_registry(clusters)
        sub2.wait_registry(clusters)
        # replica 1 accepts; replica 2 must learn it all from assessment
        for req in [h.command_request("open_period", period="2022"),
                    h.command_request("open_period", period="2023"),
                    h.report_request("RG-A-2023-1", "RG-A", "2023", 1, REV_FEN),
                    h.report_request("RG-A-2023-3", "RG-A", "2023", 3, REV_FEN),
                    h.report_request("RG-B-2022-1", "RG-B", "2022", 1, REV_FEN)]:
            got = list(sub1.submit_all([req]).values())[0]
            assert got.status == 1, got
        # replica 2 accepts some of its own, so it has a log to trim
        for i in range(20):
            got = list(sub2.submit_all([h.report_request(
                f"RG-C-2023-{i + 1}", "RG-C", "2023", i + 1, REV_FEN)]).values())[0]
            assert got.status == 1, got
        for req in [h.command_request("close_period", period="2022"),
                    h.command_request("eliminate_cluster", cluster_id="RG-C", reason="测试")]:
            got = list(sub1.submit_all([req]).values())[0]
            assert got.status == 1, got
        for ep in (one, two):
            for what, req, code in questions():
                expect(ep, what, req, code)
        same_batch(two)
        # replica 2's own revision, then its log trimmed (both consumers acked)
        expect(two, "its own revision", h.report_request("q-own", "RG-C", "2023", 20, REV_FEN),
               "E_REVISION_NOT_HIGHER", timeout=0)
        h.wait_until(lambda: "event=log_trimmed" in stack.logs("ingest-2", 100000), 30,
                     what="ingest-2 trimming its acknowledged log")
        sub1.close()
        sub2.close()
        for name in ("ingest-2", "ingest-1"):
            stack.procs[name].kill9()
            stack.procs[name].start()
        for ep in (one, two):
            for what, req, code in questions():
                expect(ep, f"after kill -9: {what}", req, code, timeout=0)
        expect(two, "after kill -9: its own revision",
               h.report_request("q-own", "RG-C", "2023", 20, REV_FEN), "E_REVISION_NOT_HIGHER",
               timeout=0)
        # and what is allowed still is: a higher revision, an open period
        status, codes = dry(two, h.report_request("q-ok", "RG-A", "2023", 4, REV_FEN))
        assert status == 6 and not codes, (status, codes)
        print("both replicas answered every registry question from the stream, and again at "
              "once after kill -9 with a trimmed log", flush=True)
        ok = True
    finally:
        stack.stop_all()
        if not ok:
            for name in ("ingest-1", "ingest-2"):
                print(f"--- {name} ---\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
