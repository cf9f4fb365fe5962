#!/usr/bin/python3
"""Ingest scaled out: 3 replicas, 30,000 reports spread across them, 1,000
of them sent a second time to a different replica, 300 others sent again
to a different replica with different content (same report id, another
revenue), one replica killed with SIGKILL mid-stream and restarted. Every
accepted report is applied by assessment exactly once and the duplicates
change nothing. A conflicting copy is answered CONFLICT by a replica that
knows the id, or ACCEPTED by one that does not yet (replicas learn each
other's ids only through assessment's events); when two contents of one id
were accepted, assessment applies whichever arrives first and rejects each
later one with E_CONFLICT.

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
N_CONFLICT = N_REPORTS // 100
ORIG_FEN = 100_000_000  # report_request's revenue, the originals'
COPY_FEN = 250_000_000  # a conflicting copy's


class CountingSubmitter(h.Submitter):
    """A Submitter that remembers how often each request was sent. A request
    sent again (no reply in time, as from the killed replica) may sit in two
    replicas' logs, or in one whose reply was lost: its reply alone does not
    say how many logs hold it."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.sends = {}

    def _send(self, rid, data, idx):
        super()._send(rid, data, idx)
        self.sends[rid] = self.sends.get(rid, 0) + 1


def main():
    stack = h.Stack(ingest_replicas=3)
    ok = False
    try:
        stack.start_all()
        sub = CountingSubmitter(stack.ingest_eps, window=600, timeout=3.0)
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
        work, conflicted = [], set()
        for i, req in enumerate(reports):
            work.append((req, i % 3))
            if i % 30 == 0 and i // 30 < N_TWICE:  # the same report again, another replica
                dup = h.report_request(f"X{i:06d}", clusters[i % N_CLUSTERS], per[i // N_CLUSTERS])
                dup.request_id = "again-" + dup.request_id
                work.append((dup, (i + 1) % 3))
            if i % 100 == 15 and i // 100 < N_CONFLICT:  # same id, other content, another replica
                cp = h.report_request(f"X{i:06d}", clusters[i % N_CLUSTERS], per[i // N_CLUSTERS],
                                      revenue_fen=COPY_FEN)
                cp.request_id = "conflict-" + cp.request_id
                work.append((cp, (i + 2) % 3))
                conflicted.add(f"X{i:06d}")
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
        # CONFLICT is an answer for the two contents of a conflicted id only:
        # for the copy, or for the original if its replica learned the copy
        # first (through assessment's events, or when the original was sent
        # again after the kill)
        refused = [r for k, r in replies.items() if r.status not in (1, 2) and not (
            r.status == 3 and k.removeprefix("conflict-") in conflicted)]
        assert not refused, refused[:3]
        dups = sum(1 for k, r in replies.items() if k.startswith("again-") and r.status == 2)
        print(f"{len(replies)} replies; {dups} of {N_TWICE} second copies answered DUPLICATE",
              flush=True)
        accepted = {k for k in replies if k.startswith("X")}
        assert len(accepted) == N_REPORTS
        count_reports(stack.ep["assessment_stream"], "events", "it-scale-check", accepted, 300,
                      dedup_by_id=False)
        check_conflicts(stack, sub, replies, conflicted)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


def logged(sub, replies, rid):
    """(least, most) replica logs that may hold request rid's content. Each
    send reaches one replica, which logs a content at most once; the send
    that was answered logged it if and only if the answer is ACCEPTED."""
    n = sub.sends[rid]
    return (1, n) if replies[rid].status == 1 else (0, n - 1)


def check_conflicts(stack, sub, replies, conflicted):
    """Each conflicted id: one content applied (one ReportAccepted, checked
    by count_reports), and the other content rejected with E_CONFLICT when
    some replica log holds it: once per content however many logs hold it
    (a resend can put it in two), so at least once when a log surely holds
    it and never more often than the logs that may. Sent once each, the original and the copy are both in
    a log exactly when both were answered ACCEPTED; then exactly one of them
    is rejected, else neither."""
    copy = {rid: "conflict-" + rid for rid in conflicted}
    for rid in conflicted:
        for k in (rid, copy[rid]):  # DUPLICATE only for a request sent again
            st = replies[k].status
            assert st in (1, 3) or (st == 2 and sub.sends[k] > 1), (k, replies[k])
    tail = h.StreamTail(stack.ep["assessment_stream"], "events",
                        f"it-scale-conflicts-{time.time()}")
    applied, rejected = {}, {}

    def need():
        """The conflicted ids whose rejections did not all arrive yet."""
        out = set()
        for rid in conflicted:
            if rid not in applied:
                out.add(rid)
                continue
            lost = copy[rid] if applied[rid] != COPY_FEN else rid
            if len(rejected.get(rid, [])) < logged(sub, replies, lost)[0]:
                out.add(rid)
        return out

    def read():
        got = tail.poll(200)
        for _, env in got:
            body = env.WhichOneof("body")
            if body == "report_accepted":
                r = env.report_accepted.report
                if r.report_id in conflicted:
                    assert r.report_id not in applied, f"{r.report_id} applied twice"
                    applied[r.report_id] = r.revenue_fen
            elif body == "report_rejected":
                r, pbs = env.report_rejected.report, env.report_rejected.problems
                assert r.report_id in conflicted, f"rejected, never sent conflicting: {env}"
                assert len(pbs) == 1 and pbs[0].code == "E_CONFLICT" and \
                    pbs[0].field == "report.report_id" and pbs[0].value == r.report_id, env
                rejected.setdefault(r.report_id, []).append(r.revenue_fen)
        return got

    def done():
        read()
        return not need()
    h.wait_until(done, 120, what="every conflicted id applied and its rejections")
    quiet = time.monotonic()
    while time.monotonic() - quiet < 2.0:  # anything still in flight would show up now
        if read():
            quiet = time.monotonic()
    tail.close()

    losers = {"orig": 0, "copy": 0}  # ids whose original / copy assessment rejected
    for rid in sorted(conflicted):
        won, lost = (copy[rid], rid) if applied[rid] == COPY_FEN else (rid, copy[rid])
        assert applied[rid] in (ORIG_FEN, COPY_FEN), (rid, applied[rid])
        assert logged(sub, replies, won)[1] >= 1, \
            f"{rid}: applied the content of {won}, answered {replies[won].status} and sent once"
        rej = rejected.get(rid, [])
        assert all(fen != applied[rid] for fen in rej), f"{rid}: rejected the applied content {rej}"
        lo, hi = logged(sub, replies, lost)
        assert lo <= len(rej) <= hi, (f"{rid}: {len(rej)} E_CONFLICT rejections, expected "
                                      f"{lo}..{hi} ({lost} answered {replies[lost].status}, "
                                      f"sent {sub.sends[lost]} times)")
        if rej:
            losers["orig" if lost == rid else "copy"] += 1
    answered = sum(1 for rid in conflicted if replies[copy[rid]].status == 3)
    took = {rid for rid in conflicted if replies[copy[rid]].status == 1}
    orig3 = sum(1 for rid in conflicted if replies[rid].status == 3)
    resent = sorted(rid for rid in conflicted if sub.sends[rid] > 1 or sub.sends[copy[rid]] > 1)
    n_rej = sum(len(v) for v in rejected.values())
    print(f"{len(conflicted)} conflicting copies: {answered} answered CONFLICT by the replica, "
          f"{len(took & set(rejected))} accepted and then rejected by assessment with E_CONFLICT "
          f"(the copy rejected for {losers['copy']} ids, the original, which arrived second, "
          f"for {losers['orig']}; {n_rej} E_CONFLICT events), {len(took - set(rejected))} "
          f"accepted whose original was answered CONFLICT, {len(set(rejected) - took)} answered "
          f"CONFLICT and rejected all the same; {orig3} originals answered CONFLICT", flush=True)
    for rid in resent:  # the killed replica's: what the replies could not tell
        print(f"  sent again: {rid} " + ", ".join(
            f"{k} sent {sub.sends[k]}x answered {replies[k].status} by {replies[k].instance}"
            for k in (rid, copy[rid])) +
            f"; applied the {'copy' if applied[rid] == COPY_FEN else 'original'}, "
            f"{len(rejected.get(rid, []))} E_CONFLICT", flush=True)


if __name__ == "__main__":
    main()
