#!/usr/bin/python3
"""City-wide events and closed periods on the real services (issue 11.2,
11.4, 11.5):

1. 2022 is reported and closed with 12 clusters; GetTargets(2022) and the
   2022 ranking are kept as bytes, and equal the TargetProgress the close
   published.
2. Clusters are registered for 2023 and 2024 (one in a development zone
   nobody listed), 1,000 reports arrive for 2023, 2023 closes, 2024 gets one
   report.
3. tjj and fgw hold a bounded number of TargetProgress events (at most one
   per period per ranking.coalesce_ms, plus one at close); no category or
   county subscriber holds any; the new zone got a subscription of its own
   and its cluster's events.
4. GetTargets(2022) and the 2022 ranking are byte-identical to what the
   close produced, also after kill -9 of assessment.
5. 2022's reporting deadline is at midnight in Jilin (Asia/Shanghai).
6. Only what was reported is ranked: CE-14, registered before 2023's
   reports but reporting none, is 未报送 in the final 2023 ranking; with one
   report in for 2024, `jiju ranking show 2024` ranks that one cluster and
   lists the other 13 as 未报送, without a score or a rank change.

usage: test_city_events.py BUILD_DIR
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

# (id, category, county): the 12 clusters of 2022, then one for 2023 and one
# for 2024. 北大湖开发区 is in no default subscription.
C2022 = [(f"CE-{i:02d}", 1 + i % 9, ["船营区", "昌邑区", "高新区", "龙潭区"][i % 4])
         for i in range(1, 13)]
C2023 = [("CE-13", 4, "北大湖开发区")]
C2024 = [("CE-14", 8, "丰满区")]
N_REPORTS = 1000
CATEGORY_OR_COUNTY = ["jtj", "swj", "xcb", "wglj", "kjj", "czj", "county-船营区", "county-昌邑区",
                      "county-龙潭区", "county-丰满区", "zone-高新区", "zone-北大湖开发区"]


def query(stack, **kind):
    return h.assess_query(stack.ep["assessment_query"], **kind)


def targets(stack, year):
    from jiju.v1 import query_pb2
    return query(stack, get_targets=query_pb2.GetTargets(year=year))


def ranking(stack, period):
    from jiju.v1 import query_pb2
    return query(stack, get_ranking=query_pb2.GetRanking(period=period))


def subscriptions(stack):
    from jiju.v1 import subscription_pb2 as sp
    raw = h.request(stack.ep["notify_admin"], sp.SubscriptionRequest(
        request_id="l", list=sp.ListSubscriptions()).SerializeToString(), wait_ms=10000)
    assert raw is not None, "notification admin timed out"
    rep = sp.SubscriptionReply()
    rep.ParseFromString(raw)
    assert rep.ok, rep.error
    return {i.subscription.id: i for i in rep.subscriptions}


def deliveries(stack, sub_id, last_seq):
    """Every event of sub_id's log up to last_seq, as a department reads it."""
    tail = h.StreamTail(stack.ep["deliveries"], "deliveries", sub_id)
    out = []
    deadline = time.monotonic() + 60
    while len(out) < last_seq:
        assert time.monotonic() < deadline, f"{sub_id}: {len(out)} of {last_seq} events"
        out.extend(e for _, e in tail.poll(200))
        assert tail.last_error is None, f"{sub_id}: {tail.last_error}"
    tail.close()
    return out


def submit_ok(sub, reqs):
    for rid, r in sub.submit_all(reqs).items():
        assert r.status == 1, (rid, r)


def register(sub, clusters):
    submit_ok(sub, [h.register_request(c, f"城市事件{c}", category=cat, county=county)
                    for c, cat, county in clusters])
    sub.wait_registry([c for c, _, _ in clusters])


def close(stack, sub, period):
    submit_ok(sub, [h.command_request("close_period", period=period)])
    h.wait_until(lambda: ranking(stack, period).final, 30, what=f"{period} closed")


def main():
    stack = h.Stack()
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps)
        # 1. 2022 with 12 clusters, closed
        register(sub, C2022)
        submit_ok(sub, [h.command_request("open_period", period="2022")] +
                  [h.report_request(f"{c}-2022", c, "2022", 1, 40_000_000_000 + i * 1_000_000_000)
                   for i, (c, _, _) in enumerate(C2022)])
        close(stack, sub, "2022")
        t2022 = targets(stack, 2022)
        assert t2022.targets_frozen and t2022.targets.active_clusters == 12, t2022
        frozen_targets = t2022.targets.SerializeToString()
        frozen_ranking = [e.SerializeToString() for e in ranking(stack, "2022").ranking]

        # 2. registrations for 2023 and 2024, 1,000 reports for 2023
        register(sub, C2023 + C2024)
        ids13 = [c for c, _, _ in C2022 + C2023]
        reqs = [h.report_request(f"R23-{k}", ids13[k % 13], "2023", 1 + k // 13,
                                 10_000_000_000 + k * 100_000_000) for k in range(N_REPORTS)]
        expected = {}
        for r in reqs:
            expected[r.report.cluster_id] = r.report.revenue_fen  # the highest revision wins
        t0 = time.monotonic()
        submit_ok(sub, reqs)
        # a report is applied when assessment's figures include it (docs/subscribing.md)
        h.wait_until(lambda: targets(stack, 2023).targets.revenue_fen == sum(expected.values()),
                     60, what="assessment applied the 1,000 reports")
        import_s = time.monotonic() - t0
        close(stack, sub, "2023")
        submit_ok(sub, [h.report_request("R24-1", "CE-01", "2024", 1, 50_000_000_000)])

        # 3. who holds TargetProgress
        subs = subscriptions(stack)
        assert "zone-北大湖开发区" in subs, sorted(subs)  # derived from the registry
        h.wait_until(lambda: subscriptions(stack)["tjj"].status.last_seq > 0, 30, what="tjj events")
        time.sleep(1.5)  # the 2024 report's coalesced tick
        subs = subscriptions(stack)
        held = {}
        for sid in ["tjj", "fgw"] + CATEGORY_OR_COUNTY:
            evs = deliveries(stack, sid, subs[sid].status.last_seq)
            held[sid] = evs
        tp = {sid: [e for e in evs if e.WhichOneof("body") == "target_progress"]
              for sid, evs in held.items()}
        n2023 = sum(1 for e in tp["tjj"] if e.period == "2023")
        # at most one per ranking.coalesce_ms (1 s) while reports arrive, one at close
        bound = int(import_s) + 2 + 1
        print(f"import of {N_REPORTS} reports took {import_s:.1f}s; tjj holds {len(tp['tjj'])} "
              f"TargetProgress ({n2023} for 2023, bound {bound}); fgw {len(tp['fgw'])}",
              flush=True)
        assert 1 <= n2023 <= bound, [e.time for e in tp["tjj"]]
        assert [e.id for e in tp["fgw"]] == [e.id for e in tp["tjj"]]
        for sid in CATEGORY_OR_COUNTY:
            assert not tp[sid], f"{sid} holds {len(tp[sid])} TargetProgress"
        assert all(e.subject == "" and e.county == "" and e.category == 0 for e in tp["tjj"])
        zone = held["zone-北大湖开发区"]
        assert any(e.WhichOneof("body") == "cluster_registered" for e in zone), "zone missed it"
        assert sum(1 for e in zone if e.WhichOneof("body") == "report_accepted") == \
            sum(1 for r in reqs if r.report.cluster_id == "CE-13")
        assert all(e.county == "北大湖开发区" for e in zone), "another area's event"
        # 2022's deadline: 2022's end + 15 days at midnight in Jilin (time_zone
        # Asia/Shanghai), 2023-01-16T00:00+08:00, not 00:00Z (08:00 in Jilin)
        opened = [e for e in held["fgw"] if e.WhichOneof("body") == "period_opened"]
        assert {e.period: e.period_opened.deadline_ms for e in opened}["2022"] == 1673798400000, \
            opened
        # the close's TargetProgress is what GetTargets answers
        closing = [e for e in tp["tjj"] if e.period == "2022"][-1]
        assert closing.target_progress.SerializeToString() == frozen_targets

        # 4. 2022 frozen, also after kill -9
        for when in ("after 2023 and 2024", "after kill -9"):
            t = targets(stack, 2022)
            assert t.targets.SerializeToString() == frozen_targets, (when, t.targets)
            assert [e.SerializeToString() for e in ranking(stack, "2022").ranking] == \
                frozen_ranking, when
            if when == "after kill -9":
                break
            stack.procs["assessment"].kill9()
            stack.procs["assessment"].start()
            h.wait_until(lambda: _pings(stack), 30, what="assessment back")
        # an unknown subscriber is told so (issue 11.8), not "no such stream"
        tail = h.StreamTail(stack.ep["deliveries"], "deliveries", "no-such-dept")
        h.wait_until(lambda: tail.poll(100) == [] and tail.last_error is not None, 10,
                     what="refusal of an unknown subscriber")
        tail.close()
        assert tail.last_error.startswith("E_STREAM_UNKNOWN_SUBSCRIBER: no subscription "
                                          "\"no-such-dept\""), tail.last_error
        # 5. ranking only what was reported (issue 11.4)
        from jiju.v1 import events_pb2 as ev
        r23 = ranking(stack, "2023").ranking
        ranked = [e for e in r23 if e.status == ev.RANK_STATUS_RANKED]
        assert [e.rank for e in ranked] == list(range(1, 14)), [e.rank for e in r23]
        assert [(e.cluster_id, e.status, e.rank) for e in r23[13:]] == \
            [("CE-14", ev.RANK_STATUS_NOT_REPORTED, 0)], r23[13:]
        assert "未报送" in r23[13].status_reason and not r23[13].has_previous
        r24 = ranking(stack, "2024")
        assert not r24.final
        assert [(e.cluster_id, e.rank) for e in r24.ranking if e.rank] == [("CE-01", 1)]
        others = [e for e in r24.ranking if e.cluster_id != "CE-01"]
        assert len(others) == 13 and all(
            e.status == ev.RANK_STATUS_NOT_REPORTED and e.rank == 0 and e.score_micros == 0 and
            e.rank_change == 0 and not e.has_previous for e in others), others
        out = subprocess.run([f"{h.BIN}/cli/jiju", "ranking", "show", "2024", "--query",
                              stack.ep["assessment_query"]], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.count("未报送") == 2 * 13 and "ranked=1 not_ranked=13" in out.stdout, \
            out.stdout
        print(out.stdout, flush=True)
        out = subprocess.run([f"{h.BIN}/cli/jiju", "targets", "2022", "--query",
                              stack.ep["assessment_query"]], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0 and "frozen at close" in out.stdout, (out.stdout, out.stderr)
        assert "100.00%" in out.stdout.splitlines()[3], out.stdout  # 12 of 12 clusters
        print(out.stdout, flush=True)
        live = targets(stack, 2023)
        print(f"GetTargets(2022): {t2022.targets.active_clusters} clusters "
              f"{t2022.targets.clusters_pct_micros / 1e4:.2f}% frozen; "
              f"2023: {live.targets.active_clusters} clusters", flush=True)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()


def test_clock():
    """The test clock as docs/subscribing.md tells integrators to use it:
    JIJU_CLOCK_FILE for every service, time moved by writing the file. 2022's
    deadline is midnight in Jilin (2023-01-16T00:00+08:00)."""
    work = h.tempfile.mkdtemp(prefix="jiju-it-clock-")
    clock = os.path.join(work, "clock")
    deadline = 1673798400000
    with open(clock, "w") as f:
        f.write(str(deadline - 1000))
    stack = h.Stack(workdir=work, extra_env={"JIJU_CLOCK_FILE": clock})
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps)
        register(sub, [("TC-1", 1, "船营区"), ("TC-2", 2, "船营区")])
        submit_ok(sub, [h.report_request("TC-1-2022", "TC-1", "2022")])
        h.wait_until(lambda: subscriptions(stack)["fgw"].status.last_seq >= 5, 30,
                     what="fgw has the registrations, PeriodOpened, the report")
        time.sleep(0.5)  # a few ticks at 23:59:59 in Jilin
        before = deliveries(stack, "fgw", subscriptions(stack)["fgw"].status.last_seq)
        assert not [e for e in before if e.WhichOneof("body") == "report_overdue"], before
        opened = [e for e in before if e.WhichOneof("body") == "period_opened"]
        assert opened[0].period_opened.deadline_ms == deadline, opened
        with open(clock, "w") as f:
            f.write(str(deadline))
        h.wait_until(lambda: any(e.WhichOneof("body") == "report_overdue" for e in deliveries(
            stack, "fgw", subscriptions(stack)["fgw"].status.last_seq)), 30,
            what="ReportOverdue at the deadline")
        evs = deliveries(stack, "fgw", subscriptions(stack)["fgw"].status.last_seq)
        overdue = [e for e in evs if e.WhichOneof("body") == "report_overdue"]
        assert [(e.subject, e.report_overdue.deadline_ms) for e in overdue] == \
            [("TC-2", deadline)], overdue
        print("test clock: no ReportOverdue at 2023-01-15T23:59:59+08:00, TC-2's at "
              "2023-01-16T00:00:00+08:00", flush=True)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()


def _pings(stack):
    try:
        query(stack, ping={})
        return True
    except AssertionError:
        return False


if __name__ == "__main__":
    main()
    test_clock()
    print("PASS")
