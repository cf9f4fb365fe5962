#!/usr/bin/python3
"""Ingest scaled out: 3 replicas, 30,000 reports spread across them, 1,000
of them sent a second time to a different replica, one replica killed with
SIGKILL mid-stream and restarted. Every accepted report is applied by
assessment exactly once and the duplicates change nothing.

usage: test_ingest_scale.py BUILD_DIR   (env JIJU_REPORTS overrides 30000)
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402
from test_kill_restart import count_reports, periods  # noqa: E402

N_CLUSTERS = 300
N_REPORTS = int(os.environ.get("JIJU_REPORTS", "30000"))
N_TWICE = N_REPORTS // 30


def main():
    stack = h.Stack(ingest_replicas=3)
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=600, timeout=3.0)
        clusters = [f"S{i:04d}" for i in range(N_CLUSTERS)]
        regs = sub.submit_all(h.register_request(c, f"集聚区{c}") for c in clusters)
        assert all(r.status == 1 for r in regs.values())
        tail = h.StreamTail(stack.ep["assessment_stream"], "events", "it-scale-registry")
        seen = set()

        def registered():
            for _, env in tail.poll(100):
                if env.WhichOneof("body") == "cluster_registered":
                    seen.add(env.cluster_registered.cluster.id)
            return len(seen) == N_CLUSTERS
        h.wait_until(registered, 30, what="clusters registered")
        tail.close()
        sub.wait_registry(clusters)  # every replica follows the same registry events

        per = periods(N_REPORTS // N_CLUSTERS + 1)
        reports = [h.report_request(f"X{i:06d}", clusters[i % N_CLUSTERS], per[i // N_CLUSTERS])
                   for i in range(N_REPORTS)]
        work = []
        for i, req in enumerate(reports):
            work.append((req, i % 3))
            if i % 30 == 0 and i // 30 < N_TWICE:  # the same report again, another replica
                dup = h.report_request(f"X{i:06d}", clusters[i % N_CLUSTERS], per[i // N_CLUSTERS])
                dup.request_id = "again-" + dup.request_id
                work.append((dup, (i + 1) % 3))
        progress = {"n": 0}
        result = {}

        def run():
            result["r"] = sub.submit_all(work, lambda n: progress.__setitem__("n", n))
        t = threading.Thread(target=run)
        t.start()
        h.wait_until(lambda: progress["n"] >= len(work) // 2 or not t.is_alive(), 600,
                     what="half the reports")
        stack.procs["ingest-2"].kill9()
        print(f"killed ingest-2 at {progress['n']} replies", flush=True)
        time.sleep(0.5)
        stack.procs["ingest-2"].start()
        t.join()
        replies = result["r"]
        refused = [r for r in replies.values() if r.status not in (1, 2)]
        assert not refused, refused[:3]
        dups = sum(1 for k, r in replies.items() if k.startswith("again-") and r.status == 2)
        print(f"{len(replies)} replies; {dups} of {N_TWICE} second copies answered DUPLICATE",
              flush=True)
        accepted = {k for k in replies if k.startswith("X")}
        assert len(accepted) == N_REPORTS
        count_reports(stack.ep["assessment_stream"], "events", "it-scale-check", accepted, 300,
                      dedup_by_id=False)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
