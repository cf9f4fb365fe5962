#!/usr/bin/python3
"""The foundation's promise, tested on real processes: 10,000 reports flow
through ingest -> assessment -> notification and ingest/assessment ->
archive while each service in turn is killed with SIGKILL and restarted.
Afterwards assessment, archive and a subscriber each hold every accepted
report exactly once.

usage: test_kill_restart.py BUILD_DIR   (env JIJU_REPORTS overrides 10000)
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

N_CLUSTERS = 100
N_REPORTS = int(os.environ.get("JIJU_REPORTS", "10000"))


def periods(n):
    out, y, m = [], 2015, 1
    while len(out) < n:
        out.append(f"{y}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def main():
    # ingest trims what assessment and archive acknowledged: nothing it
    # deletes may ever be needed again, whoever is killed
    stack = h.Stack(ingest_args=["--set", "log.trim_acked=true",
                                 "--set", "log.trim_interval_ms=300"])
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=400, timeout=3.0)
        clusters = [f"C{i:04d}" for i in range(N_CLUSTERS)]
        regs = sub.submit_all(h.register_request(c, f"集聚区{c}", category=1 + i % 9)
                              for i, c in enumerate(clusters))
        assert all(r.status == 1 for r in regs.values()), regs
        # ingest learns the registry through assessment's events: wait for it
        tail = h.StreamTail(stack.ep["assessment_stream"], "events", "it-registry-check")
        seen = set()

        def registered():
            for _, env in tail.poll(100):
                if env.WhichOneof("body") == "cluster_registered":
                    seen.add(env.cluster_registered.cluster.id)
            return len(seen) == N_CLUSTERS
        h.wait_until(registered, 30, what="clusters registered")
        tail.close()
        sub.wait_registry(clusters)  # ingest's replica follows the same events

        per = periods(N_REPORTS // N_CLUSTERS + 1)
        reqs = [h.report_request(f"R{i:06d}", clusters[i % N_CLUSTERS], per[i // N_CLUSTERS])
                for i in range(N_REPORTS)]
        progress = {"n": 0}
        result = {}

        def run():
            result["replies"] = sub.submit_all(reqs, lambda n: progress.__setitem__("n", n))
        t = threading.Thread(target=run)
        t.start()
        # kill each service in turn while reports flow
        for i, name in enumerate(["ingest-1", "assessment", "archive", "notification"]):
            at = (15 + 20 * i) * N_REPORTS // 100
            h.wait_until(lambda: progress["n"] >= at or not t.is_alive(),
                         300, what=f"progress before killing {name}")
            stack.procs[name].kill9()
            print(f"killed {name} at {progress['n']} replies", flush=True)
            time.sleep(0.2)
            stack.procs[name].start()
        t.join()
        replies = result["replies"]
        accepted = {rid for rid, r in replies.items()
                    if r.status in (1, 2) and rid.startswith("R")}
        bad = {rid: r for rid, r in replies.items() if r.status not in (1, 2)}
        assert not bad, f"refused: {list(bad.items())[:3]}"
        assert len(accepted) == N_REPORTS, len(accepted)
        print(f"accepted {len(accepted)} reports", flush=True)

        check_assessment(stack, accepted)
        check_subscriber(stack, accepted)
        check_archive(stack, accepted)
        trims = [ln for ln in open(stack.procs["ingest-1"].logpath, errors="replace")
                 if "event=log_trimmed" in ln]
        assert trims, "ingest never trimmed its log"
        print(f"ingest trimmed its log {len(trims)} times; last: {trims[-1].split('event=')[1]}",
              end="", flush=True)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


def count_reports(endpoint, stream, consumer, accepted, timeout, dedup_by_id):
    """Follow a stream until every accepted report was seen; fail on any
    report applied twice (under two different event ids, for subscribers)."""
    tail = h.StreamTail(endpoint, stream, consumer, from_seq=1)
    counts, ids = {}, set()

    def done():
        for _, env in tail.poll(200):
            if env.WhichOneof("body") != "report_accepted":
                continue
            if dedup_by_id:
                if env.id in ids:
                    continue  # a redelivery after a lost ack: same id
                ids.add(env.id)
            rid = env.report_accepted.report.report_id
            counts[rid] = counts.get(rid, 0) + 1
        return accepted <= set(counts)
    try:
        h.wait_until(done, timeout, what=f"{consumer} to see every report")
    except AssertionError:
        print(f"{consumer} misses {sorted(accepted - set(counts))[:20]}", flush=True)
        raise
    # anything still in flight would show up now
    end = time.monotonic() + 2
    while time.monotonic() < end:
        done()
    tail.close()
    twice = {k: v for k, v in counts.items() if v != 1}
    assert not twice, f"{consumer}: applied more than once: {list(twice.items())[:5]}"
    extra = set(counts) - accepted
    assert not extra, f"{consumer}: reports never accepted: {list(extra)[:5]}"
    print(f"{consumer}: {len(counts)} reports, each exactly once", flush=True)


def check_assessment(stack, accepted):
    count_reports(stack.ep["assessment_stream"], "events", "it-assessment-check", accepted,
                  int(os.environ.get("JIJU_CHECK_S", "180")), dedup_by_id=False)


def check_subscriber(stack, accepted):
    count_reports(stack.ep["deliveries"], "deliveries", "fgw", accepted, 180, dedup_by_id=True)


def check_archive(stack, accepted):
    """The archive answers queries by event type: every ingest input and every
    assessment ReportAccepted must be there exactly once."""
    import archive_check
    archive_check.check(stack, accepted)


if __name__ == "__main__":
    main()
