#!/usr/bin/python3
"""A power cut of ingest's disk, on real processes, while reports and
registry events flow: ingest runs with tests/integration/power_cut.c
LD_PRELOAD'ed, which notes the size of each RocksDB WAL file at every
successful fsync; at a random moment ingest is killed with SIGKILL and each
of its WAL files truncated to its last synced size (what a power cut may
leave of a tail written but not synced, taken at its worst), then restarted.

kill -9 alone loses nothing that reached the page cache, so it cannot tell
a synced commit from an unsynced one; this can. Cuts alternate between the
middle of a run of reports and just after one, when assessment's last
events reach ingest's registry with no submit behind them (registry.sync_ms
is 1000 here, so they stay unsynced a while). What must hold, cut after
cut:
- every ACCEPTED is durable: each report answered ACCEPTED before the cut
  is answered DUPLICATE, with the same seq, after it;
- nothing acked is lost: ingest's registry follow commits unsynced
  (stream_opts.lazy_sync_ms) and may tell assessment (ACK, heartbeat) only
  what is durable, so the cursor its first RESUME after the cut names is at
  least the highest position it told before (scraped from its /metrics,
  jiju_stream_cursor_seq of the events stream, which is what it tells);
- each event and report applied once: ingest learns every registered
  cluster, assessment applies every accepted report exactly once.

usage: test_power_cut.py BUILD_DIR   (env JIJU_POWER_CUTS overrides 5)
"""
import os
import random
import re
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

CUTS = int(os.environ.get("JIJU_POWER_CUTS", "5"))
PER_CUT = 2000  # reports per cut, in flight while it happens


def told_events_cursor(port):
    """ingest's position on assessment's events stream as it tells it, or
    None while /metrics does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("jiju_stream_cursor_seq{") and 'stream="events"' in line:
            return int(float(line.rsplit(" ", 1)[1]))
    return None


def synced_sizes(journal):
    sizes = {}
    if os.path.exists(journal):
        for line in open(journal):
            path, size = line.rsplit(" ", 1)
            sizes[path] = int(size)
    return sizes


def cut_power(store, journal):
    """Truncate every WAL of the store to its last synced size; bytes dropped."""
    sizes, dropped = synced_sizes(journal), 0
    for name in os.listdir(store):
        if not name.endswith(".log"):
            continue
        path = os.path.join(store, name)
        keep = sizes.get(path, 0)
        have = os.path.getsize(path)
        if have > keep:
            os.truncate(path, keep)
            dropped += have - keep
    return dropped


def resume_froms(stack):
    """Every RESUME ingest-1 sent on the events stream, as assessment logged it."""
    return [int(m.group(1)) for m in re.finditer(
        r"event=stream_resume .*peer=ingest-1 stream=events from=(\d+)",
        open(stack.procs["assessment"].logpath, errors="replace").read())]


def dry_run(ep, req):
    from jiju.v1 import submit_pb2
    req.validate_only = True
    raw = h.request(ep, req.SerializeToString(), wait_ms=5000)
    assert raw is not None, f"no reply from {ep}"
    r = submit_pb2.SubmitReply()
    r.ParseFromString(raw)
    return r


def main():
    shim = os.path.join(sys.argv[1], "tests", "libjiju_power_cut.so")
    assert os.path.exists(shim), shim
    # registry.sync_ms 1000 (5 by default): a registry commit stays unsynced
    # long enough for a cut after the run to find it
    stack = h.Stack(ingest_replicas=1, metrics=True,
                    ingest_args=["--set", "registry.sync_ms=1000"])
    journal = os.path.join(stack.work, "power-cut.journal")
    ingest = stack.procs["ingest-1"]
    env = dict(stack.env)
    env["LD_PRELOAD"] = shim
    env["JIJU_POWER_CUT_JOURNAL"] = journal
    # under ASan the preloaded library comes before its runtime: allowed
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                 "verify_asan_link_order=0"]))
    ingest.env = env
    store = os.path.join(stack.work, "ingest-1")
    port = stack.metrics_port["ingest-1"]
    ok = False
    try:
        stack.start_all()
        h.wait_until(lambda: told_events_cursor(port) is not None, 30, what="ingest's /metrics")
        sub = h.Submitter(stack.ingest_eps, window=50, timeout=2.0)
        clusters, accepted, dropped = [], set(), 0
        for cut in range(CUTS):
            # new clusters: their ClusterRegistered events reach ingest's
            # registry during the run below, with the reports' events
            new = [f"PC-{cut}-{i}" for i in range(40)]
            sub.replies = {}
            regs = sub.submit_all(h.register_request(c, f"断电{c}") for c in new)
            assert all(r.status == 1 for r in regs.values()), regs
            sub.wait_registry(new)
            clusters += new
            # one report per (cluster, month), revision 1: a resend after the
            # cut may come after later reports, and must not be refused
            months = [cut * 50 + i // len(clusters) for i in range(PER_CUT)]
            reqs = [h.report_request(f"PC-{cut}-r{i}", clusters[i % len(clusters)],
                                     f"{2000 + m // 12}-{1 + m % 12:02d}")
                    for i, m in enumerate(months)]
            told = {"max": 0}
            stop = threading.Event()

            def scrape():
                while not stop.is_set():
                    v = told_events_cursor(port)
                    if v is not None and v > told["max"]:
                        told["max"] = v
                    time.sleep(0.005)
            scraper = threading.Thread(target=scrape)
            scraper.start()
            result = {}
            runner = threading.Thread(target=lambda: result.update(sub.submit_all(reqs)))
            sub.replies = {}
            runner.start()
            if cut % 2 == 0:  # mid-run: submits' fsyncs carry the registry's commits
                at = random.randint(PER_CUT // 10, PER_CUT * 9 // 10)
                h.wait_until(lambda: len(sub.replies) >= at or not runner.is_alive(), 120,
                             step=0.001, what=f"{at} replies")
            else:  # after it: the last events arrive with no submit behind them
                runner.join()
                time.sleep(random.uniform(0.05, 0.3))
            stop.set()
            scraper.join()
            before = {rid: r for rid, r in list(sub.replies.items()) if r.status == 1}
            resumes = len(resume_froms(stack))
            ingest.kill9()
            dropped += cut_power(store, journal)
            ingest.start()
            if runner.is_alive():
                runner.join()
            bad = {rid: r for rid, r in result.items() if r.status not in (1, 2)}
            assert not bad, f"refused: {list(bad.items())[:3]}"
            accepted |= {rid for rid in result}
            h.wait_until(lambda: len(resume_froms(stack)) > resumes, 30,
                         what="ingest's RESUME on the events stream after the cut")
            durable = resume_froms(stack)[resumes] - 1
            assert durable >= told["max"], (
                f"cut {cut}: ingest told assessment it had applied events up to "
                f"{told['max']}, but only {durable} survived the power cut")
            for rid, r in before.items():
                req = next(q for q in reqs if q.request_id == rid)
                again = dry_run(stack.ingest_eps[0], req)
                assert again.status == 2 and again.seq == r.seq, (
                    f"cut {cut}: {rid} was ACCEPTED as seq {r.seq} before the power cut; "
                    f"after it: status {again.status} seq {again.seq}")
            print(f"cut {cut}: {len(before)} ACCEPTED before it all kept, events told "
                  f"{told['max']} <= durable {durable}", flush=True)
        assert dropped > 0, "no cut dropped anything: nothing unsynced was ever written"
        sub.wait_registry(clusters)
        n = h.assert_applied_once(stack.ep["assessment_stream"], accepted, "it-power-cut")
        print(f"{CUTS} power cuts dropped {dropped} unsynced WAL bytes of ingest; "
              f"{n} reports applied once each, every cluster known", flush=True)
        sub.close()
        ok = True
    finally:
        stack.stop_all()
        if not ok:
            for name in ("ingest-1", "assessment"):
                print(f"--- {name} ---\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
