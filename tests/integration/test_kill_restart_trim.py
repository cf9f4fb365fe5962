#!/usr/bin/python3
"""Trimming loses nothing (issue 10 #1), on real processes: ingest runs with
log.trim_acked=true; in each of at least 50 rounds a batch of reports is
accepted and then one service is killed with SIGKILL and restarted. Before
every ingest kill the test waits until ingest has trimmed its whole log (the
case that made a restarted log start at seq 1 again, so assessment and the
archive dropped the reused seqs as duplicates: 4,163 of 15,152 ACCEPTED
reports lost). Every round's new seqs must lie above the last round's, and
in the end assessment and the archive hold every accepted report exactly
once.

usage: test_kill_restart_trim.py BUILD_DIR   (env JIJU_KILLS overrides 50)
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402
import test_kill_restart as kr  # noqa: E402

N_CLUSTERS = 20
ROUNDS = int(os.environ.get("JIJU_KILLS", "50"))
VICTIMS = ["ingest-1", "ingest-1", "assessment", "ingest-1", "archive"]
TRIMMED = re.compile(r"event=log_trimmed .*upto=(\d+)")


def trimmed_upto(stack):
    """Highest seq ingest has said it trimmed up to (any run)."""
    best = 0
    for ln in open(stack.procs["ingest-1"].logpath, errors="replace"):
        m = TRIMMED.search(ln)
        if m:
            best = max(best, int(m.group(1)))
    return best


def main():
    stack = h.Stack(ingest_args=["--set", "log.trim_acked=true",
                                 "--set", "log.trim_interval_ms=100"])
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps, window=200, timeout=2.0)
        clusters = [f"T{i:03d}" for i in range(N_CLUSTERS)]
        regs = sub.submit_all(h.register_request(c, f"集聚区{c}", category=1 + i % 9)
                              for i, c in enumerate(clusters))
        assert all(r.status == 1 for r in regs.values()), regs
        sub.wait_registry(clusters)
        periods = kr.periods(ROUNDS)
        accepted, last_seq, full_trims = set(), max(r.seq for r in regs.values()), 0
        for rnd in range(ROUNDS):
            reqs = [h.report_request(f"K{rnd:03d}-{c}", c, periods[rnd]) for c in clusters]
            replies = sub.submit_all(reqs)
            bad = {k: r for k, r in replies.items() if k.startswith("K") and r.status not in (1, 2)}
            assert not bad, f"round {rnd}: refused {list(bad.items())[:3]}"
            fresh = [r.seq for k, r in replies.items()
                     if k.startswith(f"K{rnd:03d}-") and r.status == 1]
            assert fresh and min(fresh) > last_seq, \
                f"round {rnd}: seqs {min(fresh)}..{max(fresh)} restarted below {last_seq}"
            last_seq = max(fresh)
            accepted |= {r.report.report_id for r in reqs}
            victim = VICTIMS[rnd % len(VICTIMS)]
            if victim == "ingest-1":  # its whole log trimmed first: the case that lost reports
                h.wait_until(lambda: trimmed_upto(stack) >= last_seq, 30,
                             what=f"ingest to trim its log up to {last_seq}")
                full_trims += 1
            stack.procs[victim].kill9()
            stack.procs[victim].start()
        print(f"{ROUNDS} kills ({full_trims} of ingest with its log trimmed empty), "
              f"{len(accepted)} reports accepted, last seq {last_seq}", flush=True)
        kr.check_assessment(stack, accepted)
        kr.check_archive(stack, accepted)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
