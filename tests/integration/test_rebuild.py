#!/usr/bin/python3
"""Rebuild equivalence (issue 6): a two-period scenario with corrections
(higher revisions), an elimination, top-ranked awards and a provincial
award runs on the real services; then assessment is rebuilt from the
archive alone into an empty store. The rebuilt rankings, awards, cluster
states and events are identical to the originals.

usage: test_rebuild.py BUILD_DIR
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

CLUSTERS = ["RB-A", "RB-B", "RB-C", "RB-D", "RB-E", "RB-F"]


query = h.assess_query


def archive_newest(stack, stream):
    """Source sequence of the newest record the archive holds from `stream`."""
    from jiju.v1 import archive_pb2
    raw = h.request(stack.ep["archive_query"],
                    archive_pb2.ArchiveQueryRequest(request_id="newest", stream=stream, limit=1,
                                                    order=archive_pb2.NEWEST_FIRST,
                                                    omit_envelope=True).SerializeToString(),
                    wait_ms=10000)
    assert raw is not None, "archive query timed out"
    rep = archive_pb2.ArchiveQueryReply()
    rep.ParseFromString(raw)
    assert rep.ok, rep.error
    return rep.records[0].source_seq if rep.records else 0


def snapshot(stack):
    """Everything a department could see: rankings, clusters, decisions."""
    from jiju.v1 import query_pb2
    ep = stack.ep["assessment_query"]
    snap = {}
    for p in ("2022", "2023"):
        rep = query(ep, get_ranking=query_pb2.GetRanking(period=p))
        assert rep.final, f"{p} should be closed"
        snap[p] = [e.SerializeToString() for e in rep.ranking]
        # the figures each close froze (issue 11.5): the rebuild freezes the same
        rep = query(ep, get_targets=query_pb2.GetTargets(year=int(p)))
        assert rep.targets_frozen, f"{p} targets not frozen"
        snap[f"targets {p}"] = rep.targets.SerializeToString()
    rep = query(ep, list_clusters=query_pb2.ListClusters())
    snap["clusters"] = sorted((c.id, c.status, c.level) for c in rep.clusters)
    tail = h.StreamTail(stack.ep["assessment_stream"], "events", f"it-rebuild-{time.time()}")
    events, quiet = [], time.monotonic()
    while time.monotonic() - quiet < 2.0:
        got = tail.poll(200)
        if got:
            quiet = time.monotonic()
            events.extend(got)
    tail.close()
    snap["events"] = [(s, e.SerializeToString()) for s, e in events]
    snap["decisions"] = sorted(
        (e.WhichOneof("body"), e.subject, e.period) for _, e in events
        if e.WhichOneof("body") in ("award_granted", "cluster_eliminated",
                                    "elimination_warning", "nomination_recommended"))
    return snap


def scenario(stack, sub):
    regs = [h.register_request(c, f"重建测试{c}", category=1 + i % 3) for i, c in enumerate(CLUSTERS)]
    assert all(r.status == 1 for r in sub.submit_all(regs).values())
    sub.wait_registry(CLUSTERS)  # ingest follows assessment's events
    reqs = [h.command_request("open_period", period="2022")]
    money = {"RB-A": 9, "RB-B": 7, "RB-C": 5, "RB-D": 4, "RB-E": 0.5}
    for c, yi in money.items():   # yi: revenue in 亿 yuan
        reqs.append(h.report_request(f"{c}-2022-1", c, "2022", 1, int(yi * 1e10),
                                     enterprises=40 if c != "RB-E" else 5,
                                     employment=1500 if c != "RB-E" else 100))
    # corrections: a higher revision wins, in either direction
    reqs.append(h.report_request("RB-A-2022-2", "RB-A", "2022", 2, int(3e10)))
    reqs.append(h.report_request("RB-C-2022-2", "RB-C", "2022", 2, int(8e10)))
    for r in sub.submit_all(reqs).values():
        assert r.status == 1, r
    time.sleep(1.0)
    sub.submit_all([h.command_request("close_period", period="2022")])
    time.sleep(0.5)
    reqs = [h.command_request("open_period", period="2023")]
    for c, yi in {"RB-A": 6, "RB-B": 8, "RB-C": 5, "RB-D": 9}.items():  # E and F miss it
        reqs.append(h.report_request(f"{c}-2023-1", c, "2023", 1, int(yi * 1e10)))
    reqs.append(h.report_request("RB-D-2023-2", "RB-D", "2023", 2, int(2e10)))
    reqs.append(h.command_request("record_recognition", cluster_id="RB-B", document="省发改"))
    for r in sub.submit_all(reqs).values():
        assert r.status == 1, r
    time.sleep(1.0)
    sub.submit_all([h.command_request("close_period", period="2023")])


def main():
    stack = h.Stack()
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=50)
        scenario(stack, sub)
        h.wait_until(lambda: query(stack.ep["assessment_query"],
                                   get_ranking=__import__("jiju.v1.query_pb2", fromlist=["x"])
                                   .GetRanking(period="2023")).final, 30, what="2023 closed")
        before = snapshot(stack)
        # the rebuild reads the archive alone: it must hold every input and event
        last_event = before["events"][-1][0]
        last_input = max(r.seq for r in sub.replies.values() if r.status == 1)
        h.wait_until(lambda: archive_newest(stack, "events") == last_event and
                     archive_newest(stack, "reports") == last_input, 30,
                     what=f"archive holds events 1..{last_event} and inputs 1..{last_input}")
        kinds = [d[0] for d in before["decisions"]]
        assert "award_granted" in kinds and "cluster_eliminated" in kinds, before["decisions"]
        stack.stop_all()

        a = stack.procs["assessment"]
        rebuilt_dir = os.path.join(stack.work, "assessment-rebuilt")
        argv = [x if not x.startswith("data_dir=") else f"data_dir={rebuilt_dir}" for x in a.argv]
        r = subprocess.run(argv + ["--rebuild-from-archive", os.path.join(stack.work, "archive")],
                           capture_output=True, text=True, timeout=300)
        print(r.stderr[-2000:])
        assert r.returncode == 0 and "result=identical" in r.stderr, "rebuild refused"

        a.argv = argv
        a.start()
        for _ in range(50):
            try:
                query(stack.ep["assessment_query"], ping={})
                break
            except AssertionError:
                time.sleep(0.1)
        after = snapshot(stack)
        for key in ("2022", "2023", "targets 2022", "targets 2023", "clusters", "decisions"):
            assert before[key] == after[key], f"rebuilt {key} differs"
        assert before["events"] == after["events"], "restored events log differs"
        # the rebuilt events log continues the incarnation its consumers hold
        # (taken from the archive): they follow it, and what comes next flows
        assert "event=rebuild_incarnation" in r.stderr, "rebuild took no incarnation"
        for name in ("archive", "notification", "ingest-1"):
            stack.procs[name].start()
        sub2 = h.Submitter(stack.ingest_eps, window=10)
        rep = sub2.submit_all([h.command_request("open_period", period="2025")])
        assert all(x.status == 1 for x in rep.values()), rep
        h.wait_until(lambda: archive_newest(stack, "events") > last_event, 30,
                     what="the archive to follow the rebuilt assessment's events")
        for name in ("archive", "notification", "ingest-1"):
            assert "E_STREAM_INCARNATION" not in stack.logs(name, 10**7), \
                f"{name} refused the rebuilt assessment"
        print(f"rebuilt: rankings 2022/2023, {len(before['clusters'])} clusters, "
              f"{len(before['decisions'])} decisions and {len(before['events'])} events identical",
              flush=True)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
