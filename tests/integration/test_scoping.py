#!/usr/bin/python3
"""Scoping by cluster (issue 10.5 and 10.7), with CURVE keys on real
processes:

  * report ids are scoped to their cluster: the reporter of SC-001 submits
    id R-SC2-2020 for its own cluster, then SC-002's real report with the
    same id is ACCEPTED (not CONFLICT), and assessment applies both; the
    same id with other content in the same cluster is still CONFLICT;
  * reads follow the key's role (docs/operations.md "Who reads what"):
    a reporter key reads only its own clusters from the archive and from
    assessment's queries, a subscriber (department) key reads its
    deliveries and nothing from the archive or assessment queries, admin
    and service keys read everything.

usage: test_scoping.py BUILD_DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import archive_check  # noqa: E402
import jiju_harness as h  # noqa: E402

ADMIN, REP1, REP2, DEPT = (h.client_keys() for _ in range(4))
CLIENTS = [
    {"public": ADMIN[0], "name": "drc-admin", "role": "admin"},
    {"public": REP1[0], "name": "sc-001-org", "role": "reporter", "clusters": ["SC-001"]},
    {"public": REP2[0], "name": "sc-002-org", "role": "reporter", "clusters": ["SC-002"]},
    {"public": DEPT[0], "name": "fgw", "role": "subscriber", "subscriber": "fgw"},
]


def curve(stack, service, pair):
    return (stack.public[service], pair[0], pair[1])


def submit(stack, pair, req):
    from jiju.v1 import submit_pb2
    raw = h.request(stack.ingest_eps[0], req.SerializeToString(), curve(stack, "ingest", pair))
    assert raw is not None, f"no reply to {req.request_id}"
    rep = submit_pb2.SubmitReply()
    rep.ParseFromString(raw)
    return rep


def check_report_ids(stack):
    for c in ("SC-001", "SC-002"):
        assert submit(stack, ADMIN, h.register_request(c, f"集聚区{c}")).status == 1
    probe = h.Submitter(stack.ingest_eps[:1], curve=curve(stack, "ingest", ADMIN))
    probe.wait_registry(["SC-001", "SC-002"])
    probe.close()
    squat = submit(stack, REP1, h.report_request("R-SC2-2020", "SC-001", "2020"))
    assert squat.status == 1, squat
    real = submit(stack, REP2, h.report_request("R-SC2-2020", "SC-002", "2020",
                                                revenue_fen=200_000_000))
    assert real.status == 1, f"SC-002's own report was refused: {real}"
    again = submit(stack, REP2, h.report_request("R-SC2-2020", "SC-002", "2020",
                                                 revenue_fen=200_000_000))
    assert again.status == 2 and again.seq == real.seq, again        # DUPLICATE
    other = submit(stack, REP2, h.report_request("R-SC2-2020", "SC-002", "2020",
                                                 revenue_fen=300_000_000))
    assert other.status == 3, other                                   # CONFLICT
    assert [(p.code, p.field, p.value) for p in other.problems] == [
        ("E_CONFLICT", "report.report_id", "R-SC2-2020")], other
    assert "SC-002" in other.problems[0].message_en, other.problems[0].message_en
    # assessment applied both reports: each is in the archive's events
    ep = stack.ep["archive_query"]
    got = {}

    def both():
        got.clear()
        for rec, env in archive_check.query_all(ep, stack.archive_curve,
                                                type="jiju.v1.ReportAccepted", stream="events",
                                                report_id="R-SC2-2020"):
            got[env.report_accepted.report.cluster_id] = env.report_accepted.report.revenue_fen
        return len(got) == 2
    h.wait_until(both, 20, what="assessment to apply both R-SC2-2020")
    assert got == {"SC-001": 100_000_000, "SC-002": 200_000_000}, got
    print("report ids: scoped to their cluster (squatting changes nothing; "
          "DUPLICATE and CONFLICT within a cluster as before): ok", flush=True)


def archive_read(stack, pair, **filters):
    """(records, error) of one archive query with pair's key."""
    from jiju.v1 import archive_pb2, envelope_pb2
    req = archive_pb2.ArchiveQueryRequest(request_id="rq", limit=1000, **filters)
    raw = h.request(stack.ep["archive_query"], req.SerializeToString(),
                    curve(stack, "archive", pair))
    assert raw is not None, "the archive did not answer"
    rep = archive_pb2.ArchiveQueryReply()
    rep.ParseFromString(raw)
    assert rep.request_id == "rq", rep
    out = []
    for rec in rep.records:
        env = envelope_pb2.Envelope()
        env.ParseFromString(rec.envelope)
        out.append(env)
    return out, ("" if rep.ok else rep.error)


def clusters_of(envs):
    from jiju.v1 import archive_pb2  # noqa: F401
    out = set()
    for env in envs:
        body = env.WhichOneof("body")
        if body == "report_accepted":
            out.add(env.report_accepted.report.cluster_id)
        elif env.subject:
            out.add(env.subject)
    return out


def assess_read(stack, pair, **kind):
    from jiju.v1 import query_pb2
    q = query_pb2.QueryRequest(request_id="aq", **kind)
    raw = h.request(stack.ep["assessment_query"], q.SerializeToString(),
                    curve(stack, "assessment", pair))
    assert raw is not None, "assessment did not answer"
    rep = query_pb2.QueryReply()
    rep.ParseFromString(raw)
    return rep


def check_reads(stack):
    from jiju.v1 import common_pb2, query_pb2
    # the archive: a reporter reads its own cluster, whatever it asks
    mine, err = archive_read(stack, REP1)
    assert not err and mine and clusters_of(mine) == {"SC-001"}, (err, clusters_of(mine))
    same, err = archive_read(stack, REP1, report_id="R-SC2-2020")
    assert not err and clusters_of(same) == {"SC-001"}, (err, clusters_of(same))
    none, err = archive_read(stack, REP1, cluster_id="SC-002")
    assert err.startswith("E_FORBIDDEN_CLUSTER") and "SC-002" in err and "sc-001-org" in err, err
    assert not none, "a refused query still carried records"
    none, err = archive_read(stack, DEPT)
    assert err.startswith("E_FORBIDDEN") and "subscriber" in err, err
    assert not none, "a refused query still carried records"
    every, err = archive_read(stack, ADMIN)
    assert not err and {"SC-001", "SC-002"} <= clusters_of(every), err
    # assessment: the registry and the ranking narrowed to its own cluster
    rep = assess_read(stack, REP1, list_clusters=query_pb2.ListClusters())
    assert rep.ok and [c.id for c in rep.clusters] == ["SC-001"], rep
    rep = assess_read(stack, ADMIN, list_clusters=query_pb2.ListClusters())
    assert rep.ok and {c.id for c in rep.clusters} == {"SC-001", "SC-002"}, rep
    rep = assess_read(stack, REP1, get_ranking=query_pb2.GetRanking(period="2020"))
    assert rep.ok and {e.cluster_id for e in rep.ranking} <= {"SC-001"}, rep
    rep = assess_read(stack, REP1, get_targets=query_pb2.GetTargets(year=2020))
    assert not rep.ok and rep.error.startswith("E_FORBIDDEN"), rep
    rep = assess_read(stack, DEPT, list_clusters=query_pb2.ListClusters())
    assert not rep.ok and rep.error.startswith("E_FORBIDDEN") and "subscriber" in rep.error, rep
    rep = assess_read(stack, DEPT, ping=common_pb2.Ping())
    assert rep.ok, rep
    # the department reads its deliveries (its subscription), not another's
    tail = h.StreamTail(stack.ep["deliveries"], "deliveries", "fgw",
                        curve=curve(stack, "notification", DEPT))
    got = []
    deadline = __import__("time").monotonic() + 15
    while not got and __import__("time").monotonic() < deadline:
        got.extend(tail.poll(200))
    tail.close()
    assert got, "the department got none of its deliveries"
    print("reads: reporter own cluster only (archive, registry, ranking; targets refused), "
          "department its deliveries only, admin everything: ok", flush=True)


def main():
    stack = h.Stack(security=CLIENTS)
    stack.archive_curve = curve(stack, "archive", ADMIN)
    try:
        stack.start_all()
        for name in stack.procs:
            h.wait_until(lambda: "event=security mode=curve" in stack.logs(name, 100000), 10,
                         what=f"{name} in CURVE mode")
        check_report_ids(stack)
        check_reads(stack)
        for p in stack.procs.values():
            assert p.alive(), f"{p.name} died; see {p.logpath}"
        print("scoping: all checks passed")
    except BaseException:
        for name in stack.procs:
            sys.stderr.write(f"--- {name} ---\n{stack.logs(name)}\n")
        raise
    finally:
        stack.cleanup()


if __name__ == "__main__":
    main()
